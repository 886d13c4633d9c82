"""Differential operators by Taylor mode: `laplacian` and `differential_operator` (Σ C_ij ∂i∂j f + Σ b_i ∂i f).

A second-order jet of f along a direction v gives vᵀ·H·v (its second
coefficient) and v·∇f (its first): so the operator Σ_ij C_ij ∂i∂j f equals
Σ_k λ_k q_kᵀ·H·q_k over the eigenpairs (λ_k, q_k) of the symmetric part of C.
Collapsed Taylor mode (`wengert.core.taylor.second_order_jet`) pushes the
directions through f together (in passes of up to `ROWS_PER_PASS` rows at many
points), their second-order terms summed with the eigenvalues' signs. The
stochastic option estimates it from random directions instead (Hutchinson's
estimator, unbiased: E[zᵀLᵀHLz] = tr(H·LLᵀ) for Rademacher z), with a
`wengert.random` key, when d jets are too many.

``f`` maps a point (d,) to a number, or points (..., d) to values (...),
row by row (a PINN's network on its collocation points): every point's
operator comes from the same jets, the direction repeated on every row.

Example:
    >>> import numpy as np
    >>> import wengert.numpy as wnp
    >>> f = lambda p: wnp.sum(p**3, axis=-1)            # Δf = 6 Σ p_i
    >>> float(laplacian(f)(np.array([1.0, 2.0])))
    18.0
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..core import jet
from ..core.taylor import second_order_jet
from ..numpy.einsum import compositions


def laplacian(f: Callable[[Any], Any], *, samples: int | None = None, key: Any = None) -> Callable[[Any], Any]:
    """``x ↦ Δf(x) = Σ_i ∂²f/∂x_i²`` (exact: one second-order jet per coordinate; or estimated from ``samples``).

    Example:
        >>> import numpy as np
        >>> import wengert.numpy as wnp
        >>> lap = laplacian(lambda p: wnp.sin(p[..., 0]) * p[..., 1] ** 2)
        >>> bool(np.isclose(lap(np.array([0.5, 2.0])), -np.sin(0.5) * 4 + 2 * np.sin(0.5)))
        True
    """

    _check_sampling(samples, key, "laplacian")
    f = _checked_output(f, "laplacian")

    def operator(x: Any) -> Any:
        dimension = _dimension(x, "laplacian")
        return differential_operator(f, np.eye(dimension), samples=samples, key=key)(x)

    return operator


def biharmonic(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``x ↦ Δ²f(x) = Σ_i ∂⁴_i f + 2 Σ_{i<j} ∂²_i ∂²_j f`` from fourth-order jets, exactly (no finite differences).

    A jet along v gives D⁴f[v,v,v,v]; along e_i ± e_j the two sums give
    2∂⁴_i + 12∂²_i∂²_j + 2∂⁴_j, so each mixed term is interpolated exactly:
    d + d(d − 1) jets in all.

    Example:
        >>> import numpy as np
        >>> import wengert.numpy as wnp
        >>> float(biharmonic(lambda p: wnp.sum(p**2, axis=-1) ** 2)(np.array([0.3, -1.2, 2.0])))  # Δ²|x|⁴ = 8d(d + 2)
        120.0
    """

    f = _checked_output(f, "biharmonic")

    def operator(x: Any) -> Any:
        dimension = _dimension(x, "biharmonic")
        if dimension == 0:  # no coordinates: the empty sum, at the output's shape
            return 0.0 * f(x)
        eye = np.eye(dimension, dtype=_float_dtype(x))
        pure = [_derivative(f, x, eye[i], 4) for i in range(dimension)]
        total = None
        for i in range(dimension):
            total = pure[i] if total is None else total + pure[i]
            for j in range(i + 1, dimension):
                plus, minus = _derivative(f, x, eye[i] + eye[j], 4), _derivative(f, x, eye[i] - eye[j], 4)
                mixed = (plus + minus - 2 * pure[i] - 2 * pure[j]) / 12
                total = total + 2 * mixed
        return total

    return operator


