//! The pipeline behind the API, on SQLite and on PostgreSQL: workers turn uploads into drafts exactly
//! once, failures retry and die visibly, two worker pools share a queue, SIGKILL loses nothing, and verified
//! reports reach a webhook signed and retried.

use axum::Router;
use axum::http::StatusCode;
use fieldvoice::http::app;
use serde_json::{Value, json};

use super::{Api, api, tone_wav};
use crate::both_backends;
use crate::store::TestDb;

both_backends!(
    worker_turns_an_upload_into_a_draft_once,
    two_worker_processes_never_share_a_job,
    failing_jobs_retry_then_die_visibly,
);

/// A pipeline over the API's store and data directory with `transcriber`, "today" fixed.
pub fn pipeline(a: &Api, transcriber: std::sync::Arc<dyn fieldvoice::transcribe::Transcriber>) -> fieldvoice::jobs::Pipeline {
    fieldvoice::jobs::Pipeline {
        store: a.state.store.clone(),
        data_dir: a.data.path().to_path_buf(),
        transcriber,
        forms: a.state.forms.clone(),
        reference_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
    }
}

/// Loads the repository's CRM fixtures into the store.
pub async fn load_crm(db: &TestDb) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm");
    db.store.import_customers("customers.csv", std::fs::read(root.join("customers.csv")).unwrap().as_slice()).await.unwrap();
    db.store.import_assets("assets.csv", std::fs::read(root.join("assets.csv")).unwrap().as_slice()).await.unwrap();
}

const REPORT_TEXT: &str = "Asset 4471 for Acme Foods. Found the condenser fan motor seized. Replaced the condenser fan motor, \
     used two filter driers. Labor two and a half hours. Job is closed.";

async fn worker_turns_an_upload_into_a_draft_once(db: &TestDb) {
    use fieldvoice::jobs::{Outcome, WorkerOptions, run_once};
    use fieldvoice::transcribe::FakeTranscriber;
    let a = api(db, 1 << 20).await;
    load_crm(db).await;
    let fake = std::sync::Arc::new(FakeTranscriber::scripted([REPORT_TEXT]));
    let p = pipeline(&a, fake.clone());
    let opts = WorkerOptions { id: "w1".into(), ..Default::default() };
    assert_eq!(run_once(&p, &opts).await.unwrap(), None, "empty queue");
    let (_, up) = a.upload(&a.tech, "?language=en", tone_wav(2.0)).await;
    let id = up["report_id"].as_i64().unwrap();
    let outcome = run_once(&p, &opts).await.unwrap();
    assert_eq!(outcome, Some(Outcome::Done { job_id: up["job_id"].as_i64().unwrap() }));

    let (st, r) = a.get(&format!("/api/v1/reports/{id}"), &a.tech).await;
    assert_eq!((st, r["state"].as_str()), (StatusCode::OK, Some("draft")), "{r}");
    assert_eq!(r["fields"]["asset"], "4471");
    assert_eq!(r["fields"]["customer"], "Acme Foods");
    assert_eq!(r["fields"]["labor_hours"], 2.5);
    assert_eq!(r["fields"]["status"], "closed");
    assert_eq!(r["fields"]["parts"], json!([{"quantity": 2, "name": "filter drier"}]));
    assert!(r["details"]["asset"]["confidence"].as_f64().unwrap() > 0.5, "{}", r["details"]);
    assert_eq!(r["transcript"]["text"], REPORT_TEXT);
    assert_eq!(r["transcript"]["model"], "fake");
    let acme = db.store.customers().await.unwrap().into_iter().find(|c| c.name == "Acme Foods").unwrap();
    assert_eq!(r["customer_id"].as_i64(), Some(acme.customer_id));
    assert!(r["asset_id"].is_i64());

    // The same job run again (as after a crash between its steps) changes nothing and transcribes nothing.
    db.store.enqueue(fieldvoice::jobs::PROCESS_REPORT, &json!({"report_id": id}).to_string()).await.unwrap();
    assert!(matches!(run_once(&p, &opts).await.unwrap(), Some(Outcome::Done { .. })));
    assert_eq!(fake.calls(), 1);
    let (_, again) = a.get(&format!("/api/v1/reports/{id}"), &a.tech).await;
    assert_eq!(again["fields"], r["fields"]);
    let (_, text) = a.call("GET", "/metrics", None, None, Vec::new()).await;
    assert!(text.as_str().unwrap().contains("fieldvoice_transcription_real_time_factor "), "{text}");
}

