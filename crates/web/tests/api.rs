//! The JSON API end to end, on both backends: the whole life of a case, refusals with the
//! field or status named, who may do what, personal data, the public lookup.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use common::{harness, Backend, H};
use serde_json::{json, Value};

on_both_backends!(
    a_letter_is_handled_from_registration_to_archive,
    illegal_transition_answers_409_with_current_status_and_allowed_actions,
    bad_input_is_refused_with_the_field_named_in_chinese,
    units_see_only_their_own_cases_and_roles_are_enforced,
    personal_data_is_masked_and_every_unmasked_view_is_recorded,
    public_lookup_shows_status_and_reply_but_nothing_personal,
    appeal_outside_its_window_is_refused_with_the_closing_date,
    misrouted_case_is_returned_and_rerouted,
    attachments_are_checked_by_content_and_size,
    every_documented_route_answers_as_documented,
);

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn route_to_housing(h: &H, id: i64) {
    let unit = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "forward", "note": "请按期办理" })).await;
}

async fn reply_and_approve(h: &H, id: i64) {
    h.act_ok("handler", id, json!({ "action": "start_handling" })).await;
    h.act_ok(
        "handler",
        id,
        json!({ "action": "submit_reply", "decision": "support", "facts": "经核实，电梯控制柜损坏。", "opinion": "责成物业十日内修复。", "legal_basis": "《物业管理条例》第三十五条" }),
    )
    .await;
    h.act_ok("head", id, json!({ "action": "approve_reply" })).await;
}

async fn a_letter_is_handled_from_registration_to_archive(b: Backend) {
    let h = harness(b).await;
    let created = h.register().await;
    let id = id_of(&created);
    assert_eq!(created["status"], "registered");
    assert_eq!(created["deadline"]["label"], "受理告知期限");
    assert_eq!(created["deadline"]["due"], "2026-03-17");
    route_to_housing(&h, id).await;
    h.clock.advance(Duration::days(3));
    reply_and_approve(&h, id).await;
    h.clock.advance(Duration::days(2));
    h.act_ok("clerk", id, json!({ "action": "follow_up", "satisfaction": "satisfied", "note": "电话回访" })).await;
    h.act_ok("clerk", id, json!({ "action": "close" })).await;
    let archived = h.act_ok("clerk", id, json!({ "action": "archive" })).await;
    assert_eq!(archived["status"], "archived");
    assert_eq!(archived["allowed_actions"], json!([]));

    let (st, events) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}/events"), None).await;
    assert_eq!(st, StatusCode::OK);
    let labels: Vec<&str> = events["items"].as_array().unwrap().iter().map(|e| e["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["登记", "受理", "转办", "签收办理", "提交处理意见", "审核通过并答复", "回访", "办结", "归档"]);

    let (st, report) = h.as_user("auditor", Method::POST, "/api/v1/verify", None).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["events"], 9);
}

async fn illegal_transition_answers_409_with_current_status_and_allowed_actions(b: Backend) {
    let h = harness(b).await;
    let id = id_of(&h.register().await);
    let (st, body) = h.act("clerk", id, json!({ "action": "close" })).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "illegal_transition");
    assert_eq!(body["error"]["current_status"], "registered");
    assert_eq!(body["error"]["current_status_label"], "待受理");
    let allowed = body["error"]["allowed"].as_array().unwrap();
    assert!(allowed.contains(&json!("受理")) && allowed.contains(&json!("不予受理")), "{body}");
    // Nothing was written.
    let (_, events) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}/events"), None).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
}

