//! The monthly analysis report (信访工作月度分析报告): the month's figures against the month
//! before, the categories and places with most matters, the units with most overdue cases, the
//! warnings and their dispositions, and suggestions that follow from the figures — written as
//! the paragraphs an office sends, from data only. Rendered by `documents::{html, docx}`.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use redress_domain::local_date;

use crate::auth::Principal;
use crate::dashboard::{Dashboard, DashboardFilter, Row};
use crate::documents::{Block, DocKind, Document};
use crate::error::{AppError, AppResult};
use crate::figures;
use crate::App;

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x}%")).unwrap_or_else(|| "暂无数据".into())
}

fn share(n: i64, of: i64) -> String {
    figures::percent(n, of).map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())
}

fn list(rows: &[Row], n: usize, total: i64, what: impl Fn(&Row) -> i64) -> String {
    rows.iter()
        .filter(|r| what(r) > 0 && r.key != "0" && !r.key.is_empty())
        .take(n)
        .map(|r| format!("{}（{}件，占{}）", r.label, what(r), share(what(r), total)))
        .collect::<Vec<_>>()
        .join("、")
}

fn change(now: i64, before: i64) -> String {
    match now.cmp(&before) {
        std::cmp::Ordering::Equal => "与上月持平".into(),
        std::cmp::Ordering::Greater => format!("较上月增加{}件（{}）", now - before, share(now - before, before).replace('—', "上月无登记")),
        std::cmp::Ordering::Less => format!("较上月减少{}件（{}）", before - now, share(before - now, before)),
    }
}

/// The report's text from the month's dashboard, the month before and the warnings (pure).
pub fn write(month: NaiveDate, d: &Dashboard, prev: &Dashboard, warnings: &[crate::warnings::Warning], issuer: &str, today: NaiveDate) -> Document {
    let t = &d.totals;
    let ym = format!("{}年{}月", month.year(), month.month());
    let text = |s: String| Block::Text { text: s };
    let heading = |s: &str| Block::Heading { text: s.to_string() };
    let mut b = vec![heading("一、总体情况")];
    b.push(text(format!(
        "{ym}，{}共登记信访事项{}件，{}；受理{}件，办结{}件，办结率{}，按期办结率{}，满意率{}，平均办理{}。截至报告生成时，仍有{}件事项超过办理期限未办结。",
        d.scope_label,
        t.received,
        change(t.received, prev.totals.received),
        t.accepted,
        t.closed,
        pct(t.closed_rate()),
        pct(t.on_time_rate()),
        pct(t.satisfied_rate()),
        t.avg_days().map(|v| format!("{v}天")).unwrap_or_else(|| "天数暂无数据".into()),
        t.overdue
    )));
    let channels = list(&d.by_channel, 4, t.received, |r| r.m.received);
    if !channels.is_empty() {
        b.push(text(format!("从来源看，{channels}。")));
    }
    b.push(heading("二、反映的主要问题"));
    let cats = list(&d.by_category, 5, t.received, |r| r.m.received);
    b.push(text(if cats.is_empty() { "本月无登记事项。".into() } else { format!("群众反映较多的问题依次为：{cats}。") }));
    b.push(heading("三、事项集中的地方"));
    let towns = list(&d.by_town, 5, t.received, |r| r.m.received);
    b.push(text(if towns.is_empty() { "本月登记事项未标注所在乡镇（街道）。".into() } else { format!("事项较集中的乡镇（街道）为：{towns}。") }));
    b.push(heading("四、超期未办结的单位"));
    let mut overdue_units: Vec<&Row> = d.by_unit.iter().filter(|r| r.m.overdue > 0 && r.key != "0").collect();
    overdue_units.sort_by(|a, b| b.m.overdue.cmp(&a.m.overdue).then(a.label.cmp(&b.label)));
    b.push(text(if overdue_units.is_empty() {
        "截至报告生成时，各责任单位均无超期事项。".into()
    } else {
        format!(
            "截至报告生成时，超期事项较多的单位为：{}。请相关单位抓紧办理，逾期未办结的由县信访局督办。",
            overdue_units.iter().take(5).map(|r| format!("{}（{}件）", r.label, r.m.overdue)).collect::<Vec<_>>().join("、")
        )
    }));
    b.push(heading("五、预警及处置情况"));
    if warnings.is_empty() {
        b.push(text("本月未发出预警。".into()));
    } else {
        let count = |l: crate::warnings::Level| warnings.iter().filter(|w| w.level == l).count();
        let disposed: Vec<_> = warnings.iter().filter(|w| w.status == "disposed").collect();
        b.push(text(format!(
            "本月共发出预警{}条（按当前级别：红色{}条、黄色{}条、蓝色{}条），已处置{}条，尚未处置{}条。",
            warnings.len(),
            count(crate::warnings::Level::Red),
            count(crate::warnings::Level::Yellow),
            count(crate::warnings::Level::Blue),
            disposed.len(),
            warnings.len() - disposed.len()
        )));
        for w in warnings.iter().take(8) {
            let how = match (&w.disposition, w.status.as_str()) {
                (Some(d), _) => format!("处置情况：{d}"),
                (None, "acknowledged") => "已签收，正在处置".into(),
                _ => "尚未签收".into(),
            };
            b.push(Block::Field { label: w.level.label_zh().into(), value: format!("{}。{}", w.title, how) });
        }
    }
    b.push(heading("六、工作建议"));
    let mut advice = vec![];
    if let Some(top) = d.by_category.iter().find(|r| r.m.received > 0 && !r.key.is_empty()) {
        advice.push(format!("针对“{}”类问题反映集中的情况，建议主管部门开展专项排查，从源头上减少同类事项。", top.label));
    }
    if t.on_time_rate().is_some_and(|r| r < 90.0) || t.overdue > 0 {
        advice.push(format!("按期办结率为{}，当前超期{}件，建议对超期较多的单位挂牌督办，并纳入月度考核。", pct(t.on_time_rate()), t.overdue));
    }
    if t.satisfied_rate().is_some_and(|r| r < 85.0) {
        advice.push(format!("满意率为{}，建议对不满意事项逐件回访，查找办理中的问题。", pct(t.satisfied_rate())));
    }
    if advice.is_empty() {
        advice.push("各项指标平稳，建议保持现有工作机制，继续做好源头预防和矛盾纠纷排查化解。".into());
    }
    for (i, a) in advice.into_iter().enumerate() {
        b.push(text(format!("（{}）{a}", ["一", "二", "三", "四"][i.min(3)])));
    }
    b.push(text(format!("附：指标定义。{}；{}；{}。", figures::CLOSED_RATE.definition, figures::ON_TIME_RATE.definition, figures::SATISFIED_RATE.definition)));
    Document {
        kind: DocKind::AnalysisReport,
        title: format!("{ym}信访工作分析报告"),
        number: format!("析字〔{}〕第{}号", month.year(), month.month()),
        addressee: "县委、县政府，各乡镇（街道）、县直各单位".into(),
        blocks: b,
        issuer: issuer.to_string(),
        date: today,
        case_number: ym.clone(),
        footer: format!("统计范围：{}，按登记日期（北京时间）；数据生成于{}", d.scope_label, crate::documents::date_zh(today)),
        file_stem: format!("信访工作分析报告-{}-{:02}", month.year(), month.month()),
    }
}