async fn failing_jobs_retry_then_die_visibly(db: &TestDb) {
    use fieldvoice::jobs::{Outcome, WorkerOptions, run_once};
    use fieldvoice::store::{JobState, MAX_ATTEMPTS};
    use fieldvoice::transcribe::FakeTranscriber;
    let a = api(db, 1 << 20).await;
    // An empty script: every transcription fails.
    let p = pipeline(&a, std::sync::Arc::new(FakeTranscriber::scripted(Vec::<String>::new())));
    let opts = WorkerOptions { id: "w1".into(), backoff: std::time::Duration::ZERO, ..Default::default() };
    let (_, up) = a.upload(&a.tech, "", tone_wav(1.0)).await;
    let (id, job_id) = (up["report_id"].as_i64().unwrap(), up["job_id"].as_i64().unwrap());
    for attempt in 1..=MAX_ATTEMPTS {
        let outcome = run_once(&p, &opts).await.unwrap().expect("a due job");
        let Outcome::Failed { state, error, .. } = outcome else { panic!("attempt {attempt}: {outcome:?}") };
        assert!(error.contains("script used up"), "{error}");
        assert_eq!(state, if attempt == MAX_ATTEMPTS { JobState::Dead } else { JobState::Queued });
    }
    assert_eq!(run_once(&p, &opts).await.unwrap(), None);
    let (_, dead) = a.get("/api/v1/jobs/dead", &a.reviewer).await;
    assert_eq!(dead["items"][0]["job_id"].as_i64(), Some(job_id), "{dead}");
    let (_, r) = a.get(&format!("/api/v1/reports/{id}"), &a.reviewer).await;
    assert_eq!(r["state"], "failed");
    assert!(r["reason"].as_str().unwrap().contains("script used up"), "{r}");
    // An admin retries once more (now with a working transcriber); the report is processed.
    assert_eq!(a.call("POST", &format!("/api/v1/jobs/{job_id}/retry"), Some(&a.reviewer), None, Vec::new()).await.0, StatusCode::FORBIDDEN);
    let (st, _) = a.call("POST", &format!("/api/v1/jobs/{job_id}/retry"), Some(&a.admin), None, Vec::new()).await;
    assert_eq!(st, StatusCode::OK);
    let p = pipeline(&a, std::sync::Arc::new(FakeTranscriber::scripted([REPORT_TEXT])));
    assert!(matches!(run_once(&p, &opts).await.unwrap(), Some(Outcome::Done { .. })));
    let (_, r) = a.get(&format!("/api/v1/reports/{id}"), &a.reviewer).await;
    assert_eq!((r["state"].as_str(), &r["reason"]), (Some("draft"), &Value::Null), "a retried job completes the failed report");
}

/// The built binary as a child process, killed (SIGKILL) when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> Child {
    let child = std::process::Command::new(crate::support::bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start fieldvoice");
    Child(child)
}

/// Starts `fieldvoice serve` with no workers; returns it and its address.
fn start_server(db_url: &str, data: &std::path::Path) -> (Child, String) {
    use std::io::BufRead;
    let mut child = spawn(&["serve", "--listen", "127.0.0.1:0", "--workers", "0", "--database-url", db_url, "--data-dir", data.to_str().unwrap()]);
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|s| s.split('/').next()).unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, addr.to_string())
}

