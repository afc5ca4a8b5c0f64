//! Reading one typed value at a place in the transcript (tag, hours, number, date, enum, yes/no, customer,
//! part list) through the normalisers and the CRM directory. Must not depend on the matcher's claim logic.

use chrono::NaiveDate;

use super::directory::{Directory, canonical_tag, is_cjk};
use super::form::{Field, FieldType};
use super::normalise;
use super::result::{Part, Value};
use super::text::{
    FILLERS, clean_value, is_word_char, singular, skip_correction, skip_leading, skip_seps, skip_words, starts_with_word, trim_end,
};

/// The transcript as the matcher sees it.
pub struct Doc<'a> {
    pub text: &'a str,
    /// `text` lower-cased with byte offsets unchanged.
    pub lower: &'a str,
    pub lang: &'a str,
    pub reference: NaiveDate,
    pub directory: Option<&'a dyn Directory>,
    /// The directory's customer names (fetched once per transcript).
    pub names: Vec<String>,
}

/// A value read from `start..end` (byte offsets), with the words it came from.
#[derive(Debug, Clone)]
pub struct Read {
    pub value: Value,
    pub start: usize,
    pub end: usize,
}

/// Linking words skipped between a cue and its value.
const COPULA: &[&str] = &[
    "is", "was", "are", "were", "be", "of", "about", "around", "approximately", "roughly", "approx", "total",
    "in total", "number", "it's", "its", "it", "was about", "是", "为", "了", "约", "大概", "大约", "共", "一共",
    "共计", "总共", "号", "编号", "大概是", "不是",
];

/// Words after a number that make it a quantity, not a tag.
const UNITS: &[&str] = &[
    "hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins", "day", "days", "week", "weeks", "degree",
    "degrees", "psi", "amp", "amps", "volt", "volts", "percent", "kw", "bar", "o'clock", "am", "pm", "日", "号", "月", "年",
    "天", "点", "分", "小时", "个", "周", "度",
];

/// Months and weekdays: capitalised, but never a customer name.
const NOT_NAMES: &[&str] = &[
    "i", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
    "tomorrow", "unit", "asset", "labor", "labour", "status", "parts",
];

/// Skips the linking words between a cue and its value.
pub fn after_cue(doc: &Doc<'_>, at: usize, limit: usize) -> usize {
    let mut at = at;
    loop {
        let next = skip_words(doc.lower, skip_words(doc.lower, at, limit, COPULA), limit, FILLERS);
        if next == at {
            return at;
        }
        at = next;
    }
}

fn followed_by_unit(doc: &Doc<'_>, end: usize, limit: usize) -> bool {
    let at = skip_seps(doc.lower, end, limit);
    UNITS.iter().any(|u| starts_with_word(doc.lower, at, u).is_some())
}

/// A tag found in `at..limit`; with `anchored` it must start at `at`.
pub fn read_tag(doc: &Doc<'_>, at: usize, limit: usize, anchored: bool) -> Option<Read> {
    let slice = doc.text.get(at..limit)?;
    normalise::find_tags(slice).into_iter().find_map(|f| {
        if anchored && f.start != 0 {
            return None;
        }
        let tag = canonical_tag(&f.value);
        let ok = tag.len() >= 2 && tag.chars().any(|c| c.is_ascii_digit()) && !followed_by_unit(doc, at + f.end, limit);
        ok.then(|| Read { value: Value::Text(tag), start: at + f.start, end: at + f.end })
    })
}

/// A duration starting at `at`.
pub fn read_hours(doc: &Doc<'_>, at: usize, limit: usize) -> Option<Read> {
    let slice = doc.text.get(at..limit)?;
    let f = normalise::find_hours(slice).into_iter().next().filter(|f| f.start == 0)?;
    Some(Read { value: Value::Number(f.value), start: at, end: at + f.end })
}

/// A number starting at `at`.
pub fn read_number(doc: &Doc<'_>, at: usize, limit: usize) -> Option<Read> {
    let slice = doc.text.get(at..limit)?;
    let f = normalise::find_numbers(slice).into_iter().next().filter(|f| f.start == 0)?;
    Some(Read { value: Value::Number(f.value), start: at, end: at + f.end })
}

/// The first date in `at..limit`.
pub fn read_date(doc: &Doc<'_>, at: usize, limit: usize) -> Option<Read> {
    let slice = doc.text.get(at..limit)?;
    let f = normalise::find_dates(slice, doc.reference).into_iter().next()?;
    Some(Read { value: Value::Date(f.value), start: at + f.start, end: at + f.end })
}

