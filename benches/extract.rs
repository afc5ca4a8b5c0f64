//! Extraction speed: a 60-word service report, then the same text 10x and 100x, to show time grows linearly
//! with length. With and without the CRM directory (fuzzy customer scan).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fieldvoice::extract::{self, ExtractOptions, InMemoryDirectory};

/// Sixty words as a technician says them.
const REPORT: &str = "Unit 4471 for Acme Foods. Um, found the condenser fan motor seized and the coil was dirty. \
Replaced the condenser fan motor and cleaned the coil, used two filter driers and a contactor. \
Labor two and a half hours, no wait, three hours. Job is closed, follow up next Tuesday to check the pressures \
on the rooftop unit. ";

fn bench(c: &mut Criterion) {
    let form = extract::form::find_form("service_report", None).expect("built-in form");
    let crm = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crm/");
    let open = |name: &str| std::fs::File::open(format!("{crm}{name}")).expect("CRM fixture");
    let dir = InMemoryDirectory::from_csv(open("customers.csv"), open("assets.csv")).expect("CRM");
    let reference = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    let mut group = c.benchmark_group("extract");
    for times in [1usize, 10, 100] {
        let text = REPORT.repeat(times);
        group.throughput(Throughput::Bytes(text.len() as u64));
        let plain = ExtractOptions::new(reference);
        group.bench_with_input(BenchmarkId::new("no_crm", times), &text, |b, t| {
            b.iter(|| extract::extract(&form, black_box(t), &plain))
        });
        let with_crm = ExtractOptions { directory: Some(&dir), ..ExtractOptions::new(reference) };
        group.bench_with_input(BenchmarkId::new("crm", times), &text, |b, t| {
            b.iter(|| extract::extract(&form, black_box(t), &with_crm))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
