#!/usr/bin/env python3
"""References for long audio with NeMo transducer / CTC programs (voce's windows:
src/models/transducer/chunk.c, docs/transducer.md "Long audio"), read by
tests/test_transducer_long.c.

usage: gen_transducer_long.py OUTDIR [DATA_DIR]

The algorithm, as voce runs it and as this file computes it again in PyTorch (float64):
NeMo's log-mel of the whole input, per-feature normalised over all of it; windows of
feature frames [max(0, c - X), min(T, c + C + X)) for chunk starts c = 0, C, 2C, ...
(C the chunk, X the context, both whole encoder frames of 8 feature frames), the last
window the first that reaches the end; each window through the encoder alone (its
length = its frames); of its output, the frames of its chunk kept: from (c - start) / 8,
C / 8 of them (the last window: to its end); the kept frames side by side are the input's
encoder output, and NeMo's greedy decode (transducer_decode_ref) runs over them as over
one utterance.

OUTDIR/windows/{tdt,ctc}/: the test models of gen_transducer_layouts.py (rebuilt from
their seeds and joint shaping: the same weights as the exports the C test compiles) on
LONG_INPUT with CONTEXT_S and the first chunk of CHUNKS_S across whose borders the decode
carries something (a CTC token's run of frames; a TDT jump over a border's frame):
  sizes.npy       f64 [chunk_s, context_s]
  kept.npy        f32 [D, T'] (CTC: log-probs [T', V + 1]): the kept encoder frames
  tokens.npy, frames.npy, durations.npy (TDT; CTC: the repeats), i64: the greedy decode
  offsets.npy     i64 [U, 2]: the token offsets (start, end) after NeMo's refinement
  facts.json      the input recipe, sizes, windows, the smallest decision margin

OUTDIR/local/: a TDT model whose outputs depend on nearby audio only, so that "the
transcript of a long input equals the concatenation of its parts, where chunk borders
fall in silence" holds exactly and is tested (random weights otherwise make every output
depend on the whole window, the normalisation and the prediction state): the tdt test
model with its attention output projections zeroed (the encoder sees +-1.05 s: 15
feature frames of subsampling, 3 layers of kernel-9 convolutions), no feature
normalisation (the features of a frame are its samples'), and a joint that ignores the
prediction network (joint.pred zeroed), shaped by shape_local on the PARTS (alone and
joined): centred and scaled as the test models' joints, a silence detector added to the
blank and duration-1 logits, so that silence is blanks of duration 1 and each part's
speech gives 15 to 120 tokens. Its exports (sherpa layout, normalize_type "None") are in
local/sherpa; local/ref/parts.json holds the decodes of the parts alone, checked here to
equal the decode of the joined parts in windows of the defaults (20 s, 4 s): the same
tokens, frames shifted by the part's start.

Exits 77 when torch, numpy or onnx is missing or the audio is absent.
"""
import copy
import json
import os
import shutil
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    print("skip: numpy/torch not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_transducer_layouts as gl  # noqa: E402  (exits 77 itself without torch/onnx)
import nemo_torch as nt  # noqa: E402
import transducer_decode_ref as dr  # noqa: E402
import gen_frontend_refs as fr  # noqa: E402

SUB = 8
CHUNKS_S = [4.0, 3.2, 4.8, 2.4, 5.6, 3.6, 4.4]  # chunks tried (50, 40, ... encoder frames)
CONTEXT_S = 1.6                          # 20 encoder frames
MIN_MARGIN = 2e-3                        # every decision (token, duration) this far ahead
PART_S, PAD_S = 20.0, 4.5                # local: each part is PAD_S of zeros, speech, zeros
LOCAL_MARGIN = 0.001
SILENCE_GUARD = 120                      # feature frames (1.2 s) from speech still counted as near it


def long_input(jfk):
    """LONG_INPUT: jfk.wav, 1.5 s of zeros, jfk.wav backwards at half level (23.5 s)."""
    return np.concatenate([jfk, np.zeros(24000), 0.5 * jfk[::-1]])


def parts(jfk):
    """The local model's parts: PAD_S of zeros, then jfk.wav (forwards; backwards; forwards
    at a quarter of its level), zeros to PART_S."""
    n = int(PART_S * 16000)
    out = []
    for sig in (jfk, jfk[::-1].copy(), 0.25 * jfk):
        p = np.zeros(n)
        s = int(PAD_S * 16000)
        p[s:s + sig.size] = sig
        out.append(p)
    return out


def frames(seconds):
    return int(round(seconds * 100 / SUB)) * SUB


def windows(n_feat, chunk, ctx):
    out, c = [], 0
    while True:
        ws, we = max(0, c - ctx), c + chunk + ctx
        last = we >= n_feat
        out.append((ws, min(we, n_feat), c, last))
        if last:
            return out
        c += chunk


def encode_windows(model, feats, n_feat, chunk, ctx, head=None):
    """The kept encoder frames [1, D, T'] (head: CTC log-probs [1, T', V + 1])."""
    kept = []
    for ws, we, c, last in windows(n_feat, chunk, ctx):
        enc, n = model.encoder(feats[:, :, ws:we], torch.tensor([we - ws]))
        j0 = (c - ws) // SUB
        j1 = int(n[0]) if last else j0 + chunk // SUB
        kept.append(enc[:, :, j0:j1])
    enc = torch.cat(kept, 2)
    return enc if head is None else head(enc)


def decode(model, kind, enc):
    if kind == "ctc":
        return dr.greedy_ctc(enc[0].numpy(), enc.shape[1], model.blank)
    return dr.greedy_tdt(gl.TorchSteps(model, enc), enc.shape[2], model.blank, model.durations)


def shaped(name, jfk):
    """A test model of gen_transducer_layouts with its joint shaped as there."""
    c = nt.CONFIGS[name]
    model = nt.build(name).double()
    feats, valid = gl.features_of(jfk, c["feat_in"], gl.PAD_TO[name])
    enc, n = model.encoder(feats, torch.tensor([valid]))
    gl.shape_joint(name, model, enc, int(n[0]))
    return model


def borders_crossed(kind, hyp, n_feat, chunk, ctx):
    """Chunk borders (encoder frames) that the decode carries something across: CTC a
    token's run of frames, TDT a jump over the border's frame (no evaluation at it)."""
    borders = [c // SUB for _, _, c, _ in windows(n_feat, chunk, ctx)[1:]]
    if kind == "ctc":
        runs = [(f, f + r) for f, r in zip(hyp["frames"], hyp["repeats"])]
        return [b for b in borders if any(a < b < e for a, e in runs)]
    seen = {t for t, _, _, _ in hyp["trace"]}
    return [b for b in borders if b not in seen]


def write_windows(out, name, jfk):
    """The first chunk of CHUNKS_S for which the decode carries something across a
    border (borders_crossed) and every decision is MIN_MARGIN ahead (float32 and other
    machines then decide alike)."""
    d = os.path.join(out, "windows", name)
    os.makedirs(d)
    model = shaped(name, jfk)
    c = model.config
    audio = long_input(jfk)
    feats, valid = gl.features_of(audio, c["feat_in"], 0)
    ctx = frames(CONTEXT_S)
    head = model.decoder if c["kind"] == "ctc" else None
    for chunk_s in CHUNKS_S:
        chunk = frames(chunk_s)
        enc = encode_windows(model, feats, valid, chunk, ctx, head)
        hyp = decode(model, c["kind"], enc)
        crossed = borders_crossed(c["kind"], hyp, valid, chunk, ctx)
        margin = min(min(m) for m in hyp["margins"])
        if crossed and margin >= MIN_MARGIN:
            break
    else:
        raise RuntimeError("%s: no chunk size carries the decode across a border with margins >= %g"
                           % (name, MIN_MARGIN))
    np.save(os.path.join(d, "sizes.npy"), np.array([chunk_s, CONTEXT_S], np.float64))
    np.save(os.path.join(d, "kept.npy"), enc[0].numpy().astype(np.float32))
    np.save(os.path.join(d, "tokens.npy"), np.array(hyp["tokens"], np.int64))
    np.save(os.path.join(d, "frames.npy"), np.array(hyp["frames"], np.int64))
    extra = hyp["repeats"] if c["kind"] == "ctc" else hyp["durations"]
    np.save(os.path.join(d, "durations.npy"), np.array(extra, np.int64))
    offs = dr.token_offsets(hyp, c["vocab"], c["kind"])
    np.save(os.path.join(d, "offsets.npy"), np.array([[o["start_offset"], o["end_offset"]] for o in offs], np.int64))
    facts = {"model": name, "input": "jfk, 24000 zeros, 0.5 * jfk reversed", "n_samples": int(audio.size),
             "chunk_s": chunk_s, "context_s": CONTEXT_S, "feature_frames": int(valid),
             "encoder_frames": int(enc.shape[1] if c["kind"] == "ctc" else enc.shape[2]),
             "windows": windows(valid, chunk, ctx), "borders_crossed": crossed, "tokens": len(hyp["tokens"]),
             "text": dr.text(hyp, c["vocab"]), "min_margin": margin}
    with open(os.path.join(d, "facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1, ensure_ascii=False)
    return facts


# ------------------------------------------------------------------ the local model

def local_model():
    model = nt.build("tdt").double()
    with torch.no_grad():
        for layer in model.encoder.layers:
            layer.self_attn.linear_out.weight.zero_()
            layer.self_attn.linear_out.bias.zero_()
        model.joint.pred.weight.zero_()
        model.joint.pred.bias.zero_()
    return model


def unnormalised(audio, n_mels):
    x, valid = fr.nemo_mel(audio, fr.slaney_mel_filters(16000, 512, n_mels), 0, torch.float64, pad_to=0)
    return x.T[None].contiguous(), valid


def one_pass(model, audio):
    feats, valid = unnormalised(audio, model.config["feat_in"])
    enc, n = model.encoder(feats, torch.tensor([valid]))
    return enc[:, :, :int(n[0])]


def speech_frames(audio):
    """Encoder frames within SILENCE_GUARD feature frames of a non-zero sample."""
    nz = np.nonzero(audio)[0]
    a, b = nz[0] // 160 - SILENCE_GUARD, nz[-1] // 160 + SILENCE_GUARD
    return max(0, a // SUB), b // SUB + 1


def check_part(model, hyp, audio, n_frames):
    """Why the decode of a part does not suit the test, or None."""
    a, b = speech_frames(audio)
    steps = hyp["trace"]
    for t, _, k, d in steps:
        if (t < a or t >= b) and (k != model.blank or model.durations[d] != 1):
            return "frame %d of silence: token %d, duration index %d" % (t, k, d)
    if not 15 <= len(hyp["tokens"]) <= 120:
        return "%d tokens" % len(hyp["tokens"])
    if min(min(m) for m in hyp["margins"]) < LOCAL_MARGIN:
        return "a margin of %.4f" % min(min(m) for m in hyp["margins"])
    return None


def shape_local(model, encs, audios, long_enc, long_audio):
    """The last joint layer: centred and scaled on the parts as the test models' joints;
    then the blank logit and the logit of duration 1 each get K x a silence detector: a
    least-squares linear score of the joint's hidden vector, +1 on the frames of silence
    (of the parts alone and of the long input; their edges included, where the padding
    differs), -1 on the others; finally both are raised by what the frames of silence
    still need to pick them, plus a step delta, the first delta that suits the test
    (check_part)."""
    V, K = model.blank, 8.0
    with torch.no_grad():
        g = model.joint.project_prednet(model.decoder.predict(V, model.decoder.zero_state(dtype=long_enc.dtype))[0])[0]
        hid = [torch.relu(model.joint.project_encoder(e)[0] + g) for e in encs + [long_enc]]
        hidden = torch.cat(hid, 0)
        silent = torch.cat([silence_mask(a, e.shape[2]) for a, e in zip(audios + [long_audio], encs + [long_enc])])
        lin = model.joint.joint_net[2]
        z = hidden @ lin.weight.T
        mu, sd = z.mean(0), z.std(0)
        gain = torch.full_like(mu, gl.LOGIT_STD / float(sd[:V + 1].mean()))
        gain[V + 1:] = gl.LOGIT_STD / float(sd[V + 1:].mean())
        base_w, base_b = lin.weight * gain[:, None], -mu * gain
        base_b[V + 1:] += torch.tensor(gl.DURATION_BIAS, dtype=base_b.dtype)
        x = torch.cat([hidden, torch.ones(hidden.shape[0], 1, dtype=hidden.dtype)], 1)
        y = silent.to(hidden.dtype) * 2 - 1
        sol = torch.linalg.solve(x.T @ x + 1e-3 * torch.eye(x.shape[1], dtype=x.dtype), x.T @ y)
        for row in (V, V + 2):
            base_w[row] += K * sol[:-1]
            base_b[row] += K * sol[-1]
        zq = (hidden @ base_w.T + base_b)[silent]
        need_blank = float((zq[:, :V].max(1).values - zq[:, V]).max())
        dur = zq[:, V + 1:]
        need_d1 = float((torch.cat([dur[:, :1], dur[:, 2:]], 1).max(1).values - dur[:, 1]).max())
        tried = []
        for delta in [0.1 * k for k in range(1, 41)]:
            b = base_b.clone()
            b[V] += max(need_blank, 0.0) + delta
            b[V + 2] += max(need_d1, 0.0) + delta
            lin.weight.copy_(base_w)
            lin.bias.copy_(b)
            gl.round_f32(model)
            hyps = [decode(model, "tdt", e) for e in encs]
            why = next((w for w in (check_part(model, h, a, e.shape[2]) for h, a, e in zip(hyps, audios, encs))
                        if w), None)
            if why is None:
                return delta, hyps, tried
            tried.append([delta, why])
    raise RuntimeError("local: no bias suits the test: %s (need %.2f, %.2f)" % (tried, need_blank, need_d1))


def silence_mask(audio, n_frames):
    a, b = speech_frames(audio)
    t = torch.arange(n_frames)
    return (t < a) | (t >= b)


def write_local(out, jfk):
    d = os.path.join(out, "local")
    ref = os.path.join(d, "ref")
    os.makedirs(ref)
    model = local_model()
    audios = parts(jfk)
    with torch.no_grad():
        encs = [one_pass(model, a) for a in audios]
        whole = np.concatenate(audios)
        beta, hyps, tried = shape_local(model, encs, audios, one_pass(model, whole), whole)
        # the long input through windows (the defaults: 20 s, 4 s): the parts' decodes joined
        feats, valid = unnormalised(whole, model.config["feat_in"])
        enc = encode_windows(model, feats, valid, frames(20.0), frames(4.0))
        long_hyp = decode(model, "tdt", enc)
    per_part = int(PART_S * 100 / SUB)
    joined = {"tokens": [], "frames": []}
    for i, h in enumerate(hyps):
        joined["tokens"] += h["tokens"]
        joined["frames"] += [t + i * per_part for t in h["frames"]]
    if joined["tokens"] != long_hyp["tokens"] or joined["frames"] != long_hyp["frames"]:
        raise RuntimeError("local: the long input does not decode to its parts")
    m32 = copy.deepcopy(model).float().eval()
    sherpa, scratch = os.path.join(d, "sherpa"), os.path.join(d, "scratch")
    os.makedirs(sherpa)
    os.makedirs(scratch)
    gl.export_transducer(m32, sherpa, scratch)
    shutil.rmtree(scratch)
    meta = gl.sherpa_metadata(m32)
    meta["normalize_type"] = "None"
    gl.set_metadata(os.path.join(sherpa, "encoder.onnx"), meta)
    gl.write_vocab(os.path.join(sherpa, "tokens.txt"), model.config["vocab"])
    facts = {"parts": [{"text": dr.text(h, model.config["vocab"]), "tokens": h["tokens"], "frames": h["frames"]}
                       for h in hyps],
             "part_s": PART_S, "pad_s": PAD_S, "blank_bias": beta, "rejected": tried,
             "long_tokens": len(long_hyp["tokens"])}
    with open(os.path.join(ref, "parts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1, ensure_ascii=False)
    return facts


def main(argv):
    if not argv:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out = argv[0]
    data = argv[1] if len(argv) > 1 else os.environ.get("VOCE_TEST_DATA", os.path.join(HERE, "..", "..", "..", "shared"))
    path = os.path.join(data, "audio", "jfk.wav")
    if not os.path.isfile(path):
        print("skip: %s not found" % path)
        return 77
    torch.set_num_threads(1)
    jfk, rate = fr.read_wav(path)
    if os.path.isdir(out):
        shutil.rmtree(out)
    with torch.no_grad():
        for name in ("tdt", "ctc"):
            f = write_windows(out, name, jfk)
            print("%s: chunk %g s, %d windows, %d tokens, margin %.2g, carried across the borders at %s"
                  % (name, f["chunk_s"], len(f["windows"]), f["tokens"], f["min_margin"], f["borders_crossed"]))
    f = write_local(out, jfk)
    print("local: blank bias %g, parts of %s tokens" % (f["blank_bias"], [len(p["tokens"]) for p in f["parts"]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
