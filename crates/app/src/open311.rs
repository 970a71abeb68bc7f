//! Open311 GeoReport v2: client keys, submission of requests as cases, and what a case looks
//! like as a GeoReport "service request". The HTTP layer (`redress-web`, `open311.rs`) only
//! parses parameters and writes JSON or XML; every decision about what is shown is made here.
//!
//! # What a service request shows, and why
//!
//! `GET requests` is public in GeoReport v2 (no key), and we track matters, not people. So:
//!
//! - **No personal data, ever**: names, phones, e-mail, the petitioner's address and the
//!   coordinates a client sent are never returned. `address` is only the organisation the matter
//!   is located at (town, or town and village/community), `address_id` its organisation id.
//! - **No free text to the public.** The subject and content of letters, visits, calls and web
//!   petitions are written by residents or clerks and may name people, give phone numbers or
//!   describe private circumstances; the portal's own lookup shows the subject only to whoever
//!   also knows the last four digits of the petitioner's phone. So `description` is left out for
//!   every case that did not come through Open311, and the subject is never shown. A case that
//!   *was* submitted through Open311 carries its description (and `media_url`) only in answers to
//!   the same client, identified by its `api_key` on the GET: that client sent the text, so
//!   returning it discloses nothing new, while anyone else still sees no free text.
//! - **Accusations stay hidden** (检举控告, 信访工作条例 Art. 30, and any case marked
//!   confidential): even the category, unit and place of an accusation can point at the person
//!   complained about and, through them, at the accuser. They are not listed and not found by id,
//!   except for the client that submitted them.
//!
//! What remains is what the GeoReport model is about: the category (service), the detailed
//! status in Chinese (`status_notes`), the responsible unit, the place at organisation level and
//! the dates, including the deadline the office or unit must meet (`expected_datetime`).
//!
//! # Status mapping
//!
//! `closed` means the matter has been answered or has ended without an answer: 已答复, 已回访,
//! 已办结, 已归档, 不予受理, 已撤回, 已合并, 复查已决定, 复核终结. Everything still waiting for
//! the office or a unit is `open`, including 复查中 and 复核中 (an appeal reopens the matter).
//!
//! # Clients and keys
//!
//! Keys are API tokens with scope [`SCOPE`] and no staff account (`redress open311 key add`).
//! They are accepted only here; staff tokens (scope "api") are refused here and Open311 keys are
//! refused by the staff API ([`App::token_principal`]). A submitted case is registered through
//! [`App::register`] as a web petition (网上信访) by `Actor::Client` ("Open311：名称"), with
//! `channel_details.external_ref` = `Open311:名称`, so staff see where it came from and the
//! submitting client can be recognised later.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use redress_domain::case::{Channel, ChannelDetails, Location, MatterType, NewCase, Status};
use redress_domain::event::Actor;
use redress_domain::org::OrgKind;
use redress_domain::taxonomy::Taxonomy;
use redress_domain::{Case, OrgId, Petitioner, TrackingCode};
use redress_store::{ApiToken, CaseQuery, CaseSort};

use crate::auth::hash_token;
use crate::cases::Intake;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::App;

/// The scope of Open311 client keys in the API token table.
pub const SCOPE: &str = "open311";
/// GeoReport v2: the default and the longest window of `GET requests`.
pub const WINDOW_DAYS: i64 = 90;
/// GeoReport v2: at most this many requests per answer.
pub const MAX_REQUESTS: usize = 1000;
/// Prefix of `channel_details.external_ref` on cases submitted through Open311.
pub const REF_PREFIX: &str = "Open311:";
/// Separates the description from the media link inside the stored content.
const MEDIA_MARK: &str = "\n\n[图片] ";

/// GeoReport's two statuses.
pub fn is_open(status: Status) -> bool {
    match status {
        Status::Registered
        | Status::Accepted
        | Status::Routed
        | Status::InProgress
        | Status::ExtensionPending
        | Status::ReplyPending
        | Status::UnderReview
        | Status::UnderRecheck => true,
        Status::Replied
        | Status::FollowedUp
        | Status::Closed
        | Status::Archived
        | Status::NotAccepted
        | Status::Withdrawn
        | Status::Merged
        | Status::Reviewed
        | Status::Final => false,
    }
}

