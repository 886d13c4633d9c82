"""``wengert trace``: the Wengert list, tangent and adjoint tables of an expression at a point.

Example::

    wengert trace "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5
    wengert trace "sin(x**2) + exp(x)" --at x=1 --format mermaid
    wengert trace "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 --format python
    wengert trace "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 --format svg --show tangents --wrt x2

The list is numbered in the order the engine records it, which is Python's
order of evaluation, as ``wg.trace`` numbers it (``--order levels`` numbers it
level by level, as textbooks do: ``v5 = sin(v2)`` before ``v6 = v3 + v4``).

``--format python`` prints the derivative program that ``wg.jit`` generates for
the expression's value and gradient: the source-transformation strategy, shown.

The expression is parsed with `ast` and checked against a whitelist
(`wengert.teach.expression`); it is never passed to `eval`. Exit status 2 for
a refused expression (including one longer than 10,000 characters or nested
more than 200 levels deep) or bad arguments, with a one-line message. A nan or
an inf met during evaluation (log of a negative number, division by zero) is
reported as a one-line note on standard error naming the operation, e.g.
``note: log produced nan at x = -1 (invalid value), in v2 = ln(v1)``; the
tables are still printed. An expression that starts with ``-`` goes after
``--``: ``wengert trace --at x=1 -- "-x**2"``.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from typing import Any

import numpy as np

from ..core import primal_value
from .expression import MAX_DEPTH, MAX_LENGTH

FORMATS = ("text", "mermaid", "dot", "svg", "json", "python")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``trace`` subcommand's arguments."""
    parser.add_argument("expression", help='an arithmetic expression, for example "log(x1) + x1*x2 - sin(x2)"')
    parser.add_argument("--at", required=True, metavar="NAME=VALUE,...", help="the point, for example x1=2,x2=5")
    parser.add_argument("--wrt", metavar="NAME", help="show the forward table for this input only (default: each)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="what to print (default: text tables)")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument(
        "--order",
        choices=("evaluation", "levels"),
        default="evaluation",
        help="number the list in the order the engine records it, Python's order (default, as wg.trace does), "
        "or level by level as textbooks do",
    )
    parser.add_argument(
        "--show",
        choices=("values", "tangents", "adjoints"),
        default="values",
        help="what the graph's nodes show in the mermaid, dot and svg formats (default: values; "
        "tangents are for the --wrt input)",
    )
    parser.add_argument("--ascii", action="store_true", help="plain ASCII symbols (vdot, vbar, *) in text output")
    parser.epilog = "Functions: " + _function_names()
    report = parser.error

    def error(message: str) -> None:
        # argparse reads an expression that starts with '-' as an option: say how to pass it.
        if "expression" in message:
            message += "; an expression that starts with '-' goes after '--': wengert trace --at x=1 -- '-x**2'"
        report(message)

    parser.error = error  # type: ignore[method-assign]


def _function_names() -> str:
    from .expression import FUNCTIONS

    return ", ".join(sorted(FUNCTIONS))


def run(args: argparse.Namespace) -> int:
    """Run ``wengert trace``; returns the exit status."""
    from .expression import ExpressionError, parse_assignments, parse_expression

    try:
        point = parse_assignments(args.at)
        expression = parse_expression(args.expression, list(point))
        if args.wrt is not None and args.wrt not in point:
            raise ExpressionError(f"--wrt {args.wrt}: not one of the variables {', '.join(point)}")
        if args.show == "tangents" and args.wrt is None and len(point) > 1:
            raise ExpressionError(f"--show tangents: choose the input with --wrt ({', '.join(point)})")
    except ExpressionError as error:
        print(f"wengert trace: {error}", file=sys.stderr)
        return 2
    from .render import GraphvizNotFoundError
    from .wengert_list import trace

    # NumPy's floating-point warnings (log of a negative number, division by zero) become one-line notes
    # naming the operation, instead of Python warnings pointing into wengert's source.
    with warnings.catch_warnings(record=True) as caught, np.errstate(divide="warn", over="warn", invalid="warn"):
        warnings.simplefilter("always")
        try:
            # The evaluator runs the expression in the chosen order, so the tape itself is in that order
            # (re-scheduling it by levels again changes nothing; it only labels the list).
            args.function = expression.function(args.order)
            wl = trace(args.function, *point.values(), names=list(point), order=args.order)
            text = _render(wl, expression.source, point, args)
            notes = numpy_notes(caught, wl, point)
        except GraphvizNotFoundError as error:
            print(f"wengert trace: {error}", file=sys.stderr)
            return 1
        except (RecursionError, MemoryError):
            print(
                f"wengert trace: the expression is too large to evaluate (limits: {MAX_LENGTH} characters, "
                f"{MAX_DEPTH} nested levels)",
                file=sys.stderr,
            )
            return 2
    for warning in caught:
        if not _is_floating_point_warning(warning):
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    for note in notes:
        print(note, file=sys.stderr)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        _write(text)
    return 0


_NUMPY_WARNING = re.compile(r"(divide by zero|invalid value|overflow|underflow) encountered in (?:scalar )?(\w+)")


def _is_floating_point_warning(warning: warnings.WarningMessage) -> bool:
    return issubclass(warning.category, RuntimeWarning) and bool(_NUMPY_WARNING.search(str(warning.message)))


