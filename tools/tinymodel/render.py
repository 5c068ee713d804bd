"""Deterministic renderer: scene (see grammar.py) -> RGB uint8 image.

Layout rules (native 128x128 canvas; all sizes = side of the object's bounding box in pixels):
  single: size small 30 / big 56 (default big), centred at the position (default center).
          Position centres: x,y in {0.25, 0.5, 0.75} * canvas (top = y 0.25, left = x 0.25, ...).
  count:  2 or 3 equal objects (small 22 / big 30, default big) in a horizontal row, spacing size+14 px,
          row centred on the position and clamped so it stays 4 px inside the canvas.
  pair:   small 26 / big 40 (default big). Without positions: first object at x=0.30, second at x=0.70, y=0.5.
          With positions: each at its own position; scenes whose boxes come closer than 6 px are rejected.
Shapes: circle = disk of diameter size; square = size x size; triangle = isosceles, apex up, base at the
bottom, bounding box size x size (fill ratio 0.5). Hard edges (no anti-aliasing).
Crop conditioning: render(scene, orig=S, crop=(top,left)) draws the scene on an S x S canvas with every
length scaled by S/128 and returns the 128x128 crop at (top, left).
"""
import numpy as np
from grammar import COLOURS, POS_XY

SIZE_PX = {"single": {"small": 30, "big": 56}, "count": {"small": 22, "big": 30}, "pair": {"small": 26, "big": 40}}
PAIR_DEFAULT_X = (0.30, 0.70)
NATIVE = 128


def layout(scene, W=NATIVE, H=NATIVE):
    """list of dicts {colour, rgb, shape, cx, cy, size} (bbox centre, px) or None if the pair overlaps."""
    scale = W / NATIVE
    kind = scene["kind"]
    out = []
    for idx, o in enumerate(scene["objects"]):
        s = SIZE_PX[kind][o["size"] or "big"] * scale
        if kind == "pair" and o["position"] is None:
            fx, fy = PAIR_DEFAULT_X[idx], 0.5
        else:
            fx, fy = POS_XY[o["position"] or "center"]
        cx, cy = fx * W, fy * H
        n = o.get("count", 1) if kind == "count" else 1
        if n > 1:
            sp = s + 14 * scale
            span = (n - 1) * sp + s
            lo = 4 * scale + span / 2
            hi = W - 4 * scale - span / 2
            cx = min(max(cx, lo), hi)
            xs = [cx + (k - (n - 1) / 2) * sp for k in range(n)]
        else:
            xs = [cx]
        for x in xs:
            out.append({"colour": o["colour"], "rgb": list(COLOURS[o["colour"]]), "shape": o["shape"],
                        "cx": float(x), "cy": float(cy), "size": float(s)})
    if kind == "pair":
        a, b = out
        gap = max(abs(a["cx"] - b["cx"]) - (a["size"] + b["size"]) / 2, abs(a["cy"] - b["cy"]) - (a["size"] + b["size"]) / 2)
        if gap < 6 * scale:
            return None
    return out


def shape_mask(shape, cx, cy, s, W, H):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    xx += 0.5
    yy += 0.5
    h = s / 2
    if shape == "circle":
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= h * h
    if shape == "square":
        return (np.abs(xx - cx) <= h) & (np.abs(yy - cy) <= h)
    # triangle apex (cx, cy-h), base y = cy+h from cx-h to cx+h
    t = (yy - (cy - h)) / s  # 0 at apex, 1 at base
    return (t >= 0) & (t <= 1) & (np.abs(xx - cx) <= t * h)


def object_masks(scene, orig=NATIVE):
    """(layout entry, boolean mask) for each object drawn on the orig x orig canvas, in drawing order."""
    objs = layout(scene, orig, orig)
    if objs is None:
        raise ValueError("objects overlap")
    for o in objs:
        yield o, shape_mask(o["shape"], o["cx"], o["cy"], o["size"], orig, orig)


def render(scene, orig=NATIVE, crop=(0, 0), out=NATIVE):
    img = np.empty((orig, orig, 3), np.uint8)
    img[:] = COLOURS[scene["background"]]
    for o, m in object_masks(scene, orig):
        img[m] = o["rgb"]
    t, l = crop
    return img[t:t + out, l:l + out]


def scene_record(scene, prompt):
    """JSON-able description in native pixels (used by eval/heldout.json)."""
    objs = layout(scene)
    for o in objs:
        # true centroid (differs from the bbox centre for triangles: +size/6 in y)
        o["centroid_x"] = o["cx"]
        o["centroid_y"] = o["cy"] + (o["size"] / 6 if o["shape"] == "triangle" else 0.0)
    bg = scene["background"]
    return {"prompt": prompt,
            "scene": {"kind": scene["kind"], "background": list(COLOURS[bg]), "background_colour": bg,
                      "objects": objs}}
