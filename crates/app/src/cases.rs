//! Case use cases: register, act on, view, list, reveal personal data, public lookup.

use chrono::{DateTime, Utc};
use rand::RngCore;
use redress_domain::event::{Actor, Event};
use redress_domain::personal::{normalize_phone, valid_id_number};
use redress_domain::transition::Ctx;
use redress_domain::{Case, CaseId, Command, NewCase, Petitioner, Status, TrackingCode};
use redress_store::{AccessRecord, AppendWrite, CaseQuery, Derived, NewCaseWrite, StoreError, StoredEvent};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::{case_orgs, Principal};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::permissions;
use crate::views::{self, ActionView, CaseRow, CaseView, DeadlineView, PublicView};
use crate::App;

/// What intake receives: the matter and, kept apart, who brought it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Intake {
    #[serde(flatten)]
    pub matter: NewCase,
    #[serde(default)]
    pub petitioner: Petitioner,
}

/// One entry of a case's history as staff see it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryItem {
    pub seq: i64,
    pub version: u32,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub label: &'static str,
    pub detail: serde_json::Value,
    pub hash: String,
}

const WRITE_ATTEMPTS: usize = 4;

pub fn derived(cfg: &Config, case: &Case) -> Derived {
    let due_at = case.staff_deadline(&cfg.rules, &cfg.calendar).map(|d| d.due_at);
    let town = case.matter.location.org.and_then(|o| cfg.tree.town_of(o));
    let facts = redress_store::CaseFacts::of(case, town, due_at, &cfg.rules, &cfg.calendar);
    Derived { due_at, orgs: case_orgs(case), facts: Some(facts) }
}

fn new_code() -> TrackingCode {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    TrackingCode::from_random(b)
}

/// Checks and normalises the petitioner's data; returns it with a salt and its digest.
pub fn prepare_petitioner(mut p: Petitioner) -> AppResult<(Petitioner, Option<String>, bool)> {
    let trim = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    p.name = trim(p.name);
    p.phone = trim(p.phone);
    p.id_number = trim(p.id_number).map(|s| s.to_ascii_uppercase());
    p.address = trim(p.address);
    if p.name.as_ref().is_some_and(|n| n.chars().count() > 50) {
        return Err(AppError::invalid("petitioner.name", "姓名不能超过50字"));
    }
    if let Some(ph) = &p.phone {
        p.phone = Some(normalize_phone(ph).ok_or_else(|| AppError::invalid("petitioner.phone", "联系电话格式不正确，请填写手机号或带区号的固定电话"))?);
    }
    if p.id_number.as_deref().is_some_and(|id| !valid_id_number(id)) {
        return Err(AppError::invalid("petitioner.id_number", "身份证号码不正确，请核对（18位，末位可为X）"));
    }
    if p.address.as_ref().is_some_and(|a| a.chars().count() > 200) {
        return Err(AppError::invalid("petitioner.address", "住址不能超过200字"));
    }
    let anonymous = p.is_anonymous();
    if anonymous && p.address.is_none() {
        return Ok((p, None, true));
    }
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    p.salt = Some(hex::encode(salt));
    let digest = petitioner_digest(&p);
    Ok((p, Some(digest), anonymous))
}

/// SHA-256 of salt and data: lets `verify` prove the personal data was not altered.
pub fn petitioner_digest(p: &Petitioner) -> String {
    let body = Petitioner { salt: None, ..p.clone() };
    let mut h = Sha256::new();
    h.update(p.salt.as_deref().unwrap_or("").as_bytes());
    h.update(serde_json::to_string(&body).expect("petitioner serializes").as_bytes());
    hex::encode(h.finalize())
}

impl App {
    /// Registers a matter from any channel. `p` is the clerk, or `None` for the public portal
    /// and machine clients (then `actor` says who).
    pub async fn register(&self, p: Option<&Principal>, actor: Actor, intake: Intake) -> AppResult<Case> {
        let now = self.now();
        // A matter received at a leader's reception day (领导接待) is held by that leader (包案)
        // from registration on: the assignment is an event of the same transaction.
        let mut history = vec![];
        if intake.matter.channel == redress_domain::Channel::LeaderReception {
            if let Some(leader) = intake.matter.channel_details.reception_leader {
                let user = self
                    .store
                    .get_user(leader)
                    .await?
                    .filter(|u| !u.disabled)
                    .ok_or_else(|| AppError::invalid("channel_details.reception_leader", "接待领导不存在或已停用"))?;
                history.push((Command::AssignLeader { leader, leader_name: user.display_name }, actor.clone(), now));
            }
        }
        self.register_at(p, actor, intake, now, history).await
    }

