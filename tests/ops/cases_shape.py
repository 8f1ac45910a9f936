"""Cases for the data-movement ops of src/kernels/ref/shape*.c: Reshape, Squeeze,
Unsqueeze, Flatten, Identity, Transpose, Concat, Split, Slice, Expand, Tile, Pad, Shape,
Size, ConstantOfShape, DepthToSpace, SpaceToDepth.

Expected outputs come from numpy's own reshape / transpose / concatenate / slicing /
broadcast_to / tile / pad. These kernels only move bytes, so every comparison is exact."""
import numpy as np

from opcase import Case

I64_MAX = np.iinfo(np.int64).max
I64_MIN = np.iinfo(np.int64).min


def _rng(seed):
    return np.random.default_rng(seed)


def data(shape, dtype, seed=0):
    """Small random data of any dtype; distinct-ish values so misplaced bytes show."""
    r = _rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return r.integers(0, 2, size=shape).astype(np.bool_)
    if dtype.kind == "f":
        return r.standard_normal(size=shape).astype(dtype)
    if dtype.kind == "u":
        return r.integers(0, 250, size=shape).astype(dtype)
    return r.integers(-1000, 1000, size=shape).astype(dtype)


def i64(*v):
    return np.array(v, dtype=np.int64)


def exact(name, op, inputs, outputs, attrs=None, opset=17):
    return Case(name, op, inputs, outputs, attrs, atol=0.0, rtol=0.0, opset=opset)


def reshape_cases():
    out = []
    x = data((2, 3, 4), np.float32)
    out.append(exact("reshape_f32", "Reshape", [x, i64(4, 6)], [x.reshape(4, 6)]))
    out.append(exact("reshape_infer_neg1", "Reshape", [x, i64(-1, 4)], [x.reshape(-1, 4)]))
    out.append(exact("reshape_zero_copies", "Reshape", [x, i64(0, -1)], [x.reshape(2, 12)]))
    # the 0 at index 1 copies input dim 1: [4,0,2] -> [4,3,2]
    out.append(exact("reshape_zero_middle", "Reshape", [x, i64(4, 0, 2)], [x.reshape(4, 3, 2)]))
    e = np.zeros((0, 3), np.float32)
    out.append(exact("reshape_allowzero", "Reshape", [e, i64(3, 0)], [e.reshape(3, 0)],
                     {"allowzero": 1}, opset=14))
    out.append(exact("reshape_empty_neg1", "Reshape", [e, i64(-1)], [e.reshape(-1)]))
    s = data((1,), np.int64)
    out.append(exact("reshape_to_scalar", "Reshape", [s, i64()], [s.reshape(())]))
    out.append(exact("reshape_from_scalar", "Reshape", [s.reshape(()), i64(1, 1, -1)],
                     [s.reshape(1, 1, 1)]))
    y = data((2, 1, 3, 1, 2, 2), np.uint8, 1)
    out.append(exact("reshape_u8_rank6", "Reshape", [y, i64(3, 2, 1, 2, 1, 2)],
                     [y.reshape(3, 2, 1, 2, 1, 2)]))
    b = data((4, 6), np.bool_, 2)
    out.append(exact("reshape_bool", "Reshape", [b, i64(2, -1, 3)], [b.reshape(2, -1, 3)]))
    h = data((5, 7), np.float16, 3)
    out.append(exact("reshape_f16_odd", "Reshape", [h, i64(35)], [h.reshape(35)]))
    return out


