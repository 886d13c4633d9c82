"""``wengert explore``: the interactive computational graph in the browser, or a static page.

Example::

    wengert explore                                      # the presets, at http://127.0.0.1:8765/
    wengert explore "ln(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5
    wengert explore --html graph.html "x*sin(x)" --at x=2   # one self-contained page, no server

The server binds 127.0.0.1 only; Ctrl-C stops it. Expressions are read by the
safe parser of ``wengert trace`` (never ``eval``).
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``explore`` subcommand's arguments."""
    parser.add_argument("expression", nargs="?", help='an expression to start with, as "ln(x1) + x1*x2 - sin(x2)"')
    parser.add_argument("--at", metavar="NAME=VALUE,...", help="the point, for example x1=2,x2=5 (default: 1 each)")
    parser.add_argument("--port", type=int, default=8765, help="the port on 127.0.0.1 (default 8765; 0: any free)")
    parser.add_argument("--no-browser", action="store_true", help="do not open the page in the web browser")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained page for EXPRESSION instead of serving")
    parser.add_argument(
        "--layout", choices=("auto", "dot", "layered"), default="auto", help="graph layout (default: dot if installed)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``wengert explore``; returns the exit status."""
    from ..teach.expression import ExpressionError
    from .model import ExplorerError, explore_expression, parse_point

    try:
        point = parse_point(args.at)
        if args.expression is not None or args.html:
            if args.expression is None:
                raise ExplorerError("--html needs an expression: wengert explore --html FILE 'x*sin(x)' --at x=2")
            model = explore_expression(args.expression, point, layout=args.layout)
    except (ExpressionError, ExplorerError) as error:
        print(f"wengert explore: {error}", file=sys.stderr)
        return 2
    if args.html:
        from .page import static_html

        with open(args.html, "w", encoding="utf-8") as stream:
            stream.write(static_html(model))
        print(f"wrote {args.html}", file=sys.stderr)
        return 0
    if not 0 <= args.port <= 65535:
        print(f"wengert explore: --port {args.port} is not a port number (0 to 65535)", file=sys.stderr)
        return 2
    from .server import serve

    try:
        serve(args.expression, point, port=args.port, open_browser=not args.no_browser, layout=args.layout)
    except OSError as error:
        print(f"wengert explore: cannot serve on 127.0.0.1:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0
