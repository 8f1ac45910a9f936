// Write a float32 array as a .npy file (format 1.0, C order).
'use strict';
const fs = require('fs');

function writeF32(path, data, shape) {
  const shp = '(' + shape.join(', ') + (shape.length === 1 ? ',' : '') + ')';
  let hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shp + ', }';
  const pad = 64 - ((10 + hdr.length + 1) % 64);
  hdr += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, hdr.length & 0xff, hdr.length >> 8]);
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(hdr, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

module.exports = { writeF32 };
