//! The durable job queue. A worker claims one due job at a time with a lease (`locked_by`, `locked_at`);
//! a job whose lease is older than the stale limit (its worker died) is claimable again. PostgreSQL claims
//! with `for update skip locked` so workers on several machines never take the same job; SQLite runs the
//! claim as one `update` statement, which its single writer serialises.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, Result, Store, StoreError, now_ms};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Failed `max_attempts` times; left for a person to look at.
    Dead,
}

impl JobState {
    fn parse(s: &str) -> Result<JobState> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            other => return Err(StoreError::corrupt("job state", other)),
        })
    }
}

/// A job row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub job_id: i64,
    pub kind: String,
    /// JSON text.
    pub payload: String,
    pub state: JobState,
    /// Claims so far, including the current one.
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_after: i64,
    pub last_error: Option<String>,
}

/// Jobs per state, for /metrics and the API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub dead: i64,
}

/// Recent pipeline performance, computed from the last jobs and transcripts (shared by every process).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PipelineStats {
    /// Mean transcription real-time factor (processing time / audio time) of the last transcripts.
    pub real_time_factor: Option<f64>,
    /// Mean and worst seconds from enqueue to done of the last finished jobs.
    pub job_latency_mean_s: Option<f64>,
    pub job_latency_max_s: Option<f64>,
    /// Jobs that have failed at least once (their last error is kept).
    pub jobs_with_errors: i64,
    /// Webhook deliveries given up on.
    pub dead_deliveries: i64,
}

/// How many times a job is tried before it is dead.
pub const MAX_ATTEMPTS: i64 = 5;

const JOB_COLUMNS: &str = "job_id, kind, payload, state, attempts, max_attempts, run_after, last_error";

fn job_row(r: &AnyRow) -> Result<Job> {
    Ok(Job {
        job_id: r.try_get("job_id")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        state: JobState::parse(&r.try_get::<String, _>("state")?)?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_after: r.try_get("run_after")?,
        last_error: r.try_get("last_error")?,
    })
}

/// Adds a queued job inside the caller's transaction, so the job exists exactly when what it works on does.
pub(super) async fn enqueue_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<i64> {
    let job_id = sqlx::query_scalar(
        "insert into job (kind, payload, state, attempts, max_attempts, run_after, created_at, updated_at) \
         values ($1, $2, 'queued', 0, $3, $4, $4, $4) returning job_id",
    )
    .bind(kind)
    .bind(payload)
    .bind(MAX_ATTEMPTS)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(job_id)
}

