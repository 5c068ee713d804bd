"""The draft decoder (vae_decoder_tiny): its module, the distillation script on a copy of the committed folder, and
what the committed folder ships.

Run: /usr/bin/python3 -m unittest discover -s tests/tinymodel -v
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np
import onnx

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.path.join(REPO, "tools", "tinymodel")
MODEL = os.path.join(REPO, "models", "nitro-tiny")
sys.path.insert(0, TOOLS)


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class TinyDecoderModule(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch  # (Debian's torch: these tests run under /usr/bin/python3)
        import distill_decoder
        import models
        cls.torch, cls.distill, cls.models = torch, distill_decoder, models

    def test_it_keeps_the_full_decoder_s_contract_at_any_latent_size(self):
        dec = self.models.TinyVAEDecoder().eval()
        with self.torch.no_grad():
            for shape in ((2, 4, 32, 32), (1, 4, 8, 12)):
                out = dec(self.torch.randn(shape))
                self.assertEqual(tuple(out.shape), (shape[0], 3, shape[2] * 4, shape[3] * 4))

    def test_it_costs_a_third_to_a_half_of_the_full_decoder(self):
        full = self.distill.macs(self.models.VAEDecoder())
        tiny = self.distill.macs(self.models.TinyVAEDecoder())
        self.assertLess(tiny, full)
        self.assertGreaterEqual(tiny / full, 0.3)
        self.assertLessEqual(tiny / full, 0.5)

    def test_the_default_full_decoder_is_unchanged_by_the_tiny_one_s_options(self):
        # The committed model's weights load into VAEDecoder() by name: its layout must stay the trained one.
        names = {k: tuple(v.shape) for k, v in self.models.VAEDecoder().state_dict().items()}
        graph = onnx.load(os.path.join(MODEL, "vae_decoder", "model.onnx")).graph
        self.assertEqual(names, {t.name: tuple(t.dims) for t in graph.initializer})

    def test_only_what_survives_the_output_clip_counts_as_a_gap(self):
        t = self.torch.tensor([1.3, 1.3, -1.0, 0.2, 0.5])
        s = self.torch.tensor([1.5, 0.8, -1.4, 1.4, 0.5])
        gap = self.distill.clamped_gap(s, t)
        self.assertEqual([round(v, 4) for v in gap.tolist()], [0.0, -0.2, 0.0, 1.2, 0.0])


class OnnxWeightsInTorch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch
        import distill_decoder
        import models
        import onnx_ref
        cls.torch, cls.distill, cls.models, cls.onnx_ref = torch, distill_decoder, models, onnx_ref

    def test_the_committed_decoder_loaded_into_torch_computes_what_its_graph_does(self):
        enc, dec, sf = self.distill.load_folder(MODEL)
        self.assertEqual(sf, read_json(os.path.join(MODEL, "vae_decoder", "config.json"))["scaling_factor"])
        z = np.random.default_rng(3).standard_normal((3, 4, 20, 28)).astype(np.float32)
        ref = self.onnx_ref.run(os.path.join(MODEL, "vae_decoder", "model.onnx"), {"latent_sample": z})["sample"]
        with self.torch.no_grad():
            got = dec(self.torch.from_numpy(z)).numpy()
        self.assertLess(float(np.abs(got - ref).max()), 1e-4)

    def test_renamed_initializers_are_taken_in_order_and_still_checked(self):
        model = onnx.load(os.path.join(MODEL, "vae_decoder", "model.onnx"))
        for i, t in enumerate(model.graph.initializer):
            for node in model.graph.node:
                node.input[:] = ["w%d" % i if n == t.name else n for n in node.input]
            t.name = "w%d" % i
        probe = np.random.default_rng(4).standard_normal((1, 4, 8, 8)).astype(np.float32)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.onnx")
            onnx.save(model, path)
            self.assertLess(self.distill.load_onnx_weights(self.models.VAEDecoder(), path, probe), 1e-4)
            with self.assertRaises(ValueError):  # a module of another shape cannot take these weights
                self.distill.load_onnx_weights(self.models.TinyVAEDecoder(), path, probe)


class DistillIntoACopy(unittest.TestCase):
    """distill_decoder.distill for a few steps on a copy of the committed folder: what NitroLive reads of it."""

    @classmethod
    def setUpClass(cls):
        import distill_decoder
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "nitro-tiny")
        shutil.copytree(MODEL, cls.out, ignore=shutil.ignore_patterns("vae_decoder_tiny", "tiny_decoder.json"))
        with open(os.path.join(cls.out, "model_index.json"), encoding="utf-8") as f:
            index = json.load(f)
        index.pop("vae_decoder_tiny", None)
        with open(os.path.join(cls.out, "model_index.json"), "w", encoding="utf-8") as f:
            json.dump(index, f)
        cls.record = distill_decoder.distill(cls.out, steps=3, seed=5, threads=1, pool=4, eval_n=4,
                                             log=lambda *a: None)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_config_decodes_the_same_latents_as_vae_decoder_at_factor_4(self):
        full = read_json(os.path.join(self.out, "vae_decoder", "config.json"))
        tiny = read_json(os.path.join(self.out, "vae_decoder_tiny", "config.json"))
        self.assertEqual(tiny["scaling_factor"], full["scaling_factor"])
        self.assertEqual(2 ** (len(tiny["block_out_channels"]) - 1), 4)
        self.assertEqual(tiny["latent_channels"], 4)
        self.assertIs(tiny["force_upcast"], False)
        self.assertEqual(tiny["output_range"], [-1, 1])
        self.assertNotIn("shift_factor", tiny)
        self.assertEqual(tiny["_nitro_distill"]["steps"], 3)

    def test_the_graph_is_exported_like_vae_decoder(self):
        full = onnx.load(os.path.join(self.out, "vae_decoder", "model.onnx"))
        tiny = onnx.load(os.path.join(self.out, "vae_decoder_tiny", "model.onnx"))
        onnx.checker.check_model(tiny)
        self.assertEqual([(o.domain, o.version) for o in tiny.opset_import],
                         [(o.domain, o.version) for o in full.opset_import])
        for a, b in ((tiny.graph.input, full.graph.input), (tiny.graph.output, full.graph.output)):
            self.assertEqual([(v.name, dims(v)) for v in a], [(v.name, dims(v)) for v in b])
        self.assertEqual(dims(tiny.graph.input[0]), ["batch_size", 4, "height", "width"])

    def test_it_runs_at_other_batch_and_latent_sizes(self):
        import onnx_ref
        z = np.zeros((2, 4, 12, 20), np.float32)
        out = onnx_ref.run(os.path.join(self.out, "vae_decoder_tiny", "model.onnx"), {"latent_sample": z})["sample"]
        self.assertEqual(out.shape, (2, 3, 48, 80))

    def test_model_index_lists_it_and_keeps_the_rest(self):
        index = read_json(os.path.join(self.out, "model_index.json"))
        self.assertEqual(index["vae_decoder_tiny"], ["diffusers", "AutoencoderTiny"])
        self.assertEqual(index["vae"], ["diffusers", "AutoencoderKL"])
        self.assertEqual(index["_class_name"], "StableDiffusionXLPipeline")

    def test_it_records_costs_and_judges_both_decoders(self):
        rec = read_json(os.path.join(self.out, "eval", "tiny_decoder.json"))
        m = rec["macs_128"]
        self.assertLess(m["vae_decoder_tiny"], m["vae_decoder"])
        self.assertEqual(rec["eval_1_step"]["n"], 4)
        self.assertIn("shape", rec["eval_1_step"]["tiny"]["all"])
        self.assertIn("shape", rec["eval_1_step"]["full"]["all"])


class CommittedTinyDecoder(unittest.TestCase):
    def test_the_committed_folder_ships_a_draft_decoder_nitrolive_accepts(self):
        full = read_json(os.path.join(MODEL, "vae_decoder", "config.json"))
        tiny = read_json(os.path.join(MODEL, "vae_decoder_tiny", "config.json"))
        self.assertEqual(tiny["scaling_factor"], full["scaling_factor"])
        self.assertEqual(len(tiny["block_out_channels"]), len(full["block_out_channels"]))
        self.assertEqual(read_json(os.path.join(MODEL, "model_index.json"))["vae_decoder_tiny"],
                         ["diffusers", "AutoencoderTiny"])
        rec = read_json(os.path.join(MODEL, "eval", "tiny_decoder.json"))
        ratio = rec["macs_128"]["vae_decoder_tiny"] / rec["macs_128"]["vae_decoder"]
        self.assertTrue(0.3 <= ratio <= 0.5, ratio)


if __name__ == "__main__":
    unittest.main()
