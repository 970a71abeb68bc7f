//! The ledger (台账) export end to end, on both backends: rows and columns of the CSV (parsed
//! back with the csv crate) and of the XLSX (read with Python's standard library), the period
//! boundaries in Beijing time, what a unit sees, masking per role and for a confidential
//! accusation, the access-log entry for every unmasked name, the neutralised formula cell, and
//! the console download's headers, login and CSRF rules.

#[macro_use]
mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use common::{harness_with, Backend, H};
use serde_json::{json, Value};

on_both_backends!(ledger_rows_columns_masking_and_access_log, ledger_xlsx_and_console_download);

const COLUMNS: [&str; 11] = ["编号", "来源", "登记日期", "姓名", "事项", "类别", "责任单位", "状态", "期限", "办结日期", "满意度"];
const FORMULA: &str = "=HYPERLINK(\"http://example.invalid\",\"点我\")";

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    redress_domain::china_offset().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

async fn register(h: &H, channel: &str, matter_type: &str, confidential: bool, subject: &str, name: &str) -> i64 {
    let (st, created) = h
        .as_user(
            "clerk",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "channel": channel, "matter_type": matter_type, "confidential": confidential, "category": "01.02",
                "subject": subject, "content": format!("{subject}，请尽快处理。"),
                "petitioner": { "name": name, "phone": "13812345678" }
            })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    id_of(&created)
}

/// The scene: five cases, four of them registered in March 2026 (Beijing time).
struct Scene {
    /// Letter, 王建国, 住建局, closed on 03-04 with 满意.
    closed: i64,
    /// Confidential accusation, 李举报, 住建局.
    accusation: i64,
    /// Visit, 刘芳, 教育局, subject a spreadsheet formula.
    formula: i64,
    /// Web, 陈海燕, registered 03-31 23:30, not yet accepted.
    last_day: i64,
    /// Registered 04-01 00:10: outside March.
    april: i64,
}

async fn scene(h: &H) -> Scene {
    let housing = h.org_id("县住房和城乡建设局").await;
    let education = h.org_id("县教育局").await;
    let closed = id_of(&h.register().await);
    let accusation = register(h, "letter", "accusation", true, "举报工地违规施工", "李举报").await;
    for id in [closed, accusation] {
        h.act_ok("clerk", id, json!({ "action": "accept" })).await;
        h.act_ok("clerk", id, json!({ "action": "route", "unit": housing, "mode": "forward" })).await;
    }
    h.clock.advance(Duration::days(1));
    h.act_ok("handler", closed, json!({ "action": "start_handling" })).await;
    h.act_ok(
        "handler",
        closed,
        json!({ "action": "submit_reply", "decision": "support", "facts": "经核实，电梯控制柜损坏。", "opinion": "责成物业十日内修复。", "legal_basis": "《物业管理条例》第三十五条" }),
    )
    .await;
    h.act_ok("head", closed, json!({ "action": "approve_reply" })).await;
    h.clock.advance(Duration::days(1));
    h.act_ok("clerk", closed, json!({ "action": "follow_up", "satisfaction": "satisfied", "note": "电话回访" })).await;
    h.act_ok("clerk", closed, json!({ "action": "close" })).await;
    h.clock.set(beijing(2026, 3, 5, 9, 0));
    let formula = register(h, "visit", "claim", false, FORMULA, "刘芳").await;
    h.act_ok("clerk", formula, json!({ "action": "accept" })).await;
    h.act_ok("clerk", formula, json!({ "action": "route", "unit": education, "mode": "forward" })).await;
    h.clock.set(beijing(2026, 3, 31, 23, 30));
    let last_day = register(h, "phone", "suggestion", false, "建议增设公交站台", "陈海燕").await;
    h.clock.set(beijing(2026, 4, 1, 0, 10));
    let april = register(h, "letter", "claim", false, "四月的来信", "周明").await;
    Scene { closed, accusation, formula, last_day, april }
}

