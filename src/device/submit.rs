//! Sending a queued report to the service: over the upload API (multipart with the recording, transcript and
//! fields, under the report's `Idempotency-Key`), or straight into a store the device can reach. Either way a
//! repeat of the same report finds the first one instead of making a second.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::queue::QueuedReport;
use crate::audio::{DecodeOptions, decode};
use crate::store::{DeviceDraft, NewRecording, Store, StoredTranscript, recording_location, write_durably};

/// What the service answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    pub report_id: i64,
    /// True when the service already had this report (an earlier attempt got through).
    pub replayed: bool,
}

/// Why a report was not delivered. Whatever the reason, the report stays in the queue.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("service {server} unreachable ({reason}); the report stays queued and is sent on the next run or `fieldvoice dictate --flush`")]
    Unreachable { server: String, reason: String },
    #[error("service {server} rejected the token (401): log in again for a technician token (`--token`); the report stays queued")]
    Unauthorized { server: String },
    #[error("service {server} refused the report ({status}): {message}; it stays queued")]
    Refused { server: String, status: u16, message: String },
    #[error("service {server} failed ({status}): {message}; the report stays queued")]
    Server { server: String, status: u16, message: String },
    #[error("database: {0}; the report stays queued")]
    Store(String),
    #[error("{0}; the report stays queued")]
    Local(String),
}

impl SubmitError {
    /// True when trying again later may work without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SubmitError::Unreachable { .. } | SubmitError::Server { .. } | SubmitError::Store(_))
    }
}

/// The upload timeout: a report is at most a few minutes of 16 kHz audio.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Posts `report` with its recording `wav` to `server` (e.g. `http://host:8080`) as the token's technician.
pub async fn submit_http(server: &str, token: &str, report: &QueuedReport, wav: Vec<u8>) -> Result<Submitted, SubmitError> {
    let server = server.trim_end_matches('/').to_string();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| SubmitError::Local(format!("HTTP client: {e}")))?;
    let audio = reqwest::multipart::Part::bytes(wav)
        .file_name(format!("{}.wav", report.idempotency_key))
        .mime_str("audio/wav")
        .map_err(|e| SubmitError::Local(e.to_string()))?;
    let form = reqwest::multipart::Form::new()
        .part("audio", audio)
        .text("form", report.form.clone())
        .text("language", report.language.clone())
        .text("transcript", report.transcript.to_string())
        .text("fields", report.fields.to_string())
        .text("details", report.details.to_string())
        .text("problems", report.problems.to_string());
    let response = client
        .post(format!("{server}/api/v1/reports"))
        .bearer_auth(token)
        .header("Idempotency-Key", &report.idempotency_key)
        .multipart(form)
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            // A server that refuses the token may answer 401 and close the connection before it has read the
            // whole upload; the client then sees a reset. Ask again without a body to tell the two apart.
            if !e.is_connect() && token_rejected(&client, &server, token).await {
                return Err(SubmitError::Unauthorized { server });
            }
            return Err(SubmitError::Unreachable { server: server.clone(), reason: without_url(&e) });
        }
    };
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let message = body.get("error").and_then(Value::as_str).unwrap_or("no error message").to_string();
    match status {
        200..=299 => {
            let report_id = body.get("report_id").and_then(Value::as_i64).ok_or_else(|| SubmitError::Server {
                server: server.clone(),
                status,
                message: "the reply has no report_id".into(),
            })?;
            Ok(Submitted { report_id, replayed: body.get("replayed").and_then(Value::as_bool).unwrap_or(false) })
        }
        401 => Err(SubmitError::Unauthorized { server }),
        400..=499 => Err(SubmitError::Refused { server, status, message }),
        _ => Err(SubmitError::Server { server, status, message }),
    }
}

/// Whether `server` answers 401 to the token on a request without a body.
async fn token_rejected(client: &reqwest::Client, server: &str, token: &str) -> bool {
    matches!(client.get(format!("{server}/api/v1/me")).bearer_auth(token).send().await, Ok(r) if r.status().as_u16() == 401)
}

/// reqwest's message without the URL it repeats (the caller names the server once).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    }
    .to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Writes `report` straight into `store` (recording file under `data_dir`) as the token's technician.
pub async fn submit_store(store: &Store, data_dir: &Path, token: &str, report: &QueuedReport, wav: Vec<u8>) -> Result<Submitted, SubmitError> {
    let principal = store
        .authenticate(token)
        .await
        .map_err(|e| SubmitError::Store(e.to_string()))?
        .ok_or_else(|| SubmitError::Unauthorized { server: "database".into() })?;
    let technician_id = principal
        .technician_id
        .ok_or_else(|| SubmitError::Local("the token is not a technician's: reports are dictated by technicians".into()))?;
    if let Some(done) = store.upload_by_key(technician_id, &report.idempotency_key).await.map_err(|e| SubmitError::Store(e.to_string()))? {
        return Ok(Submitted { report_id: done.report_id, replayed: true });
    }
    let (wav, audio) = tokio::task::spawn_blocking(move || {
        let audio = decode(&wav, &DecodeOptions::default());
        (wav, audio)
    })
    .await
    .map_err(|e| SubmitError::Local(e.to_string()))?;
    let audio = audio.map_err(|e| SubmitError::Local(format!("recording {}.wav: {e}", report.idempotency_key)))?;
    let (sha256, rel) = recording_location(&wav);
    let abs = data_dir.join(&rel);
    let bytes = wav.len() as i64;
    tokio::task::spawn_blocking(move || write_durably(&abs, &wav, false))
        .await
        .map_err(|e| SubmitError::Local(e.to_string()))?
        .map_err(|e| SubmitError::Local(format!("writing the recording under {}: {e}", data_dir.display())))?;
    let rec = NewRecording {
        path: rel.to_string_lossy().into_owned(),
        sha256,
        bytes,
        duration_ms: (audio.duration_s() * 1000.0).round() as i64,
        source: "device".into(),
        technician_id,
    };
    let mut draft = device_draft(report);
    // Forms from a custom directory are not known here; such drafts are stored without CRM links.
    if let Ok(form) = crate::extract::form::find_form(&report.form, None) {
        (draft.customer_id, draft.asset_id) = store.crm_links(&form, &draft.fields).await.map_err(|e| SubmitError::Store(e.to_string()))?;
    }
    let done = store
        .accept_keyed_upload(&rec, &report.form, Some(&report.language), Some(&report.idempotency_key), Some(&draft))
        .await
        .map_err(|e| SubmitError::Store(e.to_string()))?;
    Ok(Submitted { report_id: done.report_id, replayed: done.replayed })
}

fn device_draft(report: &QueuedReport) -> DeviceDraft {
    let t = &report.transcript;
    DeviceDraft {
        transcript: StoredTranscript {
            text: t.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
            segments: t.get("segments").cloned().unwrap_or(Value::Array(Vec::new())),
            language: report.language.clone(),
            model: t.get("model").and_then(Value::as_str).unwrap_or("device").to_string(),
            real_time_factor: t.get("real_time_factor").and_then(Value::as_f64).unwrap_or(0.0),
        },
        fields: report.fields.clone(),
        details: report.details.clone(),
        problems: report.problems.clone(),
        customer_id: None,
        asset_id: None,
    }
}
