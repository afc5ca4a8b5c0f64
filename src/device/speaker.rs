//! Saying things to the technician: through speech-dispatcher (the `tts` crate) where a speech service runs,
//! else printed. The caller shows every prompt on screen as well, so printing never loses anything.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// Why speech output failed.
#[derive(Debug, thiserror::Error)]
pub enum SpeakError {
    #[error("no speech service: {0}")]
    Unavailable(String),
    #[error("speaking failed: {0}")]
    Failed(String),
    #[error("writing the prompt: {0}")]
    Io(#[from] std::io::Error),
}

/// Something that says a sentence in a language ("en", "zh").
pub trait Speaker {
    /// Says `text`, returning once it has been said (or handed off, for printing).
    fn say(&mut self, text: &str, lang: &str) -> Result<(), SpeakError>;
    /// "speech-dispatcher" or "print", for messages.
    fn kind(&self) -> &'static str;
}

/// Longest time one sentence may take to be spoken before the speaker stops waiting for it.
const MAX_UTTERANCE: Duration = Duration::from_secs(30);

/// How long connecting to the speech service may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

type Request = (String, String, SyncSender<Result<(), String>>);

/// Speech through speech-dispatcher. The `tts` handle lives on its own thread: a service that accepts
/// connections but never speaks (no audio output) cannot hang the session; after one timeout the speaker
/// reports every sentence as not spoken and the caller prints it.
pub struct TtsSpeaker {
    tx: SyncSender<Request>,
    broken: Option<String>,
}

impl TtsSpeaker {
    /// Connects to the speech service; fails when none is running, none can be started, or it does not answer.
    pub fn connect() -> Result<Self, SpeakError> {
        let (ready_tx, ready_rx) = sync_channel::<Result<(), String>>(1);
        let (tx, rx) = sync_channel::<Request>(1);
        std::thread::Builder::new()
            .name("tts".into())
            .spawn(move || speak_loop(ready_tx, rx))
            .map_err(|e| SpeakError::Unavailable(e.to_string()))?;
        match ready_rx.recv_timeout(CONNECT_TIMEOUT) {
            Ok(Ok(())) => Ok(Self { tx, broken: None }),
            Ok(Err(e)) => Err(SpeakError::Unavailable(e)),
            Err(_) => Err(SpeakError::Unavailable(format!("the speech service did not answer within {} s", CONNECT_TIMEOUT.as_secs()))),
        }
    }
}

/// The speech thread: connect, then say each sentence and wait for it to end (bounded by its length).
fn speak_loop(ready: SyncSender<Result<(), String>>, rx: Receiver<Request>) {
    let mut tts = match tts::Tts::default() {
        Ok(t) => t,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let voices = tts.voices().unwrap_or_default();
    if ready.send(Ok(())).is_err() {
        return;
    }
    for (text, lang, done) in rx {
        if let Some(v) = voices.iter().find(|v| v.language().primary_language() == lang) {
            let _ = tts.set_voice(v);
        }
        let result = tts.speak(text.as_str(), true).map(|_| ()).map_err(|e| e.to_string());
        let started = Instant::now();
        // Wait for the sentence to finish so the microphone does not record the prompt.
        while result.is_ok() && tts.is_speaking().unwrap_or(false) && started.elapsed() < longest(&text) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = done.send(result);
    }
}

/// The longest saying `text` may take.
fn longest(text: &str) -> Duration {
    (Duration::from_secs(2) + Duration::from_millis(80) * text.chars().count() as u32).min(MAX_UTTERANCE)
}

impl Speaker for TtsSpeaker {
    fn say(&mut self, text: &str, lang: &str) -> Result<(), SpeakError> {
        if let Some(why) = &self.broken {
            return Err(SpeakError::Failed(why.clone()));
        }
        let (done_tx, done_rx) = sync_channel(1);
        let wait = longest(text) + CONNECT_TIMEOUT;
        let outcome = match self.tx.try_send((text.to_string(), lang.to_string(), done_tx)) {
            Ok(()) => done_rx.recv_timeout(wait).map_err(|_| format!("the speech service did not finish within {} s", wait.as_secs())),
            Err(_) => Err("the speech service is busy or gone".to_string()),
        };
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SpeakError::Failed(e)),
            Err(e) => {
                self.broken = Some(e.clone());
                Err(SpeakError::Failed(e))
            }
        }
    }

    fn kind(&self) -> &'static str {
        "speech-dispatcher"
    }
}

/// "Speech" written to a stream, one line per sentence.
pub struct PrintSpeaker<W: Write> {
    out: W,
}

impl<W: Write> PrintSpeaker<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// The stream written to.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Speaker for PrintSpeaker<W> {
    fn say(&mut self, text: &str, _lang: &str) -> Result<(), SpeakError> {
        writeln!(self.out, "{text}")?;
        self.out.flush()?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "print"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_speaker_writes_each_sentence_on_its_own_line() {
        let mut s = PrintSpeaker::new(Vec::new());
        s.say("Which asset?", "en").unwrap();
        s.say("哪台设备？", "zh").unwrap();
        assert_eq!(String::from_utf8(s.into_inner()).unwrap(), "Which asset?\n哪台设备？\n");
    }
}
