//! The dashboard (指挥中心): counts and rates by period, unit, town, category and channel,
//! monthly trends, top categories and places, and the cases behind every figure.
//!
//! One aggregate read ([`Store::fact_groups`](redress_store::Store::fact_groups): the rollup of
//! case facts, grouped by month × category × status × unit × town × channel) plus one count of
//! overdue cases; every breakdown is folded from those rows in memory, so the page costs what
//! the number of groups costs, not the number of cases. Definitions: [`crate::figures`].
//!
//! Scope: a county-level office sees the county; a town office the matters located in its
//! town; a unit the cases it is responsible for (its subtree).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, DateTime, NaiveDate, Utc};
use redress_domain::{Channel, OrgId, Status};
use redress_store::{FactGroup, FactQuery};
use serde::Serialize;

use crate::auth::Principal;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::figures::{self, percent, Figure};
use crate::views::{self, CaseRow};
use crate::App;

/// What the dashboard is asked for. Months are `yyyy-mm`; empty strings mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct DashboardFilter {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub unit: Option<i64>,
    #[serde(default)]
    pub town: Option<i64>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
}

/// Sums behind the figures of one slice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Measures {
    pub received: i64,
    pub accepted: i64,
    pub closed: i64,
    pub timed: i64,
    pub on_time: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub handled: i64,
    pub handling_days: i64,
    pub overdue: i64,
}

impl Measures {
    fn add(&mut self, g: &FactGroup) {
        self.received += g.cases;
        if g.status.is_some_and(figures::is_accepted) {
            self.accepted += g.cases;
        }
        if g.status.is_some_and(figures::is_closed) {
            self.closed += g.cases;
        }
        self.timed += g.timed;
        self.on_time += g.on_time;
        self.rated += g.rated;
        self.satisfied += g.satisfied;
        self.handled += g.handled;
        self.handling_days += g.handling_days;
    }

    pub fn closed_rate(&self) -> Option<f64> {
        percent(self.closed, self.accepted)
    }
    pub fn on_time_rate(&self) -> Option<f64> {
        percent(self.on_time, self.timed)
    }
    pub fn satisfied_rate(&self) -> Option<f64> {
        percent(self.satisfied, self.rated)
    }
    pub fn avg_days(&self) -> Option<f64> {
        (self.handled > 0).then(|| (self.handling_days as f64 * 10.0 / self.handled as f64).round() / 10.0)
    }
}

/// One figure with its value and, for counts, the filter that lists its cases.
#[derive(Debug, Clone, Serialize)]
pub struct FigureValue {
    #[serde(flatten)]
    pub figure: Figure,
    pub value: Option<f64>,
    /// Query string (without `?`) of the cases behind the figure, when it is a count.
    pub drill: Option<String>,
}

/// One row of a breakdown (by unit, town, category, channel or month).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Id, code or `yyyy-mm`.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub m: Measures,
    pub closed_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub satisfied_rate: Option<f64>,
    pub avg_days: Option<f64>,
    /// Query string of this row's received cases.
    pub drill: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The filter as applied (months filled in).
    pub filter: DashboardFilter,
    pub scope_label: String,
    pub figures: Vec<FigureValue>,
    pub totals: Measures,
    pub months: Vec<Row>,
    pub by_unit: Vec<Row>,
    pub by_town: Vec<Row>,
    pub by_category: Vec<Row>,
    pub by_channel: Vec<Row>,
    pub by_status: Vec<Row>,
    pub as_of: DateTime<Utc>,
}

/// `yyyy-mm` → `yyyymm`.
fn parse_month(field: &str, s: &str) -> AppResult<Option<i32>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "月份格式应为 2026-01"))?;
    Ok(Some(d.year() * 100 + d.month() as i32))
}

fn month_str(m: i32) -> String {
    format!("{:04}-{:02}", m / 100, m % 100)
}

fn next_month(m: i32) -> i32 {
    if m % 100 == 12 {
        (m / 100 + 1) * 100 + 1
    } else {
        m + 1
    }
}

