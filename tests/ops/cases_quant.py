"""Op cases for the quantization ops: QuantizeLinear, DequantizeLinear,
DynamicQuantizeLinear, MatMulInteger, ConvInteger and the com.microsoft ops
DynamicQuantizeMatMul and MatMulNBits.

Expected values are computed here with numpy, following the ONNX / ONNX Runtime
definitions step by step in the same float32 operations (x / scale, round half to even
with np.rint, saturation; (x - zero_point) * scale), so quantized outputs, DequantizeLinear
and DynamicQuantizeMatMul compare exactly or to one rounding; integer products are exact
(int64 in numpy, then wrapped to int32 as the spec allows); MatMulNBits sums in float64."""
import itertools

import numpy as np

from opcase import Case

rng = np.random.default_rng(2024)
F32 = np.float32
RANGE = {np.uint8: (0, 255), np.int8: (-128, 127), np.uint16: (0, 65535), np.int16: (-32768, 32767)}


def codes(dtype, *shape):
    lo, hi = RANGE[dtype]
    return rng.integers(lo, hi + 1, size=shape).astype(dtype)


def r(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(F32)


def trim(ins):
    """Inputs without the optional ones left out at the end."""
    ins = list(ins)
    while ins and ins[-1] is None:
        ins.pop()
    return ins


def exact(name, op, ins, outs, **kw):
    return Case(name, op, trim(ins), outs, atol=0.0, rtol=0.0, **kw)


# ---- QuantizeLinear / DequantizeLinear ----

def param_shape(x, scale, axis, block):
    """Scale and zero point broadcast to x's shape (per tensor, per axis, blocked)."""
    if scale.size == 1 and scale.ndim <= 1 and not block:
        return lambda p: p.reshape(())
    axis = axis % x.ndim
    if block:
        return lambda p: np.repeat(p, block, axis=axis).take(range(x.shape[axis]), axis=axis)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    return lambda p: p.reshape(shape)


def quantize(x, scale, zp, dtype, axis=1, block=0):
    b = param_shape(x, scale, axis, block)
    q = np.rint(x.astype(F32) / b(scale.astype(F32))) + b(zp.astype(F32) if zp is not None else np.zeros(scale.shape, F32))
    lo, hi = RANGE[dtype]
    return np.clip(q, lo, hi).astype(dtype)


def dequantize(x, scale, zp, axis=1, block=0):
    b = param_shape(x, scale, axis, block)
    z = b(zp.astype(np.int64)) if zp is not None else 0
    return (x.astype(np.int64) - z).astype(F32) * b(scale.astype(F32))


def quantize_cases():
    out = []

    def q(name, x, scale, zp, dtype=np.uint8, axis=None, block=0, opset=13, attrs=None):
        a = dict(attrs or {})
        if axis is not None:
            a["axis"] = axis
        if block:
            a["block_size"] = block
        want = quantize(x, scale, zp, dtype, 1 if axis is None else axis, block)
        ins = [x, scale] + ([zp] if zp is not None else [])
        out.append(exact(name, "QuantizeLinear", ins, [want], attrs=a, opset=opset))

    half = F32(0.5)
    ties = np.array([0.25, 0.75, 1.25, -0.25, -0.75, -1.25, 0.0, 63.75, 64.25, 1000.0, -1000.0,
                     np.inf, -np.inf, 3.1, -2.9], F32)
    q("quantize_ties_u8", ties, np.array(half), np.array(10, np.uint8))
    q("quantize_ties_i8", ties, np.array(half), np.array(-3, np.int8), np.int8)
    q("quantize_no_zp", r(3, 17), np.array(F32(0.02)), None)
    q("quantize_scale_1elem", r(1, 63), np.array([0.01], F32), np.array([128], np.uint8))
    q("quantize_per_axis", r(2, 3, 5), np.array([0.01, 0.02, 0.05], F32), codes(np.int8, 3), np.int8)
    q("quantize_per_axis_neg", r(3, 5), (rng.random(5) * 0.05 + 0.001).astype(F32), codes(np.uint8, 5),
      axis=-1)
    q("quantize_per_axis_0", r(4, 3), (rng.random(4) * 0.05 + 0.001).astype(F32), codes(np.uint8, 4), axis=0)
    q("quantize_blocked", r(4, 6), (rng.random((4, 2)) * 0.05 + 0.001).astype(F32), codes(np.int8, 4, 2),
      np.int8, axis=1, block=4, opset=21)
    q("quantize_blocked_axis0", r(5, 3), (rng.random((3, 3)) * 0.05 + 0.001).astype(F32),
      codes(np.uint8, 3, 3), axis=0, block=2, opset=21)
    q("quantize_u16", r(17, scale=100.0), np.array(F32(0.003)), np.array(30000, np.uint16), np.uint16, opset=21)
    q("quantize_i16", r(17, scale=100.0), np.array(F32(0.002)), np.array(-5, np.int16), np.int16, opset=21)
    q("quantize_output_dtype_i8", r(3, 7), np.array(F32(0.01)), None, np.int8, opset=21,
      attrs={"output_dtype": 3})
    x16 = r(3, 5).astype(np.float16)
    s16 = np.array(0.0125, np.float16)
    want = quantize(x16.astype(F32), s16.astype(F32), np.array(7, np.uint8), np.uint8)
    out.append(exact("quantize_f16", "QuantizeLinear", [x16, s16, np.array(7, np.uint8)], [want], opset=19))
    return out


def dequantize_cases():
    out = []

    def dq(name, x, scale, zp, axis=None, block=0, opset=13):
        a = {}
        if axis is not None:
            a["axis"] = axis
        if block:
            a["block_size"] = block
        want = dequantize(x, scale, zp, 1 if axis is None else axis, block)
        ins = [x, scale] + ([zp] if zp is not None else [])
        out.append(exact(name, "DequantizeLinear", ins, [want], attrs=a, opset=opset))

    dq("dequantize_u8", codes(np.uint8, 3, 17), np.array(F32(0.037)), np.array(131, np.uint8))
    dq("dequantize_i8_no_zp", codes(np.int8, 63), np.array(F32(0.5)), None)
    dq("dequantize_per_axis", codes(np.int8, 3, 4), r(3), codes(np.int8, 3), axis=0)
    dq("dequantize_per_axis_last", codes(np.uint8, 2, 3, 5), r(5), codes(np.uint8, 5), axis=-1)
    dq("dequantize_i32", rng.integers(-2**31, 2**31, size=9).astype(np.int32), np.array(F32(1e-3)), None)
    dq("dequantize_blocked", codes(np.int8, 4, 7), r(4, 2), codes(np.int8, 4, 2), axis=1, block=4, opset=21)
    dq("dequantize_u16", codes(np.uint16, 17), np.array(F32(1e-4)), np.array(32768, np.uint16), opset=21)
    dq("dequantize_i16", codes(np.int16, 5, 3), r(3), codes(np.int16, 3), opset=21)
    x = codes(np.uint8, 4, 9)
    s = np.array(0.0625, np.float16)
    want = ((x.astype(np.int64) - 100).astype(F32) * F32(s)).astype(np.float16)
    out.append(exact("dequantize_f16", "DequantizeLinear", [x, s, np.array(100, np.uint8)], [want], opset=19))
    return out


# ---- DynamicQuantizeLinear (ONNX Runtime's rule for an empty range: scale 1) ----

def dyn_params(x):
    mn = F32(min(F32(0), x.min())) if x.size else F32(0)
    mx = F32(max(F32(0), x.max())) if x.size else F32(0)
    scale = F32(1) if mx == mn else F32((mx - mn) / F32(255))
    z = F32(0) - mn / scale
    z = z if z < F32(255) else F32(255)
    z = z if F32(0) < z else F32(0)
    return scale, F32(np.rint(z))


def dyn_quant(x):
    scale, zp = dyn_params(x)
    y = np.clip(np.rint(x / scale) + zp, 0, 255).astype(np.uint8)
    return y, scale, zp


def dynamic_cases():
    out = []

    def dql(name, x):
        y, s, z = dyn_quant(x)
        out.append(exact(name, "DynamicQuantizeLinear", [x], [y, np.array(s, F32), np.array(z, np.uint8)],
                         opset=11))

    dql("dynq_random", r(3, 17))
    dql("dynq_row", r(1, 63, scale=7.0))
    dql("dynq_positive", np.abs(r(17)) + F32(0.5))
    dql("dynq_negative", -np.abs(r(2, 5)) - F32(1))
    dql("dynq_zeros", np.zeros((3, 4), F32))
    dql("dynq_ties_pos", np.array([0, 0.5, 1.5, 2.5, 3.5, 254.5, 255], F32))
    dql("dynq_ties_neg", np.array([-255, -0.5, -1.5, -2.5, -100.5, 0], F32))
    dql("dynq_zp_tie", np.array([-1, 1, 0.3, -0.7], F32))
    dql("dynq_empty", np.zeros((2, 0), F32))
    return out


# ---- MatMulInteger / DynamicQuantizeMatMul ----

def wrap32(v):
    return ((v.astype(np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def imatmul(a, b, azp=None, bzp=None):
    A = a.astype(np.int64) - (0 if azp is None else azp.astype(np.int64))
    B = b.astype(np.int64) - (0 if bzp is None else bzp.astype(np.int64))
    return wrap32(np.matmul(A, B))


def matmulinteger_cases():
    out = []

    def mmi(name, a, b, azp=None, bzp=None, azp_ref=None, both_absent=False):
        want = imatmul(a, b, azp if azp_ref is None else azp_ref, bzp)
        ins = [a, b] if both_absent else [a, b, azp, bzp]
        out.append(exact(name, "MatMulInteger", ins, [want], opset=10))

    mmi("mmi_u8_scalar_zp", codes(np.uint8, 3, 17), codes(np.uint8, 17, 5), np.array(119, np.uint8),
        np.array(7, np.uint8))
    mmi("mmi_i8_no_zp", codes(np.int8, 1, 63), codes(np.int8, 63, 17), both_absent=True)
    mmi("mmi_u8_i8_batched", codes(np.uint8, 2, 1, 3, 4), codes(np.int8, 5, 4, 6), np.array(3, np.uint8),
        codes(np.int8, 6))
    azp = codes(np.uint8, 7)
    mmi("mmi_row_zp_vector", codes(np.uint8, 7, 9), codes(np.uint8, 9, 3), azp, np.array(128, np.uint8),
        azp_ref=azp.reshape(7, 1))
    mmi("mmi_nd_zps", codes(np.int8, 2, 3, 5), codes(np.uint8, 2, 5, 4), codes(np.int8, 2, 3, 1),
        codes(np.uint8, 2, 1, 4))
    mmi("mmi_1d_a", codes(np.uint8, 17), codes(np.int8, 17, 5), np.array(200, np.uint8), None)
    mmi("mmi_1d_b", codes(np.int8, 3, 17), codes(np.uint8, 17), None, np.array(255, np.uint8))
    mmi("mmi_b_zp_only", codes(np.uint8, 4, 3), codes(np.int8, 3, 2), None, np.array([-128, 127], np.int8))
    # (255 - 0) * (-128 - 127): the largest products, opposite signs
    mmi("mmi_extremes", np.full((2, 3), 255, np.uint8), np.full((3, 2), -128, np.int8),
        np.array(0, np.uint8), np.array(127, np.int8))
    # 40000 * 255 * 255 > 2^31: the int32 accumulation wraps
    mmi("mmi_wraps", np.full((1, 40000), 255, np.uint8), np.full((40000, 1), 255, np.uint8), both_absent=True)
    mmi("mmi_zero_k", np.zeros((3, 0), np.uint8), np.zeros((0, 4), np.uint8), both_absent=True)
    return out


def dqmatmul_cases():
    out = []

    def dqm(name, a, b, bs, bzp=None, bias=None):
        aq, a_scale, a_zp = dyn_quant(a)
        acc = imatmul(aq, b, np.array(a_zp).astype(np.int64), bzp)
        y = acc.astype(F32) * (F32(a_scale) * bs.astype(F32))
        if bias is not None:
            y = y + bias
        out.append(Case(name, "com.microsoft:DynamicQuantizeMatMul", trim([a, b, bs, bzp, bias]), [y.astype(F32)],
                        atol=1e-6, rtol=1e-6, opset=1))

    dqm("dqmm_i8_bias", r(3, 17), codes(np.int8, 17, 5), np.array(F32(0.01)), None, r(5))
    dqm("dqmm_u8_per_col", r(2, 3, 17), codes(np.uint8, 17, 6), (rng.random(6) * 0.02).astype(F32),
        codes(np.uint8, 6), None)
    dqm("dqmm_row", r(1, 63), codes(np.int8, 63, 3), np.array([F32(0.003)]), np.array(-2, np.int8), r(3))
    return out


# ---- com.microsoft:MatMulNBits ----

def pack(c, bits):
    """Codes packed low bits first along the last axis into bytes."""
    per = 8 // bits
    c = c.reshape(c.shape[:-1] + (-1, per)).astype(np.uint16)
    return sum(c[..., j] << (j * bits) for j in range(per)).astype(np.uint8)


def nbits_case(name, a, N, bits, bs, with_zp, flat=False, g_idx=None, bias=False, tol=1e-4):
    K = a.shape[-1]
    kb = -(-K // bs)
    q = rng.integers(0, 2**bits, size=(N, kb * bs))
    B = pack(q, bits).reshape(N, kb, bs * bits // 8)
    scales = (rng.random((N, kb)) * 0.05 + 0.001).astype(a.dtype)
    zb = -(-kb * bits // 8)
    zcodes = rng.integers(0, 2**bits, size=(N, kb)) if with_zp else np.full((N, kb), 2 ** (bits - 1))
    zpad = np.zeros((N, zb * 8 // bits), np.int64)
    zpad[:, :kb] = zcodes
    zp = pack(zpad, bits) if with_zp else None
    blk = g_idx if g_idx is not None else np.arange(K) // bs
    W = (q[:, :K] - zcodes[:, blk]).astype(F32) * scales.astype(F32)[:, blk]
    y = a.astype(np.float64) @ W.astype(np.float64).T
    bvec = r(N).astype(a.dtype) if bias else None
    if bias:
        y = y + bvec.astype(np.float64)
    if flat:
        scales = scales.reshape(-1)
        zp = zp.reshape(-1) if zp is not None else None
    ins = trim([a, B, scales, zp, None if g_idx is None else g_idx.astype(np.int32), bvec])
    attrs = {"K": K, "N": N, "bits": bits, "block_size": bs}
    return Case(name, "com.microsoft:MatMulNBits", ins, [y.astype(a.dtype)], attrs=attrs, atol=tol,
                rtol=tol, opset=1)


def nbits_cases():
    return [
        nbits_case("nbits4_no_zp_pad", r(2, 3, 17), 3, 4, 16, False),
        nbits_case("nbits4_zp_flat", r(5, 64), 63, 4, 32, True, flat=True),
        nbits_case("nbits4_zp_odd_blocks", r(3, 80), 17, 4, 16, True),
        nbits_case("nbits8_zp_bias", r(4, 40), 5, 8, 16, True, bias=True),
        nbits_case("nbits2_zp", r(2, 33), 7, 2, 16, True),
        nbits_case("nbits4_rank1", r(32), 9, 4, 16, False, bias=True),
        nbits_case("nbits4_g_idx", r(3, 32), 4, 4, 16, True, g_idx=rng.integers(0, 2, size=32)),
        nbits_case("nbits4_f16", r(3, 32).astype(np.float16), 9, 4, 16, True, bias=True, tol=2e-2),
        nbits_case("nbits4_wide", r(1, 300), 70, 4, 64, True, tol=2e-4),
    ]


# ---- ConvInteger ----

def conv_int(x, w, xzp, wzp, strides, dil, pads, group):
    nsp = x.ndim - 2
    X = x.astype(np.int64) - (0 if xzp is None else int(xzp))
    Wz = 0 if wzp is None else wzp.astype(np.int64).reshape((-1,) + (1,) * (nsp + 1))
    W = w.astype(np.int64) - Wz
    X = np.pad(X, [(0, 0), (0, 0)] + [(pads[i], pads[nsp + i]) for i in range(nsp)])
    M, cg = w.shape[0], w.shape[1]
    ks = w.shape[2:]
    outs = [(X.shape[2 + i] - ((ks[i] - 1) * dil[i] + 1)) // strides[i] + 1 for i in range(nsp)]
    y = np.zeros((x.shape[0], M) + tuple(outs), np.int64)
    mg = M // group
    for t in itertools.product(*[range(k) for k in ks]):
        sl = tuple(slice(t[i] * dil[i], t[i] * dil[i] + strides[i] * (outs[i] - 1) + 1, strides[i])
                   for i in range(nsp))
        patch = X[(slice(None), slice(None)) + sl]
        for g in range(group):
            wg = W[(slice(g * mg, (g + 1) * mg), slice(None)) + t]
            y[:, g * mg:(g + 1) * mg] += np.einsum("mc,nc...->nm...", wg, patch[:, g * cg:(g + 1) * cg])
    return wrap32(y)


def conv_cases():
    out = []

    def ci(name, x, w, xzp=None, wzp=None, strides=None, dil=None, pads=None, group=1, auto_pad=None):
        nsp = x.ndim - 2
        s, d = strides or [1] * nsp, dil or [1] * nsp
        p = pads or [0] * (2 * nsp)
        if auto_pad == "SAME_UPPER":
            p = [0] * (2 * nsp)
            for i in range(nsp):
                o = -(-x.shape[2 + i] // s[i])
                total = max(0, (o - 1) * s[i] + (w.shape[2 + i] - 1) * d[i] + 1 - x.shape[2 + i])
                p[i], p[nsp + i] = total // 2, total - total // 2
        want = conv_int(x, w, xzp, wzp, s, d, p, group)
        attrs = {"kernel_shape": list(w.shape[2:])}
        if strides:
            attrs["strides"] = strides
        if dil:
            attrs["dilations"] = dil
        if pads:
            attrs["pads"] = pads
        if group != 1:
            attrs["group"] = group
        if auto_pad:
            attrs["auto_pad"] = auto_pad
        out.append(exact(name, "ConvInteger", [x, w, xzp, wzp], [want], attrs=attrs, opset=10))

    ci("convint_1d_u8", codes(np.uint8, 1, 3, 17), codes(np.uint8, 4, 3, 3), np.array(128, np.uint8),
       np.array(3, np.uint8), pads=[1, 1])
    ci("convint_1d_i8_group", codes(np.int8, 2, 6, 17), codes(np.int8, 3, 2, 3), strides=[2], dil=[2],
       pads=[2, 1], group=3)
    ci("convint_2d_per_channel", codes(np.uint8, 1, 1, 9, 7), codes(np.uint8, 5, 1, 3, 3), np.array(17, np.uint8),
       codes(np.uint8, 5), strides=[2, 1], pads=[1, 0, 2, 1])
    ci("convint_2d_same", codes(np.uint8, 2, 3, 8, 5), codes(np.int8, 4, 3, 3, 2), np.array(255, np.uint8),
       np.array(-1, np.int8), strides=[2, 2], auto_pad="SAME_UPPER")
    ci("convint_3d", codes(np.uint8, 1, 2, 3, 4, 5), codes(np.uint8, 2, 2, 2, 2, 2), np.array(1, np.uint8))
    return out


def cases():
    return (quantize_cases() + dequantize_cases() + dynamic_cases() + matmulinteger_cases() +
            dqmatmul_cases() + nbits_cases() + conv_cases())
