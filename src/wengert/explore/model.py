"""The explorer's JSON model of one expression at one point, read off the engine's trace.

Everything the page shows is here, computed by the engine: the Wengert list
(`wengert.teach.trace`), the values, the tangents of the forward interpreter
for a seed on each input, and the backward pass as the ordered list of the
contributions the engine's `backward_pass` made, each with the running adjoint
after it. The page only draws and steps through this data; it computes nothing.
"""

from __future__ import annotations

import ast
import math
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core import primal_value
from ..teach.expression import CONSTANTS, FUNCTIONS, MAX_DEPTH, MAX_LENGTH, ExpressionError, parse_expression
from .layout import graph_layout

# At most this many primitive applications: the page is for reading, not for large programs.
MAX_OPERATIONS = 200
DIGITS = 6
ORDER = "evaluation"  # as `wengert trace` and `wg.trace` number the list: the order the program ran

# One trace at a time: the engine's tracing state is shared by the server's threads.
_ENGINE_LOCK = threading.Lock()

_SYMBOLS = {
    "add": "+",
    "subtract": "−",
    "multiply": "×",
    "divide": "÷",
    "negative": "−",
    "power": "^",
    "square": "x²",
    "log": "ln",
    "reciprocal": "1/x",
    "abs": "|x|",
}


class ExplorerError(ValueError):
    """A request the explorer refuses (the message says what is wrong)."""


# -- numbers as the page shows them ---------------------------------------------------------


def number_json(value: Any) -> Any:
    """A value for JSON: a float, a nested list for a small array, ``"nan"``/``"inf"`` for non-finite numbers.

    Example:
        >>> number_json(np.float64(2.5)), number_json(float("nan")), number_json(np.array([1.0, -np.inf]))
        (2.5, 'nan', [1.0, '-inf'])
    """
    if value is None:
        return None
    if isinstance(value, tuple):
        return [number_json(item) for item in value]
    array = np.asarray(primal_value(value))
    if array.ndim == 0:
        number = float(array)
        return number if math.isfinite(number) else repr(number)
    if array.size > 100:
        return None
    return [number_json(item) for item in array]


def number_text(value: Any, digits: int = DIGITS) -> str:
    """A value as the page shows it: ``6`` significant digits, ``[1, 2, 3]`` for a small array.

    Example:
        >>> number_text(11.652071455223084), number_text(-0.0), number_text(np.array([1.0, 2.5]))
        ('11.6521', '0', '[1, 2.5]')
    """
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return "(" + ", ".join(number_text(item, digits) for item in value) + ")"
    array = np.asarray(primal_value(value))
    if array.ndim == 0:
        number = float(array)
        if number == 0.0:
            return "0"
        return f"{number:.{digits}g}"
    if array.size > 6:
        return f"{array.dtype}[{'×'.join(str(n) for n in array.shape)}]"
    return "[" + ", ".join(number_text(item, digits) for item in array.ravel()) + "]"


def _number(value: Any) -> dict[str, Any]:
    return {"value": number_json(value), "text": number_text(value)}


# -- variables of an expression --------------------------------------------------------------


def expression_variables(source: str) -> list[str]:
    """The variable names an expression reads, in order of first appearance (functions and constants excluded).

    Nothing is evaluated: the source is only parsed; `parse_expression` then checks it.

    Example:
        >>> expression_variables("ln(x1) + x1*x2 - sin(x2)")
        ['x1', 'x2']
    """
    if not isinstance(source, str):
        raise ExpressionError(f"the expression must be a string, got {type(source).__name__}")
    if len(source) > MAX_LENGTH or source.count("(") > MAX_DEPTH:
        parse_expression(source, [])  # raises the parser's own message about the bound
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        parse_expression(source, [])  # raises the parser's own message
        raise ExpressionError("not a valid expression") from None
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and id(node) not in called and node.id not in (*FUNCTIONS, *CONSTANTS)
    ]
    names.sort(key=lambda node: (node.lineno, node.col_offset))
    ordered: list[str] = []
    for node in names:
        if node.id not in ordered:
            ordered.append(node.id)
    return ordered


