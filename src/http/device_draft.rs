//! The upload API's additions for devices: the `Idempotency-Key` header (a retried upload gets the first
//! one's report) and the multipart parts a device sends with its recording (`transcript`, `fields`, `details`,
//! `problems`), which make the report a draft at once with source `device`; the server does not re-run
//! Whisper or extraction over it, because the technician already confirmed those fields on the device.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{ApiError, ApiResult};
use crate::extract::Form;
use crate::store::{Accepted, DeviceDraft, StoredTranscript};

/// The request header carrying the idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Longest key accepted.
const MAX_KEY_LEN: usize = 128;

/// The idempotency key of a request, if it has one: 1 to 128 visible ASCII characters.
pub(super) fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let bad = |why: &str| ApiError::BadRequest(format!("header Idempotency-Key: {why}"));
    let text = value.to_str().map_err(|_| bad("not visible ASCII"))?.trim();
    if text.is_empty() || text.len() > MAX_KEY_LEN {
        return Err(bad(&format!("must be 1 to {MAX_KEY_LEN} characters, got {}", text.len())));
    }
    if !text.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad("only visible ASCII characters (no spaces) are allowed"));
    }
    Ok(Some(text.to_string()))
}

/// The device's multipart parts as received (JSON text each).
#[derive(Debug, Default)]
pub(super) struct DeviceParts {
    transcript: Option<String>,
    fields: Option<String>,
    details: Option<String>,
    problems: Option<String>,
}

fn parse(part: &str, text: &str) -> ApiResult<Value> {
    serde_json::from_str(text).map_err(|e| ApiError::BadRequest(format!("multipart part `{part}`: not JSON: {e}")))
}

impl DeviceParts {
    /// Keeps one part; a part given twice is refused.
    pub(super) fn set(&mut self, name: &str, text: &str) -> ApiResult<()> {
        let slot = match name {
            "transcript" => &mut self.transcript,
            "fields" => &mut self.fields,
            "details" => &mut self.details,
            _ => &mut self.problems,
        };
        if slot.is_some() {
            return Err(ApiError::BadRequest(format!("multipart part `{name}` is given twice")));
        }
        *slot = Some(text.to_string());
        Ok(())
    }

    /// Checks the parts against the form: no parts -> no draft; `transcript` and `fields` together make one.
    pub(super) fn into_draft(self, form: &Form, language: Option<&str>) -> ApiResult<Option<DeviceDraft>> {
        let (transcript, fields) = match (self.transcript, self.fields) {
            (None, None) if self.details.is_none() && self.problems.is_none() => return Ok(None),
            (Some(t), Some(f)) => (t, f),
            _ => return Err(ApiError::BadRequest("a device submission needs both `transcript` and `fields` parts".into())),
        };
        let t = parse("transcript", &transcript)?;
        let bad = |why: String| ApiError::BadRequest(format!("multipart part `transcript`: {why}"));
        let text = t.get("text").and_then(Value::as_str).ok_or_else(|| bad("no string `text`".into()))?;
        let lang = t.get("language").and_then(Value::as_str).or(language).unwrap_or("en");
        if lang.len() != 2 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(bad(format!("language `{lang}` is not a two-letter code such as en or zh")));
        }
        let segments = t.get("segments").cloned().unwrap_or(json!([]));
        if !segments.is_array() {
            return Err(bad("`segments` is not a list".into()));
        }
        let transcript = StoredTranscript {
            text: text.to_string(),
            segments,
            language: lang.to_string(),
            model: t.get("model").and_then(Value::as_str).unwrap_or("device").to_string(),
            real_time_factor: t.get("real_time_factor").and_then(Value::as_f64).filter(|x| x.is_finite()).unwrap_or(0.0),
        };
        let fields = parse("fields", &fields)?;
        let Value::Object(map) = &fields else {
            return Err(ApiError::BadRequest("multipart part `fields`: not a JSON object of field name -> value".into()));
        };
        if let Some(unknown) = map.keys().find(|k| form.field(k).is_none()) {
            let known: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
            return Err(ApiError::BadRequest(format!(
                "multipart part `fields`: `{unknown}` is not a field of form `{}` (fields: {})",
                form.name,
                known.join(", ")
            )));
        }
        let details = match self.details {
            Some(d) => parse("details", &d)?,
            None => json!({}),
        };
        if !details.is_object() {
            return Err(ApiError::BadRequest("multipart part `details`: not a JSON object".into()));
        }
        let problems = match self.problems {
            Some(p) => parse("problems", &p)?,
            None => json!([]),
        };
        if !problems.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            return Err(ApiError::BadRequest("multipart part `problems`: not a JSON list of strings".into()));
        }
        Ok(Some(DeviceDraft { transcript, fields, details, problems, customer_id: None, asset_id: None }))
    }
}

