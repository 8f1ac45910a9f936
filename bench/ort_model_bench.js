// Time an ONNX model with ONNX Runtime (npm onnxruntime-node) on .npy inputs: the peer
// half of bench/model_speed.sh, beside bench_model on the same file and inputs.
// usage: node ort_model_bench.js MODEL.onnx THREADS SECONDS NAME=FILE.npy ...
// intra-op threads as given, one inter-op thread, sequential execution, all graph
// optimisations. One warm-up run, then runs until SECONDS and at least 5 runs have passed.
// Prints one line of key=value pairs like bench_model's.
'use strict';
const path = require('path');
const { readNpy } = require(path.join(__dirname, '..', 'tests', 'ref', 'ort_run.js'));
const ort = require('onnxruntime-node');

async function main() {
  const [model, threads, seconds, ...pairs] = process.argv.slice(2);
  if (!model || !threads || !seconds) throw new Error('usage: ort_model_bench.js MODEL.onnx THREADS SECONDS NAME=FILE.npy ...');
  const feeds = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new Error("expected NAME=FILE.npy, got '" + p + "'");
    feeds[p.slice(0, eq)] = readNpy(p.slice(eq + 1));
  }
  const opts = { intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
                 graphOptimizationLevel: 'all' };
  const s = await ort.InferenceSession.create(model, opts);
  await s.run(feeds);
  const t = [];
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(Number(seconds) * 1e9));
  while (t.length < 5 || process.hrtime.bigint() - start < limit) {
    const a = process.hrtime.bigint();
    await s.run(feeds);
    t.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  t.sort((x, y) => x - y);
  console.log(`engine=ort threads=${threads} runs=${t.length} median_ms=${t[t.length >> 1].toFixed(3)} min_ms=${t[0].toFixed(3)}`);
}

main().catch((e) => { console.error('ort_model_bench: ' + e.message); process.exit(1); });
