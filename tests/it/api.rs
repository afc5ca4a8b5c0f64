//! The HTTP API through the router without a socket (tower `oneshot`), on SQLite and on PostgreSQL: auth
//! at every role boundary, uploads good and bad, the review flow, CRM CRUD and import, ops endpoints.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fieldvoice::extract::form::load_forms;
use fieldvoice::http::{AppState, app};
use fieldvoice::store::Role;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::both_backends;
use crate::store::TestDb;

pub mod pipeline;

/// A router over `db` with a fresh data directory, plus tokens for each role.
pub struct Api {
    pub router: Router,
    pub state: AppState,
    pub data: tempfile::TempDir,
    pub admin: String,
    pub reviewer: String,
    pub tech: String,
    pub other_tech: String,
    pub tech_id: i64,
}

pub async fn api(db: &TestDb, max_upload_bytes: u64) -> Api {
    let s = &db.store;
    let data = tempfile::tempdir().unwrap();
    s.create_user("ada", "Ada Admin", "admin-pass-1", Role::Admin).await.unwrap();
    s.create_user("rita", "Rita Reviewer", "review-pass-1", Role::Reviewer).await.unwrap();
    let tech = s.create_technician("tess", "Tess Tech", "4821").await.unwrap();
    s.create_technician("tom", "Tom Tech", "1357").await.unwrap();
    let token = |login: &'static str, secret: &'static str| async move { s.login(login, secret).await.unwrap().unwrap().0 };
    let state = AppState::new(s.clone(), data.path().to_path_buf(), max_upload_bytes, load_forms(None).unwrap());
    Api {
        router: app(state.clone()),
        state,
        data,
        admin: token("ada", "admin-pass-1").await,
        reviewer: token("rita", "review-pass-1").await,
        tech: token("tess", "4821").await,
        other_tech: token("tom", "1357").await,
        tech_id: tech.technician_id,
    }
}

impl Api {
    /// Sends one request; returns the status and the body as JSON (or as a JSON string when it is not JSON).
    pub async fn call(&self, method: &str, uri: &str, token: Option<&str>, content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let resp = self.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    pub async fn json(&self, method: &str, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(method, uri, Some(token), Some("application/json"), body.to_string().into_bytes()).await
    }

    pub async fn get(&self, uri: &str, token: &str) -> (StatusCode, Value) {
        self.call("GET", uri, Some(token), None, Vec::new()).await
    }

    /// Uploads `wav` as a raw body; returns the status and body.
    pub async fn upload(&self, token: &str, query: &str, wav: Vec<u8>) -> (StatusCode, Value) {
        self.call("POST", &format!("/api/v1/reports{query}"), Some(token), Some("audio/wav"), wav).await
    }
}

/// One second of a 440 Hz tone as 16 kHz 16-bit WAV: real audio for the content check.
pub fn tone_wav(seconds: f32) -> Vec<u8> {
    let n = (16_000.0 * seconds) as usize;
    let samples: Vec<f32> = (0..n).map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin()).collect();
    fieldvoice::audio::encode_wav_pcm16(&samples, 16_000).unwrap()
}

both_backends!(
    every_role_boundary_is_enforced,
    uploads_are_checked_stored_and_queued,
    review_flow_edit_verify_reject,
    crm_crud_and_import_over_http,
    health_metrics_and_openapi,
    login_is_throttled,
    admins_manage_users_and_technicians,
    disabled_accounts_cannot_log_in_and_lose_their_tokens,
    account_input_is_validated_naming_the_field,
);

