// ONNX Runtime for node (npm onnxruntime-node), or exit 77 (ctest's skip) saying it is
// missing: every ONNX Runtime script of the tests and benchmarks loads it through here.
//   const ort = require('./ort_load.js');
'use strict';
try {
  module.exports = require('onnxruntime-node');
} catch (e) {
  console.log('skip: onnxruntime-node is not installed (npm install --ignore-scripts ' +
              'onnxruntime-node, then set NODE_PATH to its node_modules)');
  process.exit(77);
}
