"""Linear algebra: inverse, solves, determinants, Cholesky, symmetric eigenproblems, norms, trace.

Every function accepts a single matrix ``(n, n)`` or a stack of them
``(..., n, n)``. The primitives here are ``inv``, ``solve``, ``solve_triangular``,
``det``, ``slogdet`` (its log-magnitude), ``cholesky``, ``eigh`` (packed, see
below), ``eigvalsh`` and the vector p-norm; everything else is composed from
them. Their rules are written with ``matmul``, ``solve`` and friends, so they
differentiate again to any order.

Conventions worth knowing:

* ``cholesky``, ``eigh`` and ``eigvalsh`` read the symmetric part ``(A + Aᵀ)/2``
  of their argument (as JAX does). For a symmetric ``A`` the values are NumPy's,
  bit for bit, and the gradient is a symmetric matrix.
* ``det`` and ``slogdet`` differentiate through ``inv(A)``: at a singular matrix
  the derivative raises NumPy's ``LinAlgError`` instead of returning garbage.
* ``norm`` at zero has the zero subgradient (to every order), never NaN.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..core import Tracer, bind, primal_value
from ._primitives import EMPTY, as_array_arg, dtype, has_tracer, primitive, shape, wraps_primitive
from .elementwise import abs, astype, clip, sign, sqrt, where
from .indexing import getitem
from .logic import detach, equal, greater, logical_and
from .products import matmul
from .reductions import amax, amin, expand_reduced, keepdims_shape, normalize_axis, sum
from .shape import concatenate, moveaxis, reshape, swapaxes, unbroadcast

# -- helpers ------------------------------------------------------------------------------


def _matrix_transpose(x: Any) -> Any:
    return swapaxes(x, -1, -2)


def _symmetric_part(x: Any) -> Any:
    return (x + _matrix_transpose(x)) * 0.5


def _symmetric_part_numpy(x: np.ndarray) -> np.ndarray:
    return (x + np.swapaxes(x, -1, -2)) * 0.5


def _float_dtype(x: Any) -> np.dtype:
    kind = dtype(x)
    return kind if kind.kind == "f" else np.dtype(np.float64)


def _eye(n: int, like: Any) -> np.ndarray:
    return np.eye(n, dtype=_float_dtype(like))


def _expand_last_two(x: Any) -> Any:
    """A batch of scalars ``(...)`` as ``(..., 1, 1)``, ready to scale a batch of matrices."""
    return reshape(x, (*shape(x), 1, 1))


def _square_shape(name: str, x: Any) -> tuple[int, ...]:
    x_shape = tuple(shape(x))
    if len(x_shape) < 2 or x_shape[-1] != x_shape[-2]:
        raise ValueError(
            f"{name}: expected a square matrix or a stack of square matrices of shape (..., n, n), "
            f"got an array of shape {x_shape}"
        )
    return x_shape


def _safe_reciprocal(x: Any) -> Any:
    """``1 / x`` with 0 where ``x`` is 0 (the zero-subgradient convention)."""
    if not np.any(np.asarray(primal_value(x)) == 0):  # no zero in the raw values (a whole batch)
        return 1.0 / x
    zero = equal(x, 0)  # a comparison: batched under vmap
    return where(zero, 0.0, 1.0 / where(zero, 1.0, x))


# -- inverse ----------------------------------------------------------------------------------

inv_p = primitive(
    "inv",
    np.linalg.inv,
    jvp=(lambda t, ans, a: -matmul(matmul(ans, t), ans),),
    vjp=(lambda g, ans, a: -matmul(matmul(_matrix_transpose(ans), g), _matrix_transpose(ans)),),
)


@wraps_primitive(inv_p)
def inv(a: Any) -> Any:
    """The inverse of a square matrix (or of each matrix in a stack).

    d(A⁻¹) = -A⁻¹ dA A⁻¹.

    Example:
        >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    a = as_array_arg(a)
    _square_shape("inv", a)
    if isinstance(a, Tracer):
        return a._trace.process(inv_p, (a,), EMPTY)
    return np.linalg.inv(a)


# -- solves ----------------------------------------------------------------------------------


def _solve_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    return unbroadcast(_solve_matrices(_matrix_transpose(a), g), b)


