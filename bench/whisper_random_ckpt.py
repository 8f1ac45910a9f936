#!/usr/bin/env python3
"""Random-weight Whisper checkpoints for the speed comparison with whisper.cpp
(bench/whisper_cpp.sh), and the PyTorch greedy decode that checks whisper.cpp's
conversion of them.

usage:
  whisper_random_ckpt.py write SHAPE OUT.pt [--seed N] [--fp16]
      SHAPE tiny or base (openai-whisper's multilingual tiny / base dimensions). Writes an
      OpenAI-style checkpoint, torch.save({"dims": ..., "model_state_dict": ...}), float32
      weights drawn by tests/ref/whisper_torch.py's init_random; --fp16 stores them
      rounded to float16, as the official checkpoints are (whisper.cpp's converter writes
      float16 matrices only from a float16 checkpoint: it does not convert them).
  whisper_random_ckpt.py greedy CKPT.pt WAV MEL_FILTERS.npz [--max N] [--ggml-f16 | --ggml-fa-pad]
      Greedy decode of the first 30 s window of WAV with the checkpoint, under the logit
      rules whisper.cpp applies for `whisper-cli -l en -nt -nf -bs 1 -bo 1` (below).
      Prints one JSON object: the prompt, the tokens, each token's probability and the gap
      between the best and second-best logit.
      --ggml-f16: round where whisper.cpp rounds with float32 weights and -nfa (no flash
      attention): its intermediate type is float16 whatever the weights, so attention
      queries, keys, values and probabilities are float16 (products summed in float32),
      and ggml's CPU GELU is a float16 table of the tanh approximation.
      --ggml-fa-pad: as --ggml-f16, and also whisper.cpp's flash-attention path (its
      default): the encoder's self-attention and the cross-attention see 1536 keys, the
      1500 real ones and 36 zero keys with zero values, unmasked.
  whisper_random_ckpt.py compare REF.json CPP.json TIKTOKEN LABEL...
      Compares a greedy decode (above) with whisper-cli's --output-json-full file of the
      same audio. That file merges tokens whose bytes split a UTF-8 character and keeps
      only the first one's id and probability, which random models produce all the time,
      so the comparison is on bytes: the reference's token bytes (from the tiktoken
      vocabulary) concatenated against whisper.cpp's merged texts, and the first ids and
      probabilities of the merged groups. Prints one TSV line: LABEL..., the reference's
      token count, whisper.cpp's group count, how many reference tokens agree before the
      first difference, the index of the first differing reference token (-1: none), the
      reference's top-2 logit gap there, the largest probability difference over the
      agreeing groups.

The model code is tests/ref/whisper_torch.py (our reference, written from openai-whisper's
description); this file adds the shapes, the checkpoint round trip, the decode loop, the
emulation of whisper.cpp's roundings (facts read from its source: src/whisper.cpp,
ggml/src/ggml-cpu) and the comparison. Run with /usr/bin/python3 (torch 1.13, numpy).
"""
import argparse
import base64
import json
import math
import os
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import whisper_torch as wt  # noqa: E402

SHAPES = {  # openai-whisper's ModelDimensions of the multilingual tiny and base models
    "tiny": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6,
                 n_audio_layer=4, n_vocab=51865, n_text_ctx=448, n_text_state=384,
                 n_text_head=6, n_text_layer=4),
    "base": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=512, n_audio_head=8,
                 n_audio_layer=6, n_vocab=51865, n_text_ctx=448, n_text_state=512,
                 n_text_head=8, n_text_layer=6),
}
SEEDS = {"tiny": 601, "base": 602}

# Token ids of the multilingual vocabulary (n_vocab 51865, 99 languages).
EOT, SOT, LANG_EN, N_LANG = 50257, 50258, 50259, 99
TRANSLATE, TRANSCRIBE, START_OF_LM, START_OF_PREV = 50358, 50359, 50360, 50361
NO_SPEECH, NO_TIMESTAMPS, TIMESTAMP_BEGIN = 50362, 50363, 50364
SPACE = 220  # " " in the GPT-2 byte-level vocabulary


def write(shape, out, seed, fp16):
    model = wt.init_random(wt.Whisper(SHAPES[shape]), seed).eval()
    kind = torch.float16 if fp16 else torch.float32
    sd = {k: v.detach().to(kind).contiguous().clone() for k, v in model.state_dict().items()}
    torch.save({"dims": dict(SHAPES[shape]), "model_state_dict": sd}, out)


def load(path):
    ckpt = torch.load(path, map_location="cpu")
    model = wt.Whisper(ckpt["dims"])
    model.load_state_dict({k: v.float() for k, v in ckpt["model_state_dict"].items()})
    return model.eval(), ckpt["dims"]


