//! Voice activity detection on 16 kHz mono f32 (earshot's neural detector on 16 ms frames, gated by a background
//! level tracker): whole-clip speech regions, and a streaming form that reports each utterance's start and end.
//! Pure code; must not depend on transcribe, extract or any I/O.
//!
//! Why the level gate: earshot alone scores steady sounds as voice (loud white noise 0.75, a 100 Hz buzz with
//! harmonics 0.7, against 0.9 for speech). Speech rises and falls by syllable; steady noise and hum do not. A frame
//! counts as voiced only if earshot says so AND it is louder than the quietest frame of the last second by a margin.

use std::ops::Range;
use std::time::Duration;

use earshot::Detector;

use super::SAMPLE_RATE;

/// Samples per detector frame (16 ms at 16 kHz), fixed by earshot.
pub const FRAME: usize = 256;

/// Tuning for [`VadStream`] and [`speech_regions`].
#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Frame score (0..1) at or above which a frame counts as voiced.
    pub threshold: f32,
    /// Voiced time needed before speech is declared; shorter blips (clicks, a cough) are ignored.
    pub min_speech: Duration,
    /// Unvoiced time that ends an utterance; short pauses between words stay inside one region.
    pub end_silence: Duration,
    /// Margin added before the first and after the last voiced frame, so word edges are not clipped.
    pub padding: Duration,
    /// How far (dB) above the background a frame must be to count as voiced. The background is the quietest
    /// frame within [`VadConfig::floor_window`]; steady noise and hum never rise above it.
    pub floor_margin_db: f32,
    /// How far back the background level is looked for.
    pub floor_window: Duration,
}

impl Default for VadConfig {
    /// Settings for end-of-utterance detection on a live call: 700 ms of silence ends a turn.
    fn default() -> Self {
        Self {
            threshold: 0.5,
            min_speech: Duration::from_millis(96),
            end_silence: Duration::from_millis(700),
            padding: Duration::from_millis(200),
            floor_margin_db: 6.0,
            floor_window: Duration::from_secs(1),
        }
    }
}

impl VadConfig {
    /// Settings for cutting a recording into speech regions: pauses over 300 ms split regions.
    pub fn regions() -> Self {
        Self { end_silence: Duration::from_millis(300), ..Self::default() }
    }
}

/// What a [`VadStream`] noticed. Positions are sample indices (16 kHz) counted from the first sample pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech began at this sample (padding included).
    SpeechStart { at: usize },
    /// Speech ended at this sample (padding included, exclusive), reported after the trailing silence.
    SpeechEnd { at: usize },
}

/// Streaming voice activity detector: push audio as it arrives, get start/end events back.
pub struct VadStream {
    detector: Box<Detector>,
    config: VadConfig,
    frame: Vec<f32>,
    /// Energies (dB) of the last frames, a ring of `floor_window` length, and the next slot to write.
    levels: Vec<f32>,
    next_level: usize,
    floor_frames: usize,
    /// Samples consumed into whole frames so far.
    consumed: usize,
    in_speech: bool,
    /// While silent: start sample and voiced-frame count of a possible onset, and unvoiced frames since.
    onset: Option<(usize, usize, usize)>,
    /// While speaking: end of the last voiced frame and unvoiced frames since.
    last_voiced_end: usize,
    silent_frames: usize,
    /// End of the previous region, so padding never makes regions overlap.
    previous_end: usize,
}

fn frames(d: Duration) -> usize {
    (d.as_secs_f64() * f64::from(SAMPLE_RATE) / FRAME as f64).ceil() as usize
}

fn samples(d: Duration) -> usize {
    (d.as_secs_f64() * f64::from(SAMPLE_RATE)).round() as usize
}

/// Unvoiced frames tolerated inside an onset before it is abandoned.
const ONSET_GAP_FRAMES: usize = 3;

