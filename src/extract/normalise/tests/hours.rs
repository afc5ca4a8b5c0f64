use super::super::{find_hours, parse_hours};

#[test]
fn english_durations() {
    let cases: &[(&str, f64)] = &[
        ("two and a half hours", 2.5),
        ("2.5 hours", 2.5),
        ("forty five minutes", 0.75),
        ("an hour and fifteen minutes", 1.25),
        ("an hour and a half", 1.5),
        ("an hour", 1.0),
        ("one hour", 1.0),
        ("two hours thirty", 2.5),
        ("two hours and thirty minutes", 2.5),
        ("90 minutes", 1.5),
        ("1.5h", 1.5),
        ("1.5 h", 1.5),
        ("2 hrs", 2.0),
        ("1h30", 1.5),
        ("1h30m", 1.5),
        ("90min", 1.5),
        ("half an hour", 0.5),
        ("half hour", 0.5),
        ("a half hour", 0.5),
        ("half-hour", 0.5),
        ("a quarter of an hour", 0.25),
        ("three quarters of an hour", 0.75),
        ("three hours", 3.0),
        ("Three hours.", 3.0),
        ("one hundred and twenty minutes", 2.0),
        ("2.5", 2.5),
        ("two and a half", 2.5),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_hours(s), Some(v), "{s:?}");
    }
}

#[test]
fn mandarin_durations() {
    let cases: &[(&str, f64)] = &[
        ("两个半小时", 2.5),
        ("半小时", 0.5),
        ("半个小时", 0.5),
        ("一个小时十五分钟", 1.25),
        ("一小时十五分", 1.25),
        ("一个半小时", 1.5),
        ("一小时半", 1.5),
        ("四十五分钟", 0.75),
        ("一刻钟", 0.25),
        ("三刻钟", 0.75),
        ("两个钟头", 2.0),
        ("3个小时", 3.0),
        ("2.5小时", 2.5),
        ("九十分钟", 1.5),
        ("两小时零五分钟", 2.0 + 5.0 / 60.0),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_hours(s), Some(v), "{s:?}");
    }
}

#[test]
fn not_durations() {
    for s in ["", "hours", "the fan", "two filters", "小时", "5 m"] {
        assert_eq!(parse_hours(s), None, "{s:?}");
    }
}

#[test]
fn finds_durations_in_running_text() {
    let s = "Labor two and a half hours, then forty five minutes travel. 工时两个半小时";
    let found: Vec<(f64, &str)> = find_hours(s)
        .iter()
        .map(|f| (f.value, &s[f.start..f.end]))
        .collect();
    assert_eq!(
        found,
        [
            (2.5, "two and a half hours"),
            (0.75, "forty five minutes"),
            (2.5, "两个半小时")
        ]
    );
    assert!(find_hours("two filter driers and 3 belts").is_empty());
    assert_eq!(find_hours("one hour two filters")[0].value, 1.0);
}

#[test]
fn less_common_duration_shapes() {
    let cases: &[(&str, f64)] = &[
        ("a couple of hours", 2.0),
        ("hour and a half", 1.5),
        ("1:30 hours", 1.5),
        ("2:45h", 2.75),
        ("two hours and a half", 2.5),
        ("an hour and a quarter", 1.25),
        ("one and a half hours", 1.5),
        ("forty-five minutes", 0.75),
        ("45 mins", 0.75),
        ("一点五个小时", 1.5),
        ("1.5个小时", 1.5),
        ("三个半钟头", 3.5),
        ("兩個半小時", 2.5),
        ("半個鐘頭", 0.5),
        ("2小时30分钟", 2.5),
        ("两个小时30分", 2.5),
        ("45分钟", 0.75),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_hours(s), Some(v), "{s:?}");
    }
}
