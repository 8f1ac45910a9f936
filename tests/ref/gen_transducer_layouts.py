#!/usr/bin/env python3
"""NeMo FastConformer test models (TDT, RNN-T, CTC) in the two ONNX layouts users
download, with PyTorch references and the greedy decodes of transducer_decode_ref.py.

usage: gen_transducer_layouts.py OUTDIR [DATA_DIR] [--parakeet]

Models (tests/ref/nemo_torch.py, fixed seeds): "tdt" (Parakeet-TDT in miniature: 128
mels, width 64, 3 layers, 4 heads, 2 LSTM layers, durations [0, 1, 2, 3, 4], current
NeMo's subsampling masking), "rnnt" (80 mels, width 48, 2 layers, 3 heads, 1 LSTM layer,
no xscaling, no subsampling masking as NeMo before July 2025) and "ctc" (80 mels, width
64, 2 layers). 128 SentencePiece-like pieces, blank 128. DATA_DIR (default
$VOCE_TEST_DATA, else ../shared beside the repository) must hold audio/jfk.wav.
--parakeet instead writes OUTDIR/parakeet-tdt/{sherpa,onnx-asr}: the Parakeet-TDT-0.6B
shape (1024 wide, 24 layers, 8 heads, 1024 tokens, prediction net 640 x 2 LSTM layers)
with random weights, for benchmarks (about 2.4 GB per layout, a few minutes), and
ref/features.npy + facts.json only.

For each model M, OUTDIR/M/ receives

  sherpa/     sherpa-onnx's NeMo layout (scripts/nemo/*/export_onnx.py), opset 17
    encoder.onnx  audio_signal f32 [N, F, T], length i64 [N]
                  -> outputs f32 [N, D, T'], encoded_lengths i64 [N];
                  metadata_props: vocab_size (tokens without the blank), normalize_type
                  "per_feature", pred_rnn_layers, pred_hidden, subsampling_factor 8,
                  model_type "EncDecRNNTBPEModel", version "2", model_author "NeMo", url
                  (contains "tdt" for the TDT model: sherpa-onnx's only TDT flag; the
                  durations are not written -- sherpa takes duration = argmax index),
                  comment, feat_dim. tdt: weights in encoder.weights (external data, as
                  the Parakeet script saves them).
    decoder.onnx  targets i32 [N, U], target_length i32 [N], states.1 f32 [L, N, H],
                  onnx::Slice_3 (L = 2; onnx::LSTM_3 for L = 1) f32 [L, N, H]
                  -> outputs f32 [N, H, U], prednet_lengths i32 [N], states f32 [L, N, H],
                     162 (L = 2; 74 for L = 1) f32 [L, N, H]   (h, then c)
    joiner.onnx   encoder_outputs f32 [N, D, T], decoder_outputs f32 [N, H, U]
                  -> outputs f32 [N, T, U, V + 1 (+ 5 durations)]  raw logits
    tokens.txt    "piece id" per line, then "<blk> 128"
   ctc: model.onnx  audio_signal, length -> logprobs f32 [N, T', V + 1] (log-softmax);
                  metadata vocab_size, normalize_type, subsampling_factor, model_type
                  "EncDecHybridRNNTCTCBPEModel", version "1", model_author, url, comment,
                  doc; and tokens.txt
  onnx-asr/   istupakov/onnx-asr's NeMo layout (NeMo's model.export), no metadata
    encoder-model.onnx        as sherpa's encoder.onnx
    decoder_joint-model.onnx  encoder_outputs f32 [N, D, T], targets i32 [N, U],
                  target_length i32 [N], input_states_1, input_states_2 f32 [L, N, H]
                  -> outputs f32 [N, T, U, V + 1 (+ 5)], prednet_lengths i32 [N],
                     output_states_1, output_states_2 f32 [L, N, H]
    vocab.txt     as tokens.txt
    config.json   model_type nemo-conformer-tdt|rnnt|ctc, features_size, subsampling_factor,
                  max_tokens_per_step 10
   ctc: model.onnx (as sherpa's, without metadata), vocab.txt, config.json
    (onnx-asr's nemo128.onnx preprocessor is part of the onnx-asr package, not of model
    downloads: not written.)
  ref/        PyTorch references (float64 model with the float32 weights, written as f32)
    features.npy        f32 [1, F, T]: NeMo log-mel of jfk.wav (gen_frontend_refs.nemo_mel:
                        pre-emphasis 0.97, STFT 512/160/400 symmetric Hann, power, Slaney
                        mel, ln(x + 2^-24), per_feature normalisation, frames from n//160
                        on zeroed; pad_to 0 for tdt/ctc (1101 frames), 16 for rnnt (1104))
    features_len.npy    i64 [1]: the valid frames, 1100
    encoder_out.npy     f32 [1, D, T']; encoder_len.npy i64 [1] (138)
    short_len.npy       i64 [1]: 700, the same features with a shorter length (masks in
                        use); encoder_out_short.npy, encoder_len_short.npy (88)
   transducers:
    dec_targets.npy     i32 [1, U + 1]: blank then the greedy tokens, the prediction
                        network's inputs in order
    dec_out.npy         f32 [U + 1, H]: its output after each (one token per call from the
                        zero state); dec_h.npy, dec_c.npy f32 [L, 1, H]: the final state
    joint_steps.npy     i64 [S, 2]: (frame, tokens emitted) of the first S = 16 joint
                        evaluations of the greedy decode; joint_logits.npy f32 [S, n_out]
    trace.npy           i64 [E, 4]: every joint evaluation (frame, emitted, argmax token,
                        argmax duration index or -1)
    greedy_tokens.npy greedy_frames.npy (i64 [U]), greedy_durations.npy (tdt),
    greedy_logprobs.npy (f32)
   ctc:
    logprobs.npy        f32 [1, T', V + 1]; greedy_tokens, greedy_frames, greedy_repeats
    facts.json          dimensions, blank, durations, front-end parameters, the joint
                        shaping, decodes (text, token and word offsets), margins, files

Random weights decode degenerately (one token forever, or blanks only). The last joint
(or CTC) layer is therefore shaped, deterministically, after the weights are drawn
(shape_joint): the prediction projection (joint.pred) is scaled by 2, so that the joint
depends on the history; on the encoder output of jfk.wav, the mean of each output of
the last layer (over all frames x the prediction outputs after the blank and after each
of the first 128 tokens; CTC: over the frames) is removed through its bias, and its
weights are scaled so that the token and blank logits have a standard deviation of 3
on average (the durations: 3 too, then the fixed biases -1, 1, 0.5, 0, -0.5 for
durations 0..4); finally a bias beta is added to the blank logit, the first in a grid
(the stored SHAPING value first) for which the greedy decode has 30-90 tokens, >= 15
distinct, no run of one token longer than 3 (transducers), every decision at least 0.01
ahead of the runner-up (token and duration logits), and: tdt every duration used, 0 for
3-30 % of the tokens, tokens on >= 20 frames; rnnt tokens on >= 5 frames, one frame with
2 to 9 tokens; ctc a repeated token. The weights are rounded to float32 before the
decode, so the exported files hold exactly what the references were computed with.
Chosen: tdt beta 2 (69 tokens), rnnt 4 (37 tokens on 5 frames, 3 frames at the
10-symbol limit), ctc 7 (70 tokens).

Exits 77 when torch, numpy or onnx is missing or the audio is absent.
"""
import copy
import json
import os
import shutil
import sys
import tempfile
import time
import warnings

