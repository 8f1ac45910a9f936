"""Small quantized graphs in the forms published models use, with inputs, for
tests/test_quant_ort.sh; and malformed ones that voce must refuse.

usage: gen_quant_models.py OUTDIR
Writes OUTDIR/<name>.onnx, OUTDIR/<name>.<input>.npy and OUTDIR/manifest.json:
  {"models": [{"name", "onnx", "inputs": {name: file}, "tol": {output: [atol, rtol]}}],
   "errors": [{"name", "onnx", "inputs": {...}, "expect": [substring, ...]}]}
Outputs missing from "tol" are integers and must match exactly.

Forms: (a) ONNX Runtime's dynamic quantization as sherpa-onnx's *.int8.onnx use it
(DynamicQuantizeLinear -> MatMulInteger / ConvInteger -> Cast -> Mul by the product of
the scales -> Add bias); (b) QDQ: QuantizeLinear -> DequantizeLinear on activations,
DequantizeLinear on int8 weights per channel (and blocked, opset 21) -> MatMul; (c)
com.microsoft MatMulNBits (4 and 8 bits, with and without zero points);
com.microsoft DynamicQuantizeMatMul."""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

rng = np.random.default_rng(99)
F32 = np.float32


def r(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(F32)


def codes(dtype, *shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape).astype(dtype)


class Graph:
    def __init__(self, name):
        self.name, self.nodes, self.inits, self.ins, self.outs = name, [], [], [], []
        self.feeds, self.tol = {}, {}

    def init(self, name, arr):
        self.inits.append(nh.from_array(np.asarray(arr), name))
        return name

    def node(self, op, ins, outs, domain=None, **attrs):
        self.nodes.append(h.make_node(op, ins, outs, name=f"{outs[0]}_node", domain=domain, **attrs))
        return outs[0]

    def input(self, name, arr):
        t = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]
        self.ins.append(h.make_tensor_value_info(name, t, list(arr.shape)))
        self.feeds[name] = arr

    def output(self, name, elem, tol=None):
        self.outs.append(h.make_tensor_value_info(name, elem, None))
        if tol:
            self.tol[name] = tol

    def save(self, outdir, opset=13, ms=False, ir=8):
        g = h.make_graph(self.nodes, self.name, self.ins, self.outs, initializer=self.inits)
        ops = [h.make_opsetid("", opset)] + ([h.make_opsetid("com.microsoft", 1)] if ms else [])
        m = h.make_model(g, opset_imports=ops)
        m.ir_version = ir
        path = os.path.join(outdir, self.name + ".onnx")
        onnx.save(m, path)
        inputs = {}
        for k, v in self.feeds.items():
            f = os.path.join(outdir, f"{self.name}.{k}.npy")
            np.save(f, v)
            inputs[k] = f
        return {"name": self.name, "onnx": path, "inputs": inputs, "tol": self.tol}


# Float outputs: |voce - ORT| <= atol + rtol * |ORT| (see docs/quantized-onnx.md).
TOL_SCALED = [1e-5, 1e-5]   # float(int32 sum) * scale + bias: one or two roundings apart
TOL_MATMUL = [1e-4, 1e-4]   # f32 sums over K <= 96 in another order


def rescale(g, acc, scale_a, scale_b, bias, out):
    """Cast -> Mul(scale_a * scale_b) -> Add(bias): ORT's dynamic-quantization epilogue."""
    f = g.node("Cast", [acc], [acc + "_f"], to=TP.FLOAT)
    s = g.node("Mul", [scale_a, scale_b], [acc + "_scale"])
    m = g.node("Mul", [f, s], [acc + "_scaled"])
    return g.node("Add", [m, bias], [out])


def dyn_mlp(outdir):
    g = Graph("dyn_mlp")
    g.input("x", r(37, 80))
    g.node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"])
    w1 = g.init("w1", codes(np.int8, 80, 63))
    g.node("MatMulInteger", ["xq", w1, "xz", g.init("w1z", np.array(0, np.int8))], ["acc1"])
    h1 = rescale(g, "acc1", "xs", g.init("w1s", np.array(0.004, F32)), g.init("b1", r(63)), "h1")
    g.node("Relu", [h1], ["r1"])
    g.node("DynamicQuantizeLinear", ["r1"], ["rq", "rs", "rz"])
    w2 = g.init("w2", codes(np.uint8, 63, 17))
    g.node("MatMulInteger", ["rq", w2, "rz", g.init("w2z", codes(np.uint8, 17))], ["acc2"])
    rescale(g, "acc2", "rs", g.init("w2s", (rng.random(17) * 0.01 + 0.001).astype(F32)),
            g.init("b2", r(17)), "y")
    g.output("y", TP.FLOAT, TOL_SCALED)
    g.output("h1", TP.FLOAT, TOL_SCALED)
    for name, t in (("xq", TP.UINT8), ("xz", TP.UINT8), ("acc1", TP.INT32), ("rq", TP.UINT8),
                    ("acc2", TP.INT32)):
        g.output(name, t)
    g.output("xs", TP.FLOAT, [0.0, 0.0])
    return g.save(outdir)


