//! Confidence: the cue part (explicit label > verb cue > correction > shape guess) times the mean ASR
//! confidence of the transcriber's words inside the field's span. Must not depend on the matcher's rules.

use super::WordConfidence;
use super::matcher::Quality;
use super::result::{Extraction, Problem, ProblemKind};

/// Below this a field is flagged `LowConfidence` for a reviewer.
pub const LOW_CONFIDENCE: f32 = 0.45;

/// The cue part of a field's confidence.
pub fn cue_quality(q: Quality) -> f32 {
    match q {
        Quality::Label => 0.95,
        Quality::Verb => 0.85,
        Quality::Correction => 0.8,
        Quality::Shape => 0.65,
    }
}

/// Character spans of the words in `text`, found by sequential search (words the transcript does not hold
/// in order are skipped).
pub fn align(text: &str, words: &[WordConfidence]) -> Vec<Option<(usize, usize)>> {
    let lower = text.to_lowercase();
    let same = lower.len() == text.len();
    let hay = if same { lower.as_str() } else { text };
    let mut cursor = 0;
    words
        .iter()
        .map(|w| {
            let needle = w.text.trim();
            let needle = if same { needle.to_lowercase() } else { needle.to_string() };
            if needle.is_empty() {
                return None;
            }
            let at = cursor + hay.get(cursor..)?.find(&needle)?;
            cursor = at + needle.len();
            let start = text[..at].chars().count();
            Some((start, start + needle.chars().count()))
        })
        .collect()
}

/// Multiplies each field's confidence by the mean ASR confidence of the words its span overlaps, and flags
/// fields below [`LOW_CONFIDENCE`].
pub fn apply(extraction: &mut Extraction, text: &str, words: &[WordConfidence]) {
    let spans = if words.is_empty() { Vec::new() } else { align(text, words) };
    for (name, field) in extraction.fields.iter_mut() {
        let confs: Vec<f32> = spans
            .iter()
            .zip(words)
            .filter_map(|(span, w)| span.filter(|&(s, e)| s < field.span.end && field.span.start < e).map(|_| w.confidence))
            .collect();
        if !confs.is_empty() {
            let mean = confs.iter().sum::<f32>() / confs.len() as f32;
            field.confidence *= mean.clamp(0.0, 1.0);
        }
        if field.confidence < LOW_CONFIDENCE {
            extraction.problems.push(Problem {
                field: name.clone(),
                kind: ProblemKind::LowConfidence,
                message: format!("{name}: low confidence ({:.2})", field.confidence),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, confidence: f32) -> WordConfidence {
        WordConfidence { text: text.into(), confidence }
    }

    #[test]
    fn words_align_in_order_and_skip_strays() {
        let spans = align("Labor two hours. Labor", &[w(" Labor", 0.9), w("zzz", 0.1), w("two", 0.8), w("labor", 0.5)]);
        assert_eq!(spans, vec![Some((0, 5)), None, Some((6, 9)), Some((17, 22))]);
    }

    #[test]
    fn cue_quality_orders_label_over_verb_over_shape() {
        assert!(cue_quality(Quality::Label) > cue_quality(Quality::Verb));
        assert!(cue_quality(Quality::Verb) > cue_quality(Quality::Shape));
    }
}
