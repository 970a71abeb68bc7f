//! Unit scorecards (考核) per month, from the dashboard's figures with configurable weights.
//!
//! A unit's score is the weighted mean of its 办结率, 按期办结率 and 满意率 (a rate with nothing
//! to divide by leaves its weight out), minus a penalty per case overdue now, floored at 0.
//! The weights are a setting (`scorecard_weights`) an administrator changes.

use std::sync::Arc;

use redress_domain::Role;
use redress_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::dashboard::{DashboardFilter, Row};
use crate::error::{AppError, AppResult};
use crate::figures;
use crate::App;

const WEIGHTS_KEY: &str = "scorecard_weights";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub closed_rate: f64,
    pub on_time_rate: f64,
    pub satisfied_rate: f64,
    /// Points taken off per case overdue now.
    pub overdue_penalty: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights { closed_rate: 30.0, on_time_rate: 30.0, satisfied_rate: 40.0, overdue_penalty: 1.0 }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoreRow {
    pub rank: usize,
    pub unit: String,
    pub unit_name: String,
    pub received: i64,
    pub closed_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub satisfied_rate: Option<f64>,
    pub overdue: i64,
    /// 0–100, one decimal; `None` when the unit has no rate at all.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub month: String,
    pub weights: Weights,
    pub definition: String,
    pub rows: Vec<ScoreRow>,
}

/// The score of one unit's figures (pure; tested below).
pub fn score(w: &Weights, closed: Option<f64>, on_time: Option<f64>, satisfied: Option<f64>, overdue: i64) -> Option<f64> {
    let parts = [(w.closed_rate, closed), (w.on_time_rate, on_time), (w.satisfied_rate, satisfied)];
    let weight: f64 = parts.iter().filter(|(_, v)| v.is_some()).map(|(w, _)| w).sum();
    if weight <= 0.0 {
        return None;
    }
    let mean = parts.iter().filter_map(|(w, v)| v.map(|v| w * v)).sum::<f64>() / weight;
    Some(((mean - w.overdue_penalty * overdue as f64).max(0.0) * 10.0).round() / 10.0)
}

impl App {
    pub async fn scorecard_weights(&self) -> AppResult<Weights> {
        match self.store.get_setting(WEIGHTS_KEY).await? {
            Some(s) => serde_json::from_str(&s).map_err(|e| AppError::Store(StoreError::Corrupt(format!("考核权重数据损坏：{e}")))),
            None => Ok(Weights::default()),
        }
    }

    pub async fn set_scorecard_weights(&self, p: &Principal, w: Weights) -> AppResult<()> {
        crate::permissions::require_any(p, &[Role::Admin])?;
        for (field, v) in [("closed_rate", w.closed_rate), ("on_time_rate", w.on_time_rate), ("satisfied_rate", w.satisfied_rate), ("overdue_penalty", w.overdue_penalty)] {
            if !(0.0..=100.0).contains(&v) || v.is_nan() {
                return Err(AppError::invalid(field, "权重应在0至100之间"));
            }
        }
        if w.closed_rate + w.on_time_rate + w.satisfied_rate <= 0.0 {
            return Err(AppError::invalid("closed_rate", "三项比率的权重不能都为0"));
        }
        let json = serde_json::to_string(&w).map_err(|e| AppError::Store(StoreError::Other(e.to_string())))?;
        self.store.put_setting(WEIGHTS_KEY, &json).await?;
        Ok(())
    }

    /// The units' scorecard for one month (`yyyy-mm`), best first, within what `p` may see.
    pub async fn scorecard(self: &Arc<Self>, p: &Principal, month: &str) -> AppResult<Scorecard> {
        let weights = self.scorecard_weights().await?;
        let d = self.dashboard(p, &DashboardFilter { from: month.into(), to: month.into(), ..Default::default() }).await?;
        let mut rows: Vec<ScoreRow> = d
            .by_unit
            .iter()
            .filter(|r: &&Row| r.key != "0")
            .map(|r| ScoreRow {
                rank: 0,
                unit: r.key.clone(),
                unit_name: r.label.clone(),
                received: r.m.received,
                closed_rate: r.closed_rate,
                on_time_rate: r.on_time_rate,
                satisfied_rate: r.satisfied_rate,
                overdue: r.m.overdue,
                score: score(&weights, r.closed_rate, r.on_time_rate, r.satisfied_rate, r.m.overdue),
            })
            .collect();
        rows.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(a.unit_name.cmp(&b.unit_name)));
        for (i, r) in rows.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        let definition = format!(
            "考核得分 = （{}×{} + {}×{} + {}×{}）÷ 参与计算的权重之和 − {}×当前超期件数，最低为0；无数据的比率不计入。{}；{}；{}",
            figures::CLOSED_RATE.label, weights.closed_rate, figures::ON_TIME_RATE.label, weights.on_time_rate,
            figures::SATISFIED_RATE.label, weights.satisfied_rate, weights.overdue_penalty,
            figures::CLOSED_RATE.definition, figures::ON_TIME_RATE.definition, figures::SATISFIED_RATE.definition
        );
        Ok(Scorecard { month: d.filter.from, weights, definition, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_the_weighted_mean_of_known_rates_less_the_overdue_penalty() {
        let w = Weights::default();
        assert_eq!(score(&w, Some(100.0), Some(100.0), Some(50.0), 0), Some(80.0));
        assert_eq!(score(&w, Some(100.0), None, None, 3), Some(97.0), "only 办结率 known");
        assert_eq!(score(&w, None, None, None, 0), None);
        assert_eq!(score(&w, Some(10.0), Some(10.0), Some(10.0), 50), Some(0.0), "floored at 0");
    }
}
