//! Unit tests of the converter on synthetic miniature CTranslate2 models.

use std::path::Path;

use super::*;
use crate::model::synthetic::{self, Shape};

pub(crate) fn convert_to_vec(bin: &[u8], q: Option<Quantization>) -> Result<(Vec<u8>, Converted), ModelError> {
    let mut out = Vec::new();
    let c = convert(bin, &synthetic::vocabulary(), ConvertOptions { quantize: q }, &mut out, &mut |_, _, _| {}, Path::new("mini"))?;
    Ok((out, c))
}

fn validate_bytes(bytes: &[u8]) -> Result<ggml::GgmlInfo, ModelError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.bin");
    std::fs::write(&p, bytes).unwrap();
    ggml::validate(&p)
}

#[test]
fn miniature_model_converts_to_a_valid_file() {
    let (bytes, c) = convert_to_vec(&synthetic::model_bin(Shape::miniature()), None).unwrap();
    assert_eq!(c.bytes_written, bytes.len() as u64);
    assert_eq!((c.hparams.n_audio_state, c.hparams.n_audio_head, c.hparams.n_audio_layer), (8, 2, 1));
    assert_eq!(c.n_tokens, 6);
    let info = validate_bytes(&bytes).unwrap();
    assert_eq!(info.n_tensors, c.n_tensors);
    assert_eq!(info.weight_type, GgmlType::F16);
    assert!(!info.multilingual);
}

#[test]
fn conversion_is_deterministic() {
    let bin = synthetic::model_bin(Shape::miniature());
    assert_eq!(convert_to_vec(&bin, None).unwrap().0, convert_to_vec(&bin, None).unwrap().0);
}

#[test]
fn fused_attention_is_split_and_conv_bias_widened_to_f32() {
    let bin = synthetic::model_bin(Shape::miniature());
    let m = ct2::parse(&bin).unwrap();
    let (bytes, _) = convert_to_vec(&bin, None).unwrap();
    // The value rows of the fused self-attention weight appear verbatim (f16) after the value tensor header.
    let fused = m.get("encoder/layer_0/self_attention/linear_0/weight").unwrap();
    let value_rows = &fused.data[2 * 64 * 2..3 * 64 * 2];
    let name = b"encoder.blocks.0.attn.value.weight";
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap() + name.len();
    assert_eq!(&bytes[at..at + value_rows.len()], value_rows);
    let bias = m.get("encoder/conv1/bias").unwrap();
    let name = b"encoder.conv1.bias";
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap() + name.len();
    assert_eq!(f32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()), bias.f32_at(0));
}

#[test]
fn nonzero_key_bias_is_refused() {
    let mut bin = synthetic::model_bin(Shape::miniature());
    let m = ct2::parse(&bin).unwrap();
    let bias = m.get("decoder/layer_0/attention/linear_1/bias").unwrap();
    let offset = bias.data.as_ptr() as usize - bin.as_ptr() as usize;
    drop(m);
    bin[offset..offset + 2].copy_from_slice(&half::f16::from_f32(0.5).to_le_bytes());
    let err = convert_to_vec(&bin, None).unwrap_err().to_string();
    assert!(err.contains("key-bias slice is not zero"), "{err}");
}

#[test]
fn quantised_models_validate_and_shrink() {
    let bin = synthetic::model_bin(Shape::quantisable());
    let (f16, _) = convert_to_vec(&bin, None).unwrap();
    for q in [Quantization::Q8_0, Quantization::Q5_0, Quantization::Q5_1] {
        let (bytes, c) = convert_to_vec(&bin, Some(q)).unwrap();
        assert_eq!(c.hparams.ftype, q.ggml_type().file_ftype());
        let info = validate_bytes(&bytes).unwrap();
        assert_eq!(info.weight_type, q.ggml_type());
        assert!(bytes.len() < f16.len(), "{q:?}: {} >= {}", bytes.len(), f16.len());
    }
    let err = convert_to_vec(&synthetic::model_bin(Shape::miniature()), Some(Quantization::Q8_0)).unwrap_err();
    assert!(err.to_string().contains("blocks of 32"), "{err}");
}

#[test]
fn foreign_input_is_a_conversion_error() {
    let err = convert_to_vec(b"PK\x03\x04 not a model", None).unwrap_err();
    assert!(matches!(err, ModelError::Convert { .. }), "{err}");
}

#[test]
fn implausible_hparams_are_refused_before_anything_is_written() {
    // A consistent CTranslate2 model, but with 81 mel bands, which no Whisper (and no whisper.cpp) has.
    let bin = synthetic::model_bin(Shape { n_mels: 81, ..Shape::miniature() });
    let mut out = Vec::new();
    let err = convert(&bin, &synthetic::vocabulary(), ConvertOptions::default(), &mut out, &mut |_, _, _| {}, Path::new("m"))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "cannot convert m: not a Whisper model whisper.cpp can run: n_mels 81 (80 or 128 expected)");
    assert!(out.is_empty(), "{} bytes written", out.len());
}
