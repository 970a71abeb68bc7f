//! The annual report (年度信访工作情况报告) with the content 信访工作条例 Art. 39–41 names:
//! the year's statistics, the fields the matters concern, the bodies complained about most,
//! transfers (转送), assignments (交办) and supervision (督办), and the suggestions adopted —
//! written from data as paragraphs in the style of the monthly report, rendered by the same
//! HTML and DOCX writers, and available as JSON with the figures behind the text.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use redress_domain::{china_offset, local_date, Case, MatterType, RoutingMode, Status};
use redress_store::{CaseQuery, CaseSort};
use serde::Serialize;

use crate::auth::Principal;
use crate::dashboard::{Dashboard, DashboardFilter, Row};
use crate::documents::{Block, DocKind, Document};
use crate::error::{AppError, AppResult};
use crate::figures;
use crate::App;

/// What the text is written from (returned as JSON beside the document).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AnnualFacts {
    pub year: i32,
    pub scope_label: String,
    pub received: i64,
    pub received_before: i64,
    pub accepted: i64,
    pub closed: i64,
    pub closed_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub satisfied_rate: Option<f64>,
    pub overdue_now: i64,
    /// (top-level category, cases), most first.
    pub fields: Vec<(String, i64)>,
    /// (unit, cases routed to it), most first.
    pub units: Vec<(String, i64)>,
    pub channels: Vec<(String, i64)>,
    pub forwarded: i64,
    pub assigned: i64,
    pub supervised_cases: i64,
    pub supervisions: i64,
    /// (unit, supervisions addressed to it), most first.
    pub supervised_units: Vec<(String, i64)>,
    pub leader_cases: i64,
    pub suggestions: i64,
    pub suggestions_adopted: i64,
    /// (case number, subject, unit, what was adopted).
    pub adopted: Vec<(String, String, String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnnualReport {
    pub facts: AnnualFacts,
    pub document: Document,
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x}%")).unwrap_or_else(|| "暂无数据".into())
}

fn share(n: i64, of: i64) -> String {
    figures::percent(n, of).map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())
}

fn listing(rows: &[(String, i64)], n: usize, total: i64) -> String {
    rows.iter().filter(|r| r.1 > 0).take(n).map(|(k, v)| format!("{k}（{v}件，占{}）", share(*v, total))).collect::<Vec<_>>().join("、")
}

/// The year's facts from its dashboard, the year before and its cases (pure).
pub fn facts(year: i32, d: &Dashboard, before: &Dashboard, cases: &[Case], cfg: &crate::config::Config) -> AnnualFacts {
    let t = &d.totals;
    let name = |o: Option<redress_domain::OrgId>| o.and_then(|o| cfg.tree.get(o)).map_or_else(|| "未确定单位".to_string(), |o| o.name.clone());
    // Fields: top-level categories.
    let mut fields: BTreeMap<String, i64> = BTreeMap::new();
    for r in d.by_category.iter().filter(|r| !r.key.is_empty() && r.m.received > 0) {
        let top = r.key.split('.').next().unwrap_or(&r.key).to_string();
        let label = cfg.taxonomy.label(&top).unwrap_or_else(|| r.label.split('/').next().unwrap_or(&r.label).to_string());
        *fields.entry(label).or_default() += r.m.received;
    }
    let rows = |v: &[Row]| -> Vec<(String, i64)> { v.iter().filter(|r| r.key != "0" && !r.key.is_empty() && r.m.received > 0).map(|r| (r.label.clone(), r.m.received)).collect() };
    let mut f = AnnualFacts {
        year,
        scope_label: d.scope_label.clone(),
        received: t.received,
        received_before: before.totals.received,
        accepted: t.accepted,
        closed: t.closed,
        closed_rate: t.closed_rate(),
        on_time_rate: t.on_time_rate(),
        satisfied_rate: t.satisfied_rate(),
        overdue_now: t.overdue,
        fields: sorted(fields),
        units: rows(&d.by_unit),
        channels: rows(&d.by_channel),
        ..Default::default()
    };
    f.units.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    f.channels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let in_year = |at: DateTime<Utc>| at.with_timezone(&china_offset()).year() == year;
    let mut sup_units: BTreeMap<String, i64> = BTreeMap::new();
    for c in cases.iter().filter(|c| !matches!(c.status, Status::Merged)) {
        match c.routing_mode {
            Some(RoutingMode::Forward) => f.forwarded += 1,
            Some(RoutingMode::Assign) => f.assigned += 1,
            None => {}
        }
        let sups: Vec<_> = c.supervisions.iter().filter(|s| in_year(s.at)).collect();
        if !sups.is_empty() {
            f.supervised_cases += 1;
        }
        for s in sups {
            f.supervisions += 1;
            *sup_units.entry(name(s.target_unit.or(c.unit))).or_default() += 1;
        }
        if c.leader.is_some() {
            f.leader_cases += 1;
        }
        if c.matter.matter_type == MatterType::Suggestion {
            f.suggestions += 1;
            if let Some(a) = &c.suggestion_adopted {
                f.suggestions_adopted += 1;
                f.adopted.push((c.number(), c.matter.subject.clone(), name(c.unit), a.note.clone()));
            }
        }
    }
    f.supervised_units = sorted(sup_units);
    f
}

