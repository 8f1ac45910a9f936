// Run a Whisper export with ONNX Runtime: the encoder on the reference mel, teacher-forced
// logits in one call and through the KV cache, and greedy decoding; outputs as .npy.
// usage: node ort_whisper.js LAYOUT DIR REFDIR OUTDIR
//   LAYOUT  sherpa     DIR/<name>-encoder.onnx, DIR/<name>-decoder.onnx (sherpa-onnx)
//           hf         DIR/encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx
//           hf-merged  DIR/encoder_model.onnx, decoder_model_merged.onnx (use_cache_branch)
//           voce       DIR/encoder.onnx, DIR/decoder.onnx with the voce operators expanded
//                      into standard ones (tests/ref/check_whisper_layouts.py does that)
//   REFDIR  gen_whisper_layouts.py's ref/ (mel.npy, tf_tokens.npy, greedy_prompt.npy, facts.json)
// Writes OUTDIR/{cross_k_<l>,cross_v_<l> | audio_features}.npy, tf_logits.npy (one call),
// tf_logits_inc.npy (prompt in one call, then one token per call), tf_alignment.npy (voce),
// greedy_tokens.npy (i64), greedy_max.npy, greedy_lse.npy. One thread. Exit 77 without
// onnxruntime-node.
'use strict';
const fs = require('fs');
const path = require('path');

const ort = require('./ort_load.js');
const { readNpy, writeNpy } = require('./ort_run.js');

const f32 = (data, dims) => new ort.Tensor('float32', data, dims);
const i64 = (arr, dims) => new ort.Tensor('int64', BigInt64Array.from(arr.map((x) => BigInt(x))), dims);
const bool = (v) => new ort.Tensor('bool', Uint8Array.from([v ? 1 : 0]), [1]);

async function session(file) {
  return ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

// Row r of logits [1, n, V] as a Float32Array view.
function row(t, r) {
  const V = t.dims[2];
  return t.data.subarray(r * V, (r + 1) * V);
}

function stats(x) {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - x[best]);
  return { arg: best, max: x[best], lse: x[best] + Math.log(s) };
}

// Each layout as: encode(mel) -> {saves, state}, and step(state, tokens, offset) -> logits
// tensor [1, n, V] (the step keeps its own caches; reset() starts a new sequence).
async function sherpa(dir, facts) {
  const enc = await session(path.join(dir, facts.sherpa_name + '-encoder.onnx'));
  const dec = await session(path.join(dir, facts.sherpa_name + '-decoder.onnx'));
  const d = facts.dims;
  const L = d.n_text_layer, cacheDims = [L, 1, d.n_text_ctx, d.n_text_state];
  const zeros = () => f32(new Float32Array(cacheDims.reduce((a, b) => a * b)), cacheDims);
  let cross, k, v;
  return {
    async encode(mel) {
      const r = await enc.run({ mel });
      cross = r;
      const saves = {}, per = d.n_audio_ctx * d.n_text_state;
      for (let l = 0; l < L; l++) {
        saves['cross_k_' + l] = f32(r.n_layer_cross_k.data.slice(l * per, (l + 1) * per), [1, d.n_audio_ctx, d.n_text_state]);
        saves['cross_v_' + l] = f32(r.n_layer_cross_v.data.slice(l * per, (l + 1) * per), [1, d.n_audio_ctx, d.n_text_state]);
      }
      return saves;
    },
    reset() { k = zeros(); v = zeros(); },
    async step(tokens, offset) {
      const r = await dec.run({
        tokens: i64(tokens, [1, tokens.length]), in_n_layer_self_k_cache: k, in_n_layer_self_v_cache: v,
        n_layer_cross_k: cross.n_layer_cross_k, n_layer_cross_v: cross.n_layer_cross_v, offset: i64([offset], [1]),
      });
      k = r.out_n_layer_self_k_cache;
      v = r.out_n_layer_self_v_cache;
      return { logits: r.logits };
    },
  };
}

