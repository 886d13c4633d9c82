"""Timing, checking and reporting shared by every benchmark workload.

A workload module (``b1_scalar_chain.py``, ``b6_hvp.py``, ...) describes each
implementation as a `Case`: a name, the task it performs ("gradient", "hvp",
...), and a ``prepare`` function that imports the peer, builds the inputs and
returns the zero-argument call to time. `run_cases` then, for each case:

1. prepares it (an ``ImportError`` makes the row "n/a", never a crash);
2. calls it once, which for ``jit`` cases is the compile time reported apart;
3. checks its answer against wengert's answer for the same task (relative
   error 1e-8), printing a WARNING line when they disagree — a benchmark of a
   wrong answer is worthless;
4. warms it up and picks how many calls make one repeat last at least
   ``min_repeat_s``;

then it times ``repeats`` rounds, each round one repeat of every case in turn
(``time.perf_counter``; interleaved so that a noisy machine's slow spells touch
every implementation alike), and keeps each case's median.

Ratios are ``median / median of the reference row`` of the same task: below 1
is faster than the reference (PyTorch eager, or wengert).

Example:
    >>> config = Config(repeats=7)
    >>> cases = [Case("Python", "sum", "builtin", lambda: lambda: sum(range(100)), role="wengert")]
    >>> rows = run_cases("B0", cases, config, Figure("µs", 1e6), log=False)
    >>> rows[0].status
    'ok'
"""

from __future__ import annotations

import ctypes
import datetime
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCHMARKS_DIR / "results"
RELATIVE_TOLERANCE = 1e-8

# Roles that make a row the denominator of a ratio column.
PYTORCH = "pytorch"
WENGERT = "wengert"


@dataclass
class Config:
    """How hard to measure: repeats (median of at least 7), warm-up calls, minimum time per repeat."""

    repeats: int = 7
    warmup: int = 2
    min_repeat_s: float = 0.02
    gc_during_timing: bool = False
    implementations: Sequence[str] = ()  # case-insensitive substrings; empty means all
    threads: int | None = None  # None leaves every library's default


@dataclass
class Figure:
    """The workload's headline unit: ``value = median_seconds * scale`` (e.g. µs per op)."""

    unit: str
    scale: float


@dataclass
class Case:
    """One implementation of one task of a workload.

    ``prepare()`` imports what it needs and returns the call to time; that call
    returns the answer checked against wengert's (a number, an array, a tensor,
    or a tuple of them). ``role`` marks the reference rows (`PYTORCH`, `WENGERT`);
    ``compare_task`` lets a row be compared with the references of another task
    (plain Python floats doing only the forward pass against gradients).
    """

    implementation: str
    task: str
    method: str
    prepare: Callable[[], Callable[[], Any]]
    role: str | None = None
    jit: bool = False
    compare_task: str | None = None
    check: bool = True


@dataclass
class Row:
    """One measured (or skipped) case, as printed and as written to JSON."""

    workload: str
    implementation: str
    task: str
    method: str
    status: str  # "ok", "n/a" or "failed"
    median_s: float | None = None
    figure: float | None = None
    figure_unit: str = ""
    times_s: list[float] = field(default_factory=list)
    loops: int = 0
    compile_s: float | None = None
    relative_error: float | None = None
    check: str = ""
    role: str | None = None
    compare_task: str = ""
    ratio_pytorch: float | None = None
    ratio_wengert: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    note: str = ""


# ----------------------------------------------------------------------------- peers


def import_jax() -> Any:
    """Import JAX on the CPU with float64 enabled (must happen before any JAX array exists)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def block(value: Any) -> Any:
    """Wait for JAX's asynchronous dispatch so that the timing covers the computation."""
    import jax

    return jax.block_until_ready(value)


# ----------------------------------------------------------------------------- timing


def _time_loops(call: Callable[[], Any], loops: int, gc_during_timing: bool) -> float:
    """Seconds for ``loops`` calls, after a full collection; the collector is paused unless asked."""
    gc.collect()
    was_enabled = gc.isenabled()
    if not gc_during_timing:
        gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        return time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()


def calibrate(call: Callable[[], Any], config: Config) -> int:
    """Warm ``call`` up and return how many calls make one repeat last at least ``config.min_repeat_s``."""
    for _ in range(config.warmup):
        call()
    loops = 1
    while True:
        elapsed = _time_loops(call, loops, config.gc_during_timing)
        if elapsed >= config.min_repeat_s:
            return loops
        # Aim a little above the minimum so that one more round is rarely needed.
        loops = max(loops * 2, int(loops * 1.2 * config.min_repeat_s / max(elapsed, 1e-9)))


