"""Builds NitroLive model folders from already-constructed torch modules.

Everything that downloads lives in :mod:`nitro_export.hf_source`; this module only needs a :class:`ModelSource`,
so tests drive the whole export with tiny random modules.

Layout of one folder (what NitroLive's loader and ``nitrolive verify-model`` read)::

    nitrolive.json                     variant, shifted timestep, sizes, steps, licence, example prompts
    model_index.json
    scheduler/scheduler_config.json    SDXL base's (TimestepShiftLCM is built from it)
    tokenizer/   tokenizer_2/          vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json
    text_encoder/model.onnx            input_ids -> last_hidden_state, pooler_output, hidden_states.0..N
    text_encoder_2/model.onnx          input_ids -> text_embeds, last_hidden_state, hidden_states.0..N
    unet/model.onnx + model.onnx_data  sample, timestep, encoder_hidden_states, text_embeds, time_ids -> out_sample
    vae_decoder/model.onnx             latent_sample -> sample
    vae_decoder_tiny/model.onnx        optional TAESD-XL decoder, same interface
    */config.json                      the component's original config

Both variants share everything but the UNet. Each folder is complete (the loader reads one folder); the second one
gets hard links to the first one's shared files, or copies where hard links are impossible.
"""
from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Protocol, Tuple

from torch import nn

from . import onnx_io, precision

log = logging.getLogger("nitro_export")

TOKENIZER_FILES = ("vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json")

# Sizes (width, height) offered to users: the native square, the smaller squares that trade quality for speed, then
# SDXL's other 1024-area buckets. All are multiples of 64 (the UNet downsamples latents three times).
SIZES = [[1024, 1024], [768, 768], [512, 512], [1152, 896], [896, 1152], [1216, 832], [832, 1216]]


@dataclass(frozen=True)
class Variant:
    key: str
    folder: str
    unet_file: str  # in the ChenDY/NitroFusion repository
    display_name: str
    shifted_timestep: int
    license: str
    description: str
    # Written to nitrolive.json as example_prompts: the studio offers the first few as "Try" chips and a kiosk with no
    # playlist of its own cycles through them, so each should show what the variant is good at.
    example_prompts: Tuple[str, ...]


VARIANTS: Dict[str, Variant] = {
    "realism": Variant(
        key="realism",
        folder="nitrosd-realism",
        unet_file="nitrosd-realism_unet.safetensors",
        display_name="NitroSD-Realism",
        shifted_timestep=250,
        license="cc-by-nc-4.0 (NitroSD-Realism)",
        description="NitroFusion one-step distilled SDXL UNet, photorealistic style (TimestepShiftLCM, shift 250).",
        example_prompts=(
            "a portrait photo of an old fisherman, golden hour, shallow depth of field",
            "a red fox in fresh snow, morning light, wildlife photography",
            "a cup of coffee on a wooden table by a rainy window",
            "a lighthouse on a rocky coast at sunset, long exposure",
            "a bowl of ramen with a soft-boiled egg, food photography",
            "a snowy mountain lake under a starry sky",
        ),
    ),
    "vibrant": Variant(
        key="vibrant",
        folder="nitrosd-vibrant",
        unet_file="nitrosd-vibrant_unet.safetensors",
        display_name="NitroSD-Vibrant",
        shifted_timestep=500,
        license="openrail++ (NitroSD-Vibrant)",
        description="NitroFusion one-step distilled SDXL UNet, vivid style (TimestepShiftLCM, shift 500).",
        example_prompts=(
            "a neon city street at night in the rain, cyberpunk",
            "a cute robot watering flowers, colourful illustration",
            "a dragon made of autumn leaves, fantasy art",
            "a yellow sun over green hills, children's book style",
            "a white sailboat on a dark blue sea, oil painting",
            "a castle floating in pink clouds, vibrant colours",
        ),
    ),
}


# What a --random-weights folder says instead of the variant's licence and description: it holds none of its weights.
RANDOM_WEIGHTS_LICENSE = "none: random weights, no NitroFusion or SDXL weights inside"
RANDOM_WEIGHTS_DESCRIPTION = ("SDXL's architecture with random weights, for speed measurements only: the images are "
                              "noise.")


@dataclass
class Component:
    """A torch module plus the config.json written next to its ONNX file."""

    module: nn.Module
    config: Dict[str, Any]


