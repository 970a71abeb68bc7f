//! Written notices end to end, on both backends: which documents a case has in which state,
//! both formats with their headers and content, refusals (409 in Chinese, other units, roles
//! that may not read the petitioner's name), escaping, and the access log entry each notice
//! naming the petitioner leaves.

#[macro_use]
mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{harness_with, Backend, H};
use serde_json::{json, Value};

on_both_backends!(
    notices_follow_the_case_in_both_formats_and_are_logged,
    non_acceptance_notice_gives_the_reason_and_the_other_routes,
    markup_in_case_text_is_escaped_in_html_and_docx,
    confidential_accusation_notices_are_refused_to_the_unit_handling_it,
);

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// "2026-04-01" → "2026年4月1日".
fn zh(date: &Value) -> String {
    let d = chrono::NaiveDate::parse_from_str(date.as_str().expect("a date"), "%Y-%m-%d").expect("a date");
    redress_app::documents::date_zh(d)
}

struct Fetched {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("utf-8 body")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(&name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

async fn fetch(h: &H, user: &str, id: i64, kind: &str, query: &str) -> Fetched {
    let req = Request::get(format!("/api/v1/cases/{id}/documents/{kind}{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token(user).unwrap()))
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = h.raw(req).await;
    Fetched { status, headers, body }
}

/// Reads a .docx with Python's standard library: CRCs, every XML part parsed, no raw
/// `<script` element in the document; returns document.xml's paragraphs, one a line.
fn docx_text(bytes: &[u8]) -> String {
    const SCRIPT: &str = r#"
import io, sys, zipfile
from xml.dom import minidom
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert z.testzip() is None, "bad CRC"
for n in z.namelist():
    minidom.parseString(z.read(n))
raw = z.read("word/document.xml")
assert b"<script" not in raw, "markup from case text in document.xml"
doc = minidom.parseString(raw)
for p in doc.getElementsByTagName("w:p"):
    sys.stdout.write("".join(c.data for t in p.getElementsByTagName("w:t") for c in t.childNodes) + "\n")
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed for this test");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 rejected the docx: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn assert_docx(f: &Fetched, file: &str) -> String {
    assert_eq!(f.status, StatusCode::OK, "{}", String::from_utf8_lossy(&f.body));
    assert_eq!(f.header(header::CONTENT_TYPE), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let encoded: String = file.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let disposition = f.header(header::CONTENT_DISPOSITION);
    assert!(disposition.starts_with("attachment;") && disposition.contains(&format!("filename*=UTF-8''{encoded}")), "{disposition}");
    assert_eq!(f.header(header::CACHE_CONTROL), "no-store");
    assert!(f.body.starts_with(b"PK\x03\x04"));
    docx_text(&f.body)
}

fn assert_html(f: &Fetched) -> String {
    assert_eq!(f.status, StatusCode::OK, "{}", String::from_utf8_lossy(&f.body));
    assert_eq!(f.header(header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert!(f.header(header::CONTENT_SECURITY_POLICY).starts_with("default-src 'none'"));
    let html = f.text();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("size: A4") && html.contains("@media print"));
    html
}

async fn access_log(h: &H, id: i64) -> Vec<Value> {
    let (st, log) = h.as_user("auditor", Method::GET, &format!("/api/v1/access-log?case_id={id}"), None).await;
    assert_eq!(st, StatusCode::OK, "{log}");
    log["items"].as_array().unwrap().clone()
}

async fn notices_follow_the_case_in_both_formats_and_are_logged(b: Backend) {
    let h = harness_with(b, false).await;
    let created = h.register().await;
    let id = id_of(&created);
    let number = created["number"].as_str().unwrap().to_string();

    // Registered only: nothing to issue yet, and the refusal says why in Chinese.
    let (st, list) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}/documents"), None).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i["available"] == false && i["reason"].is_string() && i.get("links").is_none()), "{list}");
    let f = fetch(&h, "clerk", id, "acceptance_notice", "").await;
    assert_eq!(f.status, StatusCode::CONFLICT);
    let err = f.json();
    assert_eq!(err["error"]["current_status"], "registered");
    assert_eq!(err["error"]["message"], "当前状态“待受理”不能执行“出具受理告知书”，可执行：无");

    // Accept, route, handle, extend, supervise, reply.
    let unit = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "forward", "note": "请按期办理" })).await;
    h.act_ok("handler", id, json!({ "action": "start_handling" })).await;
    h.act_ok("handler", id, json!({ "action": "request_extension", "days": 30, "reason": "需要多部门会商。" })).await;
    let extended = h.act_ok("head", id, json!({ "action": "approve_extension" })).await;
    let new_due = zh(&extended["deadline"]["due"]);
    h.act_ok("supervisor", id, json!({ "action": "supervise", "due": "2026-03-20", "note": "请加快办理进度，按期答复信访人" })).await;
    h.act_ok(
        "handler",
        id,
        json!({ "action": "submit_reply", "decision": "support", "facts": "经核实，电梯控制柜损坏。", "opinion": "责成物业十日内修复。", "legal_basis": "《物业管理条例》第三十五条" }),
    )
    .await;
    let replied = h.act_ok("head", id, json!({ "action": "approve_reply" })).await;
    assert_eq!(replied["appeal_window"]["due"], "2026-04-01");
    let review_due = zh(&replied["appeal_window"]["due"]);

    let (_, list) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}/documents"), None).await;
    let by_kind = |k: &str| list["items"].as_array().unwrap().iter().find(|i| i["kind"] == k).unwrap().clone();
    for k in ["acceptance_notice", "handling_opinion", "extension_notice", "supervision_sheet"] {
        assert_eq!(by_kind(k)["available"], true, "{k}: {list}");
    }
    assert_eq!(by_kind("non_acceptance_notice")["available"], false);
    assert_eq!(by_kind("handling_opinion")["links"]["docx"], format!("/api/v1/cases/{id}/documents/handling_opinion?format=docx"));
    assert_eq!(by_kind("supervision_sheet")["count"], 1);
    assert_eq!(by_kind("supervision_sheet")["items"][0]["html"], format!("/api/v1/cases/{id}/documents/supervision_sheet?format=html&n=1"));

    // 受理告知书, issued by the intake office.
    let html = assert_html(&fetch(&h, "clerk", id, "acceptance_notice", "").await);
    assert!(html.contains("<h1>受理告知书</h1>") && html.contains("王建国："), "{html}");
    assert!(html.contains("第二十三条") && html.contains("转送示范县住房和城乡建设局办理") && html.contains("示范县信访局"), "{html}");
    let text = assert_docx(&fetch(&h, "clerk", id, "acceptance_notice", "?format=docx").await, &format!("受理告知书-{number}.docx"));
    assert!(text.contains("受理告知书\n王建国：\n"), "{text}");

    // 信访事项处理意见书: decision, basis, the 复查 deadline and body; the handler's unit may issue it.
    let html = assert_html(&fetch(&h, "handler", id, "handling_opinion", "?format=html").await);
    assert!(html.contains("三、处理意见：支持") && html.contains("责成物业十日内修复。"), "{html}");
    let text = assert_docx(&fetch(&h, "handler", id, "handling_opinion", "?format=docx").await, &format!("信访事项处理意见书-{number}.docx"));
    assert!(text.contains("三、处理意见：支持"), "{text}");
    assert!(text.contains("《物业管理条例》第三十五条"));
    assert!(text.contains(&format!("请最迟于{review_due}前提出复查请求")), "{text}");
    assert!(text.contains("向示范县人民政府书面请求复查（《信访工作条例》第三十五条）"), "{text}");

    // 延期办理告知书: the reason and the new deadline the case itself shows.
    let text = assert_docx(&fetch(&h, "head", id, "extension_notice", "?format=docx").await, &format!("延期办理告知书-{number}.docx"));
    assert!(text.contains("因需要多部门会商，") && text.contains(&format!("延长后的办理期限至{new_due}")), "{text}");

    // 督办单: to the unit, from the supervisor's office, without the petitioner's name.
    let html = assert_html(&fetch(&h, "supervisor", id, "supervision_sheet", "").await);
    assert!(html.contains("示范县住房和城乡建设局：") && html.contains("请加快办理进度，按期答复信访人") && html.contains("2026年3月20日前"), "{html}");
    assert!(!html.contains("王建国"));
    let f = fetch(&h, "supervisor", id, "supervision_sheet", "?n=2").await;
    assert_eq!((f.status, f.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("n")));

    // Refusals: unavailable kind, bad kind or format, roles that may not read the name,
    // a unit that does not handle the case.
    let f = fetch(&h, "clerk", id, "non_acceptance_notice", "").await;
    assert_eq!(f.status, StatusCode::CONFLICT);
    let message = f.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("不能执行“出具不予受理告知书”") && message.contains("出具受理告知书"), "{message}");
    let f = fetch(&h, "clerk", id, "receipt", "").await;
    assert_eq!((f.status, f.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
    let f = fetch(&h, "clerk", id, "acceptance_notice", "?format=pdf").await;
    assert_eq!((f.status, f.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")));
    for user in ["supervisor", "auditor"] {
        let f = fetch(&h, user, id, "acceptance_notice", "").await;
        assert_eq!(f.status, StatusCode::FORBIDDEN, "{user}");
        assert!(f.json()["error"]["message"].as_str().unwrap().contains("信访人"));
    }
    let other = id_of(&h.register().await);
    let civil = h.org_id("县民政局").await;
    h.act_ok("clerk", other, json!({ "action": "accept" })).await;
    h.act_ok("clerk", other, json!({ "action": "route", "unit": civil, "mode": "forward" })).await;
    assert_eq!(fetch(&h, "handler", other, "acceptance_notice", "").await.status, StatusCode::NOT_FOUND);
    let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/cases/{other}/documents"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Every notice naming the petitioner was recorded, with the document as its purpose; the
    // supervision sheets and the refusals read nothing.
    let log = access_log(&h, id).await;
    let purposes: Vec<&str> = log.iter().map(|e| e["purpose"].as_str().unwrap()).collect();
    assert_eq!(log.len(), 5, "{purposes:?}");
    for (purpose, n) in [("生成文书：受理告知书", 2), ("生成文书：信访事项处理意见书", 2), ("生成文书：延期办理告知书", 1)] {
        assert_eq!(purposes.iter().filter(|p| **p == purpose).count(), n, "{purposes:?}");
    }
    assert!(log.iter().all(|e| e["fields"] == json!(["name"])), "{log:?}");
    assert!(log.iter().any(|e| e["username"] == "handler") && log.iter().any(|e| e["username"] == "clerk"));
    assert!(access_log(&h, other).await.is_empty());
}

async fn non_acceptance_notice_gives_the_reason_and_the_other_routes(b: Backend) {
    let h = harness_with(b, false).await;
    // An anonymous letter: no name to read, so nothing is logged.
    let (st, created) = h
        .as_user("clerk", Method::POST, "/api/v1/cases", Some(json!({ "channel": "letter", "matter_type": "claim", "subject": "要求返还借款", "content": "邻居借款五万元不还。" })))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = id_of(&created);
    h.act_ok("clerk", id, json!({ "action": "not_accept", "reason": "属于民事借贷纠纷，应当通过诉讼途径解决" })).await;
    let html = assert_html(&fetch(&h, "clerk", id, "non_acceptance_notice", "").await);
    assert!(html.contains("<h1>不予受理告知书</h1>") && html.contains("匿名信访人："), "{html}");
    assert!(html.contains("理由是：属于民事借贷纠纷，应当通过诉讼途径解决。"), "{html}");
    assert!(html.contains("第三十一条") && html.contains("《中华人民共和国人民调解法》第三条、第四条") && html.contains("示范县人民政府"), "{html}");
    assert!(html.contains("2026年3月2日"));
    let text = assert_docx(&fetch(&h, "clerk", id, "non_acceptance_notice", "?format=docx").await, &format!("不予受理告知书-{}.docx", created["number"].as_str().unwrap()));
    assert!(text.contains("匿名信访人：") && text.contains("第二十三条"), "{text}");
    let f = fetch(&h, "clerk", id, "acceptance_notice", "").await;
    assert_eq!(f.status, StatusCode::CONFLICT);
    assert_eq!(f.json()["error"]["current_status"], "not_accepted");
    assert!(access_log(&h, id).await.is_empty());
}

async fn markup_in_case_text_is_escaped_in_html_and_docx(b: Backend) {
    let h = harness_with(b, false).await;
    let attack = "<script>alert(1)</script>";
    let (st, created) = h
        .as_user(
            "clerk",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "channel": "online", "matter_type": "claim",
                "subject": format!("电梯停运{attack}"), "content": format!("电梯停运三个月。{attack}"),
                "petitioner": { "name": "王<b>建国</b>", "phone": "13912345678" }
            })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = id_of(&created);
    let unit = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "assign", "assign_days": 20 })).await;
    h.act_ok("handler", id, json!({ "action": "start_handling" })).await;
    h.act_ok(
        "handler",
        id,
        json!({ "action": "submit_reply", "decision": "explain", "facts": format!("事实{attack}"), "opinion": format!("意见{attack}"), "legal_basis": format!("依据{attack}") }),
    )
    .await;
    h.act_ok("head", id, json!({ "action": "approve_reply" })).await;