pub fn open_closed(status: Status) -> &'static str {
    if is_open(status) {
        "open"
    } else {
        "closed"
    }
}

/// ISO 8601 with the Beijing offset, e.g. `2026-03-02T09:00:00+08:00`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.with_timezone(&redress_domain::china_offset()).to_rfc3339_opts(SecondsFormat::Secs, false)
}

// ---------------------------------------------------------------- services

/// One entry of `GET services`: a second-level category of the taxonomy.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    pub service_type: &'static str,
    pub keywords: String,
    /// The first-level category.
    pub group: String,
}

/// One attribute of a service definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub code: &'static str,
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: &'static str,
    pub order: u32,
    pub description: &'static str,
    /// (key, name) for list types.
    pub values: Vec<(&'static str, &'static str)>,
}

pub fn services(t: &Taxonomy) -> Vec<Service> {
    t.categories
        .iter()
        .flat_map(|top| {
            top.children.iter().map(move |c| Service {
                service_code: c.code.clone(),
                service_name: c.name.clone(),
                description: format!("{}/{}", top.name, c.name),
                metadata: true,
                service_type: "realtime",
                keywords: format!("{},{}", top.name, c.name),
                group: top.name.clone(),
            })
        })
        .collect()
}

pub fn service(t: &Taxonomy, code: &str) -> Option<Service> {
    services(t).into_iter().find(|s| s.service_code == code.trim())
}

/// The attributes every service takes (the same for all categories).
pub fn attributes() -> Vec<Attribute> {
    vec![
        Attribute {
            code: "matter_type",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: "诉求类型，不填按“申诉求决”登记",
            order: 1,
            description: "诉求类型",
            values: MatterType::ALL.iter().map(|m| (m.key(), m.label_zh())).collect(),
        },
        Attribute {
            code: "people_count",
            datatype: "number",
            required: false,
            datatype_description: "涉及人数，正整数，不填为1",
            order: 2,
            description: "人数",
            values: vec![],
        },
        Attribute {
            code: "subject",
            datatype: "string",
            required: false,
            datatype_description: "不超过200字；不填则取诉求内容的开头",
            order: 3,
            description: "诉求标题",
            values: vec![],
        },
    ]
}

// ---------------------------------------------------------------- submission

