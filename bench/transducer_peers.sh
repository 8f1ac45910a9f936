#!/bin/sh
# voce's NeMo transducer (TDT) beside sherpa-onnx and ONNX Runtime: the same ONNX files,
# the same audio cut into the same pieces, the same thread count, runs alternating.
#
# usage: bench/transducer_peers.sh [--quick] [BUILD_DIR]   (from the repository root)
#   BUILD_DIR (default build) holds voce (the CLI) and bench/bench_transducer of a Release
#   build. --quick: the small shape, 4 pieces (2 minutes of audio), one repetition.
# env:   PEERS_SHAPES ("small parakeet")  small: 256 wide, 16 layers (28 M parameters);
#                                parakeet: Parakeet-TDT-0.6B's shape, 1024 wide, 24 layers
#                                (bench/transducer_models.py; about 2.4 GB per layout)
#        PEERS_REPS (3)          repetitions of the whole set (the median is reported)
#        PEERS_FIRST_REP (1)     number of the first: a later call adds repetitions to the
#                                same PEERS_OUT (the summary takes every run it finds)
#        PEERS_THREADS (2)       threads of every engine
#        PEERS_PIECE_S (30)      seconds per piece; PEERS_PIECES (0: all 20) pieces decoded
#        PEERS_QUANT ("w8 8da4w")  voce's quantized programs (voce compile --quant); "" none
#        PEERS_TOOLS ("voce ort sherpa")
#        PEERS_DIR               models, programs, audio, features (default
#                                BUILD_DIR/peers/transducer; the 0.6B shape needs ~11 GB)
#        PEERS_OUT               results (default PEERS_DIR/results)
#        NODE_PATH               where onnxruntime-node is (default build/ort/node_modules)
#        SHERPA_NODE_PATH        node_modules holding sherpa-onnx-node (default
#                                BUILD_DIR/sherpa/node_modules: npm installs 1.13.8 there
#                                when missing)
#        VOCE_TEST_DATA          /work/shared, else ../shared
# needs: node, onnxruntime-node 1.30, npm (or sherpa-onnx-node already installed), sox,
#        /usr/bin/time (GNU), /usr/bin/python3 with torch, numpy and onnx.
#
# The models: random weights at two shapes (bench/transducer_models.py, fixed seeds, the
# joint shaped so that greedy decodes emit a varied stream of tokens), exported in
# sherpa-onnx's NeMo layout (encoder.onnx + encoder.weights, decoder.onnx, joiner.onnx,
# tokens.txt, the metadata sherpa-onnx reads). All three engines load those files; voce
# through `voce compile --family transducer` (f32, and --quant w8 / 8da4w).
#
# The workload: ten.wav, 600 s of real speech (every WAV of DATA/audio in name order,
# three times, cut to 600 s, as bench/whisper_cpp.sh makes it), cut into consecutive
# PEERS_PIECE_S pieces, each transcribed as an utterance of its own, one after another:
#   voce         bench_transducer: NeMo log-mel of the piece, the encoder, greedy TDT
#                (NeMo's label looping, at most 10 tokens per frame) and the result;
#   ONNX Runtime bench/transducer_ort.js: the same encoder input (voce's features, written
#                once by bench_transducer --features-only), the same greedy TDT in
#                JavaScript over decoder.onnx and joiner.onnx (sherpa-onnx's calls);
#   sherpa-onnx  bench/transducer_sherpa.js: one OfflineStream per piece, greedy_search;
#                its own front end (kaldi-native-fbank) and its own greedy TDT loop (at
#                most 5 tokens per frame).
# What is compared: the wall time over all pieces (voce: front end + encoder + decode;
# ONNX Runtime: encoder + decode, the features read from disk not counted; sherpa-onnx:
# everything from the stream's creation to its result), the encoder and decode apart for
# voce and ONNX Runtime, process CPU time, peak RSS (/usr/bin/time -v; node's own is
# included for the two Node.js peers: machine.txt gives node's alone). Model loading is
# outside the timings (reported as open_ms). Runs go voce, ONNX Runtime, sherpa-onnx, then
# voce's quantized programs, for each shape, repetitions outside that, so a change in the
# machine's load falls on all of them; the load average is logged before and after each.
#
# Token agreement (tokens.tsv): voce's f32 greedy tokens against ONNX Runtime's piece by
# piece (same features, same algorithm: expected equal); sherpa-onnx's and voce's
# quantized programs' against voce's f32 (features or weights differ a little and random
# weights leave small margins, so they part: the common prefix and a similarity show how
# far they agree).
#
# Output (PEERS_OUT): runs.tsv (a row per run), summary.tsv (medians per configuration),
# table.md, tokens.tsv, machine.txt (appended to by each call), logs/.
set -eu
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
build=${1:-build}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=${VOCE_TEST_DATA:-}
if [ -z "$data" ]; then if [ -d /work/shared ]; then data=/work/shared; else data=$root/../shared; fi; fi
if [ "$quick" = 1 ]; then
  shapes=${PEERS_SHAPES:-small}; reps=${PEERS_REPS:-1}; pieces=${PEERS_PIECES:-4}
else
  shapes=${PEERS_SHAPES:-"small parakeet"}; reps=${PEERS_REPS:-3}; pieces=${PEERS_PIECES:-0}
fi
first_rep=${PEERS_FIRST_REP:-1}
threads=${PEERS_THREADS:-2}
piece_s=${PEERS_PIECE_S:-30}
quants=${PEERS_QUANT-"w8 8da4w"}
tools=${PEERS_TOOLS:-"voce ort sherpa"}
work=${PEERS_DIR:-$build/peers/transducer}
out=${PEERS_OUT:-$work/results}
export NODE_PATH="${NODE_PATH:-$root/build/ort/node_modules}"
sherpa=${SHERPA_NODE_PATH:-$build/sherpa/node_modules}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
voce=$build/voce
bench=$build/bench/bench_transducer
say() { echo "transducer_peers: $*"; }
die() { echo "transducer_peers: $*" >&2; exit 1; }

