#!/usr/bin/env python3
"""Check the Whisper exports of gen_whisper_layouts.py against their PyTorch references
with ONNX Runtime 1.30 (tests/ref/ort_whisper.js).

usage: check_whisper_layouts.py GENDIR [WORKDIR]

For each model (en, multi) and layout (sherpa, hf, hf-merged, voce) it runs the encoder on
ref/mel.npy, the teacher-forced sequence in one call and through the KV cache, and 128
greedy steps, and requires
  encoder output (cross K/V, or HF's last_hidden_state)   max|x - ref| <= 1e-4 * max|ref|
  teacher-forced logits, one call and cached              max|x - ref| <= 1e-4 * max|ref|
  alignment-head attention (voce)                         max|x - ref| <= 1e-4 * max|ref|
  greedy tokens                                           equal, all 128
  greedy largest logit and log-sum-exp per step           |x - ref| <= 1e-4 * max|ref|
voce's files use the operators voce:CacheWrite and voce:Attention, which ONNX Runtime does
not have: they are rewritten here into standard ONNX operators from their definition in
docs/whisper-export.md (written independently of scripts/export/whisper.py), the rest of
the graph untouched, and the rewritten files checked with onnx.checker and run. The
original files are checked with onnx.checker too (the voce domain is declared, version 1).

Also checks that scripts/export/whisper.py refuses bad input (a missing file, no --vocab,
a vocabulary of the wrong size or format, a file that is no Whisper checkpoint, a missing
weight, a Hugging Face directory without config.json or with a truncated
model.safetensors, alignment heads out of range) with exit 1 and a message naming the
problem, and writes nothing.

Exit 0 when everything matches, 1 with a line per mismatch, 77 without node,
onnxruntime-node (NODE_PATH) or numpy/onnx.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper
except ImportError as e:
    print("skip: numpy/onnx not available (%s)" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-4


class Expander:
    """Rewrites the voce operators of one graph into standard ONNX (opset >= 15)."""

    def __init__(self):
        self.nodes, self.count = [], 0

    def name(self, base):
        self.count += 1
        return "voce_expand/%s_%d" % (base, self.count)

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.name(op_type) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name("n"), **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, values, dtype=TensorProto.INT64, scalar=False):
        dims = [] if scalar else [len(values)]
        return self.op("Constant", [], value=helper.make_tensor(self.name("c"), dtype, dims, values))

    def cache_write(self, node):
        """out = cache with rows offset .. offset+n-1 of axis 1 replaced by new."""
        cache, new, offset = node.input
        off1 = self.op("Unsqueeze", [offset, self.const([0])])
        n1 = self.op("Shape", [new], start=1, end=2)
        end1 = self.op("Add", [off1, n1])
        axis = self.const([1])
        head = self.op("Slice", [cache, self.const([0]), off1, axis])
        tail = self.op("Slice", [cache, end1, self.const([2 ** 62]), axis])
        self.nodes.append(helper.make_node("Concat", [head, new, tail], [node.output[0]],
                                           name=self.name("n"), axis=1))

    def attention(self, node):
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        heads = a["num_heads"]
        causal = a.get("causal", 0)
        q, k, v = node.input[:3]
        split = self.const([0, 0, heads, -1])
        qh = self.op("Transpose", [self.op("Reshape", [q, split])], perm=[0, 2, 1, 3])
        kt = self.op("Transpose", [self.op("Reshape", [k, split])], perm=[0, 2, 3, 1])
        vh = self.op("Transpose", [self.op("Reshape", [v, split])], perm=[0, 2, 1, 3])
        s = self.op("MatMul", [qh, kt])
        if "scale" in a:
            scale = a["scale"]
        else:
            raise ValueError("%s: no scale attribute; the check needs it" % node.name)
        s = self.op("Mul", [s, self.const([scale], TensorProto.FLOAT, scalar=True)])
        if causal:
            offset = node.input[3]
            zero, one = self.const([0], scalar=True), self.const([1], scalar=True)
            nq = self.op("Squeeze", [self.op("Shape", [q], start=1, end=2), self.const([0])])
            nk = self.op("Squeeze", [self.op("Shape", [k], start=1, end=2), self.const([0])])
            i = self.op("Unsqueeze", [self.op("Range", [zero, nq, one]), self.const([1])])
            j = self.op("Range", [zero, nk, one])
            masked = self.op("Greater", [j, self.op("Add", [i, offset])])  # [nq, nk]
            s = self.op("Where", [masked, self.const([float("-inf")], TensorProto.FLOAT, scalar=True), s])
        p = self.op("Softmax", [s], axis=-1)
        o = self.op("Transpose", [self.op("MatMul", [p, vh])], perm=[0, 2, 1, 3])
        self.nodes.append(helper.make_node("Reshape", [o, self.const([0, 0, -1])], [node.output[0]],
                                           name=self.name("n")))
        if len(node.output) > 1 and node.output[1]:
            self.nodes.append(helper.make_node("Identity", [p], [node.output[1]], name=self.name("n")))


def expand_voce_ops(src, dst):
    m = onnx.load(src)
    ex = Expander()
    kept = []
    for n in m.graph.node:
        if n.domain == "voce" and n.op_type == "CacheWrite":
            ex.nodes = []
            ex.cache_write(n)
            kept += ex.nodes
        elif n.domain == "voce" and n.op_type == "Attention":
            ex.nodes = []
            ex.attention(n)
            kept += ex.nodes
        elif n.domain == "voce":
            raise ValueError("%s: unknown voce operator %s" % (src, n.op_type))
        else:
            kept.append(n)
    del m.graph.node[:]
    m.graph.node.extend(kept)
    imports = [o for o in m.opset_import if o.domain != "voce"]
    del m.opset_import[:]
    m.opset_import.extend(imports)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def rel_err(x, ref):
    x, ref = np.asarray(x, np.float64), np.asarray(ref, np.float64)
    if x.shape != ref.shape:
        return float("inf"), "shape %s != %s" % (x.shape, ref.shape)
    return float(np.abs(x - ref).max() / max(np.abs(ref).max(), 1e-30)), ""


def compare(tag, outdir, refdir, facts, layout, failures, report):
    ld = lambda d, n: np.load(os.path.join(d, n + ".npy"))
    L = facts["dims"]["n_text_layer"]
    checks = []
    if layout.startswith("hf"):
        checks.append("audio_features")
    else:
        checks += ["cross_%s_%d" % (kv, l) for l in range(L) for kv in "kv"]
    checks += ["tf_logits"]
    if layout == "voce":
        checks.append("tf_alignment")
    row = {}
    for name in checks:
        e, why = rel_err(ld(outdir, name), ld(refdir, name))
        row[name] = e
        if not e <= TOL:
            failures.append("%s %s: %s relative error %.3g %s" % (tag, layout, name, e, why))
    e, why = rel_err(ld(outdir, "tf_logits_inc"), ld(refdir, "tf_logits"))
    row["tf_logits_inc"] = e
    if not e <= TOL:
        failures.append("%s %s: cached teacher-forced logits relative error %.3g %s" % (tag, layout, e, why))
    got, want = ld(outdir, "greedy_tokens"), ld(refdir, "greedy_tokens")
    same = int((got == want).sum()) if got.shape == want.shape else -1
    row["greedy_equal"] = "%d/%d" % (same, len(want))
    if same != len(want):
        first = int(np.argmax(got != want)) if got.shape == want.shape else 0
        failures.append("%s %s: greedy tokens differ from step %d (%s vs %s)"
                        % (tag, layout, first, got[first:first + 4].tolist(), want[first:first + 4].tolist()))
    for name in ("greedy_max", "greedy_lse"):
        g, w = ld(outdir, name), ld(refdir, name)
        e = float(np.abs(g - w).max() / np.abs(w).max()) if g.shape == w.shape else float("inf")
        row[name] = e
        if not e <= TOL:
            failures.append("%s %s: %s relative error %.3g" % (tag, layout, name, e))
    report.append((tag, layout, row))


def check_refusals(gen, work, failures):
    """scripts/export/whisper.py on bad input: exit 1 and a message naming the problem.
    Run in-process (the script is imported); needs torch, skipped without it."""
    try:
        import contextlib
        import importlib.util
        import io
        import torch
    except ImportError:
        print("note: torch missing, export refusals not checked")
        return
    spec = importlib.util.spec_from_file_location(
        "voce_whisper_export", os.path.join(HERE, "..", "..", "scripts", "export", "whisper.py"))
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    d = os.path.join(work, "refusals")
    os.makedirs(d, exist_ok=True)
    pt = os.path.join(gen, "en", "model.pt")
    assets = json.load(open(os.path.join(gen, "en", "voce", "config.json")))
    gpt2 = os.path.join(gen, "en", "voce", assets["vocab"][0])
    multi = os.path.join(gen, "multi", "voce", "multilingual.tiktoken")
    ck = torch.load(pt)
    del ck["model_state_dict"]["decoder.blocks.1.cross_attn.key.weight"]
    torch.save(ck, os.path.join(d, "missing.pt"))
    torch.save({"weights": torch.zeros(3)}, os.path.join(d, "other.pt"))
    hf = os.path.join(d, "hf-trunc")
    os.makedirs(hf, exist_ok=True)
    shutil.copy(os.path.join(gen, "en", "hf", "config.json"), hf)
    raw = open(os.path.join(gen, "en", "hf", "model.safetensors"), "rb").read()
    open(os.path.join(hf, "model.safetensors"), "wb").write(raw[:len(raw) // 2])
    empty = os.path.join(d, "empty")
    os.makedirs(empty, exist_ok=True)
    out = os.path.join(d, "out")
    cases = [
        ([os.path.join(d, "nope.pt"), "-o", out], "no such file"),
        ([pt, "-o", out], "needs --vocab"),
        ([pt, "-o", out, "--vocab", multi], "needs gpt2.tiktoken"),
        ([pt, "-o", out, "--vocab", os.path.join(gen, "en", "ref", "facts.txt")], "not a tiktoken vocabulary"),
        ([os.path.join(d, "other.pt"), "-o", out, "--vocab", gpt2], "not an OpenAI Whisper checkpoint"),
        ([os.path.join(d, "missing.pt"), "-o", out, "--vocab", gpt2], "decoder.blocks.1.cross_attn.key.weight"),
        ([empty, "-o", out], "no config.json"),
        ([hf, "-o", out], "do not match its shape"),
        ([pt, "-o", out, "--vocab", gpt2, "--alignment-heads", "1,0,2,0"], "outside 2 layers x 2 heads"),
        ([pt, "-o", out, "--vocab", gpt2, "--alignment-heads", "1,0,1"], "odd number"),
    ]
    for argv, want in cases:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = ex.main(argv)
        msg = err.getvalue().strip()
        if rc != 1 or want not in msg:
            failures.append("export refusal %s: exit %s, message %r (wanted one naming %r)"
                            % (" ".join(os.path.basename(a) for a in argv), rc, msg, want))
    if os.path.exists(out):
        failures.append("export refusals: %s was written" % out)
    print("export refusals: %d cases checked" % len(cases))


def main():
    if len(sys.argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    gen = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="whisper-check-")
    if shutil.which("node") is None:
        print("skip: node not found")
        return 77
    failures, report = [], []
    for tag in ("en", "multi"):
        d = os.path.join(gen, tag)
        refdir = os.path.join(d, "ref")
        if not os.path.isfile(os.path.join(refdir, "facts.json")):
            print("skip: %s not found (run gen_whisper_layouts.py)" % os.path.join(refdir, "facts.json"))
            return 77
        facts = json.load(open(os.path.join(refdir, "facts.json")))
        vdir = os.path.join(work, tag, "voce-expanded")
        os.makedirs(vdir, exist_ok=True)
        for f in ("encoder.onnx", "decoder.onnx"):
            onnx.checker.check_model(onnx.load(os.path.join(d, "voce", f)))
            expand_voce_ops(os.path.join(d, "voce", f), os.path.join(vdir, f))
        for layout, ldir in (("sherpa", "sherpa"), ("hf", "hf"), ("hf-merged", "hf"), ("voce", None)):
            src = vdir if ldir is None else os.path.join(d, ldir)
            out = os.path.join(work, tag, layout)
            r = subprocess.run(["node", os.path.join(HERE, "ort_whisper.js"), layout, src, refdir, out],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
            if r.returncode == 77:
                print(r.stdout.strip())
                return 77
            if r.returncode != 0:
                failures.append("%s %s: ort_whisper.js failed: %s" % (tag, layout, r.stdout.strip()[-2000:]))
                continue
            compare(tag, out, refdir, facts, layout, failures, report)
    check_refusals(gen, work, failures)
    for tag, layout, row in report:
        print("%-5s %-9s " % (tag, layout) + "  ".join(
            "%s %s" % (k, v if isinstance(v, str) else "%.2e" % v) for k, v in row.items()))
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
