#!/bin/sh
# `voce features` and the front end a program names in its metadata: a program compiled
# with features.* keys gives the same features as the options that spell them out, bad
# keys and bad options are refused with a message naming them, and the .npy written has
# the shape and layout asked for.  usage: test_features_cli.sh VOCE_BINARY
# Needs VOCE_TEST_DATA and VOCE_BUILD_DIR (set by ctest); python3 with numpy reads the
# .npy files.
set -u
voce=$1
data=${VOCE_TEST_DATA:-../shared}
tmp=${VOCE_BUILD_DIR:-.}/test-tmp/features-cli
py=${VOCE_PYTHON:-/usr/bin/python3}
mkdir -p "$tmp"
. "$(dirname "$0")/cli_lib.sh"
same() { if cmp -s "$2" "$3"; then ok "$1"; else bad "$1: $2 and $3 differ"; fi; }
# shape NAME FILE ROWS COLS: the .npy is float32 of that shape ('*' rows: any > 0)
shape() {
  if "$py" -c '
import sys, numpy as np
a = np.load(sys.argv[1]); r, c = sys.argv[2], int(sys.argv[3])
assert a.dtype == np.float32, a.dtype
assert a.ndim == 2 and a.shape[1] == c and (a.shape[0] > 0 if r == "*" else a.shape[0] == int(r)), a.shape
assert np.isfinite(a).all()
' "$2" "$3" "$4" 2>"$tmp/pyerr"; then ok "$1"; else bad "$1: $(tail -c 300 "$tmp/pyerr")"; fi
}

onnx=$data/models/silero-vad/silero_vad.onnx
wav=$data/audio/jfk.wav
for f in "$onnx" "$wav"; do
  [ -f "$f" ] || { echo "skip: needs $f"; exit 77; }
done
"$py" -c 'import numpy' 2>/dev/null || { echo "skip: needs numpy for $py"; exit 77; }

# any model serves as the carrier of the metadata
prog=$tmp/nemo128.voce
expect 0 "compile with features.* metadata" "$voce" compile -q "$onnx" -o "$prog" --family silero-vad \
  --meta features.kind=nemo --meta features.n_mels=128 --meta features.mag_power=1 \
  --meta features.normalize=none
expect 0 "features from the program" "$voce" features -m "$prog" "$wav" -o "$tmp/a.npy"
expect 0 "features from the options" "$voce" features --kind nemo --n-mels 128 --magnitude --no-normalize "$wav" \
  -o "$tmp/b.npy"
same "program metadata = the options it spells out" "$tmp/a.npy" "$tmp/b.npy"
# jfk.wav is 176000 samples: 1100 valid NeMo frames plus the masked one, padded to 16
shape "NeMo 128: 1104 x 128" "$tmp/a.npy" 1104 128
expect 0 "compile with features.pad_to=0" "$voce" compile -q "$onnx" -o "$tmp/nopad.voce" --family silero-vad \
  --meta features.kind=nemo --meta features.pad_to=0
expect 0 "features without padding" "$voce" features -m "$tmp/nopad.voce" "$wav" -o "$tmp/d.npy"
shape "NeMo, pad_to 0: 1101 x 80" "$tmp/d.npy" 1101 80
expect 0 "the power spectrum differs" "$voce" features --kind nemo --n-mels 128 --no-normalize "$wav" -o "$tmp/c.npy"
if cmp -s "$tmp/a.npy" "$tmp/c.npy"; then bad "magnitude and power give the same features"; else ok "magnitude is not power"; fi

expect 0 "whisper 80" "$voce" features --kind whisper "$wav" -o "$tmp/w.npy"
shape "whisper: 1100 x 80" "$tmp/w.npy" 1100 80
expect 0 "whisper, mels first" "$voce" features --kind whisper --layout mels-first "$wav" -o "$tmp/wt.npy"
shape "mels first: 80 x 1100" "$tmp/wt.npy" 80 1100
expect 0 "fbank, magnitude" "$voce" features --kind fbank --magnitude "$wav" -o "$tmp/f.npy"
shape "fbank: 1098 x 80" "$tmp/f.npy" 1098 80

# refusals, each naming what is wrong
p=$tmp/bad.voce
"$voce" compile -q "$onnx" -o "$p" --family silero-vad --meta features.kind=nemo --meta features.mag_power=3
expect_says 1 "mag_power 3 refused" "mag_power" "$voce" features -m "$p" "$wav" -o "$tmp/x.npy"
"$voce" compile -q "$onnx" -o "$p" --family silero-vad --meta features.kind=whisper --meta features.mag_power=1
expect_says 1 "Whisper with magnitude refused" "magnitude" "$voce" features -m "$p" "$wav" -o "$tmp/x.npy"
"$voce" compile -q "$onnx" -o "$p" --family silero-vad --meta features.kind=nemo --meta features.normalize=all_features
expect_says 1 "unknown normalize refused" "all_features" "$voce" features -m "$p" "$wav" -o "$tmp/x.npy"
"$voce" compile -q "$onnx" -o "$p" --family silero-vad --meta features.kind=nemo --meta features.n_mels=0
expect_says 1 "n_mels 0 refused" "n_mels" "$voce" features -m "$p" "$wav" -o "$tmp/x.npy"
"$voce" compile -q "$onnx" -o "$p" --family silero-vad
expect_says 1 "a program without features.kind" "features.kind" "$voce" features -m "$p" "$wav" -o "$tmp/x.npy"
expect_says 2 "--magnitude with whisper" "--magnitude" "$voce" features --kind whisper --magnitude "$wav" -o "$tmp/x.npy"
expect_says 2 "--no-normalize with fbank" "--no-normalize" "$voce" features --kind fbank --no-normalize "$wav" -o "$tmp/x.npy"
expect_says 2 "unknown kind" "mfcc" "$voce" features --kind mfcc "$wav" -o "$tmp/x.npy"
expect_says 2 "no output" "-o" "$voce" features --kind nemo "$wav"
expect_says 1 "missing audio file" "nosuch.wav" "$voce" features --kind nemo "$tmp/nosuch.wav" -o "$tmp/x.npy"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
