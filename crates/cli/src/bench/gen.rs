//! `redress bench gen`: many realistic synthetic cases, written straight through the app and
//! store (no HTTP), many at a time so the store's group commit batches them.
//!
//! Text is composed at run time from the shared message data (`--vocab-dir`, read, never
//! copied): a real subject, its place swapped for one of the county's, and a body stitched
//! from sentences of several real messages to 300–600 characters; replies from sentences of
//! real official replies. Without the data a small built-in set of templates is used. Channels,
//! statuses (through real domain transitions), units, places and dates over two years vary.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_app::cases::Intake;
use redress_app::App;
use redress_domain::case::{Location, NewCase};
use redress_domain::org::OrgKind;
use redress_domain::{Actor, Channel, Command, Decision, MatterType, OrgId, Petitioner, RoutingMode, Satisfaction};

use crate::db::Db;
use crate::progress::Progress;

#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// 生成的事项数
    #[arg(long, default_value_t = 100_000)]
    pub cases: u64,
    /// 共享数据目录（messages-*.csv），用于词汇；不存在时用内置模板
    #[arg(long, default_value = "../shared/data")]
    pub vocab_dir: PathBuf,
    /// 同时写入的事项数（组提交）
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 20261123)]
    pub seed: u64,
    #[arg(from_global)]
    pub database: String,
}

/// Texts to compose cases from.
pub struct Vocab {
    pub subjects: Vec<String>,
    pub sentences: Vec<String>,
    pub reply_sentences: Vec<String>,
    pub from_data: bool,
}

const ROADS: &[&str] = &["幸福路", "解放路", "人民路", "建设路", "中山路", "和平路", "新华路", "文化路", "胜利路", "长江路", "滨河路", "工业园路"];

const BUILTIN: &[(&str, &str)] = &[
    ("小区电梯频繁故障", "某小区3号楼电梯近两个月多次困人，物业维修后仍反复故障，老人上下楼十分困难，请求督促物业彻底维修或更换。"),
    ("物业费上涨未经业主同意", "物业公司发布通知将物业费从每平方米1.2元上调至1.8元，未召开业主大会，服务质量却没有提升，希望相关部门核查。"),
    ("道路积水严重", "每逢下雨主干道低洼处积水深达30厘米，行人车辆无法通行，请求疏通排水管网。"),
    ("工地拖欠农民工工资", "我们二十余人在某建筑工地务工，工程已完工三个月，包工头以开发商未拨款为由拖欠工资共计四十余万元。"),
    ("夜间施工噪音扰民", "附近工地每天夜间十一点后仍在施工，噪音严重影响周边居民休息，请求依法查处。"),
    ("养殖场异味严重", "村口养猪场粪污直排，气味刺鼻，夏季尤其严重，请求督促整改。"),
    ("村道破损需要修复", "通往镇上的村道路面坑洼多处，雨天泥泞，学生上学和村民出行不便，请求纳入维修计划。"),
    ("适龄儿童入学难", "孩子户籍在本地，按学区应就读附近小学，但学校称学位已满，请求教育部门协调解决入学。"),
    ("超市销售过期食品", "在一家超市购买的酸奶已过保质期三天，与店家协商退赔未果，请求市场监管部门处理。"),
    ("申请低保未获批复", "家中老人长期卧病，家庭收入低，半年前提交低保申请至今未获答复，请求尽快审核。"),
];

fn split_sentences(text: &str, out: &mut Vec<String>) {
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '。' | '！' | '？' | '；' | '\n') {
            let s = cur.trim().to_string();
            if s.chars().count() >= 8 && s.chars().count() <= 200 {
                out.push(s);
            }
            cur.clear();
        }
    }
}

impl Vocab {
    pub fn load(dir: &std::path::Path) -> Vocab {
        let mut v = Vocab { subjects: vec![], sentences: vec![], reply_sentences: vec![], from_data: false };
        for (file, reply_col) in [("messages-replies.csv", Some(5)), ("messages-hot.csv", None)] {
            let Ok(mut r) = csv::Reader::from_path(dir.join(file)) else { continue };
            for row in r.records().flatten() {
                let subject = row.get(2).unwrap_or("").replace("A市", "").trim().to_string();
                if !subject.is_empty() {
                    v.subjects.push(subject);
                }
                split_sentences(row.get(4).unwrap_or(""), &mut v.sentences);
                if let Some(c) = reply_col {
                    split_sentences(row.get(c).unwrap_or(""), &mut v.reply_sentences);
                }
            }
        }
        if v.subjects.len() < 100 || v.sentences.len() < 100 || v.reply_sentences.is_empty() {
            v.subjects = BUILTIN.iter().map(|(s, _)| s.to_string()).collect();
            v.sentences = vec![];
            for (_, c) in BUILTIN {
                split_sentences(c, &mut v.sentences);
            }
            v.reply_sentences = vec![
                "经实地调查核实，信访人反映的情况基本属实。".into(),
                "已责成相关责任单位限期整改，并将整改结果告知信访人。".into(),
                "经查，该事项已纳入年度计划，预计年内完成。".into(),
            ];
        } else {
            v.from_data = true;
        }
        v
    }

