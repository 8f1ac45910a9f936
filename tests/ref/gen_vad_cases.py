#!/usr/bin/env python3
"""Cases for the C test of voce's VAD segmenter: window probabilities, settings and the
segments that silero-vad's get_speech_timestamps() rules give for them (computed by
tests/ref/silero_segments.py).

usage: gen_vad_cases.py OUTDIR

Writes OUTDIR/cases.txt, one case a line, space-separated:
    NAME SAMPLE_RATE N_SAMPLES THRESHOLD NEG_THRESHOLD MIN_SPEECH_MS MIN_SILENCE_MS
    PAD_MS MAX_SPEECH_S MIN_SIL_AT_MAX_MS
floats written with repr() (they read back to the same double); NEG_THRESHOLD -1 means
the default max(threshold - 0.15, 0.01); MAX_SPEECH_S 0 means no limit. Beside it
OUTDIR/NAME.probs.npy (float32 [n_windows], n_windows = ceil(N_SAMPLES / window)) and
OUTDIR/NAME.segs.npy (int64 [n, 2], start and end samples; shape (0, 2) when none).

The probabilities are float32 and the rules compare them, as doubles, with double
thresholds (what upstream does with torch's .item()). Everything is drawn from fixed
seeds: the same numpy gives the same files. Exits 77 when numpy is missing.
"""
import math
import os
import sys

try:
    import numpy as np