def measure(call: Callable[[], Any], config: Config) -> tuple[float, list[float], int]:
    """Median seconds per call, the per-call time of each repeat, and the calls per repeat.

    As in ``timeit``, the cyclic garbage collector is paused while a repeat
    runs (and a full collection precedes each repeat): with every peer loaded
    in one process the heap is large, and a collection triggered inside one
    engine's repeat would bill it for scanning JAX's and PyTorch's objects
    (micrograd measured 7× slower that way). ``Config.gc_during_timing``
    measures with the collector running.
    """
    loops = calibrate(call, config)
    times = [_time_loops(call, loops, config.gc_during_timing) / loops for _ in range(config.repeats)]
    return statistics.median(times), times, loops


# ----------------------------------------------------------------------------- checking


def as_array(value: Any) -> np.ndarray:
    """A float64 NumPy array of an answer: tuples are flattened and concatenated, tensors converted."""
    if isinstance(value, (tuple, list)):
        return np.concatenate([np.ravel(as_array(item)) for item in value])
    if hasattr(value, "detach"):  # torch and wengert tensors
        value = value.detach()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)


def relative_error(value: Any, reference: Any) -> float:
    """max |value − reference| / max |reference| (inf when the shapes differ)."""
    value, reference = as_array(value), as_array(reference)
    if value.shape != reference.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(reference), initial=0.0)), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(value - reference), initial=0.0)) / scale


# ----------------------------------------------------------------------------- running


def _selected(case: Case, config: Config) -> bool:
    if not config.implementations:
        return True
    name = case.implementation.lower()
    return any(pattern.lower() in name for pattern in config.implementations)


def run_cases(
    workload: str,
    cases: Sequence[Case],
    config: Config,
    figure: Figure,
    references: dict[str, Any] | None = None,
    log: bool = True,
) -> list[Row]:
    """Check and time every case; wengert's (``role=WENGERT``) answers are the references.

    ``references`` may give a task's reference answer directly. The rows come
    back in the order of ``cases``; wengert's reference cases are prepared first
    so that their answers exist when the others are checked.
    """
    references = dict(references or {})
    ordered = sorted(enumerate(cases), key=lambda item: item[1].role != WENGERT)
    indexed_rows = []
    timed = []  # (row, call) of the cases that passed preparation
    for index, case in ordered:
        if not _selected(case, config):
            continue
        row = Row(
            workload,
            case.implementation,
            case.task,
            case.method,
            "ok",
            figure_unit=figure.unit,
            role=case.role,
            compare_task=case.compare_task or case.task,
        )
        indexed_rows.append((index, row))
        if log:
            print(
                f"  {workload} {case.implementation} {case.task} ({case.method}) ...",
                file=sys.stderr,
                flush=True,
            )
        try:
            call = case.prepare()
        except ImportError as error:
            row.status, row.note = "n/a", f"not importable: {error.name or error}"
            continue
        except NotImplementedError as error:
            row.status, row.note = "n/a", str(error)
            continue
        try:
            start = time.perf_counter()
            answer = call()
            first_call_s = time.perf_counter() - start
            if case.jit:
                row.compile_s = first_call_s
            _check(row, case, answer, references)
            row.loops = calibrate(call, config)
            timed.append((row, call))
        except Exception as error:  # a peer that breaks must not stop the others
            _fail(row, error)
    # Repeats are interleaved across cases (round robin), so that a slow spell of a noisy machine
    # touches every implementation alike and the ratios hold.
    for _ in range(config.repeats):
        for row, call in timed:
            if row.status != "ok":
                continue
            try:
                row.times_s.append(_time_loops(call, row.loops, config.gc_during_timing) / row.loops)
            except Exception as error:
                _fail(row, error)
    for row, _ in timed:
        if row.status == "ok":
            row.median_s = statistics.median(row.times_s)
            row.figure = row.median_s * figure.scale
    rows = [row for _, row in sorted(indexed_rows, key=lambda item: item[0])]
    _add_ratios(rows)
    return rows


def _fail(row: Row, error: Exception) -> None:
    row.status, row.note = "failed", f"{type(error).__name__}: {error}"
    print(f"WARNING: {row.workload} {row.implementation} {row.task} failed: {row.note}")


