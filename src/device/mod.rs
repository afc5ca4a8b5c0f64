//! The device a technician dictates into, behind traits: an [`AudioSource`] giving 16 kHz mono f32 blocks
//! (cpal microphone, or a WAV file for tests and replays), a [`Speaker`] (speech-dispatcher through the `tts`
//! crate, or printing), the [`Recorder`] that writes every sample to a WAV file before anything else sees it
//! and cuts utterances by voice activity or a key, the offline [`queue`] of finished reports, and the
//! submission to the service ([`submit`]). Must not depend on http, jobs or app.

pub mod capture;
pub mod cpal_source;
pub mod queue;
pub mod session;
pub mod source;
pub mod speaker;
pub mod submit;
pub mod wav_source;

pub use capture::{CaptureError, CaptureOptions, Control, EndedBy, Progress, Recorder, Utterance};
pub use cpal_source::{CpalSource, InputDevice, input_devices};
pub use queue::{Queue, QueueError, QueuedReport};
pub use source::{AudioSource, Next, SourceError};
pub use speaker::{PrintSpeaker, SpeakError, Speaker, TtsSpeaker};
pub use submit::{SubmitError, Submitted};
pub use wav_source::WavSource;
pub use session::{Console, Dictated, SessionConfig, SessionError, dictate};
