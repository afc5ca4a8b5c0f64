//! Whisper tokens to words: merges sub-word tokens, drops special tokens, averages token probabilities.
//! Pure code over plain token records; must not depend on whisper-rs types (so it is testable without a model).

use super::Word;

/// One decoded text token as whisper.cpp reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// Raw bytes of the token (may be part of a UTF-8 character).
    pub bytes: Vec<u8>,
    /// Probability of the token, 0..1.
    pub p: f32,
    /// Token start and end in seconds from the start of the clip.
    pub start_s: f64,
    pub end_s: f64,
}

/// Groups tokens into words: a token starting with a space begins a new word; CJK text has no spaces, so each
/// token holding whole CJK characters is a word of its own. Confidence is the mean token probability.
pub(crate) fn merge_words(tokens: &[Token]) -> Vec<Word> {
    let mut words = Vec::new();
    let mut pending = Pending::default();
    for token in tokens {
        if token.bytes.first() == Some(&b' ') && pending.has_text() {
            pending.flush_into(&mut words);
        }
        pending.push(token);
        if pending.is_whole_cjk() {
            pending.flush_into(&mut words);
        }
    }
    pending.flush_into(&mut words);
    words
}

/// Fits word times into their segment `[start_s, end_s]`, in order. Whisper's own token times drift late over a
/// long segment; when they run past its end they are rescaled onto it (keeping their spacing) instead of all
/// being clamped to the end. DTW times normally fit already and are then only clamped.
pub(crate) fn fit_times(words: &mut [Word], start_s: f64, end_s: f64) {
    let mut floor = start_s;
    for word in words.iter_mut() {
        word.start_s = word.start_s.max(floor);
        word.end_s = word.end_s.max(word.start_s);
        floor = word.start_s;
    }
    let reach = words.iter().map(|w| w.end_s).fold(start_s, f64::max);
    if reach > end_s && reach > start_s {
        let scale = (end_s - start_s).max(0.0) / (reach - start_s);
        for word in words.iter_mut() {
            word.start_s = start_s + (word.start_s - start_s) * scale;
            word.end_s = start_s + (word.end_s - start_s) * scale;
        }
    }
    for word in words.iter_mut() {
        word.start_s = word.start_s.clamp(start_s, end_s.max(start_s));
        word.end_s = word.end_s.clamp(word.start_s, end_s.max(word.start_s));
    }
}

/// Moves word starts onto the speech the voice activity detector heard (`speech`: voiced spans in seconds, in
/// order). A word starting in a pause goes to the nearer edge of the speech around it; the first word heard in a
/// span starts where the span starts (alignment tends to place it late after a pause). Starts stay ordered.
pub(crate) fn snap_starts(starts: &mut [f64], speech: &[(f64, f64)]) {
    let Some(&(_, last_end)) = speech.last() else { return };
    let mut seen = vec![false; speech.len()];
    let mut floor = f64::NEG_INFINITY;
    for t in starts.iter_mut() {
        match speech.iter().position(|&(_, end)| *t < end) {
            Some(k) if *t >= speech[k].0 => {
                if !seen[k] {
                    *t = speech[k].0;
                }
                seen[k] = true;
            }
            Some(k) => {
                let next = speech[k].0;
                match k.checked_sub(1).map(|j| speech[j].1) {
                    // It belongs to the span before: somewhere after the previous word, so midway to the span's end.
                    Some(previous) if *t - previous < next - *t => *t = midway(floor, previous),
                    _ => {
                        *t = next;
                        seen[k] = true;
                    }
                }
            }
            None => *t = midway(floor, last_end),
        }
        *t = t.max(floor);
        floor = *t;
    }
}

/// Halfway from `floor` (the previous word's start) to `end`, or `end` when there is no previous word.
fn midway(floor: f64, end: f64) -> f64 {
    if floor.is_finite() && floor < end { (floor + end) / 2.0 } else { end }
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    probs: Vec<f32>,
    start_s: f64,
    end_s: f64,
}

impl Pending {
    fn has_text(&self) -> bool {
        !String::from_utf8_lossy(&self.bytes).trim().is_empty()
    }

    fn push(&mut self, token: &Token) {
        if self.probs.is_empty() {
            self.start_s = token.start_s;
        }
        self.bytes.extend_from_slice(&token.bytes);
        self.probs.push(token.p.clamp(0.0, 1.0));
        self.end_s = token.end_s.max(self.start_s);
    }

    /// True when the bytes so far are complete UTF-8 and all CJK characters.
    fn is_whole_cjk(&self) -> bool {
        match std::str::from_utf8(&self.bytes) {
            Ok(text) => {
                let text = text.trim();
                !text.is_empty() && text.chars().all(is_cjk)
            }
            Err(_) => false,
        }
    }