/// The first and last local dates of a month range.
fn month_dates(from: i32, to: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(from / 100, (from % 100) as u32, 1).expect("valid month");
    let n = next_month(to);
    let last = NaiveDate::from_ymd_opt(n / 100, (n % 100) as u32, 1).expect("valid month").pred_opt().expect("date");
    (first, last)
}

/// A resolved filter: the store query and the filter echoed back.
pub struct Resolved {
    pub query: FactQuery,
    pub filter: DashboardFilter,
    pub scope_label: String,
}

impl App {
    /// Turns the request into a store query within what `p` may see.
    pub fn resolve_dashboard(&self, cfg: &Config, p: &Principal, f: &DashboardFilter) -> AppResult<Resolved> {
        let now_month = {
            let d = redress_domain::local_date(self.now());
            d.year() * 100 + d.month() as i32
        };
        let to = parse_month("to", &f.to)?.unwrap_or(now_month);
        let from = match parse_month("from", &f.from)? {
            Some(m) => m,
            // The twelve months up to `to`.
            None => if to % 100 == 12 { to - 11 } else { (to / 100 - 1) * 100 + to % 100 + 1 },
        };
        if from > to {
            return Err(AppError::invalid("from", "开始月份不能晚于结束月份"));
        }
        if (to / 100 - from / 100) * 12 + (to % 100 - from % 100) >= 120 {
            return Err(AppError::invalid("from", "统计期最长十年"));
        }
        let channel = match f.channel.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(Channel::parse(c).ok_or_else(|| AppError::invalid("channel", "未知的来源渠道"))?),
            None => None,
        };
        let category = f.category.clone().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        // Scope by role: offices see their area, units their subtree.
        let tree = &cfg.tree;
        let office = p.user.roles.iter().any(|r| !r.is_unit_role());
        let (mut units, mut towns, scope_label): (Option<Vec<i64>>, Option<Vec<i64>>, String) = match &p.visible {
            None => (None, None, "全县".into()),
            Some(_) if office => {
                let area = tree.area_of(p.user.org_id);
                (None, Some(vec![area.0]), tree.get(area).map(|o| o.name.clone()).unwrap_or_default())
            }
            Some(_) => (
                Some(tree.subtree(p.user.org_id).iter().map(|o| o.0).collect()),
                None,
                tree.get(p.user.org_id).map(|o| o.name.clone()).unwrap_or_default(),
            ),
        };
        if let Some(u) = f.unit {
            let want: Vec<i64> = tree.subtree(OrgId(u)).iter().map(|o| o.0).collect();
            units = Some(match units {
                Some(have) => want.into_iter().filter(|x| have.contains(x)).collect(),
                None => want,
            });
        }
        if let Some(t) = f.town {
            towns = Some(match towns {
                Some(have) => have.into_iter().filter(|x| *x == t).collect(),
                None => vec![t],
            });
        }
        Ok(Resolved {
            query: FactQuery { month_from: from, month_to: to, units, towns, category: category.clone(), channel, demo: None, statuses: None },
            filter: DashboardFilter {
                from: month_str(from),
                to: month_str(to),
                unit: f.unit,
                town: f.town,
                category,
                channel: channel.map(|c| c.key().to_string()),
            },
            scope_label,
        })
    }

    /// The dashboard for `p` under filter `f`.
    pub async fn dashboard(self: &Arc<Self>, p: &Principal, f: &DashboardFilter) -> AppResult<Dashboard> {
        let cfg = self.cfg().await?;
        let r = self.resolve_dashboard(&cfg, p, f)?;
        let now = self.now();
        let q = &r.query;
        // The whole county, a town or a unit subtree without other filters: one row per
        // dimension value, month and status (kept within each town and unit too).
        let (source, overdue) = if q.dims_apply() {
            let (d, o) = tokio::try_join!(self.store.fact_dims(q), self.store.overdue_groups(q, now))?;
            (Source::Dims(d), o)
        } else {
            let (g, o) = tokio::try_join!(self.store.fact_groups(q), self.store.overdue_groups(q, now))?;
            (Source::Groups(g), o)
        };
        let mut d = assemble(&cfg, &r, &source, &overdue, now);
        // 重复信访率 from the similar-case index when it is loaded and the filter is one it knows
        // (it does not record the channel).
        if r.query.channel.is_none() {
            let (first, last) = month_dates(r.query.month_from, r.query.month_to);
            let q = r.query.clone();
            let keep = move |x: &redress_text::similar::Facts| {
                q.units.as_ref().is_none_or(|u| x.unit.is_some_and(|v| u.contains(&(v as i64))))
                    && q.towns.as_ref().is_none_or(|t| x.area.is_some_and(|v| t.contains(&(v as i64))))
                    && q.category.as_ref().is_none_or(|c| {
                        x.category.is_some_and(|v| v == c || v.strip_prefix(c.as_str()).is_some_and(|rest| rest.starts_with('.')))
                    })
            };
            if let Some((cases, repeats)) = self.repeat_counts_now(p, first, last, keep) {
                if let Some(fv) = d.figures.iter_mut().find(|x| x.figure.key == figures::REPEAT_RATE.key) {
                    fv.value = percent(repeats as i64, cases as i64);
                }
            }
        }
        // 调处成功率 from the mediation module: disputes of the scope registered in the period
        // (disputes have no unit, category or channel: the figure is left out under those filters).
        if r.query.channel.is_none() && r.query.category.is_none() && r.query.units.is_none() {
            let (first, last) = month_dates(r.query.month_from, r.query.month_to);
            let towns = r.query.towns.clone();
            let within = |org: OrgId| towns.as_ref().is_none_or(|t| t.iter().any(|town| cfg.tree.is_within(org, OrgId(*town))));
            let (agreed, concluded) = self.mediation_counts(p, first, last, within).await?;
            if let Some(fv) = d.figures.iter_mut().find(|x| x.figure.key == figures::MEDIATION_RATE.key) {
                fv.value = percent(agreed as i64, concluded as i64);
            }
        }
        Ok(d)
    }

    /// The cases behind a figure (`figure`: received, accepted, closed or overdue), newest
    /// first, 50 a page, with the total.
    pub async fn dashboard_cases(&self, p: &Principal, f: &DashboardFilter, figure: &str, page: u32) -> AppResult<(Vec<CaseRow>, i64)> {
        let cfg = self.cfg().await?;
        let mut r = self.resolve_dashboard(&cfg, p, f)?;
        let overdue_at = match figure {
            "received" | "" => None,
            "accepted" | "closed" => {
                r.query.statuses = figures::statuses_of(figure);
                None
            }
            "overdue" => Some(self.now()),
            _ => return Err(AppError::invalid("figure", "该指标没有对应的事项清单")),
        };
        const PAGE: u32 = 50;
        let (ids, total) = self.store.fact_case_ids(&r.query, overdue_at, PAGE, page.saturating_sub(1) * PAGE).await?;
        let now = self.now();
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self.store.get_case(id).await? {
                rows.push(views::row(&cfg, &c, now));
            }
        }
        Ok((rows, total))
    }
}