def _check(row: Row, case: Case, answer: Any, references: dict[str, Any]) -> None:
    if case.role == WENGERT and case.task not in references:
        references[case.task] = answer
        row.relative_error, row.check = 0.0, "reference"
        return
    if not case.check:
        row.check = "not checked"
        return
    if case.task not in references:
        row.check = "no wengert reference"
        return
    row.relative_error = relative_error(answer, references[case.task])
    if row.relative_error <= RELATIVE_TOLERANCE:
        row.check = "ok"
    else:
        row.check = "MISMATCH"
        print(
            f"WARNING: {row.workload} {row.implementation} {row.task} ({row.method}) disagrees with wengert: "
            f"relative error {row.relative_error:.2e} > {RELATIVE_TOLERANCE:.0e}"
        )


def _add_ratios(rows: Sequence[Row]) -> None:
    for row in rows:
        for role, attribute in ((PYTORCH, "ratio_pytorch"), (WENGERT, "ratio_wengert")):
            reference = next(
                (other for other in rows if other.role == role and other.task == row.compare_task and other.median_s),
                None,
            )
            if reference is not None and row.median_s is not None:
                setattr(row, attribute, row.median_s / reference.median_s)


def median_of(rows: Sequence[Row], implementation: str, task: str, method: str | None = None) -> float | None:
    """The median of the first measured row matching implementation, task (and method)."""
    for row in rows:
        same_case = row.implementation == implementation and row.task == task
        if same_case and row.median_s is not None and (method is None or row.method == method):
            return row.median_s
    return None


# ----------------------------------------------------------------------------- environment


