//! The HTTP API under /api/v1 (axum): [`app`] builds the router from shared [`AppState`] so tests call it
//! without a socket; [`serve`] binds it. Each submodule owns its routes; this file only merges them.
//! Must not depend on jobs or app.

mod auth;
mod ui;
mod crm;
mod device_draft;
mod error;
mod ops;
mod reports;
mod twilio;
mod upload;
mod users;
mod validate;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use auth::{Auth, LoginThrottle};
pub use error::{ApiError, ApiResult};
pub use ops::Counters;
pub use twilio::TwilioSettings;

use crate::extract::form::Form;
use crate::store::Store;
use crate::telephony::SharedCallHandler;
use crate::telephony::call::CallStats;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Recordings are written under `data_dir/recordings`.
    pub data_dir: PathBuf,
    pub max_upload_bytes: u64,
    /// The forms reports can be filed on, and the form used when an upload names none.
    pub forms: Arc<Vec<Form>>,
    pub throttle: Arc<LoginThrottle>,
    pub counters: Arc<Counters>,
    /// Webhook endpoints a verification writes outbox rows for.
    pub webhook_urls: Arc<Vec<String>>,
    pub confirm_to_customer: bool,
    /// Runs phone calls that come in through the Twilio media stream (and SIP); `None`: no telephony.
    pub call_handler: Option<SharedCallHandler>,
    /// Twilio's auth token and this server's public URL; `None`: the Twilio routes answer 404.
    pub twilio: Option<TwilioSettings>,
    /// Call counters shown in /metrics.
    pub call_stats: Option<Arc<CallStats>>,
    /// Counters of the SIP endpoint, when it runs in this process (shown on /metrics).
    pub sip_stats: Option<Arc<crate::telephony::sip::SipStats>>,
}

impl AppState {
    /// State with default forms, no webhooks and a fresh throttle and counters.
    pub fn new(store: Store, data_dir: PathBuf, max_upload_bytes: u64, forms: Vec<Form>) -> AppState {
        AppState {
            store,
            data_dir,
            max_upload_bytes,
            forms: Arc::new(forms),
            throttle: Arc::new(LoginThrottle::default()),
            counters: Arc::new(Counters::default()),
            webhook_urls: Arc::new(Vec::new()),
            confirm_to_customer: false,
            call_handler: None,
            twilio: None,
            call_stats: None,
            sip_stats: None,
        }
    }

    fn form(&self, name: &str) -> ApiResult<&Form> {
        self.forms.iter().find(|f| f.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.forms.iter().map(|f| f.name.as_str()).collect();
            ApiError::BadRequest(format!("unknown form `{name}` (known: {})", known.join(", ")))
        })
    }
}

/// The whole API.
pub fn app(state: AppState) -> Router {
    // Uploads check their own limit to answer with a clear message; the margin covers multipart framing.
    let body_limit = usize::try_from(state.max_upload_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024);
    Router::new()
        .merge(ops::router())
        .merge(auth::router())
        .merge(upload::router())
        .merge(reports::router())
        .merge(crm::router())
        .merge(users::router())
        .merge(ui::router())
        .merge(twilio::router())
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
