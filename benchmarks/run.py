"""Run the selected benchmark workloads, print one table per workload and write the JSON record.

Every ``b<N>_<name>.py`` module beside this file is a workload: it defines
``WORKLOAD`` (its id, e.g. "B1"), ``TITLE`` and ``run(config) -> list[Row]``.
Adding a workload means adding such a module; nothing here changes.

Usage:
    python benchmarks/run.py                  # every workload
    python benchmarks/run.py B1 B6            # the selected ones
    python benchmarks/run.py B6 --impl wengert --impl numpy --repeats 9
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

import harness

BENCHMARKS_DIR = Path(__file__).resolve().parent


def discover() -> dict[str, ModuleType]:
    """The workload modules beside this file, by id ("B1", "B6", ...), in id order."""
    if str(BENCHMARKS_DIR) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS_DIR))
    modules = {}
    for path in sorted(BENCHMARKS_DIR.glob("b[0-9]*_*.py")):
        module = importlib.import_module(path.stem)
        if hasattr(module, "WORKLOAD") and hasattr(module, "run"):
            modules[module.WORKLOAD.upper()] = module
    return dict(sorted(modules.items(), key=lambda item: int(item[0][1:]) if item[0][1:].isdigit() else 0))


def parse_arguments(argv: list[str], available: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "workloads", nargs="*", metavar="ID", help=f"workloads to run (default: all): {', '.join(available)}"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=7,
        help="repeats per measurement; the median is kept (at least 7 for a recorded result; default 7)",
    )
    parser.add_argument("--warmup", type=int, default=2, help="calls before timing (default 2)")
    parser.add_argument(
        "--min-repeat-ms",
        type=float,
        default=20.0,
        help="calls per repeat make a repeat last at least this long (default 20)",
    )
    parser.add_argument(
        "--gc",
        action="store_true",
        help="keep the garbage collector running while timing (paused by default, as timeit)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="threads for NumPy's OpenBLAS and PyTorch (and XLA when 1); default: each library's own",
    )
    parser.add_argument(
        "--impl",
        action="append",
        default=[],
        metavar="NAME",
        help="only implementations whose name contains NAME (repeatable; case-insensitive)",
    )
    parser.add_argument("--output", type=Path, help="JSON file (default: benchmarks/results/<date>.json)")
    parser.add_argument("--no-json", action="store_true", help="print the tables only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the workloads named in ``argv`` (all when none) and report them."""
    modules = discover()
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv, list(modules))
    selected = [name.upper() for name in arguments.workloads] or list(modules)
    unknown = [name for name in selected if name not in modules]
    if unknown:
        print(f"unknown workload(s) {', '.join(unknown)}; available: {', '.join(modules)}", file=sys.stderr)
        return 2
    if arguments.repeats < 7:
        print(f"note: {arguments.repeats} repeats; recorded results should use at least 7", file=sys.stderr)
    config = harness.Config(
        repeats=arguments.repeats,
        warmup=arguments.warmup,
        min_repeat_s=arguments.min_repeat_ms / 1e3,
        gc_during_timing=arguments.gc,
        implementations=tuple(arguments.impl),
        threads=arguments.threads,
    )
    if config.threads is not None:
        harness.set_threads(config.threads)
    env = harness.environment()
    print(harness.header(env))
    collector = "on" if config.gc_during_timing else "paused"
    print(
        f"timing: median of {config.repeats} interleaved repeats after {config.warmup} warm-up calls, "
        f"each repeat >= {arguments.min_repeat_ms:g} ms, garbage collector {collector}",
        flush=True,
    )
    rows, titles = [], {}
    for name in selected:
        module = modules[name]
        titles[name] = module.TITLE
        workload_rows = module.run(config)
        rows += workload_rows
        print()
        print(harness.format_table(module.TITLE, workload_rows), flush=True)
    print(
        "\nratios: median / median of the reference row of the same task (below 1 = faster than it); "
        "spread: (slowest − fastest repeat) / median"
    )
    if not arguments.no_json:
        path = arguments.output or harness.results_path()
        harness.write_json(path, env, config, titles, rows)
        print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
