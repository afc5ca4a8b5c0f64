//! Phone calls: checking a technician's PIN by number, the call record with its turns and turn latency,
//! reports saved by the IVR as drafts (recording, transcript and report in one transaction), and ticket
//! states by number for the caller who owns them.

use serde::Serialize;
use serde_json::Value as Json;
use sqlx::Row;

use super::report::{insert_recording, save_transcript_with};
use super::auth::verify_blocking;
use super::{NewRecording, ReportState, Result, Store, StoreError, StoredTranscript, Technician, now_ms};

/// A call when it starts.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// SIP Call-ID or Twilio CallSid.
    pub call_ref: String,
    /// "sip" or "twilio".
    pub channel: String,
    pub caller: String,
}

/// One dialog turn to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallTurn {
    pub at_ms: i64,
    /// "system" or "caller".
    pub speaker: String,
    pub kind: String,
    pub text: String,
    /// End of the caller's speech to the first audio of the reply, on the reply's turn.
    pub latency_ms: Option<i64>,
}

/// What is known when a call ends.
#[derive(Debug, Clone, Default)]
pub struct CallEnd {
    pub technician_id: Option<i64>,
    pub language: Option<String>,
    /// The whole call's audio, relative to the data directory.
    pub audio_path: Option<String>,
    pub message_path: Option<String>,
    pub turns: Vec<CallTurn>,
    pub latency_p50_ms: Option<i64>,
    pub latency_max_ms: Option<i64>,
}

/// A stored call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoneCall {
    pub phone_call_id: i64,
    pub call_ref: String,
    pub channel: String,
    pub caller: String,
    pub technician_id: Option<i64>,
    pub language: Option<String>,
    pub audio_path: Option<String>,
    pub message_path: Option<String>,
    pub turn_latency_p50_ms: Option<i64>,
    pub turn_latency_max_ms: Option<i64>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// Reports saved during the call.
    pub report_ids: Vec<i64>,
    pub turns: Vec<CallTurn>,
}

/// A report the IVR read back, ready to store as a draft.
#[derive(Debug, Clone)]
pub struct PhoneReport<'a> {
    pub phone_call_id: i64,
    pub recording: &'a NewRecording,
    pub form: &'a str,
    pub language: &'a str,
    pub fields: &'a Json,
    pub details: &'a Json,
    pub problems: &'a Json,
    pub transcript: &'a StoredTranscript,
    /// The asset tag and customer name, to link the report to CRM rows.
    pub asset_tag: Option<&'a str>,
    pub customer: Option<&'a str>,
}

