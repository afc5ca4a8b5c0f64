//! The microphone through cpal: list input devices, pick one by name, open it at its own rate and sample
//! format, and hand the recorder 16 kHz mono f32 (downmixed in the audio callback, resampled here with
//! src/audio). The callback never blocks: blocks go through a bounded channel and are counted when dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};

use super::source::{AudioSource, Next, SourceError};
use crate::audio::{ResampleStream, SAMPLE_RATE};

/// Blocks buffered between the audio callback and the recorder (a callback is typically 5-50 ms).
const CHANNEL_BLOCKS: usize = 256;

/// One input device as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDevice {
    pub name: String,
    /// The host's stable id, when it has one.
    pub id: Option<String>,
    /// The default input configuration, e.g. "48000 Hz, 2 ch, f32".
    pub default_config: Option<String>,
    pub is_default: bool,
}

fn device_name(d: &cpal::Device) -> String {
    d.description().map(|desc| desc.name().to_string()).unwrap_or_else(|_| d.to_string())
}

/// Every input device of the default host (empty on a machine without sound hardware).
pub fn input_devices() -> Result<Vec<InputDevice>, SourceError> {
    let host = cpal::default_host();
    let default = host.default_input_device().map(|d| device_name(&d));
    let devices = host.input_devices().map_err(|e| SourceError::NoInputDevice(format!("cannot list devices: {e}")))?;
    Ok(devices
        .map(|d| {
            let name = device_name(&d);
            InputDevice {
                is_default: default.as_deref() == Some(name.as_str()),
                id: d.id().ok().map(|id| id.to_string()),
                default_config: d
                    .default_input_config()
                    .ok()
                    .map(|c| format!("{} Hz, {} ch, {}", c.sample_rate(), c.channels(), c.sample_format())),
                name,
            }
        })
        .collect())
}

/// Finds the device called `name` (exact name or id first, else the one device whose name contains it).
fn find_device(host: &cpal::Host, name: &str) -> Result<cpal::Device, SourceError> {
    let devices: Vec<cpal::Device> = host
        .input_devices()
        .map_err(|e| SourceError::NoInputDevice(format!("cannot list devices: {e}")))?
        .collect();
    let names: Vec<String> = devices.iter().map(device_name).collect();
    let unknown = |reason: &str| SourceError::UnknownDevice {
        name: name.to_string(),
        reason: reason.to_string(),
        available: if names.is_empty() { "none".to_string() } else { names.join(", ") },
    };
    // An id is "host:device" (e.g. `alsa:null`); the part after the host is accepted on its own too.
    let id_matches = |d: &cpal::Device| {
        d.id().is_ok_and(|id| {
            let id = id.to_string();
            id == name || id.split_once(':').is_some_and(|(_, dev)| dev == name)
        })
    };
    let exact = devices.iter().position(|d| device_name(d) == name || id_matches(d));
    if let Some(i) = exact {
        return Ok(devices[i].clone());
    }
    let partial: Vec<usize> = (0..devices.len()).filter(|&i| names[i].contains(name)).collect();
    match partial.as_slice() {
        [i] => Ok(devices[*i].clone()),
        [] => Err(unknown("no such input device")),
        _ => Err(unknown("more than one input device matches; give the whole name")),
    }
}

/// Messages from the audio callback.
enum Msg {
    Audio(Vec<f32>),
    Error { gone: bool, reason: String },
}

/// A live microphone stream.
pub struct CpalSource {
    name: String,
    stream: Option<cpal::Stream>,
    rx: Receiver<Msg>,
    resample: Option<ResampleStream>,
    dropped: Arc<AtomicU64>,
    /// The device's own rate and format, for messages.
    native: String,
}

