//! Social stability risk assessment (issue 7) end to end on both backends: the six steps through
//! the API, residents' questionnaires on the portal (anonymous, input kept on error), tallies by
//! group and place, the risk matrix and computed level with a written override, measures, 报备
//! returned and accepted by the higher level, the report in DOCX and HTML, statistics, grievances
//! after the decision linked automatically, and the console pages.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{field_value as field, harness_with, post_form, session, Backend, H};
use serde_json::{json, Value};

on_both_backends!(a_project_is_assessed_through_six_steps_and_filed, the_portal_and_console_pages_carry_the_workflow);

fn register(town: i64, unit: i64, decided: Option<&str>) -> Value {
    json!([{ "id": "2026-007", "name": "城关镇垃圾中转站建设", "kind": "project", "deciding_body": "县人民政府", "responsible_unit": unit,
        "assessing_body": "县住房和城乡建设局", "assessment_required": true, "towns": [town], "categories": ["01"], "assessment_from": "2026-01-01",
        "decided_on": decided, "stage": if decided.is_some() { "decided" } else { "assessing" } }])
}

/// Posts one step with the current version; (status, body).
async fn step(h: &H, user: &str, id: i64, mut body: Value) -> (StatusCode, Value) {
    let (_, v) = h.as_user(user, Method::GET, &format!("/api/v1/assessments/{id}"), None).await;
    body["version"] = v["assessment"]["version"].clone();
    h.as_user(user, Method::POST, &format!("/api/v1/assessments/{id}/actions"), Some(body)).await
}

