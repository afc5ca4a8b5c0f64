//! Slot filling over an extraction: which required field to ask for next and its question, merging a spoken,
//! typed or keypad answer through the same normalisers and CRM checks as extraction, and the read-back
//! summary. Sans-I/O and stateless: shared by the IVR dialog and device dictation. Must not depend on
//! telephony, speech, transcribe or store.
//!
//! The usual loop: `while let Some(slot) = next_slot(form, &x, &skipped) { ask(slot.question); merge_answer(..) }`,
//! then [`summary`] for the read-back. A field whose answers keep failing goes into `skipped` (the caller's
//! retry limit); it stays a problem for the reviewer.

use chrono::NaiveDate;

use crate::extract::directory::AssetLookup;
use crate::extract::form::{Field, FieldType, Form};
use crate::extract::result::{Extraction, FieldResult, Problem, ProblemKind, Span, Value};
use crate::extract::{ExtractOptions, extract, parse_field_input};

/// A required field that still needs an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The field's name in the form.
    pub field: String,
    /// Why it is asked: `Missing`, `Invalid`, `UnknownAsset`, `UnknownCustomer` or `CustomerMismatch`.
    pub reason: ProblemKind,
    /// The question to ask, in the requested language.
    pub question: String,
}

/// How the caller answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    /// A transcript of the spoken answer (or typed text): read with the speech normalisers.
    Speech(&'a str),
    /// Keypad digits (`0`-`9`, `*` as a decimal point). Asset tags, digit and number fields take the digits;
    /// hours take `2*5` as 2.5; enum fields take the value's position (1 = first); yes/no takes 1 yes, 2 no.
    Keypad(&'a str),
}

/// Why an answer was not taken; the message names the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AnswerError {
    pub field: String,
    pub message: String,
}

/// Problem kinds that make a required field worth asking again (low confidence alone does not).
fn askable(kind: ProblemKind) -> bool {
    !matches!(kind, ProblemKind::LowConfidence)
}

/// The first required field, in form order, that is missing or has a problem the caller can fix, skipping
/// the names in `skip`. `None` when the report is ready for read-back.
pub fn next_slot(form: &Form, extraction: &Extraction, lang: &str, skip: &[String]) -> Option<Slot> {
    form.fields.iter().filter(|f| f.required && !skip.contains(&f.name)).find_map(|f| {
        let reason = match extraction.problems.iter().find(|p| p.field == f.name && askable(p.kind)) {
            Some(p) => p.kind,
            None if !extraction.fields.contains_key(&f.name) => ProblemKind::Missing,
            None => return None,
        };
        Some(Slot { field: f.name.clone(), reason, question: question(f, lang) })
    })
}

/// The field's question in `lang`, else in English, else a generic one naming the field.
pub fn question(field: &Field, lang: &str) -> String {
    field
        .question
        .get(lang)
        .or_else(|| field.question.get("en"))
        .cloned()
        .unwrap_or_else(|| match lang {
            "zh" => format!("请说{}。", field.name.replace('_', " ")),
            _ => format!("Please say the {}.", field.name.replace('_', " ")),
        })
}

/// Strips what a transcriber wraps around a short answer: spaces and sentence punctuation.
fn clean(s: &str) -> &str {
    s.trim().trim_matches(|c: char| c.is_whitespace() || ".,!?;:。，！？；：、\"'".contains(c))
}

/// Reads a keypad answer for `field`.
fn keypad_value(field: &Field, keys: &str, reference: NaiveDate) -> Result<Value, String> {
    let name = &field.name;
    let keys = keys.trim_end_matches('#');
    if keys.is_empty() || !keys.chars().all(|c| c.is_ascii_digit() || c == '*') {
        return Err(format!("{name}: no digits entered"));
    }
    let position = |n: usize| -> Result<usize, String> {
        keys.parse::<usize>().ok().filter(|&k| k >= 1 && k <= n).ok_or_else(|| format!("{name}: key {keys} is not a choice"))
    };
    match field.kind {
        FieldType::AssetTag | FieldType::Digits | FieldType::Number | FieldType::Hours => {
            parse_field_input(field, &keys.replace('*', "."), reference)
        }
        FieldType::Enum => Ok(Value::Text(field.values[position(field.values.len())? - 1].name.clone())),
        FieldType::YesNo => Ok(Value::Bool(position(2)? == 1)),
        _ => Err(format!("{name}: cannot be entered on the keypad; please say it")),
    }
}

/// Reads a spoken answer for `field`: the whole answer as the value, else the field as extraction finds it
/// in the answer, else in the answer behind the field's first cue ("asset" + "four four seven one").
fn spoken_value(form: &Form, field: &Field, text: &str, opts: &ExtractOptions<'_>) -> Result<Value, String> {
    let text = clean(text);
    let whole = parse_field_input(field, text, opts.reference_date);
    if whole.is_ok() || field.kind.is_text() {
        return whole;
    }
    let lang = opts.language.unwrap_or_else(|| crate::extract::detect_language(text));
    let cued = field.cues(lang).iter().find(|c| !c.keep).map(|c| format!("{} {text}", c.phrase));
    for attempt in std::iter::once(text.to_string()).chain(cued) {
        let x = extract(form, &attempt, opts);
        if let Some(r) = x.fields.get(&field.name)
            && r.source != "asset"
        {
            return Ok(r.value.clone());
        }
    }
    whole
}

