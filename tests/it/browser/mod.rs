//! The review pages through the router without a socket, on SQLite and on PostgreSQL: login and the
//! session cookie's attributes, technicians refused, CSRF and Origin checks on pages and on the API's
//! cookie path, session expiry and logout, reviewers refused admin pages, HTML escaping of transcripts and
//! field values, type-ahead search, stats. `e2e` drives the same pages in a real browser.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fieldvoice::store::{Language, NewRecording, Role, StoredTranscript, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::api::{Api, api};
use crate::both_backends;
use crate::store::TestDb;

mod e2e;

both_backends!(
    login_sets_a_strict_http_only_session_and_refuses_technicians,
    csrf_and_origin_are_checked_on_pages_and_the_api,
    expired_and_logged_out_sessions_are_refused,
    reviewers_get_403_on_admin_pages,
    queue_is_oldest_first_and_filters,
    transcripts_and_fields_render_as_text,
    field_edits_normalise_and_search_and_stats_answer,
);

/// Host the test requests claim, and the matching Origin.
const HOST: &str = "review.test";
const ORIGIN: &str = "http://review.test";

/// A draft report for `technician_id` with this transcript, fields and details (no audio file).
pub async fn seed_report(store: &Store, technician_id: i64, language: &str, text: &str, fields: Value, details: Value) -> i64 {
    let up = store
        .accept_upload(
            &NewRecording {
                path: "recordings/none.wav".into(),
                sha256: "cd".repeat(32),
                bytes: 44,
                duration_ms: 0,
                source: "upload".into(),
                technician_id,
            },
            "service_report",
            Some(language),
        )
        .await
        .unwrap();
    let segments = json!([{ "start_s": 0.0, "end_s": 1.0, "text": text, "confidence": 0.9, "words": [] }]);
    let t = StoredTranscript { text: text.into(), segments, language: language.into(), model: "seeded".into(), real_time_factor: 0.0 };
    store.save_transcript(up.recording_id, &t).await.unwrap();
    assert!(store.complete_report(up.report_id, language, &fields, &details, &json!([]), None, None).await.unwrap());
    up.report_id
}

/// One request with an optional session cookie and extra headers; returns status, headers and body text.
pub async fn send(a: &Api, method: &str, uri: &str, cookie: Option<&str>, headers: &[(&str, &str)], body: Option<(&str, String)>) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri).header(header::HOST, HOST);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("fv_session={c}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match body {
        Some((ct, b)) => {
            req = req.header(header::CONTENT_TYPE, ct);
            Body::from(b)
        }
        None => Body::empty(),
    };
    let resp = a.router.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn form(pairs: &[(&str, &str)]) -> Option<(&'static str, String)> {
    let encoded: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    Some(("application/x-www-form-urlencoded", encoded.join("&")))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Logs in through the form; returns the session token from Set-Cookie.
pub async fn log_in(a: &Api, login: &str, password: &str) -> String {
    let (st, h, body) = send(a, "POST", "/ui/login", None, &[("origin", ORIGIN)], form(&[("login", login), ("password", password)])).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{body}");
    let cookie = h.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    cookie.split(';').next().unwrap().strip_prefix("fv_session=").unwrap().to_string()
}

/// The CSRF token a page carries in its meta tag.
fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf-token\" content=\"").expect("csrf meta") + "name=\"csrf-token\" content=\"".len();
    page[at..].split('"').next().unwrap().to_string()
}

