//! Twilio Media Streams, sans-I/O: the JSON messages of a bidirectional stream (`connected`, `start`,
//! `media`, `dtmf`, `mark`, `stop` in; `media`, `mark`, `clear` out, audio as base64 mu-law at 8 kHz) mapped
//! to and from the call contract, and the `X-Twilio-Signature` check for webhooks. No sockets here: the
//! HTTP layer feeds text frames in and sends what comes out.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

use super::{FRAME_SAMPLES, Inbound, Outbound};
use crate::audio::g711::{decode_mulaw, encode_mulaw};

/// Largest text frame accepted from the stream (a media message of 20 ms is about 300 bytes).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A message from Twilio, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum TwilioIn {
    Connected,
    /// The stream started: its id, the call's CallSid, and the custom parameters of `<Stream>`.
    Start { stream_sid: String, call_sid: String, parameters: BTreeMap<String, String> },
    /// Caller audio, decoded to 16-bit PCM at 8 kHz.
    Media(Vec<i16>),
    Dtmf(char),
    /// A mark we sent has been reached: everything queued before it has played.
    Mark(String),
    Stop,
}

/// Why a stream message was refused; names the message and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Twilio stream message: {0}")]
pub struct TwilioError(String);

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, TwilioError> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p).ok_or_else(|| TwilioError(format!("no `{}`", path.join("."))))?;
    }
    cur.as_str().ok_or_else(|| TwilioError(format!("`{}` is not a string", path.join("."))))
}

/// Parses one text frame from Twilio.
pub fn parse(text: &str) -> Result<TwilioIn, TwilioError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(TwilioError(format!("{} bytes is over the {MAX_MESSAGE_BYTES}-byte limit", text.len())));
    }
    let v: Value = serde_json::from_str(text).map_err(|e| TwilioError(format!("not JSON: {e}")))?;
    match field(&v, &["event"])? {
        "connected" => Ok(TwilioIn::Connected),
        "start" => {
            let parameters = v
                .get("start")
                .and_then(|s| s.get("customParameters"))
                .and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                .unwrap_or_default();
            if let Ok(enc) = field(&v, &["start", "mediaFormat", "encoding"])
                && enc != "audio/x-mulaw"
            {
                return Err(TwilioError(format!("start: media encoding `{enc}` (only audio/x-mulaw)")));
            }
            Ok(TwilioIn::Start {
                stream_sid: field(&v, &["streamSid"]).or_else(|_| field(&v, &["start", "streamSid"]))?.to_string(),
                call_sid: field(&v, &["start", "callSid"])?.to_string(),
                parameters,
            })
        }
        "media" => {
            if let Ok(track) = field(&v, &["media", "track"])
                && track != "inbound"
            {
                return Ok(TwilioIn::Media(Vec::new()));
            }
            let payload = field(&v, &["media", "payload"])?;
            let bytes = B64.decode(payload).map_err(|e| TwilioError(format!("media: payload is not base64: {e}")))?;
            Ok(TwilioIn::Media(decode_mulaw(&bytes)))
        }
        "dtmf" => {
            let digit = field(&v, &["dtmf", "digit"])?;
            let mut chars = digit.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_digit() || "*#ABCD".contains(c) => Ok(TwilioIn::Dtmf(c)),
                _ => Err(TwilioError(format!("dtmf: `{digit}` is not a key"))),
            }
        }
        "mark" => Ok(TwilioIn::Mark(field(&v, &["mark", "name"])?.to_string())),
        "stop" => Ok(TwilioIn::Stop),
        other => Err(TwilioError(format!("unknown event `{other}`"))),
    }
}

/// One stream's state: turns Twilio messages into [`Inbound`] events and [`Outbound`] commands into
/// messages for Twilio.
#[derive(Debug, Default)]
pub struct StreamSession {
    stream_sid: Option<String>,
}

impl StreamSession {
    /// The stream id, once `start` has arrived.
    pub fn stream_sid(&self) -> Option<&str> {
        self.stream_sid.as_deref()
    }

