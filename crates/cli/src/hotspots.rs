//! `redress hotspots`: the hot matters of a message board export, for an office's weekly
//! analysis (研判): messages of the same matter grouped, each matter's recent window tested
//! against its own history, ranked by heat, with time span, places, counts, votes and a few
//! messages to read.

use std::path::PathBuf;

use anyhow::Context;
use redress_text::hotspot::SpikeRule;
use redress_text::matters::{self, format_day, HotMatter, Matter, MatterOptions, Message};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct HotspotsArgs {
    /// 留言数据 CSV（列：id,user,subject,time,content,against,support）
    #[arg(long, value_name = "FILE.csv")]
    data: PathBuf,
    /// 近期窗口天数（与此前同样长度的窗口比较）
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    window_days: u32,
    /// 与此前多少个窗口比较
    #[arg(long, default_value_t = 8, value_name = "N")]
    history_windows: u32,
    /// 列出前几个事项
    #[arg(long, default_value_t = 10, value_name = "N")]
    top: usize,
    /// 分析日（YYYY-MM-DD，含当天）；默认为文件中最后一条留言的日期
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// 以 JSON 输出
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    data: String,
    as_of: String,
    window: (String, String),
    window_days: u32,
    history_windows: u32,
    messages: usize,
    messages_in_window: usize,
    matters: usize,
    matters_with_several_messages: usize,
    hot: Vec<HotJson>,
}

#[derive(Serialize)]
struct HotJson {
    rank: usize,
    title: String,
    first_day: String,
    last_day: String,
    messages: usize,
    users: usize,
    support: u64,
    against: u64,
    districts: Vec<String>,
    places: Vec<String>,
    recent: u32,
    history: Vec<u32>,
    baseline_per_window: f64,
    ratio: f64,
    p_value: f64,
    rising: bool,
    heat: f64,
    why: String,
    representative: Vec<MessageJson>,
    message_ids: Vec<String>,
}

#[derive(Serialize)]
struct MessageJson {
    id: String,
    time: String,
    subject: String,
    excerpt: String,
    support: u32,
    against: u32,
}

pub async fn run(args: HotspotsArgs) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || run_blocking(args)).await.context("热点分析异常退出")?
}

