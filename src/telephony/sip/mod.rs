//! The SIP/RTP front door: a UDP SIP endpoint on rsipstack (transactions and dialogs from the stack) that
//! answers calls from configured trunks and runs a [`CallHandler`] per call, with our own media side
//! (RTP, jitter buffer, G.711, DTMF). Sans-I/O parts: [`sdp`], [`rtp`], [`jitter`], [`dtmf`], [`trunk`].
//! Must not depend on http, jobs or app.

pub mod dtmf;
pub mod jitter;
pub mod media;
pub mod rtp;
pub mod scenario;
pub mod sdp;
mod server;
pub mod trunk;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use media::MediaStats;
pub use trunk::{Cidr, DigestCredentials};

use crate::telephony::SharedCallHandler;

/// Settings of the SIP endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct SipConfig {
    /// UDP address for SIP.
    pub listen: SocketAddr,
    /// Address put in our SDP (where callers send RTP). Default: the listen address, or when that is
    /// unspecified, the local address that routes to the caller.
    pub sdp_ip: Option<IpAddr>,
    /// Trunks allowed by source address (addresses or CIDR blocks).
    pub allow: Vec<Cidr>,
    /// Trunks allowed by digest authentication.
    pub digest: Option<DigestCredentials>,
    /// Calls at once (ringing or answered); over it: 486 Busy Here.
    pub max_calls: usize,
    /// Even RTP ports are taken from this inclusive range.
    pub rtp_ports: (u16, u16),
    /// A call without RTP from the caller for this long is hung up.
    pub rtp_timeout: Duration,
    /// Time between 180 Ringing and 200 OK.
    pub ring: Duration,
}

impl SipConfig {
    /// Loopback-only trunks, 20 calls, RTP on 20000-30000, 30 s RTP timeout, answer at once.
    pub fn new(listen: SocketAddr) -> SipConfig {
        SipConfig {
            listen,
            sdp_ip: None,
            allow: vec![Cidr { addr: IpAddr::from([127, 0, 0, 0]), prefix: 8 }, Cidr { addr: "::1".parse().expect("literal"), prefix: 128 }],
            digest: None,
            max_calls: 20,
            rtp_ports: (20_000, 30_000),
            rtp_timeout: Duration::from_secs(30),
            ring: Duration::ZERO,
        }
    }
}

/// Call counters of the endpoint.
#[derive(Debug, Default)]
pub struct SipStats {
    pub calls_answered: AtomicU64,
    /// Calls refused: 403/401, 486, 488, 503.
    pub calls_refused: AtomicU64,
    pub calls_active: AtomicU64,
    /// Calls hung up because their RTP stopped.
    pub rtp_timeouts: AtomicU64,
    pub media: Arc<MediaStats>,
}

impl SipStats {
    /// Prometheus text lines for these counters.
    pub fn prometheus(&self) -> String {
        let m = &self.media;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let lines = [
            ("fieldvoice_sip_calls_answered_total", "counter", "Calls answered.", get(&self.calls_answered)),
            ("fieldvoice_sip_calls_refused_total", "counter", "INVITEs refused (403/401/486/488/503).", get(&self.calls_refused)),
            ("fieldvoice_sip_calls_active", "gauge", "Calls ringing or answered now.", get(&self.calls_active)),
            ("fieldvoice_sip_rtp_timeouts_total", "counter", "Calls hung up because RTP stopped.", get(&self.rtp_timeouts)),
            ("fieldvoice_rtp_packets_in_total", "counter", "RTP packets received.", get(&m.rtp_in)),
            ("fieldvoice_rtp_packets_out_total", "counter", "RTP packets sent.", get(&m.rtp_out)),
            ("fieldvoice_rtp_malformed_total", "counter", "Datagrams on RTP ports that were not usable RTP.", get(&m.rtp_malformed)),
            ("fieldvoice_rtp_late_total", "counter", "RTP packets that came after their turn.", get(&m.rtp_late)),
            ("fieldvoice_rtp_overflow_total", "counter", "RTP packets dropped by a full jitter buffer.", get(&m.rtp_overflow)),
            ("fieldvoice_rtp_lost_total", "counter", "RTP packets never received (silence played).", get(&m.rtp_lost)),
            ("fieldvoice_call_audio_dropped_total", "counter", "Caller audio frames dropped: the call handler's queue was full.", get(&m.audio_dropped)),
            ("fieldvoice_call_events_dropped_total", "counter", "Key presses or play reports dropped.", get(&m.events_dropped)),
        ];
        lines.iter().map(|(name, kind, help, v)| format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n")).collect()
    }
}

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("SIP listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
}

/// A running SIP endpoint; dropping it does not stop it, [`SipEndpoint::shutdown`] does.
pub struct SipEndpoint {
    /// The bound SIP address (the real port when 0 was asked for).
    pub addr: SocketAddr,
    pub stats: Arc<SipStats>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl SipEndpoint {
    /// Binds the UDP port and starts answering calls with `handler`.
    pub async fn start(config: SipConfig, handler: SharedCallHandler) -> Result<SipEndpoint, SipError> {
        let cancel = CancellationToken::new();
        let stats = Arc::new(SipStats::default());
        let (addr, task) = server::start(config, handler, stats.clone(), cancel.clone()).await?;
        Ok(SipEndpoint { addr, stats, cancel, task })
    }

    /// Hangs up every call and stops listening.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.task).await;
    }
}