impl VadStream {
    /// A detector with the given tuning; audio pushed must be 16 kHz mono.
    pub fn new(config: VadConfig) -> Self {
        Self {
            detector: Detector::default_boxed(),
            frame: Vec::with_capacity(FRAME),
            levels: Vec::new(),
            next_level: 0,
            floor_frames: frames(config.floor_window).max(1),
            consumed: 0,
            in_speech: false,
            onset: None,
            last_voiced_end: 0,
            silent_frames: 0,
            previous_end: 0,
            config,
        }
    }

    /// Feeds samples (any length); returns the events completed by them, in order.
    pub fn push(&mut self, samples: &[f32]) -> Vec<VadEvent> {
        let mut events = Vec::new();
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (FRAME - self.frame.len()).min(rest.len());
            self.frame.extend(rest[..take].iter().map(|x| if x.is_finite() { x.clamp(-1.0, 1.0) } else { 0.0 }));
            rest = &rest[take..];
            if self.frame.len() == FRAME {
                let score = self.detector.predict_f32(&self.frame);
                let above_floor = self.above_background();
                self.frame.clear();
                if let Some(e) = self.step(score >= self.config.threshold && above_floor) {
                    events.push(e);
                }
            }
        }
        events
    }

    /// Ends the stream: an utterance still open is closed at the last voiced sample plus padding.
    pub fn finish(&mut self) -> Vec<VadEvent> {
        let total = self.consumed + self.frame.len();
        let mut events = Vec::new();
        if self.in_speech {
            let at = (self.last_voiced_end + samples(self.config.padding)).min(total);
            self.in_speech = false;
            self.previous_end = at;
            events.push(VadEvent::SpeechEnd { at });
        }
        events
    }

    /// True while inside an utterance.
    pub fn in_speech(&self) -> bool {
        self.in_speech
    }

    /// Records the current frame's level and tells whether it stands out from the background.
    fn above_background(&mut self) -> bool {
        let energy = self.frame.iter().map(|x| x * x).sum::<f32>() / FRAME as f32;
        let level = 10.0 * (energy + 1e-10).log10();
        if self.levels.len() < self.floor_frames {
            self.levels.push(level);
        } else {
            self.levels[self.next_level] = level;
            self.next_level = (self.next_level + 1) % self.floor_frames;
        }
        let floor = self.levels.iter().copied().fold(f32::INFINITY, f32::min);
        level >= floor + self.config.floor_margin_db
    }

    fn step(&mut self, voiced: bool) -> Option<VadEvent> {
        let start = self.consumed;
        self.consumed += FRAME;
        let end = self.consumed;
        if self.in_speech {
            if voiced {
                self.last_voiced_end = end;
                self.silent_frames = 0;
                return None;
            }
            self.silent_frames += 1;
            if self.silent_frames >= frames(self.config.end_silence).max(1) {
                let at = (self.last_voiced_end + samples(self.config.padding)).min(end);
                self.in_speech = false;
                self.previous_end = at;
                return Some(VadEvent::SpeechEnd { at });
            }
            return None;
        }
        let (onset_start, voiced_frames, gap) = match (self.onset, voiced) {
            (None, false) => return None,
            (None, true) => (start, 1, 0),
            (Some((s, n, _)), true) => (s, n + 1, 0),
            (Some((s, n, g)), false) => (s, n, g + 1),
        };
        if gap > ONSET_GAP_FRAMES {
            self.onset = None;
            return None;
        }
        if voiced_frames < frames(self.config.min_speech).max(1) {
            self.onset = Some((onset_start, voiced_frames, gap));
            return None;
        }
        self.onset = None;
        self.in_speech = true;
        self.last_voiced_end = end;
        self.silent_frames = 0;
        let at = onset_start.saturating_sub(samples(self.config.padding)).max(self.previous_end);
        Some(VadEvent::SpeechStart { at })
    }
}

