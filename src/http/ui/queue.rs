//! The verification queue: reports oldest first, filtered by technician, customer, state and date, with
//! the number of problems of each and low-confidence reports flagged.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDate};
use serde::Deserialize;

use super::{Chrome, Page, PageError, render};
use crate::http::{ApiError, AppState};
use crate::store::{QueueFilter, Report, ReportState};

/// Below this a field's confidence flags it (and its report) for a closer look.
pub const LOW_CONFIDENCE: f64 = 0.6;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/ui/queue", get(queue))
}

/// Query string of the queue page; empty values mean "any".
#[derive(Debug, Default, Deserialize)]
pub(super) struct QueueQuery {
    #[serde(default)]
    technician_id: String,
    #[serde(default)]
    customer_id: String,
    state: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub(super) struct Row {
    pub id: i64,
    pub created: String,
    pub technician: String,
    pub customer: String,
    pub asset: String,
    pub state: &'static str,
    pub problems: usize,
    pub low: bool,
}

pub(super) struct Choice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<Row>,
    technicians: Vec<Choice>,
    customers: Vec<Choice>,
    states: Vec<(&'static str, bool)>,
    from: String,
    to: String,
}

/// Number of problems in a report's `problems` JSON.
pub fn problem_count(r: &Report) -> usize {
    r.problems.as_array().map_or(0, Vec::len)
}

/// True when any extracted field's confidence is below [`LOW_CONFIDENCE`].
pub fn low_confidence(r: &Report) -> bool {
    r.details
        .as_object()
        .is_some_and(|d| d.values().any(|v| v.get("confidence").and_then(|c| c.as_f64()).is_some_and(|c| c < LOW_CONFIDENCE)))
}

/// A time for people: UTC, to the minute.
pub fn when(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

fn id_param(name: &str, s: &str) -> Result<Option<i64>, ApiError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim().parse().map(Some).map_err(|_| ApiError::BadRequest(format!("{name}: `{s}` is not a number")))
}

fn date_param(name: &str, s: &str, plus_days: i64) -> Result<Option<i64>, ApiError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("{name}: `{s}` is not a YYYY-MM-DD date")))?;
    Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis() + plus_days * 86_400_000))
}

/// The filter a queue query asks for; `state` defaults to draft (awaiting verification), "any" lifts it.
pub(super) fn filter(q: &QueueQuery) -> Result<QueueFilter, ApiError> {
    let state = match q.state.as_deref().map(str::trim) {
        None | Some("") => Some(ReportState::Draft),
        Some("any") => None,
        Some(s) => Some(ReportState::parse(s)?),
    };
    Ok(QueueFilter {
        state,
        technician_id: id_param("technician_id", &q.technician_id)?,
        customer_id: id_param("customer_id", &q.customer_id)?,
        from: date_param("from", &q.from, 0)?,
        to: date_param("to", &q.to, 1)?,
        limit: 200,
    })
}

async fn queue(
    State(state): State<AppState>,
    page: Page,
    q: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = q.map_err(ApiError::from)?;
    let f = filter(&q)?;
    let reports = state.store.review_queue(&f).await?;
    let techs = state.store.technicians().await?;
    let customers = state.store.customers().await?;
    let tech_names: HashMap<i64, &str> = techs.iter().map(|t| (t.technician_id, t.name.as_str())).collect();
    let cust_names: HashMap<i64, &str> = customers.iter().map(|c| (c.customer_id, c.name.as_str())).collect();
    let rows = reports
        .iter()
        .map(|r| Row {
            id: r.report_id,
            created: when(r.created_at),
            technician: tech_names.get(&r.technician_id).copied().unwrap_or("?").to_string(),
            customer: r.customer_id.and_then(|c| cust_names.get(&c).copied()).unwrap_or("").to_string(),
            asset: r.fields.get("asset").and_then(|a| a.as_str()).unwrap_or("").to_string(),
            state: r.state.as_str(),
            problems: problem_count(r),
            low: low_confidence(r),
        })
        .collect();
    let chosen = f.state.map_or("any", ReportState::as_str);
    let states = ["draft", "processing", "verified", "posted", "rejected", "failed", "any"].into_iter().map(|s| (s, s == chosen)).collect();
    render(&QueuePage {
        chrome: Chrome::new(&page, "queue"),
        rows,
        technicians: techs.iter().map(|t| Choice { id: t.technician_id, name: t.name.clone(), selected: f.technician_id == Some(t.technician_id) }).collect(),
        customers: customers.iter().map(|c| Choice { id: c.customer_id, name: c.name.clone(), selected: f.customer_id == Some(c.customer_id) }).collect(),
        states,
        from: q.from.trim().to_string(),
        to: q.to.trim().to_string(),
    })
}
