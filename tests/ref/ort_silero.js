// Silero VAD speech probabilities from ONNX Runtime (npm onnxruntime-node), the
// reference that tests/test_silero.c compares voce with.
//
// usage: node ort_silero.js MODEL.onnx AUDIO.wav OUT.npy
//
// The audio (16-bit PCM, mono, 16 kHz) is cut into consecutive 512-sample windows; the
// recurrent state is carried from window to window. Models with a `state` input (v5,
// v6) get the last 64 samples of the previous window in front of each window, as
// silero-vad's own wrapper does; models with h/c inputs (v4) get the bare window.
// Writes float32 probabilities, one per window, as .npy. Exits 77 when
// onnxruntime-node is not installed (NODE_PATH decides where it is looked up).
'use strict';
const fs = require('fs');
const wav = require('./wav16.js');
const npy = require('./npy.js');

const ort = require('./ort_load.js');

const WINDOW = 512, CONTEXT = 64;

async function main() {
  const [model, audio, out] = process.argv.slice(2);
  const samples = wav.readMono16k(audio);
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };
  const s = await ort.InferenceSession.create(model, opts);
  const names = s.inputNames;
  const v4 = names.includes('h');
  const ctx = v4 ? 0 : CONTEXT;
  const n = Math.floor(samples.length / WINDOW);
  const probs = new Float32Array(n);
  let state = new Float32Array(2 * 128), h = new Float32Array(2 * 64), c = new Float32Array(2 * 64);
  const x = new Float32Array(ctx + WINDOW);
  for (let i = 0; i < n; i++) {
    if (ctx) x.copyWithin(0, WINDOW, WINDOW + ctx); // last 64 samples of the previous window
    x.set(samples.subarray(i * WINDOW, (i + 1) * WINDOW), ctx);
    const feeds = { input: new ort.Tensor('float32', x.slice(), [1, ctx + WINDOW]) };
    if (names.includes('sr')) feeds.sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
    if (v4) {
      feeds.h = new ort.Tensor('float32', h, [2, 1, 64]);
      feeds.c = new ort.Tensor('float32', c, [2, 1, 64]);
    } else {
      feeds.state = new ort.Tensor('float32', state, [2, 1, 128]);
    }
    const r = await s.run(feeds);
    probs[i] = r.output.data[0];
    if (v4) { h = r.hn.data.slice(); c = r.cn.data.slice(); } else { state = r.stateN.data.slice(); }
  }
  npy.writeF32(out, probs, [n]);
}

main().catch((e) => { console.error('ort_silero: ' + e.message); process.exit(1); });
