// ONNX Runtime (onnxruntime-node) on voce's Whisper export, through the loop
// bench/bench_whisper.c times: the ONNX Runtime side of bench/whisper_peers.sh.
//
// usage: node whisper_ort.js DIR MEL.npy [--threads N] [--steps K] [--tokens-out FILE]
//                            [--no-prealloc]
//   DIR      encoder.onnx and decoder.onnx in standard ONNX (bench/whisper_onnx_std.py
//            rewrites the voce operators of scripts/export/whisper.py's files) and that
//            export's config.json (dimensions, special tokens, the decoder's cache pairs)
//   MEL.npy  float32 [W, n_mels, 3000]: the encoder inputs bench_whisper --mel-out wrote,
//            so both run on the same numbers
//
// Session: intraOpNumThreads N (default 1), interOpNumThreads 1, sequential execution,
// all graph optimisations (ONNX Runtime's defaults otherwise). Each window: the encoder
// once, then the decoder on the SOT sequence in one call (4 tokens, 2 English-only) and
// K (default 200) greedy steps, one token per call, argmax in JavaScript, end of text not
// stopping it. The caches are the decoder's outputs fed back as the next call's inputs
// (voce.state's pairs); by default the cache outputs are written into tensors allocated
// once (two sets, swapped each call) rather than new ones per call (--no-prealloc).
//
// Prints the line bench_whisper prints (key=value: median / least encoder ms per
// window, mean SOT call ms, decode ms per token over all windows, peak RSS of the
// process from process.resourceUsage(), node itself included; CPU ms of the median
// encoder window and per token, all threads of the process) plus load_ms (session
// creation). --tokens-out: a line per window, the K + 1 argmaxes, as bench_whisper.
'use strict';
const fs = require('fs');
const path = require('path');

const ort = require('../tests/ref/ort_load.js');

function parseArgs(argv) {
  const a = { threads: 1, steps: 200, tokensOut: null, prealloc: true, pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--threads') a.threads = Number(argv[++i]);
    else if (k === '--steps') a.steps = Number(argv[++i]);
    else if (k === '--tokens-out') a.tokensOut = argv[++i];
    else if (k === '--no-prealloc') a.prealloc = false;
    else if (k.startsWith('--')) throw new Error('unknown option ' + k);
    else a.pos.push(k);
  }
  if (a.pos.length !== 2 || !(a.threads >= 1) || !(a.steps >= 0))
    throw new Error('usage: whisper_ort.js DIR MEL.npy [--threads N] [--steps K] [--tokens-out FILE] [--no-prealloc]');
  return a;
}

// A float32 C-order .npy file of rank 3, read a [1, M, F] slice at a time (holding all
// windows of a long input would add to the peak memory measured).
class MelFile {
  constructor(file) {
    this.fd = fs.openSync(file, 'r');
    const pre = Buffer.alloc(12);
    fs.readSync(this.fd, pre, 0, 12, 0);
    if (pre.readUInt32BE(0) !== 0x934e554d) throw new Error(file + ': not a .npy file');
    const major = pre[6];
    const hlen = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const hdr = Buffer.alloc(hlen);
    fs.readSync(this.fd, hdr, 0, hlen, start);
    const h = hdr.toString('latin1');
    const shape = /'shape':\s*\(([^)]*)\)/.exec(h);
    if (!/'descr':\s*'<f4'/.test(h) || /'fortran_order':\s*True/.test(h) || !shape)
      throw new Error(file + ': want a float32 C-order array');
    this.dims = shape[1].split(',').filter((x) => x.trim()).map(Number);
    if (this.dims.length !== 3) throw new Error(file + ': want rank 3, got [' + this.dims + ']');
    this.offset = start + hlen;
    this.window = new Float32Array(this.dims[1] * this.dims[2]);
  }
  read(w) {
    const bytes = new Uint8Array(this.window.buffer);
    const n = fs.readSync(this.fd, bytes, 0, bytes.length, this.offset + w * bytes.length);
    if (n !== bytes.length) throw new Error('mel file: window ' + w + ' is truncated');
    return f32(this.window, [1, this.dims[1], this.dims[2]]);
  }
}

