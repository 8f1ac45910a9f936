"""The Whisper architecture in PyTorch, written from openai-whisper's description of it,
as the reference the Whisper exports are measured against (tests/ref/gen_whisper_layouts.py).

It is independent of scripts/export/whisper.py (the code under test) and shares no code
with it. Parameter names are openai-whisper's, so `state_dict()` is the
`model_state_dict` of an OpenAI `.pt` checkpoint; `hf_state_dict()` renames them the way
Hugging Face's WhisperForConditionalGeneration stores them.

    import whisper_torch as wt
    model = wt.build("en")                       # random weights, fixed seed
    mel = wt.log_mel(wt.read_wav("jfk.wav"))     # [80, 3000]
    xa = model.encode(mel[None])                 # [1, 1500, n_state]
    logits, cache, probs = model.decode(tokens, model.cross_kv(xa))

The model:
  encoder  conv1 (n_mels -> d, k3, p1) + GELU, conv2 (d -> d, k3, stride 2, p1) + GELU,
           + sinusoidal positions [n_audio_ctx, d], pre-LN residual blocks (self-attention,
           MLP d -> 4d -> d with GELU), final LayerNorm (ln_post)
  decoder  token embedding + learned positions, pre-LN residual blocks (causal
           self-attention with a KV cache, cross-attention on the encoder output, MLP),
           final LayerNorm, logits = x @ token_embedding^T (tied)
  attention  softmax(q k^T / sqrt(head_dim)) v per head, heads contiguous slices of the
           width; key projections have no bias.
"""
import math
import struct
import wave

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Tiny-shaped test configurations: Whisper's real vocabulary, mel and context sizes,
# small widths. "multi" differs on purpose (odd head count, width 48, 3 decoder
# layers, fp16-representable weights, explicit alignment heads) so that a layout bug
# that happens to cancel on one shape shows on the other. The seeds were picked so that
# no step of the 128-step greedy decoding of jfk.wav has its two largest logits closer
# than 0.008 (en) / 0.013 (multi): float32 rounding cannot flip a token.
CONFIGS = {
    "en": {
        "name": "tiny-rand.en",
        "dims": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2,
                     n_audio_layer=2, n_vocab=51864, n_text_ctx=448, n_text_state=64,
                     n_text_head=2, n_text_layer=2),
        "seed": 5,
        "fp16": False,
        "alignment_heads": None,  # unknown: all heads of the second half of the layers
    },
    "multi": {
        "name": "tiny-rand",
        "dims": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=48, n_audio_head=3,
                     n_audio_layer=2, n_vocab=51865, n_text_ctx=448, n_text_state=48,
                     n_text_head=3, n_text_layer=3),
        "seed": 4321,
        "fp16": True,
        "alignment_heads": [[1, 0], [2, 1], [2, 2]],
    },
}


def sinusoids(length, channels, max_timescale=10000.0):
    """Whisper's encoder positions: [sin(t * w_i), cos(t * w_i)], w_i geometric from 1 to
    1/max_timescale over channels/2 steps."""
    half = channels // 2
    step = math.log(max_timescale) / (half - 1)
    inv = torch.exp(-step * torch.arange(half, dtype=torch.float64))
    t = torch.arange(length, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1).float()


def default_alignment_heads(n_layer, n_head):
    """openai-whisper's default: every head of the second half of the decoder layers."""
    return [[l, h] for l in range(n_layer // 2, n_layer) for h in range(n_head)]


class Attention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d, bias=False)
        self.value = nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def attend(self, q, k, v, causal_offset=None):
        """q [B, Nq, d], k/v [B, Nk, d] -> (out [B, Nq, d], probs [B, H, Nq, Nk]).
        causal_offset: query i sees keys j <= causal_offset + i."""
        b, nq, d = q.shape
        nk = k.shape[1]
        h = self.n_head
        dh = d // h
        qh = q.reshape(b, nq, h, dh).transpose(1, 2)
        kh = k.reshape(b, nk, h, dh).transpose(1, 2)
        vh = v.reshape(b, nk, h, dh).transpose(1, 2)
        s = (qh @ kh.transpose(-1, -2)) / math.sqrt(dh)
        if causal_offset is not None:
            i = torch.arange(nq)[:, None]
            j = torch.arange(nk)[None, :]
            s = s.masked_fill(j > causal_offset + i, float("-inf"))
        p = torch.softmax(s, dim=-1)
        return (p @ vh).transpose(1, 2).reshape(b, nq, d), p


class Block(nn.Module):
    def __init__(self, d, n_head, cross):
        super().__init__()
        self.attn = Attention(d, n_head)
        self.attn_ln = nn.LayerNorm(d)
        self.cross_attn = Attention(d, n_head) if cross else None
        self.cross_attn_ln = nn.LayerNorm(d) if cross else None
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.mlp_ln = nn.LayerNorm(d)

    def self_attention(self, x, cache=None, offset=None):
        """Self-attention on LN(x). cache: (k, v) of the earlier positions or None;
        offset None = no mask (encoder), else causal. Returns (delta, (k, v))."""
        a = self.attn
        h = self.attn_ln(x)
        q, k, v = a.query(h), a.key(h), a.value(h)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=1)
            v = torch.cat([cache[1], v], dim=1)
        o, _ = a.attend(q, k, v, causal_offset=offset)
        return a.out(o), (k, v)

    def cross_attention(self, x, kv):
        a = self.cross_attn
        o, p = a.attend(a.query(self.cross_attn_ln(x)), kv[0], kv[1])
        return a.out(o), p

    def feed_forward(self, x):
        return self.mlp(self.mlp_ln(x))


