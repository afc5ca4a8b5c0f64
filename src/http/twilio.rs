//! The Twilio front door: `POST /twilio/voice` (the TwiML webhook, X-Twilio-Signature checked) answers with
//! `<Connect><Stream>` to `GET /twilio/media`, the Media Streams WebSocket that runs the same
//! [`CallHandler`](crate::telephony::CallHandler) as SIP calls. Message mapping lives in
//! [`crate::telephony::twilio`]; this module only moves frames.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::AppState;
use crate::telephony::twilio::{StreamSession, TwilioIn, connect_twiml, parse, signature_ok};
use crate::telephony::{CallInfo, Channel, Inbound, Outbound, SharedCallHandler, call_channels};

/// Where Twilio is answered and how its requests are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioSettings {
    /// The account's auth token: the key of X-Twilio-Signature.
    pub auth_token: String,
    /// The public URL this service is reached at by Twilio (e.g. `https://fv.example.com`), no trailing slash.
    pub public_base_url: String,
}

const VOICE_PATH: &str = "/twilio/voice";
const MEDIA_PATH: &str = "/twilio/media";

pub(super) fn router() -> Router<AppState> {
    Router::new().route(VOICE_PATH, post(voice)).route(MEDIA_PATH, get(media))
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], why.to_string()).into_response()
}

/// The Twilio settings and call handler, when Twilio is set up here.
fn configured(s: &AppState) -> Option<(&TwilioSettings, &SharedCallHandler)> {
    s.twilio.as_ref().zip(s.call_handler.as_ref())
}

fn not_configured() -> Response {
    refuse(StatusCode::NOT_FOUND, "Twilio is not configured on this server")
}

fn signature_header(headers: &HeaderMap) -> &str {
    headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The TwiML webhook: checks the signature over the public URL and the POST parameters, then connects the
/// call to the media stream, passing the caller's number.
async fn voice(State(s): State<AppState>, headers: HeaderMap, Form(params): Form<Vec<(String, String)>>) -> Response {
    let Some((settings, _)) = configured(&s) else { return not_configured() };
    let url = format!("{}{VOICE_PATH}", settings.public_base_url);
    if !signature_ok(&settings.auth_token, &url, &params, signature_header(&headers)) {
        tracing::warn!(url, "Twilio webhook with a bad or missing X-Twilio-Signature");
        return refuse(StatusCode::FORBIDDEN, "bad X-Twilio-Signature");
    }
    let from = params.iter().find(|(k, _)| k == "From").map_or("", |(_, v)| v.as_str());
    let stream = stream_url(&settings.public_base_url);
    ([(header::CONTENT_TYPE, "text/xml")], connect_twiml(&stream, from)).into_response()
}

/// wss://host/twilio/media for https://host (ws:// for http://).
fn stream_url(base: &str) -> String {
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_string()
    };
    format!("{ws}{MEDIA_PATH}")
}

/// The Media Streams WebSocket. Twilio signs the upgrade request over the stream URL.
async fn media(State(s): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let Some((settings, handler)) = configured(&s) else { return not_configured() };
    let url = stream_url(&settings.public_base_url);
    if !signature_ok(&settings.auth_token, &url, &[], signature_header(&headers)) {
        tracing::warn!(url, "Twilio media stream with a bad or missing X-Twilio-Signature");
        return refuse(StatusCode::FORBIDDEN, "bad X-Twilio-Signature");
    }
    let handler = handler.clone();
    ws.max_message_size(crate::telephony::twilio::MAX_MESSAGE_BYTES).on_upgrade(move |socket| run_stream(socket, handler))
}

/// Runs one stream: waits for `start`, runs the call handler, and moves events and commands until the
/// stream stops or the handler hangs up (then the socket closes once the queued audio has played).
async fn run_stream(mut ws: WebSocket, handler: SharedCallHandler) {
    let mut session = StreamSession::default();
    let (in_tx, in_rx, out_tx, mut out_rx) = call_channels();
    let mut pending = Some((in_rx, out_tx));
    let mut call = None;
    let mut dropped: u64 = 0;
    let mut hanging_up = false;
    let mut last_play: Option<u64> = None;
    loop {
        tokio::select! {
            msg = ws.recv() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let parsed = match parse(text.as_str()) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "Twilio stream message dropped");
                        continue;
                    }
                };
                if let TwilioIn::Start { call_sid, parameters, .. } = &parsed
                    && let Some((in_rx, out_tx)) = pending.take()
                {
                    let caller = parameters.get("from").cloned().unwrap_or_default();
                    let info = CallInfo { call_id: call_sid.clone(), caller, channel: Channel::Twilio };
                    tracing::info!(call_sid, "Twilio stream started");
                    call = Some(tokio::spawn(handler.run(info, in_rx, out_tx)));
                }
                let stop = parsed == TwilioIn::Stop;
                for event in session.inbound(parsed) {
                    if let Inbound::PlayDone(id) = event
                        && last_play == Some(id)
                    {
                        last_play = None;
                        if hanging_up {
                            // The goodbye has played: end the stream, and with it the call.
                            let _ = ws.send(Message::Close(None)).await;
                        }
                    }
                    match event {
                        Inbound::Audio(_) => {
                            if in_tx.try_send(event).is_err() {
                                dropped += 1;
                            }
                        }
                        other => {
                            let _ = in_tx.send(other).await;
                        }
                    }
                }
                if stop {
                    break;
                }
            }
            cmd = out_rx.recv(), if call.is_some() => {
                let Some(cmd) = cmd else { break };
                match &cmd {
                    Outbound::Play { id, .. } => last_play = Some(*id),
                    Outbound::Clear => last_play = None,
                    Outbound::Hangup => {
                        hanging_up = true;
                        if last_play.is_none() {
                            let _ = ws.send(Message::Close(None)).await;
                        }
                    }
                }
                for text in session.outbound(&cmd) {
                    if ws.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    if dropped > 0 {
        tracing::warn!(dropped, "Twilio audio frames dropped: the call's inbound queue was full");
    }
    let _ = in_tx.send(Inbound::Hangup).await;
    drop(in_tx);
    if let Some(call) = call {
        let _ = call.await;
    }
}
