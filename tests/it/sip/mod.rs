//! The SIP endpoint against real sipp calls (Debian sip-tester), in-process on 127.0.0.1 with free ports:
//! RFC 4733 DTMF, the handler's hang-up, CANCEL, BYE mid-prompt, the call cap, trunk checks (403, digest
//! 401), SDP without a common codec, OPTIONS, the RTP timeout and garbage datagrams.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldvoice::telephony::sip::{Cidr, DigestCredentials, SipConfig, SipEndpoint};
use fieldvoice::telephony::{CallFuture, CallHandler, CallInfo, Inbound, Outbound};
use tokio::sync::mpsc;

use crate::support::root;

/// What a test handler saw during its calls.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub calls: Vec<CallInfo>,
    pub digits: String,
    pub audio_frames: usize,
    /// Every caller sample, in order (frames concatenated).
    pub audio: Vec<i16>,
    pub play_done: Vec<u64>,
    pub hangups: usize,
    pub ended: usize,
}

/// A call handler for tests: plays a tone prompt of `prompt_ms`, records every event, and on
/// `hang_up_on` plays a short goodbye and hangs up.
#[derive(Clone)]
pub struct Recorder {
    pub seen: Arc<Mutex<Seen>>,
    pub prompt_ms: usize,
    pub hang_up_on: Option<char>,
}

impl Recorder {
    pub fn new(prompt_ms: usize, hang_up_on: Option<char>) -> Recorder {
        Recorder { seen: Arc::default(), prompt_ms, hang_up_on }
    }

    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }
}

fn tone(ms: usize) -> Arc<[i16]> {
    (0..ms * 8).map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / 8000.0).sin() * 8000.0) as i16).collect()
}

impl CallHandler for Recorder {
    fn run(&self, call: CallInfo, mut inbound: mpsc::Receiver<Inbound>, outbound: mpsc::Sender<Outbound>) -> CallFuture {
        let me = self.clone();
        Box::pin(async move {
            me.seen.lock().unwrap().calls.push(call);
            let _ = outbound.send(Outbound::Play { id: 1, samples: tone(me.prompt_ms) }).await;
            while let Some(ev) = inbound.recv().await {
                let goodbye = {
                    let mut s = me.seen.lock().unwrap();
                    match ev {
                        Inbound::Audio(ref frame) => {
                            assert_eq!(frame.len(), fieldvoice::telephony::FRAME_SAMPLES);
                            s.audio_frames += 1;
                            s.audio.extend_from_slice(frame);
                        }
                        Inbound::Dtmf(c) => s.digits.push(c),
                        Inbound::PlayDone(id) => s.play_done.push(id),
                        Inbound::Hangup => s.hangups += 1,
                    }
                    matches!(ev, Inbound::Dtmf(c) if Some(c) == me.hang_up_on)
                };
                if goodbye {
                    let _ = outbound.send(Outbound::Clear).await;
                    let _ = outbound.send(Outbound::Play { id: 2, samples: tone(300) }).await;
                    let _ = outbound.send(Outbound::Hangup).await;
                }
            }
            me.seen.lock().unwrap().ended += 1;
        })
    }
}

/// A UDP port free right now, with the next one free too (sipp's media uses two).
pub fn free_port() -> u16 {
    loop {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = s.local_addr().unwrap().port();
        if p < 65_000 && UdpSocket::bind(("127.0.0.1", p + 2)).is_ok() {
            return p;
        }
    }
}

/// An endpoint on 127.0.0.1 with a free port; `tune` adjusts the config first.
pub async fn endpoint(handler: Recorder, tune: impl FnOnce(&mut SipConfig)) -> SipEndpoint {
    let mut config = SipConfig::new("127.0.0.1:0".parse().unwrap());
    config.rtp_timeout = Duration::from_secs(10);
    tune(&mut config);
    SipEndpoint::start(config, Arc::new(handler)).await.unwrap()
}

/// Result of one sipp run.
pub struct SippRun {
    pub ok: bool,
    pub log: String,
}

