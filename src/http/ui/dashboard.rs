//! The dashboard: `GET /api/v1/stats` (reviewers and admins) and the page whose script draws it as SVG.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Chrome, Page, PageError, render};
use crate::http::{ApiError, ApiResult, AppState, Auth};
use crate::store::{Role, now_ms};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/stats", get(stats)).route("/ui/dashboard", get(dashboard))
}

#[derive(Deserialize)]
struct StatsQuery {
    /// How many days back the per-day, per-technician, fault and timing figures cover (1 to 366).
    days: Option<i64>,
}

async fn stats(
    State(state): State<AppState>,
    auth: Auth,
    q: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    auth.require(Role::Reviewer)?;
    let Query(q) = q?;
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::BadRequest(format!("days: {days} is outside 1 to 366")));
    }
    let s = state.store.report_stats(now_ms() - days * 86_400_000).await?;
    let pairs = |v: &[(String, i64)], k: &str| -> Vec<Value> { v.iter().map(|(name, n)| json!({ k: name, "count": n })).collect() };
    Ok(Json(json!({
        "days": days,
        "per_day": pairs(&s.per_day, "day"),
        "per_technician": pairs(&s.per_technician, "technician"),
        "states": s.states,
        "top_faults": pairs(&s.top_faults, "fault"),
        "median_verify_ms": s.median_verify_ms,
        "verified_count": s.verified_count,
    })))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
}

async fn dashboard(page: Page) -> Result<Response, PageError> {
    render(&DashboardPage { chrome: Chrome::new(&page, "dashboard") })
}
