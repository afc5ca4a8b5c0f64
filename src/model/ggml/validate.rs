//! Structural validation of a GGML Whisper file through a buffered, seeking reader: every length and offset is
//! checked against the file size before it is trusted, so a malformed file gives an error, never a panic.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::{ExpectedTensor, GgmlInfo, Hparams, MAGIC, N_AUDIO_CTX, N_FFT_BINS, N_TEXT_CTX, N_VOCAB_EN, expected_tensors};
use crate::model::ModelError;
use crate::model::quant::GgmlType;

/// Longest token whisper.cpp vocabularies hold is well under this; longer means a corrupt length.
const MAX_TOKEN_BYTES: u32 = 1024;
/// Longest plausible tensor name.
const MAX_NAME_BYTES: i32 = 256;

struct Reader {
    inner: BufReader<File>,
    pos: u64,
    len: u64,
}

impl Reader {
    fn need(&self, n: u64, what: &str) -> Result<(), String> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(format!("truncated: {what} needs {n} bytes at offset {}, file ends at {}", self.pos, self.len)),
        }
    }

    fn bytes(&mut self, n: usize, what: &str) -> Result<Vec<u8>, String> {
        self.need(n as u64, what)?;
        let mut buf = vec![0u8; n];
        self.inner.read_exact(&mut buf).map_err(|e| format!("reading {what} at offset {}: {e}", self.pos))?;
        self.pos += n as u64;
        Ok(buf)
    }

    fn i32(&mut self, what: &str) -> Result<i32, String> {
        let b = self.bytes(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), String> {
        self.need(n, what)?;
        let step = i64::try_from(n).map_err(|_| format!("{what}: size {n} too large"))?;
        self.inner.seek_relative(step).map_err(|e| format!("seeking past {what}: {e}"))?;
        self.pos += n;
        Ok(())
    }
}

/// Checks a GGML Whisper file before whisper.cpp sees it: magic, hparams, mel filters, vocabulary, and every
/// tensor's header, shape, type and data extent against what whisper.cpp expects for the hparams.
pub fn validate(path: &Path) -> Result<GgmlInfo, ModelError> {
    let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let len = file.metadata().map_err(|e| ModelError::io(path, e))?.len();
    let mut r = Reader { inner: BufReader::with_capacity(64 * 1024, file), pos: 0, len };
    check(&mut r).map_err(|reason| ModelError::Invalid { path: path.to_path_buf(), reason })
}

