"""Identity nodes, Casts to their input's own type and Divs by 1 dropped before ONNX Runtime's fusions read a graph."""
from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import tiny_models  # noqa: F401  (puts tools/export on sys.path)
from graphs import FLOAT, FLOAT16, init, model, vi

from nitro_export.prune import drop_pass_through_nodes, drop_pass_through_nodes_in_file


def cast(src, dst, to):
    return helper.make_node("Cast", [src], [dst], name=f"cast_{dst}", to=to)


def scalar(name, value):
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(np.array(value, dtype=np.float32)))


def ops(m):
    return [n.op_type for n in m.graph.node]


class DropPassThroughNodes(unittest.TestCase):
    def test_identities_and_same_type_casts_go_and_their_readers_read_the_source(self):
        m = model([
            helper.make_node("Identity", ["x"], ["a"], name="id_a"),
            cast("a", "b", FLOAT),                      # float to float: goes
            helper.make_node("Identity", ["b"], ["c"], name="id_c"),
            helper.make_node("Relu", ["c"], ["r"], name="relu"),
            cast("r", "h", FLOAT16),                    # a real conversion: stays
            cast("h", "y", FLOAT),
        ], [vi("x")], [vi("y")])
        m.graph.value_info.extend([vi("a"), vi("b"), vi("r")])  # types the exporter recorded
        removed = drop_pass_through_nodes(m)
        self.assertEqual(removed, {"Identity": 2, "Cast": 1, "Div": 0})
        self.assertEqual(ops(m), ["Relu", "Cast", "Cast"])
        self.assertEqual(list(m.graph.node[0].input), ["x"])
        self.assertEqual([v.name for v in m.graph.value_info], ["r"])
        onnx.checker.check_model(m, full_check=True)

    def test_a_node_that_writes_a_graph_output_stays_so_the_interface_keeps_its_names(self):
        m = model([
            helper.make_node("Relu", ["x"], ["r"], name="relu"),
            helper.make_node("Identity", ["r"], ["y"], name="id_y"),
            cast("r", "z", FLOAT),
        ], [vi("x")], [vi("y"), vi("z")])
        self.assertEqual(drop_pass_through_nodes(m), {"Identity": 0, "Cast": 0, "Div": 0})
        self.assertEqual(ops(m), ["Relu", "Identity", "Cast"])

    def test_a_cast_of_a_value_whose_type_inference_cannot_tell_stays(self):
        # An op from a domain onnx has no schema for: its output type is unknown, so its Cast may be a conversion.
        m = model([
            helper.make_node("Mystery", ["x"], ["m"], name="mystery", domain="com.example"),
            cast("m", "c", FLOAT),
            helper.make_node("Relu", ["c"], ["y"], name="relu"),
        ], [vi("x")], [vi("y")])
        m.opset_import.append(helper.make_opsetid("com.example", 1))
        self.assertEqual(drop_pass_through_nodes(m)["Cast"], 0)
        self.assertIn("Cast", ops(m))

    def test_a_weight_read_through_an_identity_is_read_directly(self):
        w = numpy_helper.from_array(np.eye(4, dtype=np.float32), "w")
        m = model([
            helper.make_node("Identity", ["w"], ["w_alias"], name="id_w"),
            helper.make_node("MatMul", ["x", "w_alias"], ["y"], name="mm"),
        ], [vi("x")], [vi("y")], [w])
        drop_pass_through_nodes(m)
        self.assertEqual(ops(m), ["MatMul"])
        self.assertEqual(list(m.graph.node[0].input), ["x", "w"])
        onnx.checker.check_model(m, full_check=True)

    def test_a_subgraph_that_reads_a_dropped_value_reads_its_source(self):
        then_branch = helper.make_graph([helper.make_node("Relu", ["a"], ["t"], name="then_relu")], "then", [],
                                        [vi("t")])
        else_branch = helper.make_graph([helper.make_node("Neg", ["a"], ["e"], name="else_neg")], "else", [],
                                        [vi("e")])
        m = model([
            helper.make_node("Identity", ["x"], ["a"], name="id_a"),
            helper.make_node("If", ["flag"], ["y"], name="if", then_branch=then_branch, else_branch=else_branch),
        ], [vi("x"), vi("flag", TensorProto.BOOL, ())], [vi("y")])
        drop_pass_through_nodes(m)
        branches = {a.name: a.g for a in m.graph.node[0].attribute}
        self.assertEqual(list(branches["then_branch"].node[0].input), ["x"])
        self.assertEqual(list(branches["else_branch"].node[0].input), ["x"])
        onnx.checker.check_model(m, full_check=True)

    def test_divs_by_a_scalar_one_go_with_the_constants_only_they_read(self):
        # As diffusers' resnets and attentions trace: (x + h) / output_scale_factor with the factor 1.0.
        m = model([
            scalar("one", 1.0),
            helper.make_node("Div", ["x", "one"], ["a"], name="div_one"),
            helper.make_node("Constant", [], ["one_f"], name="one_f", value_float=1.0),
            helper.make_node("Div", ["a", "one_f"], ["b"], name="div_one_f"),
            helper.make_node("Div", ["b", "w_one"], ["c"], name="div_w_one"),
            helper.make_node("Relu", ["c"], ["y"], name="relu"),
        ], [vi("x")], [vi("y")], [init("w_one", 1.0)])
        self.assertEqual(drop_pass_through_nodes(m), {"Identity": 0, "Cast": 0, "Div": 3})
        self.assertEqual(ops(m), ["Relu"])
        self.assertEqual(list(m.graph.node[0].input), ["x"])
        onnx.checker.check_model(m, full_check=True)

    def test_divs_that_change_their_input_stay(self):
        m = model([
            scalar("one", 1.0),
            scalar("two", 2.0),
            helper.make_node("Div", ["x", "two"], ["a"], name="by_two"),
            helper.make_node("Div", ["one", "a"], ["b"], name="one_over"),          # 1 / a, not a / 1
            helper.make_node("Div", ["b", "one_of_rank_3"], ["c"], name="by_ones"),  # may broadcast to rank 3
            helper.make_node("Div", ["c", "overridable"], ["d"], name="by_input"),  # a run may pass another value
            helper.make_node("Relu", ["d"], ["y"], name="relu"),
        ], [vi("x"), vi("overridable", shape=())], [vi("y", shape=(1, 1, 4))],
            [init("one_of_rank_3", np.ones((1, 1, 1))), init("overridable", 1.0)])
        self.assertEqual(drop_pass_through_nodes(m)["Div"], 0)
        self.assertEqual(ops(m), ["Constant", "Constant", "Div", "Div", "Div", "Div", "Relu"])

    def test_a_constant_one_that_another_node_reads_stays(self):
        m = model([
            scalar("one", 1.0),
            helper.make_node("Div", ["x", "one"], ["a"], name="div_one"),
            helper.make_node("Identity", ["one"], ["one_alias"], name="id_one"),
            helper.make_node("Add", ["a", "one_alias"], ["y"], name="add_one"),
        ], [vi("x")], [vi("y")])
        self.assertEqual(drop_pass_through_nodes(m), {"Identity": 1, "Cast": 0, "Div": 1})
        self.assertEqual(ops(m), ["Constant", "Add"])
        self.assertEqual(list(m.graph.node[1].input), ["x", "one"])
        onnx.checker.check_model(m, full_check=True)

    def test_a_constant_one_that_a_subgraph_reads_stays(self):
        def unshaped(name):
            return helper.make_tensor_value_info(name, FLOAT, None)

        then_branch = helper.make_graph([helper.make_node("Add", ["a", "one"], ["t"], name="then_add")], "then", [],
                                        [unshaped("t")])
        else_branch = helper.make_graph([], "else", [], [unshaped("one")])  # the outer value itself, as output
        for branch in (then_branch, else_branch):
            m = model([
                scalar("one", 1.0),
                helper.make_node("Div", ["x", "one"], ["a"], name="div_one"),
                helper.make_node("If", ["flag"], ["y"], name="if", then_branch=branch, else_branch=branch),
            ], [vi("x"), vi("flag", TensorProto.BOOL, ())], [unshaped("y")])
            self.assertEqual(drop_pass_through_nodes(m)["Div"], 1)
            self.assertEqual(ops(m), ["Constant", "If"], branch.name)

    def test_a_graph_without_pass_through_nodes_is_left_as_it_was(self):
        m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x")], [vi("y")])
        before = m.SerializeToString()
        self.assertEqual(drop_pass_through_nodes(m), {"Identity": 0, "Cast": 0, "Div": 0})
        self.assertEqual(m.SerializeToString(), before)


