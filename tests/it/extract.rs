//! Extraction end to end: the corpus (tests/corpus/*.toml, compared as tests/corpus/README.md says) through
//! the library with the CRM fixtures, the `fieldvoice extract` command, and property tests on any input.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use chrono::NaiveDate;
use fieldvoice::extract::{self, ExtractOptions, InMemoryDirectory, Value};
use proptest::prelude::*;

use crate::support::{bin, root};

const FIELDS: [&str; 8] = ["asset", "customer", "fault", "action", "parts", "labor_hours", "status", "follow_up"];

#[derive(serde::Deserialize)]
struct CorpusFile {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    id: String,
    lang: String,
    reference_date: Option<String>,
    text: String,
    expect: toml::Table,
}

fn directory() -> InMemoryDirectory {
    let crm = root().join("tests/fixtures/crm");
    let open = |name: &str| std::fs::File::open(crm.join(name)).expect("CRM fixture");
    InMemoryDirectory::from_csv(open("customers.csv"), open("assets.csv")).expect("CRM fixtures load")
}

/// README: lower case, punctuation to spaces, spaces collapsed, leading articles, fillers and linking words
/// dropped repeatedly.
fn plain_text(s: &str) -> String {
    const LEADING: &[&str] = &[
        "the", "a", "an", "um", "uh", "er", "so", "okay", "and", "then", "also", "i", "we", "嗯", "那个", "然后", "还",
        "又", "我们", "我",
    ];
    let mapped: String = s.to_lowercase().chars().map(|c| if c.is_alphanumeric() || c == '_' || c.is_whitespace() { c } else { ' ' }).collect();
    let mut out = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = out.clone();
        for w in LEADING {
            if let Some(rest) = out.strip_prefix(w) {
                let cjk = !w.is_ascii();
                if cjk || rest.is_empty() || rest.starts_with(' ') {
                    out = rest.trim_start().to_string();
                    break;
                }
            }
        }
        if out == before {
            return out;
        }
    }
}

/// The extracted field as the corpus writes it (a TOML value), for printing.
fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => v.to_json().to_string(),
    }
}

fn same(field: &str, expected: &toml::Value, got: &Value) -> bool {
    match (field, expected, got) {
        ("labor_hours", e, Value::Number(g)) => e.as_float().or(e.as_integer().map(|i| i as f64)).is_some_and(|e| (e - g).abs() < 0.001),
        ("fault" | "action", toml::Value::String(e), Value::Text(g)) => plain_text(e) == plain_text(g),
        ("parts", toml::Value::Array(items), Value::Parts(parts)) => {
            items.len() == parts.len()
                && items.iter().zip(parts).all(|(i, p)| {
                    i.get("quantity").and_then(toml::Value::as_integer) == Some(i64::from(p.quantity))
                        && i.get("name").and_then(toml::Value::as_str) == Some(p.name.as_str())
                })
        }
        (_, toml::Value::String(e), Value::Text(g)) => e == g,
        (_, toml::Value::String(e), Value::Date(d)) => *e == d.format("%Y-%m-%d").to_string(),
        _ => false,
    }
}

struct Tally {
    right: BTreeMap<&'static str, usize>,
    total: BTreeMap<&'static str, usize>,
    mismatches: Vec<String>,
    cases: usize,
}

fn run_corpus(lang: &str) -> Tally {
    let path = root().join(format!("tests/corpus/{lang}.toml"));
    let text = std::fs::read_to_string(&path).expect("corpus file");
    let file: CorpusFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let form = extract::form::find_form("service_report", None).expect("built-in form");
    let dir = directory();
    let mut tally = Tally { right: BTreeMap::new(), total: BTreeMap::new(), mismatches: Vec::new(), cases: 0 };
    for case in &file.case {
        tally.cases += 1;
        let reference = case.reference_date.as_deref().map_or(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), |d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("reference date")
        });
        let opts = ExtractOptions { language: Some(&case.lang), reference_date: reference, directory: Some(&dir), words: &[] };
        let got = extract::extract(&form, &case.text, &opts);
        for field in FIELDS {
            let expected = case.expect.get(field);
            let value = got.fields.get(field).map(|r| &r.value);
            let right = match (expected, value) {
                (None, None) => continue,
                (Some(e), Some(g)) => same(field, e, g),
                _ => false,
            };
            *tally.total.entry(field).or_default() += 1;
            if right {
                *tally.right.entry(field).or_default() += 1;
            } else {
                let expected = expected.map_or("(absent)".to_string(), |e| e.to_string());
                tally.mismatches.push(format!("{} {field}: expected {expected}, got {}", case.id, show(value)));
            }
        }
    }
    tally
}