def squeeze_cases():
    out = []
    x = data((1, 3, 1, 2), np.float32)
    out.append(exact("squeeze_axes", "Squeeze", [x, i64(0, -2)], [x.reshape(3, 2)]))
    out.append(exact("squeeze_all", "Squeeze", [x, None], [x.reshape(3, 2)]))
    out.append(exact("squeeze_empty_axes", "Squeeze", [x, i64()], [x.reshape(3, 2)]))
    out.append(exact("squeeze_one_axis", "Squeeze", [x, i64(2)], [x.reshape(1, 3, 2)]))
    s = data((1, 1), np.int64)
    out.append(exact("squeeze_to_scalar", "Squeeze", [s, None], [s.reshape(())]))
    e = np.zeros((0, 1, 2), np.bool_)
    out.append(exact("squeeze_empty", "Squeeze", [e, i64(1)], [e.reshape(0, 2)]))
    out.append(exact("squeeze_nothing", "Squeeze", [data((2, 3), np.float16), None],
                     [data((2, 3), np.float16)]))
    return out


def unsqueeze_cases():
    out = []
    x = data((3, 4), np.float32)
    out.append(exact("unsqueeze_ends", "Unsqueeze", [x, i64(0, -1)], [x.reshape(1, 3, 4, 1)]))
    out.append(exact("unsqueeze_unsorted", "Unsqueeze", [x, i64(3, 0, 1)], [x.reshape(1, 1, 3, 1, 4)]))
    s = np.array(5, np.int32)
    out.append(exact("unsqueeze_scalar", "Unsqueeze", [s, i64(0)], [s.reshape(1)]))
    u = data((2, 0), np.uint8)
    out.append(exact("unsqueeze_empty", "Unsqueeze", [u, i64(1)], [u.reshape(2, 1, 0)]))
    b = data((2, 3, 2), np.bool_, 4)
    out.append(exact("unsqueeze_bool_rank6", "Unsqueeze", [b, i64(-1, 1, -3)],
                     [b.reshape(2, 1, 3, 1, 2, 1)]))
    return out


def flatten_cases():
    out = []
    x = data((2, 3, 4, 5), np.float32)
    out.append(exact("flatten_default", "Flatten", [x], [x.reshape(2, 60)]))
    out.append(exact("flatten_axis0", "Flatten", [x], [x.reshape(1, 120)], {"axis": 0}))
    out.append(exact("flatten_axis_rank", "Flatten", [x], [x.reshape(120, 1)], {"axis": 4}))
    out.append(exact("flatten_axis_neg", "Flatten", [x], [x.reshape(24, 5)], {"axis": -1}))
    out.append(exact("flatten_axis2_i64", "Flatten", [data((2, 3, 4), np.int64)],
                     [data((2, 3, 4), np.int64).reshape(6, 4)], {"axis": 2}))
    e = np.zeros((3, 0, 2), np.float16)
    out.append(exact("flatten_empty", "Flatten", [e], [e.reshape(3, 0)]))
    return out


def identity_cases():
    return [
        exact("identity_f16", "Identity", [data((3, 5), np.float16)], [data((3, 5), np.float16)]),
        exact("identity_bool_scalar", "Identity", [np.array(True)], [np.array(True)]),
        exact("identity_empty", "Identity", [np.zeros((0, 4), np.int32)], [np.zeros((0, 4), np.int32)]),
    ]


