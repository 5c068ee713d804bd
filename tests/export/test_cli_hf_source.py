"""The command line and the Hugging Face loader, end to end, with the hub libraries replaced by fakes that serve the
tiny modules (diffusers, transformers, safetensors and huggingface_hub are not installed here; nothing downloads)."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
import types
import unittest
from pathlib import Path
from unittest import mock

import torch

import tiny_models
from tiny_models import TinySource, shared_clip_available

from nitro_export import cli
from nitro_export.exporter import VARIANTS
from nitro_export.hf_source import HuggingFaceSource


class FakeConfig(dict):
    def to_dict(self):
        return dict(self)


def fake_hub(calls: list, tmp: Path):
    """sys.modules entries for huggingface_hub, transformers, diffusers and safetensors.torch."""
    src = TinySource()

    def hf_hub_download(repo, filename, **kw):
        calls.append(("download", repo, filename, kw))
        path = tmp / "hub" / repo / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        if filename.endswith("scheduler_config.json"):
            path.write_text(json.dumps(tiny_models.SCHEDULER_CONFIG))
        elif "/" in filename and filename.split("/")[0] in ("tokenizer", "tokenizer_2"):
            sub, name = filename.split("/")
            path.write_bytes(src.tokenizer_files(sub)[name])
        else:
            path.write_text(filename)  # a UNet checkpoint: load_file reads the name back
        return str(path)

    def clip_class(second: bool):
        class FakeClip:
            @staticmethod
            def from_pretrained(repo, subfolder=None, **kw):
                calls.append(("clip", repo, subfolder, kw))
                m = (src.text_encoder_2() if second else src.text_encoder()).module
                m.config = FakeConfig(m.config)
                return m
        return FakeClip

    class AutoencoderKL:
        @staticmethod
        def from_pretrained(repo, subfolder=None, **kw):
            calls.append(("vae", repo, subfolder, kw))
            m = src.vae_decoder("fp16-fix").module
            m.set_attn_processor = lambda p: calls.append(("attn", "vae", type(p).__name__))
            return m

    class AutoencoderTiny:
        @staticmethod
        def from_pretrained(repo, **kw):
            calls.append(("tiny_vae", repo, kw))
            return src.tiny_vae_decoder().module

    class UNet2DConditionModel:
        @staticmethod
        def load_config(repo, subfolder=None, **kw):
            calls.append(("unet_config", repo, subfolder, kw))
            return {"from": repo}

        @staticmethod
        def from_config(config):
            m = src.unet(VARIANTS["realism"]).module  # random init; the checkpoint overwrites it
            m.set_attn_processor = lambda p: calls.append(("attn", "unet", type(p).__name__))
            return m

    def load_file(path):
        variant = next(v for v in VARIANTS.values() if Path(path).read_text() == v.unet_file)
        calls.append(("load_file", variant.unet_file))
        return src.unet(variant).module.state_dict()

    class AttnProcessor:
        pass

    hub = types.ModuleType("huggingface_hub")
    hub.hf_hub_download = hf_hub_download
    transformers = types.ModuleType("transformers")
    transformers.CLIPTextModel = clip_class(False)
    transformers.CLIPTextModelWithProjection = clip_class(True)
    diffusers = types.ModuleType("diffusers")
    diffusers.AutoencoderKL = AutoencoderKL
    diffusers.AutoencoderTiny = AutoencoderTiny
    diffusers.UNet2DConditionModel = UNet2DConditionModel
    models = types.ModuleType("diffusers.models")
    attention = types.ModuleType("diffusers.models.attention_processor")
    attention.AttnProcessor = AttnProcessor
    safetensors = types.ModuleType("safetensors")
    safetensors_torch = types.ModuleType("safetensors.torch")
    safetensors_torch.load_file = load_file
    return {"huggingface_hub": hub, "transformers": transformers, "diffusers": diffusers,
            "diffusers.models": models, "diffusers.models.attention_processor": attention,
            "safetensors": safetensors, "safetensors.torch": safetensors_torch}


@unittest.skipUnless(shared_clip_available(), "../shared/clip is absent")
class CommandLineWithTheHubLoader(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="nitro-export-cli-"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_cli_exports_from_the_documented_repositories_and_files(self):
        calls: list = []
        with mock.patch.dict(sys.modules, fake_hub(calls, self.tmp)), \
                mock.patch("nitro_export.precision.load_ort_tools", return_value=None), \
                mock.patch("logging.basicConfig"), contextlib.redirect_stdout(io.StringIO()) as printed, \
                self.assertWarns(RuntimeWarning):
            code = cli.main(["--out", str(self.tmp / "out"), "--latent-size", "8", "--device", "cpu",
                             "--cache-dir", str(self.tmp / "cache")])
        self.assertEqual(code, 0)
        self.assertIn("nitrosd-realism: 0.01 GB", printed.getvalue())
        base = "stabilityai/stable-diffusion-xl-base-1.0"
        self.assertIn(("clip", base, "text_encoder", {"torch_dtype": torch.float32, "attn_implementation": "eager",
                                                      "cache_dir": str(self.tmp / "cache")}), calls)
        self.assertIn(("clip", base, "text_encoder_2", {"torch_dtype": torch.float32, "attn_implementation": "eager",
                                                        "cache_dir": str(self.tmp / "cache")}), calls)
        self.assertIn(("vae", "madebyollin/sdxl-vae-fp16-fix", None, {"torch_dtype": torch.float32,
                                                                     "cache_dir": str(self.tmp / "cache")}), calls)
        self.assertIn(("tiny_vae", "madebyollin/taesdxl", {"torch_dtype": torch.float32,
                                                          "cache_dir": str(self.tmp / "cache")}), calls)
        self.assertEqual([c for c in calls if c[0] == "unet_config"],
                         [("unet_config", base, "unet", {"cache_dir": str(self.tmp / "cache")})] * 2)
        downloads = [(c[1], c[2]) for c in calls if c[0] == "download"]
        self.assertIn(("ChenDY/NitroFusion", "nitrosd-realism_unet.safetensors"), downloads)
        self.assertIn(("ChenDY/NitroFusion", "nitrosd-vibrant_unet.safetensors"), downloads)
        self.assertIn((base, "scheduler/scheduler_config.json"), downloads)
        for sub in ("tokenizer", "tokenizer_2"):
            for name in ("vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"):
                self.assertIn((base, f"{sub}/{name}"), downloads)
        self.assertEqual([c for c in calls if c[0] == "attn"],
                         [("attn", "unet", "AttnProcessor"), ("attn", "unet", "AttnProcessor"),
                          ("attn", "vae", "AttnProcessor")])

        for key in ("realism", "vibrant"):
            folder = self.tmp / "out" / VARIANTS[key].folder
            meta = json.loads((folder / "nitrolive.json").read_text())
            self.assertEqual(meta["shifted_timestep"], VARIANTS[key].shifted_timestep)
            self.assertEqual(meta["export"]["sources"]["unet"], "ChenDY/NitroFusion")
            self.assertTrue((folder / "unet" / "model.onnx_data").is_file())
        # Each variant's UNet carries its own checkpoint, not the random init.
        a = (self.tmp / "out" / "nitrosd-realism" / "unet" / "model.onnx_data").read_bytes()
        b = (self.tmp / "out" / "nitrosd-vibrant" / "unet" / "model.onnx_data").read_bytes()
        self.assertNotEqual(a, b)

    def test_provenance_names_the_vae_decoder_that_was_loaded(self):
        with mock.patch.dict(sys.modules, fake_hub([], self.tmp)):
            source = HuggingFaceSource()
            self.assertEqual(source.provenance()["vae"], "madebyollin/sdxl-vae-fp16-fix")
            source.vae_decoder("upcast")
            self.assertEqual(source.provenance()["vae"], "stabilityai/stable-diffusion-xl-base-1.0/vae")
            source.vae_decoder("fp16-fix")
            self.assertEqual(source.provenance()["vae"], "madebyollin/sdxl-vae-fp16-fix")
            # The tiny decoder only once loaded: a --no-tiny-vae folder names none.
            self.assertIsNone(source.provenance()["tiny_vae"])
            source.tiny_vae_decoder()
            self.assertEqual(source.provenance()["tiny_vae"], "madebyollin/taesdxl")

    def test_cli_defaults_are_the_documented_ones(self):
        args = cli.parse_args(["--out", "x"])
        self.assertEqual(args.variants, ["realism", "vibrant"])
        self.assertTrue(args.ort_optimize and args.fp16 and args.keep_io_types and args.tiny_vae)
        self.assertEqual((args.vae, args.timestep_dtype, args.share), ("fp16-fix", "int64", "hardlink"))
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            cli.parse_args(["--out", "x", "--variants", "turbo"])


def fake_torch(available=True, free_gb=None, total_gb=80.0, name="NVIDIA H100"):
    """torch with only what cli.default_device reads; free_gb None: a torch without mem_get_info."""
    cuda = types.SimpleNamespace(is_available=lambda: available, get_device_name=lambda index: name,
                                 get_device_properties=lambda index: types.SimpleNamespace(
                                     total_memory=int(total_gb * 1e9)))
    if free_gb is not None:
        cuda.mem_get_info = lambda: (int(free_gb * 1e9), int(total_gb * 1e9))
    return types.SimpleNamespace(cuda=cuda)


class DefaultTracingDevice(unittest.TestCase):
    """Tracing holds the fp32 UNet (10.3 GB) and the exporter's copies on the device: a 12 or 16 GB card runs out."""

    def test_cuda_only_with_about_24_gb_free(self):
        self.assertEqual(cli.default_device(fake_torch(free_gb=70.0))[0], "cuda")
        self.assertEqual(cli.default_device(fake_torch(free_gb=23.8, total_gb=25.4))[0], "cuda")  # a free 24 GB card

    def test_a_smaller_or_busy_card_traces_on_the_cpu_and_says_why(self):
        for free, total in ((11.5, 12.9), (15.8, 17.1), (9.0, 85.0)):
            device, why = cli.default_device(fake_torch(free_gb=free, total_gb=total))
            self.assertEqual(device, "cpu", (free, total))
            self.assertIn(f"only {free:.1f} GB free on NVIDIA H100", why)
            self.assertIn("--device cuda", why)

    def test_no_cuda_means_the_cpu(self):
        self.assertEqual(cli.default_device(fake_torch(available=False)), ("cpu", "no CUDA device"))

    def test_without_mem_get_info_the_cards_total_memory_decides(self):
        self.assertEqual(cli.default_device(fake_torch(total_gb=80.0))[0], "cuda")
        device, why = cli.default_device(fake_torch(total_gb=16.0))
        self.assertEqual(device, "cpu")
        self.assertIn("16.0 GB in all", why)

    def test_main_prints_the_choice_and_passes_it_to_the_export_and_an_explicit_device_wins(self):
        seen = []

        def fake_export(source, options):
            seen.append(options.device)
            return types.SimpleNamespace(folders={}, sizes={})

        for argv, torch_module in ((["--out", "x"], fake_torch(free_gb=11.0)),
                                   (["--out", "x", "--device", "cuda"], fake_torch(free_gb=11.0))):
            with mock.patch.dict(sys.modules, {"torch": torch_module}), \
                    mock.patch.object(cli, "make_source", return_value=None), \
                    mock.patch.object(cli, "export_folders", fake_export), mock.patch("logging.basicConfig"), \
                    contextlib.redirect_stdout(io.StringIO()) as printed:
                self.assertEqual(cli.main(argv), 0)
            if "--device" not in argv:
                self.assertIn("Tracing on cpu: only 11.0 GB free", printed.getvalue())
            else:
                self.assertNotIn("Tracing on", printed.getvalue())
        self.assertEqual(seen, ["cpu", "cuda"])


if __name__ == "__main__":
    unittest.main()
