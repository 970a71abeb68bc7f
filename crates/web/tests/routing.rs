//! Routing suggestions learned from the county's own handled cases, recorded beside the
//! clerk's choice, and their accuracy measured from the log.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::{harness, Backend, H};
use redress_domain::event::Actor;
use redress_domain::{Channel, Command, MatterType, NewCase, OrgId, RoutingMode};
use serde_json::json;

on_both_backends!(units_are_suggested_from_handled_cases_and_the_choice_is_recorded);

const LIFTS: &[&str] = &["小区电梯停运", "电梯困人物业不修", "楼道电梯故障", "电梯维修基金", "物业管理混乱电梯坏"];
const WAGES: &[&str] = &["工地拖欠工资", "农民工讨薪", "包工头欠薪", "工资被拖欠半年", "劳务费不结算"];

/// Handled history: lift matters went to housing, wage matters to human resources.
async fn handled_history(h: &H) {
    let housing = OrgId(h.org_id("县住房和城乡建设局").await);
    let labour = OrgId(h.org_id("县人力资源和社会保障局").await);
    let office = OrgId(h.org_id("县信访局").await);
    for i in 0..60 {
        let (subject, unit) = if i % 2 == 0 { (LIFTS[i % 5], housing) } else { (WAGES[i % 5], labour) };
        let matter = NewCase {
            channel: Channel::Letter,
            matter_type: MatterType::Claim,
            category: Some(if unit == housing { "01.02".into() } else { "02.01".into() }),
            subject: format!("{subject}（{i}）"),
            content: format!("{subject}，请求尽快解决。编号{i}"),
            location: Default::default(),
            people_count: 1,
            channel_details: Default::default(),
            related: vec![],
            same_matter_as: None,
            intake_org: office,
            confidential: false,
            demo: false,
            suggested_categories: vec![],
        };
        let at = common::start() - chrono::Duration::days(30);
        let route = Command::Route { unit, co_units: vec![], mode: RoutingMode::Forward, note: String::new(), assign_days: None };
        let history = vec![
            (Command::Accept { note: String::new() }, Actor::Import, at),
            (route, Actor::Import, at),
            (Command::StartHandling, Actor::Import, at),
        ];
        let intake = redress_app::cases::Intake { matter, petitioner: Default::default() };
        h.app.register_at(None, Actor::Import, intake, at, history).await.unwrap();
    }
}

async fn units_are_suggested_from_handled_cases_and_the_choice_is_recorded(b: Backend) {
    let h = harness(b).await;
    // Nothing learned yet: an empty list with the reason.
    let (st, body) = h.as_user("clerk", Method::POST, "/api/v1/cases/suggest", Some(json!({ "subject": "电梯坏了", "content": "" }))).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["units"], json!([]));
    assert!(body["notes"][0].as_str().unwrap().contains("暂不推荐"));

    handled_history(&h).await;
    let (st, summary) = h.as_user("admin", Method::POST, "/api/v1/models/train", None).await;
    assert_eq!(st, StatusCode::OK, "{summary}");
    assert_eq!(summary["unit_classes"], 2);
    let (st, _) = h.as_user("clerk", Method::POST, "/api/v1/models/train", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (_, body) = h.as_user("clerk", Method::POST, "/api/v1/cases/suggest", Some(json!({ "subject": "我们小区电梯又停运了", "content": "物业不修电梯" }))).await;
    assert_eq!(body["units"][0]["name"], "县住房和城乡建设局", "{body}");
    let c0 = body["units"][0]["confidence"].as_f64().unwrap();
    let c1 = body["units"][1]["confidence"].as_f64().unwrap();
    assert!(c0 > c1 && c0 <= 1.0, "{body}");
    assert_eq!(body["categories"][0]["code"], "01.02", "{body}");
    assert_eq!(body["categories"][0]["label"], "城乡建设/物业管理");

    // Intake records the category suggestion; routing records the unit suggestion.
    let created = h.register().await;
    assert_eq!(created["case"]["matter"]["suggested_categories"][0], "01.02", "{created}");
    let id = created["id"].as_i64().unwrap();
    let labour = h.org_id("县人力资源和社会保障局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    // The clerk overrides the suggestion (housing) and routes to labour.
    let routed = h.act_ok("clerk", id, json!({ "action": "route", "unit": labour, "mode": "forward" })).await;
    let housing = h.org_id("县住房和城乡建设局").await;
    assert_eq!(routed["case"]["suggested_units"][0], housing);
    let (_, events) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}/events"), None).await;
    let routed_event = events["items"].as_array().unwrap().iter().find(|e| e["kind"] == "routed").unwrap();
    assert_eq!(routed_event["detail"]["suggested"][0], housing, "the suggestion is in the hash-chained log");

    let (st, stats) = h.as_user("auditor", Method::GET, "/api/v1/stats/suggestions", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(stats["routed_with_suggestion"], 1);
    assert_eq!(stats["unit_top1"], 0);
    assert_eq!(stats["unit_top3"], 1);
    assert_eq!(stats["category_top1"], 1);
    let (st, report) = h.as_user("auditor", Method::POST, "/api/v1/verify", None).await;
    assert_eq!(st, StatusCode::OK, "{report}");
}
