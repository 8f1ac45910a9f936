#!/usr/bin/env python3
"""Export a Whisper checkpoint to the ONNX layout voce runs fastest (docs/whisper-export.md).

usage: whisper.py CHECKPOINT -o DIR [--vocab FILE.tiktoken] [--alignment-heads SPEC]
                  [--name NAME] [--opset N]

CHECKPOINT is either
  an OpenAI checkpoint (.pt: {"dims": ..., "model_state_dict": ...}, as
      openai-whisper downloads them); --vocab names its tiktoken vocabulary
      (gpt2.tiktoken for English-only models, multilingual.tiktoken otherwise), or
  a Hugging Face model directory: config.json, model.safetensors (or a sharded
      model.safetensors.index.json, or pytorch_model.bin), generation_config.json when
      present (alignment heads, special tokens), tokenizer.json / vocab.json +
      merges.txt (copied into DIR).

DIR receives
  encoder.onnx  mel [1, n_mels, 2*n_audio_ctx] -> cross_k_<l>, cross_v_<l> [1, n_audio_ctx, d]
                for every decoder layer l (cross-attention keys and values, once per window)
  decoder.onnx  tokens [1, n], offset (int64 scalar), cross_k_<l>, cross_v_<l>,
                self_k_<l>, self_v_<l> [1, n_text_ctx, d]
                -> logits [1, n, n_vocab], self_k_out_<l>, self_v_out_<l>,
                   alignment [n_alignment_heads, n, n_audio_ctx]
  config.json   the model's facts (docs/whisper-export.md, "config.json")
  the vocabulary file(s)

The graphs use two operators of the ONNX domain "voce" (version 1), CacheWrite and
Attention, whose exact semantics are in docs/whisper-export.md; their PyTorch forward
below is that definition. ONNX Runtime does not know them: the files are for voce.

Needs python3 with torch (1.13 or newer) and onnx. Exit status 0 on success, 1 with a
message naming the problem otherwise, 2 for bad usage.
"""
import argparse
import base64
import gzip
import json
import math
import os
import re
import shutil
import struct
import sys
import warnings

VOCE_DOMAIN = "voce"
LAYOUT = "voce-whisper"
LAYOUT_VERSION = 1

# openai-whisper's language order; a model with num_languages L knows the first L.
LANGUAGE_CODES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta "
    "no th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk "
    "sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb "
    "my bo tl mg as tt haw ln ha ba jw su yue").split()


class ExportError(Exception):
    pass


# ---------------------------------------------------------------- checkpoint reading

def _torch():
    try:
        import torch
    except ImportError:
        raise ExportError("this script needs PyTorch (python3 -m pip install torch)")
    return torch


def load_openai(path):
    """(dims, weights) of an OpenAI .pt checkpoint; weights float32, openai names."""
    torch = _torch()
    try:
        try:
            ck = torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # torch older than 1.13
            ck = torch.load(path, map_location="cpu")
    except Exception as e:
        why = (str(e).strip().split(".") or [""])[0][:160] or type(e).__name__
        raise ExportError("%s: cannot be read as a PyTorch checkpoint (%s)" % (path, why))
    if not isinstance(ck, dict) or "dims" not in ck or "model_state_dict" not in ck:
        raise ExportError("%s: not an OpenAI Whisper checkpoint (expected a dict with 'dims' "
                          "and 'model_state_dict')" % path)
    dims = dict(ck["dims"])
    w = {k: v.float() for k, v in ck["model_state_dict"].items()}
    return dims, w


_ST_DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2), "F64": ("<f8", 8)}


def read_safetensors(path):
    """{name: float32 torch tensor} from a .safetensors file, every field checked."""
    import numpy as np
    torch = _torch()
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ExportError("%s: too short for a safetensors file" % path)
        (n,) = struct.unpack("<Q", head)
        if n > size - 8 or n > 100 << 20:
            raise ExportError("%s: header length %d does not fit the file (%d bytes)" % (path, n, size))
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            raise ExportError("%s: header is not JSON (%s)" % (path, e))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dt, shape, (a, b) = info["dtype"], [int(s) for s in info["shape"]], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise ExportError("%s: tensor '%s' has a malformed entry" % (path, name))
        if dt not in _ST_DTYPES:
            raise ExportError("%s: tensor '%s' has dtype %s; supported: %s"
                              % (path, name, dt, ", ".join(_ST_DTYPES)))
        npt, isz = _ST_DTYPES[dt]
        count = 1
        for s in shape:
            count *= s
        if not (0 <= a <= b <= len(data)) or b - a != count * isz:
            raise ExportError("%s: tensor '%s' data offsets [%s, %s) do not match its shape %s"
                              % (path, name, a, b, shape))
        arr = np.frombuffer(data, dtype=npt, count=count, offset=a)
        if dt == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = torch.from_numpy(arr.astype(np.float32).reshape(shape))
    return out


