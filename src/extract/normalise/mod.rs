//! Normalisers for spoken values in English and Mandarin: numbers, digit strings, asset tags, durations
//! and dates. Each `find_*` returns the first value in the text with its byte range; each `parse_*`
//! accepts only input that is wholly that value (used when a reviewer types a correction).

use chrono::NaiveDate;

/// A value found in text, with the byte range of the words it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    pub value: T,
    pub start: usize,
    pub end: usize,
}
