//! Telephony: the contract between the adapters that carry a call's media (SIP/RTP, Twilio Media Streams)
//! and the [`CallHandler`] that runs the call (dialog, speech, transcription, store). Adapters turn packets
//! into [`Inbound`] events and carry out [`Outbound`] commands; the handler never sees a socket or a codec.
//! Must not depend on http, jobs or app.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

pub mod call;
pub mod twilio;

/// Sample rate of all audio on the call path: 8 kHz mono, 16-bit linear PCM (decoded G.711).
pub const CALL_RATE: u32 = 8000;
/// Samples in one 20 ms frame at [`CALL_RATE`].
pub const FRAME_SAMPLES: usize = 160;
/// Capacity of the inbound queue (frames and events): 10 s of audio. An adapter never waits on it: when it
/// is full, audio frames are dropped and counted (the media path must not block).
pub const INBOUND_CAPACITY: usize = 500;
/// Capacity of the outbound command queue.
pub const OUTBOUND_CAPACITY: usize = 64;

/// Which front door a call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sip,
    Twilio,
}

/// What the adapter knows about a call when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// SIP Call-ID or Twilio CallSid.
    pub call_id: String,
    /// The caller as the front door names it (SIP From URI or the Twilio `From` number).
    pub caller: String,
    pub channel: Channel,
}

/// Events from the caller's side, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// One frame of caller audio (normally [`FRAME_SAMPLES`] samples at [`CALL_RATE`]), decoded from G.711.
    /// The adapter fills gaps from lost packets with silence so time stays continuous.
    Audio(Vec<i16>),
    /// One key press: `0`-`9`, `*`, `#`, `A`-`D` (RFC 4733 telephone-event, SIP INFO or a Twilio dtmf
    /// message), reported once per press however many packets carried it.
    Dtmf(char),
    /// All audio queued by the [`Outbound::Play`] with this id has been sent to the caller.
    PlayDone(u64),
    /// The caller hung up (BYE, CANCEL, stream stop) or the media timed out. Nothing follows.
    Hangup,
}

/// Commands to the caller's side.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    /// Queue audio for the caller (8 kHz PCM); the adapter encodes it and paces it in real time, then
    /// reports [`Inbound::PlayDone`] with the same id.
    Play { id: u64, samples: Arc<[i16]> },
    /// Drop all queued audio now (barge-in). No `PlayDone` comes for dropped plays.
    Clear,
    /// End the call once the queued audio has played.
    Hangup,
}

/// A boxed future, as returned by [`CallHandler::run`].
pub type CallFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs one call from answer to hang-up. The adapter calls `run` once per answered call, feeds `inbound`
/// (dropping audio when it is full) and executes what arrives on `outbound` until the handler returns or
/// sends [`Outbound::Hangup`]; when the caller hangs up the adapter sends [`Inbound::Hangup`] and closes
/// the channel.
pub trait CallHandler: Send + Sync + 'static {
    fn run(&self, call: CallInfo, inbound: mpsc::Receiver<Inbound>, outbound: mpsc::Sender<Outbound>) -> CallFuture;
}

/// A handler shared by every adapter of a process.
pub type SharedCallHandler = Arc<dyn CallHandler>;

/// Creates the two queues of a call with the standard capacities.
pub fn call_channels() -> (mpsc::Sender<Inbound>, mpsc::Receiver<Inbound>, mpsc::Sender<Outbound>, mpsc::Receiver<Outbound>) {
    let (in_tx, in_rx) = mpsc::channel(INBOUND_CAPACITY);
    let (out_tx, out_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    (in_tx, in_rx, out_tx, out_rx)
}

pub mod sip;
