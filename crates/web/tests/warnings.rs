//! Three-level early warning (三级预警) end to end on both backends: rules as data edited by
//! an administrator (never about a person), the idempotent scan, the warning in the recipient's
//! workbench, escalation of an unacknowledged warning one level at a time, acknowledgement and
//! disposition with notes, and links to its cases.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use common::{harness_with, Backend, H};
use serde_json::{json, Value};

on_both_backends!(
    warnings_are_raised_idempotently_escalate_and_are_disposed,
    warning_rules_are_admin_data_about_matters_and_places,
    complaints_about_a_project_under_assessment_are_linked_and_warned
);

async fn scan(h: &H) -> Value {
    let (st, r) = h.as_user("admin", Method::POST, "/api/v1/warnings/scan", None).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    r
}

fn counts(r: &Value) -> (i64, i64, i64) {
    (r["raised"].as_i64().unwrap(), r["updated"].as_i64().unwrap(), r["escalated"].as_i64().unwrap())
}

async fn rules(h: &H) {
    let county = h.org_id("示范县").await;
    let rules = json!([
        { "id": "similar", "name": "同一乡镇7日内同类2件", "kind": "similar_in_place", "level": "blue", "recipient": county, "threshold": 2, "window_days": 7, "escalate_after_hours": 24 },
        { "id": "overdue", "name": "单位超期1件", "kind": "overdue", "level": "red", "recipient": county, "threshold": 1 }
    ]);
    let (st, body) = h.as_user("admin", Method::PUT, "/api/v1/warning-rules", Some(rules)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
}

async fn warnings_are_raised_idempotently_escalate_and_are_disposed(b: Backend) {
    let h = harness_with(b, false).await;
    rules(&h).await;
    let first = h.register().await["id"].as_i64().unwrap();
    assert_eq!(counts(&scan(&h).await), (0, 0, 0), "one case is below the line");
    let second = h.register().await["id"].as_i64().unwrap();
    assert_eq!(counts(&scan(&h).await), (1, 0, 0));
    assert_eq!(counts(&scan(&h).await), (0, 0, 0), "the same situation raises nothing twice");
    let third = h.register().await["id"].as_i64().unwrap();
    assert_eq!(counts(&scan(&h).await), (0, 1, 0), "a new case joins the live warning");

    let (_, list) = h.as_user("leader", Method::GET, "/api/v1/warnings", None).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let w = &items[0];
    let id = w["id"].as_i64().unwrap();
    assert_eq!(w["level"], "blue");
    assert_eq!(w["title"], "城关镇近7日“城乡建设/物业管理”类事项3件");
    assert_eq!(w["cases"], json!([first, second, third]));
    let (_, unit_list) = h.as_user("handler", Method::GET, "/api/v1/warnings", None).await;
    assert_eq!(unit_list["items"], json!([]), "addressed to the county, not to the unit");
    let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/warnings/{id}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // In the leader's workbench, linked to its page, which lists the cases.
    let (_, login) = h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "username": "leader", "password": redress_app::demo::DEMO_PASSWORD }))).await;
    let cookie = format!("redress_session={}", login["token"].as_str().unwrap());
    let page = |path: String| {
        let cookie = cookie.clone();
        let h = &h;
        async move {
            let (st, _, body) = h.raw(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await;
            (st, String::from_utf8(body).unwrap())
        }
    };
    let (st, wb) = page("/console".into()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(wb.contains("蓝色预警") && wb.contains(&format!("/console/warnings/{id}")), "workbench shows the warning");
    let (_, detail) = page(format!("/console/warnings/{id}")).await;
    for c in [first, second, third] {
        assert!(detail.contains(&format!("/console/cases/{c}")), "links to case {c}");
    }

    // Unacknowledged: one level up after 24 hours, then red, and no further.
    h.clock.advance(Duration::hours(25));
    assert_eq!(counts(&scan(&h).await).2, 1);
    h.clock.advance(Duration::hours(25));
    assert_eq!(counts(&scan(&h).await).2, 1);
    let (_, w) = h.as_user("leader", Method::GET, &format!("/api/v1/warnings/{id}"), None).await;
    assert_eq!(w["level"], "red");
    h.clock.advance(Duration::hours(25));
    assert_eq!(counts(&scan(&h).await).2, 0, "red is the top");

    // Acknowledge in the console (CSRF required), then dispose with notes through the API.
    // (Signed in again: sessions last hours and the clock moved days.)
    let (_, login) = h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "username": "leader", "password": redress_app::demo::DEMO_PASSWORD }))).await;
    let cookie = format!("redress_session={}", login["token"].as_str().unwrap());
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    let post = |form: String| {
        let cookie = cookie.clone();
        let h = &h;
        async move {
            let req = Request::post(format!("/console/warnings/{id}/act"))
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap();
            let (st, _, body) = h.raw(req).await;
            (st, String::from_utf8(body).unwrap())
        }
    };
    let (st, _) = post("op=acknowledge".into()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no CSRF token");
    let (st, body) = post(format!("op=acknowledge&csrf={csrf}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains("预警已签收") && body.contains("已签收待处置"), "{body}");
    let (st, err) = h.as_user("leader", Method::POST, &format!("/api/v1/warnings/{id}/dispose"), Some(json!({ "disposition": " " }))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (st, done) = h.as_user("leader", Method::POST, &format!("/api/v1/warnings/{id}/dispose"), Some(json!({ "disposition": "已召集住建局和城关镇现场协调", "notes": "一周后回访" }))).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!((done["status"].as_str(), done["notes"].as_str()), (Some("disposed"), Some("一周后回访")));
    assert!(done["history"].as_array().unwrap().len() >= 5, "raised, two escalations, acknowledged, disposed: {}", done["history"]);
    let (_, live) = h.as_user("leader", Method::GET, "/api/v1/warnings", None).await;
    assert_eq!(live["items"], json!([]), "disposed warnings leave the live list");
    let (_, all) = h.as_user("leader", Method::GET, "/api/v1/warnings?status=all", None).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);

    // The same cases do not raise it again; a new one does.
    assert_eq!(counts(&scan(&h).await).0, 0);
    h.register().await;
    assert_eq!(counts(&scan(&h).await).0, 1);

    // A unit with an overdue case: the red rule.
    let housing = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", first, json!({ "action": "accept" })).await;
    h.act_ok("clerk", first, json!({ "action": "route", "unit": housing, "mode": "forward", "note": "请按期办理" })).await;
    h.clock.advance(Duration::days(70));
    scan(&h).await;
    let (_, live) = h.as_user("leader", Method::GET, "/api/v1/warnings", None).await;
    let overdue = live["items"].as_array().unwrap().iter().find(|w| w["rule_id"] == "overdue").expect("overdue warning");
    assert_eq!(overdue["level"], "red");
    assert_eq!(overdue["title"], "县住房和城乡建设局有1件事项已超期");
    assert_eq!(overdue["cases"], json!([first]));
}

async fn warning_rules_are_admin_data_about_matters_and_places(b: Backend) {
    let h = harness_with(b, false).await;
    let (st, defaults) = h.as_user("leader", Method::GET, "/api/v1/warning-rules", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(defaults.as_array().unwrap().len() >= 5, "defaults to start from: {defaults}");
    let person = json!([{ "id": "p", "name": "盯住某人", "kind": "collective", "level": "red", "recipient": 1, "threshold": 1, "window_days": 7, "petitioner_name": "张三" }]);
    let (st, err) = h.as_user("admin", Method::PUT, "/api/v1/warning-rules", Some(person)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a rule cannot name a person: {err}");
    let bad = json!([{ "id": "x", "name": "x", "kind": "similar_in_place", "level": "blue", "recipient": 1, "threshold": 0, "window_days": 7 }]);
    let (st, err) = h.as_user("admin", Method::PUT, "/api/v1/warning-rules", Some(bad)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("[0].threshold")), "{err}");
    let ok = json!([{ "id": "x", "name": "同一乡镇3件", "kind": "similar_in_place", "level": "yellow", "recipient": 1, "threshold": 3, "window_days": 7 }]);
    let (st, _) = h.as_user("handler", Method::PUT, "/api/v1/warning-rules", Some(ok.clone())).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only administrators edit rules");
    let (st, saved) = h.as_user("admin", Method::PUT, "/api/v1/warning-rules", Some(ok)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(saved[0]["level"], "yellow");
    // The console editor shows them and reports a bad edit beside the text.
    let (_, login) = h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "username": "admin", "password": redress_app::demo::DEMO_PASSWORD }))).await;
    let cookie = format!("redress_session={}", login["token"].as_str().unwrap());
    let csrf = login["csrf_token"].as_str().unwrap();
    let (st, _, page) = h.raw(Request::get("/console/warning-rules").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8(page).unwrap().contains("同一乡镇3件"));
    let form = format!("csrf={csrf}&rules=%5B%7B%22id%22%3A%22x%22%7D%5D");
    let req = Request::post("/console/warning-rules").header(header::COOKIE, &cookie).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(form)).unwrap();
    let (st, _, page) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8(page).unwrap().contains("规则格式有误"));
}

