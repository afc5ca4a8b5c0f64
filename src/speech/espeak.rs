//! espeak-ng in-process through espeakng-sys. The library keeps global state and is not thread-safe, so
//! every call goes through one lock; synthesis is synchronous and collects samples in a callback.

use std::cell::RefCell;
use std::ffi::CString;
use std::sync::Mutex;

use espeakng_sys as sys;

use super::SpeechError;

/// One lock around the whole library; holds its output sample rate once initialised.
static ENGINE: Mutex<Option<u32>> = Mutex::new(None);

thread_local! {
    static OUTPUT: RefCell<Vec<i16>> = const { RefCell::new(Vec::new()) };
}

/// The espeak-ng voice for a dialog language: "cmn" (Mandarin) for zh, "en-us" otherwise.
pub fn voice_for(lang: &str) -> &'static str {
    if lang == "zh" { "cmn" } else { "en-us" }
}

unsafe extern "C" fn collect(wav: *mut std::os::raw::c_short, n: std::os::raw::c_int, _events: *mut sys::espeak_EVENT) -> std::os::raw::c_int {
    if !wav.is_null() && n > 0 {
        // SAFETY: espeak-ng hands us `n` valid samples at `wav` for the duration of the call.
        let samples = unsafe { std::slice::from_raw_parts(wav, n as usize) };
        OUTPUT.with(|o| o.borrow_mut().extend_from_slice(samples));
    }
    0
}

/// Synthesises `text` with `voice` at `rate_wpm` words per minute; returns the samples and their rate (22,050 Hz with Debian's data).
pub fn synthesise(voice: &str, rate_wpm: i32, text: &str) -> Result<(Vec<i16>, u32), SpeechError> {
    let mut engine = ENGINE.lock().unwrap_or_else(|p| p.into_inner());
    let rate = match *engine {
        Some(rate) => rate,
        None => {
            // SAFETY: called once, under the lock; a null path means the installed espeak-ng data.
            let rate = unsafe {
                sys::espeak_Initialize(sys::espeak_AUDIO_OUTPUT_AUDIO_OUTPUT_SYNCHRONOUS, 0, std::ptr::null(), 0)
            };
            if rate <= 0 {
                return Err(SpeechError::Engine(format!("initialisation failed ({rate}); is espeak-ng-data installed?")));
            }
            // SAFETY: `collect` matches t_espeak_callback and only touches this thread's buffer.
            unsafe { sys::espeak_SetSynthCallback(Some(collect)) };
            *engine = Some(rate as u32);
            rate as u32
        }
    };
    let name = CString::new(voice).map_err(|_| SpeechError::Engine(format!("bad voice name {voice:?}")))?;
    // SAFETY: under the lock; `name` outlives the call.
    let err = unsafe { sys::espeak_SetVoiceByName(name.as_ptr()) };
    if err != sys::espeak_ERROR_EE_OK {
        return Err(SpeechError::Engine(format!("voice {voice} not found ({err})")));
    }
    // SAFETY: under the lock.
    unsafe { sys::espeak_SetParameter(sys::espeak_PARAMETER_espeakRATE, rate_wpm, 0) };
    let clean: String = text.chars().map(|c| if c == '\0' { ' ' } else { c }).collect();
    let ctext = CString::new(clean).map_err(|_| SpeechError::Engine("text with a NUL byte".into()))?;
    OUTPUT.with(|o| o.borrow_mut().clear());
    // SAFETY: under the lock; the text is NUL-terminated UTF-8 and outlives the synchronous call, which
    // invokes `collect` on this thread before returning.
    let err = unsafe {
        sys::espeak_Synth(
            ctext.as_ptr().cast(),
            ctext.as_bytes_with_nul().len(),
            0,
            sys::espeak_POSITION_TYPE_POS_CHARACTER,
            0,
            sys::espeakCHARS_UTF8,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    let samples = OUTPUT.with(|o| std::mem::take(&mut *o.borrow_mut()));
    if err != sys::espeak_ERROR_EE_OK {
        return Err(SpeechError::Engine(format!("synthesis failed ({err})")));
    }
    Ok((samples, rate))
}