try:
    import numpy as np
    import onnx
    import torch
except ImportError as e:
    print("skip: numpy/onnx/torch not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_frontend_refs as fr  # noqa: E402
import nemo_torch as nt  # noqa: E402
import transducer_decode_ref as dr  # noqa: E402

OPSET = 17
N_STEPS = 16            # joint evaluations kept with their logits
SHORT_LEN = 700         # the masked-length encoder case
MIN_MARGIN = 0.01
SUBSAMPLING = 8
WINDOW_STRIDE = 0.01
PAD_TO = {"tdt": 0, "rnnt": 16, "ctc": 0}
URL = {"tdt": "https://huggingface.co/voce-test/parakeet-tdt-rand",
       "rnnt": "https://huggingface.co/voce-test/fastconformer-rnnt-rand",
       "ctc": "https://huggingface.co/voce-test/fastconformer-ctc-rand",
       "parakeet-tdt": "https://huggingface.co/voce-test/parakeet-tdt-0.6b-rand"}
# Joint shaping, found by the grid search below and stored so that it is tried first.
SHAPING = {"tdt": {"blank_bias": 2.0}, "rnnt": {"blank_bias": 4.0}, "ctc": {"blank_bias": 7.0},
           "parakeet-tdt": {"blank_bias": 2.0}}
BETA_GRID = [x * 0.5 for x in range(0, 29)]
DURATION_BIAS = [-1.0, 1.0, 0.5, 0.0, -0.5]   # added to the centred duration logits [0..4]
PRED_GAIN = 2.0
LOGIT_STD = 3.0


# ------------------------------------------------------------------ reference stepping

class TorchSteps:
    """transducer_decode_ref's steps on the PyTorch model: s = (projected prediction
    output [J], LSTM state, raw prediction output [1, H, 1])."""

    def __init__(self, model, enc):
        self.m = model
        self.f = model.joint.project_encoder(enc)[0]

    def start(self):
        return self.predict(None, self.m.blank)

    def predict(self, s, token):
        state = s[1] if s is not None else self.m.decoder.zero_state(dtype=self.f.dtype)
        g, st = self.m.decoder.predict(token, state)
        return (self.m.joint.project_prednet(g)[0, 0], st, g)

    def joint(self, t, s):
        return self.m.joint.joint_net(self.f[t] + s[0]).numpy()


def decode(model, enc, n_frames):
    c = model.config
    if c["kind"] == "ctc":
        return dr.greedy_ctc(model.decoder(enc)[0].numpy(), n_frames, model.blank)
    steps = TorchSteps(model, enc)
    if c["kind"] == "tdt":
        return dr.greedy_tdt(steps, n_frames, model.blank, model.durations)
    return dr.greedy_rnnt(steps, n_frames, model.blank)


def max_run(tokens):
    best = run = 0
    for i, k in enumerate(tokens):
        run = run + 1 if i and tokens[i - 1] == k else 1
        best = max(best, run)
    return best


def acceptable(kind, hyp):
    """Why the decode is not varied enough to test with, or None."""
    toks = hyp["tokens"]
    if not 30 <= len(toks) <= 90:
        return "%d tokens" % len(toks)
    if len(set(toks)) < 15:
        return "%d distinct tokens" % len(set(toks))
    if kind != "ctc" and max_run(toks) > 3:
        return "a run of %d equal tokens" % max_run(toks)
    margin = min(min(m) for m in hyp["margins"])
    if margin < MIN_MARGIN:
        return "a decision margin of %.4f" % margin
    if kind == "tdt":
        hist = np.bincount(hyp["durations"], minlength=5)
        if (hist == 0).any():
            return "durations used %s" % hist.tolist()
        if not 0.03 <= hist[0] / len(toks) <= 0.3:
            return "%d tokens of duration 0" % hist[0]
    if len(set(hyp["frames"])) < (20 if kind == "tdt" else 5):
        return "tokens on %d frames only" % len(set(hyp["frames"]))
    per_frame = np.bincount(hyp["frames"])
    if kind == "rnnt" and not ((per_frame >= 2) & (per_frame < dr.MAX_SYMBOLS)).any():
        return "no frame with 2 to %d tokens" % (dr.MAX_SYMBOLS - 1)
    if kind == "ctc" and max(hyp["repeats"]) < 2:
        return "no repeats"
    return None


def round_f32(module):
    """Round every parameter to the nearest float32 (kept in float64)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.float().double())


def shape_joint(name, model, enc, n_frames, check=True):
    """Shape the last joint (CTC) layer of the float64 model in place (module doc);
    returns (shaping facts, decode). check=False takes the stored blank bias as it is."""
    c = model.config
    V = model.blank
    with torch.no_grad():
        if c["kind"] == "ctc":
            conv = model.decoder.decoder_layers[0]
            W, b = conv.weight.clone(), conv.bias.clone()
            z = torch.einsum("od,dt->to", W[:, :, 0], enc[0]) + b
            mu, sd = z.mean(0), z.std(0).mean()
            gain = LOGIT_STD / float(sd)
            base_w, base_b = W * gain, (b - mu) * gain
            layer_w, layer_b = conv.weight, conv.bias
        else:
            model.joint.pred.weight.mul_(PRED_GAIN)
            model.joint.pred.bias.mul_(PRED_GAIN)
            f = model.joint.project_encoder(enc)[0]
            st = model.decoder.zero_state(dtype=enc.dtype)
            g0, st0 = model.decoder.predict(V, st)
            gs = [g0] + [model.decoder.predict(k, st0)[0] for k in range(min(V, 128))]
            g = torch.cat([model.joint.project_prednet(x)[0] for x in gs], 0)
            lin = model.joint.joint_net[2]
            W, b = lin.weight.clone(), lin.bias.clone()
            hidden = torch.relu(f[:, None, :] + g[None])          # [T, V + 1, J]
            z = hidden @ W.T
            mu, sd = z.mean((0, 1)), z.std((0, 1))
            gain = torch.full_like(mu, LOGIT_STD / float(sd[:V + 1].mean()))
            if len(model.durations):
                gain[V + 1:] = LOGIT_STD / float(sd[V + 1:].mean())
            base_w = W * gain[:, None]
            base_b = -mu * gain
            if len(model.durations):
                base_b[V + 1:] += torch.tensor(DURATION_BIAS, dtype=base_b.dtype)
            layer_w, layer_b = lin.weight, lin.bias
        tried = []
        for beta in [SHAPING[name]["blank_bias"]] + [x for x in BETA_GRID if x != SHAPING[name]["blank_bias"]]:
            bb = base_b.clone()
            bb[V] += beta
            layer_w.copy_(base_w.reshape(layer_w.shape))
            layer_b.copy_(bb)
            round_f32(model)
            hyp = decode(model, enc, n_frames)
            why = acceptable(c["kind"], hyp) if check else None
            if why is None:
                facts = {"blank_bias": beta, "logit_std": LOGIT_STD, "rejected": tried}
                if c["kind"] != "ctc":
                    facts["pred_gain"] = PRED_GAIN
                    if len(model.durations):
                        facts["duration_bias"] = DURATION_BIAS
                return facts, hyp
            tried.append([beta, why])
    raise RuntimeError("%s: no blank bias gives a usable decode: %s" % (name, tried))


# ------------------------------------------------------------------ ONNX export

def dyn(name, *axes):
    return {a: "%s_dynamic_axes_%d" % (name, i + 1) for i, a in enumerate(axes)}


def export(module, args, path, inputs, outputs, axes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)


def set_metadata(path, meta, external=None):
    m = onnx.load(path)
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, str(v)
    if external:
        onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=external)
    else:
        onnx.save(m, path)


def state_names(layers):
    """The names torch's tracer gives the second LSTM state in NeMo's decoder export."""
    return ("onnx::Slice_3", "162") if layers > 1 else ("onnx::LSTM_3", "74")


def export_encoder(enc_module, feat_in, path):
    x = torch.zeros(1, feat_in, 256)
    n = torch.tensor([200], dtype=torch.int64)
    export(enc_module, (x, n), path, ["audio_signal", "length"], ["outputs", "encoded_lengths"],
           {"audio_signal": dyn("audio_signal", 0, 2), "length": dyn("length", 0),
            "outputs": dyn("outputs", 0, 2), "encoded_lengths": dyn("encoded_lengths", 0)})


def export_transducer(model, d_sherpa, d_asr, external=None):
    """encoder / decoder / joiner (sherpa) and encoder-model / decoder_joint-model
    (onnx-asr) of the float32 model. A model over 2 GB (Parakeet) is exported into a
    scratch directory (torch may write a file per tensor there) and saved with its weights in
    encoder.weights (sherpa) and encoder-model.onnx.data (onnx-asr, as NeMo does)."""
    c = model.config
    L, H, D = c["pred_rnn_layers"], c["pred_hidden"], c["d_model"]
    s2_in, s2_out = state_names(L)
    big = c["d_model"] >= 1024
    asr_enc = os.path.join(d_asr, "encoder-model.onnx")
    sherpa_enc = os.path.join(d_sherpa, "encoder.onnx")
    if big:
        scratch = tempfile.mkdtemp(prefix="nemo-export-")
        try:
            export_encoder(model.encoder, c["feat_in"], os.path.join(scratch, "encoder.onnx"))
            onnx.save(onnx.load(os.path.join(scratch, "encoder.onnx")), asr_enc, save_as_external_data=True,
                      all_tensors_to_one_file=True, location="encoder-model.onnx.data")
        finally:
            shutil.rmtree(scratch)
        shutil.copy(asr_enc, sherpa_enc)  # set_metadata below reads the data beside it
        shutil.copy(asr_enc + ".data", os.path.join(d_sherpa, "encoder-model.onnx.data"))
    else:
        export_encoder(model.encoder, c["feat_in"], asr_enc)
        shutil.copy(asr_enc, sherpa_enc)
    tgt = torch.full((1, 1), model.blank, dtype=torch.int32)
    tl = torch.ones(1, dtype=torch.int32)
    h0, c0 = model.decoder.zero_state()
    export(model.decoder, (tgt, tl, h0, c0), os.path.join(d_sherpa, "decoder.onnx"),
           ["targets", "target_length", "states.1", s2_in], ["outputs", "prednet_lengths", "states", s2_out],
           {"targets": dyn("targets", 0, 1), "target_length": dyn("target_length", 0),
            "states.1": {1: "states.1_dim_1"}, s2_in: {1: s2_in + "_dim_1"},
            "outputs": dyn("outputs", 0, 2), "prednet_lengths": dyn("prednet_lengths", 0),
            "states": dyn("states", 1), s2_out: {1: s2_out + "_dim_1"}})
    eo, do = torch.zeros(1, D, 1), torch.zeros(1, H, 1)
    export(model.joint, (eo, do), os.path.join(d_sherpa, "joiner.onnx"),
           ["encoder_outputs", "decoder_outputs"], ["outputs"],
           {"encoder_outputs": dyn("encoder_outputs", 0, 2), "decoder_outputs": dyn("decoder_outputs", 0, 2),
            "outputs": dyn("outputs", 0, 1, 2)})
    export(nt.RNNTDecoderJoint(model.decoder, model.joint), (eo, tgt, tl, h0, c0),
           os.path.join(d_asr, "decoder_joint-model.onnx"),
           ["encoder_outputs", "targets", "target_length", "input_states_1", "input_states_2"],
           ["outputs", "prednet_lengths", "output_states_1", "output_states_2"],
           {"encoder_outputs": dyn("encoder_outputs", 0, 2), "targets": dyn("targets", 0, 1),
            "target_length": dyn("target_length", 0), "input_states_1": dyn("input_states_1", 1),
            "input_states_2": dyn("input_states_2", 1), "outputs": dyn("outputs", 0, 1, 2),
            "prednet_lengths": dyn("prednet_lengths", 0), "output_states_1": dyn("output_states_1", 1),
            "output_states_2": dyn("output_states_2", 1)})
    set_metadata(sherpa_enc, sherpa_metadata(model), external=external)
    if big:
        os.remove(os.path.join(d_sherpa, "encoder-model.onnx.data"))


def sherpa_metadata(model):
    c = model.config
    name = "parakeet-tdt" if c["d_model"] >= 1024 else c["kind"]
    if c["kind"] == "ctc":
        return {"vocab_size": len(c["vocab"]), "normalize_type": "per_feature",
                "subsampling_factor": SUBSAMPLING, "model_type": "EncDecHybridRNNTCTCBPEModel",
                "version": "1", "model_author": "NeMo", "url": URL[name],
                "comment": "Only the CTC branch is exported", "doc": ""}
    return {"vocab_size": len(c["vocab"]), "normalize_type": "per_feature",
            "pred_rnn_layers": c["pred_rnn_layers"], "pred_hidden": c["pred_hidden"],
            "subsampling_factor": SUBSAMPLING, "model_type": "EncDecRNNTBPEModel", "version": "2",
            "model_author": "NeMo", "url": URL[name], "comment": "Only the transducer branch is exported",
            "feat_dim": c["feat_in"]}


def write_vocab(path, pieces):
    with open(path, "w", encoding="utf-8") as f:
        for i, p in enumerate(pieces):
            f.write("%s %d\n" % (p, i))
        f.write("<blk> %d\n" % len(pieces))


def write_layouts(model, d):
    c = model.config
    d_sherpa, d_asr = os.path.join(d, "sherpa"), os.path.join(d, "onnx-asr")
    os.makedirs(d_sherpa)
    os.makedirs(d_asr)
    m32 = copy.deepcopy(model).float().eval()
    if c["kind"] == "ctc":
        x = torch.zeros(1, c["feat_in"], 256)
        n = torch.tensor([200], dtype=torch.int64)
        path = os.path.join(d_asr, "model.onnx")
        export(m32, (x, n), path, ["audio_signal", "length"], ["logprobs"],
               {"audio_signal": dyn("audio_signal", 0, 2), "length": dyn("length", 0),
                "logprobs": dyn("logprobs", 0, 1)})
        shutil.copy(path, os.path.join(d_sherpa, "model.onnx"))
        set_metadata(os.path.join(d_sherpa, "model.onnx"), sherpa_metadata(m32))
        model_type = "nemo-conformer-ctc"
    else:
        export_transducer(m32, d_sherpa, d_asr, external="encoder.weights" if c["kind"] == "tdt" else None)
        model_type = "nemo-conformer-" + c["kind"]
    write_vocab(os.path.join(d_sherpa, "tokens.txt"), c["vocab"])
    write_vocab(os.path.join(d_asr, "vocab.txt"), c["vocab"])
    with open(os.path.join(d_asr, "config.json"), "w") as f:
        json.dump({"model_type": model_type, "features_size": c["feat_in"], "subsampling_factor": SUBSAMPLING,
                   "max_tokens_per_step": dr.MAX_SYMBOLS}, f, indent=4)


# ------------------------------------------------------------------ references

def features_of(audio, n_mels, pad_to):
    filters = fr.slaney_mel_filters(16000, 512, n_mels)
    x, valid = fr.nemo_mel(audio, filters, 1, torch.float64, pad_to=pad_to)
    return x.T[None].contiguous(), valid


def save(refdir, name, array, dtype):
    np.save(os.path.join(refdir, name + ".npy"), np.ascontiguousarray(np.asarray(array, dtype=dtype)))


def transducer_refs(model, enc, hyp, refdir):
    """The prediction network over the greedy tokens, one token per call from the zero
    state, and the first joint evaluations."""
    V = model.blank
    targets = [V] + hyp["tokens"]
    state = model.decoder.zero_state(dtype=enc.dtype)
    outs = []
    for k in targets:
        g, state = model.decoder.predict(k, state)
        outs.append(g[0, :, 0])
    save(refdir, "dec_targets", [targets], np.int32)
    save(refdir, "dec_out", torch.stack(outs).numpy(), np.float32)
    save(refdir, "dec_h", state[0].numpy(), np.float32)
    save(refdir, "dec_c", state[1].numpy(), np.float32)
    steps = hyp["trace"][:N_STEPS]
    logits = []
    for t, u, _, _ in steps:
        g = outs[u][None, :, None]
        logits.append(model.joint(enc[:, :, t:t + 1], g)[0, 0, 0].numpy())
    save(refdir, "joint_steps", [[t, u] for t, u, _, _ in steps], np.int64)
    save(refdir, "joint_logits", np.stack(logits), np.float32)
    save(refdir, "trace", hyp["trace"], np.int64)
    save(refdir, "greedy_tokens", hyp["tokens"], np.int64)
    save(refdir, "greedy_frames", hyp["frames"], np.int64)
    save(refdir, "greedy_logprobs", hyp["logprobs"], np.float32)
    if hyp["durations"] is not None:
        save(refdir, "greedy_durations", hyp["durations"], np.int64)


def layout_files(c):
    if c["kind"] == "ctc":
        return {"sherpa": ["model.onnx", "tokens.txt"], "onnx-asr": ["model.onnx", "vocab.txt", "config.json"]}
    enc = ["encoder.onnx"] + (["encoder.weights"] if c["kind"] == "tdt" else [])
    asr = ["encoder-model.onnx"] + (["encoder-model.onnx.data"] if c["d_model"] >= 1024 else [])
    return {"sherpa": enc + ["decoder.onnx", "joiner.onnx", "tokens.txt"],
            "onnx-asr": asr + ["decoder_joint-model.onnx", "vocab.txt", "config.json"]}


def finite(x):
    """x as a float, or None when infinite (JSON has no infinity)."""
    return float(x) if np.isfinite(x) else None


def facts_of(name, model, audio_path, n_samples, feats, valid, enc_len, short_enc_len, shaping, hyp):
    c = model.config
    kind = c["kind"]
    dims = {k: c[k] for k in ("feat_in", "d_model", "n_layers", "n_heads", "ff_expansion", "conv_kernel",
                              "sub_channels", "xscaling", "mask_subsampling", "pos_emb_max_len")}
    if kind != "ctc":
        dims.update({k: c[k] for k in ("pred_hidden", "pred_rnn_layers", "joint_hidden")})
    n_out = len(c["vocab"]) + 1 + len(model.durations if kind != "ctc" else [])
    greedy = {"tokens": hyp["tokens"], "frames": hyp["frames"], "text": dr.text(hyp, c["vocab"]),
              "token_offsets": dr.token_offsets(hyp, c["vocab"], kind),
              "words": dr.word_offsets(hyp, c["vocab"], kind, WINDOW_STRIDE, SUBSAMPLING),
              "evaluations": len(hyp["trace"]) if kind != "ctc" else None}
    if kind == "tdt":
        greedy.update(durations=hyp["durations"], variant="label_looping",
                      same_as_frame_variant=True)
    if kind == "ctc":
        greedy["repeats"] = hyp["repeats"]
    margins = np.array(hyp["margins"])
    return {
        "model": name, "kind": kind, "dims": dims, "vocab_size": len(c["vocab"]), "blank": model.blank,
        "pieces": c["vocab"],
        "n_outputs": n_out, "durations": list(model.durations) if kind == "tdt" else [],
        "max_symbols": dr.MAX_SYMBOLS, "subsampling_factor": SUBSAMPLING, "window_stride": WINDOW_STRIDE,
        "features": {"kind": "nemo", "sample_rate": 16000, "n_mels": c["feat_in"], "n_fft": 512,
                     "win_length": 400, "hop_length": 160, "window": "hann, symmetric", "preemph": 0.97,
                     "mag_power": 2.0, "log": "ln(x + 2^-24)", "normalize": "per_feature",
                     "dither": 0.0, "pad_to": PAD_TO.get(name, 0), "layout": "[1, n_mels, frames]"},
        "audio": audio_path, "n_samples": n_samples, "feature_frames": int(feats.shape[2]),
        "valid_frames": int(valid), "encoder_frames": int(enc_len), "short_len": SHORT_LEN,
        "short_encoder_frames": int(short_enc_len), "joint_shaping": shaping, "greedy": greedy,
        "min_margin": {"token": finite(margins[:, 0].min()), "duration": finite(margins[:, 1].min())},
        "files": layout_files(c), "sherpa_metadata": {k: str(v) for k, v in sherpa_metadata(model).items()},
        "seed": c["seed"],
    }


def make_model(name, audio, audio_path, out):
    c = nt.CONFIGS[name]
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    refdir = os.path.join(d, "ref")
    os.makedirs(refdir)
    model = nt.build(name).double()
    feats, valid = features_of(audio, c["feat_in"], PAD_TO[name])
    length = torch.tensor([valid], dtype=torch.int64)
    with torch.no_grad():
        enc, enc_len = model.encoder(feats, length)
        shaping, hyp = shape_joint(name, model, enc, int(enc_len[0]))
        if c["kind"] == "tdt":
            other = dr.greedy_tdt(TorchSteps(model, enc), int(enc_len[0]), model.blank, model.durations,
                                  variant="frame")
            if other["tokens"] != hyp["tokens"] or other["durations"] != hyp["durations"]:
                raise RuntimeError("tdt: the two NeMo TDT variants disagree on this decode")
        short = torch.tensor([SHORT_LEN], dtype=torch.int64)
        enc_s, enc_len_s = model.encoder(feats, short)
        save(refdir, "features", feats.numpy(), np.float32)
        save(refdir, "features_len", length.numpy(), np.int64)
        save(refdir, "encoder_out", enc.numpy(), np.float32)
        save(refdir, "encoder_len", enc_len.numpy(), np.int64)
        save(refdir, "short_len", short.numpy(), np.int64)
        save(refdir, "encoder_out_short", enc_s.numpy(), np.float32)
        save(refdir, "encoder_len_short", enc_len_s.numpy(), np.int64)
        if c["kind"] == "ctc":
            save(refdir, "logprobs", model.decoder(enc).numpy(), np.float32)
            save(refdir, "logprobs_short", model.decoder(enc_s).numpy(), np.float32)
            save(refdir, "greedy_tokens", hyp["tokens"], np.int64)
            save(refdir, "greedy_frames", hyp["frames"], np.int64)
            save(refdir, "greedy_repeats", hyp["repeats"], np.int64)
        else:
            transducer_refs(model, enc, hyp, refdir)
        write_layouts(model, d)
    facts = facts_of(name, model, audio_path, audio.size, feats, valid, enc_len[0], enc_len_s[0], shaping, hyp)
    with open(os.path.join(refdir, "facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1, ensure_ascii=False)
    return facts


def make_parakeet(audio, audio_path, out):
    """The Parakeet-0.6B-shaped TDT for benchmarks: both layouts, the features of jfk.wav
    and facts. The joint is shaped as for the test models, with the stored blank bias
    and no acceptance test (the criteria are for the 128-piece vocabulary)."""
    name = "parakeet-tdt"
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    refdir = os.path.join(d, "ref")
    os.makedirs(refdir)
    model = nt.build_parakeet("tdt")
    c = model.config
    feats, valid = features_of(audio, c["feat_in"], 0)
    with torch.no_grad():
        enc, enc_len = model.encoder(feats.float(), torch.tensor([valid]))
        # the encoder stays float32 (float64 would double 2.4 GB); the heads are small
        model.decoder.double()
        model.joint.double()
        shaping, hyp = shape_joint(name, model, enc.double(), int(enc_len[0]), check=False)
        model.float()
    write_layouts(model, d)
    save(refdir, "features", feats.numpy(), np.float32)
    save(refdir, "features_len", [valid], np.int64)
    facts = {"model": name, "config": {k: v for k, v in c.items() if k != "vocab"}, "pieces": c["vocab"],
             "vocab_size": len(c["vocab"]), "blank": model.blank, "durations": model.durations,
             "joint_shaping": shaping, "greedy_tokens_jfk": len(hyp["tokens"]), "valid_frames": int(valid),
             "encoder_frames": int(enc_len[0]), "files": layout_files(c),
             "sherpa_metadata": {k: str(v) for k, v in sherpa_metadata(model).items()}}
    with open(os.path.join(refdir, "facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1, ensure_ascii=False)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = [a for a in argv if a.startswith("--")]
    if not args or any(f != "--parakeet" for f in flags):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out = args[0]
    data = args[1] if len(args) > 1 else os.environ.get(
        "VOCE_TEST_DATA", os.path.join(HERE, "..", "..", "..", "shared"))
    audio_path = os.path.join(data, "audio", "jfk.wav")
    if not os.path.isfile(audio_path):
        print("skip: %s not found" % audio_path)
        return 77
    torch.set_num_threads(1)  # 2 threads spin-wait on a loaded 2-core machine: slower
    audio, rate = fr.read_wav(audio_path)
    if rate != 16000:
        print("error: %s is not 16 kHz" % audio_path, file=sys.stderr)
        return 1
    t0 = time.time()
    if "--parakeet" in flags:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        make_parakeet(audio, "audio/jfk.wav", out)
        print("parakeet-tdt: %s written (%.1f s)" % (os.path.join(out, "parakeet-tdt"), time.time() - t0))
        return 0
    for name in ("tdt", "rnnt", "ctc"):
        facts = make_model(name, audio, "audio/jfk.wav", out)
        g = facts["greedy"]
        print("%s: %d tokens, %s (%.1f s)" % (name, len(g["tokens"]), g["text"][:60], time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
