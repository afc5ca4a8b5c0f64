//! The dialog state machine: welcome, language, technician login, main menu, dictation with slot filling
//! and read-back, ticket lookup, message box; barge-in, no-input and no-match limits, the "one moment"
//! filler while speech is transcribed. Time comes in with every event; nothing here reads a clock.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::ivr::Ivr;
use super::slots::{Answer, merge_answer, next_slot, summary};
use super::{Action, Event, Say, Speaker, Turn};
use crate::extract::{Directory, ExtractOptions, Extraction, Form, extract};

/// Where the call is.
#[derive(Debug, Clone, PartialEq)]
enum State {
    Idle,
    Language,
    TechId,
    Pin,
    CheckingPin,
    Menu,
    Dictate,
    Ask(String),
    ReadBack,
    Correct,
    Saving,
    Ticket,
    LookingUp,
    Message,
    SavingMessage,
    Closing,
}

impl State {
    /// States that take typed numbers ending with '#' or a pause.
    fn takes_number(&self) -> bool {
        matches!(self, State::TechId | State::Pin | State::Ticket | State::Ask(_))
    }

    /// States that act on one key press.
    fn takes_key(&self) -> bool {
        matches!(self, State::Language | State::Menu | State::ReadBack | State::Correct)
    }

    /// States whose spoken answers are transcribed one utterance at a time.
    fn takes_speech(&self) -> bool {
        matches!(self, State::Language | State::Menu | State::Ask(_) | State::ReadBack | State::Correct)
    }

    /// States that record until silence or '#'.
    fn records(&self) -> bool {
        matches!(self, State::Dictate | State::Message)
    }
}

/// Keys typed ahead while the dialog is busy (transcribing, checking a PIN, saving) that are kept for the next
/// state that takes keys; more than this and the oldest are dropped.
const TYPE_AHEAD: usize = 32;

/// A transcription in flight, and when the next filler is due.
#[derive(Debug, Clone, Copy)]
struct Pending {
    filler_at: Option<Instant>,
    fillers: u32,
}

/// One call's dialog. Feed it [`Event`]s with the time they happened; carry out the [`Action`]s it returns.
pub struct Dialog {
    ivr: Arc<Ivr>,
    form: Arc<Form>,
    directory: Option<Arc<dyn Directory>>,
    reference_date: NaiveDate,
    t0: Option<Instant>,
    lang: String,
    state: State,
    next_id: u64,
    playing: Option<u64>,
    barge: bool,
    /// The last prompt queued that must be heard whole (a ticket number): no barge-in clears the queue until it
    /// has played.
    unbreakable: Option<u64>,
    typeahead: VecDeque<char>,
    filler_playing: bool,
    waiting_since: Option<Instant>,
    digits: String,
    last_key: Option<Instant>,
    speaking: bool,
    no_input: u32,
    no_match: u32,
    pin_failures: u32,
    tech_entry: Option<i64>,
    ticket_entry: String,
    technician: Option<(i64, String)>,
    rec_started: Option<Instant>,
    heard: bool,
    last_speech_end: Option<Instant>,
    extraction: Option<Extraction>,
    transcript: String,
    skipped: Vec<String>,
    field_tries: u32,
    pending: Option<Pending>,
    turns: Vec<Turn>,
    saved: bool,
}

impl Dialog {
    /// A dialog over `form`, with the CRM `directory` for checks and `reference_date` as "today".
    pub fn new(ivr: Arc<Ivr>, form: Arc<Form>, directory: Option<Arc<dyn Directory>>, reference_date: NaiveDate) -> Self {
        Dialog {
            ivr,
            form,
            directory,
            reference_date,
            t0: None,
            lang: "en".into(),
            state: State::Idle,
            next_id: 0,
            playing: None,
            barge: false,
            unbreakable: None,
            typeahead: VecDeque::new(),
            filler_playing: false,
            waiting_since: None,
            digits: String::new(),
            last_key: None,
            speaking: false,
            no_input: 0,
            no_match: 0,
            pin_failures: 0,
            tech_entry: None,
            ticket_entry: String::new(),
            technician: None,
            rec_started: None,
            heard: false,
            last_speech_end: None,
            extraction: None,
            transcript: String::new(),
            skipped: Vec::new(),
            field_tries: 0,
            pending: None,
            turns: Vec::new(),
            saved: false,
        }
    }

