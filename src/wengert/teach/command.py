"""``wengert trace``: the Wengert list, tangent and adjoint tables of an expression at a point.

Example::

    wengert trace "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5
    wengert trace "sin(x**2) + exp(x)" --at x=1 --format mermaid

The expression is parsed with `ast` and checked against a whitelist
(`wengert.teach.expression`); it is never passed to `eval`. Exit status 2 for
a refused expression or bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

FORMATS = ("text", "mermaid", "dot", "svg", "json")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``trace`` subcommand's arguments."""
    parser.add_argument("expression", help='an arithmetic expression, for example "log(x1) + x1*x2 - sin(x2)"')
    parser.add_argument("--at", required=True, metavar="NAME=VALUE,...", help="the point, for example x1=2,x2=5")
    parser.add_argument("--wrt", metavar="NAME", help="show the forward table for this input only (default: each)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="what to print (default: text tables)")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument(
        "--order",
        choices=("levels", "evaluation"),
        default="levels",
        help="evaluate level by level as textbooks number the list (default), or in Python's order",
    )
    parser.add_argument("--ascii", action="store_true", help="plain ASCII symbols (vdot, vbar, *) in text output")
    parser.epilog = "Functions: " + _function_names()


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
    except ExpressionError as error:
        print(f"wengert trace: {error}", file=sys.stderr)
        return 2
    from .render import GraphvizNotFoundError
    from .wengert_list import trace

    # The evaluator runs the expression in the chosen order, so the tape itself is in that order
    # (re-scheduling it by levels again changes nothing; it only labels the list).
    wl = trace(expression.function(args.order), *point.values(), names=list(point), order=args.order)
    try:
        text = _render(wl, expression.source, point, args)
    except GraphvizNotFoundError as error:
        print(f"wengert trace: {error}", file=sys.stderr)
        return 1
    if args.output:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        _write(text)
    return 0


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a terminal that cannot show v̇: fall back to ASCII
        from .notation import ascii_text

        sys.stdout.write(ascii_text(text))
    sys.stdout.flush()


def _render(wl: Any, source: str, point: dict[str, float], args: argparse.Namespace) -> str:
    wrt = [args.wrt] if args.wrt else list(point)
    if args.format == "mermaid":
        return wl.to_mermaid(ascii=args.ascii)
    if args.format == "dot":
        return wl.to_dot(ascii=args.ascii)
    if args.format == "svg":
        return wl.to_svg()
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
    for name in wrt:
        parts += ["", wl.forward_table(name, ascii=ascii).to_text()]
    backward = wl.backward_table(ascii=ascii)
    parts += ["", backward.to_text(), ""]
    gradient = ", ".join(f"∂f/∂{name} = {value:.10g}" for name, value in backward.info["gradient"].items())
    parts.append(f"gradient: {gradient}")
    text = "\n".join(parts) + "\n"
    if ascii:
        from .notation import ascii_text

        text = ascii_text(text)
    return text