async fn every_role_boundary_is_enforced(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    // No token, bad token.
    for (method, uri) in [("GET", "/api/v1/reports"), ("GET", "/api/v1/customers"), ("GET", "/api/v1/me"), ("POST", "/api/v1/reports")] {
        let (st, body) = a.call(method, uri, None, None, Vec::new()).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(body["error"], "missing or unknown API token");
        assert_eq!(a.call(method, uri, Some("fv_bogus"), None, Vec::new()).await.0, StatusCode::UNAUTHORIZED);
    }
    // Technicians read CRM data but cannot change it, review, or manage users.
    let (st, _) = a.get("/api/v1/customers", &a.tech).await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = a.json("POST", "/api/v1/customers", &a.tech, json!({"name": "X"})).await;
    assert_eq!((st, body["error"].as_str().unwrap()), (StatusCode::FORBIDDEN, "this needs the admin role; you are a technician"));
    assert_eq!(a.json("POST", "/api/v1/customers", &a.reviewer, json!({"name": "X"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(a.json("POST", "/api/v1/customers", &a.admin, json!({"name": "X"})).await.0, StatusCode::CREATED);
    let new_user = json!({"login": "newt", "name": "Newt", "role": "technician", "pin": "2468"});
    assert_eq!(a.json("POST", "/api/v1/users", &a.reviewer, new_user.clone()).await.0, StatusCode::FORBIDDEN);
    assert_eq!(a.json("POST", "/api/v1/users", &a.admin, new_user).await.0, StatusCode::CREATED);
    assert_eq!(a.get("/api/v1/jobs/dead", &a.tech).await.0, StatusCode::FORBIDDEN);
    assert_eq!(a.get("/api/v1/jobs/dead", &a.reviewer).await.0, StatusCode::OK);

    // Technicians see only their own reports and cannot review them.
    let (st, up) = a.upload(&a.tech, "", tone_wav(1.0)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{up}");
    let id = up["report_id"].as_i64().unwrap();
    assert_eq!(a.get(&format!("/api/v1/reports/{id}"), &a.tech).await.0, StatusCode::OK);
    let (st, body) = a.get(&format!("/api/v1/reports/{id}"), &a.other_tech).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(a.get(&format!("/api/v1/reports/{id}/audio"), &a.other_tech).await.0, StatusCode::FORBIDDEN);
    let (_, list) = a.get("/api/v1/reports", &a.other_tech).await;
    assert_eq!(list["total"], 0, "another technician's list is empty");
    let (_, list) = a.get(&format!("/api/v1/reports?technician_id={}", a.tech_id), &a.other_tech).await;
    assert_eq!(list["total"], 0, "a technician cannot widen the filter to someone else");
    assert_eq!(a.get("/api/v1/reports", &a.reviewer).await.1["total"], 1);
    for action in ["verify", "reject"] {
        let (st, _) = a.json("POST", &format!("/api/v1/reports/{id}/{action}"), &a.tech, json!({"reason": "x"})).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "technician {action}");
    }
    assert_eq!(a.json("PATCH", &format!("/api/v1/reports/{id}"), &a.tech, json!({"fields": {}})).await.0, StatusCode::FORBIDDEN);
    // A technician cannot upload for someone else; a reviewer must say for whom.
    assert_eq!(a.upload(&a.other_tech, &format!("?technician_id={}", a.tech_id), tone_wav(1.0)).await.0, StatusCode::FORBIDDEN);
    let (st, body) = a.upload(&a.reviewer, "", tone_wav(1.0)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("technician_id"), "{body}");
    assert_eq!(a.upload(&a.reviewer, &format!("?technician_id={}", a.tech_id), tone_wav(1.0)).await.0, StatusCode::ACCEPTED);
    // Logout revokes the token.
    assert_eq!(a.call("POST", "/api/v1/logout", Some(&a.tech), None, Vec::new()).await.0, StatusCode::OK);
    assert_eq!(a.get("/api/v1/me", &a.tech).await.0, StatusCode::UNAUTHORIZED);
}

async fn uploads_are_checked_stored_and_queued(db: &TestDb) {
    let a = api(db, 64 * 1024).await;
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (Vec::new(), "audio/wav", StatusCode::BAD_REQUEST, "empty body"),
        (b"hello, this is plainly not a recording".to_vec(), "audio/wav", StatusCode::UNSUPPORTED_MEDIA_TYPE, "not audio"),
        (tone_wav(1.0)[..30].to_vec(), "audio/wav", StatusCode::BAD_REQUEST, "upload:"),
        (tone_wav(3.0), "audio/wav", StatusCode::PAYLOAD_TOO_LARGE, "exceeds the limit of 65536 bytes"),
    ];
    for (body, ct, want, needle) in cases {
        let (st, resp) = a.call("POST", "/api/v1/reports", Some(&a.tech), Some(ct), body).await;
        assert_eq!(st, want, "{resp}");
        assert!(resp["error"].as_str().unwrap().contains(needle), "{resp} should mention {needle}");
    }
    assert_eq!(a.upload(&a.tech, "?form=nope", tone_wav(1.0)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(a.upload(&a.tech, "?language=english", tone_wav(1.0)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(db.store.queue_depth().await.unwrap().queued, 0, "nothing refused was queued");

    let wav = tone_wav(1.0);
    let (st, up) = a.upload(&a.tech, "?form=service_report&language=en", wav.clone()).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{up}");
    let id = up["report_id"].as_i64().unwrap();
    let r = db.store.report(id).await.unwrap();
    let on_disk = std::fs::read(a.data.path().join(&r.audio_path)).unwrap();
    assert_eq!(on_disk, wav, "the stored file is the upload");
    assert_eq!(db.store.job(up["job_id"].as_i64().unwrap()).await.unwrap().payload, json!({"report_id": id}).to_string());
    let (st, got) = a.get(&format!("/api/v1/reports/{id}"), &a.tech).await;
    assert_eq!((st, got["state"].as_str(), got["language"].as_str()), (StatusCode::OK, Some("processing"), Some("en")));
    let (st, audio) = a.call("GET", &format!("/api/v1/reports/{id}/audio"), Some(&a.tech), None, Vec::new()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(matches!(audio, Value::String(_)), "audio is served as bytes");

    // Multipart with the same parts.
    let boundary = "XfvBoundary";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n").as_bytes());
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"r.wav\"\r\nContent-Type: audio/wav\r\n\r\n").as_bytes());
    body.extend_from_slice(&tone_wav(0.5));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let (st, up) = a.call("POST", "/api/v1/reports", Some(&a.tech), Some(&ct), body).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{up}");
    let bad = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"form\"\r\n\r\nservice_report\r\n--{boundary}--\r\n");
    let (st, resp) = a.call("POST", "/api/v1/reports", Some(&a.tech), Some(&ct), bad.into_bytes()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(resp["error"].as_str().unwrap().contains("no `audio` part"), "{resp}");
    assert_eq!(db.store.queue_depth().await.unwrap().queued, 2);
}

async fn review_flow_edit_verify_reject(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let s = &db.store;
    s.import_customers("c", "name,contact\nAcme Foods,ops@acme.example\n".as_bytes()).await.unwrap();
    s.import_assets("a", "tag,customer,description\n4471,Acme Foods,condenser\n".as_bytes()).await.unwrap();
    let (_, up) = a.upload(&a.tech, "", tone_wav(1.0)).await;
    let id = up["report_id"].as_i64().unwrap();
    let uri = format!("/api/v1/reports/{id}");
    // Not editable while processing.
    assert_eq!(a.json("PATCH", &uri, &a.reviewer, json!({"fields": {"fault": "leak"}})).await.0, StatusCode::CONFLICT);
    s.complete_report(id, "en", &json!({"asset": "4471", "fault": "leak"}), &json!({}), &json!(["action: missing (required)"]), None, None).await.unwrap();

    let (st, body) = a.json("PATCH", &uri, &a.reviewer, json!({"fields": {"labor_hours": 30}})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("labor_hours: out of range"), "{body}");
    let (st, body) = a.call("PATCH", &uri, Some(&a.reviewer), Some("application/json"), b"{not json".to_vec()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("bad JSON body"), "{body}");

    let edit = json!({"fields": {"action": "replaced the fan motor", "labor_hours": 1.5, "status": "closed", "customer": "acme foods"}});
    let (st, body) = a.json("PATCH", &uri, &a.reviewer, edit).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["fields"]["customer"], "Acme Foods", "customer resolved to the CRM name");
    assert_eq!(body["problems"], json!([]));
    assert!(body["customer_id"].is_i64() && body["asset_id"].is_i64(), "{body}");
    let audit: Vec<&str> = body["audit"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(audit, vec!["action", "customer", "labor_hours", "status"]);

    let (st, body) = a.call("POST", &format!("{uri}/verify"), Some(&a.reviewer), None, Vec::new()).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!((body["state"].as_str(), body["ticket"]["number"].as_str()), (Some("posted"), Some(format!("FV-{id:06}").as_str())));
    let (st, body) = a.json("POST", &format!("{uri}/reject"), &a.reviewer, json!({"reason": "late"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");

    let (_, up) = a.upload(&a.tech, "", tone_wav(1.0)).await;
    let id2 = up["report_id"].as_i64().unwrap();
    s.complete_report(id2, "en", &json!({}), &json!({}), &json!([]), None, None).await.unwrap();
    assert_eq!(a.json("POST", &format!("/api/v1/reports/{id2}/reject"), &a.reviewer, json!({"reason": " "})).await.0, StatusCode::BAD_REQUEST);
    let (st, body) = a.json("POST", &format!("/api/v1/reports/{id2}/reject"), &a.reviewer, json!({"reason": "wrong site"})).await;
    assert_eq!((st, body["state"].as_str(), body["reason"].as_str()), (StatusCode::OK, Some("rejected"), Some("wrong site")));

    let (_, list) = a.get("/api/v1/reports?state=posted", &a.reviewer).await;
    assert_eq!(list["items"].as_array().unwrap().iter().map(|r| r["report_id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![id]);
    let (_, list) = a.get("/api/v1/reports?per_page=1&page=2", &a.reviewer).await;
    assert_eq!((list["total"].as_i64(), list["items"][0]["report_id"].as_i64()), (Some(2), Some(id)));
    let today = chrono::Utc::now().date_naive();
    let (_, list) = a.get(&format!("/api/v1/reports?from={today}&to={today}"), &a.reviewer).await;
    assert_eq!(list["total"], 2);
    let (_, list) = a.get(&format!("/api/v1/reports?to={}", today.pred_opt().unwrap()), &a.reviewer).await;
    assert_eq!(list["total"], 0);
    assert_eq!(a.get("/api/v1/reports?state=lost", &a.reviewer).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(a.get("/api/v1/reports?from=yesterday", &a.reviewer).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(a.get("/api/v1/reports/999999", &a.reviewer).await.0, StatusCode::NOT_FOUND);
}

async fn crm_crud_and_import_over_http(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm");
    let (st, sum) = a.call("POST", "/api/v1/customers/import", Some(&a.admin), Some("text/csv"), std::fs::read(root.join("customers.csv")).unwrap()).await;
    assert_eq!(st, StatusCode::OK, "{sum}");
    assert!(sum["inserted"].as_u64().unwrap() >= 4);
    let (st, _) = a.call("POST", "/api/v1/assets/import", Some(&a.admin), Some("text/csv"), std::fs::read(root.join("assets.csv")).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = a.call("POST", "/api/v1/assets/import", Some(&a.admin), Some("text/csv"), b"tag,customer\n1,Nobody\n".to_vec()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("description"), "{body}");

    let (st, c) = a.json("POST", "/api/v1/customers", &a.admin, json!({"name": "Zeta Labs", "contact": "z@z.example"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let cid = c["customer_id"].as_i64().unwrap();
    assert_eq!(a.json("POST", "/api/v1/customers", &a.admin, json!({"name": "Zeta Labs"})).await.0, StatusCode::CONFLICT);
    let (st, asset) = a.json("POST", "/api/v1/assets", &a.admin, json!({"tag": "z-1", "customer_id": cid})).await;
    assert_eq!((st, asset["tag"].as_str()), (StatusCode::CREATED, Some("Z1")));
    let aid = asset["asset_id"].as_i64().unwrap();
    let (_, list) = a.get(&format!("/api/v1/assets?customer_id={cid}"), &a.tech).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (st, _) = a.json("PUT", &format!("/api/v1/assets/{aid}"), &a.admin, json!({"tag": "Z2", "customer_id": cid, "description": "pump"})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(a.get(&format!("/api/v1/assets/{aid}"), &a.tech).await.1["tag"], "Z2");
    assert_eq!(a.call("DELETE", &format!("/api/v1/customers/{cid}"), Some(&a.admin), None, Vec::new()).await.0, StatusCode::CONFLICT);
    assert_eq!(a.call("DELETE", &format!("/api/v1/assets/{aid}"), Some(&a.admin), None, Vec::new()).await.0, StatusCode::NO_CONTENT);
    assert_eq!(a.call("DELETE", &format!("/api/v1/customers/{cid}"), Some(&a.admin), None, Vec::new()).await.0, StatusCode::NO_CONTENT);
    assert_eq!(a.get(&format!("/api/v1/customers/{cid}"), &a.admin).await.0, StatusCode::NOT_FOUND);
    let (st, body) = a.call("POST", "/api/v1/customers", Some(&a.admin), Some("text/plain"), b"name".to_vec()).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
}

async fn health_metrics_and_openapi(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let (st, body) = a.call("GET", "/healthz", None, None, Vec::new()).await;
    assert_eq!((st, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    a.upload(&a.tech, "", tone_wav(1.0)).await;
    a.upload(&a.tech, "", Vec::new()).await;
    let (st, text) = a.call("GET", "/metrics", None, None, Vec::new()).await;
    assert_eq!(st, StatusCode::OK);
    let text = text.as_str().unwrap().to_string();
    for line in ["fieldvoice_jobs{state=\"queued\"} 1", "fieldvoice_uploads_total{result=\"accepted\"} 1", "fieldvoice_uploads_total{result=\"rejected\"} 1"] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
    }
    let (st, doc) = a.call("GET", "/api/v1/openapi.json", None, None, Vec::new()).await;
    assert_eq!((st, doc["openapi"].as_str()), (StatusCode::OK, Some("3.1.0")));
    for path in ["/api/v1/reports", "/api/v1/reports/{id}/verify", "/api/v1/customers/import", "/healthz", "/api/v1/technicians/{id}/pin"] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
}

async fn login_is_throttled(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let login = |secret: &str| json!({"login": "tess", "secret": secret}).to_string().into_bytes();
    let (st, body) = a.call("POST", "/api/v1/login", None, Some("application/json"), login("4821")).await;
    assert_eq!((st, body["role"].as_str()), (StatusCode::OK, Some("technician")));
    for _ in 0..5 {
        assert_eq!(a.call("POST", "/api/v1/login", None, Some("application/json"), login("0000")).await.0, StatusCode::UNAUTHORIZED);
    }
    let (st, body) = a.call("POST", "/api/v1/login", None, Some("application/json"), login("4821")).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "even the right PIN waits out the lock: {body}");
    let (st, _) = a.call("POST", "/api/v1/login", None, Some("application/json"), json!({"login": "rita", "secret": "review-pass-1"}).to_string().into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "other logins are unaffected");
}

impl Api {
    /// Logs in over HTTP; returns the status and body.
    pub async fn login(&self, login: &str, secret: &str) -> (StatusCode, Value) {
        let body = json!({"login": login, "secret": secret}).to_string().into_bytes();
        self.call("POST", "/api/v1/login", None, Some("application/json"), body).await
    }
}

/// No response about an account may carry a hash (or anything that looks like one).
fn assert_no_secrets(body: &Value) {
    let text = body.to_string();
    assert!(!text.contains("argon2") && !text.contains("hash"), "secret material in {text}");
}

async fn admins_manage_users_and_technicians(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    // Only admins: reviewers and technicians get 403 on every account endpoint.
    let tess = a.tech_id;
    let (_, rita) = a.get("/api/v1/me", &a.reviewer).await;
    let rita = rita["app_user_id"].as_i64().unwrap();
    let calls: Vec<(&str, String, Value)> = vec![
        ("GET", "/api/v1/users".into(), json!(null)),
        ("GET", format!("/api/v1/users/{rita}"), json!(null)),
        ("POST", "/api/v1/users".into(), json!({"login": "x1", "name": "X", "role": "reviewer", "password": "long enough"})),
        ("PUT", format!("/api/v1/users/{rita}/password"), json!({"password": "long enough"})),
        ("POST", format!("/api/v1/users/{rita}/disable"), json!(null)),
        ("POST", format!("/api/v1/users/{rita}/enable"), json!(null)),
        ("GET", "/api/v1/technicians".into(), json!(null)),
        ("GET", format!("/api/v1/technicians/{tess}"), json!(null)),
        ("POST", "/api/v1/technicians".into(), json!({"login": "x2", "name": "X", "pin": "2468"})),
        ("PUT", format!("/api/v1/technicians/{tess}/pin"), json!({"pin": "2468"})),
        ("POST", format!("/api/v1/technicians/{tess}/disable"), json!(null)),
        ("POST", format!("/api/v1/technicians/{tess}/enable"), json!(null)),
    ];
    for (method, uri, body) in &calls {
        for token in [&a.reviewer, &a.tech] {
            let (st, resp) = a.json(method, uri, token, body.clone()).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{method} {uri}: {resp}");
            assert!(resp["error"].as_str().unwrap().starts_with("this needs the admin role"), "{resp}");
        }
        assert_eq!(a.call(method, uri, None, None, Vec::new()).await.0, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    assert_eq!(db.store.users().await.unwrap().len(), 2, "nothing was created");
    assert!(!db.store.technicians().await.unwrap().iter().any(|t| t.disabled), "nothing was disabled");

    // Admins create a reviewer with Chinese pages, and a technician.
    let (st, u) = a.json("POST", "/api/v1/users", &a.admin, json!({"login": "li.wei", "name": "Li Wei", "role": "reviewer", "password": "mima-12345", "language": "zh"})).await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    assert_eq!((u["login"].as_str(), u["role"].as_str(), u["language"].as_str(), u["disabled"].as_bool()), (Some("li.wei"), Some("reviewer"), Some("zh"), Some(false)));
    assert_no_secrets(&u);
    let li = u["app_user_id"].as_i64().unwrap();
    let (st, t) = a.json("POST", "/api/v1/technicians", &a.admin, json!({"login": "tariq", "name": "Tariq Tech", "pin": "24681357"})).await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    assert_eq!((t["login"].as_str(), t["name"].as_str(), t["disabled"].as_bool()), (Some("tariq"), Some("Tariq Tech"), Some(false)));
    assert_no_secrets(&t);
    let tariq = t["technician_id"].as_i64().unwrap();
    assert_eq!(a.login("li.wei", "mima-12345").await.1["role"], "reviewer");
    assert_eq!(a.login("tariq", "24681357").await.1["role"], "technician");

    // Lists and single reads, hashes never included.
    let (st, users) = a.get("/api/v1/users", &a.admin).await;
    assert_eq!(st, StatusCode::OK);
    assert_no_secrets(&users);
    let logins: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["login"].as_str().unwrap()).collect();
    assert_eq!(logins, vec!["ada", "li.wei", "rita"]);
    let (st, techs) = a.get("/api/v1/technicians", &a.admin).await;
    assert_eq!(st, StatusCode::OK);
    assert_no_secrets(&techs);
    let logins: Vec<&str> = techs["items"].as_array().unwrap().iter().map(|t| t["login"].as_str().unwrap()).collect();
    assert_eq!(logins, vec!["tariq", "tess", "tom"]);
    assert_eq!(a.get(&format!("/api/v1/users/{li}"), &a.admin).await.1["name"], "Li Wei");
    assert_eq!(a.get(&format!("/api/v1/technicians/{tariq}"), &a.admin).await.1["name"], "Tariq Tech");
    assert_eq!(a.get("/api/v1/users/999999", &a.admin).await.0, StatusCode::NOT_FOUND);
    assert_eq!(a.get("/api/v1/technicians/999999", &a.admin).await.0, StatusCode::NOT_FOUND);

    // Changing a password or PIN: the old one stops working, the new one works.
    let (st, body) = a.json("PUT", &format!("/api/v1/users/{li}/password"), &a.admin, json!({"password": "new-mima-678"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_no_secrets(&body);
    assert_eq!(a.login("li.wei", "mima-12345").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.login("li.wei", "new-mima-678").await.0, StatusCode::OK);
    let (st, body) = a.json("PUT", &format!("/api/v1/technicians/{tariq}/pin"), &a.admin, json!({"pin": "9753"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_no_secrets(&body);
    assert_eq!(a.login("tariq", "24681357").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.login("tariq", "9753").await.0, StatusCode::OK);
    assert_eq!(a.json("PUT", "/api/v1/technicians/999999/pin", &a.admin, json!({"pin": "9753"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(a.json("PUT", "/api/v1/users/999999/password", &a.admin, json!({"password": "long enough"})).await.0, StatusCode::NOT_FOUND);

    // Duplicate logins conflict, also across users and technicians.
    for (uri, body) in [
        ("/api/v1/users", json!({"login": "rita", "name": "R2", "role": "admin", "password": "long enough"})),
        ("/api/v1/users", json!({"login": "tess", "name": "T2", "role": "reviewer", "password": "long enough"})),
        ("/api/v1/technicians", json!({"login": "tess", "name": "T2", "pin": "1111"})),
        ("/api/v1/technicians", json!({"login": "ada", "name": "A2", "pin": "1111"})),
        ("/api/v1/users", json!({"login": "tom", "name": "T3", "role": "technician", "pin": "1111"})),
    ] {
        let (st, resp) = a.json("POST", uri, &a.admin, body.clone()).await;
        assert_eq!(st, StatusCode::CONFLICT, "{uri} {body}: {resp}");
        let login = body["login"].as_str().unwrap();
        assert_eq!(resp["error"], format!("login `{login}` is already taken"));
    }
}

async fn disabled_accounts_cannot_log_in_and_lose_their_tokens(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let (_, rita) = a.get("/api/v1/me", &a.reviewer).await;
    let rita = rita["app_user_id"].as_i64().unwrap();
    let (_, ada) = a.get("/api/v1/me", &a.admin).await;

    // A technician: disabled, their token is refused and they cannot log in; others are unaffected.
    let (st, t) = a.call("POST", &format!("/api/v1/technicians/{}/disable", a.tech_id), Some(&a.admin), None, Vec::new()).await;
    assert_eq!((st, t["disabled"].as_bool()), (StatusCode::OK, Some(true)), "{t}");
    let (st, body) = a.get("/api/v1/me", &a.tech).await;
    assert_eq!((st, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("missing or unknown API token")));
    assert_eq!(a.upload(&a.tech, "", tone_wav(0.5)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.login("tess", "4821").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.get("/api/v1/me", &a.other_tech).await.0, StatusCode::OK);
    let (_, techs) = a.get("/api/v1/technicians", &a.admin).await;
    let tess = techs["items"].as_array().unwrap().iter().find(|t| t["login"] == "tess").unwrap();
    assert_eq!(tess["disabled"], true, "disabled technicians stay listed");

    // A reviewer, likewise.
    let (st, u) = a.call("POST", &format!("/api/v1/users/{rita}/disable"), Some(&a.admin), None, Vec::new()).await;
    assert_eq!((st, u["disabled"].as_bool()), (StatusCode::OK, Some(true)), "{u}");
    assert_eq!(a.get("/api/v1/reports", &a.reviewer).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(a.login("rita", "review-pass-1").await.0, StatusCode::UNAUTHORIZED);
    // Disabling twice is harmless; an admin cannot disable themselves.
    assert_eq!(a.call("POST", &format!("/api/v1/users/{rita}/disable"), Some(&a.admin), None, Vec::new()).await.0, StatusCode::OK);
    let (st, body) = a.call("POST", &format!("/api/v1/users/{}/disable", ada["app_user_id"]), Some(&a.admin), None, Vec::new()).await;
    assert_eq!((st, body["error"].as_str()), (StatusCode::CONFLICT, Some("you cannot disable your own account")));
    assert_eq!(a.call("POST", "/api/v1/users/999999/disable", Some(&a.admin), None, Vec::new()).await.0, StatusCode::NOT_FOUND);

    // Re-enabled accounts log in again for a new token; the old token stays dead.
    let (st, t) = a.call("POST", &format!("/api/v1/technicians/{}/enable", a.tech_id), Some(&a.admin), None, Vec::new()).await;
    assert_eq!((st, t["disabled"].as_bool()), (StatusCode::OK, Some(false)), "{t}");
    let (st, u) = a.call("POST", &format!("/api/v1/users/{rita}/enable"), Some(&a.admin), None, Vec::new()).await;
    assert_eq!((st, u["disabled"].as_bool()), (StatusCode::OK, Some(false)), "{u}");
    assert_eq!(a.get("/api/v1/me", &a.tech).await.0, StatusCode::UNAUTHORIZED, "old technician token revoked");
    assert_eq!(a.get("/api/v1/me", &a.reviewer).await.0, StatusCode::UNAUTHORIZED, "old reviewer token revoked");
    let (st, body) = a.login("tess", "4821").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(a.get("/api/v1/me", body["token"].as_str().unwrap()).await.1["login"], "tess");
    let (st, body) = a.login("rita", "review-pass-1").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(a.get("/api/v1/reports", body["token"].as_str().unwrap()).await.0, StatusCode::OK);
}

async fn account_input_is_validated_naming_the_field(db: &TestDb) {
    let a = api(db, 1 << 20).await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("POST", "/api/v1/users", json!({"login": "", "name": "E", "role": "reviewer", "password": "long enough"}), "login:"),
        ("POST", "/api/v1/users", json!({"login": "   ", "name": "E", "role": "reviewer", "password": "long enough"}), "login:"),
        ("POST", "/api/v1/users", json!({"login": "a b", "name": "E", "role": "reviewer", "password": "long enough"}), "login:"),
        ("POST", "/api/v1/users", json!({"login": "weak", "name": "W", "role": "admin", "password": "1234567"}), "password: at least 8 characters"),
        ("POST", "/api/v1/users", json!({"login": "fr", "name": "F", "role": "reviewer", "password": "long enough", "language": "fr"}), "language:"),
        ("POST", "/api/v1/users", json!({"login": "nopw", "name": "N", "role": "admin"}), "password:"),
        ("POST", "/api/v1/users", json!({"login": "both", "name": "B", "role": "technician", "pin": "1234", "password": "long enough"}), "pin:"),
        ("POST", "/api/v1/users", json!({"name": "N", "role": "admin", "password": "long enough"}), "missing field `login`"),
        ("POST", "/api/v1/users", json!({"login": "r", "name": "R", "role": "boss", "password": "long enough"}), "role"),
        ("POST", "/api/v1/technicians", json!({"login": "", "name": "E", "pin": "1234"}), "login:"),
        ("POST", "/api/v1/technicians", json!({"login": "p3", "name": "P", "pin": "123"}), "pin: 4 to 8 digits"),
        ("POST", "/api/v1/technicians", json!({"login": "p9", "name": "P", "pin": "123456789"}), "pin: 4 to 8 digits"),
        ("POST", "/api/v1/technicians", json!({"login": "pa", "name": "P", "pin": "12a4"}), "pin: 4 to 8 digits"),
        ("POST", "/api/v1/technicians", json!({"login": "nopin", "name": "P"}), "missing field `pin`"),
        ("PUT", "/api/v1/technicians/TECH/pin", json!({"pin": "12"}), "pin: 4 to 8 digits"),
        ("PUT", "/api/v1/technicians/TECH/pin", json!({}), "missing field `pin`"),
        ("PUT", "/api/v1/users/ADA/password", json!({"password": "short"}), "password: at least 8 characters"),
        ("PUT", "/api/v1/users/ADA/password", json!({"password": 12345678}), "password"),
    ];
    let (_, ada) = a.get("/api/v1/me", &a.admin).await;
    for (method, uri, body, needle) in cases {
        let uri = uri.replace("TECH", &a.tech_id.to_string()).replace("ADA", &ada["app_user_id"].to_string());
        let (st, resp) = a.json(method, &uri, &a.admin, body.clone()).await;
        assert!(st == StatusCode::BAD_REQUEST || st == StatusCode::UNPROCESSABLE_ENTITY, "{method} {uri} {body}: {st} {resp}");
        assert!(resp["error"].as_str().unwrap().contains(needle), "{method} {uri} {body}: {resp} should name {needle}");
    }
    // Nothing refused was stored, and the old secrets still work.
    assert_eq!(db.store.users().await.unwrap().len(), 2);
    assert_eq!(db.store.technicians().await.unwrap().len(), 2);
    assert_eq!(a.login("tess", "4821").await.0, StatusCode::OK);
    assert_eq!(a.login("ada", "admin-pass-1").await.0, StatusCode::OK);
}