def transpose_cases():
    out = []
    x = data((2, 3, 4), np.float32)
    out.append(exact("transpose_default", "Transpose", [x], [x.transpose()]))
    y = data((2, 3, 4, 5), np.float32, 1)
    out.append(exact("transpose_0213", "Transpose", [y], [y.transpose(0, 2, 1, 3)], {"perm": [0, 2, 1, 3]}))
    out.append(exact("transpose_3102_f16", "Transpose", [y.astype(np.float16)],
                     [y.astype(np.float16).transpose(3, 1, 0, 2)], {"perm": [3, 1, 0, 2]}))
    m = data((37, 53), np.float32, 2)
    out.append(exact("transpose_2d_tiled", "Transpose", [m], [m.T], {"perm": [1, 0]}))
    u = data((64, 33), np.uint8, 3)
    out.append(exact("transpose_u8_tiled", "Transpose", [u], [u.T], {"perm": [1, 0]}))
    big = data((2, 65, 70), np.int64, 4)
    out.append(exact("transpose_batched_tiled_i64", "Transpose", [big], [big.transpose(0, 2, 1)],
                     {"perm": [0, 2, 1]}))
    o = data((5, 17, 3), np.int32, 5)
    out.append(exact("transpose_odd_120", "Transpose", [o], [o.transpose(1, 2, 0)], {"perm": [1, 2, 0]}))
    s1 = data((3, 1, 5), np.int64, 6)
    out.append(exact("transpose_size1", "Transpose", [s1], [s1.transpose(1, 2, 0)], {"perm": [1, 2, 0]}))
    r6 = data((2, 3, 1, 2, 3, 2), np.float32, 7)
    p6 = [4, 0, 5, 2, 1, 3]
    out.append(exact("transpose_rank6", "Transpose", [r6], [r6.transpose(p6)], {"perm": p6}))
    b = data((4, 7), np.bool_, 8)
    out.append(exact("transpose_bool", "Transpose", [b], [b.T]))
    e = np.zeros((0, 3, 2), np.float32)
    out.append(exact("transpose_empty", "Transpose", [e], [e.transpose(2, 0, 1)], {"perm": [2, 0, 1]}))
    sc = np.array(2.5, np.float32)
    out.append(exact("transpose_scalar", "Transpose", [sc], [sc]))
    return out


def concat_cases():
    out = []
    a, b, c = data((2, 3), np.float32, 1), data((2, 1), np.float32, 2), data((2, 4), np.float32, 3)
    out.append(exact("concat_axis1", "Concat", [a, b, c], [np.concatenate([a, b, c], 1)], {"axis": 1}))
    out.append(exact("concat_axis_neg", "Concat", [a, b], [np.concatenate([a, b], -1)], {"axis": -1}))
    d = data((3, 3), np.float32, 4)
    out.append(exact("concat_axis0", "Concat", [a, d], [np.concatenate([a, d], 0)], {"axis": 0}))
    e = np.zeros((2, 0), np.float32)
    out.append(exact("concat_with_empty", "Concat", [a, e, b], [np.concatenate([a, e, b], 1)], {"axis": 1}))
    out.append(exact("concat_all_empty", "Concat", [e, e], [np.concatenate([e, e], 1)], {"axis": 1}))
    i = [data((2, 2, k), np.int64, k) for k in (1, 2, 3)]
    out.append(exact("concat_i64_3in", "Concat", i, [np.concatenate(i, 2)], {"axis": 2}))
    bb = [data((1, 5), np.bool_, k) for k in (5, 6)]
    out.append(exact("concat_bool", "Concat", bb, [np.concatenate(bb, 0)], {"axis": 0}))
    h = [data((2, 1, 3, 1, 2, k), np.float16, k) for k in (1, 3)]
    out.append(exact("concat_f16_rank6", "Concat", h, [np.concatenate(h, 5)], {"axis": 5}))
    u = [data((3, k, 2), np.uint8, k) for k in (2, 1)]
    out.append(exact("concat_u8_mid", "Concat", u, [np.concatenate(u, 1)], {"axis": -2}))
    s = data((4,), np.int32, 9)
    out.append(exact("concat_single", "Concat", [s], [s], {"axis": 0}))
    return out


