//! Band-limited sample-rate conversion of mono f32 audio with rubato's FFT resampler (sharp anti-aliasing, delay
//! trimmed exactly). Pure code; must not depend on transcribe, extract or any I/O.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};

/// Input chunk the FFT resampler works in. It is processed as one FFT block (no sub-chunks): the anti-aliasing
/// filter's transition band narrows with the block, so 44.1 kHz -> 16 kHz passes 7.8 kHz at -0.2 dB and stops
/// 8.5 kHz and up by 60 dB, where rubato's default 256-frame sub-chunks already cut 7.5 kHz by 18 dB.
const CHUNK: usize = 2048;
/// Largest FFT block allowed. Rates with little in common with the target need a block of twice the rate
/// (191,999 Hz: 383,998 frames; resampling one second of it peaked at 44 MB resident, the worst any WAV `decode`
/// accepts can cause, whatever its size; every common rate needs a block under 3,000 frames). rubato's sinc resampler would avoid the big block, but it
/// trims its delay only to the nearest output sample (measured 0.3 to 0.6 samples early, correlation with sox
/// 0.97) and does not band-limit large ratios (2 MHz to 16 kHz let a 12 kHz tone through at -4 dB).
const MAX_FFT_BLOCK: usize = 1 << 21;
/// Highest rate handled: any pair of rates up to this needs a block within [`MAX_FFT_BLOCK`].
pub const MAX_RESAMPLE_RATE: u32 = 1 << 20;

/// Resamples mono `samples` from `from_hz` to `to_hz`, band-limited (no aliasing when going down) and with the
/// resampler's delay trimmed, so the output lines up with the input and has `len * to / from` samples (rounded up).
/// Equal rates return the input unchanged. A zero rate, a rate above [`MAX_RESAMPLE_RATE`] (1,048,576 Hz; no
/// recording comes near it and `decode` refuses anything above 192 kHz) or empty input returns an empty vector.
pub fn resample(samples: &[f32], from_hz: u32, to_hz: u32) -> Vec<f32> {
    if from_hz == to_hz {
        return samples.to_vec();
    }
    let Some(mut resampler) = fft(from_hz, to_hz, CHUNK) else {
        return Vec::new(); // a zero or absurd rate
    };
    let Ok(input) = InterleavedSlice::new(samples, 1, samples.len()) else {
        return Vec::new(); // impossible: one channel of exactly `len` frames
    };
    if samples.is_empty() {
        return Vec::new();
    }
    // process_all sizes its own buffers, so it cannot fail here.
    match resampler.process_all(&input, samples.len(), None) {
        Ok(out) => out.take_data(),
        Err(_) => Vec::new(),
    }
}

/// rubato's FFT resampler for one channel with an input block near `target` frames, or None past the limits.
pub(crate) fn fft(from_hz: u32, to_hz: u32, target: usize) -> Option<Fft<f32>> {
    let valid = 1..=MAX_RESAMPLE_RATE;
    if !valid.contains(&from_hz) || !valid.contains(&to_hz) {
        return None;
    }
    let (from, to) = (from_hz as usize, to_hz as usize);
    let block = block_in(from, to, target);
    if block > MAX_FFT_BLOCK {
        return None; // unreachable for rates within MAX_RESAMPLE_RATE (tested below); never allocate past it
    }
    Fft::<f32>::new_custom(from, to, block, 1, 1, WindowFunction::BlackmanHarris2, FixedSync::Input).ok()
}

