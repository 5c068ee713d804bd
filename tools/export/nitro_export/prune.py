"""Pass-through nodes dropped before ONNX Runtime's fusions read a graph.

A traced SDXL UNet carries about 500 Identity nodes and 1,300 Casts to the type their input already has. ORT's Python
fusions remove those too, but one node at a time, and each removal rewires every node of the graph: on the 27,000-node
UNet the two passes took 3 min 17 s of GPU run 4's fusion (H200, onnxruntime 1.30). Here the same nodes go in one pass
over the graph, which ORT's passes then find already clean.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import onnx
from onnx import AttributeProto

from .fp16 import infer_types


def drop_pass_through_nodes(model: onnx.ModelProto) -> Dict[str, int]:
    """Removes Identity nodes and Casts to their input's own type, rewiring readers to the node's input.

    A node whose output is a graph output stays (the interface keeps its names), and so does a Cast when type inference
    cannot tell its input's type. Returns how many nodes of each kind went. Weights are not read: the model may be
    loaded without its external data.
    """
    graph = model.graph
    kept_names = {o.name for o in graph.output}
    types = infer_types(model, guess=False)
    source: Dict[str, str] = {}

    def resolve(name: str) -> str:
        while name in source:
            name = source[name]
        return name

    removed = {"Identity": 0, "Cast": 0}
    kept = []
    for node in graph.node:
        if node.domain in ("", "ai.onnx") and node.op_type in removed and node.output[0] not in kept_names:
            upstream = resolve(node.input[0])
            if node.op_type == "Identity" or _cast_target(node) == types.get(upstream):
                source[node.output[0]] = upstream
                removed[node.op_type] += 1
                continue
        kept.append(node)
    if not source:
        return removed
    del graph.node[:]
    graph.node.extend(kept)
    _rename_reads(graph, resolve)
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
