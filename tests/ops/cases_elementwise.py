"""Op cases for the elementwise reference kernels (src/kernels/ref/elementwise*.c).

Expected values come from numpy (torch for erf / gelu), computed in float64 from the
inputs and rounded to the output dtype. f16 inputs are made in f16 and their results
compared with an f16-sized tolerance. Where voce defines a result that numpy leaves
undefined (integer division by zero, float -> int overflow in Cast, ...), the expected
value is built here from the documented rule, element by element in Python.
"""
import math

import numpy as np
import torch

import opcase

F16, F32, F64 = np.float16, np.float32, np.float64
I8, I16, I32, I64 = np.int8, np.int16, np.int32, np.int64
U8, U16, U32, U64 = np.uint8, np.uint16, np.uint32, np.uint64
BOOL = np.bool_
ALL_DTYPES = [F32, F16, F64, I8, U8, I16, U16, I32, U32, I64, U64, BOOL]

_rng = np.random.default_rng(20240601)


tol = opcase.dtype_tol


def case(name, op, inputs, outputs, attrs=None, opset=17, atol=None, rtol=None):
    return opcase.case(name, op, inputs, outputs, attrs, opset, atol, rtol)


def rand(shape, dtype, lo=-3.0, hi=3.0):
    if np.dtype(dtype) == BOOL:
        return _rng.integers(0, 2, size=shape).astype(BOOL)
    if np.issubdtype(dtype, np.integer):
        return _rng.integers(int(lo), int(hi) + 1, size=shape).astype(dtype)
    return _rng.uniform(lo, hi, size=shape).astype(dtype)


def f64(x):
    return np.asarray(x).astype(F64)


def to(y, dtype):
    return np.asarray(y).astype(dtype)


# ---------------------------------------------------------------- unary float ops

def _softplus(x):
    return np.logaddexp(0.0, x)


def _erf(x):
    return torch.erf(torch.from_numpy(np.asarray(x, dtype=F64))).numpy()


def _gelu(x, approximate):
    t = torch.from_numpy(np.asarray(x, dtype=F64))
    return torch.nn.functional.gelu(t, approximate=approximate).numpy()


SELU_A, SELU_G = 1.67326319217681884765625, 1.05070102214813232421875
# attribute defaults as ONNX stores them (float32), for the f64 references
LEAKY_A, HS_A, HS_B = float(np.float32(0.01)), float(np.float32(0.2)), 0.5

