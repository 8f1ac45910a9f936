// A NeMo TDT/RNN-T export in sherpa-onnx's layout (encoder.onnx, decoder.onnx,
// joiner.onnx, tokens.txt) run with ONNX Runtime (npm onnxruntime-node) on the encoder
// inputs bench_transducer --feats-out wrote, with NeMo's greedy decode written here: the
// ONNX Runtime side of bench/transducer_peers.sh.
//
// usage: node bench/transducer_ort.js DIR FEATS_DIR [--threads N] [--pieces P]
//          [--tokens-out FILE]
//
// FEATS_DIR holds piece-NNN.npy (f32 [1, feat_dim, T]) and piece-NNN-len.npy (i64 [1]),
// one pair per piece, taken in order. Per piece: the encoder once on the whole piece,
// then the greedy decode of tests/ref/transducer_decode_ref.py (NeMo's label-looping TDT:
// a blank of duration 0 advances one frame, at most 10 tokens per frame; RNN-T when the
// joiner has no duration outputs): the decoder once on the blank from the zero state and
// once per emitted token, the joiner once per evaluation on one encoder frame and the
// last prediction output (sherpa-onnx's calls). Argmax over the token logits, then over
// the duration logits. The blank is the last line of tokens.txt; the durations are
// 0 .. n_outputs - blank - 2 (NeMo's TDT models).
//
// Prints one line of key=value pairs: open_ms (the three sessions), encoder_ms,
// decode_ms, total_ms (their sum; reading the .npy files excluded), CPU ms of the
// process over the same (process.cpuUsage: all threads), tokens, evaluations, pieces.
// --tokens-out: the greedy token ids, a line per piece. Sessions: intra-op N threads
// (default 1), inter-op 1, sequential execution, default graph optimisations.
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('transducer_ort: onnxruntime-node is not installed (set NODE_PATH)');
  process.exit(77);
}
const { readNpy } = require('../tests/ref/ort_run.js');

const MAX_SYMBOLS = 10;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };

function parseArgs(argv) {
  const o = { threads: 1, pieces: 0, tokensOut: null, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') o.threads = Number(argv[++i]);
    else if (a === '--pieces') o.pieces = Number(argv[++i]);
    else if (a === '--tokens-out') o.tokensOut = argv[++i];
    else if (a.startsWith('--')) throw new Error('unknown option ' + a);
    else o.rest.push(a);
  }
  if (o.rest.length !== 2 || !(o.threads >= 1)) {
    throw new Error('usage: node bench/transducer_ort.js DIR FEATS_DIR [--threads N] [--pieces P] [--tokens-out FILE]');
  }
  [o.dir, o.feats] = o.rest;
  return o;
}

function argmax(x, from, to) {
  let best = from;
  for (let i = from + 1; i < to; i++) if (x[i] > x[best]) best = i;
  return best;
}

// The prediction network and joiner of one utterance: s = { g: decoder output [1, H, 1],
// h, c: LSTM state }.
class Steps {
  constructor(m, enc, T) {
    this.m = m;
    this.enc = enc;       // [D * T], row d holds frame t at d * T + t
    this.T = T;
    this.D = enc.length / T;
    this.frame = new Float32Array(this.D);
    this.evaluations = 0;
  }

  async start() {
    const z = new ort.Tensor('float32', new Float32Array(this.m.L * this.m.H), [this.m.L, 1, this.m.H]);
    return this.predict({ h: z, c: z }, this.m.blank);
  }

  async predict(s, token) {
    const d = this.m.dec;
    const r = await d.run({ targets: new ort.Tensor('int32', Int32Array.of(token), [1, 1]),
      target_length: new ort.Tensor('int32', Int32Array.of(1), [1]),
      [d.inputNames[2]]: s.h, [d.inputNames[3]]: s.c });
    return { g: r[d.outputNames[0]], h: r[d.outputNames[2]], c: r[d.outputNames[3]] };
  }

  async joint(t, s) {
    for (let i = 0; i < this.D; i++) this.frame[i] = this.enc[i * this.T + t];
    this.evaluations++;
    const r = await this.m.joi.run({ encoder_outputs: new ort.Tensor('float32', this.frame, [1, this.D, 1]),
      decoder_outputs: s.g });
    return r[this.m.joi.outputNames[0]].data;
  }
}