def dyn_conv(outdir, name, x, w, wz, **attrs):
    g = Graph(name)
    g.input("x", x)
    g.node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"])
    g.node("ConvInteger", ["xq", g.init("w", w), "xz", g.init("wz", wz)], ["acc"], **attrs)
    bias = g.init("b", r(*([1, w.shape[0]] + [1] * (x.ndim - 2))))
    rescale(g, "acc", "xs", g.init("ws", np.array(0.003, F32)), bias, "y")
    g.output("y", TP.FLOAT, TOL_SCALED)
    g.output("acc", TP.INT32)
    g.output("xq", TP.UINT8)
    return g.save(outdir)


def qdq_linear(outdir, name, x, act_dtype, act_zp, w, w_scale, w_zp, opset=13, block=0):
    g = Graph(name)
    g.input("x", x)
    sx, zx = g.init("sx", np.array(0.02, F32)), g.init("zx", np.array(act_zp, act_dtype))
    g.node("QuantizeLinear", ["x", sx, zx], ["xq"])
    g.node("DequantizeLinear", ["xq", sx, zx], ["xd"])
    attrs = {"axis": 0, "block_size": block} if block else {"axis": 1}
    g.node("DequantizeLinear", [g.init("w", w), g.init("ws", w_scale), g.init("wz", w_zp)], ["wd"], **attrs)
    g.node("MatMul", ["xd", "wd"], ["mm"])
    g.node("Add", ["mm", g.init("b", r(w.shape[1]))], ["y"])
    g.output("y", TP.FLOAT, TOL_MATMUL)
    g.output("xq", TP.UINT8 if act_dtype == np.uint8 else TP.INT8)
    return g.save(outdir, opset=opset, ir=10 if opset >= 21 else 8)


def pack(c, bits):
    per = 8 // bits
    c = c.reshape(c.shape[:-1] + (-1, per)).astype(np.uint16)
    return sum(c[..., j] << (j * bits) for j in range(per)).astype(np.uint8)


