use super::super::{find_dates, parse_date};
use super::{d, friday};

#[test]
fn english_relative_dates() {
    let r = friday();
    let cases: &[(&str, (i32, u32, u32))] = &[
        ("today", (2026, 11, 20)),
        ("tomorrow", (2026, 11, 21)),
        ("the day after tomorrow", (2026, 11, 22)),
        ("day after tomorrow", (2026, 11, 22)),
        ("yesterday", (2026, 11, 19)),
        ("the day before yesterday", (2026, 11, 18)),
        ("Monday", (2026, 11, 23)),
        ("on Monday", (2026, 11, 23)),
        ("this Monday", (2026, 11, 23)),
        ("Friday", (2026, 11, 27)),
        ("next Tuesday", (2026, 11, 24)),
        ("next Friday", (2026, 11, 27)),
        ("next Monday", (2026, 11, 23)),
        ("last Monday", (2026, 11, 16)),
        ("last Friday", (2026, 11, 13)),
        ("in two weeks", (2026, 12, 4)),
        ("in three days", (2026, 11, 23)),
        ("in a week", (2026, 11, 27)),
        ("in 2 weeks' time", (2026, 12, 4)),
        ("a week from today", (2026, 11, 27)),
        ("two weeks from now", (2026, 12, 4)),
        ("a week today", (2026, 11, 27)),
        ("in a month", (2026, 12, 20)),
        ("next week", (2026, 11, 23)),
        ("next month", (2026, 12, 1)),
        ("end of the month", (2026, 11, 30)),
        ("the end of the month", (2026, 11, 30)),
        ("end of the week", (2026, 11, 20)),
    ];
    for &(s, (y, m, day)) in cases {
        assert_eq!(parse_date(s, r), Some(d(y, m, day)), "{s:?}");
    }
}

#[test]
fn english_calendar_dates() {
    let r = friday();
    let cases: &[(&str, (i32, u32, u32))] = &[
        ("December third", (2026, 12, 3)),
        ("December 3rd", (2026, 12, 3)),
        ("December 3", (2026, 12, 3)),
        ("December three", (2026, 12, 3)),
        ("December the third", (2026, 12, 3)),
        ("the 1st of December", (2026, 12, 1)),
        ("the first of December", (2026, 12, 1)),
        ("3rd December", (2026, 12, 3)),
        ("3 December 2026", (2026, 12, 3)),
        ("Dec 3", (2026, 12, 3)),
        ("Dec. 3", (2026, 12, 3)),
        ("December 3rd, 2027", (2027, 12, 3)),
        ("December twenty-first", (2026, 12, 21)),
        ("December thirty first", (2026, 12, 31)),
        ("12/3", (2026, 12, 3)),
        ("12/3/2026", (2026, 12, 3)),
        ("2026-12-03", (2026, 12, 3)),
        ("2026/12/3", (2026, 12, 3)),
        ("the 3rd", (2026, 12, 3)),
        ("the twenty second", (2026, 11, 22)),
        ("November 18", (2027, 11, 18)),
        ("November 20", (2026, 11, 20)),
        ("February 29", (2028, 2, 29)),
        ("March 1", (2027, 3, 1)),
        ("Monday the 7th", (2026, 12, 7)),
        ("Monday, December 7th", (2026, 12, 7)),
        ("may 5", (2027, 5, 5)),
        ("the 3rd of next month", (2026, 12, 3)),
        ("the 25th of this month", (2026, 11, 25)),
        ("Thursday next week", (2026, 11, 26)),
        ("Saturday this week", (2026, 11, 21)),
        ("2026.12.03", (2026, 12, 3)),
        ("in 10 days", (2026, 11, 30)),
        ("ten days from now", (2026, 11, 30)),
        ("in a fortnight", (2026, 12, 4)),
        ("two weeks from tomorrow", (2026, 12, 5)),
        ("on the third of December", (2026, 12, 3)),
        ("on December the third", (2026, 12, 3)),
        ("3rd of Dec", (2026, 12, 3)),
    ];
    for &(s, (y, m, day)) in cases {
        assert_eq!(parse_date(s, r), Some(d(y, m, day)), "{s:?}");
    }
}

