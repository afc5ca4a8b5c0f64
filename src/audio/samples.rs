//! Sample encodings (PCM, float, G.711) and their conversion to mono f32 by averaging channels.
//! Pure code over byte slices; must not depend on transcribe, extract or any I/O.

use audio_codec_algorithms::{decode_alaw, decode_ulaw};

/// How one sample of one channel is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// 8-bit unsigned PCM (128 is silence).
    PcmU8,
    /// 16-bit signed little-endian PCM.
    PcmS16,
    /// 24-bit signed little-endian PCM, packed in 3 bytes.
    PcmS24,
    /// 32-bit signed little-endian PCM.
    PcmS32,
    /// IEEE float, 32 bits.
    Float32,
    /// IEEE float, 64 bits.
    Float64,
    /// G.711 mu-law, one byte.
    MuLaw,
    /// G.711 A-law, one byte.
    ALaw,
}

impl Encoding {
    /// Bytes one sample of one channel takes.
    pub(crate) fn bytes(self) -> usize {
        match self {
            Encoding::PcmU8 | Encoding::MuLaw | Encoding::ALaw => 1,
            Encoding::PcmS16 => 2,
            Encoding::PcmS24 => 3,
            Encoding::PcmS32 | Encoding::Float32 => 4,
            Encoding::Float64 => 8,
        }
    }

    /// Human name used in [`crate::audio::Audio::source_format`].
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::PcmU8 => "PCM 8-bit unsigned",
            Encoding::PcmS16 => "PCM 16-bit",
            Encoding::PcmS24 => "PCM 24-bit",
            Encoding::PcmS32 => "PCM 32-bit",
            Encoding::Float32 => "float 32-bit",
            Encoding::Float64 => "float 64-bit",
            Encoding::MuLaw => "mu-law",
            Encoding::ALaw => "A-law",
        }
    }
}

/// Converts interleaved frames to mono f32 in [-1, 1], averaging the channels.
/// A trailing partial frame is ignored. Allocates only in proportion to `data.len()`.
pub(crate) fn to_mono(data: &[u8], encoding: Encoding, channels: usize) -> Vec<f32> {
    let channels = channels.max(1);
    match encoding {
        Encoding::PcmU8 => mix::<1>(data, channels, |b| (f32::from(b[0]) - 128.0) / 128.0),
        Encoding::PcmS16 => mix::<2>(data, channels, |b| f32::from(i16::from_le_bytes(b)) / 32_768.0),
        Encoding::PcmS24 => mix::<3>(data, channels, |b| {
            // Put the 3 bytes in the top of an i32 so the sign extends, then scale the full i32 range.
            i32::from_le_bytes([0, b[0], b[1], b[2]]) as f32 / 2_147_483_648.0
        }),
        Encoding::PcmS32 => mix::<4>(data, channels, |b| i32::from_le_bytes(b) as f32 / 2_147_483_648.0),
        Encoding::Float32 => mix::<4>(data, channels, |b| sanitise(f32::from_le_bytes(b))),
        Encoding::Float64 => mix::<8>(data, channels, |b| sanitise(f64::from_le_bytes(b) as f32)),
        Encoding::MuLaw => mix::<1>(data, channels, |b| f32::from(decode_ulaw(b[0])) / 32_768.0),
        Encoding::ALaw => mix::<1>(data, channels, |b| f32::from(decode_alaw(b[0])) / 32_768.0),
    }
}

/// Float input may hold NaN, infinities or values past full scale; downstream code (the VAD) needs [-1, 1].
fn sanitise(x: f32) -> f32 {
    if x.is_finite() { x.clamp(-1.0, 1.0) } else { 0.0 }
}

fn mix<const W: usize>(data: &[u8], channels: usize, sample: impl Fn([u8; W]) -> f32) -> Vec<f32> {
    let frame_bytes = W * channels;
    let read = |chunk: &[u8]| {
        let mut b = [0u8; W];
        b.copy_from_slice(chunk);
        sample(b)
    };
    if channels == 1 {
        return data.chunks_exact(W).map(read).collect();
    }
    let scale = 1.0 / channels as f32;
    data.chunks_exact(frame_bytes).map(|frame| frame.chunks_exact(W).map(read).sum::<f32>() * scale).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm_widths_scale_to_full_range() {
        assert_eq!(to_mono(&[0, 128, 255], Encoding::PcmU8, 1), vec![-1.0, 0.0, 127.0 / 128.0]);
        assert_eq!(to_mono(&[0x00, 0x80, 0xff, 0x7f], Encoding::PcmS16, 1), vec![-1.0, 32_767.0 / 32_768.0]);
        assert_eq!(to_mono(&[0x00, 0x00, 0x80, 0x00, 0x00, 0x40], Encoding::PcmS24, 1), vec![-1.0, 0.5]);
        assert_eq!(to_mono(&(-1_073_741_824i32).to_le_bytes(), Encoding::PcmS32, 1), vec![-0.5]);
    }

    #[test]
    fn channels_are_averaged_and_partial_frames_dropped() {
        let mut data = Vec::new();
        for s in [16_384i16, -16_384, 32_767, 32_767] {
            data.extend_from_slice(&s.to_le_bytes());
        }
        data.push(7); // a stray byte of a frame that never finished
        let mono = to_mono(&data, Encoding::PcmS16, 2);
        assert_eq!(mono.len(), 2);
        assert_eq!(mono[0], 0.0);
        assert!((mono[1] - 32_767.0 / 32_768.0).abs() < 1e-6);
    }

    #[test]
    fn float_input_is_made_safe() {
        let mut data = Vec::new();
        for x in [f32::NAN, 2.5, -0.25, f32::NEG_INFINITY] {
            data.extend_from_slice(&x.to_le_bytes());
        }
        assert_eq!(to_mono(&data, Encoding::Float32, 1), vec![0.0, 1.0, -0.25, 0.0]);
        assert_eq!(to_mono(&0.125f64.to_le_bytes(), Encoding::Float64, 1), vec![0.125]);
    }

    #[test]
    fn g711_silence_decodes_near_zero() {
        // 0xFF is mu-law zero, 0xD5 is A-law's smallest positive step.
        assert_eq!(to_mono(&[0xff], Encoding::MuLaw, 1), vec![0.0]);
        let a = to_mono(&[0xd5], Encoding::ALaw, 1)[0];
        assert!(a > 0.0 && a < 0.001, "{a}");
    }
}
