#!/bin/sh
# voce's Whisper beside ONNX Runtime and whisper.cpp: the same weights, the same inputs,
# the same amount of work, the same thread counts, runs alternating in one session.
#
# usage: bench/whisper_peers.sh [BUILD_DIR]     (from the repository root; default build)
#   BUILD_DIR holds voce (the CLI) and bench/bench_whisper of a Release build.
# env:   PEERS_REPS (2)          repetitions of the whole set (best of them is reported)
#        PEERS_FIRST_REP (1)     number of the first: a later call adds repetitions to the
#                                same PEERS_OUT (the summary takes every run it finds)
#        PEERS_THREADS ("1 2"), PEERS_SHAPES ("tiny base"), PEERS_INPUTS ("jfk ten")
#        PEERS_STEPS (219)       greedy steps per window after the SOT call
#        PEERS_QUANT ("w8 8da4w")  voce's quantized programs (voce compile --quant), run
#                                on PEERS_QUANT_INPUTS ("jfk"); "" for none
#        PEERS_TOOLS ("voce ort cpp")
#        PEERS_PIN (0)           1: taskset one thread to core 0, two to cores 0-1
#        PEERS_DIR               models and mels (default BUILD_DIR/peers/voce)
#        PEERS_OUT               results (default PEERS_DIR/results)
#        WCPP_DIR                whisper.cpp's build, models and ten.wav (default
#                                BUILD_DIR/peers/whisper.cpp); made by bench/whisper_cpp.sh
#                                (WCPP_PREPARE=1) when missing: set WHISPER_CPP_SRC then
#        NODE_PATH               where onnxruntime-node is (default build/ort/node_modules)
#        VOCE_TEST_DATA          /work/shared, else ../shared
# needs: node with onnxruntime-node (1.30), /usr/bin/python3 with torch and onnx,
#        /usr/bin/time (GNU), and what bench/whisper_cpp.sh needs for its first run.
#
# The models. bench/whisper_cpp.sh writes random-weight OpenAI checkpoints of the tiny and
# base shapes (bench/whisper_random_ckpt.py, fixed seeds) and converts them for whisper.cpp
# at f32 (ggml-*-rand-f32.bin). The same .pt files go through scripts/export/whisper.py
# (encoder.onnx + decoder.onnx) and `voce compile --family whisper` (f32, and --quant
# w8 / 8da4w). ONNX Runtime runs those two ONNX files after bench/whisper_onnx_std.py
# rewrites the two voce operators into standard ONNX (causal attention over the filled
# cache rows only, cross-attention keys/values handed over heads-apart: see its header).
#
# The inputs. jfk.wav (11 s: one 30 s window) and ten.wav (600 s of real speech: every WAV
# of DATA/audio, in name order, repeated and cut to 600 s by whisper_cpp.sh: 20 windows).
# voce computes the log-mel (bench_whisper --wav) and writes the windows it encodes as
# .npy once (--mel-out); ONNX Runtime reads that file, so both encode the same numbers.
#
# The fixed workload, per window: the encoder once; the decoder on the 4-token SOT
# sequence (sot, en, transcribe, notimestamps) in one call; then PEERS_STEPS = 219 greedy
# steps of one token (positions 4 .. 222), argmax only, end of text not stopping it.
# whisper.cpp's CLI cannot fix the number of tokens, but on these random weights it never
# emits end of text: with -l en -nt -nf -bs 1 -bo 1 -mc 0 every window runs to its limit
# of n_text_ctx / 2 - 4 = 220 sampled tokens, 219 decoder calls of one token after the
# same 4-token prompt (the summary checks n_decode = 219 x windows), so the three do the
# same calls at the same cache lengths. whisper.cpp also samples with its logit filters
# (reported apart by it, not in its decode time) and computes the mel inside its run.
#
# What is compared: the encoder per window (mean over windows; whisper.cpp's "encode
# time ... per run"), the decoder per generated token (mean over the steps; whisper.cpp's
# "decode time ... per run"), peak RSS of the whole process (/usr/bin/time -v: the model,
# buffers, the mel; for ONNX Runtime node's own too: machine.txt gives node's alone).
# Best (least) time over the repetitions, median RSS. Runs go voce, ONNX Runtime,
# whisper.cpp, then voce's quantized programs, for each shape and thread count in turn,
# repetitions outside that and inputs outermost (all of jfk, then the long input), so a
# change in the machine's load falls on all three. voce and ONNX Runtime also report CPU
# time (process, all threads); whisper.cpp's per phase is estimated from its wall time and
# the process's CPU / wall share. On a shared machine the one-thread CPU figures move less
# than the wall times. The load average is logged before and after every run.
# PEERS_TOOLS may add "ortplain": ONNX Runtime on the plain expansion of the voce
# operators (whisper_onnx_std.py --plain).
#
# Token agreement: voce's and ONNX Runtime's greedy tokens (K + 1 per window) are compared
# window by window (tokens.tsv): equal, or the first step that differs; so are those of
# voce's quantized programs against voce's f32 (random weights leave small margins between
# the top logits, so quantized tokens part early: the step shows how early).
#
# Output (PEERS_OUT): runs.tsv (a row per run), summary.tsv (best per configuration),
# table.md (the comparison with ratios), tokens.tsv, machine.txt (appended to by each
# call), logs/.
set -eu
build=${1:-build}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=${VOCE_TEST_DATA:-}
if [ -z "$data" ]; then if [ -d /work/shared ]; then data=/work/shared; else data=../shared; fi; fi
reps=${PEERS_REPS:-2}
first_rep=${PEERS_FIRST_REP:-1}
threads=${PEERS_THREADS:-"1 2"}
shapes=${PEERS_SHAPES:-"tiny base"}
inputs=${PEERS_INPUTS:-"jfk ten"}
steps=${PEERS_STEPS:-219}
quants=${PEERS_QUANT-"w8 8da4w"}
quant_inputs=${PEERS_QUANT_INPUTS:-jfk}
tools=${PEERS_TOOLS:-"voce ort cpp"}
pin=${PEERS_PIN:-0}
work=${PEERS_DIR:-$build/peers/voce}
out=${PEERS_OUT:-$work/results}
peer=${WCPP_DIR:-$build/peers/whisper.cpp}
export NODE_PATH="${NODE_PATH:-$root/build/ort/node_modules}"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
voce=$build/voce
bench=$build/bench/bench_whisper
say() { echo "whisper_peers: $*"; }
die() { echo "whisper_peers: $*" >&2; exit 1; }

