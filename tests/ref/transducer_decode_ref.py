#!/usr/bin/env python3
"""NeMo's greedy decoders for TDT, RNN-T and CTC, and its token and word timestamps,
written in Python from NeMo's source as the reference voce's decoders are held to.

    import transducer_decode_ref as dr
    hyp = dr.greedy_tdt(steps, n_frames, blank, durations)      # label-looping, NeMo default
    hyp = dr.greedy_rnnt(steps, n_frames, blank)
    hyp = dr.greedy_ctc(logprobs, n_frames, blank)               # logprobs [T, V + 1]
    words = dr.word_offsets(hyp, pieces, "tdt")                  # "▁" starts a word
    python3 transducer_decode_ref.py --selftest                  # the rules on small cases

`steps` is any object with
    start()            -> s    the prediction network primed with the blank (a zero
                               embedding) from the zero LSTM state (NeMo's SOS = blank)
    predict(s, token)  -> s'   one prediction-network step on an emitted token
    joint(t, s)        -> 1-D float array: the raw joint logits for encoder frame t,
                               tokens 0..V-1, blank V, then the TDT duration logits
so the same decoders run on PyTorch (gen_transducer_layouts.py) and on ONNX Runtime's
outputs (check_transducer_layouts.py). A hypothesis is a dict:
    tokens     token ids, in order
    frames     the encoder frame each token was emitted at (NeMo's hypothesis.timestamp)
    durations  TDT: the predicted duration of each token (NeMo's token_duration); RNN-T
               and CTC: None (CTC has "repeats", the frames of each token's run)
    logits     the token's raw joint logit (the value NeMo adds to the score for TDT)
    logprobs   log-softmax of the token logits (V + 1 of them, durations excluded) at
               the chosen token: the per-token log probability
    trace      every joint evaluation: (frame, tokens emitted so far, argmax token,
               argmax duration index or -1); the step-by-step path
    margins    per evaluation, top-1 minus top-2 token logit (and, TDT, the same for the
               durations): how far float rounding is from flipping a decision

Rules, with the NeMo source each comes from (NVIDIA/NeMo main, 2025-09):

TDT, greedy_tdt(variant="label_looping"): nemo/collections/asr/parts/submodules/
transducer_decoding/tdt_label_looping.py, GreedyTDTLabelLoopingComputer.torch_impl (what
strategy "greedy_batch", NeMo's default for Parakeet, runs):
  1. s = start(); t = 0. While t < T:
  2. logits = joint(t, s); k = argmax over the V + 1 token logits (first maximum);
     d = durations[argmax over the duration logits]; if k is blank and d == 0 then d = 1;
     the label's frame is t; t += d.
  3. While k is blank and t < T: the same at the new t (frame t, t += d).
  4. If k is not blank: emit (k, frame, d) -- even when t >= T now; s = predict(s, k).
  5. max_symbols (10): if k is not blank, t < T, and the last max_symbols (or more)
     emitted tokens all have frame == t (the token's duration was 0), then t += 1.
TDT, variant="frame": rnnt_greedy_decoding.py, GreedyTDTInfer._greedy_decode (strategy
"greedy"): per frame t, up to max_symbols joint evaluations while the duration is 0; a
non-blank is emitted with its duration; t += d after each evaluation; when the
evaluations at a frame reach max_symbols, t += 1 more, even if the last d was > 0.
A blank with duration 0 repeats the same evaluation until max_symbols, then moves one
frame: the same outcome as label looping's d = 1. The two variants differ only when a
frame reaches max_symbols evaluations (label looping counts emitted tokens at the frame,
the frame loop counts evaluations, and adds the extra frame even after d > 0).

RNN-T, greedy_rnnt: rnnt_greedy_decoding.py, GreedyRNNTInfer._greedy_decode (and
rnnt_label_looping.py, which gives the same result): for each frame t < T, up to
max_symbols (10) times: k = argmax of joint(t, s) over V + 1; blank ends the frame;
otherwise emit (k, t) and s = predict(s, k). The prediction state only advances on
emitted tokens.

CTC, greedy_ctc: ctc_greedy_decoding.py, GreedyCTCInfer (argmax per frame over the first
T frames, first maximum) and ctc_decoding.py, AbstractCTCDecoding.decode_hypothesis
(fold_consecutive): a frame starts a token when its label is not blank and differs from
the previous frame's label (or the previous was blank); "repeats" counts the frames of
the token's run. Token offsets as ctc_decoding.py _compute_offsets computes them from
token_lengths: token i spans [p(i-1), p(i)] where p(i) is its first frame and p(-1) =
max(0, p(0) - 1) -- NeMo's intervals end where the token starts.

Timestamps (rnnt_decoding.py compute_rnnt_timestamps, _compute_offsets(_tdt),
_refine_timestamps(_tdt); ctc_decoding.py compute_ctc_timestamps, _refine_timestamps;
nemo/collections/asr/parts/utils/timestamp_utils.py get_words_offsets,
process_timestamp_outputs; tokenizer_utils.py extract_punctuation_from_vocab):
  token offsets in encoder frames: TDT [frame, frame + duration]; RNN-T [frame,
  frame + 1]; CTC as above. Punctuation = the characters of Unicode category P in the
  pieces that are not special (<..>, [..], ##.., ▁.., blank). Refinement: TDT, a token
  whose text is punctuation (not the first) gets start = end = the previous token's end;
  CTC, a token whose text starts with punctuation (not the first) gets end = start;
  RNN-T none.
  Words (SentencePiece, delimiter " "): a token starts a word when its piece differs
  from its decoded text (it carries "▁"; "<unk>" too) and it is not punctuation, or its
  text is " " and the next non-" " token is not punctuation; the word built so far is
  closed with the previous token's end. Punctuation with nothing built is appended to
  the previous word (extending its end); with a word being built it joins it. The first
  word starts at the first token's start. Word text = the pieces decoded together.
  Seconds = offset * window_stride (0.01) * subsampling_factor (8).
Pieces decode as SentencePiece does: joined, "▁" -> " ", one leading space dropped;
"<unk>" -> " ⁇ ".
"""
import sys
import unicodedata

