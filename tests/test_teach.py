"""The teaching tools: Wengert lists, tangent and adjoint tables, graphs and studies, against the seeds.

The seeds' numbers: f = ln x1 + x1·x2 − sin x2 at (2, 5) (list v1…v7, tangent
table w.r.t. x1, adjoint table with += at the fan-outs), y = x1² + x2 at (2, 3)
with gradient (4, 1), and sin(x²) + eˣ.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core import Primitive, Tracer, bind
from wengert.teach import GraphvizNotFoundError, WengertList, trace
from wengert.teach import render as render_module
from wengert.teach.studies import expression_swell, finite_difference_study, mode_cost

COS5 = math.cos(5.0)


def seed_f(x1, x2):
    return wnp.log(x1) + x1 * x2 - wnp.sin(x2)


@pytest.fixture
def seed_list() -> WengertList:
    return trace(seed_f, 2.0, 5.0, order="levels")


# -- the Wengert list ----------------------------------------------------------------------


def test_seed_list_in_levels_order(seed_list):
    assert [entry.name for entry in seed_list] == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]
    assert [entry.expression() for entry in seed_list] == [
        "x1",
        "x2",
        "ln(v1)",
        "v1 · v2",
        "sin(v2)",
        "v3 + v4",
        "v6 − v5",
    ]
    text = str(seed_list)
    for line in ("v3 = ln(v1)", "v4 = v1 · v2", "v5 = sin(v2)", "v6 = v3 + v4", "v7 = v6 − v5", "f  = v7"):
        assert line in text
    assert [entry.primitive for entry in seed_list.operations] == ["log", "multiply", "sin", "add", "subtract"]
    assert seed_list["x1"] is seed_list["v1"]
    assert seed_list.outputs[0] is seed_list["v7"]


def test_default_order_is_the_tape_as_recorded():
    wl = trace(seed_f, 2.0, 5.0)
    assert wl.order == "evaluation"
    # Python evaluates ln x1 + x1·x2 before it reaches sin x2.
    assert [entry.expression() for entry in wl.operations] == ["ln(v1)", "v1 · v2", "v3 + v4", "sin(v2)", "v5 − v6"]
    assert wl.gradient() == trace(seed_f, 2.0, 5.0, order="levels").gradient()


def test_entries_are_the_engine_tape():
    wl = trace(seed_f, 2.0, 5.0)
    for entry in wl.operations:
        assert isinstance(entry.node, Tracer)  # the TapeTracer the reverse interpreter recorded
        assert entry.node.primitive.name == entry.primitive
        assert entry.value is entry.node.ans


def test_inputs_are_named_after_parameters_unless_names_given():
    assert [entry.label for entry in trace(seed_f, 2.0, 5.0).inputs] == ["x1", "x2"]
    wl = trace(seed_f, 2.0, 5.0, names=["a", "b"])
    assert [entry.label for entry in wl.inputs] == ["a", "b"]
    assert wl.gradient() == {"a": pytest.approx(5.5), "b": pytest.approx(2 - COS5)}
    assert [entry.label for entry in trace(lambda *xs: xs[0] * xs[1], 1.0, 2.0).inputs] == ["x1", "x2"]
    pair = trace(lambda p, q: p[0] * p[1] + q, (1.0, 2.0), 3.0)
    assert [entry.label for entry in pair.inputs] == ["p[0]", "p[1]", "q"]
    with pytest.raises(ValueError, match="names has 1 names but the arguments hold 2 inputs"):
        trace(seed_f, 2.0, 5.0, names=["a"])
    with pytest.raises(ValueError, match="distinct"):
        trace(seed_f, 2.0, 5.0, names=["a", "a"])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="order='depth'"):
        trace(seed_f, 2.0, 5.0, order="depth")
    with pytest.raises(TypeError, match="input x1 is a boolean"):
        trace(seed_f, True, 5.0)
    with pytest.raises(TypeError, match="complex"):
        trace(lambda z: z * z, np.array([1j]))
    assert trace(seed_f, 2, 5).gradient()["x1"] == pytest.approx(5.5)  # integers are taken as floats
    with pytest.raises(ValueError, match="choose one with wrt="):
        trace(seed_f, 2.0, 5.0).tangents()
    with pytest.raises(ValueError, match="wrt='y' is not an input"):
        trace(seed_f, 2.0, 5.0).forward_table("y")
    with pytest.raises(KeyError, match="no entry named 'v9'"):
        trace(seed_f, 2.0, 5.0)["v9"]


# -- the forward (tangent) table -------------------------------------------------------------


def test_seed_forward_table_wrt_x1(seed_list):
    table = seed_list.forward_table(wrt="x1")
    rows = table.rows
    assert [row.i for row in rows] == [1, 2, 3, 4, 5, 6, 7, "f"]
    assert [round(row.value, 3) for row in rows[2:7]] == [0.693, 10, -0.959, 10.693, 11.652]
    assert [row.tangent for row in rows] == pytest.approx([1, 0, 0.5, 5, 0, 5.5, 5.5, 5.5])
    assert [row.rule for row in rows[:7]] == [
        "seed",
        "seed",
        "v̇1 / v1",
        "v̇1·v2 + v1·v̇2",
        "cos(v2)·v̇2",
        "v̇3 + v̇4",
        "v̇6 − v̇5",
    ]
    assert rows[-1].rule == "∂f/∂x1 = v̇7"
    assert table.info["derivative"] == {"f": pytest.approx(1 / 2 + 5)}
    text = table.to_text()
    assert "v̇1·v2 + v1·v̇2" in text and "0.693147" in text


def test_seed_forward_table_wrt_x2(seed_list):
    rows = seed_list.forward_table("x2").rows
    assert [row.tangent for row in rows] == pytest.approx([0, 1, 0, 2, COS5, 2, 2 - COS5, 2 - COS5])


def test_forward_table_reads_the_primitives_own_jvp_rule():
    # A primitive whose rules claim d/dx = 3·cos x: the tables must show what the engine does.
    def scaled(t, ans, x):
        return 3.0 * t * wnp.cos(x)

    odd = Primitive("odd_sin", math.sin, jvp=(scaled,), vjp=(scaled,))
    wl = trace(lambda x: bind(odd, (x,), {}), 0.5)
    assert wl.forward_table().rows[1].tangent == pytest.approx(3 * math.cos(0.5))
    assert wl.gradient()["x"] == pytest.approx(3 * math.cos(0.5))
    assert wl.forward_table().rows[1].rule == "∂v2/∂v1·v̇1"  # not in the words table: the generic rule


def test_forward_table_seed_tangent_for_arrays():
    x = np.array([1.0, 2.0, 3.0])
    wl = trace(lambda x: (wnp.sin(x) * x).sum(), x)
    direction = np.array([0.5, -1.0, 2.0])
    table = wl.forward_table(tangent=direction)
    expected = wg.jvp(lambda x: (wnp.sin(x) * x).sum(), (x,), (direction,))[1]
    assert table.rows[-1].tangent == pytest.approx(expected)
    with pytest.raises(ValueError, match="seed tangent has shape"):
        wl.forward_table(tangent=np.ones(2))


# -- the backward (adjoint) table ------------------------------------------------------------


def test_seed_backward_table(seed_list):
    table = seed_list.backward_table()
    seed_row, *contributions, gradient_row = table.rows
    assert (seed_row.update, seed_row.value) == ("v̄7 = 1", 1.0)
    # The engine walks the list backwards: v7, v6, v5, v4, v3, each entry's arguments left to right.
    assert [(row.target, row.source) for row in contributions] == [
        ("v6", "v7"),
        ("v5", "v7"),
        ("v3", "v6"),
        ("v4", "v6"),
        ("v2", "v5"),
        ("v1", "v4"),
        ("v2", "v4"),
        ("v1", "v3"),
    ]
    single = {row.target: row for row in contributions if row.target in ("v6", "v5", "v4", "v3")}
    assert {name: row.value for name, row in single.items()} == {"v6": 1, "v5": -1, "v4": 1, "v3": 1}
    assert all(" = " in row.update and "+=" not in row.update for row in single.values())
    assert single["v6"].update == "v̄6 = v̄7"
    assert single["v5"].update == "v̄5 = −v̄7"
    # v1 and v2 have two consumers each: += on every one of their rows.
    fan_out = [row for row in contributions if row.target in ("v1", "v2")]
    assert all(row.accumulate and "+=" in row.update for row in fan_out)
    v2_rows = [row for row in fan_out if row.target == "v2"]
    assert [row.update for row in v2_rows] == ["v̄2 += v̄5·cos(v2)", "v̄2 += v̄4·v1"]
    assert sorted(row.contribution for row in v2_rows) == pytest.approx([-COS5, 2])
    assert v2_rows[-1].value == pytest.approx(2 - COS5)  # 2 − cos 5 ≈ 1.716
    v1_rows = [row for row in fan_out if row.target == "v1"]
    assert [row.update for row in v1_rows] == ["v̄1 += v̄4·v2", "v̄1 += v̄3 / v1"]
    assert [row.value for row in v1_rows] == pytest.approx([5, 5.5])  # 5 then 5.5
    assert gradient_row.update == "∇f = (v̄1, v̄2)"
    assert gradient_row.value == pytest.approx((5.5, 2 - COS5))
    assert table.info["gradient"] == {"x1": pytest.approx(5.5), "x2": pytest.approx(1.7163378145367738)}


def test_backward_table_leaves_no_cotangents_behind(seed_list):
    first = seed_list.backward_table()
    assert all(entry.node.cotangent is None for entry in seed_list)
    second = seed_list.backward_table()
    assert [row.value for row in first.rows[:-1]] == [row.value for row in second.rows[:-1]]


def test_seed_square_plus_input():
    wl = trace(lambda x1, x2: x1**2 + x2, 2.0, 3.0)
    assert [entry.expression() for entry in wl.operations] == ["v1²", "v3 + v2"]
    assert wl["v4"].value == 7.0
    forward = wl.forward_table("x1")
    assert forward.rows[2].rule == "2·v1·v̇1"
    assert forward.rows[-1].tangent == 4.0  # ∂y/∂x1 = 2·x1
    backward = wl.backward_table()
    assert backward.rows[-1].value == (4.0, 1.0)  # ∇y = (2·x1, 1) = (4, 1)


def test_seed_sin_of_square_plus_exp():
    x = 1.5
    wl = trace(lambda x: wnp.sin(x**2) + wnp.exp(x), x)
    # The evaluation order is the seed's numbering: v2 = v1², v3 = sin v2, v4 = e^v1, v5 = v3 + v4.
    assert [entry.expression() for entry in wl] == ["x", "v1²", "sin(v2)", "exp(v1)", "v3 + v4"]
    forward = wl.forward_table()
    assert [row.tangent for row in forward.rows[:5]] == pytest.approx(
        [1, 2 * x, math.cos(x * x) * 2 * x, math.exp(x), 2 * x * math.cos(x * x) + math.exp(x)]
    )
    assert [row.rule for row in forward.rows[1:5]] == ["2·v1·v̇1", "cos(v2)·v̇2", "exp(v1)·v̇1", "v̇3 + v̇4"]
    backward = wl.backward_table()
    by_target = {}
    for row in backward.rows[1:-1]:
        by_target.setdefault(row.target, []).append(row)
    assert by_target["v3"][0].value == 1 and by_target["v4"][0].value == 1
    assert by_target["v2"][0].value == pytest.approx(math.cos(x * x))
    assert [row.update for row in by_target["v1"]] == ["v̄1 += v̄4·exp(v1)", "v̄1 += v̄2·2·v1"]
    assert backward.rows[-1].value == pytest.approx(2 * x * math.cos(x * x) + math.exp(x))


def test_seed_product_with_sine():
    wl = trace(lambda x, y: x * wnp.sin(y), 3.0, math.pi / 6)
    assert wl.gradient() == {"x": pytest.approx(0.5), "y": pytest.approx(3 * math.cos(math.pi / 6))}


def test_words_for_more_primitives():
    wl = trace(lambda x: 1 / x + 2**x - x / 3 + wnp.hypot(x, 2.0) + x**x, 1.5)
    rules = {entry.expression(): entry.rule().tangent() for entry in wl.operations}
    assert rules["1 / v1"] == "−v2·v̇1 / v1"
    assert rules["2^v1"] == "ln(2)·v3·v̇1"
    assert rules["v1 / 3"] == "v̇1 / 3"
    assert rules["hypot(v1, 2)"] == "∂v7/∂v1·v̇1"
    assert rules["v1^v1"] == "v1·v1^(v1 − 1)·v̇1 + ln(v1)·v9·v̇1"
    derivative = -1 / 1.5**2 + math.log(2) * 2**1.5 - 1 / 3 + 1.5 / math.hypot(1.5, 2) + 1.5**1.5 * (1 + math.log(1.5))
    assert wl.forward_table().rows[-1].tangent == pytest.approx(derivative)
    assert wl.gradient()["x"] == pytest.approx(derivative)
    linear = trace(lambda x: wnp.reshape(x, (2, 2)).sum(axis=0), np.arange(4.0))
    assert [entry.expression() for entry in linear.operations] == ["reshape(v1, shape=(2, 2))", "sum(v2, axis=(0,))"]
    assert [entry.rule().tangent() for entry in linear.operations] == ["reshape(v̇1)", "sum(v̇2)"]


def test_ascii_output_has_only_ascii(seed_list):
    texts = [
        seed_list.to_text(ascii=True),
        seed_list.forward_table("x1", ascii=True).to_text(),
        seed_list.backward_table(ascii=True).to_text(),
        seed_list.to_mermaid(ascii=True),
        seed_list.to_dot(ascii=True),
    ]
    for text in texts:
        assert text.isascii(), text
    assert "vdot1*v2 + v1*vdot2" in texts[1]
    assert "vbar2 += vbar4*v1" in texts[2]


def test_nested_derivative_is_recorded_on_the_tape():
    # The list of grad(x³) holds the forward pass and the backward pass; its gradient is 6x.
    wl = trace(wg.grad(lambda x: x**3), 2.0)
    assert len(wl.operations) >= 2
    assert wl["v" + str(len(wl))].value == pytest.approx(12.0)
    assert wl.gradient()["x"] == pytest.approx(12.0)
    assert wl.forward_table().rows[-1].tangent == pytest.approx(12.0)


def test_several_outputs_and_constant_outputs():
    wl = trace(lambda x: (x * x, wnp.sin(x), 3.0), 0.5)
    assert wl.output_names == ["f1", "f2", "f3"]
    with pytest.raises(ValueError, match="choose one with output="):
        wl.backward_table()
    assert wl.backward_table(output="f2").info["gradient"]["x"] == pytest.approx(math.cos(0.5))
    assert wl.backward_table(output=2).info["gradient"]["x"] == 0.0
    assert wl.forward_table().info["derivative"] == pytest.approx({"f1": 1.0, "f2": math.cos(0.5), "f3": 0.0})
    assert "f3 = 3" in str(wl)


# -- tensor programs and tensor graphs --------------------------------------------------------


def test_tensor_program_shows_shapes():
    # Arrays of more than 6 numbers are shown by dtype and shape (smaller ones by their numbers).
    w = np.arange(12.0).reshape(3, 4) / 10
    x = np.array([1.0, 2.0, 3.0, 4.0])

    def loss(w, x):
        return (wnp.tanh(w @ x) ** 2).sum()

    wl = trace(loss, w, x)
    text = str(wl)
    assert "v1 = w" in text and "float64[3×4]" in text and "v3 = v1 @ v2" in text
    assert "v2 = x         = [1, 2, 3, 4]" in text
    assert wl.to_text(ascii=True).count("float64[3x4]") == 1
    table = wl.backward_table()
    expected = wg.grad(loss, argnums=(0, 1))(w, x)
    np.testing.assert_allclose(table.info["gradient"]["w"], expected[0])
    np.testing.assert_allclose(table.info["gradient"]["x"], expected[1])
    assert "float64[3×4]" in table.to_text()
    forward = wl.forward_table("x")
    assert forward.rows[-1].tangent == pytest.approx(wg.jvp(lambda x: loss(w, x), (x,), (np.ones(4),))[1])
    data = json.loads(wl.to_json())
    assert data["entries"][0]["shape"] == [3, 4]


def test_graph_of_a_tensor_computation():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    w = wg.tensor(0.5, requires_grad=True)
    y = (wnp.sin(x) * w).sum()
    wl = wg.graph(y, names={x: "x", w: "w"})
    assert [entry.label for entry in wl.inputs] == ["x", "w"]
    assert [entry.expression() for entry in wl.operations] == ["sin(v1)", "v3 · v2", "sum(v4)"]
    table = wl.backward_table()
    assert x.grad is None  # the table does not touch .grad
    np.testing.assert_allclose(table.info["gradient"]["x"], 0.5 * np.cos([1.0, 2.0]))
    assert table.info["gradient"]["w"] == pytest.approx(np.sin([1.0, 2.0]).sum())
    forward = wl.forward_table("w")
    assert forward.rows[-1].tangent == pytest.approx(np.sin([1.0, 2.0]).sum())
    assert "x --> v3" in wl.to_mermaid() and '"v5" -> "f"' in wl.to_dot()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), table.info["gradient"]["x"])
    # After backward() the saved values are freed: the list still prints, the tables explain.
    assert "sum(v4)" in str(wl)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        wl.backward_table()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        wl.forward_table("x")


def test_graph_errors_and_levels():
    with pytest.raises(TypeError, match="not a wengert Tensor"):
        wg.graph([np.ones(2)])
    with pytest.raises(ValueError, match="no recorded graph"):
        wg.graph(wg.tensor([1.0, 2.0]) * 2)
    a = wg.tensor(2.0, requires_grad=True)
    b = wg.tensor(5.0, requires_grad=True)
    y = seed_f(a, b)
    wl = wg.graph(y, order="levels", names=["x1", "x2"])
    assert [entry.expression() for entry in wl.operations] == ["ln(v1)", "v1 · v2", "sin(v2)", "v3 + v4", "v6 − v5"]
    assert wl.gradient() == {"x1": pytest.approx(5.5), "x2": pytest.approx(2 - COS5)}


# -- renderings -------------------------------------------------------------------------------

SEED_NODES = {"x1", "x2", "v3", "v4", "v5", "v6", "v7", "f"}
SEED_EDGES = {
    ("x1", "v3"),
    ("x1", "v4"),
    ("x2", "v4"),
    ("x2", "v5"),
    ("v3", "v6"),
    ("v4", "v6"),
    ("v6", "v7"),
    ("v5", "v7"),
    ("v7", "f"),
}


def test_mermaid_names_every_node_and_edge_of_the_seed_graph(seed_list):
    mermaid = seed_list.to_mermaid(values=False)
    assert mermaid.startswith("flowchart LR\n")
    nodes = set(re.findall(r"^\s+(\w+)(?:\(\(|\[)", mermaid, flags=re.M))
    edges = set(re.findall(r"^\s+(\w+) --> (\w+)$", mermaid, flags=re.M))
    assert nodes == SEED_NODES
    assert edges == SEED_EDGES
    for label in ('x1(("x₁"))', 'v3["v₃ = ln(v₁)"]', 'v4["v₄ = v₁ · v₂"]', 'v7["v₇ = v₆ − v₅"]', 'f(("f"))'):
        assert label in mermaid
    assert "<br/>0.6931" in seed_list.to_mermaid()


def test_dot_names_every_node_and_edge_of_the_seed_graph(seed_list):
    dot = seed_list.to_dot()
    assert dot.startswith("digraph wengert {")
    nodes = set(re.findall(r'^\s+"(\w+)" \[', dot, flags=re.M))
    edges = set(re.findall(r'^\s+"(\w+)" -> "(\w+)";$', dot, flags=re.M))
    assert nodes == SEED_NODES
    assert edges == SEED_EDGES
    assert 'label="v₃ = ln(v₁)\\n0.6931"' in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_is_rendered_by_graphviz(seed_list):
    svg = seed_list.to_svg()
    assert "<svg" in svg and "ln(v" in svg
    assert seed_list._repr_svg_() == svg


def test_svg_without_graphviz_says_how_to_install(seed_list, monkeypatch):
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        seed_list.to_svg()
    assert seed_list._repr_svg_() is None


def test_json_and_html(seed_list):
    data = json.loads(seed_list.to_json())
    assert data["order"] == "levels"
    assert [entry["op"] for entry in data["entries"]] == ["input", "input", "log", "multiply", "sin", "add", "subtract"]
    assert data["entries"][3]["inputs"] == ["v1", "v2"]
    assert data["entries"][6]["value"] == pytest.approx(11.652071455223084)
    assert data["outputs"] == [{"name": "f", "id": "v7"}]
    constant = json.loads(trace(lambda x: x * 3.0, 1.0).to_json())
    assert constant["entries"][1]["inputs"] == ["v1", {"constant": 3.0}]
    page = seed_list._repr_html_()
    # In a notebook: the explorer page (issue 14), then the list and its tables as plain HTML.
    assert page.startswith("<iframe srcdoc=") and '<div class="wengert-trace"><div' in page
    assert '<table class="wengert">' in page
    assert "ln(v1)" in page
    assert "0.693147" in page
    assert "v̇1·v2 + v1·v̇2" in seed_list.forward_table("x1")._repr_html_()
    backward = seed_list.backward_table().to_dict()
    assert backward["gradient"] == {"x1": 5.5, "x2": pytest.approx(2 - COS5)}
    assert "| v̄2 += v̄4·v1 |" in seed_list.backward_table().to_markdown()


# -- studies ----------------------------------------------------------------------------------


def test_finite_difference_study_on_the_seed():
    study = finite_difference_study(lambda x: wnp.log(x) + x * 5.0 - wnp.sin(5.0), 2.0)
    assert study.exact == 5.5  # wengert's forward mode
    assert study.steps[0] == pytest.approx(1e-16) and study.steps[-1] == pytest.approx(1.0)
    sqrt_eps = math.sqrt(np.finfo(float).eps)
    assert sqrt_eps / 100 < study.forward_optimum < sqrt_eps * 100
    assert study.central_min_error < study.forward_min_error
    assert study.central_optimum > study.forward_optimum  # ε^(1/3) > ε^(1/2)
    assert "best step" in str(study)


def test_finite_difference_study_along_a_direction():
    x0 = np.array([0.3, -0.2])
    study = finite_difference_study(lambda x: wnp.sum(wnp.exp(x)), x0, direction=np.array([1.0, 0.0]))
    assert study.exact == pytest.approx(math.exp(0.3))
    assert study.forward_min_error < 1e-6


def test_study_plots_write_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    study = finite_difference_study(lambda x: wnp.log(x) + x * 5.0, 2.0, exact=5.5)
    for path in (
        study.plot(tmp_path / "fd.png"),
        mode_cost([1, 3], [1, 2], repeat=1).plot(tmp_path / "cost.png"),
    ):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_expression_swell_grows_symbolically_not_on_the_tape(tmp_path):
    pytest.importorskip("sympy")
    swell = expression_swell(5)
    assert [row.depth for row in swell.rows] == [1, 2, 3, 4, 5]
    symbolic = [row.symbolic_derivative for row in swell.rows]
    tape = [row.tape_derivative for row in swell.rows]
    assert all(later > 2.5 * earlier for earlier, later in zip(symbolic[1:], symbolic[2:]))  # exponential
    assert symbolic[-1] > 10 * tape[-1]
    steps = {b - a for a, b in zip(tape, tape[1:])}
    assert len(steps) == 1  # the tape of grad(f) grows by the same number of operations per layer
    assert [row.tape_function for row in swell.rows] == [3, 6, 9, 12, 15]  # 4·v·(1 − v): three per layer
    trig = expression_swell(2, step=lambda v, m: m.sin(v) * m.cos(v))
    assert trig.rows[-1].tape_function == 6
    pytest.importorskip("matplotlib")
    assert swell.plot(tmp_path / "swell.png").read_bytes()[:4] == b"\x89PNG"


def test_missing_extras_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(ImportError, match=r"wengert\[symbolic\]"):
        expression_swell(2)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    study = finite_difference_study(lambda x: x * x, 1.0)
    with pytest.raises(ImportError, match=r"wengert\[plot\]"):
        study.plot("unused.png")


def test_mode_cost_table():
    cost = mode_cost([2, 6], [1, 4], repeat=1)
    assert [(row.n, row.m) for row in cost.rows] == [(2, 1), (2, 4), (6, 1), (6, 4)]
    assert [(row.forward_passes, row.reverse_passes) for row in cost.rows] == [(2, 1), (2, 4), (6, 1), (6, 4)]
    assert all(row.max_difference < 1e-12 for row in cost.rows)
    assert all(row.forward_seconds > 0 and row.reverse_seconds > 0 for row in cost.rows)
    batched = mode_cost([3], [2], method="batched", repeat=1)
    assert batched.rows[0].max_difference < 1e-12
    assert "fwd passes" in str(cost)
    with pytest.raises(ValueError, match="method="):
        mode_cost([2], [2], method="symbolic")
    with pytest.raises(ValueError, match="n_values"):
        mode_cost([0], [2])
