//! The report page: audio, the transcript with each field's span highlighted and every timed word a seek
//! target, the fields (problems first, confidence as colour and text) edited through the API's PATCH (the
//! same normalisers as extraction), approve / reject with a reason / next, and the audit history.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use super::queue::{LOW_CONFIDENCE, when};
use super::transcript::{Token, field_times, layout, spans};
use super::{Chrome, Page, PageError, render};
use crate::http::AppState;
use crate::store::{QueueFilter, ReportState};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/ui/reports/{id}", get(report_page))
}

pub(super) struct FieldView {
    pub name: String,
    pub label: String,
    pub value: String,
    pub required: bool,
    /// Percent, when the value was extracted.
    pub confidence: Option<u32>,
    /// "high", "medium", "low" or "none".
    pub level: &'static str,
    pub problems: Vec<String>,
    pub seek: String,
    /// The id of the datalist offering CRM values (customer and asset fields).
    pub list: &'static str,
    pub heard: String,
}

pub(super) struct AuditView {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub field: String,
    pub old: String,
    pub new: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    chrome: Chrome,
    id: i64,
    state: &'static str,
    editable: bool,
    next_url: String,
    technician: String,
    created: String,
    tokens: Vec<Token>,
    fields: Vec<FieldView>,
    general_problems: Vec<String>,
    audit: Vec<AuditView>,
    reason: String,
    ticket: String,
    language: String,
}

/// A field value as a person types it: parts as "2 filter drier, 1 contactor", booleans as yes/no.
pub fn display_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Array(items) => items
            .iter()
            .map(|p| match (p.get("quantity"), p.get("name").and_then(Value::as_str)) {
                (Some(q), Some(n)) => format!("{q} {n}"),
                _ => display_value(p),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// (field or "", message) for each problem, stored either as text "field: why" or as an object.
fn problems(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|p| match p {
            Value::String(s) => (s.split_once(':').map(|(f, _)| f.trim().to_string()).unwrap_or_default(), s.clone()),
            other => (
                other.get("field").and_then(Value::as_str).unwrap_or("").to_string(),
                other.get("message").and_then(Value::as_str).map_or_else(|| other.to_string(), str::to_string),
            ),
        })
        .collect()
}

fn level(c: Option<f64>) -> &'static str {
    match c {
        None => "none",
        Some(c) if c < LOW_CONFIDENCE => "low",
        Some(c) if c < 0.85 => "medium",
        Some(_) => "high",
    }
}

async fn report_page(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let r = state.store.report(id).await?;
    let form = state.form(&r.form)?;
    let transcript = state.store.transcript(r.recording_id).await?;
    let spans = spans(&r.details);
    let tokens = match &transcript {
        Some(t) => layout(&t.text, &t.segments, &spans),
        None => Vec::new(),
    };
    let times = field_times(&tokens);
    let all_problems = problems(&r.problems);
    let mut fields: Vec<FieldView> = form
        .fields
        .iter()
        .map(|f| {
            let detail = r.details.get(&f.name);
            let confidence = detail.and_then(|d| d.get("confidence")).and_then(Value::as_f64);
            FieldView {
                name: f.name.clone(),
                label: page.tr.t(&f.name).to_string(),
                value: r.fields.get(&f.name).map(display_value).unwrap_or_default(),
                required: f.required,
                confidence: confidence.map(|c| (c * 100.0).round() as u32),
                level: level(confidence),
                problems: all_problems.iter().filter(|(n, _)| *n == f.name).map(|(_, m)| m.clone()).collect(),
                seek: times.get(&f.name).map(|s| format!("{s:.2}")).unwrap_or_default(),
                list: match f.kind {
                    crate::extract::form::FieldType::Customer => "dl-customers",
                    crate::extract::form::FieldType::AssetTag => "dl-assets",
                    _ => "",
                },
                heard: detail.and_then(|d| d.get("text")).and_then(Value::as_str).unwrap_or("").to_string(),
            }
        })
        .collect();
    // Problems first, then the least confident.
    fields.sort_by_key(|f| (f.problems.is_empty(), f.confidence.unwrap_or(101)));
    let general_problems = all_problems
        .iter()
        .filter(|(n, _)| !form.fields.iter().any(|f| &f.name == n))
        .map(|(_, m)| m.clone())
        .collect();
    let queue = state.store.review_queue(&QueueFilter { state: Some(ReportState::Draft), limit: 2, ..Default::default() }).await?;
    let next_url = queue
        .iter()
        .find(|q| q.report_id != id)
        .map_or_else(|| "/ui/queue".to_string(), |q| format!("/ui/reports/{}", q.report_id));
    let technician = state.store.technician(r.technician_id).await?.name;
    let audit = state
        .store
        .audit_events(id)
        .await?
        .into_iter()
        .map(|a| AuditView {
            when: when(a.created_at),
            actor: a.actor,
            action: page.tr.t(&a.action).to_string(),
            field: a.field.unwrap_or_default(),
            old: a.old_value.unwrap_or_default(),
            new: a.new_value.unwrap_or_default(),
        })
        .collect();
    let ticket = state.store.ticket_for(id).await?.map(|t| t.number).unwrap_or_default();
    render(&ReportPage {
        chrome: Chrome::new(&page, "queue"),
        id,
        state: r.state.as_str(),
        editable: r.state == ReportState::Draft,
        next_url,
        technician,
        created: when(r.created_at),
        tokens,
        fields,
        general_problems,
        audit,
        reason: r.reason.unwrap_or_default(),
        ticket,
        language: r.language.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_show_as_typed() {
        assert_eq!(display_value(&json!([{"quantity": 2, "name": "filter drier"}, {"quantity": 1, "name": "fan"}])), "2 filter drier, 1 fan");
        assert_eq!(display_value(&json!(2.5)), "2.5");
        assert_eq!(display_value(&json!(true)), "yes");
        assert_eq!(display_value(&json!(null)), "");
    }

    #[test]
    fn problems_of_both_shapes_name_their_field() {
        let p = problems(&json!(["labor_hours: missing", {"field": "asset", "message": "asset: 9 is not in the CRM"}, "odd"]));
        assert_eq!(p[0].0, "labor_hours");
        assert_eq!(p[1], ("asset".into(), "asset: 9 is not in the CRM".into()));
        assert_eq!(p[2].0, "");
    }
}