# op, reference on float64, value range, attrs, extra name, opset
UNARY_FLOAT = [
    ("Sqrt", np.sqrt, (0.0, 9.0), {}),
    ("Exp", np.exp, (-6.0, 6.0), {}),
    ("Log", np.log, (0.01, 20.0), {}),
    ("Neg", np.negative, (-5.0, 5.0), {}),
    ("Abs", np.abs, (-5.0, 5.0), {}),
    ("Reciprocal", lambda x: 1.0 / x, (0.25, 4.0), {}),
    ("Floor", np.floor, (-5.0, 5.0), {}),
    ("Ceil", np.ceil, (-5.0, 5.0), {}),
    ("Round", np.round, (-5.0, 5.0), {}),
    ("Sign", np.sign, (-2.0, 2.0), {}),
    ("Sin", np.sin, (-7.0, 7.0), {}),
    ("Cos", np.cos, (-7.0, 7.0), {}),
    ("Tanh", np.tanh, (-4.0, 4.0), {}),
    ("Sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x)), (-8.0, 8.0), {}),
    ("Relu", lambda x: np.maximum(x, 0.0), (-3.0, 3.0), {}),
    ("LeakyRelu", lambda x: np.where(x < 0, LEAKY_A * x, x), (-3.0, 3.0), {}),
    ("Elu", lambda x: np.where(x < 0, np.expm1(x), x), (-4.0, 3.0), {}),
    ("Selu", lambda x: SELU_G * np.where(x <= 0, SELU_A * np.expm1(x), x), (-4.0, 3.0), {}),
    ("HardSigmoid", lambda x: np.clip(HS_A * x + HS_B, 0, 1), (-4.0, 4.0), {}),
    ("HardSwish", lambda x: x * np.clip(x / 6.0 + 0.5, 0, 1), (-5.0, 5.0), {}),
    ("Erf", _erf, (-3.0, 3.0), {}),
    ("Softplus", _softplus, (-6.0, 6.0), {}),
    ("Softsign", lambda x: x / (1.0 + np.abs(x)), (-5.0, 5.0), {}),
    ("Mish", lambda x: x * np.tanh(_softplus(x)), (-5.0, 5.0), {}),
]

OPSET = {"Mish": 18, "Gelu": 20}


def unary_float_cases():
    out = []
    shapes = [("n17", (17,), F32), ("r3", (2, 3, 5), F32), ("scalar", (), F32),
              ("empty", (0, 4), F32), ("n1", (1,), F32), ("f16", (3, 7), F16),
              ("f64", (9,), F64), ("n63", (63,), F32)]
    for op, ref, (lo, hi), attrs in UNARY_FLOAT:
        opset = OPSET.get(op, 17)
        for tag, shape, dt in shapes:
            x = rand(shape, dt, lo, hi)
            if op == "Reciprocal":  # keep away from 0 on both signs
                x = (x * np.where(rand(shape, I8, 0, 1) == 0, -1, 1)).astype(dt)
            y = to(ref(f64(x)), dt)
            out.append(case(f"{op.lower()}_{tag}", op, [x], [y], attrs, opset))
    return out


def unary_attr_cases():
    x = rand((4, 9), F32, -4, 4)
    xd = f64(x)
    a = np.float32(0.3)
    cs = [
        case("leakyrelu_alpha", "LeakyRelu", [x], [to(np.where(xd < 0, f64(a) * xd, xd), F32)],
             {"alpha": 0.3}),
        case("elu_alpha", "Elu", [x], [to(np.where(xd < 0, f64(np.float32(0.5)) * np.expm1(xd), xd), F32)],
             {"alpha": 0.5}),
        case("selu_attrs", "Selu", [x],
             [to(f64(np.float32(1.5)) * np.where(xd <= 0, f64(np.float32(2.0)) * np.expm1(xd), xd), F32)],
             {"alpha": 2.0, "gamma": 1.5}),
        case("hardsigmoid_attrs", "HardSigmoid", [x],
             [to(np.clip(f64(np.float32(0.25)) * xd + f64(np.float32(0.4)), 0, 1), F32)],
             {"alpha": 0.25, "beta": 0.4}),
    ]
    return cs


def gelu_cases():
    out = []
    for approx in ["none", "tanh"]:
        for tag, shape, dt in [("f32", (3, 17), F32), ("f16", (2, 9), F16), ("f64", (7,), F64),
                               ("scalar", (), F32), ("empty", (2, 0), F32)]:
            x = rand(shape, dt, -4, 4)
            y = to(_gelu(f64(x), approx), dt)
            attrs = {} if approx == "none" and tag == "f32" else {"approximate": approx}
            out.append(case(f"gelu_{approx}_{tag}", "Gelu", [x], [y], attrs, opset=20))
    return out


def special_value_cases():
    inf, nan = np.inf, np.nan
    v = np.array([-inf, -100.0, -20.0, -1.0, -0.0, 0.0, 1.0, 20.0, 100.0, inf, nan], F32)
    vd = f64(v)
    with np.errstate(all="ignore"):
        cs = [
            case("sigmoid_special", "Sigmoid", [v], [to(1.0 / (1.0 + np.exp(-vd)), F32)]),
            case("softplus_special", "Softplus", [v], [to(_softplus(vd), F32)]),
            case("tanh_special", "Tanh", [v], [to(np.tanh(vd), F32)]),
            case("exp_special", "Exp", [v], [to(np.exp(vd), F32)]),
            case("log_special", "Log", [v], [to(np.log(vd), F32)]),
            case("sqrt_special", "Sqrt", [v], [to(np.sqrt(vd), F32)]),
            case("relu_special", "Relu", [v], [to(np.maximum(vd, 0), F32)]),
            case("mish_special", "Mish", [v], [to(vd * np.tanh(_softplus(vd)), F32)], opset=18),
            case("sign_special", "Sign", [v], [to(np.sign(vd), F32)]),
            case("erf_special", "Erf", [v], [to(_erf(vd), F32)]),
            case("reciprocal_special", "Reciprocal", [v], [to(1.0 / vd, F32)]),
        ]
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997, -3.7, 4.2, 1e9 + 0.5,
                       8388609.0], F32)
    cs.append(case("round_half_even", "Round", [halves], [np.round(halves)]))
    cs.append(case("round_half_even_f64", "Round", [f64(halves)], [np.round(f64(halves))]))
    cs.append(case("round_half_even_f16", "Round", [halves[:8].astype(F16)],
                   [np.round(halves[:8].astype(F16))]))
    cs.append(case("isnan_f32", "IsNaN", [v], [np.isnan(v)]))
    cs.append(case("isnan_f16", "IsNaN", [v.astype(F16).reshape(1, 11)], [np.isnan(v).reshape(1, 11)]))
    cs.append(case("isnan_f64", "IsNaN", [vd], [np.isnan(vd)]))
    cs.append(case("isnan_empty", "IsNaN", [np.zeros((0,), F32)], [np.zeros((0,), BOOL)]))
    cs.append(case("isinf_f32", "IsInf", [v], [np.isinf(v)]))
    cs.append(case("isinf_neg", "IsInf", [v], [np.isneginf(v)], {"detect_positive": 0}))
    cs.append(case("isinf_pos", "IsInf", [vd], [np.isposinf(vd)], {"detect_negative": 0}))
    cs.append(case("isinf_none", "IsInf", [v.astype(F16)], [np.zeros(v.shape, BOOL)],
                   {"detect_negative": 0, "detect_positive": 0}))
    return cs