def partial_derivative(f: Callable[[Any], Any], orders: Any) -> Callable[[Any], Any]:
    """``x ↦ ∂^α f(x)``, the mixed partial derivative with ``orders[i]`` = α_i, from jets of order |α|, exactly.

    A jet of order K = |α| along an integer direction j gives
    D^K f[j, …, j] = Σ_{|β| = K} K!/β!·j^β·∂^β f over the multi-indices β on the
    coordinates α names; along the directions j with |j| = K on those coordinates
    that is a square system with an invertible matrix (Griewank, Utke and
    Walther 2000), so ∂^α f is a fixed combination of the jets: exact
    interpolation, no finite differences. ∂_t∂_x² takes 4 jets of order 3.
    ``orders`` is a sequence over the coordinates, or a mapping {coordinate: order}.

    Example:
        >>> import numpy as np
        >>> import wengert.numpy as wnp
        >>> u_txx = partial_derivative(lambda p: wnp.sin(p[..., 0]) * wnp.exp(2 * p[..., 1]), {0: 2, 1: 1})
        >>> bool(np.isclose(u_txx(np.array([0.3, 0.5])), -np.sin(0.3) * 2 * np.exp(1.0)))
        True
    """
    if isinstance(orders, dict):
        items = dict(orders)
    elif isinstance(orders, (list, tuple)):
        items = dict(enumerate(orders))
    else:
        raise TypeError(
            f"partial_derivative: orders must be a sequence or a {{coordinate: order}} mapping, got {orders!r}"
        )
    for coordinate, order in items.items():
        if isinstance(coordinate, bool) or not isinstance(coordinate, (int, np.integer)) or coordinate < 0:
            raise ValueError(f"partial_derivative: coordinates are non-negative integers, got {coordinate!r}")
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
            raise ValueError(f"partial_derivative: orders are non-negative integers, got {order!r} for {coordinate}")
    named = max(items, default=-1)  # the largest coordinate named, even with order 0
    support = tuple(sorted(int(c) for c, order in items.items() if order > 0))
    alpha = tuple(int(items[c]) for c in support)
    total_order = sum(alpha)
    f = _checked_output(f, "partial_derivative")
    try:
        terms = _interpolation(alpha) if total_order else ()
    except ValueError as error:
        raise ValueError(f"partial_derivative: orders {alpha} on coordinates {support}: {error}") from None

    def operator(x: Any) -> Any:
        dimension = _dimension(x, "partial_derivative")
        if named >= dimension:
            raise ValueError(f"partial_derivative: coordinate {named} is outside points of dimension {dimension}")
        if not total_order:
            return f(x)
        total = None
        for j, weight in terms:
            direction = np.zeros(dimension, dtype=_float_dtype(x))
            direction[list(support)] = j
            term = weight * _derivative(f, x, direction, total_order)
            total = term if total is None else total + term
        return total

    return operator


MAX_INTERPOLATION_JETS = 120
"""The most jets `partial_derivative` takes for one ∂^α (the compositions of |α| over the coordinates it
names): their weights come from an exact rational solve, whose cost grows as the cube of this."""


@functools.lru_cache(maxsize=64)
def _interpolation(alpha: tuple[int, ...]) -> tuple[tuple[tuple[int, ...], float], ...]:
    """The directions j (|j| = K = |α|) and weights w_j with ∂^α f = Σ_j w_j·D^K f[j, …, j], w_j ≠ 0.

    D^K f[j…j] = Σ_{|β| = K} K!/β!·j^β·∂^β f: the system is solved in exact rational arithmetic, so
    the weights (which shrink like K^-K while the jets grow like K^K) are exact before rounding, and
    the ones that are zero are exactly zero."""
    total_order = sum(alpha)
    if len(alpha) == 1:  # one coordinate: the jet along its unit vector
        return (((1,), 1.0),)
    directions = list(compositions(total_order, len(alpha)))
    if len(directions) > MAX_INTERPOLATION_JETS:
        raise ValueError(
            f"exact interpolation takes {len(directions)} jets of order {total_order} (more than "
            f"{MAX_INTERPOLATION_JETS}); nest partial_derivative calls instead, "
            "e.g. partial_derivative(partial_derivative(f, a), b) for orders a + b"
        )
    # Row j: the multi-indices β weighted by K!/β!·j^β; ∂^α f is the combination of rows whose
    # coefficients solve matrixᵀ·w = e_α.
    matrix = [
        [Fraction(_multinomial(beta)) * math.prod(Fraction(ji) ** bi for ji, bi in zip(j, beta)) for beta in directions]
        for j in directions
    ]
    target = [Fraction(int(beta == alpha)) for beta in directions]
    weights = _solve_exactly([list(column) for column in zip(*matrix)], target)
    return tuple((j, float(w)) for j, w in zip(directions, weights) if w != 0)


