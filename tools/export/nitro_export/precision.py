"""Graph optimization and fp16 conversion of one exported component.

With ONNX Runtime's transformers tools installed (the default path; the ``onnxruntime`` and ``onnxruntime-gpu`` wheels
both ship them, and the fusions are graph rewrites that need no GPU), this does what ONNX Runtime's own SDXL tooling
does: ``optimize_model`` with the component's model type ("unet", "vae", "clip") and its ``FusionOptions``
(fused multi-head attention, GroupNorm, BiasSplitGelu, BiasAdd, bias/activation and LayerNorm fusions), then ORT's
``convert_float_to_float16``. Fused graphs contain ORT contrib ops that only the CUDA provider runs.

Without those tools it warns and converts the plain graph with :mod:`nitro_export.fp16`: a portable fp16 model that
every ONNX Runtime provider loads, only slower on a GPU.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import onnx

from . import fp16 as own_fp16
from . import prune

log = logging.getLogger("nitro_export")


@dataclass
class OrtTools:
    """The two entry points of ``onnxruntime.transformers`` this tool uses (injectable for tests)."""

    optimize_model: Callable[..., Any]
    fusion_options: Callable[[str], Any]
    version: str


def load_ort_tools() -> Optional[OrtTools]:
    """ONNX Runtime's transformers optimizer, or None when neither onnxruntime nor onnxruntime-gpu is installed."""
    try:
        import onnxruntime  # noqa: PLC0415
        from onnxruntime.transformers.fusion_options import FusionOptions  # noqa: PLC0415
        from onnxruntime.transformers.optimizer import optimize_model  # noqa: PLC0415
    except ImportError:
        return None
    tolerate_one_element_constants()
    return OrtTools(optimize_model, FusionOptions, onnxruntime.__version__)


def _one_element_tolerant_type() -> type:
    import numpy  # noqa: PLC0415

    class OneElementTolerantArray(numpy.ndarray):
        """An array whose ``int()``/``float()`` accept one element in any shape, as NumPy did before 2.5."""

        def __int__(self) -> int:
            return int(self.reshape(-1)[0]) if self.size == 1 else super().__int__()

        def __float__(self) -> float:
            return float(self.reshape(-1)[0]) if self.size == 1 else super().__float__()

        def __index__(self) -> int:
            return int(self.reshape(-1)[0]) if self.size == 1 else super().__index__()

    return OneElementTolerantArray


def tolerate_one_element_constants(modules: Optional[Sequence[Any]] = None) -> int:
    """Lets ORT's diffusion fusions read head counts stored as one-element arrays under NumPy 2.5.

    ORT 1.30's attention fusions (UNet and VAE alike) take a constant from the graph with
    ``OnnxModel.get_constant_value`` and convert a ``[1]``-shaped result with ``int()``; NumPy 2.5 made that an error,
    and every fusion of a UNet or VAE failed on the GPU test machine. Constants are handed out as a view whose
    ``int()``/``float()`` accept one element in any shape; the values, shapes and everything else stay NumPy's.
    ``modules`` are the loaded copies of ORT's ``onnx_model`` module (ORT imports it under two names); the default
    finds them. Returns how many classes were mended; idempotent.
    """
    import importlib  # noqa: PLC0415

    import numpy  # noqa: PLC0415

    if modules is None:
        modules = []
        for name in ("onnxruntime.transformers.onnx_model", "onnx_model"):  # ORT puts its folder on sys.path
            try:
                modules.append(importlib.import_module(name))
            except ImportError:
                continue
    tolerant = _one_element_tolerant_type()
    mended = 0
    for module in modules:
        model_class = getattr(module, "OnnxModel", None)
        original = getattr(model_class, "get_constant_value", None)
        if original is None or getattr(original, "_nitrolive_tolerant", False):
            continue

        def get_constant_value(self: Any, output_name: str, _original: Any = original) -> Any:
            value = _original(self, output_name)
            return value.view(tolerant) if isinstance(value, numpy.ndarray) and value.ndim > 0 else value

        get_constant_value._nitrolive_tolerant = True  # type: ignore[attr-defined]
        model_class.get_constant_value = get_constant_value
        mended += 1
    return mended