def _solve_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    cotangent_b = _solve_matrices(_matrix_transpose(a), g)
    return unbroadcast(-matmul(cotangent_b, _matrix_transpose(ans)), a)


solve_p = primitive(
    "solve",
    np.linalg.solve,
    jvp=(
        lambda t, ans, a, b: -_solve_matrices(a, matmul(t, ans)),
        lambda t, ans, a, b: _solve_matrices(a, t),
    ),
    vjp=(_solve_vjp_a, _solve_vjp_b),
)


def _solve_matrices(a: Any, b: Any) -> Any:
    """``A⁻¹ B`` for ``A`` of shape (..., n, n) and ``B`` of shape (..., n, k), batches broadcast."""
    return bind(solve_p, (a, b), EMPTY)


def _check_solve_shapes(name: str, a: Any, b: Any) -> bool:
    """Validate the shapes of ``a x = b``; True when ``b`` is a single vector."""
    a_shape = _square_shape(name, a)
    b_shape = tuple(shape(b))
    n = a_shape[-1]
    if len(b_shape) == 0:
        raise ValueError(f"{name}: b must be a vector (n,) or matrices (..., n, k), got a scalar")
    vector = len(b_shape) == 1
    rows = b_shape[0] if vector else b_shape[-2]
    if rows != n:
        what = "b of shape (n,)" if vector else "b of shape (..., n, k)"
        raise ValueError(
            f"{name}: a of shape {a_shape} and {what} = {b_shape} do not match (a has {n} rows, b has {rows})"
        )
    if not vector:
        try:
            np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        except ValueError:
            raise ValueError(f"{name}: the batch dimensions of a {a_shape} and b {b_shape} do not broadcast") from None
    return vector


@wraps_primitive(solve_p)
def solve(a: Any, b: Any) -> Any:
    """The solution ``x`` of ``a @ x = b``.

    ``a`` is (..., n, n); ``b`` is a vector (n,) or matrices (..., n, k) (NumPy 2
    rules: only a one-dimensional ``b`` is a vector). Batch dimensions broadcast.

    Example:
        >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 2.0]))
        array([1. , 0.5])
    """
    a, b = as_array_arg(a), as_array_arg(b)
    vector = _check_solve_shapes("solve", a, b)
    if not has_tracer((a, b)):
        return np.linalg.solve(a, b)
    if vector:
        n = shape(b)[0]
        x = _solve_matrices(a, reshape(b, (n, 1)))
        return reshape(x, shape(x)[:-1])
    return _solve_matrices(a, b)


def _triangle_mask(n: int, lower: bool, like: Any) -> np.ndarray:
    ones = np.ones((n, n), dtype=_float_dtype(like))
    return np.tril(ones) if lower else np.triu(ones)


def _solve_triangular_impl(a: Any, b: Any, lower: bool) -> Any:
    triangle = np.tril(a) if lower else np.triu(a)
    return np.linalg.solve(triangle, b)


def _solve_triangular_matrices(a: Any, b: Any, lower: bool) -> Any:
    return bind(solve_triangular_p, (a, b), {"lower": lower})


def _solve_triangular_vjp_b(g: Any, ans: Any, a: Any, b: Any, lower: bool) -> Any:
    return unbroadcast(_solve_triangular_matrices(_matrix_transpose(a), g, not lower), b)


def _solve_triangular_vjp_a(g: Any, ans: Any, a: Any, b: Any, lower: bool) -> Any:
    cotangent_b = _solve_triangular_matrices(_matrix_transpose(a), g, not lower)
    full = -matmul(cotangent_b, _matrix_transpose(ans))
    return unbroadcast(full * _triangle_mask(shape(a)[-1], lower, a), a)


solve_triangular_p = primitive(
    "solve_triangular",
    _solve_triangular_impl,
    jvp=(
        lambda t, ans, a, b, lower: (
            -_solve_triangular_matrices(a, matmul(t * _triangle_mask(shape(a)[-1], lower, a), ans), lower)
        ),
        lambda t, ans, a, b, lower: _solve_triangular_matrices(a, t, lower),
    ),
    vjp=(_solve_triangular_vjp_a, _solve_triangular_vjp_b),
)


