"""Random weights for an ONNX graph whose weights live in external files.

ORT's fusion of a full-size UNet takes most of a 15-minute GPU visit (docs/performance.md, GPU run 4), and its result
does not depend on the weights' values, nor does its speed. So run_checks.sh brings the fused UNet's graph back
(`fused-unet.onnx.xz`, a few MB: the weights stay behind in their external file), and a later visit that has the graph
in bench/gpu/ times it at once with weights made up here, in seconds, instead of fusing again.

Only floating-point tensors can be made up: shapes and indices must be stored in the graph itself, as the exporter
keeps every tensor under 1 KB. A graph that keeps an integer tensor outside is refused, naming it.

usage: python3 random_weights.py GRAPH[.xz] DEST_DIR   (writes DEST_DIR/model.onnx and its weight files)
"""
from __future__ import annotations

import lzma
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import TensorProto

FLOATS = {TensorProto.FLOAT: np.float32, TensorProto.FLOAT16: np.float16, TensorProto.DOUBLE: np.float64}
BLOCK_VALUES = 1 << 22  # one block of random values, repeated: the values only have to be finite and weight-sized


def external_spans(model: onnx.ModelProto) -> Dict[str, List[Tuple[int, int, type]]]:
    """Each external weight file's (offset, length, dtype) spans; refuses tensors whose values cannot be made up."""
    files: Dict[str, List[Tuple[int, int, type]]] = {}
    for tensor in _initializers(model.graph):
        if tensor.data_location != TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in tensor.external_data}
        dtype = FLOATS.get(tensor.data_type)
        if dtype is None:
            raise ValueError(f"{tensor.name}: {TensorProto.DataType.Name(tensor.data_type)} values stored outside the "
                             "graph cannot be made up (only floating-point weights can)")
        location = info.get("location", "")
        if not location or Path(location).name != location:
            raise ValueError(f"{tensor.name}: external data location {location!r} is not a file name beside the graph")
        expected = int(np.prod(tensor.dims, dtype=np.int64)) * np.dtype(dtype).itemsize
        length = int(info.get("length", expected))
        if length != expected:
            raise ValueError(f"{tensor.name}: {length} bytes recorded for a {list(tensor.dims)} "
                             f"{np.dtype(dtype).name} tensor ({expected} bytes)")
        files.setdefault(location, []).append((int(info.get("offset", 0)), length, dtype))
    return files


def materialize(graph_path: Path, dest: Path, seed: int = 0) -> Tuple[int, int]:
    """Writes the graph and random weights for it into ``dest``; returns (tensors, bytes) written."""
    data = graph_path.read_bytes()
    if graph_path.suffix == ".xz":
        data = lzma.decompress(data)
    files = external_spans(onnx.load_from_string(data))
    dest.mkdir(parents=True, exist_ok=True)
    # New files, never written through: the destination may hold hard links to another folder's weights.
    for name in ["model.onnx", *files]:
        (dest / name).unlink(missing_ok=True)
    (dest / "model.onnx").write_bytes(data)
    values = np.random.default_rng(seed).standard_normal(BLOCK_VALUES, dtype=np.float32) * 0.02
    blocks = {}
    tensors = written = 0
    for location, spans in files.items():
        with open(dest / location, "wb") as f:
            for offset, length, dtype in sorted(spans, key=lambda s: s[0]):
                if dtype not in blocks:
                    blocks[dtype] = memoryview(values.astype(dtype).tobytes())
                block = blocks[dtype]
                f.seek(offset)
                left = length
                while left > 0:
                    piece = block[:left]
                    f.write(piece)
                    left -= len(piece)
                tensors += 1
                written += length
    return tensors, written


def _initializers(graph: onnx.GraphProto):
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _initializers(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for sub in attr.graphs:
                    yield from _initializers(sub)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    try:
        count, size = materialize(Path(sys.argv[1]), Path(sys.argv[2]))
    except (OSError, ValueError, lzma.LZMAError, DecodeError) as e:
        sys.exit(f"random_weights: {e}")
    print(f"random weights for {count} tensors ({size / 1e9:.2f} GB) beside {sys.argv[2]}/model.onnx")
