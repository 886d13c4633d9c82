"""``wengert explore``: the engine's JSON model, the layouts, the local server and the command line."""

from __future__ import annotations

import html
import http.client
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import pytest

import wengert as wg
from wengert.explore import explore_expression, explore_function, make_server, notebook_html, static_html
from wengert.explore.layout import graph_layout, layered_layout
from wengert.explore.server import MAX_BODY
from wengert.teach.expression import parse_expression

RUNNING = "ln(x1) + x1*x2 - sin(x2)"


def _adjoints_of(model: dict, input_name: str) -> list[float]:
    """The running adjoint of an input's node after each contribution it receives, in the engine's order."""
    node = next(item["id"] for item in model["inputs"] if item["name"] == input_name)
    return [step["adjoint"]["value"] for step in model["backward"] if step["to"] == node]


def _contributions_of(model: dict, input_name: str) -> list[float]:
    node = next(item["id"] for item in model["inputs"] if item["name"] == input_name)
    return [step["contribution"]["value"] for step in model["backward"] if step["to"] == node]


# -- the model --------------------------------------------------------------------------------


def test_running_example_values_gradient_and_running_adjoints():
    model = explore_expression(RUNNING, "x1=2,x2=5")
    assert model["output"]["value"] == pytest.approx(math.log(2) + 10 - math.sin(5), abs=1e-14)
    assert model["output"]["text"] == "11.6521"
    assert model["gradient"]["x1"]["value"] == pytest.approx(5.5, abs=1e-14)
    assert model["gradient"]["x2"]["value"] == pytest.approx(2 - math.cos(5), abs=1e-14)
    # v̄2 (x2) goes −cos 5 then 2 − cos 5; v̄1 (x1) goes 5 then 5.5, in the order the engine adds them.
    assert _adjoints_of(model, "x2") == pytest.approx([-math.cos(5), 2 - math.cos(5)], abs=1e-14)
    assert _adjoints_of(model, "x1") == pytest.approx([5.0, 5.5], abs=1e-14)
    # Every fan-out contribution is marked as one, and the sum of an input's contributions is its gradient.
    for name in ("x1", "x2"):
        assert sum(_contributions_of(model, name)) == pytest.approx(model["gradient"][name]["value"], abs=1e-14)
        node = next(item["id"] for item in model["inputs"] if item["name"] == name)
        assert all(step["accumulate"] for step in model["backward"] if step["to"] == node)


def test_model_is_the_engines_trace():
    """The nodes, their order and the contributions are those of wg.trace's list and backward table."""
    variables = ["x1", "x2"]
    function = parse_expression(RUNNING, variables).function("evaluation")
    wl = wg.trace(function, 2.0, 5.0, names=variables, order="evaluation")
    model = explore_expression(RUNNING, {"x1": 2.0, "x2": 5.0})
    assert model["forward_order"] == [entry.name for entry in wl.entries]
    assert [node["value"] for node in model["nodes"]] == [float(entry.value) for entry in wl.entries]
    rows = wl.backward_table().rows[1:-1]
    assert [(step["from"], step["to"], step["contribution"]["value"]) for step in model["backward"][1:]] == [
        (row.source, row.target, float(row.contribution)) for row in rows
    ]
    assert model["backward"][0]["adjoint"]["value"] == 1.0  # the seed of the output's adjoint
    # Each contribution travels along an edge from the receiving node to the contributing one.
    edges = {edge["id"]: edge for edge in model["edges"]}
    for step in model["backward"][1:]:
        edge = edges[step["edge"]]
        assert (edge["from"], edge["to"]) == (step["to"], step["from"])


def test_gradient_equals_grad_and_tangents_equal_gradient():
    function = parse_expression(RUNNING, ["x1", "x2"]).function()
    expected = wg.grad(function, argnums=(0, 1))(2.0, 5.0)
    model = explore_expression(RUNNING, "x1=2,x2=5")
    for name, value in zip(("x1", "x2"), expected):
        assert model["gradient"][name]["value"] == pytest.approx(float(value), abs=1e-14)
        assert model["tangents"][name]["derivative"]["value"] == pytest.approx(float(value), abs=1e-14)
    seeds = {row["id"]: row["value"] for row in model["tangents"]["x1"]["rows"]}
    assert seeds["v1"] == 1.0 and seeds["v2"] == 0.0


@pytest.mark.parametrize(
    ("expr", "at", "gradient"),
    [
        ("x*y + sin(x)", {"x": 0.7, "y": -1.3}, {"x": -1.3 + math.cos(0.7), "y": 0.7}),
        (
            "tanh(w*x + b)",
            {"w": 0.5, "x": 1.5, "b": -0.25},
            {
                "w": 1.5 * (1 - math.tanh(0.5) ** 2),
                "x": 0.5 * (1 - math.tanh(0.5) ** 2),
                "b": 1 - math.tanh(0.5) ** 2,
            },
        ),
        ("x*sin(x)", {"x": 2.0}, {"x": math.sin(2.0) + 2.0 * math.cos(2.0)}),
    ],
)
def test_presets_match_the_analytic_derivatives(expr, at, gradient):
    model = explore_expression(expr, at)
    for name, value in gradient.items():
        assert model["gradient"][name]["value"] == pytest.approx(value, rel=1e-13, abs=1e-14)
        assert model["tangents"][name]["derivative"]["value"] == pytest.approx(value, rel=1e-13, abs=1e-14)


