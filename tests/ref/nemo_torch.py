"""NVIDIA NeMo's FastConformer transducer and CTC models in PyTorch, written from the
description of NeMo's modules, as the reference the NeMo-family exports are measured
against (tests/ref/gen_transducer_layouts.py). Random weights; no NeMo code.

    import nemo_torch as nt
    m = nt.build("tdt")                             # random weights, fixed seed
    enc, enc_len = m.encoder(feats, feats_len)      # [1, F, T] -> [1, D, T'], [1]
    g, state = m.decoder.predict(tok, state)        # one prediction-network step
    logits = m.joint(enc[:, :, t:t + 1], g)         # [1, 1, 1, V + 1 (+ durations)]

Sources of the facts (NVIDIA/NeMo, main branch of 2025-09):
  encoder     nemo/collections/asr/modules/conformer_encoder.py (ConformerEncoder:
              pre_encode, pos_enc with xscale = sqrt(d_model), _create_masks, layers)
  layer       nemo/collections/asr/parts/submodules/conformer_modules.py (ConformerLayer,
              ConformerConvolution, ConformerFeedForward)
  attention   nemo/collections/asr/parts/submodules/multi_head_attention.py
              (RelPositionMultiHeadAttention, rel_shift, RelPositionalEncoding, INF_VAL)
  subsampling nemo/collections/asr/parts/submodules/subsampling.py (ConvSubsampling
              "dw_striding", calc_length, MaskedConvSequential)
  decoder     nemo/collections/asr/modules/rnnt.py (RNNTDecoder, RNNTJoint,
              RNNTDecoderJoint), nemo/collections/common/parts/rnn.py (torch.nn.LSTM)
  CTC head    nemo/collections/asr/modules/conv_asr.py (ConvASRDecoder)

The model, at inference (eval: dropout off, BatchNorm on running statistics):

  subsampling "dw_striding", factor 8: x [B, T, F] as an image [B, 1, T, F];
      Conv2d(1 -> C, 3x3, stride 2, pad 1), ReLU,
      2 x [depthwise Conv2d(C -> C, 3x3, stride 2, pad 1, groups C), Conv2d(C -> C, 1x1), ReLU],
      then [B, C, T', F'] -> [B, T', C * F'] (channel-major) -> Linear(C * F', d_model).
      F' = F after three ceil-halvings (128 -> 16, 80 -> 10).
      Lengths: three times L = floor((L + 2 - 3) / 2 + 1) (calc_length, in float).
      mask_subsampling (NeMo main since July 2025, commit 0fd4de5 "Improve ASR models'
      invariance to padding/batch size", MaskedConvSequential): before every layer of
      the conv stack and after the last, time steps >= the current length are
      multiplied by 0; the length is updated after each strided conv, as
      floor((L + 2 - 3) / 2) + 1. Older NeMo (and files exported with it) have no such
      masking.
  positions   x = x * sqrt(d_model) when xscaling; pos_emb = sinusoids of the relative
      positions T'-1 .. -(T'-1) (2T'-1 rows): pe[:, 2i] = sin(p * w_i), pe[:, 2i+1] =
      cos(p * w_i), w_i = exp(-2i * ln(10000) / d_model), computed in float32 once for
      pos_emb_max_len (5000) and sliced.
  masks       valid[t] = t < length; pad_mask = ~valid; att_mask[i, j] = ~(valid[i] and
      valid[j]) (unlimited context, att_context_size [-1, -1]).
  layer (macaron): x += 0.5 * FF1(LN(x)); x += MHA(LN(x)); x += Conv(LN(x));
      x += 0.5 * FF2(LN(x)); x = LN_out(x).
  FF          Linear(d, 4d), Swish (x * sigmoid(x)), Linear(4d, d).
  MHA         q, k, v = Linear(x) split into H heads of d_k = d/H; p = Linear_pos(pos_emb)
      (no bias); ac = (q + u) k^T; bd = rel_shift((q + v_bias) p^T)[..., :T'];
      scores = (ac + bd) / sqrt(d_k); masked entries -10000 before the softmax and 0
      after; out = Linear_out(attn v). u, v_bias [H, d_k] per layer (untie_biases).
      rel_shift: pad one zero column on the left of [.., T', 2T'-1], view as
      [.., 2T', T'], drop the first row, view back as [.., T', 2T'-1].
  Conv        pointwise Conv1d(d, 2d, 1), GLU over channels, padded steps set to 0,
      depthwise Conv1d(d, d, k, pad (k-1)/2, groups d), BatchNorm1d, Swish,
      pointwise Conv1d(d, d, 1).
  output      [B, d_model, T'] and the lengths (int64).
  prediction  Embedding(V + 1, H, padding_idx = V): the blank V embeds to zeros (NeMo
      primes the network with blank = a zero vector); torch LSTM(H, H, layers);
      output [B, H, U].
  joint       relu(Linear_enc(f) + Linear_pred(g)) -> Linear(J, V + 1 + n_durations);
      raw logits at export (log_softmax off). Tokens 0..V-1, blank V, then the duration
      logits (TDT).
  CTC head    Conv1d(d_model, V + 1, 1) then log_softmax: "logprobs" [B, T', V + 1],
      blank V.

Parameter names are NeMo's (encoder.layers.0.self_attn.linear_q.weight,
decoder.prediction.dec_rnn.lstm.weight_ih_l0, joint.joint_net.2.weight,
decoder.decoder_layers.0.weight for CTC), so a state_dict maps onto a .nemo checkpoint's.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

INF_VAL = 10000.0  # NeMo's masking value (multi_head_attention.py)


# The test vocabulary: 128 SentencePiece-like pieces ("▁" starts a word), written for these
# tests: <unk>, whole words and word starts, word continuations, single letters,
# punctuation, and the bare "▁". Index = token id; the blank is 128 (= len(VOCAB)).
_WORDS = ("the and so my fell ow americ ans ask not what your country can do for you "
          "we it is in of to be he she they this that with on at by from all one two "
          "time go see say get make know think will would could should here there when "
          "why how who now new old good great small long first last word speak world").split()
_CONT = "ing ed er es ly al ion ment ous ful ness ity ic ive an or th ch".split()
_LETTERS = list("abcdefghijklmnopqrstuvwxyz")
_PUNCT = [",", ".", "'", "?", "!", "-"]


def _test_vocab():
    v = ["<unk>"] + ["\u2581" + w for w in _WORDS] + _CONT + _LETTERS + _PUNCT + ["\u2581"]
    extra = ["\u2581" + a + b for a in "bcdfgmprst" for b in "aeiou"]
    v += [p for p in extra if p not in v][:128 - len(v)]
    assert len(v) == 128 and len(set(v)) == 128, len(v)
    return v


VOCAB = _test_vocab()

# The three test models. They differ on purpose (mel count, width, heads, kernel, LSTM
# layers, xscaling, subsampling masking) so that a layout bug that cancels on one shape
# shows on another. "tdt" is Parakeet-TDT in miniature (current NeMo); "rnnt" a plain
# RNN-T as exported by NeMo before July 2025 (no subsampling masking), one LSTM layer,
# no xscaling; "ctc" a FastConformer-CTC.
CONFIGS = {
    "tdt": dict(kind="tdt", feat_in=128, d_model=64, n_layers=3, n_heads=4, ff_expansion=4,
                conv_kernel=9, sub_channels=32, xscaling=True, mask_subsampling=True,
                pos_emb_max_len=5000, vocab=VOCAB, pred_hidden=64, pred_rnn_layers=2,
                joint_hidden=64, durations=[0, 1, 2, 3, 4], seed=1234),
    "rnnt": dict(kind="rnnt", feat_in=80, d_model=48, n_layers=2, n_heads=3, ff_expansion=4,
                 conv_kernel=5, sub_channels=24, xscaling=False, mask_subsampling=False,
                 pos_emb_max_len=5000, vocab=VOCAB, pred_hidden=40, pred_rnn_layers=1,
                 joint_hidden=56, durations=[], seed=4321),
    "ctc": dict(kind="ctc", feat_in=80, d_model=64, n_layers=2, n_heads=4, ff_expansion=4,
                conv_kernel=9, sub_channels=32, xscaling=True, mask_subsampling=True,
                pos_emb_max_len=5000, vocab=VOCAB, seed=777),
}


def parakeet_config(kind="tdt"):
    """Parakeet-TDT-0.6B's shape (nvidia/parakeet-tdt-0.6b-v2): 128 mels, d_model 1024,
    24 layers, 8 heads, FF 4096, conv kernel 9, subsampling channels 256, 1024 tokens,
    prediction net 640 wide with 2 LSTM layers, joint 640, durations [0..4]. Its
    vocabulary here is synthetic (VOCAB repeated with numbered pieces)."""
    vocab = list(VOCAB) + ["\u2581w%03d" % i for i in range(1024 - len(VOCAB))]
    c = dict(kind=kind, feat_in=128, d_model=1024, n_layers=24, n_heads=8, ff_expansion=4,
             conv_kernel=9, sub_channels=256, xscaling=True, mask_subsampling=True,
             pos_emb_max_len=5000, vocab=vocab, pred_hidden=640, pred_rnn_layers=2,
             joint_hidden=640, durations=[0, 1, 2, 3, 4] if kind == "tdt" else [], seed=600)
    return c


def swish(x):
    return x * torch.sigmoid(x)


def conv_out_len(n):
    """calc_length for one stride-2, kernel-3, padding-1 stage, on a float tensor."""
    return torch.floor((n + (2 - 3)) / 2 + 1)


# ------------------------------------------------------------------ encoder

class ConvSubsampling(nn.Module):
    def __init__(self, feat_in, d_model, channels, mask):
        super().__init__()
        c = channels
        self.mask = mask
        self.conv = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, c, 3, stride=2, padding=1, groups=c), nn.Conv2d(c, c, 1), nn.ReLU(),
            nn.Conv2d(c, c, 3, stride=2, padding=1, groups=c), nn.Conv2d(c, c, 1), nn.ReLU())
        f = feat_in
        for _ in range(3):
            f = (f + 2 - 3) // 2 + 1
        self.out = nn.Linear(c * f, d_model)

    def forward(self, x, lengths):
        """x [B, T, F], lengths [B] int64 -> [B, T', d_model], lengths [B] int64."""
        x = x.unsqueeze(1)
        n = lengths.to(x.dtype)
        if not self.mask:
            x = self.conv(x)
            for _ in range(3):
                n = conv_out_len(n)
        else:
            keep = self._keep(x, n)
            for layer in self.conv:
                x = layer(x * keep)
                if isinstance(layer, nn.Conv2d) and layer.stride != (1, 1):
                    n = conv_out_len(n)
                    keep = self._keep(x, n)
            x = x * keep
        b, c, t, f = x.shape
        x = self.out(x.transpose(1, 2).reshape(b, t, c * f))
        return x, n.to(torch.int64)

    @staticmethod
    def _keep(x, n):
        t = torch.arange(x.shape[2], device=x.device)
        return (t[None, :] < n[:, None]).to(x.dtype)[:, None, :, None]


def relative_sinusoids(max_len, d_model):
    """NeMo's RelPositionalEncoding table [1, 2 * max_len - 1, d_model] in float32, rows
    for the positions max_len - 1 down to -(max_len - 1)."""
    pos = torch.arange(max_len - 1, -max_len, -1, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * -(math.log(INF_VAL) / d_model))
    pe = torch.zeros(pos.shape[0], d_model)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe.unsqueeze(0)


class RelPositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len, xscale):
        super().__init__()
        self.xscale = math.sqrt(d_model) if xscale else None
        self.register_buffer("pe", relative_sinusoids(max_len, d_model), persistent=False)

    def forward(self, x):
        if self.xscale:
            x = x * self.xscale
        t = x.shape[1]
        center = self.pe.shape[1] // 2 + 1
        return x, self.pe[:, center - t:center + t - 1]


