//! Historical ledger import (台账导入): each row becomes a case with the history that brings it
//! to the row's status, stored in one transaction. Bad rows are reported, good rows imported.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use redress_domain::case::*;
use redress_domain::event::Actor;
use redress_domain::{china_offset, Command, OrgId, Petitioner};
use serde::Serialize;

use crate::cases::Intake;
use crate::config::Config;
use crate::error::AppError;
use crate::App;

#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    /// Line in the file (header is line 1).
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub errors: Vec<RowError>,
}

/// Column names accepted for each field (Chinese ledger headings first).
const ALIASES: &[(&str, &[&str])] = &[
    ("registered_at", &["登记日期", "登记时间", "日期", "registered_at"]),
    ("channel", &["来源", "渠道", "信访形式", "channel"]),
    ("matter_type", &["事项类型", "类型", "matter_type"]),
    ("category", &["类别", "分类", "问题类别", "category"]),
    ("subject", &["标题", "事项", "主题", "subject"]),
    ("content", &["内容", "诉求内容", "主要诉求", "content"]),
    ("address", &["地址", "问题发生地", "address"]),
    ("place", &["所在地", "乡镇", "place"]),
    ("name", &["姓名", "信访人", "name"]),
    ("phone", &["电话", "联系电话", "phone"]),
    ("id_number", &["身份证号", "身份证号码", "id_number"]),
    ("people_count", &["人数", "people_count"]),
    ("status", &["状态", "办理状态", "status"]),
    ("unit", &["责任单位", "承办单位", "unit"]),
    ("decision", &["处理结果", "答复结果", "decision"]),
    ("opinion", &["处理意见", "答复内容", "opinion"]),
    ("legal_basis", &["依据", "法律依据", "legal_basis"]),
    ("replied_at", &["答复日期", "replied_at"]),
    ("closed_at", &["办结日期", "closed_at"]),
    ("satisfaction", &["满意度", "satisfaction"]),
    ("reason", &["不予受理理由", "理由", "reason"]),
    ("external_ref", &["原编号", "编号", "external_ref"]),
];

/// Maps a file's header to our field names; unknown columns are reported, not guessed.
pub fn map_header(header: &[String]) -> Result<Vec<Option<&'static str>>, String> {
    let mapped: Vec<Option<&'static str>> = header
        .iter()
        .map(|h| ALIASES.iter().find(|(_, names)| names.contains(&h.trim().trim_start_matches('\u{feff}'))).map(|(k, _)| *k))
        .collect();
    if !mapped.contains(&Some("subject")) {
        return Err("表头缺少“标题”列（也可写作“事项”“主题”或 subject）".into());
    }
    if !mapped.contains(&Some("registered_at")) {
        return Err("表头缺少“登记日期”列".into());
    }
    Ok(mapped)
}

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().replace('/', "-");
    let local = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(9, 0, 0)))?;
    local.and_local_timezone(china_offset()).single().map(|t| t.with_timezone(&Utc))
}

struct Row<'a>(&'a HashMap<&'static str, String>);

impl Row<'_> {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    fn time(&self, k: &str) -> Result<Option<DateTime<Utc>>, (String, String)> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => parse_time(v).map(Some).ok_or_else(|| (k.to_string(), format!("日期“{v}”无法识别，应为 2024-03-05 或 2024/3/5 09:30"))),
        }
    }
}

fn err(field: &str, message: impl Into<String>) -> (String, String) {
    (field.to_string(), message.into())
}

fn org_by_name(cfg: &Config, name: &str) -> Option<OrgId> {
    cfg.tree.all().find(|o| o.name == name).map(|o| o.id)
}

fn parse_enum<T>(r: &Row, k: &str, f: fn(&str) -> Option<T>, default: T) -> Result<T, (String, String)> {
    r.get(k).map_or(Ok(default), |v| f(v).ok_or_else(|| err(k, format!("“{v}”不是有效的取值"))))
}

type Planned = (Intake, DateTime<Utc>, Vec<(Command, Actor, DateTime<Utc>)>);

