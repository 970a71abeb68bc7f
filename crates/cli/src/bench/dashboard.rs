//! `redress bench dashboard`: the dashboard's queries on a large database, beside DuckDB on
//! the same data exported in the same run.
//!
//! Measures, in process: `App::dashboard` for a county leader (the rollup read and the overdue
//! count, folded into every breakdown) over the default twelve months and over every month,
//! with a unit filter, the JSON API and the console page through the router; and the store's
//! two reads alone. Then it exports the case facts to CSV and runs `bench/duckdb_dashboard.py`
//! (DuckDB grouping the raw facts) and prints the ratio.
//!
//! Data: `redress bench gen --cases N` first, or `--synthetic-facts N` to add N cases' facts
//! alone (no case documents; for sizes the generator cannot write in the time available).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Datelike;
use http_body_util::BodyExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_app::dashboard::DashboardFilter;
use redress_domain::{CaseId, Channel, Status};
use redress_store::{CaseFacts, FactQuery};
use tower::ServiceExt;

use crate::db::Db;

#[derive(clap::Args, Debug)]
pub struct DashboardArgs {
    /// 每项请求次数
    #[arg(long, default_value_t = 50)]
    pub requests: usize,
    /// 先直接写入这么多件事项的统计要素（不生成事项本身），用于千万级规模
    #[arg(long, default_value_t = 0)]
    pub synthetic_facts: u64,
    /// DuckDB 所在的 Python（pip install duckdb）；为空则不比较
    #[arg(long, default_value = "target/duckdb-venv/bin/python")]
    pub python: String,
    /// 导出统计要素的 CSV 文件
    #[arg(long, default_value = "target/bench-dashboard-facts.csv")]
    pub csv: PathBuf,
    #[arg(from_global)]
    pub database: String,
}

struct Series {
    name: String,
    micros: Vec<u64>,
}

impl Series {
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i] as f64 / 1000.0
    }
}

async fn time_it<F, Fut, T>(name: &str, n: usize, mut f: F) -> anyhow::Result<Series>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    f().await?; // warm-up
    let mut s = Series { name: name.into(), micros: vec![] };
    for _ in 0..n {
        let t = Instant::now();
        f().await?;
        s.micros.push(t.elapsed().as_micros() as u64);
    }
    Ok(s)
}

