//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>) under `/open311/v2`, in JSON
//! and XML as the suffix asks (`services.json`, `requests/ID.xml`), plus the discovery document
//! at `/open311/discovery.{json,xml}`. Errors are the spec's list of `{code, description}` with
//! the same HTTP status (400 bad or missing parameter, 403 bad `api_key`, 404 unknown service or
//! request). What a request shows, and why descriptions are withheld, is decided and documented
//! in `redress_app::open311`; this module only parses parameters and writes the two formats.
//! The XML is written by hand: a small tree, escaped text, no dependency.

use std::net::SocketAddr;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use redress_app::open311::{self as o, RequestFilter, RequestView, Submission};
use redress_app::AppError;
use redress_domain::DomainError;
use redress_store::{ApiToken, StoreError};

use crate::AppState;

/// When this implementation last changed in a way clients could notice (discovery `changeset`).
pub const CHANGESET: &str = "2026-03-01T00:00:00+08:00";
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/:file", get(discovery))
        .route("/open311/v2/:file", get(get_collection).post(post_collection))
        .route("/open311/v2/services/:file", get(get_service))
        .route("/open311/v2/requests/:file", get(get_request))
        .route("/open311/v2/tokens/:file", get(get_token))
}

// ---------------------------------------------------------------- formats

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Json,
    Xml,
}

/// `name.json` → (`name`, Json). Anything else is not a resource we have.
fn split(file: &str) -> Result<(&str, Fmt), Failure> {
    let (stem, ext) = file.rsplit_once('.').ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, format!("“{file}”缺少格式后缀，请用 .json 或 .xml")))?;
    let fmt = match ext.to_ascii_lowercase().as_str() {
        "json" => Fmt::Json,
        "xml" => Fmt::Xml,
        _ => return Err(Failure::new(StatusCode::NOT_FOUND, format!("不支持的格式“.{ext}”，请用 .json 或 .xml"))),
    };
    Ok((stem, fmt))
}

/// A value written as JSON or XML. Lists name their XML item element.
#[derive(Debug, Clone)]
pub enum Node {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    List(&'static str, Vec<Node>),
    Obj(Vec<(&'static str, Node)>),
}

impl Node {
    fn opt(v: Option<String>) -> Node {
        v.map_or(Node::Null, Node::Text)
    }

    fn text(v: impl Into<String>) -> Node {
        Node::Text(v.into())
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Text(s) => Value::String(s.clone()),
            Node::Int(i) => Value::from(*i),
            Node::Bool(b) => Value::Bool(*b),
            Node::List(_, items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Obj(fields) => Value::Object(fields.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect()),
        }
    }

    /// The document with `root` as its outermost element.
    pub fn to_xml(&self, root: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        self.write_xml(root, &mut out);
        out.push('\n');
        out
    }

    fn write_xml(&self, name: &str, out: &mut String) {
        match self {
            Node::Null => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
                return;
            }
            _ => {
                out.push('<');
                out.push_str(name);
                out.push('>');
            }
        }
        match self {
            Node::Null => unreachable!(),
            Node::Text(s) => escape_into(s, out),
            Node::Int(i) => out.push_str(&i.to_string()),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::List(item, items) => items.iter().for_each(|n| n.write_xml(item, out)),
            Node::Obj(fields) => fields.iter().for_each(|(k, v)| v.write_xml(k, out)),
        }
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

/// Escapes XML text and drops characters XML 1.0 cannot carry (the documents' escaping).
pub use redress_app::documents::docx::xml_escape_into as escape_into;

fn respond(status: StatusCode, fmt: Fmt, root: &str, body: Node) -> Response {
    let (ctype, text) = match fmt {
        Fmt::Json => ("application/json; charset=utf-8", body.to_json().to_string()),
        Fmt::Xml => ("text/xml; charset=utf-8", body.to_xml(root)),
    };
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(ctype))], text).into_response()
}

// ---------------------------------------------------------------- errors

/// A failure in the spec's format: `[{"code": 400, "description": "…"}]`.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    description: String,
    retry_after: Option<u64>,
    fmt: Fmt,
}