@dataclass
class PrecisionPlan:
    """How one component is converted."""

    model_type: str  # ORT's name for it: "unet", "vae" or "clip"
    fp16: bool = True
    keep_io_types: bool = True
    op_block_list: Sequence[str] = own_fp16.DEFAULT_FP32_OPS
    fp32_region_inputs: Sequence[str] = ()
    # ORT's symbolic shape inference, which its UNet fusions use only to find removable Casts and Reshapes, and its
    # fp16 conversion once more for the Cast clean-up after it. It runs over the whole graph each time; the Casts are
    # gone before ORT sees the graph (prune.py), and a Reshape to its own shape costs next to nothing on the GPU. (The
    # conversion's own pass, which learns every value's type, stays: keep_shape_inference_off.)
    ort_shape_inference: bool = True


@dataclass
class PrecisionResult:
    model: onnx.ModelProto
    fused_by_ort: bool
    summary: str


MISSING_ORT_WARNING = (
    "ONNX Runtime's transformers tools are not installed (pip install onnxruntime; an installed onnxruntime-gpu has "
    "them too): skipping ONNX Runtime's diffusion graph fusions. The folder still works on every provider, but the "
    "UNet runs noticeably slower on CUDA."
)


def optimize(fp32_path: Path, plan: PrecisionPlan, ort: Optional[OrtTools], use_ort: bool) -> PrecisionResult:
    """Optimize and convert the fp32 model at ``fp32_path``; returns the in-memory result (weights loaded)."""
    if use_ort and ort is None:
        warnings.warn(MISSING_ORT_WARNING, RuntimeWarning, stacklevel=2)
    if use_ort and ort is not None:
        return _optimize_with_ort(fp32_path, plan, ort)

    model = onnx.load(str(fp32_path), load_external_data=True)
    if not plan.fp16:
        return PrecisionResult(model, False, "fp32, unfused")
    report = own_fp16.convert_to_fp16(
        model,
        keep_io_types=plan.keep_io_types,
        op_block_list=plan.op_block_list,
        fp32_region_inputs=plan.fp32_region_inputs,
    )
    summary = (f"fp16 (NitroLive converter): {report.fp16_nodes} fp16 nodes, {report.fp32_nodes} fp32 nodes, "
               f"{report.casts_inserted} casts, {report.fp16_initializers} fp16 / {report.fp32_initializers} fp32 "
               "initializers, unfused")
    return PrecisionResult(model, False, summary)


