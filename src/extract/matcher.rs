//! The cue matcher: splits a transcript into sentences and clauses, finds each field's cues in any order,
//! falls back on the shape of values when cues are missing, applies spoken corrections, and never invents a
//! value. Scoring and CRM checks are in `score` and `check`; must not depend on I/O or the transcriber.

use std::collections::BTreeMap;

use super::cues::CueHit;
use super::form::{Fallback, FieldType, Form};
use super::result::{Extraction, Part, Value};
use super::text::{
    clauses, clean_value, is_word_char, lower_same_len, sentences, skip_correction, skip_leading,
    starts_with_word, token_starts, trim_end,
};
use super::directory::AssetLookup;
use super::text::skip_words;
use super::values::{Doc, after_cue, window_start, directory_name_at, read_enum_clause, read_hours, read_parts, read_tag, read_value};
use super::leftover::{ARTICLES, TIME_OF_DAY, trailing_values, unclaimed};
use super::{ExtractOptions, check, score};

/// How a value was recognised; decides the cue part of its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// After a label cue ("labor", "status:").
    Label,
    /// Introduced by a verb that stays in the value ("replaced"), or a whole clause that is an enum synonym.
    Verb,
    /// Said as a correction of the value before it.
    Correction,
    /// Guessed from the value's shape alone (a lone tag, "two hours", an uncued clause).
    Shape,
}

impl Quality {
    /// The `source` reported in details for a value recognised this way.
    pub fn label(self) -> &'static str {
        match self {
            Quality::Label | Quality::Verb => "cue",
            Quality::Correction => "correction",
            Quality::Shape => "shape",
        }
    }
}

/// One piece of transcript claimed by a field.
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub field: usize,
    /// Byte range the claim covers (cue included), used to bound other claims.
    pub start: usize,
    pub end: usize,
    /// Typed value, or `None` for text and part lists (read once their region is known).
    pub value: Option<Value>,
    /// Byte range of the value itself.
    pub value_start: usize,
    pub value_end: usize,
    pub quality: Quality,
    pub cue: Option<String>,
}

/// A field's final reading before checks: value, byte span, quality, cue, spoken text.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    pub value: Value,
    pub start: usize,
    pub end: usize,
    pub quality: Quality,
    pub cue: Option<String>,
    pub source: &'static str,
}

/// "zh" when the text holds CJK ideographs, else "en".
pub fn detect_language(text: &str) -> &'static str {
    if text.chars().any(|c| matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF)) { "zh" } else { "en" }
}

/// Runs `form` over `text`.
pub fn extract(form: &Form, text: &str, opts: &ExtractOptions<'_>) -> Extraction {
    let lang = opts.language.unwrap_or_else(|| detect_language(text));
    let lower = lower_same_len(text);
    let names = opts.directory.map(|d| d.customer_names()).unwrap_or_default();
    let doc = Doc { text, lower: &lower, lang, reference: opts.reference_date, directory: opts.directory, names };
    let mut claims: Vec<Claim> = Vec::new();
    let mut pieces: BTreeMap<usize, Vec<Reading>> = BTreeMap::new();
    let mut customer_seen = false;
    for (index, &sentence) in sentences(text).iter().enumerate() {
        let from = claims.len();
        sentence_claims(form, &doc, sentence, index == 0, &mut claims, customer_seen);
        resolve_sentence(form, &doc, sentence, index == 0, &mut claims, from, &mut pieces);
        customer_seen |= claims[from..].iter().any(|c| form.fields[c.field].kind == FieldType::Customer);
    }
    let readings = merge(form, pieces);
    let mut extraction = check::finish(form, &doc, readings);
    score::apply(&mut extraction, text, opts.words);
    extraction
}

fn overlaps(claims: &[Claim], start: usize, end: usize) -> bool {
    claims.iter().any(|c| c.start < end && start < c.end)
}

fn next_claim_start(claims: &[Claim], after: usize, limit: usize) -> usize {
    claims.iter().filter(|c| c.start >= after).map(|c| c.start).fold(limit, usize::min)
}

pub(crate) fn typed(field: usize, start: usize, read: super::values::Read, quality: Quality, cue: Option<String>) -> Claim {
    Claim {
        field,
        start,
        end: read.end,
        value: Some(read.value),
        value_start: read.start,
        value_end: read.end,
        quality,
        cue,
    }
}

