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

    def test_cli_defaults_are_the_documented_ones(self):
        args = cli.parse_args(["--out", "x"])
        self.assertEqual(args.variants, ["realism", "vibrant"])
        self.assertTrue(args.ort_optimize and args.fp16 and args.keep_io_types and args.tiny_vae)
        self.assertEqual((args.vae, args.timestep_dtype, args.share), ("fp16-fix", "int64", "hardlink"))
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            cli.parse_args(["--out", "x", "--variants", "turbo"])


if __name__ == "__main__":
    unittest.main()
