//! Everything besides cases: organisations, users, sessions, tokens, settings, blobs,
//! leases and the personal-data access log. Writes run on the writer thread.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use redress_domain::{CaseId, Org, OrgId, UserId};
use redress_store::{AccessRecord, ApiToken, Claim, JobRun, Lease, Reminder, Result, Session, User};

use crate::codec::{from_json, from_key, key_of, map_err, parse_ts, to_json, ts};

fn text_ts(r: &Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    parse_ts(r.get_ref(i)?.as_str()?)
}

// ----- organisations -----

pub(crate) fn save_org(conn: &Connection, org: &Org, kind: &str) -> Result<OrgId> {
    // A non-zero id inserts or updates that row, so an org tree can be seeded with fixed ids.
    let id = (org.id.0 != 0).then_some(org.id.0);
    conn.prepare_cached(
        "INSERT INTO orgs (id, parent_id, name, kind, division_code) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name,
                                        kind = excluded.kind, division_code = excluded.division_code
         RETURNING id",
    )
    .and_then(|mut s| {
        s.query_row(params![id, org.parent.map(|p| p.0), org.name, kind, org.division_code], |r| r.get(0))
    })
    .map(OrgId)
    .map_err(map_err)
}

pub(crate) fn org_kind(org: &Org) -> Result<String> {
    key_of(&org.kind)
}

pub(crate) fn list_orgs(conn: &Connection) -> Result<Vec<Org>> {
    conn.prepare_cached("SELECT id, parent_id, name, kind, division_code FROM orgs ORDER BY id")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(Org {
                    id: OrgId(r.get(0)?),
                    parent: r.get::<_, Option<i64>>(1)?.map(OrgId),
                    name: r.get(2)?,
                    kind: from_key(r.get_ref(3)?.as_str()?)?,
                    division_code: r.get(4)?,
                })
            })?
            .collect()
        })
        .map_err(map_err)
}

// ----- users -----

pub(crate) fn save_user(conn: &Connection, u: &User, roles: &str) -> Result<UserId> {
    let id = (u.id.0 != 0).then_some(u.id.0);
    conn.prepare_cached(
        "INSERT INTO users (id, username, display_name, org_id, roles, password_hash, disabled, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name,
             org_id = excluded.org_id, roles = excluded.roles, password_hash = excluded.password_hash,
             disabled = excluded.disabled, created_at = excluded.created_at
         RETURNING id",
    )
    .and_then(|mut s| {
        s.query_row(
            params![id, u.username, u.display_name, u.org_id.0, roles, u.password_hash, u.disabled, ts(u.created_at)],
            |r| r.get(0),
        )
    })
    .map(UserId)
    .map_err(map_err)
}

pub(crate) fn user_roles(u: &User) -> Result<String> {
    to_json(&u.roles)
}

const USER_COLUMNS: &str = "id, username, display_name, org_id, roles, password_hash, disabled, created_at";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(r.get(0)?),
        username: r.get(1)?,
        display_name: r.get(2)?,
        org_id: OrgId(r.get(3)?),
        roles: from_json(r.get_ref(4)?.as_str()?)?,
        password_hash: r.get(5)?,
        disabled: r.get(6)?,
        created_at: text_ts(r, 7)?,
    })
}

pub(crate) fn users(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users {filter}");
    conn.prepare_cached(&sql).and_then(|mut s| s.query_map(args, user_from_row)?.collect()).map_err(map_err)
}

// ----- sessions and API tokens -----

pub(crate) fn save_session(conn: &Connection, s: &Session) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, csrf_token) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (token_hash) DO UPDATE SET user_id = excluded.user_id, created_at = excluded.created_at,
             expires_at = excluded.expires_at, csrf_token = excluded.csrf_token",
    )
    .and_then(|mut st| st.execute(params![s.token_hash, s.user_id.0, ts(s.created_at), ts(s.expires_at), s.csrf_token]))
    .map(drop)
    .map_err(map_err)
}

pub(crate) fn get_session(conn: &Connection, token_hash: &str) -> Result<Option<Session>> {
    conn.prepare_cached(
        "SELECT token_hash, user_id, created_at, expires_at, csrf_token FROM sessions WHERE token_hash = ?1",
    )
    .and_then(|mut s| {
        s.query_row([token_hash], |r| {
            Ok(Session {
                token_hash: r.get(0)?,
                user_id: UserId(r.get(1)?),
                created_at: text_ts(r, 2)?,
                expires_at: text_ts(r, 3)?,
                csrf_token: r.get(4)?,
            })
        })
        .optional()
    })
    .map_err(map_err)
}

