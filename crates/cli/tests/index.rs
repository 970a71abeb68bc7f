//! `redress index` and the server's index, as an operator meets them: a rebuild from the cases,
//! its status, a server that builds and follows its own index and keeps a rebuild from
//! writing to the same directory.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_redress");

struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("redress-index-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn redress(url: &str, args: &[&str]) -> Out {
    let out = Command::new(BIN)
        .args(["--database", url])
        .args(args)
        .env_remove("REDRESS_DATABASE")
        .env("REDRESS_LOG", "warn")
        .output()
        .expect("run redress");
    Out { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
}

fn json(out: &Out) -> serde_json::Value {
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr))
}

#[test]
fn rebuild_indexes_every_case_beside_the_database_and_status_reports_it() {
    let tmp = TempDir::new("rebuild");
    let url = format!("sqlite://{}", tmp.0.join("r.db").display());
    // No index yet: status says so and exits 1.
    let none = redress(&url, &["migrate"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    let st = redress(&url, &["index", "status"]);
    assert_eq!(st.code, 1, "{}", st.stderr);
    assert!(st.stderr.contains("没有全文检索索引"), "{}", st.stderr);
    // 300 generated cases from the built-in templates (no shared data needed).
    let gen = redress(&url, &["bench", "gen", "--cases", "300", "--vocab-dir", "/nonexistent", "--concurrency", "8"]);
    assert_eq!(gen.code, 0, "{}", gen.stderr);
    assert!(gen.stderr.contains("内置模板"), "{}", gen.stderr);

    let r = redress(&url, &["index", "rebuild"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["cases"], 300);
    assert!(r.stderr.contains("已建立索引：300 件事项"), "{}", r.stderr);
    assert!(tmp.0.join("r.db.index").join("meta.json").exists(), "the index sits beside the database by default");

    let st = json(&redress(&url, &["index", "status"]));
    assert_eq!((st["docs"].as_u64(), st["behind"].as_i64(), st["segmenter"].as_str()), (Some(300), Some(0), Some("jieba")));

    // Another directory and segmenter on request; a rebuild replaces, never duplicates.
    let other = tmp.0.join("other-index");
    let r = redress(&url, &["index", "rebuild", "--index-dir", other.to_str().unwrap(), "--segmenter", "fast", "--threads", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = redress(&url, &["index", "rebuild", "--index-dir", other.to_str().unwrap(), "--segmenter", "fast"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = json(&redress(&url, &["index", "status", "--index-dir", other.to_str().unwrap()]));
    assert_eq!((st["docs"].as_u64(), st["segmenter"].as_str()), (Some(300), Some("fast")));

    // A directory that holds something else is not taken over.
    let foreign = tmp.0.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let r = redress(&url, &["index", "rebuild", "--index-dir", foreign.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("不是全文检索索引"), "{}", r.stderr);
}

#[test]
fn a_server_builds_and_follows_its_own_index_and_a_rebuild_cannot_write_to_it() {
    let tmp = TempDir::new("serve");
    let url = format!("sqlite://{}", tmp.0.join("s.db").display());
    let mut child = Command::new(BIN)
        .args(["--database", &url, "serve", "--listen", "127.0.0.1:0", "--demo-cases", "40"])
        .env("REDRESS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redress serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while let Ok(l) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if l.contains("Ctrl-C") {
            break;
        }
    }
    // The server indexes the demo cases in the background.
    let index_dir = tmp.0.join("s.db.index");
    let deadline = Instant::now() + Duration::from_secs(30);
    let docs = loop {
        let st = redress(&url, &["index", "status"]);
        let docs = if st.code == 0 { json(&st)["docs"].as_u64().unwrap_or(0) } else { 0 };
        if docs == 40 || Instant::now() > deadline {
            break docs;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let rebuild = redress(&url, &["index", "rebuild"]);
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let stopped = child.wait().unwrap();
    assert_eq!(docs, 40, "the server's index holds the demo cases");
    assert!(index_dir.join("meta.json").exists());
    assert_eq!(rebuild.code, 1, "{}", rebuild.stderr);
    assert!(rebuild.stderr.contains("正被另一进程使用"), "{}", rebuild.stderr);
    assert_eq!(stopped.code(), Some(0));
    // Stopped, the rebuild may run, and the index is current with the log.
    let r = redress(&url, &["index", "rebuild"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = json(&redress(&url, &["index", "status"]));
    assert_eq!((st["docs"].as_u64(), st["behind"].as_i64()), (Some(40), Some(0)));
}