fn sorted(m: BTreeMap<String, i64>) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// The report's text (pure).
pub fn write(f: &AnnualFacts, issuer: &str, today: NaiveDate) -> Document {
    let text = |s: String| Block::Text { text: s };
    let heading = |s: &str| Block::Heading { text: s.to_string() };
    let y = f.year;
    let change = match f.received.cmp(&f.received_before) {
        std::cmp::Ordering::Equal => "与上年持平".to_string(),
        std::cmp::Ordering::Greater => format!("较上年增加{}件（{}）", f.received - f.received_before, share(f.received - f.received_before, f.received_before).replace('—', "上年无登记")),
        std::cmp::Ordering::Less => format!("较上年减少{}件（{}）", f.received_before - f.received, share(f.received_before - f.received, f.received_before)),
    };
    let mut b = vec![heading("一、信访事项总体情况")];
    b.push(text(format!(
        "{y}年，{}共登记信访事项{}件，{change}；受理{}件，办结{}件，办结率{}，按期办结率{}，满意率{}。截至报告生成时，仍有{}件事项超过办理期限未办结。",
        f.scope_label, f.received, f.accepted, f.closed, pct(f.closed_rate), pct(f.on_time_rate), pct(f.satisfied_rate), f.overdue_now
    )));
    let ch = listing(&f.channels, 6, f.received);
    if !ch.is_empty() {
        b.push(text(format!("从来源看，{ch}。")));
    }
    b.push(heading("二、信访事项涉及的领域"));
    let fields = listing(&f.fields, 8, f.received);
    b.push(text(if fields.is_empty() { "本年度无已分类的登记事项。".into() } else { format!("按问题类别，信访事项主要涉及：{fields}。") }));
    b.push(heading("三、被反映较多的单位"));
    let units = listing(&f.units, 10, f.received);
    b.push(text(if units.is_empty() { "本年度登记事项尚未转交责任单位。".into() } else { format!("按转交的责任单位统计，事项较多的依次为：{units}。") }));
    b.push(heading("四、转送、交办和督办情况"));
    b.push(text(format!(
        "本年度登记的事项中，转送（转办）{}件、交办{}件；{}件事项被督办，共发出督办{}次；领导包案{}件。",
        f.forwarded, f.assigned, f.supervised_cases, f.supervisions, f.leader_cases
    )));
    if !f.supervised_units.is_empty() {
        b.push(Block::Field {
            label: "督办较多的单位".into(),
            value: f.supervised_units.iter().take(8).map(|(u, n)| format!("{u}（{n}次）")).collect::<Vec<_>>().join("、"),
        });
    }
    b.push(heading("五、建议意见采纳情况"));
    b.push(text(if f.suggestions == 0 {
        "本年度未登记建议意见类事项。".into()
    } else {
        format!("本年度登记建议意见类事项{}件，已采纳{}件，采纳率{}。", f.suggestions, f.suggestions_adopted, share(f.suggestions_adopted, f.suggestions))
    }));
    for (number, subject, unit, note) in f.adopted.iter().take(20) {
        b.push(Block::Field { label: number.clone(), value: format!("{subject}（{unit}）：{note}") });
    }
    b.push(heading("六、下一步工作"));
    let mut next = vec![];
    if let Some((top, _)) = f.fields.first() {
        next.push(format!("针对“{top}”领域信访事项集中的情况，推动主管部门从政策和源头上解决共性问题。"));
    }
    if f.overdue_now > 0 || f.on_time_rate.is_some_and(|r| r < 90.0) {
        next.push(format!("按期办结率为{}，仍有{}件超期事项，继续加强督办，将办理质效纳入考核。", pct(f.on_time_rate), f.overdue_now));
    }
    if f.suggestions > f.suggestions_adopted {
        next.push("对未采纳的建议意见逐件说明理由，合理部分纳入相关工作。".into());
    }
    next.push("坚持和发展新时代“枫桥经验”，常态化开展矛盾纠纷排查化解，做好零报告工作。".into());
    for (i, a) in next.into_iter().enumerate() {
        b.push(text(format!("（{}）{a}", ["一", "二", "三", "四", "五"][i.min(4)])));
    }
    b.push(text(format!("附：指标定义。{}；{}；{}。", figures::CLOSED_RATE.definition, figures::ON_TIME_RATE.definition, figures::SATISFIED_RATE.definition)));
    Document {
        kind: DocKind::AnalysisReport,
        title: format!("{y}年度信访工作情况报告"),
        number: format!("年报〔{y}〕第1号"),
        addressee: "县委、县政府，上级信访工作机构".into(),
        blocks: b,
        issuer: issuer.to_string(),
        date: today,
        case_number: format!("{y}年度"),
        footer: format!("统计范围：{}，按登记日期（北京时间）{y}年1月1日至12月31日；数据生成于{}；依据《信访工作条例》第四十一条", f.scope_label, crate::documents::date_zh(today)),
        file_stem: format!("信访工作情况报告-{y}"),
    }
}