class ModelSource(Protocol):
    """Where the torch modules come from. The default pulls from Hugging Face; tests pass tiny random modules.

    A source whose weights are not the variant's (``random_weights = True``, random_source.py) gets a nitrolive.json
    that says so in the name the app shows, with no licence of weights it does not hold.
    """

    def text_encoder(self) -> Component: ...  # transformers CLIPTextModel

    def text_encoder_2(self) -> Component: ...  # transformers CLIPTextModelWithProjection

    def vae_decoder(self, mode: str) -> Component: ...  # diffusers AutoencoderKL ("fp16-fix" or "upcast")

    def tiny_vae_decoder(self) -> Optional[Component]: ...  # diffusers AutoencoderTiny (TAESD-XL)

    def unet(self, variant: Variant) -> Component: ...  # diffusers UNet2DConditionModel with the variant's weights

    def scheduler_config(self) -> Dict[str, Any]: ...

    def tokenizer_files(self, subfolder: str) -> Dict[str, bytes]: ...  # the four TOKENIZER_FILES

    def provenance(self) -> Dict[str, Any]: ...


@dataclass
class ExportOptions:
    out_dir: Path
    variants: List[str] = field(default_factory=lambda: ["realism", "vibrant"])
    fp16: bool = True
    keep_io_types: bool = True  # fp32 inputs/outputs around an fp16 graph
    ort_optimize: bool = True
    tiny_vae: bool = True
    vae: str = "fp16-fix"  # or "upcast": SDXL base's decoder kept fp32, flagged force_upcast
    timestep_dtype: str = "int64"
    latent_size: int = 64  # latent edge of the tracing inputs (dynamic axes make any size work)
    share: str = "hardlink"  # or "copy"
    device: str = "cpu"
    overwrite: bool = False
    ort_unet_shape_inference: bool = False  # True is ORT's default, minutes slower on a full-size UNet (precision.py)


@dataclass
class ExportResult:
    folders: Dict[str, Path]
    sizes: Dict[str, int]  # bytes per folder (a hard-linked file counts in each)
    summaries: Dict[str, str]
    fused_by_ort: bool


# Diffusers computes the sinusoidal timestep and time_ids embeddings in fp32 and casts only what enters the first
# linear layer (text_embeds joins the time_ids embedding in a Concat before add_embedding).
UNET_FP32_REGION_INPUTS = ("timestep", "time_ids", "text_embeds")

SHARED_PARTS = ("text_encoder", "text_encoder_2", "vae_decoder", "vae_decoder_tiny", "tokenizer", "tokenizer_2",
                "scheduler", "model_index.json")


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(_jsonable(obj), f, indent=2, ensure_ascii=False)
        f.write("\n")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


