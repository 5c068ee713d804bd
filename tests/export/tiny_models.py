"""Tiny random torch modules with the call signatures and outputs of the real SDXL parts, and a ModelSource that
serves them, so the export runs here without diffusers, transformers or downloads.

* TinyClipTextModel: transformers' CLIPTextModel / CLIPTextModelWithProjection
  (``forward(input_ids, output_hidden_states=..., return_dict=...)``; tuple order last_hidden_state, pooler_output,
  hidden_states, or text_embeds, last_hidden_state, hidden_states with a projection).
* TinyUNet: diffusers' UNet2DConditionModel with SDXL's text_time conditioning (``added_cond_kwargs``), including its
  fp32 sinusoidal timestep and time_ids embeddings.
* TinyAutoencoderKL / TinyAutoencoderTiny: ``decode(z, return_dict=...)``, 8x upsampling, output in [-1, 1].
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "export"))

from nitro_export.exporter import Component, Variant  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# ../shared beside the clone (CI, /work/main); worktrees under /work/wt reach it one level further up.
SHARED_CLIP = next((p / "shared" / "clip" for p in (REPO.parent, REPO.parent.parent) if (p / "shared" / "clip").is_dir()),
                   REPO.parent / "shared" / "clip")
VOCAB = 49408
BOS, EOS = 49406, 49407


class Output(dict):
    """Dict with attribute access, like transformers' / diffusers' ModelOutput."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x, mask):
        b, s, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, s, h, d // h).transpose(1, 2) for t in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h) + mask, dim=-1)
        x = x + self.out((att @ v).transpose(1, 2).reshape(b, s, d))
        y = self.fc1(self.ln2(x))
        return x + self.fc2(y * torch.sigmoid(1.702 * y))  # quick_gelu, as CLIP


class TinyClipTextModel(nn.Module):
    def __init__(self, dim: int, layers: int, heads: int = 2, projection_dim: Optional[int] = None):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, dim)
        self.position_embedding = nn.Embedding(77, dim)
        self.register_buffer("position_ids", torch.arange(77).unsqueeze(0), persistent=False)
        self.layers = nn.ModuleList([_Block(dim, heads) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(dim)
        self.text_projection = nn.Linear(dim, projection_dim, bias=False) if projection_dim else None
        self.config = {"hidden_size": dim, "num_hidden_layers": layers, "num_attention_heads": heads,
                       "vocab_size": VOCAB, "max_position_embeddings": 77, "model_type": "clip_text_model",
                       "architectures": ["CLIPTextModelWithProjection" if projection_dim else "CLIPTextModel"]}
        if projection_dim:
            self.config["projection_dim"] = projection_dim

    def forward(self, input_ids, output_hidden_states: bool = False, return_dict: bool = True):
        seq = input_ids.shape[1]
        h = self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :seq])
        mask = torch.full((seq, seq), torch.finfo(torch.float32).min).triu(1)
        hidden = [h]
        for layer in self.layers:
            h = layer(h, mask)
            hidden.append(h)
        last = self.final_layer_norm(h)
        eos_at = (input_ids == EOS).int().argmax(dim=-1)
        pooled = last[torch.arange(last.shape[0]), eos_at]
        hs = tuple(hidden) if output_hidden_states else None
        if self.text_projection is not None:
            fields = {"text_embeds": self.text_projection(pooled), "last_hidden_state": last, "hidden_states": hs}
        else:
            fields = {"last_hidden_state": last, "pooler_output": pooled, "hidden_states": hs}
        if return_dict:
            return Output(fields)
        return tuple(v for v in fields.values() if v is not None)


def _sinusoid(x: torch.Tensor, dim: int) -> torch.Tensor:
    # diffusers' get_timestep_embedding (flip_sin_to_cos, shift 0): computed in fp32 whatever the model dtype
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(0, half, dtype=torch.float32) / half
    emb = x[:, None].float() * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(emb), torch.sin(emb)], dim=-1)