/// Runs a DELETE (or other change) and returns the number of rows it touched.
pub(crate) fn change(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<u64> {
    conn.prepare_cached(sql).and_then(|mut s| s.execute(args)).map(|n| n as u64).map_err(map_err)
}

pub(crate) fn save_api_token(conn: &Connection, t: &ApiToken) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO api_tokens (token_hash, name, user_id, scope, created_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (token_hash) DO UPDATE SET name = excluded.name, user_id = excluded.user_id,
             scope = excluded.scope, created_at = excluded.created_at, revoked = excluded.revoked",
    )
    .and_then(|mut s| s.execute(params![t.token_hash, t.name, t.user_id.map(|u| u.0), t.scope, ts(t.created_at), t.revoked]))
    .map(drop)
    .map_err(map_err)
}

pub(crate) fn api_tokens(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Vec<ApiToken>> {
    let sql = format!("SELECT token_hash, name, user_id, scope, created_at, revoked FROM api_tokens {filter}");
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(args, |r| {
                Ok(ApiToken {
                    token_hash: r.get(0)?,
                    name: r.get(1)?,
                    user_id: r.get::<_, Option<i64>>(2)?.map(UserId),
                    scope: r.get(3)?,
                    created_at: text_ts(r, 4)?,
                    revoked: r.get(5)?,
                })
            })?
            .collect()
        })
        .map_err(map_err)
}

// ----- settings and blobs -----

pub(crate) fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
        .map_err(map_err)
}

pub(crate) fn get_blob(conn: &Connection, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
    conn.prepare_cached("SELECT mime, bytes FROM blobs WHERE sha256 = ?1")
        .and_then(|mut s| s.query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(map_err)
}

// ----- leases -----

pub(crate) fn try_lease(conn: &Connection, job: &str, holder: &str, now: DateTime<Utc>, ttl_secs: i64) -> Result<Option<i64>> {
    let expires = now + chrono::Duration::seconds(ttl_secs);
    // Taken when free, lapsed, or already ours; otherwise the upsert changes nothing. The
    // epoch grows only when the lease changes hands.
    conn.prepare_cached(
        "INSERT INTO leases (job, holder, expires_at, epoch) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
             epoch = CASE WHEN leases.holder = excluded.holder THEN leases.epoch ELSE leases.epoch + 1 END
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4
         RETURNING epoch",
    )
    .and_then(|mut s| s.query_row(params![job, holder, ts(expires), ts(now)], |r| r.get(0)).optional())
    .map_err(map_err)
}

pub(crate) fn leases(conn: &Connection) -> Result<Vec<Lease>> {
    conn.prepare_cached("SELECT job, holder, epoch, expires_at FROM leases ORDER BY job")
        .and_then(|mut s| {
            s.query_map([], |r| Ok(Lease { job: r.get(0)?, holder: r.get(1)?, epoch: r.get(2)?, expires_at: text_ts(r, 3)? }))?
                .collect()
        })
        .map_err(map_err)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn claim_job_run(
    conn: &Connection,
    job: &str,
    slot: i64,
    slot_at: DateTime<Utc>,
    holder: &str,
    epoch: i64,
    now: DateTime<Utc>,
) -> Result<Claim> {
    // One statement: the lease check and the claim cannot be separated by another writer.
    let claimed: Option<i32> = conn
        .prepare_cached(
            "INSERT INTO job_runs (job, slot, slot_at, holder, epoch, attempts, started_at)
             SELECT ?1, ?2, ?3, ?4, ?5, 1, ?6
             WHERE EXISTS (SELECT 1 FROM leases WHERE job = ?1 AND holder = ?4 AND epoch = ?5 AND expires_at > ?6)
             ON CONFLICT (job, slot) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch,
                 attempts = job_runs.attempts + 1, started_at = excluded.started_at
             WHERE job_runs.finished_at IS NULL
               AND (job_runs.epoch < excluded.epoch OR (job_runs.holder = excluded.holder AND job_runs.epoch = excluded.epoch))
             RETURNING attempts",
        )
        .and_then(|mut s| s.query_row(params![job, slot, ts(slot_at), holder, epoch, ts(now)], |r| r.get(0)).optional())
        .map_err(map_err)?;
    if let Some(attempt) = claimed {
        return Ok(Claim::Claimed { attempt });
    }
    let finished: Option<bool> = conn
        .prepare_cached("SELECT finished_at IS NOT NULL FROM job_runs WHERE job = ?1 AND slot = ?2")
        .and_then(|mut s| s.query_row(params![job, slot], |r| r.get(0)).optional())
        .map_err(map_err)?;
    Ok(if finished == Some(true) { Claim::Done } else { Claim::NotHolder })
}

pub(crate) fn finish_job_run(
    conn: &Connection,
    job: &str,
    slot: i64,
    holder: &str,
    epoch: i64,
    now: DateTime<Utc>,
    outcome: &str,
) -> Result<bool> {
    let n = change(
        conn,
        "UPDATE job_runs SET finished_at = ?5, outcome = ?6
         WHERE job = ?1 AND slot = ?2 AND holder = ?3 AND epoch = ?4 AND finished_at IS NULL",
        params![job, slot, holder, epoch, ts(now), outcome],
    )?;
    Ok(n > 0)
}

pub(crate) fn job_runs(conn: &Connection, job: Option<&str>, limit: u32) -> Result<Vec<JobRun>> {
    let filter = if job.is_some() { "WHERE job = ?1" } else { "" };
    let sql = format!(
        "SELECT job, slot, slot_at, holder, epoch, attempts, started_at, finished_at, outcome FROM job_runs {filter}
         ORDER BY slot_at DESC, job LIMIT ?2"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![job, limit], |r| {
                Ok(JobRun {
                    job: r.get(0)?,
                    slot: r.get(1)?,
                    slot_at: text_ts(r, 2)?,
                    holder: r.get(3)?,
                    epoch: r.get(4)?,
                    attempts: r.get(5)?,
                    started_at: text_ts(r, 6)?,
                    finished_at: match r.get_ref(7)?.as_str_or_null()? {
                        Some(t) => Some(parse_ts(t)?),
                        None => None,
                    },
                    outcome: r.get(8)?,
                })
            })?
            .collect()
        })
        .map_err(map_err)
}

