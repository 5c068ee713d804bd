"""bench/gpu/run_checks.sh's plans (QUICK and full), run here with a stand-in for the CLI: a GPU visit is rare and
short, so the script that spends it must not find its own mistakes there."""
from __future__ import annotations

import lzma
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import unittest
import urllib.request
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tiny_models import REPO

sys.path.insert(0, str(REPO / "bench" / "gpu"))
import random_weights  # noqa: E402

# Answers like `nitrolive`: `verify-model` says OK; `--help` names the options the full plan asks for; `bench pipeline` prints one JSON line per size and batch, or one
# indented object when there is only one (as the real command does), and every call is logged.
FAKE_CLI = r"""#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
[ "$1" = verify-model ] && { echo "OK: no problems found"; exit 0; }
[[ " $* " == *" --help "* ]] && { echo "  --cuda-graphs  --drafts"; exit 0; }
if [ "$1 $2" = "bench live" ]; then
  url=$4; clients=$6
  # Answers only while the web app serves, as the real typists would.
  python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + 'readyz', timeout=2)" "$url" || exit 1
  echo "{\"clients\": $clients, \"fps_total\": 12.5, \"keystroke_to_frame_ms\": {\"p50\": 50.0, \"p95\": 61.0},
   \"pipeline_ms_of_final_frames\": {\"p50\": 45.0}, \"overhead_ratio\": 1.11, \"stale_frames\": 0}" | python3 -m json.tool
  exit 0
fi
if [ "$1 $2" = "bench graph-cancel" ]; then
  echo "{\"replays_against_shared_session\": [{\"max_levels\": 3, \"mean_levels\": 0.01}], \"passed\": true}" | python3 -m json.tool
  exit 0
fi
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


# Serves /readyz like the web app once warmed up, on the port ASPNETCORE_URLS names, and logs what it was started with.
FAKE_WEB = """#!{python}
import http.server, os
port = int(os.environ["ASPNETCORE_URLS"].rsplit(":", 1)[1])
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(f"web {{os.environ['NitroLive__Model__Directory']}} {{os.environ['NitroLive__Model__Provider']}} "
              f"graphs={{os.environ.get('NitroLive__Model__UseCudaGraphs', '-')}} "
              f"batching={{os.environ.get('NitroLive__Live__EnableBatching', '-')}}\\n")


class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


