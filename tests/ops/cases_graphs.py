"""Whole-graph cases for the end-to-end test: control flow at run time (If, nested If,
Loop with trip count, condition and scan outputs), outer-scope capture, dynamic shapes,
shape arithmetic that folds, views feeding outputs. Expected outputs computed with
numpy. Also writes models that must fail to compile (error_*.onnx) for test_compiler.c."""
import os

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

from opcase import Case

F = TP.FLOAT
rng = np.random.default_rng(7)


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, t, shape):
    return h.make_tensor_value_info(name, t, shape)


def if_model():
    # then: x + c1 (c1 captured from the outer graph); else: x * c2
    c1 = nh.from_array(np.array([1, 2, 3], np.float32), "c1")
    c2 = nh.from_array(np.array([10, 20, 30], np.float32), "c2")
    then_g = h.make_graph([h.make_node("Add", ["x", "c1"], ["t"])], "then", [], [vi("t", F, [3])])
    else_g = h.make_graph([h.make_node("Mul", ["x", "c2"], ["e"])], "else", [], [vi("e", F, [3])])
    n = h.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)
    return model([n], [vi("cond", TP.BOOL, []), vi("x", F, [3])], [vi("y", F, [3])], [c1, c2])


def nested_if_model():
    inner_then = h.make_graph([h.make_node("Neg", ["x"], ["a"])], "it", [], [vi("a", F, [2])])
    inner_else = h.make_graph([h.make_node("Abs", ["x"], ["b"])], "ie", [], [vi("b", F, [2])])
    inner = h.make_node("If", ["c2"], ["r"], then_branch=inner_then, else_branch=inner_else)
    outer_then = h.make_graph([inner], "ot", [], [vi("r", F, [2])])
    outer_else = h.make_graph([h.make_node("Identity", ["x"], ["s"])], "oe", [], [vi("s", F, [2])])
    n = h.make_node("If", ["c1"], ["y"], then_branch=outer_then, else_branch=outer_else)
    return model([n], [vi("c1", TP.BOOL, []), vi("c2", TP.BOOL, []), vi("x", F, [2])], [vi("y", F, [2])])


def loop_model():
    # for i in range(M) while cond: acc = acc + x * i ; scan out: acc
    body = h.make_graph(
        [h.make_node("Cast", ["i"], ["fi"], to=F),
         h.make_node("Mul", ["x", "fi"], ["xi"]),
         h.make_node("Add", ["acc_in", "xi"], ["acc_out"]),
         h.make_node("Identity", ["cond_in"], ["cond_out"]),
         h.make_node("Identity", ["acc_out"], ["scan"])],
        "body",
        [vi("i", TP.INT64, []), vi("cond_in", TP.BOOL, []), vi("acc_in", F, [4])],
        [vi("cond_out", TP.BOOL, []), vi("acc_out", F, [4]), vi("scan", F, [4])])
    n = h.make_node("Loop", ["M", "cond", "acc0"], ["acc", "scans"], body=body)
    return model([n], [vi("M", TP.INT64, []), vi("cond", TP.BOOL, []), vi("acc0", F, [4]), vi("x", F, [4])],
                 [vi("acc", F, [4]), vi("scans", F, [None, 4])])


def loop_while_model():
    # no trip count: double v while sum(v) < limit
    body = h.make_graph(
        [h.make_node("Add", ["v_in", "v_in"], ["v_out"]),
         h.make_node("ReduceSum", ["v_out"], ["s"], keepdims=0),
         h.make_node("Less", ["s", "limit"], ["cond_out"])],
        "body",
        [vi("i", TP.INT64, []), vi("cond_in", TP.BOOL, []), vi("v_in", F, [2])],
        [vi("cond_out", TP.BOOL, []), vi("v_out", F, [2])])
    n = h.make_node("Loop", ["", "", "v0"], ["v"], body=body)
    return model([n], [vi("v0", F, [2]), vi("limit", F, [])], [vi("v", F, [2])])