[ -x "$voce" ] || die "$voce not found (build voce first: cmake --build $build)"
[ -x "$bench" ] || die "$bench not found (cmake --build $build --target bench_whisper)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (GNU time, for peak RSS)"
command -v node >/dev/null 2>&1 || die "node not found"
node -e "require('onnxruntime-node')" 2>/dev/null || die "onnxruntime-node not found (NODE_PATH=$NODE_PATH)"
mkdir -p "$work" "$out/logs"

# ---- whisper.cpp, its models and ten.wav ----
prep=0
[ -x "$peer/build/bin/whisper-cli" ] && [ -f "$peer/ten.wav" ] || prep=1
for s in $shapes; do [ -f "$peer/models/ggml-$s-rand-f32.bin" ] && [ -f "$peer/models/$s-rand-f32.pt" ] || prep=1; done
if [ "$prep" = 1 ]; then
  say "preparing whisper.cpp in $peer (bench/whisper_cpp.sh)"
  WCPP_DIR=$peer WCPP_PREPARE=1 WCPP_TYPES=f32 WCPP_SHAPES=$shapes sh "$here/whisper_cpp.sh" "$build"
fi
cli=$peer/build/bin/whisper-cli
commit=$(cat "$peer/src/.voce-commit" 2>/dev/null || echo unknown)

# ---- the same checkpoints for voce and ONNX Runtime ----
for shape in $shapes; do
  d=$work/$shape
  if [ ! -f "$d/decoder.onnx" ]; then
    say "exporting $shape"
    "$py" "$root/scripts/export/whisper.py" "$peer/models/$shape-rand-f32.pt" -o "$d" \
      --vocab "$data/models/whisper-assets/multilingual.tiktoken" -q
  fi
  [ -f "$d-std/decoder.onnx" ] || "$py" "$here/whisper_onnx_std.py" "$d" "$d-std"
  [ -f "$work/$shape.voce" ] || "$voce" compile --family whisper "$d" -o "$work/$shape.voce" -q
  for q in $quants; do
    [ -f "$work/$shape-$q.voce" ] || "$voce" compile --family whisper "$d" -o "$work/$shape-$q.voce" --quant "$q" -q
  done
