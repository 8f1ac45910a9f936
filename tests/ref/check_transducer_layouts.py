#!/usr/bin/env python3
"""Check the NeMo transducer/CTC exports of gen_transducer_layouts.py against their
PyTorch references with ONNX Runtime (tests/ref/ort_transducer.js).

usage: check_transducer_layouts.py GENDIR [WORKDIR]

For each model (tdt, rnnt, ctc) and layout (sherpa, onnx-asr) it requires
  every .onnx passes onnx.checker (external data included)
  encoder output, the full length and the short one     max|x - ref| <= 1e-4 * max|ref|
  encoded lengths                                       equal
  CTC logprobs, both lengths                            max|x - ref| <= 1e-4 * max|ref|
  prediction network, one token per call (sherpa)       max|x - ref| <= 1e-4 * max|ref|
    and all tokens in one call; final LSTM state (both layouts)
  joint logits of the first 16 greedy evaluations       max|x - ref| <= 1e-4 * max|ref|
  greedy decode driven by ONNX Runtime's outputs        tokens, frames, durations equal
    (transducer_decode_ref.py on ORT's joint lattice: ORT's encoder output x ORT's
    prediction outputs for the reference token prefixes; a token differing from the
    reference stops it there, as a free-running decode would diverge)
  sherpa metadata: the keys sherpa-onnx reads (vocab_size, subsampling_factor,
    normalize_type, pred_rnn_layers, pred_hidden, feat_dim) with the model's values;
    "tdt" in the url exactly for the TDT model; tokens.txt / vocab.txt: 128 pieces
    then <blk> 128; onnx-asr config.json model_type and features_size
and the self-test of transducer_decode_ref.py passes.

Exit 0 when everything matches, 1 with a line per mismatch, 77 without node,
onnxruntime-node (NODE_PATH), numpy/onnx, or the generated files.
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
except ImportError as e:
    print("skip: numpy/onnx not available (%s)" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import transducer_decode_ref as dr  # noqa: E402

TOL = 1e-4
N_STEPS = 16


class Diverged(Exception):
    pass


class LatticeSteps:
    """transducer_decode_ref steps over ORT's joint lattice [T, U + 1, n_out]: the state
    is the number of tokens emitted; only the reference's token prefixes are in the
    lattice, so a different token ends the decode."""

    def __init__(self, lattice, ref_tokens):
        self.lat, self.ref = lattice, list(ref_tokens)

    def start(self):
        return 0

    def predict(self, u, token):
        if u >= len(self.ref) or token != self.ref[u]:
            want = self.ref[u] if u < len(self.ref) else "the end"
            raise Diverged("token %d is %d, the reference has %s" % (u, token, want))
        return u + 1

    def joint(self, t, u):
        return self.lat[t, u]


def rel_err(x, ref):
    x, ref = np.asarray(x, np.float64), np.asarray(ref, np.float64)
    if x.shape != ref.shape:
        return float("inf"), "shape %s != %s" % (x.shape, ref.shape)
    return float(np.abs(x - ref).max() / max(np.abs(ref).max(), 1e-30)), ""


def close(tag, name, x, ref, failures, row):
    e, why = rel_err(x, ref)
    row[name] = e
    if not e <= TOL:
        failures.append("%s: %s relative error %.3g %s" % (tag, name, e, why))


def check_files(gen, name, facts, failures):
    d = os.path.join(gen, name)
    for layout, files in facts["files"].items():
        for f in files:
            p = os.path.join(d, layout, f)
            if not os.path.isfile(p):
                failures.append("%s %s: %s missing" % (name, layout, f))
            elif f.endswith(".onnx"):
                try:
                    onnx.checker.check_model(onnx.load(p))
                except Exception as e:  # noqa: BLE001 - any checker complaint is a failure
                    failures.append("%s %s: %s fails onnx.checker: %s" % (name, layout, f, str(e)[:200]))
    vocab_lines = ["%s %d" % (p, i) for i, p in enumerate(facts["pieces"])] + ["<blk> %d" % facts["blank"]]
    for layout, f in (("sherpa", "tokens.txt"), ("onnx-asr", "vocab.txt")):
        with open(os.path.join(d, layout, f), encoding="utf-8") as fh:
            if fh.read().splitlines() != vocab_lines:
                failures.append("%s %s: %s is not the 128 pieces then <blk> 128" % (name, layout, f))
    meta_file = "model.onnx" if facts["kind"] == "ctc" else "encoder.onnx"
    proto = onnx.load(os.path.join(d, "sherpa", meta_file), load_external_data=False)
    meta = {p.key: p.value for p in proto.metadata_props}
    dims = facts["dims"]
    want = {"vocab_size": str(facts["vocab_size"]), "subsampling_factor": "8", "normalize_type": "per_feature"}
    if facts["kind"] != "ctc":
        want.update(pred_rnn_layers=str(dims["pred_rnn_layers"]), pred_hidden=str(dims["pred_hidden"]),
                    feat_dim=str(dims["feat_in"]))
    for k, v in want.items():
        if meta.get(k) != v:
            failures.append("%s sherpa: metadata %s is %r, want %r" % (name, k, meta.get(k), v))
    if ("tdt" in meta.get("url", "")) != (facts["kind"] == "tdt"):
        failures.append("%s sherpa: url %r does not flag TDT as sherpa-onnx expects" % (name, meta.get("url")))
    cfg = json.load(open(os.path.join(d, "onnx-asr", "config.json")))
    if cfg.get("model_type") != "nemo-conformer-" + facts["kind"] or cfg.get("features_size") != dims["feat_in"]:
        failures.append("%s onnx-asr: config.json %s" % (name, cfg))


def check_layout(name, layout, facts, refdir, outdir, failures, report):
    tag = "%s %s" % (name, layout)
    ld = lambda d, n: np.load(os.path.join(d, n + ".npy"))
    row = {}
    kind = facts["kind"]
    if kind == "ctc":
        for sfx in ("", "_short"):
            close(tag, "logprobs" + sfx, ld(outdir, "logprobs" + sfx), ld(refdir, "logprobs" + sfx), failures, row)
        lp = ld(outdir, "logprobs")[0]
        hyp = dr.greedy_ctc(lp, facts["encoder_frames"], facts["blank"])
        got = (hyp["tokens"], hyp["frames"], hyp["repeats"])
        want = (facts["greedy"]["tokens"], facts["greedy"]["frames"], facts["greedy"]["repeats"])
        row["greedy"] = "%d/%d" % (sum(a == b for a, b in zip(got[0], want[0])), len(want[0]))
        if got != want:
            failures.append("%s: greedy CTC differs: %s" % (tag, first_difference(got, want)))
        report.append((tag, row))
        return
    for sfx in ("", "_short"):
        close(tag, "encoder_out" + sfx, ld(outdir, "encoder_out" + sfx), ld(refdir, "encoder_out" + sfx), failures, row)
        if not np.array_equal(ld(outdir, "encoder_len" + sfx), ld(refdir, "encoder_len" + sfx)):
            failures.append("%s: encoder_len%s %s != %s" % (tag, sfx, ld(outdir, "encoder_len" + sfx),
                                                           ld(refdir, "encoder_len" + sfx)))
    if layout == "sherpa":
        close(tag, "dec_out", ld(outdir, "dec_out"), ld(refdir, "dec_out"), failures, row)
        close(tag, "dec_out_seq", ld(outdir, "dec_out_seq"), ld(refdir, "dec_out"), failures, row)
    close(tag, "dec_h", ld(outdir, "dec_h"), ld(refdir, "dec_h"), failures, row)
    close(tag, "dec_c", ld(outdir, "dec_c"), ld(refdir, "dec_c"), failures, row)
    lat = ld(outdir, "lattice")
    steps = ld(refdir, "joint_steps")
    close(tag, "joint_logits", np.stack([lat[t, u] for t, u in steps]), ld(refdir, "joint_logits"), failures, row)
    g = facts["greedy"]
    ls = LatticeSteps(lat, g["tokens"])
    try:
        if kind == "tdt":
            hyp = dr.greedy_tdt(ls, facts["encoder_frames"], facts["blank"], facts["durations"])
            got, want = (hyp["tokens"], hyp["frames"], hyp["durations"]), (g["tokens"], g["frames"], g["durations"])
        else:
            hyp = dr.greedy_rnnt(ls, facts["encoder_frames"], facts["blank"])
            got, want = (hyp["tokens"], hyp["frames"]), (g["tokens"], g["frames"])
        row["greedy"] = "%d/%d" % (sum(a == b for a, b in zip(got[0], want[0])), len(want[0]))
        if got != want:
            failures.append("%s: greedy decode differs: %s" % (tag, first_difference(got, want)))
        trace = ld(refdir, "trace")
        if np.asarray(hyp["trace"]).shape != trace.shape or not np.array_equal(np.asarray(hyp["trace"]), trace):
            failures.append("%s: the joint evaluations differ from the reference's trace" % tag)
    except Diverged as e:
        row["greedy"] = "diverged"
        failures.append("%s: greedy decode diverged: %s" % (tag, e))
    report.append((tag, row))


def first_difference(got, want):
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            j = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            return "field %d from index %d: %s vs %s" % (i, j, a[j:j + 4], b[j:j + 4])
    return "lengths differ"


def main():
    if len(sys.argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    gen = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="transducer-check-")
    if shutil.which("node") is None:
        print("skip: node not found")
        return 77
    failures, report = [], []
    if dr._selftest() != 0:
        failures.append("transducer_decode_ref.py --selftest fails")
    for name in ("tdt", "rnnt", "ctc"):
        refdir = os.path.join(gen, name, "ref")
        fj = os.path.join(refdir, "facts.json")
        if not os.path.isfile(fj):
            print("skip: %s not found (run gen_transducer_layouts.py)" % fj)
            return 77
        facts = json.load(open(fj, encoding="utf-8"))
        check_files(gen, name, facts, failures)
        for layout in ("sherpa", "onnx-asr"):
            out = os.path.join(work, name, layout)
            mode = "ctc" if facts["kind"] == "ctc" else layout
            r = subprocess.run(["node", os.path.join(HERE, "ort_transducer.js"), mode,
                                os.path.join(gen, name, layout), refdir, out],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
            if r.returncode == 77:
                print(r.stdout.strip())
                return 77
            if r.returncode != 0:
                failures.append("%s %s: ort_transducer.js failed: %s" % (name, layout, r.stdout.strip()[-2000:]))
                continue
            check_layout(name, layout, facts, refdir, out, failures, report)
    for tag, row in report:
        print("%-14s " % tag + "  ".join("%s %s" % (k, v if isinstance(v, str) else "%.2e" % v)
                                         for k, v in row.items()))
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
