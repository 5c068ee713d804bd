"""The demo model's training script, run for a few steps (CI never retrains the committed model).

Run: /usr/bin/python3 -m unittest discover -s tests/tinymodel -v
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import onnx

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.path.join(REPO, "tools", "tinymodel")
sys.path.insert(0, TOOLS)
import bpe  # noqa: E402
import grammar  # noqa: E402
import judge  # noqa: E402


def io_names(path):
    model = onnx.load(path, load_external_data=False)
    return [i.name for i in model.graph.input], [o.name for o in model.graph.output]


class QuickTrainingRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "nitro-tiny")
        cls.result = subprocess.run(
            ["/usr/bin/python3", os.path.join(TOOLS, "train.py"), "--out", cls.out, "--quick", "--threads", "1"],
            cwd=REPO, capture_output=True, text=True, timeout=600)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_quick_run_succeeds(self):
        self.assertEqual(self.result.returncode, 0, self.result.stdout[-2000:] + self.result.stderr[-2000:])

    def test_it_writes_a_complete_sdxl_shaped_folder(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr[-2000:])
        for rel in ["model_index.json", "nitrolive.json", "scheduler/scheduler_config.json",
                    "text_encoder/model.onnx", "text_encoder_2/model.onnx", "unet/model.onnx",
                    "vae_decoder/model.onnx", "vae_decoder/config.json", "vae_encoder/model.onnx",
                    "vae_decoder_tiny/model.onnx", "vae_decoder_tiny/config.json", "eval/tiny_decoder.json",
                    "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/special_tokens_map.json",
                    "tokenizer/tokenizer_config.json", "tokenizer_2/vocab.json", "tokenizer_2/merges.txt",
                    "tokenizer_2/special_tokens_map.json", "tokenizer_2/tokenizer_config.json"]:
            self.assertTrue(os.path.isfile(os.path.join(self.out, rel)), rel)
        with open(os.path.join(self.out, "nitrolive.json"), encoding="utf-8") as f:
            card = json.load(f)
        self.assertEqual(card["shifted_timestep"], 250)
        self.assertEqual(card["supported_steps"], [1, 2, 3, 4])
        self.assertTrue(card["embedded_demo"])
        self.assertEqual(card["example_prompts"], list(grammar.EXAMPLE_PROMPTS))
        self.assertEqual(card["vocabulary"], list(grammar.GRAMMAR_WORDS))
        with open(os.path.join(self.out, "eval", "examples.json"), encoding="utf-8") as f:
            self.assertEqual([r["prompt"] for r in json.load(f)], list(grammar.EXAMPLE_PROMPTS))

    def test_the_onnx_graphs_carry_optimum_tensor_names(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr[-2000:])
        ins, outs = io_names(os.path.join(self.out, "unet", "model.onnx"))
        self.assertEqual(ins, ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"])
        self.assertEqual(outs, ["out_sample"])
        ins, outs = io_names(os.path.join(self.out, "text_encoder", "model.onnx"))
        self.assertEqual(ins, ["input_ids"])
        self.assertIn("last_hidden_state", outs)
        self.assertIn("pooler_output", outs)
        self.assertTrue(any(o.startswith("hidden_states.") for o in outs))
        ins, outs = io_names(os.path.join(self.out, "text_encoder_2", "model.onnx"))
        self.assertIn("text_embeds", outs)
        for decoder in ("vae_decoder", "vae_decoder_tiny"):
            ins, outs = io_names(os.path.join(self.out, decoder, "model.onnx"))
            self.assertEqual((ins, outs), (["latent_sample"], ["sample"]), decoder)

    def test_every_grammar_word_is_one_token(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr[-2000:])
        tok = bpe.Tokenizer.from_dir(os.path.join(self.out, "tokenizer"))
        for word in list(grammar.COLOURS) + grammar.SHAPES:
            self.assertEqual(len(tok.encode(word)), 1, word)


class DataParallelQuickRun(unittest.TestCase):
    """--procs 2: two processes train on half a batch each and average their gradients; the script itself fails
    if the replicas' weights ever differ, so a broken gradient exchange fails this run."""

    def test_two_processes_train_in_step_and_record_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "nitro-tiny")
            result = subprocess.run(
                ["/usr/bin/python3", os.path.join(TOOLS, "train.py"), "--out", out, "--quick", "--threads", "2",
                 "--procs", "2", "--late-mix", "pair=1", "--late-pair-positioned", "1", "--late-from", "0.5",
                 "--cycles", "1@1.5e-3,1@5e-4"],
                cwd=REPO, capture_output=True, text=True, timeout=600)
            self.assertEqual(result.returncode, 0, result.stdout[-2000:] + result.stderr[-2000:])
            self.assertIn("late scene mix pair=1", result.stdout)
            # Both replicas restart together, or the script's own weight comparison at the end fails the run.
            self.assertIn("cycle 2 of 2 (peak lr 5.00e-04), restarted from the averaged weights", result.stdout)
            with open(os.path.join(out, "eval", "torch_metrics.json"), encoding="utf-8") as f:
                meta = json.load(f)
            self.assertEqual(meta["procs"], 2)
            self.assertEqual(meta["late_mix"], "pair=1")
            self.assertEqual(meta["cycles"], "1@1.5e-3,1@5e-4")
            self.assertTrue(os.path.isfile(os.path.join(out, "unet", "model.onnx")))

    def test_a_batch_that_does_not_split_evenly_is_refused(self):
        result = subprocess.run(
            ["/usr/bin/python3", os.path.join(TOOLS, "train.py"), "--out", "unused", "--quick", "--procs", "3",
             "--batch", "16"], cwd=REPO, capture_output=True, text=True, timeout=120)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--procs must be >= 1 and divide --batch", result.stderr)