// NeMo's greedy TDT, label looping (transducer_decode_ref.greedy_tdt); durations [] = RNN-T.
async function greedy(steps, nFrames, blank, durations) {
  const nTok = blank + 1, tokens = [];
  const evaluate = async (t, s) => {
    const z = await steps.joint(t, s);
    const k = argmax(z, 0, nTok);
    let d = durations.length ? durations[argmax(z, nTok, nTok + durations.length) - nTok] : -1;
    if (k === blank && d === 0) d = 1;
    return [k, d];
  };
  let s = await steps.start();
  if (!durations.length) { // RNN-T: up to MAX_SYMBOLS tokens per frame
    for (let t = 0; t < nFrames; t++) {
      for (let n = 0; n < MAX_SYMBOLS; n++) {
        const [k] = await evaluate(t, s);
        if (k === blank) break;
        tokens.push(k);
        s = await steps.predict(s, k);
      }
    }
    return tokens;
  }
  let t = 0, lastFrame = -1, lasts = 0;
  while (t < nFrames) {
    let [k, d] = await evaluate(t, s);
    let frame = t;
    t += d;
    while (k === blank && t < nFrames) {
      frame = t;
      [k, d] = await evaluate(t, s);
      t += d;
    }
    if (k !== blank) {
      tokens.push(k);
      lasts = frame === lastFrame ? lasts + 1 : 1;
      lastFrame = frame;
      s = await steps.predict(s, k);
      if (t < nFrames && lasts >= MAX_SYMBOLS && lastFrame === t) t += 1;
    }
  }
  return tokens;
}

async function open(dir, threads) {
  const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
  const m = {};
  m.enc = await ort.InferenceSession.create(path.join(dir, 'encoder.onnx'), opts);
  m.dec = await ort.InferenceSession.create(path.join(dir, 'decoder.onnx'), opts);
  m.joi = await ort.InferenceSession.create(path.join(dir, 'joiner.onnx'), opts);
  const lines = fs.readFileSync(path.join(dir, 'tokens.txt'), 'utf8').split('\n').filter((l) => l.trim());
  m.blank = lines.length - 1;
  shapes(m);
  return m;
}

// The state's shape [L, N, H] and the joiner's output width, as the files declare them.
function shapes(m) {
  const st = m.dec.inputMetadata[2].shape, n = m.joi.outputMetadata[0].shape[3];
  if (typeof st[0] !== 'number' || typeof st[2] !== 'number' || typeof n !== 'number') {
    throw new Error('decoder.onnx / joiner.onnx do not declare the state or output widths');
  }
  [m.L, m.H] = [st[0], st[2]];
  m.durations = Array.from({ length: n - m.blank - 1 }, (_, i) => i);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = now();
  const m = await open(o.dir, o.threads);
  const openMs = now() - t0;
  let files = fs.readdirSync(o.feats).filter((f) => /^piece-\d+\.npy$/.test(f)).sort();
  if (o.pieces > 0) files = files.slice(0, o.pieces);
  if (!files.length) throw new Error(o.feats + ': no piece-NNN.npy files');
  const tot = { enc: 0, dec: 0, encCpu: 0, decCpu: 0, tokens: 0, evaluations: 0 };
  const lines = [];
  for (const f of files) {
    const x = readNpy(path.join(o.feats, f));
    const len = readNpy(path.join(o.feats, f.replace('.npy', '-len.npy')));
    let a = now(), c = cpuMs();
    const e = await m.enc.run({ audio_signal: x, length: len });
    tot.enc += now() - a;
    tot.encCpu += cpuMs() - c;
    a = now();
    c = cpuMs();
    const T = e.outputs.dims[2], n = Number(e.encoded_lengths.data[0]);
    const steps = new Steps(m, e.outputs.data, T);
    const toks = await greedy(steps, n, m.blank, m.durations);
    tot.dec += now() - a;
    tot.decCpu += cpuMs() - c;
    tot.tokens += toks.length;
    tot.evaluations += steps.evaluations;
    lines.push(toks.join(' '));
  }
  if (o.tokensOut) fs.writeFileSync(o.tokensOut, lines.join('\n') + '\n');
  console.log(`threads=${o.threads} pieces=${files.length} total_ms=${(tot.enc + tot.dec).toFixed(1)} ` +
    `encoder_ms=${tot.enc.toFixed(1)} decode_ms=${tot.dec.toFixed(1)} ` +
    `total_cpu_ms=${(tot.encCpu + tot.decCpu).toFixed(1)} encoder_cpu_ms=${tot.encCpu.toFixed(1)} ` +
    `decode_cpu_ms=${tot.decCpu.toFixed(1)} tokens=${tot.tokens} evaluations=${tot.evaluations} ` +
    `open_ms=${openMs.toFixed(1)} ort=${require('onnxruntime-node/package.json').version}`);
}

main().catch((e) => { console.error('transducer_ort: ' + e.message); process.exit(1); });
