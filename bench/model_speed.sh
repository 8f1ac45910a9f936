#!/bin/sh
# One ONNX model, voce beside ONNX Runtime 1.30 on the same file and the same random
# inputs, in one run, for each thread count.
# usage: model_speed.sh BUILD_DIR MODEL.onnx [--threads "1 2"] [--seconds S] [--compile "ARGS"] [NAME=VALUE ...]
#   NAME=VALUE: a symbolic dimension or an integer input's value (bench/make_inputs.py)
#   --compile: extra arguments for voce compile (e.g. "--quant 8da8w")
# Needs python3 with numpy and onnx, node, and onnxruntime-node under BUILD_DIR/ort (make refs).
# Prints bench_model's and ort_model_bench.js's lines and, per thread count, ort/voce.
set -eu
build=$1; model=$2; shift 2
threads="1 2"; seconds=2; cargs=""
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --compile) cargs=$2; shift 2 ;;
    *) break ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
out=$build/bench-out/model-$(basename "$model" .onnx)
mkdir -p "$out"
inputs=$(/usr/bin/python3 "$here/make_inputs.py" "$model" "$out/in" "$@")
# shellcheck disable=SC2086
"$build/voce" compile "$model" -o "$out/model.voce" -q $cargs
echo "== $(basename "$model") $cargs $*"
for t in $threads; do
  # shellcheck disable=SC2086
  v=$("$build/bench/bench_model" "$out/model.voce" --threads "$t" --seconds "$seconds" $inputs)
  # shellcheck disable=SC2086
  o=$(NODE_PATH=$build/ort/node_modules node "$here/ort_model_bench.js" "$model" "$t" "$seconds" $inputs)
  echo "$v"; echo "$o"
  vm=$(echo "$v" | sed 's/.*median_ms=\([0-9.]*\).*/\1/')
  om=$(echo "$o" | sed 's/.*median_ms=\([0-9.]*\).*/\1/')
  echo "threads=$t ort_over_voce=$(echo "$om $vm" | awk '{printf "%.2f", $1 / $2}')"
done