class WarmRestarts(unittest.TestCase):
    """--cycles: the learning-rate schedule of a chain of stages inside one run."""

    @classmethod
    def setUpClass(cls):
        import train  # noqa: PLC0415  (imports torch: only the tests that need it pay for it)
        cls.train = train

    def test_shares_become_consecutive_fractions_of_the_run(self):
        cycles = self.train.parse_cycles("3@1.5e-3,1@1e-3,1@5e-4")
        self.assertEqual([lr for _, _, lr in cycles], [1.5e-3, 1e-3, 5e-4])
        self.assertEqual([(round(a, 6), round(b, 6)) for a, b, _ in cycles], [(0, 0.6), (0.6, 0.8), (0.8, 1)])

    def test_each_cycle_decays_from_its_own_peak_and_the_next_one_starts_high_again(self):
        cycles = self.train.parse_cycles("1@1e-3,1@5e-4")
        index, inner, peak = self.train.cycle_at(0.49, cycles)
        self.assertEqual((index, peak), (0, 1e-3))
        end_of_first = self.train.lr_at(1000, None, peak, progress=inner)
        index, inner, peak = self.train.cycle_at(0.5, cycles)
        self.assertEqual((index, inner, peak), (1, 0.0, 5e-4))
        after_warm_up = self.train.lr_at(50, None, peak, progress=inner)
        self.assertAlmostEqual(end_of_first, 1e-4, delta=2e-6)  # 0.1 of the peak at the end of a cycle
        self.assertAlmostEqual(after_warm_up, 5e-4)
        self.assertEqual(self.train.cycle_at(1.0, cycles)[:2], (1, 1.0))

    def test_a_malformed_spec_is_refused(self):
        for spec in ("", "1@", "0@1e-3", "1@-1", "a@b", "1e-3"):
            with self.assertRaises(SystemExit, msg=spec):
                self.train.parse_cycles(spec)


class SceneMixSwitches(unittest.TestCase):
    """--late-from/--late-mix/--late-pair-positioned: one switch as before, or a ';' list of them."""

    @classmethod
    def setUpClass(cls):
        import train  # noqa: PLC0415
        cls.train = train

    def test_one_switch_behaves_as_before(self):
        switches = self.train.parse_switches("0.5", "pair=1", None, "single=1", 0.5)
        self.assertEqual([(f, m, p) for f, _, m, p in switches], [(0.0, "single=1", 0.5), (0.5, "pair=1", 0.5)])
        self.assertEqual(self.train.switch_at(0.49, switches), 0)
        self.assertEqual(self.train.switch_at(0.5, switches), 1)

    def test_no_late_mix_means_no_switch(self):
        self.assertEqual(len(self.train.parse_switches("0.5", None, None, "single=1", 0.5)), 1)

    def test_several_switches_apply_in_order_and_a_single_entry_applies_to_all(self):
        switches = self.train.parse_switches("0.52;0.68", "pair=0.55,single=0.45;pair=0.5,single=0.5", "0.8",
                                             "single=1", 0.5)
        self.assertEqual([(f, p) for f, _, _, p in switches], [(0.0, 0.5), (0.52, 0.8), (0.68, 0.8)])
        self.assertEqual([self.train.switch_at(x, switches) for x in (0.1, 0.6, 0.99)], [0, 1, 2])
        self.assertEqual(dict(switches[2][1])["pair"], 0.5)

    def test_mismatched_or_unordered_lists_are_refused(self):
        for args in (("0.5;0.6", "pair=1;pair=1;pair=1", None), ("0.6;0.5", "pair=1", None), ("1.5", "pair=1", None),
                     ("0.5", "pair=1", "x")):
            with self.assertRaises(SystemExit, msg=args):
                self.train.parse_switches(*args, "single=1", 0.5)


