//! Forms as data: a form file in prompts/ (TOML) parsed and validated into [`Form`]. Pure: parsing takes
//! text; only [`Form::load`] and [`load_forms`] read files. Must not depend on the matcher or the CRM
//! (the cue index is built from the fields by `cues`).

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

/// The built-in forms, embedded so the binary works from any directory: (name, file name, text).
const BUILTIN: &[(&str, &str)] =
    &[("service_report.toml", include_str!("../../prompts/service_report.toml"))];

/// The type of a field's value; decides which normaliser reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    AssetTag,
    Customer,
    Text,
    Number,
    Hours,
    Date,
    Enum,
    PartList,
    YesNo,
    Digits,
}

impl FieldType {
    /// Free text fields run to the next cue; typed fields hold one parsed value.
    pub fn is_text(self) -> bool {
        matches!(self, FieldType::Text)
    }
}

/// How a text field is found when none of its cues is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Clauses nobody claimed that say what is wrong ("Compressor tripping.").
    Unclaimed,
    /// A clause opening with a past-tense verb and its object ("Washed the condenser.").
    PastTense,
}

/// A cue phrase (lower case) that introduces a field's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub phrase: String,
    /// True when the phrase is part of the value ("replaced" starts the action and stays in it); false for
    /// labels such as "action taken:" that are dropped.
    pub keep: bool,
}

/// One enum value with its synonyms per language (lower case).
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    pub name: String,
    pub synonyms: BTreeMap<String, Vec<String>>,
}

/// Checks on a field's value.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Anchored by the caller's intent: the whole value must match.
    pub pattern: Option<Regex>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The value must exist in the CRM directory (asset tags, customers).
    pub must_exist_in_crm: bool,
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub kind: FieldType,
    pub required: bool,
    /// Cue phrases per language ("en", "zh"), longest first.
    pub cues: BTreeMap<String, Vec<Cue>>,
    /// Words that, in an otherwise unclaimed clause, suggest the whole clause is this field (a shape guess).
    pub hints: BTreeMap<String, Vec<String>>,
    /// What the IVR asks for this field, per language.
    pub question: BTreeMap<String, String>,
    pub validation: Validation,
    pub values: Vec<EnumValue>,
    /// Text fields: how the value is found without a cue.
    pub fallback: Option<Fallback>,
    /// Text fields: comma-separated clauses become separate pieces joined with "; ".
    pub split_clauses: bool,
}

