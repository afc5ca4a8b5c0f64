//! The one integration test binary: runs the built `fieldvoice` command and the library end to end.

mod support;
mod audio;
mod store;
mod api;
mod extract;
mod normalise;
mod model;
mod transcribe;
mod browser;
mod dictate;
mod sip;
mod call;
mod twilio;
