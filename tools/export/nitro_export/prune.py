"""Pass-through nodes dropped before ONNX Runtime's fusions read a graph.

A traced SDXL UNet carries about 500 Identity nodes, 1,300 Casts to the type their input already has and 157 Divs by a
constant 1 (diffusers' ``output_scale_factor`` of its 17 resnets and ``rescale_output_factor`` of its 140 attentions).
ORT's Python fusions remove those too, but one node at a time, and each removal rewires every node of the graph: on the
27,000-node UNet the three passes took 6 min 4 s of GPU run 4's fusion (H200, onnxruntime 1.30). Here the same nodes
go in one pass over the graph, which ORT's passes then find already clean (its Div pass still reads the divisor of
every other Div).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Set

import onnx
from onnx import AttributeProto, numpy_helper

from .fp16 import node_reads, infer_types


def drop_pass_through_nodes(model: onnx.ModelProto) -> Dict[str, int]:
    """Removes Identity nodes, Casts to their input's own type and Divs by a scalar constant 1, rewiring readers to the
    node's input.

    A node whose output is a graph output stays (the interface keeps its names), and so does a Cast when type inference
    cannot tell its input's type. A Div goes only when its divisor is a scalar (a one-element tensor of higher rank
    could broadcast the quotient to a larger shape); a Constant node that only such Divs read goes with them. Returns
    how many nodes of each kind went. Weights are not read: the model may be loaded without its external data.
    """
    graph = model.graph
    kept_names = {o.name for o in graph.output}
    types = infer_types(model, guess=False)
    ones = _scalar_ones(graph)
    source: Dict[str, str] = {}

    def resolve(name: str) -> str:
        while name in source:
            name = source[name]
        return name

    removed = {"Identity": 0, "Cast": 0, "Div": 0}
    kept = []
    for node in graph.node:
        if node.domain in ("", "ai.onnx") and node.op_type in removed and node.output[0] not in kept_names:
            upstream = resolve(node.input[0])
            if (node.op_type == "Identity"
                    or (node.op_type == "Cast" and _cast_target(node) == types.get(upstream))
                    or (node.op_type == "Div" and node.input[1] in ones)):
                source[node.output[0]] = upstream
                removed[node.op_type] += 1
                continue
        kept.append(node)
    if not source:
        return removed
    del graph.node[:]
    graph.node.extend(kept)
    _rename_reads(graph, resolve)
    read = _names_read(graph)
    # The constant 1s that only the dropped Divs read; left in, every later pass of ORT would scan them again.
    needed = [n for n in graph.node
              if not (n.op_type == "Constant" and n.output[0] in ones and n.output[0] not in read)]
    if len(needed) < len(graph.node):
        del graph.node[:]
        graph.node.extend(needed)
    # The exporter's recorded types of the dropped values would describe values no node writes any more.
    described = [vi for vi in graph.value_info if vi.name not in source]
    del graph.value_info[:]
    graph.value_info.extend(described)
    return removed


def drop_pass_through_nodes_in_file(src: Path, dst: Path) -> Dict[str, int]:
    """:func:`drop_pass_through_nodes` on the model at ``src``, saved as ``dst`` in the same folder.

    Only the graph is loaded and written: ``dst`` reads the same external weight files as ``src``.
    """
    if src.resolve().parent != dst.resolve().parent:
        raise ValueError(f"{dst} must be next to {src}: it reads the same external weight files")
    model = onnx.load(str(src), load_external_data=False)
    removed = drop_pass_through_nodes(model)
    onnx.save(model, str(dst))
    return removed


def _scalar_ones(graph: onnx.GraphProto) -> Set[str]:
    """Names of the graph's rank-0 constants equal to 1: Constant nodes, and initializers stored in the graph file that
    no graph input of the same name can override."""
    inputs = {i.name for i in graph.input}
    ones = {t.name for t in graph.initializer
            if t.name not in inputs and _is_scalar_one(t)}
    for node in graph.node:
        if node.op_type != "Constant" or node.domain not in ("", "ai.onnx"):
            continue
        for attr in node.attribute:
            if ((attr.name == "value" and _is_scalar_one(attr.t))
                    or (attr.name == "value_float" and attr.f == 1)
                    or (attr.name == "value_int" and attr.i == 1)):
                ones.add(node.output[0])
    return ones


def _is_scalar_one(tensor: onnx.TensorProto) -> bool:
    return (not tensor.dims and tensor.data_location != onnx.TensorProto.EXTERNAL
            and tensor.data_type != onnx.TensorProto.STRING and numpy_helper.to_array(tensor).item() == 1)


def _names_read(graph: onnx.GraphProto) -> Set[str]:
    read = {o.name for o in graph.output}
    for node in graph.node:
        read.update(node_reads(node))
    return read


def _cast_target(node: onnx.NodeProto) -> int:
    return next((a.i for a in node.attribute if a.name == "to"), 0)


def _rename_reads(graph: onnx.GraphProto, resolve) -> None:
    # Subgraphs (If, Loop, Scan bodies) may read the outer graph's values by name, so they are rewired too.
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name:
                node.input[i] = resolve(name)
        for attr in node.attribute:
            if attr.type == AttributeProto.GRAPH:
                _rename_reads(attr.g, resolve)
            elif attr.type == AttributeProto.GRAPHS:
                for sub in attr.graphs:
                    _rename_reads(sub, resolve)
    for output in graph.output:
        output.name = resolve(output.name)
