//! Saying things to the technician: through speech-dispatcher (the `tts` crate) where a speech service runs,
//! else printed. The caller shows every prompt on screen as well, so printing never loses anything.

use std::io::Write;
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

/// Speech through speech-dispatcher.
pub struct TtsSpeaker {
    tts: tts::Tts,
    voices: Vec<tts::Voice>,
}

impl TtsSpeaker {
    /// Connects to the speech service; fails when none is running or can be started.
    pub fn connect() -> Result<Self, SpeakError> {
        let tts = tts::Tts::default().map_err(|e| SpeakError::Unavailable(e.to_string()))?;
        let voices = tts.voices().unwrap_or_default();
        Ok(Self { tts, voices })
    }
}

impl Speaker for TtsSpeaker {
    fn say(&mut self, text: &str, lang: &str) -> Result<(), SpeakError> {
        if let Some(v) = self.voices.iter().find(|v| v.language().primary_language() == lang) {
            let _ = self.tts.set_voice(v);
        }
        self.tts.speak(text, true).map_err(|e| SpeakError::Failed(e.to_string()))?;
        let started = Instant::now();
        // Wait for the sentence to finish so the microphone does not record the prompt.
        while self.tts.is_speaking().unwrap_or(false) && started.elapsed() < MAX_UTTERANCE {
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
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
