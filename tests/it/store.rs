//! The store against both databases: every test function runs on a fresh SQLite file and on a fresh schema
//! of the PostgreSQL server at FIELDVOICE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
//! A PostgreSQL that cannot be reached fails the test; `scripts/pg.sh` starts one.

use std::sync::atomic::{AtomicUsize, Ordering};

use fieldvoice::store::{
    AssetInput, CustomerInput, JobState, NewDelivery, NewRecording, ReportFilter, ReportState, Role, Store,
    StoreError, StoredTranscript, MAX_ATTEMPTS,
};
use serde_json::json;

/// A fresh, empty database of one backend, removed by [`TestDb::finish`] (left behind if the test panics).
pub struct TestDb {
    pub store: Store,
    /// The URL the store was opened with (a second process would use the same).
    pub url: String,
    pg_schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn pg_base() -> String {
    std::env::var("FIELDVOICE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/fieldvoice.db", dir.path().display());
        let store = Store::connect(&url).await.expect("open SQLite store");
        TestDb { store, url, pg_schema: None, _dir: Some(dir) }
    }

    /// A new schema in the test PostgreSQL database, used through `search_path`.
    pub async fn postgres() -> TestDb {
        let base = pg_base();
        let schema = format!(
            "fv_t{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fieldvoice::store::now_ms() % 1_000_000
        );
        let admin = connect_admin(&base).await;
        sqlx::query(&format!("create schema {schema}")).execute(&admin).await.expect("create test schema");
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("open PostgreSQL store at {url}: {e}"));
        TestDb { store, url, pg_schema: Some(schema), _dir: None }
    }

    /// Closes the store and drops the PostgreSQL schema.
    pub async fn finish(self) {
        self.store.close().await;
        if let Some(schema) = self.pg_schema {
            let admin = connect_admin(&pg_base()).await;
            sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.expect("drop test schema");
            admin.close().await;
        }
    }
}

async fn connect_admin(base: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new().max_connections(1).connect(base).await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to the test PostgreSQL at {base}: {e}. Start one with scripts/pg.sh or set \
             FIELDVOICE_TEST_PG_URL; these tests never skip."
        )
    })
}

/// Runs each named async test function `fn(&TestDb)` once per backend, as `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::store::TestDb::sqlite().await;
                super::$name(&db).await;
                db.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::store::TestDb::postgres().await;
                super::$name(&db).await;
                db.finish().await;
            }
        }
    )*};
}

both_backends!(
    customers_and_assets_crud,
    csv_import_inserts_updates_and_refuses_bad_rows,
    logins_tokens_and_roles,
    report_lifecycle_with_audit_and_ticket,
    job_retries_backoff_dead_and_stale_leases,
    outbox_delivery_posts_report,
    concurrent_claims_take_each_job_once,
);

/// Adds a technician and accepts one upload for them; returns (technician_id, report_id, job_id).
pub async fn seed_upload(store: &Store) -> (i64, i64, i64) {
    let tech = store.create_technician("tech1", "Tess Tech", "4821").await.unwrap();
    let upload = store
        .accept_upload(
            &NewRecording {
                path: "recordings/a.wav".into(),
                sha256: "ab".repeat(32),
                bytes: 3200,
                duration_ms: 100,
                source: "upload".into(),
                technician_id: tech.technician_id,
            },
            "service_report",
            Some("en"),
        )
        .await
        .unwrap();
    (tech.technician_id, upload.report_id, upload.job_id)
}

