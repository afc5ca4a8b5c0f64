//! RIFF/WAVE (and RF64/BW64) container parser: walks the chunks, validates `fmt `, and finds the sample bytes.
//! Never trusts header sizes for allocation: it only slices the input. Pure code; no I/O, no transcribe/extract.

use super::samples::Encoding;
use super::{AudioError, sniff};

/// The parts of a WAV file needed to decode it, borrowing the sample bytes from the input.
#[derive(Debug)]
pub(crate) struct Wav<'a> {
    pub(crate) container: &'static str,
    pub(crate) encoding: Encoding,
    pub(crate) channels: u16,
    pub(crate) sample_rate: u32,
    /// Bytes of one frame (all channels).
    pub(crate) block_align: usize,
    /// Sample bytes; may end in a partial frame, which decoding ignores.
    pub(crate) data: &'a [u8],
}

const WAVE_FORMAT_PCM: u16 = 1;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 3;
const WAVE_FORMAT_ALAW: u16 = 6;
const WAVE_FORMAT_MULAW: u16 = 7;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xfffe;
/// Bytes 2..16 of every standard KSDATAFORMAT_SUBTYPE GUID; bytes 0..2 hold the format tag.
const SUBTYPE_GUID_TAIL: [u8; 14] = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
/// A data size writers put in the header while still streaming, or when the real size lives in `ds64`.
const SIZE_UNKNOWN: u32 = 0xffff_ffff;

/// Sample rates and channel counts accepted.
pub(crate) const RATE_RANGE: std::ops::RangeInclusive<u32> = 4_000..=192_000;
pub(crate) const MAX_CHANNELS: u16 = 8;

struct Fmt {
    encoding: Encoding,
    channels: u16,
    sample_rate: u32,
    block_align: usize,
}

/// Parses the container. Errors name the chunk and the numbers involved.
pub(crate) fn parse(bytes: &[u8]) -> Result<Wav<'_>, AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::Empty);
    }
    let container = match (bytes.get(0..4), bytes.get(8..12)) {
        (Some(b"RIFF"), Some(b"WAVE")) => "WAV",
        (Some(b"RF64"), Some(b"WAVE")) => "RF64",
        (Some(b"BW64"), Some(b"WAVE")) => "BW64",
        _ if bytes.len() < 12 && (bytes.starts_with(b"RIFF") || b"RIFF".starts_with(bytes)) => {
            return Err(AudioError::Truncated(format!("{} bytes, shorter than the 12-byte RIFF header", bytes.len())));
        }
        _ => return Err(sniff::refuse(bytes)),
    };
    let is_64 = container != "WAV";

    let mut fmt = None;
    let mut data = None;
    let mut ds64_data_size: Option<u64> = None;
    let mut pos = 12usize;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]);
        let body = pos + 8;
        let present = bytes.len() - body;
        let claimed = size as usize;
        match id {
            b"data" => {
                let size = match (size, ds64_data_size) {
                    (SIZE_UNKNOWN, Some(n)) if is_64 => Some(n),
                    (SIZE_UNKNOWN | 0, _) => None,
                    (n, _) => Some(u64::from(n)),
                };
                let Some(size) = size else {
                    // Streaming writer: the samples run to the end of the input.
                    data = data.or(Some(&bytes[body..]));
                    break;
                };
                if size > present as u64 {
                    return Err(AudioError::Truncated(format!("data chunk claims {size} bytes, {present} present")));
                }
                let size = size as usize; // fits: it is at most `present`
                data = data.or(Some(&bytes[body..body + size]));
                pos = body + size + (size & 1);
                continue;
            }
            b"fmt " if fmt.is_none() => {
                if claimed > present {
                    return Err(AudioError::Truncated(format!("fmt chunk claims {claimed} bytes, {present} present")));
                }
                fmt = Some(parse_fmt(&bytes[body..body + claimed])?);
            }
            b"ds64" if is_64 => {
                // riffSize (8), dataSize (8), sampleCount (8), table...
                if let Some(b) = bytes.get(body + 8..body + 16) {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(b);
                    ds64_data_size = Some(u64::from_le_bytes(n));
                }
            }
            _ => {}
        }
        if claimed > present {
            // A chunk we do not need is cut short; what came before is all there is.
            break;
        }
        pos = body + claimed + (claimed & 1);
    }

    let fmt =
        fmt.ok_or_else(|| AudioError::Malformed("no fmt chunk (the chunk that says how samples are stored)".into()))?;
    let data = data.ok_or_else(|| AudioError::Malformed("no data chunk (the chunk holding the samples)".into()))?;
    Ok(Wav {
        container,
        encoding: fmt.encoding,
        channels: fmt.channels,
        sample_rate: fmt.sample_rate,
        block_align: fmt.block_align,
        data,
    })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn parse_fmt(b: &[u8]) -> Result<Fmt, AudioError> {
    if b.len() < 16 {
        return Err(AudioError::Malformed(format!("fmt chunk is {} bytes, needs at least 16", b.len())));
    }
    let mut tag = u16_at(b, 0);
    let channels = u16_at(b, 2);
    let sample_rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let block_align = usize::from(u16_at(b, 12));
    let bits = u16_at(b, 14);
    if tag == WAVE_FORMAT_EXTENSIBLE {
        let Some(guid) = b.get(24..40) else {
            return Err(AudioError::Malformed(format!(
                "WAVE_FORMAT_EXTENSIBLE fmt chunk is {} bytes, needs 40",
                b.len()
            )));
        };
        if guid[2..] != SUBTYPE_GUID_TAIL {
            return Err(AudioError::Unsupported(format!(
                "WAVE_FORMAT_EXTENSIBLE sub-format GUID {}",
                guid_string(guid)
            )));
        }
        tag = u16_at(guid, 0);
    }

    if channels == 0 || channels > MAX_CHANNELS {
        return Err(AudioError::Unsupported(format!("{channels} channels (1 to {MAX_CHANNELS} are read)")));
    }
    if !RATE_RANGE.contains(&sample_rate) {
        return Err(AudioError::Unsupported(format!(
            "sample rate {sample_rate} Hz ({} to {} Hz are read)",
            RATE_RANGE.start(),
            RATE_RANGE.end()
        )));
    }
    let encoding = match (tag, bits) {
        (WAVE_FORMAT_PCM, 1..=8) => Encoding::PcmU8,
        (WAVE_FORMAT_PCM, 9..=16) => Encoding::PcmS16,
        (WAVE_FORMAT_PCM, 17..=24) => Encoding::PcmS24,
        (WAVE_FORMAT_PCM, 25..=32) => Encoding::PcmS32,
        (WAVE_FORMAT_IEEE_FLOAT, 32) => Encoding::Float32,
        (WAVE_FORMAT_IEEE_FLOAT, 64) => Encoding::Float64,
        (WAVE_FORMAT_MULAW, 8) => Encoding::MuLaw,
        (WAVE_FORMAT_ALAW, 8) => Encoding::ALaw,
        (WAVE_FORMAT_PCM | WAVE_FORMAT_IEEE_FLOAT | WAVE_FORMAT_MULAW | WAVE_FORMAT_ALAW, _) => {
            return Err(AudioError::Unsupported(format!("{} with {bits} bits per sample", tag_name(tag))));
        }
        _ => return Err(AudioError::Unsupported(format!("format tag 0x{tag:04X} ({})", tag_name(tag)))),
    };
    let expected = usize::from(channels) * encoding.bytes();
    if block_align != expected {
        return Err(AudioError::Malformed(format!(
            "block align {block_align} is inconsistent with {channels} channel(s) of {} (expected {expected})",
            encoding.name()
        )));
    }
    Ok(Fmt { encoding, channels, sample_rate, block_align })
}

