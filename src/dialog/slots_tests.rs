//! Unit tests for slot filling: next slot, merging spoken and keypad answers, read-back text.

use chrono::NaiveDate;

use super::*;
use crate::extract::form::find_form;
use crate::extract::{Directory, InMemoryDirectory, Part};

const CUSTOMERS: &str = "name\nAcme Foods\nBellview Hospital\n华联超市\n";
const ASSETS: &str = "tag,customer,description\n4471,Acme Foods,condenser\nHX204,Bellview Hospital,heat exchanger\n6601,华联超市,冷柜\n";

fn dir() -> InMemoryDirectory {
    InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), ASSETS.as_bytes()).unwrap()
}

fn opts<'a>(d: &'a InMemoryDirectory, lang: Option<&'a str>) -> ExtractOptions<'a> {
    ExtractOptions {
        language: lang,
        reference_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        directory: Some(d as &dyn Directory),
        words: &[],
    }
}

fn text(x: &Extraction, field: &str) -> Option<String> {
    x.fields.get(field).map(|r| r.value.to_string())
}

#[test]
fn asks_required_fields_in_form_order_then_nothing() {
    let form = find_form("service_report", None).unwrap();
    let d = dir();
    let mut x = extract(&form, "Replaced the condenser fan motor. Status closed.", &opts(&d, None));
    let slot = next_slot(&form, &x, "en", &[]).unwrap();
    assert_eq!(slot.field, "asset");
    assert_eq!(slot.reason, ProblemKind::Missing);
    assert_eq!(slot.question, "Which asset or unit number did you work on?");
    assert_eq!(next_slot(&form, &x, "zh", &[]).unwrap().question, "请说设备编号。");

    merge_answer(&form, &mut x, "asset", Answer::Keypad("4471#"), &opts(&d, None)).unwrap();
    assert_eq!(text(&x, "asset").as_deref(), Some("4471"));
    // The asset implies its customer, so the next question skips it.
    assert_eq!(text(&x, "customer").as_deref(), Some("Acme Foods"));
    assert_eq!(next_slot(&form, &x, "en", &[]).unwrap().field, "fault");
    let skipped = vec!["fault".to_string()];
    assert_eq!(next_slot(&form, &x, "en", &skipped).unwrap().field, "labor_hours");
    merge_answer(&form, &mut x, "labor_hours", Answer::Speech(" Two and a half hours. "), &opts(&d, None)).unwrap();
    assert_eq!(x.fields["labor_hours"].value, Value::Number(2.5));
    assert_eq!(x.fields["labor_hours"].source, "ivr");
    assert_eq!(next_slot(&form, &x, "en", &skipped), None);
    merge_answer(&form, &mut x, "fault", Answer::Speech("The fan motor was seized."), &opts(&d, None)).unwrap();
    assert_eq!(next_slot(&form, &x, "en", &[]), None);
    assert!(x.problems.iter().all(|p| p.kind == ProblemKind::LowConfidence), "{:?}", x.problems);
}

#[test]
fn unknown_asset_is_kept_with_its_problem_and_asked_again() {
    let form = find_form("service_report", None).unwrap();
    let d = dir();
    let mut x = extract(&form, "Customer Acme Foods. Replaced the belt.", &opts(&d, None));
    merge_answer(&form, &mut x, "asset", Answer::Speech("nine nine nine nine"), &opts(&d, None)).unwrap();
    assert_eq!(text(&x, "asset").as_deref(), Some("9999"));
    let slot = next_slot(&form, &x, "en", &[]).unwrap();
    assert_eq!((slot.field.as_str(), slot.reason), ("asset", ProblemKind::UnknownAsset));
    merge_answer(&form, &mut x, "asset", Answer::Speech("It's asset four four seven one."), &opts(&d, None)).unwrap();
    assert_eq!(text(&x, "asset").as_deref(), Some("4471"));
    assert!(!x.problems.iter().any(|p| p.field == "asset"), "{:?}", x.problems);
}

#[test]
fn customer_answers_resolve_through_the_crm_and_mismatches_are_asked() {
    let form = find_form("service_report", None).unwrap();
    let d = dir();
    let mut x = extract(&form, "Asset 4471. Replaced the belt. Two hours. Closed.", &opts(&d, None));
    merge_answer(&form, &mut x, "customer", Answer::Speech("acme foods"), &opts(&d, None)).unwrap();
    assert_eq!(text(&x, "customer").as_deref(), Some("Acme Foods"));
    merge_answer(&form, &mut x, "customer", Answer::Speech("Bellview Hospital."), &opts(&d, None)).unwrap();
    let slot = next_slot(&form, &x, "en", &[]).unwrap();
    assert_eq!((slot.field.as_str(), slot.reason), ("customer", ProblemKind::CustomerMismatch));
    merge_answer(&form, &mut x, "customer", Answer::Speech("Nobody Known Inc"), &opts(&d, None)).unwrap();
    assert_eq!(next_slot(&form, &x, "en", &[]).unwrap().reason, ProblemKind::UnknownCustomer);
}