fn check(r: &mut Reader) -> Result<GgmlInfo, String> {
    if r.len == 0 {
        return Err("empty file".into());
    }
    if r.len < 4 {
        return Err(format!("too short to be a GGML model ({} bytes)", r.len));
    }
    let magic = r.i32("magic number")? as u32;
    if magic != MAGIC {
        return Err(format!("not a GGML model: magic number {magic:#010x}, expected {MAGIC:#010x}"));
    }
    let mut a = [0i32; 11];
    for v in &mut a {
        *v = r.i32("header")?;
    }
    let h = Hparams::from_array(a);
    let wtype = check_hparams(&h)?;

    let n_mel = r.i32("mel filter count")?;
    let n_fft = r.i32("mel filter size")?;
    if n_mel != h.n_mels || n_fft != N_FFT_BINS {
        return Err(format!("mel filters are {n_mel} x {n_fft}, expected {} x {N_FFT_BINS}", h.n_mels));
    }
    let filters = r.bytes((n_mel * n_fft * 4) as usize, "mel filters")?;
    if filters.chunks_exact(4).any(|b| !f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite()) {
        return Err("mel filters hold a non-finite value".into());
    }

    let n_tokens = r.i32("vocabulary size")?;
    if !(0..=h.n_vocab).contains(&n_tokens) {
        return Err(format!("vocabulary holds {n_tokens} tokens, expected 0 to n_vocab {}", h.n_vocab));
    }
    for i in 0..n_tokens {
        let n = r.i32(&format!("length of token {i}"))? as u32;
        if n > MAX_TOKEN_BYTES {
            return Err(format!("token {i} claims {n} bytes (at most {MAX_TOKEN_BYTES} expected)"));
        }
        r.skip(u64::from(n), &format!("token {i}"))?;
    }

    let expected: HashMap<String, ExpectedTensor> =
        expected_tensors(&h).into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut seen = HashMap::with_capacity(expected.len());
    while r.pos < r.len {
        let offset = r.pos;
        let n_dims = r.i32("tensor header")?;
        let name_len = r.i32("tensor header")?;
        let ttype = r.i32("tensor header")?;
        if !(1..=4).contains(&n_dims) {
            return Err(format!("tensor at offset {offset}: {n_dims} dimensions (1 to 4 expected)"));
        }
        if !(1..=MAX_NAME_BYTES).contains(&name_len) {
            return Err(format!("tensor at offset {offset}: name length {name_len} (1 to {MAX_NAME_BYTES} expected)"));
        }
        let mut ne = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let d = r.i32("tensor dimensions")?;
            if d < 1 {
                return Err(format!("tensor at offset {offset}: dimension {d}"));
            }
            ne.push(d as u64);
        }
        let name = String::from_utf8(r.bytes(name_len as usize, "tensor name")?)
            .map_err(|_| format!("tensor at offset {offset}: name is not UTF-8"))?;
        let want = expected
            .get(&name)
            .ok_or_else(|| format!("unexpected tensor {name:?} at offset {offset} (not part of a Whisper model with these hparams)"))?;
        if seen.insert(name.clone(), offset).is_some() {
            return Err(format!("tensor {name} appears twice"));
        }
        if ne != want.ne {
            return Err(format!("tensor {name} has shape {ne:?}, expected {:?} for these hparams", want.ne));
        }
        let ty = GgmlType::from_code(ttype).ok_or_else(|| format!("tensor {name}: unknown type {ttype}"))?;
        let want_ty = want.class.ggml_type(wtype);
        if ty != want_ty {
            return Err(format!("tensor {name} is {}, expected {} in a file of ftype {}", ty.name(), want_ty.name(), h.ftype));
        }
        let rows: u64 = ne[1..].iter().product();
        let size = ty
            .row_bytes(ne[0], rows)
            .ok_or_else(|| format!("tensor {name}: {} elements per row is not a whole number of {} blocks", ne[0], ty.name()))?;
        r.skip(size, &format!("tensor {name}"))?;
    }
    if seen.len() != expected.len() {
        let mut missing: Vec<&str> =
            expected.keys().filter(|k| !seen.contains_key(*k)).map(String::as_str).collect();
        missing.sort_unstable();
        let more = if missing.len() > 3 { format!(" and {} more", missing.len() - 3) } else { String::new() };
        return Err(format!("missing tensors: {}{more}", missing[..missing.len().min(3)].join(", ")));
    }
    Ok(GgmlInfo {
        n_vocab: h.n_vocab,
        multilingual: h.multilingual(),
        ftype: h.ftype,
        n_audio_layer: h.n_audio_layer,
        n_text_layer: h.n_text_layer,
        n_tensors: seen.len(),
        file_size: r.len,
        hparams: h,
        n_file_tokens: n_tokens as usize,
        weight_type: wtype,
    })
}

/// Checks the header values; returns the weight type the ftype stands for.
pub fn check_hparams(h: &Hparams) -> Result<GgmlType, String> {
    if !(N_VOCAB_EN..=N_VOCAB_EN + 2).contains(&h.n_vocab) {
        return Err(format!("n_vocab {} is not a Whisper vocabulary size (51864, 51865 or 51866)", h.n_vocab));
    }
    if h.n_audio_ctx != N_AUDIO_CTX || h.n_text_ctx != N_TEXT_CTX {
        return Err(format!(
            "contexts are {} (audio) and {} (text), Whisper uses {N_AUDIO_CTX} and {N_TEXT_CTX}",
            h.n_audio_ctx, h.n_text_ctx
        ));
    }
    if h.n_mels != 80 && h.n_mels != 128 {
        return Err(format!("n_mels {} (80 or 128 expected)", h.n_mels));
    }
    for (what, state, head, layer) in
        [("audio", h.n_audio_state, h.n_audio_head, h.n_audio_layer), ("text", h.n_text_state, h.n_text_head, h.n_text_layer)]
    {
        if !(1..=8192).contains(&state) || !(1..=128).contains(&head) || !(1..=128).contains(&layer) {
            return Err(format!("{what} state {state}, heads {head}, layers {layer} out of range"));
        }
        if state % head != 0 {
            return Err(format!("{what} state {state} is not a multiple of its {head} heads"));
        }
    }
    if h.n_audio_state != h.n_text_state {
        return Err(format!("audio state {} differs from text state {}", h.n_audio_state, h.n_text_state));
    }
    GgmlType::from_file_ftype(h.ftype).ok_or_else(|| format!("unknown ftype {}", h.ftype))
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
