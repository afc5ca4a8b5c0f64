//! A reviewer's typed correction of one field, read with the same normalisers as speech ("two and a half"
//! in labor_hours is 2.5). Must not depend on the matcher or the CRM.

use chrono::NaiveDate;

use super::form::{Field, FieldType};
use super::normalise;
use super::result::{Part, Value};
use super::check::invalid;

/// Parses `input` for `field`; the error names the field and the reason.
pub fn parse_field_input(field: &Field, input: &str, reference_date: NaiveDate) -> Result<Value, String> {
    let input = input.trim();
    let name = &field.name;
    if input.is_empty() {
        return Err(format!("{name}: empty input"));
    }
    let value = match field.kind {
        FieldType::AssetTag => normalise::parse_tag(input)
            .map(|t| Value::Text(super::directory::canonical_tag(&t)))
            .ok_or_else(|| format!("{name}: `{input}` is not an asset tag"))?,
        FieldType::Digits => normalise::parse_digits(input)
            .map(Value::Text)
            .ok_or_else(|| format!("{name}: `{input}` is not a string of digits"))?,
        FieldType::Customer | FieldType::Text => Value::Text(input.to_string()),
        FieldType::Number => normalise::parse_number(input)
            .map(Value::Number)
            .ok_or_else(|| format!("{name}: `{input}` is not a number"))?,
        FieldType::Hours => normalise::parse_hours(input)
            .or_else(|| normalise::parse_number(input))
            .map(Value::Number)
            .ok_or_else(|| format!("{name}: `{input}` is not a duration"))?,
        FieldType::Date => normalise::parse_date(input, reference_date)
            .map(Value::Date)
            .ok_or_else(|| format!("{name}: `{input}` is not a date"))?,
        FieldType::YesNo => normalise::parse_yes_no(input)
            .map(Value::Bool)
            .ok_or_else(|| format!("{name}: `{input}` is not yes or no"))?,
        FieldType::Enum => {
            let lower = input.to_lowercase();
            let hit = field.values.iter().find(|v| {
                v.name.eq_ignore_ascii_case(&lower) || v.synonyms.values().flatten().any(|s| *s == lower)
            });
            let names: Vec<&str> = field.values.iter().map(|v| v.name.as_str()).collect();
            hit.map(|v| Value::Text(v.name.clone()))
                .ok_or_else(|| format!("{name}: `{input}` is not one of {}", names.join(", ")))?
        }
        FieldType::PartList => Value::Parts(parse_parts(name, input)?),
    };
    match invalid(field, &value) {
        Some(reason) => Err(format!("{name}: {reason}")),
        None => Ok(value),
    }
}

/// "2 filter drier, 1 contactor": quantity then name per comma-separated item (quantity 1 when left out).
fn parse_parts(name: &str, input: &str) -> Result<Vec<Part>, String> {
    let mut out = Vec::new();
    for item in input.split([',', ';', '，', '、']).map(str::trim).filter(|s| !s.is_empty()) {
        let (qty, rest) = match item.split_once(char::is_whitespace) {
            Some((q, rest)) => match normalise::parse_number(q) {
                Some(n) if n >= 1.0 && n.fract() == 0.0 => (n as u32, rest.trim()),
                _ => (1, item),
            },
            None => (1, item),
        };
        let rest = rest.trim_start_matches("x ").trim();
        if rest.is_empty() || normalise::parse_number(rest).is_some() {
            return Err(format!("{name}: item `{item}` has no part name"));
        }
        out.push(Part { quantity: qty, name: rest.to_lowercase() });
    }
    if out.is_empty() {
        return Err(format!("{name}: no parts given"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::form::find_form;

    fn parse(field: &str, input: &str) -> Result<Value, String> {
        let form = find_form("service_report", None).unwrap();
        parse_field_input(form.field(field).unwrap(), input, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
    }

    #[test]
    fn typed_corrections_use_the_spoken_normalisers() {
        assert_eq!(parse("labor_hours", "two and a half"), Ok(Value::Number(2.5)));
        assert_eq!(parse("labor_hours", "45 minutes"), Ok(Value::Number(0.75)));
        assert_eq!(parse("labor_hours", "1.5"), Ok(Value::Number(1.5)));
        assert_eq!(parse("asset", "h x 204"), Ok(Value::Text("HX204".into())));
        assert_eq!(parse("follow_up", "December third"), Ok(Value::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())));
        assert_eq!(parse("status", "waiting for parts"), Ok(Value::Text("pending_parts".into())));
        assert_eq!(parse("status", "已完成"), Ok(Value::Text("closed".into())));
        assert_eq!(parse("customer", " Acme Foods "), Ok(Value::Text("Acme Foods".into())));
        let parts = vec![Part { quantity: 2, name: "filter drier".into() }, Part { quantity: 1, name: "contactor".into() }];
        assert_eq!(parse("parts", "2 filter drier, contactor"), Ok(Value::Parts(parts)));
    }

    #[test]
    fn bad_input_names_the_field_and_the_reason() {
        assert_eq!(parse("labor_hours", "banana"), Err("labor_hours: `banana` is not a duration".into()));
        assert_eq!(parse("labor_hours", "30 hours"), Err("labor_hours: 30 is above the maximum 24".into()));
        assert_eq!(parse("status", "maybe"), Err("status: `maybe` is not one of open, closed, pending_parts".into()));
        assert_eq!(parse("follow_up", "someday"), Err("follow_up: `someday` is not a date".into()));
        assert_eq!(parse("asset", "   "), Err("asset: empty input".into()));
        assert!(parse("asset", "hello there").unwrap_err().starts_with("asset: "));
        assert_eq!(parse("parts", "2"), Err("parts: item `2` has no part name".into()));
    }
}
