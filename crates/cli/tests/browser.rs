//! The console and portal in a real browser: `redress serve` on a throw-away SQLite file with the
//! demo county, a handler of 县教育局 added with `redress user add` (for the misrouted case), then
//! `node --test tests/browser/stories.test.mjs` — playwright-core driving Debian's Chromium
//! through six stories (a matter from the portal to 办结; a misrouted case returned and
//! rerouted; overdue cases and 督办 escalating; keyboard use and labels; a case referred to people's mediation and its agreement confirmed; a risk assessment with a resident's questionnaire, concluded, filed and accepted). Its output is passed
//! through as it comes; this test requires exit 0 and that all the stories ran and passed.
//! Screenshots of every page visited go to `target/browser-artifacts/`.
//!
//! Needs node (≥ 20), `npm ci --prefix tests/browser` and `/usr/bin/chromium` (or
//! `REDRESS_CHROMIUM`); `scripts/test.sh` provides them. Without them the test fails, never skips.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_redress");
/// The `test(...)` calls in stories.test.mjs.
const STORIES: usize = 6;
/// The whole run normally takes well under a minute.
const NODE_TIMEOUT: Duration = Duration::from_secs(240);
const MISROUTE_USER: &str = "edu_handler";
const MISROUTE_PASSWORD: &str = "edu-handler-2026";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The server, stopped (SIGTERM, then kill) when dropped, so a failing assertion leaves nothing behind.
struct Server {
    child: Child,
    addr: String,
    url: String,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_server() -> Server {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("redress-browser-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("redress.db").display());
    let mut child = Command::new(BIN)
        .args(["--database", &url, "serve", "--listen", "127.0.0.1:0", "--demo-cases", "60"])
        .env_remove("REDRESS_DATABASE")
        .env("REDRESS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start redress serve");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut banner = String::new();
    let mut addr = None;
    while let Ok(l) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        banner.push_str(&l);
        banner.push('\n');
        if let Some(a) = l.strip_prefix("redress 已启动：http://") {
            addr = Some(a.trim_end_matches('/').to_string());
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    let server = Server { child, addr: addr.clone().unwrap_or_default(), url, dir };
    assert!(addr.is_some(), "no URL printed by redress serve:\n{banner}");
    server
}

fn redress(url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(["--database", url]).args(args).env_remove("REDRESS_DATABASE").env("REDRESS_LOG", "warn").output().expect("run redress");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// What the stories need, each missing piece named with how to get it.
fn check_prerequisites(root: &Path, chromium: &Path) {
    let ci = if std::env::var("CI").as_deref() == Ok("true") { " (CI: it must be provided)" } else { "" };
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {
            let v = String::from_utf8_lossy(&o.stdout);
            let major: u32 = v.trim().trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
            assert!(major >= 20, "node {} is too old: the browser tests need node 20 or later{ci}", v.trim());
        }
        other => panic!("node is not installed or does not run ({other:?}): the browser tests need node 20 or later{ci}"),
    }
    assert!(
        root.join("tests/browser/node_modules/playwright-core/package.json").exists(),
        "playwright-core is missing from tests/browser/node_modules: run `npm ci --prefix tests/browser` (scripts/test.sh does){ci}"
    );
    assert!(chromium.exists(), "no browser at {}: `apt-get install -y chromium` (scripts/test.sh does) or set REDRESS_CHROMIUM{ci}", chromium.display());
}

#[test]
fn the_console_and_portal_work_in_chromium() {
    let root = workspace_root();
    let chromium = std::env::var_os("REDRESS_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    check_prerequisites(&root, &chromium);
    let artifacts = root.join("target/browser-artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(&artifacts).unwrap();

    let started = Instant::now();
    let server = start_server();
    let (ok, out) = redress(&server.url, &["user", "add", "--username", MISROUTE_USER, "--name", "钱承办", "--org", "县教育局", "--role", "handler", "--password", MISROUTE_PASSWORD]);
    assert!(ok, "redress user add: {out}");
    eprintln!("server at http://{} ready in {:.1}s", server.addr, started.elapsed().as_secs_f64());

    let mut node = Command::new("node")
        .args(["--test", "--test-reporter=spec", "tests/browser/stories.test.mjs"])
        .current_dir(&root)
        .env("REDRESS_BASE_URL", format!("http://{}", server.addr))
        .env("REDRESS_ARTIFACTS", &artifacts)
        .env("REDRESS_CHROMIUM", &chromium)
        .env("REDRESS_MISROUTE_USER", MISROUTE_USER)
        .env("REDRESS_MISROUTE_PASSWORD", MISROUTE_PASSWORD)
        .env("REDRESS_MISROUTE_UNIT", "县教育局")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    // Pass both streams through line by line as they come, and keep stdout for the summary.
    let (tx, rx) = mpsc::channel::<String>();
    let out = node.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            let _ = tx.send(line);
        }
    });
    let mut err = node.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut buf = String::new();
        let _ = err.read_to_string(&mut buf);
        eprint!("{buf}");
    });
    let deadline = Instant::now() + NODE_TIMEOUT;
    let status = loop {
        if let Some(s) = node.try_wait().expect("wait for node") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            panic!("the browser stories did not finish within {NODE_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    reader.join().unwrap();
    err_reader.join().unwrap();
    let lines: Vec<String> = rx.try_iter().collect();
    eprintln!("browser stories took {:.1}s in all", started.elapsed().as_secs_f64());
    assert!(status.success(), "node exited with {status}; the failing story is reported above");

    // node's spec reporter closes with counts such as "ℹ pass 4"; all stories ran and passed.
    let count = |what: &str| lines.iter().find_map(|l| l.trim().strip_prefix(&format!("ℹ {what} ")).and_then(|n| n.trim().parse::<usize>().ok()));
    assert_eq!(count("tests"), Some(STORIES), "every story ran");
    assert_eq!(count("pass"), Some(STORIES), "every story passed");
    assert_eq!(count("fail"), Some(0));
    // Every page visited was saved, and each story left its pictures.
    let shots: Vec<String> = lines.iter().filter_map(|l| l.trim().strip_prefix("screenshot: ").map(str::to_string)).collect();
    assert!(shots.len() >= 30, "a screenshot of every page visited: {shots:?}");
    for s in &shots {
        let meta = std::fs::metadata(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert!(meta.len() > 1000, "{s} is an image");
    }
    for prefix in ["1-whole-", "2-reroute-", "3-overdue-", "4-keyboard-", "5-mediation-", "6-assessment-"] {
        assert!(shots.iter().any(|s| s.contains(prefix)), "screenshots of story {prefix}");
    }
}
