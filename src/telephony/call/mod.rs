//! [`CallRunner`]: the [`CallHandler`] that runs a phone call. It feeds the call's events to the
//! [`Dialog`], detects end of speech on the caller's audio, transcribes with Whisper in `spawn_blocking`,
//! renders prompts, checks PINs and saves drafts, messages, the call's audio and its turns in the store, and
//! measures turn latency (end of the caller's speech to the first audio of the reply).

mod media;
mod stats;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub use media::{Media, Voice};
pub use stats::{CallStats, LATENCY_BUCKETS_MS};

use super::{CallFuture, CallHandler, CallInfo, Channel, Inbound, Outbound, CALL_RATE};
use crate::audio::vad::VadConfig;
use crate::dialog::{Action, Dialog, Event, Ivr, Say, Speaker};
use crate::extract::{Directory, FieldType, Form, Vocabulary};
use crate::speech::SharedRenderer;
use crate::store::{CallEnd, CallTurn, NewCall, NewRecording, PhoneReport, Store, StoredTranscript, ticket_number};
use crate::transcribe::{Language, TranscribeOptions, Transcriber};

/// Characters of CRM vocabulary given to Whisper as its prompt for dictation.
const PROMPT_CHARS: usize = 200;
/// How often the dialog's timers are checked.
const TICK: Duration = Duration::from_millis(100);

/// Everything a call needs; cheap to clone (one per call).
#[derive(Clone)]
pub struct CallRunner {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    transcriber: Arc<dyn Transcriber>,
    renderer: SharedRenderer,
    ivr: Arc<Ivr>,
    form: Arc<Form>,
    data_dir: PathBuf,
    vad: VadConfig,
    reference_date: Option<NaiveDate>,
    stats: Arc<CallStats>,
    /// Transcriptions that may run at once across all calls: Whisper already uses every core, so two at once
    /// only make both late; the others wait their turn.
    whisper_slots: Arc<tokio::sync::Semaphore>,
}

/// What one call measured, also stored with the call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOutcome {
    pub phone_call_id: i64,
    /// Each turn's latency in ms, in order.
    pub latencies_ms: Vec<u64>,
    pub report_ids: Vec<i64>,
}

impl CallRunner {
    /// A runner that saves to `store` and files under `data_dir`, transcribes with `transcriber`, speaks
    /// through `renderer`, and runs `ivr` over `form` (normally the built-in service_report).
    pub fn new(
        store: Store,
        transcriber: Arc<dyn Transcriber>,
        renderer: SharedRenderer,
        ivr: Ivr,
        form: Form,
        data_dir: PathBuf,
    ) -> CallRunner {
        CallRunner {
            inner: Arc::new(Inner {
                store,
                transcriber,
                renderer,
                ivr: Arc::new(ivr),
                form: Arc::new(form),
                data_dir,
                vad: VadConfig::default(),
                reference_date: None,
                stats: Arc::new(CallStats::default()),
                whisper_slots: Arc::new(tokio::sync::Semaphore::new(whisper_slots())),
            }),
        }
    }

    /// Fixes "today" for relative dates (tests); by default it is the call's date.
    pub fn with_reference_date(self, date: NaiveDate) -> CallRunner {
        self.map(|i| Inner { reference_date: Some(date), ..i })
    }

    /// Replaces the end-of-utterance detection settings.
    pub fn with_vad(self, vad: VadConfig) -> CallRunner {
        self.map(|i| Inner { vad, ..i })
    }

    fn map(self, f: impl FnOnce(Inner) -> Inner) -> CallRunner {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => CallRunner { inner: Arc::new(f(inner)) },
            Err(shared) => {
                let i = &*shared;
                let copy = Inner {
                    store: i.store.clone(),
                    transcriber: i.transcriber.clone(),
                    renderer: i.renderer.clone(),
                    ivr: i.ivr.clone(),
                    form: i.form.clone(),
                    data_dir: i.data_dir.clone(),
                    vad: i.vad.clone(),
                    reference_date: i.reference_date,
                    stats: i.stats.clone(),
                    whisper_slots: i.whisper_slots.clone(),
                };
                CallRunner { inner: Arc::new(f(copy)) }
            }
        }
    }

    /// The counters of every call this runner ran, for /metrics.
    pub fn stats(&self) -> Arc<CallStats> {
        self.inner.stats.clone()
    }

    /// Runs one call to its end and returns what it measured. [`CallHandler::run`] calls this.
    pub async fn run_call(
        &self,
        call: CallInfo,
        inbound: mpsc::Receiver<Inbound>,
        outbound: mpsc::Sender<Outbound>,
    ) -> Result<CallOutcome, crate::store::StoreError> {
        let inner = self.inner.clone();
        inner.stats.call_started();
        let result = Call::run(inner.clone(), call, inbound, outbound).await;
        inner.stats.call_ended();
        result
    }
}

