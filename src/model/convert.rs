//! CTranslate2 Whisper model -> whisper.cpp GGML file, in Rust: hparams from the variables, the name mapping,
//! fused q;k;v weights split (zero key biases checked and dropped), types whisper.cpp expects (f16 matrices and
//! conv kernels, f32 for the rest; optionally quantised matrices), Slaney mel filters, byte-level vocabulary.
//! Output is a pure function of the input bytes. Must not depend on transcribe.

use std::io::{self, Write};
use std::path::Path;

use super::ModelError;
use super::ct2::{self, Ct2Model, Ct2Type, Variable};
use super::ggml::{self, ExpectedTensor, Hparams};
use super::quant::{self, GgmlType, Quantization};
use super::{mel, vocab};

/// Conversion settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConvertOptions {
    /// Quantise the weight matrices (None: f16).
    pub quantize: Option<Quantization>,
}

/// What a conversion produced.
#[derive(Debug, Clone)]
pub struct Converted {
    pub hparams: Hparams,
    pub n_tensors: usize,
    pub n_tokens: usize,
    pub bytes_written: u64,
}

/// Progress callback: (tensors done, tensors in total, name of the tensor just written).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, &str);

struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Converts a CTranslate2 `model.bin` plus its vocabulary (vocabulary.txt or .json text) into a GGML file written
/// to `out`. `source` names the input in errors.
pub fn convert(
    model_bin: &[u8],
    vocabulary: &str,
    opts: ConvertOptions,
    out: &mut dyn Write,
    progress: Progress,
    source: &Path,
) -> Result<Converted, ModelError> {
    let fail = |reason: String| ModelError::Convert { path: source.to_path_buf(), reason };
    let model = ct2::parse(model_bin).map_err(fail)?;
    let mut hparams = hparams_of(&model).map_err(fail)?;
    let tokens = vocab::parse_tokens(vocabulary).and_then(|t| vocab::regular_token_bytes(&t)).map_err(fail)?;
    if tokens.len() > hparams.n_vocab as usize {
        return Err(fail(format!("{} vocabulary tokens but the embeddings have {} rows", tokens.len(), hparams.n_vocab)));
    }
    let wtype = opts.quantize.map_or(GgmlType::F16, Quantization::ggml_type);
    hparams.ftype = wtype.file_ftype();
    // The same limits the validator applies, before any size derived from the hparams is allocated.
    ggml::check_hparams(&hparams).map_err(|r| fail(format!("not a Whisper model whisper.cpp can run: {r}")))?;
    check_key_biases(&model, &hparams).map_err(fail)?;
    let plan: Vec<(ExpectedTensor, Slice)> = ggml::expected_tensors(&hparams)
        .into_iter()
        .map(|t| {
            let s = slice_for(&model, &t).map_err(fail)?;
            Ok((t, s))
        })
        .collect::<Result<_, ModelError>>()?;

    let mut w = Counting { inner: out, n: 0 };
    let io_err = |e: io::Error| ModelError::Other(format!("writing the converted model: {e}"));
    ggml::write_header(&mut w, &hparams).map_err(io_err)?;
    ggml::write_mel_filters(&mut w, hparams.n_mels, &mel::filters(hparams.n_mels as usize)).map_err(io_err)?;
    ggml::write_vocab(&mut w, &tokens).map_err(io_err)?;
    let total = plan.len();
    let mut buf = Vec::new();
    for (i, (t, s)) in plan.iter().enumerate() {
        let ty = t.class.ggml_type(wtype);
        buf.clear();
        encode(s, ty, t.ne[0] as usize, &mut buf).map_err(|r| fail(format!("tensor {}: {r}", t.name)))?;
        ggml::write_tensor_header(&mut w, &t.name, &t.ne, ty).map_err(io_err)?;
        w.write_all(&buf).map_err(io_err)?;
        progress(i + 1, total, &t.name);
    }
    w.flush().map_err(io_err)?;
    Ok(Converted { hparams, n_tensors: total, n_tokens: tokens.len(), bytes_written: w.n })
}

/// A row range of a CTranslate2 variable: rows `start..end` of its outermost dimension.
struct Slice<'v, 'a> {
    var: &'v Variable<'a>,
    start: usize,
    end: usize,
    row_len: usize,
}

fn var<'v, 'a>(m: &'v Ct2Model<'a>, name: &str) -> Result<&'v Variable<'a>, String> {
    m.get(name).ok_or_else(|| format!("variable {name} is missing (not a CTranslate2 Whisper model?)"))
}