def test_shared_input_receives_two_contributions():
    model = explore_expression("x*sin(x)", {"x": 2.0})
    assert _contributions_of(model, "x") == pytest.approx([math.sin(2.0), 2.0 * math.cos(2.0)], abs=1e-14) or (
        _contributions_of(model, "x") == pytest.approx([2.0 * math.cos(2.0), math.sin(2.0)], abs=1e-14)
    )
    # x·x: two edges from the same node, each carrying one contribution.
    square = explore_expression("x*x", {"x": 3.0})
    carried = [step["edge"] for step in square["backward"][1:]]
    assert len(carried) == 2 and len(set(carried)) == 2
    assert _adjoints_of(square, "x") == [3.0, 6.0]


def test_missing_variables_take_the_default_and_constants_are_operands():
    model = explore_expression("x*sin(x) + 2", None)
    assert model["inputs"][0]["value"] == 1.0
    add = model["nodes"][-1]
    assert add["inputs"][1] == {"constant": 2.0, "text": "2"}


def test_explore_function_traces_a_python_function():
    import wengert.numpy as wnp

    model = explore_function(lambda a, b: wnp.exp(a) * b, 0.0, 3.0)
    assert [item["name"] for item in model["inputs"]] == ["a", "b"]
    assert model["gradient"]["a"]["value"] == pytest.approx(3.0) and model["gradient"]["b"]["value"] == 1.0


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("__import__('os').system('touch {sentinel}')", "attribute access"),
        ("import os", "not a valid expression"),
        ("x.real", "attribute access"),
        ("open('{sentinel}', 'w')", "calling 'open'"),
        ("(lambda: 1)()", "calling the result"),
        ("", "empty"),
    ],
)
def test_refused_expressions_execute_nothing(tmp_path, expr, words):
    from wengert.teach.expression import ExpressionError

    sentinel = tmp_path / "executed"
    with pytest.raises(ExpressionError, match=re.escape(words)):
        explore_expression(expr.format(sentinel=sentinel), {})
    assert not sentinel.exists()


def test_bad_points_are_named():
    from wengert.explore import ExplorerError

    with pytest.raises(ExplorerError, match="y is not in the expression"):
        explore_expression("x*2", {"x": 1.0, "y": 2.0})
    with pytest.raises(ExplorerError, match="must be a number"):
        explore_expression("x*2", {"x": "one"})
    with pytest.raises(ExplorerError, match="no variables"):
        explore_expression("2*3", {})


def test_domain_errors_give_notes_not_failures():
    model = explore_expression("ln(x)", {"x": -1.0})
    assert model["output"]["value"] == "nan"
    assert any("log" in note for note in model["notes"])
    json.dumps(model, allow_nan=False)  # the model is valid JSON (no NaN literals)


# -- layouts --------------------------------------------------------------------------------------


def _overlaps(layout: dict) -> list[tuple[str, str]]:
    boxes = list(layout["nodes"].items())
    clashes = []
    for k, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[k + 1 :]:
            if (
                abs(box_a["x"] - box_b["x"]) * 2 < box_a["width"] + box_b["width"]
                and abs(box_a["y"] - box_b["y"]) * 2 < box_a["height"] + box_b["height"]
            ):
                clashes.append((a, b))
    return clashes


BIG = " + ".join(f"sin(x{k % 4}*x{(k + 1) % 4})" for k in range(12))  # 40 operations on 4 inputs


@pytest.mark.parametrize("engine", ["layered", "dot"])
def test_layouts_place_every_node_and_edge_without_overlap(engine):
    if engine == "dot" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    for expr in (RUNNING, "x*x", BIG):
        model = explore_expression(expr, None, layout=engine)
        layout = model["layout"]
        assert layout["engine"] == engine
        assert set(layout["nodes"]) == {node["id"] for node in model["nodes"]} | {model["output"]["id"]}
        assert set(layout["edges"]) == {edge["id"] for edge in model["edges"]}
        assert _overlaps(layout) == []
        # Data flows left to right: every edge starts left of where it ends.
        for edge in model["edges"]:
            assert layout["nodes"][edge["from"]]["x"] < layout["nodes"][edge["to"]]["x"]
    assert len(explore_expression(BIG, None)["nodes"]) == 4 + 12 * 2 + 11


