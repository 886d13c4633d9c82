"""``wengert trace``: the seed's tables from the command line, and the refusals of its expression parser."""

from __future__ import annotations

import ast
import inspect
import json
import shutil
import subprocess
import sys

import pytest

from wengert.cli import main
from wengert.teach import expression as expression_module
from wengert.teach.expression import ExpressionError, parse_expression

SEED = "log(x1) + x1*x2 - sin(x2)"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["trace", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_trace_prints_the_seed_list_and_tables(capsys):
    status, out, err = run(capsys, SEED, "--at", "x1=2,x2=5")
    assert status == 0 and err == ""
    for line in ("v3 = ln(v1)", "v4 = v1 · v2", "v5 = v3 + v4", "v6 = sin(v2)", "v7 = v5 − v6"):
        assert line in out  # the engine's order, as wg.trace records Python's evaluation
    assert "tangents v̇ = ∂v/∂x1" in out and "tangents v̇ = ∂v/∂x2" in out
    assert "v̇1·v2 + v1·v̇2" in out
    assert "v̄2 += v̄6·cos(v2)" in out and "v̄2 += v̄4·v1" in out and "v̄1 += v̄3 / v1" in out
    assert "gradient: ∂f/∂x1 = 5.5, ∂f/∂x2 = 1.716337815" in out


def test_trace_options(capsys, tmp_path):
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--wrt", "x1")
    assert status == 0 and "∂v/∂x1" in out and "∂v/∂x2" not in out
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--ascii")
    assert status == 0 and out.isascii() and "vdot1*v2 + v1*vdot2" in out
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--order", "levels")
    assert status == 0 and "v5 = sin(v2)" in out and "v6 = v3 + v4" in out and "v7 = v6 − v5" in out
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "mermaid")
    assert status == 0 and out.startswith("flowchart LR") and "x2 --> v6" in out
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "dot")
    assert status == 0 and out.startswith("digraph") and '"v5" -> "v7";' in out
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "json")
    data = json.loads(out)
    assert data["gradient"] == {"x1": 5.5, "x2": pytest.approx(1.7163378145367738)}
    # v5 = v3 + v4 before v6 = sin(v2): the engine's order.
    assert [row["tangent"] for row in data["forward"]["x1"]["rows"]] == pytest.approx([1, 0, 0.5, 5, 5.5, 0, 5.5, 5.5])
    target = tmp_path / "graph.mmd"
    status, out, err = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "mermaid", "--output", str(target))
    assert status == 0 and out == "" and "wrote" in err
    assert target.read_text(encoding="utf-8").startswith("flowchart LR")


def test_trace_svg(capsys, monkeypatch):
    if shutil.which("dot") is not None:
        status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "svg")
        assert status == 0 and "<svg" in out
    monkeypatch.setattr("wengert.teach.render.shutil.which", lambda name: None)
    status, out, err = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "svg")
    assert status == 1 and out == "" and "Install Graphviz" in err


def test_the_seeds_other_expressions(capsys):
    status, out, _ = run(capsys, "x1**2 + x2", "--at", "x1=2,x2=3")
    assert status == 0 and "v3 = v1²" in out and "∂f/∂x1 = 4, ∂f/∂x2 = 1" in out
    status, out, _ = run(capsys, "sin(x**2) + exp(x)", "--at", "x=1", "--order", "evaluation")
    assert status == 0 and "v3 = sin(v2)" in out and "v4 = exp(v1)" in out
    assert "∂f/∂x = 3.798886" in out  # 2·cos(1) + e


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "calling '__import__'"),
        ("__import__('os').system('true')", "attribute access"),
        ("x1.real", "attribute access 'x1.real'"),
        ("(lambda: 1)()", "calling the result of an expression"),
        ("(lambda y: y)(x1)", "calling the result of an expression"),
        ("lambda: x1", "lambda expressions"),
        ("[x1 for x1 in (1, 2)]", "list comprehensions"),
        ("sum(x for x in (1, 2))", "calling 'sum'"),
        ("{x1: 1 for x1 in (1,)}", "dict comprehensions"),
        ("y + 1", "unknown name 'y'"),
        ("x1[0]", "subscripts"),
        ("x1 if x2 else 1", "conditional expressions"),
        ("x1 // 2", "the operator '//'"),
        ("'a' * x1", "the str constant"),
        ("sin", "using the function 'sin' without calling it"),
        ("sin(x1, x2)", "'sin' takes 1 argument, got 2"),
        ("sin(x=x1)", "keyword arguments"),
        ("x1 +", "not a valid expression"),
        ("x1 < x2", "comparisons"),
    ],
)
def test_refused_expressions(capsys, expression, message):
    status, out, err = run(capsys, expression, "--at", "x1=2,x2=5")
    assert status == 2 and out == ""
    assert message in err, err
    assert err.startswith("wengert trace: ")


