//! `redress calendar ...`: deadlines by the working-day calendar kept in the database, and
//! edits to it (holidays, 调休 workdays, a new year's State Council notice).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Weekday};
use clap::Subcommand;
use redress_domain::calendar::DayKind;
use redress_domain::Calendar;

use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// 计算期满日：起算日不计入；按日计算时末日逢节假日顺延（民法典第二百零一至二百零三条）
    Due {
        /// 起算日 YYYY-MM-DD
        #[arg(long, value_parser = parse_date)]
        from: NaiveDate,
        /// 天数
        #[arg(long)]
        days: u32,
        /// 按工作日计算（默认按自然日）
        #[arg(long)]
        working_days: bool,
    },
    /// 列出某年的节假日和调休上班日
    Show {
        #[arg(long)]
        year: i32,
    },
    /// 把某天设为节假日
    SetHoliday {
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
        /// 名称，如 春节
        #[arg(long)]
        name: String,
    },
    /// 把某个周六或周日设为调休上班日
    SetWorkday {
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
        /// 名称，如 春节调休
        #[arg(long)]
        name: String,
    },
    /// 清除某天的节假日或调休标记
    Clear {
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
    },
    /// 从 JSON 文件导入节假日安排（按年替换，如以正式通知替换暂定的年份）
    Import {
        /// 日历 JSON 文件（格式同 calendar export）
        #[arg(long, value_name = "FILE")]
        json: PathBuf,
    },
    /// 以 JSON 输出当前日历（格式同 calendar import）
    Export,
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("日期“{s}”应为 YYYY-MM-DD 格式，如 2025-09-30"))
}

pub async fn run(db: &Db, cmd: CalendarCmd) -> anyhow::Result<ExitCode> {
    let writes = matches!(cmd, CalendarCmd::SetHoliday { .. } | CalendarCmd::SetWorkday { .. } | CalendarCmd::Clear { .. } | CalendarCmd::Import { .. });
    let app = db.open_app(writes).await?;
    let mut cal = app.cfg().await?.calendar.clone();
    match cmd {
        CalendarCmd::Due { from, days, working_days } => {
            let due = if working_days { cal.due_working_days(from, days) } else { cal.due_calendar_days(from, days) };
            println!("{due}");
            for line in explain(&cal, from, days, working_days) {
                println!("{line}");
            }
            return Ok(ExitCode::SUCCESS);
        }
        CalendarCmd::Show { year } => {
            print!("{}", show(&cal, year));
            return Ok(ExitCode::SUCCESS);
        }
        CalendarCmd::Export => {
            println!("{}", cal.to_json());
            return Ok(ExitCode::SUCCESS);
        }
        CalendarCmd::SetHoliday { date, name } => {
            let new_year = cal.year_info(date.year()).is_none();
            cal.set_holiday(date, &name);
            println!("已将 {date}（{}）设为节假日“{}”", weekday_zh(date), cal.day_name(date).unwrap_or_default());
            if new_year {
                println!("{} 年此前没有节假日数据，已记为暂定年份", date.year());
            }
        }
        CalendarCmd::SetWorkday { date, name } => {
            if !is_weekend(date) {
                if cal.day_kind(date) != DayKind::Holiday {
                    println!("{date} 是{}，本就是工作日，无需设置", weekday_zh(date));
                    return Ok(ExitCode::SUCCESS);
                }
                println!("{date} 是{}，本就是工作日；已清除其节假日标记", weekday_zh(date));
            } else {
                println!("已将 {date}（{}）设为调休上班日“{}”", weekday_zh(date), name.trim());
            }
            cal.set_workday(date, &name);
        }
        CalendarCmd::Clear { date } => {
            if cal.day_name(date).is_none() {
                println!("{date} 没有节假日或调休标记，无需清除");
                return Ok(ExitCode::SUCCESS);
            }
            cal.clear_day(date);
            println!("已清除 {date} 的标记，现为{}（{}）", cal.day_kind(date).label_zh(), weekday_zh(date));
        }
        CalendarCmd::Import { json } => {
            let text = std::fs::read_to_string(&json).with_context(|| format!("无法读取 {}", json.display()))?;
            let other = Calendar::from_json(&text).with_context(|| format!("{} 不是有效的日历文件", json.display()))?;
            if other.covered_years().is_empty() {
                anyhow::bail!("{} 中没有任何年份", json.display());
            }
            cal.merge_years(&other);
            for y in other.covered_years() {
                println!("已更新 {y} 年：{}", year_source(&cal, y));
            }
        }
    }
    app.set_calendar(&cal).await?;
    Ok(ExitCode::SUCCESS)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

pub fn weekday_zh(d: NaiveDate) -> &'static str {
    ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"][d.weekday().num_days_from_monday() as usize]
}

