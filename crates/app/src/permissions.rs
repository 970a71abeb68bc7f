//! Who may do what to which case. Checked on the server for every action.

use redress_domain::org::OrgTree;
use redress_domain::{Case, Role};

use crate::auth::{case_orgs, Principal};
use crate::error::{AppError, AppResult};

use Role::*;

/// The roles that may take an action at all.
pub fn roles_for(action: &str) -> &'static [Role] {
    match action {
        "accept" | "not_accept" | "route" | "merge" | "link" | "close" | "archive" | "withdraw" => &[IntakeClerk, Admin],
        "follow_up" => &[IntakeClerk, Admin, Handler, UnitHead],
        "return" | "start_handling" | "request_extension" | "submit_reply" => &[Handler, UnitHead],
        "approve_extension" | "reject_extension" | "approve_reply" | "reject_reply" => &[UnitHead],
        "reopen" => &[IntakeClerk, Admin, UnitHead],
        "request_review" | "request_recheck" => &[IntakeClerk, Admin],
        "decide_review" | "decide_recheck" => &[Leader, UnitHead, Admin],
        "supervise" => &[Supervisor, Leader, Admin],
        "assign_leader" => &[Supervisor, Leader, Admin],
        "add_note" => &[IntakeClerk, Handler, UnitHead, Supervisor, Leader, Admin],
        // Issue 6: a suggestion's adoption is recorded by the unit head or the office.
        "adopt_suggestion" => &[UnitHead, IntakeClerk, Leader, Admin],
        _ => &[],
    }
}

/// Unit actions are for the unit the case is routed to (or its parents).
fn needs_unit(action: &str) -> bool {
    matches!(
        action,
        "return" | "start_handling" | "request_extension" | "submit_reply" | "approve_extension" | "reject_extension"
            | "approve_reply" | "reject_reply"
    )
}

pub fn may_view(p: &Principal, case: &Case) -> AppResult<()> {
    if p.may_see(&case_orgs(case)) {
        Ok(())
    } else {
        Err(AppError::NotFound("事项"))
    }
}

/// May `p` take `action` on `case`? The status check is the domain's; this is about people.
pub fn check(p: &Principal, tree: &OrgTree, action: &str, case: &Case) -> AppResult<()> {
    may_view(p, case)?;
    let roles = roles_for(action);
    if !p.has_any(roles) {
        let names: Vec<&str> = roles.iter().map(|r| r.label_zh()).collect();
        return Err(AppError::forbidden(format!(
            "“{}”须由{}办理",
            redress_domain::transition::action_label(action),
            if names.is_empty() { "授权人员".to_string() } else { names.join("或") }
        )));
    }
    let office = p.has_any(&[Admin, IntakeClerk, Supervisor, Leader]);
    if needs_unit(action) && !p.in_unit(tree, case.unit) && !(p.has(Admin)) {
        return Err(AppError::forbidden("该事项不在本单位办理，不能执行此操作"));
    }
    if matches!(action, "decide_review" | "decide_recheck") && !p.has(Admin) {
        let body = if action == "decide_review" { case.review.as_ref() } else { case.recheck.as_ref() }.and_then(|a| a.body);
        let allowed = match body {
            Some(b) => tree.is_within(p.user.org_id, b) || tree.ancestors(b).contains(&p.user.org_id),
            None => p.has(Leader),
        };
        if !allowed {
            return Err(AppError::forbidden("复查、复核意见应由上一级机关作出"));
        }
    }
    if action == "assign_leader" && p.has(Leader) && !office {
        return Err(AppError::forbidden("领导只能为本人包案"));
    }
    Ok(())
}

/// The actions `p` may take on `case` now: allowed by status and by role.
pub fn available_actions(p: &Principal, tree: &OrgTree, case: &Case) -> Vec<&'static str> {
    case.allowed_actions().into_iter().filter(|a| check(p, tree, a, case).is_ok()).collect()
}

/// For administrative actions: one of these roles, or refused.
pub fn require_any(p: &Principal, roles: &[Role]) -> AppResult<()> {
    if p.has_any(roles) {
        Ok(())
    } else {
        let names: Vec<&str> = roles.iter().map(|r| r.label_zh()).collect();
        Err(AppError::forbidden(format!("此操作仅限{}", names.join("、"))))
    }
}