impl CallHandler for CallRunner {
    fn run(&self, call: CallInfo, inbound: mpsc::Receiver<Inbound>, outbound: mpsc::Sender<Outbound>) -> CallFuture {
        let runner = self.clone();
        Box::pin(async move {
            let id = call.call_id.clone();
            if let Err(e) = runner.run_call(call, inbound, outbound).await {
                tracing::error!(call_id = %id, error = %e, "call failed");
            }
        })
    }
}

/// One call in progress.
struct Call {
    inner: Arc<Inner>,
    info: CallInfo,
    phone_call_id: i64,
    dialog: Dialog,
    media: Media,
    out: mpsc::Sender<Outbound>,
    results: mpsc::Sender<Event>,
    tasks: JoinSet<()>,
    /// The CRM's names and tags, Whisper's prompt in the language of each transcription.
    vocabulary: Vocabulary,
    /// When the caller's last speech ended; the end of the turn being answered.
    last_speech_end: Option<Instant>,
    turn_from: Option<Instant>,
    awaiting_reply: bool,
    /// (ms since the call started, latency ms) per turn.
    latencies: Vec<(u64, u64)>,
    saved: Arc<std::sync::Mutex<Saved>>,
    started: Instant,
    reports_made: u32,
    hung_up: bool,
}

/// What the call's background tasks saved.
#[derive(Default)]
struct Saved {
    report_ids: Vec<i64>,
    message_path: Option<String>,
}

/// A WAV written under the data directory: its relative path, hash, size and length.
fn write_wav(data_dir: &Path, rel: &str, samples: &[i16], rate: u32) -> std::io::Result<(String, String, i64, i64)> {
    let f: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let bytes = crate::audio::encode_wav_pcm16(&f, rate).map_err(std::io::Error::other)?;
    let path = data_dir.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::File::create(&path)?;
    std::io::Write::write_all(&mut &file, &bytes)?;
    file.sync_all()?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let duration_ms = samples.len() as i64 * 1000 / i64::from(rate.max(1));
    Ok((rel.to_string(), sha, bytes.len() as i64, duration_ms))
}

/// One transcription at a time per two cores (Whisper runs on two threads or more).
fn whisper_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get() / 2).max(1)
}

/// A filler played while the caller waits: it does not count as the reply.
fn is_filler(say: &Say) -> bool {
    match say {
        Say::Tone { .. } => true,
        Say::Prompt { id, .. } => id == "one_moment",
    }
}

