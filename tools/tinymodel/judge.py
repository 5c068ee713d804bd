"""Pixel-statistics judge (the same checks the C# judge performs) + held-out prompt set.

Per image: every pixel -> nearest palette colour; background = most frequent palette colour; objects = 4-connected
components of non-background pixels with >= MIN_AREA pixels; object colour = most frequent palette colour in the
component; shape by fill ratio of the bounding box (>= 0.90 square, >= 0.64 circle, else triangle);
position = component centroid within POS_TOL px of the expected centroid (objects matched to expected objects by
the assignment minimising centroid distance); count = number of components equals the expected number.
"""
import itertools
import json
import os
import random
from collections import deque

import numpy as np
import torch

import grammar
import render

PALETTE_NAMES = grammar.COLOUR_NAMES
PALETTE = np.array([grammar.COLOURS[c] for c in PALETTE_NAMES], np.float32)
MIN_AREA = 16
POS_TOL = 12.0
HELDOUT_SEED = 777
HELDOUT_KINDS = [("single", 120), ("count", 60), ("pair", 80)]


def heldout_scenes():
    rng = random.Random(HELDOUT_SEED)
    out, seen = [], set()
    for kind, n in HELDOUT_KINDS:
        k = 0
        while k < n:
            sc = grammar.sample_scene(rng, heldout=True, kinds=((kind, 1.0),))
            sc["explicit_bg"] = True if sc["background"] != grammar.DEFAULT_BACKGROUND else sc["explicit_bg"]
            p = grammar.scene_to_prompt(sc)
            if p in seen:
                continue
            seen.add(p)
            out.append((p, sc))
            k += 1
    return out


def write_records(path, recs):
    """Writes scene records (prompt + scene) as the C# judge reads them; returns them."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(recs, f, indent=1)
        f.write("\n")
    return recs


def write_heldout(path):
    return write_records(path, [render.scene_record(sc, p) for p, sc in heldout_scenes()])


def write_examples(path):
    """eval/examples.json: the scene of each of nitrolive.json's example_prompts, for the test that keeps them drawn right."""
    return write_records(path, [render.scene_record(grammar.parse_prompt(p), p) for p in grammar.EXAMPLE_PROMPTS])


def components(mask):
    H, W = mask.shape
    lab = np.zeros((H, W), np.int32)
    comps = []
    ys, xs = np.nonzero(mask)
    for y0, x0 in zip(ys, xs):
        if lab[y0, x0]:
            continue
        cid = len(comps) + 1
        lab[y0, x0] = cid
        q = deque([(y0, x0)])
        pts = []
        while q:
            y, x = q.popleft()
            pts.append((y, x))
            for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                yy, xx = y + dy, x + dx
                if 0 <= yy < H and 0 <= xx < W and mask[yy, xx] and not lab[yy, xx]:
                    lab[yy, xx] = cid
                    q.append((yy, xx))
        comps.append(np.array(pts))
    return comps


def analyze(img):
    px = img.reshape(-1, 3).astype(np.float32)
    d = ((px[:, None, :] - PALETTE[None]) ** 2).sum(-1)
    labels = d.argmin(1).reshape(img.shape[:2])
    bg = int(np.bincount(labels.ravel(), minlength=len(PALETTE)).argmax())
    objs = []
    for pts in components(labels != bg):
        if len(pts) < MIN_AREA:
            continue
        ys, xs = pts[:, 0], pts[:, 1]
        h = ys.max() - ys.min() + 1
        w = xs.max() - xs.min() + 1
        fill = len(pts) / float(h * w)
        shape = "square" if fill >= 0.90 else ("circle" if fill >= 0.64 else "triangle")
        col = int(np.bincount(labels[ys, xs], minlength=len(PALETTE)).argmax())
        objs.append({"colour": PALETTE_NAMES[col], "shape": shape, "cx": float(xs.mean() + 0.5),
                     "cy": float(ys.mean() + 0.5), "area": int(len(pts)), "fill": fill})
    return PALETTE_NAMES[bg], objs


def check(img, rec):
    sc = rec["scene"]
    bg, found = analyze(img)
    exp = sc["objects"]
    r = {"background": bg == sc["background_colour"], "count": len(found) == len(exp)}
    best = None
    if found:
        n = min(len(found), len(exp))
        for perm in itertools.permutations(range(len(found)), n):
            for sub in itertools.combinations(range(len(exp)), n):
                cost = sum((found[p]["cx"] - exp[e]["centroid_x"]) ** 2 + (found[p]["cy"] - exp[e]["centroid_y"]) ** 2
                           for p, e in zip(perm, sub))
                if best is None or cost < best[0]:
                    best = (cost, list(zip(perm, sub)))
    match = best[1] if best else []
    matched = {e: found[p] for p, e in match}
    ok_c = ok_s = ok_p = True
    for i, e in enumerate(exp):
        f = matched.get(i)
        if f is None:
            ok_c = ok_s = ok_p = False
            continue
        ok_c &= f["colour"] == e["colour"]
        ok_s &= f["shape"] == e["shape"]
        ok_p &= ((f["cx"] - e["centroid_x"]) ** 2 + (f["cy"] - e["centroid_y"]) ** 2) ** 0.5 <= POS_TOL
    r.update({"colour": bool(ok_c), "shape": bool(ok_s), "position": bool(ok_p)})
    r["all"] = all(r.values())
    return r, {"bg": bg, "found": found}


KEYS = ["colour", "background", "position", "count", "shape", "all"]


def summarize(results, recs):
    out = {}
    groups = {"all": list(range(len(recs)))}
    for kind in ("single", "count", "pair"):
        groups[kind] = [i for i, r in enumerate(recs) if r["scene"]["kind"] == kind]
    for g, idx in groups.items():
        if idx:
            out[g] = {k: round(100.0 * np.mean([results[i][k] for i in idx]), 1) for k in KEYS}
            out[g]["n"] = len(idx)
    return out


def evaluate_images(imgs, recs):
    res = [check(im, rec)[0] for im, rec in zip(imgs, recs)]
    return {"summary": summarize(res, recs), "per_prompt": res}


def evaluate(models, recs, steps, seed=0, batch=32):
    from pipeline import generate
    g = torch.Generator().manual_seed(seed)
    imgs = []
    for i in range(0, len(recs), batch):
        imgs += list(generate(models, [r["prompt"] for r in recs[i:i + batch]], steps, noise_gen=g))
    out = evaluate_images(imgs, recs)
    out["images"] = imgs
    return out


@torch.no_grad()
def evaluate_vae(enc, dec, recs, batch=32):
    imgs = []
    for i in range(0, len(recs), batch):
        x = []
        for r in recs[i:i + batch]:
            x.append(render.render(grammar.parse_prompt(r["prompt"])))
        x = torch.from_numpy(np.stack(x)).permute(0, 3, 1, 2).float() / 127.5 - 1
        y = ((dec(enc(x)) / 2 + 0.5).clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
        imgs += list(y)
    out = evaluate_images(imgs, recs)
    out["images"] = imgs
    return out


if __name__ == "__main__":
    # sanity: ground-truth renders must score 100%
    recs = [render.scene_record(sc, p) for p, sc in heldout_scenes()]
    imgs = [render.render(grammar.parse_prompt(r["prompt"])) for r in recs]
    print(json.dumps(evaluate_images(imgs, recs)["summary"], indent=1))