def nbits(outdir, name, a, N, bits, bs, with_zp, bias):
    K = a.shape[-1]
    kb = -(-K // bs)
    g = Graph(name)
    g.input("a", a)
    B = pack(rng.integers(0, 2**bits, size=(N, kb * bs)), bits).reshape(N, kb, bs * bits // 8)
    ins = ["a", g.init("b", B), g.init("scales", (rng.random((N, kb)) * 0.05 + 0.001).astype(F32))]
    if with_zp:
        zb = -(-kb * bits // 8)
        ins.append(g.init("zp", pack(rng.integers(0, 2**bits, size=(N, zb * 8 // bits)), bits)))
    if bias:
        ins += [""] * (5 - len(ins)) + [g.init("bias", r(N))]
    g.node("MatMulNBits", ins, ["y"], domain="com.microsoft", K=K, N=N, bits=bits, block_size=bs)
    g.output("y", TP.FLOAT, TOL_MATMUL)
    return g.save(outdir, ms=True)


def dq_matmul(outdir):
    g = Graph("dq_matmul")
    g.input("a", r(4, 33))
    ins = ["a", g.init("b", codes(np.int8, 33, 10)), g.init("bs", np.array(0.01, F32)), "",
           g.init("bias", r(10))]
    g.node("DynamicQuantizeMatMul", ins, ["y"], domain="com.microsoft")
    g.output("y", TP.FLOAT, TOL_SCALED)
    return g.save(outdir, ms=True)


def models(outdir):
    out = [dyn_mlp(outdir)]
    out.append(dyn_conv(outdir, "dyn_conv1d", r(1, 16, 50), codes(np.uint8, 32, 16, 3), np.array(128, np.uint8),
                        pads=[1, 1]))
    out.append(dyn_conv(outdir, "dyn_conv2d", r(1, 1, 40, 20), codes(np.uint8, 8, 1, 3, 3), np.array(3, np.uint8),
                        strides=[2, 2], pads=[1, 1, 1, 1]))
    out.append(qdq_linear(outdir, "qdq_u8", r(5, 48), np.uint8, 128, codes(np.int8, 48, 24),
                          (rng.random(24) * 0.01 + 0.001).astype(F32), np.zeros(24, np.int8)))
    out.append(qdq_linear(outdir, "qdq_i8", r(3, 40), np.int8, -5, codes(np.int8, 40, 9),
                          (rng.random(9) * 0.01 + 0.001).astype(F32), codes(np.int8, 9)))
    out.append(qdq_linear(outdir, "qdq_blocked", r(4, 64), np.uint8, 120, codes(np.int8, 64, 16),
                          (rng.random((2, 16)) * 0.01 + 0.001).astype(F32), np.zeros((2, 16), np.int8),
                          opset=21, block=32))
    out.append(nbits(outdir, "nbits4", r(3, 7, 96), 40, 4, 32, False, False))
    out.append(nbits(outdir, "nbits4_zp_bias", r(5, 80), 33, 4, 16, True, True))
    out.append(nbits(outdir, "nbits8_zp", r(2, 64), 24, 8, 32, True, False))
    # forms the compiler maps onto voce:QLinear (default zero points, block 32/64/128)
    out.append(nbits(outdir, "nbits4_bias_b64", r(1, 1, 256), 70, 4, 64, False, True))
    out.append(nbits(outdir, "nbits8_b128", r(2, 256), 33, 8, 128, False, False))
    out.append(dq_matmul(outdir))
    return out


# ---- models voce must refuse, with what the message must say ----

def refusal(outdir, name, op, ins, expect, domain=None, opset=13, out_type=TP.FLOAT, **attrs):
    """One node named <name>; ins: list of (name, array, is_input)."""
    g = Graph(name)
    names = []
    for n, arr, is_input in ins:
        if arr is None:
            names.append("")
        elif is_input:
            g.input(n, arr)
            names.append(n)
        else:
            names.append(g.init(n, arr))
    g.nodes.append(h.make_node(op, names, ["y"], name=name, domain=domain, **attrs))
    g.output("y", out_type)
    d = g.save(outdir, opset=opset, ms=domain is not None, ir=10 if opset >= 21 else 8)
    d["expect"] = [f"node '{name}'"] + expect
    return d


def errors(outdir):
    ms = "com.microsoft"
    B = np.zeros((8, 2, 16), np.uint8)
    sc = np.ones((8, 2), F32)
    a = ("a", r(2, 64), True)
    return [
        refusal(outdir, "bad_zp_dtype", "MatMulInteger",
                [("a", codes(np.uint8, 2, 3), True), ("b", codes(np.uint8, 3, 4), False),
                 ("az", np.array(1, np.int8), False)],
                ["a_zero_point (input 2) is i8, expected u8"], out_type=TP.INT32),
        refusal(outdir, "bad_nbits_blob", "MatMulNBits", [a, ("b", np.zeros((8, 2, 8), np.uint8), False),
                                                          ("s", sc, False)],
                ["B has shape [8,2,8]", "make it [8,2,16]"], domain=ms, K=64, N=8, bits=4, block_size=32),
        refusal(outdir, "bad_nbits_bits", "MatMulNBits", [a, ("b", B, False), ("s", sc, False)],
                ["bits=3 is not supported"], domain=ms, K=64, N=8, bits=3, block_size=32),
        refusal(outdir, "bad_nbits_k", "MatMulNBits", [("a", r(2, 60), True), ("b", B, False), ("s", sc, False)],
                ["does not end in K=64"], domain=ms, K=64, N=8, bits=4, block_size=32),
        refusal(outdir, "bad_nbits_block", "MatMulNBits", [a, ("b", B, False), ("s", sc, False)],
                ["block_size 24 is not a power of 2"], domain=ms, K=64, N=8, bits=4, block_size=24),
        refusal(outdir, "bad_nbits_scales", "MatMulNBits", [a, ("b", B, False), ("s", np.ones((8, 3), F32), False)],
                ["scales (input 2) has shape [8,3]"], domain=ms, K=64, N=8, bits=4, block_size=32),
        refusal(outdir, "bad_nbits_float_zp", "MatMulNBits",
                [a, ("b", B, False), ("s", sc, False), ("z", np.ones((8, 2), F32), False)],
                ["zero points of type f32", "not supported"], domain=ms, K=64, N=8, bits=4, block_size=32),
        refusal(outdir, "bad_nbits_zp_size", "MatMulNBits",
                [a, ("b", B, False), ("s", sc, False), ("z", np.ones(9, np.uint8), False)],
                ["zero_points (input 3) has shape [9]"], domain=ms, K=64, N=8, bits=4, block_size=32),
        refusal(outdir, "bad_nbits_g_idx", "MatMulNBits",
                [a, ("b", B, False), ("s", sc, False), ("z", None, False),
                 ("g", np.full(64, 5, np.int32), False)],
                ["g_idx[0] = 5 is not a block index"], domain=ms, K=64, N=8, bits=4, block_size=32),
        refusal(outdir, "bad_dq_axis", "DequantizeLinear",
                [("x", codes(np.int8, 4, 3), True), ("s", np.ones(5, F32), False)],
                ["scale [5] is neither one value nor one per element of axis 0"], axis=0),
        refusal(outdir, "bad_q_output_dtype", "QuantizeLinear",
                [("x", r(4), True), ("s", np.array(0.1, F32), False)],
                ["is not supported"], opset=21, out_type=TP.UINT8, output_dtype=6),
        refusal(outdir, "bad_convint_wzp", "ConvInteger",
                [("x", codes(np.uint8, 1, 2, 9), True), ("w", codes(np.uint8, 4, 2, 3), False),
                 ("xz", np.array(0, np.uint8), False), ("wz", codes(np.uint8, 3), False)],
                ["w_zero_point has shape [3]"], out_type=TP.INT32),
    ]


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    man = {"models": models(outdir), "errors": errors(outdir)}
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
    print(f"{len(man['models'])} models and {len(man['errors'])} refusals written to {outdir}")


if __name__ == "__main__":
    main()
