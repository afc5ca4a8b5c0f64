//! Whisper vocabularies as CTranslate2 ships them (GPT-2 byte-level unicode tokens, one per line, or a JSON
//! list), decoded back to the raw token bytes whisper.cpp stores. Pure; must not depend on transcribe.

use std::collections::HashMap;

/// The token after the last regular token; whisper.cpp creates it and all later (special) tokens itself.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// GPT-2's table from printable stand-in characters back to bytes (inverse of `bytes_to_unicode`).
fn unicode_to_byte() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from('!')..=u32::from('~')).collect();
    printable.extend(u32::from('¡')..=u32::from('¬'));
    printable.extend(u32::from('®')..=u32::from('ÿ'));
    let mut map = HashMap::with_capacity(256);
    let mut extra = 0u32;
    for b in 0..=255u32 {
        let ch = if printable.contains(&b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        // Every value is a valid char below U+0200 and every byte fits in u8.
        if let Some(c) = char::from_u32(ch) {
            map.insert(c, b as u8);
        }
    }
    map
}

/// Splits a vocabulary file into token strings: a JSON list, or one token per line (a token may be empty).
pub fn parse_tokens(text: &str) -> Result<Vec<String>, String> {
    if text.trim_start().starts_with('[') {
        return serde_json::from_str::<Vec<String>>(text).map_err(|e| format!("vocabulary JSON: {e}"));
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    Ok(body.split('\n').map(|t| t.strip_suffix('\r').unwrap_or(t).to_string()).collect())
}

/// Entries of GPT-2's `vocab.json`, which whisper.cpp's reference converter writes.
pub const GPT2_VOCAB_SIZE: usize = 50_257;

/// The tokens a GGML file stores, as raw bytes: what the reference converter takes from GPT-2's vocab.json, that
/// is everything up to and including `<|endoftext|>` but at most [`GPT2_VOCAB_SIZE`] entries. English models
/// thus end with `<|endoftext|>` (id 50256); multilingual ones end with their empty token 50256.
pub fn regular_token_bytes(tokens: &[String]) -> Result<Vec<Vec<u8>>, String> {
    let eot = tokens
        .iter()
        .position(|t| t == END_OF_TEXT)
        .ok_or_else(|| format!("no {END_OF_TEXT} token: not a Whisper vocabulary"))?;
    let end = (eot + 1).min(GPT2_VOCAB_SIZE);
    let table = unicode_to_byte();
    tokens[..end]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.chars()
                .map(|c| table.get(&c).copied().ok_or_else(|| format!("token {i} {t:?}: {c:?} is not GPT-2 byte-level")))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_tokens_map_back_to_raw_bytes() {
        let tokens = parse_tokens("!\nĠthe\n\nÃ©\nĊ\n<|endoftext|>\n<|en|>\n").unwrap();
        let raw = regular_token_bytes(&tokens).unwrap();
        let want: Vec<Vec<u8>> = vec![b"!".to_vec(), b" the".to_vec(), vec![], "é".as_bytes().to_vec(), b"\n".to_vec(), END_OF_TEXT.into()];
        assert_eq!(raw, want);
    }

    #[test]
    fn json_vocabularies_are_read_too() {
        let tokens = parse_tokens(r#"["a", "Ġb", "<|endoftext|>"]"#).unwrap();
        assert_eq!(regular_token_bytes(&tokens).unwrap(), vec![b"a".to_vec(), b" b".to_vec(), END_OF_TEXT.into()]);
    }

    #[test]
    fn missing_end_of_text_and_foreign_characters_are_errors() {
        assert!(regular_token_bytes(&parse_tokens("a\nb\n").unwrap()).is_err());
        let err = regular_token_bytes(&parse_tokens("中\n<|endoftext|>\n").unwrap()).unwrap_err();
        assert!(err.contains("token 0"), "{err}");
    }
}
