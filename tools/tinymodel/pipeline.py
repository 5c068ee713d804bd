"""Torch reference of the C# pipeline: tokenize both, encode, 1-4 step TimestepShiftLCM sampling, decode."""
import numpy as np
import torch

from models import ALPHAS_CUMPROD, schedule, lcm_c

INFER_TIME_IDS = [128.0, 128.0, 0.0, 0.0, 128.0, 128.0]


def encode_prompts(te1, te2, tok1, tok2, prompts):
    ids1 = torch.tensor([tok1(p) for p in prompts], dtype=torch.int64)
    ids2 = torch.tensor([tok2(p) for p in prompts], dtype=torch.int64)
    _, _, hs1 = te1(ids1)
    _, pooled2, hs2 = te2(ids2)
    ctx = torch.cat([hs1[-2], hs2[-2]], dim=-1)  # penultimate hidden states, as SDXL
    return ctx, pooled2


@torch.no_grad()
def generate(models, prompts, steps=1, noise_gen=None, time_ids=None):
    """models: dict te1, te2, tok1, tok2, unet, dec, sf. Returns uint8 [B,128,128,3]."""
    te1, te2, unet, dec, sf = models["te1"], models["te2"], models["unet"], models["dec"], models["sf"]
    ctx, te = encode_prompts(te1, te2, models["tok1"], models["tok2"], prompts)
    B = len(prompts)
    tid = torch.tensor([time_ids or INFER_TIME_IDS] * B)
    g = noise_gen or torch.Generator().manual_seed(0)
    x = torch.randn(B, 4, 32, 32, generator=g)
    origin, shifted = schedule(steps)
    a = ALPHAS_CUMPROD
    for i, (o, t) in enumerate(zip(origin, shifted)):
        eps = unet(x, torch.tensor([t], dtype=torch.int64), ctx, te, tid)
        x0 = (x - (1 - a[t]).sqrt() * eps) / a[t].sqrt()
        c_skip, c_out = lcm_c(t)
        den = c_skip * x + c_out * x0
        if i + 1 < len(origin):
            on = origin[i + 1]
            x = a[on].sqrt() * den + (1 - a[on]).sqrt() * torch.randn(x.shape, generator=g)
        else:
            x = den
    img = dec(x / sf)
    img = ((img / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    return img.permute(0, 2, 3, 1).numpy()
