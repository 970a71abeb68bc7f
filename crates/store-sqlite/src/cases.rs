//! Cases and the hash-chained event log: the write side (run by the writer thread) and reads.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use redress_domain::event::Event;
use redress_domain::{Case, CaseId, Petitioner, TrackingCode};
use redress_store::{event_hash, Derived, PersonalRecord, Result, StoreError, StoredEvent};

use crate::codec::{from_json, map_err, opt_ts, parse_ts, stored_ts, to_json, ts};

/// An event ready to store. Built by the caller, so serialising happens off the writer thread.
pub(crate) struct EventRow {
    at: DateTime<Utc>,
    kind: String,
    payload: String,
}

impl EventRow {
    pub fn new(e: &Event) -> Result<EventRow> {
        Ok(EventRow { at: e.at, kind: e.kind.type_key(), payload: to_json(e)? })
    }
}

/// The `cases` columns of a case: copies of its fields for filtering, and its JSON.
pub(crate) struct CaseRow {
    id: i64,
    tracking_code: String,
    version: u32,
    status: &'static str,
    channel: &'static str,
    matter_type: &'static str,
    category: Option<String>,
    subject: String,
    unit_id: Option<i64>,
    intake_org_id: i64,
    registered_at: String,
    updated_at: String,
    due_at: Option<String>,
    demo: bool,
    data: String,
}

impl CaseRow {
    pub fn new(case: &Case, derived: &Derived) -> Result<CaseRow> {
        Ok(CaseRow {
            id: case.id.0,
            tracking_code: case.tracking_code.as_str().to_string(),
            version: case.version,
            status: case.status.key(),
            channel: case.matter.channel.key(),
            matter_type: case.matter.matter_type.key(),
            category: case.matter.category.clone(),
            subject: case.matter.subject.clone(),
            unit_id: case.unit.map(|u| u.0),
            intake_org_id: case.matter.intake_org.0,
            registered_at: ts(case.registered_at),
            updated_at: ts(case.updated_at),
            due_at: opt_ts(derived.due_at),
            demo: case.matter.demo,
            data: to_json(case)?,
        })
    }
}

pub(crate) struct CreateReq {
    pub case: Case,
    /// `Registered` first.
    pub events: Vec<EventRow>,
    pub derived: Derived,
    pub personal: Option<String>,
}

pub(crate) struct AppendReq {
    pub id: CaseId,
    pub row: CaseRow,
    pub expected: u32,
    pub events: Vec<EventRow>,
    pub orgs: Vec<i64>,
    pub facts: Option<redress_store::CaseFacts>,
    pub purge_personal: bool,
}

pub(crate) fn create(conn: &Connection, req: CreateReq) -> Result<(Case, Vec<StoredEvent>)> {
    let CreateReq { mut case, events, derived, personal } = req;
    // Explicit ids (not left to INSERT) so the stored JSON carries the id too.
    let id: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(map_err)?;
    case.id = CaseId(id);
    insert_case(conn, &CaseRow::new(&case, &derived)?)?;
    write_orgs(conn, id, &org_ids(&derived), false)?;
    if let Some(f) = &derived.facts {
        crate::facts::upsert(conn, case.id, f)?;
    }
    let stored = append_events(conn, case.id, 1, events)?;
    if let Some(data) = personal {
        conn.prepare_cached("INSERT INTO personal_data (case_id, data) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![id, data]))
            .map_err(map_err)?;
    }
    Ok((case, stored))
}

pub(crate) fn append(conn: &Connection, req: AppendReq) -> Result<Vec<StoredEvent>> {
    let current: Option<u32> = conn
        .prepare_cached("SELECT version FROM cases WHERE id = ?1")
        .and_then(|mut s| s.query_row([req.id.0], |r| r.get(0)).optional())
        .map_err(map_err)?;
    match current {
        None => return Err(StoreError::NotFound),
        Some(v) if v != req.expected => return Err(StoreError::Conflict { current: v }),
        Some(_) => {}
    }
    update_case(conn, &req.row)?;
    write_orgs(conn, req.id.0, &req.orgs, true)?;
    if let Some(f) = &req.facts {
        crate::facts::upsert(conn, req.id, f)?;
    }
    let stored = append_events(conn, req.id, req.expected + 1, req.events)?;
    if req.purge_personal {
        conn.prepare_cached("DELETE FROM personal_data WHERE case_id = ?1")
            .and_then(|mut s| s.execute([req.id.0]))
            .map_err(map_err)?;
    }
    Ok(stored)
}

pub(crate) fn org_ids(derived: &Derived) -> Vec<i64> {
    let mut ids: Vec<i64> = derived.orgs.iter().map(|o| o.0).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn insert_case(conn: &Connection, r: &CaseRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO cases (id, tracking_code, version, status, channel, matter_type, category, subject,
                            unit_id, intake_org_id, registered_at, updated_at, due_at, demo, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .and_then(|mut s| {
        s.execute(params![
            r.id, r.tracking_code, r.version, r.status, r.channel, r.matter_type, r.category, r.subject,
            r.unit_id, r.intake_org_id, r.registered_at, r.updated_at, r.due_at, r.demo, r.data
        ])
    })
    .map(drop)
    .map_err(map_err)
}

fn update_case(conn: &Connection, r: &CaseRow) -> Result<()> {
    // The tracking code never changes, so it is left alone (and its unique index untouched).
    conn.prepare_cached(
        "UPDATE cases SET version = ?2, status = ?3, channel = ?4, matter_type = ?5, category = ?6,
                          subject = ?7, unit_id = ?8, intake_org_id = ?9, registered_at = ?10,
                          updated_at = ?11, due_at = ?12, demo = ?13, data = ?14
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            r.id, r.version, r.status, r.channel, r.matter_type, r.category, r.subject, r.unit_id,
            r.intake_org_id, r.registered_at, r.updated_at, r.due_at, r.demo, r.data
        ])
    })
    .map(drop)
    .map_err(map_err)
}