async fn login_sets_a_strict_http_only_session_and_refuses_technicians(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let (st, h, _) = send(&a, "POST", "/ui/login", None, &[("origin", ORIGIN)], form(&[("login", "rita"), ("password", "review-pass-1")])).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/ui/queue");
    let cookie = h.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing from {cookie}");
    }
    let (st, _, body) = send(&a, "POST", "/ui/login", None, &[], form(&[("login", "tess"), ("password", "4821")])).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "technicians get no session");
    assert!(body.contains("not a reviewer or admin account"), "{body}");
    let (st, _, _) = send(&a, "POST", "/ui/login", None, &[], form(&[("login", "rita"), ("password", "wrong-pass")])).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _, _) = send(&a, "POST", "/ui/login", None, &[("origin", "http://evil.test")], form(&[("login", "rita"), ("password", "review-pass-1")])).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "login from another origin");
    let (st, h, _) = send(&a, "GET", "/", None, &[], None).await;
    assert_eq!((st, h.get(header::LOCATION).unwrap().to_str().unwrap()), (StatusCode::SEE_OTHER, "/ui/queue"));
    let (st, h, _) = send(&a, "GET", "/ui/queue", None, &[], None).await;
    assert_eq!((st, h.get(header::LOCATION).unwrap().to_str().unwrap()), (StatusCode::SEE_OTHER, "/ui/login"));
    let (_, _, zh) = send(&a, "GET", "/ui/login", None, &[("accept-language", "zh-CN,zh;q=0.9")], None).await;
    assert!(zh.contains("登录") && zh.contains("lang=\"zh-Hans\""), "a Chinese browser gets a Chinese login page");
    let (st, h, css) = send(&a, "GET", "/ui/static/app.css", None, &[], None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(h.get(header::CACHE_CONTROL).unwrap().to_str().unwrap().contains("max-age"));
    assert!(css.contains(".field"));
}

async fn csrf_and_origin_are_checked_on_pages_and_the_api(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let id = seed_report(&db.store, a.tech_id, "en", "Labor two hours.", json!({"labor_hours": 2}), json!({})).await;
    let token = log_in(&a, "rita", "review-pass-1").await;
    let (st, h, page) = send(&a, "GET", "/ui/queue", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(h.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().contains("script-src 'self'"));
    assert!(page.contains(&format!("/ui/reports/{id}")), "the draft is queued");
    let csrf = csrf_of(&page);
    let patch = |hours: &str| Some(("application/json", json!({"fields": {"labor_hours": hours}}).to_string()));
    let uri = format!("/api/v1/reports/{id}");
    let (st, _, body) = send(&a, "PATCH", &uri, Some(&token), &[], patch("3")).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no CSRF header: {body}");
    assert!(body.contains("x-csrf-token"), "{body}");
    let (st, _, _) = send(&a, "PATCH", &uri, Some(&token), &[("x-csrf-token", "0000")], patch("3")).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "wrong CSRF token");
    let (st, _, _) = send(&a, "PATCH", &uri, Some(&token), &[("x-csrf-token", &csrf), ("origin", "http://evil.test")], patch("3")).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "right token, foreign Origin");
    let (st, _, body) = send(&a, "PATCH", &uri, Some(&token), &[("x-csrf-token", &csrf), ("origin", ORIGIN)], patch("3")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, _, _) = send(&a, "GET", &uri, Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::OK, "reads need no CSRF header");
    // Forms: the language switch without and with the token.
    let (st, _, _) = send(&a, "POST", "/ui/language", Some(&token), &[], form(&[("csrf", "nope"), ("language", "zh")])).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = send(&a, "POST", "/ui/language", Some(&token), &[("origin", "http://evil.test")], form(&[("csrf", &csrf), ("language", "zh")])).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = send(&a, "POST", "/ui/language", Some(&token), &[("origin", ORIGIN)], form(&[("csrf", &csrf), ("language", "zh")])).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&a, "GET", "/ui/queue", Some(&token), &[], None).await;
    assert!(page.contains("lang=\"zh-Hans\"") && page.contains("审核队列"), "language saved and applied");
    // Bearer tokens keep working without any CSRF header.
    let (st, _) = a.json("PATCH", &uri, &a.reviewer, json!({"fields": {"labor_hours": "4"}})).await;
    assert_eq!(st, StatusCode::OK);
}

