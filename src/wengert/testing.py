"""Checking derivatives against finite differences.

`check_grads` compares forward-mode (``jvp``) and reverse-mode (``vjp``)
derivatives with central finite differences along a random direction, then
recurses on the derivative functions themselves for higher orders. The step
and the tolerances are chosen for the dtype; float32 checks are much coarser
and warn. `check_adjoint` checks that the two modes are transposes of each
other: ⟨w, J·u⟩ = ⟨Jᵀ·w, u⟩.

Example:
    >>> import wengert.numpy as wnp
    >>> check_grads(lambda x: wnp.sin(x) * x, (0.7,), order=2)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import primal_value, tree_flatten, tree_unflatten
from .transforms import jvp, vjp


def _leaves(tree: Any) -> list[np.ndarray]:
    return [np.asarray(primal_value(leaf), dtype=float) for leaf in tree_flatten(tree)[0]]


def _inner(a: Any, b: Any) -> float:
    return float(sum(np.sum(x * y) for x, y in zip(_leaves(a), _leaves(b))))


def _random_like(tree: Any, rng: np.random.Generator) -> Any:
    leaves, treedef = tree_flatten(tree)
    out = []
    for leaf in leaves:
        value = primal_value(leaf)
        if type(value) is float:
            out.append(float(rng.standard_normal()))
        else:
            array = np.asarray(value)
            out.append(rng.standard_normal(array.shape).astype(array.dtype))
    return tree_unflatten(treedef, out)


def _axpy(alpha: float, x: Any, y: Any) -> Any:
    """y + alpha·x leafwise, keeping each leaf's dtype (and Python floats as floats)."""
    xs, treedef = tree_flatten(x)
    ys = tree_flatten(y)[0]
    out = []
    for a, b in zip(xs, ys):
        if type(b) is float:
            out.append(b + alpha * float(a))
        else:
            b_array = np.asarray(b)
            out.append((b_array + alpha * np.asarray(a)).astype(b_array.dtype))
    return tree_unflatten(treedef, out)


def _dtype_of(args: Any) -> np.dtype:
    dtypes = [np.asarray(primal_value(leaf)).dtype for leaf in tree_flatten(args)[0]]
    return np.result_type(*dtypes) if dtypes else np.dtype(np.float64)


def _tolerances(dtype: np.dtype) -> tuple[float, float, float]:
    """(step, rtol, atol) for central differences in ``dtype``."""
    if dtype == np.float32:
        return 1e-2, 5e-2, 5e-2
    return 1e-6, 1e-5, 1e-6


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _finite_difference(function: Callable[..., Any], args: tuple, direction: tuple, step: float) -> Any:
    plus = function(*_axpy(step, direction, args))
    minus = function(*_axpy(-step, direction, args))
    return [(p - m) / (2 * step) for p, m in zip(_leaves(plus), _leaves(minus))]


def check_jvp(function: Callable[..., Any], args: tuple, rng: np.random.Generator | None = None) -> None:
    """Forward mode against central differences along a random direction."""
    rng = rng or np.random.default_rng(0)
    step, rtol, atol = _tolerances(_dtype_of(args))
    direction = _random_like(args, rng)
    _, tangent = jvp(function, args, direction)
    numeric = _finite_difference(function, args, direction, step)
    weights = [rng.standard_normal(np.shape(t)) for t in numeric]
    exact = sum(float(np.sum(w * t)) for w, t in zip(weights, _leaves(tangent)))
    approx = sum(float(np.sum(w * t)) for w, t in zip(weights, numeric))
    if not _close(exact, approx, rtol, atol):
        raise AssertionError(
            f"forward-mode derivative of {_name(function)} disagrees with finite differences: "
            f"{exact!r} (jvp) vs {approx!r} (numeric)"
        )


def check_vjp(function: Callable[..., Any], args: tuple, rng: np.random.Generator | None = None) -> None:
    """Reverse mode against central differences: ⟨vjp(w), v⟩ against ⟨w, (f(x+hv) - f(x-hv))/2h⟩."""
    rng = rng or np.random.default_rng(1)
    step, rtol, atol = _tolerances(_dtype_of(args))
    out, vjp_fn = vjp(function, *args)
    cotangent = _random_like(out, rng)
    direction = _random_like(args, rng)
    exact = _inner(vjp_fn(cotangent), direction)
    numeric = _finite_difference(function, args, direction, step)
    approx = sum(float(np.sum(w * t)) for w, t in zip(_leaves(cotangent), numeric))
    if not _close(exact, approx, rtol, atol):
        raise AssertionError(
            f"reverse-mode derivative of {_name(function)} disagrees with finite differences: "
            f"{exact!r} (vjp) vs {approx!r} (numeric)"
        )


