//! `fieldvoice bench calls`: N concurrent sipp calls against the SIP endpoint and the real call runner (Whisper,
//! espeak-ng prompts, SQLite in a temp dir), each logging in and dictating a ~10 s report; prints the turn
//! latency (end of the caller's speech to the first audio of the reply, as the runner measures it) and RTP
//! drops per N. Prints numbers; asserts nothing.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fieldvoice::dialog::Ivr;
use fieldvoice::extract::form::find_form;
use fieldvoice::model;
use fieldvoice::speech::EspeakRenderer;
use fieldvoice::store::Store;
use fieldvoice::telephony::call::CallRunner;
use fieldvoice::telephony::sip::scenario::{REPORT, REPORT_WPM, ReportCall, fill};
use fieldvoice::telephony::sip::{SipConfig, SipEndpoint};
use fieldvoice::telephony::{CallFuture, CallHandler, CallInfo, Inbound, Outbound};
use fieldvoice::transcribe::{LoadOptions, Transcriber, WhisperTranscriber};
use tokio::sync::mpsc;

/// The sipp scenario (a template filled per run).
const TEMPLATE: &str = include_str!("../../tests/sipp/report_call.xml");

#[derive(Debug, clap::Args)]
pub struct CallsArgs {
    /// Concurrent calls per round, comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 5, 10])]
    pub calls: Vec<usize>,
    /// Then try N = 2, 3, ... until turn latency p95 reaches 2 s or RTP is dropped.
    #[arg(long)]
    pub find_max: bool,
    /// Whisper model (name in the models directory or path).
    #[arg(long, default_value = "tiny.en")]
    pub model: String,
    /// Seconds between starting one call and the next of a round (0: all at once).
    #[arg(long, default_value_t = 0.0)]
    pub stagger: f64,
    /// Rounds per N, pooled (more turns behind each percentile).
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
}

/// The runner, keeping each call's turn latencies.
struct Measured {
    runner: CallRunner,
    latencies: Arc<Mutex<Vec<u64>>>,
    reports: Arc<Mutex<usize>>,
}

impl CallHandler for Measured {
    fn run(&self, call: CallInfo, inbound: mpsc::Receiver<Inbound>, outbound: mpsc::Sender<Outbound>) -> CallFuture {
        let (runner, latencies, reports) = (self.runner.clone(), self.latencies.clone(), self.reports.clone());
        Box::pin(async move {
            match runner.run_call(call, inbound, outbound).await {
                Ok(outcome) => {
                    latencies.lock().unwrap_or_else(|p| p.into_inner()).extend(&outcome.latencies_ms);
                    *reports.lock().unwrap_or_else(|p| p.into_inner()) += outcome.report_ids.len();
                }
                Err(e) => eprintln!("call failed: {e}"),
            }
        })
    }
}

/// One round's numbers.
struct Round {
    /// Calls at once.
    calls: usize,
    /// Rounds pooled into this one, and the calls they made in all.
    rounds: usize,
    attempted: usize,
    ok: usize,
    turns: Vec<u64>,
    reports: usize,
    rtp_in: u64,
    lost: u64,
    drops: u64,
    wall: Duration,
}

impl Round {
    fn pct(&self, p: f64) -> u64 {
        let mut v = self.turns.clone();
        v.sort_unstable();
        if v.is_empty() {
            return 0;
        }
        v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
    }

    fn passes(&self) -> bool {
        !self.turns.is_empty() && self.pct(0.95) < 2000 && self.drops + self.lost == 0 && self.ok == self.attempted
    }

    /// This round and `other` (same N) as one sample.
    fn pool(mut self, other: Round) -> Round {
        let rounds = self.rounds + other.rounds;
        self.wall = (self.wall * self.rounds as u32 + other.wall * other.rounds as u32) / rounds as u32;
        self.rounds = rounds;
        self.attempted += other.attempted;
        self.ok += other.ok;
        self.turns.extend(other.turns);
        self.reports += other.reports;
        self.rtp_in += other.rtp_in;
        self.lost += other.lost;
        self.drops += other.drops;
        self
    }
}