struct Got {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(&name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(h: &H, user: &str, query: &str) -> Got {
    let req = Request::get(format!("/api/v1/ledger?{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token(user).unwrap()))
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = h.raw(req).await;
    Got { status, headers, body }
}

/// The CSV parsed back: BOM first, then the header and the rows, each exactly 11 cells.
fn parse_csv(g: &Got) -> Vec<Vec<String>> {
    assert_eq!(g.status, StatusCode::OK, "{}", g.text());
    assert_eq!(g.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
    assert!(g.body.starts_with("\u{feff}".as_bytes()), "no BOM");
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&g.body[3..]);
    let rows: Vec<Vec<String>> = r.records().map(|rec| rec.expect("valid CSV").iter().map(str::to_string).collect()).collect();
    assert_eq!(rows[0], COLUMNS, "header");
    assert!(rows.iter().all(|r| r.len() == 11), "{rows:?}");
    rows[1..].to_vec()
}

async fn number(h: &H, id: i64) -> String {
    let (_, v) = h.as_user("admin", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
    v["number"].as_str().unwrap().to_string()
}

async fn ledger_log(h: &H) -> Vec<Value> {
    let (st, log) = h.as_user("auditor", Method::GET, "/api/v1/access-log?limit=1000", None).await;
    assert_eq!(st, StatusCode::OK, "{log}");
    log["items"].as_array().unwrap().iter().filter(|e| e["purpose"] == "导出台账").cloned().collect()
}

const MARCH: &str = "from=2026-03-01&to=2026-03-31";

async fn ledger_rows_columns_masking_and_access_log(b: Backend) {
    let h = harness_with(b, false).await;
    let s = scene(&h).await;
    let (_, view) = h.as_user("admin", Method::GET, &format!("/api/v1/cases/{}", s.closed), None).await;
    let (_, formula_view) = h.as_user("admin", Method::GET, &format!("/api/v1/cases/{}", s.formula), None).await;

    // The county's ledger, names masked: the four March cases in registration order.
    let rows = parse_csv(&get(&h, "admin", &format!("{MARCH}&format=csv")).await);
    let numbers: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let mut expected = vec![];
    for id in [s.closed, s.accusation, s.formula, s.last_day] {
        expected.push(number(&h, id).await);
    }
    assert_eq!(numbers, expected, "{rows:?}");
    let april = number(&h, s.april).await;
    assert!(!numbers.contains(&april.as_str()), "04-01 00:10 Beijing is outside March");
    assert_eq!(
        rows[0],
        vec![
            expected[0].clone(),
            "来信".to_string(),
            "2026-03-02".to_string(),
            "王**".to_string(),
            "小区电梯停运三个月".to_string(),
            view["category_label"].as_str().unwrap().to_string(),
            "县住房和城乡建设局".to_string(),
            view["status_label"].as_str().unwrap().to_string(),
            view["deadline"]["due"].as_str().unwrap_or("").to_string(),
            "2026-03-04".to_string(),
            "满意".to_string(),
        ]
    );
    assert_eq!(rows[1][3], "李**");
    // The formula is neutralised with a leading apostrophe, the rest of the text intact.
    assert_eq!(rows[2][4], format!("'{FORMULA}"));
    assert_eq!(rows[2][1], "来访");
    assert_eq!(rows[2][6], "县教育局");
    assert_eq!(rows[2][8], formula_view["deadline"]["due"].as_str().unwrap());
    assert_eq!((rows[2][9].as_str(), rows[2][10].as_str()), ("", ""), "open case: no closing date, no satisfaction");
    assert_eq!((rows[3][2].as_str(), rows[3][3].as_str(), rows[3][6].as_str()), ("2026-03-31", "陈**", ""), "{:?}", rows[3]);
    assert!(ledger_log(&h).await.is_empty(), "masked export reads no name");

    // With names, by the administrator: every name, the confidential one too, each recorded.
    let rows = parse_csv(&get(&h, "admin", &format!("{MARCH}&format=csv&names=true")).await);
    let names: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(names, ["王建国", "李举报", "刘芳", "陈海燕"]);
    let log = ledger_log(&h).await;
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|e| e["username"] == "admin" && e["fields"] == json!(["name"])), "{log:?}");
    let mut logged: Vec<i64> = log.iter().map(|e| e["case_id"].as_i64().unwrap()).collect();
    logged.sort();
    let mut want = vec![s.closed, s.accusation, s.formula, s.last_day];
    want.sort();
    assert_eq!(logged, want);

    // The housing bureau's handler sees only its unit's cases; the accuser stays hidden from it.
    let rows = parse_csv(&get(&h, "handler", &format!("{MARCH}&format=csv&names=true")).await);
    assert_eq!(rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), expected[..2].to_vec());
    assert_eq!((rows[0][3].as_str(), rows[1][3].as_str()), ("王建国", "李**"));
    let log = ledger_log(&h).await;
    let by_handler: Vec<&Value> = log.iter().filter(|e| e["username"] == "handler").collect();
    assert_eq!(by_handler.len(), 1, "{log:?}");
    assert_eq!(by_handler[0]["case_id"], s.closed);

    // The auditor may not unmask: names=true is refused, the masked ledger is given.
    let g = get(&h, "auditor", &format!("{MARCH}&format=csv&names=true")).await;
    assert_eq!(g.status, StatusCode::FORBIDDEN, "{}", g.text());
    assert!(g.text().contains("脱敏"), "{}", g.text());
    let rows = parse_csv(&get(&h, "auditor", &format!("{MARCH}&format=csv")).await);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r[3].contains('*')), "{rows:?}");
    assert_eq!(ledger_log(&h).await.len(), 5, "refused and masked exports record nothing");

