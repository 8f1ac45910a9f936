#!/usr/bin/env python3
"""Speed of the reference front ends in torch, single thread, on the samples
bench_features wrote (--write-audio): the counterpart of bench/bench_features.c.

usage: features_torch_bench.py AUDIO.npy [RUNS]

  whisper80  openai-whisper's log_mel_spectrogram as written in whisper/audio.py:
             torch.stft(400, 160, periodic Hann, centred, reflect), |.|^2 of all but the
             last frame, the 80 mel filters of mel_filters.npz, log10, max - 8, (x + 4) / 4
  nemo80     NeMo's FilterbankFeatures at inference as tests/ref/gen_frontend_refs.py
             writes it (pre-emphasis, torch.stft 512/160/400 constant padding, Slaney
             mel, ln(x + 2^-24), per-feature normalisation, mask, pad to 16)
  fbank80    torchaudio.compliance.kaldi.fbank(num_mel_bins=80, dither=0)

float32, torch.set_num_threads(1), the whole input in one call (what whisper and NeMo
do with a long file), the filters made beforehand. Prints one line per front end in
bench_features' key=value form. A front end whose package is missing prints a line
saying so.
"""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import gen_frontend_refs as ref  # noqa: E402

SR = 16000


def timed(fn, runs):
    ts = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
        del out
    ts.sort()
    return ts


def main(argv):
    if not argv:
        print("usage: features_torch_bench.py AUDIO.npy [RUNS]", file=sys.stderr)
        return 2
    x = np.load(argv[0]).astype(np.float32)
    runs = int(argv[1]) if len(argv) > 1 else 3
    data = os.environ.get("VOCE_TEST_DATA", "../shared")
    torch.set_num_threads(1)
    secs = x.size / SR
    with np.load(os.path.join(data, "models", "whisper-assets", "mel_filters.npz")) as f:
        w80 = f["mel_80"].astype(np.float32)
    n80 = ref.slaney_mel_filters(SR, 512, 80)
    jobs = [("whisper80", lambda: ref.whisper_mel(x, w80, 0, torch.float32)[0]),
            ("nemo80", lambda: ref.nemo_mel(x, n80, 1, torch.float32)[0])]
    if ref.kaldi is not None:
        jobs.append(("fbank80", lambda: ref.kaldi_fbank(x, torch.float32)))
    else:
        print("engine=torch frontend=fbank80 missing=torchaudio (%s)" % ref.KALDI_ERR)
    with torch.no_grad():
        for name, fn in jobs:
            frames = fn().shape[0]
            ts = timed(fn, runs)
            print("engine=torch frontend=%s path=offline audio_s=%.1f frames=%d runs=%d best_s=%.4f median_s=%.4f "
                  "rtf=%.6f torch=%s" % (name, secs, frames, runs, ts[0], ts[len(ts) // 2], ts[0] / secs,
                                         torch.__version__))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
