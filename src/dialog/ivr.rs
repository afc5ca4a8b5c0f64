//! The IVR's menus as data: prompts/ivr.toml parsed and checked into [`Ivr`] (timing, retry limits, prompt
//! text per language, spoken state and field names, words that pick options). Pure: parsing takes text; only
//! [`Ivr::load`] reads a file. Errors name the file, line and field.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// The built-in menus, embedded so the binary works from any directory.
pub const BUILTIN: &str = include_str!("../../prompts/ivr.toml");

/// Languages every prompt must have.
pub const LANGUAGES: [&str; 2] = ["en", "zh"];

/// Every prompt id the dialog speaks, with the placeholders its text may use.
pub const PROMPTS: &[(&str, &[&str])] = &[
    ("welcome", &[]),
    ("language", &[]),
    ("technician_id", &[]),
    ("pin", &[]),
    ("wrong_pin", &[]),
    ("pin_locked", &[]),
    ("main_menu", &["name"]),
    ("dictate", &[]),
    ("one_moment", &[]),
    ("nothing_heard", &[]),
    ("no_input", &[]),
    ("no_match", &[]),
    ("field_skipped", &[]),
    ("read_back", &["summary"]),
    ("confirm_menu", &[]),
    ("correct_menu", &["choices"]),
    ("correct_choice", &["field", "key"]),
    ("saved", &["ticket"]),
    ("save_failed", &[]),
    ("ticket_number", &[]),
    ("ticket_state", &["ticket", "state"]),
    ("ticket_unknown", &["ticket"]),
    ("to_message", &[]),
    ("message", &[]),
    ("message_saved", &[]),
    ("anything_else", &[]),
    ("goodbye", &[]),
];

/// Option words the dialog listens for.
pub const WORDS: [&str; 9] = ["english", "chinese", "report", "ticket", "message", "end", "confirm", "again", "fix"];

/// Why menus were refused: names the file, the line and the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum IvrError {
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}:{line}: {field}: {message}")]
    Invalid { file: String, line: usize, field: String, message: String },
}

/// Waiting times, from `[timing]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub no_input: Duration,
    pub inter_digit: Duration,
    pub dictation_silence: Duration,
    pub dictation_max: Duration,
    pub message_max: Duration,
    pub one_moment_after: Duration,
}

/// Retry limits, from `[limits]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub no_input: u32,
    pub no_match: u32,
    pub pin_attempts: u32,
    pub field_attempts: u32,
}

/// Parsed menus.
#[derive(Debug, Clone)]
pub struct Ivr {
    pub timing: Timing,
    pub limits: Limits,
    /// prompt id -> language -> text.
    prompts: BTreeMap<String, BTreeMap<String, String>>,
    /// language -> report state -> spoken.
    states: BTreeMap<String, BTreeMap<String, String>>,
    /// language -> field name -> spoken.
    field_names: BTreeMap<String, BTreeMap<String, String>>,
    /// language -> option -> words.
    words: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    timing: toml::Spanned<RawTiming>,
    limits: toml::Spanned<RawLimits>,
    prompt: BTreeMap<toml::Spanned<String>, BTreeMap<String, toml::Spanned<String>>>,
    #[serde(default)]
    state: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    field_name: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    words: BTreeMap<String, BTreeMap<toml::Spanned<String>, Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiming {
    no_input_ms: u64,
    inter_digit_ms: u64,
    dictation_silence_ms: u64,
    dictation_max_ms: u64,
    message_max_ms: u64,
    one_moment_after_ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    no_input: u32,
    no_match: u32,
    pin_attempts: u32,
    field_attempts: u32,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).unwrap_or(text).matches('\n').count() + 1
}

/// The `{name}` placeholders in a prompt text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

