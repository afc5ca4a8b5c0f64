//! One dictation session: record the report, transcribe it (live while speaking), extract the form's fields,
//! ask for each missing required field (shown and spoken), read the summary back and take a spoken or typed
//! "yes". Drives an [`AudioSource`], a [`Recorder`], a [`Transcriber`] and a [`Speaker`]; the terminal is
//! whatever `out` is. Slot filling itself is [`crate::dialog::slots`].

use std::collections::VecDeque;
use std::io::Write;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::capture::{CaptureError, CaptureOptions, Control, Recorder};
use super::source::AudioSource;
use super::speaker::Speaker;
use crate::dialog::slots::{Answer, merge_answer, next_slot, summary};
use crate::extract::{Directory, ExtractOptions, Extraction, Form, WordConfidence, extract};
use crate::transcribe::{Language, Segment, TranscribeError, TranscribeOptions, Transcriber, Transcript};

/// How a session runs.
pub struct SessionConfig<'a> {
    pub form: &'a Form,
    /// "en" or "zh": the language spoken, asked and read back in.
    pub lang: String,
    pub reference_date: NaiveDate,
    pub directory: Option<&'a dyn Directory>,
    pub capture: CaptureOptions,
    /// Show a live transcript while the technician speaks (only worth it on a real-time source).
    pub live: bool,
    /// Take the read-back as confirmed without asking (`--yes`).
    pub auto_confirm: bool,
    /// Typed answers used before listening (`--script`): `field=answer` lines answer that field whenever it
    /// is asked; other lines answer the questions in turn (the last one can be the confirmation).
    pub script: VecDeque<String>,
    /// Tries per question before the field is left for the reviewer.
    pub tries: usize,
}

/// The terminal side: where text goes, and whether the stop key was pressed.
pub struct Console<'a> {
    pub out: &'a mut dyn Write,
    pub speaker: &'a mut dyn Speaker,
    /// Polled while recording; true ends the utterance.
    pub stop_key: &'a mut dyn FnMut() -> bool,
}

/// What a confirmed session produced.
#[derive(Debug, Clone)]
pub struct Dictated {
    /// The transcript as the upload API takes it (text, language, model, segments with session offsets).
    pub transcript: Value,
    pub extraction: Extraction,
    /// The read-back that was confirmed.
    pub summary: String,
}

/// Why a session produced no report. The recording is kept either way.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Capture(#[from] CaptureError),
    #[error("transcription: {0}")]
    Transcribe(#[from] TranscribeError),
    #[error("the read-back was not confirmed; the recording is kept in {kept}")]
    NotConfirmed { kept: String },
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
}

impl Console<'_> {
    /// Shows a prompt and says it (a printing speaker is the showing).
    fn say(&mut self, text: &str, lang: &str) -> std::io::Result<()> {
        if self.speaker.kind() != "print" {
            writeln!(self.out, "» {text}")?;
        }
        if let Err(e) = self.speaker.say(text, lang) {
            writeln!(self.out, "» {text}   (not spoken: {e})")?;
        }
        Ok(())
    }
}

