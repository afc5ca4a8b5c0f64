//! `fieldvoice bench transcribe`: real-time factor, wall time, model load time and peak memory of Whisper
//! transcription per model, file and thread count. Prints numbers; asserts nothing.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use fieldvoice::audio::{self, Audio, DecodeOptions, RawFormat};
use fieldvoice::model;
use fieldvoice::transcribe::{Language, LoadOptions, TranscribeOptions, Transcriber, WhisperTranscriber};

/// Clips used when no file is named: the bundled espeak-ng report and a real read-speech recording.
const DEFAULT_FILES: &[&str] = &[
    "tests/fixtures/demo_report.wav",
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Time Whisper on audio files (WAV, or .raw = 16 kHz s16le mono) for threads 1 and 2.
    Transcribe(TranscribeArgs),
    /// Concurrent sipp calls dictating reports: turn latency p50/p95 and RTP drops per N.
    Calls(super::bench_calls::CallsArgs),
}

#[derive(Debug, clap::Args)]
pub struct TranscribeArgs {
    /// Models to time (name or GGML path; repeat the flag for several). Default: tiny.en.
    #[arg(long = "model", value_name = "NAME|PATH")]
    pub models: Vec<String>,
    /// Thread counts to time, comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
    pub threads: Vec<usize>,
    /// Runs per file and thread count; the fastest is reported.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Turn whisper.cpp's flash attention off (to measure what it is worth).
    #[arg(long)]
    pub no_flash_attn: bool,
    /// Language to force (the default `en` skips language detection, as the reference tools are run).
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// Audio files. Default: the bundled demo report and a pocketsphinx-testdata read-speech clip.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let args = match args.what {
        What::Transcribe(args) => args,
        What::Calls(args) => return super::bench_calls::run(args),
    };
    let files: Vec<String> =
        if args.files.is_empty() { DEFAULT_FILES.iter().map(|f| f.to_string()).collect() } else { args.files.clone() };
    let clips = files.iter().map(|f| Ok((f.as_str(), load_clip(f)?))).collect::<anyhow::Result<Vec<_>>>()?;
    let models = if args.models.is_empty() { vec!["tiny.en".to_string()] } else { args.models.clone() };
    println!(
        "{:<10} {:>7} {:<28} {:>8} {:>7} {:>8} {:>7} {:>12}",
        "model", "load_s", "file", "audio_s", "threads", "wall_s", "rtf", "peak_rss_mb"
    );
    for name in &models {
        let path = model::resolve(name, &model::models_dir())?;
        let started = Instant::now();
        let load = LoadOptions { flash_attn: !args.no_flash_attn, name: Some(name.clone()), ..LoadOptions::default() };
        let transcriber = WhisperTranscriber::load(&path, load)?;
        let load_s = started.elapsed().as_secs_f64();
        // One untimed run: the first call allocates whisper.cpp's compute buffers.
        let language = Language::parse(&args.lang);
        let warm = TranscribeOptions { language: language.clone(), ..TranscribeOptions::default() };
        transcriber.transcribe(&clips[0].1.samples, &warm)?;
        for (file, clip) in &clips {
            for &threads in &args.threads {
                let opts = TranscribeOptions { language: language.clone(), threads, ..TranscribeOptions::default() };
                let mut best = f64::INFINITY;
                for _ in 0..args.runs.max(1) {
                    let started = Instant::now();
                    transcriber.transcribe(&clip.samples, &opts)?;
                    best = best.min(started.elapsed().as_secs_f64());
                }
                let audio_s = clip.duration_s();
                println!(
                    "{:<10} {:>7.3} {:<28} {:>8.2} {:>7} {:>8.3} {:>7.3} {:>12.1}",
                    name,
                    load_s,
                    short_name(file),
                    audio_s,
                    threads,
                    best,
                    best / audio_s,
                    peak_rss_mb().unwrap_or(f64::NAN)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Decodes a WAV file, or a `.raw` file as 16 kHz signed 16-bit little-endian mono (pocketsphinx-testdata).
fn load_clip(file: &str) -> anyhow::Result<Audio> {
    let bytes = std::fs::read(file).with_context(|| format!("{file}: cannot read"))?;
    let opts = DecodeOptions::default();
    let audio = if file.ends_with(".raw") {
        audio::decode_raw(&bytes, RawFormat::PcmS16Le { sample_rate: 16_000 }, &opts)
    } else {
        audio::decode(&bytes, &opts)
    };
    audio.with_context(|| format!("{file}: cannot decode"))
}

fn short_name(file: &str) -> String {
    let name = Path::new(file).file_name().map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned());
    let chars: Vec<char> = name.chars().collect();
    if chars.len() > 28 { format!("…{}", chars[chars.len() - 27..].iter().collect::<String>()) } else { name }
}

/// Peak resident set size of this process so far (VmHWM), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
