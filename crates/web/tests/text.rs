//! Repeat and joint matters over HTTP, on both backends: similar cases at intake with score and
//! reasons, only within what the person may see; clusters and the repeat rate following merges
//! and links; hotspots.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::{harness, Backend, H};
use serde_json::{json, Value};

on_both_backends!(
    a_second_report_of_the_same_lift_is_suggested_first_with_reasons,
    a_handler_sees_no_other_units_cases_in_suggestions_or_clusters,
    clusters_and_repeat_rate_follow_merges_links_and_near_duplicates,
    hotspots_name_a_place_whose_cases_rise_suddenly,
);

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// Registers a letter as the clerk; returns its id.
async fn register(h: &H, place: &str, category: &str, subject: &str, content: &str) -> i64 {
    let org = h.org_id(place).await;
    let (st, body) = h
        .as_user(
            "clerk",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "channel": "letter", "matter_type": "claim", "category": category,
                "subject": subject, "content": content, "location": { "org": org }
            })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    id_of(&body)
}

fn ids(items: &Value) -> Vec<i64> {
    items["items"].as_array().unwrap_or_else(|| panic!("no items in {items}")).iter().map(|i| i["case"]["id"].as_i64().unwrap()).collect()
}

async fn route(h: &H, id: i64, unit: &str) {
    let unit = h.org_id(unit).await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "forward" })).await;
}

const NOISE: (&str, &str) = ("夜间施工噪音扰民", "河口村附近工地每天夜间十一点后仍在施工，噪音严重影响周边居民休息，请求依法查处。");

