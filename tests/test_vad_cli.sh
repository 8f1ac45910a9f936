#!/bin/sh
# `voce vad` on real speech: every output format, files against the live --stdin
# stream (the same segments to the sample), a stream cut off mid-speech, Ctrl-C and
# SIGTERM on a live stream, odd but valid audio, and exit codes with messages for bad
# usage and bad files.  usage: test_vad_cli.sh VOCE_BINARY
# Needs VOCE_TEST_DATA and VOCE_BUILD_DIR (set by ctest); python3 with numpy makes the
# test audio and parses the outputs.
set -u
voce=$1
data=${VOCE_TEST_DATA:-../shared}
tmp=${VOCE_BUILD_DIR:-.}/test-tmp/vad-cli
py=${VOCE_PYTHON:-/usr/bin/python3}
mkdir -p "$tmp"
. "$(dirname "$0")/cli_lib.sh"

onnx=$data/models/silero-vad/silero_vad.onnx
jfk=$data/audio/jfk.wav
stereo=$data/audio/misc/stereo_diarization.wav
missing=""
for f in "$onnx" "$jfk" "$stereo" "$py"; do [ -e "$f" ] || missing="$missing $f"; done
"$py" -c "import numpy" 2>/dev/null || missing="$missing numpy(for $py)"
if [ -n "$missing" ]; then echo "skip: needs$missing"; echo "0 passed, 0 failed, 1 skipped"; exit 77; fi

m=$tmp/vad.voce
rm -f "$m"
expect 0 "compile --family silero-vad" "$voce" compile --family silero-vad "$onnx" -o "$m" -q
if [ ! -f "$m" ]; then echo "$pass passed, $((fail + 1)) failed (no VAD program, nothing else can run)"; exit 1; fi
vad() { "$voce" vad -m "$m" "$@"; }

# ---- help ----
for c in compile info run vad; do expect 0 "$c --help" "$voce" "$c" --help; done
expect 0 "vad -h" "$voce" vad -h
grep -q "stdin" "$tmp/out" && ok "vad help describes --stdin" || bad "vad help: $(head -c 200 "$tmp/out")"
"$voce" --help | grep -q "^  vad " && ok "voce --help lists vad" || bad "voce --help does not list vad"

# ---- every format on one file ----
expect 0 "json" vad "$jfk" --format json && cp "$tmp/out" "$tmp/jfk.json"
pycheck "json: one object, fields, consistent segments" '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert o["file"] == sys.argv[2] and o["sample_rate"] == 16000 and o["samples"] == 176000, o
assert o["model_version"] in (4, 5, 6) and o["duration"] == 11.0, o
s = o["segments"]
assert len(s) >= 2, s
prev = -1
for g in s:
    assert prev <= g["start_sample"] < g["end_sample"] <= 176000, s
    assert g["start"] == round(g["start_sample"] / 16000, 3) and g["end"] == round(g["end_sample"] / 16000, 3), g
    prev = g["end_sample"]
assert "probs" not in o
' "$tmp/jfk.json" "$jfk"

expect 0 "csv" vad "$jfk" --format csv && cp "$tmp/out" "$tmp/jfk.csv"
pycheck "csv: header, one row per json segment, same samples" '
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
s = json.loads(open(sys.argv[2]).read())["segments"]
assert rows[0] == ["file", "start", "end", "start_sample", "end_sample"], rows[0]
assert len(rows) - 1 == len(s), (len(rows), len(s))
for r, g in zip(rows[1:], s):
    assert r[0] == sys.argv[3] and int(r[3]) == g["start_sample"] and int(r[4]) == g["end_sample"], (r, g)
    assert float(r[1]) == g["start"] and float(r[2]) == g["end"], (r, g)
' "$tmp/jfk.csv" "$tmp/jfk.json" "$jfk"

