//! The OpenAPI 3.1 document. Written by hand beside the routes; the test suite calls every
//! documented operation and checks the answer is one the document lists.

use serde_json::{json, Value};

fn err_responses(codes: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for c in codes {
        let desc = match *c {
            "401" => "未登录或登录已过期",
            "403" => "无权执行此操作",
            "404" => "记录不存在或无权查看",
            "409" => "状态不允许此操作（返回当前状态和可执行的操作）或并发冲突",
            "413" => "请求体过大",
            "422" => "输入有误（返回出错的字段和中文说明）",
            "429" => "请求过于频繁（Retry-After）",
            "503" => "数据库暂时不可用（Retry-After）",
            _ => "错误",
        };
        m.insert(c.to_string(), json!({ "description": desc, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }));
    }
    Value::Object(m)
}

/// The dashboard's filters (and, for its case list, the figure and page).
fn dashboard_params(cases: bool) -> Value {
    let mut v = vec![
        json!({ "name": "from", "in": "query", "schema": { "type": "string", "pattern": "^\\d{4}-\\d{2}$" }, "description": "起始月份（按登记月份），默认截止月份前11个月" }),
        json!({ "name": "to", "in": "query", "schema": { "type": "string", "pattern": "^\\d{4}-\\d{2}$" }, "description": "截止月份，默认本月" }),
        json!({ "name": "unit", "in": "query", "schema": { "type": "integer" }, "description": "责任单位（含下级）" }),
        json!({ "name": "town", "in": "query", "schema": { "type": "integer" }, "description": "事项所在乡镇（街道）" }),
        json!({ "name": "category", "in": "query", "schema": { "type": "string" }, "description": "类别代码或其上级代码" }),
        json!({ "name": "channel", "in": "query", "schema": { "type": "string" } }),
    ];
    if cases {
        v.push(json!({ "name": "figure", "in": "query", "schema": { "type": "string", "enum": ["received", "accepted", "closed", "overdue"] } }));
        v.push(json!({ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }));
    }
    Value::Array(v)
}

fn op(summary: &str, ok: &str, ok_desc: &str, errors: &[&str], extra: Value) -> Value {
    let mut responses = err_responses(errors);
    responses[ok] = json!({ "description": ok_desc, "content": { "application/json": { "schema": { "type": "object" } } } });
    let mut o = json!({ "summary": summary, "responses": responses });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            o[k] = v;
        }
    }
    o
}

fn path_id() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

