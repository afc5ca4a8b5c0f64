//! What nobody claimed: unclaimed words that say what is wrong become the fault, a lone capitalised or
//! organisation name in the first sentence the customer, and values said at the end of an unpunctuated text.
//! Part of the matcher; must not depend on the CRM beyond the document it is handed.

use std::collections::BTreeMap;

use super::form::{Fallback, FieldType, Form};
use super::matcher::{Claim, Quality, Reading, reading, typed};
use super::result::Value;
use super::text::{clauses, clean_value, is_empty_talk, is_word_char, skip_leading, skip_words, token_starts, trim_end};
use super::values::{Doc, read_enum};

pub(crate) const ARTICLES: &[&str] = &["the", "a", "an"];

/// Times of day between a date and its cue ("今天下午回访").
pub(crate) const TIME_OF_DAY: &[&str] = &["上午", "下午", "中午", "晚上", "早上", "傍晚", "morning", "afternoon", "evening", "in the morning", "in the afternoon"];

/// A duration and/or an enum value that end a text region ("... reset the overload 45 minutes done").
pub(crate) fn trailing_values(form: &Form, doc: &Doc<'_>, from: usize, to: usize) -> Vec<Claim> {
    let mut out = Vec::new();
    let mut end = to;
    if let Some((fi, field)) = form.fields.iter().enumerate().find(|(_, f)| f.kind == FieldType::Enum) {
        let starts = token_starts(&doc.text[from..to]);
        if let Some(read) = starts.iter().map(|i| from + i).filter(|&i| i > from).find_map(|i| read_enum(doc, field, i, to).filter(|r| r.end == to)) {
            end = trim_end(doc.lower, from, read.start);
            out.push(typed(fi, read.start, read, Quality::Shape, None));
        }
    }
    if let Some(fi) = form.fields.iter().position(|f| f.kind == FieldType::Hours) {
        let slice = &doc.text[from..end];
        if let Some(f) = super::normalise::find_hours(slice).into_iter().find(|f| from + f.end == end && f.start > 0) {
            let read = super::values::Read { value: Value::Number(f.value), start: from + f.start, end: from + f.end };
            out.insert(0, typed(fi, read.start, read, Quality::Shape, None));
        }
    }
    out
}

/// Words that make an unclaimed phrase read as a fault rather than the name of a piece of equipment.
fn fault_like(form: &Form, doc: &Doc<'_>, fi: usize, start: usize, end: usize) -> bool {
    let lower = &doc.lower[start..end];
    if form.fields[fi].hints(doc.lang).iter().any(|h| lower.contains(h.as_str())) {
        return true;
    }
    if doc.lang == "zh" {
        return lower.contains('不') || lower.contains('没');
    }
    lower.split(|c: char| !is_word_char(c) && c != '\'').any(|w| {
        (w.len() > 4 && (w.ends_with("ing") || w.ends_with("ed"))) || w.ends_with("n't") || matches!(w, "not" | "no" | "won't" | "too" | "keeps")
    })
}

/// Words nobody claimed: the fault when they say what is wrong; in the first sentence, capitalised words on
/// their own are the customer ("Maple Court Apartments, lift controller unit 4410").
pub(crate) fn unclaimed(
    form: &Form,
    doc: &Doc<'_>,
    (s_start, s_end): (usize, usize),
    covered: &[(usize, usize)],
    identity: bool,
    first: bool,
    pieces: &mut BTreeMap<usize, Vec<Reading>>,
) {
    let Some(fi) = form.fields.iter().position(|f| f.fallback == Some(Fallback::Unclaimed)) else { return };
    let mut edges: Vec<(usize, usize)> = covered.to_vec();
    edges.sort();
    let mut gaps = Vec::new();
    let mut at = s_start;
    for &(s, e) in &edges {
        if s > at {
            gaps.push((at, s));
        }
        at = at.max(e);
    }
    if at < s_end {
        gaps.push((at, s_end));
    }
    if doc.lang == "zh" {
        // Mandarin clauses stand alone: each comma-separated piece is judged by itself.
        gaps = gaps.into_iter().flat_map(|g| clauses(doc.text, g)).collect();
    } else if first && identity {
        // A clause of capitalised words alone is a name: split it off the rest of its gap.
        gaps = gaps
            .into_iter()
            .flat_map(|g| {
                let parts = clauses(doc.text, g);
                let mut out: Vec<(usize, usize)> = Vec::new();
                let mut split_next = false;
                for (k, &(ps, pe)) in parts.iter().enumerate() {
                    let from = skip_leading(doc.lower, ps, pe);
                    let name = is_name(doc, from, trim_end(doc.lower, from, pe)) && (k > 0 || ps == s_start || ends_clause(doc.text, ps));
                    match out.last_mut() {
                        Some(last) if !name && !split_next => last.1 = pe,
                        _ => out.push((ps, pe)),
                    }
                    split_next = name;
                }
                out
            })
            .collect();
    }
    for (g_start, g_end) in gaps {
        let from = skip_leading(doc.lower, g_start, g_end);
        let to = trim_end(doc.lower, from, g_end);
        if to <= from || is_empty_talk(doc.lower, from, to) {
            continue;
        }
        let sep = |a: usize, b: usize| doc.text[a..b].contains([',', ':', '，', '：']);
        let whole = (g_start == s_start || sep(g_start, from) || ends_clause(doc.text, g_start))
            && (g_end == s_end || sep(to, g_end));
        let customer = form.fields.iter().position(|f| f.kind == FieldType::Customer);
        if first && whole && identity && let Some(ci) = customer
            && !pieces.contains_key(&ci)
            && is_name(doc, from, to)
        {
            pieces.entry(ci).or_default().push(reading(Value::Text(clean_value(doc.text, doc.lower, from, to)), from, to, Quality::Shape, None));
            continue;
        }
        if doc.lang == "zh" && first && whole && let Some(ci) = customer
            && !pieces.contains_key(&ci)
            && form.fields[ci].hints("zh").iter().any(|h| doc.lower[from..to].ends_with(h.as_str()))
        {
            pieces.entry(ci).or_default().push(reading(Value::Text(clean_value(doc.text, doc.lower, from, to)), from, to, Quality::Shape, None));
            continue;
        }
        // Beside an asset or customer, a short clause is the equipment's name ("热水锅炉", "heat exchanger").
        let strict = if doc.lang == "zh" { !whole || (identity && doc.text[from..to].chars().count() <= 4) } else { identity || !whole };
        if strict && !fault_like(form, doc, fi, from, to) {
            continue;
        }
        let from = skip_words(doc.lower, from, to, ARTICLES);
        pieces.entry(fi).or_default().push(reading(Value::Text(clean_value(doc.text, doc.lower, from, to)), from, to, Quality::Shape, None));
    }
}

/// True when the text before `at` ends with a clause separator (spaces aside).
fn ends_clause(text: &str, at: usize) -> bool {
    text[..at].trim_end().ends_with([',', ':', '，', '：'])
}

/// Two or more capitalised words and nothing else (English), e.g. "Maple Court Apartments".
fn is_name(doc: &Doc<'_>, from: usize, to: usize) -> bool {
    let words: Vec<&str> = doc.text[from..to].split_whitespace().collect();
    doc.lang == "en" && words.len() >= 2 && words.iter().all(|w| w.chars().next().is_some_and(char::is_uppercase) && w.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '&'))
}