impl Ivr {
    /// Reads and checks a menus file.
    pub fn load(path: &Path) -> Result<Ivr, IvrError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| IvrError::Read { file: file.clone(), source })?;
        Ivr::parse(&text, &file)
    }

    /// The built-in prompts/ivr.toml.
    pub fn builtin() -> Ivr {
        // The embedded file is checked by a unit test; a failure here is a build defect.
        Ivr::parse(BUILTIN, "prompts/ivr.toml (built in)").unwrap_or_else(|e| panic!("built-in menus: {e}"))
    }

    /// Parses menus text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Ivr, IvrError> {
        let err = |offset: usize, field: &str, message: String| IvrError::Invalid {
            file: origin.to_string(),
            line: line_of(text, offset),
            field: field.to_string(),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            err(at, "syntax", e.message().trim().to_string())
        })?;
        let t = raw.timing.get_ref();
        let at = raw.timing.span().start;
        let ms = |name: &str, v: u64, min: u64| -> Result<Duration, IvrError> {
            if v < min || v > 600_000 {
                return Err(err(at, &format!("timing.{name}"), format!("{v} ms is outside {min}..600000")));
            }
            Ok(Duration::from_millis(v))
        };
        let timing = Timing {
            no_input: ms("no_input_ms", t.no_input_ms, 500)?,
            inter_digit: ms("inter_digit_ms", t.inter_digit_ms, 500)?,
            dictation_silence: ms("dictation_silence_ms", t.dictation_silence_ms, 300)?,
            dictation_max: ms("dictation_max_ms", t.dictation_max_ms, 1000)?,
            message_max: ms("message_max_ms", t.message_max_ms, 1000)?,
            one_moment_after: ms("one_moment_after_ms", t.one_moment_after_ms, 0)?,
        };
        let l = raw.limits.get_ref();
        let at = raw.limits.span().start;
        if l.pin_attempts == 0 || l.field_attempts == 0 {
            return Err(err(at, "limits", "pin_attempts and field_attempts must be at least 1".into()));
        }
        let limits =
            Limits { no_input: l.no_input, no_match: l.no_match, pin_attempts: l.pin_attempts, field_attempts: l.field_attempts };
        let mut prompts = BTreeMap::new();
        for (id, texts) in &raw.prompt {
            let name = id.get_ref();
            let Some((_, allowed)) = PROMPTS.iter().find(|(p, _)| p == name) else {
                return Err(err(id.span().start, &format!("prompt.{name}"), "unknown prompt id".into()));
            };
            let mut by_lang = BTreeMap::new();
            for (lang, t) in texts {
                let field = format!("prompt.{name}.{lang}");
                if !LANGUAGES.contains(&lang.as_str()) {
                    return Err(err(t.span().start, &field, format!("unknown language (expected {})", LANGUAGES.join(", "))));
                }
                if t.get_ref().trim().is_empty() {
                    return Err(err(t.span().start, &field, "empty text".into()));
                }
                if let Some(bad) = placeholders(t.get_ref()).into_iter().find(|p| !allowed.contains(p)) {
                    let known = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
                    return Err(err(t.span().start, &field, format!("unknown placeholder {{{bad}}} (allowed: {known})")));
                }
                by_lang.insert(lang.clone(), t.get_ref().trim().to_string());
            }
            prompts.insert(name.clone(), by_lang);
        }
        let end = text.len();
        for (id, _) in PROMPTS {
            for lang in LANGUAGES {
                if !prompts.get(*id).is_some_and(|m| m.contains_key(lang)) {
                    return Err(err(end, &format!("prompt.{id}.{lang}"), "missing".into()));
                }
            }
        }
        let mut words = BTreeMap::new();
        for (lang, options) in raw.words {
            let mut by_option = BTreeMap::new();
            for (option, list) in options {
                if !WORDS.contains(&option.get_ref().as_str()) {
                    let field = format!("words.{lang}.{}", option.get_ref());
                    return Err(err(option.span().start, &field, format!("unknown option (expected {})", WORDS.join(", "))));
                }
                by_option.insert(option.get_ref().clone(), list.into_iter().map(|w| w.trim().to_lowercase()).collect());
            }
            words.insert(lang, by_option);
        }
        Ok(Ivr { timing, limits, prompts, states: raw.state, field_names: raw.field_name, words })
    }

    /// A prompt's text in `lang` with `{placeholders}` filled from `args` (English when `lang` is unknown).
    pub fn text(&self, id: &str, lang: &str, args: &[(&str, &str)]) -> String {
        let by_lang = self.prompts.get(id);
        let mut t = by_lang.and_then(|m| m.get(lang).or_else(|| m.get("en"))).cloned().unwrap_or_default();
        for (k, v) in args {
            t = t.replace(&format!("{{{k}}}"), v);
        }
        t
    }

    /// How a report state is said.
    pub fn state_name(&self, lang: &str, state: &str) -> String {
        self.states.get(lang).and_then(|m| m.get(state)).cloned().unwrap_or_else(|| state.to_string())
    }

    /// How a form field is named in the correction menu.
    pub fn field_name(&self, lang: &str, field: &str) -> String {
        self.field_names.get(lang).and_then(|m| m.get(field)).cloned().unwrap_or_else(|| field.replace('_', " "))
    }

    /// The option among `options` whose words `said` contains (the longest word wins), if any.
    pub fn option_said<'o>(&self, lang: &str, said: &str, options: &[&'o str]) -> Option<&'o str> {
        let said = said.to_lowercase();
        let padded = format!(" {} ", said.replace(|c: char| !c.is_alphanumeric() && c != '\'', " "));
        let mut best: Option<(&str, usize)> = None;
        for lang in [lang, if lang == "en" { "zh" } else { "en" }] {
            let Some(table) = self.words.get(lang) else { continue };
            for option in options {
                for w in table.get(*option).into_iter().flatten() {
                    let cjk = w.chars().any(crate::extract::directory::is_cjk);
                    let hit = if cjk { said.contains(w.as_str()) } else { padded.contains(&format!(" {w} ")) };
                    if hit && best.is_none_or(|(_, len)| w.chars().count() > len) {
                        best = Some((option, w.chars().count()));
                    }
                }
            }
            if best.is_some() {
                break;
            }
        }
        best.map(|(o, _)| o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_menus_parse_and_fill_placeholders() {
        let ivr = Ivr::parse(BUILTIN, "ivr.toml").unwrap();
        assert_eq!(ivr.timing.dictation_silence, Duration::from_millis(2500));
        assert_eq!(ivr.limits.pin_attempts, 3);
        assert!(ivr.text("saved", "en", &[("ticket", "4 2")]).ends_with("Your ticket number is 4 2."));
        assert_eq!(ivr.text("ticket_state", "zh", &[("ticket", "42"), ("state", "已审核")]), "工单42的状态是：已审核。");
        assert_eq!(ivr.state_name("en", "posted"), "posted to the customer record");
        assert_eq!(ivr.field_name("en", "labor_hours"), "labour hours");
        assert_eq!(ivr.field_name("en", "asset"), "asset");
        assert_eq!(ivr.field_name("zh", "asset"), "设备编号");
    }

    #[test]
    fn spoken_options_match_whole_words_longest_first() {
        let ivr = Ivr::builtin();
        assert_eq!(ivr.option_said("en", "English, please.", &["english", "chinese"]), Some("english"));
        assert_eq!(ivr.option_said("en", "我要中文", &["english", "chinese"]), Some("chinese"));
        assert_eq!(ivr.option_said("en", "Record again.", &["confirm", "again", "fix"]), Some("again"));
        assert_eq!(ivr.option_said("en", "Yes, that is right", &["confirm", "again", "fix"]), Some("confirm"));
        assert_eq!(ivr.option_said("en", "yesterday", &["confirm"]), None);
        assert_eq!(ivr.option_said("zh", "确认", &["confirm", "again"]), Some("confirm"));
    }

    #[test]
    fn bad_menus_are_refused_with_file_line_and_field() {
        let broken = BUILTIN.replace("dictation_silence_ms = 2500", "dictation_silence_ms = 5");
        let e = Ivr::parse(&broken, "ivr.toml").unwrap_err().to_string();
        assert!(e.starts_with("ivr.toml:4: timing.dictation_silence_ms: 5 ms is outside 300..600000"), "{e}");
        let broken = BUILTIN.replace("Ticket {ticket} is {state}.", "Ticket {number} is {state}.");
        let e = Ivr::parse(&broken, "ivr.toml").unwrap_err().to_string();
        let line = BUILTIN.lines().position(|l| l.contains("Ticket {ticket} is")).unwrap() + 1;
        assert_eq!(e, format!("ivr.toml:{line}: prompt.ticket_state.en: unknown placeholder {{number}} (allowed: ticket, state)"));
        let broken = BUILTIN.replace("zh = \"再见。\"", "");
        let e = Ivr::parse(&broken, "ivr.toml").unwrap_err().to_string();
        assert!(e.ends_with("prompt.goodbye.zh: missing"), "{e}");
        let broken = BUILTIN.replace("[prompt.goodbye]", "[prompt.farewell]");
        let e = Ivr::parse(&broken, "ivr.toml").unwrap_err().to_string();
        assert!(e.contains(": prompt.farewell: unknown prompt id"), "{e}");
        let e = Ivr::parse("timing = 3", "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("x.toml:1: syntax: "), "{e}");
        let broken = BUILTIN.replace("fix = [\"fix\"", "mend = [\"fix\"");
        let e = Ivr::parse(&broken, "ivr.toml").unwrap_err().to_string();
        assert!(e.contains("words.en.mend: unknown option"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn garbage_never_panics(text in "\\PC{0,200}") {
            let _ = Ivr::parse(&text, "fuzz.toml");
        }
    }
}