function argmax(x) {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
// CPU ms of the process, all threads (node's own included)
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const f32 = (data, dims) => new ort.Tensor('float32', data, dims);
const i64 = (arr, dims) => new ort.Tensor('int64', BigInt64Array.from(arr, (x) => BigInt(x)), dims);

function sotSequence(cfg) {
  const t = cfg.tokens;
  if (!cfg.multilingual) return [t.sot, t.no_timestamps];
  const en = cfg.language_codes.indexOf('en');
  if (en < 0) throw new Error('config.json: no English language token');
  return [t.sot, cfg.language_tokens[en], t.transcribe, t.no_timestamps];
}

// The decoder's caches: zeros at the start of a window, then each call's outputs. With
// prealloc, two sets of buffers: the call reads one and writes the other.
class Caches {
  constructor(cfg, prealloc) {
    const d = cfg.dims;
    this.pairs = cfg.decoder.state;
    this.dims = [1, d.n_text_ctx, d.n_text_state];
    this.size = d.n_text_ctx * d.n_text_state;
    this.prealloc = prealloc;
    const set = () => Object.fromEntries(this.pairs.map(([i]) => [i, f32(new Float32Array(this.size), this.dims)]));
    this.sets = prealloc ? [set(), set()] : [set()];
    this.cur = 0;
    this.inputs = this.sets[0];
  }
  reset() {
    // rows past offset + n are never read, so a new sequence needs no zeroing; the
    // first window starts from zeros anyway
    this.cur = 0;
    this.inputs = this.sets[0];
  }
  fetches() {
    const f = { logits: null };
    const out = this.prealloc ? this.sets[1 - this.cur] : null;
    for (const [i, o] of this.pairs) f[o] = out ? out[i] : null;
    return f;
  }
  take(result) {
    if (this.prealloc) {
      this.cur = 1 - this.cur;
      this.inputs = this.sets[this.cur];
    } else {
      this.inputs = Object.fromEntries(this.pairs.map(([i, o]) => [i, result[o]]));
    }
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const [dir, melFile] = a.pos;
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const d = cfg.dims;
  const opts = { intraOpNumThreads: a.threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all' };
  const t0 = now();
  const enc = await ort.InferenceSession.create(path.join(dir, 'encoder.onnx'), opts);
  const dec = await ort.InferenceSession.create(path.join(dir, 'decoder.onnx'), opts);
  const loadMs = now() - t0;

  const mel = new MelFile(melFile);
  const [W, M, F] = mel.dims;
  if (M !== d.n_mels || F !== 2 * d.n_audio_ctx)
    throw new Error(melFile + ': want [W, ' + d.n_mels + ', ' + 2 * d.n_audio_ctx + '], got [' + mel.dims + ']');
  const sot = sotSequence(cfg);
  const steps = Math.min(a.steps, d.n_text_ctx - sot.length);
  const V = d.n_vocab;
  const caches = new Caches(cfg, a.prealloc);
  const encMs = [], encCpu = [], lines = [];
  let promptMs = 0, stepsMs = 0, stepsCpu = 0;

  for (let w = 0; w < W; w++) {
    const input = mel.read(w);
    let t = now(), c = cpu();
    const cross = await enc.run({ mel: input });
    encMs.push(now() - t);
    encCpu.push(cpu() - c);

    caches.reset();
    const tok = new Array(steps + 1);
    t = now();
    let r = await dec.run(Object.assign({ tokens: i64(sot, [1, sot.length]), offset: i64([0], []) }, cross,
      caches.inputs), caches.fetches());
    caches.take(r);
    tok[0] = argmax(r.logits.data.subarray((sot.length - 1) * V, sot.length * V));
    const t1 = now(), c1 = cpu();
    for (let s = 0; s < steps; s++) {
      r = await dec.run(Object.assign({ tokens: i64([tok[s]], [1, 1]), offset: i64([sot.length + s], []) }, cross,
        caches.inputs), caches.fetches());
      caches.take(r);
      tok[s + 1] = argmax(r.logits.data);
    }
    stepsMs += now() - t1;
    stepsCpu += cpu() - c1;
    promptMs += t1 - t;
    lines.push(tok.join(' '));
  }
  if (a.tokensOut) fs.writeFileSync(a.tokensOut, lines.join('\n') + '\n');
  encMs.sort((x, y) => x - y);
  encCpu.sort((x, y) => x - y);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const nTok = steps * W;
  const encMean = encMs.reduce((x, y) => x + y, 0) / W;
  const kv = {
    threads: a.threads, encoder_ms: encMs[W >> 1].toFixed(2), encoder_min_ms: encMs[0].toFixed(2),
    encoder_mean_ms: encMean.toFixed(2), prompt_ms: (promptMs / W).toFixed(3),
    decode_ms_per_token: (nTok ? stepsMs / nTok : 0).toFixed(3), steps, peak_rss_mb: rssMb.toFixed(1), windows: W,
    mel_ms: '0.00', decode_total_ms: (promptMs + stepsMs).toFixed(1), load_ms: loadMs.toFixed(1),
    encoder_cpu_ms: encCpu[W >> 1].toFixed(2), decode_cpu_ms_per_token: (nTok ? stepsCpu / nTok : 0).toFixed(3),
    prealloc: a.prealloc ? 1 : 0,
  };
  console.log(Object.entries(kv).map(([k, v]) => k + '=' + v).join(' '));
}

main().catch((e) => {
  console.error('whisper_ort: ' + e.message);
  process.exit(1);
});