def split_cases():
    out = []
    x = data((6, 4), np.float32)
    out.append(exact("split_even", "Split", [x], np.split(x, 3, 0), {"axis": 0}, opset=13))
    y = data((2, 6), np.float32, 1)
    out.append(exact("split_sizes", "Split", [y, i64(1, 3, 2)], np.split(y, [1, 4], 1), {"axis": 1}))
    out.append(exact("split_sizes_neg_axis", "Split", [y, i64(4, 2)], np.split(y, [4], 1), {"axis": -1}))
    z = data((7, 2), np.int64, 2)
    out.append(exact("split_uneven_opset18", "Split", [z], [z[0:3], z[3:6], z[6:7]],
                     {"axis": 0, "num_outputs": 3}, opset=18))
    out.append(exact("split_even_opset18", "Split", [z[:6]], [z[0:2], z[2:4], z[4:6]],
                     {"axis": 0, "num_outputs": 3}, opset=18))
    b = data((3, 8), np.bool_, 3)
    out.append(exact("split_zero_chunk", "Split", [b, i64(2, 0, 6)], [b[:, :2], b[:, 2:2], b[:, 2:]],
                     {"axis": 1}))
    out.append(exact("split_empty_sizes", "Split", [x, i64()], np.split(x, 2, 0), {"axis": 0}))
    h = data((2, 3, 5), np.float16, 4)
    out.append(exact("split_single", "Split", [h], [h], {"axis": 2}))
    u = data((2, 5, 3), np.uint8, 5)
    out.append(exact("split_u8_mid", "Split", [u, i64(2, 3)], [u[:, :2], u[:, 2:]], {"axis": 1}))
    e = np.zeros((0, 4), np.float32)
    out.append(exact("split_empty_rows", "Split", [e], [e[:, :2], e[:, 2:]], {"axis": 1}))
    return out


def slice_cases():
    out = []
    x = data((5, 6), np.float32)
    out.append(exact("slice_basic", "Slice", [x, i64(1, 2), i64(4, 5)], [x[1:4, 2:5]]))
    v = data((10,), np.int64, 1)
    out.append(exact("slice_reverse", "Slice", [v, i64(-1), i64(I64_MIN), None, i64(-1)], [v[::-1]]))
    out.append(exact("slice_reverse_step3", "Slice", [v, i64(8), i64(-100), i64(0), i64(-3)], [v[8::-3]]))
    # ONNX clamps a backward start into [0, dim-1], so a start before the first element
    # still takes element 0 (Python slicing would give nothing)
    out.append(exact("slice_neg_step_start_below", "Slice", [v, i64(-100), i64(I64_MIN), i64(0), i64(-1)],
                     [v[0:1]]))
    out.append(exact("slice_axes_steps", "Slice", [x, i64(0, 1), i64(6, 5), i64(-1, 0), i64(2, 2)],
                     [x[1:5:2, 0:6:2]]))
    out.append(exact("slice_out_of_range", "Slice", [x, i64(-100), i64(100), i64(1)], [x[:, :]]))
    out.append(exact("slice_int64_max", "Slice", [x, i64(2), i64(I64_MAX), i64(0)], [x[2:]]))
    out.append(exact("slice_neg_start_clamped", "Slice", [x, i64(100), i64(0), i64(1), i64(-2)],
                     [x[:, 100:0:-2]]))
    out.append(exact("slice_empty_result", "Slice", [x, i64(3), i64(1), i64(0)], [x[3:1]]))
    out.append(exact("slice_empty_reverse", "Slice", [x, i64(1), i64(3), i64(0), i64(-1)], [x[1:3:-1]]))
    out.append(exact("slice_big_step", "Slice", [x, i64(1), i64(6), i64(1), i64(100)], [x[:, 1:6:100]]))
    out.append(exact("slice_big_neg_step", "Slice", [x, i64(-1), i64(I64_MIN), i64(0), i64(I64_MIN)],
                     [x[-1::-(2 ** 62)]]))
    out.append(exact("slice_i32_params", "Slice",
                     [x, np.array([-4], np.int32), np.array([-1], np.int32), np.array([1], np.int32)],
                     [x[:, -4:-1]]))
    r6 = data((2, 3, 2, 4, 1, 3), np.uint8, 2)
    out.append(exact("slice_u8_rank6", "Slice", [r6, i64(1, 3, -1), i64(3, 0, I64_MIN), i64(1, 3, 5),
                                                  i64(1, -1, -2)], [r6[:, 1:3, :, 3:0:-1, :, ::-2]]))
    b = data((4, 4), np.bool_, 3)
    out.append(exact("slice_bool_noaxes", "Slice", [b, i64(1), i64(3)], [b[1:3]]))
    h = data((3, 8), np.float16, 4)
    out.append(exact("slice_f16_inner_step", "Slice", [h, i64(1, 7), i64(3, 0), i64(0, 1), i64(1, -3)],
                     [h[1:3, 7:0:-3]]))
    e = np.zeros((0, 5), np.float32)
    out.append(exact("slice_empty_input", "Slice", [e, i64(0, 1), i64(1, 4), i64(0, 1)], [e[0:1, 1:4]]))
    out.append(exact("slice_empty_input_neg", "Slice", [e, i64(-1), i64(I64_MIN), i64(0), i64(-1)],
                     [e[::-1]]))
    return out


