//! Case facts and the rollup the dashboard reads (migration 0006). The writer upserts a case's
//! facts in the case's transaction; the triggers fold them into `case_rollup`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use redress_domain::{CaseId, Channel, Status};
use redress_store::{CaseFacts, FactGroup, FactQuery, Result};

use crate::codec::{map_err, opt_ts, ts};

pub(crate) fn upsert(conn: &Connection, case: CaseId, f: &CaseFacts) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_facts (case_id, month, category, status, unit_id, town_id, channel, demo, timed, on_time,
                                 rated, satisfied, handling_days, due_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (case_id) DO UPDATE SET month = excluded.month, category = excluded.category,
             status = excluded.status, unit_id = excluded.unit_id, town_id = excluded.town_id,
             channel = excluded.channel, demo = excluded.demo, timed = excluded.timed, on_time = excluded.on_time,
             rated = excluded.rated, satisfied = excluded.satisfied, handling_days = excluded.handling_days,
             due_at = excluded.due_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            case.0,
            f.month,
            f.category,
            f.status.key(),
            f.unit,
            f.town,
            f.channel.key(),
            f.demo,
            f.timed,
            f.on_time,
            f.rated,
            f.satisfied,
            f.handling_days,
            opt_ts(f.due_at)
        ])
    })
    .map(drop)
    .map_err(map_err)
}

/// The WHERE clause for `q` ([`FactQuery::where_sql`]; the category is `?1`).
pub(crate) fn filter(q: &FactQuery, months: bool) -> String {
    q.where_sql(months, "?1")
}

pub(crate) fn groups(conn: &Connection, q: &FactQuery) -> Result<Vec<FactGroup>> {
    let sql = format!(
        "SELECT month, category, status, unit_id, town_id, channel, SUM(cases), SUM(timed), SUM(on_time), SUM(rated),
                SUM(satisfied), SUM(handled), SUM(handling_days)
         FROM case_rollup WHERE {} GROUP BY month, category, status, unit_id, town_id, channel",
        filter(q, true)
    );
    let mut st = conn.prepare_cached(&sql).map_err(map_err)?;
    let map = |r: &rusqlite::Row| -> rusqlite::Result<FactGroup> {
        Ok(FactGroup {
            month: r.get(0)?,
            category: r.get(1)?,
            status: Status::parse(&r.get::<_, String>(2)?),
            unit: r.get(3)?,
            town: r.get(4)?,
            channel: Channel::parse(&r.get::<_, String>(5)?),
            cases: r.get(6)?,
            timed: r.get(7)?,
            on_time: r.get(8)?,
            rated: r.get(9)?,
            satisfied: r.get(10)?,
            handled: r.get(11)?,
            handling_days: r.get(12)?,
        })
    };
    let rows = match &q.category {
        Some(c) => st.query_map([c], map),
        None => st.query_map([], map),
    };
    rows.and_then(|r| r.collect()).map_err(map_err)
}

pub(crate) fn overdue(conn: &Connection, q: &FactQuery, now: DateTime<Utc>) -> Result<Vec<FactGroup>> {
    let sql = format!(
        "SELECT category, unit_id, town_id, channel, COUNT(*) FROM case_facts
         WHERE due_at IS NOT NULL AND due_at < '{}' AND {} GROUP BY category, unit_id, town_id, channel",
        ts(now),
        filter(q, false)
    );
    let mut st = conn.prepare(&sql).map_err(map_err)?;
    let map = |r: &rusqlite::Row| -> rusqlite::Result<FactGroup> {
        Ok(FactGroup {
            category: r.get(0)?,
            unit: r.get(1)?,
            town: r.get(2)?,
            channel: Channel::parse(&r.get::<_, String>(3)?),
            cases: r.get(4)?,
            ..FactGroup::default()
        })
    };
    let rows = match &q.category {
        Some(c) => st.query_map([c], map),
        None => st.query_map([], map),
    };
    rows.and_then(|r| r.collect()).map_err(map_err)
}

pub(crate) fn case_ids(conn: &Connection, q: &FactQuery, overdue_at: Option<DateTime<Utc>>, limit: u32, offset: u32) -> Result<(Vec<CaseId>, i64)> {
    let mut w = filter(q, overdue_at.is_none());
    if let Some(t) = overdue_at {
        w = format!("due_at IS NOT NULL AND due_at < '{}' AND {w}", ts(t));
    }
    let bind: Vec<&dyn rusqlite::ToSql> = match &q.category {
        Some(c) => vec![c],
        None => vec![],
    };
    let total: i64 = conn
        .prepare(&format!("SELECT COUNT(*) FROM case_facts WHERE {w}"))
        .and_then(|mut s| s.query_row(bind.as_slice(), |r| r.get(0)))
        .map_err(map_err)?;
    let ids = conn
        .prepare(&format!("SELECT case_id FROM case_facts WHERE {w} ORDER BY case_id DESC LIMIT {limit} OFFSET {offset}"))
        .and_then(|mut s| s.query_map(bind.as_slice(), |r| r.get(0).map(CaseId))?.collect())
        .map_err(map_err)?;
    Ok((ids, total))
}

