//! Verified reports into the CRM: the ticket record (with its human-friendly number) and the outbox of
//! webhook deliveries written in the same transaction as the verification, so none is ever lost.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::report::audit_in;
use super::{Backend, Report, Result, Store, StoreError, now_ms};

/// A service ticket created from a verified report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub ticket_id: i64,
    /// "FV-000042".
    pub number: String,
    pub report_id: i64,
    pub customer_id: Option<i64>,
    pub asset_id: Option<i64>,
    pub created_at: i64,
}

/// A delivery to write with a verification.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// "report.verified", "report.confirmed".
    pub event: String,
    pub target_url: String,
    /// The JSON body, exactly as it will be signed and sent.
    pub payload: String,
}

/// An outbox row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub outbox_id: i64,
    pub event: String,
    pub report_id: i64,
    pub target_url: String,
    pub payload: String,
    /// Stable across retries: receivers drop repeats by it.
    pub idempotency_key: String,
    /// "pending", "sent" or "dead".
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

/// The ticket number of a report: stable, so a payload can name it before the ticket row exists.
pub fn ticket_number(report_id: i64) -> String {
    format!("FV-{report_id:06}")
}

const OUTBOX_COLUMNS: &str =
    "outbox_id, event, report_id, target_url, payload, idempotency_key, state, attempts, next_attempt_at, last_error";

fn outbox_row(r: &AnyRow) -> Result<OutboxEntry> {
    Ok(OutboxEntry {
        outbox_id: r.try_get("outbox_id")?,
        event: r.try_get("event")?,
        report_id: r.try_get("report_id")?,
        target_url: r.try_get("target_url")?,
        payload: r.try_get("payload")?,
        idempotency_key: r.try_get("idempotency_key")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
    })
}

impl Store {
    /// Verifies a draft in one transaction: state, audit event, ticket and one outbox row per delivery.
    /// With no deliveries the ticket is the CRM record and the report is `posted` at once; otherwise it is
    /// `verified` until every delivery has been sent.
    pub async fn verify_report(&self, report_id: i64, actor: &str, deliveries: &[NewDelivery]) -> Result<(Report, Ticket)> {
        let now = now_ms();
        let next = if deliveries.is_empty() { "posted" } else { "verified" };
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "update report set state = $1, updated_at = $2 where report_id = $3 and state = 'draft' \
             returning customer_id, asset_id",
        )
        .bind(next)
        .bind(now)
        .bind(report_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            let r = self.report(report_id).await?;
            return Err(StoreError::Conflict(format!(
                "report {report_id} is {}; only drafts can be verified",
                r.state.as_str()
            )));
        };
        let customer_id: Option<i64> = row.try_get("customer_id")?;
        let asset_id: Option<i64> = row.try_get("asset_id")?;
        let number = ticket_number(report_id);
        let ticket_id: i64 = sqlx::query_scalar(
            "insert into ticket (number, report_id, customer_id, asset_id, created_at) values ($1, $2, $3, $4, $5) \
             returning ticket_id",
        )
        .bind(&number)
        .bind(report_id)
        .bind(customer_id)
        .bind(asset_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        audit_in(&mut tx, report_id, actor, "verify", None, None, Some(&number), now).await?;
        for (i, d) in deliveries.iter().enumerate() {
            sqlx::query(
                "insert into outbox (event, report_id, target_url, payload, idempotency_key, state, attempts, \
                 next_attempt_at, created_at) values ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
            )
            .bind(&d.event)
            .bind(report_id)
            .bind(&d.target_url)
            .bind(&d.payload)
            .bind(format!("{number}-{}-{i}", d.event))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let ticket = Ticket { ticket_id, number, report_id, customer_id, asset_id, created_at: now };
        Ok((self.report(report_id).await?, ticket))
    }

    /// The ticket made from a report, if it was verified.
    pub async fn ticket_for(&self, report_id: i64) -> Result<Option<Ticket>> {
        let row = sqlx::query(
            "select ticket_id, number, report_id, customer_id, asset_id, created_at from ticket where report_id = $1",
        )
        .bind(report_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Ticket {
            ticket_id: r.try_get("ticket_id")?,
            number: r.try_get("number")?,
            report_id: r.try_get("report_id")?,
            customer_id: r.try_get("customer_id")?,
            asset_id: r.try_get("asset_id")?,
            created_at: r.try_get("created_at")?,
        }))
    }

    /// Claims the next due delivery, leasing it for `lease_ms` by pushing its next attempt time forward.
    pub async fn claim_delivery(&self, lease_ms: i64) -> Result<Option<OutboxEntry>> {
        let lock = match self.backend {
            Backend::Postgres => " for update skip locked",
            Backend::Sqlite => "",
        };
        let now = now_ms();
        let sql = format!(
            "update outbox set attempts = attempts + 1, next_attempt_at = $1 where outbox_id = (select outbox_id \
             from outbox where state = 'pending' and next_attempt_at <= $2 order by next_attempt_at, outbox_id \
             limit 1{lock}) returning {OUTBOX_COLUMNS}"
        );
        let row = sqlx::query(&sql).bind(now + lease_ms).bind(now).fetch_optional(&self.pool).await?;
        row.as_ref().map(outbox_row).transpose()
    }

    /// Records a successful delivery; when it was the report's last pending one, the report is `posted`.
    pub async fn delivery_sent(&self, outbox_id: i64) -> Result<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let report_id: Option<i64> = sqlx::query_scalar(
            "update outbox set state = 'sent', sent_at = $1, last_error = null where outbox_id = $2 \
             and state = 'pending' returning report_id",
        )
        .bind(now)
        .bind(outbox_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(report_id) = report_id {
            sqlx::query(
                "update report set state = 'posted', updated_at = $1 where report_id = $2 and state = 'verified' \
                 and not exists (select 1 from outbox where report_id = $2 and state <> 'sent')",
            )
            .bind(now)
            .bind(report_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed delivery: retried after `backoff_ms`, or dead after `max_attempts`.
    pub async fn delivery_failed(&self, outbox_id: i64, error: &str, backoff_ms: i64, max_attempts: i64) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "update outbox set state = case when attempts >= $1 then 'dead' else 'pending' end, \
             next_attempt_at = $2, last_error = $3 where outbox_id = $4 and state = 'pending'",
        )
        .bind(max_attempts)
        .bind(now + backoff_ms.max(0))
        .bind(error)
        .bind(outbox_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Outbox rows of one report, or all dead ones when `report_id` is `None`.
    pub async fn deliveries(&self, report_id: Option<i64>) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(&format!(
            "select {OUTBOX_COLUMNS} from outbox where ($1 is null and state = 'dead') or report_id = $1 \
             order by outbox_id"
        ))
        .bind(report_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_row).collect()
    }
}