impl CpalSource {
    /// Opens `name` (or the default input device when `None`) at its default configuration and starts it.
    pub fn open(name: Option<&str>) -> Result<Self, SourceError> {
        let host = cpal::default_host();
        let device = match name {
            Some(n) => find_device(&host, n)?,
            None => host.default_input_device().ok_or_else(|| {
                SourceError::NoInputDevice("the system reports no default input device (is a microphone connected?)".into())
            })?,
        };
        let name = device_name(&device);
        let open_err = |reason: String| SourceError::Open { device: name.clone(), reason };
        let supported = device.default_input_config().map_err(|e| open_err(e.to_string()))?;
        let config = supported.config();
        let channels = usize::from(config.channels.max(1));
        let native = format!("{} Hz, {} ch, {}", config.sample_rate, channels, supported.sample_format());
        let (tx, rx) = sync_channel(CHANNEL_BLOCKS);
        let dropped = Arc::new(AtomicU64::new(0));
        let stream = match supported.sample_format() {
            SampleFormat::F32 => build::<f32>(&device, &config, channels, tx, dropped.clone()),
            SampleFormat::I16 => build::<i16>(&device, &config, channels, tx, dropped.clone()),
            SampleFormat::I32 => build::<i32>(&device, &config, channels, tx, dropped.clone()),
            SampleFormat::U16 => build::<u16>(&device, &config, channels, tx, dropped.clone()),
            SampleFormat::U8 => build::<u8>(&device, &config, channels, tx, dropped.clone()),
            SampleFormat::I8 => build::<i8>(&device, &config, channels, tx, dropped.clone()),
            SampleFormat::F64 => build::<f64>(&device, &config, channels, tx, dropped.clone()),
            other => return Err(open_err(format!("sample format {other} is not supported"))),
        }
        .map_err(|e| open_err(e.to_string()))?;
        stream.play().map_err(|e| open_err(format!("cannot start: {e}")))?;
        let resample = if config.sample_rate == SAMPLE_RATE {
            None
        } else {
            Some(ResampleStream::new(config.sample_rate, SAMPLE_RATE).map_err(|e| open_err(e.to_string()))?)
        };
        Ok(Self { name, stream: Some(stream), rx, resample, dropped, native })
    }

    /// The device's native rate, channels and sample format, e.g. "48000 Hz, 2 ch, f32".
    pub fn native_format(&self) -> &str {
        &self.native
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    channels: usize,
    tx: SyncSender<Msg>,
    dropped: Arc<AtomicU64>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let err_tx = tx.clone();
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _| {
            let mono: Vec<f32> = data
                .chunks(channels)
                .map(|frame| frame.iter().map(|&s| f32::from_sample_(s)).sum::<f32>() / frame.len() as f32)
                .collect();
            let n = mono.len() as u64;
            if let Err(TrySendError::Full(_)) = tx.try_send(Msg::Audio(mono)) {
                dropped.fetch_add(n, Ordering::Relaxed);
            }
        },
        move |e: cpal::Error| {
            let gone = matches!(e.kind(), cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::StreamInvalidated);
            let _ = err_tx.try_send(Msg::Error { gone, reason: e.to_string() });
        },
        Some(Duration::from_secs(5)),
    )
}

impl AudioSource for CpalSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn next(&mut self, timeout: Duration) -> Result<Next, SourceError> {
        if self.stream.is_none() {
            return Ok(Next::Ended);
        }
        match self.rx.recv_timeout(timeout) {
            Ok(Msg::Audio(block)) => Ok(Next::Audio(match &mut self.resample {
                Some(r) => r.push(&block),
                None => block,
            })),
            Ok(Msg::Error { gone: true, reason }) => {
                self.stream = None;
                Err(SourceError::DeviceGone { device: self.name.clone(), reason })
            }
            Ok(Msg::Error { gone: false, reason }) => {
                tracing::warn!(device = %self.name, "input stream error: {reason}");
                Ok(Next::Pending)
            }
            Err(RecvTimeoutError::Timeout) => Ok(Next::Pending),
            Err(RecvTimeoutError::Disconnected) => {
                self.stream = None;
                Err(SourceError::DeviceGone { device: self.name.clone(), reason: "the audio stream closed".into() })
            }
        }
    }

    fn stop(&mut self) -> Result<(), SourceError> {
        if let Some(stream) = self.stream.take() {
            // Pausing is optional for some backends; dropping the stream closes the device either way.
            let _ = stream.pause();
            drop(stream);
        }
        Ok(())
    }

    fn dropped_samples(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for CpalSource {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