pub fn document() -> Value {
    let auth = ["401", "403", "404", "422", "503"];
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "redress 诉求办理与矛盾化解平台 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "信访、12345热线等各渠道诉求的登记、受理、转办、办理、答复、回访、复查复核。员工接口需登录（Bearer 令牌或会话 Cookie + X-CSRF-Token）。"
        },
        "servers": [{ "url": "/" }],
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "cookie": { "type": "apiKey", "in": "cookie", "name": "redress_session" }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                    "code": { "type": "string" }, "message": { "type": "string" }, "field": { "type": "string" },
                    "current_status": { "type": "string" }, "allowed": { "type": "array", "items": { "type": "string" } },
                    "closed_on": { "type": "string", "format": "date" } } } } },
                "Login": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" } } },
                "Intake": { "type": "object", "required": ["channel", "matter_type", "subject", "content"], "properties": {
                    "channel": { "enum": ["letter", "visit", "phone", "online", "hotline_12345", "higher_transfer", "grid", "leader_reception", "other"] },
                    "matter_type": { "enum": ["claim", "suggestion", "accusation", "consultation"] },
                    "category": { "type": "string", "description": "分类编码，如 01.02" },
                    "subject": { "type": "string", "maxLength": 200 },
                    "content": { "type": "string", "maxLength": 20000 },
                    "location": { "type": "object", "properties": { "address": { "type": "string" }, "division_code": { "type": "string" }, "lat": { "type": "number" }, "lng": { "type": "number" }, "org": { "type": "integer" } } },
                    "people_count": { "type": "integer", "minimum": 1 },
                    "channel_details": { "type": "object", "properties": { "transfer_office": { "type": "string" }, "transfer_ref": { "type": "string" }, "representatives": { "type": "integer", "maximum": 5 }, "reception_leader": { "type": "integer" }, "external_ref": { "type": "string" } } },
                    "related": { "type": "array", "items": { "type": "integer" } },
                    "same_matter_as": { "type": "integer" },
                    "intake_org": { "type": "integer", "description": "登记机关；省略时为登记员所在单位" },
                    "confidential": { "type": "boolean" },
                    "petitioner": { "type": "object", "properties": { "name": { "type": "string" }, "phone": { "type": "string" }, "id_number": { "type": "string" }, "address": { "type": "string" } } }
                } },
                "Command": { "type": "object", "required": ["action"], "description": "action 取值：accept, not_accept{reason}, route{unit, mode: forward|assign, co_units?, assign_days?}, return{reason}, start_handling, request_extension{days, reason}, approve_extension, reject_extension{reason}, submit_reply{decision: support|explain|not_support, facts, opinion, legal_basis}, approve_reply, reject_reply{reason}, follow_up{satisfaction: satisfied|basic|unsatisfied}, reopen{reason}, close, archive, withdraw{reason}, merge{target}, link{other}, request_review{reason}, decide_review{outcome: upheld|changed|revoked, opinion}, request_recheck{reason}, decide_recheck{outcome, opinion}, supervise{due, note}, assign_leader{leader}, add_note{text}",
                    "properties": { "action": { "type": "string" } } },
                "SimilarInput": { "type": "object", "description": "登记中的诉求（字段同登记接口，其余字段忽略）；标题和内容至少填一项", "properties": {
                    "subject": { "type": "string", "maxLength": 200 }, "content": { "type": "string", "maxLength": 20000 },
                    "location": { "type": "object", "properties": { "org": { "type": "integer", "description": "所在地（村、社区、网格）" } } },
                    "category": { "type": "string", "description": "分类编码，如 01.02" },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 100, "description": "最多返回条数，默认10" } } },
                "SuggestInput": { "type": "object", "properties": { "subject": { "type": "string" }, "content": { "type": "string" } } },
                "Purpose": { "type": "object", "required": ["purpose"], "properties": { "purpose": { "type": "string" } } },
                "Org": { "type": "object", "required": ["name", "kind"], "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "parent": { "type": "integer" }, "kind": { "enum": ["county", "town", "department", "village", "community", "grid", "external"] }, "division_code": { "type": "string" } } },
                "NewUser": { "type": "object", "required": ["username", "org_id", "roles", "password"], "properties": { "username": { "type": "string" }, "display_name": { "type": "string" }, "org_id": { "type": "integer" }, "roles": { "type": "array", "items": { "enum": ["intake_clerk", "handler", "unit_head", "supervisor", "leader", "admin", "auditor"] } }, "password": { "type": "string", "minLength": 8 } } },
                "Taxonomy": { "type": "object", "required": ["categories"] },
                "DeadlineRules": { "type": "object", "required": ["rules", "warn_days"] }
            }
        },
        "security": [{ "bearer": [] }, { "cookie": [] }],
        "paths": {
            "/health": { "get": op("存活检查", "200", "正常", &[], json!({ "security": [] })) },
            "/ready": { "get": op("就绪检查（数据库可用）", "200", "就绪", &["503"], json!({ "security": [] })) },
            "/metrics": { "get": op("Prometheus 指标（文本格式 0.0.4）：请求数与耗时、进行中的请求、事件链头、在办与超期件数、内存", "200", "text/plain; version=0.0.4", &[], json!({ "security": [] })) },
            "/api/v1/public/lookup/{code}": { "get": op("凭查询码查询办理进度（公开，限流，不含个人信息）", "200", "状态、日期和答复", &["404", "422", "429"], json!({
                "security": [],
                "parameters": [
                    { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "phone4", "in": "query", "required": false, "schema": { "type": "string" }, "description": "联系电话后四位，核对后显示事项标题" }
                ] })) },
            "/api/v1/public/receptions": { "get": op("近期领导接待日安排（公开）", "200", "接待安排", &[], json!({ "security": [] })) },
            "/api/v1/public/stats": { "get": op("全县办理情况公开统计：受理、办结、办结率、满意率及其定义（公开，5分钟更新）", "200", "统计", &[], json!({ "security": [] })) },
            "/api/v1/settings/reception-schedule": {
                "get": op("领导接待日安排（全部）", "200", "接待安排", &["401"], json!({})),
                "put": op("修改领导接待日安排（管理员、督办员、领导）", "200", "新安排", &["401", "403", "422"], json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "array", "items": { "type": "object", "required": ["date", "time", "leader_name", "leader_title", "place"] } } } } } }))
            },
            "/api/v1/auth/login": { "post": op("登录，返回令牌并设置会话 Cookie", "200", "登录成功", &["422", "429"], json!({ "security": [], "requestBody": body("Login") })) },
            "/api/v1/auth/logout": { "post": { "summary": "退出登录", "security": [], "responses": { "204": { "description": "已退出" } } } },
            "/api/v1/me": { "get": op("当前用户", "200", "用户信息", &["401"], json!({})) },
            "/api/v1/cases": {
                "get": op("事项列表（按权限范围，支持筛选、排序、分页）", "200", "items 与 total", &["401", "422"], json!({ "parameters": [
                    { "name": "status", "in": "query", "schema": { "type": "string" }, "description": "逗号分隔的状态" },
                    { "name": "unit", "in": "query", "schema": { "type": "integer" } },
                    { "name": "org", "in": "query", "schema": { "type": "integer" } },
                    { "name": "channel", "in": "query", "schema": { "type": "string" } },
                    { "name": "category", "in": "query", "schema": { "type": "string" } },
                    { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" } },
                    { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" } },
                    { "name": "overdue", "in": "query", "schema": { "type": "boolean" } },
                    { "name": "q", "in": "query", "schema": { "type": "string" } },
                    { "name": "demo", "in": "query", "schema": { "type": "boolean" } },
                    { "name": "sort", "in": "query", "schema": { "enum": ["due", "newest", "oldest", "updated"] } },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } },
                    { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0 } }
                ] })),
                "post": op("登记诉求（任一渠道）", "201", "已登记，返回事项和查询码", &["401", "403", "413", "422", "503"], json!({ "requestBody": body("Intake") }))
            },
            "/api/v1/cases/suggest": { "post": op("推荐分类和责任单位（前3名及置信度，由本县已办结事项训练）", "200", "推荐结果", &["401", "403", "422"], json!({ "requestBody": body("SuggestInput") })) },
            "/api/v1/stats/suggestions": { "get": op("推荐准确率（第一推荐与最终选择一致的比例）", "200", "统计", &["401", "403"], json!({})) },
            "/api/v1/models/train": { "post": op("用本库事项重新训练推荐模型（管理员）", "200", "训练概况", &["401", "403"], json!({})) },
            "/api/v1/search": { "get": op("全文检索（标题、内容、答复、地址，中文分词，按相关度排序，可叠加列表筛选；只返回本人有权查看的事项）", "200", "items（case 列表行、score、snippets：各字段含 <mark> 标记的 HTML 转义片段）与 total", &["401", "422", "503"], json!({ "parameters": [
                { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 200 }, "description": "检索词，空格分隔多个词（须同时出现）" },
                { "name": "status", "in": "query", "schema": { "type": "string" }, "description": "逗号分隔的状态" },
                { "name": "unit", "in": "query", "schema": { "type": "integer" } },
                { "name": "org", "in": "query", "schema": { "type": "integer" }, "description": "涉及该机构及其下属机构（如乡镇）的事项" },
                { "name": "channel", "in": "query", "schema": { "type": "string" } },
                { "name": "category", "in": "query", "schema": { "type": "string" }, "description": "分类编码或其前缀" },
                { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "demo", "in": "query", "schema": { "type": "boolean" } },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 } },
                { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0 } }
            ] })) },
            "/api/v1/cases/{id}": { "get": op("事项详情（个人信息已脱敏）", "200", "事项、期限、可执行的操作", &["401", "404"], json!({ "parameters": [path_id()] })) },
            "/api/v1/cases/{id}/events": { "get": op("事项全部历史（哈希链事件）", "200", "事件列表", &["401", "404"], json!({ "parameters": [path_id()] })) },
            "/api/v1/cases/{id}/actions": { "post": op("对事项执行操作（受理、转办、答复……）", "200", "操作后的事项", &["401", "403", "404", "409", "422", "503"], json!({ "parameters": [path_id()], "requestBody": body("Command") })) },
            "/api/v1/cases/{id}/personal-data": { "post": op("查看信访人完整个人信息（每次查看均记录）", "200", "个人信息", &auth, json!({ "parameters": [path_id()], "requestBody": body("Purpose") })) },
            "/api/v1/cases/{id}/documents": { "get": op("事项可出具的文书（受理告知书、不予受理告知书、信访事项处理意见书、延期办理告知书、督办单）及当前能否出具", "200", "items：kind、title、available、reason（不能出具的原因）、count、links（html、docx）；督办单另有 items（每次督办一份）", &["401", "404"], json!({ "parameters": [path_id()] })) },
            "/api/v1/cases/{id}/documents/{kind}": { "get": {
                "summary": "出具文书：可打印的 A4 网页或 Word 文档（写明信访人姓名的文书，每次出具均记入个人信息查看记录）",
                "parameters": [path_id(),
                    { "name": "kind", "in": "path", "required": true, "schema": { "enum": ["acceptance_notice", "non_acceptance_notice", "handling_opinion", "extension_notice", "supervision_sheet"] } },
                    { "name": "format", "in": "query", "schema": { "enum": ["html", "docx"], "default": "html" } },
                    { "name": "n", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "督办单：第几次督办，默认最近一次" }],
                "responses": {
                    "200": { "description": "文书（docx 以附件下载，文件名如 受理告知书-XF2026-000123.docx）", "content": {
                        "text/html": { "schema": { "type": "string" } },
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": { "schema": { "type": "string", "format": "binary" } } } },
                    "401": err_responses(&["401"])["401"], "403": err_responses(&["403"])["403"], "404": err_responses(&["404"])["404"],
                    "409": { "description": "事项当前状态不能出具该文书（返回当前状态和可出具的文书）", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                    "422": err_responses(&["422"])["422"] } } },
            "/api/v1/cases/{id}/attachments": { "post": op("上传附件（请求体为文件内容；Content-Type 为类型；X-Filename 为文件名）", "201", "上传后的事项", &["401", "403", "404", "413", "422"], json!({
                "parameters": [path_id(), { "name": "X-Filename", "in": "header", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } } })) },
            "/api/v1/cases/{id}/attachments/{sha256}": { "get": { "summary": "下载附件", "parameters": [path_id(), { "name": "sha256", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "文件内容", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } }, "401": err_responses(&["401"])["401"], "404": err_responses(&["404"])["404"] } } },
            "/api/v1/orgs": {
                "get": op("组织机构", "200", "机构列表", &["401"], json!({})),
                "post": op("新增或修改机构（管理员）", "201", "机构编号", &["401", "403", "422"], json!({ "requestBody": body("Org") }))
            },
            "/api/v1/users": {
                "get": op("用户列表（管理员、审计员）", "200", "用户列表", &["401", "403"], json!({})),
                "post": op("新增用户（管理员）", "201", "新用户", &["401", "403", "409", "422"], json!({ "requestBody": body("NewUser") }))
            },
            "/api/v1/taxonomy": {
                "get": op("分类目录（两级）", "200", "分类", &[], json!({ "security": [] })),
                "put": op("修改分类目录（管理员）", "200", "新分类", &["401", "403", "422"], json!({ "requestBody": body("Taxonomy") }))
            },
            "/api/v1/settings/deadline-rules": {
                "get": op("办理期限规则", "200", "规则", &["401"], json!({})),
                "put": op("修改办理期限规则（管理员）", "200", "新规则", &["401", "403", "422"], json!({ "requestBody": body("DeadlineRules") }))
            },
            "/api/v1/calendar/due": { "get": op("按工作日历计算期限届满日", "200", "届满日", &["401", "422"], json!({ "parameters": [
                { "name": "from", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
                { "name": "days", "in": "query", "required": true, "schema": { "type": "integer" } },
                { "name": "working", "in": "query", "schema": { "type": "boolean" } }
            ] })) },
            "/api/v1/ledger": { "get": {
                "summary": "台账导出：登记日期在期间内、本人有权查看的事项（可限一个单位及其下级），按登记先后；列为 编号、来源、登记日期、姓名、事项、类别、责任单位、状态、期限、办结日期、满意度。姓名默认脱敏；names=true 须为可查看个人信息的角色，每读一个姓名记入个人信息查看记录（事由“导出台账”），检举控告事项对承办单位始终脱敏",
                "parameters": [
                    { "name": "from", "in": "query", "required": true, "schema": { "type": "string", "format": "date" }, "description": "登记日期起（北京时间，含）" },
                    { "name": "to", "in": "query", "required": true, "schema": { "type": "string", "format": "date" }, "description": "登记日期止（含）" },
                    { "name": "unit", "in": "query", "schema": { "type": "integer" }, "description": "责任单位编号（含下级单位）" },
                    { "name": "format", "in": "query", "schema": { "enum": ["xlsx", "csv", "json"], "default": "xlsx" } },
                    { "name": "names", "in": "query", "schema": { "type": "boolean", "default": false }, "description": "导出信访人姓名原文（记录查看）" }],
                "responses": {
                    "200": { "description": "台账（xlsx、csv 以附件下载，文件名如 台账-县住房和城乡建设局-2026-03.xlsx；csv 为带 BOM 的 UTF-8；json 为 title、columns、items）", "content": {
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } },
                        "text/csv": { "schema": { "type": "string" } },
                        "application/json": { "schema": { "type": "object" } } } },
                    "401": err_responses(&["401"])["401"], "403": err_responses(&["403"])["403"],
                    "413": { "description": "超过 Excel 单表行数上限", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                    "422": err_responses(&["422"])["422"], "503": err_responses(&["503"])["503"] } } },
            "/api/v1/admin/jobs": { "get": op("后台任务：周期、租约持有实例、最近运行（系统管理员）", "200", "instance、jobs、runs", &["401", "403"], json!({})) },
            "/api/v1/access-log": { "get": op("个人信息查看记录（审计员、管理员）", "200", "记录", &["401", "403"], json!({ "parameters": [
                { "name": "case_id", "in": "query", "schema": { "type": "integer" } },
                { "name": "limit", "in": "query", "schema": { "type": "integer" } }
            ] })) },
            "/api/v1/cases/similar": { "post": op("登记时查找可能是同一事项的已有事项（内容近似、同一地点、同一类别、时间相近），返回得分和理由；只含本人有权查看的事项", "200", "items：case（列表行）、score、text_similarity、reasons（中文理由）、cluster_id", &["401", "422", "503"], json!({ "requestBody": body("SimilarInput") })) },
            "/api/v1/cases/{id}/similar": { "get": op("与某事项可能是同一事项的其他事项", "200", "items：同上，另有 same_cluster（已归入同一事项簇）", &["401", "404", "422", "503"], json!({ "parameters": [path_id(),
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } }] })) },
            "/api/v1/clusters": { "get": op("同一事项簇（重复件、联名件归并），最近有新件的在前；只计本人有权查看的事项", "200", "items：id（最早一件）、subject、cases、首末登记日期、places、units、categories", &["401", "422", "503"], json!({ "parameters": [
                { "name": "since", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "只列此日及以后仍有新件的事项簇" },
                { "name": "min_cases", "in": "query", "schema": { "type": "integer", "minimum": 2 } },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } }] })) },
            "/api/v1/clusters/{id}": { "get": op("事项簇详情：其中各事项、承办单位、地点、按周的时间线（id 可为簇中任一事项）", "200", "簇概况、case_rows、timeline", &["401", "404", "503"], json!({ "parameters": [path_id()] })) },
            "/api/v1/stats/repeat-rate": { "get": op("重复信访率：统计期内登记的事项中，与此前已登记事项属于同一事项簇的比例（定义见返回的 definition）", "200", "cases、repeats、rate、definition", &["401", "422", "503"], json!({ "parameters": [
                { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "默认为 to 前29天" },
                { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "含当天，默认今天" }] })) },
            "/api/v1/dashboard": { "get": op("指挥中心：统计期内的登记、受理、办结件数，办结率、按期办结率、满意率、重复信访率、调处成功率、平均办理天数、当前超期，按月、责任单位、乡镇、类别、渠道、状态分列；每项指标附定义（figures[].definition），计数附下钻条件（drill）", "200", "filter、scope_label、figures、totals、months、by_unit、by_town、by_category、by_channel、by_status、as_of", &["401", "422"], json!({ "parameters": dashboard_params(false) })) },
            "/api/v1/dashboard/cases": { "get": op("指挥中心某项计数背后的事项清单（每页50件，最新登记在前）", "200", "figure、total、items", &["401", "422"], json!({ "parameters": dashboard_params(true) })) },
            "/api/v1/reports/monthly": { "get": op("月度分析报告：总体指标与上月对比、主要问题、集中地方、超期单位、预警及处置、工作建议（由数据生成的中文段落）", "200", "HTML 页面、DOCX 文件或 JSON 文书模型", &["401", "422"], json!({ "parameters": [
                { "name": "month", "in": "query", "schema": { "type": "string" }, "description": "yyyy-mm，默认上月" },
                { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["html", "docx", "json"] } }] })) },
            "/api/v1/scorecards": { "get": op("单位考核：某月各责任单位的办结率、按期办结率、满意率、当前超期和按权重计算的得分，高分在前（得分定义见 definition）", "200", "month、weights、definition、rows", &["401", "422"], json!({ "parameters": [{ "name": "month", "in": "query", "schema": { "type": "string" }, "description": "yyyy-mm，默认本月" }] })) },
            "/api/v1/settings/scorecard-weights": {
                "get": op("考核权重", "200", "closed_rate、on_time_rate、satisfied_rate、overdue_penalty", &["401"], json!({})),
                "put": op("设置考核权重（系统管理员）", "200", "保存后的权重", &["401", "403", "422"], json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } } }))
            },
            "/api/v1/warning-rules": {
                "get": op("预警规则（数据）：类型、级别（蓝/黄/红）、接收单位、阈值、统计天数、未签收升级小时数；规则只针对事项和地点，不针对个人", "200", "规则数组", &["401"], json!({})),
                "put": op("替换预警规则（系统管理员）；含未知字段（如针对个人的字段）的规则被拒绝", "200", "保存后的规则", &["401", "403", "422"], json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "array" } } } } }))
            },
            "/api/v1/warnings": { "get": op("本人范围内收到的预警（默认未处置的；status=all 含已处置）", "200", "items", &["401"], json!({ "parameters": [{ "name": "status", "in": "query", "schema": { "type": "string", "enum": ["all"] } }] })) },
            "/api/v1/warnings/scan": { "post": op("立即按规则扫描一次（幂等；服务也定时扫描），并将超时未签收的预警升一级", "200", "raised、updated、escalated", &["401", "403"], json!({})) },
            "/api/v1/warnings/{id}": { "get": op("一条预警：级别、规则、说明、关联事项、签收与处置记录", "200", "预警", &["401", "404"], json!({ "parameters": [path_id()] })) },
            "/api/v1/warnings/{id}/acknowledge": { "post": op("签收预警", "200", "签收后的预警", &["401", "403", "404", "422"], json!({ "parameters": [path_id()] })) },
            "/api/v1/warnings/{id}/dispose": { "post": op("处置预警：处置情况（必填）和备注", "200", "处置后的预警", &["401", "403", "404", "422"], json!({ "parameters": [path_id()], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["disposition"], "properties": { "disposition": { "type": "string" }, "notes": { "type": "string" } } } } } } })) },
            "/api/v1/hotspots": { "get": op("热点预警：近期件数明显高于自身历史的类别、地点、同一事项（泊松检验，设最少件数），附中文说明", "200", "as_of、rule、items：kind、label、recent、mean、ratio、p_value、explanation、recent_cases", &["401", "422", "503"], json!({ "parameters": [
                { "name": "window_days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 90 }, "description": "近期窗口天数，默认7" },
                { "name": "history_windows", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 52 }, "description": "对照的此前窗口数，默认8" }] })) },
            "/api/v1/assessment-projects": {
                "get": op("社会稳定风险评估事项登记：名称、类型（重大决策/改革/项目/活动）、决策机关、责任单位、评估主体、是否需评估及理由、涉及乡镇、可能引发的诉求类别、评估开始和决策日期、所处阶段", "200", "事项数组", &["401"], json!({})),
                "put": op("替换稳评事项登记（系统管理员）；逐项校验，含未知字段的被拒绝", "200", "保存后的登记", &["401", "403", "422"], json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "array" } } } } }))
            },
            "/api/v1/assessment-projects/{id}/cases": { "get": op("与稳评事项关联的诉求：涉及乡镇、类别相符且在评估开始后登记的事项（本人可见的至多200件；total 为全部件数，after_decision 为决策后登记的件数）", "200", "project、cases、total、after_decision", &["401", "404"], json!({ "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }] })) },
            "/api/v1/verify": { "post": op("校验哈希链与事项状态（审计员、管理员）", "200", "校验通过", &["401", "403", "409"], json!({})) }
        }
    });
    // Routine duties of issue 6 (零报告, 矛盾纠纷排查).
    duty_paths(&mut doc);
    mediation_paths(&mut doc);
    assessment_paths(&mut doc);
    doc
}