impl Call {
    async fn run(
        inner: Arc<Inner>,
        info: CallInfo,
        mut inbound: mpsc::Receiver<Inbound>,
        out: mpsc::Sender<Outbound>,
    ) -> Result<CallOutcome, crate::store::StoreError> {
        let channel = match info.channel {
            Channel::Sip => "sip",
            Channel::Twilio => "twilio",
        };
        let new = NewCall { call_ref: info.call_id.clone(), channel: channel.into(), caller: info.caller.clone() };
        let phone_call_id = inner.store.start_call(&new).await?;
        let directory: Arc<dyn Directory> = Arc::new(inner.store.directory().await?);
        let vocabulary = directory.vocabulary();
        let today = inner.reference_date.unwrap_or_else(|| Utc::now().date_naive());
        let dialog = Dialog::new(inner.ivr.clone(), inner.form.clone(), Some(directory.clone()), today);
        let (results, mut results_rx) = mpsc::channel(16);
        let mut call = Call {
            media: Media::new(inner.vad.clone()),
            inner,
            info,
            phone_call_id,
            dialog,
            out,
            results,
            tasks: JoinSet::new(),
            vocabulary,
            last_speech_end: None,
            turn_from: None,
            awaiting_reply: false,
            latencies: Vec::new(),
            saved: Arc::default(),
            started: Instant::now(),
            reports_made: 0,
            hung_up: false,
        };
        tracing::info!(call_id = %call.info.call_id, caller = %call.info.caller, phone_call_id, "call answered");
        call.event(Event::Start).await;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while !call.hung_up {
            tokio::select! {
                msg = inbound.recv() => match msg {
                    Some(Inbound::Audio(frame)) => {
                        let now = Instant::now();
                        for v in call.media.push(&frame, now) {
                            tracing::debug!(call_id = %call.info.call_id, voice = ?v, "voice activity");
                            match v {
                                Voice::Start => {
                                    // A new utterance: an earlier end (or a '#' that ended a number) is not its end.
                                    call.last_speech_end = None;
                                    call.event(Event::SpeechStart).await;
                                }
                                Voice::End { at } => {
                                    call.last_speech_end = Some(at);
                                    call.event(Event::SpeechEnd).await;
                                }
                            }
                        }
                    }
                    Some(Inbound::Dtmf(key)) => {
                        if key == '#' {
                            call.last_speech_end.get_or_insert_with(Instant::now);
                        }
                        call.event(Event::Dtmf(key)).await;
                    }
                    Some(Inbound::PlayDone(id)) => call.event(Event::PlayDone(id)).await,
                    Some(Inbound::Hangup) | None => {
                        call.event(Event::Hangup).await;
                        call.hung_up = true;
                    }
                },
                Some(ev) = results_rx.recv() => call.event(ev).await,
                _ = tick.tick() => call.event(Event::Tick).await,
            }
            if call.dialog.ended() && !call.hung_up {
                // The dialog said goodbye: wait for the caller's side to finish playing and close.
                while let Some(msg) = inbound.recv().await {
                    if msg == Inbound::Hangup {
                        break;
                    }
                }
                call.hung_up = true;
            }
        }
        call.finish().await
    }

    /// Feeds one event to the dialog and carries out its actions.
    async fn event(&mut self, event: Event) {
        let now = Instant::now();
        let actions = self.dialog.on_event(event, now);
        for action in actions {
            self.act(action).await;
        }
    }

