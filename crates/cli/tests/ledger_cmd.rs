//! `redress export ledger` on a throw-away SQLite database seeded with the demo county: the
//! CSV parses back with every case of the period, names masked unless `--with-names`, which
//! records each read as user "cli"; the XLSX is a valid workbook; bad dates are refused in
//! Chinese without leaving a file; and `redress export` without a subcommand still writes JSON
//! lines.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_redress");
const COLUMNS: [&str; 11] = ["编号", "来源", "登记日期", "姓名", "事项", "类别", "责任单位", "状态", "期限", "办结日期", "满意度"];

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--database", url])
        .args(args)
        .env_remove("REDRESS_DATABASE")
        .env("REDRESS_LOG", "warn")
        .output()
        .expect("run redress")
}

fn ok(url: &str, args: &[&str]) -> String {
    let out = run(url, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "redress {args:?} failed: {stderr}");
    stderr
}

/// Seeds the demo county with `n` cases in-process; returns (cases, access-log entries).
fn seed(url: &str, n: usize) -> (Vec<redress_domain::Case>, usize) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = redress_app::open_and_migrate(url).await.unwrap();
        let app = redress_app::App::new(store);
        app.seed_demo_if_empty(n).await.unwrap().expect("fresh database");
        let max = app.store.max_case_id().await.unwrap();
        let cases = app.store.cases_in_range(redress_domain::CaseId(1), redress_domain::CaseId(max.0 + 1)).await.unwrap();
        let log = app.store.access_log(None, 10_000).await.unwrap().len();
        (cases, log)
    })
}

fn access_log(url: &str) -> Vec<redress_store::AccessRecord> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = redress_app::open_store(url).await.unwrap();
        store.access_log(None, 10_000).await.unwrap()
    })
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM first");
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    let rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    assert_eq!(rows[0], COLUMNS);
    assert!(rows.iter().all(|r| r.len() == 11));
    rows[1..].to_vec()
}

#[test]
fn ledger_export_from_the_command_line() {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = Dir(std::env::temp_dir().join(format!("redress-cli-ledger-{}-{nanos}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let url = format!("sqlite://{}", dir.0.join("redress.db").display());
    // More than two pages of 500, so the keyset paging is crossed twice.
    let (mut cases, log_before) = seed(&url, 1100);
    assert!(cases.len() >= 1100);
    cases.sort_by_key(|c| (c.registered_at, c.id));
    let out = |name: &str| dir.0.join(name);

    // All cases, masked, in registration order.
    let csv_path = out("台账.csv");
    let stderr = ok(&url, &["export", "ledger", "--format", "csv", "--from", "2000-01-01", "--to", "2099-12-31", "--out", csv_path.to_str().unwrap()]);
    assert!(stderr.contains(&format!("已导出 {} 件事项", cases.len())) && stderr.contains("姓名已脱敏"), "{stderr}");
    let rows = read_csv(&csv_path);
    let numbers: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(numbers, cases.iter().map(|c| c.number()).collect::<Vec<_>>());
    let named: Vec<&Vec<String>> = rows.iter().filter(|r| r[3] != "匿名" && !r[3].is_empty()).collect();
    assert!(!named.is_empty());
    assert!(named.iter().all(|r| r[3].contains('*')), "masked: {named:?}");
    assert_eq!(access_log(&url).len(), log_before, "a masked export reads no name");
    assert!(!out("台账.csv.part").exists());

    // With names: unmasked, and every name read is in the access log as "cli".
    let names_path = out("names.csv");
    ok(&url, &["export", "ledger", "--format", "csv", "--from", "2000-01-01", "--to", "2099-12-31", "--with-names", "--out", names_path.to_str().unwrap()]);
    let rows = read_csv(&names_path);
    let unmasked = rows.iter().filter(|r| r[3] != "匿名" && !r[3].is_empty()).count();
    assert_eq!(unmasked, named.len());
    assert!(rows.iter().all(|r| !r[3].contains('*')), "{rows:?}");
    let log = access_log(&url);
    let ledger_reads: Vec<_> = log.iter().filter(|e| e.purpose == "导出台账").collect();
    assert_eq!(ledger_reads.len(), unmasked);
    assert!(ledger_reads.iter().all(|e| e.username == "cli" && e.fields == ["name"]));

    // One unit (its subtree) as a workbook, checked with Python's zipfile.
    let (unit, unit_name) = {
        // A county department (no units below it), so its rows are those naming it.
        let c = cases
            .iter()
            .find(|c| c.unit.is_some() && rows.iter().any(|r| r[0] == c.number() && r[6].starts_with('县')))
            .expect("a demo case routed to a department");
        let row = rows.iter().find(|r| r[0] == c.number()).unwrap();
        (c.unit.unwrap().0, row[6].clone())
    };
    let expected = rows.iter().filter(|r| r[6] == unit_name).count();
    let xlsx = out("unit.xlsx");
    ok(&url, &["export", "ledger", "--from", "2000-01-01", "--to", "2099-12-31", "--unit", &unit.to_string(), "--out", xlsx.to_str().unwrap()]);
    // The same unit by name gives the same rows.
    let by_name = out("unit.csv");
    ok(&url, &["export", "ledger", "--format", "csv", "--from", "2000-01-01", "--to", "2099-12-31", "--unit", &unit_name, "--out", by_name.to_str().unwrap()]);
    assert_eq!(read_csv(&by_name).len(), expected);
    let script = r#"
import sys, zipfile
from xml.dom import minidom
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
sheet = minidom.parseString(z.read("xl/worksheets/sheet1.xml"))
rows = sheet.getElementsByTagName("row")
texts = [t.firstChild.data for t in sheet.getElementsByTagName("t") if t.firstChild]
shared = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in z.namelist() else ""
print(len(rows))
print("信访事项台账" in "".join(texts) + shared)
"#;
    let py = Command::new("python3").args(["-c", script, xlsx.to_str().unwrap()]).output().unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let printed = String::from_utf8(py.stdout).unwrap();
    assert_eq!(printed.lines().collect::<Vec<_>>(), [format!("{}", expected + 2).as_str(), "True"], "title, header and the unit's rows");

    // Bad input: a Chinese message, exit code 1, no file.
    let bad = out("bad.csv");
    let r = run(&url, &["export", "ledger", "--format", "csv", "--from", "2026-03-31", "--to", "2026-03-01", "--out", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("截止日期不能早于起始日期"));
    assert!(!bad.exists() && !out("bad.csv.part").exists());
    let r = run(&url, &["export", "ledger", "--from", "2026-03-01", "--to", "2026-03-31", "--unit", "不存在的局", "--out", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("没有名为“不存在的局”的单位"), "{}", String::from_utf8_lossy(&r.stderr));

    // The JSON-lines export is unchanged.
    let jsonl = out("cases.jsonl");
    ok(&url, &["export", "--out", jsonl.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap().lines().count(), cases.len());
}
