"""``wengert explore`` in a real browser: Debian's Chromium driven by Playwright for Python.

For each preset: choose it, move a slider, step Forward to the end and read the
output node, step Backward to the end and read each input's amber gradient;
they must equal the engine's values to the digits shown and the analytic
derivatives. A refused expression shows its error. The static page opens from
disk with every request outside it blocked. Skipped, with the reason, only
where Playwright or a Chromium executable is missing.
"""

from __future__ import annotations

import math
import os
import shutil
import threading

import pytest

from wengert.explore import explore_expression, make_server, static_html
from wengert.explore.model import number_text
from wengert.explore.page import PRESETS

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)"
)


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium executable (apt-get install chromium; it lands at /usr/bin/chromium)"
)


def _analytic(expr: str, at: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The value and gradient of each preset, by hand."""
    if expr == "x*y + sin(x)":
        x, y = at["x"], at["y"]
        return x * y + math.sin(x), {"x": y + math.cos(x), "y": x}
    if expr == "tanh(w*x + b)":
        w, x, b = at["w"], at["x"], at["b"]
        t = math.tanh(w * x + b)
        return t, {"w": x * (1 - t * t), "x": w * (1 - t * t), "b": 1 - t * t}
    if expr == "x*sin(x)":
        x = at["x"]
        return x * math.sin(x), {"x": math.sin(x) + x * math.cos(x)}
    if expr == "ln(x1) + x1*x2 - sin(x2)":
        x1, x2 = at["x1"], at["x2"]
        return math.log(x1) + x1 * x2 - math.sin(x2), {"x1": 1 / x1 + x2, "x2": x1 - math.cos(x2)}
    raise KeyError(expr)


def _shown(value: float) -> str:
    """The engine's number as the page writes it (six significant digits, a true minus sign)."""
    return number_text(value).replace("-", "−")


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server():
    server = make_server(port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _offline_page(browser, allowed_prefix: str, outside: list[str]):
    """A page whose requests outside ``allowed_prefix`` are blocked and recorded."""
    context = browser.new_context(viewport={"width": 1600, "height": 900})

    def route(route_request):
        url = route_request.request.url
        if url.startswith(allowed_prefix):
            route_request.continue_()
        else:
            outside.append(url)
            route_request.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def _wait_ready(page, after: int) -> int:
    page.wait_for_function(
        f"document.body.dataset.busy === '0' && Number(document.body.dataset.version) > {after}", timeout=20_000
    )
    return int(page.evaluate("document.body.dataset.version"))


def _press_until_done(page, selector: str, limit: int = 200) -> int:
    presses = 0
    while page.is_enabled(selector):
        page.click(selector)
        presses += 1
        assert presses <= limit, f"{selector} never finished"
    return presses


def _point(page, model: dict) -> dict[str, float]:
    return {
        item["name"]: float(page.input_value(f'input[type=number][data-var="{item["name"]}"]'))
        for item in model["inputs"]
    }


def _check_finished_passes(page, expr: str, point: dict[str, float]) -> dict:
    """Forward to the end, then Backward to the end; every number equals the engine's and the analytic one."""
    engine = explore_expression(expr, point)
    value, gradient = _analytic(expr, point)
    steps = _press_until_done(page, "#btn-forward")
    assert steps == len(engine["forward_order"])
    shown = page.text_content('g.node[data-id="f"] .node-value').removeprefix("= ")
    assert shown == _shown(engine["output"]["value"])
    assert _number(shown) == pytest.approx(value, rel=1e-5, abs=1e-6)
    steps = _press_until_done(page, "#btn-backward")
    assert steps == len(engine["backward"])
    for item in engine["inputs"]:
        node = f'g.node[data-id="{item["id"]}"]'
        assert "has-gradient" in page.get_attribute(node, "class")
        shown = page.text_content(f"{node} .node-grad")
        assert shown == _shown(engine["gradient"][item["name"]]["value"])
        assert _number(shown) == pytest.approx(gradient[item["name"]], rel=1e-5, abs=1e-6)
        amber = page.eval_on_selector(f"{node} .node-grad", "e => getComputedStyle(e).fill")
        assert amber == "rgb(180, 83, 9)"  # the page's amber
        contributions = [step["contribution"]["value"] for step in engine["backward"] if step["to"] == item["id"]]
        terms = page.text_content(f"{node} .node-contribs")
        if len(contributions) > 1:  # a shared input: its contributions, summed
            for contribution in contributions:
                assert _shown(abs(contribution)) in terms
            assert terms.count(" + ") + terms.count(" − ") == len(contributions) - 1
    return engine


@pytest.mark.parametrize("index", range(len(PRESETS)), ids=[preset["expr"] for preset in PRESETS])
def test_preset_forward_backward_gradients(browser, server, index, tmp_path):
    outside: list[str] = []
    page = _offline_page(browser, server.url, outside)
    page.goto(server.url)
    version = _wait_ready(page, 0)
    preset = PRESETS[index]
    page.select_option("#preset", str(index))
    version = _wait_ready(page, version)
    assert page.input_value("#expr") == preset["expr"]
    # Move the first slider a few steps with the keyboard, as a student would drag it.
    first = list(preset["at"])[0]
    page.focus(f'input[type=range][data-var="{first}"]')
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    version = _wait_ready(page, version)
    model = explore_expression(preset["expr"], preset["at"])
    point = _point(page, model)
    assert point[first] != preset["at"][first]
    _check_finished_passes(page, preset["expr"], point)
    if index == len(PRESETS) - 1:
        shot = tmp_path / "explore-backward.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the finished backward pass: {shot}")
        assert shot.stat().st_size > 10_000
    assert page.errors == [] and outside == []
    page.context.close()


def test_forward_mode_shows_tangents_for_the_chosen_input(browser, server):
    page = _offline_page(browser, server.url, [])
    page.goto(server.url)
    version = _wait_ready(page, 0)
    page.select_option("#preset", str(len(PRESETS) - 1))  # the running example at (2, 5)
    _wait_ready(page, version)
    page.check("#forward-mode")
    page.select_option("#tangent-input", "x2")
    assert page.is_disabled("#btn-backward")
    _press_until_done(page, "#btn-forward")
    shown = page.text_content('g.node[data-id="f"] .node-tangent')
    assert shown == f"∂f/∂x2 = {_shown(2 - math.cos(5))}"
    rows = page.locator("#second-table tr[data-id]")
    assert rows.count() == 7
    assert page.text_content('#second-table tr[data-id="v1"] td.tangent') == "0"
    assert page.text_content('#second-table tr[data-id="v2"] td.tangent') == "1"
    assert page.errors == []
    page.context.close()


def test_refused_expression_shows_the_error_and_runs_nothing(browser, server, tmp_path):
    sentinel = tmp_path / "executed"
    page = _offline_page(browser, server.url, [])
    page.goto(server.url)
    version = _wait_ready(page, 0)
    for expr, words in (
        (f"__import__('os').system('touch {sentinel}')", "attribute access"),
        ("x.real + 1", "attribute access"),
        ("import os", "not a valid expression"),
    ):
        page.fill("#expr", expr)
        page.press("#expr", "Enter")
        version = _wait_ready(page, version)
        assert page.is_visible("#error")
        assert words in page.text_content("#error")
    assert not sentinel.exists()
    # A good expression afterwards clears the message.
    page.fill("#expr", "x*x")
    page.click("#btn-apply")
    _wait_ready(page, version)
    assert page.is_hidden("#error")
    assert page.errors == []
    page.context.close()


def test_static_page_from_disk_offline(browser, tmp_path):
    expr, point = "ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}
    target = tmp_path / "explore.html"
    target.write_text(static_html(explore_expression(expr, point)), encoding="utf-8")
    outside: list[str] = []
    page = _offline_page(browser, target.as_uri(), outside)
    page.goto(target.as_uri())
    _wait_ready(page, 0)
    assert page.is_visible("#static-note") and "precomputed" in page.text_content("#static-note")
    assert page.is_disabled('input[type=range][data-var="x1"]')
    engine = _check_finished_passes(page, expr, point)
    assert page.text_content('g.node[data-id="v1"] .node-grad') == "5.5"
    assert engine["gradient"]["x2"]["text"] == "1.71634"
    assert outside == [] and page.errors == []
    page.context.close()
