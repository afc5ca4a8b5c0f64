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

/// Makes word times non-decreasing and keeps them inside `[start_s, end_s]` (token timestamps are estimates).
pub(crate) fn clamp_times(words: &mut [Word], start_s: f64, end_s: f64) {
    let mut floor = start_s;
    for word in words {
        word.start_s = word.start_s.clamp(floor, end_s);
        word.end_s = word.end_s.clamp(word.start_s, end_s);
        floor = word.start_s;
    }
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
    fn clamping_keeps_words_ordered_and_inside_the_segment() {
        let mut words = merge_words(&[tok(b" a", 0.5, 1.5, 1.0), tok(b" b", 0.5, 0.2, 9.0)]);
        clamp_times(&mut words, 1.0, 3.0);
        assert_eq!((words[0].start_s, words[0].end_s), (1.5, 1.5));
        assert_eq!((words[1].start_s, words[1].end_s), (1.5, 3.0));
    }
}
