//! The SIP side on rsipstack: takes transactions from the stack, checks the trunk, the call cap and the SDP
//! offer, answers (100/180/200), follows dialog states (ACK, BYE, CANCEL, INFO, OPTIONS) and runs each
//! answered call's media loop and handler. In-dialog requests go through the dialog layer (`match_dialog`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsipstack::dialog::DialogId;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, DialogStateSender, TerminatedReason};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Host, Method, Request, StatusCode};
use rsipstack::transaction::{Transaction, TransactionReceiver};
use rsipstack::transport::TransportLayer;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::EndpointBuilder;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::media::{self, MediaEnd, MediaSession};
use super::sdp::{self, Negotiated};
use super::trunk::{Decision, TrunkPolicy};
use super::{SipConfig, SipError, SipStats};
use crate::telephony::{CallInfo, Channel, Inbound, SharedCallHandler, call_channels};

/// One call from INVITE to its end.
struct Call {
    dialog: InviteDialog,
    info: CallInfo,
    /// Fires when the call must end (the caller's BYE/CANCEL, shutdown).
    stop: CancellationToken,
    /// The caller ended the dialog (no BYE from us then).
    remote_gone: AtomicBool,
    /// The RTP socket and the agreed media, until the ACK starts the call.
    media: Mutex<Option<(UdpSocket, Negotiated)>>,
    /// The handler's inbound queue once the call runs (for SIP INFO key presses).
    inbound: Mutex<Option<mpsc::Sender<Inbound>>>,
    /// Our SDP answer, repeated for session refreshes.
    answer: String,
}

struct Shared {
    config: SipConfig,
    policy: TrunkPolicy,
    handler: SharedCallHandler,
    stats: Arc<SipStats>,
    dialogs: Arc<DialogLayer>,
    state_tx: DialogStateSender,
    calls: Mutex<HashMap<String, Arc<Call>>>,
    next_port: AtomicU32,
}

impl Shared {
    fn remove(&self, key: &str) -> Option<Arc<Call>> {
        let call = self.calls.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        if call.is_some() {
            self.stats.calls_active.fetch_sub(1, Ordering::Relaxed);
        }
        call
    }

    fn get(&self, key: &str) -> Option<Arc<Call>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }
}

/// Binds the SIP port and spawns the endpoint; returns the bound address and the task that ends after
/// `stop` fires and every call is hung up.
pub(super) async fn start(
    config: SipConfig,
    handler: SharedCallHandler,
    stats: Arc<SipStats>,
    stop: CancellationToken,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), SipError> {
    let stack = CancellationToken::new();
    let listen_err = |e: rsipstack::Error| SipError::Listen { addr: config.listen, reason: e.to_string() };
    let conn = UdpConnection::create_connection(config.listen, None, Some(stack.child_token())).await.map_err(listen_err)?;
    let port = conn.get_addr().addr.port.map(|p| p.value()).unwrap_or(config.listen.port());
    let addr = SocketAddr::new(config.listen.ip(), port);
    let transport = TransportLayer::new(stack.clone());
    transport.add_transport(conn.into());
    let endpoint = EndpointBuilder::new()
        .with_cancel_token(stack.clone())
        .with_transport_layer(transport)
        .with_user_agent("fieldvoice")
        .build();
    let incoming = endpoint.incoming_transactions().map_err(listen_err)?;
    let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
    let (state_tx, state_rx) = dialogs.new_dialog_state_channel();
    let shared = Arc::new(Shared {
        policy: TrunkPolicy::new(config.allow.clone(), config.digest.clone()),
        next_port: AtomicU32::new(u32::from(config.rtp_ports.0)),
        config,
        handler,
        stats,
        dialogs,
        state_tx,
        calls: Mutex::new(HashMap::new()),
    });
    let inner = endpoint.inner.clone();
    let serve = tokio::spawn(async move { inner.serve().await });
    info!(%addr, "SIP endpoint listening (UDP)");
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = accept_loop(shared.clone(), incoming) => {}
            _ = state_loop(shared.clone(), state_rx) => {}
            _ = stop.cancelled() => {}
        }
        let calls: Vec<Arc<Call>> = shared.calls.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        for call in calls {
            call.stop.cancel();
        }
        // Give the call tasks time to send their BYEs before the stack stops.
        for _ in 0..50 {
            if shared.calls.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        stack.cancel();
        let _ = serve.await;
        drop(endpoint);
    });
    Ok((addr, task))
}

