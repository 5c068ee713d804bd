"""Mixed-precision (fp16) conversion of a plain ONNX graph.

Used when ONNX Runtime's transformers tools are not installed (their converter is used after ORT's fusions, because
it knows ORT's contrib ops). This one handles standard ONNX ops only, and works on graphs of any size: type inference
runs on a skeleton of the graph without the weight bytes, so a 10 GB fp32 UNet never has to be serialized in one
protobuf.

The rules, chosen to match what diffusers does when it runs SDXL in fp16:

* every node runs in fp16 unless its op type is in ``op_block_list``, its name is in ``node_block_list``, or it belongs
  to a *sinusoidal region*: the nodes fed by ``fp32_region_inputs`` (the UNet's ``timestep``, ``time_ids`` and
  ``text_embeds``) up to the first matrix product. Diffusers computes those embeddings in fp32 and casts only the result, because
  ``sin(999 * freq)`` loses all precision in fp16;
* with ``keep_io_types`` the graph inputs and outputs keep their fp32 types and Cast nodes sit at the boundary;
* weights used only by fp16 nodes are stored as fp16 (clamped to the finite fp16 range), weights used by fp32 nodes
  stay fp32, and one Cast is inserted per (tensor, type) pair wherever a producer and a consumer disagree.

The result is validated with ONNX's strict type inference, so a node that would see mixed input types fails here,
not at session creation on the user's GPU.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
FLOAT16 = TensorProto.FLOAT16

# Ops kept in fp32: the semantically fragile entries of ONNX Runtime's own default block list (resampling and index
# arithmetic, random generators, reductions whose ranges matter). LayerNormalization, Softmax and
# InstanceNormalization stay fp16: ORT's CUDA kernels accumulate those in fp32 internally.
DEFAULT_FP32_OPS: Tuple[str, ...] = (
    "Resize",
    "Upsample",
    "Range",
    "CumSum",
    "Min",
    "Max",
    "TopK",
    "RoiAlign",
    "NonMaxSuppression",
    "RandomNormal",
    "RandomNormalLike",
    "RandomUniform",
    "RandomUniformLike",
)

# Inputs whose type is fixed by the ONNX spec whatever the node's precision (Resize roi/scales, Upsample scales).
_ALWAYS_FP32_SLOTS: Dict[str, Set[int]] = {"Resize": {1, 2}, "Upsample": {1}}

# Ops whose inputs may have any type: no Cast is ever needed in front of them.
_ANY_TYPE_INPUT_OPS = {"Cast", "Shape", "Size", "CastLike"}

# A sinusoidal region ends at the first op that applies learned weights.
_REGION_STOP_OPS = {"MatMul", "Gemm", "Conv", "ConvTranspose", "Einsum"}

_BOOL_OUTPUT_OPS = {"Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN",
                    "IsInf"}
_INT64_OUTPUT_OPS = {"Shape", "Size", "ArgMax", "ArgMin", "NonZero"}

_FP16_MAX = float(np.finfo(np.float16).max)

# Float initializers larger than this are left out of the type-inference skeleton (declared as inputs instead).
_SKELETON_MAX_ELEMENTS = 4096


@dataclass
class ConversionReport:
    """What the conversion did, for the export log and for tests."""

    fp16_nodes: int
    fp32_nodes: int
    casts_inserted: int
    fp16_initializers: int
    fp32_initializers: int
    fp32_node_names: List[str]


def _numel(tensor: TensorProto) -> int:
    n = 1
    for d in tensor.dims:
        n *= d
    return n


def ensure_opset_imports(model: onnx.ModelProto) -> List[str]:
    """Adds an opset import (version 1) for every node domain the model uses but does not import; returns those domains.

    ONNX Runtime's fusions insert com.microsoft nodes (SkipLayerNormalization, MultiHeadAttention, GroupNorm, ...);
    onnx's type inference and ONNX Runtime's loader both refuse a node whose domain has no opset import.
    """
    standard = {"", "ai.onnx"}
    imported = {o.domain for o in model.opset_import}
    if imported & standard:
        imported |= standard
    added = []
    for node in model.graph.node:
        if node.domain not in imported:
            model.opset_import.append(helper.make_opsetid(node.domain, 1))
            imported.add(node.domain)
            added.append(node.domain)
    return added


def sort_topologically(graph: onnx.GraphProto) -> int:
    """Reorders ``graph.node`` so every node comes after the producers of its inputs; returns how many nodes moved.

    ONNX requires that order and ``onnx.checker`` enforces it. ONNX Runtime's fp16 converter appends the Cast of a
    float graph input at the end, after the fused nodes that read it (seen on the SDXL VAE decoder with ORT 1.30), so
    the converted graph is sorted before it is saved. Nodes already in order keep their relative order. Names no
    node produces (graph inputs, initializers, outer-scope values of subgraphs) count as available from the start.
    """
    import heapq  # noqa: PLC0415

    nodes = list(graph.node)
    producer: Dict[str, int] = {}
    for index, node in enumerate(nodes):
        for name in node.output:
            if name:
                producer[name] = index
    waiting_on = [0] * len(nodes)
    consumers: Dict[int, List[int]] = {}
    for index, node in enumerate(nodes):
        sources = {producer[name] for name in node_reads(node) if name in producer and producer[name] != index}
        waiting_on[index] = len(sources)
        for source in sources:
            consumers.setdefault(source, []).append(index)
    ready = [index for index, count in enumerate(waiting_on) if count == 0]
    heapq.heapify(ready)
    order: List[int] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for consumer in consumers.get(index, ()):
            waiting_on[consumer] -= 1
            if waiting_on[consumer] == 0:
                heapq.heappush(ready, consumer)
    if len(order) != len(nodes):
        raise ValueError(f"the graph has a cycle: {len(nodes) - len(order)} of {len(nodes)} nodes never become ready")
    moved = sum(1 for position, index in enumerate(order) if position != index)
    if moved:
        del graph.node[:]
        graph.node.extend(nodes[index] for index in order)
    return moved


def node_reads(node: onnx.NodeProto) -> Iterable[str]:
    """The node's inputs and the names its subgraphs (If, Loop, Scan bodies) read from the enclosing graph, by their
    nodes or as their outputs."""
    for name in node.input:
        if name:
            yield name
    for attribute in node.attribute:
        subgraphs = ([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs)
        for subgraph in subgraphs:
            local = {i.name for i in subgraph.input} | {i.name for i in subgraph.initializer}
            for inner in subgraph.node:
                local.update(inner.output)
            for inner in subgraph.node:
                for name in node_reads(inner):
                    if name not in local:
                        yield name
            for output in subgraph.output:
                if output.name not in local:
                    yield output.name


def _skeleton(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model without its large float weights: those become typed graph inputs, enough for type inference."""
    graph = model.graph
    small_inits = []
    weight_inputs = []
    for init in graph.initializer:
        if init.data_type in (FLOAT, FLOAT16, TensorProto.DOUBLE) and _numel(init) > _SKELETON_MAX_ELEMENTS:
            weight_inputs.append(helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))
        else:
            small_inits.append(init)
    input_names = {i.name for i in graph.input}
    inputs = list(graph.input) + [w for w in weight_inputs if w.name not in input_names]
    sk_graph = helper.make_graph(list(graph.node), graph.name or "graph", inputs, list(graph.output), small_inits)
    sk = helper.make_model(sk_graph, opset_imports=list(model.opset_import))
    sk.ir_version = max(model.ir_version, 4)
    ensure_opset_imports(sk)  # nodes of domains onnx has no schema for are then skipped, not refused
    return sk


