//! Proves a model file works: load it and transcribe a known phrase bundled in the binary.
//! Must not depend on the model fetcher (which calls this), extract or store.

use std::path::Path;

use super::whisper::{LoadOptions, WhisperTranscriber};
use super::{Language, TranscribeError, TranscribeOptions, Transcriber};
use crate::audio::{self, DecodeOptions};

/// What the bundled clip says (espeak-ng, 16 kHz mono, 2.8 s).
pub const CHECK_PHRASE: &str = "the quick brown fox jumps over the lazy dog";

/// The clip itself, made with `espeak-ng -w fox.wav "..."; sox fox.wav -r 16000 -c 1 -b 16 check_phrase.wav`.
const CHECK_WAV: &[u8] = include_bytes!("check_phrase.wav");

/// Fewer than this share of the phrase's words heard means the model is broken.
const MIN_WORDS_HEARD: f64 = 0.6;

/// Loads a model file and transcribes a known phrase, to prove a fetched or converted model works.
/// Returns what the model heard; errors when the file is refused or fewer than 60% of the words come back.
pub fn check_model(path: &Path) -> Result<String, TranscribeError> {
    let transcriber = WhisperTranscriber::load(path, LoadOptions::default())?;
    let audio = audio::decode(CHECK_WAV, &DecodeOptions::default())
        .map_err(|e| TranscribeError::Inference(format!("bundled check clip: {e}")))?;
    let opts = TranscribeOptions { language: Language::Code("en".into()), ..Default::default() };
    let heard = transcriber.transcribe(&audio.samples, &opts)?.text;
    if share_of_words_heard(CHECK_PHRASE, &heard) < MIN_WORDS_HEARD {
        return Err(TranscribeError::CheckFailed { expected: CHECK_PHRASE.to_string(), heard });
    }
    Ok(heard)
}

/// Share (0..1) of the expected words, counted with repeats, that occur in `heard` (case and punctuation ignored).
pub(crate) fn share_of_words_heard(expected: &str, heard: &str) -> f64 {
    let mut pool = words(heard);
    let expected = words(expected);
    if expected.is_empty() {
        return 1.0;
    }
    let found = expected
        .iter()
        .filter(|w| match pool.iter().position(|h| h == *w) {
            Some(i) => {
                pool.swap_remove(i);
                true
            }
            None => false,
        })
        .count();
    found as f64 / expected.len() as f64
}

/// Word error rate of `hypothesis` against `reference`: word-level edit distance (substitutions, insertions,
/// deletions) over the reference's word count. Case, punctuation and hyphens are ignored; decimals such as
/// "2.5" stay one word.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let (r, h) = (words(reference), words(hypothesis));
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let substitution = prev + usize::from(rw != hw);
            prev = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(prev + 1);
        }
    }
    row[h.len()] as f64 / r.len().max(1) as f64
}

/// Lower-case words; hyphens join ("ill-disposed" is one word), a '.' inside a number stays.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('-', "")
        .split(|c: char| !c.is_alphanumeric() && c != '.')
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_share_ignores_case_punctuation_and_counts_repeats() {
        assert_eq!(share_of_words_heard(CHECK_PHRASE, "The quick brown fox jumps over the lazy dog."), 1.0);
        let partial = share_of_words_heard(CHECK_PHRASE, "the quick fox");
        assert!((partial - 3.0 / 9.0).abs() < 1e-9);
        assert_eq!(share_of_words_heard(CHECK_PHRASE, ""), 0.0);
    }

    #[test]
    fn word_error_rate_counts_edits() {
        assert_eq!(word_error_rate("go forward ten meters", "Go forward, ten meters."), 0.0);
        assert_eq!(word_error_rate("ill-disposed young man", "ill disposed man"), 2.0 / 3.0);
        assert_eq!(word_error_rate("a b c d", "a x c d e"), 0.5);
        assert_eq!(word_error_rate("two and a half hours", "2.5 hours"), 0.8);
        assert_eq!(word_error_rate("labour 2.5 hours.", "Labour 2.5 hours"), 0.0);
    }

    #[test]
    fn bundled_clip_decodes_to_about_three_seconds() {
        let audio = audio::decode(CHECK_WAV, &DecodeOptions::default()).unwrap();
        assert!((2.5..3.5).contains(&audio.duration_s()), "{}", audio.duration_s());
    }

    #[test]
    fn a_missing_model_file_is_a_model_error() {
        let err = check_model(Path::new("/nonexistent/ggml-none.bin")).unwrap_err();
        assert!(matches!(err, TranscribeError::Model(_)), "{err}");
    }
}
