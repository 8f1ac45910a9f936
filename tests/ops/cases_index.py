"""Cases for the indexing ops of src/kernels/ref/index.c: Gather, GatherElements,
GatherND, ScatterND, ScatterElements, Range, Trilu, NonZero, OneHot.

Expected outputs come from numpy (np.take, np.take_along_axis, fancy indexing,
np.add.at / np.multiply.at / np.maximum.at / np.minimum.at, np.arange, np.nonzero) and
torch (triu / tril), or from plain Python loops written from the ONNX definitions."""
import itertools

import numpy as np
import torch

from opcase import Case


def data(shape, dtype, seed=0):
    r = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return r.integers(0, 2, size=shape).astype(np.bool_)
    if dtype.kind == "f":
        return r.standard_normal(size=shape).astype(dtype)
    if dtype.kind == "u":
        return r.integers(0, 250, size=shape).astype(dtype)
    return r.integers(-1000, 1000, size=shape).astype(dtype)


def idx(shape, lo, hi, seed=0, dtype=np.int64):
    return np.random.default_rng(100 + seed).integers(lo, hi, size=shape).astype(dtype)


def exact(name, op, inputs, outputs, attrs=None, opset=17):
    return Case(name, op, inputs, outputs, attrs, atol=0.0, rtol=0.0, opset=opset)


def gather_cases():
    out = []
    x = data((5, 4), np.float32)
    i = np.array([0, -1, 3, -5, 2], np.int64)
    out.append(exact("gather_axis0_neg", "Gather", [x, i], [np.take(x, i, axis=0)]))
    y = data((3, 6, 2), np.int64, 1)
    j = idx((2, 3), -6, 6, 1, np.int32)
    out.append(exact("gather_axis1_i32_2d", "Gather", [y, j], [np.take(y, j, axis=1)], {"axis": 1}))
    out.append(exact("gather_axis_neg", "Gather", [y, idx((4,), -2, 2, 2)], [np.take(y, idx((4,), -2, 2, 2), axis=-1)],
                     {"axis": -1}))
    out.append(exact("gather_scalar_index", "Gather", [y, np.array(-2, np.int64)],
                     [np.take(y, -2, axis=0)]))
    out.append(exact("gather_empty_indices", "Gather", [x, np.zeros((0,), np.int64)],
                     [np.take(x, np.zeros((0,), np.int64), axis=0)]))
    out.append(exact("gather_empty_outer", "Gather", [np.zeros((0, 3), np.float32), np.array([2, 0], np.int64)],
                     [np.zeros((0, 2), np.float32)], {"axis": 1}))
    b = data((4, 3), np.bool_, 3)
    out.append(exact("gather_bool", "Gather", [b, np.array([[3, 0], [1, 1]], np.int64)],
                     [np.take(b, [[3, 0], [1, 1]], axis=0)]))
    h = data((2, 3, 4), np.float16, 4)
    out.append(exact("gather_f16_last", "Gather", [h, np.array([3, 0, 3], np.int32)],
                     [np.take(h, [3, 0, 3], axis=2)], {"axis": 2}))
    u = data((2, 1, 3, 2, 2), np.uint8, 5)
    k = idx((2, 2), 0, 3, 5)
    out.append(exact("gather_u8_rank6_out", "Gather", [u, k], [np.take(u, k, axis=2)], {"axis": 2}))
    emb = data((50, 16), np.float32, 6)
    t = idx((2, 7), 0, 50, 6)
    out.append(exact("gather_embedding", "Gather", [emb, t], [np.take(emb, t, axis=0)]))
    return out


def gather_elements_cases():
    out = []
    x = data((3, 4), np.float32)
    i = idx((2, 4), -3, 3, 0)
    out.append(exact("gatherelements_axis0", "GatherElements", [x, i],
                     [np.take_along_axis(x, np.where(i < 0, i + 3, i), 0)]))
    j = idx((3, 5), -4, 4, 1, np.int32)
    out.append(exact("gatherelements_axis1_i32", "GatherElements", [x, j],
                     [np.take_along_axis(x, np.where(j < 0, j + 4, j), 1)], {"axis": 1}))
    # indices smaller than data on the other axes: only their own positions are read
    y = data((4, 5, 3), np.int64, 2)
    k = idx((2, 3, 6), 0, 3, 2)
    want = np.take_along_axis(y[:2, :3, :], k, 2)
    out.append(exact("gatherelements_small_idx", "GatherElements", [y, k], [want], {"axis": -1}))
    h = data((2, 3, 4), np.float16, 3)
    m = idx((2, 2, 4), 0, 3, 3)
    out.append(exact("gatherelements_f16_mid", "GatherElements", [h, m],
                     [np.take_along_axis(h[:, :, :], m, 1)], {"axis": 1}))
    b = data((5,), np.bool_, 4)
    out.append(exact("gatherelements_bool_1d", "GatherElements", [b, np.array([4, 0, -1, 2, 2, 2], np.int64)],
                     [b[[4, 0, 4, 2, 2, 2]]]))
    out.append(exact("gatherelements_empty", "GatherElements", [x, np.zeros((0, 4), np.int64)],
                     [np.zeros((0, 4), np.float32)]))
    return out


