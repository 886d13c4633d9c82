"""Step time of the stateful optimisers (``optimizer.step()`` alone, gradients fixed) on B2- and B4-sized parameters.

B2's list is the PINN-SIR MLP 1→32→32→32→3 and its two scalar rates (10
parameters, 2,311 numbers); B4's the MLP 784→1024→1024→10 (6 parameters,
1.86 million numbers). Each figure is the best of ``repeats`` medians' worth of
timed loops (the machine is shared: the minimum is the stable statistic).
To compare two versions of wengert, run the script once with each on
``PYTHONPATH``, alternating, and compare the minima.

Run: ``python benchmarks/optim_step.py`` (``--quick`` for B2 only).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import wengert as wg
from wengert import optim

B2_SHAPES = [(1, 32), (32,), (32, 32), (32,), (32, 32), (32,), (32, 3), (3,), (), ()]
B4_SHAPES = [(784, 1024), (1024,), (1024, 1024), (1024,), (1024, 10), (10,)]

OPTIMISERS: dict[str, Callable[[list[Any]], optim.Optimizer]] = {
    "SGD": lambda ps: optim.SGD(ps, lr=1e-3),
    "SGD momentum": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9),
    "SGD nesterov + wd": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True, weight_decay=1e-4),
    "Adam": lambda ps: optim.Adam(ps, lr=1e-3),
    "Adam, 1 param/group": lambda ps: optim.Adam([{"params": [p]} for p in ps], lr=1e-3),
    "Adam amsgrad + wd": lambda ps: optim.Adam(ps, lr=1e-3, amsgrad=True, weight_decay=1e-4),
    "AdamW": lambda ps: optim.AdamW(ps, lr=1e-3),
}


def parameters(shapes: Sequence[tuple[int, ...]], dtype: Any, seed: int = 0) -> list[Any]:
    """Tensors of ``shapes`` with random values and random fixed gradients.

    Example:
        >>> [p.shape for p in parameters([(2, 3), ()], np.float32)]
        [(2, 3), ()]
    """
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        parameter = wg.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
        parameter.grad = wg.tensor(rng.standard_normal(shape).astype(dtype))
        out.append(parameter)
    return out


def step_time(optimizer: optim.Optimizer, repeats: int, inner: int) -> float:
    """The best time of one ``step()`` over ``repeats`` loops of ``inner`` steps, in seconds.

    Example:
        >>> step_time(optim.SGD(parameters([(3,)], np.float64), lr=0.1), 2, 2) > 0
        True
    """
    for _ in range(3):
        optimizer.step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            optimizer.step()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def main(quick: bool = False) -> None:
    """Print one line per workload, dtype and optimiser."""
    cases = [("B2 f64", B2_SHAPES, np.float64, 200, 20)]
    if not quick:
        cases += [("B4 f64", B4_SHAPES, np.float64, 15, 3), ("B4 f32", B4_SHAPES, np.float32, 15, 3)]
    for label, shapes, dtype, repeats, inner in cases:
        for name, make in OPTIMISERS.items():
            seconds = step_time(make(parameters(shapes, dtype)), repeats, inner)
            figure = f"{seconds * 1e6:8.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:8.2f} ms"
            print(f"{label}  {name:20s} {figure}", flush=True)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
