//! Durations in hours: "two and a half hours", "an hour and fifteen minutes", "two hours thirty", "90 minutes",
//! "half an hour", "1.5h", "两个半小时", "半小时", "一个小时十五分钟", "一刻钟". Pure; depends on the tokeniser
//! and the number parsers only.

use super::Found;
use super::number::{en_number, num_token};
use super::token::{Kind, Tok, tokenize, trimmed};
use super::zh::{han_run, zh_number};

const HOUR_WORDS: [&str; 5] = ["hour", "hours", "hr", "hrs", "h"];
// A spaced "m" could be metres, so it only counts glued ("1h30m").
const MINUTE_WORDS: [&str; 4] = ["minute", "minutes", "min", "mins"];

fn is_hour(t: Option<&Tok<'_>>) -> bool {
    t.is_some_and(|t| t.is(&HOUR_WORDS))
}

/// A number before an hour word: any English number, or "a"/"an" (one).
fn hour_count(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    if let Some((v, mut j)) = en_number(toks, i) {
        // "half an hour", "a quarter of an hour", "three quarters of an hour"
        if v < 1.0 {
            if toks.get(j).is_some_and(|t| t.is(&["of"])) {
                j += 1;
            }
            if toks.get(j).is_some_and(|t| t.is(&["a", "an"])) {
                j += 1;
            }
        }
        return Some((v, j));
    }
    toks.get(i)
        .filter(|t| t.is(&["a", "an", "one"]))
        .map(|_| (1.0, i + 1))
}

