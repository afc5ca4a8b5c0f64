//! Every supported WAV encoding, rate and channel layout, made by sox from real (espeak-ng) speech, decodes to
//! what sox's own conversion to 16 kHz mono gives.

use fieldvoice::audio::{self, DecodeOptions, RawFormat};

use super::{correlation, decode_file, espeak, run};

/// Converts `src` with sox using `args`, then compares our decode with sox's own 16 kHz mono float conversion
/// of the same file. Returns the decoded description.
fn compare_with_sox(dir: &std::path::Path, src: &str, name: &str, args: &[&str]) -> String {
    let file = dir.join(format!("{name}.wav"));
    let reference = dir.join(format!("{name}-ref.wav"));
    let mut sox_args = vec![src];
    sox_args.extend_from_slice(args);
    sox_args.push(file.to_str().unwrap());
    run("sox", &sox_args);
    let f = file.to_str().unwrap();
    let r = reference.to_str().unwrap();
    run("sox", &[f, "-r", "16000", "-c", "1", "-e", "floating-point", "-b", "32", r]);

    let ours = decode_file(&file);
    let theirs = decode_file(&reference);
    assert!(theirs.source_format.contains("16000 Hz float 32-bit"), "{}", theirs.source_format);
    let diff = ours.samples.len().abs_diff(theirs.samples.len());
    assert!(diff <= 2, "{name}: {} samples vs sox {}", ours.samples.len(), theirs.samples.len());
    let n = ours.samples.len().min(theirs.samples.len());
    let corr = correlation(&ours.samples[..n], &theirs.samples[..n]);
    // Measured 0.9997 or better for every case; a half-sample misalignment of the resampler gave 0.986.
    assert!(corr > 0.999, "{name} ({}): correlation with sox {corr:.4}", ours.source_format);
    ours.source_format
}

#[test]
fn each_encoding_rate_and_layout_matches_sox() {
    let dir = tempfile::tempdir().unwrap();
    let speech = espeak(dir.path(), "speech", "The compressor on unit four was replaced on Tuesday.");
    let speech = speech.to_str().unwrap();
    // A second, different channel for the stereo and multichannel cases: the same speech reversed.
    let reversed = dir.path().join("reversed.wav");
    run("sox", &[speech, reversed.to_str().unwrap(), "reverse"]);
    let stereo = dir.path().join("stereo.wav");
    run("sox", &["-M", speech, reversed.to_str().unwrap(), stereo.to_str().unwrap()]);
    let stereo = stereo.to_str().unwrap();

    let cases: &[(&str, &str, &[&str], &str)] = &[
        ("u8-8k", speech, &["-r", "8000", "-e", "unsigned", "-b", "8"], "WAV 8000 Hz PCM 8-bit unsigned 1 ch"),
        ("s16-16k", speech, &["-r", "16000", "-e", "signed", "-b", "16"], "WAV 16000 Hz PCM 16-bit 1 ch"),
        ("s16-44k1", speech, &["-r", "44100", "-b", "16"], "WAV 44100 Hz PCM 16-bit 1 ch"),
        ("s24-48k", speech, &["-r", "48000", "-b", "24"], "WAV 48000 Hz PCM 24-bit 1 ch"),
        ("s32-8k", speech, &["-r", "8000", "-e", "signed", "-b", "32"], "WAV 8000 Hz PCM 32-bit 1 ch"),
        ("f32-44k1", speech, &["-r", "44100", "-e", "floating-point", "-b", "32"], "WAV 44100 Hz float 32-bit 1 ch"),
        ("s16-22k", speech, &["-b", "16"], "WAV 22050 Hz PCM 16-bit 1 ch"),
        ("f64-22k", speech, &["-e", "floating-point", "-b", "64"], "WAV 22050 Hz float 64-bit 1 ch"),
        ("ulaw-8k", speech, &["-r", "8000", "-e", "u-law"], "WAV 8000 Hz mu-law 1 ch"),
        ("alaw-8k", speech, &["-r", "8000", "-e", "a-law"], "WAV 8000 Hz A-law 1 ch"),
        ("ulaw-44k1", speech, &["-r", "44100", "-e", "u-law"], "WAV 44100 Hz mu-law 1 ch"),
        ("stereo-s16-44k1", stereo, &["-r", "44100", "-b", "16"], "WAV 44100 Hz PCM 16-bit 2 ch"),
        ("stereo-ulaw-8k", stereo, &["-r", "8000", "-e", "u-law"], "WAV 8000 Hz mu-law 2 ch"),
        ("stereo-s24-96k", stereo, &["-r", "96000", "-b", "24"], "WAV 96000 Hz PCM 24-bit 2 ch"),
        ("six-ch-s16-11k", stereo, &["-r", "11025", "-c", "6"], "WAV 11025 Hz PCM 16-bit 6 ch"),
        // No common factor with 16 kHz to speak of: goes through the sinc resampler, not the FFT one.
        ("s16-44101", speech, &["-r", "44101", "-b", "16"], "WAV 44101 Hz PCM 16-bit 1 ch"),
        ("s16-4k", speech, &["-r", "4000", "-b", "16"], "WAV 4000 Hz PCM 16-bit 1 ch"),
    ];
    for (name, src, args, expected) in cases {
        assert_eq!(compare_with_sox(dir.path(), src, name, args), *expected, "{name}");
    }
    // sox writes WAVE_FORMAT_EXTENSIBLE (tag 0xFFFE) for 24-bit and for more than two channels: those
    // cases went through the sub-format GUID path.
    for name in ["s24-48k", "six-ch-s16-11k"] {
        let bytes = std::fs::read(dir.path().join(format!("{name}.wav"))).unwrap();
        assert_eq!(&bytes[20..22], &[0xfe, 0xff], "{name}");
    }
}