import numpy as np

MAX_SYMBOLS = 10
SPACE = "\u2581"


def _argmax(x):
    """First index of the maximum (torch.max / argmax on CPU take the first)."""
    return int(np.argmax(np.asarray(x)))


def _margin(x):
    x = np.sort(np.asarray(x, dtype=np.float64))
    return float(x[-1] - x[-2]) if x.size > 1 else float("inf")


def _log_softmax_at(x, k):
    x = np.asarray(x, dtype=np.float64)
    m = x.max()
    return float(x[k] - m - np.log(np.exp(x - m).sum()))


def _new_hyp(tdt):
    return {"tokens": [], "frames": [], "durations": [] if tdt else None, "logits": [],
            "logprobs": [], "trace": [], "margins": []}


def _evaluate(steps, t, s, n_tok, n_dur, hyp, emitted):
    """One joint evaluation: (token, duration index or -1, token logits)."""
    z = np.asarray(steps.joint(t, s), dtype=np.float64).reshape(-1)
    if z.size != n_tok + n_dur:
        raise ValueError("joint gave %d logits, expected %d tokens + %d durations" % (z.size, n_tok, n_dur))
    tok = z[:n_tok]
    k = _argmax(tok)
    di = _argmax(z[n_tok:]) if n_dur else -1
    hyp["trace"].append((t, emitted, k, di))
    hyp["margins"].append((_margin(tok), _margin(z[n_tok:]) if n_dur > 1 else float("inf")))
    return k, di, tok


def _emit(hyp, k, t, tok, d=None):
    hyp["tokens"].append(k)
    hyp["frames"].append(t)
    if hyp["durations"] is not None:
        hyp["durations"].append(d)
    hyp["logits"].append(float(tok[k]))
    hyp["logprobs"].append(_log_softmax_at(tok, k))


