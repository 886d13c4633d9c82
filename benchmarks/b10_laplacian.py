"""B10, the Laplacian of an MLP at many points: collapsed Taylor mode against nested forward mode and the peers.

An MLP d→128→128→128→1 (tanh), weights drawn once with NumPy (seed 0, as
B2's `mlp_weights`: Glorot normal, biases N(0, 0.1²)); N = 1,000 points
uniform on [−1, 1]^d (seed 1); float64. The task is Δu = Σ_i ∂²u/∂x_i² at
every point (N values), for d = 2, 8, 32 and 128, one task per d. The figure
is ms per Laplacian.

wengert: `wengert.pinn.laplacian` on a `wengert.pinn.DenseNetwork`
(collapsed Taylor mode, `wengert.core.taylor.second_order_jet`: u, the d
first-order streams and ONE second-order stream, 1 + d + 1 streams through
the network, in groups of 16 directions at N = 1,000 whose streams are added;
the reference); ``wg.laplacian`` of the network written as a
plain function (the same interpreter, through `wg.differential_operator`);
nested forward mode (``method="jvp"``: d jvps of jvps, 4 streams each);
the trace of ``wg.vmap(wg.hessian(u))`` over the points; and ``wg.jit`` of
the collapsed and the jvp-of-jvp rows (compile time reported apart).
JAX (under ``jit``, the weights as arguments): jvp-of-jvp vmapped over the d
unit directions, ``jax.experimental.jet`` (order 2) vmapped likewise, and the
trace of ``vmap(hessian)``. PyTorch: double backward (∇u by one backward
with ``create_graph=True``, then one backward per coordinate for ∂²u/∂x_i²,
the reference of the ×PyTorch column) and the trace of
``torch.func.vmap(torch.func.hessian(u))``.

Stochastic rows: the same network at d = 1,000 on N = 100 points, Δu exact
(collapsed Taylor mode, the reference) and by Hutchinson's estimator with S
random Rademacher directions (collapsed passes of up to 16,384 rows), with the relative
L2 error of the estimate (root mean square over 10 keys) in the notes.

Every exact answer is checked against the collapsed row to 1e-8 before timing. The
notes give ``×JAX best`` (median ÷ the fastest JAX jit row of the same d: the
issue's goal is ≤ 1.0 for collapsed Taylor) and, on the collapsed rows,
``nested/collapsed`` (the jvp-of-jvp row of the same dialect over this one:
the goal is ≥ 3 at d ≥ 32 on the eager rows; under jit, common-subexpression
elimination leaves the nested program 2d + 1 streams against d + 2, a ratio
below 2 — README.md, B10, says how the goals are read). A row whose single call exceeds `CALL_BUDGET_S`
seconds is n/a with its measured time (it would take ten such calls to time
it), so that B10 stays within a few minutes.

Run: ``python benchmarks/run.py B10 --threads 1`` (or ``python benchmarks/b10_laplacian.py --threads 1``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from b2_pinn_sir import mlp, mlp_weights
from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, block, import_jax, run_cases

WORKLOAD = "B10"
TITLE = "B10 Laplacian: MLP d→128→128→128→1 tanh, N=1,000 points in [−1, 1]^d, Δu at every point (float64)"
DIMENSIONS = (2, 8, 32, 128)
HIDDEN = (128, 128, 128)
POINTS = 1000
CALL_BUDGET_S = 2.0


STOCHASTIC_DIMENSION = 1000
STOCHASTIC_POINTS = 100  # the exact reference carries d = 1,000 first-order streams of (N, 128): 100 MB each at N = 100
STOCHASTIC_SAMPLES = (1, 8, 64, 512)
STOCHASTIC_KEYS = 10


def problem(d: int, points: int = POINTS) -> tuple[list[np.ndarray], np.ndarray]:
    """The weights [W1, b1, …] (W of shape (in, out); seed 0) and the (N, d) points (seed 1).

    Example:
        >>> params, x = problem(2)
        >>> [w.shape for w in params[::2]], x.shape
        ([(2, 128), (128, 128), (128, 128), (128, 1)], (1000, 2))
    """
    params = mlp_weights((d, *HIDDEN, 1), np.random.default_rng(0))
    return params, np.random.default_rng(1).uniform(-1.0, 1.0, (points, d))


def within_budget(prepare: Callable[[], Callable[[], Any]]) -> Callable[[], Callable[[], Any]]:
    """``prepare``, made n/a (NotImplementedError with the measured time) when one call exceeds the budget."""

    def guarded():
        call = prepare()
        start = time.perf_counter()
        call()
        elapsed = time.perf_counter() - start
        if elapsed > CALL_BUDGET_S:
            raise NotImplementedError(
                f"one call took {elapsed:.1f} s (> {CALL_BUDGET_S:g} s budget; timing needs ~10 calls)"
            )
        return call

    return guarded


# ----------------------------------------------------------------------------- wengert


def wengert_laplacian(d: int, method: str, jit: bool = False) -> Callable:
    """`pinn.laplacian` on a DenseNetwork: collapsed Taylor mode, or jvps of jvps (``method="jvp"``)."""

    def prepare():
        import wengert as wg
        from wengert.pinn import DenseNetwork, laplacian

        params, x = problem(d)
        network = DenseNetwork(params, "tanh")

        def delta(points):
            return laplacian(network, points, method=method)[:, 0]

        if jit:
            delta = wg.jit(delta)
        return lambda: delta(x)

    return prepare


def wengert_general_laplacian(d: int, jit: bool = False) -> Callable:
    """``wg.laplacian`` of the network written as a plain function: collapsed Taylor mode on any primitives."""

    def prepare():
        import wengert as wg
        import wengert.numpy as wnp

        params, x = problem(d)
        delta = wg.laplacian(lambda p: mlp(params, p, wnp.tanh)[..., 0])
        if jit:
            delta = wg.jit(delta)
        return lambda: delta(x)

    return prepare


def wengert_hessian_trace(d: int) -> Callable:
    def prepare():
        import wengert as wg
        import wengert.numpy as wnp

        params, x = problem(d)
        hessians = wg.vmap(wg.hessian(lambda p: mlp(params, p, wnp.tanh)[0]))  # (N, d, d)
        return lambda: np.trace(np.asarray(hessians(x)), axis1=1, axis2=2)

    return prepare


# ----------------------------------------------------------------------------- JAX


def jax_case(d: int, method: str) -> Callable:
    def prepare():
        jax = import_jax()
        import jax.numpy as jnp

        params, x = problem(d)
        params, x = [jnp.asarray(p) for p in params], jnp.asarray(x)
        units = jnp.eye(d)

        if method == "jvp":

            def delta(params, x):
                u = lambda p: mlp(params, p, jnp.tanh)[:, 0]  # noqa: E731

                def along(unit):
                    tangent = jnp.broadcast_to(unit, x.shape)
                    return jax.jvp(lambda p: jax.jvp(u, (p,), (tangent,))[1], (x,), (tangent,))[1]

                return jax.vmap(along)(units).sum(axis=0)

        elif method == "jet":
            from jax.experimental.jet import jet

            def delta(params, x):
                u = lambda p: mlp(params, p, jnp.tanh)[:, 0]  # noqa: E731

                def along(unit):
                    tangent = jnp.broadcast_to(unit, x.shape)
                    # factorial-scaled series: the second term is the second derivative along the tangent
                    return jet(u, (x,), ((tangent, jnp.zeros_like(x)),))[1][1]

                return jax.vmap(along)(units).sum(axis=0)

        else:

            def delta(params, x):
                hessian = jax.hessian(lambda p: mlp(params, p, jnp.tanh)[0])
                return jax.vmap(lambda p: jnp.trace(hessian(p)))(x)

        delta = jax.jit(delta)
        return lambda: block(delta(params, x))

    return prepare


# ----------------------------------------------------------------------------- PyTorch


def pytorch_double_backward(d: int) -> Callable:
    def prepare():
        import torch

        params, x = problem(d)
        params, points = [torch.from_numpy(p) for p in params], torch.from_numpy(x)

        def call():
            x = points.clone().requires_grad_(True)
            u = mlp(params, x, torch.tanh)
            (gradient,) = torch.autograd.grad(u.sum(), x, create_graph=True)
            total = None
            for i in range(d):  # the network acts row by row: Σ_n ∂u_n/∂x_{n,i} seeds every point at once
                (row,) = torch.autograd.grad(gradient[:, i].sum(), x, retain_graph=i < d - 1)
                total = row[:, i] if total is None else total + row[:, i]
            return total

        return call

    return prepare


def pytorch_hessian_trace(d: int) -> Callable:
    def prepare():
        import torch
        from torch.func import hessian, vmap

        params, x = problem(d)
        params, points = [torch.from_numpy(p) for p in params], torch.from_numpy(x)
        hessians = vmap(hessian(lambda p: mlp(params, p, torch.tanh)[0]))
        return lambda: hessians(points).diagonal(dim1=-2, dim2=-1).sum(-1)

    return prepare


# ----------------------------------------------------------------------------- run


NESTED = "laplacian(λ, method='jvp'): d jvps of jvps"
COLLAPSED = "pinn.laplacian (collapsed Taylor)"
JIT_NESTED = "jit, laplacian(λ, method='jvp'): jvp-of-jvp"
JIT_COLLAPSED = "jit, pinn.laplacian (collapsed Taylor)"


def cases_for(d: int) -> list[Case]:
    task = f"laplacian d={d}"
    return [
        Case("wengert", task, COLLAPSED, wengert_laplacian(d, "auto"), role=WENGERT),
        Case(
            "wengert", task, "wg.laplacian of a plain function (collapsed jet, general)", wengert_general_laplacian(d)
        ),
        Case("wengert", task, NESTED, within_budget(wengert_laplacian(d, "jvp"))),
        Case("wengert", task, "trace of vmap(hessian)", within_budget(wengert_hessian_trace(d))),
        Case("wengert jit", task, JIT_COLLAPSED, wengert_laplacian(d, "auto", jit=True), jit=True),
        Case("wengert jit", task, JIT_NESTED, wengert_laplacian(d, "jvp", jit=True), jit=True),
        Case(
            "wengert jit",
            task,
            "jit(wg.laplacian) of a plain function",
            wengert_general_laplacian(d, jit=True),
            jit=True,
        ),
        Case("JAX jit", task, "jit, vmap over e_i of jvp-of-jvp", jax_case(d, "jvp"), jit=True),
        Case("JAX jit", task, "jit, vmap over e_i of jet (order 2)", jax_case(d, "jet"), jit=True),
        Case("JAX jit", task, "jit, trace of vmap(hessian)", jax_case(d, "hessian"), jit=True),
        Case(
            "PyTorch eager",
            task,
            "double backward, one per coordinate",
            within_budget(pytorch_double_backward(d)),
            role=PYTORCH,
        ),
        Case("PyTorch torch.func", task, "trace of vmap(hessian)", within_budget(pytorch_hessian_trace(d))),
    ]


def stochastic_laplacian(samples: int | None, seed: int = 0) -> Callable:
    """``wg.laplacian`` of the network at d = 1,000: exact (``samples=None``) or Hutchinson's estimate."""

    def prepare():
        import wengert as wg
        import wengert.numpy as wnp

        params, x = problem(STOCHASTIC_DIMENSION, STOCHASTIC_POINTS)
        u = lambda p: mlp(params, p, wnp.tanh)[..., 0]  # noqa: E731
        key = None if samples is None else wg.random.PRNGKey(seed)
        delta = wg.laplacian(u, samples=samples, key=key)
        return lambda: delta(x)

    return prepare


