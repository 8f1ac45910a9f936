#!/usr/bin/env python3
"""Whisper test models in the three layouts users download, with PyTorch references.

usage: gen_whisper_layouts.py OUTDIR [DATA_DIR]

Two random-weight Whisper models (tests/ref/whisper_torch.py, fixed seeds): "en", English
only (n_vocab 51864, width 64, 2 heads, 2 + 2 layers, alignment heads unknown), and
"multi", multilingual (n_vocab 51865, width 48, 3 heads, 2 + 3 layers, fp16 weights,
alignment heads (1,0) (2,1) (2,2)); both with 80 mels, n_audio_ctx 1500, n_text_ctx 448.
DATA_DIR (default $VOCE_TEST_DATA, else ../shared beside the repository) must hold
models/whisper-assets/{gpt2,multilingual}.tiktoken, mel_filters.npz and audio/jfk.wav.

For each model M in (en, multi), OUTDIR/M/ receives

  model.pt                     OpenAI checkpoint {"dims", "model_state_dict"} (multi: fp16)
  hf/                          Hugging Face / optimum export
    config.json generation_config.json preprocessor_config.json
    model.safetensors          HF names, F32 (multi: F16), proj_out tied (not stored)
    tokenizer.json vocab.json merges.txt added_tokens.json special_tokens_map.json
    tokenizer_config.json      from the real tiktoken vocabularies (GPT-2 byte-to-unicode)
    encoder_model.onnx         input_features [batch_size, 80, 3000]
                               -> last_hidden_state [batch_size, 1500, d]           opset 14
    decoder_model.onnx         input_ids [batch_size, n] i64, encoder_hidden_states
                               -> logits [batch_size, n, V], present.<l>.decoder.key/value
                                  [batch_size, H, n, Dh], present.<l>.encoder.key/value
                                  [batch_size, H, 1500, Dh]
    decoder_with_past_model.onnx  input_ids [batch_size, 1], past_key_values.<l>.decoder.key/
                               value [batch_size, H, past, Dh], past_key_values.<l>.encoder.
                               key/value -> logits [batch_size, 1, V],
                                  present.<l>.decoder.key/value [batch_size, H, past + 1, Dh]
    decoder_model_merged.onnx  the two above under one If on use_cache_branch (bool [1]);
                               inputs input_ids, encoder_hidden_states, past_key_values.*,
                               use_cache_branch; the with-past branch returns empty
                               present.<l>.encoder.* [0, H, 1, Dh]
  sherpa/                      sherpa-onnx export-onnx.py layout (opset 17)
    <name>-encoder.onnx        mel [n_audio, 80, T] -> n_layer_cross_k, n_layer_cross_v
                               [n_text_layer, n_audio, T/2, d]; metadata_props as sherpa's
    <name>-decoder.onnx        tokens [n_audio, n_tokens] i64, in_n_layer_self_k_cache,
                               in_n_layer_self_v_cache [n_text_layer, n_audio, 448, d],
                               n_layer_cross_k, n_layer_cross_v, offset [1] i64
                               -> logits [n_audio, n_tokens, V], out_n_layer_self_k_cache,
                                  out_n_layer_self_v_cache
    <name>-tokens.txt          "base64-token id" per text token (the tiktoken lines)
  voce/                        scripts/export/whisper.py on model.pt (docs/whisper-export.md)
    encoder.onnx decoder.onnx config.json <vocab>.tiktoken
  voce-hf/                     scripts/export/whisper.py on hf/: its encoder.onnx and
                               decoder.onnx are checked here to hold the same nodes,
                               initializers and outputs as voce/'s, and config.json the same
                               facts, then the two .onnx are deleted (not kept twice);
    config.json tokenizer.json vocab.json merges.txt added_tokens.json ...  remain
  ref/                         PyTorch references (float64 model, written as float32)
    mel.npy                    f32 [1, 80, 3000]: jfk.wav, 30 s of zeros appended, log-mel
                               (openai-whisper's, in float64), first 3000 frames
    audio_features.npy         f32 [1, 1500, d]: encoder output (HF last_hidden_state)
    cross_k_<l>.npy cross_v_<l>.npy  f32 [1, 1500, d]: cross-attention K/V of layer l
    tf_tokens.npy              i64 [1, 20]: SOT sequence (+ <|notimestamps|>) and the
                               tokens of jfk.txt
    tf_logits.npy              f32 [1, 20, V]: logits of tf_tokens in one call
    tf_alignment.npy           f32 [A, 20, 1500]: cross-attention probabilities of the
                               alignment heads (in config order) for tf_tokens
    greedy_prompt.npy          i64 [P]: the SOT sequence with <|notimestamps|>
    greedy_tokens.npy          i64 [128]: argmax decoding, prompt in one call then one
                               token per call, 128 steps (EOT does not stop it)
    greedy_max.npy greedy_lse.npy greedy_margin.npy  f32 [128]: per step the largest
                               logit, log-sum-exp of the logits, and top-1 minus top-2
    facts.json                 dims, special tokens, alignment heads, file names
    facts.txt                  the same as "key value" lines

Exits 77 when torch, numpy or onnx is missing or a data file is absent.
"""
import base64
import contextlib
import hashlib
import importlib.util
import io
import json
import math
import os
import re
import shutil
import sys
import time
import warnings

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    from onnx import TensorProto, helper
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print("skip: numpy/onnx/torch not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import whisper_torch as wt  # noqa: E402

N_TF = 20
N_GREEDY = 128
JFK_TEXT = " And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
SHERPA_NAME = {"en": "tiny-rand.en", "multi": "tiny-rand"}

# openai-whisper's language order (tokenizer.LANGUAGES)
LANGS = ("en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu "
         "ta no th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn "
         "bs kk sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn "
         "mt sa lb my bo tl mg as tt haw ln ha ba jw su yue").split()


# ------------------------------------------------------------------ vocabulary facts

def read_tiktoken(path):
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                tok, rank = line.split()
                ranks[base64.b64decode(tok)] = int(rank)
    return ranks


def bpe(ranks, piece, max_rank=None):
    """tiktoken's byte-pair merge of one piece: repeatedly join the adjacent pair with the
    lowest rank (below max_rank when given)."""
    parts = [bytes([b]) for b in piece]
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (max_rank is None or r < max_rank) and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        parts[at:at + 2] = [parts[at] + parts[at + 1]]
    return parts


def encode_ascii(ranks, text):
    """Token ids of ASCII text: tiktoken's Whisper/GPT-2 split pattern restricted to ASCII
    letters and digits, then BPE per piece. Enough for the fixed test sentence."""
    pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
    out = []
    for m in pat.finditer(text):
        out += [ranks[p] for p in bpe(ranks, m.group(0).encode())]
    return out


def non_speech_tokens(ranks):
    """openai-whisper's Tokenizer.non_speech_tokens (each symbol is one split piece)."""
    symbols = list('"#()*+/:;<=>@[\\]^_`{|}~「」『』')
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split()
    misc = set("♩♪♫♬♭♮♯")
    enc = lambda s: [ranks[p] for p in bpe(ranks, s.encode())]
    result = {enc(" -")[0], enc(" '")[0]}
    for s in symbols + sorted(misc):
        for t in (enc(s), enc(" " + s)):
            if len(t) == 1 or s in misc:
                result.add(t[0])
    return sorted(result)


def specials(n_text, n_vocab):
    """openai-whisper's special tokens after the text tokens, as (string, id)."""
    num_lang = n_vocab - n_text - 1509
    names = ["<|endoftext|>", "<|startoftranscript|>"] + ["<|%s|>" % c for c in LANGS[:num_lang]]
    names += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
              "<|nospeech|>", "<|notimestamps|>"]
    names += ["<|%.2f|>" % (i * 0.02) for i in range(1501)]
    assert n_text + len(names) == n_vocab
    return [(s, n_text + i) for i, s in enumerate(names)]


