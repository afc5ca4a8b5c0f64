//! Which callers may place calls (sans-I/O): an allow-list of addresses and CIDR blocks, and/or SIP digest
//! authentication (RFC 3261 section 22, MD5) with stateless nonces that expire. Must not touch sockets.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use rsipstack::dialog::authenticate::verify_digest;
use rsipstack::sip::Method;
use rsipstack::sip::typed::Authorization;
use sha2::Sha256;

/// How long a nonce we issued stays valid.
const NONCE_TTL_SECS: u64 = 300;

/// An address or a CIDR block such as `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = ip.trim().parse().map_err(|_| format!("`{s}` is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{s}`: prefix must be 0-{max}"))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        let bits = |a: IpAddr| -> (u128, u32) {
            match a {
                IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let ((net, w1), (x, w2)) = (bits(self.addr), bits(ip));
        if w1 != w2 {
            return false;
        }
        let shift = w1 - u32::from(self.prefix);
        shift >= w1 || (net >> shift) == (x >> shift)
    }
}

/// Digest credentials a trunk must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    pub user: String,
    pub password: String,
    pub realm: String,
}

/// What to do with a request from a would-be caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Accept,
    /// 401 with this `WWW-Authenticate` value.
    Challenge(String),
    /// 403 Forbidden.
    Forbidden,
}

/// The trunk policy: a source on the allow-list is accepted; otherwise, when digest credentials are set, the
/// request must carry a valid `Authorization`; otherwise it is refused.
#[derive(Debug, Clone)]
pub struct TrunkPolicy {
    pub allow: Vec<Cidr>,
    pub digest: Option<DigestCredentials>,
    secret: [u8; 32],
}

impl TrunkPolicy {
    pub fn new(allow: Vec<Cidr>, digest: Option<DigestCredentials>) -> TrunkPolicy {
        let mut secret = [0u8; 32];
        for chunk in secret.chunks_mut(8) {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(now_nanos());
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        TrunkPolicy { allow, digest, secret }
    }

    /// Decides on a request from `source` with its `Authorization` header value, if any.
    pub fn check(&self, source: IpAddr, method: &Method, authorization: Option<&str>) -> Decision {
        self.check_at(source, method, authorization, now_secs())
    }

    fn check_at(&self, source: IpAddr, method: &Method, authorization: Option<&str>, now: u64) -> Decision {
        if self.allow.iter().any(|c| c.contains(source)) {
            return Decision::Accept;
        }
        let Some(creds) = &self.digest else { return Decision::Forbidden };
        let challenge = Decision::Challenge(format!(
            "Digest realm=\"{}\", nonce=\"{}\", algorithm=MD5",
            creds.realm,
            self.nonce(now)
        ));
        let Some(raw) = authorization else { return challenge };
        let Ok(auth) = Authorization::parse(raw) else { return Decision::Forbidden };
        if auth.username != creds.user || auth.realm != creds.realm {
            return Decision::Forbidden;
        }
        if !self.nonce_fresh(&auth.nonce, now) {
            // An expired nonce is challenged again (the caller retries with the new one).
            return challenge;
        }
        if verify_digest(&auth, &creds.password, method, raw) { Decision::Accept } else { Decision::Forbidden }
    }

    fn mac(&self, issued: u64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(&issued.to_be_bytes());
        mac.finalize().into_bytes().iter().take(12).map(|b| format!("{b:02x}")).collect()
    }

    /// A nonce that proves we issued it at `now`: `<time hex>.<HMAC>`.
    fn nonce(&self, now: u64) -> String {
        format!("{now:x}.{}", self.mac(now))
    }

    fn nonce_fresh(&self, nonce: &str, now: u64) -> bool {
        let Some((t, mac)) = nonce.split_once('.') else { return false };
        let Ok(issued) = u64::from_str_radix(t, 16) else { return false };
        // Constant-time enough: both sides are hex of a MAC of the same length.
        let expected = self.mac(issued);
        expected.len() == mac.len()
            && expected.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
            && now.saturating_sub(issued) <= NONCE_TTL_SECS
            && issued <= now + 5
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn now_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsipstack::dialog::authenticate::compute_digest;
    use rsipstack::sip::headers::auth::Algorithm;

    fn policy(allow: &[&str], digest: bool) -> TrunkPolicy {
        let creds = DigestCredentials { user: "trunk".into(), password: "s3cret".into(), realm: "fieldvoice".into() };
        TrunkPolicy::new(allow.iter().map(|s| s.parse().unwrap()).collect(), digest.then_some(creds))
    }

    fn answer(nonce: &str, password: &str) -> String {
        let uri = "sip:ivr@127.0.0.1:5060";
        let resp = compute_digest("trunk", password, "fieldvoice", nonce, &Method::Invite, uri, Algorithm::Md5, None);
        format!("Digest username=\"trunk\", realm=\"fieldvoice\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{resp}\", algorithm=MD5")
    }

    #[test]
    fn cidr_blocks() {
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()) && !c.contains("10.2.0.1".parse().unwrap()));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!("127.0.0.1".parse::<Cidr>().unwrap().contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!"::1".parse::<Cidr>().unwrap().contains("127.0.0.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().unwrap_err().contains("prefix"));
        assert!("nowhere".parse::<Cidr>().unwrap_err().contains("`nowhere`"));
    }

    #[test]
    fn allow_list_without_digest() {
        let p = policy(&["192.0.2.0/24"], false);
        assert_eq!(p.check("192.0.2.7".parse().unwrap(), &Method::Invite, None), Decision::Accept);
        assert_eq!(p.check("198.51.100.1".parse().unwrap(), &Method::Invite, None), Decision::Forbidden);
    }

    #[test]
    fn digest_challenge_then_accept() {
        let p = policy(&[], true);
        let src = "198.51.100.1".parse().unwrap();
        let Decision::Challenge(www) = p.check_at(src, &Method::Invite, None, 1000) else { panic!() };
        let nonce = www.split("nonce=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert_eq!(p.check_at(src, &Method::Invite, Some(&answer(&nonce, "s3cret")), 1010), Decision::Accept);
        assert_eq!(p.check_at(src, &Method::Invite, Some(&answer(&nonce, "wrong")), 1010), Decision::Forbidden);
        assert!(matches!(p.check_at(src, &Method::Invite, Some(&answer(&nonce, "s3cret")), 2000), Decision::Challenge(_)), "stale nonce");
        let forged = answer("3e8.000000000000000000000000", "s3cret");
        assert!(matches!(p.check_at(src, &Method::Invite, Some(&forged), 1010), Decision::Challenge(_)));
        assert_eq!(p.check_at(src, &Method::Invite, Some("Digest garbage"), 1010), Decision::Forbidden);
    }
}
