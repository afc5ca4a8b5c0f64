//! Authentication and roles: bearer tokens resolved by the store, login with password or PIN (throttled
//! per login). Account administration is in `users`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiResult, AppState};
use crate::store::{Principal, Role};

/// The caller, from `Authorization: Bearer TOKEN`, or else from a review-page session cookie.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl Auth {
    /// Refuses callers below `role` (technician < reviewer < admin).
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("this needs the {} role; you are a {}", role.as_str(), self.0.role.as_str())))
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            // The review pages' scripts call the API with their session cookie (and CSRF header).
            return Ok(Auth(super::ui::api_principal(parts, state).await?));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let principal = state.store.authenticate(token).await?.ok_or(ApiError::Unauthorized)?;
        Ok(Auth(principal))
    }
}

/// Failed logins per login id: after [`LoginThrottle::MAX_FAILURES`] inside the window, further attempts
/// are refused until the window has passed. In memory: each process throttles on its own.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    pub const MAX_FAILURES: u32 = 5;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// True when `login` may try now.
    pub fn allowed(&self, login: &str, now: Instant) -> bool {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(login) {
            Some((n, since)) => *n < Self::MAX_FAILURES || now.duration_since(*since) >= Self::WINDOW,
            None => true,
        }
    }

    /// Counts a failure (a new window starts when the old one has passed).
    pub fn failed(&self, login: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(login.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) >= Self::WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// Forgets failures after a successful login.
    pub fn succeeded(&self, login: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(login);
    }
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
}

#[derive(Deserialize)]
struct LoginBody {
    login: String,
    /// A reviewer's or admin's password, or a technician's PIN.
    secret: String,
}

async fn login(State(state): State<AppState>, body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>) -> ApiResult<Json<Value>> {
    let Json(body) = body?;
    let now = Instant::now();
    if !state.throttle.allowed(&body.login, now) {
        return Err(ApiError::TooManyRequests(body.login));
    }
    match state.store.login(&body.login, &body.secret).await? {
        Some((token, p)) => {
            state.throttle.succeeded(&body.login);
            Ok(Json(json!({ "token": token, "role": p.role, "technician_id": p.technician_id, "app_user_id": p.app_user_id })))
        }
        None => {
            state.throttle.failed(&body.login, now);
            Err(ApiError::Unauthorized)
        }
    }
}

async fn logout(State(state): State<AppState>, _auth: Auth, parts: axum::http::HeaderMap) -> ApiResult<Json<Value>> {
    if let Some(token) = parts.get("authorization").and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer ")) {
        state.store.revoke_token(token.trim()).await?;
    }
    Ok(Json(json!({ "ok": true })))
}

async fn me(Auth(p): Auth) -> Json<Value> {
    Json(json!({ "login": p.login, "role": p.role, "technician_id": p.technician_id, "app_user_id": p.app_user_id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_after_max_failures_until_the_window_passes() {
        let t = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..LoginThrottle::MAX_FAILURES {
            assert!(t.allowed("ana", start));
            t.failed("ana", start);
        }
        assert!(!t.allowed("ana", start));
        assert!(t.allowed("bob", start), "other logins are not affected");
        assert!(t.allowed("ana", start + LoginThrottle::WINDOW));
        t.succeeded("ana");
        assert!(t.allowed("ana", start));
    }
}