    fn ms_since_start(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.started).as_millis() as u64
    }

    async fn act(&mut self, action: Action) {
        let inner = self.inner.clone();
        let results = self.results.clone();
        match action {
            Action::Play { id, say } => {
                let renderer = inner.renderer.clone();
                let filler = is_filler(&say);
                let rendered = tokio::task::spawn_blocking(move || renderer.render(&say)).await;
                match rendered {
                    Ok(Ok(samples)) => {
                        if self.awaiting_reply && !filler {
                            self.awaiting_reply = false;
                            self.reply_started();
                        }
                        let _ = self.out.send(Outbound::Play { id, samples }).await;
                    }
                    Ok(Err(e)) => {
                        tracing::error!(call_id = %self.info.call_id, error = %e, "prompt not rendered");
                        let _ = results.send(Event::PlayDone(id)).await;
                    }
                    Err(e) => {
                        tracing::error!(call_id = %self.info.call_id, error = %e, "prompt task failed");
                        let _ = results.send(Event::PlayDone(id)).await;
                    }
                }
            }
            Action::Clear => {
                let _ = self.out.send(Outbound::Clear).await;
            }
            Action::Capture => self.media.arm(),
            Action::Transcribe { lang } => {
                let samples = self.media.take_capture();
                self.turn_from = Some(self.last_speech_end.take().unwrap_or_else(Instant::now));
                let opts = TranscribeOptions {
                    language: Language::parse(&lang),
                    initial_prompt: Some(self.vocabulary.prompt(PROMPT_CHARS, Some(&lang))).filter(|p| !p.is_empty()),
                    threads: 0,
                };
                let transcriber = inner.transcriber.clone();
                let call_id = self.info.call_id.clone();
                let slots = inner.whisper_slots.clone();
                self.tasks.spawn(async move {
                    let audio_ms = samples.len() as u64 * 1000 / u64::from(crate::audio::SAMPLE_RATE);
                    let started = Instant::now();
                    let _slot = slots.acquire_owned().await;
                    let waited_ms = started.elapsed().as_millis() as u64;
                    let result = tokio::task::spawn_blocking(move || transcriber.transcribe(&samples, &opts)).await;
                    let took_ms = started.elapsed().as_millis() as u64;
                    tracing::info!(call_id = %call_id, audio_ms, waited_ms, took_ms, "transcribed");
                    let text = match result {
                        Ok(Ok(t)) => Some(t.text.trim().to_string()),
                        Ok(Err(e)) => {
                            tracing::warn!(call_id = %call_id, error = %e, "transcription failed");
                            None
                        }
                        Err(e) => {
                            tracing::error!(call_id = %call_id, error = %e, "transcription task failed");
                            None
                        }
                    };
                    let _ = results.send(Event::Transcript(text)).await;
                });
                self.awaiting_reply = true;
            }
            Action::CheckPin { technician_id, pin } => {
                self.tasks.spawn(async move {
                    let name = match inner.store.technician_by_pin(technician_id, &pin).await {
                        Ok(t) => t.map(|t| t.name),
                        Err(e) => {
                            tracing::error!(error = %e, "PIN check failed");
                            None
                        }
                    };
                    let _ = results.send(Event::PinChecked(name)).await;
                });
            }
            Action::LookupTicket { technician_id, number } => {
                self.tasks.spawn(async move {
                    let state = match number.parse::<i64>() {
                        Ok(id) => inner.store.ticket_state(id, technician_id).await.unwrap_or_else(|e| {
                            tracing::error!(error = %e, "ticket lookup failed");
                            None
                        }),
                        Err(_) => None,
                    };
                    let _ = results.send(Event::TicketState(state.map(|s| s.as_str().to_string()))).await;
                });
            }
            Action::SaveReport { technician_id, extraction, transcript, confirmed } => {
                self.reports_made += 1;
                let rel = format!("calls/{}-report-{}.wav", self.phone_call_id, self.reports_made);
                let audio = self.media.recorded().to_vec();
                let phone_call_id = self.phone_call_id;
                let saved = self.saved.clone();
                let model = inner.transcriber.model_name().to_string();
                self.tasks.spawn(async move {
                    let ticket = save_report(&inner, phone_call_id, technician_id, &rel, audio, &extraction, &transcript, &model, confirmed).await;
                    let ticket = match ticket {
                        Ok(report_id) => {
                            inner.stats.report_saved();
                            saved.lock().unwrap_or_else(|p| p.into_inner()).report_ids.push(report_id);
                            Some(ticket_number(report_id))
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "saving the phone report failed");
                            None
                        }
                    };
                    let _ = results.send(Event::ReportSaved(ticket)).await;
                });
            }
            Action::SaveMessage { .. } => {
                let samples = crate::audio::g711::f32_to_i16(&self.media.take_capture());
                let rel = format!("calls/{}-message.wav", self.phone_call_id);
                let saved = self.saved.clone();
                self.tasks.spawn(async move {
                    let dir = inner.data_dir.clone();
                    let written = tokio::task::spawn_blocking(move || write_wav(&dir, &rel, &samples, crate::audio::SAMPLE_RATE)).await;
                    let ok = match written {
                        Ok(Ok((path, ..))) => {
                            saved.lock().unwrap_or_else(|p| p.into_inner()).message_path = Some(path);
                            true
                        }
                        _ => false,
                    };
                    let _ = results.send(Event::MessageSaved(ok)).await;
                });
            }
            Action::Hangup => {
                let _ = self.out.send(Outbound::Hangup).await;
            }
        }
    }

    /// The reply's first audio is going out now: the turn's latency is complete.
    fn reply_started(&mut self) {
        let Some(from) = self.turn_from.take() else { return };
        let now = Instant::now();
        let ms = now.saturating_duration_since(from).as_millis() as u64;
        self.latencies.push((self.ms_since_start(now), ms));
        self.inner.stats.turn(ms);
        tracing::info!(call_id = %self.info.call_id, turn_latency_ms = ms, "turn latency");
    }

    /// Waits for background work, stores the call's audio, turns and latency, and returns the outcome.
    async fn finish(mut self) -> Result<CallOutcome, crate::store::StoreError> {
        // Results that arrive now (a save after hang-up) have no one to tell.
        while self.tasks.join_next().await.is_some() {}
        let rel = format!("calls/{}.wav", self.phone_call_id);
        let audio = self.media.recorded().to_vec();
        let dir = self.inner.data_dir.clone();
        let audio_path = match tokio::task::spawn_blocking(move || write_wav(&dir, &rel, &audio, CALL_RATE)).await {
            Ok(Ok((path, ..))) => Some(path),
            _ => None,
        };
        let turns = self.turns();
        let mut sorted: Vec<u64> = self.latencies.iter().map(|l| l.1).collect();
        sorted.sort_unstable();
        let saved = std::mem::take(&mut *self.saved.lock().unwrap_or_else(|p| p.into_inner()));
        let end = CallEnd {
            technician_id: self.dialog.technician_id(),
            language: Some(self.dialog.language().to_string()),
            audio_path,
            message_path: saved.message_path,
            turns,
            latency_p50_ms: sorted.get(sorted.len() / 2).map(|&v| v as i64),
            latency_max_ms: sorted.last().map(|&v| v as i64),
        };
        self.inner.store.finish_call(self.phone_call_id, &end).await?;
        tracing::info!(
            call_id = %self.info.call_id,
            phone_call_id = self.phone_call_id,
            turns = sorted.len(),
            latency_p50_ms = ?end.latency_p50_ms,
            latency_max_ms = ?end.latency_max_ms,
            "call ended"
        );
        Ok(CallOutcome { phone_call_id: self.phone_call_id, latencies_ms: self.latencies.iter().map(|l| l.1).collect(), report_ids: saved.report_ids })
    }

    /// The dialog's turns for the store, each reply carrying its latency.
    fn turns(&self) -> Vec<CallTurn> {
        let mut turns: Vec<CallTurn> = self
            .dialog
            .turns()
            .iter()
            .map(|t| CallTurn {
                at_ms: t.at_ms as i64,
                speaker: match t.speaker {
                    Speaker::System => "system".into(),
                    Speaker::Caller => "caller".into(),
                },
                kind: t.kind.clone(),
                text: t.text.clone(),
                latency_ms: None,
            })
            .collect();
        for &(at, ms) in &self.latencies {
            // The reply is the last prompt the dialog queued at or before the audio went out.
            if let Some(t) = turns.iter_mut().rev().find(|t| t.speaker == "system" && t.at_ms as u64 <= at && t.latency_ms.is_none()) {
                t.latency_ms = Some(ms as i64);
            }
        }
        turns
    }
}

