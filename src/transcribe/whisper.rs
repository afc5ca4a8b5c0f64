//! The whisper-rs (whisper.cpp) implementation of [`Transcriber`]: one shared model, one state per call,
//! gated by voice activity detection and filtered against hallucinations.
//! Must not depend on extract, store, http or jobs; uses `audio` only for voice activity detection.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Once};

use whisper_rs::{
    DtwMode, DtwModelPreset, DtwParameters, FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters,
    WhisperState,
};

use super::filter::{STOCK_PHRASE_CONFIDENCE, is_annotation, is_stock_phrase, keep_segment};
use super::words::{Token, fit_times, merge_words, snap_starts};
use super::{Segment, TranscribeError, TranscribeOptions, Transcript, Transcriber};
use crate::audio::{self, SAMPLE_RATE};

/// Whisper writes Traditional characters for Mandarin unless the prompt is in Simplified Mandarin.
const ZH_PROMPT: &str = "以下是普通话的句子。";

/// How to load a model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// CPU threads per transcription when the job does not say (0 = [`default_threads`]).
    pub threads: usize,
    /// Flash attention in whisper.cpp (its own default, and faster on CPU); whisper-rs turns it off by default.
    /// whisper.cpp cannot align words (DTW) with it, so it is off whenever `word_alignment` is in use.
    pub flash_attn: bool,
    /// Word times from whisper.cpp's DTW alignment (cross-attention heads of a known model size). Without it, or
    /// for a model of unknown shape, word times are Whisper's token estimates fitted into their segment.
    pub word_alignment: bool,
    /// Name stored with transcripts; defaults to the file name without `ggml-` and `.bin`.
    pub name: Option<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { threads: 0, flash_attn: true, word_alignment: true, name: None }
    }
}

/// whisper.cpp's own default: the machine's cores, at most 4.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
}

/// A loaded GGML Whisper model. Cheap to share: clone the `Arc` it lives in, or the transcriber itself.
#[derive(Clone)]
pub struct WhisperTranscriber {
    ctx: Arc<WhisperContext>,
    name: String,
    multilingual: bool,
    threads: usize,
    /// True when whisper.cpp fills in DTW token times (`t_dtw`).
    aligned: bool,
}

impl std::fmt::Debug for WhisperTranscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperTranscriber")
            .field("name", &self.name)
            .field("multilingual", &self.multilingual)
            .field("threads", &self.threads)
            .field("aligned", &self.aligned)
            .finish()
    }
}

impl WhisperTranscriber {
    /// Validates the GGML file (a bad file never reaches whisper.cpp), then loads it.
    pub fn load(path: &Path, opts: LoadOptions) -> Result<Self, TranscribeError> {
        install_log_hook();
        let info = crate::model::ggml::validate(path).map_err(|e| TranscribeError::Model(e.to_string()))?;
        let mut params = WhisperContextParameters::default();
        let preset = if opts.word_alignment { dtw_preset(&info.hparams, info.multilingual) } else { None };
        params.flash_attn(opts.flash_attn && preset.is_none());
        let aligned = preset.is_some();
        if let Some(model_preset) = preset {
            params.dtw_parameters(DtwParameters { mode: DtwMode::ModelPreset { model_preset }, ..DtwParameters::default() });
        }
        let ctx = WhisperContext::new_with_params(path, params).map_err(|e| {
            TranscribeError::Model(format!("{}: whisper.cpp could not load it ({e})", path.display()))
        })?;
        let name = opts.name.unwrap_or_else(|| name_from_path(path));
        let threads = if opts.threads == 0 { default_threads() } else { opts.threads };
        Ok(Self { ctx: Arc::new(ctx), name, multilingual: info.multilingual, threads, aligned })
    }

