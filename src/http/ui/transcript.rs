//! Lays a transcript out for the report page: its words with their times (from the segments' word
//! timings, located in the text in order) and the field each belongs to (from the fields' character
//! spans). Without word timings the text is cut at the field spans instead, so highlights still show.

use std::collections::BTreeMap;

use serde_json::Value;

/// One piece of the transcript as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub text: String,
    /// Where the word starts in the audio, when known.
    pub start_s: Option<f64>,
    /// The field whose span covers this piece.
    pub field: Option<String>,
    /// The recogniser's confidence in the word, when known.
    pub confidence: Option<f64>,
}

impl Token {
    /// The start time for a `data-` attribute ("" when unknown).
    pub fn seek(&self) -> String {
        self.start_s.map(|s| format!("{s:.2}")).unwrap_or_default()
    }

    pub fn low(&self) -> bool {
        self.confidence.is_some_and(|c| c < 0.5)
    }
}

/// Field name -> (start, end) character span, from a report's `details`.
pub fn spans(details: &Value) -> BTreeMap<String, (usize, usize)> {
    let mut out = BTreeMap::new();
    if let Some(map) = details.as_object() {
        for (name, d) in map {
            let get = |k: &str| d.get("span").and_then(|s| s.get(k)).and_then(Value::as_u64).map(|n| n as usize);
            if let (Some(s), Some(e)) = (get("start"), get("end"))
                && s < e
            {
                out.insert(name.clone(), (s, e));
            }
        }
    }
    out
}

fn field_at(spans: &BTreeMap<String, (usize, usize)>, start: usize, end: usize) -> Option<String> {
    spans.iter().find(|(_, (s, e))| start < *e && *s < end).map(|(n, _)| n.clone())
}

/// The transcript `text` as tokens, using the word timings in `segments` when they can be found in it.
pub fn layout(text: &str, segments: &Value, spans: &BTreeMap<String, (usize, usize)>) -> Vec<Token> {
    let words = segments.as_array().into_iter().flatten().filter_map(|s| s.get("words")?.as_array()).flatten();
    let mut out = Vec::new();
    let (mut byte, mut chars) = (0usize, 0usize);
    for w in words {
        let Some(word) = w.get("text").and_then(Value::as_str).map(str::trim).filter(|w| !w.is_empty()) else { continue };
        let Some(found) = text[byte..].find(word) else { continue };
        let gap = &text[byte..byte + found];
        if !gap.is_empty() {
            out.push(Token { text: gap.to_string(), start_s: None, field: None, confidence: None });
        }
        let start = chars + gap.chars().count();
        let end = start + word.chars().count();
        out.push(Token {
            text: word.to_string(),
            start_s: w.get("start_s").and_then(Value::as_f64),
            field: field_at(spans, start, end),
            confidence: w.get("confidence").and_then(Value::as_f64),
        });
        byte += found + word.len();
        chars = end;
    }
    if out.iter().all(|t| t.start_s.is_none()) {
        return by_spans(text, spans);
    }
    if byte < text.len() {
        out.push(Token { text: text[byte..].to_string(), start_s: None, field: None, confidence: None });
    }
    out
}

/// The text cut at the field spans' boundaries (no timings).
fn by_spans(text: &str, spans: &BTreeMap<String, (usize, usize)>) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut cuts: Vec<usize> = vec![0, chars.len()];
    for (s, e) in spans.values() {
        cuts.push((*s).min(chars.len()));
        cuts.push((*e).min(chars.len()));
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| Token {
            text: chars[w[0]..w[1]].iter().collect(),
            start_s: None,
            field: field_at(spans, w[0], w[1]),
            confidence: None,
        })
        .collect()
}

/// Where each field's span starts in the audio: the first timed word inside it.
pub fn field_times(tokens: &[Token]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for t in tokens {
        if let (Some(f), Some(s)) = (&t.field, t.start_s) {
            out.entry(f.clone()).or_insert(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn words_are_found_in_order_with_times_and_fields() {
        let text = "Asset 4471 for Acme Foods.";
        let segs = json!([{"words": [
            {"text": " Asset", "start_s": 0.1, "confidence": 0.9},
            {"text": " 4471", "start_s": 0.5, "confidence": 0.3},
            {"text": " for", "start_s": 0.9, "confidence": 0.9},
            {"text": " Acme", "start_s": 1.1, "confidence": 0.9},
            {"text": " Foods.", "start_s": 1.4, "confidence": 0.9}]}]);
        let spans = spans(&json!({"asset": {"span": {"start": 6, "end": 10}}, "customer": {"span": {"start": 15, "end": 25}}}));
        let t = layout(text, &segs, &spans);
        let joined: String = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(joined, text, "nothing lost or added");
        let four = t.iter().find(|t| t.text == "4471").unwrap();
        assert_eq!((four.field.as_deref(), four.start_s, four.low()), (Some("asset"), Some(0.5), true));
        assert_eq!(field_times(&t).get("customer"), Some(&1.1));
    }

    #[test]
    fn without_word_times_the_text_is_cut_at_spans_even_in_chinese() {
        let text = "资产四四七一，客户是阿克米食品。";
        let spans = spans(&json!({"customer": {"span": {"start": 10, "end": 15}}}));
        let t = layout(text, &json!([{"text": text}]), &spans);
        assert_eq!(t.iter().map(|t| t.text.as_str()).collect::<String>(), text);
        assert_eq!(t.iter().find(|t| t.field.is_some()).unwrap().text, "阿克米食品");
    }

    #[test]
    fn spans_out_of_range_do_not_panic() {
        let spans = spans(&json!({"x": {"span": {"start": 3, "end": 99}}, "bad": {"span": "no"}}));
        let t = layout("abcdef", &json!(null), &spans);
        assert_eq!(t.iter().map(|t| t.text.as_str()).collect::<String>(), "abcdef");
    }

    proptest::proptest! {
        /// Stored transcripts, segments and spans come from outside the page: any of them lays out without
        /// a panic and loses or adds no text.
        #[test]
        fn any_text_words_and_spans_lay_out_losslessly(
            text in "\\PC{0,60}",
            words in proptest::collection::vec(("\\PC{0,6}", 0.0f64..30.0), 0..12),
            raw_spans in proptest::collection::vec((0usize..80, 0usize..80), 0..4),
        ) {
            let segs = json!([{"words": words.iter().map(|(w, s)| json!({"text": w, "start_s": s})).collect::<Vec<_>>()}]);
            let details: serde_json::Map<String, Value> = raw_spans
                .iter()
                .enumerate()
                .map(|(i, (s, e))| (format!("f{i}"), json!({"span": {"start": s, "end": e}})))
                .collect();
            let t = layout(&text, &segs, &spans(&Value::Object(details)));
            proptest::prop_assert_eq!(t.iter().map(|t| t.text.as_str()).collect::<String>(), text);
        }
    }
}
