#!/usr/bin/env python3
"""Random-weight NeMo TDT models for bench/transducer_peers.sh, in sherpa-onnx's and
onnx-asr's layouts, written by tests/ref/gen_transducer_layouts.py's code.

usage: transducer_models.py OUTDIR SHAPE [DATA_DIR]

SHAPE  small     FastConformer TDT of NeMo's "small" Conformer size: 128 mels, d_model 256,
                 16 layers, 4 heads, FF 1024, conv kernel 9, subsampling 256 channels,
                 1024 tokens, prediction net 320 x 1 LSTM layer, joint 320, durations
                 [0..4] (28 M parameters, 110 MB of float32).
       parakeet  Parakeet-TDT-0.6B's shape (tests/ref/nemo_torch.parakeet_config: d_model
                 1024, 24 layers, 8 heads, prediction net 640 x 2, about 0.6 G
                 parameters, 2.4 GB): the same as gen_transducer_layouts.py --parakeet.
Writes OUTDIR/SHAPE/{sherpa,onnx-asr}/ and OUTDIR/SHAPE/facts.json. The joint is shaped
as for the test models (gen_transducer_layouts.shape_joint with the stored blank bias of
2, no acceptance test), so that greedy decodes emit a varied stream of tokens rather than
blanks only. DATA_DIR (default $VOCE_TEST_DATA, else ../shared) must hold
audio/jfk.wav (the shaping is fitted on its encoder output). Exit 77 without torch/onnx.
"""
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "ref"))
try:
    import torch
    import gen_transducer_layouts as gen  # noqa: E402
    import nemo_torch as nt  # noqa: E402
except ImportError as e:
    print("skip: torch/onnx/numpy not available (%s)" % e)
    sys.exit(77)


def config(shape):
    c = nt.parakeet_config("tdt")
    if shape == "small":
        c.update(d_model=256, n_layers=16, n_heads=4, sub_channels=256, pred_hidden=320, pred_rnn_layers=1,
                 joint_hidden=320, seed=601)
    elif shape != "parakeet":
        raise SystemExit("transducer_models.py: unknown shape %r (small, parakeet)" % shape)
    return c


def make(shape, audio, out):
    c = config(shape)
    d = os.path.join(out, shape)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    model = nt.build_from_config(c)
    feats, valid = gen.features_of(audio, c["feat_in"], 0)
    with torch.no_grad():
        enc, enc_len = model.encoder(feats.float(), torch.tensor([valid]))
        model.decoder.double()
        model.joint.double()
        # "parakeet-tdt" names the stored shaping (blank bias 2) for both shapes
        shaping, hyp = gen.shape_joint("parakeet-tdt", model, enc.double(), int(enc_len[0]), check=False)
        model.float()
    gen.write_layouts(model, d)
    n_params = sum(p.numel() for p in model.parameters())
    facts = {"shape": shape, "config": {k: v for k, v in c.items() if k != "vocab"}, "parameters": n_params,
             "joint_shaping": shaping, "greedy_tokens_jfk": len(hyp["tokens"]),
             "sherpa_metadata": {k: str(v) for k, v in gen.sherpa_metadata(model).items()}}
    with open(os.path.join(d, "facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1)
    return facts


def main(argv):
    if len(argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out, shape = argv[0], argv[1]
    data = argv[2] if len(argv) > 2 else os.environ.get("VOCE_TEST_DATA", os.path.join(HERE, "..", "..", "shared"))
    path = os.path.join(data, "audio", "jfk.wav")
    if not os.path.isfile(path):
        print("skip: %s not found" % path)
        return 77
    audio, rate = gen.fr.read_wav(path)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    t0 = time.time()
    facts = make(shape, audio, out)
    print("%s: %d parameters, %d tokens on jfk.wav, written to %s (%.0f s)"
          % (shape, facts["parameters"], facts["greedy_tokens_jfk"], os.path.join(out, shape), time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
