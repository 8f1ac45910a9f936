#!/usr/bin/env python3
"""References for tests/test_dsp.c (FFT, windows, mel filterbanks).

usage: gen_dsp_refs.py OUTDIR [TEST_DATA_DIR]

Writes into OUTDIR:
  fft_<kind>_<n>.in.npy   float32 [n]           the input (kind: rand, impulse, dc, nyq)
  fft_<kind>_<n>.out.npy  float64 [n//2+1, 2]   numpy.fft.rfft of it in double (re, im)
  win_<name>_<n>.npy      float64 [n]           torch windows in float64; Povey by its
                                                formula in numpy
  mel_scale.npy           float64 [k, 3]        hz, librosa's hz_to_mel (Slaney), HTK mel
  mel_<i>.npy             float64 [n_mels, n_fft//2+1]  librosa.filters.mel, transcribed
  mel_cases.txt           i sr n_fft n_mels fmin fmax scale(slaney|htk) norm(slaney|none)
  whisper_mel_<80|128>.npy float32             mel_filters.npz's arrays (only when the
                                                file is under TEST_DATA_DIR)
  kaldi_<i>.npy           float64 [n_mels, n_fft//2+1]  get_mel_banks transcribed in
                                                double numpy, Nyquist column zero
  kaldi_<i>.ta.npy        float32               torchaudio's get_mel_banks, padded, when
                                                torchaudio is installed
  kaldi_cases.txt         i sr n_fft n_mels low high

The librosa and Kaldi constructions are written out here from their published
sources (librosa.filters.mel, librosa.core.convert; torchaudio 0.13
compliance/kaldi.py); the transcription of librosa is checked against Whisper's
mel_filters.npz when present. Fixed seeds. Exits 77 when numpy is missing.
"""
import math
import os
import sys

try:
    import numpy as np
except ImportError as e:
    print("skip: numpy is not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)
try:
    import torch
except ImportError:
    torch = None
try:
    import torchaudio.compliance.kaldi as ta_kaldi
except Exception:  # missing, or a build that does not match torch
    ta_kaldi = None

# the front ends' sizes, primes (Bluestein), and shapes that reach every path: odd smooth
# (375), half-length odd (6, 10, 30, 250), half-length Bluestein (14, 194, 802)
FFT_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 30, 60, 64, 97, 160, 194, 250, 256, 320,
             375, 400, 401, 480, 512, 802, 1000, 1021, 1024, 2048]
WIN_SIZES = [1, 2, 3, 16, 400, 401, 512]


# ---- librosa's mel, transcribed (librosa/core/convert.py, librosa/filters.py) ----

def hz_to_mel(f, htk):
    f = np.asanyarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz,
                    min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, mels)


def mel_to_hz(m, htk):
    m = np.asanyarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def librosa_mel(sr, n_fft, n_mels, fmin, fmax, htk, slaney_norm):
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    if slaney_norm:
        enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
        weights *= enorm[:, np.newaxis]
    return weights.astype(np.float64)


# ---- torchaudio.compliance.kaldi.get_mel_banks, transcribed in double ----

def kaldi_mel(f):
    return 1127.0 * np.log(1.0 + np.asanyarray(f, dtype=np.float64) / 700.0)