except ImportError as e:
    print("skip: numpy is not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import silero_segments  # noqa: E402

F32 = np.float32


def f32(x):
    return float(F32(x))


def around(x):
    """float32 values at and next to the double x: the nearest float32 and its two
    neighbours (so that some lie on each side of x, and one equals it when x is a
    float32 value)."""
    c = F32(x)
    return [float(np.nextafter(c, F32(-1))), float(c), float(np.nextafter(c, F32(2)))]


class Case:
    def __init__(self, name, sr, probs, n_samples, threshold=0.5, neg=None, min_speech=250,
                 min_silence=100, pad=30, max_speech=0.0, min_sil_max=98):
        self.name, self.sr = name, sr
        self.probs = np.asarray(probs, dtype=F32).reshape(-1)
        self.n = int(n_samples)
        self.threshold, self.neg = float(threshold), neg
        self.min_speech, self.min_silence, self.pad = int(min_speech), int(min_silence), int(pad)
        self.max_speech = float(max_speech)
        self.min_sil_max = int(min_sil_max)
        w = silero_segments.window_size(sr)
        assert self.probs.size == -(-self.n // w), (name, self.probs.size, self.n)

    def segments(self):
        return silero_segments.segments(
            self.probs, self.n, self.sr, self.threshold, self.neg, self.min_speech,
            self.min_silence, self.pad, self.max_speech if self.max_speech > 0 else math.inf,
            self.min_sil_max)

    def line(self):
        neg = "-1" if self.neg is None else repr(float(self.neg))
        mx = "0" if self.max_speech == 0 else repr(self.max_speech)
        return " ".join([self.name, str(self.sr), str(self.n), repr(self.threshold), neg,
                         str(self.min_speech), str(self.min_silence), str(self.pad), mx,
                         str(self.min_sil_max)])


# ---- probability sequences -------------------------------------------------------

def runs_seq(rng, nw, speech_lo=0.7, sil_hi=0.2, mean_speech=20, mean_sil=12):
    """Alternating speech and silence runs of geometric lengths, values drawn inside
    each band; starts in either state."""
    out = np.empty(nw, dtype=F32)
    i, speech = 0, bool(rng.integers(2))
    while i < nw:
        k = int(rng.geometric(1.0 / (mean_speech if speech else mean_sil)))
        k = min(k, nw - i)
        if speech:
            out[i:i + k] = rng.uniform(speech_lo, 1.0, k)
        else:
            out[i:i + k] = rng.uniform(0.0, sil_hi, k)
        i += k
        speech = not speech
    return out


def smooth_seq(rng, nw):
    """Like model output: a two-state chain seen through a first-order low-pass filter,
    so probabilities rise and fall through every value, thresholds included."""
    out = np.empty(nw, dtype=F32)
    state = bool(rng.integers(2))
    p_switch = rng.uniform(0.02, 0.15)
    a = rng.uniform(0.3, 0.9)
    y = 0.9 if state else 0.05
    for i in range(nw):
        if rng.random() < p_switch:
            state = not state
        target = rng.uniform(0.85, 1.0) if state else rng.uniform(0.0, 0.1)
        y = a * y + (1 - a) * target + rng.normal(0, 0.03)
        out[i] = min(max(y, 0.0), 1.0)
    return out


def flicker_seq(rng, nw, thr, neg):
    """Values around the two thresholds: exact neighbours of both, and a band around
    them, in runs so that min_silence and min_speech both come into play."""
    points = around(thr) + around(neg)
    lo, hi = max(0.0, min(thr, neg) - 0.05), min(1.0, max(thr, neg) + 0.05)
    out = np.empty(nw, dtype=F32)
    i = 0
    while i < nw:
        k = min(int(rng.integers(1, 12)), nw - i)
        r = rng.random()
        if r < 0.45:
            out[i:i + k] = points[int(rng.integers(len(points)))]
        elif r < 0.75:
            out[i:i + k] = rng.uniform(lo, hi, k)
        elif r < 0.88:
            out[i:i + k] = rng.uniform(0.9, 1.0, k)
        else:
            out[i:i + k] = rng.uniform(0.0, 0.05, k)
        i += k
    return out


EXACT_VALUES = [0.5, 0.35, 0.01, 0.15, 0.3, 0.45, 0.6, 0.0, 1.0, 0.2, 0.25, 0.75]


def exact_seq(rng, nw, thr, neg):
    """Runs of a few exact values: the float32 numbers nearest to the usual thresholds
    (0.5, 0.35, 0.01, ...) and those around this case's thresholds."""
    values = [f32(v) for v in EXACT_VALUES] + around(thr) + around(neg)
    out = np.empty(nw, dtype=F32)
    i = 0
    while i < nw:
        k = min(int(rng.integers(1, 15)), nw - i)
        out[i:i + k] = values[int(rng.integers(len(values)))]
        i += k
    return out


def long_speech_seq(rng, nw, w, sr, with_gaps):
    """Long speech; with_gaps puts short silences inside it, some shorter and some
    longer than the 98 ms that max-speech splitting looks for, some of equal length."""
    out = rng.uniform(0.8, 1.0, nw).astype(F32)
    if with_gaps:
        i = int(rng.integers(0, 30))
        same = int(rng.integers(1, 8))
        while i < nw:
            i += int(rng.integers(5, 120))
            k = same if rng.random() < 0.3 else int(rng.integers(1, max(2, 400 * sr // 1000 // w)))
            out[i:i + k] = rng.uniform(0.0, 0.3, max(0, min(k, nw - i)))
            i += k
    return out


# ---- settings --------------------------------------------------------------------

def pick_threshold(rng):
    r = rng.random()
    if r < 0.2:
        return [0.5, 0.3, 0.6, 0.45, 0.35, 0.7, 0.25, 0.8][int(rng.integers(8))]
    if r < 0.45:
        return f32(rng.uniform(0.2, 0.9))          # a float32 value: probabilities can equal it
    return float(rng.uniform(0.2, 0.9))


def pick_neg(rng, thr):
    r = rng.random()
    if r < 0.5:
        return None
    if r < 0.6:
        return thr
    if r < 0.65:
        return 0.0
    if r < 0.8:
        return f32(rng.uniform(0.01, thr))
    return float(rng.uniform(0.01, thr))


def pick_max_speech(rng, sr, w, pad_ms, nw):
    r = rng.random()
    if r < 0.45:
        return 0.0
    if r < 0.6:
        # on the window grid: sr*max - w - 2*pad lands on (or next to) a multiple of w;
        # at least 0.5 s
        k0 = max(1, math.ceil((sr / 2 - w - 2 * sr * pad_ms / 1000) / w))
        k = k0 + int(rng.integers(0, 40))
        return round((w * k + w + 2 * sr * pad_ms / 1000) / sr, int(rng.integers(3, 6)))
    top = min(20.0, max(0.5, nw * w / sr))
    return float(round(rng.uniform(0.5, top), int(rng.integers(1, 4)))) if rng.random() < 0.5 \
        else float(rng.uniform(0.5, top))


def pick_ms(rng, default, top):
    """The upstream default, a multiple of 32 ms (a whole number of windows at both
    rates, where `>` and `>=` give different segments), or anything up to top."""
    r = rng.random()
    if r < 0.2:
        return default
    if r < 0.45:
        return 32 * int(rng.integers(0, top // 32 + 1))
    return int(rng.integers(0, top + 1))


def random_settings(rng, sr, nw):
    w = silero_segments.window_size(sr)
    thr = pick_threshold(rng)
    neg = pick_neg(rng, thr)
    min_speech = pick_ms(rng, 250, 1000)
    min_silence = pick_ms(rng, 100, 2000)
    pad = pick_ms(rng, 30, 500)
    max_speech = pick_max_speech(rng, sr, w, pad, nw)
    min_sil_max = 98 if rng.random() < 0.6 else pick_ms(rng, 98, 500)
    return dict(threshold=thr, neg=neg, min_speech=min_speech, min_silence=min_silence,
                pad=pad, max_speech=max_speech, min_sil_max=min_sil_max)


def n_samples_for(rng, nw, w):
    if nw == 0:
        return 0
    if rng.random() < 0.5:
        return nw * w
    return (nw - 1) * w + int(rng.integers(1, w + 1))


def make_cases():
    cases = []
    # Fixed cases first: the edges, then the upstream defaults on simple shapes.
    cases.append(Case("empty", 16000, [], 0))
    cases.append(Case("empty_8k", 8000, [], 0, threshold=0.3))
    cases.append(Case("one_window_speech", 16000, [0.9], 512, min_speech=0))
    cases.append(Case("one_window_short", 16000, [0.9], 300, min_speech=10, pad=0))
    cases.append(Case("one_window_silence", 16000, [0.1], 512))
    cases.append(Case("one_window_8k", 8000, [0.99], 200, min_speech=20, pad=100))
    cases.append(Case("two_windows", 16000, [0.9, 0.9], 1000, min_speech=0, pad=500))
    cases.append(Case("exact_half_is_speech", 16000, [0.5] * 20, 20 * 512, pad=0))
    cases.append(Case("below_half_is_not", 16000, [around(0.5)[0]] * 20, 20 * 512))
    cases.append(Case("exact_035_is_silence", 16000, [0.9] * 10 + [0.35] * 10 + [0.9] * 10, 30 * 512))
    cases.append(Case("exact_neg_is_not_silence", 16000, [0.9] * 10 + [0.25] * 10, 20 * 512,
                      neg=0.25))
    cases.append(Case("neg_floor_001", 16000, [0.9] * 10 + [0.01] * 10 + [0.009] * 10, 30 * 512,
                      threshold=0.15))
    cases.append(Case("open_end_equal_min_speech", 16000, [0.0] * 5 + [0.9] * 8, 2560 + 4000))
    cases.append(Case("open_end_over_min_speech", 16000, [0.0] * 5 + [0.9] * 8, 2560 + 4001))
    cases.append(Case("all_speech_no_limit", 16000, [0.95] * 600, 600 * 512 - 7))
    cases.append(Case("all_speech_cut", 16000, [0.95] * 600, 600 * 512, max_speech=1.0))
    cases.append(Case("all_speech_cut_8k", 8000, [0.95] * 600, 600 * 256 - 100, max_speech=0.5,
                      pad=500))
    cases.append(Case("negative_max_speech", 16000, [0.9] * 50 + [0.0] * 10 + [0.9] * 40, 100 * 512,
                      max_speech=0.5, pad=500, min_speech=0))

    rng0 = np.random.default_rng(20240603)
    seeds = rng0.integers(0, 2**63 - 1, size=290)
    kinds = ["runs", "smooth", "flicker", "exact", "long_gaps", "long_plain"]
    for idx, seed in enumerate(seeds):
        rng = np.random.default_rng(int(seed))
        kind = kinds[idx % len(kinds)]
        sr = 16000 if rng.random() < 0.7 else 8000
        w = silero_segments.window_size(sr)
        if kind in ("long_gaps", "long_plain"):
            nw = int(rng.integers(200, 3000))
        elif rng.random() < 0.08:
            nw = int(rng.integers(1, 4))
        else:
            nw = int(rng.integers(4, 2000))
        st = random_settings(rng, sr, nw)
        neg_eff = st["neg"] if st["neg"] is not None else silero_segments.default_neg_threshold(st["threshold"])
        if kind == "runs":
            probs = runs_seq(rng, nw, speech_lo=rng.uniform(0.5, 0.95), sil_hi=rng.uniform(0.05, 0.5),
                             mean_speech=rng.uniform(2, 60), mean_sil=rng.uniform(2, 40))
        elif kind == "smooth":
            probs = smooth_seq(rng, nw)
        elif kind == "flicker":
            probs = flicker_seq(rng, nw, st["threshold"], neg_eff)
        elif kind == "exact":
            probs = exact_seq(rng, nw, st["threshold"], neg_eff)
        else:
            probs = long_speech_seq(rng, nw, w, sr, kind == "long_gaps")
            if st["max_speech"] == 0 or rng.random() < 0.5:
                st["max_speech"] = float(round(rng.uniform(0.5, 6.0), 2))
            if st["threshold"] > 0.75:
                st["threshold"] = 0.5
                st["neg"] = None
        n = n_samples_for(rng, nw, w)
        cases.append(Case("r%03d_%s_%dk" % (idx, kind, sr // 1000), sr, probs, n, **st))
    return cases


def main(argv):
    if len(argv) != 1:
        print("usage: gen_vad_cases.py OUTDIR", file=sys.stderr)
        return 2
    out = argv[0]
    os.makedirs(out, exist_ok=True)
    cases = make_cases()
    lines = []
    n_segs = 0
    for c in cases:
        segs = np.array(c.segments(), dtype=np.int64).reshape(-1, 2)
        n_segs += segs.shape[0]
        np.save(os.path.join(out, c.name + ".probs.npy"), c.probs)
        np.save(os.path.join(out, c.name + ".segs.npy"), segs)
        lines.append(c.line())
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %d VAD cases (%d segments) to %s" % (len(cases), n_segs, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
