//! The `redress` binary as an operator uses it, against throw-away SQLite files (and one
//! PostgreSQL database, which must be reachable: that test fails rather than skips).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_redress");

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("redress-cli-{label}-{}-{}-{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database for one test: a SQLite file in its own directory.
struct Env {
    dir: TempDir,
    url: String,
}

impl Env {
    fn new(label: &str) -> Env {
        let dir = TempDir::new(label);
        let url = format!("sqlite://{}", dir.path("redress.db").display());
        Env { dir, url }
    }

    fn with_url(label: &str, url: String) -> Env {
        Env { dir: TempDir::new(label), url }
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(BIN)
            .args(["--database", &self.url])
            .args(args)
            .env_remove("REDRESS_DATABASE")
            .env("REDRESS_LOG", "warn")
            .output()
            .expect("run redress");
        Run::from(args, out)
    }

    /// Runs and insists on exit code 0.
    fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "redress {args:?} failed\n{r}");
        r
    }

    fn sqlite_path(&self) -> PathBuf {
        self.dir.path("redress.db")
    }

    /// The demo-like county used by most tests; rows deliberately children first.
    fn import_orgs(&self) {
        let csv = self.dir.write(
            "orgs.csv",
            "name,parent,kind,division_code\n\
             东门村,城关镇,村,\n\
             城关镇,示范县,乡镇,430000101\n\
             示范县,,county,430000\n\
             县信访局,示范县,部门,\n\
             县住房和城乡建设局,示范县,department,\n\
             县人力资源和社会保障局,示范县,部门,\n",
        );
        self.ok(&["org", "import", "--csv", csv.to_str().unwrap()]);
    }
}

struct Run {
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(args: &[&str], out: Output) -> Run {
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "$ redress {}\nexit {}\n--- stdout\n{}--- stderr\n{}", self.args.join(" "), self.code, self.stdout, self.stderr)
    }
}

/// Twelve ledger rows (file lines 2-13); lines 5 (phone) and 9 (date) are bad.
fn ledger_csv() -> String {
    let mut s = String::from("\u{feff}登记日期,来源,类型,标题,内容,姓名,联系电话,状态,责任单位,处理结果,处理意见,满意度\n");
    let statuses = ["待受理", "已受理", "办理中", "已答复", "已办结"];
    for i in 0..12 {
        let line = i + 2;
        let phone = if line == 5 { "12345".to_string() } else { format!("1391234{:04}", i) };
        let date = if line == 9 { "2025-13-45".to_string() } else { format!("2025-03-{:02} 09:30", i + 1) };
        let status = statuses[i % statuses.len()];
        s.push_str(&format!(
            "{date},来信,申诉求决,东门村道路积水{i},每逢下雨道路积水严重，请求疏通排水管网（{i}）,王建国,{phone},{status},县住房和城乡建设局,支持,已安排疏通排水管网,满意\n"
        ));
    }
    s
}

fn import_ledger(env: &Env) -> Run {
    env.import_orgs();
    let csv = env.dir.write("ledger.csv", &ledger_csv());
    env.run(&["case", "import", "--csv", csv.to_str().unwrap()])
}

// ---------------------------------------------------------------- calendar

#[test]
fn one_calendar_day_from_2025_09_30_is_due_2025_10_09_after_national_day() {
    let env = Env::new("cal1");
    env.ok(&["migrate"]);
    let r = env.ok(&["calendar", "due", "--from", "2025-09-30", "--days", "1"]);
    let mut lines = r.stdout.lines();
    assert_eq!(lines.next(), Some("2025-10-09"), "{r}");
    assert!(r.stdout.contains("国庆节、中秋节"), "the skipped holiday is named\n{r}");
}

#[test]
fn two_working_days_from_2025_09_26_are_due_2025_09_29_counting_the_makeup_sunday() {
    let env = Env::new("cal2");
    env.ok(&["migrate"]);
    let r = env.ok(&["calendar", "due", "--from", "2025-09-26", "--days", "2", "--working-days"]);
    assert_eq!(r.stdout.lines().next(), Some("2025-09-29"), "{r}");
    assert!(r.stdout.contains("2025-09-28"), "the 调休 Sunday is mentioned\n{r}");
}