def token_facts(ranks, n_vocab):
    sp = dict(specials(len(ranks), n_vocab))
    t = {"eot": sp["<|endoftext|>"], "sot": sp["<|startoftranscript|>"],
         "translate": sp["<|translate|>"], "transcribe": sp["<|transcribe|>"],
         "sot_lm": sp["<|startoflm|>"], "sot_prev": sp["<|startofprev|>"],
         "no_speech": sp["<|nospeech|>"], "no_timestamps": sp["<|notimestamps|>"],
         "timestamp_begin": sp["<|0.00|>"], "blank": ranks[b" "]}
    num_lang = n_vocab - len(ranks) - 1509
    t["languages"] = [(c, sp["<|%s|>" % c]) for c in LANGS[:num_lang]]
    return t


def byte_to_unicode():
    """GPT-2's reversible map of the 256 bytes to printable unicode characters."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


# ------------------------------------------------------------------ Hugging Face files

def write_hf_tokenizer(d, ranks, n_vocab):
    b2u = byte_to_unicode()
    s = lambda b: "".join(b2u[x] for x in b)
    vocab, merges = {}, []
    for tok, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        vocab[s(tok)] = rank
        if len(tok) > 1:
            parts = bpe(ranks, tok, max_rank=rank)
            if len(parts) == 2:
                merges.append(s(parts[0]) + " " + s(parts[1]))
    sp = specials(len(ranks), n_vocab)
    vocab["<|endoftext|>"] = sp[0][1]
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for m in merges:
            f.write(m + "\n")
    added = {name: i for name, i in sp}
    with open(os.path.join(d, "added_tokens.json"), "w", encoding="utf-8") as f:
        json.dump(added, f, indent=2, ensure_ascii=False)
    non_ts = [name for name, _ in sp if not re.fullmatch(r"<\|\d+\.\d\d\|>", name)]
    with open(os.path.join(d, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"additional_special_tokens": non_ts[1:], "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                   "unk_token": "<|endoftext|>"}, f, indent=2)
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer_class": "WhisperTokenizer", "model_max_length": 1024,
                   "add_prefix_space": False, "errors": "replace", "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                   "unk_token": "<|endoftext|>"}, f, indent=2)
    added_list = []
    for name, i in sp:
        ts = bool(re.fullmatch(r"<\|\d+\.\d\d\|>", name))
        added_list.append({"id": i, "content": name, "single_word": False, "lstrip": False,
                           "rstrip": False, "normalized": ts, "special": not ts})
    sot = dict(sp)["<|startoftranscript|>"]
    nots = dict(sp)["<|notimestamps|>"]
    eot = sp[0][1]
    st = lambda name: {"SpecialToken": {"id": name, "type_id": 0}}
    tj = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added_list,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [st("<|startoftranscript|>"), st("<|notimestamps|>"),
                       {"Sequence": {"id": "A", "type_id": 0}}, st("<|endoftext|>")],
            "pair": [st("<|startoftranscript|>"), st("<|notimestamps|>"),
                     {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     st("<|endoftext|>")],
            "special_tokens": {n: {"id": n, "ids": [i], "tokens": [n]} for n, i in
                               (("<|startoftranscript|>", sot), ("<|notimestamps|>", nots),
                                ("<|endoftext|>", eot))}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": merges},
    }
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)


def write_hf_configs(d, dims, tf, ranks, align, fp16):
    multilingual = dims["n_vocab"] >= 51865
    supp = sorted(set(non_speech_tokens(ranks)) | {tf["translate"], tf["transcribe"], tf["sot"],
                                                    tf["sot_prev"], tf["sot_lm"], tf["no_speech"]})
    begin = [tf["blank"], tf["eot"]]
    cfg = {
        "_name_or_path": "voce/whisper-" + ("tiny-rand" if multilingual else "tiny-rand.en"),
        "activation_dropout": 0.0, "activation_function": "gelu",
        "architectures": ["WhisperForConditionalGeneration"], "attention_dropout": 0.0,
        "begin_suppress_tokens": begin, "bos_token_id": tf["eot"], "d_model": dims["n_text_state"],
        "decoder_attention_heads": dims["n_text_head"], "decoder_ffn_dim": 4 * dims["n_text_state"],
        "decoder_layerdrop": 0.0, "decoder_layers": dims["n_text_layer"],
        "decoder_start_token_id": tf["sot"], "dropout": 0.0,
        "encoder_attention_heads": dims["n_audio_head"], "encoder_ffn_dim": 4 * dims["n_audio_state"],
        "encoder_layerdrop": 0.0, "encoder_layers": dims["n_audio_layer"], "eos_token_id": tf["eot"],
        "init_std": 0.02, "is_encoder_decoder": True, "max_length": dims["n_text_ctx"],
        "max_source_positions": dims["n_audio_ctx"], "max_target_positions": dims["n_text_ctx"],
        "model_type": "whisper", "num_hidden_layers": dims["n_audio_layer"],
        "num_mel_bins": dims["n_mels"], "pad_token_id": tf["eot"], "scale_embedding": False,
        "suppress_tokens": supp, "torch_dtype": "float16" if fp16 else "float32",
        "transformers_version": "4.36.0", "use_cache": True, "vocab_size": dims["n_vocab"],
    }
    gen = {
        "begin_suppress_tokens": begin, "bos_token_id": tf["eot"],
        "decoder_start_token_id": tf["sot"], "eos_token_id": tf["eot"],
        "is_multilingual": multilingual, "max_initial_timestamp_index": 50,
        "max_length": dims["n_text_ctx"], "no_timestamps_token_id": tf["no_timestamps"],
        "pad_token_id": tf["eot"], "prev_sot_token_id": tf["sot_prev"], "return_timestamps": False,
        "suppress_tokens": supp, "transformers_version": "4.36.0",
    }
    if align is not None:
        gen["alignment_heads"] = align
    if multilingual:
        gen["lang_to_id"] = {"<|%s|>" % c: i for c, i in tf["languages"]}
        gen["task_to_id"] = {"transcribe": tf["transcribe"], "translate": tf["translate"]}
        gen["forced_decoder_ids"] = [[1, None], [2, tf["transcribe"]]]
    else:
        gen["forced_decoder_ids"] = [[1, tf["no_timestamps"]]]
    pre = {"chunk_length": 30, "feature_extractor_type": "WhisperFeatureExtractor",
           "feature_size": dims["n_mels"], "hop_length": 160, "n_fft": 400, "n_samples": 480000,
           "nb_max_frames": 3000, "padding_side": "right", "padding_value": 0.0,
           "processor_class": "WhisperProcessor", "return_attention_mask": False,
           "sampling_rate": 16000}
    for name, obj in (("config.json", cfg), ("generation_config.json", gen),
                      ("preprocessor_config.json", pre)):
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    return supp


# ------------------------------------------------------------------ graph building blocks
# The exported graphs use the reference model's weights; the attention is written here
# with masks computed from tensors so that the traced graph stays general.

def split_heads(x, h):
    b, n, d = x.shape
    return x.reshape(b, n, h, d // h).transpose(1, 2)


def merge_heads(x):
    b, h, n, dh = x.shape
    return x.transpose(1, 2).reshape(b, n, h * dh)


def mha(q, k, v, causal_offset=None):
    """q [B, H, n, Dh], k/v [B, H, T, Dh]; causal_offset (tensor): query i sees j <= off + i."""
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if causal_offset is not None:
        i = torch.arange(q.shape[2])[:, None]
        j = torch.arange(k.shape[2])[None, :]
        s = s.masked_fill(j > i + causal_offset, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


class HFEncoder(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_features):
        return self.m.encode(input_features)


class HFDecoder(torch.nn.Module):
    """decoder_model (with_past False) and decoder_with_past_model (True)."""

    def __init__(self, m, with_past):
        super().__init__()
        self.m, self.with_past = m, with_past

    def forward(self, input_ids, *rest):
        dec = self.m.decoder
        H = self.m.dims["n_text_head"]
        n = input_ids.shape[1]
        if self.with_past:
            past = rest
            off = past[0].shape[2]
        else:
            xa = rest[0]
            off = 0
        pos = dec.positional_embedding.index_select(0, torch.arange(n) + off)
        x = dec.token_embedding(input_ids) + pos
        presents = []
        for l, blk in enumerate(dec.blocks):
            a = blk.attn
            h = blk.attn_ln(x)
            q, k, v = split_heads(a.query(h), H), split_heads(a.key(h), H), split_heads(a.value(h), H)
            if self.with_past:
                k = torch.cat([past[4 * l], k], dim=2)
                v = torch.cat([past[4 * l + 1], v], dim=2)
                o = mha(q, k, v, causal_offset=past[0].shape[2])
            else:
                o = mha(q, k, v, causal_offset=0)
            x = x + a.out(merge_heads(o))
            c = blk.cross_attn
            if self.with_past:
                ck, cv = past[4 * l + 2], past[4 * l + 3]
            else:
                ck, cv = split_heads(c.key(xa), H), split_heads(c.value(xa), H)
            o = mha(split_heads(c.query(blk.cross_attn_ln(x)), H), ck, cv)
            x = x + c.out(merge_heads(o))
            x = x + blk.feed_forward(x)
            presents += [k, v] if self.with_past else [k, v, ck, cv]
        # E @ x^T rather than x @ E^T: the traced graph then keeps one copy of the
        # embedding instead of adding its transpose (the files are half the size)
        logits = torch.matmul(dec.token_embedding.weight, dec.ln(x).transpose(1, 2)).transpose(1, 2)
        return (logits,) + tuple(presents)


class SherpaEncoder(torch.nn.Module):
    """sherpa-onnx's AudioEncoderTensorCache: T frames (T <= 3000), positions [:T/2]."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, mel):
        enc = self.m.encoder
        x = F.gelu(enc.conv1(mel))
        x = F.gelu(enc.conv2(x)).transpose(1, 2)
        x = x + enc.positional_embedding[:x.shape[1]]
        for blk in enc.blocks:
            x = x + blk.self_attention(x)[0]
            x = x + blk.feed_forward(x)
        xa = enc.ln_post(x)
        ks = [b.cross_attn.key(xa) for b in self.m.decoder.blocks]
        vs = [b.cross_attn.value(xa) for b in self.m.decoder.blocks]
        return torch.stack(ks), torch.stack(vs)


