//! The audio source trait: whatever captures sound hands the recorder 16 kHz mono f32 blocks through it.

use std::time::Duration;

/// What [`AudioSource::next`] got.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// A block of 16 kHz mono samples in [-1, 1] (any length).
    Audio(Vec<f32>),
    /// Nothing arrived within the timeout; the source is still open.
    Pending,
    /// The source has no more audio (end of a file).
    Ended,
}

/// Why a source could not open or stopped delivering.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The system has no input device at all (no sound card, no microphone plugged in).
    #[error("no input device: {0}")]
    NoInputDevice(String),
    /// `--device NAME` matched nothing (or more than one device).
    #[error("input device `{name}`: {reason} (input devices: {available})")]
    UnknownDevice { name: String, reason: String, available: String },
    /// The device exists but its stream could not be opened or started.
    #[error("input device `{device}`: cannot open: {reason}")]
    Open { device: String, reason: String },
    /// The device went away (unplugged, driver gone) while recording.
    #[error("input device `{device}` disappeared: {reason}")]
    DeviceGone { device: String, reason: String },
    /// A file source could not be read or is not audio.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
}

/// A producer of 16 kHz mono audio. Implementations resample and downmix internally; blocks arrive in order
/// and none is skipped silently (a source that had to drop audio says so in [`AudioSource::dropped_samples`]).
pub trait AudioSource {
    /// A name for messages: the device's name or the file's path.
    fn name(&self) -> &str;
    /// The next block, waiting at most `timeout` for one.
    fn next(&mut self, timeout: Duration) -> Result<Next, SourceError>;
    /// Stops capturing and releases the device; further calls to `next` return [`Next::Ended`].
    fn stop(&mut self) -> Result<(), SourceError>;
    /// Samples (at the device rate) lost because the consumer fell behind; 0 for file sources.
    fn dropped_samples(&self) -> u64 {
        0
    }
}
