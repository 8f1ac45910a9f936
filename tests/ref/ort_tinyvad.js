// Moonshine TinyVAD logits from ONNX Runtime on a fixed pseudo-random log-mel batch.
// usage: node ort_tinyvad.js MODEL.onnx IN.npy OUT.npy  (writes both files; exit 77
// when onnxruntime-node is missing)
'use strict';
const npy = require('./npy.js');

const ort = require('./ort_load.js');

async function main() {
  const [model, inPath, outPath] = process.argv.slice(2);
  const B = 3, n = B * 1 * 32 * 16;
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { // LCG: the same input on every machine
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = ((s >>> 8) / 16777216) * 8 - 6; // log-mel-like values in [-6, 2)
  }
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const r = await sess.run({ log_mel: new ort.Tensor('float32', x, [B, 1, 32, 16]) });
  const y = r[sess.outputNames[0]];
  npy.writeF32(inPath, x, [B, 1, 32, 16]);
  npy.writeF32(outPath, y.data, y.dims);
}

main().catch((e) => { console.error('ort_tinyvad: ' + e.message); process.exit(1); });