class DropPassThroughNodesInFile(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="nitro-prune-"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_the_pruned_file_reads_the_same_external_weights_without_loading_them(self):
        weight = np.arange(16 * 64, dtype=np.float32).reshape(64, 16)
        m = model([
            helper.make_node("Identity", ["x"], ["a"], name="id_a"),
            helper.make_node("MatMul", ["a", "w"], ["y"], name="mm"),
        ], [vi("x", shape=(1, 64))], [vi("y", shape=(1, 16))], [numpy_helper.from_array(weight, "w")])
        onnx.save(m, str(self.tmp / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                  location="model.onnx.data", size_threshold=0)
        removed = drop_pass_through_nodes_in_file(self.tmp / "model.onnx", self.tmp / "model.pruned.onnx")
        self.assertEqual(removed["Identity"], 1)
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()),
                         ["model.onnx", "model.onnx.data", "model.pruned.onnx"])
        pruned = onnx.load(str(self.tmp / "model.pruned.onnx"))  # loads the weights through the shared data file
        self.assertEqual(ops(pruned), ["MatMul"])
        np.testing.assert_array_equal(numpy_helper.to_array(pruned.graph.initializer[0]), weight)

    def test_a_destination_in_another_folder_is_refused(self):
        (self.tmp / "other").mkdir()
        with self.assertRaises(ValueError):
            drop_pass_through_nodes_in_file(self.tmp / "model.onnx", self.tmp / "other" / "model.onnx")


if __name__ == "__main__":
    unittest.main()
