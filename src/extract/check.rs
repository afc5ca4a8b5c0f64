//! Checks on the matcher's readings: CRM lookups (asset, customer implied by the asset, fuzzy customer names,
//! mismatches), validation rules, required fields; turns byte spans into character spans. Must not depend
//! on the matcher's internals beyond its readings.

use std::collections::BTreeMap;

use super::directory::AssetLookup;
use super::form::{FieldType, Form};
use super::matcher::Reading;
use super::result::{Extraction, FieldResult, Problem, ProblemKind, Span, Value};
use super::score::cue_quality;
use super::values::Doc;

/// Character offset of a byte offset.
fn char_at(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len())).map_or_else(|| text.char_indices().take_while(|(i, _)| *i < byte).count(), |s| s.chars().count())
}

fn problem(field: &str, kind: ProblemKind, detail: &str) -> Problem {
    Problem { field: field.to_string(), kind, message: format!("{field}: {detail}") }
}

/// Builds the extraction from the readings, with CRM checks and problems.
pub(crate) fn finish(form: &Form, doc: &Doc<'_>, readings: BTreeMap<usize, Reading>) -> Extraction {
    let mut fields: BTreeMap<String, FieldResult> = BTreeMap::new();
    let mut problems: Vec<Problem> = Vec::new();
    for (fi, r) in readings {
        let field = &form.fields[fi];
        let result = FieldResult {
            value: r.value.clone(),
            span: Span { start: char_at(doc.text, r.start), end: char_at(doc.text, r.end) },
            confidence: cue_quality(r.quality),
            source: r.source.to_string(),
            cue: r.cue.clone(),
            text: doc.text.get(r.start..r.end).unwrap_or("").to_string(),
        };
        fields.insert(field.name.clone(), result);
    }
    // CRM: the asset, and the customer it implies or contradicts.
    let asset_field = form.fields.iter().find(|f| f.kind == FieldType::AssetTag);
    let customer_field = form.fields.iter().find(|f| f.kind == FieldType::Customer);
    let mut owner: Option<String> = None;
    if let (Some(af), Some(dir)) = (asset_field, doc.directory)
        && let Some(res) = fields.get_mut(&af.name)
        && let Value::Text(tag) = &res.value
    {
        match dir.asset(tag) {
            AssetLookup::Found(asset) => {
                res.value = Value::Text(asset.tag.clone());
                owner = Some(asset.customer.clone());
            }
            AssetLookup::Candidates(list) => {
                let names: Vec<String> = list.iter().map(|(a, _)| format!("{} ({})", a.tag, a.customer)).collect();
                let detail = format!("{tag} is not in the CRM; did you mean {}?", names.join(" or "));
                problems.push(problem(&af.name, ProblemKind::UnknownAsset, &detail));
            }
            AssetLookup::NotFound if af.validation.must_exist_in_crm => {
                problems.push(problem(&af.name, ProblemKind::UnknownAsset, &format!("{tag} is not in the CRM")));
            }
            AssetLookup::NotFound => {}
        }
    }
    if let (Some(cf), Some(dir)) = (customer_field, doc.directory) {
        match (fields.get(&cf.name).cloned(), &owner) {
            (None, Some(owner)) => {
                let asset = asset_field.and_then(|af| fields.get(&af.name)).cloned();
                if let Some(asset) = asset {
                    fields.insert(cf.name.clone(), FieldResult {
                        value: Value::Text(owner.clone()),
                        span: asset.span,
                        confidence: asset.confidence,
                        source: "asset".into(),
                        cue: None,
                        text: asset.text.clone(),
                    });
                }
            }
            (Some(res), _) => {
                let Value::Text(said) = &res.value else { return finalize(form, fields, problems, doc) };
                let best = dir.customers(said).into_iter().next();
                match best {
                    Some((customer, _)) => {
                        if let Some(r) = fields.get_mut(&cf.name) {
                            r.value = Value::Text(customer.name.clone());
                        }
                        if let Some(owner) = &owner
                            && *owner != customer.name
                        {
                            let detail = format!("{} does not own that asset (its owner is {owner})", customer.name);
                            problems.push(problem(&cf.name, ProblemKind::CustomerMismatch, &detail));
                        }
                    }
                    None if cf.validation.must_exist_in_crm => {
                        problems.push(problem(&cf.name, ProblemKind::UnknownCustomer, &format!("{said} is not in the CRM")));
                    }
                    None => {}
                }
            }
            (None, None) => {}
        }
    }
    finalize(form, fields, problems, doc)
}

fn finalize(
    form: &Form,
    fields: BTreeMap<String, FieldResult>,
    mut problems: Vec<Problem>,
    doc: &Doc<'_>,
) -> Extraction {
    for field in &form.fields {
        match fields.get(&field.name) {
            None if field.required => problems.push(problem(&field.name, ProblemKind::Missing, "missing (required)")),
            None => {}
            Some(res) => {
                if let Some(detail) = invalid(field, &res.value) {
                    problems.push(problem(&field.name, ProblemKind::Invalid, &detail));
                }
            }
        }
    }
    Extraction { form: form.name.clone(), language: doc.lang.to_string(), fields, problems }
}

/// Why a value breaks its field's validation, if it does.
pub fn invalid(field: &super::form::Field, value: &Value) -> Option<String> {
    let v = &field.validation;
    match value {
        Value::Number(n) => {
            if let Some(min) = v.min
                && *n < min
            {
                return Some(format!("{n} is below the minimum {min}"));
            }
            if let Some(max) = v.max
                && *n > max
            {
                return Some(format!("{n} is above the maximum {max}"));
            }
            None
        }
        Value::Text(t) => {
            let re = v.pattern.as_ref()?;
            (!re.is_match(t)).then(|| format!("`{t}` does not match the pattern {}", re.as_str()))
        }
        _ => None,
    }
}