def parse_point(at: Any) -> dict[str, float]:
    """The point: ``"x1=2,x2=5"`` or a mapping of names to numbers, as floats.

    Example:
        >>> parse_point("x1=2, x2=5"), parse_point({"x": 1})
        ({'x1': 2.0, 'x2': 5.0}, {'x': 1.0})
    """
    from ..teach.expression import parse_assignments

    if at is None:
        return {}
    if isinstance(at, str):
        return parse_assignments(at) if at.strip() else {}
    if not isinstance(at, Mapping):
        raise ExplorerError(f"'at' must map variable names to numbers, got {type(at).__name__}")
    point = {}
    for name, value in at.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ExplorerError(f"'at': {name!r} is not a variable name")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExplorerError(f"'at': the value of {name} must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise ExplorerError(f"'at': the value of {name} must be finite, got {value!r}")
        point[name] = float(value)
    return point


# -- the model --------------------------------------------------------------------------------


def explore_expression(source: str, at: Any = None, *, default: float = 1.0, layout: str = "auto") -> dict[str, Any]:
    """The explorer's model of an expression at a point; variables missing from ``at`` take ``default``.

    Raises `ExpressionError` for an expression the safe parser refuses (nothing
    is evaluated then) and `ExplorerError` for a bad point.

    Example:
        >>> model = explore_expression("ln(x1) + x1*x2 - sin(x2)", "x1=2,x2=5", layout="layered")
        >>> model["output"]["text"], [model["gradient"][name]["text"] for name in ("x1", "x2")]
        ('11.6521', ['5.5', '1.71634'])
    """
    variables = expression_variables(source)
    expression = parse_expression(source, variables)  # the parser's refusals come first
    point = parse_point(at)
    unknown = [name for name in point if name not in variables]
    if unknown:
        used = ", ".join(variables) or "none"
        raise ExplorerError(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the expression (its variables: {used})"
        )
    if not variables:
        raise ExplorerError("the expression has no variables to differentiate (write one, as in x*sin(x))")
    values = {name: point.get(name, float(default)) for name in variables}
    function = expression.function(ORDER)
    model = explore_function(function, *values.values(), names=variables, layout=layout, order=ORDER)
    model["expression"] = expression.source
    return model


def explore_function(
    function: Callable[..., Any],
    *args: Any,
    names: Sequence[str] | None = None,
    layout: str = "auto",
    order: str = ORDER,
) -> dict[str, Any]:
    """The explorer's model of ``function(*args)``, traced by the engine (`wengert.teach.trace`).

    Example:
        >>> import wengert.numpy as wnp
        >>> model = explore_function(lambda x: x * wnp.sin(x), 2.0, layout="layered")
        >>> [(step["to"], step["adjoint"]["text"]) for step in model["backward"] if step["to"] == "v1"]
        [('v1', '0.909297'), ('v1', '0.0770038')]
    """
    from ..teach import trace
    from ..teach.command import numpy_notes

    with _ENGINE_LOCK, warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        wl = trace(function, *args, names=names, order=order)
        if len(wl.operations) > MAX_OPERATIONS:
            raise ExplorerError(
                f"the expression has {len(wl.operations)} operations; the explorer draws at most {MAX_OPERATIONS}"
            )
        if len(wl.outputs) != 1:
            raise ExplorerError(f"the function returns {len(wl.outputs)} values; the explorer shows one output")
        backward = wl.backward_table()
        forward = {entry.label or entry.name: wl.forward_table(entry.label or entry.name) for entry in wl.inputs}
        point = {entry.label or entry.name: primal_value(entry.value) for entry in wl.inputs}
        try:
            notes = numpy_notes(caught, wl, point) if all(np.ndim(v) == 0 for v in point.values()) else []
        except Exception:  # a note is a courtesy: never fail the model for it
            notes = []
    return _model(wl, forward, backward, notes, layout)


def _model(wl: Any, forward: dict[str, Any], backward: Any, notes: list[str], layout: str) -> dict[str, Any]:
    output = wl.outputs[0]
    if not hasattr(output, "name"):
        raise ExplorerError("the output does not depend on the inputs (it is a constant): there is no graph to show")
    nodes = []
    edges = []
    edge_ids: dict[tuple[str, str], list[str]] = {}
    for entry in wl.entries:
        node: dict[str, Any] = {
            "id": entry.name,
            "kind": "input" if entry.is_input else "operation",
            "op": None if entry.is_input else entry.primitive,
            "symbol": (entry.label or entry.name) if entry.is_input else _SYMBOLS.get(entry.primitive, entry.primitive),
            "expression": entry.expression(),
            "inputs": [],
            **_number(entry.value),
        }
        if entry.is_input:
            node["name"] = entry.label or entry.name
        for position, operand in enumerate(entry.operands):
            if hasattr(operand, "name"):
                edge_id = f"e{len(edges) + 1}"
                edges.append({"id": edge_id, "from": operand.name, "to": entry.name, "argument": position})
                edge_ids.setdefault((operand.name, entry.name), []).append(edge_id)
                node["inputs"].append(operand.name)
            else:
                node["inputs"].append({"constant": number_json(operand.value), "text": number_text(operand.value)})
        nodes.append(node)
    output_name = wl.output_names[0]
    output_edge = {"id": f"e{len(edges) + 1}", "from": output.name, "to": output_name, "argument": 0}
    edges.append(output_edge)
    rows = backward.rows
    seed = rows[0]
    steps = [
        {
            "step": 0,
            "edge": output_edge["id"],
            "from": output_name,
            "to": seed.target,
            "update": seed.update,
            "accumulate": False,
            "contribution": _number(seed.value),
            "adjoint": _number(seed.value),
        }
    ]
    # The engine processes a node's arguments in order, so the k-th contribution from a node to the
    # same parent (x·x: two) travels along the k-th edge between them.
    used: dict[tuple[str, str], int] = {}
    for row in rows[1:-1]:
        pair = (row.target, row.source)
        candidates = edge_ids.get(pair, [])
        count = used.get(pair, 0)
        used[pair] = count + 1
        steps.append(
            {
                "step": row.step,
                "edge": candidates[count] if count < len(candidates) else None,
                "from": row.source,
                "to": row.target,
                "update": row.update,
                "accumulate": bool(row.accumulate),
                "contribution": _number(row.contribution),
                "adjoint": _number(row.value),
            }
        )
    gradient_values = backward.info["gradient"]
    inputs = [{"id": entry.name, "name": entry.label or entry.name, **_number(entry.value)} for entry in wl.inputs]
    tangents = {}
    for name, table in forward.items():
        entry_rows = table.rows[: len(wl.entries)]
        tangents[name] = {
            "rows": [{"id": row.name, "rule": row.rule, **_number(row.tangent)} for row in entry_rows],
            "derivative": _number(table.rows[-1].tangent),
        }
    model = {
        "expression": wl.source,
        "order": wl.order,
        "inputs": inputs,
        "nodes": nodes,
        "edges": edges,
        "output": {"id": output_name, "of": output.name, **_number(output.value)},
        "forward_order": [entry.name for entry in wl.entries],
        "tangents": tangents,
        "backward": steps,
        "gradient": {name: _number(value) for name, value in gradient_values.items()},
        "notes": notes,
    }
    model["layout"] = graph_layout(model, engine=layout)
    return model


def error_model(message: str) -> dict[str, Any]:
    """The answer for a refused request: ``{"error": message}``.

    Example:
        >>> error_model("attribute access is not allowed")
        {'error': 'attribute access is not allowed'}
    """
    return {"error": str(message)}
