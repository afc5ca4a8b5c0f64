//! Nothing lost: a report made while the service is down waits in the queue and is sent once on the next
//! run or `--flush`; a `fieldvoice dictate` killed (SIGKILL) while its upload was in flight leaves the report
//! queued, and flushing it makes no second report; a rejected token keeps the report queued; and
//! `--database-url` writes through the store directly.

use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use super::{REPORT, command, dictate, files, report_count, serve, speech, text, unattended};
use crate::api::api;
use crate::store::TestDb;

/// A port nothing listens on.
async fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_queues_then_flush_sends_exactly_once() {
    let db = TestDb::sqlite().await;
    let a = api(&db, 8 << 20).await;
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("queue");
    let wav = speech(dir.path(), "report", REPORT);
    let mut args = unattended(dir.path(), &wav);
    args.extend(["--server".into(), dead_url().await, "--token".into(), a.tech.clone()]);
    let out = dictate(args).await;
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "queued is not a failure: {stderr}");
    assert!(stderr.contains("unreachable") && stderr.contains("stays queued"), "{stderr}");
    assert_eq!((files(&queue, "json").len(), files(&queue, "wav").len()), (1, 1));

    let url = serve(&a).await;
    let flush = || dictate(vec!["--flush".into(), "--queue-dir".into(), queue.display().to_string(), "--server".into(), url.clone(), "--token".into(), a.tech.clone()]);
    let out = flush().await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sent as report"), "{}", text(&out.stdout));
    assert_eq!(report_count(&db).await, 1);
    assert!(files(&queue, "json").is_empty() && files(&queue, "wav").is_empty(), "queue empty");
    let out = flush().await;
    assert!(out.status.success());
    assert_eq!(report_count(&db).await, 1, "a second flush sends nothing");
    db.finish().await;
}

/// Forwards each request to `upstream` but never returns the reply: the service stores the report while the
/// client waits, as when a connection drops after the upload got through.
async fn reply_swallowing_proxy(upstream: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else { return };
                let (mut client_read, _client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
                let mut sink = Vec::new();
                let _ = server_read.read_to_end(&mut sink).await;
                std::future::pending::<()>().await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_dictate_keeps_the_queue_and_flush_makes_no_second_report() {
    let db = TestDb::sqlite().await;
    let a = api(&db, 8 << 20).await;
    let url = serve(&a).await;
    let proxy = reply_swallowing_proxy(url.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("queue");
    let wav = speech(dir.path(), "report", REPORT);
    let mut args = unattended(dir.path(), &wav);
    args.extend(["--server".into(), proxy, "--token".into(), a.tech.clone()]);
    let mut child = command(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while report_count(&db).await == 0 {
        assert!(started.elapsed() < Duration::from_secs(180), "the upload never reached the service");
        assert!(child.try_wait().unwrap().is_none(), "dictate exited before it was killed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed: {status:?}");
    assert_eq!(report_count(&db).await, 1);
    assert_eq!((files(&queue, "json").len(), files(&queue, "wav").len()), (1, 1), "the report is still queued after the kill");

    // The next run sends it again under the same key: the service answers with the report it already has.
    let out = dictate(vec!["--flush".into(), "--queue-dir".into(), queue.display().to_string(), "--server".into(), url, "--token".into(), a.tech.clone()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("was already there as report"), "{}", text(&out.stdout));
    assert_eq!(report_count(&db).await, 1, "exactly one report");
    assert!(files(&queue, "json").is_empty() && files(&queue, "wav").is_empty(), "queue empty");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_token_says_so_and_keeps_the_report() {
    let db = TestDb::sqlite().await;
    let a = api(&db, 8 << 20).await;
    let url = serve(&a).await;
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("queue");
    let wav = speech(dir.path(), "report", REPORT);
    let mut args = unattended(dir.path(), &wav);
    args.extend(["--server".into(), url.clone(), "--token".into(), "not-a-real-token".into()]);
    let out = dictate(args).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "a rejected token must fail the run\nstdout: {}\nstderr: {stderr}", text(&out.stdout));
    assert!(stderr.contains("rejected the token") && stderr.contains("stays queued"), "{stderr}");
    assert_eq!((files(&queue, "json").len(), files(&queue, "wav").len()), (1, 1));
    assert_eq!(report_count(&db).await, 0);
    // With the right token, the next run's automatic flush sends it (before recording anything new).
    let out = dictate(vec!["--flush".into(), "--queue-dir".into(), queue.display().to_string(), "--server".into(), url, "--token".into(), a.tech.clone()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(report_count(&db).await, 1);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_url_writes_the_draft_through_the_store() {
    let db = TestDb::sqlite().await;
    let a = api(&db, 8 << 20).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let wav = speech(dir.path(), "report", REPORT);
    let mut args = unattended(dir.path(), &wav);
    args.extend(["--database-url".into(), db.url.clone(), "--data-dir".into(), data.display().to_string(), "--token".into(), a.tech.clone()]);
    let out = dictate(args).await;
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    let filter = fieldvoice::store::ReportFilter { limit: 10, ..Default::default() };
    let (reports, total) = db.store.reports(&filter).await.unwrap();
    assert_eq!(total, 1);
    let r = &reports[0];
    assert_eq!(r.state, fieldvoice::store::ReportState::Draft);
    assert_eq!(r.fields["customer"], "Acme Foods");
    assert!(data.join(&r.audio_path).is_file(), "recording under --data-dir");
    assert_eq!(db.store.recording_source(r.recording_id).await.unwrap(), "device");
    db.finish().await;
}
