"""Op cases for Conv, ConvTranspose and pooling (expected values from torch in float64).

Asymmetric and auto_pad padding is applied explicitly (F.pad, or cropping a full
transposed convolution) so that the reference does not depend on torch's own padding
conventions."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from opcase import Case

rng = np.random.default_rng(4321)


def r(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def t64(x):
    return torch.from_numpy(np.array(x, dtype=np.float64))


def auto_pads(mode, in_sp, k, s, d):
    """Explicit [begins..., ends...] pads of Conv / pooling auto_pad."""
    b, e = [], []
    for n, kk, ss, dd in zip(in_sp, k, s, d):
        if mode == "VALID":
            b.append(0), e.append(0)
            continue
        out = -(-n // ss)
        total = max(0, (out - 1) * ss + (kk - 1) * dd + 1 - n)
        lo = total // 2 if mode == "SAME_UPPER" else total - total // 2
        b.append(lo), e.append(total - lo)
    return b + e


def torch_pad_arg(pads):
    """ONNX [b1, b2, .., e1, e2, ..] to F.pad's (b_last, e_last, ..., b1, e1)."""
    n = len(pads) // 2
    out = []
    for i in reversed(range(n)):
        out += [pads[i], pads[n + i]]
    return out


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv_ref(x, w, b, strides, pads, dilations, group):
    nsp = x.ndim - 2
    xp = F.pad(t64(x), torch_pad_arg(pads))
    y = CONV[nsp](xp, t64(w), None if b is None else t64(b), stride=strides,
                  dilation=dilations, groups=group)
    return y.numpy().astype(x.dtype)