_HF_PIECES = [  # Hugging Face -> openai-whisper, applied in order
    (r"^encoder\.embed_positions\.weight$", "encoder.positional_embedding"),
    (r"^decoder\.embed_positions\.weight$", "decoder.positional_embedding"),
    (r"^decoder\.embed_tokens\.", "decoder.token_embedding."),
    (r"\.layers\.", ".blocks."),
    (r"\.encoder_attn_layer_norm\.", ".cross_attn_ln."),
    (r"\.encoder_attn\.", ".cross_attn."),
    (r"\.self_attn_layer_norm\.", ".attn_ln."),
    (r"\.self_attn\.", ".attn."),
    (r"\.final_layer_norm\.", ".mlp_ln."),
    (r"\.fc1\.", ".mlp.0."),
    (r"\.fc2\.", ".mlp.2."),
    (r"\.q_proj\.", ".query."),
    (r"\.k_proj\.", ".key."),
    (r"\.v_proj\.", ".value."),
    (r"\.out_proj\.", ".out."),
    (r"^encoder\.layer_norm\.", "encoder.ln_post."),
    (r"^decoder\.layer_norm\.", "decoder.ln."),
]


def openai_name(hf):
    name = hf[len("model."):] if hf.startswith("model.") else hf
    for pat, rep in _HF_PIECES:
        name = re.sub(pat, rep, name)
    return name


def read_json(path, required=True):
    if not os.path.isfile(path):
        if required:
            raise ExportError("%s: not found" % path)
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise ExportError("%s: not valid JSON (%s)" % (path, e))


def load_hf(d):
    """(dims, weights, config, generation_config) of a Hugging Face Whisper directory."""
    if not os.path.isfile(os.path.join(d, "config.json")):
        raise ExportError("%s: not a Hugging Face model directory (no config.json)" % d)
    cfg = read_json(os.path.join(d, "config.json"))
    if not isinstance(cfg, dict):
        raise ExportError("%s/config.json: not a JSON object" % d)
    if cfg.get("model_type") not in (None, "whisper"):
        raise ExportError("%s/config.json: model_type is '%s', not 'whisper'" % (d, cfg.get("model_type")))
    gen = read_json(os.path.join(d, "generation_config.json"), required=False) or {}
    single = os.path.join(d, "model.safetensors")
    index = os.path.join(d, "model.safetensors.index.json")
    binf = os.path.join(d, "pytorch_model.bin")
    if os.path.isfile(single):
        raw = read_safetensors(single)
    elif os.path.isfile(index):
        files = sorted(set(read_json(index).get("weight_map", {}).values()))
        if not files:
            raise ExportError("%s: no weight_map" % index)
        raw = {}
        for fn in files:
            raw.update(read_safetensors(os.path.join(d, fn)))
    elif os.path.isfile(binf):
        torch = _torch()
        try:
            raw = {k: v.float() for k, v in torch.load(binf, map_location="cpu").items()}
        except Exception as e:
            raise ExportError("%s: cannot be read (%s)" % (binf, e))
    else:
        raise ExportError("%s: no weights (model.safetensors, model.safetensors.index.json "
                          "or pytorch_model.bin)" % d)
    if cfg.get("activation_function", "gelu") != "gelu":
        raise ExportError("%s/config.json: activation_function '%s' is not supported (gelu only)"
                          % (d, cfg["activation_function"]))
    if cfg.get("scale_embedding"):
        raise ExportError("%s/config.json: scale_embedding is not supported" % d)
    try:
        dims = dict(n_mels=cfg["num_mel_bins"], n_audio_ctx=cfg["max_source_positions"],
                    n_audio_state=cfg["d_model"], n_audio_head=cfg["encoder_attention_heads"],
                    n_audio_layer=cfg["encoder_layers"], n_vocab=cfg["vocab_size"],
                    n_text_ctx=cfg["max_target_positions"], n_text_state=cfg["d_model"],
                    n_text_head=cfg["decoder_attention_heads"], n_text_layer=cfg["decoder_layers"])
    except KeyError as e:
        raise ExportError("%s/config.json: missing %s" % (d, e))
    w = {}
    for k, v in raw.items():
        if k == "proj_out.weight":
            w["proj_out.weight"] = v
        else:
            w[openai_name(k)] = v
    return dims, w, cfg, gen