def unary_int_cases():
    out = []
    imin64, imin32 = np.iinfo(I64).min, np.iinfo(I32).min
    for dt in [I64, I32, I8, I16]:
        x = rand((3, 5), dt, -100, 100)
        x.flat[0] = np.iinfo(dt).min  # wraps: -INT_MIN == INT_MIN
        x.flat[1] = np.iinfo(dt).max
        tag = np.dtype(dt).name
        with np.errstate(all="ignore"):
            out.append(case(f"neg_{tag}", "Neg", [x], [np.negative(x)]))
            out.append(case(f"abs_{tag}", "Abs", [x], [np.abs(x)]))
        out.append(case(f"sign_{tag}", "Sign", [x], [np.sign(x)]))
        out.append(case(f"relu_{tag}", "Relu", [x], [np.maximum(x, 0).astype(dt)], opset=14))
    for dt in [U8, U16, U32]:
        x = rand((7,), dt, 0, 200)
        tag = np.dtype(dt).name
        out.append(case(f"abs_{tag}", "Abs", [x], [x.copy()]))
        out.append(case(f"sign_{tag}", "Sign", [x], [np.sign(x)]))
    assert imin64 < 0 and imin32 < 0
    out.append(case("neg_i64_scalar", "Neg", [np.array(7, I64)], [np.array(-7, I64)]))
    out.append(case("abs_i32_empty", "Abs", [np.zeros((0, 3), I32)], [np.zeros((0, 3), I32)]))
    b = rand((2, 17), BOOL)
    out.append(case("not_bool", "Not", [b], [np.logical_not(b)]))
    out.append(case("not_scalar", "Not", [np.array(True)], [np.array(False)]))
    out.append(case("not_empty", "Not", [np.zeros((0,), BOOL)], [np.zeros((0,), BOOL)]))
    return out


# ---------------------------------------------------------------- binary ops

BCAST_SHAPES = [
    ("same", (17,), (17,)),
    ("scalar_b", (2, 3, 4), ()),
    ("scalar_a", (), (5,)),
    ("outer", (3, 1), (1, 4)),
    ("ranks", (2, 1, 5), (3, 1)),
    ("row", (4, 63), (63,)),
    ("col", (4, 63), (4, 1)),
    ("mid", (2, 3, 4), (1, 3, 1)),
    ("empty", (0, 3), (3,)),
    ("one", (1,), (1,)),
    ("big_scalar", (300,), (1,)),
]


def _trunc_div(x, y, bits):
    if y == 0:
        return 0
    q = abs(x) // abs(y)
    q = q if (x < 0) == (y < 0) else -q
    return _wrap(q, bits)