impl Failure {
    fn new(status: StatusCode, description: impl Into<String>) -> Failure {
        Failure { status, description: description.into(), retry_after: None, fmt: Fmt::Json }
    }

    fn bad(description: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, description)
    }

    fn in_fmt(mut self, fmt: Fmt) -> Failure {
        self.fmt = fmt;
        self
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        let with_field = |field: &str, message: &str| if message.contains(field) { message.to_string() } else { format!("{field}：{message}") };
        let (status, description) = match &e {
            AppError::Invalid { field, message } => (StatusCode::BAD_REQUEST, with_field(field, message)),
            AppError::Domain(DomainError::Invalid { field, message }) => (StatusCode::BAD_REQUEST, with_field(field, message)),
            AppError::Domain(_) => (StatusCode::BAD_REQUEST, e.to_string()),
            AppError::NotFound(what) => (StatusCode::NOT_FOUND, format!("{what}不存在")),
            AppError::Store(StoreError::NotFound) => (StatusCode::NOT_FOUND, e.to_string()),
            AppError::Unauthenticated => (StatusCode::FORBIDDEN, "api_key 无效、已吊销或不是 Open311 客户端密钥".to_string()),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "请求过于频繁，请稍后再试".to_string()),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            AppError::Store(StoreError::Unavailable(_) | StoreError::ReadOnly(_)) | AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误，请稍后再试".to_string()),
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "open311 request failed");
        }
        let retry_after = match e {
            AppError::RateLimited { retry_after_secs } => Some(retry_after_secs),
            AppError::Store(StoreError::Unavailable(_)) => Some(2),
            _ => None,
        };
        Failure { status, description, retry_after, fmt: Fmt::Json }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = Node::List("error", vec![Node::Obj(vec![("code", Node::Int(self.status.as_u16() as i64)), ("description", Node::Text(self.description))])]);
        let mut resp = respond(self.status, self.fmt, "errors", body);
        if let Some(s) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

type Answer = Result<Response, Failure>;

// ---------------------------------------------------------------- parameters

/// Query or form parameters; a name may repeat and values may be comma lists.
struct Params(Vec<(String, String)>);

impl Params {
    fn first(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string())
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).flat_map(|(_, v)| v.split(',')).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }
}

fn query(q: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Result<Params, Failure> {
    q.map(|Query(v)| Params(v)).map_err(|e| Failure::bad(format!("查询参数无法解析：{e}")))
}

/// A W3C datetime (`2026-03-01T00:00:00Z`, `…+08:00`), a local datetime without offset or a bare
/// date, read as Beijing time; a bare end date means the last instant of that day.
fn parse_time(name: &str, v: &str, end: bool) -> Result<DateTime<Utc>, Failure> {
    let china = redress_domain::china_offset();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        if let Some(t) = china.from_local_datetime(&t).single() {
            return Ok(t.with_timezone(&Utc));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let t = if end { d.and_hms_micro_opt(23, 59, 59, 999_999) } else { d.and_hms_opt(0, 0, 0) };
        if let Some(t) = china.from_local_datetime(&t.expect("valid time of day")).single() {
            return Ok(t.with_timezone(&Utc));
        }
    }
    Err(Failure::bad(format!("{name}“{v}”不是有效的时间，请用 W3C 格式，如 2026-03-01T00:00:00+08:00")))
}

/// The client named by `api_key`, if the request carries one (an invalid key is refused).
async fn viewer(s: &AppState, p: &Params) -> Result<Option<ApiToken>, Failure> {
    match p.first("api_key") {
        Some(k) => Ok(Some(s.app.open311_client(&k).await?)),
        None => Ok(None),
    }
}

fn client_of(connect: &Option<ConnectInfo<SocketAddr>>) -> String {
    connect.as_ref().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "local".into())
}

