//! The ledger (台账): the cases registered in a period, one row each with the columns offices
//! keep (编号, 来源, 登记日期, 姓名, 事项, 类别, 责任单位, 状态, 期限, 办结日期, 满意度), as
//! XLSX or CSV.
//!
//! Rows are what the person may see, optionally for one unit and its subtree, in registration
//! order, read from the store a page at a time (keyset paging on `registered_at`, so a large
//! period never loads at once). Names are masked unless asked for by a role that may unmask
//! personal data; then each name read is recorded in the personal-data access log (purpose
//! "导出台账") before it is written, and a confidential accusation (Art. 30) stays masked for
//! anyone but the intake office, the leaders and the administrator — the same rules as
//! [`App::reveal_personal`].

use std::io::Write;

use chrono::{Datelike, NaiveDate};
use redress_domain::{end_of_local_day, local_date, mask_name, Case, OrgId, Role};
use redress_store::{AccessRecord, CaseQuery, CaseSort};
use serde::Serialize;

use crate::auth::Principal;
use crate::config::Config;
use crate::documents::formal_name;
use crate::error::{AppError, AppResult};
use crate::App;

/// The purpose recorded in the access log for every name an export reads.
pub const PURPOSE: &str = "导出台账";

/// Column headings, in order.
pub const COLUMNS: [&str; 11] = ["编号", "来源", "登记日期", "姓名", "事项", "类别", "责任单位", "状态", "期限", "办结日期", "满意度"];

/// Cases read per round trip (the stores' page limit).
const PAGE: u32 = 500;

/// The most data rows one worksheet holds (Excel's 1,048,576 rows less the title and header).
pub const XLSX_MAX_ROWS: u64 = 1_048_574;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerParams {
    /// First and last registration date (Beijing time), both included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Only cases whose responsible unit is this organisation or below it.
    pub unit: Option<OrgId>,
    /// Petitioners' names unmasked (recorded in the access log).
    pub with_names: bool,
}

impl LedgerParams {
    /// Parses the parameters as typed in a form or on the command line.
    pub fn parse(from: &str, to: &str, unit: Option<&str>, with_names: bool) -> AppResult<LedgerParams> {
        let date = |field: &'static str, s: &str, what: &str| {
            let s = s.trim();
            if s.is_empty() {
                return Err(AppError::invalid(field, format!("请填写{what}（格式 2026-03-01）")));
            }
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| AppError::invalid(field, format!("{what}“{s}”无效，格式应为 2026-03-01")))
        };
        let from = date("from", from, "起始日期")?;
        let to = date("to", to, "截止日期")?;
        if from > to {
            return Err(AppError::invalid("to", "截止日期不能早于起始日期"));
        }
        let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => Some(OrgId(u.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| AppError::invalid("unit", format!("单位编号“{u}”无效，应为正整数")))?)),
        };
        Ok(LedgerParams { from, to, unit, with_names })
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub id: redress_domain::CaseId,
    /// 编号
    pub number: String,
    /// 来源
    pub channel: &'static str,
    /// 登记日期
    pub registered_on: NaiveDate,
    /// 姓名: masked unless unmasking was asked for and allowed; "匿名" for anonymous matters.
    pub name: String,
    /// 事项
    pub subject: String,
    /// 类别
    pub category: String,
    /// 责任单位
    pub unit: String,
    /// 状态
    pub status: &'static str,
    /// 期限: the current deadline's date.
    pub deadline: Option<NaiveDate>,
    /// 办结日期
    pub closed_on: Option<NaiveDate>,
    /// 满意度
    pub satisfaction: Option<&'static str>,
}