@wraps_primitive(solve_triangular_p)
def solve_triangular(a: Any, b: Any, lower: bool = True) -> Any:
    """The solution of ``a @ x = b`` reading only the lower (or upper) triangle of ``a``.

    Shapes as in `solve`. The other triangle of ``a`` is ignored, so its
    derivative there is zero (as ``scipy.linalg.solve_triangular``).

    Example:
        >>> solve_triangular(np.array([[2.0, 9.0], [1.0, 1.0]]), np.array([2.0, 2.0]))
        array([1., 1.])
    """
    a, b = as_array_arg(a), as_array_arg(b)
    vector = _check_solve_shapes("solve_triangular", a, b)
    lower = bool(lower)
    if vector:
        n = shape(b)[0]
        x = _solve_triangular_matrices(a, reshape(b, (n, 1)), lower)
        return reshape(x, shape(x)[:-1])
    return _solve_triangular_matrices(a, b, lower)


# -- determinants ---------------------------------------------------------------------------


def _inverse_transpose(a: Any) -> Any:
    return _matrix_transpose(inv(a))


def _trace_of_inverse_times(a: Any, t: Any) -> Any:
    """tr(A⁻¹ T) for each matrix of the batch."""
    return sum(_inverse_transpose(a) * t, axis=(-2, -1))


det_p = primitive(
    "det",
    np.linalg.det,
    jvp=(lambda t, ans, a: ans * _trace_of_inverse_times(a, t),),
    vjp=(lambda g, ans, a: _expand_last_two(g * ans) * _inverse_transpose(a),),
)


@wraps_primitive(det_p)
def det(a: Any) -> Any:
    """The determinant of a square matrix (or of each matrix in a stack).

    d det(A) / dA = det(A) A⁻ᵀ; the derivative needs A to be invertible.

    Example:
        >>> float(det(np.array([[2.0, 1.0], [1.0, 3.0]])))  # doctest: +ELLIPSIS
        5.0...
    """
    a = as_array_arg(a)
    _square_shape("det", a)
    if isinstance(a, Tracer):
        return a._trace.process(det_p, (a,), EMPTY)
    return np.linalg.det(a)


def _logabsdet_impl(a: Any) -> Any:
    return np.linalg.slogdet(a)[1]


def _sign_of_det_impl(a: Any) -> Any:
    return np.linalg.slogdet(a)[0]


logabsdet_p = primitive(
    "logabsdet",
    _logabsdet_impl,
    jvp=(lambda t, ans, a: _trace_of_inverse_times(a, t),),
    vjp=(lambda g, ans, a: _expand_last_two(g) * _inverse_transpose(a),),
)
# The sign of the determinant is piecewise constant: a primitive (so that it stays in
# staged programs and Tensors stay Tensors) with a zero derivative.
sign_of_det_p = primitive("sign_of_det", _sign_of_det_impl, differentiable=False)


@wraps_primitive(logabsdet_p)
def slogdet(a: Any) -> tuple[Any, Any]:
    """``(sign, log|det A|)``: the determinant without overflow. Only the log is differentiable.

    d log|det A| / dA = A⁻ᵀ.

    Example:
        >>> sign, logabsdet = slogdet(np.array([[0.0, 2.0], [3.0, 0.0]]))
        >>> float(sign), round(float(logabsdet), 6)
        (-1.0, 1.791759)
    """
    a = as_array_arg(a)
    _square_shape("slogdet", a)
    if not isinstance(a, Tracer):
        return np.linalg.slogdet(a)
    sign_value = bind(sign_of_det_p, (a,), EMPTY)
    return sign_value, a._trace.process(logabsdet_p, (a,), EMPTY)


# -- Cholesky ----------------------------------------------------------------------------------


def _cholesky_impl(a: Any) -> Any:
    return np.linalg.cholesky(_symmetric_part_numpy(a))


def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    n = shape(x)[-1]
    mask = np.tril(np.ones((n, n), dtype=_float_dtype(x)), -1) + 0.5 * np.eye(n, dtype=_float_dtype(x))
    return x * mask


def _cholesky_jvp(t: Any, ans: Any, a: Any) -> Any:
    # L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ), with Ȧ the symmetric part of the tangent.
    left = _solve_triangular_matrices(ans, _symmetric_part(t), True)
    middle = _matrix_transpose(_solve_triangular_matrices(ans, _matrix_transpose(left), True))
    return matmul(ans, _phi(middle))


