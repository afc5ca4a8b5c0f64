//! Hallucination guards applied to Whisper's output: low-confidence no-speech segments, bracketed sound
//! annotations, and the stock phrases Whisper invents on silence. Pure functions; no whisper-rs types.

/// Above this no-speech probability a segment is suspect...
pub(crate) const NO_SPEECH_THRESHOLD: f32 = 0.6;
/// ...and it is dropped when its confidence is also below this.
pub(crate) const LOW_CONFIDENCE: f32 = 0.5;
/// A clip whose whole output is a stock phrase is dropped when its confidence is below this.
pub(crate) const STOCK_PHRASE_CONFIDENCE: f32 = 0.8;

/// What Whisper says when it hears nothing (compared after [`normalise`]).
const STOCK_PHRASES: &[&str] = &[
    "thank you",
    "thank you very much",
    "thanks",
    "you",
    "thanks for watching",
    "thank you for watching",
    "please subscribe",
    "bye",
    "blank audio",
    "silence",
    "music",
    "谢谢",
    "谢谢观看",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
];

/// Whether a segment looks like speech: Whisper thinks there was none and is unsure of its words -> drop.
pub(crate) fn keep_segment(no_speech_prob: f32, confidence: f32) -> bool {
    !(no_speech_prob > NO_SPEECH_THRESHOLD && confidence < LOW_CONFIDENCE)
}

/// A segment that is only a sound annotation: "[BLANK_AUDIO]", "(silence)", "[Music]", "♪".
pub(crate) fn is_annotation(text: &str) -> bool {
    let text = text.trim();
    if text.is_empty() {
        return true;
    }
    let bracketed = |open: char, close: char| text.starts_with(open) && text.ends_with(close);
    bracketed('[', ']') || bracketed('(', ')') || bracketed('*', '*') || text.chars().all(|c| "♪♫♬ .…-".contains(c))
}

/// Whether the whole output of a clip is one of the phrases Whisper produces on silence or noise.
pub(crate) fn is_stock_phrase(text: &str) -> bool {
    let normalised = normalise(text);
    STOCK_PHRASES.contains(&normalised.as_str())
}

/// Lower case; punctuation, brackets and underscores become spaces; runs of spaces fold to one.
fn normalise(text: &str) -> String {
    let mapped: String =
        text.chars().flat_map(|c| if c.is_alphanumeric() { c.to_lowercase().collect::<Vec<_>>() } else { vec![' '] }).collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_phrases_match_in_any_dress() {
        for text in ["Thank you.", " you", "Thanks for watching!", "[BLANK_AUDIO]", "(silence)", "谢谢。"] {
            assert!(is_stock_phrase(text), "{text:?}");
        }
        for text in ["Thank you for the condenser fan.", "Acme Foods", "you know"] {
            assert!(!is_stock_phrase(text), "{text:?}");
        }
    }

    #[test]
    fn annotations_are_recognised() {
        for text in ["[BLANK_AUDIO]", " (silence) ", "[Music]", "♪ ♪", "*cough*", ""] {
            assert!(is_annotation(text), "{text:?}");
        }
        assert!(!is_annotation("Replaced the fan (again)."));
    }

    #[test]
    fn only_unsure_no_speech_segments_are_dropped() {
        assert!(!keep_segment(0.9, 0.3));
        assert!(keep_segment(0.9, 0.9));
        assert!(keep_segment(0.1, 0.2));
    }
}