/// One HTTP/1.1 request over a fresh connection; returns the status and the body.
fn http(addr: &str, method: &str, path: &str, token: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

both_backends!(sigkill_at_any_point_loses_nothing);

/// kill -9 the server right after it accepted uploads, then a worker in the middle of Whisper; after
/// restarts every accepted recording is on disk and becomes a draft with the right fields.
async fn sigkill_at_any_point_loses_nothing(db: &TestDb) {
    let model = crate::support::root().join("models/ggml-tiny.en.bin");
    assert!(model.exists(), "{} is missing: run scripts/setup.sh tiny.en (make test does)", model.display());
    load_crm(db).await;
    db.store.create_technician("tess", "Tess", "4821").await.unwrap();
    let (token, _) = db.store.login("tess", "4821").await.unwrap().unwrap();
    let data = tempfile::tempdir().unwrap();
    let wav = std::fs::read(crate::support::root().join("tests/fixtures/demo_report.wav")).unwrap();

    let (server, addr) = start_server(&db.url, data.path());
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (status, body) = http(&addr, "POST", "/api/v1/reports?language=en", &token, "audio/wav", &wav);
        assert_eq!(status, 202, "{body}");
        ids.push(serde_json::from_str::<Value>(&body).unwrap()["report_id"].as_i64().unwrap());
    }
    drop(server); // SIGKILL right after the 202s
    for id in &ids {
        let r = db.store.report(*id).await.expect("accepted report survives");
        assert_eq!(std::fs::read(data.path().join(&r.audio_path)).unwrap(), wav, "accepted audio survives");
    }
    let (server, addr) = start_server(&db.url, data.path());
    let (status, _) = http(&addr, "GET", &format!("/api/v1/reports/{}", ids[0]), &token, "text/plain", b"");
    assert_eq!(status, 200, "restarted server serves the report");

    // A worker is killed while it holds a job (inside transcription); a second one takes the job over
    // once the lease (1 s) has gone stale.
    let worker = ["worker", "--database-url", &db.url, "--data-dir", data.path().to_str().unwrap(), "--model", model.to_str().unwrap(), "--job-lease-secs", "1"];
    let first = spawn(&worker);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while db.store.queue_depth().await.unwrap().running == 0 {
        assert!(std::time::Instant::now() < deadline, "the worker never claimed a job");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(first); // SIGKILL mid-job
    let running = db.store.queue_depth().await.unwrap();
    assert!(running.running >= 1 || running.done >= 1, "{running:?}");
    let _second = spawn(&worker);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let mut states = Vec::new();
        for id in &ids {
            states.push(db.store.report(*id).await.unwrap().state);
        }
        if states.iter().all(|s| *s == fieldvoice::store::ReportState::Draft) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "reports not processed after restart: {states:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for id in &ids {
        let (status, body) = http(&addr, "GET", &format!("/api/v1/reports/{id}"), &token, "text/plain", b"");
        assert_eq!(status, 200);
        let r: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((r["fields"]["asset"].as_str(), r["fields"]["customer"].as_str()), (Some("4471"), Some("Acme Foods")), "{r}");
        assert_eq!(r["fields"]["labor_hours"], 2.5);
    }
    let depth = db.store.queue_depth().await.unwrap();
    assert_eq!((depth.done, depth.dead, depth.queued, depth.running), (2, 0, 0, 0));
    drop(server);
}

both_backends!(verified_reports_are_delivered_signed_with_retries);

/// What the test webhook endpoint saw: (headers we care about, body).
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(std::collections::BTreeMap<String, String>, String)>>>;

