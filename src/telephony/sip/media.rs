//! The media side of one SIP call: receives RTP (jitter buffer, G.711 decode, RFC 4733 DTMF) into the
//! handler's [`Inbound`] queue and paces the handler's [`Outbound`] plays out as 20 ms RTP frames. It never
//! waits on the handler: a full inbound queue drops audio frames and counts them.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::telephony::sip::dtmf::DtmfDetector;
use crate::telephony::sip::jitter::JitterBuffer;
use crate::telephony::sip::rtp::{Sender, decode, parse};
use crate::telephony::sip::sdp::Codec;
use crate::telephony::{FRAME_SAMPLES, Inbound, Outbound};

/// Packets the jitter buffer holds before playout (40 ms of delay).
const JITTER_DEPTH: usize = 2;
/// Most packets the jitter buffer holds (1 s).
const JITTER_CAPACITY: usize = 50;
/// Most plays queued at once; more are dropped and counted.
const MAX_QUEUED_PLAYS: usize = 256;
/// Most key presses and play reports waiting for room in the inbound queue.
const MAX_PENDING_EVENTS: usize = 64;

/// Media counters of the whole endpoint (all calls), for /metrics and the benchmark.
#[derive(Debug, Default)]
pub struct MediaStats {
    pub rtp_in: AtomicU64,
    pub rtp_out: AtomicU64,
    /// Datagrams on an RTP port that are not RTP, or RTP with an unexpected payload type.
    pub rtp_malformed: AtomicU64,
    /// Audio frames dropped because the handler's inbound queue was full.
    pub audio_dropped: AtomicU64,
    /// Key presses or play reports dropped because the handler did not keep up at all.
    pub events_dropped: AtomicU64,
    /// Plays dropped because too many were queued.
    pub plays_dropped: AtomicU64,
    /// Jitter buffer: packets too late, packets that overflowed it, packets lost (filled with silence).
    pub rtp_late: AtomicU64,
    pub rtp_overflow: AtomicU64,
    pub rtp_lost: AtomicU64,
    /// Datagrams that could not be sent.
    pub send_errors: AtomicU64,
}

impl MediaStats {
    /// RTP or audio lost on our side: late or overflowed packets and frames the handler could not take.
    pub fn drops(&self) -> u64 {
        self.audio_dropped.load(Ordering::Relaxed) + self.rtp_late.load(Ordering::Relaxed) + self.rtp_overflow.load(Ordering::Relaxed)
    }
}

/// Everything one call's media loop needs.
pub struct MediaSession {
    pub socket: UdpSocket,
    pub remote: SocketAddr,
    pub codec: Codec,
    pub dtmf_pt: Option<u8>,
    pub rtp_timeout: Duration,
    pub stats: Arc<MediaStats>,
}

/// Why the media loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEnd {
    /// The handler asked to hang up (or returned) and its queued audio has played.
    HandlerHangup,
    /// No RTP from the caller for the configured time.
    Timeout,
    /// The call was ended from outside (the caller's BYE, shutdown).
    Stopped,
}

struct Playing {
    id: u64,
    samples: Arc<[i16]>,
    at: usize,
}

/// Runs the media of one call until the handler hangs up, RTP times out or `stop` fires.
pub async fn run(session: MediaSession, inbound: mpsc::Sender<Inbound>, mut outbound: mpsc::Receiver<Outbound>, stop: CancellationToken) -> MediaEnd {
    let MediaSession { socket, remote, codec, dtmf_pt, rtp_timeout, stats } = session;
    let mut jitter = JitterBuffer::new(JITTER_DEPTH, JITTER_CAPACITY);
    let mut dtmf = DtmfDetector::default();
    let mut sender = Sender::new(codec, seed());
    let mut queue: VecDeque<Playing> = VecDeque::new();
    let mut events: VecDeque<Inbound> = VecDeque::new();
    let mut hangup = false;
    let mut outbound_open = true;
    let mut talkspurt = true;
    let mut last_rx = Instant::now();
    let mut buf = vec![0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut seen = crate::telephony::sip::jitter::JitterStats::default();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return MediaEnd::Stopped,
            r = socket.recv_from(&mut buf) => {
                let Ok((n, _from)) = r else { continue };
                let Ok(p) = parse(&buf[..n]) else {
                    stats.rtp_malformed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                stats.rtp_in.fetch_add(1, Ordering::Relaxed);
                last_rx = Instant::now();
                if p.payload_type == codec.payload_type() {
                    jitter.push(p.seq, decode(codec, &p.payload));
                } else if Some(p.payload_type) == dtmf_pt {
                    if let Some(key) = dtmf.on_packet(p.timestamp, &p.payload) {
                        push_event(&mut events, Inbound::Dtmf(key), &stats);
                    }
                } else {
                    stats.rtp_malformed.fetch_add(1, Ordering::Relaxed);
                }
            }
            cmd = outbound.recv(), if outbound_open => match cmd {
                Some(Outbound::Play { id, samples }) => {
                    if queue.len() >= MAX_QUEUED_PLAYS {
                        stats.plays_dropped.fetch_add(1, Ordering::Relaxed);
                    } else {
                        queue.push_back(Playing { id, samples, at: 0 });
                    }
                }
                Some(Outbound::Clear) => queue.clear(),
                Some(Outbound::Hangup) | None => {
                    hangup = true;
                    outbound_open = false;
                }
            },
            _ = tick.tick() => {
                // Caller side first: key presses and play reports, then this tick's audio frame.
                while let Some(ev) = events.pop_front() {
                    match inbound.try_send(ev) {
                        Ok(()) => {}
                        Err(TrySendError::Full(ev)) => {
                            events.push_front(ev);
                            break;
                        }
                        Err(TrySendError::Closed(_)) => break,
                    }
                }
                let frame = jitter.pop();
                // Events still waiting mean the queue is full: this frame cannot go either.
                let sent = events.is_empty() && !matches!(inbound.try_send(Inbound::Audio(frame)), Err(TrySendError::Full(_)));
                if !sent {
                    stats.audio_dropped.fetch_add(1, Ordering::Relaxed);
                }
                account(&jitter, &mut seen, &stats);
                // Our side: one frame of the current play, or silence.
                let (frame, start) = next_frame(&mut queue, &mut events, &mut talkspurt, &stats);
                let packet = sender.packet(&frame, start);
                match socket.send_to(&packet, remote).await {
                    Ok(_) => stats.rtp_out.fetch_add(1, Ordering::Relaxed),
                    Err(_) => stats.send_errors.fetch_add(1, Ordering::Relaxed),
                };
                if hangup && queue.is_empty() {
                    flush(&mut events, &inbound);
                    return MediaEnd::HandlerHangup;
                }
                if last_rx.elapsed() > rtp_timeout {
                    return MediaEnd::Timeout;
                }
            }
        }
    }
}