    /// The conversation so far.
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// "en" or "zh": the caller's language once chosen.
    pub fn language(&self) -> &str {
        &self.lang
    }

    /// The logged-in technician, once the PIN was accepted.
    pub fn technician_id(&self) -> Option<i64> {
        self.technician.as_ref().map(|t| t.0)
    }

    /// True once the dialog has asked to hang up (or the caller has).
    pub fn ended(&self) -> bool {
        self.state == State::Closing
    }

    /// Handles one event at time `now`; returns what to do, in order.
    pub fn on_event(&mut self, event: Event, now: Instant) -> Vec<Action> {
        let mut acts = Vec::new();
        self.t0.get_or_insert(now);
        if self.state == State::Closing {
            return acts;
        }
        match event {
            Event::Start if self.state == State::Idle => {
                self.play(&mut acts, now, "welcome", &[], false);
                self.enter(&mut acts, now, State::Language);
            }
            Event::Start => {}
            Event::Dtmf(key) => self.on_key(&mut acts, now, key),
            Event::SpeechStart => {
                self.speaking = true;
                if self.state.takes_speech() || self.state.records() {
                    self.barge_in(&mut acts);
                    self.waiting_since = None;
                }
                if self.state.records() {
                    self.heard = true;
                    self.rec_started.get_or_insert(now);
                }
            }
            Event::SpeechEnd => {
                self.speaking = false;
                if self.state.records() {
                    self.last_speech_end = Some(now);
                } else if self.state.takes_speech() && self.pending.is_none() && self.digits.is_empty() {
                    let lang = if self.state == State::Language { "auto".to_string() } else { self.lang.clone() };
                    self.transcribe(&mut acts, now, lang);
                }
            }
            Event::PlayDone(id) => self.on_play_done(&mut acts, now, id),
            Event::Transcript(text) => self.on_transcript(&mut acts, now, text),
            Event::PinChecked(name) => self.on_pin(&mut acts, now, name),
            Event::ReportSaved(ticket) => self.on_saved(&mut acts, now, ticket),
            Event::TicketState(state) => self.on_ticket(&mut acts, now, state),
            Event::MessageSaved(ok) => {
                if self.state == State::SavingMessage {
                    self.play(&mut acts, now, if ok { "message_saved" } else { "save_failed" }, &[], false);
                    self.goodbye(&mut acts, now);
                }
            }
            Event::Tick => {}
            Event::Hangup => {
                self.turn(now, Speaker::Caller, "event", "hangup");
                self.on_hangup(&mut acts);
                self.state = State::Closing;
                return acts;
            }
        }
        self.replay_typeahead(&mut acts, now);
        self.timers(&mut acts, now);
        acts
    }

    fn ms(&self, now: Instant) -> u64 {
        self.t0.map_or(0, |t0| now.saturating_duration_since(t0).as_millis() as u64)
    }

    fn turn(&mut self, now: Instant, speaker: Speaker, kind: &str, text: &str) {
        let at_ms = self.ms(now);
        self.turns.push(Turn { at_ms, speaker, kind: kind.into(), text: text.into() });
    }

    fn say(&mut self, acts: &mut Vec<Action>, now: Instant, say: Say, barge: bool) {
        self.next_id += 1;
        if let Say::Prompt { text, .. } = &say {
            let text = text.clone();
            self.turn(now, Speaker::System, "prompt", &text);
        }
        acts.push(Action::Play { id: self.next_id, say });
        self.playing = Some(self.next_id);
        self.barge = barge;
        self.filler_playing = false;
        self.waiting_since = None;
    }

