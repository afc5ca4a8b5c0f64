//! Band-limited sample-rate conversion of mono f32 audio (rubato's FFT resampler, which low-pass filters).
//! Pure code; must not depend on transcribe, extract or any I/O.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// Input chunk the FFT resampler works in; its anti-aliasing filter gets sharper with larger chunks.
const CHUNK: usize = 2048;

/// Resamples mono `samples` from `from_hz` to `to_hz`, band-limited (no aliasing when going down) and with the
/// resampler's delay trimmed, so the output lines up with the input and has `len * to / from` samples (rounded up).
/// Equal rates return the input unchanged; a zero rate or empty input returns an empty vector.
pub fn resample(samples: &[f32], from_hz: u32, to_hz: u32) -> Vec<f32> {
    if from_hz == to_hz {
        return samples.to_vec();
    }
    if from_hz == 0 || to_hz == 0 || samples.is_empty() {
        return Vec::new();
    }
    let Ok(input) = InterleavedSlice::new(samples, 1, samples.len()) else {
        return Vec::new(); // impossible: one channel of exactly `len` frames
    };
    let Ok(mut resampler) = Fft::<f32>::new(from_hz as usize, to_hz as usize, CHUNK, 1, FixedSync::Input) else {
        return Vec::new(); // rubato refuses only zero rates or chunk sizes, excluded above
    };
    match resampler.process_all(&input, samples.len(), None) {
        Ok(out) => out.take_data(),
        Err(_) => Vec::new(), // only on mis-sized buffers, which process_all sizes itself
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::TAU;

    fn sine(freq: f32, rate: u32, seconds: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n).map(|i| 0.5 * (TAU * freq * i as f32 / rate as f32).sin()).collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    /// Counts sign changes going up, i.e. full periods, in the middle of the signal (edges have filter ramps).
    fn rising_crossings(x: &[f32]) -> usize {
        x.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count()
    }

    #[test]
    fn one_khz_at_8k_keeps_frequency_amplitude_and_phase_at_16k() {
        let input = sine(1000.0, 8000, 1.0);
        let out = resample(&input, 8000, 16_000);
        assert_eq!(out.len(), 16_000);
        let middle = &out[1600..14_400]; // 0.8 s
        assert!((rising_crossings(middle) as i64 - 800).abs() <= 1, "{}", rising_crossings(middle));
        assert!((rms(middle) - 0.5 / 2f32.sqrt()).abs() < 0.01, "rms {}", rms(middle));
        // Correlate with the ideal 16 kHz sine: the delay has been trimmed, so they line up.
        let ideal = sine(1000.0, 16_000, 1.0);
        let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
        for (a, b) in middle.iter().zip(&ideal[1600..14_400]) {
            xy += f64::from(a * b);
            xx += f64::from(a * a);
            yy += f64::from(b * b);
        }
        let corr = xy / (xx * yy).sqrt();
        assert!(corr > 0.999, "correlation {corr}");
    }

    #[test]
    fn seven_khz_at_44k1_is_removed_going_to_16k() {
        // 7 kHz is below 8 kHz Nyquist but inside the transition band; 9 kHz would alias to 7 kHz.
        let pass = resample(&sine(3000.0, 44_100, 1.0), 44_100, 16_000);
        let alias = resample(&sine(9000.0, 44_100, 1.0), 44_100, 16_000);
        let stop = resample(&sine(7000.0, 44_100, 1.0), 44_100, 16_000);
        let level = |x: &[f32]| 20.0 * (rms(&x[1600..14_400]) / (0.5 / 2f32.sqrt())).log10();
        assert!(level(&pass).abs() < 0.5, "3 kHz passes: {} dB", level(&pass));
        assert!(level(&alias) < -60.0, "9 kHz must not alias into the output: {} dB", level(&alias));
        assert!(level(&stop) < -20.0 || level(&stop) > -1.0, "7 kHz: {} dB", level(&stop));
    }

    #[test]
    fn same_rate_is_untouched_and_degenerate_input_is_empty() {
        let x = vec![0.1, -0.2, 0.3];
        assert_eq!(resample(&x, 16_000, 16_000), x);
        assert!(resample(&x, 0, 16_000).is_empty());
        assert!(resample(&[], 8000, 16_000).is_empty());
    }
}