    fn compose(&self, rng: &mut StdRng, place: &str, target_chars: usize) -> String {
        let mut s = String::with_capacity(target_chars * 3 + 64);
        s.push_str(place);
        let mut n = 0;
        while n < target_chars {
            let sentence = &self.sentences[rng.gen_range(0..self.sentences.len())];
            n += sentence.chars().count();
            s.push_str(sentence);
        }
        s
    }

    fn reply(&self, rng: &mut StdRng, sentences: usize) -> String {
        (0..sentences).map(|_| self.reply_sentences[rng.gen_range(0..self.reply_sentences.len())].as_str()).collect()
    }
}

struct Orgs {
    office: OrgId,
    units: Vec<OrgId>,
    /// (town name, place name, place id)
    places: Vec<(String, String, OrgId)>,
}

async fn orgs(app: &App) -> anyhow::Result<Orgs> {
    let cfg = app.cfg().await?;
    let tree = &cfg.tree;
    let office = tree.all().find(|o| o.name == "县信访局").or_else(|| tree.all().find(|o| o.kind == OrgKind::Department)).context("没有机构")?.id;
    let units: Vec<OrgId> = tree.all().filter(|o| o.kind == OrgKind::Department && o.id != office).map(|o| o.id).collect();
    let places: Vec<(String, String, OrgId)> = tree
        .all()
        .filter(|o| matches!(o.kind, OrgKind::Village | OrgKind::Community))
        .map(|o| {
            let town = o.parent.and_then(|p| tree.get(p)).map(|t| t.name.clone()).unwrap_or_default();
            (town, o.name.clone(), o.id)
        })
        .collect();
    anyhow::ensure!(!units.is_empty() && !places.is_empty(), "数据库中没有承办单位或村（社区），请在空数据库上运行（会先建立演示机构）");
    Ok(Orgs { office, units, places })
}

pub async fn run(a: GenArgs) -> anyhow::Result<()> {
    let db = Db::new(a.database.clone());
    let app = db.open_app(true).await?;
    app.seed_demo_if_empty(0).await.context("建立演示机构失败")?;
    let vocab = Arc::new(Vocab::load(&a.vocab_dir));
    eprintln!(
        "词汇：{}（{} 个标题，{} 个句子，{} 个答复句）",
        if vocab.from_data { a.vocab_dir.display().to_string() } else { "内置模板".into() },
        vocab.subjects.len(),
        vocab.sentences.len(),
        vocab.reply_sentences.len()
    );
    let orgs = Arc::new(orgs(&app).await?);
    let users = app.store.list_users().await?;
    let actor = |name: &str| {
        users.iter().find(|u| u.username == name).map(|u| Actor::User { id: u.id, name: u.display_name.clone() }).unwrap_or(Actor::System)
    };
    let actors = Arc::new([actor("clerk"), actor("handler"), actor("head")]);
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let chars = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(Progress::new());
    let mut tasks = vec![];
    for w in 0..a.concurrency.max(1) {
        let (app, vocab, orgs, actors, next, done, chars, progress) =
            (app.clone(), vocab.clone(), orgs.clone(), actors.clone(), next.clone(), done.clone(), chars.clone(), progress.clone());
        let (total, seed) = (a.cases, a.seed);
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(w as u64));
            let now = app.now();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), anyhow::Error>(());
                }
                let (intake, at, history) = synth(&mut rng, &vocab, &orgs, &actors, now, i);
                chars.fetch_add((intake.matter.subject.chars().count() + intake.matter.content.chars().count()) as u64, Ordering::Relaxed);
                app.register_at(None, actors[0].clone(), intake, at, history).await.with_context(|| format!("第 {i} 件写入失败"))?;
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d % 1000 == 0 || d == total {
                    progress.update("生成事项", d, total, "件");
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    progress.finish();
    let secs = started.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    eprintln!("已生成 {n} 件事项，用时 {secs:.1} 秒（{:.0} 件/秒），平均 {:.0} 字", n as f64 / secs, chars.load(Ordering::Relaxed) as f64 / n.max(1) as f64);
    println!("{}", serde_json::json!({ "cases": n, "secs": secs, "rate": n as f64 / secs, "vocab_from_data": vocab.from_data }));
    Ok(())
}

type History = Vec<(Command, Actor, DateTime<Utc>)>;