def check_weights(dims, w, source):
    """Every weight the graphs use must be there with the shape the dims imply."""
    d, dt = dims["n_audio_state"], dims["n_text_state"]
    if d != dt:
        raise ExportError("%s: n_audio_state %d != n_text_state %d" % (source, d, dt))
    need = {"encoder.conv1.weight": [d, dims["n_mels"], 3], "encoder.conv1.bias": [d],
            "encoder.conv2.weight": [d, d, 3], "encoder.conv2.bias": [d],
            "encoder.positional_embedding": [dims["n_audio_ctx"], d],
            "encoder.ln_post.weight": [d], "encoder.ln_post.bias": [d],
            "decoder.token_embedding.weight": [dims["n_vocab"], d],
            "decoder.positional_embedding": [dims["n_text_ctx"], d],
            "decoder.ln.weight": [d], "decoder.ln.bias": [d]}
    for side, n, attns in (("encoder", dims["n_audio_layer"], ["attn"]),
                           ("decoder", dims["n_text_layer"], ["attn", "cross_attn"])):
        for i in range(n):
            p = "%s.blocks.%d." % (side, i)
            for a in attns:
                for m in ("query", "value", "out"):
                    need[p + a + "." + m + ".weight"] = [d, d]
                    need[p + a + "." + m + ".bias"] = [d]
                need[p + a + ".key.weight"] = [d, d]
                need[p + a + "_ln.weight"] = [d]
                need[p + a + "_ln.bias"] = [d]
            need[p + "mlp_ln.weight"] = [d]
            need[p + "mlp_ln.bias"] = [d]
            need[p + "mlp.0.bias"] = None
            need[p + "mlp.0.weight"] = None
            need[p + "mlp.2.weight"] = None
            need[p + "mlp.2.bias"] = [d]
    missing = [k for k in need if k not in w]
    if missing:
        raise ExportError("%s: not a Whisper checkpoint of these dimensions: missing %s%s"
                          % (source, ", ".join(missing[:5]), " ..." if len(missing) > 5 else ""))
    for k, shape in need.items():
        if shape is not None and list(w[k].shape) != shape:
            raise ExportError("%s: %s has shape %s, expected %s" % (source, k, list(w[k].shape), shape))
    if d % dims["n_audio_head"] or d % dims["n_text_head"]:
        raise ExportError("%s: width %d is not a multiple of the head count" % (source, d))
    if "proj_out.weight" in w and list(w["proj_out.weight"].shape) != [dims["n_vocab"], d]:
        raise ExportError("%s: proj_out.weight has shape %s" % (source, list(w["proj_out.weight"].shape)))


# ---------------------------------------------------------------- vocabulary and tokens

def read_tiktoken(path):
    """{token bytes: rank} of a .tiktoken file (lines 'base64 rank')."""
    ranks = {}
    try:
        with open(path, "rb") as f:
            for no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                parts = line.split()
                try:
                    if len(parts) != 2:
                        raise ValueError
                    ranks[base64.b64decode(parts[0])] = int(parts[1])
                except ValueError:
                    raise ExportError("%s:%d: not a tiktoken vocabulary (expected lines "
                                      "'base64-token rank')" % (path, no))
    except OSError as e:
        raise ExportError("%s: %s" % (path, e.strerror))
    if sorted(ranks.values()) != list(range(len(ranks))):
        raise ExportError("%s: ranks are not 0..%d, each once" % (path, len(ranks) - 1))
    return ranks


def bpe_encode_piece(ranks, piece):
    """Byte-pair encoding of one pre-tokenized piece (tiktoken's merge rule: merge the
    adjacent pair whose concatenation has the lowest rank until none has one)."""
    parts = [bytes([b]) for b in piece]
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        parts[at:at + 2] = [parts[at] + parts[at + 1]]
    return [ranks[p] for p in parts]


def non_speech_tokens(ranks):
    """openai-whisper's Tokenizer.non_speech_tokens: symbols and speaker-tag punctuation
    to suppress. Every string here is a single pre-tokenizer piece (punctuation with at
    most one leading space), so the BPE of its bytes is its encoding."""
    symbols = list('"#()*+/:;<=>@[\\]^_`{|}~「」『』')
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split()
    misc = "♩♪♫♬♭♮♯"
    enc = lambda s: bpe_encode_piece(ranks, s.encode("utf-8"))
    out = {enc(" -")[0], enc(" '")[0]}
    for s in symbols + list(misc):
        for t in (enc(s), enc(" " + s)):
            if len(t) == 1 or s in misc:
                out.add(t[0])
    return sorted(out)


def special_tokens(n_vocab, n_text):
    """openai-whisper's special token ids: after the n_text text tokens come
    <|endoftext|>, <|startoftranscript|>, the languages, <|translate|>, <|transcribe|>,
    <|startoflm|>, <|startofprev|>, <|nospeech|>, <|notimestamps|>, 1501 timestamps."""
    num_lang = n_vocab - n_text - 2 - 6 - 1501
    if num_lang < 0 or num_lang > len(LANGUAGE_CODES):
        raise ExportError("a vocabulary of %d text tokens does not fit n_vocab %d" % (n_text, n_vocab))
    eot = n_text
    t = dict(eot=eot, sot=eot + 1, translate=eot + 2 + num_lang)
    t.update(transcribe=t["translate"] + 1, sot_lm=t["translate"] + 2, sot_prev=t["translate"] + 3,
             no_speech=t["translate"] + 4, no_timestamps=t["translate"] + 5,
             timestamp_begin=t["translate"] + 6)
    langs = [(c, eot + 2 + i) for i, c in enumerate(LANGUAGE_CODES[:num_lang])]
    return t, langs


