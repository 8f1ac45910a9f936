#!/bin/sh
# The voce command: compile / info / run on a real model, and clear failures with a
# non-zero exit for bad usage and bad files.  usage: test_cli.sh VOCE_BINARY
# Needs VOCE_TEST_DATA and VOCE_BUILD_DIR (set by ctest); python3 with numpy builds
# and checks the .npy arrays.
set -u
voce=$1
data=${VOCE_TEST_DATA:-../shared}
tmp=${VOCE_BUILD_DIR:-.}/test-tmp/cli
py=${VOCE_PYTHON:-/usr/bin/python3}
mkdir -p "$tmp"
. "$(dirname "$0")/cli_lib.sh"

model=$data/models/silero-vad/silero_vad.onnx
if [ ! -f "$model" ]; then echo "skip: needs $model"; echo "0 passed, 0 failed, 1 skipped"; exit 77; fi

expect 0 "help" "$voce" --help
expect 0 "compile --help" "$voce" compile --help
expect 0 "info --help" "$voce" info --help
expect 0 "run --help" "$voce" run --help
expect 0 "version" "$voce" --version
expect 2 "no command" "$voce"
expect 2 "unknown command" "$voce" frobnicate
expect 2 "compile without output" "$voce" compile "$model"
expect 2 "compile unknown option" "$voce" compile "$model" -o "$tmp/x.voce" --bogus
expect 2 "compile bad --fix" "$voce" compile "$model" -o "$tmp/x.voce" --fix sr
expect 1 "compile missing file" "$voce" compile "$tmp/nope.onnx" -o "$tmp/x.voce"
expect 1 "compile a WAV" "$voce" compile "$data/audio/jfk.wav" -o "$tmp/x.voce"
expect 1 "compile unknown --fix input" "$voce" compile "$model" --fix rate=1 -o "$tmp/x.voce"
[ ! -e "$tmp/x.voce" ] && ok "failed compiles write nothing" || bad "failed compiles write nothing"

expect 0 "compile silero" "$voce" compile "$model:vad" --fix sr=16000 --shape input=1,576 --shape state=2,1,128 \
  --meta family=silero-vad --meta window=512 -o "$tmp/s.voce"
expect 0 "info" "$voce" info "$tmp/s.voce"
grep -q "method vad" "$tmp/out" && grep -q "family" "$tmp/out" && grep -q "stateN" "$tmp/out" && ok "info lists method, io and metadata" || bad "info output: $(cat "$tmp/out")"
expect 1 "info on a WAV" "$voce" info "$data/audio/jfk.wav"
printf 'VOCEPRG\0garbage' >"$tmp/trunc.voce"
expect 1 "info on a truncated program" "$voce" info "$tmp/trunc.voce"

"$py" - "$tmp" <<'PY' || { bad "numpy inputs"; }
import sys, numpy as np
d = sys.argv[1]
np.save(d + "/x.npy", (np.sin(np.arange(576) / 7) * 0.3).astype(np.float32).reshape(1, 576))
np.save(d + "/state.npy", np.zeros((2, 1, 128), np.float32))
np.save(d + "/x64.npy", np.zeros((1, 576), np.float64))
np.save(d + "/xbig.npy", np.zeros((1, 600), np.float32))
PY
expect 0 "run" "$voce" run "$tmp/s.voce" --in input="$tmp/x.npy" --in state="$tmp/state.npy" --out "$tmp/o"
[ -f "$tmp/o/output.npy" ] && [ -f "$tmp/o/stateN.npy" ] && ok "run writes every output" || bad "run outputs missing"
"$py" -c "
import numpy as np, sys
p = np.load('$tmp/o/output.npy'); s = np.load('$tmp/o/stateN.npy')
assert p.shape == (1, 1) and p.dtype == np.float32 and 0 <= p[0, 0] <= 1, p
assert s.shape == (2, 1, 128), s.shape
" && ok "run outputs have the declared shapes" || bad "run output shapes"
expect 1 "run with a missing input" "$voce" run "$tmp/s.voce" --in input="$tmp/x.npy" --out "$tmp/o"
expect 1 "run with a wrong dtype" "$voce" run "$tmp/s.voce" --in input="$tmp/x64.npy" --in state="$tmp/state.npy" --out "$tmp/o"
expect 1 "run with a wrong shape" "$voce" run "$tmp/s.voce" --in input="$tmp/xbig.npy" --in state="$tmp/state.npy" --out "$tmp/o"
expect 1 "run with an unknown input" "$voce" run "$tmp/s.voce" --in bogus="$tmp/x.npy" --out "$tmp/o"
expect 1 "run with an unknown method" "$voce" run "$tmp/s.voce" --method nope --in input="$tmp/x.npy" --out "$tmp/o"
expect 2 "run without --out" "$voce" run "$tmp/s.voce" --in input="$tmp/x.npy"
expect 0 "run --threads 1" "$voce" run "$tmp/s.voce" --threads 1 --in input="$tmp/x.npy" --in state="$tmp/state.npy" --out "$tmp/t1"
expect 0 "run --threads 3" "$voce" run "$tmp/s.voce" --threads 3 --in input="$tmp/x.npy" --in state="$tmp/state.npy" --out "$tmp/t3"
cmp -s "$tmp/t1/output.npy" "$tmp/t3/output.npy" && cmp -s "$tmp/t1/stateN.npy" "$tmp/o/stateN.npy" \
  && ok "run: same bytes with 1, 3 and the default threads" || bad "run: outputs depend on --threads"
