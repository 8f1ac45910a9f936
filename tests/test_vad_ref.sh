#!/bin/sh
# `voce vad` against the reference: for the Silero VAD v4, v5 and v6 models and every
# WAV file under $VOCE_TEST_DATA/audio (plus two 8 kHz files made here), voce's speech
# segments must equal, to the sample, what silero-vad's get_speech_timestamps() rules
# (tests/ref/silero_segments.py) give on ONNX Runtime's probabilities
# (tests/ref/ort_vad_probs.js), for four sets of settings.
#
# usage: test_vad_ref.sh VOCE_BINARY
# Needs VOCE_TEST_DATA, VOCE_BUILD_DIR (set by ctest), node with onnxruntime-node on
# NODE_PATH, and python3 with numpy (VOCE_PYTHON). Exits 77 when those or the data are
# missing, 1 when any check fails.
set -u
voce=$1
data=${VOCE_TEST_DATA:-../shared}
py=${VOCE_PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=${VOCE_BUILD_DIR:-.}/test-tmp/vad-ref
models=$data/models/silero-vad

skip() { echo "skip: $1"; echo "0 passed, 0 failed, 1 skipped"; exit 77; }
command -v node >/dev/null || skip "node is not installed"
"$py" -c "import numpy" 2>/dev/null || skip "$py cannot import numpy"
[ -d "$data/audio" ] || skip "$data/audio is missing"
node -e "require('onnxruntime-node')" >/dev/null 2>&1 || skip "onnxruntime-node is not installed (NODE_PATH=${NODE_PATH:-unset}; make refs installs it)"

rm -rf "$tmp"
mkdir -p "$tmp/audio8k"
find "$data/audio" -name '*.wav' | sort >"$tmp/files16k.txt"
[ -s "$tmp/files16k.txt" ] || skip "no .wav files under $data/audio"
# Sanitizer builds (VOCE_VAD_REF_QUICK=1, set by CMake) run the model several times
# slower: there, only files of at most 12 s (every format and channel layout is still
# among them; the 8 kHz files are float32).
quick=${VOCE_VAD_REF_QUICK:-0}
if [ "$quick" = 1 ]; then
  "$py" - "$tmp/files16k.txt" <<'PY'
import struct, sys
path = sys.argv[1]
keep = []
for f in open(path).read().split("\n"):
    if not f:
        continue
    b = open(f, "rb").read()
    off, rate, align = 12, 0, 1
    while off + 8 <= len(b):
        cid, size = b[off:off + 4], struct.unpack("<I", b[off + 4:off + 8])[0]
        if cid == b"fmt ":
            ch, rate = struct.unpack("<HI", b[off + 10:off + 16])
            align = ch * struct.unpack("<H", b[off + 22:off + 24])[0] // 8
        if cid == b"data":
            if min(size, len(b) - off - 8) // align <= 12 * rate:
                keep.append(f)
            break
        off += 8 + size + (size & 1)
open(path, "w").write("".join(f + "\n" for f in keep))
PY
  echo "  quick run (VOCE_VAD_REF_QUICK=1): $(wc -l <"$tmp/files16k.txt") files of at most 12 s"
fi

# 8 kHz float32 WAV files from two 16 kHz ones: the mean of each pair of samples.
: >"$tmp/files8k.txt"
for f in "$data/audio/silero-test.wav" "$data/audio/jfk.wav"; do
  [ -f "$f" ] || { echo "  no 8 kHz file from $f (missing)"; continue; }
  [ "$quick" = 1 ] && [ "$(basename "$f")" = silero-test.wav ] && continue
  o=$tmp/audio8k/$(basename "$f" .wav)_8k.wav
  "$py" - "$f" "$o" <<'PY' && echo "$o" >>"$tmp/files8k.txt"
import struct, sys
import numpy as np
src, dst = sys.argv[1:]
b = open(src, "rb").read()
off, fmt = 12, None
while off + 8 <= len(b):
    cid, size = b[off:off + 4], struct.unpack("<I", b[off + 4:off + 8])[0]
    body = off + 8
    if cid == b"fmt ":
        fmt = struct.unpack("<HHI", b[body:body + 8]) + struct.unpack("<H", b[body + 14:body + 16])
    if cid == b"data":
        tag, ch, rate, bits = fmt
        assert tag == 1 and bits == 16 and ch == 1 and rate == 16000, (src, fmt)
        x = np.frombuffer(b[body:body + (min(size, len(b) - body) // 2) * 2], "<i2").astype(np.float32) / np.float32(32768)
        break
    off = body + size + (size & 1)
x = x[: len(x) // 2 * 2]
y = ((x[0::2] + x[1::2]) * np.float32(0.5)).astype("<f4")
hdr = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + y.nbytes, b"WAVE", b"fmt ", 16, 3, 1, 8000,
                  8000 * 4, 4, 32, b"data", y.nbytes)
open(dst, "wb").write(hdr + y.tobytes())
PY
done

# Settings: the defaults; a looser set; a stricter one that cuts long speech where it
# reaches max_speech_s (50 ms of silence ends speech, so no silence inside speech is
# long enough to split at); one that splits long speech at its longest silence over
# 98 ms, with an explicit neg_threshold.
S1=""
S2="--threshold 0.3 --min-speech-ms 100 --min-silence-ms 300 --pad-ms 100"
S3="--threshold 0.6 --max-speech-s 3 --pad-ms 0 --min-silence-ms 50"
S4="--threshold 0.4 --neg-threshold 0.2 --max-speech-s 2.5 --min-silence-ms 400 --pad-ms 60"

manifest=$tmp/manifest.tsv
: >"$manifest"
skipped=0
prefail=0
# run_set LABEL VERSION PROGRAM RATE FILELIST ORTDIR: voce vad over all files once per
# setting, the first time with --probs (the probabilities do not depend on the
# settings; they are checked against every setting's thresholds); one manifest line
# per (file, setting).
run_set() {
  label=$1 version=$2 prog=$3 rate=$4 list=$5 ortdir=$6
  rateopt=""
  [ "$rate" = 8000 ] && rateopt="--vad-rate 8000"
  d=$tmp/voce/$label-$rate
  mkdir -p "$d"
  set --
  while IFS= read -r f; do set -- "$@" "$f"; done <"$list"
  s=0
  probs=--probs
  for settings in "$S1" "$S2" "$S3" "$S4"; do
    s=$((s + 1))
    # shellcheck disable=SC2086
    "$voce" vad -m "$prog" $rateopt --format json $probs $settings "$@" >"$d/s$s.jsonl" 2>"$d/s$s.err"
    rc=$?
    [ $s -eq 1 ] && prc=$rc
    probs=""
    i=0
    while IFS= read -r f; do
      i=$((i + 1))
      printf '%s\t%s\ts%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$version" "$s" "$rate" "$f" \
        "$ortdir/$i.npy" "$d/s$s" "$rc" "$d/s1" "$prc" "$settings" >>"$manifest"
    done <"$list"
  done
}

# LABEL, the model_version voce reports (the interface generation: v5 and v6 cannot be
# told apart by their graphs, the compiler records both as 5), file name.
for spec in "v4 4 silero_vad_legacy_npm" "v5 5 silero_vad_v5_npm" "v6 5 silero_vad"; do
  # shellcheck disable=SC2086
  set -- $spec
  label=$1 version=$2 model=$models/$3.onnx
  if [ ! -f "$model" ]; then
    echo "  skip $label: $model is missing"; skipped=$((skipped + 1)); continue
  fi
  prog=$tmp/$label.voce
  if ! "$voce" compile --family silero-vad "$model" -o "$prog" >"$tmp/$label.compile.log" 2>&1; then
    echo "  FAIL $label: voce compile --family silero-vad: $(head -c 400 "$tmp/$label.compile.log")"
    prefail=$((prefail + 1)); continue
  fi
  for rate in 16000 8000; do
    list=$tmp/files$((rate / 1000))k.txt
    [ -s "$list" ] || continue
    ortdir=$tmp/ort/$label-$rate
    mkdir -p "$ortdir"
    set -- "$model"
    i=0
    while IFS= read -r f; do i=$((i + 1)); set -- "$@" "$f" "$ortdir/$i.npy"; done <"$list"
    node "$here/ref/ort_vad_probs.js" "$@" --rate "$rate" >"$tmp/ort.log" 2>&1
    rc=$?
    if [ "$rc" -eq 77 ]; then cat "$tmp/ort.log"; echo "0 passed, 0 failed, 1 skipped"; exit 77; fi
    if [ "$rc" -ne 0 ]; then
      echo "  FAIL $label $rate Hz: ONNX Runtime reference: $(head -c 400 "$tmp/ort.log")"
      prefail=$((prefail + 1)); continue
    fi
    run_set "$label" "$version" "$prog" "$rate" "$list" "$ortdir"
  done
done

if [ ! -s "$manifest" ]; then
  echo "0 passed, $prefail failed, $skipped skipped"
  [ "$prefail" -eq 0 ] && exit 77
  exit 1
fi

"$py" - "$here/ref" "$manifest" "$prefail" "$skipped" <<'PY'
import json, struct, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import silero_segments as ss

manifest, prefail, skipped = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
FLAGS = {"--threshold": "threshold", "--neg-threshold": "neg_threshold",
         "--min-speech-ms": "min_speech_ms", "--min-silence-ms": "min_silence_ms",
         "--pad-ms": "speech_pad_ms", "--max-speech-s": "max_speech_s"}


def settings_kw(text):
    t = text.split()
    return {FLAGS[t[k]]: float(t[k + 1]) for k in range(0, len(t), 2)}


def wav_frames(path):
    b = open(path, "rb").read()
    off, align = 12, None
    while off + 8 <= len(b):
        cid, size = b[off:off + 4], struct.unpack("<I", b[off + 4:off + 8])[0]
        if cid == b"fmt ":
            ch, bits = struct.unpack("<HH", b[off + 10:off + 12] + b[off + 22:off + 24])
            align = ch * bits // 8
        if cid == b"data":
            return min(size, len(b) - off - 8) // align
        off += 8 + size + (size & 1)
    raise ValueError(path + ": no data chunk")


runs = {}


def voce_output(base, rc, audio):
    """The JSON object a voce run (BASE.jsonl, BASE.err) printed for `audio`."""
    if base not in runs:
        objs, err = {}, None
        try:
            for line in open(base + ".jsonl"):
                if line.startswith("{"):
                    o = json.loads(line)
                    if o.get("file") in objs:
                        err = "two JSON lines for %s" % o.get("file")
                    objs[o.get("file")] = o
        except (OSError, ValueError) as e:
            err = "unreadable output: %s" % e
        runs[base] = (objs, err)
    objs, err = runs[base]
    if err:
        return None, err
    if audio not in objs:
        msg = open(base + ".err", errors="replace").read().strip()[:300]
        return None, "no JSON line for this file (voce vad exited %d%s)" % (rc, ": " + msg if msg else "")
    return objs[audio], None


def seg_samples(o):
    return [(int(s["start_sample"]), int(s["end_sample"])) for s in o["segments"]]


def fmt_segs(segs, k):
    return "[%s]" % ", ".join("%d-%d" % s for s in segs[max(0, k - 1):k + 2])


def first_diff(a, b):
    for k in range(max(len(a), len(b))):
        if k >= len(a) or k >= len(b) or a[k] != b[k]:
            return k
    return -1


def flips(pv, po, thr, neg, w):
    """Windows where voce's and ORT's probabilities fall on opposite sides of a threshold."""
    out = []
    a, b = pv.astype(np.float64), po.astype(np.float64)
    for name, t, side in (("threshold", thr, lambda p: p >= thr), ("neg_threshold", neg, lambda p: p < neg)):
        for i in np.nonzero(side(a) != side(b))[0][:3]:
            out.append("window %d (sample %d): voce %.9g, ORT %.9g, %s %r" % (i, i * w, pv[i], po[i], name, t))
    return out


def check(rec):
    label, version, sname, rate, audio, ortnpy, segbase, segrc, probbase, probrc, settings = rec
    rate, version, segrc, probrc = int(rate), int(version), int(segrc), int(probrc)
    kw = settings_kw(settings)
    w = ss.window_size(rate)
    n = wav_frames(audio)
    po = np.load(ortnpy)
    ref = ss.segments(po, n, rate, **kw)
    thr = kw.get("threshold", 0.5)
    neg = kw.get("neg_threshold", ss.default_neg_threshold(thr))
    problems = []

    o, err = voce_output(segbase, segrc, audio)
    if err:
        return [err], ref
    if o.get("sample_rate") != rate:
        problems.append("\"sample_rate\" is %r, want %d" % (o.get("sample_rate"), rate))
    if o.get("model_version") != version:
        problems.append("\"model_version\" is %r, want %d" % (o.get("model_version"), version))
    if o.get("samples") != n:
        problems.append("\"samples\" is %r, the file has %d" % (o.get("samples"), n))
    if not isinstance(o.get("duration"), (int, float)) or abs(o["duration"] - n / rate) > 1e-3:
        problems.append("\"duration\" is %r, want %.6f" % (o.get("duration"), n / rate))
    try:
        got = seg_samples(o)
        for s in o["segments"]:
            if abs(s["start"] - s["start_sample"] / rate) > 1e-3 or abs(s["end"] - s["end_sample"] / rate) > 1e-3:
                problems.append("segment seconds %r-%r do not match samples %d-%d"
                                % (s["start"], s["end"], s["start_sample"], s["end_sample"]))
                break
    except (KeyError, TypeError, ValueError) as e:
        return problems + ["bad \"segments\": %s" % e], ref

    # voce's own probabilities (from the --probs run with default settings): they must
    # not lie across a threshold from ONNX Runtime's, and they explain a difference.
    pv = None
    po_, perr = voce_output(probbase, probrc, audio)
    if perr:
        problems.append("--probs run: " + perr)
    elif "probs" not in po_:
        problems.append("--probs output has no \"probs\"")
    else:
        pv = np.array(po_["probs"], dtype=np.float32)
        if po_.get("window") != w:
            problems.append("\"window\" is %r, want %d" % (po_.get("window"), w))
        if pv.shape != po.shape:
            problems.append("%d probabilities from voce, %d from ONNX Runtime" % (pv.size, po.size))
            pv = None
    if pv is not None:
        d = float(np.max(np.abs(pv.astype(np.float64) - po))) if pv.size else 0.0
        if d > 1e-3:
            i = int(np.argmax(np.abs(pv.astype(np.float64) - po)))
            problems.append("probabilities differ from ONNX Runtime by up to %.3g (window %d: voce %.9g, ORT %.9g)"
                            % (d, i, pv[i], po[i]))
        for fl in flips(pv, po, thr, neg, w):
            problems.append("probability flip at " + fl)

    if got != ref:
        k = first_diff(got, ref)
        msg = ("%d segments, reference %d; first difference at segment %d: voce %s, reference %s"
               % (len(got), len(ref), k, fmt_segs(got, k), fmt_segs(ref, k)))
        if pv is not None:
            own = ss.segments(pv, n, rate, **kw)
            if own != got:
                j = first_diff(got, own)
                msg += ("; the rules on voce's own probabilities give %s at segment %d: voce's "
                        "segmenter breaks a rule" % (fmt_segs(own, j), j))
            else:
                msg += "; voce follows the rules on its own probabilities: the probabilities differ"
        problems.append(msg)
    return problems, ref


passed, failed = 0, prefail
for line in open(manifest):
    rec = line.rstrip("\n").split("\t")
    label, sname, rate, audio = rec[0], rec[2], int(rec[3]), rec[4]
    short = audio.split("/audio8k/")[-1].split("/audio/")[-1]
    name = "%s %dk %s %s" % (label, rate // 1000, sname, short)
    try:
        problems, ref = check(rec)
    except Exception as e:  # a broken input to the check is a failure, not a crash
        problems, ref = ["%s: %s" % (type(e).__name__, e)], []
    if problems:
        failed += 1
        print("  FAIL %s: %s" % (name, "; ".join(problems)))
    else:
        passed += 1
        print("  ok   %s (%d segments)" % (name, len(ref)))
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
PY