/// Turns one row into a registration and the commands that follow it.
fn plan(cfg: &Config, intake_org: OrgId, r: &Row, now: DateTime<Utc>) -> Result<Planned, (String, String)> {
    let at = r.time("registered_at")?.ok_or_else(|| err("registered_at", "登记日期不能为空"))?;
    if at > now {
        return Err(err("registered_at", "登记日期不能晚于今天"));
    }
    let channel = parse_enum(r, "channel", Channel::parse, Channel::Other)?;
    let matter_type = parse_enum(r, "matter_type", MatterType::parse, MatterType::Claim)?;
    let category = match r.get("category") {
        None => None,
        Some(c) => Some(cfg.taxonomy.find(c).map(|(t, s)| s.unwrap_or(t).code.clone()).ok_or_else(|| err("category", format!("分类“{c}”不在分类目录中")))?),
    };
    let place = match r.get("place") {
        None => None,
        Some(p) => Some(org_by_name(cfg, p).ok_or_else(|| err("place", format!("所在地“{p}”不在组织机构中")))?),
    };
    let subject = r.get("subject").ok_or_else(|| err("subject", "标题不能为空"))?.to_string();
    let people_count = match r.get("people_count") {
        None => 1,
        Some(n) => n.parse().map_err(|_| err("people_count", format!("人数“{n}”应为整数")))?,
    };
    let mut matter = NewCase {
        channel,
        matter_type,
        category,
        content: r.get("content").unwrap_or(&subject).to_string(),
        subject,
        location: Location { address: r.get("address").unwrap_or("").to_string(), org: place, ..Default::default() },
        people_count,
        channel_details: ChannelDetails { external_ref: r.get("external_ref").map(str::to_string), ..Default::default() },
        related: vec![],
        same_matter_as: None,
        intake_org,
        confidential: false,
        demo: false,
        suggested_categories: vec![],
    };
    if channel == Channel::HigherTransfer {
        matter.channel_details.transfer_office = Some("（历史台账未记录）".into());
    }
    let petitioner = Petitioner {
        name: r.get("name").map(str::to_string),
        phone: r.get("phone").map(str::to_string),
        id_number: r.get("id_number").map(str::to_string),
        ..Default::default()
    };
    let history = history(cfg, r, at)?;
    // Checked here too so a dry run reports everything a real import would.
    matter.validate().map_err(|e| match e {
        redress_domain::DomainError::Invalid { field, message } => (field, message),
        other => ("row".to_string(), other.to_string()),
    })?;
    crate::cases::prepare_petitioner(petitioner.clone()).map_err(|e| (e.field().unwrap_or("petitioner").to_string(), e.to_string()))?;
    Ok((Intake { matter, petitioner }, at, history))
}

