#!/usr/bin/env python3
"""Reference for voce's Whisper decoding rules (src/models/whisper/decode*.c): an
independent numpy implementation of openai-whisper's decoding.py (DecodingTask, the
logit filters, greedy / sampling / beam search, the ranker) and of transcribe.py's
decode_with_fallback, run on a toy language model that the C test defines identically.

usage: whisper_decode_ref.py OUTDIR

Writes to OUTDIR:
  cases.txt     one decoding case a line: "name=... key=value ..." (format below)
  utf8.txt      "HEX_IN HEX_OUT": bytes -> bytes.decode('utf-8', 'replace').strip()
                re-encoded ("-" for empty)
  spaces.txt    the code points for which Python's str.isspace() is true, one a line
  compress.txt  "HEX_IN ZLIB_LEN ESTIMATE_LEN": len(zlib.compress(b)) and the estimate

Where voce departs from decoding.py on purpose, so does this file (docs/whisper.md,
"Decoding"): sampling draws from our splitmix64 stream by inverse CDF in double instead
of torch's Categorical; log-softmax is computed in double and rounded to float32 (torch
computes it in float32), sums of log-probabilities are float32 as in torch; top-k ties
go to the lower token id; an empty candidate is ranked by its sum (decoding.py divides
by its length 0 and raises ZeroDivisionError).

Case lines. Options: api (window: the fallback loop; decode: one decode at temps[0]),
audio (the toy LM's seed), task (0 transcribe, 1 translate), language (-1 detect),
temps, sample_len (0: n_ctx // 2), best_of, beam_size (0: not given), patience,
length_penalty, max_initial_timestamp, cr_threshold, lp_threshold, ns_threshold ("none"
when not given), prompt, prefix, suppress (comma lists of ids, "-" when empty; -1 means
the non-speech tokens), suppress_blank, without_timestamps, seed (the sampling seed),
english (1: an English-only model, whose SOT sequence is <|startoftranscript|> alone).
Expected, for the two ways of measuring the compression ratio (suffix _z: zlib, _e: the
built-in estimate): tokens, text (hex), sum, avg, temp, cr, attempts, skip; and nsp (the
no-speech probability), lang (the language index used, -1 for none), lprobs (the
detected language probabilities, "-" when not detected). Floats with repr().

With --check-torch, also checks that the double-then-float32 log-softmax agrees with
torch's float32 F.log_softmax (what decoding.py uses) within 4e-7 relative.

Exits 77 when numpy is missing.
"""
import math
import os
import sys
import zlib

try:
    import numpy as np
