"""B1, scalar chain: the per-operation overhead of an AD engine on Python-float programs.

x = 0.3, y = 0.7; z = x; 250 times ``z = tanh(z*y + x)*0.5 + z*0.5`` (six
operations each, 1,500 in all); the gradient with respect to (x, y). The
figure is µs per gradient and µs per operation.

Run: ``python benchmarks/run.py B1`` (or ``python benchmarks/b1_scalar_chain.py``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, block, import_jax, run_cases

WORKLOAD = "B1"
TITLE = "B1 scalar chain: 250 × z = tanh(z*y + x)*0.5 + z*0.5 (1,500 ops), gradient w.r.t. (x, y)"
STEPS = 250
OPS = 6 * STEPS
X, Y = 0.3, 0.7


def chain(x: Any, y: Any, tanh: Callable[[Any], Any]) -> Any:
    """The B1 program, written once for every implementation (only ``tanh`` differs).

    Example:
        >>> round(chain(0.3, 0.7, math.tanh), 6)
        0.629565
    """
    z = x
    for _ in range(STEPS):
        z = tanh(z * y + x) * 0.5 + z * 0.5
    return z


# ----------------------------------------------------------------------------- wengert


def wengert_grad() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    def chain_wnp(x, y):
        return chain(x, y, wnp.tanh)

    grad_chain = wg.grad(chain_wnp, argnums=(0, 1))
    return lambda: grad_chain(X, Y)


def wengert_jit() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    def chain_wnp(x, y):
        return chain(x, y, wnp.tanh)

    grad_chain = wg.jit(wg.grad(chain_wnp, argnums=(0, 1)))
    return lambda: grad_chain(X, Y)


def wengert_tensor() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    def call():
        x = wg.tensor(X, requires_grad=True)
        y = wg.tensor(Y, requires_grad=True)
        chain(x, y, wnp.tanh).backward()
        return x.grad, y.grad

    return call


# ----------------------------------------------------------------------------- peers


def pytorch_eager() -> Callable[[], Any]:
    import torch

    def call():
        x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
        y = torch.tensor(Y, dtype=torch.float64, requires_grad=True)
        chain(x, y, torch.tanh).backward()
        return x.grad, y.grad

    return call


def _jax_grad():
    jax = import_jax()
    import jax.numpy as jnp

    def chain_jnp(x, y):
        return chain(x, y, jnp.tanh)

    return jax, jax.grad(chain_jnp, argnums=(0, 1))


def jax_eager() -> Callable[[], Any]:
    _, grad_chain = _jax_grad()
    return lambda: block(grad_chain(X, Y))


def jax_jit() -> Callable[[], Any]:
    jax, grad_chain = _jax_grad()
    compiled = jax.jit(grad_chain)
    return lambda: block(compiled(X, Y))


def hips_autograd() -> Callable[[], Any]:
    import autograd
    import autograd.numpy as anp

    # HIPS autograd differentiates one argument; a tuple argument gives both gradients at once.
    grad_chain = autograd.grad(lambda pair: chain(pair[0], pair[1], anp.tanh))
    return lambda: grad_chain((X, Y))


def _micrograd_tanh(value: Any) -> Any:
    """tanh for micrograd's Value, in micrograd's closure style (the PyPI release has only relu)."""
    result = math.tanh(value.data)
    out = type(value)(result, (value,), "tanh")

    def _backward():
        value.grad += (1.0 - result * result) * out.grad

    out._backward = _backward
    return out


def micrograd() -> Callable[[], Any]:
    from micrograd.engine import Value

    tanh = Value.tanh if hasattr(Value, "tanh") else _micrograd_tanh
    # micrograd's backward() sorts the graph recursively, more than 1,000 calls deep here.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))

    def call():
        x, y = Value(X), Value(Y)
        chain(x, y, tanh).backward()
        return x.grad, y.grad

    return call


def python_floats() -> Callable[[], Any]:
    return lambda: chain(X, Y, math.tanh)


def _forward_reference() -> float:
    import wengert as wg
    import wengert.numpy as wnp

    value, _ = wg.value_and_grad(lambda x, y: chain(x, y, wnp.tanh), argnums=(0, 1))(X, Y)
    return value


def run(config: Config) -> list[Row]:
    """Check and time B1 for wengert (both dialects) and every importable peer."""
    micrograd_method = ".backward() (tanh added)"
    try:
        from micrograd.engine import Value

        if hasattr(Value, "tanh"):
            micrograd_method = ".backward()"
    except ImportError:
        pass
    cases = [
        Case("wengert", "gradient", "grad(argnums=(0, 1))", wengert_grad, role=WENGERT),
        Case("wengert jit", "gradient", "jit(grad(argnums=(0, 1)))", wengert_jit, jit=True),
        Case("wengert Tensor", "gradient", ".backward()", wengert_tensor),
        Case("PyTorch eager", "gradient", ".backward()", pytorch_eager, role=PYTORCH),
        Case("JAX eager", "gradient", "grad", jax_eager),
        Case("JAX jit", "gradient", "jit(grad)", jax_jit, jit=True),
        Case("HIPS autograd", "gradient", "grad", hips_autograd),
        Case("micrograd", "gradient", micrograd_method, micrograd),
        Case("Python floats", "forward", "forward only (floor)", python_floats, compare_task="gradient"),
    ]
    return run_cases(WORKLOAD, cases, config, Figure("µs/op", 1e6 / OPS), references={"forward": _forward_reference()})


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
