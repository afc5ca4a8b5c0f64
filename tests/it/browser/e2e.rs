//! The review pages in a real browser (Debian chromium driven by playwright-core scripts under
//! tests/browser/): a report produced from real audio by the real pipeline (tiny.en on
//! tests/fixtures/demo_report.wav) is corrected with the keyboard and approved, and its ticket is then
//! checked through the API; an injection report runs no script; a Chinese report is shown and edited under
//! a Chinese-language reviewer. The router is served on 127.0.0.1:0 in-process.

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use fieldvoice::jobs::{Outcome, WorkerOptions, run_once};
use fieldvoice::model;
use fieldvoice::store::{Language, Role};
use fieldvoice::transcribe::{LoadOptions, WhisperTranscriber};
use serde_json::json;

use super::{IMG, SCRIPT, seed_report};
use crate::api::api;
use crate::api::pipeline::{load_crm, pipeline};
use crate::store::TestDb;
use crate::support;

const ZH_TEXT: &str = "资产四四七一，客户是阿克米食品，故障是风扇电机卡死。";
const ZH_FAULT: &str = "冷凝风扇电机卡死，已更换";

/// Runs `node tests/browser/SCRIPT.mjs` with `env`; returns whether it exited 0, printing its output.
async fn node(script: &str, env: Vec<(&'static str, String)>) -> bool {
    let root = support::root();
    assert!(
        root.join("tests/browser/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix tests/browser` (scripts/setup.sh does)"
    );
    let script = root.join(format!("tests/browser/{script}.mjs"));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node").arg(&script).current_dir(support::root()).envs(env).output()
    })
    .await
    .unwrap()
    .expect("node runs");
    println!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out.status.success()
}

async fn review_in_a_real_browser(db: &TestDb) {
    let a = api(db, 8 << 20).await;
    load_crm(db).await;
    // A report from real speech through the real pipeline.
    let model_path = model::resolve("tiny.en", &model::models_dir()).expect("tiny.en is installed (scripts/setup.sh tiny.en)");
    let whisper = WhisperTranscriber::load(&model_path, LoadOptions { threads: 2, ..LoadOptions::default() }).expect("load tiny.en");
    let p = pipeline(&a, Arc::new(whisper));
    let wav = std::fs::read(support::root().join("tests/fixtures/demo_report.wav")).unwrap();
    let (st, up) = a.upload(&a.tech, "?language=en", wav).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{up}");
    let id = up["report_id"].as_i64().unwrap();
    let outcome = run_once(&p, &WorkerOptions { id: "browser".into(), ..Default::default() }).await.unwrap();
    assert!(matches!(outcome, Some(Outcome::Done { .. })), "{outcome:?}");
    let (_, draft) = a.get(&format!("/api/v1/reports/{id}"), &a.reviewer).await;
    assert_eq!(draft["state"], "draft", "{draft}");

    // Text inserted through the store: an injection attempt and a Chinese report.
    let text = format!("Fault is {SCRIPT} and {IMG} today.");
    let details = json!({"fault": {"span": {"start": 9, "end": 9 + SCRIPT.chars().count()}, "confidence": 0.4, "text": IMG}});
    let injection = seed_report(&db.store, a.tech_id, "en", &text, json!({"fault": IMG, "action": SCRIPT}), details).await;
    let zh_details = json!({"fault": {"span": {"start": 19, "end": 25}, "confidence": 0.7, "text": "风扇电机卡死"}});
    let zh = seed_report(&db.store, a.tech_id, "zh", ZH_TEXT, json!({"fault": "风扇电机卡死"}), zh_details).await;
    db.store.create_user_in("wei", "王伟", "wei-pass-12", Role::Reviewer, Language::Zh).await.unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, a.router.clone()).into_future());
    let artifacts: PathBuf = support::root().join("tests/artifacts");
    let env = |extra: Vec<(&'static str, String)>| {
        let mut v = vec![
            ("FV_BASE_URL", format!("http://{addr}")),
            ("FV_ARTIFACTS", artifacts.display().to_string()),
            ("FV_LOGIN", "rita".to_string()),
            ("FV_PASSWORD", "review-pass-1".to_string()),
        ];
        v.extend(extra);
        v
    };

    let review_ok = node("review", env(vec![("FV_REPORT_ID", id.to_string())])).await;
    let injection_ok = node("injection", env(vec![("FV_INJECTION_ID", injection.to_string())])).await;
    let zh_ok = node(
        "zh",
        env(vec![
            ("FV_ZH_ID", zh.to_string()),
            ("FV_ZH_LOGIN", "wei".into()),
            ("FV_ZH_PASSWORD", "wei-pass-12".into()),
            ("FV_ZH_TEXT", ZH_TEXT.into()),
            ("FV_ZH_FAULT", ZH_FAULT.into()),
        ]),
    )
    .await;
    server.abort();
    assert!(review_ok && injection_ok && zh_ok, "browser scripts: review {review_ok}, injection {injection_ok}, zh {zh_ok}");

    // What the browser did, seen through the API.
    let (_, r) = a.get(&format!("/api/v1/reports/{id}"), &a.reviewer).await;
    assert!(matches!(r["state"].as_str(), Some("posted" | "verified")), "{r}");
    assert_eq!(r["fields"]["labor_hours"], 3.5, "typed as words, stored as a number");
    assert!(r["ticket"]["number"].as_str().is_some_and(|n| n.starts_with("FV-")), "{}", r["ticket"]);
    assert!(r["audit"].as_array().unwrap().iter().any(|e| e["actor"] == "rita" && e["action"] == "verify"));
    assert!(artifacts.join("report-page.png").is_file(), "screenshot saved");
    let (_, inj) = a.get(&format!("/api/v1/reports/{injection}"), &a.reviewer).await;
    assert_eq!(inj["fields"]["fault"], IMG, "stored as typed, only shown as text");
    assert_eq!((inj["state"].as_str(), inj["reason"].as_str()), (Some("rejected"), Some("Test report <b>not</b> real")));
    let (_, z) = a.get(&format!("/api/v1/reports/{zh}"), &a.reviewer).await;
    assert_eq!(z["fields"]["fault"], ZH_FAULT);
}

/// Both backends, like `both_backends!`, written out so the module can say why: each run loads Whisper.
mod review_in_a_real_browser {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let db = crate::store::TestDb::sqlite().await;
        super::review_in_a_real_browser(&db).await;
        db.finish().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let db = crate::store::TestDb::postgres().await;
        super::review_in_a_real_browser(&db).await;
        db.finish().await;
    }
}