/// Facts shaped like a county's: three years of months, ages that decide the status, the
/// taxonomy's categories, the county's units and towns, channels by their usual shares.
async fn synthesize(app: &redress_app::App, n: u64) -> anyhow::Result<()> {
    let cfg = app.cfg().await?;
    let cats: Vec<String> = cfg.taxonomy.categories.iter().flat_map(|t| t.children.iter().map(|c| c.code.clone())).collect();
    let units: Vec<i64> = cfg.tree.all().filter(|o| o.kind == redress_domain::OrgKind::Department).map(|o| o.id.0).collect();
    let towns: Vec<i64> = cfg.tree.all().filter(|o| o.kind == redress_domain::OrgKind::Town).map(|o| o.id.0).collect();
    anyhow::ensure!(!cats.is_empty() && !units.is_empty() && !towns.is_empty(), "需要演示机构和分类（先运行 bench gen 或 serve 一次）");
    let channels = [(Channel::Hotline, 45), (Channel::Online, 20), (Channel::Phone, 10), (Channel::Visit, 10), (Channel::Letter, 8), (Channel::Grid, 5), (Channel::HigherTransfer, 2)];
    let now = app.now();
    let today = redress_domain::local_date(now);
    let mut rng = StdRng::seed_from_u64(6);
    let mut next = app.store.max_case_id().await?.0;
    if let Some((last, _)) = last_fact(app).await? {
        next = next.max(last.0);
    }
    let started = Instant::now();
    let mut done = 0u64;
    while done < n {
        let chunk = (n - done).min(200);
        let mut batch = Vec::with_capacity(chunk as usize);
        for _ in 0..chunk {
            next += 1;
            let age_days: i64 = rng.gen_range(0..3 * 365);
            let day = today - chrono::Duration::days(age_days);
            let open = age_days < 90 && rng.gen_bool(0.3 + 0.6 * (1.0 - age_days as f64 / 90.0));
            let status = if open {
                [Status::Registered, Status::Accepted, Status::Routed, Status::InProgress, Status::Replied][rng.gen_range(0..5)]
            } else {
                [Status::Closed, Status::Archived, Status::FollowedUp, Status::NotAccepted, Status::Withdrawn][rng.gen_range(0..5).min(rng.gen_range(0..5))]
            };
            let concluded = status.is_concluded();
            let mut pick: u32 = rng.gen_range(0..100);
            let mut channel = Channel::Hotline;
            for (c, w) in channels {
                if pick < w {
                    channel = c;
                    break;
                }
                pick -= w;
            }
            let rated = concluded && status != Status::Replied && rng.gen_bool(0.8);
            batch.push((
                CaseId(next),
                CaseFacts {
                    month: day.year() * 100 + day.month() as i32,
                    category: cats[rng.gen_range(0..cats.len())].clone(),
                    status,
                    unit: if matches!(status, Status::Registered | Status::Accepted | Status::NotAccepted | Status::Withdrawn) { 0 } else { units[rng.gen_range(0..units.len())] },
                    town: towns[rng.gen_range(0..towns.len())],
                    channel,
                    demo: false,
                    timed: concluded,
                    on_time: concluded && rng.gen_bool(0.93),
                    rated,
                    satisfied: rated && rng.gen_bool(0.9),
                    handling_days: concluded.then(|| rng.gen_range(3..75)),
                    due_at: open.then(|| now + chrono::Duration::days(rng.gen_range(-40..30))),
                },
            ));
        }
        app.store.put_facts(batch).await?;
        done += chunk;
        if done % 100_000 == 0 || done == n {
            eprintln!("统计要素：{done}/{n}（{:.0} 件/秒）", done as f64 / started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}

async fn last_fact(app: &redress_app::App) -> anyhow::Result<Option<(CaseId, CaseFacts)>> {
    // Facts are few pages away from the end only when ids are dense; walk by large pages.
    let mut after = CaseId(app.store.max_case_id().await?.0.saturating_sub(1));
    let mut last = None;
    loop {
        let page = app.store.facts_after(after, 50_000).await?;
        match page.last() {
            Some(l) => {
                after = l.0;
                last = Some(l.clone());
            }
            None => return Ok(last),
        }
    }
}

async fn get(router: &axum::Router, path: &str, cookie: &str) -> anyhow::Result<usize> {
    let req = Request::builder().uri(path).header(header::COOKIE, cookie).body(Body::empty())?;
    let resp = router.clone().oneshot(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    anyhow::ensure!(status == StatusCode::OK, "{path}: {status}");
    Ok(body.len())
}

pub async fn run(a: DashboardArgs) -> anyhow::Result<()> {
    let db = Db::new(a.database.clone());
    let app = db.open_app(true).await?;
    app.seed_demo_if_empty(0).await.context("建立演示机构失败")?;
    if a.synthetic_facts > 0 {
        synthesize(&app, a.synthetic_facts).await?;
    }
    let filled = app.backfill_facts().await?;
    if filled > 0 {
        eprintln!("已为 {filled} 件旧事项补写统计要素");
    }
    let facts = app.store.count_facts().await?;
    let cases = app.store.count_cases().await?;
    eprintln!("{cases} 件事项，{facts} 件的统计要素；每项 {} 次", a.requests);
    let leader = app.store.get_user_by_name("leader").await?.context("需要演示账号 leader")?;
    let cfg = app.cfg().await?;
    let p = redress_app::Principal::new(leader, &cfg.tree, "bench");
    let now = app.now();
    let today = redress_domain::local_date(now);
    let to = format!("{:04}-{:02}", today.year(), today.month());
    let from_all = format!("{:04}-{:02}", today.year() - 3, today.month());
    let unit = cfg.tree.all().find(|o| o.name == "县住房和城乡建设局").map(|o| o.id.0);
    let mut series = vec![];
    let twelve = DashboardFilter::default();
    let all = DashboardFilter { from: from_all.clone(), to: to.clone(), ..Default::default() };
    let one_unit = DashboardFilter { unit, ..all.clone() };
    let n = a.requests;
    series.push(time_it("App::dashboard 近12个月（全县）", n, || { let (app, p, f) = (app.clone(), p.clone(), twelve.clone()); async move { Ok(app.dashboard(&p, &f).await?) } }).await?);
    series.push(time_it("App::dashboard 近37个月（全部数据）", n, || { let (app, p, f) = (app.clone(), p.clone(), all.clone()); async move { Ok(app.dashboard(&p, &f).await?) } }).await?);
    series.push(time_it("App::dashboard 近37个月，一个责任单位", n, || { let (app, p, f) = (app.clone(), p.clone(), one_unit.clone()); async move { Ok(app.dashboard(&p, &f).await?) } }).await?);
    let r = app.resolve_dashboard(&cfg, &p, &all)?;
    let q: FactQuery = r.query.clone();
    let groups = app.store.fact_groups(&q).await?.len();
    series.push(time_it(&format!("Store::fact_groups 近37个月（{groups} 组）"), n, || { let (app, q) = (app.clone(), q.clone()); async move { Ok(app.store.fact_groups(&q).await?) } }).await?);
    series.push(time_it("Store::overdue_groups（当前超期）", n, || { let (app, q) = (app.clone(), q.clone()); async move { Ok(app.store.overdue_groups(&q, now).await?) } }).await?);
    let dims = app.store.fact_dims(&q).await?.len();
    series.push(time_it(&format!("Store::fact_dims 近37个月（{dims} 行）"), n, || { let (app, q) = (app.clone(), q.clone()); async move { Ok(app.store.fact_dims(&q).await?) } }).await?);
    let town = cfg.tree.all().find(|o| o.kind == redress_domain::OrgKind::Town).map(|o| o.id.0);
    let one_town = DashboardFilter { town, ..twelve.clone() };
    series.push(time_it("App::dashboard 近12个月，一个乡镇（乡镇信访办的默认视图）", n, || { let (app, p, f) = (app.clone(), p.clone(), one_town.clone()); async move { Ok(app.dashboard(&p, &f).await?) } }).await?);
    let unit_12 = DashboardFilter { unit, ..twelve.clone() };
    series.push(time_it("App::dashboard 近12个月，一个责任单位", n, || { let (app, p, f) = (app.clone(), p.clone(), unit_12.clone()); async move { Ok(app.dashboard(&p, &f).await?) } }).await?);
    // Through the router: JSON API and the console page.
    let mut state = redress_web::AppState::new(app.clone());
    state.secure_cookies = false;
    let router = redress_web::router_with(state);
    let login = app.login("leader", redress_app::demo::DEMO_PASSWORD, "bench").await.context("leader 登录失败（需要演示账号）")?;
    let cookie = format!("redress_session={}", login.token);
    let mut sizes = vec![];
    for (name, path) in [
        ("GET /api/v1/dashboard 近12个月", "/api/v1/dashboard".to_string()),
        ("GET /console/dashboard 近12个月（页面）", "/console/dashboard".to_string()),
        ("GET /console/dashboard 近37个月（页面）", format!("/console/dashboard?from={from_all}&to={to}")),
    ] {
        let (router, cookie, path2) = (router.clone(), cookie.clone(), path.clone());
        sizes.push(get(&router, &path, &cookie).await?);
        series.push(time_it(name, n, || { let (router, cookie, path) = (router.clone(), cookie.clone(), path2.clone()); async move { get(&router, &path, &cookie).await } }).await?);
    }
    println!("\n| 请求 | p50 ms | p99 ms | 最大 ms |");
    println!("|---|---:|---:|---:|");
    for s in &series {
        println!("| {} | {:.2} | {:.2} | {:.2} |", s.name, s.pct(0.5), s.pct(0.99), s.pct(1.0));
    }
    eprintln!("页面/接口大小（字节）：{sizes:?}");

    // DuckDB on the same facts, exported now.
    if a.python.is_empty() {
        return Ok(());
    }
    let t = Instant::now();
    let mut out = std::io::BufWriter::new(std::fs::File::create(&a.csv).with_context(|| format!("无法写入 {}", a.csv.display()))?);
    writeln!(out, "case_id,month,category,status,unit_id,town_id,channel,demo,timed,on_time,rated,satisfied,handling_days,due_at")?;
    let mut after = CaseId(0);
    let mut exported = 0u64;
    loop {
        let page = app.store.facts_after(after, 20_000).await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (id, f) in &page {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                id.0, f.month, f.category, f.status.key(), f.unit, f.town, f.channel.key(), u8::from(f.demo), u8::from(f.timed),
                u8::from(f.on_time), u8::from(f.rated), u8::from(f.satisfied),
                f.handling_days.map(|d| d.to_string()).unwrap_or_default(),
                f.due_at.map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)).unwrap_or_default()
            )?;
        }
        exported += page.len() as u64;
    }
    out.flush()?;
    eprintln!("导出 {exported} 行统计要素到 {}（{:.1} 秒）", a.csv.display(), t.elapsed().as_secs_f64());
    // The filtered views DuckDB answers too: the twelve months, one town, one unit's subtree.
    let q12 = app.resolve_dashboard(&cfg, &p, &twelve)?.query;
    let unit_ids: Vec<i64> = app.resolve_dashboard(&cfg, &p, &unit_12)?.query.units.unwrap_or_default();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/duckdb_dashboard.py");
    let output = std::process::Command::new(&a.python)
        .arg(&script)
        .arg(&a.csv)
        .arg(q.month_from.to_string())
        .arg(q.month_to.to_string())
        .arg(now.to_rfc3339())
        .arg(n.max(5).to_string())
        .arg(q12.month_from.to_string())
        .arg(town.unwrap_or(0).to_string())
        .arg(unit_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
        .output()
        .with_context(|| format!("无法运行 {}（python3 -m venv target/duckdb-venv && target/duckdb-venv/bin/pip install duckdb）", a.python))?;
    anyhow::ensure!(output.status.success(), "DuckDB 脚本失败：{}", String::from_utf8_lossy(&output.stderr));
    let d: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let duck_groups = d["groups"]["p50_ms"].as_f64().unwrap_or(f64::NAN);
    let duck_overdue = d["overdue"]["p50_ms"].as_f64().unwrap_or(f64::NAN);
    let ours_groups = series[3].pct(0.5);
    let ours_overdue = series[4].pct(0.5);
    let ours_dash = series[1].pct(0.5);
    let duck_dims = d["dims"]["p50_ms"].as_f64().unwrap_or(f64::NAN);
    let duck_simple = d["simple"]["p50_ms"].as_f64().unwrap_or(f64::NAN);
    let ours_dims = series[5].pct(0.5);
    println!("\nDuckDB {}（{} 线程）同一批 {} 行，载入 {:.1} 秒：", d["duckdb"], d["threads"], d["rows"], d["load_s"].as_f64().unwrap_or(0.0));
    println!("| 查询 | 本系统 p50 ms | DuckDB p50 ms | 本系统 ÷ DuckDB |");
    println!("|---|---:|---:|---:|");
    println!("| 分组求和（月×类别×状态×单位×乡镇×渠道，近37个月） | {ours_groups:.2} | {duck_groups:.2} | {:.2} |", ours_groups / duck_groups);
    println!("| 当前超期（类别×单位×乡镇×渠道） | {ours_overdue:.2} | {duck_overdue:.2} | {:.2} |", ours_overdue / duck_overdue);
    println!("| 按维度求和（月×状态×单位/乡镇/类别/渠道，四条，近37个月） | {ours_dims:.2} | {duck_dims:.2} | {:.2} |", ours_dims / duck_dims);
    println!("| 整个指挥中心（App::dashboard 近37个月，全县）对 DuckDB 按维度四条+当前超期 | {ours_dash:.2} | {:.2} | {:.2} |", duck_dims + duck_overdue, ours_dash / (duck_dims + duck_overdue));
    for (key, label, ours) in [("town", "一个乡镇近12个月（App::dashboard）对 DuckDB 该乡镇按维度四条+当前超期", series[6].pct(0.5)), ("unit", "一个责任单位近12个月（App::dashboard）对 DuckDB 该单位按维度四条+当前超期", series[7].pct(0.5))] {
        let duck = d[key]["p50_ms"].as_f64().unwrap_or(f64::NAN);
        println!("| {label} | {ours:.2} | {duck:.2} | {:.2} |", ours / duck);
    }
    println!("| 参考：DuckDB 类别×状态×月 一条（指南中的对照查询） | — | {duck_simple:.2} | — |");
    println!("\n{}", serde_json::json!({ "cases": cases, "facts": facts, "backend": app.store.backend(), "duckdb": d,
        "ours": series.iter().map(|s| serde_json::json!({ "name": s.name, "p50_ms": s.pct(0.5), "p99_ms": s.pct(0.99) })).collect::<Vec<_>>() }));
    Ok(())
}
