// WAV reader for the reference scripts. RIFF/WAVE with PCM 16-bit, IEEE float 32-bit,
// or WAVE_FORMAT_EXTENSIBLE carrying either; any number of channels, mixed to mono the
// way voce's own reader does it, in float32 arithmetic: the channels of a frame are
// summed from channel 0 upward, rounding to float32 after each addition, and the sum
// is divided by the channel count, rounded to float32. 16-bit samples are v / 32768.
// A data chunk that claims more bytes than the file has is read to the end of the
// file; a trailing partial frame is dropped. Anything else is refused with a message.
'use strict';
const fs = require('fs');

const PCM = 1, FLOAT = 3, EXTENSIBLE = 0xfffe;

function parseFmt(b, body, size, path) {
  if (size < 16) throw new Error(path + ': fmt chunk too short');
  const f = {
    tag: b.readUInt16LE(body), channels: b.readUInt16LE(body + 2), rate: b.readUInt32LE(body + 4),
    blockAlign: b.readUInt16LE(body + 12), bits: b.readUInt16LE(body + 14),
  };
  f.format = f.tag;
  if (f.tag === EXTENSIBLE) {
    if (size < 40) throw new Error(path + ': WAVE_FORMAT_EXTENSIBLE fmt chunk too short');
    f.format = b.readUInt16LE(body + 24); // first two bytes of the sub-format GUID
  }
  return f;
}

// { rate, channels, format: 'pcm16' | 'float32', samples: Float32Array (mono) }
function readWav(path) {
  const b = fs.readFileSync(path);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(path + ': not a RIFF/WAVE file');
  }
  let off = 12, fmt = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4), body = off + 8;
    if (id === 'fmt ') fmt = parseFmt(b, body, Math.min(size, b.length - body), path);
    if (id === 'data') {
      if (!fmt) throw new Error(path + ': data chunk before fmt chunk');
      return decode(b, body, Math.min(size, b.length - body), fmt, path);
    }
    off = body + size + (size & 1);
  }
  throw new Error(path + ': no data chunk');
}

function decode(b, body, size, fmt, path) {
  const ch = fmt.channels;
  let kind, bytes;
  if (fmt.format === PCM && fmt.bits === 16) { kind = 'pcm16'; bytes = 2; }
  else if (fmt.format === FLOAT && fmt.bits === 32) { kind = 'float32'; bytes = 4; }
  else throw new Error(path + ': format ' + fmt.tag + '/' + fmt.format + ' with ' + fmt.bits + ' bits is not supported (need PCM 16-bit or float 32-bit)');
  if (ch < 1) throw new Error(path + ': no channels');
  const frame = ch * bytes;
  const n = Math.floor(size / frame);
  const out = new Float32Array(n);
  const read = kind === 'pcm16' ? (p) => b.readInt16LE(p) / 32768 : (p) => b.readFloatLE(p);
  for (let i = 0; i < n; i++) {
    const p = body + i * frame;
    let sum = read(p);
    for (let c = 1; c < ch; c++) sum = Math.fround(sum + read(p + c * bytes));
    out[i] = ch > 1 ? Math.fround(sum / ch) : sum;
  }
  return { rate: fmt.rate, channels: ch, format: kind, samples: out };
}

module.exports = { readWav };
