//! `redress hotspots` on a message board export the test writes: a matter that many residents
//! raise in the last week comes first, flagged as rising, with its span, place, counts, votes and
//! messages to read; steady background matters do not; `--json` and `--as-of` work.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_redress");

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("redress-hotspots-cmd-{}-{nanos}", std::process::id()));
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
    let db = format!("sqlite://{}", dir.path("unused.db"));
    Command::new(BIN).args(["--database", &db]).args(args).output().unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Background: ten different everyday matters, one message every few days over three months.
/// Then, in the last week of March, twelve residents complain about a concrete plant next to
/// 丽景花园 in their own words (and two did a month earlier).
fn board() -> String {
    const BACKGROUND: &[(&str, &str)] = &[
        ("建议增开公交线路", "希望增加通往火车站的公交班次，早晚高峰等车时间太长。"),
        ("学校周边交通拥堵", "放学时段学校门口车辆乱停，学生过马路很危险。"),
        ("咨询社保转移手续", "从外省调回本地工作，养老保险关系如何转移接续？"),
        ("路灯损坏无人维修", "小区门口的路灯坏了两个月，晚上出行不便。"),
        ("菜市场卫生差", "菜市场垃圾清运不及时，夏天气味难闻。"),
        ("公积金贷款额度", "想咨询公积金贷款的额度怎么计算，需要哪些材料。"),
        ("小区停车位不足", "小区车位严重不足，消防通道被占用。"),
        ("医院挂号难", "儿童医院周末挂号排队时间很长，建议增加窗口。"),
        ("燃气费计费疑问", "燃气表更换后用量翻倍，怀疑计量不准。"),
        ("广场舞噪音", "晚上十点以后广场舞音响声音仍然很大，影响休息。"),
    ];
    let mut csv = String::from("id,user,subject,time,content,against,support\n");
    let mut id = 1000;
    for day in (0..90).step_by(3) {
        let (subject, content) = BACKGROUND[(day / 3) % BACKGROUND.len()];
        let date = chrono_like(2019, 1, 1, day);
        csv.push_str(&format!("{id},U{id},A1区{subject},{date} 10:00:00,{content},0,{}\n", day % 2));
        id += 1;
    }
    let plant = [
        ("丽景花园旁边搅拌站噪音扰民", "A2区丽景花园小区旁边新建的混凝土搅拌站每天夜里施工，噪音太大，无法入睡。"),
        ("投诉丽景花园附近搅拌站粉尘污染", "丽景花园附近的搅拌站粉尘很大，家里窗台每天一层灰，孩子咳嗽不止。"),
        ("丽景花园小区附近违建搅拌站", "请问丽景花园小区附近的搅拌站有没有环评手续？噪音和粉尘严重影响居民生活。"),
    ];
    for k in 0..2 {
        let (s, c) = plant[k % 3];
        csv.push_str(&format!("{id},R{k},A2区{s},2019/2/{} 21:00:00,{c},0,3\n", 20 + k));
        id += 1;
    }
    for k in 0..12 {
        let (s, c) = plant[k % 3];
        csv.push_str(&format!("{id},P{k},A2区{s},2019/3/{} 22:{:02}:00,{c}（第{k}位业主）,{},{}\n", 25 + k % 7, k, k % 2, 5 + k));
        id += 1;
    }
    csv
}

/// "2019/1/5" for `day` days after the given date (January–March only).
fn chrono_like(y: i32, m: u32, d: u32, day: usize) -> String {
    let mut d = d as usize + day;
    let mut m = m as usize;
    let lens = [31, 28, 31];
    while d > lens[m - 1] {
        d -= lens[m - 1];
        m += 1;
    }
    format!("{y}/{m}/{d}")
}

#[test]
fn the_rising_matter_comes_first_with_span_place_counts_and_messages() {
    let dir = TempDir::new();
    let data = dir.path("board.csv");
    std::fs::write(&data, board()).unwrap();
    let out = redress(&dir, &["hotspots", "--data", &data, "--top", "3"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("分析日：2019-03-31（文件中最后一条留言的日期）"), "{stdout}");
    assert!(stdout.contains("本期：2019-03-25 至 2019-03-31（近7天"), "{stdout}");
    let first = stdout.split("\n1. ").nth(1).unwrap_or_else(|| panic!("no first matter: {stdout}"));
    let first = first.split("\n2. ").next().unwrap();
    assert!(first.contains("丽景花园"), "{first}");
    assert!(first.contains("【近期明显增多】"), "{first}");
    assert!(first.contains("时间：2019-02-20 至 2019-03-31；留言 14 条（14 人）"), "{first}");
    assert!(first.contains("地点：A2区、丽景花园"), "{first}");
    assert!(first.contains("近期明显增多：近7天12件，此前8周平均每周0.2件"), "{first}");
    assert!(first.contains("泊松检验 p<0.001"), "{first}");
    assert_eq!(first.matches("   · 2019-").count(), 3, "three messages to read: {first}");
    assert_eq!(stdout.matches("【近期明显增多】").count(), 1, "background matters are steady: {stdout}");
}

#[test]
fn json_output_and_an_earlier_analysis_day() {
    let dir = TempDir::new();
    let data = dir.path("board.csv");
    std::fs::write(&data, board()).unwrap();
    let out = redress(&dir, &["hotspots", "--data", &data, "--json", "--as-of", "2019-03-10", "--window-days", "14"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    assert_eq!(v["as_of"], "2019-03-10");
    assert_eq!(v["window"], serde_json::json!(["2019-02-25", "2019-03-10"]));
    let hot = v["hot"].as_array().unwrap();
    assert!(!hot.is_empty() && hot.len() <= 10);
    // The later complaints are not known yet on 10 March.
    for h in hot {
        assert!(h["last_day"].as_str().unwrap() <= "2019-03-10", "{h}");
        assert_eq!(h["rising"], false, "{h}");
        assert!(h["representative"].as_array().is_some_and(|r| !r.is_empty()));
    }
    let bad = redress(&dir, &["hotspots", "--data", &data, "--as-of", "2019-13-01"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("--as-of"), "{}", text(&bad.stderr));
    let missing = redress(&dir, &["hotspots", "--data", &dir.path("none.csv")]);
    assert!(!missing.status.success());
}