fn guid_string(g: &[u8]) -> String {
    let le32 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let rest: String = g[8..].iter().map(|b| format!("{b:02x}")).collect();
    format!("{le32:08x}-{:04x}-{:04x}-{}-{}", u16_at(g, 4), u16_at(g, 6), &rest[..4], &rest[4..])
}

/// Names of the WAVE format tags people actually meet, for error messages.
pub(crate) fn tag_name(tag: u16) -> &'static str {
    match tag {
        0x0001 => "PCM",
        0x0002 => "Microsoft ADPCM",
        0x0003 => "IEEE float",
        0x0006 => "G.711 A-law",
        0x0007 => "G.711 mu-law",
        0x0011 => "IMA ADPCM",
        0x0014 => "G.723 ADPCM",
        0x0022 => "DSP Group TrueSpeech",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0042 => "G.723.1",
        0x0045 => "G.726 ADPCM",
        0x0050 => "MPEG audio",
        0x0055 => "MPEG Layer 3 (MP3)",
        0x0064 => "G.726 ADPCM",
        0x0065 => "G.722 ADPCM",
        0x00ff | 0x1610 => "AAC",
        0x0161..=0x0163 => "Windows Media Audio",
        0x2000 => "AC-3",
        0xfffe => "WAVE_FORMAT_EXTENSIBLE",
        _ => "unknown codec",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_is_printed_in_registry_form() {
        let mut g = [0u8; 16];
        g[0] = 1;
        g[2..].copy_from_slice(&SUBTYPE_GUID_TAIL);
        assert_eq!(guid_string(&g), "00000001-0000-0010-8000-00aa00389b71");
    }

    #[test]
    fn short_fmt_is_malformed() {
        assert!(matches!(parse_fmt(&[1, 0, 1, 0]), Err(AudioError::Malformed(m)) if m.contains("4 bytes")));
    }
}
