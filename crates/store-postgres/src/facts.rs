//! Case facts and the rollup the dashboard reads (migration 0006); same SQL shape as SQLite's.

use redress_domain::{Channel, Status};
use redress_store::{FactGroup, FactQuery};
use tokio_postgres::Row;

/// The WHERE clause for `q` ([`FactQuery::where_sql`]; the category is `$1`).
pub(crate) fn filter(q: &FactQuery, months: bool) -> String {
    q.where_sql(months, "$1")
}

pub(crate) fn groups_sql(q: &FactQuery) -> String {
    format!(
        "SELECT month, category, status, unit_id, town_id, channel, SUM(cases)::int8, SUM(timed)::int8, SUM(on_time)::int8,
                SUM(rated)::int8, SUM(satisfied)::int8, SUM(handled)::int8, SUM(handling_days)::int8
         FROM case_rollup WHERE {} GROUP BY month, category, status, unit_id, town_id, channel",
        filter(q, true)
    )
}

pub(crate) fn group(r: &Row) -> FactGroup {
    FactGroup {
        month: r.get(0),
        category: r.get(1),
        status: Status::parse(r.get(2)),
        unit: r.get(3),
        town: r.get(4),
        channel: Channel::parse(r.get(5)),
        cases: r.get(6),
        timed: r.get(7),
        on_time: r.get(8),
        rated: r.get(9),
        satisfied: r.get(10),
        handled: r.get(11),
        handling_days: r.get(12),
    }
}

/// `$2` (or `$1` without a category) is the instant.
pub(crate) fn overdue_sql(q: &FactQuery) -> String {
    let now = if q.category.is_some() { "$2" } else { "$1" };
    format!(
        "SELECT category, unit_id, town_id, channel, COUNT(*) FROM case_facts
         WHERE due_at IS NOT NULL AND due_at < {now} AND {} GROUP BY category, unit_id, town_id, channel",
        filter(q, false)
    )
}

pub(crate) fn overdue_group(r: &Row) -> FactGroup {
    FactGroup {
        category: r.get(0),
        unit: r.get(1),
        town: r.get(2),
        channel: Channel::parse(r.get(3)),
        cases: r.get(4),
        ..FactGroup::default()
    }
}

/// The WHERE clause of `fact_case_ids`; the instant, when given, is bound after the category.
pub(crate) fn case_ids_where(q: &FactQuery, overdue: bool) -> String {
    let w = filter(q, !overdue);
    if overdue {
        let now = if q.category.is_some() { "$2" } else { "$1" };
        format!("due_at IS NOT NULL AND due_at < {now} AND {w}")
    } else {
        w
    }
}

pub(crate) const COLUMNS: &str =
    "case_id, month, category, status, unit_id, town_id, channel, demo, timed, on_time, rated, satisfied, handling_days, due_at";

pub(crate) fn from_row(r: &Row) -> redress_store::Result<(redress_domain::CaseId, redress_store::CaseFacts)> {
    let id: i64 = r.get(0);
    let bad = |what: &str| redress_store::StoreError::Corrupt(format!("case_facts {id}: {what}"));
    let flag = |i: usize| r.get::<_, i32>(i) != 0;
    Ok((
        redress_domain::CaseId(id),
        redress_store::CaseFacts {
            month: r.get(1),
            category: r.get(2),
            status: Status::parse(r.get(3)).ok_or_else(|| bad("status"))?,
            unit: r.get(4),
            town: r.get(5),
            channel: Channel::parse(r.get(6)).ok_or_else(|| bad("channel"))?,
            demo: flag(7),
            timed: flag(8),
            on_time: flag(9),
            rated: flag(10),
            satisfied: flag(11),
            handling_days: r.get(12),
            due_at: r.get(13),
        },
    ))
}
