//! Prompt audio: the dialog's [`Say`] rendered to 8 kHz 16-bit PCM for the call path. Text goes through
//! espeak-ng in-process (English and Mandarin voices), cached in memory and on disk by a hash of voice and
//! text so a changed text is rendered again; a pre-recorded `prompts/audio/<prompt-id>.<lang>.wav` replaces a
//! fixed prompt. [`FakeRenderer`] stands in for tests. Uses only the call rate from telephony; must not depend
//! on store, http or jobs.

mod espeak;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::audio::g711::f32_to_i16;
use crate::audio::{DecodeOptions, decode, resample};
use crate::dialog::Say;
use crate::telephony::CALL_RATE;

pub use espeak::voice_for;

/// Why a prompt could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("espeak-ng: {0}")]
    Engine(String),
    #[error("pre-recorded prompt {path}: {reason}")]
    Recording { path: String, reason: String },
    #[error("prompt cache {path}: {source}")]
    Cache { path: String, source: std::io::Error },
}

/// Renders what the dialog says. Rendering is CPU work: call it from `spawn_blocking`.
pub trait PromptRenderer: Send + Sync {
    /// 8 kHz mono PCM for `say`.
    fn render(&self, say: &Say) -> Result<Arc<[i16]>, SpeechError>;
}

/// A shared renderer.
pub type SharedRenderer = Arc<dyn PromptRenderer>;

/// A short 660 Hz beep with soft edges, `ms` long, at [`CALL_RATE`].
pub fn tone(ms: u32) -> Arc<[i16]> {
    let n = (CALL_RATE as usize * ms as usize) / 1000;
    let ramp = (CALL_RATE as usize / 100).max(1);
    (0..n)
        .map(|i| {
            let edge = (i.min(n - 1 - i) as f32 / ramp as f32).min(1.0);
            let phase = 2.0 * std::f32::consts::PI * 660.0 * i as f32 / CALL_RATE as f32;
            (phase.sin() * edge * 8000.0) as i16
        })
        .collect()
}

/// Speaking rate of prompts: a little slower than espeak-ng's default, for the telephone band.
pub const DEFAULT_RATE_WPM: i32 = 160;

/// espeak-ng prompts with a memory and disk cache and pre-recorded replacements.
pub struct EspeakRenderer {
    cache_dir: Option<PathBuf>,
    audio_dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, Arc<[i16]>>>,
    synthesised: AtomicUsize,
    rate_wpm: i32,
}

impl EspeakRenderer {
    /// `cache_dir` (e.g. `<data dir>/prompt-cache`) keeps rendered prompts across restarts; `audio_dir`
    /// (e.g. `prompts/audio`) holds pre-recorded WAVs.
    pub fn new(cache_dir: Option<PathBuf>, audio_dir: Option<PathBuf>) -> Self {
        EspeakRenderer {
            cache_dir,
            audio_dir,
            memory: Mutex::new(HashMap::new()),
            synthesised: AtomicUsize::new(0),
            rate_wpm: DEFAULT_RATE_WPM,
        }
    }

    /// The same renderer speaking at `wpm` words per minute (80 to 450).
    pub fn with_rate(mut self, wpm: i32) -> Self {
        self.rate_wpm = wpm.clamp(80, 450);
        self
    }

    /// How many prompts were synthesised (not served from a cache).
    pub fn synthesised(&self) -> usize {
        self.synthesised.load(Ordering::Relaxed)
    }

    fn recorded(&self, id: &str, lang: &str) -> Result<Option<Arc<[i16]>>, SpeechError> {
        let Some(dir) = &self.audio_dir else { return Ok(None) };
        let path = dir.join(format!("{id}.{lang}.wav"));
        if !path.is_file() {
            return Ok(None);
        }
        let err = |reason: String| SpeechError::Recording { path: path.display().to_string(), reason };
        let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
        let audio = decode(&bytes, &DecodeOptions::default()).map_err(|e| err(e.to_string()))?;
        Ok(Some(f32_to_i16(&resample(&audio.samples, crate::audio::SAMPLE_RATE, CALL_RATE)).into()))
    }
}

/// The cache key of a text in a voice.
fn cache_key(voice: &str, text: &str) -> String {
    let digest = Sha256::digest(format!("{voice}\0{text}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn read_cache(path: &Path) -> Option<Arc<[i16]>> {
    let bytes = std::fs::read(path).ok()?;
    Some(bytes.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect())
}

fn write_cache(path: &Path, samples: &[i16]) -> Result<(), SpeechError> {
    let err = |source| SpeechError::Cache { path: path.display().to_string(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    // Write then rename, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

impl PromptRenderer for EspeakRenderer {
    fn render(&self, say: &Say) -> Result<Arc<[i16]>, SpeechError> {
        let (id, lang, text, fixed) = match say {
            Say::Tone { ms } => return Ok(tone(*ms)),
            Say::Prompt { id, lang, text, fixed } => (id, lang, text, *fixed),
        };
        if fixed && let Some(audio) = self.recorded(id, lang)? {
            return Ok(audio);
        }
        let voice = voice_for(lang);
        let key = cache_key(&format!("{voice}@{}", self.rate_wpm), text);
        if let Some(hit) = self.memory.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(hit.clone());
        }
        let file = self.cache_dir.as_ref().map(|d| d.join(format!("{key}.pcm")));
        let samples = match file.as_deref().and_then(read_cache) {
            Some(cached) => cached,
            None => {
                let (pcm, rate) = espeak::synthesise(voice, self.rate_wpm, text)?;
                self.synthesised.fetch_add(1, Ordering::Relaxed);
                let f: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
                let out: Arc<[i16]> = f32_to_i16(&resample(&f, rate, CALL_RATE)).into();
                if let Some(file) = &file {
                    write_cache(file, &out)?;
                }
                out
            }
        };
        self.memory.lock().unwrap_or_else(|p| p.into_inner()).insert(key, samples.clone());
        Ok(samples)
    }
}

/// A renderer for tests: every prompt is a quiet tone 40 ms per character (at least 200 ms), so tests
/// can tell prompts apart by length without a speech engine. Counts its calls.
#[derive(Default)]
pub struct FakeRenderer {
    calls: AtomicUsize,
}

impl FakeRenderer {
    /// How many times `render` was called.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl PromptRenderer for FakeRenderer {
    fn render(&self, say: &Say) -> Result<Arc<[i16]>, SpeechError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ms = match say {
            Say::Tone { ms } => *ms,
            Say::Prompt { text, .. } => (text.chars().count() as u32 * 40).max(200),
        };
        Ok(tone(ms).iter().map(|s| s / 8).collect())
    }
}

#[cfg(test)]
mod tests;
