#!/bin/sh
# Run the benchmarks side by side with ONNX Runtime and print the figures that
# docs/benchmarks.md reports.  usage: bench/run.sh BUILD_DIR
set -eu
build=${1:-build}
data=${VOCE_TEST_DATA:-../shared}
wav=$data/audio/silero-test.wav
out=$build/bench-out
mkdir -p "$out"
export NODE_PATH="$build/ort/node_modules"
windows=${BENCH_WINDOWS:-3000}

echo "== machine"
grep -m1 'model name' /proc/cpuinfo || true
echo "== sizes (stripped)"
strip -o "$out/libvoce.so" "$build/libvoce.so" && strip -o "$out/voce" "$build/voce"
ls -l "$out/libvoce.so" "$out/voce" | awk '{print $5, $9}'
/usr/bin/python3 bench/make_trivial.py "$out/trivial.onnx"

for m in silero_vad_v5_npm silero_vad; do
  onnx=$data/models/silero-vad/$m.onnx
  "$build/voce" compile "$onnx" --fix sr=16000 --shape input=1,576 --shape state=2,1,128 -q -o "$out/$m.voce"
  echo "== $m"
  taskset -c 0 "$build/bench/bench_silero" "$out/$m.voce" "$wav" "$windows"
  taskset -c 0 node bench/ort_silero_bench.js "$onnx" "$wav" "$windows" "$out/trivial.onnx"
done

# Silero VAD on whole files: voce vad beside sherpa-onnx, one hour of speech, and voce's
# peak memory (skips the parts whose tools are missing; see the script's header).
echo "== Silero VAD whole-file speed and memory (voce vs sherpa-onnx)"
sh bench/vad_speed.sh "$build"