/// The FFT input block near `target` frames where both the input and the output block are even. rubato trims a
/// delay of half a block; an odd block leaves the output half a sample late, which smears the top of the band
/// (against sox, 48 kHz -> 16 kHz correlated 0.989 and 22.05 kHz 0.986 before this).
fn block_in(from: usize, to: usize, target: usize) -> usize {
    let gcd = gcd(from, to);
    let (unit_in, unit_out) = (from / gcd, to / gcd);
    let mut units = target.div_ceil(unit_in).max(1);
    if (units * unit_out) % 2 == 1 || (units * unit_in) % 2 == 1 {
        units += 1;
    }
    units * unit_in
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
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
    fn going_down_to_16k_passes_the_band_and_stops_what_would_alias() {
        let level = |freq: f32| {
            let out = resample(&sine(freq, 44_100, 1.0), 44_100, 16_000);
            assert_eq!(out.len(), 16_000);
            20.0 * (rms(&out[1600..14_400]) / (0.5 / 2f32.sqrt())).log10()
        };
        // Below the new 8 kHz Nyquist frequency: kept at full level, 7 kHz included.
        for f in [300.0, 3000.0, 7000.0] {
            assert!(level(f).abs() < 0.5, "{f} Hz: {} dB", level(f));
        }
        // Above it: a naive decimator would fold 9 kHz to 7 kHz and 12 kHz to 4 kHz; here they are removed.
        for f in [8500.0, 9000.0, 12_000.0, 20_000.0] {
            assert!(level(f) < -55.0, "{f} Hz must not alias: {} dB", level(f));
        }
    }

    /// Phase of a sine of `freq` in `y` relative to the ideal 16 kHz sine, in output samples (positive: early).
    fn offset_samples(y: &[f32], freq: f32) -> f64 {
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for (i, v) in y.iter().enumerate().take(14_400).skip(1600) {
            let w = std::f64::consts::TAU * f64::from(freq) * i as f64 / 16_000.0;
            s += f64::from(*v) * w.sin();
            c += f64::from(*v) * w.cos();
        }
        c.atan2(s) / std::f64::consts::TAU * 16_000.0 / f64::from(freq)
    }

    #[test]
    fn regression_half_sample_lag_with_odd_fft_blocks() {
        // rubato trims half an FFT block of delay; odd blocks (22.05 and 48 kHz with the first choice of block)
        // left the output half a sample off, which lowered correlation with sox to 0.986.
        for from in [4000u32, 8000, 11_025, 22_050, 32_000, 44_100, 48_000, 96_000] {
            let out = resample(&sine(1000.0, from, 1.0), from, 16_000);
            let offset = offset_samples(&out, 1000.0);
            assert!(offset.abs() < 0.01, "{from} Hz: {offset:.3} samples off");
        }
    }

    #[test]
    fn rates_with_no_common_factor_stay_aligned_and_band_limited() {
        // 44,101 and 191,999 Hz share almost nothing with 16 kHz: the FFT block is 88,202 / 383,998 frames.
        for from in [44_101u32, 191_999] {
            let out = resample(&sine(1000.0, from, 1.0), from, 16_000);
            assert!(out.len().abs_diff(16_000) <= 1, "{from}: {}", out.len());
            let middle = &out[1600..14_400];
            assert!((rising_crossings(middle) as i64 - 800).abs() <= 1, "{from}");
            assert!((rms(middle) - 0.5 / 2f32.sqrt()).abs() < 0.01, "{from}: rms {}", rms(middle));
            let offset = offset_samples(&out, 1000.0);
            assert!(offset.abs() < 0.01, "{from}: {offset:.3} samples off");
            let alias = resample(&sine(12_000.0, from, 1.0), from, 16_000);
            assert!(rms(&alias[1600..14_400]) < 0.5 / 2f32.sqrt() / 300.0, "{from}: 12 kHz leaks");
        }
    }

    #[test]
    fn blocks_have_an_even_output_side() {
        assert_eq!(block_in(48_000, 16_000, CHUNK), 2052); // 684 out
        assert_eq!(block_in(44_100, 16_000, CHUNK), 2646); // 960 out
        assert_eq!(block_in(8000, 16_000, CHUNK), 2048);
        for from in [4000, 8000, 11_025, 22_050, 32_000, 44_100, 48_000, 96_000, 192_000, 12_345] {
            let b = block_in(from, 16_000, CHUNK);
            assert_eq!((b * 16_000 / from) % 2, 0, "{from}");
            assert_eq!(b % 2, 0, "{from}");
        }
    }

    #[test]
    fn same_rate_is_untouched_and_degenerate_input_is_empty() {
        let x = vec![0.1, -0.2, 0.3];
        assert_eq!(resample(&x, 16_000, 16_000), x);
        assert!(resample(&x, 0, 16_000).is_empty());
        assert!(resample(&[], 8000, 16_000).is_empty());
        assert!(resample(&x, 4_000_000_007, 16_000).is_empty());
        // The worst pair allowed still fits the block limit.
        assert!(block_in(MAX_RESAMPLE_RATE as usize - 1, MAX_RESAMPLE_RATE as usize, CHUNK) <= MAX_FFT_BLOCK);
    }
}