fn days_between(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Why a day is not worked: the holiday's name, or 周末.
fn rest_reason(cal: &Calendar, d: NaiveDate) -> String {
    match cal.day_kind(d) {
        DayKind::Holiday => cal.day_name(d).unwrap_or("节假日").to_string(),
        _ => "周末".to_string(),
    }
}

/// Consecutive rest days with the same reason: "2025-10-01 至 2025-10-08 国庆节、中秋节（8 天）".
fn rest_spans(cal: &Calendar, days: impl Iterator<Item = NaiveDate>, with_weekends: bool) -> Vec<String> {
    let mut spans: Vec<(NaiveDate, NaiveDate, String)> = vec![];
    for d in days.filter(|d| !cal.is_working_day(*d)) {
        let reason = rest_reason(cal, d);
        if !with_weekends && cal.day_kind(d) == DayKind::Weekend {
            continue;
        }
        match spans.last_mut() {
            Some((_, end, r)) if *r == reason && end.succ_opt() == Some(d) => *end = d,
            _ => spans.push((d, d, reason)),
        }
    }
    spans
        .into_iter()
        .map(|(a, b, r)| if a == b { format!("{a} {r}") } else { format!("{a} 至 {b} {r}（{} 天）", (b - a).num_days() + 1) })
        .collect()
}

/// Warnings for years in `[from, to]` without data or with a provisional schedule.
fn coverage_notes(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> Vec<String> {
    (from.year()..=to.year().min(from.year() + 50))
        .filter_map(|y| match cal.year_info(y) {
            None => Some(format!("注意：{y} 年没有节假日安排数据，只按周末计算；国务院办公厅通知发布后请用 redress calendar import 更新")),
            Some(i) if i.provisional => Some(format!(
                "注意：{y} 年的节假日安排为暂定{}，正式通知发布后请用 redress calendar import 更新",
                i.note.as_deref().map(|n| format!("（{n}）")).unwrap_or_default()
            )),
            Some(_) => None,
        })
        .collect()
}

/// The lines after the due date: how it was reached and which days were skipped.
pub fn explain(cal: &Calendar, from: NaiveDate, n: u32, working: bool) -> Vec<String> {
    let due = if working { cal.due_working_days(from, n) } else { cal.due_calendar_days(from, n) };
    let mut out = vec![];
    if working {
        if n == 0 {
            out.push(format!("0 个工作日即起算日 {from} 当天"));
        } else {
            out.push(format!("自 {from} 起算（当日不计入），第 {n} 个工作日为 {due}（{}）", weekday_zh(due)));
            let after = from.succ_opt().unwrap_or(from);
            let weekends = days_between(after, due).filter(|d| cal.day_kind(*d) == DayKind::Weekend).count();
            let mut skipped = vec![];
            if weekends > 0 {
                skipped.push(format!("周末 {weekends} 天"));
            }
            skipped.extend(rest_spans(cal, days_between(after, due), false));
            if !skipped.is_empty() {
                out.push(format!("跳过：{}", skipped.join("；")));
            }
            let makeup: Vec<String> = days_between(after, due)
                .filter(|d| cal.day_kind(*d) == DayKind::MakeUpWorkday)
                .map(|d| format!("{d}（{}，{}）", weekday_zh(d), cal.day_name(d).unwrap_or("调休上班")))
                .collect();
            if !makeup.is_empty() {
                out.push(format!("调休上班日计入：{}", makeup.join("、")));
            }
        }
    } else {
        let last = from.checked_add_days(chrono::Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX);
        let start = if n == 0 { format!("0 日即起算日 {from} 当天") } else { format!("自 {from} 起算（当日不计入）{n} 日，末日为 {last}") };
        if last == due {
            let kind = match cal.day_kind(last) {
                DayKind::MakeUpWorkday => format!("调休上班日（{}）", cal.day_name(last).unwrap_or("调休")),
                _ => "工作日".to_string(),
            };
            out.push(format!("{start}（{}），是{kind}，期满日即为该日", weekday_zh(last)));
        } else {
            out.push(format!(
                "{start}（{}），是{}；末日逢休息日顺延至其后第一个工作日 {due}（{}）",
                weekday_zh(last),
                rest_reason(cal, last),
                weekday_zh(due)
            ));
            let before_due = due.pred_opt().unwrap_or(due);
            out.push(format!("跳过：{}", rest_spans(cal, days_between(last, before_due), true).join("；")));
        }
    }
    out.extend(coverage_notes(cal, from, due));
    out
}

fn year_source(cal: &Calendar, year: i32) -> String {
    match cal.year_info(year) {
        None => "没有节假日安排数据，只按周末计算".into(),
        Some(i) => {
            let mut s = i.notice.clone().unwrap_or_else(|| "未注明通知文号".into());
            if i.provisional {
                s.push_str("（暂定");
                if let Some(n) = &i.note {
                    s.push('：');
                    s.push_str(n);
                }
                s.push('）');
            }
            s
        }
    }
}

/// Holidays by name with their spans, then 调休 workdays, of one year.
pub fn show(cal: &Calendar, year: i32) -> String {
    let mut out = format!("{year} 年节假日安排：{}\n", year_source(cal, year));
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return out;
    };
    let holidays = rest_spans(cal, days_between(first, last), false);
    let workdays: Vec<NaiveDate> = days_between(first, last).filter(|d| cal.day_kind(*d) == DayKind::MakeUpWorkday).collect();
    if holidays.is_empty() && workdays.is_empty() {
        out.push_str("（没有节假日或调休）\n");
        return out;
    }
    let holiday_days = days_between(first, last).filter(|d| cal.day_kind(*d) == DayKind::Holiday).count();
    out.push_str(&format!("节假日（共 {holiday_days} 天）：\n"));
    for h in &holidays {
        out.push_str(&format!("  {h}\n"));
    }
    out.push_str(&format!("调休上班（共 {} 天）：\n", workdays.len()));
    for d in &workdays {
        out.push_str(&format!("  {d}（{}）{}\n", weekday_zh(*d), cal.day_name(*d).unwrap_or("调休上班")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn one_day_across_national_day_names_the_holiday_that_was_skipped() {
        let lines = explain(&Calendar::china_default(), d(2025, 9, 30), 1, false);
        assert!(lines[0].contains("末日为 2025-10-01"), "{lines:?}");
        assert!(lines[0].contains("2025-10-09（星期四）"), "{lines:?}");
        assert!(lines[1].contains("2025-10-01 至 2025-10-08 国庆节、中秋节（8 天）"), "{lines:?}");
    }

    #[test]
    fn working_days_count_the_makeup_sunday() {
        let lines = explain(&Calendar::china_default(), d(2025, 9, 26), 2, true);
        assert!(lines[0].contains("第 2 个工作日为 2025-09-29"), "{lines:?}");
        assert_eq!(lines[1], "跳过：周末 1 天");
        assert_eq!(lines[2], "调休上班日计入：2025-09-28（星期日，国庆节、中秋节调休）");
    }

    #[test]
    fn years_without_data_are_flagged() {
        let lines = explain(&Calendar::china_default(), d(2031, 3, 3), 5, true);
        assert!(lines.iter().any(|l| l.contains("2031 年没有节假日安排数据")), "{lines:?}");
        let lines = explain(&Calendar::china_default(), d(2027, 3, 3), 5, true);
        assert!(lines.iter().any(|l| l.contains("2027 年的节假日安排为暂定")), "{lines:?}");
    }

    #[test]
    fn show_lists_spring_festival_and_its_makeup_days() {
        let s = show(&Calendar::china_default(), 2026);
        assert!(s.contains("2026-02-15 至 2026-02-23 春节（9 天）"), "{s}");
        assert!(s.contains("2026-02-14（星期六）春节调休"), "{s}");
    }
}
