"""bench/gpu/run_checks.sh's QUICK plan, run here with a stand-in for the CLI: a GPU visit is rare and short, so the
script that spends it must not find its own mistakes there."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from tiny_models import REPO

# Answers like `nitrolive`: `verify-model` says OK; `bench pipeline` prints one JSON line per size and batch, or one
# indented object when there is only one (as the real command does), and every call is logged.
FAKE_CLI = r"""#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
[ "$1" = verify-model ] && { echo "OK: no problems found"; exit 0; }
model=; sizes=; batches=; graphs=false; drafts=false
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=$2; shift;; --size) sizes=$2; shift;; --batch) batches=$2; shift;;
    --cuda-graphs) graphs=true;; --drafts) drafts=true;;
  esac
  shift
done
rows=()
for s in ${sizes//,/ }; do for b in ${batches//,/ }; do
  rows+=("{\"model_dir\": \"$model\", \"width\": ${s%x*}, \"height\": ${s#*x}, \"steps\": 1, \"batch\": $b,
   \"latents_on_device\": true, \"unet_shape_session\": $graphs, \"drafts_use_tiny_decoder\": $drafts,
   \"images_per_second_p50\": 1.0, \"cache_hit\": {\"unet_step_ms\": {\"p50\": 10, \"min\": 9, \"max\": 11},
   \"decode_ms\": {\"p50\": 5, \"min\": 5, \"max\": 5}, \"total_ms\": {\"p50\": 20, \"min\": 19, \"max\": 21},
   \"jpeg_q85_encode_ms\": {\"p50\": 1, \"min\": 1, \"max\": 1}}}")
done; done
if [ ${#rows[@]} -eq 1 ]; then echo "${rows[0]}" | python3 -m json.tool; else
  for r in "${rows[@]}"; do echo "$r" | tr -d '\n'; echo; done
fi
"""


class QuickGpuChecks(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="nitro-gpu-checks-"))
        self.cli = self.tmp / "nitrolive"
        self.cli.write_text(FAKE_CLI)
        self.cli.chmod(0o755)
        self.log = self.tmp / "cli.log"
        self.out = self.tmp / "out"
        self.out.mkdir()
        self.job = self.tmp / "gpujob"
        self.job.mkdir()
        # The portable folder start_export.sh would have written, and the fused export's UNet, written first.
        self.plain = self.tmp / "sdxl-plain" / "nitrosd-realism"
        for part in ("text_encoder", "unet", "vae_decoder"):
            (self.plain / part).mkdir(parents=True)
            (self.plain / part / "model.onnx").write_bytes(b"portable " + part.encode())
        (self.job / "status-plain").write_text(f"start 1\nready {self.plain} 2 text-encoders=transformers\n")
        (self.job / "status-fused").write_text("start 1\n")
        self.fused_unet = self.tmp / "sdxl-fused" / "nitrosd-realism.partial" / "unet"

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write_fused_unet(self):
        self.fused_unet.mkdir(parents=True)
        (self.fused_unet / "model.onnx").write_bytes(b"fused unet")
        (self.job / "export-fused-transformers.log").write_text(
            "2026-11-27 unet (realism): ONNX Runtime 1.30.0 fusions (unet, 300 s), fp16 by ORT's converter\n")

    def run_checks(self, **env):
        full = dict(os.environ, APP=str(self.cli), PROVIDER="cpu", QUICK="1", NEEDS="20", RUNS="1",
                    GPU_TMP=str(self.tmp), OUT=str(self.out), FAKE_LOG=str(self.log), **env)
        return subprocess.run(["bash", "bench/gpu/run_checks.sh", "60"], cwd=REPO, env=full, capture_output=True,
                              text=True, timeout=120)

    def calls(self):
        return self.log.read_text().splitlines() if self.log.exists() else []

    def test_the_portable_baseline_comes_first_then_the_fused_unet_beside_its_other_parts(self):
        self.write_fused_unet()
        done = self.run_checks()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        mixed = self.tmp / "sdxl-mixed"
        runs = [(c.split()[0], c.split()[c.split().index("--model") + 1] if "--model" in c else c.split()[1])
                for c in self.calls()]
        self.assertEqual(runs, [("bench", str(self.plain)), ("bench", str(self.plain)),
                                ("verify-model", str(mixed)),
                                ("bench", str(mixed)), ("bench", str(mixed)), ("bench", str(mixed))])
        self.assertIn("--cuda-graphs", self.calls()[1])
        self.assertIn("--drafts", self.calls()[5])
        # The fused UNet and the portable folder's other parts, as hard links (no 5 GB copies).
        self.assertEqual((mixed / "unet" / "model.onnx").stat().st_ino, (self.fused_unet / "model.onnx").stat().st_ino)
        self.assertEqual((mixed / "text_encoder" / "model.onnx").stat().st_ino,
                         (self.plain / "text_encoder" / "model.onnx").stat().st_ino)
        # The table printed last has every run, the drafts' single indented object included.
        table = (self.out / "table.md").read_text()
        for run in ("quickplain", "quickplaingraphs", "quick", "quickgraphs", "quickdrafts"):
            self.assertRegex(table, rf"\n\| {run} \|", run)
        self.assertIn("| quickdrafts | 1024x1024 | 1 | 1 | device tiny | 10.0 (9.0-11.0) |", table)
        self.assertTrue(done.stdout.rstrip().endswith(table.rstrip().splitlines()[-1]))
        self.assertTrue((self.out / "gpu-logs.tar.gz").exists())

    def test_a_second_call_with_resume_runs_only_what_the_first_did_not_finish(self):
        self.write_fused_unet()
        self.assertEqual(self.run_checks().returncode, 0)
        first = len(self.calls())
        shutil.rmtree(self.out)
        self.out.mkdir()
        done = self.run_checks(RESUME="1")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual([c.split()[0] for c in self.calls()[first:]], ["verify-model"])
        self.assertIn("kept from an earlier call", done.stdout)
        self.assertIn("| quickdrafts |", (self.out / "table.md").read_text())

    def test_a_fused_export_that_gives_up_ends_the_call_at_once_with_the_baseline(self):
        (self.job / "status-fused").write_text("start 1\nfailed 2 text-encoders=transformers: boom\ngave up 3\n")
        (self.job / "export-fused-transformers.log").write_text("RuntimeError: the UNet's fusion failed\n")
        done = self.run_checks()
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(len(self.calls()), 2)  # the two baseline benches, nothing waited for
        self.assertIn("no fused UNet", done.stdout)
        self.assertIn("the UNet's fusion failed", done.stdout)
        self.assertIn("| quickplain |", (self.out / "table.md").read_text())


if __name__ == "__main__":
    unittest.main()