def _finite(value: Any) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(primal_value(value), dtype=float))))
    except (TypeError, ValueError):
        return True  # not a real number (nothing NumPy would warn about)


def _value_text(value: Any) -> str:
    array = np.asarray(primal_value(value), dtype=float)
    if array.ndim == 0:
        return f"{float(array):g}"
    kinds = sorted({f"{v:g}" for v in array.ravel() if not np.isfinite(v)})
    return " and ".join(kinds) + " entries"


def numpy_notes(caught: list, wl: Any, point: dict[str, float]) -> list[str]:
    """One-line notes for NumPy's floating-point warnings: which operation of the list made a nan or an inf.

    Each operation whose value is not finite although its operands are is
    named (``note: log produced nan at x = -1 (invalid value), in v2 = ln(v1)``),
    then each whose derivative is not finite although its value is; a warning
    neither explains is reported as NumPy worded it.
    """
    from .wengert_list import Entry

    kinds: dict[str, str] = {}
    for warning in caught:
        match = _NUMPY_WARNING.search(str(warning.message)) if _is_floating_point_warning(warning) else None
        if match:
            kinds.setdefault(match.group(2), match.group(1))
    at = ", ".join(f"{name} = {value:g}" for name, value in point.items())
    notes: list[str] = []
    explained: set[str] = set()

    def operands_finite(entry: Any, values: dict) -> bool:
        return all(_finite(values[op.name]) for op in entry.operands if isinstance(op, Entry))

    primal = {entry.name: entry.value for entry in wl.entries}
    for entry in wl.operations:
        if not _finite(entry.value) and operands_finite(entry, primal):
            kind = kinds.get(entry.primitive, "overflow" if "inf" in _value_text(entry.value) else "invalid value")
            explained.add(entry.primitive)
            notes.append(
                f"note: {entry.primitive} produced {_value_text(entry.value)} at {at} ({kind}), "
                f"in {entry.name} = {entry.expression()}"
            )
    for name in point:
        tangents = wl.tangents(name)
        for entry in wl.operations:
            if _finite(entry.value) and not _finite(tangents[entry.name]) and operands_finite(entry, tangents):
                explained.add(entry.primitive)
                notes.append(
                    f"note: the derivative of {entry.primitive} with respect to {name} is "
                    f"{_value_text(tangents[entry.name])} at {at}, in {entry.name} = {entry.expression()}"
                )
    if not notes:
        for ufunc, kind in kinds.items():
            if ufunc not in explained:
                notes.append(f"note: NumPy reported {kind} in {ufunc} at {at}; some entries are nan or inf")
    return notes


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a terminal that cannot show v̇: fall back to ASCII
        from .notation import ascii_text

        sys.stdout.write(ascii_text(text))
    sys.stdout.flush()


def _python_program(function: Any, source: str, point: dict[str, float]) -> str:
    """The source ``wg.jit`` generates for the value and gradient of the expression."""
    from ..compile import jit
    from ..transforms import value_and_grad

    names = list(point)
    argnums = tuple(range(len(names)))
    lowered = jit(value_and_grad(function, argnums=argnums)).lower(*point.values())
    inputs = ", ".join(f"v{index + 1} = {name}" for index, name in enumerate(names))
    header = (
        f"# The value and gradient of f = {source} with respect to ({', '.join(names)}), as generated by\n"
        f"# wg.jit(wg.value_and_grad(f, argnums={argnums})): the forward sweep, then the adjoint sweep.\n"
        f"# Inputs: {inputs}; returns (f, (∂f/∂{', ∂f/∂'.join(names)})).\n\n"
    )
    return header + lowered.source


def _render(wl: Any, source: str, point: dict[str, float], args: argparse.Namespace) -> str:
    wrt = [args.wrt] if args.wrt else list(point)
    if args.format == "python":
        return _python_program(args.function, source, point)
    show = args.show
    annotate = {"show": show, "wrt": args.wrt if show == "tangents" else None}
    if args.format == "mermaid":
        return wl.to_mermaid(ascii=args.ascii, **annotate)
    if args.format == "dot":
        return wl.to_dot(ascii=args.ascii, **annotate)
    if args.format == "svg":
        return wl.to_svg(**annotate)
    if args.format == "json":
        import json

        data = {
            "expression": source,
            "at": point,
            "list": wl.to_dict(),
            "forward": {name: wl.forward_table(name).to_dict() for name in wrt},
            "backward": wl.backward_table().to_dict(),
        }
        data["gradient"] = data["backward"]["gradient"]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    ascii = args.ascii
    at = ", ".join(f"{name} = {value:g}" for name, value in point.items())
    parts = [f"f = {source}   at {at}", "", "Wengert list", wl.to_text(ascii=ascii)]
    # One forward table per input (or the --wrt one): what wl.forward_table() shows in Python.
    parts += ["", wl.forward_table(args.wrt, ascii=ascii).to_text()]
    backward = wl.backward_table(ascii=ascii)
    parts += ["", backward.to_text(), ""]
    gradient = ", ".join(f"∂f/∂{name} = {value:.10g}" for name, value in backward.info["gradient"].items())
    parts.append(f"gradient: {gradient}")
    text = "\n".join(parts) + "\n"
    if ascii:
        from .notation import ascii_text

        text = ascii_text(text)
    return text
