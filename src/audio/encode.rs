//! Writes mono f32 samples as an in-memory 16-bit PCM WAV (hound), for storing recordings.
//! Pure code (no file I/O: returns bytes); must not depend on transcribe, extract or model.

use std::io::Cursor;

use super::AudioError;
use super::g711::f32_to_i16;

/// Encodes mono samples in [-1, 1] at `sample_rate` as a 16-bit PCM WAV file in memory.
/// Fails only if the rate is zero or the data exceeds the 4 GiB a RIFF chunk can describe.
pub fn encode_wav_pcm16(samples: &[f32], sample_rate: u32) -> Result<Vec<u8>, AudioError> {
    let fail = |e: hound::Error| AudioError::Encode(format!("16-bit WAV at {sample_rate} Hz: {e}"));
    if sample_rate == 0 {
        return Err(AudioError::Encode("sample rate 0 Hz".into()));
    }
    if samples.len() > (u32::MAX as usize - 64) / 2 {
        return Err(AudioError::Encode(format!("{} samples do not fit a RIFF file", samples.len())));
    }
    let spec =
        hound::WavSpec { channels: 1, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut out = Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    let mut writer = hound::WavWriter::new(&mut out, spec).map_err(fail)?;
    for s in f32_to_i16(samples) {
        writer.write_sample(s).map_err(fail)?;
    }
    writer.finalize().map_err(fail)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_wav_hound_reads_back() {
        let samples = [0.0, 0.5, -0.5, 1.0];
        let bytes = encode_wav_pcm16(&samples, 8000).unwrap();
        assert_eq!(bytes.len(), 44 + 8);
        let reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        assert_eq!(reader.spec().sample_rate, 8000);
        let back: Vec<i16> = reader.into_samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(back, vec![0, 16_384, -16_384, 32_767]);
        assert!(matches!(encode_wav_pcm16(&samples, 0), Err(AudioError::Encode(_))));
    }
}
