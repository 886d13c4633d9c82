"""The ``wengert`` command: ``wengert trace``, ``wengert demo``, ...

Each subcommand lives with the layer it belongs to and is imported only when
it runs, so ``wengert trace`` never loads SciPy or Matplotlib. A subcommand's
module provides ``configure(parser)`` and ``run(args) -> exit status``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = {
    "trace": ("wengert.teach.command", "show the Wengert list, tangent and adjoint tables of an expression"),
    "explore": ("wengert.explore.command", "the interactive computational graph in the browser (forward and backward)"),
    "demo": ("wengert.pinn.demo", "run a physics-informed network demo (sir, burgers, wave)"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand's options."""
    parser = argparse.ArgumentParser(prog="wengert", description="Automatic differentiation of NumPy programs.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"wengert {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            sub.set_defaults(_unavailable=f"'wengert {name}' is not available: {error}")
            continue
        module.configure(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Example:
        >>> main(["--help"])  # doctest: +SKIP
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    # The long options named on the command line (--epochs 10, --epochs=10): presets such as
    # `wengert demo --quick` leave those alone.
    raw = sys.argv[1:] if argv is None else list(argv)
    args._given = {item[2:].split("=", 1)[0].replace("-", "_") for item in raw if item.startswith("--")}
    if args.command is None:
        parser.print_help()
        return 2
    unavailable = getattr(args, "_unavailable", None)
    if unavailable:
        print(unavailable, file=sys.stderr)
        return 2
    if args.command == "demo":
        from .numpy.allocator import keep_freed_memory

        keep_freed_memory()
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