def _cholesky_vjp(g: Any, ans: Any, a: Any) -> Any:
    # Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹), the transpose of the JVP above.
    upper = _matrix_transpose(ans)
    projected = _phi(matmul(upper, g))
    left = _solve_triangular_matrices(upper, projected, False)
    full = _matrix_transpose(_solve_triangular_matrices(upper, _matrix_transpose(left), False))
    return _symmetric_part(full)


cholesky_p = primitive("cholesky", _cholesky_impl, jvp=(_cholesky_jvp,), vjp=(_cholesky_vjp,))


@wraps_primitive(cholesky_p)
def cholesky(a: Any) -> Any:
    """The lower-triangular ``L`` with ``L @ Lᵀ = A`` for symmetric positive definite ``A``.

    Reads the symmetric part (A + Aᵀ)/2 of ``a``, so the gradient is symmetric.

    Example:
        >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]]))
        array([[2., 0.],
               [1., 1.]])
    """
    a = as_array_arg(a)
    _square_shape("cholesky", a)
    if isinstance(a, Tracer):
        return a._trace.process(cholesky_p, (a,), EMPTY)
    return _cholesky_impl(np.asarray(a))


# -- symmetric eigenproblems ----------------------------------------------------------------------


def _eigh_packed_impl(a: Any) -> Any:
    values, vectors = np.linalg.eigh(_symmetric_part_numpy(np.asarray(a)))
    return np.concatenate([values[..., None, :], vectors], axis=-2)


def _diagonal(x: Any) -> Any:
    """The diagonals of a batch of square matrices, (..., n, n) -> (..., n)."""
    return sum(x * _eye(shape(x)[-1], x), axis=-1)


def _diagonal_matrix(x: Any) -> Any:
    """Batch of diagonal matrices from a batch of vectors, (..., n) -> (..., n, n)."""
    n = shape(x)[-1]
    return reshape(x, (*shape(x)[:-1], 1, n)) * _eye(n, x)


def _row(x: Any) -> Any:
    """A batch of vectors (..., n) as rows (..., 1, n)."""
    return reshape(x, (*shape(x)[:-1], 1, shape(x)[-1]))


def _column(x: Any) -> Any:
    """A batch of vectors (..., n) as columns (..., n, 1)."""
    return reshape(x, (*shape(x), 1))


def _ties(values: Any) -> Any:
    """Boolean (..., n, n): where eigenvalue i equals eigenvalue j (the diagonal included).

    A comparison: a constant to differentiation, batched under vmap.
    """
    return equal(_row(values), _column(values))


def _inverse_gaps(values: Any, ties: Any) -> Any:
    """F_ij = 1 / (w_j - w_i) off the diagonal, and 0 where eigenvalues coincide."""
    gaps = _row(values) - _column(values)
    return where(ties, 0.0, 1.0 / where(ties, 1.0, gaps))


def _check_invariant(name: str, ties: Any, values_cotangent: Any, mixing: Any) -> None:
    """Raise when a cotangent depends on the arbitrary basis of a repeated eigenvalue's eigenspace.

    At exactly repeated eigenvalues the eigenvalues' order and the eigenvectors
    are not differentiable. Quantities invariant within the eigenspace (sums of
    the repeated eigenvalues, projectors onto the eigenspace...) still are: their
    cotangents give equal weights to the repeated eigenvalues and a symmetric
    Vᵀ V̄ on the repeated block. Anything else has no derivative.

    The test runs on detached values (batched under vmap, where it raises if any
    example has no derivative).
    """
    off_diagonal = logical_and(ties, ~np.eye(shape(ties)[-1], dtype=bool))
    if not np.any(primal_value(off_diagonal)):
        return
    problems = None
    scale = 0.0
    if values_cotangent is not None:
        weights = detach(values_cotangent)
        problems = abs(_row(weights) - _column(weights))
        scale = builtins.max(scale, float(np.max(np.abs(primal_value(weights)), initial=0.0)))
    if mixing is not None:
        mixing = detach(mixing)
        asymmetry = abs(mixing - _matrix_transpose(mixing))
        problems = asymmetry if problems is None else problems + asymmetry
        scale = builtins.max(scale, float(np.max(np.abs(primal_value(mixing)), initial=0.0)))
    if problems is None:
        return
    undefined = logical_and(off_diagonal, greater(problems, 1e-8 * builtins.max(scale, 1e-300)))
    if np.any(primal_value(undefined)):
        raise ValueError(
            f"{name}: the derivative is undefined: the matrix has repeated eigenvalues and the result "
            "depends on the arbitrary choice of eigenvectors (or on the order) within their eigenspace"
        )


