"""Op cases for the reduction reference kernels (src/kernels/ref/reduce.c): Reduce*,
Softmax, LogSoftmax, ArgMax / ArgMin, TopK and CumSum.

Expected values come from numpy, computed in float64 and rounded to the output dtype.
Where voce defines what ONNX leaves open (reductions over an empty set, NaN in
ArgMax / TopK, ties), the expected value follows the rule documented in reduce.c.
"""
import math

import numpy as np

import opcase

F16, F32, F64 = np.float16, np.float32, np.float64
I8, I32, I64, U8 = np.int8, np.int32, np.int64, np.uint8

_rng = np.random.default_rng(77)


tol = opcase.dtype_tol


def case(name, op, inputs, outputs, attrs=None, opset=18, atol=None, rtol=None):
    return opcase.case(name, op, inputs, outputs, attrs, opset, atol, rtol)


def rand(shape, dtype, lo=-3.0, hi=3.0):
    if np.issubdtype(dtype, np.integer):
        return _rng.integers(int(lo), int(hi) + 1, size=shape).astype(dtype)
    return _rng.uniform(lo, hi, size=shape).astype(dtype)


def f64(x):
    return np.asarray(x).astype(F64)


def axes_tensor(axes):
    return np.array(axes, I64)


# ---------------------------------------------------------------- Reduce*

def _lse(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis)


REDUCE = {
    "ReduceSum": lambda x, a, k: np.sum(x, axis=a, keepdims=k),
    "ReduceMean": lambda x, a, k: np.mean(x, axis=a, keepdims=k),
    "ReduceMax": lambda x, a, k: np.max(x, axis=a, keepdims=k),
    "ReduceMin": lambda x, a, k: np.min(x, axis=a, keepdims=k),
    "ReduceProd": lambda x, a, k: np.prod(x, axis=a, keepdims=k),
    "ReduceL1": lambda x, a, k: np.sum(np.abs(x), axis=a, keepdims=k),
    "ReduceL2": lambda x, a, k: np.sqrt(np.sum(x * x, axis=a, keepdims=k)),
    "ReduceSumSquare": lambda x, a, k: np.sum(x * x, axis=a, keepdims=k),
    "ReduceLogSum": lambda x, a, k: np.log(np.sum(x, axis=a, keepdims=k)),
    "ReduceLogSumExp": _lse,
}

# value range per op, so that Prod stays moderate and LogSum has positive sums
RANGE = {"ReduceProd": (0.5, 1.5), "ReduceLogSum": (0.1, 3.0)}

# (tag, shape, axes or None for "input left out", keepdims)
GEOMETRIES = [
    ("mid", (3, 4, 5), [1], 1),
    ("last", (3, 4, 5), [-1], 0),
    ("first", (3, 4, 5), [0], 1),
    ("alt", (3, 4, 5), [0, 2], 0),
    ("alt4", (2, 3, 4, 5), [3, 1], 1),
    ("all", (3, 4, 5), None, 1),
    ("all_nokeep", (3, 4, 5), None, 0),
    ("all_listed", (2, 3, 2), [0, 1, 2], 0),
    ("vec", (17,), [0], 0),
    ("long", (3, 301), [1], 1),
    ("long_mid", (2, 67, 9), [-2], 0),
    ("ones", (1, 63, 1), [1], 1),
    ("size1_axis", (2, 1, 3), [1], 0),
]


