"""Op cases for the normalizations (expected values from torch / numpy in float64)."""
import numpy as np
import torch
import torch.nn.functional as F

from opcase import Case

rng = np.random.default_rng(777)


def r(*shape, dtype=np.float32, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(dtype)


def t64(x):
    return torch.from_numpy(np.array(x, dtype=np.float64))


def layernorm_cases():
    out = []

    def ln(name, x, scale, bias, axis=-1, eps=1e-5, outputs=3, **kw):
        ax = axis % x.ndim
        norm_shape = x.shape[ax:]
        g = np.broadcast_to(scale.astype(np.float64), norm_shape)
        b = None if bias is None else np.broadcast_to(bias.astype(np.float64), norm_shape)
        y = F.layer_norm(t64(x), norm_shape, t64(g), None if b is None else t64(b), eps)
        xs = x.astype(np.float64)
        red = tuple(range(ax, x.ndim))
        mean = xs.mean(axis=red, keepdims=True)
        inv = 1.0 / np.sqrt(xs.var(axis=red, keepdims=True) + eps)
        outs = [y.numpy().astype(x.dtype), mean.astype(np.float32), inv.astype(np.float32)]
        attrs = {}
        if axis != -1:
            attrs["axis"] = axis
        if eps != 1e-5:
            attrs["epsilon"] = eps
        ins = [x, scale] + ([bias] if bias is not None else [])
        kw.setdefault("atol", 1e-4)
        kw.setdefault("rtol", 1e-4)
        out.append(Case(name, "LayerNormalization", ins, outs[:outputs], attrs=attrs, **kw))

    ln("layernormalization_last", r(2, 3, 17), r(17), r(17))
    ln("layernormalization_axis1", r(2, 3, 5), r(3, 5), r(3, 5), axis=1, eps=1e-3)
    ln("layernormalization_no_bias", r(4, 63, scale=3.0, shift=5.0), r(63), None, outputs=1)
    ln("layernormalization_broadcast_scale", r(2, 3, 5), r(5), r(1, 5), axis=-2)
    ln("layernormalization_wide", r(3, 384, shift=2.0), r(384), r(384))
    ln("layernormalization_single", r(5, 1), r(1), r(1))
    ln("layernormalization_f16", r(2, 63, dtype=np.float16), r(63, dtype=np.float16),
       r(63, dtype=np.float16), outputs=2, atol=1e-2, rtol=1e-2)
    return out


def batchnorm_cases():
    out = []

    def bn(name, x, eps=1e-5, **kw):
        c = x.shape[1]
        scale, bias, mean = r(c), r(c), r(c)
        var = (rng.random(c) + 0.5).astype(np.float32)
        if x.dtype == np.float16:
            scale, bias, mean, var = (v.astype(np.float16) for v in (scale, bias, mean, var))
        y = F.batch_norm(t64(x), t64(mean), t64(var), t64(scale), t64(bias), False, 0.0, eps)
        attrs = {} if eps == 1e-5 else {"epsilon": eps}
        kw.setdefault("atol", 1e-5)
        kw.setdefault("rtol", 1e-5)
        out.append(Case(name, "BatchNormalization", [x, scale, bias, mean, var],
                        [y.numpy().astype(x.dtype)], attrs=attrs, **kw))

    bn("batchnormalization_2d", r(2, 3, 5, 4))
    bn("batchnormalization_1d", r(2, 8, 17), eps=1e-3)
    bn("batchnormalization_rank2", r(4, 3))
    bn("batchnormalization_f16", r(1, 4, 9, dtype=np.float16), atol=1e-2, rtol=1e-2)
    return out


def instancenorm_cases():
    out = []

    def inorm(name, x, eps=1e-5, **kw):
        c = x.shape[1]
        scale, bias = r(c, dtype=x.dtype), r(c, dtype=x.dtype)
        y = F.instance_norm(t64(x), weight=t64(scale), bias=t64(bias), eps=eps)
        attrs = {} if eps == 1e-5 else {"epsilon": eps}
        kw.setdefault("atol", 1e-4)
        kw.setdefault("rtol", 1e-4)
        out.append(Case(name, "InstanceNormalization", [x, scale, bias],
                        [y.numpy().astype(x.dtype)], attrs=attrs, **kw))

    inorm("instancenormalization_1d", r(2, 3, 17))
    inorm("instancenormalization_2d", r(1, 4, 5, 6, shift=3.0), eps=1e-3)
    inorm("instancenormalization_f16", r(1, 2, 33, dtype=np.float16), atol=1e-2, rtol=1e-2)
    return out


def groupnorm_cases():
    out = []

    def gn(name, x, groups, per_channel, eps=1e-5, **kw):
        c = x.shape[1]
        n = c if per_channel else groups
        scale, bias = r(n), r(n)
        reps = 1 if per_channel else c // groups
        y = F.group_norm(t64(x), groups, t64(np.repeat(scale, reps)), t64(np.repeat(bias, reps)),
                         eps)
        attrs = {"num_groups": groups}
        if eps != 1e-5:
            attrs["epsilon"] = eps
        out.append(Case(name, "GroupNormalization", [x, scale, bias], [y.numpy().astype(x.dtype)],
                        attrs=attrs, opset=21 if per_channel else 18, atol=1e-4, rtol=1e-4, **kw))

    gn("groupnormalization_per_group", r(2, 6, 5), 3, False)
    gn("groupnormalization_per_channel", r(2, 6, 4, 3), 2, True, eps=1e-3)
    gn("groupnormalization_one_group", r(1, 4, 7), 1, True)
    return out


def lpnorm_cases():
    out = []
    for name, shape, axis, p in (("lpnormalization_l2_axis1", (3, 4, 5), 1, 2),
                                 ("lpnormalization_l1_last", (2, 7), -1, 1)):
        x = r(*shape)
        xs = x.astype(np.float64)
        norm = np.linalg.norm(xs, ord=p, axis=axis, keepdims=True) if p == 2 else \
            np.abs(xs).sum(axis=axis, keepdims=True)
        out.append(Case(name, "LpNormalization", [x], [(xs / norm).astype(np.float32)],
                        attrs={"axis": axis, "p": p}))
    return out


def decomposed_ln_cases():
    """LayerNorm spelled out in nodes, as exporters below opset 17 write it; the compiler
    makes one LayerNormalization of it (src/compiler/layernorm.c; tests/test_cli.sh
    checks the node counts, these the values against torch)."""
    from onnx import TensorProto, helper as h, numpy_helper as nh
    out = []

    def build(name, x, gamma, beta, eps, opset, square, flip, extra_out=False):
        n = [h.make_node("ReduceMean", ["x"] + (["ax"] if opset >= 18 else []), ["m"],
                         **({} if opset >= 18 else {"axes": [-1]})),
             h.make_node("Sub", ["x", "m"], ["d"])]
        n.append(h.make_node("Pow", ["d", "two"], ["p"]) if square == "pow" else h.make_node("Mul", ["d", "d"], ["p"]))
        n += [h.make_node("ReduceMean", ["p"] + (["ax"] if opset >= 18 else []), ["v"],
                          **({} if opset >= 18 else {"axes": [-1]})),
              h.make_node("Add", ["eps", "v"] if flip else ["v", "eps"], ["e"]),
              h.make_node("Sqrt", ["e"], ["s"]), h.make_node("Div", ["d", "s"], ["y"]),
              h.make_node("Mul", ["g", "y"] if flip else ["y", "g"], ["z" if beta is not None else "out"])]
        if beta is not None:
            n.append(h.make_node("Add", ["z", "b"] if not flip else ["b", "z"], ["out"]))
        inits = [nh.from_array(np.array(eps, np.float32), "eps"), nh.from_array(gamma, "g"),
                 nh.from_array(np.array(2.0, np.float32), "two"), nh.from_array(np.array([-1], np.int64), "ax")]
        if beta is not None:
            inits.append(nh.from_array(beta, "b"))
        dims = ["T"] * (x.ndim - 1) + [x.shape[-1]]
        outs = [h.make_tensor_value_info("out", TensorProto.FLOAT, dims)]
        if extra_out:
            outs.append(h.make_tensor_value_info("d", TensorProto.FLOAT, dims))
        g = h.make_graph(n, "g", [h.make_tensor_value_info("x", TensorProto.FLOAT, dims)], outs, inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
        m.ir_version = 8
        y = F.layer_norm(t64(x), (x.shape[-1],), t64(gamma), None if beta is None else t64(beta), eps)
        want = [y.numpy().astype(np.float32)]
        if extra_out:
            want.append((x.astype(np.float64) - x.astype(np.float64).mean(-1, keepdims=True)).astype(np.float32))
        out.append(Case(name, "@graph", [x], want, model=m, atol=1e-5, rtol=1e-4))

    x = r(7, 48, scale=3.0, shift=1.0)
    build("ln_decomposed_torch", x, r(48), r(48), 1e-5, 13, "pow", False)
    build("ln_decomposed_flipped", r(2, 5, 33), r(33), None, 1e-6, 18, "mul", True)
    build("ln_decomposed_shared", x, r(48), r(48), 1e-5, 13, "pow", False, extra_out=True)
    return out


def cases():
    return layernorm_cases() + batchnorm_cases() + instancenorm_cases() + groupnorm_cases() + \
        lpnorm_cases() + decomposed_ln_cases()
