//! Dates against a reference date, English: today, tomorrow, Monday, next Tuesday, in two weeks, December
//! third, the 1st of December, 12/3, 2026-12-03, end of the month. Calendar rules shared with the Mandarin
//! grammar in `date_zh`. Pure; depends on chrono, the tokeniser and the number parsers only.
//!
//! Rules (the reference date is "today"):
//! - A bare weekday, "this Monday", "on Monday", "coming Monday": the first such day strictly after today.
//! - "next Tuesday": the Tuesday of next week (weeks start on Monday), so from Friday 2026-11-20 "next Tuesday"
//!   is 2026-11-24 and "next Friday" 2026-11-27. "last Monday": the latest Monday strictly before today.
//! - "next week": Monday of next week; "next month": the 1st of next month; "end of the week": the first Friday
//!   on or after today; "end of the month": its last day.
//! - Month and day without a year: that day this year, or next year when it is before today (follow-ups lie
//!   ahead), so on 2026-12-30 "January 5" is 2027-01-05 and on 2026-11-20 "November 18" is 2027-11-18;
//!   "February 29" is the next one that exists.
//! - A day alone ("the 3rd", "3号"): the first such day on or after today.
//! - "12/3" is month/day (US order); "2026/12/3" and "2026-12-03" are year, month, day.
//! - Impossible dates ("February thirtieth") give nothing.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::number::{en_number, ordinal_day};
use super::token::{Kind, Tok};

pub(crate) fn add_days(r: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 {
        r.checked_add_days(Days::new(n as u64))
    } else {
        r.checked_sub_days(Days::new(n.unsigned_abs()))
    }
}

fn weekday_index(r: NaiveDate) -> i64 {
    i64::from(r.weekday().num_days_from_monday())
}

/// The first `wd` (0 = Monday) strictly after `r`.
pub(crate) fn next_weekday(r: NaiveDate, wd: u32) -> Option<NaiveDate> {
    let d = (i64::from(wd) - weekday_index(r)).rem_euclid(7);
    add_days(r, if d == 0 { 7 } else { d })
}

/// Day `wd` of the week `weeks` after the week of `r` (0 = this week).
pub(crate) fn week_day(r: NaiveDate, weeks: i64, wd: u32) -> Option<NaiveDate> {
    add_days(r, 7 * weeks - weekday_index(r) + i64::from(wd))
}

fn last_weekday(r: NaiveDate, wd: u32) -> Option<NaiveDate> {
    let d = (weekday_index(r) - i64::from(wd)).rem_euclid(7);
    add_days(r, -(if d == 0 { 7 } else { d }))
}

pub(crate) fn end_of_month(r: NaiveDate) -> Option<NaiveDate> {
    first_of_month(r, 1)?.pred_opt()
}

/// The 1st of the month `months` after the month of `r`.
pub(crate) fn first_of_month(r: NaiveDate, months: u32) -> Option<NaiveDate> {
    r.with_day(1)?.checked_add_months(Months::new(months))
}

pub(crate) fn add_months(r: NaiveDate, months: u32) -> Option<NaiveDate> {
    r.checked_add_months(Months::new(months))
}

/// Month and day without a year: that day this year, or next year when it is before `r` (the corpus rule).
pub(crate) fn month_day(r: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    // Through February 29: the next year that has the day, within the leap cycle.
    (r.year()..r.year() + 8)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .find(|&d| d >= r)
}

/// A day of the month alone: the first such date on or after `r`, within a year.
pub(crate) fn day_only(r: NaiveDate, day: u32) -> Option<NaiveDate> {
    (0..13)
        .filter_map(|m| first_of_month(r, m)?.with_day(day))
        .find(|&d| d >= r)
}

pub(crate) fn ymd(y: i64, m: i64, d: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(m).ok()?,
        u32::try_from(d).ok()?,
    )
}

fn weekday_word(w: &str) -> Option<u32> {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    DAYS.iter().position(|&d| d == w).map(|p| p as u32)
}

fn month_word(w: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if let Some(p) = MONTHS.iter().position(|&m| m == w) {
        return Some(p as u32 + 1);
    }
    let short = if w == "sept" { "sep" } else { w };
    (short.len() == 3 && short != "may")
        .then(|| MONTHS.iter().position(|m| m.starts_with(short)))??
        .checked_add(1)
        .map(|m| m as u32)
}

