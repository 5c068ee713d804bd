"""The portable fp16 converter on small hand-built graphs."""
from __future__ import annotations

import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import tiny_models  # noqa: F401  (puts tools/export on sys.path)
from graphs import FLOAT, FLOAT16, INT64, fp16_round_trips, init, model, ort_like_fp16, vi

from nitro_export import fp16
from nitro_export.fp16 import convert_to_fp16, infer_types, sinusoidal_region


def node_by_output(m, name):
    return next(n for n in m.graph.node if name in n.output)


class Fp16Converter(unittest.TestCase):
    def test_weights_become_fp16_behind_an_fp32_interface(self):
        m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x")], [vi("y")],
                  [init("w", np.eye(4))])
        report = convert_to_fp16(m)
        self.assertEqual(m.graph.initializer[0].data_type, FLOAT16)
        self.assertEqual(m.graph.input[0].type.tensor_type.elem_type, FLOAT)
        self.assertEqual(m.graph.output[0].name, "y")
        self.assertEqual(m.graph.output[0].type.tensor_type.elem_type, FLOAT)
        self.assertEqual(node_by_output(m, "y").op_type, "Cast")  # fp16 result cast back under the original name
        self.assertEqual(report.casts_inserted, 2)
        onnx.checker.check_model(m)

    def test_an_output_also_used_inside_the_graph_keeps_its_name_and_both_readers_get_the_right_type(self):
        nodes = [helper.make_node("Relu", ["x"], ["h"], name="relu"),
                 helper.make_node("Add", ["h", "h"], ["z"], name="add"),
                 helper.make_node("Resize", ["h", "", "scales"], ["r"], name="resize", mode="nearest")]
        m = model(nodes, [vi("x", shape=(1, 1, 2, 2))],
                  [vi("h", shape=(1, 1, 2, 2)), vi("z", shape=(1, 1, 2, 2)), vi("r", shape=(1, 1, 4, 4))],
                  [init("scales", [1, 1, 2, 2])])
        convert_to_fp16(m)
        types = infer_types(m, strict=True)
        self.assertEqual([o.name for o in m.graph.output], ["h", "z", "r"])
        self.assertTrue(all(types[o] == FLOAT for o in ("h", "z", "r")))
        add = next(n for n in m.graph.node if n.name == "add")
        self.assertTrue(all(types[i] == FLOAT16 for i in add.input))
        resize = next(n for n in m.graph.node if n.name == "resize")
        self.assertEqual(types[resize.input[0]], FLOAT)  # Resize is kept fp32
        self.assertEqual(next(t for t in m.graph.initializer if t.name == "scales").data_type, FLOAT)

    def test_a_weight_shared_by_fp16_and_fp32_nodes_stays_fp32_and_is_cast_once(self):
        nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="add"),
                 helper.make_node("Max", ["x", "b"], ["m"], name="max")]
        m = model(nodes, [vi("x")], [vi("a"), vi("m")], [init("b", [1, 2, 3, 4])])
        convert_to_fp16(m)
        self.assertEqual(m.graph.initializer[0].data_type, FLOAT)
        casts_of_b = [n for n in m.graph.node if n.op_type == "Cast" and n.input[0] == "b"]
        self.assertEqual(len(casts_of_b), 1)
        infer_types(m, strict=True)

    def test_fp16_io_changes_the_interface_types(self):
        m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x")], [vi("y")])
        report = convert_to_fp16(m, keep_io_types=False)
        self.assertEqual(m.graph.input[0].type.tensor_type.elem_type, FLOAT16)
        self.assertEqual(m.graph.output[0].type.tensor_type.elem_type, FLOAT16)
        self.assertEqual(report.casts_inserted, 0)

    def test_weights_are_clamped_to_the_fp16_range_but_infinities_survive(self):
        m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x")], [vi("y")],
                  [init("w", [1e6, -1e6, -np.inf, 0.5])])
        convert_to_fp16(m)
        w = numpy_helper.to_array(m.graph.initializer[0])
        self.assertEqual(w.dtype, np.float16)
        self.assertEqual(w[0], np.float16(65504))
        self.assertEqual(w[1], np.float16(-65504))
        self.assertTrue(np.isneginf(w[2]))
        self.assertEqual(w[3], np.float16(0.5))

    def test_casts_to_float_inside_fp16_regions_cast_to_fp16_instead(self):
        nodes = [helper.make_node("Cast", ["i"], ["f"], name="cast", to=FLOAT),
                 helper.make_node("Add", ["f", "x"], ["y"], name="add")]
        m = model(nodes, [vi("i", INT64), vi("x")], [vi("y")])
        convert_to_fp16(m)
        cast = next(n for n in m.graph.node if n.name == "cast")
        self.assertEqual(cast.attribute[0].i, FLOAT16)
        infer_types(m, strict=True)

    def test_contrib_ops_are_refused_with_the_node_name(self):
        n = helper.make_node("GroupNorm", ["x"], ["y"], name="gn", domain="com.microsoft")
        m = model([n], [vi("x")], [vi("y")])
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
        with self.assertRaisesRegex(ValueError, "gn"):
            convert_to_fp16(m)