print("Generator instances: 1 (configured) on CUDA", flush=True)
http.server.HTTPServer(("127.0.0.1", port), Ready).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            (self.plain / part / "model.onnx_data").write_bytes(b"portable weights")
        (self.plain / "unet" / "config.json").write_text("{}")
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

    def earlier_visits_graph(self) -> Path:
        """What run_checks.sh brings back and bench/gpu/ keeps: a UNet-like graph without its weights, compressed."""
        graph = self.tmp / "fused-unet.onnx.xz"
        graph.write_bytes(lzma.compress(unet_like_graph(self.tmp / "earlier")))
        return graph

    def run_checks(self, budget=60, **env):
        # FUSED_GRAPH and WEB empty: these tests choose whether an earlier visit's graph and the web app are there.
        full = dict(os.environ, APP=str(self.cli), PROVIDER="cpu", QUICK="1", NEEDS="20", RUNS="1", FUSED_GRAPH="",
                    WEB="", PYTHON=sys.executable,
                    GPU_TMP=str(self.tmp), OUT=str(self.out), FAKE_LOG=str(self.log))
        full.update(env)
        return subprocess.run(["bash", "bench/gpu/run_checks.sh", str(budget)], cwd=REPO, env=full,
                              capture_output=True, text=True, timeout=budget + 60)

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
                                ("bench", str(mixed)), ("bench", str(mixed)), ("bench", str(mixed)),
                                ("bench", str(mixed))])
        self.assertIn("--cuda-graphs", self.calls()[1])
        self.assertIn("--drafts", self.calls()[5])
        self.assertIn("--drafts --threads 1 ", self.calls()[6])
        # The fused UNet and the portable folder's other parts, as hard links (no 5 GB copies).
        self.assertEqual((mixed / "unet" / "model.onnx").stat().st_ino, (self.fused_unet / "model.onnx").stat().st_ino)
        self.assertEqual((mixed / "text_encoder" / "model.onnx").stat().st_ino,
                         (self.plain / "text_encoder" / "model.onnx").stat().st_ino)
        # The table printed last has every run, the drafts' single indented object included.
        table = (self.out / "table.md").read_text()
        for run in ("quickplain", "quickplaingraphs", "quick", "quickgraphs", "quickdrafts", "quickdraftsthreads1"):
            self.assertRegex(table, rf"\n\| {run} \|", run)
        self.assertIn("| quickdrafts | 1024x1024 | 1 | 1 | device tiny | 10.0 (9.0-11.0) |", table)
        self.assertTrue(done.stdout.rstrip().endswith(table.rstrip().splitlines()[-1]))
        # At most 8 files come back from a call: the archive (JSON lines inside), the table, the fused graph, and as many
        # JSON lines on their own as there is room for.
        returned = sorted(p.name for p in self.out.iterdir())
        self.assertEqual(len(returned), 8, returned)
        with tarfile.open(self.out / "gpu-logs.tar.gz") as logs:
            self.assertIn("./bench-quickdraftsthreads1.jsonl", logs.getnames())
        # The fused UNet's graph comes back (its weights stay behind), for the next visit to time without fusing.
        self.assertEqual(lzma.decompress((self.out / "fused-unet.onnx.xz").read_bytes()), b"fused unet")

    def test_an_earlier_visits_fused_graph_is_timed_with_random_weights_without_waiting_for_a_fusion(self):
        graph = self.earlier_visits_graph()
        done = self.run_checks(FUSED_GRAPH=str(graph))  # no fused export running: status-fused only says "start"
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        mixed = self.tmp / "sdxl-mixed"
        self.assertEqual([c.split()[0] for c in self.calls()], ["bench", "bench", "verify-model", "bench", "bench",
                                                                "bench", "bench"])
        self.assertIn(f"--model {mixed} ", self.calls()[3])
        self.assertEqual(sorted(p.name for p in (mixed / "unet").iterdir()),
                         ["config.json", "model.onnx", "model.onnx_data"])
        model = onnx.load(str(mixed / "unet" / "model.onnx"))  # the made-up weights load where the graph says
        weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        self.assertEqual((weights["w"].dtype, weights["w"].shape), (np.float16, (64, 32)))
        self.assertTrue(np.isfinite(weights["w"]).all() and weights["w"].std() > 0)
        np.testing.assert_array_equal(weights["shape"], [1, -1])  # kept from the graph, not made up
        self.assertEqual((self.plain / "unet" / "model.onnx").read_bytes(), b"portable unet")
        self.assertEqual((self.plain / "unet" / "model.onnx_data").read_bytes(), b"portable weights")
        self.assertEqual((mixed / "text_encoder" / "model.onnx").stat().st_ino,
                         (self.plain / "text_encoder" / "model.onnx").stat().st_ino)
        self.assertIn("random weights", done.stdout)
        self.assertFalse((self.out / "fused-unet.onnx.xz").exists())  # nothing new to bring back

    def test_the_full_plan_times_an_earlier_visits_fused_graph_and_the_portable_folder_as_its_baseline(self):
        graph = self.earlier_visits_graph()
        # Every timing, as a visit with time to spare runs. Its steps skip themselves when under 40 s of the budget is
        # left, and this plan has eight: 60 s ran out on a loaded CI machine (the portable baseline was skipped), so
        # this test gets room; nothing here waits for the deadline.
        done = self.run_checks(budget=180, QUICK="", FUSED_GRAPH=str(graph))
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        mixed = self.tmp / "sdxl-mixed"
        calls = [c for c in self.calls() if c.startswith(("bench", "verify-model")) and "--help" not in c]
        # A cancel during the CUDA-graph capture on the embedded model first, and on the fused UNet after its graphs.
        cancels = [c for c in calls if c.startswith("bench graph-cancel")]
        self.assertEqual(len(cancels), 2)
        self.assertRegex(cancels[0], r"--model \S*/models/nitro-tiny --provider cpu --batch 4 ")
        self.assertIn(f"--model {mixed} --provider cpu --batch 4 --steps 1 ", cancels[1])
        self.assertEqual(calls.index(cancels[1]), 4)
        benches = [c for c in calls if c not in cancels]
        models = [c.split()[c.split().index("--model") + 1] if "--model" in c else c.split()[1] for c in benches]
        # verify-model, then device, graphs, drafts (with ORT's threads, then one) and host latents on the fused UNet,
        # then the portable baseline.
        self.assertEqual(models, [str(mixed)] * 6 + [str(self.plain)])
        self.assertIn("--steps 1,4", benches[1])
        self.assertIn("--cuda-graphs", benches[2])
        self.assertIn("--drafts", benches[3])
        self.assertIn("--drafts --threads 1 ", benches[4])
        self.assertIn("--latents host", benches[5])
        model = onnx.load(str(mixed / "unet" / "model.onnx"))
        self.assertEqual(numpy_helper.to_array(model.graph.initializer[0]).dtype, np.float16)
        self.assertEqual((self.plain / "unet" / "model.onnx").read_bytes(), b"portable unet")
        self.assertIn("fused UNet: graph", done.stdout)
        table = (self.out / "table.md").read_text()
        for run in ("device", "host", "other"):
            self.assertRegex(table, rf"\n\| {run} \|", run)
        self.assertIn("graph-cancel-sdxl.json: \"passed\":true", table)
        # A second call (RESUME=1) neither draws the embedded model again nor repeats a bench that finished.
        first = len(self.calls())
        again = self.run_checks(QUICK="", FUSED_GRAPH=str(graph), RESUME="1")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertEqual([c.split()[0] for c in self.calls()[first:] if "--help" not in c], ["verify-model"])

    def test_a_short_visits_plan_runs_its_steps_in_its_order_then_waits_for_the_fusion_beside_it(self):
        graph = self.earlier_visits_graph()
        # The fused export started beside the call writes its UNet while the call's own steps run.
        writer = subprocess.Popen(["bash", "-c", "sleep 3; exec python3 -c \"$0\"",
                                   f"import pathlib; d = pathlib.Path({str(self.fused_unet)!r}); d.mkdir(parents=True); "
                                   f"(d / 'model.onnx').write_bytes(b'renewed fused unet'); "
                                   f"pathlib.Path({str(self.job / 'export-fused-transformers.log')!r}).write_text("
                                   f"'unet (realism): ONNX Runtime 1.30.0 fusions (unet, 280 s)')"])
        try:
            done = self.run_checks(budget=90, QUICK="", FUSED_GRAPH=str(graph), PLAN="cancel host shapesheur shapessteady", WAIT_FUSED="1")
        finally:
            writer.wait(timeout=30)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        calls = [c for c in self.calls() if c.startswith("bench") and "--help" not in c]
        mixed = self.tmp / "sdxl-mixed"
        self.assertEqual([(c.split()[1], c.split()[3]) for c in calls[1:]],
                         [("graph-cancel", str(mixed)), ("pipeline", str(mixed)), ("pipeline", str(mixed)), ("pipeline", str(mixed))])
        self.assertIn("--latents host", calls[2])
        self.assertIn("--drafts --interleave --cudnn-algo heuristic --size 1024x1024 --steps 1 --batch 1,2,3,4 ", calls[3])
        self.assertIn("--drafts --size 1024x1024 --steps 1 --batch 1,2,3,4 ", calls[4])
        self.assertNotIn("--interleave", calls[4])
        self.assertIn("fused export: UNet written", done.stdout)
        # The committed graph was timed, and the fusion that ran beside it renews it.
        self.assertEqual(lzma.decompress((self.out / "fused-unet.onnx.xz").read_bytes()), b"renewed fused unet")

    def test_the_web_app_serves_the_fused_folder_to_typists_and_is_stopped_after(self):
        self.write_fused_unet()
        web = self.tmp / "web" / "NitroLive.Web"
        web.parent.mkdir()
        web.write_text(FAKE_WEB.format(python=sys.executable))
        web.chmod(0o755)
        port = free_port()

        done = self.run_checks(budget=120, WEB=str(web), LIVE_PORT=str(port), LIVE_DURATION="1")

        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        mixed = self.tmp / "sdxl-mixed"
        calls = self.calls()
        # After the fused UNet's timings: the web app on that folder, then 1 and 4 typists while it serves.
        self.assertEqual(calls[7], f"web {mixed} cpu graphs=- batching=-")
        self.assertRegex(calls[8], rf"^bench live --url http://127.0.0.1:{port}/ --clients 1 ")
        self.assertRegex(calls[9], rf"^bench live --url http://127.0.0.1:{port}/ --clients 4 ")
        self.assertEqual(len(calls), 10)
        self.assertIn("ready in", done.stdout)
        self.assertIn("Generator instances: 1 (configured) on CUDA", done.stdout)
        table = (self.out / "table.md").read_text()
        self.assertIn("| sdxl | 1 | 12.5 | 50.0 (61.0) | 45.0 | 1.11 | 0 |", table)
        self.assertIn("| sdxl | 4 |", table)
        with self.assertRaises(OSError):  # the server is gone
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)

    def test_the_web_app_can_batch_with_a_unet_session_per_batch_size(self):
        web = self.tmp / "web" / "NitroLive.Web"
        web.parent.mkdir()
        web.write_text(FAKE_WEB.format(python=sys.executable))
        web.chmod(0o755)
        graph = self.earlier_visits_graph()

        done = self.run_checks(budget=120, QUICK="", FUSED_GRAPH=str(graph), PLAN="livebatchedgraphs", WEB=str(web),
                               LIVE_PORT=str(free_port()), LIVE_DURATION="1")

        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn(f"web {self.tmp / 'sdxl-mixed'} cpu graphs=true batching=true", self.calls())
        self.assertIn("| sdxlbatchedgraphs | 4 |", (self.out / "table.md").read_text())

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


