"""Max pixel difference between the embedded model's images on the GPU provider and on the CPU (run_checks.sh)."""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

out, provider = Path(sys.argv[1]), sys.argv[2]
for steps in (1, 4):
    a, b = out / f"embedded-{provider}-{steps}.png", out / f"embedded-cpu-{steps}.png"
    if not (a.exists() and b.exists()):
        print(f"{steps} step(s): missing {a.name if not a.exists() else b.name}")
        continue
    x = np.asarray(Image.open(a).convert("RGB"), dtype=np.int16)
    y = np.asarray(Image.open(b).convert("RGB"), dtype=np.int16)
    d = np.abs(x - y)
    print(f"{steps} step(s): {provider} vs cpu max |diff| {d.max()} / 255, mean {d.mean():.4f}, "
          f"pixels differing {(d.max(axis=2) > 0).mean() * 100:.2f}%, > 8: {(d.max(axis=2) > 8).mean() * 100:.2f}%")