class RelPositionMultiHeadAttention(nn.Module):
    def __init__(self, n_head, d):
        super().__init__()
        self.h, self.d_k = n_head, d // n_head
        self.linear_q = nn.Linear(d, d)
        self.linear_k = nn.Linear(d, d)
        self.linear_v = nn.Linear(d, d)
        self.linear_out = nn.Linear(d, d)
        self.linear_pos = nn.Linear(d, d, bias=False)
        self.pos_bias_u = nn.Parameter(torch.zeros(n_head, self.d_k))
        self.pos_bias_v = nn.Parameter(torch.zeros(n_head, self.d_k))

    @staticmethod
    def rel_shift(x):
        b, h, t, p = x.shape
        x = F.pad(x, (1, 0))
        x = x.view(b, h, -1, t)
        return x[:, :, 1:].view(b, h, t, p)

    def forward(self, x, pos_emb, att_mask):
        b = x.shape[0]
        heads = lambda y: y.view(y.shape[0], -1, self.h, self.d_k)
        q = heads(self.linear_q(x))                       # [B, T, H, dk]
        k = heads(self.linear_k(x)).transpose(1, 2)       # [B, H, T, dk]
        v = heads(self.linear_v(x)).transpose(1, 2)
        p = heads(self.linear_pos(pos_emb)).transpose(1, 2)  # [1, H, 2T-1, dk]
        q_u = (q + self.pos_bias_u).transpose(1, 2)
        q_v = (q + self.pos_bias_v).transpose(1, 2)
        bd = self.rel_shift(torch.matmul(q_v, p.transpose(-2, -1)))
        ac = torch.matmul(q_u, k.transpose(-2, -1))
        scores = (ac + bd[:, :, :, :ac.shape[-1]]) / math.sqrt(self.d_k)
        m = att_mask.unsqueeze(1)
        attn = torch.softmax(scores.masked_fill(m, -INF_VAL), dim=-1).masked_fill(m, 0.0)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, -1, self.h * self.d_k)
        return self.linear_out(out)


