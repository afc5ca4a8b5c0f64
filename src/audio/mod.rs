//! Audio in: decode WAV / raw G.711, downmix, resample to 16 kHz mono f32, and voice activity detection.
//! Pure code: takes bytes, returns samples. Must not depend on transcribe, extract or any I/O.

use std::time::Duration;

/// The sample rate every consumer inside fieldvoice works at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Decoded audio, always 16 kHz mono.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Samples in [-1.0, 1.0] at [`SAMPLE_RATE`].
    pub samples: Vec<f32>,
    /// Description of what was decoded, e.g. "WAV 8000 Hz mu-law mono".
    pub source_format: String,
}

impl Audio {
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / SAMPLE_RATE as f64
    }
}

/// How a headerless stream is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    /// G.711 mu-law at the given rate (8000 Hz on phone lines).
    MuLaw { sample_rate: u32 },
    /// G.711 A-law at the given rate.
    ALaw { sample_rate: u32 },
    /// Signed 16-bit little-endian PCM, mono.
    PcmS16Le { sample_rate: u32 },
}

/// Limits applied while decoding.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// Longer input is refused (default 10 minutes).
    pub max_duration: Duration,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self { max_duration: Duration::from_secs(600) }
    }
}

/// Why audio was refused. The caller names the input (file name, upload id) in its own message.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AudioError {
    #[error("empty input (0 bytes)")]
    Empty,
    #[error("not audio: {0}")]
    NotAudio(String),
    #[error("truncated: {0}")]
    Truncated(String),
    #[error("unsupported audio format: {0}")]
    Unsupported(String),
    #[error("too long: {actual_s:.1} s exceeds the limit of {limit_s:.0} s")]
    TooLong { actual_s: f64, limit_s: f64 },
}

/// Decodes a WAV file (any container the module supports) into 16 kHz mono.
pub fn decode(_bytes: &[u8], _opts: &DecodeOptions) -> Result<Audio, AudioError> {
    unimplemented!("audio::decode")
}

/// Decodes a headerless stream.
pub fn decode_raw(_bytes: &[u8], _format: RawFormat, _opts: &DecodeOptions) -> Result<Audio, AudioError> {
    unimplemented!("audio::decode_raw")
}