    /// True for models that know languages other than English.
    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }

    /// True when word times come from whisper.cpp's DTW alignment rather than token estimates.
    pub fn has_word_alignment(&self) -> bool {
        self.aligned
    }

    /// Threads used when a job does not ask for a number.
    pub fn default_threads(&self) -> usize {
        self.threads
    }

    /// The language to force, or None to detect it; refuses unknown codes and zh on English-only models.
    fn forced_language(&self, opts: &TranscribeOptions) -> Result<Option<String>, TranscribeError> {
        let Some(code) = opts.language.code() else {
            return Ok((!self.multilingual).then(|| "en".to_string()));
        };
        let known = !code.is_empty()
            && code.len() <= 8
            && code.chars().all(|c| c.is_ascii_alphabetic())
            && whisper_rs::get_lang_id(code).is_some();
        if !known {
            return Err(TranscribeError::Language(format!("{code:?} is not a language code Whisper knows")));
        }
        if !self.multilingual && code != "en" {
            return Err(TranscribeError::Language(format!(
                "model {} is English-only and cannot transcribe {code:?}; use a multilingual model such as base",
                self.name
            )));
        }
        Ok(Some(code.to_string()))
    }

    /// Runs whisper.cpp on `clip` (whose first sample is `offset` in the caller's audio) and reads the segments.
    fn run(
        &self,
        clip: &[f32],
        offset: usize,
        language: Option<&str>,
        prompt: &str,
        threads: usize,
        beam: bool,
    ) -> Result<(Vec<RawSegment>, String), TranscribeError> {
        let inference = |what: &str, e: whisper_rs::WhisperError| TranscribeError::Inference(format!("{what}: {e}"));
        let mut state = self.ctx.create_state().map_err(|e| inference("cannot create a whisper state", e))?;
        let strategy = if beam {
            SamplingStrategy::BeamSearch { beam_size: 5, patience: -1.0 }
        } else {
            SamplingStrategy::Greedy { best_of: 1 }
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(c_int::try_from(threads).unwrap_or(c_int::MAX));
        params.set_language(Some(language.unwrap_or("auto")));
        params.set_translate(false);
        params.set_no_context(true);
        params.set_token_timestamps(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        if !prompt.is_empty() {
            params.set_initial_prompt(prompt);
        }
        state.full(params, clip).map_err(|e| inference("whisper.cpp failed", e))?;
        let language = whisper_rs::get_lang_str(state.full_lang_id_from_state()).unwrap_or("en").to_string();
        Ok((self.read_segments(&state, offset as f64 / f64::from(SAMPLE_RATE)), language))
    }

    fn read_segments(&self, state: &WhisperState, offset_s: f64) -> Vec<RawSegment> {
        let eot = self.ctx.token_eot();
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            let end_s = offset_s + centis(segment.end_timestamp());
            let mut tokens: Vec<Token> = Vec::new();
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else { continue };
                // Every special token ([_BEG_], [_TT_n], [_SOT_], language tags) has an id at or above end-of-text.
                if token.token_id() >= eot {
                    continue;
                }
                let data = token.token_data();
                let (start_s, token_end_s) = if self.aligned && data.t_dtw >= 0 {
                    // DTW gives the time each token begins; it ends where the next one begins.
                    let start_s = offset_s + centis(data.t_dtw);
                    if let Some(previous) = tokens.last_mut() {
                        previous.end_s = start_s.max(previous.start_s);
                    }
                    (start_s, end_s.max(start_s))
                } else {
                    (offset_s + centis(data.t0), offset_s + centis(data.t1))
                };
                tokens.push(Token {
                    bytes: token.to_bytes().map(<[u8]>::to_vec).unwrap_or_default(),
                    p: data.p,
                    start_s,
                    end_s: token_end_s,
                });
            }
            segments.push(RawSegment {
                start_s: offset_s + centis(segment.start_timestamp()),
                end_s,
                text: segment.to_bytes().map(|b| String::from_utf8_lossy(b).trim().to_string()).unwrap_or_default(),
                no_speech_prob: segment.no_speech_probability(),
                tokens,
            });
        }
        segments
    }
}