fn report(lang: &str, t: &Tally) -> f64 {
    let right: usize = t.right.values().sum();
    let total: usize = t.total.values().sum();
    println!("corpus {lang}: {} cases, {right}/{total} fields right", t.cases);
    println!("  {:<12} {:>6} {:>6} {:>8}", "field", "right", "total", "accuracy");
    for field in FIELDS {
        let (r, n) = (t.right.get(field).copied().unwrap_or(0), t.total.get(field).copied().unwrap_or(0));
        if n > 0 {
            println!("  {field:<12} {r:>6} {n:>6} {:>7.1}%", 100.0 * r as f64 / n as f64);
        }
    }
    for m in &t.mismatches {
        println!("  MISMATCH {m}");
    }
    if total == 0 { 0.0 } else { right as f64 / total as f64 }
}

#[test]
fn corpus_english_field_accuracy_at_least_97_percent() {
    let t = run_corpus("en");
    assert!(t.cases >= 20, "the English corpus has only {} cases", t.cases);
    let acc = report("en", &t);
    assert!(acc >= 0.97, "English field accuracy {:.3} < 0.97", acc);
}

#[test]
fn corpus_mandarin_field_accuracy_at_least_97_percent() {
    let t = run_corpus("zh");
    assert!(t.cases >= 10, "the Mandarin corpus has only {} cases", t.cases);
    let acc = report("zh", &t);
    assert!(acc >= 0.97, "Mandarin field accuracy {:.3} < 0.97", acc);
}

fn cli(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(bin())
        .arg("extract")
        .args(args)
        .env_remove("FIELDVOICE_PROMPTS_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fieldvoice");
    // The command may refuse its arguments before reading stdin: a broken pipe is then expected.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    let out = child.wait_with_output().expect("wait");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn cli_issue_acceptance_example() {
    let text = "Unit H X two zero four. Fan belt snapped, fitted a new belt. Labor one hour. Status open, follow up on December third.";
    let (code, out, err) = cli(&["--json", "--reference-date", "2026-11-20"], text.as_bytes());
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(j["fields"]["asset"], "HX204");
    assert_eq!(j["fields"]["labor_hours"], serde_json::json!(1));
    assert_eq!(j["fields"]["status"], "open");
    assert_eq!(j["fields"]["follow_up"], "2026-12-03");
    assert_eq!(j["fields"]["action"], "fitted a new belt");
    assert_eq!(j["details"]["asset"]["text"], "H X two zero four");
    // No CRM given: the customer is not invented.
    assert!(j["fields"].get("customer").is_none());
    assert!(j["problems"].as_array().unwrap().iter().any(|p| p == "customer: missing (required)"));
}

#[test]
fn cli_with_crm_resolves_names_and_prints_plain_lines() {
    let crm = root().join("tests/fixtures/crm");
    let (c, a) = (crm.join("customers.csv"), crm.join("assets.csv"));
    let args = ["--customers", c.to_str().unwrap(), "--assets", a.to_str().unwrap(), "--reference-date", "2026-11-20"];
    let (code, out, err) = cli(&args, b"Acne Foods, unit 4481. Labor two hours.");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("customer: Acme Foods\n"), "{out}");
    assert!(out.contains("asset: 4481\n") && out.contains("labor_hours: 2\n"), "{out}");
    assert!(out.contains("problem: asset: 4481 is not in the CRM; did you mean 4471 (Acme Foods)"), "{out}");
    assert!(out.contains("problem: status: missing (required)"), "{out}");
}

