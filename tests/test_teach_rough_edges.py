"""Issue 14, point 4: the teaching tools' rough edges, found by trying them as a new user would.

All on the seeds' running example f(x1, x2) = ln x1 + x1·x2 − sin x2 at (2, 5):
value 11.652…, ∂f/∂x1 = 5.5, ∂f/∂x2 = 2 − cos 5 ≈ 1.716.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.cli import main
from wengert.teach import Table, trace
from wengert.teach.studies import CostRow, ModeCost, finite_difference_study
from wengert.teach.wengert_list import Tables

COS5 = math.cos(5.0)
SEED = "log(x1) + x1*x2 - sin(x2)"


def seed_f(x1, x2):
    return wnp.log(x1) + x1 * x2 - wnp.sin(x2)


@pytest.fixture
def seed_list():
    return wg.trace(seed_f, 2.0, 5.0)


def cli_text(capsys, *argv: str) -> str:
    assert main(["trace", *argv]) == 0
    return capsys.readouterr().out


# -- 1. the CLI and wg.trace number the list in the same order: the engine's ----------------------


def test_cli_and_wg_trace_default_to_the_same_order(capsys, seed_list):
    out = cli_text(capsys, SEED, "--at", "x1=2,x2=5")
    assert seed_list.order == "evaluation"
    # The same list, line for line, and the same tables, row for row.
    assert seed_list.to_text() in out
    assert seed_list.forward_table("x1").to_text() in out
    assert seed_list.forward_table("x2").to_text() in out
    assert seed_list.backward_table().to_text() in out
    listed = re.findall(r"^(v\d) = (.+?)\s+= ", out, flags=re.M)
    assert listed == [(entry.name, entry.expression()) for entry in seed_list]
    # Python evaluates ln x1 + x1·x2 before it reaches sin x2, and so does the engine's tape.
    assert [text for _, text in listed[2:]] == ["ln(v1)", "v1 · v2", "v3 + v4", "sin(v2)", "v5 − v6"]
    levels = cli_text(capsys, SEED, "--at", "x1=2,x2=5", "--order", "levels")
    assert wg.trace(seed_f, 2.0, 5.0, order="levels").to_text() in levels


def test_adjoint_rows_come_in_the_engine_backward_order(seed_list):
    rows = seed_list.backward_table().rows[1:-1]
    v2 = [row for row in rows if row.target == "v2"]
    v1 = [row for row in rows if row.target == "v1"]
    assert [row.value for row in v2] == pytest.approx([-COS5, 2 - COS5])  # v̄2 = −cos 5, then 2 − cos 5
    assert [row.value for row in v1] == pytest.approx([5.0, 5.5])  # v̄1 = 5, then 5.5
    assert [row.update for row in v2] == ["v̄2 += v̄6·cos(v2)", "v̄2 += v̄4·v1"]


# -- 2. forward_table() of several inputs: one table per input --------------------------------------


def test_forward_table_of_several_inputs_gives_one_table_per_input(seed_list):
    tables = seed_list.forward_table()
    assert isinstance(tables, Tables) and len(tables) == 2
    assert tables.keys == ["x1", "x2"]
    x1, x2 = tables
    assert isinstance(x1, Table) and tables["x2"] is x2 and tables[0] is x1
    assert [row.tangent for row in x1.rows] == pytest.approx([1, 0, 0.5, 5, 5.5, 0, 5.5, 5.5])
    assert [row.tangent for row in x2.rows] == pytest.approx([0, 1, 0, 2, 2, COS5, 2 - COS5, 2 - COS5])
    assert x1.rows[-1].rule == "∂f/∂x1 = v̇7" and x2.rows[-1].rule == "∂f/∂x2 = v̇7"
    assert tables.info["derivative"] == {"x1": {"f": pytest.approx(5.5)}, "x2": {"f": pytest.approx(2 - COS5)}}
    text = tables.to_text()
    assert text == x1.to_text() + "\n\n" + x2.to_text()
    assert "tangents v̇ = ∂v/∂x1" in text and "tangents v̇ = ∂v/∂x2" in text
    assert str(tables) == text
    assert "1.71634" in tables.to_markdown() and tables._repr_html_().count("<table") == 2
    data = tables.to_dict()
    assert data["tables"]["x2"]["rows"][-1]["tangent"] == pytest.approx(2 - COS5)
    with pytest.raises(KeyError, match="tables are for x1, x2"):
        tables["y"]
    with pytest.raises(ValueError, match="choose it with wrt="):
        seed_list.forward_table(tangent=1.0)
    # One input: still one table.
    assert isinstance(trace(lambda x: x * x, 3.0).forward_table(), Table)


# -- 3. Jupyter's HTML shows the list and the tables ----------------------------------------------


def test_html_shows_the_list_and_the_tangent_and_adjoint_tables(seed_list):
    page = seed_list._repr_html_()
    captions = re.findall(r"<caption>(.*?)</caption>", page)
    assert captions == [
        "Wengert list (evaluation order), trace(seed_f)",
        "Forward mode: tangents v̇ = ∂v/∂x1",
        "Forward mode: tangents v̇ = ∂v/∂x2",
        "Reverse mode: adjoints v̄ = ∂f/∂v",
    ]
    assert page.count("<table") == 4
    assert "v̇1·v2 + v1·v̇2" in page and "v̄2 += v̄4·v1" in page
    assert "1.71634" in page and "5.5" in page and "11.6521" in page


def test_html_after_backward_shows_the_list_and_says_why_no_tables():
    x = wg.tensor(2.0, requires_grad=True)
    y = wnp.sin(x) * x
    wl = wg.graph(y, names=["x"])
    y.backward()
    page = wl._repr_html_()
    assert page.count("<table") == 1 and "sin(v1)" in page and "retain_graph=True" in page


def test_html_of_several_outputs_has_an_adjoint_table_per_output():
    page = trace(lambda x: (x * x, wnp.sin(x)), 0.5)._repr_html_()
    captions = re.findall(r"<caption>(.*?)</caption>", page)
    assert captions[-2:] == ["Reverse mode: adjoints v̄ = ∂f1/∂v", "Reverse mode: adjoints v̄ = ∂f2/∂v"]


# -- 4. small arrays show their numbers ------------------------------------------------------------


def test_small_arrays_show_their_values_larger_ones_their_shape():
    wl = trace(lambda x: (x * x).sum(), np.array([1.0, 2.0, 3.0]))
    text = str(wl)
    assert "v1 = x" in text and "= [1, 2, 3]" in text and "= [1, 4, 9]" in text and "= 14" in text
    assert "float64" not in text
    backward = wl.backward_table()
    assert "[2, 4, 6]" in backward.to_text()  # the gradient 2x
    assert "[1, 2, 3]" in wl.forward_table().to_text()
    assert "[1, 2, 3]" in wl.to_dot()
    six = trace(lambda w: w * 2.0, np.arange(6.0).reshape(2, 3))
    assert "[[0, 1, 2], [3, 4, 5]]" in str(six)
    seven = trace(lambda x: x * 2.0, np.arange(7.0))
    assert "float64[7]" in str(seven) and "[0, 1" not in str(seven)


# -- 7. graphs annotated with values, tangents or adjoints ----------------------------------------


def _dot_labels(dot: str) -> dict[str, list[str]]:
    return {node: label.split("\\n") for node, label in re.findall(r'^\s+"(\w+)" \[label="(.*?)"', dot, flags=re.M)}


def test_dot_shows_tangents_for_the_chosen_input(seed_list):
    labels = _dot_labels(seed_list.to_dot(show="tangents", wrt="x2"))
    assert labels["x1"] == ["x₁", "x\u0307₁ = 0"] and labels["x2"] == ["x₂", "x\u0307₂ = 1"]
    assert labels["v6"] == ["v₆ = sin(v₂)", f"v̇₆ = {COS5:.4g}"]
    assert labels["v7"][1] == f"v̇₇ = {2 - COS5:.4g}"  # 1.716
    assert labels["f"] == ["f", f"∂f/∂x₂ = {2 - COS5:.4g}"]
    x1 = _dot_labels(seed_list.to_dot(show="tangents", wrt="x1"))
    assert x1["v3"][1] == "v̇₃ = 0.5" and x1["f"][1] == "∂f/∂x₁ = 5.5"
    assert 'label="tangents v̇ = ∂v/∂x₂"' in seed_list.to_dot(show="tangents", wrt="x2")


def test_dot_shows_adjoints_and_values_together(seed_list):
    labels = _dot_labels(seed_list.to_dot(show="adjoints"))
    assert labels["x1"] == ["x₁", "x̄₁ = 5.5"]
    assert labels["x2"] == ["x₂", f"x̄₂ = {2 - COS5:.4g}"]
    assert labels["v6"][1] == "v̄₆ = -1" and labels["v7"][1] == "v̄₇ = 1"
    both = _dot_labels(seed_list.to_dot(show=("values", "adjoints")))
    assert both["v7"] == ["v₇ = v₅ − v₆", "11.65", "v̄₇ = 1"]
    ascii = seed_list.to_dot(show="adjoints", ascii=True)
    assert ascii.isascii() and "xbar1 = 5.5" in ascii
    assert seed_list.adjoints() == pytest.approx(
        {"v1": 5.5, "v2": 2 - COS5, "v3": 1.0, "v4": 1.0, "v5": 1.0, "v6": -1.0, "v7": 1.0}
    )


def test_old_values_argument_still_works(seed_list):
    assert seed_list.to_dot() == seed_list.to_dot(values=True) == seed_list.to_dot(show="values")
    assert seed_list.to_dot(values=False) == seed_list.to_dot(show="none")
    assert _dot_labels(seed_list.to_dot(values=False))["v3"] == ["v₃ = ln(v₁)"]
    assert _dot_labels(seed_list.to_dot())["v3"] == ["v₃ = ln(v₁)", "0.6931"]
    assert seed_list.to_mermaid(values=False) == seed_list.to_mermaid(show="none")
    assert "x̄₁ = 5.5" in seed_list.to_mermaid(show="adjoints")


def test_show_arguments_are_checked(seed_list):
    with pytest.raises(ValueError, match="show='gradients': choose 'values', 'tangents'"):
        seed_list.to_dot(show="gradients")
    with pytest.raises(ValueError, match="choose one with wrt="):
        seed_list.to_dot(show="tangents")
    with pytest.raises(ValueError, match="pass show='tangents' as well"):
        seed_list.to_dot(wrt="x1")
    with pytest.raises(ValueError, match="not both"):
        seed_list.to_dot(values=False, show="adjoints")
    several = trace(lambda x: (x * x, wnp.sin(x)), 0.5)
    with pytest.raises(ValueError, match="choose one with output="):
        several.to_dot(show="adjoints")
    labels = _dot_labels(several.to_dot(show="adjoints", output="f2"))
    assert labels["x"][1] == f"x̄ = {math.cos(0.5):.4g}"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_shows_tangents_and_adjoints(seed_list, tmp_path):
    svg = seed_list.to_svg(show="tangents", wrt="x1")
    assert "<svg" in svg and "∂f/∂x₁ = 5.5" in svg and "v̇₃ = 0.5" in svg
    svg = seed_list.to_svg(show="adjoints")
    assert "x̄₁ = 5.5" in svg and "x̄₂ = 1.716" in svg
    assert "0.6931" in seed_list.to_svg() and "0.6931" not in seed_list.to_svg(values=False)
    # Graphviz reads the DOT it is given without complaint (it warns on standard error otherwise).
    result = subprocess.run(
        ["dot", "-Tsvg"], input=seed_list.to_dot(show=("values", "tangents"), wrt="x2").encode(), capture_output=True
    )
    assert result.returncode == 0 and result.stderr == b""


# -- 5. finite differences of a function with several outputs, component by component ----------


def test_finite_difference_study_of_a_vector_function_is_per_component():
    def f(x):  # the running example beside x1·x2, along x2 at (2, 5)
        return wnp.stack([wnp.log(x[0]) + x[0] * x[1] - wnp.sin(x[1]), x[0] * x[1]])

    study = finite_difference_study(f, np.array([2.0, 5.0]), direction=np.array([0.0, 1.0]))
    assert study.output_shape == (2,)
    np.testing.assert_allclose(study.exact, [2 - COS5, 2.0])
    assert study.forward_error.shape == study.central_error.shape == (len(study.steps), 2)
    first, second = study.component(0), study.component(1)
    assert first.exact == pytest.approx(2 - COS5) and second.exact == 2.0
    sqrt_eps = math.sqrt(np.finfo(float).eps)
    assert sqrt_eps / 100 < first.forward_optimum < sqrt_eps * 100
    assert first.central_min_error < first.forward_min_error < 1e-6
    assert second.forward_min_error < 1e-9  # x1·x2 is linear in x2: a difference is exact up to rounding
    # Each component's errors are those of the scalar study of that component.
    alone = finite_difference_study(lambda t: wnp.log(2.0) + 2.0 * t - wnp.sin(t), 5.0)
    assert alone.exact == pytest.approx(first.exact)
    np.testing.assert_allclose(study.forward_optimum, [first.forward_optimum, second.forward_optimum])
    assert "component [0]: exact derivative (wengert): 1.71633781" in str(study)
    assert "component [1]: exact derivative (wengert): 2" in str(study)
    with pytest.raises(IndexError, match=r"component 2 is not an index of the output's shape \(2,\)"):
        study.component(2)
    with pytest.raises(ValueError, match="the study itself"):
        alone.component(0)


def test_finite_difference_study_checks_exact_and_outputs():
    square_and_sine = lambda x: wnp.stack([x * x, wnp.sin(x)])  # noqa: E731
    study = finite_difference_study(square_and_sine, 0.5, exact=[1.0, math.cos(0.5)])
    assert study.component(1).central_min_error < 1e-9
    with pytest.raises(ValueError, match=r"exact has shape \(\) but the function's output has shape \(2,\)"):
        finite_difference_study(square_and_sine, 0.5, exact=1.0)
    with pytest.raises(TypeError, match="must return real numbers"):
        finite_difference_study(lambda x: "text", 0.5, exact=1.0)


def test_vector_study_plot(tmp_path):
    pytest.importorskip("matplotlib")
    study = finite_difference_study(lambda x: wnp.stack([x * x, wnp.sin(x)]), 0.5)
    assert study.plot(tmp_path / "fd.png").read_bytes()[:4] == b"\x89PNG"


# -- 6. the mode-cost figure's headline comes from the measurements --------------------------------


def _cost(*timings: tuple[int, int, float, float]) -> ModeCost:
    return ModeCost([CostRow(n, m, n, m, forward, reverse, 0.0) for n, m, forward, reverse in timings], "passes")


def test_mode_cost_headline_is_computed_from_the_measurements():
    cost = _cost((100, 1, 0.031, 0.010), (2, 8, 0.002, 0.005), (10, 10, 0.004, 0.004))
    assert cost.summary() == (
        "reverse mode was 3.1× faster than forward at n = 100, m = 1; "
        "forward mode was 2.5× faster than reverse at n = 2, m = 8"
    )
    assert [line.split()[-1] for line in str(cost).splitlines()[3:6]] == ["reverse", "forward", "tie"]
    # Data where forward mode always wins: the headline does not say reverse mode wins.
    forward_only = _cost((2, 8, 0.001, 0.004), (4, 8, 0.002, 0.004))
    assert forward_only.summary() == "forward mode was 4× faster than reverse at n = 2, m = 8"
    ties = _cost((4, 4, 0.010, 0.0102))
    assert ties.summary() == "forward and reverse mode took the same time within 5% at every n and m measured"
    pytest.importorskip("matplotlib")
    figure = cost.figure()
    headline = figure._suptitle.get_text()
    assert "reverse mode was 3.1× faster than forward at n = 100, m = 1" in headline
    assert "forward mode was 2.5× faster than reverse at n = 2, m = 8" in headline
    titles = [axes.get_title() for axes in figure.axes]
    assert "Forward mode grows with n, reverse with m" not in titles
    assert "reverse mode was" not in forward_only.figure()._suptitle.get_text()
