//! Call counters for /metrics: calls, turns and a histogram of turn latency (end of the caller's speech to
//! the first audio of the reply). Lock-free; shared by every call of a process.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (ms) of the latency histogram buckets; the last bucket is +Inf.
pub const LATENCY_BUCKETS_MS: [u64; 9] = [250, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000];

/// Counters shared by all calls.
#[derive(Debug, Default)]
pub struct CallStats {
    calls: AtomicU64,
    active: AtomicU64,
    reports: AtomicU64,
    turns: AtomicU64,
    latency_sum_ms: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS_MS.len() + 1],
}

impl CallStats {
    pub(super) fn call_started(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.active.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn call_ended(&self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }

    pub(super) fn report_saved(&self) {
        self.reports.fetch_add(1, Ordering::Relaxed);
    }

    /// Records one turn's latency.
    pub fn turn(&self, latency_ms: u64) {
        self.turns.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ms.fetch_add(latency_ms, Ordering::Relaxed);
        let i = LATENCY_BUCKETS_MS.iter().position(|&b| latency_ms <= b).unwrap_or(LATENCY_BUCKETS_MS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Calls answered, calls in progress, reports saved, turns measured.
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (get(&self.calls), get(&self.active), get(&self.reports), get(&self.turns))
    }

    /// The counters in Prometheus text format.
    pub fn prometheus(&self) -> String {
        let (calls, active, reports, turns) = self.totals();
        let mut out = String::new();
        let _ = writeln!(out, "# HELP fieldvoice_calls_total Phone calls answered.\n# TYPE fieldvoice_calls_total counter");
        let _ = writeln!(out, "fieldvoice_calls_total {calls}");
        let _ = writeln!(out, "# HELP fieldvoice_calls_active Phone calls in progress.\n# TYPE fieldvoice_calls_active gauge");
        let _ = writeln!(out, "fieldvoice_calls_active {active}");
        let _ = writeln!(out, "# HELP fieldvoice_call_reports_total Reports saved by phone.\n# TYPE fieldvoice_call_reports_total counter");
        let _ = writeln!(out, "fieldvoice_call_reports_total {reports}");
        let name = "fieldvoice_turn_latency_seconds";
        let _ = writeln!(out, "# HELP {name} End of the caller's speech to the first audio of the reply.\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS_MS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {cumulative}", *bound as f64 / 1000.0);
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {turns}");
        let _ = writeln!(out, "{name}_sum {}", self.latency_sum_ms.load(Ordering::Relaxed) as f64 / 1000.0);
        let _ = writeln!(out, "{name}_count {turns}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_in_seconds() {
        let s = CallStats::default();
        s.turn(400);
        s.turn(1200);
        s.turn(20000);
        let text = s.prometheus();
        assert!(text.contains("fieldvoice_turn_latency_seconds_bucket{le=\"0.5\"} 1\n"), "{text}");
        assert!(text.contains("fieldvoice_turn_latency_seconds_bucket{le=\"1.5\"} 2\n"));
        assert!(text.contains("fieldvoice_turn_latency_seconds_bucket{le=\"10\"} 2\n"));
        assert!(text.contains("fieldvoice_turn_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("fieldvoice_turn_latency_seconds_sum 21.6\n"));
    }
}
