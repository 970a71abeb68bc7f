//! `list_cases`: the filters of a `CaseQuery` as SQL with bound parameters only.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use redress_domain::CaseId;
use redress_store::{CasePage, CaseQuery, CaseSort, Result, StoreError};

use crate::cases::get;
use crate::codec::{map_err, ts};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// A WHERE clause and its parameters, numbered in order of appearance.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    args: Vec<Value>,
}

impl Filter {
    fn push(&mut self, clause: &str, args: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.to_string());
        self.args.extend(args);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// `%`, `_` and the escape character itself match literally.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn filter(q: &CaseQuery) -> Filter {
    let mut f = Filter::default();
    if let Some(orgs) = &q.visible_to {
        // One JSON array parameter however many organisations a county has.
        let ids = serde_json::to_string(&orgs.iter().map(|o| o.0).collect::<Vec<_>>()).expect("ids serialise");
        f.push(
            "EXISTS (SELECT 1 FROM case_orgs co WHERE co.case_id = cases.id
                     AND co.org_id IN (SELECT value FROM json_each(?)))",
            [text(ids)],
        );
    }
    if !q.statuses.is_empty() {
        let clause = format!("status IN ({})", placeholders(q.statuses.len()));
        f.push(&clause, q.statuses.iter().map(|s| text(s.key())));
    }
    if let Some(unit) = q.unit {
        f.push("unit_id = ?", [Value::Integer(unit.0)]);
    }
    if let Some(channel) = q.channel {
        f.push("channel = ?", [text(channel.key())]);
    }
    if let Some(cat) = q.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let prefix = format!("{}.%", like_escape(cat));
        f.push("(category = ? OR category LIKE ? ESCAPE '\\')", [text(cat), text(prefix)]);
    }
    if let Some(from) = q.registered_from {
        f.push("registered_at >= ?", [text(ts(from))]);
    }
    if let Some(to) = q.registered_to {
        f.push("registered_at < ?", [text(ts(to))]);
    }
    if let Some(before) = q.due_before {
        f.push("due_at < ?", [text(ts(before))]);
    }
    if let Some(t) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", like_escape(t));
        f.push("(subject LIKE ? ESCAPE '\\' OR tracking_code LIKE ? ESCAPE '\\')", [text(&pattern), text(pattern)]);
    }
    if q.supervised {
        f.push(redress_store::SUPERVISED_SQL, []);
    }
    if let Some(demo) = q.demo {
        f.push("demo = ?", [Value::Integer(demo.into())]);
    }
    f
}

fn order_by(sort: CaseSort) -> &'static str {
    match sort {
        CaseSort::DueAsc => "ORDER BY due_at NULLS LAST, id",
        CaseSort::RegisteredDesc => "ORDER BY registered_at DESC, id DESC",
        CaseSort::RegisteredAsc => "ORDER BY registered_at, id",
        CaseSort::UpdatedDesc => "ORDER BY updated_at DESC, id DESC",
    }
}

pub(crate) fn list(conn: &Connection, q: &CaseQuery) -> Result<CasePage> {
    let f = filter(q);
    let limit = match q.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };
    // Ids first, so sorting never drags the JSON along; then each case by primary key.
    let page_sql = format!("SELECT id FROM cases {} {} LIMIT ? OFFSET ?", f.sql(), order_by(q.sort));
    let page_args = f.args.iter().cloned().chain([Value::Integer(limit.into()), Value::Integer(q.offset.into())]);
    let count_sql = format!("SELECT COUNT(*) FROM cases {}", f.sql());
    // One read transaction, so the page and its total describe the same moment.
    let tx = conn.unchecked_transaction().map_err(map_err)?;
    let ids: Vec<i64> = tx
        .prepare_cached(&page_sql)
        .and_then(|mut s| s.query_map(params_from_iter(page_args), |r| r.get(0))?.collect())
        .map_err(map_err)?;
    let items = ids
        .into_iter()
        .map(|id| get(&tx, CaseId(id))?.ok_or_else(|| StoreError::Other(format!("事项 {id} 读取失败"))))
        .collect::<Result<Vec<_>>>()?;
    let total = if q.skip_total {
        items.len() as i64
    } else {
        tx.prepare_cached(&count_sql).and_then(|mut s| s.query_row(params_from_iter(&f.args), |r| r.get(0))).map_err(map_err)?
    };
    tx.finish().map_err(map_err)?;
    Ok(CasePage { items, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(like_escape(r"5%_a\b"), r"5\%\_a\\b");
    }

    #[test]
    fn empty_query_has_no_where_clause() {
        assert_eq!(filter(&CaseQuery::default()).sql(), "");
    }
}
