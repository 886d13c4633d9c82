"""B7, gradient checkpointing: 48 layers h ↦ tanh(h @ W_i), W_i 1024×1024 float32, batch 512.

One forward and backward pass (loss = sum of the last layer's output, gradients
for all 48 weights) without checkpointing and with √48 ≈ 7 segments, each
engine with its own ``checkpoint_sequential``:

| implementation | plain | checkpointed |
|---|---|---|
| wengert Tensor | a loop over the layers, ``loss.backward()`` | ``wg.checkpoint_sequential(layers, 7, x)`` |
| PyTorch eager | the same loop | ``torch.utils.checkpoint.checkpoint_sequential(layers, 7, x, use_reentrant=False)`` |
| JAX eager | ``jax.vjp`` of the loop (no ``jit``) | ``jax.checkpoint`` on each segment but the last (wengert's split) |

Each layer is a closure over its weight; the weights require gradients, the
input does not. The libraries split the 48 layers differently: wengert (and
the JAX rows, which copy it) in ⌈48/7⌉ = 7 layers per segment, the last 6
layers not checkpointed; PyTorch in 48 // 7 = 6 layers per segment, its last
segment (12 layers) not checkpointed.

Memory is measured in a fresh subprocess per row, started with
``MALLOC_MMAP_THRESHOLD_=131072`` so that glibc gives every array above
128 KiB back to the system when it is freed and the resident set size (RSS)
tracks the live bytes. The process builds the weights and the input, runs one
forward and backward pass, then measures a second one: its RSS before
("before"), after the forward pass ("after fwd"), and the peak RSS of the
forward and backward pass (``VmHWM``, reset just before the forward pass
through ``/proc/self/clear_refs``). The first pass pays for what a library
allocates once and keeps (PyTorch's first matrix products and its first
checkpointed pass leave 8 and 70 MiB behind; JAX compiles each operation), so
its tape figure is shown apart ("1st pass"). The 48 weights (192 MiB) and their
gradients (192 MiB) dominate the peak, so the tape's own share is reported as
"tape" = after fwd − before. For wengert the bytes the graph holds are also
counted directly, by walking it from the loss's node (distinct array buffers
among every node's saved arguments and outputs, the weights and the input left
out): a cross-check of the RSS figure.

Time is measured in this process (all engines built side by side), after
checking that each engine's checkpointed gradients equal its plain ones and its
plain gradients wengert's (float32 tolerance, relative 1e-4): rounds of one
plain and one checkpointed pass of every engine in turn, as the harness
interleaves its cases. Each pass lasts over a second, so the median is of
``min(--repeats, 5)`` passes of each kind.

Goals: tape after the forward pass ≤ 35% of the plain run's, time ≤ 1.35×, and
a peak no higher than the plain run's.

Run: ``python benchmarks/run.py B7`` (or ``python benchmarks/b7_checkpoint.py``).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness import PYTORCH, WENGERT, Config, Row, _add_ratios, relative_error

WORKLOAD = "B7"
TITLE = "B7 48 layers tanh(h @ W_i), W_i 1024×1024 float32, batch 512: forward+backward, plain and checkpointed"
LAYERS = 48
WIDTH = 1024
BATCH = 512
SEGMENTS = round(math.sqrt(LAYERS))
MMAP_THRESHOLD = "131072"
FLOAT32_TOLERANCE = 1e-4
MOST_TIME_REPEATS = 5
MiB = 2.0**20
TASK = "forward+backward"
KINDS = ("plain", "checkpointed")
GOALS = {"tape": 0.35, "time": 1.35, "peak": 1.0}


def problem(layers: int = LAYERS, width: int = WIDTH, batch: int = BATCH, seed: int = 0):
    """The weights (a generator, one float32 width×width array at a time) and the input (batch×width).

    Weights are N(0, 1/width), so that the activations stay of order 0.1–1 through 48 tanh layers.

    Example:
        >>> weights, x = problem(layers=2, width=4, batch=3)
        >>> [w.shape for w in weights], x.shape, x.dtype
        ([(4, 4), (4, 4)], (3, 4), dtype('float32'))
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width), dtype=np.float32)

    def weights():
        scale = np.float32(1.0 / math.sqrt(width))
        for _ in range(layers):
            yield rng.standard_normal((width, width), dtype=np.float32) * scale

    return weights(), x