/// Finds the claims of one sentence: whole-clause enum synonyms, cues, corrections, then value shapes.
fn sentence_claims(
    form: &Form,
    doc: &Doc<'_>,
    (s_start, s_end): (usize, usize),
    first: bool,
    claims: &mut Vec<Claim>,
    customer_seen: bool,
) {
    let from = claims.len();
    let clause_list = clauses(doc.text, (s_start, s_end));
    // 1. A clause that is nothing but an enum value ("Job closed.", "still waiting for parts").
    for &(c_start, c_end) in &clause_list {
        let at = skip_leading(doc.lower, c_start, c_end);
        let end = trim_end(doc.lower, at, c_end);
        for (fi, field) in form.fields.iter().enumerate().filter(|(_, f)| f.kind == FieldType::Enum) {
            if let Some(read) = read_enum_clause(doc, field, at, end) {
                // Lead words ("status", "the job is") are kept as the cue.
                let lead = doc.lower[at..read.start].trim_matches(|c: char| !c.is_alphanumeric());
                let cue = (!lead.is_empty()).then(|| lead.to_string());
                claims.push(typed(fi, at, read, Quality::Verb, cue));
            }
        }
    }
    // 2. Cues, left to right, longest first; a cue whose value does not follow is no cue.
    let mut open_text: Option<usize> = None;
    for hit in cue_hits(form, doc, s_start, s_end) {
        if overlaps(&claims[from..], hit.start, hit.end) {
            continue;
        }
        let field = &form.fields[hit.field];
        if let Some(value) = &hit.value {
            let read = super::values::Read { value: Value::Text(value.clone()), start: hit.start, end: hit.end };
            claims.push(typed(hit.field, hit.start, read, Quality::Verb, None));
            open_text = None;
            continue;
        }
        if matches!(field.kind, FieldType::Text | FieldType::PartList) {
            // A second verb of the same field continues its value ("replaced the fuse and reset the control").
            if open_text == Some(hit.field) && hit.keep {
                continue;
            }
            let clause_start = clause_list.iter().find(|c| c.0 <= hit.start && hit.start < c.1).map_or(s_start, |c| c.0);
            let start = if hit.keep { extend_back(doc, hit.start, clause_start, &claims[from..]) } else { hit.start };
            claims.push(Claim {
                field: hit.field,
                start,
                end: hit.end,
                value: None,
                value_start: if hit.keep { start } else { hit.end },
                value_end: hit.end,
                quality: if hit.keep { Quality::Verb } else { Quality::Label },
                cue: Some(hit.phrase.clone()),
            });
            open_text = Some(hit.field);
            continue;
        }
        let limit = next_claim_start(&claims[from..], hit.end, s_end);
        // "状态：已完成", "Status, on hold for parts": the value was already claimed as a whole clause.
        let content = after_cue(doc, hit.end, s_end);
        if let Some(c) = claims[from..].iter_mut().find(|c| c.start == content && c.field == hit.field) {
            c.start = hit.start;
            c.quality = Quality::Label;
            c.cue = Some(hit.phrase.clone());
            open_text = None;
            continue;
        }
        // A date may start with the cue's last word ("back in a week").
        let at = if field.kind == FieldType::Date { hit.start } else { hit.end };
        let read = read_value(doc, field, at, limit).or_else(|| {
            // "下周二回访", "12月3日复查": in Mandarin the value may come just before its cue.
            let back = field.kind == FieldType::Date || doc.lang == "zh";
            let clause_start = clause_list.iter().find(|c| c.0 <= hit.start && hit.start < c.1).map_or(s_start, |c| c.0);
            let lead = skip_leading(doc.lower, window_start(doc.text, clause_start, hit.start, 60), hit.start);
            (back && lead < hit.start && !overlaps(&claims[from..], lead, hit.start))
                .then(|| read_value(doc, field, lead, hit.start))
                .flatten()
                .filter(|r| skip_words(doc.lower, r.end, hit.start, TIME_OF_DAY) >= hit.start)
        });
        if let Some(read) = read {
            let start = read.start.min(hit.start);
            claims.push(typed(hit.field, start, read, Quality::Label, Some(hit.phrase.clone())));
            open_text = None;
        } else if let Some(end) = none_after(doc, content, limit) {
            // "Follow-up none": the cue and its "none" are claimed, with nothing to fill in.
            claims.push(Claim { field: hit.field, start: hit.start, end, value: None, value_start: end, value_end: end, quality: Quality::Label, cue: None });
            open_text = None;
        }
    }
    // 3. Per clause: a correction of the value said before it, else value shapes.
    let mut pending = false;
    for &(c_start, c_end) in &clause_list {
        let lead = skip_leading(doc.lower, c_start, c_end);
        let (at, corrected) = match skip_correction(doc.lower, lead, c_end) {
            Some(after) => (after, true),
            None => (lead, std::mem::take(&mut pending)),
        };
        // "工时不是两个小时，是一个小时": "是" after a "不是" clause corrects it.
        let (at, corrected) = match starts_with_word(doc.lower, at, "是") {
            Some(n) if !corrected && doc.lower[s_start..c_start].contains("不是") => (at + n, true),
            _ => (at, corrected),
        };
        if corrected && trim_end(doc.lower, at, c_end) <= at {
            pending = true;
            continue;
        }
        if corrected && !overlaps(&claims[from..], at, at + 1) {
            let limit = next_claim_start(&claims[from..], at, s_end);
            // The value corrected: the last typed value said before, in this sentence or an earlier one.
            let here = claims[from..].iter().filter(|c| c.start < at && c.value.is_some()).max_by_key(|c| c.start);
            let prev = here.or_else(|| claims[..from].iter().rev().find(|c| c.value.is_some())).map(|c| c.field);
            if let Some(prev) = prev
                && let Some(read) = read_value(doc, &form.fields[prev], at, limit)
            {
                claims.push(typed(prev, at, read, Quality::Correction, None));
                continue;
            }
        }
        shape_in_gaps(form, doc, (c_start, c_end), (first, customer_seen), claims, from);
    }
    claims[from..].sort_by_key(|c| c.start);
}

