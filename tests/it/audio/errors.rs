//! Hand-built WAV headers: the container rules (chunk order, padding, RF64, streaming sizes, extensible) and each
//! refusal with its `AudioError` variant and message.

use std::time::Duration;

use fieldvoice::audio::{AudioError, DecodeOptions, RawFormat, decode, decode_raw};

/// One RIFF chunk with its pad byte when the body is odd.
pub fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    chunk_claiming(id, body.len() as u32, body)
}

/// A chunk whose header claims `size` bytes whatever the body holds.
pub fn chunk_claiming(id: &[u8; 4], size: u32, body: &[u8]) -> Vec<u8> {
    let mut c = id.to_vec();
    c.extend_from_slice(&size.to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// A 16-byte fmt body.
pub fn fmt(tag: u16, channels: u16, rate: u32, bits: u16, block_align: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&tag.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    b.extend_from_slice(&block_align.to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    b
}

/// A 40-byte WAVE_FORMAT_EXTENSIBLE fmt body with the given sub-format tag and GUID tail.
fn fmt_extensible(sub_tag: u16, channels: u16, rate: u32, bits: u16, guid_tail: [u8; 14]) -> Vec<u8> {
    let mut b = fmt(0xfffe, channels, rate, bits, channels * bits / 8);
    b.extend_from_slice(&22u16.to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&sub_tag.to_le_bytes());
    b.extend_from_slice(&guid_tail);
    b
}

const PCM_GUID_TAIL: [u8; 14] = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];

/// "RIFF" + size + "WAVE" + chunks.
pub fn riff(magic: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut out = magic.to_vec();
    out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(&body);
    out
}

/// `n` mu-law bytes of a 1 kHz tone at 8 kHz (loud enough that decoding must give non-zero samples).
fn mulaw_tone(n: usize) -> Vec<u8> {
    let pcm: Vec<i16> = (0..n).map(|i| ((i as f32 * 0.785).sin() * 12_000.0) as i16).collect();
    fieldvoice::audio::g711::encode_mulaw(&pcm)
}

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

fn expect_err(bytes: &[u8]) -> AudioError {
    decode(bytes, &opts()).expect_err("must be refused")
}

#[test]
fn chunks_in_any_order_with_odd_padding_and_unknown_chunks() {
    let data = mulaw_tone(801); // odd: the data chunk gets a pad byte
    let plain = riff(b"RIFF", &[chunk(b"fmt ", &fmt(7, 1, 8000, 8, 1)), chunk(b"data", &data)]);
    let reference = decode(&plain, &opts()).unwrap();
    assert_eq!(reference.source_format, "WAV 8000 Hz mu-law 1 ch");
    assert_eq!(reference.samples.len(), 1602);

    let shuffled = riff(
        b"RIFF",
        &[
            chunk(b"LIST", b"INFOISFT\x05\0\0\0sox!\0"), // odd-sized unknown chunk before fmt
            chunk(b"data", &data),                       // data before fmt
            chunk(b"junk", &[1, 2, 3]),
            chunk(b"fmt ", &fmt(7, 1, 8000, 8, 1)),
            chunk(b"fact", &801u32.to_le_bytes()),
        ],
    );
    assert_eq!(decode(&shuffled, &opts()).unwrap(), reference);
}

#[test]
fn streaming_sizes_take_the_data_to_the_end_of_input() {
    let data = mulaw_tone(800);
    let reference =
        decode(&riff(b"RIFF", &[chunk(b"fmt ", &fmt(7, 1, 8000, 8, 1)), chunk(b"data", &data)]), &opts()).unwrap();
    for size in [0u32, 0xffff_ffff] {
        let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt(7, 1, 8000, 8, 1)), chunk_claiming(b"data", size, &data)]);
        assert_eq!(decode(&wav, &opts()).unwrap(), reference, "data size {size:#x}");
    }
}

#[test]
fn a_wav_with_no_samples_decodes_to_empty_audio() {
    // Data size 0 with nothing after it: a recorder that stopped at once. Not an error; nothing to transcribe.
    let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt(1, 1, 16_000, 16, 2)), chunk(b"data", &[])]);
    let audio = decode(&wav, &opts()).unwrap();
    assert!(audio.samples.is_empty());
    assert_eq!(audio.duration_s(), 0.0);
}