pub fn run(args: CallsArgs) -> anyhow::Result<ExitCode> {
    for tool in ["sipp", "espeak-ng", "sox"] {
        if std::process::Command::new(tool).arg("-h").output().is_err() {
            bail!("`{tool}` is not installed (Debian packages sip-tester, espeak-ng, sox)");
        }
    }
    let path = model::resolve(&args.model, &model::models_dir()).with_context(|| format!("model {}", args.model))?;
    let transcriber: Arc<dyn Transcriber> = Arc::new(WhisperTranscriber::load(&path, LoadOptions::default())?);
    let work = tempfile::tempdir()?;
    std::os::unix::fs::symlink("/usr/share/sip-tester", work.path().join("pcap"))?;
    let wav = speech_wav(work.path(), REPORT)?;
    let report_ms = (std::fs::metadata(&wav)?.len().saturating_sub(58) / 8).max(1);
    let runtime = tokio::runtime::Runtime::new()?;
    println!("model {}, dictation {:.1} s, {} cores", args.model, report_ms as f64 / 1000.0, std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    println!("{:>5} {:>9} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8}", "calls", "completed", "turns", "p50 ms", "p95 ms", "max ms", "reports", "rtp in", "rtp drop", "wall s");
    let mut rounds = Vec::new();
    let repeat = args.repeat.max(1);
    let measure = |n: usize| -> anyhow::Result<Round> {
        let mut pooled: Option<Round> = None;
        for _ in 0..repeat {
            let r = runtime.block_on(round(n, &transcriber, work.path(), report_ms, args.stagger))?;
            pooled = Some(match pooled {
                None => r,
                Some(p) => p.pool(r),
            });
        }
        Ok(pooled.expect("at least one round"))
    };
    if repeat > 1 {
        println!("each row pools {repeat} rounds (calls, turns, reports and packets are totals; wall is per round)");
    }
    for &n in &args.calls {
        let r = measure(n)?;
        print_round(&r);
        rounds.push(r);
    }
    if args.find_max {
        let mut best = 0;
        for n in 1.. {
            let r = match rounds.iter().find(|r| r.calls == n) {
                Some(r) => r.passes(),
                None => {
                    let r = measure(n)?;
                    print_round(&r);
                    let pass = r.passes();
                    rounds.push(r);
                    pass
                }
            };
            if !r {
                break;
            }
            best = n;
        }
        println!("largest N with turn latency p95 < 2 s and no RTP dropped: {best}");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_round(r: &Round) {
    println!(
        "{:>5} {:>9} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8.1}",
        r.calls,
        format!("{}/{}", r.ok, r.attempted),
        r.turns.len(),
        r.pct(0.5),
        r.pct(0.95),
        r.turns.iter().max().copied().unwrap_or(0),
        r.reports,
        r.rtp_in,
        r.drops + r.lost,
        r.wall.as_secs_f64()
    );
}

/// Runs `n` calls at once against a fresh store and endpoint.
async fn round(n: usize, transcriber: &Arc<dyn Transcriber>, work: &Path, report_ms: u64, stagger: f64) -> anyhow::Result<Round> {
    let dir = tempfile::tempdir_in(work)?;
    let store = Store::connect(&format!("sqlite://{}/bench.db", dir.path().display())).await?;
    let crm = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm");
    store.import_customers("customers.csv", std::fs::read(crm.join("customers.csv"))?.as_slice()).await?;
    store.import_assets("assets.csv", std::fs::read(crm.join("assets.csv"))?.as_slice()).await?;
    let tech = store.create_technician("bench", "Bench Technician", "4821").await?.technician_id;
    let runner = CallRunner::new(
        store.clone(),
        transcriber.clone(),
        Arc::new(EspeakRenderer::new(Some(work.join("prompt-cache")), None)),
        Ivr::builtin(),
        find_form("service_report", None)?,
        dir.path().to_path_buf(),
    );
    let handler = Arc::new(Measured { runner, latencies: Arc::default(), reports: Arc::default() });
    let mut config = SipConfig::new("127.0.0.1:0".parse()?);
    config.max_calls = n + 1;
    config.rtp_timeout = Duration::from_secs(120);
    let ep = SipEndpoint::start(config, handler.clone()).await?;
    let call = ReportCall {
        technician: tech.to_string(),
        pin: "4821".into(),
        answer: "4471".into(),
        report_ms,
        login_wait_ms: 2500,
        bye_wait_ms: 300_000,
    };
    let scenario = dir.path().join("report_call.xml");
    std::fs::write(&scenario, fill(TEMPLATE, &call))?;
    let started = Instant::now();
    let mut children = Vec::new();
    for i in 0..n {
        if i > 0 && stagger > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(stagger)).await;
        }
        children.push(spawn_sipp(&scenario, ep.addr, work)?);
    }
    let ok = tokio::task::spawn_blocking(move || children.into_iter().filter_map(|c| c.wait_with_output().ok()).filter(|o| o.status.success()).count()).await?;
    // Let the last calls store their turns.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let m = &ep.stats.media;
    let get = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    let r = Round {
        calls: n,
        rounds: 1,
        attempted: n,
        ok,
        turns: handler.latencies.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        reports: *handler.reports.lock().unwrap_or_else(|p| p.into_inner()),
        rtp_in: get(&m.rtp_in),
        lost: get(&m.rtp_lost),
        drops: m.drops(),
        wall: started.elapsed(),
    };
    ep.shutdown().await;
    store.close().await;
    Ok(r)
}

fn free_port() -> anyhow::Result<u16> {
    loop {
        let p = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
        if p < 65_000 && UdpSocket::bind(("127.0.0.1", p + 2)).is_ok() {
            return Ok(p);
        }
    }
}

fn spawn_sipp(scenario: &Path, target: SocketAddr, cwd: &Path) -> anyhow::Result<std::process::Child> {
    let (sip, media) = (free_port()?.to_string(), free_port()?.to_string());
    std::process::Command::new("sipp")
        .current_dir(cwd)
        .arg("-sf")
        .arg(scenario)
        .arg(target.to_string())
        .args(["-i", "127.0.0.1", "-p", &sip, "-mp", &media, "-m", "1", "-nostdin", "-timeout", "300s", "-timeout_error"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("starting sipp")
}

/// espeak-ng -> sox: `report.wav`, 8 kHz mu-law, what sipp's rtp_stream plays.
fn speech_wav(dir: &Path, text: &str) -> anyhow::Result<PathBuf> {
    let raw = dir.join("report.22k.wav");
    let out = dir.join("report.wav");
    let ok = std::process::Command::new("espeak-ng").args(["-s", REPORT_WPM, "-w"]).arg(&raw).arg(text).status()?.success()
        && std::process::Command::new("sox").arg(&raw).args(["-r", "8000", "-c", "1", "-e", "u-law"]).arg(&out).status()?.success();
    if !ok {
        bail!("espeak-ng or sox failed making {}", out.display());
    }
    Ok(out)
}