def check_adjoint(function: Callable[..., Any], args: tuple, rng: np.random.Generator | None = None) -> None:
    """The JVP and VJP rules are transposes: ⟨w, J·u⟩ = ⟨Jᵀ·w, u⟩ (exact up to rounding)."""
    rng = rng or np.random.default_rng(2)
    direction = _random_like(args, rng)
    _, tangent = jvp(function, args, direction)
    out, vjp_fn = vjp(function, *args)
    cotangent = _random_like(out, rng)
    forward = _inner(cotangent, tangent)
    backward = _inner(vjp_fn(cotangent), direction)
    _, rtol, atol = _tolerances(_dtype_of(args))
    if not _close(forward, backward, rtol * 1e-3 if rtol < 1e-3 else rtol, atol * 1e-3):
        raise AssertionError(
            f"JVP and VJP of {_name(function)} are not adjoint: ⟨w, J·u⟩ = {forward!r}, ⟨Jᵀ·w, u⟩ = {backward!r}"
        )


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__name__", repr(function))


def check_grads(
    function: Callable[..., Any],
    args: Sequence[Any],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    seed: int = 0,
) -> None:
    """Check derivatives of ``function`` at ``args`` up to ``order`` in the given ``modes``.

    Raises AssertionError naming the mode that disagrees with finite
    differences. Higher orders check the derivative functions themselves
    (forward: the JVP along a random direction; reverse: the VJP against a
    random cotangent), recursively.

    Example:
        >>> import wengert.numpy as wnp
        >>> check_grads(wnp.tanh, (np.array([0.1, -0.4]),), order=3)
    """
    args = tuple(args)
    if _dtype_of(args) == np.float32:
        warnings.warn(
            "check_grads in float32: finite differences are coarse, so only large errors are caught; "
            "check in float64 where you can",
            stacklevel=2,
        )
    rng = np.random.default_rng(seed)
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"unknown mode {mode!r}: use 'fwd' and/or 'rev'")
    if "fwd" in modes:
        check_jvp(function, args, rng)
        if order > 1:
            direction = _random_like(args, rng)

            def forward_derivative(*inner_args: Any) -> Any:
                return jvp(function, inner_args, direction)[1]

            forward_derivative.__name__ = f"jvp({_name(function)})"
            check_grads(forward_derivative, args, order - 1, modes, seed + 1)
    if "rev" in modes:
        check_vjp(function, args, rng)
        if order > 1:
            out = function(*args)
            cotangent = _random_like(out, rng)

            def reverse_derivative(*inner_args: Any) -> Any:
                return vjp(function, *inner_args)[1](cotangent)

            reverse_derivative.__name__ = f"vjp({_name(function)})"
            check_grads(reverse_derivative, args, order - 1, modes, seed + 1)


__all__ = ["check_adjoint", "check_grads", "check_jvp", "check_vjp"]


def check_jit(function: Callable[..., Any], args: tuple, rtol: float = 1e-12, atol: float = 1e-14) -> None:
    """Assert that ``jit`` gives ``function``'s eager values, and ``jit(grad)`` its eager gradient.

    The gradient is that of ``sum(sin(output leaves))``, with respect to every
    floating-point argument; integer and boolean arguments are left alone.

    Example:
        >>> import wengert.numpy as wnp
        >>> check_jit(lambda x, y: wnp.tanh(x) * y, (np.ones(3), np.arange(3.0)))
    """
    from .compile import jit
    from .numpy import sin, sum
    from .transforms import grad

    args = tuple(args)
    eager_leaves, eager_tree = tree_flatten(function(*args))
    compiled_leaves, compiled_tree = tree_flatten(jit(function)(*args))
    if compiled_tree != eager_tree:
        raise AssertionError(f"{_name(function)}: jit changed the output structure ({compiled_tree} vs {eager_tree})")
    for index, (compiled, eager) in enumerate(zip(compiled_leaves, eager_leaves)):
        if np.shape(compiled) != np.shape(eager):
            raise AssertionError(f"{_name(function)}: output {index} has shape {np.shape(compiled)} under jit")
        np.testing.assert_allclose(compiled, eager, rtol=rtol, atol=atol, err_msg=f"{_name(function)} output {index}")
    from .numpy._primitives import dtype

    argnums = tuple(i for i, arg in enumerate(args) if dtype(arg).kind == "f")
    floating = [leaf for leaf in eager_leaves if np.asarray(leaf).dtype.kind == "f"]
    if not argnums or not floating:
        return

    def loss(*values: Any) -> Any:
        leaves = tree_flatten(function(*values))[0]
        return _total(sum(sin(leaf)) for leaf in leaves if dtype(leaf).kind == "f")

    eager_gradients = grad(loss, argnums)(*args)
    compiled_gradients = jit(grad(loss, argnums))(*args)
    for index, (compiled, eager) in enumerate(zip(compiled_gradients, eager_gradients)):
        np.testing.assert_allclose(
            compiled, eager, rtol=rtol, atol=atol, err_msg=f"{_name(function)}: gradient {index} under jit"
        )


def _total(values: Any) -> Any:
    """The sum of ``values`` by ``+`` (traced values included)."""
    total = 0.0
    for value in values:
        total = total + value
    return total
