// A NeMo TDT/RNN-T export in sherpa-onnx's layout run by sherpa-onnx itself (npm
// sherpa-onnx-node, OfflineRecognizer, greedy_search) on a WAV file cut into fixed
// consecutive pieces: the sherpa-onnx side of bench/transducer_peers.sh.
//
// usage: node bench/transducer_sherpa.js DIR AUDIO.wav [--threads N] [--piece-s S]
//          [--pieces P] [--tokens-out FILE]
//
// The pieces are bench_transducer's: every S seconds (default 30), the last holding what
// is left. Each piece is one OfflineStream: acceptWaveform, decode (sherpa-onnx's own
// front end, its encoder call and its greedy decode), getResult. sherpa-onnx finds the
// model kind in encoder.onnx's metadata (model_type EncDecRNNTBPEModel: NeMo) and TDT
// from the joiner's output width. Its front end is kaldi-native-fbank set up for NeMo
// (not NeMo's own STFT), so its features, and on random weights its tokens, differ a
// little from voce's and ONNX Runtime's, which share voce's features.
//
// Prints one line of key=value pairs: open_ms (the recognizer), total_ms (all pieces:
// stream, features, encoder, decode, result), total_cpu_ms, tokens, pieces.
// --tokens-out: the token ids (tokens.txt's, from the result's token texts), a line per
// piece. Needs sherpa-onnx-node on NODE_PATH or SHERPA_NODE_PATH.
'use strict';
const fs = require('fs');
const path = require('path');
const wav = require('../tests/ref/wav.js');

function loadSherpa() {
  const dirs = [process.env.SHERPA_NODE_PATH, ...(process.env.NODE_PATH || '').split(path.delimiter)]
    .filter(Boolean);
  for (const d of dirs) {
    try { return require(path.join(d, 'sherpa-onnx-node')); } catch (e) { /* next */ }
  }
  return require('sherpa-onnx-node');
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };

function parseArgs(argv) {
  const o = { threads: 1, pieceS: 30, pieces: 0, tokensOut: null, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') o.threads = Number(argv[++i]);
    else if (a === '--piece-s') o.pieceS = Number(argv[++i]);
    else if (a === '--pieces') o.pieces = Number(argv[++i]);
    else if (a === '--tokens-out') o.tokensOut = argv[++i];
    else if (a.startsWith('--')) throw new Error('unknown option ' + a);
    else o.rest.push(a);
  }
  if (o.rest.length !== 2 || !(o.threads >= 1) || !(o.pieceS >= 0.1)) {
    throw new Error('usage: node bench/transducer_sherpa.js DIR AUDIO.wav [--threads N] [--piece-s S] [--pieces P] ' +
      '[--tokens-out FILE]');
  }
  [o.dir, o.wav] = o.rest;
  return o;
}

// Piece text (as sherpa-onnx's results give it: "▁" shown as a space) -> id.
function tokenIds(file) {
  const ids = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^(.*) (\d+)$/.exec(line);
    if (m) ids.set(m[1].replace(/\u2581/g, ' '), Number(m[2]));
  }
  return ids;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const sherpa = loadSherpa();
  const w = wav.readWav(o.wav);
  if (w.rate !== 16000) throw new Error(o.wav + ': not 16 kHz');
  const ids = tokenIds(path.join(o.dir, 'tokens.txt'));
  const t0 = now();
  const rec = new sherpa.OfflineRecognizer({
    featConfig: { sampleRate: 16000, featureDim: 128 },
    modelConfig: {
      transducer: { encoder: path.join(o.dir, 'encoder.onnx'), decoder: path.join(o.dir, 'decoder.onnx'),
        joiner: path.join(o.dir, 'joiner.onnx') },
      tokens: path.join(o.dir, 'tokens.txt'), numThreads: o.threads, provider: 'cpu', debug: 0,
    },
    decodingMethod: 'greedy_search',
  });
  const openMs = now() - t0;
  const step = Math.round(o.pieceS * 16000), lines = [];
  let total = 0, cpu = 0, tokens = 0, pieces = 0, unknown = 0;
  for (let at = 0; at < w.samples.length && (o.pieces <= 0 || pieces < o.pieces); at += step) {
    const samples = w.samples.subarray(at, Math.min(at + step, w.samples.length));
    const a = now(), c = cpuMs();
    const s = rec.createStream();
    s.acceptWaveform({ sampleRate: 16000, samples });
    rec.decode(s);
    const r = rec.getResult(s);
    total += now() - a;
    cpu += cpuMs() - c;
    const toks = r.tokens.map((t) => (ids.has(t) ? ids.get(t) : (unknown++, -1)));
    tokens += toks.length;
    lines.push(toks.join(' '));
    pieces++;
  }
  if (o.tokensOut) fs.writeFileSync(o.tokensOut, lines.join('\n') + '\n');
  let version = 'unknown';
  try { version = require(path.join(path.dirname(require.resolve('sherpa-onnx-node')), 'package.json')).version; } catch (e) {
    for (const d of [process.env.SHERPA_NODE_PATH, ...(process.env.NODE_PATH || '').split(path.delimiter)].filter(Boolean)) {
      try { version = require(path.join(d, 'sherpa-onnx-node', 'package.json')).version; break; } catch (e2) { /* next */ }
    }
  }
  console.log(`threads=${o.threads} pieces=${pieces} total_ms=${total.toFixed(1)} total_cpu_ms=${cpu.toFixed(1)} ` +
    `tokens=${tokens} unknown_tokens=${unknown} open_ms=${openMs.toFixed(1)} sherpa=${version}`);
}

try {
  main();
} catch (e) {
  console.error('transducer_sherpa: ' + e.message);
  process.exit(1);
}