def loop_swap_model():
    # (a, b) -> (b, a + b): the body passes a carried input straight to another carried
    # output, so the next iteration reads buffers of the previous one while they change
    body = h.make_graph(
        [h.make_node("Identity", ["b_in"], ["a_out"]),
         h.make_node("Add", ["a_in", "b_in"], ["b_out"]),
         h.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [vi("i", TP.INT64, []), vi("cond_in", TP.BOOL, []), vi("a_in", F, [3]), vi("b_in", F, [3])],
        [vi("cond_out", TP.BOOL, []), vi("a_out", F, [3]), vi("b_out", F, [3])])
    n = h.make_node("Loop", ["M", "", "a0", "b0"], ["a", "b"], body=body)
    return model([n], [vi("M", TP.INT64, []), vi("a0", F, [3]), vi("b0", F, [3])], [vi("a", F, [3]), vi("b", F, [3])])


def dynamic_model():
    # y = Relu(x @ W + b) reshaped to [batch, -1] via Shape arithmetic; batch is free
    W = nh.from_array(rng.standard_normal((6, 5)).astype(np.float32), "W")
    b = nh.from_array(rng.standard_normal((5,)).astype(np.float32), "b")
    zero = nh.from_array(np.array([0], np.int64), "zero")
    minus1 = nh.from_array(np.array([-1], np.int64), "minus1")
    nodes = [
        h.make_node("MatMul", ["x", "W"], ["xw"]),
        h.make_node("Add", ["xw", "b"], ["xb"]),
        h.make_node("Relu", ["xb"], ["r"]),
        h.make_node("Shape", ["x"], ["sh"]),
        h.make_node("Gather", ["sh", "zero"], ["n"], axis=0),
        h.make_node("Concat", ["n", "minus1"], ["newshape"], axis=0),
        h.make_node("Reshape", ["r", "newshape"], ["y"]),
    ]
    return model(nodes, [vi("x", F, ["batch", 3, 6])], [vi("y", F, ["batch", 15])], [W, b, zero, minus1])


def view_model():
    # outputs that are views: of an input, of a constant and of an intermediate
    k = nh.from_array(np.arange(6, dtype=np.float32), "k")
    shp = nh.from_array(np.array([2, 3], np.int64), "shp")
    nodes = [
        h.make_node("Identity", ["x"], ["y0"]),
        h.make_node("Reshape", ["k", "shp"], ["y1"]),
        h.make_node("Add", ["x", "x"], ["t"]),
        h.make_node("Reshape", ["t", "shp"], ["t2"]),
        h.make_node("Flatten", ["t2"], ["y2"], axis=0),
    ]
    return model(nodes, [vi("x", F, [6])], [vi("y0", F, [6]), vi("y1", F, [2, 3]), vi("y2", F, [1, 6])], [k, shp])


def cases():
    out = []
    x3 = np.array([1.5, -2, 4], np.float32)
    for cond in (True, False):
        want = x3 + np.array([1, 2, 3], np.float32) if cond else x3 * np.array([10, 20, 30], np.float32)
        out.append(Case(f"graph_if_{str(cond).lower()}", "@graph", [np.array(cond), x3], [want], model=if_model()))
    x2 = np.array([-1.5, 2.5], np.float32)
    for c1 in (True, False):
        for c2 in (True, False):
            want = (-x2 if c2 else np.abs(x2)) if c1 else x2
            out.append(Case(f"graph_nested_if_{int(c1)}{int(c2)}", "@graph", [np.array(c1), np.array(c2), x2], [want],
                            model=nested_if_model()))
    x4 = np.array([1, -2, 0.5, 3], np.float32)
    acc0 = np.array([0.25, 0, 1, -1], np.float32)
    for trips, cond in ((5, True), (0, True), (3, False)):
        acc, scans = acc0.copy(), []
        for i in range(trips if cond else 0):
            acc = acc + x4 * i
            scans.append(acc.copy())
        scans = np.array(scans, np.float32).reshape(-1, 4) if scans else np.zeros((0,), np.float32)
        out.append(Case(f"graph_loop_{trips}_{int(cond)}", "@graph",
                        [np.array(trips, np.int64), np.array(cond), acc0, x4], [acc, scans], model=loop_model()))
    v, limit = np.array([0.5, 0.25], np.float32), np.float32(20)
    while True:
        v = v + v
        if not v.sum() < limit:
            break
    out.append(Case("graph_loop_while", "@graph", [np.array([0.5, 0.25], np.float32), np.array(limit)], [v],
                    model=loop_while_model()))
    a, b = np.array([0, 1, 2], np.float32), np.array([1, 1, -1], np.float32)
    a0, b0 = a.copy(), b.copy()
    for _ in range(7):
        a, b = b, a + b
    out.append(Case("graph_loop_swap", "@graph", [np.array(7, np.int64), a0, b0], [a, b], model=loop_swap_model()))
    dm = dynamic_model()
    W = nh.to_array(dm.graph.initializer[0])
    b = nh.to_array(dm.graph.initializer[1])
    for batch in (1, 4, 2):
        x = rng.standard_normal((batch, 3, 6)).astype(np.float32)
        want = np.maximum(x @ W + b, 0).reshape(batch, -1)
        out.append(Case(f"graph_dynamic_b{batch}", "@graph", [x], [want], model=dm))
    x6 = np.arange(6, dtype=np.float32) - 2
    out.append(Case("graph_views", "@graph", [x6],
                    [x6, np.arange(6, dtype=np.float32).reshape(2, 3), (x6 + x6).reshape(1, 6)], model=view_model()))
    return out


def write_error_models(outdir):
    """Models the compiler must refuse, each with the reason in its name."""
    os.makedirs(outdir, exist_ok=True)
    x = vi("x", F, [2])
    m = model([h.make_node("NoSuchOp", ["x"], ["y"], name="strange_node")], [x], [vi("y", F, [2])])
    onnx.save(m, os.path.join(outdir, "error_unknown_op.onnx"))
    m = model([h.make_node("QOrderedMatMul", ["x"], ["y"], name="ms_node", domain="com.microsoft")], [x],
              [vi("y", F, [2])])
    m.opset_import.append(h.make_opsetid("com.microsoft", 1))
    onnx.save(m, os.path.join(outdir, "error_foreign_domain.onnx"))
    m = model([h.make_node("Relu", ["x"], ["y"])], [vi("x", TP.STRING, [2])], [vi("y", F, [2])])
    onnx.save(m, os.path.join(outdir, "error_string_input.onnx"))
