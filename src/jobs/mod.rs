//! The durable pipeline: workers claim jobs from the store and run them (transcribe -> extract -> check
//! against the CRM -> draft report), renewing their lease while they work, retrying failures with
//! exponential backoff and leaving a job dead after its last attempt. Every step is idempotent, so a job
//! that runs again after a crash redoes nothing a person has changed. Must not depend on http or app.

pub mod deliver;
mod process;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use tokio::sync::watch;

use crate::extract::form::Form;
use crate::store::{JobState, Store, StoreError};
use crate::transcribe::Transcriber;

/// The job kind an accepted upload queues.
pub const PROCESS_REPORT: &str = "process_report";

/// What a job needs besides the database.
pub struct Pipeline {
    pub store: Store,
    /// Recordings' paths are relative to this.
    pub data_dir: PathBuf,
    /// One shared model; each job gets its own state inside it.
    pub transcriber: Arc<dyn Transcriber>,
    pub forms: Arc<Vec<Form>>,
    /// "Today" for relative dates; `None` uses the day the recording was accepted.
    pub reference_date: Option<NaiveDate>,
}

/// Why one job failed (the store keeps the message as the job's `last_error`).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("job {job_id}: bad payload: {reason}")]
    Payload { job_id: i64, reason: String },
    #[error("job kind `{0}` is unknown")]
    UnknownKind(String),
    #[error("recording {path}: {reason}")]
    Audio { path: String, reason: String },
    #[error("transcription: {0}")]
    Transcribe(String),
    #[error("form `{0}` is not loaded")]
    Form(String),
    #[error("worker task failed: {0}")]
    Task(String),
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names this worker in leases (host and process id by default).
    pub id: String,
    /// A lease not renewed for this long is taken over by another worker.
    pub stale_after: Duration,
    /// Sleep between polls of an empty queue.
    pub poll: Duration,
    /// First retry delay; doubled for each further attempt, capped at an hour.
    pub backoff: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        WorkerOptions {
            id: format!("{host}:{}", std::process::id()),
            stale_after: Duration::from_secs(120),
            poll: Duration::from_millis(250),
            backoff: Duration::from_secs(5),
        }
    }
}

/// The delay before attempt `attempts + 1`: `base * 2^(attempts - 1)`, at most an hour.
pub fn backoff_ms(base: Duration, attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (base.as_millis() as i64).saturating_mul(1 << exp).min(3_600_000)
}

/// What happened to one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done { job_id: i64 },
    /// Failed; `state` is `Queued` (will retry) or `Dead`.
    Failed { job_id: i64, state: JobState, error: String },
    /// Another worker took the job over (this one's lease went stale); its result was dropped.
    LostLease { job_id: i64 },
}

/// Claims and runs at most one due job. `Ok(None)` when the queue has nothing due.
pub async fn run_once(p: &Pipeline, opts: &WorkerOptions) -> Result<Option<Outcome>, StoreError> {
    let stale_ms = opts.stale_after.as_millis() as i64;
    let Some(job) = p.store.claim_job(&opts.id, stale_ms).await? else { return Ok(None) };
    let work = process::run(p, &job);
    tokio::pin!(work);
    let mut heartbeat = tokio::time::interval((opts.stale_after / 3).max(Duration::from_millis(10)));
    heartbeat.tick().await;
    let result = loop {
        tokio::select! {
            r = &mut work => break r,
            _ = heartbeat.tick() => {
                if !p.store.heartbeat_job(job.job_id, &opts.id).await? {
                    tracing::warn!(job_id = job.job_id, "lease lost while working");
                }
            }
        }
    };
    match result {
        Ok(()) => {
            if p.store.complete_job(job.job_id, &opts.id).await? {
                Ok(Some(Outcome::Done { job_id: job.job_id }))
            } else {
                Ok(Some(Outcome::LostLease { job_id: job.job_id }))
            }
        }
        Err(err) => {
            let error = err.to_string();
            tracing::warn!(job_id = job.job_id, attempt = job.attempts, %error, "job failed");
            let backoff = backoff_ms(opts.backoff, job.attempts);
            match p.store.fail_job(job.job_id, &opts.id, &error, backoff).await? {
                Some(state) => {
                    if state == JobState::Dead
                        && let Err(e) = process::give_up(p, &job, &error).await
                    {
                        tracing::error!(job_id = job.job_id, error = %e, "cannot mark the report failed");
                    }
                    Ok(Some(Outcome::Failed { job_id: job.job_id, state, error }))
                }
                None => Ok(Some(Outcome::LostLease { job_id: job.job_id })),
            }
        }
    }
}

/// Runs jobs until `shutdown` turns true; the job in hand is finished first. Store errors (database
/// briefly unreachable) are logged and retried after a poll interval.
pub async fn run(p: Arc<Pipeline>, opts: WorkerOptions, shutdown: watch::Receiver<bool>) {
    poll_until_shutdown("worker", opts.poll, shutdown, || run_once(&p, &opts)).await
}

/// Calls `step` until `shutdown` turns true, sleeping `poll` (or until shutdown) whenever it found no work
/// or failed; a failure is logged as `what` being unable to reach the store.
pub(crate) async fn poll_until_shutdown<T, E, Fut>(
    what: &str,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut step: impl FnMut() -> Fut,
) where
    Fut: Future<Output = Result<Option<T>, E>>,
    E: std::fmt::Display,
{
    loop {
        if *shutdown.borrow() {
            return;
        }
        let idle = match step().await {
            Ok(Some(_)) => false,
            Ok(None) => true,
            Err(err) => {
                tracing::error!(%err, "{what} cannot reach the store");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(5);
        assert_eq!([1, 2, 3].map(|a| backoff_ms(base, a)), [5_000, 10_000, 20_000]);
        assert_eq!(backoff_ms(base, 40), 3_600_000);
        assert_eq!(backoff_ms(base, 0), 5_000);
    }
}