class ContribDomains(unittest.TestCase):
    def test_a_fused_node_without_its_domain_import_gets_one_and_type_inference_skips_it(self):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
        y = helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 4])
        nodes = [helper.make_node("SkipLayerNormalization", ["x", "x"], ["y"], name="sln", domain="com.microsoft"),
                 helper.make_node("Relu", ["y"], ["z"], name="relu")]
        m = helper.make_model(helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])

        types = fp16.infer_types(m)  # refused before: "No opset import for domain com.microsoft"

        self.assertEqual(types["z"], TensorProto.FLOAT)
        self.assertEqual(fp16.ensure_opset_imports(m), ["com.microsoft"])
        self.assertEqual(fp16.ensure_opset_imports(m), [])
        self.assertEqual(sorted(o.domain for o in m.opset_import), ["", "com.microsoft"])

    def test_no_region_inputs_means_no_type_inference_at_all(self):
        m = onnx.ModelProto()  # would fail inference: the region search must not even try
        self.assertEqual(fp16.sinusoidal_region(m, ()), set())


class TopologicalOrder(unittest.TestCase):
    def test_an_input_cast_appended_after_its_readers_moves_before_them_and_the_checker_accepts_the_graph(self):
        # What ORT 1.30's fp16 converter left in the fused SDXL VAE decoder: the graph input's Cast last.
        nodes = [helper.make_node("Transpose", ["x16"], ["t"], name="transpose", perm=[1, 0]),
                 helper.make_node("Relu", ["t"], ["r"], name="relu"),
                 helper.make_node("Cast", ["r"], ["y"], name="output_cast", to=FLOAT),
                 helper.make_node("Cast", ["x"], ["x16"], name="graph_input_cast_0", to=FLOAT16)]
        m = model(nodes, [vi("x", shape=(2, 2))], [vi("y", shape=(2, 2))])
        with self.assertRaises(onnx.checker.ValidationError):
            onnx.checker.check_model(m)

        moved = fp16.sort_topologically(m.graph)

        self.assertEqual([n.name for n in m.graph.node], ["graph_input_cast_0", "transpose", "relu", "output_cast"])
        self.assertEqual(moved, 4)
        onnx.checker.check_model(m)

    def test_a_sorted_graph_keeps_its_order_even_where_other_orders_would_do(self):
        nodes = [helper.make_node("Relu", ["x"], ["b"], name="b"),
                 helper.make_node("Relu", ["x"], ["a"], name="a"),
                 helper.make_node("Add", ["a", "b"], ["y"], name="add")]
        m = model(nodes, [vi("x")], [vi("y")])
        self.assertEqual(fp16.sort_topologically(m.graph), 0)
        self.assertEqual([n.name for n in m.graph.node], ["b", "a", "add"])

    def test_a_subgraph_reading_an_outer_value_waits_for_its_producer(self):
        then_graph = helper.make_graph([helper.make_node("Identity", ["late"], ["then_out"])], "then", [],
                                       [vi("then_out")])
        else_graph = helper.make_graph([helper.make_node("Identity", ["x"], ["else_out"])], "else", [],
                                       [vi("else_out")])
        nodes = [helper.make_node("If", ["flag"], ["y"], name="if", then_branch=then_graph, else_branch=else_graph),
                 helper.make_node("Relu", ["x"], ["late"], name="late")]
        m = model(nodes, [vi("x"), vi("flag", TensorProto.BOOL, ())], [vi("y")])
        fp16.sort_topologically(m.graph)
        self.assertEqual([n.name for n in m.graph.node], ["late", "if"])

    def test_a_cycle_is_refused(self):
        nodes = [helper.make_node("Relu", ["b"], ["a"], name="a"), helper.make_node("Relu", ["a"], ["b"], name="b")]
        m = model(nodes, [vi("x")], [vi("a")])
        with self.assertRaisesRegex(ValueError, "cycle"):
            fp16.sort_topologically(m.graph)


