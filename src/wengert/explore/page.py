"""The explorer's page: served by `wengert.explore.server`, or written self-contained for one expression.

The page is ``static/explore.html`` with the stylesheet and script it links
(``explore.css``, ``explore.js``). The server's page loads them from
``/static/``; the static page (`static_html`) inlines them and the model, so it
opens from disk with no network and no server (its sliders are disabled: the
values are precomputed).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"

# The seed's three widgets and the running example; ranges keep ln's argument positive.
PRESETS: list[dict[str, Any]] = [
    {
        "name": "x·y + sin x  (x feeds two consumers)",
        "expr": "x*y + sin(x)",
        "at": {"x": 1.0, "y": 2.0},
        "ranges": {"x": [-3.0, 3.0], "y": [-3.0, 3.0]},
    },
    {
        "name": "tanh(w·x + b)  (a neuron)",
        "expr": "tanh(w*x + b)",
        "at": {"w": 0.5, "x": 1.5, "b": -0.25},
        "ranges": {"w": [-2.0, 2.0], "x": [-2.0, 2.0], "b": [-2.0, 2.0]},
    },
    {
        "name": "x·sin x  (x used twice)",
        "expr": "x*sin(x)",
        "at": {"x": 2.0},
        "ranges": {"x": [-4.0, 4.0]},
    },
    {
        "name": "ln x1 + x1·x2 − sin x2  (the running example)",
        "expr": "ln(x1) + x1*x2 - sin(x2)",
        "at": {"x1": 2.0, "x2": 5.0},
        "ranges": {"x1": [0.1, 5.0], "x2": [0.0, 8.0]},
    },
]


def asset(name: str) -> str:
    """The text of one of the page's files (``explore.html``, ``explore.css``, ``explore.js``).

    Example:
        >>> "<svg" in asset("explore.html") or "svg" in asset("explore.js")
        True
    """
    return (STATIC / name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can end it early)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_html(config: dict[str, Any], inline: bool) -> str:
    """The page with its configuration; ``inline`` puts the stylesheet and script in the page itself.

    Example:
        >>> "/static/explore.js" in page_html({"mode": "server"}, inline=False)
        True
    """
    template = asset("explore.html")
    if inline:
        style = "<style>\n" + asset("explore.css") + "\n</style>"
        script = "<script>\n" + asset("explore.js").replace("</script", "<\\/script") + "\n</script>"
    else:
        style = '<link rel="stylesheet" href="/static/explore.css">'
        script = '<script src="/static/explore.js"></script>'
    config_tag = f'<script id="explore-config" type="application/json">{_script_json(config)}</script>'
    return template.replace("<!--STYLE-->", style).replace("<!--CONFIG-->", config_tag).replace("<!--SCRIPT-->", script)


def server_page(expr: str | None = None, at: dict[str, float] | None = None) -> str:
    """The page the server sends: presets, and the expression to start with (the running example by default)."""
    start = {"expr": expr, "at": at or {}} if expr else {"preset": len(PRESETS) - 1}
    return page_html({"mode": "server", "presets": PRESETS, "start": start}, inline=False)


def static_html(model: dict[str, Any]) -> str:
    """A self-contained page for one model (`explore_expression`): stylesheet, script and values inlined.

    Example:
        >>> from wengert.explore import explore_expression
        >>> page = static_html(explore_expression("x*sin(x)", {"x": 2.0}, layout="layered"))
        >>> page.startswith("<!DOCTYPE html>"), "http" in page.split("<body", 1)[1].replace("http://www.w3.org", "")
        (True, False)
    """
    if "error" in model:
        raise ValueError(f"no page for a refused expression: {model['error']}")
    return page_html({"mode": "static", "model": model}, inline=True)


def notebook_html(
    function_or_expression: Callable[..., Any] | str,
    *args: Any,
    at: Any = None,
    names: Any = None,
    height: int = 640,
) -> str:
    """The static explorer page in an ``<iframe srcdoc=...>``, for a notebook cell (no server needed).

    Give an expression and its point (``at="x1=2,x2=5"`` or a dict), or a
    function and its arguments, as to ``wg.trace``.

    Example:
        >>> cell = notebook_html("ln(x1) + x1*x2 - sin(x2)", at="x1=2,x2=5")
        >>> cell.startswith("<iframe srcdoc=")
        True
    """
    from .model import explore_expression, explore_function

    if isinstance(function_or_expression, str):
        if args:
            raise TypeError("give an expression's point with at= (as in at='x1=2,x2=5'), not positional arguments")
        model = explore_expression(function_or_expression, at)
    elif callable(function_or_expression):
        if at is not None:
            raise TypeError("a function takes its point as positional arguments, as wg.trace(f, 2.0, 5.0)")
        model = explore_function(function_or_expression, *args, names=names)
    else:
        raise TypeError(
            f"notebook_html needs an expression (a string) or a function, got {type(function_or_expression).__name__}"
        )
    page = static_html(model)
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width: 100%; height: {int(height)}px; '
        'border: 1px solid #d0d7de; border-radius: 6px;" sandbox="allow-scripts"></iframe>'
    )
