//! The whisper.cpp GGML file format: header, mel filters, vocabulary and tensor table; the tensor set
//! whisper.cpp expects for given hparams, the writer primitives, and validation without loading.
//! Must not depend on transcribe (validation exists so whisper.cpp never sees a malformed file).

use std::io::{self, Write};

use super::quant::GgmlType;

mod validate;

pub use validate::{check_hparams, validate};

/// Magic number at the start of a GGML Whisper file.
pub const MAGIC: u32 = 0x6767_6d6c;
/// Audio context every Whisper model has (30 s of 10 ms frames after the stride-2 convolution).
pub const N_AUDIO_CTX: i32 = 1500;
/// Text context every Whisper model has.
pub const N_TEXT_CTX: i32 = 448;
/// Frequency bins per mel filter in the file (`1 + 400 / 2`).
pub const N_FFT_BINS: i32 = 201;
/// Vocabulary sizes of Whisper models: English-only, multilingual, large-v3 (one more language).
pub const N_VOCAB_EN: i32 = 51864;

/// Whisper language codes in token order (whisper.cpp's `g_lang`); large-v3 adds "yue" at the end.
pub const LANGUAGES: [&str; 100] = [
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id", "hi",
    "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg", "lt", "la",
    "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy",
    "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be",
    "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl",
    "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue",
];

/// The eleven header integers after the magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    /// 1 for f16 weights; quantised files add 1000 * quantisation version (2007 = q8_0).
    pub ftype: i32,
}

impl Hparams {
    /// The header fields in file order.
    pub fn to_array(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    /// The header fields from file order.
    pub fn from_array(a: [i32; 11]) -> Self {
        let [n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype] =
            a;
        Hparams {
            n_vocab,
            n_audio_ctx,
            n_audio_state,
            n_audio_head,
            n_audio_layer,
            n_text_ctx,
            n_text_state,
            n_text_head,
            n_text_layer,
            n_mels,
            ftype,
        }
    }

    /// True for multilingual models (whisper.cpp: `n_vocab >= 51865`).
    pub fn multilingual(&self) -> bool {
        self.n_vocab > N_VOCAB_EN
    }

    /// Language codes the model knows.
    pub fn languages(&self) -> Vec<&'static str> {
        if !self.multilingual() {
            return vec!["en"];
        }
        let n = usize::try_from(self.n_vocab - 51765 - 1).unwrap_or(0).min(LANGUAGES.len());
        LANGUAGES[..n].to_vec()
    }

    /// Whisper size name by encoder depth, as whisper.cpp reports it.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown size",
        }
    }
}

/// How whisper.cpp stores a tensor, which fixes its element type for a given file ftype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorClass {
    /// Attention, MLP and token-embedding matrices: the file's weight type (f16 or quantised).
    Weight,
    /// Convolution kernels: f16 (f32 in an all-f32 file); never quantised.
    Conv,
    /// Biases, layer norms, conv biases, positional embeddings: always f32.
    F32,
}

impl TensorClass {
    /// The element type whisper.cpp allocates for this class when the weight type is `wtype`.
    pub fn ggml_type(self, wtype: GgmlType) -> GgmlType {
        match self {
            TensorClass::Weight => wtype,
            TensorClass::Conv if wtype == GgmlType::F32 => GgmlType::F32,
            TensorClass::Conv => GgmlType::F16,
            TensorClass::F32 => GgmlType::F32,
        }
    }
}

/// One tensor whisper.cpp expects: name, shape in ggml order (innermost first) and class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedTensor {
    pub name: String,
    pub ne: Vec<u64>,
    pub class: TensorClass,
}

/// Every tensor whisper.cpp creates for these hparams, in the order OpenAI's state dict (and so the reference
/// converter) writes them.
pub fn expected_tensors(h: &Hparams) -> Vec<ExpectedTensor> {
    use TensorClass::{Conv, F32, Weight};
    let u = |v: i32| u64::try_from(v).unwrap_or(0);
    let (a, t) = (u(h.n_audio_state), u(h.n_text_state));
    let mut out = Vec::new();
    let mut add = |name: String, ne: Vec<u64>, class| out.push(ExpectedTensor { name, ne, class });
    add("encoder.positional_embedding".into(), vec![a, u(h.n_audio_ctx)], F32);
    add("encoder.conv1.weight".into(), vec![3, u(h.n_mels), a], Conv);
    add("encoder.conv1.bias".into(), vec![1, a], F32);
    add("encoder.conv2.weight".into(), vec![3, a, a], Conv);
    add("encoder.conv2.bias".into(), vec![1, a], F32);
    let block = |add: &mut dyn FnMut(String, Vec<u64>, TensorClass), p: String, s: u64, cross: bool| {
        let attns: &[&str] = if cross { &["attn", "cross_attn"] } else { &["attn"] };
        for attn in attns {
            for (part, bias) in [("query", true), ("key", false), ("value", true), ("out", true)] {
                add(format!("{p}.{attn}.{part}.weight"), vec![s, s], Weight);
                if bias {
                    add(format!("{p}.{attn}.{part}.bias"), vec![s], F32);
                }
            }
            add(format!("{p}.{attn}_ln.weight"), vec![s], F32);
            add(format!("{p}.{attn}_ln.bias"), vec![s], F32);
        }
        add(format!("{p}.mlp.0.weight"), vec![s, 4 * s], Weight);
        add(format!("{p}.mlp.0.bias"), vec![4 * s], F32);
        add(format!("{p}.mlp.2.weight"), vec![4 * s, s], Weight);
        add(format!("{p}.mlp.2.bias"), vec![s], F32);
        add(format!("{p}.mlp_ln.weight"), vec![s], F32);
        add(format!("{p}.mlp_ln.bias"), vec![s], F32);
    };
    for i in 0..h.n_audio_layer.max(0) {
        block(&mut add, format!("encoder.blocks.{i}"), a, false);
    }
    add("encoder.ln_post.weight".into(), vec![a], F32);
    add("encoder.ln_post.bias".into(), vec![a], F32);
    add("decoder.positional_embedding".into(), vec![t, u(h.n_text_ctx)], F32);
    add("decoder.token_embedding.weight".into(), vec![t, u(h.n_vocab)], Weight);
    for i in 0..h.n_text_layer.max(0) {
        block(&mut add, format!("decoder.blocks.{i}"), t, true);
    }
    add("decoder.ln.weight".into(), vec![t], F32);
    add("decoder.ln.bias".into(), vec![t], F32);
    out
}

