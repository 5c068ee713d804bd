"""RandomSdxlSource (export_nitrofusion.py --random-weights): SDXL's shapes reach diffusers and transformers, and the
folder it exports is one NitroLive opens.

diffusers and transformers are not installed here, so stand-ins record the configs they are given and build the tiny
test modules (the real classes run on the GPU checks' machine, bench/gpu/).

Run: /usr/bin/python3 -m unittest discover -s tests/export
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import types
import unittest
from pathlib import Path

import torch

from test_export_folders import nitrolive
from tiny_models import REPO, TinyAutoencoderKL, TinyAutoencoderTiny, TinyClipTextModel, TinyUNet

from nitro_export import cli
from nitro_export.exporter import ExportOptions, Exporter
from nitro_export.random_source import EMBEDDED_MODEL, SDXL_TEXT_ENCODER, SDXL_TEXT_ENCODER_2, RandomSdxlSource

CALLS: list = []


class _Config(dict):
    def __init__(self, **kw):
        super().__init__(kw)
        self.__dict__.update(kw)

    def to_dict(self):
        return dict(self)


class _ClipModel(TinyClipTextModel):
    def __init__(self, cfg, projection: bool = False):
        super().__init__(cfg.hidden_size, 2, heads=2, projection_dim=cfg.projection_dim if projection else None)
        CALLS.append(("clip", projection, dict(cfg)))
        self.config = cfg


def _fake_modules() -> dict:
    transformers = types.ModuleType("transformers")
    transformers.CLIPTextConfig = _Config
    transformers.CLIPTextModel = lambda cfg: _ClipModel(cfg)
    transformers.CLIPTextModelWithProjection = lambda cfg: _ClipModel(cfg, projection=True)

    def unet(**kw):
        CALLS.append(("unet", kw))
        m = TinyUNet(kw["cross_attention_dim"], kw["projection_class_embeddings_input_dim"] - 6 * kw["addition_time_embed_dim"])
        m.config = {**m.config, **{k: v for k, v in kw.items() if k not in ("addition_time_embed_dim",
                                                                             "projection_class_embeddings_input_dim")}}
        m.set_attn_processor = lambda processor: CALLS.append(("plain attention", "unet"))
        return m

    def autoencoder_kl(**kw):
        CALLS.append(("vae", kw))
        m = TinyAutoencoderKL()
        m.config = {**m.config, **kw}
        m.set_attn_processor = lambda processor: CALLS.append(("plain attention", "vae"))
        return m

    diffusers = types.ModuleType("diffusers")
    diffusers.UNet2DConditionModel = unet
    diffusers.AutoencoderKL = autoencoder_kl
    diffusers.AutoencoderTiny = lambda: TinyAutoencoderTiny()
    models = types.ModuleType("diffusers.models")
    attention = types.ModuleType("diffusers.models.attention_processor")
    attention.AttnProcessor = object
    return {"transformers": transformers, "diffusers": diffusers, "diffusers.models": models,
            "diffusers.models.attention_processor": attention}


class RandomSdxlSourceTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.saved = {name: sys.modules.get(name) for name in _fake_modules()}
        sys.modules.update(_fake_modules())
        CALLS.clear()
        cls.out = Path(tempfile.mkdtemp(prefix="nitro-random-"))
        cls.result = Exporter(RandomSdxlSource(), ExportOptions(out_dir=cls.out, variants=["realism"], ort_optimize=False,
                                                                 device="cpu")).run()
        cls.folder = cls.result.folders["realism"]

    @classmethod
    def tearDownClass(cls):
        for name, module in cls.saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_the_unet_gets_sdxl_base_shapes(self):
        kw = next(c[1] for c in CALLS if c[0] == "unet")
        self.assertEqual(kw["block_out_channels"], [320, 640, 1280])
        self.assertEqual(kw["transformer_layers_per_block"], [1, 2, 10])
        self.assertEqual(kw["attention_head_dim"], [5, 10, 20])
        self.assertEqual(kw["cross_attention_dim"], 2048)
        self.assertEqual(kw["addition_embed_type"], "text_time")
        self.assertEqual(kw["addition_time_embed_dim"], 256)
        self.assertEqual(kw["projection_class_embeddings_input_dim"], 2816)
        self.assertEqual(kw["sample_size"], 128)
        self.assertIn(("plain attention", "unet"), CALLS)

    def test_the_text_encoders_are_clip_l_and_bigg_with_the_embedded_tokenizers_special_ids(self):
        vocab = json.loads((EMBEDDED_MODEL / "tokenizer" / "vocab.json").read_text(encoding="utf-8"))
        clips = [c for c in CALLS if c[0] == "clip"]
        self.assertEqual([c[1] for c in clips], [False, True])
        for (_, _, cfg), expected in zip(clips, (SDXL_TEXT_ENCODER, SDXL_TEXT_ENCODER_2)):
            for key, value in expected.items():
                self.assertEqual(cfg[key], value, key)
            self.assertEqual(cfg["eos_token_id"], vocab["<|endoftext|>"])
            self.assertEqual(cfg["bos_token_id"], vocab["<|startoftext|>"])
            self.assertEqual(cfg["attn_implementation"], "eager")
        self.assertEqual((clips[0][2]["num_hidden_layers"], clips[1][2]["num_hidden_layers"]), (12, 32))
        self.assertEqual(clips[1][2]["hidden_size"] + clips[0][2]["hidden_size"], 2048)

    def test_the_vae_is_sdxls_and_both_decoders_are_exported(self):
        kw = next(c[1] for c in CALLS if c[0] == "vae")
        self.assertEqual(kw["block_out_channels"], [128, 256, 512, 512])
        self.assertEqual(kw["scaling_factor"], 0.13025)
        self.assertFalse(kw["force_upcast"])
        self.assertTrue((self.folder / "vae_decoder" / "model.onnx").is_file())
        self.assertTrue((self.folder / "vae_decoder_tiny" / "model.onnx").is_file())

    def test_the_folder_says_its_weights_are_random_and_uses_the_embedded_tokenizers(self):
        manifest = json.loads((self.folder / "nitrolive.json").read_text(encoding="utf-8"))
        self.assertIn("random", manifest["export"]["sources"]["weights"])
        # ...where the app shows it too, without the licence of NitroFusion weights the folder does not hold.
        self.assertEqual(manifest["display_name"], "NitroSD-Realism (random weights)")
        self.assertNotIn("cc-by-nc", manifest["license"])
        self.assertIn("random weights", manifest["license"])
        self.assertIn("random weights", manifest["description"])
        for sub in ("tokenizer", "tokenizer_2"):
            for name in ("vocab.json", "merges.txt"):
                self.assertEqual((self.folder / sub / name).read_bytes(), (EMBEDDED_MODEL / sub / name).read_bytes())

    def test_nitrolive_opens_and_runs_the_folder(self):
        verify = nitrolive("verify-model", str(self.folder), "--provider", "cpu")
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        bench = nitrolive("bench", "pipeline", "--model", str(self.folder), "--provider", "cpu", "--size", "128x128",
                          "--runs", "1", "--warmup", "0", "--prompts", "hit")
        self.assertEqual(bench.returncode, 0, bench.stdout + bench.stderr)
        self.assertEqual(json.loads(bench.stdout)["provider"], "CPU")

    def test_the_command_line_builds_the_random_source_without_any_download(self):
        args = cli.parse_args(["--out", "x", "--random-weights", "--random-text-encoders", "torch"])
        source = cli.make_source(args)
        self.assertIsInstance(source, RandomSdxlSource)
        self.assertEqual(source.text_encoders, "torch")
        self.assertEqual(cli.parse_args(["--out", "x"]).random_weights, False)


class TorchClipStandInTests(unittest.TestCase):
    """The plain torch CLIP tower: transformers' outputs and shapes, exported by the same code (small config here)."""

    def test_it_has_the_outputs_the_export_names_and_pools_at_the_end_of_text(self):
        from nitro_export import onnx_io  # noqa: PLC0415
        from nitro_export.random_source import _torch_clip  # noqa: PLC0415

        config = {**SDXL_TEXT_ENCODER_2, "hidden_size": 40, "intermediate_size": 80, "num_hidden_layers": 3,
                  "num_attention_heads": 4, "projection_dim": 24}
        model = _torch_clip(config, with_projection=True, eos_token_id=7).eval()
        ids = torch.tensor([[5, 9, 7, 7], [5, 7, 7, 7]])
        embeds, last, states = model(ids, output_hidden_states=True, return_dict=False)
        self.assertEqual(tuple(embeds.shape), (2, 24))
        self.assertEqual(tuple(last.shape), (2, 4, 40))
        self.assertEqual(len(states), 4)  # the embeddings and one per layer
        torch.testing.assert_close(embeds[0], model.projection(last[0, 2]))
        torch.testing.assert_close(embeds[1], model.projection(last[1, 1]))
        # causal: a later token never changes an earlier position
        changed = ids.clone()
        changed[0, 3] = 9
        torch.testing.assert_close(model(changed)[1][0, :3], last[0, :3])
        spec = onnx_io.text_encoder_spec(model, second=True)
        self.assertEqual(spec.output_names[:2], ["text_embeds", "last_hidden_state"])
        self.assertEqual(len(spec.output_names), 2 + 4)


if __name__ == "__main__":
    unittest.main()
