//! The console's and portal's Chinese wording that lives in code (the rest is in the
//! templates): the fields each action's form asks for, and names of history details.

/// How a form field is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    TextArea,
    Number,
    Date,
    /// Options filled in by the page (units, decisions...).
    Select(&'static str),
    MultiSelect(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub hint: &'static str,
    /// Default value shown in the form.
    pub default: &'static str,
}

const fn f(name: &'static str, label: &'static str, kind: Kind, required: bool) -> FieldSpec {
    FieldSpec { name, label, kind, required, hint: "", default: "" }
}

const fn h(name: &'static str, label: &'static str, kind: Kind, required: bool, hint: &'static str, default: &'static str) -> FieldSpec {
    FieldSpec { name, label, kind, required, hint, default }
}

/// The fields of each action's form, in the order shown. Names are those of
/// `redress_domain::Command`'s JSON form.
pub fn action_fields(action: &str) -> &'static [FieldSpec] {
    use Kind::*;
    match action {
        "accept" => { const F: &[FieldSpec] = &[f("note", "受理意见", TextArea, false)]; F },
        "not_accept" => { const F: &[FieldSpec] = &[h("reason", "不予受理理由", TextArea, true, "写明理由和应当向哪个机关提出（信访工作条例第三十一条）", "")]; F },
        "route" => { const F: &[FieldSpec] = &[
            f("unit", "主办单位", Select("units"), true),
            f("co_units", "协办单位（可多选）", MultiSelect("units"), false),
            f("mode", "方式", Select("modes"), true),
            h("assign_days", "交办期限（天，交办时可填）", Number, false, "不填则按法定期限", ""),
            h("note", "转办意见", TextArea, false, "", "请按规定时限办理并答复信访人"),
        ]; F },
        "return" => { const F: &[FieldSpec] = &[h("reason", "退回理由", TextArea, true, "不属于本单位职责的，应在收到之日起5个工作日内退回", "")]; F },
        "request_extension" => { const F: &[FieldSpec] = &[
            h("days", "延长天数", Number, true, "最多延长30日，须经本单位负责人批准", "30"),
            f("reason", "延期理由", TextArea, true),
        ]; F },
        "reject_extension" | "reject_reply" => { const F: &[FieldSpec] = &[f("reason", "理由", TextArea, true)]; F },
        "submit_reply" => { const F: &[FieldSpec] = &[
            f("decision", "处理结论", Select("decisions"), true),
            f("facts", "查明的事实", TextArea, true),
            f("opinion", "处理意见", TextArea, true),
            h("legal_basis", "法律政策依据", TextArea, true, "写明所依据的法律、法规、规章或政策条款", ""),
        ]; F },
        "follow_up" => { const F: &[FieldSpec] = &[f("satisfaction", "满意度", Select("satisfactions"), true), f("note", "回访情况", TextArea, false)]; F },
        "reopen" => { const F: &[FieldSpec] = &[f("reason", "重新办理的理由", TextArea, true)]; F },
        "close" => { const F: &[FieldSpec] = &[f("note", "办结说明", TextArea, false)]; F },
        "withdraw" => { const F: &[FieldSpec] = &[f("reason", "撤回原因", TextArea, true)]; F },
        "merge" => { const F: &[FieldSpec] = &[h("target", "并入事项（内部编号）", Number, true, "填写另一事项编号末尾的数字，如 XF2026-000123 填 123", ""), f("reason", "合并理由", TextArea, false)]; F },
        "link" => { const F: &[FieldSpec] = &[h("other", "关联事项（内部编号）", Number, true, "填写另一事项编号末尾的数字", ""), f("note", "说明", TextArea, false)]; F },
        "request_review" => { const F: &[FieldSpec] = &[f("reason", "复查请求及理由", TextArea, true)]; F },
        "request_recheck" => { const F: &[FieldSpec] = &[f("reason", "复核请求及理由", TextArea, true)]; F },
        "decide_review" | "decide_recheck" => { const F: &[FieldSpec] = &[f("outcome", "结果", Select("outcomes"), true), f("opinion", "意见", TextArea, true)]; F },
        "supervise" => { const F: &[FieldSpec] = &[
            f("due", "督办期限", Date, true),
            f("note", "督办事项和要求", TextArea, true),
            h("target_unit", "督办对象单位", Select("units"), false, "不选则为当前责任单位", ""),
        ]; F },
        "assign_leader" => { const F: &[FieldSpec] = &[f("leader", "包案领导", Select("leaders"), true)]; F },
        "add_note" => { const F: &[FieldSpec] = &[f("text", "备注内容", TextArea, true)]; F },
        "adopt_suggestion" => { const F: &[FieldSpec] = &[f("note", "采纳的内容和措施", TextArea, true)]; F },
        _ => &[],
    }
}

