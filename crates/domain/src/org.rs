//! Organisation tree and roles.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::ids::OrgId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    County,
    Town,
    Department,
    Village,
    Community,
    Grid,
    /// A body outside this deployment (the city level that decides 复核, say).
    External,
}

impl OrgKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            OrgKind::County => "县（区）",
            OrgKind::Town => "乡镇（街道）",
            OrgKind::Department => "部门",
            OrgKind::Village => "村",
            OrgKind::Community => "社区",
            OrgKind::Grid => "网格",
            OrgKind::External => "外部机关",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: OrgId,
    pub parent: Option<OrgId>,
    pub name: String,
    pub kind: OrgKind,
    /// 行政区划代码, optional.
    #[serde(default)]
    pub division_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 登记员: registers, decides acceptance, routes, follows up.
    IntakeClerk,
    /// 承办人
    Handler,
    /// 单位负责人: approves extensions and replies.
    UnitHead,
    /// 督办员
    Supervisor,
    /// 包案领导
    Leader,
    /// 系统管理员
    Admin,
    /// 审计员: reads the history and the access log, never personal data.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::IntakeClerk,
        Role::Handler,
        Role::UnitHead,
        Role::Supervisor,
        Role::Leader,
        Role::Admin,
        Role::Auditor,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::IntakeClerk => "登记员",
            Role::Handler => "承办人",
            Role::UnitHead => "单位负责人",
            Role::Supervisor => "督办员",
            Role::Leader => "包案领导",
            Role::Admin => "系统管理员",
            Role::Auditor => "审计员",
        }
    }

    /// Roles that may ask to see a petitioner's unmasked personal data (each view is recorded).
    pub fn may_unmask_personal_data(self) -> bool {
        matches!(self, Role::IntakeClerk | Role::Handler | Role::UnitHead | Role::Leader | Role::Admin)
    }

    /// Unit roles see their own unit's subtree; office roles see their whole county or town.
    pub fn is_unit_role(self) -> bool {
        matches!(self, Role::Handler | Role::UnitHead)
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| {
            serde_json::to_value(r).ok().and_then(|v| v.as_str().map(|x| x == s)).unwrap_or(false)
                || r.label_zh() == s
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            Role::IntakeClerk => "intake_clerk",
            Role::Handler => "handler",
            Role::UnitHead => "unit_head",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }
}

/// The organisation tree, for subtree and ancestor questions.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    orgs: HashMap<OrgId, Org>,
    children: HashMap<OrgId, Vec<OrgId>>,
}

impl OrgTree {
    pub fn new(orgs: impl IntoIterator<Item = Org>) -> OrgTree {
        let mut tree = OrgTree::default();
        for o in orgs {
            if let Some(p) = o.parent {
                tree.children.entry(p).or_default().push(o.id);
            }
            tree.orgs.insert(o.id, o);
        }
        for v in tree.children.values_mut() {
            v.sort();
        }
        tree
    }

    pub fn get(&self, id: OrgId) -> Option<&Org> {
        self.orgs.get(&id)
    }

    pub fn all(&self) -> impl Iterator<Item = &Org> {
        self.orgs.values()
    }

    /// The org and everything below it.
    pub fn subtree(&self, root: OrgId) -> Vec<OrgId> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            out.push(id);
            if let Some(ch) = self.children.get(&id) {
                stack.extend(ch.iter().copied());
            }
        }
        out.sort();
        out
    }

    /// Ancestors from the parent upwards (excluding `id`).
    pub fn ancestors(&self, id: OrgId) -> Vec<OrgId> {
        let mut out = Vec::new();
        let mut cur = self.orgs.get(&id).and_then(|o| o.parent);
        while let Some(p) = cur {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            cur = self.orgs.get(&p).and_then(|o| o.parent);
        }
        out
    }

    pub fn is_within(&self, id: OrgId, root: OrgId) -> bool {
        id == root || self.ancestors(id).contains(&root)
    }

    /// The nearest county or town at or above `id`: an office's area of responsibility.
    pub fn area_of(&self, id: OrgId) -> OrgId {
        std::iter::once(id)
            .chain(self.ancestors(id))
            .find(|o| matches!(self.orgs.get(o).map(|x| x.kind), Some(OrgKind::County | OrgKind::Town)))
            .unwrap_or(id)
    }

    /// The level that decides an appeal against `unit`'s handling (Art. 35: the administrative
    /// body one level up): the parent of the nearest town, department or county at or above it.
    pub fn level_above(&self, unit: OrgId) -> Option<OrgId> {
        let body = std::iter::once(unit).chain(self.ancestors(unit)).find(|o| {
            matches!(self.orgs.get(o).map(|x| x.kind), Some(OrgKind::Town | OrgKind::Department | OrgKind::County))
        })?;
        self.get(body).and_then(|o| o.parent)
    }

    /// The town (or county) a case located at `org` belongs to, for statistics by place.
    pub fn town_of(&self, id: OrgId) -> Option<OrgId> {
        std::iter::once(id)
            .chain(self.ancestors(id))
            .find(|o| matches!(self.orgs.get(o).map(|x| x.kind), Some(OrgKind::Town)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, parent: Option<i64>, kind: OrgKind) -> Org {
        Org { id: OrgId(id), parent: parent.map(OrgId), name: format!("o{id}"), kind, division_code: None }
    }

    fn tree() -> OrgTree {
        OrgTree::new([
            org(1, None, OrgKind::County),
            org(2, Some(1), OrgKind::Department),
            org(3, Some(1), OrgKind::Town),
            org(4, Some(3), OrgKind::Village),
            org(5, Some(4), OrgKind::Grid),
        ])
    }

    #[test]
    fn subtree_contains_descendants_only() {
        let t = tree();
        assert_eq!(t.subtree(OrgId(3)), vec![OrgId(3), OrgId(4), OrgId(5)]);
        assert!(t.is_within(OrgId(5), OrgId(1)));
        assert!(!t.is_within(OrgId(2), OrgId(3)));
    }

    #[test]
    fn area_is_nearest_town_or_county() {
        let t = tree();
        assert_eq!(t.area_of(OrgId(5)), OrgId(3));
        assert_eq!(t.area_of(OrgId(2)), OrgId(1));
        assert_eq!(t.town_of(OrgId(5)), Some(OrgId(3)));
        assert_eq!(t.level_above(OrgId(4)), Some(OrgId(1)));
        assert_eq!(t.level_above(OrgId(2)), Some(OrgId(1)));
        assert_eq!(t.level_above(OrgId(1)), None);
    }

    #[test]
    fn roles_parse_by_key_and_chinese_label() {
        assert_eq!(Role::parse("unit_head"), Some(Role::UnitHead));
        assert_eq!(Role::parse("登记员"), Some(Role::IntakeClerk));
        assert_eq!(Role::parse("nobody"), None);
    }
}