def expand_cases():
    out = []
    x = data((3, 1), np.float32)
    out.append(exact("expand_f32", "Expand", [x, i64(2, 1, 6)], [np.broadcast_to(x, (2, 3, 6))]))
    y = data((2, 3, 4), np.int64, 1)
    out.append(exact("expand_smaller_shape", "Expand", [y, i64(3, 1)], [y]))
    s = np.array(7, np.int32)
    out.append(exact("expand_scalar", "Expand", [s, i64(2, 3)], [np.broadcast_to(s, (2, 3))]))
    b = data((1, 4), np.bool_, 2)
    out.append(exact("expand_bool", "Expand", [b, i64(3, 1)], [np.broadcast_to(b, (3, 4))]))
    h = data((2, 1, 3), np.float16, 3)
    out.append(exact("expand_f16_mid", "Expand", [h, i64(2, 1, 5, 1)], [np.broadcast_to(h, (2, 2, 5, 3))]))
    u = data((1, 3), np.uint8, 4)
    out.append(exact("expand_to_empty", "Expand", [u, i64(0, 1)], [np.broadcast_to(u, (0, 3))]))
    r6 = data((1, 2, 1, 3, 1, 1), np.float32, 5)
    out.append(exact("expand_rank6", "Expand", [r6, i64(2, 1, 3, 1, 2, 1)],
                     [np.broadcast_to(r6, (2, 2, 3, 3, 2, 1))]))
    return out


def tile_cases():
    out = []
    x = data((2, 3), np.float32)
    out.append(exact("tile_2d", "Tile", [x, i64(2, 3)], [np.tile(x, (2, 3))]))
    y = data((2, 1, 3), np.int64, 1)
    out.append(exact("tile_i64_mid", "Tile", [y, i64(1, 4, 1)], [np.tile(y, (1, 4, 1))]))
    out.append(exact("tile_zero", "Tile", [x, i64(0, 2)], [np.tile(x, (0, 2))]))
    s = np.array(3.5, np.float32)
    out.append(exact("tile_scalar", "Tile", [s, i64()], [s]))
    b = data((3,), np.bool_, 2)
    out.append(exact("tile_bool", "Tile", [b, i64(4)], [np.tile(b, 4)]))
    h = data((1, 2, 1, 2, 3), np.float16, 3)
    out.append(exact("tile_f16_rank5", "Tile", [h, i64(2, 1, 3, 2, 1)], [np.tile(h, (2, 1, 3, 2, 1))]))
    u = data((3, 1), np.uint8, 4)
    out.append(exact("tile_u8_inner", "Tile", [u, i64(1, 5)], [np.tile(u, (1, 5))]))
    return out


def _np_pad(x, begin, end, mode, value=0):
    """Pad as the kernel defines it: negative pads crop first, then numpy.pad pads the
    kept part. wrap is written as periodic indexing: numpy's wrap is irregular when a
    pad exceeds the axis and the two sides differ."""
    if x.ndim == 0:
        return x.copy()
    keep = tuple(slice(max(-b, 0), x.shape[d] - max(-e, 0)) for d, (b, e) in enumerate(zip(begin, end)))
    x = x[keep]
    width = [(max(b, 0), max(e, 0)) for b, e in zip(begin, end)]
    if mode == "wrap":
        for d, (b, e) in enumerate(width):
            if b or e:
                x = np.take(x, np.arange(-b, x.shape[d] + e) % x.shape[d], axis=d)
        return x
    kw = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, width, mode=mode, **kw)