#[test]
fn calendar_edits_are_saved_in_the_database_and_change_due_dates() {
    let env = Env::new("cal3");
    env.ok(&["migrate"]);
    // 2031 has no data: Monday 2031-03-03 + 1 day = Tuesday.
    let r = env.ok(&["calendar", "due", "--from", "2031-03-03", "--days", "1"]);
    assert_eq!(r.stdout.lines().next(), Some("2031-03-04"), "{r}");
    assert!(r.stdout.contains("2031 年没有节假日安排数据"), "{r}");
    env.ok(&["calendar", "set-holiday", "2031-03-04", "--name", "测试假日"]);
    let r = env.ok(&["calendar", "due", "--from", "2031-03-03", "--days", "1"]);
    assert_eq!(r.stdout.lines().next(), Some("2031-03-05"), "{r}");
    assert!(r.stdout.contains("测试假日"), "{r}");
    assert!(env.ok(&["calendar", "show", "--year", "2031"]).stdout.contains("2031-03-04 测试假日"));
    env.ok(&["calendar", "clear", "2031-03-04"]);
    let r = env.ok(&["calendar", "due", "--from", "2031-03-03", "--days", "1"]);
    assert_eq!(r.stdout.lines().next(), Some("2031-03-04"), "{r}");

    // An official notice replaces the provisional 2027.
    let json = env.dir.write(
        "2027.json",
        r#"{"years":[{"year":2027,"notice":"国办发明电〔2026〕1号","provisional":false,
            "holidays":[{"name":"国庆节","dates":["2027-10-01","2027-10-02","2027-10-03","2027-10-04","2027-10-05","2027-10-06","2027-10-07"]}],
            "workdays":[{"name":"国庆节调休","dates":["2027-09-26"]}]}]}"#,
    );
    env.ok(&["calendar", "import", "--json", json.to_str().unwrap()]);
    let r = env.ok(&["calendar", "show", "--year", "2027"]);
    assert!(r.stdout.contains("国办发明电〔2026〕1号"), "{r}");
    assert!(!r.stdout.contains("暂定"), "{r}");
    assert!(r.stdout.contains("2027-09-26（星期日）国庆节调休"), "{r}");
    assert!(!r.stdout.contains("春节"), "the provisional dates are gone\n{r}");
    assert!(env.ok(&["calendar", "show", "--year", "2026"]).stdout.contains("春节"), "other years are kept");
}

#[test]
fn calendar_show_lists_holidays_and_makeup_workdays_with_names() {
    let env = Env::new("cal4");
    env.ok(&["migrate"]);
    let r = env.ok(&["calendar", "show", "--year", "2026"]);
    assert!(r.stdout.contains("2026-02-15 至 2026-02-23 春节（9 天）"), "{r}");
    assert!(r.stdout.contains("2026-02-14（星期六）春节调休"), "{r}");
}

#[test]
fn a_mistyped_sqlite_path_is_an_error_for_read_only_commands() {
    let env = Env::new("missing");
    let r = env.run(&["verify"]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("不存在"), "{r}");
    assert!(!env.sqlite_path().exists(), "no empty database was created");
}

// ---------------------------------------------------------------- users and organisations

#[test]
fn users_are_added_listed_disabled_and_enabled() {
    let env = Env::new("users");
    env.import_orgs();
    let r = env.ok(&["user", "add", "--username", "zhang", "--name", "张承办", "--org", "县住房和城乡建设局", "--role", "handler,单位负责人"]);
    let password = r.stdout.lines().find_map(|l| l.split('：').nth(1).filter(|_| l.contains("初始密码"))).expect("a generated password is printed");
    assert_eq!(password.trim().chars().count(), 16, "{r}");
    env.ok(&["user", "add", "--username", "li", "--name", "李登记", "--org", "县信访局", "--role", "登记员", "--password", "correct-horse-1"]);

    let r = env.run(&["user", "add", "--username", "wang", "--name", "王", "--org", "县信访局", "--role", "boss"]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("角色“boss”无法识别"), "{r}");
    let r = env.run(&["user", "add", "--username", "zhang", "--name", "重名", "--org", "县信访局", "--role", "handler"]);
    assert_eq!(r.code, 1, "a taken username is refused\n{r}");

    let list = env.ok(&["user", "list"]).stdout;
    let zhang = list.lines().find(|l| l.contains("zhang")).expect("zhang listed");
    assert!(zhang.contains("张承办") && zhang.contains("县住房和城乡建设局") && zhang.contains("承办人、单位负责人"), "{list}");
    assert!(!zhang.contains("已停用"), "{list}");
    assert!(list.lines().any(|l| l.contains("li") && l.contains("登记员")), "{list}");

    env.ok(&["user", "disable", "zhang"]);
    let list = env.ok(&["user", "list"]).stdout;
    assert!(list.lines().any(|l| l.contains("zhang") && l.contains("已停用")), "{list}");
    assert!(!list.lines().any(|l| l.contains(" li ") && l.contains("已停用")), "{list}");
    env.ok(&["user", "enable", "zhang"]);
    assert!(!env.ok(&["user", "list"]).stdout.contains("已停用"));

    let r = env.run(&["user", "disable", "nobody"]);
    assert_eq!(r.code, 1, "{r}");
}