def kaldi_banks(sr, n_fft, n_mels, low, high):
    nyquist = 0.5 * sr
    if high <= 0.0:
        high += nyquist
    width = sr / n_fft
    mlo, mhi = kaldi_mel(low), kaldi_mel(high)
    delta = (mhi - mlo) / (n_mels + 1)
    b = np.arange(n_mels, dtype=np.float64)[:, None]
    left, center, right = mlo + b * delta, mlo + (b + 1.0) * delta, mlo + (b + 2.0) * delta
    mel = kaldi_mel(width * np.arange(n_fft // 2, dtype=np.float64))[None, :]
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    banks = np.maximum(0.0, np.minimum(up, down))
    return np.pad(banks, ((0, 0), (0, 1)))


def main():
    out = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else None
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240604)

    for n in FFT_SIZES:
        sigs = {
            "rand": rng.standard_normal(n).astype(np.float32),
            "impulse": np.eye(1, n, min(1, n - 1), dtype=np.float32)[0],
            "dc": np.full(n, 0.75, dtype=np.float32),
            "nyq": np.cos(np.pi * np.arange(n)).astype(np.float32),
        }
        for kind, x in sigs.items():
            X = np.fft.rfft(x.astype(np.float64))
            np.save(os.path.join(out, "fft_%s_%d.in.npy" % (kind, n)), x)
            np.save(os.path.join(out, "fft_%s_%d.out.npy" % (kind, n)),
                    np.stack([X.real, X.imag], axis=1))

    for n in WIN_SIZES:
        i = np.arange(n, dtype=np.float64)
        wins = {}
        if torch is not None:
            f64 = torch.float64
            wins["hann"] = torch.hann_window(n, periodic=True, dtype=f64).numpy()
            wins["hann_symmetric"] = torch.hann_window(n, periodic=False, dtype=f64).numpy()
            wins["hamming"] = torch.hamming_window(n, periodic=True, dtype=f64).numpy()
            wins["hamming_symmetric"] = torch.hamming_window(n, periodic=False, dtype=f64).numpy()
        # Kaldi's Povey window (feature-window.cc): (0.5 - 0.5 cos(2 pi i / (n - 1)))^0.85
        wins["povey"] = (np.ones(1) if n == 1 else
                         (0.5 - 0.5 * np.cos(2 * np.pi * i / (n - 1))) ** 0.85)
        wins["rectangular"] = np.ones(n)
        for name, w in wins.items():
            np.save(os.path.join(out, "win_%s_%d.npy" % (name, n)), np.asarray(w, np.float64))

    hz = np.array([0.0, 1.0, 100.0, 666.0, 999.9, 1000.0, 1000.1, 2500.0, 4000.0, 8000.0,
                   11025.0, 24000.0])
    np.save(os.path.join(out, "mel_scale.npy"),
            np.stack([hz, hz_to_mel(hz, False), hz_to_mel(hz, True)], axis=1))

    # (sr, n_fft, n_mels, fmin, fmax, htk, slaney norm)
    mel_cases = [
        (16000, 400, 80, 0.0, 8000.0, False, True),     # Whisper's
        (16000, 400, 128, 0.0, 8000.0, False, True),    # Whisper large-v3's
        (16000, 512, 128, 20.0, 7600.0, True, False),
        (8000, 512, 128, 20.0, 3800.0, True, False),
        (8000, 256, 40, 0.0, 4000.0, False, True),
        (16000, 512, 80, 20.0, 7600.0, True, True),
        (22050, 2048, 128, 0.0, 11025.0, False, False),
        (16000, 401, 40, 50.0, 7000.0, False, True),    # odd n_fft: rfftfreq bins
        (16000, 400, 80, 300.0, 2000.0, False, True),   # narrow band: empty filters
    ]
    with open(os.path.join(out, "mel_cases.txt"), "w") as f:
        for k, (sr, n_fft, n_mels, fmin, fmax, htk, norm) in enumerate(mel_cases):
            np.save(os.path.join(out, "mel_%d.npy" % k),
                    librosa_mel(sr, n_fft, n_mels, fmin, fmax, htk, norm))
            f.write("%d %d %d %d %r %r %s %s\n" % (k, sr, n_fft, n_mels, fmin, fmax,
                                                    "htk" if htk else "slaney",
                                                    "slaney" if norm else "none"))

    npz = os.path.join(data, "models/whisper-assets/mel_filters.npz") if data else None
    if npz and os.path.exists(npz):
        z = np.load(npz)
        for nm in (80, 128):
            ref = z["mel_%d" % nm]
            np.save(os.path.join(out, "whisper_mel_%d.npy" % nm), ref)
            mine = librosa_mel(16000, 400, nm, 0.0, 8000.0, False, True)
            d = np.abs(mine - ref).max()
            if d > 1e-6:  # the transcription above must be librosa's
                print("librosa transcription differs from %s mel_%d by %g" % (npz, nm, d))
                sys.exit(1)

    # (sr, n_fft, n_mels, low, high)
    kaldi_cases = [
        (16000, 512, 80, 20.0, 0.0),     # torchaudio fbank defaults (25 ms padded to 512)
        (16000, 400, 80, 20.0, -400.0),  # no power-of-two padding, high = nyquist - 400
        (16000, 512, 128, 0.0, 8000.0),
        (8000, 256, 23, 64.0, 3800.0),
        (16000, 1024, 40, 133.33, 6855.5),
    ]
    with open(os.path.join(out, "kaldi_cases.txt"), "w") as f:
        for k, (sr, n_fft, n_mels, low, high) in enumerate(kaldi_cases):
            np.save(os.path.join(out, "kaldi_%d.npy" % k), kaldi_banks(sr, n_fft, n_mels, low, high))
            if ta_kaldi is not None:
                b, _ = ta_kaldi.get_mel_banks(n_mels, n_fft, float(sr), low, high, 100.0, -500.0, 1.0)
                b = torch.nn.functional.pad(b, (0, 1), mode="constant", value=0)
                np.save(os.path.join(out, "kaldi_%d.ta.npy" % k), b.numpy().astype(np.float32))
            f.write("%d %d %d %d %r %r\n" % (k, sr, n_fft, n_mels, low, high))
    print("dsp references in %s (torch: %s, torchaudio: %s)" %
          (out, "yes" if torch is not None else "no", "yes" if ta_kaldi is not None else "no"))


if __name__ == "__main__":
    main()
