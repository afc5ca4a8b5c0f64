//! A form's cue phrases indexed by their first token (a word, or one CJK character) per language, built
//! once per form so matching a transcript is one hash lookup per token. Must not depend on the matcher.

use std::collections::HashMap;

use super::form::Field;
use super::text::{ends_on_boundary, lower_same_len, token_key};

/// One cue phrase of one field.
#[derive(Debug, Clone)]
pub struct CueEntry {
    pub phrase: String,
    pub field: usize,
    pub keep: bool,
    /// For an enum synonym said as a phrase ("waiting for parts"): the value it names.
    pub value: Option<String>,
}

/// Cues by language, then by first token; each list longest phrase first.
#[derive(Debug, Clone, Default)]
pub struct CueIndex {
    by_lang: HashMap<String, HashMap<String, Vec<CueEntry>>>,
}

/// A cue found in a transcript (byte offsets).
#[derive(Debug, Clone)]
pub struct CueHit {
    pub start: usize,
    pub end: usize,
    pub field: usize,
    pub keep: bool,
    pub phrase: String,
    /// Set when the hit is an enum synonym: the value it names.
    pub value: Option<String>,
}

impl CueIndex {
    /// Indexes every field's cues.
    pub fn build(fields: &[Field]) -> CueIndex {
        let mut by_lang: HashMap<String, HashMap<String, Vec<CueEntry>>> = HashMap::new();
        for (i, field) in fields.iter().enumerate() {
            for (lang, cues) in &field.cues {
                for cue in cues {
                    let lower = lower_same_len(&cue.phrase);
                    let Some(key) = token_key(&lower, 0) else { continue };
                    let entry = CueEntry { phrase: lower.clone(), field: i, keep: cue.keep, value: None };
                    by_lang.entry(lang.clone()).or_default().entry(key.to_string()).or_default().push(entry);
                }
            }
            // Enum synonyms long enough to be unambiguous are found anywhere, so that "waiting for parts" is a
            // status and not a "parts" cue: two or more words, or three or more CJK characters.
            for value in &field.values {
                for (lang, synonyms) in &value.synonyms {
                    for syn in synonyms {
                        let cjk = syn.chars().filter(|&c| super::directory::is_cjk(c)).count();
                        if syn.split_whitespace().count() < 2 && cjk < 3 {
                            continue;
                        }
                        let lower = lower_same_len(syn);
                        let Some(key) = token_key(&lower, 0) else { continue };
                        let entry = CueEntry { phrase: lower.clone(), field: i, keep: true, value: Some(value.name.clone()) };
                        by_lang.entry(lang.clone()).or_default().entry(key.to_string()).or_default().push(entry);
                    }
                }
            }
        }
        for map in by_lang.values_mut() {
            for list in map.values_mut() {
                list.sort_by_key(|e| std::cmp::Reverse(e.phrase.len()));
            }
        }
        CueIndex { by_lang }
    }

    /// The longest cue starting at token `at` of `lower` (the lower-cased transcript).
    pub fn longest_at(&self, lang: &str, lower: &str, at: usize) -> Option<CueHit> {
        let map = self.by_lang.get(lang)?;
        let key = token_key(lower, at)?;
        let list = map.get(key)?;
        let rest = &lower[at..];
        list.iter().find_map(|e| {
            let end = at + e.phrase.len();
            let cjk_end = e.phrase.chars().last().is_some_and(super::directory::is_cjk);
            (rest.starts_with(&e.phrase) && (cjk_end || ends_on_boundary(lower, end))).then(|| CueHit {
                start: at,
                end,
                field: e.field,
                keep: e.keep,
                phrase: e.phrase.clone(),
                value: e.value.clone(),
            })
        })
    }
}