/// The longest enum synonym starting at `at` (any language the form gives, the transcript's first).
pub fn read_enum(doc: &Doc<'_>, field: &Field, at: usize, limit: usize) -> Option<Read> {
    let mut best: Option<(usize, &str)> = None;
    for value in &field.values {
        let own = value.synonyms.get(doc.lang).into_iter().flatten();
        for syn in own.chain(std::iter::once(&value.name)) {
            if let Some(n) = starts_with_word(doc.lower, at, syn)
                && at + n <= limit
                && best.is_none_or(|(m, _)| n > m)
            {
                best = Some((n, value.name.as_str()));
            }
        }
    }
    let (n, name) = best?;
    Some(Read { value: Value::Text(name.to_string()), start: at, end: at + n })
}

/// Yes or no at `at` (up to four words).
pub fn read_yes_no(doc: &Doc<'_>, at: usize, limit: usize) -> Option<Read> {
    let mut end = at;
    let mut best = None;
    for _ in 0..4 {
        end = doc.lower[end..limit].find(|c: char| !is_word_char(c) && !is_cjk(c)).map_or(limit, |i| end + i);
        if let Some(b) = normalise::parse_yes_no(&doc.text[at..end]) {
            best = Some(Read { value: Value::Bool(b), start: at, end });
        }
        end = skip_seps(doc.lower, end, limit);
        if end >= limit {
            break;
        }
    }
    best
}

/// A customer starting at `at`: a CRM name (fuzzy), else in Mandarin the rest of the clause, else a run of
/// capitalised words ("for Lakeside Diner").
pub fn read_customer(doc: &Doc<'_>, at: usize, limit: usize) -> Option<Read> {
    if let Some(found) = directory_name_at(doc, at, limit) {
        return Some(found);
    }
    let end = if doc.lang == "zh" {
        let clause_end = doc.lower[at..limit].find(['，', ',', '、']).map_or(limit, |i| at + i);
        trim_end(doc.lower, at, clause_end)
    } else {
        capitalised_run(doc, at, limit)
    };
    if end <= at {
        return None;
    }
    let said = clean_value(doc.text, doc.lower, at, end);
    (!said.is_empty()).then_some(Read { value: Value::Text(said), start: at, end })
}

/// Words a whole clause may wrap around an enum value: "the job is", "still", "leave it", ... "up".
const ENUM_LEAD: &[&str] = &[
    "job", "the job", "job is", "the job is", "job's", "it's", "it is", "its", "ticket", "the ticket", "work order",
    "call", "is", "was", "remains", "still", "leave", "leave it", "leaving it", "left", "leave the job", "mark it",
    "marked", "marking it", "as", "now", "currently", "status", "工单", "状态", "目前", "现在", "还在", "暂时",
];
const ENUM_TAIL: &[&str] = &["up", "now", "for now", "today", "off", "了", "啦"];

/// A clause that is nothing but an enum value, allowing lead words ("the job is", "still") and a tail ("up").
pub fn read_enum_clause(doc: &Doc<'_>, field: &Field, start: usize, end: usize) -> Option<Read> {
    let mut at = start;
    loop {
        if let Some(read) = read_enum(doc, field, at, end)
            && skip_words(doc.lower, read.end, end, ENUM_TAIL) >= end
        {
            return Some(read);
        }
        let next = skip_words(doc.lower, at, end, ENUM_LEAD);
        if next == at {
            return None;
        }
        at = next;
    }
}

fn capitalised_run(doc: &Doc<'_>, at: usize, limit: usize) -> usize {
    let mut end = at;
    let mut i = at;
    loop {
        let word_end = doc.text[i..limit].find(|c: char| !is_word_char(c) && c != '\'' && c != '&').map_or(limit, |n| i + n);
        let word = &doc.text[i..word_end];
        let capital = word.chars().next().is_some_and(char::is_uppercase);
        if word.is_empty() || !capital || NOT_NAMES.contains(&doc.lower[i..word_end].as_ref()) {
            return end;
        }
        end = word_end;
        // Only spaces between the words of a name.
        let next = doc.text[end..limit].find(|c: char| c != ' ').map_or(limit, |n| end + n);
        if next == end || next >= limit {
            return end;
        }
        i = next;
    }
}