class SmallObjectWeight(unittest.TestCase):
    """--small-weight raises the loss weight on objects drawn small, and only on them."""

    @classmethod
    def setUpClass(cls):
        import render  # (imports Debian's torch: these tests run under /usr/bin/python3)
        import torch
        import train
        cls.train, cls.render, cls.torch = train, render, torch

    def scene(self, sizes):
        objs = [{"colour": c, "shape": "square", "size": z, "position": None, "count": 1}
                for c, z in zip(("red", "blue"), sizes)]
        return {"kind": "pair", "background": "white", "objects": objs}

    def latent(self, pixel_map):
        return self.train._to_latent_weights(self.torch.from_numpy(pixel_map)[None, None])[0, 0]

    def weights(self, scene, small_weight):
        return self.latent(self.train.object_weight_map(scene, 128, (0, 0), small_weight))

    def test_weight_one_reproduces_the_colour_difference_mask(self):
        import random
        rng = random.Random(3)
        for _ in range(50):
            sc = grammar.sample_scene(rng)
            img = self.render.render(sc, orig=144, crop=(5, 11))
            plain = self.train.fg_weight([img], [grammar.COLOURS[sc["background"]]])[0, 0]
            weighted = self.latent(self.train.object_weight_map(sc, 144, (5, 11), 1.0))
            self.assertTrue(self.torch.equal(plain, weighted))

    def test_only_the_small_object_gains_weight(self):
        fg = self.train.FG_WEIGHT
        w = self.weights(self.scene(("small", "big")), 2.0)
        left, right = w[:, :16], w[:, 16:]  # pair objects sit at x = 0.30 and 0.70 of the canvas
        self.assertEqual(float(left.max()), 1 + 2 * fg)
        self.assertEqual(float(right.max()), 1 + fg)
        self.assertEqual(float(w.min()), 1.0)

    def test_a_weight_that_is_not_positive_is_refused(self):
        result = subprocess.run(
            ["/usr/bin/python3", os.path.join(TOOLS, "train.py"), "--out", "unused", "--quick", "--small-weight", "0"],
            cwd=REPO, capture_output=True, text=True, timeout=120)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--small-weight must be > 0", result.stderr)


class ExamplePrompts(unittest.TestCase):
    def test_every_example_is_a_scene_the_grammar_reads_back_in_full(self):
        for prompt in grammar.EXAMPLE_PROMPTS:
            scene = grammar.parse_prompt(prompt)
            # Every word is the grammar's: no word the model never saw, so the picture can match the words.
            self.assertEqual([w for w in prompt.split() if w not in grammar.GRAMMAR_WORDS], [], prompt)
            self.assertEqual(len(scene["objects"]), 2 if scene["kind"] == "pair" else 1, prompt)

    def test_they_show_every_kind_of_scene_and_the_first_four_differ_in_kind(self):
        kinds = [grammar.parse_prompt(p)["kind"] for p in grammar.EXAMPLE_PROMPTS]
        self.assertEqual(set(kinds), {"single", "count", "pair"})
        self.assertEqual(set(kinds[:4]), {"single", "count", "pair"})
        self.assertEqual(len(set(grammar.EXAMPLE_PROMPTS)), len(grammar.EXAMPLE_PROMPTS))


class CommittedModel(unittest.TestCase):
    def test_the_committed_model_stays_small_enough_to_travel(self):
        root = os.path.join(REPO, "models", "nitro-tiny")
        total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
        self.assertLess(total, 10 * 1024 * 1024)

    def test_the_committed_model_carries_the_grammar_s_examples_vocabulary_and_scenes(self):
        root = os.path.join(REPO, "models", "nitro-tiny")
        with open(os.path.join(root, "nitrolive.json"), encoding="utf-8") as f:
            card = json.load(f)
        self.assertEqual(card["example_prompts"], list(grammar.EXAMPLE_PROMPTS))
        self.assertEqual(card["vocabulary"], list(grammar.GRAMMAR_WORDS))
        with open(os.path.join(root, "eval", "examples.json"), encoding="utf-8") as f:
            committed = json.load(f)
        with tempfile.TemporaryDirectory() as tmp:
            self.assertEqual(committed, judge.write_examples(os.path.join(tmp, "eval", "examples.json")))


if __name__ == "__main__":
    unittest.main()