/// An export under way: its title and file name, and where the next page starts.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub params: LedgerParams,
    /// "示范县住房和城乡建设局 信访事项台账（2026-03-01 至 2026-03-31）"
    pub title: String,
    /// "台账-县住房和城乡建设局-2026-03" (no extension).
    pub file_stem: String,
    /// The same in ASCII, for clients that cannot read an RFC 5987 file name.
    pub ascii_stem: String,
    /// Cases in the period visible to the person (for progress; with a unit of several
    /// organisations, an upper bound).
    pub total: u64,
    /// The responsible unit's subtree when `unit` is given.
    units: Option<Vec<OrgId>>,
    /// Keyset position: the last registration instant read and how many rows at exactly that
    /// instant were read already.
    cursor: Option<(chrono::DateTime<chrono::Utc>, u32)>,
    /// Organisations the store query is narrowed to (a unit's subtree for a person who sees
    /// everything); the rows are then filtered by responsible unit.
    narrow: Option<Vec<OrgId>>,
    done: bool,
}

impl Ledger {
    pub fn finished(&self) -> bool {
        self.done
    }
}

/// "2026-03" for a whole calendar month, "2026-03-01至2026-03-15" otherwise.
fn period_label(from: NaiveDate, to: NaiveDate) -> String {
    let month_end = |d: NaiveDate| {
        let next = if d.month() == 12 { NaiveDate::from_ymd_opt(d.year() + 1, 1, 1) } else { NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1) };
        next.and_then(|n| n.pred_opt())
    };
    if from.day() == 1 && from.year() == to.year() && from.month() == to.month() && month_end(from) == Some(to) {
        from.format("%Y-%m").to_string()
    } else {
        format!("{}至{}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"))
    }
}

/// May this person read the petitioner's name on this case (the rules of `reveal_personal`)?
fn may_read_name(p: &Principal, case: &Case) -> bool {
    p.may_unmask() && (!case.matter.confidential || p.has_any(&[Role::IntakeClerk, Role::Admin, Role::Leader]))
}

impl App {
    /// Starts a ledger export: checks the parameters and the person's right to unmask names,
    /// names the file. Rows follow with [`App::ledger_page`].
    pub async fn ledger(&self, p: &Principal, params: LedgerParams) -> AppResult<Ledger> {
        if params.with_names && !p.may_unmask() {
            return Err(AppError::forbidden("本角色不能查看信访人个人信息，台账中的姓名只能脱敏导出"));
        }
        let cfg = self.cfg().await?;
        let units = match params.unit {
            Some(u) if cfg.tree.get(u).is_none() => return Err(AppError::invalid("unit", format!("单位编号 {} 不存在", u.0))),
            Some(u) => {
                let mut v = cfg.tree.subtree(u);
                v.sort();
                Some(v)
            }
            None => None,
        };
        let (title_org, short_name) = match params.unit {
            Some(u) => (Some(u), cfg.tree.get(u).map(|o| o.name.clone())),
            None => {
                let root = if p.visible.is_none() {
                    cfg.tree.all().find(|o| o.parent.is_none()).map(|o| o.id)
                } else if p.user.roles.iter().all(|r| r.is_unit_role()) {
                    Some(p.user.org_id)
                } else {
                    Some(cfg.tree.area_of(p.user.org_id))
                };
                (root, root.and_then(|r| cfg.tree.get(r)).map(|o| o.name.clone()))
            }
        };
        let org_title = title_org.and_then(|o| formal_name(&cfg.tree, o)).unwrap_or_default();
        let title = format!("{org_title} 信访事项台账（{} 至 {}）", params.from.format("%Y-%m-%d"), params.to.format("%Y-%m-%d")).trim().to_string();
        let period = period_label(params.from, params.to);
        let file_stem = match &short_name {
            Some(n) => format!("台账-{n}-{period}"),
            None => format!("台账-{period}"),
        };
        let ascii_period = if period.contains('至') { period.replace('至', "_") } else { period.clone() };
        let ascii_stem = match params.unit {
            Some(u) => format!("ledger-unit{}-{ascii_period}", u.0),
            None => format!("ledger-{ascii_period}"),
        };
        // A person who sees everything: let the store narrow to cases touching the subtree.
        let narrow = units.as_ref().filter(|u| u.len() > 1 && p.visible.is_none()).cloned();
        let mut ledger = Ledger { params, title, file_stem, ascii_stem, total: 0, units, cursor: None, narrow, done: false };
        let (_, total) = self.store_cases(p, self.ledger_query(&ledger, 1)).await?;
        ledger.total = total.max(0) as u64;
        Ok(ledger)
    }

