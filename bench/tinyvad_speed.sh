#!/bin/sh
# Moonshine TinyVAD end to end: voce beside ONNX Runtime 1.30 (and, optionally, an older
# voce build) on the same ONNX file and random inputs, batch 1 and 256, 1 and 2 threads.
# The engines take turns within each round, so that a load that drifts (a shared
# machine) falls on all of them alike; the summary is the median over rounds of each
# run's median, with the 1-minute load average at the start.
# usage: tinyvad_speed.sh BUILD_DIR [--before OLD_BUILD_DIR] [--rounds N] [--seconds S]
# Needs python3 with numpy and onnx, node, and onnxruntime-node under BUILD_DIR/ort.
set -eu
build=$1; shift
before=""; rounds=3; seconds=2
while [ $# -gt 0 ]; do
  case $1 in
    --before) before=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
data=${VOCE_TEST_DATA:-$here/../../shared}
model=$data/models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx
out=$build/bench-out/tinyvad
mkdir -p "$out"
export NODE_PATH="$build/ort/node_modules"
for b in 1 256; do
  /usr/bin/python3 "$here/make_inputs.py" "$model" "$out/in$b" batch=$b >/dev/null
done
"$build/voce" compile "$model" -o "$out/model.voce" -q
# the old build runs a program of its own compiler: the new one may write attributes
# (a Conv's fused activation) that an old kernel would not know and skip
if [ -n "$before" ]; then "$before/voce" compile "$model" -o "$out/model-before.voce" -q; fi
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
r=1
while [ "$r" -le "$rounds" ]; do
  for b in 1 256; do
    for t in 1 2; do
      in="log_mel=$out/in$b/log_mel.npy"
      load=$(cut -d' ' -f1 /proc/loadavg)
      if [ -n "$before" ]; then
        echo "batch=$b load=$load before $("$before/bench/bench_model" "$out/model-before.voce" --threads "$t" --seconds "$seconds" "$in")"
      fi
      echo "batch=$b load=$load voce $("$build/bench/bench_model" "$out/model.voce" --threads "$t" --seconds "$seconds" "$in")"
      echo "batch=$b load=$load ort $(node "$here/ort_model_bench.js" "$model" "$t" "$seconds" "$in")"
    done
  done
  r=$((r + 1))
done | tee "$out/runs.txt"
echo "== median over rounds of the per-run median (ms)"
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
       key = sprintf("batch=%s threads=%s %s", v["batch"], v["threads"], $3)
       n[key]++; m[key, n[key]] = v["median_ms"] }
     END { for (k in n) {
             c = n[k]
             for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++)
               if (m[k, j] < m[k, i]) { x = m[k, i]; m[k, i] = m[k, j]; m[k, j] = x }
             med = c % 2 ? m[k, (c + 1) / 2] : (m[k, c / 2] + m[k, c / 2 + 1]) / 2
             printf "%s median_ms=%.3f\n", k, med } }' "$out/runs.txt" | sort
