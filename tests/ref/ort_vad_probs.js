// Silero VAD window probabilities from ONNX Runtime (npm onnxruntime-node), computed
// the way silero-vad's get_speech_timestamps() computes them: the reference for
// tests/test_vad_ref.sh.
//
// usage: node ort_vad_probs.js MODEL.onnx AUDIO.wav OUT.npy [AUDIO.wav OUT.npy ...] [--rate 16000|8000]
//
// Window W = 512 samples at 16 kHz, 256 at 8 kHz. Each file gives ceil(n / W) windows
// starting at 0, W, 2W, ...; the last one is zero-padded. The recurrent state starts at
// zero for every file and is carried from window to window. Models with a `state` input
// (v5, v6) get the last 64 samples (32 at 8 kHz) of the previous window in front of
// each window, zeros before the first one; models with h/c inputs (v4) get the bare
// window. `sr` is fed only to models that have it. The WAV file (wav.js: PCM 16-bit or
// float 32-bit, channels mixed to mono) must already be at --rate (default 16000).
// Writes float32 probabilities [n_windows] as .npy. Exits 77 when onnxruntime-node is
// not installed (NODE_PATH decides where it is looked up), 1 on any other failure.
'use strict';
const wav = require('./wav.js');
const npy = require('./npy.js');

const ort = require('./ort_load.js');

function usage(msg) {
  console.error('ort_vad_probs: ' + msg);
  console.error('usage: node ort_vad_probs.js MODEL.onnx AUDIO.wav OUT.npy [AUDIO.wav OUT.npy ...] [--rate 16000|8000]');
  process.exit(2);
}

function parseArgs(argv) {
  const pos = [];
  let rate = 16000;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rate') {
      if (i + 1 >= argv.length) usage('--rate needs a value');
      rate = Number(argv[++i]);
      if (rate !== 16000 && rate !== 8000) usage('--rate must be 16000 or 8000, not ' + argv[i]);
    } else if (argv[i].startsWith('--')) {
      usage('unknown option ' + argv[i]);
    } else {
      pos.push(argv[i]);
    }
  }
  if (pos.length < 3 || pos.length % 2 !== 1) usage('need MODEL and AUDIO OUT pairs');
  const pairs = [];
  for (let i = 1; i < pos.length; i += 2) pairs.push([pos[i], pos[i + 1]]);
  return { model: pos[0], pairs, rate };
}

async function probs(session, samples, rate) {
  const names = session.inputNames;
  const v4 = names.includes('h');
  if (!v4 && !names.includes('state')) throw new Error('model has neither h/c nor state inputs: ' + names.join(', '));
  const W = rate === 16000 ? 512 : 256;
  const ctx = v4 ? 0 : (rate === 16000 ? 64 : 32);
  const n = Math.ceil(samples.length / W);
  const out = new Float32Array(n);
  const outName = session.outputNames[0];
  let state = new Float32Array(2 * 128), h = new Float32Array(2 * 64), c = new Float32Array(2 * 64);
  const x = new Float32Array(ctx + W);
  const srTensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(rate)]), []);
  for (let i = 0; i < n; i++) {
    if (ctx) x.copyWithin(0, W, W + ctx); // last ctx samples of the previous window (zeros at first)
    x.fill(0, ctx);
    x.set(samples.subarray(i * W, Math.min((i + 1) * W, samples.length)), ctx);
    const feeds = { input: new ort.Tensor('float32', x.slice(), [1, ctx + W]) };
    if (names.includes('sr')) feeds.sr = srTensor;
    if (v4) {
      feeds.h = new ort.Tensor('float32', h, [2, 1, 64]);
      feeds.c = new ort.Tensor('float32', c, [2, 1, 64]);
    } else {
      feeds.state = new ort.Tensor('float32', state, [2, 1, 128]);
    }
    const r = await session.run(feeds);
    out[i] = r[outName].data[0];
    if (v4) { h = r.hn.data.slice(); c = r.cn.data.slice(); } else { state = r.stateN.data.slice(); }
  }
  return out;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };
  const session = await ort.InferenceSession.create(a.model, opts);
  for (const [audio, outPath] of a.pairs) {
    const w = wav.readWav(audio);
    if (w.rate !== a.rate) throw new Error(audio + ': sample rate ' + w.rate + ' Hz, expected ' + a.rate + ' (resampling is not done here)');
    const p = await probs(session, w.samples, a.rate);
    npy.writeF32(outPath, p, [p.length]);
  }
}

main().catch((e) => { console.error('ort_vad_probs: ' + e.message); process.exit(1); });