class ConformerFeedForward(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.linear1 = nn.Linear(d, d_ff)
        self.linear2 = nn.Linear(d_ff, d)

    def forward(self, x):
        return self.linear2(swish(self.linear1(x)))


class ConformerConvolution(nn.Module):
    def __init__(self, d, kernel):
        super().__init__()
        self.pointwise_conv1 = nn.Conv1d(d, 2 * d, 1)
        self.depthwise_conv = nn.Conv1d(d, d, kernel, padding=(kernel - 1) // 2, groups=d)
        self.batch_norm = nn.BatchNorm1d(d)
        self.pointwise_conv2 = nn.Conv1d(d, d, 1)

    def forward(self, x, pad_mask):
        x = F.glu(self.pointwise_conv1(x.transpose(1, 2)), dim=1)
        x = x.masked_fill(pad_mask.unsqueeze(1), 0.0)
        x = swish(self.batch_norm(self.depthwise_conv(x)))
        return self.pointwise_conv2(x).transpose(1, 2)


class ConformerLayer(nn.Module):
    def __init__(self, d, d_ff, n_heads, kernel):
        super().__init__()
        self.norm_feed_forward1 = nn.LayerNorm(d)
        self.feed_forward1 = ConformerFeedForward(d, d_ff)
        self.norm_conv = nn.LayerNorm(d)
        self.conv = ConformerConvolution(d, kernel)
        self.norm_self_att = nn.LayerNorm(d)
        self.self_attn = RelPositionMultiHeadAttention(n_heads, d)
        self.norm_feed_forward2 = nn.LayerNorm(d)
        self.feed_forward2 = ConformerFeedForward(d, d_ff)
        self.norm_out = nn.LayerNorm(d)

    def forward(self, x, pos_emb, att_mask, pad_mask):
        x = x + 0.5 * self.feed_forward1(self.norm_feed_forward1(x))
        x = x + self.self_attn(self.norm_self_att(x), pos_emb, att_mask)
        x = x + self.conv(self.norm_conv(x), pad_mask)
        x = x + 0.5 * self.feed_forward2(self.norm_feed_forward2(x))
        return self.norm_out(x)


class ConformerEncoder(nn.Module):
    """forward(audio_signal [B, F, T], length [B] int64) -> (outputs [B, d, T'],
    encoded_lengths [B] int64): NeMo's ConformerEncoder.forward_for_export."""

    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.pre_encode = ConvSubsampling(c["feat_in"], d, c["sub_channels"], c["mask_subsampling"])
        self.pos_enc = RelPositionalEncoding(d, c["pos_emb_max_len"], c["xscaling"])
        self.layers = nn.ModuleList(
            ConformerLayer(d, d * c["ff_expansion"], c["n_heads"], c["conv_kernel"]) for _ in range(c["n_layers"]))

    def forward(self, audio_signal, length):
        x, length = self.pre_encode(audio_signal.transpose(1, 2), length)
        x, pos_emb = self.pos_enc(x)
        t = torch.arange(x.shape[1], device=x.device)
        valid = t[None, :] < length[:, None]
        att_mask = ~(valid[:, None, :] & valid[:, :, None])
        pad_mask = ~valid
        for layer in self.layers:
            x = layer(x, pos_emb, att_mask, pad_mask)
        return x.transpose(1, 2), length


# ------------------------------------------------------------------ transducer heads

class LSTMDropout(nn.Module):
    def __init__(self, h, layers):
        super().__init__()
        self.lstm = nn.LSTM(h, h, layers)

    def forward(self, x, state):
        return self.lstm(x, state)


class RNNTDecoder(nn.Module):
    """The prediction network. forward = NeMo's export signature: (targets [B, U] int32,
    target_length [B] int32, h [L, B, H], c [L, B, H]) -> (outputs [B, H, U],
    prednet_lengths [B] int32, h', c')."""

    def __init__(self, vocab_size, hidden, layers):
        super().__init__()
        self.blank = vocab_size
        self.hidden, self.layers = hidden, layers
        self.prediction = nn.ModuleDict({
            "embed": nn.Embedding(vocab_size + 1, hidden, padding_idx=vocab_size),
            "dec_rnn": LSTMDropout(hidden, layers)})

    def forward(self, targets, target_length, h, c):
        y = self.prediction["embed"](targets.to(torch.int64)).transpose(0, 1)
        g, (h, c) = self.prediction["dec_rnn"](y, (h, c))
        return g.permute(1, 2, 0), target_length, h, c

    def zero_state(self, batch=1, dtype=torch.float32):
        z = torch.zeros(self.layers, batch, self.hidden, dtype=dtype)
        return z, z.clone()

    def predict(self, token, state):
        """One step: token (int; the blank primes), state (h, c) -> (g [1, H, 1], state')."""
        t = torch.tensor([[token]], dtype=torch.int32)
        g, _, h, c = self.forward(t, torch.tensor([1], dtype=torch.int32), *state)
        return g, (h, c)


class RNNTJoint(nn.Module):
    """forward(encoder_outputs [B, D, T], decoder_outputs [B, H, U]) -> logits
    [B, T, U, V + 1 + n_durations]."""

    def __init__(self, enc_hidden, pred_hidden, joint_hidden, n_out):
        super().__init__()
        self.pred = nn.Linear(pred_hidden, joint_hidden)
        self.enc = nn.Linear(enc_hidden, joint_hidden)
        self.joint_net = nn.Sequential(nn.ReLU(), nn.Dropout(0.2), nn.Linear(joint_hidden, n_out))

    def project_encoder(self, encoder_outputs):
        return self.enc(encoder_outputs.transpose(1, 2))          # [B, T, J]

    def project_prednet(self, decoder_outputs):
        return self.pred(decoder_outputs.transpose(1, 2))         # [B, U, J]

    def joint_after_projection(self, f, g):
        return self.joint_net(f.unsqueeze(2) + g.unsqueeze(1))

    def forward(self, encoder_outputs, decoder_outputs):
        return self.joint_after_projection(self.project_encoder(encoder_outputs),
                                           self.project_prednet(decoder_outputs))


class RNNTDecoderJoint(nn.Module):
    """NeMo's RNNTDecoderJoint (onnx-asr's decoder_joint-model.onnx): (encoder_outputs
    [B, D, T], targets [B, U] int32, target_length [B] int32, input_states_1,
    input_states_2 [L, B, H]) -> (outputs [B, T, U, V + 1 + nd], prednet_lengths,
    output_states_1, output_states_2)."""

    def __init__(self, decoder, joint):
        super().__init__()
        self.decoder, self.joint = decoder, joint

    def forward(self, encoder_outputs, targets, target_length, input_states_1, input_states_2):
        g, n, h, c = self.decoder(targets, target_length, input_states_1, input_states_2)
        return self.joint(encoder_outputs, g), n, h, c


class ConvASRDecoder(nn.Module):
    """CTC head: encoder output [B, D, T'] -> logprobs [B, T', V + 1]."""

    def __init__(self, d, vocab_size):
        super().__init__()
        self.decoder_layers = nn.Sequential(nn.Conv1d(d, vocab_size + 1, 1))

    def forward(self, encoder_output):
        return torch.log_softmax(self.decoder_layers(encoder_output).transpose(1, 2), dim=-1)


class TransducerModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        V = len(c["vocab"])
        self.blank = V
        self.durations = list(c.get("durations") or [])
        self.encoder = ConformerEncoder(c)
        self.decoder = RNNTDecoder(V, c["pred_hidden"], c["pred_rnn_layers"])
        self.joint = RNNTJoint(c["d_model"], c["pred_hidden"], c["joint_hidden"], V + 1 + len(self.durations))


class CTCModel(nn.Module):
    """forward(audio_signal, length) -> logprobs: NeMo's EncDecCTCModel export."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.blank = len(c["vocab"])
        self.encoder = ConformerEncoder(c)
        self.decoder = ConvASRDecoder(c["d_model"], len(c["vocab"]))

    def forward(self, audio_signal, length):
        enc, _ = self.encoder(audio_signal, length)
        return self.decoder(enc)


# ------------------------------------------------------------------ random weights

def init_random(model, seed):
    """Deterministic random weights (CPU generator): PyTorch's default initialisers for
    linear/conv/LSTM/embedding weights, then the parameters NeMo initialises to
    constants made random so that a layout that drops them shows: LayerNorm and
    BatchNorm affine parameters around (1, 0), BatchNorm running statistics, the
    attention position biases u and v. The blank's embedding row stays zero
    (padding_idx)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                fan_in = m.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                m.weight.uniform_(-bound, bound, generator=g)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=g)
            elif isinstance(m, nn.LSTM):
                bound = 1.0 / math.sqrt(m.hidden_size)
                for p in m.parameters():
                    p.uniform_(-bound, bound, generator=g)
            elif isinstance(m, nn.Embedding):
                m.weight.normal_(0.0, 1.0, generator=g)
                if m.padding_idx is not None:
                    m.weight[m.padding_idx].zero_()
            elif isinstance(m, nn.LayerNorm):
                m.weight.copy_(1.0 + 0.1 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
            elif isinstance(m, nn.BatchNorm1d):
                m.weight.copy_(1.0 + 0.1 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
            elif isinstance(m, RelPositionMultiHeadAttention):
                m.pos_bias_u.copy_(0.1 * torch.randn(m.pos_bias_u.shape, generator=g))
                m.pos_bias_v.copy_(0.1 * torch.randn(m.pos_bias_v.shape, generator=g))
    model.eval()
    return model


def build_from_config(c):
    torch.manual_seed(c["seed"])
    model = CTCModel(c) if c["kind"] == "ctc" else TransducerModel(c)
    return init_random(model, c["seed"])


def build(name):
    """One of CONFIGS ("tdt", "rnnt", "ctc") with its seeded random weights, float32."""
    return build_from_config(dict(CONFIGS[name]))


def build_parakeet(kind="tdt"):
    """The Parakeet-0.6B-shaped model (random weights; about 0.6 G parameters)."""
    return build_from_config(parakeet_config(kind))


def encoded_length(n_frames):
    """Encoder output frames for n input frames (calc_length, three stages)."""
    for _ in range(3):
        n = math.floor((n + 2 - 3) / 2 + 1)
    return n