def suppressed(n_vocab, initial):
    """The logits whisper.cpp's whisper_process_logits sets to -inf for a greedy
    multilingual decode without timestamps (no suppress_nst, no regex): every timestamp
    and <|notimestamps|>, the control tokens, the language tokens; and on the first step
    EOT and " " (suppress_blank)."""
    ids = list(range(TIMESTAMP_BEGIN, n_vocab))
    ids += [NO_TIMESTAMPS, SOT, NO_SPEECH, START_OF_LM, TRANSLATE, TRANSCRIBE, START_OF_PREV]
    ids += list(range(LANG_EN, LANG_EN + N_LANG))
    if initial:
        ids += [EOT, SPACE]
    return torch.tensor(sorted(set(ids)))


def f16(x):
    return x.half().float()


def gelu_ggml(x, approximate="none"):
    """ggml_vec_gelu_f32 with GGML_GELU_FP16: x rounded to float16, the tanh form of GELU
    looked up in a float16 table; x <= -10 gives 0 and x >= 10 gives x."""
    xh = f16(x)
    y = f16(0.5 * xh * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * xh * (1.0 + 0.044715 * xh * xh))))
    return torch.where(x <= -10.0, torch.zeros_like(x), torch.where(x >= 10.0, x, y))


def attend_ggml(pre_scale, pad_keys=False):
    """Attention.attend as whisper.cpp computes it without flash attention. pre_scale:
    whisper.cpp's decoder scales q and k by head_dim^-1/4 each before they are rounded
    (self-attention), or k alone before caching and the scores after (cross-attention);
    the encoder scales only the scores by head_dim^-1/2. pad_keys: what its flash-attention
    path (the default) does in the encoder's self-attention and the cross-attention:
    attend over keys and values padded with zeros to a multiple of 256 (1500 -> 1536),
    unmasked, so the 36 zero keys take part in the softmax."""
    def attend(self, q, k, v, causal_offset=None):
        if pad_keys and k.shape[1] % 256:
            extra = 256 - k.shape[1] % 256
            k = torch.cat([k, k.new_zeros(k.shape[0], extra, k.shape[2])], dim=1)
            v = torch.cat([v, v.new_zeros(v.shape[0], extra, v.shape[2])], dim=1)
        b, nq, d = q.shape
        nk = k.shape[1]
        h = self.n_head
        dh = d // h
        s4 = dh ** -0.25
        if pre_scale == "qk":
            q, k, post = q * s4, k * s4, 1.0
        elif pre_scale == "k":
            k, post = k * s4, s4
        else:
            post = dh ** -0.5
        qh = f16(q).reshape(b, nq, h, dh).transpose(1, 2)
        kh = f16(k).reshape(b, nk, h, dh).transpose(1, 2)
        vh = f16(v).reshape(b, nk, h, dh).transpose(1, 2)
        s = (qh @ kh.transpose(-1, -2)) * post
        if causal_offset is not None:
            i = torch.arange(nq)[:, None]
            j = torch.arange(nk)[None, :]
            s = s.masked_fill(j > causal_offset + i, float("-inf"))
        p = torch.softmax(s, dim=-1)
        return (f16(p) @ vh).transpose(1, 2).reshape(b, nq, d), p
    return attend


def ggml_f16_intermediates(model, pad_keys):
    """Swap in whisper.cpp's roundings (see --ggml-f16). GELU is replaced in
    torch.nn.functional for the rest of this process (the model calls it there)."""
    for blk in model.encoder.blocks:
        blk.attn.attend = types.MethodType(attend_ggml("none", pad_keys), blk.attn)
    for blk in model.decoder.blocks:
        blk.attn.attend = types.MethodType(attend_ggml("qk"), blk.attn)
        blk.cross_attn.attend = types.MethodType(attend_ggml("k", pad_keys), blk.cross_attn)
    torch.nn.functional.gelu = gelu_ggml