class CommittedFusedGraph(unittest.TestCase):
    """bench/gpu/fused-unet.onnx.xz, the fused UNet GPU run 6 brought back (run 5's, renewed): what later visits time with random weights
    must stay the graph the figures came from, with the interface the C# pipeline reads."""

    def setUp(self):
        data = lzma.decompress((REPO / "bench" / "gpu" / "fused-unet.onnx.xz").read_bytes())
        self.model = onnx.load_from_string(data)

    def test_it_declares_the_unet_interface_nitrolive_feeds_with_float32_io(self):
        g = self.model.graph
        declared = {v.name: (v.type.tensor_type.elem_type,
                             [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim])
                    for v in [*g.input, *g.output]}
        self.assertEqual(declared, {
            "sample": (TensorProto.FLOAT, ["batch_size", 4, "height", "width"]),
            "timestep": (TensorProto.INT64, ["steps"]),
            "encoder_hidden_states": (TensorProto.FLOAT, ["batch_size", "sequence_length", 2048]),
            "text_embeds": (TensorProto.FLOAT, ["batch_size", 1280]),
            "time_ids": (TensorProto.FLOAT, ["batch_size", 6]),
            "out_sample": (TensorProto.FLOAT, ["batch_size", 4, "height", "width"]),
        })

    def test_it_holds_the_fusions_the_performance_record_names(self):
        fused = {}
        for node in self.model.graph.node:
            if node.domain == "com.microsoft":
                fused[node.op_type] = fused.get(node.op_type, 0) + 1
        self.assertEqual(fused, {"MultiHeadAttention": 140, "GroupNorm": 46, "BiasSplitGelu": 70, "NhwcConv": 51})
        self.assertIn(("com.microsoft", 1), [(o.domain, o.version) for o in self.model.opset_import])

    def test_its_sinusoid_frequency_tables_stayed_float32_through_the_fp16_conversion(self):
        # GPU run 5's graph had them fp16 (the timestep embedding a few parts in a thousand off); run 6 renewed it.
        tables = {i.name: i for i in self.model.graph.initializer if i.name.endswith("time_proj/Constant_1_output_0")}
        self.assertEqual(sorted(tables), ["/unet/add_time_proj/Constant_1_output_0", "/unet/time_proj/Constant_1_output_0"])
        for name, half in (("/unet/time_proj/Constant_1_output_0", 160), ("/unet/add_time_proj/Constant_1_output_0", 128)):
            table = numpy_helper.to_array(tables[name])  # kept inside the graph: random_weights.py leaves it alone
            self.assertEqual(table.dtype, np.float32, name)
            expected = np.exp(-np.log(10000.0) * np.arange(half, dtype=np.float64) / half)
            np.testing.assert_allclose(table[0], expected, rtol=1e-5, err_msg=name)  # torch computes it in float32

    def test_random_weights_can_lay_out_all_of_its_weights_in_one_file(self):
        spans = random_weights.external_spans(self.model)
        self.assertEqual(list(spans), ["model.onnx_data"])
        tensors = spans["model.onnx_data"]
        self.assertEqual(len(tensors), 1033)
        self.assertAlmostEqual(sum(length for _, length, _ in tensors) / 1e9, 5.13, places=2)
        self.assertEqual({dtype for _, _, dtype in tensors}, {np.float16, np.float32})