    /// Registration with an explicit time and follow-on commands, all stored atomically
    /// (historical import, demo data).
    pub async fn register_at(
        &self,
        p: Option<&Principal>,
        actor: Actor,
        mut intake: Intake,
        at: DateTime<Utc>,
        history: Vec<(Command, Actor, DateTime<Utc>)>,
    ) -> AppResult<Case> {
        let cfg = self.cfg().await?;
        if let Some(p) = p {
            if !p.has_any(&[redress_domain::Role::IntakeClerk, redress_domain::Role::Admin]) {
                return Err(AppError::forbidden("登记须由登记员办理"));
            }
            if intake.matter.intake_org.0 == 0 {
                intake.matter.intake_org = p.user.org_id;
            }
        }
        self.check_references(&cfg, &intake.matter).await?;
        let (petitioner, digest, anonymous) = prepare_petitioner(intake.petitioner)?;
        if actor != Actor::Import {
            intake.matter.suggested_categories = self.suggested_categories_for(&intake.matter.subject, &intake.matter.content).await;
        } else {
            intake.matter.suggested_categories.clear();
        }
        let mut last_err = None;
        for _ in 0..WRITE_ATTEMPTS {
            let (mut case, first) = Case::register(intake.matter.clone(), new_code(), digest.clone(), anonymous, actor.clone(), at)?;
            let mut events = vec![first];
            for (cmd, who, when) in &history {
                let kind = case.decide(cmd, &self.ctx(&cfg, &case, *when).await?)?;
                let e = Event { at: *when, actor: who.clone(), kind };
                case.apply(&e);
                events.push(e);
            }
            let write = NewCaseWrite {
                derived: derived(&cfg, &case),
                case,
                events,
                personal: (!anonymous || petitioner.address.is_some()).then(|| petitioner.clone()),
            };
            match self.store.create_case(write).await {
                Ok((case, _)) => return Ok(case),
                Err(StoreError::Duplicate { field }) if field == "tracking_code" => last_err = Some(StoreError::Duplicate { field }),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_err.expect("attempted").into())
    }

    async fn check_references(&self, cfg: &Config, m: &NewCase) -> AppResult<()> {
        if cfg.tree.get(m.intake_org).is_none() {
            return Err(AppError::invalid("intake_org", "登记机关不存在"));
        }
        if let Some(o) = m.location.org {
            if cfg.tree.get(o).is_none() {
                return Err(AppError::invalid("location.org", "所在地不存在"));
            }
        }
        if let Some(c) = &m.category {
            if cfg.taxonomy.find(c).is_none() {
                return Err(AppError::invalid("category", format!("分类“{c}”不存在，请从分类目录中选择")));
            }
        }
        for id in m.related.iter().chain(m.same_matter_as.iter()) {
            if self.store.get_case(*id).await?.is_none() {
                return Err(AppError::invalid("related", format!("关联事项 {id} 不存在")));
            }
        }
        Ok(())
    }

    /// Facts from outside a case that its next decision needs.
    async fn ctx<'a>(&self, cfg: &'a Config, case: &Case, now: DateTime<Utc>) -> AppResult<Ctx<'a>> {
        let same_matter_final = match case.matter.same_matter_as {
            Some(id) if case.status == Status::Registered => {
                self.store.get_case(id).await?.is_some_and(|c| c.status == Status::Final)
            }
            _ => false,
        };
        let below = case.review.as_ref().and_then(|r| r.body).or(case.unit);
        let appeal_body = below.map(|u| {
            let body = cfg.tree.level_above(u);
            let name = views::org_name(cfg, body).unwrap_or_else(|| "上一级行政机关".to_string());
            (body, name)
        });
        Ok(Ctx { now, rules: &cfg.rules, calendar: &cfg.calendar, same_matter_final, appeal_body })
    }

    /// A staff member acts on a case.
    pub async fn act(&self, p: &Principal, id: CaseId, cmd: Command) -> AppResult<Case> {
        let action = cmd.key();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let cfg = self.cfg().await?;
            let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
            permissions::check(p, &cfg.tree, &action, &case)?;
            self.check_command_refs(p, &cfg, &cmd).await?;
            match self.apply(&cfg, case, &cmd, p.actor(), self.now(), false).await {
                Err(AppError::Store(StoreError::Conflict { .. })) if attempt < WRITE_ATTEMPTS => continue,
                Ok(case) => {
                    if let Command::Merge { target, .. } = &cmd {
                        self.link_back(&cfg, *target, id, p.actor()).await;
                    }
                    return Ok(case);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Decides and appends one command; the event and the new state land in one transaction.
    pub async fn apply(
        &self,
        cfg: &Config,
        case: Case,
        cmd: &Command,
        actor: Actor,
        now: DateTime<Utc>,
        purge_personal: bool,
    ) -> AppResult<Case> {
        let mut kind = case.decide(cmd, &self.ctx(cfg, &case, now).await?)?;
        if let redress_domain::EventKind::Routed { suggested, .. } = &mut kind {
            *suggested = self.suggested_units_for(&case).await;
        }
        self.append_event(cfg, case, Event { at: now, actor, kind }, purge_personal).await
    }

    pub async fn append_event(&self, cfg: &Config, case: Case, event: Event, purge_personal: bool) -> AppResult<Case> {
        let expected = case.version;
        let mut next = case;
        next.apply(&event);
        let write = AppendWrite { derived: derived(cfg, &next), case: next.clone(), expected_version: expected, events: vec![event], purge_personal };
        self.store.append(write).await?;
        Ok(next)
    }

    async fn check_command_refs(&self, p: &Principal, cfg: &Config, cmd: &Command) -> AppResult<()> {
        match cmd {
            Command::Route { unit, co_units, .. } => {
                for u in std::iter::once(unit).chain(co_units) {
                    if cfg.tree.get(*u).is_none() {
                        return Err(AppError::invalid("unit", format!("单位 {u} 不存在")));
                    }
                }
            }
            Command::Merge { target, .. } | Command::Link { other: target, .. } => {
                let t = self.store.get_case(*target).await?.ok_or_else(|| AppError::invalid("target", "目标事项不存在"))?;
                permissions::may_view(p, &t).map_err(|_| AppError::invalid("target", "目标事项不存在"))?;
                if matches!(cmd, Command::Merge { .. }) && t.status == Status::Merged {
                    return Err(AppError::invalid("target", "目标事项本身已被合并，请合并到主件"));
                }
            }
            Command::AssignLeader { leader, .. } => {
                let u = self.store.get_user(*leader).await?.ok_or_else(|| AppError::invalid("leader", "领导不存在"))?;
                if !u.roles.contains(&redress_domain::Role::Leader) || u.disabled {
                    return Err(AppError::invalid("leader", "所选人员不是包案领导"));
                }
                if p.has(redress_domain::Role::Leader) && !p.has_any(&[redress_domain::Role::Supervisor, redress_domain::Role::Admin]) && u.id != p.user.id {
                    return Err(AppError::forbidden("领导只能为本人包案"));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Records on the main case that a duplicate was merged into it.
    async fn link_back(&self, cfg: &Config, target: CaseId, from: CaseId, actor: Actor) {
        for _ in 0..WRITE_ATTEMPTS {
            let Ok(Some(t)) = self.store.get_case(target).await else { return };
            if t.links.contains(&from) {
                return;
            }
            let cmd = Command::Link { other: from, note: "重复件合并".into() };
            match self.apply(cfg, t, &cmd, actor.clone(), self.now(), false).await {
                Err(AppError::Store(StoreError::Conflict { .. })) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "could not link merged case back");
                    return;
                }
                Ok(_) => return,
            }
        }
    }

    /// The case as this person may see it.
    pub async fn case_view(&self, p: &Principal, id: CaseId) -> AppResult<CaseView> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        permissions::may_view(p, &case)?;
        let masked = if case.anonymous || case.personal_data_purged {
            None
        } else {
            self.store.personal_data(id).await?.map(|r| r.petitioner.masked())
        };
        self.view_of(p, case, masked).await
    }

    /// Builds the view from a case already in hand (no store reads), e.g. right after intake.
    pub async fn view_of(&self, p: &Principal, case: Case, masked: Option<Petitioner>) -> AppResult<CaseView> {
        let cfg = self.cfg().await?;
        let now = self.now();
        let warn = cfg.rules.warn_days;
        Ok(CaseView {
            id: case.id,
            number: case.number(),
            tracking_code: case.tracking_code.display(),
            status: case.status,
            status_label: case.status.label_zh(),
            channel_label: case.matter.channel.label_zh(),
            matter_type_label: case.matter.matter_type.label_zh(),
            category_label: case.matter.category.as_deref().and_then(|c| cfg.taxonomy.label(c)),
            unit_name: views::org_name(&cfg, case.unit),
            intake_org_name: views::org_name(&cfg, Some(case.matter.intake_org)),
            petitioner_masked: masked,
            deadline: case.staff_deadline(&cfg.rules, &cfg.calendar).map(|d| DeadlineView::new(d, now, warn)),
            appeal_window: case.appeal_window(&cfg.rules, &cfg.calendar).map(|d| DeadlineView::new(d, now, warn)),
            return_window: matches!(case.status, Status::Routed | Status::InProgress)
                .then(|| case.return_window(&cfg.rules, &cfg.calendar))
                .flatten()
                .map(|d| DeadlineView::new(d, now, warn)),
            allowed_actions: permissions::available_actions(p, &cfg.tree, &case)
                .into_iter()
                .map(|a| ActionView { action: a, label: redress_domain::transition::action_label(a) })
                .collect(),
            case,
        })
    }

    pub async fn case_history(&self, p: &Principal, id: CaseId) -> AppResult<Vec<HistoryItem>> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        permissions::may_view(p, &case)?;
        let events = self.store.case_events(id).await?;
        events.iter().map(history_item).collect()
    }

    pub async fn list_cases(&self, p: &Principal, q: CaseQuery) -> AppResult<(Vec<CaseRow>, i64)> {
        let cfg = self.cfg().await?;
        let (items, total) = self.store_cases(p, q).await?;
        let now = self.now();
        Ok((items.iter().map(|c| views::row(&cfg, c, now)).collect(), total))
    }

    /// Shows a petitioner's personal data unmasked; the view itself is recorded first.
    pub async fn reveal_personal(&self, p: &Principal, id: CaseId, purpose: &str) -> AppResult<Petitioner> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        permissions::may_view(p, &case)?;
        if !p.may_unmask() {
            return Err(AppError::forbidden("本角色不能查看信访人个人信息"));
        }
        if case.matter.confidential && !p.has_any(&[redress_domain::Role::IntakeClerk, redress_domain::Role::Admin, redress_domain::Role::Leader]) {
            return Err(AppError::forbidden("检举控告事项对信访人身份保密，承办单位不能查看（《信访工作条例》第三十条）"));
        }
        if purpose.trim().is_empty() {
            return Err(AppError::invalid("purpose", "请说明查看个人信息的事由"));
        }
        if case.personal_data_purged {
            return Err(AppError::NotFound("个人信息（已按保存期限清除）"));
        }
        let record = self.store.personal_data(id).await?.ok_or(AppError::NotFound("个人信息"))?;
        self.store
            .record_access(AccessRecord {
                at: self.now(),
                user_id: p.user.id,
                username: p.user.username.clone(),
                case_id: id,
                fields: ["name", "phone", "id_number", "address"].iter().map(|s| s.to_string()).collect(),
                purpose: purpose.trim().to_string(),
            })
            .await?;
        Ok(Petitioner { salt: None, ..record.petitioner })
    }

    /// The public status lookup: a tracking code gives status, dates and the reply.
    /// The subject is shown only with the last four digits of the petitioner's phone.
    pub async fn public_lookup(&self, code: &str, phone_last4: Option<&str>) -> AppResult<PublicView> {
        let code = TrackingCode::parse(code).map_err(|e| AppError::invalid("code", e.to_string()))?;
        let cfg = self.cfg().await?;
        let case = self.store.get_case_by_code(&code).await?.ok_or(AppError::NotFound("该查询码对应的事项"))?;
        let with_subject = match phone_last4 {
            Some(l4) if !case.anonymous && !case.personal_data_purged => self
                .store
                .personal_data(case.id)
                .await?
                .and_then(|r| r.petitioner.phone_last4())
                .is_some_and(|x| x == l4.trim()),
            _ => false,
        };
        let events: Vec<Event> = self.store.case_events(case.id).await?.iter().filter_map(|e| e.event().ok()).collect();
        Ok(views::public_view(&cfg, &case, &events, with_subject))
    }
}

pub fn history_item(e: &StoredEvent) -> AppResult<HistoryItem> {
    let ev = e.event().map_err(|err| AppError::Store(StoreError::Corrupt(format!("事件 {} 无法解析：{err}", e.seq))))?;
    let mut detail = serde_json::to_value(&ev.kind).unwrap_or_default();
    if let Some(o) = detail.as_object_mut() {
        o.remove("type");
        o.remove("petitioner_digest");
    }
    Ok(HistoryItem {
        seq: e.seq,
        version: e.case_version,
        at: e.at,
        actor: ev.actor.label(),
        kind: e.kind.clone(),
        label: ev.kind.label_zh(),
        detail,
        hash: e.hash.clone(),
    })
}

/// Types accepted as attachments, with the leading bytes that prove the type.
const ALLOWED_TYPES: &[(&str, &[u8])] = &[
    ("image/jpeg", b"\xFF\xD8\xFF"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", b"%PDF-"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    ("text/plain", b""),
];

pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Name, size and type (checked against the content) of an attachment, before anything is stored.
pub fn check_attachment(name: &str, mime: &str, bytes: &[u8]) -> AppResult<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) {
        return Err(AppError::invalid("filename", "文件名为空、过长或含有路径字符"));
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "文件内容为空"));
    }
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err(AppError::invalid("file", "附件不能超过10MB"));
    }
    let mime = mime.split(';').next().unwrap_or("").trim();
    let Some((_, magic)) = ALLOWED_TYPES.iter().find(|(m, _)| *m == mime) else {
        return Err(AppError::invalid("content_type", "只能上传 JPG、PNG、PDF、DOCX 或 TXT 文件"));
    };
    if !bytes.starts_with(magic) || (mime == "text/plain" && std::str::from_utf8(&bytes).is_err()) {
        return Err(AppError::invalid("file", "文件内容与声明的类型不符"));
    }
    Ok(())
}