class TinyUNet(nn.Module):
    def __init__(self, context_dim: int, pooled_dim: int, ch: int = 16, add_time_dim: int = 8, seed_shift: float = 0):
        super().__init__()
        temb = 4 * ch
        self.ch = ch
        self.add_time_dim = add_time_dim
        self.time_1 = nn.Linear(ch, temb)
        self.time_2 = nn.Linear(temb, temb)
        self.add_1 = nn.Linear(pooled_dim + 6 * add_time_dim, temb)
        self.add_2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(4, ch, 3, padding=1)
        self.norm1 = nn.GroupNorm(4, ch)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.temb_proj = nn.Linear(temb, ch)
        self.down = nn.Conv2d(ch, 2 * ch, 3, stride=2, padding=1)
        self.attn_norm = nn.GroupNorm(4, 2 * ch)
        self.ln = nn.LayerNorm(2 * ch)
        self.to_q = nn.Linear(2 * ch, 2 * ch, bias=False)
        self.to_k = nn.Linear(context_dim, 2 * ch, bias=False)
        self.to_v = nn.Linear(context_dim, 2 * ch, bias=False)
        self.to_out = nn.Linear(2 * ch, 2 * ch)
        self.up = nn.Conv2d(2 * ch, ch, 3, padding=1)
        self.norm_out = nn.GroupNorm(4, ch)
        self.conv_out = nn.Conv2d(ch, 4, 3, padding=1)
        self.output_scale_factor = 1.0
        self.rescale_output_factor = 1.0
        with torch.no_grad():
            self.conv_out.bias.add_(seed_shift)
        self.config = {"_class_name": "UNet2DConditionModel", "sample_size": 128, "in_channels": 4,
                       "out_channels": 4, "cross_attention_dim": context_dim, "addition_embed_type": "text_time",
                       "addition_time_embed_dim": add_time_dim,
                       "projection_class_embeddings_input_dim": pooled_dim + 6 * add_time_dim,
                       "block_out_channels": [ch, 2 * ch]}

    def forward(self, sample, timestep, encoder_hidden_states, class_labels=None, timestep_cond=None,
                attention_mask=None, cross_attention_kwargs=None, added_cond_kwargs=None, return_dict: bool = True):
        timesteps = timestep
        if not torch.is_tensor(timesteps):
            timesteps = torch.tensor([timesteps], dtype=torch.int64)
        elif timesteps.dim() == 0:
            timesteps = timesteps[None]
        timesteps = timesteps.expand(sample.shape[0])
        t_emb = _sinusoid(timesteps, self.ch).to(sample.dtype)
        emb = self.time_2(F.silu(self.time_1(t_emb)))
        time_ids = added_cond_kwargs["time_ids"]
        time_embeds = _sinusoid(time_ids.flatten(), self.add_time_dim).reshape(time_ids.shape[0], -1)
        add = torch.cat([added_cond_kwargs["text_embeds"], time_embeds], dim=-1).to(emb.dtype)
        emb = emb + self.add_2(F.silu(self.add_1(add)))

        h = self.conv_in(sample)
        r = self.conv1(F.silu(self.norm1(h))) + self.temb_proj(F.silu(emb))[:, :, None, None]
        h = (h + r) / self.output_scale_factor  # diffusers' resnets divide by their factor, 1.0 in SDXL
        d = self.down(h)
        b, c, hh, ww = d.shape
        x = self.attn_norm(d).reshape(b, c, hh * ww).transpose(1, 2)
        x = self.ln(x)
        q, k, v = self.to_q(x), self.to_k(encoder_hidden_states), self.to_v(encoder_hidden_states)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c), dim=-1)
        d = d + (self.to_out(att @ v) / self.rescale_output_factor).transpose(1, 2).reshape(b, c, hh, ww)
        u = self.up(F.interpolate(d, scale_factor=2.0, mode="nearest")) + h
        out = self.conv_out(F.silu(self.norm_out(u)))
        if return_dict:
            return Output(sample=out)
        return (out,)


class TinyAutoencoderKL(nn.Module):
    def __init__(self, ch: int = 16):
        super().__init__()
        self.post_quant_conv = nn.Conv2d(4, 4, 1)
        self.conv_in = nn.Conv2d(4, ch, 3, padding=1)
        self.ups = nn.ModuleList([nn.Conv2d(ch, ch, 3, padding=1) for _ in range(3)])
        self.norms = nn.ModuleList([nn.GroupNorm(4, ch) for _ in range(3)])
        self.conv_out = nn.Conv2d(ch, 3, 3, padding=1)
        self.config = {"_class_name": "AutoencoderKL", "scaling_factor": 0.13025, "latent_channels": 4,
                       "block_out_channels": [ch, ch, ch, ch], "force_upcast": False, "in_channels": 3,
                       "out_channels": 3}

    def decode(self, z, return_dict: bool = True):
        h = self.conv_in(self.post_quant_conv(z))
        for conv, norm in zip(self.ups, self.norms):
            h = F.silu(norm(conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))))
        out = self.conv_out(h)
        if return_dict:
            return Output(sample=out)
        return (out,)


