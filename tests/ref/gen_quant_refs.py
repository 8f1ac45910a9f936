#!/usr/bin/env python3
"""References for tests/test_qlinear.c: voce's quantization scheme written independently
in numpy (docs/quantization.md), on kernel cases and on small ONNX models.

usage: gen_quant_refs.py OUTDIR

Writes into OUTDIR:
  k_<i>.x.npy, k_<i>.w.npy, k_<i>.b.npy   f32 X [M, K], W [N, K], bias [N]
  k_<i>.<mode>.y.npy                      f32 expected Y of QLinear in that mode
  kernel_cases.txt                        i M N K G
  <model>.onnx, <model>.x.npy             ONNX models and their input
  <model>.f32.npy                         the f32 model's output (numpy)
  <model>.<mode>_g<G>.npy                 the output with the quantized layers simulated
  model_cases.txt                         model mode G n_quantized n_f32

Models: mm3d (MatMul on [2, 7, 256] activations, bias, Relu, MatMul to N = 200),
gemm (Gemm transB=1 with alpha and beta*C, then a Gemm with K = 100, which no group
divides: stays f32), conv (Conv1d k = 3, pointwise Conv1d with bias, depthwise Conv1d,
which stays f32, then MatMul), conv2d (3x3, stride 2, bias), long (convolutions over
several column tiles),
tfm (two pre-LayerNorm MLP blocks of width 384 with SiLU and a 1000-way projection).
Weight-only modes are computed in float64 from the dequantized f32 weights; 8da modes
replicate the f32 roundings of the definition exactly. Fixed seeds. Exits 77 without
numpy or onnx.
"""
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    print("skip: numpy/onnx not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)

F32 = np.float32
MODES = ["w8", "w4", "8da8w", "8da4w"]


def quant_weights(W, G, bits):
    """Symmetric per-group codes q [N, K] (int64) and scales s [N, K/G] (f32)."""
    N, K = W.shape
    Q = F32(127 if bits == 8 else 7)
    Wg = W.reshape(N, K // G, G).astype(F32)
    s = (np.abs(Wg).max(axis=2) / Q).astype(F32)
    safe = np.where(s > 0, s, F32(1))
    r = np.where(s[..., None] > 0, np.rint(Wg / safe[..., None]), 0)
    q = np.clip(r, -Q, Q).astype(np.int64)
    return q.reshape(N, K), s


def quant_acts(X):
    """Rows of X [M, K] to u8 codes, scales and zero points (f32 arithmetic)."""
    lo = np.minimum(X.min(axis=1), F32(0)).astype(F32)
    hi = np.maximum(X.max(axis=1), F32(0)).astype(F32)
    xs = ((hi - lo) / F32(255)).astype(F32)
    xs = np.where((xs > 0) & np.isfinite(xs), xs, F32(1)).astype(F32)
    zp = np.clip(np.rint((-lo) / xs), 0, 255).astype(np.int64)
    xq = np.clip(np.rint(X / xs[:, None]) + zp[:, None], 0, 255).astype(np.int64)
    return xq, xs, zp


def qlinear(X, W, bias, mode, G):
    """Y = X W^T + bias with W quantized in mode; X [..., K]."""
    N, K = W.shape
    lead = X.shape[:-1]
    X2 = X.reshape(-1, K).astype(F32)
    q, s = quant_weights(W, G, 4 if "4" in mode else 8)
    if not mode.startswith("8da"):
        Wd = (q.astype(F32).reshape(N, K // G, G) * s[..., None]).astype(F32).reshape(N, K)
        y = (X2.astype(np.float64) @ Wd.T.astype(np.float64)).astype(F32)
        if bias is not None:
            y = (y + bias).astype(F32)
        return y.reshape(lead + (N,))
    xq, xs, zp = quant_acts(X2)
    ng = K // G
    a = np.einsum("mgk,ngk->mng", xq.reshape(-1, ng, G), q.reshape(N, ng, G))
    d = a - zp[:, None, None] * q.reshape(N, ng, G).sum(axis=2)[None]
    t = np.zeros((X2.shape[0], N), F32)
    for g in range(ng):
        t = (t + (s[None, :, g] * d[:, :, g].astype(F32)).astype(F32)).astype(F32)
    y = (xs[:, None] * t).astype(F32)
    if bias is not None:
        y = (y + bias).astype(F32)
    return y.reshape(lead + (N,))


def kernel_cases(out, rng):
    cases = [(1, 48, 64, 32), (3, 33, 96, 32), (17, 100, 128, 64), (5, 16, 256, 128), (2, 1000, 384, 32)]
    lines = []
    for i, (M, N, K, G) in enumerate(cases):
        X = rng.standard_normal((M, K)).astype(F32)
        X[0, : K // 3] = np.abs(X[0, : K // 3])  # one row skewed positive
        W = (rng.standard_normal((N, K)) * 0.1).astype(F32)
        W[0, :G] = 0  # an all-zero group: scale 0
        b = rng.standard_normal(N).astype(F32)
        np.save(os.path.join(out, "k_%d.x.npy" % i), X)
        np.save(os.path.join(out, "k_%d.w.npy" % i), W)
        np.save(os.path.join(out, "k_%d.b.npy" % i), b)
        for m in MODES:
            np.save(os.path.join(out, "k_%d.%s.y.npy" % (i, m)), qlinear(X, W, b, m, G))
        lines.append("%d %d %d %d %d" % (i, M, N, K, G))
    with open(os.path.join(out, "kernel_cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- models: each builder returns (onnx model, input, forward(x, lin)) where lin(name,
# x, W[N,K], bias) computes one linear layer and returns None to say "stays f32". ----

def init(name, a):
    return numpy_helper.from_array(np.ascontiguousarray(a), name)


def make_model(nodes, inits, x_shape, y_shape, name):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def relu(x):
    return np.maximum(x, F32(0)).astype(F32)


def model_mm3d(rng):
    W1 = (rng.standard_normal((256, 384)) * 0.06).astype(F32)
    b1 = (rng.standard_normal(384) * 0.1).astype(F32)
    W2 = (rng.standard_normal((384, 200)) * 0.05).astype(F32)
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h"], name="fc1"),
             helper.make_node("Add", ["h", "b1"], ["hb"], name="add1"),
             helper.make_node("Relu", ["hb"], ["r"], name="relu"),
             helper.make_node("MatMul", ["r", "W2"], ["y"], name="fc2")]
    m = make_model(nodes, [init("W1", W1), init("b1", b1), init("W2", W2)], [2, 7, 256], [2, 7, 200], "mm3d")
    x = rng.standard_normal((2, 7, 256)).astype(F32)

    def fwd(x, lin):
        h = (lin("fc1", x, W1.T, None) + b1).astype(F32)
        return lin("fc2", relu(h), W2.T, None)
    return m, x, fwd


def model_gemm(rng):
    B1 = (rng.standard_normal((100, 192)) * 0.07).astype(F32)
    C1 = rng.standard_normal(100).astype(F32)
    B2 = (rng.standard_normal((100, 80)) * 0.1).astype(F32)
    nodes = [helper.make_node("Gemm", ["x", "B1", "C1"], ["h"], name="g1", transB=1, alpha=0.5, beta=2.0),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Gemm", ["r", "B2"], ["y"], name="g2")]
    m = make_model(nodes, [init("B1", B1), init("C1", C1), init("B2", B2)], [5, 192], [5, 80], "gemm")
    x = rng.standard_normal((5, 192)).astype(F32)

    def fwd(x, lin):
        h = lin("g1", x, (F32(0.5) * B1).astype(F32), (F32(2.0) * C1).astype(F32))
        return lin("g2", relu(h), B2.T, None, quantizable=False)
    return m, x, fwd


def patch_rows(x, k, pad, stride):
    """Conv patches as rows: x [n, c, *sp] -> [n * positions, c * taps], the column of
    channel c under tap t at c * taps + t (taps row-major over the kernel dims)."""
    nsp = x.ndim - 2
    xp = np.pad(x, ((0, 0), (0, 0)) + ((pad, pad),) * nsp)
    out = [(xp.shape[2 + d] - k) // stride + 1 for d in range(nsp)]
    taps = []
    for t in np.ndindex(*([k] * nsp)):
        sl = tuple(slice(t[d], t[d] + stride * (out[d] - 1) + 1, stride) for d in range(nsp))
        taps.append(xp[(slice(None), slice(None)) + sl])
    p = np.stack(taps, axis=2)                          # n c taps *out
    p = p.reshape(p.shape[0], p.shape[1] * p.shape[2], -1)  # n (c taps) positions
    return np.ascontiguousarray(p.transpose(0, 2, 1).reshape(-1, p.shape[1])), out


def conv(lin, name, x, w, b, pad, stride=1, quantizable=True):
    """Conv (one group) as the linear layer of its patch rows, the way voce:QConv runs it."""
    rows, out = patch_rows(x, w.shape[2], pad, stride)
    y = lin(name, rows, w.reshape(w.shape[0], -1), b, quantizable=quantizable)
    return np.ascontiguousarray(y.reshape(x.shape[0], -1, w.shape[0]).transpose(0, 2, 1)).reshape(
        (x.shape[0], w.shape[0]) + tuple(out))


def model_conv(rng):
    Wc = (rng.standard_normal((64, 32, 3)) * 0.1).astype(F32)
    Wp = (rng.standard_normal((64, 64, 1)) * 0.1).astype(F32)
    bp = (rng.standard_normal(64) * 0.1).astype(F32)
    Wd = (rng.standard_normal((64, 1, 3)) * 0.3).astype(F32)
    W = (rng.standard_normal((64, 128)) * 0.1).astype(F32)
    nodes = [helper.make_node("Conv", ["x", "Wc"], ["c"], name="conv1d", pads=[1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Conv", ["r", "Wp", "bp"], ["pw"], name="pointwise"),
             helper.make_node("Conv", ["pw", "Wd"], ["dw"], name="depthwise", group=64, pads=[1, 1]),
             helper.make_node("Transpose", ["dw"], ["t"], name="tr", perm=[0, 2, 1]),
             helper.make_node("MatMul", ["t", "W"], ["y"], name="proj")]
    m = make_model(nodes, [init("Wc", Wc), init("Wp", Wp), init("bp", bp), init("Wd", Wd), init("W", W)],
                   [1, 32, 40], [1, 40, 128], "conv")
    x = rng.standard_normal((1, 32, 40)).astype(F32)

    def fwd(x, lin):
        r = relu(conv(lin, "conv1d", x, Wc, None, 1))
        pw = conv(lin, "pointwise", r, Wp, bp, 0)
        lin("depthwise", None, None, None, quantizable=False)
        pp = np.pad(pw, ((0, 0), (0, 0), (1, 1))).astype(np.float64)
        dw = sum(pp[:, :, i:i + 40] * Wd[None, :, 0, i, None].astype(np.float64) for i in range(3)).astype(F32)
        return lin("proj", np.ascontiguousarray(dw.transpose(0, 2, 1)), W.T, None)
    return m, x, fwd


def model_conv2d(rng):
    Wc = (rng.standard_normal((32, 32, 3, 3)) * 0.05).astype(F32)
    bc = (rng.standard_normal(32) * 0.1).astype(F32)
    nodes = [helper.make_node("Conv", ["x", "Wc", "bc"], ["y"], name="conv2d", pads=[1, 1, 1, 1], strides=[2, 2])]
    m = make_model(nodes, [init("Wc", Wc), init("bc", bc)], [1, 32, 12, 12], [1, 32, 6, 6], "conv2d")
    x = rng.standard_normal((1, 32, 12, 12)).astype(F32)

    def fwd(x, lin):
        return conv(lin, "conv2d", x, Wc, bc, 1, stride=2)
    return m, x, fwd


def model_long(rng):
    """Convolutions over more patches than one column tile holds (2^20 floats): a
    pointwise layer with K = 1056 (tiles of 992 positions) beside a 3-tap one with
    K = 3168 (tiles of 331), concatenated."""
    C, L = 1056, 1000
    Wp = (rng.standard_normal((32, C, 1)) / np.sqrt(C)).astype(F32)
    Wk = (rng.standard_normal((16, C, 3)) / np.sqrt(3 * C)).astype(F32)
    bk = (rng.standard_normal(16) * 0.1).astype(F32)
    nodes = [helper.make_node("Conv", ["x", "Wp"], ["a"], name="pw_long"),
             helper.make_node("Conv", ["x", "Wk", "bk"], ["b"], name="k3_long", pads=[1, 1]),
             helper.make_node("Concat", ["a", "b"], ["y"], name="cat", axis=1)]
    m = make_model(nodes, [init("Wp", Wp), init("Wk", Wk), init("bk", bk)], [1, C, L], [1, 48, L], "long")
    x = rng.standard_normal((1, C, L)).astype(F32)

    def fwd(x, lin):
        return np.concatenate([conv(lin, "pw_long", x, Wp, None, 0), conv(lin, "k3_long", x, Wk, bk, 1)], axis=1)
    return m, x, fwd


def layer_norm(x, g, b):
    x64 = x.astype(np.float64)
    mu = x64.mean(-1, keepdims=True)
    var = ((x64 - mu) ** 2).mean(-1, keepdims=True)
    return ((x64 - mu) / np.sqrt(var + 1e-5) * g + b).astype(F32)


def silu(x):
    x64 = x.astype(np.float64)
    return (x64 / (1 + np.exp(-x64))).astype(F32)


def model_tfm(rng):
    D, H, V, T = 384, 1536, 1000, 50
    nodes, inits, ws = [], [], []
    h = "x"
    for l in range(2):
        p = "l%d." % l
        g, b = (1 + 0.1 * rng.standard_normal(D)).astype(F32), (0.1 * rng.standard_normal(D)).astype(F32)
        W1 = (rng.standard_normal((D, H)) / np.sqrt(D)).astype(F32)
        b1 = (0.1 * rng.standard_normal(H)).astype(F32)
        W2 = (rng.standard_normal((H, D)) / np.sqrt(H)).astype(F32)
        b2 = (0.1 * rng.standard_normal(D)).astype(F32)
        ws.append((g, b, W1, b1, W2, b2))
        inits += [init(p + "g", g), init(p + "b", b), init(p + "W1", W1), init(p + "b1", b1),
                  init(p + "W2", W2), init(p + "b2", b2)]
        nodes += [helper.make_node("LayerNormalization", [h, p + "g", p + "b"], [p + "ln"], name=p + "ln",
                                   axis=-1, epsilon=1e-5),
                  helper.make_node("MatMul", [p + "ln", p + "W1"], [p + "u"], name=p + "fc1"),
                  helper.make_node("Add", [p + "u", p + "b1"], [p + "ub"], name=p + "add1"),
                  helper.make_node("Sigmoid", [p + "ub"], [p + "sg"], name=p + "sig"),
                  helper.make_node("Mul", [p + "ub", p + "sg"], [p + "act"], name=p + "silu"),
                  helper.make_node("MatMul", [p + "act", p + "W2"], [p + "v"], name=p + "fc2"),
                  helper.make_node("Add", [p + "v", p + "b2"], [p + "vb"], name=p + "add2"),
                  helper.make_node("Add", [h, p + "vb"], [p + "out"], name=p + "res")]
        h = p + "out"
    Wv = (rng.standard_normal((D, V)) / np.sqrt(D)).astype(F32)
    inits.append(init("Wv", Wv))
    nodes.append(helper.make_node("MatMul", [h, "Wv"], ["y"], name="vocab"))
    m = make_model(nodes, inits, [1, T, D], [1, T, V], "tfm")
    x = rng.standard_normal((1, T, D)).astype(F32)

    def fwd(x, lin):
        h = x
        for l, (g, b, W1, b1, W2, b2) in enumerate(ws):
            p = "l%d." % l
            u = (lin(p + "fc1", layer_norm(h, g, b), W1.T, None) + b1).astype(F32)
            v = (lin(p + "fc2", silu(u), W2.T, None) + b2).astype(F32)
            h = (h + v).astype(F32)
        return lin("vocab", h, Wv.T, None)
    return m, x, fwd


def f32_linear(x, W, bias):
    y = (x.astype(np.float64) @ np.ascontiguousarray(W).T.astype(np.float64)).astype(F32)
    return y if bias is None else (y + bias).astype(F32)


def run_model(fwd, x, mode, G):
    """Output and (quantized, kept) counts; mode None = f32."""
    count = [0, 0]

    def lin(name, xin, W, bias, quantizable=True):
        ok = mode and quantizable and W.shape[1] % G == 0 and W.size >= 4096
        if W is None or not ok:
            count[1] += 1
            return None if W is None else f32_linear(xin, W, bias)
        count[0] += 1
        return qlinear(xin, np.ascontiguousarray(W), bias, mode, G)
    y = fwd(x, lin)
    return y, count


def model_cases(out, rng):
    lines = []
    for name, build in [("mm3d", model_mm3d), ("gemm", model_gemm), ("conv", model_conv),
                        ("conv2d", model_conv2d), ("long", model_long), ("tfm", model_tfm)]:
        m, x, fwd = build(rng)
        onnx.save(m, os.path.join(out, name + ".onnx"))
        np.save(os.path.join(out, name + ".x.npy"), x)
        np.save(os.path.join(out, name + ".f32.npy"), run_model(fwd, x, None, 32)[0])
        for mode in MODES:
            for G in (32, 64, 128):
                y, (nq, nk) = run_model(fwd, x, mode, G)
                np.save(os.path.join(out, "%s.%s_g%d.npy" % (name, mode, G)), y)
                lines.append("%s %s %d %d %d" % (name, mode, G, nq, nk))
    with open(os.path.join(out, "model_cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1234)
    kernel_cases(out, rng)
    model_cases(out, rng)


if __name__ == "__main__":
    main()