/// Fields whose JSON value is a number.
pub fn numeric(name: &str) -> bool {
    matches!(name, "unit" | "assign_days" | "days" | "target" | "other" | "target_unit" | "leader")
}

/// Chinese names of the details a history entry shows.
pub fn detail_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "note" => "说明",
        "reason" => "理由",
        "unit" => "责任单位",
        "co_units" => "协办单位",
        "mode" => "方式",
        "decision" => "处理结论",
        "facts" => "查明事实",
        "opinion" => "意见",
        "legal_basis" => "依据",
        "days" => "天数",
        "satisfaction" => "满意度",
        "due" => "期限",
        "text" => "内容",
        "target" => "目标事项",
        "other" => "关联事项",
        "outcome" => "结果",
        "body_name" => "复查复核机关",
        "leader_name" => "包案领导",
        "target_unit" => "督办对象",
        "assign_days" => "交办期限（天）",
        "fields" => "查看字段",
        "purpose" => "用途",
        _ => return None,
    })
}

pub const LOGIN_REQUIRED: &str = "请先登录";
pub const CSRF_FAILED: &str = "页面已过期或来源不明（CSRF 校验失败），请返回刷新后重试。";
pub const SUBMIT_NOTICE: &str = "信访工作机构将在收到之日起15日内决定是否受理，并告知您。";

// ----- routine duties of issue 6: 零报告, 矛盾纠纷排查, 考核 -----
pub const NIL_FILED: &str = "零报告已报送";
pub const NIL_SETTINGS_ADMIN_ONLY: &str = "零报告报送频次仅限系统管理员设置";
pub const NIL_FREQUENCY_INVALID: &str = "报送频次应为每日报送、每周报送或不报送";
pub const SAVED: &str = "已保存。";
pub const PEOPLE_COUNT_INVALID: &str = "涉及人数应为数字";
pub const CAMPAIGN_RETURN_FILED: &str = "排查反馈已提交。";
pub const FINDING_TO_CASE: &str = "已转为信访事项：";
pub const FINDING_TO_MEDIATION: &str = "已转人民调解。";
pub const CAMPAIGN_CLOSED: &str = "排查活动已结束。";
pub const UNKNOWN_OP: &str = "未知操作";
pub const WEIGHT_NOT_A_NUMBER: &str = "权重应为数字";

// ----- people's mediation (issue 7) -----
pub const MEDIATION_REFUSAL_REASON: &str = "勾选了“当事人明确拒绝调解”，请写明拒绝的情况";
pub const MEDIATION_UNKNOWN_STEP: &str = "未知的办理事项";
pub const MEDIATION_SAVED: &str = "已保存。";
pub const MEDIATION_COMMITTEE_SAVED: &str = "已登记调解委员会：";
pub const MEDIATION_MEDIATOR_SAVED: &str = "已登记调解员：";
pub const MEDIATION_ENABLED: &str = "已启用：";
pub const MEDIATION_DISABLED: &str = "已停用：";

// ----- social stability risk assessment (issue 7) -----
pub const ASSESSMENT_NUMBER: &str = "请填写数字";
pub const CONSULTATION_THANKS: &str = "感谢您参与意见征集，您的意见已收到。";
pub const ASSESSMENT_PROJECT_SAVED: &str = "已保存稳评事项：";
