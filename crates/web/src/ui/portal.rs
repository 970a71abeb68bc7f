//! The public portal (群众端): submit a matter, get a tracking code and a printable receipt,
//! look a case up, rate the reply, ask for 复查; the reception schedule and open statistics.
//! Nothing personal is ever shown here.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use redress_app::portal::{PublicStats, Reception, Submission, CLOSED_RATE_DEFINITION, SATISFIED_RATE_DEFINITION};
use redress_app::views::PublicView;
use redress_app::AppError;
use redress_domain::case::{MatterType, Satisfaction};
use redress_domain::{local_date, OrgId, Status};
use serde::Deserialize;

use super::forms::{self, enum_options, local_time, split_error, Fields, Options};
use super::{client_of, error_page, render, render_status, text};
use crate::AppState;

/// A submission with attachments: 3 files of 10 MB and the text.
pub const SUBMIT_LIMIT: usize = 3 * redress_app::cases::ATTACHMENT_MAX_BYTES + 256 * 1024;
const MAX_FILES: usize = 3;

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    stats: PublicStats,
    as_of: String,
    closed_def: &'static str,
    satisfied_def: &'static str,
    receptions: Vec<Reception>,
}

pub async fn home(State(s): State<AppState>) -> Response {
    let stats = match s.app.public_stats().await {
        Ok(st) => st,
        Err(e) => {
            tracing::warn!(error = %e, "open statistics unavailable");
            PublicStats::default()
        }
    };
    let receptions = s.app.upcoming_receptions(local_date(s.app.now())).await.unwrap_or_default();
    render(&HomePage {
        as_of: stats.as_of.map(local_time).unwrap_or_else(|| "—".into()),
        stats,
        closed_def: CLOSED_RATE_DEFINITION,
        satisfied_def: SATISFIED_RATE_DEFINITION,
        receptions,
    })
}

#[derive(Template)]
#[template(path = "portal/submit.html")]
struct SubmitPage {
    csrf: String,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    error: Option<String>,
    matter_type_options: Options,
    place_options: Options,
}

impl SubmitPage {
    fn err(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    fn val(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

async fn places(s: &AppState) -> Options {
    s.app.cfg().await.map(|cfg| forms::place_options(&cfg)).unwrap_or_default()
}

fn submit_page(csrf: String, places: Options, values: HashMap<String, String>, errors: HashMap<String, String>, error: Option<String>) -> SubmitPage {
    SubmitPage {
        csrf,
        values,
        errors,
        error,
        matter_type_options: enum_options(MatterType::ALL, MatterType::key, MatterType::label_zh),
        place_options: places,
    }
}

pub async fn submit_form(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, set) = forms::form_token(&headers, s.secure_cookies);
    (set, render(&submit_page(csrf, places(&s).await, HashMap::new(), HashMap::new(), None))).into_response()
}

#[derive(Template)]
#[template(path = "portal/receipt.html")]
struct ReceiptPage {
    code: String,
    code_raw: String,
    at: String,
    subject: String,
    office: String,
    attachments: usize,
    anonymous: bool,
    notice: &'static str,
    warnings: Vec<String>,
}

struct Upload {
    name: String,
    mime: String,
    bytes: Vec<u8>,
}

/// Reads the multipart form: text fields and up to three files.
async fn read_form(mut mp: Multipart) -> Result<(Fields, Vec<Upload>), AppError> {
    let mut fields = vec![];
    let mut files = vec![];
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(AppError::TooLarge("提交内容过大：附件每个不超过10MB，最多3个".into())),
            Err(_) => return Err(AppError::invalid("file", "表单内容无法读取，请重新提交")),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "files" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let mime = field.content_type().unwrap_or("application/octet-stream").to_string();
            let bytes = field.bytes().await.map_err(|_| AppError::TooLarge("附件过大：每个不超过10MB".into()))?;
            if file_name.is_empty() && bytes.is_empty() {
                continue; // the empty file input
            }
            if files.len() >= MAX_FILES {
                return Err(AppError::invalid("file", "最多上传3个附件"));
            }
            files.push(Upload { name: file_name, mime, bytes: bytes.to_vec() });
        } else {
            let value = field.text().await.map_err(|_| AppError::invalid(&name, "内容无法读取"))?;
            fields.push((name, value));
        }
    }
    Ok((Fields(fields), files))
}

