"""Command line of the NitroFusion -> NitroLive export (see docs/real-models.md)."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, List, Optional, Tuple

from .exporter import VARIANTS, ExportOptions, describe, export_folders

# Free GPU memory below which tracing defaults to the CPU: the fp32 SDXL UNet alone is 10.3 GB on the device, and
# torch.onnx.export's tracing and constant folding hold copies of weights and activations beside it (a 12 or 16 GB
# card runs out of memory). 22 GiB is what a 24 GB card has free once CUDA's context is up.
CUDA_MIN_FREE_BYTES = 22 * 1024 ** 3


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="export_nitrofusion.py",
        description="Build NitroLive model folders (ONNX fp16) from SDXL base + the NitroFusion UNets.",
    )
    p.add_argument("--out", required=True, type=Path, help="folder that receives nitrosd-realism/, nitrosd-vibrant/")
    p.add_argument("--variants", nargs="+", default=["realism", "vibrant"], choices=sorted(VARIANTS))
    p.add_argument("--no-ort-optimize", dest="ort_optimize", action="store_false",
                   help="skip ONNX Runtime's diffusion fusions (portable graph that also runs on the CPU provider)")
    p.add_argument("--ort-shape-inference", action="store_true",
                   help="let ONNX Runtime's UNet fusions run its symbolic shape inference, as ORT does by default "
                        "(minutes slower on a full-size UNet; only Reshapes to their own shape are then removed too)")
    p.add_argument("--fp32", dest="fp16", action="store_false", help="keep every model fp32 (about twice the size)")
    p.add_argument("--fp16-io", dest="keep_io_types", action="store_false",
                   help="fp16 inputs and outputs too (default: fp32 at the boundary, fp16 inside)")
    p.add_argument("--vae", choices=["fp16-fix", "upcast"], default="fp16-fix",
                   help="fp16-fix: madebyollin/sdxl-vae-fp16-fix decoder in fp16; upcast: SDXL base's decoder in "
                        "fp32 (force_upcast)")
    p.add_argument("--no-tiny-vae", dest="tiny_vae", action="store_false", help="leave out vae_decoder_tiny/")
    p.add_argument("--timestep-dtype", choices=["int64", "float32"], default="int64",
                   help="type of the UNet's timestep input, shape [1] (default int64)")
    p.add_argument("--share", choices=["hardlink", "copy"], default="hardlink",
                   help="how the second variant gets the shared text encoders, VAE and tokenizers")
    p.add_argument("--device", default=None,
                   help="torch device for tracing: cpu or cuda (default: cuda when the GPU has about 24 GB free, "
                        "else cpu)")
    p.add_argument("--latent-size", type=int, default=64, help="latent edge of the tracing inputs")
    p.add_argument("--overwrite", action="store_true", help="replace existing output folders")
    p.add_argument("--hf-token", default=None, help="Hugging Face token (or log in with huggingface-cli)")
    p.add_argument("--cache-dir", default=None, help="Hugging Face cache folder")
    p.add_argument("--base", default=None, help="SDXL base repository (default stabilityai/stable-diffusion-xl-base-1.0)")
    p.add_argument("--random-weights", action="store_true",
                   help="SDXL's architecture with random weights and no download, for speed measurements only (the "
                        "folders draw noise); needs diffusers and transformers")
    p.add_argument("--random-text-encoders", choices=["transformers", "torch"], default="transformers",
                   help="with --random-weights: transformers' CLIP classes, or a plain torch CLIP tower of the same "
                        "shapes (for a transformers version whose CLIP does not trace)")
    return p.parse_args(argv)


def default_device(torch: Any) -> Tuple[str, str]:
    """The tracing device when --device is not given, and why (``torch`` is the module, injectable for tests)."""
    cuda = torch.cuda
    if not cuda.is_available():
        return "cpu", "no CUDA device"
    name = cuda.get_device_name(0) if hasattr(cuda, "get_device_name") else "the GPU"
    try:
        free, _total = cuda.mem_get_info()
        what = "free"
    except (AttributeError, RuntimeError):  # an older torch, or a driver that does not say
        free, what = cuda.get_device_properties(0).total_memory, "in all"
    gb = f"{free / 1e9:.1f} GB {what} on {name}"
    if free >= CUDA_MIN_FREE_BYTES:
        return "cuda", gb
    return "cpu", (f"only {gb}; the fp32 UNet's tracing needs about {CUDA_MIN_FREE_BYTES / 1e9:.0f} GB "
                   "(--device cuda to try anyway)")


def make_source(args: argparse.Namespace):
    """The ModelSource the arguments ask for."""
    if args.random_weights:
        from .random_source import RandomSdxlSource  # noqa: PLC0415

        return RandomSdxlSource(text_encoders=args.random_text_encoders)
    from .hf_source import SDXL_BASE, HuggingFaceSource  # noqa: PLC0415

    return HuggingFaceSource(base=args.base or SDXL_BASE, token=args.hf_token, cache_dir=args.cache_dir)


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    import torch  # noqa: PLC0415

    device = args.device
    if device is None:
        device, why = default_device(torch)
        print(f"Tracing on {device}: {why}", flush=True)
    source = make_source(args)
    options = ExportOptions(
        out_dir=args.out,
        variants=args.variants,
        fp16=args.fp16,
        keep_io_types=args.keep_io_types,
        ort_optimize=args.ort_optimize,
        tiny_vae=args.tiny_vae,
        vae=args.vae,
        timestep_dtype=args.timestep_dtype,
        latent_size=args.latent_size,
        share=args.share,
        device=device,
        overwrite=args.overwrite,
        ort_unet_shape_inference=args.ort_shape_inference,
    )
    result = export_folders(source, options)
    for line in describe(result):
        print(line)
    print("Check each folder with: nitrolive verify-model <folder>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
