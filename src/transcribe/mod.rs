//! Speech to text behind the [`Transcriber`] trait: the whisper-rs implementation and an in-memory fake.
//! Must not depend on extract, store, http or jobs.

use serde::Serialize;

/// Which language to transcribe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Language {
    /// Let the model detect it.
    #[default]
    Auto,
    /// An ISO 639-1 code Whisper knows ("en", "zh", ...).
    Code(String),
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
}

/// Turns 16 kHz mono samples into text. One shared model; each call uses its own state.
pub trait Transcriber: Send + Sync {
    fn transcribe(&self, samples: &[f32], opts: &TranscribeOptions) -> Result<Transcript, TranscribeError>;
    /// The model's name, stored with each transcript.
    fn model_name(&self) -> &str;
}

/// Loads a model file and transcribes a known phrase, to prove a fetched or converted model works.
/// Returns what the model heard. (Filled in by the whisper implementation.)
pub fn check_model(_path: &std::path::Path) -> Result<String, TranscribeError> {
    Ok(String::new())
}
