//! Normalisers for spoken values in English and Mandarin: numbers, digit strings, asset tags, durations,
//! dates and yes/no. Each `find_*` returns every value in running text, left to right and non-overlapping, with
//! the byte range of the words it came from; each `parse_*` accepts only input that is wholly that value (a
//! reviewer's typed correction, an IVR answer). Pure code: depends on chrono and std only, never on I/O.
//!
//! Decisions the matcher relies on:
//! - A run of single digit words ("four four seven one") is one number, 4471: that is how people say long
//!   numbers. Runs of Arabic digits ("4 4 7 1") stay separate numbers; as a tag they join.
//! - Ordinals ("third", "3rd") are not numbers; they are days in dates.
//! - In a tag a point never makes a decimal: "4.71" is read as Whisper's rendering of "four four seven one".
//! - Durations without a unit are not found by [`find_hours`]; [`parse_hours`] takes a bare number as hours.
//! - Dates follow the rules in the `date` module docs ("next Tuesday" is the Tuesday of next week).

mod date;
mod date_zh;
mod digits;
mod hours;
mod number;
mod token;
mod yesno;
mod zh;

use chrono::NaiveDate;

pub use digits::{find_tags, parse_digits, parse_tag};
pub use hours::{find_hours, parse_hours};
pub use yesno::parse_yes_no;

use token::{Kind, Tok, tokenize, trimmed};

/// A value found in text, with the byte range of the words it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    pub value: T,
    /// Byte offset of the first byte of the first word (a char boundary).
    pub start: usize,
    /// Byte offset just past the last word (a char boundary).
    pub end: usize,
}

/// A number at token `i`, English or Mandarin, with the index after it.
fn number_at(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    match toks.get(i)?.kind {
        Kind::Han => zh::zh_number_at(toks, i),
        Kind::Num if is_ordinal_suffix(toks, i) => None,
        _ => number::en_number(toks, i),
    }
}

/// "1st", "22nd": digits glued to an ordinal suffix.
fn is_ordinal_suffix(toks: &[Tok<'_>], i: usize) -> bool {
    toks.get(i + 1)
        .is_some_and(|s| s.start == toks[i].end && s.is(&["st", "nd", "rd", "th"]))
}

/// Parses input that is wholly a number: "forty five", "2.5", "1,200", "two and a half", "a quarter",
/// "three quarters", "two point five", "four four seven one" (4471), "一百零五", "两", "三点五".
pub fn parse_number(s: &str) -> Option<f64> {
    let toks = tokenize(s);
    let toks = trimmed(&toks);
    let (v, end) = number_at(toks, 0)?;
    (end == toks.len()).then_some(v)
}

/// Every number in running text, left to right, non-overlapping ("two filter driers and three hours" gives 2
/// and 3). A lone 一 or 零 inside a common word (一下, 零件) is not a number; neither are ordinals.
pub fn find_numbers(s: &str) -> Vec<Found<f64>> {
    let toks = tokenize(s);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let found = number_at(&toks, i).filter(|&(_, end)| {
            let lone_han = toks[i].kind == Kind::Han && end == i + 1;
            let word_not_number = lone_han && zh::is_word_not_number(&zh::han_run(&toks, i));
            !word_not_number && !digits::after_weekday_word(&toks, i)
        });
        match found {
            Some((v, end)) if end > i && v.is_finite() => {
                out.push(Found {
                    value: v,
                    start: toks[i].start,
                    end: toks[end - 1].end,
                });
                i = end;
            }
            _ => i += 1 + usize::from(toks[i].kind == Kind::Num && is_ordinal_suffix(&toks, i)),
        }
    }
    out
}

fn date_at(toks: &[Tok<'_>], i: usize, reference: NaiveDate) -> Option<(NaiveDate, usize)> {
    match toks.get(i)?.kind {
        Kind::Han => date_zh::zh_date(toks, i, reference),
        Kind::Num => {
            date::en_date(toks, i, reference).or_else(|| date_zh::zh_date(toks, i, reference))
        }
        _ => date::en_date(toks, i, reference),
    }
}

/// Parses input that is wholly a date, relative to `reference` (today); a leading "on", "by", "until" or
/// "due" is allowed. See the `date` module for the rules ("next Tuesday", years for "January 5", "12/3").
pub fn parse_date(s: &str, reference: NaiveDate) -> Option<NaiveDate> {
    let toks = tokenize(s);
    let toks = trimmed(&toks);
    let start = usize::from(
        toks.first()
            .is_some_and(|t| t.is(&["on", "by", "until", "till", "due", "for"])),
    );
    let (d, end) = date_at(toks, start, reference)?;
    (end == toks.len()).then_some(d)
}

/// Every date in running text, left to right, non-overlapping, relative to `reference`.
pub fn find_dates(s: &str, reference: NaiveDate) -> Vec<Found<NaiveDate>> {
    let toks = tokenize(s);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match date_at(&toks, i, reference) {
            Some((d, end)) if end > i => {
                out.push(Found {
                    value: d,
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

#[cfg(test)]
mod tests;
