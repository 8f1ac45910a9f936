"""Random inputs for an ONNX model, one .npy per graph input, for bench/model_speed.sh.

usage: make_inputs.py MODEL.onnx OUTDIR [NAME=VALUE ...]
A NAME=VALUE pair sets a symbolic dimension (dim_param NAME) or, when NAME is an integer
input, that input's value (every element). Unset symbolic dims are 1. Floats are normal
with std 0.5, integers 0, booleans false, from a fixed seed. Prints NAME=PATH per input."""
import os
import sys

import numpy as np
import onnx
from onnx import mapping

def main():
    model, outdir, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
    sets = dict(p.split("=", 1) for p in pairs)
    g = onnx.load(model, load_external_data=False).graph
    inits = {i.name for i in g.initializer}
    rng = np.random.default_rng(2026)
    os.makedirs(outdir, exist_ok=True)
    for inp in g.input:
        if inp.name in inits:
            continue
        t = inp.type.tensor_type
        dt = mapping.TENSOR_TYPE_TO_NP_TYPE[t.elem_type]
        shape = [d.dim_value if d.HasField("dim_value") else int(sets.get(d.dim_param, 1))
                 for d in t.shape.dim]
        if np.issubdtype(dt, np.floating):
            x = (rng.standard_normal(shape) * 0.5).astype(dt)
        elif dt == np.bool_:
            x = np.zeros(shape, dt)
        else:
            x = np.full(shape, int(sets.get(inp.name, 0)), dt)
        path = os.path.join(outdir, inp.name.replace("/", "_") + ".npy")
        np.save(path, x)
        print(f"{inp.name}={path}")


main()
