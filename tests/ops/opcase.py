"""Op test cases: one ONNX node, its inputs, and outputs computed independently.

Each cases_<group>.py module defines `cases()` returning a list of Case. Expected
outputs must come from numpy or torch written in the test, never from voce and never
from ONNX Runtime, so that a kernel bug cannot hide behind the same bug in the reference.

gen.py writes every case as .npy files plus one line-based manifest that
tests/test_ops.c reads (see write_manifest for the format), and a one-node .onnx model
per case for the end-to-end check through the compiler.
"""
import os

import numpy as np


class Case:
    def __init__(self, name, op, inputs, outputs, attrs=None, atol=1e-5, rtol=1e-5,
                 opset=17, model=None):
        """inputs: list of np.ndarray or None (optional input left out).
        outputs: list of np.ndarray (expected values, dtype and shape are checked).
        attrs: dict name -> int | float | str | list[int] | list[float] | list[str] |
        np.ndarray (a TENSOR attribute)."""
        self.name, self.op = name, op
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.attrs = dict(attrs or {})
        self.atol, self.rtol, self.opset = atol, rtol, opset
        # model: a whole onnx.ModelProto (op "@graph") whose graph inputs take the
        # non-None inputs in order; only the end-to-end test runs these.
        self.model = model


def dtype_tol(dtype):
    """Default (atol, rtol) for comparing outputs of this dtype: f16 is computed in f32
    and rounded once, f32 and f64 allow for summation order; integers are exact."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return 1e-3, 2e-3
    if dtype == np.float32:
        return 1e-6, 1e-5
    if dtype == np.float64:
        return 1e-12, 1e-10
    return 0.0, 0.0


def case(name, op, inputs, outputs, attrs=None, opset=17, atol=None, rtol=None):
    """A Case whose tolerances default to dtype_tol of the first output."""
    a, r = dtype_tol(outputs[0].dtype)
    return Case(name, op, inputs, outputs, attrs=attrs, opset=opset,
                atol=a if atol is None else atol, rtol=r if rtol is None else rtol)


def _attr_line(name, v, path_of):
    if isinstance(v, bool):
        return f"attr {name} int {int(v)}"
    if isinstance(v, (int, np.integer)):
        return f"attr {name} int {int(v)}"
    if isinstance(v, (float, np.floating)):
        return f"attr {name} float {float(np.float32(v)).hex()}"
    if isinstance(v, str):
        assert v and not any(c.isspace() for c in v), f"string attr {name!r} must have no spaces"
        return f"attr {name} string {v}"
    if isinstance(v, np.ndarray):
        return f"attr {name} tensor {path_of(v)}"
    if isinstance(v, (list, tuple)):
        if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v):
            return f"attr {name} ints {len(v)} " + " ".join(str(int(x)) for x in v)
        if all(isinstance(x, (float, int, np.floating)) for x in v):
            return f"attr {name} floats {len(v)} " + " ".join(float(np.float32(x)).hex() for x in v)
        if all(isinstance(x, str) for x in v):
            return f"attr {name} strings {len(v)} " + " ".join(v)
    raise TypeError(f"attribute {name}: unsupported value {v!r}")


def write_manifest(cases, outdir):
    """Manifest format, one directive per line:
         case NAME OPTYPE OPSET
         attr NAME int V | float HEX | string S | ints N V... | floats N HEX... |
              strings N S... | tensor FILE
         in FILE | in -          (in order; '-' = optional input left out)
         out FILE ATOL RTOL
         end
    FILE names are relative to the manifest's directory."""
    os.makedirs(outdir, exist_ok=True)
    names = set()
    lines = []
    for c in cases:
        assert c.name not in names, f"duplicate case name {c.name}"
        names.add(c.name)
        counter = [0]

        def path_of(arr, c=c, counter=counter):
            fn = f"{c.name}.{counter[0]}.npy"
            counter[0] += 1
            # not ascontiguousarray: it turns 0-d arrays into 1-d
            np.save(os.path.join(outdir, fn), np.array(arr, order="C"))
            return fn

        lines.append(f"case {c.name} {c.op} {c.opset}")
        for k, v in c.attrs.items():
            lines.append(_attr_line(k, v, path_of))
        for x in c.inputs:
            lines.append("in -" if x is None else f"in {path_of(x)}")
        for y in c.outputs:
            lines.append(f"out {path_of(y)} {c.atol!r} {c.rtol!r}")
        lines.append("end")
    with open(os.path.join(outdir, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_models(cases, outdir):
    """One single-node ONNX model per case (for the compiler end-to-end check)."""
    import onnx
    from onnx import helper, numpy_helper
    from onnx.mapping import NP_TYPE_TO_TENSOR_TYPE  # onnx 1.12 has no np_dtype_to_tensor_dtype

    def tensor_type(dt):
        return NP_TYPE_TO_TENSOR_TYPE[np.dtype(dt)]

    for c in cases:
        if c.model is not None:
            onnx.save(c.model, os.path.join(outdir, f"{c.name}.onnx"))
            continue
        ins, feeds = [], []
        for k, x in enumerate(c.inputs):
            if x is None:
                ins.append("")
                continue
            ins.append(f"in{k}")
            feeds.append(helper.make_tensor_value_info(
                f"in{k}", tensor_type(x.dtype), list(x.shape)))
        outs = [helper.make_tensor_value_info(
            f"out{k}", tensor_type(y.dtype), list(y.shape))
            for k, y in enumerate(c.outputs)]
        attrs = {k: (numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v)
                 for k, v in c.attrs.items()}
        # "domain:Op" (e.g. com.microsoft:MatMulNBits): that domain at opset c.opset,
        # beside the default domain at 17
        domain, _, op = c.op.rpartition(":")
        node = helper.make_node(op, ins, [o.name for o in outs], name=c.name, domain=domain or None,
                                **attrs)
        g = helper.make_graph([node], c.name, feeds, outs)
        opsets = [helper.make_opsetid(domain, c.opset), helper.make_opsetid("", 17)] if domain else \
            [helper.make_opsetid("", c.opset)]
        m = helper.make_model(g, opset_imports=opsets)
        m.ir_version = 8
        onnx.save(m, os.path.join(outdir, f"{c.name}.onnx"))
