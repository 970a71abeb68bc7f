//! People's mediation (issue 7) end to end on both backends, through the API: the registry and
//! its legal checks, a dispute referred from a grievance case (linked both ways), sessions with
//! consent and a risk referral, a written agreement with its 协议书 in DOCX, the 30-day judicial
//! confirmation, performance and its reminders, archive, statistics and the dashboard's 调处成功率,
//! visibility and personal data.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use common::{csrf, field_value, harness_with, page, post_form, session, Backend, H};
use serde_json::{json, Value};

on_both_backends!(
    the_registry_follows_the_mediation_law,
    a_case_goes_to_mediation_and_ends_in_a_confirmed_performed_agreement,
    refusal_failure_visibility_and_statistics,
    console_pages_register_mediate_and_refer_a_case,
    demo_has_committees_and_disputes_at_every_stage,
    a_screening_finding_becomes_a_dispute,
    every_role_opens_the_mediation_and_assessment_pages,
    reading_party_names_is_logged_and_they_are_deleted_after_retention
);

fn committee(town: i64, members: Value) -> Value {
    json!({ "org": town, "name": "河口镇人民调解委员会", "term_from": "2026-01-01", "term_to": "2028-12-31", "members": members })
}

fn three() -> Value {
    json!([{ "name": "赵主任", "role": "chair", "gender": "male" }, { "name": "钱委员", "role": "member", "gender": "female" }, { "name": "孙委员", "role": "member", "gender": "male" }])
}

/// A committee and a mediator of it: (committee id, mediator id).
async fn registry(h: &H, town: i64) -> (i64, i64) {
    let (st, c) = h.as_user("admin", Method::POST, "/api/v1/mediation/committees", Some(committee(town, three()))).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (st, m) = h.as_user("admin", Method::POST, "/api/v1/mediation/mediators", Some(json!({ "committee": cid, "name": "周调解", "gender": "female", "specialty": "邻里、土地纠纷", "full_time": true }))).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    (cid, m["id"].as_i64().unwrap())
}

/// Posts one step with the dispute's current version; returns (status, body).
async fn step(h: &H, user: &str, id: i64, mut body: Value) -> (StatusCode, Value) {
    let (_, v) = h.as_user(user, Method::GET, &format!("/api/v1/mediation/disputes/{id}"), None).await;
    body["version"] = v["dispute"]["version"].clone();
    h.as_user(user, Method::POST, &format!("/api/v1/mediation/disputes/{id}/actions"), Some(body)).await
}

async fn step_ok(h: &H, user: &str, id: i64, body: Value) -> Value {
    let (st, v) = step(h, user, id, body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{body} → {v}");
    v
}

fn day(h: &H, offset: i64) -> String {
    (redress_domain::local_date(h.app.now()) + Duration::days(offset)).to_string()
}

async fn the_registry_follows_the_mediation_law(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("河口镇").await;
    let two = json!([{ "name": "赵主任", "role": "chair", "gender": "male" }, { "name": "钱委员", "role": "member", "gender": "female" }]);
    let (st, e) = h.as_user("admin", Method::POST, "/api/v1/mediation/committees", Some(committee(town, two))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["message"].as_str().unwrap().contains("三至九人"), "{e}");
    let men = json!([{ "name": "赵主任", "role": "chair", "gender": "male" }, { "name": "钱委员", "role": "member", "gender": "male" }, { "name": "孙委员", "role": "member", "gender": "male" }]);
    let (st, e) = h.as_user("admin", Method::POST, "/api/v1/mediation/committees", Some(committee(town, men))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["message"].as_str().unwrap().contains("妇女成员"), "{e}");
    let mut long = committee(town, three());
    long["term_to"] = json!("2029-12-31");
    let (st, e) = h.as_user("admin", Method::POST, "/api/v1/mediation/committees", Some(long)).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("term_to")), "{e}");
    // Only the offices keep the registry.
    let (st, _) = h.as_user("handler", Method::POST, "/api/v1/mediation/committees", Some(committee(town, three()))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (cid, mid) = registry(&h, town).await;
    // An update needs the version read; a stale one is refused.
    let mut upd = committee(town, three());
    upd["version"] = json!(1);
    upd["members"].as_array_mut().unwrap().push(json!({ "name": "李委员", "role": "vice_chair", "gender": "female" }));
    let (st, c) = h.as_user("admin", Method::PUT, &format!("/api/v1/mediation/committees/{cid}"), Some(upd.clone())).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(c["members"].as_array().unwrap().len(), 4);
    assert_eq!(c["version"], 2);
    let (st, _) = h.as_user("admin", Method::PUT, &format!("/api/v1/mediation/committees/{cid}"), Some(upd)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, list) = h.as_user("clerk", Method::GET, &format!("/api/v1/mediation/mediators?committee={cid}"), None).await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["周调解"]);
    assert!(list[0].get("phone").is_none(), "no contact details are kept");
    let (st, m) = h.as_user("admin", Method::PUT, &format!("/api/v1/mediation/mediators/{mid}"), Some(json!({ "committee": cid, "name": "周调解", "gender": "female", "active": false, "version": 1 }))).await;
    assert_eq!((st, m["active"].as_bool()), (StatusCode::OK, Some(false)), "{m}");
}

