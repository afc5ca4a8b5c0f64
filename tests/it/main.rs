//! The one integration test binary: runs the built `fieldvoice` command and the library end to end.

mod support;
mod transcribe;
