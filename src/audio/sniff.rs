//! Names what a non-WAV input probably is, from its first bytes, so the refusal tells the user what they sent.
//! Pure code; must not depend on transcribe, extract or any I/O.

use super::AudioError;

/// The error for input that is not RIFF/WAVE: audio containers we do not read are `Unsupported`, anything else
/// is `NotAudio`; both quote the first bytes and guess the file type.
pub(crate) fn refuse(bytes: &[u8]) -> AudioError {
    let head = quote(&bytes[..bytes.len().min(4)]);
    if let Some(kind) = audio_kind(bytes) {
        return AudioError::Unsupported(format!(
            "starts with bytes '{head}' ({kind}); only WAV and raw G.711/PCM are read, convert it to WAV first"
        ));
    }
    match other_kind(bytes) {
        Some(kind) => AudioError::NotAudio(format!("starts with bytes '{head}' ({kind})")),
        None => AudioError::NotAudio(format!("starts with bytes '{head}', not 'RIFF....WAVE'")),
    }
}

fn audio_kind(b: &[u8]) -> Option<&'static str> {
    let kind = if b.starts_with(b"ID3") || (b.len() >= 2 && b[0] == 0xff && b[1] & 0xe0 == 0xe0 && b[1] & 0x06 != 0) {
        "an MP3 file?"
    } else if b.starts_with(b"OggS") {
        "an Ogg Vorbis/Opus file?"
    } else if b.starts_with(b"fLaC") {
        "a FLAC file?"
    } else if b.starts_with(b"FORM") && b.get(8..11) == Some(b"AIF") {
        "an AIFF file?"
    } else if b.starts_with(b".snd") {
        "a Sun/NeXT .au file?"
    } else if b.starts_with(b"#!AMR") {
        "an AMR file?"
    } else if b.starts_with(b"caff") {
        "a Core Audio file?"
    } else if b.get(4..8) == Some(b"ftyp") {
        "an MP4/M4A file?"
    } else if b.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        "a WebM/Matroska file?"
    } else if b.starts_with(b"RIFX") {
        "a big-endian RIFX WAV?"
    } else {
        return None;
    };
    Some(kind)
}

fn other_kind(b: &[u8]) -> Option<&'static str> {
    let kind = if b.starts_with(b"PK\x03\x04") {
        "a zip file?"
    } else if b.starts_with(b"%PDF") {
        "a PDF file?"
    } else if b.starts_with(b"\x89PNG") {
        "a PNG image?"
    } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
        "a JPEG image?"
    } else if b.starts_with(b"GIF8") {
        "a GIF image?"
    } else if b.starts_with(&[0x1f, 0x8b]) {
        "a gzip file?"
    } else if b.starts_with(b"RIFF") {
        "a RIFF file that is not WAVE, e.g. AVI or WebP?"
    } else if b.starts_with(b"\x7fELF") {
        "a program?"
    } else {
        let text = b.iter().take(64).skip_while(|c| c.is_ascii_whitespace()).copied().collect::<Vec<_>>();
        match text.first() {
            Some(b'<') => "an HTML/XML document?",
            Some(b'{') | Some(b'[') => "a JSON document?",
            _ if !text.is_empty() && text.iter().all(|c| c.is_ascii_graphic() || c.is_ascii_whitespace()) => "text?",
            _ => return None,
        }
    };
    Some(kind)
}

/// Printable ASCII as is, anything else as `\xNN`.
pub(crate) fn quote(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&c| if c.is_ascii_graphic() || c == b' ' { (c as char).to_string() } else { format!("\\x{c:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_is_named_with_its_bytes() {
        let err = refuse(b"PK\x03\x04rest of a zip");
        assert_eq!(err, AudioError::NotAudio("starts with bytes 'PK\\x03\\x04' (a zip file?)".into()));
    }

    #[test]
    fn other_audio_containers_are_unsupported_not_non_audio() {
        for (bytes, kind) in [
            (&b"ID3\x04\0\0\0\0"[..], "MP3"),
            (b"OggS\0\x02", "Ogg"),
            (b"fLaC\0\0\0\x22", "FLAC"),
            (b"FORM\0\0\0\0AIFF", "AIFF"),
        ] {
            match refuse(bytes) {
                AudioError::Unsupported(m) => assert!(m.contains(kind), "{m}"),
                other => panic!("{kind}: {other:?}"),
            }
        }
    }

    #[test]
    fn text_and_unknown_binary() {
        assert!(refuse(b"  <html>").to_string().contains("HTML"));
        assert!(refuse(b"hello world").to_string().contains("text?"));
        assert_eq!(
            refuse(&[0, 1, 2, 3, 4]).to_string(),
            "not audio: starts with bytes '\\x00\\x01\\x02\\x03', not 'RIFF....WAVE'"
        );
    }
}
