//! Rule-based field extraction: forms as data (prompts/*.toml), normalisers for spoken values, a cue
//! matcher, and CRM checks through the [`directory::Directory`] trait. Pure code: no I/O beyond what the
//! caller hands in. Must not depend on transcribe, store, http or jobs.

mod check;
pub mod cues;
pub mod directory;
pub mod form;
mod input;
mod leftover;
pub mod matcher;
pub mod normalise;
pub mod result;
pub mod score;
pub mod text;
mod values;

use chrono::NaiveDate;

pub use directory::{Asset, AssetLookup, Customer, Directory, InMemoryDirectory, Vocabulary};
pub use form::{Field, FieldType, Form, FormError};
pub use input::parse_field_input;
pub use matcher::{detect_language, extract};
pub use result::{Extraction, FieldResult, Part, Problem, ProblemKind, Span, Value};

/// One recognised word and the transcriber's confidence in it (the transcriber maps its words to this).
#[derive(Debug, Clone, PartialEq)]
pub struct WordConfidence {
    pub text: String,
    /// 0..1.
    pub confidence: f32,
}

/// How to run [`extract`].
#[derive(Clone, Copy)]
pub struct ExtractOptions<'a> {
    /// "en" or "zh"; `None` detects (CJK characters mean "zh").
    pub language: Option<&'a str>,
    /// "Today", for relative dates.
    pub reference_date: NaiveDate,
    /// The CRM, when available: resolves tags and customer names.
    pub directory: Option<&'a dyn Directory>,
    /// The transcriber's words with confidences, in order; empty when unknown.
    pub words: &'a [WordConfidence],
}

impl<'a> ExtractOptions<'a> {
    /// Options with a reference date and everything else unset.
    pub fn new(reference_date: NaiveDate) -> Self {
        ExtractOptions { language: None, reference_date, directory: None, words: &[] }
    }
}
