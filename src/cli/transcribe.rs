//! `fieldvoice transcribe FILE...`: WAV files (or `-` for stdin) to text or JSON lines, one bad file at a time.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use fieldvoice::audio::{self, Audio, DecodeOptions};
use fieldvoice::model;

use super::extract::{ExtractFlags, Extractor, plain};
use fieldvoice::transcribe::{Language, LoadOptions, TranscribeOptions, Transcriber, Transcript, WhisperTranscriber};
use fieldvoice::extract::{Directory, Extraction, WordConfidence};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// WAV files to transcribe; `-` reads one WAV from stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Model name in the models directory (FIELDVOICE_MODELS_DIR, default ./models) or a GGML file path.
    /// Default: `base` if installed, else `tiny.en`.
    #[arg(long, value_name = "NAME|PATH")]
    pub model: Option<String>,
    /// Language: auto, en, zh, ... (zh output is Simplified Chinese).
    #[arg(long, default_value = "auto")]
    pub lang: String,
    /// CPU threads (0 = up to 4, one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Vocabulary hint for Whisper: customer names, asset tags, part names.
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
    /// One JSON object per file per line instead of plain text.
    #[arg(long)]
    pub json: bool,
    /// Refuse audio longer than this.
    #[arg(long, default_value_t = 600.0, value_name = "SECONDS")]
    pub max_duration: f64,
    /// Also extract the form's fields from each transcript (`fields`, `problems`, `details` in JSON).
    /// With --customers/--assets, the CRM's names, tags and parts bias Whisper unless --prompt is given.
    #[arg(long)]
    pub extract: bool,
    #[command(flatten)]
    pub extract_flags: ExtractFlags,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let extractor = if args.extract { Some(args.extract_flags.load(None)?) } else { None };
    let transcriber = load_model(args.model.as_deref(), args.threads)?;
    let decode = DecodeOptions { max_duration: max_duration(args.max_duration)? };
    let vocabulary_prompt = extractor
        .as_ref()
        .and_then(|e| e.directory.as_ref())
        .map(|d| d.vocabulary().prompt(VOCABULARY_PROMPT_CHARS, Some(&args.lang)))
        .filter(|p| !p.is_empty());
    let opts = TranscribeOptions {
        language: Language::parse(&args.lang),
        initial_prompt: args.prompt.clone().or(vocabulary_prompt),
        threads: args.threads,
    };
    let progress = progress_bar(args.files.len());
    let several = args.files.len() > 1;
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for file in &args.files {
        progress.set_message(file.clone());
        match transcribe_file(&transcriber, file, &decode, &opts) {
            Ok(done) => {
                let extraction = extractor.as_ref().map(|e| extract_from(e, &done.transcript));
                let line = if args.json {
                    let mut obj = transcript_json(file, &done);
                    if let (Some(x), Value::Object(map)) = (&extraction, &mut obj) {
                        if let Value::Object(extra) = x.to_json() {
                            for key in ["fields", "problems", "details"] {
                                map.insert(key.into(), extra.get(key).cloned().unwrap_or(Value::Null));
                            }
                        }
                    }
                    obj.to_string()
                } else {
                    let mut text = if several { format!("== {file} ==\n{}", done.transcript.text) } else { done.transcript.text.clone() };
                    if let (Some(x), Some(e)) = (&extraction, &extractor) {
                        text.push('\n');
                        text.push_str(plain(&e.form, x).trim_end());
                    }
                    text
                };
                progress.suspend(|| writeln!(stdout, "{line}")).context("writing to stdout")?;
            }
            Err(err) => {
                failed = true;
                progress.suspend(|| eprintln!("fieldvoice: {file}: {err:#}"));
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// How much of the CRM vocabulary goes into Whisper's initial prompt (it keeps about 224 tokens of it).
const VOCABULARY_PROMPT_CHARS: usize = 400;

/// Runs the form over a transcript, passing Whisper's word confidences and its language (en or zh).
fn extract_from(extractor: &Extractor, transcript: &Transcript) -> Extraction {
    let words: Vec<WordConfidence> = transcript
        .segments
        .iter()
        .flat_map(|s| &s.words)
        .map(|w| WordConfidence { text: w.text.trim().to_string(), confidence: w.confidence })
        .collect();
    let lang = Some(transcript.language.as_str()).filter(|l| matches!(*l, "en" | "zh"));
    extractor.run_with_words(&transcript.text, &words, lang)
}

/// One transcribed file with what the JSON line reports about it.
pub struct Done {
    pub transcript: Transcript,
    pub duration_s: f64,
    pub elapsed_s: f64,
}

/// The JSON object printed for one file (`--json`). Built in one place so `--extract` can add its fields.
pub fn transcript_json(file: &str, done: &Done) -> Value {
    let segments: Vec<Value> = done
        .transcript
        .segments
        .iter()
        .map(|s| json!({ "start_s": s.start_s, "end_s": s.end_s, "text": s.text, "confidence": s.confidence }))
        .collect();
    json!({
        "file": file,
        "language": done.transcript.language,
        "duration_s": done.duration_s,
        "text": done.transcript.text,
        "segments": segments,
        "elapsed_s": done.elapsed_s,
    })
}

/// Reads, decodes and transcribes one file; the error says why the file was refused.
pub fn transcribe_file(
    transcriber: &dyn Transcriber,
    file: &str,
    decode: &DecodeOptions,
    opts: &TranscribeOptions,
) -> anyhow::Result<Done> {
    let started = Instant::now();
    let audio = read_audio(file, decode)?;
    let transcript = transcriber.transcribe(&audio.samples, opts)?;
    Ok(Done { transcript, duration_s: audio.duration_s(), elapsed_s: started.elapsed().as_secs_f64() })
}

/// Reads a WAV file, or stdin for `-`, and decodes it to 16 kHz mono.
pub fn read_audio(file: &str, decode: &DecodeOptions) -> anyhow::Result<Audio> {
    let bytes = if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes).context("reading stdin")?;
        bytes
    } else {
        std::fs::read(file).map_err(|e| anyhow::anyhow!("{}", io_reason(&e)))?
    };
    Ok(audio::decode(&bytes, decode)?)
}

/// Loads `--model`, or the default: `base` if installed, else `tiny.en`.
pub fn load_model(choice: Option<&str>, threads: usize) -> anyhow::Result<WhisperTranscriber> {
    let dir = model::models_dir();
    let path: PathBuf = match choice {
        Some(name) => model::resolve(name, &dir)?,
        None => model::resolve("base", &dir).or_else(|_| model::resolve("tiny.en", &dir))?,
    };
    Ok(WhisperTranscriber::load(&path, LoadOptions { threads, ..LoadOptions::default() })?)
}

fn max_duration(seconds: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("--max-duration {seconds}: must be a positive number of seconds"))
}

fn progress_bar(files: usize) -> ProgressBar {
    if files < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}") {
        bar.set_style(style);
    }
    bar
}

/// "no such file", "permission denied", ... without the OS error number.
fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => err.to_string(),
    }
}