#[test]
fn rf64_uses_the_ds64_data_size() {
    let data = mulaw_tone(800);
    let mut ds64 = Vec::new();
    ds64.extend_from_slice(&0u64.to_le_bytes()); // RIFF size, unused
    ds64.extend_from_slice(&800u64.to_le_bytes()); // data size
    ds64.extend_from_slice(&800u64.to_le_bytes()); // sample count
    ds64.extend_from_slice(&0u32.to_le_bytes()); // table length
    let wav = riff(
        b"RF64",
        &[
            chunk(b"ds64", &ds64),
            chunk(b"fmt ", &fmt(7, 1, 8000, 8, 1)),
            chunk_claiming(b"data", 0xffff_ffff, &data),
            chunk(b"LIST", b"trailing metadata that is not audio"),
        ],
    );
    let audio = decode(&wav, &opts()).unwrap();
    assert_eq!(audio.source_format, "RF64 8000 Hz mu-law 1 ch");
    assert_eq!(audio.samples.len(), 1600, "the trailing LIST chunk must not be decoded as samples");
}

#[test]
fn extensible_pcm_decodes_and_unknown_sub_format_is_named() {
    let pcm: Vec<u8> = (0..1600i16).flat_map(|i| (i * 10).to_le_bytes()).collect();
    let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt_extensible(1, 1, 16_000, 16, PCM_GUID_TAIL)), chunk(b"data", &pcm)]);
    let audio = decode(&wav, &opts()).unwrap();
    assert_eq!(audio.source_format, "WAV 16000 Hz PCM 16-bit 1 ch");
    assert_eq!(audio.samples[100], 1000.0 / 32_768.0);

    let mut odd_guid = PCM_GUID_TAIL;
    odd_guid[13] = 0x72;
    let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt_extensible(1, 1, 16_000, 16, odd_guid)), chunk(b"data", &pcm)]);
    assert_eq!(
        expect_err(&wav),
        AudioError::Unsupported("WAVE_FORMAT_EXTENSIBLE sub-format GUID 00000001-0000-0010-8000-00aa00389b72".into())
    );
}

#[test]
fn empty_and_non_audio_inputs() {
    assert_eq!(expect_err(&[]), AudioError::Empty);
    assert_eq!(expect_err(&[]).to_string(), "empty input (0 bytes)");
    assert_eq!(
        expect_err(b"PK\x03\x04\x14\0\0\0\x08\0").to_string(),
        "not audio: starts with bytes 'PK\\x03\\x04' (a zip file?)"
    );
    assert_eq!(expect_err(b"%PDF-1.7\n").to_string(), "not audio: starts with bytes '%PDF' (a PDF file?)");
    assert!(matches!(expect_err(b"ID3\x04\0\0\0\0\0\0"), AudioError::Unsupported(m) if m.contains("MP3")));
    assert!(matches!(expect_err(b"RIFF\0\0"), AudioError::Truncated(m) if m.contains("6 bytes")));
    assert!(matches!(expect_err(b"RIFF\x04\0\0\0AVI LIST"), AudioError::NotAudio(m) if m.contains("not WAVE")));
}

#[test]
fn missing_chunks_and_inconsistent_fmt_are_malformed() {
    let data = chunk(b"data", &[0; 16]);
    assert_eq!(
        expect_err(&riff(b"RIFF", std::slice::from_ref(&data))).to_string(),
        "malformed WAV: no fmt chunk (the chunk that says how samples are stored)"
    );
    assert_eq!(
        expect_err(&riff(b"RIFF", &[chunk(b"fmt ", &fmt(1, 1, 8000, 16, 2))])).to_string(),
        "malformed WAV: no data chunk (the chunk holding the samples)"
    );
    assert_eq!(
        expect_err(&riff(b"RIFF", &[chunk(b"fmt ", &fmt(1, 2, 8000, 16, 2)), data.clone()])).to_string(),
        "malformed WAV: block align 2 is inconsistent with 2 channel(s) of PCM 16-bit (expected 4)"
    );
    assert!(matches!(
        expect_err(&riff(b"RIFF", &[chunk(b"fmt ", &[1, 0, 1, 0]), data])),
        AudioError::Malformed(m) if m == "fmt chunk is 4 bytes, needs at least 16"
    ));
}

