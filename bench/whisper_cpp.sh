#!/bin/sh
# whisper.cpp as a speed and memory peer for voce's Whisper, on random-weight checkpoints
# of the tiny and base shapes (no trained weights exist here), and a check that
# whisper.cpp's conversion of those checkpoints computes what our PyTorch reference does.
#
# usage: WHISPER_CPP_SRC=DIR bench/whisper_cpp.sh [BUILD_DIR]
#   (run from the repository root)
# env:   WHISPER_CPP_SRC  whisper.cpp's source: a git directory (what the `fetch` tool
#                         returns, e.g. /work/.mirror/ggml-org+whisper.cpp/repo; its HEAD is
#                         exported with git archive) or a checked-out tree. Needed only for
#                         the first run: later runs reuse PEER/src.
#        WCPP_DIR         where whisper.cpp is built and its models kept
#                         (default BUILD_DIR/peers/whisper.cpp; never inside the repository)
#        WCPP_OUT         results (default PEER/results)
#        WCPP_RUNS (3), WCPP_THREADS ("1 2"), WCPP_SHAPES ("tiny base"),
#        WCPP_TYPES ("f32 f16": weight types of the converted model), WCPP_JOBS (2),
#        WCPP_LONG (1: also the 10-minute input; 0 skips it), WCPP_LONG_RUNS (runs of the
#        10-minute input, default 1: ~20x the work of jfk.wav), WCPP_ATTN ("fa": whisper.cpp's
#        default flash attention; add "nfa" for the path without it), WCPP_WBENCH (1: also
#        whisper-bench's fixed workload; default 0), WCPP_PREPARE (1: stop once whisper.cpp
#        is built, the models converted and ten.wav made: what bench/whisper_peers.sh
#        needs), VOCE_TEST_DATA (default /work/shared, else ../shared).
# needs: cmake, a C/C++ compiler, sox, /usr/bin/time, /usr/bin/python3 with torch and
#        numpy; the whisper assets (DATA/models/whisper-assets: multilingual.tiktoken,
#        gpt2.tiktoken, mel_filters.npz) and DATA/audio. No network.
#
# What it does
#   1. Builds whisper.cpp (CMake Release, static, CPU only, GGML_NATIVE: -march=native,
#      so AVX-512 where the machine has it; OpenMP threads) outside the repository,
#      targets whisper-cli and whisper-bench.
#   2. Writes random checkpoints with bench/whisper_random_ckpt.py (OpenAI layout,
#      {"dims", "model_state_dict"}, multilingual tiny / base dimensions, fixed seeds) and
#      converts them with whisper.cpp's models/convert-pt-to-ggml.py. That script wants an
#      openai-whisper checkout for its assets: we lay out PEER/assets/whisper/assets/ with
#      links to mel_filters.npz, multilingual.tiktoken and gpt2.tiktoken, nothing else.
#      f32 = its "use-f32" argument on a float32 checkpoint (every tensor float32); f16 =
#      its default on a float16 checkpoint of the same weights (matrices float16; biases,
#      norms and positions float32). The converter does not cast matrices to float16
#      itself: given float32 data it writes a file that whisper.cpp cannot load.
#   3. Agreement (agreement.tsv): whisper-cli -l en -nt -nf -bs 1 -bo 1 -mc 0 -ojf on
#      jfk.wav with the f32 model, with and without flash attention (-fa, whisper.cpp's
#      default, / -nfa), against a PyTorch greedy decode of the same checkpoint with the
#      same logit suppression (whisper_random_ckpt.py greedy / compare). Even with f32
#      weights whisper.cpp rounds attention inputs and probabilities to float16 and uses
#      a float16 table of tanh-GELU. With -nfa that is all. Its flash-attention path
#      also attends, unmasked, over 36 zero keys (K/V padded 1500 -> 1536) in the
#      encoder and in cross-attention, which changes the result measurably; the
#      ref_fa_pad rows decode with that emulated to show it is the cause.
#   4. Speed and memory, each configuration WCPP_RUNS times (median reported):
#      - whisper-bench: a fixed workload independent of the weights: 1 encode of a 30 s
#        window, 256 single-token decodes at positions 0..255, 64 decodes of 5 tokens,
#        16 of 256 tokens; its "per run" figures are per token.
#      - whisper-cli on jfk.wav (11 s, one window) and on ten.wav (600 s of real speech:
#        every WAV under DATA/audio as 16 kHz mono, in name order, repeated, cut to 600 s:
#        20 windows), greedy without timestamps, fallback or previous-text context:
#          -l en -nt -nf -bs 1 -bo 1 -mc 0 -t N
#        whisper.cpp's CLI has no option that limits tokens or suppresses end-of-text
#        (max_tokens is API-only; --max-len only splits segments), so the amount of
#        decoding is what the random model does: each window decodes until EOT or
#        n_text_ctx/2 - 4 = 220 tokens (then the window counts as a failed "repetition
#        loop", harmless without fallback). The runs TSV gives the token counts
#        (n_decode); compare per-token times, or totals at equal token counts.
#      One thread runs pinned to core 0, two threads to cores 0-1 (taskset, if present).
#      Peak RSS from /usr/bin/time -v (whole process: model, buffers, audio, mel).
#
# Output (WCPP_OUT): runs.tsv (one row per run), summary.tsv (medians), agreement.tsv,
# logs/. Columns: load_ms (model file to memory), mel_ms, encode_ms (per 30 s window =
# whisper's "encode ms per run"), decode_ms (per generated token: decoder calls with one
# token, incl. logits), n_decode (their count), batchd_ms (per token, calls of 2..15
# tokens: the 4-token SOT prompt of each window), prompt_ms (per token, calls of >= 16),
# sample_ms (total logit filtering and choice), total_ms (whisper's own: load to end),
# wall_s (process), rss_mib (peak).
set -eu
build=${1:-build}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
here=$(cd "$(dirname "$0")" && pwd)
data=${VOCE_TEST_DATA:-}
if [ -z "$data" ]; then if [ -d /work/shared ]; then data=/work/shared; else data=../shared; fi; fi
peer=${WCPP_DIR:-$build/peers/whisper.cpp}
runs=${WCPP_RUNS:-3}
threads=${WCPP_THREADS:-"1 2"}
shapes=${WCPP_SHAPES:-"tiny base"}
types=${WCPP_TYPES:-"f32 f16"}
jobs=${WCPP_JOBS:-2}
long=${WCPP_LONG:-1}
long_runs=${WCPP_LONG_RUNS:-1}
attns=${WCPP_ATTN:-fa}
wbench=${WCPP_WBENCH:-0}
prepare=${WCPP_PREPARE:-0}
out=${WCPP_OUT:-$peer/results}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
assets=$data/models/whisper-assets
jfk=$data/audio/jfk.wav
say() { echo "whisper_cpp: $*"; }
die() { echo "whisper_cpp: $*" >&2; exit 1; }