def _solve_exactly(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction]:
    """x with matrix·x = rhs, by Gauss-Jordan elimination on fractions (the matrix is invertible)."""
    size = len(rhs)
    rows = [row[:] + [value] for row, value in zip(matrix, rhs)]
    for column in range(size):
        pivot = next(r for r in range(column, size) if rows[r][column] != 0)
        rows[column], rows[pivot] = rows[pivot], rows[column]
        lead = rows[column][column]
        rows[column] = [value / lead for value in rows[column]]
        for r in range(size):
            factor = rows[r][column]
            if r != column and factor != 0:
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[column])]
    return [row[-1] for row in rows]


def _multinomial(beta: tuple[int, ...]) -> int:
    """K!/β! for K = |β|."""
    return math.factorial(sum(beta)) // math.prod(math.factorial(b) for b in beta)


def differential_operator(
    f: Callable[[Any], Any],
    coefficients: Any,
    first_order: Any = None,
    *,
    samples: int | None = None,
    key: Any = None,
) -> Callable[[Any], Any]:
    """``x ↦ Σ_ij C_ij ∂i∂j f(x) + Σ_i b_i ∂i f(x)`` for C = ``coefficients`` (d × d), b = ``first_order`` (d,).

    Exact by default; ``samples=S`` with a ``wengert.random`` ``key`` estimates
    the second-order part from S random directions (unbiased).

    Example:
        >>> import numpy as np
        >>> import wengert.numpy as wnp
        >>> wave = differential_operator(lambda p: wnp.sin(p[..., 0] - p[..., 1]), [[1.0, 0.0], [0.0, -1.0]])
        >>> abs(float(wave(np.array([0.3, 0.1]))))  # u_xx - u_tt of a travelling wave
        0.0
    """
    matrix = _real_matrix(coefficients, "coefficients")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not np.all(np.isfinite(matrix)):
        raise ValueError(
            f"differential_operator: coefficients must be a finite square matrix (d × d), got shape {matrix.shape}"
        )
    dimension = matrix.shape[0]
    drift = None
    if first_order is not None:
        drift = _real_matrix(first_order, "first_order")
        if drift.shape != (dimension,) or not np.all(np.isfinite(drift)):
            raise ValueError(
                f"differential_operator: first_order must be a finite vector of shape ({dimension},), "
                f"got shape {drift.shape}" + ("" if drift.shape != (dimension,) else " with non-finite entries")
            )
    _check_sampling(samples, key, "differential_operator")
    f = _checked_output(f, "differential_operator")
    # Only the symmetric part of C acts on the symmetric Hessian; its eigenvectors are the directions.
    symmetric = (matrix + matrix.T) / 2.0
    if np.count_nonzero(symmetric - np.diag(np.diag(symmetric))) == 0:  # diagonal (the Laplacian): no eigh
        eigenvalues, eigenvectors = np.diag(symmetric).copy(), np.eye(len(symmetric))
        kept = eigenvalues != 0.0  # exact: every nonzero coefficient counts, however small beside the others
    else:
        eigenvalues, eigenvectors = np.linalg.eigh(symmetric)
        scale = float(np.max(np.abs(eigenvalues))) if dimension else 0.0
        kept = np.abs(eigenvalues) > 1e-14 * scale  # eigh's rounding of the zero eigenvalues

    def operator(x: Any) -> Any:
        if _dimension(x, "differential_operator") != dimension:
            raise ValueError(
                f"differential_operator: the points have {_dimension(x, 'differential_operator')} coordinates "
                f"but the coefficients are {dimension} × {dimension}"
            )
        dtype = _float_dtype(x)  # the directions in the points' precision: float32 points give float32 results
        values, vectors = eigenvalues[kept].astype(dtype), eigenvectors[:, kept].astype(dtype)
        total = _exact(f, x, values, vectors) if samples is None else _estimated(f, x, values, vectors, samples, key)
        if drift is not None and np.any(drift):
            term = _derivative(f, x, drift.astype(dtype), 1)
            total = term if total is None else total + term
        if total is None:  # C = 0 and b = 0
            return 0.0 * f(x)
        return total

    return operator


def _real_matrix(value: Any, name: str) -> np.ndarray:
    """``value`` as a float array; a complex one is refused (its imaginary part would be dropped)."""
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise TypeError(f"differential_operator: {name} must be real, got complex values")
    try:
        return array.astype(float)
    except (TypeError, ValueError):
        raise TypeError(f"differential_operator: {name} must be numbers, got {value!r}") from None