# scipy-openblas wheels prefix and suffix the OpenBLAS symbols; plain builds do not.
_OPENBLAS_SYMBOLS = (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", ""))


def _openblas_paths() -> list[str]:
    """The OpenBLAS libraries loaded in this process (Linux), NumPy's among them."""
    try:
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    except OSError:
        return []


def _openblas_runtime() -> dict[str, Any]:
    """Threads and core type of the OpenBLAS that NumPy loaded, read through ctypes."""
    info: dict[str, Any] = {}
    for path in _openblas_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        info["library"] = path
        for prefix, suffix in _OPENBLAS_SYMBOLS:
            threads = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            if threads is None:
                continue
            info["threads"] = int(threads())
            for key, name in (("core", "get_corename"), ("config", "get_config")):
                function = getattr(library, f"{prefix}_{name}{suffix}", None)
                if function is not None:
                    function.restype = ctypes.c_char_p
                    info[key] = function().decode()
            return info
    return info


def set_threads(count: int) -> None:
    """Use ``count`` threads in NumPy's OpenBLAS and PyTorch, and ``count`` CPUs for the whole process.

    On a machine shared with other work, multithreaded BLAS calls slow down
    by several times whenever a core is busy; one thread everywhere makes
    the comparison steadier. XLA's CPU runtime sizes its thread pool from the
    process's CPU affinity and ignores ``--xla_cpu_multi_thread_eigen=false``
    and ``intra_op_parallelism_threads`` (JAX 0.10 runs a dot on both cores with
    them set; jax-ml/jax#1539: the affinity mask is the way to limit it), so the
    process is pinned to ``count`` CPUs, before JAX starts, as well.
    """
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        if count < len(cpus):
            os.sched_setaffinity(0, cpus[:count])
    for path in _openblas_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in _OPENBLAS_SYMBOLS:
            setter = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            if setter is not None:
                setter(count)
                break
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(count)
    if count == 1 and "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()
    try:
        import torch

        torch.set_num_threads(count)
    except ImportError:
        pass


def _blas_info() -> dict[str, Any]:
    try:
        import threadpoolctl

        return {"source": "threadpoolctl", "pools": threadpoolctl.threadpool_info()}
    except ImportError:
        pass
    info: dict[str, Any] = {"source": "numpy.show_config + ctypes"}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info.update(name=blas.get("name"), version=blas.get("version"))
    except Exception as error:  # the config layout is not a stable API
        info["show_config_error"] = repr(error)
    info.update(_openblas_runtime())
    return info


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        root = BENCHMARKS_DIR.parent
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return commit + ("+dirty src" if dirty else "") if commit else None
    except (OSError, subprocess.SubprocessError):
        return None


def _torch_threads() -> int | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.get_num_threads()


def _load_average() -> list[float] | None:
    try:
        return [round(load, 2) for load in os.getloadavg()]
    except OSError:
        return None


def environment() -> dict[str, Any]:
    """Machine, BLAS, thread and version facts that a timing means nothing without."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    cpu_model = None
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            models = (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
            cpu_model = next(models, None)
    except OSError:
        pass
    variables = (
        "OPENBLAS_CORETYPE",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "JAX_PLATFORMS",
        "XLA_FLAGS",
        "MALLOC_MMAP_THRESHOLD_",
        "WENGERT_NUMBA",
    )
    versions = {
        name: _version(name)
        for name in ("wengert", "numpy", "numba", "torch", "jax", "jaxlib", "autograd", "micrograd")
    }
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "load_average": _load_average(),
        "blas": _blas_info(),
        "torch_threads": _torch_threads(),
        "env": {name: os.environ.get(name) for name in variables},
        "versions": versions,
        "wengert_commit": _git_commit(),
    }


def header(env: dict[str, Any]) -> str:
    """The environment in a few printed lines."""
    blas = env["blas"]
    if blas.get("source") == "threadpoolctl":
        blas_text = "; ".join(
            f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')} "
            f"{pool.get('num_threads')} threads"
            for pool in blas["pools"]
        )
    else:
        blas_text = (
            f"{blas.get('name')} {blas.get('version')}, core {blas.get('core', '?')}, "
            f"{blas.get('threads', '?')} threads"
        )
    set_vars = ", ".join(f"{key}={value}" for key, value in env["env"].items() if value is not None) or "none"
    versions = ", ".join(f"{key} {value}" for key, value in env["versions"].items() if value)
    return "\n".join(
        [
            f"machine: {env['cpu_model']}, {env['cpu_count']} CPUs ({env['cpu_usable']} usable), "
            f"load average {env['load_average']}, {env['platform']}",
            f"numpy BLAS: {blas_text} (via {blas['source']}); PyTorch threads {env['torch_threads']}",
            f"environment: {set_vars}",
            f"python {env['python']}; {versions}; wengert commit {env['wengert_commit']}",
        ]
    )


# ----------------------------------------------------------------------------- reporting


def format_seconds(seconds: float | None) -> str:
    """A duration in the unit that keeps three or four significant digits readable."""
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e3), ("µs", 1e6)):
        value = seconds * scale
        if value >= 1.0:
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _format_number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if value >= 0.01 else f"{value:.2e}"


def format_table(title: str, rows: Sequence[Row]) -> str:
    """A plain-text table of one workload's rows."""
    unit = next((row.figure_unit for row in rows if row.figure_unit), "")
    columns = [
        "implementation",
        "task",
        "method",
        "median",
        unit,
        "×PyTorch",
        "×wengert",
        "spread",
        "check",
        "notes",
    ]
    lines = []
    for row in rows:
        notes = []
        if row.compile_s is not None:
            notes.append(f"compile {format_seconds(row.compile_s)}")
        notes += [f"{key} {_format_number(value)}" for key, value in row.extra.items()]
        if row.note:
            notes.append(row.note)
        check = row.check if row.relative_error in (None, 0.0) else f"{row.check} {row.relative_error:.0e}"
        spread = f"{(max(row.times_s) - min(row.times_s)) / row.median_s:.0%}" if row.median_s else ""
        lines.append(
            [
                row.implementation,
                row.task,
                row.method,
                format_seconds(row.median_s) if row.status == "ok" else row.status,
                _format_number(row.figure),
                _format_number(row.ratio_pytorch),
                _format_number(row.ratio_wengert),
                spread,
                check,
                "; ".join(notes),
            ]
        )
    widths = [max(len(str(item)) for item in column) for column in zip(columns, *lines)]
    numeric = {3, 4, 5, 6, 7}

    def render(items: Sequence[str]) -> str:
        cells = [
            str(item).rjust(width) if index in numeric else str(item).ljust(width)
            for index, (item, width) in enumerate(zip(items, widths))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(render(columns))
    return "\n".join([title, rule, render(columns), rule, *map(render, lines), rule])


def results_path(directory: Path = RESULTS_DIR) -> Path:
    """benchmarks/results/<date>.json, or <date>-2.json ... when a run of the same day exists."""
    today = datetime.date.today().isoformat()
    path = directory / f"{today}.json"
    counter = 2
    while path.exists():
        path = directory / f"{today}-{counter}.json"
        counter += 1
    return path


def write_json(path: Path, env: dict[str, Any], config: Config, titles: dict[str, str], rows: Sequence[Row]) -> None:
    """Write the run (environment, configuration, every row with its raw repeat times) as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": sys.argv,
        "environment": env,
        "load_average_at_end": _load_average(),
        "config": asdict(config)
        | {"implementations": list(config.implementations), "relative_tolerance": RELATIVE_TOLERANCE},
        "ratios": "median / median of the reference row (PyTorch eager, wengert) of the same task",
        "workloads": {
            workload: {"title": title, "rows": [asdict(row) for row in rows if row.workload == workload]}
            for workload, title in titles.items()
        },
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
