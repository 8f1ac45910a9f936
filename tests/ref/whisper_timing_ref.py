#!/usr/bin/env python3
"""Cases for the C test of Whisper word timestamps (tests/test_whisper_timing.c): a
numpy implementation of the rules of openai-whisper's timing.py (find_alignment,
median_filter, dtw_cpu + backtrace, merge_punctuations, add_word_timestamps) and of
its tokenizer's split_tokens_on_unicode / split_tokens_on_spaces, written from those
rules, run on seeded random and structured cross-attention and on token sequences of
the real multilingual vocabulary.

usage: whisper_timing_ref.py OUTDIR [DATA_DIR]

DATA_DIR (default $VOCE_TEST_DATA, else ../shared beside the repository) holds
models/whisper-assets/multilingual.tiktoken; without it only the cases that need no
vocabulary are written, and OUTDIR/missing.txt names the file.

Writes OUTDIR/cases.txt (format below), OUTDIR/vocab.txt ("ID HEX" per token used;
"-" for no bytes) and per case NAME.attn.npy (float32 [heads, rows, n_ctx]),
NAME.matrix.npy (float32 [n_text + 1, frames]: the DTW input before negation),
NAME.path.npy (int32 [2, steps]: rows, columns), and for cases with text
NAME.tokens.npy (int32) and NAME.probs.npy (float32).

cases.txt, one record per case:
    case NAME KIND N_SOT NUM_FRAMES SEEK SPLIT LAST_SPEECH N_SEGS   (KIND probs|logits,
                                                 SPLIT spaces|unicode|none: no text)
    seg START END N_TOKENS                       N_SEGS lines: the input segments
    align N   then N lines  w HEX TB TE START END PROB   (find_alignment's words)
    out N     then N lines  w HEX TB TE START END PROB   (add_word_timestamps' words)
    segout START END WB WE                       N_SEGS lines: segments afterwards
    end
split-only records:
    split NAME MODE EOT N ID...   then   words N   and N lines  w HEX TB TE
and lines "round X Y": Y is Python's round(X, 2).
Floats are repr() (they read back to the same double). HEX is the UTF-8 text.

The numerics follow timing.py where it fixes them (float32 weights, float32 DTW costs
over float64 inputs, times = frame / 50) and fix an order where it does not, so that
the C code can give the same bits: sums over rows and heads in index order, softmax and
renormalisation in float64 rounded to float32. Where a head's weights at a frame are
equal over all rows, torch's 0/0 gives NaN; this reference (and voce) puts 0 there.
Where Python's split_tokens_on_unicode would raise IndexError, the group stays open.
When torch is available the matrix is also computed with torch literally as timing.py
does (softmax of the cut scores, std_mean, F.pad reflect, unfold + sort) and compared.
Exits 77 when numpy is missing.
"""
import base64
import os
import re
import string
import sys

try:
    import numpy as np