def infer_types(model: onnx.ModelProto, strict: bool = False, guess: bool = True) -> Dict[str, int]:
    """Element type of every tensor of the graph (inputs, initializers, node outputs) that can be determined.

    With ``guess`` the outputs that type inference leaves open take a type from their op's usual rule (good enough to
    place fp16 casts); without it they stay unknown.
    """
    inferred = onnx.shape_inference.infer_shapes(_skeleton(model), check_type=strict, strict_mode=strict)
    types: Dict[str, int] = {}
    g = inferred.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    for init in model.graph.initializer:
        types[init.name] = init.data_type
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    types[node.output[0]] = attr.t.data_type
    if not guess:
        return types
    # Fill what inference left open from each op's typing rule.
    for node in model.graph.node:
        for out in node.output:
            if not out or out in types:
                continue
            if node.op_type == "Cast":
                types[out] = next(a.i for a in node.attribute if a.name == "to")
            elif node.op_type in _INT64_OUTPUT_OPS:
                types[out] = TensorProto.INT64
            elif node.op_type in _BOOL_OUTPUT_OPS:
                types[out] = TensorProto.BOOL
            else:
                known = [types[i] for i in node.input if i and i in types]
                if known:
                    types[out] = known[0]
    return types


def sinusoidal_region(model: onnx.ModelProto, start_inputs: Iterable[str],
                      types: Optional[Dict[str, int]] = None) -> Set[str]:
    """Names of the nodes computing embeddings from ``start_inputs`` before the first learned matrix product.

    A node joins the region when it is not a weight op, reads a region tensor, and every floating-point input is
    already in the region or a constant: so the region never leaks into the main activation path. Integer inputs
    (shapes, such as the batch size the timestep is expanded to) may come from anywhere. For SDXL the start inputs
    are timestep, time_ids and text_embeds (concatenated with the time_ids embedding before add_embedding).
    """
    graph = model.graph
    graph_inputs = {i.name for i in graph.input}
    if not any(name in graph_inputs for name in start_inputs):
        return set()
    if types is None:
        types = infer_types(model)
    floating = {FLOAT, FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16}
    constants = {i.name for i in graph.initializer}
    constants.update(o for n in graph.node if n.op_type == "Constant" for o in n.output)
    region_tensors = {name for name in start_inputs if name in graph_inputs}
    region_nodes: Set[str] = set()
    if not region_tensors:
        return region_nodes
    for node in graph.node:  # ONNX graphs are topologically sorted
        if node.op_type in _REGION_STOP_OPS or node.op_type == "Constant":
            continue
        ins = [i for i in node.input if i]
        if not any(i in region_tensors for i in ins):
            continue
        if all(i in region_tensors or i in constants for i in ins if types.get(i, FLOAT) in floating):
            region_nodes.add(node.name)
            region_tensors.update(o for o in node.output if o)
    return region_nodes


