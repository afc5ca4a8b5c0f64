//! The recorder: pulls blocks from an [`AudioSource`], writes every sample to the session's WAV file first
//! (16-bit PCM, 16 kHz mono, header flushed with each block so a killed process leaves a playable file), then
//! cuts one utterance at a time by voice activity (src/audio VadStream) or when the caller says stop (a key).
//! A session that heard only silence, or whose device went away, fails with the WAV kept and named.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::source::{AudioSource, Next, SourceError};
use crate::audio::SAMPLE_RATE;
use crate::audio::vad::{VadConfig, VadEvent, VadStream};

/// How an utterance is cut.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// Voice activity tuning; `end_silence` is the pause that ends an utterance.
    pub vad: VadConfig,
    /// Listening this long without hearing speech fails with [`CaptureError::Silence`].
    pub no_speech_timeout: Duration,
    /// An utterance is cut here even if the speaker goes on.
    pub max_utterance: Duration,
    /// How often the caller's `control` callback gets the audio so far (for a live transcript).
    pub progress_every: Duration,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        Self {
            vad: VadConfig { end_silence: Duration::from_millis(1500), ..VadConfig::default() },
            no_speech_timeout: Duration::from_secs(15),
            max_utterance: Duration::from_secs(300),
            progress_every: Duration::from_secs(3),
        }
    }
}

/// What the caller tells the recorder after each progress report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// End the utterance now (the key was pressed).
    Stop,
}

/// What the caller is shown while recording.
#[derive(Debug)]
pub struct Progress<'a> {
    /// The utterance's audio so far (16 kHz mono), from the start of listening.
    pub samples: &'a [f32],
    pub in_speech: bool,
    /// True when enough new audio arrived for a live transcript update.
    pub update_due: bool,
}

/// Why an utterance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// A pause after speech.
    Silence,
    /// The caller said stop.
    Key,
    /// The source ran out (end of a file).
    SourceEnded,
    /// [`CaptureOptions::max_utterance`] was reached.
    MaxLength,
}

/// One utterance.
#[derive(Debug, Clone)]
pub struct Utterance {
    /// Its audio (16 kHz mono), from the start of speech to the end (padding included).
    pub samples: Vec<f32>,
    /// Where it starts in the session WAV, in seconds.
    pub offset_s: f64,
    pub ended_by: EndedBy,
}

/// Why recording failed. Every variant keeps the WAV written so far and names it.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{reason}; the {recorded_s:.1} s recorded so far are kept in {}", kept.display())]
    DeviceGone { reason: String, recorded_s: f64, kept: PathBuf },
    #[error("heard only silence for {heard_s:.1} s (loudest {peak_dbfs:.0} dBFS: {}); the recording is kept in {}",
        if *peak_dbfs < MUTED_DBFS { "is the microphone muted or unplugged?" } else { "no speech detected" }, kept.display())]
    Silence { heard_s: f64, peak_dbfs: f32, kept: PathBuf },
    #[error("recording file {}: {reason}", path.display())]
    Wav { path: PathBuf, reason: String },
}

/// Below this peak level the input is taken to be a muted or dead microphone, not a quiet room.
pub const MUTED_DBFS: f32 = -60.0;

fn dbfs(peak: f32) -> f32 {
    20.0 * (peak.max(1e-7)).log10()
}

/// The session's WAV file and the utterances cut from it.
pub struct Recorder {
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    path: PathBuf,
    written: usize,
}

