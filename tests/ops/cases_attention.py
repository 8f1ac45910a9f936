"""voce:Attention and voce:CacheWrite (src/kernels/ref/attention.c). Expected values from
torch in float64: per head a plain softmax(scale * q k^T) v with the causal mask built
explicitly (key j visible to query row i iff j <= offset + i), so a kernel that masks,
splits heads or offsets rows wrongly disagrees. Shapes cover a decoder step (one query
over a cache of which only the first offset + 1 rows are filled), a prompt of several
rows, cross-attention over many keys, odd head widths, more query rows than a task
block (32) and batch 2, and the blocked path's chunks of keys, causal mask across a chunk
edge and shared keys."""
import numpy as np
import torch

from opcase import Case

rng = np.random.default_rng(2026)


def r(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def attention_ref(q, k, v, heads, scale, causal, offset):
    q, k, v = (torch.from_numpy(a).double() for a in (q, k, v))
    B, Nq, D = q.shape
    Nk, Dv = k.shape[1], v.shape[2] // heads
    dk = D // heads
    qh = q.reshape(B, Nq, heads, dk).transpose(1, 2)
    kh = k.reshape(B, Nk, heads, dk).transpose(1, 2)
    vh = v.reshape(B, Nk, heads, Dv).transpose(1, 2)
    s = scale * qh @ kh.transpose(-1, -2)
    if causal:
        i = torch.arange(Nq).reshape(-1, 1)
        j = torch.arange(Nk).reshape(1, -1)
        s = s.masked_fill(j > offset + i, float("-inf"))
    p = torch.softmax(s, dim=-1)
    out = (p @ vh).transpose(1, 2).reshape(B, Nq, heads * Dv)
    return out.numpy().astype(np.float32), p.numpy().astype(np.float32)


def attention_case(name, B, Nq, Nk, heads, dk, dv=None, causal=0, offset=0, scale=None,
                   probs=False, kv_batch=None):
    dv = dv or dk
    kvb = kv_batch or B
    q, k, v = r(B, Nq, heads * dk), r(kvb, Nk, heads * dk), r(kvb, Nk, heads * dv)
    s = scale if scale is not None else 1.0 / np.sqrt(dk)
    out, p = attention_ref(q, np.broadcast_to(k, (B,) + k.shape[1:]).copy(),
                           np.broadcast_to(v, (B,) + v.shape[1:]).copy(), heads, s, causal, offset)
    attrs = {"num_heads": heads, "causal": causal}
    if scale is not None:
        attrs["scale"] = scale
    ins = [q, k, v, np.array(offset, dtype=np.int64)]
    outs = [out, p] if probs else [out]
    return Case(name, "voce:Attention", ins, outs, attrs=attrs, atol=2e-5, rtol=1e-4, opset=1)


def cache_case(name, cache_shape, n, offset):
    cache = r(*cache_shape)
    new = r(cache_shape[0], n, *cache_shape[2:])
    want = cache.copy()
    want[:, offset:offset + n] = new
    return Case(name, "voce:CacheWrite", [cache, new, np.array(offset, dtype=np.int64)], [want],
                atol=0, rtol=0, opset=1)


def cases():
    return [
        attention_case("attn_decode_step", 1, 1, 448, 6, 64, causal=1, offset=17),
        attention_case("attn_decode_first", 1, 1, 448, 2, 32, causal=1, offset=0, probs=True),
        attention_case("attn_prompt", 1, 5, 448, 4, 16, causal=1, offset=0, probs=True),
        attention_case("attn_prompt_offset", 2, 7, 40, 3, 5, causal=1, offset=9),
        attention_case("attn_cross", 1, 3, 1500, 4, 16, probs=True),
        attention_case("attn_many_rows", 1, 70, 70, 2, 8, causal=1, offset=0),
        attention_case("attn_self_full", 2, 37, 37, 3, 7, dv=5),
        attention_case("attn_scale", 1, 4, 9, 1, 3, scale=0.7, probs=True),
        attention_case("attn_past_end", 1, 3, 4, 1, 4, causal=1, offset=3),
        attention_case("attn_beams_shared_kv", 5, 1, 300, 2, 8, kv_batch=1, probs=True),
        # many query rows, no probabilities: attention_blocked.c (keys in chunks of 16
        # slivers, 192 on AVX-512 and AVX2; query rows in blocks of the tile width)
        attention_case("attn_blocked_chunks", 1, 70, 500, 2, 64),
        attention_case("attn_blocked_causal", 2, 40, 450, 3, 16, dv=24, causal=1, offset=380),
        attention_case("attn_blocked_shared_kv", 2, 20, 200, 2, 8, dv=13, kv_batch=1),
        cache_case("cache_write_mid", (1, 448, 64), 1, 17),
        cache_case("cache_write_rows", (2, 10, 3, 2), 4, 6),
        cache_case("cache_write_all", (1, 5, 8), 5, 0),
    ]


def write_state_models(outdir):
    """Models with method state (metadata_props voce.state) for tests/test_state.c:
    state_decoder.onnx: a one-layer decoder step, its key cache written in place by
      voce:CacheWrite and read by causal voce:Attention;
    state_decoder_copy.onnx: the same plus the sum of the old cache, read after the
      write (so the cache cannot be updated in place and the runtime copies);
    state_accum.onnx: acc_out = acc + x (state carried by copy);
    state_inner_batch.onnx: the same with acc [2, b, 3], its batch axis the second;
    state_badname.onnx: a voce.state naming no input."""
    import os
    import onnx
    from onnx import TensorProto as TP
    from onnx import helper as h
    from onnx import numpy_helper as nh

    F, I64 = TP.FLOAT, TP.INT64

    def save(name, nodes, inputs, outputs, inits, state):
        g = h.make_graph(nodes, name, inputs, outputs, initializer=inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("voce", 1)])
        m.ir_version = 8
        h.set_model_props(m, {"voce.state": state})
        onnx.save(m, os.path.join(outdir, name + ".onnx"))

    def decoder(name, copy):
        nodes = [h.make_node("Mul", ["x", "two"], ["k"]),
                 h.make_node("CacheWrite", ["cache", "k", "offset"], ["cache_out"], domain="voce"),
                 h.make_node("Attention", ["x", "cache_out", "cache_out", "offset"], ["att"],
                             domain="voce", num_heads=2, causal=1)]
        outs = [h.make_tensor_value_info("y", F, [1, "n", 8]),
                h.make_tensor_value_info("cache_out", F, [1, 16, 8])]
        if copy:
            # reads the old cache after the write
            nodes.append(h.make_node("ReduceSum", ["cache"], ["old_sum"], keepdims=0))
            nodes.append(h.make_node("Add", ["att", "old_sum"], ["y"]))
        else:
            nodes.append(h.make_node("Identity", ["att"], ["y"]))
        ins = [h.make_tensor_value_info("x", F, [1, "n", 8]),
               h.make_tensor_value_info("offset", I64, []),
               h.make_tensor_value_info("cache", F, [1, 16, 8])]
        save(name, nodes, ins, outs, [nh.from_array(np.array(2, np.float32), "two")],
             "cache:cache_out")

    decoder("state_decoder", False)
    decoder("state_decoder_copy", True)
    acc_io = [h.make_tensor_value_info("x", F, [2, 3]), h.make_tensor_value_info("acc", F, [2, 3])]
    save("state_accum", [h.make_node("Add", ["acc", "x"], ["acc_out"])], acc_io,
         [h.make_tensor_value_info("acc_out", F, [2, 3])], [], "acc:acc_out")
    # sherpa-onnx's caches are [layers, batch, ctx, width]: the batch axis is the free one
    save("state_inner_batch", [h.make_node("Add", ["acc", "x"], ["acc_out"])],
         [h.make_tensor_value_info("x", F, [2, 1, 3]), h.make_tensor_value_info("acc", F, [2, "b", 3])],
         [h.make_tensor_value_info("acc_out", F, [2, "b", 3])], [], "acc:acc_out")
    save("state_badname", [h.make_node("Add", ["acc", "x"], ["acc_out"])], acc_io,
         [h.make_tensor_value_info("acc_out", F, [2, 3])], [], "acc:nothing")
