//! Wiring: opens the store, loads forms and the Whisper model, starts job workers and the HTTP server,
//! seeds demo data, and shuts everything down on SIGINT/SIGTERM. Nothing imports this module.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use crate::config::Config;
use crate::dialog::Ivr;
use crate::telephony::call::CallRunner;
use crate::extract::form::{FormError, load_forms};
use crate::http::{AppState, app, serve};
use crate::jobs::{Pipeline, WorkerOptions};
use crate::model::{ModelError, models_dir, resolve};
use crate::store::{Role, Store, StoreError};
use crate::extract::form::find_form;
use crate::speech::EspeakRenderer;
use crate::telephony::SharedCallHandler;
use crate::telephony::sip::SipEndpoint;
use crate::transcribe::{LoadOptions, TranscribeError, Transcriber, WhisperTranscriber};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Form(#[from] FormError),
    #[error("model: {0}")]
    Model(#[from] ModelError),
    #[error(transparent)]
    Transcribe(#[from] TranscribeError),
    #[error("listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("demo data: {0}")]
    Demo(String),
    #[error(transparent)]
    Sip(#[from] crate::telephony::sip::SipError),
}

/// The demo logins `serve --demo` creates (printed at start).
pub const DEMO_LOGINS: [(&str, &str, &str); 3] =
    [("tess", "4821", "technician"), ("rita", "review-me-1", "reviewer"), ("ada", "admin-me-1", "admin")];

/// Creates the demo CRM (the repository's fixture customers and assets) and one technician, reviewer and
/// admin, unless they exist already.
pub async fn seed_demo(store: &Store, crm_dir: &std::path::Path) -> Result<(), AppError> {
    let read = |name: &str| std::fs::read(crm_dir.join(name)).map_err(|e| AppError::Demo(format!("{}: {e}", crm_dir.join(name).display())));
    store.import_customers("customers.csv", read("customers.csv")?.as_slice()).await?;
    store.import_assets("assets.csv", read("assets.csv")?.as_slice()).await?;
    for (login, secret, role) in DEMO_LOGINS {
        let created = match role {
            "technician" => store.create_technician(login, "Tess Technician", secret).await.map(|_| ()),
            "reviewer" => store.create_user(login, "Rita Reviewer", secret, Role::Reviewer).await.map(|_| ()),
            _ => store.create_user(login, "Ada Admin", secret, Role::Admin).await.map(|_| ()),
        };
        match created {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Loads the configured Whisper model (a name in the models directory or a path).
pub fn load_transcriber(config: &Config) -> Result<Arc<dyn Transcriber>, AppError> {
    let path = resolve(&config.model, &models_dir())?;
    Ok(Arc::new(WhisperTranscriber::load(&path, LoadOptions::default())?))
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Starts `config.workers` job workers; returns their handles and the switch that stops them.
pub fn start_workers(pipeline: Arc<Pipeline>, count: usize, lease_secs: u64) -> (Vec<tokio::task::JoinHandle<()>>, watch::Sender<bool>) {
    let (stop, rx) = watch::channel(false);
    let base = WorkerOptions { stale_after: std::time::Duration::from_secs(lease_secs), ..WorkerOptions::default() };
    let handles = (0..count)
        .map(|i| {
            let opts = WorkerOptions { id: format!("{}#{i}", base.id), ..base.clone() };
            tokio::spawn(crate::jobs::run(pipeline.clone(), opts, rx.clone()))
        })
        .collect();
    (handles, stop)
}

/// Runs the service: HTTP API on `config.listen` plus `config.workers` job workers, until a signal.
/// `demo_crm` seeds demo data from that directory first. `on_ready` is called with the bound address.
pub async fn run_service(config: Config, demo_crm: Option<PathBuf>, on_ready: impl FnOnce(std::net::SocketAddr)) -> Result<(), AppError> {
    let store = Store::connect(&config.database_url).await?;
    if let Some(dir) = &demo_crm {
        seed_demo(&store, dir).await?;
    }
    let forms = Arc::new(load_forms(None)?);
    let twilio = config.twilio_auth_token.clone().zip(config.public_base_url.clone());
    // Phone calls run in processes that transcribe (workers) or were told to take calls (SIP listen address given,
    // Twilio configured); one model serves the workers and every call.
    let sip_wanted = config.sip.is_some() && (config.workers > 0 || config.sip_listen_explicit);
    let phone = sip_wanted || twilio.is_some();
    let transcriber = if config.workers > 0 || phone { Some(load_transcriber(&config)?) } else { None };
    let (workers, stop) = match &transcriber {
        Some(t) if config.workers > 0 => {
            let pipeline = Arc::new(Pipeline {
                store: store.clone(),
                data_dir: config.data_dir.clone(),
                transcriber: t.clone(),
                forms: forms.clone(),
                reference_date: None,
            });
            start_workers(pipeline, config.workers, config.job_lease_secs)
        }
        _ => (Vec::new(), watch::channel(false).0),
    };
    let deliverer = start_deliverer(&store, &config, &stop);
    let mut state = AppState::new(store.clone(), config.data_dir.clone(), config.max_upload_bytes, Vec::new());
    state.forms = forms;
    state.webhook_urls = Arc::new(config.webhook_urls.clone());
    state.confirm_to_customer = config.confirm_to_customer;
    let call_handler: Option<SharedCallHandler> = match &transcriber {
        Some(t) if phone => {
            let runner = call_runner(&config, &store, t.clone())?;
            state.call_stats = Some(runner.stats());
            Some(Arc::new(runner))
        }
        _ => None,
    };
    state.call_handler = call_handler.clone();
    if let Some((auth_token, public_base_url)) = twilio {
        state.twilio = Some(crate::http::TwilioSettings { auth_token, public_base_url });
    }
    let sip = start_sip(&config, call_handler.filter(|_| sip_wanted)).await?;
    state.sip_stats = sip.as_ref().map(|e| e.stats.clone());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| AppError::Listen { addr: config.listen.to_string(), source })?;
    let addr = listener.local_addr().map_err(|source| AppError::Listen { addr: config.listen.to_string(), source })?;
    on_ready(addr);
    serve(listener, app(state), shutdown_signal())
        .await
        .map_err(|source| AppError::Listen { addr: addr.to_string(), source })?;
    if let Some(sip) = sip {
        sip.shutdown().await;
    }
    let _ = stop.send(true);
    for w in workers.into_iter().chain(deliverer) {
        let _ = w.await;
    }
    store.close().await;
    Ok(())
}

/// The phone-call handler: the IVR over the service report, espeak-ng prompts cached under the data
/// directory, pre-recorded prompts from prompts/audio when present.
pub fn call_runner(config: &Config, store: &Store, transcriber: Arc<dyn Transcriber>) -> Result<CallRunner, AppError> {
    let form = find_form("service_report", None)?;
    let renderer = EspeakRenderer::new(Some(config.data_dir.join("prompt-cache")), Some(PathBuf::from("prompts/audio")));
    Ok(CallRunner::new(store.clone(), transcriber, Arc::new(renderer), Ivr::builtin(), form, config.data_dir.clone()))
}

/// Starts the SIP endpoint when configured and a call handler exists. A busy default port (nobody asked
/// for SIP) is a warning; a busy port the configuration names is an error.
pub async fn start_sip(config: &Config, handler: Option<SharedCallHandler>) -> Result<Option<SipEndpoint>, AppError> {
    let Some(sip) = config.sip.clone() else { return Ok(None) };
    let Some(handler) = handler else {
        tracing::warn!("SIP endpoint not started: no call handler in this process");
        return Ok(None);
    };
    match SipEndpoint::start(sip, handler).await {
        Ok(endpoint) => Ok(Some(endpoint)),
        Err(e) if !config.sip_listen_explicit => {
            tracing::warn!(error = %e, "SIP endpoint not started (set sip_listen to a free port, or `off`)");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Starts the webhook deliverer when endpoints and a secret are configured.
fn start_deliverer(store: &Store, config: &Config, stop: &watch::Sender<bool>) -> Option<tokio::task::JoinHandle<()>> {
    let secret = config.webhook_secret.clone().filter(|_| !config.webhook_urls.is_empty())?;
    let opts = crate::jobs::deliver::DeliveryOptions::new(secret);
    Some(tokio::spawn(crate::jobs::deliver::run_deliveries(store.clone(), opts, stop.subscribe())))
}

/// Runs only job workers (`fieldvoice worker`), e.g. on other machines sharing a PostgreSQL database.
pub async fn run_workers(config: Config) -> Result<(), AppError> {
    let store = Store::connect(&config.database_url).await?;
    let pipeline = Arc::new(Pipeline {
        store: store.clone(),
        data_dir: config.data_dir.clone(),
        transcriber: load_transcriber(&config)?,
        forms: Arc::new(load_forms(None)?),
        reference_date: None,
    });
    let (workers, stop) = start_workers(pipeline, config.workers.max(1), config.job_lease_secs);
    let deliverer = start_deliverer(&store, &config, &stop);
    shutdown_signal().await;
    let _ = stop.send(true);
    for w in workers.into_iter().chain(deliverer) {
        let _ = w.await;
    }
    store.close().await;
    Ok(())
}
