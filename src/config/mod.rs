//! Service configuration in two steps: [`RawConfig`] (every setting optional, from a TOML file, env vars
//! and flags, later sources overriding earlier ones) is validated once into a [`Config`]. Must not depend
//! on http, jobs or app.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Settings as given, none validated. Field names are the TOML keys.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    /// Whisper model name or path for the workers.
    pub model: Option<String>,
    pub max_upload_bytes: Option<u64>,
    /// Job-processing loops in this process (0: API only; `fieldvoice worker` runs them elsewhere).
    pub workers: Option<usize>,
    /// Seconds after which a job whose worker stopped renewing its lease is taken over.
    pub job_lease_secs: Option<u64>,
    /// External CRM endpoints that receive verified reports.
    pub webhook_urls: Option<Vec<String>>,
    /// Key for the `X-Fieldvoice-Signature` HMAC-SHA256 header.
    pub webhook_secret: Option<String>,
    /// Also send `report.confirmed` to the customer's contact hook.
    pub confirm_to_customer: Option<bool>,
    /// Twilio account auth token: checks X-Twilio-Signature on the Twilio webhook and media stream.
    pub twilio_auth_token: Option<String>,
    /// The URL Twilio reaches this server at (https://...), used for signatures and the stream URL.
    pub public_base_url: Option<String>,
    /// UDP HOST:PORT of the SIP endpoint (default 0.0.0.0:5060); `off` disables it.
    pub sip_listen: Option<String>,
    /// Address put in SDP answers (where callers send RTP); default: the routed local address.
    pub sip_sdp_ip: Option<String>,
    /// Trunks allowed by source: addresses or CIDR blocks (default loopback only).
    pub sip_allow: Option<Vec<String>>,
    /// Digest credentials trunks not on the allow-list must present.
    pub sip_digest_user: Option<String>,
    pub sip_digest_password: Option<String>,
    /// Concurrent calls; over it callers get 486 Busy Here (default 20).
    pub sip_max_calls: Option<usize>,
    /// RTP port range `LOW-HIGH` (default 20000-30000).
    pub sip_rtp_ports: Option<String>,
    /// Seconds without RTP after which a call is hung up (default 30).
    pub sip_rtp_timeout_secs: Option<u64>,
}

/// Why a configuration was refused; names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{setting}: {reason}")]
    Invalid { setting: &'static str, reason: String },
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub model: String,
    pub max_upload_bytes: u64,
    pub workers: usize,
    pub job_lease_secs: u64,
    pub webhook_urls: Vec<String>,
    pub webhook_secret: Option<String>,
    pub confirm_to_customer: bool,
    /// Twilio auth token and this server's public base URL (no trailing slash), both set or neither.
    pub twilio_auth_token: Option<String>,
    pub public_base_url: Option<String>,
    /// The SIP endpoint, unless `sip_listen = "off"`.
    pub sip: Option<crate::telephony::sip::SipConfig>,
    /// `sip_listen` was given (a busy port is then an error; the default port being busy is only a warning).
    pub sip_listen_explicit: bool,
}

/// The embedded default database.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/fieldvoice.db";
/// 25 MiB: about 13 minutes of 16 kHz 16-bit mono WAV.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;

impl RawConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<RawConfig, ConfigError> {
        let err = |reason: String| ConfigError::File { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        toml::from_str(&text).map_err(|e| err(e.to_string()))
    }

    /// `self` with every setting `over` gives replacing this one's.
    pub fn overridden_by(self, over: RawConfig) -> RawConfig {
        RawConfig {
            database_url: over.database_url.or(self.database_url),
            listen: over.listen.or(self.listen),
            data_dir: over.data_dir.or(self.data_dir),
            model: over.model.or(self.model),
            max_upload_bytes: over.max_upload_bytes.or(self.max_upload_bytes),
            workers: over.workers.or(self.workers),
            job_lease_secs: over.job_lease_secs.or(self.job_lease_secs),
            webhook_urls: over.webhook_urls.or(self.webhook_urls),
            webhook_secret: over.webhook_secret.or(self.webhook_secret),
            confirm_to_customer: over.confirm_to_customer.or(self.confirm_to_customer),
            twilio_auth_token: over.twilio_auth_token.or(self.twilio_auth_token),
            public_base_url: over.public_base_url.or(self.public_base_url),
            sip_listen: over.sip_listen.or(self.sip_listen),
            sip_sdp_ip: over.sip_sdp_ip.or(self.sip_sdp_ip),
            sip_allow: over.sip_allow.or(self.sip_allow),
            sip_digest_user: over.sip_digest_user.or(self.sip_digest_user),
            sip_digest_password: over.sip_digest_password.or(self.sip_digest_password),
            sip_max_calls: over.sip_max_calls.or(self.sip_max_calls),
            sip_rtp_ports: over.sip_rtp_ports.or(self.sip_rtp_ports),
            sip_rtp_timeout_secs: over.sip_rtp_timeout_secs.or(self.sip_rtp_timeout_secs),
        }
    }