#[test]
fn org_import_resolves_parents_in_any_order_and_updates_by_name() {
    let env = Env::new("orgs");
    env.import_orgs();
    let tree = env.ok(&["org", "list"]).stdout;
    let line = |name: &str| tree.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} missing\n{tree}")).to_string();
    let indent = |l: &str| l.split_once("  ").map(|(_, rest)| rest.len() - rest.trim_start().len()).unwrap();
    assert_eq!(indent(&line("示范县")), 0, "{tree}");
    assert_eq!(indent(&line("城关镇")), 2, "{tree}");
    assert_eq!(indent(&line("东门村")), 4, "{tree}");
    assert!(line("城关镇").contains("区划代码 430000101"), "{tree}");

    // Importing again changes only what differs.
    let csv = env.dir.write("more.csv", "name,parent,kind\n东门村,示范县,village\n河口镇,示范县,town\n");
    let r = env.ok(&["org", "import", "--csv", csv.to_str().unwrap()]);
    assert!(r.stdout.contains("新增 1，更新 1"), "{r}");
    let tree = env.ok(&["org", "list"]).stdout;
    assert_eq!(tree.lines().filter(|l| l.contains("东门村")).count(), 1, "updated, not duplicated\n{tree}");
    let line = |name: &str| tree.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert_eq!(indent(&line("东门村")), 2, "moved under the county\n{tree}");
}