fn word<'t>(toks: &'t [Tok<'_>], i: usize) -> Option<&'t str> {
    toks.get(i).and_then(|t| t.word())
}

fn is_word(toks: &[Tok<'_>], i: usize, words: &[&str]) -> bool {
    toks.get(i).is_some_and(|t| t.is(words))
}

/// Month name at `i`, skipping a "." after an abbreviation.
fn month_at(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    let m = month_word(word(toks, i)?)?;
    let dot = toks
        .get(i + 1)
        .is_some_and(|t| t.raw == "." && t.start == toks[i].end);
    Some((m, i + 1 + usize::from(dot)))
}

/// An optional year after a date: ", 2026" or "2026".
fn year_at(toks: &[Tok<'_>], i: usize) -> Option<(i64, usize)> {
    let k = if toks.get(i).is_some_and(|t| t.raw == ",") {
        i + 1
    } else {
        i
    };
    let t = toks
        .get(k)
        .filter(|t| t.kind == Kind::Num && t.norm.len() == 4)?;
    let y: i64 = t.norm.parse().ok().filter(|y| (1900..=2200).contains(y))?;
    Some((y, k + 1))
}

fn with_year(
    r: NaiveDate,
    toks: &[Tok<'_>],
    j: usize,
    m: u32,
    d: u32,
) -> Option<(NaiveDate, usize)> {
    match year_at(toks, j) {
        Some((y, k)) => ymd(y, i64::from(m), i64::from(d)).map(|v| (v, k)),
        None => month_day(r, m, d).map(|v| (v, j)),
    }
}

/// "December third", "Dec. 3rd, 2026", "December the 3rd".
fn month_first(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    let (m, j) = month_at(toks, i)?;
    let j = if is_word(toks, j, &["the"]) { j + 1 } else { j };
    let (d, k) = ordinal_day(toks, j).or_else(|| small_cardinal(toks, j))?;
    with_year(r, toks, k, m, d)
}

/// "December three": a cardinal 1..31 in words.
fn small_cardinal(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    toks.get(i).filter(|t| t.kind == Kind::Word)?;
    let (v, j) = en_number(toks, i)?;
    (v.fract() == 0.0 && (1.0..=31.0).contains(&v)).then_some((v as u32, j))
}

/// "the 1st of December", "3rd December", "3 December 2026", "the third" (day alone).
fn day_first(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    let the = is_word(toks, i, &["the"]);
    let j = i + usize::from(the);
    let (d, k) = ordinal_day(toks, j)?;
    let of = is_word(toks, k, &["of"]);
    if let Some((m, k2)) = month_at(toks, k + usize::from(of)) {
        return with_year(r, toks, k2, m, d);
    }
    // "the 3rd of next month", "the 20th of this month"
    if of && is_word(toks, k + 2, &["month"]) {
        let months = match word(toks, k + 1)? {
            "next" => 1,
            "this" => 0,
            _ => return None,
        };
        return first_of_month(r, months)?.with_day(d).map(|v| (v, k + 3));
    }
    // A day alone needs "the" and an ordinal form ("the 3rd", "the third"), not a plain number.
    let ordinal_form = k > j + 1 || toks[j].kind == Kind::Word;
    (the && ordinal_form).then(|| day_only(r, d).map(|v| (v, k)))?
}

/// "2026-12-03", "2026/12/3", "12/3", "12/3/2026".
fn numeric(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    let mut parts: Vec<(i64, usize)> = vec![];
    let mut j = i;
    let mut sep = None;
    while let Some(t) = toks
        .get(j)
        .filter(|t| t.kind == Kind::Num && t.norm.bytes().all(|b| b.is_ascii_digit()))
    {
        parts.push((t.norm.parse::<i64>().ok()?, t.norm.len()));
        j += 1;
        let s = toks
            .get(j)
            .filter(|s| s.start == t.end && matches!(s.raw, "-" | "/"));
        let glued = s.is_some_and(|s| {
            toks.get(j + 1)
                .is_some_and(|n| n.start == s.end && n.kind == Kind::Num)
        });
        match s {
            Some(s) if parts.len() < 3 && glued && sep.is_none_or(|p| p == s.raw) => {
                sep = Some(s.raw);
                j += 1;
            }
            _ => break,
        }
    }
    // "2026.12.03" arrives as one number token.
    if parts.is_empty()
        && let Some(t) = toks.get(i).filter(|t| t.kind == Kind::Num)
    {
        let p: Vec<&str> = t.norm.split('.').collect();
        if let [y, m, d] = p.as_slice()
            && y.len() == 4
        {
            return ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).map(|v| (v, i + 1));
        }
        return None;
    }
    let date = match parts.as_slice() {
        [(y, 4), (m, 1..=2), (d, 1..=2)] => ymd(*y, *m, *d),
        [(m, 1..=2), (d, 1..=2), (y, 4)] if sep == Some("/") => ymd(*y, *m, *d),
        [(m, 1..=2), (d, 1..=2)] if sep == Some("/") => {
            month_day(r, u32::try_from(*m).ok()?, u32::try_from(*d).ok()?)
        }
        _ => None,
    };
    date.map(|v| (v, j))
}

/// A count before a unit: "two", "a", "an", "3", "a couple of".
fn count(toks: &[Tok<'_>], i: usize) -> Option<(i64, usize)> {
    if is_word(toks, i, &["a", "an", "one"]) && !is_word(toks, i + 1, &["couple"]) {
        return Some((1, i + 1));
    }
    if is_word(toks, i, &["a"])
        && is_word(toks, i + 1, &["couple"])
        && is_word(toks, i + 2, &["of"])
    {
        return Some((2, i + 3));
    }
    let (v, j) = en_number(toks, i)?;
    (v.fract() == 0.0 && (0.0..=1000.0).contains(&v)).then_some((v as i64, j))
}

/// "two weeks", "three days", "a month", "a fortnight": the offset from `r` and the index after it.
fn span(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    if is_word(toks, i, &["a"]) && is_word(toks, i + 1, &["fortnight"]) {
        return add_days(r, 14).map(|d| (d, i + 2));
    }
    let (n, j) = count(toks, i)?;
    let d = match word(toks, j)? {
        "day" | "days" => add_days(r, n),
        "week" | "weeks" => add_days(r, 7 * n),
        "fortnight" | "fortnights" => add_days(r, 14 * n),
        "month" | "months" => add_months(r, u32::try_from(n).ok()?),
        _ => None,
    }?;
    Some((d, j + 1))
}

/// "in two weeks ['time]", "two weeks from today/now", "a week today", "three days later".
fn relative_span(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    if is_word(toks, i, &["in", "within"]) {
        let (d, mut j) = span(toks, i + 1, r)?;
        if toks.get(j).is_some_and(|t| t.raw == "'") {
            j += 1;
        }
        if is_word(toks, j, &["time"]) {
            j += 1;
        }
        return Some((d, j));
    }
    let (_, j) = span(toks, i, r)?;
    match word(toks, j)? {
        "from" if is_word(toks, j + 1, &["today", "now"]) => {
            span(toks, i, r).map(|(d, _)| (d, j + 2))
        }
        "from" if is_word(toks, j + 1, &["tomorrow"]) => {
            span(toks, i, add_days(r, 1)?).map(|(d, _)| (d, j + 2))
        }
        "today" | "later" | "hence" => span(toks, i, r).map(|(d, _)| (d, j + 1)),
        _ => None,
    }
}

/// A weekday with an optional qualifier before it and an optional explicit date after it.
fn weekday_phrase(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    let mut j = i;
    let mut q = "";
    if let Some(w) = word(toks, j).filter(|w| matches!(*w, "this" | "next" | "last" | "coming")) {
        q = w;
        j += 1;
        if q == "this" && is_word(toks, j, &["coming"]) {
            j += 1;
        }
    }
    let wd = weekday_word(word(toks, j)?)?;
    j += 1;
    // "Monday the 7th", "Monday, December 7th": the explicit date wins.
    let k = if toks.get(j).is_some_and(|t| t.raw == ",") {
        j + 1
    } else {
        j
    };
    if let Some(found) = month_first(toks, k, r).or_else(|| day_first(toks, k, r)) {
        return Some(found);
    }
    // "Thursday next week", "Monday this week"
    if let Some(w) = word(toks, j).filter(|w| matches!(*w, "next" | "this"))
        && is_word(toks, j + 1, &["week"])
        && q.is_empty()
    {
        return week_day(r, i64::from(w == "next"), wd).map(|d| (d, j + 2));
    }
    let d = match q {
        "next" => week_day(r, 1, wd),
        "last" => last_weekday(r, wd),
        _ => next_weekday(r, wd),
    }?;
    Some((d, j))
}

/// "next week", "next month", "end of the month", "the end of this week".
fn period(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    if is_word(toks, i, &["next"]) {
        return match word(toks, i + 1)? {
            "week" => week_day(r, 1, 0),
            "month" => first_of_month(r, 1),
            _ => None,
        }
        .map(|d| (d, i + 2));
    }
    let j = i + usize::from(is_word(toks, i, &["the"]));
    if !(is_word(toks, j, &["end"]) && is_word(toks, j + 1, &["of"])) {
        return None;
    }
    let k = j + 2 + usize::from(is_word(toks, j + 2, &["the", "this"]));
    match word(toks, k)? {
        "month" => end_of_month(r),
        "week" => next_weekday(add_days(r, -1)?, 4),
        _ => None,
    }
    .map(|d| (d, k + 1))
}

/// An English date at `i`: the date and the index after it.
pub(crate) fn en_date(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    let t = toks.get(i)?;
    if t.kind == Kind::Num {
        return numeric(toks, i, r)
            .or_else(|| day_first(toks, i, r))
            .or_else(|| relative_span(toks, i, r));
    }
    let w = t.word()?;
    let simple = match w {
        "today" | "tonight" => Some(0),
        "tomorrow" => Some(1),
        "yesterday" => Some(-1),
        _ => None,
    };
    if let Some(n) = simple {
        return add_days(r, n).map(|d| (d, i + 1));
    }
    let j = i + usize::from(w == "the");
    if is_word(toks, j, &["day"]) && is_word(toks, j + 2, &["tomorrow", "yesterday"]) {
        let n = match (word(toks, j + 1)?, word(toks, j + 2)?) {
            ("after", "tomorrow") => 2,
            ("before", "yesterday") => -2,
            _ => return None,
        };
        return add_days(r, n).map(|d| (d, j + 3));
    }
    weekday_phrase(toks, i, r)
        .or_else(|| period(toks, i, r))
        .or_else(|| month_first(toks, i, r))
        .or_else(|| day_first(toks, i, r))
        .or_else(|| relative_span(toks, i, r))
}
