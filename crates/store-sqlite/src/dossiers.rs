//! Mediation and risk-assessment records (migration 0009). Writes run on the writer thread,
//! each inside its own savepoint, so a change and its history note commit together.

use rusqlite::{params, Connection, OptionalExtension, Row};

use redress_domain::OrgId;
use redress_store::{DossierQuery, DutyNote, Result, StoreError, StoredDossier};

use crate::codec::{map_err, parse_ts, ts};

const COLUMNS: &str = "id, kind, version, status, org_id, case_id, parent_id, created_at, updated_at, data";

fn row(r: &Row<'_>) -> rusqlite::Result<StoredDossier> {
    Ok(StoredDossier {
        id: r.get(0)?,
        kind: r.get(1)?,
        version: r.get(2)?,
        status: r.get(3)?,
        org: r.get::<_, Option<i64>>(4)?.map(OrgId),
        case_id: r.get(5)?,
        parent: r.get(6)?,
        created_at: parse_ts(r.get_ref(7)?.as_str()?)?,
        updated_at: parse_ts(r.get_ref(8)?.as_str()?)?,
        data: r.get(9)?,
    })
}

pub(crate) fn save_dossier(conn: &Connection, d: &StoredDossier, n: &DutyNote) -> Result<i64> {
    let id = if d.id == 0 {
        conn.prepare_cached(
            "INSERT INTO dossiers (kind, version, status, org_id, case_id, parent_id, created_at, updated_at, data)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| s.execute(params![d.kind, d.status, d.org.map(|o| o.0), d.case_id, d.parent, ts(d.created_at), ts(d.updated_at), d.data]))
        .map_err(map_err)?;
        conn.last_insert_rowid()
    } else {
        let changed = conn
            .prepare_cached("UPDATE dossiers SET version = version + 1, status = ?4, updated_at = ?5, data = ?6 WHERE id = ?1 AND kind = ?2 AND version = ?3")
            .and_then(|mut s| s.execute(params![d.id, d.kind, d.version, d.status, ts(d.updated_at), d.data]))
            .map_err(map_err)?;
        if changed == 0 {
            let current: Option<i64> = conn
                .query_row("SELECT version FROM dossiers WHERE id = ?1 AND kind = ?2", params![d.id, d.kind], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            return Err(match current {
                None => StoreError::NotFound,
                Some(v) => StoreError::Conflict { current: v as u32 },
            });
        }
        d.id
    };
    conn.prepare_cached("INSERT INTO dossier_history (dossier_id, at, actor, what) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![id, ts(n.at), n.actor, n.what]))
        .map_err(map_err)?;
    Ok(id)
}

pub(crate) fn get_dossier(conn: &Connection, id: i64) -> Result<Option<StoredDossier>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM dossiers WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], row).optional())
        .map_err(map_err)
}

pub(crate) fn list_dossiers(conn: &Connection, q: &DossierQuery) -> Result<Vec<StoredDossier>> {
    let mut w = vec!["kind = ?1".to_string()];
    let mut bind: Vec<rusqlite::types::Value> = vec![q.kind.clone().into()];
    if let Some(orgs) = &q.orgs {
        let ids: Vec<String> = orgs.iter().map(|o| o.0.to_string()).collect();
        w.push(if ids.is_empty() { "0 = 1".into() } else { format!("org_id IN ({})", ids.join(",")) });
    }
    if let Some(c) = q.case_id {
        bind.push(c.into());
        w.push(format!("case_id = ?{}", bind.len()));
    }
    if let Some(p) = q.parent {
        bind.push(p.into());
        w.push(format!("parent_id = ?{}", bind.len()));
    }
    if let Some(s) = &q.status {
        bind.push(s.clone().into());
        w.push(format!("status = ?{}", bind.len()));
    }
    let sql = format!("SELECT {COLUMNS} FROM dossiers WHERE {} ORDER BY id DESC LIMIT {}", w.join(" AND "), q.limit.max(1));
    let mut st = conn.prepare(&sql).map_err(map_err)?;
    let rows = st.query_map(rusqlite::params_from_iter(bind.iter()), row).and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>()).map_err(map_err)?;
    Ok(rows)
}

pub(crate) fn dossier_history(conn: &Connection, id: i64) -> Result<Vec<DutyNote>> {
    conn.prepare_cached("SELECT at, actor, what FROM dossier_history WHERE dossier_id = ?1 ORDER BY id")
        .and_then(|mut s| s.query_map([id], |r| Ok(DutyNote { at: parse_ts(r.get_ref(0)?.as_str()?)?, actor: r.get(1)?, what: r.get(2)? }))?.collect())
        .map_err(map_err)
}
