//! Where recordings live on disk under the data directory (content-addressed by SHA-256) and how they are
//! written so that they survive a crash. Shared by the upload API and device submissions through the store.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The recording's SHA-256 (hex) and its path relative to the data directory.
pub fn recording_location(bytes: &[u8]) -> (String, PathBuf) {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let rel = PathBuf::from("recordings").join(&sha256[..2]).join(format!("{sha256}.wav"));
    (sha256, rel)
}

/// Writes `data` to `path` so that it survives a crash once this returns: a temporary file in the same
/// directory is written and synced, renamed into place, and the directory synced. Content-addressed paths
/// make a repeat write of the same bytes a no-op (`replace: false`).
pub fn write_durably(path: &Path, data: &[u8], replace: bool) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    if !replace && path.exists() {
        return Ok(());
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}