    /// What a parsed message means for the call. Media arrives in frames of any size; it is split into
    /// [`FRAME_SAMPLES`] frames.
    pub fn inbound(&mut self, msg: TwilioIn) -> Vec<Inbound> {
        match msg {
            TwilioIn::Connected => Vec::new(),
            TwilioIn::Start { stream_sid, .. } => {
                self.stream_sid = Some(stream_sid);
                Vec::new()
            }
            TwilioIn::Media(samples) => samples.chunks(FRAME_SAMPLES).map(|c| Inbound::Audio(c.to_vec())).collect(),
            TwilioIn::Dtmf(c) => vec![Inbound::Dtmf(c)],
            TwilioIn::Mark(name) => match name.strip_prefix("play-").and_then(|n| n.parse().ok()) {
                Some(id) => vec![Inbound::PlayDone(id)],
                None => Vec::new(),
            },
            TwilioIn::Stop => vec![Inbound::Hangup],
        }
    }

    /// The text frames that carry out a command (`Hangup` has none: the caller of this closes the socket
    /// once the last mark has come back). Empty before `start`.
    pub fn outbound(&self, cmd: &Outbound) -> Vec<String> {
        let Some(sid) = &self.stream_sid else { return Vec::new() };
        match cmd {
            Outbound::Play { id, samples } => {
                // One second per message keeps the number of frames small; Twilio paces playback itself.
                let mut out: Vec<String> = samples.chunks(8000).map(|c| media_message(sid, c)).collect();
                out.push(mark_message(sid, &format!("play-{id}")));
                out
            }
            Outbound::Clear => vec![json!({ "event": "clear", "streamSid": sid }).to_string()],
            Outbound::Hangup => Vec::new(),
        }
    }
}

/// A `media` message with `samples` as base64 mu-law.
pub fn media_message(stream_sid: &str, samples: &[i16]) -> String {
    json!({ "event": "media", "streamSid": stream_sid, "media": { "payload": B64.encode(encode_mulaw(samples)) } }).to_string()
}

/// A `mark` message.
pub fn mark_message(stream_sid: &str, name: &str) -> String {
    json!({ "event": "mark", "streamSid": stream_sid, "mark": { "name": name } }).to_string()
}

/// HMAC-SHA1 over the URL followed by each POST parameter name and value, sorted by name.
fn signed(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac
}

/// The `X-Twilio-Signature` of a request: base64(HMAC-SHA1(auth token, URL followed by each POST parameter
/// name and value, sorted by name)).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    B64.encode(signed(auth_token, url, params).finalize().into_bytes())
}

/// The URL as Twilio may have signed it: as given, with the default port added, and without it.
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_string()];
    for (scheme, port) in [("https://", ":443"), ("http://", ":80"), ("wss://", ":443"), ("ws://", ":80")] {
        let Some(rest) = url.strip_prefix(scheme) else { continue };
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if let Some(bare) = host.strip_suffix(port) {
            out.push(format!("{scheme}{bare}{path}"));
        } else if !host.contains(':') {
            out.push(format!("{scheme}{host}{port}{path}"));
        }
    }
    out
}

/// Checks a request's `X-Twilio-Signature` in constant time, accepting the URL with and without its
/// default port.
pub fn signature_ok(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(given) = B64.decode(header.trim()) else { return false };
    url_variants(url).iter().any(|u| signed(auth_token, u, params).verify_slice(&given).is_ok())
}

/// The TwiML that connects a call to our media stream at `stream_url` (wss://...), passing the caller.
pub fn connect_twiml(stream_url: &str, from: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Connect><Stream url=\"{}\"><Parameter name=\"from\" \
         value=\"{}\"/></Stream></Connect></Response>\n",
        xml_escape(stream_url),
        xml_escape(from)
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// Samples of a Play, for tests and adapters: the audio a list of media messages carries.
pub fn media_samples(messages: &[String]) -> Arc<[i16]> {
    messages
        .iter()
        .filter_map(|m| match parse(m) {
            Ok(TwilioIn::Media(s)) => Some(s),
            _ => None,
        })
        .flatten()
        .collect()
}

#[cfg(test)]
#[path = "twilio_tests.rs"]
mod tests;
