#!/usr/bin/env python3
"""Reference for voce's long-form Whisper transcription (src/models/whisper/transcribe.c
behind voce_asr_transcribe): openai-whisper's transcribe() loop written again in Python,
run on the random-weight PyTorch models of tests/ref/whisper_torch.py (float32, as
openai-whisper's CPU path), with the decoding rules of whisper_decode_ref.py for each
window and the word-timing rules of whisper_timing_ref.py.

usage: whisper_transcribe_ref.py LAYOUTS OUTDIR [DATA_DIR]

LAYOUTS is gen_whisper_layouts.py's output (LAYOUTS/{en,multi}/model.pt and ref/facts.json);
DATA_DIR (default $VOCE_TEST_DATA or /work/shared) holds audio/jfk.wav and
models/whisper-assets/{gpt2,multilingual}.tiktoken and mel_filters.npz.

Writes OUTDIR/long.wav (jfk.wav four times with silences, 65 s, 16-bit PCM) and
OUTDIR/cases.json: a list of cases, each
  {"name", "model": "en"|"multi", "audio": "jfk.wav" (in DATA_DIR/audio) | "long.wav",
   "params": every voce_transcribe_params field the reference follows (DEFAULTS, then the
             case's own); beam_size is 0 (greedy) throughout,
   "text", "text_hex": the whole text, "language", "language_probability" (null when not
   detected),
   "segments": [{"id", "seek", "start", "end", "tokens", "text", "text_hex", "temperature",
                 "avg_logprob", "compression_ratio", "no_speech_prob",
                 "words": [{"word", "word_hex", "start", "end", "probability"}]}],
   "rules": the transcribe() rules the case took (names as in transcribe() below),
   "margins", "near_ties": how close its decisions came to a tie (below),
   "steps", "windows", "seconds": decoding steps, encoded windows, CPU time}
The C test (tests/test_whisper_transcribe.c) runs voce on the same cases and compares.
With VOCE_TEST_QUICK=1 only the cases in QUICK are written (the C test then runs the one
with the fewest steps); VOCE_TRANSCRIBE_CASES=a,b picks cases by name.

The loop (transcribe.py): the log-mel of the audio with 30 s of zeros appended; 30 s
windows from `seek`, the mel after the audio's end given as zeros (pad_or_trim); the
language detected once on the first 3000 frames of the padded mel; each window decoded
with the temperature fallback, prompted with the tokens so far since the last reset
(the initial prompt " " + strip(prompt) first); a window that is silent by the no-speech
rule is skipped; the tokens cut into segments after each pair of timestamps (and at the
end on a single closing timestamp); seek to the last timestamp of the last pair, or past
the window; with word timestamps, the alignment of the window's text tokens and the seek
moved to the last word's end; segments that are instantaneous or blank emptied; the
prompt reset after a temperature above 0.5 or when not conditioning. The temperatures
are np.arange(temperature, 1.0 + 1e-6, increment) as transcribe.py's command line makes
them. The log-mel is whisper_torch.log_mel's (float64, then float32).

Where voce departs from openai-whisper on purpose, this file does too: sampling uses the
splitmix64 stream of whisper_decode_ref.py (docs/whisper.md), log-probabilities are
double rounded to float32. Beam search and best_of > 1 are not in the cases: voce's
runner does not offer them yet.

Margins: float32 logits from voce and torch differ by about 1e-6, so a decision can
flip only near a tie. For every decision the case records how far it was from one:
greedy steps (largest minus second largest filtered logit), the timestamp-mass rule
(logsumexp of the timestamp logits minus the largest other logit), sampling draws (the
distance of u * total to the nearest cumulative weight, in units of how far logit errors
of LOGIT_NOISE would move it), the fallback and skip thresholds of every attempt
(avg_logprob, compression ratio, and the log ratio of the no-speech probability to its
threshold). Margins below 1e-3, and draws within 20 units, are printed as near ties: a
mismatch there may be a tie, not a bug. Sampling at t >= 0.4 over these random models
(whose distributions have long tails over 51864 tokens) meets such ties every few dozen
draws, so the fallback case samples at 0.2 only.

Exits 77 when numpy, torch or a data file is missing.
"""
import json
import os
import sys
import time
import wave