/// Runs one session to a confirmed report.
pub fn dictate(
    cfg: &mut SessionConfig<'_>,
    source: &mut dyn AudioSource,
    recorder: &mut Recorder,
    transcriber: &dyn Transcriber,
    console: &mut Console<'_>,
) -> Result<Dictated, SessionError> {
    let lang = cfg.lang.clone();
    let zh = lang == "zh";
    let topts = TranscribeOptions { language: Language::Code(lang.clone()), ..TranscribeOptions::default() };
    console.say(if zh { "请说出报告内容，说完后停顿或按回车。" } else { "Dictate the report; pause or press Enter when done." }, &lang)?;
    let mut segments: Vec<Segment> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let main = listen(cfg, source, recorder, transcriber, console, &topts)?;
    let mut extraction = run_extract(cfg, &main.0.text, &main.0);
    texts.push(main.0.text.clone());
    segments.extend(shifted(&main.0, main.1));
    show_fields(console.out, cfg.form, &extraction)?;

    let mut skipped: Vec<String> = Vec::new();
    let mut tries = 0;
    while let Some(slot) = next_slot(cfg.form, &extraction, &lang, &skipped) {
        console.say(&slot.question, &lang)?;
        let answer = match answer(cfg, Some(&slot.field), source, recorder, transcriber, console, &topts)? {
            Some((text, t)) => {
                if let Some((t, offset)) = t {
                    segments.extend(shifted(&t, offset));
                }
                text
            }
            None => String::new(),
        };
        writeln!(console.out, "  heard: {answer}")?;
        let opts = extract_options(cfg, &[]);
        let merged = if answer.trim().is_empty() {
            Err(if zh { "没有听到回答".to_string() } else { format!("{}: no answer heard", slot.field) })
        } else {
            merge_answer(cfg.form, &mut extraction, &slot.field, Answer::Speech(&answer), &opts).map_err(|e| e.message)
        };
        match merged {
            Ok(()) if next_slot(cfg.form, &extraction, &lang, &skipped).is_some_and(|s| s.field == slot.field) => tries += 1,
            Ok(()) => {
                texts.push(answer);
                tries = 0;
            }
            Err(message) => {
                writeln!(console.out, "  ! {message}")?;
                tries += 1;
            }
        }
        if tries >= cfg.tries {
            writeln!(console.out, "  ! {} left for the reviewer", slot.field)?;
            skipped.push(slot.field.clone());
            tries = 0;
        }
        show_fields(console.out, cfg.form, &extraction)?;
    }

    let text = summary(cfg.form, &extraction, &lang);
    let read_back = if zh { format!("我记录的是：{text}对吗？") } else { format!("I have: {text} Is that right?") };
    console.say(&read_back, &lang)?;
    let confirmed = if cfg.auto_confirm {
        writeln!(console.out, "  confirmed (--yes)")?;
        true
    } else {
        let reply = answer(cfg, None, source, recorder, transcriber, console, &topts)?.map(|(t, _)| t).unwrap_or_default();
        writeln!(console.out, "  heard: {reply}")?;
        is_yes(&reply)
    };
    if !confirmed {
        return Err(SessionError::NotConfirmed { kept: recorder.path().display().to_string() });
    }
    let transcript = json!({
        "text": texts.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" "),
        "language": lang,
        "model": transcriber.model_name(),
        "segments": segments,
    });
    Ok(Dictated { transcript, extraction, summary: text })
}