def gather_nd_ref(x, ind, b):
    """GatherND written from the ONNX definition."""
    bshape = ind.shape[:b]
    k = ind.shape[-1]
    outs = []
    for bi in itertools.product(*[range(s) for s in bshape]):
        xb, ib = x[bi], ind[bi]
        flat = ib.reshape(-1, k)
        outs.append(np.stack([xb[tuple(t)] for t in flat]).reshape(ib.shape[:-1] + xb.shape[k:]))
    return np.stack(outs).reshape(ind.shape[:-1] + x.shape[b + k:]) if bshape else outs[0]


def gather_nd_cases():
    out = []
    x = np.array([[0, 1], [2, 3]], np.int32)
    out.append(exact("gathernd_elements", "GatherND", [x, np.array([[0, 0], [1, 1]], np.int64)],
                     [np.array([0, 3], np.int32)]))
    out.append(exact("gathernd_rows", "GatherND", [x, np.array([[1], [0]], np.int64)], [x[[1, 0]]]))
    y = data((2, 3, 4), np.float32, 1)
    i = np.array([[[1, -1], [0, 2]], [[-2, 0], [1, 1]]], np.int64)
    out.append(exact("gathernd_neg_slices", "GatherND", [y, i], [gather_nd_ref(y, i, 0)]))
    j = np.array([[[1], [0]], [[2], [-3]]], np.int64)
    out.append(exact("gathernd_batch1", "GatherND", [y, j], [gather_nd_ref(y, np.where(j < 0, j + 3, j), 1)],
                     {"batch_dims": 1}))
    h = data((2, 3, 2, 3), np.float16, 2)
    k = np.stack([idx((2, 3, 4), 0, 2, 2), idx((2, 3, 4), 0, 3, 3)], -1)
    out.append(exact("gathernd_f16_batch2", "GatherND", [h, k], [gather_nd_ref(h, k, 2)], {"batch_dims": 2}))
    b = data((3, 2), np.bool_, 3)
    out.append(exact("gathernd_bool_scalar_idx", "GatherND", [b, np.array([2, 1], np.int64)], [b[2, 1]]))
    return out


def scatter_nd_ref(x, ind, upd, red):
    y = x.copy()
    k = ind.shape[-1]
    flat_i = ind.reshape(-1, k)
    flat_u = upd.reshape((-1,) + x.shape[k:])
    for t, u in zip(flat_i, flat_u):
        key = tuple(int(v) for v in t)
        if red == "none":
            y[key] = u
        elif red == "add":
            y[key] = y[key] + u
        elif red == "mul":
            y[key] = y[key] * u
        elif red == "max":
            y[key] = np.maximum(y[key], u)
        else:
            y[key] = np.minimum(y[key], u)
    return y


def scatter_nd_cases():
    out = []
    x = data((8,), np.float32)
    i = np.array([[4], [3], [1], [7]], np.int64)
    u = np.array([9, 10, 11, 12], np.float32)
    out.append(exact("scatternd_1d", "ScatterND", [x, i, u], [scatter_nd_ref(x, i, u, "none")]))
    y = data((4, 4, 4), np.float32, 1)
    j = np.array([[0], [2]], np.int64)
    v = data((2, 4, 4), np.float32, 2)
    out.append(exact("scatternd_slices", "ScatterND", [y, j, v], [scatter_nd_ref(y, j, v, "none")]))
    jn = np.array([[-4], [-2]], np.int64)
    out.append(exact("scatternd_neg_index", "ScatterND", [y, jn, v], [scatter_nd_ref(y, j, v, "none")]))
    k = np.array([[0, 0], [0, 0], [3, 1]], np.int64)  # duplicate: reductions accumulate
    w = data((3, 4), np.float32, 3)
    for red, opset in (("add", 16), ("mul", 16), ("max", 18), ("min", 18)):
        out.append(Case(f"scatternd_{red}", "ScatterND", [y, k, w], [scatter_nd_ref(y, k, w, red)],
                        {"reduction": red}, atol=1e-6, rtol=1e-6, opset=opset))
    z = data((3, 4), np.int64, 4)
    e = np.array([[2, 3], [0, -1], [1, 0]], np.int64)
    ez = np.where(e < 0, e + 4, e)
    out.append(exact("scatternd_i64_elems_add", "ScatterND", [z, e, np.array([5, -6, 7], np.int64)],
                     [scatter_nd_ref(z, ez, np.array([5, -6, 7], np.int64), "add")], {"reduction": "add"}, 16))
    # numpy's float16 arithmetic rounds after each operation, as the kernel does
    h, hu, hi = data((2, 3), np.float16, 5), data((2, 3), np.float16, 6), np.array([[1], [1]], np.int64)
    out.append(Case("scatternd_f16_add", "ScatterND", [h, hi, hu], [scatter_nd_ref(h, hi, hu, "add")],
                    {"reduction": "add"}, atol=1e-3, rtol=1e-3, opset=16))
    b = data((2, 2), np.bool_, 7)
    out.append(exact("scatternd_bool", "ScatterND", [b, np.array([[1, 0]], np.int64), np.array([True])],
                     [scatter_nd_ref(b, np.array([[1, 0]]), np.array([True]), "none")]))
    u8 = data((3, 2), np.uint8, 8)
    out.append(exact("scatternd_u8_max", "ScatterND", [u8, np.array([[2], [0]], np.int64), data((2, 2), np.uint8, 9)],
                     [scatter_nd_ref(u8, np.array([[2], [0]]), data((2, 2), np.uint8, 9), "max")],
                     {"reduction": "max"}, 18))
    out.append(exact("scatternd_empty_updates", "ScatterND", [x, np.zeros((0, 1), np.int64),
                                                             np.zeros((0,), np.float32)], [x]))
    return out


