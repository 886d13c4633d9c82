"""The ``wengert`` command: ``wengert trace``, ``wengert demo``, ...

Each subcommand lives with the layer it belongs to and is imported only when
it runs, so ``wengert trace`` never loads SciPy or Matplotlib. A subcommand's
module provides ``configure(parser)`` and ``run(args) -> exit status``.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import sys
from collections.abc import Sequence

SUBCOMMANDS = {
    "trace": ("wengert.teach.command", "show the Wengert list, tangent and adjoint tables of an expression"),
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


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of handing it back after every step.

    A training loop allocates the same megabyte-sized arrays every step; by default glibc
    returns them to the system and takes the page faults again (a fifth to a third of a
    PINN-wave step here). Only this process is affected, and only when the user has not set
    ``MALLOC_TRIM_THRESHOLD_`` / ``MALLOC_MMAP_THRESHOLD_`` already. Returns whether it applied.

    Example:
        >>> keep_freed_memory() in (True, False)
        True
    """
    if not sys.platform.startswith("linux") or any(
        name in os.environ for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
    ):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    trim_threshold, mmap_threshold = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in <malloc.h>
    return bool(mallopt(trim_threshold, 256 << 20)) and bool(mallopt(mmap_threshold, 64 << 20))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Example:
        >>> main(["--help"])  # doctest: +SKIP
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    unavailable = getattr(args, "_unavailable", None)
    if unavailable:
        print(unavailable, file=sys.stderr)
        return 2
    if args.command == "demo":
        keep_freed_memory()
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