/// The CRM customer whose name best matches the words starting at `at`.
pub fn directory_name_at(doc: &Doc<'_>, at: usize, limit: usize) -> Option<Read> {
    doc.directory?;
    let mut best: Option<(f32, usize, String)> = None;
    for name in &doc.names {
        let ends = if name.chars().any(is_cjk) {
            let n = name.chars().count();
            // Mandarin names compare character by character, from a CJK character.
            if !doc.text[at..].chars().next().is_some_and(is_cjk) {
                continue;
            }
            let end = doc.text[at..limit].char_indices().nth(n).map_or(limit, |(i, _)| at + i);
            [end, end]
        } else {
            let first = name.chars().next().map(|c| c.to_ascii_lowercase());
            if doc.lower[at..].chars().next() != first {
                continue;
            }
            let words = name.split_whitespace().count();
            [word_window(doc.text, at, limit, words), word_window(doc.text, at, limit, words + 1)]
        };
        for end in ends {
            // Names of very different length cannot score above the threshold: skip the string metrics.
            let (said, want) = (end.saturating_sub(at), name.len());
            if end <= at || said * 2 < want || said > want * 2 {
                continue;
            }
            let score = super::directory::name_score(&doc.text[at..end], name);
            if score >= super::directory::NAME_THRESHOLD && best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, end, name.clone()));
            }
        }
    }
    let (_, end, name) = best?;
    Some(Read { value: Value::Text(name), start: at, end })
}

fn word_window(text: &str, at: usize, limit: usize, words: usize) -> usize {
    let mut end = at;
    let mut seen = 0;
    let mut in_word = false;
    for (i, c) in text[at..limit].char_indices() {
        let w = is_word_char(c) || c == '\'';
        if w && !in_word {
            if seen == words {
                break;
            }
            seen += 1;
        }
        if w {
            end = at + i + c.len_utf8();
        } else if c != ' ' && c != '-' {
            break;
        }
        in_word = w;
    }
    if seen == words { end } else { at }
}

/// Mandarin measure words between a quantity and a part name.
const MEASURES: &[&str] = &["个", "只", "根", "条", "台", "套", "块", "片", "支", "卷", "组", "瓶", "盒", "米", "把", "颗", "桶", "副"];

/// Separators between parts in a list.
const PART_SEPS: &[&str] = &[" and ", " plus ", ",", "，", "、", "和", "还有", "以及", " & ", ";", "；"];

