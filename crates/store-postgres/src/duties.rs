//! Routine duties (migration 0011): 零报告 filings, reminders about missing ones, and
//! 矛盾纠纷排查 campaigns with their returns and history. A campaign change and its history note
//! are one statement (data-modifying CTEs), so they commit together.

use redress_domain::OrgId;
use redress_store::{DutyNote, DutyReminder, NilReport, NilReportQuery, Result, StoreError, StoredCampaign, StoredCampaignReturn};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::PgStore;

fn campaign(r: &Row) -> StoredCampaign {
    StoredCampaign { id: r.get(0), version: r.get(1), status: r.get(2), created_at: r.get(3), data: r.get(4) }
}

impl PgStore {
    pub(crate) async fn duty_add_nil_report(&self, r: &NilReport) -> Result<i64> {
        let row = self
            .query_opt(
                "INSERT INTO nil_reports (unit_id, frequency, period, status, details, filed_by, filed_at, late)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[&r.unit.0, &r.frequency, &r.period, &r.status, &r.details, &r.filed_by, &r.filed_at, &r.late],
            )
            .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    pub(crate) async fn duty_nil_reports(&self, q: &NilReportQuery) -> Result<Vec<NilReport>> {
        let mut w = vec!["TRUE".to_string()];
        let mut bind: Vec<&(dyn ToSql + Sync)> = vec![];
        if let Some(units) = &q.units {
            let ids: Vec<String> = units.iter().map(|o| o.0.to_string()).collect();
            w.push(if ids.is_empty() { "FALSE".into() } else { format!("unit_id IN ({})", ids.join(",")) });
        }
        if !q.period_from.is_empty() {
            bind.push(&q.period_from);
            w.push(format!("period >= ${}", bind.len()));
        }
        if !q.period_to.is_empty() {
            bind.push(&q.period_to);
            w.push(format!("period <= ${}", bind.len()));
        }
        let sql = format!(
            "SELECT id, unit_id, frequency, period, status, details, filed_by, filed_at, late FROM nil_reports
             WHERE {} ORDER BY period COLLATE \"C\", unit_id, id LIMIT {}",
            w.join(" AND "),
            q.limit.max(1)
        );
        Ok(self
            .query(&sql, &bind)
            .await?
            .iter()
            .map(|r| NilReport {
                id: r.get(0),
                unit: OrgId(r.get(1)),
                frequency: r.get(2),
                period: r.get(3),
                status: r.get(4),
                details: r.get(5),
                filed_by: r.get(6),
                filed_at: r.get(7),
                late: r.get(8),
            })
            .collect())
    }

    pub(crate) async fn duty_add_reminders(&self, reminders: &[DutyReminder]) -> Result<u64> {
        let mut n = 0;
        for r in reminders {
            n += self
                .execute(
                    "INSERT INTO duty_reminders (unit_id, kind, period, created_at, job, slot) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (unit_id, kind, period) DO NOTHING",
                    &[&r.unit.0, &r.kind, &r.period, &r.created_at, &r.job, &r.slot],
                )
                .await?;
        }
        Ok(n)
    }

    pub(crate) async fn duty_list_reminders(&self, unit: Option<OrgId>, limit: u32) -> Result<Vec<DutyReminder>> {
        let unit = unit.map(|u| u.0);
        let limit = limit as i64;
        Ok(self
            .query(
                "SELECT unit_id, kind, period, created_at, job, slot FROM duty_reminders
                 WHERE ($1::bigint IS NULL OR unit_id = $1) ORDER BY created_at DESC, period DESC, unit_id LIMIT $2",
                &[&unit, &limit],
            )
            .await?
            .iter()
            .map(|r| DutyReminder { unit: OrgId(r.get(0)), kind: r.get(1), period: r.get(2), created_at: r.get(3), job: r.get(4), slot: r.get(5) })
            .collect())
    }

    async fn campaign_version(&self, id: i64) -> Result<Option<i64>> {
        Ok(self.query_opt("SELECT version FROM campaigns WHERE id = $1", &[&id]).await?.map(|r| r.get(0)))
    }

    pub(crate) async fn duty_save_campaign(&self, c: &StoredCampaign, n: &DutyNote) -> Result<i64> {
        if c.id == 0 {
            let row = self
                .query_opt(
                    "WITH ins AS (INSERT INTO campaigns (version, status, created_at, data) VALUES (1, $1, $2, $3) RETURNING id),
                          h AS (INSERT INTO campaign_history (campaign_id, at, actor, what) SELECT id, $4, $5, $6 FROM ins)
                     SELECT id FROM ins",
                    &[&c.status, &c.created_at, &c.data, &n.at, &n.actor, &n.what],
                )
                .await?;
            return row.map(|r| r.get(0)).ok_or_else(|| StoreError::Other("活动未能保存".into()));
        }
        let row = self
            .query_opt(
                "WITH up AS (UPDATE campaigns SET version = version + 1, status = $3, data = $4 WHERE id = $1 AND version = $2 RETURNING id),
                      h AS (INSERT INTO campaign_history (campaign_id, at, actor, what) SELECT id, $5, $6, $7 FROM up)
                 SELECT id FROM up",
                &[&c.id, &c.version, &c.status, &c.data, &n.at, &n.actor, &n.what],
            )
            .await?;
        match row {
            Some(r) => Ok(r.get(0)),
            None => Err(match self.campaign_version(c.id).await? {
                None => StoreError::NotFound,
                Some(v) => StoreError::Conflict { current: v as u32 },
            }),
        }
    }

    pub(crate) async fn duty_get_campaign(&self, id: i64) -> Result<Option<StoredCampaign>> {
        Ok(self.query_opt("SELECT id, version, status, created_at, data FROM campaigns WHERE id = $1", &[&id]).await?.as_ref().map(campaign))
    }

    pub(crate) async fn duty_list_campaigns(&self, limit: u32) -> Result<Vec<StoredCampaign>> {
        let limit = limit as i64;
        Ok(self.query("SELECT id, version, status, created_at, data FROM campaigns ORDER BY id DESC LIMIT $1", &[&limit]).await?.iter().map(campaign).collect())
    }

    pub(crate) async fn duty_save_return(&self, r: &StoredCampaignReturn, n: &DutyNote) -> Result<i64> {
        if self.campaign_version(r.campaign_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let row = if r.version == 0 {
            self.query_opt(
                "WITH ins AS (INSERT INTO campaign_returns (campaign_id, unit_id, version, updated_at, data) VALUES ($1, $2, 1, $3, $4)
                              ON CONFLICT (campaign_id, unit_id) DO NOTHING RETURNING campaign_id, version),
                      h AS (INSERT INTO campaign_history (campaign_id, at, actor, what) SELECT campaign_id, $5, $6, $7 FROM ins)
                 SELECT version FROM ins",
                &[&r.campaign_id, &r.unit.0, &r.updated_at, &r.data, &n.at, &n.actor, &n.what],
            )
            .await?
        } else {
            self.query_opt(
                "WITH up AS (UPDATE campaign_returns SET version = version + 1, updated_at = $4, data = $5
                             WHERE campaign_id = $1 AND unit_id = $2 AND version = $3 RETURNING campaign_id, version),
                      h AS (INSERT INTO campaign_history (campaign_id, at, actor, what) SELECT campaign_id, $6, $7, $8 FROM up)
                 SELECT version FROM up",
                &[&r.campaign_id, &r.unit.0, &r.version, &r.updated_at, &r.data, &n.at, &n.actor, &n.what],
            )
            .await?
        };
        match row {
            Some(x) => Ok(x.get(0)),
            None => {
                let current = self
                    .query_opt("SELECT version FROM campaign_returns WHERE campaign_id = $1 AND unit_id = $2", &[&r.campaign_id, &r.unit.0])
                    .await?
                    .map(|x| x.get::<_, i64>(0));
                Err(match current {
                    None => StoreError::NotFound,
                    Some(v) => StoreError::Conflict { current: v as u32 },
                })
            }
        }
    }

    pub(crate) async fn duty_returns(&self, campaign: i64) -> Result<Vec<StoredCampaignReturn>> {
        Ok(self
            .query("SELECT campaign_id, unit_id, version, updated_at, data FROM campaign_returns WHERE campaign_id = $1 ORDER BY unit_id", &[&campaign])
            .await?
            .iter()
            .map(|r| StoredCampaignReturn { campaign_id: r.get(0), unit: OrgId(r.get(1)), version: r.get(2), updated_at: r.get(3), data: r.get(4) })
            .collect())
    }

    pub(crate) async fn duty_history(&self, campaign: i64) -> Result<Vec<DutyNote>> {
        Ok(self
            .query("SELECT at, actor, what FROM campaign_history WHERE campaign_id = $1 ORDER BY id", &[&campaign])
            .await?
            .iter()
            .map(|r| DutyNote { at: r.get(0), actor: r.get(1), what: r.get(2) })
            .collect())
    }
}
