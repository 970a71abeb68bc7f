//! A one-line progress bar on stderr, redrawn in place with `\r`. Drawn only when stderr is a
//! terminal, so logs and captured output stay clean.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BAR: usize = 30;
const REFRESH: Duration = Duration::from_millis(100);

pub struct Progress {
    enabled: bool,
    /// When the line was last drawn and whether anything is on screen.
    state: Mutex<(Option<Instant>, bool)>,
}

impl Progress {
    pub fn new() -> Progress {
        Progress { enabled: std::io::stderr().is_terminal(), state: Mutex::new((None, false)) }
    }

    /// `[#####.....] 1200/5000 行`, with `label` before it when not empty.
    pub fn update(&self, label: &str, done: u64, total: u64, unit: &str) {
        if !self.enabled {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let finished = total > 0 && done >= total;
        if st.0.is_some_and(|t| t.elapsed() < REFRESH) && !finished {
            return;
        }
        *st = (Some(Instant::now()), true);
        eprint!("\r\x1b[2K{}", line(label, done, total, unit));
        let _ = std::io::stderr().flush();
    }

    /// Ends the line so that the next message starts on its own.
    pub fn finish(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.1 {
            eprintln!();
        }
        *st = (None, false);
    }
}

pub fn line(label: &str, done: u64, total: u64, unit: &str) -> String {
    let filled = (done.min(total) * BAR as u64).checked_div(total).map_or(BAR, |f| f as usize);
    let prefix = if label.is_empty() { String::new() } else { format!("{label} ") };
    format!("{prefix}[{}{}] {done}/{total} {unit}", "#".repeat(filled), ".".repeat(BAR - filled))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bar_fills_in_proportion() {
        assert_eq!(super::line("", 0, 10, "行"), format!("[{}] 0/10 行", ".".repeat(30)));
        assert_eq!(super::line("校验", 5, 10, "条"), format!("校验 [{}{}] 5/10 条", "#".repeat(15), ".".repeat(15)));
        assert_eq!(super::line("", 3, 0, "行"), format!("[{}] 3/0 行", "#".repeat(30)));
    }
}