def scatter_elements_ref(x, ind, upd, axis, red):
    y = x.copy()
    for pos in itertools.product(*[range(s) for s in ind.shape]):
        t = list(pos)
        v = int(ind[pos])
        t[axis] = v + x.shape[axis] if v < 0 else v
        t = tuple(t)
        if red == "none":
            y[t] = upd[pos]
        elif red == "add":
            y[t] += upd[pos]
        elif red == "mul":
            y[t] *= upd[pos]
        elif red == "max":
            y[t] = max(y[t], upd[pos])
        else:
            y[t] = min(y[t], upd[pos])
    return y


def scatter_elements_cases():
    out = []
    x = np.zeros((3, 3), np.float32)
    i = np.array([[1, 0, 2], [0, 2, 1]], np.int64)
    u = np.array([[1.0, 1.1, 1.2], [2.0, 2.1, 2.2]], np.float32)
    out.append(exact("scatterelements_axis0", "ScatterElements", [x, i, u],
                     [scatter_elements_ref(x, i, u, 0, "none")]))
    y = data((2, 5), np.float32, 1)
    j = np.array([[1, -2], [0, 4]], np.int32)
    v = data((2, 2), np.float32, 2)
    out.append(exact("scatterelements_axis1_neg", "ScatterElements", [y, j, v],
                     [scatter_elements_ref(y, j, v, 1, "none")], {"axis": -1}))
    k = np.array([[0, 1, 1, 0], [2, 2, 0, 0]], np.int64)  # duplicates along the axis
    w = data((2, 4), np.float32, 3)
    z = data((3, 4), np.float32, 4)
    for red, opset in (("add", 16), ("mul", 16), ("max", 18), ("min", 18)):
        out.append(Case(f"scatterelements_{red}", "ScatterElements", [z, k, w],
                        [scatter_elements_ref(z, k, w, 0, red)], {"reduction": red}, atol=1e-6, rtol=1e-6,
                        opset=opset))
    a = data((2, 3, 4), np.int64, 5)
    m = idx((2, 2, 3), -3, 3, 5)
    un = data((2, 2, 3), np.int64, 6)
    out.append(exact("scatterelements_i64_rank3", "ScatterElements", [a, m, un],
                     [scatter_elements_ref(a, m, un, 1, "none")], {"axis": 1}))
    h = data((4,), np.float16, 7)
    out.append(exact("scatterelements_f16", "ScatterElements", [h, np.array([3, 0], np.int64),
                                                                  np.array([1.5, -2.0], np.float16)],
                     [scatter_elements_ref(h, np.array([3, 0]), np.array([1.5, -2.0], np.float16), 0, "none")]))
    out.append(exact("scatterelements_empty", "ScatterElements", [z, np.zeros((0, 4), np.int64),
                                                                    np.zeros((0, 4), np.float32)], [z]))
    return out


def range_cases():
    def rng(name, s, l, d, dt):
        t = np.dtype(dt).type
        want = np.arange(t(s), t(l), t(d), dtype=dt)
        return exact(name, "Range", [np.array(s, dt), np.array(l, dt), np.array(d, dt)], [want])

    return [
        rng("range_f32", 0.0, 10.0, 3.0, np.float32),
        rng("range_f32_frac", 1.0, -1.25, -0.5, np.float32),
        rng("range_f64_neg", 10.0, 2.0, -2.5, np.float64),
        rng("range_i32", -3, 17, 4, np.int32),
        rng("range_i64_empty", 5, 2, 1, np.int64),
        rng("range_i64_neg", 5, -6, -3, np.int64),
        rng("range_i16", 0, 7, 1, np.int16),
        rng("range_f32_equal", 2.0, 2.0, 1.0, np.float32),
    ]