class SherpaDecoder(torch.nn.Module):
    """sherpa-onnx's TextDecoderTensorCache interface; the cache write and the causal
    mask are general (any offset and token count)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, tokens, self_k, self_v, cross_k, cross_v, offset):
        dec = self.m.decoder
        H = self.m.dims["n_text_head"]
        off = offset[0]
        n = tokens.shape[1]
        T = self_k.shape[2]
        x = dec.token_embedding(tokens) + dec.positional_embedding.index_select(0, torch.arange(n) + off)
        rows = torch.arange(T)
        inside = ((rows >= off) & (rows < off + n))[None, :, None]
        src = torch.clamp(rows - off, min=0)
        src = torch.minimum(src, torch.zeros_like(src) + (n - 1))
        out_k, out_v = [], []
        for l, blk in enumerate(dec.blocks):
            a = blk.attn
            h = blk.attn_ln(x)
            k = torch.where(inside, a.key(h).index_select(1, src), self_k[l])
            v = torch.where(inside, a.value(h).index_select(1, src), self_v[l])
            out_k.append(k)
            out_v.append(v)
            o = mha(split_heads(a.query(h), H), split_heads(k, H), split_heads(v, H), causal_offset=off)
            x = x + a.out(merge_heads(o))
            c = blk.cross_attn
            o = mha(split_heads(c.query(blk.cross_attn_ln(x)), H), split_heads(cross_k[l], H),
                    split_heads(cross_v[l], H))
            x = x + c.out(merge_heads(o))
            x = x + blk.feed_forward(x)
        x = dec.ln(x)
        logits = torch.matmul(dec.token_embedding.weight, x.permute(0, 2, 1)).permute(0, 2, 1)
        return logits, torch.stack(out_k), torch.stack(out_v)


def export(module, args, path, opset, inputs, outputs, dynamic):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, opset_version=opset, input_names=inputs,
                          output_names=outputs, dynamic_axes=dynamic, do_constant_folding=True)


def set_output_dims(path, dims):
    """Output shapes where torch could not infer them (it names such dims after the
    producing node): what the published exports declare."""
    m = onnx.load(path)
    for o in m.graph.output:
        if o.name not in dims:
            continue
        d = o.type.tensor_type.shape.dim
        del d[:]
        for x in dims[o.name]:
            if isinstance(x, str):
                d.add().dim_param = x
            else:
                d.add().dim_value = x
    onnx.save(m, path)


def set_props(path, props):
    m = onnx.load(path)
    del m.metadata_props[:]
    for k, v in props.items():
        e = m.metadata_props.add()
        e.key, e.value = k, str(v)
    onnx.save(m, path)


# ------------------------------------------------------------------ optimum's merged decoder

def merge_decoders(dec_path, past_path, out_path):
    """One model holding decoder_model and decoder_with_past_model as the two branches of
    an If on use_cache_branch, as optimum's merge_decoders lays it out: inputs of the
    first, then the new inputs of the second, then use_cache_branch (bool [1]); the
    outputs of the first; initializers shared (deduplicated by content) in the outer
    graph; outputs missing from the with-past branch (present.<l>.encoder.*) given as
    empty constants, the first dynamic axis 0 and the others 1."""
    a, b = onnx.load(dec_path), onnx.load(past_path)
    shared, by_digest = [], {}

    def hoist(model):
        ren = {}
        for t in model.graph.initializer:
            key = hashlib.sha256(t.data_type.to_bytes(1, "little") + repr(list(t.dims)).encode()
                                 + onnx.numpy_helper.to_array(t).tobytes()).hexdigest()
            if key not in by_digest:
                by_digest[key] = "shared_%d" % len(by_digest)
                c = onnx.TensorProto()
                c.CopyFrom(t)
                c.name = by_digest[key]
                shared.append(c)
            ren[t.name] = by_digest[key]
        return ren

    def branch(model, prefix, outer_inputs):
        ren = hoist(model)
        keep = set(outer_inputs)
        nodes = []
        for n in model.graph.node:
            c = onnx.NodeProto()
            c.CopyFrom(n)
            c.name = prefix + n.name
            for i, x in enumerate(c.input):
                if x and x not in keep:
                    c.input[i] = ren.get(x, prefix + x)
            for i, x in enumerate(c.output):
                c.output[i] = prefix + x
            nodes.append(c)
        outs = []
        for o in model.graph.output:
            v = onnx.ValueInfoProto()
            v.CopyFrom(o)
            v.name = prefix + o.name
            outs.append(v)
        return nodes, outs

    a_inputs = [i.name for i in a.graph.input]
    b_inputs = [i.name for i in b.graph.input]
    all_inputs = list(a.graph.input) + [i for i in b.graph.input if i.name not in a_inputs]
    na, oa = branch(a, "no_past/", a_inputs)
    nb, ob = branch(b, "with_past/", b_inputs)
    have = {o.name[len("with_past/"):] for o in ob}
    ob_full = []
    for o in a.graph.output:
        if o.name in have:
            ob_full.append(next(x for x in ob if x.name == "with_past/" + o.name))
            continue
        dims, first = [], True
        for d in o.type.tensor_type.shape.dim:
            if d.dim_param:
                dims.append(0 if first else 1)
                first = False
            else:
                dims.append(d.dim_value)
        name = "with_past/" + o.name
        nb.append(helper.make_node("Constant", [], [name], name="with_past/empty_" + o.name,
                                   value=helper.make_tensor("empty", o.type.tensor_type.elem_type, dims, [])))
        ob_full.append(helper.make_tensor_value_info(name, o.type.tensor_type.elem_type, dims))
    no_past = helper.make_graph(na, "no_past", [], oa)
    with_past = helper.make_graph(nb, "with_past", [], ob_full)
    use = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    if_node = helper.make_node("If", ["use_cache_branch"], [o.name for o in a.graph.output],
                               name="optimum::if", then_branch=with_past, else_branch=no_past)
    g = helper.make_graph([if_node], "merged", list(all_inputs) + [use], list(a.graph.output),
                          initializer=shared)
    m = helper.make_model(g, opset_imports=list(a.opset_import), producer_name="optimum-onnx")
    m.ir_version = a.ir_version
    onnx.checker.check_model(m)
    onnx.save(m, out_path)


# ------------------------------------------------------------------ references

def reference(model, mel, tf_tokens, prompt, align):
    """float64 references: encoder, cross K/V, teacher-forced logits and alignment
    probabilities, greedy decoding with the KV cache."""
    m = model.double()
    out = {}
    with torch.no_grad():
        xa = m.encode(torch.from_numpy(mel).double())
        out["audio_features"] = xa
        cross = m.cross_kv(xa)
        for l, (k, v) in enumerate(cross):
            out["cross_k_%d" % l], out["cross_v_%d" % l] = k, v
        tt = torch.tensor([tf_tokens])
        logits, _, probs = m.decode(tt, cross)
        out["tf_tokens"] = tt
        out["tf_logits"] = logits
        out["tf_alignment"] = torch.stack([probs[l][0, h] for l, h in align])
        # the same tokens one call at a time must give the same logits (cache check)
        cache, rows = None, []
        for i in range(len(tf_tokens)):
            lg, cache, _ = m.decode(tt[:, i:i + 1], cross, cache)
            rows.append(lg)
        inc = torch.cat(rows, dim=1)
        err = (inc - logits).abs().max().item()
        assert err < 1e-9, "reference cache inconsistent: %g" % err
        lg, cache, _ = m.decode(torch.tensor([prompt]), cross)
        last = lg[0, -1]
        toks, mx, lse, margin = [], [], [], []
        for _ in range(N_GREEDY):
            top = torch.topk(last, 2).values
            t = int(last.argmax())
            toks.append(t)
            mx.append(top[0].item())
            margin.append((top[0] - top[1]).item())
            lse.append(torch.logsumexp(last, 0).item())
            lg, cache, _ = m.decode(torch.tensor([[t]]), cross, cache)
            last = lg[0, -1]
    m.float()
    out["greedy_prompt"] = torch.tensor(prompt)
    out["greedy_tokens"] = torch.tensor(toks)
    out["greedy_max"] = torch.tensor(mx)
    out["greedy_lse"] = torch.tensor(lse)
    out["greedy_margin"] = torch.tensor(margin)
    return out


def save_refs(d, refs):
    os.makedirs(d, exist_ok=True)
    for k, v in refs.items():
        a = v.numpy()
        a = a.astype(np.int64) if a.dtype.kind in "iu" else a.astype(np.float32)
        np.save(os.path.join(d, k + ".npy"), a)


# ------------------------------------------------------------------ layouts

def write_sherpa(d, name, model, tf, ranks, tiktoken_path):
    os.makedirs(d, exist_ok=True)
    dims = model.dims
    L, D = dims["n_text_layer"], dims["n_text_state"]
    mel = torch.zeros(1, dims["n_mels"], 3000)
    enc_path = os.path.join(d, name + "-encoder.onnx")
    with torch.no_grad():
        ck, cv = SherpaEncoder(model)(mel)
    export(SherpaEncoder(model).eval(), (mel,), enc_path, 17, ["mel"],
           ["n_layer_cross_k", "n_layer_cross_v"],
           {"mel": {0: "n_audio", 2: "T"}, "n_layer_cross_k": {1: "n_audio", 2: "T"},
            "n_layer_cross_v": {1: "n_audio", 2: "T"}})
    multilingual = dims["n_vocab"] >= 51865
    sot_seq = [tf["sot"]] + ([tf["languages"][0][1], tf["transcribe"]] if multilingual else [])
    meta = {
        "model_type": "whisper-" + name, "version": "1", "maintainer": "k2-fsa",
        "n_mels": dims["n_mels"], "n_audio_ctx": dims["n_audio_ctx"],
        "n_audio_state": dims["n_audio_state"], "n_audio_head": dims["n_audio_head"],
        "n_audio_layer": dims["n_audio_layer"], "n_vocab": dims["n_vocab"],
        "n_text_ctx": dims["n_text_ctx"], "n_text_state": dims["n_text_state"],
        "n_text_head": dims["n_text_head"], "n_text_layer": dims["n_text_layer"],
        "sot_sequence": ",".join(map(str, sot_seq)),
        "all_language_tokens": ",".join(str(i) for _, i in tf["languages"]),
        "all_language_codes": ",".join(c for c, _ in tf["languages"]),
        "sot": tf["sot"], "sot_index": 0, "eot": tf["eot"], "blank_id": tf["blank"],
        "is_multilingual": int(multilingual), "no_speech": tf["no_speech"],
        "non_speech_tokens": ",".join(map(str, non_speech_tokens(ranks))),
        "transcribe": tf["transcribe"], "translate": tf["translate"], "sot_prev": tf["sot_prev"],
        "sot_lm": tf["sot_lm"], "no_timestamps": tf["no_timestamps"],
    }
    set_props(enc_path, meta)
    tokens = torch.tensor([[tf["sot"]] * 3])
    kc = torch.zeros(L, 1, dims["n_text_ctx"], D)
    export(SherpaDecoder(model).eval(), (tokens, kc, kc.clone(), ck, cv, torch.zeros(1, dtype=torch.int64)),
           os.path.join(d, name + "-decoder.onnx"), 17,
           ["tokens", "in_n_layer_self_k_cache", "in_n_layer_self_v_cache", "n_layer_cross_k",
            "n_layer_cross_v", "offset"],
           ["logits", "out_n_layer_self_k_cache", "out_n_layer_self_v_cache"],
           {"tokens": {0: "n_audio", 1: "n_tokens"}, "in_n_layer_self_k_cache": {1: "n_audio"},
            "in_n_layer_self_v_cache": {1: "n_audio"}, "n_layer_cross_k": {1: "n_audio", 2: "T"},
            "n_layer_cross_v": {1: "n_audio", 2: "T"}})
    V, T = dims["n_vocab"], dims["n_text_ctx"]
    set_output_dims(os.path.join(d, name + "-decoder.onnx"),
                    {"logits": ["n_audio", "n_tokens", V], "out_n_layer_self_k_cache": [L, "n_audio", T, D],
                     "out_n_layer_self_v_cache": [L, "n_audio", T, D]})
    with open(tiktoken_path) as f, open(os.path.join(d, name + "-tokens.txt"), "w") as g:
        for line in f:
            if line.strip():
                tok, rank = line.split()
                g.write("%s %s\n" % (tok, rank))


def write_hf(d, model, tf, ranks, align, fp16):
    os.makedirs(d, exist_ok=True)
    dims = model.dims
    sd = {k: (v.half() if fp16 else v.float()) for k, v in wt.hf_state_dict(model).items()}
    wt.save_safetensors(sd, os.path.join(d, "model.safetensors"), {"format": "pt"})
    supp = write_hf_configs(d, dims, tf, ranks, align, fp16)
    write_hf_tokenizer(d, ranks, dims["n_vocab"])
    L, H = dims["n_text_layer"], dims["n_text_head"]
    Dh = dims["n_text_state"] // H
    feats = torch.zeros(1, dims["n_mels"], 3000)
    export(HFEncoder(model).eval(), (feats,), os.path.join(d, "encoder_model.onnx"), 14,
           ["input_features"], ["last_hidden_state"],
           {"input_features": {0: "batch_size"},
            "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length / 2"}})
    with torch.no_grad():
        xa = model.encode(feats)
    ids = torch.tensor([[tf["sot"]] * 3])
    outs, dyn = ["logits"], {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
                             "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length / 2"},
                             "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for l in range(L):
        for kind in ("decoder.key", "decoder.value", "encoder.key", "encoder.value"):
            name = "present.%d.%s" % (l, kind)
            outs.append(name)
            dyn[name] = {0: "batch_size", 2: "past_decoder_sequence_length + 1" if kind.startswith("decoder")
                         else "encoder_sequence_length_out"}
    export(HFDecoder(model, False).eval(), (ids, xa), os.path.join(d, "decoder_model.onnx"), 14,
           ["input_ids", "encoder_hidden_states"], outs, dyn)
    set_output_dims(os.path.join(d, "decoder_model.onnx"),
                    {o: ["batch_size", H, dyn[o][2], Dh] for o in outs[1:]})
    past, ins, outs = [], ["input_ids"], ["logits"]
    dyn = {"input_ids": {0: "batch_size"}, "logits": {0: "batch_size", 1: "1"}}
    for l in range(L):
        for kind in ("decoder.key", "decoder.value", "encoder.key", "encoder.value"):
            name = "past_key_values.%d.%s" % (l, kind)
            ins.append(name)
            t = kind.startswith("decoder")
            past.append(torch.zeros(1, H, 3 if t else dims["n_audio_ctx"], Dh))
            dyn[name] = {0: "batch_size", 2: "past_decoder_sequence_length" if t else "encoder_sequence_length_out"}
        for kind in ("decoder.key", "decoder.value"):
            name = "present.%d.%s" % (l, kind)
            outs.append(name)
            dyn[name] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
    export(HFDecoder(model, True).eval(), (ids[:, :1],) + tuple(past),
           os.path.join(d, "decoder_with_past_model.onnx"), 14, ins, outs, dyn)
    set_output_dims(os.path.join(d, "decoder_with_past_model.onnx"),
                    {o: ["batch_size", H, dyn[o][2], Dh] for o in outs[1:]})
    merge_decoders(os.path.join(d, "decoder_model.onnx"), os.path.join(d, "decoder_with_past_model.onnx"),
                   os.path.join(d, "decoder_model_merged.onnx"))
    return supp


def load_export_script():
    path = os.path.join(HERE, "..", "..", "scripts", "export", "whisper.py")
    spec = importlib.util.spec_from_file_location("voce_whisper_export", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_export(exporter, argv):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()) as err:
        warnings.simplefilter("ignore")
        rc = exporter.main(argv)
    if rc != 0:
        raise SystemExit("scripts/export/whisper.py %s failed: %s" % (" ".join(argv), err.getvalue()))


def same_graphs(a, b):
    """The two exports hold the same nodes, initializers and output shapes."""
    for f in ("encoder.onnx", "decoder.onnx"):
        ma, mb = onnx.load(os.path.join(a, f)), onnx.load(os.path.join(b, f))
        if [n.SerializeToString() for n in ma.graph.node] != [n.SerializeToString() for n in mb.graph.node]:
            raise SystemExit("%s: the nodes differ between %s and %s" % (f, a, b))
        ia = {t.name: t.SerializeToString() for t in ma.graph.initializer}
        ib = {t.name: t.SerializeToString() for t in mb.graph.initializer}
        if ia != ib:
            diff = sorted(set(ia) ^ set(ib)) or [k for k in ia if ia[k] != ib[k]]
            raise SystemExit("%s: initializers differ between %s and %s: %s" % (f, a, b, diff[:5]))
        if [o.SerializeToString() for o in ma.graph.output] != [o.SerializeToString() for o in mb.graph.output]:
            raise SystemExit("%s: outputs differ between %s and %s" % (f, a, b))
    ca = json.load(open(os.path.join(a, "config.json")))
    cb = json.load(open(os.path.join(b, "config.json")))
    for k in ("dims", "tokens", "language_codes", "language_tokens", "alignment_heads", "suppress_tokens",
              "begin_suppress_tokens", "multilingual", "num_languages"):
        if ca.get(k) != cb.get(k):
            raise SystemExit("config.json '%s' differs between %s and %s" % (k, a, b))


def facts_of(cfg_name, model, tf, align, tf_tokens, prompt, supp):
    d = model.dims
    return {
        "config": cfg_name, "name": wt.CONFIGS[cfg_name]["name"], "sherpa_name": SHERPA_NAME[cfg_name],
        "dims": d, "multilingual": d["n_vocab"] >= 51865, "num_languages": len(tf["languages"]),
        "alignment_heads": align,
        "alignment_heads_known": wt.CONFIGS[cfg_name]["alignment_heads"] is not None,
        "tokens": {k: v for k, v in tf.items() if k != "languages"},
        "tf_tokens": tf_tokens, "greedy_prompt": prompt, "greedy_steps": N_GREEDY,
        "suppress_tokens": supp,
    }


def write_facts_txt(path, facts):
    with open(path, "w") as f:
        for k, v in facts["dims"].items():
            f.write("%s %d\n" % (k, v))
        f.write("multilingual %d\n" % int(facts["multilingual"]))
        f.write("num_languages %d\n" % facts["num_languages"])
        f.write("n_alignment_heads %d\n" % len(facts["alignment_heads"]))
        f.write("alignment_heads %s\n" % ",".join("%d,%d" % tuple(p) for p in facts["alignment_heads"]))
        for k, v in facts["tokens"].items():
            f.write("%s %d\n" % (k, v))
        f.write("sherpa_name %s\n" % facts["sherpa_name"])
        f.write("greedy_steps %d\n" % facts["greedy_steps"])


def main():
    if len(sys.argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
        "VOCE_TEST_DATA", os.path.join(HERE, "..", "..", "..", "shared"))
    assets = os.path.join(data, "models", "whisper-assets")
    need = [os.path.join(assets, f) for f in ("gpt2.tiktoken", "multilingual.tiktoken", "mel_filters.npz")]
    need.append(os.path.join(data, "audio", "jfk.wav"))
    for p in need:
        if not os.path.isfile(p):
            print("skip: %s not found" % p)
            return 77
    torch.set_num_threads(1)  # 2 threads spin-wait on a loaded 2-core machine: slower
    t0 = time.time()
    exporter = load_export_script()
    filters = np.load(os.path.join(assets, "mel_filters.npz"))["mel_80"]
    mel = wt.log_mel(wt.read_wav(os.path.join(data, "audio", "jfk.wav")), filters)[None]
    for cfg_name in ("en", "multi"):
        c = wt.CONFIGS[cfg_name]
        d = os.path.join(out, cfg_name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        model = wt.build(cfg_name)
        dims = model.dims
        vocab = os.path.join(assets, "multilingual.tiktoken" if dims["n_vocab"] >= 51865 else "gpt2.tiktoken")
        ranks = read_tiktoken(vocab)
        tf = token_facts(ranks, dims["n_vocab"])
        align = wt.alignment_heads(cfg_name)
        if dims["n_vocab"] >= 51865:
            prompt = [tf["sot"], tf["languages"][0][1], tf["transcribe"], tf["no_timestamps"]]
        else:
            prompt = [tf["sot"], tf["no_timestamps"]]
        tf_tokens = (prompt + encode_ascii(ranks, JFK_TEXT))[:N_TF]
        # layouts from the float32 model
        wt.save_openai_checkpoint(model, os.path.join(d, "model.pt"), fp16=c["fp16"])
        supp = write_hf(os.path.join(d, "hf"), model, tf, ranks, c["alignment_heads"], c["fp16"])
        write_sherpa(os.path.join(d, "sherpa"), SHERPA_NAME[cfg_name], model, tf, ranks, vocab)
        argv = [os.path.join(d, "model.pt"), "-o", os.path.join(d, "voce"), "--vocab", vocab, "-q",
                "--name", c["name"]]
        if c["alignment_heads"]:
            argv += ["--alignment-heads", ",".join("%d,%d" % tuple(p) for p in c["alignment_heads"])]
        run_export(exporter, argv)
        run_export(exporter, [os.path.join(d, "hf"), "-o", os.path.join(d, "voce-hf"), "-q", "--name", c["name"]])
        same_graphs(os.path.join(d, "voce"), os.path.join(d, "voce-hf"))
        for f in ("encoder.onnx", "decoder.onnx"):  # identical to voce/'s: not kept twice
            os.remove(os.path.join(d, "voce-hf", f))
        # references from the float64 model
        refs = reference(model, mel, tf_tokens, prompt, align)
        refs["mel"] = torch.from_numpy(mel)
        save_refs(os.path.join(d, "ref"), refs)
        facts = facts_of(cfg_name, model, tf, align, tf_tokens, prompt, supp)
        with open(os.path.join(d, "ref", "facts.json"), "w") as f:
            json.dump(facts, f, indent=1)
        write_facts_txt(os.path.join(d, "ref", "facts.txt"), facts)
        print("%s: %s written (%.1f s)" % (cfg_name, d, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
