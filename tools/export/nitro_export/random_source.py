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


def _torch_clip(config: Dict[str, Any], with_projection: bool, eos_token_id: int):
    """A CLIP text tower in plain torch with transformers' call signature and outputs (pre-LN causal transformer,
    pooled at the first end-of-text token), for where transformers' own CLIP does not trace: same shapes, same cost."""
    import math  # noqa: PLC0415

    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415
    from torch.nn import functional as F  # noqa: PLC0415

    width, heads = config["hidden_size"], config["num_attention_heads"]
    quick = config["hidden_act"] == "quick_gelu"

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.q, self.k, self.v, self.o = (nn.Linear(width, width) for _ in range(4))
            self.fc1, self.fc2 = nn.Linear(width, config["intermediate_size"]), nn.Linear(config["intermediate_size"], width)

        def forward(self, x, mask):
            b, t, _ = x.shape
            h = self.ln1(x)
            q, k, v = (p(h).reshape(b, t, heads, -1).transpose(1, 2) for p in (self.q, self.k, self.v))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(width // heads) + mask, dim=-1) @ v
            x = x + self.o(a.transpose(1, 2).reshape(b, t, width))
            y = self.fc1(self.ln2(x))
            y = y * torch.sigmoid(1.702 * y) if quick else F.gelu(y)
            return x + self.fc2(y)

    class TextTower(nn.Module):
        def __init__(self):
            super().__init__()
            self.token = nn.Embedding(config["vocab_size"], width)
            self.position = nn.Embedding(config["max_position_embeddings"], width)
            self.layers = nn.ModuleList(Layer() for _ in range(config["num_hidden_layers"]))
            self.final_ln = nn.LayerNorm(width)
            self.projection = nn.Linear(width, config["projection_dim"], bias=False) if with_projection else None
            self.config = _DictConfig({**config, "eos_token_id": eos_token_id, "stand_in": "NitroLive torch CLIP"})

        def forward(self, input_ids, output_hidden_states=True, return_dict=False):
            t = input_ids.shape[1]
            x = self.token(input_ids) + self.position(torch.arange(t, device=input_ids.device))[None]
            mask = torch.full((t, t), float("-inf"), device=x.device).triu(1)
            states = [x]
            for layer in self.layers:
                x = layer(x, mask)
                states.append(x)
            last = self.final_ln(x)
            eos = (input_ids == eos_token_id).int().argmax(dim=-1)
            pooled = last[torch.arange(last.shape[0], device=x.device), eos]
            if self.projection is not None:
                return self.projection(pooled), last, tuple(states)
            return last, pooled, tuple(states)

    return TextTower()


class _DictConfig(dict):
    def to_dict(self) -> Dict[str, Any]:
        return dict(self)


class RandomSdxlSource:
    """SDXL-architecture parts with random weights (see the module docstring).

    ``text_encoders``: "transformers" (its CLIP classes, as the real export) or "torch" (a plain torch CLIP tower of the
    same shapes, for a transformers version whose CLIP does not trace).
    """

    random_weights = True  # the exporter names the folders so (exporter.ModelSource)

    def __init__(self, tokenizer_folder: Path = EMBEDDED_MODEL, seed: int = 0,
                 unet_overrides: Optional[Dict[str, Any]] = None, text_encoders: str = "transformers"):
        if text_encoders not in ("transformers", "torch"):
            raise ValueError(f"text_encoders must be 'transformers' or 'torch', not {text_encoders!r}")
        self.tokenizer_folder = Path(tokenizer_folder)
        self.seed = seed
        self.unet_overrides = dict(unet_overrides or {})
        self.text_encoders = text_encoders

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

        self._seed(offset)
        if self.text_encoders == "torch":
            model = _torch_clip(config, with_projection, self._special_ids()["eos_token_id"]).eval()
            return Component(model, model.config.to_dict())

        from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection  # noqa: PLC0415

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
                "tokenizers": str(self.tokenizer_folder.name), "text_encoders": self.text_encoders, "seed": self.seed}