def reduce_cases():
    out = []
    for op, ref in REDUCE.items():
        lo_v, hi_v = RANGE.get(op, (-3.0, 3.0))
        lname = op.lower()
        for tag, shape, axes, keep in GEOMETRIES:
            x = rand(shape, F32, lo_v, hi_v)
            ax = None if axes is None else tuple(axes)
            y = ref(f64(x), ax, bool(keep)).astype(F32)
            ins = [x] if axes is None else [x, axes_tensor(axes)]
            attrs = {"keepdims": keep}
            if keep == 1 and tag == "mid":
                attrs = {}  # keepdims defaults to 1
            out.append(case(f"{lname}_{tag}", op, ins, [y], attrs))
        # f16 and f64
        for dt in [F16, F64]:
            x = rand((4, 6), dt, lo_v, hi_v)
            y = ref(f64(x), (1,), True).astype(dt)
            out.append(case(f"{lname}_{np.dtype(dt).name}", op, [x, axes_tensor([1])], [y]))
        # rank 0 input, all axes
        x = rand((), F32, lo_v, hi_v)
        out.append(case(f"{lname}_scalar", op, [x], [ref(f64(x), None, False).astype(F32)],
                        {"keepdims": 0}))
        # empty axes: noop_with_empty_axes keeps the input, otherwise reduce everything
        x = rand((2, 3), F32, lo_v, hi_v)
        out.append(case(f"{lname}_noop", op, [x, np.zeros((0,), I64)], [x.copy()],
                        {"noop_with_empty_axes": 1}))
        out.append(case(f"{lname}_empty_axes", op, [x, np.zeros((0,), I64)],
                        [ref(f64(x), None, True).astype(F32)]))
        # the pre-opset-18 attribute form (ReduceSum moved to an input at opset 13)
        attr_opset = 11 if op == "ReduceSum" else 13
        x = rand((3, 5, 2), F32, lo_v, hi_v)
        out.append(case(f"{lname}_attr_axes", op, [x], [ref(f64(x), (0, 2), False).astype(F32)],
                        {"axes": [0, -1], "keepdims": 0}, opset=attr_opset))
        # a kept empty dim: empty output
        x = np.zeros((0, 3), F32)
        out.append(case(f"{lname}_empty_out", op, [x, axes_tensor([1])], [np.zeros((0, 1), F32)]))
        out.append(case(f"{lname}_empty_in", op, [x, axes_tensor([0])],
                        [np.full((1, 3), EMPTY_RESULT[op], F32)]))
    out += reduce_int_cases()
    out += reduce_special_cases()
    return out


EMPTY_RESULT = {"ReduceSum": 0.0, "ReduceMean": np.nan, "ReduceMax": -np.inf, "ReduceMin": np.inf,
                "ReduceProd": 1.0, "ReduceL1": 0.0, "ReduceL2": 0.0, "ReduceSumSquare": 0.0,
                "ReduceLogSum": -np.inf, "ReduceLogSumExp": -np.inf}


def _int_mean(x, axes, keep):
    s = np.sum(x.astype(I64), axis=axes, keepdims=keep)
    cnt = x.size // max(s.size, 1)
    q = np.abs(s) // cnt
    return np.where(s < 0, -q, q)


def reduce_int_cases():
    out = []
    int_ops = {
        "ReduceSum": lambda x, a, k: np.sum(x, axis=a, keepdims=k),
        "ReduceMean": _int_mean,
        "ReduceMax": lambda x, a, k: np.max(x, axis=a, keepdims=k),
        "ReduceMin": lambda x, a, k: np.min(x, axis=a, keepdims=k),
        "ReduceProd": lambda x, a, k: np.prod(x, axis=a, keepdims=k),
        "ReduceL1": lambda x, a, k: np.sum(np.abs(x), axis=a, keepdims=k),
        "ReduceSumSquare": lambda x, a, k: np.sum(x * x, axis=a, keepdims=k),
    }
    for op, ref in int_ops.items():
        lname = op.lower()
        for dt in [I64, I32, U8, I8]:
            lo_v = 0 if dt == U8 else -9
            hi_v = 3 if op == "ReduceProd" else 9
            x = rand((3, 4, 5), dt, lo_v if op != "ReduceProd" else -3, hi_v)
            with np.errstate(all="ignore"):
                y = ref(x.astype(I64), (1,), False).astype(dt)
            out.append(case(f"{lname}_{np.dtype(dt).name}", op, [x, axes_tensor([1])], [y],
                            {"keepdims": 0}))
        x = rand((2, 7), I64, -9, 9)
        out.append(case(f"{lname}_int64_last", op, [x, axes_tensor([-1])],
                        [ref(x, (1,), True).astype(I64)]))
    e = np.zeros((0, 2), I32)
    out.append(case("reducemax_int32_empty", "ReduceMax", [e, axes_tensor([0])],
                    [np.full((2,), np.iinfo(I32).min, I32)], {"keepdims": 0}))
    out.append(case("reducemin_uint8_empty", "ReduceMin", [e.astype(U8), axes_tensor([0])],
                    [np.full((2,), 255, U8)], {"keepdims": 0}))
    out.append(case("reducemean_int64_empty", "ReduceMean", [e.astype(I64), axes_tensor([0])],
                    [np.zeros((2,), I64)], {"keepdims": 0}))
    big = np.array([2 ** 62, 2 ** 62, 5], I64)
    with np.errstate(all="ignore"):
        out.append(case("reducesum_int64_wrap", "ReduceSum", [big, axes_tensor([0])],
                        [np.array(np.sum(big), I64)], {"keepdims": 0}))
    return out