/// A POST requests, as the client sent it (all strings; checked by [`App::open311_submit`]).
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub service_code: Option<String>,
    pub description: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[code]` → value.
    pub attributes: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Submitted {
    pub service_request_id: String,
    pub service_notice: String,
    pub case: Case,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Organisations that stand for a place (not departments or outside bodies).
fn is_place(kind: OrgKind) -> bool {
    matches!(kind, OrgKind::Town | OrgKind::Village | OrgKind::Community | OrgKind::Grid)
}

/// The deepest place whose name occurs in a free-text address (longest name among equals).
fn place_in(cfg: &Config, address: &str) -> Option<OrgId> {
    cfg.tree
        .all()
        .filter(|o| is_place(o.kind) && o.name.chars().count() >= 2 && address.contains(o.name.as_str()))
        .max_by_key(|o| (cfg.tree.ancestors(o.id).len(), o.name.chars().count(), std::cmp::Reverse(o.id)))
        .map(|o| o.id)
}

/// Where Open311 cases are registered: the county's petition office (a department whose name
/// contains 信访 directly under the root), else the root itself.
fn intake_org(cfg: &Config) -> AppResult<OrgId> {
    let mut roots: Vec<_> = cfg.tree.all().filter(|o| o.parent.is_none() && o.kind != OrgKind::External).collect();
    roots.sort_by_key(|o| o.id);
    let root = roots.first().ok_or_else(|| AppError::Unavailable("尚未建立组织机构，暂不能接收诉求".into()))?;
    let mut offices: Vec<_> = cfg.tree.all().filter(|o| o.parent == Some(root.id) && o.kind == OrgKind::Department && o.name.contains("信访")).collect();
    offices.sort_by_key(|o| o.id);
    Ok(offices.first().map_or(root.id, |o| o.id))
}

fn subject_from(description: &str) -> String {
    let first = description.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let first = first.split(['。', '！', '？', '；']).next().unwrap_or(first).trim();
    if first.chars().count() <= 30 {
        first.to_string()
    } else {
        format!("{}…", first.chars().take(29).collect::<String>())
    }
}

impl App {
    /// Issues a key for an Open311 client; the secret is returned once. Names are unique among
    /// keys not revoked, so `revoke` and the submitting-client check can go by name.
    pub async fn add_open311_key(&self, name: &str) -> AppResult<String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("name", "请填写客户端名称（不超过100字）"));
        }
        if self.open311_keys().await?.iter().any(|k| !k.revoked && k.name == name) {
            return Err(AppError::invalid("name", format!("已有名为“{name}”的有效密钥；请换一个名称，或先吊销原密钥")));
        }
        self.issue_token(name, None, SCOPE).await
    }

    /// All Open311 keys (hashes only), oldest first.
    pub async fn open311_keys(&self) -> AppResult<Vec<ApiToken>> {
        Ok(self.store.list_api_tokens().await?.into_iter().filter(|t| t.scope == SCOPE).collect())
    }

    /// Revokes the client's key; returns how many keys were revoked (at least one).
    pub async fn revoke_open311_key(&self, name: &str) -> AppResult<usize> {
        let mut n = 0;
        for mut k in self.open311_keys().await? {
            if k.name == name.trim() && !k.revoked {
                k.revoked = true;
                self.store.save_api_token(&k).await?;
                n += 1;
            }
        }
        if n == 0 {
            return Err(AppError::NotFound("该名称的有效 Open311 密钥"));
        }
        Ok(n)
    }

    /// The client behind an Open311 key; `Unauthenticated` for an unknown, revoked or staff key.
    pub async fn open311_client(&self, key: &str) -> AppResult<ApiToken> {
        let key = key.trim();
        if key.is_empty() {
            return Err(AppError::Unauthenticated);
        }
        match self.store.get_api_token(&hash_token(key)).await? {
            Some(t) if !t.revoked && t.scope == SCOPE => Ok(t),
            _ => Err(AppError::Unauthenticated),
        }
    }

    /// Registers a GeoReport request as a web petition. `Invalid` errors name the GeoReport
    /// parameter; an unknown service is `NotFound`.
    pub async fn open311_submit(&self, client: &ApiToken, s: Submission) -> AppResult<Submitted> {
        let cfg = self.cfg().await?;
        let code = filled(&s.service_code).ok_or_else(|| AppError::invalid("service_code", "缺少 service_code（服务代码），可用代码见 services.json"))?;
        let service = service(&cfg.taxonomy, code).ok_or(AppError::NotFound("该服务代码（service_code）"))?;
        let description = filled(&s.description).ok_or_else(|| AppError::invalid("description", "缺少 description（诉求内容）"))?;

        let mut location = Location::default();
        match (filled(&s.lat), filled(&s.long)) {
            (Some(lat), Some(long)) => {
                let parse = |v: &str, f: &str| v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| AppError::invalid(f, format!("{f} 不是有效的数字：“{v}”")));
                location.lat = Some(parse(lat, "lat")?);
                location.lng = Some(parse(long, "long")?);
            }
            (None, None) => {}
            _ => return Err(AppError::invalid("long", "lat 和 long 须同时提供")),
        }
        if let Some(a) = filled(&s.address_string) {
            location.address = a.to_string();
            location.org = place_in(&cfg, a);
        }
        if let Some(id) = filled(&s.address_id) {
            let org = id.parse::<i64>().ok().map(OrgId).and_then(|o| cfg.tree.get(o)).filter(|o| is_place(o.kind));
            let org = org.ok_or_else(|| AppError::invalid("address_id", format!("address_id“{id}”不是本地的乡镇、村（社区）或网格编号")))?;
            location.org = Some(org.id);
        }
        if location.lat.is_none() && location.address.is_empty() && location.org.is_none() {
            return Err(AppError::invalid("lat", "须提供位置：lat 和 long、address_string 或 address_id 三者之一"));
        }

        let mut matter_type = MatterType::Claim;
        let mut people_count = 1u32;
        let mut subject = None;
        for (k, v) in &s.attributes {
            let v = v.trim();
            match k.as_str() {
                "matter_type" => {
                    matter_type = MatterType::parse(v).ok_or_else(|| {
                        let keys: Vec<_> = MatterType::ALL.iter().map(|m| format!("{}（{}）", m.key(), m.label_zh())).collect();
                        AppError::invalid("attribute[matter_type]", format!("诉求类型“{v}”无效，可选：{}", keys.join("、")))
                    })?
                }
                "people_count" => {
                    people_count = v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| AppError::invalid("attribute[people_count]", format!("人数须为正整数，收到“{v}”")))?
                }
                "subject" => subject = Some(v.to_string()).filter(|s| !s.is_empty()),
                other => return Err(AppError::invalid(&format!("attribute[{other}]"), format!("未知属性“{other}”，可用属性见 services/{}.json", service.service_code))),
            }
        }

        let mut content = description.to_string();
        if let Some(url) = filled(&s.media_url) {
            let ok = (url.starts_with("http://") || url.starts_with("https://")) && url.len() <= 1000 && !url.chars().any(char::is_whitespace);
            if !ok {
                return Err(AppError::invalid("media_url", "media_url 须为 http:// 或 https:// 开头的网址（不超过1000字符）"));
            }
            content.push_str(MEDIA_MARK);
            content.push_str(url);
        }

        let (first, last) = (filled(&s.first_name), filled(&s.last_name));
        let name = match (last, first) {
            (Some(l), Some(f)) if l.is_ascii() && f.is_ascii() => Some(format!("{f} {l}")),
            (Some(l), Some(f)) => Some(format!("{l}{f}")),
            (one, other) => one.or(other).map(str::to_string),
        };
        let petitioner = Petitioner { name, phone: filled(&s.phone).map(str::to_string), ..Default::default() };
        let matter = NewCase {
            channel: Channel::Online,
            matter_type,
            category: Some(service.service_code.clone()),
            subject: subject.unwrap_or_else(|| subject_from(description)),
            content,
            location,
            people_count,
            channel_details: ChannelDetails { external_ref: Some(format!("{REF_PREFIX}{}", client.name)), ..Default::default() },
            related: vec![],
            same_matter_as: None,
            intake_org: intake_org(&cfg)?,
            confidential: matter_type == MatterType::Accusation,
            demo: false,
            suggested_categories: vec![],
        };
        let actor = Actor::Client { name: format!("Open311：{}", client.name) };
        let case = self.register(None, actor, Intake { matter, petitioner }).await.map_err(open311_field)?;
        let code = case.tracking_code.display();
        let mut notice = format!("已登记为网上信访事项，查询码 {code}，可凭查询码在本平台查询办理进度。");
        if let Some(d) = case.staff_deadline(&cfg.rules, &cfg.calendar) {
            notice.push_str(&format!("{}：{}。", d.label, d.due));
        }
        if filled(&s.email).is_some() {
            notice.push_str("本平台不保存电子邮箱，需要联系时请留电话。");
        }
        Ok(Submitted { service_request_id: code, service_notice: notice, case })
    }
}

/// Names the GeoReport parameter instead of our field in validation errors.
fn open311_field(e: AppError) -> AppError {
    let rename = |f: &str| -> Option<&'static str> {
        Some(match f {
            "petitioner.phone" => "phone",
            "petitioner.name" => "first_name",
            "subject" => "attribute[subject]",
            "content" => "description",
            "location.address" => "address_string",
            "location" => "lat",
            "people_count" => "attribute[people_count]",
            _ => return None,
        })
    };
    match e {
        AppError::Invalid { field, message } => AppError::Invalid { field: rename(&field).map_or(field, str::to_string), message },
        AppError::Domain(redress_domain::DomainError::Invalid { field, message }) => {
            AppError::Invalid { field: rename(&field).map_or(field.to_string(), str::to_string), message }
        }
        other => other,
    }
}

// ---------------------------------------------------------------- requests

/// A case as a GeoReport service request (see the module documentation for what is left out).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestView {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: String,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    /// Only for the client that submitted the request.
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    /// Town, or town and village/community: never a street address.
    pub address: Option<String>,
    pub address_id: Option<String>,
    /// Only for the client that submitted the request.
    pub media_url: Option<String>,
}

/// Filters of `GET requests`.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Tracking codes; when given, the other filters are ignored (as the spec says).
    pub ids: Vec<String>,
    pub service_codes: Vec<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Empty: both. Otherwise `true` for open, `false` for closed.
    pub open: Vec<bool>,
}

/// The client that submitted a case through Open311, if any.
pub fn submitted_by(case: &Case) -> Option<&str> {
    case.matter.channel_details.external_ref.as_deref()?.strip_prefix(REF_PREFIX).filter(|_| case.matter.channel == Channel::Online)
}

fn is_submitter(case: &Case, viewer: Option<&ApiToken>) -> bool {
    matches!((submitted_by(case), viewer), (Some(n), Some(v)) if n == v.name)
}

/// Whether a case may appear in Open311 answers to this viewer at all.
pub fn visible(case: &Case, viewer: Option<&ApiToken>) -> bool {
    let hidden = case.matter.matter_type == MatterType::Accusation || case.matter.confidential;
    !hidden || is_submitter(case, viewer)
}

fn place_name(cfg: &Config, org: Option<OrgId>) -> Option<String> {
    let o = cfg.tree.get(org?)?;
    if !is_place(o.kind) {
        return None;
    }
    match cfg.tree.town_of(o.id).and_then(|t| cfg.tree.get(t)) {
        Some(town) if town.id != o.id => Some(format!("{}{}", town.name, o.name)),
        _ => Some(o.name.clone()),
    }
}

pub fn request_view(cfg: &Config, case: &Case, viewer: Option<&ApiToken>) -> RequestView {
    let own = is_submitter(case, viewer);
    let (description, media_url) = if own {
        match case.matter.content.rsplit_once(MEDIA_MARK) {
            Some((d, url)) => (Some(d.to_string()), Some(url.to_string())),
            None => (Some(case.matter.content.clone()), None),
        }
    } else {
        (None, None)
    };
    let mut notes = case.status.label_zh().to_string();
    if let Some(r) = case.reply.as_ref().filter(|r| r.approved_at.is_some()) {
        notes.push_str(&format!("；处理意见：{}", r.decision.label_zh()));
    }
    let category = case.matter.category.as_deref().and_then(|c| cfg.taxonomy.find(c));
    let agency = case.unit.or(Some(case.matter.intake_org)).and_then(|u| cfg.tree.get(u)).map(|o| o.name.clone());
    let expected = is_open(case.status).then(|| case.staff_deadline(&cfg.rules, &cfg.calendar)).flatten().map(|d| iso(d.due_at));
    let place = case.matter.location.org.filter(|o| cfg.tree.get(*o).is_some_and(|x| is_place(x.kind)));
    RequestView {
        service_request_id: case.tracking_code.display(),
        status: open_closed(case.status),
        status_notes: notes,
        service_name: category.map(|(top, sub)| sub.unwrap_or(top).name.clone()),
        service_code: category.map(|(top, sub)| sub.unwrap_or(top).code.clone()),
        description,
        agency_responsible: agency,
        service_notice: None,
        requested_datetime: iso(case.registered_at),
        updated_datetime: iso(case.updated_at),
        expected_datetime: expected,
        address: place_name(cfg, place),
        address_id: place.map(|o| o.0.to_string()),
        media_url,
    }
}

impl App {
    /// One request by its id (our tracking code, with or without dashes).
    pub async fn open311_request(&self, id: &str, viewer: Option<&ApiToken>) -> AppResult<RequestView> {
        let cfg = self.cfg().await?;
        let code = TrackingCode::parse(id).map_err(|_| AppError::NotFound("该服务请求（service_request_id）"))?;
        let case = self.store.get_case_by_code(&code).await?.filter(|c| visible(c, viewer)).ok_or(AppError::NotFound("该服务请求（service_request_id）"))?;
        Ok(request_view(&cfg, &case, viewer))
    }

    /// `GET requests`: by ids, or by service, status and a window of registration dates
    /// (default: the last 90 days; longer windows are refused), newest first, at most 1000.
    pub async fn open311_requests(&self, f: &RequestFilter, viewer: Option<&ApiToken>) -> AppResult<Vec<RequestView>> {
        let cfg = self.cfg().await?;
        let mut out = vec![];
        if !f.ids.is_empty() {
            if f.ids.len() > MAX_REQUESTS {
                return Err(AppError::invalid("service_request_id", format!("一次最多查询{MAX_REQUESTS}个 service_request_id")));
            }
            for id in &f.ids {
                let Ok(code) = TrackingCode::parse(id) else { continue };
                if let Some(case) = self.store.get_case_by_code(&code).await?.filter(|c| visible(c, viewer)) {
                    if !out.iter().any(|r: &RequestView| r.service_request_id == case.tracking_code.display()) {
                        out.push(request_view(&cfg, &case, viewer));
                    }
                }
            }
            return Ok(out);
        }
        let window = Duration::days(WINDOW_DAYS);
        // `end` is the latest instant included; without any date, everything since 90 days ago.
        let (start, end) = match (f.start, f.end) {
            (Some(s), Some(e)) => (s, Some(e)),
            (Some(s), None) => (s, Some(s + window)),
            (None, Some(e)) => (e - window, Some(e)),
            (None, None) => (self.now() - window, None),
        };
        if let Some(end) = end {
            if end < start {
                return Err(AppError::invalid("end_date", "end_date 不能早于 start_date"));
            }
            if end - start > window {
                return Err(AppError::invalid("end_date", format!("start_date 与 end_date 相隔不能超过{WINDOW_DAYS}天")));
            }
        }
        let statuses: Vec<Status> = if f.open.is_empty() { vec![] } else { Status::ALL.iter().copied().filter(|s| f.open.contains(&is_open(*s))).collect() };
        let categories: Vec<Option<String>> = if f.service_codes.is_empty() { vec![None] } else { f.service_codes.iter().map(|c| Some(c.clone())).collect() };
        let mut cases: Vec<Case> = vec![];
        for category in categories {
            let mut offset = 0;
            loop {
                let q = CaseQuery {
                    statuses: statuses.clone(),
                    category: category.clone(),
                    registered_from: Some(start),
                    registered_to: end.map(|e| e + Duration::microseconds(1)),
                    sort: CaseSort::RegisteredDesc,
                    limit: MAX_REQUESTS as u32,
                    offset,
                    ..Default::default()
                };
                let page = self.store.list_cases(&q).await?;
                let n = page.items.len();
                cases.extend(page.items.into_iter().filter(|c| visible(c, viewer) && category.as_ref().is_none_or(|k| c.matter.category.as_deref() == Some(k))));
                offset += n as u32;
                if n < MAX_REQUESTS || cases.len() >= MAX_REQUESTS {
                    break;
                }
            }
        }
        cases.sort_by(|a, b| b.registered_at.cmp(&a.registered_at).then(b.id.cmp(&a.id)));
        cases.dedup_by_key(|c| c.id);
        cases.truncate(MAX_REQUESTS);
        out.extend(cases.iter().map(|c| request_view(&cfg, c, viewer)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_maps_and_appeals_reopen() {
        let open: Vec<_> = Status::ALL.iter().filter(|s| is_open(**s)).map(|s| s.key()).collect();
        assert_eq!(open, ["registered", "accepted", "routed", "in_progress", "extension_pending", "reply_pending", "under_review", "under_recheck"]);
        assert_eq!(open_closed(Status::Replied), "closed");
        assert_eq!(open_closed(Status::NotAccepted), "closed");
    }

    #[test]
    fn services_are_the_second_level_categories_grouped_by_the_first() {
        let t = Taxonomy::default();
        let list = services(&t);
        assert_eq!(list.len(), t.categories.iter().map(|c| c.children.len()).sum::<usize>());
        let lift = service(&t, "01.02").unwrap();
        assert_eq!((lift.group.as_str(), lift.service_name.as_str()), ("城乡建设", "物业管理"));
        assert!(service(&t, "01").is_none(), "first-level categories are groups, not services");
    }

    #[test]
    fn times_carry_the_beijing_offset() {
        let t = DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(iso(t), "2026-03-02T09:00:00+08:00");
    }

    #[test]
    fn subject_is_the_first_sentence_shortened() {
        assert_eq!(subject_from("路灯坏了。已经一周"), "路灯坏了");
        let long = "很".repeat(50);
        assert_eq!(subject_from(&long).chars().count(), 30);
    }
}
