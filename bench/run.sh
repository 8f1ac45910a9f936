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

# Audio front ends: voce's Whisper 80 log-mel, NeMo 80 and Kaldi fbank 80 beside the
# torch references (torchaudio for fbank), one hour made of the shared speech (every WAV
# under audio/, concatenated and repeated), single thread, the same samples for both.
echo "== audio front ends (one hour of speech, single thread): voce vs torch"
set -- $(find "$data/audio" -name '*.wav' 2>/dev/null | sort)
if [ $# -gt 0 ]; then
  taskset -c 0 "$build/bench/bench_features" --seconds "${BENCH_FEATURES_SECONDS:-3600}" \
    --write-audio "$out/features_audio.npy" "$@"
  VOCE_TEST_DATA="$data" taskset -c 0 /usr/bin/python3 bench/features_torch_bench.py "$out/features_audio.npy" \
    || echo "torch front-end reference skipped (needs python3-numpy, python3-torch; fbank: python3-torchaudio)"
  rm -f "$out/features_audio.npy"
else
  echo "skipped: no WAV under $data/audio"
fi