class SinusoidalRegion(unittest.TestCase):
    def build(self):
        # t (int64) -> Cast -> Mul(freq) -> Sin -> MatMul(w) -> Add(activations) ; activations from x
        nodes = [helper.make_node("Cast", ["t"], ["tf"], name="cast", to=FLOAT),
                 helper.make_node("Mul", ["tf", "freq"], ["arg"], name="mul"),
                 helper.make_node("Sin", ["arg"], ["s"], name="sin"),
                 helper.make_node("Add", ["s", "x"], ["leak"], name="leak_add"),
                 helper.make_node("MatMul", ["s", "w"], ["e"], name="linear"),
                 helper.make_node("Add", ["e", "x"], ["y"], name="add")]
        return model(nodes, [vi("t", INT64, (1, 1)), vi("x")], [vi("y"), vi("leak")],
                     [init("freq", [[1, 0.5, 0.25, 0.125]]), init("w", np.eye(4))])

    def test_region_stops_at_the_first_linear_and_never_takes_activation_nodes(self):
        m = self.build()
        self.assertEqual(sinusoidal_region(m, ["t"]), {"cast", "mul", "sin"})
        self.assertEqual(sinusoidal_region(m, ["t", "x"]), {"cast", "mul", "sin", "leak_add"})

    def test_region_nodes_stay_fp32_and_feed_the_linear_through_one_cast(self):
        m = self.build()
        report = convert_to_fp16(m, fp32_region_inputs=["t"])
        types = infer_types(m, strict=True)
        self.assertEqual(types["arg"], FLOAT)
        self.assertEqual(types["s"], FLOAT)
        self.assertEqual(types["e"], FLOAT16)
        self.assertEqual(next(t for t in m.graph.initializer if t.name == "freq").data_type, FLOAT)
        self.assertEqual(next(t for t in m.graph.initializer if t.name == "w").data_type, FLOAT16)
        self.assertIn("sin", report.fp32_node_names)


