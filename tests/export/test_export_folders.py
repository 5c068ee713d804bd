"""The whole export on tiny random modules: the folders NitroLive reads, checked with onnx.

Run: /usr/bin/python3 -m unittest discover -s tests/export
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import types
import unittest
import warnings
from pathlib import Path

import onnx
from onnx import TensorProto

from graphs import fp16_round_trips, ort_like_fp16, scalar_ones
from tiny_models import REPO, TinySource, shared_clip_available

from nitro_export import precision
from nitro_export.exporter import SIZES, TOKENIZER_FILES, VARIANTS, ExportOptions, Exporter
from nitro_export.fp16 import infer_types

FLOAT, FLOAT16, INT64 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.INT64
FOLDERS = {"realism": "nitrosd-realism", "vibrant": "nitrosd-vibrant"}
VERIFY_MODEL_SOURCE = REPO / "src" / "NitroLive.Cli" / "Commands" / "VerifyModelCommand.cs"
GENERATE_SOURCE = REPO / "src" / "NitroLive.Cli" / "Commands" / "GenerateCommand.cs"


_cli_dll = None


def nitrolive(*args: str) -> subprocess.CompletedProcess:
    """Runs the nitrolive CLI of this checkout, built once per test run (Release, incremental)."""
    global _cli_dll
    env = {**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"}
    if _cli_dll is None:
        build = subprocess.run(["dotnet", "build", str(REPO / "src" / "NitroLive.Cli"), "-c", "Release", "-nologo",
                                "-v", "q"], cwd=REPO, capture_output=True, text=True, timeout=900, env=env)
        if build.returncode != 0:
            raise AssertionError("building the nitrolive CLI failed:\n" + (build.stdout + build.stderr)[-4000:])
        _cli_dll = REPO / "src" / "NitroLive.Cli" / "bin" / "Release" / "net10.0" / "nitrolive.dll"
    return subprocess.run(["dotnet", str(_cli_dll), *args], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=env)


def io_signature(values):
    """name -> (elem type, rank, [dim_param or dim_value])"""
    out = {}
    for v in values:
        t = v.type.tensor_type
        out[v.name] = (t.elem_type, len(t.shape.dim), [d.dim_param or d.dim_value for d in t.shape.dim])
    return out


@unittest.skipUnless(shared_clip_available(), "../shared/clip (the CLIP vocabulary the tokenizer folders copy) is absent")
class ExportedFolders(unittest.TestCase):
    out: Path
    export_warnings: list

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nitro-export-test-")
        cls.out = Path(cls.tmp)
        cls.source = TinySource()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # No onnxruntime here: the exporter must warn and fall back to the portable converter.
            exporter = Exporter(cls.source, ExportOptions(out_dir=cls.out, latent_size=8),
                                ort_loader=lambda: None)
            cls.result = exporter.run()
        cls.export_warnings = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def folder(self, variant: str) -> Path:
        return self.out / FOLDERS[variant]

    def load(self, variant: str, component: str) -> onnx.ModelProto:
        return onnx.load(str(self.folder(variant) / component / "model.onnx"))

    # ---- layout --------------------------------------------------------------------------------------------------

    def test_both_variant_folders_are_complete_and_no_partial_folder_is_left(self):
        expected = [
            "nitrolive.json", "model_index.json", "scheduler/scheduler_config.json",
            "text_encoder/model.onnx", "text_encoder/config.json",
            "text_encoder_2/model.onnx", "text_encoder_2/config.json",
            "unet/model.onnx", "unet/model.onnx_data", "unet/config.json",
            "vae_decoder/model.onnx", "vae_decoder/config.json",
            "vae_decoder_tiny/model.onnx", "vae_decoder_tiny/config.json",
        ] + [f"{t}/{f}" for t in ("tokenizer", "tokenizer_2") for f in TOKENIZER_FILES]
        for variant in FOLDERS:
            for rel in expected:
                self.assertTrue((self.folder(variant) / rel).is_file(), f"{variant}: {rel} missing")
        self.assertEqual(sorted(p.name for p in self.out.iterdir()), sorted(FOLDERS.values()))
        self.assertEqual(set(self.result.folders), set(FOLDERS))

    def test_missing_onnxruntime_tools_give_one_clear_warning_per_component(self):
        self.assertTrue(self.export_warnings, "no warning about the skipped ORT fusions")
        # The CPU wheel has the fusions too (and is the one macOS has).
        self.assertTrue(all("pip install onnxruntime;" in w and "skipping" in w for w in self.export_warnings))
        self.assertFalse(self.result.fused_by_ort)

    def test_each_component_is_exported_once_and_each_unet_once_per_variant(self):
        # The UNets first, so a check that needs only a UNet can start on one while the rest is exported.
        self.assertEqual(self.source.calls, ["unet:realism", "unet:vibrant", "text_encoder", "text_encoder_2",
                                             "vae_decoder:fp16-fix", "tiny_vae_decoder"])

    # ---- interfaces (Optimum's SDXL names) -----------------------------------------------------------------------

    def test_text_encoder_has_optimums_clip_interface(self):
        m = self.load("realism", "text_encoder")
        inputs, outputs = io_signature(m.graph.input), io_signature(m.graph.output)
        self.assertEqual(list(inputs), ["input_ids"])
        self.assertEqual(inputs["input_ids"][:2], (INT64, 2))
        self.assertEqual(inputs["input_ids"][2], ["batch_size", "sequence_length"])
        layers = TinySource.TE1_LAYERS
        self.assertEqual(list(outputs), ["last_hidden_state", "pooler_output"]
                         + [f"hidden_states.{i}" for i in range(layers + 1)])
        self.assertEqual(outputs["last_hidden_state"], (FLOAT, 3, ["batch_size", "sequence_length",
                                                                   TinySource.TE1_DIM]))
        self.assertEqual(outputs["pooler_output"], (FLOAT, 2, ["batch_size", TinySource.TE1_DIM]))
        for i in range(layers + 1):
            self.assertEqual(outputs[f"hidden_states.{i}"][:2], (FLOAT, 3))

    def test_text_encoder_2_has_optimums_clip_with_projection_interface(self):
        m = self.load("realism", "text_encoder_2")
        inputs, outputs = io_signature(m.graph.input), io_signature(m.graph.output)
        self.assertEqual(inputs, {"input_ids": (INT64, 2, ["batch_size", "sequence_length"])})
        layers = TinySource.TE2_LAYERS
        self.assertEqual(list(outputs), ["text_embeds", "last_hidden_state"]
                         + [f"hidden_states.{i}" for i in range(layers + 1)])
        self.assertEqual(outputs["text_embeds"], (FLOAT, 2, ["batch_size", TinySource.POOLED]))
        self.assertEqual(outputs["last_hidden_state"][:2], (FLOAT, 3))
        self.assertEqual(outputs[f"hidden_states.{layers - 1}"], (FLOAT, 3, ["batch_size", "sequence_length",
                                                                             TinySource.TE2_DIM]))

    def test_unet_has_optimums_sdxl_interface_with_an_int64_timestep(self):
        for variant in FOLDERS:
            m = self.load(variant, "unet")
            inputs, outputs = io_signature(m.graph.input), io_signature(m.graph.output)
            self.assertEqual(list(inputs), ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"])
            self.assertEqual(inputs["sample"], (FLOAT, 4, ["batch_size", 4, "height", "width"]))
            self.assertEqual(inputs["timestep"], (INT64, 1, ["steps"]))
            self.assertEqual(inputs["encoder_hidden_states"],
                             (FLOAT, 3, ["batch_size", "sequence_length", TinySource.TE1_DIM + TinySource.TE2_DIM]))
            self.assertEqual(inputs["text_embeds"], (FLOAT, 2, ["batch_size", TinySource.POOLED]))
            self.assertEqual(inputs["time_ids"], (FLOAT, 2, ["batch_size", 6]))
            self.assertEqual(outputs, {"out_sample": (FLOAT, 4, ["batch_size", 4, "height", "width"])})

    def test_vae_decoders_map_latent_sample_to_sample_with_dynamic_axes(self):
        for component in ("vae_decoder", "vae_decoder_tiny"):
            m = self.load("realism", component)
            self.assertEqual(io_signature(m.graph.input),
                             {"latent_sample": (FLOAT, 4, ["batch_size", 4, "latent_height", "latent_width"])})
            self.assertEqual(io_signature(m.graph.output),
                             {"sample": (FLOAT, 4, ["batch_size", 3, "height", "width"])})

    # ---- weights and precision -----------------------------------------------------------------------------------

    def test_unet_weights_live_in_one_external_data_file(self):
        for variant in FOLDERS:
            m = onnx.load(str(self.folder(variant) / "unet" / "model.onnx"), load_external_data=False)
            external = [t for t in m.graph.initializer if t.data_location == TensorProto.EXTERNAL]
            self.assertGreater(len(external), 10)
            locations = {e.value for t in external for e in t.external_data if e.key == "location"}
            self.assertEqual(locations, {"model.onnx_data"})
            data = self.folder(variant) / "unet" / "model.onnx_data"
            graph = self.folder(variant) / "unet" / "model.onnx"
            self.assertGreater(data.stat().st_size, graph.stat().st_size)

    def test_weights_are_fp16_and_the_interface_stays_fp32(self):
        for component in ("text_encoder", "text_encoder_2", "unet", "vae_decoder", "vae_decoder_tiny"):
            m = self.load("realism", component)
            float_bytes = {FLOAT: 0, FLOAT16: 0}
            for t in m.graph.initializer:
                if t.data_type in float_bytes:
                    float_bytes[t.data_type] += len(t.raw_data) or 1
            share = float_bytes[FLOAT16] / max(1, sum(float_bytes.values()))
            self.assertGreater(share, 0.95, f"{component}: only {share:.0%} of the weight bytes are fp16")
            boundary_casts = [n for n in m.graph.node if n.op_type == "Cast"
                              and (n.input[0] in {i.name for i in m.graph.input}
                                   or n.output[0] in {o.name for o in m.graph.output})]
            self.assertTrue(boundary_casts, f"{component}: no Cast at the fp32 interface")

    def test_every_model_passes_the_checker_and_strict_type_inference(self):
        for variant in FOLDERS:
            for component in ("text_encoder", "text_encoder_2", "unet", "vae_decoder", "vae_decoder_tiny"):
                path = self.folder(variant) / component / "model.onnx"
                onnx.checker.check_model(str(path))
                infer_types(onnx.load(str(path)), strict=True)

    def test_timestep_and_time_ids_embeddings_run_in_fp32_up_to_the_first_linear(self):
        m = self.load("realism", "unet")
        types = infer_types(m)
        trig = [n for n in m.graph.node if n.op_type in ("Sin", "Cos")]
        self.assertEqual(len(trig), 4)  # timestep and time_ids, sin and cos each
        for n in trig:
            self.assertEqual(types[n.input[0]], FLOAT, f"{n.name} runs in fp16")
        gemms = [n for n in m.graph.node if n.op_type in ("Gemm", "MatMul")]
        self.assertTrue(all(types[n.output[0]] == FLOAT16 for n in gemms), "a linear layer stayed fp32")

    # ---- metadata ------------------------------------------------------------------------------------------------

    def test_nitrolive_json_describes_each_variant(self):
        expected = {
            "realism": ("NitroSD-Realism", 250, "cc-by-nc-4.0 (NitroSD-Realism)"),
            "vibrant": ("NitroSD-Vibrant", 500, "openrail++ (NitroSD-Vibrant)"),
        }
        for variant, (name, shift, licence) in expected.items():
            meta = json.loads((self.folder(variant) / "nitrolive.json").read_text(encoding="utf-8"))
            self.assertEqual(meta["display_name"], name)
            self.assertEqual(meta["variant"], variant)
            self.assertEqual(meta["family"], "nitrofusion")
            self.assertEqual(meta["shifted_timestep"], shift)
            self.assertEqual(meta["original_inference_steps"], 4)
            self.assertEqual((meta["native_width"], meta["native_height"]), (1024, 1024))
            self.assertEqual(meta["supported_steps"], [1, 2, 3, 4])
            self.assertEqual(meta["sizes"][:3], [[1024, 1024], [768, 768], [512, 512]])
            self.assertIn([1216, 832], meta["sizes"])
            self.assertEqual(meta["sizes"], SIZES)
            self.assertTrue(all(w % 64 == 0 and h % 64 == 0 for w, h in meta["sizes"]))
            self.assertIs(meta["embedded_demo"], False)
            self.assertEqual(meta["license"], licence)
            # Each variant brings prompts in its own style for the studio's suggestions and the kiosk's attract mode.
            self.assertEqual(meta["example_prompts"], list(VARIANTS[variant].example_prompts))
            self.assertGreaterEqual(len(meta["example_prompts"]), 4)
            self.assertTrue(all(p.strip() == p and 0 < len(p) <= 200 for p in meta["example_prompts"]))
            self.assertEqual(meta["export"]["timestep_dtype"], "int64")
            self.assertEqual(meta["export"]["io_dtype"], "float32")
            self.assertEqual(meta["export"]["precision"], "fp16")
            self.assertIn("CPUExecutionProvider", meta["export"]["providers"])  # unfused: portable
            self.assertEqual(meta["export"]["unet_checkpoint"], f"nitrosd-{variant}_unet.safetensors")

    def test_vae_configs_carry_what_the_decoder_needs(self):
        vae = json.loads((self.folder("realism") / "vae_decoder" / "config.json").read_text())
        self.assertEqual(vae["scaling_factor"], 0.13025)
        self.assertEqual(vae["latent_channels"], 4)
        self.assertEqual(len(vae["block_out_channels"]), 4)
        self.assertIs(vae["force_upcast"], False)
        self.assertEqual(vae["output_range"], [-1, 1])
        tiny = json.loads((self.folder("realism") / "vae_decoder_tiny" / "config.json").read_text())
        self.assertEqual(tiny["scaling_factor"], 1.0)
        self.assertIs(tiny["force_upcast"], False)
        self.assertEqual(tiny["output_range"], [-1, 1])

    def test_tokenizers_are_copied_with_their_pad_tokens(self):
        for variant in FOLDERS:
            for sub, pad in (("tokenizer", "<|endoftext|>"), ("tokenizer_2", "!")):
                d = self.folder(variant) / sub
                vocab = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
                self.assertEqual(len(vocab), 49408)
                self.assertTrue((d / "merges.txt").read_text(encoding="utf-8").startswith("#version"))
                self.assertEqual(json.loads((d / "special_tokens_map.json").read_text())["pad_token"], pad)
                self.assertEqual(json.loads((d / "tokenizer_config.json").read_text())["model_max_length"], 77)

    def test_scheduler_and_model_index_are_sdxl_bases(self):
        sched = json.loads((self.folder("vibrant") / "scheduler" / "scheduler_config.json").read_text())
        self.assertEqual(sched["_class_name"], "EulerDiscreteScheduler")
        self.assertEqual(sched["beta_schedule"], "scaled_linear")
        index = json.loads((self.folder("vibrant") / "model_index.json").read_text())
        self.assertEqual(index["_class_name"], "StableDiffusionXLPipeline")
        self.assertEqual(index["vae_decoder_tiny"], ["diffusers", "AutoencoderTiny"])

    # ---- NitroLive's own check -----------------------------------------------------------------------------------

    def test_nitrolive_verify_model_accepts_both_folders_and_opens_every_session(self):
        if not VERIFY_MODEL_SOURCE.is_file():
            self.skipTest(f"the nitrolive CLI has no verify-model command in this checkout ({VERIFY_MODEL_SOURCE} "
                          "is absent; it comes from branch engine)")
        if shutil.which("dotnet") is None:
            self.skipTest("dotnet is not installed")
        for variant in FOLDERS:
            run = nitrolive("verify-model", str(self.folder(variant)), "--provider", "cpu")
            report = run.stdout + run.stderr
            self.assertEqual(run.returncode, 0, report)
            self.assertIn("OK: no problems found", report)
            self.assertIn("Sessions: all 5 models open", report)
            self.assertIn(f"shifted_timestep {250 if variant == 'realism' else 500}", report)
            # NitroLive reads the variant's example prompts (and, CLIP reading any text, no vocabulary).
            self.assertIn(f"example prompts: {len(VARIANTS[variant].example_prompts)}, vocabulary: any text", report)

    def test_nitrolive_generate_draws_with_both_variants_and_both_decoders(self):
        if not GENERATE_SOURCE.is_file():
            self.skipTest(f"the nitrolive CLI has no generate command in this checkout ({GENERATE_SOURCE} is absent)")
        if shutil.which("dotnet") is None:
            self.skipTest("dotnet is not installed")
        cases = [("realism", ["--steps", "1", "--width", "512", "--height", "512"], 512, 512),
                 ("vibrant", ["--steps", "2", "--width", "768", "--height", "768", "--tiny-decoder"], 768, 768)]
        for variant, extra, width, height in cases:
            png = self.out / f"{variant}.png"
            run = nitrolive("generate", "--model", str(self.folder(variant)), "--prompt",
                            "a red circle on a blue background", "--provider", "cpu", "--out", str(png), *extra)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            result = json.loads(run.stdout.strip().splitlines()[-1])
            self.assertEqual((result["width"], result["height"]), (width, height))
            self.assertEqual(len(result["unet_ms"]), int(extra[1]))
            header = png.read_bytes()[:24]
            self.assertEqual(header[:8], b"\x89PNG\r\n\x1a\n")
            self.assertEqual((int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")),
                             (width, height))

    # ---- sharing -------------------------------------------------------------------------------------------------

    def test_second_variant_hard_links_the_shared_files_and_owns_its_unet(self):
        a, b = self.folder("realism"), self.folder("vibrant")
        for rel in ("text_encoder/model.onnx", "text_encoder_2/model.onnx", "vae_decoder/model.onnx",
                    "vae_decoder_tiny/model.onnx", "tokenizer/vocab.json", "tokenizer_2/merges.txt",
                    "scheduler/scheduler_config.json", "model_index.json"):
            self.assertTrue(os.path.samefile(a / rel, b / rel), f"{rel} is not shared")
        for rel in ("unet/model.onnx_data", "nitrolive.json"):
            self.assertFalse(os.path.samefile(a / rel, b / rel), f"{rel} must be the variant's own")
        self.assertNotEqual((a / "unet" / "model.onnx_data").read_bytes(), (b / "unet" / "model.onnx_data").read_bytes())
        self.assertEqual(set(self.result.sizes), set(FOLDERS))
        self.assertGreater(self.result.sizes["realism"], 1_000_000)


@unittest.skipUnless(shared_clip_available(), "../shared/clip is absent")
class ExportChoices(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="nitro-export-choices-"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export(self, **kw):
        options = ExportOptions(out_dir=self.tmp, latent_size=8, ort_optimize=False, **kw)
        return Exporter(TinySource(), options).run()

    def test_upcast_vae_stays_fp32_and_is_flagged_force_upcast(self):
        self.export(variants=["realism"], vae="upcast", tiny_vae=False, share="copy")
        folder = self.tmp / "nitrosd-realism"
        cfg = json.loads((folder / "vae_decoder" / "config.json").read_text())
        self.assertIs(cfg["force_upcast"], True)
        m = onnx.load(str(folder / "vae_decoder" / "model.onnx"))
        self.assertTrue(all(t.data_type != FLOAT16 for t in m.graph.initializer))
        self.assertFalse((folder / "vae_decoder_tiny").exists())
        self.assertNotIn("vae_decoder_tiny", json.loads((folder / "model_index.json").read_text()))

    def test_float_timestep_and_fp16_io_are_honoured(self):
        self.export(variants=["vibrant"], timestep_dtype="float32", keep_io_types=False, tiny_vae=False)
        m = onnx.load(str(self.tmp / "nitrosd-vibrant" / "unet" / "model.onnx"))
        sig = io_signature(m.graph.input)
        # fp16 holds every integer timestep exactly; the sinusoid itself still runs in fp32.
        self.assertEqual(sig["timestep"][:2], (FLOAT16, 1))
        types = infer_types(m)
        self.assertTrue(all(types[n.input[0]] == FLOAT for n in m.graph.node if n.op_type in ("Sin", "Cos")))
        self.assertEqual(sig["sample"][0], FLOAT16)
        self.assertEqual(io_signature(m.graph.output)["out_sample"][0], FLOAT16)
        meta = json.loads((self.tmp / "nitrosd-vibrant" / "nitrolive.json").read_text())
        self.assertEqual(meta["export"]["io_dtype"], "float16")
        self.assertEqual(meta["export"]["timestep_dtype"], "float32")

    def test_copy_sharing_gives_independent_files(self):
        self.export(share="copy", tiny_vae=False)
        a, b = self.tmp / "nitrosd-realism", self.tmp / "nitrosd-vibrant"
        self.assertFalse(os.path.samefile(a / "text_encoder" / "model.onnx", b / "text_encoder" / "model.onnx"))
        self.assertEqual((a / "text_encoder" / "model.onnx").read_bytes(), (b / "text_encoder" / "model.onnx").read_bytes())

    def test_existing_folders_are_kept_unless_overwrite(self):
        (self.tmp / "nitrosd-realism").mkdir()
        (self.tmp / "nitrosd-realism" / "mine.txt").write_text("keep")
        with self.assertRaises(FileExistsError):
            self.export(variants=["realism"])
        self.assertTrue((self.tmp / "nitrosd-realism" / "mine.txt").exists())
        self.export(variants=["realism"], overwrite=True, tiny_vae=False)
        self.assertFalse((self.tmp / "nitrosd-realism" / "mine.txt").exists())
        self.assertTrue((self.tmp / "nitrosd-realism" / "unet" / "model.onnx").exists())

    def test_bad_options_are_refused_before_anything_is_written(self):
        for kw in ({"variants": ["turbo"]}, {"variants": []}, {"vae": "fp8"}, {"share": "symlink"}):
            with self.assertRaises(ValueError):
                Exporter(TinySource(), ExportOptions(out_dir=self.tmp / "x", **kw))
        self.assertFalse((self.tmp / "x").exists())

    def test_a_variant_named_twice_is_exported_once(self):
        self.assertEqual(Exporter(TinySource(), ExportOptions(out_dir=self.tmp, variants=["vibrant", "realism",
                                                                                          "vibrant"])).options.variants,
                         ["vibrant", "realism"])
        result = self.export(variants=["realism", "realism"], tiny_vae=False)
        self.assertEqual(list(result.folders), ["realism"])
        self.assertTrue((self.tmp / "nitrosd-realism" / "unet" / "model.onnx").is_file())
        self.assertTrue((self.tmp / "nitrosd-realism" / "nitrolive.json").is_file())
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()), ["nitrosd-realism"])

    def test_a_tokenizer_missing_a_file_fails_with_its_name(self):
        source = TinySource()
        full = source.tokenizer_files
        source.tokenizer_files = lambda sub: {k: v for k, v in full(sub).items() if k != "merges.txt"}
        with self.assertRaisesRegex(ValueError, "tokenizer lacks merges.txt"):
            Exporter(source, ExportOptions(out_dir=self.tmp, latent_size=8, ort_optimize=False)).run()


class OrtPath(unittest.TestCase):
    """With onnxruntime-gpu's transformers tools present, each component goes through optimize_model with its ORT
    model type and ORT's fp16 converter (faked here: onnxruntime is not installed on this machine)."""

    def test_components_are_fused_with_their_model_type_and_converted_by_ort(self):
        calls = []

        class FakeOptions:
            def __init__(self, model_type):
                self.model_type = model_type
                self.enable_packed_kv = True
                self.enable_packed_qkv = True
                self.enable_shape_inference = True

        class FakeOptimized:
            def __init__(self, path, options):
                # Like ORT's fusions: a com.microsoft node appears, but the in-memory model gets no opset import for
                # that domain (ORT adds one only when it saves the file itself).
                self.initialize(onnx.load(path))
                if not options.enable_shape_inference:
                    self.disable_shape_inference()
                node = next(n for n in reversed(self.model.graph.node) if n.op_type in ("Add", "Conv"))
                node.op_type, node.domain = "Fused" + node.op_type, "com.microsoft"

            def initialize(self, model):
                # As ORT's OnnxModel.initialize: a fresh start, symbolic shape inference on again.
                self.model = model
                self.enable_shape_infer = True

            def disable_shape_inference(self):
                self.enable_shape_infer = False

            def convert_float_to_float16(self, **kw):
                # As ORT's: Constants outside the block lists turn fp16, and initializers that unblocked nodes read;
                # the converted graph re-initializes the model, then its Cast clean-up runs inference if on.
                ort_like_fp16(self.model, kw["op_block_list"], kw["node_block_list"])
                self.initialize(self.model)
                kw["cleanup_shape_inference"] = self.enable_shape_infer
                calls.append(("fp16", kw))

        def fake_optimize_model(path, **kw):
            graph = onnx.load(path, load_external_data=False).graph
            kw["identities"] = sum(n.op_type == "Identity" for n in graph.node)
            kw["divs_by_one"] = sum(n.op_type == "Div" and n.input[1] in scalar_ones(graph) for n in graph.node)
            calls.append(("optimize", kw))
            return FakeOptimized(path, kw["optimization_options"])

        tools = precision.OrtTools(fake_optimize_model, FakeOptions, "1.31.0")
        tmp = Path(tempfile.mkdtemp(prefix="nitro-export-ort-"))
        try:
            if not shared_clip_available():
                self.skipTest("../shared/clip is absent")
            result = Exporter(TinySource(), ExportOptions(out_dir=tmp, latent_size=8, variants=["realism"]),
                              ort=tools).run()
            for part in ("text_encoder", "text_encoder_2", "vae_decoder", "vae_decoder_tiny", "unet"):
                saved = onnx.load(str(result.folders["realism"] / part / "model.onnx"), load_external_data=False)
                self.assertIn("com.microsoft", {o.domain for o in saved.opset_import}, part)
            unet = onnx.load(str(result.folders["realism"] / "unet" / "model.onnx"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        optimize = [kw for kind, kw in calls if kind == "optimize"]
        self.assertEqual([kw["model_type"] for kw in optimize], ["unet", "clip", "clip", "vae", "vae"])
        for kw in optimize:
            self.assertEqual((kw["opt_level"], kw["use_gpu"], kw["num_heads"], kw["hidden_size"]), (0, True, 0, 0))
            self.assertEqual(kw["optimization_options"].model_type, kw["model_type"])
            # ORT reads the graph after prune.py: no Identity or Div by 1 left for its one-at-a-time removal.
            self.assertEqual((kw["identities"], kw["divs_by_one"]), (0, 0), kw["model_type"])
        # Symbolic shape inference is off for the UNet only (minutes on a full-size one), ORT's default elsewhere.
        self.assertEqual([kw["optimization_options"].enable_shape_inference for kw in optimize],
                         [False, True, True, True, True])
        self.assertIn("no symbolic shape inference", result.summaries["unet (realism)"])
        self.assertRegex(result.summaries["unet (realism)"], r"first dropped \d+ Identity, \d+ Cast, 2 Div")
        fp16 = [kw for kind, kw in calls if kind == "fp16"]
        self.assertEqual(len(fp16), 5)
        # ...and stays off for the UNet's Cast clean-up after ORT's fp16 conversion, which re-initializes the model.
        self.assertEqual([kw.pop("cleanup_shape_inference") for kw in fp16], [False, True, True, True, True])
        self.assertTrue(all(kw["keep_io_types"] is True and "Resize" in kw["op_block_list"] for kw in fp16))
        unet_block = fp16[0]["node_block_list"]
        self.assertTrue(any("Sin" in n for n in unet_block) and any("Cos" in n for n in unet_block))
        # The sinusoid's frequencies, a Constant node in the traced graph, reach it in fp32 without an fp16 round trip.
        self.assertEqual(fp16_round_trips(unet, unet_block), [])
        self.assertRegex(result.summaries["unet (realism)"], r"embedding nodes and [1-9]\d* constants kept fp32")
        self.assertEqual(fp16[1]["node_block_list"], [])
        self.assertTrue(result.fused_by_ort)

    def test_a_model_ort_fused_nothing_in_is_not_called_fused_and_a_warning_says_so(self):
        class FakeOptions:
            def __init__(self, model_type):
                self.model_type = model_type

        class Unfused:
            def __init__(self, path):
                self.model = onnx.load(path)

            def convert_float_to_float16(self, **kw):
                pass

        tools = precision.OrtTools(lambda path, **kw: Unfused(path), FakeOptions, "1.31.0")
        tmp = Path(tempfile.mkdtemp(prefix="nitro-export-unfused-"))
        try:
            graph = onnx.helper.make_graph([onnx.helper.make_node("Relu", ["x"], ["y"])], "g",
                                           [onnx.helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                                           [onnx.helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
            onnx.save(onnx.helper.make_model(graph), str(tmp / "model.onnx"))
            with self.assertLogs("nitro_export", "WARNING") as logs:
                result = precision.optimize(tmp / "model.onnx", precision.PrecisionPlan(model_type="vae"), tools,
                                            use_ort=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # Nothing ties the graph to CUDA: the folder must not say CUDA only (exporter: export.providers).
        self.assertFalse(result.fused_by_ort)
        self.assertIn("no fused ops", result.summary)
        self.assertEqual(len(logs.output), 1)
        self.assertIn("vae", logs.output[0])
        self.assertIn("no fused", logs.output[0])

    def test_a_failing_fusion_names_the_component_numpy_and_the_way_out(self):
        class FakeOptions:
            def __init__(self, model_type):
                self.model_type = model_type

        def numpy_2_5_failure(path, **kw):
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")

        tools = precision.OrtTools(numpy_2_5_failure, FakeOptions, "1.30.0")
        plan = precision.PrecisionPlan(model_type="unet")
        tmp = Path(tempfile.mkdtemp(prefix="nitro-export-fail-"))
        try:
            graph = onnx.helper.make_graph([onnx.helper.make_node("Relu", ["x"], ["y"])], "g",
                                           [onnx.helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                                           [onnx.helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
            onnx.save(onnx.helper.make_model(graph), str(tmp / "model.onnx"))
            with self.assertRaises(RuntimeError) as caught:
                precision.optimize(tmp / "model.onnx", plan, tools, use_ort=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        message = str(caught.exception)
        for part in ("1.30.0", "unet", "numpy<2.5", "--no-ort-optimize", "TypeError"):
            self.assertIn(part, message)


class OneElementConstantsUnderNumpy25(unittest.TestCase):
    """ORT 1.30's UNet and VAE attention fusions call ``int()`` on one-element constants, an error since NumPy 2.5."""

    @staticmethod
    def fake_onnx_model_module(constants):
        class OnnxModel:
            def get_constant_value(self, name):
                return constants.get(name)

        return types.SimpleNamespace(OnnxModel=OnnxModel)

    def test_constants_convert_like_scalars_when_they_hold_one_element_and_keep_their_values_and_shapes(self):
        import numpy
        module = self.fake_onnx_model_module({"heads": numpy.array([10], dtype=numpy.int64),
                                              "shape": numpy.array([0, 0, 10, 64], dtype=numpy.int64),
                                              "scale": numpy.array([[0.125]], dtype=numpy.float32)})
        self.assertEqual(precision.tolerate_one_element_constants([module]), 1)
        model = module.OnnxModel()

        heads, shape, scale = (model.get_constant_value(n) for n in ("heads", "shape", "scale"))

        # What NumPy 2.5 refuses for a plain array; the mended one answers as NumPy 1.x and 2.4 did. (This machine's
        # NumPy still converts plain arrays, so the test also checks that the conversion is the mended one.)
        self.assertIsNot(type(heads).__int__, numpy.ndarray.__int__)
        self.assertIsNot(type(scale).__float__, numpy.ndarray.__float__)
        self.assertEqual((int(heads), float(scale)), (10, 0.125))
        self.assertEqual(list(heads.shape), [1])
        self.assertIsInstance(heads, numpy.ndarray)
        self.assertEqual(shape.tolist(), [0, 0, 10, 64])
        self.assertEqual(int(shape[2]), 10)
        with self.assertRaises(TypeError):
            int(shape)  # more than one element stays an error

    def test_what_is_not_an_array_passes_through_unchanged(self):
        import numpy
        scalar = numpy.int64(3)
        module = self.fake_onnx_model_module({"scalar": scalar})
        precision.tolerate_one_element_constants([module])
        self.assertIs(module.OnnxModel().get_constant_value("scalar"), scalar)
        self.assertIsNone(module.OnnxModel().get_constant_value("missing"))

    def test_mending_twice_wraps_once_and_modules_without_the_class_are_skipped(self):
        module = self.fake_onnx_model_module({})
        self.assertEqual(precision.tolerate_one_element_constants([module, types.SimpleNamespace()]), 1)
        once = module.OnnxModel.get_constant_value
        self.assertEqual(precision.tolerate_one_element_constants([module]), 0)
        self.assertIs(module.OnnxModel.get_constant_value, once)


class ShapeInferenceKeptOff(unittest.TestCase):
    """ORT's fp16 converter re-initializes the model it converts, which turns symbolic shape inference back on."""

    def test_a_model_without_the_methods_is_left_alone(self):
        model = types.SimpleNamespace(initialize=lambda m: None)
        self.assertFalse(precision.keep_shape_inference_off(model))
        self.assertFalse(precision.keep_shape_inference_off(types.SimpleNamespace()))


if __name__ == "__main__":
    unittest.main()