def conv_cases():
    out = []

    def conv(name, x, w, b=None, strides=None, pads=None, dilations=None, group=1,
             auto_pad=None, kernel_shape=False, **kw):
        nsp = x.ndim - 2
        k = list(w.shape[2:])
        s = strides or [1] * nsp
        d = dilations or [1] * nsp
        if auto_pad and auto_pad != "NOTSET":
            p = auto_pads(auto_pad, x.shape[2:], k, s, d)
        else:
            p = pads or [0] * (2 * nsp)
        attrs = {}
        if strides:
            attrs["strides"] = strides
        if pads:
            attrs["pads"] = pads
        if dilations:
            attrs["dilations"] = dilations
        if group != 1:
            attrs["group"] = group
        if auto_pad:
            attrs["auto_pad"] = auto_pad
        if kernel_shape:
            attrs["kernel_shape"] = k
        want = conv_ref(x, w, b, s, p, d, group)
        ins = [x, w] + ([b] if b is not None else [])
        kw.setdefault("atol", 1e-4)
        kw.setdefault("rtol", 1e-4)
        out.append(Case(name, "Conv", ins, [want], attrs=attrs, **kw))

    conv("conv1d_basic", r(2, 3, 17), r(5, 3, 3), r(5), pads=[1, 1])
    conv("conv1d_stride_dilation_asym", r(1, 4, 63), r(6, 4, 5), r(6), strides=[3],
         dilations=[2], pads=[2, 1])
    conv("conv1d_group", r(2, 6, 17), r(9, 2, 3), r(9), group=3, pads=[0, 2])
    conv("conv1d_depthwise", r(1, 8, 33), r(8, 1, 5), r(8), group=8, pads=[2, 2])
    conv("conv1d_depthwise_multiplier", r(1, 4, 20), r(8, 1, 3), group=4, strides=[2])
    # Conformer conv module (depthwise, kernel 9): positions past one 512 tile, enough
    # work to be shared among threads; and batches x multiplier x dilation
    conv("conv1d_depthwise_conformer", r(1, 64, 1030), r(64, 1, 9), r(64), group=64,
         pads=[4, 4], atol=1e-5)
    conv("conv1d_depthwise_batched_dilated", r(3, 5, 700), r(10, 1, 4), r(10), group=5,
         pads=[3, 2], dilations=[2])
    conv("conv1d_pointwise", r(2, 16, 9), r(7, 16, 1), r(7))
    conv("conv1d_kernel_shape_attr", r(1, 3, 10), r(2, 3, 4), kernel_shape=True)
    conv("conv1d_same_upper", r(1, 3, 17), r(4, 3, 4), strides=[2], auto_pad="SAME_UPPER")
    conv("conv1d_same_lower", r(1, 3, 17), r(4, 3, 4), strides=[2], auto_pad="SAME_LOWER")
    conv("conv1d_valid", r(1, 3, 17), r(4, 3, 4), r(4), strides=[3], auto_pad="VALID")
    conv("conv1d_length1", r(3, 5, 1), r(2, 5, 1), r(2))
    # Silero VAD: STFT as a strided conv, then the first two encoder layers
    conv("conv1d_silero_stft", r(1, 1, 640), r(258, 1, 256), strides=[128], pads=[0, 0],
         atol=2e-4)
    conv("conv1d_silero_enc0", r(1, 129, 4), r(128, 129, 3), r(128), pads=[1, 1], atol=2e-4)
    conv("conv1d_silero_enc1", r(1, 128, 4), r(64, 128, 3), r(64), pads=[1, 1], strides=[2],
         atol=2e-4)
    conv("conv2d_basic", r(2, 3, 9, 11), r(4, 3, 3, 3), r(4), pads=[1, 1, 1, 1])
    conv("conv2d_asym", r(1, 2, 10, 7), r(3, 2, 3, 2), r(3), pads=[0, 1, 2, 0],
         strides=[2, 1], dilations=[1, 2])
    conv("conv2d_group", r(1, 4, 8, 8), r(6, 2, 3, 3), group=2, pads=[1, 1, 1, 1])
    conv("conv2d_depthwise", r(1, 6, 7, 9), r(6, 1, 3, 3), r(6), group=6, pads=[1, 1, 1, 1],
         strides=[2, 2])
    # FastConformer's depthwise-striding subsampling: 3x3 stride 2, a grid of 735
    # positions (tiles cross rows)
    conv("conv2d_depthwise_strided_tiles", r(2, 8, 70, 41), r(8, 1, 3, 3), r(8), group=8,
         pads=[1, 1, 1, 1], strides=[2, 2])
    conv("conv2d_depthwise_dilated_asym_mult", r(2, 3, 9, 11), r(6, 1, 3, 2), r(6), group=3,
         dilations=[2, 3], pads=[2, 0, 1, 3], strides=[1, 2])
    conv("conv2d_depthwise_tiny_image", r(3, 4, 2, 3), r(4, 1, 3, 3), r(4), group=4,
         pads=[1, 1, 1, 1])
    conv("conv2d_pointwise_batched", r(8, 16, 6, 5), r(12, 16, 1, 1), r(12))
    conv("conv2d_pointwise_batched_grouped", r(5, 8, 4, 4), r(6, 4, 1, 1), r(6), group=2)
    conv("conv3d_depthwise", r(1, 3, 5, 6, 7), r(3, 1, 2, 3, 2), group=3, pads=[1, 0, 1, 0, 1, 1])
    conv("conv2d_same_lower", r(1, 2, 7, 8), r(3, 2, 3, 4), strides=[2, 3],
         auto_pad="SAME_LOWER")
    conv("conv2d_same_upper_dilated", r(1, 2, 9, 8), r(3, 2, 3, 3), dilations=[2, 1],
         auto_pad="SAME_UPPER")
    conv("conv2d_tiled_columns", r(1, 32, 64, 64), r(4, 32, 3, 3), r(4), pads=[1, 1, 1, 1],
         atol=3e-4)
    conv("conv3d", r(1, 2, 5, 6, 7), r(3, 2, 3, 2, 3), r(3), pads=[1, 0, 1, 1, 1, 0],
         strides=[1, 2, 1])
    conv("conv3d_group_dilated", r(2, 4, 6, 5, 6), r(4, 2, 2, 2, 2), group=2,
         dilations=[2, 1, 2])
    conv("conv1d_f16", r(1, 16, 33, dtype=np.float16), r(8, 16, 3, dtype=np.float16),
         r(8, dtype=np.float16), pads=[1, 1], atol=2e-2, rtol=1e-2)
    conv("conv2d_f16", r(1, 3, 6, 5, dtype=np.float16), r(2, 3, 3, 3, dtype=np.float16),
         strides=[2, 1], pads=[1, 1, 0, 1], atol=2e-2, rtol=1e-2)
    return out


