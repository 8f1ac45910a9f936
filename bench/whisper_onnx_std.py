#!/usr/bin/env python3
"""voce's Whisper export (scripts/export/whisper.py) in standard ONNX, for ONNX Runtime.

usage: whisper_onnx_std.py SRC_DIR DST_DIR [--plain]

Writes DST_DIR/encoder.onnx and DST_DIR/decoder.onnx: SRC_DIR's files with the operators
voce:CacheWrite and voce:Attention, which ONNX Runtime does not have, rewritten into
standard ones by tests/ref/check_whisper_layouts.py's Expander (from their definition in
docs/whisper-export.md), the weights and the rest of the graph as they were; and a copy of
SRC_DIR/config.json (dimensions, tokens, cache pairs) for bench/whisper_ort.js.

--plain stops there (the check's expansion as it is). By default two changes give ONNX
Runtime what voce's fused attention kernel has, without changing what is computed:
  - the decoder's causal self-attention reads only the cache rows it can see (rows
    0 .. offset + n - 1, sliced out before the product) instead of all n_text_ctx rows
    with the rest masked;
  - the encoder hands each layer's cross-attention keys over as [1, H, Dh, T] and values
    as [1, H, T, Dh] (heads apart, once per window), and the decoder multiplies by them
    as they are, instead of splitting heads and transposing [1, T, H*Dh] at every token
    (in the plain expansion these transposes are a fifth of a tiny decoder step).
"""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "ref"))

import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

from check_whisper_layouts import Expander  # noqa: E402


def is_cross(name):
    return name.startswith("cross_k_") or name.startswith("cross_v_")


class FastExpander(Expander):
    """Causal attention over the visible cache rows; cross-attention on head-major K/V."""

    def attention(self, node):
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        q, k, v = node.input[:3]
        if a.get("causal", 0):
            offset = node.input[3]
            n = self.op("Shape", [q], start=1, end=2)
            end = self.op("Add", [self.op("Unsqueeze", [offset, self.const([0])]), n])
            start, axis = self.const([0]), self.const([1])
            k = self.op("Slice", [k, start, end, axis])
            v = self.op("Slice", [v, start, end, axis])
            sliced = helper.make_node(node.op_type, [q, k, v, offset], list(node.output), name=node.name,
                                      domain=node.domain)
            sliced.attribute.extend(node.attribute)
            return super().attention(sliced)
        if not (is_cross(k) and is_cross(v)):
            return super().attention(node)
        # k: [1, H, Dh, T], v: [1, H, T, Dh], as the rewritten encoder hands them over
        qh = self.op("Transpose", [self.op("Reshape", [q, self.const([0, 0, a["num_heads"], -1])])],
                     perm=[0, 2, 1, 3])
        s = self.op("Mul", [self.op("MatMul", [qh, k]), self.const([a["scale"]], TensorProto.FLOAT, scalar=True)])
        p = self.op("Softmax", [s], axis=-1)
        o = self.op("Transpose", [self.op("MatMul", [p, v])], perm=[0, 2, 1, 3])
        self.nodes.append(helper.make_node("Reshape", [o, self.const([0, 0, -1])], [node.output[0]],
                                           name=self.name("n")))
        if len(node.output) > 1 and node.output[1]:
            self.nodes.append(helper.make_node("Identity", [p], [node.output[1]], name=self.name("n")))


def head_major(m, heads, ex):
    """Encoder outputs cross_k_<l> -> [1, H, Dh, T], cross_v_<l> -> [1, H, T, Dh]."""
    ex.nodes = []
    for out in m.graph.output:
        if not is_cross(out.name):
            continue
        dims = out.type.tensor_type.shape.dim
        t, d = dims[1].dim_value, dims[2].dim_value
        inner = out.name + "_rows"
        for n in m.graph.node:
            n.output[:] = [inner if o == out.name else o for o in n.output]
        split = ex.op("Reshape", [inner, ex.const([0, 0, heads, -1])])
        perm = [0, 2, 3, 1] if out.name.startswith("cross_k_") else [0, 2, 1, 3]
        ex.nodes.append(helper.make_node("Transpose", [split], [out.name], name=ex.name("n"), perm=perm))
        shape = [1, heads, d // heads, t] if perm[2] == 3 else [1, heads, t, d // heads]
        out.CopyFrom(helper.make_tensor_value_info(out.name, TensorProto.FLOAT, shape))
    m.graph.node.extend(ex.nodes)


def cross_inputs_head_major(m, heads):
    for i in m.graph.input:
        if is_cross(i.name):
            dims = i.type.tensor_type.shape.dim
            t, d = dims[1].dim_value, dims[2].dim_value
            shape = [1, heads, d // heads, t] if i.name.startswith("cross_k_") else [1, heads, t, d // heads]
            i.CopyFrom(helper.make_tensor_value_info(i.name, TensorProto.FLOAT, shape))


def expand(src, dst, plain, heads):
    m = onnx.load(src)
    kept = []
    ex = Expander() if plain else FastExpander()
    for n in m.graph.node:
        if n.domain != "voce":
            kept.append(n)
            continue
        ex.nodes = []
        if n.op_type == "CacheWrite":
            ex.cache_write(n)
        elif n.op_type == "Attention":
            ex.attention(n)
        else:
            raise ValueError("%s: unknown voce operator %s" % (src, n.op_type))
        kept += ex.nodes
    del m.graph.node[:]
    m.graph.node.extend(kept)
    imports = [o for o in m.opset_import if o.domain != "voce"]
    del m.opset_import[:]
    m.opset_import.extend(imports)
    if not plain:
        if any(is_cross(o.name) for o in m.graph.output):
            head_major(m, heads, ex)
        cross_inputs_head_major(m, heads)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def main():
    args = [a for a in sys.argv[1:] if a != "--plain"]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    src, dst = args
    cfg = os.path.join(src, "config.json")
    for f in ("encoder.onnx", "decoder.onnx", "config.json"):
        if not os.path.isfile(os.path.join(src, f)):
            print("whisper_onnx_std: %s not found" % os.path.join(src, f), file=sys.stderr)
            return 1
    heads = json.load(open(cfg))["dims"]["n_text_head"]
    os.makedirs(dst, exist_ok=True)
    for f in ("encoder.onnx", "decoder.onnx"):
        expand(os.path.join(src, f), os.path.join(dst, f), "--plain" in sys.argv[1:], heads)
    shutil.copyfile(cfg, os.path.join(dst, "config.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