class TinyAutoencoderTiny(nn.Module):
    def __init__(self, ch: int = 8):
        super().__init__()
        self.conv_in = nn.Conv2d(4, ch, 3, padding=1)
        self.ups = nn.ModuleList([nn.Conv2d(ch, ch, 3, padding=1) for _ in range(3)])
        self.conv_out = nn.Conv2d(ch, 3, 3, padding=1)
        self.config = {"_class_name": "AutoencoderTiny", "scaling_factor": 1.0, "latent_channels": 4,
                       "block_out_channels": [64, 64, 64, 64], "latent_magnitude": 3, "latent_shift": 0.5}

    def decode(self, x, return_dict: bool = True):
        h = F.relu(self.conv_in(torch.tanh(x / 3) * 3))
        for conv in self.ups:
            h = F.relu(conv(F.interpolate(h, scale_factor=2.0, mode="nearest")))
        out = self.conv_out(h).mul(2).sub(1)  # diffusers maps TAESD's [0, 1] to [-1, 1]
        if return_dict:
            return Output(sample=out)
        return (out,)


SCHEDULER_CONFIG = {
    "_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.19.0.dev0", "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear",
    "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": False,
    "skip_prk_steps": True, "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": None,
    "use_karras_sigmas": False,
}


def tokenizer_files(pad_token: str) -> Dict[str, bytes]:
    special = {
        "bos_token": {"content": "<|startoftext|>", "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
        "eos_token": {"content": "<|endoftext|>", "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
        "pad_token": pad_token,
        "unk_token": {"content": "<|endoftext|>", "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
    }
    config = {"add_prefix_space": False, "bos_token": "<|startoftext|>", "clean_up_tokenization_spaces": True,
              "do_lower_case": True, "eos_token": "<|endoftext|>", "errors": "replace", "model_max_length": 77,
              "pad_token": pad_token, "tokenizer_class": "CLIPTokenizer", "unk_token": "<|endoftext|>"}
    return {
        "vocab.json": (SHARED_CLIP / "vocab.json").read_bytes(),
        "merges.txt": (SHARED_CLIP / "merges.txt").read_bytes(),
        "special_tokens_map.json": json.dumps(special, indent=2).encode(),
        "tokenizer_config.json": json.dumps(config, indent=2).encode(),
    }


class TinySource:
    """ModelSource over the tiny modules; each UNet variant gets its own random weights."""

    TE1_DIM, TE1_LAYERS = 16, 2
    TE2_DIM, TE2_LAYERS, POOLED = 32, 3, 24

    def __init__(self):
        self.calls = []

    def text_encoder(self) -> Component:
        self.calls.append("text_encoder")
        torch.manual_seed(1)
        m = TinyClipTextModel(self.TE1_DIM, self.TE1_LAYERS).eval()
        return Component(m, dict(m.config))

    def text_encoder_2(self) -> Component:
        self.calls.append("text_encoder_2")
        torch.manual_seed(2)
        m = TinyClipTextModel(self.TE2_DIM, self.TE2_LAYERS, projection_dim=self.POOLED).eval()
        return Component(m, dict(m.config))

    def vae_decoder(self, mode: str) -> Component:
        self.calls.append(f"vae_decoder:{mode}")
        torch.manual_seed(3)
        m = TinyAutoencoderKL().eval()
        return Component(m, dict(m.config))

    def tiny_vae_decoder(self) -> Optional[Component]:
        self.calls.append("tiny_vae_decoder")
        torch.manual_seed(4)
        m = TinyAutoencoderTiny().eval()
        return Component(m, dict(m.config))

    def unet(self, variant: Variant) -> Component:
        self.calls.append(f"unet:{variant.key}")
        torch.manual_seed(10 + variant.shifted_timestep)
        m = TinyUNet(self.TE1_DIM + self.TE2_DIM, self.POOLED).eval()
        return Component(m, dict(m.config))

    def scheduler_config(self) -> Dict[str, Any]:
        return dict(SCHEDULER_CONFIG)

    def tokenizer_files(self, subfolder: str) -> Dict[str, bytes]:
        return tokenizer_files("<|endoftext|>" if subfolder == "tokenizer" else "!")

    def provenance(self) -> Dict[str, Any]:
        return {"base": "tiny random test modules"}


def shared_clip_available() -> bool:
    return (SHARED_CLIP / "vocab.json").is_file() and (SHARED_CLIP / "merges.txt").is_file()


__all__ = ["TinySource", "shared_clip_available", "REPO", "os"]