def wengert_partition(layers: int, segments: int) -> list[range]:
    """wengert's split of ``layers`` into ``segments``: ⌈layers/segments⌉ per piece, the last one shorter.

    Example:
        >>> [len(piece) for piece in wengert_partition(48, 7)]
        [7, 7, 7, 7, 7, 7, 6]
    """
    size = -(-layers // segments)
    return [range(start, min(start + size, layers)) for start in range(0, layers, size)]


# ----------------------------------------------------------------------------- the engines (run in a child)


class Engine:
    """One library's version of the network: build it, run the forward pass, then the backward pass."""

    def build(self, config_threads: int | None) -> None:
        """Import the library, make the weights (requiring gradients) and the input."""
        raise NotImplementedError

    def forward(self, checkpointed: bool) -> Any:
        """The forward pass up to the loss; the result holds whatever the backward pass needs."""
        raise NotImplementedError

    def backward(self, handle: Any) -> list[np.ndarray]:
        """The backward pass from ``handle``; the 48 weight gradients as NumPy arrays (then cleared)."""
        raise NotImplementedError

    def graph_bytes(self, handle: Any) -> dict[str, float] | None:
        """Bytes held by the recorded graph, counted directly (None when the engine does not expose it)."""
        return None


class WengertEngine(Engine):
    def build(self, config_threads: int | None) -> None:
        import wengert as wg
        import wengert.numpy as wnp

        self.wg = wg
        weights, x = problem()
        self.weights = [wg.tensor(w, requires_grad=True) for w in weights]
        self.x = wg.tensor(x)

        def make_layer(weight):
            def layer(h):
                return wnp.tanh(h @ weight)

            return layer

        self.layers = [make_layer(weight) for weight in self.weights]

    def forward(self, checkpointed: bool) -> Any:
        if checkpointed:
            out = self.wg.checkpoint_sequential(self.layers, SEGMENTS, self.x)
        else:
            out = self.x
            for layer in self.layers:
                out = layer(out)
        return out.sum()

    def backward(self, handle: Any) -> list[np.ndarray]:
        handle.backward()
        grads = [np.asarray(weight.grad.primal) for weight in self.weights]
        for weight in self.weights:
            weight.grad = None
        return grads

    def graph_bytes(self, handle: Any) -> dict[str, float]:
        excluded = {id(_buffer(weight.primal)) for weight in self.weights} | {id(_buffer(self.x.primal))}
        return walk_graph(handle._node, excluded)


class TorchEngine(Engine):
    def build(self, config_threads: int | None) -> None:
        import torch
        import torch.utils.checkpoint

        if config_threads is not None:
            torch.set_num_threads(config_threads)
        self.torch = torch
        weights, x = problem()
        # from_numpy shares the arrays' memory: no copy to count twice.
        self.weights = [torch.from_numpy(w).requires_grad_() for w in weights]
        self.x = torch.from_numpy(x)

        def make_layer(weight):
            def layer(h):
                return torch.tanh(h @ weight)

            return layer

        self.layers = [make_layer(weight) for weight in self.weights]

    def forward(self, checkpointed: bool) -> Any:
        if checkpointed:
            out = self.torch.utils.checkpoint.checkpoint_sequential(self.layers, SEGMENTS, self.x, use_reentrant=False)
        else:
            out = self.x
            for layer in self.layers:
                out = layer(out)
        return out.sum()

    def backward(self, handle: Any) -> list[np.ndarray]:
        handle.backward()
        grads = [weight.grad.numpy() for weight in self.weights]
        for weight in self.weights:
            weight.grad = None
        return grads


class JaxEngine(Engine):
    def build(self, config_threads: int | None) -> None:
        from harness import import_jax

        jax = import_jax()
        import jax.numpy as jnp

        self.jax = jax
        weights, x = problem()
        self.weights = [jnp.asarray(w) for w in weights]
        self.x = jnp.asarray(x)

        def layer(h, weight):
            return jnp.tanh(h @ weight)

        def segment(h, weights):
            for weight in weights:
                h = layer(h, weight)
            return h

        checkpointed_segment = jax.checkpoint(segment)
        pieces = wengert_partition(LAYERS, SEGMENTS)

        def loss_plain(weights):
            return jnp.sum(segment(self.x, weights))

        def loss_checkpointed(weights):
            h = self.x
            for index, piece in enumerate(pieces):
                run = segment if index == len(pieces) - 1 else checkpointed_segment
                h = run(h, [weights[i] for i in piece])
            return jnp.sum(h)

        self.losses = {False: loss_plain, True: loss_checkpointed}

    def forward(self, checkpointed: bool) -> Any:
        loss, pullback = self.jax.vjp(self.losses[checkpointed], self.weights)
        self.jax.block_until_ready(loss)
        return pullback, loss

    def backward(self, handle: Any) -> list[np.ndarray]:
        pullback, loss = handle
        (grads,) = pullback(self.jax.numpy.ones_like(loss))
        return [np.asarray(self.jax.block_until_ready(g)) for g in grads]


ENGINES: dict[str, type[Engine]] = {
    "wengert Tensor": WengertEngine,
    "PyTorch eager": TorchEngine,
    "JAX eager": JaxEngine,
}
# The module a child needs, checked in the parent so that an absent peer costs no subprocess.
MODULES = {"wengert Tensor": "wengert", "PyTorch eager": "torch", "JAX eager": "jax"}
METHODS = {
    "wengert Tensor": ("loop, .backward()", f"checkpoint_sequential({SEGMENTS})"),
    "PyTorch eager": ("loop, .backward()", f"checkpoint_sequential({SEGMENTS}, use_reentrant=False)"),
    "JAX eager": ("vjp of the loop", f"jax.checkpoint × {SEGMENTS - 1} segments, last plain"),
}


def _buffer(array: Any) -> Any:
    """The array that owns the memory of ``array`` (a view's base, followed to the root)."""
    while isinstance(array, np.ndarray) and isinstance(array.base, np.ndarray):
        array = array.base
    return array


def walk_graph(root: Any, excluded_ids: set[int]) -> dict[str, float]:
    """Bytes of the distinct array buffers that the graph reachable from ``root`` holds.

    Follows ``node.parents`` (and nodes among ``node.params``, such as a
    checkpoint's boundary) and counts ``node.args`` and ``node.ans``; buffers
    whose id is in ``excluded_ids`` (the weights, the input) are counted apart.
    """
    seen_nodes: set[int] = set()
    buffers: dict[int, int] = {}
    stack = [root]
    nodes = 0
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        nodes += 1
        values = [*(node.args or ()), node.ans]
        for value in node.params.values() if isinstance(node.params, dict) else ():
            if isinstance(value, tuple) and value and all(hasattr(item, "parents") for item in value):
                stack.extend(value)
            else:
                values.append(value)
        for value in values:
            buffer = _buffer(getattr(value, "primal", value))
            if isinstance(buffer, np.ndarray):
                buffers[id(buffer)] = buffer.nbytes
        stack.extend(parent for parent in node.parents if parent is not None)
    held = sum(size for key, size in buffers.items() if key not in excluded_ids)
    shared = sum(size for key, size in buffers.items() if key in excluded_ids)
    return {"nodes": nodes, "graph_bytes": held, "graph_weight_input_bytes": shared}


# ----------------------------------------------------------------------------- child processes


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False when not permitted."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _measured_pass(engine: Engine, checkpointed: bool) -> dict[str, Any]:
    """One forward and backward pass with RSS read before, after the forward pass and at the peak (KiB)."""
    gc.collect()
    before = _status_kib("VmRSS")
    peak_reset = _reset_peak()
    start = time.perf_counter()
    handle = engine.forward(checkpointed)
    forward_s = time.perf_counter() - start
    after_forward = _status_kib("VmRSS")
    graph = engine.graph_bytes(handle)
    start = time.perf_counter()
    engine.backward(handle)
    backward_s = time.perf_counter() - start
    peak = _status_kib("VmHWM")
    del handle
    gc.collect()
    return {
        "rss_before_mib": before / 1024,
        "rss_after_forward_mib": after_forward / 1024,
        "tape_mib": (after_forward - before) / 1024,
        "peak_mib": peak / 1024,
        "peak_above_before_mib": (peak - before) / 1024,
        "rss_after_backward_mib": _status_kib("VmRSS") / 1024,
        "peak_reset": peak_reset,
        "graph": graph,
        "forward_s": forward_s,
        "backward_s": backward_s,
    }


def child_memory(name: str, checkpointed: bool, threads: int | None) -> dict[str, Any]:
    """Two forward and backward passes in this fresh process; the second one's memory is the figure.

    The first pass pays for what a process allocates once and keeps (BLAS
    work buffers: about 70 MiB in PyTorch's first matrix product; JAX's
    compiled operations), which is no part of the tape; its figures are kept
    as ``first_pass``.
    """
    engine = ENGINES[name]()
    engine.build(threads)
    first = _measured_pass(engine, checkpointed)
    return _measured_pass(engine, checkpointed) | {"first_pass": first}


def child_main(argv: Sequence[str]) -> None:
    """Entry point of a memory child: ``--child NAME plain|checkpointed THREADS OUT``."""
    name, kind, threads_text, out = argv
    threads = None if threads_text == "default" else int(threads_text)
    Path(out).write_text(json.dumps(child_memory(name, kind == "checkpointed", threads)))


# ----------------------------------------------------------------------------- the parent: memory


def _run_child(arguments: list[str], out: Path, timeout: float) -> dict[str, Any]:
    environment = dict(os.environ)
    environment["MALLOC_MMAP_THRESHOLD_"] = MMAP_THRESHOLD
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *arguments, str(out)]
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"exit status {completed.returncode}")
    return json.loads(out.read_text())