impl Field {
    /// The cues for a language (empty when the form has none).
    pub fn cues(&self, lang: &str) -> &[Cue] {
        self.cues.get(lang).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The hint words for a language.
    pub fn hints(&self, lang: &str) -> &[String] {
        self.hints.get(lang).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A form: named, titled, with fields in the order the IVR asks them.
#[derive(Debug, Clone)]
pub struct Form {
    pub name: String,
    pub title: BTreeMap<String, String>,
    pub fields: Vec<Field>,
    /// The cues indexed for matching, built on first use.
    index: std::sync::OnceLock<super::cues::CueIndex>,
}

/// Why a form file was refused: always names the file and line, and the field when one is at fault.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}:{line}:{column}: {message}")]
    Syntax { file: String, line: usize, column: usize, message: String },
    #[error("{file}:{line}: field `{field}`: {message}")]
    Field { file: String, line: usize, field: String, message: String },
    #[error("{file}:{line}: {message}")]
    Form { file: String, line: usize, message: String },
    #[error("unknown form `{name}` (known: {known})")]
    Unknown { name: String, known: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    name: toml::Spanned<String>,
    #[serde(default)]
    title: BTreeMap<String, String>,
    #[serde(default, rename = "field")]
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: toml::Spanned<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    cues: BTreeMap<String, Vec<RawCue>>,
    #[serde(default)]
    hints: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    question: BTreeMap<String, String>,
    #[serde(default)]
    validation: RawValidation,
    #[serde(default)]
    values: Vec<RawEnumValue>,
    fallback: Option<String>,
    #[serde(default)]
    split_clauses: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCue {
    Label(String),
    Marked { phrase: String, keep: bool },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawValidation {
    pattern: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    must_exist: Option<String>,
}

#[derive(Deserialize)]
struct RawEnumValue {
    name: String,
    #[serde(flatten)]
    synonyms: BTreeMap<String, Vec<String>>,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The start of the `[[field]]` header above a byte offset, so errors point at the field's table.
fn table_line(text: &str, offset: usize) -> usize {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    match before.rfind("[[field]]") {
        Some(at) => line_col(text, at).0,
        None => line_col(text, offset).0,
    }
}

impl Form {
    /// Reads and parses a form file.
    pub fn load(path: &Path) -> Result<Form, FormError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FormError::Read { file: file.clone(), source })?;
        Form::parse(&text, &file)
    }

    /// Parses form text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Form, FormError> {
        let raw: RawForm = toml::from_str(text).map_err(|err| {
            let (line, column) = line_col(text, err.span().map_or(0, |s| s.start));
            FormError::Syntax {
                file: origin.to_string(),
                line,
                column,
                message: err.message().trim().to_string(),
            }
        })?;
        let form_err = |offset: usize, message: String| FormError::Form {
            file: origin.to_string(),
            line: line_col(text, offset).0,
            message,
        };
        let name = raw.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(form_err(raw.name.span().start, "form name is empty".into()));
        }
        if raw.fields.is_empty() {
            return Err(form_err(raw.name.span().start, format!("form `{name}` has no [[field]] tables")));
        }
        let mut fields: Vec<Field> = Vec::with_capacity(raw.fields.len());
        for rf in raw.fields {
            let offset = rf.name.span().start;
            let field_name = rf.name.get_ref().trim().to_string();
            let err = |message: String| FormError::Field {
                file: origin.to_string(),
                line: table_line(text, offset),
                field: field_name.clone(),
                message,
            };
            if field_name.is_empty() {
                return Err(err("field name is empty".into()));
            }
            if fields.iter().any(|f| f.name == field_name) {
                return Err(err("duplicate field name".into()));
            }
            let kind: FieldType = serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new(&rf.kind))
            .map_err(|_| {
                err(format!(
                    "unknown type `{}` (expected asset_tag, customer, text, number, hours, date, enum, \
                     part_list, yes_no or digits)",
                    rf.kind
                ))
            })?;
            let mut cues = BTreeMap::new();
            for (lang, list) in rf.cues {
                let mut parsed: Vec<Cue> = Vec::with_capacity(list.len());
                for cue in list {
                    let (phrase, keep) = match cue {
                        RawCue::Label(p) => (p, false),
                        RawCue::Marked { phrase, keep } => (phrase, keep),
                    };
                    let phrase = phrase.trim().to_lowercase();
                    if phrase.is_empty() {
                        return Err(err(format!("empty cue phrase in cues.{lang}")));
                    }
                    parsed.push(Cue { phrase, keep });
                }
                parsed.sort_by_key(|c| std::cmp::Reverse(c.phrase.chars().count()));
                cues.insert(lang, parsed);
            }
            let hints = rf
                .hints
                .into_iter()
                .map(|(lang, words)| (lang, words.into_iter().map(|w| w.trim().to_lowercase()).collect()))
                .collect();
            let v = rf.validation;
            if let (Some(min), Some(max)) = (v.min, v.max)
                && min > max
            {
                return Err(err(format!("validation min {min} is greater than max {max}")));
            }
            let pattern = match v.pattern {
                Some(p) => Some(Regex::new(&p).map_err(|e| err(format!("bad validation pattern: {e}")))?),
                None => None,
            };
            let must_exist_in_crm = match v.must_exist.as_deref() {
                None => false,
                Some("crm") => true,
                Some(other) => return Err(err(format!("must_exist = `{other}`: only \"crm\" is known"))),
            };
            if must_exist_in_crm && !matches!(kind, FieldType::AssetTag | FieldType::Customer) {
                return Err(err("must_exist = \"crm\" applies only to asset_tag and customer fields".into()));
            }
            let mut values = Vec::with_capacity(rf.values.len());
            for rv in rf.values {
                if rv.name.trim().is_empty() {
                    return Err(err("enum value with an empty name".into()));
                }
                let synonyms = rv
                    .synonyms
                    .into_iter()
                    .map(|(lang, words)| (lang, words.into_iter().map(|w| w.trim().to_lowercase()).collect()))
                    .collect();
                values.push(EnumValue { name: rv.name.trim().to_string(), synonyms });
            }
            if kind == FieldType::Enum && values.is_empty() {
                return Err(err("enum field has no values".into()));
            }
            if kind != FieldType::Enum && !values.is_empty() {
                return Err(err("values are only allowed on enum fields".into()));
            }
            let fallback = match rf.fallback.as_deref() {
                None => None,
                Some("unclaimed") => Some(Fallback::Unclaimed),
                Some("past_tense") => Some(Fallback::PastTense),
                Some(other) => return Err(err(format!("unknown fallback `{other}` (expected unclaimed or past_tense)"))),
            };
            if (fallback.is_some() || rf.split_clauses) && kind != FieldType::Text {
                return Err(err("fallback and split_clauses apply only to text fields".into()));
            }
            if let Some(f) = fallback
                && fields.iter().any(|g| g.fallback == Some(f))
            {
                return Err(err(format!("another field already has fallback {f:?}")));
            }
            fields.push(Field {
                name: field_name,
                kind,
                required: rf.required,
                cues,
                hints,
                question: rf.question,
                validation: Validation { pattern, min: v.min, max: v.max, must_exist_in_crm },
                values,
                fallback,
                split_clauses: rf.split_clauses,
            });
        }
        Ok(Form { name, title: raw.title, fields, index: std::sync::OnceLock::new() })
    }

    /// The cue index the matcher uses.
    pub fn cue_index(&self) -> &super::cues::CueIndex {
        self.index.get_or_init(|| super::cues::CueIndex::build(&self.fields))
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// All forms: the built-in ones, then every `*.toml` in `dir` (when given) replacing built-ins by name.
pub fn load_forms(dir: Option<&Path>) -> Result<Vec<Form>, FormError> {
    let mut forms: Vec<Form> = Vec::new();
    for (file, text) in BUILTIN {
        forms.push(Form::parse(text, &format!("prompts/{file} (built in)"))?);
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|source| FormError::Read { file: dir.display().to_string(), source })?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let form = Form::load(&path)?;
            forms.retain(|f| f.name != form.name);
            forms.push(form);
        }
    }
    Ok(forms)
}

/// The form called `name` from [`load_forms`].
pub fn find_form(name: &str, dir: Option<&Path>) -> Result<Form, FormError> {
    let forms = load_forms(dir)?;
    let known = forms.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ");
    forms
        .into_iter()
        .find(|f| f.name == name)
        .ok_or_else(|| FormError::Unknown { name: name.to_string(), known })
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
