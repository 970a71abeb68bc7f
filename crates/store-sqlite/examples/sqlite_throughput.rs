//! Group-commit throughput of the store alone (no HTTP). A measurement, not a test:
//! `cargo run --release -p redress-store-sqlite --example sqlite_throughput`.
//! The HTTP benchmark is `redress bench intake`.

#[path = "../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

use std::sync::Arc;
use std::time::Instant;

use redress_store::conformance::{self, registration};
use redress_store::Store;

async fn durable_creates_per_second() {
    const TOTAL: u64 = 20_000;
    const CLIENTS: u64 = 256;
    let store = Arc::new(common::fresh("throughput").await);
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in (c..TOTAL).step_by(CLIENTS as usize) {
                    let mut w = registration(n, conformance::matter(&format!("压力测试事项{n}"), 10), conformance::t(1, 1, 0));
                    w.personal = Some(redress_domain::Petitioner { name: Some("张三".into()), phone: Some("13812345678".into()), ..Default::default() });
                    store.create_case(w).await.expect("create");
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let stats = store.write_stats();
    println!(
        "{TOTAL} creates in {secs:.2}s = {:.0}/s; {} batches, {:.1} requests/batch",
        TOTAL as f64 / secs,
        stats.batches,
        stats.requests as f64 / stats.batches as f64
    );
    assert_eq!(store.count_cases().await.unwrap(), TOTAL as i64);
}

async fn point_reads_per_second() {
    const TOTAL: u64 = 200_000;
    const CLIENTS: u64 = 256;
    let store = Arc::new(common::fresh("reads").await);
    let user = conformance::some_user(&*store, "alice").await;
    let session = redress_store::Session {
        token_hash: "h".into(),
        user_id: user.id,
        created_at: conformance::t(1, 0, 0),
        expires_at: conformance::t(2, 0, 0),
        csrf_token: "c".into(),
    };
    store.save_session(&session).await.unwrap();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..TOTAL / CLIENTS {
                    let s = store.get_session("h").await.unwrap().unwrap();
                    store.get_user(s.user_id).await.unwrap().unwrap();
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{} session+user lookups in {secs:.2}s = {:.0}/s", TOTAL, TOTAL as f64 / secs);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    durable_creates_per_second().await;
    point_reads_per_second().await;
}
