//! `redress verify`: recompute the hash chain and every case's state from its events, and
//! name the first record that does not match.

use redress_domain::{Case, CaseId};
use redress_store::{event_hash, Store, StoredEvent, GENESIS_HASH};
use serde::Serialize;

use crate::error::AppResult;

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub events: u64,
    pub cases: u64,
    /// The first problem found, in words; `None` when everything matches.
    pub problem: Option<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

const PAGE: u32 = 5_000;
const CASE_BATCH: i64 = 2_000;

/// Checks the whole log and every case. `progress(done, total)` is called now and then.
pub async fn verify(store: &dyn Store, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> AppResult<VerifyReport> {
    let (head_seq, head_hash) = store.chain_head().await?;
    let mut report = VerifyReport { events: 0, cases: 0, problem: None };
    if let Some(p) = verify_chain(store, head_seq, &head_hash, &mut report, progress).await? {
        report.problem = Some(p);
        return Ok(report);
    }
    report.problem = verify_states(store, &mut report, progress).await?;
    Ok(report)
}

async fn verify_chain(
    store: &dyn Store,
    head_seq: i64,
    head_hash: &str,
    report: &mut VerifyReport,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<Option<String>> {
    let mut prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    loop {
        let page = store.events_after(expected_seq - 1, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            if let Some(p) = check_link(e, expected_seq, &prev) {
                return Ok(Some(p));
            }
            prev = e.hash.clone();
            expected_seq += 1;
            report.events += 1;
        }
        progress("校验哈希链", report.events, head_seq.max(0) as u64);
    }
    if expected_seq - 1 != head_seq || prev != head_hash {
        return Ok(Some(format!("链头记录（序号 {head_seq}）与最后一条事件（序号 {}）不一致：末尾事件可能被删除", expected_seq - 1)));
    }
    Ok(None)
}

fn check_link(e: &StoredEvent, expected_seq: i64, prev: &str) -> Option<String> {
    if e.seq != expected_seq {
        return Some(format!("事件序号不连续：应为 {expected_seq}，实为 {}（事件被删除或插入）", e.seq));
    }
    if e.prev_hash != prev {
        return Some(format!("事件 {} 的前序哈希与上一事件不符（链在此处断开）", e.seq));
    }
    if event_hash(prev, e.seq, e.case_id, e.case_version, &e.payload) != e.hash {
        return Some(format!("事件 {}（事项 {}）的内容与其哈希不符：记录被篡改", e.seq, e.case_id));
    }
    if e.event().is_err() {
        return Some(format!("事件 {} 的内容无法解析", e.seq));
    }
    None
}

async fn verify_states(
    store: &dyn Store,
    report: &mut VerifyReport,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<Option<String>> {
    let max = store.max_case_id().await?.0;
    let total = store.count_cases().await?.max(0) as u64;
    let mut lo = 1;
    while lo <= max {
        let hi = lo + CASE_BATCH;
        let cases = store.cases_in_range(CaseId(lo), CaseId(hi)).await?;
        let events = store.events_in_case_range(CaseId(lo), CaseId(hi)).await?;
        let mut by_case: std::collections::BTreeMap<i64, Vec<&StoredEvent>> = Default::default();
        for e in &events {
            by_case.entry(e.case_id.0).or_default().push(e);
        }
        for case in &cases {
            let evs = by_case.remove(&case.id.0).unwrap_or_default();
            if let Some(p) = check_case(case, &evs) {
                return Ok(Some(p));
            }
            report.cases += 1;
        }
        if let Some((id, _)) = by_case.into_iter().next() {
            return Ok(Some(format!("事项 {id} 有事件记录但事项本身缺失")));
        }
        progress("校验事项状态", report.cases, total);
        lo = hi;
    }
    Ok(None)
}

fn check_case(stored: &Case, events: &[&StoredEvent]) -> Option<String> {
    for (i, e) in events.iter().enumerate() {
        if e.case_version != i as u32 + 1 {
            return Some(format!("事项 {} 的事件版本不连续（序号 {}）", stored.id, e.seq));
        }
    }
    let parsed: Vec<_> = match events.iter().map(|e| e.event()).collect::<Result<Vec<_>, _>>() {
        Ok(v) => v,
        Err(_) => return Some(format!("事项 {} 的事件无法解析", stored.id)),
    };
    let Some(rebuilt) = Case::replay(stored.id, &parsed) else {
        return Some(format!("事项 {} 没有登记事件", stored.id));
    };
    let same = serde_json::to_value(&rebuilt).ok() == serde_json::to_value(stored).ok();
    if !same {
        return Some(format!("事项 {}（{}）的当前状态与其事件记录重算的结果不符：状态记录被改动", stored.id, stored.tracking_code));
    }
    None
}
