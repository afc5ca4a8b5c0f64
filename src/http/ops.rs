//! Operations: /healthz, Prometheus /metrics, the OpenAPI document, and the dead-letter views (jobs and
//! webhook deliveries that gave up) with an admin retry.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{ApiResult, AppState, Auth};
use crate::store::{JobState, Role};

/// Counters kept by this process (the queue and pipeline figures come from the database).
#[derive(Debug, Default)]
pub struct Counters {
    uploads_accepted: AtomicU64,
    uploads_rejected: AtomicU64,
}

impl Counters {
    pub fn upload_accepted(&self) {
        self.uploads_accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub fn upload_rejected(&self) {
        self.uploads_rejected.fetch_add(1, Ordering::Relaxed);
    }
}

/// The OpenAPI 3.1 document, written by hand next to the routes it describes.
const OPENAPI: &str = include_str!("openapi.json");

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/jobs/dead", get(dead_jobs))
        .route("/api/v1/jobs/{id}/retry", post(retry_job))
        .route("/api/v1/deliveries/dead", get(dead_deliveries))
}

async fn healthz(State(s): State<AppState>) -> (StatusCode, Json<Value>) {
    if s.store.ping().await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database unreachable" })))
    }
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn metrics(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let depth = s.store.queue_depth().await?;
    let stats = s.store.pipeline_stats(100).await?;
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    metric(
        "fieldvoice_jobs",
        "gauge",
        "Jobs in the durable queue by state.",
        &[
            ("{state=\"queued\"}", depth.queued as f64),
            ("{state=\"running\"}", depth.running as f64),
            ("{state=\"done\"}", depth.done as f64),
            ("{state=\"dead\"}", depth.dead as f64),
        ],
    );
    metric("fieldvoice_job_failures", "gauge", "Jobs that failed at least once.", &[("", stats.jobs_with_errors as f64)]);
    metric("fieldvoice_deliveries_dead", "gauge", "Webhook deliveries given up on.", &[("", stats.dead_deliveries as f64)]);
    if let Some(rtf) = stats.real_time_factor {
        metric("fieldvoice_transcription_real_time_factor", "gauge", "Mean real-time factor of the last 100 transcriptions.", &[("", rtf)]);
    }
    if let (Some(mean), Some(max)) = (stats.job_latency_mean_s, stats.job_latency_max_s) {
        metric(
            "fieldvoice_job_latency_seconds",
            "gauge",
            "Enqueue-to-done time of the last 100 jobs.",
            &[("{stat=\"mean\"}", mean), ("{stat=\"max\"}", max)],
        );
    }
    metric(
        "fieldvoice_uploads_total",
        "counter",
        "Uploads answered by this process.",
        &[
            ("{result=\"accepted\"}", s.counters.uploads_accepted.load(Ordering::Relaxed) as f64),
            ("{result=\"rejected\"}", s.counters.uploads_rejected.load(Ordering::Relaxed) as f64),
        ],
    );
    if let Some(calls) = &s.call_stats {
        out.push_str(&calls.prometheus());
    }
    if let Some(sip) = &s.sip_stats {
        out.push_str(&sip.prometheus());
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}

async fn dead_jobs(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(Role::Reviewer)?;
    Ok(Json(json!({ "items": s.store.jobs_in(JobState::Dead, 500).await? })))
}

async fn retry_job(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    auth.require(Role::Admin)?;
    s.store.retry_job(id).await?;
    Ok(Json(json!(s.store.job(id).await?)))
}

async fn dead_deliveries(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(Role::Reviewer)?;
    Ok(Json(json!({ "items": s.store.deliveries(None).await? })))
}