/// Minutes after the hour part: "and fifteen minutes", "fifteen", "30 mins", "and a half", "and a quarter".
fn minutes_after(toks: &[Tok<'_>], i: usize, whole_hours: bool) -> Option<(f64, usize)> {
    let and = toks.get(i).is_some_and(|t| t.is(&["and"]));
    let k = i + usize::from(and);
    if and
        && whole_hours
        && let Some(t) = toks.get(k + 1).filter(|_| toks[k].is(&["a", "one"]))
    {
        if t.is(&["half"]) {
            return Some((0.5, k + 2));
        }
        if t.is(&["quarter"]) {
            return Some((0.25, k + 2));
        }
    }
    let (m, j) =
        en_number(toks, k).filter(|&(m, _)| m.fract() == 0.0 && (1.0..60.0).contains(&m))?;
    if toks.get(j).is_some_and(|t| t.is(&MINUTE_WORDS)) {
        return Some((m / 60.0, j + 1));
    }
    // "two hours thirty": a bare count of minutes only when it is a round 10..55 and nothing numeric follows.
    let round = m >= 10.0 && m % 5.0 == 0.0;
    let numeric_next = toks
        .get(j)
        .is_some_and(|t| t.kind == Kind::Num || en_number(toks, j).is_some());
    (round && !numeric_next).then_some((m / 60.0, j))
}

/// An English duration at `i`: value in hours and the index after it.
fn en_hours(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    // "half hour", "quarter hour", "half-hour"
    if let Some(t) = toks.get(i).filter(|t| t.is(&["half", "quarter"])) {
        let k = if toks.get(i + 1).is_some_and(|t| t.raw == "-") {
            i + 2
        } else {
            i + 1
        };
        if toks.get(k).is_some_and(|t| t.is(&["hour"])) {
            return Some((if t.norm == "half" { 0.5 } else { 0.25 }, k + 1));
        }
    }
    if let Some(r) = compact(toks, i).or_else(|| clock(toks, i)) {
        return Some(r);
    }
    // "hour and a half" with the article dropped
    if toks.get(i).is_some_and(|t| t.is(&["hour"]))
        && let Some((extra, k)) =
            minutes_after(toks, i + 1, true).filter(|_| toks[i + 1].is(&["and"]))
    {
        return Some((1.0 + extra, k));
    }
    let (v, j) = hour_count(toks, i)?;
    if is_hour(toks.get(j)) {
        let (extra, k) = minutes_after(toks, j + 1, v.fract() == 0.0).unwrap_or((0.0, j + 1));
        return Some((v + extra, k));
    }
    if toks.get(j).is_some_and(|t| t.is(&MINUTE_WORDS)) && v > 0.0 {
        return Some((v / 60.0, j + 1));
    }
    None
}

/// "1.5h", "2h", "1h30", "1h30m", "90min", "2hrs": a number glued to its unit.
fn compact(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    let n = toks.get(i)?;
    let v = num_token(n)?;
    let u = toks.get(i + 1).filter(|u| u.start == n.end)?;
    if u.is(&MINUTE_WORDS) {
        return Some((v / 60.0, i + 2));
    }
    if !u.is(&HOUR_WORDS) {
        return None;
    }
    let glued_minutes = toks
        .get(i + 2)
        .filter(|m| m.start == u.end)
        .and_then(num_token)
        .filter(|m| *m < 60.0);
    match glued_minutes {
        Some(m) => {
            let m_unit = toks.get(i + 3).is_some_and(|t| {
                t.start == toks[i + 2].end && (t.is(&MINUTE_WORDS) || t.is(&["m"]))
            });
            Some((v + m / 60.0, i + 3 + usize::from(m_unit)))
        }
        None => Some((v, i + 2)),
    }
}

/// "1:30 hours", "1:30h": hours and minutes with a colon, followed by an hour word.
fn clock(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    let h = toks
        .get(i)
        .and_then(num_token)
        .filter(|h| h.fract() == 0.0)?;
    let colon = toks
        .get(i + 1)
        .filter(|c| c.raw == ":" && c.start == toks[i].end)?;
    let m = toks
        .get(i + 2)
        .filter(|m| m.start == colon.end && m.kind == Kind::Num && m.norm.len() == 2);
    let m = m.and_then(num_token).filter(|m| *m < 60.0)?;
    is_hour(toks.get(i + 3)).then_some((h + m / 60.0, i + 4))
}

/// A number at the start of `chars` or an Arabic number token at `i` (value and number of tokens).
fn zh_count(toks: &[Tok<'_>], i: usize, chars: &[char]) -> Option<(f64, usize)> {
    if let Some(v) = toks.get(i).and_then(num_token) {
        let half = toks.get(i + 1).and_then(|t| t.han()) == Some('个')
            && toks.get(i + 2).and_then(|t| t.han()) == Some('半');
        return Some(if half { (v + 0.5, 3) } else { (v, 1) });
    }
    zh_number(chars)
}

fn starts(chars: &[char], at: usize, word: &str) -> Option<usize> {
    let n = word.chars().count();
    chars
        .get(at..at + n)
        .filter(|s| s.iter().copied().eq(word.chars()))
        .map(|_| at + n)
}

/// A Mandarin duration at `i`: value in hours and the index after it.
fn zh_hours(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    let numeric = toks.get(i).is_some_and(|t| t.kind == Kind::Num);
    // Characters from i, with a placeholder for an Arabic number token so positions line up with tokens.
    let chars: Vec<char> = if numeric {
        std::iter::once('#')
            .chain(toks[i + 1..].iter().map_while(|t| t.han()).take(12))
            .collect()
    } else {
        han_run(toks, i)
    };
    if !numeric && chars.is_empty() {
        return None;
    }
    let (v, mut k) = zh_count(toks, i, &chars)?;
    let hours_word = ["个小时", "小时", "个钟头", "钟头", "个钟", "钟点"]
        .iter()
        .find_map(|w| starts(&chars, k, w));
    if let Some(after) = hours_word {
        k = after;
        let mut total = v;
        if chars.get(k) == Some(&'半') && v.fract() == 0.0 {
            return Some((total + 0.5, i + k + 1));
        }
        let z = if chars.get(k) == Some(&'零') {
            k + 1
        } else {
            k
        };
        if let Some((m, after_m)) =
            zh_number(&chars[z.min(chars.len())..]).filter(|&(m, _)| m > 0.0 && m < 60.0)
        {
            let end = z + after_m;
            if let Some(e) = starts(&chars, end, "分钟").or_else(|| starts(&chars, end, "分")) {
                total += m / 60.0;
                k = e;
            }
        } else if let Some(e) = starts(&chars, k, "一刻").or_else(|| starts(&chars, k, "三刻"))
        {
            total += if chars[k] == '一' { 0.25 } else { 0.75 };
            k = e;
        } else if k == chars.len()
            && let Some(m) = toks
                .get(i + k)
                .and_then(num_token)
                .filter(|m| *m > 0.0 && *m < 60.0)
        {
            // "2小时30分钟": Arabic minutes after the hours.
            let unit: Vec<char> = toks[i + k + 1..]
                .iter()
                .map_while(|t| t.han())
                .take(2)
                .collect();
            if unit.first() == Some(&'分') {
                total += m / 60.0;
                k += 1 + if unit.get(1) == Some(&'钟') { 2 } else { 1 };
            }
        }
        return Some((total, i + k));
    }
    if let Some(e) = starts(&chars, k, "分钟") {
        return Some((v / 60.0, i + e));
    }
    if let Some(e) = starts(&chars, k, "刻钟") {
        return Some((v * 0.25, i + e));
    }
    None
}

fn hours_at(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    en_hours(toks, i)
        .or_else(|| zh_hours(toks, i))
        .filter(|(v, _)| v.is_finite() && *v >= 0.0)
}

/// Parses input that is wholly a duration, in hours. A bare number is taken as hours ("2.5", "two and a half").
pub fn parse_hours(s: &str) -> Option<f64> {
    let toks = tokenize(s);
    let toks = trimmed(&toks);
    if let Some((v, end)) = hours_at(toks, 0) {
        return (end == toks.len()).then_some(v);
    }
    super::parse_number(s)
}

/// Every duration with a unit in running text (hours, minutes, 小时, 分钟, 刻钟), left to right,
/// non-overlapping. A bare number is not a duration here.
pub fn find_hours(s: &str) -> Vec<Found<f64>> {
    let toks = tokenize(s);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match hours_at(&toks, i) {
            Some((v, end)) if end > i => {
                out.push(Found {
                    value: v,
                    start: toks[i].start,
                    end: toks[end - 1].end,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}