async fn bad_input_is_refused_with_the_field_named_in_chinese(b: Backend) {
    let h = harness(b).await;
    let post = |body: Value| h.as_user("clerk", Method::POST, "/api/v1/cases", Some(body));
    let base = json!({ "channel": "letter", "matter_type": "claim", "subject": "标题", "content": "内容" });

    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("subject");
    let (st, body) = post(missing).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "subject");
    assert!(body["error"]["message"].as_str().unwrap().contains("缺少必填字段"));

    let mut blank = base.clone();
    blank["subject"] = json!("   ");
    let (st, body) = post(blank).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("subject")));
    assert_eq!(body["error"]["message"], "请填写诉求标题");

    let mut phone = base.clone();
    phone["petitioner"] = json!({ "phone": "12ab" });
    let (st, body) = post(phone).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("petitioner.phone")));

    let mut channel = base.clone();
    channel["channel"] = json!("pigeon");
    let (st, body) = post(channel).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")));

    let mut category = base.clone();
    category["category"] = json!("99.99");
    let (st, body) = post(category).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("category")));

    let mut count = base.clone();
    count["people_count"] = json!("many");
    let (st, body) = post(count).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("people_count")));

    let req = Request::post("/api/v1/cases")
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token("clerk").unwrap()))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let (st, _, _) = h.raw(req).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // None of these left a case behind.
    assert_eq!(h.app.store.count_cases().await.unwrap(), 0);
    assert_eq!(h.app.store.chain_head().await.unwrap().0, 0);
}