    /// Plays prompt `id` of the menus in the caller's language; a prompt that cannot be barged in is heard whole
    /// even when the caller presses keys or speaks during the prompts queued after it.
    fn play(&mut self, acts: &mut Vec<Action>, now: Instant, id: &str, args: &[(&str, &str)], barge: bool) {
        let text = self.ivr.text(id, &self.lang, args);
        let say = Say::Prompt { id: id.into(), lang: self.lang.clone(), text, fixed: args.is_empty() };
        self.say(acts, now, say, barge);
        if !barge {
            self.unbreakable = Some(self.next_id);
        }
    }

    fn barge_in(&mut self, acts: &mut Vec<Action>) {
        if self.playing.is_some() && self.barge && self.unbreakable.is_none() {
            acts.push(Action::Clear);
            self.playing = None;
        }
    }

    /// Enters a state and plays its prompts.
    fn enter(&mut self, acts: &mut Vec<Action>, now: Instant, state: State) {
        if state != self.state {
            self.no_input = 0;
            self.no_match = 0;
        }
        self.state = state.clone();
        self.digits.clear();
        self.prompt_state(acts, now);
    }

    /// Plays the current state's prompts (again, after a re-prompt).
    fn prompt_state(&mut self, acts: &mut Vec<Action>, now: Instant) {
        if self.state.takes_speech() || self.state.records() {
            acts.push(Action::Capture);
        }
        match self.state.clone() {
            State::Language => {
                for lang in ["en", "zh"] {
                    let text = self.ivr.text("language", lang, &[]);
                    self.say(acts, now, Say::Prompt { id: "language".into(), lang: lang.into(), text, fixed: true }, true);
                }
            }
            State::TechId => self.play(acts, now, "technician_id", &[], true),
            State::Pin => self.play(acts, now, "pin", &[], true),
            State::Menu => {
                let name = self.technician.as_ref().map(|t| t.1.clone()).unwrap_or_default();
                self.play(acts, now, "main_menu", &[("name", &name)], true);
            }
            State::Dictate | State::Message => {
                self.heard = false;
                self.rec_started = None;
                self.last_speech_end = None;
                let id = if self.state == State::Dictate { "dictate" } else { "message" };
                self.play(acts, now, id, &[], true);
                self.say(acts, now, Say::Tone { ms: 300 }, true);
            }
            State::Ask(field) => {
                let question = self.form.field(&field).map(|f| super::slots::question(f, &self.lang)).unwrap_or_default();
                let say = Say::Prompt { id: format!("question.{field}"), lang: self.lang.clone(), text: question, fixed: true };
                self.say(acts, now, say, true);
            }
            State::ReadBack => {
                let text = self.extraction.as_ref().map(|x| summary(&self.form, x, &self.lang)).unwrap_or_default();
                self.play(acts, now, "read_back", &[("summary", &text)], true);
                self.play(acts, now, "confirm_menu", &[], true);
            }
            State::Correct => {
                let choices: Vec<String> = self
                    .form
                    .fields
                    .iter()
                    .take(9)
                    .enumerate()
                    .map(|(i, f)| {
                        let name = self.ivr.field_name(&self.lang, &f.name);
                        self.ivr.text("correct_choice", &self.lang, &[("field", &name), ("key", &(i + 1).to_string())])
                    })
                    .collect();
                let sep = if self.lang == "zh" { "，" } else { ", " };
                self.play(acts, now, "correct_menu", &[("choices", &choices.join(sep))], true);
            }
            State::Ticket => self.play(acts, now, "ticket_number", &[], true),
            _ => {}
        }
    }

    fn on_play_done(&mut self, acts: &mut Vec<Action>, now: Instant, id: u64) {
        if self.unbreakable.is_some_and(|u| id >= u) {
            self.unbreakable = None;
        }
        if self.playing != Some(id) {
            return;
        }
        self.playing = None;
        if self.filler_playing {
            self.filler_playing = false;
            if let Some(p) = self.pending.as_mut() {
                p.filler_at = Some(now + Duration::from_millis(800));
            }
            return;
        }
        if self.state.records() {
            self.rec_started.get_or_insert(now);
        } else if self.state.takes_key() || self.state.takes_number() || self.state.takes_speech() {
            self.waiting_since = Some(now);
        }
        let _ = acts;
    }