/// One synthetic case: what was registered, when, and what happened to it since.
fn synth(rng: &mut StdRng, v: &Vocab, o: &Orgs, actors: &[Actor; 3], now: DateTime<Utc>, i: u64) -> (Intake, DateTime<Utc>, History) {
    let (town, place_name, place) = o.places[rng.gen_range(0..o.places.len())].clone();
    let unit = o.units[rng.gen_range(0..o.units.len())];
    let channel = Channel::ALL[rng.gen_range(0..Channel::ALL.len())];
    let registered = now - Duration::minutes(rng.gen_range(60..2 * 365 * 24 * 60));
    let subject: String = v.subjects[rng.gen_range(0..v.subjects.len())].chars().take(150).collect();
    let target = rng.gen_range(300..600);
    let content = v.compose(rng, &format!("{town}{place_name}"), target);
    let mut details = redress_domain::case::ChannelDetails::default();
    if channel == Channel::HigherTransfer {
        details.transfer_office = Some("市信访局".into());
        details.transfer_ref = Some(format!("市信转〔2026〕{}号", rng.gen_range(1..400)));
    }
    let matter_type = [MatterType::Claim, MatterType::Claim, MatterType::Claim, MatterType::Suggestion, MatterType::Consultation][rng.gen_range(0..5)];
    let matter: NewCase = NewCase {
        channel,
        matter_type,
        category: Some(format!("{:02}.{:02}", rng.gen_range(1..12), rng.gen_range(1..4))).filter(|_| rng.gen_bool(0.9)),
        subject,
        content,
        location: Location { address: format!("{town}{place_name}{}{}号", ROADS[rng.gen_range(0..ROADS.len())], rng.gen_range(1..300)), org: Some(place), ..Default::default() },
        people_count: 1,
        channel_details: details,
        related: vec![],
        same_matter_as: None,
        intake_org: o.office,
        confidential: false,
        demo: false,
        suggested_categories: vec![],
    };
    let petitioner = if rng.gen_bool(0.15) {
        Petitioner::default()
    } else {
        const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"];
        const GIVEN: &[&str] = &["建国", "秀英", "伟", "芳", "海燕", "志强", "桂兰", "明", "丽", "军"];
        Petitioner {
            name: Some(format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[(i % GIVEN.len() as u64) as usize])),
            phone: Some(format!("139{:08}", rng.gen_range(0..100_000_000u32))),
            ..Default::default()
        }
    };
    let history = history(rng, v, unit, registered, now, actors);
    (Intake { matter, petitioner }, registered, history)
}

/// How far a case got: weights of stopping after 0..=8 steps.
const STAGES: [u32; 9] = [8, 5, 7, 12, 15, 6, 12, 15, 20];

fn history(rng: &mut StdRng, v: &Vocab, unit: OrgId, registered: DateTime<Utc>, now: DateTime<Utc>, a: &[Actor; 3]) -> History {
    let total: u32 = STAGES.iter().sum();
    let mut roll = rng.gen_range(0..total);
    let mut stage = 0;
    while roll >= STAGES[stage] {
        roll -= STAGES[stage];
        stage += 1;
    }
    // As in a real office, old matters are nearly all finished: not accepted, closed or
    // archived; only a few stay open past their deadline.
    let age_days = (now - registered).num_days();
    let finished_share = match age_days {
        d if d > 90 => 0.98,
        d if d > 60 => 0.85,
        d if d > 30 => 0.5,
        _ => 0.0,
    };
    if rng.gen_bool(finished_share) {
        let done = [(1, STAGES[1]), (7, STAGES[7]), (8, STAGES[8])];
        let mut r = rng.gen_range(0..done.iter().map(|d| d.1).sum::<u32>());
        for (s, w) in done {
            if r < w {
                stage = s;
                break;
            }
            r -= w;
        }
    }
    let mut out: History = vec![];
    let mut t = registered;
    let mut step = |out: &mut History, cmd: Command, who: &Actor, hours: i64| -> bool {
        let next = t + Duration::hours(hours);
        if next > now {
            return false;
        }
        t = next;
        out.push((cmd, who.clone(), next));
        true
    };
    if stage == 1 {
        step(&mut out, Command::NotAccept { reason: "依法不属于信访受理范围".into() }, &a[0], rng.gen_range(4..72));
        return out;
    }
    let (nf, no) = (rng.gen_range(1..4), rng.gen_range(1..3));
    let reply = Command::SubmitReply {
        decision: [Decision::Support, Decision::Explain, Decision::NotSupport][rng.gen_range(0..3)],
        facts: v.reply(rng, nf),
        opinion: v.reply(rng, no),
        legal_basis: "《信访工作条例》第三十二条".into(),
    };
    let steps: Vec<(Command, usize, i64)> = vec![
        (Command::Accept { note: String::new() }, 0, rng.gen_range(2..100)),
        (Command::Route { unit, co_units: vec![], mode: RoutingMode::Forward, note: "请依法办理".into(), assign_days: None }, 0, rng.gen_range(1..30)),
        (Command::StartHandling, 1, rng.gen_range(2..48)),
        (reply, 1, rng.gen_range(24..24 * 30)),
        (Command::ApproveReply, 2, rng.gen_range(2..48)),
        (Command::FollowUp { satisfaction: Satisfaction::Satisfied, note: "电话回访".into() }, 0, rng.gen_range(12..24 * 5)),
        (Command::Close { note: String::new() }, 0, rng.gen_range(1..48)),
        (Command::Archive, 0, 24 * 10),
    ];
    let upto = if stage == 0 { 0 } else { stage - 1 };
    for (cmd, who, hours) in steps.into_iter().take(upto) {
        if !step(&mut out, cmd, &a[who], hours) {
            break;
        }
    }
    out
}