async fn a_second_report_of_the_same_lift_is_suggested_first_with_reasons(b: Backend) {
    let h = harness(b).await;
    let lift = id_of(&h.register().await); // 幸福社区 3号楼电梯停运, 01.02
    register(&h, "河口村", "05.03", NOISE.0, NOISE.1).await;
    register(&h, "解放社区", "01.02", "物业费上涨未经业主同意", "物业公司通知将物业费从每平方米1.2元上调至1.8元，未召开业主大会。").await;
    h.clock.advance(Duration::days(3));

    let place = h.org_id("幸福社区").await;
    let ask = json!({
        "subject": "3号楼电梯又坏了",
        "content": "幸福社区3号楼电梯停运，物业一直不修，老人上下楼很困难",
        "location": { "org": place }, "category": "01.02", "channel": "visit"
    });
    let (st, body) = h.as_user("clerk", Method::POST, "/api/v1/cases/similar", Some(ask.clone())).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let first = &body["items"][0];
    assert_eq!(first["case"]["id"], lift, "{body}");
    assert_eq!(first["case"]["subject"], "小区电梯停运三个月");
    let reasons: Vec<&str> = first["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons[0].starts_with("内容相似度 0."), "{reasons:?}");
    assert!(reasons.contains(&"同一地点：幸福社区"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("同一类别：")), "{reasons:?}");
    assert!(reasons.contains(&"7天内（相隔3天）"), "{reasons:?}");
    let score = first["score"].as_f64().unwrap();
    assert!(score > 0.3 && score <= 1.0, "{body}");
    assert!(!ids(&body).contains(&(lift + 1)), "the noise case is another matter: {body}");

    // Registered, the new case finds the first one too, from its own page.
    let second = register(&h, "幸福社区", "01.02", "3号楼电梯又坏了", "幸福社区3号楼电梯停运，物业一直不修，老人上下楼很困难").await;
    let (st, body) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{second}/similar"), None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(ids(&body).first(), Some(&lift), "{body}");
    assert!(!ids(&body).contains(&second), "a case is not similar to itself");

    // Input is checked with the field named.
    let (st, body) = h.as_user("clerk", Method::POST, "/api/v1/cases/similar", Some(json!({ "subject": " ", "content": "" }))).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("content")), "{body}");
    let (st, body) = h.as_user("clerk", Method::POST, "/api/v1/cases/similar", Some(json!({ "content": "电梯", "category": "99.99" }))).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("category")), "{body}");
    let (st, _) = h.call(Method::POST, "/api/v1/cases/similar", None, Some(ask)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

async fn a_handler_sees_no_other_units_cases_in_suggestions_or_clusters(b: Backend) {
    let h = harness(b).await;
    let text = "幸福社区3号楼电梯停运三个月，物业一直不修，老人上下楼十分困难，请求督促物业尽快维修。";
    let ours = register(&h, "幸福社区", "01.02", "小区电梯停运三个月", text).await;
    let theirs = register(&h, "幸福社区", "01.02", "小区电梯停运三个月了", text).await;
    let unrouted = register(&h, "幸福社区", "01.02", "电梯停运三个月", text).await;
    route(&h, ours, "县住房和城乡建设局").await; // the handler's unit
    route(&h, theirs, "县民政局").await;

    let ask = json!({ "subject": "电梯停运", "content": text });
    let (_, all) = h.as_user("clerk", Method::POST, "/api/v1/cases/similar", Some(ask.clone())).await;
    let mut seen = ids(&all);
    seen.sort();
    assert_eq!(seen, [ours, theirs, unrouted], "{all}");
    let (st, mine) = h.as_user("handler", Method::POST, "/api/v1/cases/similar", Some(ask)).await;
    assert_eq!(st, StatusCode::OK, "{mine}");
    assert_eq!(ids(&mine), [ours], "{mine}");
    let (_, mine) = h.as_user("handler", Method::GET, &format!("/api/v1/cases/{ours}/similar"), None).await;
    assert_eq!(ids(&mine), Vec::<i64>::new(), "{mine}");
    let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/cases/{theirs}/similar"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The three near-duplicates are one cluster; the handler sees only its own case of it.
    let (_, clusters) = h.as_user("clerk", Method::GET, "/api/v1/clusters", None).await;
    assert_eq!(clusters["items"].as_array().unwrap().len(), 1, "{clusters}");
    assert_eq!(clusters["items"][0]["cases"], 3);
    let (_, clusters) = h.as_user("handler", Method::GET, "/api/v1/clusters", None).await;
    assert_eq!(clusters["items"], json!([]), "one visible case is no cluster: {clusters}");
    let (st, detail) = h.as_user("handler", Method::GET, &format!("/api/v1/clusters/{ours}"), None).await;
    assert_eq!(st, StatusCode::OK, "{detail}");
    let rows: Vec<i64> = detail["case_rows"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(rows, [ours]);
    assert!(!detail.to_string().contains("县民政局"), "{detail}");
}

async fn clusters_and_repeat_rate_follow_merges_links_and_near_duplicates(b: Backend) {
    let h = harness(b).await;
    let first = id_of(&h.register().await);
    h.clock.advance(Duration::days(2));
    // Other words, other place: only the clerk's link makes it the same matter.
    let linked = register(&h, "解放社区", "01.02", "老人反映电梯问题", "家住幸福路，母亲八十多岁，楼里升降设备坏了下不了楼。").await;
    let merged = register(&h, "东门村", "01.02", "请帮忙看看这件事", "上次反映的事情还没有人来处理，请尽快答复。").await;
    h.clock.advance(Duration::days(1));
    let near = register(&h, "幸福社区", "01.02", "小区电梯停运三个月", "幸福社区3号楼电梯停运三个月，物业不修！").await;
    let other = register(&h, "河口村", "05.03", NOISE.0, NOISE.1).await;

    let (_, clusters) = h.as_user("clerk", Method::GET, "/api/v1/clusters", None).await;
    assert_eq!(clusters["items"].as_array().unwrap().len(), 1, "only the near-duplicate so far: {clusters}");
    assert_eq!(clusters["items"][0]["cases"], 2);

    h.act_ok("clerk", linked, json!({ "action": "link", "other": first, "note": "同一部电梯" })).await;
    h.act_ok("clerk", merged, json!({ "action": "merge", "target": first, "reason": "重复件" })).await;

    let (st, clusters) = h.as_user("clerk", Method::GET, "/api/v1/clusters", None).await;
    assert_eq!(st, StatusCode::OK, "{clusters}");
    let items = clusters["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{clusters}");
    let c = &items[0];
    assert_eq!((c["id"].as_i64(), c["cases"].as_i64()), (Some(first), Some(4)), "{c}");
    assert_eq!(c["subject"], "小区电梯停运三个月");
    assert_eq!(c["first_registered"], "2026-03-02");
    assert_eq!(c["last_registered"], "2026-03-05");
    assert_eq!(c["places"][0]["name"], "幸福社区");
    assert_eq!(c["places"][0]["cases"], 2);

    // Any case of the cluster opens it.
    let (st, detail) = h.as_user("clerk", Method::GET, &format!("/api/v1/clusters/{merged}"), None).await;
    assert_eq!(st, StatusCode::OK, "{detail}");
    assert_eq!(detail["id"], first);
    let rows: Vec<i64> = detail["case_rows"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(rows, [first, linked, merged, near]);
    assert_eq!(detail["timeline"], json!([{ "week": "2026-03-02", "cases": 4 }]));
    let (_, single) = h.as_user("clerk", Method::GET, &format!("/api/v1/clusters/{other}"), None).await;
    assert_eq!(single["cases"], 1, "{single}");

    // Suggestions for a case already merged into the cluster say so.
    let (_, sim) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{near}/similar"), None).await;
    assert_eq!(sim["items"][0]["case"]["id"], first, "{sim}");
    assert_eq!(sim["items"][0]["same_cluster"], true);
    assert_eq!(sim["items"][0]["cluster_id"], first);

    // 5 cases in the span; linked, merged and near repeat the first.
    let (st, rate) = h.as_user("supervisor", Method::GET, "/api/v1/stats/repeat-rate?from=2026-03-01&to=2026-03-31", None).await;
    assert_eq!(st, StatusCode::OK, "{rate}");
    assert_eq!((rate["cases"].as_i64(), rate["repeats"].as_i64()), (Some(5), Some(3)), "{rate}");
    assert_eq!(rate["rate"], 0.6);
    assert!(rate["definition"].as_str().unwrap().starts_with("重复信访率"));
    // From the fourth day on: the near-duplicate still repeats the first case, outside the span.
    let (_, rate) = h.as_user("supervisor", Method::GET, "/api/v1/stats/repeat-rate?from=2026-03-05&to=2026-03-31", None).await;
    assert_eq!((rate["cases"].as_i64(), rate["repeats"].as_i64()), (Some(2), Some(1)), "{rate}");
    let (st, body) = h.as_user("supervisor", Method::GET, "/api/v1/stats/repeat-rate?from=2026-03-31&to=2026-03-01", None).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to")));
}

async fn hotspots_name_a_place_whose_cases_rise_suddenly(b: Backend) {
    let h = harness(b).await;
    let start = common::start();
    // Eight weeks of one noise complaint a week at 河口村, then five lift complaints at 幸福社区
    // in the last week (and the usual one at 河口村).
    for week in (1..=8).rev() {
        h.clock.set(start - Duration::days(7 * week));
        register(&h, "河口村", "05.03", NOISE.0, &format!("{}第{week}次", NOISE.1)).await;
    }
    h.clock.set(start - Duration::days(4));
    register(&h, "河口村", "05.03", NOISE.0, NOISE.1).await;
    let subjects = ["电梯又坏了", "3号楼电梯困人", "电梯停运没人修", "老人被困电梯", "电梯维修费用不公开"];
    for (i, s) in subjects.iter().enumerate() {
        h.clock.set(start - Duration::days(3) + Duration::hours(i as i64 * 10));
        register(&h, "幸福社区", "01.02", s, &format!("幸福社区{s}，第{i}户反映，请尽快处理。")).await;
    }
    h.clock.set(start);
    let (st, body) = h.as_user("supervisor", Method::GET, "/api/v1/hotspots?window_days=7", None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["as_of"], "2026-03-02");
    let items = body["items"].as_array().unwrap();
    let place = items.iter().find(|i| i["kind"] == "place" && i["label"] == "幸福社区").unwrap_or_else(|| panic!("{body}"));
    assert_eq!(place["recent"], 5);
    assert_eq!(place["explanation"], "近7天5件，此前8周没有（新出现）（泊松检验 p<0.001）", "{place}");
    assert_eq!(place["recent_cases"].as_array().unwrap().len(), 5);
    assert!(items.iter().any(|i| i["kind"] == "category" && i["key"] == "01.02"), "{body}");
    // The steady noise complaints are not a hotspot.
    assert!(!items.iter().any(|i| i["label"] == "河口村"), "{body}");
    let (st, body) = h.as_user("supervisor", Method::GET, "/api/v1/hotspots?window_days=0", None).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("window_days")));
    // A unit sees only hotspots among its own cases: none here.
    let (_, body) = h.as_user("handler", Method::GET, "/api/v1/hotspots", None).await;
    assert_eq!(body["items"], json!([]), "{body}");
}