fn run_blocking(a: HotspotsArgs) -> anyhow::Result<()> {
    if a.window_days == 0 || a.history_windows == 0 {
        anyhow::bail!("--window-days 和 --history-windows 须大于 0");
    }
    let messages = matters::read_messages(&a.data)?;
    if messages.is_empty() {
        anyhow::bail!("{} 中没有留言", a.data.display());
    }
    let last = messages.iter().map(|m| m.day).max().expect("not empty");
    let as_of = match &a.as_of {
        Some(d) => matters::parse_day(d).with_context(|| format!("--as-of “{d}” 不是有效日期，应为 YYYY-MM-DD"))?,
        None => last,
    };
    let rule = SpikeRule { window_days: a.window_days, history_windows: a.history_windows, ..SpikeRule::default() };
    let groups = matters::group(&messages, &MatterOptions::default());
    let hot = matters::hot(&messages, &groups, as_of, &rule, a.top);
    let window_start = as_of - a.window_days as i32 + 1;
    let in_window = messages.iter().filter(|m| m.day >= window_start && m.day <= as_of).count();
    let several = groups.iter().filter(|g| g.messages.len() >= 2).count();
    let report = Report {
        data: a.data.display().to_string(),
        as_of: format_day(as_of),
        window: (format_day(window_start), format_day(as_of)),
        window_days: a.window_days,
        history_windows: a.history_windows,
        messages: messages.len(),
        messages_in_window: in_window,
        matters: groups.len(),
        matters_with_several_messages: several,
        hot: hot.iter().enumerate().map(|(i, h)| to_json(i + 1, h, &messages)).collect(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print_text(&report, &a, as_of == last && a.as_of.is_none());
    Ok(())
}

/// The first `n` characters of a text on one line, with "…" when cut.
fn excerpt(text: &str, n: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(n).collect();
    if flat.chars().count() > n {
        out.push('…');
    }
    out
}

/// Places worth naming: those in at least 30% of the matter's messages (at least two of them),
/// else those of its most typical message.
fn shown_places(list: &[(String, u32)], m: &Matter, messages: &[Message], district: bool) -> Vec<String> {
    let n = m.messages.len() as u32;
    let need = (n * 3).div_ceil(10).max(2);
    let mut out: Vec<String> = list.iter().filter(|(_, c)| *c >= need).take(3).map(|(p, _)| p.clone()).collect();
    if out.is_empty() {
        let first = &messages[m.typical[0]];
        let found = matters::extract_places(&format!("{}\n{}", first.subject, first.content));
        out = if district { found.districts } else { found.places };
        out.truncate(if district { 1 } else { 2 });
    }
    // Drop a name inside a longer one shown ("滨河苑" beside "伊景园滨河苑").
    let all = out.clone();
    out.retain(|p| !all.iter().any(|q| q != p && q.contains(p.as_str())));
    out
}

fn to_json(rank: usize, h: &HotMatter, messages: &[Message]) -> HotJson {
    let msg = |i: usize| {
        let m = &messages[i];
        MessageJson { id: m.id.clone(), time: m.time.clone(), subject: m.subject.clone(), excerpt: excerpt(&m.content, 80), support: m.support, against: m.against }
    };
    HotJson {
        rank,
        title: h.title.clone(),
        first_day: format_day(h.first_day),
        last_day: format_day(h.last_day),
        messages: h.messages,
        users: h.users,
        support: h.support,
        against: h.against,
        districts: shown_places(&h.matter.districts, &h.matter, messages, true),
        places: shown_places(&h.matter.places, &h.matter, messages, false),
        recent: h.spike.recent,
        history: h.spike.history.clone(),
        baseline_per_window: (h.spike.mean * 100.0).round() / 100.0,
        ratio: (h.spike.ratio * 100.0).round() / 100.0,
        p_value: h.spike.p_value,
        rising: h.spike.flagged,
        heat: (h.heat * 10.0).round() / 10.0,
        why: h.why.clone(),
        representative: h.representative.iter().map(|&i| msg(i)).collect(),
        message_ids: h.matter.messages.iter().filter(|&&i| messages[i].day <= h.last_day).map(|&i| messages[i].id.clone()).collect(),
    }
}

fn print_text(r: &Report, a: &HotspotsArgs, defaulted: bool) {
    let hist = if r.window_days == 7 { format!("此前{}周", r.history_windows) } else { format!("此前{}个{}天", r.history_windows, r.window_days) };
    println!("留言热点研判");
    println!("数据：{}，共 {} 条留言，归并为 {} 个事项（{} 个事项有 2 条以上留言）", r.data, r.messages, r.matters, r.matters_with_several_messages);
    println!(
        "分析日：{}{}；本期：{} 至 {}（近{}天，{} 条留言），对照{}",
        r.as_of,
        if defaulted { "（文件中最后一条留言的日期）" } else { "" },
        r.window.0,
        r.window.1,
        r.window_days,
        r.messages_in_window,
        hist
    );
    println!("热度：每条留言按距分析日的时间衰减（每{}天减半），点赞越多权重越大；本期明显增多的事项另加分。", 2 * a.window_days);
    if r.hot.is_empty() {
        println!("\n分析日前{}天内没有留言。", r.window_days as usize * (r.history_windows as usize + 1));
        return;
    }
    for h in &r.hot {
        println!();
        let flag = if h.rising { "  【近期明显增多】" } else { "" };
        println!("{}. {}{flag}", h.rank, h.title);
        let span = if h.first_day == h.last_day { h.first_day.clone() } else { format!("{} 至 {}", h.first_day, h.last_day) };
        let people = if h.users > 0 { format!("（{} 人）", h.users) } else { String::new() };
        println!("   时间：{span}；留言 {} 条{people}，点赞 {}，反对 {}", h.messages, h.support, h.against);
        let mut places = h.districts.clone();
        places.extend(h.places.iter().cloned());
        println!("   地点：{}", if places.is_empty() { "未写明".to_string() } else { places.join("、") });
        println!("   为何关注：{}（热度 {}）", h.why, h.heat);
        println!("   代表性留言：");
        for m in &h.representative {
            let day = matters::parse_day(&m.time).map(format_day).unwrap_or_else(|| m.time.clone());
            let votes = if m.support > 0 { format!("（点赞 {}）", m.support) } else { String::new() };
            println!("   · {day} {}{votes}", m.subject);
            println!("     {}", m.excerpt);
        }
    }
}