/// Sets the organisations that may see a case; `want` is sorted and deduplicated.
fn write_orgs(conn: &Connection, case_id: i64, want: &[i64], replace: bool) -> Result<()> {
    if replace {
        let have: Vec<i64> = conn
            .prepare_cached("SELECT org_id FROM case_orgs WHERE case_id = ?1 ORDER BY org_id")
            .and_then(|mut s| s.query_map([case_id], |r| r.get(0))?.collect())
            .map_err(map_err)?;
        if have == want {
            return Ok(());
        }
        conn.prepare_cached("DELETE FROM case_orgs WHERE case_id = ?1")
            .and_then(|mut s| s.execute([case_id]))
            .map_err(map_err)?;
    }
    let mut insert =
        conn.prepare_cached("INSERT INTO case_orgs (case_id, org_id) VALUES (?1, ?2)").map_err(map_err)?;
    for org in want {
        insert.execute([case_id, *org]).map_err(map_err)?;
    }
    Ok(())
}

fn append_events(conn: &Connection, case_id: CaseId, first_version: u32, events: Vec<EventRow>) -> Result<Vec<StoredEvent>> {
    (first_version..).zip(events).map(|(version, ev)| append_event(conn, case_id, version, ev)).collect()
}

/// Appends one event at the end of the chain and moves the head, in the caller's transaction.
fn append_event(conn: &Connection, case_id: CaseId, version: u32, ev: EventRow) -> Result<StoredEvent> {
    let (last, prev_hash) = head(conn)?;
    let seq = last + 1;
    let hash = event_hash(&prev_hash, seq, case_id, version, &ev.payload);
    conn.prepare_cached(
        "INSERT INTO events (seq, case_id, case_version, at, kind, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| s.execute(params![seq, case_id.0, version, ts(ev.at), ev.kind, ev.payload, prev_hash, hash]))
    .map_err(map_err)?;
    conn.prepare_cached("UPDATE chain_head SET seq = ?1, hash = ?2 WHERE id = 1")
        .and_then(|mut s| s.execute(params![seq, hash]))
        .map_err(map_err)?;
    Ok(StoredEvent {
        seq,
        case_id,
        case_version: version,
        at: stored_ts(ev.at),
        kind: ev.kind,
        payload: ev.payload,
        prev_hash,
        hash,
    })
}

// ----- reads -----

pub(crate) fn head(conn: &Connection) -> Result<(i64, String)> {
    conn.prepare_cached("SELECT seq, hash FROM chain_head WHERE id = 1")
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(map_err)
}

pub(crate) fn case_from_row(r: &Row<'_>) -> rusqlite::Result<Case> {
    from_json(r.get_ref(0)?.as_str()?)
}

pub(crate) fn get(conn: &Connection, id: CaseId) -> Result<Option<Case>> {
    conn.prepare_cached("SELECT data FROM cases WHERE id = ?1")
        .and_then(|mut s| s.query_row([id.0], case_from_row).optional())
        .map_err(map_err)
}

pub(crate) fn get_by_code(conn: &Connection, code: &TrackingCode) -> Result<Option<Case>> {
    conn.prepare_cached("SELECT data FROM cases WHERE tracking_code = ?1")
        .and_then(|mut s| s.query_row([code.as_str()], case_from_row).optional())
        .map_err(map_err)
}

const IN_RANGE: &str = "SELECT data FROM cases WHERE id >= ?1 AND id < ?2 ORDER BY id";

pub(crate) fn in_range(conn: &Connection, from: CaseId, to: CaseId) -> Result<Vec<Case>> {
    conn.prepare_cached(IN_RANGE)
        .and_then(|mut s| s.query_map([from.0, to.0], case_from_row)?.collect())
        .map_err(map_err)
}

pub(crate) fn json_in_range(conn: &Connection, from: CaseId, to: CaseId) -> Result<Vec<String>> {
    conn.prepare_cached(IN_RANGE)
        .and_then(|mut s| s.query_map([from.0, to.0], |r| r.get(0))?.collect())
        .map_err(map_err)
}

pub(crate) fn scalar(conn: &Connection, sql: &str) -> Result<i64> {
    conn.prepare_cached(sql).and_then(|mut s| s.query_row([], |r| r.get(0))).map_err(map_err)
}

const EVENT_COLUMNS: &str = "seq, case_id, case_version, at, kind, payload, prev_hash, hash";

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: r.get(0)?,
        case_id: CaseId(r.get(1)?),
        case_version: r.get(2)?,
        at: parse_ts(r.get_ref(3)?.as_str()?)?,
        kind: r.get(4)?,
        payload: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
    })
}

