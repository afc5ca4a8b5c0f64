//! Whisper transcription end to end with the real tiny.en model and real audio: the bundled espeak-ng report,
//! its 8 kHz mu-law telephone version, read speech from Debian's pocketsphinx-testdata, silence and noise,
//! and the `fieldvoice transcribe` command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use fieldvoice::audio::{self, DecodeOptions, SAMPLE_RATE};
use fieldvoice::model;
use fieldvoice::transcribe::{
    Language, LoadOptions, TranscribeError, TranscribeOptions, Transcriber, Transcript, WhisperTranscriber, check_model,
    word_error_rate,
};

use crate::support;

const POCKETSPHINX: &str = "/usr/share/pocketsphinx/test/data";

/// tiny.en, loaded once for the whole test binary.
fn tiny() -> &'static WhisperTranscriber {
    static MODEL: OnceLock<WhisperTranscriber> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = tiny_path();
        WhisperTranscriber::load(&path, LoadOptions { threads: 2, ..LoadOptions::default() }).expect("load tiny.en")
    })
}

fn tiny_path() -> PathBuf {
    model::resolve("tiny.en", &model::models_dir()).expect("tiny.en is installed (scripts/setup.sh tiny.en)")
}

fn decode_file(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    audio::decode(&bytes, &DecodeOptions::default()).expect("decode").samples
}

fn demo_path() -> PathBuf {
    support::root().join("tests/fixtures/demo_report.wav")
}

/// The CRM's customer names and a few part names as a vocabulary prompt, the way the service biases Whisper.
fn customer_prompt() -> String {
    let csv = std::fs::read_to_string(support::root().join("tests/fixtures/crm/customers.csv")).unwrap();
    let customers = csv.lines().skip(1).filter_map(|l| l.split(',').next()).collect::<Vec<_>>().join(", ");
    format!("Customers: {customers}. Parts: condenser fan motor, filter drier, contactor, capacitor.")
}

fn english(prompt: Option<String>) -> TranscribeOptions {
    TranscribeOptions { language: Language::Code("en".into()), initial_prompt: prompt, threads: 0 }
}

/// The demo's key words, case ignored (a vocabulary prompt can make Whisper title-case the sentence).
fn assert_key_words(text: &str) {
    for key in ["acme", "condenser", "fan motor"] {
        assert!(text.to_lowercase().contains(key), "{key:?} missing from {text:?}");
    }
}

