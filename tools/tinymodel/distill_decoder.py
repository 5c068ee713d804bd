"""Distil a draft decoder (vae_decoder_tiny) from an exported model folder's own vae_decoder.

/usr/bin/python3 tools/tinymodel/distill_decoder.py [models/nitro-tiny] [--steps N | --minutes M] [--seed S]

The teacher is the folder's vae_decoder/model.onnx, loaded into models.VAEDecoder (and checked against the ONNX graph
in the numpy interpreter); the student is models.TinyVAEDecoder, trained to reproduce the teacher's pixels on two
kinds of latents: training scenes encoded by the folder's vae_encoder with Gaussian noise of a random strength added
(the UNet's latents sit an RMS of about 0.18 from the encoder's for the same scene), and latents the folder's own UNet
made from training prompts at 1 step (what the app actually decodes). It then writes vae_decoder_tiny/ (model.onnx
exported exactly like vae_decoder, config.json with vae_decoder's scaling_factor), adds it to model_index.json and
judges both decoders on the held-out prompts' 1-step latents (eval/tiny_decoder.json). train.py calls distill() after
its own export, so a full retrain produces the tiny decoder too.
"""
import argparse
import json
import os

# Same reason as in train.py: with spin-waiting OpenMP threads a shared 2-core machine runs many times slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import random
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
import grammar  # noqa: E402
import judge  # noqa: E402
import models  # noqa: E402
import onnx_ref  # noqa: E402
import render  # noqa: E402
import verify  # noqa: E402
from train import lr_at, to_tensor  # noqa: E402

DEFAULT_STEPS = 4000
BATCH = 16
UNET_SHARE = 0.5  # of each batch drawn from the UNet latents, the rest encoded scenes
NOISE_MAX = 0.25  # largest noise std added to encoded latents (the measured UNet gap is 0.13 to 0.26 per image)
POOL = 256  # UNet latents made before training (about 35 s of the numpy interpreter per 256)
POOL_STEPS = (1, 1, 1, 4)  # per chunk of 64: drafts are drawn at 1 step, but --tiny-decoder decodes any image
CHECK_TOL = 1e-4


def _log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def load_onnx_weights(module, path, probe):
    """Fill a torch module with an ONNX graph's initializers and prove that it now computes what the graph does.
    torch.onnx.export keeps the state_dict names for these plain convs; if an exporter ever renames them, the
    initializers are taken in order, shape for shape. probe: one input batch (numpy) for the comparison."""
    graph = onnx.load(path).graph
    inits = [(t.name, numpy_helper.to_array(t)) for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT]
    state = module.state_dict()
    by_name = dict(inits)
    if set(state) <= set(by_name):
        arrays = {k: by_name[k] for k in state}
    else:
        if len(inits) != len(state):
            raise ValueError("%s: %d float initializers for %d tensors" % (path, len(inits), len(state)))
        arrays = {k: a for k, (_, a) in zip(state, inits)}
    for k, a in arrays.items():
        if tuple(a.shape) != tuple(state[k].shape):
            raise ValueError("%s: %s has shape %s, the module wants %s" % (path, k, a.shape, tuple(state[k].shape)))
    module.load_state_dict({k: torch.from_numpy(a.copy()) for k, a in arrays.items()})
    module.eval()
    ref = onnx_ref.run(path, {graph.input[0].name: probe})[graph.output[0].name]
    with torch.no_grad():
        got = module(torch.from_numpy(probe)).numpy()
    err = float(np.abs(got - ref).max())
    if err > CHECK_TOL * max(1.0, float(np.abs(ref).max())):
        raise AssertionError("%s: torch differs from the ONNX graph by %.2e" % (path, err))
    return err


def load_folder(folder):
    """(encoder, teacher decoder, scaling_factor) of an exported folder, each checked against its ONNX graph"""
    with open(os.path.join(folder, "vae_decoder", "config.json"), encoding="utf-8") as f:
        sf = float(json.load(f)["scaling_factor"])
    rng = np.random.default_rng(0)
    enc, dec = models.VAEEncoder(), models.VAEDecoder()
    load_onnx_weights(enc, os.path.join(folder, "vae_encoder", "model.onnx"),
                      rng.uniform(-1, 1, (2, 3, 64, 64)).astype(np.float32))
    load_onnx_weights(dec, os.path.join(folder, "vae_decoder", "model.onnx"),
                      (rng.standard_normal((2, 4, 16, 16)) / sf).astype(np.float32))
    for p in list(enc.parameters()) + list(dec.parameters()):
        p.requires_grad_(False)
    return enc, dec, sf