async fn accept_loop(shared: Arc<Shared>, mut incoming: TransactionReceiver) {
    while let Some(mut tx) = incoming.recv().await {
        let in_dialog = tx.original.to_header().ok().and_then(|t| t.tag().ok().flatten()).is_some();
        if in_dialog {
            match shared.dialogs.match_dialog(&tx) {
                Some(mut dialog) => {
                    tokio::spawn(async move {
                        if let Err(e) = dialog.handle(&mut tx).await {
                            debug!(error = %e, "in-dialog request");
                        }
                    });
                }
                None if tx.original.method == Method::Ack => {}
                None => reply(&mut tx, StatusCode::CallTransactionDoesNotExist).await,
            }
            continue;
        }
        match tx.original.method {
            Method::Invite => on_invite(&shared, tx).await,
            Method::Options => {
                let allow = Header::Allow("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO".into());
                let accept = Header::Other("Accept".into(), "application/sdp".into());
                if let Err(e) = tx.reply_with(StatusCode::OK, vec![allow, accept], None).await {
                    debug!(error = %e, "OPTIONS reply");
                }
            }
            Method::Ack => {}
            Method::Bye | Method::Cancel | Method::Info | Method::Update | Method::PRack => {
                reply(&mut tx, StatusCode::CallTransactionDoesNotExist).await
            }
            _ => reply(&mut tx, StatusCode::MethodNotAllowed).await,
        }
    }
}

async fn reply(tx: &mut Transaction, status: StatusCode) {
    if let Err(e) = tx.reply(status.clone()).await {
        debug!(error = %e, %status, "reply");
    }
}

/// The address the request came from: the Via `received` the transport added, else the Via host.
fn source_ip(req: &Request) -> Option<IpAddr> {
    let via = req.via_header().ok()?.typed().ok()?;
    if let Some(Ok(ip)) = via.received() {
        return Some(ip);
    }
    match &via.sent_by().host {
        Host::IpAddr(ip) => Some(*ip),
        Host::Domain(_) => None,
    }
}

async fn on_invite(shared: &Arc<Shared>, mut tx: Transaction) {
    let refuse = |status: StatusCode| {
        shared.stats.calls_refused.fetch_add(1, Ordering::Relaxed);
        status
    };
    let source = source_ip(&tx.original).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let authorization = tx.original.header_value("Authorization");
    match shared.policy.check(source, &Method::Invite, authorization.as_deref()) {
        Decision::Accept => {}
        Decision::Forbidden => {
            info!(%source, "INVITE refused: not a configured trunk");
            return reply(&mut tx, refuse(StatusCode::Forbidden)).await;
        }
        Decision::Challenge(www) => {
            refuse(StatusCode::Unauthorized);
            let _ = tx.reply_with(StatusCode::Unauthorized, vec![Header::WwwAuthenticate(www.into())], None).await;
            return;
        }
    }
    if shared.calls.lock().unwrap_or_else(|p| p.into_inner()).len() >= shared.config.max_calls {
        info!(max = shared.config.max_calls, "INVITE refused: call cap reached");
        return reply(&mut tx, refuse(StatusCode::BusyHere)).await;
    }
    let neg = match sdp::negotiate(tx.original.body()) {
        Ok(n) => n,
        Err(e) => {
            info!(error = %e, "INVITE refused");
            let warning = Header::Other("Warning".into(), format!("399 fieldvoice \"{}\"", e.to_string().replace('"', "'")));
            refuse(StatusCode::NotAcceptableHere);
            let _ = tx.reply_with(StatusCode::NotAcceptableHere, vec![warning], None).await;
            return;
        }
    };
    let Some(socket) = bind_rtp(shared).await else {
        warn!("INVITE refused: no free RTP port in the configured range");
        return reply(&mut tx, refuse(StatusCode::ServiceUnavailable)).await;
    };
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let sdp_ip = shared.config.sdp_ip.unwrap_or_else(|| route_ip(shared.config.listen.ip(), neg.remote));
    let answer = sdp::answer(&neg, sdp_ip, port, u64::from(port) << 20 | u64::from(shared.next_port.load(Ordering::Relaxed)));
    let dialog = match shared.dialogs.get_or_create_server_invite(&tx, shared.state_tx.clone(), None, None) {
        Ok(d) => d,
        Err(e) => {
            warn!(error = %e, "INVITE: no dialog");
            return reply(&mut tx, refuse(StatusCode::ServerInternalError)).await;
        }
    };
    let key = dialog.id().to_string();
    let caller = tx.original.from_header().map(|f| f.value().to_string()).unwrap_or_default();
    let info = CallInfo { call_id: dialog.id().call_id.clone(), caller, channel: Channel::Sip };
    let call = Arc::new(Call {
        dialog: dialog.clone(),
        info,
        stop: CancellationToken::new(),
        remote_gone: AtomicBool::new(false),
        media: Mutex::new(Some((socket, neg))),
        inbound: Mutex::new(None),
        answer: answer.clone(),
    });
    shared.calls.lock().unwrap_or_else(|p| p.into_inner()).insert(key, call.clone());
    shared.stats.calls_active.fetch_add(1, Ordering::Relaxed);
    let mut server_dialog = dialog.clone();
    tokio::spawn(async move {
        if let Err(e) = server_dialog.handle(&mut tx).await {
            debug!(error = %e, "INVITE transaction");
        }
    });
    if let Err(e) = dialog.ringing(None, None) {
        debug!(error = %e, "180 Ringing");
    }
    let ring = shared.config.ring;
    let stats = shared.stats.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(ring) => {}
            _ = call.stop.cancelled() => return,
        }
        let content_type = Header::ContentType("application/sdp".into());
        match call.dialog.accept(Some(vec![content_type]), Some(answer.into_bytes())) {
            Ok(()) => {
                stats.calls_answered.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => warn!(error = %e, "200 OK"),
        }
    });
}

