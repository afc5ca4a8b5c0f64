//! ggml tensor element types and the block quantisers (q8_0, q5_0, q5_1), bit-compatible with ggml's reference
//! `quantize_row_*_ref` functions. Pure arithmetic; must not depend on anything outside `model`.

use half::f16;

/// ggml tensor types that can appear in a Whisper GGML file (numbering of `enum ggml_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
}

impl GgmlType {
    /// The type for a ggml type code, if whisper.cpp can load it from a GGML file.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            6 => GgmlType::Q5_0,
            7 => GgmlType::Q5_1,
            8 => GgmlType::Q8_0,
            _ => return None,
        })
    }

    /// The ggml type code.
    pub fn code(self) -> i32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q5_0 => 6,
            GgmlType::Q5_1 => 7,
            GgmlType::Q8_0 => 8,
        }
    }

    /// Elements per block (1 for plain floats).
    pub fn block_elements(self) -> u64 {
        match self {
            GgmlType::F32 | GgmlType::F16 => 1,
            _ => 32,
        }
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> u64 {
        match self {
            GgmlType::F32 => 4,
            GgmlType::F16 => 2,
            GgmlType::Q4_0 => 18,
            GgmlType::Q4_1 => 20,
            GgmlType::Q5_0 => 22,
            GgmlType::Q5_1 => 24,
            GgmlType::Q8_0 => 34,
        }
    }

    /// Bytes of a tensor whose innermost dimension is `ne0` and which has `rows` rows; None if `ne0` is not a
    /// whole number of blocks or the size overflows.
    pub fn row_bytes(self, ne0: u64, rows: u64) -> Option<u64> {
        let blk = self.block_elements();
        if !ne0.is_multiple_of(blk) {
            return None;
        }
        (ne0 / blk).checked_mul(self.block_bytes())?.checked_mul(rows)
    }

    /// The header `ftype` for a file whose weight matrices have this type (quantised: + version 2 * 1000).
    pub fn file_ftype(self) -> i32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2002,
            GgmlType::Q4_1 => 2003,
            GgmlType::Q8_0 => 2007,
            GgmlType::Q5_0 => 2008,
            GgmlType::Q5_1 => 2009,
        }
    }

    /// The weight type a header `ftype` stands for (whisper.cpp: `ggml_ftype_to_ggml_type(ftype % 1000)`).
    pub fn from_file_ftype(ftype: i32) -> Option<Self> {
        if ftype < 0 {
            return None;
        }
        Some(match ftype % 1000 {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            7 => GgmlType::Q8_0,
            8 => GgmlType::Q5_0,
            9 => GgmlType::Q5_1,
            _ => return None,
        })
    }

    /// Short lower-case name ("f16", "q8_0").
    pub fn name(self) -> &'static str {
        match self {
            GgmlType::F32 => "f32",
            GgmlType::F16 => "f16",
            GgmlType::Q4_0 => "q4_0",
            GgmlType::Q4_1 => "q4_1",
            GgmlType::Q5_0 => "q5_0",
            GgmlType::Q5_1 => "q5_1",
            GgmlType::Q8_0 => "q8_0",
        }
    }
}

/// Quantisations the converter can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantization {
    Q8_0,
    Q5_0,
    Q5_1,
}

impl Quantization {
    /// The ggml type of quantised tensors.
    pub fn ggml_type(self) -> GgmlType {
        match self {
            Quantization::Q8_0 => GgmlType::Q8_0,
            Quantization::Q5_0 => GgmlType::Q5_0,
            Quantization::Q5_1 => GgmlType::Q5_1,
        }
    }
}

impl std::str::FromStr for Quantization {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "q8_0" => Ok(Quantization::Q8_0),
            "q5_0" => Ok(Quantization::Q5_0),
            "q5_1" => Ok(Quantization::Q5_1),
            _ => Err(format!("unknown quantisation {s:?} (expected q8_0, q5_0 or q5_1)")),
        }
    }
}

const QK: usize = 32;

/// Quantises `x` (a whole number of 32-element blocks) into `out`, as ggml's reference quantisers do.
pub fn quantize(q: Quantization, x: &[f32], out: &mut Vec<u8>) {
    for block in x.chunks_exact(QK) {
        match q {
            Quantization::Q8_0 => q8_0_block(block, out),
            Quantization::Q5_0 => q5_0_block(block, out),
            Quantization::Q5_1 => q5_1_block(block, out),
        }
    }
}

fn q8_0_block(x: &[f32], out: &mut Vec<u8>) {
    let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
    // C's roundf rounds half away from zero, as does f32::round; the cast saturates like the C conversion.
    out.extend(x.iter().map(|v| (v * id).round() as i8 as u8));
}

