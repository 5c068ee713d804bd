"""Minimal numpy interpreter for the ONNX ops our exports use (no onnxruntime for Python on this machine).
Used by verify.py to check that the exported graphs compute the same as torch (incl. other batch sizes)."""
import math

import numpy as np
import onnx
from onnx import numpy_helper

try:
    from math import erf as _erf
except ImportError:  # pragma: no cover
    _erf = None

_verf = np.vectorize(math.erf, otypes=[np.float32])


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, strides, pads, group=1):
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    sh, sw = strides
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    Ho = (H + pt + pb - kh) // sh + 1
    Wo = (W + pl + pr - kw) // sw + 1
    cols = np.empty((N, C, kh, kw, Ho, Wo), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw]
    assert group == 1
    y = np.einsum("nckhw,ockx->nohw" if False else "ncijhw,ocij->nohw", cols, w, optimize=True)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def run(model_path, feeds, stats=None):
    """stats: optional dict; 'macs' accumulates the multiply-accumulates of Conv/MatMul/Gemm"""
    m = onnx.load(model_path)
    env = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    env.update(feeds)
    for node in m.graph.node:
        a = _attrs(node)
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            out = numpy_helper.to_array(a["value"])
        elif op == "Add":
            out = x[0] + x[1]
        elif op == "Sub":
            out = x[0] - x[1]
        elif op == "Mul":
            out = x[0] * x[1]
        elif op == "Div":
            out = x[0] / x[1] if x[0].dtype.kind == "f" else x[0] // x[1]
        elif op == "Pow":
            out = np.power(x[0], x[1]).astype(x[0].dtype)
        elif op == "Sqrt":
            out = np.sqrt(x[0])
        elif op == "Reciprocal":
            out = 1.0 / x[0]
        elif op == "Exp":
            out = np.exp(x[0])
        elif op == "Cos":
            out = np.cos(x[0])
        elif op == "Sin":
            out = np.sin(x[0])
        elif op == "Erf":
            out = _verf(x[0])
        elif op == "Sigmoid":
            out = 1.0 / (1.0 + np.exp(-x[0]))
        elif op == "Identity":
            out = x[0]
        elif op == "Cast":
            out = x[0].astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"]) if hasattr(onnx.helper, "tensor_dtype_to_np_dtype")
                              else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        elif op == "Shape":
            out = np.array(x[0].shape, np.int64)
        elif op == "Reshape":
            shp = [d if d != 0 else x[0].shape[i] for i, d in enumerate(x[1].tolist())]
            out = x[0].reshape(shp)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
        elif op == "Transpose":
            out = np.transpose(x[0], a["perm"])
        elif op == "Unsqueeze":
            out = x[0]
            for ax in sorted(int(v) for v in x[1]):
                out = np.expand_dims(out, ax if ax >= 0 else ax + out.ndim + 1)
        elif op == "Squeeze":
            out = np.squeeze(x[0], axis=tuple(int(v) for v in x[1])) if len(x) > 1 and x[1] is not None else np.squeeze(x[0])
        elif op == "Concat":
            out = np.concatenate(x, axis=a["axis"])
        elif op == "Gather":
            out = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif op == "Slice":
            starts, ends = x[1], x[2]
            axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
            steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
            sl = [slice(None)] * x[0].ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(max(min(e, 2 ** 62), -2 ** 62)), int(st))
            out = x[0][tuple(sl)]
        elif op == "Range":
            out = np.arange(x[0], x[1], x[2]).astype(x[0].dtype)
        elif op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            out = np.full(tuple(int(d) for d in x[0]), v.reshape(-1)[0], v.dtype)
        elif op == "Expand":
            out = x[0] * np.ones(tuple(int(d) for d in x[1]), x[0].dtype)
        elif op == "Where":
            out = np.where(x[0], x[1], x[2])
        elif op == "Equal":
            out = x[0] == x[1]
        elif op == "ArgMax":
            out = np.argmax(x[0], axis=a.get("axis", 0))
            if a.get("keepdims", 1):
                out = np.expand_dims(out, a.get("axis", 0))
            out = out.astype(np.int64)
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(x[0] - x[0].max(axis=ax, keepdims=True))
            out = e / e.sum(axis=ax, keepdims=True)
        elif op == "MatMul":
            out = np.matmul(x[0], x[1])
        elif op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            out = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                out = out + a.get("beta", 1.0) * x[2]
        elif op == "LayerNormalization":
            ax = a.get("axis", -1)
            axes = tuple(range(ax if ax >= 0 else x[0].ndim + ax, x[0].ndim))
            mu = x[0].mean(axis=axes, keepdims=True)
            var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            out = (x[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * x[1]
            if len(x) > 2 and x[2] is not None:
                out = out + x[2]
        elif op == "InstanceNormalization":
            axes = tuple(range(2, x[0].ndim))
            mu = x[0].mean(axis=axes, keepdims=True)
            var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            shp = (1, -1) + (1,) * (x[0].ndim - 2)
            out = (x[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * x[1].reshape(shp) + x[2].reshape(shp)
        elif op == "Conv":
            out = _conv(x[0], x[1], x[2] if len(x) > 2 else None, a.get("strides", [1, 1]),
                        a.get("pads", [0, 0, 0, 0]), a.get("group", 1))
        elif op == "Resize":
            assert a.get("mode", b"nearest") in (b"nearest", "nearest")
            scales = x[2] if len(x) > 2 and x[2] is not None and x[2].size else None
            if scales is None:
                sizes = x[3]
                scales = np.array(sizes, np.float32) / np.array(x[0].shape, np.float32)
            assert all(abs(s - round(s)) < 1e-6 for s in scales)
            out = x[0]
            for ax, s in enumerate(scales):
                if int(round(s)) != 1:
                    out = np.repeat(out, int(round(s)), axis=ax)
        elif op == "DepthToSpace":
            bs = a["blocksize"]
            N, C, H, W = x[0].shape
            mode = a.get("mode", b"DCR")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            if mode == "CRD":
                t = x[0].reshape(N, C // bs ** 2, bs, bs, H, W).transpose(0, 1, 4, 2, 5, 3)
            else:
                t = x[0].reshape(N, bs, bs, C // bs ** 2, H, W).transpose(0, 3, 4, 1, 5, 2)
            out = t.reshape(N, C // bs ** 2, H * bs, W * bs)
        else:
            raise NotImplementedError(op)
        if stats is not None and op in ("Conv", "MatMul", "Gemm"):
            k = int(np.prod(x[1].shape[1:])) if op == "Conv" else (x[0].shape[-1] if not a.get("transA", 0) else x[0].shape[0])
            stats["macs"] = stats.get("macs", 0) + int(np.prod(out.shape)) * k
        if len(node.output) != 1:
            raise NotImplementedError("multi-output " + op)
        if isinstance(out, np.ndarray) and out.dtype == np.float64:
            out = out.astype(np.float32)
        env[node.output[0]] = np.asarray(out)
    return {o.name: env[o.name] for o in m.graph.output}
