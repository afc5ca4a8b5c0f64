//! The capture side of dictation: the real cpal input path opened on ALSA's `null` device (no sound card
//! here), and a muted microphone (only silence) giving a clear message with the recording kept.

use std::time::{Duration, Instant};

use fieldvoice::device::{AudioSource, CpalSource, Next, SourceError};

use super::{dictate, files, text};

#[test]
fn cpal_opens_alsa_null_device_and_stops_cleanly() {
    let listed = fieldvoice::device::input_devices().expect("list input devices");
    assert!(listed.iter().any(|d| d.id.as_deref() == Some("alsa:null")), "ALSA null device listed: {listed:?}");
    for _ in 0..2 {
        // Open, receive audio, stop; twice, to show the device is released.
        let mut src = CpalSource::open(Some("null")).expect("open ALSA null");
        let started = Instant::now();
        let mut samples = 0usize;
        while samples < 16_000 && started.elapsed() < Duration::from_secs(10) {
            match src.next(Duration::from_millis(100)).expect("read from null") {
                Next::Audio(block) => {
                    assert!(block.iter().all(|&x| x == 0.0), "null capture is zeros");
                    samples += block.len();
                }
                Next::Pending => {}
                Next::Ended => panic!("stream ended early"),
            }
        }
        assert!(samples >= 16_000, "got {samples} samples at 16 kHz from {} ({})", src.name(), src.native_format());
        src.stop().expect("stop");
        assert_eq!(src.next(Duration::ZERO).unwrap(), Next::Ended);
    }
}

#[test]
fn unknown_device_names_the_available_ones() {
    let err = CpalSource::open(Some("no-such-microphone")).err().expect("refused");
    assert!(matches!(err, SourceError::UnknownDevice { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("no-such-microphone") && msg.contains("Discard all samples"), "{msg}");
}

#[tokio::test]
async fn muted_microphone_gives_a_clear_message_and_keeps_the_wav() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("queue");
    // A silent WAV file through the file source...
    let silent = dir.path().join("silence.wav");
    std::fs::write(&silent, fieldvoice::audio::encode_wav_pcm16(&vec![0.0; 16_000 * 4], 16_000).unwrap()).unwrap();
    let out = dictate(vec![
        "--input".into(),
        silent.display().to_string(),
        "--queue-dir".into(),
        queue.display().to_string(),
        "--listen-timeout".into(),
        "3".into(),
        "--yes".into(),
    ])
    .await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("heard only silence") && stderr.contains("microphone muted"), "{stderr}");
    let kept = files(&queue, "wav");
    assert_eq!(kept.len(), 1, "the recording is kept");
    assert!(stderr.contains(&kept[0].display().to_string()), "the message names the kept file: {stderr}");
    let wav = hound::WavReader::open(&kept[0]).unwrap();
    assert!(wav.duration() >= 16_000 * 3, "kept {} samples", wav.duration());
    assert!(files(&queue, "json").is_empty(), "nothing to submit");

    // ...and the live cpal path on the null device (a microphone that delivers only zeros).
    let out = dictate(vec!["--device".into(), "null".into(), "--queue-dir".into(), queue.display().to_string(), "--listen-timeout".into(), "2".into()]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("microphone muted or unplugged"), "{stderr}");
    assert_eq!(files(&queue, "wav").len(), 2);

    // A later run reports the unfinished recordings and never sends or deletes them.
    let out = dictate(vec!["--flush".into(), "--queue-dir".into(), queue.display().to_string()]).await;
    assert!(text(&out.stderr).contains("unfinished recording kept"), "{}", text(&out.stderr));
    assert_eq!(files(&queue, "wav").len(), 2);
}
