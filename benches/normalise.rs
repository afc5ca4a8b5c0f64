//! Speed of the normalisers on a 60-word dictated report, English and Mandarin, and at 10x and 100x the
//! length (time should grow linearly). Run: `cargo bench --bench normalise`. Depends on the library only.

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use fieldvoice::extract::normalise::{find_dates, find_hours, find_numbers, find_tags};

const EN: &str = "Unit H X two zero four for Acme Foods. Found the fan belt snapped and the bearing worn, so I \
    fitted a new belt and replaced two filter driers. Labor was two and a half hours plus forty five minutes \
    travel. Status open, waiting for parts, follow up on December third or next Tuesday at the latest, thanks.";
const ZH: &str = "设备编号四四七一，客户是顶峰食品。故障是压缩机跳闸，风机皮带断了。更换了两个过滤器和一条皮带。\
    工时两个半小时，路上四十五分钟。状态等配件，下周二回访，或者十二月三号复查。";

fn all(s: &str, r: NaiveDate) -> usize {
    find_numbers(s).len() + find_tags(s).len() + find_hours(s).len() + find_dates(s, r).len()
}

fn bench(c: &mut Criterion) {
    let r = NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date");
    println!("English report: {} words", EN.split_whitespace().count());
    for (lang, text) in [("en", EN), ("zh", ZH)] {
        c.bench_function(&format!("{lang}/find_numbers"), |b| {
            b.iter(|| find_numbers(black_box(text)))
        });
        c.bench_function(&format!("{lang}/find_tags"), |b| {
            b.iter(|| find_tags(black_box(text)))
        });
        c.bench_function(&format!("{lang}/find_hours"), |b| {
            b.iter(|| find_hours(black_box(text)))
        });
        c.bench_function(&format!("{lang}/find_dates"), |b| {
            b.iter(|| find_dates(black_box(text), r))
        });
        for times in [1, 10, 100] {
            let long = format!("{text} ").repeat(times);
            c.bench_function(&format!("{lang}/all_four_x{times}"), |b| {
                b.iter(|| all(black_box(&long), r))
            });
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(800))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);
