//! Validation of good and damaged GGML files built from a synthetic miniature model.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;
use crate::model::convert::{self, ConvertOptions};
use crate::model::synthetic::{self, Shape};

/// The miniature model converted once: one layer each side, state 8, English vocabulary size.
fn good() -> &'static [u8] {
    static GOOD: OnceLock<Vec<u8>> = OnceLock::new();
    GOOD.get_or_init(|| {
        let mut out = Vec::new();
        let bin = synthetic::model_bin(Shape::miniature());
        convert::convert(&bin, &synthetic::vocabulary(), ConvertOptions::default(), &mut out, &mut |_, _, _| {}, Path::new("mini"))
            .unwrap();
        out
    })
}

fn check_bytes(bytes: &[u8]) -> Result<GgmlInfo, String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("model.bin");
    std::fs::write(&p, bytes).unwrap();
    match validate(&p) {
        Ok(info) => Ok(info),
        Err(ModelError::Invalid { path, reason }) => {
            assert_eq!(path, p, "the error names the file");
            Err(reason)
        }
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

fn err(bytes: &[u8]) -> String {
    check_bytes(bytes).unwrap_err()
}

/// Offset of the first tensor name `name` and of its header.
fn tensor_at(bytes: &[u8], name: &str, n_dims: usize) -> (usize, usize) {
    let at = bytes.windows(name.len()).position(|w| w == name.as_bytes()).unwrap();
    (at, at - 12 - 4 * n_dims)
}

#[test]
fn miniature_file_is_valid() {
    let info = check_bytes(good()).unwrap();
    assert_eq!(info.n_tensors, 7 + 15 + 4 + 24);
    assert_eq!((info.hparams.n_audio_state, info.n_file_tokens, info.file_size), (8, 6, good().len() as u64));
}

#[test]
fn empty_short_and_foreign_files_are_refused() {
    assert_eq!(err(b""), "empty file");
    assert!(err(b"lm").contains("too short"));
    let wav = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/demo_report.wav")).unwrap();
    assert!(err(&wav).starts_with("not a GGML model: magic number 0x46464952"), "{}", err(&wav));
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.resize(4096, 0);
    assert!(err(&zip).starts_with("not a GGML model"), "{}", err(&zip));
    let mut wrong = good().to_vec();
    wrong[0] ^= 0xff;
    assert!(err(&wrong).starts_with("not a GGML model"));
}

#[test]
fn truncation_anywhere_names_what_is_missing() {
    let g = good();
    assert!(err(&g[..20]).starts_with("truncated: header needs 4 bytes at offset 20, file ends at 20"), "{}", err(&g[..20]));
    assert!(err(&g[..100]).starts_with("truncated: mel filters needs 64320 bytes at offset 56"), "{}", err(&g[..100]));
    let vocab_start = 56 + 64320;
    assert!(err(&g[..vocab_start + 6]).contains("token 0"), "{}", err(&g[..vocab_start + 6]));
    // Inside a tensor's data: the message names the tensor, the bytes needed, the offset and the file end.
    let (name_at, _) = tensor_at(g, "decoder.blocks.0.mlp.0.weight", 2);
    let data_at = name_at + "decoder.blocks.0.mlp.0.weight".len();
    let cut = data_at + 100;
    assert_eq!(
        err(&g[..cut]),
        format!("truncated: tensor decoder.blocks.0.mlp.0.weight needs 512 bytes at offset {data_at}, file ends at {cut}")
    );
    // Inside a tensor header.
    let (_, header_at) = tensor_at(g, "decoder.ln.bias", 1);
    assert!(err(&g[..header_at + 6]).starts_with("truncated: tensor header"), "{}", err(&g[..header_at + 6]));
    // Exactly at a tensor boundary: the rest are reported missing.
    assert_eq!(err(&g[..header_at]), "missing tensors: decoder.ln.bias");
}

#[test]
fn wrong_shape_type_name_and_duplicates_are_refused() {
    let g = good();
    let (at, _) = tensor_at(g, "encoder.conv1.bias", 2);
    let mut shape = g.to_vec();
    shape[at - 4..at].copy_from_slice(&9i32.to_le_bytes());
    assert_eq!(err(&shape), "tensor encoder.conv1.bias has shape [1, 9], expected [1, 8] for these hparams");

    let (_, header) = tensor_at(g, "encoder.ln_post.bias", 1);
    let mut ty = g.to_vec();
    ty[header + 8..header + 12].copy_from_slice(&1i32.to_le_bytes());
    assert_eq!(err(&ty), "tensor encoder.ln_post.bias is f16, expected f32 in a file of ftype 1");
    ty[header + 8..header + 12].copy_from_slice(&99i32.to_le_bytes());
    assert_eq!(err(&ty), "tensor encoder.ln_post.bias: unknown type 99");

    let (at, _) = tensor_at(g, "decoder.ln.weight", 1);
    let mut name = g.to_vec();
    name[at] = b'D';
    assert!(err(&name).starts_with("unexpected tensor \"Decoder.ln.weight\""), "{}", err(&name));
    // A tensor record repeated at the end of the file.
    let (bat, _) = tensor_at(g, "encoder.ln_post.bias", 1);
    let record = &g[bat - 16..bat + "encoder.ln_post.bias".len() + 8 * 4];
    let mut twice = g.to_vec();
    twice.extend_from_slice(record);
    assert_eq!(err(&twice), "tensor encoder.ln_post.bias appears twice");
}

#[test]
fn insane_headers_and_trailing_garbage_are_refused() {
    let g = good();
    let set = |i: usize, v: i32| {
        let mut b = g.to_vec();
        b[4 + 4 * i..8 + 4 * i].copy_from_slice(&v.to_le_bytes());
        b
    };
    assert!(err(&set(0, 1000)).starts_with("n_vocab 1000"));
    assert!(err(&set(1, 1499)).starts_with("contexts are 1499"));
    assert!(err(&set(3, 3)).contains("not a multiple of its 3 heads"));
    assert!(err(&set(9, 81)).starts_with("n_mels 81"));
    assert!(err(&set(10, 5)).starts_with("unknown ftype 5"));
    assert!(err(&set(4, -1)).contains("out of range"));
    let mut tail = g.to_vec();
    tail.extend_from_slice(&[1, 2, 3, 4, 5]);
    assert!(err(&tail).starts_with("truncated: tensor header"), "{}", err(&tail));
    let mut zeros = g.to_vec();
    zeros.extend_from_slice(&[0; 64]);
    assert!(err(&zeros).contains("0 dimensions"), "{}", err(&zeros));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Truncating and flipping bytes of a valid file never panics, and a damaged header never passes.
    #[test]
    fn mutated_files_never_panic(cut in 0usize..1_000_000, flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8)) {
        let mut b = good().to_vec();
        let len = b.len();
        for (i, v) in &flips {
            // Bias mutations towards the header, vocabulary and tensor table, where lengths live.
            let i = if i % 2 == 0 { i % 65_000.min(len) } else { i % len };
            b[i] ^= v | 1;
        }
        b.truncate(cut.min(len));
        let result = check_bytes(&b);
        if b.len() < len {
            prop_assert!(result.is_err(), "a truncated file passed");
        }
    }
}