/// Writes the call's audio so far and stores the report as a draft; returns its id.
#[allow(clippy::too_many_arguments)]
async fn save_report(
    inner: &Inner,
    phone_call_id: i64,
    technician_id: i64,
    rel: &str,
    audio: Vec<i16>,
    extraction: &crate::extract::Extraction,
    transcript: &str,
    model: &str,
    confirmed: bool,
) -> Result<i64, String> {
    let dir = inner.data_dir.clone();
    let rel_owned = rel.to_string();
    let (path, sha256, bytes, duration_ms) = tokio::task::spawn_blocking(move || write_wav(&dir, &rel_owned, &audio, CALL_RATE))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{rel}: {e}"))?;
    let recording = NewRecording { path, sha256, bytes, duration_ms, source: "phone".into(), technician_id };
    let doc = extraction.to_json();
    let fields = doc.get("fields").cloned().unwrap_or_else(|| json!({}));
    let details = doc.get("details").cloned().unwrap_or_else(|| json!({}));
    let mut problems = doc.get("problems").cloned().unwrap_or_else(|| json!([]));
    if !confirmed && let Some(list) = problems.as_array_mut() {
        list.push(json!("the caller hung up before confirming the read-back"));
    }
    let stored = StoredTranscript {
        text: transcript.to_string(),
        segments: json!([]),
        language: extraction.language.clone(),
        model: model.to_string(),
        real_time_factor: 0.0,
    };
    let value_of = |kind: FieldType| {
        inner.form.fields.iter().find(|f| f.kind == kind).and_then(|f| fields.get(&f.name)).and_then(|v| v.as_str()).map(str::to_string)
    };
    let asset = value_of(FieldType::AssetTag);
    let customer = value_of(FieldType::Customer);
    let report = PhoneReport {
        phone_call_id,
        recording: &recording,
        form: &inner.form.name,
        language: &extraction.language,
        fields: &fields,
        details: &details,
        problems: &problems,
        transcript: &stored,
        asset_tag: asset.as_deref(),
        customer: customer.as_deref(),
    };
    inner.store.save_phone_report(&report).await.map_err(|e| e.to_string())
}
