"""Whole-graph cases for the compiler's linear-layer pass (src/compiler/linear.c): MatMul
and Gemm with constant weights become voce:Linear, a following Add of a constant vector
becomes its bias. Expected outputs from numpy in float64; the graphs also cover what must
not be fused (a MatMul read twice, an Add of a graph input, a bias that broadcasts
over more than the last dim). test_cli.sh checks which graphs the pass rewrote."""
import numpy as np
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

from opcase import Case

F = TP.FLOAT
rng = np.random.default_rng(99)


def r(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def model(nodes, inputs, outputs, inits):
    g = h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def vi(name, shape):
    return h.make_tensor_value_info(name, F, shape)


def f64(x):
    return x.astype(np.float64)


def matmul_case(name, x, w, bias=None, bias_first=False, atol=1e-5):
    nodes = [h.make_node("MatMul", ["x", "w"], ["mm" if bias is not None else "y"])]
    inits = [nh.from_array(w, "w")]
    want = f64(x) @ f64(w)
    if bias is not None:
        ins = ["b", "mm"] if bias_first else ["mm", "b"]
        nodes.append(h.make_node("Add", ins, ["y"]))
        inits.append(nh.from_array(bias, "b"))
        want = want + f64(bias)
    m = model(nodes, [vi("x", list(x.shape))], [vi("y", list(want.shape))], inits)
    return Case(name, "@graph", [x], [want.astype(np.float32)], model=m, atol=atol, rtol=1e-4)


def gemm_case(name, a, b, c=None, trans_b=0, alpha=1.0, beta=1.0):
    attrs = {"transB": trans_b, "alpha": alpha, "beta": beta}
    ins = ["a", "b"] + (["c"] if c is not None else [])
    inits = [nh.from_array(b, "b")] + ([nh.from_array(c, "c")] if c is not None else [])
    want = alpha * (f64(a) @ (f64(b).T if trans_b else f64(b)))
    if c is not None:
        want = want + beta * f64(c)
    m = model([h.make_node("Gemm", ins, ["y"], **attrs)], [vi("a", list(a.shape))],
              [vi("y", list(want.shape))], inits)
    return Case(name, "@graph", [a], [want.astype(np.float32)], model=m, atol=1e-5, rtol=1e-4)


def shared_output_case():
    """MatMul read by an Add and also a graph output: the Add must stay."""
    x, w, b = r(3, 20), r(20, 7), r(7)
    m = model([h.make_node("MatMul", ["x", "w"], ["mm"]), h.make_node("Add", ["mm", "b"], ["y"])],
              [vi("x", [3, 20])], [vi("y", [3, 7]), vi("mm", [3, 7])],
              [nh.from_array(w, "w"), nh.from_array(b, "b")])
    mm = f64(x) @ f64(w)
    return Case("linear_shared_output", "@graph", [x], [(mm + f64(b)).astype(np.float32),
                                                         mm.astype(np.float32)], model=m)


def input_bias_case():
    """Add of a graph input: not a bias."""
    x, w, b = r(2, 4, 16), r(16, 9), r(9)
    m = model([h.make_node("MatMul", ["x", "w"], ["mm"]), h.make_node("Add", ["mm", "b"], ["y"])],
              [vi("x", [2, 4, 16]), vi("b", [9])], [vi("y", [2, 4, 9])], [nh.from_array(w, "w")])
    want = f64(x) @ f64(w) + f64(b)
    return Case("linear_input_bias", "@graph", [x, b], [want.astype(np.float32)], model=m)


def cases():
    return [
        matmul_case("linear_matmul_3d", r(2, 5, 33), r(33, 17)),
        matmul_case("linear_matmul_bias", r(2, 5, 33), r(33, 17), r(17)),
        matmul_case("linear_matmul_bias_first", r(4, 33), r(33, 17), r(17), bias_first=True),
        matmul_case("linear_matmul_bias_rank3", r(2, 5, 33), r(33, 17), r(1, 1, 17)),
        matmul_case("linear_matmul_bias_rows", r(5, 33), r(33, 17), r(5, 1) + 0 * r(5, 17)),
        matmul_case("linear_matmul_vector", r(33), r(33, 17), r(17)),
        matmul_case("linear_decode_step", r(1, 1, 384), r(384, 1536), r(1536), atol=1e-4),
        matmul_case("linear_encoder", r(1, 300, 256), r(256, 1024), r(1024), atol=1e-4),
        gemm_case("linear_gemm_transb", r(6, 40), r(30, 40), r(30), trans_b=1, alpha=0.5,
                  beta=2.0),
        # weights stored [N, K] already: used as they are, no copy
        gemm_case("linear_gemm_transb_as_is", r(6, 40), r(30, 40), r(30), trans_b=1),
        gemm_case("linear_gemm_scalar_c", r(6, 40), r(40, 30), r(1), alpha=1.5, beta=-1.0),
        gemm_case("linear_gemm_no_c", r(1, 40), r(40, 30)),
        gemm_case("linear_gemm_matrix_c", r(6, 40), r(40, 30), r(6, 30)),
        shared_output_case(),
        input_bias_case(),
    ] + act_cases()


# ---- activations (src/compiler/act.c): the erf GELU written out becomes Gelu, and
# Relu / Gelu / SiLU after a linear layer fold into it. Expected values from torch in
# float64; test_compiler.c checks which nodes each graph compiles to.

def _gelu64(x):
    import torch
    return torch.nn.functional.gelu(torch.from_numpy(f64(x))).numpy()


def _erf_gelu_nodes(x, y, form):
    """GELU of value x into y, spelled out as exporters do."""
    c = lambda name, v: h.make_node("Constant", [], [name], value=nh.from_array(np.array(v, np.float32), name + "_t"))
    if form == "torch":     # Mul(Mul(x, Add(Erf(Div(x, sqrt2)), 1)), 0.5)
        return [c("s2", np.sqrt(2.0)), c("one", 1.0), c("half", 0.5),
                h.make_node("Div", [x, "s2"], ["d"]), h.make_node("Erf", ["d"], ["e"]),
                h.make_node("Add", ["e", "one"], ["a"]), h.make_node("Mul", [x, "a"], ["m1"]),
                h.make_node("Mul", ["m1", "half"], [y])]
    # Mul(Mul(x, 0.5), Add(1, Erf(Mul(x, 1/sqrt2))))
    return [c("rs2", np.sqrt(0.5)), c("one", 1.0), c("half", 0.5),
            h.make_node("Mul", ["rs2", x], ["d"]), h.make_node("Erf", ["d"], ["e"]),
            h.make_node("Add", ["one", "e"], ["a"]), h.make_node("Mul", [x, "half"], ["m1"]),
            h.make_node("Mul", ["a", "m1"], [y])]


def act_cases():
    out = []
    x, w, b = r(6, 40), r(40, 70), r(70)
    lin = f64(x) @ f64(w) + f64(b)
    mm = [h.make_node("MatMul", ["x", "w"], ["mm"]), h.make_node("Add", ["mm", "b"], ["z"])]
    inits = [nh.from_array(w, "w"), nh.from_array(b, "b")]
    for form in ("torch", "hf"):
        m = model(mm + _erf_gelu_nodes("z", "y", form), [vi("x", [6, 40])], [vi("y", [6, 70])], inits)
        out.append(Case(f"act_linear_gelu_{form}", "@graph", [x], [_gelu64(lin).astype(np.float32)],
                        model=m, atol=1e-5, rtol=1e-4))
    m = model(mm + [h.make_node("Relu", ["z"], ["y"])], [vi("x", [6, 40])], [vi("y", [6, 70])], inits)
    out.append(Case("act_linear_relu", "@graph", [x], [np.maximum(lin, 0).astype(np.float32)], model=m,
                    atol=1e-5, rtol=1e-4))
    m = model(mm + [h.make_node("Sigmoid", ["z"], ["s"]), h.make_node("Mul", ["s", "z"], ["y"])],
              [vi("x", [6, 40])], [vi("y", [6, 70])], inits)
    silu = lin / (1 + np.exp(-lin))
    out.append(Case("act_linear_silu", "@graph", [x], [silu.astype(np.float32)], model=m, atol=1e-5,
                    rtol=1e-4))
    # a wide layer: the packed path (more than 4 rows) applies the activation per tile
    xw, ww = r(3, 50, 64), r(64, 1100)
    m = model([h.make_node("MatMul", ["x", "w"], ["z"])] + _erf_gelu_nodes("z", "y", "torch"),
              [vi("x", [3, 50, 64])], [vi("y", [3, 50, 1100])], [nh.from_array(ww, "w")])
    out.append(Case("act_linear_gelu_wide", "@graph", [xw], [_gelu64(f64(xw) @ f64(ww)).astype(np.float32)],
                    model=m, atol=1e-4, rtol=1e-4))
    # GELU of an input: becomes Gelu, no layer to fold into
    xi = r(5, 33) * 4
    m = model(_erf_gelu_nodes("x", "y", "torch"), [vi("x", [5, 33])], [vi("y", [5, 33])], [])
    out.append(Case("act_gelu_input", "@graph", [xi], [_gelu64(xi).astype(np.float32)], model=m,
                    atol=1e-6, rtol=1e-5))
    # the layer's output is also a graph output: the activation must stay a node
    m = model(mm + [h.make_node("Relu", ["z"], ["y"])], [vi("x", [6, 40])],
              [vi("y", [6, 70]), vi("z", [6, 70])], inits)
    out.append(Case("act_linear_shared", "@graph", [x], [np.maximum(lin, 0).astype(np.float32),
                                                         lin.astype(np.float32)], model=m,
                    atol=1e-5, rtol=1e-4))
    # an erf GELU whose inner Erf is read elsewhere: left as it is
    m = model(_erf_gelu_nodes("x", "y", "torch"), [vi("x", [5, 33])], [vi("y", [5, 33]), vi("e", [5, 33])], [])
    import torch
    e = torch.erf(torch.from_numpy(f64(xi)) / np.sqrt(2.0)).numpy()
    out.append(Case("act_gelu_shared", "@graph", [xi], [_gelu64(xi).astype(np.float32), e.astype(np.float32)],
                    model=m, atol=1e-6, rtol=1e-5))
    # NeMo's feed-forward as exported with a dynamic time axis: Add(bias, MatMul) on a
    # tensor of unknown rank, then SiLU; bias and activation both fold into the layer
    xd = r(2, 7, 40)
    lind = f64(xd) @ f64(w) + f64(b)
    m = model([h.make_node("MatMul", ["x", "w"], ["mm"]), h.make_node("Add", ["b", "mm"], ["z"]),
               h.make_node("Sigmoid", ["z"], ["s"]), h.make_node("Mul", ["z", "s"], ["y"])],
              [vi("x", ["N", "T", 40])], [vi("y", ["N", "T", 70])], inits)
    out.append(Case("act_linear_silu_dynamic", "@graph", [xd], [(lind / (1 + np.exp(-lind))).astype(np.float32)],
                    model=m, atol=1e-5, rtol=1e-4))
    return out
