//! Routine duties of issue 6 end to end on both backends: 零报告 (frequencies, filing and
//! correcting, coverage, missing reports and the reminder job), 矛盾纠纷排查 campaigns (returns,
//! findings to a case or to mediation, the report in HTML and DOCX), the console pages and the
//! scorecard page, permissions and field errors.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use common::{csrf, harness_with, page, post_form, session, Backend};
use serde_json::{json, Value};

on_both_backends!(
    nil_reports_are_filed_corrected_covered_and_reminded,
    campaigns_collect_returns_and_dispose_of_findings,
    duty_console_pages_render_and_accept_forms,
    hotspot_rule_raises_one_warning_per_emerging_category_or_town,
    demo_data_has_a_week_of_nil_reports_and_a_campaign,
    annual_report_has_the_content_the_regulation_names,
    monthly_report_has_charts_in_html_and_native_docx_charts
);





fn row(coverage: &Value, unit: i64) -> &Value {
    coverage["rows"].as_array().unwrap().iter().find(|r| r["unit"] == unit).unwrap_or_else(|| panic!("no row for {unit}: {coverage}"))
}

async fn nil_reports_are_filed_corrected_covered_and_reminded(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    let other_town = h.org_id("青山乡").await;
    let housing = h.org_id("县住房和城乡建设局").await;
    let office = h.org_id("县信访局").await;

    // Frequencies: towns daily, departments weekly by default; only administrators change them.
    let (st, settings) = h.as_user("handler", Method::GET, "/api/v1/settings/nil-report-frequency", None).await;
    assert_eq!(st, StatusCode::OK);
    let freq = |s: &Value, unit: i64| s["units"].as_array().unwrap().iter().find(|u| u["unit"] == unit).map(|u| u["frequency"].as_str().unwrap().to_string());
    assert_eq!(freq(&settings, town).as_deref(), Some("daily"));
    assert_eq!(freq(&settings, housing).as_deref(), Some("weekly"));
    let (st, _) = h.as_user("handler", Method::PUT, "/api/v1/settings/nil-report-frequency", Some(json!({ "units": { office.to_string(): "none" } }))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, err) = h.as_user("admin", Method::PUT, "/api/v1/settings/nil-report-frequency", Some(json!({ "units": { office.to_string(): "monthly" } }))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], format!("units.{office}"));
    let (st, saved) = h.as_user("admin", Method::PUT, "/api/v1/settings/nil-report-frequency", Some(json!({ "units": { office.to_string(): "none" } }))).await;
    assert_eq!(st, StatusCode::OK, "{saved}");
    assert_eq!(freq(&saved, office).as_deref(), Some("none"), "the office that receives the reports does not file one");

    // Filing: field errors in Chinese, nothing stored on bad input.
    let (st, err) = h.as_user("town_clerk", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "found", "details": "  " }))).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("details")), "{err}");
    let (st, err) = h.as_user("town_clerk", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "maybe" }))).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    let (st, err) = h.as_user("town_clerk", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "nil", "date": "2026-03-09" }))).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("date")), "a future period");
    let (st, _) = h.as_user("town_clerk", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "nil", "unit": other_town }))).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only one's own unit");
    let (st, _) = h.as_user("auditor", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "nil" }))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, err) = h.as_user("clerk", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "nil" }))).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unit")), "县信访局 does not report now");
    let (_, hist) = h.as_user("admin", Method::GET, "/api/v1/nil-reports/history", None).await;
    assert_eq!(hist["items"].as_array().unwrap().len(), 0, "nothing stored by refused filings");

    // 城关镇 files 无情况, then corrects it to 有情况 within the day: both kept, the newest counts.
    let (st, first) = h.as_user("town_clerk", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "nil" }))).await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    assert_eq!((first["period"].as_str(), first["late"].as_bool(), first["filed_by"].as_str()), (Some("2026-03-02"), Some(false), Some("陈乡镇登记员")));
    h.clock.advance(Duration::hours(2));
    let (st, _) = h.as_user("town_clerk", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "found", "details": "东村三组2户宅基地界址争议，村调委会已介入" }))).await;
    assert_eq!(st, StatusCode::CREATED);
    // The housing bureau files its weekly report (period = the Monday).
    let (st, weekly) = h.as_user("handler", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "nil", "date": "2026-03-04" }))).await;
    assert_eq!((st, weekly["period"].as_str(), weekly["frequency"].as_str()), (StatusCode::CREATED, Some("2026-03-02"), Some("weekly")));

    let (st, cov) = h.as_user("leader", Method::GET, "/api/v1/nil-reports?date=2026-03-02", None).await;
    assert_eq!(st, StatusCode::OK, "{cov}");
    let mine = row(&cov, town);
    assert_eq!((mine["state"].as_str(), mine["filings"].as_i64(), mine["report"]["status"].as_str()), (Some("on_time"), Some(2), Some("found")));
    assert_eq!(row(&cov, other_town)["state"], "pending", "before the deadline");
    assert_eq!(row(&cov, housing)["state"], "on_time");
    assert!(cov["rows"].as_array().unwrap().iter().all(|r| r["unit"] != office), "县信访局 set to none");
    assert_eq!(cov["found"], 1);
    // A town office sees its own town only; a unit its own unit.
    let (_, town_cov) = h.as_user("town_clerk", Method::GET, "/api/v1/nil-reports?date=2026-03-02", None).await;
    assert_eq!(town_cov["rows"].as_array().unwrap().iter().map(|r| r["unit"].as_i64().unwrap()).collect::<Vec<_>>(), vec![town]);
    let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/nil-reports/history?unit={town}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another unit's reports");
    let (st, err) = h.as_user("leader", Method::GET, "/api/v1/nil-reports?date=2026-3-x", None).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("date")));
    let (_, hist) = h.as_user("leader", Method::GET, &format!("/api/v1/nil-reports/history?unit={town}&from=2026-03-01&to=2026-03-02"), None).await;
    let statuses: Vec<&str> = hist["items"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["found", "nil"], "newest first, the correction keeps the first filing");

    // Next morning: the other towns missed Monday; the job reminds each once.
    h.clock.advance(Duration::hours(22));
    let (_, missing) = h.as_user("leader", Method::GET, "/api/v1/nil-reports/missing", None).await;
    let missing_units: Vec<i64> = missing["items"].as_array().unwrap().iter().map(|r| r["unit"].as_i64().unwrap()).collect();
    assert!(missing_units.contains(&other_town) && !missing_units.contains(&town), "{missing}");
    let report = h.app.check_nil_reports("nil_report_check", 1).await.unwrap();
    assert!(report.contains(&format!("新提醒 {} 条", missing_units.len())), "{report}");
    let again = h.app.check_nil_reports("nil_report_check", 2).await.unwrap();
    assert!(again.ends_with("新提醒 0 条"), "idempotent: {again}");
    // The housing bureau's head sees on the workbench that last week's report was missed and this week's is due.
    let head = session(&h, "head").await;
    let (_, wb) = page(&h, &head, "/console").await;
    assert!(wb.contains(r#"id="workbench-nil""#) && wb.contains("未报送</span> 2026-02-23至03-01"), "{wb}");
    let s = session(&h, "leader").await;
    let (_, dash) = page(&h, &s, "/console/dashboard").await;
    assert!(dash.contains("零报告漏报") && dash.contains("青山乡：2026-03-02（周一）"), "missing reports on the dashboard");
    let reminders = h.app.store.duty_reminders(Some(redress_domain::OrgId(other_town)), 10).await.unwrap();
    assert_eq!(reminders.iter().map(|r| (r.period.as_str(), r.kind.as_str())).collect::<Vec<_>>(), vec![("2026-03-02", "nil_report_missing")]);
    // 补报: an administrator files for 青山乡 after the deadline; it counts as late.
    let (st, late) = h.as_user("admin", Method::POST, "/api/v1/nil-reports", Some(json!({ "status": "nil", "unit": other_town, "date": "2026-03-02" }))).await;
    assert_eq!((st, late["late"].as_bool()), (StatusCode::CREATED, Some(true)), "{late}");
    let (_, cov) = h.as_user("leader", Method::GET, "/api/v1/nil-reports?date=2026-03-02", None).await;
    assert_eq!(row(&cov, other_town)["state"], "late");
    assert!(cov["late"].as_i64().unwrap() >= 1);
}

async fn campaigns_collect_returns_and_dispose_of_findings(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    let other_town = h.org_id("青山乡").await;
    let housing = h.org_id("县住房和城乡建设局").await;
    let village = h.org_id("幸福社区").await;
    let new = json!({ "title": "春节前矛盾纠纷集中排查", "scope": "土地承包、邻里纠纷、拖欠工资", "period_from": "2026-03-02", "period_to": "2026-03-08", "due": "2026-03-09", "units": [town, other_town, housing] });

    // Only offices start campaigns; bad input names the field.
    let (st, _) = h.as_user("handler", Method::POST, "/api/v1/campaigns", Some(new.clone())).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for (patch, field) in [(json!({ "title": " " }), "title"), (json!({ "due": "2026-02-01" }), "due"), (json!({ "units": [] }), "units"), (json!({ "period_to": "2026-13-01" }), "period_to")] {
        let mut body = new.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (st, err) = h.as_user("clerk", Method::POST, "/api/v1/campaigns", Some(body)).await;
        assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{err}");
    }
    let (st, c) = h.as_user("clerk", Method::POST, "/api/v1/campaigns", Some(new.clone())).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();

    // The unit sees it; returns: "无" needs a note; findings need a known category.
    let (_, list) = h.as_user("handler", Method::GET, "/api/v1/campaigns", None).await;
    assert_eq!(list["items"][0]["id"], id);
    let ret = |user: &'static str, body: Value| {
        let h = &h;
        async move { h.as_user(user, Method::POST, &format!("/api/v1/campaigns/{id}/returns"), Some(body)).await }
    };
    let (st, err) = ret("handler", json!({ "status": "none", "note": "" })).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    let (st, err) = ret("town_clerk", json!({ "status": "found", "findings": [{ "place": "东村", "category": "99.99", "description": "x" }] })).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("findings[0].category")));
    let (st, err) = ret("town_clerk", json!({ "status": "found", "findings": [{ "place": "东村", "category": "01", "description": "x", "name": "张三" }] })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a finding has no field for a person: {err}");
    let (st, r) = ret("handler", json!({ "status": "none", "note": "排查了全县在建工地12处，未发现拖欠工资纠纷" })).await;
    assert_eq!((st, r["late"].as_bool()), (StatusCode::OK, Some(false)), "{r}");
    let two = json!({ "status": "found", "note": "走访12个村", "findings": [
        { "place": "东村三组", "place_org": village, "category": "01.02", "description": "小区电梯停运引发业主与物业纠纷", "people_count": 30 },
        { "place": "西村", "category": "01", "description": "两户宅基地界址争议", "people_count": 2 } ] });
    let (st, r) = ret("town_clerk", two).await;
    assert_eq!((st, r["findings"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "{r}");
    let (st, _) = ret("town_clerk", json!({ "status": "none", "note": "x", "unit": other_town })).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only one's own unit");

    // Dispositions by the office: one to a case (through intake), one to mediation.
    let dispose = |no: u32, body: Value, user: &'static str| {
        let h = &h;
        async move { h.as_user(user, Method::POST, &format!("/api/v1/campaigns/{id}/findings/{town}/{no}/dispose"), Some(body)).await }
    };
    let (st, _) = dispose(1, json!({ "disposition": "case" }), "handler").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, err) = dispose(1, json!({ "disposition": "ignore" }), "clerk").await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("disposition")));
    let (st, f) = dispose(1, json!({ "disposition": "case" }), "clerk").await;
    assert_eq!(st, StatusCode::OK, "{f}");
    let case_id = f["case_id"].as_i64().unwrap();
    let (_, case) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{case_id}"), None).await;
    assert_eq!(case["case"]["matter"]["people_count"], 30, "{case}");
    assert_eq!(case["case"]["matter"]["category"], "01.02");
    assert_eq!(case["case"]["matter"]["location"]["org"], village);
    assert_eq!(case["case"]["matter"]["channel_details"]["external_ref"], format!("排查{id}-{town}-1"), "linked back to the finding");
    let (st, err) = dispose(1, json!({ "disposition": "mediation" }), "clerk").await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("disposition")), "already disposed");
    let (st, f) = dispose(2, json!({ "disposition": "mediation", "reference": "城关调〔2026〕3号" }), "supervisor").await;
    assert_eq!((st, f["disposition"].as_str(), f["mediation_ref"].as_str()), (StatusCode::OK, Some("mediation"), Some("城关调〔2026〕3号")), "{f}");
    // Correcting the return keeps the disposed findings.
    let (st, r) = ret("town_clerk", json!({ "status": "found", "note": "补充", "findings": [{ "place": "南村", "category": "01", "description": "灌溉用水纠纷", "people_count": 6 }] })).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let nos: Vec<(i64, &str)> = r["findings"].as_array().unwrap().iter().map(|f| (f["no"].as_i64().unwrap(), f["disposition"].as_str().unwrap())).collect();
    assert_eq!(nos, [(1, "case"), (2, "mediation"), (3, "pending")]);
    let (st, err) = ret("town_clerk", json!({ "status": "none", "note": "无" })).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "disposed findings cannot be withdrawn");

    // After the due date: 青山乡 never returned.
    h.clock.advance(Duration::days(8));
    let (st, v) = h.as_user("leader", Method::GET, &format!("/api/v1/campaigns/{id}"), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = &v["report"];
    assert_eq!((r["assigned"].as_i64(), r["returned"].as_i64(), r["missing"].as_i64(), r["on_time"].as_i64()), (Some(3), Some(2), Some(1), Some(2)), "{r}");
    assert_eq!((r["findings"].as_i64(), r["people"].as_i64()), (Some(3), Some(38)));
    assert!((r["coverage_rate"].as_f64().unwrap() - 66.7).abs() < 1e-9);
    let disp: Vec<(String, i64)> = r["by_disposition"].as_array().unwrap().iter().map(|x| (x[0].as_str().unwrap().to_string(), x[1].as_i64().unwrap())).collect();
    assert_eq!(disp.len(), 3, "{disp:?}");
    assert!(r["by_place"].as_array().unwrap().iter().any(|x| x[0] == "城关镇" && x[1] == 3), "{}", r["by_place"]);
    let history: Vec<&str> = v["history"].as_array().unwrap().iter().map(|n| n["what"].as_str().unwrap()).collect();
    assert!(history[0].starts_with("发起排查活动") && history.iter().any(|w| w.contains("转为信访事项")) && history.iter().any(|w| w.contains("转人民调解")), "{history:?}");
    // A unit sees its own row only and no history.
    let (_, unit_view) = h.as_user("handler", Method::GET, &format!("/api/v1/campaigns/{id}"), None).await;
    assert_eq!(unit_view["units"].as_array().unwrap().len(), 1);
    assert!(unit_view["history"].as_array().unwrap().is_empty());

    // The report in DOCX and HTML.
    let req = Request::get(format!("/api/v1/campaigns/{id}/report?format=docx")).header(header::AUTHORIZATION, format!("Bearer {}", h.token("leader").unwrap())).body(Body::empty()).unwrap();
    let (st, headers, docx) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("wordprocessingml"));
    let xml = String::from_utf8_lossy(&docx);
    assert!(xml.contains("已反馈2个单位，反馈率66.7%") && xml.contains("青山乡"), "coverage and the missing unit in the document");
    let req = Request::get(format!("/api/v1/campaigns/{id}/report")).header(header::AUTHORIZATION, format!("Bearer {}", h.token("leader").unwrap())).body(Body::empty()).unwrap();
    let (st, _, html) = h.raw(req).await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("矛盾纠纷排查情况报告") && html.contains("涉及38人"), "{html}");
    let (st, _) = h.as_user("leader", Method::GET, &format!("/api/v1/campaigns/{id}/report?format=pdf"), None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // Closing: no more returns.
    let (st, _) = h.as_user("handler", Method::POST, &format!("/api/v1/campaigns/{id}/status"), Some(json!({ "status": "closed" }))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, c) = h.as_user("clerk", Method::POST, &format!("/api/v1/campaigns/{id}/status"), Some(json!({ "status": "closed" }))).await;
    assert_eq!((st, c["status"].as_str()), (StatusCode::OK, Some("closed")), "{c}");
    let (st, err) = ret("handler", json!({ "status": "none", "note": "补报" })).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    let (st, _) = h.as_user("leader", Method::GET, "/api/v1/campaigns/9999", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

async fn duty_console_pages_render_and_accept_forms(b: Backend) {
    let h = harness_with(b, false).await;
    let town = h.org_id("城关镇").await;
    // 零报告: the town office files through the form and sees it in its history.
    let s = session(&h, "town_clerk").await;
    let (st, html) = page(&h, &s, "/console/nil-reports").await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("城关镇报送（每日报送）") && html.contains(r#"href="/console/nil-reports""#), "form and nav");
    let token = csrf(&html);
    let (st, html) = post_form(&h, &s, "/console/nil-reports", &[("csrf", &token), ("status", "found"), ("details", ""), ("date", "2026-03-02")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("有情况时请填写具体情况"), "field error shown");
    let (st, html) = post_form(&h, &s, "/console/nil-reports", &[("csrf", &token), ("status", "found"), ("details", "<script>西村灌溉纠纷"), ("date", "2026-03-02")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("零报告已报送") && html.contains("&#60;script&#62;西村灌溉纠纷") && !html.contains("<script>西村"), "saved and escaped: {html}");
    let (st, _) = post_form(&h, &s, "/console/nil-reports", &[("csrf", "wrong"), ("status", "nil")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "CSRF");
    // The county sees coverage; the settings page is for administrators.
    let leader = session(&h, "leader").await;
    let (_, html) = page(&h, &leader, "/console/nil-reports?date=2026-03-02").await;
    assert!(html.contains(r#"id="nil-coverage""#) && html.contains("西村灌溉纠纷"), "{html}");
    let (st, _) = page(&h, &leader, "/console/nil-reports/settings").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let admin = session(&h, "admin").await;
    let (st, html) = page(&h, &admin, "/console/nil-reports/settings").await;
    assert_eq!(st, StatusCode::OK);
    let token = csrf(&html);
    let office = h.org_id("县信访局").await;
    let (st, html) = post_form(&h, &admin, "/console/nil-reports/settings", &[("csrf", &token), (&format!("unit_{office}"), "none")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("已保存"), "{html}");
    assert!(h.app.nil_report_settings().await.unwrap().iter().any(|u| u.unit.0 == office && u.frequency == redress_app::nil_reports::Frequency::None));
    assert!(html.contains("系统管理员：县信访局 由每周报送改为不报送"), "the change is recorded: {html}");

    // A town office assigns its own villages and communities.
    let (_, html) = page(&h, &s, "/console/campaigns").await;
    let village = h.org_id("东门村").await;
    assert!(html.contains(&format!(r#"name="units" value="{village}""#)) && !html.contains("县公安局"), "town-level units only");
    // 矛盾纠纷排查: the office starts one through the form; the town returns a finding.
    let clerk = session(&h, "clerk").await;
    let (st, html) = page(&h, &clerk, "/console/campaigns").await;
    assert_eq!(st, StatusCode::OK);
    let token = csrf(&html);
    let town_s = town.to_string();
    let (st, html) = post_form(&h, &clerk, "/console/campaigns", &[("csrf", &token), ("title", ""), ("scope", "x"), ("period_from", "2026-03-02"), ("period_to", "2026-03-08"), ("due", "2026-03-09"), ("units", &town_s)]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("请填写排查活动名称") && html.contains(r#"value="2026-03-08""#), "error and the form kept");
    let (st, loc) = post_form(&h, &clerk, "/console/campaigns", &[("csrf", &token), ("title", "三月排查"), ("scope", "邻里纠纷"), ("period_from", "2026-03-02"), ("period_to", "2026-03-08"), ("due", "2026-03-09"), ("units", &town_s)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{loc}");
    assert!(loc.starts_with("/console/campaigns/"));
    let (st, html) = page(&h, &s, &loc).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(r#"id="campaign-return""#), "the town's return form");
    let token = csrf(&html);
    let (st, html) = post_form(&h, &s, &loc, &[("csrf", &token), ("op", "return"), ("status", "found"), ("note", "走访8个村"), ("place", "北村"), ("place_org", ""), ("category", "01"), ("description", "土地流转费用纠纷"), ("people_count", "4"), ("place", ""), ("place_org", ""), ("category", ""), ("description", ""), ("people_count", "1")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("排查反馈已提交") && html.contains("土地流转费用纠纷"), "{html}");
    let (_, html) = page(&h, &clerk, &loc).await;
    assert!(html.contains(r#"name="disposition""#) && html.contains(r#"id="campaign-history""#), "the office disposes and sees the history");
    let token = csrf(&html);
    let (st, html) = post_form(&h, &clerk, &loc, &[("csrf", &token), ("op", "dispose"), ("unit", &town_s), ("no", "1"), ("disposition", "mediation"), ("reference", "")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("已转人民调解"), "{html}");
    // The page's report link works with the console session.
    let (st, report) = page(&h, &clerk, &format!("/api/v1/campaigns/{}/report?format=html", loc.rsplit('/').next().unwrap())).await;
    assert_eq!(st, StatusCode::OK);
    assert!(report.contains("矛盾纠纷排查情况报告") && report.contains("转人民调解1条"), "{report}");
    let (st, html) = post_form(&h, &clerk, &loc, &[("csrf", &token), ("op", "close")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("排查活动已结束"));

    // 考核: the month's ranking with the figures and the weights form for administrators.
    let (st, html) = page(&h, &leader, "/console/scorecards?month=2026-03").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("2026-03 单位考核排名") && html.contains("考核得分 =") && !html.contains(r#"id="weights-form""#));
    let (_, html) = page(&h, &admin, "/console/scorecards?month=2026-03").await;
    assert!(html.contains(r#"id="weights-form""#));
    let token = csrf(&html);
    let (st, html) = post_form(&h, &admin, "/console/scorecards", &[("csrf", &token), ("month", "2026-03"), ("closed_rate", "abc"), ("on_time_rate", "30"), ("satisfied_rate", "30"), ("overdue_penalty", "1")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("权重应为数字"));
    let (st, html) = post_form(&h, &admin, "/console/scorecards", &[("csrf", &token), ("month", "2026-03"), ("closed_rate", "50"), ("on_time_rate", "30"), ("satisfied_rate", "20"), ("overdue_penalty", "2")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("已保存"));
    assert_eq!(h.app.scorecard_weights().await.unwrap().closed_rate, 50.0);
    let (_, html) = page(&h, &leader, "/console/scorecards?month=2026-3x").await;
    assert!(html.contains("月份格式"), "{html}");
    // Without a session: to the login page.
    let st = h.raw(Request::get("/console/campaigns").body(Body::empty()).unwrap()).await.0;
    assert_eq!(st, StatusCode::SEE_OTHER);
}

async fn hotspot_rule_raises_one_warning_per_emerging_category_or_town(b: Backend) {
    let h = harness_with(b, false).await;
    let county = h.org_id("示范县").await;
    let rule = json!([{ "id": "hotspot-7d", "name": "类别或乡镇7日突增", "kind": { "hotspot": { "history_windows": 4 } }, "level": "yellow", "recipient": county, "threshold": 3, "window_days": 7 }]);
    let (st, body) = h.as_user("admin", Method::PUT, "/api/v1/warning-rules", Some(rule)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // Four matters about 01.02 in 城关镇 within a few days, none before: a spike of the category and the town.
    for _ in 0..4 {
        h.register().await;
        h.clock.advance(Duration::hours(20));
    }
    let (st, scan) = h.as_user("admin", Method::POST, "/api/v1/warnings/scan", None).await;
    assert_eq!(st, StatusCode::OK, "{scan}");
    assert_eq!(scan["raised"], 2, "one for the category, one for the town: {scan}");
    let (_, list) = h.as_user("leader", Method::GET, "/api/v1/warnings", None).await;
    let keys: Vec<String> = list["items"].as_array().unwrap().iter().map(|w| w["key"].as_str().unwrap().to_string()).collect();
    let town = h.org_id("城关镇").await;
    assert!(keys.contains(&"hotspot:cat:01.02".to_string()) && keys.contains(&format!("hotspot:town:{town}")), "{keys:?}");
    let w = &list["items"][0];
    assert_eq!(w["cases"].as_array().unwrap().len(), 4);
    assert!(w["detail"].as_str().unwrap().contains("泊松检验"), "the detector's explanation: {w}");
    // Idempotent: scanning again raises nothing new.
    let (_, scan) = h.as_user("admin", Method::POST, "/api/v1/warnings/scan", None).await;
    assert_eq!((scan["raised"].as_i64(), scan["updated"].as_i64()), (Some(0), Some(0)), "{scan}");
}

async fn demo_data_has_a_week_of_nil_reports_and_a_campaign(b: Backend) {
    let h = harness_with(b, false).await;
    h.app.seed_duties_demo(1).await.unwrap();
    let (_, hist) = h.as_user("leader", Method::GET, "/api/v1/nil-reports/history?from=2026-02-16&to=2026-03-02", None).await;
    let items = hist["items"].as_array().unwrap();
    assert!(items.len() > 30, "a week of reports: {}", items.len());
    assert!(items.iter().any(|r| r["late"] == true) && items.iter().any(|r| r["status"] == "found"));
    let (_, missing) = h.as_user("leader", Method::GET, "/api/v1/nil-reports/missing", None).await;
    let n = missing["items"].as_array().unwrap().len();
    assert!((1..10).contains(&n), "a few missing: {missing}");
    let (_, list) = h.as_user("leader", Method::GET, "/api/v1/campaigns", None).await;
    let id = list["items"][0]["id"].as_i64().expect("a campaign");
    let (_, v) = h.as_user("leader", Method::GET, &format!("/api/v1/campaigns/{id}"), None).await;
    assert!(v["report"]["findings"].as_i64().unwrap() >= 3 && v["report"]["returned"].as_i64() < v["report"]["assigned"].as_i64(), "{}", v["report"]);
    assert!(v["report"]["by_disposition"].as_array().unwrap().iter().any(|d| d[0] == "转人民调解"));
}

async fn annual_report_has_the_content_the_regulation_names(b: Backend) {
    let h = harness_with(b, false).await;
    let housing = h.org_id("县住房和城乡建设局").await;
    let place = h.org_id("幸福社区").await;
    let forwarded = h.register().await["id"].as_i64().unwrap();
    let _waiting = h.register().await["id"].as_i64().unwrap();
    let (st, sug) = h.as_user("clerk", Method::POST, "/api/v1/cases", Some(json!({ "channel": "letter", "matter_type": "suggestion", "category": "01.02", "subject": "建议老旧小区加装电梯", "content": "建议对幸福社区老旧小区统一加装电梯。", "location": { "address": "幸福路", "org": place } }))).await;
    assert_eq!(st, StatusCode::CREATED, "{sug}");
    let sug = sug["id"].as_i64().unwrap();
    for (id, mode) in [(forwarded, "forward"), (sug, "assign")] {
        h.act_ok("clerk", id, json!({ "action": "accept" })).await;
        h.act_ok("clerk", id, json!({ "action": "route", "unit": housing, "mode": mode, "note": "请办理", "assign_days": 30 })).await;
    }
    h.act_ok("supervisor", forwarded, json!({ "action": "supervise", "due": "2026-03-20", "note": "请加快办理" })).await;
    // A claim cannot be "adopted"; the suggestion can, once answered.
    let (st, err) = h.act("head", forwarded, json!({ "action": "adopt_suggestion", "note": "x" })).await;
    assert!(st == StatusCode::UNPROCESSABLE_ENTITY || st == StatusCode::CONFLICT, "{st} {err}");
    h.act_ok("handler", sug, json!({ "action": "start_handling" })).await;
    h.act_ok("handler", sug, json!({ "action": "submit_reply", "decision": "support", "facts": "经调查", "opinion": "纳入2026年老旧小区改造计划", "legal_basis": "《城镇老旧小区改造工作方案》" })).await;
    h.act_ok("head", sug, json!({ "action": "approve_reply" })).await;
    let (st, err) = h.act("head", sug, json!({ "action": "adopt_suggestion", "note": " " })).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")), "{err}");
    h.act_ok("head", sug, json!({ "action": "adopt_suggestion", "note": "纳入老旧小区改造计划，年内完成加装" })).await;
    let (st, _) = h.act("head", sug, json!({ "action": "adopt_suggestion", "note": "再次" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "adopted once");

    // In January 2027 the default is the year 2026.
    h.clock.advance(Duration::days(310));
    let (st, r) = h.as_user("leader", Method::GET, "/api/v1/reports/annual?format=json", None).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let f = &r["facts"];
    assert_eq!(f["year"], 2026);
    assert_eq!((f["received"].as_i64(), f["forwarded"].as_i64(), f["assigned"].as_i64()), (Some(3), Some(1), Some(1)), "{f}");
    assert_eq!((f["supervised_cases"].as_i64(), f["supervisions"].as_i64()), (Some(1), Some(1)));
    assert_eq!((f["suggestions"].as_i64(), f["suggestions_adopted"].as_i64()), (Some(1), Some(1)));
    assert_eq!(f["units"][0], json!(["县住房和城乡建设局", 2]), "the body complained about most");
    assert_eq!(f["fields"][0], json!(["城乡建设", 3]), "fields as top-level categories");
    let text: String = r["document"]["blocks"].as_array().unwrap().iter().map(|b| format!("{}{}{}", b["text"].as_str().unwrap_or(""), b["label"].as_str().unwrap_or(""), b["value"].as_str().unwrap_or(""))).collect();
    assert_eq!(r["document"]["title"], "2026年度信访工作情况报告");
    for needle in ["2026年，全县共登记信访事项3件", "信访事项主要涉及：城乡建设（3件，占100%）", "县住房和城乡建设局（2件，占66.7%）", "转送（转办）1件、交办1件；1件事项被督办，共发出督办1次", "本年度登记建议意见类事项1件，已采纳1件，采纳率100%", "纳入老旧小区改造计划，年内完成加装"] {
        assert!(text.contains(needle), "{needle} missing from: {text}");
    }
    let req = Request::get("/api/v1/reports/annual?year=2026&format=docx").header(header::AUTHORIZATION, format!("Bearer {}", h.token("leader").unwrap())).body(Body::empty()).unwrap();
    let (st, headers, docx) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("annual-report-2026.docx"));
    assert!(String::from_utf8_lossy(&docx).contains("建议意见采纳情况"));
    let (st, err) = h.as_user("leader", Method::GET, "/api/v1/reports/annual?year=1999", None).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("year")));
    let s = session(&h, "leader").await;
    let (st, html) = page(&h, &s, "/console/reports/annual?year=2026").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("2026年度信访工作情况报告") && html.contains("被反映较多的单位"));
    let (_, dash) = page(&h, &s, "/console/dashboard").await;
    assert!(dash.contains(r#"action="/console/reports/annual""#), "the dashboard's form");
    // The scorecard page ranks the housing bureau with the figures behind its score, each count linking to its cases.
    let (_, card) = page(&h, &s, "/console/scorecards?month=2026-03").await;
    assert!(card.contains("县住房和城乡建设局"), "{card}");
    assert!(card.contains(&format!(r#"href="/console/dashboard/cases?from=2026-03&amp;to=2026-03&amp;unit={housing}">2</a>"#)), "{card}");
    assert!(card.contains(&format!("unit={housing}&amp;figure=overdue")), "an overdue count links to its cases: {card}");
}

/// Checks a .docx's chart parts with Python's zipfile and ElementTree: every chart the document
/// places has a relationship of the chart type, a part with the chart content type, one plot
/// whose axes exist, and series whose category and value caches agree. Prints the plot kinds.
const DOCX_CHART_CHECK: &str = r#"
import io, sys, zipfile, xml.etree.ElementTree as ET
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ns = {"c": C}
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert z.testzip() is None
names = set(z.namelist())
for n in names:
    if n.endswith(".xml") or n.endswith(".rels"):
        ET.fromstring(z.read(n))  # well-formed
ct = ET.fromstring(z.read("[Content_Types].xml"))
overrides = {o.get("PartName"): o.get("ContentType") for o in ct if o.tag.endswith("Override")}
rels = {r.get("Id"): r for r in ET.fromstring(z.read("word/_rels/document.xml.rels"))}
doc = ET.fromstring(z.read("word/document.xml"))
refs = [e.get("{%s}id" % R) for e in doc.iter("{%s}chart" % C)]
assert refs, "no chart placed"
assert len(set(refs)) == len(refs)
kinds = []
for rid in refs:
    rel = rels[rid]
    assert rel.get("Type") == R + "/chart", rel.get("Type")
    part = "word/" + rel.get("Target")
    assert part in names, part
    assert overrides["/" + part] == "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
    space = ET.fromstring(z.read(part))
    assert space.tag == "{%s}chartSpace" % C
    plot = space.find("c:chart/c:plotArea", ns)
    plots = [ch for ch in plot if ch.tag.endswith("Chart")]
    assert len(plots) == 1
    p = plots[0]
    axes = {a.get("val") for a in p.findall("c:axId", ns)}
    defined = {a.find("c:axId", ns).get("val") for a in plot if a.tag.endswith("Ax")}
    assert axes == defined and len(axes) == 2, (axes, defined)
    sers = p.findall("c:ser", ns)
    assert sers
    for s in sers:
        cats = s.find("c:cat/c:strRef/c:strCache", ns)
        vals = s.find("c:val/c:numRef/c:numCache", ns)
        n = int(cats.find("c:ptCount", ns).get("val"))
        assert n == len(cats.findall("c:pt", ns)) == len(vals.findall("c:pt", ns)) == int(vals.find("c:ptCount", ns).get("val")) > 0
        for v in vals.findall("c:pt/c:v", ns):
            float(v.text)
    kinds.append(p.tag.split("}")[1] + ":" + str(len(sers)))
print(" ".join(kinds))
"#;

fn python(script: &str, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn monthly_report_has_charts_in_html_and_native_docx_charts(b: Backend) {
    let h = harness_with(b, false).await;
    for _ in 0..3 {
        h.register().await;
    }
    h.clock.advance(Duration::days(31));
    h.register().await;
    h.clock.advance(Duration::days(31));
    let auth = format!("Bearer {}", h.token("leader").unwrap());
    // HTML: a place for each chart, its figures in a table, the data in a JSON block, ECharts and
    // the drawing script from this server, no inline script.
    let req = Request::get("/api/v1/reports/monthly?month=2026-04").header(header::AUTHORIZATION, &auth).body(Body::empty()).unwrap();
    let (st, headers, html) = h.raw(req).await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(st, StatusCode::OK);
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"));
    assert!(html.contains(r#"id="report-chart-0""#) && html.contains(r#"id="report-chart-1""#), "{html}");
    for tag in html.split("<script").skip(1) {
        let open = &tag[..tag.find('>').unwrap()];
        assert!(open.contains("src=\"/assets/") || open.contains(r#"type="application/json""#), "inline script: {open}");
    }
    let start = html.find(r#"id="report-charts">"#).unwrap() + r#"id="report-charts">"#.len();
    let data: Value = serde_json::from_str(&html[start..start + html[start..].find("</script>").unwrap()]).unwrap();
    assert_eq!(data[0]["kind"], "line");
    assert_eq!(data[0]["categories"].as_array().unwrap().len(), 12, "twelve months");
    let received: Vec<i64> = data[0]["series"][0]["values"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(&received[10..], &[3, 1], "March 3, April 1: {received:?}");
    assert_eq!(data[1]["kind"], "bar");
    assert_eq!(data[1]["series"][0]["values"], json!([1]), "April's category");
    assert_eq!(data[1]["series"][1]["values"], json!([3]), "against March");
    assert!(html.contains("<td>城乡建设/物业管理</td><td>1</td><td>3</td>"), "the table beneath");
    let (st, _, js) = h.raw(Request::get("/assets/report-charts.js").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8_lossy(&js).contains("report-charts"));

    // DOCX: two native chart parts, structurally valid.
    let req = Request::get("/api/v1/reports/monthly?month=2026-04&format=docx").header(header::AUTHORIZATION, &auth).body(Body::empty()).unwrap();
    let (st, _, docx) = h.raw(req).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(python(DOCX_CHART_CHECK, &docx).trim(), "lineChart:2 barChart:2");
    let xml = String::from_utf8_lossy(&docx);
    assert!(xml.contains("word/charts/chart1.xml") && xml.contains("word/charts/chart2.xml"));

    // LibreOffice, when installed, reads both charts (as chart objects of the right class) and
    // prints the document to PDF.
    let soffice = ["soffice", "libreoffice"].into_iter().find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(soffice) = soffice else {
        eprintln!("LibreOffice not installed: DOCX charts checked structurally only");
        return;
    };
    if let Ok(keep) = std::env::var("REDRESS_KEEP_REPORT_DOCX") {
        std::fs::write(keep, &docx).unwrap(); // to look at by hand
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.docx");
    std::fs::write(&path, &docx).unwrap();
    let profile = format!("-env:UserInstallation=file://{}/profile", dir.path().display());
    for target in ["odt", "pdf"] {
        let out = std::process::Command::new(soffice)
            .args([profile.as_str(), "--headless", "--convert-to", target, "--outdir"])
            .arg(dir.path())
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let converted = dir.path().join(format!("report.{target}"));
        assert!(std::fs::metadata(&converted).is_ok_and(|m| m.len() > 1000), "{target} written: {}", String::from_utf8_lossy(&out.stdout));
    }
    let odt = std::fs::read(dir.path().join("report.odt")).unwrap();
    let classes = python(
        r#"
import io, re, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
found = []
for n in sorted(z.namelist()):
    if n.startswith("Object") and n.endswith("/content.xml"):
        x = z.read(n).decode()
        kind = re.search(r'<chart:chart\b[^>]*?chart:class="chart:(\w+)"', x).group(1)
        values = sorted(set(re.findall(r'office:value="(\d+)"', x)))
        found.append(kind + ":" + ",".join(values))
print(" ".join(found))
"#,
        &odt,
    );
    let mut classes: Vec<&str> = classes.split_whitespace().collect();
    classes.sort();
    assert_eq!(classes, ["bar:1,3", "line:0,1,3"], "LibreOffice imported both charts with their values");
}
