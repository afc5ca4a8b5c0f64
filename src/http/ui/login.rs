//! Logging in and out of the review pages, and switching the interface language. Login is throttled per
//! login id like the API's; only reviewers and admins get a session.

use std::time::Instant;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{COOKIE, Page, PageError, Tr, cookie_token, html, same_origin};
use crate::http::AppState;
use crate::store::{Language, SESSION_HOURS};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/language", post(language))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    tr: Tr,
    lang: &'static str,
    error: Option<&'a str>,
    login: &'a str,
}

/// The login page's language, before anyone is known: Chinese when the browser prefers it.
fn browser_language(headers: &HeaderMap) -> Tr {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).unwrap_or("");
    Tr(if accept.trim_start().to_ascii_lowercase().starts_with("zh") { Language::Zh } else { Language::En })
}

fn login_response(tr: Tr, status: StatusCode, error: Option<&str>, login: &str) -> Result<Response, PageError> {
    let body = LoginPage { tr, lang: tr.html_lang(), error, login }.render()?;
    Ok(html(status, body))
}

async fn login_page(headers: HeaderMap) -> Result<Response, PageError> {
    login_response(browser_language(&headers), StatusCode::OK, None, "")
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<LoginForm>) -> Result<Response, PageError> {
    if !same_origin(&headers) {
        return Err(PageError::Forbidden("request Origin is not this site".into()));
    }
    let tr = browser_language(&headers);
    let now = Instant::now();
    if !state.throttle.allowed(&f.login, now) {
        return login_response(tr, StatusCode::TOO_MANY_REQUESTS, Some(tr.t("login_throttled")), &f.login);
    }
    match state.store.open_session(f.login.trim(), &f.password, SESSION_HOURS).await? {
        Some((token, _)) => {
            state.throttle.succeeded(&f.login);
            let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", SESSION_HOURS * 3600);
            let mut r = Redirect::to("/ui/queue").into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(|e| PageError::Api(crate::http::ApiError::Internal(e.to_string())))?,
            );
            Ok(r)
        }
        None => {
            state.throttle.failed(&f.login, now);
            login_response(tr, StatusCode::UNAUTHORIZED, Some(tr.t("login_failed")), &f.login)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(state): State<AppState>, page: Page, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    if let Some(token) = cookie_token(&headers) {
        state.store.revoke_session(token).await?;
    }
    let mut r = Redirect::to("/ui/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("fv_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(r)
}

#[derive(Deserialize)]
struct LanguageForm {
    csrf: String,
    language: String,
}

async fn language(State(state): State<AppState>, page: Page, headers: HeaderMap, Form(f): Form<LanguageForm>) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let language = Language::parse(&f.language)?;
    let id = page.session.principal.app_user_id.ok_or(PageError::Login)?;
    state.store.set_language(id, language).await?;
    // Back to the page the form was on, when that was one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.find("/ui/").map(|i| r[i..].to_string()))
        .filter(|p| !p.starts_with("/ui/login"))
        .unwrap_or_else(|| "/ui/queue".into());
    Ok(Redirect::to(&back).into_response())
}