async fn expired_and_logged_out_sessions_are_refused(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let token = log_in(&a, "rita", "review-pass-1").await;
    let (st, _, page) = send(&a, "GET", "/ui/queue", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    let csrf = csrf_of(&page);
    let (st, _, _) = send(&a, "POST", "/ui/logout", Some(&token), &[], form(&[("csrf", "bad")])).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "logout needs the CSRF token too");
    let (st, h, _) = send(&a, "POST", "/ui/logout", Some(&token), &[], form(&[("csrf", &csrf)])).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(h.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
    let (st, h, _) = send(&a, "GET", "/ui/queue", Some(&token), &[], None).await;
    assert_eq!((st, h.get(header::LOCATION).unwrap().to_str().unwrap()), (StatusCode::SEE_OTHER, "/ui/login"), "revoked");
    let (st, _, _) = send(&a, "GET", "/api/v1/me", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "the API refuses a revoked session");

    let token = log_in(&a, "rita", "review-pass-1").await;
    let (st, _, _) = send(&a, "GET", "/api/v1/me", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    db.store.set_session_expiry(&token, fieldvoice::store::now_ms() - 1).await.unwrap();
    let (st, _, _) = send(&a, "GET", "/ui/queue", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "expired");
    let (st, _, _) = send(&a, "GET", "/api/v1/me", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

async fn reviewers_get_403_on_admin_pages(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let rita = log_in(&a, "rita", "review-pass-1").await;
    let (st, _, page) = send(&a, "GET", "/ui/queue", Some(&rita), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!page.contains("href=\"/ui/admin\""), "no admin link for reviewers");
    let csrf = csrf_of(&page);
    let (st, _, _) = send(&a, "GET", "/ui/admin", Some(&rita), &[], None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let new_user = [("csrf", csrf.as_str()), ("login", "eve"), ("name", "Eve"), ("password", "eve-pass-12"), ("role", "admin"), ("language", "en")];
    let (st, _, _) = send(&a, "POST", "/ui/admin/users", Some(&rita), &[], form(&new_user)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "reviewers cannot create users");
    assert!(db.store.users().await.unwrap().iter().all(|u| u.login != "eve"));

    let ada = log_in(&a, "ada", "admin-pass-1").await;
    let (st, _, page) = send(&a, "GET", "/ui/admin", Some(&ada), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("tess") && page.contains("rita"));
    let csrf = csrf_of(&page);
    let new_user = [("csrf", csrf.as_str()), ("login", "eve"), ("name", "Eve"), ("password", "eve-pass-12"), ("role", "reviewer"), ("language", "zh")];
    let (st, _, _) = send(&a, "POST", "/ui/admin/users", Some(&ada), &[], form(&new_user)).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let eve = db.store.users().await.unwrap().into_iter().find(|u| u.login == "eve").unwrap();
    assert_eq!((eve.role, eve.language), (Role::Reviewer, Language::Zh));
    let (st, _, _) = send(&a, "POST", &format!("/ui/admin/users/{}/disable", eve.app_user_id), Some(&ada), &[], form(&[("csrf", &csrf)])).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(db.store.user(eve.app_user_id).await.unwrap().disabled);
    let (st, _, _) = send(&a, "POST", "/ui/admin/technicians", Some(&ada), &[], form(&[("csrf", &csrf), ("login", "tim"), ("name", "Tim"), ("pin", "12")])).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "a 2-digit PIN is refused");
}

pub const SCRIPT: &str = "<script>window.__pwned=1;alert(1)</script>";
pub const IMG: &str = "<img src=x onerror=\"window.__pwned=2;alert(2)\">";

async fn transcripts_and_fields_render_as_text(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let text = format!("Fault is {SCRIPT} and {IMG} today.");
    let details = json!({"fault": {"span": {"start": 9, "end": 9 + SCRIPT.chars().count()}, "confidence": 0.4, "text": IMG}});
    let id = seed_report(&db.store, a.tech_id, "en", &text, json!({"fault": IMG, "action": SCRIPT}), details).await;
    let token = log_in(&a, "rita", "review-pass-1").await;
    let (st, _, page) = send(&a, "GET", &format!("/ui/reports/{id}"), Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!page.contains("<script>window"), "raw script tag in the page");
    assert!(!page.contains("<img src=x"), "raw img tag in the page");
    let at = page.find("id=\"transcript\"").expect("transcript");
    assert!(page.contains("&#60;script&#62;window.__pwned=1;alert(1)&#60;/script&#62;"), "escaped transcript: {}", &page[at..at + 400]);
    assert!(page.contains("&#60;img src=x onerror="), "escaped field value");
    assert!(page.contains("<mark data-field=\"fault\""), "the span is still highlighted");
    assert!(page.contains("low"), "confidence level shown as text");
}

async fn field_edits_normalise_and_search_and_stats_answer(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    crate::api::pipeline::load_crm(db).await;
    let id = seed_report(&db.store, a.tech_id, "en", "Fault is a noisy fan.", json!({"fault": "noisy fan"}), json!({})).await;
    let token = log_in(&a, "rita", "review-pass-1").await;
    let (_, _, page) = send(&a, "GET", "/ui/queue", Some(&token), &[], None).await;
    let csrf = csrf_of(&page);
    let hdrs = [("x-csrf-token", csrf.as_str()), ("origin", ORIGIN)];
    let uri = format!("/api/v1/reports/{id}");
    let body = |v: &str| Some(("application/json", json!({"fields": {"labor_hours": v}}).to_string()));
    let (st, _, r) = send(&a, "PATCH", &uri, Some(&token), &hdrs, body("two and a half")).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let r: Value = serde_json::from_str(&r).unwrap();
    assert_eq!(r["fields"]["labor_hours"], 2.5);
    let (st, _, err) = send(&a, "PATCH", &uri, Some(&token), &hdrs, body("banana")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(err.contains("labor_hours") && err.contains("banana"), "{err}");

    let (st, _, found) = send(&a, "GET", "/api/v1/customers?q=acme", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    let found: Value = serde_json::from_str(&found).unwrap();
    let names: Vec<&str> = found["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(!names.is_empty() && names.iter().all(|n| n.to_lowercase().contains("acme")), "{names:?}");
    let (_, _, assets) = send(&a, "GET", "/api/v1/assets?q=4471", Some(&token), &[], None).await;
    let assets: Value = serde_json::from_str(&assets).unwrap();
    assert_eq!(assets["items"][0]["tag"], "4471", "{assets}");

    let (st, _, _) = send(&a, "POST", &format!("{uri}/verify"), Some(&token), &hdrs, None).await;
    assert_eq!(st, StatusCode::OK);
    let (st, stats) = a.get("/api/v1/stats?days=7", &a.reviewer).await;
    assert_eq!(st, StatusCode::OK, "{stats}");
    assert_eq!(stats["per_technician"][0], json!({"technician": "Tess Tech", "count": 1}));
    assert_eq!(stats["top_faults"][0], json!({"fault": "noisy fan", "count": 1}));
    assert_eq!(stats["verified_count"], 1);
    assert!(stats["median_verify_ms"].as_i64().unwrap() >= 0);
    assert_eq!(stats["states"]["posted"], 1);
    let (st, _) = a.get("/api/v1/stats", &a.tech).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "technicians see no stats");
    let (st, _) = a.get("/api/v1/stats?days=0", &a.reviewer).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

async fn queue_is_oldest_first_and_filters(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let low = json!({"fault": {"span": {"start": 0, "end": 5}, "confidence": 0.3}});
    let first = seed_report(&db.store, a.tech_id, "en", "First report.", json!({"fault": "first"}), low).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = seed_report(&db.store, a.tech_id, "en", "Second report.", json!({"fault": "second"}), json!({})).await;
    let token = log_in(&a, "rita", "review-pass-1").await;
    let (st, _, page) = send(&a, "GET", "/ui/queue", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::OK);
    let (p1, p2) = (page.find(&format!("id=\"open-{first}\"")).unwrap(), page.find(&format!("id=\"open-{second}\"")).unwrap());
    assert!(p1 < p2, "oldest first");
    assert_eq!(page.matches("low confidence").count(), 1, "only the first report is flagged");
    let other = db.store.technicians().await.unwrap().into_iter().find(|t| t.login == "tom").unwrap().technician_id;
    let (_, _, page) = send(&a, "GET", &format!("/ui/queue?technician_id={other}"), Some(&token), &[], None).await;
    assert!(!page.contains("id=\"open-"), "another technician's filter shows none");
    let (_, _, page) = send(&a, "GET", "/ui/queue?state=verified", Some(&token), &[], None).await;
    assert!(!page.contains("id=\"open-"), "no verified reports yet");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, _, page) = send(&a, "GET", &format!("/ui/queue?from={today}&to={today}&state=any"), Some(&token), &[], None).await;
    assert!(page.contains(&format!("id=\"open-{second}\"")));
    let (st, _, page) = send(&a, "GET", "/ui/queue?from=yesterday", Some(&token), &[], None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(page.contains("from: `yesterday` is not a YYYY-MM-DD date"), "{page}");
}
