//! A phone call end to end without sockets: the test plays the telephony adapter (it acknowledges prompts)
//! and the caller (DTMF for the login, espeak-ng speech at 8 kHz for the report and an answer), drives the
//! real `CallRunner` through the call channels, and then finds the draft, the call's turns and its audio in
//! the store, on SQLite and PostgreSQL, with a scripted transcriber (the real tiny.en model answers the same
//! flow over SIP in `sip::report`).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fieldvoice::dialog::{Ivr, Say};
use fieldvoice::extract::form::find_form;
use fieldvoice::speech::{EspeakRenderer, FakeRenderer, PromptRenderer, SpeechError};
use fieldvoice::store::{ReportState, Store};
use fieldvoice::telephony::call::{CallOutcome, CallRunner};
use fieldvoice::telephony::{CallInfo, Channel, FRAME_SAMPLES, Inbound, Outbound, call_channels};
use fieldvoice::transcribe::{FakeTranscriber, Transcriber};
use tokio::sync::mpsc;

use crate::store::TestDb;

/// Renders with an inner renderer and logs every prompt, so the caller can wait for a given prompt.
pub struct Logged {
    pub inner: Arc<dyn PromptRenderer>,
    pub said: Arc<Mutex<Vec<Say>>>,
}

impl PromptRenderer for Logged {
    fn render(&self, say: &Say) -> Result<Arc<[i16]>, SpeechError> {
        self.said.lock().unwrap().push(say.clone());
        self.inner.render(say)
    }
}

/// How long the caller waits for a prompt: Whisper on a loaded 2-core machine can take a while.
const TIMEOUT_S: u64 = 600;

/// The caller's end of the line.
struct Caller {
    said: Arc<Mutex<Vec<Say>>>,
    seen: usize,
    tx: mpsc::Sender<Inbound>,
    voice: EspeakRenderer,
}

pub fn id_of(say: &Say) -> &str {
    match say {
        Say::Prompt { id, .. } => id,
        Say::Tone { .. } => "tone",
    }
}