def stochastic_cases() -> list[Case]:
    task = f"stochastic d={STOCHASTIC_DIMENSION}, N={STOCHASTIC_POINTS}"
    cases = [Case("wengert", task, "wg.laplacian, exact (collapsed Taylor)", stochastic_laplacian(None), role=WENGERT)]
    for samples in STOCHASTIC_SAMPLES:
        method = f"wg.laplacian(samples={samples}, key): Hutchinson"
        cases.append(Case("wengert", task, method, stochastic_laplacian(samples), check=False))
    return cases


def add_stochastic_errors(rows: list[Row]) -> None:
    """The estimator's relative L2 error over the N points, root mean square over `STOCHASTIC_KEYS` keys."""
    exact = np.asarray(stochastic_laplacian(None)()())
    for row in rows:
        if row.status != "ok" or "Hutchinson" not in row.method:
            continue
        samples = int(row.method.split("samples=")[1].split(",")[0])
        errors = [
            np.linalg.norm(np.asarray(stochastic_laplacian(samples, seed)()()) - exact) / np.linalg.norm(exact)
            for seed in range(STOCHASTIC_KEYS)
        ]
        row.extra["rel. error (rms over keys)"] = float(np.sqrt(np.mean(np.square(errors))))


def add_goal_ratios(rows: list[Row]) -> None:
    """×JAX best on every row; nested/collapsed on the collapsed rows (the issue's two goals)."""
    for task in {row.task for row in rows}:
        same = [row for row in rows if row.task == task and row.median_s is not None]
        jax_best = min((row.median_s for row in same if row.implementation == "JAX jit"), default=None)
        methods = {row.method: row.median_s for row in same}
        for row in same:
            if jax_best is not None:
                row.extra["×JAX best"] = row.median_s / jax_best
            nested = {COLLAPSED: NESTED, JIT_COLLAPSED: JIT_NESTED}.get(row.method)
            if nested in methods:
                row.extra["nested/collapsed"] = methods[nested] / row.median_s


def run(config: Config) -> list[Row]:
    """Check and time B10 for d = 2, 8, 32 and 128."""
    rows = []
    for d in DIMENSIONS:
        rows += run_cases(WORKLOAD, cases_for(d), config, Figure("ms", 1e3))
    add_goal_ratios(rows)
    stochastic = run_cases(WORKLOAD, stochastic_cases(), config, Figure("ms", 1e3))
    add_stochastic_errors(stochastic)
    return rows + stochastic


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
