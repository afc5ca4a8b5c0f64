//! `fieldvoice serve` (HTTP API plus job workers) and `fieldvoice worker` (job workers only). Settings
//! come from a TOML file, env vars and flags, flags winning; see `fieldvoice::config`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use fieldvoice::app::{DEMO_LOGINS, run_service, run_workers};
use fieldvoice::config::RawConfig;

/// Settings shared by `serve` and `worker`.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// TOML file with any of the settings below (flag and env names in snake_case).
    #[arg(long, env = "FIELDVOICE_CONFIG")]
    config: Option<PathBuf>,
    /// sqlite://PATH (default sqlite://data/fieldvoice.db) or postgres://...
    #[arg(long, env = "FIELDVOICE_DATABASE_URL")]
    database_url: Option<String>,
    /// Where recordings are kept (default ./data).
    #[arg(long, env = "FIELDVOICE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Whisper model name (in the models directory) or path (default base, multilingual).
    #[arg(long, env = "FIELDVOICE_MODEL")]
    model: Option<String>,
    /// Job workers in this process.
    #[arg(long, env = "FIELDVOICE_WORKERS")]
    workers: Option<usize>,
    /// Seconds before a silent worker's job is taken over (default 120).
    #[arg(long, env = "FIELDVOICE_JOB_LEASE_SECS")]
    job_lease_secs: Option<u64>,
}

impl Common {
    fn raw(self) -> anyhow::Result<RawConfig> {
        let file = match &self.config {
            Some(path) => RawConfig::from_file(path)?,
            None => RawConfig::default(),
        };
        Ok(file.overridden_by(RawConfig {
            database_url: self.database_url,
            data_dir: self.data_dir,
            model: self.model,
            workers: self.workers,
            job_lease_secs: self.job_lease_secs,
            ..RawConfig::default()
        }))
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// HOST:PORT for the HTTP API (default 127.0.0.1:8080).
    #[arg(long, env = "FIELDVOICE_LISTEN")]
    listen: Option<String>,
    /// Largest accepted upload in bytes (default 25 MiB).
    #[arg(long, env = "FIELDVOICE_MAX_UPLOAD_BYTES")]
    max_upload_bytes: Option<u64>,
    /// External CRM webhook endpoint (repeatable).
    #[arg(long = "webhook-url")]
    webhook_urls: Vec<String>,
    /// HMAC-SHA256 key for webhook signatures.
    #[arg(long, env = "FIELDVOICE_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Twilio auth token: turns on the Twilio webhook (/twilio/voice) and media stream (/twilio/media).
    #[arg(long, env = "FIELDVOICE_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
    /// The public URL Twilio reaches this server at (https://...).
    #[arg(long, env = "FIELDVOICE_PUBLIC_BASE_URL")]
    public_base_url: Option<String>,
    /// UDP HOST:PORT for SIP calls (default 0.0.0.0:5060), or `off`.
    #[arg(long, env = "FIELDVOICE_SIP_LISTEN")]
    sip_listen: Option<String>,
    /// Trunk allowed to call by source address or CIDR block (repeatable; default loopback only).
    #[arg(long = "sip-allow")]
    sip_allow: Vec<String>,
    /// Digest user trunks not on the allow-list must authenticate as.
    #[arg(long, env = "FIELDVOICE_SIP_DIGEST_USER")]
    sip_digest_user: Option<String>,
    /// Digest password for --sip-digest-user.
    #[arg(long, env = "FIELDVOICE_SIP_DIGEST_PASSWORD", hide_env_values = true)]
    sip_digest_password: Option<String>,
    /// Concurrent calls; more get 486 Busy Here (default 20).
    #[arg(long, env = "FIELDVOICE_SIP_MAX_CALLS")]
    sip_max_calls: Option<usize>,
    /// RTP port range LOW-HIGH (default 20000-30000).
    #[arg(long, env = "FIELDVOICE_SIP_RTP_PORTS")]
    sip_rtp_ports: Option<String>,
    /// Seconds without RTP before a call is hung up (default 30).
    #[arg(long, env = "FIELDVOICE_SIP_RTP_TIMEOUT_SECS")]
    sip_rtp_timeout_secs: Option<u64>,
    /// IP address to put in SDP answers (default: the local address routed to the caller).
    #[arg(long, env = "FIELDVOICE_SIP_SDP_IP")]
    sip_sdp_ip: Option<String>,
    /// Seed demo CRM data and demo logins (from tests/fixtures/crm) and print them.
    #[arg(long)]
    demo: bool,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_tracing();
    let raw = args.common.raw()?.overridden_by(RawConfig {
        listen: args.listen,
        max_upload_bytes: args.max_upload_bytes,
        webhook_urls: (!args.webhook_urls.is_empty()).then_some(args.webhook_urls),
        webhook_secret: args.webhook_secret,
        twilio_auth_token: args.twilio_auth_token,
        public_base_url: args.public_base_url,
        sip_listen: args.sip_listen,
        sip_allow: (!args.sip_allow.is_empty()).then_some(args.sip_allow),
        sip_digest_user: args.sip_digest_user,
        sip_digest_password: args.sip_digest_password,
        sip_max_calls: args.sip_max_calls,
        sip_rtp_ports: args.sip_rtp_ports,
        sip_rtp_timeout_secs: args.sip_rtp_timeout_secs,
        sip_sdp_ip: args.sip_sdp_ip,
        ..RawConfig::default()
    });
    let config = raw.validate()?;
    let demo = args.demo.then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm"));
    let show_demo = demo.is_some();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(run_service(config, demo, |addr| {
        // One write, errors ignored: a supervisor that stops reading our stdout must not stop the service.
        let mut banner = format!(
            "fieldvoice: serving http://{addr}/api/v1 (OpenAPI: http://{addr}/api/v1/openapi.json)\n\
             fieldvoice: review pages at http://{addr}/ (reviewers and admins log in)\n"
        );
        if show_demo {
            for (login, secret, role) in DEMO_LOGINS {
                banner.push_str(&format!("  demo {role}: login `{login}`, secret `{secret}`\n"));
            }
            banner.push_str(&format!("  e.g. curl -s -X POST http://{addr}/api/v1/login -H 'content-type: application/json' -d '{{\"login\":\"tess\",\"secret\":\"4821\"}}'\n"));
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    }))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    common: Common,
}

pub fn run_worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let config = args.common.raw()?.validate()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(run_workers(config))?;
    Ok(ExitCode::SUCCESS)
}
