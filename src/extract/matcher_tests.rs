//! Unit tests for the matcher's rules, one behaviour each; the corpus in tests/corpus runs them together.

use chrono::NaiveDate;

use super::*;
use crate::extract::{ExtractOptions, InMemoryDirectory, ProblemKind, WordConfidence, form::find_form};

const CUSTOMERS: &str = "name\nAcme Foods\nBellview Hospital\n华联超市\n";
const ASSETS: &str = "tag,customer,description\n4471,Acme Foods,condenser\nHX204,Bellview Hospital,heat exchanger\n6601,华联超市,冷柜\n";

fn run_with(text: &str, dir: Option<&InMemoryDirectory>, words: &[WordConfidence]) -> Extraction {
    let form = find_form("service_report", None).unwrap();
    let opts = ExtractOptions {
        language: None,
        reference_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        directory: dir.map(|d| d as &dyn crate::extract::Directory),
        words,
    };
    extract(&form, text, &opts)
}

fn run(text: &str) -> Extraction {
    let dir = InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), ASSETS.as_bytes()).unwrap();
    run_with(text, Some(&dir), &[])
}

fn get(e: &Extraction, field: &str) -> Option<String> {
    e.fields.get(field).map(|r| r.value.to_string())
}

#[test]
fn issue_acceptance_example() {
    let e = run("Unit H X two zero four. Fan belt snapped, fitted a new belt. Labor one hour. Status open, follow up on December third.");
    assert_eq!(get(&e, "asset").as_deref(), Some("HX204"));
    assert_eq!(get(&e, "customer").as_deref(), Some("Bellview Hospital"));
    assert_eq!(e.fields["customer"].source, "asset");
    assert_eq!(get(&e, "fault").as_deref(), Some("Fan belt snapped"));
    assert_eq!(get(&e, "action").as_deref(), Some("fitted a new belt"));
    assert_eq!(get(&e, "labor_hours").as_deref(), Some("1"));
    assert_eq!(get(&e, "status").as_deref(), Some("open"));
    assert_eq!(get(&e, "follow_up").as_deref(), Some("2026-12-03"));
    assert!(!e.fields.contains_key("parts"), "a fitted item is not a part");
    assert!(e.problems.is_empty(), "{:?}", e.problems);
}

#[test]
fn spans_are_character_offsets_of_the_value() {
    let text = "设备编号6601，工时两个半小时。";
    let e = run(text);
    let r = &e.fields["labor_hours"];
    let chars: Vec<char> = text.chars().collect();
    let said: String = chars[r.span.start..r.span.end].iter().collect();
    assert_eq!(said, "两个半小时");
    assert_eq!(r.text, "两个半小时");
    assert_eq!(e.language, "zh");
}

#[test]
fn nothing_said_is_nothing_invented() {
    let e = run("Uh, the ice machine is leaking water onto the floor.");
    assert_eq!(e.fields.keys().collect::<Vec<_>>(), ["fault"]);
    let missing: Vec<&str> = e.problems.iter().filter(|p| p.kind == ProblemKind::Missing).map(|p| p.field.as_str()).collect();
    assert_eq!(missing, ["asset", "customer", "action", "labor_hours", "status"]);
}

#[test]
fn corrections_replace_the_earlier_value() {
    let e = run("Unit 4471. Labor two hours, no wait, three hours. Job closed, sorry, waiting for parts.");
    assert_eq!(get(&e, "labor_hours").as_deref(), Some("3"));
    assert_eq!(e.fields["labor_hours"].source, "correction");
    assert_eq!(get(&e, "status").as_deref(), Some("pending_parts"));
    let e = run("设备编号6601，工时两个小时，不对，是三个小时。");
    assert_eq!(get(&e, "labor_hours").as_deref(), Some("3"));
}

#[test]
fn parts_have_quantity_and_singular_name() {
    let e = run("Unit 4471. Used two filter driers, a contactor and 3 fuses.");
    assert_eq!(get(&e, "parts").as_deref(), Some("2 x filter drier, 1 x contactor, 3 x fuse"));
    let e = run("设备编号6601，用了一个压缩机和两根皮带，配件温控器一个。");
    assert_eq!(get(&e, "parts").as_deref(), Some("1 x 压缩机, 2 x 皮带, 1 x 温控器"));
}

#[test]
fn uncued_shapes_are_found() {
    let e = run("Acme Foods, 4471, compressor tripping, reset the overload, 45 minutes, done.");
    assert_eq!(get(&e, "asset").as_deref(), Some("4471"));
    assert_eq!(get(&e, "customer").as_deref(), Some("Acme Foods"));
    assert_eq!(get(&e, "fault").as_deref(), Some("compressor tripping"));
    assert_eq!(get(&e, "action").as_deref(), Some("reset the overload"));
    assert_eq!(get(&e, "labor_hours").as_deref(), Some("0.75"));
    assert_eq!(get(&e, "status").as_deref(), Some("closed"));
    assert_eq!(e.fields["asset"].source, "shape");
}

