#!/bin/sh
# Quantized ONNX graphs in the forms published models use (tests/ref/gen_quant_models.py:
# ONNX Runtime's dynamic quantization with MatMulInteger / ConvInteger, QDQ per channel
# and blocked, com.microsoft MatMulNBits and DynamicQuantizeMatMul) through
# `voce compile` + `voce run`, against ONNX Runtime 1.30 (tests/ref/ort_run.js):
# integer outputs must be equal, float outputs within the tolerance each model states
# (docs/quantized-onnx.md explains them). First, malformed quantized models must be
# refused with a message naming the node and the problem, without a crash.
#
# usage: test_quant_ort.sh VOCE_BINARY
# Needs python3 with numpy and onnx (VOCE_PYTHON); the ONNX Runtime part needs node with
# onnxruntime-node on NODE_PATH. Exits 77 when those are missing (after the refusal
# checks, when only node is missing), 1 when any check fails.
set -u
voce=$1
py=${VOCE_PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=${VOCE_BUILD_DIR:-.}/test-tmp/quant-ort

skip() { echo "skip: $1"; echo "0 passed, 0 failed, 1 skipped"; exit 77; }
"$py" -c "import numpy, onnx" 2>/dev/null || skip "$py cannot import numpy and onnx (python3-numpy, python3-onnx)"

rm -rf "$tmp"
mkdir -p "$tmp"
"$py" "$here/ref/gen_quant_models.py" "$tmp/models" >"$tmp/gen.log" 2>&1 || {
  echo "FAIL: gen_quant_models.py: $(head -c 600 "$tmp/gen.log")"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

ort=1
if ! command -v node >/dev/null; then
  ort=0; why="node is not installed"
elif ! node -e "require('onnxruntime-node')" >/dev/null 2>&1; then
  ort=0; why="onnxruntime-node is not installed (NODE_PATH=${NODE_PATH:-unset})"
fi

"$py" - "$voce" "$here/ref/ort_run.js" "$tmp" "$ort" <<'PY'
import json, os, subprocess, sys
import numpy as np

voce, ort_run, tmp, use_ort = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
man = json.load(open(os.path.join(tmp, "models", "manifest.json")))
passed = failed = 0


def sh(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def voce_run(m, outdir):
    prog = os.path.join(tmp, m["name"] + ".voce")
    rc, log = sh([voce, "compile", m["onnx"], "-o", prog])
    if rc != 0:
        return rc, "voce compile: " + log
    args = [voce, "run", prog, "--out", outdir]
    for k, f in m["inputs"].items():
        args += ["--in", f"{k}={f}"]
    os.makedirs(os.path.dirname(outdir), exist_ok=True)
    return sh(args)


# Refusals: compile may accept the node (shapes that fold later) but running must fail
# cleanly (exit 1, not a signal) with every expected part of the message.
for e in man["errors"]:
    rc, log = voce_run(e, os.path.join(tmp, "err", e["name"]))
    missing = [s for s in e["expect"] if s not in log]
    if rc == 1 and not missing:
        passed += 1
        print(f"  ok   refuse {e['name']}: {log.strip().splitlines()[-1][:200]}")
    else:
        failed += 1
        print(f"  FAIL refuse {e['name']}: exit {rc}, message lacks {missing}: {log.strip()[:400]}")


def compare(name, out, got, want, tol):
    if got.dtype != want.dtype or got.shape != want.shape:
        return f"{out}: voce {got.dtype}{list(got.shape)}, ORT {want.dtype}{list(want.shape)}", 0.0
    if tol is None:
        bad = np.flatnonzero(got.reshape(-1) != want.reshape(-1))
        if bad.size:
            i = bad[0]
            return f"{out}: {bad.size} of {got.size} differ, first at {i}: voce {got.reshape(-1)[i]}, ORT {want.reshape(-1)[i]}", 0.0
        return None, 0.0
    g, w = got.astype(np.float64), want.astype(np.float64)
    d = np.abs(g - w)
    worst = float(d.max()) if d.size else 0.0
    over = d > tol[0] + tol[1] * np.abs(w)
    if over.any():
        i = int(np.argmax(d - tol[1] * np.abs(w)))
        return (f"{out}: differs by up to {worst:.3g} (tolerance {tol[0]:g} + {tol[1]:g} |ORT|); at {i}: "
                f"voce {g.reshape(-1)[i]!r}, ORT {w.reshape(-1)[i]!r}"), worst
    return None, worst


# MatMulNBits with default zero points and block 32/64/128 runs on voce:QLinear's
# kernels; the other forms keep the op (its reference kernel)
for m in man["models"]:
    if not m["name"].startswith("nbits"):
        continue
    prog = os.path.join(tmp, m["name"] + ".voce")
    rc, log = sh([voce, "compile", m["onnx"], "-o", prog])
    if not rc:
        rc, log = sh([voce, "info", prog])
    want = "voce:QLinear" if m["name"] in ("nbits4", "nbits4_bias_b64", "nbits8_b128") else "com.microsoft:MatMulNBits"
    if rc or want not in log:
        failed += 1
        print(f"  FAIL {m['name']}: expected {want} in voce info: {log.strip()[-300:]}")
    else:
        passed += 1
        print(f"  ok   {m['name']} runs as {want}")

if use_ort:
    for m in man["models"]:
        vdir, odir = os.path.join(tmp, "voce", m["name"]), os.path.join(tmp, "ort", m["name"])
        rc, log = voce_run(m, vdir)
        if rc:
            failed += 1
            print(f"  FAIL {m['name']}: {log.strip()[:600]}")
            continue
        rc, log = sh(["node", ort_run, m["onnx"], odir] + [f"{k}={f}" for k, f in m["inputs"].items()])
        if rc:
            failed += 1
            print(f"  FAIL {m['name']}: ONNX Runtime: {log.strip()[:600]}")
            continue
        problems, notes = [], []
        for f in sorted(os.listdir(odir)):
            out = f[:-4]
            want = np.load(os.path.join(odir, f))
            try:
                got = np.load(os.path.join(vdir, f))
            except OSError:
                problems.append(f"{out}: voce wrote no output")
                continue
            tol = m["tol"].get(out)
            p, worst = compare(m["name"], out, got, want, tol)
            if p:
                problems.append(p)
            notes.append(f"{out} max|d| {worst:.3g}" if tol else f"{out} exact")
        if problems:
            failed += 1
            print(f"  FAIL {m['name']}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"  ok   {m['name']}: " + ", ".join(notes))
print(f"{passed} passed, {failed} failed, {0 if use_ort else 1} skipped")
sys.exit(1 if failed else (0 if use_ort else 77))
PY
rc=$?
[ "$rc" -eq 77 ] && echo "skip: ONNX Runtime comparison: $why"
exit $rc