impl App {
    /// The annual report of `year` (default: last year) within `p`'s scope.
    pub async fn annual_report(self: &Arc<Self>, p: &Principal, year: &str) -> AppResult<AnnualReport> {
        let today = local_date(self.now());
        let year: i32 = if year.trim().is_empty() {
            today.year() - 1
        } else {
            match year.trim().parse::<i32>() {
                Ok(y) if (2000..=today.year()).contains(&y) => y,
                _ => return Err(AppError::invalid("year", format!("年份应为2000至{}之间的四位数字", today.year()))),
            }
        };
        let d = self.dashboard(p, &DashboardFilter { from: format!("{year}-01"), to: format!("{year}-12"), ..Default::default() }).await?;
        let before = self.dashboard(p, &DashboardFilter { from: format!("{}-01", year - 1), to: format!("{}-12", year - 1), ..Default::default() }).await?;
        let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("date").and_hms_opt(0, 0, 0).expect("time").and_local_timezone(china_offset()).single().expect("offset").to_utc();
        let end = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("date").and_hms_opt(0, 0, 0).expect("time").and_local_timezone(china_offset()).single().expect("offset").to_utc();
        // The year's cases in the person's scope, a page at a time (transfers, supervision, suggestions).
        let mut cases = vec![];
        let mut offset = 0;
        loop {
            let q = CaseQuery {
                visible_to: p.visible.clone(),
                registered_from: Some(start),
                registered_to: Some(end),
                sort: CaseSort::RegisteredDesc,
                skip_total: true,
                limit: 1000,
                offset,
                ..Default::default()
            };
            let page = self.store.list_cases(&q).await?.items;
            let n = page.len();
            cases.extend(page);
            if n < 1000 || cases.len() >= 500_000 {
                break;
            }
            offset += 1000;
        }
        let cfg = self.cfg().await?;
        let f = facts(year, &d, &before, &cases, &cfg);
        let issuer = cfg.tree.all().find(|o| o.name.contains("信访")).or_else(|| cfg.tree.all().find(|o| o.parent.is_none())).map(|o| o.name.clone()).unwrap_or_default();
        let document = write(&f, &issuer, today);
        Ok(AnnualReport { facts: f, document })
    }
}