    let html = assert_html(&fetch(&h, "head", id, "handling_opinion", "").await);
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    for escaped in ["电梯停运&lt;script&gt;alert(1)&lt;/script&gt;", "事实&lt;script&gt;", "意见&lt;script&gt;", "依据&lt;script&gt;", "王&lt;b&gt;建国&lt;/b&gt;："] {
        assert!(html.contains(escaped), "{escaped} missing: {html}");
    }
    assert!(html.contains("三、处理意见：解释说明") && html.contains("本机关于2026年3月2日收到交办"), "{html}");
    // In the docx the markup is text (docx_text also checks document.xml has no raw <script).
    let text = assert_docx(&fetch(&h, "head", id, "handling_opinion", "?format=docx").await, &format!("信访事项处理意见书-{}.docx", created["number"].as_str().unwrap()));
    for plain in ["电梯停运<script>alert(1)</script>", "事实<script>alert(1)</script>", "依据<script>alert(1)</script>", "王<b>建国</b>："] {
        assert!(text.contains(plain), "{plain} missing: {text}");
    }
}

async fn confidential_accusation_notices_are_refused_to_the_unit_handling_it(b: Backend) {
    let h = harness_with(b, false).await;
    let (st, created) = h
        .as_user(
            "clerk",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "channel": "letter", "matter_type": "accusation", "confidential": true,
                "subject": "举报工地违规施工", "content": "某工地夜间违规施工。",
                "petitioner": { "name": "李举报", "phone": "13812345678" }
            })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = id_of(&created);
    let unit = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "forward" })).await;
    // The unit sees the case but not who reported it (Art. 30): no notice naming the petitioner.
    let (_, list) = h.as_user("handler", Method::GET, &format!("/api/v1/cases/{id}/documents"), None).await;
    let acceptance = list["items"].as_array().unwrap().iter().find(|i| i["kind"] == "acceptance_notice").unwrap().clone();
    assert_eq!(acceptance["available"], false, "{list}");
    assert!(acceptance["reason"].as_str().unwrap().contains("第三十条"), "{list}");
    let f = fetch(&h, "handler", id, "acceptance_notice", "").await;
    assert_eq!(f.status, StatusCode::FORBIDDEN);
    assert!(f.json()["error"]["message"].as_str().unwrap().contains("第三十条"));
    assert!(access_log(&h, id).await.is_empty());
    // The intake office issues it, and that read is recorded.
    let html = assert_html(&fetch(&h, "clerk", id, "acceptance_notice", "").await);
    assert!(html.contains("李举报："), "{html}");
    assert_eq!(access_log(&h, id).await.len(), 1);
}
