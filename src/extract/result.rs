//! What extraction returns: typed values with their span, confidence and problems, and the JSON shape of
//! DESIGN.md (`fields` plain values, `problems` strings, the rest under `details`). Plain data: must not
//! depend on the matcher, forms or the CRM.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

/// A part used on the job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub quantity: u32,
    /// Singular, lower case ("filter drier").
    pub name: String,
}

/// A typed field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Parts(Vec<Part>),
    Bool(bool),
}

/// Character offsets (not bytes) into the transcript, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// One extracted field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldResult {
    pub value: Value,
    /// Where in the transcript the value came from.
    pub span: Span,
    /// 0..1: cue match quality combined with the ASR confidence of the span.
    pub confidence: f32,
    /// "cue", "shape", "directory", "asset" (customer implied by the asset), ...
    pub source: String,
    /// The cue phrase that introduced it, if any.
    pub cue: Option<String>,
    /// The transcript text of the span, as spoken (a customer resolved through the CRM keeps its spoken form here).
    pub text: String,
}

/// Kinds of problem a reviewer or the IVR must resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Missing,
    Invalid,
    UnknownAsset,
    UnknownCustomer,
    CustomerMismatch,
    LowConfidence,
}

/// A problem with one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub field: String,
    pub kind: ProblemKind,
    /// Human-readable, e.g. "labor_hours: missing (required)".
    pub message: String,
}

/// The result of running a form over one transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    pub form: String,
    /// "en" or "zh".
    pub language: String,
    pub fields: BTreeMap<String, FieldResult>,
    pub problems: Vec<Problem>,
}

impl Value {
    /// The plain JSON value: string, number, ISO date string, bool, or `[{"quantity", "name"}]`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(t) => serde_json::Value::String(t.clone()),
            Value::Number(n) => plain_number(*n),
            Value::Date(d) => serde_json::Value::String(d.format("%Y-%m-%d").to_string()),
            Value::Parts(p) => serde_json::to_value(p).unwrap_or_default(),
            Value::Bool(b) => serde_json::Value::Bool(*b),
        }
    }
}

/// Whole numbers as JSON integers (`1`, not `1.0`), others as floats.
fn plain_number(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(t) => f.write_str(t),
            Value::Number(n) => write!(f, "{n}"),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::Bool(b) => f.write_str(if *b { "yes" } else { "no" }),
            Value::Parts(parts) => {
                let items: Vec<String> = parts.iter().map(|p| format!("{} x {}", p.quantity, p.name)).collect();
                f.write_str(&items.join(", "))
            }
        }
    }
}

impl Extraction {
    /// DESIGN.md's shape: `form`, `language`, `fields` (plain values), `problems` (strings), `details`
    /// (value, span, text, confidence, source, cue per field).
    pub fn to_json(&self) -> serde_json::Value {
        let fields: serde_json::Map<String, serde_json::Value> =
            self.fields.iter().map(|(k, r)| (k.clone(), r.value.to_json())).collect();
        let details: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .map(|(k, r)| {
                let detail = serde_json::json!({
                    "value": r.value.to_json(),
                    "span": r.span,
                    "text": r.text,
                    "confidence": (f64::from(r.confidence) * 1000.0).round() / 1000.0,
                    "source": r.source,
                    "cue": r.cue,
                });
                (k.clone(), detail)
            })
            .collect();
        let problems: Vec<&str> = self.problems.iter().map(|p| p.message.as_str()).collect();
        serde_json::json!({
            "form": self.form,
            "language": self.language,
            "fields": fields,
            "problems": problems,
            "details": details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_plain_fields_problem_strings_and_details() {
        let mut fields = BTreeMap::new();
        let at = |start, end| Span { start, end };
        let result = |value, span| FieldResult {
            value,
            span,
            confidence: 0.9,
            source: "cue".into(),
            cue: Some("labor".into()),
            text: "two and a half hours".into(),
        };
        fields.insert("labor_hours".to_string(), result(Value::Number(2.5), at(6, 26)));
        fields.insert("asset".to_string(), result(Value::Text("4471".into()), at(0, 4)));
        fields.insert("hours".to_string(), result(Value::Number(1.0), at(0, 4)));
        fields.insert(
            "follow_up".to_string(),
            result(Value::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()), at(0, 4)),
        );
        let parts = vec![Part { quantity: 2, name: "filter drier".into() }];
        fields.insert("parts".to_string(), result(Value::Parts(parts), at(0, 4)));
        let problems = vec![Problem {
            field: "status".into(),
            kind: ProblemKind::Missing,
            message: "status: missing (required)".into(),
        }];
        let e = Extraction { form: "service_report".into(), language: "en".into(), fields, problems };
        let j = e.to_json();
        assert_eq!(j["fields"]["labor_hours"], serde_json::json!(2.5));
        assert_eq!(j["fields"]["hours"].to_string(), "1");
        assert_eq!(j["fields"]["asset"], "4471");
        assert_eq!(j["fields"]["follow_up"], "2026-12-03");
        assert_eq!(j["fields"]["parts"], serde_json::json!([{"quantity": 2, "name": "filter drier"}]));
        assert_eq!(j["problems"], serde_json::json!(["status: missing (required)"]));
        assert_eq!(j["details"]["labor_hours"]["span"], serde_json::json!({"start": 6, "end": 26}));
        assert_eq!(j["details"]["labor_hours"]["cue"], "labor");
        assert_eq!(j["details"]["labor_hours"]["confidence"], serde_json::json!(0.9));
        assert_eq!(j["form"], "service_report");
    }
}
