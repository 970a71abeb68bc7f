//! A matter taken at a leader's reception day (领导接待) is held by that leader (包案) from
//! registration on, on both backends.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::{harness_with, Backend};
use serde_json::json;

on_both_backends!(a_case_taken_at_a_reception_is_held_by_the_receiving_leader);

async fn a_case_taken_at_a_reception_is_held_by_the_receiving_leader(b: Backend) {
    let h = harness_with(b, false).await;
    let leader = h.app.store.get_user_by_name("leader").await.unwrap().unwrap();
    let body = |leader_id: i64| {
        json!({
            "channel": "leader_reception", "matter_type": "claim", "category": "01.02", "people_count": 2,
            "subject": "安置房交付延期", "content": "接待日当面反映安置房交付一再延期。",
            "channel_details": { "reception_leader": leader_id }
        })
    };
    let (st, created) = h.as_user("clerk", Method::POST, "/api/v1/cases", Some(body(leader.id.0))).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    assert_eq!(created["case"]["leader"], leader.id.0, "held by the receiving leader: {created}");
    let id = created["id"].as_i64().unwrap();
    let (_, events) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}/events"), None).await;
    let kinds: Vec<&str> = events["items"].as_array().or(events.as_array()).unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["registered", "leader_assigned"], "the assignment is an event, in the registration's transaction");
    let (st, err) = h.as_user("clerk", Method::POST, "/api/v1/cases", Some(body(9999))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "channel_details.reception_leader");
}
