#!/bin/sh
# `voce transcribe` on random-weight Whisper models (tests/ref/gen_whisper_layouts.py):
# every output format parses, VAD gating (silence gives no segments; speech padded with
# long silence keeps its times inside the speech), and a clear message for each bad
# input the issue names: a program of another family, a language the model lacks,
# translation or another language on an English-only model, options not available yet;
# the sherpa-onnx and Hugging Face exports of the same model transcribe alike and refuse
# word timestamps.
#   usage: test_transcribe_cli.sh VOCE_BINARY
# Needs VOCE_WHISPER_LAYOUTS, VOCE_TEST_DATA (set by ctest), python3 with numpy, sox.
set -u
voce=$1
data=${VOCE_TEST_DATA:-../shared}
layouts=${VOCE_WHISPER_LAYOUTS:-${VOCE_BUILD_DIR:-.}/whisper-layouts}
tmp=${VOCE_BUILD_DIR:-.}/test-tmp/transcribe-cli
py=${VOCE_PYTHON:-/usr/bin/python3}
mkdir -p "$tmp"
. "$(dirname "$0")/cli_lib.sh"

jfk=$data/audio/jfk.wav
silero=$data/models/silero-vad/silero_vad.onnx
require "$jfk" "$silero" "$layouts/multi/voce/config.json" "$layouts/en/voce/config.json" "$py" sox

multi=$tmp/multi.voce
en=$tmp/en.voce
vadm=$tmp/vad.voce
expect 0 "compile the multilingual model" "$voce" compile --family whisper "$layouts/multi/voce" -o "$multi" -q
expect 0 "compile the English-only model" "$voce" compile --family whisper "$layouts/en/voce" -o "$en" -q
expect 0 "compile Silero VAD" "$voce" compile --family silero-vad "$silero" -o "$vadm" -q
# one decode per window (the fallback's rules are test_whisper_decode's and
# test_whisper_transcribe's): random weights would otherwise retry every window 6 times
tr() { "$voce" transcribe --threads 1 --beam 1 --best-of 1 --no-fallback -q "$@"; }

formats="txt srt vtt tsv json verbose_json"
[ "$quick" = 1 ] && formats="verbose_json"

# ---- formats ----
for f in $formats; do
  expect 0 "transcribe --format $f" tr -m "$multi" "$jfk" --format "$f" && cp "$tmp/out" "$tmp/jfk.$f"
done
[ "$quick" != 1 ] && pycheck "json and verbose_json parse; verbose_json has OpenAI's segment fields" '
import json, sys
j = json.load(open(sys.argv[1])); v = json.load(open(sys.argv[2]))
assert j["segments"] and j["text"] is not None
for s in v["segments"]:
    for k in ("id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
              "compression_ratio", "no_speech_prob"):
        assert k in s, k
assert v["task"] == "transcribe" and v["duration"] == 11.0
' "$tmp/jfk.json" "$tmp/jfk.verbose_json"
if [ "$quick" != 1 ]; then
cues_ok
expect 0 "word timestamps" tr -m "$multi" "$jfk" --word-timestamps --format verbose_json
pycheck "words inside their segments, in order" '
import json, sys
v = json.load(open(sys.argv[1]))
last = 0.0
for s in v["segments"]:
    for w in s.get("words", []):
        assert s["start"] - 1e-6 <= w["start"] <= w["end"] <= s["end"] + 1e-6, (s, w)
        assert w["start"] >= last - 1e-6; last = w["start"]
' "$tmp/out"
expect 0 "-o DIR writes AUDIO.srt" tr -m "$multi" "$jfk" --format srt -o "$tmp/outdir"
[ -s "$tmp/outdir/jfk.srt" ] && ok "jfk.srt written" || bad "no $tmp/outdir/jfk.srt"
fi

# ---- VAD gating ----
sox -n -r 16000 -b 16 -c 1 "$tmp/silence.wav" trim 0 40 2>/dev/null
sox -n -r 16000 -b 16 -c 1 "$tmp/pad.wav" trim 0 3 2>/dev/null
sox "$tmp/pad.wav" "$jfk" "$tmp/silence.wav" "$tmp/padded.wav" 2>/dev/null
expect 0 "silence only, --vad" tr -m "$multi" --vad "$vadm" "$tmp/silence.wav" --format json
empty_json "silence gives no segments (nothing decoded from it)"
[ "$quick" != 1 ] && expect 0 "speech padded by 43 s of silence, --vad" tr -m "$multi" --vad "$vadm" "$tmp/padded.wav" --format json
[ "$quick" != 1 ] && pycheck "gated times map back into the speech (3 s to 14 s)" '
import json, sys
j = json.load(open(sys.argv[1])); assert j["segments"], j
for s in j["segments"]:
    assert 2.9 <= s["start"] <= s["end"] <= 14.1, s
' "$tmp/out"

# ---- bad input ----
expect_says 1 "a VAD program as the model" "is a 'silero-vad' program" tr -m "$vadm" "$jfk"
expect_says 1 "a language the model lacks" "knows 99 languages" tr -m "$multi" -l yue "$jfk"
expect_says 1 "an unknown language" "klingon" tr -m "$multi" -l klingon "$jfk"
expect_says 1 "another language on an English-only model" "English-only" tr -m "$en" -l de "$jfk"
expect_says 1 "translate on an English-only model" "cannot translate" tr -m "$en" --task translate "$jfk"
[ "$quick" != 1 ] && expect 0 "English on an English-only model" tr -m "$en" -l en "$jfk"
[ "$quick" != 1 ] && expect 0 "beam search, 3 beams" tr -m "$multi" --beam 3 "$jfk"
expect_says 2 "an unknown format" "--format" tr -m "$multi" --format doc "$jfk"
expect_says 2 "no model" "-m" "$voce" transcribe "$jfk"
expect_says 1 "a missing audio file" "nothing.wav" tr -m "$multi" "$tmp/nothing.wav"
expect_says 2 "--vad-always without --vad" "--vad" tr -m "$multi" --vad-always "$jfk"

# ---- the downloaded layouts ----
if [ "$quick" != 1 ]; then
  for l in sherpa hf; do
    expect 0 "compile the $l layout" "$voce" compile --family whisper "$layouts/multi/$l" -o "$tmp/$l.voce" -q
    expect 0 "transcribe with the $l layout" tr -m "$tmp/$l.voce" "$jfk" --format json && cp "$tmp/out" "$tmp/$l.json"
    expect_says 1 "word timestamps on the $l layout" "scripts/export/whisper.py" tr -m "$tmp/$l.voce" "$jfk" --word-timestamps
  done
  pycheck "the three layouts of one model give the same transcript" '
import json, sys
a, b, c = (json.load(open(f)) for f in sys.argv[1:4])
assert a["text"] == b["text"] == c["text"], (a["text"], b["text"], c["text"])
assert [(s["start"], s["end"]) for s in a["segments"]] == [(s["start"], s["end"]) for s in c["segments"]]
' "$tmp/jfk.json" "$tmp/sherpa.json" "$tmp/hf.json"
fi

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