def parse_alignment_heads(spec, n_layer, n_head):
    """'L,H,L,H...', 'L:H,L:H...' or openai-whisper's base85 dump of the gzipped bool mask."""
    s = spec.strip()
    if re.fullmatch(r"[0-9]+([,:;\s]+[0-9]+)*", s):
        v = [int(x) for x in re.split(r"[,:;\s]+", s)]
        if len(v) % 2:
            raise ExportError("--alignment-heads: odd number of values in '%s'" % spec)
        pairs = [[v[i], v[i + 1]] for i in range(0, len(v), 2)]
    else:
        try:
            mask = gzip.decompress(base64.b85decode(s.encode()))
        except Exception:
            raise ExportError("--alignment-heads: '%s' is neither a list of layer,head pairs nor "
                              "openai-whisper's base85 mask" % spec)
        if len(mask) != n_layer * n_head:
            raise ExportError("--alignment-heads: the mask has %d entries, the model %d x %d heads"
                              % (len(mask), n_layer, n_head))
        pairs = [[i // n_head, i % n_head] for i, b in enumerate(mask) if b]
    return check_alignment_heads(pairs, n_layer, n_head, "--alignment-heads")


def check_alignment_heads(pairs, n_layer, n_head, where):
    out = []
    for p in pairs:
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise ExportError("%s: %r is not a [layer, head] pair" % (where, p))
        l, h = int(p[0]), int(p[1])
        if not (0 <= l < n_layer and 0 <= h < n_head):
            raise ExportError("%s: head (%d, %d) outside %d layers x %d heads" % (where, l, h, n_layer, n_head))
        if [l, h] not in out:
            out.append([l, h])
    if not out:
        raise ExportError("%s: no alignment heads" % where)
    return sorted(out)


# ---------------------------------------------------------------- the graphs

def build_modules(dims, w, align):
    """The encoder and decoder as torch modules; voce's two operators as
    torch.autograd.Function with an ONNX symbolic each."""
    torch = _torch()
    import torch.nn.functional as F

    class CacheWrite(torch.autograd.Function):
        """out = cache with rows offset .. offset+n-1 of axis 1 replaced by new."""

        @staticmethod
        def forward(ctx, cache, new, offset):
            out = cache.clone()
            o = int(offset)
            out[:, o:o + new.shape[1]] = new
            return out

        @staticmethod
        def symbolic(g, cache, new, offset):
            out = g.op(VOCE_DOMAIN + "::CacheWrite", cache, new, offset)
            out.setType(cache.type())
            return out

    class Attention(torch.autograd.Function):
        """Multi-head attention on [B, N, H*Dh] tensors, heads contiguous slices of the
        last axis; causal: query i sees keys j <= offset + i."""

        @staticmethod
        def forward(ctx, q, k, v, offset, num_heads, scale, causal, with_probs):
            b, nq, hd = q.shape
            bk, nk = k.shape[0], k.shape[1]  # bk 1: keys shared by the whole batch
            dh = hd // num_heads
            qh = q.reshape(b, nq, num_heads, dh).transpose(1, 2)
            kh = k.reshape(bk, nk, num_heads, dh).transpose(1, 2)
            vh = v.reshape(bk, nk, num_heads, dh).transpose(1, 2)
            s = (qh @ kh.transpose(2, 3)) * scale
            if causal:
                keep = torch.arange(nk)[None, :] <= int(offset) + torch.arange(nq)[:, None]
                s = s.masked_fill(~keep, float("-inf"))
            p = torch.softmax(s, dim=-1)
            out = (p @ vh).transpose(1, 2).reshape(b, nq, hd)
            return (out, p) if with_probs else out

        @staticmethod
        def symbolic(g, q, k, v, offset, num_heads, scale, causal, with_probs):
            ins = [q, k, v] + ([offset] if causal else [])
            res = g.op(VOCE_DOMAIN + "::Attention", *ins, num_heads_i=num_heads, scale_f=scale,
                       causal_i=int(causal), outputs=2 if with_probs else 1)
            if with_probs:
                res[0].setType(q.type())
                return res
            res.setType(q.type())
            return res

    class LogitsGemm(torch.autograd.Function):
        """x [n, d] times the embedding [V, d] transposed, as one Gemm (transB = 1) so
        that the file keeps a single copy of the embedding."""

        @staticmethod
        def forward(ctx, x, emb):
            return x @ emb.t()

        @staticmethod
        def symbolic(g, x, emb):
            return g.op("Gemm", x, emb, transB_i=1)

    class Weights(torch.nn.Module):
        """The checkpoint's tensors as buffers, so that they become named initializers
        (a tensor used twice, like the tied embedding, is stored once)."""

        def __init__(self, prefixes, leave_out=()):
            super().__init__()
            for k, v in sorted(w.items()):
                if k.startswith(prefixes) and not any(x in k for x in leave_out):
                    self.register_buffer(k.replace(".", "_"), v.contiguous())

        def __getitem__(self, name):
            return getattr(self, name.replace(".", "_"))

    def lin(P, x, name, bias=True):
        return F.linear(x, P[name + ".weight"], P[name + ".bias"] if bias else None)

    def ln(P, x, name):
        g = P[name + ".weight"]
        return F.layer_norm(x, (g.shape[0],), g, P[name + ".bias"], 1e-5)

    def mlp(P, x, p):
        return lin(P, F.gelu(lin(P, ln(P, x, p + "mlp_ln"), p + "mlp.0")), p + "mlp.2")

    ha, ht = dims["n_audio_head"], dims["n_text_head"]
    sa = 1.0 / math.sqrt(dims["n_audio_state"] // ha)
    st = 1.0 / math.sqrt(dims["n_text_state"] // ht)
    L = dims["n_text_layer"]
    heads_of = {l: [h for (ll, h) in align if ll == l] for l in range(L)}

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.P = Weights(("encoder.",) + tuple("decoder.blocks.%d.cross_attn.%s." % (l, m)
                                                   for l in range(L) for m in ("key", "value")))

        def forward(self, mel):
            P = self.P
            x = F.gelu(F.conv1d(mel, P["encoder.conv1.weight"], P["encoder.conv1.bias"], padding=1))
            x = F.gelu(F.conv1d(x, P["encoder.conv2.weight"], P["encoder.conv2.bias"], stride=2, padding=1))
            x = x.transpose(1, 2) + P["encoder.positional_embedding"]
            for i in range(dims["n_audio_layer"]):
                p = "encoder.blocks.%d." % i
                h = ln(P, x, p + "attn_ln")
                a = Attention.apply(lin(P, h, p + "attn.query"), lin(P, h, p + "attn.key", False),
                                    lin(P, h, p + "attn.value"), None, ha, sa, 0, False)
                x = x + lin(P, a, p + "attn.out")
                x = x + mlp(P, x, p)
            xa = ln(P, x, "encoder.ln_post")
            outs = []
            for l in range(L):
                p = "decoder.blocks.%d.cross_attn." % l
                outs += [lin(P, xa, p + "key", False), lin(P, xa, p + "value")]
            return tuple(outs)

    class Decoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.P = Weights(("decoder.", "proj_out."), (".cross_attn.key.", ".cross_attn.value."))

        def forward(self, tokens, offset, *kv):
            P = self.P
            emb = P["decoder.token_embedding.weight"]
            out_emb = P["proj_out.weight"] if "proj_out.weight" in w else emb
            cross, caches = kv[:2 * L], kv[2 * L:]
            n = tokens.shape[1]
            pos = torch.arange(n) + offset
            x = F.embedding(tokens, emb) + F.embedding(pos, P["decoder.positional_embedding"])[None]
            new_caches, align_parts = [], []
            for l in range(L):
                p = "decoder.blocks.%d." % l
                h = ln(P, x, p + "attn_ln")
                kc = CacheWrite.apply(caches[2 * l], lin(P, h, p + "attn.key", False), offset)
                vc = CacheWrite.apply(caches[2 * l + 1], lin(P, h, p + "attn.value"), offset)
                new_caches += [kc, vc]
                a = Attention.apply(lin(P, h, p + "attn.query"), kc, vc, offset, ht, st, 1, False)
                x = x + lin(P, a, p + "attn.out")
                q = lin(P, ln(P, x, p + "cross_attn_ln"), p + "cross_attn.query")
                if heads_of[l]:
                    a, probs = Attention.apply(q, cross[2 * l], cross[2 * l + 1], None, ht, st, 0, True)
                    align_parts.append(probs[0].index_select(0, torch.tensor(heads_of[l])))
                else:
                    a = Attention.apply(q, cross[2 * l], cross[2 * l + 1], None, ht, st, 0, False)
                x = x + lin(P, a, p + "cross_attn.out")
                x = x + mlp(P, x, p)
            x = ln(P, x, "decoder.ln")
            # one Gemm over every row of the batch: [B * n, d] x [V, d]^T
            logits = LogitsGemm.apply(x.reshape(-1, x.shape[2]), out_emb).reshape(x.shape[0], n, -1)
            alignment = torch.cat(align_parts, dim=0) if len(align_parts) > 1 else align_parts[0]
            return (logits,) + tuple(new_caches) + (alignment,)

    return Encoder().eval(), Decoder().eval()


def export_graphs(dims, w, align, out_dir, opset):
    torch = _torch()
    enc, dec = build_modules(dims, w, align)
    L, d = dims["n_text_layer"], dims["n_text_state"]
    mel = torch.zeros(1, dims["n_mels"], 2 * dims["n_audio_ctx"])
    cross_names = [n for l in range(L) for n in ("cross_k_%d" % l, "cross_v_%d" % l)]
    self_in = [n for l in range(L) for n in ("self_k_%d" % l, "self_v_%d" % l)]
    self_out = [n for l in range(L) for n in ("self_k_out_%d" % l, "self_v_out_%d" % l)]
    with torch.no_grad(), warnings.catch_warnings():
        # torch warns that it cannot infer shapes through the voce operators (the
        # outputs get their shapes afterwards) and that int(offset) is traced as a
        # constant (only inside the operators' reference forward, which is not traced)
        warnings.simplefilter("ignore")
        cross = enc(mel)
        torch.onnx.export(enc, (mel,), os.path.join(out_dir, "encoder.onnx"), opset_version=opset,
                          input_names=["mel"], output_names=cross_names,
                          custom_opsets={VOCE_DOMAIN: 1}, do_constant_folding=True)
        tokens = torch.zeros(1, 3, dtype=torch.int64)
        offset = torch.tensor(2, dtype=torch.int64)
        caches = [torch.zeros(1, dims["n_text_ctx"], d) for _ in self_in]
        # a batch of sequences (beams, best-of candidates) decodes in lockstep; the cross
        # keys and values stay one copy for all of them
        dyn = {"tokens": {0: "batch", 1: "n_tokens"}, "logits": {0: "batch", 1: "n_tokens"},
               "alignment": {1: "n_tokens"}}
        for name in self_in + self_out:
            dyn[name] = {0: "batch"}
        torch.onnx.export(dec, (tokens, offset) + tuple(cross) + tuple(caches),
                          os.path.join(out_dir, "decoder.onnx"), opset_version=opset,
                          input_names=["tokens", "offset"] + cross_names + self_in,
                          output_names=["logits"] + self_out + ["alignment"],
                          dynamic_axes=dyn, custom_opsets={VOCE_DOMAIN: 1},
                          do_constant_folding=True)


def finish_file(path, props, shapes):
    """Metadata, and the output shapes torch cannot infer through the voce operators.
    Past 2 GB (the protobuf limit; Whisper large's encoder) torch writes each tensor to a
    file of its own beside the model: those are gathered into one, NAME.onnx.data."""
    import onnx
    m = onnx.load(path, load_external_data=False)
    for o in m.graph.output:
        dims = o.type.tensor_type.shape.dim
        del dims[:]
        for s in shapes[o.name]:
            if isinstance(s, str):
                dims.add().dim_param = s
            else:
                dims.add().dim_value = s
    del m.metadata_props[:]
    for k in sorted(props):
        e = m.metadata_props.add()
        e.key, e.value = k, str(props[k])
    m.producer_name = "voce scripts/export/whisper.py"
    pieces = {x.value for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
              for x in t.external_data if x.key == "location"}
    if not pieces:
        onnx.checker.check_model(m)
        onnx.save(m, path)
        return
    d = os.path.dirname(os.path.abspath(path))
    onnx.load_external_data_for_model(m, d)
    data = os.path.basename(path) + ".data"
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data, size_threshold=1024)
    for f in pieces - {data}:
        os.remove(os.path.join(d, f))
    onnx.checker.check_model(path)


# ---------------------------------------------------------------- facts and files

def gather_facts(args, dims, gen, hf_dir):
    """Special tokens, languages, alignment heads, suppression lists, vocabulary files."""
    facts = {}
    L, H = dims["n_text_layer"], dims["n_text_head"]
    if args.alignment_heads:
        facts["alignment_heads"] = parse_alignment_heads(args.alignment_heads, L, H)
        facts["alignment_heads_source"] = "option"
    elif gen.get("alignment_heads"):
        facts["alignment_heads"] = check_alignment_heads(gen["alignment_heads"], L, H,
                                                         "generation_config.json alignment_heads")
        facts["alignment_heads_source"] = "generation_config"
    else:
        facts["alignment_heads"] = [[l, h] for l in range(L // 2, L) for h in range(H)]
        facts["alignment_heads_source"] = "default"

    vocab_files, ranks = [], None
    if args.vocab:
        ranks = read_tiktoken(args.vocab)
        vocab_files.append(args.vocab)
    elif hf_dir is None:
        raise ExportError("an OpenAI checkpoint needs --vocab FILE.tiktoken (gpt2.tiktoken for "
                          "English-only models, multilingual.tiktoken for the others)")
    n_text = None
    if ranks is not None:
        n_text = len(ranks)
    if hf_dir is not None:
        present = [f for f in ("tokenizer.json", "vocab.json", "merges.txt", "added_tokens.json",
                               "special_tokens_map.json", "tokenizer_config.json")
                   if os.path.isfile(os.path.join(hf_dir, f))]
        usable = "tokenizer.json" in present or {"vocab.json", "merges.txt"} <= set(present)
        if not usable and ranks is None:
            raise ExportError("%s: no vocabulary (tokenizer.json, or vocab.json + merges.txt); "
                              "pass --vocab FILE.tiktoken" % hf_dir)
        if usable:
            vocab_files += [os.path.join(hf_dir, f) for f in present]
            if n_text is None:
                n_text = hf_text_token_count(hf_dir)
    multilingual = dims["n_vocab"] >= 51865
    if n_text is None:
        n_text = 50257 if multilingual else 50256
    if ranks is not None and n_text != (50257 if multilingual else 50256):
        want = "multilingual.tiktoken (50257 tokens)" if multilingual else "gpt2.tiktoken (50256 tokens)"
        raise ExportError("%s has %d tokens, but this %s checkpoint (n_vocab %d) needs %s"
                          % (args.vocab, n_text, "multilingual" if multilingual else "English-only",
                             dims["n_vocab"], want))
    tok, langs = special_tokens(dims["n_vocab"], n_text)
    # a Hugging Face generation config names the ids itself; they win where given
    for key, gkey in (("sot", "decoder_start_token_id"), ("eot", "eos_token_id"),
                      ("no_timestamps", "no_timestamps_token_id"), ("sot_prev", "prev_sot_token_id")):
        if isinstance(gen.get(gkey), int):
            tok[key] = gen[gkey]
    if isinstance(gen.get("task_to_id"), dict):
        tok.update({k: v for k, v in gen["task_to_id"].items() if k in ("transcribe", "translate")})
    if isinstance(gen.get("lang_to_id"), dict) and gen["lang_to_id"]:
        langs = sorted(((k.strip("<|>"), v) for k, v in gen["lang_to_id"].items()), key=lambda p: p[1])
    # English-only models carry the language tokens too (openai-whisper's tokenizer does)
    facts.update(tokens=tok, languages=langs, multilingual=multilingual,
                 num_languages=len(langs), vocab_files=vocab_files)
    if isinstance(gen.get("suppress_tokens"), list):
        facts["suppress_tokens"] = [int(t) for t in gen["suppress_tokens"]]
    elif ranks is not None:
        facts["suppress_tokens"] = sorted(set(non_speech_tokens(ranks)) | {
            tok["translate"], tok["transcribe"], tok["sot"], tok["sot_prev"], tok["sot_lm"], tok["no_speech"]})
    if isinstance(gen.get("begin_suppress_tokens"), list):
        facts["begin_suppress_tokens"] = [int(t) for t in gen["begin_suppress_tokens"]]
    elif ranks is not None:
        facts["begin_suppress_tokens"] = bpe_encode_piece(ranks, b" ")[:1] + [tok["eot"]]
    return facts


def hf_text_token_count(d):
    """Text tokens (ids below <|endoftext|>) of a Hugging Face Whisper vocabulary."""
    vocab = None
    tj = read_json(os.path.join(d, "tokenizer.json"), required=False)
    if tj is not None:
        vocab = (tj.get("model") or {}).get("vocab")
    if vocab is None:
        vocab = read_json(os.path.join(d, "vocab.json"), required=False)
    if not isinstance(vocab, dict):
        return None
    eot = vocab.get("<|endoftext|>")
    return eot if isinstance(eot, int) else len(vocab)


def metadata(dims, facts, name):
    tok = facts["tokens"]
    m = {"model_type": "whisper-" + name, "voce.layout": LAYOUT,
         "voce.layout_version": LAYOUT_VERSION,
         "is_multilingual": int(facts["multilingual"]), "num_languages": facts["num_languages"],
         "alignment_heads": ",".join("%d,%d" % tuple(p) for p in facts["alignment_heads"]),
         "n_alignment_heads": len(facts["alignment_heads"]),
         "all_language_codes": ",".join(c for c, _ in facts["languages"]),
         "all_language_tokens": ",".join(str(t) for _, t in facts["languages"]),
         "vocab": ",".join(os.path.basename(f) for f in facts["vocab_files"])}
    m.update(dims)
    m.update(tok)
    sot_seq = [tok["sot"]]
    if facts["multilingual"]:
        sot_seq += [facts["languages"][0][1], tok["transcribe"]]
    m["sot_sequence"] = ",".join(map(str, sot_seq))
    for k in ("suppress_tokens", "begin_suppress_tokens"):
        if k in facts:
            m[k] = ",".join(map(str, facts[k]))
    return m


def write_config(path, name, source, dims, facts):
    L = dims["n_text_layer"]
    cfg = {
        "layout": LAYOUT, "layout_version": LAYOUT_VERSION, "name": name, "source": source,
        "dims": dims, "multilingual": facts["multilingual"],
        "num_languages": facts["num_languages"], "tokens": facts["tokens"],
        "language_codes": [c for c, _ in facts["languages"]],
        "language_tokens": [t for _, t in facts["languages"]],
        "alignment_heads": facts["alignment_heads"],
        "alignment_heads_source": facts["alignment_heads_source"],
        "vocab": [os.path.basename(f) for f in facts["vocab_files"]],
        "features": {"kind": "whisper", "n_mels": dims["n_mels"], "sample_rate": 16000,
                     "n_fft": 400, "hop_length": 160, "frames": 2 * dims["n_audio_ctx"]},
        "encoder": {"file": "encoder.onnx", "input": "mel",
                    "outputs": [n for l in range(L) for n in ("cross_k_%d" % l, "cross_v_%d" % l)]},
        "decoder": {"file": "decoder.onnx",
                    "state": [[i % l, o % l] for l in range(L)
                              for i, o in (("self_k_%d", "self_k_out_%d"), ("self_v_%d", "self_v_out_%d"))]},
    }
    for k in ("suppress_tokens", "begin_suppress_tokens"):
        if k in facts:
            cfg[k] = facts[k]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")


def run(args):
    src = args.checkpoint
    if os.path.isdir(src):
        dims, w, _, gen = load_hf(src)
        hf_dir, source = src, {"kind": "huggingface", "path": os.path.basename(os.path.abspath(src))}
        name = args.name or os.path.basename(os.path.normpath(src))
    elif os.path.isfile(src):
        if os.path.basename(src) == "config.json":
            return run(argparse.Namespace(**dict(vars(args), checkpoint=os.path.dirname(src) or ".")))
        dims, w = load_openai(src)
        gen, hf_dir, source = {}, None, {"kind": "openai", "path": os.path.basename(src)}
        name = args.name or os.path.splitext(os.path.basename(src))[0]
    else:
        raise ExportError("%s: no such file or directory" % src)
    keys = ("n_mels", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer", "n_vocab",
            "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer")
    try:
        dims = {k: int(dims[k]) for k in keys}
    except (KeyError, TypeError, ValueError) as e:
        raise ExportError("%s: dims lack or mistype %s" % (src, e))
    check_weights(dims, w, src)
    facts = gather_facts(args, dims, gen, hf_dir)
    os.makedirs(args.output, exist_ok=True)
    export_graphs(dims, w, facts["alignment_heads"], args.output, args.opset)
    meta = metadata(dims, facts, name)
    L, d = dims["n_text_layer"], dims["n_text_state"]
    shapes = {"logits": ["batch", "n_tokens", dims["n_vocab"]],
              "alignment": [len(facts["alignment_heads"]), "n_tokens", dims["n_audio_ctx"]]}
    for l in range(L):
        for kv in "kv":
            shapes["cross_%s_%d" % (kv, l)] = [1, dims["n_audio_ctx"], d]
            shapes["self_%s_out_%d" % (kv, l)] = ["batch", dims["n_text_ctx"], d]
    finish_file(os.path.join(args.output, "encoder.onnx"), meta, shapes)
    state = ",".join("self_%s_%d:self_%s_out_%d" % (kv, l, kv, l) for l in range(L) for kv in "kv")
    finish_file(os.path.join(args.output, "decoder.onnx"), dict(meta, **{"voce.state": state}), shapes)
    for f in facts["vocab_files"]:
        dst = os.path.join(args.output, os.path.basename(f))
        if os.path.abspath(f) != os.path.abspath(dst):
            shutil.copyfile(f, dst)
    write_config(os.path.join(args.output, "config.json"), name, source, dims, facts)
    if not args.quiet:
        print("wrote %s: encoder.onnx, decoder.onnx, config.json, %s (%d decoder layers, %d alignment "
              "heads from %s)" % (args.output, ", ".join(os.path.basename(f) for f in facts["vocab_files"]),
                                 L, len(facts["alignment_heads"]), facts["alignment_heads_source"]))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="whisper.py",
        description="Export a Whisper checkpoint (OpenAI .pt, or a Hugging Face directory) to "
                    "voce's ONNX layout: encoder.onnx (mel -> cross-attention K/V per layer) and "
                    "decoder.onnx (tokens + offset + in-place self-attention caches -> logits, "
                    "caches, alignment-head attention), with config.json and the vocabulary.",
        epilog="See docs/whisper-export.md for the files, names, shapes and the voce operators.")
    ap.add_argument("checkpoint", help="OpenAI .pt checkpoint, or a Hugging Face model directory")
    ap.add_argument("-o", "--output", required=True, metavar="DIR", help="directory to write")
    ap.add_argument("--vocab", metavar="FILE.tiktoken",
                    help="tiktoken vocabulary (required for .pt: gpt2.tiktoken for English-only "
                         "models, multilingual.tiktoken otherwise); copied into DIR")
    ap.add_argument("--alignment-heads", metavar="SPEC",
                    help="cross-attention heads for word timing: 'L,H,L,H...' or openai-whisper's "
                         "base85 mask; default: generation_config.json's, else every head of the "
                         "second half of the decoder layers")
    ap.add_argument("--name", help="model name for the metadata (default: the file or directory name)")
    ap.add_argument("--opset", type=int, default=17, help="ONNX opset of the standard operators (default 17)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    try:
        run(args)
    except ExportError as e:
        print("whisper.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