/// Binds the next free even port of the RTP range on the SIP listen address.
async fn bind_rtp(shared: &Shared) -> Option<UdpSocket> {
    let (lo, hi) = shared.config.rtp_ports;
    let (lo, hi) = (u32::from(lo) & !1, u32::from(hi));
    let span = ((hi.saturating_sub(lo)) / 2 + 1).max(1);
    for _ in 0..span.min(200) {
        let n = shared.next_port.fetch_add(2, Ordering::Relaxed);
        let port = lo + (n.saturating_sub(lo) / 2 % span) * 2;
        let Ok(port) = u16::try_from(port) else { continue };
        if let Ok(s) = UdpSocket::bind(SocketAddr::new(shared.config.listen.ip(), port)).await {
            return Some(s);
        }
    }
    None
}

/// Our address as the caller's RTP sees it: the listen address, or when that is unspecified the local
/// address the system routes to the caller from (no packet is sent).
fn route_ip(listen: IpAddr, remote: SocketAddr) -> IpAddr {
    if !listen.is_unspecified() {
        return listen;
    }
    let probe = std::net::UdpSocket::bind(SocketAddr::new(listen, 0)).and_then(|s| {
        s.connect(remote)?;
        s.local_addr()
    });
    probe.map(|a| a.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

async fn state_loop(shared: Arc<Shared>, mut states: DialogStateReceiver) {
    while let Some(state) = states.recv().await {
        match state {
            DialogState::Confirmed(id, _) => start_call(&shared, &id),
            DialogState::Info(id, req, handle) => {
                let ct = req.header_value("Content-Type").unwrap_or_default();
                let key = super::dtmf::parse_info_body(&ct, req.body());
                let call = shared.get(&id.to_string());
                let queue = call.and_then(|c| c.inbound.lock().unwrap_or_else(|p| p.into_inner()).clone());
                let status = match (key, queue) {
                    (Some(k), Some(q)) => {
                        if q.try_send(Inbound::Dtmf(k)).is_err() {
                            shared.stats.media.events_dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        StatusCode::OK
                    }
                    (None, _) if ct.is_empty() => StatusCode::OK,
                    (None, _) => StatusCode::UnsupportedMediaType,
                    (Some(_), None) => StatusCode::OK,
                };
                tokio::spawn(async move { handle.reply(status).await });
            }
            DialogState::Options(_, _, handle) => {
                tokio::spawn(async move { handle.reply(StatusCode::OK).await });
            }
            DialogState::Updated(id, req, handle) => {
                // A re-INVITE or UPDATE (session refresh, hold): the media stays as agreed, so the answer is ours
                // again when they carry an offer.
                let answer = shared.get(&id.to_string()).map(|c| c.answer.clone());
                tokio::spawn(async move {
                    match answer.filter(|_| !req.body().is_empty()) {
                        Some(sdp) => {
                            let ct = vec![Header::ContentType("application/sdp".into())];
                            handle.respond(StatusCode::OK, Some(ct), Some(sdp.into_bytes())).await
                        }
                        None => handle.reply(StatusCode::OK).await,
                    }
                });
            }
            DialogState::Message(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Refer(_, _, handle)
            | DialogState::Publish(_, _, handle) => {
                tokio::spawn(async move { handle.reply(StatusCode::MethodNotAllowed).await });
            }
            DialogState::Terminated(id, reason) => {
                debug!(%id, ?reason, "dialog terminated");
                if let Some(call) = shared.remove(&id.to_string()) {
                    let by_caller = !matches!(reason, TerminatedReason::UasBye);
                    call.remote_gone.store(by_caller, Ordering::Relaxed);
                    call.stop.cancel();
                }
                shared.dialogs.remove_dialog(&id);
            }
            _ => {}
        }
    }
}

/// The caller's ACK arrived: start the media loop and the handler.
fn start_call(shared: &Arc<Shared>, id: &DialogId) {
    let Some(call) = shared.get(&id.to_string()) else { return };
    let Some((socket, neg)) = call.media.lock().unwrap_or_else(|p| p.into_inner()).take() else { return };
    let shared = shared.clone();
    tokio::spawn(async move {
        let (in_tx, in_rx, out_tx, out_rx) = call_channels();
        *call.inbound.lock().unwrap_or_else(|p| p.into_inner()) = Some(in_tx.clone());
        info!(call_id = %call.info.call_id, caller = %call.info.caller, codec = ?neg.codec, "call answered");
        tokio::spawn(shared.handler.run(call.info.clone(), in_rx, out_tx));
        let session = MediaSession {
            socket,
            remote: neg.remote,
            codec: neg.codec,
            dtmf_pt: neg.dtmf_pt,
            rtp_timeout: shared.config.rtp_timeout,
            stats: shared.stats.media.clone(),
        };
        let end = media::run(session, in_tx.clone(), out_rx, call.stop.clone()).await;
        info!(call_id = %call.info.call_id, ?end, "call ended");
        if end == MediaEnd::Timeout {
            shared.stats.rtp_timeouts.fetch_add(1, Ordering::Relaxed);
        }
        call.inbound.lock().unwrap_or_else(|p| p.into_inner()).take();
        if end != MediaEnd::HandlerHangup {
            let _ = tokio::time::timeout(Duration::from_secs(1), in_tx.send(Inbound::Hangup)).await;
        }
        drop(in_tx);
        let id = call.dialog.id();
        shared.remove(&id.to_string());
        if !call.remote_gone.load(Ordering::Relaxed) {
            if let Err(e) = call.dialog.bye().await {
                debug!(error = %e, "BYE");
            }
        }
        shared.dialogs.remove_dialog(&id);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rsipstack::sip::SipMessage;

    const INVITE: &str = "INVITE sip:ivr@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK-1;received=192.0.2.7\r\n\
From: sipp <sip:sipp@10.0.0.9:5070>;tag=1\r\nTo: <sip:ivr@127.0.0.1:5060>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\
Contact: sip:sipp@10.0.0.9:5070\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn the_source_is_the_via_received_address_else_its_host() {
        let SipMessage::Request(req) = SipMessage::try_from(INVITE).unwrap() else { panic!() };
        assert_eq!(source_ip(&req), Some("192.0.2.7".parse().unwrap()));
        let plain = INVITE.replace(";received=192.0.2.7", "");
        let SipMessage::Request(req) = SipMessage::try_from(plain.as_str()).unwrap() else { panic!() };
        assert_eq!(source_ip(&req), Some("10.0.0.9".parse().unwrap()));
    }

    #[test]
    fn route_ip_prefers_the_listen_address() {
        let remote: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        assert_eq!(route_ip("10.1.2.3".parse().unwrap(), remote), "10.1.2.3".parse::<IpAddr>().unwrap());
        assert!(route_ip("0.0.0.0".parse().unwrap(), remote).is_loopback());
    }

    proptest! {
        // What the endpoint does with a datagram before any transaction exists: parse it, find its source.
        #[test]
        fn mutated_requests_never_panic(at in 0usize..400, junk in proptest::collection::vec(any::<u8>(), 0..24), cut in 0usize..420) {
            let mut bytes = INVITE.as_bytes().to_vec();
            let i = at.min(bytes.len());
            bytes.splice(i..i, junk);
            bytes.truncate(cut.max(1));
            if let Ok(SipMessage::Request(req)) = SipMessage::try_from(bytes.as_slice()) {
                let _ = source_ip(&req);
                let _ = req.header_value("Authorization");
                let _ = sdp::negotiate(req.body());
            }
        }
    }
}
