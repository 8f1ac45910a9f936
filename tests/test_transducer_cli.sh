#!/bin/sh
# `voce transcribe` on the random-weight NeMo models (tests/ref/gen_transducer_layouts.py):
# every output format parses and carries facts.json's text; word times in verbose_json
# are facts.json's (offsets x 0.08 s); VAD gating of silence gives an empty transcript;
# a clear message for each Whisper-only option, and audio shorter than one encoder frame
# (80 ms) gives an empty transcript.
#   usage: test_transducer_cli.sh VOCE_BINARY
# Needs VOCE_TRANSDUCER_LAYOUTS, VOCE_TEST_DATA (set by ctest), python3 with numpy, sox.
set -u
voce=$1
data=${VOCE_TEST_DATA:-../shared}
layouts=${VOCE_TRANSDUCER_LAYOUTS:-${VOCE_BUILD_DIR:-.}/transducer-layouts}
tmp=${VOCE_BUILD_DIR:-.}/test-tmp/transducer-cli
py=${VOCE_PYTHON:-/usr/bin/python3}
mkdir -p "$tmp"
. "$(dirname "$0")/cli_lib.sh"

jfk=$data/audio/jfk.wav
silero=$data/models/silero-vad/silero_vad.onnx
require "$jfk" "$silero" "$layouts/tdt/ref/facts.json" "$layouts/ctc/ref/facts.json" "$py" sox

tdt=$tmp/tdt.voce
ctc=$tmp/ctc.voce
vadm=$tmp/vad.voce
expect 0 "compile the TDT model" "$voce" compile --family transducer "$layouts/tdt/sherpa" -o "$tdt" -q
expect 0 "compile the CTC model" "$voce" compile --family ctc "$layouts/ctc/onnx-asr" -o "$ctc" -q
expect 0 "compile Silero VAD" "$voce" compile --family silero-vad "$silero" -o "$vadm" -q
tr() { "$voce" transcribe --threads 1 -q "$@"; }

formats="txt srt vtt tsv json verbose_json"
[ "$quick" = 1 ] && formats="verbose_json"

# ---- formats ----
for f in $formats; do
  expect 0 "TDT: --format $f" tr -m "$tdt" "$jfk" --format "$f" && cp "$tmp/out" "$tmp/jfk.$f"
done
pycheck "verbose_json: facts.json's text, OpenAI's segment fields" '
import json, sys
v = json.load(open(sys.argv[1])); facts = json.load(open(sys.argv[2]))
assert v["text"] == facts["greedy"]["text"], (v["text"], facts["greedy"]["text"])
assert v["task"] == "transcribe" and v["duration"] == 11.0 and len(v["segments"]) > 1
for s in v["segments"]:
    for k in ("id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
              "compression_ratio", "no_speech_prob"):
        assert k in s, k
    assert s["text"].strip()[-1] in ".?!" or s is v["segments"][-1], s["text"]
' "$tmp/jfk.verbose_json" "$layouts/tdt/ref/facts.json"
if [ "$quick" != 1 ]; then
pycheck "json parses; txt, tsv hold the segments" '
import json, sys
j = json.load(open(sys.argv[1]))
txt = open(sys.argv[2]).read().splitlines(); tsv = open(sys.argv[3]).read().splitlines()
assert [s["text"].strip() for s in j["segments"]] == txt, (j["segments"], txt)
assert len(tsv) == len(txt) + 1 and tsv[0] == "start\tend\ttext"
' "$tmp/jfk.json" "$tmp/jfk.txt" "$tmp/jfk.tsv"
cues_ok
fi
expect 0 "TDT: --word-timestamps" tr -m "$tdt" "$jfk" --word-timestamps --format verbose_json
pycheck "word times are facts.json offsets x 0.08 s" '
import json, sys
v = json.load(open(sys.argv[1])); facts = json.load(open(sys.argv[2]))
words = v["words"]
want = facts["greedy"]["words"]
assert len(words) == len(want), (len(words), len(want))
for w, f in zip(words, want):
    assert w["word"] == f["word"], (w, f)
    assert abs(w["start"] - round(f["start_offset"] * 0.08, 3)) < 1e-6, (w, f)
    assert abs(w["end"] - round(f["end_offset"] * 0.08, 3)) < 1e-6, (w, f)
' "$tmp/out" "$layouts/tdt/ref/facts.json"
if [ "$quick" != 1 ]; then
  expect 0 "CTC (onnx-asr layout): --format json" tr -m "$ctc" "$jfk" --format json
  pycheck "CTC: facts.json's text" '
import json, sys
j = json.load(open(sys.argv[1])); facts = json.load(open(sys.argv[2]))
assert j["text"] == facts["greedy"]["text"], (j["text"], facts["greedy"]["text"])
' "$tmp/out" "$layouts/ctc/ref/facts.json"
fi

# ---- VAD gating, short input ----
sox -n -r 16000 -b 16 -c 1 "$tmp/silence.wav" trim 0 5 2>/dev/null
sox -n -r 16000 -b 16 -c 1 "$tmp/short.wav" trim 0 0.05 2>/dev/null
expect 0 "silence only, --vad --vad-always" tr -m "$tdt" --vad "$vadm" --vad-always "$tmp/silence.wav" --format json
empty_json "silence gives no segments"
expect 0 "50 ms (shorter than one 80 ms encoder frame)" tr -m "$tdt" "$tmp/short.wav" --format json
empty_json "50 ms gives an empty transcript"

# ---- Whisper-only options ----
expect_says 1 "--language de" "leave the language at auto" tr -m "$tdt" -l de "$jfk"
expect_says 1 "--task translate" "cannot translate" tr -m "$tdt" --task translate "$jfk"
expect_says 1 "CTC: --beam 4" "beam search" tr -m "$ctc" --beam 4 "$jfk"
# beam search (TDT): the text of tests/ref/transducer_beam_ref.py's beam 4
beamfacts=${VOCE_TRANSDUCER_BEAM:-${VOCE_BUILD_DIR:-.}/transducer-beam}/beam_facts.json
if [ -f "$beamfacts" ]; then
  expect 0 "TDT: --beam 4" tr -m "$tdt" --beam 4 "$jfk" --format json
  pycheck "--beam 4: the beam reference's text" '
import json, sys
j = json.load(open(sys.argv[1])); want = json.load(open(sys.argv[2]))["models"]["tdt"]["beams"]["4"]["text"]
assert j["text"] == want, (j["text"], want)
' "$tmp/out" "$beamfacts"
fi
expect_says 1 "--temperature 0.4" "temperature" tr -m "$tdt" --temperature 0.4 "$jfk"
expect_says 1 "--prompt" "prompt" tr -m "$tdt" --prompt "hello" "$jfk"
[ "$quick" != 1 ] && expect 0 "--language auto --beam 1 --no-fallback --no-condition" \
  tr -m "$tdt" -l auto --beam 1 --no-fallback --no-condition "$jfk"

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
