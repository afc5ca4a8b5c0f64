//! The caller's audio inside a call: kept at 8 kHz for the call recording, resampled to 16 kHz for voice
//! activity detection, and captured from the first speech after [`Media::arm`] for transcription or a
//! message. Pure: no I/O and no clock (times are handed in).

use std::time::{Duration, Instant};

use crate::audio::ResampleStream;
use crate::audio::vad::{VadConfig, VadEvent, VadStream};
use crate::audio::SAMPLE_RATE;
use crate::telephony::CALL_RATE;

/// Longest call audio kept for the recording (30 minutes); later audio is not recorded.
const MAX_RECORDED: usize = 30 * 60 * CALL_RATE as usize;
/// Longest capture kept (5 minutes at 16 kHz); the dialog's own limits are shorter.
const MAX_CAPTURE: usize = 5 * 60 * SAMPLE_RATE as usize;

/// Voice activity on the call, as the dialog needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    Start,
    /// Speech ended; `at` is when the last voiced audio arrived (padding and detection delay removed).
    End { at: Instant },
}

/// One call's inbound audio.
pub struct Media {
    recorded: Vec<i16>,
    resampler: ResampleStream,
    vad: VadStream,
    padding: usize,
    /// 16 kHz samples seen so far.
    total: usize,
    armed: bool,
    /// Absolute 16 kHz index where the capture starts (first speech after arming), and what was captured
    /// since arming.
    capture_from: Option<usize>,
    capture_base: usize,
    capture: Vec<f32>,
}

impl Media {
    /// Media with the given end-of-utterance detection.
    pub fn new(vad: VadConfig) -> Media {
        let padding = (vad.padding.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize;
        Media {
            recorded: Vec::new(),
            resampler: ResampleStream::new(CALL_RATE, SAMPLE_RATE).unwrap_or_else(|e| panic!("8 kHz to 16 kHz: {e}")),
            vad: VadStream::new(vad),
            padding,
            total: 0,
            armed: false,
            capture_from: None,
            capture_base: 0,
            capture: Vec::new(),
        }
    }

    /// Adds one frame that arrived at `now`; returns voice activity it completed.
    pub fn push(&mut self, frame: &[i16], now: Instant) -> Vec<Voice> {
        if self.recorded.len() < MAX_RECORDED {
            self.recorded.extend_from_slice(frame);
        }
        let f: Vec<f32> = frame.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let wide = self.resampler.push(&f);
        self.total += wide.len();
        if self.armed && self.capture.len() < MAX_CAPTURE {
            self.capture.extend_from_slice(&wide);
        }
        let mut out = Vec::new();
        for e in self.vad.push(&wide) {
            match e {
                VadEvent::SpeechStart { at } => {
                    if self.armed && self.capture_from.is_none() {
                        self.capture_from = Some(at.max(self.capture_base));
                    }
                    out.push(Voice::Start);
                }
                VadEvent::SpeechEnd { at } => {
                    let behind = self.total.saturating_sub(at.saturating_sub(self.padding));
                    let ago = Duration::from_secs_f64(behind as f64 / f64::from(SAMPLE_RATE));
                    out.push(Voice::End { at: now.checked_sub(ago).unwrap_or(now) });
                }
            }
        }
        out
    }

    /// Starts a new capture: drops what was captured; keeps audio from the next speech onward (and a
    /// little before it, the detector's padding).
    pub fn arm(&mut self) {
        self.armed = true;
        self.capture.clear();
        self.capture_base = self.total;
        self.capture_from = None;
    }

    /// What was captured (16 kHz), from the first speech after [`Media::arm`]; ends the capture.
    pub fn take_capture(&mut self) -> Vec<f32> {
        self.armed = false;
        let skip = self.capture_from.map_or(0, |from| from.saturating_sub(self.capture_base));
        let mut out = std::mem::take(&mut self.capture);
        out.drain(..skip.min(out.len()));
        self.capture_from = None;
        out
    }

    /// The caller's audio so far, 8 kHz.
    pub fn recorded(&self) -> &[i16] {
        &self.recorded
    }
}
