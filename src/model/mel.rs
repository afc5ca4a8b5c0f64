//! The mel filterbank stored in GGML Whisper files: librosa's `filters.mel(sr=16000, n_fft=400, n_mels)` with
//! Slaney mel scale and Slaney area normalisation, exactly as Whisper's own `mel_filters.npz`. Pure arithmetic.

/// Sample rate Whisper works at.
pub const SAMPLE_RATE: f64 = 16_000.0;
/// FFT size Whisper uses (25 ms windows).
pub const N_FFT: usize = 400;
/// Frequency bins per filter (`1 + N_FFT / 2`).
pub const N_BINS: usize = 1 + N_FFT / 2;

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ { MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step() } else { hz / F_SP }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL { MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp() } else { F_SP * mel }
}

/// The filterbank as `n_mels` rows of [`N_BINS`] weights, row-major (the order GGML files store).
pub fn filters(n_mels: usize) -> Vec<f32> {
    // The same floating-point steps as numpy's rfftfreq and linspace, so the f32 results match bit for bit.
    let bin_hz = 1.0 / (N_FFT as f64 * (1.0 / SAMPLE_RATE));
    let fft_freqs: Vec<f64> = (0..N_BINS).map(|k| k as f64 * bin_hz).collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2.0));
    let step = (hi - lo) / (n_mels + 1) as f64;
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(if i == n_mels + 1 { hi } else { lo + i as f64 * step }))
        .collect();
    let mut out = Vec::with_capacity(n_mels * N_BINS);
    for i in 0..n_mels {
        let (down, up) = (mel_f[i + 1] - mel_f[i], mel_f[i + 2] - mel_f[i + 1]);
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for &f in &fft_freqs {
            let lower = -(mel_f[i] - f) / down;
            let upper = (mel_f[i + 2] - f) / up;
            // librosa stores the triangle in float32 first, then scales it in float64: round the same way.
            let w = lower.min(upper).max(0.0) as f32;
            out.push((f64::from(w) * enorm) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filterbank_has_whisper_shape_and_slaney_areas() {
        let f = filters(80);
        assert_eq!(f.len(), 80 * N_BINS);
        assert!(f.iter().all(|w| w.is_finite() && *w >= 0.0));
        // Slaney normalisation: each triangle's area in Hz is 1, so sum(w) * bin width is 1 for wide filters.
        let bin_hz = SAMPLE_RATE / N_FFT as f64;
        let area: f64 = f[79 * N_BINS..].iter().map(|w| f64::from(*w) * bin_hz).sum();
        assert!((area - 1.0).abs() < 0.05, "area of the last filter {area}");
        // The first filter peaks at the second FFT bin (40 Hz) with weight 2 / (mel_f[2] - mel_f[0]).
        let first = &f[..N_BINS];
        let peak = first.iter().cloned().fold(0.0f32, f32::max);
        assert_eq!(first.iter().position(|w| *w == peak), Some(1));
    }

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 440.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }
}