// ----- routine duties of issue 6: 零报告, 矛盾纠纷排查 -----

fn duty_paths(doc: &mut Value) {
    let paths = json!({
            "/api/v1/nil-reports": {
                "get": op("零报告报送情况：日期所在周期内各应报单位的状态（按时报送、补报、未报送、待报送）、最新一次报送和报送次数（本人范围内）", "200", "date、rows、filed、late、missing、pending、found", &["401", "422"], json!({ "parameters": [{ "name": "date", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "默认今天（北京时间）" }] })),
                "post": op("报送零报告：status 为 nil（无情况）或 found（有情况，details 必填）；date 为周期内任一日期，默认今天，逾期记为补报；同一周期可重复报送，全部保留，以最后一次为准", "201", "报送记录", &["401", "403", "422"], json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["status"], "properties": { "unit": { "type": "integer", "description": "默认本人单位；系统管理员可代报" }, "date": { "type": "string", "format": "date" }, "status": { "type": "string", "enum": ["nil", "found"] }, "details": { "type": "string" } } } } } } }))
            },
            "/api/v1/nil-reports/history": { "get": op("零报告报送记录（含更正），新的在前", "200", "from、to、items", &["401", "404", "422"], json!({ "parameters": [
                { "name": "unit", "in": "query", "schema": { "type": "integer" } },
                { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "周期起，默认 to 前30天" },
                { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "周期止，默认今天" }] })) },
            "/api/v1/nil-reports/missing": { "get": op("漏报：各单位最近一个已过截止时间的周期仍未报送零报告的（本人范围内）", "200", "items", &["401"], json!({})) },
            "/api/v1/settings/nil-report-frequency": {
                "get": op("零报告报送频次：各单位每日、每周或不报送（默认乡镇每日、部门每周），及修改记录（谁、何时、由何改为何）", "200", "units、changes", &["401"], json!({})),
                "put": op("设置零报告报送频次（系统管理员）：units 为 单位编号 → daily、weekly 或 none", "200", "保存后的设置", &["401", "403", "422"], json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["units"], "properties": { "units": { "type": "object", "additionalProperties": { "type": "string", "enum": ["daily", "weekly", "none"] } } } } } } } }))
            },
            "/api/v1/campaigns": {
                "get": op("矛盾纠纷排查活动（本人发起范围内或布置给本单位的），新的在前", "200", "items", &["401"], json!({})),
                "post": op("发起矛盾纠纷排查活动（信访工作机构）：名称、范围和重点、排查期间、反馈截止日期、排查单位", "201", "排查活动", &["401", "403", "422"], json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["title", "scope", "period_from", "period_to", "due", "units"], "properties": { "title": { "type": "string" }, "scope": { "type": "string" }, "period_from": { "type": "string", "format": "date" }, "period_to": { "type": "string", "format": "date" }, "due": { "type": "string", "format": "date" }, "units": { "type": "array", "items": { "type": "integer" } } } } } } } }))
            },
            "/api/v1/campaigns/{id}": { "get": op("排查活动：各单位反馈（按时、逾期、未反馈）、排查发现及处置、统计（反馈率，按类别、地点、处置方式）和记录", "200", "campaign、units、history、report", &["401", "404"], json!({ "parameters": [path_id()] })) },
            "/api/v1/campaigns/{id}/returns": { "post": op("单位反馈排查结果：status 为 found（附 findings：地点、类别、简要情况、涉及人数，不含个人身份信息）或 none（note 必填）；再次提交替换待处置的发现", "200", "反馈", &["401", "403", "404", "422"], json!({ "parameters": [path_id()], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["status"], "properties": { "unit": { "type": "integer" }, "status": { "type": "string", "enum": ["found", "none"] }, "note": { "type": "string" }, "findings": { "type": "array", "items": { "type": "object", "required": ["place", "category", "description"], "properties": { "place": { "type": "string" }, "place_org": { "type": "integer" }, "category": { "type": "string" }, "description": { "type": "string" }, "people_count": { "type": "integer", "minimum": 1 } } } } } } } } } })) },
            "/api/v1/campaigns/{id}/findings/{unit}/{no}/dispose": { "post": op("处置排查发现：case 转为信访事项（按登记程序生成事项，登记员、管理员）或 mediation 转人民调解（给出 committee 则在该调解委员会登记纠纷并以其编号为调解案号；否则 reference 为调解案号，可后补）", "200", "处置后的发现", &["401", "403", "404", "422"], json!({ "parameters": [path_id(),
                { "name": "unit", "in": "path", "required": true, "schema": { "type": "integer" } },
                { "name": "no", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["disposition"], "properties": { "disposition": { "type": "string", "enum": ["case", "mediation"] }, "reference": { "type": "string" }, "committee": { "type": "integer", "description": "转人民调解时登记纠纷的调解委员会，纠纷编号即调解案号" } } } } } } })) },
            "/api/v1/campaigns/{id}/report": { "get": op("矛盾纠纷排查情况报告：排查安排、反馈情况、发现按类别地点处置方式统计、发现清单", "200", "HTML 页面、DOCX 文件或 JSON", &["401", "404", "422"], json!({ "parameters": [path_id(), { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["html", "docx", "json"] } }] })) },
            "/api/v1/reports/annual": { "get": op("年度信访工作情况报告（《信访工作条例》第四十一条）：信访事项统计、涉及领域、被反映较多的单位、转送交办督办情况、建议意见采纳情况（由数据生成）；json 另附 facts", "200", "HTML 页面、DOCX 文件或 JSON（facts、document）", &["401", "422"], json!({ "parameters": [
                { "name": "year", "in": "query", "schema": { "type": "integer" }, "description": "默认上一年" },
                { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["html", "docx", "json"] } }] })) },
            "/api/v1/campaigns/{id}/status": { "post": op("结束排查活动（status 只能为 closed），结束后不再接受反馈", "200", "排查活动", &["401", "403", "404", "422"], json!({ "parameters": [path_id()], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["status"], "properties": { "status": { "type": "string", "enum": ["closed"] } } } } } } })) }
    });
    if let (Some(all), Value::Object(mine)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(mine);
    }
}

