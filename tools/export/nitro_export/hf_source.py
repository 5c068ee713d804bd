"""The default :class:`ModelSource`: SDXL base, the NitroFusion UNets and the VAEs from the Hugging Face Hub.

Needs internet (or a filled Hugging Face cache), torch, diffusers, transformers, safetensors and huggingface_hub.
Imports are local so the rest of the tool (and its tests) runs without them.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional

from .exporter import TOKENIZER_FILES, Component, Variant

SDXL_BASE = "stabilityai/stable-diffusion-xl-base-1.0"
NITROFUSION = "ChenDY/NitroFusion"
VAE_FP16_FIX = "madebyollin/sdxl-vae-fp16-fix"
TAESDXL = "madebyollin/taesdxl"


def _plain_attention(model) -> None:
    """Trace attention as MatMul/Softmax/MatMul rather than scaled_dot_product_attention.

    ONNX Runtime's attention fusion recognises that pattern (its SDXL tooling does the same before exporting), and it
    is what the TorchScript exporter handles best. The text encoders get the same through attn_implementation="eager".
    """
    from diffusers.models.attention_processor import AttnProcessor  # noqa: PLC0415

    model.set_attn_processor(AttnProcessor())


class HuggingFaceSource:
    def __init__(self, base: str = SDXL_BASE, nitrofusion: str = NITROFUSION, vae_fp16_fix: str = VAE_FP16_FIX,
                 tiny_vae: str = TAESDXL, token: Optional[str] = None, cache_dir: Optional[str] = None):
        self.base = base
        self.nitrofusion = nitrofusion
        self.vae_fp16_fix = vae_fp16_fix
        self.tiny_vae = tiny_vae
        self._hub = {"token": token, "cache_dir": cache_dir}
        self._vae_source = vae_fp16_fix  # what provenance() names: the decoder vae_decoder() loaded
        self._tiny_vae_source: Optional[str] = None  # named only once loaded: --no-tiny-vae folders have none

    def _download(self, repo: str, filename: str) -> str:
        from huggingface_hub import hf_hub_download  # noqa: PLC0415

        return hf_hub_download(repo, filename, **{k: v for k, v in self._hub.items() if v is not None})

    def _pretrained(self) -> Dict[str, Any]:
        return {k: v for k, v in self._hub.items() if v is not None}

    def text_encoder(self) -> Component:
        import torch  # noqa: PLC0415
        from transformers import CLIPTextModel  # noqa: PLC0415

        model = CLIPTextModel.from_pretrained(self.base, subfolder="text_encoder", torch_dtype=torch.float32,
                                              attn_implementation="eager", **self._pretrained())
        return Component(model.eval(), model.config.to_dict())

    def text_encoder_2(self) -> Component:
        import torch  # noqa: PLC0415
        from transformers import CLIPTextModelWithProjection  # noqa: PLC0415

        model = CLIPTextModelWithProjection.from_pretrained(self.base, subfolder="text_encoder_2",
                                                            torch_dtype=torch.float32, attn_implementation="eager",
                                                            **self._pretrained())
        return Component(model.eval(), model.config.to_dict())

    def vae_decoder(self, mode: str) -> Component:
        import torch  # noqa: PLC0415
        from diffusers import AutoencoderKL  # noqa: PLC0415

        if mode == "fp16-fix":
            vae = AutoencoderKL.from_pretrained(self.vae_fp16_fix, torch_dtype=torch.float32, **self._pretrained())
            self._vae_source = self.vae_fp16_fix
        else:
            vae = AutoencoderKL.from_pretrained(self.base, subfolder="vae", torch_dtype=torch.float32,
                                                **self._pretrained())
            self._vae_source = f"{self.base}/vae"
        _plain_attention(vae)
        return Component(vae.eval(), dict(vae.config))

    def tiny_vae_decoder(self) -> Optional[Component]:
        import torch  # noqa: PLC0415
        from diffusers import AutoencoderTiny  # noqa: PLC0415

        vae = AutoencoderTiny.from_pretrained(self.tiny_vae, torch_dtype=torch.float32, **self._pretrained())
        self._tiny_vae_source = self.tiny_vae
        return Component(vae.eval(), dict(vae.config))

    def unet(self, variant: Variant) -> Component:
        # NitroFusion ships UNet weights only: build SDXL base's UNet from its config, then load them (what the
        # NitroFusion model card does).
        from diffusers import UNet2DConditionModel  # noqa: PLC0415
        from safetensors.torch import load_file  # noqa: PLC0415

        config = UNet2DConditionModel.load_config(self.base, subfolder="unet", **self._pretrained())
        unet = UNet2DConditionModel.from_config(config)
        state = load_file(self._download(self.nitrofusion, variant.unet_file))
        unet.load_state_dict(state, strict=True)
        unet = unet.float().eval()
        _plain_attention(unet)
        return Component(unet, dict(unet.config))

    def scheduler_config(self) -> Dict[str, Any]:
        with open(self._download(self.base, "scheduler/scheduler_config.json"), encoding="utf-8") as f:
            return json.load(f)

    def tokenizer_files(self, subfolder: str) -> Dict[str, bytes]:
        files = {}
        for name in TOKENIZER_FILES:
            with open(self._download(self.base, f"{subfolder}/{name}"), "rb") as f:
                files[name] = f.read()
        return files

    def provenance(self) -> Dict[str, Any]:
        return {
            "base": self.base,
            "unet": self.nitrofusion,
            "vae": self._vae_source,
            "tiny_vae": self._tiny_vae_source,
        }
