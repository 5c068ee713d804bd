"""The exported fp16 models compute what the torch modules compute: each one runs on ONNX Runtime 1.31 (the CPU
provider NitroLive ships, through tests/export/OrtProbe) at a batch and size other than the traced ones, and is
compared with the fp32 torch module it came from.

Run: /usr/bin/python3 -m unittest discover -s tests/export
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

from tiny_models import REPO, TinySource, shared_clip_available

from nitro_export import onnx_io
from nitro_export.exporter import VARIANTS, ExportOptions, Exporter

PROBE = REPO / "tests" / "export" / "OrtProbe"


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want)) / max(1e-6, float(np.max(np.abs(want)))))


@unittest.skipIf(shutil.which("dotnet") is None, "dotnet is not installed")
@unittest.skipUnless(shared_clip_available(), "../shared/clip is absent")
class ExportedModelsMatchTorch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="nitro-export-numerics-"))
        cls.source = TinySource()
        # Traced at latent 8x8, batch 2; run below at other sizes and batches.
        Exporter(cls.source, ExportOptions(out_dir=cls.tmp / "models", latent_size=8, ort_optimize=False)).run()
        torch.manual_seed(123)
        ids = torch.full((3, 77), 49407, dtype=torch.int64)
        ids[:, 0] = 49406
        ids[0, 1:4] = torch.tensor([320, 1125, 539])
        ids[1, 1:6] = torch.tensor([1929, 525, 320, 1237, 2368])
        cls.cases = {
            "text_encoder": (TinySource().text_encoder().module, {"input_ids": ids}),
            "text_encoder_2": (TinySource().text_encoder_2().module, {"input_ids": ids}),
            "vae_decoder": (TinySource().vae_decoder("fp16-fix").module, {"latent_sample": torch.randn(1, 4, 12, 10)}),
            "vae_decoder_tiny": (TinySource().tiny_vae_decoder().module, {"latent_sample": torch.randn(3, 4, 6, 6)}),
        }
        ctx = TinySource.TE1_DIM + TinySource.TE2_DIM
        for key in ("realism", "vibrant"):
            unet = TinySource().unet(VARIANTS[key]).module
            cls.cases[f"unet/{key}"] = (unet, {
                "sample": torch.randn(3, 4, 12, 16),
                "timestep": torch.tensor([VARIANTS[key].shifted_timestep - 1], dtype=torch.int64),
                "encoder_hidden_states": torch.randn(3, 77, ctx),
                "text_embeds": torch.randn(3, TinySource.POOLED),
                "time_ids": torch.tensor([[768.0, 1024.0, 0.0, 0.0, 768.0, 1024.0]] * 3),
            })
        jobs = []
        for name, (_module, inputs) in cls.cases.items():
            component, _, variant = name.partition("/")
            folder = VARIANTS[variant or "realism"].folder
            job_inputs = []
            for input_name, value in inputs.items():
                file = f"in-{name.replace('/', '-')}-{input_name}.bin"
                (cls.tmp / file).write_bytes(value.numpy().tobytes())
                job_inputs.append({"name": input_name, "file": file, "shape": list(value.shape),
                                   "dtype": "int64" if value.dtype == torch.int64 else "float32"})
            jobs.append({"model": str(cls.tmp / "models" / folder / component / "model.onnx"),
                         "out": f"out-{name.replace('/', '-')}", "inputs": job_inputs})
        (cls.tmp / "jobs.json").write_text(json.dumps(jobs))
        cls.probe = subprocess.run(
            ["dotnet", "run", "-c", "Release", "--project", str(PROBE), "--", str(cls.tmp / "jobs.json")],
            cwd=REPO, capture_output=True, text=True, timeout=900,
            env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.probe.returncode, 0, (self.probe.stdout + self.probe.stderr)[-4000:])

    def outputs(self, name: str) -> dict:
        out = self.tmp / f"out-{name.replace('/', '-')}"
        shapes = json.loads((out / "outputs.json").read_text())
        return {k: np.fromfile(out / f"{k}.bin", dtype=np.float32).reshape(v) for k, v in shapes.items()}

    def reference(self, name: str):
        module, inputs = self.cases[name]
        component = name.partition("/")[0]
        with torch.no_grad():
            if component.startswith("text_encoder"):
                spec = onnx_io.text_encoder_spec(module, second=component == "text_encoder_2")
                values = spec.module(inputs["input_ids"])
                return dict(zip(spec.output_names, (v.numpy() for v in values)))
            if component == "unet":
                return {"out_sample": onnx_io.UNetForExport(module)(**inputs).numpy()}
            return {"sample": onnx_io.VaeDecoderForExport(module)(inputs["latent_sample"]).numpy()}

    def check(self, name: str, tolerance: float):
        got, want = self.outputs(name), self.reference(name)
        self.assertEqual(list(got), list(want))
        for key in want:
            self.assertEqual(got[key].shape, want[key].shape, f"{name}: {key}")
            self.assertTrue(np.isfinite(got[key]).all(), f"{name}: {key} has inf/NaN")
            err = relative_error(got[key], want[key])
            self.assertLess(err, tolerance, f"{name}: {key} differs by {err:.2e} of its range")

    def test_text_encoders_match_for_a_batch_of_three(self):
        self.check("text_encoder", 5e-3)
        self.check("text_encoder_2", 5e-3)

    def test_unets_match_at_another_size_and_batch_with_each_variants_timestep(self):
        self.check("unet/realism", 5e-3)
        self.check("unet/vibrant", 5e-3)
        self.assertGreater(relative_error(self.outputs("unet/realism")["out_sample"],
                                          self.outputs("unet/vibrant")["out_sample"]), 0.05)

    def test_vae_decoders_match_and_upsample_eight_times(self):
        self.check("vae_decoder", 5e-3)
        self.check("vae_decoder_tiny", 5e-3)
        self.assertEqual(self.outputs("vae_decoder")["sample"].shape, (1, 3, 96, 80))


if __name__ == "__main__":
    unittest.main()
