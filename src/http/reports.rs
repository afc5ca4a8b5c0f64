//! Reports for people: list with filters and paging, one report with its transcript, audit trail, ticket
//! and deliveries, its audio, and the review actions (edit fields, verify, reject).

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::validate::revalidate;
use super::{ApiError, ApiResult, AppState, Auth};
use crate::store::{NewDelivery, Principal, Report, ReportFilter, ReportState, Role, ticket_number};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/{id}", get(get_one).patch(patch))
        .route("/api/v1/reports/{id}/audio", get(audio))
        .route("/api/v1/reports/{id}/verify", post(verify))
        .route("/api/v1/reports/{id}/reject", post(reject))
}

/// `GET /api/v1/reports` query: every filter optional; dates are YYYY-MM-DD (UTC), `to` inclusive.
#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    state: Option<String>,
    technician_id: Option<i64>,
    customer_id: Option<i64>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

fn day_ms(field: &str, s: &str, plus_days: i64) -> ApiResult<i64> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("{field}: `{s}` is not a YYYY-MM-DD date")))?;
    let start = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0);
    Ok(start + plus_days * 86_400_000)
}

pub(super) async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=500).contains(&per_page) {
        return Err(ApiError::BadRequest("per_page: 1 to 500".into()));
    }
    let page = q.page.unwrap_or(1).max(1);
    let technician_id = if p.role == Role::Technician { p.technician_id } else { q.technician_id };
    let filter = ReportFilter {
        state: q.state.as_deref().map(ReportState::parse).transpose()?,
        technician_id,
        customer_id: q.customer_id,
        from: q.from.as_deref().map(|s| day_ms("from", s, 0)).transpose()?,
        to: q.to.as_deref().map(|s| day_ms("to", s, 1)).transpose()?,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let (reports, total) = state.store.reports(&filter).await?;
    let items: Vec<Value> = reports.iter().map(summary).collect();
    Ok(Json(json!({ "items": items, "total": total, "page": page, "per_page": per_page })))
}

