#!/usr/bin/env python3
"""NeMo's beam search for TDT and RNN-T transducers (decoding strategy "beam"), written in
Python from the rules below as the reference voce's src/models/transducer/beam.c is
held to, and the fixtures the C test reads.

    import transducer_beam_ref as br
    nbest = br.beam_rnnt(steps, n_frames, blank, beam)             # best first
    nbest = br.beam_tdt(steps, n_frames, blank, durations, beam)
    python3 transducer_beam_ref.py LAYOUTS OUTDIR [DATA_DIR]         # fixtures
    python3 transducer_beam_ref.py --selftest

`steps` is transducer_decode_ref's (start, predict, joint). A hypothesis is a dict:
tokens, frames (the frame of the evaluation that emitted each token), durations (TDT:
the chosen duration; RNN-T: 1), logprobs (the token's log-softmax over tokens and blank,
durations excluded, as the greedy decoders report it), score (NeMo's hypothesis score),
norm (score / (tokens + 1)), last_frame (TDT).

Sources (NVIDIA/NeMo main, 2025-09): nemo/collections/asr/parts/submodules/
rnnt_decoding.py (RNNTDecoding: strategy "beam" builds BeamRNNTInfer / BeamTDTInfer with
search_type "default", score_norm from the config, default True), rnnt_beam_decoding.py
(BeamRNNTInfer.default_beam_search, greedy_search, sort_nbest), tdt_beam_decoding.py
(BeamTDTInfer.default_beam_search, merge_duplicate_hypotheses, sort_nbest) and
nemo/collections/asr/modules/rnnt.py (RNNTDecoder.score_hypothesis: the prediction
output of a hypothesis is that of its whole token sequence, cached by the sequence; the
first hypothesis is [blank] from the zero state, NeMo's start).

Common: beam = min(beam_size, V) and beam_k = min(beam, V - 1), V the tokens without the
blank. Every hypothesis starts as [blank] with score 0. "The best" of a list is its first
maximum (Python's max); sorts are stable. Log-probabilities are float32 (the joint's
log_softmax in float32).

RNN-T, beam_size 1 (greedy_search): per frame, up to 5 evaluations (NeMo's hard-coded
limit, not max_symbols): the argmax of the log-softmax; blank ends the frame, a token is
appended, score += its log-prob (float64 sum), and the prediction network advances.

RNN-T, beam_size >= 2 (default_beam_search), per frame t:
  1. hyps = the kept hypotheses; kept = [].
  2. Pop the best of hyps; evaluate the joint at t for it: lp = log_softmax over V + 1.
  3. Its beam_k best tokens (best first) become new hypotheses appended to hyps (score +
     lp[k], float64; the token's frame t); the blank extension (score + lp[blank], same
     tokens) is appended to kept.
  4. m = the best score in hyps. If at least `beam` of kept score above m (strictly),
     kept = those, sorted by score ascending, and the frame ends; otherwise back to 2.
  No merging of equal sequences; kept may hold more than `beam`; no max_symbols (NeMo
  warns that the setting is not supported).

TDT, any beam_size (default_beam_search; beam_size 1 runs it too), durations D:
  dk = min(beam, len(D)). Every hypothesis has a last_frame (the start: 0). Per frame t:
  1. hyps = the kept with last_frame == t; kept = those with last_frame > t.
  2. Pop the best of hyps; evaluate at t: lp = log_softmax of the V + 1 token logits,
     dlp = log_softmax of the duration logits (each float32).
  3. Tokens: the beam_k best tokens (excluding blank) and the dk best durations; of
     their dk x beam_k pairs (flattened duration-major) the beam_k best sums
     lp[k] + dlp[d] (float32) give, best first, hypotheses score + sum (float32:
     NeMo adds a Python float to a float32 tensor), frame t, duration D[d], last_frame
     + D[d]; duration 0 goes to hyps, others to kept.
  4. Blank: for each of the dk best durations, best first: the zero duration is skipped,
     unless it is the only one (dk = 1), when the smallest non-zero duration replaces
     it; score + lp[blank] + dlp[d] (float32, left to right), last_frame + D[d], kept.
  5. Merge kept (merge_duplicate_hypotheses): sorted by score descending, hypotheses with
     the same tokens and last_frame are folded into the first, its score the float32
     logaddexp of both (NeMo's torch.tensor(float) is float32).
  6. If hyps is not empty: m = its best score; if at least `beam` of kept score above m,
     kept = those, ascending, and the frame ends; otherwise back to 2. If hyps is empty:
     kept = its `beam` best (descending) and the frame ends.

End (sort_nbest, score_norm true): the kept hypotheses sorted by score / (tokens + 1)
(NeMo's y_sequence keeps the leading blank), descending; the first is the result.

One rule of ours, not NeMo's: NeMo's loop over a frame has no bound (a token whose
log-probability rounds to 0 would extend forever). After `max_pops` evaluations at one
frame (default MAX_POPS_FACTOR x beam x max_symbols) the frame ends as if the stop test
held with the `beam` best of kept (ascending); voce's C code does the same. On the test
models the bound is never reached (the fixtures record the most evaluations per frame).

Timestamps: NeMo's TDT beam records time_idx + duration as a token's timestamp; here (and
in voce) a token keeps the frame it was emitted at and its duration, so that the token
offsets follow the greedy rule [frame, frame + duration].
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

MAX_SYMBOLS = 10
MAX_POPS_FACTOR = 25
GREEDY_BEAM1_LIMIT = 5          # rnnt_beam_decoding.py greedy_search: symbols_added < 5
F32 = np.float32


def log_softmax32(z):
    """log_softmax of z computed in float64, rounded to float32 (a float32 log_softmax)."""
    z = np.asarray(z, dtype=np.float64)
    m = z.max()
    return (z - m - np.log(np.exp(z - m).sum())).astype(F32)


def topk(values, k):
    """Indices of the k largest, largest first; equal values: lower index first."""
    v = np.asarray(values)
    return sorted(range(len(v)), key=lambda i: (-float(v[i]), i))[:k]


def first_max(items, key):
    best = 0
    for i in range(1, len(items)):
        if key(items[i]) > key(items[best]):
            best = i
    return best


class _Run:
    """The prediction states by token sequence (NeMo's cache) and the statistics."""

    def __init__(self, steps):
        self.steps, self.cache, self.evaluations, self.pops = steps, {}, 0, {}
        self.gaps = []

    def state(self, seq):
        if seq not in self.cache:
            self.cache[seq] = self.steps.start() if not seq else self.steps.predict(self.state(seq[:-1]), seq[-1])
        return self.cache[seq]

    def joint(self, t, seq):
        self.evaluations += 1
        self.pops[t] = self.pops.get(t, 0) + 1
        return np.asarray(self.steps.joint(t, self.state(seq)), dtype=np.float64).reshape(-1)


def _hyp(score, seq, frames, durs, lps, last_frame=0):
    return {"score": score, "seq": seq, "frames": frames, "durs": durs, "lps": lps, "last_frame": last_frame}


def _extend(h, score, k, t, d, lp):
    return _hyp(score, h["seq"] + (k,), h["frames"] + [t], h["durs"] + [d], h["lps"] + [float(lp)],
                h["last_frame"] + (d if d is not None else 0))


def _result(nbest, run):
    out = []
    for h in nbest:
        out.append({"tokens": list(h["seq"]), "frames": h["frames"], "durations": h["durs"],
                    "logprobs": h["lps"], "score": float(h["score"]), "norm": float(h["score"]) / (len(h["seq"]) + 1),
                    "last_frame": h["last_frame"]})
    gaps = run.gaps + ([abs(out[0]["norm"] - out[1]["norm"])] if len(out) > 1 else [])
    stats = {"evaluations": run.evaluations, "max_pops": max(run.pops.values()) if run.pops else 0,
             "min_gap": min(gaps) if gaps else None}
    return out, stats


def _note_gap(run, scores, pivot):
    """How close a comparison with pivot came (the C decoder must decide it alike)."""
    if scores:
        run.gaps.append(min(abs(float(s) - float(pivot)) for s in scores))


def _stop_gap(run, kept, m, beam):
    """The stop test's margin: when it holds, every kept score's distance from m (each
    decides membership); otherwise the beam-th best's (it decides the count)."""
    desc = sorted(kept, reverse=True)
    if len(desc) >= beam and desc[beam - 1] > m:
        _note_gap(run, desc, m)
    elif len(desc) >= beam:
        _note_gap(run, [desc[beam - 1]], m)


def _guard(kept, beam):
    order = topk([float(h["score"]) for h in kept], beam)
    return sorted([kept[i] for i in order], key=lambda h: float(h["score"]))


def greedy_rnnt_beam1(steps, n_frames, blank):
    run = _Run(steps)
    h = _hyp(0.0, (), [], [], [])
    for t in range(n_frames):
        for _ in range(GREEDY_BEAM1_LIMIT):
            lp = log_softmax32(run.joint(t, h["seq"]))
            k = int(np.argmax(lp))
            if k == blank:
                break
            h = _extend(h, h["score"] + float(lp[k]), k, t, 1, lp[k])
    return _result([h], run)


def beam_rnnt(steps, n_frames, blank, beam_size, max_symbols=MAX_SYMBOLS):
    """NeMo's BeamRNNTInfer: greedy_search for beam 1, else default_beam_search.
    Returns (n-best list, statistics)."""
    if beam_size == 1:
        return greedy_rnnt_beam1(steps, n_frames, blank)
    V = blank
    beam = min(beam_size, V)
    beam_k = min(beam, V - 1)
    max_pops = MAX_POPS_FACTOR * beam_size * max_symbols
    run = _Run(steps)
    kept = [_hyp(0.0, (), [], [], [])]
    for t in range(n_frames):
        hyps, kept, pops = kept, [], 0
        while True:
            best = hyps.pop(first_max(hyps, lambda h: h["score"]))
            if len(hyps):
                _note_gap(run, [h["score"] for h in hyps], best["score"])
            lp = log_softmax32(run.joint(t, best["seq"]))
            for k in topk(lp[:V], beam_k):
                hyps.append(_extend(best, best["score"] + float(lp[k]), k, t, 1, lp[k]))
            kept.append(dict(best, score=best["score"] + float(lp[blank])))
            pops += 1
            m = max(h["score"] for h in hyps)
            above = sorted([h for h in kept if h["score"] > m], key=lambda h: h["score"])
            _stop_gap(run, [h["score"] for h in kept], m, beam)
            if len(above) >= beam:
                kept = above
                break
            if pops >= max_pops:
                kept = _guard(kept, beam)
                break
    return _result(sorted(kept, key=lambda h: h["score"] / (len(h["seq"]) + 1), reverse=True), run)


def _logaddexp32(a, b):
    return F32(np.logaddexp(np.float64(F32(a)), np.float64(F32(b))))


def merge_duplicates(hyps):
    out = {}
    for h in sorted(hyps, key=lambda h: float(h["score"]), reverse=True):
        key = (h["seq"], h["last_frame"])
        if key in out:
            out[key]["score"] = _logaddexp32(out[key]["score"], h["score"])
        else:
            out[key] = dict(h)
    return list(out.values())


def beam_tdt(steps, n_frames, blank, durations, beam_size, max_symbols=MAX_SYMBOLS):
    """NeMo's BeamTDTInfer.default_beam_search. Returns (n-best list, statistics)."""
    V, nd = blank, len(durations)
    beam = min(beam_size, V)
    beam_k = min(beam, V - 1)
    dk = min(beam, nd)
    zero = durations.index(0) if 0 in durations else None
    nonzero = [i for i in range(nd) if durations[i] != 0]
    min_nonzero = min(nonzero, key=lambda i: (durations[i], i))
    max_pops = MAX_POPS_FACTOR * beam_size * max_symbols
    run = _Run(steps)
    kept = [_hyp(F32(0), (), [], [], [], 0)]
    for t in range(n_frames):
        hyps = [h for h in kept if h["last_frame"] == t]
        kept = [h for h in kept if h["last_frame"] > t]
        pops = 0
        while hyps:
            best = hyps.pop(first_max(hyps, lambda h: float(h["score"])))
            if hyps:
                _note_gap(run, [h["score"] for h in hyps], best["score"])
            z = run.joint(t, best["seq"])
            lp, dlp = log_softmax32(z[:V + 1]), log_softmax32(z[V + 1:])
            tk, dtk = topk(lp[:V], beam_k), topk(dlp, dk)
            sums = [F32(dlp[d] + lp[k]) for d in dtk for k in tk]
            for i in topk(sums, beam_k):
                k, d = tk[i % beam_k], dtk[i // beam_k]
                h = _extend(best, F32(F32(best["score"]) + sums[i]), k, t, durations[d], lp[k])
                (hyps if durations[d] == 0 else kept).append(h)
            for d in dtk:
                if d == zero:
                    if dk != 1:
                        continue
                    d = min_nonzero
                s = F32(F32(F32(best["score"]) + lp[blank]) + dlp[d])
                kept.append(dict(best, score=s, last_frame=best["last_frame"] + durations[d]))
            kept = merge_duplicates(kept)
            pops += 1
            if hyps:
                m = max(float(h["score"]) for h in hyps)
                _stop_gap(run, [float(h["score"]) for h in kept], m, beam)
                above = sorted([h for h in kept if float(h["score"]) > m], key=lambda h: float(h["score"]))
                if len(above) >= beam:
                    kept = above
                    break
                if pops >= max_pops:
                    kept = _guard(kept, beam)
                    break
            else:
                kept = sorted(kept, key=lambda h: float(h["score"]), reverse=True)[:beam]
    return _result(sorted(kept, key=lambda h: float(h["score"]) / (len(h["seq"]) + 1), reverse=True), run)


# ------------------------------------------------------------------ hashed lattices

M64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class HashLattice:
    """A deterministic joint that tests in C can compute alike: the state is a hash of the
    token sequence; logit i at frame t is u * 8 - 4 (u in [0, 1), 24 bits) from
    splitmix64 of (state, t, i), plus blank_bias on the blank (float32 arithmetic
    throughout); peak_frame >= 0 adds 60 to token 0 there, and to the first duration
    (TDT; 0 in the cases): their log-probs round to 0, a frame NeMo would never leave."""

    def __init__(self, seed, n_tok, n_dur, blank_bias, peak_frame=-1):
        self.seed, self.n_tok, self.n_dur, self.bias, self.peak = seed, n_tok, n_dur, F32(blank_bias), peak_frame

    def start(self):
        return splitmix64(self.seed)

    def predict(self, s, token):
        return splitmix64(s ^ (token + 1))

    def joint(self, t, s):
        base = splitmix64(s ^ (((t + 1) * 0x100000001B3) & M64))
        z = np.empty(self.n_tok + self.n_dur, dtype=F32)
        for i in range(z.size):
            u = F32(splitmix64((base + i) & M64) >> 40) / F32(1 << 24)
            z[i] = F32(u * F32(8)) - F32(4)
        z[self.n_tok - 1] = z[self.n_tok - 1] + self.bias
        if t == self.peak:
            z[0] = z[0] + F32(60)
            if self.n_dur:
                z[self.n_tok] = z[self.n_tok] + F32(60)
        return z


# (kind, seed, frames, tokens with blank, durations, blank bias, beams, peak frame)
LATTICES = [
    ("rnnt", 11, 6, 6, [], 1.0, [1, 2, 3, 4], -1),
    ("rnnt", 12, 9, 8, [], 2.0, [2, 4, 8], -1),
    ("tdt", 21, 7, 6, [0, 1, 2, 3, 4], 1.0, [1, 2, 3, 4], -1),
    ("tdt", 22, 10, 8, [0, 1, 2, 3], 0.5, [2, 4, 8], -1),
    ("tdt", 23, 8, 6, [1, 2, 4], 1.0, [1, 2, 4], -1),
    ("rnnt", 31, 4, 6, [], 1.0, [2], 1),
    ("tdt", 32, 4, 6, [0, 1, 2], 1.0, [2], 1),
]


def path_score(steps, hyp, blank, durations, n_frames):
    """The score of a greedy decode's path under the beam search's scoring (tokens,
    blanks and, for TDT, durations), float64."""
    total, s, u = 0.0, steps.start(), 0
    for t, emitted, k, di in hyp["trace"]:
        while u < emitted:
            s = steps.predict(s, hyp["tokens"][u])
            u += 1
        z = np.asarray(steps.joint(t, s), dtype=np.float64)
        total += float(log_softmax32(z[:blank + 1])[k])
        if durations:
            total += float(log_softmax32(z[blank + 1:])[di])
    return total


def lattice_cases():
    """Every LATTICES case and beam with its greedy decode; the first case where beam 4
    beats greedy is marked."""
    import transducer_decode_ref as dr
    cases = []
    for kind, seed, T, n_tok, durs, bias, beams, peak in LATTICES:
        lat = HashLattice(seed, n_tok, len(durs), bias, peak)
        blank = n_tok - 1
        g = dr.greedy_tdt(lat, T, blank, durs) if kind == "tdt" else dr.greedy_rnnt(lat, T, blank)
        for b in beams:
            nbest, stats = beam_tdt(lat, T, blank, durs, b) if kind == "tdt" else beam_rnnt(lat, T, blank, b)
            best = nbest[0]
            cases.append({"kind": kind, "seed": seed, "frames": T, "n_tokens": n_tok, "durations": durs,
                          "blank_bias": bias, "peak_frame": peak, "beam": b, "best": best, "stats": stats,
                          "greedy_tokens": g["tokens"],
                          "greedy_path_score": path_score(lat, g, blank, durs, T),
                          "differs_from_greedy": best["tokens"] != g["tokens"]})
    return cases


# ------------------------------------------------------------------ the test models

def model_cases(layouts, data_dir):
    """Rebuild the tdt and rnnt test models as gen_transducer_layouts.py makes them (same
    seeds, same joint shaping), check them against the layouts' references, and decode
    ref/encoder_out.npy (what the C test feeds its decoders) with beams 1, 2, 4."""
    import torch
    import gen_frontend_refs as fr
    import gen_transducer_layouts as gl
    import nemo_torch as nt
    import transducer_decode_ref as dr
    torch.set_num_threads(1)
    audio, _ = fr.read_wav(os.path.join(data_dir, "audio", "jfk.wav"))
    out = {}
    for name in ("tdt", "rnnt"):
        refdir = os.path.join(layouts, name, "ref")
        facts = json.load(open(os.path.join(refdir, "facts.json"), encoding="utf-8"))
        c = nt.CONFIGS[name]
        model = nt.build(name).double()
        feats, valid = gl.features_of(audio, c["feat_in"], gl.PAD_TO[name])
        with torch.no_grad():
            enc, enc_len = model.encoder(feats, torch.tensor([valid], dtype=torch.int64))
            gl.shape_joint(name, model, enc, int(enc_len[0]), check=False)
            enc32 = torch.from_numpy(np.load(os.path.join(refdir, "encoder_out.npy")).astype(np.float64))
            n = int(np.load(os.path.join(refdir, "encoder_len.npy"))[0])
            steps = gl.TorchSteps(model, enc32)
            g = dr.greedy_tdt(steps, n, model.blank, model.durations) if name == "tdt" else \
                dr.greedy_rnnt(steps, n, model.blank)
            if g["tokens"] != facts["greedy"]["tokens"]:
                raise RuntimeError("%s: the rebuilt model's greedy decode differs from facts.json" % name)
            runs = {}
            for b in (1, 2, 4):
                nbest, stats = beam_tdt(steps, n, model.blank, model.durations, b) if name == "tdt" else \
                    beam_rnnt(steps, n, model.blank, b)
                runs[str(b)] = {"best": nbest[0], "n_best": len(nbest), "stats": stats,
                                "text": dr.text({"tokens": nbest[0]["tokens"]}, c["vocab"]),
                                "equals_greedy": nbest[0]["tokens"] == g["tokens"]}
        out[name] = {"frames": n, "greedy_tokens": g["tokens"], "beams": runs}
    return out


def main(argv):
    if argv == ["--selftest"]:
        return selftest()
    if len(argv) not in (2, 3):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    layouts, outdir = argv[0], argv[1]
    data = argv[2] if len(argv) > 2 else os.environ.get("VOCE_TEST_DATA", os.path.join(HERE, "..", "..", "..", "shared"))
    try:
        import torch  # noqa: F401
    except ImportError as e:
        print("skip: torch not available (%s)" % e)
        return 77
    if not os.path.isfile(os.path.join(layouts, "tdt", "ref", "facts.json")) or \
            not os.path.isfile(os.path.join(data, "audio", "jfk.wav")):
        print("skip: no transducer layouts at %s or no audio/jfk.wav in %s" % (layouts, data))
        return 77
    os.makedirs(outdir, exist_ok=True)
    facts = {"models": model_cases(layouts, data), "lattices": lattice_cases(),
             "max_pops_factor": MAX_POPS_FACTOR, "max_symbols": MAX_SYMBOLS}
    for name, m in facts["models"].items():
        for b, r in m["beams"].items():
            print("%s beam %s: %d tokens, score %.4f (norm %.4f), %s greedy, %d evaluations, at most %d at a "
                  "frame, closest decision %s" % (name, b, len(r["best"]["tokens"]), r["best"]["score"],
                                                    r["best"]["norm"], "=" if r["equals_greedy"] else "!=",
                                                    r["stats"]["evaluations"], r["stats"]["max_pops"],
                                                    "%.2g" % r["stats"]["min_gap"] if r["stats"]["min_gap"] is not None else "-"))
    with open(os.path.join(outdir, "beam_facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1, ensure_ascii=False)
    return 0


def selftest():
    fails = []

    def check(name, cond):
        if not cond:
            fails.append(name)

    cases = lattice_cases()
    check("some lattice where beam beats greedy",
          any(c["differs_from_greedy"] and c["best"]["score"] > c["greedy_path_score"] + 1e-3 for c in cases))
    for c in cases:
        if c["peak_frame"] >= 0:
            check("peak %s hits the bound" % c["kind"],
                  c["stats"]["max_pops"] == MAX_POPS_FACTOR * c["beam"] * MAX_SYMBOLS)
    # beam_size 1 (RNN-T) is NeMo's greedy with its 5-symbol limit
    lat = HashLattice(11, 6, 0, -3.0)
    g1, _ = beam_rnnt(lat, 5, 5, 1)
    per_frame = np.bincount(g1[0]["frames"], minlength=5) if g1[0]["frames"] else np.zeros(5)
    check("rnnt beam 1: at most 5 tokens a frame", per_frame.max() <= 5)
    # merging: two hypotheses with equal tokens and last frame fold into one
    a = _hyp(F32(-1.0), (1,), [0], [1], [0.0], 3)
    b = _hyp(F32(-2.0), (1,), [1], [2], [0.0], 3)
    m = merge_duplicates([b, a])
    check("merge", len(m) == 1 and abs(float(m[0]["score"]) - np.logaddexp(-1.0, -2.0)) < 1e-6 and m[0]["frames"] == [0])
    for f in fails:
        print("FAIL " + f)
    print("selftest: %s" % ("ok" if not fails else "%d failures" % len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
