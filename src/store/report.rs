//! Recordings, transcripts and reports, and the audit trail of every change a person makes to a report.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError, now_ms};

/// Where a report is in its life: `processing` (queued for transcription and extraction) -> `draft` ->
/// `verified` -> `posted` (delivered to every configured CRM), or `rejected` with a reason, or `failed`
/// when its job died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportState {
    Processing,
    Draft,
    Verified,
    Posted,
    Rejected,
    Failed,
}

impl ReportState {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Processing => "processing",
            ReportState::Draft => "draft",
            ReportState::Verified => "verified",
            ReportState::Posted => "posted",
            ReportState::Rejected => "rejected",
            ReportState::Failed => "failed",
        }
    }

    /// Parses a state name (from the database or a query string).
    pub fn parse(s: &str) -> Result<ReportState> {
        Ok(match s {
            "processing" => ReportState::Processing,
            "draft" => ReportState::Draft,
            "verified" => ReportState::Verified,
            "posted" => ReportState::Posted,
            "rejected" => ReportState::Rejected,
            "failed" => ReportState::Failed,
            other => return Err(StoreError::invalid("state", format!("`{other}` is not a report state"))),
        })
    }
}

/// A recording already written (and synced) to disk under the data directory.
#[derive(Debug, Clone)]
pub struct NewRecording {
    /// Relative to the data directory.
    pub path: String,
    pub sha256: String,
    pub bytes: i64,
    pub duration_ms: i64,
    /// "upload", "phone" or "device".
    pub source: String,
    pub technician_id: i64,
}

/// What accepting an upload created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Upload {
    pub report_id: i64,
    pub recording_id: i64,
    pub job_id: i64,
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub report_id: i64,
    pub recording_id: i64,
    pub technician_id: i64,
    pub form: String,
    pub language: Option<String>,
    pub state: ReportState,
    /// Field name -> plain JSON value (DESIGN.md's `fields`).
    pub fields: Json,
    /// Field name -> span, confidence, source: the provenance of each value.
    pub details: Json,
    /// Problem messages.
    pub problems: Json,
    pub customer_id: Option<i64>,
    pub asset_id: Option<i64>,
    pub reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The recording's path relative to the data directory.
    pub audio_path: String,
}

/// A transcript as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTranscript {
    pub text: String,
    /// Segments with words, timings and confidences, as JSON.
    pub segments: Json,
    pub language: String,
    pub model: String,
    pub real_time_factor: f64,
}

/// One person's change to a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    pub actor: String,
    /// "edit", "verify", "reject", ...
    pub action: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: i64,
}

/// List filters; every one optional. Times are unix milliseconds, `to` exclusive.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub state: Option<ReportState>,
    pub technician_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

pub(super) const REPORT_SELECT: &str = "select r.report_id, r.recording_id, r.technician_id, r.form, r.language, r.state, \
     r.fields, r.details, r.problems, r.customer_id, r.asset_id, r.reason, r.created_at, r.updated_at, \
     rec.path as audio_path from report r join recording rec on rec.recording_id = r.recording_id";

fn json(what: &'static str, text: &str) -> Result<Json> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(what, e))
}

pub(super) fn report_row(r: &AnyRow) -> Result<Report> {
    Ok(Report {
        report_id: r.try_get("report_id")?,
        recording_id: r.try_get("recording_id")?,
        technician_id: r.try_get("technician_id")?,
        form: r.try_get("form")?,
        language: r.try_get("language")?,
        state: ReportState::parse(&r.try_get::<String, _>("state")?)?,
        fields: json("report fields", &r.try_get::<String, _>("fields")?)?,
        details: json("report details", &r.try_get::<String, _>("details")?)?,
        problems: json("report problems", &r.try_get::<String, _>("problems")?)?,
        customer_id: r.try_get("customer_id")?,
        asset_id: r.try_get("asset_id")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        audio_path: r.try_get("audio_path")?,
    })
}