fn history(cfg: &Config, r: &Row, at: DateTime<Utc>) -> Result<Vec<(Command, Actor, DateTime<Utc>)>, (String, String)> {
    let status = match r.get("status") {
        None => Status::Registered,
        Some(s) => Status::parse(s).or(match s {
            "已受理" => Some(Status::Accepted),
            "已办结" | "办结" => Some(Status::Closed),
            _ => None,
        })
        .ok_or_else(|| err("status", format!("状态“{s}”无法识别")))?,
    };
    let a = Actor::Import;
    let mut h = vec![];
    let order = |s: Status| match s {
        Status::Registered => 0,
        Status::Accepted => 1,
        Status::Routed => 2,
        Status::InProgress => 3,
        Status::Replied => 4,
        Status::FollowedUp => 5,
        Status::Closed => 6,
        Status::Archived => 7,
        _ => 99,
    };
    if status == Status::NotAccepted {
        let reason = r.get("reason").ok_or_else(|| err("reason", "不予受理的事项须填写理由"))?;
        return Ok(vec![(Command::NotAccept { reason: reason.into() }, a, at)]);
    }
    let rank = order(status);
    if rank == 99 {
        return Err(err("status", format!("历史台账导入不支持状态“{}”", status.label_zh())));
    }
    if rank >= 1 {
        h.push((Command::Accept { note: "历史台账导入".into() }, a.clone(), at));
    }
    if rank >= 2 {
        let unit_name = r.get("unit").ok_or_else(|| err("unit", "已转交的事项须填写责任单位"))?;
        let unit = org_by_name(cfg, unit_name).ok_or_else(|| err("unit", format!("责任单位“{unit_name}”不在组织机构中")))?;
        h.push((Command::Route { unit, co_units: vec![], mode: RoutingMode::Forward, note: String::new(), assign_days: None }, a.clone(), at));
    }
    if rank >= 3 {
        h.push((Command::StartHandling, a.clone(), at));
    }
    if rank >= 4 {
        let replied = r.time("replied_at")?.unwrap_or(at);
        if replied < at {
            return Err(err("replied_at", "答复日期早于登记日期"));
        }
        let decision = match r.get("decision") {
            None => Decision::Explain,
            Some(d) => Decision::parse(d).ok_or_else(|| err("decision", format!("处理结果“{d}”应为 支持、解释说明 或 不予支持")))?,
        };
        let opinion = r.get("opinion").ok_or_else(|| err("opinion", "已答复的事项须填写处理意见"))?.to_string();
        h.push((
            Command::SubmitReply {
                decision,
                facts: opinion.clone(),
                opinion,
                legal_basis: r.get("legal_basis").unwrap_or("（历史台账未记录）").to_string(),
            },
            a.clone(),
            replied,
        ));
        h.push((Command::ApproveReply, a.clone(), replied));
    }
    if rank >= 5 {
        let s = r.get("satisfaction").ok_or_else(|| err("satisfaction", "已回访或已办结的事项须填写满意度"))?;
        let satisfaction = Satisfaction::parse(s).ok_or_else(|| err("satisfaction", format!("满意度“{s}”应为 满意、基本满意 或 不满意")))?;
        let when = h.last().map(|x| x.2).unwrap_or(at);
        h.push((Command::FollowUp { satisfaction, note: "历史台账导入".into() }, a.clone(), when));
    }
    if rank >= 6 {
        let closed = r.time("closed_at")?.unwrap_or(h.last().map(|x| x.2).unwrap_or(at));
        h.push((Command::Close { note: "历史台账导入".into() }, a.clone(), closed));
    }
    if rank >= 7 {
        let when = h.last().map(|x| x.2).unwrap_or(at);
        h.push((Command::Archive, a, when));
    }
    Ok(h)
}

impl App {
    /// Imports rows (already split into fields by the caller). `first_line` is the file line
    /// of `rows[0]`. Each good row is stored whole; each bad row is reported with its line.
    pub async fn import_rows(
        &self,
        header: &[String],
        rows: Vec<(usize, Vec<String>)>,
        intake_org: OrgId,
        dry_run: bool,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<ImportReport, AppError> {
        let columns = map_header(header).map_err(|m| AppError::invalid("header", m))?;
        let cfg = self.cfg().await?;
        if cfg.tree.get(intake_org).is_none() {
            return Err(AppError::invalid("intake_org", "登记机关不存在，请先导入组织机构"));
        }
        let total = rows.len();
        let mut report = ImportReport::default();
        let now = self.now();
        for (i, (line, fields)) in rows.into_iter().enumerate() {
            let map: HashMap<&'static str, String> =
                columns.iter().zip(fields).filter_map(|(c, v)| c.map(|c| (c, v))).collect();
            let result = match plan(&cfg, intake_org, &Row(&map), now) {
                Err((field, message)) => Err(RowError { line, field, message }),
                Ok(_) if dry_run => Ok(()),
                Ok((intake, at, history)) => self
                    .register_at(None, Actor::Import, intake, at, history)
                    .await
                    .map(|_| ())
                    .map_err(|e| RowError { line, field: e.field().unwrap_or("").to_string(), message: e.to_string() }),
            };
            match result {
                Ok(()) => report.imported += 1,
                Err(e) => report.errors.push(e),
            }
            if i % 100 == 99 || i + 1 == total {
                progress(i + 1, total);
            }
        }
        Ok(report)
    }
}
