//! Upload acceptance under load: 50 concurrent clients POST a 1 s WAV over loopback HTTP to the real
//! router (decode check, fsync'd file, committed recording + report + job), on SQLite and on PostgreSQL.
//! Prints accepted uploads per second and p50/p99 accept latency. Run: `cargo bench --bench api`
//! (FIELDVOICE_TEST_PG_URL overrides postgres://postgres@127.0.0.1:5432/test; BENCH_UPLOADS sets the count).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use fieldvoice::extract::form::load_forms;
use fieldvoice::http::{AppState, app, serve};
use fieldvoice::store::Store;

const CLIENTS: usize = 50;

fn tone_wav() -> Vec<u8> {
    let samples: Vec<f32> = (0..16_000).map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin()).collect();
    fieldvoice::audio::encode_wav_pcm16(&samples, 16_000).expect("encode")
}

fn post(addr: &str, token: &str, body: &[u8]) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: audio/wav\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(body).expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read");
    String::from_utf8_lossy(&out).split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn run(label: &str, url: &str, uploads: usize) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let data = tempfile::tempdir().expect("temp dir");
    let (addr, token) = rt.block_on(async {
        let store = Store::connect(url).await.unwrap_or_else(|e| panic!("{label}: {e}"));
        store.create_technician("bench", "Bench", "4821").await.expect("technician");
        let (token, _) = store.login("bench", "4821").await.expect("login").expect("token");
        let state = AppState::new(store, data.path().to_path_buf(), 25 << 20, load_forms(None).expect("forms"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        tokio::spawn(serve(listener, app(state), std::future::pending()));
        (addr, token)
    });
    let wav = tone_wav();
    let started = Instant::now();
    let per_client = uploads / CLIENTS;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (addr, token, wav) = (addr.clone(), token.clone(), wav.clone());
            std::thread::spawn(move || {
                (0..per_client)
                    .map(|_| {
                        let t = Instant::now();
                        let status = post(&addr, &token, &wav);
                        assert_eq!(status, 202, "upload refused");
                        t.elapsed()
                    })
                    .collect::<Vec<Duration>>()
            })
        })
        .collect();
    let mut lat: Vec<Duration> = threads.into_iter().flat_map(|t| t.join().expect("client")).collect();
    let elapsed = started.elapsed();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "{label}: {} uploads of {} bytes by {CLIENTS} clients in {:.2} s: {:.0} accepted/s, p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        wav.len(),
        elapsed.as_secs_f64(),
        lat.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );
}

fn main() {
    let uploads: usize = std::env::var("BENCH_UPLOADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().expect("temp dir");
    run("sqlite", &format!("sqlite://{}/bench.db", dir.path().display()), uploads);
    let pg = std::env::var("FIELDVOICE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("fv_bench_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&pg).await.unwrap_or_else(|e| panic!("PostgreSQL at {pg}: {e}"));
        sqlx::query(&format!("create schema {schema}")).execute(&admin).await.expect("schema");
    });
    let sep = if pg.contains('?') { '&' } else { '?' };
    run("postgres", &format!("{pg}{sep}options=-c%20search_path%3D{schema}"), uploads);
    rt.block_on(async {
        let admin = sqlx::AnyPool::connect(&pg).await.expect("reconnect");
        sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.expect("drop schema");
    });
}
