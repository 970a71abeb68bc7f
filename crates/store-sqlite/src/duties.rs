//! Routine duties (migration 0011): 零报告 filings, reminders about missing ones, and
//! 矛盾纠纷排查 campaigns with their returns and history. Writes run on the writer thread, each
//! inside its own savepoint, so a change and its history note commit together.

use rusqlite::{params, Connection, OptionalExtension, Row};

use redress_domain::OrgId;
use redress_store::{DutyNote, DutyReminder, NilReport, NilReportQuery, Result, StoreError, StoredCampaign, StoredCampaignReturn};

use crate::codec::{map_err, parse_ts, ts};

fn at(r: &Row<'_>, i: usize) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    parse_ts(r.get_ref(i)?.as_str()?)
}

pub(crate) fn add_nil_report(conn: &Connection, r: &NilReport) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO nil_reports (unit_id, frequency, period, status, details, filed_by, filed_at, late)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| s.execute(params![r.unit.0, r.frequency, r.period, r.status, r.details, r.filed_by, ts(r.filed_at), r.late]))
    .map_err(map_err)?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn nil_reports(conn: &Connection, q: &NilReportQuery) -> Result<Vec<NilReport>> {
    let mut w = vec!["1 = 1".to_string()];
    let mut bind: Vec<String> = vec![];
    if let Some(units) = &q.units {
        let ids: Vec<String> = units.iter().map(|o| o.0.to_string()).collect();
        w.push(if ids.is_empty() { "0 = 1".into() } else { format!("unit_id IN ({})", ids.join(",")) });
    }
    if !q.period_from.is_empty() {
        bind.push(q.period_from.clone());
        w.push(format!("period >= ?{}", bind.len()));
    }
    if !q.period_to.is_empty() {
        bind.push(q.period_to.clone());
        w.push(format!("period <= ?{}", bind.len()));
    }
    let sql = format!(
        "SELECT id, unit_id, frequency, period, status, details, filed_by, filed_at, late FROM nil_reports
         WHERE {} ORDER BY period, unit_id, id LIMIT {}",
        w.join(" AND "),
        q.limit.max(1)
    );
    let mut st = conn.prepare(&sql).map_err(map_err)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(bind.iter()), |r| {
            Ok(NilReport {
                id: r.get(0)?,
                unit: OrgId(r.get(1)?),
                frequency: r.get(2)?,
                period: r.get(3)?,
                status: r.get(4)?,
                details: r.get(5)?,
                filed_by: r.get(6)?,
                filed_at: at(r, 7)?,
                late: r.get(8)?,
            })
        })
        .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(map_err)?;
    Ok(rows)
}

pub(crate) fn add_duty_reminders(conn: &Connection, reminders: &[DutyReminder]) -> Result<u64> {
    let mut n = 0;
    for r in reminders {
        n += conn
            .prepare_cached(
                "INSERT INTO duty_reminders (unit_id, kind, period, created_at, job, slot) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (unit_id, kind, period) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![r.unit.0, r.kind, r.period, ts(r.created_at), r.job, r.slot]))
            .map_err(map_err)? as u64;
    }
    Ok(n)
}

pub(crate) fn duty_reminders(conn: &Connection, unit: Option<OrgId>, limit: u32) -> Result<Vec<DutyReminder>> {
    let filter = if unit.is_some() { "WHERE unit_id = ?1" } else { "WHERE ?1 IS NULL" };
    let sql = format!(
        "SELECT unit_id, kind, period, created_at, job, slot FROM duty_reminders {filter}
         ORDER BY created_at DESC, period DESC, unit_id LIMIT ?2"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![unit.map(|u| u.0), limit], |r| {
                Ok(DutyReminder { unit: OrgId(r.get(0)?), kind: r.get(1)?, period: r.get(2)?, created_at: at(r, 3)?, job: r.get(4)?, slot: r.get(5)? })
            })?
            .collect()
        })
        .map_err(map_err)
}

