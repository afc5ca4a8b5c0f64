//! Audio in: decode WAV / raw G.711, downmix, resample to 16 kHz mono f32, and voice activity detection.
//! Pure code: takes bytes, returns samples. Must not depend on transcribe, extract or any I/O.

use std::time::Duration;

mod encode;
pub mod g711;
mod resample;
mod resample_stream;
mod samples;
mod sniff;
pub mod vad;
mod wav;

pub use encode::encode_wav_pcm16;
pub use resample::{MAX_RESAMPLE_RATE, resample};
pub use resample_stream::ResampleStream;
use samples::Encoding;

/// The sample rate every consumer inside fieldvoice works at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Decoded audio, always 16 kHz mono.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Samples in [-1.0, 1.0] at [`SAMPLE_RATE`].
    pub samples: Vec<f32>,
    /// Description of what was decoded, e.g. "WAV 8000 Hz mu-law 1 ch".
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
    /// The container is broken: a required chunk is missing or its fields contradict each other.
    #[error("malformed WAV: {0}")]
    Malformed(String),
    #[error("unsupported audio format: {0}")]
    Unsupported(String),
    #[error("too long: {actual_s:.1} s exceeds the limit of {limit_s:.0} s")]
    TooLong { actual_s: f64, limit_s: f64 },
    /// Writing audio out failed (see [`encode_wav_pcm16`]).
    #[error("cannot encode audio: {0}")]
    Encode(String),
}

/// Decodes a WAV file (RIFF, RF64 or BW64; PCM 8/16/24/32-bit, float 32/64, G.711 mu-law/A-law, plain or
/// WAVE_FORMAT_EXTENSIBLE) into 16 kHz mono. The duration is checked against `opts.max_duration` from the header,
/// before any sample is decoded. A data size of 0 or 0xFFFFFFFF (a writer that never finished the header) means
/// "to the end of the input"; a WAV with no sample bytes decodes to empty audio.
pub fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Audio, AudioError> {
    let wav = wav::parse(bytes)?;
    let description = format!("{} {} Hz {} {} ch", wav.container, wav.sample_rate, wav.encoding.name(), wav.channels);
    let frames = wav.data.len() / wav.block_align;
    check_duration(frames, wav.sample_rate, opts)?;
    Ok(finish(wav.data, wav.encoding, usize::from(wav.channels), wav.sample_rate, description))
}

/// Decodes a headerless mono stream (e.g. the payload of a phone call's RTP packets, concatenated).
/// A trailing odd byte of s16le input is ignored.
pub fn decode_raw(bytes: &[u8], format: RawFormat, opts: &DecodeOptions) -> Result<Audio, AudioError> {
    let (encoding, rate) = match format {
        RawFormat::MuLaw { sample_rate } => (Encoding::MuLaw, sample_rate),
        RawFormat::ALaw { sample_rate } => (Encoding::ALaw, sample_rate),
        RawFormat::PcmS16Le { sample_rate } => (Encoding::PcmS16, sample_rate),
    };
    if bytes.is_empty() {
        return Err(AudioError::Empty);
    }
    if !wav::RATE_RANGE.contains(&rate) {
        return Err(AudioError::Unsupported(format!(
            "sample rate {rate} Hz ({} to {} Hz are read)",
            wav::RATE_RANGE.start(),
            wav::RATE_RANGE.end()
        )));
    }
    check_duration(bytes.len() / encoding.bytes(), rate, opts)?;
    Ok(finish(bytes, encoding, 1, rate, format!("raw {rate} Hz {} 1 ch", encoding.name())))
}

fn check_duration(frames: usize, rate: u32, opts: &DecodeOptions) -> Result<(), AudioError> {
    let actual_s = frames as f64 / f64::from(rate);
    let limit_s = opts.max_duration.as_secs_f64();
    if actual_s > limit_s {
        return Err(AudioError::TooLong { actual_s, limit_s });
    }
    Ok(())
}

fn finish(data: &[u8], encoding: Encoding, channels: usize, rate: u32, source_format: String) -> Audio {
    let mono = samples::to_mono(data, encoding, channels);
    let samples = if rate == SAMPLE_RATE { mono } else { resample(&mono, rate, SAMPLE_RATE) };
    Audio { samples, source_format }
}