def unet_latents(folder, n, seed, steps=POOL_STEPS, chunk=64):
    """n decoder inputs (UNet latents / scaling_factor) made by the folder's own graphs from training prompts,
    each chunk with its own noise seed and the next step count of `steps`"""
    rng = random.Random(seed)
    out = []
    for k, i in enumerate(range(0, n, chunk)):
        prompts = [grammar.training_prompt(rng, grammar.sample_scene(rng)) for _ in range(min(chunk, n - i))]
        x, sf = verify.onnx_latents(folder, prompts, steps[k % len(steps)], seed=seed + i)
        out.append(torch.from_numpy(x / np.float32(sf)))
    return torch.cat(out)


def encoded_batch(enc, rng, gen, n):
    """encoded training scenes (the VAE phase's scene distribution), each with noise of a random strength, so the
    student learns what the teacher does with latents that are a little off, as the UNet's are"""
    with torch.no_grad():
        z = enc(to_tensor([render.render(grammar.sample_scene(rng)) for _ in range(n)]))
    sigma = torch.rand(n, 1, 1, 1, generator=gen) * NOISE_MAX
    return z + sigma * torch.randn(z.shape, generator=gen)


def clamped_gap(student, teacher):
    """student - teacher where it shows: the app clips the output to [-1, 1], so going past the bound that the
    clipped teacher sits on costs nothing"""
    t = teacher.clamp(-1, 1)
    gap = student - t
    past = ((t >= 1) & (student > 1)) | ((t <= -1) & (student < -1))
    return torch.where(past, torch.zeros_like(gap), gap)


def train_student(student, teacher, enc, pool, rng, gen, steps, budget=None, log=_log, batch=BATCH):
    params = list(student.parameters())
    opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=0.0)
    n_unet = int(round(batch * UNET_SHARE)) if len(pool) else 0
    t0 = time.time()
    s = 0
    run_loss = None
    while s < steps:
        prog = None
        if budget is not None and s >= 20:
            prog = (time.time() - t0) / budget
            if prog >= 1.0:
                log("tiny decoder: time budget used up at step %d" % s)
                break
        for g in opt.param_groups:
            g["lr"] = lr_at(s, steps, 3e-3, warm=20, progress=prog)
        z = encoded_batch(enc, rng, gen, batch - n_unet)
        if n_unet:
            idx = torch.randint(len(pool), (n_unet,), generator=gen)
            z = torch.cat([z, pool[idx]])
        with torch.no_grad():
            target = teacher(z)
        gap = clamped_gap(student(z), target)
        loss = gap.abs().mean() + gap.square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        run_loss = loss.item() if run_loss is None else 0.95 * run_loss + 0.05 * loss.item()
        if s % 100 == 0 or s == steps - 1:
            log("tiny decoder step %d/%d loss %.4f avg %.4f (%.2fs/step)" % (
                s, steps, loss.item(), run_loss, (time.time() - t0) / (s + 1)))
        s += 1
    student.eval()
    return s, run_loss