def pad_case(name, x, begin, end, mode="constant", value=None, axes=None, opset=17):
    pads = i64(*(list(begin) + list(end)))
    cv = None if value is None else np.array(value, dtype=x.dtype)
    ins = [x, pads, cv] + ([i64(*axes)] if axes is not None else [])
    fb, fe = list(begin), list(end)
    if axes is not None:
        fb, fe = [0] * x.ndim, [0] * x.ndim
        for k, a in enumerate(axes):
            fb[a], fe[a] = begin[k], end[k]
    want = _np_pad(x, fb, fe, mode, 0 if value is None else value)
    attrs = {} if mode == "constant" else {"mode": mode}
    return exact(name, "Pad", ins, [want], attrs, opset)


def pad_cases():
    x = data((2, 3), np.float32)
    y = data((4, 5), np.float32, 1)
    z = data((2, 3, 4), np.int64, 2)
    return [
        pad_case("pad_constant_value", x, [1, 2], [0, 1], value=1.5),
        pad_case("pad_constant_default", z, [0, 1, 2], [1, 0, 3]),
        pad_case("pad_constant_u8", data((3, 2), np.uint8, 3), [1, 1], [1, 1], value=7),
        pad_case("pad_constant_bool", data((2, 2), np.bool_, 4), [0, 1], [1, 0], value=True),
        pad_case("pad_constant_f16", data((2, 1, 3), np.float16, 5), [1, 0, 2], [0, 2, 1], value=-2.0),
        pad_case("pad_reflect", y, [0, 2], [3, 4], "reflect"),
        pad_case("pad_reflect_wide", data((3,), np.float32, 6), [5], [5], "reflect"),
        pad_case("pad_reflect_size1", data((1, 3), np.int32, 7), [2, 0], [1, 0], "reflect"),
        pad_case("pad_edge", z, [1, 0, 2], [2, 1, 1], "edge"),
        pad_case("pad_wrap", y, [1, 2], [3, 5], "wrap"),
        pad_case("pad_wrap_wide", data((2, 3), np.int64, 8), [0, 7], [0, 4], "wrap"),
        pad_case("pad_crop_constant", y, [-1, 1], [0, -2], value=9.0),
        pad_case("pad_crop_all", y, [-2, -1], [-1, -3]),
        pad_case("pad_crop_past_data", y, [0, -5], [0, 2], value=3.0),
        pad_case("pad_crop_reflect", y, [-1, 2], [1, -1], "reflect"),
        pad_case("pad_crop_edge", z, [0, -1, 1], [-1, 2, -2], "edge"),
        # the padding reads only what the crop keeps
        pad_case("pad_crop_wrap", data((4,), np.float32, 10), [-1], [2], "wrap"),
        pad_case("pad_crop_reflect_wide", data((4,), np.int64, 11), [-1], [3], "reflect"),
        pad_case("pad_crop_to_empty", y, [-2, 0], [-2, 1], value=5.0),
        pad_case("pad_wrap_uneven_wide", data((4, 2), np.float16, 12), [0, 5], [0, 1], "wrap"),
        pad_case("pad_axes", z, [1, 2], [1, 2], axes=[0, -1], opset=18),
        pad_case("pad_axes_edge", z, [1], [2], "edge", axes=[1], opset=18),
        pad_case("pad_scalar", np.array(4.0, np.float32), [], []),
        pad_case("pad_empty_input", np.zeros((0, 3), np.float32), [1, 0], [1, 0], value=2.0),
        pad_case("pad_empty_stays", np.zeros((2, 0), np.float32), [1, 0], [0, 0], "edge"),
        pad_case("pad_edge_rank6", data((2, 1, 2, 1, 2, 3), np.uint8, 9), [0, 1, 0, 2, 1, 0],
                 [1, 0, 1, 0, 0, 2], "edge"),
    ]


