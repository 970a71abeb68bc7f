//! `redress model train` and `redress model eval` on small CSV files the test writes, in both
//! layouts (pre-segmented `text,label` and raw `subject,content,label`).

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_redress");

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("redress-model-cmd-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn redress(dir: &TempDir, args: &[&str]) -> Output {
    // No database is needed: point it at the temporary directory so none is created elsewhere.
    let db = format!("sqlite://{}", dir.path("unused.db"));
    Command::new(BIN).args(["--database", &db]).args(args).output().unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

const TOPICS: &[(&str, &[&str])] = &[
    ("交通运输", &["公交", "地铁", "道路", "红绿灯", "拥堵", "停车"]),
    ("教育文体", &["学校", "老师", "学生", "幼儿园", "补课", "学费"]),
    ("环境保护", &["噪音", "污染", "排放", "垃圾", "臭味", "废水"]),
];

/// Rows `text,label` whose words are drawn in turn from the label's topic.
fn segmented_rows(n: usize, offset: usize) -> String {
    let mut csv = String::from("id,text,label\n");
    for i in 0..n {
        for (label, words) in TOPICS {
            let pick: Vec<&str> = (0..4).map(|j| words[(i * 3 + j * 5 + offset) % words.len()]).collect();
            csv.push_str(&format!("{i},{} 居民 反映,{label}\n", pick.join(" ")));
        }
    }
    csv
}

#[test]
fn model_train_then_eval_prints_macro_f1_last() {
    let dir = TempDir::new();
    std::fs::write(dir.path("train.csv"), segmented_rows(12, 0)).unwrap();
    std::fs::write(dir.path("dev.csv"), segmented_rows(4, 1)).unwrap();
    let model = dir.path("routing.model");

    let out = redress(&dir, &["model", "train", "--data", &dir.path("train.csv"), "--out", &model]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("训练用时"), "{stdout}");
    assert!(stdout.contains("交通运输") && stdout.contains("12"), "{stdout}");
    assert!(std::path::Path::new(&model).exists());

    let out = redress(&dir, &["model", "eval", "--model", &model, "--data", &dir.path("dev.csv")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("accuracy: "), "{stdout}");
    let last = stdout.lines().last().unwrap();
    let value: f64 = last.strip_prefix("macro-F1: ").unwrap_or_else(|| panic!("{stdout}")).parse().unwrap();
    assert!(value > 0.9, "{stdout}");

    // The same model takes raw text (subject, content) as well.
    std::fs::write(dir.path("raw.csv"), "subject,content,label\n地铁拥堵,早高峰地铁和公交都很拥堵，红绿灯也不合理。,交通运输\n学校补课,幼儿园和学校违规补课收学费,教育文体\n").unwrap();
    let out = redress(&dir, &["model", "eval", "--model", &model, "--data", &dir.path("raw.csv")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("原文"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("macro-F1: 1.0000"), "{stdout}");
    assert!(!std::path::Path::new(&dir.path("unused.db")).exists(), "model commands need no database");
}

#[test]
fn model_commands_report_bad_input_in_chinese() {
    let dir = TempDir::new();
    let out = redress(&dir, &["model", "eval", "--model", &dir.path("missing.model"), "--data", &dir.path("missing.csv")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("无法读写"), "{}", text(&out.stderr));

    std::fs::write(dir.path("bad.csv"), "title,label\n公交,交通运输\n").unwrap();
    let out = redress(&dir, &["model", "train", "--data", &dir.path("bad.csv"), "--out", &dir.path("m")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("subject,content,label"), "{}", text(&out.stderr));
}
