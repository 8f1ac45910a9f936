"""Write the trivial ONNX model (y = Identity(x), x: f32 [1,1]) whose latency in ONNX
Runtime measures the cost of one call through its JavaScript binding.
usage: make_trivial.py OUT.onnx"""
import sys

import onnx
from onnx import TensorProto, helper

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])
g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "trivial", [x], [y])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, sys.argv[1])
