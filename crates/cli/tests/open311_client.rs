//! An independent Open311 client against the real binary: `redress serve` on a throw-away SQLite
//! file, a key from `redress open311 key add`, then `tests/open311/georeport_client.py` run with
//! the Python environment `scripts/test.sh` prepares (`target/pyenv`, with the PyPI package
//! `georeport` 0.3.1). It lists services, reads a definition, posts a request and reads it back,
//! in JSON and XML; this test checks what it printed. Without that interpreter the test fails
//! (never skips) and says how to create it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_redress");

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// `REDRESS_TEST_PYTHON`, else `target/pyenv/bin/python` under the workspace root; it must
/// import georeport.
fn python() -> PathBuf {
    let root = workspace_root();
    let py = std::env::var_os("REDRESS_TEST_PYTHON").map(PathBuf::from).unwrap_or_else(|| root.join("target/pyenv/bin/python"));
    let hint = format!(
        "this test needs a Python with the package georeport==0.3.1 at {} (or REDRESS_TEST_PYTHON). \
         scripts/test.sh creates it; by hand: python3 -m venv target/pyenv && target/pyenv/bin/pip install georeport==0.3.1",
        py.display()
    );
    let ok = Command::new(&py).args(["-c", "import georeport"]).output().map(|o| o.status.success());
    match ok {
        Ok(true) => py,
        Ok(false) => panic!("georeport cannot be imported: {hint}"),
        Err(e) => panic!("{e}: {hint}{}", if std::env::var("CI").as_deref() == Ok("true") { " (CI: the interpreter must be provided)" } else { "" }),
    }
}

/// The server, stopped (SIGTERM, then kill) when dropped, so a failing assertion leaves nothing behind.
struct Server {
    child: Child,
    addr: String,
    _dir: tempdir::Dir,
    url: String,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("redress-open311-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("redress.db").display());
    let mut child = Command::new(BIN)
        .args(["--database", &url, "serve", "--listen", "127.0.0.1:0", "--demo-cases", "20"])
        .env_remove("REDRESS_DATABASE")
        .env("REDRESS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start redress serve");
    let (tx, rx) = std::sync::mpsc::channel();
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
    let Some(addr) = addr else {
        let _ = child.kill();
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("no URL printed\n--- stdout\n{banner}--- stderr\n{err}");
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Server { child, addr, _dir: tempdir::Dir(dir), url }
}

fn redress(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(["--database", url]).args(args).env_remove("REDRESS_DATABASE").env("REDRESS_LOG", "warn").output().expect("run redress");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A form POST over a plain socket; returns the status line and the body.
fn http_post_form(addr: &str, path: &str, body: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf
}

#[test]
fn georeport_client_reads_services_and_requests_and_a_posted_request() {
    let python = python();
    let server = start_server();

    let (code, key, err) = redress(&server.url, &["open311", "key", "add", "测试客户端"]);
    assert_eq!(code, 0, "{err}");
    let key = key.trim().to_string();
    assert_eq!(key.len(), 64, "the key is printed alone on stdout: {key}");
    let (code, list, err) = redress(&server.url, &["open311", "key", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(list.contains("测试客户端") && list.contains("有效") && !list.contains(&key), "{list}");
    let (code, _, err) = redress(&server.url, &["open311", "key", "add", "测试客户端"]);
    assert_eq!(code, 1, "a second valid key with the same name is refused");
    assert!(err.contains("测试客户端"), "{err}");

    let script = workspace_root().join("tests/open311/georeport_client.py");
    let out = Command::new(&python).arg(&script).arg(format!("http://{}", server.addr)).arg(&key).output().expect("run the Python client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the Python client failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("the client printed no JSON ({e}):\n{stdout}"));

    assert_eq!(r["discovery_url"], format!("http://{}/open311/v2", server.addr));
    let services = r["services_count"].as_u64().unwrap();
    assert!(services > 40, "{r}");
    assert_eq!(r["services_xml_count"], services);
    assert_eq!(r["service_01_05"]["name"], "市政设施");
    assert_eq!(r["service_01_05"]["group"], "城乡建设");
    assert_eq!(r["service_01_05"]["metadata"], true);
    assert_eq!(r["service_01_05_xml"]["group"], "城乡建设");
    assert_eq!(r["attribute_codes"], serde_json::json!(["matter_type", "people_count", "subject"]));
    assert_eq!(r["attribute_codes_xml"], r["attribute_codes"]);
    assert_eq!(r["matter_type_values"], serde_json::json!(["申诉求决", "建议意见", "检举控告", "咨询"]));

    assert_eq!(r["post_without_key"][0], 403);
    assert_eq!(r["post_without_key"][1][0]["code"], 403);
    assert_eq!(r["post_status"], 201);
    let id = r["created"][0]["service_request_id"].as_str().expect("an id").to_string();
    assert!(r["created"][0]["service_notice"].as_str().unwrap().contains(&id));

    for (label, req) in [("by id", &r["requests_by_id"][0]), ("by id, XML", &r["requests_by_id_xml"][0]), ("one", &r["one"]), ("one, XML", &r["one_xml"])] {
        assert_eq!(req["service_request_id"], id.as_str(), "{label}: {req}");
        assert_eq!(req["status"], "open", "{label}");
        assert_eq!(req["status_notes"], "待受理", "{label}");
        assert_eq!(req["service_code"], "01.05", "{label}");
        assert_eq!(req["address"], "河口镇河口村", "{label}");
        assert_eq!(req["agency_responsible"], "县信访局", "{label}");
        assert!(req["requested_datetime"].as_str().unwrap().ends_with("+08:00"), "{label}: {req}");
        assert!(req.get("description").is_none(), "{label}: no free text without the client's key: {req}");
    }
    let (open, all) = (r["open_count"].as_u64().unwrap(), r["all_count"].as_u64().unwrap());
    assert!(open >= 1 && all > open, "the demo cases are listed too: {open} open of {all}");
    for secret in ["志强", "赵", "13700001111", "0001111", "村口路灯"] {
        assert!(!stdout.contains(secret), "“{secret}” appears in what the client read:\n{stdout}");
    }

    // The client's case is a web petition registered by the Open311 client.
    let (code, export, err) = redress(&server.url, &["export", "--with-events"]);
    assert_eq!(code, 0, "{err}");
    let bare = id.replace('-', "");
    let line = export.lines().find(|l| l.contains(&id) || l.contains(&bare)).expect("the case is exported");
    assert!(line.contains("\"online\"") && line.contains("Open311:测试客户端") && line.contains("Open311：测试客户端"), "{line}");

    // Revoked, the key no longer submits.
    let (code, out, err) = redress(&server.url, &["open311", "key", "revoke", "测试客户端"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("已吊销"), "{out}");
    let reply = http_post_form(&server.addr, "/open311/v2/requests.json", &format!("api_key={key}&service_code=01.05&description=x&address_id=1"));
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    let (code, list, _) = redress(&server.url, &["open311", "key", "list"]);
    assert_eq!(code, 0);
    assert!(list.contains("已吊销"), "{list}");
}
