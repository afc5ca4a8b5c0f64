//! Speed of the audio front end on 10-minute inputs: decode + resample (8 kHz mu-law, 44.1 kHz stereo PCM16),
//! VAD, and the live-call path (streaming resample + streaming VAD in 20 ms packets). Reports throughput as
//! "x real time" (criterion's elem/s, one element = one second of audio).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fieldvoice::audio::{self, DecodeOptions, g711, vad};

const SECONDS: usize = 600;

/// Speech-like test signal: recorded speech looped (pocketsphinx-testdata) if installed, else a warbling tone in
/// noise, at `rate`.
fn signal(rate: usize) -> Vec<f32> {
    let len = rate * SECONDS;
    let recorded = std::fs::read("/usr/share/pocketsphinx/test/data/goforward.raw").ok().map(|raw| {
        let speech: Vec<f32> =
            raw.chunks_exact(2).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0).collect();
        audio::resample(&speech, 16_000, rate as u32)
    });
    match recorded {
        Some(speech) => speech.iter().copied().cycle().take(len).collect(),
        None => (0..len)
            .map(|i| {
                let t = i as f32 / rate as f32;
                0.3 * (std::f32::consts::TAU * (200.0 + 50.0 * (3.0 * t).sin()) * t).sin()
            })
            .collect(),
    }
}

fn wav(channels: u16, rate: u32, tag: u16, bits: u16, data: &[u8]) -> Vec<u8> {
    let block_align = channels * bits / 8;
    let mut w = b"RIFF".to_vec();
    w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt \x10\0\0\0");
    for v in [tag, channels] {
        w.extend_from_slice(&v.to_le_bytes());
    }
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    for v in [block_align, bits] {
        w.extend_from_slice(&v.to_le_bytes());
    }
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(data);
    w
}

/// Times one run outside criterion and prints it as a multiple of real time.
fn report(name: &str, run: impl Fn()) {
    let start = Instant::now();
    run();
    let secs = start.elapsed().as_secs_f64();
    println!("{name}: {secs:.3} s for {SECONDS} s of audio = {:.0}x real time", SECONDS as f64 / secs);
}

fn benches(c: &mut Criterion) {
    let opts = DecodeOptions::default();
    let mulaw = wav(1, 8000, 7, 8, &g711::encode_mulaw(&g711::f32_to_i16(&signal(8000))));
    let mono = g711::f32_to_i16(&signal(44_100));
    let stereo: Vec<u8> = mono.iter().flat_map(|s| [s.to_le_bytes(), (s / 2).to_le_bytes()].concat()).collect();
    let stereo = wav(2, 44_100, 1, 16, &stereo);
    let speech16k = audio::decode(&mulaw, &opts).unwrap().samples;

    report("decode+resample 8 kHz mu-law WAV", || {
        black_box(audio::decode(&mulaw, &opts).unwrap());
    });
    report("decode+resample 44.1 kHz stereo PCM16 WAV", || {
        black_box(audio::decode(&stereo, &opts).unwrap());
    });
    report("VAD speech_regions", || {
        black_box(vad::speech_regions(&speech16k));
    });
    let narrow = audio::resample(&speech16k, 16_000, 8000);
    let live = || {
        let mut stream = audio::ResampleStream::new(8000, 16_000).unwrap();
        let mut vad = vad::VadStream::new(vad::VadConfig::default());
        for packet in narrow.chunks(160) {
            black_box(vad.push(&stream.push(packet)));
        }
        black_box(vad.push(&stream.finish()));
    };
    report("live call: 20 ms packets, ResampleStream 8->16 kHz + VadStream", live);

    let mut group = c.benchmark_group("audio 10 min");
    group.sample_size(10).throughput(Throughput::Elements(SECONDS as u64));
    group.bench_function("decode 8k mu-law", |b| b.iter(|| audio::decode(black_box(&mulaw), &opts).unwrap()));
    group.bench_function("decode 44.1k stereo s16", |b| b.iter(|| audio::decode(black_box(&stereo), &opts).unwrap()));
    group.bench_function("vad", |b| b.iter(|| vad::speech_regions(black_box(&speech16k))));
    group.bench_function("live call stream", |b| b.iter(live));
    group.finish();
}

criterion_group!(audio_benches, benches);
criterion_main!(audio_benches);