for tool in cmake sox "$py"; do command -v "$tool" >/dev/null 2>&1 || die "$tool not found"; done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (GNU time, for peak RSS)"
[ -f "$assets/mel_filters.npz" ] || die "$assets/mel_filters.npz not found (set VOCE_TEST_DATA)"
[ -f "$jfk" ] || die "$jfk not found"
mkdir -p "$peer" "$out/logs"

# ---- 1. source and build ----
src=${WHISPER_CPP_SRC:-}
if [ -n "$src" ] && [ -f "$src/CMakeLists.txt" ]; then
  srcdir=$src
  commit=$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)
elif [ -n "$src" ]; then
  commit=$(git --git-dir="$src" rev-parse --verify -q 'HEAD^{commit}') \
    || die "WHISPER_CPP_SRC=$src is neither a whisper.cpp tree nor a git directory"
  srcdir=$peer/src
  if [ "$(cat "$srcdir/.voce-commit" 2>/dev/null || true)" != "$commit" ]; then
    say "exporting whisper.cpp $commit to $srcdir"
    rm -rf "$srcdir" "$peer/build"
    mkdir -p "$srcdir"
    git --git-dir="$src" archive --format=tar "$commit" | tar -x -C "$srcdir"
    echo "$commit" > "$srcdir/.voce-commit"
  fi