/// Runs sox, panicking with its stderr when it fails.
fn sox(args: &[&str]) {
    let out = Command::new("sox").args(args).output().expect("sox is installed");
    assert!(out.status.success(), "sox {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// goforward.raw (16 kHz s16le, "go forward ten meters") wrapped into a WAV file inside `dir`.
fn goforward_wav(dir: &Path) -> PathBuf {
    let wav = dir.join("goforward.wav");
    let raw = format!("{POCKETSPHINX}/goforward.raw");
    sox(&["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1", &raw, wav.to_str().unwrap()]);
    wav
}

/// Segments and words: confidences in 0..1, times ordered and inside the clip.
fn assert_well_formed(t: &Transcript, duration_s: f64) {
    let mut last_start = 0.0;
    for s in &t.segments {
        assert!((0.0..=1.0).contains(&s.confidence), "segment confidence {}", s.confidence);
        assert!(s.start_s >= last_start && s.start_s <= s.end_s && s.end_s <= duration_s, "segment times {s:?}");
        last_start = s.start_s;
        let mut word_start = s.start_s;
        for w in &s.words {
            assert!((0.0..=1.0).contains(&w.confidence), "word confidence {w:?}");
            assert!(w.start_s >= word_start && w.start_s <= w.end_s && w.end_s <= s.end_s, "word times {w:?}");
            assert!(!w.text.is_empty() && !w.text.contains("[_"), "special token leaked: {w:?}");
            word_start = w.start_s;
        }
    }
}

#[test]
fn demo_report_gives_the_key_words_with_sane_times_and_confidences() {
    let samples = decode_file(&demo_path());
    let t = tiny().transcribe(&samples, &english(Some(customer_prompt()))).unwrap();
    assert_key_words(&t.text);
    assert_eq!(t.language, "en");
    assert!(t.segments.iter().map(|s| s.words.len()).sum::<usize>() >= 20, "{t:?}");
    assert_well_formed(&t, samples.len() as f64 / f64::from(SAMPLE_RATE));
}

#[test]
fn telephone_mulaw_version_of_the_demo_still_gives_the_key_words() {
    let dir = tempfile::tempdir().unwrap();
    let phone = dir.path().join("phone.wav");
    sox(&[demo_path().to_str().unwrap(), "-r", "8000", "-c", "1", "-e", "u-law", phone.to_str().unwrap()]);
    let samples = decode_file(&phone);
    let t = tiny().transcribe(&samples, &english(Some(customer_prompt()))).unwrap();
    assert_key_words(&t.text);
}

#[test]
fn real_recording_go_forward_ten_meters() {
    let dir = tempfile::tempdir().unwrap();
    let samples = decode_file(&goforward_wav(dir.path()));
    let t = tiny().transcribe(&samples, &TranscribeOptions::default()).unwrap();
    let text = t.text.to_lowercase();
    assert!(text.contains("go forward") && (text.contains("ten") || text.contains("10")) && text.contains("meters"), "{text:?}");
    assert_well_formed(&t, samples.len() as f64 / f64::from(SAMPLE_RATE));
}

#[test]
fn read_audiobook_speech_has_a_low_word_error_rate() {
    // Five librivox clips of Sense and Sensibility, chapter 1, joined with short pauses; the reference is the
    // novel's text (the package's test-lm.match holds pocketsphinx's own, wrong, hypotheses).
    let clips = [
        ("0870", "and Mr. John Dashwood had then leisure to consider how much there might prudently be in his power to do for them"),
        ("0880", "He was not an ill-disposed young man,"),
        ("0890", "unless to be rather cold-hearted and rather selfish is to be ill-disposed"),
        ("0920", "Had he married a more amiable woman, he might have been made still more respectable than he was;"),
        ("0930", "he might even have been made amiable himself"),
    ];
    let mut samples = Vec::new();
    for (id, _) in &clips {
        let path = format!("{POCKETSPHINX}/librivox/sense_and_sensibility_01_austen_64kb-{id}.wav");
        samples.extend(decode_file(Path::new(&path)));
        samples.extend(std::iter::repeat_n(0.0, SAMPLE_RATE as usize / 2));
    }
    let reference = clips.iter().map(|(_, text)| *text).collect::<Vec<_>>().join(" ");
    let t = tiny().transcribe(&samples, &english(None)).unwrap();
    let wer = word_error_rate(&reference, &t.text);
    println!("tiny.en WER {wer:.3} on {:.1} s: {:?}", samples.len() as f64 / 16_000.0, t.text);
    assert!(wer < 0.2, "WER {wer:.3}: {:?}", t.text);
    assert_well_formed(&t, samples.len() as f64 / f64::from(SAMPLE_RATE));
}

/// Deterministic noise source (no rand dependency).
fn noise(n: usize, seed: u64) -> impl Iterator<Item = f32> {
    let mut state = seed;
    (0..n).map(move |_| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    })
}

#[test]
fn silence_noise_and_hum_give_empty_text() {
    let n = 10 * SAMPLE_RATE as usize;
    let white: Vec<f32> = noise(n, 1).map(|x| x * 0.3).collect();
    // Pink-ish: white noise through a leaky integrator, normalised back up.
    let mut level = 0.0f32;
    let pink: Vec<f32> = noise(n, 2).map(|x| {
        level = 0.98 * level + 0.02 * x;
        level * 4.0
    }).collect();
    let hum: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f32 / SAMPLE_RATE as f32;
            0.2 * (2.0 * std::f32::consts::PI * 50.0 * t).sin() + 0.05 * (2.0 * std::f32::consts::PI * 150.0 * t).sin()
        })
        .collect();
    for (name, samples) in [("silence", vec![0.0; n]), ("white noise", white), ("pink noise", pink), ("hum", hum)] {
        let t = tiny().transcribe(&samples, &TranscribeOptions::default()).unwrap();
        assert_eq!(t.text, "", "{name} gave {t:?}");
        assert!(t.segments.is_empty(), "{name} gave segments {t:?}");
    }
}

#[test]
fn english_only_model_refuses_zh_and_unknown_codes_clearly() {
    let one_second = vec![0.0; SAMPLE_RATE as usize];
    let zh = TranscribeOptions { language: Language::parse("zh"), ..Default::default() };
    let err = tiny().transcribe(&one_second, &zh).unwrap_err();
    assert!(matches!(err, TranscribeError::Language(_)) && err.to_string().contains("English-only"), "{err}");
    let bogus = TranscribeOptions { language: Language::parse("xx\0"), ..Default::default() };
    assert!(matches!(tiny().transcribe(&one_second, &bogus), Err(TranscribeError::Language(_))));
}

#[test]
fn check_model_hears_the_bundled_phrase_and_refuses_a_truncated_model() {
    let heard = check_model(&tiny_path()).unwrap();
    assert!(heard.to_lowercase().contains("brown fox"), "{heard:?}");
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("ggml-truncated.bin");
    let bytes = std::fs::read(tiny_path()).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let err = check_model(&truncated).unwrap_err();
    assert!(matches!(err, TranscribeError::Model(_)), "{err}");
}