def _unpack(packed: Any) -> tuple[Any, Any]:
    """Eigenvalues (first row) and eigenvectors (the other rows) of a packed (..., n + 1, n) array."""
    values = getitem(packed, (Ellipsis, 0, slice(None)))
    vectors = getitem(packed, (Ellipsis, slice(1, None), slice(None)))
    return values, vectors


def _eigh_jvp(t: Any, ans: Any, a: Any) -> Any:
    values, vectors = _unpack(ans)
    rotated = matmul(matmul(_matrix_transpose(vectors), _symmetric_part(t)), vectors)
    values_tangent = _diagonal(rotated)
    vectors_tangent = matmul(vectors, _inverse_gaps(values, _ties(values)) * rotated)
    return concatenate([_row(values_tangent), vectors_tangent], -2)


def _eigh_vjp(g: Any, ans: Any, a: Any) -> Any:
    values, vectors = _unpack(ans)
    values_cotangent, vectors_cotangent = _unpack(g)
    ties = _ties(values)
    mixing = matmul(_matrix_transpose(vectors), vectors_cotangent)
    _check_invariant("eigh", ties, values_cotangent, mixing)
    inner = _diagonal_matrix(values_cotangent) + _inverse_gaps(values, ties) * mixing
    return _symmetric_part(matmul(matmul(vectors, inner), _matrix_transpose(vectors)))


eigh_packed_p = primitive("eigh_packed", _eigh_packed_impl, jvp=(_eigh_jvp,), vjp=(_eigh_vjp,))