    /// Fills defaults and checks every setting.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let sip_listen_explicit = self.sip_listen.is_some();
        let sip = sip_config(&self)?;
        let database_url = self.database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite://")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                setting: "database_url",
                reason: format!("`{database_url}` is neither sqlite://PATH nor postgres://..."),
            });
        }
        let listen_text = self.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_text.parse().map_err(|e| ConfigError::Invalid {
            setting: "listen",
            reason: format!("`{listen_text}` is not HOST:PORT ({e})"),
        })?;
        let max_upload_bytes = self.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD_BYTES);
        if max_upload_bytes < 1024 {
            return Err(ConfigError::Invalid { setting: "max_upload_bytes", reason: "at least 1024".into() });
        }
        let webhook_urls = self.webhook_urls.unwrap_or_default();
        for url in &webhook_urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid { setting: "webhook_urls", reason: format!("`{url}` is not an http(s) URL") });
            }
        }
        let webhook_secret = self.webhook_secret.filter(|s| !s.is_empty());
        if !webhook_urls.is_empty() && webhook_secret.is_none() {
            return Err(ConfigError::Invalid { setting: "webhook_secret", reason: "required when webhook_urls are set".into() });
        }
        let twilio_auth_token = self.twilio_auth_token.filter(|t| !t.trim().is_empty());
        let public_base_url = self.public_base_url.map(|u| u.trim().trim_end_matches('/').to_string());
        if let Some(url) = &public_base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::Invalid { setting: "public_base_url", reason: format!("`{url}` is not an http(s) URL") });
        }
        if twilio_auth_token.is_some() && public_base_url.is_none() {
            return Err(ConfigError::Invalid { setting: "public_base_url", reason: "required when twilio_auth_token is set".into() });
        }
        Ok(Config {
            twilio_auth_token,
            public_base_url,
            sip,
            sip_listen_explicit,
            database_url,
            listen,
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from("data")),
            model: self.model.unwrap_or_else(|| "base".into()),
            max_upload_bytes,
            workers: self.workers.unwrap_or(1),
            job_lease_secs: self.job_lease_secs.unwrap_or(120).max(1),
            webhook_urls,
            webhook_secret,
            confirm_to_customer: self.confirm_to_customer.unwrap_or(false),
        })
    }
}