except ImportError as e:
    print("skip: numpy is not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

F32, F64 = np.float32, np.float64
FPS = 16000 / (160 * 2)        # timing.py's TOKENS_PER_SECOND, from audio.py's constants
HOP, SR = 160, 16000
PREPENDED = "\"'“¿([{-"
APPENDED = "\"'.。,，!！?？:：”)]}、"
EOT_TEXT = b"<|endoftext|>"

hits = {}


def hit(name):
    hits[name] = hits.get(name, 0) + 1


# ---------------------------------------------------------------- the matrix

def kept_probs(attn, kind, k):
    """The softmax over the first k frames (timing.py: softmax of the cut scores), from
    scores, or from whole-context probabilities renormalised. float64, sequential sums,
    times the sum's inverse as torch's softmax does."""
    x = attn[:, :, :k].astype(F64)
    if kind == "logits":
        m = attn[:, :, :k].max(axis=-1, keepdims=True).astype(F64)
        x = np.exp(x - m)
    s = np.cumsum(x, axis=-1)[..., -1:]
    return (x * (1.0 / s)).astype(F32)


def standardise(w):
    """(w - mean) / std over the row axis, torch.std_mean(unbiased=False): float64 sums in
    row order, float32 mean and std, float32 arithmetic; std 0 gives 0."""
    rows = w.shape[1]
    w64 = w.astype(F64)
    acc = np.zeros((w.shape[0], w.shape[2]), F64)
    for r in range(rows):
        acc += w64[:, r, :]
    mean = acc / rows
    acc = np.zeros_like(mean)
    for r in range(rows):
        d = w64[:, r, :] - mean
        acc += d * d
    std = np.sqrt(acc / rows).astype(F32)[:, None, :]
    m32 = mean.astype(F32)[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ((w - m32) / std).astype(F32)
    if (std == 0).any():
        hit("std_zero")
    return np.where(std > 0, z, F32(0)).astype(F32)


def median_filter(x, width):
    """timing.py's median_filter along the last axis (reflect padding, the middle of the
    sorted window; NaN sorts last as in torch)."""
    pad = width // 2
    if x.shape[-1] <= pad:
        return x.copy()
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    win = np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1)
    return np.sort(win, axis=-1)[..., pad].astype(x.dtype)


def alignment_matrix(attn, kind, n_sot, num_frames, width=7):
    k = num_frames // 2
    w = standardise(kept_probs(attn, kind, k))
    w = w[:, n_sot:-1, :]                  # rows are filtered one by one: cut first
    acc = None
    for h in range(w.shape[0]):
        f = median_filter(w[h], width)
        acc = f.copy() if acc is None else (acc + f).astype(F32)
    return (acc / F32(w.shape[0])).astype(F32)


def torch_matrix(attn, kind, n_sot, num_frames, logits=None):
    """timing.py's own steps in torch (float32), for a cross-check of the above."""
    import torch
    import torch.nn.functional as F
    k = num_frames // 2
    if kind == "logits":
        weights = torch.from_numpy(attn)[:, :, :k].softmax(dim=-1)
    else:  # the scores that made the probabilities, cut, then softmax: timing.py's way
        weights = torch.from_numpy(logits)[:, :, :k].softmax(dim=-1)
    std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
    weights = (weights - mean) / std
    pad = 3
    if weights.shape[-1] > pad:
        x = F.pad(weights[None], (pad, pad, 0, 0), mode="reflect")[0]
        weights = x.unfold(-1, 7, 1).sort()[0][..., pad]
    matrix = weights.mean(axis=0)
    return matrix[n_sot:-1].numpy()


# ---------------------------------------------------------------- DTW

def dtw_literal(x):
    """dtw_cpu and backtrace as written in timing.py (loops), for small inputs."""
    n, m = x.shape
    cost = np.ones((n + 1, m + 1), dtype=F32) * np.inf
    trace = -np.ones((n + 1, m + 1), dtype=F32)
    cost[0, 0] = 0
    for j in range(1, m + 1):
        for i in range(1, n + 1):
            c0, c1, c2 = cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1]
            if c0 < c1 and c0 < c2:
                c, t = c0, 0
            elif c1 < c0 and c1 < c2:
                c, t = c1, 1
            else:
                c, t = c2, 2
            cost[i, j] = x[i - 1, j - 1] + c
            trace[i, j] = t
    return backtrace(trace)


def backtrace(trace):
    i, j = trace.shape[0] - 1, trace.shape[1] - 1
    trace[0, :] = 2
    trace[:, 0] = 1
    result = []
    while i > 0 or j > 0:
        result.append((i - 1, j - 1))
        t = trace[i, j]
        if t == 0:
            i, j = i - 1, j - 1
        elif t == 1:
            i -= 1
        elif t == 2:
            j -= 1
        else:
            raise ValueError("unexpected trace")
    return np.array(result)[::-1, :].T


def dtw(x):
    """The same recurrence by anti-diagonals d = i + j (cells on one depend only on the two
    before), then timing.py's backtrace."""
    n, m = x.shape
    inf = F32(np.inf)
    r, c = np.indices((n, m))
    skew = np.full((n + m + 1, n + 1), np.inf)          # x(i, j) at [i + j, i], 1-based
    skew[r + c + 2, r + 1] = x
    steps = np.full((n + m + 1, n + 1), -1, dtype=np.int8)
    before2 = np.full(n + 1, inf, F32)                  # diagonal d - 2
    before2[0] = 0                                      # cost(0, 0)
    before1 = np.full(n + 1, inf, F32)                  # diagonal d - 1
    for d in range(2, n + m + 1):
        lo, hi = max(1, d - m), min(n, d - 1)
        c0, c1, c2 = before2[lo - 1:hi], before1[lo - 1:hi], before1[lo:hi + 1]
        t = np.where((c0 < c1) & (c0 < c2), 0, np.where((c1 < c0) & (c1 < c2), 1, 2))
        best = np.where(t == 0, c0, np.where(t == 1, c1, c2))
        now = np.full(n + 1, inf, F32)
        now[lo:hi + 1] = (skew[d, lo:hi + 1] + best.astype(F64)).astype(F32)
        steps[d, lo:hi + 1] = t
        before2, before1 = before1, now
    trace = np.full((n + 1, m + 1), -1, dtype=F32)
    trace[1:, 1:] = steps[r + c + 2, r + 1]
    return backtrace(trace)


