//! `list_cases`: a filtered, sorted, paged query built from bound parameters only.

use chrono::{DateTime, Utc};
use deadpool_postgres::Object;
use redress_store::{CasePage, CaseQuery, CaseSort, Result};
use tokio_postgres::types::ToSql;

use crate::case_from_data;
use crate::error::pg;

pub(crate) const DEFAULT_LIMIT: u32 = 50;
pub(crate) const MAX_LIMIT: u32 = 500;

/// Escapes `%`, `_` and `\` for `LIKE ... ESCAPE '\'`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

enum Param {
    I64(i64),
    I64s(Vec<i64>),
    Text(String),
    Texts(Vec<String>),
    Time(DateTime<Utc>),
    Bool(bool),
}

impl Param {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::I64(v) => v,
            Param::I64s(v) => v,
            Param::Text(v) => v,
            Param::Texts(v) => v,
            Param::Time(v) => v,
            Param::Bool(v) => v,
        }
    }
}

#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Filter {
    /// Adds a parameter and returns its placeholder.
    fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    fn build(q: &CaseQuery) -> Filter {
        let mut f = Filter::default();
        if let Some(orgs) = &q.visible_to {
            let p = f.bind(Param::I64s(orgs.iter().map(|o| o.0).collect()));
            f.clauses.push(format!(
                "EXISTS (SELECT 1 FROM case_orgs co WHERE co.case_id = cases.id AND co.org_id = ANY({p}::int8[]))"
            ));
        }
        if !q.statuses.is_empty() {
            let p = f.bind(Param::Texts(q.statuses.iter().map(|s| s.key().to_string()).collect()));
            f.clauses.push(format!("status = ANY({p}::text[])"));
        }
        if let Some(unit) = q.unit {
            let p = f.bind(Param::I64(unit.0));
            f.clauses.push(format!("unit_id = {p}"));
        }
        if let Some(ch) = q.channel {
            let p = f.bind(Param::Text(ch.key().to_string()));
            f.clauses.push(format!("channel = {p}"));
        }
        if let Some(cat) = q.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            let exact = f.bind(Param::Text(cat.to_string()));
            let prefix = f.bind(Param::Text(format!("{}.%", escape_like(cat.trim_end_matches('.')))));
            f.clauses.push(format!("(category = {exact} OR category LIKE {prefix} ESCAPE '\\')"));
        }
        if let Some(from) = q.registered_from {
            let p = f.bind(Param::Time(from));
            f.clauses.push(format!("registered_at >= {p}"));
        }
        if let Some(to) = q.registered_to {
            let p = f.bind(Param::Time(to));
            f.clauses.push(format!("registered_at < {p}"));
        }
        if q.supervised {
            f.clauses.push(redress_store::SUPERVISED_SQL.to_string());
        }
        if let Some(before) = q.due_before {
            let p = f.bind(Param::Time(before));
            f.clauses.push(format!("due_at < {p}"));
        }
        // PostgreSQL text cannot hold NUL; the listing columns are stored without it.
        let text = q.text.as_deref().map(|t| t.replace('\0', ""));
        if let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let subject = f.bind(Param::Text(format!("%{}%", escape_like(text))));
            // Tracking codes are stored upper case without dashes; accept them as typed.
            let code: String =
                text.chars().filter(|c| !matches!(c, '-' | ' ' | '\u{3000}')).map(|c| c.to_ascii_uppercase()).collect();
            if code.is_empty() {
                f.clauses.push(format!("subject ILIKE {subject} ESCAPE '\\'"));
            } else {
                let code = f.bind(Param::Text(format!("%{}%", escape_like(&code))));
                f.clauses.push(format!(
                    "(subject ILIKE {subject} ESCAPE '\\' OR tracking_code LIKE {code} ESCAPE '\\')"
                ));
            }
        }
        if let Some(demo) = q.demo {
            let p = f.bind(Param::Bool(demo));
            f.clauses.push(format!("demo = {p}"));
        }
        f
    }

    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn order_sql(sort: CaseSort) -> &'static str {
    match sort {
        CaseSort::DueAsc => "due_at ASC NULLS LAST, id ASC",
        CaseSort::RegisteredDesc => "registered_at DESC, id DESC",
        CaseSort::RegisteredAsc => "registered_at ASC, id ASC",
        CaseSort::UpdatedDesc => "updated_at DESC, id DESC",
    }
}

pub(crate) async fn list_cases(client: &Object, q: &CaseQuery) -> Result<CasePage> {
    let mut f = Filter::build(q);
    let where_sql = f.where_sql();
    let count_sql = format!("SELECT count(*) FROM cases{where_sql}");
    let n_filter = f.params.len();
    let limit = match q.limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    } as i64;
    let lim = f.bind(Param::I64(limit));
    let off = f.bind(Param::I64(q.offset as i64));
    let page_sql = format!("SELECT data FROM cases{where_sql} ORDER BY {} LIMIT {lim} OFFSET {off}", order_sql(q.sort));

    let page_st = client.prepare_cached(&page_sql).await.map_err(pg)?;
    let params: Vec<&(dyn ToSql + Sync)> = f.params.iter().map(Param::as_sql).collect();
    if q.skip_total {
        let items = client.query(&page_st, &params).await.map_err(pg)?.iter().map(|r| case_from_data(r.get(0))).collect::<Result<Vec<_>>>()?;
        return Ok(CasePage { total: items.len() as i64, items });
    }
    let count_st = client.prepare_cached(&count_sql).await.map_err(pg)?;
    // Pipelined: both go out before either answer comes back.
    let (count, page) =
        tokio::join!(biased; client.query_one(&count_st, &params[..n_filter]), client.query(&page_st, &params));
    let total: i64 = count.map_err(pg)?.get(0);
    let items = page.map_err(pg)?.iter().map(|r| case_from_data(r.get(0))).collect::<Result<Vec<_>>>()?;
    Ok(CasePage { items, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
    }
}