impl App {
    /// Attaches a file: type checked against its content, size limited, stored by hash.
    pub async fn add_attachment(&self, p: &Principal, id: CaseId, name: &str, mime: &str, bytes: Vec<u8>) -> AppResult<Case> {
        let cfg = self.cfg().await?;
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        permissions::check(p, &cfg.tree, "add_note", &case)?;
        self.attach(&cfg, case, p.actor(), name, mime, bytes).await
    }

    /// A resident's attachment to the matter they have just submitted on the portal (only
    /// while it waits for acceptance).
    pub async fn add_public_attachment(&self, case: Case, name: &str, mime: &str, bytes: Vec<u8>) -> AppResult<Case> {
        if case.status != Status::Registered || case.registered_by.is_some() {
            return Err(AppError::forbidden("只能为刚提交、尚未受理的事项补充附件"));
        }
        let cfg = self.cfg().await?;
        self.attach(&cfg, case, Actor::Public, name, mime, bytes).await
    }

    async fn attach(&self, cfg: &Config, case: Case, actor: Actor, name: &str, mime: &str, bytes: Vec<u8>) -> AppResult<Case> {
        check_attachment(name, mime, &bytes)?;
        let name = name.trim();
        let mime = mime.split(';').next().unwrap_or("").trim();
        if case.status == Status::Archived {
            return Err(AppError::Domain(redress_domain::DomainError::Rule("已归档的事项不能再添加附件".into())));
        }
        let sha = hex::encode(Sha256::digest(&bytes));
        let attachment = redress_domain::case::Attachment { sha256: sha.clone(), name: name.to_string(), mime: mime.to_string(), size: bytes.len() as u64 };
        self.store.put_blob(&sha, mime, bytes).await?;
        let event = Event { at: self.now(), actor, kind: redress_domain::EventKind::AttachmentAdded { attachment } };
        self.append_event(cfg, case, event, false).await
    }

    /// An attachment's content, for someone who may see the case it belongs to.
    pub async fn attachment(&self, p: &Principal, id: CaseId, sha256: &str) -> AppResult<(String, String, Vec<u8>)> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        permissions::may_view(p, &case)?;
        let a = case.attachments.iter().find(|a| a.sha256 == sha256).ok_or(AppError::NotFound("附件"))?;
        let (mime, bytes) = self.store.get_blob(sha256).await?.ok_or(AppError::NotFound("附件内容"))?;
        Ok((a.name.clone(), mime, bytes))
    }
}