/// whisper.cpp's alignment-head preset for a standard model, recognised by its shape; None for other shapes
/// (fine-tunes keep the shape of their base model and its heads usually still align). Large v1 and v2 share a
/// shape and differ in heads, so they get no preset.
fn dtw_preset(h: &crate::model::ggml::Hparams, multilingual: bool) -> Option<DtwModelPreset> {
    use DtwModelPreset::*;
    let shape = (h.n_audio_layer, h.n_text_layer, h.n_text_state, h.n_mels);
    Some(match (shape, multilingual) {
        ((4, 4, 384, 80), false) => TinyEn,
        ((4, 4, 384, 80), true) => Tiny,
        ((6, 6, 512, 80), false) => BaseEn,
        ((6, 6, 512, 80), true) => Base,
        ((12, 12, 768, 80), false) => SmallEn,
        ((12, 12, 768, 80), true) => Small,
        ((24, 24, 1024, 80), false) => MediumEn,
        ((24, 24, 1024, 80), true) => Medium,
        ((32, 32, 1280, 128), true) => LargeV3,
        ((32, 4, 1280, 128), true) => LargeV3Turbo,
        _ => return None,
    })
}

impl Transcriber for WhisperTranscriber {
    fn transcribe(&self, samples: &[f32], opts: &TranscribeOptions) -> Result<Transcript, TranscribeError> {
        let language = self.forced_language(opts)?;
        let unknown = language.clone().unwrap_or_else(|| "und".to_string());
        let regions = audio::vad::speech_regions(samples);
        let Some(span) = speech_span(&regions, samples.len()) else {
            return Ok(Transcript::empty(&unknown));
        };
        let zh = language.as_deref() == Some("zh");
        let prompt = build_prompt(zh, opts.initial_prompt.as_deref());
        let threads = if opts.threads == 0 { self.threads } else { opts.threads };
        let clip = &samples[span.clone()];
        let (mut raw, mut detected) = self.run(clip, span.start, language.as_deref(), &prompt, threads, false)?;
        let speech_s = regions.iter().map(|r| r.len()).sum::<usize>() as f64 / f64::from(SAMPLE_RATE);
        if looks_cut_short(&raw, speech_s) {
            // Greedy decoding sometimes jumps to the end of the 30 s window after the first sentence (seen with a
            // vocabulary prompt on telephone audio); beam search does not. Keep whichever heard more.
            let (beam_raw, beam_detected) = self.run(clip, span.start, language.as_deref(), &prompt, threads, true)?;
            if text_chars(&beam_raw) > text_chars(&raw) {
                (raw, detected) = (beam_raw, beam_detected);
            }
        }
        let duration_s = samples.len() as f64 / f64::from(SAMPLE_RATE);
        let simplify = zh || detected == "zh";
        let speech = voiced_spans(&regions);
        Ok(assemble(raw, detected, duration_s, simplify, &speech))
    }

    fn model_name(&self) -> &str {
        &self.name
    }
}

/// A segment as whisper.cpp gave it, before filtering.
struct RawSegment {
    start_s: f64,
    end_s: f64,
    text: String,
    no_speech_prob: f32,
    tokens: Vec<Token>,
}

/// The voice activity detector's regions in seconds without its padding: where speech was heard.
fn voiced_spans(regions: &[Range<usize>]) -> Vec<(f64, f64)> {
    let rate = f64::from(SAMPLE_RATE);
    let pad = audio::vad::VadConfig::regions().padding.as_secs_f64();
    regions
        .iter()
        .map(|r| (r.start as f64 / rate, r.end as f64 / rate))
        .map(|(start, end)| if end - start > 2.0 * pad { (start + pad, end - pad) } else { (start, end) })
        .collect()
}

