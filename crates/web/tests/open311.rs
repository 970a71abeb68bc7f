//! Open311 GeoReport v2 end to end, on both backends: discovery, services and their
//! definitions in JSON and (parsed) XML, submission with and without a valid key, the spec's
//! error format, reading requests one by one and with filters, the status mapping as a case is
//! handled, and nothing personal in any answer.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use common::{harness, Backend, H};
use serde_json::{json, Value};

on_both_backends!(
    discovery_points_at_the_v2_endpoint_in_both_formats,
    services_and_definitions_in_json_and_xml,
    submitting_needs_an_open311_key_and_keys_do_not_cross_apis,
    bad_submissions_answer_in_the_spec_error_format,
    requests_are_read_one_by_one_and_with_filters,
    status_follows_the_case_through_handling,
    nothing_personal_appears_in_any_answer,
    accusations_are_shown_only_to_the_client_that_sent_them,
);

async fn get(h: &H, path: &str) -> (StatusCode, String, String) {
    let (st, headers, bytes) = h.raw(Request::get(path).header(header::HOST, "redress.example").body(Body::empty()).unwrap()).await;
    let ctype = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (st, ctype, String::from_utf8(bytes).expect("UTF-8 answer"))
}

async fn get_json(h: &H, path: &str) -> (StatusCode, Value) {
    let (st, ctype, body) = get(h, path).await;
    assert!(ctype.starts_with("application/json"), "{path}: {ctype}");
    (st, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {body}")))
}

/// Fetches an XML answer, checks that it is well-formed and has the expected root element.
async fn get_xml(h: &H, path: &str, root: &str) -> (StatusCode, String) {
    let (st, ctype, body) = get(h, path).await;
    assert!(ctype.starts_with("text/xml"), "{path}: {ctype}");
    let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{path} is not well-formed XML ({e}):\n{body}"));
    assert_eq!(doc.root_element().tag_name().name(), root, "{body}");
    (st, body)
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

async fn post(h: &H, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(form_body(fields))).unwrap();
    let (st, _, bytes) = h.raw(req).await;
    (st, String::from_utf8(bytes).unwrap())
}

async fn post_json(h: &H, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let (st, body) = post(h, "/open311/v2/requests.json", fields).await;
    (st, serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}")))
}

async fn key(h: &H, name: &str) -> String {
    h.app.add_open311_key(name).await.unwrap()
}

/// Submits a request about a street light and returns its id. `extra` comes first, so its
/// values win (the first value of a parameter counts).
async fn submit(h: &H, key: &str, extra: &[(&str, &str)]) -> String {
    let mut fields = extra.to_vec();
    fields.extend([("api_key", key), ("service_code", "01.05"), ("description", "幸福路路灯不亮已经一周，夜间行人看不清路。"), ("address_string", "城关镇幸福社区")]);
    let (st, body) = post_json(h, &fields).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    body[0]["service_request_id"].as_str().unwrap_or_else(|| panic!("no id: {body}")).to_string()
}

fn assert_error(body: &Value, code: u16, mentions: &str) {
    let e = &body.as_array().unwrap_or_else(|| panic!("errors are a list: {body}"))[0];
    assert_eq!(e["code"], code, "{body}");
    let d = e["description"].as_str().unwrap();
    assert!(d.contains(mentions), "“{d}” should mention “{mentions}”");
}

async fn discovery_points_at_the_v2_endpoint_in_both_formats(b: Backend) {
    let h = harness(b).await;
    let (st, d) = get_json(&h, "/open311/discovery.json").await;
    assert_eq!(st, StatusCode::OK);
    let e = &d["endpoints"][0];
    assert_eq!(e["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(e["url"], "http://redress.example/open311/v2");
    assert_eq!(e["type"], "production");
    assert_eq!(e["formats"], json!(["application/json", "text/xml"]));
    assert!(d["changeset"].as_str().unwrap().ends_with("+08:00"));
    assert!(d["contact"].as_str().unwrap().contains("示范县"));
    assert!(d["key_service"].as_str().unwrap().contains("redress open311 key add"));

    let (st, xml) = get_xml(&h, "/open311/discovery.xml", "discovery").await;
    assert_eq!(st, StatusCode::OK);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let formats: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("format")).filter_map(|n| n.text()).collect();
    assert_eq!(formats, ["application/json", "text/xml"]);
    assert_eq!(get(&h, "/open311/nothing.json").await.0, StatusCode::NOT_FOUND);
}

async fn services_and_definitions_in_json_and_xml(b: Backend) {
    let h = harness(b).await;
    let (st, list) = get_json(&h, "/open311/v2/services.json").await;
    assert_eq!(st, StatusCode::OK);
    let list = list.as_array().unwrap();
    let taxonomy = redress_domain::taxonomy::Taxonomy::default();
    assert_eq!(list.len(), taxonomy.categories.iter().map(|c| c.children.len()).sum::<usize>());
    let lift = list.iter().find(|s| s["service_code"] == "01.02").expect("物业管理 is a service");
    assert_eq!(lift["service_name"], "物业管理");
    assert_eq!(lift["group"], "城乡建设");
    assert_eq!(lift["metadata"], true);
    assert_eq!(lift["type"], "realtime");
    assert!(lift["keywords"].as_str().unwrap().contains("物业管理"));

    let (st, xml) = get_xml(&h, "/open311/v2/services.xml", "services").await;
    assert_eq!(st, StatusCode::OK);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let services: Vec<_> = doc.root_element().children().filter(|n| n.has_tag_name("service")).collect();
    assert_eq!(services.len(), list.len());
    let text = |n: roxmltree::Node, tag: &str| n.children().find(|c| c.has_tag_name(tag)).and_then(|c| c.text()).map(str::to_string);
    let x = services.iter().find(|n| text(**n, "service_code").as_deref() == Some("01.02")).unwrap();
    assert_eq!(text(*x, "group").as_deref(), Some("城乡建设"));
    assert_eq!(text(*x, "metadata").as_deref(), Some("true"));

    let (st, def) = get_json(&h, "/open311/v2/services/01.02.json").await;
    assert_eq!(st, StatusCode::OK, "{def}");
    assert_eq!(def["service_code"], "01.02");
    let attrs = def["attributes"].as_array().unwrap();
    let mt = attrs.iter().find(|a| a["code"] == "matter_type").unwrap();
    assert_eq!(mt["datatype"], "singlevaluelist");
    assert_eq!(mt["variable"], true);
    let names: Vec<&str> = mt["values"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["申诉求决", "建议意见", "检举控告", "咨询"]);
    assert_eq!(attrs.iter().find(|a| a["code"] == "people_count").unwrap()["datatype"], "number");

    let (st, xml) = get_xml(&h, "/open311/v2/services/01.02.xml", "service_definition").await;
    assert_eq!(st, StatusCode::OK);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let keys: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("value")).filter_map(|v| v.children().find(|c| c.has_tag_name("key")).and_then(|k| k.text())).collect();
    assert_eq!(keys, ["claim", "suggestion", "accusation", "consultation"]);

    let (st, err) = get_json(&h, "/open311/v2/services/99.99.json").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_error(&err, 404, "99.99");
    let (st, xml) = get_xml(&h, "/open311/v2/services/99.99.xml", "errors").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(xml.contains("<code>404</code>"), "{xml}");
    assert_eq!(get(&h, "/open311/v2/services.html").await.0, StatusCode::NOT_FOUND);
}

async fn submitting_needs_an_open311_key_and_keys_do_not_cross_apis(b: Backend) {
    let h = harness(b).await;
    let fields = [("service_code", "01.05"), ("description", "路灯不亮"), ("address_string", "城关镇")];

    let (st, body) = post_json(&h, &fields).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_error(&body, 403, "api_key");
    let with = |k: &'static str| [("api_key", k), fields[0], fields[1], fields[2]];
    let (st, body) = post_json(&h, &with("not-a-key")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_error(&body, 403, "api_key");

    // A staff token is not an Open311 key ...
    let staff: &'static str = Box::leak(h.token("clerk").unwrap().to_string().into_boxed_str());
    let (st, body) = post_json(&h, &with(staff)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    // ... and an Open311 key opens nothing in the staff API.
    let k = key(&h, "市民随手拍").await;
    let (st, _) = h.call(Method::GET, "/api/v1/cases", Some(&k), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    let k: &'static str = Box::leak(k.into_boxed_str());
    let (st, body) = post_json(&h, &with(k)).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let id = body[0]["service_request_id"].as_str().unwrap();
    assert!(body[0]["service_notice"].as_str().unwrap().contains(id));
    assert!(body[0]["account_id"].is_null());
    // The id is our tracking code: the portal's lookup finds the same case.
    let (st, public) = h.call(Method::GET, &format!("/api/v1/public/lookup/{id}"), None, None).await;
    assert_eq!(st, StatusCode::OK, "{public}");
    assert_eq!(public["channel_label"], "网上信访");

    // XML answers the same way.
    let (st, xml) = post(&h, "/open311/v2/requests.xml", &with(k)).await;
    assert_eq!(st, StatusCode::CREATED, "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "service_requests");
    assert!(doc.descendants().any(|n| n.has_tag_name("service_request_id") && n.text().is_some_and(|t| t.len() == 14)), "{xml}");

    // A second key with the same name is refused while the first is valid; a revoked key stops working.
    assert!(h.app.add_open311_key("市民随手拍").await.is_err());
    h.app.revoke_open311_key("市民随手拍").await.unwrap();
    let (st, body) = post_json(&h, &with(k)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
}

async fn bad_submissions_answer_in_the_spec_error_format(b: Backend) {
    let h = harness(b).await;
    let k = key(&h, "测试客户端").await;
    let base = [("api_key", k.as_str()), ("service_code", "01.05"), ("description", "路灯不亮"), ("address_string", "城关镇")];
    let without = |name: &str| base.iter().copied().filter(|(k, _)| *k != name).collect::<Vec<_>>();
    let with = |extra: &[(&'static str, &'static str)]| base.iter().copied().chain(extra.iter().copied()).collect::<Vec<_>>();

    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (without("service_code"), 400, "service_code"),
        (without("description"), 400, "description"),
        (without("address_string"), 400, "address_string"),
        (with(&[("lat", "28.2")]), 400, "long"),
        (with(&[("lat", "north"), ("long", "112.9")]), 400, "lat"),
        (with(&[("lat", "95"), ("long", "112.9")]), 400, "坐标超出范围"),
        (with(&[("phone", "12ab")]), 400, "phone"),
        (with(&[("attribute[matter_type]", "lottery")]), 400, "attribute[matter_type]"),
        (with(&[("attribute[people_count]", "0")]), 400, "attribute[people_count]"),
        (with(&[("attribute[colour]", "red")]), 400, "colour"),
        (with(&[("address_id", "999999")]), 400, "address_id"),
        (with(&[("media_url", "file:///etc/passwd")]), 400, "media_url"),
    ];
    for (fields, code, mentions) in cases {
        let (st, body) = post_json(&h, &fields).await;
        assert_eq!(st.as_u16(), code, "{fields:?}: {body}");
        assert_error(&body, code, mentions);
    }
    let mut unknown = without("service_code");
    unknown.push(("service_code", "99.99"));
    let (st, body) = post_json(&h, &unknown).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_error(&body, 404, "service_code");

    let (st, xml) = post(&h, "/open311/v2/requests.xml", &without("description")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "errors");
    assert!(doc.descendants().any(|n| n.has_tag_name("description") && n.text().is_some_and(|t| t.contains("description"))), "{xml}");

    // A JSON body is not the spec's form encoding.
    let req = Request::post("/open311/v2/requests.json").header(header::CONTENT_TYPE, "application/json").body(Body::from("{}")).unwrap();
    let (st, _, bytes) = h.raw(req).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&serde_json::from_slice(&bytes).unwrap(), 400, "x-www-form-urlencoded");
    // Nothing was registered by any of these.
    let (_, list) = get_json(&h, "/open311/v2/requests.json").await;
    assert_eq!(list, json!([]));
}

async fn requests_are_read_one_by_one_and_with_filters(b: Backend) {
    let h = harness(b).await;
    let k = key(&h, "测试客户端").await;
    let lamp = submit(&h, &k, &[]).await;
    h.clock.advance(Duration::days(1));
    let bin = submit(&h, &k, &[("service_code", "05.01"), ("attribute[matter_type]", "suggestion")]).await;
    h.clock.advance(Duration::hours(1));

    let (st, one) = get_json(&h, &format!("/open311/v2/requests/{lamp}.json")).await;
    assert_eq!(st, StatusCode::OK, "{one}");
    let r = &one[0];
    assert_eq!(r["service_request_id"], lamp.as_str());
    assert_eq!(r["service_code"], "01.05");
    assert_eq!(r["status"], "open");
    assert_eq!(r["status_notes"], "待受理");
    assert_eq!(r["agency_responsible"], "县信访局");
    assert_eq!(r["address"], "城关镇幸福社区");
    assert_eq!(r["requested_datetime"], "2026-03-02T09:00:00+08:00");
    assert!(r["expected_datetime"].as_str().unwrap().ends_with("+08:00"), "{r}");
    // Dashes are optional and letters are case-insensitive in the id.
    let bare = lamp.replace('-', "").to_lowercase();
    assert_eq!(get_json(&h, &format!("/open311/v2/requests/{bare}.json")).await.1[0]["service_request_id"], lamp.as_str());

    let (st, xml) = get_xml(&h, &format!("/open311/v2/requests/{lamp}.xml"), "service_requests").await;
    assert_eq!(st, StatusCode::OK);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let req = doc.root_element().children().find(|n| n.has_tag_name("request")).unwrap();
    assert_eq!(req.children().find(|n| n.has_tag_name("status")).unwrap().text(), Some("open"));

    let ids = |v: &Value| v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let (_, all) = get_json(&h, "/open311/v2/requests.json").await;
    assert_eq!(ids(&all), [bin.clone(), lamp.clone()], "newest first");
    let (_, both) = get_json(&h, &format!("/open311/v2/requests.json?service_request_id={lamp},{bin},AAAA-BBBB-CCCC")).await;
    assert_eq!(ids(&both), [lamp.clone(), bin.clone()]);
    let (_, by_code) = get_json(&h, "/open311/v2/requests.json?service_code=05.01").await;
    assert_eq!(ids(&by_code), std::slice::from_ref(&bin));
    let (_, by_codes) = get_json(&h, "/open311/v2/requests.json?service_code=05.01,01.05").await;
    assert_eq!(by_codes.as_array().unwrap().len(), 2);
    let (_, closed) = get_json(&h, "/open311/v2/requests.json?status=closed").await;
    assert_eq!(closed, json!([]));
    let (_, open) = get_json(&h, "/open311/v2/requests.json?status=open").await;
    assert_eq!(open.as_array().unwrap().len(), 2);
    let (_, window) = get_json(&h, "/open311/v2/requests.json?start_date=2026-03-03T00:00:00%2B08:00&end_date=2026-03-04").await;
    assert_eq!(ids(&window), std::slice::from_ref(&bin));
    let (_, before) = get_json(&h, "/open311/v2/requests.json?end_date=2026-03-02T12:00:00Z").await;
    assert_eq!(ids(&before), std::slice::from_ref(&lamp));
    let (_, xml) = get_xml(&h, "/open311/v2/requests.xml?status=open", "service_requests").await;
    assert_eq!(roxmltree::Document::parse(&xml).unwrap().root_element().children().filter(|n| n.has_tag_name("request")).count(), 2);

    // Refusals: too long a window, a bad date, a bad status, an unknown id.
    let (st, e) = get_json(&h, "/open311/v2/requests.json?start_date=2025-01-01&end_date=2026-03-01").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&e, 400, "90");
    let (st, e) = get_json(&h, "/open311/v2/requests.json?start_date=yesterday").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&e, 400, "start_date");
    let (st, e) = get_json(&h, "/open311/v2/requests.json?status=pending").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&e, 400, "status");
    let (st, e) = get_json(&h, "/open311/v2/requests/AAAA-BBBB-CCCC.json").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_error(&e, 404, "service_request_id");
    let (st, _) = get_xml(&h, "/open311/v2/requests/nothing.xml", "errors").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Tokens map to the request id (we answer POST with the id at once).
    let (st, t) = get_json(&h, &format!("/open311/v2/tokens/{lamp}.json")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(t, json!([{ "service_request_id": lamp, "token": lamp }]));
    assert_eq!(get_json(&h, "/open311/v2/tokens/unknown.json").await.0, StatusCode::NOT_FOUND);

    // The default window is the last 90 days.
    h.clock.advance(Duration::days(91));
    let (_, later) = get_json(&h, "/open311/v2/requests.json").await;
    assert_eq!(later, json!([]));
}

async fn status_follows_the_case_through_handling(b: Backend) {
    let h = harness(b).await;
    let k = key(&h, "测试客户端").await;
    let code = submit(&h, &k, &[("service_code", "01.02")]).await;
    let case = h.app.store.get_case_by_code(&redress_domain::TrackingCode::parse(&code).unwrap()).await.unwrap().unwrap();
    assert_eq!(case.matter.category.as_deref(), Some("01.02"));
    let id = case.id.0;
    let one = || async { get_json(&h, &format!("/open311/v2/requests/{code}.json")).await.1[0].clone() };

    h.act_ok("clerk", id, json!({ "action": "accept" })).await;
    let r = one().await;
    assert_eq!((r["status"].as_str(), r["status_notes"].as_str()), (Some("open"), Some("已受理待转交")));
    let accepted_deadline = r["expected_datetime"].as_str().unwrap().to_string();

    let unit = h.org_id("县住房和城乡建设局").await;
    h.act_ok("clerk", id, json!({ "action": "route", "unit": unit, "mode": "forward", "note": "请按期办理" })).await;
    let r = one().await;
    assert_eq!((r["status"].as_str(), r["status_notes"].as_str()), (Some("open"), Some("已转交待签收")));
    assert_eq!(r["agency_responsible"], "县住房和城乡建设局");
    assert_eq!(r["expected_datetime"], accepted_deadline.as_str(), "the 60-day handling deadline runs from acceptance");

    h.clock.advance(Duration::days(3));
    h.act_ok("handler", id, json!({ "action": "start_handling" })).await;
    assert_eq!(one().await["status_notes"], "办理中");
    h.act_ok("handler", id, json!({ "action": "submit_reply", "decision": "support", "facts": "经核实，路灯线路老化。", "opinion": "三日内更换。", "legal_basis": "《城市照明管理规定》" })).await;
    assert_eq!(one().await["status"], "open");
    h.act_ok("head", id, json!({ "action": "approve_reply" })).await;
    let r = one().await;
    assert_eq!(r["status"], "closed");
    assert_eq!(r["status_notes"], "已答复；处理意见：支持");
    assert!(r["expected_datetime"].is_null(), "{r}");
    assert!(r["updated_datetime"].as_str().unwrap().starts_with("2026-03-05T"), "{r}");

    h.act_ok("clerk", id, json!({ "action": "follow_up", "satisfaction": "satisfied", "note": "电话回访" })).await;
    h.act_ok("clerk", id, json!({ "action": "close" })).await;
    let r = one().await;
    assert_eq!((r["status"].as_str(), r["status_notes"].as_str()), (Some("closed"), Some("已办结；处理意见：支持")));
    let (_, closed) = get_json(&h, "/open311/v2/requests.json?status=closed").await;
    assert_eq!(closed.as_array().unwrap().len(), 1);
    let (_, open) = get_json(&h, "/open311/v2/requests.json?status=open").await;
    assert_eq!(open, json!([]));
}

async fn nothing_personal_appears_in_any_answer(b: Backend) {
    let h = harness(b).await;
    let k = key(&h, "测试客户端").await;
    let code = submit(
        &h,
        &k,
        &[
            ("first_name", "秀英"),
            ("last_name", "欧阳"),
            ("phone", "13987654321"),
            ("email", "ouyang@example.com"),
            ("lat", "28.123456"),
            ("long", "112.654321"),
            ("media_url", "https://img.example/lamp.jpg"),
        ],
    )
    .await;
    // A letter registered by a clerk, with a named petitioner and a street address.
    let letter = h.register().await;
    let letter_code = letter["tracking_code"].as_str().unwrap().to_string();

    // Staff see the submission as a web petition from the client, with the petitioner masked.
    let id = h.app.store.get_case_by_code(&redress_domain::TrackingCode::parse(&code).unwrap()).await.unwrap().unwrap().id.0;
    let (_, staff) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
    assert_eq!(staff["channel_label"], "网上信访");
    assert_eq!(staff["case"]["matter"]["channel_details"]["external_ref"], "Open311:测试客户端");
    assert_eq!(staff["petitioner_masked"]["name"], "欧***");
    assert_eq!(staff["case"]["anonymous"], false);

    let secrets = ["秀英", "欧阳", "13987654321", "7654321", "ouyang", "28.123456", "112.654321", "王建国", "13912345678", "幸福路8号", "img.example"];
    let free_text = ["路灯不亮", "小区电梯停运", "电梯停运三个月"];
    let mut answers = vec![];
    for path in [
        "/open311/v2/requests.json".to_string(),
        "/open311/v2/requests.xml".to_string(),
        format!("/open311/v2/requests/{code}.json"),
        format!("/open311/v2/requests/{code}.xml"),
        format!("/open311/v2/requests/{letter_code}.json"),
        format!("/open311/v2/requests.json?service_request_id={code},{letter_code}"),
        format!("/open311/v2/tokens/{code}.json"),
    ] {
        let (st, _, body) = get(&h, &path).await;
        assert_eq!(st, StatusCode::OK, "{path}: {body}");
        answers.push((path, body));
    }
    for (path, body) in &answers {
        for s in secrets.iter().chain(&free_text) {
            assert!(!body.contains(s), "{path} shows “{s}”:\n{body}");
        }
    }
    let (_, list) = get_json(&h, "/open311/v2/requests.json").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let letter_view = list.as_array().unwrap().iter().find(|r| r["service_request_id"] == letter_code.as_str()).unwrap();
    assert_eq!(letter_view["address"], "城关镇幸福社区", "only the organisation, never the street address");
    assert!(letter_view.get("description").is_none());

    // The client that sent the request gets its description and media link back, still
    // without the person.
    let (st, own) = get_json(&h, &format!("/open311/v2/requests/{code}.json?api_key={k}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(own[0]["description"], "幸福路路灯不亮已经一周，夜间行人看不清路。");
    assert_eq!(own[0]["media_url"], "https://img.example/lamp.jpg");
    let text = own.to_string();
    for s in &secrets[..7] {
        assert!(!text.contains(s), "shows “{s}”: {text}");
    }
    // Another client does not, and the letter's text stays hidden from everyone.
    let other = key(&h, "别的客户端").await;
    let (_, theirs) = get_json(&h, &format!("/open311/v2/requests.json?api_key={other}")).await;
    assert!(theirs.as_array().unwrap().iter().all(|r| r.get("description").is_none()), "{theirs}");
    let (_, mine) = get_json(&h, &format!("/open311/v2/requests.json?api_key={k}")).await;
    assert!(!mine.to_string().contains("电梯"), "{mine}");
    let (st, e) = get_json(&h, "/open311/v2/requests.json?api_key=wrong").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_error(&e, 403, "api_key");
}

async fn accusations_are_shown_only_to_the_client_that_sent_them(b: Backend) {
    let h = harness(b).await;
    let k = key(&h, "测试客户端").await;
    let code = submit(&h, &k, &[("service_code", "12.02"), ("attribute[matter_type]", "检举控告")]).await;
    let case = h.app.store.get_case_by_code(&redress_domain::TrackingCode::parse(&code).unwrap()).await.unwrap().unwrap();
    assert!(case.matter.confidential, "an accusation keeps the accuser's identity from the accused");
    assert_eq!(get_json(&h, &format!("/open311/v2/requests/{code}.json")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get_json(&h, "/open311/v2/requests.json").await.1, json!([]));
    let (st, own) = get_json(&h, &format!("/open311/v2/requests/{code}.json?api_key={k}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(own[0]["service_request_id"], code.as_str());
}
