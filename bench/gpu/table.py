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


def live_row(path):
    """One `nitrolive bench live` result (live-NAME-CLIENTS.json), or None when the run left no complete object."""
    try:
        r = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return r if isinstance(r, dict) and "clients" in r else None


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


# The web app's live runs (run_checks.sh's `live` step): typists over the hub of the product itself.
live = []
for path in out.glob("live-*-*.json"):
    name, clients = path.stem[5:].rsplit("-", 1)
    if clients.isdigit() and (r := live_row(path)) is not None:
        live.append((name, int(clients), r))
if live:
    print()
    print("| live | clients | frames/s | keystroke to frame p50 (p95) ms | its generation p50 ms | overhead_ratio | "
          "stale | full picture p50 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, clients, r in sorted(live, key=lambda x: (x[0], x[1])):
        k = r.get("keystroke_to_frame_ms") or {}
        full = r.get("keystroke_to_full_frame_ms") or {}
        gen = r.get("pipeline_ms_of_final_frames") or {}
        print(f"| {name} | {clients} | {r.get('fps_total', 0):.1f} | {k.get('p50', float('nan')):.1f} "
              f"({k.get('p95', float('nan')):.1f}) | {gen.get('p50', float('nan')):.1f} | "
              f"{r.get('overhead_ratio') or float('nan'):.2f} | {r.get('stale_frames', '?')} | "
              f"{full.get('p50', float('nan')):.1f} |")
