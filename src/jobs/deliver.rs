//! Webhook delivery from the outbox: each row is POSTed as JSON with an `Idempotency-Key` (stable across
//! retries), the event name, and `X-Fieldvoice-Signature: sha256=HEX` (HMAC-SHA256 of the body with the
//! shared secret). A 2xx answer marks it sent; anything else is retried with backoff until dead.
//! Plain HTTP only: put a TLS-terminating proxy in front of an https endpoint.

use std::time::Duration;

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use sha2::Sha256;
use tokio::sync::watch;

use super::backoff_ms;
use crate::store::{Store, StoreError};

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    pub secret: String,
    /// Attempts before a delivery is dead.
    pub max_attempts: i64,
    /// First retry delay, doubled per attempt.
    pub backoff: Duration,
    /// Per-request timeout (also the claim lease).
    pub timeout: Duration,
    pub poll: Duration,
}

impl DeliveryOptions {
    /// Defaults: 8 attempts, 10 s first backoff, 10 s timeout.
    pub fn new(secret: impl Into<String>) -> Self {
        DeliveryOptions {
            secret: secret.into(),
            max_attempts: 8,
            backoff: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
        }
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: the signature header's value.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why one POST failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("`{0}` is not a plain http:// URL")]
    Url(String),
    #[error("connect {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("HTTP: {0}")]
    Http(String),
    #[error("endpoint answered {0}")]
    Status(u16),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

/// POSTs `body` to `url` with the given headers; Ok for a 2xx answer.
pub async fn post(url: &str, headers: &[(&str, String)], body: &str, timeout: Duration) -> Result<(), DeliveryError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| DeliveryError::Url(url.into()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(DeliveryError::Url(url.into()));
    }
    let addr = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
    let work = async {
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| DeliveryError::Connect { addr: addr.clone(), reason: e.to_string() })?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| DeliveryError::Http(e.to_string()))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = hyper::Request::post(path).header("host", authority).header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_string()))).map_err(|e| DeliveryError::Http(e.to_string()))?;
        let resp = sender.send_request(req).await.map_err(|e| DeliveryError::Http(e.to_string()))?;
        let status = resp.status();
        let _ = resp.into_body().collect().await;
        if status.is_success() { Ok(()) } else { Err(DeliveryError::Status(status.as_u16())) }
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| DeliveryError::Timeout(timeout))?
}

/// Delivers at most one due outbox row. `Ok(None)` when nothing is due; otherwise the row's id and the
/// error of a failed attempt, if any.
pub async fn deliver_once(store: &Store, opts: &DeliveryOptions) -> Result<Option<(i64, Option<String>)>, StoreError> {
    let Some(d) = store.claim_delivery(opts.timeout.as_millis() as i64 * 2).await? else { return Ok(None) };
    let headers = [
        ("idempotency-key", d.idempotency_key.clone()),
        ("x-fieldvoice-event", d.event.clone()),
        ("x-fieldvoice-signature", signature(&opts.secret, d.payload.as_bytes())),
    ];
    match post(&d.target_url, &headers, &d.payload, opts.timeout).await {
        Ok(()) => {
            store.delivery_sent(d.outbox_id).await?;
            Ok(Some((d.outbox_id, None)))
        }
        Err(e) => {
            let error = e.to_string();
            tracing::warn!(outbox_id = d.outbox_id, attempt = d.attempts, %error, "webhook delivery failed");
            store.delivery_failed(d.outbox_id, &error, backoff_ms(opts.backoff, d.attempts), opts.max_attempts).await?;
            Ok(Some((d.outbox_id, Some(error))))
        }
    }
}

/// Delivers until `shutdown` turns true.
pub async fn run_deliveries(store: Store, opts: DeliveryOptions, shutdown: watch::Receiver<bool>) {
    super::poll_until_shutdown("deliverer", opts.poll, shutdown, || deliver_once(&store, &opts)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_hmac() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
