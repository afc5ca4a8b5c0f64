//! Table-driven tests of the normalisers, English and Mandarin, plus property tests.

mod dates;
mod hours;
mod numbers;
mod props;
mod tags;
mod yesno;

use chrono::NaiveDate;

/// The default reference date of the tests: Friday 2026-11-20.
fn friday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}