    fn ledger_query(&self, l: &Ledger, limit: u32) -> CaseQuery {
        let from = end_of_local_day(l.params.from.pred_opt().unwrap_or(l.params.from));
        let (registered_from, offset) = match l.cursor {
            Some((at, n)) => (at, n),
            None => (from, 0),
        };
        let single_unit = l.units.as_ref().filter(|u| u.len() == 1).map(|u| u[0]);
        CaseQuery {
            registered_from: Some(registered_from),
            registered_to: Some(end_of_local_day(l.params.to)),
            unit: single_unit,
            visible_to: l.narrow.clone(),
            sort: CaseSort::RegisteredAsc,
            limit,
            offset,
            ..Default::default()
        }
    }

    /// The next page of rows, `None` when the ledger is complete. Names unmasked in this page
    /// are recorded in the access log before the page is returned.
    pub async fn ledger_page(&self, p: &Principal, l: &mut Ledger) -> AppResult<Option<Vec<LedgerRow>>> {
        if l.done {
            return Ok(None);
        }
        // The total was counted once at the start; pages skip the count.
        let (cases, _) = self.store_cases(p, CaseQuery { skip_total: true, ..self.ledger_query(l, PAGE) }).await?;
        if (cases.len() as u32) < PAGE {
            l.done = true;
        }
        if let Some(last) = cases.last() {
            let at = last.registered_at;
            let same = cases.iter().rev().take_while(|c| c.registered_at == at).count() as u32;
            l.cursor = Some(match l.cursor {
                // The whole page shares the instant of the previous one: skip past all of them.
                Some((prev, n)) if prev == at => (at, n + same),
                _ => (at, same),
            });
        }
        let cfg = self.cfg().await?;
        let mut rows = Vec::with_capacity(cases.len());
        for case in &cases {
            if let Some(units) = &l.units {
                if case.unit.is_none_or(|u| units.binary_search(&u).is_err()) {
                    continue;
                }
            }
            let name = self.ledger_name(p, case, l.params.with_names).await?;
            rows.push(ledger_row(&cfg, case, name));
        }
        if rows.is_empty() && l.done {
            return Ok(None);
        }
        Ok(Some(rows))
    }

    async fn ledger_name(&self, p: &Principal, case: &Case, with_names: bool) -> AppResult<String> {
        if case.anonymous {
            return Ok("匿名".to_string());
        }
        if case.personal_data_purged {
            return Ok("（已清除）".to_string());
        }
        let Some(record) = self.store.personal_data(case.id).await? else { return Ok(String::new()) };
        let Some(name) = record.petitioner.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()) else {
            return Ok(String::new());
        };
        if with_names && may_read_name(p, case) {
            self.store
                .record_access(AccessRecord {
                    at: self.now(),
                    user_id: p.user.id,
                    username: p.user.username.clone(),
                    case_id: case.id,
                    fields: vec!["name".to_string()],
                    purpose: PURPOSE.to_string(),
                })
                .await?;
            Ok(name)
        } else {
            Ok(mask_name(&name))
        }
    }

    /// The whole ledger as CSV bytes (for the web; the CLI streams to a file).
    pub async fn ledger_csv(&self, p: &Principal, l: &mut Ledger) -> AppResult<Vec<u8>> {
        let mut w = CsvLedger::new(Vec::new()).map_err(io_error)?;
        while let Some(rows) = self.ledger_page(p, l).await? {
            for r in &rows {
                w.row(r).map_err(io_error)?;
            }
        }
        w.finish().map_err(io_error)
    }

    /// The whole ledger as an XLSX workbook.
    pub async fn ledger_xlsx(&self, p: &Principal, l: &mut Ledger) -> AppResult<Vec<u8>> {
        let mut w = XlsxLedger::new(&l.title)?;
        while let Some(rows) = self.ledger_page(p, l).await? {
            for r in &rows {
                w.row(r)?;
            }
        }
        w.finish()
    }
}