# ---------------------------------------------------------------- words

class Vocab:
    def __init__(self, path):
        self.bytes = {}
        with open(path, "rb") as f:
            for line in f:
                if line.strip():
                    tok, rank = line.split()
                    self.bytes[int(rank)] = base64.b64decode(tok)
        self.eot = len(self.bytes)                      # 50257: <|endoftext|>
        self.ranks = {b: r for r, b in self.bytes.items()}
        self.used = set()

    def token_bytes(self, t):
        self.used.add(t)
        if t == self.eot:
            return EOT_TEXT
        if t >= self.eot + 107:   # timestamps <|0.00|>... after sot, languages, tasks
            return ("<|%.2f|>" % ((t - self.eot - 107) * 0.02)).encode()   # 99 languages
        return self.bytes.get(t, b"<|special|>")

    def decode(self, tokens):
        return b"".join(self.token_bytes(t) for t in tokens).decode("utf-8", errors="replace")

    PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")

    def encode(self, text):
        """Byte-pair encoding with the vocabulary's ranks (a pre-split close to tiktoken's
        pattern; the tokens only need to be real, not tiktoken's exact choice)."""
        out = []
        for piece in self.PAT.findall(text):
            parts = [bytes([b]) for b in piece.encode()]
            while len(parts) > 1:
                best = min(((self.ranks.get(parts[i] + parts[i + 1], 1 << 30), i)
                            for i in range(len(parts) - 1)))
                if best[0] == 1 << 30:
                    break
                i = best[1]
                parts[i:i + 2] = [parts[i] + parts[i + 1]]
            out += [self.ranks[p] for p in parts]
        return out


def split_on_unicode(vocab, tokens):
    """split_tokens_on_unicode; groups are lists of positions."""
    full = vocab.decode(tokens)
    words, groups, current, offset = [], [], [], 0
    for pos, _ in enumerate(tokens):
        current.append(pos)
        decoded = vocab.decode([tokens[p] for p in current])
        close = "\ufffd" not in decoded
        if not close:
            at = offset + decoded.index("\ufffd")
            if at < len(full):
                close = full[at] == "\ufffd"
                if close:
                    hit("unicode_genuine_fffd")
            else:
                hit("index_error")   # Python raises here; the group stays open
        if close:
            words.append(decoded)
            groups.append(current)
            current = []
            offset += len(decoded)
    if current:
        hit("unicode_unclosed")
    return words, groups


def split_on_spaces(vocab, tokens):
    subwords, subgroups = split_on_unicode(vocab, tokens)
    words, groups = [], []
    for sub, grp in zip(subwords, subgroups):
        special = tokens[grp[0]] >= vocab.eot
        with_space = sub.startswith(" ")
        punctuation = sub.strip() in string.punctuation
        if special or with_space or punctuation or len(words) == 0:
            words.append(sub)
            groups.append(list(grp))
        else:
            words[-1] = words[-1] + sub
            groups[-1].extend(grp)
    return words, groups


def split_words(vocab, tokens, mode):
    return (split_on_unicode if mode == "unicode" else split_on_spaces)(vocab, tokens)


class Timing:
    def __init__(self, word, tokens, start, end, probability):
        self.word, self.tokens = word, tokens
        self.start, self.end, self.probability = start, end, probability


def find_alignment(vocab, attn, kind, n_sot, num_frames, tokens, probs, mode):
    if len(tokens) == 0:
        return [], None, None
    matrix = alignment_matrix(attn, kind, n_sot, num_frames)
    path = dtw(-matrix.astype(F64))
    text_indices, time_indices = path
    words, groups = split_words(vocab, list(tokens) + [vocab.eot], mode)
    if len(groups) <= 1:
        return [], matrix, path
    boundaries = np.pad(np.cumsum([len(g) for g in groups[:-1]]), (1, 0))
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times = time_indices[jumps] / FPS
    starts = jump_times[boundaries[:-1]]
    ends = jump_times[boundaries[1:]]
    plist = [float(p) for p in probs]
    wprobs = [np.mean(plist[i:j]) for i, j in zip(boundaries[:-1], boundaries[1:])]
    out = [Timing(w, g, float(s), float(e), float(p))
           for w, g, s, e, p in zip(words, groups, starts, ends, wprobs)]
    return out, matrix, path


