#!/bin/sh
# The 10-minute input of the peer benchmarks (bench/whisper_cpp.sh, whisper_peers.sh,
# transducer_peers.sh): every WAV file under DATA/audio, in name order, as 16 kHz mono
# 16-bit without dither (-D: the same bytes on every run), three passes over them
# (about 300 s of real speech) cut to exactly 600 s.
# usage: ten_minutes.sh DATA OUT.wav   (needs sox; OUT.wav is written whole or not at all)
set -eu
data=$1 out=$2
tmp=$(mktemp -d /tmp/voce-ten.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
i=0
for f in $(find "$data/audio" -name '*.wav' | LC_ALL=C sort); do
  i=$((i + 1))
  sox -D "$f" -r 16000 -c 1 -b 16 -e signed-integer "$tmp/$(printf %03d $i).wav"
done
set -- "$tmp"/*.wav
sox -D "$@" "$@" "$@" "$out.tmp.wav" trim 0 600 && mv "$out.tmp.wav" "$out"