impl Store {
    /// Adds a queued job.
    pub async fn enqueue(&self, kind: &str, payload: &str) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id = enqueue_in(&mut tx, kind, payload, now_ms()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims the next due job for `worker`: a queued job whose `run_after` has passed, or a running job
    /// whose lease is older than `stale_ms` (its worker is presumed dead). Counts the attempt.
    pub async fn claim_job(&self, worker: &str, stale_ms: i64) -> Result<Option<Job>> {
        let lock = match self.backend {
            Backend::Postgres => " for update skip locked",
            Backend::Sqlite => "",
        };
        let now = now_ms();
        let sql = format!(
            "update job set state = 'running', locked_by = $1, locked_at = $2, attempts = attempts + 1, \
             updated_at = $2 where job_id = (select job_id from job \
             where (state = 'queued' and run_after <= $2) or (state = 'running' and locked_at < $3) \
             order by run_after, job_id limit 1{lock}) returning {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql).bind(worker).bind(now).bind(now - stale_ms).fetch_optional(&self.pool).await?;
        row.as_ref().map(job_row).transpose()
    }

    /// Renews `worker`'s lease on a long-running job. False when the lease was lost.
    pub async fn heartbeat_job(&self, job_id: i64, worker: &str) -> Result<bool> {
        let done = sqlx::query("update job set locked_at = $1 where job_id = $2 and locked_by = $3 and state = 'running'")
            .bind(now_ms())
            .bind(job_id)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a job done. False when `worker` no longer held it (another worker reclaimed it).
    pub async fn complete_job(&self, job_id: i64, worker: &str) -> Result<bool> {
        let done = sqlx::query(
            "update job set state = 'done', locked_by = null, last_error = null, updated_at = $1 \
             where job_id = $2 and locked_by = $3 and state = 'running'",
        )
        .bind(now_ms())
        .bind(job_id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt: back to the queue after `backoff_ms`, or dead once the job has had all its
    /// attempts. Returns the new state, or `None` when `worker` no longer held the job.
    pub async fn fail_job(&self, job_id: i64, worker: &str, error: &str, backoff_ms: i64) -> Result<Option<JobState>> {
        let now = now_ms();
        let row = sqlx::query(
            "update job set state = case when attempts >= max_attempts then 'dead' else 'queued' end, \
             run_after = $1, last_error = $2, locked_by = null, updated_at = $3 \
             where job_id = $4 and locked_by = $5 and state = 'running' returning state",
        )
        .bind(now + backoff_ms.max(0))
        .bind(error)
        .bind(now)
        .bind(job_id)
        .bind(worker)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| JobState::parse(&r.try_get::<String, _>("state")?)).transpose()
    }

    /// Makes a queued job due now, or gives a dead job one more attempt (an operator's "retry").
    pub async fn retry_job(&self, job_id: i64) -> Result<()> {
        let done = sqlx::query(
            "update job set max_attempts = case when state = 'dead' then attempts + 1 else max_attempts end, \
             state = 'queued', run_after = $1, updated_at = $1 where job_id = $2 and state in ('queued', 'dead')",
        )
        .bind(now_ms())
        .bind(job_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("job {job_id} is not queued or dead")));
        }
        Ok(())
    }

    /// One job.
    pub async fn job(&self, job_id: i64) -> Result<Job> {
        let row = sqlx::query(&format!("select {JOB_COLUMNS} from job where job_id = $1"))
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("job", job_id))?;
        job_row(&row)
    }

    /// Jobs in one state, oldest first (e.g. the dead ones for the API).
    pub async fn jobs_in(&self, state: JobState, limit: i64) -> Result<Vec<Job>> {
        let state = serde_json::to_value(state).map_err(|e| StoreError::corrupt("job state", e))?;
        let rows = sqlx::query(&format!("select {JOB_COLUMNS} from job where state = $1 order by job_id limit $2"))
            .bind(state.as_str().unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_row).collect()
    }

    /// Recent pipeline performance over the last `window` jobs and transcripts.
    pub async fn pipeline_stats(&self, window: i64) -> Result<PipelineStats> {
        let rtf: Vec<f64> = sqlx::query_scalar("select real_time_factor from transcript order by transcript_id desc limit $1")
            .bind(window)
            .fetch_all(&self.pool)
            .await?;
        let latency: Vec<i64> = sqlx::query_scalar(
            "select updated_at - created_at from job where state = 'done' order by job_id desc limit $1",
        )
        .bind(window)
        .fetch_all(&self.pool)
        .await?;
        let jobs_with_errors: i64 = sqlx::query_scalar("select count(*) from job where last_error is not null")
            .fetch_one(&self.pool)
            .await?;
        let dead_deliveries: i64 = sqlx::query_scalar("select count(*) from outbox where state = 'dead'")
            .fetch_one(&self.pool)
            .await?;
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let secs: Vec<f64> = latency.iter().map(|ms| *ms as f64 / 1000.0).collect();
        Ok(PipelineStats {
            real_time_factor: mean(&rtf),
            job_latency_mean_s: mean(&secs),
            job_latency_max_s: secs.iter().cloned().reduce(f64::max),
            jobs_with_errors,
            dead_deliveries,
        })
    }

    /// Jobs per state.
    pub async fn queue_depth(&self) -> Result<QueueDepth> {
        let rows = sqlx::query("select state, count(*) as n from job group by state").fetch_all(&self.pool).await?;
        let mut depth = QueueDepth::default();
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match JobState::parse(&r.try_get::<String, _>("state")?)? {
                JobState::Queued => depth.queued = n,
                JobState::Running => depth.running = n,
                JobState::Done => depth.done = n,
                JobState::Dead => depth.dead = n,
            }
        }
        Ok(depth)
    }
}