// ----- the register of projects under risk assessment (稳评) and its warning -----

fn project(town: i64, unit: i64) -> Value {
    json!({
        "id": "2026-001", "name": "城关镇老旧小区改造", "kind": "project", "deciding_body": "县人民政府",
        "responsible_unit": unit, "assessing_body": "县住房和城乡建设局", "assessment_required": true,
        "towns": [town], "categories": ["01"], "assessment_from": "2026-01-01", "stage": "assessing"
    })
}

/// A project under assessment is registered by an administrator (checked field by field);
/// cases in its town and categories since the assessment began are linked to it, and three
/// within seven days raise one 黄色 warning about the project, once.
async fn complaints_about_a_project_under_assessment_are_linked_and_warned(b: Backend) {
    let h = harness_with(b, false).await;
    let county = h.org_id("示范县").await;
    let town = h.org_id("城关镇").await;
    let housing = h.org_id("县住房和城乡建设局").await;
    let (_, demo) = h.as_user("clerk", Method::GET, "/api/v1/assessment-projects", None).await;
    assert_eq!(demo.as_array().map(Vec::len), Some(1), "the demo county has one project: {demo}");
    let (st, _) = h.as_user("clerk", Method::PUT, "/api/v1/assessment-projects", Some(json!([project(town, housing)]))).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only administrators keep the register");
    let mut bad = project(housing, housing);
    let (st, err) = h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(json!([bad.clone()]))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err.to_string().contains("[0].towns"), "a department is not a town: {err}");
    bad = project(town, housing);
    bad["petitioner"] = json!("王建国");
    let (st, _) = h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(json!([bad]))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "no field about a person is accepted");
    let (st, saved) = h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(json!([project(town, housing)]))).await;
    assert_eq!(st, StatusCode::OK, "{saved}");
    assert_eq!(saved[0]["name"], "城关镇老旧小区改造");

    let rules = json!([{ "id": "project", "name": "稳评项目7日内相关诉求3件", "kind": "project_complaints", "level": "yellow", "recipient": county, "threshold": 3, "window_days": 7 }]);
    let (st, body) = h.as_user("admin", Method::PUT, "/api/v1/warning-rules", Some(rules)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // Two cases about it, and one of another category in the same town: below the line.
    let a = h.register().await["id"].as_i64().unwrap();
    let b_ = h.register().await["id"].as_i64().unwrap();
    let place = h.org_id("幸福社区").await;
    let (st, other) = h
        .as_user("clerk", Method::POST, "/api/v1/cases", Some(json!({ "channel": "phone", "matter_type": "claim", "category": "02.01", "subject": "工资拖欠", "content": "工地拖欠工资两个月。", "location": { "org": place } })))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{other}");
    assert_eq!(counts(&scan(&h).await), (0, 0, 0), "two complaints are below the line of three");
    let c = h.register().await["id"].as_i64().unwrap();
    assert_eq!(counts(&scan(&h).await), (1, 0, 0));
    assert_eq!(counts(&scan(&h).await), (0, 0, 0), "raised once");
    let (_, list) = h.as_user("leader", Method::GET, "/api/v1/warnings", None).await;
    let w = &list["items"][0];
    assert_eq!(w["level"], "yellow");
    assert_eq!(w["title"], "稳评事项“城关镇老旧小区改造”近7日相关诉求3件");
    let mut cases: Vec<i64> = w["cases"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
    cases.sort();
    assert_eq!(cases, vec![a, b_, c]);

    // The project's page of linked grievances; a unit sees only its own.
    let (st, linked) = h.as_user("leader", Method::GET, "/api/v1/assessment-projects/2026-001/cases", None).await;
    assert_eq!(st, StatusCode::OK, "{linked}");
    assert_eq!((linked["total"].as_i64(), linked["cases"].as_array().unwrap().len()), (Some(3), 3));
    let (_, unit_view) = h.as_user("handler", Method::GET, "/api/v1/assessment-projects/2026-001/cases", None).await;
    assert_eq!((unit_view["total"].as_i64(), unit_view["cases"].as_array().unwrap().len()), (Some(3), 0), "counted, not shown to a unit that handles none of them");
    let (st, _) = h.as_user("leader", Method::GET, "/api/v1/assessment-projects/none/cases", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Cases from before the assessment began are not linked.
    let mut later = project(town, housing);
    later["assessment_from"] = json!((h.app.now() + Duration::days(2)).format("%Y-%m-%d").to_string());
    let (st, _) = h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(json!([later]))).await;
    assert_eq!(st, StatusCode::OK);
    let (_, none) = h.as_user("leader", Method::GET, "/api/v1/assessment-projects/2026-001/cases", None).await;
    assert_eq!(none["total"], 0);
}