/// Filters hallucinations, builds words, keeps times ordered and inside the clip and their segment, moves word
/// starts onto heard speech (`speech`, seconds), converts zh to Simplified.
fn assemble(raw: Vec<RawSegment>, language: String, duration_s: f64, simplify: bool, speech: &[(f64, f64)]) -> Transcript {
    let convert = |text: &str| if simplify { zhconv::zhconv(text, zhconv::Variant::ZhHans) } else { text.to_string() };
    let mut segments: Vec<Segment> = Vec::new();
    let mut floor = 0.0;
    for seg in raw {
        let confidence = mean(seg.tokens.iter().map(|t| t.p.clamp(0.0, 1.0)));
        if seg.tokens.is_empty() || is_annotation(&seg.text) || !keep_segment(seg.no_speech_prob, confidence) {
            continue;
        }
        let start_s = seg.start_s.clamp(floor, duration_s);
        let end_s = seg.end_s.clamp(start_s, duration_s);
        floor = start_s;
        let mut words = merge_words(&seg.tokens);
        fit_times(&mut words, start_s, end_s);
        for word in &mut words {
            word.text = convert(&word.text);
        }
        segments.push(Segment { start_s, end_s, text: convert(&seg.text), confidence, words });
    }
    let mut starts: Vec<f64> = segments.iter().flat_map(|s| &s.words).map(|w| w.start_s).collect();
    snap_starts(&mut starts, speech);
    let mut starts = starts.into_iter();
    for segment in &mut segments {
        for (word, start_s) in segment.words.iter_mut().zip(&mut starts) {
            word.start_s = start_s;
        }
        fit_times(&mut segment.words, segment.start_s, segment.end_s);
    }
    let separator = if matches!(language.as_str(), "zh" | "ja" | "yue") { "" } else { " " };
    let text = segments.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(separator);
    let transcript = Transcript { text, language, segments };
    if is_stock_phrase(&transcript.text) && transcript.confidence() < STOCK_PHRASE_CONFIDENCE {
        return Transcript::empty(&transcript.language);
    }
    transcript
}

/// The part of the clip worth sending to Whisper: first to last speech region, or None when there is no speech.
fn speech_span(regions: &[Range<usize>], len: usize) -> Option<Range<usize>> {
    let (first, last) = (regions.first()?, regions.last()?);
    // A little more context than the VAD's own padding: Whisper clips soft word edges less with it.
    let margin = SAMPLE_RATE as usize / 4;
    Some(first.start.saturating_sub(margin)..(last.end + margin).min(len))
}

/// Speech is ~10-15 characters a second in alphabetic languages and ~3-5 in Chinese; far less text than the
/// voice activity detector's speech time means Whisper stopped early.
fn looks_cut_short(raw: &[RawSegment], speech_s: f64) -> bool {
    if speech_s < 4.0 {
        return false;
    }
    let text: String = raw.iter().map(|s| s.text.as_str()).collect();
    let cjk = text.chars().filter(|c| super::words::is_cjk(*c)).count();
    let per_second = if cjk * 2 > text.chars().count() { 1.5 } else { 5.0 };
    (text.chars().count() as f64) < per_second * speech_s
}

fn text_chars(raw: &[RawSegment]) -> usize {
    raw.iter().map(|s| s.text.chars().count()).sum()
}

/// The initial prompt: the Mandarin style hint for zh, then the caller's vocabulary (NUL bytes cannot pass to C).
fn build_prompt(zh: bool, user: Option<&str>) -> String {
    let user = user.unwrap_or("").replace('\0', " ");
    let user = user.trim();
    match (zh, user.is_empty()) {
        (true, true) => ZH_PROMPT.to_string(),
        (true, false) => format!("{ZH_PROMPT}{user}"),
        (false, _) => user.to_string(),
    }
}

fn mean(values: impl Iterator<Item = f32>) -> f32 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f32 }
}

/// whisper.cpp times are in centiseconds.
fn centis(t: i64) -> f64 {
    t.max(0) as f64 / 100.0
}

fn name_from_path(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    stem.strip_prefix("ggml-").unwrap_or(&stem).to_string()
}

/// Routes whisper.cpp and GGML log lines (which go to stderr by default) to `tracing` at debug level.
fn install_log_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: the callback never unwinds (tracing does not panic on a message) and only reads the C string.
        unsafe { whisper_rs::set_log_callback(Some(log_to_tracing), std::ptr::null_mut()) }
    });
}