async function hf(dir, facts, merged) {
  const enc = await session(path.join(dir, 'encoder_model.onnx'));
  const first = await session(path.join(dir, merged ? 'decoder_model_merged.onnx' : 'decoder_model.onnx'));
  const later = merged ? first : await session(path.join(dir, 'decoder_with_past_model.onnx'));
  const d = facts.dims;
  const L = d.n_text_layer, H = d.n_text_head, Dh = d.n_text_state / H;
  let xa, past;
  const empty = () => f32(new Float32Array(0), [1, H, 0, Dh]);
  return {
    async encode(mel) {
      const r = await enc.run({ input_features: mel });
      xa = r.last_hidden_state;
      return { audio_features: xa };
    },
    reset() { past = null; },
    async step(tokens, offset) {
      const feeds = { input_ids: i64(tokens, [1, tokens.length]) };
      if (past === null || merged) feeds.encoder_hidden_states = xa;
      if (past !== null || merged)
        for (let l = 0; l < L; l++)
          for (const kind of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) {
            const name = 'past_key_values.' + l + '.' + kind;
            feeds[name] = past === null ? empty() : past[name];
          }
      if (merged) feeds.use_cache_branch = bool(past !== null);
      const r = await (past === null ? first : later).run(feeds);
      if (offset !== (past === null ? 0 : past['past_key_values.0.decoder.key'].dims[2]))
        throw new Error('offset ' + offset + ' does not follow the cache');
      const next = {};
      for (let l = 0; l < L; l++)
        for (const kind of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) {
          const p = r['present.' + l + '.' + kind];
          // encoder K/V come once, from the first call; the with-past model (or branch)
          // returns none (merged: empty tensors)
          next['past_key_values.' + l + '.' + kind] =
            kind.startsWith('encoder') && past !== null ? past['past_key_values.' + l + '.' + kind] : p;
        }
      past = next;
      return { logits: r.logits };
    },
  };
}

async function voce(dir, facts) {
  const enc = await session(path.join(dir, 'encoder.onnx'));
  const dec = await session(path.join(dir, 'decoder.onnx'));
  const d = facts.dims;
  const L = d.n_text_layer, cacheDims = [1, d.n_text_ctx, d.n_text_state];
  let cross, state;
  return {
    async encode(mel) {
      cross = await enc.run({ mel });
      return cross;
    },
    reset() {
      state = {};
      for (let l = 0; l < L; l++)
        for (const kv of ['k', 'v'])
          state['self_' + kv + '_' + l] = f32(new Float32Array(cacheDims.reduce((a, b) => a * b)), cacheDims);
    },
    async step(tokens, offset) {
      const feeds = Object.assign({ tokens: i64(tokens, [1, tokens.length]), offset: i64([offset], []) }, cross, state);
      const r = await dec.run(feeds);
      for (let l = 0; l < L; l++)
        for (const kv of ['k', 'v']) state['self_' + kv + '_' + l] = r['self_' + kv + '_out_' + l];
      return { logits: r.logits, alignment: r.alignment };
    },
  };
}

async function main() {
  const [layout, dir, refdir, outdir] = process.argv.slice(2);
  if (!outdir) throw new Error('usage: ort_whisper.js sherpa|hf|hf-merged|voce DIR REFDIR OUTDIR');
  const facts = JSON.parse(fs.readFileSync(path.join(refdir, 'facts.json'), 'utf8'));
  const model = layout === 'sherpa' ? await sherpa(dir, facts)
    : layout === 'hf' ? await hf(dir, facts, false)
      : layout === 'hf-merged' ? await hf(dir, facts, true)
        : layout === 'voce' ? await voce(dir, facts) : null;
  if (!model) throw new Error('unknown layout ' + layout);
  fs.mkdirSync(outdir, { recursive: true });
  const save = (name, t) => writeNpy(path.join(outdir, name + '.npy'), t);

  const saves = await model.encode(readNpy(path.join(refdir, 'mel.npy')));
  for (const [k, t] of Object.entries(saves)) save(k, t);

  const tf = Array.from(readNpy(path.join(refdir, 'tf_tokens.npy')).data, Number);
  const prompt = Array.from(readNpy(path.join(refdir, 'greedy_prompt.npy')).data, Number);
  const V = facts.dims.n_vocab;

  // teacher forcing in one call
  model.reset();
  let r = await model.step(tf, 0);
  save('tf_logits', r.logits);
  if (r.alignment) save('tf_alignment', r.alignment);

  // the same tokens through the cache: the prompt, then one at a time
  model.reset();
  const inc = new Float32Array(tf.length * V);
  r = await model.step(tf.slice(0, prompt.length), 0);
  inc.set(r.logits.data.subarray(0, prompt.length * V), 0);
  for (let i = prompt.length; i < tf.length; i++) {
    r = await model.step([tf[i]], i);
    inc.set(row(r.logits, 0), i * V);
  }
  save('tf_logits_inc', f32(inc, [1, tf.length, V]));

  // greedy
  model.reset();
  r = await model.step(prompt, 0);
  let last = row(r.logits, prompt.length - 1);
  const toks = [], mx = new Float32Array(facts.greedy_steps), lse = new Float32Array(facts.greedy_steps);
  for (let s = 0; s < facts.greedy_steps; s++) {
    const st = stats(last);
    toks.push(st.arg);
    mx[s] = st.max;
    lse[s] = st.lse;
    r = await model.step([st.arg], prompt.length + s);
    last = row(r.logits, 0);
  }
  save('greedy_tokens', i64(toks, [toks.length]));
  save('greedy_max', f32(mx, [mx.length]));
  save('greedy_lse', f32(lse, [lse.length]));
}

main().catch((e) => { console.error('ort_whisper: ' + e.message); process.exit(1); });