expect_says 2 "run --threads -1" "--threads" "$voce" run "$tmp/s.voce" --threads -1 --in input="$tmp/x.npy" --out "$tmp/o"
expect_says 2 "run --threads 257" "--threads" "$voce" run "$tmp/s.voce" --threads 257 --in input="$tmp/x.npy" --out "$tmp/o"

# the linear-layer pass: MatMul + Add(constant vector) becomes one voce:Linear; an Add
# whose other operand is an input stays (outputs: tests/ops/cases_linear.py)
if "$py" - "$tmp" <<'PY'
import sys, numpy as np, onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as TP
d = sys.argv[1]
f = lambda n, s: h.make_tensor_value_info(n, TP.FLOAT, s)
w = nh.from_array(np.ones((64, 64), np.float32), "w")
b = nh.from_array(np.ones(64, np.float32), "b")
g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["m"]), h.make_node("Add", ["m", "b"], ["y"]),
                  h.make_node("MatMul", ["x", "w"], ["m2"]), h.make_node("Add", ["m2", "z"], ["y2"])],
                 "g", [f("x", [2, 64]), f("z", [64])], [f("y", [2, 64]), f("y2", [2, 64])], [w, b])
m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
m.ir_version = 8
onnx.save(m, d + "/lin.onnx")
PY
then
  expect 0 "compile MatMul + Add" "$voce" compile "$tmp/lin.onnx" -o "$tmp/lin.voce"
  expect 0 "info on it" "$voce" info "$tmp/lin.voce"
  grep -q "ops: voce:Linear x2, Add x1\$" "$tmp/out" && ok "MatMul + bias Add fused into voce:Linear; Add of an input kept" \
    || bad "linear pass: $(grep ops: "$tmp/out")"
  expect 0 "compile MatMul + Add --quant w8" "$voce" compile "$tmp/lin.onnx" --quant w8 -o "$tmp/linq.voce"
  expect 0 "info on it" "$voce" info "$tmp/linq.voce"
  grep -q "ops: voce:QLinear x2, Add x1\$" "$tmp/out" && ok "--quant: the bias Add fused into voce:QLinear too" \
    || bad "quantized linear pass: $(grep ops: "$tmp/out")"
else
  bad "python3-onnx could not build lin.onnx"
fi

# activations (src/compiler/act.c): the erf GELU spelled out becomes Gelu, and an
# activation after a linear layer folds into it, unless something else reads what it
# would hide (graphs and values: tests/ops/cases_linear.py, act_cases); LayerNorm
# spelled out becomes LayerNormalization (src/compiler/layernorm.c, the same rule;
# tests/ops/cases_norm.py, decomposed_ln_cases)
cases="${VOCE_BUILD_DIR:-.}/op-cases"
if [ -f "$cases/act_linear_silu.onnx" ]; then
  for spec in "act_linear_gelu_torch:voce:Linear x1" "act_linear_gelu_hf:voce:Linear x1" \
              "act_linear_relu:voce:Linear x1" "act_linear_silu:voce:Linear x1" \
              "act_gelu_input:Gelu x1" "act_linear_shared:voce:Linear x1, Relu x1" \
              "act_gelu_shared:Div x1, Erf x1, Add x1, Mul x2" \
              "act_linear_silu_dynamic:voce:Linear x1" \
              "ln_decomposed_torch:LayerNormalization x1" "ln_decomposed_flipped:LayerNormalization x1" \
              "ln_decomposed_shared:ReduceMean x2, Sub x1, Pow x1, Add x2, Sqrt x1, Div x1, Mul x1"; do
    c=${spec%%:*}
    expect 0 "compile $c" "$voce" compile "$cases/$c.onnx" -o "$tmp/act.voce"
    expect 0 "info on it" "$voce" info "$tmp/act.voce"
    grep -q "ops: ${spec#*:}\$" "$tmp/out" && ok "$c compiles to ${spec#*:}" \
      || bad "$c: $(grep ops: "$tmp/out"), expected ${spec#*:}"
  done
else
  bad "no op cases in $cases (gen_op_cases runs first)"
fi

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
