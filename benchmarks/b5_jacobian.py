"""B5, Jacobians: x ↦ tanh(W2 tanh(W1 x)) with W1 (256×n), W2 (m×256), float64.

Two shapes, (n, m) = (8, 2000) and (2000, 8): a function with few inputs and
many outputs, whose Jacobian forward mode gets in n = 8 pushes, and its mirror
image, which reverse mode gets in m = 8 pulls. Every engine's forward and
reverse mode run on both shapes, so the table shows the price of the wrong
mode too; ``wg.jacobian`` must pick the cheap one by itself (its row's notes
say which it picked, read from ``jac.last_mode``). The ×PyTorch column is the
ratio to torch.func in the cheap mode of the shape (jacfwd for (8, 2000),
jacrev for (2000, 8)); the goal is ≤ 1.0 for ``wg.jacobian``.

W1 and W2 have N(0, 1/fan_in) entries and x is N(0, 1) (seed 0), so both
tanh layers work in their curved range. Every Jacobian is checked against
wengert's ``jacobian`` to a relative error of 1e-8 before timing.

Run: ``python benchmarks/run.py B5`` (or ``python benchmarks/b5_jacobian.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, block, import_jax, run_cases

WORKLOAD = "B5"
TITLE = "B5 Jacobian of x ↦ tanh(W2 tanh(W1 x)), W1 256×n, W2 m×256 float64: forward, reverse and auto mode"
HIDDEN = 256
SHAPES = ((8, 2000), (2000, 8))
# HIPS autograd's Jacobians are Python loops of one pass per basis vector; a loop of 2000 passes (its
# expensive mode, seconds per call) would take most of the workload's time budget to say what is known.
LONGEST_LOOP = 100


def _check_loop(passes: int) -> None:
    if passes > LONGEST_LOOP:
        raise NotImplementedError(f"a Python loop of {passes} passes (the expensive mode): not timed")


def problem(n: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W1 (256×n), W2 (m×256) and x (n,), float64, fixed seed.

    Example:
        >>> W1, W2, x = problem(3, 5)
        >>> W1.shape, W2.shape, x.shape
        ((256, 3), (5, 256), (3,))
    """
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((HIDDEN, n)) / np.sqrt(n)
    W2 = rng.standard_normal((m, HIDDEN)) / np.sqrt(HIDDEN)
    return W1, W2, rng.standard_normal(n)


def task(n: int, m: int) -> str:
    """The task label of one shape, e.g. "n=8 → m=2000"."""
    return f"n={n} → m={m}"


def cheap_mode(n: int, m: int) -> str:
    """The mode whose number of passes is min(n, m): "forward" when inputs are fewer than outputs."""
    return "forward" if n < m else "reverse"


# ----------------------------------------------------------------------------- wengert


def _wengert_function(n: int, m: int) -> tuple[Callable[[Any], Any], np.ndarray]:
    import wengert.numpy as wnp

    W1, W2, x = problem(n, m)

    def f(x):
        return wnp.tanh(W2 @ wnp.tanh(W1 @ x))

    return f, x


# The auto-mode Jacobian functions, kept to read ``last_mode`` after the run.
_AUTO_JACOBIANS: dict[str, Any] = {}


def wengert_jacobian(n: int, m: int) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import wengert as wg

        f, x = _wengert_function(n, m)
        jac = wg.jacobian(f)
        _AUTO_JACOBIANS[task(n, m)] = jac
        return lambda: jac(x)

    return prepare


def wengert_mode(n: int, m: int, transform: str) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import wengert as wg

        f, x = _wengert_function(n, m)
        jac = getattr(wg, transform)(f)
        return lambda: jac(x)

    return prepare


# ----------------------------------------------------------------------------- PyTorch


def torch_func(n: int, m: int, transform: str) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import torch

        W1, W2, x = (torch.from_numpy(array) for array in problem(n, m))

        def f(x):
            return torch.tanh(W2 @ torch.tanh(W1 @ x))

        jac = getattr(torch.func, transform)(f)
        return lambda: jac(x)

    return prepare


# ----------------------------------------------------------------------------- JAX


def jax_mode(n: int, m: int, transform: str, jit: bool) -> Callable[[], Callable[[], Any]]:
    def prepare():
        jax = import_jax()
        import jax.numpy as jnp

        W1, W2, x = (jnp.asarray(array) for array in problem(n, m))

        def f(x, W1, W2):
            return jnp.tanh(W2 @ jnp.tanh(W1 @ x))

        # W1, W2 are arguments, not closure constants, so that jit does not fold them into the program.
        jac = getattr(jax, transform)(f)
        if jit:
            jac = jax.jit(jac)
        return lambda: block(jac(x, W1, W2))

    return prepare