/// The text an audit event records for a JSON value: strings bare, everything else as JSON.
fn audit_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Inserts a recording row inside `tx` (uploads, device drafts and phone calls all start with one).
pub(super) async fn insert_recording(tx: &mut sqlx::Transaction<'_, sqlx::Any>, rec: &NewRecording, now: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "insert into recording (path, sha256, bytes, duration_ms, source, technician_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7) returning recording_id",
    )
    .bind(&rec.path)
    .bind(&rec.sha256)
    .bind(rec.bytes)
    .bind(rec.duration_ms)
    .bind(&rec.source)
    .bind(rec.technician_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// Stores (or replaces: jobs may run twice) recording `recording_id`'s transcript, on the pool or inside a
/// transaction (device drafts and phone reports arrive with theirs).
pub(super) async fn save_transcript_with<'e, E>(exec: E, recording_id: i64, t: &StoredTranscript, now: i64) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "insert into transcript (recording_id, text, segments, language, model, real_time_factor, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (recording_id) do update set text = excluded.text, \
         segments = excluded.segments, language = excluded.language, model = excluded.model, \
         real_time_factor = excluded.real_time_factor",
    )
    .bind(recording_id)
    .bind(&t.text)
    .bind(t.segments.to_string())
    .bind(&t.language)
    .bind(&t.model)
    .bind(t.real_time_factor)
    .bind(now)
    .execute(exec)
    .await?;
    Ok(())
}

