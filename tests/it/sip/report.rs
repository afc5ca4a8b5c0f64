//! Issue 6 end to end over SIP: sipp calls the endpoint running the real `CallRunner` (espeak-ng prompts,
//! Whisper tiny.en), logs in with RFC 4733 keys, dictates a spoken report (espeak-ng -> sox -> 8 kHz mu-law,
//! streamed as RTP) that leaves out the asset, types the asset, 1 to confirm and 9 to end the call ahead while
//! Whisper runs, and answers the IVR's BYE; the test then finds the draft with the right fields through the
//! HTTP API and the call's turns in the store, on SQLite and PostgreSQL.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::StatusCode;
use fieldvoice::dialog::Ivr;
use fieldvoice::extract::form::find_form;
use fieldvoice::model;
use fieldvoice::speech::EspeakRenderer;
use fieldvoice::telephony::call::CallRunner;
use fieldvoice::telephony::sip::scenario::{REPORT, ReportCall, fill};
use fieldvoice::telephony::sip::{SipConfig, SipEndpoint};
use fieldvoice::transcribe::{LoadOptions, Transcriber, WhisperTranscriber};

use super::{sipp, speech_wav};
use crate::store::TestDb;
use crate::support::root;


fn tiny() -> Arc<dyn Transcriber> {
    static TINY: OnceLock<Arc<WhisperTranscriber>> = OnceLock::new();
    TINY.get_or_init(|| {
        let path = model::resolve("tiny.en", &model::models_dir()).expect("tiny.en is installed (scripts/setup.sh tiny.en)");
        Arc::new(WhisperTranscriber::load(&path, LoadOptions { threads: 2, ..LoadOptions::default() }).expect("load tiny.en"))
    })
    .clone()
}

async fn phone_in_a_report_over_sip(db: &TestDb) {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("fieldvoice=info").try_init();
    let api = crate::api::api(db, 1 << 20).await;
    let crm = root().join("tests/fixtures/crm");
    db.store.import_customers("customers.csv", std::fs::read(crm.join("customers.csv")).unwrap().as_slice()).await.unwrap();
    db.store.import_assets("assets.csv", std::fs::read(crm.join("assets.csv")).unwrap().as_slice()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let runner = CallRunner::new(
        db.store.clone(),
        tiny(),
        Arc::new(EspeakRenderer::new(Some(data.path().join("prompt-cache")), None)),
        Ivr::builtin(),
        find_form("service_report", None).unwrap(),
        data.path().to_path_buf(),
    );
    let mut config = SipConfig::new("127.0.0.1:0".parse().unwrap());
    config.rtp_timeout = Duration::from_secs(60);
    let ep = SipEndpoint::start(config, Arc::new(runner.clone())).await.unwrap();

    let wav = speech_wav(data.path(), "report.wav", REPORT);
    let report_ms = (super::wav_data(&wav).len() / 8) as u64;
    let call = ReportCall {
        technician: api.tech_id.to_string(),
        pin: "4821".into(),
        answer: "4471".into(),
        report_ms,
        login_wait_ms: 2500,
        bye_wait_ms: 120_000,
    };
    let template = std::fs::read_to_string(root().join("tests/sipp/report_call.xml")).unwrap();
    let scenario = data.path().join("report_call.xml");
    std::fs::write(&scenario, fill(&template, &call)).unwrap();
    let addr = ep.addr;
    let run = tokio::task::spawn_blocking(move || sipp(scenario.to_str().unwrap(), addr, &[], &[wav])).await.unwrap();
    let turns = |db: &TestDb| {
        let store = db.store.clone();
        async move {
            let call = store.phone_call(1).await.map(|c| format!("{:#?}", c.turns)).unwrap_or_else(|e| e.to_string());
            call
        }
    };
    assert!(run.ok, "sipp failed:\n{}\ncalls: {}", run.log, turns(db).await);
    for _ in 0..100 {
        if runner.stats().totals().1 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (status, list) = api.get("/api/v1/reports?state=draft", &api.reviewer).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap_or_else(|| panic!("{list}"));
    assert_eq!(items.len(), 1, "one draft from the call: {list}\nturns: {}", turns(db).await);
    let id = items[0]["report_id"].as_i64().or_else(|| items[0]["id"].as_i64()).unwrap_or_else(|| panic!("{list}"));
    let (status, report) = api.get(&format!("/api/v1/reports/{id}"), &api.reviewer).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let f = &report["fields"];
    assert_eq!(f["asset"], "4471", "typed on the keypad after the re-prompt: {report}");
    assert_eq!(f["customer"], "Acme Foods", "{report}");
    assert_eq!(f["labor_hours"], serde_json::json!(2.5), "{report}");
    assert_eq!(f["status"], "closed", "{report}");
    assert!(f["action"].as_str().unwrap_or("").to_lowercase().contains("condenser fan motor"), "{report}");
    assert_eq!(report["technician_id"].as_i64(), Some(api.tech_id), "{report}");
    let problems = report["problems"].to_string();
    assert!(!problems.contains("hung up"), "confirmed with 1 before the call ended: {problems}");
    assert_eq!(ep.stats.media.drops(), 0, "no RTP or audio dropped");

    // The call is stored with its audio and its turns: the question asked, the keys, the ticket number said.
    let call = db.store.phone_call(1).await.unwrap();
    let said: Vec<&str> = call.turns.iter().map(|t| t.text.as_str()).collect();
    assert!(said.iter().any(|t| t.starts_with("Which asset")), "the question for the asset: {said:#?}");
    let ticket = fieldvoice::store::ticket_number(id);
    let spoken: String = ticket.chars().filter(char::is_ascii_digit).collect::<String>().trim_start_matches('0').chars().map(String::from).collect::<Vec<_>>().join(" ");
    assert!(said.iter().any(|t| t.contains("ticket number is") && t.contains(&spoken)), "ticket {ticket} said: {said:#?}");
    assert!(said.contains(&"Goodbye."), "{said:#?}");
    assert!(call.turns.iter().any(|t| t.latency_ms.is_some()), "turn latency stored: {:#?}", call.turns);
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_in_a_report_over_sip_sqlite() {
    let db = TestDb::sqlite().await;
    phone_in_a_report_over_sip(&db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_in_a_report_over_sip_postgres() {
    let db = TestDb::postgres().await;
    phone_in_a_report_over_sip(&db).await;
    db.finish().await;
}
