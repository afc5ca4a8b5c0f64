//! `fieldvoice dictate`: a report spoken into the device's microphone (or a WAV file), filled in, read back,
//! confirmed and submitted; queued locally whenever the service cannot take it, and sent on the next run.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use fieldvoice::device::{
    self, AudioSource, CaptureOptions, Console, CpalSource, PrintSpeaker, Queue, QueuedReport, Recorder, SessionConfig,
    SessionError, Speaker, SubmitError, Submitted, TtsSpeaker, WavSource,
};
use fieldvoice::store::{Store, now_ms};

use super::extract::ExtractFlags;
use super::transcribe::load_model;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input device (its name, a unique part of it, or its id); default: the system's default input.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// List input devices and exit.
    #[arg(long)]
    pub list_devices: bool,
    /// Language spoken, asked and read back in: en or zh.
    #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
    pub lang: String,
    /// The fieldvoice service to submit to, e.g. http://office:8080.
    #[arg(long, env = "FIELDVOICE_SERVER", value_name = "URL", conflicts_with = "database_url")]
    pub server: Option<String>,
    /// A technician's API token (with --server or --database-url).
    #[arg(long, env = "FIELDVOICE_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Write straight into this database instead of the API (the recording goes under --data-dir).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The service's data directory (with --database-url); the queue defaults to DIR/queue.
    #[arg(long, env = "FIELDVOICE_DATA_DIR", default_value = "data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Where reports wait until the service has them (default: DATA_DIR/queue).
    #[arg(long, value_name = "DIR")]
    pub queue_dir: Option<PathBuf>,
    /// Send the queued reports and exit.
    #[arg(long)]
    pub flush: bool,
    /// Read audio from this WAV file instead of a microphone (tests, replays).
    #[arg(long, value_name = "WAV", conflicts_with = "device")]
    pub input: Option<PathBuf>,
    /// With --input: deliver the file in real time, like a microphone.
    #[arg(long, requires = "input")]
    pub paced: bool,
    /// Take the read-back as confirmed.
    #[arg(long)]
    pub yes: bool,
    /// Typed answers, one per line: `field=answer` answers that field when asked; other lines answer the
    /// questions in turn, then the confirmation ("yes").
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Speak prompts: auto (speech-dispatcher when it answers), on, off (print only).
    #[arg(long, default_value = "auto", value_parser = ["auto", "on", "off"])]
    pub speech: String,
    /// Model name in the models directory or a GGML file path (default: base if installed, else tiny.en).
    #[arg(long, value_name = "NAME|PATH")]
    pub model: Option<String>,
    /// CPU threads for Whisper (0 = up to 4).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Seconds of silence that end an utterance.
    #[arg(long, default_value_t = 1.5, value_name = "SECONDS")]
    pub end_silence: f64,
    /// Seconds of listening without hearing speech before giving up (a muted microphone).
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    pub listen_timeout: f64,
    #[command(flatten)]
    pub extract_flags: ExtractFlags,
}

/// Where reports go.
enum Destination {
    Api { server: String, token: String },
    Store { store: Store, data_dir: PathBuf, token: String },
    /// Nothing configured: reports stay queued.
    None,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list_devices {
        return list_devices();
    }
    let queue_dir = args.queue_dir.clone().unwrap_or_else(|| args.data_dir.join("queue"));
    let queue = Queue::open(&queue_dir)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let dest = rt.block_on(destination(&args))?;