def test_layered_layout_is_used_without_dot(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    model = explore_expression(RUNNING, "x1=2,x2=5")
    assert model["layout"]["engine"] == "layered"
    with pytest.raises(FileNotFoundError, match="dot"):
        graph_layout(model, engine="dot")
    assert layered_layout(model)["nodes"].keys() == model["layout"]["nodes"].keys()


# -- the server ---------------------------------------------------------------------------------


@pytest.fixture
def server():
    server = make_server(port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def _trace(server, expr, at=None):
    body = json.dumps({"expr": expr, "at": at or {}}).encode()
    status, _, data = _request(server, "POST", "/api/trace", body, {"Content-Type": "application/json"})
    return status, json.loads(data)


def test_server_binds_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")


def test_server_serves_the_page_and_its_files(server):
    status, content_type, page = _request(server, "GET", "/")
    assert status == 200 and content_type.startswith("text/html")
    assert b"explore-config" in page and b"/static/explore.js" in page
    for name, kind in (("explore.js", "text/javascript"), ("explore.css", "text/css")):
        status, content_type, _ = _request(server, "GET", f"/static/{name}")
        assert status == 200 and content_type.startswith(kind)
    for path in ("/static/../model.py", "/static/%2e%2e/model.py", "/static/.hidden", "/nothing"):
        assert _request(server, "GET", path)[0] == 404


def test_server_page_starts_with_the_command_lines_expression():
    server = make_server(port=0, expr=RUNNING, at={"x1": 2.0, "x2": 5.0})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        page = _request(server, "GET", "/")[2].decode()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    config = json.loads(re.search(r'<script id="explore-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["mode"] == "server" and config["start"] == {"expr": RUNNING, "at": {"x1": 2.0, "x2": 5.0}}


def test_server_answers_the_engines_model(server):
    status, model = _trace(server, RUNNING, {"x1": 2, "x2": 5})
    assert status == 200
    assert model == json.loads(json.dumps(explore_expression(RUNNING, "x1=2,x2=5")))
    assert model["gradient"]["x2"]["value"] == pytest.approx(2 - math.cos(5), abs=1e-14)


def test_server_refuses_large_bodies_with_413(server):
    body = json.dumps({"expr": "x" + " + x" * MAX_BODY, "at": {}}).encode()
    status, _, data = _request(server, "POST", "/api/trace", body)
    assert status == 413 and "at most" in json.loads(data)["error"]
    assert _trace(server, "x*x", {"x": 2})[0] == 200  # still serving


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"expr": 3}', b""])
def test_server_answers_malformed_requests_with_400_and_keeps_serving(server, body):
    status, _, data = _request(server, "POST", "/api/trace", body, {"Content-Type": "application/json"})
    assert status == 400 and json.loads(data)["error"]
    status, model = _trace(server, "x*sin(x)", {"x": 2.0})
    assert status == 200 and model["gradient"]["x"]["value"] == pytest.approx(math.sin(2) + 2 * math.cos(2))


def test_server_refuses_expressions_and_executes_nothing(server, tmp_path):
    sentinel = tmp_path / "executed"
    for expr in (
        f"__import__('os').system('touch {sentinel}')",
        f"open('{sentinel}', 'w')",
        "x.__class__",
        "import os",
    ):
        status, answer = _trace(server, expr)
        assert status == 422 and set(answer) == {"error"}
        assert "not allowed" in answer["error"] or "not a valid expression" in answer["error"]
    assert not sentinel.exists()


# -- the command line, the static page, the notebook ----------------------------------------------------


def test_cli_html_writes_a_self_contained_page(tmp_path):
    from wengert.cli import main

    target = tmp_path / "page.html"
    assert main(["explore", "--html", str(target), RUNNING, "--at", "x1=2,x2=5"]) == 0
    page = target.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page
    body = page.split("<body", 1)[1].replace("http://www.w3.org/2000/svg", "")
    assert "http://" not in body and "https://" not in body
    config = re.search(r'<script id="explore-config" type="application/json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(config)["model"]["gradient"]["x1"]["value"] == 5.5


def test_cli_refuses_with_a_message(tmp_path, capsys):
    from wengert.cli import main

    target = tmp_path / "page.html"
    assert main(["explore", "--html", str(target), "__import__('os').getcwd()", "--at", "x=1"]) == 2
    assert "attribute access" in capsys.readouterr().err and not target.exists()
    assert main(["explore", "--html", str(target)]) == 2
    assert "needs an expression" in capsys.readouterr().err


def test_static_page_refuses_an_error_model():
    with pytest.raises(ValueError, match="refused"):
        static_html({"error": "attribute access is not allowed"})


def test_notebook_html_is_an_iframe_with_the_static_page():
    import wengert.numpy as wnp

    cell = notebook_html(RUNNING, at="x1=2,x2=5")
    assert cell.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in cell
    page = html.unescape(re.search(r'srcdoc="(.*?)" style', cell, re.S).group(1))
    assert page.startswith("<!DOCTYPE html>") and '"mode": "static"' in page
    cell = notebook_html(lambda x: wnp.sin(x) * x, 2.0)
    assert "srcdoc" in cell
    with pytest.raises(TypeError, match="at="):
        notebook_html(RUNNING, 2.0)
    with pytest.raises(TypeError, match="expression"):
        notebook_html(3.0)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_stops_the_server_cleanly():
    process = subprocess.Popen(
        [sys.executable, "-m", "wengert", "explore", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
