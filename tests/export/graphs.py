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


def ort_like_fp16(m: onnx.ModelProto, op_block_list=(), node_block_list=()) -> None:
    """What ONNX Runtime's ``convert_float_to_float16`` does to constants, in place (the rest of it is not needed here):
    the tensor of every float Constant node outside the block lists becomes fp16; a float initializer becomes fp16 when
    a node outside them reads it; a blocked node that reads such a tensor gets a Cast back to float in front."""
    blocked = {n.name for n in m.graph.node if n.op_type in set(op_block_list) or n.name in set(node_block_list)}
    fp16_names = set()
    for node in m.graph.node:
        if node.op_type == "Constant" and node.name not in blocked:
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == FLOAT:
                    a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
                    fp16_names.add(node.output[0])
    for tensor in m.graph.initializer:
        if tensor.data_type == FLOAT and any(tensor.name in n.input for n in m.graph.node if n.name not in blocked):
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), tensor.name))
            fp16_names.add(tensor.name)
    casts = []
    for node in m.graph.node:
        if node.name not in blocked:
            continue
        for slot, name in enumerate(node.input):
            if name in fp16_names:
                cast = f"{node.name}_input_cast_{slot}"
                casts.append(helper.make_node("Cast", [name], [cast], name=f"{node.name}_input_cast{slot}",
                                              to=FLOAT))
                node.input[slot] = cast
    m.graph.node.extend(casts)  # at the end, as ORT puts them (sorted afterwards)


def fp16_round_trips(m: onnx.ModelProto, node_names) -> list:
    """The inputs of the named nodes that hold fp16 data: fp16 constants, or Casts of them."""
    tensors = {t.name: t for t in m.graph.initializer}
    tensors.update({n.output[0]: a.t for n in m.graph.node if n.op_type == "Constant" for a in n.attribute
                    if a.name == "value"})
    cast_source = {n.output[0]: n.input[0] for n in m.graph.node if n.op_type == "Cast"}
    found = []
    for node in m.graph.node:
        if node.name not in set(node_names):
            continue
        for name in node.input:
            source = cast_source.get(name, name)
            if source in tensors and tensors[source].data_type == FLOAT16:
                found.append(f"{node.name} reads {name}")
    return found