done
wav_of() { if [ "$1" = jfk ]; then echo "$data/audio/jfk.wav"; else echo "$peer/$1.wav"; fi; }
first=$(echo "$shapes" | cut -d' ' -f1)
for in_ in $inputs; do
  [ -f "$work/mel-$in_.npy" ] && continue
  say "log-mel windows of $in_"
  "$bench" "$work/$first.voce" --steps 0 --wav "$(wav_of "$in_")" --mel-out "$work/mel-$in_.npy" >/dev/null
done

# ---- runs ----
{
  echo "voce $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) (build $build)"
  echo "onnxruntime-node $(node -p "require('onnxruntime-node/package.json').version" 2>/dev/null || echo unknown)"
  echo "whisper.cpp $commit"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
  node_kib=$(/usr/bin/time -f %M node -e "require('onnxruntime-node')" 2>&1 | tail -1)
  echo "node alone with onnxruntime-node loaded: peak RSS $node_kib KiB"
  echo "load average at start: $(cat /proc/loadavg)"
} >>"$out/machine.txt"
pin_for() {
  if [ "$pin" = 1 ] && command -v taskset >/dev/null 2>&1; then
    if [ "$1" = 1 ]; then echo "taskset -c 0"; else echo "taskset -c 0-$(($1 - 1))"; fi
  fi
}
run_one() { # tag threads cmd...
  log=$out/logs/$1; t_=$2; shift 2
  cut -d' ' -f1 /proc/loadavg >"$log.load"
  # shellcheck disable=SC2046  # pin_for prints nothing or "taskset -c LIST"
  /usr/bin/time -v -o "$log.time" $(pin_for "$t_") "$@" >"$log.out" 2>"$log.err" \
    || die "failed: $* (see $log.err)"
  cut -d' ' -f1 /proc/loadavg >>"$log.load"
}
for in_ in $inputs; do
  wav=$(wav_of "$in_")
  r=$first_rep
  while [ "$r" -lt "$((first_rep + reps))" ]; do
    for shape in $shapes; do
      for t in $threads; do
        for tool in $tools; do
          tag=$shape-$in_-t$t-$tool-r$r
          say "$tag"
          case $tool in
          voce) run_one "$tag" "$t" "$bench" "$work/$shape.voce" --threads "$t" --steps "$steps" --wav "$wav" \
            --tokens-out "$out/logs/$tag.tokens" ;;
          ort) run_one "$tag" "$t" node "$here/whisper_ort.js" "$work/$shape-std" "$work/mel-$in_.npy" \
            --threads "$t" --steps "$steps" --tokens-out "$out/logs/$tag.tokens" ;;
          ortplain) [ -f "$work/$shape-plain/decoder.onnx" ] \
            || "$py" "$here/whisper_onnx_std.py" "$work/$shape" "$work/$shape-plain" --plain
            run_one "$tag" "$t" node "$here/whisper_ort.js" "$work/$shape-plain" "$work/mel-$in_.npy" \
            --threads "$t" --steps "$steps" ;;
          cpp) run_one "$tag" "$t" "$cli" -m "$peer/models/ggml-$shape-rand-f32.bin" -f "$wav" \
            -l en -nt -nf -bs 1 -bo 1 -mc 0 -t "$t" ;;
          *) die "unknown tool $tool" ;;
          esac
        done
        case " $quant_inputs " in *" $in_ "*) ;; *) continue ;; esac
        for q in $quants; do
          tag=$shape-$in_-t$t-voce_$q-r$r
          say "$tag"
          run_one "$tag" "$t" "$bench" "$work/$shape-$q.voce" --threads "$t" --steps "$steps" --wav "$wav" \
            --tokens-out "$out/logs/$tag.tokens"
        done
      done
    done
    r=$((r + 1))
  done
done
echo "load average at end: $(cat /proc/loadavg)" >>"$out/machine.txt"

"$py" "$here/whisper_peers_summary.py" "$out" "$steps"
say "results in $out (table.md, summary.tsv, runs.tsv, tokens.tsv, machine.txt, logs/)"