impl Recorder {
    /// Creates the session WAV at `path` (its directory must exist).
    pub fn create(path: &Path) -> Result<Self, CaptureError> {
        let spec = hound::WavSpec { channels: 1, sample_rate: SAMPLE_RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let writer = hound::WavWriter::create(path, spec).map_err(|e| CaptureError::Wav { path: path.to_path_buf(), reason: e.to_string() })?;
        Ok(Self { writer: Some(writer), path: path.to_path_buf(), written: 0 })
    }

    /// The session WAV's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seconds written to the WAV so far.
    pub fn recorded_s(&self) -> f64 {
        self.written as f64 / f64::from(SAMPLE_RATE)
    }

    fn write(&mut self, block: &[f32]) -> Result<(), CaptureError> {
        let wav_err = |e: hound::Error| CaptureError::Wav { path: self.path.clone(), reason: e.to_string() };
        let Some(w) = self.writer.as_mut() else { return Ok(()) };
        for &x in block {
            let x = if x.is_finite() { x.clamp(-1.0, 1.0) } else { 0.0 };
            w.write_sample((x * 32767.0).round() as i16).map_err(wav_err)?;
        }
        // Rewrites the header's lengths and flushes: the file is valid up to here if the process dies.
        w.flush().map_err(wav_err)?;
        self.written += block.len();
        Ok(())
    }

    /// Listens until one utterance is complete. `control` is called after every block with the audio so far.
    pub fn record_utterance(
        &mut self,
        source: &mut dyn AudioSource,
        opts: &CaptureOptions,
        control: &mut dyn FnMut(&Progress<'_>) -> Control,
    ) -> Result<Utterance, CaptureError> {
        let start_offset = self.written;
        let mut vad = VadStream::new(opts.vad.clone());
        let mut heard: Vec<f32> = Vec::new();
        let mut speech_start: Option<usize> = None;
        let mut peak = 0.0f32;
        let mut last_update = 0usize;
        let every = (opts.progress_every.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize;
        let max = (opts.max_utterance.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize;
        let started = Instant::now();
        let ended_by = loop {
            let block = match source.next(Duration::from_millis(50)) {
                Ok(Next::Audio(block)) => block,
                Ok(Next::Pending) => Vec::new(),
                Ok(Next::Ended) => {
                    if vad.finish().iter().any(|e| matches!(e, VadEvent::SpeechEnd { .. })) || speech_start.is_some() {
                        break EndedBy::SourceEnded;
                    }
                    return Err(self.silence(heard.len(), peak));
                }
                Err(SourceError::DeviceGone { device, reason }) => {
                    return Err(CaptureError::DeviceGone {
                        reason: format!("input device `{device}` disappeared: {reason}"),
                        recorded_s: self.recorded_s(),
                        kept: self.path.clone(),
                    });
                }
                Err(e) => return Err(e.into()),
            };
            self.write(&block)?;
            peak = block.iter().fold(peak, |p, x| p.max(x.abs()));
            heard.extend_from_slice(&block);
            let mut ended = false;
            for event in vad.push(&block) {
                match event {
                    VadEvent::SpeechStart { at } => speech_start = speech_start.or(Some(at)),
                    VadEvent::SpeechEnd { at } => {
                        heard.truncate(at.max(speech_start.unwrap_or(0)));
                        ended = true;
                    }
                }
            }
            if ended {
                break EndedBy::Silence;
            }
            let update_due = speech_start.is_some() && heard.len() >= last_update + every;
            if update_due {
                last_update = heard.len();
            }
            let progress = Progress { samples: &heard, in_speech: vad.in_speech(), update_due };
            if control(&progress) == Control::Stop {
                break EndedBy::Key;
            }
            if heard.len() >= max {
                break EndedBy::MaxLength;
            }
            if speech_start.is_none() && (heard.len() >= (opts.no_speech_timeout.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize
                || started.elapsed() >= opts.no_speech_timeout * 2)
            {
                return Err(self.silence(heard.len(), peak));
            }
        };
        let from = speech_start.unwrap_or(0).min(heard.len());
        Ok(Utterance {
            samples: heard[from..].to_vec(),
            offset_s: (start_offset + from) as f64 / f64::from(SAMPLE_RATE),
            ended_by,
        })
    }

    fn silence(&self, heard: usize, peak: f32) -> CaptureError {
        CaptureError::Silence { heard_s: heard as f64 / f64::from(SAMPLE_RATE), peak_dbfs: dbfs(peak), kept: self.path.clone() }
    }

    /// Closes the WAV (finalising its header) and returns its path.
    pub fn finish(mut self) -> Result<PathBuf, CaptureError> {
        if let Some(w) = self.writer.take() {
            w.finalize().map_err(|e| CaptureError::Wav { path: self.path.clone(), reason: e.to_string() })?;
        }
        Ok(self.path.clone())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.finalize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::WavSource;

    #[test]
    fn silence_only_fails_clearly_and_keeps_the_wav() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.wav");
        let mut rec = Recorder::create(&path).unwrap();
        let mut src = WavSource::from_samples("muted".into(), vec![0.0; 16_000 * 3], false);
        let opts = CaptureOptions { no_speech_timeout: Duration::from_secs(2), ..CaptureOptions::default() };
        let err = rec.record_utterance(&mut src, &opts, &mut |_| Control::Continue).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("muted") && msg.contains("session.wav"), "{msg}");
        drop(rec);
        let reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().sample_rate, 16_000);
        assert!(reader.len() >= 16_000 * 2, "kept {} samples", reader.len());
    }

    /// Speech-like audio, then the device vanishes.
    struct Vanishing(usize);

    impl AudioSource for Vanishing {
        fn name(&self) -> &str {
            "usb mic"
        }
        fn next(&mut self, _: Duration) -> Result<Next, SourceError> {
            if self.0 == 0 {
                return Err(SourceError::DeviceGone { device: "usb mic".into(), reason: "unplugged".into() });
            }
            self.0 -= 1;
            Ok(Next::Audio(vec![0.1; 1600]))
        }
        fn stop(&mut self) -> Result<(), SourceError> {
            Ok(())
        }
    }

    #[test]
    fn a_device_gone_mid_recording_keeps_what_was_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.wav");
        let mut rec = Recorder::create(&path).unwrap();
        let err = rec.record_utterance(&mut Vanishing(15), &CaptureOptions::default(), &mut |_| Control::Continue).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, CaptureError::DeviceGone { .. }), "{msg}");
        assert!(msg.contains("`usb mic` disappeared: unplugged") && msg.contains("1.5 s") && msg.contains("gone.wav"), "{msg}");
        drop(rec);
        assert_eq!(hound::WavReader::open(&path).unwrap().len(), 15 * 1600);
    }

    #[test]
    fn the_wav_is_playable_before_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.wav");
        let mut rec = Recorder::create(&path).unwrap();
        rec.write(&[0.25; 1600]).unwrap();
        // Read while the writer is still open, as after a crash.
        let reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.len(), 1600);
        let first: i16 = reader.into_samples::<i16>().next().unwrap().unwrap();
        assert_eq!(first, (0.25f32 * 32767.0).round() as i16);
    }
}