    fn transcribe(&mut self, acts: &mut Vec<Action>, now: Instant, lang: String) {
        acts.push(Action::Transcribe { lang });
        self.waiting_since = None;
        self.pending = Some(Pending { filler_at: Some(now + self.ivr.timing.one_moment_after), fillers: 0 });
    }

    fn on_key(&mut self, acts: &mut Vec<Action>, now: Instant, key: char) {
        // Digits typed while a PIN is entered or checked may be a PIN (typed ahead after a wrong one): never stored.
        let secret = matches!(self.state, State::Pin | State::CheckingPin);
        let shown = if secret && key.is_ascii_digit() { '*' } else { key };
        self.turn(now, Speaker::Caller, "dtmf", &shown.to_string());
        if self.busy() {
            // Typed ahead: kept for the next state that takes keys (a caller who knows the menus need not wait).
            if self.typeahead.len() == TYPE_AHEAD {
                self.typeahead.pop_front();
            }
            self.typeahead.push_back(key);
            return;
        }
        self.act_on_key(acts, now, key);
    }

    fn act_on_key(&mut self, acts: &mut Vec<Action>, now: Instant, key: char) {
        self.barge_in(acts);
        self.waiting_since = None;
        if self.state.records() {
            if key == '#' {
                self.finish_recording(acts, now);
            }
        } else if self.state.takes_number() {
            if key == '#' {
                self.submit_digits(acts, now);
            } else {
                self.digits.push(key);
                self.last_key = Some(now);
            }
        } else if self.state.takes_key() {
            self.on_choice(acts, now, key);
        }
    }

    /// True while the dialog cannot act on a key: a transcription, a PIN check, a save or a lookup is running.
    fn busy(&self) -> bool {
        self.pending.is_some()
            || matches!(self.state, State::Idle | State::CheckingPin | State::Saving | State::LookingUp | State::SavingMessage)
    }

    /// Acts on keys typed ahead, now that the dialog takes keys again.
    fn replay_typeahead(&mut self, acts: &mut Vec<Action>, now: Instant) {
        while !self.busy() && self.state != State::Closing {
            let Some(key) = self.typeahead.pop_front() else { break };
            self.act_on_key(acts, now, key);
        }
    }

    /// A single-key menu choice.
    fn on_choice(&mut self, acts: &mut Vec<Action>, now: Instant, key: char) {
        match (&self.state, key) {
            (State::Language, '1') => self.set_language(acts, now, "en"),
            (State::Language, '2') => self.set_language(acts, now, "zh"),
            (State::Menu, '1') => self.start_report(acts, now),
            (State::Menu, '2') => self.enter(acts, now, State::Ticket),
            (State::Menu, '0') => self.enter(acts, now, State::Message),
            (State::Menu, '9') => self.goodbye(acts, now),
            (State::ReadBack, '1') => self.save(acts, now, true),
            (State::ReadBack, '2') => self.start_report(acts, now),
            (State::ReadBack, '3') => self.enter(acts, now, State::Correct),
            (State::Correct, k) => {
                let n = k.to_digit(10).unwrap_or(0) as usize;
                match self.form.fields.get(n.wrapping_sub(1)).filter(|_| (1..=9).contains(&n)) {
                    Some(f) => {
                        let name = f.name.clone();
                        self.skipped.retain(|s| *s != name);
                        self.field_tries = 0;
                        self.enter(acts, now, State::Ask(name));
                    }
                    None => self.retry(acts, now, false),
                }
            }
            _ => self.retry(acts, now, false),
        }
    }

    fn set_language(&mut self, acts: &mut Vec<Action>, now: Instant, lang: &str) {
        self.lang = lang.into();
        self.enter(acts, now, State::TechId);
    }

    fn start_report(&mut self, acts: &mut Vec<Action>, now: Instant) {
        self.extraction = None;
        self.transcript.clear();
        self.skipped.clear();
        self.saved = false;
        self.enter(acts, now, State::Dictate);
    }

