//! Twilio message mapping and signature tests: published signature vectors, every message kind, and
//! property tests that garbage never panics.

use proptest::prelude::*;

use super::*;

fn params(from: &str) -> Vec<(String, String)> {
    [("CallSid", "CA1234567890ABCDE"), ("Caller", from), ("Digits", "1234"), ("From", from), ("To", "+18005551212")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

#[test]
fn signatures_match_the_published_vectors() {
    assert_eq!(signature("12345", URL, &params("+14158675309")), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    assert_eq!(signature("12345", URL, &params("+14158675310")), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
    assert!(signature_ok("12345", URL, &params("+14158675310"), "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    // Parameter order does not matter; a changed value, token or URL does.
    let mut shuffled = params("+14158675310");
    shuffled.reverse();
    assert!(signature_ok("12345", URL, &shuffled, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    assert!(!signature_ok("12345", URL, &params("+14158675311"), "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    assert!(!signature_ok("12346", URL, &params("+14158675310"), "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    assert!(!signature_ok("12345", "https://mycompany.com/other", &params("+14158675310"), "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    assert!(!signature_ok("12345", URL, &params("+14158675310"), "not base64!"));
    assert!(!signature_ok("12345", URL, &params("+14158675310"), ""));
}

#[test]
fn the_url_is_accepted_with_and_without_its_default_port() {
    let p = params("+1");
    let with_port = signature("tok", "https://fv.example:443/twilio/voice", &p);
    assert!(signature_ok("tok", "https://fv.example/twilio/voice", &p, &with_port));
    let without = signature("tok", "https://fv.example/twilio/voice", &p);
    assert!(signature_ok("tok", "https://fv.example:443/twilio/voice", &p, &without));
    let http = signature("tok", "http://fv.example/twilio/voice", &p);
    assert!(signature_ok("tok", "http://fv.example:80/twilio/voice", &p, &http));
    // A non-default port is part of the URL.
    let other = signature("tok", "https://fv.example:8443/twilio/voice", &p);
    assert!(!signature_ok("tok", "https://fv.example/twilio/voice", &p, &other));
}

#[test]
fn stream_messages_map_to_call_events_and_back() {
    let mut s = StreamSession::default();
    assert_eq!(parse(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#), Ok(TwilioIn::Connected));
    let start = r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"MZ1","accountSid":"AC1","callSid":"CA1",
        "tracks":["inbound"],"customParameters":{"from":"+15550001"},
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#;
    let msg = parse(start).unwrap();
    let TwilioIn::Start { stream_sid, call_sid, parameters } = &msg else { panic!("{msg:?}") };
    assert_eq!((stream_sid.as_str(), call_sid.as_str()), ("MZ1", "CA1"));
    assert_eq!(parameters["from"], "+15550001");
    assert!(s.inbound(msg).is_empty());
    assert_eq!(s.stream_sid(), Some("MZ1"));

    let tone: Vec<i16> = (0..320).map(|i| ((i as f32 * 0.3).sin() * 8000.0) as i16).collect();
    let media = media_message("MZ1", &tone);
    let events = s.inbound(parse(&media).unwrap());
    assert_eq!(events.len(), 2, "320 samples are two 20 ms frames");
    let Inbound::Audio(first) = &events[0] else { panic!() };
    assert!(first.iter().zip(&tone).all(|(a, b)| (i32::from(*a) - i32::from(*b)).abs() < 300), "mu-law round trip");
    assert_eq!(s.inbound(parse(r##"{"event":"dtmf","streamSid":"MZ1","dtmf":{"track":"inbound_track","digit":"#"}}"##).unwrap()), [Inbound::Dtmf('#')]);
    assert_eq!(s.inbound(parse(r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"play-7"}}"#).unwrap()), [Inbound::PlayDone(7)]);
    assert!(s.inbound(parse(r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"other"}}"#).unwrap()).is_empty());
    assert_eq!(s.inbound(parse(r#"{"event":"stop","streamSid":"MZ1","stop":{"callSid":"CA1"}}"#).unwrap()), [Inbound::Hangup]);

    let play = Outbound::Play { id: 7, samples: vec![0i16; 12000].into() };
    let out = s.outbound(&play);
    assert_eq!(out.len(), 3, "two media messages (1 s and 0.5 s) and a mark");
    assert_eq!(media_samples(&out).len(), 12000);
    assert!(out[2].contains(r#""name":"play-7""#) && out[2].contains(r#""event":"mark""#));
    assert_eq!(s.outbound(&Outbound::Clear), [r#"{"event":"clear","streamSid":"MZ1"}"#]);
    assert!(s.outbound(&Outbound::Hangup).is_empty());
    assert!(StreamSession::default().outbound(&play).is_empty(), "nothing goes out before start");
}

#[test]
fn bad_messages_are_refused_with_a_reason() {
    let err = |t: &str| parse(t).unwrap_err().to_string();
    assert_eq!(err("nope"), "Twilio stream message: not JSON: expected ident at line 1 column 2");
    assert_eq!(err(r#"{"event":"party"}"#), "Twilio stream message: unknown event `party`");
    assert_eq!(err(r#"{"event":"media","media":{"payload":"!!"}}"#).split(':').take(2).collect::<Vec<_>>().join(":"), "Twilio stream message: media");
    assert_eq!(err(r#"{"event":"dtmf","dtmf":{"digit":"12"}}"#), "Twilio stream message: dtmf: `12` is not a key");
    assert_eq!(err(r#"{"event":"start","start":{"streamSid":"MZ","callSid":"CA","mediaFormat":{"encoding":"audio/l16"}}}"#),
        "Twilio stream message: start: media encoding `audio/l16` (only audio/x-mulaw)");
    assert_eq!(err(r#"{"event":"mark","mark":{}}"#), "Twilio stream message: no `mark.name`");
    assert_eq!(err(r#"{"event":5}"#), "Twilio stream message: `event` is not a string");
    assert!(err(&"x".repeat(MAX_MESSAGE_BYTES + 1)).contains("over the"));
}

#[test]
fn twiml_connects_the_stream_and_escapes() {
    let t = connect_twiml("wss://fv.example/twilio/media", "+1 <555>");
    assert!(t.contains(r#"<Connect><Stream url="wss://fv.example/twilio/media"><Parameter name="from" value="+1 &lt;555&gt;"/>"#), "{t}");
}

proptest! {
    #[test]
    fn garbage_never_panics(text in "\\PC{0,300}") {
        let _ = parse(&text).map(|m| StreamSession::default().inbound(m));
    }

    #[test]
    fn garbage_in_known_events_never_panics(event in "(connected|start|media|dtmf|mark|stop)", body in "\\PC{0,80}", payload in "[A-Za-z0-9+/=]{0,64}") {
        let texts = [
            format!(r#"{{"event":"{event}","{event}":{body}}}"#),
            format!(r#"{{"event":"{event}","media":{{"payload":"{payload}"}},"dtmf":{{"digit":"{body}"}},"mark":{{"name":"{body}"}}}}"#),
        ];
        for t in texts {
            let mut s = StreamSession::default();
            if let Ok(m) = parse(&t) { let _ = s.inbound(m); }
        }
    }

    #[test]
    fn signature_check_never_panics(token in "\\PC{0,20}", url in "\\PC{0,60}", header in "\\PC{0,40}") {
        let _ = signature_ok(&token, &url, &[], &header);
    }
}
