//! Runs `redress serve` as a child process: waits for the address it prints, keeps its
//! output in a log file, reads its memory and CPU from /proc, stops or kills it.
//! Self-contained (std and anyhow) so `tests/crash.rs` can include it by path.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::http::find_http_addr;

/// The arguments of `redress serve` for a bench or test run: loopback, any free port, the
/// given database, no demo data (the caller prepares the database).
pub fn serve_args(database: &str) -> Vec<String> {
    ["serve", "--listen", "127.0.0.1:0", "--database", database, "--no-demo"].iter().map(|s| s.to_string()).collect()
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    /// Starts `bin` with `args` in the directory `cwd` (where anything the server keeps beside
    /// itself, such as a search index, lands) and waits (up to `timeout`) for an
    /// `http://host:port` in its output. Everything it prints goes to `log`. Unless `args` say
    /// otherwise, the server keeps its full-text index beside the log (`LOG.index`), so that
    /// several servers started in one directory on one PostgreSQL database each have their own.
    pub fn start(bin: &Path, args: &[String], cwd: &Path, log: &Path, timeout: Duration) -> anyhow::Result<Server> {
        let mut cmd = Command::new(bin);
        cmd.args(args);
        if !args.iter().any(|a| a == "--index-dir" || a == "--no-index") {
            cmd.arg("--index-dir").arg(log.with_extension("index"));
        }
        cmd.current_dir(cwd).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("cannot start {}", bin.display()))?;
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log).with_context(|| format!("cannot open {}", log.display()))?;
        let file = std::sync::Arc::new(std::sync::Mutex::new(file));
        let (tx, rx) = mpsc::channel::<SocketAddr>();
        let out = child.stdout.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        for (pipe, name) in [(Box::new(out) as Box<dyn std::io::Read + Send>, "out"), (Box::new(err), "err")] {
            let tx = tx.clone();
            let file = file.clone();
            std::thread::Builder::new().name(format!("server-std{name}")).spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(a) = find_http_addr(&line) {
                        let _ = tx.send(a);
                    }
                    if let Ok(mut f) = file.lock() {
                        let _ = writeln!(f, "{line}");
                    }
                }
            })?;
        }
        drop(tx);
        let deadline = Instant::now() + timeout;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(addr) => return Ok(Server { child, addr, log: log.to_path_buf() }),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(Duration::from_millis(100)),
            }
            if let Some(status) = child.try_wait()? {
                bail!("server exited ({status}) before printing its address; see {}:\n{}", log.display(), tail(log, 30));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("server printed no http:// address within {timeout:?}; see {}:\n{}", log.display(), tail(log, 30));
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now and at its peak, in KiB.
    pub fn rss_kib(&self) -> Option<(u64, u64)> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let field = |name: &str| -> Option<u64> {
            s.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse().ok()
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// CPU time used so far (user + system).
    pub fn cpu_time(&self) -> Option<Duration> {
        process_cpu_time(self.pid())
    }

    /// CPU time so far of the server's threads whose name starts with `prefix`.
    pub fn thread_cpu_time(&self, prefix: &str) -> Option<Duration> {
        let dir = std::fs::read_dir(format!("/proc/{}/task", self.pid())).ok()?;
        let mut total = None;
        for t in dir.flatten() {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            if comm.trim_end().starts_with(prefix) {
                let tid: u32 = t.file_name().to_string_lossy().parse().ok()?;
                total = Some(total.unwrap_or(Duration::ZERO) + thread_cpu_time(self.pid(), tid)?);
            }
        }
        total
    }

    /// SIGKILL, as a crash: nothing gets flushed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub fn stop(&mut self, grace: Duration) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// user + system CPU time of a process, from /proc/PID/stat (clock ticks of 1/100 s).
pub fn process_cpu_time(pid: u32) -> Option<Duration> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the line; `after` starts at field 3.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

fn thread_cpu_time(pid: u32, tid: u32) -> Option<Duration> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    let after = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The last `n` lines of a file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