fn summary(r: &Report) -> Value {
    json!({
        "report_id": r.report_id,
        "state": r.state,
        "form": r.form,
        "technician_id": r.technician_id,
        "customer_id": r.customer_id,
        "asset_id": r.asset_id,
        "fields": r.fields,
        "problems": r.problems,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

/// Loads a report the caller may see: technicians only their own.
async fn visible(state: &AppState, p: &Principal, id: i64) -> ApiResult<Report> {
    let r = state.store.report(id).await?;
    if p.role == Role::Technician && p.technician_id != Some(r.technician_id) {
        return Err(ApiError::Forbidden(format!("report {id} belongs to another technician")));
    }
    Ok(r)
}

async fn full(state: &AppState, r: Report) -> ApiResult<Value> {
    let transcript = state.store.transcript(r.recording_id).await?;
    let audit = state.store.audit_events(r.report_id).await?;
    let ticket = state.store.ticket_for(r.report_id).await?;
    let deliveries = state.store.deliveries(Some(r.report_id)).await?;
    let mut v = summary(&r);
    let obj = v.as_object_mut().ok_or_else(|| ApiError::Internal("summary is not an object".into()))?;
    obj.insert("language".into(), json!(r.language));
    obj.insert("details".into(), r.details.clone());
    obj.insert("reason".into(), json!(r.reason));
    obj.insert("transcript".into(), json!(transcript));
    obj.insert("audio_url".into(), json!(format!("/api/v1/reports/{}/audio", r.report_id)));
    obj.insert("audit".into(), json!(audit));
    obj.insert("ticket".into(), json!(ticket));
    let deliveries: Vec<Value> = deliveries
        .iter()
        .map(|d| json!({"event": d.event, "target_url": d.target_url, "state": d.state, "attempts": d.attempts, "last_error": d.last_error}))
        .collect();
    obj.insert("deliveries".into(), json!(deliveries));
    Ok(v)
}

async fn get_one(State(state): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let r = visible(&state, &p, id).await?;
    Ok(Json(full(&state, r).await?))
}

async fn audio(State(state): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    let r = visible(&state, &p, id).await?;
    let bytes = tokio::fs::read(state.data_dir.join(&r.audio_path))
        .await
        .map_err(|e| ApiError::Internal(format!("reading {}: {e}", r.audio_path)))?;
    Response::builder()
        .header(header::CONTENT_TYPE, "audio/wav")
        .body(Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[derive(Deserialize)]
struct PatchBody {
    /// Field name -> new value; `null` clears a field; fields not named keep their value.
    fields: Map<String, Value>,
}

async fn patch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Result<Json<PatchBody>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    auth.require(Role::Reviewer)?;
    let Json(body) = body?;
    let r = state.store.report(id).await?;
    let form = state.form(&r.form)?;
    let mut merged = r.fields.as_object().cloned().unwrap_or_default();
    for (k, v) in body.fields {
        merged.insert(k, v);
    }
    let dir = state.store.directory().await?;
    let today = chrono::Utc::now().date_naive();
    let checked = revalidate(form, &dir, &merged, today).map_err(ApiError::BadRequest)?;
    let asset_id = match &checked.asset_tag {
        Some(tag) => state.store.asset_by_tag(tag).await?.map(|a| a.asset_id),
        None => None,
    };
    let customer_id = match &checked.customer {
        Some(name) => state.store.customers().await?.into_iter().find(|c| &c.name == name).map(|c| c.customer_id),
        None => None,
    };
    let updated = state
        .store
        .edit_report(id, &auth.0.login, &Value::Object(checked.fields), &json!(checked.problems), customer_id, asset_id)
        .await?;
    Ok(Json(full(&state, updated).await?))
}

async fn verify(State(state): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    auth.require(Role::Reviewer)?;
    let r = state.store.report(id).await?;
    if r.state != ReportState::Draft {
        return Err(ApiError::Conflict(format!("report {id} is {}; only drafts can be verified", r.state.as_str())));
    }
    let deliveries = deliveries_for(&state, &r, &auth.0.login).await?;
    let (report, _ticket) = state.store.verify_report(id, &auth.0.login, &deliveries).await?;
    Ok(Json(full(&state, report).await?))
}

/// The webhook deliveries a verification writes: `report.verified` to every endpoint, plus
/// `report.confirmed` (addressed to the customer's contact) when configured and the customer has one.
/// The payload is documented in the OpenAPI document under `WebhookPayload`.
async fn deliveries_for(state: &AppState, r: &Report, actor: &str) -> ApiResult<Vec<NewDelivery>> {
    if state.webhook_urls.is_empty() {
        return Ok(Vec::new());
    }
    let technician = state.store.technician(r.technician_id).await?;
    let customer = match r.customer_id {
        Some(id) => Some(state.store.customer(id).await?),
        None => None,
    };
    let asset = match r.asset_id {
        Some(id) => Some(state.store.asset(id).await?),
        None => None,
    };
    let base = |event: &str| {
        json!({
            "event": event,
            "ticket_number": ticket_number(r.report_id),
            "report_id": r.report_id,
            "form": r.form,
            "language": r.language,
            "fields": r.fields,
            "technician": {"login": technician.login, "name": technician.name},
            "customer": customer.as_ref().map(|c| json!({"customer_id": c.customer_id, "name": c.name, "contact": c.contact})),
            "asset": asset.as_ref().map(|a| json!({"asset_id": a.asset_id, "tag": a.tag, "description": a.description})),
            "verified_by": actor,
            "verified_at": crate::store::now_ms(),
        })
    };
    let mut out = Vec::new();
    for url in state.webhook_urls.iter() {
        out.push(NewDelivery { event: "report.verified".into(), target_url: url.clone(), payload: base("report.verified").to_string() });
        if state.confirm_to_customer && customer.as_ref().is_some_and(|c| c.contact.is_some()) {
            out.push(NewDelivery { event: "report.confirmed".into(), target_url: url.clone(), payload: base("report.confirmed").to_string() });
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RejectBody {
    reason: String,
}

async fn reject(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Result<Json<RejectBody>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    auth.require(Role::Reviewer)?;
    let Json(body) = body?;
    let report = state.store.reject_report(id, &auth.0.login, &body.reason).await?;
    Ok(Json(full(&state, report).await?))
}
