//! Property tests: `decode` on arbitrary bytes and on mutated or cut valid WAVs returns a result or a typed error,
//! never panics, and never produces more audio than the input bytes can hold (header sizes are not trusted).

use proptest::prelude::*;

use fieldvoice::audio::{DecodeOptions, decode};

use super::errors::{chunk, chunk_claiming, fmt, riff};

/// The most 16 kHz samples `n` input bytes can become: one byte per frame at the lowest rate (4 kHz) gives four
/// output samples per byte, plus the resampler's rounding.
fn max_samples(n: usize) -> usize {
    n * 4 + 16
}

fn check(bytes: &[u8]) {
    if let Ok(audio) = decode(bytes, &DecodeOptions::default()) {
        assert!(
            audio.samples.len() <= max_samples(bytes.len()),
            "{} samples from {} bytes",
            audio.samples.len(),
            bytes.len()
        );
        assert!(audio.samples.iter().all(|s| s.is_finite()));
    }
}

/// A valid WAV with arbitrary format fields and data.
fn wav_strategy() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![1u16, 3, 6, 7, 0xfffe, 2]),
        1u16..=9,
        prop::sample::select(vec![4000u32, 8000, 11_025, 16_000, 44_100, 96_000, 192_000, 1, 0xffff_ffff]),
        prop::sample::select(vec![8u16, 16, 24, 32, 64, 0, 12]),
        prop::collection::vec(any::<u8>(), 0..600),
        prop::sample::select(vec![None, Some(0u32), Some(0xffff_ffff), Some(0x7fff_ffff), Some(3)]),
    )
        .prop_map(|(tag, channels, rate, bits, data, claimed)| {
            let block_align = channels * bits.div_ceil(8);
            let data_chunk = match claimed {
                None => chunk(b"data", &data),
                Some(size) => chunk_claiming(b"data", size, &data),
            };
            riff(b"RIFF", &[chunk(b"fmt ", &fmt(tag, channels, rate, bits, block_align)), data_chunk])
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        check(&bytes);
    }

    #[test]
    fn riff_headed_garbage_never_panics(body in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut bytes = b"RIFF\xff\xff\xff\xffWAVE".to_vec();
        bytes.extend_from_slice(&body);
        check(&bytes);
    }

    #[test]
    fn mutated_and_cut_wavs_never_panic(
        wav in wav_strategy(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        check(&wav);
        let mut mutated = wav.clone();
        for (at, value) in flips {
            let i = at.index(mutated.len());
            mutated[i] = value;
        }
        check(&mutated);
        check(&wav[..cut.index(wav.len() + 1)]);
    }
}
