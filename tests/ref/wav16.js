// WAV reader kept for ort_silero.js: 16-bit PCM, mono, 16 kHz only (the test files used
// with it are exactly that); anything else is refused. The parsing is wav.js's.
'use strict';
const { readWav } = require('./wav.js');

function readMono16k(path) {
  const w = readWav(path);
  if (w.format !== 'pcm16' || w.channels !== 1 || w.rate !== 16000) throw new Error(path + ': need 16-bit PCM mono 16 kHz');
  return w.samples;
}

module.exports = { readMono16k };
