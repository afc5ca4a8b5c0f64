//! Accepting recordings: raw audio body or multipart, size-limited and decoded (content check) before
//! anything is stored; the file is written and synced under the data directory and the recording, report
//! and job are committed before 202 is returned.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiResult, AppState, Auth};
use crate::audio::{AudioError, DecodeOptions, decode};
use crate::store::{NewRecording, Role, recording_location, write_durably};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/reports", post(upload).get(super::reports::list))
}

/// Upload parameters: query string for raw bodies, form fields for multipart.
#[derive(Debug, Default, Deserialize)]
struct UploadParams {
    form: Option<String>,
    language: Option<String>,
    /// Required when a reviewer or admin uploads for a technician.
    technician_id: Option<i64>,
    /// Multipart only: what a device already transcribed and filled in (see [`super::device_draft`]).
    #[serde(skip)]
    device: super::device_draft::DeviceParts,
}

async fn upload(State(state): State<AppState>, auth: Auth, req: Request) -> ApiResult<(StatusCode, Json<Value>)> {
    let key = super::device_draft::idempotency_key(req.headers())?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let limit = state.max_upload_bytes;
    let too_large = || ApiError::PayloadTooLarge(format!("upload exceeds the limit of {limit} bytes"));
    let (params, bytes) = if is_multipart {
        read_multipart(Multipart::from_request(req, &state).await.map_err(|e| ApiError::BadRequest(e.body_text()))?, limit).await?
    } else {
        let Query(params) = Query::<UploadParams>::try_from_uri(req.uri())?;
        let bytes = Bytes::from_request(req, &state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { ApiError::BadRequest(e.body_text()) }
        })?;
        (params, bytes)
    };
    if bytes.len() as u64 > limit {
        state.counters.upload_rejected();
        return Err(too_large());
    }
    let technician_id = match (auth.0.role, auth.0.technician_id, params.technician_id) {
        (Role::Technician, Some(own), None) => own,
        (Role::Technician, Some(own), Some(other)) if other == own => own,
        (Role::Technician, _, _) => return Err(ApiError::Forbidden("technicians upload only their own recordings".into())),
        (_, _, Some(id)) => state.store.technician(id).await.map(|t| t.technician_id)?,
        (_, _, None) => return Err(ApiError::BadRequest("`technician_id` is required when a reviewer or admin uploads".into())),
    };
    if let Some(k) = &key
        && let Some(done) = state.store.upload_by_key(technician_id, k).await?
    {
        return Ok(super::device_draft::accepted_reply(done));
    }
    let form = match params.form.as_deref() {
        Some(name) => state.form(name)?.name.clone(),
        None => state.forms.first().map(|f| f.name.clone()).ok_or_else(|| ApiError::Internal("no forms loaded".into()))?,
    };
    let language = params.language.filter(|l| !l.is_empty() && l != "auto");
    if let Some(l) = &language
        && (l.len() != 2 || !l.chars().all(|c| c.is_ascii_lowercase()))
    {
        return Err(ApiError::BadRequest(format!("language `{l}` is not a two-letter code such as en or zh")));
    }

    let mut draft = params.device.into_draft(state.form(&form)?, language.as_deref())?;
    if let Some(d) = draft.as_mut() {
        (d.customer_id, d.asset_id) = state.store.crm_links(state.form(&form)?, &d.fields).await?;
    }
    let checked = check_audio(bytes.clone()).await.inspect_err(|_| state.counters.upload_rejected())?;
    let (sha256, rel) = recording_location(&bytes);
    let abs = state.data_dir.join(&rel);
    let data = bytes.clone();
    tokio::task::spawn_blocking(move || write_durably(&abs, &data, false))
        .await
        .map_err(|e| ApiError::Internal(format!("write task: {e}")))?
        .map_err(|e| ApiError::Internal(format!("writing recording: {e}")))?;
    let rec = NewRecording {
        path: rel.to_string_lossy().into_owned(),
        sha256,
        bytes: bytes.len() as i64,
        duration_ms: (checked * 1000.0).round() as i64,
        source: if draft.is_some() { "device" } else { "upload" }.into(),
        technician_id,
    };
    let language = language.or_else(|| draft.as_ref().map(|d| d.transcript.language.clone()));
    if key.is_some() || draft.is_some() {
        let done = state.store.accept_keyed_upload(&rec, &form, language.as_deref(), key.as_deref(), draft.as_ref()).await?;
        if !done.replayed {
            state.counters.upload_accepted();
        }
        return Ok(super::device_draft::accepted_reply(done));
    }
    let upload = state.store.accept_upload(&rec, &form, language.as_deref()).await?;
    state.counters.upload_accepted();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "report_id": upload.report_id,
            "job_id": upload.job_id,
            "state": "processing",
            "url": format!("/api/v1/reports/{}", upload.report_id),
        })),
    ))
}

async fn read_multipart(mut mp: Multipart, limit: u64) -> ApiResult<(UploadParams, Bytes)> {
    let mut params = UploadParams::default();
    let mut audio = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!("upload exceeds the limit of {limit} bytes"))
        } else {
            ApiError::BadRequest(format!("multipart: {}", e.body_text()))
        }
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "audio" | "file" => audio = Some(field.bytes().await.map_err(bad)?),
            "form" => params.form = Some(field.text().await.map_err(bad)?),
            "language" => params.language = Some(field.text().await.map_err(bad)?),
            "technician_id" => {
                let text = field.text().await.map_err(bad)?;
                let id = text.trim().parse().map_err(|_| ApiError::BadRequest(format!("technician_id `{text}` is not a number")))?;
                params.technician_id = Some(id);
            }
            "transcript" | "fields" | "details" | "problems" => {
                let text = field.text().await.map_err(bad)?;
                params.device.set(&name, &text)?;
            }
            other => return Err(ApiError::BadRequest(format!(
                "unknown multipart field `{other}` (audio, form, language, technician_id, transcript, fields, details, problems)"
            ))),
        }
    }
    let audio = audio.ok_or_else(|| ApiError::BadRequest("multipart upload has no `audio` part".into()))?;
    Ok((params, audio))
}

/// Decodes the upload to prove it is audio Whisper can take; returns its duration in seconds.
async fn check_audio(bytes: Bytes) -> ApiResult<f64> {
    let decoded = tokio::task::spawn_blocking(move || decode(&bytes, &DecodeOptions::default()))
        .await
        .map_err(|e| ApiError::Internal(format!("decode task: {e}")))?;
    match decoded {
        Ok(audio) if audio.samples.is_empty() => Err(ApiError::BadRequest("upload: the recording has no samples".into())),
        Ok(audio) => Ok(audio.duration_s()),
        Err(AudioError::Empty) => Err(ApiError::BadRequest("upload: empty body (0 bytes); send a WAV recording".into())),
        Err(e @ (AudioError::NotAudio(_) | AudioError::Unsupported(_))) => {
            Err(ApiError::UnsupportedMedia(format!("upload: {e}; send a WAV recording")))
        }
        Err(e @ AudioError::TooLong { .. }) => Err(ApiError::PayloadTooLarge(format!("upload: {e}"))),
        Err(e) => Err(ApiError::BadRequest(format!("upload: {e}"))),
    }
}