#[test]
fn cli_refuses_bad_input_with_one_line() {
    let (code, _, err) = cli(&[], &[0xff, 0xfe, b'a']);
    assert_ne!(code, 0);
    assert_eq!(err.trim(), "fieldvoice: stdin is not UTF-8 text");
    let (code, _, err) = cli(&["--form", "nope"], b"x");
    assert_ne!(code, 0);
    assert!(err.contains("unknown form `nope`") && err.lines().count() == 1, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("assets.csv");
    std::fs::write(&bad, "tag,customer,description\n1,Nobody,x\n").unwrap();
    let c = root().join("tests/fixtures/crm/customers.csv");
    let (code, _, err) = cli(&["--customers", c.to_str().unwrap(), "--assets", bad.to_str().unwrap()], b"x");
    assert_ne!(code, 0);
    assert!(err.contains("row 2, column `customer`: unknown customer `Nobody`"), "{err}");
    let (code, _, err) = cli(&["--reference-date", "20-11-2026"], b"x");
    assert_ne!(code, 0);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn cli_forms_dir_adds_a_form_and_reports_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("meter.toml"), "name = \"meter\"\n[[field]]\nname = \"reading\"\ntype = \"number\"\ncues.en = [\"reading\"]\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = cli(&["--forms-dir", d, "--form", "meter"], b"Reading forty two.");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "reading: 42\n");
    std::fs::write(dir.path().join("zz.toml"), "name = \"zz\"\n[[field]]\nname = \"s\"\ntype = \"enum\"\n").unwrap();
    let (code, _, err) = cli(&["--forms-dir", d, "--form", "meter"], b"x");
    assert_ne!(code, 0);
    assert!(err.contains("zz.toml:2: field `s`: enum field has no values"), "{err}");
}

#[test]
fn empty_transcript_reports_every_required_field_missing() {
    let form = extract::form::find_form("service_report", None).unwrap();
    let e = extract::extract(&form, "", &ExtractOptions::new(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
    assert!(e.fields.is_empty());
    let missing: Vec<&str> = e.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(missing, ["asset", "customer", "fault", "action", "labor_hours", "status"]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_extracts_without_panic_and_spans_are_char_ranges(s in "\\PC{0,400}") {
        check_any(&s);
    }

    #[test]
    fn mixed_report_words_never_panic(words in proptest::collection::vec(prop::sample::select(vec![
        "unit", "4471", "H", "X", "two", "zero", ",", ".", "labor", "hours", "status", "closed", "no wait", "used",
        "filter driers", "and", "replaced", "follow up", "December", "third", "设备编号", "六六零幺", "工时", "两个半小时",
        "，", "。", "不对", "是", "用了", "一个", "Acme", "Foods", "h.x.", "4.71", "sorry", "make that", "一", "个",
        "none", "parts", "配件", "：", "无", "waiting for parts", "found", "the", "Job's", "回访", "下周二", "and",
    ]), 0..80)) {
        check_any(&words.join(" "));
        check_any(&words.concat());
    }
}

fn check_any(s: &str) {
    let form = extract::form::find_form("service_report", None).unwrap();
    let dir = directory();
    let opts = ExtractOptions { language: None, reference_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), directory: Some(&dir), words: &[] };
    let e = extract::extract(&form, s, &opts);
    let n = s.chars().count();
    for (name, r) in &e.fields {
        assert!(r.span.start <= r.span.end && r.span.end <= n, "{name}: span {:?} in {n} chars", r.span);
        assert!((0.0..=1.0).contains(&r.confidence), "{name}: confidence {}", r.confidence);
    }
    let _ = e.to_json();
}

#[test]
fn a_100_kb_transcript_extracts_without_panic() {
    let unit = "Unit 4471 for Acme Foods, um, no wait, 设备编号六六零幺。Labor two hours; 工时两个半小时, h.x. 204 ";
    let mut big = String::new();
    while big.len() < 100_000 {
        big.push_str(unit);
    }
    check_any(&big);
    // Repetitions that once made one long sentence cost quadratic time.
    for unit in ["4471, ", "设备编号6601，", "labor two hours no wait three hours ", "used two fuses and ", "Acme Foods, "] {
        check_any(&unit.repeat(100_000 / unit.len()));
    }
    let odd: String = (0..25_000u32).filter_map(|i| char::from_u32(0x20 + (i * 7919) % 0x2FFF)).collect();
    check_any(&odd);
}