def _wrap(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def _int_elementwise(fn, a, b, dtype):
    """Python-int reference over broadcast a, b (exact; for defined edge cases)."""
    a2, b2 = np.broadcast_arrays(a, b)
    bits = np.dtype(dtype).itemsize * 8
    res = [fn(int(x), int(y), bits) for x, y in zip(a2.ravel(), b2.ravel())]
    return np.array(res, dtype=object).astype(dtype).reshape(a2.shape)


def binary_arith_cases():
    out = []
    ops = [("Add", np.add), ("Sub", np.subtract), ("Mul", np.multiply), ("Div", np.divide)]
    for op, ref in ops:
        for tag, sa, sb in BCAST_SHAPES:
            a = rand(sa, F32, -4, 4)
            b = rand(sb, F32, 0.5, 4)
            out.append(case(f"{op.lower()}_{tag}", op, [a, b], [to(ref(f64(a), f64(b)), F32)]))
        for dt in [F16, F64]:
            a, b = rand((3, 5), dt, -4, 4), rand((5,), dt, 0.5, 4)
            out.append(case(f"{op.lower()}_{np.dtype(dt).name}", op, [a, b],
                            [to(ref(f64(a), f64(b)), dt)]))
        a, b = rand((2, 300), F16, -4, 4), rand((300,), F16, 0.5, 4)
        out.append(case(f"{op.lower()}_f16_chunks", op, [a, b], [to(ref(f64(a), f64(b)), F16)]))
        a, b = rand((), F16, 0.5, 4), rand((600,), F16, 0.5, 4)
        out.append(case(f"{op.lower()}_f16_scalar_chunks", op, [a, b], [to(ref(f64(a), f64(b)), F16)]))
        for dt in [I64, I32, I8, U8, I16, U16, U32]:
            lo = 0 if np.issubdtype(dt, np.unsignedinteger) else -50
            a, b = rand((2, 7), dt, lo, 50), rand((7,), dt, 1, 9)
            if op == "Div":
                y = _int_elementwise(_trunc_div, a, b, dt)
            else:
                with np.errstate(all="ignore"):
                    y = ref(a, b).astype(dt)
            out.append(case(f"{op.lower()}_{np.dtype(dt).name}", op, [a, b], [y]))
    # wrap-around on overflow and the defined integer division edge cases
    big = np.array([np.iinfo(I64).max, np.iinfo(I64).min, 5, -7, 0, np.iinfo(I64).min, 9, -9], I64)
    by = np.array([1, -1, 0, 0, 0, 2, -2, 4], I64)
    with np.errstate(all="ignore"):
        out.append(case("add_i64_wrap", "Add", [big, by], [big + by]))
        out.append(case("mul_i64_wrap", "Mul", [big, np.full(8, 3, I64)], [big * np.int64(3)]))
    out.append(case("div_i64_edge", "Div", [big, by], [_int_elementwise(_trunc_div, big, by, I64)]))
    small = np.array([np.iinfo(I32).min, 7, -7, 0], I32)
    sy = np.array([-1, 0, 2, -3], I32)
    out.append(case("div_i32_edge", "Div", [small, sy], [_int_elementwise(_trunc_div, small, sy, I32)]))
    # -7 / 2 truncates toward zero (-3), not floor (-4)
    out.append(case("div_i32_trunc", "Div", [np.array([-7, 7, -8], I32), np.array(2, I32)],
                    [np.array([-3, 3, -4], I32)]))
    out.append(case("div_f32_zero", "Div", [np.array([1, -1, 0], F32), np.array(0, F32)],
                    [np.array([np.inf, -np.inf, np.nan], F32)]))
    return out


def _py_mod(x, y, bits):
    return 0 if y == 0 else _wrap(x % y, bits)


def _c_fmod(x, y, bits):
    if y == 0:
        return 0
    r = abs(x) % abs(y)
    return _wrap(-r if x < 0 else r, bits)


def mod_cases():
    out = []
    for dt in [I64, I32, I8]:
        a, b = rand((3, 8), dt, -60, 60), rand((8,), dt, -9, 9)
        b[b == 0] = 3
        tag = np.dtype(dt).name
        out.append(case(f"mod_{tag}", "Mod", [a, b], [np.mod(a, b)]))
        out.append(case(f"mod_fmod_{tag}", "Mod", [a, b], [np.fmod(a, b)], {"fmod": 1}))
    for dt in [U8, U32]:
        a, b = rand((9,), dt, 0, 200), rand((9,), dt, 1, 13)
        out.append(case(f"mod_{np.dtype(dt).name}", "Mod", [a, b], [np.mod(a, b)]))
    edge_a = np.array([7, -7, 0, np.iinfo(I64).min, 5, -5], I64)
    edge_b = np.array([0, 0, 0, -1, -3, 3], I64)
    out.append(case("mod_i64_edge", "Mod", [edge_a, edge_b],
                    [_int_elementwise(_py_mod, edge_a, edge_b, I64)]))
    out.append(case("mod_fmod_i64_edge", "Mod", [edge_a, edge_b],
                    [_int_elementwise(_c_fmod, edge_a, edge_b, I64)], {"fmod": 1}))
    for dt in [F32, F16, F64]:
        a, b = rand((4, 5), dt, -9, 9), rand((5,), dt, -4, 4)
        b[np.abs(f64(b)) < 0.5] = 1.5
        out.append(case(f"mod_fmod_{np.dtype(dt).name}", "Mod", [a, b],
                        [to(np.fmod(f64(a), f64(b)), dt)], {"fmod": 1}))
    a = rand((2, 3), F32, -9, 9)
    out.append(case("mod_fmod_scalar", "Mod", [a, np.array(2.5, F32)],
                    [to(np.fmod(f64(a), 2.5), F32)], {"fmod": 1}))
    return out


def _int_pow(x, y, bits):
    if y < 0:
        return 1 if x == 1 else ((-1 if y & 1 else 1) if x == -1 else 0)
    return _wrap(pow(x, y, 1 << bits), bits) if bits else x ** y


def pow_cases():
    out = []
    for tag, sa, sb in BCAST_SHAPES:
        a, b = rand(sa, F32, 0.1, 3), rand(sb, F32, -2, 2)
        out.append(case(f"pow_{tag}", "Pow", [a, b], [to(np.power(f64(a), f64(b)), F32)]))
    a = rand((3, 7), F32, -3, 3)
    out.append(case("pow_square", "Pow", [a, np.array(2.0, F32)], [to(f64(a) ** 2, F32)]))
    out.append(case("pow_half", "Pow", [np.abs(a), np.array(0.5, F32)], [to(np.sqrt(f64(np.abs(a))), F32)]))
    e = rand((7,), I64, -3, 4)
    out.append(case("pow_f32_i64", "Pow", [a, e], [to(np.power(f64(a), f64(e)), F32)], opset=15))
    e32 = rand((3, 1), I32, 0, 4)
    out.append(case("pow_f32_i32", "Pow", [a, e32], [to(np.power(f64(a), f64(e32)), F32)], opset=15))
    x16 = rand((9,), F16, 0.2, 2)
    out.append(case("pow_f16", "Pow", [x16, np.array(3.0, F16)], [to(f64(x16) ** 3, F16)]))
    x64, y64 = rand((5,), F64, 0.1, 4), rand((5,), F64, -3, 3)
    out.append(case("pow_f64", "Pow", [x64, y64], [np.power(x64, y64)]))
    for dt in [I64, I32]:
        xi, yi = rand((2, 6), dt, -5, 5), rand((6,), dt, 0, 5)
        out.append(case(f"pow_{np.dtype(dt).name}", "Pow", [xi, yi],
                        [_int_elementwise(_int_pow, xi, yi, dt)]))
    xi = np.array([2, 1, -1, -1, 0, 3, 2, 10], I64)
    yi = np.array([-1, -5, -3, -2, -1, 0, 63, 20], I64)
    out.append(case("pow_i64_edge", "Pow", [xi, yi], [_int_elementwise(_int_pow, xi, yi, I64)]))
    xi = np.array([4, 9, 2, -8], I32)
    yf = np.array([0.5, 0.5, 3.0, 1.0], F32)
    out.append(case("pow_i32_f32", "Pow", [xi, yf], [np.trunc(np.power(f64(xi), f64(yf))).astype(I32)],
                    opset=15))
    return out


def minmax_binary_cases():
    """Min / Max as variadic ops (1 to 3 inputs, broadcasting) and Sum / Mean."""
    out = []
    for op, ref in [("Min", np.minimum), ("Max", np.maximum)]:
        lo = op.lower()
        for tag, sa, sb in BCAST_SHAPES:
            a, b = rand(sa, F32), rand(sb, F32)
            out.append(case(f"{lo}_{tag}", op, [a, b], [ref(a, b)]))
        a, b, c = rand((2, 1, 4), F32), rand((3, 1), F32), rand((4,), F32)
        out.append(case(f"{lo}_three", op, [a, b, c], [ref(ref(a, b), c)]))
        out.append(case(f"{lo}_single", op, [a], [a.copy()]))
        for dt in [F16, F64, I64, I32, U8, I8]:
            a, b = rand((3, 5), dt, -20 if dt != U8 else 0, 20), rand((5,), dt, 0, 20)
            out.append(case(f"{lo}_{np.dtype(dt).name}", op, [a, b], [ref(a, b)]))
        n = np.array([np.nan, 1, 2, np.nan], F32)
        m = np.array([0, np.nan, 3, 5], F32)
        out.append(case(f"{lo}_nan", op, [n, m], [ref(n, m)]))
    for op in ["Sum", "Mean"]:
        lo = op.lower()
        a, b, c = rand((2, 3, 4), F32), rand((3, 1), F32), rand((), F32)
        for k, ins in enumerate([[a], [a, b], [a, b, c], [b, a, c]]):
            s = sum(f64(x) for x in ins)
            s = np.broadcast_to(s, np.broadcast_shapes(*[x.shape for x in ins]))
            y = s / len(ins) if op == "Mean" else s
            out.append(case(f"{lo}_{k + 1}in" if k < 3 else f"{lo}_bcast_first", op, ins, [to(y, F32)]))
        for dt in [F16, F64]:
            xs = [rand((5,), dt), rand((2, 5), dt), rand((1,), dt)]
            s = sum(f64(x) for x in xs)
            y = s / 3 if op == "Mean" else s
            out.append(case(f"{lo}_{np.dtype(dt).name}", op, xs, [to(y, dt)]))
        xs = [rand((2, 300), F16), rand((300,), F16), rand((2, 1), F16), rand((), F16)]
        s = sum(f64(x) for x in xs)
        out.append(case(f"{lo}_f16_chunks", op, xs, [to(s / 4 if op == "Mean" else s, F16)]))
        e = np.zeros((0, 3), F32)
        out.append(case(f"{lo}_empty", op, [e, rand((3,), F32)], [np.zeros((0, 3), F32)]))
    return out


def prelu_cases():
    out = []
    x = rand((2, 3, 4), F32)
    for tag, slope in [("chan", rand((3, 1), F32, 0, 1)), ("last", rand((4,), F32, 0, 1)),
                       ("scalar", np.array(0.25, F32)), ("full", rand((2, 3, 4), F32, 0, 1)),
                       ("one", rand((1,), F32, 0, 1))]:
        y = np.where(x < 0, f64(x) * f64(slope), f64(x))
        out.append(case(f"prelu_{tag}", "PRelu", [x, slope], [to(y, F32)]))
    for dt in [F16, F64]:
        xd, s = rand((3, 5), dt), rand((5,), dt, 0, 1)
        out.append(case(f"prelu_{np.dtype(dt).name}", "PRelu", [xd, s],
                        [to(np.where(f64(xd) < 0, f64(xd) * f64(s), f64(xd)), dt)]))
    xi, si = rand((2, 5), I64, -9, 9), rand((5,), I64, 0, 3)
    out.append(case("prelu_i64", "PRelu", [xi, si], [np.where(xi < 0, xi * si, xi)], opset=16))
    xi, si = rand((2, 5), I32, -9, 9), rand((2, 1), I32, 0, 3)
    out.append(case("prelu_i32", "PRelu", [xi, si], [np.where(xi < 0, xi * si, xi).astype(I32)],
                    opset=16))
    out.append(case("prelu_empty", "PRelu", [np.zeros((0, 4), F32), rand((4,), F32)],
                    [np.zeros((0, 4), F32)]))
    return out


def compare_cases():
    out = []
    ops = [("Equal", np.equal), ("Less", np.less), ("Greater", np.greater),
           ("LessOrEqual", np.less_equal), ("GreaterOrEqual", np.greater_equal)]
    for op, ref in ops:
        lo = op.lower()
        for tag, sa, sb in BCAST_SHAPES:
            # small integers as floats so that ties occur
            a = rand(sa, I8, -2, 2).astype(F32)
            b = rand(sb, I8, -2, 2).astype(F32)
            out.append(case(f"{lo}_{tag}", op, [a, b], [ref(a, b)]))
        for dt in [F16, F64, I64, I32, U8, I16, U32]:
            lo_v = 0 if np.issubdtype(dt, np.unsignedinteger) else -3
            a, b = rand((3, 5), dt, lo_v, 3), rand((3, 1), dt, lo_v, 3)
            out.append(case(f"{lo}_{np.dtype(dt).name}", op, [a, b], [ref(a, b)]))
        n = np.array([np.nan, 1, np.nan, np.inf, -np.inf], F32)
        m = np.array([np.nan, np.nan, 1, np.inf, 0], F32)
        out.append(case(f"{lo}_nan", op, [n, m], [ref(n, m)]))
    a, b = rand((4, 6), BOOL), rand((6,), BOOL)
    out.append(case("equal_bool", "Equal", [a, b], [np.equal(a, b)]))
    big = np.array([2 ** 62 + 1, -(2 ** 62) - 1, 5], I64)
    big2 = np.array([2 ** 62, -(2 ** 62) - 1, 6], I64)
    out.append(case("less_i64_big", "Less", [big, big2], [big < big2]))
    out.append(case("equal_i64_big", "Equal", [big, big2], [big == big2]))
    return out


def logic_cases():
    out = []
    for op, ref in [("And", np.logical_and), ("Or", np.logical_or), ("Xor", np.logical_xor)]:
        for tag, sa, sb in BCAST_SHAPES:
            a, b = rand(sa, BOOL), rand(sb, BOOL)
            out.append(case(f"{op.lower()}_{tag}", op, [a, b], [ref(a, b)]))
    return out


def bitshift_cases():
    out = []
    for dt, bits in [(U8, 8), (U16, 16), (U32, 32)]:
        x = rand((2, 9), dt, 0, 255)
        s = rand((9,), dt, 0, bits - 1)
        tag = np.dtype(dt).name
        out.append(case(f"bitshift_left_{tag}", "BitShift", [x, s], [np.left_shift(x, s).astype(dt)],
                        {"direction": "LEFT"}, opset=11))
        out.append(case(f"bitshift_right_{tag}", "BitShift", [x, s], [np.right_shift(x, s).astype(dt)],
                        {"direction": "RIGHT"}, opset=11))
    x = np.array([1, 255, 128], U8)
    out.append(case("bitshift_left_scalar", "BitShift", [x, np.array(1, U8)],
                    [np.array([2, 254, 0], U8)], {"direction": "LEFT"}, opset=11))
    return out


# ---------------------------------------------------------------- Clip, Where, Cast

def clip_cases():
    out = []
    x = rand((3, 17), F32, -5, 5)
    xd = f64(x)
    lo, hi = np.array(-1.5, F32), np.array(2.0, F32)
    out.append(case("clip_both", "Clip", [x, lo, hi], [to(np.clip(xd, -1.5, 2.0), F32)], opset=13))
    out.append(case("clip_min_only", "Clip", [x, lo], [to(np.maximum(xd, -1.5), F32)], opset=13))
    out.append(case("clip_max_only", "Clip", [x, None, hi], [to(np.minimum(xd, 2.0), F32)], opset=13))
    out.append(case("clip_none", "Clip", [x], [x.copy()], opset=13))
    out.append(case("clip_inverted", "Clip", [x, hi, lo], [np.full(x.shape, lo, F32)], opset=13))
    out.append(case("clip_shape1_bounds", "Clip", [x, lo.reshape(1), hi.reshape(1)],
                    [to(np.clip(xd, -1.5, 2.0), F32)], opset=13))
    out.append(case("clip_scalar", "Clip", [np.array(7.0, F32), lo, hi], [np.array(2.0, F32)], opset=13))
    out.append(case("clip_empty", "Clip", [np.zeros((0, 2), F32), lo, hi], [np.zeros((0, 2), F32)],
                    opset=13))
    nan = np.array([np.nan, -np.inf, np.inf, 0.5], F32)
    out.append(case("clip_nan", "Clip", [nan, lo, hi], [np.array([np.nan, -1.5, 2.0, 0.5], F32)],
                    opset=13))
    for dt in [F16, F64]:
        xx = rand((2, 9), dt, -5, 5)
        out.append(case(f"clip_{np.dtype(dt).name}", "Clip", [xx, np.array(-1, dt), np.array(3, dt)],
                        [to(np.clip(f64(xx), -1, 3), dt)], opset=13))
    for dt in [I64, I32, U8, I8]:
        lo_v = 0 if dt == U8 else -50
        xx = rand((4, 5), dt, lo_v, 50)
        out.append(case(f"clip_{np.dtype(dt).name}", "Clip", [xx, np.array(lo_v + 10, dt), np.array(20, dt)],
                        [np.clip(xx, lo_v + 10, 20).astype(dt)], opset=13))
    xx = rand((5,), I64, -50, 50)
    out.append(case("clip_i64_max_only", "Clip", [xx, None, np.array(3, I64)],
                    [np.minimum(xx, 3)], opset=13))
    return out


def where_cases():
    out = []
    shapes = [("same", (3, 5), (3, 5), (3, 5)), ("bcast_cond", (5,), (3, 5), (3, 5)),
              ("three_way", (2, 1, 4), (3, 1), (4,)), ("scalar_xy", (2, 7), (), ()),
              ("scalar_cond", (), (3,), (2, 3)), ("empty", (0, 3), (3,), (1,)),
              ("n63", (63,), (63,), (1,))]
    for tag, sc, sx, sy in shapes:
        c, x, y = rand(sc, BOOL), rand(sx, F32), rand(sy, F32)
        out.append(case(f"where_{tag}", "Where", [c, x, y], [np.where(c, x, y)]))
    for dt in [F16, F64, I64, I32, I16, U8, I8, BOOL, U64]:
        c = rand((2, 5), BOOL)
        x, y = rand((2, 5), dt, 0, 100), rand((5,), dt, 0, 100)
        out.append(case(f"where_{np.dtype(dt).name}", "Where", [c, x, y], [np.where(c, x, y)]))
    return out


def _values_for(dt):
    """Values of dtype dt that every destination dtype holds after numpy's astype
    without undefined behaviour (floats non-negative and below 128)."""
    dt = np.dtype(dt)
    if dt == BOOL:
        return np.array([True, False, True, True, False], BOOL)
    if dt.kind == "f":
        return np.array([0.0, 0.4, 1.5, 2.75, 100.9, 127.0, 3.0], dt)
    if dt.kind == "u":
        top = np.iinfo(dt).max
        return np.array([0, 1, 7, 200, top, top // 3], dt)
    info = np.iinfo(dt)
    return np.array([0, 1, -1, info.min, info.max, -100, 77], dt)


def cast_cases():
    out = []
    for src in ALL_DTYPES:
        x = _values_for(src)
        for dst in ALL_DTYPES:
            y = x.astype(dst)
            a, r = tol(dst)
            if np.dtype(src).kind in "iu" and np.dtype(dst) == F16:
                a, r = 0, 0  # ints in f16: exact or inf
            out.append(case(f"cast_{np.dtype(src).name}_to_{np.dtype(dst).name}", "Cast", [x], [y],
                            {"to": _onnx_type(dst)}, atol=a, rtol=r))
    out.extend(cast_edge_cases())
    # shapes: rank 0, empty, 2-D
    out.append(case("cast_scalar", "Cast", [np.array(3.5, F32)], [np.array(3, I64)], {"to": 7}))
    out.append(case("cast_empty", "Cast", [np.zeros((2, 0), F32)], [np.zeros((2, 0), F16)], {"to": 10}))
    big = rand((3, 300), F32, -100, 100)
    out.append(case("cast_f32_f16_big", "Cast", [big], [big.astype(F16)], {"to": 10}, atol=0, rtol=0))
    out.append(case("cast_f16_f32_big", "Cast", [big.astype(F16)], [big.astype(F16).astype(F32)],
                    {"to": 1}, atol=0, rtol=0))
    out.append(case("castlike_f32_i32", "CastLike", [big, np.zeros((1,), I32)],
                    [np.trunc(big).astype(I32)], opset=15))
    out.append(case("castlike_i64_f16", "CastLike", [np.array([1, -2, 70000], I64), np.zeros((), F16)],
                    [np.array([1, -2, np.inf], F16)], opset=15))
    return out


def _onnx_type(dt):
    return {F32: 1, U8: 2, I8: 3, U16: 4, I16: 5, I32: 6, I64: 7, BOOL: 9, F16: 10, F64: 11,
            U32: 12, U64: 13}[np.dtype(dt).type]


def _sat_int(v, dst):
    """voce's float -> int rule: truncate toward zero, NaN -> 0, saturate."""
    info = np.iinfo(dst)
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return info.max if v > 0 else info.min
    t = math.trunc(v)
    return max(info.min, min(info.max, t))


def cast_edge_cases():
    out = []
    vals = [np.nan, np.inf, -np.inf, -0.7, -1.5, -129.9, 255.9, 256.0, 3e9, -3e9, 1e19, -1e19,
            2.0 ** 63, -(2.0 ** 63), 2.0 ** 64, 65535.5, 2147483647.0, -2147483648.0, 0.999]
    for src in [F32, F64, F16]:
        x = np.array(vals, F64).astype(src)
        xs = [float(v) for v in f64(x)]
        for dst in [I8, U8, I16, U16, I32, U32, I64, U64]:
            y = np.array([_sat_int(v, dst) for v in xs], dtype=object).astype(dst)
            out.append(case(f"cast_sat_{np.dtype(src).name}_to_{np.dtype(dst).name}", "Cast", [x], [y],
                            {"to": _onnx_type(dst)}))
        out.append(case(f"cast_sat_{np.dtype(src).name}_to_bool", "Cast", [x],
                        [np.array([v != 0 for v in xs], BOOL)], {"to": 9}))
    # f64 -> f16 right next to rounding ties: one rounding, not two through f32
    e = np.array([1 + 2.0 ** -11 + 2.0 ** -40, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11 - 2.0 ** -45,
                  65519.99, 65520.0, 2.0 ** -25 + 2.0 ** -50, 2.0 ** -25, 1e-9, -(1 + 2.0 ** -11 + 2.0 ** -40),
                  6.1e-5, np.nan, -np.inf], F64)
    out.append(case("cast_f64_to_f16_ties", "Cast", [e], [e.astype(F16)], {"to": 10}, atol=0, rtol=0))
    f = np.array([65504.0, 65519.0, 65520.0, 1e6, -1e6, 5.96e-8, 2.98e-8, 2.99e-8, -0.0], F32)
    out.append(case("cast_f32_to_f16_range", "Cast", [f], [f.astype(F16)], {"to": 10}, atol=0, rtol=0))
    # large ints to floats: correctly rounded (no double rounding through f64)
    bi = np.array([2 ** 53 + 1, 2 ** 62 + 2 ** 38 + 1, -(2 ** 61) - 2 ** 37 - 1, 16777217, 2 ** 63 - 1], I64)
    out.append(case("cast_i64_to_f32_round", "Cast", [bi], [bi.astype(F32)], {"to": 1}, atol=0, rtol=0))
    bu = np.array([2 ** 64 - 1, 2 ** 63 + 2 ** 39 + 1, 16777217], U64)
    out.append(case("cast_u64_to_f32_round", "Cast", [bu], [bu.astype(F32)], {"to": 1}, atol=0, rtol=0))
    return out


def cases():
    with np.errstate(all="ignore"):  # overflow to inf in casts is what is being tested
        return _all_cases()


def _all_cases():
    out = []
    out += unary_float_cases()
    out += unary_attr_cases()
    out += gelu_cases()
    out += special_value_cases()
    out += unary_int_cases()
    out += binary_arith_cases()
    out += mod_cases()
    out += pow_cases()
    out += minmax_binary_cases()
    out += prelu_cases()
    out += compare_cases()
    out += logic_cases()
    out += bitshift_cases()
    out += clip_cases()
    out += where_cases()
    out += cast_cases()
    return out