async fn customers_and_assets_crud(db: &TestDb) {
    let s = &db.store;
    let acme = s.create_customer(&CustomerInput { name: " Acme Foods ".into(), contact: Some("ops@acme".into()) }).await.unwrap();
    assert_eq!(acme.name, "Acme Foods");
    let dup = s.create_customer(&CustomerInput { name: "Acme Foods".into(), contact: None }).await;
    assert!(matches!(dup, Err(StoreError::Conflict(ref m)) if m.contains("Acme Foods")), "{dup:?}");
    assert!(matches!(s.create_customer(&CustomerInput { name: "  ".into(), contact: None }).await, Err(StoreError::Invalid { .. })));

    let asset = s.create_asset(&AssetInput { tag: "hx-204".into(), customer_id: acme.customer_id, description: "heat exchanger".into() }).await.unwrap();
    assert_eq!((asset.tag.as_str(), asset.customer.as_str()), ("HX204", "Acme Foods"));
    let dup = s.create_asset(&AssetInput { tag: "HX 204".into(), customer_id: acme.customer_id, description: String::new() }).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let orphan = s.create_asset(&AssetInput { tag: "9".into(), customer_id: 999_999, description: String::new() }).await;
    assert!(matches!(orphan, Err(StoreError::NotFound { what: "customer", .. })), "{orphan:?}");
    assert_eq!(s.asset_by_tag("hx204").await.unwrap().map(|a| a.asset_id), Some(asset.asset_id));

    let bell = s.create_customer(&CustomerInput { name: "Bellview".into(), contact: None }).await.unwrap();
    let moved = s.update_asset(asset.asset_id, &AssetInput { tag: "HX204".into(), customer_id: bell.customer_id, description: "hx".into() }).await.unwrap();
    assert_eq!(moved.customer, "Bellview");
    assert_eq!(s.assets(Some(bell.customer_id)).await.unwrap().len(), 1);
    assert!(s.assets(Some(acme.customer_id)).await.unwrap().is_empty());
    let renamed = s.update_customer(acme.customer_id, &CustomerInput { name: "Acme Foods Ltd".into(), contact: None }).await.unwrap();
    assert_eq!(renamed.contact, None);

    let dir = s.directory().await.unwrap();
    assert_eq!(dir.customers.len(), 2);
    assert_eq!(dir.assets[0].customer, "Bellview");

    assert!(matches!(s.delete_customer(bell.customer_id).await, Err(StoreError::Conflict(_))));
    s.delete_asset(asset.asset_id).await.unwrap();
    s.delete_customer(bell.customer_id).await.unwrap();
    assert!(matches!(s.customer(bell.customer_id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(s.customers().await.unwrap().len(), 1);
}

async fn csv_import_inserts_updates_and_refuses_bad_rows(db: &TestDb) {
    let s = &db.store;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm");
    let customers = std::fs::read(root.join("customers.csv")).unwrap();
    let assets = std::fs::read(root.join("assets.csv")).unwrap();
    let n_customers = customers.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
    let n_assets = assets.iter().filter(|&&b| b == b'\n').count() as u64 - 1;

    let first = s.import_customers("customers.csv", customers.as_slice()).await.unwrap();
    assert_eq!((first.inserted, first.updated), (n_customers, 0));
    let again = s.import_customers("customers.csv", customers.as_slice()).await.unwrap();
    assert_eq!((again.inserted, again.updated), (0, n_customers));
    let a = s.import_assets("assets.csv", assets.as_slice()).await.unwrap();
    assert_eq!((a.inserted, a.updated), (n_assets, 0));
    assert_eq!(s.asset_by_tag("4471").await.unwrap().unwrap().customer, "Acme Foods");

    let bad = "tag,customer,description\n9001,Acme Foods,ok\n9002,Nobody Ltd,bad\n";
    let err = s.import_assets("bad.csv", bad.as_bytes()).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bad.csv") && msg.contains("Nobody Ltd") && msg.contains("row 3"), "{msg}");
    assert!(s.asset_by_tag("9001").await.unwrap().is_none(), "a refused file imports nothing");
    let err = s.import_customers("c.csv", "contact\nx@y\n".as_bytes()).await.unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
}

async fn logins_tokens_and_roles(db: &TestDb) {
    let s = &db.store;
    let tech = s.create_technician("tess", "Tess", "4821").await.unwrap();
    assert!(matches!(s.create_technician("tess", "Again", "1234").await, Err(StoreError::Conflict(_))));
    assert!(matches!(s.create_technician("bad", "PIN", "12a4").await, Err(StoreError::Invalid { .. })));
    s.create_user("rita", "Rita Reviewer", "correct horse", Role::Reviewer).await.unwrap();
    assert!(matches!(s.create_user("short", "S", "1234567", Role::Admin).await, Err(StoreError::Invalid { .. })));
    assert!(matches!(s.create_user("t2", "T", "long enough", Role::Technician).await, Err(StoreError::Invalid { .. })));

    assert!(s.login("tess", "0000").await.unwrap().is_none());
    assert!(s.login("nobody", "4821").await.unwrap().is_none());
    let (token, p) = s.login("tess", "4821").await.unwrap().expect("right PIN logs in");
    assert_eq!((p.role, p.technician_id), (Role::Technician, Some(tech.technician_id)));
    let back = s.authenticate(&token).await.unwrap().expect("token resolves");
    assert_eq!(back, p);
    assert!(s.authenticate("fv_0000").await.unwrap().is_none());

    let (rtoken, rp) = s.login("rita", "correct horse").await.unwrap().expect("password logs in");
    assert_eq!((rp.role, rp.technician_id), (Role::Reviewer, None));
    assert_ne!(rtoken, token);
    s.revoke_token(&rtoken).await.unwrap();
    assert!(s.authenticate(&rtoken).await.unwrap().is_none());
    assert!(s.authenticate(&token).await.unwrap().is_some());
}

async fn report_lifecycle_with_audit_and_ticket(db: &TestDb) {
    let s = &db.store;
    let acme = s.create_customer(&CustomerInput { name: "Acme Foods".into(), contact: None }).await.unwrap();
    let (tech, report_id, job_id) = seed_upload(s).await;
    let r = s.report(report_id).await.unwrap();
    assert_eq!((r.state, r.technician_id, r.audio_path.as_str()), (ReportState::Processing, tech, "recordings/a.wav"));
    assert_eq!(s.job(job_id).await.unwrap().state, JobState::Queued);

    let t = StoredTranscript { text: "asset 4471".into(), segments: json!([{"text": "asset 4471"}]), language: "en".into(), model: "tiny.en".into(), real_time_factor: 0.1 };
    s.save_transcript(r.recording_id, &t).await.unwrap();
    s.save_transcript(r.recording_id, &t).await.unwrap(); // a re-run job replaces, never duplicates
    assert_eq!(s.transcript(r.recording_id).await.unwrap().unwrap(), t);

    let fields = json!({"asset_tag": "4471", "labor_hours": 2.5});
    let details = json!({"asset_tag": {"confidence": 0.9, "source": "cue", "span": [6, 10]}});
    let problems = json!(["work_done: missing (required)"]);
    assert!(s.complete_report(report_id, "en", &fields, &details, &problems, Some(acme.customer_id), None).await.unwrap());
    assert!(!s.complete_report(report_id, "en", &json!({}), &details, &problems, None, None).await.unwrap(), "second run changes nothing");
    let r = s.report(report_id).await.unwrap();
    assert_eq!((r.state, &r.fields, r.customer_id), (ReportState::Draft, &fields, Some(acme.customer_id)));

    let edited = json!({"asset_tag": "4471", "labor_hours": 3.0, "work_done": "replaced filter"});
    let r = s.edit_report(report_id, "rita", &edited, &json!([]), Some(acme.customer_id), None).await.unwrap();
    assert_eq!(r.fields, edited);
    let audit = s.audit_events(report_id).await.unwrap();
    let changed: Vec<_> = audit.iter().map(|e| (e.field.as_deref().unwrap(), e.old_value.as_deref(), e.new_value.as_deref())).collect();
    assert_eq!(changed, vec![("labor_hours", Some("2.5"), Some("3.0")), ("work_done", None, Some("replaced filter"))]);
    assert!(audit.iter().all(|e| e.actor == "rita" && e.action == "edit"));

    let (filter_hit, total) = s.reports(&ReportFilter { state: Some(ReportState::Draft), technician_id: Some(tech), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!((filter_hit.len(), total), (1, 1));
    let (miss, total) = s.reports(&ReportFilter { state: Some(ReportState::Posted), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!((miss.len(), total), (0, 0));
    let (by_date, _) = s.reports(&ReportFilter { from: Some(r.created_at + 1), limit: 10, ..Default::default() }).await.unwrap();
    assert!(by_date.is_empty());

    let (r, ticket) = s.verify_report(report_id, "rita", &[]).await.unwrap();
    assert_eq!((r.state, ticket.number.as_str(), ticket.customer_id), (ReportState::Posted, format!("FV-{report_id:06}").as_str(), Some(acme.customer_id)));
    assert_eq!(s.ticket_for(report_id).await.unwrap().unwrap().number, ticket.number);
    assert!(matches!(s.verify_report(report_id, "rita", &[]).await, Err(StoreError::Conflict(_))));
    assert!(matches!(s.reject_report(report_id, "rita", "dup").await, Err(StoreError::Conflict(_))));
    assert!(matches!(s.edit_report(report_id, "rita", &edited, &json!([]), None, None).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.audit_events(report_id).await.unwrap().last().unwrap().action, "verify");
    assert!(matches!(s.report(report_id + 1000).await, Err(StoreError::NotFound { .. })));
}

async fn job_retries_backoff_dead_and_stale_leases(db: &TestDb) {
    let s = &db.store;
    let (_, report_id, job_id) = seed_upload(s).await;
    let job = s.claim_job("w1", 60_000).await.unwrap().expect("queued job is claimable");
    assert_eq!((job.job_id, job.attempts, job.state), (job_id, 1, JobState::Running));
    assert_eq!(job.payload, json!({"report_id": report_id}).to_string());
    assert!(s.claim_job("w2", 60_000).await.unwrap().is_none(), "a leased job is not claimed twice");
    assert!(!s.complete_job(job_id, "w2").await.unwrap(), "only the lease holder completes");

    assert_eq!(s.fail_job(job_id, "w1", "model missing", 3_600_000).await.unwrap(), Some(JobState::Queued));
    assert!(s.claim_job("w1", 60_000).await.unwrap().is_none(), "backoff delays the retry");
    let j = s.job(job_id).await.unwrap();
    assert_eq!((j.state, j.last_error.as_deref()), (JobState::Queued, Some("model missing")));

    for attempt in 2..=MAX_ATTEMPTS {
        assert_eq!(s.fail_job(job_id, "nobody", "x", 0).await.unwrap(), None, "only the lease holder fails it");
        s.retry_job(job_id).await.unwrap(); // stands in for the passage of the backoff
        let j = s.claim_job("w1", 60_000).await.unwrap().expect("due again");
        assert_eq!(j.attempts, attempt);
        let state = s.fail_job(job_id, "w1", "still failing", 0).await.unwrap().unwrap();
        let want = if attempt == MAX_ATTEMPTS { JobState::Dead } else { JobState::Queued };
        assert_eq!(state, want, "after attempt {attempt}");
    }
    assert_eq!(s.jobs_in(JobState::Dead, 10).await.unwrap().len(), 1);
    assert!(s.claim_job("w1", 0).await.unwrap().is_none(), "dead jobs are never claimed");

    // A worker that died mid-job: its lease goes stale and another worker takes the job over.
    let other = s.enqueue("process_report", "{}").await.unwrap();
    assert_eq!(s.claim_job("crashed", 60_000).await.unwrap().unwrap().job_id, other);
    assert!(s.claim_job("w2", 60_000).await.unwrap().is_none());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let taken = s.claim_job("w2", 1).await.unwrap().expect("stale lease is reclaimed");
    assert_eq!((taken.job_id, taken.attempts), (other, 2));
    assert!(!s.complete_job(other, "crashed").await.unwrap(), "the dead worker lost its lease");
    assert!(s.complete_job(other, "w2").await.unwrap());
    let depth = s.queue_depth().await.unwrap();
    assert_eq!((depth.queued, depth.running, depth.done, depth.dead), (0, 0, 1, 1));
}

async fn outbox_delivery_posts_report(db: &TestDb) {
    let s = &db.store;
    let (_, report_id, _) = seed_upload(s).await;
    s.complete_report(report_id, "en", &json!({"asset_tag": "1"}), &json!({}), &json!([]), None, None).await.unwrap();
    let deliveries = vec![
        NewDelivery { event: "report.verified".into(), target_url: "http://127.0.0.1:9/a".into(), payload: "{\"a\":1}".into() },
        NewDelivery { event: "report.verified".into(), target_url: "http://127.0.0.1:9/b".into(), payload: "{\"b\":1}".into() },
    ];
    let (r, _) = s.verify_report(report_id, "rita", &deliveries).await.unwrap();
    assert_eq!(r.state, ReportState::Verified);
    let first = s.claim_delivery(60_000).await.unwrap().expect("due delivery");
    let second = s.claim_delivery(60_000).await.unwrap().expect("second due delivery");
    assert!(s.claim_delivery(60_000).await.unwrap().is_none(), "leased deliveries are not handed out twice");
    assert_ne!(first.idempotency_key, second.idempotency_key);
    s.delivery_sent(first.outbox_id).await.unwrap();
    assert_eq!(s.report(report_id).await.unwrap().state, ReportState::Verified, "one delivery still pending");
    s.delivery_failed(second.outbox_id, "connection refused", 0, 2).await.unwrap();
    let retry = s.claim_delivery(60_000).await.unwrap().expect("retried");
    assert_eq!((retry.outbox_id, retry.attempts, retry.last_error.as_deref()), (second.outbox_id, 2, Some("connection refused")));
    s.delivery_failed(second.outbox_id, "connection refused", 0, 2).await.unwrap();
    let dead = s.deliveries(None).await.unwrap();
    assert_eq!(dead.iter().map(|d| (d.outbox_id, d.state.as_str())).collect::<Vec<_>>(), vec![(second.outbox_id, "dead")]);
    assert!(s.claim_delivery(60_000).await.unwrap().is_none());
    assert_eq!(s.report(report_id).await.unwrap().state, ReportState::Verified, "a dead delivery keeps it verified");
    assert_eq!(s.deliveries(Some(report_id)).await.unwrap().len(), 2);
}

async fn concurrent_claims_take_each_job_once(db: &TestDb) {
    const JOBS: usize = 60;
    for i in 0..JOBS {
        db.store.enqueue("noop", &format!("{{\"n\":{i}}}")).await.unwrap();
    }
    // Two separate pools stand for two worker processes; each runs two claim loops.
    let other = Store::connect(&db.url).await.unwrap();
    let mut tasks = Vec::new();
    for (w, store) in [db.store.clone(), db.store.clone(), other.clone(), other.clone()].into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = store.claim_job(&format!("w{w}"), 600_000).await.unwrap() {
                mine.push(job.job_id);
                assert!(store.complete_job(job.job_id, &format!("w{w}")).await.unwrap());
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    other.close().await;
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!((n, all.len()), (JOBS, JOBS), "every job claimed exactly once");
    assert_eq!(db.store.queue_depth().await.unwrap().done, JOBS as i64);
}