def greedy_tdt(steps, n_frames, blank, durations, max_symbols=MAX_SYMBOLS, variant="label_looping"):
    """NeMo's greedy TDT decoding of n_frames encoder frames (see the module doc)."""
    if variant == "frame":
        return _greedy_tdt_frame(steps, n_frames, blank, durations, max_symbols)
    if variant != "label_looping":
        raise ValueError("variant must be label_looping or frame, not %r" % (variant,))
    n_tok, n_dur = blank + 1, len(durations)
    hyp = _new_hyp(True)
    s, t = steps.start(), 0
    last_frame, lasts = -1, 0
    while t < n_frames:
        k, di, tok = _evaluate(steps, t, s, n_tok, n_dur, hyp, len(hyp["tokens"]))
        d = durations[di]
        if k == blank and d == 0:
            d = 1
        frame = t
        t += d
        while k == blank and t < n_frames:
            frame = t
            k, di, tok = _evaluate(steps, t, s, n_tok, n_dur, hyp, len(hyp["tokens"]))
            d = durations[di]
            if k == blank and d == 0:
                d = 1
            t += d
        if k != blank:
            _emit(hyp, k, frame, tok, d)
            lasts = lasts + 1 if frame == last_frame else 1
            last_frame = frame
            s = steps.predict(s, k)
            if t < n_frames and lasts >= max_symbols and last_frame == t:
                t += 1
    return hyp


def _greedy_tdt_frame(steps, n_frames, blank, durations, max_symbols):
    n_tok, n_dur = blank + 1, len(durations)
    hyp = _new_hyp(True)
    s, t = steps.start(), 0
    while t < n_frames:
        frame, added, need = t, 0, True
        while need and added < max_symbols:
            k, di, tok = _evaluate(steps, frame, s, n_tok, n_dur, hyp, len(hyp["tokens"]))
            d = durations[di]
            if k != blank:
                _emit(hyp, k, frame, tok, d)
                s = steps.predict(s, k)
            added += 1
            t += d
            need = d == 0
        if added == max_symbols:
            t += 1
    return hyp


def greedy_rnnt(steps, n_frames, blank, max_symbols=MAX_SYMBOLS):
    """NeMo's greedy RNN-T decoding (see the module doc)."""
    hyp = _new_hyp(False)
    s = steps.start()
    for t in range(n_frames):
        for _ in range(max_symbols):
            k, _, tok = _evaluate(steps, t, s, blank + 1, 0, hyp, len(hyp["tokens"]))
            if k == blank:
                break
            _emit(hyp, k, t, tok)
            s = steps.predict(s, k)
    return hyp


def greedy_ctc(logprobs, n_frames, blank):
    """NeMo's greedy CTC: argmax per frame, repeats folded, blanks dropped. logprobs
    [T, V + 1]; only the first n_frames count."""
    lp = np.asarray(logprobs, dtype=np.float64)[:n_frames]
    labels = [_argmax(row) for row in lp]
    hyp = _new_hyp(False)
    hyp["repeats"] = []
    hyp["labels"] = labels
    hyp["margins"] = [(_margin(row), float("inf")) for row in lp]
    prev = blank
    for i, k in enumerate(labels):
        if k != blank and (k != prev or prev == blank):
            _emit(hyp, k, i, lp[i])
            hyp["logprobs"][-1] = float(lp[i][k])
            hyp["repeats"].append(1)
        elif k == prev and k != blank:
            hyp["repeats"][-1] += 1
        prev = k
    return hyp


# ------------------------------------------------------------------ text and timestamps

def decode_pieces(pieces):
    """SentencePiece's decoding of a piece sequence."""
    s = "".join(" \u2047 " if p == "<unk>" else p for p in pieces).replace(SPACE, " ")
    return s[1:] if s.startswith(" ") else s


def supported_punctuation(pieces):
    """extract_punctuation_from_vocab: Unicode-P characters of the non-special pieces."""
    def special(p):
        return (p.startswith("[") and p.endswith("]")) or (p.startswith("<") and p.endswith(">")) \
            or p.startswith("##") or p.startswith(SPACE) or p.strip() == ""
    return {ch for p in pieces if not special(p) for ch in p if unicodedata.category(ch).startswith("P")}


