//! The review pages under /ui: server-rendered askama templates (HTML escaped by default), with our own
//! CSS and JavaScript embedded and served under /ui/static/. Reviewers and admins log in to a server-side
//! session held in an HttpOnly, SameSite=Strict cookie; every state-changing request carries the
//! session's CSRF token (a form field, or the `X-CSRF-Token` header for fetch calls to /api/v1) and, when
//! the browser sends one, an Origin naming this host. Each submodule owns one page area and its router.

mod admin;
mod dashboard;
mod i18n;
mod login;
mod queue;
mod report;
mod transcript;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

pub use i18n::Tr;

use super::{ApiError, AppState};
use crate::store::{Principal, Role, Session};

/// The session cookie's name.
pub const COOKIE: &str = "fv_session";
/// The header fetch calls carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Every page route and the static files.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/queue") }))
        .route("/ui", get(|| async { Redirect::to("/ui/queue") }))
        .route("/ui/static/{file}", get(static_file))
        .merge(login::router())
        .merge(queue::router())
        .merge(report::router())
        .merge(dashboard::router())
        .merge(admin::router())
}

/// The session token from the `Cookie` header, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// False when the request names an Origin (or, lacking one, a Referer) other than the Host it was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok());
    match claimed {
        None => true,
        Some(url) => {
            let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).unwrap_or("");
            rest.split('/').next() == Some(host)
        }
    }
}

/// Compares two tokens in time independent of where they first differ.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The API's fallback when a request has no bearer token: the session cookie, with the CSRF header and
/// the Origin checked on every state-changing method.
pub(super) async fn api_principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let token = cookie_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
    let session = state.store.session(token).await?.ok_or(ApiError::Unauthorized)?;
    if unsafe_method(&parts.method) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !tokens_match(sent, &session.csrf) {
            return Err(ApiError::Forbidden(format!("missing or wrong {CSRF_HEADER} header for a cookie session")));
        }
        if !same_origin(&parts.headers) {
            return Err(ApiError::Forbidden("request Origin is not this site".into()));
        }
    }
    Ok(session.principal)
}

/// A page request from a logged-in reviewer or admin. Without a live session, pages redirect to the login
/// page; state-changing requests from another origin are refused. Handlers of forms still check the
/// form's CSRF field with [`Page::check_csrf`].
pub struct Page {
    pub session: Session,
    pub tr: Tr,
}

/// Why a page request was not served.
#[derive(Debug)]
pub enum PageError {
    Login,
    Forbidden(String),
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(e)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        PageError::Api(e.into())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Api(ApiError::Internal(format!("template: {e}")))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login => Redirect::to("/ui/login").into_response(),
            PageError::Forbidden(why) => error_page(StatusCode::FORBIDDEN, &why),
            PageError::Api(e) => {
                let status = e.status();
                if let ApiError::Internal(cause) = &e {
                    tracing::error!(%cause, "page failed");
                }
                error_page(status, &e.to_string())
            }
        }
    }
}

/// A small plain page for errors: the message is escaped.
fn error_page(status: StatusCode, message: &str) -> Response {
    #[derive(askama::Template)]
    #[template(path = "error.html")]
    struct ErrorPage<'a> {
        status: u16,
        message: &'a str,
    }
    let body = askama::Template::render(&ErrorPage { status: status.as_u16(), message })
        .unwrap_or_else(|_| "error".into());
    html(status, body)
}

/// An HTML response with the pages' security headers.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    r
}

/// Renders a template into an HTML response.
pub fn render(t: &impl askama::Template) -> Result<Response, PageError> {
    Ok(html(StatusCode::OK, t.render()?))
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = cookie_token(&parts.headers).ok_or(PageError::Login)?;
        let session = state.store.session(token).await?.ok_or(PageError::Login)?;
        if unsafe_method(&parts.method) && !same_origin(&parts.headers) {
            return Err(PageError::Forbidden("request Origin is not this site".into()));
        }
        let tr = Tr(session.language);
        Ok(Page { session, tr })
    }
}

impl Page {
    /// Refuses a form whose CSRF field is not this session's token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if tokens_match(sent, &self.session.csrf) {
            Ok(())
        } else {
            Err(PageError::Forbidden(self.tr.t("csrf_refused").into()))
        }
    }

    /// Refuses callers below `role`, naming the page's need.
    pub fn require(&self, role: Role) -> Result<(), PageError> {
        if self.session.principal.role >= role {
            Ok(())
        } else {
            Err(PageError::Forbidden(self.tr.t("forbidden_admin").into()))
        }
    }

    pub fn is_admin(&self) -> bool {
        self.session.principal.role == Role::Admin
    }
}

/// The navigation and identity every page template shows.
pub struct Chrome {
    pub tr: Tr,
    pub lang: &'static str,
    pub csrf: String,
    pub name: String,
    pub is_admin: bool,
    /// The nav entry of the current page: "queue", "dashboard" or "admin".
    pub current: &'static str,
}

impl Chrome {
    pub fn new(page: &Page, current: &'static str) -> Chrome {
        Chrome {
            tr: page.tr,
            lang: page.tr.html_lang(),
            csrf: page.session.csrf.clone(),
            name: page.session.name.clone(),
            is_admin: page.is_admin(),
            current,
        }
    }
}

const STATIC: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../../web/app.css")),
    ("common.js", "text/javascript; charset=utf-8", include_bytes!("../../../web/common.js")),
    ("report.js", "text/javascript; charset=utf-8", include_bytes!("../../../web/report.js")),
    ("dashboard.js", "text/javascript; charset=utf-8", include_bytes!("../../../web/dashboard.js")),
];

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match STATIC.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no static file `{file}`")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; fv_session=abc ; b=2")]);
        assert_eq!(cookie_token(&h), Some("abc"));
        assert_eq!(cookie_token(&headers(&[("cookie", "fv_session=")])), None);
        assert_eq!(cookie_token(&HeaderMap::new()), None);
    }

    #[test]
    fn origin_must_name_the_host() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080.evil")])));
        assert!(same_origin(&headers(&[("host", "h:1"), ("referer", "http://h:1/ui/queue")])));
        assert!(same_origin(&headers(&[("host", "h:1")])), "no Origin: a non-browser client");
        assert!(!same_origin(&headers(&[("origin", "http://h:1")])), "no Host");
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("", "abc"));
    }

    proptest::proptest! {
        /// Cookie and Origin headers are attacker-controlled: parsing never panics.
        #[test]
        fn any_cookie_or_origin_header_is_handled(cookie in "\\PC{0,80}", origin in "\\PC{0,40}") {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&cookie) { h.insert(header::COOKIE, v); }
            if let Ok(v) = HeaderValue::from_str(&origin) { h.insert(header::ORIGIN, v); }
            h.insert(header::HOST, HeaderValue::from_static("h:1"));
            let _ = cookie_token(&h);
            let _ = same_origin(&h);
        }
    }
}
