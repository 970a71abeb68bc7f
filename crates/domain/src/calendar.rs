//! Chinese working-day calendar (工作日历).
//!
//! A [`Calendar`] knows which dates are public holidays (法定节假日, including the
//! weekend days inside an announced holiday span) and which Saturdays/Sundays are
//! make-up working days (调休上班), as published every year by the General Office of
//! the State Council (国务院办公厅关于部分节假日安排的通知). Every other date is a
//! working day from Monday to Friday and a rest day on Saturday and Sunday; in
//! particular, years not covered by any notice fall back to "weekends only". Callers
//! that compute deadlines far ahead should check [`Calendar::covered_years`] and
//! [`Calendar::provisional_years`] and warn.
//!
//! The shipped schedule lives in `data/calendar-cn.json` and is embedded at compile
//! time; [`Calendar::from_json`] / [`Calendar::to_json`] read and write the same format
//! so that an updated notice can be loaded without a rebuild.
//!
//! Period computation follows 《民法典》 Art. 201–203: the day on which a period
//! starts is not counted; a period in days ends on its last day; if that last day is a
//! statutory rest day the period ends on the first working day after it.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The schedule shipped with the program (State Council notices).
const CHINA_DEFAULT_JSON: &str = include_str!("../data/calendar-cn.json");

/// Unit of a time limit: 日 (calendar days) or 工作日 (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// 日: calendar days; the last day rolls forward to a working day.
    Calendar,
    /// 工作日: only working days are counted.
    Working,
}

impl DayUnit {
    /// The Chinese unit as written after a number of days: "日" or "工作日".
    pub fn label_zh(self) -> &'static str {
        match self {
            DayUnit::Calendar => "日",
            DayUnit::Working => "工作日",
        }
    }
}

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary Monday–Friday working day.
    Workday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A day inside an announced holiday span (may be a Saturday or Sunday).
    Holiday,
    /// A Saturday or Sunday on which work is required (调休上班).
    MakeUpWorkday,
}

impl DayKind {
    /// Chinese label for display.
    pub fn label_zh(self) -> &'static str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Weekend => "休息日",
            DayKind::Holiday => "节假日",
            DayKind::MakeUpWorkday => "调休上班",
        }
    }

    /// Whether work is done on this kind of day.
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUpWorkday)
    }
}

/// Errors reading a calendar file.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar JSON is malformed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("year {0} appears more than once")]
    DuplicateYear(i32),
    #[error("year {year}: date {date} is too far from the notice year (must be within one year of it)")]
    DateOutsideYear { year: i32, date: NaiveDate },
    #[error("date {0} is listed more than once (as holiday and/or make-up workday)")]
    DuplicateDate(NaiveDate),
    #[error("make-up workday {0} is a Monday–Friday; only Saturdays and Sundays can be make-up workdays")]
    WorkdayNotWeekend(NaiveDate),
    #[error("year {year}: a holiday or workday group has an empty name")]
    EmptyName { year: i32 },
}

/// Metadata of one year's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearInfo {
    /// Document number of the notice, e.g. "国办发明电〔2023〕7号"; `None` if unknown.
    pub notice: Option<String>,
    /// True when the year's dates are an estimate, not an official notice.
    pub provisional: bool,
    /// Free-text remark (e.g. why the year is provisional).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkKind {
    Holiday,
    Workday,
}

/// A special date: a holiday or a make-up workday, with its name and the notice
/// year it belongs to (a notice may list a date of the adjacent year).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mark {
    kind: MarkKind,
    name: String,
    year: i32,
}

/// A working-day calendar: weekends, plus announced holidays and make-up workdays.
///
/// A date is either a holiday, a make-up workday, or neither — never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    source: Option<String>,
    /// Years for which a notice (official or provisional) is loaded.
    years: BTreeMap<i32, YearInfo>,
    /// Holidays and make-up workdays with their names.
    marks: BTreeMap<NaiveDate, Mark>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::empty()
    }
}

