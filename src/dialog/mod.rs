//! The IVR dialog: a sans-I/O state machine (events and time in, actions out) run by the telephony call
//! runner, the menus it reads from prompts/ivr.toml, and the slot filling it shares with device dictation.
//! Never touches a socket, a file or the clock. Must not depend on telephony, speech, transcribe, store,
//! http, jobs or app.

mod engine;
pub mod ivr;
pub mod slots;

pub use engine::Dialog;
pub use ivr::{Ivr, IvrError};

use crate::extract::Extraction;

/// Something that happened on the call, fed to [`Dialog::on_event`] with the time it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The call was answered.
    Start,
    /// The caller pressed a key.
    Dtmf(char),
    /// Voice activity began (barge-in).
    SpeechStart,
    /// Voice activity ended (after the detector's own end-of-utterance silence).
    SpeechEnd,
    /// The [`Action::Play`] with this id has been heard in full.
    PlayDone(u64),
    /// The answer to [`Action::Transcribe`]: the text ("" when nothing was recognised), or `None` when
    /// transcription failed.
    Transcript(Option<String>),
    /// The answer to [`Action::CheckPin`]: the technician's name when the PIN is right.
    PinChecked(Option<String>),
    /// The answer to [`Action::SaveReport`]: the ticket number, or `None` when saving failed.
    ReportSaved(Option<String>),
    /// The answer to [`Action::LookupTicket`]: the report's state ("draft", "posted", ...), `None` if unknown.
    TicketState(Option<String>),
    /// The answer to [`Action::SaveMessage`].
    MessageSaved(bool),
    /// Time passed; sent by the runner every 100 ms or so, so timers fire.
    Tick,
    /// The caller hung up. Nothing follows.
    Hangup,
}

/// What to play.
#[derive(Debug, Clone, PartialEq)]
pub enum Say {
    /// Prompt `id` of prompts/ivr.toml (or a question or read-back when `id` names no prompt) in `lang`,
    /// with placeholders already filled. A pre-recorded prompt replaces the text only when `fixed` (no
    /// placeholder was filled).
    Prompt { id: String, lang: String, text: String, fixed: bool },
    /// A short beep: the "still working" tone and the start-of-recording tone.
    Tone { ms: u32 },
}

/// What the dialog wants done. The runner carries them out in order and answers those that ask with the
/// matching [`Event`].
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Queue audio for the caller; answer with [`Event::PlayDone`] once it has played (at once if it
    /// could not be rendered).
    Play { id: u64, say: Say },
    /// Drop queued audio now (barge-in).
    Clear,
    /// Start collecting the caller's audio from the next speech onward, dropping what was collected.
    Capture,
    /// Transcribe what was collected since [`Action::Capture`] in `lang`; answer with [`Event::Transcript`].
    Transcribe { lang: String },
    /// Check a technician's PIN; answer with [`Event::PinChecked`].
    CheckPin { technician_id: i64, pin: String },
    /// Save the report as a draft; answer with [`Event::ReportSaved`]. `confirmed` is false when the caller
    /// hung up before confirming the read-back.
    SaveReport { technician_id: i64, extraction: Box<Extraction>, transcript: String, confirmed: bool },
    /// Look up the state of a ticket (digits of its number) among the technician's reports; answer with
    /// [`Event::TicketState`].
    LookupTicket { technician_id: i64, number: String },
    /// Save what was collected since [`Action::Capture`] as a message for the office; answer with
    /// [`Event::MessageSaved`].
    SaveMessage { technician_id: Option<i64> },
    /// End the call once queued audio has played.
    Hangup,
}

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    System,
    Caller,
}

/// One turn of the conversation, kept for the call record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Turn {
    /// Milliseconds since the call started.
    pub at_ms: u64,
    pub speaker: Speaker,
    /// "prompt", "dtmf", "speech", "event".
    pub kind: String,
    pub text: String,
}
