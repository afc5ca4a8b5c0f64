//! The Twilio front door over real sockets: the signed TwiML webhook, then a Media Streams WebSocket client
//! that plays Twilio (connected, start, DTMF, mu-law speech from espeak-ng, marks echoed when audio "played",
//! stop) against the real CallRunner, gets prompts back as media, and leaves a draft in the store.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use fieldvoice::dialog::{Ivr, Say};
use fieldvoice::extract::form::{find_form, load_forms};
use fieldvoice::http::{AppState, TwilioSettings, app};
use fieldvoice::speech::{EspeakRenderer, FakeRenderer, PromptRenderer};
use fieldvoice::store::ReportState;
use fieldvoice::telephony::call::CallRunner;
use fieldvoice::telephony::twilio::signature;
use fieldvoice::transcribe::FakeTranscriber;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tower::ServiceExt;

use crate::call::{Logged, id_of, seed};
use crate::store::TestDb;

const TOKEN: &str = "test-auth-token";

async fn wait_for(said: &Mutex<Vec<Say>>, seen: &mut usize, id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        {
            let said = said.lock().unwrap();
            if let Some(i) = said[*seen..].iter().position(|s| id_of(s) == id) {
                *seen += i + 1;
                return match &said[*seen - 1] {
                    Say::Prompt { text, .. } => text.clone(),
                    Say::Tone { .. } => String::new(),
                };
            }
            if Instant::now() > deadline {
                let ids: Vec<String> = said.iter().map(|s| id_of(s).to_string()).collect();
                drop(said);
                panic!("prompt {id} never came; heard {ids:?}");
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn twilio_call_leaves_a_draft(db: &TestDb) {
    let tech = seed(&db.store).await;
    let dir = tempfile::tempdir().unwrap();
    let said = Arc::new(Mutex::new(Vec::new()));
    let renderer = Arc::new(Logged { inner: Arc::new(FakeRenderer::default()), said: said.clone() });
    let fake = FakeTranscriber::scripted([
        "Asset 4471. The condenser fan motor was seized. Replaced the condenser fan motor. Two and a half hours. Status closed.",
    ]);
    let runner = CallRunner::new(
        db.store.clone(),
        Arc::new(fake),
        renderer,
        Ivr::builtin(),
        find_form("service_report", None).unwrap(),
        dir.path().to_path_buf(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut state = AppState::new(db.store.clone(), dir.path().to_path_buf(), 1 << 20, load_forms(None).unwrap());
    state.call_stats = Some(runner.stats());
    state.call_handler = Some(Arc::new(runner));
    state.twilio = Some(TwilioSettings { auth_token: TOKEN.into(), public_base_url: base.clone() });
    let router = app(state);

    // The webhook: signed requests get TwiML that connects the stream; others are refused.
    let params = vec![("CallSid".to_string(), "CA42".to_string()), ("From".to_string(), "+15550001".to_string())];
    let sig = signature(TOKEN, &format!("{base}/twilio/voice"), &params);
    let post = |sig: String| {
        Request::post("/twilio/voice")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", sig)
            .body(Body::from("CallSid=CA42&From=%2B15550001"))
            .unwrap()
    };
    let resp = router.clone().oneshot(post(sig)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = String::from_utf8(axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap().to_vec()).unwrap();
    assert!(body.contains(&format!("<Connect><Stream url=\"ws://{addr}/twilio/media\">")), "{body}");
    assert!(body.contains("value=\"+15550001\""), "{body}");
    let resp = router.clone().oneshot(post("AAAA".into())).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let stream_url = format!("ws://{addr}/twilio/media");
    // An unsigned stream is refused.
    assert!(tokio_tungstenite::connect_async(stream_url.as_str()).await.is_err());
    let mut request = stream_url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("x-twilio-signature", signature(TOKEN, &stream_url, &[]).parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1024);
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::text(text)).await.is_err() {
                break;
            }
        }
    });
    // Twilio's side: count the audio, and echo each mark once its audio has "played".
    let media_bytes = Arc::new(Mutex::new(0usize));
    let reader = tokio::spawn({
        let tx = tx.clone();
        let media_bytes = media_bytes.clone();
        async move {
            let mut marks = 0;
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let v: Value = serde_json::from_str(text.as_str()).unwrap();
                match v["event"].as_str().unwrap() {
                    "media" => {
                        let payload = v["media"]["payload"].as_str().unwrap();
                        *media_bytes.lock().unwrap() += base64::engine::general_purpose::STANDARD.decode(payload).unwrap().len();
                    }
                    "mark" => {
                        marks += 1;
                        let _ = tx.send(json!({"event": "mark", "streamSid": "MZ1", "mark": v["mark"]}).to_string()).await;
                    }
                    "clear" => {}
                    other => panic!("unexpected message {other}"),
                }
            }
            marks
        }
    });
    let send = |v: Value| {
        let tx = tx.clone();
        async move { tx.send(v.to_string()).await.unwrap() }
    };
    let keys = |k: &'static str| {
        let tx = tx.clone();
        async move {
            for c in k.chars() {
                let m = json!({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"track": "inbound_track", "digit": c.to_string()}});
                tx.send(m.to_string()).await.unwrap();
            }
        }
    };
    send(json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})).await;
    send(json!({"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
        "streamSid": "MZ1", "accountSid": "AC1", "callSid": "CA42", "tracks": ["inbound"],
        "customParameters": {"from": "+15550001"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
    .await;
    let mut seen = 0;
    wait_for(&said, &mut seen, "language").await;
    keys("1").await;
    wait_for(&said, &mut seen, "technician_id").await;
    let tech_keys: &'static str = Box::leak(format!("{tech}#").into_boxed_str());
    keys(tech_keys).await;
    wait_for(&said, &mut seen, "pin").await;
    keys("4821#").await;
    wait_for(&said, &mut seen, "main_menu").await;
    keys("1").await;
    wait_for(&said, &mut seen, "tone").await;
    // The report, spoken by espeak-ng, as Twilio sends it: 20 ms mu-law frames, then a second of silence.
    let voice = EspeakRenderer::new(None, None).with_rate(140);
    let text = "Asset four four seven one. Replaced the condenser fan motor. Two and a half hours. Status closed.";
    let mut audio = voice.render(&Say::Prompt { id: "caller".into(), lang: "en".into(), text: text.into(), fixed: false }).unwrap().to_vec();
    audio.resize(audio.len() + 8000, 0);
    for (i, frame) in audio.chunks(160).enumerate() {
        let payload = base64::engine::general_purpose::STANDARD.encode(fieldvoice::audio::g711::encode_mulaw(frame));
        send(json!({"event": "media", "streamSid": "MZ1", "media": {"track": "inbound", "chunk": i.to_string(), "timestamp": (i * 20).to_string(), "payload": payload}})).await;
        if i % 25 == 24 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    keys("#").await;
    let read_back = wait_for(&said, &mut seen, "read_back").await;
    assert_eq!(read_back, "I have: Asset 4471, Acme Foods, replaced the condenser fan motor, two and a half hours, closed.");
    keys("1").await;
    wait_for(&said, &mut seen, "saved").await;
    wait_for(&said, &mut seen, "main_menu").await;
    send(json!({"event": "stop", "sequenceNumber": "99", "streamSid": "MZ1", "stop": {"accountSid": "AC1", "callSid": "CA42"}})).await;
    let marks = tokio::time::timeout(Duration::from_secs(30), reader).await.expect("the server closes the stream").unwrap();
    writer.abort();
    assert!(marks >= 8, "{marks} marks");
    assert!(*media_bytes.lock().unwrap() > 8000, "prompts came back as audio");

    // The call and its draft are in the store.
    let deadline = Instant::now() + Duration::from_secs(30);
    let call = loop {
        let c = db.store.phone_call(1).await.unwrap();
        if c.ended_at.is_some() {
            break c;
        }
        assert!(Instant::now() < deadline, "the call was never closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((call.channel.as_str(), call.call_ref.as_str(), call.caller.as_str()), ("twilio", "CA42", "+15550001"));
    assert_eq!(call.report_ids.len(), 1);
    let report = db.store.report(call.report_ids[0]).await.unwrap();
    assert_eq!(report.state, ReportState::Draft);
    assert_eq!(report.fields["asset"], "4471");
    assert_eq!(report.fields["labor_hours"], json!(2.5));
    assert_eq!(report.fields["status"], "closed");
    assert_eq!(report.fields["customer"], "Acme Foods");
    server.abort();
}

crate::both_backends!(twilio_call_leaves_a_draft);
