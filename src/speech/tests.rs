//! Speech tests: real espeak-ng renders English and Mandarin, the disk cache is used and keyed by text,
//! and a pre-recorded WAV replaces a prompt.

use super::*;

fn prompt(id: &str, lang: &str, text: &str) -> Say {
    Say::Prompt { id: id.into(), lang: lang.into(), text: text.into(), fixed: true }
}

fn energy(s: &[i16]) -> f64 {
    s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64
}

#[test]
fn espeak_renders_english_and_mandarin_at_8khz_and_caches_on_disk() {
    let dir = std::env::temp_dir().join(format!("fv-speech-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = EspeakRenderer::new(Some(dir.join("cache")), None);
    let en = r.render(&prompt("goodbye", "en", "Goodbye.")).unwrap();
    let zh = r.render(&prompt("goodbye", "zh", "再见。")).unwrap();
    // Half a second to two seconds of audible speech at 8 kHz.
    for s in [&en, &zh] {
        assert!((4000..16000).contains(&s.len()), "{}", s.len());
        assert!(energy(s) > 1e5, "{}", energy(s));
    }
    assert_eq!(r.synthesised(), 2);
    assert_eq!(std::fs::read_dir(dir.join("cache")).unwrap().count(), 2);
    // A fresh renderer (a restart) reads the cache; a changed text is rendered again.
    let again = EspeakRenderer::new(Some(dir.join("cache")), None);
    assert_eq!(again.render(&prompt("goodbye", "en", "Goodbye.")).unwrap(), en);
    assert_eq!(again.synthesised(), 0);
    again.render(&prompt("goodbye", "en", "Goodbye for now.")).unwrap();
    assert_eq!(again.synthesised(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn renders_from_many_threads_at_once() {
    let r = Arc::new(EspeakRenderer::new(None, None));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let r = r.clone();
            std::thread::spawn(move || r.render(&prompt("x", "en", &format!("Ticket number {i}."))).unwrap().len())
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > 4000);
    }
}

#[test]
fn a_recorded_wav_replaces_a_fixed_prompt_only() {
    let dir = std::env::temp_dir().join(format!("fv-audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let samples: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    std::fs::write(dir.join("welcome.en.wav"), crate::audio::encode_wav_pcm16(&samples, 16000).unwrap()).unwrap();
    let r = EspeakRenderer::new(None, Some(dir.clone()));
    let recorded = r.render(&prompt("welcome", "en", "Welcome.")).unwrap();
    assert_eq!(recorded.len(), 8000, "one second at 8 kHz");
    assert_eq!(r.synthesised(), 0);
    let dynamic = Say::Prompt { id: "welcome".into(), lang: "en".into(), text: "Welcome.".into(), fixed: false };
    r.render(&dynamic).unwrap();
    assert_eq!(r.synthesised(), 1);
    std::fs::write(dir.join("goodbye.en.wav"), b"not a wav").unwrap();
    let e = r.render(&prompt("goodbye", "en", "Goodbye.")).unwrap_err().to_string();
    assert!(e.starts_with("pre-recorded prompt ") && e.contains("goodbye.en.wav"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tones_and_the_fake() {
    assert_eq!(tone(150).len(), 1200);
    let f = FakeRenderer::default();
    assert_eq!(f.render(&prompt("a", "en", "abcdefghij")).unwrap().len(), 3200);
    assert_eq!(f.calls(), 1);
}