def reduce_special_cases():
    out = []
    x = np.array([[1.0, np.nan, 3.0], [-np.inf, 2.0, 0.0], [5.0, 4.0, np.nan]], F32)
    for op in ["ReduceMax", "ReduceMin"]:
        ref = np.max if op == "ReduceMax" else np.min
        out.append(case(f"{op.lower()}_nan", op, [x, axes_tensor([1])], [ref(x, axis=1)],
                        {"keepdims": 0}))
        out.append(case(f"{op.lower()}_nan_col", op, [x, axes_tensor([0])], [ref(x, axis=0)],
                        {"keepdims": 0}))
    # LogSumExp: large values stay finite; all -inf gives -inf; +inf gives +inf
    y = np.array([[1000.0, 1000.0, 999.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0],
                  [-1000.0, -np.inf, -1001.0]], F32)
    want = np.array([1000.0 + math.log(2 + math.exp(-1)), -np.inf, np.inf,
                     -1000.0 + math.log(1 + math.exp(-1))], F32)
    out.append(case("reducelogsumexp_stable", "ReduceLogSumExp", [y, axes_tensor([1])], [want],
                    {"keepdims": 0}))
    out.append(case("reducelogsumexp_stable_col", "ReduceLogSumExp", [y.T.copy(), axes_tensor([0])],
                    [want], {"keepdims": 0}))
    big = rand((4, 257), F32, 0, 1)
    out.append(case("reducesum_f32_accuracy", "ReduceSum", [big + np.float32(1000), axes_tensor([1])],
                    [np.sum(f64(big + np.float32(1000)), axis=1).astype(F32)], {"keepdims": 0}))
    return out


# ---------------------------------------------------------------- Softmax, LogSoftmax

def _softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _legacy(fn, x, axis):
    """Opset < 13: coerce to 2-D [prod(dims[:axis]), prod(dims[axis:])]."""
    axis = axis % x.ndim if x.ndim else 0
    n = int(np.prod(x.shape[:axis]))
    return fn(x.reshape(n, -1), 1).reshape(x.shape)


def softmax_cases():
    out = []
    for op, fn in [("Softmax", _softmax), ("LogSoftmax", _log_softmax)]:
        lname = op.lower()
        for tag, shape, axis in [("last", (3, 4, 5), None), ("mid", (3, 4, 5), 1),
                                 ("first", (3, 4, 5), 0), ("neg2", (3, 4, 5), -2),
                                 ("vec17", (17,), None), ("row63", (2, 63), -1),
                                 ("one", (1,), 0), ("wide_mid", (2, 5, 70), 1),
                                 ("size1_axis", (4, 1), 1)]:
            x = rand(shape, F32, -4, 4)
            y = fn(f64(x), -1 if axis is None else axis).astype(F32)
            attrs = {} if axis is None else {"axis": axis}
            out.append(case(f"{lname}_{tag}", op, [x], [y], attrs, opset=13))
        for dt in [F16, F64]:
            x = rand((3, 9), dt, -4, 4)
            out.append(case(f"{lname}_{np.dtype(dt).name}", op, [x], [fn(f64(x), -1).astype(dt)],
                            opset=13))
            x = rand((3, 4, 6), dt, -4, 4)
            out.append(case(f"{lname}_{np.dtype(dt).name}_mid", op, [x], [fn(f64(x), 1).astype(dt)],
                            {"axis": 1}, opset=13))
        # opset < 13: default axis 1, input seen as 2-D
        x = rand((3, 4, 5), F32, -4, 4)
        for tag, axis in [("default", None), ("ax0", 0), ("ax2", 2), ("axneg1", -1)]:
            attrs = {} if axis is None else {"axis": axis}
            y = _legacy(fn, f64(x), 1 if axis is None else axis).astype(F32)
            out.append(case(f"{lname}_legacy_{tag}", op, [x], [y], attrs, opset=11))
        # stability: large values, -inf masks
        x = np.array([[1000.0, 999.0, -1000.0, 0.0], [-np.inf, 0.0, -np.inf, 1.0],
                      [88.0, 89.0, 90.0, -88.0]], F32)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = fn(f64(x), -1).astype(F32)
        out.append(case(f"{lname}_stable", op, [x], [y], opset=13))
        xt = x.T.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            yt = fn(f64(xt), 0).astype(F32)
        out.append(case(f"{lname}_stable_col", op, [xt], [yt], {"axis": 0}, opset=13))
        # attention scores: causal -inf mask, rows longer than one 256 chunk, enough rows
        # to be shared among threads, one fully masked row (NaN, as numpy)
        x = rand((4, 150, 301), F32, -8, 8)
        x[:, np.triu(np.ones((150, 301), bool), k=151)] = -np.inf
        x[1, 7, :] = -np.inf
        with np.errstate(divide="ignore", invalid="ignore"):
            y = fn(f64(x), -1).astype(F32)
        out.append(case(f"{lname}_causal_masked", op, [x], [y], opset=13))
        out.append(case(f"{lname}_empty", op, [np.zeros((0, 5), F32)], [np.zeros((0, 5), F32)],
                        opset=13))
        out.append(case(f"{lname}_empty_axis", op, [np.zeros((3, 0), F32)], [np.zeros((3, 0), F32)],
                        opset=13))
    return out