def trilu_cases():
    out = []
    x = data((4, 5), np.float32)
    t = torch.from_numpy(x)
    out.append(exact("trilu_upper", "Trilu", [x], [torch.triu(t).numpy()], opset=14))
    out.append(exact("trilu_lower", "Trilu", [x], [torch.tril(t).numpy()], {"upper": 0}, opset=14))
    for k in (-2, 1, 3, 7, -9):
        kt = np.array(k, np.int64)
        out.append(exact(f"trilu_upper_k{k}".replace("-", "m"), "Trilu", [x, kt],
                         [torch.triu(t, k).numpy()], opset=14))
        out.append(exact(f"trilu_lower_k{k}".replace("-", "m"), "Trilu", [x, kt],
                         [torch.tril(t, k).numpy()], {"upper": 0}, opset=14))
    b = data((2, 3, 4, 3), np.int64, 1)
    out.append(exact("trilu_batched_i64", "Trilu", [b, np.array(-1, np.int64)],
                     [torch.tril(torch.from_numpy(b), -1).numpy()], {"upper": 0}, opset=14))
    bb = data((3, 3), np.bool_, 2)
    out.append(exact("trilu_bool", "Trilu", [bb], [np.triu(bb)], opset=14))
    h = data((2, 5, 2), np.float16, 3)
    out.append(exact("trilu_f16_tall", "Trilu", [h], [np.triu(h)], opset=14))
    out.append(exact("trilu_empty", "Trilu", [np.zeros((0, 3), np.float32)], [np.zeros((0, 3), np.float32)],
                     opset=14))
    return out


def nonzero_cases():
    def nz(name, x):
        return exact(name, "NonZero", [x], [np.array(np.nonzero(x), dtype=np.int64).reshape(max(x.ndim, 1), -1)])

    f = np.array([[0.0, -0.0, 1.5], [np.nan, 0.0, -2.0]], np.float32)
    return [
        nz("nonzero_f32_signed_zero_nan", f),
        nz("nonzero_f16", f.astype(np.float16)),
        nz("nonzero_bool", data((3, 4), np.bool_, 1)),
        nz("nonzero_i64_rank3", np.where(data((2, 3, 4), np.int64, 2) > 300, data((2, 3, 4), np.int64, 2), 0)),
        nz("nonzero_all_zero", np.zeros((2, 3), np.int32)),
        nz("nonzero_empty", np.zeros((0, 3), np.uint8)),
        exact("nonzero_scalar", "NonZero", [np.array(3.0, np.float32)], [np.zeros((1, 1), np.int64)]),
        exact("nonzero_scalar_zero", "NonZero", [np.array(0, np.int32)], [np.zeros((1, 0), np.int64)]),
    ]


def onehot_ref(ind, depth, values, axis):
    ind = np.asarray(ind)
    r = ind.ndim + 1
    axis = axis + r if axis < 0 else axis
    iv = np.trunc(ind).astype(np.int64)
    iv = np.where(iv < 0, iv + depth, iv)
    hot = (iv[..., None] == np.arange(depth)) & (iv[..., None] >= 0)
    y = np.where(hot, values[1], values[0]).astype(values.dtype)
    return np.moveaxis(y, -1, axis)


def onehot_cases():
    i = np.array([[0, 3, -1], [5, -6, 2]], np.int64)  # 5 and -6 are out of range for depth 5
    v = np.array([0.0, 1.0], np.float32)
    d = np.array(5, np.int64)
    return [
        exact("onehot_last", "OneHot", [i, d, v], [onehot_ref(i, 5, v, -1)]),
        exact("onehot_axis0", "OneHot", [i, d, v], [onehot_ref(i, 5, v, 0)], {"axis": 0}),
        exact("onehot_axis1_i64_values", "OneHot", [i, np.array([4], np.int32), np.array([-1, 7], np.int64)],
              [onehot_ref(i, 4, np.array([-1, 7], np.int64), 1)], {"axis": 1}),
        exact("onehot_float_indices", "OneHot", [np.array([1.7, -1.2, 2.0], np.float32), np.array(3.0, np.float32),
                                                 np.array([2, 9], np.int32)],
              [onehot_ref(np.array([1.7, -1.2, 2.0]), 3, np.array([2, 9], np.int32), -1)]),
    ]


def cases():
    return (gather_cases() + gather_elements_cases() + gather_nd_cases() + scatter_nd_cases() +
            scatter_elements_cases() + range_cases() + trilu_cases() + nonzero_cases() + onehot_cases())