async fn units_see_only_their_own_cases_and_roles_are_enforced(b: Backend) {
    let h = harness(b).await;
    let id = id_of(&h.register().await);
    // Not yet routed: the housing bureau cannot see it at all.
    let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = h.as_user("handler", Method::GET, "/api/v1/cases", None).await;
    assert_eq!(list["total"], 0);
    // A handler may not accept; a clerk may not approve replies.
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    let unit = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "assign", "assign_days": 20 })).await;
    let (_, list) = h.as_user("handler", Method::GET, "/api/v1/cases", None).await;
    assert_eq!(list["total"], 1);
    let (st, body) = h.act("handler", id, json!({ "action": "archive" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    h.act_ok("handler", id, json!({ "action": "start_handling" })).await;
    h.act_ok("handler", id, json!({ "action": "request_extension", "days": 30, "reason": "需要多部门会商" })).await;
    let (st, _) = h.act("handler", id, json!({ "action": "approve_extension" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    h.act_ok("head", id, json!({ "action": "approve_extension" })).await;
    // The town clerk of another town does not see a case of 城关镇? It does: the case is located there.
    let (st, _) = h.as_user("town_clerk", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(st, StatusCode::OK);
    // Anonymous visitors get 401 everywhere staff data is.
    let (st, _) = h.call(Method::GET, &format!("/api/v1/cases/{id}"), None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Admin-only routes.
    let (st, _) = h.as_user("clerk", Method::GET, "/api/v1/users", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = h.as_user("admin", Method::GET, "/api/v1/users", None).await;
    assert_eq!(st, StatusCode::OK);
}

async fn personal_data_is_masked_and_every_unmasked_view_is_recorded(b: Backend) {
    let h = harness(b).await;
    let created = h.register().await;
    let id = id_of(&created);
    assert_eq!(created["petitioner_masked"]["name"], "王**");
    assert_eq!(created["petitioner_masked"]["phone"], "139****5678");
    let text = created.to_string();
    assert!(!text.contains("13912345678") && !text.contains("王建国") && !text.contains("11010519491231002X"));

    let path = format!("/api/v1/cases/{id}/personal-data");
    let (st, body) = h.as_user("clerk", Method::POST, &path, Some(json!({ "purpose": "" }))).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("purpose")));
    let (st, body) = h.as_user("clerk", Method::POST, &path, Some(json!({ "purpose": "电话回访" }))).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["phone"], "13912345678");
    assert!(body.get("salt").is_none());
    let (st, _) = h.as_user("auditor", Method::POST, &path, Some(json!({ "purpose": "好奇" }))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = h.as_user("supervisor", Method::POST, &path, Some(json!({ "purpose": "督办" }))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (st, log) = h.as_user("auditor", Method::GET, &format!("/api/v1/access-log?case_id={id}"), None).await;
    assert_eq!(st, StatusCode::OK);
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["username"], "clerk");
    assert_eq!(items[0]["purpose"], "电话回访");
}

async fn public_lookup_shows_status_and_reply_but_nothing_personal(b: Backend) {
    let h = harness(b).await;
    let created = h.register().await;
    let id = id_of(&created);
    let code = created["tracking_code"].as_str().unwrap().to_string();
    route_to_housing(&h, id).await;
    reply_and_approve(&h, id).await;
    let (st, body) = h.call(Method::GET, &format!("/api/v1/public/lookup/{}", code.to_lowercase()), None, None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "replied");
    assert_eq!(body["reply"]["decision_label"], "支持");
    assert_eq!(body["reply"]["opinion"], "责成物业十日内修复。");
    assert_eq!(body["subject"], Value::Null);
    assert_eq!(body["appeal_deadline"], "2026-04-01");
    let text = body.to_string();
    for secret in ["王建国", "13912345678", "11010519491231002X", "张承办", "赵局长"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let (_, with_phone) = h.call(Method::GET, &format!("/api/v1/public/lookup/{code}?phone4=5678"), None, None).await;
    assert_eq!(with_phone["subject"], "小区电梯停运三个月");
    // A mistyped code is caught by its check character.
    let mut typo = code.replace('-', "");
    let last = typo.pop().unwrap();
    typo.push(if last == '2' { '3' } else { '2' });
    let (st, body) = h.call(Method::GET, &format!("/api/v1/public/lookup/{typo}"), None, None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Rate limited after a burst.
    let mut limited = false;
    for _ in 0..20 {
        let (st, _) = h.call(Method::GET, &format!("/api/v1/public/lookup/{code}"), None, None).await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "public lookup is never rate limited");
}

async fn appeal_outside_its_window_is_refused_with_the_closing_date(b: Backend) {
    let h = harness(b).await;
    let id = id_of(&h.register().await);
    route_to_housing(&h, id).await;
    reply_and_approve(&h, id).await;
    h.clock.advance(Duration::days(45));
    let (st, body) = h.act("clerk", id, json!({ "action": "request_review", "reason": "不服处理意见" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "window_closed");
    assert_eq!(body["error"]["closed_on"], "2026-04-01");
    h.clock.set(common::start() + Duration::days(20));
    let body = h.act_ok("clerk", id, json!({ "action": "request_review", "reason": "不服处理意见" })).await;
    assert_eq!(body["status"], "under_review");
    assert_eq!(body["case"]["review"]["body_name"], "示范县");
    assert_eq!(body["deadline"]["label"], "复查办理期限");
    let (st, _) = h.act("handler", id, json!({ "action": "decide_review", "outcome": "upheld", "opinion": "维持" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let body = h.act_ok("leader", id, json!({ "action": "decide_review", "outcome": "upheld", "opinion": "维持原处理意见" })).await;
    assert_eq!(body["status"], "reviewed");
}

async fn misrouted_case_is_returned_and_rerouted(b: Backend) {
    let h = harness(b).await;
    let id = id_of(&h.register().await);
    route_to_housing(&h, id).await;
    let body = h.act_ok("handler", id, json!({ "action": "return", "reason": "不属于本单位职责，应由民政局办理" })).await;
    assert_eq!(body["status"], "accepted");
    let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "the returning unit no longer sees the case");
    let other = h.org_id("县民政局").await;
    let body = h.act_ok("clerk", id, json!({ "action": "route", "unit": other, "mode": "forward" })).await;
    assert_eq!(body["unit_name"], "县民政局");
    assert_eq!(body["case"]["returns"][0], "不属于本单位职责，应由民政局办理");
}

async fn attachments_are_checked_by_content_and_size(b: Backend) {
    let h = harness(b).await;
    let id = id_of(&h.register().await);
    let upload = |mime: &str, name: &str, bytes: Vec<u8>| {
        Request::post(format!("/api/v1/cases/{id}/attachments"))
            .header(header::AUTHORIZATION, format!("Bearer {}", h.token("clerk").unwrap()))
            .header(header::CONTENT_TYPE, mime)
            .header("x-filename", name)
            .body(Body::from(bytes))
            .unwrap()
    };
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 64]].concat();
    let (st, _, body) = h.raw(upload("image/png", "%E7%8E%B0%E5%9C%BA.png", png.clone())).await;
    assert_eq!(st, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let view: Value = serde_json::from_slice(&body).unwrap();
    let a = &view["case"]["attachments"][0];
    assert_eq!(a["name"], "现场.png");
    let (st, headers, bytes) = h
        .raw(Request::get(format!("/api/v1/cases/{id}/attachments/{}", a["sha256"].as_str().unwrap()))
            .header(header::AUTHORIZATION, format!("Bearer {}", h.token("clerk").unwrap()))
            .body(Body::empty())
            .unwrap())
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(bytes, png);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");

    let (st, _, body) = h.raw(upload("image/png", "fake.png", b"MZ\x90\x00 not a png".to_vec())).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{}", String::from_utf8_lossy(&body));
    let (st, _, _) = h.raw(upload("application/x-msdownload", "a.exe", b"MZ".to_vec())).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _, body) = h.raw(upload("text/plain", "big.txt", vec![b'a'; 11 * 1024 * 1024])).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "too_large");
    // JSON bodies have a smaller limit of their own.
    let huge = json!({ "channel": "letter", "matter_type": "claim", "subject": "x", "content": "长".repeat(400_000) });
    let (st, body) = h.as_user("clerk", Method::POST, "/api/v1/cases", Some(huge)).await;
    assert_eq!((st, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));
    let case = h.app.store.get_case(redress_domain::CaseId(id)).await.unwrap().unwrap();
    assert_eq!(case.attachments.len(), 1);
}

/// Calls every operation in /api/openapi.json with plausible arguments as an administrator
/// and checks the status is one the document lists for it.
async fn every_documented_route_answers_as_documented(b: Backend) {
    let h = harness(b).await;
    let created = h.register().await;
    let id = id_of(&created);
    let code = created["tracking_code"].as_str().unwrap().to_string();
    // Accepted, so that its acceptance notice (a document route) exists.
    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    // A warning to read, acknowledge and dispose of: one case in a town is enough for this rule.
    let county = h.org_id("示范县").await;
    let rule = json!([{ "id": "one-in-town", "name": "同一乡镇1件", "kind": "similar_in_place", "level": "blue", "recipient": county, "threshold": 1, "window_days": 7 }]);
    let (st, body) = h.as_user("admin", Method::PUT, "/api/v1/warning-rules", Some(rule)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, scan) = h.as_user("admin", Method::POST, "/api/v1/warnings/scan", None).await;
    assert_eq!((st, scan["raised"].as_i64()), (StatusCode::OK, Some(1)), "{scan}");
    let (_, warnings) = h.as_user("admin", Method::GET, "/api/v1/warnings", None).await;
    let warning_id = warnings["items"][0]["id"].as_i64().unwrap();
    // Routine duties (issue 6): a campaign with one finding to dispose of; bodies with a unit name 城关镇.
    let town = h.org_id("城关镇").await;
    let (st, camp) = h.as_user("admin", Method::POST, "/api/v1/campaigns", Some(json!({ "title": "春季排查", "scope": "土地、邻里", "period_from": "2026-03-02", "period_to": "2026-03-10", "due": "2026-03-12", "units": [town] }))).await;
    assert_eq!(st, StatusCode::CREATED, "{camp}");
    let campaign_id = camp["id"].as_i64().unwrap();
    let finding = json!({ "unit": town, "status": "found", "findings": [{ "place": "东村三组", "category": "01", "description": "宅基地界址争议", "people_count": 2 }] });
    let (st, ret) = h.as_user("admin", Method::POST, &format!("/api/v1/campaigns/{campaign_id}/returns"), Some(finding)).await;
    assert_eq!(st, StatusCode::OK, "{ret}");
    // People's mediation (issue 7): a committee, a mediator and a dispute mediated to a written agreement.
    let (st, committee) = h.as_user("admin", Method::POST, "/api/v1/mediation/committees", Some(mediation_committee(town))).await;
    assert_eq!(st, StatusCode::CREATED, "{committee}");
    let committee_id = committee["id"].as_i64().unwrap();
    let (st, mediator) = h.as_user("admin", Method::POST, "/api/v1/mediation/mediators", Some(json!({ "committee": committee_id, "name": "周调解", "gender": "female", "specialty": "邻里纠纷" }))).await;
    assert_eq!(st, StatusCode::CREATED, "{mediator}");
    let mediator_id = mediator["id"].as_i64().unwrap();
    let (st, dispute) = h.as_user("admin", Method::POST, "/api/v1/mediation/disputes", Some(json!({ "committee": committee_id, "source": "application", "dispute_type": "neighbour", "summary": "相邻通行纠纷", "parties": [{ "name": "张甲", "role": "applicant" }, { "name": "王乙", "role": "respondent" }] }))).await;
    assert_eq!(st, StatusCode::CREATED, "{dispute}");
    let dispute_id = dispute["id"].as_i64().unwrap();
    let today = redress_domain::local_date(h.app.now()).to_string();
    let mut version = dispute["version"].as_i64().unwrap();
    for step in [
        json!({ "action": "prepare", "parties": [{ "name": "张甲", "role": "applicant" }, { "name": "王乙", "role": "respondent" }], "mediators": [mediator_id] }),
        json!({ "action": "session", "on": today, "public": false, "record": "双方陈述" }),
        json!({ "action": "agree", "written": true, "effective_on": today, "facts": "通道争执", "disputed": "通行权", "responsibilities": "各半", "terms": "拆除围挡", "manner": "自行履行", "perform_by": today }),
    ] {
        let mut step = step;
        step["version"] = json!(version);
        let (st, v) = h.as_user("admin", Method::POST, &format!("/api/v1/mediation/disputes/{dispute_id}/actions"), Some(step)).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        version = v["dispute"]["version"].as_i64().unwrap();
    }
    // Risk assessment (issue 7): a register of two projects; the first assessed up to its
    // conclusion with an open questionnaire (the second is started by the documented POST).
    let (st, body) = h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(assessment_register(town))).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, started) = h.as_user("admin", Method::POST, "/api/v1/assessments", Some(json!({ "project": "2026-001" }))).await;
    assert_eq!(st, StatusCode::CREATED, "{started}");
    let assessment_id = started["assessment"]["id"].as_i64().unwrap();
    let mut assessment_version = started["assessment"]["version"].as_i64().unwrap();
    let mut steps = vec![
        json!({ "action": "plan", "scope": "征收范围内住户", "methods": "问卷、座谈", "schedule": "三月" }),
        json!({ "action": "notice", "text": "现就旧城改造征求意见", "from": "2026-03-01", "until": "2026-03-31" }),
        json!({ "action": "questionnaire", "questions": ["您对补偿方案有何意见？"], "groups": ["周边居民"], "open": true }),
    ];
    for d in ["legality", "reasonableness", "feasibility", "controllability"] {
        steps.push(json!({ "action": "risk", "dimension": d, "description": "无明显风险", "likelihood": 1, "impact": 1, "evidence": "文件审查" }));
    }
    steps.push(json!({ "action": "conclude" }));
    for mut step in steps {
        step["version"] = json!(assessment_version);
        let (st, v) = h.as_user("admin", Method::POST, &format!("/api/v1/assessments/{assessment_id}/actions"), Some(step)).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assessment_version = v["assessment"]["version"].as_i64().unwrap();
    }
    let (_, doc) = h.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 18);
    // Paths come sorted, so the upload runs before the download of the same file.
    let note_sha = { use sha2::Digest; hex::encode(sha2::Sha256::digest("说明材料".as_bytes())) };
    let mut checked = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let id = if path.starts_with("/api/v1/warnings/") {
                warning_id
            } else if path.starts_with("/api/v1/campaigns/") {
                campaign_id
            } else if path.starts_with("/api/v1/mediation/committees/") {
                committee_id
            } else if path.starts_with("/api/v1/mediation/mediators/") {
                mediator_id
            } else if path.starts_with("/api/v1/mediation/disputes/") {
                dispute_id
            } else if path.starts_with("/api/v1/assessments/") || path.starts_with("/api/v1/public/consultations/") {
                assessment_id
            } else {
                id
            };
            let concrete = path
                .replace("{unit}", &town.to_string())
                .replace("{no}", "1")
                .replace("{id}", &if path.starts_with("/api/v1/assessment-projects/") { "2026-001".to_string() } else { id.to_string() })
                .replace("{code}", &code)
                .replace("{sha256}", &note_sha)
                .replace("{kind}", "acceptance_notice");
            let query = match path.as_str() {
                "/api/v1/calendar/due" => "?from=2025-09-30&days=1",
                "/api/v1/search" => "?q=%E7%94%B5%E6%A2%AF&status=registered",
                "/api/v1/stats/repeat-rate" => "?from=2026-03-01&to=2026-03-31",
                "/api/v1/hotspots" => "?window_days=7",
                "/api/v1/ledger" => "?from=2026-03-01&to=2026-03-31&format=json",
                _ => "",
            };
            let body = sample_body(path, method).map(|mut b| {
                if b.get("unit").is_some() {
                    b["unit"] = json!(town);
                }
                if path == "/api/v1/assessment-projects" {
                    b = assessment_register(town);
                }
                if path == "/api/v1/assessments/{id}/actions" {
                    b["version"] = json!(assessment_version);
                }
                if path.starts_with("/api/v1/mediation/committees") {
                    b = mediation_committee(town);
                    b["version"] = json!(1);
                }
                if b.get("committee").is_some() {
                    b["committee"] = json!(committee_id);
                }
                if path == "/api/v1/mediation/disputes/{id}/actions" {
                    b["version"] = json!(version);
                }
                b
            });
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let user = if path.ends_with("/logout") { None } else { h.token("admin") };
            let (st, resp) = if path.ends_with("/attachments") {
                let req = Request::post(&concrete)
                    .header(header::AUTHORIZATION, format!("Bearer {}", h.token("admin").unwrap()))
                    .header(header::CONTENT_TYPE, "text/plain")
                    .header("x-filename", "note.txt")
                    .body(Body::from("说明材料"))
                    .unwrap();
                let (st, _, b) = h.raw(req).await;
                (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
            } else {
                h.call(m, &format!("{concrete}{query}"), user, body).await
            };
            let documented = op["responses"].as_object().unwrap();
            assert!(documented.contains_key(st.as_str()), "{method} {path} answered {st}, documented {:?}: {resp}", documented.keys());
            assert!(st.is_success(), "{method} {path} with valid input answered {st}: {resp}");
            if !st.is_success() {
                assert!(resp["error"]["message"].is_string());
            }
            checked += 1;
        }
    }
    assert!(checked >= 24, "only {checked} operations checked");
}

fn sample_body(path: &str, method: &str) -> Option<Value> {
    Some(match (path, method) {
        ("/api/v1/auth/login", _) => json!({ "username": "auditor", "password": redress_app::demo::DEMO_PASSWORD }),
        ("/api/v1/cases", "post") => json!({ "channel": "phone", "matter_type": "consultation", "subject": "咨询", "content": "咨询社保转移" }),
        ("/api/v1/cases/suggest", _) => json!({ "subject": "电梯故障", "content": "小区电梯停运" }),
        ("/api/v1/cases/similar", _) => json!({ "subject": "电梯故障", "content": "小区电梯停运", "category": "01.02" }),
        ("/api/v1/cases/{id}/actions", _) => json!({ "action": "add_note", "text": "已电话联系" }),
        ("/api/v1/cases/{id}/personal-data", _) => json!({ "purpose": "核对身份" }),
        ("/api/v1/orgs", "post") => json!({ "name": "新设网格", "kind": "grid", "parent": 1 }),
        ("/api/v1/users", "post") => json!({ "username": "newbie", "display_name": "新人", "org_id": 1, "roles": ["auditor"], "password": "long-enough-1" }),
        ("/api/v1/taxonomy", "put") => serde_json::to_value(redress_domain::taxonomy::Taxonomy::default()).unwrap(),
        ("/api/v1/settings/reception-schedule", "put") => json!([{ "date": "2026-03-11", "time": "上午 9:00—12:00", "leader_name": "王副县长", "leader_title": "副县长", "place": "县群众来访接待中心", "topics": "城乡建设" }]),
        ("/api/v1/settings/scorecard-weights", "put") => json!({ "closed_rate": 40, "on_time_rate": 30, "satisfied_rate": 30, "overdue_penalty": 0.5 }),
        ("/api/v1/warning-rules", "put") => json!([{ "id": "overdue", "name": "单位超期5件", "kind": "overdue", "level": "yellow", "recipient": 1, "threshold": 5, "escalate_after_hours": 24 }]),
        ("/api/v1/assessment-projects", "put") => json!([{ "id": "2026-001", "name": "城南片区旧城改造", "kind": "project", "deciding_body": "县人民政府", "responsible_unit": 1, "assessing_body": "县住房和城乡建设局", "assessment_required": true, "towns": [], "categories": ["01"], "assessment_from": "2026-01-01", "stage": "assessing" }]),
        ("/api/v1/warnings/{id}/dispose", _) => json!({ "disposition": "已约谈责任单位", "notes": "一周后复查" }),
        // Routine duties (issue 6); "unit" is replaced by 城关镇's id.
        ("/api/v1/nil-reports", "post") => json!({ "unit": 0, "status": "found", "details": "东村三组宅基地界址争议，2户，已安排调解" }),
        ("/api/v1/settings/nil-report-frequency", "put") => json!({ "units": { "2": "daily" } }),
        ("/api/v1/campaigns", "post") => json!({ "title": "夏季排查", "scope": "征地拆迁", "period_from": "2026-06-01", "period_to": "2026-06-10", "due": "2026-06-12", "units": [2] }),
        ("/api/v1/campaigns/{id}/returns", _) => json!({ "unit": 0, "status": "found", "findings": [{ "place": "西村", "category": "01", "description": "灌溉用水纠纷", "people_count": 6 }] }),
        ("/api/v1/campaigns/{id}/findings/{unit}/{no}/dispose", _) => json!({ "disposition": "mediation", "reference": "调〔2026〕1号" }),
        ("/api/v1/campaigns/{id}/status", _) => json!({ "status": "closed" }),
        ("/api/v1/assessments", "post") => json!({ "project": "2026-002" }),
        ("/api/v1/assessments/{id}/actions", _) => json!({ "action": "follow_up", "note": "措施落实情况良好" }),
        ("/api/v1/public/consultations/{id}/responses", _) => json!({ "group": "周边居民", "position": "support", "answers": ["同意"] }),
        // People's mediation (issue 7); "committee" is replaced by the test's committee.
        ("/api/v1/mediation/committees", _) | ("/api/v1/mediation/committees/{id}", _) => json!({}),
        ("/api/v1/mediation/mediators", "post") | ("/api/v1/mediation/mediators/{id}", _) => json!({ "committee": 0, "name": "吴调解", "gender": "male", "version": 1 }),
        ("/api/v1/mediation/disputes", "post") => json!({ "committee": 0, "source": "police", "source_note": "城关派出所移送", "dispute_type": "damages", "summary": "酒后争执致财物损坏" }),
        ("/api/v1/mediation/disputes/{id}/actions", _) => json!({ "action": "flag_risk", "description": "一方扬言报复", "referral": "已通报城关派出所" }),
        ("/api/v1/cases/{id}/mediation", "post") => json!({ "committee": 0, "dispute_type": "neighbour" }),
        ("/api/v1/settings/deadline-rules", "put") => serde_json::to_value(redress_domain::DeadlineRules::default()).unwrap(),
        _ => return None,
    })
}

/// A valid committee in `town` (three members, one chair, a woman; a three-year term from now).
fn mediation_committee(town: i64) -> Value {
    json!({ "org": town, "name": "城关镇人民调解委员会", "term_from": "2026-01-01", "term_to": "2028-12-31", "members": [
        { "name": "赵主任", "role": "chair", "gender": "male" },
        { "name": "钱委员", "role": "member", "gender": "female" },
        { "name": "孙委员", "role": "member", "gender": "male" }] })
}

/// Two projects under assessment in `town`.
fn assessment_register(town: i64) -> Value {
    let one = |id: &str, name: &str| json!({ "id": id, "name": name, "kind": "project", "deciding_body": "县人民政府", "responsible_unit": 1, "assessing_body": "县住房和城乡建设局", "assessment_required": true, "towns": [town], "categories": ["01"], "assessment_from": "2026-01-01", "stage": "assessing" });
    json!([one("2026-001", "城南片区旧城改造"), one("2026-002", "垃圾中转站选址")])
}