@wraps_primitive(eigh_packed_p)
def eigh(a: Any) -> tuple[Any, Any]:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix: ``(w, v)``.

    Reads the symmetric part (A + Aᵀ)/2 of ``a``. Internally one primitive
    returns ``w`` and ``v`` packed as rows of one array, (..., n + 1, n).

    Degenerate eigenvalues: where two eigenvalues are exactly equal, the
    eigenvectors of their eigenspace (and the eigenvalues' order) are not
    differentiable. Reverse mode then still differentiates quantities that
    do not depend on that choice (sums over the repeated eigenvalues,
    projectors ``v vᵀ`` summed over the eigenspace) and raises ValueError for
    anything else; forward mode returns the tangent in NumPy's basis, which is
    right only for such invariant quantities. Near-repeated eigenvalues give
    large eigenvector derivatives (1 / gap): correct but ill-conditioned.

    Example:
        >>> w, v = eigh(np.array([[2.0, 0.0], [0.0, 1.0]]))
        >>> w
        array([1., 2.])
    """
    a = as_array_arg(a)
    _square_shape("eigh", a)
    if not isinstance(a, Tracer):
        return np.linalg.eigh(_symmetric_part_numpy(np.asarray(a)))
    return _unpack(a._trace.process(eigh_packed_p, (a,), EMPTY))


def _eigenvectors(a: Any) -> Any:
    return eigh(a)[1]


def _eigvalsh_jvp(t: Any, ans: Any, a: Any) -> Any:
    vectors = _eigenvectors(a)
    return sum(vectors * matmul(_symmetric_part(t), vectors), axis=-2)


def _eigvalsh_vjp(g: Any, ans: Any, a: Any) -> Any:
    _check_invariant("eigvalsh", _ties(ans), g, None)
    vectors = _eigenvectors(a)
    return matmul(vectors * reshape(g, (*shape(g)[:-1], 1, shape(g)[-1])), _matrix_transpose(vectors))


eigvalsh_p = primitive(
    "eigvalsh",
    lambda a: np.linalg.eigvalsh(_symmetric_part_numpy(np.asarray(a))),
    jvp=(_eigvalsh_jvp,),
    vjp=(_eigvalsh_vjp,),
)


@wraps_primitive(eigvalsh_p)
def eigvalsh(a: Any) -> Any:
    """Eigenvalues (ascending) of a symmetric matrix; d w_i / dA = v_i v_iᵀ.

    Reads the symmetric part of ``a``; see `eigh` for repeated eigenvalues.

    Example:
        >>> eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
        array([1., 3.])
    """
    a = as_array_arg(a)
    _square_shape("eigvalsh", a)
    if isinstance(a, Tracer):
        return a._trace.process(eigvalsh_p, (a,), EMPTY)
    return np.linalg.eigvalsh(_symmetric_part_numpy(np.asarray(a)))


# -- norms -----------------------------------------------------------------------------------------


def _safe_abs_power(x: Any, exponent: float) -> Any:
    """|x| ** exponent, with 0 (and a zero derivative) where x is 0.

    The power is never evaluated at 0, so no infinite intermediate derivative
    (of |x| ** e with e < 1) can appear, even at higher orders.
    """
    if not np.any(np.asarray(primal_value(x)) == 0):
        return abs(x) ** exponent
    zero = equal(x, 0)
    return where(zero, 0.0, abs(where(zero, 1.0, x)) ** exponent)


def _pnorm_weights(ans: Any, x: Any, ord: float, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    """∂‖x‖_p / ∂x = sign(x) |x|^(p-1) / ‖x‖^(p-1), and 0 where ‖x‖ = 0."""
    norm = ans if keepdims else reshape(ans, keepdims_shape(shape(x), axis))
    if ord == 2.0:
        return x * _safe_reciprocal(norm)
    return sign(x) * _safe_abs_power(x, ord - 1.0) * _safe_abs_power(norm, 1.0 - ord)


def _pnorm_impl(x: Any, ord: float, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    x = np.asarray(x)
    if ord == 2.0:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    return np.sum(np.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _pnorm_jvp(t: Any, ans: Any, x: Any, ord: float, axis: Any, keepdims: bool) -> Any:
    return sum(t * _pnorm_weights(ans, x, ord, axis, keepdims), axis, keepdims)


def _pnorm_vjp(g: Any, ans: Any, x: Any, ord: float, axis: Any, keepdims: bool) -> Any:
    return expand_reduced(g, shape(x), axis, keepdims) * _pnorm_weights(ans, x, ord, axis, keepdims)


pnorm_p = primitive("pnorm", _pnorm_impl, jvp=(_pnorm_jvp,), vjp=(_pnorm_vjp,))


def _vector_norm(x: Any, ord: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    if ord is None or ord == 2:
        return x._trace.process(pnorm_p, (x,), {"ord": 2.0, "axis": axis, "keepdims": keepdims})
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; a vector norm takes a number")
    if ord == np.inf:
        return amax(abs(x), axis, keepdims)
    if ord == -np.inf:
        return amin(abs(x), axis, keepdims)
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if ord == 0:  # the number of non-zero entries: piecewise constant
        return sum(astype(x != 0, _float_dtype(x)), axis, keepdims)
    if ord > 1:
        return x._trace.process(pnorm_p, (x,), {"ord": float(ord), "axis": axis, "keepdims": keepdims})
    raise ValueError(
        f"norm: the derivative of the vector 'norm' with ord={ord!r} is not supported (use ord >= 1, inf, -inf or 0)"
    )


def _singular_values(x: Any) -> Any:
    """Singular values of the trailing matrices, from the eigenvalues of the smaller Gram matrix."""
    rows, columns = shape(x)[-2:]
    gram = matmul(_matrix_transpose(x), x) if columns <= rows else matmul(x, _matrix_transpose(x))
    return sqrt(clip(eigvalsh(gram), 0.0, None))


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, int], keepdims: bool) -> Any:
    row_axis, column_axis = axes
    if ord is None or ord == "fro":
        result = x._trace.process(pnorm_p, (x,), {"ord": 2.0, "axis": tuple(sorted(axes)), "keepdims": False})
    elif ord in (1, -1, np.inf, -np.inf):
        summed_axis, extremum_axis = (row_axis, column_axis) if ord in (1, -1) else (column_axis, row_axis)
        sums = sum(abs(x), summed_axis)
        if extremum_axis > summed_axis:
            extremum_axis -= 1
        result = amax(sums, extremum_axis) if ord in (1, np.inf) else amin(sums, extremum_axis)
    elif ord in (2, -2, "nuc"):
        singular = _singular_values(moveaxis(x, (row_axis, column_axis), (-2, -1)))
        if ord == 2:
            result = amax(singular, -1)
        elif ord == -2:
            result = amin(singular, -1)
        else:
            result = sum(singular, -1)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        kept = [1 if i in axes else size for i, size in enumerate(shape(x))]
        result = reshape(result, kept)
    return result


@wraps_primitive(pnorm_p)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    Vector orders: None/2, 1, inf, -inf, 0 and any p > 1; matrix orders
    ('fro', 'nuc', 1, -1, 2, -2, inf, -inf) over a pair of axes. The 2-norm
    (and Frobenius) at x = 0 has the zero subgradient to every order. Spectral
    and nuclear norms of traced matrices use the eigenvalues of the Gram matrix.

    Example:
        >>> float(norm(np.array([3.0, 4.0])))
        5.0
    """
    x = as_array_arg(x)
    if not isinstance(x, Tracer):
        return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    ndim = len(shape(x))
    if axis is None:
        if ord is None:
            return x._trace.process(pnorm_p, (x,), {"ord": 2.0, "axis": None, "keepdims": bool(keepdims)})
        if ndim == 1:
            axis = (0,)
        elif ndim == 2:
            axis = (0, 1)
        else:
            raise ValueError(f"norm: ord={ord!r} needs a vector or a matrix (or axis=...), got shape {shape(x)}")
    elif isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    else:
        axis = tuple(int(a) for a in axis)
    normalized = tuple(int(a) % ndim if -ndim <= a < ndim else a for a in axis)
    if builtins.any(not 0 <= a < ndim for a in normalized):
        raise ValueError(f"norm: axis {axis} is out of bounds for an array of shape {shape(x)}")
    if len(normalized) == 1:
        return _vector_norm(x, ord, normalized, bool(keepdims))
    if len(normalized) == 2 and normalized[0] != normalized[1]:
        return _matrix_norm(x, ord, normalized, bool(keepdims))
    raise ValueError(f"norm: axis must be an int or a pair of distinct axes, got {axis}")


# -- trace and powers --------------------------------------------------------------------------


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Sum along a diagonal of ``x`` (of the axes ``axis1`` and ``axis2``, shifted by ``offset``).

    Example:
        >>> float(trace(np.array([[1.0, 2.0], [3.0, 4.0]])))
        5.0
    """
    x = as_array_arg(x)
    if not isinstance(x, Tracer):
        return np.trace(x, offset=offset, axis1=axis1, axis2=axis2)
    x_shape = shape(x)
    ndim = len(x_shape)
    if ndim < 2:
        raise ValueError(f"trace: needs at least two dimensions, got shape {x_shape}")
    first, second = normalize_axis(axis1, ndim)[0], normalize_axis(axis2, ndim)[0]
    if first == second:
        raise ValueError(f"trace: axis1 and axis2 must differ, got {axis1} and {axis2}")
    offset = int(offset)
    row_start, column_start = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(0, builtins.min(x_shape[first] - row_start, x_shape[second] - column_start))
    moved = moveaxis(x, (first, second), (-2, -1))
    steps = np.arange(length)
    diagonal = getitem(moved, (Ellipsis, steps + row_start, steps + column_start))
    return sum(diagonal, axis=-1)


def matrix_power(a: Any, n: int) -> Any:
    """``a`` multiplied by itself ``n`` times (``inv(a)`` for negative ``n``, identity for 0).

    Example:
        >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
        array([[1., 3.],
               [0., 1.]])
    """
    a = as_array_arg(a)
    a_shape = _square_shape("matrix_power", a)
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {type(n).__name__}")
    if not isinstance(a, Tracer):
        return np.linalg.matrix_power(a, n)
    n = int(n)
    if n == 0:  # the identity, still a traced value (with a zero derivative)
        return where(np.ones(a_shape, dtype=bool), _eye(a_shape[-1], a), a)
    if n < 0:
        a, n = inv(a), -n
    result = None
    square = a
    while True:
        if n & 1:
            result = square if result is None else matmul(result, square)
        n >>= 1
        if not n:
            return result
        square = matmul(square, square)


__all__ = [
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_power",
    "norm",
    "slogdet",
    "solve",
    "solve_triangular",
    "trace",
]

# Functions that ``wengert.numpy`` also exports at its top level (``wnp.trace``).
__top_level__ = ["trace"]
