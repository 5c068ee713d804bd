"""The table run_checks.sh prints last: per-stage p50 of every bench run and the UNet's ratio to the FLOP floor."""
import json
import sys
from pathlib import Path

PEAK_TFLOPS = 798.0  # bf16/fp16 dense matrix products measured on this H100 (../shared/gpu/README.md)
FLOP_1024 = 6.0e12   # one SDXL UNet evaluation at 1024x1024, batch 1; a quarter of that at 512x512


def p50(scenario, key):
    v = scenario.get(key)
    return v["p50"] if v else float("nan")


def spread(scenario, key):
    v = scenario.get(key)
    return f"{v['p50']:.1f} ({v['min']:.1f}-{v['max']:.1f})" if v else "nan"


def results(text):
    """Every JSON object in a bench output: one per line for several combinations, one indented object for one."""
    decoder = json.JSONDecoder()
    i = text.find("{")
    while i >= 0:
        try:
            value, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:  # a run cut off by its time limit
            return
        if isinstance(value, dict) and "width" in value:
            yield value
        i = text.find("{", end)


out = Path(sys.argv[1])
print("| run | size | steps | batch | latents | unet step p50 (min-max) ms | decode p50 ms | text encode p50 ms | "
      "total p50 (min-max) ms | img/s | unet / FLOP floor | jpeg q85 p50 ms |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for path in sorted(out.glob("bench-*.jsonl")):
    for r in results(path.read_text()):
        s = r.get("cache_hit") or r.get("cache_miss")
        miss = r.get("cache_miss")
        floor_ms = FLOP_1024 * (r["width"] * r["height"]) / (1024 * 1024) * r["batch"] / (PEAK_TFLOPS * 1e12) * 1000
        step = p50(s, "unet_step_ms")
        print(f"| {path.stem[6:]} | {r['width']}x{r['height']} | {r['steps']} | {r['batch']} | "
              f"{'device' if r.get('latents_on_device') else 'host'}{' graph' if r.get('unet_shape_session') else ''}"
              f"{' tiny' if r.get('tiny_decoder') or r.get('drafts_use_tiny_decoder') else ''} | "
              f"{spread(s, 'unet_step_ms')} | {p50(s, 'decode_ms'):.1f} | "
              f"{p50(miss, 'text_encode_ms') if miss else float('nan'):.1f} | {spread(s, 'total_ms')} | "
              f"{r.get('images_per_second_p50', 0):.1f} | {step / floor_ms:.1f}x | {p50(s, 'jpeg_q85_encode_ms'):.1f} |")
