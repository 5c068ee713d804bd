"""Train + export the NitroLive embedded demo model (nitro-tiny).

/usr/bin/python3 tools/tinymodel/train.py --out models/nitro-tiny [--minutes M | --steps N] [--quick]
"""
import argparse
import json
import math
import os

# On a shared, oversubscribed machine OpenMP's default spin-waiting makes 2-thread training ~15x slower
# (measured: 14 s vs 1.0 s per step). Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import random
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import grammar  # noqa: E402
import render  # noqa: E402
from models import ALPHAS_CUMPROD, ORIGIN_STEPS, SHIFTED_TIMESTEP, lcm_c  # noqa
import export  # noqa: E402
import models  # noqa: E402

PAIRS = [(o, o * SHIFTED_TIMESTEP // 1000) for o in ORIGIN_STEPS]  # (999,249) (749,187) (499,124) (249,62)
PAIR_P = [0.55, 0.15, 0.15, 0.15]


def seed_all(s):
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


QUIET = False  # set in the data-parallel ranks other than 0, so one process reports


def log(*a):
    if QUIET:
        return
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def to_tensor(imgs):
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


FG_WEIGHT = 5.0  # extra loss weight on latent pixels covered (after dilation) by an object


def fg_weight(imgs_u8, bgs):
    """[B,1,32,32] loss weights: 1 + FG_WEIGHT where the rendered image differs from its background colour
    (max-pooled to latent resolution and dilated by one latent pixel). Objects are small; without this the
    MSE is dominated by the background and object learning is slow."""
    x = torch.from_numpy(np.stack(imgs_u8).astype(np.int16))
    bg = torch.tensor(bgs, dtype=torch.int16).reshape(-1, 1, 1, 3)
    return _to_latent_weights((x != bg).any(-1).float().unsqueeze(1))


def _to_latent_weights(m):
    m = F.max_pool2d(F.max_pool2d(m, 4), 3, stride=1, padding=1)
    return 1.0 + FG_WEIGHT * m


def object_weight_map(scene, orig, crop, small_weight):
    """[128,128] float map: 1 on the pixels of objects drawn big, small_weight on those drawn small (0 elsewhere).
    A small shape covers a quarter to a sixth of a big one's latent pixels, so under the plain weight its outline
    (the only thing that tells a circle from a square at that size) moves the loss least; the measured one-hour
    run's remaining shape errors were mostly small shapes in two-object scenes."""
    out = np.zeros((orig, orig), np.float32)
    scale = orig / render.NATIVE
    small_px = render.SIZE_PX[scene["kind"]]["small"] * scale
    for o, m in render.object_masks(scene, orig):
        w = small_weight if abs(o["size"] - small_px) < 1e-6 else 1.0
        out[m] = np.maximum(out[m], w)
    t, l = crop
    return out[t:t + render.NATIVE, l:l + render.NATIVE]


def parse_mix(text):
    """'single=0.45,count=0.25,pair=0.30' -> (("single", 0.45), ...) normalised to sum 1."""
    parts = [p.split("=") for p in text.split(",") if p.strip()]
    kinds = [(k.strip(), float(v)) for k, v in parts]
    unknown = [k for k, _ in kinds if k not in ("single", "count", "pair")]
    if unknown or not kinds or any(w < 0 for _, w in kinds) or sum(w for _, w in kinds) <= 0:
        raise SystemExit(f"--mix: expected weights for single/count/pair, got {text!r}")
    total = sum(w for _, w in kinds)
    return tuple((k, w / total) for k, w in kinds)


def parse_switches(late_from, late_mix, late_positioned, mix, pair_positioned):
    """The scene-mix switches of --late-from/--late-mix/--late-pair-positioned, each a ';' list (one entry applies to
    every switch): ((from, kinds, mix text, positioned), ...) in order, starting with (0, the first mix)."""
    if late_mix is None and late_positioned is None:
        return ((0.0, parse_mix(mix), mix, pair_positioned),)
    froms = str(late_from).split(";")
    count = len(froms)
    mixes = late_mix.split(";") if late_mix else [mix]
    positioned = str(late_positioned).split(";") if late_positioned is not None else [str(pair_positioned)]
    if len(mixes) == 1:
        mixes *= count
    if len(positioned) == 1:
        positioned *= count
    try:
        froms = [float(f) for f in froms]
        positioned = [float(p) for p in positioned]
    except ValueError:
        raise SystemExit(f"--late-from/--late-pair-positioned: expected numbers, got {late_from!r}, {late_positioned!r}")
    if len(mixes) != count or len(positioned) != count:
        raise SystemExit("--late-mix, --late-pair-positioned and --late-from need one entry per switch (or one for all)")
    if any(not 0 < f < 1 for f in froms) or froms != sorted(froms) or len(set(froms)) != count:
        raise SystemExit(f"--late-from: expected increasing fractions between 0 and 1, got {late_from!r}")
    switches = [(0.0, parse_mix(mix), mix, pair_positioned)]
    switches += [(f, parse_mix(m), m, p) for f, m, p in zip(froms, mixes, positioned)]
    return tuple(switches)


def number_or_list(text):
    """a ';' list option as recorded in the model's metadata: the number itself when it holds one entry"""
    return float(text) if ";" not in str(text) else text


def switch_at(progress, switches):
    """index of the switch in force at `progress`"""
    return max(i for i, sw in enumerate(switches) if sw[0] <= progress)


def make_batch(rng, n, crop_p, with_weights=False, kinds=grammar.DEFAULT_KINDS, pair_positioned=0.5,
               small_weight=1.0):
    prompts, imgs, tids, bgs, maps = [], [], [], [], []
    for _ in range(n):
        sc = grammar.sample_scene(rng, kinds=kinds, pair_positioned=pair_positioned)
        prompts.append(grammar.training_prompt(rng, sc))
        if rng.random() < crop_p:
            S = rng.randint(136, 160)
            top, left = rng.randint(0, S - 128), rng.randint(0, S - 128)
        else:
            S, top, left = 128, 0, 0
        imgs.append(render.render(sc, orig=S, crop=(top, left)))
        tids.append([S, S, top, left, 128, 128])
        bgs.append(grammar.COLOURS[sc["background"]])
        if with_weights and small_weight != 1.0:
            maps.append(object_weight_map(sc, S, (top, left), small_weight))
    if with_weights:
        # small_weight 1 keeps the original colour-difference mask (and so reproduces the earlier runs exactly)
        wmap = fg_weight(imgs, bgs) if small_weight == 1.0 else _to_latent_weights(
            torch.from_numpy(np.stack(maps)).unsqueeze(1))
        return prompts, to_tensor(imgs), torch.tensor(tids, dtype=torch.float32), wmap
    return prompts, to_tensor(imgs), torch.tensor(tids, dtype=torch.float32)


def parse_cycles(text):
    """'0.3@1.5e-3,0.2@1e-3' -> ((0.0, 0.6, 1.5e-3), (0.6, 1.0, 1e-3)): each cycle's start and end as fractions of the
    UNet phase (the shares normalised to sum 1) and its peak learning rate."""
    try:
        parts = [(float(share), float(lr)) for share, lr in (p.split("@") for p in text.split(",") if p.strip())]
    except ValueError:
        parts = []
    if not parts or any(share <= 0 or lr <= 0 for share, lr in parts):
        raise SystemExit(f"--cycles: expected SHARE@LR,... with positive numbers, got {text!r}")
    total = sum(share for share, _ in parts)
    cycles, start = [], 0.0
    for i, (share, lr) in enumerate(parts):
        end = 1.0 if i == len(parts) - 1 else start + share / total
        cycles.append((start, end, lr))
        start = end
    return tuple(cycles)


def cycle_at(progress, cycles):
    """(index, progress inside that cycle in [0, 1], peak lr) of the cycle that holds `progress` (in [0, 1])."""
    for i, (start, end, lr) in enumerate(cycles):
        if progress < end or i == len(cycles) - 1:
            return i, min(1.0, max(0.0, (progress - start) / (end - start))), lr
    raise AssertionError("unreachable: the last cycle takes everything")


def lr_at(step, total, base, warm=50, progress=None):
    """linear warm-up, then cosine to 0.1*base over the run (progress in [0,1] overrides step/total)"""
    if step < warm:
        return base * (step + 1) / warm
    p = (step - warm) / max(1, total - warm) if progress is None else progress
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


class Ranks:
    """Data-parallel training over `world` CPU processes (torch.distributed, gloo on loopback). On this 2-core
    machine two one-thread processes with half a batch each run a step in about half the time of one two-thread
    process (measured: torch's intra-op threading gains little on these small tensors). world == 1 is the plain
    single-process run, with no distributed calls at all."""

    def __init__(self, rank, world):
        self.rank, self.world = rank, world

    @property
    def main(self):
        return self.rank == 0

    def average_grads(self, params):
        # Unused parameters (text_encoder's final LayerNorm) have no grad on every rank alike, so the set matches.
        if self.world == 1:
            return
        grads = [p.grad for p in params if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    def agree(self, value):
        """the largest value over the ranks: every rank takes the same time-budget decision"""
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())

    def check_in_sync(self, params):
        """the replicas must hold identical weights; a drift would silently train a different model per rank"""
        if self.world == 1:
            return
        local = torch.stack([p.detach().double().sum() for p in params])
        gathered = [torch.zeros_like(local) for _ in range(self.world)]
        dist.all_gather(gathered, local)
        if any(not torch.equal(g, gathered[0]) for g in gathered):
            raise RuntimeError("data-parallel replicas diverged")


SINGLE = Ranks(0, 1)


def train_vae(enc, dec, rng, steps, batch, crop, budget=None, ranks=SINGLE):
    """steps of batch 64x64 crops; with budget (seconds) the schedule follows max(step, time) progress and stops
    when the budget is used up. Returns the number of steps done."""
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=0.0)
    t0 = time.time()
    for s in range(steps):
        prog = None
        if budget is not None and s >= 20:
            prog = ranks.agree((time.time() - t0) / budget)
            if prog >= 1.0:
                if ranks.main:
                    log("vae time budget used up at step %d" % s)
                return s
        for g in opt.param_groups:
            g["lr"] = lr_at(s, steps, 2e-3, warm=20, progress=prog)
        imgs = []
        for _ in range(batch):
            img = render.render(grammar.sample_scene(rng))
            y, x = rng.randint(0, 128 - crop), rng.randint(0, 128 - crop)
            imgs.append(img[y:y + crop, x:x + crop])
        x = to_tensor(imgs)
        z = enc(x)
        zn = z + 0.05 * torch.randn_like(z)  # mild latent noise: decoder robust to imperfect UNet latents
        y = dec(zn)
        loss = F.l1_loss(y, x) + F.mse_loss(y, x) + 1e-4 * z.square().mean()
        opt.zero_grad()
        loss.backward()
        ranks.average_grads(params)
        opt.step()
        if ranks.main and (s % 100 == 0 or s == steps - 1):
            log("vae step %d/%d loss %.4f (%.2fs/step)" % (s, steps, loss.item(), (time.time() - t0) / (s + 1)))
    return steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=None, help="UNet phase wall-clock budget (minutes)")
    ap.add_argument("--steps", type=int, default=None, help="UNet/text-encoder steps")
    ap.add_argument("--vae-steps", type=int, default=None)
    ap.add_argument("--vae-minutes", type=float, default=None, help="VAE phase wall-clock budget (minutes)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--crop-p", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--eval-n", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ckpt", default=None, help="save torch checkpoint here")
    ap.add_argument("--init-ckpt", default=None,
                    help="continue from a checkpoint written by --ckpt: skips the VAE phase (keeps its VAE and "
                         "scaling_factor) and trains text encoders + UNet further with a fresh optimizer")
    ap.add_argument("--mix", default="single=0.45,count=0.25,pair=0.30",
                    help="scene kinds and their weights for the UNet phase (a later stage can lean on the weak kinds)")
    ap.add_argument("--pair-positioned", type=float, default=0.5,
                    help="share of two-object scenes that give both objects a position")
    ap.add_argument("--late-mix", default=None,
                    help="scene mix from --late-from on (one run can start on the default mix and then lean on "
                         "positioned pairs, as the committed model's later stages did); several switches: "
                         "'MIX;MIX' with as many --late-from fractions")
    ap.add_argument("--late-pair-positioned", default=None,
                    help="--pair-positioned from --late-from on (default: unchanged); 'P;P' for several switches")
    ap.add_argument("--late-from", default="0.5",
                    help="fraction of the UNet phase (steps, or time with --minutes) after which --late-mix applies; "
                         "'F;F' for several switches")
    ap.add_argument("--cycles", default=None,
                    help="warm restarts inside one run, SHARE@LR,...: the UNet phase is cut into cycles (shares of its "
                         "steps, or time with --minutes); each starts from the averaged (EMA) weights with a fresh "
                         "optimizer and averaging, warms up, and decays its peak LR by a cosine, as a chain of "
                         "--init-ckpt stages does (default: one cycle at --lr)")
    ap.add_argument("--small-weight", type=float, default=1.0,
                    help="multiplies the extra loss weight on objects drawn small (1 = the original weighting)")
    ap.add_argument("--tiny-steps", type=int, default=None,
                    help="steps of the draft decoder's distillation after the export (distill_decoder.py; "
                         "0 leaves vae_decoder_tiny out)")
    ap.add_argument("--procs", type=int, default=1,
                    help="data-parallel processes (each takes batch/procs samples and threads/procs threads); "
                         "2 on a 2-core machine halves the step time")
    a = ap.parse_args()
    parse_mix(a.mix)
    if a.cycles:
        parse_cycles(a.cycles)
    parse_switches(a.late_from, a.late_mix, a.late_pair_positioned, a.mix, a.pair_positioned)
    if a.tiny_steps is not None and a.tiny_steps < 0:
        raise SystemExit("--tiny-steps must be >= 0")
    if a.small_weight <= 0:
        raise SystemExit("--small-weight must be > 0")
    if a.procs < 1 or a.batch % a.procs != 0:
        raise SystemExit("--procs must be >= 1 and divide --batch")
    if a.procs == 1:
        run(0, a, None)
        return
    # The ranks inherit these when their torch loads: OpenBLAS otherwise starts its own thread per core in every rank,
    # which spins between matrix products (measured: 8.6% of a core each and a step 40% slower).
    per_rank = str(max(1, a.threads // a.procs))
    os.environ["OPENBLAS_NUM_THREADS"] = per_rank
    os.environ["OMP_NUM_THREADS"] = per_rank
    port = free_port()
    mp.spawn(run, args=(a, port), nprocs=a.procs, join=True)


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(rank, a, port):
    ranks = Ranks(rank, a.procs)
    if ranks.world > 1:
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank, world_size=ranks.world)
    switches = parse_switches(a.late_from, a.late_mix, a.late_pair_positioned, a.mix, a.pair_positioned)
    torch.set_num_threads(max(1, a.threads // ranks.world))
    # As the weights train, activations, gradients and Adam's moments drift into subnormal floats, which x86 handles
    # in microcode: measured on a trained checkpoint, a step cost 34% more than on fresh weights, and a 10,000-step
    # run's step time crept from 0.29 to over 0.5 s. Flushing them to zero keeps every step at the fresh cost.
    torch.set_flush_denormal(True)
    seed_all(a.seed)
    # Every rank builds identical weights from --seed; the data and noise streams differ per rank (rank 0 keeps
    # the single-process streams).
    rng = random.Random(a.seed if rank == 0 else a.seed + 7919 * rank)
    global QUIET
    QUIET = not ranks.main
    T0 = time.time()
    if a.quick:
        a.vae_steps = a.vae_steps or 15
        a.steps = a.steps or 8
        a.batch = min(a.batch, 8)
        a.eval_n = a.eval_n or 12
    vae_steps = a.vae_steps if a.vae_steps is not None else 2000

    merges = bpe.learn_merges(grammar.GRAMMAR_WORDS)
    vocab = bpe.build_vocab(merges)
    tok1 = bpe.Tokenizer(vocab, merges, bpe.EOS)
    tok2 = bpe.Tokenizer(vocab, merges, "!")

    te1, te2, unet, enc, dec = models.build(len(vocab))
    if rank > 0:
        np.random.seed(a.seed + 7919 * rank)
        torch.manual_seed(a.seed + 7919 * rank)

    init = None
    if a.init_ckpt:
        init = torch.load(a.init_ckpt)
        for m, k in ((te1, "te1"), (te2, "te2"), (unet, "unet"), (enc, "enc"), (dec, "dec")):
            m.load_state_dict(init[k])
        log("initialised from", a.init_ckpt)
        vae_steps = 0
    else:
        # ---------------- phase 1: VAE
        log("phase 1: VAE %d steps" % vae_steps)
        vae_steps = train_vae(enc, dec, rng, vae_steps, (32 if not a.quick else 8) // ranks.world, 64,
                              None if a.vae_minutes is None else a.vae_minutes * 60, ranks)
    enc.eval()
    dec.eval()
    for p in list(enc.parameters()) + list(dec.parameters()):
        p.requires_grad_(False)
    with torch.no_grad():
        srng = random.Random(a.seed + 1)
        zs = torch.cat([enc(to_tensor([render.render(grammar.sample_scene(srng)) for _ in range(32)]))
                        for _ in range(2 if a.quick else 8)])
        sf = float(1.0 / zs.std()) if init is None else init["sf"]
    log("latent mean %.3f std %.3f -> scaling_factor %.4f" % (zs.mean(), zs.std(), sf))
    t_vae = time.time() - T0

    # ---------------- phase 2: text encoders + UNet
    params = list(te1.parameters()) + list(te2.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01)
    ema = [p.detach().clone() for p in params]
    alphas = ALPHAS_CUMPROD

    in_force = 0
    cycles = parse_cycles(a.cycles) if a.cycles else None
    cycle = {"index": 0, "start": 0}

    def restart(s, index):
        # What a new --init-ckpt stage does: continue from the averaged weights, forget Adam's moments and the average.
        nonlocal opt
        with torch.no_grad():
            for e, p in zip(ema, params):
                p.copy_(e)
        opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01)
        cycle.update(index=index, start=s)
        log("step %d: cycle %d of %d (peak lr %.2e), restarted from the averaged weights" % (
            s, index + 1, len(cycles), cycles[index][2]))

    def step_fn(s, total, progress=None):
        nonlocal in_force
        where = s / total if progress is None else progress
        if cycles is None:
            lr, local = lr_at(s, total, a.lr, progress=progress), s
        else:
            index, inner, peak = cycle_at(where, cycles)
            if index != cycle["index"]:
                restart(s, index)
            local = s - cycle["start"]
            lr = lr_at(local, None, peak, progress=inner)
        for g in opt.param_groups:
            g["lr"] = lr
        now = switch_at(where, switches)
        if now != in_force:
            in_force = now
            log("step %d: late scene mix %s, pair_positioned %.2f" % (s, switches[now][2], switches[now][3]))
        _, kinds_now, _, positioned_now = switches[now]
        prompts, imgs, tids, wmap = make_batch(rng, a.batch // ranks.world, a.crop_p, with_weights=True,
                                               kinds=kinds_now, pair_positioned=positioned_now,
                                               small_weight=a.small_weight)
        with torch.no_grad():
            z0 = enc(imgs) * sf
        B = len(prompts)
        k = torch.from_numpy(np.random.choice(4, size=B, p=PAIR_P))
        origin = torch.tensor([PAIRS[i][0] for i in k])
        t = torch.tensor([PAIRS[i][1] for i in k])
        noise = torch.randn_like(z0)
        ao = alphas[origin].reshape(-1, 1, 1, 1)
        x = torch.where((origin == 999).reshape(-1, 1, 1, 1), noise, ao.sqrt() * z0 + (1 - ao).sqrt() * noise)
        ids1 = torch.tensor([tok1(p) for p in prompts])
        ids2 = torch.tensor([tok2(p) for p in prompts])
        _, _, hs1 = te1(ids1)
        _, pooled, hs2 = te2(ids2)
        ctx = torch.cat([hs1[-2], hs2[-2]], -1)
        eps = unet(x, t, ctx, pooled, tids)
        at = alphas[t].reshape(-1, 1, 1, 1)
        x0 = (x - (1 - at).sqrt() * eps) / at.sqrt()
        c_skip, c_out = lcm_c(t.float().reshape(-1, 1, 1, 1))
        den = c_skip * x + c_out * x0
        loss = (wmap * (den - z0).square()).mean()
        opt.zero_grad()
        loss.backward()
        ranks.average_grads(params)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        d = min(0.99, (1 + local) / (10 + local))
        with torch.no_grad():
            for e, p in zip(ema, params):
                e.mul_(d).add_(p.detach(), alpha=1 - d)
        return loss.item()

    total = a.steps
    t1 = time.time()
    s = 0
    budget = None if (a.minutes is None and total is not None) else (a.minutes or 30) * 60
    if budget is not None:
        # wall-clock budget: the cosine schedule follows elapsed time and the run stops when the budget is used up
        # (the machine is shared, so step times vary). Reproduce the schedule with --steps <steps reached>.
        total = total or 10 ** 9
        probe = 10
        for s in range(probe):
            step_fn(s, 10 ** 6)
        per = (time.time() - t1) / probe
        log("measured %.2fs/step -> about %d steps in %.1f min" % (per, int(budget / per), budget / 60))
        s = probe
    run_loss = None
    while s < total:
        prog = None
        if budget is not None:
            # time-based schedule (step times on a shared machine vary 5x, so a probe-based plan is unreliable)
            prog = ranks.agree((time.time() - t1) / budget)
            total = max(total, s + 2)
            if prog >= 1.0:
                log("time budget used up at step %d" % s)
                break
        l = step_fn(s, total, prog)
        run_loss = l if run_loss is None else 0.98 * run_loss + 0.02 * l
        if s % 50 == 0 or s == total - 1:
            el = time.time() - t1
            eta = (budget - el) if budget is not None else el / (s + 1) * (total - s - 1)
            log("unet step %d loss %.4f avg %.4f lr %.2e (%.2fs/step, eta %.1f min)" % (
                s, l, run_loss, opt.param_groups[0]["lr"], el / (s + 1), eta / 60))
        s += 1
    total = s
    t_unet = time.time() - t1
    ranks.check_in_sync(params)
    if ranks.world > 1:
        dist.destroy_process_group()
        if not ranks.main:
            return
        torch.set_num_threads(a.threads)
    with torch.no_grad():
        for e, p in zip(ema, params):
            p.copy_(e)
    for m in (te1, te2, unet):
        m.eval()
    if a.ckpt:
        torch.save({"te1": te1.state_dict(), "te2": te2.state_dict(), "unet": unet.state_dict(),
                    "enc": enc.state_dict(), "dec": dec.state_dict(), "sf": sf}, a.ckpt)

    meta = {"seed": a.seed, "vae_steps": vae_steps, "init_ckpt": a.init_ckpt, "unet_steps": total, "batch": a.batch, "lr": a.lr,
            "crop_p": a.crop_p, "mix": a.mix, "pair_positioned": a.pair_positioned, "train_seconds": round(time.time() - T0), "vae_seconds": round(t_vae),
            "unet_seconds": round(t_unet), "torch": torch.__version__, "threads": a.threads,
            "procs": a.procs, "cycles": a.cycles, "small_weight": a.small_weight, "late_mix": a.late_mix,
            "late_pair_positioned": number_or_list(a.late_pair_positioned) if a.late_pair_positioned is not None else None,
            "late_from": number_or_list(a.late_from) if a.late_mix or a.late_pair_positioned is not None else None,
            "command": " ".join(["tools/tinymodel/train.py"] + sys.argv[1:])}
    os.makedirs(a.out, exist_ok=True)
    export.export_all(a.out, te1, te2, unet, enc, dec, sf, vocab, merges, meta)
    log("exported to", a.out)

    # ---------------- held-out set + evaluation
    import judge
    held = judge.write_heldout(os.path.join(a.out, "eval", "heldout.json"))
    judge.write_examples(os.path.join(a.out, "eval", "examples.json"))
    mods = {"te1": te1, "te2": te2, "tok1": tok1, "tok2": tok2, "unet": unet, "dec": dec, "sf": sf}
    n = a.eval_n or len(held)
    res = {}
    for steps in (1, 4):
        r = judge.evaluate(mods, held[:n], steps)
        res["%d_step" % steps] = r
        log("eval %d-step:" % steps, json.dumps(r["summary"]))
    res["vae_roundtrip"] = judge.evaluate_vae(enc, dec, held[:n])
    log("eval vae round trip:", json.dumps(res["vae_roundtrip"]["summary"]))
    meta["eval"] = {k: v["summary"] for k, v in res.items()}
    with open(os.path.join(a.out, "eval", "torch_metrics.json"), "w") as f:
        json.dump(meta, f, indent=2)

    # ---------------- draft decoder, distilled from the exported one (the same code as distill_decoder.py's command)
    tiny_steps = a.tiny_steps if a.tiny_steps is not None else (4 if a.quick else None)
    if tiny_steps != 0:
        import distill_decoder
        distill_decoder.distill(a.out, steps=tiny_steps, seed=a.seed, threads=a.threads,
                                pool=8 if a.quick else distill_decoder.POOL, eval_n=a.eval_n, log=log)
    log("done in %.1f min" % ((time.time() - T0) / 60))


if __name__ == "__main__":
    main()
