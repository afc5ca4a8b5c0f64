//! An in-memory [`Transcriber`] for other modules' tests: scripted answers, or text chosen by audio length.
//! Must not depend on whisper-rs.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Segment, TranscribeError, TranscribeOptions, Transcriber, Transcript, Word};
use crate::audio::SAMPLE_RATE;

type ByDuration = Box<dyn Fn(f64) -> String + Send + Sync>;

enum Mode {
    Script(Mutex<VecDeque<Transcript>>),
    ByDuration(ByDuration),
}

/// A fake transcriber. Every call is counted ([`FakeTranscriber::calls`]).
pub struct FakeTranscriber {
    mode: Mode,
    calls: AtomicUsize,
}

impl FakeTranscriber {
    /// Answers each call with the next text (one segment over the whole clip, confidence 1); errors when the
    /// script is used up.
    pub fn scripted<S: Into<String>>(texts: impl IntoIterator<Item = S>) -> Self {
        Self::scripted_transcripts(texts.into_iter().map(|t| Transcript { text: t.into(), ..Transcript::empty("en") }))
    }

    /// Answers each call with the next transcript as given (segments filled in when it has none and text is set).
    pub fn scripted_transcripts(transcripts: impl IntoIterator<Item = Transcript>) -> Self {
        Self { mode: Mode::Script(Mutex::new(transcripts.into_iter().collect())), calls: AtomicUsize::new(0) }
    }

    /// Answers with `text_for(duration in seconds)`, e.g. silence (`0.0`) -> "" and longer clips -> a report.
    pub fn by_duration(text_for: impl Fn(f64) -> String + Send + Sync + 'static) -> Self {
        Self { mode: Mode::ByDuration(Box::new(text_for)), calls: AtomicUsize::new(0) }
    }

    /// How many times `transcribe` was called.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Transcriber for FakeTranscriber {
    fn transcribe(&self, samples: &[f32], opts: &TranscribeOptions) -> Result<Transcript, TranscribeError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let duration_s = samples.len() as f64 / f64::from(SAMPLE_RATE);
        let mut transcript = match &self.mode {
            Mode::Script(queue) => {
                let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop_front();
                next.ok_or_else(|| TranscribeError::Inference("fake transcriber: script used up".into()))?
            }
            Mode::ByDuration(text_for) => Transcript { text: text_for(duration_s), ..Transcript::empty("en") },
        };
        if let Some(code) = opts.language.code() {
            transcript.language = code.to_string();
        }
        if transcript.segments.is_empty() && !transcript.text.trim().is_empty() {
            transcript.segments = vec![whole_clip_segment(&transcript.text, duration_s)];
        }
        Ok(transcript)
    }

    fn model_name(&self) -> &str {
        "fake"
    }
}

/// One segment holding `text` over `[0, duration_s]`, words spread evenly, every confidence 1.
pub fn whole_clip_segment(text: &str, duration_s: f64) -> Segment {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let step = duration_s / parts.len().max(1) as f64;
    let words = parts
        .iter()
        .enumerate()
        .map(|(i, w)| Word { start_s: step * i as f64, end_s: step * (i + 1) as f64, text: w.to_string(), confidence: 1.0 })
        .collect();
    Segment { start_s: 0.0, end_s: duration_s, text: text.trim().to_string(), confidence: 1.0, words }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_answers_in_order_then_errors() {
        let fake = FakeTranscriber::scripted(["first report", "second"]);
        let opts = TranscribeOptions::default();
        let one_second = vec![0.0; SAMPLE_RATE as usize];
        let first = fake.transcribe(&one_second, &opts).unwrap();
        assert_eq!(first.text, "first report");
        assert_eq!(first.segments[0].words.len(), 2);
        assert_eq!(first.segments[0].end_s, 1.0);
        assert_eq!(fake.transcribe(&one_second, &opts).unwrap().text, "second");
        assert!(fake.transcribe(&one_second, &opts).is_err());
        assert_eq!(fake.calls(), 3);
    }

    #[test]
    fn by_duration_maps_length_to_text() {
        let fake = FakeTranscriber::by_duration(|s| if s < 0.5 { String::new() } else { format!("{s:.0} seconds") });
        let opts = TranscribeOptions { language: super::super::Language::parse("zh"), ..Default::default() };
        let silent = fake.transcribe(&[], &opts).unwrap();
        assert_eq!((silent.text.as_str(), silent.segments.len(), silent.language.as_str()), ("", 0, "zh"));
        assert_eq!(fake.transcribe(&vec![0.0; 32_000], &opts).unwrap().text, "2 seconds");
    }
}