/// What a valid GGML file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgmlInfo {
    /// Rows of the token embedding (51864 English-only, 51865 multilingual, 51866 large-v3).
    pub n_vocab: i32,
    /// True for the multilingual models (n_vocab 51865 or 51866), false for English-only (51864).
    pub multilingual: bool,
    /// 0 f32, 1 f16, others quantised (1000 * version + ggml ftype, e.g. 2007 = q8_0).
    pub ftype: i32,
    /// Encoder blocks (4 tiny, 6 base, 12 small, 24 medium, 32 large).
    pub n_audio_layer: i32,
    /// Decoder blocks.
    pub n_text_layer: i32,
    /// Tensors in the file (all that whisper.cpp expects, none more).
    pub n_tensors: usize,
    /// Bytes.
    pub file_size: u64,
    /// All header fields.
    pub hparams: Hparams,
    /// Regular tokens stored in the file (whisper.cpp adds the special ones).
    pub n_file_tokens: usize,
    /// Element type of the weight matrices.
    pub weight_type: GgmlType,
}

/// Writes the magic number and header.
pub fn write_header(w: &mut impl Write, h: &Hparams) -> io::Result<()> {
    w.write_all(&MAGIC.to_le_bytes())?;
    for v in h.to_array() {
        w.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

/// Writes the mel filter block: n_mel, n_fft bins, then the weights.
pub fn write_mel_filters(w: &mut impl Write, n_mels: i32, filters: &[f32]) -> io::Result<()> {
    w.write_all(&n_mels.to_le_bytes())?;
    w.write_all(&N_FFT_BINS.to_le_bytes())?;
    for f in filters {
        w.write_all(&f.to_le_bytes())?;
    }
    Ok(())
}

/// Writes the vocabulary: count, then length-prefixed raw token bytes.
pub fn write_vocab(w: &mut impl Write, tokens: &[Vec<u8>]) -> io::Result<()> {
    w.write_all(&(tokens.len() as i32).to_le_bytes())?;
    for t in tokens {
        w.write_all(&(t.len() as i32).to_le_bytes())?;
        w.write_all(t)?;
    }
    Ok(())
}

/// Writes one tensor header (n_dims, name length, type, dims innermost first, name); the data follows.
pub fn write_tensor_header(w: &mut impl Write, name: &str, ne: &[u64], ty: GgmlType) -> io::Result<()> {
    w.write_all(&(ne.len() as i32).to_le_bytes())?;
    w.write_all(&(name.len() as i32).to_le_bytes())?;
    w.write_all(&ty.code().to_le_bytes())?;
    for d in ne {
        w.write_all(&(*d as i32).to_le_bytes())?;
    }
    w.write_all(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_en() -> Hparams {
        Hparams::from_array([51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1])
    }

    #[test]
    fn tiny_en_expects_whisper_cpp_tensor_count() {
        // whisper.cpp: 5 + 2 encoder top-level, 15 per encoder block; 4 decoder top-level, 24 per decoder block.
        let t = expected_tensors(&tiny_en());
        assert_eq!(t.len(), 7 + 4 * 15 + 4 + 4 * 24);
        let te = t.iter().find(|t| t.name == "decoder.token_embedding.weight").unwrap();
        assert_eq!(te.ne, vec![384, 51864]);
        assert!(!t.iter().any(|t| t.name.contains("key.bias")));
    }

    #[test]
    fn languages_follow_the_vocabulary_size() {
        assert_eq!(tiny_en().languages(), vec!["en"]);
        let base = Hparams { n_vocab: 51865, ..tiny_en() };
        assert_eq!(base.languages().len(), 99);
        assert_eq!(&base.languages()[..2], &["en", "zh"]);
        assert_eq!(Hparams { n_vocab: 51866, ..tiny_en() }.languages().last(), Some(&"yue"));
    }
}