class RegionConstantsForOrtsConverter(unittest.TestCase):
    """ORT's fp16 converter turns every Constant outside its block lists fp16: the sinusoid's frequencies, which
    torch's exporter leaves as a Constant node, would reach the fp32 region rounded (graphs.ort_like_fp16)."""

    FREQ = np.exp(-np.log(10000.0) * np.arange(4) / 4).astype(np.float32)[None, :]  # none exact in fp16

    def build(self):
        # t (int64) -> Cast -> Mul(freq) -> Mul(scale) -> Sin, Cos -> Concat -> MatMul(w); scale also scales x
        def constant(name, arr):
            return helper.make_node("Constant", [], [name], name=f"{name}_node",
                                    value=numpy_helper.from_array(np.asarray(arr, dtype=np.float32)))

        nodes = [constant("freq", self.FREQ), constant("scale", [2.0]),
                 helper.make_node("Cast", ["t"], ["tf"], name="cast", to=FLOAT),
                 helper.make_node("Mul", ["tf", "freq"], ["arg0"], name="mul"),
                 helper.make_node("Mul", ["arg0", "scale"], ["arg"], name="mul_scale"),
                 helper.make_node("Sin", ["arg"], ["s"], name="sin"),
                 helper.make_node("Cos", ["arg"], ["c"], name="cos"),
                 helper.make_node("Concat", ["c", "s"], ["emb"], name="concat", axis=-1),
                 helper.make_node("MatMul", ["emb", "w"], ["e"], name="linear"),
                 helper.make_node("Mul", ["x", "scale"], ["xs"], name="x_scale"),
                 helper.make_node("Add", ["e", "xs"], ["y"], name="add")]
        m = model(nodes, [vi("t", INT64, (1, 1)), vi("x")], [vi("y")], [init("w", np.ones((8, 4)) / 8)])
        # A float type recorded for the Constant's output, as ORT's symbolic shape inference leaves one.
        m.graph.value_info.append(vi("freq", FLOAT, (1, 4)))
        return m

    def test_without_the_pass_orts_converter_rounds_the_frequencies_through_fp16(self):
        m = self.build()
        region = sinusoidal_region(m, ["t"])
        ort_like_fp16(m, node_block_list=region)
        self.assertEqual(sorted(fp16_round_trips(m, region)), ["mul reads mul_input_cast_1",
                                                               "mul_scale reads mul_scale_input_cast_1"])

    def test_the_frequencies_become_an_fp32_initializer_that_orts_converter_leaves_alone(self):
        m = self.build()
        region = sinusoidal_region(m, ["t"])
        self.assertEqual(region, {"cast", "mul", "mul_scale", "sin", "cos", "concat"})

        moved = fp16.region_constants_to_initializers(m, region)
        ort_like_fp16(m, node_block_list=region)

        self.assertIn("freq", moved)
        self.assertEqual(fp16_round_trips(m, region), [])
        freq = next(t for t in m.graph.initializer if t.name == "freq")
        self.assertEqual(freq.data_type, FLOAT)
        np.testing.assert_array_equal(numpy_helper.to_array(freq), self.FREQ)  # bit for bit, never rounded
        self.assertEqual(next(n for n in m.graph.node if n.name == "mul").input[1], "freq")
        self.assertNotIn("freq_node", {n.name for n in m.graph.node})
        self.assertNotIn("freq", {v.name for v in m.graph.value_info})
        self.assertEqual(sinusoidal_region(m, ["t"]), region)
        fp16.sort_topologically(m.graph)
        onnx.checker.check_model(m)

    def test_a_constant_read_outside_the_region_too_stays_for_it_and_the_region_gets_an_fp32_copy(self):
        m = self.build()
        region = sinusoidal_region(m, ["t"])
        moved = fp16.region_constants_to_initializers(m, region)
        ort_like_fp16(m, node_block_list=region)

        self.assertEqual(sorted(moved), ["freq", "scale_fp32"])
        self.assertEqual(next(n for n in m.graph.node if n.name == "mul_scale").input[1], "scale_fp32")
        self.assertEqual(next(n for n in m.graph.node if n.name == "x_scale").input[1], "scale")
        scale = next(n for n in m.graph.node if n.name == "scale_node").attribute[0].t
        self.assertEqual(scale.data_type, FLOAT16)  # outside the region ORT converts it, as before
        self.assertEqual(next(t for t in m.graph.initializer if t.name == "scale_fp32").data_type, FLOAT)

    def test_a_graph_without_region_constants_is_left_unchanged(self):
        m = self.build()
        before = m.SerializeToString()
        self.assertEqual(fp16.region_constants_to_initializers(m, set()), [])
        self.assertEqual(m.SerializeToString(), before)


if __name__ == "__main__":
    unittest.main()