fn note(conn: &Connection, campaign: i64, n: &DutyNote) -> Result<()> {
    conn.prepare_cached("INSERT INTO campaign_history (campaign_id, at, actor, what) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![campaign, ts(n.at), n.actor, n.what]))
        .map_err(map_err)?;
    Ok(())
}

pub(crate) fn save_campaign(conn: &Connection, c: &StoredCampaign, n: &DutyNote) -> Result<i64> {
    let id = if c.id == 0 {
        conn.prepare_cached("INSERT INTO campaigns (version, status, created_at, data) VALUES (1, ?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![c.status, ts(c.created_at), c.data]))
            .map_err(map_err)?;
        conn.last_insert_rowid()
    } else {
        let changed = conn
            .prepare_cached("UPDATE campaigns SET version = version + 1, status = ?3, data = ?4 WHERE id = ?1 AND version = ?2")
            .and_then(|mut s| s.execute(params![c.id, c.version, c.status, c.data]))
            .map_err(map_err)?;
        if changed == 0 {
            let current: Option<i64> = conn
                .query_row("SELECT version FROM campaigns WHERE id = ?1", [c.id], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            return Err(match current {
                None => StoreError::NotFound,
                Some(v) => StoreError::Conflict { current: v as u32 },
            });
        }
        c.id
    };
    note(conn, id, n)?;
    Ok(id)
}

fn campaign_row(r: &Row<'_>) -> rusqlite::Result<StoredCampaign> {
    Ok(StoredCampaign { id: r.get(0)?, version: r.get(1)?, status: r.get(2)?, created_at: at(r, 3)?, data: r.get(4)? })
}

pub(crate) fn get_campaign(conn: &Connection, id: i64) -> Result<Option<StoredCampaign>> {
    conn.prepare_cached("SELECT id, version, status, created_at, data FROM campaigns WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], campaign_row).optional())
        .map_err(map_err)
}

pub(crate) fn list_campaigns(conn: &Connection, limit: u32) -> Result<Vec<StoredCampaign>> {
    conn.prepare_cached("SELECT id, version, status, created_at, data FROM campaigns ORDER BY id DESC LIMIT ?1")
        .and_then(|mut s| s.query_map([limit], campaign_row)?.collect())
        .map_err(map_err)
}

pub(crate) fn save_campaign_return(conn: &Connection, r: &StoredCampaignReturn, n: &DutyNote) -> Result<i64> {
    let exists: Option<i64> =
        conn.query_row("SELECT version FROM campaigns WHERE id = ?1", [r.campaign_id], |x| x.get(0)).optional().map_err(map_err)?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    let changed = if r.version == 0 {
        conn.prepare_cached(
            "INSERT INTO campaign_returns (campaign_id, unit_id, version, updated_at, data) VALUES (?1, ?2, 1, ?3, ?4)
             ON CONFLICT (campaign_id, unit_id) DO NOTHING",
        )
        .and_then(|mut s| s.execute(params![r.campaign_id, r.unit.0, ts(r.updated_at), r.data]))
        .map_err(map_err)?
    } else {
        conn.prepare_cached(
            "UPDATE campaign_returns SET version = version + 1, updated_at = ?4, data = ?5
             WHERE campaign_id = ?1 AND unit_id = ?2 AND version = ?3",
        )
        .and_then(|mut s| s.execute(params![r.campaign_id, r.unit.0, r.version, ts(r.updated_at), r.data]))
        .map_err(map_err)?
    };
    if changed == 0 {
        let current: Option<i64> = conn
            .query_row("SELECT version FROM campaign_returns WHERE campaign_id = ?1 AND unit_id = ?2", [r.campaign_id, r.unit.0], |x| x.get(0))
            .optional()
            .map_err(map_err)?;
        return Err(match current {
            None => StoreError::NotFound,
            Some(v) => StoreError::Conflict { current: v as u32 },
        });
    }
    note(conn, r.campaign_id, n)?;
    Ok(r.version + 1)
}

pub(crate) fn campaign_returns(conn: &Connection, campaign: i64) -> Result<Vec<StoredCampaignReturn>> {
    conn.prepare_cached("SELECT campaign_id, unit_id, version, updated_at, data FROM campaign_returns WHERE campaign_id = ?1 ORDER BY unit_id")
        .and_then(|mut s| {
            s.query_map([campaign], |r| {
                Ok(StoredCampaignReturn { campaign_id: r.get(0)?, unit: OrgId(r.get(1)?), version: r.get(2)?, updated_at: at(r, 3)?, data: r.get(4)? })
            })?
            .collect()
        })
        .map_err(map_err)
}

pub(crate) fn campaign_history(conn: &Connection, campaign: i64) -> Result<Vec<DutyNote>> {
    conn.prepare_cached("SELECT at, actor, what FROM campaign_history WHERE campaign_id = ?1 ORDER BY id")
        .and_then(|mut s| s.query_map([campaign], |r| Ok(DutyNote { at: at(r, 0)?, actor: r.get(1)?, what: r.get(2)? }))?.collect())
        .map_err(map_err)
}