fn query_string(f: &DashboardFilter, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("from", f.from.clone()), ("to", f.to.clone())];
    if let Some(u) = f.unit {
        pairs.push(("unit", u.to_string()));
    }
    if let Some(t) = f.town {
        pairs.push(("town", t.to_string()));
    }
    if let Some(c) = &f.category {
        pairs.push(("category", c.clone()));
    }
    if let Some(c) = &f.channel {
        pairs.push(("channel", c.clone()));
    }
    for (k, v) in extra {
        pairs.retain(|(pk, _)| pk != k);
        pairs.push((k, v.clone()));
    }
    pairs.iter().map(|(k, v)| format!("{k}={}", urlencoding_light(v))).collect::<Vec<_>>().join("&")
}

/// Percent-encodes what a query value may not hold as is.
fn urlencoding_light(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn row(key: String, label: String, m: Measures, drill: String) -> Row {
    Row {
        key,
        label,
        closed_rate: m.closed_rate(),
        on_time_rate: m.on_time_rate(),
        satisfied_rate: m.satisfied_rate(),
        avg_days: m.avg_days(),
        m,
        drill,
    }
}

/// What the store answered: every dimension at once, or one dimension at a time.
pub enum Source {
    Groups(Vec<FactGroup>),
    Dims(Vec<redress_store::DimGroup>),
}

/// Folds the groups into figures and breakdowns (pure; tested below).
pub fn assemble(cfg: &Config, r: &Resolved, source: &Source, overdue: &[FactGroup], now: DateTime<Utc>) -> Dashboard {
    let f = &r.filter;
    let mut totals = Measures::default();
    let mut months: BTreeMap<i32, Measures> = BTreeMap::new();
    let mut units: BTreeMap<i64, Measures> = BTreeMap::new();
    let mut towns: BTreeMap<i64, Measures> = BTreeMap::new();
    let mut cats: BTreeMap<String, Measures> = BTreeMap::new();
    let mut chans: BTreeMap<&'static str, Measures> = BTreeMap::new();
    let mut stats: BTreeMap<&'static str, Measures> = BTreeMap::new();
    let mut m = r.query.month_from;
    while m <= r.query.month_to {
        months.insert(m, Measures::default());
        m = next_month(m);
    }
    match source {
        Source::Groups(groups) => {
            for g in groups {
                totals.add(g);
                months.entry(g.month).or_default().add(g);
                units.entry(g.unit).or_default().add(g);
                towns.entry(g.town).or_default().add(g);
                cats.entry(g.category.clone()).or_default().add(g);
                chans.entry(g.channel.map_or("", |c| c.key())).or_default().add(g);
                stats.entry(g.status.map_or("", |s| s.key())).or_default().add(g);
            }
        }
        Source::Dims(dims) => {
            for d in dims {
                let g = &d.g;
                match d.dim.as_str() {
                    "unit" => units.entry(g.unit).or_default().add(g),
                    "town" => towns.entry(g.town).or_default().add(g),
                    "category" => cats.entry(g.category.clone()).or_default().add(g),
                    // Every case has exactly one channel: the totals come from these rows.
                    _ => {
                        totals.add(g);
                        months.entry(g.month).or_default().add(g);
                        chans.entry(g.channel.map_or("", |c| c.key())).or_default().add(g);
                        stats.entry(g.status.map_or("", |s| s.key())).or_default().add(g);
                    }
                }
            }
        }
    }
    for g in overdue {
        totals.overdue += g.cases;
        units.entry(g.unit).or_default().overdue += g.cases;
        towns.entry(g.town).or_default().overdue += g.cases;
        cats.entry(g.category.clone()).or_default().overdue += g.cases;
        chans.entry(g.channel.map_or("", |c| c.key())).or_default().overdue += g.cases;
    }
    let org_name = |id: i64| if id == 0 { "未指定".to_string() } else { cfg.tree.get(OrgId(id)).map(|o| o.name.clone()).unwrap_or_else(|| format!("#{id}")) };
    let sorted = |mut v: Vec<Row>| {
        v.sort_by(|a, b| (b.m.received, b.m.overdue).cmp(&(a.m.received, a.m.overdue)).then(a.key.cmp(&b.key)));
        v
    };
    let by_unit = sorted(units.into_iter().map(|(id, m)| row(id.to_string(), org_name(id), m, query_string(f, &[("unit", id.to_string())]))).collect());
    let by_town = sorted(towns.into_iter().map(|(id, m)| row(id.to_string(), org_name(id), m, query_string(f, &[("town", id.to_string())]))).collect());
    let by_category = sorted(
        cats.into_iter()
            .map(|(c, m)| {
                let label = if c.is_empty() { "未分类".into() } else { cfg.taxonomy.label(&c).unwrap_or_else(|| c.clone()) };
                row(c.clone(), label, m, query_string(f, &[("category", c)]))
            })
            .collect(),
    );
    let by_channel = sorted(
        chans
            .into_iter()
            .map(|(k, m)| row(k.into(), Channel::parse(k).map_or("未知", |c| c.label_zh()).into(), m, query_string(f, &[("channel", k.into())])))
            .collect(),
    );
    let by_status = sorted(
        stats.into_iter().map(|(k, m)| row(k.into(), Status::parse(k).map_or("未知", |s| s.label_zh()).into(), m, String::new())).collect(),
    );
    let months = months
        .into_iter()
        .map(|(mo, m)| row(month_str(mo), month_str(mo), m, query_string(f, &[("from", month_str(mo)), ("to", month_str(mo))])))
        .collect();
    let count = |fig: Figure, v: i64| FigureValue { figure: fig, value: Some(v as f64), drill: Some(query_string(f, &[("figure", fig.key.into())])) };
    let rate = |fig: Figure, v: Option<f64>| FigureValue { figure: fig, value: v, drill: None };
    let figures = vec![
        count(figures::RECEIVED, totals.received),
        count(figures::ACCEPTED, totals.accepted),
        count(figures::CLOSED, totals.closed),
        rate(figures::CLOSED_RATE, totals.closed_rate()),
        rate(figures::ON_TIME_RATE, totals.on_time_rate()),
        rate(figures::SATISFIED_RATE, totals.satisfied_rate()),
        rate(figures::REPEAT_RATE, None),
        rate(figures::MEDIATION_RATE, None),
        rate(figures::AVG_DAYS, totals.avg_days()),
        count(figures::OVERDUE, totals.overdue),
    ];
    Dashboard {
        filter: f.clone(),
        scope_label: r.scope_label.clone(),
        figures,
        totals,
        months,
        by_unit,
        by_town,
        by_category,
        by_channel,
        by_status,
        as_of: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(month: i32, status: Status, unit: i64, cases: i64) -> FactGroup {
        FactGroup { month, category: "03.02".into(), status: Some(status), unit, town: 5, channel: Some(Channel::Letter), cases, ..Default::default() }
    }

    #[test]
    fn measures_count_accepted_and_closed_by_the_shared_status_sets() {
        let mut m = Measures::default();
        for x in [g(202601, Status::Registered, 1, 2), g(202601, Status::InProgress, 1, 3), g(202601, Status::Closed, 1, 5)] {
            m.add(&x);
        }
        assert_eq!((m.received, m.accepted, m.closed), (10, 8, 5));
        assert_eq!(m.closed_rate(), Some(62.5));
        assert_eq!(m.on_time_rate(), None, "nothing timed: no rate rather than 0");
    }

    #[test]
    fn query_strings_replace_a_filter_and_encode_values() {
        let f = DashboardFilter { from: "2026-01".into(), to: "2026-03".into(), category: Some("03.02".into()), ..Default::default() };
        assert_eq!(query_string(&f, &[("unit", "7".into())]), "from=2026-01&to=2026-03&category=03.02&unit=7");
        assert_eq!(query_string(&f, &[("category", "本地 事项".into())]), "from=2026-01&to=2026-03&category=%E6%9C%AC%E5%9C%B0%20%E4%BA%8B%E9%A1%B9");
    }

    #[test]
    fn month_ranges_span_years() {
        assert_eq!(next_month(202612), 202701);
        assert_eq!(month_dates(202611, 202702), (NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()));
    }
}

impl App {
    /// Writes the facts of every case when some are missing (a database from before the
    /// dashboard): idempotent, a chunk of cases at a time. Returns how many were written.
    pub async fn backfill_facts(&self) -> AppResult<u64> {
        if self.store.count_facts().await? >= self.store.count_cases().await? {
            return Ok(0);
        }
        let cfg = self.cfg().await?;
        let max = self.store.max_case_id().await?.0;
        let mut written = 0u64;
        let mut from = 1i64;
        while from <= max {
            let to = from + 2000;
            let cases = self.store.cases_in_range(redress_domain::CaseId(from), redress_domain::CaseId(to)).await?;
            let facts: Vec<_> = cases.iter().map(|c| (c.id, crate::cases::derived(&cfg, c).facts.expect("facts are always derived"))).collect();
            written += facts.len() as u64;
            self.store.put_facts(facts).await?;
            from = to;
        }
        tracing::info!(cases = written, "case facts backfilled for the dashboard");
        Ok(written)
    }
}