async fn limit(s: &AppState, connect: &Option<ConnectInfo<SocketAddr>>) -> Result<(), Failure> {
    s.open311_limiter.check(&s.app, &client_of(connect)).await.map_err(|secs| Failure::from(AppError::RateLimited { retry_after_secs: secs }))
}

// ---------------------------------------------------------------- handlers

async fn discovery(State(s): State<AppState>, headers: HeaderMap, Path(file): Path<String>) -> Answer {
    let (stem, fmt) = split(&file)?;
    if stem != "discovery" {
        return Err(Failure::new(StatusCode::NOT_FOUND, format!("没有“{stem}”这项资源")).in_fmt(fmt));
    }
    let cfg = s.app.cfg().await.map_err(|e| Failure::from(e).in_fmt(fmt))?;
    let mut roots: Vec<_> = cfg.tree.all().filter(|o| o.parent.is_none()).collect();
    roots.sort_by_key(|o| o.id);
    let place = roots.first().map_or("本地", |o| o.name.as_str());
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|p| *p == "https" || *p == "http").unwrap_or("http");
    let endpoint = Node::Obj(vec![
        ("specification", Node::text(SPECIFICATION)),
        ("url", Node::Text(format!("{scheme}://{host}/open311/v2"))),
        ("changeset", Node::text(CHANGESET)),
        ("type", Node::text("production")),
        ("formats", Node::List("format", vec![Node::text("application/json"), Node::text("text/xml")])),
    ]);
    let doc = Node::Obj(vec![
        ("changeset", Node::text(CHANGESET)),
        ("contact", Node::Text(format!("{place}诉求办理平台（网上信访）管理员"))),
        ("key_service", Node::text("提交诉求需要 api_key，由平台管理员签发（redress open311 key add 客户端名称）；查询服务和诉求无需密钥")),
        ("endpoints", Node::List("endpoint", vec![endpoint])),
    ]);
    Ok(respond(StatusCode::OK, fmt, "discovery", doc))
}

/// `GET services.{fmt}` and `GET requests.{fmt}`.
async fn get_collection(
    State(s): State<AppState>,
    connect: Option<ConnectInfo<SocketAddr>>,
    Path(file): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let (stem, fmt) = split(&file)?;
    let run = async {
        limit(&s, &connect).await?;
        let p = query(q)?;
        match stem {
            "services" => {
                let cfg = s.app.cfg().await?;
                let list = o::services(&cfg.taxonomy).into_iter().map(service_node).collect();
                Ok(respond(StatusCode::OK, fmt, "services", Node::List("service", list)))
            }
            "requests" => {
                let viewer = viewer(&s, &p).await?;
                let f = RequestFilter {
                    ids: p.list("service_request_id"),
                    service_codes: p.list("service_code"),
                    start: p.first("start_date").map(|v| parse_time("start_date", &v, false)).transpose()?,
                    end: p.first("end_date").map(|v| parse_time("end_date", &v, true)).transpose()?,
                    open: p
                        .list("status")
                        .iter()
                        .map(|v| match v.to_ascii_lowercase().as_str() {
                            "open" => Ok(true),
                            "closed" => Ok(false),
                            _ => Err(Failure::bad(format!("status“{v}”无效，可选 open 或 closed"))),
                        })
                        .collect::<Result<_, _>>()?,
                };
                let list = s.app.open311_requests(&f, viewer.as_ref()).await?;
                Ok(requests_answer(StatusCode::OK, fmt, &list))
            }
            _ => Err(Failure::new(StatusCode::NOT_FOUND, format!("没有“{stem}”这项资源"))),
        }
    };
    run.await.map_err(|e: Failure| e.in_fmt(fmt))
}