#[test]
fn org_import_with_a_bad_row_imports_nothing_and_names_the_lines() {
    let env = Env::new("orgs-bad");
    env.ok(&["migrate"]);
    let csv = env.dir.write(
        "orgs.csv",
        "name,parent,kind\n示范县,,county\n县信访局,示范县,部门\n城关镇,示范县,省\n东门村,不存在的镇,村\n甲村,乙村,村\n乙村,甲村,村\n",
    );
    let r = env.run(&["org", "import", "--csv", csv.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("第 4 行") && r.stderr.contains("“省”"), "bad kind on line 4\n{r}");
    assert!(r.stderr.contains("第 5 行") && r.stderr.contains("不存在的镇"), "unknown parent on line 5\n{r}");
    assert!(r.stderr.contains("第 6 行") && r.stderr.contains("循环"), "cycle on line 6\n{r}");
    assert!(r.stderr.contains("未导入任何单位"), "{r}");
    assert!(env.ok(&["org", "list"]).stdout.contains("尚无组织机构"), "nothing was imported");
}

// ---------------------------------------------------------------- ledger import, export, verify

#[test]
fn case_import_keeps_good_rows_reports_bad_lines_and_exits_3() {
    let env = Env::new("import");
    let r = import_ledger(&env);
    assert_eq!(r.code, 3, "{r}");
    assert!(r.stdout.contains("导入 10 行，失败 2 行"), "{r}");
    assert!(r.stdout.contains("第 5 行 [phone] 联系电话格式不正确"), "{r}");
    assert!(r.stdout.contains("第 9 行 [registered_at]"), "{r}");

    let report = std::fs::read_to_string(env.dir.path("ledger.csv.errors.csv")).expect("error report written beside the input");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert!(lines[0].starts_with("错误行号,错误字段,错误原因,登记日期"), "{report}");
    assert!(lines[1].starts_with("5,phone,") && lines[1].contains("12345"), "the row is kept for correction\n{report}");
    assert!(lines[2].starts_with("9,registered_at,") && lines[2].contains("2025-13-45"), "{report}");

    let r = env.ok(&["verify"]);
    assert!(r.stdout.contains("哈希链完整") && r.stdout.contains("10 件事项状态与事件一致"), "{r}");
}

#[test]
fn a_dry_run_checks_rows_without_writing() {
    let env = Env::new("dry");
    env.import_orgs();
    let csv = env.dir.write("ledger.csv", &ledger_csv());
    let r = env.run(&["case", "import", "--csv", csv.to_str().unwrap(), "--dry-run"]);
    assert_eq!(r.code, 3, "{r}");
    // The dry run checks everything a real import would, the petitioner's data included.
    assert!(r.stdout.contains("第 9 行 [registered_at]"), "{r}");
    assert!(r.stdout.contains("第 5 行 [phone]"), "{r}");
    let r = env.ok(&["export"]);
    assert_eq!(r.stdout.lines().count(), 0, "{r}");
}

#[test]
fn a_ledger_that_is_not_utf8_is_refused_with_advice() {
    let env = Env::new("gbk");
    env.import_orgs();
    // "登记日期" in GBK.
    let path = env.dir.path("gbk.csv");
    std::fs::write(&path, [0xB5, 0xC7, 0xBC, 0xC7, 0xC8, 0xD5, 0xC6, 0xDA, b',', b'x', b'\n']).unwrap();
    let r = env.run(&["case", "import", "--csv", path.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("UTF-8"), "{r}");
}

#[test]
fn export_writes_one_json_line_per_case_without_personal_data() {
    let env = Env::new("export");
    assert_eq!(import_ledger(&env).code, 3);
    let r = env.ok(&["export"]);
    let lines: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), 10, "{r}");
    assert!(lines.iter().all(|c| c["tracking_code"].is_string() && c["status"].is_string()), "{r}");
    assert!(r.stderr.contains("已导出 10 件事项"), "{r}");
    assert!(!r.stdout.contains("王建国") && !r.stdout.contains("1391234"), "no personal data\n{r}");

    let out = env.dir.path("cases.jsonl");
    env.ok(&["export", "--with-events", "--out", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 10);
    for l in &lines {
        let events = l["events"].as_array().expect("events");
        assert_eq!(events.len() as u64, l["case"]["version"].as_u64().unwrap(), "every event of the case");
        assert_eq!(events[0]["kind"], "registered");
    }
    assert!(!text.contains("王建国") && !text.contains("1391234"), "no personal data");
}

fn sqlite(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.sqlite_path()).unwrap()
}

#[test]
fn verify_names_the_event_whose_payload_was_altered() {
    let env = Env::new("tamper-event");
    assert_eq!(import_ledger(&env).code, 3);
    let db = sqlite(&env);
    let seq: i64 = db.query_row("SELECT min(seq) FROM events WHERE kind = 'accepted'", [], |r| r.get(0)).unwrap();
    let changed = db.execute("UPDATE events SET payload = replace(payload, '历史台账导入', '已篡改') WHERE seq = ?1", [seq]).unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let r = env.run(&["verify"]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains(&format!("事件 {seq}")) && r.stdout.contains("篡改"), "{r}");
}

#[test]
fn verify_names_the_case_whose_stored_state_was_altered() {
    let env = Env::new("tamper-case");
    assert_eq!(import_ledger(&env).code, 3);
    let db = sqlite(&env);
    let changed = db.execute("UPDATE cases SET data = json_set(data, '$.matter.subject', '改过的标题') WHERE id = 3", []).unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let r = env.run(&["verify"]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("事项 3"), "{r}");
}

// ---------------------------------------------------------------- rules and tokens