@pytest.mark.parametrize(
    ("at", "message"),
    [("x1", "name=number"), ("x1=two", "is not a number"), ("x1=1,x1=2", "given twice"), ("sin=1", "function")],
)
def test_bad_points(capsys, at, message):
    status, _, err = run(capsys, "x1 + 1", "--at", at)
    assert status == 2 and message in err


def test_bad_wrt(capsys):
    status, _, err = run(capsys, SEED, "--at", "x1=2,x2=5", "--wrt", "x3")
    assert status == 2 and "--wrt x3" in err


def test_parser_evaluates_without_eval():
    tree = ast.parse(inspect.getsource(expression_module))
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}
    f = parse_expression("-x**2 + pi + 2*e - ln(x)", ["x"]).function()
    assert f(1.0) == pytest.approx(-1 + 3.141592653589793 + 2 * 2.718281828459045)
    with pytest.raises(ExpressionError, match="empty"):
        parse_expression("  ", ["x"])


def test_console_script_as_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "wengert.cli", "trace", SEED, "--at", "x1=2,x2=5", "--ascii"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "v7 = v5 - v6" in result.stdout and "df/dx1 = 5.5" in result.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "wengert.cli", "trace", "__import__('os')", "--at", "x1=2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "__import__" in refused.stderr


def test_the_evaluator_records_the_tape_in_level_order():
    from wengert.teach import trace

    levels = parse_expression(SEED, ["x1", "x2"]).function("levels")
    recorded = trace(levels, 2.0, 5.0, order="evaluation")  # the tape as recorded, not re-scheduled
    assert [entry.expression() for entry in recorded.operations] == [
        "ln(v1)",
        "v1 · v2",
        "sin(v2)",
        "v3 + v4",
        "v6 − v5",
    ]
    python_order = parse_expression(SEED, ["x1", "x2"]).function("evaluation")
    assert [entry.primitive for entry in trace(python_order, 2.0, 5.0).operations] == [
        "log",
        "multiply",
        "add",
        "sin",
        "subtract",
    ]


def test_format_python_prints_the_generated_derivative_program(capsys):
    import math

    assert main(["trace", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--format", "python"]) == 0
    text = capsys.readouterr().out
    compile(text, "<generated>", "exec")
    assert "def f_floats(v1, v2):" in text and "    v3 = math.log(v1)" in text and "def f(v1, v2):" in text
    # The Python-float version stands alone: run it and read the seed's numbers.
    floats_source = text[text.index("def f_floats") : text.index("\n\n\ndef f(")]
    namespace = {"math": math}
    exec(floats_source, namespace)
    value, d_x1, d_x2 = namespace["f_floats"](2.0, 5.0)
    assert value == pytest.approx(11.652071455223084, rel=1e-15)
    assert d_x1 == pytest.approx(5.5, rel=1e-15) and d_x2 == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)


def test_graph_formats_show_tangents_or_adjoints(capsys):
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "dot", "--show", "tangents", "--wrt", "x2")
    assert status == 0 and "∂f/∂x₂ = 1.716" in out and "v̇₆ = 0.2837" in out  # cos 5
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "mermaid", "--show", "adjoints")
    assert status == 0 and "x̄₁ = 5.5" in out and "x̄₂ = 1.716" in out
    status, out, _ = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "dot", "--wrt", "x1")
    assert status == 0 and "0.6931" in out and "v̇" not in out  # --wrt alone keeps the values
    status, out, err = run(capsys, SEED, "--at", "x1=2,x2=5", "--format", "dot", "--show", "tangents")
    assert status == 2 and out == "" and "--show tangents: choose the input with --wrt (x1, x2)" in err
    status, out, _ = run(capsys, "sin(x)", "--at", "x=0", "--format", "dot", "--show", "tangents")
    assert status == 0 and "∂f/∂x = 1" in out