/// `POST requests.{fmt}`: form-encoded, with `api_key`.
async fn post_collection(
    State(s): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Answer {
    let (stem, fmt) = split(&file)?;
    let run = async {
        if stem != "requests" {
            return Err(Failure::new(StatusCode::NOT_FOUND, format!("“{stem}”不接受提交；提交诉求请 POST requests.{}", if fmt == Fmt::Xml { "xml" } else { "json" })));
        }
        let mut p = query(q)?;
        let Form(body) = form.map_err(|e| Failure::bad(format!("请求体须为 application/x-www-form-urlencoded 表单：{e}")))?;
        p.0.extend(body);
        let key = p.first("api_key").ok_or_else(|| Failure::new(StatusCode::FORBIDDEN, "缺少 api_key：提交诉求需要平台签发的 Open311 客户端密钥"))?;
        let client = s.app.open311_client(&key).await?;
        let sub = Submission {
            service_code: p.first("service_code"),
            description: p.first("description"),
            lat: p.first("lat"),
            long: p.first("long"),
            address_string: p.first("address_string"),
            address_id: p.first("address_id"),
            first_name: p.first("first_name"),
            last_name: p.first("last_name"),
            phone: p.first("phone"),
            email: p.first("email"),
            media_url: p.first("media_url"),
            attributes: p
                .0
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("attribute[").and_then(|r| r.strip_suffix(']')).map(|c| (c.to_string(), v.clone())))
                .collect(),
        };
        let done = s.app.open311_submit(&client, sub).await?;
        tracing::info!(client = %client.name, code = %done.service_request_id, "open311 request registered");
        let node = Node::Obj(vec![
            ("service_request_id", Node::Text(done.service_request_id)),
            ("service_notice", Node::Text(done.service_notice)),
            ("account_id", Node::Null),
        ]);
        Ok(respond(StatusCode::CREATED, fmt, "service_requests", Node::List("request", vec![node])))
    };
    run.await.map_err(|e: Failure| e.in_fmt(fmt))
}

async fn get_service(State(s): State<AppState>, Path(file): Path<String>) -> Answer {
    let (code, fmt) = split(&file)?;
    let run = async {
        let cfg = s.app.cfg().await?;
        let svc = o::service(&cfg.taxonomy, code).ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, format!("服务代码“{code}”不存在，可用代码见 services.json")))?;
        let attrs = o::attributes()
            .into_iter()
            .map(|a| {
                let values = a.values.iter().map(|(k, n)| Node::Obj(vec![("key", Node::text(*k)), ("name", Node::text(*n))])).collect();
                Node::Obj(vec![
                    ("variable", Node::Bool(true)),
                    ("code", Node::text(a.code)),
                    ("datatype", Node::text(a.datatype)),
                    ("required", Node::Bool(a.required)),
                    ("datatype_description", Node::text(a.datatype_description)),
                    ("order", Node::Int(a.order as i64)),
                    ("description", Node::text(a.description)),
                    ("values", Node::List("value", values)),
                ])
            })
            .collect();
        let def = Node::Obj(vec![("service_code", Node::Text(svc.service_code)), ("attributes", Node::List("attribute", attrs))]);
        Ok(respond(StatusCode::OK, fmt, "service_definition", def))
    };
    run.await.map_err(|e: Failure| e.in_fmt(fmt))
}

async fn get_request(
    State(s): State<AppState>,
    connect: Option<ConnectInfo<SocketAddr>>,
    Path(file): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let (id, fmt) = split(&file)?;
    let run = async {
        limit(&s, &connect).await?;
        let p = query(q)?;
        let viewer = viewer(&s, &p).await?;
        let view = s.app.open311_request(id, viewer.as_ref()).await?;
        Ok(requests_answer(StatusCode::OK, fmt, &[view]))
    };
    run.await.map_err(|e: Failure| e.in_fmt(fmt))
}

