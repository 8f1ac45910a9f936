#!/usr/bin/env python3
"""Reference outputs of the three audio front ends of include/voce/features.h, for
tests/test_features.c, computed here with torch from the documented algorithms:

  whisper  openai-whisper's log_mel_spectrogram (whisper/audio.py): torch.stft(400, 160,
           periodic Hann, centred, reflect), last frame dropped, |.|^2, the mel filters of
           whisper's mel_filters.npz (mel_80, mel_128), log10(clamp(1e-10)),
           max(x, max - 8), (x + 4) / 4. Optionally 480000 zeros appended first.
  nemo     NeMo's FilterbankFeatures at inference (AudioToMelSpectrogramPreprocessor with
           n_window_size 400, stride 160, n_fft 512, dither off): pre-emphasis 0.97,
           torch.stft(512, 160, win 400, symmetric Hann, centred, pad_mode "constant"),
           |.|^2, librosa's Slaney mel with Slaney norm (transcribed below in numpy),
           ln(x + 2^-24), per-feature normalisation over the valid frames
           (seq_len = n // 160; std with n - 1, NaN -> 0, + 1e-5) or none, frames from
           seq_len on set to 0, frame count padded with zeros to a multiple of 16.
  fbank    torchaudio.compliance.kaldi.fbank(num_mel_bins=80, dither=0, the rest at the
           defaults: 25/10 ms, snip edges, DC removal, pre-emphasis 0.97, Povey, power,
           low_freq 20, high_freq Nyquist) on the samples as given, in [-1, 1] (neither
           torchaudio nor voce scales them to int16).

usage: gen_frontend_refs.py OUTDIR

Each reference is the algorithm computed in float64 (torch, double tensors; the data
that upstream stores as float32, whisper's filters and torchaudio's mel banks, used as
stored), written as float32. Upstream runs the same steps in float32; where the result
is ill-conditioned (mel energies near the log floor: quiet bands beside loud ones, and
NeMo's division by a small standard deviation) float32 rounding alone moves the output
by more than 1e-4 (torch's own float32 run: up to ~3e-3 for fbank, ~1e-3 NeMo
normalised; precision.txt), so the exact values are the reference, and voce, which
computes in double up to the log, is held to 1e-4 / 1e-3 on every value.

Writes
  OUTDIR/audio/STEM.npy     float32 [n]: the samples every case of STEM is computed on
  OUTDIR/NAME.npy           float32 [frames, n_mels] (row-major, as voce returns them)
  OUTDIR/cases.txt          one case a line:
      NAME KIND N_MELS OPTION STEM STATUS FRAMES VALID
    KIND whisper|nemo|fbank; OPTION: bit 0 whisper_pad_30s (Whisper), nemo_normalize
    (NeMo); bit 1 (2) the magnitude spectrum (NeMo mag_power 1, fbank use_power false);
    STATUS ok, or error when the reference itself refuses the input (torch
    raises: then FRAMES = VALID = -1), followed for Whisper inputs of 160 to 200 samples
    by a second line of the same NAME with STATUS zext201: voce's defined result, the
    reference on the input zero-extended to 201 samples (the shortest torch's reflect
    padding takes; the frame count stays n // 160); FRAMES the rows of NAME.npy; VALID
    the frames before NeMo's padding (seq_len), = FRAMES otherwise.
  OUTDIR/audio.txt          STEM N_SAMPLES ORIGIN   (ORIGIN: the WAV, or "synthetic")
  OUTDIR/missing.txt        present when a part could not be made (no torchaudio: fbank)
  OUTDIR/precision.txt      KIND N_MELS OPTION MAX_ABS: over the speech cases, the
                            largest |torch float32 run - float64 run|.

Audio: every WAV under VOCE_TEST_DATA/audio (16 kHz; 16-bit PCM and float32; channels
mixed as voce mixes them: summed in float32 from channel 0 up, divided by the count in
float32), files longer than 12 s cut to the 10 s from 2 s on; and synthetic inputs:
empty, 1, 100, 180, 201, 399 and 400 samples of a tone (around the shortest input
each front end accepts), 1 s of zeros, a full-scale square wave,
speech with NaN samples (and the same speech with those samples set to 0,
"nan_zeroed", for front ends that define NaN as silence).

Exits 77 when numpy or torch is missing, or no audio is found; without torchaudio the
fbank cases are left out (the C test then skips them, saying why) and the rest written.
"""
import math
import os
import struct
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    print("skip: numpy and torch are needed by %s (%s)" % (sys.executable, e))
    sys.exit(77)

