"""Write models/nitro-tiny/README.md (model card) from eval/torch_metrics.json.
/usr/bin/python3 tools/tinymodel/card.py models/nitro-tiny [--note TEXT]"""
import argparse
import json
import os

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
    pc = {c: params(os.path.join(d, c, "model.onnx")) for c in comps}
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
    text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "card_template.md")).read()
    text = text.format(
        params="\n".join("| %s | %s |" % (c, "{:,}".format(pc[c])) for c in comps),
        total_params="{:,}".format(sum(pc.values())), size_mb="%.2f" % (size / 1e6), sf="%.4f" % sf,
        vocab=len(tokcfg), bos=tokcfg["<|startoftext|>"], eos=tokcfg["<|endoftext|>"],
        command=meta["command"], seed=meta["seed"], unet_steps=meta["unet_steps"], vae_steps=meta["vae_steps"],
        batch=meta["batch"], minutes="%.1f" % (meta["train_seconds"] / 60), vae_min="%.1f" % (meta["vae_seconds"] / 60),
        unet_min="%.1f" % (meta["unet_seconds"] / 60), torch=meta["torch"], table=table(meta["eval"]), note=a.note)
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