/// People's mediation (issue 7).
fn mediation_paths(doc: &mut Value) {
    let body = |required: &[&str], props: Value| json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": required, "properties": props } } } } });
    let committee = body(&["org", "name", "members", "term_from", "term_to"], json!({
        "org": { "type": "integer", "description": "设立单位（村居、乡镇或部门）" }, "name": { "type": "string" },
        "members": { "type": "array", "items": { "type": "object", "required": ["name", "role", "gender"], "properties": { "name": { "type": "string" }, "role": { "type": "string", "enum": ["chair", "vice_chair", "member"] }, "gender": { "type": "string", "enum": ["female", "male"] } } } },
        "term_from": { "type": "string", "format": "date" }, "term_to": { "type": "string", "format": "date" }, "active": { "type": "boolean" }, "version": { "type": "integer", "description": "更新时为读取到的版本" } }));
    let mediator = body(&["committee", "name", "gender"], json!({ "committee": { "type": "integer" }, "name": { "type": "string" }, "gender": { "type": "string", "enum": ["female", "male"] }, "specialty": { "type": "string" }, "full_time": { "type": "boolean" }, "active": { "type": "boolean" }, "version": { "type": "integer" } }));
    let mut committee_put = committee.clone();
    committee_put["parameters"] = json!([path_id()]);
    let mut mediator_put = mediator.clone();
    mediator_put["parameters"] = json!([path_id()]);
    let types: Vec<&str> = redress_app::mediation::DISPUTE_TYPES.iter().map(|(k, _)| *k).collect();
    let register = body(&["committee", "source", "dispute_type", "summary"], json!({
        "committee": { "type": "integer" }, "source": { "type": "string", "enum": ["application", "initiative", "court", "police"] }, "source_note": { "type": "string", "description": "委派函号、移送单等" },
        "dispute_type": { "type": "string", "enum": types }, "summary": { "type": "string" }, "place": { "type": "string" },
        "parties": { "type": "array", "items": { "type": "object", "required": ["name", "role"], "properties": { "name": { "type": "string" }, "role": { "type": "string", "enum": ["applicant", "respondent", "other"] } } } },
        "refused": { "type": "string", "description": "当事人明确拒绝调解的情况：填写则登记为终止调解，不得调解（《人民调解法》第十七条）" } }));
    let mut action = body(&["version", "action"], json!({
        "version": { "type": "integer", "description": "读取到的版本" },
        "action": { "type": "string", "enum": ["prepare", "invite", "session", "flag_risk", "refuse", "agree", "fail", "apply_confirmation", "confirmation_result", "perform", "archive"] },
        "parties": { "type": "array", "items": { "type": "object" } }, "mediators": { "type": "array", "items": { "type": "integer" } }, "chosen_by_parties": { "type": "boolean" },
        "name": { "type": "string" }, "relation": { "type": "string" }, "consented": { "type": "boolean" },
        "on": { "type": "string", "format": "date" }, "public": { "type": "boolean" }, "place": { "type": "string" }, "present": { "type": "string" }, "record": { "type": "string" },
        "description": { "type": "string" }, "referral": { "type": "string" }, "reason": { "type": "string" },
        "written": { "type": "boolean" }, "effective_on": { "type": "string", "format": "date" }, "facts": { "type": "string" }, "disputed": { "type": "string" }, "responsibilities": { "type": "string" }, "terms": { "type": "string" }, "manner": { "type": "string" }, "perform_by": { "type": "string", "format": "date" },
        "items": { "type": "array", "items": { "type": "object", "properties": { "item": { "type": "string" }, "due": { "type": "string", "format": "date" } } } },
        "applied_on": { "type": "string", "format": "date" }, "court": { "type": "string" }, "result": { "type": "string", "enum": ["confirmed", "rejected"] }, "decided_on": { "type": "string", "format": "date" },
        "no": { "type": "integer" }, "done_on": { "type": "string", "format": "date" }, "note": { "type": "string" } }));
    action["parameters"] = json!([path_id()]);
    let mut refer = body(&["committee"], json!({ "committee": { "type": "integer" }, "dispute_type": { "type": "string", "enum": types } }));
    refer["parameters"] = json!([path_id()]);
    let paths = json!({
        "/api/v1/mediation/committees": {
            "get": op("人民调解委员会名册（本人范围内）：名称、设立单位、委员（主任、副主任、委员，性别）、任期", "200", "委员会列表", &["401"], json!({})),
            "post": op("登记人民调解委员会（系统管理员、登记员）：委员三至九人，设主任一人，应有妇女成员，每届任期三年", "201", "委员会", &["401", "403", "422"], committee)
        },
        "/api/v1/mediation/committees/{id}": { "put": op("更新人民调解委员会（换届、增减委员、停用）", "200", "委员会", &["401", "403", "404", "409", "422"], committee_put) },
        "/api/v1/mediation/mediators": {
            "get": op("人民调解员名册（可按委员会筛选）：姓名、性别、擅长领域、专职或兼职；不保存联系方式", "200", "调解员列表", &["401"], json!({ "parameters": [{ "name": "committee", "in": "query", "schema": { "type": "integer" } }] })),
            "post": op("登记人民调解员", "201", "调解员", &["401", "403", "422"], mediator)
        },
        "/api/v1/mediation/mediators/{id}": { "put": op("更新人民调解员（停用等）", "200", "调解员", &["401", "403", "404", "409", "422"], mediator_put) },
        "/api/v1/mediation/disputes": {
            "get": op("矛盾纠纷（本人范围内），新的在前；status 可为 accepted、mediating、written_agreement、oral_agreement、failed、stopped、archived", "200", "纠纷列表", &["401", "403"], json!({ "parameters": [{ "name": "status", "in": "query", "schema": { "type": "string" } }] })),
            "post": op("登记矛盾纠纷：当事人申请、委员会主动调解、法院委派委托或公安移送（信访事项转入见 /api/v1/cases/{id}/mediation）；人民调解不收取任何费用", "201", "纠纷", &["401", "403", "422"], register)
        },
        "/api/v1/mediation/disputes/{id}": { "get": op("纠纷详情：当事人、调解员、受邀人员、调解笔录、激化风险及报告、协议、司法确认、履行情况、记录及下一步可办理的事项", "200", "dispute、history、next 等", &["401", "404"], json!({ "parameters": [path_id()] })) },
        "/api/v1/mediation/disputes/{id}/actions": { "post": op("办理纠纷：prepare 确定当事人和调解员，invite 经当事人同意邀请参与人员，session 调解（公开或不公开）及笔录，flag_risk 激化风险及已报告处，refuse 当事人拒绝或要求终止，agree 书面或口头协议（含履行事项），fail 调解不成（告知仲裁、行政、司法途径），apply_confirmation 三十日内共同申请司法确认，confirmation_result 法院裁定，perform 登记履行，archive 归档", "200", "办理后的纠纷", &["401", "403", "404", "409", "422"], action) },
        "/api/v1/mediation/disputes/{id}/agreement": { "get": op("人民调解协议书（书面协议）：当事人、主要事实、争议事项、各方责任、协议内容、履行方式和期限", "200", "HTML 页面或 DOCX 文件", &["401", "403", "404", "422"], json!({ "parameters": [path_id(), { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["html", "docx"] } }] })) },
        "/api/v1/mediation/disputes/{id}/archive": { "get": op("人民调解卷宗：登记情况、调解笔录、调解结果、司法确认和履行、卷内记录", "200", "HTML 页面或 DOCX 文件", &["401", "403", "404", "422"], json!({ "parameters": [path_id(), { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["html", "docx"] } }] })) },
        "/api/v1/mediation/stats": { "get": op("人民调解统计：按类型、来源、阶段，调解成功率，书面和口头协议，协议履行，司法确认，信访转入，并附各指标定义", "200", "stats、definitions", &["401", "403"], json!({})) },
        "/api/v1/mediation/reminders": { "get": op("人民调解提醒：书面协议司法确认申请期限将届满、协议履行期限将到或已过", "200", "提醒列表", &["401", "403"], json!({})) },
        "/api/v1/cases/{id}/mediation": {
            "get": op("信访事项转入的人民调解纠纷（事项与纠纷双向关联）", "200", "纠纷列表", &["401", "404"], json!({ "parameters": [path_id()] })),
            "post": op("转人民调解：由信访事项登记纠纷，纠纷与事项互相关联；当事人由调解员另行登记，不复制信访人个人信息", "201", "纠纷", &["401", "403", "404", "422"], refer)
        }
    });
    if let (Some(all), Value::Object(mine)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(mine);
    }
}