elif [ -f "$peer/src/.voce-commit" ]; then
  srcdir=$peer/src
  commit=$(cat "$srcdir/.voce-commit")
else
  die "set WHISPER_CPP_SRC to whisper.cpp's git directory or source tree (fetch github:ggml-org/whisper.cpp)"
fi
say "whisper.cpp $commit"
if [ ! -x "$peer/build/bin/whisper-cli" ] || [ ! -x "$peer/build/bin/whisper-bench" ]; then
  cmake -S "$srcdir" -B "$peer/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF -DWHISPER_SDL2=OFF \
    -DWHISPER_CURL=OFF >"$peer/cmake.log" 2>&1 || die "cmake configure failed: $peer/cmake.log"
  cmake --build "$peer/build" -j"$jobs" --target whisper-cli whisper-bench >"$peer/build.log" 2>&1 \
    || die "build failed: $peer/build.log"
fi
cli=$peer/build/bin/whisper-cli
wbench_bin=$peer/build/bin/whisper-bench

# ---- 2. random checkpoints and their conversion ----
mkdir -p "$peer/models" "$peer/assets/whisper/assets"
for f in mel_filters.npz multilingual.tiktoken gpt2.tiktoken; do
  ln -sf "$assets/$f" "$peer/assets/whisper/assets/$f"
done
for shape in $shapes; do
  for kind in f32 f16; do
    pt=$peer/models/$shape-rand-$kind.pt
    [ -f "$pt" ] && continue
    say "writing $pt"
    if [ "$kind" = f16 ]; then opt=--fp16; else opt=; fi
    # shellcheck disable=SC2086
    "$py" "$here/whisper_random_ckpt.py" write "$shape" "$pt.tmp" $opt && mv "$pt.tmp" "$pt"
  done
  for type in $types; do
    bin=$peer/models/ggml-$shape-rand-$type.bin
    [ -f "$bin" ] && continue
    conv=$peer/models/conv-$shape-$type
    mkdir -p "$conv"
    if [ "$type" = f32 ]; then extra=use-f32; name=ggml-model-f32.bin; else extra=; name=ggml-model.bin; fi
    say "converting $shape ($type)"
    # shellcheck disable=SC2086  # $extra is empty or one word
    "$py" "$srcdir/models/convert-pt-to-ggml.py" "$peer/models/$shape-rand-$type.pt" "$peer/assets" \
      "$conv" $extra >"$conv/convert.log" 2>&1 || die "conversion failed: $conv/convert.log"
    mv "$conv/$name" "$bin"
  done
done

# ---- inputs ----
ten=$peer/ten.wav
if [ "$long" = 1 ] && [ ! -f "$ten" ]; then
  sh "$here/ten_minutes.sh" "$data" "$ten"
fi
if [ "$prepare" = 1 ]; then
  say "prepared: $peer (build/bin, models, ten.wav)"
  exit 0
fi

pin_for() {
  if command -v taskset >/dev/null 2>&1; then
    if [ "$1" = 1 ]; then echo "taskset -c 0"; else echo "taskset -c 0-$(($1 - 1))"; fi
  fi
}
greedy="-l en -nt -nf -bs 1 -bo 1 -mc 0"

