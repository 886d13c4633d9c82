"""``wengert explore``: the interactive computational graph, driven by the engine.

* `explore_expression`, `explore_function`: the JSON model of an expression or
  a function at a point (values, tangents, the backward pass's contributions
  in the engine's order, and a layout for the graph).
* `static_html`: a self-contained page for one expression at one point.
* `notebook_html`: that page in an ``<iframe srcdoc=...>`` for a notebook.
* `serve`: the local server behind ``wengert explore`` (127.0.0.1 only).
"""

from .model import ExplorerError, explore_expression, explore_function
from .page import notebook_html, static_html
from .server import make_server, serve

__all__ = [
    "ExplorerError",
    "explore_expression",
    "explore_function",
    "make_server",
    "notebook_html",
    "serve",
    "static_html",
]