except ImportError as e:
    print("skip: numpy is not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

F32 = np.float32
M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

# ---- the toy vocabulary: Whisper's id structure, scaled down ----------------------

N_TEXT = 64
EOT = 64
SOT = 65
LANG_BEGIN = 66
LANG_CODES = ["en", "zh", "de", "es", "ru", "ko"]
N_LANG = len(LANG_CODES)
TRANSLATE = 72
TRANSCRIBE = 73
SOT_LM = 74
SOT_PREV = 75
NO_SPEECH = 76
NO_TIMESTAMPS = 77
TS_BEGIN = 78
N_TS = 151
N_VOCAB = TS_BEGIN + N_TS
N_CTX = 64
N_AUDIO_CTX = 1500
CHUNK_LENGTH = 30
BLANK = 0  # the token of " "

TEXT = [
    " ", " the", " a", " cat", " sat", " on", " mat", " and",
    " dog", " ran", ".", ",", "!", "?", " I", " you",
    " we", " it", " is", " was", " very", " good", " bad", " day",
    " night", "(", " (", "[", " [", "\u266a", " \u266a", " -",
    " '", '"', "*", "\n", "\t", "\u3000", "\u00a0", "  ",
    b"\xc3", b"\xa9", b"\xe2\x99", b"\xaa", b"\xff", b"\xf0\x9f", b"\x98\x80", b"\xed\xa0",
    "caf", "s", "ing", "ed", " re", "peat", " ok", " no",
    " yes", " hello", " world", " one", " two", " three", "'s", " \u00e9t\u00e9",
]
assert len(TEXT) == N_TEXT
NON_SPEECH = [25, 26, 27, 28, 29, 30, 31, 32, 33, 34]


def token_bytes(t):
    if t < N_TEXT:
        x = TEXT[t]
        return x if isinstance(x, bytes) else x.encode("utf-8")
    names = {EOT: "endoftext", SOT: "startoftranscript", TRANSLATE: "translate",
             TRANSCRIBE: "transcribe", SOT_LM: "startoflm", SOT_PREV: "startofprev",
             NO_SPEECH: "nospeech", NO_TIMESTAMPS: "notimestamps"}
    if LANG_BEGIN <= t < LANG_BEGIN + N_LANG:
        return ("<|%s|>" % LANG_CODES[t - LANG_BEGIN]).encode()
    return ("<|%s|>" % names[t]).encode()


# ---- the toy language model -------------------------------------------------------

def fmix32(h):
    h &= M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def fmix32_v(h):
    h = h & M32
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    h ^= h >> np.uint64(16)
    return h


_VOCAB = np.arange(N_VOCAB, dtype=np.uint64)
_CACHE = {}
_HASH = {}


def seq_hash(audio, seq):
    """h = fmix32(audio * 0x9E3779B1 + 0x7F4A7C15), then h = fmix32(h ^ (t + 1) * 0x85EBCA77)
    for each token t (mod 2^32), remembered for every prefix."""
    key = (audio, seq)
    if key not in _HASH:
        h = seq_hash(audio, seq[:-1]) if seq else fmix32(audio * 0x9E3779B1 + 0x7F4A7C15)
        if seq:
            h = fmix32(h ^ (((seq[-1] + 1) * 0x85EBCA77) & M32))
        _HASH[key] = h
    return _HASH[key]


def toy_logits(audio, seq):
    """Logits (float32, exact multiples of 1/256) after the token sequence seq, for the
    'audio' seed. A deterministic function of the whole sequence, so a decoder that feeds
    the model wrong tokens or keeps the wrong cache gets other logits. Integer units of
    1/256 throughout (tests/test_whisper_decode.c computes the same, token by token)."""
    key = (audio, tuple(seq))
    if key in _CACHE:
        return _CACHE[key].copy()
    n = len(seq)
    last = seq[-1]
    h = seq_hash(audio, key[1])
    kind = audio % 5  # 0, 1 speech; 2 repetitive; 3 noisy; 4 silent
    amp = [256, 320, 192, 768, 640][kind]
    sot_at = n - 1 - key[1][::-1].index(SOT) if SOT in seq else 0
    p = n - sot_at  # tokens since <|startoftranscript|>, itself included
    fav = (last * 7 + n * 3 + (h >> 8)) % N_TEXT
    ts_target = 2 * p + (h >> 3) % 7 + (60 if (audio // 5) % 3 == 1 else 0)
    if last >= TS_BEGIN:
        ts_bias = 256
    elif last < N_TEXT:
        ts_bias = 640 if (h >> 4) % 5 == 0 else -256
    else:
        ts_bias = 512
    v = _VOCAB
    r = fmix32_v(np.uint64(h) ^ (((v + np.uint64(1)) * np.uint64(0xC2B2AE3D)) & np.uint64(M32)))
    r = (r & np.uint64(0xFFF)).astype(np.int64)
    noise = ((r * amp) >> 11) - amp
    vi = v.astype(np.int64)
    x = noise - 512  # the other special tokens
    text = noise.copy()
    bonus = [1536, 1024, 768, 384, 0][kind]
    text += np.where(vi == fav, bonus, np.where(vi == (fav + 1) % N_TEXT, bonus // 2, 0))
    if kind == 2 and n >= 4 and seq[n - 4] < N_TEXT:
        text += np.where(vi == seq[n - 4], 1536, 0)
    x = np.where(vi < N_TEXT, text, x)
    x[EOT] = noise[EOT] + (p - 14) * 64 + (1024 if kind == 4 and p >= 4 else 0)
    lang = slice(LANG_BEGIN, LANG_BEGIN + N_LANG)
    if last == SOT:
        pref = LANG_BEGIN + (audio // 5) % N_LANG
        x[lang] = noise[lang] + np.where(vi[lang] == pref, 512, -256)
        x[NO_SPEECH] = noise[NO_SPEECH] + (2048 if kind == 4 else 0)
    else:
        x[lang] = noise[lang] - 384
    k = vi[TS_BEGIN:] - TS_BEGIN
    x[TS_BEGIN:] = (noise[TS_BEGIN:] >> 1) + ts_bias - np.abs(k - ts_target) * 96
    assert np.all(np.abs(x) < (1 << 23))
    out = (x.astype(np.float64) / 256.0).astype(F32)
    _CACHE[key] = out
    return out.copy()


# ---- numerics shared by the rules -------------------------------------------------

def log_softmax(row):
    """float32 log-probabilities computed in double: x - (m + log(sum exp(x - m))), the
    sum taken in index order, each result rounded to float32."""
    x = row.astype(np.float64)
    m = x[np.isfinite(x)].max()
    s = np.cumsum(np.exp(x - m))[-1]
    return (x - (m + math.log(s))).astype(F32)


def softmax_at(row, idx):
    x = row.astype(np.float64)
    m = x[np.isfinite(x)].max()
    s = np.cumsum(np.exp(x - m))[-1]
    return math.exp(x[idx] - m) / s


def logsumexp(x):
    x = x.astype(np.float64)
    if not np.any(np.isfinite(x)):
        return -math.inf
    m = x[np.isfinite(x)].max()
    return m + math.log(np.cumsum(np.exp(x - m))[-1])


def topk(row, k):
    """Largest k values, largest first; equal values in token order."""
    order = np.argsort(-row.astype(np.float64), kind="stable")[:k]
    return [(row[i], int(i)) for i in order]


GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    z &= M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class Rng:
    """splitmix64; attempt k of a window starts from mix64(seed + (k + 1) * GAMMA)."""

    def __init__(self, seed, attempt):
        self.state = mix64(seed + (attempt + 1) * GAMMA)

    def uniform(self):
        self.state = (self.state + GAMMA) & M64
        return (mix64(self.state) >> 11) * (1.0 / 9007199254740992.0)


def sample(row, temperature, rng):
    """Inverse CDF of softmax(row / T) in double, weights summed in token order."""
    x = row.astype(np.float64) / temperature
    w = np.exp(x - x[np.isfinite(x)].max())
    c = np.cumsum(w)
    i = int(np.searchsorted(c, rng.uniform() * c[-1], side="right"))
    if i >= len(c):
        i = int(np.nonzero(w > 0)[0][-1])
    return i


def round_half_even(x):
    return int(round(x))  # Python's round: halves to even


# ---- text and compression ---------------------------------------------------------

def decoded_text(tokens):
    b = b"".join(token_bytes(t) for t in tokens if t < TS_BEGIN)
    return b.decode("utf-8", errors="replace").strip().encode("utf-8")


def estimate_deflate(data):
    """Bytes of a zlib stream holding data as one fixed-Huffman DEFLATE block over a
    greedy parse with one position of lookahead (hash chains of 3 bytes, 128 links,
    32 KiB window, matches 3..258), or one stored block if smaller; header and Adler-32
    included. voce's fallback when libz cannot be loaded."""
    n = len(data)
    HBITS = 12
    head = [-1] * (1 << HBITS)
    prev = [-1] * n
    for i in range(n - 2):
        hv = ((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]) * 2654435761 & M32
        hv >>= 32 - HBITS
        prev[i] = head[hv]
        head[hv] = i

    def longest(i):
        best_len, best_dist = 0, 0
        if i + 3 > n:
            return 0, 0
        j, links = prev[i], 0
        while j >= 0 and links < 128 and i - j <= 32768:
            links += 1
            L = 0
            while i + L < n and L < 258 and data[j + L] == data[i + L]:
                L += 1
            if L > best_len:
                best_len, best_dist = L, i - j
            j = prev[j]
        if best_len < 3 or (best_len == 3 and best_dist > 4096):
            return 0, 0
        return best_len, best_dist

    def lit_bits(b):
        return 8 if b < 144 else 9

    def match_bits(L, D):
        code = 7 if L < 115 else 8
        lext = 0 if L <= 10 or L == 258 else (L - 3).bit_length() - 3
        dext = 0 if D <= 4 else (D - 1).bit_length() - 2
        return code + lext + 5 + dext

    bits, i = 3 + 7, 0
    while i < n:
        L, D = longest(i)
        if L >= 3 and i + 1 < n and longest(i + 1)[0] > L:
            L = 0
        if L >= 3:
            bits += match_bits(L, D)
            i += L
        else:
            bits += lit_bits(data[i])
            i += 1
    fixed = (bits + 7) // 8
    stored = n + 5 * max(1, -(-n // 65535))
    return 2 + min(fixed, stored) + 4


def compression_ratio(text, mode):
    if mode == "z":
        return len(text) / len(zlib.compress(text))
    return len(text) / estimate_deflate(text)


# ---- the decoding rules (decoding.py) ---------------------------------------------

class Options:
    def __init__(self, **kw):
        self.task = 0
        self.language = -1
        self.temps = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        self.sample_len = 0
        self.best_of = 0
        self.beam_size = 0
        self.patience = None
        self.length_penalty = None
        self.prompt = []
        self.prefix = []
        self.suppress = [-1]
        self.suppress_blank = 1
        self.without_timestamps = 0
        self.max_initial_timestamp = 1.0
        self.cr_threshold = 2.4
        self.lp_threshold = -1.0
        self.ns_threshold = 0.6
        self.seed = 0
        self.english = 0  # an English-only model: no language or task token
        for k, v in kw.items():
            assert hasattr(self, k), k
            setattr(self, k, v)

    def copy(self, **kw):
        o = Options()
        o.__dict__.update(self.__dict__)
        for k, v in kw.items():
            setattr(o, k, v)
        return o


def detect_language(audio):
    logits = toy_logits(audio, [SOT]).astype(np.float64)
    lang = logits[LANG_BEGIN:LANG_BEGIN + N_LANG]
    best = int(np.argmax(lang))
    e = np.exp(lang - lang.max())
    return best, list(e / np.cumsum(e)[-1])


def suppress_list(o):
    s = [t for t in o.suppress if t >= 0]
    if -1 in o.suppress:
        s += NON_SPEECH
    s += [TRANSCRIBE, TRANSLATE, SOT, SOT_PREV, SOT_LM, NO_SPEECH]
    return sorted(set(s))


class Decode:
    """One DecodingTask.run for one audio."""

    def __init__(self, audio, o, temperature, attempt, language):
        self.audio, self.o, self.t = audio, o, temperature
        self.n_group = o.beam_size or o.best_of or 1
        self.sample_len = o.sample_len or N_CTX // 2
        sot_seq = [SOT]
        if not o.english:
            sot_seq += [LANG_BEGIN + language, TRANSLATE if o.task else TRANSCRIBE]
        if o.without_timestamps:
            sot_seq.append(NO_TIMESTAMPS)
        tokens = list(sot_seq)
        if o.prefix:
            m = N_CTX // 2 - self.sample_len
            tokens += o.prefix[-m:]  # decoding.py's slice, -0 included
        if o.prompt:
            tokens = [SOT_PREV] + o.prompt[-(N_CTX // 2 - 1):] + tokens
        self.initial = tokens
        self.sample_begin = len(tokens)
        self.sot_index = tokens.index(SOT)
        self.rng = Rng(o.seed, attempt)
        self.max_initial = None
        if o.max_initial_timestamp:
            precision = CHUNK_LENGTH / N_AUDIO_CTX
            self.max_initial = round_half_even(o.max_initial_timestamp / precision)
        self.suppress = suppress_list(o) if o.suppress else None
        if o.beam_size:
            self.max_candidates = round_half_even(o.beam_size * (o.patience or 1.0))
            assert self.max_candidates > 0
        self.stats = {"mass": 0, "initial_cap": 0}

    # -- filters, in decoding.py's order
    def filters(self, logits, seqs):
        at_begin = len(seqs[0]) == self.sample_begin
        if self.o.suppress_blank and at_begin:
            logits[:, [BLANK, EOT]] = -np.inf
        if self.suppress is not None:
            logits[:, self.suppress] = -np.inf
        if not self.o.without_timestamps:
            self.timestamp_rules(logits, seqs, at_begin)

    def timestamp_rules(self, logits, seqs, at_begin):
        logits[:, NO_TIMESTAMPS] = -np.inf
        for k, s in enumerate(seqs):
            sampled = s[self.sample_begin:]
            last_ts = len(sampled) >= 1 and sampled[-1] >= TS_BEGIN
            pen_ts = len(sampled) < 2 or sampled[-2] >= TS_BEGIN
            if last_ts:
                if pen_ts:
                    logits[k, TS_BEGIN:] = -np.inf
                else:
                    logits[k, :EOT] = -np.inf
            stamps = [t for t in sampled if t >= TS_BEGIN]
            if stamps:
                upto = stamps[-1] if (last_ts and not pen_ts) else stamps[-1] + 1
                logits[k, TS_BEGIN:upto] = -np.inf
        if at_begin:
            logits[:, :TS_BEGIN] = -np.inf
            if self.max_initial is not None:
                if np.any(np.isfinite(logits[:, TS_BEGIN + self.max_initial + 1:])):
                    self.stats["initial_cap"] += 1
                logits[:, TS_BEGIN + self.max_initial + 1:] = -np.inf
        for k in range(len(seqs)):
            ts = logsumexp(logits[k, TS_BEGIN:])
            text = logits[k, :TS_BEGIN].astype(np.float64).max()
            if ts > text:
                if np.any(np.isfinite(logits[k, :TS_BEGIN])):
                    self.stats["mass"] += 1
                logits[k, :TS_BEGIN] = -np.inf

    # -- greedy and sampling (GreedyDecoder)
    def greedy_update(self, seqs, logits, sums):
        done = True
        for k, s in enumerate(seqs):
            if s[-1] == EOT:
                s.append(EOT)
                continue
            if self.t == 0:
                tok = int(np.argmax(logits[k]))
            else:
                tok = sample(logits[k], self.t, self.rng)
            sums[k] = F32(sums[k] + log_softmax(logits[k])[tok])
            s.append(tok)
            done = done and tok == EOT
        return seqs, done

    # -- beam search (BeamSearchDecoder, one audio)
    def beam_update(self, seqs, logits, sums):
        scores, sources = {}, {}
        for j, s in enumerate(seqs):
            lp = log_softmax(logits[j])
            for v, tok in topk(lp, self.o.beam_size + 1):
                seq = tuple(s + [tok])
                scores[seq] = float(F32(sums[j]) + F32(v))
                sources[seq] = j
        kept, src, newly = [], [], {}
        for seq in sorted(scores, key=scores.get, reverse=True):
            if seq[-1] == EOT:
                newly[seq] = scores[seq]
            else:
                sums[len(kept)] = F32(scores[seq])
                kept.append(list(seq))
                src.append(sources[seq])
                if len(kept) == self.o.beam_size:
                    break
        self.sources = src
        for seq in sorted(newly, key=newly.get, reverse=True):
            if len(self.finished) >= self.max_candidates:
                break
            self.finished[seq] = newly[seq]
        return kept, len(self.finished) >= self.max_candidates

    def beam_finalize(self, seqs, sums):
        if len(self.finished) < self.o.beam_size:
            order = list(np.argsort(np.asarray(sums, dtype=F32), kind="stable"))[::-1]
            for j in order:
                self.finished[tuple(seqs[j] + [EOT])] = float(sums[j])
                if len(self.finished) >= self.o.beam_size:
                    break
        return [list(s) for s in self.finished], list(self.finished.values())

    def rank(self, cands, sums):
        best, best_score = 0, None
        for i, (c, lp) in enumerate(zip(cands, sums)):
            n = len(c)
            if self.o.length_penalty is None:
                score = lp / n if n > 0 else lp
            else:
                score = lp / ((5 + n) / 6) ** self.o.length_penalty
            if best_score is None or score > best_score:
                best, best_score = i, score
        return best

    def run(self):
        seqs = [list(self.initial) for _ in range(self.n_group)]
        sums = np.zeros(self.n_group, dtype=F32)
        self.finished = {}
        sot_logits = toy_logits(self.audio, self.initial[:self.sot_index + 1])
        nsp = softmax_at(sot_logits, NO_SPEECH)
        for _ in range(self.sample_len):
            logits = np.stack([toy_logits(self.audio, s) for s in seqs])
            self.filters(logits, seqs)
            if self.o.beam_size:
                seqs, done = self.beam_update(seqs, logits, sums)
            else:
                seqs, done = self.greedy_update(seqs, logits, sums)
            if done or len(seqs[0]) > N_CTX:
                break
        if self.o.beam_size:
            cands, lps = self.beam_finalize(seqs, sums)
        else:
            cands, lps = [s + [EOT] for s in seqs], [float(x) for x in sums]
        cands = [c[self.sample_begin:c.index(EOT, self.sample_begin)] for c in cands]
        i = self.rank(cands, lps)
        toks, lp = cands[i], lps[i]
        return {"tokens": toks, "sum": lp, "avg": lp / (len(toks) + 1), "nsp": nsp,
                "temp": self.t, "text": decoded_text(toks)}


_RUNS = {}


def decode_once(audio, o, temperature, attempt, mode):
    language, lprobs = o.language, None
    if o.english:
        language = -1
    elif language < 0:
        language, lprobs = detect_language(audio)
    key = (audio, repr(sorted(o.__dict__.items())), temperature, attempt, language)
    if key not in _RUNS:  # the same decode for both ways of measuring compression
        d = Decode(audio, o, temperature, attempt, language)
        _RUNS[key] = (d.run(), d.stats)
    r, stats = _RUNS[key]
    r = dict(r)
    r["cr"] = compression_ratio(r["text"], mode)
    r["lang"], r["lprobs"], r["stats"] = language, lprobs, stats
    r["attempts"], r["skip"] = 1, 0
    return r


def decode_with_fallback(audio, o, mode):
    language, lprobs = o.language, None
    if o.english:
        language = -1
    elif language < 0:
        language, lprobs = detect_language(audio)
    base = o.copy(language=language)
    stats = {"mass": 0, "initial_cap": 0}
    for k, t in enumerate(o.temps):
        if t > 0:
            a = base.copy(beam_size=0, patience=None)
        else:
            a = base.copy(best_of=0)
        r = decode_once(audio, a, t, k, mode)
        for key in stats:
            stats[key] += r["stats"][key]
        fallback = False
        if o.cr_threshold is not None and r["cr"] > o.cr_threshold:
            fallback = True
        if o.lp_threshold is not None and r["avg"] < o.lp_threshold:
            fallback = True
        if (o.ns_threshold is not None and r["nsp"] > o.ns_threshold
                and o.lp_threshold is not None and r["avg"] < o.lp_threshold):
            fallback = False
        if not fallback:
            break
    r["attempts"], r["lprobs"], r["stats"] = k + 1, lprobs, stats
    skip = 0
    if o.ns_threshold is not None:
        skip = r["nsp"] > o.ns_threshold
        if o.lp_threshold is not None and r["avg"] > o.lp_threshold:
            skip = False
    r["skip"] = int(skip)
    return r


# ---- cases ------------------------------------------------------------------------

def cases():
    c = []

    def add(name, api="window", audios=(0, 1, 2, 3, 4, 5, 7), **kw):
        for a in audios:
            c.append(("%s_a%d" % (name, a), api, a, Options(**kw)))

    few = (0, 2, 3, 4, 6)
    # single decodes: each search at each setting
    add("greedy", "decode", temps=[0.0])
    add("greedy_notime", "decode", temps=[0.0], without_timestamps=1)
    add("greedy_noblank", "decode", few, temps=[0.0], suppress_blank=0)
    add("greedy_noblank_notime", "decode", few + (9,), temps=[0.0], suppress_blank=0,
        without_timestamps=1)
    add("greedy_nosuppress", "decode", few, temps=[0.0], suppress=[])
    add("greedy_suppress_list", "decode", few, temps=[0.0], suppress=[3, 8, 21, -1, 1])
    add("greedy_suppress_nodefault", "decode", few, temps=[0.0], suppress=[3, 8, 21])
    add("greedy_noinitialcap", "decode", few, temps=[0.0], max_initial_timestamp=None)
    add("greedy_initial_0_3", "decode", few, temps=[0.0], max_initial_timestamp=0.3)
    add("greedy_translate", "decode", few, temps=[0.0], task=1, language=2)
    add("greedy_lang", "decode", few, temps=[0.0], language=4)
    add("greedy_sample_len", "decode", few, temps=[0.0], sample_len=5)
    add("greedy_long", "decode", few, temps=[0.0], sample_len=80)
    add("sample_0_6", "decode", temps=[0.6], seed=11)
    add("sample_1_0_notime", "decode", few, temps=[1.0], seed=5, without_timestamps=1)
    add("best_of_5", "decode", temps=[0.6], best_of=5, seed=7)
    add("best_of_5_lp", "decode", few, temps=[0.6], best_of=5, seed=9, length_penalty=0.5)
    add("beam5", "decode", temps=[0.0], beam_size=5)
    add("beam5_p2", "decode", temps=[0.0], beam_size=5, patience=2.0)
    add("beam5_lp05", "decode", temps=[0.0], beam_size=5, length_penalty=0.5)
    add("beam5_lp0", "decode", few, temps=[0.0], beam_size=5, length_penalty=0.0)
    add("beam5_notime", "decode", few, temps=[0.0], beam_size=5, without_timestamps=1)
    add("beam2_p05", "decode", few, temps=[0.0], beam_size=2, patience=0.5)  # round(1.0)
    add("beam5_p05", "decode", few, temps=[0.0], beam_size=5, patience=0.5)  # round(2.5) = 2
    add("beam1", "decode", few, temps=[0.0], beam_size=1)
    add("beam3_short", "decode", few, temps=[0.0], beam_size=3, sample_len=4)
    add("beam5_t05", "decode", few, temps=[0.5], beam_size=5)  # beam ignores temperature
    add("beam4_noblank", "decode", few, temps=[0.0], beam_size=4, suppress_blank=0)
    prompt = [1, 3, 4, 5, 1, 6, 10, TS_BEGIN + 3, 14, 18, 21, 23, 11, 7, 16, 19, 20, 22,
              TS_BEGIN + 40, 2, 8, 9, 10, 57, 58, 59, 60, 61, 62, 12, 13, 1, 3, 4, 5, 6, 7]
    add("prompt", "decode", temps=[0.0], prompt=prompt[:9])
    add("prompt_long", "decode", few, temps=[0.0], prompt=prompt)  # cut to n_ctx // 2 - 1
    add("prefix", "decode", few, temps=[0.0], prefix=[1, 3, 4])
    add("prompt_prefix_beam", "decode", few, temps=[0.0], beam_size=3, prompt=prompt[:12],
        prefix=[2, 8])
    add("prefix_sample_len", "decode", few, temps=[0.0], prefix=[1, 3, 4, 5, 6], sample_len=30)
    add("prefix_sample_len_over", "decode", few, temps=[0.0], prefix=[1, 3, 4, 5, 6],
        sample_len=34)  # decoding.py's prefix[-(-2):] keeps all but the first two
    add("ctx_limit", "decode", few, temps=[0.0], prompt=prompt, sample_len=60)
    add("ctx_limit_beam", "decode", few, temps=[0.0], beam_size=2, prompt=prompt,
        sample_len=60)
    add("english", "decode", few, temps=[0.0], english=1)
    add("english_notime_prompt", "decode", few, temps=[0.0], english=1, without_timestamps=1,
        prompt=prompt[:6])
    # the fallback loop (transcribe.py)
    add("window", audios=range(16))
    add("window_beam", audios=range(8), beam_size=5, best_of=5)
    add("window_beam_p", audios=range(5), beam_size=3, patience=1.5, best_of=3,
        length_penalty=0.3)
    add("window_prompt", audios=range(8), prompt=prompt[:20], seed=3)
    add("window_notime", audios=range(8), without_timestamps=1, seed=4)
    add("window_cr_only", audios=range(8), lp_threshold=None, seed=8)
    add("window_lp_only", audios=range(8), cr_threshold=None, seed=8)
    add("window_no_ns", audios=range(8), ns_threshold=None)
    add("window_lang", audios=range(8), language=1, task=1)
    add("window_temps", audios=range(8), temps=[0.0, 0.5, 1.0], cr_threshold=1.6, seed=21)
    # zlib and the estimate on either side of the threshold: the two modes differ
    add("window_cr_between", audios=(2, 7, 12, 17), prompt=prompt[:9], cr_threshold=2.2,
        lp_threshold=None, seed=13)
    # silent audio that falls back on the ratio alone: the silence exception needs a low
    # avg_logprob too, and transcribe() keeps what has a high one
    add("window_ns_cr", audios=(4, 9, 14, 19), cr_threshold=0.05, lp_threshold=-10.0, seed=17)
    add("window_english", audios=range(6), english=1, beam_size=2, best_of=2, seed=1)
    add("window_strict", audios=range(8), temps=[0.0, 0.3, 0.7], lp_threshold=-0.3,
        cr_threshold=1.2, ns_threshold=0.9, seed=2)
    return c


def fmt_float(x):
    return "none" if x is None else repr(float(x))


def fmt_list(xs):
    return ",".join(str(int(x)) for x in xs) if len(xs) else "-"


def case_line(name, api, audio, o):
    parts = ["name=" + name, "api=" + api, "audio=%d" % audio, "task=%d" % o.task,
             "language=%d" % o.language, "temps=" + ",".join(repr(float(t)) for t in o.temps),
             "sample_len=%d" % o.sample_len, "best_of=%d" % o.best_of,
             "beam_size=%d" % o.beam_size, "patience=" + fmt_float(o.patience),
             "length_penalty=" + fmt_float(o.length_penalty),
             "max_initial_timestamp=" + fmt_float(o.max_initial_timestamp),
             "cr_threshold=" + fmt_float(o.cr_threshold),
             "lp_threshold=" + fmt_float(o.lp_threshold),
             "ns_threshold=" + fmt_float(o.ns_threshold),
             "prompt=" + fmt_list(o.prompt), "prefix=" + fmt_list(o.prefix),
             "suppress=" + fmt_list(o.suppress), "suppress_blank=%d" % o.suppress_blank,
             "without_timestamps=%d" % o.without_timestamps, "seed=%d" % o.seed,
             "english=%d" % o.english]
    results = {}
    for mode in ("z", "e"):
        if api == "window":
            r = decode_with_fallback(audio, o, mode)
        else:
            r = decode_once(audio, o, o.temps[0], 0, mode)
        results[mode] = r
        parts += ["tokens_%s=%s" % (mode, fmt_list(r["tokens"])),
                  "text_%s=%s" % (mode, r["text"].hex() or "-"),
                  "sum_%s=%r" % (mode, float(r["sum"])), "avg_%s=%r" % (mode, float(r["avg"])),
                  "temp_%s=%r" % (mode, float(r["temp"])), "cr_%s=%r" % (mode, float(r["cr"])),
                  "attempts_%s=%d" % (mode, r["attempts"]), "skip_%s=%d" % (mode, r["skip"])]
    r = results["z"]
    parts += ["nsp=%r" % float(r["nsp"]), "lang=%d" % r["lang"],
              "lprobs=" + (",".join(repr(float(p)) for p in r["lprobs"]) if r["lprobs"] else "-")]
    return " ".join(parts), results


def check_log_softmax_against_torch(rows):
    """Our double-then-float32 log-softmax against torch's float32 one (what decoding.py
    uses): the same values within a few float32 ulps."""
    try:
        import torch
    except ImportError:
        return
    x = torch.from_numpy(np.stack(rows))
    ref = torch.nn.functional.log_softmax(x, dim=-1).numpy()
    ours = np.stack([log_softmax(r) for r in rows])
    err = np.abs(ref - ours) / np.maximum(1.0, np.abs(ref))
    assert err.max() < 4e-7, err.max()


def utf8_cases():
    rng = np.random.default_rng(5)
    pieces = [b"a", b" ", b"\t", b"\n", b"\xc2\xa0", b"\xe3\x80\x80", b"\xe2\x80\xa8",
              b"\xc3", b"\xa9", b"\xe2\x99", b"\xaa", b"\xff", b"\xf0\x9f", b"\x98\x80",
              b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xe0\x80\xaf", b"\x85",
              b"\xc2\x85", b"\xe1\x9a\x80", b"\x1c", b"\x0b", b"\xf0\x90\x80", b"\xef\xbb\xbf",
              b"\x00"]
    out = []
    for _ in range(400):
        n = int(rng.integers(0, 8))
        b = b"".join(pieces[int(i)] for i in rng.integers(0, len(pieces), n))
        out.append(b)
    for _ in range(200):
        out.append(bytes(rng.integers(0, 256, int(rng.integers(1, 12))).astype(np.uint8)))
    lines = []
    for b in out:
        s = b.decode("utf-8", errors="replace").strip().encode("utf-8")
        lines.append("%s %s" % (b.hex() or "-", s.hex() or "-"))
    return lines


def compress_cases(texts):
    rng = np.random.default_rng(6)
    words = [b" the", b" cat", b" sat", b" on", b" mat", b".", b" I", b" repeat", b" \xc3\xa9"]
    extra = [b"", b"a", b"ab", b"abc", b"aaaa", b"abcabcabcabc", bytes(range(256)) * 3]
    for n in (5, 20, 60, 200, 600):
        extra.append(b"".join(words[int(i)] for i in rng.integers(0, len(words), n)))
    for n in (3, 10, 40):
        extra.append(b" and then we go" * n)
    extra.append(bytes(rng.integers(0, 256, 5000).astype(np.uint8)))
    extra.append(b"x" * 3000)
    # 3-byte matches farther back than 4096, which zlib (and the estimate) do not take
    trip = [bytes([65 + k, 48 + k % 10, 33 + k % 15]) for k in range(26)]
    extra.append(b"\x01".join(trip) + b"\x7f" * 5000 + b"\x02".join(trip))
    lines, worst, decoded = [], 0.0, set(texts)
    for b in list(dict.fromkeys(texts + extra)):
        z, e = len(zlib.compress(b)), estimate_deflate(b)
        if b in decoded and len(b) >= 16:
            worst = max(worst, abs(e - z) / z)
        lines.append("%s %d %d" % (b.hex() or "-", z, e))
    return lines, worst


def main():
    args = [a for a in sys.argv[1:] if a != "--check-torch"]
    if len(args) != 1:
        print(__doc__)
        return 2
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    lines, texts, tally = [], [], {}

    def count(key, cond=True):
        tally[key] = tally.get(key, 0) + (1 if cond else 0)

    for name, api, audio, o in cases():
        line, res = case_line(name, api, audio, o)
        lines.append(line)
        for mode, r in res.items():
            texts.append(r["text"])
            count("cases")
            count("eot_before_limit", len(r["tokens"]) < (o.sample_len or N_CTX // 2))
            count("timestamps", any(t >= TS_BEGIN for t in r["tokens"]))
            count("text", any(t < EOT for t in r["tokens"]))
            count("mass_rule", r["stats"]["mass"] > 0)
            count("initial_cap", r["stats"]["initial_cap"] > 0)
            count("empty", len(r["tokens"]) == 0)
            count("fallback", r["attempts"] > 1)
            count("temp_above_0", r["temp"] > 0 and o.temps[0] == 0)
            count("skip", r["skip"])
            count("cr_over_2.4", r["cr"] > 2.4)
            count("avg_under_-1", r["avg"] < -1)
        zr, er = res["z"], res["e"]
        count("modes_differ", zr["tokens"] != er["tokens"] or zr["attempts"] != er["attempts"])
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(outdir, "utf8.txt"), "w") as f:
        f.write("\n".join(utf8_cases()) + "\n")
    with open(os.path.join(outdir, "spaces.txt"), "w") as f:
        f.write("\n".join(str(c) for c in range(0x110000) if chr(c).isspace()) + "\n")
    comp, worst = compress_cases(texts)
    with open(os.path.join(outdir, "compress.txt"), "w") as f:
        f.write("\n".join(comp) + "\n")
    rows = [toy_logits(a, [SOT, LANG_BEGIN, TRANSCRIBE] + [1, 3] * k) for a in range(8)
            for k in range(4)]
    if "--check-torch" in sys.argv:
        check_log_softmax_against_torch(rows)
    # The cases must reach every rule; a change to the toy model that loses one fails here.
    need = ["eot_before_limit", "timestamps", "text", "mass_rule", "initial_cap", "empty",
            "fallback", "temp_above_0", "skip", "cr_over_2.4", "avg_under_-1", "modes_differ"]
    print("whisper decode cases: %d lines; %s; estimate vs zlib on the decoded texts of 16 bytes or more: worst %.1f%%" % (
        len(lines), ", ".join("%s %d" % kv for kv in sorted(tally.items())), 100 * worst))
    missing = [k for k in need if tally.get(k, 0) == 0]
    if missing:
        print("the cases reach no %s" % ", ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
