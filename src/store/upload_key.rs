//! Idempotent uploads: an upload carrying an idempotency key is accepted once per technician and key; a retry
//! gets the report the first attempt made. Also device submissions, which arrive already transcribed and
//! filled in and become drafts directly (no processing job).

use serde::Serialize;
use serde_json::Value as Json;

use super::report::{NewRecording, StoredTranscript, insert_recording, save_transcript_with};
use crate::extract::form::{FieldType, Form};
use super::{Result, Store, StoreError, now_ms};

/// What a device already worked out on its own: the transcript and the fields the technician confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDraft {
    pub transcript: StoredTranscript,
    /// Field name -> plain JSON value.
    pub fields: Json,
    /// Field name -> provenance (span, confidence, source); `{}` when the device sent none.
    pub details: Json,
    /// Problem messages.
    pub problems: Json,
    /// The CRM rows the fields resolved to (see [`Store::crm_links`]).
    pub customer_id: Option<i64>,
    pub asset_id: Option<i64>,
}

/// What accepting a (possibly repeated) upload gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub report_id: i64,
    pub recording_id: i64,
    /// The processing job, when one was queued (not for device drafts nor for replays).
    pub job_id: Option<i64>,
    /// True when the key had been seen before and nothing new was stored.
    pub replayed: bool,
}

impl Store {
    /// The report an earlier upload with this key made for this technician, if any.
    pub async fn upload_by_key(&self, technician_id: i64, key: &str) -> Result<Option<Accepted>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "select k.report_id, r.recording_id from upload_key k join report r on r.report_id = k.report_id \
             where k.technician_id = $1 and k.idempotency_key = $2",
        )
        .bind(technician_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(report_id, recording_id)| Accepted { report_id, recording_id, job_id: None, replayed: true }))
    }

    /// Records an upload in one transaction, like [`Store::accept_upload`], with two additions: under an
    /// idempotency key (a second call with the same technician and key stores nothing and returns the first
    /// report, also when both race), and with a device's draft (the report is stored as a `draft` with its
    /// transcript and no job is queued).
    pub async fn accept_keyed_upload(
        &self,
        rec: &NewRecording,
        form: &str,
        language: Option<&str>,
        key: Option<&str>,
        draft: Option<&DeviceDraft>,
    ) -> Result<Accepted> {
        if let Some(k) = key
            && let Some(done) = self.upload_by_key(rec.technician_id, k).await?
        {
            return Ok(done);
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let recording_id = insert_recording(&mut tx, rec, now).await?;
        let (state, fields, details, problems) = match draft {
            Some(d) => ("draft", d.fields.to_string(), d.details.to_string(), d.problems.to_string()),
            None => ("processing", "{}".to_string(), "{}".to_string(), "[]".to_string()),
        };
        let report_id: i64 = sqlx::query_scalar(
            "insert into report (recording_id, technician_id, form, language, state, fields, details, problems, \
             customer_id, asset_id, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) returning report_id",
        )
        .bind(recording_id)
        .bind(rec.technician_id)
        .bind(form)
        .bind(language)
        .bind(state)
        .bind(fields)
        .bind(details)
        .bind(problems)
        .bind(draft.and_then(|d| d.customer_id))
        .bind(draft.and_then(|d| d.asset_id))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let job_id = match draft {
            Some(d) => {
                save_transcript_with(&mut *tx, recording_id, &d.transcript, now).await?;
                None
            }
            None => {
                let payload = serde_json::json!({ "report_id": report_id }).to_string();
                Some(super::jobs::enqueue_in(&mut tx, "process_report", &payload, now).await?)
            }
        };
        if let Some(k) = key {
            let inserted = sqlx::query(
                "insert into upload_key (technician_id, idempotency_key, report_id, created_at) values ($1, $2, $3, $4)",
            )
            .bind(rec.technician_id)
            .bind(k)
            .bind(report_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
            if let Err(e) = inserted {
                // A concurrent request with the same key committed first: drop this one, answer with that one.
                let conflict = StoreError::unique(e, String::new);
                if !matches!(conflict, StoreError::Conflict(_)) {
                    return Err(conflict);
                }
                tx.rollback().await?;
                return self
                    .upload_by_key(rec.technician_id, k)
                    .await?
                    .ok_or_else(|| StoreError::Conflict(format!("idempotency key `{k}` is in use")));
            }
        }
        tx.commit().await?;
        Ok(Accepted { report_id, recording_id, job_id, replayed: false })
    }

    /// Where a recording came from: "upload", "phone" or "device".
    pub async fn recording_source(&self, recording_id: i64) -> Result<String> {
        sqlx::query_scalar("select source from recording where recording_id = $1")
            .bind(recording_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("recording", recording_id))
    }

    /// The CRM rows a report's fields point at: the asset its asset-tag field names (and that asset's
    /// customer), else the customer its customer field names exactly. Returns (customer_id, asset_id).
    pub async fn crm_links(&self, form: &Form, fields: &Json) -> Result<(Option<i64>, Option<i64>)> {
        let mut asset_id = None;
        let mut customer_id = None;
        for field in &form.fields {
            let Some(value) = fields.get(&field.name).and_then(Json::as_str) else { continue };
            match field.kind {
                FieldType::AssetTag => {
                    if let Some(a) = self.asset_by_tag(value).await? {
                        asset_id = Some(a.asset_id);
                        customer_id = customer_id.or(Some(a.customer_id));
                    }
                }
                FieldType::Customer => {
                    if let Some(c) = self.customers().await?.into_iter().find(|c| c.name == value) {
                        customer_id = Some(c.customer_id);
                    }
                }
                _ => {}
            }
        }
        Ok((customer_id, asset_id))
    }
}