/// Parts named in `start..end`: quantity and singular lower-case name each; a bare quantity after a name
/// ("contactor, one", "温控器一个") counts for that name.
pub fn read_parts(doc: &Doc<'_>, start: usize, end: usize) -> Vec<(Part, usize, usize)> {
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut cur = start;
    let mut i = start;
    while i < end {
        if let Some(sep) = PART_SEPS.iter().find(|s| doc.lower[i..end].starts_with(**s)) {
            items.push((cur, i));
            i += sep.len();
            cur = i;
        } else {
            i += doc.lower[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    items.push((cur, end));
    let mut out: Vec<(Part, usize, usize)> = Vec::new();
    let mut replace = false;
    for (s, e) in items {
        let s = skip_leading(doc.lower, s, e);
        // "three hinges, sorry, two hinges": a correction replaces the item before it.
        let (s, corrected) = match skip_correction(doc.lower, s, e) {
            Some(after) => (after, true),
            None => (s, std::mem::take(&mut replace)),
        };
        if corrected && trim_end(doc.lower, s, e) <= s {
            replace = true;
            continue;
        }
        if corrected {
            out.pop();
        }
        let e = trim_end(doc.lower, s, e);
        if e <= s {
            continue;
        }
        let (qty, name_start) = leading_quantity(doc, s, e);
        let (qty, name_end) = match qty {
            Some(q) => (Some(q), e),
            None => trailing_quantity(doc, name_start, e),
        };
        let name = part_name(doc, name_start, name_end);
        match (name.is_empty(), qty, out.last_mut()) {
            (true, Some(q), Some(last)) => {
                last.0.quantity = q;
                last.2 = e;
            }
            (true, _, _) => {}
            (false, q, _) => out.push((Part { quantity: q.unwrap_or(1), name }, s, e)),
        }
    }
    out
}

fn leading_quantity(doc: &Doc<'_>, s: usize, e: usize) -> (Option<u32>, usize) {
    for art in ["a new", "a couple of", "a pair of", "a", "an", "new"] {
        if let Some(n) = starts_with_word(doc.lower, s, art) {
            let q = match art {
                "a couple of" | "a pair of" => 2,
                "new" => return (None, skip_seps(doc.lower, s + n, e)),
                _ => 1,
            };
            return (Some(q), skip_seps(doc.lower, s + n, e));
        }
    }
    let slice = &doc.text[s..e];
    if let Some(f) = normalise::find_numbers(slice).into_iter().next().filter(|f| f.start == 0)
        && f.value >= 1.0
        && f.value.fract() == 0.0
        && f.value < 10_000.0
    {
        let mut at = skip_seps(doc.lower, s + f.end, e);
        if let Some(m) = MEASURES.iter().find(|m| doc.lower[at..e].starts_with(**m)) {
            at += m.len();
        }
        for filler in ["x", "of", "new", "brand new", "of the"] {
            if let Some(n) = starts_with_word(doc.lower, at, filler) {
                at = skip_seps(doc.lower, at + n, e);
            }
        }
        return (Some(f.value as u32), at);
    }
    (None, s)
}

fn trailing_quantity(doc: &Doc<'_>, s: usize, e: usize) -> (Option<u32>, usize) {
    // "温控器一个": a numeral and a measure word at the end; "contactor one": a number word at the end.
    let mut cut = e;
    if let Some(m) = MEASURES.iter().find(|m| doc.lower[s..e].ends_with(**m)) {
        cut -= m.len();
    }
    let tail_start = doc.lower[s..cut]
        .char_indices()
        .rev()
        .take_while(|(_, c)| "零一二两三四五六七八九十幺0123456789".contains(*c))
        .last()
        .map(|(i, _)| s + i);
    if let Some(ts) = tail_start
        && ts > s
        && let Some(q) = normalise::parse_number(&doc.text[ts..cut])
        && q >= 1.0
        && q.fract() == 0.0
    {
        return (Some(q as u32), ts);
    }
    let last_space = doc.lower[s..e].rfind(' ').map(|i| s + i + 1);
    if let Some(ls) = last_space
        && let Some(q) = normalise::parse_number(&doc.text[ls..e])
        && q >= 1.0
        && q.fract() == 0.0
    {
        return (Some(q as u32), trim_end(doc.lower, s, ls));
    }
    (None, e)
}

fn part_name(doc: &Doc<'_>, s: usize, e: usize) -> String {
    let e = trim_end(doc.lower, s, e);
    if e <= s {
        return String::new();
    }
    let raw = clean_value(doc.text, doc.lower, s, e).to_lowercase();
    let mut words: Vec<&str> = raw.split_whitespace().collect();
    while words.first().is_some_and(|w| matches!(*w, "the" | "new" | "of" | "x" | "brand")) {
        words.remove(0);
    }
    let Some(last) = words.pop() else { return String::new() };
    let last = if last.chars().any(is_cjk) { last.to_string() } else { singular(last) };
    words.push(&last);
    words.join(" ")
}

/// Reads a typed value for `field` at the start of `at..limit` (dates anywhere in it).
pub fn read_value(doc: &Doc<'_>, field: &Field, at: usize, limit: usize) -> Option<Read> {
    // A value follows its cue closely: reading at most a window keeps long unpunctuated text linear.
    let limit = window_end(doc.text, at, limit, WINDOW);
    let content = after_cue(doc, at, limit);
    if content >= limit {
        return None;
    }
    match field.kind {
        FieldType::AssetTag => read_tag(doc, content, limit, true),
        FieldType::Hours => read_hours(doc, content, limit),
        FieldType::Number => read_number(doc, content, limit),
        FieldType::Date => read_date(doc, at, limit),
        FieldType::Enum => read_enum(doc, field, content, limit)
            .or_else(|| read_enum_clause(doc, field, content, trim_end(doc.lower, content, clause_end(doc, content, limit)))),
        FieldType::YesNo => read_yes_no(doc, content, limit),
        FieldType::Digits => read_tag(doc, content, limit, true)
            .filter(|r| matches!(&r.value, Value::Text(t) if t.chars().all(|c| c.is_ascii_digit()))),
        FieldType::Customer => read_customer(doc, content, limit),
        FieldType::Text | FieldType::PartList => None,
    }
}

/// The end of the clause holding `at` (next comma or colon), at most `limit`.
pub fn clause_end(doc: &Doc<'_>, at: usize, limit: usize) -> usize {
    doc.lower[at..limit].find([',', '，', ':', '：']).map_or(limit, |i| at + i)
}

/// Bytes after a cue searched for its value.
pub const WINDOW: usize = 240;

/// `at + bytes` moved back to a char boundary, at most `limit`.
pub fn window_end(text: &str, at: usize, limit: usize, bytes: usize) -> usize {
    let mut end = limit.min(at.saturating_add(bytes)).min(text.len());
    while end > at && !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// `at - bytes` moved forward to a char boundary, at least `floor`.
pub fn window_start(text: &str, floor: usize, at: usize, bytes: usize) -> usize {
    let mut start = floor.max(at.saturating_sub(bytes));
    while start < at && !text.is_char_boundary(start) {
        start += 1;
    }
    start
}