try:
    import numpy as np
    import torch
except ImportError as e:
    print("skip: numpy/torch not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import whisper_torch as wt  # noqa: E402
import whisper_decode_ref as dr  # noqa: E402
import whisper_timing_ref as tr  # noqa: E402
import gen_whisper_layouts as gl  # noqa: E402  (tiktoken reading, specials, non-speech list)

SR, HOP, N_FRAMES = 16000, 160, 3000
INPUT_STRIDE = 2                     # mel frames per audio position
TIME_PRECISION = INPUT_STRIDE * HOP / SR   # 0.02 s per timestamp step
FRAMES_PER_SECOND = SR // HOP        # 100
UNICODE_SPLIT = {"zh", "ja", "th", "lo", "my", "yue"}
NEAR_TIE = 1e-3
# Sampling: voce's float32 logits and torch's differ by independent errors of about 1e-6
# (float32 against float64 torch on these models: 0.6e-6 median, 8e-6 at most; a common
# scale error of 1e-8). Moving every logit by LOGIT_NOISE moves the cumulative weight
# below token i by sigma = LOGIT_NOISE / T * sqrt(sum over j <= i of p_j^2) (relative to
# the total); a draw is near a tie when u * total is within SAMPLE_NEAR_TIE sigmas of a
# cumulative weight. (A draw at t = 1, 0.5 sigma from one, was seen to flip.)
LOGIT_NOISE = 2e-6
SAMPLE_NEAR_TIE = 20.0


# ---------------------------------------------------------------- the model as an LM

class Model:
    """One random-weight model, its vocabulary, and the hooks whisper_decode_ref calls:
    its 'audio' ids name encoded windows."""

    def __init__(self, layouts, cfg, data):
        ck = torch.load(os.path.join(layouts, cfg, "model.pt"))
        self.net = wt.Whisper(ck["dims"])
        self.net.load_state_dict({k: v.float() for k, v in ck["model_state_dict"].items()})
        self.net.eval()
        with open(os.path.join(layouts, cfg, "ref", "facts.json")) as f:
            facts = json.load(f)
        self.cfg = cfg
        self.dims = facts["dims"]
        self.multilingual = facts["multilingual"]
        self.heads = facts["alignment_heads"]
        self.tok = facts["tokens"]
        assets = os.path.join(data, "models", "whisper-assets")
        self.vocab_path = os.path.join(assets, "multilingual.tiktoken" if self.multilingual
                                       else "gpt2.tiktoken")
        ranks = gl.read_tiktoken(self.vocab_path)
        self.ranks = ranks
        self.bytes = {r: b for b, r in ranks.items()}
        self.special = {i: s.encode() for s, i in gl.specials(len(ranks), self.dims["n_vocab"])}
        self.n_lang = facts["num_languages"] if self.multilingual else 0
        self.non_speech = gl.non_speech_tokens(ranks)
        self.timing_vocab = tr.Vocab(self.vocab_path)
        self.cross = {}
        self.last = None

    def token_bytes(self, t):
        return self.bytes[t] if t in self.bytes else self.special[t]

    def encode_text(self, text):
        return gl.encode_ascii(self.ranks, text)

    def add_window(self, mel):
        with torch.no_grad():
            xa = self.net.encode(torch.from_numpy(mel)[None])
            kv = self.net.cross_kv(xa)
        audio = len(self.cross)
        self.cross[audio] = kv
        return audio

    def logits(self, audio, seq):
        """float32 logits after seq, from the KV cache of its longest prefix asked for
        lately (beam search asks for several sequences a step)."""
        seq = tuple(int(t) for t in seq)
        cache, new = None, seq
        if self.last is None or self.last[0] != audio:
            self.last = (audio, {})
        caches = self.last[1]
        parent = seq[:-1] if seq[:-1] in caches else max(
            (k for k in caches if len(k) < len(seq) and seq[:len(k)] == k), key=len, default=None)
        if parent is not None:
            cache, new = caches[parent], seq[len(parent):]
        with torch.no_grad():
            lg, cache, _ = self.net.decode(torch.tensor([new]), self.cross[audio], cache)
        caches[seq] = cache
        while len(caches) > 32:  # oldest first (dicts keep insertion order)
            del caches[next(iter(caches))]
        return lg[0, -1].numpy().astype(np.float32)

    def alignment(self, audio, tokens):
        """Teacher-forced tokens in one call: the alignment heads' cross-attention
        probabilities [heads, n, 1500] and the logits [n, n_vocab]."""
        with torch.no_grad():
            lg, _, probs = self.net.decode(torch.tensor([tokens]), self.cross[audio])
        attn = torch.stack([probs[l][0, h] for l, h in self.heads]).numpy().astype(np.float32)
        return attn, lg[0].numpy().astype(np.float32)

    def install(self):
        """Point whisper_decode_ref's vocabulary and language model at this model."""
        t = self.tok
        dr.EOT, dr.SOT = t["eot"], t["sot"]
        dr.LANG_BEGIN, dr.N_LANG = t["sot"] + 1, self.n_lang
        dr.TRANSLATE, dr.TRANSCRIBE = t["translate"], t["transcribe"]
        dr.SOT_LM, dr.SOT_PREV, dr.NO_SPEECH = t["sot_lm"], t["sot_prev"], t["no_speech"]
        dr.NO_TIMESTAMPS, dr.TS_BEGIN = t["no_timestamps"], t["timestamp_begin"]
        dr.N_VOCAB = self.dims["n_vocab"]
        dr.N_CTX, dr.N_AUDIO_CTX = self.dims["n_text_ctx"], self.dims["n_audio_ctx"]
        dr.BLANK = t["blank"]
        dr.NON_SPEECH = list(self.non_speech)
        dr.token_bytes = self.token_bytes
        dr.toy_logits = self.logits
        dr._RUNS.clear()
        self.cross.clear()
        self.last = None


# ---------------------------------------------------------------- margins

class Margins:
    """How close each decision came to a tie (module docstring)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.m = {}
        self.near = []
        self.steps = 0
        self.seek = 0

    def note(self, kind, value, where, limit=NEAR_TIE):
        value = float(abs(value))
        if kind not in self.m or value < self.m[kind]:
            self.m[kind] = value
        if value < limit:
            self.near.append("%s %.3g at seek %d, %s" % (kind, value, self.seek, where))


MARGINS = Margins()
_CURRENT = {}


def instrument():
    """Wrap whisper_decode_ref's search steps, timestamp rule and single decodes to measure
    their margins; the rules themselves run unchanged (the timestamp-mass margin is taken
    with one sequence only)."""
    filters, update, lse = dr.Decode.filters, dr.Decode.greedy_update, dr.logsumexp
    once, beam = dr.decode_once, dr.Decode.beam_update

    def filters_w(self, logits, seqs):
        _CURRENT["logits"] = logits
        _CURRENT["step"] = len(seqs[0]) - self.sample_begin
        return filters(self, logits, seqs)

    def lse_w(x):
        v = lse(x)
        row = _CURRENT.get("logits")
        if row is not None and row.shape[0] == 1 and x.shape[0] == row.shape[1] - dr.TS_BEGIN:
            text = row[0, :dr.TS_BEGIN].astype(np.float64)
            if np.isfinite(v) and np.any(np.isfinite(text)):
                MARGINS.note("timestamp_mass", v - text.max(), "step %d" % _CURRENT["step"])
        return v

    def update_w(self, seqs, logits, sums):
        s = seqs[0]
        if s[-1] != dr.EOT:
            row = logits[0].astype(np.float64)
            where = "t=%g step %d" % (self.t, len(s) - self.sample_begin)
            MARGINS.steps += 1
            if self.t == 0:
                best = int(np.argmax(row))
                second = max(row[:best].max(initial=-np.inf), row[best + 1:].max(initial=-np.inf))
                if np.isfinite(second):
                    MARGINS.note("greedy", row[best] - second, where)
            else:
                probe = dr.Rng(0, 0)
                probe.state = self.rng.state
                u = probe.uniform()
                x = row / self.t
                w = np.exp(x - x[np.isfinite(x)].max())
                c = np.cumsum(w)
                target = u * c[-1]
                i = int(np.searchsorted(c, target, side="right"))
                lo = c[i - 1] if i > 0 else 0.0
                hi = c[min(i, len(c) - 1)]
                # the cumulative weight's spread when every logit moves by LOGIT_NOISE
                p2 = np.cumsum((w / c[-1]) ** 2)[min(i, len(c) - 1)]
                sigma = LOGIT_NOISE / self.t * np.sqrt(p2)
                MARGINS.note("sample_sigmas", min(target - lo, hi - target) / c[-1] / sigma, where,
                             SAMPLE_NEAR_TIE)
        return update(self, seqs, logits, sums)

    def beam_w(self, seqs, logits, sums):
        # the candidates' float32 scores as beam_update forms them; a swap of two near the
        # cut between kept and dropped beams changes the search
        scores = {}  # keyed by sequence, as beam_update's (the first step's copies collapse)
        for j in range(len(seqs)):
            lp = dr.log_softmax(logits[j])
            top = np.argpartition(-lp.astype(np.float64), self.o.beam_size + 1)[:self.o.beam_size + 1]
            for t in top:
                scores[tuple(seqs[j]) + (int(t),)] = float(np.float32(sums[j]) + lp[t])
        scores = list(scores.values())
        scores.sort(reverse=True)
        k = min(len(scores) - 1, 2 * self.o.beam_size)
        gaps = [scores[i] - scores[i + 1] for i in range(k)]
        if gaps:
            MARGINS.note("beam", min(gaps), "step %d" % (len(seqs[0]) - self.sample_begin))
        MARGINS.steps += 1
        return beam(self, seqs, logits, sums)

    def once_w(audio, o, temperature, attempt, mode):
        r = once(audio, o, temperature, attempt, mode)
        where = "t=%g" % temperature
        if o.lp_threshold is not None:
            MARGINS.note("avg_logprob_threshold", r["avg"] - o.lp_threshold, where)
        if o.cr_threshold is not None:
            MARGINS.note("compression_threshold", r["cr"] - o.cr_threshold, where)
        if o.ns_threshold is not None:  # the probability's relative error: a log ratio
            MARGINS.note("no_speech_threshold", np.log(max(r["nsp"], 1e-300) / o.ns_threshold), where)
        return r

    dr.Decode.filters = filters_w
    dr.Decode.greedy_update = update_w
    dr.Decode.beam_update = beam_w
    dr.logsumexp = lse_w
    dr.decode_once = once_w


# ---------------------------------------------------------------- audio

def read_samples(path):
    return wt.read_wav(path)


def write_wav16(path, samples):
    pcm = np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def long_audio(jfk):
    """jfk.wav four times with silences between: 65 s, so windows seek and one
    (mostly silence) can be skipped."""
    gap = lambda s: np.zeros(int(s * SR), np.float32)
    parts = [gap(0.5), jfk, gap(3.0), jfk, gap(14.0), jfk, gap(2.0), jfk]
    x = np.concatenate(parts)
    return x[:65 * SR] if len(x) > 65 * SR else np.concatenate([x, gap(65 - len(x) / SR)])


# ---------------------------------------------------------------- transcribe()

DEFAULTS = dict(language=None, timestamps=1, word_timestamps=0, initial_prompt=None,
                condition_on_previous_text=1, temperature=0.0, temperature_increment=0.0,
                beam_size=0, best_of=1, compression_ratio_threshold=2.4, logprob_threshold=-1.0,
                no_speech_threshold=0.6, seed=0)


def temperatures(p):
    """transcribe.py's command line: np.arange(temperature, 1.0 + 1e-6, increment), or the
    temperature alone without an increment. voce takes the float parameters as the
    decimals they were written as (src/pipeline/asr.c), so these are its values too."""
    if p["temperature_increment"] <= 0:
        return [float(p["temperature"])]
    return [float(t) for t in np.arange(p["temperature"], 1.0 + 1e-6, p["temperature_increment"])]


def transcribe(model, samples, filters, p, rules):
    tok = model.tok
    tb, eot = tok["timestamp_begin"], tok["eot"]
    n_frames = (len(samples) + wt.N_SAMPLES) // HOP
    mel = wt.log_mel(samples, filters, pad_30s=True, n_frames=n_frames)
    content_frames = mel.shape[1] - N_FRAMES

    language, lang_prob = -1, None
    if model.multilingual:
        if p["language"] is None:
            audio = model.add_window(np.ascontiguousarray(mel[:, :N_FRAMES]))
            language, probs = dr.detect_language(audio)
            lang_prob = float(probs[language])
            rules.add("language_detected")
        else:
            language = gl.LANGS.index(p["language"])
    code = gl.LANGS[language] if language >= 0 else "en"

    base = dr.Options(task=0, language=language, temps=temperatures(p), best_of=p["best_of"],
                      beam_size=p["beam_size"] if p["beam_size"] > 1 else 0, without_timestamps=int(not p["timestamps"]), seed=p["seed"],
                      english=int(not model.multilingual),
                      cr_threshold=p["compression_ratio_threshold"],
                      lp_threshold=p["logprob_threshold"], ns_threshold=p["no_speech_threshold"])
    all_tokens, prompt_reset_since = [], 0
    if p["initial_prompt"] is not None:
        all_tokens += model.encode_text(" " + p["initial_prompt"].strip())
        rules.add("initial_prompt")
    n_initial = len(all_tokens)
    seek, last_speech, segments = 0, 0.0, []
    while seek < content_frames:
        time_offset = float(seek * HOP / SR)
        size = min(N_FRAMES, content_frames - seek)
        window = np.zeros((mel.shape[0], N_FRAMES), np.float32)
        window[:, :size] = mel[:, seek:seek + size]
        audio = model.add_window(window)
        MARGINS.seek = seek
        prompt = all_tokens[prompt_reset_since:]
        if prompt:
            rules.add("prompted")
        o = base.copy(prompt=list(prompt))
        r = dr.decode_with_fallback(audio, o, "z")
        if r["attempts"] > 1:
            rules.add("fallback")
        if r["temp"] > 0.5:
            rules.add("temperature_above_0.5")
        if r["skip"]:
            rules.add("skipped_window")
            seek += size
            continue
        tokens = [int(t) for t in r["tokens"]]
        previous_seek = seek

        def segment(start, end, toks):
            text_tokens = [t for t in toks if t < eot]
            text = b"".join(model.token_bytes(t) for t in text_tokens).decode("utf-8", "replace")
            return dict(seek=seek, start=start, end=end, tokens=list(toks), text=text,
                        temperature=float(r["temp"]), avg_logprob=float(r["avg"]),
                        compression_ratio=float(r["cr"]), no_speech_prob=float(r["nsp"]),
                        words=[])

        is_ts = [t >= tb for t in tokens]
        single = is_ts[-2:] == [False, True]
        consecutive = [i + 1 for i in range(len(tokens) - 1) if is_ts[i] and is_ts[i + 1]]
        current = []
        if consecutive:
            rules.add("timestamp_pairs")
            slices = consecutive + ([len(tokens)] if single else [])
            last = 0
            for cut in slices:
                piece = tokens[last:cut]
                current.append(segment(time_offset + (piece[0] - tb) * TIME_PRECISION,
                                       time_offset + (piece[-1] - tb) * TIME_PRECISION, piece))
                last = cut
            if single:
                rules.add("single_timestamp_ending")
                seek += size
            else:
                rules.add("seek_to_last_timestamp")
                seek += (tokens[last - 1] - tb) * INPUT_STRIDE
        else:
            duration = size * HOP / SR
            stamps = [t for t in tokens if t >= tb]
            if stamps and stamps[-1] != tb:
                rules.add("no_pair_last_timestamp")
                duration = (stamps[-1] - tb) * TIME_PRECISION
            else:
                rules.add("no_pair_whole_window")
            current.append(segment(time_offset, time_offset + duration, tokens))
            seek += size

        if p["word_timestamps"]:
            add_words(model, audio, current, language, size, previous_seek, last_speech, code)
            rules.add("word_timestamps")
            end = get_end(current)
            if not single and end is not None and end > time_offset:
                seek = round(end * FRAMES_PER_SECOND)
                rules.add("seek_to_last_word")
            if end is not None:
                last_speech = end

        for s in current:
            if s["start"] == s["end"] or s["text"].strip() == "":
                rules.add("cleared_segment")
                s["text"], s["tokens"], s["words"] = "", [], []
        for s in current:
            s["id"] = len(segments)
            segments.append(s)
            all_tokens += s["tokens"]
        if not p["condition_on_previous_text"] or r["temp"] > 0.5:
            prompt_reset_since = len(all_tokens)
        if len(segments) > len(current):
            rules.add("several_windows")
    # the whole text: every token after the initial prompt below the timestamps decoded at
    # once (tokenizer.decode keeps the other special tokens' names)
    kept = [t for t in all_tokens[n_initial:] if t < tb]
    text = b"".join(model.token_bytes(t) for t in kept).decode("utf-8", "replace")
    return segments, code, lang_prob, text


def get_end(segments):
    for s in reversed(segments):
        for w in reversed(s["words"]):
            return w["end"]
    return segments[-1]["end"] if segments else None


def add_words(model, audio, segments, language, num_frames, seek, last_speech, code):
    """timing.py's add_word_timestamps for the window's segments (whisper_timing_ref)."""
    tok = model.tok
    eot = tok["eot"]
    per_segment = [[t for t in s["tokens"] if t < eot] for s in segments]
    text = [t for ts in per_segment for t in ts]
    if not segments or not text:
        return
    sot_seq = [tok["sot"]]
    if model.multilingual:
        sot_seq += [tok["sot"] + 1 + language, tok["transcribe"]]
    seq = sot_seq + [tok["no_timestamps"]] + text + [eot]
    attn, logits = model.alignment(audio, seq)
    rows = logits[len(sot_seq):len(sot_seq) + len(text), :eot].astype(np.float64)
    e = np.exp(rows - rows.max(axis=1, keepdims=True))
    probs = (e[np.arange(len(text)), text] / e.sum(axis=1)).astype(np.float32)
    mode = "unicode" if code in UNICODE_SPLIT else "spaces"
    segs = [dict(start=s["start"], end=s["end"], n_tokens=len(ts))
            for s, ts in zip(segments, per_segment)]
    _, words, _, _ = tr.add_word_timestamps(model.timing_vocab, segs, attn, "probs", len(sot_seq),
                                            num_frames, text, probs, mode, seek, last_speech)
    for s, g in zip(segments, segs):
        s["start"], s["end"] = g["start"], g["end"]
        s["words"] = [dict(word=w["word"], start=float(w["start"]), end=float(w["end"]),
                           probability=float(w["probability"])) for w in words[g["wb"]:g["we"]]]


# ---------------------------------------------------------------- cases

def cases():
    """(name, model, audio, params, the rules the case must take). Every window decodes
    the full 224 tokens (the random models rarely choose EOT), so windows are what cost:
    13 of them in all. Thresholds were picked from the decisions they must take (the
    margins show how far from a tie they are)."""
    return [
        ("jfk_en", "en", "jfk.wav", {}, ["timestamp_pairs", "seek_to_last_timestamp"]),
        ("jfk_multi_detect", "multi", "jfk.wav", {}, ["language_detected", "several_windows",
                                                     "prompted"]),
        ("jfk_multi_en_notime", "multi", "jfk.wav", {"language": "en", "timestamps": 0}, []),
        # unprompted, the windows' no-speech probabilities are 4.7e-10, 6.0e-10 (skipped),
        # then 3.3e-10
        ("long_en_skip_noprompt", "en", "long.wav",
         {"no_speech_threshold": 5.5e-10, "condition_on_previous_text": 0},
         ["several_windows", "seek_to_last_timestamp", "skipped_window"]),
        ("jfk_multi_en_words", "multi", "jfk.wav", {"language": "en", "word_timestamps": 1},
         ["word_timestamps", "seek_to_last_word", "cleared_segment", "prompted"]),
        ("jfk_en_prompt", "en", "jfk.wav", {"initial_prompt": "  And so my fellow Americans  "},
         ["initial_prompt", "prompted"]),
        # greedy text's compression ratio is 1.6104: sampling at 0.2 (ratio 1.5665) is kept
        ("jfk_en_fallback", "en", "jfk.wav",
         {"temperature_increment": 0.2, "compression_ratio_threshold": 1.605,
          "logprob_threshold": -3.0, "seed": 3}, ["fallback"]),
    ]


def extra_cases():
    """Cases written only when VOCE_TRANSCRIBE_CASES names them: beam search costs about
    three greedy windows a beam (every beam decodes 224 tokens here) and its float32 sums
    of 200 log-probabilities come within an ulp of each other."""
    return [
        ("jfk_en_beam2", "en", "jfk.wav", {"beam_size": 2}, []),
        ("jfk_multi_en_beam3", "multi", "jfk.wav", {"beam_size": 3, "language": "en"}, []),
    ]


QUICK = ("jfk_en",)  # VOCE_TEST_QUICK=1 (sanitizers, qemu): the C test runs only this one


def run_case(model, filters, samples, name, params):
    p = dict(DEFAULTS)
    p.update(params)
    rules = set()
    MARGINS.reset()
    t0 = time.process_time()
    segments, code, lang_prob, text = transcribe(model, samples, filters, p, rules)
    out = []
    for s in segments:
        d = dict(id=s["id"], seek=s["seek"], start=s["start"], end=s["end"], tokens=s["tokens"],
                 text=s["text"], text_hex=s["text"].encode("utf-8").hex(),
                 temperature=s["temperature"], avg_logprob=s["avg_logprob"],
                 compression_ratio=s["compression_ratio"], no_speech_prob=s["no_speech_prob"],
                 words=[dict(word=w["word"], word_hex=w["word"].encode("utf-8").hex(),
                             start=w["start"], end=w["end"], probability=w["probability"])
                        for w in s["words"]])
        out.append(d)
    return dict(name=name, params=p, text=text, text_hex=text.encode("utf-8").hex(),
                language=code, language_probability=lang_prob,
                segments=out, rules=sorted(rules), margins=dict(MARGINS.m),
                near_ties=list(MARGINS.near), steps=MARGINS.steps,
                windows=len(model.cross), seconds=round(time.process_time() - t0, 2))


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    layouts, outdir = args[0], args[1]
    data = args[2] if len(args) > 2 else os.environ.get("VOCE_TEST_DATA", "/work/shared")
    need = [os.path.join(data, "audio", "jfk.wav"),
            os.path.join(data, "models", "whisper-assets", "mel_filters.npz")]
    need += [os.path.join(layouts, m, f) for m in ("en", "multi")
             for f in ("model.pt", os.path.join("ref", "facts.json"))]
    for f in need:
        if not os.path.isfile(f):
            print("skip: %s not found" % f)
            return 77
    torch.set_num_threads(1)
    os.makedirs(outdir, exist_ok=True)
    t0 = time.time()
    filters = np.load(need[1])["mel_80"]
    jfk = read_samples(need[0])
    write_wav16(os.path.join(outdir, "long.wav"), long_audio(jfk))
    audio = {"jfk.wav": jfk, "long.wav": read_samples(os.path.join(outdir, "long.wav"))}
    only = os.environ.get("VOCE_TRANSCRIBE_CASES")  # a comma list, for development
    if not only and os.environ.get("VOCE_TEST_QUICK") == "1":
        only = ",".join(QUICK)
    instrument()
    models, results, missing = {}, [], []
    wanted = only.split(",") if only else [c[0] for c in cases()]
    for name, cfg, wav, params, want in cases() + extra_cases():
        if name not in wanted:
            continue
        if cfg not in models:
            models[cfg] = Model(layouts, cfg, data)
        m = models[cfg]
        m.install()
        r = run_case(m, filters, audio[wav], name, params)
        r["model"], r["audio"] = cfg, wav
        results.append(r)
        lacking = [w for w in want if w not in r["rules"]]
        if lacking:
            missing.append("%s: %s" % (name, ", ".join(lacking)))
        print("%-20s %5.1f s  %d windows, %d steps, %d segments  rules: %s" % (
            name, r["seconds"], r["windows"], r["steps"], len(r["segments"]), ", ".join(r["rules"])))
        for n in r["near_ties"]:
            print("    near tie: %s" % n)
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("whisper transcribe cases: %d in %.1f s" % (len(results), time.time() - t0))
    if missing:
        print("error: cases that do not take their rules:\n  " + "\n  ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
