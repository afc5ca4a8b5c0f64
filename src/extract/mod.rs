//! Rule-based field extraction: forms as data (prompts/*.toml), normalisers for spoken values, a cue
//! matcher, and CRM checks through the [`directory::Directory`] trait. Pure code: no I/O beyond what the
//! caller hands in. Must not depend on transcribe, store, http or jobs.

pub mod directory;
pub mod form;
pub mod normalise;
pub mod result;

pub use result::{Extraction, FieldResult, Part, Problem, ProblemKind, Span, Value};

// The entry point the rest of the crate uses (filled in by the matcher):
// pub fn extract(form: &form::Form, text: &str, opts: &ExtractOptions<'_>) -> Extraction
// with ExtractOptions { language: Option<&str>, reference_date: NaiveDate,
//                       directory: Option<&dyn directory::Directory>, words: &[crate::transcribe::Word] }
// and Extraction::to_json(&self) -> serde_json::Value (DESIGN.md shape).
