"""B6, gradient and Hessian-vector product of f(x) = Σ log(1 + (Ax)²), A 2000×2000.

The cost is four or so matrix-vector products with a 32 MB matrix, so this
measures how close an engine's array-level overhead and its second-order
machinery come to hand-written NumPy. The figures are ms per gradient, ms per
Hessian-vector product, and hvp/grad (the cost of the second order relative
to the first).

A has N(0, 1/n) entries and x, v are N(0, 1) (seed 0), so that Ax is of order
one and every term of f is well conditioned.

Run: ``python benchmarks/run.py B6`` (or ``python benchmarks/b6_hvp.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, block, import_jax, median_of, run_cases

WORKLOAD = "B6"
TITLE = "B6 f(x) = Σ log(1 + (Ax)²), A 2000×2000 float64: gradient and Hessian-vector product"
SIZE = 2000


def problem(size: int = SIZE, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, x and the direction v of the Hessian-vector product (float64, fixed seed).

    Example:
        >>> A, x, v = problem(4)
        >>> A.shape, x.shape, v.shape
        ((4, 4), (4,), (4,))
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((size, size)) / np.sqrt(size)
    return A, rng.standard_normal(size), rng.standard_normal(size)


# ----------------------------------------------------------------------------- wengert


def _wengert_f(x, A):
    import wengert.numpy as wnp

    return wnp.sum(wnp.log(1.0 + (A @ x) ** 2))


def wengert_grad() -> Callable[[], Any]:
    import wengert as wg

    A, x, _ = problem()
    grad_f = wg.grad(_wengert_f)
    return lambda: grad_f(x, A)


def wengert_hvp() -> Callable[[], Any]:
    import wengert as wg

    A, x, v = problem()
    # Forward-over-reverse spelled out with the public API; wg.hvp has a row of its own.
    grad_f = wg.grad(partial(_wengert_f, A=A))
    return lambda: wg.jvp(grad_f, (x,), (v,))[1]


def wengert_builtin_hvp() -> Callable[[], Any]:
    import wengert as wg

    if not hasattr(wg, "hvp"):
        raise NotImplementedError("wengert has no wg.hvp yet")
    A, x, v = problem()
    f = partial(_wengert_f, A=A)
    return lambda: wg.hvp(f, (x,), (v,))


def wengert_jit_grad() -> Callable[[], Any]:
    import wengert as wg

    A, x, _ = problem()
    grad_f = wg.jit(wg.grad(_wengert_f))
    return lambda: grad_f(x, A)


def wengert_jit_hvp() -> Callable[[], Any]:
    import wengert as wg

    A, x, v = problem()
    hvp = wg.jit(lambda x, A, v: wg.jvp(wg.grad(partial(_wengert_f, A=A)), (x,), (v,))[1])
    return lambda: hvp(x, A, v)


def wengert_tensor_grad() -> Callable[[], Any]:
    import wengert as wg

    A, x0, _ = problem()

    def call():
        x = wg.tensor(x0, requires_grad=True)
        _wengert_f(x, A).backward()
        return x.grad

    return call


def wengert_tensor_hvp() -> Callable[[], Any]:
    import wengert as wg

    A, x0, v = problem()

    def call():
        x = wg.tensor(x0, requires_grad=True)
        (gradient,) = wg.autograd.grad(_wengert_f(x, A), (x,), create_graph=True)
        (product,) = wg.autograd.grad((gradient,), (x,), grad_outputs=(v,))
        return product

    return call


# ----------------------------------------------------------------------------- PyTorch


def _torch_problem():
    import torch

    return torch, *(torch.from_numpy(array) for array in problem())


def _torch_f(x, A):
    import torch

    return torch.sum(torch.log(1.0 + (A @ x) ** 2))


def pytorch_grad() -> Callable[[], Any]:
    torch, A, x0, _ = _torch_problem()

    def call():
        x = x0.detach().requires_grad_()
        _torch_f(x, A).backward()
        return x.grad

    return call


def pytorch_hvp() -> Callable[[], Any]:
    torch, A, x0, v = _torch_problem()

    def call():
        x = x0.detach().requires_grad_()
        (gradient,) = torch.autograd.grad(_torch_f(x, A), (x,), create_graph=True)
        (product,) = torch.autograd.grad((gradient,), (x,), grad_outputs=(v,))
        return product

    return call


def torch_func_grad() -> Callable[[], Any]:
    torch, A, x, _ = _torch_problem()
    grad_f = torch.func.grad(_torch_f)
    return lambda: grad_f(x, A)


def torch_func_hvp() -> Callable[[], Any]:
    torch, A, x, v = _torch_problem()
    grad_f = torch.func.grad(partial(_torch_f, A=A))
    return lambda: torch.func.jvp(grad_f, (x,), (v,))[1]


# ----------------------------------------------------------------------------- JAX


def _jax_problem():
    jax = import_jax()
    import jax.numpy as jnp

    def f(x, A):
        return jnp.sum(jnp.log(1.0 + (A @ x) ** 2))

    def hvp(x, A, v):
        return jax.jvp(jax.grad(partial(f, A=A)), (x,), (v,))[1]

    return jax, f, hvp, *(jnp.asarray(array) for array in problem())


def jax_eager_grad() -> Callable[[], Any]:
    jax, f, _, A, x, _ = _jax_problem()
    grad_f = jax.grad(f)
    return lambda: block(grad_f(x, A))


def jax_eager_hvp() -> Callable[[], Any]:
    jax, _, hvp, A, x, v = _jax_problem()
    return lambda: block(hvp(x, A, v))


def jax_jit_grad() -> Callable[[], Any]:
    # A is an argument, not a closure constant, so that XLA does not fold a 32 MB constant.
    jax, f, _, A, x, _ = _jax_problem()
    grad_f = jax.jit(jax.grad(f))
    return lambda: block(grad_f(x, A))


def jax_jit_hvp() -> Callable[[], Any]:
    jax, _, hvp, A, x, v = _jax_problem()
    hvp_jit = jax.jit(hvp)
    return lambda: block(hvp_jit(x, A, v))


# ----------------------------------------------------------------------------- HIPS autograd


def _autograd_f(x, A):
    import autograd.numpy as anp

    return anp.sum(anp.log(1.0 + anp.dot(A, x) ** 2))


def autograd_grad() -> Callable[[], Any]:
    import autograd

    A, x, _ = problem()
    grad_f = autograd.grad(_autograd_f)
    return lambda: grad_f(x, A)


def autograd_hvp_reverse() -> Callable[[], Any]:
    import autograd

    A, x, v = problem()
    hvp = autograd.hessian_vector_product(partial(_autograd_f, A=A))
    return lambda: hvp(x, v)


def autograd_hvp_forward() -> Callable[[], Any]:
    import autograd

    A, x, v = problem()
    jvp_of_grad = autograd.make_jvp(autograd.grad(partial(_autograd_f, A=A)))
    return lambda: jvp_of_grad(x)(v)[1]


# ----------------------------------------------------------------------------- NumPy by hand


def numpy_grad() -> Callable[[], Any]:
    A, x, _ = problem()

    def call():
        y = A @ x
        one_plus_square = 1.0 + y * y
        np.sum(np.log(one_plus_square))  # the forward value, as an engine computes it
        return A.T @ (2.0 * y / one_plus_square)

    return call


def numpy_hvp() -> Callable[[], Any]:
    A, x, v = problem()

    def call():
        # Hv = Aᵀ diag(φ''(Ax)) A v with φ(y) = log(1 + y²): three matrix-vector products.
        y = A @ x
        square = y * y
        curvature = 2.0 * (1.0 - square) / (1.0 + square) ** 2
        return A.T @ (curvature * (A @ v))

    return call


def micrograd_unsupported() -> Callable[[], Any]:
    raise NotImplementedError("scalar engine: a 2000×2000 matrix product is out of reach")


# ----------------------------------------------------------------------------- running


def run(config: Config) -> list[Row]:
    """Check and time B6's gradient and Hessian-vector product for wengert and every importable peer."""
    forward_over_reverse = "jvp(grad) fwd-over-rev"
    reverse_over_reverse = "autograd.grad create_graph, rev-over-rev"
    cases = [
        Case("wengert", "gradient", "grad", wengert_grad, role=WENGERT),
        Case("wengert", "hvp", forward_over_reverse, wengert_hvp, role=WENGERT),
        Case("wengert", "hvp", "wg.hvp", wengert_builtin_hvp),
        Case("wengert jit", "gradient", "jit(grad)", wengert_jit_grad, jit=True),
        Case("wengert jit", "hvp", f"jit({forward_over_reverse})", wengert_jit_hvp, jit=True),
        Case("wengert Tensor", "gradient", ".backward()", wengert_tensor_grad),
        Case("wengert Tensor", "hvp", reverse_over_reverse, wengert_tensor_hvp),
        Case("PyTorch eager", "gradient", ".backward()", pytorch_grad, role=PYTORCH),
        Case("PyTorch eager", "hvp", reverse_over_reverse, pytorch_hvp, role=PYTORCH),
        Case("PyTorch torch.func", "gradient", "torch.func.grad", torch_func_grad),
        Case("PyTorch torch.func", "hvp", forward_over_reverse, torch_func_hvp),
        Case("JAX eager", "gradient", "grad", jax_eager_grad),
        Case("JAX eager", "hvp", forward_over_reverse, jax_eager_hvp),
        Case("JAX jit", "gradient", "jit(grad)", jax_jit_grad, jit=True),
        Case("JAX jit", "hvp", f"jit({forward_over_reverse})", jax_jit_hvp, jit=True),
        Case("HIPS autograd", "gradient", "grad", autograd_grad),
        Case("HIPS autograd", "hvp", "hessian_vector_product, rev-over-rev", autograd_hvp_reverse),
        Case("HIPS autograd", "hvp", "make_jvp(grad) fwd-over-rev", autograd_hvp_forward),
        Case("NumPy by hand", "gradient", "forward + backward", numpy_grad),
        Case("NumPy by hand", "hvp", "3 matvecs, no gradient", numpy_hvp),
        Case("micrograd", "gradient", "-", micrograd_unsupported),
    ]
    rows = run_cases(WORKLOAD, cases, config, Figure("ms", 1e3))
    for row in rows:
        gradient = median_of(rows, row.implementation, "gradient")
        if row.task == "hvp" and row.median_s is not None and gradient:
            row.extra["hvp/grad"] = row.median_s / gradient
    return rows


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