    // Reports left from earlier runs go first, every run.
    let flushed_ok = rt.block_on(flush(&queue, &dest))?;
    if args.flush {
        return Ok(if flushed_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }

    let extractor = args.extract_flags.load(Some(args.lang.clone()))?;
    let transcriber = load_model(args.model.as_deref(), args.threads)?;
    let script: VecDeque<String> = match &args.script {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("--script {}", p.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => VecDeque::new(),
    };
    let mut source: Box<dyn AudioSource> = match &args.input {
        Some(path) => Box::new(WavSource::open(path, args.paced)?.with_trailing_silence(Duration::from_secs(2))),
        None => Box::new(CpalSource::open(args.device.as_deref())?),
    };
    let real_time = args.input.is_none() || args.paced;
    let key = queue.new_key();
    let mut recorder = Recorder::create(&queue.wav_path(&key))?;
    eprintln!("fieldvoice: recording from {} into {}", source.name(), recorder.path().display());

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut speaker = speaker(&args.speech)?;
    let keys = std::io::stdin().is_terminal() && args.input.is_none();
    let mut stop_key = move || keys && enter_pressed();
    let mut capture = CaptureOptions { no_speech_timeout: seconds("--listen-timeout", args.listen_timeout)?, ..CaptureOptions::default() };
    capture.vad.end_silence = seconds("--end-silence", args.end_silence)?;
    let mut cfg = SessionConfig {
        form: &extractor.form,
        lang: args.lang.clone(),
        reference_date: extractor.reference_date,
        directory: extractor.directory.as_ref().map(|d| d as &dyn fieldvoice::extract::Directory),
        capture,
        live: real_time,
        auto_confirm: args.yes,
        script,
        tries: 2,
    };
    let mut console = Console { out: &mut out, speaker: speaker.as_mut(), stop_key: &mut stop_key };
    let result = device::dictate(&mut cfg, source.as_mut(), &mut recorder, &transcriber, &mut console);
    let _ = source.stop();
    if source.dropped_samples() > 0 {
        eprintln!("fieldvoice: warning: {} samples were dropped (the recorder fell behind the device)", source.dropped_samples());
    }
    let wav = recorder.finish()?;
    let dictated = match result {
        Ok(d) => d,
        Err(e @ (SessionError::Capture(_) | SessionError::NotConfirmed { .. })) => {
            anyhow::bail!("{e}");
        }
        Err(e) => anyhow::bail!("{e}; the recording is kept in {}", wav.display()),
    };
    let doc = dictated.extraction.to_json();
    let mut report = QueuedReport {
        idempotency_key: key,
        created_at: now_ms(),
        form: extractor.form.name.clone(),
        language: args.lang.clone(),
        transcript: dictated.transcript,
        fields: doc.get("fields").cloned().unwrap_or_default(),
        details: doc.get("details").cloned().unwrap_or_default(),
        problems: doc.get("problems").cloned().unwrap_or_default(),
        attempts: 0,
        last_error: None,
    };
    queue.put(&report)?;
    let code = rt.block_on(send(&queue, &dest, &mut report))?;
    Ok(code)
}

fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{flag} {value}: must be a positive number of seconds"))
}

fn list_devices() -> anyhow::Result<ExitCode> {
    let devices = device::input_devices()?;
    if devices.is_empty() {
        println!("no input devices");
    }
    for d in devices {
        let mark = if d.is_default { "*" } else { " " };
        let config = d.default_config.unwrap_or_else(|| "no default configuration".into());
        println!("{mark} {}  ({config}){}", d.name, d.id.map(|i| format!("  id {i}")).unwrap_or_default());
    }
    Ok(ExitCode::SUCCESS)
}

fn speaker(choice: &str) -> anyhow::Result<Box<dyn Speaker>> {
    let print = || Box::new(PrintSpeaker::new(std::io::stdout())) as Box<dyn Speaker>;
    Ok(match choice {
        "off" => print(),
        "on" => Box::new(TtsSpeaker::connect().context("--speech on")?),
        _ => match TtsSpeaker::connect() {
            Ok(s) => Box::new(s),
            Err(e) => {
                eprintln!("fieldvoice: {e}; prompts are printed");
                print()
            }
        },
    })
}

/// True when Enter was pressed (the terminal stays in line mode, so a key arrives with Enter).
fn enter_pressed() -> bool {
    use crossterm::event::{Event, KeyCode, poll, read};
    while poll(Duration::ZERO).unwrap_or(false) {
        if let Ok(Event::Key(k)) = read()
            && matches!(k.code, KeyCode::Enter | KeyCode::Char(' '))
        {
            return true;
        }
    }
    false
}

async fn destination(args: &Args) -> anyhow::Result<Destination> {
    let token = || args.token.clone().context("a technician's --token (or FIELDVOICE_TOKEN) is needed to submit reports");
    Ok(match (&args.server, &args.database_url) {
        (Some(server), _) => Destination::Api { server: server.clone(), token: token()? },
        (None, Some(url)) => {
            let store = Store::connect(url).await.with_context(|| format!("--database-url {url}"))?;
            Destination::Store { store, data_dir: args.data_dir.clone(), token: token()? }
        }
        (None, None) => Destination::None,
    })
}

async fn submit(dest: &Destination, queue: &Queue, report: &QueuedReport) -> Result<Submitted, SubmitError> {
    let wav = queue.wav(&report.idempotency_key).map_err(|e| SubmitError::Local(e.to_string()))?;
    match dest {
        Destination::Api { server, token } => device::submit::submit_http(server, token, report, wav).await,
        Destination::Store { store, data_dir, token } => device::submit::submit_store(store, data_dir, token, report, wav).await,
        Destination::None => Err(SubmitError::Local("no --server or --database-url given".into())),
    }
}

/// Sends one report; on success it leaves the queue. Exit status: success when sent or queued for a
/// transient reason, failure when someone must act (token rejected, report refused).
async fn send(queue: &Queue, dest: &Destination, report: &mut QueuedReport) -> anyhow::Result<ExitCode> {
    match submit(dest, queue, report).await {
        Ok(done) => {
            queue.remove(&report.idempotency_key)?;
            let how = if done.replayed { "already submitted" } else { "submitted" };
            println!("Report {how}: report {} (draft)", done.report_id);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            queue.record_failure(report, &e.to_string())?;
            eprintln!("fieldvoice: {e}");
            eprintln!("fieldvoice: queued in {}", queue.dir().display());
            Ok(if e.is_transient() || matches!(dest, Destination::None) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

/// Sends every queued report, oldest first; stops at the first failure that will repeat for the rest
/// (service down, token rejected). True when the queue is empty afterwards (or nothing could be tried).
async fn flush(queue: &Queue, dest: &Destination) -> anyhow::Result<bool> {
    let (pending, damaged) = queue.pending()?;
    for d in &damaged {
        eprintln!("fieldvoice: skipping damaged queue entry: {d}");
    }
    for wav in queue.unfinished()? {
        eprintln!("fieldvoice: unfinished recording kept (never confirmed, not sent): {}", wav.display());
    }
    if pending.is_empty() {
        return Ok(damaged.is_empty());
    }
    if matches!(dest, Destination::None) {
        eprintln!("fieldvoice: {} report(s) queued in {}; give --server or --database-url to send them", pending.len(), queue.dir().display());
        return Ok(false);
    }
    let total = pending.len();
    let mut sent = 0;
    for mut report in pending {
        match submit(dest, queue, &report).await {
            Ok(done) => {
                queue.remove(&report.idempotency_key)?;
                sent += 1;
                let how = if done.replayed { "was already there as" } else { "sent as" };
                println!("Queued report {} {how} report {}", report.idempotency_key, done.report_id);
            }
            Err(e) => {
                queue.record_failure(&mut report, &e.to_string())?;
                eprintln!("fieldvoice: queued report {}: {e}", report.idempotency_key);
                if matches!(e, SubmitError::Unreachable { .. } | SubmitError::Unauthorized { .. }) {
                    break;
                }
            }
        }
    }
    eprintln!("fieldvoice: flushed {sent} of {total} queued report(s)");
    Ok(sent == total && damaged.is_empty())
}
