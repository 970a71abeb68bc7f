//! The dashboard (指挥中心) end to end on both backends: figures and breakdowns from the
//! rollup, each role's scope, the cases behind a count, the console page with its charts' data
//! block and definitions on hover, and the vendored ECharts.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use common::{harness_with, Backend, H};
use serde_json::{json, Value};

on_both_backends!(dashboard_counts_rates_scopes_and_drills_down, dashboard_console_page_charts_and_definitions);

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn figure(d: &Value, key: &str) -> Value {
    d["figures"].as_array().unwrap_or_else(|| panic!("no figures: {d}")).iter().find(|f| f["key"] == key).unwrap_or_else(|| panic!("no {key} in {d}"))["value"].clone()
}

/// Three letters in 城关镇 in March 2026: one handled to the end (satisfied, on time), one
/// accepted, one left registered until its 15-day acceptance deadline passes.
async fn three_cases(h: &H) -> (i64, i64, i64) {
    let done = id_of(&h.register().await);
    let accepted = id_of(&h.register().await);
    let waiting = id_of(&h.register().await);
    let housing = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", done, json!({ "action": "accept" })).await;
    h.act_ok("clerk", done, json!({ "action": "route", "unit": housing, "mode": "forward", "note": "请按期办理" })).await;
    h.clock.advance(Duration::days(3));
    h.act_ok("handler", done, json!({ "action": "start_handling" })).await;
    h.act_ok("handler", done, json!({ "action": "submit_reply", "decision": "support", "facts": "经核实", "opinion": "予以修复", "legal_basis": "《物业管理条例》" })).await;
    h.act_ok("head", done, json!({ "action": "approve_reply" })).await;
    h.act_ok("clerk", done, json!({ "action": "follow_up", "satisfaction": "satisfied", "note": "电话回访" })).await;
    h.act_ok("clerk", accepted, json!({ "action": "accept" })).await;
    // 1 April: the registered case's acceptance deadline (17 March) has passed.
    h.clock.advance(Duration::days(27));
    (done, accepted, waiting)
}