fn io_error(e: std::io::Error) -> AppError {
    AppError::Unavailable(format!("写入台账失败：{e}"))
}

fn ledger_row(cfg: &Config, case: &Case, name: String) -> LedgerRow {
    LedgerRow {
        id: case.id,
        number: case.number(),
        channel: case.matter.channel.label_zh(),
        registered_on: local_date(case.registered_at),
        name,
        subject: case.matter.subject.clone(),
        category: case.matter.category.as_deref().and_then(|c| cfg.taxonomy.label(c)).unwrap_or_default(),
        unit: crate::views::org_name(cfg, case.unit).unwrap_or_default(),
        status: case.status.label_zh(),
        deadline: case.staff_deadline(&cfg.rules, &cfg.calendar).map(|d| d.due),
        closed_on: case.closed_at.map(local_date),
        satisfaction: case.follow_up.as_ref().map(|f| f.satisfaction.label_zh()),
    }
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// A cell as CSV text: a value a spreadsheet would take as a formula (starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading `'`; then RFC 4180 quoting.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// CSV in UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF line ends.
pub struct CsvLedger<W: Write> {
    out: W,
}

impl<W: Write> CsvLedger<W> {
    /// Writes the BOM and the header row.
    pub fn new(mut out: W) -> std::io::Result<CsvLedger<W>> {
        out.write_all("\u{feff}".as_bytes())?;
        let header: Vec<String> = COLUMNS.iter().map(|c| csv_cell(c)).collect();
        out.write_all(header.join(",").as_bytes())?;
        out.write_all(b"\r\n")?;
        Ok(CsvLedger { out })
    }

    pub fn row(&mut self, r: &LedgerRow) -> std::io::Result<()> {
        let cells = [
            r.number.clone(),
            r.channel.to_string(),
            date_text(Some(r.registered_on)),
            r.name.clone(),
            r.subject.clone(),
            r.category.clone(),
            r.unit.clone(),
            r.status.to_string(),
            date_text(r.deadline),
            date_text(r.closed_on),
            r.satisfaction.unwrap_or_default().to_string(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        self.out.write_all(line.join(",").as_bytes())?;
        self.out.write_all(b"\r\n")
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Column widths in Excel character units, in [`COLUMNS`] order.
const WIDTHS: [f64; 11] = [15.0, 12.0, 12.0, 10.0, 40.0, 24.0, 22.0, 12.0, 12.0, 12.0, 10.0];

/// An XLSX workbook with one sheet "台账": a title row, a bold frozen header with an
/// autofilter, set column widths and dates as real dates. Rows are streamed to a temporary
/// file (constant memory), so they must come in order.
pub struct XlsxLedger {
    wb: rust_xlsxwriter::Workbook,
    date: rust_xlsxwriter::Format,
    text: rust_xlsxwriter::Format,
    /// The next row to write (0 is the title, 1 the header).
    next: u32,
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Unavailable(format!("生成 XLSX 台账失败：{e}"))
}

impl XlsxLedger {
    pub fn new(title: &str) -> AppResult<XlsxLedger> {
        use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
        let mut wb = Workbook::new();
        let title_fmt = Format::new().set_bold().set_font_size(14);
        let header = Format::new().set_bold().set_align(FormatAlign::Center).set_border(FormatBorder::Thin).set_background_color("#DDEBF7");
        {
            let ws = wb.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
            ws.set_name("台账").map_err(xlsx_error)?;
            for (c, w) in WIDTHS.iter().enumerate() {
                ws.set_column_width(c as u16, *w).map_err(xlsx_error)?;
            }
            ws.set_row_height(0, 24).map_err(xlsx_error)?;
            ws.write_string_with_format(0, 0, title, &title_fmt).map_err(xlsx_error)?;
            for (c, h) in COLUMNS.iter().enumerate() {
                ws.write_string_with_format(1, c as u16, *h, &header).map_err(xlsx_error)?;
            }
            ws.set_freeze_panes(2, 0).map_err(xlsx_error)?;
        }
        Ok(XlsxLedger { wb, date: Format::new().set_num_format("yyyy-mm-dd"), text: Format::new(), next: 2 })
    }

    pub fn rows_written(&self) -> u64 {
        (self.next - 2) as u64
    }

    pub fn row(&mut self, r: &LedgerRow) -> AppResult<()> {
        if self.rows_written() >= XLSX_MAX_ROWS {
            return Err(AppError::TooLarge(format!("台账超过 Excel 单表 {XLSX_MAX_ROWS} 行的上限，请缩短期间或改用 CSV 格式")));
        }
        let row = self.next;
        let ws = self.wb.worksheet_from_index(0).map_err(xlsx_error)?;
        let texts: [(u16, &str); 8] = [
            (0, &r.number),
            (1, r.channel),
            (3, &r.name),
            (4, &r.subject),
            (5, &r.category),
            (6, &r.unit),
            (7, r.status),
            (10, r.satisfaction.unwrap_or_default()),
        ];
        for (c, t) in texts {
            if !t.is_empty() {
                ws.write_string_with_format(row, c, t, &self.text).map_err(xlsx_error)?;
            }
        }
        for (c, d) in [(2u16, Some(r.registered_on)), (8, r.deadline), (9, r.closed_on)] {
            if let Some(d) = d {
                let x = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xlsx_error)?;
                ws.write_datetime_with_format(row, c, &x, &self.date).map_err(xlsx_error)?;
            }
        }
        self.next += 1;
        Ok(())
    }

    /// Adds the autofilter over the header and the rows, and returns the file.
    pub fn finish(mut self) -> AppResult<Vec<u8>> {
        let last = self.next.saturating_sub(1).max(1);
        let ws = self.wb.worksheet_from_index(0).map_err(xlsx_error)?;
        ws.autofilter(1, 0, last, (COLUMNS.len() - 1) as u16).map_err(xlsx_error)?;
        self.wb.save_to_buffer().map_err(xlsx_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("普通文字"), "普通文字");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("两行\n文字"), "\"两行\n文字\"");
    }

    #[test]
    fn a_whole_month_is_named_by_the_month() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(period_label(d("2026-03-01"), d("2026-03-31")), "2026-03");
        assert_eq!(period_label(d("2026-02-01"), d("2026-02-28")), "2026-02");
        assert_eq!(period_label(d("2026-12-01"), d("2026-12-31")), "2026-12");
        assert_eq!(period_label(d("2026-03-01"), d("2026-03-15")), "2026-03-01至2026-03-15");
    }

    #[test]
    fn parameters_are_checked_with_chinese_messages() {
        let e = LedgerParams::parse("2026-03-31", "2026-03-01", None, false).unwrap_err();
        assert!(e.to_string().contains("截止日期不能早于起始日期"), "{e}");
        let e = LedgerParams::parse("2026/03/01", "2026-03-31", None, false).unwrap_err();
        assert!(e.to_string().contains("格式应为"), "{e}");
        let e = LedgerParams::parse("2026-03-01", "2026-03-31", Some("x"), false).unwrap_err();
        assert!(e.to_string().contains("单位编号"), "{e}");
        let p = LedgerParams::parse("2026-03-01", "2026-03-31", Some(" 7 "), true).unwrap();
        assert_eq!(p.unit, Some(OrgId(7)));
    }
}
