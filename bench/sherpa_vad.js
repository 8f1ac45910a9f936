// Silero VAD segments with sherpa-onnx (npm sherpa-onnx-node), printed in the JSON shape
// of `voce vad --format json`, plus the time sherpa-onnx spent, for the VAD benchmarks
// (bench/vad_accuracy.py, bench/vad_speed.sh).
//
// usage: node bench/sherpa_vad.js MODEL.onnx AUDIO.wav... [--threshold X] [--min-speech-ms N]
//          [--min-silence-ms N] [--max-speech-s S] [--threads N] [--chunk N] [--buffer-s S]
//
// One line per file: {"file","sample_rate","samples","duration","segments":[{"start",
// "end","start_sample","end_sample"}], "engine","version","load_s","vad_s","windows"}.
// load_s: creating the detector (ONNX Runtime session from the model file); vad_s: feeding
// every sample, flushing and collecting the segments (reading the WAV is excluded).
// The audio is fed in --chunk samples per call (default 512, one window, as sherpa-onnx's
// own examples do: its segment boundaries move only at call boundaries). sherpa-onnx
// has no padding option; its max speech duration does not split a segment but, past it,
// raises the threshold to 0.9 and lowers min silence to 0.1 s; unlimited is taken as
// 86400 s (a larger value overflows its int32 sample count). Needs sherpa-onnx-node on
// NODE_PATH (or resolvable from here); files must be 16 kHz (sherpa-onnx's Silero wants it).
'use strict';
const path = require('path');
const wav = require('../tests/ref/wav.js'); // the same reader the VAD reference uses

function loadSherpa() {
  try {
    return require('sherpa-onnx-node');
  } catch (e) {
    for (const p of (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)) {
      try { return require(path.join(p, 'sherpa-onnx-node')); } catch (e2) { /* next */ }
    }
    throw e;
  }
}

function parseArgs(argv) {
  const o = { files: [], threshold: 0.5, minSpeechMs: 250, minSilenceMs: 100, maxSpeechS: 0, threads: 1, chunk: 512, bufferS: 60 };
  const num = { '--threshold': 'threshold', '--min-speech-ms': 'minSpeechMs', '--min-silence-ms': 'minSilenceMs',
    '--max-speech-s': 'maxSpeechS', '--threads': 'threads', '--chunk': 'chunk', '--buffer-s': 'bufferS' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in num) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number`);
      o[num[a]] = v;
    } else if (a.startsWith('--')) {
      throw new Error(`unknown option ${a}`);
    } else if (!o.model) {
      o.model = a;
    } else {
      o.files.push(a);
    }
  }
  if (!o.model || o.files.length === 0) {
    throw new Error('usage: node bench/sherpa_vad.js MODEL.onnx AUDIO.wav... [--threshold X] [--min-speech-ms N] [--min-silence-ms N] [--max-speech-s S] [--threads N] [--chunk N]');
  }
  return o;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

function main() {
  const o = parseArgs(process.argv.slice(2));
  const sherpa = loadSherpa();
  const maxSpeech = o.maxSpeechS > 0 ? Math.min(o.maxSpeechS, 86400) : 86400;
  const config = {
    sileroVad: {
      model: o.model,
      threshold: o.threshold,
      minSpeechDuration: o.minSpeechMs / 1000,
      minSilenceDuration: o.minSilenceMs / 1000,
      maxSpeechDuration: maxSpeech,
      windowSize: 512,
    },
    sampleRate: 16000,
    numThreads: o.threads,
    provider: 'cpu',
    debug: 0,
  };
  for (const file of o.files) {
    const t0 = now();
    const w = wav.readWav(file);
    const readS = now() - t0;
    if (w.rate !== 16000) throw new Error(`${file}: sample rate ${w.rate}, sherpa-onnx's Silero VAD needs 16000`);
    const x = w.samples;

    const t1 = now();
    const vad = new sherpa.Vad(config, o.bufferS);
    const t2 = now();
    const segs = [];
    const drain = () => {
      while (!vad.isEmpty()) {
        const s = vad.front(false);
        segs.push([s.start, s.start + s.samples.length]);
        vad.pop();
      }
    };
    let calls = 0;
    for (let i = 0; i < x.length; i += o.chunk) {
      vad.acceptWaveform(x.subarray(i, Math.min(i + o.chunk, x.length)));
      calls++;
      drain();
    }
    vad.flush();
    drain();
    const t3 = now();

    const sr = w.rate;
    const r = (v) => Math.round(v * 1e4) / 1e4;
    console.log(JSON.stringify({
      file, sample_rate: sr, samples: x.length, duration: r(x.length / sr),
      segments: segs.map(([a, b]) => ({ start: r(a / sr), end: r(b / sr), start_sample: a, end_sample: b })),
      engine: 'sherpa-onnx', version: sherpa.version, onnxruntime: sherpa.onnxruntimeVersion,
      threads: o.threads, read_s: r(readS), load_s: Math.round((t2 - t1) * 1e6) / 1e6,
      vad_s: Math.round((t3 - t2) * 1e6) / 1e6, calls,
    }));
  }
}

try {
  main();
} catch (e) {
  console.error('sherpa_vad: ' + e.message);
  process.exit(1);
}