    fn submit_digits(&mut self, acts: &mut Vec<Action>, now: Instant) {
        let digits = std::mem::take(&mut self.digits);
        self.last_key = None;
        match self.state.clone() {
            State::TechId => match digits.parse::<i64>() {
                Ok(id) if digits.len() <= 12 => {
                    self.tech_entry = Some(id);
                    self.enter(acts, now, State::Pin);
                }
                _ => self.retry(acts, now, digits.is_empty()),
            },
            State::Pin if !digits.is_empty() => {
                let technician_id = self.tech_entry.unwrap_or(0);
                acts.push(Action::CheckPin { technician_id, pin: digits });
                self.state = State::CheckingPin;
            }
            State::Ticket if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
                let technician_id = self.technician_id().unwrap_or(0);
                self.ticket_entry = digits.clone();
                acts.push(Action::LookupTicket { technician_id, number: digits });
                self.state = State::LookingUp;
            }
            State::Ask(field) if !digits.is_empty() => self.answer(acts, now, &field, &digits, true),
            _ => self.retry(acts, now, digits.is_empty()),
        }
    }

    fn opts(&self) -> ExtractOptions<'_> {
        ExtractOptions {
            language: Some(self.lang.as_str()),
            reference_date: self.reference_date,
            directory: self.directory.as_deref(),
            words: &[],
        }
    }

    /// Merges an answer for `field` and moves on to the next missing field or the read-back.
    fn answer(&mut self, acts: &mut Vec<Action>, now: Instant, field: &str, input: &str, keypad: bool) {
        let form = self.form.clone();
        let mut x = self.extraction.take().unwrap_or_else(|| extract(&form, "", &self.opts()));
        let answer = if keypad { Answer::Keypad(input) } else { Answer::Speech(input) };
        let merged = merge_answer(&form, &mut x, field, answer, &self.opts());
        self.extraction = Some(x);
        match merged {
            Ok(()) => {
                self.field_tries = 0;
                self.next_field(acts, now);
            }
            Err(e) => {
                self.turn(now, Speaker::System, "event", &e.to_string());
                self.field_tries += 1;
                if self.field_tries >= self.ivr.limits.field_attempts {
                    self.skipped.push(field.to_string());
                    self.field_tries = 0;
                    self.play(acts, now, "field_skipped", &[], false);
                    self.next_field(acts, now);
                } else {
                    self.play(acts, now, "no_match", &[], true);
                    self.prompt_state(acts, now);
                }
            }
        }
    }

    /// Asks the next missing required field, or reads the report back.
    fn next_field(&mut self, acts: &mut Vec<Action>, now: Instant) {
        let slot = self.extraction.as_ref().and_then(|x| next_slot(&self.form, x, &self.lang, &self.skipped));
        match slot {
            Some(slot) => {
                // An answer that did not fix the field counts as a try.
                if self.state == State::Ask(slot.field.clone()) {
                    self.field_tries += 1;
                    if self.field_tries >= self.ivr.limits.field_attempts {
                        self.skipped.push(slot.field);
                        self.field_tries = 0;
                        self.play(acts, now, "field_skipped", &[], false);
                        return self.next_field(acts, now);
                    }
                    self.play(acts, now, "no_match", &[], true);
                    return self.prompt_state(acts, now);
                }
                self.field_tries = 0;
                self.enter(acts, now, State::Ask(slot.field));
            }
            None => self.enter(acts, now, State::ReadBack),
        }
    }

    fn finish_recording(&mut self, acts: &mut Vec<Action>, now: Instant) {
        if !self.heard {
            self.play(acts, now, "nothing_heard", &[], true);
            return self.retry(acts, now, true);
        }
        match self.state {
            State::Dictate => self.transcribe(acts, now, self.lang.clone()),
            State::Message => {
                acts.push(Action::SaveMessage { technician_id: self.technician_id() });
                self.state = State::SavingMessage;
            }
            _ => {}
        }
    }

    fn on_transcript(&mut self, acts: &mut Vec<Action>, now: Instant, text: Option<String>) {
        if self.pending.take().is_none() {
            return;
        }
        if self.filler_playing {
            acts.push(Action::Clear);
            self.playing = None;
            self.filler_playing = false;
        }
        let text = text.map(|t| t.trim().to_string());
        self.turn(now, Speaker::Caller, "speech", text.as_deref().unwrap_or("(transcription failed)"));
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            if self.state == State::Dictate {
                self.play(acts, now, "nothing_heard", &[], true);
            }
            return self.retry(acts, now, true);
        };
        match self.state.clone() {
            State::Language => {
                let cjk = text.chars().any(crate::extract::directory::is_cjk);
                match self.ivr.option_said("en", &text, &["english", "chinese"]) {
                    Some("chinese") => self.set_language(acts, now, "zh"),
                    Some(_) => self.set_language(acts, now, "en"),
                    None if cjk => self.set_language(acts, now, "zh"),
                    None => self.retry(acts, now, false),
                }
            }
            State::Menu => match self.ivr.option_said(&self.lang, &text, &["report", "ticket", "message", "end"]) {
                Some("report") => self.on_choice(acts, now, '1'),
                Some("ticket") => self.on_choice(acts, now, '2'),
                Some("end") => self.on_choice(acts, now, '9'),
                Some(_) => self.on_choice(acts, now, '0'),
                None => self.retry(acts, now, false),
            },
            State::ReadBack => match self.ivr.option_said(&self.lang, &text, &["confirm", "again", "fix"]) {
                Some("confirm") => self.on_choice(acts, now, '1'),
                Some("again") => self.on_choice(acts, now, '2'),
                Some(_) => self.on_choice(acts, now, '3'),
                None => self.retry(acts, now, false),
            },
            State::Correct => {
                let lower = text.to_lowercase();
                let hit = self.form.fields.iter().take(9).position(|f| lower.contains(&self.ivr.field_name(&self.lang, &f.name)));
                match hit {
                    Some(i) => self.on_choice(acts, now, char::from(b'1' + i as u8)),
                    None => self.retry(acts, now, false),
                }
            }
            State::Ask(field) => self.answer(acts, now, &field, &text, false),
            State::Dictate => {
                let x = extract(&self.form, &text, &self.opts());
                self.transcript = text;
                self.extraction = Some(x);
                self.next_field(acts, now);
            }
            _ => {}
        }
    }

    fn on_pin(&mut self, acts: &mut Vec<Action>, now: Instant, name: Option<String>) {
        if self.state != State::CheckingPin {
            return;
        }
        match (name, self.tech_entry) {
            (Some(name), Some(id)) => {
                self.technician = Some((id, name));
                self.enter(acts, now, State::Menu);
            }
            _ => {
                self.pin_failures += 1;
                if self.pin_failures >= self.ivr.limits.pin_attempts {
                    self.play(acts, now, "pin_locked", &[], false);
                    acts.push(Action::Hangup);
                    self.state = State::Closing;
                } else {
                    self.play(acts, now, "wrong_pin", &[], true);
                    self.state = State::Idle;
                    self.enter(acts, now, State::TechId);
                }
            }
        }
    }

    fn save(&mut self, acts: &mut Vec<Action>, now: Instant, confirmed: bool) {
        let (Some(x), Some(technician_id)) = (self.extraction.clone(), self.technician_id()) else { return };
        acts.push(Action::SaveReport { technician_id, extraction: Box::new(x), transcript: self.transcript.clone(), confirmed });
        self.saved = true;
        self.state = State::Saving;
        let _ = now;
    }

    fn on_saved(&mut self, acts: &mut Vec<Action>, now: Instant, ticket: Option<String>) {
        if self.state != State::Saving {
            return;
        }
        match ticket {
            Some(ticket) => {
                let spoken = spell_digits(&ticket);
                self.play(acts, now, "saved", &[("ticket", &spoken)], false);
            }
            None => self.play(acts, now, "save_failed", &[], false),
        }
        self.play(acts, now, "anything_else", &[], true);
        self.enter(acts, now, State::Menu);
    }

    fn on_ticket(&mut self, acts: &mut Vec<Action>, now: Instant, state: Option<String>) {
        if self.state != State::LookingUp {
            return;
        }
        let ticket = spell_digits(&self.ticket_entry);
        match state {
            Some(s) => {
                let said = self.ivr.state_name(&self.lang, &s);
                self.play(acts, now, "ticket_state", &[("ticket", &ticket), ("state", &said)], false);
            }
            None => self.play(acts, now, "ticket_unknown", &[("ticket", &ticket)], false),
        }
        self.play(acts, now, "anything_else", &[], true);
        self.enter(acts, now, State::Menu);
    }

    /// No input (`silent`) or input not understood: re-prompt, or after the limit go to the message box.
    fn retry(&mut self, acts: &mut Vec<Action>, now: Instant, silent: bool) {
        let (count, limit) = if silent {
            self.no_input += 1;
            (self.no_input, self.ivr.limits.no_input)
        } else {
            self.no_match += 1;
            (self.no_match, self.ivr.limits.no_match)
        };
        self.digits.clear();
        if count > limit {
            if self.state == State::Message {
                return self.goodbye(acts, now);
            }
            self.play(acts, now, "to_message", &[], false);
            self.state = State::Idle;
            return self.enter(acts, now, State::Message);
        }
        if !self.state.records() {
            self.play(acts, now, if silent { "no_input" } else { "no_match" }, &[], true);
        }
        self.prompt_state(acts, now);
    }

    fn goodbye(&mut self, acts: &mut Vec<Action>, now: Instant) {
        self.play(acts, now, "goodbye", &[], false);
        acts.push(Action::Hangup);
        self.state = State::Closing;
    }

    fn on_hangup(&mut self, acts: &mut Vec<Action>) {
        if let (Some(x), Some(technician_id), false) = (&self.extraction, self.technician_id(), self.saved) {
            acts.push(Action::SaveReport {
                technician_id,
                extraction: Box::new(x.clone()),
                transcript: self.transcript.clone(),
                confirmed: false,
            });
        }
        if self.state == State::Message && self.heard {
            acts.push(Action::SaveMessage { technician_id: self.technician_id() });
        }
    }

    /// Fires whatever timer is due at `now`.
    fn timers(&mut self, acts: &mut Vec<Action>, now: Instant) {
        if let Some(p) = self.pending {
            if p.filler_at.is_some_and(|at| now >= at) && self.playing.is_none() {
                let say = if p.fillers == 0 {
                    let text = self.ivr.text("one_moment", &self.lang, &[]);
                    Say::Prompt { id: "one_moment".into(), lang: self.lang.clone(), text, fixed: true }
                } else {
                    Say::Tone { ms: 150 }
                };
                self.say(acts, now, say, false);
                self.filler_playing = true;
                self.pending = Some(Pending { filler_at: None, fillers: p.fillers + 1 });
            }
            return;
        }
        let t = self.ivr.timing.clone();
        if !self.digits.is_empty() && self.last_key.is_some_and(|k| now.saturating_duration_since(k) >= t.inter_digit) {
            return self.submit_digits(acts, now);
        }
        if self.state.records() {
            let Some(started) = self.rec_started else { return };
            let max = if self.state == State::Dictate { t.dictation_max } else { t.message_max };
            let quiet = !self.speaking && self.last_speech_end.is_some_and(|e| now.saturating_duration_since(e) >= t.dictation_silence);
            let silent_start = !self.heard && now.saturating_duration_since(started) >= t.no_input;
            if (self.heard && quiet) || now.saturating_duration_since(started) >= max {
                self.finish_recording(acts, now);
            } else if silent_start {
                self.rec_started = None;
                self.retry(acts, now, true);
            }
            return;
        }
        if let Some(since) = self.waiting_since
            && !self.speaking
            && self.digits.is_empty()
            && now.saturating_duration_since(since) >= t.no_input
        {
            self.waiting_since = None;
            self.retry(acts, now, true);
        }
    }
}

/// "FV-000042" -> "4 2": the ticket's number read digit by digit, as the caller types it to look it up.
fn spell_digits(ticket: &str) -> String {
    let digits: String = ticket.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_start_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    trimmed.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