#[test]
fn sixteen_khz_pcm16_passes_through_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let speech = espeak(dir.path(), "speech", "Serial number four four seven one.");
    let file = dir.path().join("s16.wav");
    run("sox", &[speech.to_str().unwrap(), "-r", "16000", "-b", "16", file.to_str().unwrap()]);
    let bytes = std::fs::read(&file).unwrap();
    let decoded = audio::decode(&bytes, &DecodeOptions::default()).unwrap();
    let reader = hound::WavReader::new(std::io::Cursor::new(&bytes)).unwrap();
    let expected: Vec<f32> = reader.into_samples::<i16>().map(|s| f32::from(s.unwrap()) / 32_768.0).collect();
    assert_eq!(decoded.samples, expected);
}

#[test]
fn raw_g711_and_pcm_streams_match_their_wav_twins() {
    let dir = tempfile::tempdir().unwrap();
    let speech = espeak(dir.path(), "speech", "Press one for sales.");
    for (enc, ext, format) in [
        ("u-law", "ul", RawFormat::MuLaw { sample_rate: 8000 }),
        ("a-law", "al", RawFormat::ALaw { sample_rate: 8000 }),
        ("signed", "s16", RawFormat::PcmS16Le { sample_rate: 8000 }),
    ] {
        let wav = dir.path().join(format!("{ext}.wav"));
        let raw = dir.path().join(format!("x.{ext}"));
        let s = speech.to_str().unwrap();
        run("sox", &[s, "-r", "8000", "-e", enc, "-b", if ext == "s16" { "16" } else { "8" }, wav.to_str().unwrap()]);
        run("sox", &[wav.to_str().unwrap(), "-t", "raw", raw.to_str().unwrap()]);
        let from_wav = decode_file(&wav);
        let from_raw = audio::decode_raw(&std::fs::read(&raw).unwrap(), format, &DecodeOptions::default()).unwrap();
        assert_eq!(from_raw.samples, from_wav.samples, "{enc}");
        assert!(from_raw.source_format.starts_with("raw 8000 Hz"), "{}", from_raw.source_format);
    }
}

#[test]
fn our_wav_writer_and_g711_encoder_round_trip_through_decode() {
    let dir = tempfile::tempdir().unwrap();
    let speech = decode_file(&espeak(dir.path(), "speech", "Read back: pressure thirty two psi."));
    let wav = audio::encode_wav_pcm16(&speech.samples, 16_000).unwrap();
    let back = audio::decode(&wav, &DecodeOptions::default()).unwrap();
    assert!(correlation(&back.samples, &speech.samples) > 0.9999);

    // To a phone line and back: 8 kHz mu-law, as telephony will send it.
    let narrow = audio::resample(&speech.samples, 16_000, 8000);
    let mulaw = audio::g711::encode_mulaw(&audio::g711::f32_to_i16(&narrow));
    let heard = audio::decode_raw(&mulaw, RawFormat::MuLaw { sample_rate: 8000 }, &DecodeOptions::default()).unwrap();
    // Speech energy is mostly below 4 kHz, so the narrowband copy stays close.
    let n = heard.samples.len().min(speech.samples.len());
    let corr = correlation(&heard.samples[..n], &speech.samples[..n]);
    assert!(corr > 0.9, "telephone-band round trip correlation {corr:.3}");
}