unsafe extern "C" fn log_to_tracing(_level: u32, text: *const c_char, _user: *mut c_void) {
    if text.is_null() {
        return;
    }
    // SAFETY: whisper.cpp passes a NUL-terminated string valid for the duration of the call.
    let line = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    let line = line.trim_end();
    if !line.is_empty() {
        tracing::debug!(target: "whisper_cpp", "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str, p: f32, no_speech_prob: f32, start_s: f64, end_s: f64) -> RawSegment {
        let tokens = text
            .split_inclusive(' ')
            .map(|w| Token { bytes: format!(" {}", w.trim()).into_bytes(), p, start_s, end_s })
            .collect();
        RawSegment { start_s, end_s, text: text.to_string(), no_speech_prob, tokens }
    }

    #[test]
    fn stock_phrase_alone_and_unsure_is_dropped_but_confident_speech_stays() {
        assert_eq!(assemble(vec![raw("Thank you.", 0.5, 0.1, 0.0, 1.0)], "en".into(), 2.0, false, &[]).text, "");
        assert_eq!(assemble(vec![raw("Thank you.", 0.95, 0.1, 0.0, 1.0)], "en".into(), 2.0, false, &[]).text, "Thank you.");
    }

    #[test]
    fn no_speech_unsure_segments_and_annotations_are_dropped() {
        let t = assemble(
            vec![
                raw("[BLANK_AUDIO]", 0.9, 0.0, 0.0, 1.0),
                raw("Replaced the fan.", 0.9, 0.1, 1.0, 2.0),
                raw("so so", 0.2, 0.9, 2.0, 3.0),
            ],
            "en".into(),
            3.0,
            false,
            &[],
        );
        assert_eq!(t.text, "Replaced the fan.");
        assert_eq!(t.segments[0].words.len(), 3);
    }

    #[test]
    fn times_are_clamped_into_the_clip_and_ordered() {
        let t = assemble(
            vec![raw("one", 0.9, 0.0, 1.0, 9.0), raw("two", 0.9, 0.0, 0.5, 1.5)],
            "en".into(),
            4.0,
            false,
            &[],
        );
        assert_eq!((t.segments[0].start_s, t.segments[0].end_s), (1.0, 4.0));
        assert!(t.segments[1].start_s >= t.segments[0].start_s);
        assert!(t.segments.iter().all(|s| s.end_s <= 4.0));
    }

    #[test]
    fn zh_output_becomes_simplified_and_joins_without_spaces() {
        let t = assemble(vec![raw("設備編號", 0.9, 0.0, 0.0, 1.0), raw("狀態", 0.9, 0.0, 1.0, 2.0)], "zh".into(), 2.0, true, &[]);
        assert_eq!(t.text, "设备编号状态");
    }

    #[test]
    fn prompt_has_the_mandarin_hint_for_zh_and_no_nul_bytes() {
        assert_eq!(build_prompt(true, None), ZH_PROMPT);
        assert_eq!(build_prompt(false, Some(" Acme\0Foods ")), "Acme Foods");
        assert!(build_prompt(true, Some("Acme")).ends_with("Acme"));
    }

    #[test]
    fn model_name_comes_from_the_file_name() {
        assert_eq!(name_from_path(Path::new("models/ggml-tiny.en.bin")), "tiny.en");
        assert_eq!(name_from_path(Path::new("/x/custom.bin")), "custom");
    }

    #[test]
    fn silence_has_no_speech_span() {
        let silence = vec![0.0; SAMPLE_RATE as usize * 2];
        assert_eq!(speech_span(&audio::vad::speech_regions(&silence), silence.len()), None);
        assert_eq!(speech_span(&[16_000..32_000], 40_000), Some(12_000..36_000));
    }

    #[test]
    fn too_little_text_for_the_speech_time_is_cut_short() {
        let one_sentence = [raw("Service report for asset 4471, customer Acme Foods.", 0.9, 0.0, 0.0, 30.0)];
        assert!(looks_cut_short(&one_sentence, 17.0));
        assert!(!looks_cut_short(&one_sentence, 4.5));
        assert!(!looks_cut_short(&[raw("设备编号六六零一更换了加热管", 0.9, 0.0, 0.0, 5.0)], 6.0));
    }
}
