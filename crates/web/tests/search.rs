//! Full-text search through the API on both backends: a case registered through the API is
//! found within a second (the index follows the event log), a unit finds only its own cases,
//! the list filters narrow the hits, and without an index the endpoint says so.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use common::{harness, harness_with, Backend, H};
use serde_json::{json, Value};

on_both_backends!(
    a_registered_case_is_found_within_a_second,
    a_unit_handler_finds_only_its_own_units_cases,
    list_filters_narrow_the_hits,
);

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn search(h: &H, user: &str, q: &str, filters: &str) -> (StatusCode, Value) {
    h.as_user(user, Method::GET, &format!("/api/v1/search?q={}{filters}", enc(q)), None).await
}

/// Searches until the answer has `total` hits (the follower commits every half second).
async fn search_until(h: &H, user: &str, q: &str, filters: &str, total: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (st, body) = search(h, user, q, filters).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        if body["total"] == total || Instant::now() > deadline {
            assert_eq!(body["total"], total, "{user} {q} {filters}: {body}");
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(body: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = body["items"].as_array().unwrap().iter().map(|i| i["case"]["id"].as_i64().unwrap()).collect();
    v.sort();
    v
}

async fn register(h: &H, subject: &str, content: &str, channel: &str, category: &str, place: &str) -> i64 {
    let place = h.org_id(place).await;
    let (st, body) = h
        .as_user(
            "clerk",
            Method::POST,
            "/api/v1/cases",
            Some(json!({
                "channel": channel, "matter_type": "claim", "category": category, "subject": subject, "content": content,
                "location": { "address": "幸福路8号", "org": place }, "petitioner": { "name": "王建国", "phone": "13912345678" }
            })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

async fn route(h: &H, id: i64, unit: &str) {
    let unit = h.org_id(unit).await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "forward", "note": "请办理" })).await;
}

async fn a_registered_case_is_found_within_a_second(b: Backend) {
    let h = harness(b).await;
    let started = Instant::now();
    let created = h.register().await;
    let id = created["id"].as_i64().unwrap();
    let body = search_until(&h, "clerk", "电梯", "", 1).await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1500), "searchable after {took:?}");
    let item = &body["items"][0];
    assert_eq!(item["case"]["id"], id);
    assert_eq!(item["case"]["subject"], "小区电梯停运三个月");
    assert_eq!(item["case"]["status"], "registered");
    assert!(item["score"].as_f64().unwrap() > 0.0);
    assert_eq!(item["snippets"]["subject"], "小区<mark>电梯</mark>停运三个月");
    assert!(item["snippets"]["content"].as_str().unwrap().contains("<mark>电梯</mark>"), "{item}");
    // A change is followed too: the reply becomes searchable.
    route(&h, id, "县住房和城乡建设局").await;
    h.act_ok("handler", id, json!({ "action": "start_handling" })).await;
    h.act_ok(
        "handler",
        id,
        json!({ "action": "submit_reply", "decision": "support", "facts": "经核实，电梯控制柜损坏。", "opinion": "责成物业十日内修复。", "legal_basis": "《物业管理条例》" }),
    )
    .await;
    let body = search_until(&h, "clerk", "控制柜", "", 1).await;
    assert_eq!(body["items"][0]["case"]["status"], "reply_pending");
    assert!(body["items"][0]["snippets"]["replies"].as_str().unwrap().contains("<mark>控制柜</mark>"));
    // Words that are nowhere give nothing; a query of punctuation is no error.
    assert_eq!(search(&h, "clerk", "游泳池", "").await.1["total"], 0);
    assert_eq!(search(&h, "clerk", "，。", "").await.1["total"], 0);
    let (st, body) = search(&h, "clerk", " ", "").await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
    let (st, _) = h.call(Method::GET, "/api/v1/search?q=x", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

async fn a_unit_handler_finds_only_its_own_units_cases(b: Backend) {
    let h = harness(b).await;
    let mine = register(&h, "小区电梯故障", "电梯困人", "letter", "01.02", "幸福社区").await;
    let theirs = register(&h, "学校电梯故障", "教学楼电梯停运", "letter", "07.02", "河口村").await;
    route(&h, mine, "县住房和城乡建设局").await;
    route(&h, theirs, "县教育局").await;
    // The office sees both; the housing bureau's handler only its own.
    search_until(&h, "clerk", "电梯", "&status=routed", 2).await;
    let body = search_until(&h, "handler", "电梯", "", 1).await;
    assert_eq!(ids(&body), [mine]);
    // Asking for another unit's cases does not widen what one may see.
    let edu = h.org_id("县教育局").await;
    let (st, body) = search(&h, "handler", "电梯", &format!("&unit={edu}")).await;
    assert_eq!((st, &body["total"]), (StatusCode::OK, &json!(0)));
    let (_, body) = search(&h, "handler", "电梯", &format!("&org={edu}")).await;
    assert_eq!(body["total"], 0);
    // The town's clerk sees the cases located in the town.
    let body = search_until(&h, "town_clerk", "电梯", "", 1).await;
    assert_eq!(ids(&body), [mine]);
}

async fn list_filters_narrow_the_hits(b: Backend) {
    let h = harness(b).await;
    let a = register(&h, "小区电梯故障", "电梯困人", "letter", "01.02", "幸福社区").await;
    let b2 = register(&h, "道路积水影响电梯", "地下车库电梯进水", "hotline_12345", "01.05", "河口村").await;
    search_until(&h, "clerk", "电梯", "", 2).await;
    h.clock.advance(chrono::Duration::days(3));
    let c = register(&h, "电梯噪音扰民", "电梯机房噪音", "visit", "05.03", "东门村").await;
    route(&h, a, "县住房和城乡建设局").await;
    search_until(&h, "clerk", "电梯", "&status=routed", 1).await;
    let check = |filters: &'static str, want: Vec<i64>| {
        let h = &h;
        async move {
            let body = search_until(h, "clerk", "电梯", filters, want.len() as u64).await;
            assert_eq!(ids(&body), want, "{filters}");
        }
    };
    check("", vec![a, b2, c]).await;
    check("&status=routed", vec![a]).await;
    check("&status=registered,routed", vec![a, b2, c]).await;
    check("&channel=hotline_12345", vec![b2]).await;
    check("&channel=来访", vec![c]).await;
    check("&category=01", vec![a, b2]).await;
    check("&category=05.03", vec![c]).await;
    check("&from=2026-03-04", vec![c]).await;
    check("&to=2026-03-03", vec![a, b2]).await;
    let housing = h.org_id("县住房和城乡建设局").await;
    let (_, body) = search(&h, "clerk", "电梯", &format!("&unit={housing}")).await;
    assert_eq!(ids(&body), [a]);
    // A town takes its villages and communities along.
    let town = h.org_id("城关镇").await;
    let (_, body) = search(&h, "clerk", "电梯", &format!("&org={town}")).await;
    assert_eq!(ids(&body), [a, c]);
    // Two words: both must be there.
    let (_, body) = search(&h, "clerk", "电梯 噪音", "").await;
    assert_eq!(ids(&body), [c]);
    // Paging.
    let (_, body) = search(&h, "clerk", "电梯", "&limit=2").await;
    assert_eq!((body["items"].as_array().unwrap().len(), &body["total"]), (2, &json!(3)));
    let (_, body) = search(&h, "clerk", "电梯", "&limit=2&offset=2").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (st, body) = search(&h, "clerk", "电梯", "&status=nope").await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    let (st, body) = search(&h, "clerk", "电梯", "&limit=1000").await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_index_search_answers_503_unavailable() {
    let h = harness_with(Backend::Sqlite, false).await;
    let (st, body) = search(&h, "clerk", "电梯", "").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("全文检索索引未启用"), "{body}");
}