async fn ok(h: &H, user: &str, id: i64, body: Value) -> Value {
    let (st, v) = step(h, user, id, body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{body} → {v}");
    v
}

async fn a_project_is_assessed_through_six_steps_and_filed(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    let housing = h.org_id("县住房和城乡建设局").await;
    let (st, body) = h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(register(town, housing, None))).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // The responsible unit's head starts it; another department's staff may not.
    let (st, v) = h.as_user("head", Method::POST, "/api/v1/assessments", Some(json!({ "project": "2026-007" }))).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["assessment"]["id"].as_i64().unwrap();
    assert_eq!((v["step"].as_i64(), v["step_name"].as_str()), (Some(1), Some("制定评估方案")));
    let (st, _) = h.as_user("head", Method::POST, "/api/v1/assessments", Some(json!({ "project": "2026-007" }))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "one assessment per project");

    // 1. Plan; 2. notice, questionnaire, a forum.
    ok(&h, "head", id, json!({ "action": "plan", "scope": "中转站周边500米住户和商户", "methods": "问卷调查、座谈会、走访", "schedule": "三月上旬征求意见，中旬分析" })).await;
    ok(&h, "head", id, json!({ "action": "check", "step": 1, "item": 1, "done": true })).await;
    let v = ok(&h, "head", id, json!({ "action": "notice", "text": "拟在城关镇建设垃圾中转站，现公开征求意见。", "from": "2026-03-01", "until": "2026-03-20" })).await;
    assert_eq!(v["step"], 2);
    let (st, e) = step(&h, "head", id, json!({ "action": "questionnaire", "questions": ["您对选址有何意见？"], "groups": [], "open": true })).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("groups")));
    ok(&h, "head", id, json!({ "action": "questionnaire", "questions": ["您对选址有何意见？", "您希望采取哪些防护措施？"], "groups": ["周边居民", "沿街商户"], "open": true })).await;
    // Residents answer on the portal, anonymously.
    let (_, open) = h.call(Method::GET, "/api/v1/public/consultations", None, None).await;
    let c = open.as_array().unwrap().iter().find(|c| c["id"] == id).expect("listed on the portal");
    assert_eq!(c["groups"], json!(["周边居民", "沿街商户"]));
    for (group, position) in [("周边居民", "oppose"), ("周边居民", "oppose"), ("沿街商户", "support")] {
        let (st, r) = h.call(Method::POST, &format!("/api/v1/public/consultations/{id}/responses"), None, Some(json!({ "group": group, "town": town, "position": position, "answers": ["担心异味"] }))).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let (st, e) = h.call(Method::POST, &format!("/api/v1/public/consultations/{id}/responses"), None, Some(json!({ "group": "外地游客", "position": "support" }))).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("group")));
    let (st, e) = step(&h, "head", id, json!({ "action": "meeting", "kind": "forum", "on": "2026-03-02", "attendance": 5, "group": "周边居民", "town": town, "support": 3, "oppose": 4, "summary": "x" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "more positions than people: {e}");
    let v = ok(&h, "head", id, json!({ "action": "meeting", "kind": "forum", "on": "2026-03-02", "place": "城关镇会议室", "attendance": 20, "group": "周边居民", "town": town, "support": 2, "oppose": 12, "neutral": 6, "summary": "多数居民担心异味和噪声" })).await;
    assert_eq!(v["tallies"]["responses"], 3);
    assert_eq!(v["tallies"]["all"], json!({ "support": 3, "oppose": 14, "neutral": 6 }));
    let by_group: Vec<(&str, i64)> = v["tallies"]["by_group"].as_array().unwrap().iter().map(|g| (g[0].as_str().unwrap(), g[1]["oppose"].as_i64().unwrap())).collect();
    assert_eq!(by_group, [("周边居民", 14), ("沿街商户", 0)]);
    assert_eq!(v["tallies"]["by_town"][0][0], "城关镇");
    assert_eq!(v["step"], 3);

    // 3. Risks in all four dimensions; the conclusion waits for them.
    let (st, _) = step(&h, "head", id, json!({ "action": "conclude" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, e) = step(&h, "head", id, json!({ "action": "risk", "dimension": "legality", "description": "用地手续", "likelihood": 2, "impact": 2, "evidence": "" })).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("evidence")), "a score needs its evidence");
    for (d, desc, l, i) in [("legality", "用地手续齐全", 1, 2), ("reasonableness", "补偿标准争议", 3, 3), ("feasibility", "资金已落实", 1, 1), ("controllability", "周边居民可能聚集反对", 4, 5)] {
        ok(&h, "head", id, json!({ "action": "risk", "dimension": d, "description": desc, "likelihood": l, "impact": i, "evidence": "座谈会、问卷" })).await;
    }
    let v = ok(&h, "head", id, json!({ "action": "check", "step": 3, "item": 4, "done": true })).await;
    assert_eq!(v["step"], 4);
    assert_eq!(v["matrix"][3], json!([4, 20, "高风险"]));
    assert_eq!(v["computed"][0], "high", "most object and a high risk: {v}");
    // 4. An override needs a reason.
    let (st, e) = step(&h, "head", id, json!({ "action": "conclude", "level": "medium" })).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("override_reason")));
    let v = ok(&h, "head", id, json!({ "action": "conclude", "level": "medium", "override_reason": "选址已调整至远离居民区300米，反对意见主要针对原选址" })).await;
    assert_eq!(v["assessment"]["conclusion"]["level"], "medium");
    assert_eq!(v["assessment"]["conclusion"]["computed"], "high");
    assert_eq!(v["step"], 5);
    // 5. Measures and 报备: returned with a note, filed again, accepted.
    ok(&h, "head", id, json!({ "action": "measure", "text": "建设全封闭除臭系统", "owner": "县住房和城乡建设局", "deadline": "2026-03-10" })).await;
    ok(&h, "head", id, json!({ "action": "measure", "text": "设立群众监督员", "owner": "城关镇", "deadline": "2026-03-05" })).await;
    let (st, _) = step(&h, "head", id, json!({ "action": "review", "result": "accepted" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the unit does not review its own filing");
    ok(&h, "head", id, json!({ "action": "file", "to": "县委政法委" })).await;
    let (st, _) = step(&h, "head", id, json!({ "action": "measure", "text": "x", "owner": "y", "deadline": "2026-03-10" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "no edits while the filing is reviewed");
    let leader = common::session(&h, "leader").await;
    let (_, wb) = common::page(&h, &leader, "/console").await;
    assert!(wb.contains("待审核的稳评报备") && wb.contains(&format!("/console/assessments/{id}")), "the leader's workbench lists the filing");
    let (st, _) = step(&h, "leader", id, json!({ "action": "review", "result": "returned" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a return needs a note");
    let v = ok(&h, "leader", id, json!({ "action": "review", "result": "returned", "note": "请补充应急处置预案" })).await;
    assert!(v["missing"][0].as_str().unwrap().contains("请补充应急处置预案"), "{v}");
    ok(&h, "head", id, json!({ "action": "measure", "text": "制定应急处置预案", "owner": "城关镇", "deadline": "2026-03-08" })).await;
    ok(&h, "head", id, json!({ "action": "file", "to": "县委政法委" })).await;
    let v = ok(&h, "leader", id, json!({ "action": "review", "result": "accepted" })).await;
    assert_eq!(v["step"], 6);
    ok(&h, "head", id, json!({ "action": "measure_done", "no": 1, "done_on": "2026-03-02" })).await;
    let v = ok(&h, "head", id, json!({ "action": "follow_up", "note": "除臭设备已进场安装" })).await;
    let history: Vec<&str> = v["history"].as_array().unwrap().iter().map(|n| n["what"].as_str().unwrap()).collect();
    assert!(history.iter().any(|w| w.contains("上级退回报备")) && history.iter().any(|w| w.contains("调整理由")), "{history:?}");

    // The report: the standard outline, in DOCX and HTML.
    let req = Request::get(format!("/api/v1/assessments/{id}/report?format=docx")).header(header::AUTHORIZATION, format!("Bearer {}", h.token("head").unwrap())).body(Body::empty()).unwrap();
    let (st, _, bytes) = h.raw(req).await;
    assert_eq!((st, &bytes[..2]), (StatusCode::OK, &b"PK"[..]));
    let req = Request::get(format!("/api/v1/assessments/{id}/report")).header(header::AUTHORIZATION, format!("Bearer {}", h.token("leader").unwrap())).body(Body::empty()).unwrap();
    let (_, _, html) = h.raw(req).await;
    let html = String::from_utf8(html).unwrap();
    for part in ["社会稳定风险评估报告", "一、评估事项基本情况", "三、各方意见", "四、风险识别和分析", "五、风险等级和评估结论", "中风险", "测算等级为高风险", "建设全封闭除臭系统", "县委政法委", "按群体：周边居民"] {
        assert!(html.contains(part), "the report has {part}");
    }

    // Decided: a grievance in its town and category after the decision is linked automatically.
    let (st, _) = h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(register(town, housing, Some("2026-03-01")))).await;
    assert_eq!(st, StatusCode::OK);
    h.register().await;
    let (_, v) = h.as_user("head", Method::GET, &format!("/api/v1/assessments/{id}"), None).await;
    assert_eq!(v["complaints_after_decision"], 1, "{v}");
    let (_, s) = h.as_user("leader", Method::GET, "/api/v1/assessments/stats", None).await;
    assert_eq!((s["started"].as_i64(), s["assessed"].as_i64(), s["accepted"].as_i64(), s["measures"].as_i64(), s["measures_on_time"].as_i64()), (Some(1), Some(1), Some(1), Some(3), Some(1)), "{s}");
    assert_eq!(s["by_level"], json!([["中风险", 1]]));
    assert_eq!(s["complaints_after_decision"], 1);
    // A department that is not responsible sees nothing to act on.
    let (st, _) = h.as_user("town_clerk", Method::GET, &format!("/api/v1/assessments/{id}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = h.as_user("town_clerk", Method::POST, &format!("/api/v1/assessments/{id}/actions"), Some(json!({ "version": 1, "action": "follow_up", "note": "x" }))).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}





async fn the_portal_and_console_pages_carry_the_workflow(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    let housing = h.org_id("县住房和城乡建设局").await;
    h.as_user("admin", Method::PUT, "/api/v1/assessment-projects", Some(register(town, housing, None))).await;
    let cookie = session(&h, "head").await;
    let (st, html) = common::page(&h, &cookie, "/console/assessments").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("城关镇垃圾中转站建设") && html.contains("启动评估"), "the register with the start button");
    let token = field(&html, "csrf");
    let (st, to) = post_form(&h, &cookie, "/console/assessments", &[("csrf", &token), ("project", "2026-007")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{to}");
    let (_, html) = common::page(&h, &cookie, &to).await;
    assert!(html.contains("第1步 制定评估方案") && html.contains("填写评估方案（范围、方法、时间安排）") && html.contains("risk-matrix"));
    // A plan with a missing field keeps what was typed.
    let (_, html) = post_form(&h, &cookie, &to, &[("csrf", &token), ("version", &field(&html, "version")), ("op", "plan"), ("scope", "周边住户"), ("methods", ""), ("schedule", "三月")]).await;
    assert!(html.contains("请填写评估方法") && html.contains("周边住户"), "error shown, input kept");
    let (_, html) = post_form(&h, &cookie, &to, &[("csrf", &token), ("version", &field(&html, "version")), ("op", "plan"), ("scope", "周边住户"), ("methods", "问卷"), ("schedule", "三月")]).await;
    assert!(html.contains("第2步 广泛征求意见"), "{html}");
    let (_, html) = post_form(&h, &cookie, &to, &[("csrf", &token), ("version", &field(&html, "version")), ("op", "notice"), ("text", "公开征求意见 <b>x</b>"), ("from", "2026-03-01"), ("until", "2026-03-31")]).await;
    assert!(!html.contains("<b>x</b>"), "text stays text");
    let (_, html) = post_form(&h, &cookie, &to, &[("csrf", &token), ("version", &field(&html, "version")), ("op", "questionnaire"), ("questions", "您对选址有何意见？"), ("groups", "周边居民\n沿街商户"), ("open", "1")]).await;
    assert!(html.contains("开放填写"));
    let (_, html) = post_form(&h, &cookie, &to, &[("csrf", &token), ("version", &field(&html, "version")), ("op", "check"), ("step", "2"), ("item", "1"), ("done", "1")]).await;
    assert!(html.contains("✓ 发布评估公告"), "checklist ticked");

    // The portal: listed, an answer without a position is refused and kept, then accepted.
    let req = Request::get("/consultations").body(Body::empty()).unwrap();
    let (st, headers, body) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    let portal = String::from_utf8(body).unwrap();
    assert!(portal.contains("城关镇垃圾中转站建设") && portal.contains("您对选址有何意见？") && portal.contains("公开征求意见 &#60;b&#62;x&#60;/b&#62;"), "{portal}");
    let set_cookie = headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()).collect::<Vec<_>>().join("; ");
    let ptoken = field(&portal, "csrf");
    let id = to.rsplit('/').next().unwrap();
    let form = |position: &'static str| vec![("csrf", ptoken.clone()), ("group", "周边居民".to_string()), ("town", town.to_string()), ("position", position.to_string()), ("answer", "离小区太近".to_string()), ("comment", "建议改址".to_string())];
    let (st, html) = portal_post(&h, &set_cookie, &format!("/consultations/{id}"), &form("").iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("请选择您的态度") && html.contains("离小区太近") && html.contains("建议改址"), "kept");
    assert!(html.contains(&format!("value=\"{town}\" selected")) && html.contains("value=\"周边居民\" selected"), "choices kept");
    let (st, html) = portal_post(&h, &set_cookie, &format!("/consultations/{id}"), &form("oppose").iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("感谢您参与意见征集"));
    let (_, html) = common::page(&h, &cookie, &to).await;
    assert!(html.contains("已收回问卷 <b id=\"responses\">1</b> 份"), "the tally counts the portal's answer");

    // The register on the console (administrators): a missing name keeps the input; then the
    // project is marked decided, which starts the follow-up of grievances after the decision.
    let admin = session(&h, "admin").await;
    let (_, html) = common::page(&h, &admin, "/console/assessments").await;
    assert!(html.contains("登记或更新稳评事项"));
    let atoken = field(&html, "csrf");
    let (town_s, housing_s) = (town.to_string(), housing.to_string());
    let mut form = vec![("csrf", atoken.as_str()), ("id", "2026-007"), ("name", ""), ("kind", "project"), ("deciding_body", "县人民政府"), ("responsible_unit", housing_s.as_str()),
        ("assessing_body", "县住房和城乡建设局"), ("required", "1"), ("towns", town_s.as_str()), ("categories", "01"), ("assessment_from", "2026-01-01"), ("decided_on", "2026-03-01"), ("stage", "decided")];
    let (_, html) = post_form(&h, &admin, "/console/assessments/register", &form).await;
    assert!(html.contains("请填写事项名称") && html.contains("县人民政府"), "error shown, input kept");
    form[2] = ("name", "城关镇垃圾中转站建设");
    let (_, html) = post_form(&h, &admin, "/console/assessments/register", &form).await;
    assert!(html.contains("已保存稳评事项：城关镇垃圾中转站建设") && html.contains("第3步 分析预测风险"), "{html}");
    let (_, list) = h.as_user("admin", Method::GET, "/api/v1/assessment-projects", None).await;
    assert_eq!((list.as_array().unwrap().len(), list[0]["stage"].as_str()), (1, Some("decided")), "replaced, not added: {list}");
    h.register().await;
    let (_, v) = h.as_user("head", Method::GET, &format!("/api/v1/assessments/{id}"), None).await;
    assert_eq!(v["complaints_after_decision"], 1);
}

/// POSTs a portal form with the visitor's cookies (the form token's): (status, body).
async fn portal_post(h: &H, cookie: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let req = Request::post(path).header(header::COOKIE, cookie).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(serde_urlencoded::to_string(form).unwrap())).unwrap();
    let (st, _, body) = h.raw(req).await;
    (st, String::from_utf8(body).unwrap())
}
