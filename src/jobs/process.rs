//! The `process_report` job: decode the stored recording, transcribe it with the CRM vocabulary as the
//! prompt, extract the form's fields checked against the CRM, and turn the report into a draft.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{JobError, PROCESS_REPORT, Pipeline};
use crate::audio::{DecodeOptions, decode};
use crate::extract::directory::Directory;
use crate::extract::{ExtractOptions, WordConfidence, extract};
use crate::store::{Job, ReportState, StoredTranscript};
use crate::transcribe::{Language, TranscribeOptions};

/// Characters of CRM vocabulary given to Whisper as its initial prompt.
const PROMPT_CHARS: usize = 200;

fn report_id(job: &Job) -> Result<i64, JobError> {
    let payload: Value = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Payload { job_id: job.job_id, reason: e.to_string() })?;
    payload["report_id"]
        .as_i64()
        .ok_or_else(|| JobError::Payload { job_id: job.job_id, reason: "no integer `report_id`".into() })
}

/// Runs one job by kind.
pub(super) async fn run(p: &Pipeline, job: &Job) -> Result<(), JobError> {
    match job.kind.as_str() {
        PROCESS_REPORT => process_report(p, report_id(job)?).await,
        other => Err(JobError::UnknownKind(other.to_string())),
    }
}

/// After the last attempt: the report shows `failed` with the error, for a reviewer to reject or retry.
pub(super) async fn give_up(p: &Pipeline, job: &Job, error: &str) -> Result<(), JobError> {
    if job.kind == PROCESS_REPORT {
        p.store.fail_report(report_id(job)?, error).await?;
    }
    Ok(())
}

async fn process_report(p: &Pipeline, report_id: i64) -> Result<(), JobError> {
    let report = p.store.report(report_id).await?;
    if !matches!(report.state, ReportState::Processing | ReportState::Failed) {
        return Ok(()); // already done by an earlier run of this job
    }
    let form = p.forms.iter().find(|f| f.name == report.form).ok_or_else(|| JobError::Form(report.form.clone()))?;
    let path = p.data_dir.join(&report.audio_path);
    let audio_err = |reason: String| JobError::Audio { path: path.display().to_string(), reason };
    let bytes = tokio::fs::read(&path).await.map_err(|e| audio_err(e.to_string()))?;
    let audio = tokio::task::spawn_blocking(move || decode(&bytes, &DecodeOptions::default()))
        .await
        .map_err(|e| JobError::Task(e.to_string()))?
        .map_err(|e| audio_err(e.to_string()))?;
    let duration_s = audio.duration_s();

    let directory = p.store.directory().await?;
    let prompt = directory.vocabulary().prompt(PROMPT_CHARS, report.language.as_deref());
    let opts = TranscribeOptions {
        language: report.language.as_deref().map(Language::parse).unwrap_or_default(),
        initial_prompt: (!prompt.is_empty()).then_some(prompt),
        threads: 0,
    };
    let transcriber = p.transcriber.clone();
    let started = Instant::now();
    let transcript = tokio::task::spawn_blocking(move || transcriber.transcribe(&audio.samples, &opts))
        .await
        .map_err(|e| JobError::Task(e.to_string()))?
        .map_err(|e| JobError::Transcribe(e.to_string()))?;
    let rtf = if duration_s > 0.0 { started.elapsed().as_secs_f64() / duration_s } else { 0.0 };
    let stored = StoredTranscript {
        text: transcript.text.clone(),
        segments: serde_json::to_value(&transcript.segments).unwrap_or(Value::Null),
        language: transcript.language.clone(),
        model: p.transcriber.model_name().to_string(),
        real_time_factor: rtf,
    };
    p.store.save_transcript(report.recording_id, &stored).await?;

    let words: Vec<WordConfidence> = transcript
        .segments
        .iter()
        .flat_map(|s| &s.words)
        .map(|w| WordConfidence { text: w.text.clone(), confidence: w.confidence })
        .collect();
    let reference_date = p.reference_date.unwrap_or_else(|| {
        DateTime::<Utc>::from_timestamp_millis(report.created_at).unwrap_or_default().date_naive()
    });
    let language = report.language.clone().unwrap_or_else(|| transcript.language.clone());
    let extraction = extract(
        form,
        &transcript.text,
        &ExtractOptions {
            language: Some(language.as_str()).filter(|l| *l == "en" || *l == "zh"),
            reference_date,
            directory: Some(&directory as &dyn Directory),
            words: &words,
        },
    );
    let doc = extraction.to_json();
    let fields = doc.get("fields").cloned().unwrap_or_else(|| json!({}));
    let details = doc.get("details").cloned().unwrap_or_else(|| json!({}));
    let problems = doc.get("problems").cloned().unwrap_or_else(|| json!([]));

    // Link the report to the CRM rows its asset tag and customer resolved to.
    let (customer_id, asset_id) = p.store.crm_links(form, &fields).await?;
    p.store.complete_report(report_id, &extraction.language, &fields, &details, &problems, customer_id, asset_id).await?;
    Ok(())
}
