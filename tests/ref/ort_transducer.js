// Run a NeMo transducer or CTC export with ONNX Runtime on gen_transducer_layouts.py's
// references, writing what check_transducer_layouts.py needs to drive the greedy decodes
// from ONNX Runtime's outputs.
// usage: node ort_transducer.js LAYOUT DIR REFDIR OUTDIR
//   LAYOUT  sherpa    DIR/encoder.onnx, decoder.onnx, joiner.onnx
//           onnx-asr  DIR/encoder-model.onnx, decoder_joint-model.onnx
//           ctc       DIR/model.onnx
//   REFDIR  features.npy, features_len.npy, short_len.npy, dec_targets.npy, dec_h.npy
// Writes OUTDIR/
//   encoder_out.npy encoder_len.npy encoder_out_short.npy encoder_len_short.npy
//     (ctc: logprobs.npy logprobs_short.npy)
//   dec_out.npy [U + 1, H]  sherpa: decoder.onnx on dec_targets, one token per call, the
//                           state carried from call to call
//   dec_out_seq.npy         sherpa: decoder.onnx on all of dec_targets in one call
//   dec_h.npy dec_c.npy     the final prediction-network state (onnx-asr: decoder_joint's)
//   lattice.npy [T', U + 1, n_out]  joint logits for every encoder frame and every
//                           prefix of the tokens: sherpa, joiner.onnx on the whole
//                           encoder output and dec_out in one call; onnx-asr,
//                           decoder_joint on the whole encoder output, one call per token
// One thread. Exit 77 without onnxruntime-node.
'use strict';
const path = require('path');

const ort = require('./ort_load.js');
const { readNpy, writeNpy } = require('./ort_run.js');

const f32 = (data, dims) => new ort.Tensor('float32', data, dims);
const i32 = (arr, dims) => new ort.Tensor('int32', Int32Array.from(arr), dims);

async function session(file) {
  return ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

async function encode(enc, ref, out, outNames) {
  const feats = readNpy(path.join(ref, 'features.npy'));
  const cases = [['', readNpy(path.join(ref, 'features_len.npy'))],
    ['_short', readNpy(path.join(ref, 'short_len.npy'))]];
  let full = null;
  for (const [tag, len] of cases) {
    const r = await enc.run({ audio_signal: feats, length: len });
    for (const [name, file] of outNames) writeNpy(path.join(out, file + tag + '.npy'), r[name]);
    if (!tag) full = r;
  }
  return full;
}

function zeros(dims) {
  return f32(new Float32Array(dims.reduce((a, b) => a * b)), dims);
}

function stack(rows, dims) {
  const n = rows[0].length;
  const all = new Float32Array(rows.length * n);
  rows.forEach((r, i) => all.set(r, i * n));
  return f32(all, dims);
}

async function sherpa(dir, ref, out) {
  const enc = await session(path.join(dir, 'encoder.onnx'));
  const dec = await session(path.join(dir, 'decoder.onnx'));
  const joi = await session(path.join(dir, 'joiner.onnx'));
  const e = await encode(enc, ref, out, [['outputs', 'encoder_out'], ['encoded_lengths', 'encoder_len']]);
  const targets = Array.from(readNpy(path.join(ref, 'dec_targets.npy')).data);
  const sdims = readNpy(path.join(ref, 'dec_h.npy')).dims;
  const [in1, in2] = [dec.inputNames[2], dec.inputNames[3]];
  const [out1, out2] = [dec.outputNames[2], dec.outputNames[3]];
  let h = zeros(sdims), c = zeros(sdims);
  const rows = [];
  for (const tok of targets) {
    const r = await dec.run({ targets: i32([tok], [1, 1]), target_length: i32([1], [1]), [in1]: h, [in2]: c });
    rows.push(Float32Array.from(r.outputs.data));
    h = r[out1];
    c = r[out2];
  }
  const H = rows[0].length, U1 = rows.length;
  writeNpy(path.join(out, 'dec_out.npy'), stack(rows, [U1, H]));
  writeNpy(path.join(out, 'dec_h.npy'), h);
  writeNpy(path.join(out, 'dec_c.npy'), c);
  const seq = await dec.run({ targets: i32(targets, [1, U1]), target_length: i32([U1], [1]),
    [in1]: zeros(sdims), [in2]: zeros(sdims) });
  // outputs [1, H, U + 1] -> [U + 1, H]
  const s = seq.outputs.data, seqRows = [];
  for (let u = 0; u < U1; u++) {
    const row = new Float32Array(H);
    for (let j = 0; j < H; j++) row[j] = s[j * U1 + u];
    seqRows.push(row);
  }
  writeNpy(path.join(out, 'dec_out_seq.npy'), stack(seqRows, [U1, H]));
  // decoder_outputs [1, H, U + 1] from the incremental outputs
  const g = new Float32Array(H * U1);
  for (let u = 0; u < U1; u++) for (let j = 0; j < H; j++) g[j * U1 + u] = rows[u][j];
  const r = await joi.run({ encoder_outputs: e.outputs, decoder_outputs: f32(g, [1, H, U1]) });
  const d = r.outputs.dims;
  writeNpy(path.join(out, 'lattice.npy'), f32(r.outputs.data, [d[1], d[2], d[3]]));
}

async function onnxAsr(dir, ref, out) {
  const enc = await session(path.join(dir, 'encoder-model.onnx'));
  const dj = await session(path.join(dir, 'decoder_joint-model.onnx'));
  const e = await encode(enc, ref, out, [['outputs', 'encoder_out'], ['encoded_lengths', 'encoder_len']]);
  const targets = Array.from(readNpy(path.join(ref, 'dec_targets.npy')).data);
  const sdims = readNpy(path.join(ref, 'dec_h.npy')).dims;
  let h = zeros(sdims), c = zeros(sdims);
  const cols = [];
  for (const tok of targets) {
    const r = await dj.run({ encoder_outputs: e.outputs, targets: i32([tok], [1, 1]), target_length: i32([1], [1]),
      input_states_1: h, input_states_2: c });
    cols.push(r.outputs);
    h = r.output_states_1;
    c = r.output_states_2;
  }
  const [, T, , N] = cols[0].dims, U1 = cols.length;
  const lat = new Float32Array(T * U1 * N);
  cols.forEach((col, u) => {
    for (let t = 0; t < T; t++) lat.set(col.data.subarray(t * N, (t + 1) * N), (t * U1 + u) * N);
  });
  writeNpy(path.join(out, 'lattice.npy'), f32(lat, [T, U1, N]));
  writeNpy(path.join(out, 'dec_h.npy'), h);
  writeNpy(path.join(out, 'dec_c.npy'), c);
}

async function ctc(dir, ref, out) {
  const m = await session(path.join(dir, 'model.onnx'));
  await encode(m, ref, out, [['logprobs', 'logprobs']]);
}

async function main() {
  const [layout, dir, ref, out] = process.argv.slice(2);
  if (!out) throw new Error('usage: ort_transducer.js sherpa|onnx-asr|ctc DIR REFDIR OUTDIR');
  require('fs').mkdirSync(out, { recursive: true });
  const run = { sherpa, 'onnx-asr': onnxAsr, ctc }[layout];
  if (!run) throw new Error('unknown layout ' + layout);
  await run(dir, ref, out);
}

main().catch((e) => { console.error('ort_transducer: ' + e.message); process.exit(1); });