fn int_var(m: &Ct2Model, name: &str) -> Result<i32, String> {
    var(m, name)?
        .as_int()
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| format!("variable {name} is not a scalar integer"))
}

fn dims2(m: &Ct2Model, name: &str) -> Result<(i32, i32), String> {
    let v = var(m, name)?;
    match v.dims[..] {
        [a, b] => Ok((a as i32, b as i32)),
        _ => Err(format!("variable {name} has shape {:?}, expected 2 dimensions", v.dims)),
    }
}

fn count_layers(m: &Ct2Model, side: &str) -> i32 {
    (0..).take_while(|i| m.get(&format!("{side}/layer_{i}/ffn/linear_0/weight")).is_some()).count() as i32
}

/// Reads the GGML hparams off a CTranslate2 Whisper model.
fn hparams_of(m: &Ct2Model) -> Result<Hparams, String> {
    if m.spec != "WhisperSpec" {
        return Err(format!("spec is {:?}, expected WhisperSpec", m.spec));
    }
    if m.variables.keys().any(|k| k.ends_with("weight_scale")) {
        return Err("int8-quantised CTranslate2 models are not supported; use a float16 or float32 one".into());
    }
    let (n_vocab, n_text_state) = dims2(m, "decoder/embeddings/weight")?;
    let (n_audio_ctx, n_audio_state) = dims2(m, "encoder/position_encodings/encodings")?;
    let (n_text_ctx, _) = dims2(m, "decoder/position_encodings/encodings")?;
    let conv1 = var(m, "encoder/conv1/weight")?;
    let n_mels = match conv1.dims[..] {
        [_, mels, 3] => mels as i32,
        _ => return Err(format!("encoder/conv1/weight has shape {:?}, expected [state, mels, 3]", conv1.dims)),
    };
    Ok(Hparams {
        n_vocab,
        n_audio_ctx,
        n_audio_state,
        n_audio_head: int_var(m, "encoder/num_heads")?,
        n_audio_layer: count_layers(m, "encoder"),
        n_text_ctx,
        n_text_state,
        n_text_head: int_var(m, "decoder/num_heads")?,
        n_text_layer: count_layers(m, "decoder"),
        n_mels,
        ftype: 1,
    })
}

/// The CTranslate2 variable behind a GGML tensor, and which of its equal row parts (part, parts) to take.
fn ct2_source(name: &str) -> Option<(String, usize, usize)> {
    let fixed = |s: &str| Some((s.to_string(), 0, 1));
    match name {
        "encoder.positional_embedding" => return fixed("encoder/position_encodings/encodings"),
        "decoder.positional_embedding" => return fixed("decoder/position_encodings/encodings"),
        "decoder.token_embedding.weight" => return fixed("decoder/embeddings/weight"),
        "encoder.ln_post.weight" => return fixed("encoder/layer_norm/gamma"),
        "encoder.ln_post.bias" => return fixed("encoder/layer_norm/beta"),
        "decoder.ln.weight" => return fixed("decoder/layer_norm/gamma"),
        "decoder.ln.bias" => return fixed("decoder/layer_norm/beta"),
        _ => {}
    }
    if let Some(rest) = name.strip_prefix("encoder.conv") {
        return Some((format!("encoder/conv{}", rest.replace('.', "/")), 0, 1));
    }
    let (side, rest) = name.split_once(".blocks.")?;
    let (layer, rest) = rest.split_once('.')?;
    let (module, leaf) = rest.rsplit_once('.')?;
    let norm_leaf = if leaf == "weight" { "gamma" } else { "beta" };
    let p = format!("{side}/layer_{layer}");
    let (path, part, parts) = match module {
        "attn.query" => (format!("{p}/self_attention/linear_0/{leaf}"), 0, 3),
        "attn.key" => (format!("{p}/self_attention/linear_0/{leaf}"), 1, 3),
        "attn.value" => (format!("{p}/self_attention/linear_0/{leaf}"), 2, 3),
        "attn.out" => (format!("{p}/self_attention/linear_1/{leaf}"), 0, 1),
        "attn_ln" => (format!("{p}/self_attention/layer_norm/{norm_leaf}"), 0, 1),
        "cross_attn.query" => (format!("{p}/attention/linear_0/{leaf}"), 0, 1),
        "cross_attn.key" => (format!("{p}/attention/linear_1/{leaf}"), 0, 2),
        "cross_attn.value" => (format!("{p}/attention/linear_1/{leaf}"), 1, 2),
        "cross_attn.out" => (format!("{p}/attention/linear_2/{leaf}"), 0, 1),
        "cross_attn_ln" => (format!("{p}/attention/layer_norm/{norm_leaf}"), 0, 1),
        "mlp.0" => (format!("{p}/ffn/linear_0/{leaf}"), 0, 1),
        "mlp.2" => (format!("{p}/ffn/linear_1/{leaf}"), 0, 1),
        "mlp_ln" => (format!("{p}/ffn/layer_norm/{norm_leaf}"), 0, 1),
        _ => return None,
    };
    Some((path, part, parts))
}

