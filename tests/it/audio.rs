//! Audio decoding, resampling and VAD on real files: WAVs made by sox and espeak-ng, recorded speech from
//! pocketsphinx-testdata, hand-built broken headers, and property tests on arbitrary bytes.

mod errors;
mod formats;
mod fuzz;
mod vad;

use std::path::{Path, PathBuf};
use std::process::Command;

use fieldvoice::audio::{self, Audio, DecodeOptions};

/// Recorded English speech, 16 kHz s16le mono, from the Debian package pocketsphinx-testdata.
pub const POCKETSPHINX: &str = "/usr/share/pocketsphinx/test/data";

/// Runs a tool (sox, espeak-ng) and fails the test with its stderr if it fails.
pub fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Synthesises `text` with espeak-ng into `dir/name.wav` (22.05 kHz PCM16 mono).
pub fn espeak(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wav"));
    run("espeak-ng", &["-w", path.to_str().unwrap(), text]);
    path
}

/// Decodes a file with default options, failing the test with the error.
pub fn decode_file(path: &Path) -> Audio {
    let bytes = std::fs::read(path).unwrap();
    audio::decode(&bytes, &DecodeOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a pocketsphinx `.raw` recording.
pub fn pocketsphinx_raw(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(Path::new(POCKETSPHINX).join(name)).unwrap();
    let format = audio::RawFormat::PcmS16Le { sample_rate: 16_000 };
    audio::decode_raw(&bytes, format, &DecodeOptions::default()).unwrap().samples
}

/// Normalised cross-correlation of two equally long signals at lag 0.
pub fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        xy += x * y;
        xx += x * x;
        yy += y * y;
    }
    xy / (xx * yy).sqrt()
}
