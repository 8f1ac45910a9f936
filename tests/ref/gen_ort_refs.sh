#!/bin/sh
# Write ONNX Runtime reference outputs for the real models into OUTDIR.
# usage: gen_ort_refs.sh DATA_DIR OUTDIR   (NODE_PATH must lead to onnxruntime-node)
# Exit 77 (skip) when node, onnxruntime-node or the data are missing.
set -e
data=$1
out=$2
here=$(dirname "$0")
command -v node >/dev/null || { echo "skip: node is not installed"; exit 77; }
[ -f "$data/audio/silero-test.wav" ] || { echo "skip: $data/audio/silero-test.wav is missing"; exit 77; }
mkdir -p "$out"
for m in silero_vad silero_vad_v5_npm silero_vad_legacy_npm silero_vad_16k_op15 silero_vad_half; do
  f="$data/models/silero-vad/$m.onnx"
  if [ ! -f "$f" ]; then echo "missing $f, no reference"; continue; fi
  node "$here/ort_silero.js" "$f" "$data/audio/silero-test.wav" "$out/$m.npy"
  echo "wrote $out/$m.npy"
done
f="$data/models/moonshine-micro-tinyvad/tinyvad_cnn_speech_mel.onnx"
if [ -f "$f" ]; then
  node "$here/ort_tinyvad.js" "$f" "$out/tinyvad_in.npy" "$out/tinyvad_out.npy"
  echo "wrote $out/tinyvad_out.npy"
fi