def _float_dtype(x: Any) -> np.dtype:
    """The floating dtype of the points (float64 for integer points)."""
    dtype = np.dtype(getattr(x, "dtype", None) or np.result_type(x))
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(float)


def _checked_output(f: Callable[[Any], Any], operation: str) -> Callable[[Any], Any]:
    """``f``, refusing an output that is not one numeric array (None from a missing ``return``, a string,
    a tuple such as ``(u, aux)``): its derivatives would otherwise come out as zeros."""
    if not callable(f):
        raise TypeError(f"{operation}: f must be a function of the points, got {type(f).__name__}")

    def checked(x: Any) -> Any:
        out = f(x)
        if (
            hasattr(out, "_trace")
            or isinstance(out, (np.ndarray, np.generic, float, int))
            and not isinstance(out, bool)
        ):
            dtype = getattr(out, "dtype", None)
            if dtype is None or np.issubdtype(dtype, np.number):
                return out
        raise TypeError(
            f"{operation}: f must return one numeric array (the values at the points), got "
            f"{type(out).__name__}" + (" (did f forget to return?)" if out is None else "")
        )

    return checked


def _signed_roots(values: np.ndarray, vectors: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """C = L₊L₊ᵀ − L₋L₋ᵀ from its eigenpairs: (sign, L) for each sign that occurs, L of shape d × r."""
    roots = []
    for sign in (1.0, -1.0):
        chosen = values * sign > 0
        if np.any(chosen):
            roots.append((sign, vectors[:, chosen] * np.sqrt(values[chosen] * sign)))
    return roots


def _exact(f: Callable[[Any], Any], x: Any, values: np.ndarray, vectors: np.ndarray) -> Any:
    """Σ_k λ_k q_kᵀHq_k by collapsed Taylor mode: the directions √|λ_k|·q_k, their terms signed and summed."""
    roots = _signed_roots(values, vectors)
    if not roots:  # C = 0
        return None
    columns = np.concatenate([root for _, root in roots], axis=1).T  # one direction per row
    signs = np.concatenate([np.full(root.shape[1], sign) for sign, root in roots])
    return _collapsed(f, x, columns, [float(sign) for sign in signs])


def _estimated(f: Callable[[Any], Any], x: Any, values: np.ndarray, vectors: np.ndarray, samples: int, key: Any) -> Any:
    """Hutchinson's estimate of Σ_k λ_k q_kᵀHq_k: E[(L z)ᵀH(L z)] = tr(H·LLᵀ) for Rademacher z, each sign's L.

    All the random directions go through f by collapsed Taylor mode, their terms weighted ±1/samples."""
    from .. import numpy as wnp
    from .. import random as wrandom

    directions, weights = [], []
    roots = _signed_roots(values, vectors)
    if not roots:  # the symmetric part of C is 0
        return None
    for sign, root in roots:
        z = 2.0 * wrandom.bernoulli(key if sign > 0 else wrandom.fold_in(key, 1), 0.5, (samples, root.shape[1])) - 1.0
        directions.append(z.astype(root.dtype) @ root.T)  # (samples, d), in the points' precision
        weights += [sign / samples] * samples
    stacked = directions[0] if len(directions) == 1 else wnp.concatenate(directions)
    return _collapsed(f, x, stacked, weights)


def _collapsed(f: Callable[[Any], Any], x: Any, columns: Any, weights: list[float]) -> Any:
    """Σ_k weights[k]·D²f[v_k, v_k] at every point by collapsed passes, v_k = columns[k] on every row."""
    _, _, curvature = row_wise_jet(f, x, columns, [[(k, k, w) for k, w in enumerate(weights)]], first_order=False)
    return curvature[0]


# Directions pushed through f together: the stacks of first-order terms are (directions, points, width)
# arrays, and past ~16 MiB (16 directions × 1,000 points × 128 features) they outgrow the heap's
# reused blocks and caches: each call then maps fresh pages (and may stall on the kernel's huge-page
# compaction: 0.3-1.7 s instead of 0.26 s for d = 128 in B10). Streams of pure squares (a Laplacian,
# a diagonalised operator, Hutchinson's samples) are sums over directions, so they are taken in groups
# of this many rows and added; at least 8 directions a group keeps the shared primal and collapsed
# streams' repetition under a quarter of the work.
ROWS_PER_PASS = 16384
MIN_DIRECTIONS_PER_PASS = 8


def row_wise_jet(
    f: Callable[[Any], Any],
    x: Any,
    columns: Any,
    streams: Sequence[Sequence[tuple[int, int, float]]],
    first_order: bool = True,
) -> tuple[Any, Any, Any]:
    """`second_order_jet` of an f that acts row by row, along directions v_k = ``columns[k]`` (d,) on every row.

    Each direction goes in as one row, shape (F, 1, …, 1, d), and broadcasting spreads
    it over the points where it meets them (the first layer's product is F rows, not
    F·N); an f that reshapes or indexes along the rows refuses that with a shape error
    and gets the directions at full size. The derivatives come back at the output's shape
    (the first ones None with ``first_order=False``: not computed). Streams of squares only
    (terms (k, k, c)) along many directions at many points run in groups of directions
    (`ROWS_PER_PASS`), their second-order terms added: the same sums, in bounded memory.

    Example:
        >>> import numpy as np
        >>> value, first, second = row_wise_jet(lambda p: p**2, np.ones((3, 1)), np.ones((1, 1)), [[(0, 0, 1.0)]])
        >>> first[:, :, 0].tolist(), second[:, :, 0].tolist()  # 2x and 2 on every row
        ([[2.0, 2.0, 2.0]], [[2.0, 2.0, 2.0]])
    """
    from .. import numpy as wnp

    count, points = len(columns), tuple(wnp.shape(x))
    group = max(MIN_DIRECTIONS_PER_PASS, ROWS_PER_PASS // max(1, math.prod(points[:-1])))
    if count > group and all(i == j for terms in streams for i, j, _ in terms):
        return _in_groups(f, x, columns, streams, first_order, group)
    compact = wnp.reshape(columns, (count,) + (1,) * (len(points) - 1) + (points[-1],))
    try:
        value, first, second = second_order_jet(f, x, compact, streams, first_order)
    except (ValueError, IndexError):
        full = compact + 0 * x if hasattr(compact, "_trace") else np.broadcast_to(compact, (count, *points))
        value, first, second = second_order_jet(f, x, full, streams, first_order)
    shape = tuple(wnp.shape(value))

    def at_output_shape(stack: Any, size: int) -> Any:
        return stack if tuple(wnp.shape(stack)) == (size, *shape) else wnp.broadcast_to(stack, (size, *shape))

    first = None if first is None else at_output_shape(first, count)
    return value, first, None if second is None else at_output_shape(second, len(streams))


def _in_groups(
    f: Callable[[Any], Any],
    x: Any,
    columns: Any,
    streams: Sequence[Sequence[tuple[int, int, float]]],
    first_order: bool,
    group: int,
) -> tuple[Any, Any, Any]:
    """`row_wise_jet` for streams of squares, ``group`` directions a pass: the passes' streams added,
    their first-order terms stacked in order."""
    from .. import numpy as wnp

    value, firsts, total = None, [], None
    for start in range(0, len(columns), group):
        stop = min(start + group, len(columns))
        part = [[(i - start, i - start, c) for i, _, c in terms if start <= i < stop] for terms in streams]
        value, first, second = row_wise_jet(f, x, columns[start:stop], part, first_order)
        firsts.append(first)
        total = second if total is None else total + second
    return value, wnp.concatenate(firsts) if first_order else None, total


def _derivative(f: Callable[[Any], Any], x: Any, direction: Any, order: int) -> Any:
    """D^order f[v, …, v] at every point: the last coefficient of a jet of that order along v (on every row)."""
    traced = hasattr(direction, "_trace")  # a direction drawn from a traced key
    tangent = direction + 0 * x if traced else np.broadcast_to(direction, np.shape(x))
    _, series = jet(f, (x,), ((tangent,) + (None,) * (order - 1),))
    return series[order - 1]


def _check_sampling(samples: Any, key: Any, operation: str) -> None:
    if samples is None:
        if key is not None:
            raise ValueError(f"{operation}: key= is used only to draw samples=S random directions; pass samples too")
        return
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"{operation}: samples must be a positive integer, got {samples!r}")
    if key is None:
        raise ValueError(f"{operation}: samples= needs a key (wg.random.PRNGKey(seed)) to draw from")


def _dimension(x: Any, operation: str) -> int:
    shape = np.shape(x)
    if not shape:
        raise ValueError(f"{operation}: expects a point of shape (d,) or points of shape (..., d), got a scalar")
    return int(shape[-1])


__all__ = ["biharmonic", "differential_operator", "laplacian", "partial_derivative"]
