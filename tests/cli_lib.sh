# Shared by the shell tests of the voce command (test_*_cli.sh): sourced after they set
# $tmp (a scratch folder) and $py. Counts passes and failures in $pass and $fail.
pass=0
fail=0
# VOCE_TEST_QUICK=1 (sanitizer and qemu runs): the tests do less of the same work
quick=${VOCE_TEST_QUICK:-0}
# require THING...: skip the whole test (exit 77), naming every absent thing; a name with
# a slash is a file, one without a command looked up in PATH
require() {
  missing=""
  for f in "$@"; do
    case $f in
      */*) [ -e "$f" ] || missing="$missing $f" ;;
      *) command -v "$f" >/dev/null || missing="$missing $f" ;;
    esac
  done
  if [ -n "$missing" ]; then echo "skip: needs$missing"; echo "0 passed, 0 failed, 1 skipped"; exit 77; fi
}
# cues_ok: $tmp/jfk.srt and $tmp/jfk.vtt, saved by a formats loop, hold cues
cues_ok() {
  grep -q -- "-->" "$tmp/jfk.srt" && head -1 "$tmp/jfk.vtt" | grep -q WEBVTT && ok "srt and vtt cues" || bad "srt/vtt"
}
# empty_json NAME: the JSON transcript in $tmp/out has no segments and no text
empty_json() {
  pycheck "$1" '
import json, sys
j = json.load(open(sys.argv[1])); assert j["segments"] == [] and j["text"] == "", j
' "$tmp/out"
}
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# expect CODE NAME COMMAND...: the command exits with CODE and, when it fails, says why
expect() {
  want=$1; name=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then bad "$name (exit $got, want $want): $(head -c 300 "$tmp/err")"; return 1; fi
  if [ "$want" -ne 0 ] && [ ! -s "$tmp/err" ]; then bad "$name: failed without a message"; return 1; fi
  ok "$name"
}
# expect_says CODE NAME TEXT COMMAND...: as expect, and the message contains TEXT
expect_says() {
  want=$1; name=$2; text=$3; shift 3
  expect "$want" "$name" "$@" || return 1
  grep -qiF -- "$text" "$tmp/err" || { bad "$name: message does not mention '$text': $(head -c 300 "$tmp/err")"; return 1; }
}
# pycheck NAME SCRIPT ARGS...: a python check passes (prints why when not)
pycheck() {
  name=$1; script=$2; shift 2
  if "$py" -c "$script" "$@" 2>"$tmp/pyerr"; then ok "$name"; else bad "$name: $(tail -c 400 "$tmp/pyerr")"; fi
}
# VOCE_EMULATOR: a command that runs the voce binary (`make test-arm` sets it to qemu-user
# for a cross build, which ctest's emulator does not reach through sh). A wrapper script
# keeps "$voce" one word, as every caller quotes it.
if [ -n "${VOCE_EMULATOR:-}" ]; then
  printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$VOCE_EMULATOR" "$voce" >"$tmp/voce-emu"
  chmod +x "$tmp/voce-emu"
  voce=$tmp/voce-emu
fi