def region_constants_to_initializers(model: onnx.ModelProto, region_nodes: Iterable[str]) -> List[str]:
    """Turns the float Constant nodes that ``region_nodes`` read into initializers; returns the initializers' names.

    For ONNX Runtime's ``convert_float_to_float16``, which converts the tensor of every Constant node not in its block
    list, and keeps an initializer fp32 when only blocked nodes read it. The region's own Constants (the sinusoid's
    frequencies, ``[1, 160]`` on SDXL's UNet) would otherwise be rounded to fp16 and cast back: up to 0.2 off in
    ``sin(t * f)`` at t = 499. A Constant that nodes outside the region read too stays for them (ORT may convert it)
    and the region gets an fp32 copy of its own.
    """
    graph = model.graph
    region = set(region_nodes)
    readers: Dict[str, List[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node_reads(node):
            readers.setdefault(name, []).append(node)
    outputs = {o.name for o in graph.output}
    taken = {i.name for i in graph.initializer} | {i.name for i in graph.input}
    taken.update(o for n in graph.node for o in n.output)
    moved: List[str] = []
    kept: List[onnx.NodeProto] = []
    for node in graph.node:
        value = next((a.t for a in node.attribute if a.name == "value"), None) if node.op_type == "Constant" else None
        if value is None or value.data_type != FLOAT or not node.output or not node.output[0]:
            kept.append(node)
            continue
        name = node.output[0]
        in_region = [r for r in readers.get(name, ()) if r.name in region]
        if not in_region:
            kept.append(node)
            continue
        if len(in_region) == len(readers[name]) and name not in outputs:
            target = name  # nothing else reads it: the node goes, the name stays
        else:
            kept.append(node)
            target = f"{name}_fp32"
            while target in taken:
                target += "_"
            taken.add(target)
            for reader in in_region:
                for slot, input_name in enumerate(reader.input):
                    if input_name == name:
                        reader.input[slot] = target
        initializer = TensorProto()
        initializer.CopyFrom(value)
        initializer.name = target
        graph.initializer.append(initializer)
        moved.append(target)
    if len(kept) != len(graph.node):
        del graph.node[:]
        graph.node.extend(kept)
    if moved:
        # A value_info typed float would be turned fp16 by ORT's converter, which then casts the fp32 initializer.
        stale = set(moved)
        infos = [v for v in graph.value_info if v.name not in stale]
        del graph.value_info[:]
        graph.value_info.extend(infos)
    return moved


def _to_fp16_array(arr: np.ndarray) -> np.ndarray:
    finite = np.isfinite(arr)
    clipped = np.where(finite, np.clip(arr, -_FP16_MAX, _FP16_MAX), arr)
    return clipped.astype(np.float16)


def _tensor_to_fp16(tensor: TensorProto) -> TensorProto:
    arr = numpy_helper.to_array(tensor)
    out = numpy_helper.from_array(_to_fp16_array(arr), tensor.name)
    return out


def convert_to_fp16(
    model: onnx.ModelProto,
    *,
    keep_io_types: bool = True,
    op_block_list: Sequence[str] = DEFAULT_FP32_OPS,
    node_block_list: Sequence[str] = (),
    fp32_region_inputs: Sequence[str] = (),
) -> ConversionReport:
    """Convert ``model`` to mixed fp16 in place (weights must be loaded) and return what was done."""
    graph = model.graph
    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise ValueError(
                f"node {node.name!r} is a {node.domain}:{node.op_type} op; this converter handles standard ONNX ops "
                "only (graphs fused by ONNX Runtime are converted with ORT's own converter)")

    types = infer_types(model)
    is_float = lambda name: types.get(name) == FLOAT  # noqa: E731

    blocked_ops = set(op_block_list)
    fp32_nodes: Set[str] = set(node_block_list) | sinusoidal_region(model, fp32_region_inputs, types)
    for i, node in enumerate(graph.node):
        if not node.name:
            node.name = f"{node.op_type}_{i}"
        if node.op_type in blocked_ops or any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
                                                for a in node.attribute):
            fp32_nodes.add(node.name)

    def node_is_fp16(node: onnx.NodeProto) -> bool:
        return node.name not in fp32_nodes

    # What each consumer slot wants. Graph outputs are consumers too.
    io_type = FLOAT if keep_io_types else FLOAT16
    wants: Dict[str, Set[int]] = {}

    def slot_want(node: onnx.NodeProto, slot: int) -> Optional[int]:
        if node.op_type in _ANY_TYPE_INPUT_OPS:
            return None
        if slot in _ALWAYS_FP32_SLOTS.get(node.op_type, ()):
            return FLOAT
        return FLOAT16 if node_is_fp16(node) else FLOAT

    for node in graph.node:
        for slot, name in enumerate(node.input):
            if name and is_float(name):
                w = slot_want(node, slot)
                if w is not None:
                    wants.setdefault(name, set()).add(w)
    for out in graph.output:
        if is_float(out.name):
            wants.setdefault(out.name, set()).add(io_type)

    # What each float tensor will be once converted.
    produced: Dict[str, int] = {}
    fp16_inits = fp32_inits = 0
    for inp in graph.input:
        if is_float(inp.name):
            produced[inp.name] = io_type
            inp.type.tensor_type.elem_type = io_type
    for init in graph.initializer:
        if init.data_type == FLOAT and wants.get(init.name) == {FLOAT16}:
            init.CopyFrom(_tensor_to_fp16(init))  # in place: each fp32 buffer is freed as soon as it is converted
            produced[init.name] = FLOAT16
            fp16_inits += 1
        elif init.data_type == FLOAT:
            produced[init.name] = FLOAT
            fp32_inits += 1

    for node in graph.node:
        fp16 = node_is_fp16(node)
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == FLOAT:
                    if wants.get(node.output[0]) == {FLOAT16}:
                        attr.t.CopyFrom(_tensor_to_fp16(attr.t))
                        produced[node.output[0]] = FLOAT16
                    else:
                        produced[node.output[0]] = FLOAT
            continue
        if fp16 and node.op_type == "Cast":
            for attr in node.attribute:
                if attr.name == "to" and attr.i == FLOAT:
                    attr.i = FLOAT16
        if fp16 and node.op_type == "ConstantOfShape":
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == FLOAT:
                    attr.t.CopyFrom(_tensor_to_fp16(attr.t))
        for out in node.output:
            if out and is_float(out):
                produced[out] = FLOAT16 if fp16 else FLOAT

    # Graph outputs whose producer disagrees with the IO type: the producer's tensor is renamed and a Cast brings the
    # original name back, so the interface keeps Optimum's names exactly.
    cast_cache: Dict[Tuple[str, int], str] = {}
    pending_casts: List[Tuple[str, str, int]] = []  # (source, target name, to)
    renames: Dict[str, str] = {}
    for out in graph.output:
        name = out.name
        if name in produced and produced[name] != io_type:
            internal = f"{name}_{'fp16' if produced[name] == FLOAT16 else 'fp32'}"
            renames[name] = internal
            produced[internal] = produced.pop(name)
            cast_cache[(internal, io_type)] = name
            pending_casts.append((internal, name, io_type))
        if is_float(name):
            out.type.tensor_type.elem_type = io_type
    if renames:
        for node in graph.node:
            for i, o in enumerate(node.output):
                if o in renames:
                    node.output[i] = renames[o]
            for i, inp in enumerate(node.input):
                if inp in renames:
                    node.input[i] = renames[inp]

    def cast_name(source: str, to: int) -> str:
        key = (source, to)
        if key not in cast_cache:
            target = f"{source}_to_{'fp16' if to == FLOAT16 else 'fp32'}"
            cast_cache[key] = target
            pending_casts.append((source, target, to))
        return cast_cache[key]

    for node in graph.node:
        for slot, name in enumerate(node.input):
            if not name or name not in produced:
                continue
            w = slot_want(node, slot)
            if w is not None and produced[name] != w:
                node.input[slot] = cast_name(name, w)

    # Place each Cast right after its source so the node list stays topologically sorted.
    casts_by_source: Dict[str, List[onnx.NodeProto]] = {}
    for source, target, to in pending_casts:
        casts_by_source.setdefault(source, []).append(
            helper.make_node("Cast", [source], [target], name=f"{target}_cast", to=to))
    sources_at_start = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    ordered: List[onnx.NodeProto] = []
    for source in [s for s in casts_by_source if s in sources_at_start]:
        ordered.extend(casts_by_source.pop(source))
    for node in graph.node:
        ordered.append(node)
        for o in node.output:
            ordered.extend(casts_by_source.pop(o, []))
    if casts_by_source:
        raise RuntimeError(f"no producer found for {sorted(casts_by_source)}")
    del graph.node[:]
    graph.node.extend(ordered)
    del graph.value_info[:]  # stale types; ORT and onnx re-infer them

    infer_types(model, strict=True)  # raises if any node now sees inconsistent types

    n_fp32 = sum(1 for n in graph.node if n.name in fp32_nodes)
    return ConversionReport(
        fp16_nodes=len(graph.node) - n_fp32 - len(pending_casts),
        fp32_nodes=n_fp32,
        casts_inserted=len(pending_casts),
        fp16_initializers=fp16_inits,
        fp32_initializers=fp32_inits,
        fp32_node_names=sorted(fp32_nodes),
    )