# ----------------------------------------------------------------------------- HIPS autograd


def _autograd_function(n: int, m: int) -> tuple[Callable[[Any], Any], np.ndarray]:
    import autograd.numpy as anp

    W1, W2, x = problem(n, m)

    def f(x):
        return anp.tanh(anp.dot(W2, anp.tanh(anp.dot(W1, x))))

    return f, x


def autograd_jacobian(n: int, m: int) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import autograd

        _check_loop(m)
        f, x = _autograd_function(n, m)
        jac = autograd.jacobian(f)
        return lambda: jac(x)

    return prepare


def autograd_forward_loop(n: int, m: int) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import autograd

        _check_loop(n)
        f, x = _autograd_function(n, m)
        basis = np.eye(n)

        def call():
            # make_jvp re-evaluates f for each tangent: n forward passes, one Python loop.
            jvp_at_x = autograd.make_jvp(f)(x)
            return np.stack([jvp_at_x(direction)[1] for direction in basis], axis=1)

        return call

    return prepare


# ----------------------------------------------------------------------------- NumPy by hand


def numpy_closed_form(n: int, m: int) -> Callable[[], Callable[[], Any]]:
    def prepare():
        W1, W2, x = problem(n, m)

        def call():
            # J = diag(1 − y²) W2 diag(1 − h²) W1, associated so that the big product is m×256×n.
            h = np.tanh(W1 @ x)
            y = np.tanh(W2 @ h)
            return (1.0 - y * y)[:, None] * (W2 @ ((1.0 - h * h)[:, None] * W1))

        return call

    return prepare


# ----------------------------------------------------------------------------- running


def cases_for(n: int, m: int) -> list[Case]:
    """Every implementation of one shape; torch.func's cheap mode is the ×PyTorch reference."""
    label = task(n, m)
    cheap = cheap_mode(n, m)
    forward_role = PYTORCH if cheap == "forward" else None
    reverse_role = PYTORCH if cheap == "reverse" else None
    return [
        Case("wengert", label, "jacobian (auto)", wengert_jacobian(n, m), role=WENGERT),
        Case("wengert", label, "jacfwd", wengert_mode(n, m, "jacfwd")),
        Case("wengert", label, "jacrev", wengert_mode(n, m, "jacrev")),
        Case("PyTorch torch.func", label, "jacfwd", torch_func(n, m, "jacfwd"), role=forward_role),
        Case("PyTorch torch.func", label, "jacrev", torch_func(n, m, "jacrev"), role=reverse_role),
        Case("JAX eager", label, "jacfwd", jax_mode(n, m, "jacfwd", jit=False)),
        Case("JAX eager", label, "jacrev", jax_mode(n, m, "jacrev", jit=False)),
        Case("JAX jit", label, "jit(jacfwd)", jax_mode(n, m, "jacfwd", jit=True), jit=True),
        Case("JAX jit", label, "jit(jacrev)", jax_mode(n, m, "jacrev", jit=True), jit=True),
        Case("HIPS autograd", label, f"make_jvp loop over {n} inputs", autograd_forward_loop(n, m)),
        Case("HIPS autograd", label, f"jacobian (rev, loop over {m} outputs)", autograd_jacobian(n, m)),
        Case("NumPy by hand", label, "closed form diag·W2·diag·W1", numpy_closed_form(n, m)),
    ]


def run(config: Config) -> list[Row]:
    """Check and time B5's Jacobians, both shapes, for wengert and every importable peer."""
    rows: list[Row] = []
    for n, m in SHAPES:
        # One run_cases per shape: the expensive mode of one shape need not share repeats with the other.
        shape_rows = run_cases(WORKLOAD, cases_for(n, m), config, Figure("ms", 1e3))
        jac = _AUTO_JACOBIANS.get(task(n, m))
        for row in shape_rows:
            if row.implementation == "wengert" and row.method == "jacobian (auto)" and jac is not None:
                picked = jac.last_mode
                verdict = "the cheap mode" if picked == cheap_mode(n, m) else f"NOT the cheap {cheap_mode(n, m)}"
                row.note = f"picked {picked} ({verdict})"
        rows += shape_rows
    return rows


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