#[test]
fn rules_round_trip_and_invalid_rules_are_refused() {
    let env = Env::new("rules");
    env.ok(&["migrate"]);
    let shown = env.ok(&["rules", "show"]).stdout;
    let mut rules: serde_json::Value = serde_json::from_str(&shown).unwrap();
    rules["warn_days"] = 5.into();
    let good = env.dir.write("rules.json", &rules.to_string());
    env.ok(&["rules", "set", "--json", good.to_str().unwrap()]);
    let again: serde_json::Value = serde_json::from_str(&env.ok(&["rules", "show"]).stdout).unwrap();
    assert_eq!(again["warn_days"], 5);

    rules["rules"] = serde_json::json!([]);
    let bad = env.dir.write("bad.json", &rules.to_string());
    let r = env.run(&["rules", "set", "--json", bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("缺少"), "{r}");
}

#[test]
fn a_token_is_printed_once_for_an_existing_user() {
    let env = Env::new("token");
    env.import_orgs();
    env.ok(&["user", "add", "--username", "bot", "--name", "对接账号", "--org", "县信访局", "--role", "intake_clerk"]);
    let r = env.ok(&["token", "add", "--name", "12345 对接", "--user", "bot"]);
    let token = r.stdout.trim();
    assert_eq!(token.len(), 64, "{r}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{r}");
    let db = sqlite(&env);
    let stored: String = db.query_row("SELECT token_hash FROM api_tokens", [], |r| r.get(0)).unwrap();
    assert_ne!(stored, token, "only the hash is stored");
    assert_eq!(env.run(&["token", "add", "--name", "x", "--user", "nobody"]).code, 1);
}

// ---------------------------------------------------------------- serve

/// Lines of a child's stdout, read on their own thread so that waiting can time out.
fn lines_of(out: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects lines until one contains `until` or the deadline passes.
fn read_until(lines: &std::sync::mpsc::Receiver<String>, until: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    let mut text = String::new();
    while let Ok(l) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        text.push_str(&l);
        text.push('\n');
        if l.contains(until) {
            break;
        }
    }
    text
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf
}

#[test]
fn serve_seeds_demo_data_prints_url_and_logins_and_stops_cleanly_on_sigterm() {
    let env = Env::new("serve");
    let mut child = Command::new(BIN)
        .args(["--database", &env.url, "serve", "--listen", "127.0.0.1:0", "--demo-cases", "60"])
        .env("REDRESS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start redress serve");
    let stdout = lines_of(child.stdout.take().unwrap());
    let banner = read_until(&stdout, "Ctrl-C", Duration::from_secs(120));
    let addr = banner
        .lines()
        .find_map(|l| l.strip_prefix("redress 已启动：http://"))
        .map(|a| a.trim_end_matches('/').to_string());
    let Some(addr) = addr else {
        let _ = child.kill();
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("no URL printed\n--- stdout\n{banner}--- stderr\n{err}");
    };
    assert!(!addr.ends_with(":0"), "the bound port is printed: {addr}");
    assert!(banner.contains("redress-demo"), "{banner}");
    for (user, role) in [("clerk", "登记员"), ("handler", "承办人"), ("admin", "系统管理员")] {
        assert!(banner.lines().any(|l| l.starts_with(user) && l.contains(role)), "{user} listed\n{banner}");
    }
    let reply = http_get(&addr, "/");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("server did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0));

    // The demo cases are consistent with their events.
    let r = env.ok(&["verify"]);
    assert!(r.stdout.contains("60 件事项状态与事件一致"), "{r}");
}

// ---------------------------------------------------------------- PostgreSQL

fn pg_admin_url() -> String {
    std::env::var("REDRESS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A throw-away database, dropped at the end of the test (pass or fail).
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    fn create() -> PgDb {
        let admin = pg_admin_url();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (url, name) = rt
            .block_on(redress_store_postgres::testing::create_test_database(&admin))
            .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at {admin} (set REDRESS_TEST_PG_URL): {e}"));
        PgDb { admin, name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _ = rt.block_on(redress_store_postgres::testing::drop_database(&self.admin, &self.name));
    }
}

#[test]
fn postgres_migrate_import_and_verify() {
    let db = PgDb::create();
    let env = Env::with_url("pg", db.url.clone());
    let r = env.ok(&["migrate"]);
    assert!(r.stdout.contains("postgres"), "{r}");
    let r = import_ledger(&env);
    assert_eq!(r.code, 3, "{r}");
    assert!(r.stdout.contains("导入 10 行，失败 2 行"), "{r}");
    let r = env.ok(&["verify"]);
    assert!(r.stdout.contains("哈希链完整") && r.stdout.contains("10 件事项状态与事件一致"), "{r}");
    let r = env.ok(&["export"]);
    assert_eq!(r.stdout.lines().count(), 10, "{r}");
}
