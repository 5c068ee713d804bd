"""Write models/nitro-tiny/README.md (model card) from eval/torch_metrics.json.
/usr/bin/python3 tools/tinymodel/card.py models/nitro-tiny [--note TEXT]"""
import argparse
import json
import os
import textwrap

import onnx
import numpy as np
from onnx import numpy_helper

KEYS = ["colour", "background", "position", "count", "shape", "all"]
TARGET = {"colour": 97, "background": 99, "position": 97, "count": 92, "shape": 92, "all": 85}


def params(path):
    m = onnx.load(path)
    return int(sum(np.prod(numpy_helper.to_array(t).shape) for t in m.graph.initializer
                   if t.data_type == onnx.TensorProto.FLOAT))


def table(ev):
    rows = ["| setting | subset | n | colour | background | position | count | shape | all correct |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, label in (("1_step", "1 step"), ("4_step", "4 steps"), ("vae_roundtrip", "VAE round trip of ground truth")):
        if name not in ev:
            continue
        for sub in ("all", "single", "count", "pair"):
            r = ev[name].get(sub)
            if r:
                rows.append("| %s | %s | %d | %s |" % (label, sub, r["n"], " | ".join("%.1f" % r[k] for k in KEYS)))
    rows.append("| target (C# judge) | all | | >= 97 | >= 99 | >= 97 | >= 92 | >= 92 | >= 85 |")
    return "\n".join(rows)


def tiny_table(ev):
    rows = ["| decoder | subset | n | colour | background | position | count | shape | all correct |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name in ("full", "tiny"):
        label = "vae_decoder" if name == "full" else "vae_decoder_tiny"
        for sub in ("all", "single", "count", "pair"):
            r = ev[name].get(sub)
            if r:
                rows.append("| %s | %s | %d | %s |" % (label, sub, r["n"], " | ".join("%.1f" % r[k] for k in KEYS)))
    return "\n".join(rows)


def tiny_parts(d):
    """the draft decoder's architecture line and section, or nothing for a folder without one"""
    path = os.path.join(d, "eval", "tiny_decoder.json")
    if not os.path.isfile(os.path.join(d, "vae_decoder_tiny", "model.onnx")) or not os.path.isfile(path):
        return "", ""
    rec = json.load(open(path))
    m = rec["macs_128"]
    ch = rec["student"]["ch"]
    bullet = textwrap.fill(
        "- vae_decoder_tiny: the draft decoder, same input and output as vae_decoder (same scaling_factor) with "
        "%d / %d channels instead of %d / %d%s: %.1f instead of %.1f MMAC per 128 x 128 image. Distilled from "
        "vae_decoder after training (see below)." % (
            ch[0], ch[1], *rec["teacher"]["ch"], "" if rec["student"]["res"] else " and no residual block",
            m["vae_decoder_tiny"] / 1e6, m["vae_decoder"] / 1e6), 120, subsequent_indent="  ") + "\n"
    ev = rec.get("eval_1_step")
    section = TINY_SECTION.format(
        command=rec["command"], steps=rec["steps"], batch=rec["batch"], pool=rec["unet_latents"],
        pool_steps=" and ".join(str(n) for n in rec["unet_latent_steps"]),
        n=ev["n"] if ev else 0, noise=rec["noise_max"], train_min="%.1f" % (rec["train_seconds"] / 60),
        total_min="%.1f" % (rec["total_seconds"] / 60), torch=rec["torch"],
        table=tiny_table(ev) if ev else "(not judged)",
        psnr="%.1f" % ev["psnr_tiny_vs_full_db"] if ev else "-")
    return bullet, section


TINY_SECTION = """
## Draft decoder (vae_decoder_tiny)

NitroLive decodes the quick draft frames it shows while the user types with vae_decoder_tiny when a folder has one
(TAESD's role for SDXL) and draws the final picture with vae_decoder. The tiny decoder is a student of vae_decoder,
trained after the model to reproduce its pixels (L1 + squared error, after the output clip to [-1, 1]) on two kinds of
latents: training scenes encoded by vae_encoder with Gaussian noise of std up to {noise} added, and {pool} latents the
UNet made from training prompts ({pool_steps} steps). Both decoders take the same latents (the UNet's divided by the same
scaling_factor).

    {command}

{steps} steps of batch {batch} ({train_min} min; {total_min} min in all with the UNet latents, export and the check
below, on 2 shared CPU cores, torch {torch}). Both decoders on the same 1-step latents of the {n} held-out prompts
(numpy pipeline, seed 0; the draft's pixels are {psnr} dB PSNR from the final ones):

{table}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    d = a.dir
    meta = json.load(open(os.path.join(d, "eval", "torch_metrics.json")))
    sf = json.load(open(os.path.join(d, "vae_decoder", "config.json")))["scaling_factor"]
    tokcfg = json.load(open(os.path.join(d, "tokenizer", "vocab.json")))
    comps = ["text_encoder", "text_encoder_2", "unet", "vae_decoder", "vae_encoder"]
    if os.path.isfile(os.path.join(d, "vae_decoder_tiny", "model.onnx")):
        comps.append("vae_decoder_tiny")
    tiny_bullet, tiny_section = tiny_parts(d)
    pc = {c: params(os.path.join(d, c, "model.onnx")) for c in comps}
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
    text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "card_template.md")).read()
    text = text.format(
        params="\n".join("| %s | %s |" % (c, "{:,}".format(pc[c])) for c in comps),
        total_params="{:,}".format(sum(pc.values())), size_mb="%.2f" % (size / 1e6), sf="%.4f" % sf,
        vocab=len(tokcfg), bos=tokcfg["<|startoftext|>"], eos=tokcfg["<|endoftext|>"],
        command=meta["command"], seed=meta["seed"], unet_steps=meta["unet_steps"], vae_steps=meta["vae_steps"],
        batch=meta["batch"], minutes="%.1f" % (meta["train_seconds"] / 60), vae_min="%.1f" % (meta["vae_seconds"] / 60),
        unet_min="%.1f" % (meta["unet_seconds"] / 60), torch=meta["torch"], table=table(meta["eval"]), note=a.note,
        tiny_bullet=tiny_bullet, tiny_section=tiny_section)
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