def token_offsets(hyp, pieces, kind):
    """Per token: {"piece", "text", "start_offset", "end_offset"} in encoder frames, after
    NeMo's refinement for the decoder kind ("tdt", "rnnt", "ctc")."""
    punct = supported_punctuation(pieces)
    out = []
    toks, frames = hyp["tokens"], hyp["frames"]
    for i, (k, f) in enumerate(zip(toks, frames)):
        if kind == "tdt":
            s, e = f, f + hyp["durations"][i]
        elif kind == "rnnt":
            s, e = f, f + 1
        elif kind == "ctc":
            s = max(0, frames[0] - 1) if i == 0 else frames[i - 1]
            e = f
        else:
            raise ValueError("kind must be tdt, rnnt or ctc")
        out.append({"piece": pieces[k], "text": decode_pieces([pieces[k]]), "start_offset": s, "end_offset": e})
    if punct:
        for i in range(1, len(out)):
            text = out[i]["text"]
            if kind == "tdt" and text in punct:
                out[i]["start_offset"] = out[i]["end_offset"] = out[i - 1]["end_offset"]
            elif kind == "ctc" and text and text[0] in punct:
                out[i]["end_offset"] = out[i]["start_offset"]
    return out


def word_offsets(hyp, pieces, kind, window_stride=0.01, subsampling_factor=8):
    """NeMo's word timestamps (get_words_offsets for a SentencePiece "bpe" tokenizer with
    the word delimiter " "): [{"word", "start_offset", "end_offset", "start", "end"}]."""
    punct = supported_punctuation(pieces)
    chars = token_offsets(hyp, pieces, kind)
    words, built, prev_i = [], [], 0
    for i, c in enumerate(chars):
        text, token = c["text"], c["piece"]
        cur_punct = bool(punct) and text in punct and text != " "
        nxt, j = None, i
        while not nxt and j < len(chars) - 1:
            j += 1
            nxt = chars[j]["text"]
            nxt = nxt if nxt != " " else None
        starts = token != text or (text == " " and nxt not in punct)
        if starts and not cur_punct:
            if built:
                words.append({"word": decode_pieces(built), "start_offset": chars[prev_i]["start_offset"],
                              "end_offset": chars[i - 1]["end_offset"]})
            built = []
            if text != " ":
                built.append(token)
                prev_i = i
        elif cur_punct and not built and words:
            w = words[-1]
            w["end_offset"] = c["end_offset"]
            if w["word"].endswith(" "):
                w["word"] = w["word"][:-1]
            w["word"] += text
        elif cur_punct and built:
            if built[-1] in (" ", "_", SPACE):
                built = built[:-1]
            built.append(token)
        else:
            if not built:
                prev_i = i
            built.append(token)
    if not words:
        if built:
            words.append({"word": decode_pieces(built), "start_offset": chars[0]["start_offset"],
                          "end_offset": chars[-1]["end_offset"]})
    else:
        words[0]["start_offset"] = chars[0]["start_offset"]
        if built:
            words.append({"word": decode_pieces(built), "start_offset": chars[prev_i]["start_offset"],
                          "end_offset": chars[-1]["end_offset"]})
    sec = window_stride * subsampling_factor
    for w in words:
        w["start"] = w["start_offset"] * sec
        w["end"] = w["end_offset"] * sec
    return words


def text(hyp, pieces):
    return decode_pieces([pieces[k] for k in hyp["tokens"]])


# ------------------------------------------------------------------ self-test

class _Table:
    """steps over a scripted lattice: joint(t, u) = table[(t, u)] or the default row.
    u = tokens emitted so far."""

    def __init__(self, n_tok, n_dur, table, default):
        self.n_tok, self.n_dur, self.table, self.default = n_tok, n_dur, table, default

    def start(self):
        return 0

    def predict(self, s, token):
        return s + 1

    def joint(self, t, s):
        k, di = self.table.get((t, s), self.default)
        z = np.zeros(self.n_tok + self.n_dur)
        z[k] = 5.0
        if self.n_dur:
            z[self.n_tok + di] = 3.0
        return z


