"""Write every op test case (tests/ops/cases_*.py) into OUTDIR.

usage: gen.py OUTDIR
Exit 77 (skip) when numpy / onnx / torch are missing, naming the missing module."""
import glob
import importlib
import os
import sys


def main():
    outdir = sys.argv[1]
    try:
        import numpy  # noqa: F401
        import onnx  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        print(f"skip: op references need python3-numpy, python3-onnx, python3-torch ({e})")
        return 77
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import opcase
    cases = []
    for path in sorted(glob.glob(os.path.join(here, "cases_*.py"))):
        mod = importlib.import_module(os.path.basename(path)[:-3])
        got = mod.cases()
        print(f"{os.path.basename(path)}: {len(got)} cases")
        cases.extend(got)
    import cases_graphs
    cases_graphs.write_error_models(outdir)
    import cases_attention
    cases_attention.write_state_models(outdir)
    opcase.write_manifest(cases, outdir)
    opcase.write_models(cases, outdir)
    print(f"{len(cases)} cases written to {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