    // One unit: the education bureau's ledger has the one case routed there.
    let education = h.org_id("县教育局").await;
    let rows = parse_csv(&get(&h, "admin", &format!("{MARCH}&format=csv&unit={education}")).await);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], expected[2]);
    // The whole county as a unit (its subtree) gives the routed cases only.
    let county = h.org_id("示范县").await;
    let rows = parse_csv(&get(&h, "admin", &format!("{MARCH}&format=csv&unit={county}")).await);
    assert_eq!(rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), expected[..3].to_vec());

    // JSON for API clients, and errors in Chinese with the field.
    let (st, v) = h.as_user("admin", Method::GET, &format!("/api/v1/ledger?{MARCH}&format=json"), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 4);
    assert_eq!(v["items"][0]["name"], "王**");
    assert_eq!(v["title"], "示范县人民政府 信访事项台账（2026-03-01 至 2026-03-31）");
    let (st, v) = h.as_user("admin", Method::GET, "/api/v1/ledger?from=2026-03-31&to=2026-03-01", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "to");
    assert!(v["error"]["message"].as_str().unwrap().contains("截止日期不能早于起始日期"), "{v}");
    let (st, v) = h.as_user("admin", Method::GET, &format!("/api/v1/ledger?{MARCH}&format=pdf"), None).await;
    assert_eq!((st, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")), "{v}");
    let (st, _) = h.call(Method::GET, &format!("/api/v1/ledger?{MARCH}"), None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

/// Reads the workbook with Python's standard library: every part parses, the CRCs hold; prints
/// a JSON object with the sheet's cells (reference → text or number, shared strings resolved),
/// its frozen pane, autofilter, column count and the styles' number formats.
fn read_xlsx(bytes: &[u8]) -> Value {
    const SCRIPT: &str = r#"
import io, json, sys, zipfile
from xml.dom import minidom
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert z.testzip() is None, "bad CRC"
for n in z.namelist():
    if n.endswith(".xml") or n.endswith(".rels"):
        minidom.parseString(z.read(n))
shared = []
if "xl/sharedStrings.xml" in z.namelist():
    for si in minidom.parseString(z.read("xl/sharedStrings.xml")).getElementsByTagName("si"):
        shared.append("".join(t.firstChild.data if t.firstChild else "" for t in si.getElementsByTagName("t")))
sheet = minidom.parseString(z.read("xl/worksheets/sheet1.xml"))
cells = {}
for c in sheet.getElementsByTagName("c"):
    ref, t = c.getAttribute("r"), c.getAttribute("t")
    v = c.getElementsByTagName("v")
    if t == "s":
        cells[ref] = shared[int(v[0].firstChild.data)]
    elif t == "inlineStr":
        cells[ref] = "".join(x.firstChild.data if x.firstChild else "" for x in c.getElementsByTagName("t"))
    elif t == "str":
        cells[ref] = v[0].firstChild.data
    elif v:
        cells[ref] = float(v[0].firstChild.data)
pane = sheet.getElementsByTagName("pane")
af = sheet.getElementsByTagName("autoFilter")
styles = z.read("xl/styles.xml").decode()
names = [s.getAttribute("name") for s in minidom.parseString(z.read("xl/workbook.xml")).getElementsByTagName("sheet")]
print(json.dumps({
    "cells": cells,
    "ySplit": pane[0].getAttribute("ySplit") if pane else None,
    "autofilter": af[0].getAttribute("ref") if af else None,
    "cols": {str(i): float(c.getAttribute("width")) for c in sheet.getElementsByTagName("col") for i in range(int(c.getAttribute("min")), int(c.getAttribute("max")) + 1)},
    "date_format": "yyyy-mm-dd" in styles,
    "sheets": names,
}, ensure_ascii=False))
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "not a valid workbook: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON from the reader")
}

/// Excel's serial day number of a date (1900 date system).
fn serial(y: i32, m: u32, d: u32) -> f64 {
    (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap() - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

async fn ledger_xlsx_and_console_download(b: Backend) {
    let h = harness_with(b, false).await;
    let s = scene(&h).await;
    let housing = h.org_id("县住房和城乡建设局").await;

    // The housing bureau's ledger as a workbook.
    let g = get(&h, "admin", &format!("{MARCH}&unit={housing}")).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text());
    assert_eq!(g.header(header::CONTENT_TYPE), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let cd = g.header(header::CONTENT_DISPOSITION).to_string();
    let encoded = cd.split("filename*=UTF-8''").nth(1).expect("RFC 5987 file name");
    let decoded: Vec<u8> = {
        let b = encoded.as_bytes();
        let mut out = vec![];
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    };
    assert_eq!(String::from_utf8(decoded).unwrap(), "台账-县住房和城乡建设局-2026-03.xlsx");
    assert!(cd.starts_with(&format!("attachment; filename=\"ledger-unit{housing}-2026-03.xlsx\"")), "{cd}");
    assert_eq!(g.header(header::CACHE_CONTROL), "no-store");
    let x = read_xlsx(&g.body);
    let cells = &x["cells"];
    assert_eq!(cells["A1"], "示范县住房和城乡建设局 信访事项台账（2026-03-01 至 2026-03-31）");
    for (i, c) in COLUMNS.iter().enumerate() {
        let r = format!("{}2", (b'A' + i as u8) as char);
        assert_eq!(cells[&r], *c, "header {r}");
    }
    assert_eq!(cells["A3"], format!("XF2026-{:06}", s.closed));
    assert_eq!(cells["A4"], format!("XF2026-{:06}", s.accusation));
    assert!(cells.get("A5").is_none(), "only the unit's two cases: {cells}");
    assert_eq!((cells["D3"].as_str(), cells["D4"].as_str()), (Some("王**"), Some("李**")));
    assert_eq!(cells["C3"], serial(2026, 3, 2), "registration date as a real date");
    assert_eq!(cells["J3"], serial(2026, 3, 4), "closing date as a real date");
    assert_eq!(cells["K3"], "满意");
    assert!(cells.get("J4").is_none());
    assert_eq!(x["ySplit"], "2", "title and header frozen");
    assert_eq!(x["autofilter"], "A2:K4");
    let widths = x["cols"].as_object().unwrap();
    assert_eq!(widths.len(), 11, "every column has a width: {widths:?}");
    assert!(widths["5"].as_f64().unwrap() > widths["1"].as_f64().unwrap(), "事项 is the widest: {widths:?}");
    assert_eq!(x["date_format"], true);
    assert_eq!(x["sheets"], json!(["台账"]));

    // The formula case in a workbook is a text cell, not a formula.
    let education = h.org_id("县教育局").await;
    let x = read_xlsx(&get(&h, "admin", &format!("{MARCH}&unit={education}")).await.body);
    assert_eq!(x["cells"]["E3"], FORMULA);

    // The console: a GET with the session cookie, no state change.
    let (st, login) = h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "username": "clerk", "password": redress_app::demo::DEMO_PASSWORD }))).await;
    assert_eq!(st, StatusCode::OK, "{login}");
    let session = login["token"].as_str().unwrap().to_string();
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    let console = |query: String, with_cookie: bool| {
        let mut b = Request::get(format!("/console/ledger?{query}"));
        if with_cookie {
            b = b.header(header::COOKIE, format!("redress_session={session}"));
        }
        b.body(Body::empty()).unwrap()
    };
    // The case list offers the download form.
    let req = Request::get("/console/cases").header(header::COOKIE, format!("redress_session={session}")).body(Body::empty()).unwrap();
    let (st, _, page) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    let page = String::from_utf8_lossy(&page).into_owned();
    assert!(page.contains(r#"action="/console/ledger""#) && page.contains("下载台账"), "{page}");
    let head_before = h.app.store.chain_head().await.unwrap();
    let (st, headers, body) = h.raw(console(format!("{MARCH}&format=csv&unit={housing}"), true)).await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let cd = headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap();
    assert!(cd.starts_with("attachment; ") && cd.contains("filename*=UTF-8''%E5%8F%B0%E8%B4%A6-"), "{cd}");
    assert!(cd.ends_with(".csv"), "{cd}");
    assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let rows = parse_csv(&Got { status: st, headers: headers.clone(), body });
    assert_eq!(rows.len(), 2);
    assert_eq!(h.app.store.chain_head().await.unwrap(), head_before, "a download changes no case");
    assert_eq!(ledger_log(&h).await.len(), 0);

    // Names from the console need the session's CSRF token; then each read is recorded.
    let (st, _, body) = h.raw(console(format!("{MARCH}&format=csv&unit={housing}&names=true"), true)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("CSRF"));
    assert_eq!(ledger_log(&h).await.len(), 0);
    let (st, headers, body) = h.raw(console(format!("{MARCH}&format=csv&unit={housing}&names=true&csrf={csrf}"), true)).await;
    let rows = parse_csv(&Got { status: st, headers, body });
    assert_eq!(rows.iter().map(|r| r[3].as_str()).collect::<Vec<_>>(), ["王建国", "李举报"], "the intake office may read both");
    assert_eq!(ledger_log(&h).await.len(), 2);

    // Bad input is a page with the Chinese message; no session is a redirect to the login.
    let (st, _, body) = h.raw(console("from=2026-03-01&to=2026-02-01".into(), true)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&body).contains("截止日期不能早于起始日期"));
    let (st, headers, _) = h.raw(console(MARCH.into(), false)).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(headers.get(header::LOCATION).unwrap().to_str().unwrap().starts_with("/console/login"));
    let _ = (s.formula, s.last_day, s.april);
}
