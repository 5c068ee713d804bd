"""Verify an exported model folder without onnxruntime:
  1. structure/config checks, tokenizer files reproduce the training tokenizer, onnx.checker;
  2. (with --ckpt) every ONNX graph evaluated by a numpy interpreter (onnx_ref.py) vs torch, batch 1 and 3;
  3. the full 1-step pipeline run on the ONNX graphs only (like the C# app: tokenizer files, config scaling_factor,
     numpy Gaussian noise) for a few prompts, judged; PNGs written to --png-dir.
/usr/bin/python3 tools/tinymodel/verify.py models/nitro-tiny [--ckpt runs/x.pt] [--png-dir DIR]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import grammar  # noqa: E402
import judge  # noqa: E402
import onnx_ref  # noqa: E402
import render  # noqa: E402

FILES = ["model_index.json", "nitrolive.json", "scheduler/scheduler_config.json",
         "text_encoder/model.onnx", "text_encoder/config.json", "text_encoder_2/model.onnx", "text_encoder_2/config.json",
         "unet/model.onnx", "unet/config.json", "vae_decoder/model.onnx", "vae_decoder/config.json",
         "vae_encoder/model.onnx", "vae_encoder/config.json", "eval/heldout.json",
         "eval/examples.json"] + [
    "%s/%s" % (t, f) for t in ("tokenizer", "tokenizer_2")
    for f in ("vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json")]

SHIFT = 250


def alphas():
    b = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=np.float32) ** 2
    return np.cumprod(1.0 - b, dtype=np.float32).astype(np.float32)


def onnx_pipeline(d, prompts, steps=1, seed=0):
    """numpy/ONNX-only pipeline, mirroring what the C# side does."""
    x, sf = onnx_latents(d, prompts, steps, seed)
    img = onnx_ref.run(os.path.join(d, "vae_decoder", "model.onnx"), {"latent_sample": x / np.float32(sf)})["sample"]
    img = np.clip(img / 2 + 0.5, 0, 1)
    return (img * 255).round().astype(np.uint8).transpose(0, 2, 3, 1)