def shape_cases():
    x = data((2, 3, 4), np.float32)
    return [
        exact("shape_f32", "Shape", [x], [i64(2, 3, 4)]),
        exact("shape_start", "Shape", [x], [i64(3, 4)], {"start": 1}, opset=15),
        exact("shape_end_neg", "Shape", [x], [i64(2, 3)], {"end": -1}, opset=15),
        exact("shape_clamped", "Shape", [x], [i64(3, 4)], {"start": -2, "end": 10}, opset=15),
        exact("shape_empty_range", "Shape", [x], [i64()], {"start": 2, "end": 1}, opset=15),
        exact("shape_scalar", "Shape", [np.array(True)], [i64()]),
        exact("shape_empty_tensor", "Shape", [np.zeros((3, 0), np.uint8)], [i64(3, 0)]),
    ]


def size_cases():
    return [
        exact("size_f32", "Size", [data((2, 3, 4), np.float32)], [np.array(24, np.int64)]),
        exact("size_scalar", "Size", [np.array(3, np.int32)], [np.array(1, np.int64)]),
        exact("size_empty", "Size", [np.zeros((3, 0, 2), np.float16)], [np.array(0, np.int64)]),
    ]


def constant_of_shape_cases():
    def cos(name, shape, value):
        attrs = {} if value is None else {"value": value}
        dt = np.float32 if value is None else value.dtype
        v = 0 if value is None else value[0]
        return exact(name, "ConstantOfShape", [i64(*shape)], [np.full(shape, v, dtype=dt)], attrs)

    return [
        cos("constantofshape_f32", (2, 3), np.array([1.5], np.float32)),
        cos("constantofshape_default", (3, 1, 2), None),
        cos("constantofshape_i64", (4,), np.array([7], np.int64)),
        cos("constantofshape_i32_neg", (2, 2), np.array([-3], np.int32)),
        cos("constantofshape_bool", (2, 5), np.array([True])),
        cos("constantofshape_f16", (3, 3), np.array([0.25], np.float16)),
        cos("constantofshape_scalar", (), np.array([2.0], np.float32)),
        cos("constantofshape_empty", (0, 3), np.array([1], np.int64)),
        cos("constantofshape_u8_rank6", (1, 2, 1, 3, 2, 1), np.array([200], np.uint8)),
    ]


def depth_space_cases():
    out = []
    x = data((2, 8, 2, 3), np.float32)
    b = 2
    n, c, h, w = x.shape
    dcr = x.reshape(n, b, b, c // 4, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c // 4, h * b, w * b)
    crd = x.reshape(n, c // 4, b, b, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // 4, h * b, w * b)
    out.append(exact("depthtospace_dcr", "DepthToSpace", [x], [dcr], {"blocksize": 2}))
    out.append(exact("depthtospace_crd", "DepthToSpace", [x], [crd], {"blocksize": 2, "mode": "CRD"}))
    y = data((1, 2, 6, 9), np.int64, 1)
    n, c, h, w = y.shape
    s2d = y.reshape(n, c, h // 3, 3, w // 3, 3).transpose(0, 3, 5, 1, 2, 4).reshape(n, c * 9, h // 3, w // 3)
    out.append(exact("spacetodepth_b3", "SpaceToDepth", [y], [s2d], {"blocksize": 3}))
    return out


def cases():
    return (reshape_cases() + squeeze_cases() + unsqueeze_cases() + flatten_cases() +
            identity_cases() + transpose_cases() + concat_cases() + split_cases() +
            slice_cases() + expand_cases() + tile_cases() + pad_cases() + shape_cases() +
            size_cases() + constant_of_shape_cases() + depth_space_cases())