/// We answer POST with the request id at once, so a token is the id itself: this maps a token
/// to its request when such a request exists.
async fn get_token(State(s): State<AppState>, connect: Option<ConnectInfo<SocketAddr>>, Path(file): Path<String>) -> Answer {
    let (token, fmt) = split(&file)?;
    let run = async {
        limit(&s, &connect).await?;
        let view = s.app.open311_request(token, None).await?;
        let node = Node::Obj(vec![("service_request_id", Node::Text(view.service_request_id)), ("token", Node::text(token))]);
        Ok(respond(StatusCode::OK, fmt, "service_requests", Node::List("request", vec![node])))
    };
    run.await.map_err(|e: Failure| e.in_fmt(fmt))
}

fn service_node(svc: o::Service) -> Node {
    Node::Obj(vec![
        ("service_code", Node::Text(svc.service_code)),
        ("service_name", Node::Text(svc.service_name)),
        ("description", Node::Text(svc.description)),
        ("metadata", Node::Bool(svc.metadata)),
        ("type", Node::text(svc.service_type)),
        ("keywords", Node::Text(svc.keywords)),
        ("group", Node::Text(svc.group)),
    ])
}

fn request_node(r: &RequestView) -> Node {
    let mut fields = vec![
        ("service_request_id", Node::text(&r.service_request_id)),
        ("status", Node::text(r.status)),
        ("status_notes", Node::text(&r.status_notes)),
        ("service_name", Node::opt(r.service_name.clone())),
        ("service_code", Node::opt(r.service_code.clone())),
    ];
    if let Some(d) = &r.description {
        fields.push(("description", Node::text(d)));
    }
    fields.extend([
        ("agency_responsible", Node::opt(r.agency_responsible.clone())),
        ("service_notice", Node::opt(r.service_notice.clone())),
        ("requested_datetime", Node::text(&r.requested_datetime)),
        ("updated_datetime", Node::text(&r.updated_datetime)),
        ("expected_datetime", Node::opt(r.expected_datetime.clone())),
        ("address", Node::opt(r.address.clone())),
        ("address_id", Node::opt(r.address_id.clone())),
        ("zipcode", Node::Null),
    ]);
    if let Some(m) = &r.media_url {
        fields.push(("media_url", Node::text(m)));
    }
    Node::Obj(fields)
}

fn requests_answer(status: StatusCode, fmt: Fmt, list: &[RequestView]) -> Response {
    respond(status, fmt, "service_requests", Node::List("request", list.iter().map(request_node).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_escaped_and_lists_name_their_items() {
        let n = Node::List("request", vec![Node::Obj(vec![("a", Node::text("<b> & \"c\" 'd'\u{1}")), ("n", Node::Null), ("l", Node::List("x", vec![Node::Int(1), Node::Bool(false)]))])]);
        assert_eq!(
            n.to_xml("service_requests"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request><a>&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</a><n/><l><x>1</x><x>false</x></l></request></service_requests>\n"
        );
        assert_eq!(n.to_json(), serde_json::json!([{ "a": "<b> & \"c\" 'd'\u{1}", "n": null, "l": [1, false] }]));
    }

    #[test]
    fn suffix_selects_the_format() {
        assert_eq!(split("01.02.xml").unwrap(), ("01.02", Fmt::Xml));
        assert_eq!(split("services.JSON").unwrap(), ("services", Fmt::Json));
        assert_eq!(split("services.html").unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(split("services").unwrap_err().status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn times_accept_w3c_local_and_bare_dates() {
        assert_eq!(parse_time("start_date", "2026-03-01T00:00:00Z", false).unwrap().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(parse_time("start_date", "2026-03-01", false).unwrap().to_rfc3339(), "2026-02-28T16:00:00+00:00");
        assert_eq!(parse_time("end_date", "2026-03-01", true).unwrap().to_rfc3339(), "2026-03-01T15:59:59.999999+00:00");
        assert_eq!(parse_time("end_date", "yesterday", true).unwrap_err().status, StatusCode::BAD_REQUEST);
    }
}