/// Social stability risk assessment (issue 7).
fn assessment_paths(doc: &mut Value) {
    let body = |required: &[&str], props: Value| json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": required, "properties": props } } } } });
    let mut action = body(&["version", "action"], json!({
        "version": { "type": "integer" },
        "action": { "type": "string", "enum": ["plan", "check", "notice", "questionnaire", "meeting", "risk", "remove_risk", "conclude", "measure", "measure_done", "file", "review", "follow_up"] },
        "scope": { "type": "string" }, "methods": { "type": "string" }, "schedule": { "type": "string" }, "team": { "type": "string" },
        "step": { "type": "integer", "minimum": 1, "maximum": 6 }, "item": { "type": "integer", "minimum": 1 }, "done": { "type": "boolean" },
        "text": { "type": "string" }, "from": { "type": "string", "format": "date" }, "until": { "type": "string", "format": "date" },
        "questions": { "type": "array", "items": { "type": "string" } }, "groups": { "type": "array", "items": { "type": "string" } }, "open": { "type": "boolean" },
        "kind": { "type": "string", "enum": ["hearing", "forum", "visit"] }, "on": { "type": "string", "format": "date" }, "place": { "type": "string" }, "attendance": { "type": "integer" }, "group": { "type": "string" }, "town": { "type": "integer" },
        "support": { "type": "integer" }, "oppose": { "type": "integer" }, "neutral": { "type": "integer" }, "summary": { "type": "string" },
        "dimension": { "type": "string", "enum": ["legality", "reasonableness", "feasibility", "controllability"] }, "description": { "type": "string" },
        "likelihood": { "type": "integer", "minimum": 1, "maximum": 5 }, "impact": { "type": "integer", "minimum": 1, "maximum": 5 }, "evidence": { "type": "string" }, "no": { "type": "integer" },
        "level": { "type": "string", "enum": ["low", "medium", "high"] }, "override_reason": { "type": "string" },
        "owner": { "type": "string" }, "deadline": { "type": "string", "format": "date" }, "done_on": { "type": "string", "format": "date" },
        "to": { "type": "string" }, "result": { "type": "string", "enum": ["accepted", "returned"] }, "note": { "type": "string" } }));
    action["parameters"] = json!([path_id()]);
    let mut respond = body(&["group", "position"], json!({ "group": { "type": "string" }, "town": { "type": "integer" }, "position": { "type": "string", "enum": ["support", "oppose", "neutral"] }, "answers": { "type": "array", "items": { "type": "string" } }, "comment": { "type": "string" } }));
    respond["parameters"] = json!([path_id()]);
    let paths = json!({
        "/api/v1/assessments": {
            "get": op("社会稳定风险评估（本人范围内）", "200", "评估列表", &["401"], json!({})),
            "post": op("启动稳评事项登记中某一事项的社会稳定风险评估（每个事项一次）", "201", "评估", &["401", "403", "422"], body(&["project"], json!({ "project": { "type": "string", "description": "稳评事项登记中的编号" } })))
        },
        "/api/v1/assessments/stats": { "get": op("稳评统计：登记事项、应评事项、已评估、各风险等级、报备、措施按期完成率、决策后群众诉求", "200", "统计", &["401"], json!({})) },
        "/api/v1/assessments/{id}": { "get": op("评估详情：当前步骤及缺项、检查清单、意见汇总（按群体、地区）、风险矩阵、测算等级、措施、报备、跟踪、关联诉求、记录", "200", "assessment、step、missing、tallies、matrix 等", &["401", "404"], json!({ "parameters": [path_id()] })) },
        "/api/v1/assessments/{id}/actions": { "post": op("办理评估：plan 评估方案，check 检查清单，notice 公告，questionnaire 问卷（群众在门户填写），meeting 听证会、座谈会、走访及表态，risk / remove_risk 风险登记（可能性×影响程度及依据），conclude 评估结论（可调整等级并说明理由），measure / measure_done 维稳措施，file 报备，review 上级审核（通过或退回），follow_up 跟踪督查", "200", "办理后的评估", &["401", "403", "404", "409", "422"], action) },
        "/api/v1/assessments/{id}/report": { "get": op("社会稳定风险评估报告（评估事项、评估工作、各方意见、风险识别和分析、风险等级和结论、防范化解措施、报备和跟踪）", "200", "HTML 页面或 DOCX 文件", &["401", "403", "404", "422"], json!({ "parameters": [path_id(), { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["html", "docx"] } }] })) },
        "/api/v1/public/consultations": { "get": op("门户：正在公示或征求意见的稳评事项（公告、问卷问题、群体、涉及乡镇），无需登录", "200", "列表", &[], json!({ "security": [] })) },
        "/api/v1/public/consultations/{id}/responses": { "post": op("门户：群众填写稳评问卷（匿名：所属群体、乡镇、态度、回答），无需登录，按来源限流", "201", "感谢语", &["404", "422", "429"], { let mut r = respond; r["security"] = json!([]); r }) }
    });
    if let (Some(all), Value::Object(mine)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(mine);
    }
}