class AudioEncoder(nn.Module):
    def __init__(self, n_mels, n_ctx, d, n_head, n_layer):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, d, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d, d, kernel_size=3, stride=2, padding=1)
        self.register_buffer("positional_embedding", sinusoids(n_ctx, d))
        self.blocks = nn.ModuleList([Block(d, n_head, False) for _ in range(n_layer)])
        self.ln_post = nn.LayerNorm(d)

    def forward(self, mel):
        x = F.gelu(self.conv1(mel))
        x = F.gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.positional_embedding.to(x.dtype)
        for blk in self.blocks:
            x = x + blk.self_attention(x)[0]
            x = x + blk.feed_forward(x)
        return self.ln_post(x)


class TextDecoder(nn.Module):
    def __init__(self, n_vocab, n_ctx, d, n_head, n_layer):
        super().__init__()
        self.token_embedding = nn.Embedding(n_vocab, d)
        self.positional_embedding = nn.Parameter(torch.empty(n_ctx, d))
        self.blocks = nn.ModuleList([Block(d, n_head, True) for _ in range(n_layer)])
        self.ln = nn.LayerNorm(d)


class Whisper(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dict(dims)
        d = dims
        self.encoder = AudioEncoder(d["n_mels"], d["n_audio_ctx"], d["n_audio_state"],
                                    d["n_audio_head"], d["n_audio_layer"])
        self.decoder = TextDecoder(d["n_vocab"], d["n_text_ctx"], d["n_text_state"],
                                   d["n_text_head"], d["n_text_layer"])

    def encode(self, mel):
        """mel [B, n_mels, 2 * n_audio_ctx] -> audio features [B, n_audio_ctx, d]."""
        return self.encoder(mel)

    def cross_kv(self, xa):
        """Cross-attention keys and values of every decoder layer: [(k, v)], each
        [B, n_audio_ctx, d]."""
        return [(b.cross_attn.key(xa), b.cross_attn.value(xa)) for b in self.decoder.blocks]

    def decode(self, tokens, cross, cache=None):
        """tokens [B, n] at positions len(cache)...; cross from cross_kv().
        Returns (logits [B, n, n_vocab], new cache [(k, v)] per layer,
        cross-attention probabilities per layer [B, H, n, n_audio_ctx])."""
        dec = self.decoder
        offset = 0 if cache is None else cache[0][0].shape[1]
        n = tokens.shape[1]
        x = dec.token_embedding(tokens) + dec.positional_embedding[offset:offset + n]
        new_cache, probs = [], []
        for i, blk in enumerate(dec.blocks):
            delta, kv = blk.self_attention(x, None if cache is None else cache[i], offset)
            x = x + delta
            new_cache.append(kv)
            delta, p = blk.cross_attention(x, cross[i])
            x = x + delta
            probs.append(p)
            x = x + blk.feed_forward(x)
        x = dec.ln(x)
        return x @ dec.token_embedding.weight.t(), new_cache, probs


def init_random(model, seed, fp16=False):
    """Deterministic weights with scales that keep activations O(1), attention neither
    flat nor one-hot, and logits spread over several units. fp16: every weight rounded
    to a float16 value (so an fp16 checkpoint holds exactly these weights)."""
    g = torch.Generator().manual_seed(seed)

    def normal(t, std, mean=0.0):
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float64) * std + mean)

    for name, p in model.named_parameters():
        if name.endswith("token_embedding.weight"):
            normal(p, 0.4)
        elif name == "decoder.positional_embedding":
            normal(p, 2.0)
        elif "ln" in name.split(".")[-2]:  # LayerNorm gains ~1, biases small
            normal(p, 0.1, 1.0 if name.endswith("weight") else 0.0)
        elif name.endswith("bias"):
            normal(p, 0.05)
        elif "conv" in name:
            normal(p, 1.0 / math.sqrt(p.shape[1] * p.shape[2]))
        else:
            fan_in = p.shape[1]
            # sharper attention than the 1/sqrt(fan_in) default: score std ~ 3
            gain = 1.7 if name.endswith(("query.weight", "key.weight")) else 1.0
            normal(p, gain / math.sqrt(fan_in))
    if fp16:
        with torch.no_grad():
            for t in list(model.parameters()) + list(model.buffers()):
                t.copy_(t.half().float())
    return model


