//! The IVR dialog: a sans-I/O state machine (events and time in, actions out) and the slot filling it shares
//! with device dictation. Never touches a socket, a file or the clock. Must not depend on telephony,
//! speech, transcribe, store, http, jobs or app.

pub mod slots;
