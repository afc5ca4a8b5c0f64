//! Streaming sample-rate conversion for live audio (RTP packets, microphone callbacks): push small buffers, get
//! resampled audio back with a short fixed latency. Pure code; must not depend on transcribe, extract or any I/O.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, Indexing, Resampler};

use super::AudioError;
use super::resample::{MAX_RESAMPLE_RATE, fft};

/// Input block targeted, in frames: 256 at 8 kHz is 32 ms of latency, small enough for end-of-turn detection.
const STREAM_BLOCK: usize = 256;

/// Resamples a live mono stream. The output lines up with [`super::resample`] of the whole stream: the
/// resampler's startup delay is trimmed, and [`ResampleStream::finish`] flushes the tail.
pub struct ResampleStream {
    /// None when the rates are equal: samples pass through.
    resampler: Option<Fft<f32>>,
    from_hz: u32,
    to_hz: u32,
    pending: Vec<f32>,
    to_trim: usize,
    pushed: u64,
    produced: u64,
}

impl ResampleStream {
    /// A stream from `from_hz` to `to_hz`; both must be between 1 Hz and [`MAX_RESAMPLE_RATE`].
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self, AudioError> {
        let resampler = if from_hz == to_hz && from_hz > 0 {
            None
        } else {
            let r = fft(from_hz, to_hz, STREAM_BLOCK).ok_or_else(|| {
                AudioError::Unsupported(format!(
                    "resampling {from_hz} Hz to {to_hz} Hz (rates from 1 to {MAX_RESAMPLE_RATE} Hz)"
                ))
            })?;
            Some(r)
        };
        let to_trim = resampler.as_ref().map_or(0, |r| r.output_delay());
        Ok(Self { resampler, from_hz, to_hz, pending: Vec::new(), to_trim, pushed: 0, produced: 0 })
    }

    /// Feeds samples; returns whatever output whole blocks now allow (possibly nothing).
    pub fn push(&mut self, samples: &[f32]) -> Vec<f32> {
        self.pushed += samples.len() as u64;
        let Some(resampler) = self.resampler.as_mut() else {
            self.produced += samples.len() as u64;
            return samples.to_vec();
        };
        self.pending.extend_from_slice(samples);
        let mut out = Vec::new();
        let need = resampler.input_frames_next();
        let mut start = 0;
        while self.pending.len() - start >= need {
            let chunk = run(resampler, &self.pending[start..start + need], None);
            start += need;
            emit(chunk, &mut self.to_trim, &mut self.produced, &mut out);
        }
        self.pending.drain(..start);
        out
    }

    /// Ends the stream: resamples what is buffered and the resampler's tail, so that in total
    /// `ceil(pushed * to / from)` samples have come out.
    pub fn finish(&mut self) -> Vec<f32> {
        let expected = (u128::from(self.pushed) * u128::from(self.to_hz)).div_ceil(u128::from(self.from_hz.max(1)));
        let expected = u64::try_from(expected).unwrap_or(u64::MAX);
        let Some(resampler) = self.resampler.as_mut() else { return Vec::new() };
        let need = resampler.input_frames_next();
        let mut out = Vec::new();
        let mut rest = std::mem::take(&mut self.pending);
        let valid = rest.len();
        rest.resize(need, 0.0);
        let mut chunk = run(resampler, &rest, Some(valid));
        loop {
            emit(chunk, &mut self.to_trim, &mut self.produced, &mut out);
            if self.produced >= expected {
                break;
            }
            // Zeros push the samples still inside the filter out.
            chunk = run(resampler, &vec![0.0; need], Some(0));
            if chunk.is_empty() {
                break;
            }
        }
        let surplus = (self.produced - expected.min(self.produced)) as usize;
        out.truncate(out.len().saturating_sub(surplus));
        self.produced -= surplus as u64;
        out
    }
}

/// Appends a chunk of output, dropping what is left of the startup delay first.
fn emit(mut chunk: Vec<f32>, to_trim: &mut usize, produced: &mut u64, out: &mut Vec<f32>) {
    let trim = (*to_trim).min(chunk.len());
    *to_trim -= trim;
    chunk.drain(..trim);
    *produced += chunk.len() as u64;
    out.extend_from_slice(&chunk);
}

/// One block through the resampler; `valid` marks a final, partly filled block.
fn run(resampler: &mut Fft<f32>, block: &[f32], valid: Option<usize>) -> Vec<f32> {
    let Ok(input) = InterleavedSlice::new(block, 1, block.len()) else { return Vec::new() };
    let indexing = valid.map(|n| Indexing::new().partial_len(n));
    // The block is exactly input_frames_next() long and process() sizes its output: it cannot fail.
    resampler.process(&input, indexing.as_ref()).map(|o| o.take_data()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::resample;

    fn speechlike(rate: u32, seconds: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                0.3 * (std::f32::consts::TAU * (150.0 + 40.0 * (5.0 * t).sin()) * t).sin()
                    + 0.1 * (std::f32::consts::TAU * 1700.0 * t).sin() * (3.0 * t).sin()
            })
            .collect()
    }

    fn streamed(input: &[f32], from: u32, to: u32, packet: usize) -> Vec<f32> {
        let mut stream = ResampleStream::new(from, to).unwrap();
        let mut out = Vec::new();
        for p in input.chunks(packet) {
            out.extend(stream.push(p));
        }
        out.extend(stream.finish());
        out
    }

    #[test]
    fn packets_give_the_same_audio_as_one_shot_resampling() {
        for (from, to, packet) in [(8000, 16_000, 160), (16_000, 8000, 320), (44_100, 16_000, 441), (48_000, 16_000, 1)]
        {
            let input = speechlike(from, 1.3);
            let whole = resample(&input, from, to);
            let parts = streamed(&input, from, to, packet);
            assert_eq!(parts.len(), whole.len(), "{from}->{to}");
            // Different block sizes give slightly different filters; measured 59 to 70 dB apart.
            let err: f32 = parts.iter().zip(&whole).map(|(a, b)| (a - b) * (a - b)).sum();
            let energy: f32 = whole.iter().map(|b| b * b).sum();
            assert!(10.0 * (energy / err).log10() > 50.0, "{from}->{to}: SNR {} dB", 10.0 * (energy / err).log10());
        }
    }

    #[test]
    fn latency_is_one_block_and_equal_rates_pass_through() {
        let mut stream = ResampleStream::new(8000, 16_000).unwrap();
        let mut first_output_after = None;
        for (i, p) in speechlike(8000, 0.5).chunks(160).enumerate() {
            if !stream.push(p).is_empty() && first_output_after.is_none() {
                first_output_after = Some((i + 1) * 20);
            }
        }
        let ms = first_output_after.unwrap();
        // One 256-frame block (32 ms) must be in before anything comes out; with 20 ms packets that is 40 ms.
        assert!(ms <= 40, "first output after {ms} ms");

        let mut same = ResampleStream::new(16_000, 16_000).unwrap();
        assert_eq!(same.push(&[0.1, 0.2]), vec![0.1, 0.2]);
        assert!(same.finish().is_empty());
        assert!(matches!(ResampleStream::new(0, 16_000), Err(AudioError::Unsupported(_))));
    }
}