def greedy(ckpt, wav, filters_path, max_tokens, ggml_f16, ggml_fa_pad):
    model, dims = load(ckpt)
    if ggml_f16 or ggml_fa_pad:
        ggml_f16_intermediates(model, ggml_fa_pad)
    if dims["n_vocab"] != 51865:
        raise SystemExit("greedy: only the multilingual vocabulary (n_vocab 51865) is handled")
    with np.load(filters_path) as f:
        filters = f["mel_%d" % dims["n_mels"]]
    mel = torch.from_numpy(wt.log_mel(wt.read_wav(wav), filters))
    prompt = [SOT, LANG_EN, TRANSCRIBE, NO_TIMESTAMPS]
    out = {"prompt": prompt, "tokens": [], "p": [], "gap": []}
    with torch.no_grad():
        cross = model.cross_kv(model.encode(mel[None]))
        logits, cache, _ = model.decode(torch.tensor([prompt]), cross)
        for step in range(max_tokens):
            row = logits[0, -1].clone()
            row[suppressed(row.numel(), step == 0)] = float("-inf")
            top = torch.topk(row, 2)
            tok = int(top.indices[0])
            out["tokens"].append(tok)
            out["p"].append(float(torch.softmax(row.double(), 0)[tok]))
            out["gap"].append(float(top.values[0] - top.values[1]))
            if tok == EOT:
                break
            logits, cache, _ = model.decode(torch.tensor([[tok]]), cross, cache)
    print(json.dumps(out))


def vocab_bytes(tiktoken_path):
    out = {}
    with open(tiktoken_path, "rb") as f:
        for line in f:
            if line.strip():
                tok, rank = line.split()
                out[int(rank)] = base64.b64decode(tok)
    return out


def utf8_missing(b):
    """Bytes still missing from the last UTF-8 character of b (whisper.cpp's
    utf8_trailing_bytes_needed in examples/common-whisper.cpp)."""
    i = len(b) - 1
    while i >= 0 and b[i] & 0xC0 == 0x80:
        i -= 1
    if i < 0:
        return 0
    c = b[i]
    need = 1 if c < 0x80 else 2 if c & 0xE0 == 0xC0 else 3 if c & 0xF0 == 0xE0 else 4 if c & 0xF8 == 0xF0 else 0
    return max(0, need - (len(b) - i)) if need else 0


def compare(ref_path, cpp_path, tiktoken_path, labels):
    ref = json.load(open(ref_path))
    raw = open(cpp_path, "rb").read().decode("utf-8", "surrogateescape")
    cpp = json.loads(raw, strict=False)
    groups = [(t["id"], t["p"], t["text"].encode("utf-8", "surrogateescape"))
              for seg in cpp["transcription"] for t in seg["tokens"]]
    vocab = vocab_bytes(tiktoken_path)
    special = {EOT: b"[_EOT_]"}
    rtoks = ref["tokens"]
    rbytes = [vocab.get(t, special.get(t, b"?")) for t in rtoks]
    # the reference's tokens grouped the way whisper-cli groups them
    rgroups, i = [], 0
    while i < len(rtoks):
        j, text = i + 1, rbytes[i]
        while j < len(rtoks) and utf8_missing(text) > 0:
            text += rbytes[j]
            j += 1
        rgroups.append((i, j, text))
        i = j
    agree, dp = 0, 0.0
    first = -1
    for g, (i, j, text) in enumerate(rgroups):
        if g >= len(groups) or groups[g][0] != rtoks[i] or groups[g][2] != text:
            first = i
            break
        agree = j
        dp = max(dp, abs(groups[g][1] - ref["p"][i]))
    if first < 0 and len(groups) > len(rgroups):
        first = len(rtoks)
    gap = ref["gap"][first] if 0 <= first < len(ref["gap"]) else float("nan")
    print("\t".join(list(labels) + [str(len(rtoks)), str(len(groups)), str(agree), str(first),
                                     "%.4f" % gap, "%.2e" % dp]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("shape", choices=sorted(SHAPES))
    w.add_argument("out")
    w.add_argument("--seed", type=int)
    w.add_argument("--fp16", action="store_true", help="store the weights as float16")
    g = sub.add_parser("greedy")
    g.add_argument("ckpt")
    g.add_argument("wav")
    g.add_argument("filters")
    g.add_argument("--max", type=int, default=220,
                   help="most tokens (whisper.cpp stops at n_text_ctx / 2 - 4 = 220)")
    g.add_argument("--ggml-f16", action="store_true",
                   help="round as whisper.cpp does with float32 weights and -nfa")
    g.add_argument("--ggml-fa-pad", action="store_true",
                   help="--ggml-f16, plus the zero keys of whisper.cpp's flash-attention path")
    c = sub.add_parser("compare")
    c.add_argument("ref")
    c.add_argument("cpp")
    c.add_argument("tiktoken")
    c.add_argument("labels", nargs="*")
    a = ap.parse_args()
    if a.cmd == "write":
        write(a.shape, a.out, SEEDS[a.shape] if a.seed is None else a.seed, a.fp16)
    elif a.cmd == "compare":
        compare(a.ref, a.cpp, a.tiktoken, a.labels)
    else:
        greedy(a.ckpt, a.wav, a.filters, a.max, a.ggml_f16, a.ggml_fa_pad)


if __name__ == "__main__":
    main()
