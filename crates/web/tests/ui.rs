//! The console and portal pages through the router, as a browser without JavaScript would use
//! them: forms, cookies, CSRF tokens, redirects. Escaping, authorization by role and the
//! security headers are checked here; the Playwright tests drive the same pages in Chromium.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use chrono::Duration;
use common::{harness, Backend, H};
use serde_json::json;

/// A browser: a cookie jar over the harness's router.
struct Browser<'a> {
    h: &'a H,
    router: axum::Router,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    html: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        between(&self.html, "name=\"csrf\" value=\"", "\"").unwrap_or_else(|| panic!("no csrf field in page ({}):\n{}", self.status, self.text()))
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_string())
}

impl<'a> Browser<'a> {
    fn new(h: &'a H) -> Browser<'a> {
        Browser { h, router: h.router.clone(), cookies: HashMap::new() }
    }

    fn with_router(h: &'a H, router: axum::Router) -> Browser<'a> {
        Browser { h, router, cookies: HashMap::new() }
    }

    async fn send(&mut self, req: Request<Body>) -> Page {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let bytes = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
        Page { status, headers, html: String::from_utf8_lossy(&bytes).into_owned() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = Request::builder().uri(path).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(form).unwrap();
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// The portal's submission form: text fields and files under `files`.
    async fn multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Page {
        self.multipart_as(path, fields, "files", files).await
    }

    async fn multipart_as(&mut self, path: &str, fields: &[(&str, &str)], file_field: &str, files: &[(&str, &str, &[u8])]) -> Page {
        let boundary = "----redress-test-boundary";
        let mut body: Vec<u8> = vec![];
        for (k, v) in fields {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        for (name, mime, bytes) in files {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n").as_bytes());
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Posts one file (field `file`) with the CSRF token, as the case page's upload form does.
    async fn multipart_file(&mut self, path: &str, csrf: &str, name: &str, mime: &str, bytes: &[u8]) -> Page {
        self.multipart_as(path, &[("csrf", csrf)], "file", &[(name, mime, bytes)]).await
    }

    /// Signs in through the login form; returns the workbench.
    async fn login(&mut self, user: &str) -> Page {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        let r = self.post("/console/login", &[("csrf", &csrf), ("username", user), ("password", redress_app::demo::DEMO_PASSWORD), ("next", "/console")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{user} login: {}", r.text());
        let wb = self.get("/console").await;
        assert_eq!(wb.status, StatusCode::OK, "{user} workbench: {}", wb.text());
        wb
    }

    /// Posts an action form from the case page (with its CSRF token and version).
    async fn act(&mut self, id: i64, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(&format!("/console/cases/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let csrf = page.csrf();
        let version = between(&page.html, "name=\"version\" value=\"", "\"").unwrap_or_default();
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("action", action), ("version", &version)];
        form.extend_from_slice(fields);
        self.post(&format!("/console/cases/{id}/act"), &form).await
    }

    async fn act_ok(&mut self, id: i64, action: &str, fields: &[(&str, &str)]) {
        let r = self.act(id, action, fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text());
        let after = self.get(r.location()).await;
        assert!(after.text().contains("已完成"), "{action}: {}", after.text());
    }

    async fn status_of(&self, id: i64) -> String {
        self.h.app.store.get_case(redress_domain::CaseId(id)).await.unwrap().unwrap().status.key().to_string()
    }
}

async fn unit_id(h: &H, name: &str) -> String {
    h.org_id(name).await.to_string()
}

/// Intake in the console, then accept, route, sign, reply, approve and follow up — each
/// through the page's own forms, by the role that does it.
async fn the_console_handles_a_case_from_intake_to_follow_up(b: Backend) {
    let h = harness(b).await;
    let mut clerk = Browser::new(&h);
    let wb = clerk.login("clerk").await;
    assert!(wb.text().contains("待受理"), "{}", wb.text());
    let form = clerk.get("/console/cases/new?channel=higher_transfer").await;
    assert!(form.html.contains("name=\"transfer_office\""));
    let csrf = form.csrf();
    let place = unit_id(&h, "幸福社区").await;
    // A mistake first: no subject. The form comes back with the message beside the field and
    // everything typed kept.
    let bad = clerk
        .post("/console/cases/new", &[("csrf", &csrf), ("channel", "higher_transfer"), ("matter_type", "claim"), ("subject", ""), ("content", "楼道灯坏了两个月无人修理"), ("transfer_office", "市信访局"), ("transfer_ref", "市信转〔2026〕12号")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("class=\"err\""), "{}", bad.text());
    assert!(bad.html.contains("楼道灯坏了两个月无人修理") && bad.html.contains("市信转〔2026〕12号"));
    let ok = clerk
        .post(
            "/console/cases/new",
            &[("csrf", &csrf), ("channel", "higher_transfer"), ("matter_type", "claim"), ("category", "01.02"), ("subject", "幸福社区楼道灯长期不亮"), ("content", "楼道灯坏了两个月无人修理"), ("place", &place), ("transfer_office", "市信访局"), ("transfer_ref", "市信转〔2026〕12号"), ("p_name", "李秀英"), ("p_phone", "13800001234")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let id: i64 = ok.location().trim_start_matches("/console/cases/").split('?').next().unwrap().parse().unwrap();
    let page = clerk.get(ok.location()).await;
    let text = page.text();
    assert!(text.contains("登记成功") && text.contains("市信访局") && text.contains("市信转〔2026〕12号"), "{text}");
    assert!(text.contains("李**") && !text.contains("李秀英") && !text.contains("13800001234"), "masked: {text}");
    assert!(page.html.contains("id=\"deadline-clock\""));
    assert!(page.html.contains("id=\"action-accept\"") && !page.html.contains("id=\"action-start_handling\""));

    // Showing the petitioner is recorded first.
    let csrf = page.csrf();
    let shown = clerk.post(&format!("/console/cases/{id}/reveal"), &[("csrf", &csrf), ("purpose", "电话回访")]).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text().contains("李秀英") && shown.text().contains("13800001234"));
    let log = h.app.store.access_log(Some(redress_domain::CaseId(id)), 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].purpose, "电话回访");

    // An attachment from the case page; a file that is not what it claims is refused.
    let bad = clerk.multipart_file(&format!("/console/cases/{id}/attachments"), &csrf, "照片.png", "image/png", b"not a png").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("未能上传"), "{}", bad.text());
    let up = clerk.multipart_file(&format!("/console/cases/{id}/attachments"), &csrf, "现场说明.txt", "text/plain", "楼道照片说明".as_bytes()).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.text());
    let page = clerk.get(up.location()).await;
    assert!(page.text().contains("附件已上传") && page.text().contains("现场说明.txt"), "{}", page.text());

    clerk.act_ok(id, "accept", &[("note", "符合受理条件")]).await;
    let housing = unit_id(&h, "县住房和城乡建设局").await;
    clerk.act_ok(id, "route", &[("unit", &housing), ("mode", "forward"), ("note", "请按期办理")]).await;
    assert_eq!(clerk.status_of(id).await, "routed");

    let mut handler = Browser::new(&h);
    let wb = handler.login("handler").await;
    assert!(wb.text().contains("待签收") && wb.text().contains("幸福社区楼道灯长期不亮"), "{}", wb.text());
    handler.act_ok(id, "start_handling", &[]).await;
    // A reply without its legal basis is refused beside the field, nothing lost.
    let r = handler.act(id, "submit_reply", &[("decision", "support"), ("facts", "经现场核实，楼道灯损坏属实"), ("opinion", "责成物业三日内修复"), ("legal_basis", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.html.contains("经现场核实，楼道灯损坏属实") && r.html.contains("class=\"err\""), "{}", r.text());
    handler
        .act_ok(id, "submit_reply", &[("decision", "support"), ("facts", "经现场核实，楼道灯损坏属实"), ("opinion", "责成物业三日内修复"), ("legal_basis", "《物业管理条例》第三十五条")])
        .await;

    let mut head = Browser::new(&h);
    let wb = head.login("head").await;
    assert!(wb.text().contains("待我审批") && wb.text().contains("幸福社区楼道灯长期不亮"), "{}", wb.text());
    head.act_ok(id, "approve_reply", &[]).await;
    let page = head.get(&format!("/console/cases/{id}")).await;
    assert!(page.text().contains("信访事项处理意见书"), "documents listed: {}", page.text());

    clerk.act_ok(id, "follow_up", &[("satisfaction", "satisfied"), ("note", "电话回访，表示满意")]).await;
    let page = clerk.get(&format!("/console/cases/{id}")).await;
    let tl = between(&page.html, "id=\"timeline\"", "</ol>").unwrap();
    for label in ["登记", "受理", "转办", "签收", "答复", "回访"] {
        assert!(tl.contains(label), "timeline has {label}: {tl}");
    }
    assert_eq!(clerk.status_of(id).await, "followed_up");
}

/// A form posted without the page's token, or with another's, changes nothing.
async fn forms_without_the_csrf_token_are_refused(b: Backend) {
    let h = harness(b).await;
    let case = h.register().await;
    let id = case["id"].as_i64().unwrap();
    let mut clerk = Browser::new(&h);
    clerk.login("clerk").await;
    for token in ["", "0123456789abcdef0123456789abcdef", "nonsense"] {
        let r = clerk.post(&format!("/console/cases/{id}/act"), &[("csrf", token), ("action", "accept")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(r.text().contains("CSRF"));
        let r = clerk.post(&format!("/console/cases/{id}/reveal"), &[("csrf", token), ("purpose", "x")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = clerk.post("/console/cases/new", &[("csrf", token), ("channel", "letter"), ("subject", "s"), ("content", "c")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(clerk.status_of(id).await, "registered");
    assert!(h.app.store.access_log(Some(redress_domain::CaseId(id)), 10).await.unwrap().is_empty());
    // Login and the portal's forms use the visitor's form cookie.
    let mut stranger = Browser::new(&h);
    let r = stranger.post("/console/login", &[("username", "clerk"), ("password", redress_app::demo::DEMO_PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!stranger.cookies.contains_key("redress_session"));
    let r = stranger.multipart("/submit", &[("subject", "测试"), ("content", "内容"), ("anonymous", "true")], &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let before = h.app.store.count_cases().await.unwrap();
    assert_eq!(before, 1);
}

const XSS: &str = "<script>alert(1)</script>";
/// How the templates write it: as text.
const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

fn assert_inert(page: &Page, what: &str) {
    assert!(!page.html.contains(XSS), "{what}: raw script in page");
    assert!(!page.html.contains("<script>alert"), "{what}: raw script in page");
}

/// Script typed into every text field is shown as text on every page that displays it.
async fn script_in_every_text_field_is_shown_inert(b: Backend) {
    let h = harness(b).await;
    let mut clerk = Browser::new(&h);
    clerk.login("clerk").await;
    let csrf = clerk.get("/console/cases/new").await.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("channel", "visit"),
        ("matter_type", "claim"),
        ("subject", XSS),
        ("content", XSS),
        ("address", XSS),
        ("people_count", "2"),
        ("p_name", XSS),
        ("p_phone", "13800001234"),
        ("p_id", "11010519491231002X"),
        ("p_address", XSS),
    ];
    let ok = clerk.post("/console/cases/new", &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let id: i64 = ok.location().trim_start_matches("/console/cases/").split('?').next().unwrap().parse().unwrap();
    // A higher-level transfer with script in its office and reference.
    let t = clerk
        .post("/console/cases/new", &[("csrf", &csrf), ("channel", "higher_transfer"), ("subject", "转办件"), ("content", "内容"), ("transfer_office", XSS), ("transfer_ref", XSS), ("anonymous", "true")])
        .await;
    assert_eq!(t.status, StatusCode::SEE_OTHER, "{}", t.text());
    let transfer = t.location().split('?').next().unwrap().to_string();
    // The intake form echoing a refused submission.
    let refused = clerk.post("/console/cases/new", &[("csrf", &csrf), ("channel", "letter"), ("subject", XSS), ("content", "")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_inert(&refused, "intake echo");
    assert!(refused.html.contains("&lt;script&gt;") || refused.html.contains("&#60;script&#62;"), "escaped text present");

    clerk.act_ok(id, "accept", &[("note", XSS)]).await;
    clerk.act_ok(id, "add_note", &[("text", XSS)]).await;
    let housing = unit_id(&h, "县住房和城乡建设局").await;
    clerk.act_ok(id, "route", &[("unit", &housing), ("mode", "forward"), ("note", XSS)]).await;
    let mut handler = Browser::new(&h);
    handler.login("handler").await;
    handler.act_ok(id, "start_handling", &[]).await;
    handler.act_ok(id, "submit_reply", &[("decision", "explain"), ("facts", XSS), ("opinion", XSS), ("legal_basis", XSS)]).await;
    let mut head = Browser::new(&h);
    head.login("head").await;
    head.act_ok(id, "approve_reply", &[]).await;
    let mut supervisor = Browser::new(&h);
    supervisor.login("supervisor").await;

    let page = clerk.get(&format!("/console/cases/{id}")).await;
    assert!(page.html.contains(ESCAPED), "shown as text");
    assert_inert(&page, "case page");
    let csrf2 = page.csrf();
    let revealed = clerk.post(&format!("/console/cases/{id}/reveal"), &[("csrf", &csrf2), ("purpose", XSS)]).await;
    assert_eq!(revealed.status, StatusCode::OK);
    assert_inert(&revealed, "revealed petitioner");
    for path in ["/console", "/console/cases", "/console/cases?q=%3Cscript%3E", &transfer, "/console/supervision"] {
        let p = clerk.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert_inert(&p, path);
    }
    for who in [&mut handler, &mut head, &mut supervisor] {
        let p = who.get("/console").await;
        assert_inert(&p, "workbench");
        let p = who.get(&format!("/console/cases/{id}")).await;
        assert_inert(&p, "case page by other role");
    }
    let similar = clerk.post("/console/intake/similar", &[("csrf", &csrf), ("subject", XSS), ("content", XSS)]).await;
    assert_inert(&similar, "similar fragment");
    let html_doc = clerk.get(&format!("/console/cases/{id}/similar")).await;
    assert_inert(&html_doc, "similar to case");

    // The portal: submit with script everywhere, read the receipt and the lookup.
    let mut resident = Browser::new(&h);
    let csrf = between(&resident.get("/submit").await.html, "name=\"csrf\" value=\"", "\"").unwrap();
    let receipt = resident.multipart("/submit", &[("csrf", &csrf), ("subject", XSS), ("content", XSS), ("address", XSS), ("name", XSS), ("phone", "13900005678")], &[]).await;
    assert_eq!(receipt.status, StatusCode::CREATED, "{}", receipt.text());
    assert_inert(&receipt, "receipt");
    let code = between(&receipt.html, "id=\"tracking-code\">", "<").unwrap();
    let lookup = resident.get(&format!("/lookup?code={code}&phone4=5678")).await;
    assert_eq!(lookup.status, StatusCode::OK);
    assert!(lookup.html.contains(ESCAPED), "subject shown as text: {}", lookup.text());
    assert_inert(&lookup, "lookup");
    let code2 = h.app.store.get_case(redress_domain::CaseId(id)).await.unwrap().unwrap().tracking_code.display();
    let reply = resident.get(&format!("/lookup?code={code2}&phone4=1234")).await;
    assert!(reply.html.contains("id=\"public-reply\""), "{}", reply.text());
    assert_inert(&reply, "lookup with reply");
    let bad = resident.get(&format!("/lookup?code={}", urlencode(XSS))).await;
    assert_inert(&bad, "lookup with a bad code");
    let login = resident.get(&format!("/console/login?next={}", urlencode(XSS))).await;
    assert_inert(&login, "login next");
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

/// Who may do what: every console route as every role and as an anonymous visitor.
async fn every_console_route_as_every_role(b: Backend) {
    let h = harness(b).await;
    let id = h.register().await["id"].as_i64().unwrap();
    let pages = ["/console", "/console/cases", "/console/cases/new", "/console/supervision", &format!("/console/cases/{id}")];
    // Anonymous: every console page sends to the login page; every console POST too.
    let mut anon = Browser::new(&h);
    for p in &pages {
        let r = anon.get(p).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{p}");
        assert!(r.location().starts_with("/console/login?next="), "{p}: {}", r.location());
    }
    for p in [format!("/console/cases/{id}/act"), format!("/console/cases/{id}/reveal"), "/console/cases/new".into(), "/console/cases/route-batch".into(), "/console/intake/similar".into()] {
        let r = anon.post(&p, &[("action", "accept")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{p}");
    }
    for p in ["/", "/submit", "/lookup"] {
        assert_eq!(anon.get(p).await.status, StatusCode::OK, "{p}");
    }
    assert_eq!(h.app.store.get_case(redress_domain::CaseId(id)).await.unwrap().unwrap().status.key(), "registered");

    // Signed in: (role, may open the case, may register, may unmask, may accept).
    let expect = [
        ("clerk", true, true, true, true),
        ("handler", false, false, false, false),
        ("head", false, false, false, false),
        ("supervisor", true, false, false, false),
        ("leader", true, false, true, false),
        ("admin", true, true, true, true),
        ("auditor", true, false, false, false),
        ("town_clerk", true, true, true, true),
    ];
    for (user, sees, registers, unmasks, accepts) in expect {
        // Each role tries on its own case, waiting for acceptance.
        let id = h.register().await["id"].as_i64().unwrap();
        let mut b = Browser::new(&h);
        b.login(user).await;
        for p in &pages[..4] {
            let r = b.get(p).await;
            let expected = if *p == "/console/cases/new" && !registers { StatusCode::FORBIDDEN } else { StatusCode::OK };
            assert_eq!(r.status, expected, "{user} {p}");
        }
        let case_page = b.get(&format!("/console/cases/{id}")).await;
        assert_eq!(case_page.status == StatusCode::OK, sees, "{user} sees the case: {}", case_page.status);
        let csrf = b.get("/console").await.csrf();
        let r = b.post("/console/cases/new", &[("csrf", &csrf), ("channel", "letter"), ("matter_type", "claim"), ("subject", "权限测试"), ("content", "权限测试内容"), ("anonymous", "true")]).await;
        assert_eq!(r.status == StatusCode::SEE_OTHER, registers, "{user} registers: {} {}", r.status, r.text());
        let r = b.post(&format!("/console/cases/{id}/reveal"), &[("csrf", &csrf), ("purpose", "核实")]).await;
        assert_eq!(r.status == StatusCode::OK && r.html.contains("petitioner-revealed"), unmasks, "{user} unmasks: {}", r.status);
        if sees {
            assert_eq!(case_page.html.contains("id=\"action-accept\""), accepts, "{user} is offered accept");
        }
        // Posting the action directly, whatever the page offered.
        let r = b.post(&format!("/console/cases/{id}/act"), &[("csrf", &csrf), ("action", "accept"), ("note", "受理")]).await;
        if accepts {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{user} accepts: {}", r.text());
            let status = h.app.store.get_case(redress_domain::CaseId(id)).await.unwrap().unwrap().status;
            assert_eq!(status.key(), "accepted");
        } else {
            assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{user} accept refused: {}", r.status);
            let status = h.app.store.get_case(redress_domain::CaseId(id)).await.unwrap().unwrap().status;
            assert_eq!(status.key(), "registered", "{user} changed nothing");
        }
    }
}

/// The resident's side: submit with an attachment, a printable receipt, look up, rate,
/// ask for 复查 — with the phone's last four digits.
async fn a_resident_submits_looks_up_rates_and_asks_for_review(b: Backend) {
    let h = harness(b).await;
    // This story looks its case up many times; the limit itself is tested below.
    let mut state = redress_web::AppState::new(h.app.clone());
    state.secure_cookies = false;
    state.lookup_limiter = Arc::new(redress_web::ratelimit::RateLimiter::new(600, 100));
    let mut r = Browser::with_router(&h, redress_web::router_with(state));
    let home = r.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains("id=\"open-stats\"") && home.html.contains("领导接待日"));
    let csrf = between(&r.get("/submit").await.html, "name=\"csrf\" value=\"", "\"").unwrap();
    let place = unit_id(&h, "东门村").await;
    // Named without a phone: refused, everything kept.
    let bad = r.multipart("/submit", &[("csrf", &csrf), ("subject", "东门村道路坑洼"), ("content", "村口道路坑洼积水"), ("place", &place), ("name", "赵大明")], &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("村口道路坑洼积水") && bad.html.contains("id=\"err-phone\""), "{}", bad.text());
    // A file whose content is not what it claims: refused before anything is registered.
    let fake = r.multipart("/submit", &[("csrf", &csrf), ("subject", "东门村道路坑洼"), ("content", "村口道路坑洼积水"), ("name", "赵大明"), ("phone", "13700009876")], &[("photo.png", "image/png", b"not a png")]).await;
    assert_eq!(fake.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(h.app.store.count_cases().await.unwrap(), 0);
    let receipt = r
        .multipart(
            "/submit",
            &[("csrf", &csrf), ("matter_type", "claim"), ("subject", "东门村道路坑洼"), ("content", "村口道路坑洼积水，出行不便"), ("place", &place), ("name", "赵大明"), ("phone", "13700009876")],
            &[("说明.txt", "text/plain", "道路情况说明".as_bytes())],
        )
        .await;
    assert_eq!(receipt.status, StatusCode::CREATED, "{}", receipt.text());
    assert!(receipt.text().contains("已上传附件 1 个") && receipt.text().contains("县信访局"), "{}", receipt.text());
    let code = between(&receipt.html, "id=\"tracking-code\">", "<").unwrap();
    let case = h.app.store.get_case_by_code(&redress_domain::TrackingCode::parse(&code).unwrap()).await.unwrap().unwrap();
    assert_eq!(case.matter.channel.key(), "online");
    assert_eq!(case.attachments.len(), 1);
    assert!(!case.anonymous);
    // The code alone: status, no subject; with the wrong digits: a message; with the right ones: the subject.
    let plain = r.get(&format!("/lookup?code={code}")).await;
    assert!(plain.text().contains("待受理") && !plain.text().contains("东门村道路坑洼"), "{}", plain.text());
    let wrong = r.get(&format!("/lookup?code={code}&phone4=0000")).await;
    assert!(wrong.text().contains("不符") && !wrong.text().contains("东门村道路坑洼"));
    let right = r.get(&format!("/lookup?code={code}&phone4=9876")).await;
    assert!(right.text().contains("东门村道路坑洼"));
    assert!(!right.html.contains("name=\"satisfaction\""), "no rating before a reply");

    // Staff handle it through the API.
    let id = case.id.0;
    let housing = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": housing, "mode": "forward" })).await;
    h.act_ok("handler", id, json!({ "action": "start_handling" })).await;
    h.act_ok("handler", id, json!({ "action": "submit_reply", "decision": "support", "facts": "道路坑洼属实", "opinion": "已安排修补", "legal_basis": "《公路法》第三十五条" })).await;
    h.act_ok("head", id, json!({ "action": "approve_reply" })).await;

    let page = r.get(&format!("/lookup?code={code}&phone4=9876")).await;
    assert!(page.text().contains("已安排修补") && page.html.contains("name=\"satisfaction\""), "{}", page.text());
    let csrf = page.csrf();
    // Rating needs the digits.
    let refused = r.post("/lookup/rate", &[("csrf", &csrf), ("code", &code), ("phone4", "0000"), ("satisfaction", "basic")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rated = r.post("/lookup/rate", &[("csrf", &csrf), ("code", &code), ("phone4", "9876"), ("satisfaction", "basic"), ("note", "修得还行")]).await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.text());
    let after = r.get(rated.location()).await;
    assert!(after.text().contains("感谢您的评价") && after.text().contains("基本满意"), "{}", after.text());
    let c = h.app.store.get_case(case.id).await.unwrap().unwrap();
    assert_eq!(c.status.key(), "followed_up");
    assert_eq!(c.follow_up.unwrap().satisfaction.key(), "basic");

    // 复查 within the window, then not again.
    let csrf = after.csrf();
    let asked = r.post("/lookup/review", &[("csrf", &csrf), ("code", &code), ("phone4", "9876"), ("reason", "修补质量差，要求复查")]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.text());
    assert_eq!(h.app.store.get_case(case.id).await.unwrap().unwrap().status.key(), "under_review");
    let again = r.post("/lookup/review", &[("csrf", &csrf), ("code", &code), ("phone4", "9876"), ("reason", "再次")]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Past the window the portal no longer offers it, and refuses it with the closing date.
    let id2 = h.register().await["id"].as_i64().unwrap();
    for cmd in [json!({ "action": "accept" }), json!({ "action": "route", "unit": housing, "mode": "forward" })] {
        h.act_ok("clerk", id2, cmd).await;
    }
    h.act_ok("handler", id2, json!({ "action": "start_handling" })).await;
    h.act_ok("handler", id2, json!({ "action": "submit_reply", "decision": "explain", "facts": "事实", "opinion": "意见", "legal_basis": "依据" })).await;
    h.act_ok("head", id2, json!({ "action": "approve_reply" })).await;
    h.clock.advance(Duration::days(45));
    let code2 = h.app.store.get_case(redress_domain::CaseId(id2)).await.unwrap().unwrap().tracking_code.display();
    let late = r.get(&format!("/lookup?code={code2}&phone4=5678")).await;
    assert!(!late.html.contains("action=\"/lookup/review\""));
    let csrf = late.csrf();
    let refused = r.post("/lookup/review", &[("csrf", &csrf), ("code", &code2), ("phone4", "5678"), ("reason", "不服")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("已于") || refused.text().contains("截止") || refused.text().contains("期限"), "{}", refused.text());
}

/// Too many submissions from one address are refused with the form kept.
async fn portal_submissions_are_rate_limited(b: Backend) {
    let h = harness(b).await;
    let mut state = redress_web::AppState::new(h.app.clone());
    state.secure_cookies = false;
    state.submit_limiter = Arc::new(redress_web::ratelimit::RateLimiter::new(1, 2));
    let mut r = Browser::with_router(&h, redress_web::router_with(state));
    let csrf = between(&r.get("/submit").await.html, "name=\"csrf\" value=\"", "\"").unwrap();
    let fields = [("csrf", csrf.as_str()), ("subject", "噪音扰民"), ("content", "夜间施工噪音"), ("anonymous", "true")];
    assert_eq!(r.multipart("/submit", &fields, &[]).await.status, StatusCode::CREATED);
    assert_eq!(r.multipart("/submit", &fields, &[]).await.status, StatusCode::CREATED);
    let third = r.multipart("/submit", &fields, &[]).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(third.text().contains("提交过于频繁") && third.html.contains("夜间施工噪音"));
    assert_eq!(h.app.store.count_cases().await.unwrap(), 2);
    // Lookups too.
    let mut state = redress_web::AppState::new(h.app.clone());
    state.secure_cookies = false;
    state.lookup_limiter = Arc::new(redress_web::ratelimit::RateLimiter::new(1, 3));
    let mut l = Browser::with_router(&h, redress_web::router_with(state));
    let mut statuses = vec![];
    for _ in 0..4 {
        statuses.push(l.get("/lookup?code=4FHR-NQAQ-TP42").await.status);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

/// Session cookies are HttpOnly, SameSite and Secure; a session ends when it expires and on
/// logout; pages carry the security headers.
async fn cookies_sessions_and_headers(b: Backend) {
    let h = harness(b).await;
    let secure = redress_web::AppState::new(h.app.clone());
    let mut br = Browser::with_router(&h, redress_web::router_with(secure));
    let form = br.get("/console/login").await;
    for (name, value) in [("content-security-policy", "script-src 'self'"), ("x-frame-options", "DENY"), ("x-content-type-options", "nosniff"), ("cache-control", "no-store")] {
        let got = form.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(got.contains(value), "{name}: {got}");
    }
    let csrf = form.csrf();
    let r = br.post("/console/login", &[("csrf", &csrf), ("username", "clerk"), ("password", redress_app::demo::DEMO_PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set = r.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).find(|c| c.starts_with("redress_session=")).unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Max-Age="] {
        assert!(set.contains(attr), "{set}");
    }
    assert_eq!(br.get("/console").await.status, StatusCode::OK);
    // Wrong password: no session, a message, and after repeated failures a wait.
    let mut other = Browser::new(&h);
    let csrf = other.get("/console/login").await.csrf();
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = other.post("/console/login", &[("csrf", &csrf), ("username", "head"), ("password", "wrong-password")]).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    assert!(!other.cookies.contains_key("redress_session"));
    // Expiry: a day later the session is gone.
    h.clock.advance(Duration::days(2));
    let r = br.get("/console").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/console/login"));
    // Logout ends the session on the server.
    let mut b2 = Browser::new(&h);
    let wb = b2.login("handler").await;
    let csrf = wb.csrf();
    let session = b2.cookies.get("redress_session").cloned().unwrap();
    let out = b2.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(h.app.session_principal(&session).await.is_err());
}

/// A 督办 reaches the receiving unit's workbench; when it is overdue it escalates to the
/// leader's.
async fn supervision_reaches_the_unit_and_escalates_to_the_leader(b: Backend) {
    let h = harness(b).await;
    let id = h.register().await["id"].as_i64().unwrap();
    let housing = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": housing, "mode": "assign" })).await;
    let due = (redress_domain::local_date(h.app.now()) + Duration::days(3)).to_string();
    let mut sup = Browser::new(&h);
    sup.login("supervisor").await;
    sup.act_ok(id, "supervise", &[("due", &due), ("note", "请三日内报告办理进展")]).await;
    let mine = sup.get("/console").await;
    let issued = between(&mine.html, "id=\"si-h\"", "</section>").unwrap();
    assert!(issued.contains("请三日内报告办理进展"), "{issued}");
    let mut handler = Browser::new(&h);
    let wb = handler.login("handler").await;
    let received = between(&wb.html, "id=\"sr-h\"", "</section>").unwrap();
    assert!(received.contains("请三日内报告办理进展") && received.contains("剩3天"), "{received}");
    let mut leader = Browser::new(&h);
    let before = leader.login("leader").await;
    assert!(!before.html.contains("id=\"esc-h\""));
    h.clock.advance(Duration::days(5));
    let mut leader = Browser::new(&h);
    let after = leader.login("leader").await;
    let esc = between(&after.html, "id=\"esc-h\"", "</section>").unwrap_or_default();
    assert!(esc.contains("请三日内报告办理进展") && esc.contains("已逾期"), "{}", after.text());
    // Another unit's handler sees none of it.
    let other = h.app.add_user("water", "水务承办", redress_domain::OrgId(h.org_id("县民政局").await), vec![redress_domain::Role::Handler], "water-pass-2026").await.unwrap();
    let _ = other;
    let mut water = Browser::new(&h);
    let form = water.get("/console/login").await;
    let csrf = form.csrf();
    assert_eq!(water.post("/console/login", &[("csrf", &csrf), ("username", "water"), ("password", "water-pass-2026")]).await.status, StatusCode::SEE_OTHER);
    let wb = water.get("/console").await;
    assert!(!wb.html.contains("请三日内报告办理进展"));
}

/// Selected cases are routed together; a case not ready is reported, the rest go through.
async fn batch_routing_routes_the_selected_cases(b: Backend) {
    let h = harness(b).await;
    let a = h.register().await["id"].as_i64().unwrap();
    let c = h.register().await["id"].as_i64().unwrap();
    let not_ready = h.register().await["id"].as_i64().unwrap();
    h.act_ok("clerk", a, json!({ "action": "accept" })).await;
    h.act_ok("clerk", c, json!({ "action": "accept" })).await;
    let mut clerk = Browser::new(&h);
    clerk.login("clerk").await;
    let list = clerk.get("/console/cases?status=accepted").await;
    assert!(list.html.contains("name=\"ids\""));
    let csrf = list.csrf();
    let unit = unit_id(&h, "县住房和城乡建设局").await;
    let (a_s, c_s, n_s) = (a.to_string(), c.to_string(), not_ready.to_string());
    let r = clerk.post("/console/cases/route-batch", &[("csrf", &csrf), ("ids", &a_s), ("ids", &c_s), ("ids", &n_s), ("unit", &unit), ("mode", "forward"), ("note", "请办理")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("成功 2 件，未成功 1 件"), "{}", r.text());
    for id in [a, c] {
        assert_eq!(clerk.status_of(id).await, "routed");
    }
    assert_eq!(clerk.status_of(not_ready).await, "registered");
    // The list filters and pages.
    let page = clerk.get("/console/cases?status=routed&sort=newest").await;
    assert!(page.text().contains("共 2 件"), "{}", page.text());
    let bad = clerk.get("/console/cases?from=2026-13-01").await;
    assert!(bad.text().contains("YYYY-MM-DD"));

    // A supervisor supervises the unit's cases together; the clerk is not offered it.
    assert!(!page.html.contains("value=\"supervise\""));
    let mut sup = Browser::new(&h);
    sup.login("supervisor").await;
    let list = sup.get(&format!("/console/cases?unit={unit}")).await;
    assert!(list.html.contains("value=\"supervise\"") && !list.html.contains("value=\"route\""));
    let csrf = list.csrf();
    let due = (redress_domain::local_date(h.app.now()) + Duration::days(5)).to_string();
    let r = sup.post("/console/cases/route-batch", &[("csrf", &csrf), ("op", "supervise"), ("ids", &a_s), ("ids", &c_s), ("due", &due), ("supervise_note", "住建局积案集中督办")]).await;
    assert!(r.text().contains("成功 2 件，未成功 0 件"), "{}", r.text());
    let mut handler = Browser::new(&h);
    let wb = handler.login("handler").await;
    let received = between(&wb.html, "id=\"sr-h\"", "</section>").unwrap();
    assert_eq!(received.matches("住建局积案集中督办").count(), 2, "{received}");
    // The clerk cannot supervise by posting the form anyway.
    let clerk_csrf = clerk.get("/console").await.csrf();
    let r = clerk.post("/console/cases/route-batch", &[("csrf", &clerk_csrf), ("op", "supervise"), ("ids", &n_s), ("due", &due), ("supervise_note", "x")]).await;
    assert!(r.text().contains("成功 0 件，未成功 1 件"), "{}", r.text());
}

/// The reception schedule an administrator sets is published on the portal (past days left
/// out); the open statistics are the same on the page and in the API.
async fn reception_schedule_and_open_statistics_are_published(b: Backend) {
    let h = harness(b).await;
    let today = redress_domain::local_date(h.app.now());
    let entry = |days: i64, name: &str| json!({ "date": (today + Duration::days(days)).to_string(), "time": "上午 9:00—12:00", "leader_name": name, "leader_title": "副县长", "place": "县群众来访接待中心", "topics": "城乡建设" });
    let items = json!([entry(-7, "上周领导"), entry(2, "王副县长"), entry(9, "刘县长")]);
    let (st, _) = h.as_user("handler", Method::PUT, "/api/v1/settings/reception-schedule", Some(items.clone())).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, body) = h.as_user("admin", Method::PUT, "/api/v1/settings/reception-schedule", Some(json!([entry(3, " ")]))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "[0].leader_name");
    let (st, _) = h.as_user("admin", Method::PUT, "/api/v1/settings/reception-schedule", Some(items)).await;
    assert_eq!(st, StatusCode::OK);
    let (st, public) = h.call(Method::GET, "/api/v1/public/receptions", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let names: Vec<&str> = public["items"].as_array().unwrap().iter().map(|i| i["leader_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["王副县长", "刘县长"]);
    let mut r = Browser::new(&h);
    let home = r.get("/").await;
    let rec = between(&home.html, "id=\"reception\"", "</section>").unwrap();
    assert!(rec.contains("王副县长") && rec.contains("刘县长") && !rec.contains("上周领导"), "{rec}");

    // Statistics: two received, one closed through follow-up, rated satisfied.
    let a = h.register().await["id"].as_i64().unwrap();
    h.register().await;
    let housing = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", a, json!({ "action": "accept" })).await;
    h.act_ok("clerk", a, json!({ "action": "route", "unit": housing, "mode": "forward" })).await;
    h.act_ok("handler", a, json!({ "action": "start_handling" })).await;
    h.act_ok("handler", a, json!({ "action": "submit_reply", "decision": "support", "facts": "属实", "opinion": "已解决", "legal_basis": "依据" })).await;
    h.act_ok("head", a, json!({ "action": "approve_reply" })).await;
    h.act_ok("clerk", a, json!({ "action": "follow_up", "satisfaction": "satisfied" })).await;
    h.app.refresh_public_stats();
    let (_, stats) = h.call(Method::GET, "/api/v1/public/stats", None, None).await;
    assert_eq!(stats["stats"]["received"], 2);
    assert_eq!(stats["stats"]["accepted"], 1);
    assert_eq!(stats["stats"]["closed"], 1);
    assert_eq!(stats["stats"]["closed_rate"], 100.0);
    assert_eq!(stats["stats"]["satisfied_rate"], 100.0);
    assert!(stats["definitions"]["satisfied_rate"].as_str().unwrap().contains("满意"));
    let home = r.get("/").await;
    let shown = between(&home.html, "id=\"open-stats\"", "</section>").unwrap_or_default();
    assert!(shown.contains("<b>2</b>") && shown.contains("100%"), "{shown}");
}

/// Waits until the index has followed the log to its head (it follows within a second).
async fn catch_up(h: &H) {
    let ix = h.index.as_ref().expect("the harness has an index");
    redress_search::follow::catch_up(ix, &h.app.store).await.expect("index catches up");
}

/// Console search: words found in content, marked, within filters and visibility; script in
/// a case's text stays text in the snippets.
async fn console_search_marks_words_and_respects_visibility(b: Backend) {
    let h = harness(b).await;
    let id = h.register().await["id"].as_i64().unwrap();
    let (st, _) = h
        .as_user("clerk", Method::POST, "/api/v1/cases", Some(json!({ "channel": "letter", "matter_type": "claim", "subject": "电梯<script>alert(1)</script>", "content": "电梯又坏了 <script>alert(1)</script>", "petitioner": {} })))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    catch_up(&h).await;
    let mut clerk = Browser::new(&h);
    clerk.login("clerk").await;
    let r = clerk.get("/console/search?q=%E7%94%B5%E6%A2%AF").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("找到 2 件"), "{}", r.text());
    assert!(r.html.contains("<mark>电梯</mark>"), "{}", r.html);
    assert_inert(&r, "search results");
    let filtered = clerk.get("/console/search?q=%E7%94%B5%E6%A2%AF&status=registered&channel=letter").await;
    assert!(filtered.text().contains("找到 2 件"));
    let none = clerk.get("/console/search?q=%E7%94%B5%E6%A2%AF&status=closed").await;
    assert!(none.text().contains("找到 0 件"));
    // The handler's unit has no case routed to it yet: nothing found.
    let mut handler = Browser::new(&h);
    handler.login("handler").await;
    let r = handler.get("/console/search?q=%E7%94%B5%E6%A2%AF").await;
    assert!(r.text().contains("找到 0 件"), "{}", r.text());
    let housing = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": housing, "mode": "forward" })).await;
    catch_up(&h).await;
    let r = handler.get("/console/search?q=%E7%94%B5%E6%A2%AF").await;
    assert!(r.text().contains("找到 1 件") && r.text().contains("小区电梯停运三个月"), "{}", r.text());
}

/// Every documented API operation that needs a signed-in person answers 401 to an anonymous
/// caller and changes nothing; the public ones answer.
async fn every_api_operation_as_an_anonymous_visitor(b: Backend) {
    let h = harness(b).await;
    let created = h.register().await;
    let id = created["id"].as_i64().unwrap();
    let code = created["tracking_code"].as_str().unwrap().to_string();
    let (_, doc) = h.call(Method::GET, "/api/openapi.json", None, None).await;
    let events_before = h.app.store.chain_head().await.unwrap().0;
    let mut private = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", &id.to_string()).replace("{code}", &code).replace("{sha256}", "00").replace("{kind}", "acceptance_notice");
        for (method, op) in ops.as_object().unwrap() {
            let public = op.get("security").and_then(|s| s.as_array()).is_some_and(|a| a.is_empty());
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = if matches!(m, Method::POST | Method::PUT) { Some(json!({})) } else { None };
            let (st, resp) = h.call(m, &concrete, None, body).await;
            if public {
                assert_ne!(st, StatusCode::UNAUTHORIZED, "{method} {path} is public");
            } else {
                private += 1;
                assert_eq!(st, StatusCode::UNAUTHORIZED, "{method} {path} anonymous: {resp}");
                assert!(resp["error"]["message"].as_str().is_some_and(|m| m.contains("登录")), "{method} {path}: {resp}");
            }
        }
    }
    assert!(private >= 25, "{private} private operations");
    assert_eq!(h.app.store.chain_head().await.unwrap().0, events_before, "nothing was written");
}

/// A unit that returns a case can no longer see it: it lands on its workbench with a message.
async fn returning_a_case_leads_back_to_the_workbench(b: Backend) {
    let h = harness(b).await;
    let id = h.register().await["id"].as_i64().unwrap();
    let housing = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": housing, "mode": "forward" })).await;
    let mut handler = Browser::new(&h);
    handler.login("handler").await;
    let r = handler.act(id, "return", &[("reason", "不属于本单位职责，应由县民政局办理")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/console?done=return"), "{}", r.location());
    let wb = handler.get(r.location()).await;
    assert!(wb.text().contains("“退回”已完成"), "{}", wb.text());
    assert_eq!(handler.status_of(id).await, "accepted");
}

on_both_backends!(
    returning_a_case_leads_back_to_the_workbench,
    every_api_operation_as_an_anonymous_visitor,
    console_search_marks_words_and_respects_visibility,
    reception_schedule_and_open_statistics_are_published,
    the_console_handles_a_case_from_intake_to_follow_up,
    forms_without_the_csrf_token_are_refused,
    script_in_every_text_field_is_shown_inert,
    every_console_route_as_every_role,
    a_resident_submits_looks_up_rates_and_asks_for_review,
    portal_submissions_are_rate_limited,
    cookies_sessions_and_headers,
    supervision_reaches_the_unit_and_escalates_to_the_leader,
    batch_routing_routes_the_selected_cases,
);