def onnx_latents(d, prompts, steps=1, seed=0):
    """the pipeline up to the decoder: (final UNet latents [B,4,32,32], scaling_factor)"""
    tok1 = bpe.Tokenizer.from_dir(os.path.join(d, "tokenizer"))
    tok2 = bpe.Tokenizer.from_dir(os.path.join(d, "tokenizer_2"))
    sf = json.load(open(os.path.join(d, "vae_decoder", "config.json")))["scaling_factor"]
    ids1 = np.array([tok1(p) for p in prompts], np.int64)
    ids2 = np.array([tok2(p) for p in prompts], np.int64)
    o1 = onnx_ref.run(os.path.join(d, "text_encoder", "model.onnx"), {"input_ids": ids1})
    o2 = onnx_ref.run(os.path.join(d, "text_encoder_2", "model.onnx"), {"input_ids": ids2})
    L1 = len([k for k in o1 if k.startswith("hidden_states.")]) - 1
    L2 = len([k for k in o2 if k.startswith("hidden_states.")]) - 1
    ctx = np.concatenate([o1["hidden_states.%d" % (L1 - 1)], o2["hidden_states.%d" % (L2 - 1)]], -1)
    te = o2["text_embeds"]
    B = len(prompts)
    tid = np.array([[128, 128, 0, 0, 128, 128]] * B, np.float32)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, 4, 32, 32)).astype(np.float32)
    a = alphas()
    origin = {1: [999], 2: [999, 499], 3: [999, 749, 499], 4: [999, 749, 499, 249]}[steps]
    for i, o in enumerate(origin):
        t = o * SHIFT // 1000
        eps = onnx_ref.run(os.path.join(d, "unet", "model.onnx"),
                           {"sample": x, "timestep": np.array([t], np.int64), "encoder_hidden_states": ctx,
                            "text_embeds": te, "time_ids": tid})["out_sample"]
        x0 = (x - np.sqrt(1 - a[t]) * eps) / np.sqrt(a[t])
        c_skip = 0.25 / ((10.0 * t) ** 2 + 0.25)
        c_out = 10.0 * t / np.sqrt((10.0 * t) ** 2 + 0.25)
        den = c_skip * x + c_out * x0
        if i + 1 < len(origin):
            on = origin[i + 1]
            x = (np.sqrt(a[on]) * den + np.sqrt(1 - a[on]) * rng.standard_normal(x.shape)).astype(np.float32)
        else:
            x = den.astype(np.float32)
    return x, sf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--ckpt")
    ap.add_argument("--png-dir")
    ap.add_argument("--steps", type=int, default=1)
    a = ap.parse_args()
    d = a.dir
    ok = True
    for f in FILES:
        if not os.path.exists(os.path.join(d, f)):
            print("MISSING", f)
            ok = False
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
    print("folder size %.2f MB" % (size / 1e6))
    import onnx
    comps = ["text_encoder", "text_encoder_2", "unet", "vae_decoder", "vae_encoder"]
    if os.path.isdir(os.path.join(d, "vae_decoder_tiny")):
        comps.append("vae_decoder_tiny")
        # NitroLive refuses a draft decoder whose latents are scaled differently from vae_decoder's
        cfg = [json.load(open(os.path.join(d, c, "config.json"))) for c in ("vae_decoder", "vae_decoder_tiny")]
        if cfg[0]["scaling_factor"] != cfg[1]["scaling_factor"] or len(cfg[1]["block_out_channels"]) != 3:
            print("vae_decoder_tiny/config.json: scaling_factor or upsampling factor differs from vae_decoder's")
            ok = False
    for c in comps:
        m = onnx.load(os.path.join(d, c, "model.onnx"))
        onnx.checker.check_model(m)
        fmt = lambda v: "%s %s %s" % (v.name, onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type),
                                      [x.dim_param or x.dim_value for x in v.type.tensor_type.shape.dim])
        print(c, "opset", m.opset_import[0].version, "| in:", "; ".join(fmt(v) for v in m.graph.input),
              "| out:", "; ".join(fmt(v) for v in m.graph.output))
        if c == "vae_decoder_tiny" and ([v.name for v in m.graph.input], [v.name for v in m.graph.output]) != (
                ["latent_sample"], ["sample"]):
            print("vae_decoder_tiny: tensor names differ from vae_decoder's")
            ok = False
    merges = bpe.learn_merges(grammar.GRAMMAR_WORDS)
    vocab = bpe.build_vocab(merges)
    for t, pad in (("tokenizer", bpe.EOS), ("tokenizer_2", "!")):
        tk = bpe.Tokenizer.from_dir(os.path.join(d, t))
        ref = bpe.Tokenizer(vocab, merges, pad)
        for p in ["a red circle on a blue background", "Two  YELLOW triangles, please!", "xyz"]:
            assert tk(p) == ref(p), (t, p)
        print(t, "bos %d eos %d pad %d vocab %d" % (tk.bos, tk.eos, tk.pad, len(tk.encoder)),
              "ids:", tk("a red circle on a blue background")[:10])
    if a.ckpt:
        import torch
        import models
        ck = torch.load(a.ckpt)
        te1, te2, unet, enc, dec = models.build(len(vocab))
        for m, k in ((te1, "te1"), (te2, "te2"), (unet, "unet"), (enc, "enc"), (dec, "dec")):
            m.load_state_dict(ck[k])
            m.eval()
        rng = np.random.default_rng(1)
        tok1 = bpe.Tokenizer(vocab, merges, bpe.EOS)
        for B in (1, 3):
            prompts = ["a red circle on a blue background", "two small green squares at the top", "hello"][:B]
            ids = np.array([tok1(p) for p in prompts], np.int64)
            with torch.no_grad():
                l1, p1, h1 = te1(torch.from_numpy(ids))
                l2, p2, h2 = te2(torch.from_numpy(ids))
            o1 = onnx_ref.run(os.path.join(d, "text_encoder", "model.onnx"), {"input_ids": ids})
            o2 = onnx_ref.run(os.path.join(d, "text_encoder_2", "model.onnx"), {"input_ids": ids})
            errs = [np.abs(o1["last_hidden_state"] - l1.numpy()).max(), np.abs(o1["pooler_output"] - p1.numpy()).max(),
                    np.abs(o1["hidden_states.1"] - h1[1].numpy()).max(), np.abs(o2["text_embeds"] - p2.numpy()).max(),
                    np.abs(o2["hidden_states.1"] - h2[1].numpy()).max()]
            x = rng.standard_normal((B, 4, 32, 32)).astype(np.float32)
            ctx = rng.standard_normal((B, 77, 160)).astype(np.float32)
            te = rng.standard_normal((B, 64)).astype(np.float32)
            tid = np.array([[128, 128, 0, 0, 128, 128]] * B, np.float32)
            for t in (249, 62):
                ts = np.array([t], np.int64)
                with torch.no_grad():
                    ref = unet(*[torch.from_numpy(v) for v in (x, ts, ctx, te, tid)]).numpy()
                got = onnx_ref.run(os.path.join(d, "unet", "model.onnx"), {"sample": x, "timestep": ts,
                                   "encoder_hidden_states": ctx, "text_embeds": te, "time_ids": tid})["out_sample"]
                errs.append(np.abs(got - ref).max() / (np.abs(ref).max() + 1e-6))
            with torch.no_grad():
                ref = dec(torch.from_numpy(x)).numpy()
                img = rng.uniform(-1, 1, (B, 3, 128, 128)).astype(np.float32)
                refe = enc(torch.from_numpy(img)).numpy()
            errs.append(np.abs(onnx_ref.run(os.path.join(d, "vae_decoder", "model.onnx"), {"latent_sample": x})["sample"] - ref).max())
            errs.append(np.abs(onnx_ref.run(os.path.join(d, "vae_encoder", "model.onnx"), {"sample": img})["latent_sample"] - refe).max())
            print("batch %d max |onnx - torch| (te1 last,pool,hs1; te2 emb,hs1; unet rel t249,t62; dec; enc):" % B,
                  " ".join("%.1e" % e for e in errs))
            if max(errs) > 1e-3:
                ok = False
                print("MISMATCH")
    recs = json.load(open(os.path.join(d, "eval", "heldout.json")))
    print("heldout prompts:", len(recs))
    prompts = ["a red circle on a blue background", "a big yellow square at the top left",
               "two green triangles on a black background", "a small purple circle and a white square on a orange background"]
    recs = [render.scene_record(grammar.parse_prompt(p), p) for p in prompts]
    imgs = onnx_pipeline(d, prompts, a.steps)
    for p, im, rec in zip(prompts, imgs, recs):
        r, info = judge.check(im, rec)
        print("%-70s %s bg=%s found=%s" % (p, "OK " if r["all"] else "BAD", info["bg"],
                                           [(f["colour"], f["shape"], round(f["cx"]), round(f["cy"])) for f in info["found"]]))
    if a.png_dir:
        from PIL import Image
        os.makedirs(a.png_dir, exist_ok=True)
        for i, im in enumerate(imgs):
            Image.fromarray(im).save(os.path.join(a.png_dir, "onnx_%d.png" % i))
    print("VERIFY", "OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