pub async fn submit(State(s): State<AppState>, connect: Option<ConnectInfo<SocketAddr>>, headers: HeaderMap, mp: Multipart) -> Response {
    let (csrf, set) = forms::form_token(&headers, s.secure_cookies);
    let (f, files) = match read_form(mp).await {
        Ok(x) => x,
        Err(e) => {
            let status = crate::error::ApiError(e).status();
            return error_page(status, "提交未成功", "提交内容过大或无法读取：附件每个不超过10MB，最多3个。请返回修改后重新提交。", "/submit");
        }
    };
    if !forms::form_token_ok(&headers, &f) {
        return (set, render_status(StatusCode::FORBIDDEN, &submit_page(csrf, places(&s).await, f.values(), HashMap::new(), Some(text::CSRF_FAILED.into())))).into_response();
    }
    if let Err(secs) = s.submit_limiter.check(&s.app, &client_of(&connect)).await {
        let msg = format!("提交过于频繁，请{secs}秒后再试。您填写的内容已保留。");
        return (set, render_status(StatusCode::TOO_MANY_REQUESTS, &submit_page(csrf, places(&s).await, f.values(), HashMap::new(), Some(msg)))).into_response();
    }
    let sub = Submission {
        matter_type: MatterType::parse(f.get("matter_type")),
        category: None,
        subject: f.get("subject").to_string(),
        content: f.get("content").to_string(),
        place: f.get("place").parse::<i64>().ok().map(OrgId),
        address: f.get("address").to_string(),
        anonymous: f.checked("anonymous"),
        name: f.get("name").to_string(),
        phone: f.get("phone").to_string(),
    };
    // Check the files before registering, so a bad file loses nothing.
    for u in &files {
        if let Err(e) = redress_app::cases::check_attachment(&u.name, &u.mime, &u.bytes) {
            let (errors, general) = split_error(&e);
            let errors = if errors.is_empty() { HashMap::from([("file".to_string(), general.unwrap_or_default())]) } else { errors };
            let errors = errors.into_iter().map(|(_, m)| ("file".to_string(), format!("附件“{}”：{m}", u.name))).collect();
            return (set, render_status(StatusCode::UNPROCESSABLE_ENTITY, &submit_page(csrf, places(&s).await, f.values(), errors, Some("附件有误，请按提示修改".into())))).into_response();
        }
    }
    match s.app.public_submit(sub).await {
        Ok(mut case) => {
            let mut warnings = vec![];
            let mut attached = 0;
            for u in files {
                match s.app.add_public_attachment(case.clone(), &u.name, &u.mime, u.bytes).await {
                    Ok(c) => {
                        case = c;
                        attached += 1;
                    }
                    Err(e) => warnings.push(format!("附件“{}”未能保存：{e}。事项已登记，可在受理时补交。", u.name)),
                }
            }
            let cfg = s.app.cfg().await.ok();
            let office = cfg.as_ref().and_then(|c| redress_app::views::org_name(c, Some(case.matter.intake_org))).unwrap_or_default();
            let page = ReceiptPage {
                code: case.tracking_code.display(),
                code_raw: case.tracking_code.display().replace(['-', ' '], ""),
                at: local_time(case.registered_at),
                subject: case.matter.subject.clone(),
                office,
                attachments: attached,
                anonymous: case.anonymous,
                notice: text::SUBMIT_NOTICE,
                warnings,
            };
            (set, render_status(StatusCode::CREATED, &page)).into_response()
        }
        Err(e) => {
            let (errors, general) = split_error(&e);
            let status = if errors.is_empty() { crate::error::ApiError(e).status() } else { StatusCode::UNPROCESSABLE_ENTITY };
            let msg = general.unwrap_or_else(|| "提交未成功，请按提示修改。您填写的内容已保留。".into());
            (set, render_status(status, &submit_page(csrf, places(&s).await, f.values(), errors, Some(msg)))).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "portal/lookup.html")]
struct LookupPage {
    csrf: String,
    code: String,
    phone4: String,
    view: Option<PublicView>,
    may_rate: bool,
    may_review: bool,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LookupQuery {
    code: Option<String>,
    phone4: Option<String>,
    done: Option<String>,
}

async fn lookup_page(s: &AppState, client: &str, csrf: String, code: &str, phone4: &str, message: Option<String>, error: Option<String>) -> (StatusCode, LookupPage) {
    let mut page = LookupPage { csrf, code: code.to_string(), phone4: phone4.to_string(), view: None, may_rate: false, may_review: false, message, error };
    if code.is_empty() {
        return (StatusCode::OK, page);
    }
    if let Err(secs) = s.lookup_limiter.check(&s.app, client).await {
        page.error = Some(format!("查询过于频繁，请{secs}秒后再试"));
        return (StatusCode::TOO_MANY_REQUESTS, page);
    }
    match s.app.public_lookup(code, Some(phone4).filter(|p| !p.is_empty())).await {
        Ok(v) => {
            // Proven: phone digits matched (the subject is then shown), or a case with no phone.
            let proven = v.subject.is_some() || s.app.public_case_without_phone(code).await.unwrap_or(false);
            page.may_rate = proven && v.status == Status::Replied;
            page.may_review = proven && v.appeal_deadline.is_some_and(|d| d >= local_date(s.app.now())) && matches!(v.status, Status::Replied | Status::FollowedUp | Status::Closed);
            if !proven && !phone4.is_empty() {
                page.error = Some("手机号后四位与登记信息不符，只显示办理状态。".into());
            }
            page.view = Some(v);
            (StatusCode::OK, page)
        }
        Err(e) => {
            let status = crate::error::ApiError(AppError::invalid("code", "")).status();
            page.error = Some(e.to_string());
            (if matches!(e, AppError::NotFound(_)) { StatusCode::NOT_FOUND } else { status }, page)
        }
    }
}

pub async fn lookup(State(s): State<AppState>, connect: Option<ConnectInfo<SocketAddr>>, headers: HeaderMap, Query(q): Query<LookupQuery>) -> Response {
    let (csrf, set) = forms::form_token(&headers, s.secure_cookies);
    let message = q.done.as_deref().map(|d| match d {
        "rate" => "感谢您的评价。".to_string(),
        _ => "复查申请已提交，复查机关将在30日内作出复查意见。".to_string(),
    });
    let (status, page) = lookup_page(&s, &client_of(&connect), csrf, q.code.as_deref().unwrap_or("").trim(), q.phone4.as_deref().unwrap_or("").trim(), message, None).await;
    (set, render_status(status, &page)).into_response()
}

async fn petitioner_action(s: AppState, connect: Option<ConnectInfo<SocketAddr>>, headers: HeaderMap, body: Bytes, what: &'static str) -> Response {
    let f = Fields::parse(&body);
    let (csrf, set) = forms::form_token(&headers, s.secure_cookies);
    let client = client_of(&connect);
    let (code, phone4) = (f.get("code").to_string(), f.get("phone4").to_string());
    if !forms::form_token_ok(&headers, &f) {
        let (_, page) = lookup_page(&s, &client, csrf, &code, &phone4, None, Some(text::CSRF_FAILED.into())).await;
        return (set, render_status(StatusCode::FORBIDDEN, &page)).into_response();
    }
    if let Err(secs) = s.lookup_limiter.check(&s.app, &client).await {
        return error_page(StatusCode::TOO_MANY_REQUESTS, "操作过于频繁", &format!("请{secs}秒后再试"), "/lookup");
    }
    let result = match what {
        "rate" => match Satisfaction::parse(f.get("satisfaction")) {
            Some(sat) => s.app.public_rate(&code, &phone4, sat, f.get("note")).await,
            None => Err(AppError::invalid("satisfaction", "请选择满意程度")),
        },
        _ => s.app.public_request_review(&code, &phone4, f.get("reason")).await,
    };
    match result {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("code", code.as_str()), ("phone4", phone4.as_str()), ("done", what)]).unwrap_or_default();
            super::see_other(&format!("/lookup?{q}"), set)
        }
        Err(e) => {
            let (_, page) = lookup_page(&s, &client, csrf, &code, &phone4, None, Some(e.to_string())).await;
            (set, render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)).into_response()
        }
    }
}

pub async fn rate(State(s): State<AppState>, connect: Option<ConnectInfo<SocketAddr>>, headers: HeaderMap, body: Bytes) -> Response {
    petitioner_action(s, connect, headers, body, "rate").await
}

pub async fn review(State(s): State<AppState>, connect: Option<ConnectInfo<SocketAddr>>, headers: HeaderMap, body: Bytes) -> Response {
    petitioner_action(s, connect, headers, body, "review").await
}
