//! An [`AudioSource`] reading a WAV file (any rate, channels and encoding src/audio decodes), in real time
//! (paced like a microphone) or as fast as the consumer takes it. Used by tests and by `dictate --input`.

use std::path::Path;
use std::time::{Duration, Instant};

use super::source::{AudioSource, Next, SourceError};
use crate::audio::{DecodeOptions, SAMPLE_RATE, decode};

/// Samples per block: 100 ms, like a microphone callback batch.
const BLOCK: usize = SAMPLE_RATE as usize / 10;

/// A WAV file played into the recorder.
pub struct WavSource {
    name: String,
    samples: Vec<f32>,
    at: usize,
    /// When pacing: the instant the first block was handed out.
    paced_from: Option<Option<Instant>>,
    /// Silence appended after the file's end (lets the voice activity detector see the speech end).
    tail: usize,
}

impl WavSource {
    /// Reads and decodes `path`. `paced`: hand out audio no faster than real time.
    pub fn open(path: &Path, paced: bool) -> Result<Self, SourceError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| SourceError::File { path: name.clone(), reason: e.to_string() })?;
        let audio = decode(&bytes, &DecodeOptions::default())
            .map_err(|e| SourceError::File { path: name.clone(), reason: e.to_string() })?;
        Ok(Self::from_samples(name, audio.samples, paced))
    }

    /// A source over samples already at 16 kHz mono.
    pub fn from_samples(name: String, samples: Vec<f32>, paced: bool) -> Self {
        Self { name, samples, at: 0, paced_from: paced.then_some(None), tail: 0 }
    }

    /// Appends this much silence after the file, as a microphone would keep hearing the room.
    pub fn with_trailing_silence(mut self, silence: Duration) -> Self {
        self.tail = (silence.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize;
        self
    }

    fn total(&self) -> usize {
        self.samples.len() + self.tail
    }
}

impl AudioSource for WavSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn next(&mut self, timeout: Duration) -> Result<Next, SourceError> {
        if self.at >= self.total() {
            return Ok(Next::Ended);
        }
        if let Some(start) = &mut self.paced_from {
            let start = *start.get_or_insert_with(Instant::now);
            let due = start + Duration::from_secs_f64((self.at + BLOCK) as f64 / f64::from(SAMPLE_RATE));
            let now = Instant::now();
            if due > now {
                if due - now > timeout {
                    std::thread::sleep(timeout);
                    return Ok(Next::Pending);
                }
                std::thread::sleep(due - now);
            }
        }
        let end = (self.at + BLOCK).min(self.total());
        let block: Vec<f32> = (self.at..end).map(|i| self.samples.get(i).copied().unwrap_or(0.0)).collect();
        self.at = end;
        Ok(Next::Audio(block))
    }

    fn stop(&mut self) -> Result<(), SourceError> {
        self.at = self.total();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_every_sample_then_ends() {
        let mut src = WavSource::from_samples("t".into(), vec![0.5; 3500], false).with_trailing_silence(Duration::from_millis(10));
        let mut got = Vec::new();
        while let Next::Audio(b) = src.next(Duration::from_millis(1)).unwrap() {
            got.extend(b);
        }
        assert_eq!(got.len(), 3500 + 160);
        assert!(got[..3500].iter().all(|&x| x == 0.5) && got[3500..].iter().all(|&x| x == 0.0));
        assert_eq!(src.next(Duration::ZERO).unwrap(), Next::Ended);
    }

    #[test]
    fn a_file_that_is_not_audio_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.wav");
        std::fs::write(&path, b"hello, this is text").unwrap();
        let err = WavSource::open(&path, false).err().unwrap().to_string();
        assert!(err.contains("notes.wav"), "{err}");
    }
}
