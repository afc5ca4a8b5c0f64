use super::super::{find_tags, parse_digits, parse_tag};

#[test]
fn whisper_renderings_of_4471_are_one_tag() {
    for s in [
        "4471",
        "4.71",
        "4 4 7 1",
        "four four seven one",
        "four, four, seven, one",
        "Four, four, seven, one.",
        "44 71",
        "forty four seventy one",
        "forty-four seventy-one",
        "4-4-7-1",
        "#4471",
        "number 4471",
        "No. 4471",
        "double four seven one",
        "four four 71",
        "四四七一",
        "四 四 七 一",
        "4,4,7,1",
    ] {
        assert_eq!(parse_tag(s).as_deref(), Some("4471"), "{s:?}");
    }
}

#[test]
fn letters_in_tags() {
    let cases: &[(&str, &str)] = &[
        ("H X two zero four", "HX204"),
        ("h.x. 204", "HX204"),
        ("HX-204", "HX204"),
        ("HX204", "HX204"),
        ("hx 204", "HX204"),
        ("H X 2 0 4", "HX204"),
        ("aitch ex two zero four", "HX204"),
        ("hotel x-ray two zero four", "HX204"),
        ("hotel xray two oh four", "HX204"),
        ("HX二零四", "HX204"),
        ("ab 12 c", "AB12C"),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_tag(s).as_deref(), Some(v), "{s:?}");
    }
}

#[test]
fn mandarin_tags() {
    let cases: &[(&str, &str)] = &[
        ("幺二零九", "1209"),
        ("四四七一", "4471"),
        ("两零零一", "2001"),
        ("六六零一", "6601"),
        ("6601", "6601"),
        ("零零七", "007"),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_tag(s).as_deref(), Some(v), "{s:?}");
    }
}

#[test]
fn non_tags_do_not_parse() {
    for s in [
        "",
        "HX",
        "the fan belt",
        "four four seven one please replace",
        "yes",
        "设备",
    ] {
        assert_eq!(parse_tag(s), None, "{s:?}");
    }
}

#[test]
fn digit_strings_refuse_letters() {
    assert_eq!(parse_digits("one two three four").as_deref(), Some("1234"));
    assert_eq!(parse_digits("0 0 7").as_deref(), Some("007"));
    assert_eq!(
        parse_digits("oh oh seven").as_deref(),
        Some("007"),
        "in a digit field oh is always zero"
    );
    assert_eq!(parse_digits("zero oh seven").as_deref(), Some("007"));
    assert_eq!(parse_digits("55-1234").as_deref(), Some("551234"));
    assert_eq!(parse_digits("幺二三四").as_deref(), Some("1234"));
    assert_eq!(parse_digits("HX204"), None);
    assert_eq!(parse_digits("twelve"), Some("12".into()));
}

fn tags(s: &str) -> Vec<String> {
    find_tags(s).into_iter().map(|f| f.value).collect()
}

#[test]
fn finds_tags_in_running_text() {
    let cases: &[(&str, &[&str])] = &[
        ("Unit H X two zero four. Fan belt snapped.", &["HX204"]),
        ("asset four, four, seven, one, fan belt snapped", &["4471"]),
        ("unit 4471, two hours labour", &["4471"]),
        ("unit 4471 two hours", &["4471"]),
        ("the unit is HX-204 at Acme", &["HX204"]),
        ("it was h.x. 204 again", &["HX204"]),
        ("equipment number 44 71 for Acme", &["4471"]),
        ("I replaced a belt on 4471", &["4471"]),
        ("设备编号6601，风机皮带断了", &["6601"]),
        ("设备编号四四七一，用了两个配件", &["4471"]),
        ("unit hotel x-ray two zero four", &["HX204"]),
        ("no tag here at all", &[]),
        ("fitted at 3 pm on the 22nd", &[]),
        ("Hotel 4 rooms", &["4"]),
        ("the tag is Bravo Charlie one two", &["BC12"]),
        ("order 12/3 parts", &["12", "3"]),
        ("ticket 55-1234", &["551234"]),
        ("下周二回访，设备六六零一", &["6601"]),
        ("用了两个过滤器", &[]),
        ("unit 204B and 5kg", &["204B", "5"]),
        ("THE HX 204", &["HX204"]),
        ("tag HX二零四", &["HX204"]),
        ("A C twelve at Harbor Hotel", &["AC12"]),
        ("Harbor Hotel, A C 12. Supply fan", &["AC12"]),
        ("Harbor Hotel AC12. Supply air", &["AC12"]),
        ("I 4471", &["4471"]),
        ("a.c. 12", &["AC12"]),
    ];
    for &(s, v) in cases {
        assert_eq!(tags(s), v, "{s}");
    }
}

#[test]
fn tag_ranges_are_the_tag_words() {
    let s = "Unit H X two zero four. Fan belt";
    let f = &find_tags(s)[0];
    assert_eq!(&s[f.start..f.end], "H X two zero four");
}