/// A verb cue's value starts earlier when an adverb or another action verb opens its clause ("chemically
/// cleaned the plates", "retuned the controller and replaced the positioner").
fn extend_back(doc: &Doc<'_>, at: usize, clause_start: usize, claims: &[Claim]) -> usize {
    let lead = skip_leading(doc.lower, clause_start, at);
    if lead >= at || overlaps(claims, lead, at) {
        return at;
    }
    let before = doc.lower[lead..at].trim_end();
    if doc.lang == "zh" {
        // "手动除霜": a short lead-in of up to three characters is part of the action.
        return if before.chars().count() <= 3 && before.chars().all(super::directory::is_cjk) { lead } else { at };
    }
    let single_adverb = !before.contains(' ') && before.len() > 3 && before.ends_with("ly");
    if single_adverb || past_verb_with_object(doc, lead, at) { lead } else { at }
}

fn cue_hits(form: &Form, doc: &Doc<'_>, start: usize, end: usize) -> Vec<CueHit> {
    let index = form.cue_index();
    let mut hits = Vec::new();
    let mut covered = start;
    for at in token_starts(&doc.text[start..end]).into_iter().map(|i| start + i) {
        if at < covered {
            continue;
        }
        if let Some(hit) = index.longest_at(doc.lang, doc.lower, at).filter(|h| h.end <= end) {
            covered = hit.end;
            hits.push(hit);
        }
    }
    hits
}

/// Words that say a field has no value.
const NONE_WORDS: &[&str] = &["none", "nothing", "no", "n/a", "not needed", "not required", "none needed", "无", "没有", "不需要", "不用"];

/// The end of a "none" said at `at`, when nothing else follows in its clause.
fn none_after(doc: &Doc<'_>, at: usize, limit: usize) -> Option<usize> {
    let end = trim_end(doc.lower, at, super::values::clause_end(doc, at, limit));
    let after = skip_words(doc.lower, at, end, NONE_WORDS);
    (after > at && after >= end).then_some(end)
}

fn said_none(doc: &Doc<'_>, from: usize, to: usize) -> bool {
    to > from && skip_words(doc.lower, from, to, NONE_WORDS) >= to
}