def merge_punctuations(alignment, prepended, appended):
    i, j = len(alignment) - 2, len(alignment) - 1
    while i >= 0:
        previous, following = alignment[i], alignment[j]
        if previous.word.startswith(" ") and previous.word.strip() in prepended:
            hit("prepend_merge")
            following.word = previous.word + following.word
            following.tokens = previous.tokens + following.tokens
            previous.word, previous.tokens = "", []
        else:
            j = i
        i -= 1
    i, j = 0, 1
    while j < len(alignment):
        previous, following = alignment[i], alignment[j]
        if not previous.word.endswith(" ") and following.word in appended:
            if following.word:
                hit("append_merge")
            previous.word = previous.word + following.word
            previous.tokens = previous.tokens + following.tokens
            following.word, following.tokens = "", []
        else:
            i = j
        j += 1


def add_word_timestamps(vocab, segments, attn, kind, n_sot, num_frames, tokens, probs, mode,
                        seek, last_speech):
    """segments: dicts with start, end, n_tokens; words get the text tokens' positions."""
    alignment, matrix, path = find_alignment(vocab, attn, kind, n_sot, num_frames, tokens,
                                             probs, mode)
    raw = [Timing(t.word, list(t.tokens), t.start, t.end, t.probability) for t in alignment]
    durations = np.array([t.end - t.start for t in alignment])
    durations = durations[durations.nonzero()]
    median = np.median(durations) if len(durations) > 0 else 0.0
    median = min(0.7, float(median))
    max_duration = median * 2
    if len(durations) > 0:
        marks = ".。!！?？"
        for i in range(1, len(alignment)):
            if alignment[i].end - alignment[i].start > max_duration:
                if alignment[i].word in marks:
                    hit("sentence_end_clamp")
                    alignment[i].end = alignment[i].start + max_duration
                elif alignment[i - 1].word in marks:
                    hit("after_sentence_clamp")
                    alignment[i].start = alignment[i].end - max_duration
    merge_punctuations(alignment, PREPENDED, APPENDED)
    offset = seek * HOP / SR
    index = 0
    out = []
    for seg in segments:
        saved, words = 0, []
        while index < len(alignment) and saved < seg["n_tokens"]:
            t = alignment[index]
            if t.word:
                words.append(dict(word=t.word, tokens=t.tokens, start=round(offset + t.start, 2),
                                  end=round(offset + t.end, 2), probability=t.probability))
            saved += len(t.tokens)
            index += 1
        if words:
            if words[0]["end"] - last_speech > median * 4 and (
                words[0]["end"] - words[0]["start"] > max_duration
                or (len(words) > 1 and words[1]["end"] - words[0]["start"] > max_duration * 2)
            ):
                hit("pause_first_word")
                if len(words) > 1 and words[1]["end"] - words[1]["start"] > max_duration:
                    hit("pause_second_word")
                    boundary = max(words[1]["end"] / 2, words[1]["end"] - max_duration)
                    words[0]["end"] = words[1]["start"] = boundary
                words[0]["start"] = max(0, words[0]["end"] - max_duration)
            if seg["start"] < words[0]["end"] and seg["start"] - 0.5 > words[0]["start"]:
                hit("prefer_segment_start")
                words[0]["start"] = max(0, min(words[0]["end"] - median, seg["start"]))
            else:
                seg["start"] = words[0]["start"]
            if seg["end"] > words[-1]["start"] and seg["end"] + 0.5 < words[-1]["end"]:
                hit("prefer_segment_end")
                words[-1]["end"] = max(words[-1]["start"] + median, seg["end"])
            else:
                seg["end"] = words[-1]["end"]
            last_speech = seg["end"]
        seg["wb"] = len(out)
        out += words
        seg["we"] = len(out)
    return raw, out, matrix, path


# ---------------------------------------------------------------- inputs