/// Sample ranges of speech in a 16 kHz mono clip, padded by ~200 ms, pauses over 300 ms splitting regions,
/// voiced blips under ~100 ms ignored. Empty for silence, noise and hum.
pub fn speech_regions(samples_16k: &[f32]) -> Vec<Range<usize>> {
    regions_with(samples_16k, VadConfig::regions())
}

/// [`speech_regions`] with explicit tuning.
pub fn regions_with(samples_16k: &[f32], config: VadConfig) -> Vec<Range<usize>> {
    let mut vad = VadStream::new(config);
    let mut events = vad.push(samples_16k);
    events.extend(vad.finish());
    let mut regions: Vec<Range<usize>> = Vec::new();
    let mut open = None;
    for e in events {
        match e {
            VadEvent::SpeechStart { at } => open = Some(at),
            VadEvent::SpeechEnd { at } => {
                let Some(start) = open.take() else { continue };
                match regions.last_mut() {
                    Some(last) if last.end >= start => last.end = at,
                    _ => regions.push(start..at),
                }
            }
        }
    }
    regions
}

/// True if the 16 kHz mono clip holds any speech region.
pub fn has_speech(samples_16k: &[f32]) -> bool {
    !speech_regions(samples_16k).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_has_no_events_and_finish_is_quiet() {
        let mut vad = VadStream::new(VadConfig::default());
        assert!(vad.push(&vec![0.0; 16_000]).is_empty());
        assert!(vad.finish().is_empty());
        assert!(!has_speech(&vec![0.0; 3 * 16_000]));
    }

    #[test]
    fn state_machine_pads_and_ends_after_trailing_silence() {
        // Drive the frame logic directly with voiced/unvoiced decisions.
        let mut vad = VadStream::new(VadConfig::default());
        let mut events = Vec::new();
        let pattern = [vec![false; 30], vec![true; 20], vec![false; 10], vec![true; 5], vec![false; 60]].concat();
        for v in pattern {
            events.extend(vad.step(v));
        }
        let pad = samples(Duration::from_millis(200));
        // Onset after 6 voiced frames, placed at the first voiced frame minus padding.
        assert_eq!(events[0], VadEvent::SpeechStart { at: 30 * FRAME - pad });
        // The 10-frame (160 ms) pause stays inside; the end is the last voiced frame plus padding.
        assert_eq!(events[1], VadEvent::SpeechEnd { at: 65 * FRAME + pad });
        assert_eq!(events.len(), 2);
        assert!(!vad.in_speech());
    }

    #[test]
    fn only_frames_standing_out_from_the_last_second_pass_the_level_gate() {
        let mut vad = VadStream::new(VadConfig::default());
        let mut gate = |amplitude: f32| {
            vad.frame = vec![amplitude; FRAME];
            vad.above_background()
        };
        assert!(!gate(0.1), "the first frame is its own background");
        assert!(!gate(0.15), "+3.5 dB is within the margin");
        assert!(gate(0.25), "+8 dB stands out");
        for _ in 0..100 {
            gate(0.25); // a second of steady level becomes the background
        }
        assert!(!gate(0.25));
        assert!(gate(0.6));
    }

    #[test]
    fn a_short_blip_is_not_speech() {
        let mut vad = VadStream::new(VadConfig::default());
        let pattern = [vec![false; 10], vec![true; 3], vec![false; 100]].concat();
        let events: Vec<_> = pattern.into_iter().filter_map(|v| vad.step(v)).collect();
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn finish_closes_an_open_utterance_at_the_input_end() {
        let mut vad = VadStream::new(VadConfig::default());
        let events: Vec<_> = std::iter::repeat_n(true, 20).filter_map(|v| vad.step(v)).collect();
        assert_eq!(events, vec![VadEvent::SpeechStart { at: 0 }]);
        assert_eq!(vad.finish(), vec![VadEvent::SpeechEnd { at: 20 * FRAME }]);
    }
}
