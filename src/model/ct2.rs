//! Reader for CTranslate2 `model.bin` files (the format faster-whisper models ship in), over a byte slice.
//! Pure parsing: no file access, no knowledge of GGML. Must not depend on transcribe.

use std::collections::BTreeMap;

/// Element type of a CTranslate2 variable (the numbering of CTranslate2's `DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct2Type {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl Ct2Type {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Ct2Type::F32,
            1 => Ct2Type::I8,
            2 => Ct2Type::I16,
            3 => Ct2Type::I32,
            4 => Ct2Type::F16,
            5 => Ct2Type::Bf16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Ct2Type::I8 => 1,
            Ct2Type::I16 | Ct2Type::F16 | Ct2Type::Bf16 => 2,
            Ct2Type::F32 | Ct2Type::I32 => 4,
        }
    }
}

/// One variable: shape (outermost first, as in PyTorch), element type and raw little-endian data.
#[derive(Debug, Clone)]
pub struct Variable<'a> {
    pub dims: Vec<usize>,
    pub dtype: Ct2Type,
    pub data: &'a [u8],
}

impl Variable<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// True when the variable holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of a scalar integer variable (such as `encoder/num_heads`).
    pub fn as_int(&self) -> Option<i64> {
        if self.len() != 1 {
            return None;
        }
        let d = self.data;
        Some(match self.dtype {
            Ct2Type::I8 => i64::from(d[0] as i8),
            Ct2Type::I16 => i64::from(i16::from_le_bytes([d[0], d[1]])),
            Ct2Type::I32 => i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]])),
            _ => return None,
        })
    }

    /// Element `i` as f32 (floating-point variables only; callers check the type first).
    pub fn f32_at(&self, i: usize) -> f32 {
        let d = self.data;
        match self.dtype {
            Ct2Type::F32 => f32::from_le_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]]),
            Ct2Type::F16 => half::f16::from_le_bytes([d[2 * i], d[2 * i + 1]]).to_f32(),
            Ct2Type::Bf16 => half::bf16::from_le_bytes([d[2 * i], d[2 * i + 1]]).to_f32(),
            Ct2Type::I8 => f32::from(d[i] as i8),
            Ct2Type::I16 => f32::from(i16::from_le_bytes([d[2 * i], d[2 * i + 1]])),
            Ct2Type::I32 => i32::from_le_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]]) as f32,
        }
    }

    /// True for f32, f16 and bf16 variables.
    pub fn is_float(&self) -> bool {
        matches!(self.dtype, Ct2Type::F32 | Ct2Type::F16 | Ct2Type::Bf16)
    }
}

/// A parsed CTranslate2 model: spec name and variables by name (aliases resolved).
#[derive(Debug)]
pub struct Ct2Model<'a> {
    pub spec: String,
    pub binary_version: u32,
    pub variables: BTreeMap<String, Variable<'a>>,
}

impl<'a> Ct2Model<'a> {
    /// Looks up a variable.
    pub fn get(&self, name: &str) -> Option<&Variable<'a>> {
        self.variables.get(name)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| {
            format!("truncated: {what} needs {n} bytes at offset {}, file ends at {}", self.pos, self.bytes.len())
        })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A string: u16 length including a trailing NUL, then the bytes.
    fn string(&mut self, what: &str) -> Result<String, String> {
        let n = usize::from(self.u16(what)?);
        let b = self.take(n, what)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        String::from_utf8(b.to_vec()).map_err(|_| format!("{what} at offset {} is not UTF-8", self.pos - n))
    }
}