# ---------------------------------------------------------------- ArgMax, ArgMin

def _arg(x, axis, keep, is_min, last):
    """numpy argmax / argmin, with select_last_index by flipping the axis."""
    fn = np.argmin if is_min else np.argmax
    if last:
        xf = np.flip(x, axis=axis)
        r = x.shape[axis] - 1 - fn(xf, axis=axis)
    else:
        r = fn(x, axis=axis)
    r = r.astype(I64)
    return np.expand_dims(r, axis) if keep else r


def arg_cases():
    out = []
    for op, is_min in [("ArgMax", False), ("ArgMin", True)]:
        lname = op.lower()
        for tag, shape, axis, keep in [("ax0", (3, 4, 5), 0, 1), ("ax1", (3, 4, 5), 1, 0),
                                       ("last", (3, 4, 5), -1, 1), ("vec", (17,), 0, 0),
                                       ("long", (2, 301), 1, 0), ("mid63", (2, 63, 3), 1, 1),
                                       ("one", (1,), 0, 1), ("size1", (3, 1), 1, 0)]:
            x = rand(shape, F32)
            attrs = {"axis": axis, "keepdims": keep}
            if axis == 0 and keep == 1:
                attrs = {}
            out.append(case(f"{lname}_{tag}", op, [x], [_arg(x, axis, keep, is_min, False)],
                            attrs, opset=13))
        # ties with small integers, first vs last index
        for dt in [I64, I32, U8, F32, F16, F64, I8]:
            lo_v = 0 if dt == U8 else -2
            x = rand((4, 9), dt, lo_v, lo_v + 3)
            tag = np.dtype(dt).name
            for last in [0, 1]:
                for axis in [1, 0]:
                    out.append(case(f"{lname}_{tag}_ties_ax{axis}_last{last}", op, [x],
                                    [_arg(x, axis, 1, is_min, bool(last))],
                                    {"axis": axis, "select_last_index": last}, opset=13))
        # NaN is picked (as numpy), the first one or with select_last_index the last one
        x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 5.0, -1.0, 5.0]], F32)
        first_nan = np.array([1, 2 if is_min else 1], I64)
        last_nan = np.array([3, 2 if is_min else 3], I64)
        out.append(case(f"{lname}_nan", op, [x], [first_nan], {"axis": 1, "keepdims": 0}, opset=13))
        out.append(case(f"{lname}_nan_last", op, [x], [last_nan],
                        {"axis": 1, "keepdims": 0, "select_last_index": 1}, opset=13))
        out.append(case(f"{lname}_nan_col", op, [x.T.copy()], [first_nan], {"axis": 0, "keepdims": 0},
                        opset=13))
        out.append(case(f"{lname}_empty_outer", op, [np.zeros((0, 4), F32)], [np.zeros((0,), I64)],
                        {"axis": 1, "keepdims": 0}, opset=13))
    return out


# ---------------------------------------------------------------- TopK

def _topk(x, k, axis, largest):
    """Reference by sorting (value, index) keys in Python: larger (or smaller) first,
    ties by lower index, NaN above every number."""
    xm = np.moveaxis(x, axis, -1)
    flat = xm.reshape(-1, xm.shape[-1])
    vals = np.empty((flat.shape[0], k), x.dtype)
    idxs = np.empty((flat.shape[0], k), I64)
    for row in range(flat.shape[0]):
        def key(r, v=flat[row]):
            e = v[r]
            isnan = isinstance(e, (float, np.floating)) and math.isnan(float(e))
            rank = (1, 0.0) if isnan else (0, float(e) if np.issubdtype(x.dtype, np.floating) else int(e))
            if largest:
                rank = (-rank[0], -rank[1])
            return (rank, r)
        order = sorted(range(flat.shape[1]), key=key)[:k]
        idxs[row] = order
        vals[row] = flat[row][order]
    shape = xm.shape[:-1] + (k,)
    return (np.moveaxis(vals.reshape(shape), -1, axis), np.moveaxis(idxs.reshape(shape), -1, axis))