def _selftest():
    fails = []

    def check(name, got, want):
        if got != want:
            fails.append("%s: got %r, want %r" % (name, got, want))

    B, durs = 4, [0, 1, 2, 3, 4]            # tokens 0..3, blank 4
    blank_1 = (B, 1)
    # blank with duration 0 moves one frame; a token with duration 0 stays on the frame
    steps = _Table(5, 5, {(0, 0): (4, 0), (1, 0): (2, 0), (1, 1): (3, 2), (3, 2): (1, 4)}, blank_1)
    h = greedy_tdt(steps, 6, B, durs)
    check("tdt tokens", (h["tokens"], h["frames"], h["durations"]), ([2, 3, 1], [1, 1, 3], [0, 2, 4]))
    check("tdt frame variant", greedy_tdt(steps, 6, B, durs, variant="frame")["tokens"], [2, 3, 1])
    # a token at the last frame with a long duration is still emitted
    h = greedy_tdt(_Table(5, 5, {(2, 0): (0, 4)}, blank_1), 3, B, durs)
    check("tdt end", (h["tokens"], h["frames"]), ([0], [2]))
    # blank with a duration skips frames
    h = greedy_tdt(_Table(5, 5, {(0, 0): (4, 3), (3, 0): (1, 1)}, blank_1), 5, B, durs)
    check("tdt skip", (h["tokens"], h["frames"], [e[0] for e in h["trace"]]), ([1], [3], [0, 3, 4]))
    # max_symbols: 10 tokens of duration 0 at frame 0, then label looping moves one frame
    tab = {(0, u): (0, 0) for u in range(12)}
    tab[(1, 10)] = (1, 1)
    h = greedy_tdt(_Table(5, 5, tab, blank_1), 3, B, durs)
    check("tdt max_symbols", (h["tokens"], h["frames"]), ([0] * 10 + [1], [0] * 10 + [1]))
    # the variants differ when the 10th evaluation at a frame has a duration > 0
    tab = {(0, u): (0, 0) for u in range(9)}
    tab[(0, 9)] = (2, 2)
    tab[(2, 10)] = (1, 1)
    tab[(3, 10)] = (3, 1)
    h1 = greedy_tdt(_Table(5, 5, tab, blank_1), 5, B, durs)
    h2 = greedy_tdt(_Table(5, 5, tab, blank_1), 5, B, durs, variant="frame")
    check("tdt variants", (h1["tokens"][9:], h2["tokens"][9:]), ([2, 1], [2, 3]))
    # RNN-T: up to 10 symbols per frame, blank ends the frame
    tab = {(0, u): (1, -1) for u in range(15)}
    tab[(1, 10)] = (2, -1)
    h = greedy_rnnt(_Table(5, 0, tab, (B, -1)), 3, B)
    check("rnnt", (h["tokens"], h["frames"]), ([1] * 10 + [2], [0] * 10 + [1]))
    check("rnnt trace", len(h["trace"]), 10 + 2 + 1)
    # CTC: repeats folded, blank splits repeats; NeMo's offsets
    lp = np.full((9, 5), -5.0)
    for i, k in enumerate([4, 1, 1, 4, 1, 2, 2, 2, 4]):
        lp[i, k] = 0.0
    h = greedy_ctc(lp, 9, B)
    check("ctc", (h["tokens"], h["frames"], h["repeats"]), ([1, 1, 2], [1, 4, 5], [2, 1, 3]))
    pieces = ["\u2581a", "b", ",", "\u2581c"]
    off = token_offsets(h, pieces, "ctc")
    check("ctc offsets", [(o["start_offset"], o["end_offset"]) for o in off], [(0, 1), (1, 4), (4, 4)])
    # words: "▁a b , ▁c" -> "ab," and "c"
    h = {"tokens": [0, 1, 2, 3], "frames": [0, 2, 5, 7], "durations": [1, 2, 1, 1]}
    w = word_offsets(h, pieces, "tdt")
    check("words tdt", [(x["word"], x["start_offset"], x["end_offset"]) for x in w],
          [("ab,", 0, 4), ("c", 7, 8)])
    check("words seconds", (round(w[1]["start"], 6), round(w[1]["end"], 6)), (0.56, 0.64))
    h["durations"] = None
    w = word_offsets(h, pieces, "rnnt")
    check("words rnnt", [(x["word"], x["start_offset"], x["end_offset"]) for x in w],
          [("ab,", 0, 6), ("c", 7, 8)])
    check("decode", decode_pieces(["\u2581the", "\u2581c", "at", "<unk>"]), "the cat \u2047 ")
    check("punctuation", sorted(supported_punctuation(["\u2581a", ",", "'", "\u2581.", "<x>"])), ["'", ","])
    for f in fails:
        print("FAIL " + f)
    print("selftest: %s" % ("ok" if not fails else "%d failures" % len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(_selftest())
    print(__doc__.split("\n\n")[0])
    sys.exit(2)
