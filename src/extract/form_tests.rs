//! Unit tests for form loading: the built-in form and every kind of refused file.

use super::*;

const GOOD: &str = r#"
name = "tiny"
title = { en = "Tiny" }

[[field]]
name = "hours"
type = "hours"
required = true
cues.en = ["labor", { phrase = "worked", keep = true }]
question = { en = "How long?" }
[field.validation]
min = 0
max = 24
"#;

fn refused(text: &str) -> String {
    match Form::parse(text, "forms/bad.toml") {
        Ok(_) => panic!("form was accepted: {text}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn builtin_service_report_loads_with_all_fields() {
    let form = find_form("service_report", None).expect("built-in form");
    let names: Vec<_> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["asset", "customer", "fault", "action", "parts", "labor_hours", "status", "follow_up"]
    );
    let status = form.field("status").unwrap();
    assert_eq!(status.values.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["open", "closed", "pending_parts"]);
    assert!(status.values[1].synonyms["zh"].contains(&"已完成".to_string()));
    let action = form.field("action").unwrap();
    assert!(action.cues("en").iter().any(|c| c.phrase == "replaced" && c.keep));
    assert!(action.cues("en").iter().any(|c| c.phrase == "action taken" && !c.keep));
    assert!(form.field("asset").unwrap().validation.must_exist_in_crm);
    assert!(!form.field("asset").unwrap().question["zh"].is_empty());
}

#[test]
fn good_form_parses_and_sorts_cues_longest_first() {
    let form = Form::parse(GOOD, "tiny.toml").unwrap();
    assert_eq!(form.name, "tiny");
    let f = &form.fields[0];
    assert_eq!(f.kind, FieldType::Hours);
    assert_eq!(f.cues("en")[0], Cue { phrase: "worked".into(), keep: true });
    assert_eq!(f.validation.max, Some(24.0));
}

#[test]
fn toml_syntax_error_names_file_line_and_column() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = = \"text\"\n");
    assert!(msg.starts_with("forms/bad.toml:4:"), "{msg}");
}

#[test]
fn unknown_type_names_field_and_its_table_line() {
    let msg = refused("name = \"x\"\n\n[[field]]\nname = \"a\"\ntype = \"text\"\n\n[[field]]\nname = \"b\"\ntype = \"colour\"\n");
    assert!(msg.starts_with("forms/bad.toml:7: field `b`"), "{msg}");
    assert!(msg.contains("unknown type `colour`"), "{msg}");
}

#[test]
fn enum_without_values_is_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"status\"\ntype = \"enum\"\n");
    assert!(msg.contains("forms/bad.toml:2: field `status`: enum field has no values"), "{msg}");
}

#[test]
fn values_on_a_non_enum_field_are_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"text\"\n[[field.values]]\nname = \"v\"\n");
    assert!(msg.contains("field `a`: values are only allowed on enum fields"), "{msg}");
}

#[test]
fn bad_regex_is_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"tag\"\ntype = \"asset_tag\"\nvalidation = { pattern = \"[A-Z\" }\n");
    assert!(msg.contains(":2: field `tag`: bad validation pattern"), "{msg}");
}

#[test]
fn duplicate_field_is_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"text\"\n[[field]]\nname = \"a\"\ntype = \"text\"\n");
    assert!(msg.contains(":5: field `a`: duplicate field name"), "{msg}");
}

#[test]
fn min_greater_than_max_is_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"h\"\ntype = \"hours\"\nvalidation = { min = 5, max = 1 }\n");
    assert!(msg.contains("field `h`: validation min 5 is greater than max 1"), "{msg}");
}

#[test]
fn unknown_must_exist_target_is_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"asset_tag\"\nvalidation = { must_exist = \"erp\" }\n");
    assert!(msg.contains("field `a`: must_exist = `erp`"), "{msg}");
}

#[test]
fn must_exist_on_a_text_field_is_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"text\"\nvalidation = { must_exist = \"crm\" }\n");
    assert!(msg.contains("applies only to asset_tag and customer"), "{msg}");
}

#[test]
fn empty_cue_and_empty_names_are_refused() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"text\"\ncues.en = [\"  \"]\n");
    assert!(msg.contains("field `a`: empty cue phrase in cues.en"), "{msg}");
    let msg = refused("name = \"x\"\n[[field]]\nname = \"\"\ntype = \"text\"\n");
    assert!(msg.contains("field name is empty"), "{msg}");
    let msg = refused("name = \" \"\n[[field]]\nname = \"a\"\ntype = \"text\"\n");
    assert!(msg.contains("form name is empty"), "{msg}");
}

#[test]
fn unknown_key_and_missing_type_are_refused_with_a_line() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"text\"\nrequird = true\n");
    assert!(msg.starts_with("forms/bad.toml:"), "{msg}");
    assert!(msg.contains("requird"), "{msg}");
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\n");
    assert!(msg.contains("type"), "{msg}");
}

#[test]
fn form_without_fields_is_refused() {
    let msg = refused("name = \"x\"\n");
    assert!(msg.contains("forms/bad.toml:1: form `x` has no [[field]] tables"), "{msg}");
}

#[test]
fn unknown_form_lists_the_known_ones() {
    let err = find_form("nope", None).unwrap_err().to_string();
    assert!(err.contains("unknown form `nope`") && err.contains("service_report"), "{err}");
}

#[test]
fn forms_dir_overrides_the_builtin_and_reports_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), GOOD).unwrap();
    let forms = load_forms(Some(dir.path())).unwrap();
    assert!(forms.iter().any(|f| f.name == "tiny") && forms.iter().any(|f| f.name == "service_report"));
    std::fs::write(dir.path().join("zbad.toml"), "name = \"y\"\n[[field]]\nname = \"q\"\ntype = \"enum\"\n").unwrap();
    let err = load_forms(Some(dir.path())).unwrap_err().to_string();
    assert!(err.contains("zbad.toml:2: field `q`"), "{err}");
}

#[test]
fn fallbacks_are_checked() {
    let msg = refused("name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"text\"\nfallback = \"guess\"\n");
    assert!(msg.contains("field `a`: unknown fallback `guess`"), "{msg}");
    let msg = refused("name = \"x\"\n[[field]]\nname = \"h\"\ntype = \"hours\"\nsplit_clauses = true\n");
    assert!(msg.contains("field `h`: fallback and split_clauses apply only to text fields"), "{msg}");
    let two = "name = \"x\"\n[[field]]\nname = \"a\"\ntype = \"text\"\nfallback = \"unclaimed\"\n[[field]]\nname = \"b\"\ntype = \"text\"\nfallback = \"unclaimed\"\n";
    let msg = refused(two);
    assert!(msg.contains(":6: field `b`: another field already has fallback"), "{msg}");
    let form = find_form("service_report", None).unwrap();
    assert_eq!(form.field("fault").unwrap().fallback, Some(Fallback::Unclaimed));
    assert!(form.field("action").unwrap().split_clauses);
}