# ---- 3. agreement with the PyTorch reference (f32 weights) ----
# ref: plain float32 PyTorch; ref_fa_pad: PyTorch with whisper.cpp's float16 roundings and
# the zero keys of its flash-attention path (whisper_random_ckpt.py --ggml-fa-pad, first
# 40 tokens), to show what the default path computes.
printf 'shape\treference\twhisper_cpp\tn_ref\tn_cpp_groups\tagree_tokens\tfirst_diff\tref_gap_at_diff\tmax_dp\n' \
  >"$out/agreement.tsv"
for shape in $shapes; do
  [ -f "$peer/models/ggml-$shape-rand-f32.bin" ] || continue
  for kind in ref ref_fa_pad; do
    j=$peer/models/$shape-rand.$kind.json
    [ -f "$j" ] && continue
    say "PyTorch greedy decode ($kind) of $shape on jfk.wav"
    if [ "$kind" = ref ]; then opt=; else opt="--ggml-fa-pad --max 40"; fi
    # shellcheck disable=SC2086
    "$py" "$here/whisper_random_ckpt.py" greedy "$peer/models/$shape-rand-f32.pt" "$jfk" \
      "$assets/mel_filters.npz" $opt >"$j.tmp" && mv "$j.tmp" "$j"
  done
  for fa in nfa fa; do
    log=$out/logs/agree-$shape-f32-$fa
    # shellcheck disable=SC2086
    "$cli" -m "$peer/models/ggml-$shape-rand-f32.bin" -f "$jfk" $greedy -t 1 -$fa -ojf -of "$log" \
      >"$log.out" 2>"$log.err" || die "whisper-cli failed: $log.err"
    for kind in ref ref_fa_pad; do
      [ "$fa" = nfa ] && [ "$kind" = ref_fa_pad ] && continue
      "$py" "$here/whisper_random_ckpt.py" compare "$peer/models/$shape-rand.$kind.json" "$log.json" \
        "$assets/multilingual.tiktoken" "$shape" "$kind" "f32,-$fa" >>"$out/agreement.tsv"
    done
  done
done
say "agreement:"
cat "$out/agreement.tsv"

# ---- 4. speed and memory ----
{
  echo "whisper.cpp $commit"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
  echo "compiler: $(grep -m1 'CXX compiler identification' "$peer/cmake.log" 2>/dev/null | sed 's/.*identification is //')"
  echo "load average at start: $(cat /proc/loadavg 2>/dev/null)"
} >"$out/machine.txt"
run_one() { # log-name pin cmd...
  log=$out/logs/$1; pin_=$2; shift 2
  cut -d' ' -f1 /proc/loadavg >"$log.load" 2>/dev/null || true
  # shellcheck disable=SC2086  # $pin_ is empty or "taskset -c LIST"
  /usr/bin/time -v -o "$log.time" $pin_ "$@" >"$log.out" 2>"$log.err" || die "failed: $* (see $log.err)"
}
# runs outermost, so that a change in the machine's load spreads over every configuration
r=1
while [ "$r" -le "$runs" ]; do
  for shape in $shapes; do
    for type in $types; do
      model=$peer/models/ggml-$shape-rand-$type.bin
      for attn in $attns; do
        for t in $threads; do
          pin=$(pin_for "$t")
          tag=$shape-$type-$attn-t$t
          say "$tag run $r"
          if [ "$wbench" = 1 ]; then
            run_one "$tag-bench-r$r" "$pin" "$wbench_bin" -m "$model" -t "$t" -"$attn"
          fi
          # shellcheck disable=SC2086
          run_one "$tag-cli-jfk-r$r" "$pin" "$cli" -m "$model" -f "$jfk" $greedy -t "$t" -"$attn"
          if [ "$long" = 1 ] && [ "$r" -le "$long_runs" ]; then
            # shellcheck disable=SC2086
            run_one "$tag-cli-ten-r$r" "$pin" "$cli" -m "$model" -f "$ten" $greedy -t "$t" -"$attn"
          fi
        done
      done
    done
  done
  r=$((r + 1))
done

