// Run any ONNX model with ONNX Runtime (npm onnxruntime-node) on .npy inputs and write
// every output as OUTDIR/<output name>.npy.
// usage: node ort_run.js MODEL.onnx OUTDIR NAME=FILE.npy ...
// One intra-op thread, default graph optimisations. Exit 77 when onnxruntime-node is
// missing. .npy files: format 1.0/2.0, little endian, C order; dtypes f4 f2 f8 u1 i1 u2
// i2 i4 i8 u4 b1.
'use strict';
const fs = require('fs');
const path = require('path');

const ort = require('./ort_load.js');

// npy descr <-> ONNX Runtime tensor type and typed array
const TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array], '<f2': ['float16', Uint16Array],
  '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array], '<u2': ['uint16', Uint16Array],
  '<i2': ['int16', Int16Array], '<i4': ['int32', Int32Array], '<u4': ['uint32', Uint32Array],
  '<i8': ['int64', BigInt64Array], '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x934e554d) throw new Error(file + ': not a .npy file');
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const hdr = b.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(hdr)[1];
  if (/'fortran_order':\s*True/.test(hdr)) throw new Error(file + ': Fortran order');
  const shape = /'shape':\s*\(([^)]*)\)/.exec(hdr)[1].split(',').filter((s) => s.trim()).map(Number);
  const t = TYPES[descr];
  if (!t) throw new Error(file + ': unsupported dtype ' + descr);
  const body = b.subarray(start + hlen);
  const copy = new ArrayBuffer(body.length); // aligned for the typed array
  new Uint8Array(copy).set(body);
  let data = new t[1](copy);
  if (t[0] === 'bool') data = Uint8Array.from(data, (v) => v !== 0);
  if (t[0] === 'float16') return new ort.Tensor('float16', data, shape);
  return new ort.Tensor(t[0], data, shape);
}

function writeNpy(file, tensor) {
  const entry = Object.entries(TYPES).find(([, t]) => t[0] === tensor.type);
  if (!entry) throw new Error('output type ' + tensor.type + ' cannot be written');
  const dims = tensor.dims;
  const shp = '(' + dims.join(', ') + (dims.length === 1 ? ',' : '') + ')';
  let hdr = "{'descr': '" + entry[0] + "', 'fortran_order': False, 'shape': " + shp + ', }';
  hdr += ' '.repeat((64 - ((10 + hdr.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, hdr.length & 0xff, hdr.length >> 8]);
  const d = tensor.data;
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(hdr, 'latin1'),
    Buffer.from(d.buffer, d.byteOffset, d.byteLength)]));
}

async function main() {
  const [model, outdir, ...pairs] = process.argv.slice(2);
  if (!model || !outdir) throw new Error('usage: ort_run.js MODEL.onnx OUTDIR NAME=FILE.npy ...');
  const feeds = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new Error("expected NAME=FILE.npy, got '" + p + "'");
    feeds[p.slice(0, eq)] = readNpy(p.slice(eq + 1));
  }
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const res = await sess.run(feeds);
  fs.mkdirSync(outdir, { recursive: true });
  for (const name of sess.outputNames)
    writeNpy(path.join(outdir, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy'), res[name]);
}

module.exports = { readNpy, writeNpy };

if (require.main === module)
  main().catch((e) => { console.error('ort_run: ' + e.message); process.exit(1); });