/// A typed answer from the script, else a spoken one: its text and, when spoken, its transcript and offset.
#[allow(clippy::type_complexity)]
fn answer(
    cfg: &mut SessionConfig<'_>,
    field: Option<&str>,
    source: &mut dyn AudioSource,
    recorder: &mut Recorder,
    transcriber: &dyn Transcriber,
    console: &mut Console<'_>,
    topts: &TranscribeOptions,
) -> Result<Option<(String, Option<(Transcript, f64)>)>, SessionError> {
    if let Some(line) = scripted(&mut cfg.script, cfg.form, field) {
        return Ok(Some((line, None)));
    }
    match listen(cfg, source, recorder, transcriber, console, topts) {
        Ok((t, offset)) => Ok(Some((t.text.clone(), Some((t, offset))))),
        // No answer (silence, or a file source that has ended): the caller counts it as a failed try.
        Err(SessionError::Capture(CaptureError::Silence { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The script's answer for `field` (`field=...`), else its next plain line.
fn scripted(script: &mut VecDeque<String>, form: &Form, field: Option<&str>) -> Option<String> {
    let keyed = |line: &str| line.split_once('=').filter(|(k, _)| form.field(k.trim()).is_some()).map(|(k, v)| (k.trim().to_string(), v.trim().to_string()));
    if let Some(f) = field
        && let Some(i) = script.iter().position(|l| keyed(l).is_some_and(|(k, _)| k == f))
    {
        return script.remove(i).and_then(|l| keyed(&l)).map(|(_, v)| v);
    }
    let i = script.iter().position(|l| keyed(l).is_none())?;
    script.remove(i)
}

/// Records one utterance (live transcript on the way) and transcribes it; returns it with its WAV offset.
fn listen(
    cfg: &SessionConfig<'_>,
    source: &mut dyn AudioSource,
    recorder: &mut Recorder,
    transcriber: &dyn Transcriber,
    console: &mut Console<'_>,
    topts: &TranscribeOptions,
) -> Result<(Transcript, f64), SessionError> {
    let live = cfg.live;
    let out = &mut *console.out;
    let stop_key = &mut *console.stop_key;
    let mut control = |p: &super::capture::Progress<'_>| {
        if live && p.update_due
            && let Ok(t) = transcriber.transcribe(p.samples, topts)
        {
            let _ = writeln!(out, "  … {}", t.text.trim());
        }
        if stop_key() { Control::Stop } else { Control::Continue }
    };
    let utterance = recorder.record_utterance(source, &cfg.capture, &mut control)?;
    let transcript = transcriber.transcribe(&utterance.samples, topts)?;
    writeln!(console.out, "  ✎ {}", transcript.text.trim())?;
    Ok((transcript, utterance.offset_s))
}

fn extract_options<'a>(cfg: &'a SessionConfig<'_>, words: &'a [WordConfidence]) -> ExtractOptions<'a> {
    ExtractOptions { language: Some(cfg.lang.as_str()), reference_date: cfg.reference_date, directory: cfg.directory, words }
}

fn run_extract(cfg: &SessionConfig<'_>, text: &str, t: &Transcript) -> Extraction {
    let words: Vec<WordConfidence> = t
        .segments
        .iter()
        .flat_map(|s| &s.words)
        .map(|w| WordConfidence { text: w.text.trim().to_string(), confidence: w.confidence })
        .collect();
    extract(cfg.form, text, &extract_options(cfg, &words))
}

/// Segments moved to their place in the session WAV.
fn shifted(t: &Transcript, offset_s: f64) -> Vec<Segment> {
    t.segments
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.start_s += offset_s;
            s.end_s += offset_s;
            for w in &mut s.words {
                w.start_s += offset_s;
                w.end_s += offset_s;
            }
            s
        })
        .collect()
}

/// The form's fields as they stand: filled ones with their value, required missing ones marked.
pub fn show_fields(out: &mut dyn Write, form: &Form, x: &Extraction) -> std::io::Result<()> {
    let doc = x.to_json();
    for f in &form.fields {
        match doc["fields"].get(&f.name) {
            Some(v) => writeln!(out, "  [x] {:<14} {}", f.name, plain(v))?,
            None if f.required => writeln!(out, "  [ ] {:<14} (needed)", f.name)?,
            None => {}
        }
    }
    Ok(())
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// True for a yes in English or Chinese ("yes", "yeah, that's right", "对", "是的", "没错").
pub fn is_yes(reply: &str) -> bool {
    let lower = reply.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).collect();
    let negative = words.iter().any(|w| matches!(*w, "no" | "nope" | "not" | "wrong" | "incorrect"))
        || ["不", "错了", "没有"].iter().any(|n| lower.contains(n));
    if negative {
        return false;
    }
    words.iter().any(|w| matches!(*w, "yes" | "yeah" | "yep" | "correct" | "right" | "confirm" | "confirmed" | "ok" | "okay"))
        || ["对", "是", "没错", "好"].iter().any(|y| lower.contains(y))
}

#[cfg(test)]
mod tests {
    use super::is_yes;

    #[test]
    fn yes_and_no_in_both_languages() {
        for y in ["Yes.", "yeah, that's right", "Correct!", "对", "是的", "没错。", "OK"] {
            assert!(is_yes(y), "{y}");
        }
        for n in ["No.", "no, that's wrong", "not right", "不对", "不是", "", "maybe", "错了"] {
            assert!(!is_yes(n), "{n}");
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod flow_tests;