/// The next 20 ms of our audio: the front play's next frame (reporting it done after its last frame), or
/// silence. Returns whether the frame starts a talkspurt.
fn next_frame(queue: &mut VecDeque<Playing>, events: &mut VecDeque<Inbound>, talkspurt: &mut bool, stats: &MediaStats) -> (Vec<i16>, bool) {
    let mut frame = Vec::with_capacity(FRAME_SAMPLES);
    let start = !queue.is_empty() && *talkspurt;
    while frame.len() < FRAME_SAMPLES {
        let Some(p) = queue.front_mut() else { break };
        let take = (FRAME_SAMPLES - frame.len()).min(p.samples.len() - p.at);
        frame.extend_from_slice(&p.samples[p.at..p.at + take]);
        p.at += take;
        if p.at >= p.samples.len() {
            let id = p.id;
            queue.pop_front();
            push_event(events, Inbound::PlayDone(id), stats);
        }
    }
    *talkspurt = queue.is_empty();
    frame.resize(FRAME_SAMPLES, 0);
    (frame, start)
}

fn push_event(events: &mut VecDeque<Inbound>, ev: Inbound, stats: &MediaStats) {
    if events.len() >= MAX_PENDING_EVENTS {
        stats.events_dropped.fetch_add(1, Ordering::Relaxed);
    } else {
        events.push_back(ev);
    }
}

/// Last chance for the final play reports before the call ends.
fn flush(events: &mut VecDeque<Inbound>, inbound: &mpsc::Sender<Inbound>) {
    while let Some(ev) = events.pop_front() {
        if inbound.try_send(ev).is_err() {
            break;
        }
    }
}

fn account(jitter: &JitterBuffer, seen: &mut crate::telephony::sip::jitter::JitterStats, stats: &MediaStats) {
    let s = jitter.stats;
    stats.rtp_late.fetch_add(s.late - seen.late, Ordering::Relaxed);
    stats.rtp_overflow.fetch_add(s.overflow - seen.overflow, Ordering::Relaxed);
    stats.rtp_lost.fetch_add(s.lost - seen.lost, Ordering::Relaxed);
    *seen = s;
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(id: u64, n: usize, v: i16) -> Playing {
        Playing { id, samples: vec![v; n].into(), at: 0 }
    }

    #[test]
    fn plays_are_cut_into_frames_and_reported_after_their_last_frame() {
        let stats = MediaStats::default();
        let mut queue: VecDeque<Playing> = [play(1, 200, 5), play(2, 100, 7)].into();
        let (mut events, mut talkspurt) = (VecDeque::new(), true);
        let (f1, start1) = next_frame(&mut queue, &mut events, &mut talkspurt, &stats);
        assert!(start1 && f1.iter().all(|&v| v == 5) && events.is_empty());
        let (f2, start2) = next_frame(&mut queue, &mut events, &mut talkspurt, &stats);
        // 40 samples finish play 1, 100 are play 2, then 20 of silence.
        assert!(!start2);
        assert_eq!((f2[39], f2[40], f2[139], f2[140], f2.len()), (5, 7, 7, 0, FRAME_SAMPLES));
        assert_eq!(events, VecDeque::from([Inbound::PlayDone(1), Inbound::PlayDone(2)]));
        let (f3, start3) = next_frame(&mut queue, &mut events, &mut talkspurt, &stats);
        assert!(!start3 && f3.iter().all(|&v| v == 0), "silence between prompts");
        queue.push_back(play(3, 160, 1));
        assert!(next_frame(&mut queue, &mut events, &mut talkspurt, &stats).1, "the next prompt starts a talkspurt");
    }

    #[test]
    fn pending_events_are_bounded() {
        let stats = MediaStats::default();
        let mut events = VecDeque::new();
        for i in 0..(MAX_PENDING_EVENTS as u64 + 5) {
            push_event(&mut events, Inbound::PlayDone(i), &stats);
        }
        assert_eq!((events.len(), stats.events_dropped.load(Ordering::Relaxed)), (MAX_PENDING_EVENTS, 5));
    }
}