#[test]
fn keypad_answers_by_field_type() {
    let form = find_form("service_report", None).unwrap();
    let d = dir();
    let mut x = extract(&form, "", &opts(&d, Some("en")));
    merge_answer(&form, &mut x, "labor_hours", Answer::Keypad("2*5#"), &opts(&d, None)).unwrap();
    assert_eq!(x.fields["labor_hours"].value, Value::Number(2.5));
    assert_eq!(x.fields["labor_hours"].source, "keypad");
    merge_answer(&form, &mut x, "status", Answer::Keypad("2"), &opts(&d, None)).unwrap();
    assert_eq!(text(&x, "status").as_deref(), Some("closed"));
    let err = merge_answer(&form, &mut x, "status", Answer::Keypad("7"), &opts(&d, None)).unwrap_err();
    assert_eq!(err.to_string(), "status: key 7 is not a choice");
    let err = merge_answer(&form, &mut x, "fault", Answer::Keypad("12"), &opts(&d, None)).unwrap_err();
    assert_eq!(err.to_string(), "fault: cannot be entered on the keypad; please say it");
    let err = merge_answer(&form, &mut x, "asset", Answer::Keypad("#"), &opts(&d, None)).unwrap_err();
    assert_eq!(err.field, "asset");
    assert_eq!(err.to_string(), "asset: no digits entered");
    let err = merge_answer(&form, &mut x, "labor_hours", Answer::Keypad("30"), &opts(&d, None)).unwrap_err();
    assert_eq!(err.to_string(), "labor_hours: 30 is above the maximum 24");
    let err = merge_answer(&form, &mut x, "nope", Answer::Keypad("1"), &opts(&d, None)).unwrap_err();
    assert_eq!(err.to_string(), "nope: no such field in form service_report");
}

#[test]
fn spoken_answers_that_are_not_the_field_are_refused() {
    let form = find_form("service_report", None).unwrap();
    let d = dir();
    let mut x = extract(&form, "", &opts(&d, Some("en")));
    let err = merge_answer(&form, &mut x, "labor_hours", Answer::Speech("banana"), &opts(&d, None)).unwrap_err();
    assert_eq!(err.to_string(), "labor_hours: `banana` is not a duration");
    let err = merge_answer(&form, &mut x, "status", Answer::Speech("   "), &opts(&d, None)).unwrap_err();
    assert_eq!(err.to_string(), "status: empty input");
    merge_answer(&form, &mut x, "status", Answer::Speech("We're still waiting for parts."), &opts(&d, None)).unwrap();
    assert_eq!(text(&x, "status").as_deref(), Some("pending_parts"));
    merge_answer(&form, &mut x, "labor_hours", Answer::Speech("It took about forty five minutes"), &opts(&d, None)).unwrap();
    assert_eq!(x.fields["labor_hours"].value, Value::Number(0.75));
}

#[test]
fn read_back_matches_the_spec_in_english_and_mandarin() {
    let form = find_form("service_report", None).unwrap();
    let d = dir();
    let x = extract(
        &form,
        "Asset 4471. The fan was seized. Replaced the condenser fan motor. Labor two and a half hours. Status closed.",
        &opts(&d, None),
    );
    assert_eq!(summary(&form, &x, "en"), "Asset 4471, Acme Foods, replaced the condenser fan motor, two and a half hours, closed.");
    let zh = extract(&form, "设备编号6601，更换了加热管，工时两个半小时，状态已完成。", &opts(&d, None));
    assert_eq!(summary(&form, &zh, "zh"), "设备6601，华联超市，更换了加热管，两个半小时，已完成。");
    let empty = extract(&form, "", &opts(&d, Some("en")));
    assert_eq!(summary(&form, &empty, "en"), "");
}

#[test]
fn read_back_spells_hours_parts_and_dates() {
    assert_eq!(en_hours(1.0), "one hour");
    assert_eq!(en_hours(0.5), "half an hour");
    assert_eq!(en_hours(0.75), "three quarters of an hour");
    assert_eq!(en_hours(3.25), "three and a quarter hours");
    assert_eq!(en_hours(1.2), "1.2 hours");
    assert_eq!(zh_hours(1.0), "一小时");
    assert_eq!(zh_hours(0.5), "半小时");
    assert_eq!(zh_hours(1.2), "1.2小时");
    let form = find_form("service_report", None).unwrap();
    let parts = Value::Parts(vec![Part { quantity: 2, name: "filter drier".into() }, Part { quantity: 1, name: "contactor".into() }]);
    let field = form.field("parts").unwrap();
    assert_eq!(spoken(field, &parts, "en"), "parts: two filter drier and one contactor");
    let date = Value::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
    assert_eq!(spoken(form.field("follow_up").unwrap(), &date, "en"), "follow-up December 3");
    assert_eq!(spoken(form.field("follow_up").unwrap(), &date, "zh"), "回访12月3日");
}
