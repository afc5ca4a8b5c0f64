//! Speech to text behind the [`Transcriber`] trait: the whisper-rs implementation and an in-memory fake.
//! Must not depend on extract, store, http or jobs.

use serde::Serialize;

mod check;
mod fake;
mod filter;
pub mod whisper;
mod words;

pub use check::{CHECK_PHRASE, check_model, word_error_rate};
pub use fake::FakeTranscriber;
pub use whisper::{LoadOptions, WhisperTranscriber};

/// Which language to transcribe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Language {
    /// Let the model detect it.
    #[default]
    Auto,
    /// An ISO 639-1 code Whisper knows ("en", "zh", ...).
    Code(String),
}

impl Language {
    /// Parses `auto` or a language code as given on the command line ("en", "ZH" -> "zh").
    pub fn parse(text: &str) -> Self {
        let code = text.trim().to_ascii_lowercase();
        if code.is_empty() || code == "auto" { Language::Auto } else { Language::Code(code) }
    }

    /// The code, or None for auto-detection.
    pub fn code(&self) -> Option<&str> {
        match self {
            Language::Auto => None,
            Language::Code(code) => Some(code),
        }
    }
}

/// Per-job options.
#[derive(Debug, Clone, Default)]
pub struct TranscribeOptions {
    pub language: Language,
    /// Vocabulary bias: customer names, asset tags, part names.
    pub initial_prompt: Option<String>,
    /// CPU threads for this job (0 = the transcriber's default).
    pub threads: usize,
}

/// One recognised word with its timing and confidence (mean token probability).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Word {
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    pub confidence: f32,
}

/// One segment of the transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    pub confidence: f32,
    pub words: Vec<Word>,
}

/// The result of transcribing one clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transcript {
    /// The whole text, segments joined; "" when there was no speech.
    pub text: String,
    /// Detected or requested language code.
    pub language: String,
    pub segments: Vec<Segment>,
}

/// Why transcription failed.
#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error("model: {0}")]
    Model(String),
    #[error("inference failed: {0}")]
    Inference(String),
    /// The language code is unknown, or the model cannot transcribe it (English-only model asked for zh).
    #[error("language: {0}")]
    Language(String),
    /// The model loaded but did not recognise the known check phrase.
    #[error("model check failed: expected {expected:?}, heard {heard:?}")]
    CheckFailed { expected: String, heard: String },
}

impl Transcript {
    /// A transcript with no speech in it.
    pub fn empty(language: &str) -> Self {
        Self { text: String::new(), language: language.to_string(), segments: Vec::new() }
    }

    /// Mean of the segment confidences (0 when there are none).
    pub fn confidence(&self) -> f32 {
        if self.segments.is_empty() {
            return 0.0;
        }
        self.segments.iter().map(|s| s.confidence).sum::<f32>() / self.segments.len() as f32
    }
}

/// Turns 16 kHz mono samples into text. One shared model; each call uses its own state.
pub trait Transcriber: Send + Sync {
    fn transcribe(&self, samples: &[f32], opts: &TranscribeOptions) -> Result<Transcript, TranscribeError>;
    /// The model's name, stored with each transcript.
    fn model_name(&self) -> &str;
}
