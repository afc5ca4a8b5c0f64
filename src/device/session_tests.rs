//! The session loop with a scripted transcriber and a tone standing in for speech: questions asked in form
//! order, spoken answers merged, the read-back, and a "no" keeping the recording.

use std::collections::VecDeque;
use std::time::Duration;

use super::*;
use crate::device::{PrintSpeaker, WavSource};
use crate::extract::form::find_form;
use crate::transcribe::FakeTranscriber;

/// One second of a loud warbling tone (the detector takes it for voice) then a second and a half of silence.
fn utterance() -> Vec<f32> {
    let mut s: Vec<f32> = (0..16_000)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.5 * (t * 220.0 * std::f32::consts::TAU * (1.0 + 0.3 * (t * 5.0 * std::f32::consts::TAU).sin())).sin()
                * (0.5 + 0.5 * (t * 4.0 * std::f32::consts::TAU).sin().abs())
        })
        .collect();
    s.extend(std::iter::repeat_n(0.0, 24_000));
    s
}

fn run(texts: &[&str], script: &[&str], auto_confirm: bool) -> (Result<Dictated, SessionError>, String) {
    let form = find_form("service_report", None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::create(&dir.path().join("s.wav")).unwrap();
    let audio: Vec<f32> = (0..texts.len()).flat_map(|_| utterance()).collect();
    let mut source = WavSource::from_samples("speech".into(), audio, false);
    let transcriber = FakeTranscriber::scripted(texts.iter().copied());
    let mut cfg = SessionConfig {
        form: &form,
        lang: "en".into(),
        reference_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        directory: None,
        capture: CaptureOptions { no_speech_timeout: Duration::from_secs(3), ..CaptureOptions::default() },
        live: false,
        auto_confirm,
        script: script.iter().map(|s| s.to_string()).collect::<VecDeque<_>>(),
        tries: 2,
    };
    let mut out = Vec::new();
    let mut speaker = PrintSpeaker::new(Vec::new());
    let result = {
        let mut stop = || false;
        let mut console = Console { out: &mut out, speaker: &mut speaker, stop_key: &mut stop };
        dictate(&mut cfg, &mut source, &mut recorder, &transcriber, &mut console)
    };
    let shown = String::from_utf8(speaker.into_inner()).unwrap() + &String::from_utf8(out).unwrap();
    (result, shown)
}

#[test]
fn missing_fields_are_asked_and_spoken_answers_merged() {
    let (result, shown) = run(
        &["Asset 4471. The compressor was tripping. Replaced the condenser fan motor. Job closed.", "Acme Foods", "two and a half hours", "yes"],
        &[],
        false,
    );
    let d = result.unwrap_or_else(|e| panic!("{e}\n{shown}"));
    assert!(shown.contains("Which customer or site was it for?") && shown.contains("How many hours of labour?"), "{shown}");
    let doc = d.extraction.to_json();
    assert_eq!(doc["fields"]["customer"], "Acme Foods");
    assert_eq!(doc["fields"]["labor_hours"], 2.5);
    assert_eq!(doc["fields"]["asset"], "4471");
    assert!(d.summary.contains("Acme Foods") && d.summary.contains("two and a half hours"), "{}", d.summary);
    assert!(d.transcript["text"].as_str().unwrap().ends_with("Acme Foods two and a half hours"), "{}", d.transcript);
    // Segments of the answers sit where the answers are in the session recording.
    let starts: Vec<f64> = d.transcript["segments"].as_array().unwrap().iter().map(|s| s["start_s"].as_f64().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
}

#[test]
fn a_no_keeps_the_recording_and_submits_nothing() {
    let (result, shown) = run(&["Asset 4471 for Acme Foods. Replaced the fan motor. Two hours. Closed. Compressor tripping.", "no, that's wrong"], &[], false);
    match result {
        Err(SessionError::NotConfirmed { kept }) => assert!(kept.ends_with("s.wav"), "{kept}"),
        other => panic!("{other:?}\n{shown}"),
    }
}

#[test]
fn script_answers_by_field_and_unanswerable_fields_are_left_for_the_reviewer() {
    // The dictation has no customer and no hours; the script answers the hours only.
    let (result, shown) = run(&["Asset 4471. Compressor tripping. Replaced the fan motor. Job closed."], &["labor_hours=3 hours"], true);
    let d = result.unwrap_or_else(|e| panic!("{e}\n{shown}"));
    let doc = d.extraction.to_json();
    assert_eq!(doc["fields"]["labor_hours"], 3.0);
    assert!(doc["fields"].get("customer").is_none());
    assert!(shown.contains("customer left for the reviewer"), "{shown}");
}