/// Parses a CTranslate2 `model.bin`. Errors say what is wrong and where.
pub fn parse(bytes: &[u8]) -> Result<Ct2Model<'_>, String> {
    let mut c = Cursor { bytes, pos: 0 };
    let binary_version = c.u32("binary version")?;
    if !(5..=6).contains(&binary_version) {
        return Err(format!(
            "not a CTranslate2 model: binary version {binary_version} (expected 5 or 6; is this really a model.bin?)"
        ));
    }
    let spec = c.string("spec name")?;
    let _revision = c.u32("spec revision")?;
    let count = c.u32("variable count")?;
    let mut variables = BTreeMap::new();
    for i in 0..count {
        let name = c.string(&format!("name of variable {i}"))?;
        let rank = c.u8(&format!("rank of {name}"))?;
        if rank > 8 {
            return Err(format!("variable {name}: rank {rank} is not plausible"));
        }
        let mut dims = Vec::with_capacity(usize::from(rank));
        for _ in 0..rank {
            dims.push(c.u32(&format!("dimensions of {name}"))? as usize);
        }
        let code = c.u8(&format!("type of {name}"))?;
        let dtype = Ct2Type::from_code(code).ok_or_else(|| format!("variable {name}: unknown type code {code}"))?;
        let nbytes = c.u32(&format!("size of {name}"))? as usize;
        let elements = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if elements.and_then(|e| e.checked_mul(dtype.size())) != Some(nbytes) {
            return Err(format!("variable {name}: {nbytes} bytes do not match shape {dims:?} of {dtype:?}"));
        }
        let data = c.take(nbytes, &format!("data of {name}"))?;
        variables.insert(name, Variable { dims, dtype, data });
    }
    // Aliases (absent in old files): `decoder/projection/weight` -> `decoder/embeddings/weight`.
    if c.pos < bytes.len() {
        let n = c.u32("alias count")?;
        for _ in 0..n {
            let alias = c.string("alias name")?;
            let target = c.string("alias target")?;
            let var = variables.get(&target).cloned().ok_or_else(|| format!("alias {alias} names missing {target}"))?;
            variables.insert(alias, var);
        }
    }
    if c.pos != bytes.len() {
        return Err(format!("{} bytes of trailing data after offset {}", bytes.len() - c.pos, c.pos));
    }
    Ok(Ct2Model { spec, binary_version, variables })
}

/// Writes a CTranslate2 `model.bin` (used by tests and benchmarks to build miniature models).
/// `vars` are (name, dims, type, raw data).
pub fn write(spec: &str, vars: &[(String, Vec<usize>, Ct2Type, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let put_str = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    };
    out.extend_from_slice(&6u32.to_le_bytes());
    put_str(&mut out, spec);
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
    for (name, dims, dtype, data) in vars {
        put_str(&mut out, name);
        out.push(dims.len() as u8);
        for d in dims {
            out.extend_from_slice(&(*d as u32).to_le_bytes());
        }
        let code = match dtype {
            Ct2Type::F32 => 0u8,
            Ct2Type::I8 => 1,
            Ct2Type::I16 => 2,
            Ct2Type::I32 => 3,
            Ct2Type::F16 => 4,
            Ct2Type::Bf16 => 5,
        };
        out.push(code);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_small_model() {
        let data: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect();
        let bytes = write(
            "WhisperSpec",
            &[
                ("a/weight".into(), vec![2], Ct2Type::F16, data),
                ("a/num_heads".into(), vec![], Ct2Type::I16, 6i16.to_le_bytes().to_vec()),
            ],
        );
        let m = parse(&bytes).unwrap();
        assert_eq!(m.spec, "WhisperSpec");
        let w = m.get("a/weight").unwrap();
        assert_eq!((w.dims.clone(), w.f32_at(0), w.f32_at(1)), (vec![2], 1.5, -2.0));
        assert_eq!(m.get("a/num_heads").unwrap().as_int(), Some(6));
    }

    #[test]
    fn truncated_and_foreign_inputs_are_errors() {
        let bytes = write("WhisperSpec", &[("x".into(), vec![4], Ct2Type::F32, vec![0; 16])]);
        for cut in [0, 3, 10, bytes.len() - 5] {
            assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let err = parse(b"RIFF\x24\x00\x00\x00WAVEfmt ").unwrap_err();
        assert!(err.contains("not a CTranslate2 model"), "{err}");
    }
}
