//! The register of projects under social stability risk assessment (稳评), kept as an
//! administrator-edited document like the warning rules, and the grievances linked to each
//! project: cases registered in its towns, of its categories, since its assessment began
//! ([`Project::concerns`]). The early-warning rule kind `project_complaints` counts them.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use redress_domain::assessment::Project;
use redress_domain::{Case, OrgKind, Role, Status};
use redress_store::{CaseQuery, CaseSort, StoreError};
use serde::Serialize;

use crate::views::CaseRow;
use crate::{App, AppError, AppResult, Principal};

const KEY: &str = "assessment_projects";

/// Cases read when looking for a project's complaints (newest first).
const SCAN_LIMIT: usize = 20_000;

/// A project with the grievances linked to it.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectCases {
    pub project: Project,
    /// Linked cases the viewer may see, newest first (at most 200).
    pub cases: Vec<CaseRow>,
    /// All linked cases, whether the viewer may see them or not (a count, no content).
    pub total: usize,
    /// Of them, registered after the decision (全程跟踪督查).
    pub after_decision: usize,
}

impl App {
    /// The register (empty until an administrator fills it).
    pub async fn assessment_projects(&self) -> AppResult<Vec<Project>> {
        match self.store.get_setting(KEY).await? {
            Some(s) => serde_json::from_str(&s).map_err(|e| AppError::Store(StoreError::Corrupt(format!("稳评事项登记数据损坏：{e}")))),
            None => Ok(vec![]),
        }
    }

    /// Replaces the register (administrators only); every entry is checked.
    pub async fn set_assessment_projects(&self, p: &Principal, projects: Vec<Project>) -> AppResult<()> {
        crate::permissions::require_any(p, &[Role::Admin])?;
        let cfg = self.cfg().await?;
        let mut ids = BTreeSet::new();
        for (i, pr) in projects.iter().enumerate() {
            let field = |f: &str| format!("[{i}].{f}");
            pr.validate().map_err(|(f, msg)| AppError::invalid(&field(f), &msg))?;
            if !ids.insert(pr.id.clone()) {
                return Err(AppError::invalid(&field("id"), "编号不能重复"));
            }
            if cfg.tree.get(pr.responsible_unit).is_none() {
                return Err(AppError::invalid(&field("responsible_unit"), "责任单位不存在"));
            }
            if let Some(t) = pr.towns.iter().find(|t| cfg.tree.get(**t).is_none_or(|o| o.kind != OrgKind::Town)) {
                return Err(AppError::invalid(&field("towns"), &format!("#{} 不是本县的乡镇（街道）", t.0)));
            }
        }
        let json = serde_json::to_string(&projects).map_err(|e| AppError::Store(StoreError::Other(e.to_string())))?;
        self.store.put_setting(KEY, &json).await?;
        Ok(())
    }

    /// Cases registered since `from`, newest first (at most [`SCAN_LIMIT`]).
    pub(crate) async fn cases_since(&self, from: DateTime<Utc>) -> AppResult<Vec<Case>> {
        let mut out = vec![];
        let mut offset = 0;
        loop {
            let q = CaseQuery { registered_from: Some(from), sort: CaseSort::RegisteredDesc, limit: 500, offset, skip_total: true, ..Default::default() };
            let page = self.store.list_cases(&q).await?;
            let n = page.items.len();
            out.extend(page.items);
            if n < 500 || out.len() >= SCAN_LIMIT {
                return Ok(out);
            }
            offset += 500;
        }
    }

    /// Whether `case` is a complaint about `project` (not merged into another or withdrawn).
    pub(crate) fn concerns(&self, tree: &redress_domain::org::OrgTree, project: &Project, case: &Case) -> bool {
        !matches!(case.status, Status::Merged | Status::Withdrawn)
            && project.concerns(case.matter.location.org.and_then(|o| tree.town_of(o)), case.matter.category.as_deref(), case.registered_at)
    }

    /// The grievances linked to project `id`.
    pub async fn assessment_project_cases(&self, p: &Principal, id: &str) -> AppResult<ProjectCases> {
        let project = self.assessment_projects().await?.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound("稳评事项"))?;
        let cfg = self.cfg().await?;
        let from = redress_domain::end_of_local_day(project.assessment_from) - Duration::days(1);
        let now = self.now();
        let linked: Vec<Case> = self.cases_since(from).await?.into_iter().filter(|c| self.concerns(&cfg.tree, &project, c)).collect();
        let after_decision = project.decided_on.map_or(0, |d| linked.iter().filter(|c| redress_domain::local_date(c.registered_at) > d).count());
        let cases = linked
            .iter()
            .filter(|c| p.may_see(&crate::auth::case_orgs(c)))
            .take(200)
            .map(|c| crate::views::row(&cfg, c, now))
            .collect();
        Ok(ProjectCases { total: linked.len(), after_decision, cases, project })
    }
}