def unet_like_graph(folder: Path) -> bytes:
    """A graph saved as the exporter saves one (weights over 1 KB in model.onnx_data); returns the graph file."""
    folder.mkdir()
    w = numpy_helper.from_array(np.ones((64, 32), dtype=np.float16), "w")
    shape = numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "shape")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Reshape", ["m", "shape"], ["y"])],
                          "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 32])], [w, shape])
    onnx.save(helper.make_model(g), str(folder / "model.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=1024)
    return (folder / "model.onnx").read_bytes()


class RandomWeights(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="nitro-random-weights-"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def save(self, *tensors, **external):
        nodes = [helper.make_node("Identity", [t.name], [t.name + "_y"]) for t in tensors]
        outputs = [helper.make_tensor_value_info(t.name + "_y", t.data_type, list(t.dims)) for t in tensors]
        m = helper.make_model(helper.make_graph(nodes, "g", [], outputs, list(tensors)))
        onnx.save(m, str(self.tmp / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                  location="w.bin", size_threshold=0)
        m = onnx.load(str(self.tmp / "model.onnx"), load_external_data=False)
        for entry in m.graph.initializer[0].external_data:
            entry.value = external.get(entry.key, entry.value)
        onnx.save(m, str(self.tmp / "model.onnx"))
        return self.tmp / "model.onnx"

    def test_weights_are_written_at_the_offsets_the_graph_records(self):
        first, second = np.zeros((3, 5), dtype=np.float32), np.zeros(7, dtype=np.float32)
        path = self.save(numpy_helper.from_array(first, "first"), numpy_helper.from_array(second, "second"))
        m = onnx.load(str(path), load_external_data=False)  # the second one further on, as aligning exporters place it
        next(e for e in m.graph.initializer[1].external_data if e.key == "offset").value = "128"
        onnx.save(m, str(path))
        count, size = random_weights.materialize(path, self.tmp / "dest")
        self.assertEqual((count, size), (2, first.nbytes + second.nbytes))
        loaded = [numpy_helper.to_array(t) for t in onnx.load(str(self.tmp / "dest" / "model.onnx")).graph.initializer]
        self.assertEqual([t.shape for t in loaded], [(3, 5), (7,)])
        # Each tensor starts at the start of the same random block, so both begin alike, and neither is left zero.
        np.testing.assert_array_equal(loaded[0].reshape(-1)[:7], loaded[1])
        self.assertTrue((loaded[1] != 0).all())
        self.assertEqual((self.tmp / "dest" / "w.bin").stat().st_size, 128 + second.nbytes)

    def test_integer_tensors_stored_outside_the_graph_are_refused_by_name(self):
        path = self.save(numpy_helper.from_array(np.arange(300, dtype=np.int64), "positions"))
        with self.assertRaisesRegex(ValueError, "positions: INT64 values stored outside the graph cannot be made up"):
            random_weights.materialize(path, self.tmp / "dest")

    def test_a_location_outside_the_graphs_folder_is_refused(self):
        path = self.save(numpy_helper.from_array(np.ones(8, dtype=np.float32), "w"), location="../w.bin")
        with self.assertRaisesRegex(ValueError, "not a file name beside the graph"):
            random_weights.materialize(path, self.tmp / "dest")
        self.assertFalse((self.tmp / "w.bin").exists() and (self.tmp / "dest").exists())

    def test_a_recorded_length_that_disagrees_with_the_shape_is_refused(self):
        path = self.save(numpy_helper.from_array(np.ones(8, dtype=np.float32), "w"), length="16")
        with self.assertRaisesRegex(ValueError, "16 bytes recorded for a \\[8\\] float32 tensor"):
            random_weights.materialize(path, self.tmp / "dest")


if __name__ == "__main__":
    unittest.main()