def topk_cases():
    out = []
    geos = [("last", (3, 10), 3, -1), ("first", (6, 4), 2, 0), ("mid", (2, 17, 3), 5, 1),
            ("all", (9,), 9, 0), ("zero", (2, 5), 0, 1), ("one", (1,), 1, 0),
            ("long", (2, 300), 7, 1), ("k1", (4, 63), 1, -1)]
    for largest in [1, 0]:
        for tag, shape, k, axis in geos:
            x = rand(shape, F32)
            v, i = _topk(x, k, axis, largest)
            attrs = {"axis": axis, "largest": largest}
            if axis == -1 and largest == 1:
                attrs = {}
            name = f"topk_{tag}" + ("" if largest else "_smallest")
            out.append(case(name, "TopK", [x, np.array([k], I64)], [v, i], attrs, opset=11))
    for dt in [I64, I32, U8, F16, F64, I8, np.uint64]:
        x = rand((3, 12), dt, 0 if dt in (U8, np.uint64) else -3, 4)  # ties
        for largest in [1, 0]:
            v, i = _topk(x, 5, 1, largest)
            out.append(case(f"topk_{np.dtype(dt).name}_ties_l{largest}", "TopK", [x, np.array([5], I64)],
                            [v, i], {"largest": largest}, opset=11))
    x = np.array([1.0, np.nan, 3.0, -0.0, 0.0, np.inf, -np.inf, np.nan], F32)
    for largest in [1, 0]:
        v, i = _topk(x, 6, 0, largest)
        out.append(case(f"topk_nan_l{largest}", "TopK", [x, np.array([6], I64)], [v, i],
                        {"largest": largest}, opset=11))
    x = rand((4, 7), F32)
    v, i = _topk(x, 3, 1, 1)
    out.append(case("topk_unsorted_attr", "TopK", [x, np.array([3], I64)], [v, i], {"sorted": 0},
                    opset=11))
    out.append(case("topk_empty_outer", "TopK", [np.zeros((0, 4), F32), np.array([2], I64)],
                    [np.zeros((0, 2), F32), np.zeros((0, 2), I64)], opset=11))
    return out


# ---------------------------------------------------------------- CumSum

def _cumsum(x, axis, exclusive, reverse):
    y = np.flip(x, axis) if reverse else x
    c = np.cumsum(y, axis=axis)
    if exclusive:
        c = c - y
    return np.flip(c, axis) if reverse else c


def cumsum_cases():
    out = []
    for tag, shape, axis in [("ax0", (3, 4), 0), ("ax1", (3, 4), 1), ("neg", (2, 3, 5), -2),
                             ("vec17", (17,), 0), ("long", (2, 300), 1), ("one", (1,), 0)]:
        for ex in [0, 1]:
            for rev in [0, 1]:
                x = rand(shape, F32)
                y = _cumsum(f64(x), axis, ex, rev).astype(F32)
                attrs = {}
                if ex:
                    attrs["exclusive"] = 1
                if rev:
                    attrs["reverse"] = 1
                out.append(case(f"cumsum_{tag}_e{ex}_r{rev}", "CumSum", [x, np.array(axis, I64)], [y],
                                attrs, opset=14, atol=2e-4))
    for dt in [F16, F64, I32, I64, U8, np.uint32, np.uint64]:
        lo_v = 0 if np.issubdtype(dt, np.unsignedinteger) else -9
        x = rand((3, 7), dt, lo_v, 9)
        for ex, rev in [(0, 0), (1, 1)]:
            with np.errstate(all="ignore"):
                y = _cumsum(x.astype(F64 if np.issubdtype(dt, np.floating) else I64), 1, ex, rev).astype(dt)
            out.append(case(f"cumsum_{np.dtype(dt).name}_e{ex}_r{rev}", "CumSum",
                            [x, np.array([1], I32)], [y], {"exclusive": ex, "reverse": rev}, opset=14))
    out.append(case("cumsum_empty", "CumSum", [np.zeros((0, 3), F32), np.array(1, I64)],
                    [np.zeros((0, 3), F32)], opset=14))
    out.append(case("cumsum_empty_axis", "CumSum", [np.zeros((3, 0), F32), np.array(1, I64)],
                    [np.zeros((3, 0), F32)], opset=14))
    return out


def cases():
    with np.errstate(divide="ignore", invalid="ignore"):
        return reduce_cases() + softmax_cases() + arg_cases() + topk_cases() + cumsum_cases()
