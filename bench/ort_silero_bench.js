// Silero VAD per-window latency and load time with ONNX Runtime (npm onnxruntime-node),
// measured exactly as bench_silero.c measures voce: 512-sample windows of real audio,
// state and context carried, single thread, each window timed from building the input
// tensors to reading the outputs.
//
// usage: node ort_silero_bench.js MODEL.onnx AUDIO.wav MIN_WINDOWS TRIVIAL.onnx
// The trivial model (Identity on a [1,1] tensor) is timed the same way; its median is
// the cost of a call through the JavaScript binding and session machinery, reported as
// overhead_us so the comparison can subtract it.
'use strict';
const wav = require('../tests/ref/wav16.js');
const ort = require('onnxruntime-node');

const WINDOW = 512, CONTEXT = 64;
const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };

function stats(a) {
  a.sort((x, y) => x - y);
  const sum = a.reduce((s, x) => s + x, 0);
  return { median: a[a.length >> 1], p10: a[Math.floor(a.length / 10)], p90: a[Math.floor(a.length * 9 / 10)], mean: sum / a.length };
}

const nowUs = () => Number(process.hrtime.bigint()) / 1e3;

async function trivialOverhead(path, n) {
  const s = await ort.InferenceSession.create(path, opts);
  const lat = [];
  const x = new Float32Array(1);
  for (let i = 0; i < n; i++) {
    const a = nowUs();
    const r = await s.run({ x: new ort.Tensor('float32', x, [1, 1]) });
    void r.y.data[0];
    lat.push(nowUs() - a);
  }
  return stats(lat).median;
}

async function main() {
  const [model, audio, minW, trivial] = process.argv.slice(2);
  const n = parseInt(minW, 10);
  const pcm = wav.readMono16k(audio);
  const t0 = nowUs();
  const s = await ort.InferenceSession.create(model, opts);
  const loadMs = (nowUs() - t0) / 1e3;
  const v4 = s.inputNames.includes('h');
  const ctx = v4 ? 0 : CONTEXT;
  const nwin = Math.floor(pcm.length / WINDOW);
  const x = new Float32Array(ctx + WINDOW);
  let s1 = new Float32Array(v4 ? 128 : 256), s2 = new Float32Array(128);
  const sr = BigInt64Array.from([16000n]);
  const lat = [];
  let speech = 0;
  for (let w = 0; w < n; w++) {
    if (ctx) x.copyWithin(0, WINDOW, WINDOW + ctx);
    x.set(pcm.subarray((w % nwin) * WINDOW, (w % nwin + 1) * WINDOW), ctx);
    const a = nowUs();
    const feeds = { input: new ort.Tensor('float32', x, [1, ctx + WINDOW]) };
    if (s.inputNames.includes('sr')) feeds.sr = new ort.Tensor('int64', sr, []);
    if (v4) { feeds.h = new ort.Tensor('float32', s1, [2, 1, 64]); feeds.c = new ort.Tensor('float32', s2, [2, 1, 64]); }
    else feeds.state = new ort.Tensor('float32', s1, [2, 1, 128]);
    const r = await s.run(feeds);
    const p = r.output.data[0];
    if (v4) { s1 = r.hn.data; s2 = r.cn.data; } else s1 = r.stateN.data;
    lat.push(nowUs() - a);
    speech += p > 0.5;
  }
  const st = stats(lat);
  const over = await trivialOverhead(trivial, 3000);
  console.log(`engine=ort windows=${n} median_us=${st.median.toFixed(2)} p10_us=${st.p10.toFixed(2)} p90_us=${st.p90.toFixed(2)} mean_us=${st.mean.toFixed(2)} load_ms=${loadMs.toFixed(3)} speech_frac=${(speech / n).toFixed(3)} overhead_us=${over.toFixed(2)}`);
}

main().catch((e) => { console.error('ort_silero_bench: ' + e.message); process.exit(1); });