impl Store {
    /// Records an accepted upload in one transaction: the recording, a `processing` report and the job that
    /// will process it. The audio file must already be on disk and synced.
    pub async fn accept_upload(&self, rec: &NewRecording, form: &str, language: Option<&str>) -> Result<Upload> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let recording_id = insert_recording(&mut tx, rec, now).await?;
        let report_id: i64 = sqlx::query_scalar(
            "insert into report (recording_id, technician_id, form, language, state, created_at, updated_at) \
             values ($1, $2, $3, $4, 'processing', $5, $5) returning report_id",
        )
        .bind(recording_id)
        .bind(rec.technician_id)
        .bind(form)
        .bind(language)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let payload = serde_json::json!({ "report_id": report_id }).to_string();
        let job_id = super::jobs::enqueue_in(&mut tx, "process_report", &payload, now).await?;
        tx.commit().await?;
        Ok(Upload { report_id, recording_id, job_id })
    }

    /// One report.
    pub async fn report(&self, report_id: i64) -> Result<Report> {
        let row = sqlx::query(&format!("{REPORT_SELECT} where r.report_id = $1"))
            .bind(report_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("report", report_id))?;
        report_row(&row)
    }

    /// Reports matching `filter`, newest first, and the total number matching.
    pub async fn reports(&self, filter: &ReportFilter) -> Result<(Vec<Report>, i64)> {
        const WHERE: &str = " where ($1 is null or r.state = $1) and ($2 is null or r.technician_id = $2) \
             and ($3 is null or r.customer_id = $3) and ($4 is null or r.created_at >= $4) \
             and ($5 is null or r.created_at < $5)";
        let state = filter.state.map(ReportState::as_str);
        let rows = sqlx::query(&format!("{REPORT_SELECT}{WHERE} order by r.created_at desc, r.report_id desc limit $6 offset $7"))
            .bind(state)
            .bind(filter.technician_id)
            .bind(filter.customer_id)
            .bind(filter.from)
            .bind(filter.to)
            .bind(filter.limit.clamp(1, 500))
            .bind(filter.offset.max(0))
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sqlx::query_scalar(&format!("select count(*) from report r{WHERE}"))
            .bind(state)
            .bind(filter.technician_id)
            .bind(filter.customer_id)
            .bind(filter.from)
            .bind(filter.to)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows.iter().map(report_row).collect::<Result<_>>()?, total))
    }

    /// The transcript of a report's recording, once there is one.
    pub async fn transcript(&self, recording_id: i64) -> Result<Option<StoredTranscript>> {
        let row = sqlx::query(
            "select text, segments, language, model, real_time_factor from transcript where recording_id = $1",
        )
        .bind(recording_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(StoredTranscript {
            text: r.try_get("text")?,
            segments: json("transcript segments", &r.try_get::<String, _>("segments")?)?,
            language: r.try_get("language")?,
            model: r.try_get("model")?,
            real_time_factor: r.try_get("real_time_factor")?,
        }))
    }

    /// Stores (or replaces: jobs may run twice) a recording's transcript.
    pub async fn save_transcript(&self, recording_id: i64, t: &StoredTranscript) -> Result<()> {
        save_transcript_with(&self.pool, recording_id, t, now_ms()).await
    }

    /// Fills in a `processing` (or `failed`, when its dead job was retried) report from extraction and
    /// makes it a draft. Returns false (and changes nothing) for any other state, so a re-run job cannot
    /// overwrite a person's edits.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_report(
        &self,
        report_id: i64,
        language: &str,
        fields: &Json,
        details: &Json,
        problems: &Json,
        customer_id: Option<i64>,
        asset_id: Option<i64>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "update report set state = 'draft', language = $1, fields = $2, details = $3, problems = $4, \
             customer_id = $5, asset_id = $6, reason = null, updated_at = $7 \
             where report_id = $8 and state in ('processing', 'failed')",
        )
        .bind(language)
        .bind(fields.to_string())
        .bind(details.to_string())
        .bind(problems.to_string())
        .bind(customer_id)
        .bind(asset_id)
        .bind(now_ms())
        .bind(report_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a draft's fields and problems after a person's edit, writing one audit event per changed
    /// field. Only `draft` reports can be edited.
    pub async fn edit_report(
        &self,
        report_id: i64,
        actor: &str,
        fields: &Json,
        problems: &Json,
        customer_id: Option<i64>,
        asset_id: Option<i64>,
    ) -> Result<Report> {
        let before = self.report(report_id).await?;
        if before.state != ReportState::Draft {
            return Err(StoreError::Conflict(format!(
                "report {report_id} is {}; only drafts can be edited",
                before.state.as_str()
            )));
        }
        let empty = serde_json::Map::new();
        let old = before.fields.as_object().unwrap_or(&empty);
        let new = fields.as_object().ok_or_else(|| StoreError::invalid("fields", "must be an object"))?;
        let mut changes: BTreeMap<&str, (Option<String>, Option<String>)> = BTreeMap::new();
        for (k, v) in new {
            if old.get(k) != Some(v) {
                changes.insert(k, (old.get(k).map(audit_text), Some(audit_text(v))));
            }
        }
        for (k, v) in old {
            if !new.contains_key(k) {
                changes.insert(k, (Some(audit_text(v)), None));
            }
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "update report set fields = $1, problems = $2, customer_id = $3, asset_id = $4, updated_at = $5 \
             where report_id = $6 and state = 'draft'",
        )
        .bind(fields.to_string())
        .bind(problems.to_string())
        .bind(customer_id)
        .bind(asset_id)
        .bind(now)
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("report {report_id} changed state during the edit")));
        }
        for (field, (old, new)) in changes {
            audit_in(&mut tx, report_id, actor, "edit", Some(field), old.as_deref(), new.as_deref(), now).await?;
        }
        tx.commit().await?;
        self.report(report_id).await
    }

    /// Rejects a draft (or a failed report) with a reason.
    pub async fn reject_report(&self, report_id: i64, actor: &str, reason: &str) -> Result<Report> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::invalid("reason", "a rejection needs a reason"));
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "update report set state = 'rejected', reason = $1, updated_at = $2 \
             where report_id = $3 and state in ('draft', 'failed')",
        )
        .bind(reason)
        .bind(now)
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            let r = self.report(report_id).await?;
            return Err(StoreError::Conflict(format!("report {report_id} is {}; it cannot be rejected", r.state.as_str())));
        }
        audit_in(&mut tx, report_id, actor, "reject", None, None, Some(reason), now).await?;
        tx.commit().await?;
        self.report(report_id).await
    }

    /// Marks a report whose job died as `failed` (no-op if it already left `processing`).
    pub async fn fail_report(&self, report_id: i64, reason: &str) -> Result<()> {
        sqlx::query("update report set state = 'failed', reason = $1, updated_at = $2 where report_id = $3 and state = 'processing'")
            .bind(reason)
            .bind(now_ms())
            .bind(report_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A report's audit trail, oldest first.
    pub async fn audit_events(&self, report_id: i64) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "select actor, action, field, old_value, new_value, created_at from audit_event \
             where report_id = $1 order by audit_event_id",
        )
        .bind(report_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEvent {
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    field: r.try_get("field")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}

/// Writes one audit event inside a transaction.
#[allow(clippy::too_many_arguments)]
pub(super) async fn audit_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    report_id: i64,
    actor: &str,
    action: &str,
    field: Option<&str>,
    old_value: Option<&str>,
    new_value: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "insert into audit_event (report_id, actor, action, field, old_value, new_value, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(report_id)
    .bind(actor)
    .bind(action)
    .bind(field)
    .bind(old_value)
    .bind(new_value)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
