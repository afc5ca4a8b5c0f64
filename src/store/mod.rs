//! The database: one [`Store`] over SQLite (embedded default) or PostgreSQL, chosen by URL. The only module
//! with SQL. Must not depend on http, jobs or app.
//!
//! Queries go through sqlx's `Any` driver and are written once in the dialect both databases share:
//! `$n` placeholders (SQLite accepts them), `returning`, `on conflict`, times as unix milliseconds and JSON
//! as text. The two places the dialects differ (schema identity columns, the job claim's
//! `for update skip locked`) are chosen by [`Backend`].

mod account;
mod auth;
mod call;
mod crm;
mod jobs;
mod outbox;
mod report;

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor};

pub use auth::{Principal, Role, Technician, User};
pub use account::Language;
pub use call::{CallEnd, CallTurn, NewCall, PhoneCall, PhoneReport};
pub use crm::{Asset, AssetInput, Customer, CustomerInput, ImportSummary};
pub use jobs::{Job, JobState, MAX_ATTEMPTS, PipelineStats, QueueDepth};
pub use outbox::{NewDelivery, OutboxEntry, Ticket, ticket_number};
pub use report::{
    AuditEvent, NewRecording, Report, ReportFilter, ReportState, StoredTranscript, Upload,
};

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a store operation failed. Database errors keep their cause for the log; callers show clients only
/// the other variants.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL `{url}`: {reason}")]
    Url { url: String, reason: String },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A refused CSV import; `reason` names the row and column.
    #[error("{file}: {reason}")]
    Csv { file: String, reason: String },
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt { what: &'static str, reason: String },
}

impl StoreError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::Invalid { field: field.into(), reason: reason.into() }
    }

    fn not_found(what: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound { what, id: id.to_string() }
    }

    fn corrupt(what: &'static str, err: impl std::fmt::Display) -> Self {
        StoreError::Corrupt { what, reason: err.to_string() }
    }

    /// Unique-constraint violations become [`StoreError::Conflict`] with `message`; others pass through.
    fn unique(err: sqlx::Error, message: impl FnOnce() -> String) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(message()),
            _ => StoreError::Database(err),
        }
    }
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A connection pool plus the dialect it speaks. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Now as unix milliseconds (the store's time type).
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Every migration as (version, name, SQLite text, PostgreSQL text); applied ones are never edited.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "account_admin",
        include_str!("../../migrations/sqlite/0002_account_admin.sql"),
        include_str!("../../migrations/postgres/0002_account_admin.sql"),
    ),
    (
        4,
        "phone_call",
        include_str!("../../migrations/sqlite/0004_phone_call.sql"),
        include_str!("../../migrations/postgres/0004_phone_call.sql"),
    ),
];

fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, name, sqlite, postgres)| {
            let sql = if backend == Backend::Sqlite { sqlite } else { postgres };
            Migration::new(version, Cow::Borrowed(name), MigrationType::Simple, Cow::Borrowed(sql), false)
        })
        .collect();
    Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT }
}

impl Store {
    /// Connects to `sqlite://PATH` (the file and its directory are created) or `postgres://...` and applies
    /// pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::Url { url: url.into(), reason: "no file path after sqlite://".into() });
            }
            if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Url {
                    url: url.into(),
                    reason: format!("cannot create directory {}: {e}", dir.display()),
                })?;
            }
            let sep = if url.contains('?') { '&' } else { '?' };
            (Backend::Sqlite, format!("{url}{sep}mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::Url {
                url: url.into(),
                reason: "expected sqlite://PATH or postgres://...".into(),
            });
        };
        let mut options = AnyPoolOptions::new().max_connections(if backend == Backend::Sqlite { 8 } else { 16 });
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the one writer; synchronous=full makes each commit durable.
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("pragma journal_mode = wal; pragma synchronous = full; pragma busy_timeout = 10000; pragma foreign_keys = on").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        migrator(backend).run(&pool).await?;
        Ok(Store { pool, backend })
    }

    /// The dialect in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("select 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
