//! Demo data of the routine duties (issue 6): the last week of 零报告 with a few missing and one
//! late, and one 矛盾纠纷排查 campaign with returns, findings and a disposition. Only for a demo
//! with cases (`seed_demo_if_empty(n)` with n > 0), so tests start from an empty slate.

use chrono::{Duration, NaiveTime};
use redress_domain::{china_offset, local_date, OrgId};
use redress_store::NilReport;

use crate::auth::Principal;
use crate::campaigns::{DisposeInput, FindingInput, NewCampaign, ReturnInput};
use crate::error::AppResult;
use crate::nil_reports::{Frequency, Period};
use crate::App;

const FOUND: &[&str] = &[
    "东片区两户村民因宅基地界址发生争执，村调委会已到场调解，情况稳定。",
    "某在建工地有十余名务工人员反映工资未按月发放，已通知人社部门核实。",
    "小区业主与物业因停车位收费发生纠纷，社区已组织双方协商。",
];

impl App {
    /// Seeds the duties' demo data (see the module documentation); does nothing without cases.
    pub async fn seed_duties_demo(&self, cases: usize) -> AppResult<()> {
        if cases == 0 {
            return Ok(());
        }
        let cfg = self.cfg().await?;
        let now = self.now();
        let Some(admin) = self.store.get_user_by_name("admin").await? else { return Ok(()) };
        let p = Principal::new(admin, &cfg.tree, "demo");
        // The office that receives the reports does not file one.
        if let Some(office) = cfg.tree.all().find(|o| o.name == "县信访局") {
            self.set_nil_report_settings(&p, &[(office.id.0, Frequency::None)].into_iter().collect()).await?;
        }
        let today = local_date(now);
        let four_pm = NaiveTime::from_hms_opt(16, 0, 0).expect("time");
        let units = self.reporting_units().await?;
        for (i, u) in units.iter().enumerate() {
            let periods: Vec<Period> = match u.frequency {
                Frequency::Daily => (1..=7).map(|d| Period::containing(Frequency::Daily, today - Duration::days(d))).collect(),
                _ => (1..=2).map(|w| Period::containing(Frequency::Weekly, today - Duration::weeks(w))).collect(),
            };
            for (j, per) in periods.iter().enumerate() {
                // A few units miss the latest periods; one files a day late.
                if i % 5 == 2 && j == 0 || i % 7 == 3 && j < 2 {
                    continue;
                }
                let late = i % 6 == 1 && j == 1;
                let day = if u.frequency == Frequency::Weekly { per.start + Duration::days(4) } else { per.start };
                let at = (day + Duration::days(i64::from(late))).and_time(four_pm).and_local_timezone(china_offset()).single().expect("fixed offset").to_utc();
                let found = (i + j) % 6 == 0;
                let r = NilReport {
                    id: 0,
                    unit: u.unit,
                    frequency: u.frequency.key().into(),
                    period: per.key(),
                    status: if found { "found" } else { "nil" }.into(),
                    details: if found { FOUND[(i + j) % FOUND.len()].into() } else { String::new() },
                    filed_by: format!("{}值班员", u.unit_name),
                    filed_at: at,
                    late,
                };
                self.store.add_nil_report(&r).await?;
            }
        }
        // One campaign started by the county office, answered by most towns.
        let towns: Vec<OrgId> = units.iter().filter(|u| u.frequency == Frequency::Daily).map(|u| u.unit).collect();
        let mut assigned = towns.clone();
        assigned.extend(units.iter().filter(|u| u.unit_name == "县人力资源和社会保障局" || u.unit_name == "县自然资源局").map(|u| u.unit));
        let c = self
            .create_campaign(
                &p,
                &NewCampaign {
                    title: "春节前矛盾纠纷集中排查".into(),
                    scope: "土地承包和宅基地、拖欠农民工工资、邻里和婚姻家庭纠纷、物业服务".into(),
                    period_from: (today - Duration::days(10)).to_string(),
                    period_to: (today + Duration::days(2)).to_string(),
                    due: (today + Duration::days(3)).to_string(),
                    units: assigned.clone(),
                },
            )
            .await?;
        for (i, unit) in assigned.iter().enumerate() {
            let place = |n: usize| cfg.tree.all().filter(|o| o.parent == Some(*unit)).nth(n).map(|o| (o.name.clone(), o.id));
            let input = match i % 4 {
                0 => ReturnInput {
                    unit: Some(*unit),
                    status: "found".into(),
                    note: "逐村走访，召开村民代表会议".into(),
                    findings: vec![
                        FindingInput { place: place(0).map_or("镇区".into(), |p| p.0), place_org: place(0).map(|p| p.1), category: "03.01".into(), description: "两个村民小组因承包地边界发生争议".into(), people_count: 12 },
                        FindingInput { place: place(1).map_or("镇区".into(), |p| p.0), place_org: place(1).map(|p| p.1), category: "02.01".into(), description: "工地务工人员反映工资拖欠两个月".into(), people_count: 18 },
                    ],
                },
                1 => ReturnInput { unit: Some(*unit), status: "none".into(), note: "排查了辖区全部村（社区）和在建项目，未发现矛盾纠纷".into(), findings: vec![] },
                2 => ReturnInput {
                    unit: Some(*unit),
                    status: "found".into(),
                    note: String::new(),
                    findings: vec![FindingInput { place: place(0).map_or("镇区".into(), |p| p.0), place_org: place(0).map(|p| p.1), category: "01.02".into(), description: "业主与物业因停车收费发生纠纷".into(), people_count: 40 }],
                },
                _ => continue, // not yet returned
            };
            self.file_campaign_return(&p, c.id, &input).await?;
        }
        if let Some(first) = assigned.first() {
            self.dispose_campaign_finding(&p, c.id, *first, 1, &DisposeInput { disposition: "mediation".into(), reference: "调〔演示〕1号".into(), committee: None }).await?;
        }
        Ok(())
    }
}
