#!/bin/sh
# Whole-file Silero VAD speed, voce (`voce vad`) beside sherpa-onnx (npm sherpa-onnx-node,
# through bench/sherpa_vad.js) in the same run, single thread, on one hour of real
# speech; then voce's peak resident memory for a 10-minute and a 60-minute input.
#
# usage: bench/vad_speed.sh BUILD_DIR
# env:   VOCE_TEST_DATA (default ../shared), VAD_RUNS (best of, default 3),
#        VAD_MODELS (default "silero_vad_v5_npm silero_vad"), VAD_TMP (default a mktemp dir),
#        SHERPA_NODE_PATH (node_modules holding sherpa-onnx-node; default BUILD_DIR/sherpa/
#        node_modules, installed there with npm when missing; sherpa-onnx is skipped when
#        node, npm or the package are unavailable).
#
# The input: every WAV under DATA/audio (16 kHz; float and stereo ones converted to 16-bit
# mono), concatenated in name order and repeated until 3600 s. Each engine is pinned to
# core 0 when taskset exists. voce's time is the wall clock of the whole `voce vad -m
# X.voce hour.wav --format json` process (program mapping, WAV reading, VAD, output);
# sherpa-onnx's is reported as its VAD time alone and as load + VAD (WAV reading and
# Node.js start-up excluded), both from bench/sherpa_vad.js.
set -eu
build=${1:-build}
data=${VOCE_TEST_DATA:-../shared}
runs=${VAD_RUNS:-3}
models=${VAD_MODELS:-"silero_vad_v5_npm silero_vad"}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=${VAD_TMP:-}
own_tmp=0
if [ -z "$tmp" ]; then tmp=$(mktemp -d /tmp/voce-vad-speed.XXXXXX); own_tmp=1; fi
mkdir -p "$tmp"
cleanup() { if [ "$own_tmp" = 1 ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT INT TERM

pin=""
if command -v taskset >/dev/null 2>&1; then pin="taskset -c 0"; fi

if [ ! -x "$build/voce" ]; then echo "vad_speed: $build/voce not found, skipped"; exit 0; fi
if ! "$build/voce" vad --help >/dev/null 2>&1; then echo "vad_speed: this voce has no 'vad' command, skipped"; exit 0; fi

# sherpa-onnx (optional)
sherpa=${SHERPA_NODE_PATH:-$build/sherpa/node_modules}
have_sherpa=0
if command -v node >/dev/null 2>&1; then
  if [ ! -d "$sherpa/sherpa-onnx-node" ] && [ -z "${SHERPA_NODE_PATH:-}" ] && command -v npm >/dev/null 2>&1; then
    mkdir -p "$build/sherpa"
    npm install --prefix "$build/sherpa" --no-save --no-audit --no-fund sherpa-onnx-node@1.13.8 >/dev/null 2>&1 \
      || echo "vad_speed: npm install sherpa-onnx-node failed"
  fi
  if [ -d "$sherpa/sherpa-onnx-node" ]; then have_sherpa=1; fi
fi
[ "$have_sherpa" = 1 ] || echo "vad_speed: node or sherpa-onnx-node unavailable: sherpa-onnx skipped"

# one hour (and ten minutes) of real speech
"$py" - "$data" "$tmp/hour.wav" "$tmp/ten.wav" <<'EOF'
import glob, os, sys
import numpy as np
data, hour, ten = sys.argv[1:4]

def read(p):
    b = open(p, 'rb').read()
    off, fmt = 12, None
    while off + 8 <= len(b):
        cid, size, body = b[off:off + 4], int.from_bytes(b[off + 4:off + 8], 'little'), off + 8
        if cid == b'fmt ':
            u16 = lambda o: int.from_bytes(b[body + o:body + o + 2], 'little')
            tag, ch, rate, bits = u16(0), u16(2), int.from_bytes(b[body + 4:body + 8], 'little'), u16(14)
            if tag == 0xfffe:
                tag = u16(24)
            fmt = (tag, ch, rate, bits)
        elif cid == b'data':
            tag, ch, rate, bits = fmt
            raw = b[body:body + min(size, len(b) - body)]
            if tag == 3 and bits in (32, 64):
                x = np.frombuffer(raw[:len(raw) // (bits // 8) * (bits // 8)], '<f4' if bits == 32 else '<f8').astype(np.float64)
            elif tag == 1 and bits == 16:
                x = np.frombuffer(raw[:len(raw) // 2 * 2], '<i2') / 32768.0
            else:
                raise SystemExit(f'{p}: unsupported WAV layout {fmt}')
            return rate, x[:len(x) // ch * ch].reshape(-1, ch).mean(1)
        off = body + size + (size & 1)
    raise SystemExit(f'{p}: no data chunk')

parts = []
files = sorted(glob.glob(os.path.join(data, 'audio', '**', '*.wav'), recursive=True))
for f in files:
    rate, x = read(f)
    if rate == 16000:
        parts.append(x)
    else:
        print(f'vad_speed: {f}: {rate} Hz, left out', file=sys.stderr)
if not parts:
    raise SystemExit(f'vad_speed: no 16 kHz WAV under {data}/audio')
one = np.concatenate(parts)
print(f'input: {len(parts)} WAV files, {len(one) / 16000:.1f} s, repeated to 3600 s (and the first 600 s)')
for path, secs in ((hour, 3600), (ten, 600)):
    n = secs * 16000
    pcm = np.clip(np.round(np.tile(one, -(-n // len(one)))[:n] * 32768), -32768, 32767).astype('<i2').tobytes()
    hdr = (b'RIFF' + (36 + len(pcm)).to_bytes(4, 'little') + b'WAVEfmt ' + (16).to_bytes(4, 'little')
           + (1).to_bytes(2, 'little') + (1).to_bytes(2, 'little') + (16000).to_bytes(4, 'little')
           + (32000).to_bytes(4, 'little') + (2).to_bytes(2, 'little') + (16).to_bytes(2, 'little')
           + b'data' + len(pcm).to_bytes(4, 'little'))
    with open(path, 'wb') as f:
        f.write(hdr)
        f.write(pcm)
EOF

# wall seconds of a command (stdout to a file), by python's monotonic clock
timed() { # OUT CMD...
  out=$1; shift
  "$py" -c 'import subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "w") as f:
    subprocess.run(sys.argv[2:], stdout=f, check=True)
print("%.4f" % (time.perf_counter() - t))' "$out" "$@"
}

# segment count and speech seconds of one JSON line
summary() {
  "$py" -c 'import json, sys
o = json.loads(open(sys.argv[1]).readline())
s = o["segments"]
print("segments=%d speech_s=%.1f" % (len(s), sum(x["end_sample"] - x["start_sample"] for x in s) / o["sample_rate"]))' "$1"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
for m in $models; do
  onnx=$data/models/silero-vad/$m.onnx
  [ -f "$onnx" ] || { echo "vad_speed: $onnx missing, skipped"; continue; }
  "$build/voce" compile --family silero-vad "$onnx" -o "$tmp/$m.voce" >/dev/null
  echo "== $m, 3600 s, 1 thread, best of $runs"
  all=""
  i=0
  while [ "$i" -lt "$runs" ]; do
    t=$(timed "$tmp/voce.json" $pin "$build/voce" vad -m "$tmp/$m.voce" "$tmp/hour.wav" --format json)
    all="$all $t"
    i=$((i + 1))
  done
  best=$("$py" -c "import sys; print('%.4f' % min(float(x) for x in sys.argv[1:]))" $all)
  echo "vad engine=voce model=$m wall_s=$best rtf=$("$py" -c "print('%.6f' % ($best / 3600))") us_per_window=$("$py" -c "print('%.1f' % ($best / 112500 * 1e6))") $(summary "$tmp/voce.json") runs=$(echo $all | tr ' ' ,)"
  if [ "$have_sherpa" = 1 ]; then
    i=0
    : >"$tmp/sherpa.all"
    while [ "$i" -lt "$runs" ]; do
      NODE_PATH=$sherpa $pin node bench/sherpa_vad.js "$onnx" "$tmp/hour.wav" --threads 1 >"$tmp/sherpa.json"
      cat "$tmp/sherpa.json" >>"$tmp/sherpa.all"
      i=$((i + 1))
    done
    "$py" - "$tmp/sherpa.all" "$best" "$m" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
voce, m = float(sys.argv[2]), sys.argv[3]
vad = min(r['vad_s'] for r in runs)
tot = min(r['vad_s'] + r['load_s'] for r in runs)
r = runs[0]
seg = r['segments']
print(f"vad engine=sherpa-onnx-{r['version']} model={m} vad_s={vad:.4f} load_plus_vad_s={tot:.4f} "
      f"rtf_vad={vad / 3600:.6f} rtf_total={tot / 3600:.6f} us_per_window={vad / 112500 * 1e6:.1f} "
      f"segments={len(seg)} speech_s={sum(s['end_sample'] - s['start_sample'] for s in seg) / 16000:.1f} "
      f"load_s={min(x['load_s'] for x in runs):.3f} runs={','.join('%.2f' % x['vad_s'] for x in runs)}")
print(f"vad ratio model={m} voce_wall/sherpa_vad={voce / vad:.3f} voce_wall/sherpa_load_plus_vad={voce / tot:.3f} "
      f"sherpa_vad/voce_wall={vad / voce:.1f}x")
EOF
  fi
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "== peak resident memory, voce vad (last model), 1 thread"
last=""
for m in $models; do [ -f "$tmp/$m.voce" ] && last=$m; done
if [ -n "$last" ]; then
  for f in ten hour; do
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -v "$build/voce" vad -m "$tmp/$last.voce" "$tmp/$f.wav" --format json >/dev/null 2>"$tmp/time.txt"
      kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
    else
      kb=$("$py" -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$build/voce" vad -m "$tmp/$last.voce" "$tmp/$f.wav" --format json)
    fi
    secs=600; [ "$f" = hour ] && secs=3600
    echo "rss engine=voce model=$last input_s=$secs peak_kb=$kb"
  done
  if [ "$have_sherpa" = 1 ] && [ -x /usr/bin/time ]; then
    NODE_PATH=$sherpa /usr/bin/time -v node bench/sherpa_vad.js "$data/models/silero-vad/$last.onnx" "$tmp/ten.wav" >/dev/null 2>"$tmp/time.txt"
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
    echo "rss engine=sherpa-onnx(node, whole file in memory) model=$last input_s=600 peak_kb=$kb"
  fi
fi