class Exporter:
    def __init__(self, source: ModelSource, options: ExportOptions, ort: Optional[precision.OrtTools] = None,
                 ort_loader=precision.load_ort_tools):
        unknown = [v for v in options.variants if v not in VARIANTS]
        if unknown or not options.variants:
            raise ValueError(f"variants must be among {sorted(VARIANTS)}, got {options.variants}")
        if options.vae not in ("fp16-fix", "upcast"):
            raise ValueError(f"vae must be 'fp16-fix' or 'upcast', not {options.vae!r}")
        if options.share not in ("hardlink", "copy"):
            raise ValueError(f"share must be 'hardlink' or 'copy', not {options.share!r}")
        self.source = source
        # A variant named twice would be exported twice into one folder, whose second rename then finds it gone.
        self.options = replace(options, variants=list(dict.fromkeys(options.variants)))
        self.ort = ort if ort is not None else (ort_loader() if options.ort_optimize else None)
        self.summaries: Dict[str, str] = {}
        self.fused = False

    # ---- one component -------------------------------------------------------------------------------------------

    def _export_component(self, name: str, spec: onnx_io.ExportSpec, target_dir: Path, plan: precision.PrecisionPlan,
                          config: Optional[Dict[str, Any]], always_external: bool) -> None:
        start = time.time()
        target_dir.mkdir(parents=True, exist_ok=True)
        with onnx_io.TemporaryExportDir(target_dir.parent) as scratch:
            fp32_path = scratch / "model.onnx"
            onnx_io.export_fp32(spec, fp32_path, self.options.device)
            result = precision.optimize(fp32_path, plan, self.ort, self.options.ort_optimize)
            external = always_external or onnx_io.needs_external_data(result.model)
            onnx_io.save_model(result.model, target_dir / "model.onnx", external)
        if config is not None:
            _write_json(target_dir / "config.json", config)
        self.fused = self.fused or result.fused_by_ort
        self.summaries[name] = result.summary
        log.info("%s: %s (%.0f s)", name, result.summary, time.time() - start)

    def _plan(self, model_type: str, fp16: Optional[bool] = None, region=()) -> precision.PrecisionPlan:
        return precision.PrecisionPlan(
            model_type=model_type,
            fp16=self.options.fp16 if fp16 is None else fp16,
            keep_io_types=self.options.keep_io_types,
            fp32_region_inputs=tuple(region),
        )

    # ---- shared parts --------------------------------------------------------------------------------------------

    def _export_shared(self, folder: Path) -> Dict[str, Any]:
        src = self.source
        te1 = src.text_encoder()
        self._export_component("text_encoder", onnx_io.text_encoder_spec(te1.module, second=False),
                               folder / "text_encoder", self._plan("clip"), te1.config, always_external=False)
        del te1
        gc.collect()
        te2 = src.text_encoder_2()
        self._export_component("text_encoder_2", onnx_io.text_encoder_spec(te2.module, second=True),
                               folder / "text_encoder_2", self._plan("clip"), te2.config, always_external=False)
        del te2
        gc.collect()

        vae = src.vae_decoder(self.options.vae)
        vae_config = dict(vae.config)
        for key in ("scaling_factor", "block_out_channels", "latent_channels"):
            if key not in vae_config:
                raise ValueError(f"the VAE config has no {key!r}; NitroLive needs it to decode")
        upcast = self.options.vae == "upcast"
        vae_config["force_upcast"] = upcast
        vae_config["output_range"] = [-1, 1]  # AutoencoderKL.decode: image = sample / 2 + 0.5
        # The original SDXL decoder overflows in fp16 (NaN images): keep it fp32 whatever --fp16 says.
        self._export_component("vae_decoder", onnx_io.vae_decoder_spec(vae.module, int(vae_config["latent_channels"]),
                                                                       self.options.latent_size),
                               folder / "vae_decoder", self._plan("vae", fp16=self.options.fp16 and not upcast),
                               vae_config, always_external=False)
        vae_scale = 2 ** (len(vae_config["block_out_channels"]) - 1)
        del vae
        gc.collect()

        tiny = src.tiny_vae_decoder() if self.options.tiny_vae else None
        if tiny is not None:
            tiny_config = dict(tiny.config)
            tiny_config.setdefault("scaling_factor", 1.0)
            tiny_config.setdefault("force_upcast", False)
            tiny_config["output_range"] = [-1, 1]  # diffusers' AutoencoderTiny.decode maps TAESD's [0, 1] to [-1, 1]
            tiny_config["_nitrolive_note"] = ("TAESD-XL tiny decoder: latent_sample = UNet latents / scaling_factor, "
                                              "output in [-1, 1] like vae_decoder")
            self._export_component("vae_decoder_tiny",
                                   onnx_io.vae_decoder_spec(tiny.module, int(tiny_config.get("latent_channels", 4)),
                                                            self.options.latent_size),
                                   folder / "vae_decoder_tiny", self._plan("vae"), tiny_config, always_external=False)
            del tiny
            gc.collect()

        for sub in ("tokenizer", "tokenizer_2"):
            files = src.tokenizer_files(sub)
            missing = [f for f in TOKENIZER_FILES if f not in files]
            if missing:
                raise ValueError(f"{sub} lacks {', '.join(missing)}")
            (folder / sub).mkdir(parents=True, exist_ok=True)
            for fname in TOKENIZER_FILES:
                (folder / sub / fname).write_bytes(files[fname])

        _write_json(folder / "scheduler" / "scheduler_config.json", src.scheduler_config())
        model_index = {
            "_class_name": "StableDiffusionXLPipeline",
            "_diffusers_version": "0.27.0",
            "force_zeros_for_empty_prompt": True,
            "scheduler": ["diffusers", "EulerDiscreteScheduler"],
            "text_encoder": ["transformers", "CLIPTextModel"],
            "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
            "tokenizer": ["transformers", "CLIPTokenizer"],
            "tokenizer_2": ["transformers", "CLIPTokenizer"],
            "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        }
        if self.options.tiny_vae and (folder / "vae_decoder_tiny").exists():
            model_index["vae_decoder_tiny"] = ["diffusers", "AutoencoderTiny"]
        _write_json(folder / "model_index.json", model_index)
        return {"vae_scale": vae_scale, "tiny_vae": (folder / "vae_decoder_tiny").exists()}

    def _share_from(self, first: Path, folder: Path) -> None:
        for part in SHARED_PARTS:
            src = first / part
            if not src.exists():
                continue
            if src.is_file():
                self._link_or_copy(src, folder / part)
                continue
            for root, _dirs, files in os.walk(src):
                rel = Path(root).relative_to(first)
                (folder / rel).mkdir(parents=True, exist_ok=True)
                for fname in files:
                    self._link_or_copy(Path(root) / fname, folder / rel / fname)

    def _link_or_copy(self, src: Path, dst: Path) -> None:
        if self.options.share == "hardlink":
            try:
                os.link(src, dst)
                return
            except OSError as e:  # another file system, or one without hard links
                log.warning("hard link %s -> %s failed (%s); copying", src, dst, e)
        shutil.copy2(src, dst)

    # ---- the whole export ----------------------------------------------------------------------------------------

    def run(self) -> ExportResult:
        opts = self.options
        opts.out_dir.mkdir(parents=True, exist_ok=True)
        finals = {v: opts.out_dir / VARIANTS[v].folder for v in opts.variants}
        for final in finals.values():
            if final.exists() and not opts.overwrite:
                raise FileExistsError(f"{final} exists; pass --overwrite to replace it")
        partials = {v: f.with_name(f.name + ".partial") for v, f in finals.items()}
        for p in partials.values():
            shutil.rmtree(p, ignore_errors=True)

        # The UNets first: they take most of the time (minutes of ORT's fusions at full size), and a check that needs
        # only a UNet (bench/gpu/run_checks.sh) can start on one while the shared parts are still exported.
        sample_sizes = {}
        for key in opts.variants:
            unet = self.source.unet(VARIANTS[key])
            spec = onnx_io.unet_spec(unet.module, unet.config, opts.timestep_dtype, opts.latent_size)
            plan = self._plan("unet", region=UNET_FP32_REGION_INPUTS)
            plan.ort_shape_inference = opts.ort_unet_shape_inference
            self._export_component(f"unet ({key})", spec, partials[key] / "unet", plan, unet.config,
                                   always_external=True)
            sample_sizes[key] = int(unet.config.get("sample_size", 128))
            del unet, spec
            gc.collect()

        first = partials[opts.variants[0]]
        shared = self._export_shared(first)
        for key in opts.variants:
            if partials[key] != first:
                self._share_from(first, partials[key])
            native = sample_sizes[key] * shared["vae_scale"]
            _write_json(partials[key] / "nitrolive.json",
                        self._nitrolive_json(VARIANTS[key], native, shared["tiny_vae"]))

        sizes = {}
        for key in opts.variants:
            if finals[key].exists():
                shutil.rmtree(finals[key])
            os.replace(partials[key], finals[key])
            sizes[key] = folder_size(finals[key])
        return ExportResult(finals, sizes, dict(self.summaries), self.fused)

    def _nitrolive_json(self, variant: Variant, native: int, tiny_vae: bool) -> Dict[str, Any]:
        opts = self.options
        random_weights = bool(getattr(self.source, "random_weights", False))
        return {
            "display_name": variant.display_name + (" (random weights)" if random_weights else ""),
            "variant": variant.key,
            "family": "nitrofusion",
            "shifted_timestep": variant.shifted_timestep,
            "original_inference_steps": 4,
            "native_width": native,
            "native_height": native,
            "supported_steps": [1, 2, 3, 4],
            "sizes": [list(s) for s in SIZES],
            "embedded_demo": False,
            "license": RANDOM_WEIGHTS_LICENSE if random_weights else variant.license,
            "description": RANDOM_WEIGHTS_DESCRIPTION if random_weights else variant.description,
            "example_prompts": list(variant.example_prompts),
            "export": {
                "tool": "NitroLive tools/export",
                "precision": "fp16" if opts.fp16 else "fp32",
                "io_dtype": "float32" if (opts.keep_io_types or not opts.fp16) else "float16",
                "timestep_dtype": opts.timestep_dtype,
                "opset": onnx_io.OPSET,
                "ort_fusions": self.fused,
                # Fused graphs hold ORT contrib ops (GroupNorm, BiasSplitGelu, ...) that only the CUDA provider runs.
                "providers": ["CUDAExecutionProvider"] if self.fused else ["CUDAExecutionProvider",
                                                                          "CPUExecutionProvider"],
                "vae": opts.vae,
                "tiny_vae": tiny_vae,
                "components": {**{k: v for k, v in self.summaries.items() if not k.startswith("unet (")},
                               "unet": self.summaries.get(f"unet ({variant.key})", "")},
                "sources": self.source.provenance(),
                "unet_checkpoint": variant.unet_file,
            },
        }


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def export_folders(source: ModelSource, options: ExportOptions,
                   ort: Optional[precision.OrtTools] = None) -> ExportResult:
    """Export every requested variant of ``source`` into ``options.out_dir``."""
    return Exporter(source, options, ort=ort).run()


def describe(result: ExportResult) -> Iterable[str]:
    for key, folder in result.folders.items():
        yield f"{folder}: {result.sizes[key] / 1e9:.2f} GB"