fn pack5(xi: &[u8], out: &mut Vec<u8>) {
    let mut qh = 0u32;
    let mut qs = [0u8; QK / 2];
    for j in 0..QK / 2 {
        let (a, b) = (xi[j], xi[j + QK / 2]);
        qs[j] = (a & 0x0f) | ((b & 0x0f) << 4);
        qh |= u32::from((a & 0x10) >> 4) << j;
        qh |= u32::from((b & 0x10) >> 4) << (j + QK / 2);
    }
    out.extend_from_slice(&qh.to_le_bytes());
    out.extend_from_slice(&qs);
}

fn q5_0_block(x: &[f32], out: &mut Vec<u8>) {
    let (mut amax, mut max) = (0.0f32, 0.0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    let d = max / -16.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
    // (int8_t)(x + 16.5f) truncates toward zero, then MIN(31, ...).
    let xi: Vec<u8> = x.iter().map(|v| ((v * id + 16.5) as i8).min(31) as u8).collect();
    pack5(&xi, out);
}

fn q5_1_block(x: &[f32], out: &mut Vec<u8>) {
    let min = x.iter().fold(f32::MAX, |m, v| m.min(*v));
    let max = x.iter().fold(-f32::MAX, |m, v| m.max(*v));
    let d = (max - min) / 31.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
    out.extend_from_slice(&f16::from_f32(min).to_le_bytes());
    let xi: Vec<u8> = x.iter().map(|v| ((v - min) * id + 0.5) as u8).collect();
    pack5(&xi, out);
}

/// Reverses [`quantize`] for one block type (used by tests to bound the error).
pub fn dequantize(q: Quantization, bytes: &[u8]) -> Vec<f32> {
    let t = q.ggml_type();
    let h = |b: &[u8]| f16::from_le_bytes([b[0], b[1]]).to_f32();
    let mut out = Vec::new();
    for blk in bytes.chunks_exact(t.block_bytes() as usize) {
        match q {
            Quantization::Q8_0 => out.extend(blk[2..].iter().map(|&b| h(blk) * f32::from(b as i8))),
            Quantization::Q5_0 | Quantization::Q5_1 => {
                let (d, m, rest) = if q == Quantization::Q5_0 { (h(blk), 0.0, &blk[2..]) } else { (h(blk), h(&blk[2..]), &blk[4..]) };
                let qh = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                let qs = &rest[4..];
                let mut vals = [0f32; QK];
                for j in 0..QK / 2 {
                    let lo = (qs[j] & 0x0f) | ((((qh >> j) & 1) as u8) << 4);
                    let hi = (qs[j] >> 4) | ((((qh >> (j + 16)) & 1) as u8) << 4);
                    let (a, b) = if q == Quantization::Q5_0 {
                        (f32::from(lo) - 16.0, f32::from(hi) - 16.0)
                    } else {
                        (f32::from(lo), f32::from(hi))
                    };
                    vals[j] = a * d + m;
                    vals[j + QK / 2] = b * d + m;
                }
                out.extend_from_slice(&vals);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<f32> {
        (0..64).map(|i| ((i * 37 % 29) as f32 - 14.0) / 7.0).collect()
    }

    #[test]
    fn blocks_have_ggml_sizes_and_decode_close_to_the_input() {
        let x = sample();
        let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (q, tolerance) in [(Quantization::Q8_0, amax / 127.0), (Quantization::Q5_0, amax / 16.0), (Quantization::Q5_1, 2.0 * amax / 31.0)] {
            let mut out = Vec::new();
            quantize(q, &x, &mut out);
            assert_eq!(out.len() as u64, q.ggml_type().row_bytes(64, 1).unwrap(), "{q:?}");
            let back = dequantize(q, &out);
            for (a, b) in x.iter().zip(&back) {
                assert!((a - b).abs() <= tolerance, "{q:?}: {a} came back as {b}");
            }
        }
    }

    #[test]
    fn q8_0_matches_the_reference_rounding() {
        let mut x = vec![0.0f32; 32];
        x[0] = 127.0;
        x[1] = -63.5;
        x[2] = 0.5;
        let mut out = Vec::new();
        quantize(Quantization::Q8_0, &x, &mut out);
        assert_eq!(f16::from_le_bytes([out[0], out[1]]).to_f32(), 1.0);
        assert_eq!(&out[2..5], &[127u8, (-64i8) as u8, 1]);
    }

    #[test]
    fn ftype_codes_round_trip() {
        for t in [GgmlType::F32, GgmlType::F16, GgmlType::Q8_0, GgmlType::Q5_0, GgmlType::Q5_1] {
            assert_eq!(GgmlType::from_file_ftype(t.file_ftype()), Some(t));
            assert_eq!(GgmlType::from_code(t.code()), Some(t));
        }
        assert_eq!(GgmlType::from_file_ftype(5), None);
    }
}