#[test]
fn a_field_over_several_sentences_is_joined() {
    let e = run("Unit 4471. Chiller short cycling. Found a restricted filter drier. Cleaned the coil. Replaced the drier.");
    assert_eq!(get(&e, "fault").as_deref(), Some("Chiller short cycling; restricted filter drier"));
    assert_eq!(get(&e, "action").as_deref(), Some("Cleaned the coil; Replaced the drier"));
}

#[test]
fn crm_problems_unknown_asset_and_mismatch() {
    let e = run("Unit 4481 for Acme Foods. Labor one hour.");
    let p = e.problems.iter().find(|p| p.kind == ProblemKind::UnknownAsset).expect("unknown asset");
    assert!(p.message.contains("did you mean 4471 (Acme Foods)"), "{}", p.message);
    assert_eq!(get(&e, "asset").as_deref(), Some("4481"), "a candidate is not a match");
    let e = run("Customer Acne Foods, unit HX204.");
    assert_eq!(get(&e, "customer").as_deref(), Some("Acme Foods"));
    assert_eq!(e.fields["customer"].text, "Acne Foods");
    assert!(e.problems.iter().any(|p| p.kind == ProblemKind::CustomerMismatch));
}

#[test]
fn without_a_directory_names_stay_as_spoken_and_no_customer_is_implied() {
    let e = run_with("Job for Lakeside Diner. Unit HX204.", None, &[]);
    assert_eq!(get(&e, "customer").as_deref(), Some("Lakeside Diner"));
    let e = run_with("Unit HX204. Labor one hour.", None, &[]);
    assert!(!e.fields.contains_key("customer"));
}

#[test]
fn confidence_combines_cue_quality_and_asr_words() {
    let text = "4471, labor two hours.";
    let e = run_with(text, None, &[]);
    assert!(e.fields["labor_hours"].confidence > e.fields["asset"].confidence, "label beats shape");
    let words: Vec<WordConfidence> = ["4471,", "labor", "two", "hours."]
        .iter()
        .zip([0.9, 0.9, 0.5, 0.5])
        .map(|(t, c)| WordConfidence { text: t.to_string(), confidence: c })
        .collect();
    let e2 = run_with(text, None, &words);
    let (before, after) = (e.fields["labor_hours"].confidence, e2.fields["labor_hours"].confidence);
    assert!((after - before * 0.5).abs() < 1e-4, "{before} -> {after}");
}

#[test]
fn validation_flags_out_of_range_values() {
    let e = run("Unit 4471. Labor thirty hours.");
    assert!(e.problems.iter().any(|p| p.kind == ProblemKind::Invalid && p.field == "labor_hours"), "{:?}", e.problems);
}

#[test]
fn language_is_detected_from_the_script() {
    assert_eq!(detect_language("Unit 4471"), "en");
    assert_eq!(detect_language("设备 4471"), "zh");
}


#[test]
fn other_field_types_from_a_custom_form() {
    let text = r#"
name = "inspection"
[[field]]
name = "meter"
type = "number"
cues.en = ["meter reading", "reading"]
[[field]]
name = "passed"
type = "yes_no"
cues.en = ["passed", "did it pass"]
[[field]]
name = "pin"
type = "digits"
cues.en = ["pin", "code"]
[[field]]
name = "next"
type = "date"
required = true
cues.en = ["next inspection"]
"#;
    let form = Form::parse(text, "inspection.toml").unwrap();
    let opts = ExtractOptions::new(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    let e = extract(&form, "Meter reading forty two point five. Passed: yes. Code four four seven one.", &opts);
    assert_eq!(e.fields["meter"].value, Value::Number(42.5));
    assert_eq!(e.fields["passed"].value, Value::Bool(true));
    assert_eq!(e.fields["pin"].value, Value::Text("4471".into()));
    assert_eq!(e.problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(), ["next: missing (required)"]);
}

#[test]
fn none_said_for_a_field_fills_nothing() {
    let e = run("Unit 4471. Fault fan noisy. Parts none. Follow-up none.");
    assert!(!e.fields.contains_key("parts") && !e.fields.contains_key("follow_up"), "{:?}", e.fields.keys());
    assert_eq!(get(&e, "fault").as_deref(), Some("fan noisy"));
    let e = run("设备编号6601，冷柜不制冷，配件：无，回访：不需要。");
    assert!(!e.fields.contains_key("parts") && !e.fields.contains_key("follow_up"), "{:?}", e.fields.keys());
    assert_eq!(get(&e, "fault").as_deref(), Some("冷柜不制冷"));
}

#[test]
fn a_corrected_action_object_keeps_its_verb() {
    let e = run("Unit 4471. Replaced the compressor contactor, no wait, the overload relay.");
    assert_eq!(get(&e, "action").as_deref(), Some("Replaced the overload relay"));
}

#[test]
fn long_enum_synonyms_win_over_other_cues() {
    let e = run("Unit 4471. Waiting for parts for the second deck.");
    assert_eq!(get(&e, "status").as_deref(), Some("pending_parts"));
    assert!(!e.fields.contains_key("parts"));
}