fn fieldvoice() -> Command {
    let mut cmd = Command::new(support::bin());
    cmd.current_dir(support::root());
    cmd
}

#[test]
fn cli_json_batch_reports_bad_files_and_still_transcribes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let good = goforward_wav(dir.path());
    let silence = dir.path().join("silence.wav");
    sox(&["-n", "-r", "16000", "-c", "1", "-b", "16", silence.to_str().unwrap(), "trim", "0", "5"]);
    let not_audio = dir.path().join("notes.wav");
    std::fs::write(&not_audio, "Replaced the condenser fan motor.\n").unwrap();
    let truncated = dir.path().join("truncated.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..30]).unwrap();
    let missing = dir.path().join("missing.wav");
    let files = [&good, &not_audio, &silence, &missing, &truncated];
    let out = fieldvoice()
        .args(["transcribe", "--json", "--model", "tiny.en", "--threads", "2"])
        .args(files.iter().map(|p| p.to_str().unwrap()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stdout {stdout}\nstderr {stderr}");
    for bad in [&not_audio, &missing, &truncated] {
        let prefix = format!("fieldvoice: {}: ", bad.display());
        assert!(stderr.lines().any(|l| l.starts_with(&prefix) && l.len() > prefix.len()), "{prefix} in {stderr}");
    }
    assert_eq!(stderr.lines().count(), 3, "one line per bad file, no whisper.cpp log: {stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let (first, second) = (&lines[0], &lines[1]);
    assert_eq!(first["file"], good.to_str().unwrap());
    assert!(first["text"].as_str().unwrap().to_lowercase().contains("forward"), "{first}");
    assert_eq!(first["language"], "en");
    assert!(first["duration_s"].as_f64().unwrap() > 2.0 && first["elapsed_s"].as_f64().unwrap() > 0.0);
    let segment = &first["segments"][0];
    for key in ["start_s", "end_s", "confidence"] {
        assert!(segment[key].is_f64(), "{key} in {segment}");
    }
    assert!(segment["text"].is_string());
    assert_eq!(second["file"], silence.to_str().unwrap());
    assert_eq!(second["text"], "");
    assert_eq!(second["segments"], serde_json::json!([]));
}

#[test]
fn cli_reads_a_wav_from_stdin_as_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let wav = std::fs::File::open(goforward_wav(dir.path())).unwrap();
    let out = fieldvoice()
        .args(["transcribe", "--model", "tiny.en", "-"])
        .stdin(Stdio::from(wav))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.to_lowercase().contains("go forward"), "{stdout}");
}

#[test]
fn cli_refuses_audio_over_max_duration() {
    let out = fieldvoice()
        .args(["transcribe", "--model", "tiny.en", "--max-duration", "5"])
        .arg(demo_path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("demo_report.wav: ") && stderr.contains("too long"), "{stderr}");
}

#[test]
fn cli_extract_adds_fields_problems_and_details_checked_against_the_crm() {
    let crm = support::root().join("tests/fixtures/crm");
    let out = fieldvoice()
        .args(["transcribe", "--json", "--model", "tiny.en", "--threads", "2", "--extract"])
        .args(["--reference-date", "2026-11-20", "--customers"])
        .arg(crm.join("customers.csv"))
        .arg("--assets")
        .arg(crm.join("assets.csv"))
        .arg(demo_path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let fields = &line["fields"];
    assert_eq!(fields["asset"], "4471", "{line}");
    assert_eq!(fields["customer"], "Acme Foods", "{line}");
    assert_eq!(fields["labor_hours"], 2.5, "{line}");
    assert_eq!(fields["status"], "closed", "{line}");
    assert_eq!(fields["follow_up"], "2026-11-24", "{line}");
    assert!(line["problems"].is_array(), "{line}");
    let asset = &line["details"]["asset"];
    let confidence = asset["confidence"].as_f64().unwrap();
    assert!(confidence > 0.0 && confidence <= 1.0, "{asset}");
    let (start, end) = (asset["span"]["start"].as_u64().unwrap(), asset["span"]["end"].as_u64().unwrap());
    let text: String = line["text"].as_str().unwrap().chars().skip(start as usize).take((end - start) as usize).collect();
    assert!(text.contains("4471") || text.to_lowercase().contains("four"), "span {start}..{end} is {text:?}");
}

/// One espeak-ng phrase with its leading and trailing silence trimmed off by sox, decoded to 16 kHz mono.
fn spoken_phrase(dir: &Path, index: usize, text: &str) -> Vec<f32> {
    let raw = dir.join(format!("phrase{index}.wav"));
    let trimmed = dir.join(format!("phrase{index}-trimmed.wav"));
    let out = Command::new("espeak-ng").args(["-v", "en-us", "-s", "150", "-w"]).arg(&raw).arg(text).output().unwrap();
    assert!(out.status.success(), "espeak-ng: {}", String::from_utf8_lossy(&out.stderr));
    let (raw, trimmed_path) = (raw.to_str().unwrap(), trimmed.to_str().unwrap());
    // Strip silence from both ends (reverse, strip, reverse) so the phrase starts at its first sample.
    let strip = ["silence", "1", "0.01", "1%"];
    let mut args = vec![raw, "-r", "16000", "-c", "1", trimmed_path];
    args.extend(strip);
    args.push("reverse");
    args.extend(strip);
    args.push("reverse");
    sox(&args);
    decode_file(&trimmed)
}

/// Four phrases with known silences between them, so each phrase's start and end in the clip is known exactly.
/// Returns the samples and, per phrase, (the start of its first word, start s, end s).
fn phrases_with_known_times(dir: &Path) -> (Vec<f32>, Vec<(&'static str, f64, f64)>) {
    let phrases = [
        ("replace", "Replaced the condenser fan motor on the roof unit."),
        ("customer", "Customer is Acme Foods on Main Street."),
        ("labor", "Labor was two and a half hours."),
        ("status", "Status closed, follow up next Tuesday."),
    ];
    let rate = f64::from(SAMPLE_RATE);
    let mut samples: Vec<f32> = vec![0.0; SAMPLE_RATE as usize * 3 / 2];
    let mut times = Vec::new();
    for (i, (first, text)) in phrases.iter().enumerate() {
        let speech = spoken_phrase(dir, i, text);
        let start = samples.len() as f64 / rate;
        samples.extend(&speech);
        times.push((*first, start, samples.len() as f64 / rate));
        samples.extend(std::iter::repeat_n(0.0, SAMPLE_RATE as usize * (2 + i % 2)));
    }
    (samples, times)
}

/// A word's text lower-cased without punctuation, to compare with the phrase's first word.
fn bare(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase()
}

#[test]
fn word_times_fall_inside_the_phrases_where_the_words_are_spoken() {
    let dir = tempfile::tempdir().unwrap();
    let (samples, phrases) = phrases_with_known_times(dir.path());
    let t = tiny().transcribe(&samples, &english(None)).unwrap();
    let duration_s = samples.len() as f64 / f64::from(SAMPLE_RATE);
    assert_well_formed(&t, duration_s);
    let words: Vec<_> = t.segments.iter().flat_map(|s| &s.words).collect();
    let listing: Vec<String> = words.iter().map(|w| format!("{}@{:.2}", w.text, w.start_s)).collect();
    println!("phrases {phrases:?}\nwords {listing:?}");
    // Every word starts inside a phrase (a few hundred ms of slack: onsets are soft and Whisper's frames are 20 ms).
    let slack = 0.3;
    for w in &words {
        assert!(
            phrases.iter().any(|(_, start, end)| w.start_s >= start - slack && w.start_s <= *end),
            "{:?} starts at {:.2} s, in no phrase; words {listing:?}",
            w.text,
            w.start_s
        );
    }
    // The first word of each phrase starts where that phrase starts.
    let mut from = 0;
    for (first, start, _) in &phrases {
        let found = words[from..].iter().position(|w| bare(&w.text).starts_with(first));
        let Some(offset) = found else { panic!("{first:?} not heard in order; words {listing:?}") };
        from += offset;
        let heard = words[from].start_s;
        assert!((heard - start).abs() <= slack, "{first:?} at {heard:.2} s, spoken at {start:.2} s; {listing:?}");
    }
}

#[test]
fn demo_report_word_times_are_spread_over_the_speech_not_piled_at_the_end() {
    let samples = decode_file(&demo_path());
    let duration_s = samples.len() as f64 / f64::from(SAMPLE_RATE);
    let t = tiny().transcribe(&samples, &english(Some(customer_prompt()))).unwrap();
    let starts: Vec<f64> = t.segments.iter().flat_map(|s| &s.words).map(|w| w.start_s).collect();
    let listing: Vec<String> = t.segments.iter().flat_map(|s| &s.words).map(|w| format!("{}@{:.2}", w.text, w.start_s)).collect();
    assert!(starts.len() >= 20, "{listing:?}");
    assert!(starts.windows(2).all(|p| p[0] <= p[1]), "not monotonic: {listing:?}");
    let most_shared = starts.iter().map(|s| starts.iter().filter(|o| (*o - s).abs() < 1e-6).count()).max().unwrap();
    assert!(most_shared <= 2, "{most_shared} words share one start time: {listing:?}");
    let last = starts.last().unwrap();
    assert!(*last < duration_s - 0.3, "last word at {last:.2} s of {duration_s:.2} s: {listing:?}");
}
