"""Tiny SDXL-shaped models: CLIP-like text encoders, conditional UNet (SDXL text_time scheme), conv VAE."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

# ------------------------------------------------------------------ scheduler constants
NUM_TRAIN_T = 1000
BETAS = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, NUM_TRAIN_T, dtype=torch.float32) ** 2
ALPHAS_CUMPROD = torch.cumprod(1.0 - BETAS, dim=0)
SHIFTED_TIMESTEP = 250
ORIGIN_STEPS = [999, 749, 499, 249]


def schedule(n):
    """NitroFusion TimestepShiftLCM schedule: origin timesteps and shifted UNet timesteps for n steps."""
    origin = {1: [999], 2: [999, 499], 3: [999, 749, 499], 4: [999, 749, 499, 249]}[n]
    shifted = [int(o * SHIFTED_TIMESTEP // 1000) for o in origin]  # 999->249, 749->187, 499->124, 249->62
    return origin, shifted


def lcm_c(t):
    t = torch.as_tensor(t, dtype=torch.float32)
    c_skip = 0.25 / ((10 * t) ** 2 + 0.25)
    c_out = 10 * t / torch.sqrt((10 * t) ** 2 + 0.25)
    return c_skip, c_out


# ------------------------------------------------------------------ text encoder
class CLIPLayer(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)
        self.heads = heads

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self._attn(h, mask)
        h = self.ln2(x)
        h = self.fc2(F.gelu(self.fc1(h)))  # (quick_gelu in CLIP; plain gelu here)
        return x + h

    def _attn(self, h, mask):
        # explicit attention (exports to plain MatMul/Softmax)
        B, T, D = h.shape
        w, b = self.attn.in_proj_weight, self.attn.in_proj_bias
        qkv = F.linear(h, w, b)
        q, k, v = qkv.chunk(3, dim=-1)
        hd = D // self.heads
        q = q.reshape(B, T, self.heads, hd).transpose(1, 2)
        k = k.reshape(B, T, self.heads, hd).transpose(1, 2)
        v = v.reshape(B, T, self.heads, hd).transpose(1, 2)
        a = (q @ k.transpose(-1, -2)) * (hd ** -0.5) + mask
        o = a.softmax(-1) @ v
        o = o.transpose(1, 2).reshape(B, T, D)
        return self.attn.out_proj(o)


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, d, layers, heads, proj_dim=None, max_len=77):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d)
        self.pos = nn.Parameter(torch.randn(max_len, d) * 0.01)
        self.layers = nn.ModuleList([CLIPLayer(d, heads) for _ in range(layers)])
        self.final_ln = nn.LayerNorm(d)
        self.proj = nn.Linear(d, proj_dim, bias=False) if proj_dim else None
        self.register_buffer("mask", torch.full((max_len, max_len), -1e4).triu(1), persistent=False)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.tok(ids) + self.pos[:T]
        hs = [x]
        mask = self.mask[:T, :T]
        for l in self.layers:
            x = l(x, mask)
            hs.append(x)
        last = self.final_ln(x)
        eos_idx = ids.argmax(-1)
        pooled = last[torch.arange(ids.shape[0], device=ids.device), eos_idx]
        if self.proj is not None:
            pooled = self.proj(pooled)
        return last, pooled, hs


# ------------------------------------------------------------------ UNet
def timestep_embedding(t, dim, max_period=10000):
    """diffusers get_timestep_embedding with flip_sin_to_cos=True, downscale_freq_shift=0 -> [cos, sin]."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    args = t.float().unsqueeze(-1) * torch.exp(exponent)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def gn(c):
    return nn.GroupNorm(8 if c % 8 == 0 else 4, c)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.n1 = gn(cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout)
        self.n2 = gn(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.t(F.silu(emb))[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class Attention(nn.Module):
    def __init__(self, d, ctx, heads):
        super().__init__()
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(ctx, d, bias=False)
        self.v = nn.Linear(ctx, d, bias=False)
        self.o = nn.Linear(d, d)
        self.heads = heads

    def forward(self, x, ctx):
        B, N, D = x.shape
        M = ctx.shape[1]
        hd = D // self.heads
        q = self.q(x).reshape(B, N, self.heads, hd).transpose(1, 2)
        k = self.k(ctx).reshape(B, M, self.heads, hd).transpose(1, 2)
        v = self.v(ctx).reshape(B, M, self.heads, hd).transpose(1, 2)
        a = ((q @ k.transpose(-1, -2)) * (hd ** -0.5)).softmax(-1)
        return self.o((a @ v).transpose(1, 2).reshape(B, N, D))


class Transformer2D(nn.Module):
    def __init__(self, c, ctx, heads, self_attn=True):
        super().__init__()
        self.norm = gn(c)
        self.proj_in = nn.Linear(c, c)
        self.self_attn = self_attn
        if self_attn:
            self.ln1 = nn.LayerNorm(c)
            self.a1 = Attention(c, c, heads)
        self.ln2 = nn.LayerNorm(c)
        self.a2 = Attention(c, ctx, heads)
        self.ln3 = nn.LayerNorm(c)
        self.ff = nn.Sequential(nn.Linear(c, 2 * c), nn.GELU(), nn.Linear(2 * c, c))
        self.proj_out = nn.Linear(c, c)

    def forward(self, x, ctx):
        B, C, H, W = x.shape
        h = self.norm(x).flatten(2).transpose(1, 2)
        h = self.proj_in(h)
        if self.self_attn:
            n = self.ln1(h)
            h = h + self.a1(n, n)
        h = h + self.a2(self.ln2(h), ctx)
        h = h + self.ff(self.ln3(h))
        h = self.proj_out(h).transpose(1, 2).reshape(B, C, H, W)
        return x + h


class UNet(nn.Module):
    """eps-prediction UNet conditioned like SDXL. Internally it predicts the clean latent x0 and converts it to eps
    with the DDPM relation at the given timestep (alphas_cumprod table baked in) so that the LCM scheduler's
    x0 = (x - sqrt(1-a_t) eps)/sqrt(a_t); denoised = c_skip x + c_out x0 reproduces the network's prediction."""

    def __init__(self, ctx_dim, text_embed_dim, ch=(32, 64, 72), temb=128, add_time_dim=16, heads=4):
        super().__init__()
        self.cfg = dict(ctx_dim=ctx_dim, text_embed_dim=text_embed_dim, ch=list(ch), temb=temb,
                        add_time_dim=add_time_dim, heads=heads)
        c0, c1, c2 = ch
        self.add_time_dim = add_time_dim
        self.time_mlp = nn.Sequential(nn.Linear(c0, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.add_mlp = nn.Sequential(nn.Linear(text_embed_dim + 6 * add_time_dim, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(4 + 2, c0, 3, padding=1)  # + 2 coordinate channels
        self.d0 = ResBlock(c0, c0, temb)
        self.down0 = nn.Conv2d(c0, c1, 3, stride=2, padding=1)
        self.d1 = ResBlock(c1, c1, temb)
        self.d1t = Transformer2D(c1, ctx_dim, heads, self_attn=False)
        self.down1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.d2 = ResBlock(c2, c2, temb)
        self.d2t = Transformer2D(c2, ctx_dim, heads)
        self.m1 = ResBlock(c2, c2, temb)
        self.mt = Transformer2D(c2, ctx_dim, heads)
        self.u2 = ResBlock(2 * c2, c2, temb)
        self.u2t = Transformer2D(c2, ctx_dim, heads, self_attn=False)
        self.up2 = nn.Conv2d(c2, c1, 3, padding=1)
        self.u1 = ResBlock(2 * c1, c1, temb)
        self.u1t = Transformer2D(c1, ctx_dim, heads, self_attn=False)
        self.up1 = nn.Conv2d(c1, c0, 3, padding=1)
        self.u0 = ResBlock(2 * c0, c0, temb)
        self.out_norm = gn(c0)
        self.conv_out = nn.Conv2d(c0, 4, 3, padding=1)
        self.c0 = c0
        self.register_buffer("alphas_cumprod", ALPHAS_CUMPROD.clone(), persistent=False)

    def coords(self, x):
        B, _, H, W = x.shape
        ys = (torch.arange(H, dtype=torch.int64, device=x.device).float() + 0.5) / H * 2 - 1
        xs = (torch.arange(W, dtype=torch.int64, device=x.device).float() + 0.5) / W * 2 - 1
        gy = ys.reshape(1, 1, H, 1) * torch.ones_like(x[:, :1])
        gx = xs.reshape(1, 1, 1, W) * torch.ones_like(x[:, :1])
        return torch.cat([gy, gx], 1)

    def predict_x0(self, sample, timestep, ctx, text_embeds, time_ids):
        B = sample.shape[0]
        temb = self.time_mlp(timestep_embedding(timestep.reshape(-1), self.c0))  # [1 or B, temb]
        tid = timestep_embedding(time_ids.reshape(-1), self.add_time_dim).reshape(B, 6 * self.add_time_dim)
        emb = temb + self.add_mlp(torch.cat([text_embeds, tid], dim=-1))  # broadcast [1,T] + [B,T]
        h0 = self.d0(self.conv_in(torch.cat([sample, self.coords(sample)], 1)), emb)
        h1 = self.d1t(self.d1(self.down0(h0), emb), ctx)
        h2 = self.d2t(self.d2(self.down1(h1), emb), ctx)
        m = self.mt(self.m1(h2, emb), ctx)
        u = self.u2t(self.u2(torch.cat([m, h2], 1), emb), ctx)
        u = self.up2(F.interpolate(u, scale_factor=2.0, mode="nearest"))
        u = self.u1t(self.u1(torch.cat([u, h1], 1), emb), ctx)
        u = self.up1(F.interpolate(u, scale_factor=2.0, mode="nearest"))
        u = self.u0(torch.cat([u, h0], 1), emb)
        return self.conv_out(F.silu(self.out_norm(u)))

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds, time_ids):
        f = self.predict_x0(sample, timestep, encoder_hidden_states, text_embeds, time_ids)
        t = timestep.reshape(-1)
        a = self.alphas_cumprod[t].reshape(-1, 1, 1, 1)
        tf = t.float().reshape(-1, 1, 1, 1)
        c_skip = 0.25 / ((10 * tf) ** 2 + 0.25)
        c_out = 10 * tf / torch.sqrt((10 * tf) ** 2 + 0.25)
        x0 = (f - c_skip * sample) / c_out  # so that c_skip*x + c_out*x0 == f
        return (sample - torch.sqrt(a) * x0) / torch.sqrt(1 - a)


# ------------------------------------------------------------------ VAE (factor 4: 128x128x3 <-> 4x32x32)
class VResBlock(nn.Module):
    """no normalisation in the VAE: it is trained on 64x64 crops and must behave identically on full images"""
    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1)
        self.c2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.c2(F.silu(self.c1(F.silu(x))))


class VAEEncoder(nn.Module):
    def __init__(self, ch=(32, 48)):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch[0], 4, stride=2, padding=1)  # 128 -> 64
        self.down = nn.Conv2d(ch[0], ch[1], 3, stride=2, padding=1)  # 64 -> 32
        self.res = VResBlock(ch[1])
        self.conv_out = nn.Conv2d(ch[1], 4, 3, padding=1)

    def forward(self, x):
        h = self.res(self.down(F.silu(self.conv_in(x))))
        return self.conv_out(F.silu(h))


class VAEDecoder(nn.Module):
    def __init__(self, ch=(48, 24), res=True):
        super().__init__()
        self.cfg = dict(ch=list(ch), res=bool(res))
        self.conv_in = nn.Conv2d(4, ch[0], 3, padding=1)
        self.res = VResBlock(ch[0]) if res else nn.Identity()
        self.up = nn.Conv2d(ch[0], ch[1], 3, padding=1)  # at 64x64 after nearest upsample
        self.conv_out = nn.Conv2d(ch[1], 12, 3, padding=1)  # -> pixel-shuffle 2 -> 3 x 128 x 128

    def forward(self, z):
        h = self.res(self.conv_in(z))
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.conv_out(F.silu(self.up(h)))
        return F.pixel_shuffle(h, 2)


class TinyVAEDecoder(VAEDecoder):
    """Draft decoder (vae_decoder_tiny): VAEDecoder's layout and contract (4 x h/4 x w/4 latents in, 3 x h x w in
    [-1, 1] out) with narrower convs, at about half of its multiply-accumulates (these sit almost all in the 3x3
    convs at 32x32 and 64x64, so they scale with the square of the widths). It is not trained with the VAE but
    distilled from the finished decoder (distill_decoder.py), so both decode the same latents and a draft looks like
    the final picture."""

    def __init__(self, ch=(32, 16), res=True):
        super().__init__(ch, res)


def build(vocab_size):
    """the nitro-tiny configuration: D1 = 64, D2 = 96, P = 64, UNet (16, 48, 72)"""
    te1 = TextEncoder(vocab_size, 64, 2, 4)
    te2 = TextEncoder(vocab_size, 96, 2, 4, proj_dim=64)
    unet = UNet(64 + 96, 64, ch=(16, 48, 72))
    return te1, te2, unet, VAEEncoder(), VAEDecoder()
