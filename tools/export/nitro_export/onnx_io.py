"""The ONNX interface of each component (names, types, dynamic axes, exactly as Optimum exports SDXL), the torch
wrappers that expose it, and the torch -> ONNX step itself."""
from __future__ import annotations

import inspect
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import onnx
import torch
from torch import nn

OPSET = 17  # LayerNormalization as one op; ONNX Runtime 1.31 runs it on every provider.
EXTERNAL_DATA_NAME = "model.onnx_data"  # the file name Optimum gives a model's external weights
TOKEN_LENGTH = 77


def text_encoder_output_names(num_layers: int) -> List[str]:
    """CLIPTextModel as Optimum exports it with output_hidden_states."""
    return ["last_hidden_state", "pooler_output"] + [f"hidden_states.{i}" for i in range(num_layers + 1)]


def text_encoder_2_output_names(num_layers: int) -> List[str]:
    """CLIPTextModelWithProjection as Optimum exports it with output_hidden_states."""
    return ["text_embeds", "last_hidden_state"] + [f"hidden_states.{i}" for i in range(num_layers + 1)]


UNET_INPUTS = ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"]
UNET_OUTPUTS = ["out_sample"]
VAE_DECODER_INPUTS = ["latent_sample"]
VAE_DECODER_OUTPUTS = ["sample"]


class TextEncoderForExport(nn.Module):
    """Flattens a transformers CLIP text model's (first, second, hidden_states) into one output per tensor.

    CLIPTextModel returns (last_hidden_state, pooler_output, hidden_states) and CLIPTextModelWithProjection returns
    (text_embeds, last_hidden_state, hidden_states) when called with return_dict=False, which is Optimum's order.
    """

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor):
        out = self.encoder(input_ids, output_hidden_states=True, return_dict=False)
        first, second, hidden_states = out[0], out[1], out[2]
        return (first, second, *hidden_states)


class UNetForExport(nn.Module):
    """diffusers' UNet2DConditionModel with SDXL's added conditioning as two plain inputs."""

    def __init__(self, unet: nn.Module):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds, time_ids):
        return self.unet(
            sample,
            timestep,
            encoder_hidden_states,
            added_cond_kwargs={"text_embeds": text_embeds, "time_ids": time_ids},
            return_dict=False,
        )[0]


class VaeDecoderForExport(nn.Module):
    """diffusers' AutoencoderKL / AutoencoderTiny ``decode`` as the module's forward (Optimum's vae_decoder)."""

    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample, return_dict=False)[0]


@dataclass
class ExportSpec:
    """One component's ONNX interface and the dummy inputs that trace it."""

    module: nn.Module
    args: Tuple[torch.Tensor, ...]
    input_names: List[str]
    output_names: List[str]
    dynamic_axes: Dict[str, Dict[int, str]]


def text_encoder_spec(encoder: nn.Module, second: bool, batch: int = 2) -> ExportSpec:
    wrapper = TextEncoderForExport(encoder).eval()
    ids = torch.zeros((batch, TOKEN_LENGTH), dtype=torch.int64)
    ids[:, 0] = 49406
    ids[:, 1:] = 49407
    with torch.no_grad():
        outputs = wrapper(ids)
    num_layers = len(outputs) - 3
    names = text_encoder_2_output_names(num_layers) if second else text_encoder_output_names(num_layers)
    axes: Dict[str, Dict[int, str]] = {"input_ids": {0: "batch_size", 1: "sequence_length"}}
    for name, value in zip(names, outputs):
        axes[name] = {0: "batch_size", 1: "sequence_length"} if value.dim() == 3 else {0: "batch_size"}
    return ExportSpec(wrapper, (ids,), ["input_ids"], names, axes)


def unet_spec(unet: nn.Module, config: dict, timestep_dtype: str, latent_size: int, batch: int = 2) -> ExportSpec:
    in_channels = int(config.get("in_channels", 4))
    context_dim = int(config["cross_attention_dim"])
    time_embed_dim = int(config["addition_time_embed_dim"])
    text_embed_dim = int(config["projection_class_embeddings_input_dim"]) - 6 * time_embed_dim
    if timestep_dtype == "int64":
        timestep = torch.tensor([249], dtype=torch.int64)
    elif timestep_dtype == "float32":
        timestep = torch.tensor([249.0], dtype=torch.float32)
    else:
        raise ValueError(f"timestep dtype must be int64 or float32, not {timestep_dtype!r}")
    image = latent_size * 8
    args = (
        torch.randn(batch, in_channels, latent_size, latent_size),
        timestep,
        torch.randn(batch, TOKEN_LENGTH, context_dim),
        torch.randn(batch, text_embed_dim),
        torch.tensor([[image, image, 0, 0, image, image]] * batch, dtype=torch.float32),
    )
    axes = {
        "sample": {0: "batch_size", 2: "height", 3: "width"},
        "timestep": {0: "steps"},
        "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
        "text_embeds": {0: "batch_size"},
        "time_ids": {0: "batch_size"},
        "out_sample": {0: "batch_size", 2: "height", 3: "width"},
    }
    return ExportSpec(UNetForExport(unet).eval(), args, list(UNET_INPUTS), list(UNET_OUTPUTS), axes)


def vae_decoder_spec(vae: nn.Module, latent_channels: int, latent_size: int, batch: int = 2) -> ExportSpec:
    axes = {
        "latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
        "sample": {0: "batch_size", 2: "height", 3: "width"},
    }
    args = (torch.randn(batch, latent_channels, latent_size, latent_size),)
    return ExportSpec(VaeDecoderForExport(vae).eval(), args, list(VAE_DECODER_INPUTS), list(VAE_DECODER_OUTPUTS),
                      axes)


def _export_kwargs() -> dict:
    # torch >= 2.9 defaults to the dynamo exporter, whose output names and dynamic shapes differ; the TorchScript
    # exporter gives the Optimum layout that NitroLive reads.
    params = inspect.signature(torch.onnx.export).parameters
    return {"dynamo": False} if "dynamo" in params else {}


def export_fp32(spec: ExportSpec, path: Path, device: str = "cpu") -> None:
    """Trace ``spec`` to an fp32 ONNX file at ``path`` (weights may land in many files next to it when > 2 GB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    module = spec.module.to(device=device, dtype=torch.float32)
    args = tuple(a.to(device) for a in spec.args)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's tracer warnings are expected and noisy
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=spec.input_names,
            output_names=spec.output_names,
            dynamic_axes=spec.dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
            **_export_kwargs(),
        )


def save_model(model: onnx.ModelProto, path: Path, external_data: bool) -> None:
    """Save ``model``; with ``external_data`` all weights go to one ``model.onnx_data`` file beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data_path = path.parent / EXTERNAL_DATA_NAME
    for stale in (path, data_path):
        if stale.exists():
            stale.unlink()  # onnx appends to an existing external data file
    if external_data:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=EXTERNAL_DATA_NAME, size_threshold=1024, convert_attribute=False)
    else:
        onnx.save_model(model, str(path))
    onnx.checker.check_model(str(path))


def needs_external_data(model: onnx.ModelProto) -> bool:
    total = sum(len(t.raw_data) for t in model.graph.initializer)
    return total > 1_800_000_000  # protobuf's hard limit is 2 GiB for the whole file


class TemporaryExportDir:
    """A scratch folder for the fp32 export of one component, removed afterwards."""

    def __init__(self, parent: Path):
        self.path = Path(tempfile.mkdtemp(prefix=".fp32-", dir=str(parent)))

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def file_size(paths: Sequence[Path]) -> int:
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p))