/// Value shapes in the unclaimed parts of a clause: a duration at its start, an action verb with an object,
/// a CRM customer name, a tag (first sentence, or one the CRM knows).
fn shape_in_gaps(
    form: &Form,
    doc: &Doc<'_>,
    (c_start, c_end): (usize, usize),
    (first, customer_seen): (bool, bool),
    claims: &mut Vec<Claim>,
    from: usize,
) {
    let at = skip_leading(doc.lower, c_start, c_end);
    let end = trim_end(doc.lower, at, c_end);
    if at >= end {
        return;
    }
    let field_of = |kind: FieldType| form.fields.iter().position(|f| f.kind == kind);
    if !overlaps(&claims[from..], at, end) {
        if let Some(fi) = field_of(FieldType::Hours)
            && let Some(read) = read_hours(doc, at, end)
        {
            claims.push(typed(fi, at, read, Quality::Shape, None));
            return;
        }
        if let Some(fi) = form.fields.iter().position(|f| f.fallback == Some(Fallback::PastTense))
            && past_verb_with_object(doc, at, end)
        {
            claims.push(Claim { field: fi, start: at, end: at, value: None, value_start: at, value_end: at, quality: Quality::Shape, cue: None });
            return;
        }
    }
    let claimed_until = |claims: &[Claim], i: usize| claims.iter().filter(|c| c.start <= i && i < c.end).map(|c| c.end).max();
    // One customer per report: once one is claimed, later words are not scanned for names.
    if let Some(fi) = field_of(FieldType::Customer)
        && doc.directory.is_some()
        && !customer_seen
        && !claims[from..].iter().any(|c| c.field == fi)
    {
        let mut i = at;
        while i < end {
            if let Some(next) = claimed_until(&claims[from..], i) {
                i = next;
                continue;
            }
            let word_start = i == at || doc.text[..i].chars().next_back().is_some_and(|c| !is_word_char(c));
            if word_start && let Some(read) = directory_name_at(doc, i, next_claim_start(&claims[from..], i, end)) {
                i = read.end;
                claims.push(typed(fi, read.start, read, Quality::Shape, None));
                continue;
            }
            i += doc.text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    // Without a CRM only the first sentence can hold an uncued tag.
    if let Some(fi) = field_of(FieldType::AssetTag)
        && (first || doc.directory.is_some())
    {
        let mut i = at;
        while i < end {
            if let Some(next) = claimed_until(&claims[from..], i) {
                i = next;
                continue;
            }
            let gap_end = next_claim_start(&claims[from..], i, end);
            if let Some(read) = read_tag(doc, i, gap_end, false).filter(|r| value_text(&r.value).len() >= 3) {
                let known = doc.directory.is_some_and(|d| matches!(d.asset(value_text(&read.value)), AssetLookup::Found(_)));
                if first || known {
                    claims.push(typed(fi, read.start, read, Quality::Shape, None));
                }
            }
            i = gap_end;
        }
    }
}

fn value_text(v: &Value) -> &str {
    match v {
        Value::Text(t) => t,
        _ => "",
    }
}

/// "washed the condenser": a past-tense verb followed by an article or particle.
fn past_verb_with_object(doc: &Doc<'_>, at: usize, end: usize) -> bool {
    let first_end = doc.lower[at..end].find(|c: char| !is_word_char(c)).map_or(end, |i| at + i);
    let word = &doc.lower[at..first_end];
    if word.len() < 5 || !word.ends_with("ed") {
        return false;
    }
    let next = super::text::skip_seps(doc.lower, first_end, end);
    ["the", "a", "an", "all", "both", "up", "out", "off", "down", "in", "new", "it", "and"]
        .iter()
        .any(|w| starts_with_word(doc.lower, next, w).is_some())
}

pub(crate) fn reading(value: Value, start: usize, end: usize, quality: Quality, cue: Option<String>) -> Reading {
    Reading { value, start, end, quality, cue, source: quality.label() }
}

/// Reads text and part-list claims up to the next claim, and unclaimed words as the fault.
fn resolve_sentence(
    form: &Form,
    doc: &Doc<'_>,
    (s_start, s_end): (usize, usize),
    first: bool,
    claims: &mut Vec<Claim>,
    from: usize,
    pieces: &mut BTreeMap<usize, Vec<Reading>>,
) {
    let unpunctuated = clauses(doc.text, (s_start, s_end)).len() == 1;
    let mut k = from;
    while k < claims.len() {
        let next = claims.get(k + 1).map_or(s_end, |n| n.start);
        // Typed values are read already; a typed claim without one is a cue followed by "none".
        if claims[k].value.is_some() || !matches!(form.fields[claims[k].field].kind, FieldType::Text | FieldType::PartList) {
            k += 1;
            continue;
        }
        let (fi, quality, cue) = (claims[k].field, claims[k].quality, claims[k].cue.clone());
        let mut from = skip_leading(doc.lower, claims[k].value_start, next);
        if quality == Quality::Label {
            from = after_cue(doc, from, next);
        }
        let mut to = trim_end(doc.lower, from, next);
        // "Parts: none", "follow-up none": said, and empty.
        if said_none(doc, from, to) {
            to = from;
        }
        // Unpunctuated dictation: a duration and a status said at the end belong to their own fields.
        if unpunctuated && next == s_end {
            let tail = trailing_values(form, doc, from, to);
            if let Some(first_tail) = tail.first() {
                to = trim_end(doc.lower, from, first_tail.start);
                claims.extend(tail);
            }
        }
        claims[k].end = next.max(claims[k].end);
        k += 1;
        if to <= from {
            continue;
        }
        let field = &form.fields[fi];
        let list = pieces.entry(fi).or_default();
        match field.kind {
            FieldType::PartList => {
                let parts = read_parts(doc, from, to);
                if let (Some(p0), Some(pn)) = (parts.first(), parts.last()) {
                    let (s, e) = (p0.1, pn.2);
                    let items: Vec<Part> = parts.into_iter().map(|p| p.0).collect();
                    list.push(reading(Value::Parts(items), s, e, quality, cue));
                }
            }
            _ if field.split_clauses => {
                let mut corrects = false;
                for (p_start, p_end) in clauses(doc.text, (from, to)) {
                    let mut ps = skip_leading(doc.lower, p_start, p_end);
                    if let Some(after) = skip_correction(doc.lower, ps, p_end) {
                        (ps, corrects) = (after, true);
                    }
                    let pe = trim_end(doc.lower, ps, p_end);
                    if pe <= ps {
                        continue;
                    }
                    let mut text = clean_value(doc.text, doc.lower, ps, pe);
                    // "replaced the contactor, no wait, the overload relay": the correction replaces the
                    // previous piece, keeping its verb when only the object is said again.
                    if std::mem::take(&mut corrects)
                        && let Some(prev) = list.pop()
                    {
                        let starts_with_article = ARTICLES.iter().any(|a| starts_with_word(doc.lower, ps, a).is_some());
                        if let (true, Value::Text(prev_text)) = (starts_with_article, &prev.value)
                            && let Some((verb, _)) = prev_text.split_once(' ')
                        {
                            text = format!("{verb} {text}");
                        }
                        ps = prev.start;
                    }
                    list.push(reading(Value::Text(text), ps, pe, quality, cue.clone()));
                }
            }
            _ => {
                let from = skip_words(doc.lower, from, to, ARTICLES);
                list.push(reading(Value::Text(clean_value(doc.text, doc.lower, from, to)), from, to, quality, cue));
            }
        }
    }
    let in_sentence: Vec<&Claim> = claims[from..].iter().filter(|c| c.start >= s_start && c.start < s_end).collect();
    for c in in_sentence.iter().filter(|c| c.value.is_some()) {
        let value = c.value.clone().unwrap_or(Value::Bool(false));
        pieces.entry(c.field).or_default().push(reading(value, c.value_start, c.value_end, c.quality, c.cue.clone()));
    }
    let covered: Vec<(usize, usize)> = in_sentence.iter().map(|c| (c.start, c.end)).collect();
    let identity = in_sentence.iter().any(|c| {
        c.value.is_some() && matches!(form.fields[c.field].kind, FieldType::AssetTag | FieldType::Customer)
    });
    unclaimed(form, doc, (s_start, s_end), &covered, identity, first, pieces);
}

/// One reading per field: text pieces joined with "; ", part lists concatenated, otherwise the last said.
fn merge(form: &Form, pieces: BTreeMap<usize, Vec<Reading>>) -> BTreeMap<usize, Reading> {
    let mut out = BTreeMap::new();
    for (fi, mut list) in pieces {
        list.sort_by_key(|r| r.start);
        let Some(last) = list.last().cloned() else { continue };
        let first = &list[0];
        let merged = match form.fields[fi].kind {
            FieldType::Text => {
                let texts: Vec<&str> = list.iter().filter_map(|r| match &r.value {
                    Value::Text(t) if !t.is_empty() => Some(t.as_str()),
                    _ => None,
                }).collect();
                if texts.is_empty() {
                    continue;
                }
                Reading { value: Value::Text(texts.join("; ")), start: first.start, quality: first.quality, cue: first.cue.clone(), source: first.source, ..last }
            }
            FieldType::PartList => {
                let all: Vec<Part> = list.iter().flat_map(|r| match &r.value {
                    Value::Parts(p) => p.clone(),
                    _ => Vec::new(),
                }).collect();
                Reading { value: Value::Parts(all), start: first.start, quality: first.quality, cue: first.cue.clone(), source: first.source, ..last }
            }
            _ => last,
        };
        out.insert(fi, merged);
    }
    out
}


#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;