/// Validates the `sip_*` settings; `None` when SIP is off.
fn sip_config(raw: &RawConfig) -> Result<Option<crate::telephony::sip::SipConfig>, ConfigError> {
    use crate::telephony::sip::{Cidr, DigestCredentials, SipConfig};
    let invalid = |setting: &'static str, reason: String| ConfigError::Invalid { setting, reason };
    let listen = raw.sip_listen.as_deref().unwrap_or("0.0.0.0:5060").trim();
    if listen.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let listen = listen.parse().map_err(|e| invalid("sip_listen", format!("`{listen}` is neither HOST:PORT nor `off` ({e})")))?;
    let mut c = SipConfig::new(listen);
    if let Some(ip) = &raw.sip_sdp_ip {
        c.sdp_ip = Some(ip.trim().parse().map_err(|_| invalid("sip_sdp_ip", format!("`{ip}` is not an IP address")))?);
    }
    if let Some(list) = &raw.sip_allow {
        c.allow = list.iter().map(|s| s.parse::<Cidr>()).collect::<Result<_, _>>().map_err(|e| invalid("sip_allow", e))?;
    }
    match (&raw.sip_digest_user, &raw.sip_digest_password) {
        (Some(user), Some(password)) if !user.is_empty() && !password.is_empty() => {
            c.digest = Some(DigestCredentials { user: user.clone(), password: password.clone(), realm: "fieldvoice".into() });
        }
        (None, None) => {}
        _ => return Err(invalid("sip_digest_user", "sip_digest_user and sip_digest_password go together, neither empty".into())),
    }
    if let Some(n) = raw.sip_max_calls {
        c.max_calls = n;
    }
    if let Some(range) = &raw.sip_rtp_ports {
        let bad = || invalid("sip_rtp_ports", format!("`{range}` is not LOW-HIGH with 1024 <= LOW < HIGH <= 65535"));
        let (lo, hi) = range.split_once('-').ok_or_else(bad)?;
        let (lo, hi): (u16, u16) = (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
        if lo < 1024 || lo >= hi {
            return Err(bad());
        }
        c.rtp_ports = (lo, hi);
    }
    if let Some(secs) = raw.sip_rtp_timeout_secs {
        if secs == 0 {
            return Err(invalid("sip_rtp_timeout_secs", "at least 1".into()));
        }
        c.rtp_timeout = std::time::Duration::from_secs(secs);
    }
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let c = RawConfig::default().validate().unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.max_upload_bytes, DEFAULT_MAX_UPLOAD_BYTES);
    }

    #[test]
    fn flags_override_the_file() {
        let file: RawConfig = toml::from_str("listen = \"0.0.0.0:9000\"\nworkers = 2\n").unwrap();
        let flags = RawConfig { listen: Some("127.0.0.1:1".into()), ..Default::default() };
        let c = file.overridden_by(flags).validate().unwrap();
        assert_eq!((c.listen.port(), c.workers), (1, 2));
    }

    #[test]
    fn bad_settings_are_named() {
        let err = RawConfig { listen: Some("nowhere".into()), ..Default::default() }.validate().unwrap_err();
        assert!(err.to_string().starts_with("listen: `nowhere`"), "{err}");
        let err = RawConfig { database_url: Some("mysql://x".into()), ..Default::default() }.validate().unwrap_err();
        assert!(err.to_string().contains("database_url"), "{err}");
        let hooks = RawConfig { webhook_urls: Some(vec!["http://crm/hook".into()]), ..Default::default() };
        assert!(hooks.validate().unwrap_err().to_string().contains("webhook_secret"));
        assert!(toml::from_str::<RawConfig>("lisen = 1").is_err(), "unknown keys are refused");
        let twilio = RawConfig { twilio_auth_token: Some("tok".into()), ..Default::default() };
        assert_eq!(twilio.validate().unwrap_err().to_string(), "public_base_url: required when twilio_auth_token is set");
        let bad = RawConfig { public_base_url: Some("fv.example".into()), ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "public_base_url: `fv.example` is not an http(s) URL");
        let ok = RawConfig { twilio_auth_token: Some("tok".into()), public_base_url: Some("https://fv.example/".into()), ..Default::default() };
        assert_eq!(ok.validate().unwrap().public_base_url.as_deref(), Some("https://fv.example"));
    }

    #[test]
    fn sip_settings() {
        let c = RawConfig::default().validate().unwrap();
        let sip = c.sip.unwrap();
        assert_eq!((sip.listen.to_string(), sip.max_calls, c.sip_listen_explicit), ("0.0.0.0:5060".into(), 20, false));
        let off = RawConfig { sip_listen: Some("off".into()), ..Default::default() }.validate().unwrap();
        assert!(off.sip.is_none());
        let file: RawConfig = toml::from_str(
            "sip_listen = \"127.0.0.1:5070\"\nsip_allow = [\"10.0.0.0/8\"]\nsip_rtp_ports = \"40000-40100\"\nsip_max_calls = 3\n\
             sip_digest_user = \"t\"\nsip_digest_password = \"p\"\nsip_rtp_timeout_secs = 5\nsip_sdp_ip = \"192.0.2.1\"\n",
        )
        .unwrap();
        let c = file.validate().unwrap();
        let sip = c.sip.unwrap();
        assert_eq!((sip.rtp_ports, sip.max_calls, sip.allow.len(), sip.rtp_timeout.as_secs()), ((40_000, 40_100), 3, 1, 5));
        assert!(sip.digest.is_some() && c.sip_listen_explicit);
        for (raw, setting) in [
            (RawConfig { sip_listen: Some("5060".into()), ..Default::default() }, "sip_listen"),
            (RawConfig { sip_allow: Some(vec!["10.0.0.0/40".into()]), ..Default::default() }, "sip_allow"),
            (RawConfig { sip_rtp_ports: Some("30000-20000".into()), ..Default::default() }, "sip_rtp_ports"),
            (RawConfig { sip_digest_user: Some("t".into()), ..Default::default() }, "sip_digest_user"),
            (RawConfig { sip_sdp_ip: Some("here".into()), ..Default::default() }, "sip_sdp_ip"),
        ] {
            assert!(raw.validate().unwrap_err().to_string().starts_with(setting));
        }
    }
}
