//! G.711 mu-law and A-law companding of whole buffers (thin wrappers on `audio-codec-algorithms`), for telephony.
//! Pure code; must not depend on transcribe, extract or any I/O.

use audio_codec_algorithms as codec;

/// Encodes 16-bit linear samples as G.711 mu-law, one byte per sample.
pub fn encode_mulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| codec::encode_ulaw(s)).collect()
}

/// Decodes G.711 mu-law bytes to 16-bit linear samples.
pub fn decode_mulaw(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| codec::decode_ulaw(b)).collect()
}

/// Encodes 16-bit linear samples as G.711 A-law, one byte per sample.
pub fn encode_alaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| codec::encode_alaw(s)).collect()
}

/// Decodes G.711 A-law bytes to 16-bit linear samples.
pub fn decode_alaw(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| codec::decode_alaw(b)).collect()
}

/// Converts f32 samples in [-1, 1] to 16-bit linear, clamping out-of-range values and mapping NaN to 0.
pub fn f32_to_i16(samples: &[f32]) -> Vec<i16> {
    samples.iter().map(|&x| (x.clamp(-1.0, 1.0) * 32_767.0).round() as i16).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mulaw_round_trip_stays_within_one_quantisation_step() {
        let ramp: Vec<i16> = (-32_768..=32_767).step_by(97).map(|v| v as i16).collect();
        let back = decode_mulaw(&encode_mulaw(&ramp));
        for (a, b) in ramp.iter().zip(&back) {
            let (a, b) = (i32::from(*a), i32::from(*b));
            // mu-law steps grow with level: 1/16 of the magnitude bounds the error.
            assert!((a - b).abs() <= (a.abs() / 16).max(4) + 132, "{a} -> {b}");
        }
        assert_eq!(encode_mulaw(&[0]), vec![0xff]);
    }

    #[test]
    fn alaw_round_trip_stays_within_one_quantisation_step() {
        let ramp: Vec<i16> = (-32_768..=32_767).step_by(89).map(|v| v as i16).collect();
        let back = decode_alaw(&encode_alaw(&ramp));
        for (a, b) in ramp.iter().zip(&back) {
            let (a, b) = (i32::from(*a), i32::from(*b));
            assert!((a - b).abs() <= (a.abs() / 16).max(16), "{a} -> {b}");
        }
        assert_eq!(encode_alaw(&[0]), vec![0xd5]);
    }

    #[test]
    fn float_conversion_clamps() {
        assert_eq!(f32_to_i16(&[0.0, 1.5, -1.5, f32::NAN, 0.5]), vec![0, 32_767, -32_767, 0, 16_384]);
    }
}