expect 0 "rttm" vad "$jfk" --format rttm && cp "$tmp/out" "$tmp/jfk.rttm"
pycheck "rttm: ten fields, uri without directory and extension, start and duration" '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
s = json.loads(open(sys.argv[2]).read())["segments"]
assert len(lines) == len(s), (lines, s)
for l, g in zip(lines, s):
    f = l.split()
    assert len(f) == 10 and f[0] == "SPEAKER" and f[1] == "jfk" and f[2] == "1", f
    assert f[5:] == ["<NA>", "<NA>", "speech", "<NA>", "<NA>"], f
    assert float(f[3]) == g["start"], (f, g)
    assert abs(float(f[4]) - (g["end_sample"] - g["start_sample"]) / 16000) < 0.0006, (f, g)
' "$tmp/jfk.rttm" "$tmp/jfk.json"

expect 0 "text" vad "$jfk"
pycheck "text: START<TAB>END per segment, as json" '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
s = json.loads(open(sys.argv[2]).read())["segments"]
assert [l.split("\t") for l in lines] == [["%.3f" % g["start"], "%.3f" % g["end"]] for g in s], lines
' "$tmp/out" "$tmp/jfk.json"

expect 0 "json --probs" vad "$jfk" --format json --probs && cp "$tmp/out" "$tmp/jfkp.json"
pycheck "json --probs: window, one probability per window, same segments" '
import json, math, sys
o = json.loads(open(sys.argv[1]).read())
p = o["probs"]
assert o["window"] == 512 and len(p) in (176000 // 512, -(-176000 // 512)), (o["window"], len(p))
assert all(0 <= x <= 1 for x in p) and max(p) > 0.9 and min(p) < 0.1, (min(p), max(p))
assert o["segments"] == json.loads(open(sys.argv[2]).read())["segments"]
' "$tmp/jfkp.json" "$tmp/jfk.json"
expect 0 "text --probs" vad "$jfk" --probs
pycheck "text --probs: TIME<TAB>PROB per window, as json" '
import json, sys
p = json.loads(open(sys.argv[2]).read())["probs"]
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
assert len(rows) == len(p), (len(rows), len(p))
for i, (t, x) in enumerate(rows):
    assert t == "%.3f" % (i * 0.032) and float(x) == p[i], (i, t, x, p[i])
' "$tmp/out" "$tmp/jfkp.json"
expect 0 "csv --probs" vad "$jfk" --probs --format csv
pycheck "csv --probs: file,time,prob" '
import csv, json, sys
p = json.loads(open(sys.argv[2]).read())["probs"]
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["file", "time", "prob"] and len(rows) == len(p) + 1, rows[:2]
assert [float(r[2]) for r in rows[1:]] == p
' "$tmp/out" "$tmp/jfkp.json"

# several files: one json line each, '# FILE' headers in text, one csv header
cp "$jfk" "$tmp/a, \"quoted\".wav"
expect 0 "two files, json" vad "$jfk" "$tmp/a, \"quoted\".wav" --format json
pycheck "two files, json: one line each, names escaped" '
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert [x["file"] for x in o] == sys.argv[2:], [x["file"] for x in o]
assert o[0]["segments"] == o[1]["segments"]
' "$tmp/out" "$jfk" "$tmp/a, \"quoted\".wav"
expect 0 "two files, csv" vad "$jfk" "$tmp/a, \"quoted\".wav" --format csv
pycheck "two files, csv: one header, names quoted" '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows.count(["file", "start", "end", "start_sample", "end_sample"]) == 1
assert {r[0] for r in rows[1:]} == set(sys.argv[2:]), rows
' "$tmp/out" "$jfk" "$tmp/a, \"quoted\".wav"
expect 0 "two files, text" vad "$jfk" "$tmp/a, \"quoted\".wav"
[ "$(grep -c '^# ' "$tmp/out")" -eq 2 ] && head -1 "$tmp/out" | grep -qF "# $jfk" && ok "two files, text: '# FILE' before each" \
  || bad "two files, text: $(head -c 200 "$tmp/out")"

pycheck "json escapes odd file names (control, quote, backslash, UTF-8, invalid bytes)" '
import json, os, shutil, subprocess, sys
voce, m, jfk, d = sys.argv[1:]
name = os.fsencode(d) + b"/odd \\ \"q\"\t\x01 \xc3\xa9 \xff\xed\xa0\x80.wav"
shutil.copy(jfk, name)
out = subprocess.run([voce, "vad", "-m", m, name, "--format", "json"], capture_output=True, check=True).stdout
got = json.loads(out.decode("utf-8"))["file"]
assert got == d + "/odd \\ \"q\"\t\x01 \u00e9 \ufffd\ufffd\ufffd\ufffd.wav", got
' "$voce" "$m" "$jfk" "$tmp"

# ---- files against the live stream ----
"$py" - "$jfk" "$tmp" <<'PY' || bad "raw PCM from the WAV"
import sys, wave, numpy as np
w = wave.open(sys.argv[1])
assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == 16000
b = w.readframes(w.getnframes())
open(sys.argv[2] + "/jfk.s16", "wb").write(b)
x = np.frombuffer(b, "<i2").astype(np.float32) / 32768
open(sys.argv[2] + "/jfk.f32", "wb").write(x.astype("<f4").tobytes())
PY
# stream_vs_json NAME STREAM_OUTPUT: start/end events equal the json segments in samples
stream_vs_json() {
  pycheck "$1" '
import json, sys
s = json.loads(open(sys.argv[2]).read())["segments"]
ev = [l.split() for l in open(sys.argv[1]).read().splitlines()]
assert all(len(e) == 3 and e[0] in ("start", "end") and e[1] == "%.3f" % (int(e[2]) / 16000) for e in ev), ev
want = [x for g in s for x in (["start", g["start_sample"]], ["end", g["end_sample"]])]
assert [[e[0], int(e[2])] for e in ev] == want, (ev, want)
' "$2" "$tmp/jfk.json"
}
expect 0 "--stdin s16le" vad --stdin --stdin-format s16le <"$tmp/jfk.s16" && cp "$tmp/out" "$tmp/stream.s16"
stream_vs_json "--stdin s16le: the same segments as the file, to the sample" "$tmp/stream.s16"
expect 0 "--stdin f32le (default)" vad --stdin --rate 16000 --channels 1 <"$tmp/jfk.f32" && cp "$tmp/out" "$tmp/stream.f32"
stream_vs_json "--stdin f32le: the same segments as the file" "$tmp/stream.f32"
expect 0 "--stdin json --probs" vad --stdin --stdin-format s16le --format json --probs <"$tmp/jfk.s16"
pycheck "--stdin json --probs: one object per line, probabilities as in the file run" '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
f = json.loads(open(sys.argv[2]).read())
p = [e for e in ev if e["event"] == "prob"]
assert [e["prob"] for e in p] == f["probs"] and all(e["sample"] == 512 * i for i, e in enumerate(p)), len(p)
se = [[e["event"], e["sample"]] for e in ev if e["event"] != "prob"]
assert se == [x for g in f["segments"] for x in (["start", g["start_sample"]], ["end", g["end_sample"]])], se
assert all(e["time"] == round(e["sample"] / 16000, 3) for e in ev)
' "$tmp/out" "$tmp/jfkp.json"

# cut off mid-speech: the middle of the longest segment
cut=$("$py" -c '
import json, sys
s = max(json.loads(open(sys.argv[1]).read())["segments"], key=lambda g: g["end_sample"] - g["start_sample"])
print((s["start_sample"] + s["end_sample"]) // 2)' "$tmp/jfk.json")
head -c $((cut * 2)) "$tmp/jfk.s16" >"$tmp/cut.s16"
expect 0 "--stdin cut off mid-speech" vad --stdin --stdin-format s16le <"$tmp/cut.s16"
tail -1 "$tmp/out" | grep -q "^end [0-9.]* $cut\$" && [ "$(grep -c '^start' "$tmp/out")" -eq "$(grep -c '^end' "$tmp/out")" ] \
  && ok "cut-off stream: the open speech ends at the last sample" || bad "cut-off stream (cut at $cut): $(tail -2 "$tmp/out")"

# stop_test SIGNAL: a live stream that stalls mid-speech; SIGNAL must close the open
# speech and exit 0 long before the writer would end (it sleeps 30 s)
stop_test() {
  sig=$1
  rate=${2:-16000}   # the VAD's rate: 8000 puts the 16 kHz stream through the resampler
  rm -f "$tmp/fifo" && mkfifo "$tmp/fifo" || { bad "$sig: mkfifo"; return; }
  : >"$tmp/sig.out"
  # started directly (not through the vad function) so that $! is voce itself
  "$voce" vad -m "$m" --stdin --stdin-format s16le --vad-rate "$rate" --probs <"$tmp/fifo" >"$tmp/sig.out" 2>"$tmp/sig.err" &
  vpid=$!
  (head -c $((cut * 2)) "$tmp/jfk.s16"; exec sleep 30) >"$tmp/fifo" &
  wpid=$!
  i=0
  while ! grep -q '^start' "$tmp/sig.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  # all that was sent must be processed (slow under sanitizers): wait until the
  # per-window prob lines stop coming, i.e. voce waits in a read on the stalled pipe
  last=-1; i=0
  while [ $i -lt 100 ]; do
    size=$(wc -c <"$tmp/sig.out"); [ "$size" -eq "$last" ] && break
    last=$size; sleep 0.5; i=$((i + 1))
  done
  kill -"$sig" $vpid
  i=0
  while kill -0 $vpid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 $vpid 2>/dev/null; then
    bad "$sig: still running 5 s after the signal"; kill -KILL $vpid
  fi
  wait $vpid
  rc=$?
  kill $wpid 2>/dev/null
  wait $wpid 2>/dev/null
  # every sample sent was processed, the resampler's tail included: speech ends at the last one
  want_end=$((cut * rate / 16000))
  if [ $rc -eq 0 ] && tail -1 "$tmp/sig.out" | grep -q "^end [0-9.]* $want_end\$" && grep -q '^start' "$tmp/sig.out"; then
    ok "$sig on a stalled $rate Hz stream: prints the end of open speech at sample $want_end, exits 0"
  else
    bad "$sig on a stalled $rate Hz stream: exit $rc, want end at $want_end, output $(tail -2 "$tmp/sig.out") $(head -c 200 "$tmp/sig.err")"
  fi
}
stop_test INT
stop_test TERM
stop_test INT 8000

# ---- usage errors ----
expect_says 2 "no model" "-m" "$voce" vad "$jfk"
expect_says 2 "no audio" "no audio" vad
expect_says 2 "audio and --stdin" "--stdin" vad --stdin "$jfk"
expect_says 2 "unknown option" "--bogus" vad "$jfk" --bogus
expect_says 2 "missing value" "--threshold" vad "$jfk" --threshold
expect_says 2 "-m without a value" "-m" "$voce" vad "$jfk" -m
expect_says 2 "non-numeric threshold" "abc" vad "$jfk" --threshold abc
expect_says 2 "non-numeric ms" "12x" vad "$jfk" --min-speech-ms 12x
expect_says 2 "non-numeric max speech" "--max-speech-s" vad "$jfk" --max-speech-s nan
expect_says 2 "negative threads" "--threads" vad "$jfk" --threads -2
expect 0 "--threads 1" vad "$jfk" --format json --threads 1 && cmp -s "$tmp/out" "$tmp/jfk.json" \
  && ok "--threads 1 prints what the default prints" || bad "--threads 1 changes the output"
expect_says 2 "threshold 0" "--threshold" vad "$jfk" --threshold 0
expect_says 2 "threshold 1" "--threshold" vad "$jfk" --threshold 1
expect_says 2 "threshold 1.5" "--threshold" vad "$jfk" --threshold 1.5
expect_says 2 "neg threshold above threshold" "--neg-threshold" vad "$jfk" --threshold 0.4 --neg-threshold 0.6
expect_says 2 "negative min speech" "--min-speech-ms" vad "$jfk" --min-speech-ms -1
expect_says 2 "negative min silence" "--min-silence-ms" vad "$jfk" --min-silence-ms -100
expect_says 2 "negative pad" "--pad-ms" vad "$jfk" --pad-ms -30
expect_says 2 "negative max speech" "--max-speech-s" vad "$jfk" --max-speech-s -1
expect_says 2 "vad rate 44100" "--vad-rate" vad "$jfk" --vad-rate 44100
expect_says 2 "rate 0" "--rate" vad --stdin --rate 0
expect_says 2 "rate absurd" "--rate" vad --stdin --rate 99999999
expect_says 2 "channels 0" "--channels" vad --stdin --channels 0
expect_says 2 "unknown stdin format" "wav" vad --stdin --stdin-format wav
expect_says 2 "--rate without --stdin" "--rate" vad "$jfk" --rate 8000
expect_says 2 "unknown format" "xml" vad "$jfk" --format xml
expect_says 2 "csv with --stdin" "--stdin" vad --stdin --format csv
expect_says 2 "rttm with --stdin" "--stdin" vad --stdin --format rttm
expect_says 2 "rttm with --probs" "rttm" vad "$jfk" --format rttm --probs

# ---- bad models and bad files ----
expect 0 "compile without --family" "$voce" compile "$onnx" --fix sr=16000 -o "$tmp/plain.voce" -q
expect_says 1 "not a VAD program" "VAD" "$voce" vad -m "$tmp/plain.voce" "$jfk"
grep -qi "metadata\|family" "$tmp/err" && ok "not a VAD program: says what is missing" || bad "not a VAD program: $(cat "$tmp/err")"
expect_says 1 "missing model" "$tmp/nope.voce" "$voce" vad -m "$tmp/nope.voce" "$jfk"
expect_says 1 "a WAV as the model" "$jfk" "$voce" vad -m "$jfk" "$jfk"
: >"$tmp/empty.wav"
printf 'just some text, not audio at all\n' >"$tmp/text.wav"
head -c 30 "$jfk" >"$tmp/trunc.wav"
expect_says 1 "empty file" "$tmp/empty.wav" vad "$tmp/empty.wav"
expect_says 1 "not audio" "$tmp/text.wav" vad "$tmp/text.wav"
expect_says 1 "truncated WAV" "$tmp/trunc.wav" vad "$tmp/trunc.wav"
expect_says 1 "missing file" "$tmp/nope.wav" vad "$tmp/nope.wav"
expect_says 1 "a bad file after a good one" "$tmp/trunc.wav" vad "$jfk" "$tmp/trunc.wav" "$jfk" --format json
[ "$(wc -l <"$tmp/out")" -eq 1 ] && grep -qF "\"file\":\"$jfk\"" "$tmp/out" && ok "a bad file after a good one: the good one is printed, then it stops" \
  || bad "a bad file after a good one: $(head -c 300 "$tmp/out")"

# ---- odd but valid audio ----
"$py" - "$jfk" "$tmp" <<'PY' || bad "making test WAVs"
import struct, sys, wave, numpy as np
w = wave.open(sys.argv[1])
x = np.frombuffer(w.readframes(w.getnframes()), "<i2")
d = sys.argv[2]
def wav(path, data, rate, tag):  # data: frames x channels, int16 or float32
    ch = data.shape[1]
    b = data.astype("<i2" if tag == 1 else "<f4").tobytes()
    bits = 16 if tag == 1 else 32
    fmt = struct.pack("<HHIIHH", tag, ch, rate, rate * ch * bits // 8, ch * bits // 8, bits)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(b)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(b)) + b)
wav(d + "/ch64.wav", np.repeat(x[:48000, None], 64, axis=1), 16000, 1)
f = x.astype(np.float32) / 32768
f[16000:16100] = np.nan
f[32000:32010] = np.inf
f[40000:40010] = -np.inf
wav(d + "/nan.wav", f[:, None], 16000, 3)
t = np.arange(int(len(x) * 44100 / 16000)) / 44100
wav(d + "/jfk44k.wav", np.round(np.interp(t, np.arange(len(x)) / 16000, x.astype(np.float64)))[:, None], 44100, 1)
PY
expect 0 "64-channel WAV" vad "$tmp/ch64.wav" --format json
pycheck "64-channel WAV: 3 s, speech found" '
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["samples"] == 48000 and o["segments"], o
' "$tmp/out"
expect 0 "WAV with NaN and infinite samples" vad "$tmp/nan.wav" --format json --probs
pycheck "NaN WAV: finite probabilities, speech found" '
import json, math, sys
o = json.loads(open(sys.argv[1]).read())
assert o["samples"] == 176000 and o["segments"] and all(math.isfinite(p) for p in o["probs"]), o["segments"]
' "$tmp/out"
expect 0 "stereo WAV" vad "$stereo" --format json
pycheck "stereo WAV: mixed to mono, every sample" '
import json, sys, wave
o = json.loads(open(sys.argv[1]).read())
assert o["samples"] == wave.open(sys.argv[2]).getnframes() and o["sample_rate"] == 16000, o
' "$tmp/out" "$stereo"
expect 0 "44.1 kHz WAV" vad "$tmp/jfk44k.wav" --format json
pycheck "44.1 kHz WAV: resampled to 16 kHz, speech where the 16 kHz file has it" '
import json, sys
import numpy as np
o = json.loads(open(sys.argv[1]).read())
r = json.loads(open(sys.argv[2]).read())
assert o["sample_rate"] == 16000 and abs(o["samples"] - 176000) <= 16, o["samples"]
def mask(segs):
    m = np.zeros(176000, bool)
    for g in segs: m[g["start_sample"]:g["end_sample"]] = True
    return m
a, b = mask(o["segments"]), mask(r["segments"])
iou = (a & b).sum() / (a | b).sum()
assert iou > 0.9, (iou, o["segments"], r["segments"])
' "$tmp/out" "$tmp/jfk.json"
# the original JFK recording: FLAC, 44.1 kHz, stereo, 24-bit (needs libsndfile at run time)
flac=$data/audio/jfk.flac
if [ -f "$flac" ]; then
  "$voce" vad -m "$m" "$flac" --format json >"$tmp/out" 2>"$tmp/err"
  rc=$?
  case $rc in
  0) pycheck "FLAC 44.1 kHz stereo: speech where the WAV has it" '
import json, sys
import numpy as np
o = json.loads(open(sys.argv[1]).read())
r = json.loads(open(sys.argv[2]).read())
n = max(o["samples"], r["samples"])
def mask(segs):
    m = np.zeros(n, bool)
    for g in segs: m[g["start_sample"]:g["end_sample"]] = True
    return m
a, b = mask(o["segments"]), mask(r["segments"])
assert (a & b).sum() / (a | b).sum() > 0.9, (o["segments"], r["segments"])
' "$tmp/out" "$tmp/jfk.json" ;;
  1) grep -q "libsndfile" "$tmp/err" && ok "FLAC without libsndfile: says so" || bad "FLAC: $(head -c 300 "$tmp/err")" ;;
  *) bad "FLAC: exit $rc: $(head -c 300 "$tmp/err")" ;;
  esac
fi
expect 0 "--vad-rate 8000" vad "$jfk" --vad-rate 8000 --format json --probs
pycheck "--vad-rate 8000: samples at 8 kHz, 256-sample windows, speech found" '
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["sample_rate"] == 8000 and o["window"] == 256 and abs(o["samples"] - 88000) <= 8 and o["segments"], o["segments"]
' "$tmp/out"
expect 0 "settings change the segments" vad "$jfk" --format json --threshold 0.9 --min-silence-ms 500 --pad-ms 0 --min-speech-ms 0
"$py" -c 'import json, sys; a = json.loads(open(sys.argv[1]).read()); b = json.loads(open(sys.argv[2]).read()); assert a["segments"] != b["segments"]' \
  "$tmp/out" "$tmp/jfk.json" 2>/dev/null && ok "settings reach the VAD" || bad "settings reach the VAD: same segments as the defaults"

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