def to_u8(img):
    return ((img / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


@torch.no_grad()
def evaluate(folder, teacher, student, recs, seed=0, chunk=65):
    """both decoders on the same 1-step UNet latents of the held-out prompts (numpy noise, seed per chunk), judged
    like the C# judge; plus how far the draft's pixels are from the final ones"""
    full, tiny = [], []
    for i in range(0, len(recs), chunk):
        x, sf = verify.onnx_latents(folder, [r["prompt"] for r in recs[i:i + chunk]], 1, seed=seed + i)
        z = torch.from_numpy(x / np.float32(sf))
        full.append(to_u8(teacher(z)))
        tiny.append(to_u8(student(z)))
    full, tiny = np.concatenate(full), np.concatenate(tiny)
    mse = float(np.mean((full.astype(np.float64) - tiny) ** 2))
    return {"n": len(recs), "full": judge.evaluate_images(list(full), recs)["summary"],
            "tiny": judge.evaluate_images(list(tiny), recs)["summary"],
            "psnr_tiny_vs_full_db": round(10 * np.log10(255.0 ** 2 / max(mse, 1e-12)), 2),
            "max_abs_diff": int(np.abs(full.astype(np.int16) - tiny).max())}


def macs(module, h=32, w=32):
    """multiply-accumulates of one decode of a [1, 4, h, w] latent, counted on the module's own ONNX export"""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        export.export_vae_decoder(module, path)
        st = {}
        onnx_ref.run(path, {"latent_sample": np.zeros((1, 4, h, w), np.float32)}, st)
    return st["macs"]


def check_export(folder, student):
    """the exported graph computes what the torch student does, at other batch sizes and latent sizes too"""
    path = os.path.join(folder, "vae_decoder_tiny", "model.onnx")
    rng = np.random.default_rng(1)
    for shape in ((1, 4, 32, 32), (3, 4, 24, 40)):
        x = rng.standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            ref = student(torch.from_numpy(x)).numpy()
        got = onnx_ref.run(path, {"latent_sample": x})["sample"]
        if got.shape != (shape[0], 3, shape[2] * 4, shape[3] * 4) or np.abs(got - ref).max() > 1e-4:
            raise AssertionError("vae_decoder_tiny export differs from torch at %s" % (shape,))


def reproduce_command(folder, steps, seed, pool, ch, res):
    """the command that repeats a run step for step (a --minutes run records the steps it reached)"""
    cmd = "tools/tinymodel/distill_decoder.py %s --steps %d --seed %d" % (folder, steps, seed)
    if pool != POOL:
        cmd += " --pool %d" % pool
    if tuple(ch) != (32, 16):
        cmd += " --ch %d,%d" % tuple(ch)
    return cmd + ("" if res else " --no-res")


def distill(folder, steps=None, minutes=None, seed=1234, threads=2, pool=POOL, eval_n=None, ch=(32, 16), res=True,
            log=_log):
    """add vae_decoder_tiny/ to an exported folder; returns the record written to its config and eval file"""
    t_start = time.time()
    torch.set_num_threads(threads)
    # Subnormal activations and Adam moments cost microcode time on x86 (see train.py); flushing them is harmless here.
    torch.set_flush_denormal(True)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    enc, teacher, sf = load_folder(folder)
    log("teacher: %s (scaling_factor %.6f), matched by torch" % (os.path.join(folder, "vae_decoder"), sf))
    student = models.TinyVAEDecoder(ch, res)
    t0 = time.time()
    pool_z = unet_latents(folder, pool, seed + 1) if pool else torch.zeros(0, 4, 32, 32)
    log("%d UNet latents for the student in %.1f s" % (len(pool_z), time.time() - t0))
    budget = minutes * 60 if minutes is not None else None
    planned = steps if steps is not None else (10 ** 9 if budget is not None else DEFAULT_STEPS)
    t0 = time.time()
    done, loss = train_student(student, teacher, enc, pool_z, rng, gen, planned, budget, log)
    train_s = time.time() - t0
    m_full, m_tiny = macs(teacher), macs(student)
    record = {"seed": seed, "steps": done, "batch": BATCH, "unet_latents": len(pool_z),
              "unet_latent_steps": sorted(set(POOL_STEPS)), "noise_max": NOISE_MAX, "teacher": teacher.cfg,
              "student": student.cfg, "final_loss": round(loss, 5), "train_seconds": round(train_s),
              "macs_128": {"vae_decoder": m_full, "vae_decoder_tiny": m_tiny}, "torch": torch.__version__,
              "command": reproduce_command(folder, done, seed, pool, ch, res)}
    export.export_tiny_decoder(folder, student, sf, record)
    check_export(folder, student)
    log("exported %s (%.1f of %.1f MMAC at 128x128)" % (os.path.join(folder, "vae_decoder_tiny"), m_tiny / 1e6,
                                                         m_full / 1e6))
    heldout = os.path.join(folder, "eval", "heldout.json")
    if eval_n != 0 and os.path.isfile(heldout):
        with open(heldout, encoding="utf-8") as f:
            recs = json.load(f)
        t0 = time.time()
        ev = evaluate(folder, teacher, student, recs[:eval_n] if eval_n else recs)
        log("held-out 1 step, full decoder:", json.dumps(ev["full"]["all"]))
        log("held-out 1 step, tiny decoder:", json.dumps(ev["tiny"]["all"]))
        log("tiny vs full: PSNR %.2f dB, max |diff| %d (%.1f s)" % (ev["psnr_tiny_vs_full_db"], ev["max_abs_diff"],
                                                                    time.time() - t0))
        record["eval_1_step"] = ev
    record["total_seconds"] = round(time.time() - t_start)
    export.write_json(os.path.join(folder, "eval", "tiny_decoder.json"), record)
    log("tiny decoder done in %.1f min" % (record["total_seconds"] / 60))
    return record


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", default=os.path.join("models", "nitro-tiny"))
    ap.add_argument("--steps", type=int, default=None, help="training steps (default %d)" % DEFAULT_STEPS)
    ap.add_argument("--minutes", type=float, default=None,
                    help="wall-clock budget for the training steps instead (the schedule follows elapsed time)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pool", type=int, default=POOL, help="UNet latents to train on besides the encoded scenes")
    ap.add_argument("--eval-n", type=int, default=None, help="held-out prompts to judge afterwards (0: none)")
    ap.add_argument("--ch", default="32,16", help="student widths at 32x32 and at 64x64")
    ap.add_argument("--no-res", action="store_true", help="student without the residual block")
    a = ap.parse_args()
    ch = tuple(int(c) for c in a.ch.split(","))
    distill(a.folder, a.steps, a.minutes, a.seed, a.threads, a.pool, a.eval_n, ch, not a.no_res)


if __name__ == "__main__":
    main()