try:
    import torchaudio.compliance.kaldi as kaldi
    KALDI_ERR = None
except Exception as e:  # noqa: BLE001 - any import failure means: no fbank reference
    kaldi = None
    KALDI_ERR = str(e)

F32 = np.float32
SR = 16000
LONG_S, EXCERPT_FROM_S, EXCERPT_S = 12.0, 2.0, 10.0


# ---- audio -----------------------------------------------------------------------

def read_wav(path):
    """Mono float32 samples and the rate of a RIFF/WAVE file: PCM 16 or float 32
    (plain or WAVE_FORMAT_EXTENSIBLE), mixed down as voce does (docs/audio.md)."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        raise ValueError("%s: not RIFF/WAVE" % path)
    off, fmt = 12, None
    while off + 8 <= len(b):
        cid, ln = b[off:off + 4], struct.unpack("<I", b[off + 4:off + 8])[0]
        body = b[off + 8:off + 8 + ln]
        if cid == b"fmt ":
            tag, ch, rate = struct.unpack("<HHI", body[:8])
            bits = struct.unpack("<H", body[14:16])[0]
            if tag == 0xFFFE:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            if fmt is None:
                raise ValueError("%s: data before fmt" % path)
            tag, ch, rate, bits = fmt
            if tag == 1 and bits == 16:
                x = np.frombuffer(body[:len(body) // (2 * ch) * 2 * ch], dtype="<i2")
                x = x.astype(F32) / F32(32768)
            elif tag == 3 and bits == 32:
                x = np.frombuffer(body[:len(body) // (4 * ch) * 4 * ch], dtype="<f4").astype(F32)
            else:
                raise ValueError("%s: encoding %d/%d bits not handled here" % (path, tag, bits))
            x = x.reshape(-1, ch)
            s = x[:, 0].copy()
            for c in range(1, ch):
                s = (s + x[:, c]).astype(F32)
            if ch > 1:
                s = (s / F32(ch)).astype(F32)
            return s, rate
        off += 8 + ln + (ln & 1)
    raise ValueError("%s: no data chunk" % path)


def speech_inputs(data):
    root = os.path.join(data, "audio")
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            if not fn.lower().endswith(".wav"):
                continue
            path = os.path.join(dirpath, fn)
            x, rate = read_wav(path)
            if rate != SR:
                continue
            rel = os.path.relpath(path, root)
            stem = os.path.splitext(rel)[0].replace(os.sep, "_").replace("-", "_")
            if x.size > LONG_S * SR:
                a, n = int(EXCERPT_FROM_S * SR), int(EXCERPT_S * SR)
                x = x[a:a + n]
                stem += "_%gs_%gs" % (EXCERPT_FROM_S, EXCERPT_FROM_S + EXCERPT_S)
                rel += " [%g s, %g s)" % (EXCERPT_FROM_S, EXCERPT_FROM_S + EXCERPT_S)
            out.append((stem, np.ascontiguousarray(x, dtype=F32), rel.replace(" ", "_")))
    return out


def synthetic_inputs(speech):
    t = np.arange(SR)
    square = np.where((t // 20) % 2 == 0, F32(1.0), F32(-1.0)).astype(F32)   # 400 Hz, +-1
    rng = np.random.default_rng(4)
    base = next((x for s, x, _ in speech if s == "jfk"), speech[0][1] if speech else
                rng.uniform(-0.3, 0.3, 2 * SR).astype(F32))[:2 * SR].copy()
    nan = base.copy()
    idx = np.concatenate([[0, 1, 5000, 5001, 5002], rng.integers(0, base.size, 20)])
    nan[idx] = np.nan
    zeroed = nan.copy()
    zeroed[np.isnan(zeroed)] = 0
    def tone(n):
        return (0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / SR)).astype(F32)
    # lengths around the edges: 100 (no frame anywhere), 180 (one Whisper frame, but
    # too short for torch's reflect padding), 201 (the shortest Whisper accepts), 399
    # and 400 (one sample short of Kaldi's first frame, and exactly it)
    return [("empty", np.zeros(0, F32), "synthetic"),
            ("short1", tone(1), "synthetic"),
            ("short100", tone(100), "synthetic"),
            ("short180", tone(180), "synthetic"),
            ("short201", tone(201), "synthetic"),
            ("short399", tone(399), "synthetic"),
            ("short400", tone(400), "synthetic"),
            ("silence1s", np.zeros(SR, F32), "synthetic"),
            ("square", square, "synthetic"),
            ("nan", nan, "synthetic"),
            ("nan_zeroed", zeroed, "synthetic")]


# ---- librosa.filters.mel (Slaney scale, Slaney norm), transcribed ------------------

def hz_to_mel_slaney(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep,
                    f / f_sp)


def mel_to_hz_slaney(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def slaney_mel_filters(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    """float32 [n_mels, n_fft//2 + 1]: triangles between adjacent mel points (in Hz)
    evaluated at the bin frequencies, each scaled by 2 / (right - left) edge in Hz; the
    triangle in float64, stored as float32, then scaled (float64 factor) and stored as
    float32 again, in the order librosa does it."""
    fmax = sr / 2.0 if fmax is None else fmax
    bins = np.linspace(0, sr / 2.0, 1 + n_fft // 2)
    pts = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(fmin), hz_to_mel_slaney(fmax), n_mels + 2))
    w = np.zeros((n_mels, bins.size), dtype=F32)
    for i in range(n_mels):
        rise = (bins - pts[i]) / (pts[i + 1] - pts[i])
        fall = (pts[i + 2] - bins) / (pts[i + 2] - pts[i + 1])
        w[i] = np.maximum(0, np.minimum(rise, fall))
    w *= (2.0 / (pts[2:n_mels + 2] - pts[:n_mels]))[:, None]
    return w


# ---- the three front ends --------------------------------------------------------

class RefError(Exception):
    pass


def whisper_mel(audio, filters, pad30, dtype):
    a = torch.from_numpy(audio).to(dtype)
    if pad30:
        a = torch.nn.functional.pad(a, (0, 480000))
    try:
        st = torch.stft(a, 400, 160, window=torch.hann_window(400, dtype=dtype), return_complex=True)
    except RuntimeError as e:
        raise RefError(str(e).splitlines()[0])
    mag = st[..., :-1].abs() ** 2
    mel = torch.from_numpy(filters).to(dtype) @ mag
    lg = torch.clamp(mel, min=1e-10).log10()
    lg = torch.maximum(lg, lg.max() - 8.0)
    return ((lg + 4.0) / 4.0).T.contiguous(), mag.shape[-1]


def nemo_mel(audio, filters, normalize, dtype, pad_to=16, mag_power=2.0):
    n = audio.size
    x = torch.from_numpy(audio).to(dtype)[None]
    seq_len = n // 160                           # (n + 2 * (512 // 2) - 512) // 160
    x = torch.cat((x[:, :1], x[:, 1:] - 0.97 * x[:, :-1]), dim=1)
    st = torch.stft(x, n_fft=512, hop_length=160, win_length=400,
                    window=torch.hann_window(400, periodic=False, dtype=dtype), center=True,
                    pad_mode="constant", return_complex=True)
    p = torch.view_as_real(st)
    p = torch.sqrt(p.pow(2).sum(-1))
    if mag_power != 1.0:
        p = p.pow(mag_power)
    mel = torch.matmul(torch.from_numpy(filters).to(dtype), p)
    x = torch.log(mel + 2 ** -24)
    T = x.shape[-1]
    valid = torch.arange(T)[None] < seq_len
    if normalize:
        cnt = valid.sum(dim=1)
        mean = torch.where(valid[:, None], x, 0.0).sum(dim=2) / cnt[:, None]
        std = torch.sqrt(torch.sum(torch.where(valid[:, None], x - mean[:, :, None], 0.0) ** 2, dim=2)
                         / (cnt[:, None] - 1.0))
        std = std.masked_fill(std.isnan(), 0.0) + 1e-5
        x = (x - mean[:, :, None]) / std[:, :, None]
    x = x.masked_fill(~valid[:, None], 0.0)
    if pad_to > 0 and T % pad_to:
        x = torch.nn.functional.pad(x, (0, pad_to - T % pad_to), value=0.0)
    return x[0].T.contiguous(), seq_len


def kaldi_fbank(audio, dtype, use_power=True):
    if kaldi is None:
        raise RefError("torchaudio missing")
    try:
        return kaldi.fbank(torch.from_numpy(audio).to(dtype)[None], num_mel_bins=80, dither=0.0,
                           sample_frequency=float(SR), use_power=use_power).contiguous()
    except (RuntimeError, AssertionError, ValueError) as e:
        raise RefError(str(e).splitlines()[0])


# ---- cases -----------------------------------------------------------------------

PAD30_STEMS = {"jfk", "librispeech_1089_134691_0000", "empty", "short100"}
MAGNITUDE_STEMS = {"jfk", "librispeech_2412_153948_0000", "silence1s", "square", "short400"}
NEMO128_RAW_STEMS = {"jfk", "librispeech_1089_134691_0000", "librispeech_2412_153948_0000", "empty",
                     "short100", "silence1s", "square", "nan_zeroed"}


def configs_for(stem):
    out = [("whisper", 80, 0), ("whisper", 128, 0), ("nemo", 80, 1), ("nemo", 80, 0), ("nemo", 128, 1),
           ("fbank", 80, 0)]
    if stem in PAD30_STEMS:
        out += [("whisper", 80, 1)]
        if stem == "jfk":
            out += [("whisper", 128, 1)]
    if stem in NEMO128_RAW_STEMS:
        out += [("nemo", 128, 0)]
    if stem in MAGNITUDE_STEMS:
        out += [("nemo", 80, 3), ("fbank", 80, 2)]
    return out


def case_name(kind, n_mels, opt, stem):
    suffix = {"whisper": "p" if opt & 1 else "", "nemo": "n" if opt & 1 else "r", "fbank": ""}[kind]
    suffix += "m" if opt & 2 else ""
    return "%s%d%s.%s" % (kind, n_mels, suffix, stem)


def compute(kind, n_mels, opt, audio, filt, dtype):
    """(frames x n_mels array, valid frames); raises RefError when the reference refuses
    the input."""
    if kind == "whisper":
        y, _ = whisper_mel(audio, filt[("whisper", n_mels)], opt & 1, dtype)
        return y.numpy(), y.shape[0]
    if kind == "nemo":
        y, seq = nemo_mel(audio, filt[("nemo", n_mels)], opt & 1, dtype, mag_power=1.0 if opt & 2 else 2.0)
        return y.numpy(), seq
    y = kaldi_fbank(audio, dtype, use_power=not opt & 2)
    return y.numpy(), y.shape[0]


def main(argv):
    if len(argv) != 1:
        print("usage: gen_frontend_refs.py OUTDIR", file=sys.stderr)
        return 2
    out = argv[0]
    data = os.environ.get("VOCE_TEST_DATA") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")
    npz = os.path.join(data, "models", "whisper-assets", "mel_filters.npz")
    if not os.path.isfile(npz):
        print("skip: needs %s" % npz)
        return 77
    if not os.path.isdir(os.path.join(data, "audio")):
        print("skip: needs %s/audio" % data)
        return 77
    torch.set_num_threads(1)
    speech = speech_inputs(data)
    if not speech:
        print("skip: no 16 kHz WAV under %s/audio" % data)
        return 77
    inputs = speech + synthetic_inputs(speech)

    with np.load(npz) as f:
        filt = {("whisper", 80): f["mel_80"].astype(F32), ("whisper", 128): f["mel_128"].astype(F32)}
    # The transcription of librosa.filters.mel checked against whisper's stored filters
    # (librosa.filters.mel(sr=16000, n_fft=400, n_mels=80 and 128)) before it is used
    # for NeMo's n_fft = 512.
    for m in (80, 128):
        d = np.abs(slaney_mel_filters(SR, 400, m) - filt[("whisper", m)]).max()
        if d > 1e-6:
            print("error: the Slaney filter transcription differs from mel_filters.npz mel_%d by %g" % (m, d))
            return 1
    filt[("nemo", 80)] = slaney_mel_filters(SR, 512, 80)
    filt[("nemo", 128)] = slaney_mel_filters(SR, 512, 128)
    if kaldi is not None:
        fb = kaldi.get_mel_banks(80, 512, float(SR), 20.0, 0.0, 100.0, -500.0, 1.0)[0]
        filt[("fbank", 80)] = fb.numpy().astype(F32)

    os.makedirs(os.path.join(out, "audio"), exist_ok=True)
    for dirpath in (out, os.path.join(out, "audio")):
        for fn in os.listdir(dirpath):
            if fn.endswith(".npy") or fn == "missing.txt":
                os.remove(os.path.join(dirpath, fn))
    lines, audio_lines, prec, total = [], [], {}, 0
    for stem, x, origin in inputs:
        np.save(os.path.join(out, "audio", stem + ".npy"), x)
        total += x.nbytes
        audio_lines.append("%s %d %s" % (stem, x.size, origin))
        for kind, n_mels, opt in configs_for(stem):
            if kind == "fbank" and kaldi is None:
                continue
            name = case_name(kind, n_mels, opt, stem)
            try:
                y, valid = compute(kind, n_mels, opt, x, filt, torch.float64)
            except RefError as e:
                lines.append("%s %s %d %d %s error -1 -1" % (name, kind, n_mels, opt, stem))
                print("  %s: the reference refuses: %s" % (name, e))
                if kind == "whisper" and x.size >= 160:
                    # n // 160 frames exist but torch's reflect padding (200 samples) needs
                    # 201: voce's defined result is the input zero-extended to 201 samples
                    ext = np.concatenate([x, np.zeros(201 - x.size, F32)])
                    y, valid = compute(kind, n_mels, opt, ext, filt, torch.float64)
                    assert y.shape[0] == x.size // 160
                    y = np.ascontiguousarray(y, dtype=F32)
                    np.save(os.path.join(out, name + ".npy"), y)
                    lines.append("%s %s %d %d %s zext201 %d %d" % (name, kind, n_mels, opt, stem, y.shape[0], valid))
                continue
            y = np.ascontiguousarray(y, dtype=F32).reshape(-1, n_mels)
            np.save(os.path.join(out, name + ".npy"), y)
            total += y.nbytes
            lines.append("%s %s %d %d %s ok %d %d" % (name, kind, n_mels, opt, stem, y.shape[0], valid))
            if origin != "synthetic":
                y32, _ = compute(kind, n_mels, opt, x, filt, torch.float32)
                d = float(np.abs(y32.astype(np.float64) - y).max())
                key = (kind, n_mels, opt)
                prec[key] = max(prec.get(key, 0.0), d)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "audio.txt"), "w") as f:
        f.write("\n".join(audio_lines) + "\n")
    with open(os.path.join(out, "precision.txt"), "w") as f:
        for (kind, m, opt), d in sorted(prec.items()):
            f.write("%s %d %d %.3g\n" % (kind, m, opt, d))
            print("  torch float32 vs float64, %s %d opt %d: max |diff| %.3g" % (kind, m, opt, d))
    if kaldi is None:
        with open(os.path.join(out, "missing.txt"), "w") as f:
            f.write("fbank: torchaudio is not importable by %s (%s); Debian: python3-torchaudio\n"
                    % (sys.executable, KALDI_ERR))
        print("note: torchaudio is not importable (%s): no fbank references" % KALDI_ERR)
    secs = sum(x.size for _, x, o in inputs if o != "synthetic") / SR
    print("wrote %d front-end references for %d inputs (%.1f s of speech, %.1f MB) to %s"
          % (len(lines), len(inputs), secs, total / 1e6, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