/// A webhook endpoint on loopback that answers 503 to the first request and 200 after.
async fn webhook_endpoint() -> (String, Seen) {
    let seen: Seen = Default::default();
    let log = seen.clone();
    let handler = move |headers: axum::http::HeaderMap, body: String| {
        let log = log.clone();
        async move {
            let keep = ["idempotency-key", "x-fieldvoice-event", "x-fieldvoice-signature"];
            let h = keep.iter().filter_map(|k| Some((k.to_string(), headers.get(*k)?.to_str().ok()?.to_string()))).collect();
            let mut log = log.lock().unwrap();
            log.push((h, body));
            if log.len() == 1 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, Router::new().route("/hook", axum::routing::post(handler))).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

async fn verified_reports_are_delivered_signed_with_retries(db: &TestDb) {
    use fieldvoice::jobs::deliver::{DeliveryOptions, deliver_once, signature};
    let mut a = api(db, 1 << 20).await;
    load_crm(db).await;
    let (url, seen) = webhook_endpoint().await;
    a.state.webhook_urls = std::sync::Arc::new(vec![url.clone()]);
    a.state.confirm_to_customer = true;
    a.router = app(a.state.clone());
    let (_, up) = a.upload(&a.tech, "", tone_wav(1.0)).await;
    let id = up["report_id"].as_i64().unwrap();
    let acme = db.store.customers().await.unwrap().into_iter().find(|c| c.name == "Acme Foods").unwrap();
    db.store.complete_report(id, "en", &json!({"asset": "4471", "customer": "Acme Foods"}), &json!({}), &json!([]), Some(acme.customer_id), None).await.unwrap();
    let (st, body) = a.call("POST", &format!("/api/v1/reports/{id}/verify"), Some(&a.reviewer), None, Vec::new()).await;
    assert_eq!((st, body["state"].as_str()), (StatusCode::OK, Some("verified")), "{body}");

    let opts = DeliveryOptions { backoff: std::time::Duration::ZERO, max_attempts: 3, ..DeliveryOptions::new("s3cret") };
    let (first_id, err) = deliver_once(&db.store, &opts).await.unwrap().expect("a due delivery");
    assert_eq!(err.as_deref(), Some("endpoint answered 503"));
    let mut delivered = Vec::new();
    while let Some((oid, err)) = deliver_once(&db.store, &opts).await.unwrap() {
        assert_eq!(err, None);
        delivered.push(oid);
    }
    delivered.sort();
    assert_eq!(delivered.len(), 2, "report.verified and report.confirmed");
    assert!(delivered.contains(&first_id), "the failed one was retried");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for (headers, body) in &seen {
        assert_eq!(headers["x-fieldvoice-signature"], signature("s3cret", body.as_bytes()), "signature checks out");
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["event"].as_str(), Some(headers["x-fieldvoice-event"].as_str()));
        assert_eq!(payload["ticket_number"], format!("FV-{id:06}"));
        assert_eq!(payload["customer"]["contact"], "ops@acmefoods.example");
        assert_eq!(payload["fields"]["asset"], "4471");
    }
    let retried: Vec<&str> = seen.iter().filter(|(h, _)| h["x-fieldvoice-event"] == seen[0].0["x-fieldvoice-event"]).map(|(h, _)| h["idempotency-key"].as_str()).collect();
    assert_eq!(retried.len(), 2);
    assert_eq!(retried[0], retried[1], "the retry carries the same idempotency key");
    let (_, r) = a.get(&format!("/api/v1/reports/{id}"), &a.reviewer).await;
    assert_eq!(r["state"], "posted", "{r}");
    assert!(r["deliveries"].as_array().unwrap().iter().all(|d| d["state"] == "sent"));

    // An endpoint that is down: retried until dead, shown in the dead-letter view; the report stays verified.
    let (_, up) = a.upload(&a.tech, "", tone_wav(1.0)).await;
    let id2 = up["report_id"].as_i64().unwrap();
    db.store.complete_report(id2, "en", &json!({}), &json!({}), &json!([]), None, None).await.unwrap();
    a.state.webhook_urls = std::sync::Arc::new(vec!["http://127.0.0.1:9/down".into()]);
    a.router = app(a.state.clone());
    a.call("POST", &format!("/api/v1/reports/{id2}/verify"), Some(&a.reviewer), None, Vec::new()).await;
    for _ in 0..3 {
        let (_, err) = deliver_once(&db.store, &opts).await.unwrap().expect("due");
        assert!(err.unwrap().starts_with("connect 127.0.0.1:9"));
    }
    assert!(deliver_once(&db.store, &opts).await.unwrap().is_none());
    let (_, dead) = a.get("/api/v1/deliveries/dead", &a.reviewer).await;
    assert_eq!(dead["items"].as_array().unwrap().len(), 1, "{dead}");
    assert_eq!(a.get(&format!("/api/v1/reports/{id2}"), &a.reviewer).await.1["state"], "verified");
}

/// Two worker pools on separate connections (as two machines would be) drain the queue together: every
/// recording is transcribed exactly once.
async fn two_worker_processes_never_share_a_job(db: &TestDb) {
    use fieldvoice::jobs::{WorkerOptions, run};
    use fieldvoice::transcribe::FakeTranscriber;
    const UPLOADS: usize = 12;
    let a = api(db, 1 << 20).await;
    load_crm(db).await;
    for _ in 0..UPLOADS {
        assert_eq!(a.upload(&a.tech, "", tone_wav(0.5)).await.0, StatusCode::ACCEPTED);
    }
    let fake = std::sync::Arc::new(FakeTranscriber::by_duration(|_| REPORT_TEXT.to_string()));
    let (stop, rx) = tokio::sync::watch::channel(false);
    let mut handles = Vec::new();
    let mut stores = Vec::new();
    for machine in 0..2 {
        let store = fieldvoice::store::Store::connect(&db.url).await.unwrap();
        stores.push(store.clone());
        let mut p = pipeline(&a, fake.clone());
        p.store = store;
        let p = std::sync::Arc::new(p);
        for w in 0..2 {
            let opts = WorkerOptions { id: format!("m{machine}w{w}"), poll: std::time::Duration::from_millis(10), ..Default::default() };
            handles.push(tokio::spawn(run(p.clone(), opts, rx.clone())));
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while db.store.queue_depth().await.unwrap().done < UPLOADS as i64 {
        assert!(std::time::Instant::now() < deadline, "queue not drained: {:?}", db.store.queue_depth().await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    for h in handles {
        h.await.unwrap();
    }
    for s in stores {
        s.close().await;
    }
    assert_eq!(fake.calls(), UPLOADS, "each recording transcribed exactly once");
    let (_, list) = a.get("/api/v1/reports?state=draft&per_page=100", &a.reviewer).await;
    assert_eq!(list["total"], UPLOADS as i64);
    let depth = db.store.queue_depth().await.unwrap();
    assert_eq!((depth.running, depth.queued, depth.dead), (0, 0, 0));
}
