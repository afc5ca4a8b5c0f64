//! Revalidation of a reviewer's field edits against the report's form (types, patterns, ranges, enum
//! values) and the CRM (asset tags and customers must exist), recomputing the report's problems. Typed
//! fields given as text ("two and a half", "next Tuesday", "2 filter driers") go through extraction's
//! normalisers first.

use serde_json::{Map, Value};

use crate::extract::directory::{AssetLookup, Directory, NAME_THRESHOLD, canonical_tag};
use crate::extract::form::{FieldType, Form};
use crate::extract::parse_field_input;

/// The checked fields, the problems that remain (missing required fields), and the CRM rows the asset
/// and customer resolved to (by name/tag; the caller maps them to ids).
#[derive(Debug, Clone, PartialEq)]
pub struct Revalidated {
    pub fields: Map<String, Value>,
    pub problems: Vec<String>,
    pub asset_tag: Option<String>,
    pub customer: Option<String>,
}

/// Checks `fields` (the whole new set) against `form` and `dir`; the first invalid value is an error
/// naming the field and why.
pub fn revalidate(
    form: &Form,
    dir: &dyn Directory,
    fields: &Map<String, Value>,
    today: chrono::NaiveDate,
) -> Result<Revalidated, String> {
    let mut out = Map::new();
    let mut asset_tag = None;
    let mut customer = None;
    for (name, value) in fields {
        let field = form.field(name).ok_or_else(|| {
            let known: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
            format!("{name}: not a field of form {} (fields: {})", form.name, known.join(", "))
        })?;
        if value.is_null() {
            continue; // null clears the field
        }
        let typed = matches!(field.kind, FieldType::Number | FieldType::Hours | FieldType::Date | FieldType::PartList | FieldType::YesNo);
        let parsed;
        let value = match value.as_str() {
            Some(text) if typed && !(field.kind == FieldType::Date && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()) => {
                parsed = parse_field_input(field, text, today)?.to_json();
                &parsed
            }
            _ => value,
        };
        let bad = |why: &str| format!("{name}: {why} (got {value})");
        let checked = match field.kind {
            FieldType::AssetTag => {
                let tag = canonical_tag(value.as_str().ok_or_else(|| bad("expected a string"))?);
                match dir.asset(&tag) {
                    AssetLookup::Found(a) => {
                        if customer.is_none() {
                            customer = Some(a.customer.clone());
                        }
                        asset_tag = Some(a.tag.clone());
                        Value::String(a.tag)
                    }
                    _ if field.validation.must_exist_in_crm => return Err(bad("no asset with this tag in the CRM")),
                    _ => Value::String(tag),
                }
            }
            FieldType::Customer => {
                let spoken = value.as_str().ok_or_else(|| bad("expected a string"))?;
                match dir.customers(spoken).into_iter().next() {
                    Some((c, score)) if score >= NAME_THRESHOLD => {
                        customer = Some(c.name.clone());
                        Value::String(c.name)
                    }
                    _ if field.validation.must_exist_in_crm => return Err(bad("no such customer in the CRM")),
                    _ => Value::String(spoken.trim().to_string()),
                }
            }
            FieldType::Text | FieldType::Digits => {
                let s = value.as_str().ok_or_else(|| bad("expected a string"))?.trim();
                if s.is_empty() {
                    return Err(bad("empty"));
                }
                if field.kind == FieldType::Digits && !s.chars().all(|c| c.is_ascii_digit()) {
                    return Err(bad("expected digits only"));
                }
                Value::String(s.to_string())
            }
            FieldType::Number | FieldType::Hours => {
                let n = value.as_f64().ok_or_else(|| bad("expected a number"))?;
                if field.validation.min.is_some_and(|m| n < m) || field.validation.max.is_some_and(|m| n > m) {
                    let range = format!(
                        "out of range {}..{}",
                        field.validation.min.map_or("".into(), |m| m.to_string()),
                        field.validation.max.map_or("".into(), |m| m.to_string())
                    );
                    return Err(bad(&range));
                }
                value.clone()
            }
            FieldType::Date => {
                let s = value.as_str().ok_or_else(|| bad("expected a YYYY-MM-DD string"))?;
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad("expected a YYYY-MM-DD date"))?;
                value.clone()
            }
            FieldType::Enum => {
                let s = value.as_str().ok_or_else(|| bad("expected a string"))?;
                if !field.values.iter().any(|v| v.name == s) {
                    let names: Vec<&str> = field.values.iter().map(|v| v.name.as_str()).collect();
                    return Err(bad(&format!("expected one of {}", names.join(", "))));
                }
                value.clone()
            }
            FieldType::PartList => {
                let parts = value.as_array().ok_or_else(|| bad("expected a list of {quantity, name}"))?;
                for p in parts {
                    let q = p.get("quantity").and_then(Value::as_u64).filter(|q| *q >= 1);
                    let n = p.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty());
                    if q.is_none() || n.is_none() {
                        return Err(bad("each part needs a quantity of at least 1 and a name"));
                    }
                }
                value.clone()
            }
            FieldType::YesNo => Value::Bool(value.as_bool().ok_or_else(|| bad("expected true or false"))?),
        };
        if let (Some(re), Some(s)) = (&field.validation.pattern, checked.as_str())
            && !re.is_match(s)
        {
            return Err(bad(&format!("does not match {}", re.as_str())));
        }
        out.insert(name.clone(), checked);
    }
    let problems = form
        .fields
        .iter()
        .filter(|f| f.required && !out.contains_key(&f.name))
        .map(|f| format!("{}: missing (required)", f.name))
        .collect();
    Ok(Revalidated { fields: out, problems, asset_tag, customer })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::directory::InMemoryDirectory;
    use crate::extract::form::find_form;
    use serde_json::json;

    fn dir() -> InMemoryDirectory {
        InMemoryDirectory::from_csv(
            "name\nAcme Foods\nBellview Hospital\n".as_bytes(),
            "tag,customer,description\n4471,Acme Foods,condenser\n".as_bytes(),
        )
        .unwrap()
    }

    fn check(fields: Value) -> Result<Revalidated, String> {
        let form = find_form("service_report", None).unwrap();
        revalidate(&form, &dir(), fields.as_object().unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
    }

    #[test]
    fn good_edit_resolves_crm_and_lists_missing_fields() {
        let r = check(json!({"asset": "44 71", "labor_hours": 2.5, "status": "closed", "fault": " leak "})).unwrap();
        assert_eq!(r.fields["asset"], json!("4471"));
        assert_eq!(r.fields["fault"], json!("leak"));
        assert_eq!(r.customer.as_deref(), Some("Acme Foods"));
        assert_eq!(r.problems, vec!["customer: missing (required)", "action: missing (required)"]);
    }

    #[test]
    fn spoken_style_text_goes_through_the_normalisers() {
        let r = check(json!({"labor_hours": "two and a half", "parts": "2 filter driers", "follow_up": "2026-12-01"})).unwrap();
        assert_eq!(r.fields["labor_hours"], json!(2.5));
        assert_eq!(r.fields["parts"][0]["quantity"], json!(2));
        assert!(r.fields["parts"][0]["name"].as_str().unwrap().starts_with("filter drier"), "{}", r.fields["parts"]);
        assert_eq!(r.fields["follow_up"], json!("2026-12-01"));
        assert!(check(json!({"labor_hours": "lots"})).unwrap_err().starts_with("labor_hours"));
    }

    #[test]
    fn bad_values_name_the_field() {
        for (fields, needle) in [
            (json!({"labor_hours": 30}), "labor_hours: out of range"),
            (json!({"labor_hours": true}), "labor_hours: expected a number"),
            (json!({"status": "done"}), "status: expected one of"),
            (json!({"asset": "9999"}), "asset: no asset"),
            (json!({"customer": "Zed Corp"}), "customer: no such customer"),
            (json!({"follow_up": 20261201}), "follow_up: expected a YYYY-MM-DD"),
            (json!({"parts": [{"quantity": 0, "name": "belt"}]}), "parts: each part"),
            (json!({"colour": "red"}), "colour: not a field"),
        ] {
            let err = check(fields).unwrap_err();
            assert!(err.starts_with(needle), "{err}");
        }
    }
}