def measure_memory(name: str, config: Config, directory: Path, log: bool = True) -> dict[str, Any]:
    """The memory figures of plain and checkpointed runs, each in a fresh process."""
    threads = "default" if config.threads is None else str(config.threads)
    result = {}
    for kind in KINDS:
        if log:
            print(f"  {WORKLOAD} {name} memory, {kind} (fresh process) ...", file=sys.stderr, flush=True)
        out = directory / f"{name}-{kind}.json".replace(" ", "_")
        result[kind] = _run_child([name, kind, threads], out, timeout=600)
    return result


# ----------------------------------------------------------------------------- the parent: time


def _step(engine: Engine, checkpointed: bool) -> list[np.ndarray]:
    return engine.backward(engine.forward(checkpointed))


def check_and_time(
    names: Sequence[str], config: Config, log: bool = True
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Build each engine in this process, check its gradients, then time every configuration round robin.

    Returns per implementation ``{"times_s": {kind: [...]}, "error_vs_plain", "error_vs_wengert"}`` and the
    implementations that failed, with the error.
    """
    engines: dict[str, Engine] = {}
    checks: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    reference = None
    for name in names:
        if log:
            print(f"  {WORKLOAD} {name} time: checking the gradients ...", file=sys.stderr, flush=True)
        try:
            engine = ENGINES[name]()
            engine.build(config.threads)
            plain = _step(engine, False)  # also the warm-up of both kinds
            checked = _step(engine, True)
        except Exception as error:  # a peer that breaks must not stop the others
            failures[name] = f"{type(error).__name__}: {error}"
            print(f"WARNING: {WORKLOAD} {name} failed: {failures[name]}")
            continue
        if reference is None and name == "wengert Tensor":
            reference = plain
        checks[name] = {
            "error_vs_plain": max(relative_error(c, p) for c, p in zip(checked, plain)),
            "error_vs_wengert": None if reference is None else relative_error(plain, reference),
            "times_s": {kind: [] for kind in KINDS},
        }
        engines[name] = engine
        del plain, checked
    repeats = max(1, min(config.repeats, MOST_TIME_REPEATS))
    configurations = [(name, kind) for name in engines for kind in KINDS]
    if log:
        print(f"  {WORKLOAD} time: {repeats} rounds of {len(configurations)} runs ...", file=sys.stderr, flush=True)
    for round_index in range(repeats):
        # Interleaved, each round starting one place further on, so that a slow spell touches all alike.
        shift = round_index % len(configurations)
        for name, kind in configurations[shift:] + configurations[:shift]:
            gc.collect()
            start = time.perf_counter()
            _step(engines[name], kind == "checkpointed")
            checks[name]["times_s"][kind].append(time.perf_counter() - start)
    return checks, failures


# ----------------------------------------------------------------------------- reporting


def memory_table(results: dict[str, dict[str, Any]]) -> str:
    """The memory figures (MiB), one line per implementation and configuration, with the goals' ratios."""
    columns = [
        "implementation",
        "method",
        "before",
        "after fwd",
        "tape",
        "1st pass",
        "graph walk",
        "peak",
        "peak−before",
        "tape/plain",
        "peak/plain",
        "time/plain",
    ]
    lines = []
    for name, result in results.items():
        if "error" in result:
            lines.append([name, result["error"], *[""] * (len(columns) - 2)])
            continue
        plain = result["plain"]
        times = result.get("times_s")
        for kind, method in zip(KINDS, METHODS[name]):
            memory = result[kind]
            graph = memory.get("graph")
            time_ratio = statistics.median(times[kind]) / statistics.median(times["plain"]) if times else None
            lines.append(
                [
                    name,
                    method,
                    f"{memory['rss_before_mib']:.0f}",
                    f"{memory['rss_after_forward_mib']:.0f}",
                    f"{memory['tape_mib']:.1f}",
                    f"{memory['first_pass']['tape_mib']:.1f}",
                    f"{graph['graph_bytes'] / MiB:.1f}" if graph else "",
                    f"{memory['peak_mib']:.0f}",
                    f"{memory['peak_above_before_mib']:.0f}",
                    f"{memory['tape_mib'] / plain['tape_mib']:.0%}",
                    f"{memory['peak_mib'] / plain['peak_mib']:.2f}",
                    "n/a" if time_ratio is None else f"{time_ratio:.2f}",
                ]
            )
    widths = [max(len(str(item)) for item in column) for column in zip(columns, *lines)]

    def render(items: Sequence[str]) -> str:
        return "  ".join(
            str(item).ljust(width) if index < 2 else str(item).rjust(width)
            for index, (item, width) in enumerate(zip(items, widths))
        ).rstrip()

    rule = "-" * len(render(columns))
    title = (
        f"B7 memory, MiB (RSS; a fresh process per line, MALLOC_MMAP_THRESHOLD_={MMAP_THRESHOLD}); "
        f"goals: tape/plain ≤ {GOALS['tape']:.0%}, time/plain ≤ {GOALS['time']}, peak/plain ≤ {GOALS['peak']}"
    )
    notes = (
        "every figure is of the second pass in the process; before: RSS after building weights and input and one "
        "pass; tape = after fwd − before;\n1st pass: the tape figure of the process's first pass (with what a "
        "library allocates once); graph walk: arrays the wengert graph holds, weights and input excluded;\n"
        f"peak: VmHWM over forward+backward (weights and gradients are 2 × {LAYERS * WIDTH * WIDTH * 4 / MiB:.0f} "
        "MiB of it); time/plain: the medians of the timing table below"
    )
    return "\n".join([title, rule, render(columns), rule, *map(render, lines), rule, notes])


def rows_of(name: str, result: dict[str, Any]) -> list[Row]:
    """The harness rows (time, checks, memory figures in the notes) of one implementation."""
    rows = []
    for kind, method in zip(KINDS, METHODS[name]):
        row = Row(WORKLOAD, name, TASK, method, "ok", figure_unit="s", compare_task=TASK)
        rows.append(row)
        if "error" in result:
            row.status, row.note = result.get("status", "failed"), result["error"]
            continue
        if kind == "plain":
            row.role = {"wengert Tensor": WENGERT, "PyTorch eager": PYTORCH}.get(name)
            error = result.get("error_vs_wengert")
            if name == "wengert Tensor":
                row.check, row.relative_error = "reference", 0.0
            elif error is None:
                row.check = "no wengert reference"
            else:
                row.relative_error = error
                row.check = "ok" if error <= FLOAT32_TOLERANCE else "MISMATCH"
        elif "error_vs_plain" in result:
            row.relative_error = result["error_vs_plain"]
            row.check = "ok vs plain" if row.relative_error <= FLOAT32_TOLERANCE else "MISMATCH vs plain"
        if row.check.startswith("MISMATCH"):
            print(f"WARNING: {WORKLOAD} {name} {method}: gradients differ, relative error {row.relative_error:.1e}")
        times = result.get("times_s", {}).get(kind)
        if times:
            row.times_s, row.loops = times, 1
            row.median_s = row.figure = statistics.median(times)
        else:
            row.status, row.note = "failed", result.get("time_error", "not timed")
        if kind in result:
            memory, plain = result[kind], result["plain"]
            row.extra = {"tape MiB": memory["tape_mib"], "peak MiB": memory["peak_mib"]}
            if kind == "checkpointed":
                row.extra["tape/plain"] = memory["tape_mib"] / plain["tape_mib"]
                row.extra["peak/plain"] = memory["peak_mib"] / plain["peak_mib"]
        elif "memory_error" in result:
            row.note = f"memory: {result['memory_error']}"
        if kind == "checkpointed" and row.median_s and times and result["times_s"].get("plain"):
            row.extra["time/plain"] = row.median_s / statistics.median(result["times_s"]["plain"])
    return rows


def run(config: Config) -> list[Row]:
    """Measure B7's memory (fresh processes) and time (this process) for wengert and every importable peer."""
    results: dict[str, dict[str, Any]] = {}
    for name in ENGINES:
        if not config.implementations or any(p.lower() in name.lower() for p in config.implementations):
            if importlib.util.find_spec(MODULES[name]) is None:
                results[name] = {"status": "n/a", "error": f"not importable: {MODULES[name]}"}
            else:
                results[name] = {}
    present = [name for name, result in results.items() if "error" not in result]
    with tempfile.TemporaryDirectory(prefix="wengert-b7-") as directory:
        for name in present:
            try:
                results[name] |= measure_memory(name, config, Path(directory))
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                results[name]["memory_error"] = f"{type(error).__name__}: {error}"
                print(f"WARNING: {WORKLOAD} {name} memory failed: {error}")
    checks, failures = check_and_time(present, config)
    for name in present:
        results[name] |= checks.get(name, {})
        if name in failures:
            results[name]["time_error"] = failures[name]
    rows = [row for name, result in results.items() for row in rows_of(name, result)]
    _add_ratios(rows)
    print()
    measured = {name: result for name, result in results.items() if "error" in result or "plain" in result}
    print(memory_table(measured), flush=True)
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        import run as runner

        runner.main([WORKLOAD, *sys.argv[1:]])