/// The reply to an accepted or replayed upload: 202 when processing was queued, 201 for a device draft,
/// 200 with `"replayed": true` when the key was seen before.
pub(super) fn accepted_reply(done: Accepted) -> (StatusCode, Json<Value>) {
    let (status, state) = match (done.replayed, done.job_id) {
        (true, _) => (StatusCode::OK, None),
        (false, Some(_)) => (StatusCode::ACCEPTED, Some("processing")),
        (false, None) => (StatusCode::CREATED, Some("draft")),
    };
    let mut body = json!({
        "report_id": done.report_id,
        "job_id": done.job_id,
        "url": format!("/api/v1/reports/{}", done.report_id),
        "replayed": done.replayed,
    });
    if let Some(s) = state {
        body["state"] = json!(s);
    }
    (status, Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form() -> Form {
        crate::extract::form::find_form("service_report", None).unwrap()
    }

    proptest! {
        #[test]
        fn any_header_value_is_taken_or_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut headers = HeaderMap::new();
            if let Ok(v) = axum::http::HeaderValue::from_bytes(&bytes) {
                headers.insert(IDEMPOTENCY_KEY, v);
                match idempotency_key(&headers) {
                    Ok(Some(k)) => prop_assert!(!k.is_empty() && k.len() <= MAX_KEY_LEN && k.chars().all(|c| c.is_ascii_graphic())),
                    Ok(None) => prop_assert!(false, "a present header is never ignored"),
                    Err(e) => prop_assert!(e.to_string().contains("Idempotency-Key")),
                }
            }
        }

        #[test]
        fn any_device_parts_are_taken_or_refused_without_panicking(transcript in ".{0,80}", fields in ".{0,80}", problems in ".{0,40}") {
            let mut parts = DeviceParts::default();
            parts.set("transcript", &transcript).unwrap();
            parts.set("fields", &fields).unwrap();
            parts.set("problems", &problems).unwrap();
            if let Err(e) = parts.into_draft(&form(), None) {
                prop_assert!(e.to_string().starts_with("multipart part `"), "{e}");
            }
        }
    }

    #[test]
    fn a_good_device_submission_becomes_a_draft() {
        let mut parts = DeviceParts::default();
        parts.set("transcript", r#"{"text": "asset 4471", "language": "en", "model": "tiny.en", "segments": []}"#).unwrap();
        parts.set("fields", r#"{"asset": "4471"}"#).unwrap();
        assert!(parts.set("fields", "{}").is_err(), "a part given twice is refused");
        let d = parts.into_draft(&form(), None).unwrap().unwrap();
        assert_eq!((d.transcript.model.as_str(), d.fields["asset"].as_str()), ("tiny.en", Some("4471")));
        assert_eq!((d.details.clone(), d.problems.clone()), (json!({}), json!([])));
        let mut half = DeviceParts::default();
        half.set("fields", "{}").unwrap();
        assert!(half.into_draft(&form(), None).unwrap_err().to_string().contains("both `transcript` and `fields`"));
        assert!(DeviceParts::default().into_draft(&form(), None).unwrap().is_none());
    }
}
