"""B9, GradBench's ``ode`` eval: the gradient of an RK4 solution's last component.

The system (cmpad's ``an_ode``): y₀' = x₀ and yᵢ' = xᵢ·yᵢ₋₁ for i > 0, from
y(0) = 0 to t = 2 in s = 10 steps of the classical Runge-Kutta scheme; the task
is the gradient of y_{n-1}(2) with respect to all n inputs x, for n = 1,000 and
10,000. Small vector operations in a chain of 40 right-hand sides: per-operation
cost dominates eager engines, which is what staging (``wg.jit``) removes. JAX jit
is the peer; JAX eager and PyTorch eager are there for scale.

Run: ``python benchmarks/run.py B9`` (or ``python benchmarks/b9_ode.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, block, import_jax, run_cases

WORKLOAD = "B9"
TITLE = "B9 RK4 ODE (GradBench ode): gradient of y[n-1](2) w.r.t. x, s = 10 steps"
STEPS = 10
FINAL_TIME = 2.0
SIZES = (1000, 10000)


def problem(n: int, seed: int = 0) -> np.ndarray:
    """The inputs x: uniform in [0, 1) (GradBench draws them likewise)."""
    return np.random.default_rng(seed).uniform(0.0, 1.0, n)


def solve(x: Any, zeros_like: Callable[[Any], Any], concatenate: Callable[..., Any]) -> Any:
    """y(2) by s RK4 steps, written once for every array library (NumPy's spelling).

    Example:
        >>> y = solve(np.array([1.0, 1.0]), np.zeros_like, np.concatenate)
        >>> [round(v, 6) for v in y]  # y0 = t, y1 = t²/2 at t = 2
        [2.0, 2.0]
    """

    def rhs(y: Any) -> Any:
        return concatenate([x[:1], x[1:] * y[:-1]])

    h = FINAL_TIME / STEPS
    y = zeros_like(x)
    for _ in range(STEPS):
        k1 = rhs(y)
        k2 = rhs(y + h / 2 * k1)
        k3 = rhs(y + h / 2 * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


# ----------------------------------------------------------------------------- wengert


def _wengert_last(x: Any) -> Any:
    import wengert.numpy as wnp

    return solve(x, wnp.zeros_like, wnp.concatenate)[-1]


def wengert_grad(n: int) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import wengert as wg

        x = problem(n)
        gradient = wg.grad(_wengert_last)
        return lambda: gradient(x)

    return prepare


def wengert_jit(n: int) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import wengert as wg

        x = problem(n)
        gradient = wg.jit(wg.grad(_wengert_last))
        return lambda: gradient(x)

    return prepare


# ----------------------------------------------------------------------------- peers


def jax_case(n: int, jit: bool) -> Callable[[], Callable[[], Any]]:
    def prepare():
        jax = import_jax()
        import jax.numpy as jnp

        gradient = jax.grad(lambda x: solve(x, jnp.zeros_like, jnp.concatenate)[-1])
        if jit:
            gradient = jax.jit(gradient)
        x = jnp.asarray(problem(n))
        return lambda: block(gradient(x))

    return prepare


def pytorch_case(n: int) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import torch

        values = torch.from_numpy(problem(n))

        def call():
            x = values.clone().requires_grad_(True)
            solve(x, torch.zeros_like, torch.cat)[-1].backward()
            return x.grad

        return call

    return prepare


def run(config: Config) -> list[Row]:
    """Check and time B9 for n = 1,000 and 10,000."""
    cases = []
    for n in SIZES:
        task = f"gradient n={n}"
        cases += [
            Case("wengert", task, "grad", wengert_grad(n), role=WENGERT),
            Case("wengert jit", task, "jit(grad)", wengert_jit(n), jit=True),
            Case("PyTorch eager", task, ".backward()", pytorch_case(n), role=PYTORCH),
            Case("JAX eager", task, "grad", jax_case(n, jit=False)),
            Case("JAX jit", task, "jit(grad)", jax_case(n, jit=True), jit=True),
        ]
    return run_cases(WORKLOAD, cases, config, Figure("ms", 1e3))


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