#[test]
fn year_rollover_and_month_ends() {
    let r = d(2026, 12, 30);
    assert_eq!(parse_date("January 5", r), Some(d(2027, 1, 5)));
    assert_eq!(parse_date("1月5日", r), Some(d(2027, 1, 5)));
    assert_eq!(parse_date("tomorrow", r), Some(d(2026, 12, 31)));
    assert_eq!(parse_date("in three days", r), Some(d(2027, 1, 2)));
    assert_eq!(parse_date("next week", r), Some(d(2027, 1, 4)));
    assert_eq!(parse_date("next month", r), Some(d(2027, 1, 1)));
    assert_eq!(parse_date("the 2nd", r), Some(d(2027, 1, 2)));
    assert_eq!(
        parse_date("end of the month", d(2028, 2, 3)),
        Some(d(2028, 2, 29))
    );
    assert_eq!(
        parse_date("in a month", d(2027, 1, 31)),
        Some(d(2027, 2, 28))
    );
}

#[test]
fn impossible_dates_are_none() {
    let r = friday();
    for s in [
        "February thirtieth",
        "February 30",
        "the 31st of November",
        "2026-02-30",
        "13/40",
        "2月30日",
        "十三月一号",
        "",
        "soon",
        "the fan belt",
        "December",
        "32号",
    ] {
        assert_eq!(parse_date(s, r), None, "{s:?}");
    }
}

#[test]
fn mandarin_dates() {
    let r = friday();
    let cases: &[(&str, (i32, u32, u32))] = &[
        ("今天", (2026, 11, 20)),
        ("明天", (2026, 11, 21)),
        ("后天", (2026, 11, 22)),
        ("大后天", (2026, 11, 23)),
        ("昨天", (2026, 11, 19)),
        ("下周二", (2026, 11, 24)),
        ("下星期三", (2026, 11, 25)),
        ("下礼拜一", (2026, 11, 23)),
        ("下个星期五", (2026, 11, 27)),
        ("下周日", (2026, 11, 29)),
        ("周五", (2026, 11, 27)),
        ("星期五", (2026, 11, 27)),
        ("礼拜天", (2026, 11, 22)),
        ("这周六", (2026, 11, 21)),
        ("下周", (2026, 11, 23)),
        ("12月3日", (2026, 12, 3)),
        ("12月3号", (2026, 12, 3)),
        ("十二月三号", (2026, 12, 3)),
        ("十二月三日", (2026, 12, 3)),
        ("2026年12月3日", (2026, 12, 3)),
        ("二零二六年十二月三日", (2026, 12, 3)),
        ("3号", (2026, 12, 3)),
        ("二十五号", (2026, 11, 25)),
        ("两周后", (2026, 12, 4)),
        ("三天后", (2026, 11, 23)),
        ("一个星期以后", (2026, 11, 27)),
        ("一个月后", (2026, 12, 20)),
        ("下个月5号", (2026, 12, 5)),
        ("下月5号", (2026, 12, 5)),
        ("这个月25号", (2026, 11, 25)),
        ("月底", (2026, 11, 30)),
        ("下个月", (2026, 12, 1)),
        ("下下周一", (2026, 11, 30)),
        ("本周五", (2026, 11, 20)),
        ("下礼拜", (2026, 11, 23)),
        ("下週二", (2026, 11, 24)),
        ("十二月三號", (2026, 12, 3)),
        ("兩週後", (2026, 12, 4)),
        ("三天以后", (2026, 11, 23)),
        ("过两天", (2026, 11, 22)),
    ];
    for &(s, (y, m, day)) in cases {
        assert_eq!(parse_date(s, r), Some(d(y, m, day)), "{s:?}");
    }
}

#[test]
fn finds_dates_in_running_text() {
    let r = friday();
    let s = "Status open, follow up on December third. 回访时间下周二。";
    let found: Vec<_> = find_dates(s, r)
        .into_iter()
        .map(|f| (f.value, &s[f.start..f.end]))
        .collect();
    assert_eq!(
        found,
        [
            (d(2026, 12, 3), "December third"),
            (d(2026, 11, 24), "下周二")
        ]
    );
    let s = "came back tomorrow and again next Tuesday, then the 1st of December";
    let found: Vec<_> = find_dates(s, r).into_iter().map(|f| f.value).collect();
    assert_eq!(found, [d(2026, 11, 21), d(2026, 11, 24), d(2026, 12, 1)]);
    assert!(find_dates("replaced two filter driers, may need another visit", r).is_empty());
}