def softmax64(x):
    e = np.exp(x.astype(F64) - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def structured_logits(rng, heads, n_sot, n_text, n_ctx, k, pauses=()):
    """Scores whose alignment heads follow a monotone path through the first k frames (as
    real ones do), plus noise; one head in three is noise only."""
    rows = n_sot + 1 + n_text + 1
    gaps = rng.uniform(0.3, 2.0, n_text + 1)
    for p in pauses:
        if p < len(gaps):
            gaps[p] *= 8
    centers = np.cumsum(gaps)
    centers = (centers - centers[0]) / max(centers[-1] - centers[0], 1e-9) * (k - 1) * rng.uniform(0.6, 1.0)
    centers += rng.uniform(0, max(k - 1 - centers[-1], 0))
    f = np.arange(n_ctx)[None, :]
    out = np.empty((heads, rows, n_ctx), dtype=F32)
    for h in range(heads):
        lg = rng.normal(0, 1.0, (rows, n_ctx))
        if h % 3 != 2:
            width = rng.uniform(1.0, 4.0)
            lg[n_sot:n_sot + n_text + 1] += -((f - centers[:, None]) / width) ** 2 * rng.uniform(0.5, 2.0)
            lg[n_sot:n_sot + n_text + 1] *= rng.uniform(1.0, 3.0)
        out[h] = lg
    return out, centers


def attention(rng, kind, logits):
    if kind == "logits":
        return logits, logits
    return softmax64(logits).astype(F32), logits


def hexs(s):
    return s.encode("utf-8").hex() if s else "-"


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.lines = []
        self.torch_diff = 0.0
        try:
            import torch  # noqa: F401
            self.torch = True
        except ImportError:
            self.torch = False

    def save(self, name, suffix, arr):
        np.save(os.path.join(self.outdir, "%s.%s.npy" % (name, suffix)), arr)

    def check_matrix(self, name, matrix, attn, kind, n_sot, num_frames, logits):
        if not self.torch or matrix is None or attn.size > 400000:   # the small ones suffice
            return
        t = torch_matrix(attn, kind, n_sot, num_frames, logits)
        if np.isnan(t).any():  # a frame with std 0: torch's NaN, replaced here by 0
            return
        d = float(np.abs(t - matrix).max())
        self.torch_diff = max(self.torch_diff, d)
        assert d < 2e-4, "%s: numpy and torch matrices differ by %g" % (name, d)

    def case(self, name, vocab, kind, attn, logits, n_sot, num_frames, tokens, probs, mode,
             segments, seek, last_speech):
        if tokens is None:   # alignment only: n_text from the attention
            n_text = attn.shape[1] - n_sot - 2
            matrix = alignment_matrix(attn, kind, n_sot, num_frames)
            path = dtw(-matrix.astype(F64))
            raw, out, segments, mode = [], [], [], "none"
        else:
            n_text = len(tokens)
            raw, out, matrix, path = add_word_timestamps(vocab, segments, attn, kind, n_sot,
                                                         num_frames, tokens, probs, mode, seek,
                                                         last_speech)
        assert attn.shape[1] == n_sot + n_text + 2
        self.check_matrix(name, matrix, attn, kind, n_sot, num_frames, logits)
        if matrix is not None and matrix.size <= 4000:
            lit = dtw_literal(-matrix.astype(F64))
            assert np.array_equal(lit, path), name
        self.save(name, "attn", np.ascontiguousarray(attn, dtype=F32))
        if matrix is not None:
            self.save(name, "matrix", matrix)
            self.save(name, "path", np.ascontiguousarray(path, dtype=np.int32))
        if tokens is not None:
            self.save(name, "tokens", np.asarray(tokens, dtype=np.int32))
            self.save(name, "probs", np.asarray(probs, dtype=F32))
        L = self.lines
        L.append("case %s %s %d %d %d %s %r %d" % (name, kind, n_sot, num_frames, seek, mode,
                                                   float(last_speech), len(segments)))
        for s in segments:
            L.append("seg %r %r %d" % (float(s["start0"]), float(s["end0"]), s["n_tokens"]))
        L.append("align %d" % len(raw))
        for t in raw:
            L.append("w %s %d %d %r %r %r" % (hexs(t.word), t.tokens[0], t.tokens[-1] + 1,
                                              t.start, t.end, t.probability))
        L.append("out %d" % len(out))
        for w in out:
            tb, te = (w["tokens"][0], w["tokens"][-1] + 1) if w["tokens"] else (0, 0)
            L.append("w %s %d %d %r %r %r" % (hexs(w["word"]), tb, te, float(w["start"]),
                                              float(w["end"]), float(w["probability"])))
        for s in segments:
            L.append("segout %r %r %d %d" % (float(s["start"]), float(s["end"]), s["wb"], s["we"]))
        L.append("end")

    def split_case(self, name, vocab, tokens, mode):
        words, groups = split_words(vocab, tokens, mode)
        self.lines.append("split %s %s %d %d %s" % (name, mode, vocab.eot, len(tokens),
                                                     " ".join(str(t) for t in tokens)))
        self.lines.append("words %d" % len(words))
        for w, g in zip(words, groups):
            self.lines.append("w %s %d %d" % (hexs(w), g[0], g[-1] + 1))


TEXTS = {
    "en_punct": (" \"Hello,\" she said -- (quietly) [aside]: 'Is it 3.14?' ¿Qué tal? Yes! "
                 "“Quoted” {braces} - dash... The end.", "spaces"),
    "en_speech": (" And so, my fellow Americans: ask not what your country can do for you - "
                  "ask what you can do for your country.", "spaces"),
    "en_short": (" Yes.", "spaces"),
    "en_marks": (" Stop. Wait! Really? OK... fine; \"quote\" (paren) [bracket] {brace} end.", "spaces"),
    "ko": (" 안녕하세요, 반갑습니다! 오늘 날씨가 좋네요.", "spaces"),
    "zh": ("你好，世界！今天天气很好。我们去公园散步吧？“好的”（他说）、然后走了。", "unicode"),
    "ja": ("こんにちは、世界。「かぎ括弧」です！東京は晴れ？はい：そうです。", "unicode"),
    "th": ("สวัสดีครับ ยินดีที่ได้รู้จัก", "unicode"),
    "yue": ("佢哋話，聽日會落雨。", "unicode"),
    # Python's whitespace beyond ASCII around punctuation (strip() takes it, U+200B not)
    "fr": (" Quoi\u202f? Oui\u00a0! «\u00a0Bien\u00a0» fin\u3000.", "spaces"),
    "ws": (" a\u2003, b\u1680. c\x1c! d\u2028? e\u205f; f\x85: g\u3000h\u200b.", "spaces"),
}


def segments_for(rng, n_tokens, centers, seek, n_segs):
    """Split n_tokens into n_segs runs; segment times near the structured path (seconds),
    sometimes well off it so that both ways of every boundary rule are taken."""
    cuts = sorted(rng.choice(np.arange(1, n_tokens), size=min(n_segs - 1, n_tokens - 1),
                             replace=False).tolist()) if n_tokens > 1 else []
    bounds = [0] + cuts + [n_tokens]
    offset = seek * HOP / SR
    segs = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        start = offset + centers[a] / FPS + rng.choice([0.0, rng.uniform(-1, 1), rng.uniform(0.5, 3)])
        end = offset + centers[min(b, len(centers) - 1)] / FPS + rng.choice(
            [0.0, rng.uniform(-1, 1), -rng.uniform(0.5, 3)])
        start, end = round(float(start), 2), round(float(end), 2)
        segs.append(dict(start=start, end=end, start0=start, end0=end, n_tokens=b - a))
    return segs


def word_case(w, vocab, rng, name, tokens, mode, heads=4, n_sot=3, num_frames=None,
              kind=None, n_ctx=None, n_segs=None, pauses=None, seek=None, last_speech=None,
              band=False):
    n = len(tokens)
    if num_frames is None:
        num_frames = int(rng.integers(max(2 * n + 20, 60), 1201))
    k = num_frames // 2
    n_ctx = n_ctx or min(1500, k + int(rng.integers(0, 40)))
    kind = kind or rng.choice(["probs", "logits"])
    if pauses is None:
        pauses = rng.choice(np.arange(n + 1), size=min(2, n + 1), replace=False).tolist()
    logits, centers = structured_logits(rng, heads, n_sot, n, n_ctx, k, pauses)
    attn, logits = attention(rng, kind, logits)
    probs = rng.uniform(0.05, 1.0, n).astype(F32)
    seek = int(rng.integers(0, 100000)) if seek is None else seek
    segs = segments_for(rng, n, centers, seek, n_segs or int(rng.integers(1, 4)))
    if last_speech is None:
        last_speech = seek * HOP / SR + rng.choice([0.0, -rng.uniform(0, 3), rng.uniform(0, 1)])
    if band:
        band_segments(vocab, segs, attn, kind, n_sot, num_frames, tokens, probs, mode, seek,
                      last_speech, rng)
    w.case(name, vocab, kind, attn, logits, n_sot, num_frames, tokens, probs, mode, segs, seek,
           last_speech)


def band_segments(vocab, segs, attn, kind, n_sot, num_frames, tokens, probs, mode, seek,
                  last_speech, rng):
    """Segment times 0.45 or 0.55 s inside their first and last words' own times, so that
    the 0.5 s margins of the boundary rules decide, or just inside the word, so that the
    median duration does: a first pass with segments that those rules leave alone gives
    the words' times."""
    probe = [dict(start=-1e9, end=1e9, n_tokens=s["n_tokens"]) for s in segs]
    _, out, _, _ = add_word_timestamps(vocab, probe, attn, kind, n_sot, num_frames, tokens,
                                       probs, mode, seek, last_speech)
    for s, p in zip(segs, probe):
        if p["we"] > p["wb"]:
            first, last = out[p["wb"]], out[p["we"] - 1]
            start = rng.choice([first["start"] + 0.45, first["start"] + 0.55, first["end"] - 0.01])
            end = rng.choice([last["end"] - 0.45, last["end"] - 0.55, last["start"] + 0.01])
            s["start"] = s["start0"] = round(float(start), 2)
            s["end"] = s["end0"] = round(float(end), 2)


def align_case(w, rng, name, heads, n_sot, n_text, num_frames, n_ctx, kind, mode="structured"):
    k = num_frames // 2
    if mode == "structured":
        logits, _ = structured_logits(rng, heads, n_sot, n_text, n_ctx, k)
    elif mode == "levels":   # few distinct values: many exactly equal DTW costs
        logits = rng.integers(0, 2, (heads, n_sot + n_text + 2, n_ctx)).astype(F32)
    elif mode == "flat":     # every weight equal: std 0 everywhere, an all-zero matrix
        logits = np.zeros((heads, n_sot + n_text + 2, n_ctx), F32)
    else:
        logits = rng.normal(0, 2, (heads, n_sot + n_text + 2, n_ctx)).astype(F32)
    attn, logits = attention(rng, kind, logits)
    w.case(name, None, kind, attn, logits, n_sot, num_frames, None, None, None, None, 0, 0.0)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    outdir = sys.argv[1]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
        "VOCE_TEST_DATA", os.path.join(repo, "..", "shared"))
    os.makedirs(outdir, exist_ok=True)
    w = Writer(outdir)
    rng = np.random.default_rng(20250625)

    # alignment only: shapes at the edges
    shapes = [  # heads, n_sot, n_text, num_frames, n_ctx
        (1, 1, 1, 40, 20), (2, 3, 1, 2, 1), (3, 3, 2, 3, 4), (2, 3, 2, 7, 3), (2, 3, 3, 8, 4),
        (4, 3, 5, 9, 6), (6, 3, 5, 14, 10), (6, 4, 12, 301, 150), (6, 3, 30, 600, 320),
        (1, 0, 4, 50, 25), (10, 3, 40, 1999, 1000),
    ]
    for i, (h, s, n, nf, ctx) in enumerate(shapes):
        for kind in ("probs", "logits"):
            align_case(w, rng, "align%d_%s" % (i, kind), h, s, n, nf, ctx, kind)
    for i, mode in enumerate(["levels", "levels", "flat", "noise"]):
        align_case(w, rng, "align_%s%d" % (mode, i), 3, 3, 6 + i, 40 + i, 25, "probs", mode)
    align_case(w, rng, "align_long", 6, 3, 200, 3000, 1500, "probs")

    vocab_path = os.path.join(data, "models", "whisper-assets", "multilingual.tiktoken")
    missing_note = os.path.join(outdir, "missing.txt")
    if os.path.exists(missing_note):  # from an earlier run without the vocabulary
        os.remove(missing_note)
    if not os.path.exists(vocab_path):
        with open(missing_note, "w") as f:
            f.write(vocab_path + "\n")
        print("note: %s is missing: cases with text left out" % vocab_path)
        vocab = None
    else:
        vocab = Vocab(vocab_path)
    if vocab is not None:
        enc = {k: (vocab.encode(t), m) for k, (t, m) in TEXTS.items()}
        for name, (toks, mode) in enc.items():
            for rep in range(3):
                word_case(w, vocab, rng, "%s_%d" % (name, rep), toks, mode)
        # the real transcription rule for these: spaces for Korean, unicode for the rest
        word_case(w, vocab, rng, "one_token", enc["en_short"][0][:1], "spaces", n_segs=1)
        word_case(w, vocab, rng, "two_tokens", enc["en_short"][0][:2], "spaces", n_segs=2)
        word_case(w, vocab, rng, "zh_one", enc["zh"][0][:1], "unicode", n_segs=1)
        long_text = []
        while len(long_text) < 200:
            long_text += enc["en_speech"][0] + enc["en_punct"][0]
        word_case(w, vocab, rng, "long200", long_text[:200], "spaces", num_frames=3000,
                  n_ctx=1500, kind="probs", n_segs=3)
        word_case(w, vocab, rng, "long200_zh", (enc["zh"][0] * 8)[:200], "unicode",
                  num_frames=2999, n_ctx=1500, kind="logits", n_segs=4)
        for i in range(8):   # sentences with long words after pauses, odd frame counts
            toks = enc["en_marks"][0] if i % 2 else enc["en_speech"][0]
            word_case(w, vocab, rng, "pause%d" % i, toks, "spaces", num_frames=2001 + 2 * i,
                      pauses=[0, 1, len(toks) // 2], last_speech=0.0, seek=0)
        for i in range(9):   # segment times near their words' own: the 0.5 s margins
            name = ["en_speech", "en_marks", "zh"][i % 3]
            toks = enc[name][0]   # long first and last words (pauses at both ends), and
            # no pause before the window, which would shorten the first word
            word_case(w, vocab, rng, "band%d" % i, toks, enc[name][1], band=True,
                      n_segs=1 + i % 3, pauses=[1, len(toks) - 1, len(toks)], seek=500,
                      last_speech=1000.0)
        # a lone space token before a sentence end: the mark does not join the word before
        # (the space is prepended to it instead), so its clamped end shows
        r = vocab.ranks
        toks = []
        for word in [" Wait", " Now", " Then", " Go"]:
            toks += vocab.encode(word) + [r[b" "], r[b"."]]
        dots = [i for i, t in enumerate(toks) if t == r[b"."]]
        for i in range(4):
            word_case(w, vocab, rng, "space_dot%d" % i, toks, "spaces", n_segs=1,
                      pauses=[d + 1 for d in dots], num_frames=1200 + 2 * i)
        for i in range(6):   # random ids: partial UTF-8 everywhere
            toks = rng.integers(0, vocab.eot, int(rng.integers(3, 30))).tolist()
            word_case(w, vocab, rng, "random%d" % i, toks, "unicode" if i % 2 else "spaces")
        # split only, any ids (timestamps and other specials included)
        for i in range(40):
            n = int(rng.integers(0, 25))
            toks = rng.integers(0, vocab.eot, n).tolist()
            if i % 4 == 0 and n:
                toks[int(rng.integers(0, n))] = vocab.eot + 107 + int(rng.integers(0, 1500))
            if i % 5 == 1:  # bytes of one character cut across tokens
                toks = enc["zh"][0][: int(rng.integers(1, len(enc["zh"][0])))] + toks[:3]
            w.split_case("split%d" % i, vocab, toks, "unicode" if i % 2 else "spaces")
        specials = [vocab.eot, vocab.eot + 107, vocab.eot + 200]
        w.split_case("split_specials", vocab, enc["en_punct"][0][:6] + specials + enc["zh"][0][:5], "spaces")
        w.split_case("split_empty", vocab, [], "spaces")
        with open(os.path.join(outdir, "vocab.txt"), "w") as f:
            for t in sorted(vocab.used):
                b = vocab.token_bytes(t)
                f.write("%d %s\n" % (t, b.hex() if b else "-"))
    # Python's round(x, 2): ties in binary, decimal halves that are not, times as formed
    values = [0.0, -0.001, 0.125, 0.375, 1.125, -0.125, 2.675, 1.005, 0.285, 0.015, 1e-9,
              4.4949999999999997, 29.999999999999996, 123456.785, -2.5e-3]
    values += (rng.integers(0, 100000, 40) * HOP / SR + rng.integers(0, 1500, 40) / FPS).tolist()
    values += (rng.integers(0, 200000, 40) / 200).tolist() + rng.uniform(-50, 3000, 40).tolist()
    for x in values:
        w.lines.append("round %r %r" % (float(x), round(float(x), 2)))
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("\n".join(w.lines) + "\n")
    want = ["prepend_merge", "append_merge", "sentence_end_clamp", "after_sentence_clamp",
            "pause_first_word", "pause_second_word", "prefer_segment_start",
            "prefer_segment_end", "std_zero", "unicode_genuine_fffd"]
    if vocab is None:
        want = ["std_zero"]
    missing = [h for h in want if not hits.get(h)]
    print("whisper timing cases: %d lines; rules taken: %s; torch cross-check max diff %s"
          % (len(w.lines), ", ".join("%s %d" % kv for kv in sorted(hits.items())),
             "%.3g" % w.torch_diff if w.torch else "(no torch)"))
    if missing:
        print("error: no case takes %s" % ", ".join(missing))
        sys.exit(1)


if __name__ == "__main__":
    main()
