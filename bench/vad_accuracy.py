#!/usr/bin/python3
"""Frame-level accuracy of Silero VAD segments: voce (`voce vad`) beside sherpa-onnx
(bench/sherpa_vad.js) with the same model files and settings, against reference speech.

usage: bench/vad_accuracy.py [--build DIR] [--data DIR] [--sherpa NODE_MODULES]
                             [--models v4,v5,v6] [--engines voce,sherpa] [--collar MS]
                             [--threshold X] [--min-speech-ms N] [--min-silence-ms N]
                             [--pad-ms N] [--json OUT]

Datasets (under DATA/audio):
  meetings  diarization-pyannote/{dev00,dev01,tst00,tst01}.wav; reference speech is the
            union of the speaker turns in debug.{development,test}.rttm; only the regions
            of debug.*.uem are scored.
  sample    diarization-pyannote/sample.wav with sample.rttm (no UEM: the whole file).
  words     picovoice-leopard/test.wav; reference speech is the union of the word
            intervals in test_data.json (its diarization_test.wav entry has words without
            times, so that file is not used).

Scoring: 10 ms frames; a frame is speech (in the reference or in a detection) when its
centre lies inside a segment. Counts are summed over the files of a dataset (and over all
datasets for "pooled") before precision, recall and F1 are taken. --collar MS leaves
frames within MS of a reference boundary unscored (default 0).

Prints a markdown table; --json also writes every figure to a file.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FRAME = 0.01
MODELS = {
    'v4': 'silero_vad_legacy_npm.onnx',
    'v5': 'silero_vad_v5_npm.onnx',
    'v6': 'silero_vad.onnx',
}


def read_rttm(path):
    turns = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[0] == 'SPEAKER':
                t0, d = float(p[3]), float(p[4])
                turns.setdefault(p[1], []).append((t0, t0 + d))
    return turns


def read_uem(path):
    regions = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 4:
                regions.setdefault(p[0], []).append((float(p[2]), float(p[3])))
    return regions


def wav_duration(path):
    """Seconds of audio in a WAV file (any PCM/float layout), from its header."""
    with open(path, 'rb') as f:
        b = f.read()
    off, fmt = 12, None
    while off + 8 <= len(b):
        cid, size = b[off:off + 4], int.from_bytes(b[off + 4:off + 8], 'little')
        if cid == b'fmt ':
            ch = int.from_bytes(b[off + 10:off + 12], 'little')
            rate = int.from_bytes(b[off + 12:off + 16], 'little')
            bits = int.from_bytes(b[off + 22:off + 24], 'little')
            fmt = (ch, rate, bits)
        elif cid == b'data':
            ch, rate, bits = fmt
            return min(size, len(b) - off - 8) // (ch * bits // 8) / rate
        off += 8 + size + (size & 1)
    raise ValueError(path + ': no data chunk')


def datasets(data):
    """[(dataset, [(wav, reference intervals, scored intervals)])]"""
    out = []
    d = os.path.join(data, 'audio', 'diarization-pyannote')
    items = []
    for part, uris in (('development', ['dev00', 'dev01']), ('test', ['tst00', 'tst01'])):
        rttm, uem = os.path.join(d, f'debug.{part}.rttm'), os.path.join(d, f'debug.{part}.uem')
        if not (os.path.exists(rttm) and os.path.exists(uem)):
            continue
        turns, regions = read_rttm(rttm), read_uem(uem)
        for u in uris:
            w = os.path.join(d, u + '.wav')
            if os.path.exists(w):
                items.append((w, turns.get(u, []), regions.get(u, [(0.0, wav_duration(w))])))
    if items:
        out.append(('meetings', items))
    w, r = os.path.join(d, 'sample.wav'), os.path.join(d, 'sample.rttm')
    if os.path.exists(w) and os.path.exists(r):
        out.append(('sample', [(w, read_rttm(r).get('sample', []), [(0.0, wav_duration(w))])]))
    d = os.path.join(data, 'audio', 'picovoice-leopard')
    j = os.path.join(d, 'test_data.json')
    if os.path.exists(j):
        with open(j) as f:
            tests = json.load(f)['tests']
        items = []
        for group in tests.values():
            for t in group:
                w = os.path.join(d, t.get('audio_file', ''))
                timed = [(x['start_sec'], x['end_sec']) for x in t.get('words', []) if 'start_sec' in x and 'end_sec' in x]
                if timed and os.path.exists(w):  # diarization_test.wav's words carry no times: skipped
                    items.append((w, timed, [(0.0, wav_duration(w))]))
        if items:
            out.append(('words', items))
    return out


def mask(intervals, n):
    """Boolean frame mask: frame i is set when its centre (i + 0.5) * FRAME is in an interval."""
    m = np.zeros(n, bool)
    c = (np.arange(n) + 0.5) * FRAME
    for a, b in intervals:
        m |= (c >= a) & (c < b)
    return m


def score(ref, hyp, scored, dur, collar):
    n = int(round(dur / FRAME))
    r, h, s = mask(ref, n), mask(hyp, n), mask(scored, n)
    if collar > 0:
        c = (np.arange(n) + 0.5) * FRAME
        for a, b in ref:
            s &= ~((np.abs(c - a) < collar) | (np.abs(c - b) < collar))
    return np.array([(r & h & s).sum(), (~r & h & s).sum(), (r & ~h & s).sum(), (r & s).sum(), s.sum()], np.int64)


def prf(c):
    tp, fp, fn = c[0], c[1], c[2]
    p = tp / (tp + fp) if tp + fp else float('nan')
    r = tp / (tp + fn) if tp + fn else float('nan')
    f = 2 * p * r / (p + r) if p + r else float('nan')
    return p, r, f


def parse_lines(out, files, who):
    res = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith('{'):
            o = json.loads(line)
            res[o['file']] = [(s['start_sample'] / o['sample_rate'], s['end_sample'] / o['sample_rate']) for s in o['segments']]
    missing = [f for f in files if f not in res]
    if missing:
        raise RuntimeError(f'{who}: no result for {missing}')
    return res


def run_voce(args, model, files, tmp):
    voce = os.path.join(args.build, 'voce')
    prog = os.path.join(tmp, os.path.basename(model).replace('.onnx', '.voce'))
    if not os.path.exists(prog):
        subprocess.run([voce, 'compile', '--family', 'silero-vad', model, '-o', prog], check=True, stdout=subprocess.DEVNULL)
    cmd = [voce, 'vad', '-m', prog, *files, '--format', 'json', '--threshold', str(args.threshold),
           '--min-speech-ms', str(args.min_speech_ms), '--min-silence-ms', str(args.min_silence_ms), '--pad-ms', str(args.pad_ms)]
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return parse_lines(p.stdout, files, 'voce vad')


def run_sherpa(args, model, files, tmp):
    env = dict(os.environ, NODE_PATH=args.sherpa)
    cmd = ['node', os.path.join(HERE, 'sherpa_vad.js'), model, *files, '--threshold', str(args.threshold),
           '--min-speech-ms', str(args.min_speech_ms), '--min-silence-ms', str(args.min_silence_ms), '--threads', '1']
    p = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return parse_lines(p.stdout, files, 'sherpa_vad.js')


def default_sherpa(build):
    for p in (os.environ.get('SHERPA_NODE_PATH'), os.path.join(build, 'sherpa', 'node_modules'), '/tmp/sherpa/node_modules'):
        if p and os.path.isdir(os.path.join(p, 'sherpa-onnx-node')):
            return p
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--data', default=os.environ.get('VOCE_TEST_DATA', os.path.join(ROOT, '..', 'shared')))
    ap.add_argument('--sherpa', default=None, help='node_modules dir holding sherpa-onnx-node')
    ap.add_argument('--models', default='v4,v5,v6')
    ap.add_argument('--engines', default='voce,sherpa')
    ap.add_argument('--collar', type=float, default=0.0, help='ms around reference boundaries left unscored')
    ap.add_argument('--threshold', type=float, default=0.5)
    ap.add_argument('--min-speech-ms', type=int, default=250)
    ap.add_argument('--min-silence-ms', type=int, default=100)
    ap.add_argument('--pad-ms', type=int, default=30, help='voce only: sherpa-onnx has no padding')
    ap.add_argument('--json', default=None)
    ap.add_argument('--tmp', default='/tmp/voce-vad-accuracy')
    args = ap.parse_args()
    args.sherpa = args.sherpa or default_sherpa(args.build)
    engines = args.engines.split(',')
    if 'sherpa' in engines and (not args.sherpa or not shutil.which('node')):
        print('note: node or sherpa-onnx-node not found: sherpa-onnx skipped', file=sys.stderr)
        engines.remove('sherpa')
    if 'voce' in engines and not os.access(os.path.join(args.build, 'voce'), os.X_OK):
        print(f'note: {args.build}/voce not found: voce skipped', file=sys.stderr)
        engines.remove('voce')
    os.makedirs(args.tmp, exist_ok=True)

    sets = datasets(args.data)
    if not sets:
        sys.exit(f'no datasets found under {args.data}/audio')
    files = [w for _, items in sets for w, _, _ in items]
    durs = {w: wav_duration(w) for w in files}
    runners = {'voce': run_voce, 'sherpa': run_sherpa}
    names = {'voce': 'voce', 'sherpa': 'sherpa-onnx'}

    results, hyps = [], {}
    for mk in args.models.split(','):
        model = os.path.join(args.data, 'models', 'silero-vad', MODELS[mk])
        for e in engines:
            try:
                hyp = runners[e](args, model, files, args.tmp)
            except (subprocess.CalledProcessError, RuntimeError) as ex:
                err = getattr(ex, 'stderr', '') or ''
                print(f'note: {e} {mk} failed: {ex} {err.strip()[-300:]}', file=sys.stderr)
                continue
            hyps[(mk, e)] = hyp
            pooled = np.zeros(5, np.int64)
            for ds, items in sets:
                c = sum(score(ref, hyp[w], sc, durs[w], args.collar / 1000) for w, ref, sc in items)
                pooled += c
                results.append((ds, mk, e, c))
            results.append(('pooled', mk, e, pooled))

    print(f'Settings: threshold {args.threshold}, min speech {args.min_speech_ms} ms, min silence '
          f'{args.min_silence_ms} ms, pad {args.pad_ms} ms (voce only), max speech unlimited; '
          f'10 ms frames, collar {args.collar:g} ms.\n')
    print('| data | scored s | ref speech | model | engine | precision | recall | F1 |')
    print('|---|---:|---:|---|---|---:|---:|---:|')
    order = [ds for ds, _ in sets] + ['pooled']
    rows = sorted(results, key=lambda x: (order.index(x[0]), x[1], engines.index(x[2])))
    out = []
    for ds, mk, e, c in rows:
        p, r, f = prf(c)
        print(f'| {ds} | {c[4] * FRAME:.1f} | {c[3] / c[4]:.0%} | {mk} | {names[e]} | {p:.3f} | {r:.3f} | {f:.3f} |')
        out.append(dict(data=ds, model=mk, engine=e, tp=int(c[0]), fp=int(c[1]), fn=int(c[2]), ref=int(c[3]),
                        scored=int(c[4]), precision=p, recall=r, f1=f))

    if len(engines) == 2:
        print('\nFrame agreement between the two engines (same model, all files, every frame):\n')
        print('| model | agree | voce-only speech | sherpa-only speech |')
        print('|---|---:|---:|---:|')
        for mk in args.models.split(','):
            if (mk, 'voce') in hyps and (mk, 'sherpa') in hyps:
                a = np.zeros(3, np.int64)
                for w in files:
                    n = int(round(durs[w] / FRAME))
                    v, s = mask(hyps[(mk, 'voce')][w], n), mask(hyps[(mk, 'sherpa')][w], n)
                    a += [(v == s).sum(), (v & ~s).sum(), (~v & s).sum()]
                tot = a[0] + a[1] + a[2]
                print(f'| {mk} | {a[0] / tot:.1%} | {a[1] / tot:.1%} | {a[2] / tot:.1%} |')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(settings=vars(args), results=out), f, indent=1)


if __name__ == '__main__':
    main()
