"""A :class:`ModelSource` with SDXL's architecture and random weights, for speed measurements only.

Speed does not depend on weight values, so this builds every part with SDXL base's shapes (the UNet of NitroFusion is
SDXL base's UNet) without downloading anything: diffusers' ``UNet2DConditionModel``, ``AutoencoderKL`` and
``AutoencoderTiny`` and transformers' CLIP text models, constructed from their configs and randomly initialised. The
tokenizers and the scheduler config are the embedded demo model's (any CLIP-format BPE runs the same code; the ids
stay below SDXL's vocabulary size). The folders it exports draw noise, and their ``nitrolive.json`` says so.

Needs torch, diffusers and transformers (no internet). Used by ``export_nitrofusion.py --random-weights`` and by the
GPU checks in ``bench/gpu/``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

from .exporter import TOKENIZER_FILES, Component, Variant

EMBEDDED_MODEL = Path(__file__).resolve().parents[3] / "models" / "nitro-tiny"

# SDXL base 1.0's UNet (stabilityai/stable-diffusion-xl-base-1.0, unet/config.json): the shapes that set its cost.
SDXL_UNET = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "block_out_channels": [320, 640, 1280],
    "layers_per_block": 2,
    "transformer_layers_per_block": [1, 2, 10],
    "attention_head_dim": [5, 10, 20],
    "cross_attention_dim": 2048,
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
    "norm_num_groups": 32,
    "act_fn": "silu",
}

# SDXL's VAE (the fp16-fix VAE has the same shapes).
SDXL_VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 1024,
    "scaling_factor": 0.13025,
}

# CLIP ViT-L/14 text tower (text_encoder) and OpenCLIP ViT-bigG/14 text tower with projection (text_encoder_2).
SDXL_TEXT_ENCODER = {"vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                     "num_attention_heads": 12, "max_position_embeddings": 77, "hidden_act": "quick_gelu",
                     "projection_dim": 768}
SDXL_TEXT_ENCODER_2 = {"vocab_size": 49408, "hidden_size": 1280, "intermediate_size": 5120, "num_hidden_layers": 32,
                       "num_attention_heads": 20, "max_position_embeddings": 77, "hidden_act": "gelu",
                       "projection_dim": 1280}


class RandomSdxlSource:
    """SDXL-architecture parts with random weights (see the module docstring)."""

    def __init__(self, tokenizer_folder: Path = EMBEDDED_MODEL, seed: int = 0,
                 unet_overrides: Optional[Dict[str, Any]] = None):
        self.tokenizer_folder = Path(tokenizer_folder)
        self.seed = seed
        self.unet_overrides = dict(unet_overrides or {})

    def _seed(self, offset: int) -> None:
        import torch  # noqa: PLC0415

        torch.manual_seed(self.seed + offset)

    def _special_ids(self) -> Dict[str, int]:
        with open(self.tokenizer_folder / "tokenizer" / "vocab.json", encoding="utf-8") as f:
            vocab = json.load(f)
        return {"bos_token_id": vocab["<|startoftext|>"], "eos_token_id": vocab["<|endoftext|>"],
                "pad_token_id": vocab["<|endoftext|>"]}

    def _clip(self, config: Dict[str, Any], with_projection: bool, offset: int) -> Component:
        import torch  # noqa: PLC0415
        from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection  # noqa: PLC0415

        self._seed(offset)
        # Eager attention traces as MatMul/Softmax, as hf_source loads the real encoders.
        cfg = CLIPTextConfig(**config, **self._special_ids(), attn_implementation="eager")
        cls = CLIPTextModelWithProjection if with_projection else CLIPTextModel
        model = cls(cfg).to(torch.float32).eval()
        return Component(model, model.config.to_dict())

    def text_encoder(self) -> Component:
        return self._clip(SDXL_TEXT_ENCODER, with_projection=False, offset=1)

    def text_encoder_2(self) -> Component:
        return self._clip(SDXL_TEXT_ENCODER_2, with_projection=True, offset=2)

    def vae_decoder(self, mode: str) -> Component:
        from diffusers import AutoencoderKL  # noqa: PLC0415

        from .hf_source import _plain_attention  # noqa: PLC0415

        self._seed(3)
        vae = AutoencoderKL(**{k: v for k, v in SDXL_VAE.items() if k != "scaling_factor"},
                            scaling_factor=SDXL_VAE["scaling_factor"], force_upcast=mode == "upcast")
        _plain_attention(vae)
        return Component(vae.eval(), dict(vae.config))

    def tiny_vae_decoder(self) -> Optional[Component]:
        from diffusers import AutoencoderTiny  # noqa: PLC0415

        self._seed(4)
        vae = AutoencoderTiny()  # TAESD's default shapes are TAESD-XL's
        return Component(vae.eval(), dict(vae.config))

    def unet(self, variant: Variant) -> Component:
        from diffusers import UNet2DConditionModel  # noqa: PLC0415

        from .hf_source import _plain_attention  # noqa: PLC0415

        self._seed(5)
        unet = UNet2DConditionModel(**{**SDXL_UNET, **self.unet_overrides}).float().eval()
        _plain_attention(unet)
        return Component(unet, dict(unet.config))

    def scheduler_config(self) -> Dict[str, Any]:
        with open(self.tokenizer_folder / "scheduler" / "scheduler_config.json", encoding="utf-8") as f:
            return json.load(f)

    def tokenizer_files(self, subfolder: str) -> Dict[str, bytes]:
        return {name: (self.tokenizer_folder / subfolder / name).read_bytes() for name in TOKENIZER_FILES}

    def provenance(self) -> Dict[str, Any]:
        return {"weights": "random (SDXL architecture, speed measurements only: images are noise)",
                "tokenizers": str(self.tokenizer_folder.name), "seed": self.seed}