pub(crate) fn after(conn: &Connection, after: CaseId, limit: u32) -> Result<Vec<(CaseId, CaseFacts)>> {
    let mut st = conn
        .prepare_cached(
            "SELECT case_id, month, category, status, unit_id, town_id, channel, demo, timed, on_time, rated, satisfied,
                    handling_days, due_at FROM case_facts WHERE case_id > ?1 ORDER BY case_id LIMIT ?2",
        )
        .map_err(map_err)?;
    let rows = st
        .query_map(params![after.0, limit], |r| {
            let status: String = r.get(3)?;
            let channel: String = r.get(6)?;
            let due: Option<String> = r.get(13)?;
            Ok((
                CaseId(r.get(0)?),
                r.get(1)?,
                r.get::<_, String>(2)?,
                status,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                channel,
                [r.get::<_, bool>(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?],
                r.get::<_, Option<i32>>(12)?,
                due,
            ))
        })
        .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(map_err)?;
    rows.into_iter()
        .map(|(id, month, category, status, unit, town, channel, b, handling_days, due)| {
            let bad = |what: &str| redress_store::StoreError::Corrupt(format!("case_facts {}: {what}", id.0));
            Ok((
                id,
                CaseFacts {
                    month,
                    category,
                    status: Status::parse(&status).ok_or_else(|| bad("status"))?,
                    unit,
                    town,
                    channel: Channel::parse(&channel).ok_or_else(|| bad("channel"))?,
                    demo: b[0],
                    timed: b[1],
                    on_time: b[2],
                    rated: b[3],
                    satisfied: b[4],
                    handling_days,
                    due_at: due.as_deref().map(|s| crate::codec::parse_ts(s).map_err(map_err)).transpose()?,
                },
            ))
        })
        .collect()
}

// ----- early warnings (migration 0007) -----

pub(crate) fn save_warning(conn: &Connection, w: &redress_store::StoredWarning) -> Result<i64> {
    if w.id == 0 {
        conn.prepare_cached(
            "INSERT INTO warnings (rule_id, key, recipient, status, raised_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| s.execute(params![w.rule_id, w.key, w.recipient.0, w.status, ts(w.raised_at), w.data]))
        .map_err(map_err)?;
        Ok(conn.last_insert_rowid())
    } else {
        let n = conn
            .prepare_cached(
                "UPDATE warnings SET rule_id = ?2, key = ?3, recipient = ?4, status = ?5, raised_at = ?6, data = ?7 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![w.id, w.rule_id, w.key, w.recipient.0, w.status, ts(w.raised_at), w.data]))
            .map_err(map_err)?;
        if n == 0 {
            return Err(redress_store::StoreError::NotFound);
        }
        Ok(w.id)
    }
}

pub(crate) fn list_warnings(conn: &Connection, q: &redress_store::WarningQuery, id: Option<i64>) -> Result<Vec<redress_store::StoredWarning>> {
    let mut w = vec!["1 = 1".to_string()];
    let mut bind: Vec<String> = vec![];
    if let Some(id) = id {
        w.push(format!("id = {id}"));
    }
    if let Some(r) = &q.recipients {
        let ids: Vec<String> = r.iter().map(|o| o.0.to_string()).collect();
        w.push(if ids.is_empty() { "0 = 1".into() } else { format!("recipient IN ({})", ids.join(",")) });
    }
    if !q.statuses.is_empty() {
        let marks: Vec<String> = q.statuses.iter().map(|s| {
            bind.push(s.clone());
            format!("?{}", bind.len())
        }).collect();
        w.push(format!("status IN ({})", marks.join(",")));
    }
    if let Some(r) = &q.rule_id {
        bind.push(r.clone());
        w.push(format!("rule_id = ?{}", bind.len()));
    }
    if let Some(k) = &q.key {
        bind.push(k.clone());
        w.push(format!("key = ?{}", bind.len()));
    }
    let sql = format!(
        "SELECT id, rule_id, key, recipient, status, raised_at, data FROM warnings WHERE {} ORDER BY id DESC LIMIT {}",
        w.join(" AND "),
        q.limit.max(1)
    );
    let mut st = conn.prepare(&sql).map_err(map_err)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(bind.iter()), |r| {
            Ok(redress_store::StoredWarning {
                id: r.get(0)?,
                rule_id: r.get(1)?,
                key: r.get(2)?,
                recipient: redress_domain::OrgId(r.get(3)?),
                status: r.get(4)?,
                raised_at: crate::codec::parse_ts(&r.get::<_, String>(5)?)?,
                data: r.get(6)?,
            })
        })
        .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(map_err)?;
    Ok(rows)
}

pub(crate) fn dims(conn: &Connection, q: &FactQuery) -> Result<Vec<redress_store::DimGroup>> {
    let sql = format!(
        "SELECT dim, value, month, status, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled),
                SUM(handling_days)
         FROM case_rollup_dim WHERE {} GROUP BY month, dim, value, status",
        q.dims_where()
    );
    let mut st = conn.prepare(&sql).map_err(map_err)?;
    let mut out = Vec::new();
    let mut rows = st.query([]).map_err(map_err)?;
    while let Some(r) = rows.next().map_err(map_err)? {
        let sums = [r.get(4), r.get(5), r.get(6), r.get(7), r.get(8), r.get(9), r.get(10)];
        let sums = sums.into_iter().collect::<rusqlite::Result<Vec<i64>>>().map_err(map_err)?;
        let status: String = r.get(3).map_err(map_err)?;
        redress_store::DimGroup::from_row(
            r.get(0).map_err(map_err)?,
            r.get(1).map_err(map_err)?,
            r.get(2).map_err(map_err)?,
            &status,
            sums.try_into().expect("seven sums"),
            &mut out,
        );
    }
    Ok(out)
}