"$py" - "$out" "$commit" <<'EOF'
import glob, os, re, statistics, sys
out, commit = sys.argv[1:3]
cols = ["load_ms", "mel_ms", "sample_ms", "encode_ms", "n_encode", "decode_ms", "n_decode",
        "batchd_ms", "n_batchd", "prompt_ms", "n_prompt", "total_ms", "wall_s", "user_s",
        "sys_s", "rss_mib", "load_avg"]
pat = {
    "load_ms": r"load time =\s*([\d.]+) ms",
    "mel_ms": r"mel time =\s*([\d.]+) ms",
    "sample_ms": r"sample time =\s*([\d.]+) ms",
    "total_ms": r"total time =\s*([\d.]+) ms",
}
rows = []
for err in sorted(glob.glob(os.path.join(out, "logs", "*-r*.err"))):
    tag = os.path.basename(err)[:-4]
    m = re.match(r"(\w+)-(f32|f16)-(fa|nfa)-t(\d+)-(bench|cli-jfk|cli-ten)-r(\d+)$", tag)
    if not m:
        continue
    text = open(err, errors="replace").read()
    v = {}
    for k, p in pat.items():
        g = re.search(p, text)
        v[k] = float(g.group(1)) if g else float("nan")
    for k in ("encode", "decode", "batchd", "prompt"):
        g = re.search(k + r" time =\s*([\d.]+) ms /\s*(\d+) runs \(\s*([\d.]+) ms per run\)", text)
        v[k + "_ms"] = float(g.group(3)) if g else float("nan")
        v["n_" + k] = int(g.group(2)) if g else 0
    tm = open(err[:-4] + ".time").read()
    g = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tm)
    v["rss_mib"] = int(g.group(1)) / 1024.0 if g else float("nan")
    g = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", tm)
    v["wall_s"] = (int(g.group(1) or 0) * 3600 + int(g.group(2)) * 60 + float(g.group(3))) if g else float("nan")
    for k, name in (("user_s", "User time"), ("sys_s", "System time")):
        g = re.search(name + r" \(seconds\): ([\d.]+)", tm)
        v[k] = float(g.group(1)) if g else float("nan")
    try:
        v["load_avg"] = float(open(err[:-4] + ".load").read())
    except (OSError, ValueError):
        v["load_avg"] = float("nan")
    rows.append((m.group(1), m.group(2), m.group(3), int(m.group(4)), m.group(5), int(m.group(6)), v))
rows.sort(key=lambda r: r[:6])
fmt = lambda x: ("%d" % x) if isinstance(x, int) else ("%.2f" % x)
with open(os.path.join(out, "runs.tsv"), "w") as f:
    f.write("\t".join(["shape", "weights", "attn", "threads", "tool", "run"] + cols) + "\n")
    for s, w, a, t, tool, r, v in rows:
        f.write("\t".join([s, w, a, str(t), tool, str(r)] + [fmt(v[c]) for c in cols]) + "\n")
groups = {}
for s, w, a, t, tool, r, v in rows:
    groups.setdefault((s, w, a, t, tool), []).append(v)
with open(os.path.join(out, "summary.tsv"), "w") as f:
    f.write("# whisper.cpp %s; medians over runs (column runs)\n" % commit)
    f.write("\t".join(["shape", "weights", "attn", "threads", "tool", "runs"] + cols) + "\n")
    for key in sorted(groups):
        vs = groups[key]
        med = {c: statistics.median(x[c] for x in vs) for c in cols}
        for c in cols:
            if c.startswith("n_"):
                med[c] = int(med[c])
        f.write("\t".join([key[0], key[1], key[2], str(key[3]), key[4], str(len(vs))]
                           + [fmt(med[c]) for c in cols]) + "\n")
print(open(os.path.join(out, "summary.tsv")).read(), end="")
EOF
echo "load average at end: $(cat /proc/loadavg 2>/dev/null)" >>"$out/machine.txt"
say "results in $out (runs.tsv, summary.tsv, agreement.tsv, machine.txt, logs/)"