/// Runs `sipp -sf tests/sipp/<scenario> <target> -m 1` (blocking) from a temp dir with a `pcap` link to
/// the Debian sip-tester recordings and copies of `files`; exit 0 is success. `extra` are more sipp arguments.
pub fn sipp(scenario: &str, target: SocketAddr, extra: &[&str], files: &[PathBuf]) -> SippRun {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/usr/share/sip-tester", dir.path().join("pcap")).unwrap();
    for f in files {
        std::fs::copy(f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let file: PathBuf = root().join("tests/sipp").join(scenario);
    let (sip_port, media_port) = (free_port().to_string(), free_port().to_string());
    let out = std::process::Command::new("sipp")
        .current_dir(dir.path())
        .arg("-sf")
        .arg(&file)
        .arg(target.to_string())
        .args(["-i", "127.0.0.1", "-p", &sip_port, "-mp", &media_port, "-m", "1", "-nostdin", "-trace_err"])
        .args(["-timeout", "150s", "-timeout_error", "-max_recv_loops", "1000"])
        .args(extra)
        .output()
        .expect("sipp runs (Debian package sip-tester)");
    let mut log = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        if entry.file_name().to_string_lossy().ends_with("errors.log") {
            log.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    SippRun { ok: out.status.success(), log }
}

/// Runs sipp off the async runtime (the endpoint keeps running on it).
pub async fn call(scenario: &'static str, target: SocketAddr, extra: &'static [&'static str]) -> SippRun {
    tokio::task::spawn_blocking(move || sipp(scenario, target, extra, &[])).await.unwrap()
}

/// Like [`call`], with files the scenario plays (e.g. a mu-law WAV for `rtp_stream`).
pub async fn call_with(scenario: &'static str, target: SocketAddr, files: Vec<PathBuf>) -> SippRun {
    tokio::task::spawn_blocking(move || sipp(scenario, target, &[], &files)).await.unwrap()
}

/// Speaks `text` with espeak-ng into `dir/name` as an 8 kHz mu-law WAV (what sipp's rtp_stream plays).
pub fn speech_wav(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let raw = dir.join(format!("{name}.22k.wav"));
    let out = dir.join(name);
    let ok = std::process::Command::new("espeak-ng").args(["-s", fieldvoice::telephony::sip::scenario::REPORT_WPM, "-w"]).arg(&raw).arg(text).status().expect("espeak-ng runs");
    assert!(ok.success());
    let ok = std::process::Command::new("sox").arg(&raw).args(["-r", "8000", "-c", "1", "-e", "u-law"]).arg(&out).status().expect("sox runs");
    assert!(ok.success());
    out
}

/// The mu-law bytes of a WAV's `data` chunk.
pub fn wav_data(path: &std::path::Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if &bytes[at..at + 4] == b"data" {
            return bytes[at + 8..(at + 8 + len).min(bytes.len())].to_vec();
        }
        at += 8 + len + (len & 1);
    }
    panic!("{}: no data chunk", path.display())
}

mod report;

/// Waits up to 5 s for the handler to see `done`.
async fn until(rec: &Recorder, done: impl Fn(&Seen) -> bool) -> Seen {
    for _ in 0..100 {
        if done(&rec.seen()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rec.seen()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_call_keys_a_pin_by_rfc4733_and_the_handler_hangs_up() {
    let rec = Recorder::new(400, Some('#'));
    let ep = endpoint(rec.clone(), |_| {}).await;
    let run = call("dtmf_call.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    let seen = until(&rec, |s| s.ended == 1).await;
    assert_eq!(seen.digits, "4821#", "{seen:?}");
    assert_eq!(seen.calls.len(), 1);
    assert!(seen.calls[0].caller.contains("sip:sipp@127.0.0.1"), "{:?}", seen.calls[0]);
    assert_eq!(seen.play_done, vec![1, 2], "the prompt, then the goodbye, each reported after its last frame");
    assert_eq!(seen.hangups, 0, "the handler hung up itself");
    // About 2.5 s of call: the caller's time reaches the handler as 20 ms frames.
    assert!(seen.audio_frames > 80, "{seen:?}");
    let stats = &ep.stats;
    assert_eq!(stats.calls_answered.load(Ordering::Relaxed), 1);
    assert!(stats.media.rtp_in.load(Ordering::Relaxed) > 40 && stats.media.rtp_out.load(Ordering::Relaxed) > 80);
    assert_eq!(stats.calls_active.load(Ordering::Relaxed), 0);
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_cancel_before_answer_gets_487() {
    let rec = Recorder::new(400, None);
    let ep = endpoint(rec.clone(), |c| c.ring = Duration::from_secs(3)).await;
    let run = call("cancel.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(rec.seen().calls.is_empty(), "a cancelled call never reaches the handler");
    assert_eq!(ep.stats.calls_answered.load(Ordering::Relaxed), 0, "no 200 after the CANCEL");
    assert_eq!(ep.stats.calls_active.load(Ordering::Relaxed), 0);
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_bye_mid_prompt_ends_the_call_and_the_handler_hears_hangup() {
    let rec = Recorder::new(6000, None);
    let ep = endpoint(rec.clone(), |_| {}).await;
    let run = call("bye_mid_prompt.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    let seen = until(&rec, |s| s.ended == 1).await;
    assert_eq!((seen.hangups, seen.ended), (1, 1), "{seen:?}");
    assert!(seen.play_done.is_empty(), "the 6 s prompt was cut off: {seen:?}");
    assert_eq!(ep.stats.calls_active.load(Ordering::Relaxed), 0);
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_over_the_cap_gets_486_and_a_silent_call_times_out() {
    let rec = Recorder::new(200, None);
    let ep = endpoint(rec.clone(), |c| {
        c.max_calls = 1;
        c.rtp_timeout = Duration::from_secs(3);
    })
    .await;
    let addr = ep.addr;
    let first = tokio::spawn(call("silent_call.xml", addr, &[]));
    for _ in 0..100 {
        if ep.stats.calls_active.load(Ordering::Relaxed) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let busy = call("busy.xml", addr, &[]).await;
    assert!(busy.ok, "sipp (busy) failed:\n{}", busy.log);
    // The first call sends no RTP: after 3 s we hang up with BYE, which its scenario expects.
    let first = first.await.unwrap();
    assert!(first.ok, "sipp (silent call) failed:\n{}", first.log);
    let seen = until(&rec, |s| s.ended == 1).await;
    assert_eq!((seen.calls.len(), seen.hangups), (1, 1), "{seen:?}");
    assert_eq!(ep.stats.rtp_timeouts.load(Ordering::Relaxed), 1);
    assert_eq!(ep.stats.calls_refused.load(Ordering::Relaxed), 1);
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_from_a_non_allowed_address_gets_403() {
    let rec = Recorder::new(200, None);
    let ep = endpoint(rec.clone(), |c| c.allow = vec!["192.0.2.0/24".parse::<Cidr>().unwrap()]).await;
    let run = call("forbidden.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    assert!(rec.seen().calls.is_empty());
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_digest_trunk_is_challenged_then_answered() {
    let rec = Recorder::new(200, None);
    let ep = endpoint(rec.clone(), |c| {
        c.allow.clear();
        c.digest = Some(DigestCredentials { user: "trunk".into(), password: "s3cret".into(), realm: "fieldvoice".into() });
    })
    .await;
    let run = call("digest_call.xml", ep.addr, &["-au", "trunk", "-ap", "s3cret"]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    let wrong = call("digest_call.xml", ep.addr, &["-au", "trunk", "-ap", "guess"]).await;
    assert!(!wrong.ok, "a wrong password must not be answered");
    let seen = until(&rec, |s| s.ended == 1).await;
    assert_eq!(seen.calls.len(), 1, "{seen:?}");
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_offer_without_g711_gets_488_and_options_get_200() {
    let rec = Recorder::new(200, None);
    let ep = endpoint(rec.clone(), |_| {}).await;
    let run = call("no_codec.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    let run = call("options.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    assert!(rec.seen().calls.is_empty());
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_sip_and_rtp_ports_is_dropped_and_calls_still_work() {
    let rec = Recorder::new(400, Some('#'));
    let base = 41_000 + (std::process::id() % 500) as u16 * 16;
    let ep = endpoint(rec.clone(), |c| c.rtp_ports = (base, base + 8)).await;
    let sip = ep.addr;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut seed = 0x1234_5678u64;
            let mut junk = |n: usize| -> Vec<u8> {
                (0..n).map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect()
            };
            let sip_junk: Vec<Vec<u8>> = vec![
                b"INVITE sip:x SIP/2.0\r\n\r\n".to_vec(),
                b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n".to_vec(),
                b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999\r\nCall-ID: x\r\n\r\n".to_vec(),
                b"BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nCSeq: x BYE\r\n\r\n".to_vec(),
                vec![0xff; 1400],
            ];
            let mut rounds = 0;
            while !stop.load(Ordering::Relaxed) && rounds < 2000 {
                rounds += 1;
                for j in &sip_junk {
                    let _ = s.send_to(j, sip);
                }
                let _ = s.send_to(&junk(rounds % 300), sip);
                for port in (base..=base + 8).step_by(2) {
                    let mut rtp = junk(12 + rounds % 200);
                    rtp[0] = 0x80 | (rtp[0] & 0x3f);
                    for p in [junk(rounds % 40), rtp, vec![0x80, 101, 0, 1]] {
                        let _ = s.send_to(&p, ("127.0.0.1", port));
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let run = call("dtmf_call.xml", sip, &[]).await;
    stop.store(true, Ordering::Relaxed);
    flood.join().unwrap();
    assert!(run.ok, "sipp failed under garbage:\n{}", run.log);
    let seen = until(&rec, |s| s.ended == 1).await;
    assert_eq!(seen.digits, "4821#", "{seen:?}");
    assert!(ep.stats.media.rtp_malformed.load(Ordering::Relaxed) > 0, "the junk reached the RTP port and was counted");
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_keys_by_sip_info_reach_the_handler() {
    let rec = Recorder::new(200, Some('#'));
    let ep = endpoint(rec.clone(), |_| {}).await;
    let run = call("info_dtmf.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    let seen = until(&rec, |s| s.ended == 1).await;
    assert_eq!(seen.digits, "7#", "{seen:?}");
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_rtp_stream_reaches_the_handler_sample_for_sample() {
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "speech.wav", "Customer Acme Foods. The condenser fan was not spinning.");
    let rec = Recorder::new(200, None);
    let ep = endpoint(rec.clone(), |_| {}).await;
    let run = call_with("stream_call.xml", ep.addr, vec![wav.clone()]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    let seen = until(&rec, |s| s.ended == 1).await;
    // G.711 decoding is exact: the handler gets the WAV's samples, in order, after the jitter buffer's
    // silence (the last partial packet aside).
    let sent = fieldvoice::audio::g711::decode_mulaw(&wav_data(&wav));
    let want = &sent[..sent.len() - 160];
    let first = want.iter().position(|&v| v != 0).unwrap();
    let got = &seen.audio;
    let tail = &want[first..];
    let found = (0..(got.len() + 1).saturating_sub(tail.len())).any(|i| got[i..i + tail.len()] == *tail);
    assert!(found, "the streamed speech is not in the {} samples the handler got", got.len());
    assert_eq!(ep.stats.media.rtp_lost.load(Ordering::Relaxed), 0);
    assert_eq!(ep.stats.media.drops(), 0);
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_reinvite_mid_call_is_answered_and_the_call_goes_on() {
    let rec = Recorder::new(3000, None);
    let ep = endpoint(rec.clone(), |_| {}).await;
    let run = call("reinvite.xml", ep.addr, &[]).await;
    assert!(run.ok, "sipp failed:\n{}", run.log);
    let seen = until(&rec, |s| s.ended == 1).await;
    assert_eq!((seen.calls.len(), seen.hangups), (1, 1), "one call, ended by the caller's BYE: {seen:?}");
    ep.shutdown().await;
}
