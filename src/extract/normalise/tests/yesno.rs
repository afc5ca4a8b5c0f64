use super::super::parse_yes_no;

#[test]
fn yes_and_no_in_both_languages() {
    let cases: &[(&str, Option<bool>)] = &[
        ("yes", Some(true)),
        ("Yes.", Some(true)),
        ("yeah", Some(true)),
        ("yep", Some(true)),
        ("correct", Some(true)),
        ("confirm", Some(true)),
        ("That's right.", Some(true)),
        ("that’s right", Some(true)),
        ("yes that's right", Some(true)),
        ("对", Some(true)),
        ("是", Some(true)),
        ("是的。", Some(true)),
        ("没错", Some(true)),
        ("好", Some(true)),
        ("对的", Some(true)),
        ("no", Some(false)),
        ("No!", Some(false)),
        ("nope", Some(false)),
        ("wrong", Some(false)),
        ("no wait", Some(false)),
        ("不", Some(false)),
        ("不对", Some(false)),
        ("不是", Some(false)),
        ("對", Some(true)),
        ("沒錯", Some(true)),
        ("对对对", Some(true)),
        ("嗯，对", Some(true)),
        ("嗯", Some(true)),
        ("嗯，不对", Some(false)),
        ("um, no", Some(false)),
        ("well yes", Some(true)),
        ("不错", Some(true)),
        ("不對", Some(false)),
        ("不是的", Some(false)),
        ("yes it is", Some(true)),
        ("no it isn't", Some(false)),
        ("Nope, wrong one", Some(false)),
        ("absolutely", Some(true)),
        ("not correct", Some(false)),
        ("", None),
        ("maybe", None),
        ("the fan belt", None),
        ("我不知道", None),
    ];
    for &(s, v) in cases {
        assert_eq!(parse_yes_no(s), v, "{s:?}");
    }
}

#[test]
fn long_filler_runs_do_not_recurse() {
    let s = "嗯".repeat(50_000) + "不对";
    assert_eq!(parse_yes_no(&s), Some(false));
}
