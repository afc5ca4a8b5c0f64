//! fieldvoice: dictated field-service reports and IVR menus turned into verified CRM records.
//!
//! Pure core (no I/O): [`audio`], [`extract`]. Adapters behind traits: [`transcribe`], [`model`].
//! See the README for the architecture and DESIGN notes.

pub mod app;
pub mod audio;
pub mod config;
pub mod dialog;
pub mod extract;
pub mod http;
pub mod jobs;
pub mod model;
pub mod speech;
pub mod store;
pub mod telephony;
pub mod transcribe;