def _optimize_with_ort(fp32_path: Path, plan: PrecisionPlan, ort: OrtTools) -> PrecisionResult:
    options = ort.fusion_options(plan.model_type)
    if not plan.ort_shape_inference:
        options.enable_shape_inference = False
    if plan.model_type == "unet" and not plan.fp16:
        # Packed QKV/KV only pays off with the fp16 fused-attention kernels.
        options.enable_packed_kv = False
        options.enable_packed_qkv = False
    pruned_path = fp32_path.with_name(fp32_path.stem + ".pruned.onnx")
    dropped = prune.drop_pass_through_nodes_in_file(fp32_path, pruned_path)
    started = time.monotonic()
    try:
        optimized = ort.optimize_model(
            str(pruned_path),
            model_type=plan.model_type,
            num_heads=0,  # deduced from the graph
            hidden_size=0,
            opt_level=0,  # Python fusions only: the saved graph stays loadable by any ORT build
            optimization_options=options,
            use_gpu=True,
        )
    except Exception as e:  # noqa: BLE001  (ORT's fusion scripts raise anything; say what to do instead)
        raise RuntimeError(_fusion_failure(plan.model_type, ort.version, e)) from e
    fused_at = time.monotonic()
    if not plan.ort_shape_inference:
        keep_shape_inference_off(optimized)
    summary = f"ONNX Runtime {ort.version} fusions ({plan.model_type}, {fused_at - started:.0f} s)"
    if any(dropped.values()):
        summary += ", first dropped " + ", ".join(f"{n} {op}" for op, n in dropped.items() if n)
    if not plan.ort_shape_inference:
        summary += ", no symbolic shape inference"
    # Before anything reads the fused graph: ORT's fp16 converter runs onnx's shape inference, and the saved file must
    # declare the domain too (the conversion itself adds only standard Cast nodes).
    own_fp16.ensure_opset_imports(optimized.model)
    if plan.fp16:
        node_block_list = sorted(own_fp16.sinusoidal_region(optimized.model, plan.fp32_region_inputs))
        # ORT's converter turns every unblocked Constant fp16, the sinusoid's frequencies included; initializers that
        # only blocked nodes read stay fp32.
        constants = own_fp16.region_constants_to_initializers(optimized.model, node_block_list)
        optimized.convert_float_to_float16(
            keep_io_types=plan.keep_io_types,
            op_block_list=list(plan.op_block_list),
            node_block_list=node_block_list,
        )
        kept = f"{len(node_block_list)} embedding nodes"
        if constants:
            kept += f" and {len(constants)} constants"
        summary += f", fp16 by ORT's converter ({kept} kept fp32, {time.monotonic() - fused_at:.0f} s)"
    moved = own_fp16.sort_topologically(optimized.model.graph)
    if moved:
        summary += f", {moved} nodes reordered"
    fused = _fused_op_counts(optimized.model)
    if fused:
        summary += ", fused: " + ", ".join(f"{k}={v}" for k, v in sorted(fused.items()))
    else:
        # Nothing to gain on CUDA, and nothing that ties the graph to it: the folder should not say CUDA only.
        summary += ", no fused ops"
        log.warning("ONNX Runtime %s's fusions left the %s with no fused (com.microsoft) op: the graph is the portable "
                    "one, no faster on CUDA. A graph ORT's fusion patterns do not recognise, or an ORT that fuses "
                    "differently, can cause it.", ort.version, plan.model_type)
    return PrecisionResult(optimized.model, bool(fused), summary)


def keep_shape_inference_off(optimized: Any) -> bool:
    """Keeps ORT's symbolic shape inference off for an optimized model across ORT's own re-initialization.

    ORT's ``convert_float_to_float16`` re-initializes the model with the converted graph, which turns symbolic shape
    inference back on for the Cast clean-up that follows: a second pass over the whole graph, after the one the
    conversion itself runs to learn every value's type (on the full-size UNet each took minutes of a GPU visit).
    With it kept off, the clean-up reads the types that first pass recorded in the graph, as ORT does whenever
    inference is off. Returns False (and changes nothing) on an ORT whose model class lacks the two methods.
    """
    initialize = getattr(optimized, "initialize", None)
    if initialize is None or not hasattr(optimized, "disable_shape_inference"):
        return False

    def initialize_without_shape_inference(model: Any) -> None:
        initialize(model)
        optimized.disable_shape_inference()

    optimized.initialize = initialize_without_shape_inference
    optimized.disable_shape_inference()
    return True


def _fusion_failure(model_type: str, ort_version: str, error: BaseException) -> str:
    import numpy  # noqa: PLC0415

    hint = ""
    if "0-dimensional arrays" in str(error):
        hint = (f" NumPy {numpy.__version__} refuses a conversion that this onnxruntime's fusion code makes (one this "
                "tool does not mend yet): install numpy<2.5 (tools/export/requirements.txt) and export again.")
    return (f"ONNX Runtime {ort_version}'s diffusion fusions failed on the {model_type} ({type(error).__name__}: "
            f"{error}).{hint} Or export without them: --no-ort-optimize (a portable graph, slower on CUDA).")


def _fused_op_counts(model: onnx.ModelProto) -> dict:
    counts: dict = {}
    for node in model.graph.node:
        if node.domain == "com.microsoft":
            counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts
