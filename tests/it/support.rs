//! Shared helpers for integration tests.

use std::path::PathBuf;

/// Path of the built `fieldvoice` binary.
#[allow(dead_code)]
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fieldvoice"))
}

/// The repository root.
#[allow(dead_code)]
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