impl App {
    /// The monthly analysis report for `month` (`yyyy-mm`, default: last month) within `p`'s scope.
    pub async fn monthly_report(self: &Arc<Self>, p: &Principal, month: &str) -> AppResult<Document> {
        let today = local_date(self.now());
        let first = if month.trim().is_empty() {
            let this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("date");
            this.pred_opt().map(|d| NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("date")).expect("date")
        } else {
            NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").map_err(|_| AppError::invalid("month", "月份格式应为 2026-03"))?
        };
        let prev = first.pred_opt().expect("date");
        let m = |d: NaiveDate| format!("{:04}-{:02}", d.year(), d.month());
        let d = self.dashboard(p, &DashboardFilter { from: m(first), to: m(first), ..Default::default() }).await?;
        let before = self.dashboard(p, &DashboardFilter { from: m(prev), to: m(prev), ..Default::default() }).await?;
        let next = first.checked_add_months(chrono::Months::new(1)).expect("date");
        let warnings: Vec<_> = self
            .warnings_for(p, false, 1000)
            .await?
            .into_iter()
            .filter(|w| {
                let day = local_date(w.raised_at);
                day >= first && day < next
            })
            .collect();
        let cfg = self.cfg().await?;
        let issuer = cfg
            .tree
            .all()
            .find(|o| o.name.contains("信访"))
            .or_else(|| cfg.tree.all().find(|o| o.parent.is_none()))
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let mut doc = write(first, &d, &before, &warnings, &issuer, today);
        // Charts (issue 6): the twelve months to this one, and the main categories against last month.
        let year_ago = first.checked_sub_months(chrono::Months::new(11)).expect("date");
        let trend = self.dashboard(p, &DashboardFilter { from: m(year_ago), to: m(first), ..Default::default() }).await?;
        add_charts(&mut doc, &trend, &d, &before);
        Ok(doc)
    }
}

/// Puts a line chart of the twelve months' registered and concluded matters after the first
/// section, and a bar chart of the month's main categories against the month before after the
/// second (pure).
pub fn add_charts(doc: &mut Document, trend: &Dashboard, d: &Dashboard, before: &Dashboard) {
    use crate::documents::chart::{Chart, ChartKind, Series};
    let months: Vec<&Row> = trend.months.iter().collect();
    let line = Chart {
        title: "近十二个月登记和办结件数".into(),
        kind: ChartKind::Line,
        unit: "件".into(),
        categories: months.iter().map(|r| r.key.get(2..).unwrap_or(&r.key).replace('-', "年") + "月").collect(),
        series: vec![
            Series { name: "登记".into(), values: months.iter().map(|r| r.m.received).collect() },
            Series { name: "办结".into(), values: months.iter().map(|r| r.m.closed).collect() },
        ],
    };
    let top: Vec<&Row> = d.by_category.iter().filter(|r| !r.key.is_empty() && r.m.received > 0).take(6).collect();
    let prev = |key: &str| before.by_category.iter().find(|r| r.key == key).map_or(0, |r| r.m.received);
    let bar = Chart {
        title: "主要问题类别：本月与上月".into(),
        kind: ChartKind::Bar,
        unit: "件".into(),
        categories: top.iter().map(|r| r.label.clone()).collect(),
        series: vec![
            Series { name: "本月".into(), values: top.iter().map(|r| r.m.received).collect() },
            Series { name: "上月".into(), values: top.iter().map(|r| prev(&r.key)).collect() },
        ],
    };
    let at = |heading: &str, blocks: &[Block]| blocks.iter().position(|b| matches!(b, Block::Heading { text } if text == heading));
    if let Some(i) = at("二、反映的主要问题", &doc.blocks) {
        doc.blocks.insert(i, Block::Chart { chart: line });
    }
    if !top.is_empty() {
        if let Some(i) = at("三、事项集中的地方", &doc.blocks) {
            doc.blocks.insert(i, Block::Chart { chart: bar });
        }
    }
}