fn problem(field: &str, kind: ProblemKind, detail: &str) -> Problem {
    Problem { field: field.to_string(), kind, message: format!("{field}: {detail}") }
}

/// Merges the caller's answer for `field` into `extraction`: the value replaces any earlier one (source
/// "ivr" for speech, "keypad" for keys; span over the answer), the field's old problems go, and the CRM
/// checks of extraction run again (an asset tag resolves to its canonical form and fills a missing customer;
/// a customer name resolves to the CRM's). A value that is not in the CRM is kept with its problem, so
/// [`next_slot`] asks again. Err when the answer cannot be read as that field at all.
pub fn merge_answer(
    form: &Form,
    extraction: &mut Extraction,
    field_name: &str,
    answer: Answer<'_>,
    opts: &ExtractOptions<'_>,
) -> Result<(), AnswerError> {
    let fail = |message: String| AnswerError { field: field_name.to_string(), message };
    let field = form.field(field_name).ok_or_else(|| fail(format!("{field_name}: no such field in form {}", form.name)))?;
    let (value, text, source) = match answer {
        Answer::Speech(t) => (spoken_value(form, field, t, opts).map_err(fail)?, clean(t).to_string(), "ivr"),
        Answer::Keypad(k) => (keypad_value(field, k, opts.reference_date).map_err(fail)?, k.to_string(), "keypad"),
    };
    let result = FieldResult {
        value,
        span: Span { start: 0, end: text.chars().count() },
        confidence: 1.0,
        source: source.to_string(),
        cue: None,
        text,
    };
    extraction.problems.retain(|p| p.field != field.name);
    extraction.fields.insert(field.name.clone(), result);
    recheck(form, extraction, field, opts);
    Ok(())
}

/// Runs the CRM checks of extraction for a merged asset or customer.
fn recheck(form: &Form, x: &mut Extraction, field: &Field, opts: &ExtractOptions<'_>) {
    let Some(dir) = opts.directory else { return };
    let customer_field = form.fields.iter().find(|f| f.kind == FieldType::Customer);
    let asset_field = form.fields.iter().find(|f| f.kind == FieldType::AssetTag);
    let owner = |x: &Extraction| -> Option<String> {
        let af = asset_field?;
        let Value::Text(tag) = &x.fields.get(&af.name)?.value else { return None };
        match dir.asset(tag) {
            AssetLookup::Found(a) => Some(a.customer),
            _ => None,
        }
    };
    match field.kind {
        FieldType::AssetTag => {
            let Some(Value::Text(tag)) = x.fields.get(&field.name).map(|r| r.value.clone()) else { return };
            match dir.asset(&tag) {
                AssetLookup::Found(asset) => {
                    if let Some(r) = x.fields.get_mut(&field.name) {
                        r.value = Value::Text(asset.tag.clone());
                    }
                    if let Some(cf) = customer_field {
                        let has_customer = x.fields.contains_key(&cf.name)
                            && !x.problems.iter().any(|p| p.field == cf.name && p.kind == ProblemKind::UnknownCustomer);
                        if has_customer {
                            recheck(form, x, cf, opts);
                        } else {
                            x.problems.retain(|p| p.field != cf.name);
                            let span = x.fields[&field.name].span;
                            let text = x.fields[&field.name].text.clone();
                            let implied = FieldResult {
                                value: Value::Text(asset.customer.clone()),
                                span,
                                confidence: 1.0,
                                source: "asset".into(),
                                cue: None,
                                text,
                            };
                            x.fields.insert(cf.name.clone(), implied);
                        }
                    }
                }
                AssetLookup::Candidates(list) => {
                    let names: Vec<String> = list.iter().map(|(a, _)| format!("{} ({})", a.tag, a.customer)).collect();
                    let detail = format!("{tag} is not in the CRM; did you mean {}?", names.join(" or "));
                    x.problems.push(problem(&field.name, ProblemKind::UnknownAsset, &detail));
                }
                AssetLookup::NotFound if field.validation.must_exist_in_crm => {
                    x.problems.push(problem(&field.name, ProblemKind::UnknownAsset, &format!("{tag} is not in the CRM")));
                }
                AssetLookup::NotFound => {}
            }
        }
        FieldType::Customer => {
            x.problems.retain(|p| p.field != field.name);
            let Some(Value::Text(said)) = x.fields.get(&field.name).map(|r| r.value.clone()) else { return };
            match dir.customers(&said).into_iter().next() {
                Some((customer, _)) => {
                    if let Some(r) = x.fields.get_mut(&field.name) {
                        r.value = Value::Text(customer.name.clone());
                    }
                    if let Some(owner) = owner(x)
                        && owner != customer.name
                    {
                        let detail = format!("{} does not own that asset (its owner is {owner})", customer.name);
                        x.problems.push(problem(&field.name, ProblemKind::CustomerMismatch, &detail));
                    }
                }
                None if field.validation.must_exist_in_crm => {
                    x.problems.push(problem(&field.name, ProblemKind::UnknownCustomer, &format!("{said} is not in the CRM")));
                }
                None => {}
            }
        }
        _ => {}
    }
}

