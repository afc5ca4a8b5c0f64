//! Fuzz target: `audio::decode` and `audio::decode_raw` on arbitrary bytes must return, never panic, and never
//! produce more samples than the bytes can hold. Run: `cargo +nightly fuzz run decode` (needs cargo-fuzz).
#![no_main]

use fieldvoice::audio::{DecodeOptions, RawFormat, decode, decode_raw};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::default();
    if let Ok(audio) = decode(data, &opts) {
        // At most one byte per frame at 4 kHz, i.e. four 16 kHz samples per input byte.
        assert!(audio.samples.len() <= data.len() * 4 + 16);
    }
    let _ = decode_raw(data, RawFormat::MuLaw { sample_rate: 8000 }, &opts);
});
