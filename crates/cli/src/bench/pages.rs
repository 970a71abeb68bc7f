//! `redress bench pages`: server-side render time of the console's workbench and case page on
//! a large database, beside the JSON API answering the same questions in the same run.
//!
//! Requests go through the real router in process (no sockets), so the numbers are the
//! server's: session lookup, authorization, queries, view building and template rendering.
//! Run `redress bench gen --cases N` on the database first.

use std::time::Instant;

use anyhow::Context;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tower::ServiceExt;

use crate::db::Db;

#[derive(clap::Args, Debug)]
pub struct PagesArgs {
    /// 每种页面请求次数
    #[arg(long, default_value_t = 400)]
    pub requests: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(from_global)]
    pub database: String,
}

struct Series {
    name: String,
    micros: Vec<u64>,
    bytes: usize,
}

impl Series {
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i] as f64 / 1000.0
    }
}

async fn get(router: &axum::Router, path: &str, cookie: &str) -> anyhow::Result<(u64, usize)> {
    let req = Request::builder().uri(path).header(header::COOKIE, cookie).body(Body::empty())?;
    let t = Instant::now();
    let resp = router.clone().oneshot(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    let us = t.elapsed().as_micros() as u64;
    anyhow::ensure!(status == StatusCode::OK, "{path}: {status}");
    Ok((us, body.len()))
}

pub async fn run(a: PagesArgs) -> anyhow::Result<()> {
    let db = Db::new(a.database.clone());
    let app = db.open_app(false).await?;
    let n = app.store.count_cases().await?;
    anyhow::ensure!(n > 0, "数据库中没有事项，请先运行 redress bench gen --cases N");
    let max_id = app.store.max_case_id().await?.0;
    let mut state = redress_web::AppState::new(app.clone());
    state.secure_cookies = false;
    let router = redress_web::router_with(state);
    let mut cookies = vec![];
    let mut unit_of = std::collections::HashMap::new();
    if let Some(u) = app.store.get_user_by_name("handler").await? {
        unit_of.insert("handler", u.org_id.0);
    }
    for user in ["clerk", "handler", "leader"] {
        let r = app.login(user, redress_app::demo::DEMO_PASSWORD, "bench").await.with_context(|| format!("{user} 登录失败（需要演示账号）"))?;
        cookies.push((user, format!("redress_session={}", r.token), r.token));
    }
    eprintln!("{n} 件事项；每种请求 {} 次", a.requests);
    let mut rng = StdRng::seed_from_u64(a.seed);
    let mut series: Vec<Series> = vec![];
    // Warm-up: caches and prepared statements, as a running server has them.
    for (_, cookie, _) in &cookies {
        get(&router, "/console", cookie).await?;
    }
    for (user, cookie, token) in &cookies {
        let mut page = Series { name: format!("工作台 /console（{user}）"), micros: vec![], bytes: 0 };
        let mut api = Series { name: format!("对照：JSON 接口 待办列表+计数（{user}）"), micros: vec![], bytes: 0 };
        for _ in 0..a.requests {
            let (us, b) = get(&router, "/console", cookie).await?;
            page.micros.push(us);
            page.bytes = b;
            // The same questions through the JSON API: the open cases by deadline (the unit's, for
            // a unit user), and the overdue count.
            let bearer = format!("redress_session={token}");
            let unit = unit_of.get(*user).map(|u| format!("&unit={u}")).unwrap_or_default();
            let (u1, b1) = get(&router, &format!("/api/v1/cases?status=registered,accepted,routed,in_progress&sort=due&limit=15{unit}"), &bearer).await?;
            let (u2, _) = get(&router, &format!("/api/v1/cases?status=registered,accepted,routed,in_progress&overdue=true&limit=1{unit}"), &bearer).await?;
            api.micros.push(u1 + u2);
            api.bytes = b1;
        }
        series.push(page);
        series.push(api);
    }
    let (_, cookie, token) = &cookies[0];
    let mut page = Series { name: "事项页 /console/cases/:id（clerk，随机事项）".into(), micros: vec![], bytes: 0 };
    let mut api = Series { name: "对照：JSON 接口 事项+办理记录（clerk）".into(), micros: vec![], bytes: 0 };
    let bearer = format!("redress_session={token}");
    // A random case is often not in the OS page cache yet: whichever side reads it first pays
    // for the disk, so the two sides take turns going first.
    for i in 0..a.requests {
        let id = rng.gen_range(1..=max_id);
        for side in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
            if side == 0 {
                let (us, b) = get(&router, &format!("/console/cases/{id}"), cookie).await?;
                page.micros.push(us);
                page.bytes = b;
            } else {
                let (u1, b1) = get(&router, &format!("/api/v1/cases/{id}"), &bearer).await?;
                let (u2, _) = get(&router, &format!("/api/v1/cases/{id}/events"), &bearer).await?;
                api.micros.push(u1 + u2);
                api.bytes = b1;
            }
        }
    }
    series.push(page);
    series.push(api);
    let mut list = Series { name: "事项列表 /console/cases（clerk，在办，按期限，随机页）".into(), micros: vec![], bytes: 0 };
    for _ in 0..(a.requests / 4).max(1) {
        let p = rng.gen_range(1..=20);
        let (us, b) = get(&router, &format!("/console/cases?status=open&page={p}"), cookie).await?;
        list.micros.push(us);
        list.bytes = b;
    }
    series.push(list);

    println!("| 请求 | p50 ms | p99 ms | 最大 ms | 页面大小 |");
    println!("|---|---:|---:|---:|---:|");
    for s in &series {
        println!("| {} | {:.2} | {:.2} | {:.2} | {} KB |", s.name, s.pct(0.5), s.pct(0.99), s.pct(1.0), s.bytes / 1024);
    }
    for pair in series.chunks(2).filter(|c| c.len() == 2) {
        println!("{}：p99 是对照的 {:.2} 倍", pair[0].name, pair[0].pct(0.99) / pair[1].pct(0.99).max(0.001));
    }
    let json: Vec<_> = series.iter().map(|s| serde_json::json!({ "name": s.name, "p50_ms": s.pct(0.5), "p99_ms": s.pct(0.99) })).collect();
    println!("{}", serde_json::json!({ "cases": n, "backend": app.store.backend(), "series": json }));
    Ok(())
}