[ -x "$voce" ] || die "$voce not found (build voce first: cmake --build $build)"
[ -x "$bench" ] || die "$bench not found (cmake --build $build --target bench_transducer)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (GNU time, for peak RSS)"
command -v sox >/dev/null 2>&1 || die "sox not found"
command -v node >/dev/null 2>&1 || die "node not found"
case " $tools " in *" ort "*)
  node -e "require('onnxruntime-node')" 2>/dev/null || die "onnxruntime-node not found (NODE_PATH=$NODE_PATH)" ;;
esac
case " $tools " in *" sherpa "*)
  if [ ! -d "$sherpa/sherpa-onnx-node" ] && [ -z "${SHERPA_NODE_PATH:-}" ] && command -v npm >/dev/null 2>&1; then
    say "installing sherpa-onnx-node 1.13.8 into $build/sherpa"
    mkdir -p "$build/sherpa"
    npm install --prefix "$build/sherpa" --no-save --no-audit --no-fund sherpa-onnx-node@1.13.8 >/dev/null 2>&1 \
      || die "npm install sherpa-onnx-node failed"
  fi
  [ -d "$sherpa/sherpa-onnx-node" ] || die "sherpa-onnx-node not found in $sherpa (set SHERPA_NODE_PATH)" ;;
esac
export SHERPA_NODE_PATH="$sherpa"
mkdir -p "$work" "$out/logs"

# ---- models and programs ----
for shape in $shapes; do
  d=$work/$shape
  if [ ! -f "$d/sherpa/joiner.onnx" ]; then
    say "writing the $shape model (bench/transducer_models.py; the 0.6B shape takes minutes)"
    "$py" "$here/transducer_models.py" "$work" "$shape" "$data"
  fi
  [ -f "$work/$shape-f32.voce" ] || "$voce" compile --family transducer "$d/sherpa" -o "$work/$shape-f32.voce" -q
  for q in $quants; do
    [ -f "$work/$shape-$q.voce" ] \
      || "$voce" compile --family transducer "$d/sherpa" -o "$work/$shape-$q.voce" --quant "$q" -q
  done
done

# ---- ten.wav and the encoder inputs ONNX Runtime reads ----
wav=$work/ten.wav
[ -f "$wav" ] || sh "$here/ten_minutes.sh" "$data" "$wav"
for shape in $shapes; do
  f=$work/feats-$shape-$piece_s
  [ -f "$f/done" ] && continue
  rm -rf "$f" && mkdir -p "$f"
  "$bench" "$work/$shape-f32.voce" --wav "$wav" --piece-s "$piece_s" --feats-out "$f" --features-only 1 >/dev/null
  touch "$f/done"
done

# ---- runs ----
{
  echo "voce $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) (build $build)"
  echo "onnxruntime-node $(node -p "require('onnxruntime-node/package.json').version" 2>/dev/null || echo unknown)"
  echo "sherpa-onnx-node $(node -p "require('$sherpa/sherpa-onnx-node/package.json').version" 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
  echo "node alone with onnxruntime-node loaded: peak RSS $(/usr/bin/time -f %M node -e "require('onnxruntime-node')" 2>&1 | tail -1) KiB"
  echo "workload: $wav cut every $piece_s s, pieces ${pieces} (0: all), threads $threads"
  echo "load average at start ($(date -u +%H:%M)): $(cat /proc/loadavg)"
} >>"$out/machine.txt"
run_one() { # tag cmd...
  log=$out/logs/$1; shift
  cut -d' ' -f1-3 /proc/loadavg >"$log.load"
  /usr/bin/time -v -o "$log.time" "$@" >"$log.out" 2>"$log.err" || die "failed: $* (see $log.err)"
  cut -d' ' -f1-3 /proc/loadavg >>"$log.load"
}
r=$first_rep
while [ "$r" -lt "$((first_rep + reps))" ]; do
  for shape in $shapes; do
    for tool in $tools $(for q in $quants; do echo "voce_$q"; done); do
      tag=$shape-t$threads-$tool-r$r
      say "$tag ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"
      case $tool in
      voce) run_one "$tag" "$bench" "$work/$shape-f32.voce" --wav "$wav" --threads "$threads" --piece-s "$piece_s" \
        --pieces "$pieces" --tokens-out "$out/logs/$tag.tokens" ;;
      voce_*) run_one "$tag" "$bench" "$work/$shape-${tool#voce_}.voce" --wav "$wav" --threads "$threads" \
        --piece-s "$piece_s" --pieces "$pieces" --tokens-out "$out/logs/$tag.tokens" ;;
      ort) run_one "$tag" node "$here/transducer_ort.js" "$work/$shape/sherpa" "$work/feats-$shape-$piece_s" \
        --threads "$threads" --pieces "$pieces" --tokens-out "$out/logs/$tag.tokens" ;;
      sherpa) run_one "$tag" node "$here/transducer_sherpa.js" "$work/$shape/sherpa" "$wav" --threads "$threads" \
        --piece-s "$piece_s" --pieces "$pieces" --tokens-out "$out/logs/$tag.tokens" ;;
      *) die "unknown tool $tool" ;;
      esac
    done
  done
  r=$((r + 1))
done
echo "load average at end ($(date -u +%H:%M)): $(cat /proc/loadavg)" >>"$out/machine.txt"

"$py" "$here/transducer_peers_summary.py" "$out"
say "results in $out (table.md, summary.tsv, runs.tsv, tokens.tsv, machine.txt, logs/)"
