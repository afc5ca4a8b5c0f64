use super::super::{find_numbers, parse_number};

#[test]
fn english_numbers_parse() {
    let cases: &[(&str, f64)] = &[
        ("zero", 0.0),
        ("one", 1.0),
        ("seven", 7.0),
        ("twelve", 12.0),
        ("nineteen", 19.0),
        ("twenty", 20.0),
        ("forty five", 45.0),
        ("forty-five", 45.0),
        ("Forty-Five.", 45.0),
        ("ninety nine", 99.0),
        ("a hundred", 100.0),
        ("one hundred", 100.0),
        ("one hundred and twenty", 120.0),
        ("one hundred twenty", 120.0),
        ("two hundred and five", 205.0),
        ("nine hundred ninety nine", 999.0),
        ("a thousand", 1000.0),
        ("one thousand two hundred", 1200.0),
        ("twelve hundred", 1200.0),
        ("two thousand and five", 2005.0),
        ("three million", 3_000_000.0),
        ("two and a half", 2.5),
        ("two and a quarter", 2.25),
        ("two and three quarters", 2.75),
        ("one and a half", 1.5),
        ("a half", 0.5),
        ("half", 0.5),
        ("a quarter", 0.25),
        ("three quarters", 0.75),
        ("two point five", 2.5),
        ("zero point two five", 0.25),
        ("one point oh five", 1.05),
        ("2.5", 2.5),
        ("1,200", 1200.0),
        ("4471", 4471.0),
        ("2 and a half", 2.5),
        ("four four seven one", 4471.0),
        ("two oh four", 204.0),
        ("one two three four", 1234.0),
        ("TWENTY ONE", 21.0),
        ("  eighty-eight  ", 88.0),
        ("point five", 0.5),
        ("a couple of", 2.0),
        ("a pair of", 2.0),
        ("a dozen", 12.0),
        ("two dozen", 24.0),
        ("one hundred and twenty five", 125.0),
        ("nine thousand nine hundred and ninety-nine", 9999.0),
        ("4,471", 4471.0),
        ("twenty-one", 21.0),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_number(s), Some(v), "{s}");
    }
}

#[test]
fn mandarin_numbers_parse() {
    let cases: &[(&str, f64)] = &[
        ("一百零五", 105.0),
        ("两", 2.0),
        ("二十三", 23.0),
        ("两百", 200.0),
        ("一千二百", 1200.0),
        ("十五", 15.0),
        ("三点五", 3.5),
        ("四四七一", 4471.0),
        ("半", 0.5),
        ("两个半", 2.5),
        ("一万", 10000.0),
        ("零", 0.0),
        ("九十九", 99.0),
        ("一千零一", 1001.0),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_number(s), Some(v), "{s}");
    }
}

#[test]
fn non_numbers_do_not_parse() {
    for s in [
        "",
        "and",
        "a",
        "hello",
        "forty five dogs",
        "two and",
        "hundred",
        "one two and",
        "point",
        "third",
        "3rd",
        "一下",
        "个",
        "two three four five six seven eight nine ten",
    ] {
        assert_eq!(parse_number(s), None, "{s:?}");
    }
}

fn values(s: &str) -> Vec<f64> {
    find_numbers(s).into_iter().map(|f| f.value).collect()
}

#[test]
fn finds_separate_numbers_in_running_text() {
    let cases: &[(&str, &[f64])] = &[
        ("two filter driers and three hours", &[2.0, 3.0]),
        ("replaced four four seven one today", &[4471.0]),
        ("used 2 belts, 1,200 rpm and 2.5 hours", &[2.0, 1200.0, 2.5]),
        ("one hundred and twenty volts and two amps", &[120.0, 2.0]),
        ("two and a half hours", &[2.5]),
        ("four, four", &[4.0, 4.0]),
        ("4 4 7 1", &[4.0, 4.0, 7.0, 1.0]),
        ("forty four seventy one", &[44.0, 71.0]),
        ("on the 3rd of December I fitted one", &[1.0]),
        ("用了两个过滤器，工时三点五小时", &[2.0, 3.5]),
        ("检查一下，换了零件", &[]),
        ("设备编号6601", &[6601.0]),
        ("一共三个", &[3.0]),
        ("nothing here", &[]),
        ("下周二回访", &[]),
        ("星期三来，礼拜一走", &[]),
        ("on the 22nd at 3", &[3.0]),
        ("一万一千", &[11000.0]),
        ("half past three", &[0.5, 3.0]),
        ("used a couple of filters and a dozen screws", &[2.0, 12.0]),
        ("fitted a pair", &[2.0]),
        ("oh well", &[]),
        ("nineteen ninety nine", &[19.0, 99.0]),
    ];
    for &(s, v) in cases {
        assert_eq!(values(s), v, "{s}");
    }
}

#[test]
fn found_ranges_cover_the_words() {
    let s = "Used two and a half metres, then 一百零五.";
    let found = find_numbers(s);
    let texts: Vec<&str> = found.iter().map(|f| &s[f.start..f.end]).collect();
    assert_eq!(texts, ["two and a half", "一百零五"]);
}