pub(crate) fn add_reminders(conn: &Connection, reminders: &[Reminder]) -> Result<u64> {
    let mut n = 0;
    for r in reminders {
        n += change(
            conn,
            "INSERT INTO reminders (case_id, kind, due_at, unit_id, created_at, job, slot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (case_id, kind, due_at) DO NOTHING",
            params![r.case_id.0, r.kind, ts(r.due_at), r.unit.map(|u| u.0), ts(r.created_at), r.job, r.slot],
        )?;
    }
    Ok(n)
}

pub(crate) fn reminders(conn: &Connection, case: Option<CaseId>, limit: u32) -> Result<Vec<Reminder>> {
    let filter = if case.is_some() { "WHERE case_id = ?1" } else { "" };
    let sql = format!(
        "SELECT case_id, kind, due_at, unit_id, created_at, job, slot FROM reminders {filter}
         ORDER BY created_at DESC, case_id, kind LIMIT ?2"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![case.map(|c| c.0), limit], |r| {
                Ok(Reminder {
                    case_id: CaseId(r.get(0)?),
                    kind: r.get(1)?,
                    due_at: text_ts(r, 2)?,
                    unit: r.get::<_, Option<i64>>(3)?.map(OrgId),
                    created_at: text_ts(r, 4)?,
                    job: r.get(5)?,
                    slot: r.get(6)?,
                })
            })?
            .collect()
        })
        .map_err(map_err)
}

// ----- personal-data access log -----

pub(crate) fn record_access(conn: &Connection, rec: &AccessRecord, fields: &str) -> Result<()> {
    change(
        conn,
        "INSERT INTO pii_access (at, user_id, username, case_id, fields, purpose) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![ts(rec.at), rec.user_id.0, rec.username, rec.case_id.0, fields, rec.purpose],
    )
    .map(drop)
}

pub(crate) fn access_log(conn: &Connection, case: Option<CaseId>, limit: u32) -> Result<Vec<AccessRecord>> {
    // Newest first, the order an auditor reads in; two statements so each can use an index.
    const COLUMNS: &str = "SELECT at, user_id, username, case_id, fields, purpose FROM pii_access";
    // Without a case the statement skips ?1; SQLite accepts a parameter it does not use.
    let filter = if case.is_some() { "WHERE case_id = ?1" } else { "" };
    let sql = format!("{COLUMNS} {filter} ORDER BY id DESC LIMIT ?2");
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![case.map(|c| c.0), limit], |r| {
                Ok(AccessRecord {
                    at: text_ts(r, 0)?,
                    user_id: UserId(r.get(1)?),
                    username: r.get(2)?,
                    case_id: CaseId(r.get(3)?),
                    fields: from_json(r.get_ref(4)?.as_str()?)?,
                    purpose: r.get(5)?,
                })
            })?
            .collect()
        })
        .map_err(map_err)
}