def build(config_name):
    c = CONFIGS[config_name]
    return init_random(Whisper(c["dims"]), c["seed"], c["fp16"]).eval()


def alignment_heads(config_name):
    c = CONFIGS[config_name]
    d = c["dims"]
    return c["alignment_heads"] or default_alignment_heads(d["n_text_layer"], d["n_text_head"])


# ---- checkpoints ----

def save_openai_checkpoint(model, path, fp16=False):
    """An OpenAI-style checkpoint: torch.save({"dims", "model_state_dict"}); the
    official ones hold float16 weights."""
    sd = {k: (v.half() if fp16 else v.float()).clone() for k, v in model.state_dict().items()}
    torch.save({"dims": dict(model.dims), "model_state_dict": sd}, path)


_HF_RENAMES = [  # openai-whisper name piece -> Hugging Face name piece, applied in order
    ("encoder.positional_embedding", "encoder.embed_positions.weight"),
    ("decoder.positional_embedding", "decoder.embed_positions.weight"),
    ("token_embedding", "embed_tokens"),
    ("blocks.", "layers."),
    (".cross_attn_ln.", ".encoder_attn_layer_norm."),
    (".cross_attn.", ".encoder_attn."),
    (".attn_ln.", ".self_attn_layer_norm."),
    (".attn.", ".self_attn."),
    (".mlp_ln.", ".final_layer_norm."),
    (".mlp.0.", ".fc1."),
    (".mlp.2.", ".fc2."),
    (".query.", ".q_proj."),
    (".key.", ".k_proj."),
    (".value.", ".v_proj."),
    (".out.", ".out_proj."),
    ("encoder.ln_post.", "encoder.layer_norm."),
    ("decoder.ln.", "decoder.layer_norm."),
]


def hf_name(name):
    for a, b in _HF_RENAMES:
        name = name.replace(a, b)
    return "model." + name


def hf_state_dict(model):
    """Hugging Face names (WhisperForConditionalGeneration.save_pretrained: "model."
    prefix; proj_out.weight is tied to embed_tokens and not stored)."""
    return {hf_name(k): v for k, v in model.state_dict().items()}


def save_safetensors(tensors, path, metadata=None):
    """Write a .safetensors file: u64 little-endian header length, the JSON header
    (name -> dtype, shape, data_offsets into the data that follows), the raw
    little-endian data. Names in sorted order, each tensor 8-byte aligned."""
    import json
    kinds = {torch.float32: ("F32", np.float32), torch.float16: ("F16", np.float16)}
    header, blobs, pos = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        code, npt = kinds[t.dtype]
        raw = t.numpy().astype(npt).tobytes()
        pad = (-pos) % 8
        if pad:
            blobs.append(b"\0" * pad)
            pos += pad
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [pos, pos + len(raw)]}
        blobs.append(raw)
        pos += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---- audio ----

SAMPLE_RATE, N_FFT, HOP, N_SAMPLES, N_FRAMES = 16000, 400, 160, 480000, 3000


def read_wav(path):
    """16-bit PCM mono WAV -> float32 samples in [-1, 1) (x / 32768)."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1 or w.getframerate() != SAMPLE_RATE:
            raise ValueError("%s: expected 16 kHz mono 16-bit PCM" % path)
        raw = w.readframes(w.getnframes())
    return np.frombuffer(raw, "<i2").astype(np.float32) / np.float32(32768.0)


def log_mel(samples, filters, pad_30s=True, n_frames=N_FRAMES):
    """openai-whisper's log_mel_spectrogram in float64: optional 30 s of zeros appended
    (transcribe()'s padding), STFT(400, hop 160, periodic Hann, centred, reflect),
    last frame dropped, |X|^2, mel filters [n_mels, 201], log10(max(x, 1e-10)),
    max(x, global max - 8), (x + 4) / 4; then the first n_frames frames (zero-padded
    to n_frames when shorter). Returns float32 [n_mels, n_frames]."""
    x = torch.from_numpy(np.asarray(samples, dtype=np.float64))
    if pad_30s:
        x = F.pad(x, (0, N_SAMPLES))
    win = torch.hann_window(N_FFT, dtype=torch.float64)
    spec = torch.stft(x, N_FFT, HOP, window=win, return_complex=True, center=True, pad_mode="reflect")
    power = spec[..., :-1].abs() ** 2
    mel = torch.from_numpy(np.asarray(filters, dtype=np.float64)) @ power
    logm = torch.clamp(mel, min=1e-10).log10()
    logm = torch.maximum(logm, logm.max() - 8.0)
    logm = (logm + 4.0) / 4.0
    logm = logm[:, :n_frames]
    if logm.shape[1] < n_frames:
        logm = F.pad(logm, (0, n_frames - logm.shape[1]))
    return logm.float().numpy()
