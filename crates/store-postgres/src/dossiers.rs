//! Mediation and risk-assessment records (migration 0009). A change and its history note are
//! one statement (data-modifying CTEs), so they commit together.

use redress_domain::OrgId;
use redress_store::{DossierQuery, DutyNote, Result, StoreError, StoredDossier};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::PgStore;

const COLUMNS: &str = "id, kind, version, status, org_id, case_id, parent_id, created_at, updated_at, data";

fn dossier(r: &Row) -> StoredDossier {
    StoredDossier {
        id: r.get(0),
        kind: r.get(1),
        version: r.get(2),
        status: r.get(3),
        org: r.get::<_, Option<i64>>(4).map(OrgId),
        case_id: r.get(5),
        parent: r.get(6),
        created_at: r.get(7),
        updated_at: r.get(8),
        data: r.get(9),
    }
}

impl PgStore {
    pub(crate) async fn dossier_save(&self, d: &StoredDossier, n: &DutyNote) -> Result<i64> {
        let org = d.org.map(|o| o.0);
        let row = if d.id == 0 {
            self.query_opt(
                "WITH ins AS (INSERT INTO dossiers (kind, version, status, org_id, case_id, parent_id, created_at, updated_at, data)
                              VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8) RETURNING id),
                      h AS (INSERT INTO dossier_history (dossier_id, at, actor, what) SELECT id, $9, $10, $11 FROM ins)
                 SELECT id FROM ins",
                &[&d.kind, &d.status, &org, &d.case_id, &d.parent, &d.created_at, &d.updated_at, &d.data, &n.at, &n.actor, &n.what],
            )
            .await?
        } else {
            self.query_opt(
                "WITH up AS (UPDATE dossiers SET version = version + 1, status = $4, updated_at = $5, data = $6
                             WHERE id = $1 AND kind = $2 AND version = $3 RETURNING id),
                      h AS (INSERT INTO dossier_history (dossier_id, at, actor, what) SELECT id, $7, $8, $9 FROM up)
                 SELECT id FROM up",
                &[&d.id, &d.kind, &d.version, &d.status, &d.updated_at, &d.data, &n.at, &n.actor, &n.what],
            )
            .await?
        };
        if let Some(r) = row {
            return Ok(r.get(0));
        }
        if d.id == 0 {
            return Err(StoreError::Other("记录未能保存".into()));
        }
        let current = self.query_opt("SELECT version FROM dossiers WHERE id = $1 AND kind = $2", &[&d.id, &d.kind]).await?.map(|r| r.get::<_, i64>(0));
        Err(match current {
            None => StoreError::NotFound,
            Some(v) => StoreError::Conflict { current: v as u32 },
        })
    }

    pub(crate) async fn dossier_get(&self, id: i64) -> Result<Option<StoredDossier>> {
        Ok(self.query_opt(&format!("SELECT {COLUMNS} FROM dossiers WHERE id = $1"), &[&id]).await?.as_ref().map(dossier))
    }

    pub(crate) async fn dossier_list(&self, q: &DossierQuery) -> Result<Vec<StoredDossier>> {
        let mut w = vec!["kind = $1".to_string()];
        let mut bind: Vec<&(dyn ToSql + Sync)> = vec![&q.kind];
        if let Some(orgs) = &q.orgs {
            let ids: Vec<String> = orgs.iter().map(|o| o.0.to_string()).collect();
            w.push(if ids.is_empty() { "FALSE".into() } else { format!("org_id IN ({})", ids.join(",")) });
        }
        if let Some(c) = &q.case_id {
            bind.push(c);
            w.push(format!("case_id = ${}", bind.len()));
        }
        if let Some(p) = &q.parent {
            bind.push(p);
            w.push(format!("parent_id = ${}", bind.len()));
        }
        if let Some(s) = &q.status {
            bind.push(s);
            w.push(format!("status = ${}", bind.len()));
        }
        let sql = format!("SELECT {COLUMNS} FROM dossiers WHERE {} ORDER BY id DESC LIMIT {}", w.join(" AND "), q.limit.max(1));
        Ok(self.query(&sql, &bind).await?.iter().map(dossier).collect())
    }

    pub(crate) async fn dossier_notes(&self, id: i64) -> Result<Vec<DutyNote>> {
        Ok(self
            .query("SELECT at, actor, what FROM dossier_history WHERE dossier_id = $1 ORDER BY id", &[&id])
            .await?
            .iter()
            .map(|r| DutyNote { at: r.get(0), actor: r.get(1), what: r.get(2) })
            .collect())
    }
}