async fn a_case_goes_to_mediation_and_ends_in_a_confirmed_performed_agreement(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("河口镇").await;
    let (cid, mid) = registry(&h, town).await;
    let case = h.register().await;
    let case_id = case["id"].as_i64().unwrap();
    // 转人民调解 from the case: linked both ways, the petitioner's personal data not copied.
    let (st, d) = h.as_user("clerk", Method::POST, &format!("/api/v1/cases/{case_id}/mediation"), Some(json!({ "committee": cid, "dispute_type": "neighbour" }))).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["source"], json!({ "kind": "grievance", "case_id": case_id }));
    assert!(d["number"].as_str().unwrap().starts_with("河口镇调〔2026〕"), "{d}");
    assert_eq!(d["parties"], json!([]), "parties are entered by the mediator");
    let (_, linked) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{case_id}/mediation"), None).await;
    assert_eq!(linked[0]["id"], id);
    let (st, again) = h.as_user("clerk", Method::POST, &format!("/api/v1/cases/{case_id}/mediation"), Some(json!({ "committee": cid }))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "one open mediation per case: {again}");
    let (_, view) = h.as_user("clerk", Method::GET, &format!("/api/v1/mediation/disputes/{id}"), None).await;
    assert_eq!(view["case_number"], case["number"]);

    // Parties and a mediator of this committee; no session before that.
    let (st, _) = step(&h, "clerk", id, json!({ "action": "session", "on": day(&h, 0), "public": false, "record": "x" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let parties = json!([{ "name": "张甲", "role": "applicant" }, { "name": "王乙", "role": "respondent" }]);
    step_ok(&h, "clerk", id, json!({ "action": "prepare", "parties": parties, "mediators": [mid], "chosen_by_parties": true })).await;
    let (st, e) = step(&h, "clerk", id, json!({ "action": "invite", "name": "刘丙", "relation": "村民小组长", "consented": false })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["message"].as_str().unwrap().contains("当事人同意"));
    step_ok(&h, "clerk", id, json!({ "action": "invite", "name": "刘丙", "relation": "村民小组长", "consented": true })).await;
    step_ok(&h, "clerk", id, json!({ "action": "session", "on": day(&h, 0), "public": true, "place": "河口镇调解室", "present": "双方当事人、刘丙", "record": "双方陈述，调解员释法明理" })).await;
    let v = step_ok(&h, "clerk", id, json!({ "action": "flag_risk", "description": "一方扬言堵路", "referral": "报告镇综治中心" })).await;
    assert_eq!(v["dispute"]["stage"], "mediating");
    assert_eq!(v["dispute"]["risks"][0]["referral"], "报告镇综治中心");
    // A written agreement with two performance items.
    let agree = json!({ "action": "agree", "written": true, "effective_on": day(&h, 0), "facts": "两家因通道使用发生争执", "disputed": "通道通行权及围挡拆除", "responsibilities": "双方均有过错",
        "terms": "张甲拆除围挡；王乙赔偿损失500元", "manner": "当面交付", "perform_by": day(&h, 20),
        "items": [{ "item": "张甲拆除围挡", "due": day(&h, 5) }, { "item": "王乙赔偿500元", "due": day(&h, 20) }] });
    let v = step_ok(&h, "clerk", id, agree).await;
    assert_eq!(v["dispute"]["stage"], "written_agreement");
    assert_eq!(v["confirmation_deadline"], json!(day(&h, 30)));
    assert_eq!(v["next"], json!(["flag_risk", "apply_confirmation", "perform", "archive"]));

    // The 协议书 as DOCX: a Word package naming the parties and the 30 days.
    let req = Request::get(format!("/api/v1/mediation/disputes/{id}/agreement?format=docx"))
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token("clerk").unwrap()))
        .body(Body::empty())
        .unwrap();
    let (st, headers, bytes) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("wordprocessingml"));
    assert_eq!(&bytes[..2], b"PK");
    let (st, html) = h.as_user("clerk", Method::GET, &format!("/api/v1/mediation/disputes/{id}/agreement"), None).await;
    assert_eq!(st, StatusCode::OK);
    let _ = html;
    let req = Request::get(format!("/api/v1/mediation/disputes/{id}/agreement?format=html"))
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token("clerk").unwrap()))
        .body(Body::empty())
        .unwrap();
    let (_, _, page) = h.raw(req).await;
    let page = String::from_utf8(page).unwrap();
    for want in ["人民调解协议书", "张甲", "王乙", "通道通行权", "三十日内", "周调解", "不收取任何费用"] {
        assert!(page.contains(want), "{want} in the agreement");
    }

    // Reminders: the performance item due in 5 days is within the 7-day window; the one due in
    // 20 days and the confirmation window (30 days) are not yet.
    let r = h.app.remind_mediation("mediation_reminders", 1).await.unwrap();
    assert!(r.contains("新提醒 1 条"), "{r}");
    let again = h.app.remind_mediation("mediation_reminders", 2).await.unwrap();
    assert!(again.contains("新提醒 0 条"), "once per dispute, kind and date: {again}");
    h.clock.advance(Duration::days(25));
    let r = h.app.remind_mediation("mediation_reminders", 3).await.unwrap();
    assert!(r.contains("新提醒 2 条"), "the confirmation window closes in 5 days, the second item is overdue: {r}");
    let clerk = session(&h, "clerk").await;
    let (_, wb) = common::page(&h, &clerk, "/console").await;
    assert!(wb.contains("人民调解提醒") && wb.contains(&format!("/console/mediation/{id}")), "the workbench shows the reminders");
    let (_, reminders) = h.as_user("clerk", Method::GET, "/api/v1/mediation/reminders", None).await;
    let texts: Vec<&str> = reminders.as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert!(texts.iter().any(|t| t.contains("司法确认申请期限")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("尚未登记履行")), "{texts:?}");

    // Confirmation within 30 days, the court's ruling, performance, archive.
    let (st, e) = step(&h, "clerk", id, json!({ "action": "apply_confirmation", "applied_on": day(&h, 6), "court": "县人民法院" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    step_ok(&h, "clerk", id, json!({ "action": "apply_confirmation", "applied_on": day(&h, 0), "court": "县人民法院" })).await;
    let (st, _) = step(&h, "clerk", id, json!({ "action": "archive" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "not before the court rules");
    step_ok(&h, "clerk", id, json!({ "action": "confirmation_result", "result": "confirmed", "decided_on": day(&h, 0) })).await;
    let v = step_ok(&h, "clerk", id, json!({ "action": "perform", "no": 1, "done_on": day(&h, 0) })).await;
    assert_eq!(v["performance_state"], "overdue", "the second item was due on day 20");
    let v = step_ok(&h, "clerk", id, json!({ "action": "perform", "no": 2, "done_on": day(&h, 0), "note": "已当面交付" })).await;
    assert_eq!((v["performance_state"].as_str(), v["performance_label"].as_str()), (Some("performed"), Some("已履行")));
    let v = step_ok(&h, "clerk", id, json!({ "action": "archive" })).await;
    assert!(v["dispute"]["archived_at"].is_string());
    // The file (卷宗): registration, session records, outcome, confirmation and performance, history.
    let req = Request::get(format!("/api/v1/mediation/disputes/{id}/archive?format=html")).header(header::AUTHORIZATION, format!("Bearer {}", h.token("clerk").unwrap())).body(Body::empty()).unwrap();
    let (st, _, file) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    let file = String::from_utf8(file).unwrap();
    for want in ["人民调解卷宗", "信访事项转入", "第1次调解", "双方陈述，调解员释法明理", "书面协议", "裁定确认有效", "已履行", "卷内记录", "立卷归档"] {
        assert!(file.contains(want), "{want} in the file");
    }
    let req = Request::get(format!("/api/v1/mediation/disputes/{id}/archive?format=docx")).header(header::AUTHORIZATION, format!("Bearer {}", h.token("clerk").unwrap())).body(Body::empty()).unwrap();
    let (st, _, bytes) = h.raw(req).await;
    assert_eq!((st, &bytes[..2]), (StatusCode::OK, &b"PK"[..]));
    assert_eq!(v["next"], json!([]));
    let history: Vec<&str> = v["history"].as_array().unwrap().iter().map(|n| n["what"].as_str().unwrap()).collect();
    assert!(history.len() >= 10, "{history:?}");
    assert!(history.iter().any(|w| w.contains("裁定确认调解协议有效")) && history.last().unwrap().contains("归档"), "{history:?}");

    let (_, s) = h.as_user("clerk", Method::GET, "/api/v1/mediation/stats", None).await;
    assert_eq!(s["stats"]["confirmed"], 1, "{s}");
    assert!(s["stats"]["performed"].as_i64().unwrap() >= 1);
    assert!(s["definitions"]["success_rate"].as_str().unwrap().contains("调解成功率"));
}

async fn refusal_failure_visibility_and_statistics(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    let (cid, mid) = registry(&h, town).await;
    let (_, before) = h.as_user("clerk", Method::GET, "/api/v1/mediation/stats", None).await;
    let n0 = |k: &str| before["stats"][k].as_i64().unwrap();
    // A party's clear refusal: mediation does not start.
    let (st, refused) = h.as_user("town_clerk", Method::POST, "/api/v1/mediation/disputes", Some(json!({ "committee": cid, "source": "application", "dispute_type": "family", "summary": "赡养纠纷", "refused": "被申请人明确表示不同意调解" }))).await;
    assert_eq!(st, StatusCode::CREATED, "{refused}");
    assert_eq!(refused["stage"], "stopped");
    let (st, _) = step(&h, "town_clerk", refused["id"].as_i64().unwrap(), json!({ "action": "session", "on": day(&h, 0), "public": false, "record": "x" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // A referral by the police that fails: the other routes are told.
    let (st, d) = h.as_user("town_clerk", Method::POST, "/api/v1/mediation/disputes", Some(json!({ "committee": cid, "source": "police", "source_note": "河口派出所移送", "dispute_type": "damages", "summary": "车辆刮擦赔偿", "parties": [{ "name": "甲", "role": "applicant" }, { "name": "乙", "role": "respondent" }] }))).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let id = d["id"].as_i64().unwrap();
    step_ok(&h, "town_clerk", id, json!({ "action": "prepare", "parties": d["parties"], "mediators": [mid] })).await;
    step_ok(&h, "town_clerk", id, json!({ "action": "session", "on": day(&h, 0), "public": false, "record": "双方各执一词" })).await;
    let v = step_ok(&h, "town_clerk", id, json!({ "action": "fail", "reason": "赔偿数额分歧过大" })).await;
    assert_eq!(v["dispute"]["stage"], "failed");
    assert!(v["history"].as_array().unwrap().last().unwrap()["what"].as_str().unwrap().contains("仲裁、行政、司法"));
    // An oral agreement.
    let (_, d2) = h.as_user("town_clerk", Method::POST, "/api/v1/mediation/disputes", Some(json!({ "committee": cid, "source": "initiative", "dispute_type": "neighbour", "summary": "噪音纠纷", "parties": [{ "name": "丙", "role": "applicant" }, { "name": "丁", "role": "respondent" }] }))).await;
    let id2 = d2["id"].as_i64().unwrap();
    step_ok(&h, "town_clerk", id2, json!({ "action": "prepare", "parties": d2["parties"], "mediators": [mid] })).await;
    step_ok(&h, "town_clerk", id2, json!({ "action": "session", "on": day(&h, 0), "public": false, "record": "当场说和" })).await;
    step_ok(&h, "town_clerk", id2, json!({ "action": "agree", "written": false, "effective_on": day(&h, 0), "terms": "晚十点后不再施工" })).await;
    let (st, _) = h.as_user("town_clerk", Method::GET, &format!("/api/v1/mediation/disputes/{id2}/agreement"), None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "an oral agreement has no 协议书");

    let (_, s) = h.as_user("clerk", Method::GET, "/api/v1/mediation/stats", None).await;
    let n = |k: &str| s["stats"][k].as_i64().unwrap() - n0(k);
    assert_eq!((n("total"), n("concluded"), n("agreed"), n("oral"), n("failed"), n("stopped")), (3, 3, 1, 1, 1, 1), "{s}");
    // The dashboard's 调处成功率 now has a value.
    let (_, dash) = h.as_user("clerk", Method::GET, "/api/v1/dashboard", None).await;
    let rate = dash["figures"].as_array().unwrap().iter().find(|f| f["key"] == "mediation_rate").unwrap();
    assert!(rate["value"].is_number(), "{rate}");

    // Visibility: a department's handler does not see a town committee's disputes; an auditor
    // reads them with the parties' names masked and cannot act.
    let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/mediation/disputes/{id}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = h.as_user("auditor", Method::GET, &format!("/api/v1/mediation/disputes/{id}"), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["may_act"], false);
    assert_ne!(v["dispute"]["parties"][0]["name"], "甲");
    let (st, _) = step(&h, "auditor", id2, json!({ "action": "archive" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Bad input keeps nothing: an unknown type, a missing summary.
    let (st, e) = h.as_user("town_clerk", Method::POST, "/api/v1/mediation/disputes", Some(json!({ "committee": cid, "source": "application", "dispute_type": "x", "summary": "y" }))).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("dispute_type")));
    let (_, after) = h.as_user("clerk", Method::GET, "/api/v1/mediation/stats", None).await;
    assert_eq!(after["stats"]["total"], s["stats"]["total"]);
}






async fn console_pages_register_mediate_and_refer_a_case(b: Backend) {
    let h = harness_with(b, false).await;
    let clerk = session(&h, "clerk").await;
    let town = h.org_id("河口镇").await.to_string();
    // The registry: a committee without a woman member is refused and the form keeps the input.
    let (st, html) = page(&h, &clerk, "/console/mediation/registry").await;
    assert_eq!(st, StatusCode::OK);
    let token = csrf(&html);
    let bad = [("csrf", token.as_str()), ("op", "committee"), ("name", "河口镇人民调解委员会"), ("org", &town), ("members", "赵一 主任 男\n钱二 委员 男\n孙三 委员 男"), ("term_from", "2026-01-01"), ("term_to", "2028-12-31")];
    let (st, html) = post_form(&h, &clerk, "/console/mediation/registry", &bad).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("妇女成员") && html.contains("孙三 委员 男"), "error shown, input kept");
    let good = [("csrf", token.as_str()), ("op", "committee"), ("name", "河口镇人民调解委员会"), ("org", &town), ("members", "赵一 主任 男\n钱二 委员 女\n孙三 委员 男"), ("term_from", "2026-01-01"), ("term_to", "2028-12-31")];
    let (_, html) = post_form(&h, &clerk, "/console/mediation/registry", &good).await;
    assert!(html.contains("已登记调解委员会") && html.contains("钱二（委员，女）"), "{html}");
    let (_, committees) = h.as_user("clerk", Method::GET, "/api/v1/mediation/committees", None).await;
    let cid = committees[0]["id"].as_i64().unwrap().to_string();
    let (_, html) = post_form(&h, &clerk, "/console/mediation/registry", &[("csrf", &token), ("op", "mediator"), ("committee", &cid), ("name", "周调解"), ("gender", "female"), ("specialty", "邻里纠纷"), ("full_time", "1")]).await;
    assert!(html.contains("已登记调解员：周调解"), "{html}");
    let (_, mediators) = h.as_user("clerk", Method::GET, "/api/v1/mediation/mediators", None).await;
    let mid = mediators[0]["id"].as_i64().unwrap().to_string();
    // 停用 and 启用 again from the registry page.
    let (_, html) = post_form(&h, &clerk, "/console/mediation/registry", &[("csrf", &token), ("op", "toggle_mediator"), ("id", &mid), ("version", "1")]).await;
    assert!(html.contains("已停用：周调解"), "{html}");
    let (_, html) = post_form(&h, &clerk, "/console/mediation/registry", &[("csrf", &token), ("op", "toggle_mediator"), ("id", &mid), ("version", "1")]).await;
    assert!(html.contains("已被他人更新"), "a stale version is refused: {html}");
    let (_, html) = post_form(&h, &clerk, "/console/mediation/registry", &[("csrf", &token), ("op", "toggle_mediator"), ("id", &mid), ("version", "2")]).await;
    assert!(html.contains("已启用：周调解"), "{html}");

    // Registration: a missing type keeps what was typed.
    let (_, html) = page(&h, &clerk, "/console/mediation").await;
    assert!(html.contains("登记纠纷") && html.contains("调解成功率"));
    let form = [("csrf", token.as_str()), ("committee", &cid), ("source", "application"), ("dispute_type", ""), ("summary", "排水沟堵塞引发邻里争执"), ("parties", "申请人：张甲\n被申请人：王乙")];
    let (st, html) = post_form(&h, &clerk, "/console/mediation", &form).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("请选择纠纷类型") && html.contains("排水沟堵塞引发邻里争执") && html.contains("被申请人：王乙"), "input kept");
    let mut form = form.to_vec();
    form[3] = ("dispute_type", "neighbour");
    let (st, to) = post_form(&h, &clerk, "/console/mediation", &form).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = page(&h, &clerk, &to).await;
    assert!(html.contains("已受理") && html.contains("申请人：张甲"), "{html}");
    // Mediator and a session through the forms.
    let (_, html) = post_form(&h, &clerk, &to, &[("csrf", &token), ("version", &field_value(&html, "version")), ("op", "prepare"), ("parties", "申请人：张甲\n被申请人：王乙"), ("mediators", &mid), ("chosen", "parties")]).await;
    assert!(html.contains("周调解（当事人选择）") || html.contains("当事人选择"), "{html}");
    let (_, html) = post_form(&h, &clerk, &to, &[("csrf", &token), ("version", &field_value(&html, "version")), ("op", "session"), ("on", "2026-03-02"), ("public", "0"), ("record", "")]).await;
    assert!(html.contains("请填写调解笔录"), "an empty record is refused");
    let (_, html) = post_form(&h, &clerk, &to, &[("csrf", &token), ("version", &field_value(&html, "version")), ("op", "session"), ("on", "2026-03-02"), ("public", "1"), ("record", "双方陈述 <script>x</script>")]).await;
    assert!(html.contains("第1次调解") && html.contains("调解中") && !html.contains("<script>x"), "{html}");
    // A stale version is refused with a message, not lost silently.
    let (_, html) = post_form(&h, &clerk, &to, &[("csrf", &token), ("version", "1"), ("op", "fail"), ("reason", "分歧大")]).await;
    assert!(html.contains("已被他人更新"), "{html}");

    // The case page: 转人民调解 and the link back.
    let case = h.register().await;
    let case_id = case["id"].as_i64().unwrap();
    let (_, html) = page(&h, &clerk, &format!("/console/cases/{case_id}")).await;
    assert!(html.contains("转人民调解") && html.contains("河口镇人民调解委员会"), "the refer form");
    let (st, to) = post_form(&h, &clerk, &format!("/console/cases/{case_id}/mediation"), &[("csrf", &token), ("committee", &cid), ("dispute_type", "neighbour")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{to}");
    let (_, html) = page(&h, &clerk, &to).await;
    assert!(html.contains("信访事项转入") && html.contains(&format!("/console/cases/{case_id}")), "linked back to the case");
    let (_, html) = page(&h, &clerk, &format!("/console/cases/{case_id}")).await;
    assert!(html.contains("已转人民调解") && html.contains(&to), "linked from the case");
    // A department's handler cannot open the dispute.
    let handler = session(&h, "handler").await;
    let (st, _) = page(&h, &handler, &to).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

async fn demo_has_committees_and_disputes_at_every_stage(b: Backend) {
    let h = harness_with(b, false).await;
    h.app.seed_mediation_demo(1).await.unwrap();
    let (_, s) = h.as_user("leader", Method::GET, "/api/v1/mediation/stats", None).await;
    let stages: Vec<&str> = s["stats"]["by_stage"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap()).collect();
    for want in ["已归档", "达成书面协议", "调解中", "达成口头协议", "调解不成", "终止调解"] {
        assert!(stages.contains(&want), "{want} in {stages:?}");
    }
    assert_eq!(s["stats"]["confirmed"], 1);
    assert_eq!(s["stats"]["success_rate"], 60.0, "3 agreements of 5 ended: {s}");
    let clerk = session(&h, "clerk").await;
    let (st, html) = page(&h, &clerk, "/console/mediation").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("县医疗纠纷人民调解委员会") && html.contains("60%"), "{html}");
    let (st, html) = page(&h, &clerk, "/console/mediation/registry").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("林晓燕") && html.contains("医疗纠纷（医学背景）"));
}

async fn a_screening_finding_becomes_a_dispute(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    let (cid, _) = registry(&h, town).await;
    let (st, camp) = h.as_user("admin", Method::POST, "/api/v1/campaigns", Some(json!({ "title": "春季排查", "scope": "邻里", "period_from": "2026-03-01", "period_to": "2026-03-02", "due": "2026-03-05", "units": [town] }))).await;
    assert_eq!(st, StatusCode::CREATED, "{camp}");
    let id = camp["id"].as_i64().unwrap();
    let ret = json!({ "unit": town, "status": "found", "findings": [{ "place": "东村三组", "category": "01", "description": "两户宅基地界址争议", "people_count": 2 }] });
    let (st, r) = h.as_user("admin", Method::POST, &format!("/api/v1/campaigns/{id}/returns"), Some(ret)).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (st, f) = h.as_user("admin", Method::POST, &format!("/api/v1/campaigns/{id}/findings/{town}/1/dispose"), Some(json!({ "disposition": "mediation", "committee": cid }))).await;
    assert_eq!(st, StatusCode::OK, "{f}");
    let number = f["mediation_ref"].as_str().expect("the dispute's number is the reference").to_string();
    let (_, list) = h.as_user("admin", Method::GET, "/api/v1/mediation/disputes", None).await;
    let d = list.as_array().unwrap().iter().find(|d| d["number"] == number.as_str()).expect("the dispute is registered");
    assert_eq!(d["source"]["kind"], "initiative");
    assert!(d["source_note"].as_str().unwrap().contains(&format!("排查{id}-{town}-1")) && d["summary"].as_str().unwrap().contains("宅基地界址争议"), "{d}");
}

/// Every role opens the new pages without an error page; only the offices see the forms.
async fn every_role_opens_the_mediation_and_assessment_pages(b: Backend) {
    let h = harness_with(b, false).await;
    h.app.seed_mediation_demo(1).await.unwrap();
    h.app.seed_assessment_demo(1).await.unwrap();
    let (_, list) = h.as_user("admin", Method::GET, "/api/v1/mediation/disputes", None).await;
    let dispute = list[0]["id"].as_i64().unwrap();
    let (_, assessments) = h.as_user("admin", Method::GET, "/api/v1/assessments", None).await;
    let assessment = assessments[0]["id"].as_i64().unwrap();
    for user in ["clerk", "handler", "head", "supervisor", "leader", "admin", "auditor", "town_clerk"] {
        let s = session(&h, user).await;
        for path in ["/console/mediation".to_string(), "/console/mediation/registry".into(), format!("/console/mediation/{dispute}"), "/console/assessments".into(), format!("/console/assessments/{assessment}")] {
            let (st, html) = page(&h, &s, &path).await;
            assert!(st == StatusCode::OK || st == StatusCode::NOT_FOUND || st == StatusCode::FORBIDDEN, "{user} {path}: {st}");
            assert!(!html.contains("页面生成失败"), "{user} {path}");
            if user == "auditor" && st == StatusCode::OK {
                assert!(!html.contains("name=\"op\" value=\"session\"") && !html.contains("登记纠纷</h2>"), "the auditor reads only: {path}");
            }
        }
    }
    let (_, portal) = {
        let req = Request::get("/consultations").body(Body::empty()).unwrap();
        let (st, _, body) = h.raw(req).await;
        (st, String::from_utf8(body).unwrap())
    };
    assert!(portal.contains("老旧小区改造") && portal.contains("您对加装电梯的费用分摊方式有何意见？"), "the demo consultation is on the portal");
}

/// Party names are personal data: lists mask them, each full read is in the access log, and
/// five years after archiving they are deleted (once a day, by the housekeeping job).
async fn reading_party_names_is_logged_and_they_are_deleted_after_retention(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    let (cid, mid) = registry(&h, town).await;
    let parties = json!([{ "name": "张德顺", "role": "applicant" }, { "name": "李建华", "role": "respondent" }]);
    let (_, d) = h.as_user("town_clerk", Method::POST, "/api/v1/mediation/disputes", Some(json!({ "committee": cid, "source": "application", "dispute_type": "neighbour", "summary": "排水沟纠纷", "parties": parties }))).await;
    let id = d["id"].as_i64().unwrap();
    let (_, list) = h.as_user("town_clerk", Method::GET, "/api/v1/mediation/disputes", None).await;
    let listed = list.as_array().unwrap().iter().find(|x| x["id"] == id).unwrap();
    assert_ne!(listed["parties"][0]["name"], "张德顺", "a list masks the names: {listed}");
    let (_, before) = h.as_user("auditor", Method::GET, "/api/v1/access-log?limit=1000", None).await;
    let n0 = before["items"].as_array().unwrap().len();
    let (_, v) = h.as_user("town_clerk", Method::GET, &format!("/api/v1/mediation/disputes/{id}"), None).await;
    assert_eq!(v["dispute"]["parties"][0]["name"], "张德顺", "the mediator reads them");
    let (_, after) = h.as_user("auditor", Method::GET, "/api/v1/access-log?limit=1000", None).await;
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), n0 + 1, "one read, one record");
    assert!(items.iter().any(|r| r["username"] == "town_clerk" && r["purpose"].as_str().unwrap().contains("查看纠纷") && r["fields"] == json!(["parties"])), "{after}");

    // Mediated, agreed orally, archived; five years on the names go.
    for step in [
        json!({ "action": "prepare", "parties": parties, "mediators": [mid] }),
        json!({ "action": "session", "on": day(&h, 0), "public": false, "record": "说和" }),
        json!({ "action": "agree", "written": false, "effective_on": day(&h, 0), "terms": "各自清理排水沟" }),
        json!({ "action": "archive" }),
    ] {
        step_ok(&h, "town_clerk", id, step).await;
    }
    assert_eq!(h.app.purge_personal_data_daily().await.unwrap(), Some((0, 0)), "nothing is due yet");
    assert_eq!(h.app.purge_personal_data_daily().await.unwrap(), None, "once a day");
    h.clock.advance(Duration::days(365 * 5 + 2));
    assert_eq!(h.app.purge_personal_data_daily().await.unwrap(), Some((0, 1)));
    let (_, v) = h.as_user("town_clerk", Method::GET, &format!("/api/v1/mediation/disputes/{id}"), None).await;
    assert_eq!(v["dispute"]["parties"][0]["name"], redress_app::mediation::PURGED_NAME);
    assert_eq!(v["dispute"]["personal_data_purged"], true);
    assert!(v["history"].as_array().unwrap().last().unwrap()["what"].as_str().unwrap().contains("按保存期限删除"));
}