fn part_of<'v, 'a>(v: &'v Variable<'a>, name: &str, part: usize, parts: usize) -> Result<Slice<'v, 'a>, String> {
    let rows = v.dims.first().copied().unwrap_or(1);
    if rows % parts != 0 {
        return Err(format!("{name}: {rows} rows do not split into {parts} parts"));
    }
    let row_len = if v.dims.is_empty() { 1 } else { v.dims[1..].iter().product() };
    let n = rows / parts;
    Ok(Slice { var: v, start: part * n, end: (part + 1) * n, row_len })
}

fn slice_for<'v, 'a>(m: &'v Ct2Model<'a>, t: &ExpectedTensor) -> Result<Slice<'v, 'a>, String> {
    let (src, part, parts) = ct2_source(&t.name).ok_or_else(|| format!("no CTranslate2 source for {}", t.name))?;
    let v = var(m, &src)?;
    if !v.is_float() {
        return Err(format!("{src} is {:?}, expected a floating-point type", v.dtype));
    }
    let s = part_of(v, &src, part, parts)?;
    let got: u64 = ((s.end - s.start) * s.row_len) as u64;
    let want: u64 = t.ne.iter().product();
    // Dimensions must match in reverse order; conv biases gain a unit dimension, (n) -> (n, 1).
    let mut rev: Vec<u64> = v.dims.iter().rev().map(|&d| d as u64).collect();
    if let Some(outer) = rev.last_mut() {
        *outer /= parts as u64;
    }
    let squeeze = |d: &[u64]| d.iter().copied().filter(|&x| x != 1).collect::<Vec<u64>>();
    if got != want || squeeze(&rev) != squeeze(&t.ne) {
        return Err(format!("{src} (part {part} of {parts}) has shape {:?}, {} needs {:?} (ggml order)", v.dims, t.name, t.ne));
    }
    Ok(s)
}

/// whisper has no key biases; CTranslate2 stores zeros in their place in the fused biases. Refuse anything else.
fn check_key_biases(m: &Ct2Model, h: &Hparams) -> Result<(), String> {
    let mut fused = Vec::new();
    for i in 0..h.n_audio_layer {
        fused.push((format!("encoder/layer_{i}/self_attention/linear_0/bias"), 1, 3));
    }
    for i in 0..h.n_text_layer {
        fused.push((format!("decoder/layer_{i}/self_attention/linear_0/bias"), 1, 3));
        fused.push((format!("decoder/layer_{i}/attention/linear_1/bias"), 0, 2));
    }
    for (name, part, parts) in fused {
        let s = part_of(var(m, &name)?, &name, part, parts)?;
        if (s.start..s.end).any(|i| s.var.f32_at(i) != 0.0) {
            return Err(format!("{name}: the key-bias slice is not zero; whisper.cpp has no key bias to put it in"));
        }
    }
    Ok(())
}

/// Encodes the slice's elements as `ty` into `out`; `ne0` is the innermost dimension (the quantisation row).
fn encode(s: &Slice, ty: GgmlType, ne0: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let (from, to) = (s.start * s.row_len, s.end * s.row_len);
    match ty {
        GgmlType::F32 => {
            out.reserve((to - from) * 4);
            for i in from..to {
                out.extend_from_slice(&s.var.f32_at(i).to_le_bytes());
            }
        }
        GgmlType::F16 if s.var.dtype == Ct2Type::F16 => out.extend_from_slice(&s.var.data[from * 2..to * 2]),
        GgmlType::F16 => {
            for i in from..to {
                out.extend_from_slice(&half::f16::from_f32(s.var.f32_at(i)).to_le_bytes());
            }
        }
        _ => {
            let q = match ty {
                GgmlType::Q8_0 => Quantization::Q8_0,
                GgmlType::Q5_0 => Quantization::Q5_0,
                GgmlType::Q5_1 => Quantization::Q5_1,
                other => return Err(format!("cannot produce {}", other.name())),
            };
            if !ne0.is_multiple_of(32) {
                return Err(format!("rows of {ne0} elements cannot be quantised in blocks of 32"));
            }
            let x: Vec<f32> = (from..to).map(|i| s.var.f32_at(i)).collect();
            quant::quantize(q, &x, out);
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