// ---- file format ----------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    years: Vec<YearRepr>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearRepr {
    year: i32,
    #[serde(default)]
    notice: Option<String>,
    #[serde(default)]
    provisional: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(default)]
    holidays: Vec<GroupRepr>,
    #[serde(default)]
    workdays: Vec<GroupRepr>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupRepr {
    name: String,
    dates: Vec<NaiveDate>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Groups the marks of one kind and year by name, in order of each name's first date.
fn groups(marks: &BTreeMap<NaiveDate, Mark>, year: i32, kind: MarkKind) -> Vec<GroupRepr> {
    let mut out: Vec<GroupRepr> = Vec::new();
    for (d, m) in marks.iter().filter(|(_, m)| m.year == year && m.kind == kind) {
        match out.iter_mut().find(|g| g.name == m.name) {
            Some(g) => g.dates.push(*d),
            None => out.push(GroupRepr { name: m.name.clone(), dates: vec![*d] }),
        }
    }
    out
}

impl Calendar {
    /// The Chinese calendar shipped with the program (`data/calendar-cn.json`).
    ///
    /// Panics only if the shipped file is malformed, which a unit test rules out.
    pub fn china_default() -> Calendar {
        Calendar::from_json(CHINA_DEFAULT_JSON).expect("shipped data/calendar-cn.json is valid")
    }

    /// A calendar with no holidays: Monday–Friday are working days.
    pub fn empty() -> Calendar {
        Calendar { source: None, years: BTreeMap::new(), marks: BTreeMap::new() }
    }

    /// Parses the format of `data/calendar-cn.json`.
    pub fn from_json(s: &str) -> Result<Calendar, CalendarError> {
        let file: FileRepr = serde_json::from_str(s)?;
        let mut cal = Calendar { source: file.source, years: BTreeMap::new(), marks: BTreeMap::new() };
        for y in file.years {
            if cal.years.contains_key(&y.year) {
                return Err(CalendarError::DuplicateYear(y.year));
            }
            let year = y.year;
            let lists = [(MarkKind::Holiday, y.holidays), (MarkKind::Workday, y.workdays)];
            for (kind, groups) in lists {
                for g in groups {
                    let name = g.name.trim();
                    if name.is_empty() {
                        return Err(CalendarError::EmptyName { year });
                    }
                    for d in g.dates {
                        if (d.year() - year).abs() > 1 {
                            return Err(CalendarError::DateOutsideYear { year, date: d });
                        }
                        if kind == MarkKind::Workday && !is_weekend(d) {
                            return Err(CalendarError::WorkdayNotWeekend(d));
                        }
                        let mark = Mark { kind, name: name.to_string(), year };
                        if cal.marks.insert(d, mark).is_some() {
                            return Err(CalendarError::DuplicateDate(d));
                        }
                    }
                }
            }
            cal.years.insert(
                year,
                YearInfo { notice: y.notice, provisional: y.provisional, note: y.note },
            );
        }
        Ok(cal)
    }

    /// Serialises to the format read by [`Calendar::from_json`] (pretty-printed).
    pub fn to_json(&self) -> String {
        let mut all_years: Vec<i32> = self.years.keys().copied().collect();
        all_years.extend(self.marks.values().map(|m| m.year));
        all_years.sort_unstable();
        all_years.dedup();
        let years = all_years
            .into_iter()
            .map(|year| {
                // Every mark's year is declared (set_* declares it), so the fallback
                // is only defensive.
                let info = self.years.get(&year).cloned().unwrap_or(YearInfo {
                    notice: None,
                    provisional: true,
                    note: None,
                });
                YearRepr {
                    year,
                    notice: info.notice,
                    provisional: info.provisional,
                    note: info.note,
                    holidays: groups(&self.marks, year, MarkKind::Holiday),
                    workdays: groups(&self.marks, year, MarkKind::Workday),
                }
            })
            .collect();
        let file = FileRepr { source: self.source.clone(), years };
        serde_json::to_string_pretty(&file).expect("calendar serialises")
    }

    /// Make-up workday ⇒ working; holiday ⇒ not working; otherwise Monday–Friday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.day_kind(d).is_working()
    }

    /// Classifies a date.
    pub fn day_kind(&self, d: NaiveDate) -> DayKind {
        match self.marks.get(&d).map(|m| m.kind) {
            Some(MarkKind::Holiday) => DayKind::Holiday,
            // Only weekend dates are ever stored as make-up workdays.
            Some(MarkKind::Workday) => DayKind::MakeUpWorkday,
            None if is_weekend(d) => DayKind::Weekend,
            None => DayKind::Workday,
        }
    }

    /// Name of a holiday or make-up workday, e.g. "春节" or "春节调休".
    pub fn day_name(&self, d: NaiveDate) -> Option<&str> {
        self.marks.get(&d).map(|m| m.name.as_str())
    }

    /// Marks `d` as a holiday (rest day) named `name`. If the date's year has no
    /// notice loaded, the year is declared provisional.
    pub fn set_holiday(&mut self, d: NaiveDate, name: &str) {
        self.set_mark(d, MarkKind::Holiday, name);
    }

    /// Marks `d` as a make-up workday named `name`. On a Monday–Friday this only
    /// removes any holiday mark (such a day is a working day anyway and carries no
    /// name), so that the calendar always serialises to a valid file.
    pub fn set_workday(&mut self, d: NaiveDate, name: &str) {
        if is_weekend(d) {
            self.set_mark(d, MarkKind::Workday, name);
        } else {
            self.clear_day(d);
        }
    }

    /// Returns `d` to the default (Monday–Friday working, weekend rest).
    pub fn clear_day(&mut self, d: NaiveDate) {
        self.marks.remove(&d);
    }

    fn set_mark(&mut self, d: NaiveDate, kind: MarkKind, name: &str) {
        // Keep the notice year of an existing mark (e.g. a 元旦 date of the previous
        // December listed in the new year's notice).
        let year = self.marks.get(&d).map(|m| m.year).unwrap_or_else(|| d.year());
        self.years
            .entry(year)
            .or_insert(YearInfo { notice: None, provisional: true, note: None });
        let name = name.trim();
        let name = if name.is_empty() {
            match kind {
                MarkKind::Holiday => "节假日",
                MarkKind::Workday => "调休上班",
            }
        } else {
            name
        };
        self.marks.insert(d, Mark { kind, name: name.to_string(), year });
    }

    /// Metadata of a year's notice, if that year is covered.
    pub fn year_info(&self, year: i32) -> Option<&YearInfo> {
        self.years.get(&year)
    }

    /// Declares (or re-declares) a year with its notice metadata; dates are unchanged.
    pub fn set_year_info(&mut self, year: i32, info: YearInfo) {
        self.years.insert(year, info);
    }

    /// Removes a year's metadata and all of its dates (before loading the official
    /// notice that replaces a provisional one).
    pub fn remove_year(&mut self, year: i32) {
        self.years.remove(&year);
        self.marks.retain(|_, m| m.year != year);
    }

    /// Replaces the years present in `other` (metadata and dates) with `other`'s
    /// data; other years are kept.
    pub fn merge_years(&mut self, other: &Calendar) {
        for (&year, info) in &other.years {
            self.remove_year(year);
            self.years.insert(year, info.clone());
        }
        for (&d, m) in &other.marks {
            self.years
                .entry(m.year)
                .or_insert(YearInfo { notice: None, provisional: true, note: None });
            self.marks.insert(d, m.clone());
        }
    }

    /// Free-text description of where the data comes from.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// Years for which a notice (official or provisional) is loaded, ascending.
    pub fn covered_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Covered years whose schedule is an estimate, ascending.
    pub fn provisional_years(&self) -> Vec<i32> {
        self.years.iter().filter(|(_, i)| i.provisional).map(|(y, _)| *y).collect()
    }

    /// `d` if it is a working day, otherwise the first working day after it.
    /// Saturates at the last representable date.
    pub fn roll_to_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut d = d;
        while !self.is_working_day(d) {
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        d
    }

    /// 民法典 Art. 201-203: the start day is not counted; the period ends n calendar
    /// days later; if that last day is not a working day it moves to the next working
    /// day. `n = 0` is the start day itself (still rolled forward if it is a rest day).
    pub fn due_calendar_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let last = start.checked_add_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX);
        self.roll_to_working_day(last)
    }

    /// n working days after start (start not counted). `n = 0` is the start day
    /// itself, unchanged. Saturates at the last representable date.
    pub fn due_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Due date of a time limit of `n` units starting on `start`.
    pub fn due(&self, start: NaiveDate, n: u32, unit: DayUnit) -> NaiveDate {
        match unit {
            DayUnit::Calendar => self.due_calendar_days(start, n),
            DayUnit::Working => self.due_working_days(start, n),
        }
    }

    /// Working days strictly after `from` up to and including `to` (0 if to <= from);
    /// used for remaining-time display.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from {
            return 0;
        }
        // Whole weeks contain five Monday–Friday days; special dates are corrected
        // individually, so the cost does not grow with the length of the range.
        let span = (to - from).num_days();
        let weeks = span / 7;
        let mut count = weeks * 5;
        let mut d = from + chrono::Duration::days(weeks * 7);
        while d < to {
            d = d.succ_opt().expect("d < to, so a successor exists");
            if !is_weekend(d) {
                count += 1;
            }
        }
        let after = from.succ_opt().expect("from < to, so a successor exists");
        for (&day, m) in self.marks.range(after..=to) {
            match (m.kind, is_weekend(day)) {
                (MarkKind::Holiday, false) => count -= 1,
                (MarkKind::Workday, true) => count += 1,
                _ => {}
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn cn() -> Calendar {
        Calendar::china_default()
    }

    fn dates_of(cal: &Calendar, year: i32, kind: DayKind) -> Vec<NaiveDate> {
        let mut x = d(year, 1, 1);
        let mut out = Vec::new();
        while x.year() == year {
            if cal.day_kind(x) == kind {
                out.push(x);
            }
            x = x.succ_opt().unwrap();
        }
        out
    }

    // --- the shipped data ---

    #[test]
    fn shipped_file_parses_and_covers_2024_to_2027_with_only_2027_provisional() {
        let cal = cn();
        assert_eq!(cal.covered_years(), vec![2024, 2025, 2026, 2027]);
        assert_eq!(cal.provisional_years(), vec![2027]);
        let info = cal.year_info(2027).unwrap();
        assert!(info.notice.is_none());
        assert!(info.note.as_deref().unwrap().contains("redress calendar"));
        assert_eq!(cal.year_info(2024).unwrap().notice.as_deref(), Some("国办发明电〔2023〕7号"));
        assert!(cal.source().is_some());
    }

    #[test]
    fn holiday_counts_per_year_match_the_notices() {
        let cal = cn();
        // Every listed rest day, including the weekend days inside each span.
        assert_eq!(dates_of(&cal, 2024, DayKind::Holiday).len(), 28);
        assert_eq!(dates_of(&cal, 2025, DayKind::Holiday).len(), 28);
        assert_eq!(dates_of(&cal, 2026, DayKind::Holiday).len(), 33);
        assert_eq!(dates_of(&cal, 2027, DayKind::Holiday).len(), 29);
        assert_eq!(dates_of(&cal, 2024, DayKind::MakeUpWorkday).len(), 8);
        assert_eq!(dates_of(&cal, 2025, DayKind::MakeUpWorkday).len(), 5);
        assert_eq!(dates_of(&cal, 2026, DayKind::MakeUpWorkday).len(), 6);
        assert_eq!(dates_of(&cal, 2027, DayKind::MakeUpWorkday).len(), 5);
    }

    #[test]
    fn weekday_holidays_minus_makeup_days_equal_the_statutory_day_count() {
        // Weekend statutory days are compensated on weekdays and every extra bridging
        // weekday is paid back by a make-up workday, so per year
        // (weekday holidays) - (make-up workdays) = statutory holidays:
        // 11 under the 2013 rules (2024), 13 after the 2024 revision (2025-).
        let cal = cn();
        for (year, statutory) in [(2024, 11), (2025, 13), (2026, 13), (2027, 13)] {
            let weekday_holidays = dates_of(&cal, year, DayKind::Holiday)
                .into_iter()
                .filter(|x| !is_weekend(*x))
                .count();
            let makeup = dates_of(&cal, year, DayKind::MakeUpWorkday).len();
            assert_eq!(weekday_holidays - makeup, statutory, "year {year}");
        }
    }

    #[test]
    fn shipped_calendar_never_has_more_than_six_consecutive_working_days_around_holidays() {
        let cal = cn();
        let mut x = d(2024, 1, 1);
        let mut run = 0;
        while x <= d(2027, 12, 31) {
            run = if cal.is_working_day(x) { run + 1 } else { 0 };
            assert!(run <= 6, "seven working days in a row ending {x}");
            x = x.succ_opt().unwrap();
        }
    }

    #[test]
    fn shipped_calendar_names_known_days() {
        let cal = cn();
        assert_eq!(cal.day_name(d(2024, 2, 10)), Some("春节"));
        assert_eq!(cal.day_name(d(2024, 2, 4)), Some("春节调休"));
        assert_eq!(cal.day_name(d(2025, 10, 6)), Some("国庆节、中秋节"));
        assert_eq!(cal.day_name(d(2026, 2, 17)), Some("春节"));
        assert_eq!(cal.day_name(d(2026, 3, 3)), None);
        assert_eq!(cal.day_kind(d(2024, 2, 9)), DayKind::Workday, "2024 除夕 was not a holiday");
        assert_eq!(cal.day_kind(d(2025, 1, 28)), DayKind::Holiday, "除夕 is a holiday since 2025");
        assert_eq!(cal.day_kind(d(2026, 1, 4)), DayKind::MakeUpWorkday);
        assert_eq!(cal.day_kind(d(2026, 1, 10)), DayKind::Weekend);
        assert_eq!(cal.day_kind(d(2026, 1, 5)), DayKind::Workday);
    }

    // --- day classification ---

    #[test]
    fn makeup_workday_counts_as_working() {
        let cal = cn();
        let sunday = d(2025, 9, 28);
        assert_eq!(sunday.weekday(), Weekday::Sun);
        assert!(cal.is_working_day(sunday));
        assert_eq!(cal.day_kind(sunday), DayKind::MakeUpWorkday);
        assert!(!Calendar::empty().is_working_day(sunday));
    }

    #[test]
    fn holiday_on_a_weekday_is_not_working() {
        let cal = cn();
        assert!(!cal.is_working_day(d(2025, 10, 8)));
        assert!(Calendar::empty().is_working_day(d(2025, 10, 8)));
    }

    #[test]
    fn years_outside_the_data_fall_back_to_weekends_only() {
        let cal = cn();
        assert!(cal.is_working_day(d(2030, 10, 1)));
        assert!(!cal.is_working_day(d(2030, 10, 5)));
    }

    #[test]
    fn edits_change_classification_and_clear_day_restores_default() {
        let mut cal = Calendar::empty();
        let sat = d(2031, 3, 1);
        let mon = d(2031, 3, 3);
        cal.set_holiday(mon, "测试假日");
        cal.set_workday(sat, "测试调休");
        assert_eq!(cal.day_kind(mon), DayKind::Holiday);
        assert_eq!(cal.day_name(mon), Some("测试假日"));
        assert_eq!(cal.day_kind(sat), DayKind::MakeUpWorkday);
        assert_eq!(cal.covered_years(), vec![2031]);
        assert_eq!(cal.provisional_years(), vec![2031]);
        // A weekday cannot be a make-up workday: it just becomes an ordinary workday.
        cal.set_workday(mon, "x");
        assert_eq!(cal.day_kind(mon), DayKind::Workday);
        assert_eq!(cal.day_name(mon), None);
        cal.clear_day(sat);
        assert_eq!(cal.day_kind(sat), DayKind::Weekend);
    }

    #[test]
    fn a_date_is_never_both_holiday_and_workday() {
        let mut cal = Calendar::empty();
        let sun = d(2031, 3, 2);
        cal.set_holiday(sun, "甲");
        cal.set_workday(sun, "乙");
        assert_eq!(cal.day_kind(sun), DayKind::MakeUpWorkday);
        cal.set_holiday(sun, "丙");
        assert_eq!(cal.day_kind(sun), DayKind::Holiday);
        assert_eq!(cal.day_name(sun), Some("丙"));
    }

    // --- periods ---

    #[test]
    fn one_calendar_day_from_2025_09_30_ends_2025_10_09_after_the_national_day_holiday() {
        assert_eq!(cn().due_calendar_days(d(2025, 9, 30), 1), d(2025, 10, 9));
    }

    #[test]
    fn two_working_days_from_2025_09_26_end_2025_09_29_because_sunday_28th_was_a_makeup_day() {
        assert_eq!(cn().due_working_days(d(2025, 9, 26), 2), d(2025, 9, 29));
        // Without the 调休 the Monday would be only the first working day.
        assert_eq!(Calendar::empty().due_working_days(d(2025, 9, 26), 2), d(2025, 9, 30));
    }

    #[test]
    fn fifteen_days_ending_on_a_saturday_roll_to_monday() {
        let start = d(2025, 3, 7);
        assert_eq!((start + chrono::Duration::days(15)).weekday(), Weekday::Sat);
        assert_eq!(cn().due_calendar_days(start, 15), d(2025, 3, 24));
        assert_eq!(cn().due(start, 15, DayUnit::Calendar), d(2025, 3, 24));
    }

    #[test]
    fn sixty_days_ending_in_spring_festival_2026_roll_past_the_holiday() {
        // 2025-12-23 + 60 days = 2026-02-21, inside 春节 (2-15..2-23).
        assert_eq!(cn().due_calendar_days(d(2025, 12, 23), 60), d(2026, 2, 24));
        // Ending on the 2-14 make-up Saturday needs no roll at all.
        assert_eq!(cn().due_calendar_days(d(2025, 12, 16), 60), d(2026, 2, 14));
    }

    #[test]
    fn sixty_working_days_across_spring_festival_2026_skip_the_holiday_and_count_makeup_days() {
        let cal = cn();
        let start = d(2026, 1, 5);
        let due = cal.due_working_days(start, 60);
        assert_eq!(cal.working_days_between(start, due), 60);
        assert!(cal.is_working_day(due));
        // Weekends only: 60 working days = 12 weeks exactly.
        assert_eq!(Calendar::empty().due_working_days(start, 60), d(2026, 3, 30));
        // The holiday costs six weekdays (16-20, 23 Feb) and the two make-up
        // Saturdays (14, 28 Feb) give two back: four working days later.
        assert_eq!(due, d(2026, 4, 3));
    }

    #[test]
    fn zero_days_means_the_same_day_rolled_only_for_calendar_days() {
        let cal = cn();
        assert_eq!(cal.due_calendar_days(d(2026, 3, 4), 0), d(2026, 3, 4));
        assert_eq!(cal.due_calendar_days(d(2026, 3, 7), 0), d(2026, 3, 9));
        assert_eq!(cal.due_working_days(d(2026, 3, 7), 0), d(2026, 3, 7));
        assert_eq!(cal.due(d(2026, 3, 7), 0, DayUnit::Working), d(2026, 3, 7));
    }

    #[test]
    fn working_days_starting_on_a_holiday_count_from_the_next_working_day() {
        // Received during the National Day holiday: first working day is Thu 10-9.
        assert_eq!(cn().due_working_days(d(2025, 10, 3), 1), d(2025, 10, 9));
        assert_eq!(cn().due_working_days(d(2025, 10, 3), 3), d(2025, 10, 11));
    }

    #[test]
    fn working_days_between_counts_after_from_through_to() {
        let cal = cn();
        assert_eq!(cal.working_days_between(d(2025, 9, 26), d(2025, 9, 29)), 2);
        assert_eq!(cal.working_days_between(d(2025, 9, 30), d(2025, 10, 9)), 1);
        assert_eq!(cal.working_days_between(d(2025, 9, 29), d(2025, 9, 29)), 0);
        assert_eq!(cal.working_days_between(d(2025, 10, 9), d(2025, 9, 29)), 0);
    }

    #[test]
    fn working_days_between_agrees_with_due_working_days_over_long_ranges() {
        let cal = cn();
        let start = d(2023, 12, 20);
        for n in [1u32, 5, 17, 60, 250, 1000] {
            let due = cal.due_working_days(start, n);
            assert_eq!(cal.working_days_between(start, due), i64::from(n), "n={n}");
        }
        // Brute-force cross-check on every (from, to) in a window with holidays.
        let mut from = d(2026, 9, 15);
        while from < d(2026, 10, 20) {
            let mut to = from;
            let mut brute = 0;
            while to < d(2026, 10, 20) {
                to = to.succ_opt().unwrap();
                if cal.is_working_day(to) {
                    brute += 1;
                }
                assert_eq!(cal.working_days_between(from, to), brute, "{from}..{to}");
            }
            from = from.succ_opt().unwrap();
        }
    }

    #[test]
    fn huge_periods_saturate_instead_of_panicking() {
        let cal = Calendar::empty();
        assert_eq!(cal.due_calendar_days(d(2025, 1, 1), u32::MAX), NaiveDate::MAX);
        assert_eq!(cal.due_working_days(NaiveDate::MAX, 3), NaiveDate::MAX);
    }

    // --- JSON ---

    #[test]
    fn json_round_trip_preserves_everything() {
        let cal = cn();
        let again = Calendar::from_json(&cal.to_json()).unwrap();
        assert_eq!(again, cal);
        assert_eq!(again.to_json(), cal.to_json());

        let mut edited = cal.clone();
        edited.set_holiday(d(2028, 1, 3), "元旦");
        edited.set_workday(d(2027, 2, 20), "春节调休");
        edited.clear_day(d(2024, 2, 4));
        let again = Calendar::from_json(&edited.to_json()).unwrap();
        assert_eq!(again, edited);
        assert_eq!(again.provisional_years(), vec![2027, 2028]);
    }

    #[test]
    fn from_json_accepts_a_date_of_the_adjacent_year_and_keeps_it_with_its_notice() {
        let json = r#"{"years":[{"year":2019,"notice":"国办发明电〔2018〕15号",
            "holidays":[{"name":"元旦","dates":["2018-12-30","2018-12-31","2019-01-01"]}],
            "workdays":[{"name":"元旦调休","dates":["2018-12-29"]}]}]}"#;
        let cal = Calendar::from_json(json).unwrap();
        assert_eq!(cal.covered_years(), vec![2019]);
        assert!(cal.is_working_day(d(2018, 12, 29)));
        assert!(!cal.is_working_day(d(2018, 12, 31)));
        assert_eq!(Calendar::from_json(&cal.to_json()).unwrap(), cal);
        assert!(cal.to_json().contains("2018-12-29"));
    }

    #[test]
    fn from_json_rejects_bad_files() {
        let bad = |s: &str| Calendar::from_json(s).unwrap_err();
        assert!(matches!(bad("not json"), CalendarError::Json(_)));
        assert!(matches!(bad(r#"{"years":[{"year":2024,"holiday":[]}]}"#), CalendarError::Json(_)));
        assert!(matches!(
            bad(r#"{"years":[{"year":2024,"holidays":[{"name":"x","dates":["2024-02-30"]}]}]}"#),
            CalendarError::Json(_)
        ));
        assert!(matches!(bad(r#"{"years":[{"year":2024},{"year":2024}]}"#), CalendarError::DuplicateYear(2024)));
        assert!(matches!(
            bad(r#"{"years":[{"year":2024,"holidays":[{"name":"x","dates":["2026-01-01"]}]}]}"#),
            CalendarError::DateOutsideYear { year: 2024, .. }
        ));
        assert!(matches!(
            bad(r#"{"years":[{"year":2024,"holidays":[{"name":"x","dates":["2024-02-04"]}],
                "workdays":[{"name":"y","dates":["2024-02-04"]}]}]}"#),
            CalendarError::DuplicateDate(_)
        ));
        assert!(matches!(
            bad(r#"{"years":[{"year":2024,"workdays":[{"name":"y","dates":["2024-02-05"]}]}]}"#),
            CalendarError::WorkdayNotWeekend(_)
        ));
        assert!(matches!(
            bad(r#"{"years":[{"year":2024,"holidays":[{"name":" ","dates":["2024-02-05"]}]}]}"#),
            CalendarError::EmptyName { year: 2024 }
        ));
    }

    #[test]
    fn merge_years_replaces_a_provisional_year_with_the_official_notice() {
        let mut cal = cn();
        let official = Calendar::from_json(
            r#"{"years":[{"year":2027,"notice":"国办发明电〔2026〕1号","provisional":false,
                "holidays":[{"name":"春节","dates":["2027-02-05"]}]}]}"#,
        )
        .unwrap();
        cal.merge_years(&official);
        assert!(cal.provisional_years().is_empty());
        assert_eq!(cal.covered_years(), vec![2024, 2025, 2026, 2027]);
        assert_eq!(cal.day_kind(d(2027, 2, 8)), DayKind::Workday, "old provisional dates are gone");
        assert_eq!(cal.day_kind(d(2027, 2, 5)), DayKind::Holiday);
        assert_eq!(cal.day_kind(d(2026, 2, 17)), DayKind::Holiday, "other years untouched");
    }

    #[test]
    fn empty_calendar_has_weekends_only() {
        let cal = Calendar::empty();
        assert!(cal.covered_years().is_empty());
        assert!(cal.is_working_day(d(2025, 10, 1)));
        assert_eq!(cal.day_kind(d(2025, 10, 4)), DayKind::Weekend);
        assert_eq!(Calendar::from_json(&cal.to_json()).unwrap(), cal);
    }

    #[test]
    fn day_unit_labels_and_serde_names() {
        assert_eq!(DayUnit::Calendar.label_zh(), "日");
        assert_eq!(DayUnit::Working.label_zh(), "工作日");
        assert_eq!(serde_json::to_string(&DayUnit::Working).unwrap(), "\"working\"");
        assert_eq!(serde_json::to_string(&DayKind::MakeUpWorkday).unwrap(), "\"make_up_workday\"");
    }
}