fn events(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Vec<StoredEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events {filter}");
    conn.prepare_cached(&sql).and_then(|mut s| s.query_map(args, event_from_row)?.collect()).map_err(map_err)
}

pub(crate) fn case_events(conn: &Connection, id: CaseId) -> Result<Vec<StoredEvent>> {
    // Versions rise with seq within a case; ordering by version uses the unique index.
    events(conn, "WHERE case_id = ?1 ORDER BY case_version", [id.0])
}

pub(crate) fn events_after(conn: &Connection, after: i64, limit: u32) -> Result<Vec<StoredEvent>> {
    events(conn, "WHERE seq > ?1 ORDER BY seq LIMIT ?2", params![after, limit])
}

pub(crate) fn events_in_case_range(conn: &Connection, from: CaseId, to: CaseId) -> Result<Vec<StoredEvent>> {
    events(conn, "WHERE case_id >= ?1 AND case_id < ?2 ORDER BY case_id, case_version", [from.0, to.0])
}

pub(crate) fn personal(conn: &Connection, id: CaseId) -> Result<Option<PersonalRecord>> {
    let data: Option<String> = conn
        .prepare_cached("SELECT data FROM personal_data WHERE case_id = ?1")
        .and_then(|mut s| s.query_row([id.0], |r| r.get(0)).optional())
        .map_err(map_err)?;
    data.map(|d| {
        let petitioner: Petitioner = serde_json::from_str(&d).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(PersonalRecord { case_id: id, petitioner })
    })
    .transpose()
}

pub(crate) fn count_by_status(conn: &Connection) -> Result<Vec<(redress_domain::Status, i64)>> {
    let mut st = conn.prepare_cached("SELECT status, COUNT(*) FROM cases GROUP BY status").map_err(map_err)?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(map_err)?;
    let mut out = vec![];
    for r in rows {
        let (s, n) = r.map_err(map_err)?;
        if let Some(s) = redress_domain::Status::parse(&s) {
            out.push((s, n));
        }
    }
    Ok(out)
}

pub(crate) fn count_by_satisfaction(conn: &Connection) -> Result<Vec<(redress_domain::case::Satisfaction, i64)>> {
    // The expression and predicate of cases_satisfaction_idx (migration 0004), so the count
    // reads only that index.
    let sql = "SELECT json_extract(data, '$.follow_up.satisfaction') AS s, COUNT(*) FROM cases
         WHERE status IN ('followed_up', 'closed', 'archived', 'under_review', 'reviewed', 'under_recheck', 'final')
           AND s IS NOT NULL GROUP BY s";
    let mut st = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(map_err)?;
    let mut out = vec![];
    for r in rows {
        let (s, n) = r.map_err(map_err)?;
        if let Some(s) = redress_domain::case::Satisfaction::parse(&s) {
            out.push((s, n));
        }
    }
    Ok(out)
}