#[test]
fn truncated_data_names_claimed_and_present_sizes() {
    let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt(1, 1, 16_000, 16, 2)), chunk_claiming(b"data", 32_000, &[0; 100])]);
    assert_eq!(expect_err(&wav), AudioError::Truncated("data chunk claims 32000 bytes, 100 present".into()));
    // Even 99% present is refused: a cut upload must be re-sent, not half transcribed.
    let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt(1, 1, 16_000, 16, 2)), chunk_claiming(b"data", 1000, &[0; 990])]);
    assert!(matches!(expect_err(&wav), AudioError::Truncated(_)));
    let cut_fmt = riff(b"RIFF", &[chunk_claiming(b"fmt ", 16, &fmt(1, 1, 16_000, 16, 2)[..10])]);
    assert_eq!(expect_err(&cut_fmt), AudioError::Truncated("fmt chunk claims 16 bytes, 10 present".into()));
}

#[test]
fn unsupported_codecs_rates_and_channel_counts_are_named() {
    let data = chunk(b"data", &[0; 64]);
    let cases: &[(Vec<u8>, &str)] = &[
        (fmt(2, 1, 8000, 4, 256), "format tag 0x0002 (Microsoft ADPCM)"),
        (fmt(0x11, 1, 8000, 4, 256), "format tag 0x0011 (IMA ADPCM)"),
        (fmt(0x31, 1, 8000, 0, 65), "format tag 0x0031 (GSM 6.10)"),
        (fmt(0x55, 2, 44_100, 0, 1), "format tag 0x0055 (MPEG Layer 3 (MP3))"),
        (fmt(3, 1, 8000, 16, 2), "IEEE float with 16 bits per sample"),
        (fmt(7, 1, 8000, 16, 2), "G.711 mu-law with 16 bits per sample"),
        (fmt(1, 9, 8000, 16, 18), "9 channels (1 to 8 are read)"),
        (fmt(1, 1, 3000, 16, 2), "sample rate 3000 Hz (4000 to 192000 Hz are read)"),
        (fmt(1, 1, 384_000, 16, 2), "sample rate 384000 Hz (4000 to 192000 Hz are read)"),
    ];
    for (f, message) in cases {
        let wav = riff(b"RIFF", &[chunk(b"fmt ", f), data.clone()]);
        assert_eq!(expect_err(&wav), AudioError::Unsupported((*message).into()));
    }
}

#[test]
fn too_long_is_refused_from_the_header_before_decoding() {
    let limit = DecodeOptions { max_duration: Duration::from_secs(1) };
    // 1.5 s of 8 kHz mu-law.
    let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt(7, 1, 8000, 8, 1)), chunk(b"data", &mulaw_tone(12_000))]);
    let err = decode(&wav, &limit).unwrap_err();
    assert_eq!(err, AudioError::TooLong { actual_s: 1.5, limit_s: 1.0 });
    assert_eq!(err.to_string(), "too long: 1.5 s exceeds the limit of 1 s");
    assert_eq!(
        decode(&wav[..wav.len() - 8000], &DecodeOptions { max_duration: Duration::from_secs(2) }).map(|_| ()),
        Err(AudioError::Truncated("data chunk claims 12000 bytes, 4000 present".into()))
    );
    // Exactly at the limit is fine.
    let wav = riff(b"RIFF", &[chunk(b"fmt ", &fmt(7, 1, 8000, 8, 1)), chunk(b"data", &mulaw_tone(8000))]);
    assert_eq!(decode(&wav, &limit).unwrap().samples.len(), 16_000);
    let raw = decode_raw(&mulaw_tone(12_000), RawFormat::MuLaw { sample_rate: 8000 }, &limit);
    assert!(matches!(raw, Err(AudioError::TooLong { .. })));
}

#[test]
fn raw_input_checks() {
    let o = opts();
    assert_eq!(decode_raw(&[], RawFormat::ALaw { sample_rate: 8000 }, &o), Err(AudioError::Empty));
    assert!(matches!(
        decode_raw(&[0; 10], RawFormat::PcmS16Le { sample_rate: 1000 }, &o),
        Err(AudioError::Unsupported(m)) if m.contains("1000 Hz")
    ));
    // A trailing odd byte of s16le is ignored rather than read past.
    let audio = decode_raw(&[0, 0x40, 0, 0xc0, 7], RawFormat::PcmS16Le { sample_rate: 16_000 }, &o).unwrap();
    assert_eq!(audio.samples, vec![0.5, -0.5]);
}