async fn dashboard_counts_rates_scopes_and_drills_down(b: Backend) {
    let h = harness_with(b, false).await;
    let (done, _accepted, waiting) = three_cases(&h).await;
    let (st, d) = h.as_user("leader", Method::GET, "/api/v1/dashboard?from=2026-03&to=2026-04", None).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["scope_label"], "全县");
    assert_eq!(figure(&d, "received"), json!(3.0));
    assert_eq!(figure(&d, "accepted"), json!(2.0));
    assert_eq!(figure(&d, "closed"), json!(1.0));
    assert_eq!(figure(&d, "closed_rate"), json!(50.0));
    assert_eq!(figure(&d, "on_time_rate"), json!(100.0));
    assert_eq!(figure(&d, "satisfied_rate"), json!(100.0));
    assert_eq!(figure(&d, "avg_days"), json!(3.0));
    assert_eq!(figure(&d, "overdue"), json!(1.0));
    assert_eq!(figure(&d, "mediation_rate"), Value::Null, "no dispute has ended: no figure rather than 0");
    let defs: Vec<&str> = d["figures"].as_array().unwrap().iter().map(|f| f["definition"].as_str().unwrap()).collect();
    assert!(defs.contains(&redress_app::figures::ON_TIME_RATE.definition));
    assert_eq!(redress_app::portal::CLOSED_RATE_DEFINITION, redress_app::figures::CLOSED_RATE.definition, "the portal shares the definition");
    let months: Vec<(&str, i64)> = d["months"].as_array().unwrap().iter().map(|m| (m["key"].as_str().unwrap(), m["received"].as_i64().unwrap())).collect();
    assert_eq!(months, [("2026-03", 3), ("2026-04", 0)]);
    let town = &d["by_town"][0];
    assert_eq!((town["label"].as_str(), town["received"].as_i64(), town["overdue"].as_i64()), (Some("城关镇"), Some(3), Some(1)));
    let housing = h.org_id("县住房和城乡建设局").await;
    let unit = d["by_unit"].as_array().unwrap().iter().find(|u| u["key"] == housing.to_string()).expect("housing row");
    assert_eq!((unit["received"].as_i64(), unit["closed"].as_i64()), (Some(1), Some(1)));
    assert_eq!(d["by_category"][0]["label"], "城乡建设/物业管理", "{}", d["by_category"]);

    // Filters narrow every figure.
    let hh = &h;
    let get = |q: &'static str| async move { hh.as_user("leader", Method::GET, &format!("/api/v1/dashboard?from=2026-03&to=2026-04{q}"), None).await.1 };
    assert_eq!(figure(&get("&category=01").await, "received"), json!(3.0));
    assert_eq!(figure(&get("&category=02").await, "received"), json!(0.0));
    assert_eq!(figure(&get("&channel=visit").await, "received"), json!(0.0));
    assert_eq!(figure(&get("").await, "received"), figure(&get("&channel=letter").await, "received"));
    let town_id = h.org_id("城关镇").await;
    let (_, by_town) = h.as_user("leader", Method::GET, &format!("/api/v1/dashboard?from=2026-03&to=2026-04&town={town_id}"), None).await;
    assert_eq!(figure(&by_town, "received"), json!(3.0));
    let (_, april) = h.as_user("leader", Method::GET, "/api/v1/dashboard?from=2026-04&to=2026-04", None).await;
    assert_eq!(figure(&april, "received"), json!(0.0), "April registered nothing");
    assert_eq!(figure(&april, "overdue"), json!(1.0), "overdue now does not depend on the period");

    // The cases behind a count.
    let list = |q: String| async move { hh.as_user("leader", Method::GET, &format!("/api/v1/dashboard/cases?from=2026-03&to=2026-04{q}"), None).await };
    let (st, closed) = list("&figure=closed".into()).await;
    assert_eq!(st, StatusCode::OK, "{closed}");
    assert_eq!(closed["total"], 1);
    assert_eq!(closed["items"][0]["id"], done);
    let (_, overdue) = list("&figure=overdue".into()).await;
    assert_eq!((overdue["total"].as_i64(), overdue["items"][0]["id"].as_i64()), (Some(1), Some(waiting)));
    let (_, received) = list(format!("&unit={housing}")).await;
    assert_eq!(received["total"], 1);

    // A unit sees its own cases only; a town office its town.
    let (_, unit_view) = h.as_user("handler", Method::GET, "/api/v1/dashboard?from=2026-03&to=2026-04", None).await;
    assert_eq!(unit_view["scope_label"], "县住房和城乡建设局");
    assert_eq!(figure(&unit_view, "received"), json!(1.0));
    let (_, town_view) = h.as_user("town_clerk", Method::GET, "/api/v1/dashboard?from=2026-03&to=2026-04", None).await;
    assert_eq!(figure(&town_view, "received"), json!(3.0), "the three matters are in 城关镇: {}", town_view["scope_label"]);

    // Bad input names the field.
    let (st, err) = h.as_user("leader", Method::GET, "/api/v1/dashboard?from=2026-13", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (st, _) = h.as_user("leader", Method::GET, "/api/v1/dashboard?from=2026-05&to=2026-03", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = h.call(Method::GET, "/api/v1/dashboard", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // The monthly analysis report: paragraphs from the same figures, in HTML, DOCX and JSON.
    let (st, report) = h.as_user("leader", Method::GET, "/api/v1/reports/monthly?month=2026-03&format=json", None).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    let text: String = report["blocks"].as_array().unwrap().iter().map(|b| format!("{}{}{}", b["text"].as_str().unwrap_or(""), b["label"].as_str().unwrap_or(""), b["value"].as_str().unwrap_or(""))).collect();
    assert_eq!(report["title"], "2026年3月信访工作分析报告");
    assert!(text.contains("2026年3月，全县共登记信访事项3件，较上月增加3件"), "{text}");
    assert!(text.contains("受理2件，办结1件，办结率50%，按期办结率100%，满意率100%"), "{text}");
    assert!(text.contains("城乡建设/物业管理（3件，占100%）"), "{text}");
    assert!(text.contains("城关镇（3件，占100%）"), "{text}");
    assert!(text.contains("本月未发出预警"), "{text}");
    let req = Request::get("/api/v1/reports/monthly?month=2026-03&format=docx").header(header::AUTHORIZATION, format!("Bearer {}", h.token("leader").unwrap())).body(Body::empty()).unwrap();
    let (st, headers, docx) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("wordprocessingml"));
    assert!(docx.starts_with(b"PK"), "a ZIP package");
    let xml = String::from_utf8_lossy(&docx);
    assert!(xml.contains("word/document.xml") && xml.contains("全县共登记信访事项3件"), "stored entries hold the text");
    let (st, _) = h.as_user("leader", Method::GET, "/api/v1/reports/monthly?month=2026-3x", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // Scorecards (考核) for March from the same figures, with weights an administrator sets.
    let (st, card) = h.as_user("leader", Method::GET, "/api/v1/scorecards?month=2026-03", None).await;
    assert_eq!(st, StatusCode::OK, "{card}");
    let row = card["rows"].as_array().unwrap().iter().find(|r| r["unit"] == housing.to_string()).expect("housing scored");
    assert_eq!((row["rank"].as_i64(), row["score"].as_f64()), (Some(1), Some(100.0)), "{card}");
    let (st, _) = h.as_user("handler", Method::PUT, "/api/v1/settings/scorecard-weights", Some(json!({ "closed_rate": 1, "on_time_rate": 1, "satisfied_rate": 1, "overdue_penalty": 0 }))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, err) = h.as_user("admin", Method::PUT, "/api/v1/settings/scorecard-weights", Some(json!({ "closed_rate": 0, "on_time_rate": 0, "satisfied_rate": 0, "overdue_penalty": 0 }))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (st, _) = h.as_user("admin", Method::PUT, "/api/v1/settings/scorecard-weights", Some(json!({ "closed_rate": 50, "on_time_rate": 0, "satisfied_rate": 50, "overdue_penalty": 2 }))).await;
    assert_eq!(st, StatusCode::OK);
    let (_, card) = h.as_user("leader", Method::GET, "/api/v1/scorecards?month=2026-03", None).await;
    assert_eq!(card["weights"]["overdue_penalty"], 2.0);
    assert!(card["definition"].as_str().unwrap().contains(redress_app::figures::ON_TIME_RATE.definition));
}

async fn dashboard_console_page_charts_and_definitions(b: Backend) {
    let h = harness_with(b, false).await;
    let (_done, _accepted, waiting) = three_cases(&h).await;
    let (st, login) = h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "username": "leader", "password": redress_app::demo::DEMO_PASSWORD }))).await;
    assert_eq!(st, StatusCode::OK, "{login}");
    let session = login["token"].as_str().unwrap().to_string();
    let hh = &h;
    let page = |path: String| {
        let session = session.clone();
        async move {
            let req = Request::get(path).header(header::COOKIE, format!("redress_session={session}")).body(Body::empty()).unwrap();
            let (st, headers, body) = hh.raw(req).await;
            (st, headers, String::from_utf8(body).unwrap())
        }
    };
    let (st, headers, html) = page("/console/dashboard?from=2026-03&to=2026-04".into()).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"));
    assert!(html.contains("指挥中心") && html.contains(r#"href="/console/dashboard""#), "nav link and title");
    // Every definition is on its figure (hover) and in the definitions list.
    for f in redress_app::figures::ALL {
        assert!(html.contains(&format!(r#"title="{}""#, askama_escape(f.definition))), "no hover definition for {}", f.label);
    }
    // No inline script: each script loads a file or is a JSON data block.
    for tag in html.split("<script").skip(1) {
        let open = &tag[..tag.find('>').unwrap()];
        assert!(open.contains("src=\"/assets/") || open.contains(r#"type="application/json""#), "inline script: {open}");
    }
    assert!(html.contains(r#"src="/assets/echarts.min.js""#) && html.contains(r#"src="/assets/dashboard.js""#));
    let start = html.find(r#"id="dashboard-data">"#).unwrap() + r#"id="dashboard-data">"#.len();
    let data: Value = serde_json::from_str(&html[start..start + html[start..].find("</script>").unwrap()]).unwrap();
    assert_eq!(data["months"][0]["received"], 3);
    assert!(data["towns"][0]["href"].as_str().unwrap().starts_with("/console/dashboard/cases?"));
    // The overdue figure drills down to its case.
    assert!(html.contains("figure=overdue"), "drill link for the overdue count");
    let (st, _, list) = page("/console/dashboard/cases?from=2026-03&to=2026-04&figure=overdue".into()).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert!(list.contains("当前超期：1 件") && list.contains(&format!("/console/cases/{waiting}")), "{list}");
    // Without a session: to the login page.
    let req = Request::get("/console/dashboard").body(Body::empty()).unwrap();
    assert_eq!(h.raw(req).await.0, StatusCode::SEE_OTHER);
    // The vendored assets.
    for (path, needle) in [("/assets/echarts.min.js", "echarts"), ("/assets/dashboard.js", "dashboard-data")] {
        let (st, headers, body) = h.raw(Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(st, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
        assert!(String::from_utf8_lossy(&body).contains(needle));
    }
}

/// What askama makes of text in an attribute.
fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#x27;")
}
