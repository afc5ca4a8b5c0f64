//! The normalisers through the library's public path, on whole dictated reports (the acceptance
//! sentence and its Mandarin counterpart), as the matcher sees them.

use chrono::NaiveDate;
use fieldvoice::extract::normalise::{find_dates, find_hours, find_numbers, find_tags, parse_tag};

fn friday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date")
}

#[test]
fn english_acceptance_sentence() {
    let s = "Unit H X two zero four. Fan belt snapped, fitted a new belt. Labor one hour. Status open, follow up \
             on December third.";
    let tags: Vec<(String, &str)> = find_tags(s)
        .into_iter()
        .map(|f| (f.value, &s[f.start..f.end]))
        .collect();
    assert_eq!(tags, [("HX204".to_string(), "H X two zero four")]);
    let hours: Vec<(f64, &str)> = find_hours(s)
        .into_iter()
        .map(|f| (f.value, &s[f.start..f.end]))
        .collect();
    assert_eq!(hours, [(1.0, "one hour")]);
    let dates: Vec<NaiveDate> = find_dates(s, friday())
        .into_iter()
        .map(|f| f.value)
        .collect();
    assert_eq!(
        dates,
        [NaiveDate::from_ymd_opt(2026, 12, 3).expect("valid date")]
    );
}

#[test]
fn mandarin_report() {
    let s = "设备编号四四七一，故障是压缩机跳闸。更换了两个过滤器。工时两个半小时。状态已完成。下周二回访。";
    let tags: Vec<String> = find_tags(s).into_iter().map(|f| f.value).collect();
    assert_eq!(tags, ["4471"]);
    let hours: Vec<f64> = find_hours(s).into_iter().map(|f| f.value).collect();
    assert_eq!(hours, [2.5]);
    let dates: Vec<NaiveDate> = find_dates(s, friday())
        .into_iter()
        .map(|f| f.value)
        .collect();
    assert_eq!(
        dates,
        [NaiveDate::from_ymd_opt(2026, 11, 24).expect("valid date")]
    );
    let numbers: Vec<f64> = find_numbers(s).into_iter().map(|f| f.value).collect();
    assert_eq!(numbers, [4471.0, 2.0, 2.5]);
}

#[test]
fn typed_corrections_of_a_tag() {
    for s in [
        "4471",
        "4 4 7 1",
        "four, four, seven, one",
        "44 71",
        "四四七一",
    ] {
        assert_eq!(parse_tag(s).as_deref(), Some("4471"), "{s}");
    }
}