def convt_ref(x, w, b, strides, pads, dilations, group, opad):
    """Full transposed convolution, zero-extended by output_padding, cropped by pads."""
    nsp = x.ndim - 2
    y = CONVT[nsp](t64(x), t64(w), None, stride=strides, dilation=dilations, groups=group)
    y = F.pad(y, torch_pad_arg([0] * nsp + list(opad)))
    sl = [slice(None), slice(None)]
    for i in range(nsp):
        sl.append(slice(pads[i], y.shape[2 + i] - pads[nsp + i]))
    y = y[tuple(sl)]
    if b is not None:
        y = y + t64(b).reshape([1, -1] + [1] * nsp)
    return y.numpy().astype(x.dtype)


def convt_cases():
    out = []

    def convt(name, x, w, b=None, strides=None, pads=None, dilations=None, group=1,
              output_padding=None, output_shape=None, auto_pad=None, **kw):
        nsp = x.ndim - 2
        k = list(w.shape[2:])
        s = strides or [1] * nsp
        d = dilations or [1] * nsp
        op = output_padding or [0] * nsp
        attrs = {}
        for key, v in (("strides", strides), ("pads", pads), ("dilations", dilations),
                       ("output_padding", output_padding), ("output_shape", output_shape),
                       ("auto_pad", auto_pad)):
            if v:
                attrs[key] = v
        if group != 1:
            attrs["group"] = group
        if output_shape or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            # the ONNX formulas: total padding from the requested output
            b_, e_ = [], []
            for i in range(nsp):
                full = s[i] * (x.shape[2 + i] - 1) + op[i] + (k[i] - 1) * d[i] + 1
                want_out = output_shape[i] if output_shape else x.shape[2 + i] * s[i]
                total = full - want_out
                lo = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
                b_.append(lo), e_.append(total - lo)
            p = b_ + e_
        else:
            p = pads or [0] * (2 * nsp)
        want = convt_ref(x, w, b, s, p, d, group, op)
        ins = [x, w] + ([b] if b is not None else [])
        kw.setdefault("atol", 1e-4)
        kw.setdefault("rtol", 1e-4)
        out.append(Case(name, "ConvTranspose", ins, [want], attrs=attrs, **kw))

    convt("convtranspose1d_basic", r(1, 4, 7), r(4, 3, 3), r(3), strides=[2], pads=[1, 1],
          output_padding=[1])
    convt("convtranspose1d_group", r(2, 4, 5), r(4, 2, 4), r(4), group=2, strides=[3])
    convt("convtranspose1d_upsample", r(1, 8, 10), r(8, 4, 16), r(4), strides=[8], pads=[4, 4])
    convt("convtranspose1d_same_upper", r(1, 3, 5), r(3, 2, 4), strides=[2],
          auto_pad="SAME_UPPER")
    convt("convtranspose1d_same_lower", r(1, 3, 5), r(3, 2, 3), strides=[2],
          auto_pad="SAME_LOWER")
    convt("convtranspose2d_asym", r(1, 3, 4, 5), r(3, 2, 3, 3), r(2), strides=[2, 2],
          pads=[1, 0, 0, 1], dilations=[1, 2])
    convt("convtranspose2d_output_shape", r(1, 2, 4, 5), r(2, 3, 3, 3), strides=[2, 2],
          output_shape=[9, 10])
    convt("convtranspose2d_output_shape_odd", r(1, 2, 4, 5), r(2, 3, 3, 3), strides=[2, 3],
          output_shape=[8, 14])
    convt("convtranspose2d_depthwise", r(1, 4, 5, 5), r(4, 1, 3, 3), r(4), group=4,
          strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    convt("convtranspose3d", r(1, 2, 3, 4, 3), r(2, 2, 2, 3, 2), r(2), strides=[2, 1, 2],
          pads=[0, 1, 1, 0, 1, 0])
    return out


def pool_setup(x, k, strides, pads, dilations, auto_pad, ceil_mode):
    """Spatial rank, effective strides / dilations / pads, and the node's attributes."""
    nsp = x.ndim - 2
    s = strides or [1] * nsp
    d = dilations or [1] * nsp
    if auto_pad and auto_pad != "NOTSET":
        p = auto_pads(auto_pad, x.shape[2:], k, s, d)
    else:
        p = pads or [0] * (2 * nsp)
    attrs = {"kernel_shape": k}
    for key, v in (("strides", strides), ("pads", pads), ("dilations", dilations),
                   ("auto_pad", auto_pad)):
        if v:
            attrs[key] = v
    if ceil_mode:
        attrs["ceil_mode"] = 1
    return nsp, s, d, p, attrs


def pool_cases():
    out = []
    MAXP = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}

    def maxpool(name, x, k, strides=None, pads=None, dilations=None, ceil_mode=0,
                indices=False, auto_pad=None, storage_order=0, **kw):
        nsp, s, d, p, attrs = pool_setup(x, k, strides, pads, dilations, auto_pad, ceil_mode)
        if storage_order:
            attrs["storage_order"] = 1
        xt = t64(x)
        if p[:nsp] == p[nsp:]:
            y, ind = MAXP[nsp](xt, k, s, p[:nsp], d, ceil_mode=bool(ceil_mode),
                               return_indices=True)
        else:
            assert not indices and not ceil_mode
            y = MAXP[nsp](F.pad(xt, torch_pad_arg(p), value=-math.inf), k, s, 0, d)
        outs = [y.numpy().astype(x.dtype)]
        if indices:
            ind = ind.numpy().astype(np.int64)
            sp = x.shape[2:]
            if storage_order:
                coords = np.unravel_index(ind, sp)
                ind = np.ravel_multi_index(coords, sp, order="F")
            plane = int(np.prod(sp))
            offs = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[0], x.shape[1],
                                                              *([1] * nsp)) * plane
            outs.append((ind + offs).astype(np.int64))
        out.append(Case(name, "MaxPool", [x], outs, attrs=attrs, **kw))

    maxpool("maxpool1d", r(2, 3, 17), [3], strides=[2], pads=[1, 1])
    maxpool("maxpool2d_indices", r(1, 2, 7, 9), [3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
            indices=True)
    maxpool("maxpool2d_indices_col_major", r(2, 2, 5, 6), [2, 3], strides=[1, 2],
            indices=True, storage_order=1)
    maxpool("maxpool2d_ceil", r(1, 1, 8, 8), [3, 3], strides=[2, 2], ceil_mode=1)
    maxpool("maxpool2d_ceil_pad_drop", r(1, 2, 6, 7), [2, 2], strides=[2, 2], pads=[1, 1, 1, 1],
            ceil_mode=1, indices=True)
    maxpool("maxpool2d_dilation", r(1, 2, 9, 10), [2, 3], dilations=[2, 2], strides=[1, 2])
    maxpool("maxpool2d_asym_pads", r(1, 2, 6, 7), [3, 2], pads=[0, 1, 2, 0])
    maxpool("maxpool2d_same_upper", r(1, 2, 7, 8), [3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    maxpool("maxpool2d_same_lower", r(1, 2, 7, 8), [2, 2], strides=[2, 2], auto_pad="SAME_LOWER")
    maxpool("maxpool3d", r(1, 2, 4, 5, 6), [2, 2, 3], strides=[2, 1, 2], pads=[1, 0, 1, 1, 0, 1],
            indices=True)
    maxpool("maxpool1d_f16", r(1, 3, 11, dtype=np.float16), [3], strides=[2], atol=0, rtol=0)

    AVGP = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}

    def avg_general(x, k, s, p, d, include_pad):
        """Window sum / window count as dilated convolutions of x and of a mask."""
        nsp = x.ndim - 2
        xt = t64(x).reshape(-1, 1, *x.shape[2:])
        ones = torch.ones([1, 1] + list(k), dtype=torch.float64)
        pad = torch_pad_arg(p)
        total = CONV[nsp](F.pad(xt, pad), ones, stride=s, dilation=d)
        mask = F.pad(torch.ones_like(xt[:1]), pad, value=1.0 if include_pad else 0.0)
        count = CONV[nsp](mask, ones, stride=s, dilation=d)
        return (total / count).reshape(x.shape[0], x.shape[1], *total.shape[2:])

    def avgpool(name, x, k, strides=None, pads=None, dilations=None, ceil_mode=0,
                count_include_pad=0, auto_pad=None, opset=17, **kw):
        nsp, s, d, p, attrs = pool_setup(x, k, strides, pads, dilations, auto_pad, ceil_mode)
        if count_include_pad:
            attrs["count_include_pad"] = 1
        if ceil_mode:
            assert p[:nsp] == p[nsp:] and d == [1] * nsp
            y = AVGP[nsp](t64(x), k, s, p[:nsp], ceil_mode=True,
                          count_include_pad=bool(count_include_pad))
        else:
            y = avg_general(x, k, s, p, d, count_include_pad)
        out.append(Case(name, "AveragePool", [x], [y.numpy().astype(x.dtype)], attrs=attrs,
                        opset=opset, **kw))

    avgpool("averagepool1d_exclude_pad", r(2, 3, 17), [3], strides=[2], pads=[1, 1])
    avgpool("averagepool2d_include_pad", r(1, 2, 7, 9), [3, 3], strides=[2, 2],
            pads=[1, 1, 1, 1], count_include_pad=1)
    avgpool("averagepool2d_asym_exclude", r(1, 2, 6, 7), [3, 2], pads=[0, 1, 2, 0])
    avgpool("averagepool2d_asym_include", r(1, 2, 6, 7), [3, 2], pads=[0, 1, 2, 0],
            count_include_pad=1)
    avgpool("averagepool2d_ceil", r(1, 2, 8, 7), [3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
            ceil_mode=1)
    avgpool("averagepool2d_ceil_include_pad", r(1, 2, 8, 7), [3, 3], strides=[2, 2],
            pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
    avgpool("averagepool2d_same_upper", r(1, 2, 7, 8), [3, 3], strides=[2, 2],
            auto_pad="SAME_UPPER")
    avgpool("averagepool3d", r(1, 2, 4, 5, 6), [2, 3, 2], strides=[2, 1, 2],
            pads=[0, 1, 1, 1, 1, 0])
    avgpool("averagepool2d_dilation", r(1, 2, 9, 10), [2, 3], dilations=[2, 2], strides=[1, 2],
            pads=[1, 1, 0, 1], opset=19)
    avgpool("averagepool1d_f16", r(1, 3, 12, dtype=np.float16), [4], strides=[2], pads=[1, 1],
            atol=2e-3, rtol=2e-3)

    for name, op, fn in (("globalaveragepool", "GlobalAveragePool", np.mean),
                         ("globalmaxpool", "GlobalMaxPool", np.max)):
        for shape in ((2, 3, 17), (1, 4, 5, 6), (1, 2, 3, 4, 5)):
            x = r(*shape)
            axes = tuple(range(2, x.ndim))
            want = fn(x.astype(np.float64), axis=axes, keepdims=True).astype(np.float32)
            out.append(Case(f"{name}_{x.ndim - 2}d", op, [x], [want]))
    return out


def cases():
    return conv_cases() + convt_cases() + pool_cases()