/// English words for 0..=24 (hours and small quantities read back naturally).
fn en_number(n: u32) -> String {
    const WORDS: [&str; 25] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "twenty one",
        "twenty two", "twenty three", "twenty four",
    ];
    WORDS.get(n as usize).map_or_else(|| n.to_string(), |w| (*w).to_string())
}

/// "two and a half hours", "one hour", "a quarter of an hour", "1.2 hours".
fn en_hours(h: f64) -> String {
    let whole = h.trunc();
    let frac = h - whole;
    let quarter = (frac * 4.0).round();
    if (frac * 4.0 - quarter).abs() > 0.01 || !(0.0..=24.0).contains(&h) {
        return format!("{} hours", (h * 100.0).round() / 100.0);
    }
    let w = whole as u32;
    match (w, quarter as u32) {
        (0, 0) => "zero hours".into(),
        (0, 1) => "a quarter of an hour".into(),
        (0, 2) => "half an hour".into(),
        (0, 3) => "three quarters of an hour".into(),
        (1, 0) => "one hour".into(),
        (w, 0) => format!("{} hours", en_number(w)),
        (w, q) => {
            let f = ["", "a quarter", "a half", "three quarters"][q.min(3) as usize];
            format!("{} and {f} hours", en_number(w))
        }
    }
}

/// "2.5小时"-style hours in Mandarin: 两个半小时, 一小时, 半小时.
fn zh_hours(h: f64) -> String {
    const DIGITS: [&str; 11] = ["零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十"];
    let whole = h.trunc() as u32;
    let half = ((h - h.trunc()) * 2.0 - 1.0).abs() < 0.01;
    let exact = (h - h.trunc()).abs() < 0.01;
    let w = DIGITS.get(whole as usize).copied();
    match (w, half, exact) {
        (Some(_), true, _) if whole == 0 => "半小时".into(),
        (Some(w), true, _) => format!("{w}个半小时"),
        (Some(w), _, true) => format!("{w}小时"),
        _ => format!("{}小时", (h * 100.0).round() / 100.0),
    }
}

/// One field's value as it is read back.
fn spoken(field: &Field, value: &Value, lang: &str) -> String {
    let zh = lang == "zh";
    match (field.kind, value) {
        (FieldType::AssetTag, Value::Text(t)) if zh => format!("设备{t}"),
        (FieldType::AssetTag, Value::Text(t)) => format!("Asset {t}"),
        (FieldType::Hours, Value::Number(h)) if zh => zh_hours(*h),
        (FieldType::Hours, Value::Number(h)) => en_hours(*h),
        (FieldType::Enum, Value::Text(name)) => field
            .values
            .iter()
            .find(|v| v.name == *name)
            .and_then(|v| v.synonyms.get(lang).and_then(|s| s.first()))
            .cloned()
            .unwrap_or_else(|| name.replace('_', " ")),
        (_, Value::Parts(parts)) => {
            let items: Vec<String> = parts
                .iter()
                .map(|p| if zh { format!("{}个{}", p.quantity, p.name) } else { format!("{} {}", en_number(p.quantity), p.name) })
                .collect();
            if zh { format!("配件{}", items.join("、")) } else { format!("parts: {}", items.join(" and ")) }
        }
        (_, Value::Date(d)) if zh => format!("回访{}", d.format("%-m月%-d日")),
        (_, Value::Date(d)) => format!("follow-up {}", d.format("%B %-d")),
        (_, Value::Bool(b)) if zh => (if *b { "是" } else { "否" }).into(),
        (FieldType::Text, Value::Text(t)) if !zh => lower_first(clean(t)),
        (_, v) => clean(&v.to_string()).to_string(),
    }
}

/// "Replaced the fan" -> "replaced the fan" mid-sentence; acronyms ("HVAC unit") stay.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => a.to_lowercase().chain(s[a.len_utf8()..].chars()).collect(),
        _ => s.to_string(),
    }
}

/// The read-back in `lang` ("en" or "zh"): every field with a value, in form order, except the fault
/// (the technician said it; the action is what the office needs confirmed) — "Asset 4471, Acme Foods,
/// replaced the condenser fan motor, two and a half hours, closed." Empty when nothing was extracted.
pub fn summary(form: &Form, extraction: &Extraction, lang: &str) -> String {
    let zh = lang == "zh";
    let items: Vec<String> = form
        .fields
        .iter()
        .filter(|f| f.fallback != Some(crate::extract::form::Fallback::Unclaimed))
        .filter_map(|f| extraction.fields.get(&f.name).map(|r| spoken(f, &r.value, lang)))
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return String::new();
    }
    if zh { format!("{}。", items.join("，")) } else { format!("{}.", items.join(", ")) }
}

#[cfg(test)]
#[path = "slots_tests.rs"]
mod tests;
