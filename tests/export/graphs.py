"""Small hand-built ONNX graphs for the converter and pruning tests."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, FLOAT16, INT64 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.INT64


def model(nodes, inputs, outputs, inits=()) -> onnx.ModelProto:
    """An opset-17 model of one graph."""
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def vi(name, elem=FLOAT, shape=(1, 4)):
    """A typed value of the graph's interface."""
    return helper.make_tensor_value_info(name, elem, list(shape))


def init(name, arr):
    """A float32 initializer."""
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def scalar_ones(graph: onnx.GraphProto) -> set:
    """Names of the graph's rank-0 constants equal to 1 (Constant nodes and initializers held in the graph)."""
    tensors = {t.name: t for t in graph.initializer if not t.external_data}
    tensors.update({n.output[0]: a.t for n in graph.node if n.op_type == "Constant"
                    for a in n.attribute if a.name == "value"})
    return {name for name, t in tensors.items() if not t.dims and numpy_helper.to_array(t).item() == 1}
