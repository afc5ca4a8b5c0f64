use proptest::prelude::*;

use super::super::*;
use super::friday;

const UNITS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// English words for 0..=9999, British style ("one hundred and five"), hyphenated or not.
fn english(n: u32, hyphen: bool, and: bool) -> String {
    fn below_100(n: u32, hyphen: bool) -> String {
        match n {
            0..=19 => UNITS[n as usize].to_string(),
            _ if n.is_multiple_of(10) => TENS[(n / 10) as usize].to_string(),
            _ => format!(
                "{}{}{}",
                TENS[(n / 10) as usize],
                if hyphen { "-" } else { " " },
                UNITS[(n % 10) as usize]
            ),
        }
    }
    if n < 100 {
        return below_100(n, hyphen);
    }
    let mut parts = vec![];
    if n >= 1000 {
        parts.push(format!("{} thousand", UNITS[(n / 1000) as usize]));
    }
    if n % 1000 >= 100 {
        parts.push(format!("{} hundred", UNITS[(n % 1000 / 100) as usize]));
    }
    if !n.is_multiple_of(100) {
        if and {
            parts.push("and".to_string());
        }
        parts.push(below_100(n % 100, hyphen));
    }
    parts.join(" ")
}

/// Mandarin numerals for 0..=99999 (一百零五, 两千, 十五).
fn chinese(n: u32) -> String {
    const D: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    if n == 0 {
        return "零".into();
    }
    let units = [
        (10000, '万'),
        (1000, '千'),
        (100, '百'),
        (10, '十'),
        (1, ' '),
    ];
    let mut out = String::new();
    let mut zero = false;
    for (u, c) in units {
        let d = (n / u % 10) as usize;
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        if !(u == 10 && d == 1 && out.is_empty()) {
            out.push(if d == 2 && u >= 100 { '两' } else { D[d] });
        }
        if c != ' ' {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_integer_to_9999_in_english_parses_back() {
    for n in 0..=9999 {
        for (hyphen, and) in [(false, false), (true, true)] {
            let s = english(n, hyphen, and);
            assert_eq!(parse_number(&s), Some(f64::from(n)), "{s}");
        }
    }
}

#[test]
fn every_integer_to_99999_in_mandarin_parses_back() {
    for n in 0..=99999 {
        let s = chinese(n);
        assert_eq!(parse_number(&s), Some(f64::from(n)), "{s}");
    }
}

#[test]
fn every_four_digit_tag_parses_back() {
    for n in 0..=9999u32 {
        let tag = format!("{n:04}");
        let spaced: Vec<String> = tag.chars().map(String::from).collect();
        let spelt: Vec<&str> = tag.bytes().map(|b| UNITS[usize::from(b - b'0')]).collect();
        for s in [
            spaced.join(" "),
            spelt.join(" "),
            spelt.join(", "),
            tag.clone(),
        ] {
            assert_eq!(parse_tag(&s).as_deref(), Some(tag.as_str()), "{s}");
        }
    }
}

fn check_ranges<T>(s: &str, found: &[Found<T>]) -> Result<(), TestCaseError> {
    let mut last = 0;
    for f in found {
        prop_assert!(
            f.start < f.end && f.end <= s.len(),
            "range {}..{} in {:?}",
            f.start,
            f.end,
            s
        );
        prop_assert!(s.is_char_boundary(f.start) && s.is_char_boundary(f.end));
        prop_assert!(f.start >= last, "overlap in {s:?}");
        last = f.end;
    }
    Ok(())
}

fn exercise(s: &str) -> Result<(), TestCaseError> {
    let r = friday();
    let _ = (
        parse_number(s),
        parse_tag(s),
        parse_digits(s),
        parse_hours(s),
        parse_date(s, r),
        parse_yes_no(s),
    );
    check_ranges(s, &find_numbers(s))?;
    check_ranges(s, &find_tags(s))?;
    check_ranges(s, &find_hours(s))?;
    check_ranges(s, &find_dates(s, r))
}

/// Words and characters the grammars react to, so random strings reach deep into them.
const VOCAB: &[&str] = &[
    "one", "two", "four", "forty", "hundred", "thousand", "and", "a", "half", "quarter",
    "quarters", "point", "oh", "hour", "hours", "minutes", "h", "next", "Monday", "December",
    "the", "of", "3rd", "in", "weeks", "from", "today", "HX", "x-ray", "double", "-", ".", ",",
    "/", "4471", "4.71", "1,200", "12", "2026", "一", "两", "十", "百", "千", "万", "零", "点",
    "半", "个", "小时", "分钟", "刻钟", "下", "周", "月", "号", "日", "后", "年", "幺", "é", "🙂",
    " ", "\u{0301}", "４",
];

#[test]
fn long_repetitions_of_each_word_return() {
    for w in VOCAB {
        for sep in ["", " ", ", "] {
            let s = format!("{w}{sep}").repeat(100_000 / (w.len() + sep.len()));
            exercise(&s).unwrap();
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_unicode_never_panics(s in "\\PC{0,60}") {
        exercise(&s)?;
    }

    #[test]
    fn vocabulary_soup_never_panics(words in proptest::collection::vec(proptest::sample::select(VOCAB), 0..25),
                                    spaces in proptest::collection::vec(any::<bool>(), 25)) {
        let s: String = words.iter().zip(&spaces).map(|(w, sp)| if *sp { format!("{w} ") } else { w.to_string() }).collect();
        exercise(&s)?;
    }
}
