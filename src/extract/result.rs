//! What extraction returns: typed values with their span, confidence and problems, and the JSON shape of
//! DESIGN.md (`fields` plain values, `problems` strings, the rest under `details`).

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
