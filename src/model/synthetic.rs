//! Miniature CTranslate2 Whisper models with deterministic pseudo-random weights, for tests and benchmarks of
//! the converter and validator (real layout and names, tiny dimensions). Pure; no I/O.

use super::ct2::{self, Ct2Type};

/// Dimensions of a synthetic model. Contexts are Whisper's (the validator insists on them).
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub n_vocab: usize,
    pub n_state: usize,
    pub n_head: usize,
    pub n_audio_layer: usize,
    pub n_text_layer: usize,
    pub n_mels: usize,
}

impl Shape {
    /// One layer each side, state 8, English-only vocabulary size: about 0.9 MB of GGML.
    pub fn miniature() -> Self {
        Shape { n_vocab: 51864, n_state: 8, n_head: 2, n_audio_layer: 1, n_text_layer: 1, n_mels: 80 }
    }

    /// Like [`Shape::miniature`] but with state 32, so weight rows can be quantised in 32-element blocks.
    pub fn quantisable() -> Self {
        Shape { n_state: 32, ..Shape::miniature() }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
    }
}

/// Builds `model.bin` bytes (f16 variables) for `shape`.
pub fn model_bin(shape: Shape) -> Vec<u8> {
    let s = shape.n_state;
    let mut rng = Rng(0x5eed);
    let mut vars: Vec<(String, Vec<usize>, Ct2Type, Vec<u8>)> = Vec::new();
    let mut f16 = |vars: &mut Vec<_>, name: String, dims: Vec<usize>, zero_rows: Option<(usize, usize)>| {
        let n: usize = dims.iter().product();
        let row = if dims.len() > 1 { dims[1..].iter().product() } else { 1 };
        let data: Vec<u8> = (0..n)
            .flat_map(|i| {
                let zero = zero_rows.is_some_and(|(a, b)| (a * row..b * row).contains(&i));
                let v = if zero { 0.0 } else { rng.next() };
                half::f16::from_f32(v).to_le_bytes()
            })
            .collect();
        vars.push((name, dims, Ct2Type::F16, data));
    };
    let heads = (shape.n_head as i16).to_le_bytes().to_vec();
    f16(&mut vars, "encoder/conv1/weight".into(), vec![s, shape.n_mels, 3], None);
    f16(&mut vars, "encoder/conv1/bias".into(), vec![s], None);
    f16(&mut vars, "encoder/conv2/weight".into(), vec![s, s, 3], None);
    f16(&mut vars, "encoder/conv2/bias".into(), vec![s], None);
    f16(&mut vars, "encoder/position_encodings/encodings".into(), vec![1500, s], None);
    f16(&mut vars, "decoder/position_encodings/encodings".into(), vec![448, s], None);
    f16(&mut vars, "decoder/embeddings/weight".into(), vec![shape.n_vocab, s], None);
    for side in ["encoder", "decoder"] {
        f16(&mut vars, format!("{side}/layer_norm/gamma"), vec![s], None);
        f16(&mut vars, format!("{side}/layer_norm/beta"), vec![s], None);
        vars.push((format!("{side}/num_heads"), vec![], Ct2Type::I16, heads.clone()));
        let layers = if side == "encoder" { shape.n_audio_layer } else { shape.n_text_layer };
        for i in 0..layers {
            let p = format!("{side}/layer_{i}");
            let mut attn = vec!["self_attention"];
            if side == "decoder" {
                attn.push("attention");
            }
            for a in attn {
                f16(&mut vars, format!("{p}/{a}/layer_norm/gamma"), vec![s], None);
                f16(&mut vars, format!("{p}/{a}/layer_norm/beta"), vec![s], None);
                if a == "self_attention" {
                    f16(&mut vars, format!("{p}/{a}/linear_0/weight"), vec![3 * s, s], None);
                    f16(&mut vars, format!("{p}/{a}/linear_0/bias"), vec![3 * s], Some((s, 2 * s)));
                    f16(&mut vars, format!("{p}/{a}/linear_1/weight"), vec![s, s], None);
                    f16(&mut vars, format!("{p}/{a}/linear_1/bias"), vec![s], None);
                } else {
                    f16(&mut vars, format!("{p}/{a}/linear_0/weight"), vec![s, s], None);
                    f16(&mut vars, format!("{p}/{a}/linear_0/bias"), vec![s], None);
                    f16(&mut vars, format!("{p}/{a}/linear_1/weight"), vec![2 * s, s], None);
                    f16(&mut vars, format!("{p}/{a}/linear_1/bias"), vec![2 * s], Some((0, s)));
                    f16(&mut vars, format!("{p}/{a}/linear_2/weight"), vec![s, s], None);
                    f16(&mut vars, format!("{p}/{a}/linear_2/bias"), vec![s], None);
                }
            }
            f16(&mut vars, format!("{p}/ffn/layer_norm/gamma"), vec![s], None);
            f16(&mut vars, format!("{p}/ffn/layer_norm/beta"), vec![s], None);
            f16(&mut vars, format!("{p}/ffn/linear_0/weight"), vec![4 * s, s], None);
            f16(&mut vars, format!("{p}/ffn/linear_0/bias"), vec![4 * s], None);
            f16(&mut vars, format!("{p}/ffn/linear_1/weight"), vec![s, 4 * s], None);
            f16(&mut vars, format!("{p}/ffn/linear_1/bias"), vec![s], None);
        }
    }
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    ct2::write("WhisperSpec", &vars)
}

/// A small byte-level vocabulary ending in the special tokens, as vocabulary.txt text.
pub fn vocabulary() -> String {
    ["!", "a", "Ġthe", "Ġreport", "Ċ", "<|endoftext|>", "<|startoftranscript|>", "<|en|>"].join("\n") + "\n"
}