impl Store {
    /// The technician with this number when `pin` is theirs and they are not disabled.
    pub async fn technician_by_pin(&self, technician_id: i64, pin: &str) -> Result<Option<Technician>> {
        let row = sqlx::query("select pin_hash from technician where technician_id = $1 and disabled_at is null")
            .bind(technician_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        if !verify_blocking(pin, row.try_get("pin_hash")?).await? {
            return Ok(None);
        }
        Ok(Some(self.technician(technician_id).await?))
    }

    /// Records an answered call; returns its id.
    pub async fn start_call(&self, call: &NewCall) -> Result<i64> {
        if !matches!(call.channel.as_str(), "sip" | "twilio") {
            return Err(StoreError::invalid("channel", format!("`{}` is neither sip nor twilio", call.channel)));
        }
        let now = now_ms();
        let id = sqlx::query_scalar(
            "insert into phone_call (call_ref, channel, caller, started_at, created_at) values ($1, $2, $3, $4, $4) \
             returning phone_call_id",
        )
        .bind(&call.call_ref)
        .bind(&call.channel)
        .bind(&call.caller)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Closes a call: who called, its audio, message, latency summary and every turn, in one transaction.
    pub async fn finish_call(&self, phone_call_id: i64, end: &CallEnd) -> Result<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "update phone_call set technician_id = $1, language = $2, audio_path = $3, message_path = $4, \
             turn_latency_p50_ms = $5, turn_latency_max_ms = $6, ended_at = $7 where phone_call_id = $8",
        )
        .bind(end.technician_id)
        .bind(&end.language)
        .bind(&end.audio_path)
        .bind(&end.message_path)
        .bind(end.latency_p50_ms)
        .bind(end.latency_max_ms)
        .bind(now)
        .bind(phone_call_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::not_found("phone call", phone_call_id));
        }
        for (seq, t) in end.turns.iter().enumerate() {
            sqlx::query(
                "insert into call_turn (phone_call_id, seq, at_ms, speaker, kind, text, latency_ms, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(phone_call_id)
            .bind(seq as i64)
            .bind(t.at_ms)
            .bind(&t.speaker)
            .bind(&t.kind)
            .bind(&t.text)
            .bind(t.latency_ms)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A call with its turns and the reports it saved.
    pub async fn phone_call(&self, phone_call_id: i64) -> Result<PhoneCall> {
        let r = sqlx::query(
            "select phone_call_id, call_ref, channel, caller, technician_id, language, audio_path, message_path, \
             turn_latency_p50_ms, turn_latency_max_ms, started_at, ended_at from phone_call where phone_call_id = $1",
        )
        .bind(phone_call_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("phone call", phone_call_id))?;
        let report_ids = sqlx::query_scalar("select report_id from report where phone_call_id = $1 order by report_id")
            .bind(phone_call_id)
            .fetch_all(&self.pool)
            .await?;
        let rows = sqlx::query(
            "select at_ms, speaker, kind, text, latency_ms from call_turn where phone_call_id = $1 order by seq",
        )
        .bind(phone_call_id)
        .fetch_all(&self.pool)
        .await?;
        let turns = rows
            .iter()
            .map(|t| {
                Ok(CallTurn {
                    at_ms: t.try_get("at_ms")?,
                    speaker: t.try_get("speaker")?,
                    kind: t.try_get("kind")?,
                    text: t.try_get("text")?,
                    latency_ms: t.try_get("latency_ms")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PhoneCall {
            phone_call_id: r.try_get("phone_call_id")?,
            call_ref: r.try_get("call_ref")?,
            channel: r.try_get("channel")?,
            caller: r.try_get("caller")?,
            technician_id: r.try_get("technician_id")?,
            language: r.try_get("language")?,
            audio_path: r.try_get("audio_path")?,
            message_path: r.try_get("message_path")?,
            turn_latency_p50_ms: r.try_get("turn_latency_p50_ms")?,
            turn_latency_max_ms: r.try_get("turn_latency_max_ms")?,
            started_at: r.try_get("started_at")?,
            ended_at: r.try_get("ended_at")?,
            report_ids,
            turns,
        })
    }

    /// The CRM rows an asset tag and a customer name resolve to: (customer_id, asset_id); the asset's
    /// owner stands in for a customer that was not named.
    pub async fn crm_ids(&self, asset_tag: Option<&str>, customer: Option<&str>) -> Result<(Option<i64>, Option<i64>)> {
        let mut asset_id = None;
        let mut customer_id = None;
        if let Some(tag) = asset_tag
            && let Some(a) = self.asset_by_tag(tag).await?
        {
            asset_id = Some(a.asset_id);
            customer_id = Some(a.customer_id);
        }
        if let Some(name) = customer {
            let id: Option<i64> = sqlx::query_scalar("select customer_id from customer where name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
            customer_id = id.or(customer_id);
        }
        Ok((customer_id, asset_id))
    }

    /// Stores a report the caller dictated as a `draft`: the recording (source "phone"), the report linked
    /// to its call and CRM rows, and the transcript, in one transaction. The audio file must be on disk.
    pub async fn save_phone_report(&self, r: &PhoneReport<'_>) -> Result<i64> {
        let (customer_id, asset_id) = self.crm_ids(r.asset_tag, r.customer).await?;
        let now = now_ms();
        let rec = r.recording;
        let mut tx = self.pool.begin().await?;
        let recording_id = insert_recording(&mut tx, rec, now).await?;
        let report_id: i64 = sqlx::query_scalar(
            "insert into report (recording_id, technician_id, form, language, state, fields, details, problems, \
             customer_id, asset_id, phone_call_id, created_at, updated_at) \
             values ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $11) returning report_id",
        )
        .bind(recording_id)
        .bind(rec.technician_id)
        .bind(r.form)
        .bind(r.language)
        .bind(r.fields.to_string())
        .bind(r.details.to_string())
        .bind(r.problems.to_string())
        .bind(customer_id)
        .bind(asset_id)
        .bind(r.phone_call_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        save_transcript_with(&mut *tx, recording_id, r.transcript, now).await?;
        tx.commit().await?;
        Ok(report_id)
    }

    /// The state of report `report_id` when it belongs to `technician_id` (callers hear only their own).
    pub async fn ticket_state(&self, report_id: i64, technician_id: i64) -> Result<Option<ReportState>> {
        let state: Option<String> =
            sqlx::query_scalar("select state from report where report_id = $1 and technician_id = $2")
                .bind(report_id)
                .bind(technician_id)
                .fetch_optional(&self.pool)
                .await?;
        state.map(|s| ReportState::parse(&s)).transpose()
    }
}