    fn flush_into(&mut self, words: &mut Vec<Word>) {
        let pending = std::mem::take(self);
        let text = String::from_utf8_lossy(&pending.bytes).trim().to_string();
        if text.is_empty() || pending.probs.is_empty() {
            return;
        }
        let confidence = pending.probs.iter().sum::<f32>() / pending.probs.len() as f32;
        words.push(Word { start_s: pending.start_s, end_s: pending.end_s, text, confidence });
    }
}

/// CJK ideographs and the full-width punctuation that goes with them.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(text: &[u8], p: f32, start_s: f64, end_s: f64) -> Token {
        Token { bytes: text.to_vec(), p, start_s, end_s }
    }

    #[test]
    fn sub_word_tokens_merge_and_average() {
        let tokens = [
            tok(b" Con", 0.9, 0.0, 0.2),
            tok(b"dens", 0.7, 0.2, 0.4),
            tok(b"er", 0.8, 0.4, 0.5),
            tok(b" fan", 0.6, 0.6, 0.8),
            tok(b".", 0.4, 0.8, 0.8),
        ];
        let words = merge_words(&tokens);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Condenser", "fan."]);
        assert!((words[0].confidence - 0.8).abs() < 1e-6);
        assert!((words[1].confidence - 0.5).abs() < 1e-6);
        assert_eq!((words[0].start_s, words[0].end_s), (0.0, 0.5));
    }

    #[test]
    fn split_utf8_characters_are_joined_and_cjk_tokens_are_words() {
        // "更换" split across two tokens in the middle of the first character, then "了".
        let gh = "更换".as_bytes();
        let le = "了".as_bytes();
        let tokens = [tok(&gh[..2], 0.5, 0.0, 0.1), tok(&gh[2..], 0.7, 0.1, 0.3), tok(le, 0.9, 0.3, 0.4)];
        let words = merge_words(&tokens);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["更换", "了"]);
    }

    #[test]
    fn blank_tokens_make_no_word() {
        assert!(merge_words(&[tok(b" ", 0.5, 0.0, 0.1)]).is_empty());
        assert!(merge_words(&[]).is_empty());
    }

    #[test]
    fn fitting_keeps_words_ordered_and_inside_the_segment() {
        let mut words = merge_words(&[tok(b" a", 0.5, 1.5, 1.0), tok(b" b", 0.5, 0.2, 2.5)]);
        fit_times(&mut words, 1.0, 3.0);
        assert_eq!((words[0].start_s, words[0].end_s), (1.5, 1.5));
        assert_eq!((words[1].start_s, words[1].end_s), (1.5, 2.5));
    }

    #[test]
    fn times_that_overrun_the_segment_are_rescaled_not_piled_at_its_end() {
        // Token times drifting to 2x the real pace: words at 0, 2, 4, 6, 8 s in a segment that ends at 5 s.
        let tokens: Vec<Token> = (0..5).map(|i| tok(b" w", 0.9, f64::from(i) * 2.0, f64::from(i) * 2.0 + 2.0)).collect();
        let mut words = merge_words(&tokens);
        fit_times(&mut words, 0.0, 5.0);
        let starts: Vec<f64> = words.iter().map(|w| w.start_s).collect();
        assert_eq!(starts, [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(words[4].end_s, 5.0);
    }

    #[test]
    fn starts_move_onto_speech_and_the_first_word_of_a_span_to_its_start() {
        let speech = [(1.5, 4.4), (6.4, 8.8)];
        // Late first word, a word in the pause near the first span (put midway between the word before and the
        // span's end), one near the second, one after all speech.
        let mut starts = [1.7, 2.0, 4.6, 6.1, 6.9, 9.5];
        snap_starts(&mut starts, &speech);
        let expected = [1.5, 2.0, 3.2, 6.4, 6.9, 7.85];
        assert!(starts.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-9), "{starts:?}");
        let mut untouched = [1.0, 2.0];
        snap_starts(&mut untouched, &[]);
        assert_eq!(untouched, [1.0, 2.0]);
    }

    proptest::proptest! {
        #[test]
        fn fitted_times_are_ordered_and_inside_any_segment(
            times in proptest::collection::vec((-5.0f64..50.0, -5.0f64..50.0), 0..20),
            start in 0.0f64..20.0,
            len in 0.0f64..20.0,
        ) {
            let tokens: Vec<Token> = times.iter().map(|&(a, b)| tok(b" w", 0.5, a, b)).collect();
            let mut words = merge_words(&tokens);
            fit_times(&mut words, start, start + len);
            let mut floor = start;
            for w in &words {
                proptest::prop_assert!(w.start_s >= floor && w.start_s <= w.end_s && w.end_s <= start + len, "{words:?}");
                floor = w.start_s;
            }
        }
    }
}
