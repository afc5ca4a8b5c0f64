//! What the review pages read in bulk: the verification queue (oldest first) and the dashboard's
//! statistics (reports per day and per technician, state counts, top faults, median time from recording
//! to verification). Aggregates over JSON fields are computed here in Rust so the SQL stays portable.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde::Serialize;
use sqlx::Row;

use super::report::{REPORT_SELECT, report_row};
use super::{Report, ReportState, Result, Store};

/// Queue filters; every one optional. Times are unix milliseconds, `to` exclusive.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<ReportState>,
    pub technician_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
}

/// The dashboard's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportStats {
    /// (YYYY-MM-DD in UTC, reports created that day), oldest first, days without reports omitted.
    pub per_day: Vec<(String, i64)>,
    /// (technician name, reports), most first.
    pub per_technician: Vec<(String, i64)>,
    /// state -> reports, over all time.
    pub states: BTreeMap<String, i64>,
    /// (fault as written, lowercased and trimmed; reports), most first, at most 10.
    pub top_faults: Vec<(String, i64)>,
    /// Median milliseconds from the recording to its verification, over verified reports since `since`.
    pub median_verify_ms: Option<i64>,
    pub verified_count: i64,
}

/// The median of `v` (sorted in place); the mean of the middle two for an even count.
pub fn median(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2 })
}

fn day(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn ranked(counts: BTreeMap<String, i64>, top: usize) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(top);
    v
}

impl Store {
    /// Reports matching `filter`, oldest first (the order reviewers work in).
    pub async fn review_queue(&self, filter: &QueueFilter) -> Result<Vec<Report>> {
        let rows = sqlx::query(&format!(
            "{REPORT_SELECT} where ($1 is null or r.state = $1) and ($2 is null or r.technician_id = $2) \
             and ($3 is null or r.customer_id = $3) and ($4 is null or r.created_at >= $4) \
             and ($5 is null or r.created_at < $5) order by r.created_at, r.report_id limit $6"
        ))
        .bind(filter.state.map(ReportState::as_str))
        .bind(filter.technician_id)
        .bind(filter.customer_id)
        .bind(filter.from)
        .bind(filter.to)
        .bind(filter.limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report_row).collect()
    }

    /// The dashboard's statistics over reports created since `since` (unix ms); state counts are all-time.
    pub async fn report_stats(&self, since: i64) -> Result<ReportStats> {
        let rows = sqlx::query(
            "select r.created_at, r.fields, t.name from report r join technician t on t.technician_id = r.technician_id \
             where r.created_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let mut per_day = BTreeMap::new();
        let mut per_tech = BTreeMap::new();
        let mut faults = BTreeMap::new();
        for r in &rows {
            *per_day.entry(day(r.try_get("created_at")?)).or_insert(0) += 1;
            *per_tech.entry(r.try_get::<String, _>("name")?).or_insert(0) += 1;
            let fields: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>("fields")?).unwrap_or_default();
            if let Some(f) = fields.get("fault").and_then(|f| f.as_str()).map(|f| f.trim().to_lowercase()).filter(|f| !f.is_empty()) {
                *faults.entry(f).or_insert(0) += 1;
            }
        }
        let mut states = BTreeMap::new();
        for r in sqlx::query("select state, count(*) as n from report group by state").fetch_all(&self.pool).await? {
            states.insert(r.try_get::<String, _>("state")?, r.try_get::<i64, _>("n")?);
        }
        let mut waits: Vec<i64> = sqlx::query(
            "select a.created_at - rec.created_at as waited from audit_event a \
             join report r on r.report_id = a.report_id join recording rec on rec.recording_id = r.recording_id \
             where a.action = 'verify' and r.created_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("waited"))
        .collect::<std::result::Result<_, _>>()?;
        Ok(ReportStats {
            per_day: per_day.into_iter().collect(),
            per_technician: ranked(per_tech, usize::MAX),
            states,
            top_faults: ranked(faults, 10),
            verified_count: waits.len() as i64,
            median_verify_ms: median(&mut waits),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn ranking_is_by_count_then_name() {
        let m = BTreeMap::from([("b".to_string(), 2), ("a".to_string(), 2), ("c".to_string(), 5)]);
        assert_eq!(ranked(m, 2), vec![("c".to_string(), 5), ("a".to_string(), 2)]);
    }
}
