//! Rough group-commit throughput: N concurrent tasks create cases on a throw-away database.
//!
//! cargo run --release -p redress-store-postgres --example pg_throughput -- [total] [tasks]
//! (REDRESS_TEST_PG_URL overrides postgres://postgres@127.0.0.1:5432/test; IN_FLIGHT=n and
//! OVERLAP=0|1 override the writer options; PG_OPTIONS adds server options to the URL)

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use redress_domain::case::*;
use redress_domain::event::Actor;
use redress_domain::*;
use redress_store::{Derived, NewCaseWrite, Store};
use redress_store_postgres::{testing, PgOptions, PgStore};

fn code(n: u64) -> TrackingCode {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
    b[8..].copy_from_slice(&(n ^ 0xDEAD_BEEF).wrapping_mul(0xC2B2_AE3D_27D4_EB4F).to_le_bytes());
    TrackingCode::from_random(b)
}

fn write(n: u64) -> NewCaseWrite {
    let matter = NewCase {
        channel: Channel::Online,
        matter_type: MatterType::Claim,
        category: Some("03.02".into()),
        subject: format!("小区电梯长期故障，物业拒不维修（{n}）"),
        content: "本人居住的小区3号楼电梯自今年三月起停运，多次向物业反映均未解决，老人上下楼十分困难，请求有关部门督促物业尽快维修。".repeat(3),
        location: Location { address: "城关镇幸福路8号3栋".into(), org: Some(OrgId(12)), ..Default::default() },
        people_count: 1,
        channel_details: ChannelDetails::default(),
        related: vec![],
        same_matter_as: None,
        intake_org: OrgId(1),
        confidential: false,
        demo: false,
        suggested_categories: vec![],
    };
    let actor = Actor::User { id: UserId(3), name: "登记员".into() };
    let (case, event) = Case::register(matter, code(n), Some("ab".repeat(32)), false, actor, Utc::now()).unwrap();
    NewCaseWrite {
        case,
        events: vec![event],
        derived: Derived { due_at: Some(Utc::now()), orgs: vec![OrgId(1), OrgId(3), OrgId(12)], facts: None },
        personal: Some(Petitioner {
            name: Some("张三".into()),
            phone: Some("13812345678".into()),
            id_number: None,
            address: Some("城关镇幸福路8号".into()),
            salt: Some("00ff".repeat(8)),
        }),
    }
}

/// utime + stime of a process (Linux), in clock ticks; 0 elsewhere.
fn cpu_ticks(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0) + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let total = args.first().copied().unwrap_or(20_000);
    let tasks = args.get(1).copied().unwrap_or(32);
    let admin = std::env::var("REDRESS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let (url, name) = testing::create_test_database(&admin).await.expect("create database");
    let url = match std::env::var("PG_OPTIONS") {
        Ok(o) => format!("{url}?options={o}"),
        Err(_) => url,
    };
    let mut opts = PgOptions::default();
    if let Some(n) = std::env::var("IN_FLIGHT").ok().and_then(|v| v.parse().ok()) {
        opts.in_flight = n;
    }
    if let Some(n) = std::env::var("MIN_OVERLAP").ok().and_then(|v| v.parse().ok()) {
        opts.min_overlap_batch = n;
    }
    if let Ok(v) = std::env::var("OVERLAP") {
        opts.overlap_commits = v != "0";
    }
    print!("in_flight {} min_overlap {} overlap_commits {}: ", opts.in_flight, opts.min_overlap_batch, opts.overlap_commits);
    let store =
        Arc::new(PgStore::connect_with(&url, opts).await.expect("connect").drop_database_on_drop(&admin, &name));
    store.migrate().await.expect("migrate");

    // Warm the pool so every backend exists before the CPU snapshot.
    let mut warm = Vec::new();
    for _ in 0..8 {
        let s = store.clone();
        warm.push(tokio::spawn(async move { s.count_cases().await.unwrap() }));
    }
    for w in warm {
        w.await.unwrap();
    }
    let pids: Vec<i32> = {
        let c = store.pool().get().await.unwrap();
        c.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let pg_before: u64 = pids.iter().map(|p| cpu_ticks(&p.to_string())).sum();
    let me_before = cpu_ticks("self");
    let start = Instant::now();
    let per_task = total / tasks;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                store.create_case(write(t * per_task + i)).await.expect("create");
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let pg_ticks: u64 = pids.iter().map(|p| cpu_ticks(&p.to_string())).sum::<u64>() - pg_before;
    let me_ticks = cpu_ticks("self") - me_before;
    let n = per_task * tasks;
    let stats = store.writer_stats();
    println!(
        "{n} cases from {tasks} tasks in {secs:.2}s: {:.0} cases/s ({} batches, mean {:.1}, largest {})",
        n as f64 / secs,
        stats.batches,
        stats.requests as f64 / stats.batches.max(1) as f64,
        stats.largest_batch
    );
    // Clock ticks are 1/100 s on Linux.
    println!(
        "CPU per case: PostgreSQL backends {:.0} µs, this process {:.0} µs",
        pg_ticks as f64 * 10_000.0 / n as f64,
        me_ticks as f64 * 10_000.0 / n as f64
    );
    assert_eq!(store.count_cases().await.unwrap(), n as i64);
}