impl Caller {
    /// Waits (up to a minute: Whisper may be busy) for prompt `id` after the last one waited for; returns its text.
    async fn hear(&mut self, id: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(TIMEOUT_S);
        loop {
            {
                let said = self.said.lock().unwrap();
                if let Some(i) = said[self.seen..].iter().position(|s| id_of(s) == id) {
                    self.seen += i + 1;
                    return match &said[self.seen - 1] {
                        Say::Prompt { text, .. } => text.clone(),
                        Say::Tone { .. } => String::new(),
                    };
                }
                if Instant::now() >= deadline {
                    let ids: Vec<String> = said.iter().map(|s| id_of(s).to_string()).collect();
                    drop(said);
                    panic!("prompt {id} never came; heard {ids:?}");
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the next prompt whose id is one of `ids` (or starts with `question.` when `ids` has
    /// "question."); returns its id and text.
    async fn hear_any(&mut self, ids: &[&str]) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(TIMEOUT_S);
        loop {
            {
                let said = self.said.lock().unwrap();
                let wanted = |s: &Say| ids.iter().any(|w| id_of(s) == *w || (w.ends_with('.') && id_of(s).starts_with(w)));
                if let Some(i) = said[self.seen..].iter().position(wanted) {
                    self.seen += i + 1;
                    let s = &said[self.seen - 1];
                    let text = if let Say::Prompt { text, .. } = s { text.clone() } else { String::new() };
                    return (id_of(s).to_string(), text);
                }
                if Instant::now() >= deadline {
                    let heard: Vec<String> = said.iter().map(|s| id_of(s).to_string()).collect();
                    drop(said);
                    panic!("none of {ids:?} came; heard {heard:?}");
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn keys(&self, keys: &str) {
        for k in keys.chars() {
            self.tx.send(Inbound::Dtmf(k)).await.unwrap();
        }
    }

    /// Says `text` (espeak-ng, 8 kHz) then stays quiet for `silence_ms`, at four times real time.
    async fn say(&self, text: &str, silence_ms: usize) {
        let say = Say::Prompt { id: "caller".into(), lang: "en".into(), text: text.into(), fixed: false };
        let mut audio = self.voice.render(&say).unwrap().to_vec();
        audio.resize(audio.len() + silence_ms * 8, 0);
        for (i, frame) in audio.chunks(FRAME_SAMPLES).enumerate() {
            self.tx.send(Inbound::Audio(frame.to_vec())).await.unwrap();
            if i % 10 == 9 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The adapter: acknowledges every prompt at once and closes the line when the runner hangs up.
fn adapter(mut out: mpsc::Receiver<Outbound>, tx: mpsc::Sender<Inbound>) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut clears = 0;
        while let Some(cmd) = out.recv().await {
            match cmd {
                Outbound::Play { id, samples } => {
                    assert!(!samples.is_empty());
                    let _ = tx.send(Inbound::PlayDone(id)).await;
                }
                Outbound::Clear => clears += 1,
                Outbound::Hangup => {
                    let _ = tx.send(Inbound::Hangup).await;
                    break;
                }
            }
        }
        clears
    })
}

pub async fn seed(store: &Store) -> i64 {
    let crm = crate::support::root().join("tests/fixtures/crm");
    store.import_customers("customers.csv", std::fs::read(crm.join("customers.csv")).unwrap().as_slice()).await.unwrap();
    store.import_assets("assets.csv", std::fs::read(crm.join("assets.csv")).unwrap().as_slice()).await.unwrap();
    store.create_technician("tess", "Tess", "4821").await.unwrap().technician_id
}

/// Calls in, logs in, dictates a report without its hours, answers the hours question by voice, confirms,
/// hears the ticket number and hangs up. Returns the outcome and the read-back text.
async fn phone_in(db: &TestDb, data_dir: &Path, transcriber: Arc<dyn Transcriber>) -> (CallOutcome, String, i64, Vec<String>) {
    let tech = seed(&db.store).await;
    let said = Arc::new(Mutex::new(Vec::new()));
    let renderer = Arc::new(Logged { inner: Arc::new(FakeRenderer::default()), said: said.clone() });
    let runner = CallRunner::new(
        db.store.clone(),
        transcriber,
        renderer,
        Ivr::builtin(),
        find_form("service_report", None).unwrap(),
        data_dir.to_path_buf(),
    )
    .with_reference_date(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    let (in_tx, in_rx, out_tx, out_rx) = call_channels();
    let info = CallInfo { call_id: "call-1@test".into(), caller: "sip:tess@example.test".into(), channel: Channel::Sip };
    let call = tokio::spawn({
        let runner = runner.clone();
        async move { runner.run_call(info, in_rx, out_tx).await }
    });
    let line = adapter(out_rx, in_tx.clone());
    let voice = EspeakRenderer::new(None, None).with_rate(140);
    let mut caller = Caller { said, seen: 0, tx: in_tx, voice };

    caller.hear("language").await;
    caller.keys("1").await;
    caller.hear("technician_id").await;
    caller.keys(&format!("{tech}#")).await;
    caller.hear("pin").await;
    caller.keys("4821#").await;
    assert!(caller.hear("main_menu").await.starts_with("Hello Tess."));
    caller.keys("1").await;
    caller.hear("tone").await;
    caller
        .say(
            "Asset four four seven one. Customer Acme Foods. The condenser fan motor was seized. \
             Replaced the condenser fan motor. Status closed.",
            1500,
        )
        .await;
    caller.keys("#").await;
    // Answer whatever the IVR asks until it reads the report back: the hours (left out on purpose) by voice,
    // anything Whisper missed by keypad or voice as a technician would.
    let mut asked = Vec::new();
    let read_back = loop {
        let (id, text) = caller.hear_any(&["question.", "read_back"]).await;
        match id.as_str() {
            "read_back" => break text,
            "question.labor_hours" => caller.say("Two and a half hours.", 1200).await,
            "question.asset" => caller.keys("4471#").await,
            "question.status" => caller.keys("2#").await,
            "question.customer" => caller.say("Acme Foods.", 1200).await,
            "question.fault" => caller.say("The fan motor was seized.", 1200).await,
            "question.action" => caller.say("Replaced the condenser fan motor.", 1200).await,
            other => panic!("unexpected question {other}"),
        }
        asked.push(id);
        assert!(asked.len() <= 8, "asked {asked:?}");
    };
    caller.hear("confirm_menu").await;
    caller.keys("1").await;
    let saved = caller.hear("saved").await;
    caller.hear("main_menu").await;
    caller.tx.send(Inbound::Hangup).await.unwrap();
    let outcome = call.await.unwrap().unwrap();
    line.abort();
    assert_eq!(outcome.report_ids.len(), 1);
    let ticket = format!("{}", outcome.report_ids[0]).chars().map(String::from).collect::<Vec<_>>().join(" ");
    assert!(saved.ends_with(&format!("Your ticket number is {ticket}.")), "{saved}");
    (outcome, read_back, tech, asked)
}

/// What every phone-in must have stored: a draft with the right fields, its audio, and the call's turns.
async fn check_stored(db: &TestDb, data_dir: &Path, outcome: &CallOutcome, tech: i64, questions: usize) {
    let report = db.store.report(outcome.report_ids[0]).await.unwrap();
    assert_eq!(report.state, ReportState::Draft);
    assert_eq!(report.technician_id, tech);
    let f = &report.fields;
    assert_eq!(f["asset"], "4471", "{f}");
    assert_eq!(f["customer"], "Acme Foods", "{f}");
    assert_eq!(f["labor_hours"], serde_json::json!(2.5), "{f}");
    assert_eq!(f["status"], "closed", "{f}");
    assert!(f["action"].as_str().unwrap().to_lowercase().contains("condenser fan motor"), "{f}");
    assert!(report.asset_id.is_some() && report.customer_id.is_some());
    assert!(data_dir.join(&report.audio_path).is_file(), "{}", report.audio_path);
    let call = db.store.phone_call(outcome.phone_call_id).await.unwrap();
    assert_eq!(call.technician_id, Some(tech));
    assert_eq!(call.report_ids, outcome.report_ids);
    assert_eq!(call.channel, "sip");
    assert!(data_dir.join(call.audio_path.as_deref().unwrap()).is_file());
    assert!(call.turns.iter().any(|t| t.speaker == "caller" && t.kind == "speech"));
    assert!(!call.turns.iter().any(|t| t.text.contains("4821")), "no PIN in the turns");
    // The dictation and each spoken answer were answered after a measured wait (keypad answers are not
    // transcribed, so they have none).
    assert!((2..=1 + questions).contains(&outcome.latencies_ms.len()), "{:?}", outcome.latencies_ms);
    let measured = call.turns.iter().filter(|t| t.latency_ms.is_some()).count();
    assert_eq!(measured, outcome.latencies_ms.len());
    assert!(call.turn_latency_max_ms.is_some());
    let state = db.store.ticket_state(report.report_id, tech).await.unwrap();
    assert_eq!(state, Some(ReportState::Draft));
    assert_eq!(db.store.ticket_state(report.report_id, tech + 1).await.unwrap(), None, "only the owner hears it");
}

async fn phone_report_with_scripted_transcripts(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeTranscriber::scripted([
        "Asset 4471. Customer Acme Foods. The condenser fan motor was seized. Replaced the condenser fan motor. Status closed.",
        "Two and a half hours.",
    ]);
    let (outcome, read_back, tech, asked) = phone_in(db, dir.path(), Arc::new(fake)).await;
    assert_eq!(asked, ["question.labor_hours"]);
    assert_eq!(
        read_back,
        "I have: Asset 4471, Acme Foods, replaced the condenser fan motor, two and a half hours, closed."
    );
    check_stored(db, dir.path(), &outcome, tech, 1).await;
}

crate::both_backends!(phone_report_with_scripted_transcripts);
