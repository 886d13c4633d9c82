"""Linear algebra: inverse, solves, determinants, Cholesky, eigenproblems, decompositions, norms, trace.

Every function accepts a single matrix ``(n, n)`` or a stack of them
``(..., n, n)`` where NumPy does. The primitives here are ``inv``, ``solve``,
``solve_triangular``, ``det``, ``slogdet`` (its log-magnitude), ``cholesky``,
``eigh`` (packed, see below), ``eigvalsh`` and the vector p-norm; ``qr``,
``svd``, ``pinv``, ``lstsq``, ``matrix_rank`` and ``cond`` come from
`wengert.numpy.linalg_decompositions`; everything else is composed from them.
Their rules are written with ``matmul``, ``solve`` and friends, so they
differentiate again to any order.

Conventions worth knowing:

* ``cholesky``, ``eigh`` and ``eigvalsh`` read the symmetric part ``(A + Aᵀ)/2``
  of their argument (as JAX does). For a symmetric ``A`` the values are NumPy's,
  bit for bit, and the gradient is a symmetric matrix. ``eigh``/``eigvalsh``
  with ``UPLO='L'`` or ``'U'`` read only that triangle, as NumPy does.
* ``eig`` accepts only real symmetric matrices (checked on the concrete values)
  and is ``eigh`` there.
* At exactly repeated eigenvalues or singular values the vectors have no
  derivative: ``eigh`` raises in reverse mode, ``svd`` gives NaN as JAX does;
  functions symmetric in the repeated values keep their exact derivative.
* ``det`` and ``slogdet`` differentiate through ``inv(A)``: at a singular matrix
  the derivative raises NumPy's ``LinAlgError`` instead of returning garbage.
* ``norm`` at zero has the zero subgradient (to every order), never NaN; ties
  of a max or min share the cotangent equally.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..core import Tracer, bind, primal_value
from ..core.staging import is_abstract
from ._primitives import EMPTY, as_array_arg, dtype, has_tracer, primitive, shape, wraps_primitive
from .elementwise import abs, astype, sign, where
from .indexing import getitem
from .logic import any, detach, equal, greater, logical_and, logical_not, logical_or, not_equal
from .products import matmul
from .rearrange import tril, triu
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
    if not is_abstract(x) and not np.any(np.asarray(primal_value(x)) == 0):  # no zero anywhere in the batch
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
def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """The lower-triangular ``L`` with ``L @ Lᵀ = A`` for symmetric positive definite ``A``.

    Reads the symmetric part (A + Aᵀ)/2 of ``a``, so the gradient is symmetric.
    ``upper=True`` returns ``Lᵀ`` instead (NumPy 2's keyword).

    Example:
        >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]]))
        array([[2., 0.],
               [1., 1.]])
    """
    a = as_array_arg(a)
    _square_shape("cholesky", a)
    lower = a._trace.process(cholesky_p, (a,), EMPTY) if isinstance(a, Tracer) else _cholesky_impl(np.asarray(a))
    return _matrix_transpose(lower) if upper else lower


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


def _check_invariant(name: str, ties: Any, values_cotangent: Any, mixing: Any, what: str = "eigenvalues") -> None:
    """Raise when a cotangent meets the arbitrary basis (or order) of exactly repeated eigenvalues.

    At exactly repeated eigenvalues the eigenvalues' order and the eigenvectors
    of their common eigenspace are not differentiable. What stays
    differentiable: functions symmetric in the repeated values (equal weights
    on them: sums, norms), and functions that use no vector of the repeated
    block against another (a zero Vᵀ V̄ there). A non-zero Vᵀ V̄ on the block is
    refused even when it is symmetric: the derivative's share there is the
    limit of a 0/0 (a reconstruction V diag(w) Vᵀ, whose derivative is
    everything, and the projector V Vᵀ, whose derivative is 0, both give a
    symmetric Vᵀ V̄), which a cotangent at the tie cannot tell.

    The test runs on detached values (batched under vmap, where it raises if any
    example has no derivative).
    """
    if is_abstract(ties):
        raise TypeError(
            f"{name}: the derivative checks for exactly repeated {what} on their values, which jit does not "
            "know while it compiles; take this derivative outside jit (the values themselves compile)"
        )
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
        mixing = abs(detach(mixing))
        mixing = mixing + _matrix_transpose(mixing)
        problems = mixing if problems is None else problems + mixing
        scale = builtins.max(scale, float(np.max(primal_value(mixing), initial=0.0)))
    if problems is None:
        return
    undefined = logical_and(off_diagonal, greater(problems, 1e-8 * builtins.max(scale, 1e-300)))
    if np.any(primal_value(undefined)):
        raise ValueError(
            f"{name}: the derivative is undefined: the matrix has exactly repeated {what}, and the result "
            "depends on the arbitrary choice of their vectors (or on their order); only functions symmetric in "
            "the repeated values that use no vector of them have a derivative there"
        )


def _divide_where_defined(numerator: Any, denominator: Any, flow: Any, symmetric: bool = False) -> Any:
    """``numerator / denominator``; where the denominator is 0: 0 if nothing flows there, else NaN.

    For derivative terms like dV = V (F ∘ P) with F_ij = 1 / (w_j - w_i): at a
    zero gap the term is undefined (the limit of a 0/0 that depends on how the
    gap closes) unless no tangent or cotangent reaches it. ``flow`` holds the raw
    tangent or cotangent entries (with ``symmetric``, entry (i, j) or (j, i)
    non-zero counts); checked on detached values, so it is a constant to
    differentiation and batched under vmap. NaN marks an undefined derivative
    (as JAX's own infinities and NaNs do).
    """
    zero = equal(denominator, 0)
    if not is_abstract(zero) and not np.any(primal_value(zero)):
        return numerator / denominator
    flowing = not_equal(detach(flow), 0)
    if symmetric:
        flowing = logical_or(flowing, _matrix_transpose(flowing))
    quotient = numerator / where(zero, 1.0, denominator)
    return where(logical_and(zero, flowing), np.nan, where(zero, 0.0, quotient))


_NOTHING_FLOWS = np.zeros((1, 1))


def _gap_quotient(x: Any, gaps: Any, flow: Any) -> Any:
    """x_ij / gaps_ij off the diagonal, 0 on it; NaN at a zero gap that ``flow`` (symmetrised) reaches."""
    identity = np.eye(shape(x)[-1], dtype=_float_dtype(x))
    return _divide_where_defined(x, gaps + identity, flow, symmetric=True) * (1.0 - identity)


def _unpack(packed: Any) -> tuple[Any, Any]:
    """Eigenvalues (first row) and eigenvectors (the other rows) of a packed (..., n + 1, n) array."""
    values = getitem(packed, (Ellipsis, 0, slice(None)))
    vectors = getitem(packed, (Ellipsis, slice(1, None), slice(None)))
    return values, vectors


def _eigh_jvp(t: Any, ans: Any, a: Any) -> Any:
    values, vectors = _unpack(ans)
    rotated = matmul(matmul(_matrix_transpose(vectors), _symmetric_part(t)), vectors)
    values_tangent = _undefined_where_ties_split(_diagonal(rotated), rotated, values)
    gaps = _row(values) - _column(values)
    vectors_tangent = matmul(vectors, _gap_quotient(rotated, gaps, rotated))
    return concatenate([_row(values_tangent), vectors_tangent], -2)


def _eigh_vjp(g: Any, ans: Any, a: Any) -> Any:
    values, vectors = _unpack(ans)
    values_cotangent, vectors_cotangent = _unpack(g)
    ties = _ties(values)
    mixing = matmul(_matrix_transpose(vectors), vectors_cotangent)
    _check_invariant("eigh", ties, values_cotangent, mixing)  # so no NaN is reached below
    gaps = _row(values) - _column(values)
    inner = _diagonal_matrix(values_cotangent) + _gap_quotient(mixing, gaps, _NOTHING_FLOWS)
    return _symmetric_part(matmul(matmul(vectors, inner), _matrix_transpose(vectors)))


eigh_packed_p = primitive("eigh_packed", _eigh_packed_impl, jvp=(_eigh_jvp,), vjp=(_eigh_vjp,))


EIGH_RESULT = type(np.linalg.eigh(np.eye(1)))
EIG_RESULT = type(np.linalg.eig(np.eye(1)))


def _uplo(name: str, uplo: Any) -> str | None:
    """None (read the symmetric part), 'L' or 'U' (read that triangle, as NumPy and LAPACK do)."""
    if uplo is None:
        return None
    if isinstance(uplo, str) and uplo.upper() in ("L", "U"):
        return uplo.upper()
    raise ValueError(f"{name}: UPLO must be 'L' or 'U' (or None for the symmetric part), got {uplo!r}")


def _from_triangle(a: Any, uplo: str) -> Any:
    """The symmetric matrix whose lower ('L') or upper ('U') triangle is that of ``a``.

    Composed of ``tril``/``triu``, so the gradient lands on the triangle read: an
    off-diagonal entry there receives G_ij + G_ji, a diagonal entry G_ii, the
    other triangle nothing.
    """
    if uplo == "L":
        strict = tril(a, -1)
        return tril(a) + _matrix_transpose(strict)
    strict = triu(a, 1)
    return triu(a) + _matrix_transpose(strict)


@wraps_primitive(eigh_packed_p)
def eigh(a: Any, UPLO: str | None = None) -> tuple[Any, Any]:  # noqa: N803  (NumPy's argument name)
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix: ``(eigenvalues, eigenvectors)``.

    Which entries are read: by default (``UPLO=None``) the symmetric part
    (A + Aᵀ)/2, as JAX does, so the gradient is a symmetric matrix. With
    ``UPLO='L'`` or ``'U'`` only that triangle is read, as in NumPy and LAPACK:
    the values are NumPy's bit for bit even for a non-symmetric ``a``, and the
    gradient is zero on the other triangle (an off-diagonal entry of the
    triangle read carries the sensitivity of both entries it stands for). For a
    symmetric ``a`` every choice gives the same values, and the same
    derivative along symmetric perturbations. Internally one primitive returns
    the values and vectors packed as rows of one array, (..., n + 1, n).

    Degenerate eigenvalues: where two eigenvalues are exactly equal, the
    eigenvectors of their eigenspace (and the eigenvalues' order) are not
    differentiable. Reverse mode still differentiates functions symmetric in
    the repeated eigenvalues (their sum, a norm) that use none of their
    eigenvectors against each other, and raises ValueError for anything else
    (even a projector onto the eigenspace: its derivative there is a 0/0 that
    the cotangent cannot resolve). Forward mode puts NaN in the eigenvectors'
    tangent where the tangent mixes repeated eigenvectors (as JAX's
    infinities do), and gives the eigenvalues' tangent diag(Vᵀ dA V), right
    for symmetric functions of the repeated values only. Near-repeated
    eigenvalues give large eigenvector derivatives (1 / gap): correct but
    ill-conditioned.

    Example:
        >>> w, v = eigh(np.array([[2.0, 0.0], [0.0, 1.0]]))
        >>> w
        array([1., 2.])
        >>> eigh(np.array([[2.0, 9.0], [1.0, 2.0]]), UPLO="L").eigenvalues  # reads the 1 below the diagonal
        array([1., 3.])
    """
    a = as_array_arg(a)
    _square_shape("eigh", a)
    uplo = _uplo("eigh", UPLO)
    if not isinstance(a, Tracer):
        if uplo is not None:
            return np.linalg.eigh(a, UPLO=uplo)
        return np.linalg.eigh(_symmetric_part_numpy(np.asarray(a)))
    if uplo is not None:
        a = _from_triangle(a, uplo)
    return EIGH_RESULT(*_unpack(a._trace.process(eigh_packed_p, (a,), EMPTY)))


def _asymmetry(a: Any) -> tuple[float, float]:
    """(max |A - Aᵀ|, the tolerance it is held to): √eps of the dtype times max |A|, over a whole stack."""
    if is_abstract(a):
        raise TypeError(
            "eig: the symmetry of the matrix is checked on its values, which jit does not know while it "
            "compiles; call linalg.eigh (the same result for a symmetric matrix) inside jit"
        )
    values = np.asarray(primal_value(a))
    if values.dtype.kind not in "fiub":
        raise TypeError(f"eig: expected a real matrix, got dtype {values.dtype} (complex input is not supported yet)")
    values = values.astype(_float_dtype(values), copy=False)
    scale = float(np.max(np.abs(values), initial=0.0))
    deviation = float(np.max(np.abs(values - np.swapaxes(values, -1, -2)), initial=0.0))
    return deviation, float(np.sqrt(np.finfo(values.dtype).eps)) * scale


def eig(a: Any) -> tuple[Any, Any]:
    """Eigenvalues and eigenvectors of a real symmetric matrix, through `eigh`: ``(eigenvalues, eigenvectors)``.

    wengert differentiates ``eig`` only where it is ``eigh``: for a real
    symmetric matrix (or a stack of them). Any other matrix raises ValueError
    naming its asymmetry, plain or traced: a general matrix has complex
    eigenpairs, which wengert does not differentiate yet. The symmetry is
    checked on the concrete values (every wengert transformation runs eagerly,
    so traced values have them; under ``vmap`` the whole batch is checked),
    with a tolerance of √eps · max|A| so that rounding (``B @ B.T``) passes.
    The result is `eigh`'s: eigenvalues in ascending order (NumPy's ``eig``
    promises no order) and orthonormal eigenvectors, computed from the
    symmetric part (A + Aᵀ)/2; the derivative is `eigh`'s too, so it is the
    derivative along symmetric perturbations.

    Example:
        >>> eig(np.array([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        array([1., 3.])
    """
    a = as_array_arg(a)
    x_shape = _square_shape("eig", a)
    deviation, tolerance = _asymmetry(a)
    if deviation > tolerance:
        raise ValueError(
            f"eig: wengert supports eig only for real symmetric matrices (computed through eigh); this matrix of "
            f"shape {tuple(x_shape)} is not symmetric (max |A - A.T| = {deviation:.3g}, tolerance {tolerance:.3g}). "
            "A general matrix has complex eigenvalues and eigenvectors, which wengert does not differentiate: "
            "call numpy.linalg.eig on plain values, or use eigh for a symmetric problem"
        )
    return EIG_RESULT(*eigh(a))


def _eigenvectors(a: Any) -> Any:
    return eigh(a)[1]


def _eigvalsh_jvp(t: Any, ans: Any, a: Any) -> Any:
    vectors = _eigenvectors(a)
    tangent = sum(vectors * matmul(_symmetric_part(t), vectors), axis=-2)
    if not is_abstract(ans) and not np.any(primal_value(_off_diagonal_ties(ans))):
        return tangent  # distinct eigenvalues (the usual case): each has its derivative
    rotated = matmul(matmul(_matrix_transpose(vectors), _symmetric_part(t)), vectors)
    return _undefined_where_ties_split(tangent, rotated, ans)


def _off_diagonal_ties(values: Any) -> Any:
    return logical_and(_ties(values), ~np.eye(shape(values)[-1], dtype=bool))


def _undefined_where_ties_split(tangent: Any, rotated: Any, values: Any) -> Any:
    """The eigenvalues' tangent, NaN where exactly repeated eigenvalues would move apart.

    At a tie the eigenvalues are differentiable along a tangent only when its
    projection on their common eigenspace (the block of Vᵀ T V) is a multiple of
    the identity, so that they move together; otherwise their order, and each
    one's derivative, is undefined (reverse mode raises there, as the cotangent
    then decides). The test runs on detached values (batched under vmap).
    """
    if not is_abstract(values) and not np.any(primal_value(_off_diagonal_ties(values))):
        return tangent
    off_ties = _off_diagonal_ties(detach(values))
    block = detach(rotated)
    diagonal = detach(tangent)
    splits = logical_or(not_equal(block, 0), not_equal(_row(diagonal), _column(diagonal)))
    undefined = any(logical_and(off_ties, splits), axis=-1)
    return where(undefined, np.nan, tangent)


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
def eigvalsh(a: Any, UPLO: str | None = None) -> Any:  # noqa: N803  (NumPy's argument name)
    """Eigenvalues (ascending) of a symmetric matrix; d w_i / dA = v_i v_iᵀ.

    Reads the symmetric part of ``a``, or with ``UPLO='L'``/``'U'`` only that
    triangle (see `eigh` for both, and for repeated eigenvalues).

    Example:
        >>> eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
        array([1., 3.])
    """
    a = as_array_arg(a)
    _square_shape("eigvalsh", a)
    uplo = _uplo("eigvalsh", UPLO)
    if isinstance(a, Tracer):
        if uplo is not None:
            a = _from_triangle(a, uplo)
        return a._trace.process(eigvalsh_p, (a,), EMPTY)
    if uplo is not None:
        return np.linalg.eigvalsh(a, UPLO=uplo)
    return np.linalg.eigvalsh(_symmetric_part_numpy(np.asarray(a)))


# -- norms -----------------------------------------------------------------------------------------


def _safe_abs_power(x: Any, exponent: float) -> Any:
    """|x| ** exponent, with 0 (and a zero derivative) where x is 0.

    The power is never evaluated at 0, so no infinite intermediate derivative
    (of |x| ** e with e < 1) can appear, even at higher orders.
    """
    if not is_abstract(x) and not np.any(np.asarray(primal_value(x)) == 0):
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
    with np.errstate(divide="ignore"):  # ord < 0 and a zero entry: |0|^ord = inf, and the norm is 0 (as NumPy)
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
    if isinstance(ord, (int, float, np.integer, np.floating)) and np.isfinite(ord):
        # Every other p, below 1 and negative too: (Σ |x_i|^p)^(1/p), with 0 at a zero entry for p < 0.
        return x._trace.process(pnorm_p, (x,), {"ord": float(ord), "axis": axis, "keepdims": keepdims})
    raise ValueError(f"norm: invalid norm order {ord!r} for vectors")


def _zero_where_all_zero(x: Any, result: Any, axes: tuple[int, int]) -> Any:
    """``result``, replaced by a constant 0 for the matrices of ``x`` that are exactly zero.

    Spectral and nuclear norms at the zero matrix: the zero subgradient (never a
    basis-dependent U Vᵀ from the SVD of zero).
    """
    if not is_abstract(x) and not np.any(np.all(np.asarray(primal_value(x)) == 0, axis=axes)):
        return result
    zero = logical_not(any(not_equal(x, 0), axis=axes))  # a comparison: batched under vmap
    return where(zero, 0.0, result)


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
        singular = svd(moveaxis(x, (row_axis, column_axis), (-2, -1)), compute_uv=False)
        if ord == 2:
            result = amax(singular, -1)
        elif ord == -2:
            result = amin(singular, -1)
        else:
            result = sum(singular, -1)
        result = _zero_where_all_zero(x, result, axes)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        kept = [1 if i in axes else size for i, size in enumerate(shape(x))]
        result = reshape(result, kept)
    return result


@wraps_primitive(pnorm_p)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    Every order NumPy accepts. Vectors: None/2, 1, inf, -inf, 0 (the count of
    non-zero entries: a zero derivative) and any other p, also below 1 and
    negative ((Σ|x_i|^p)^(1/p), which is 0 when an entry is 0 and p < 0).
    Matrices, over a pair of axes: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf (the
    spectral and nuclear norms through the singular values of `svd`).

    Subgradients: every norm at x = 0 has the zero subgradient, to every order,
    never NaN; a zero entry contributes 0 (abs'(0) = 0, and |x|^(p-1) is taken
    as 0 at 0 for p < 1); ties of a max or min (inf, -inf, the matrix 1/inf
    norms, the spectral norm at a repeated largest singular value) share the
    cotangent equally.

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


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """``numpy.linalg.trace``: the sum along the diagonals of the last two axes (a stack of matrices).

    ``wnp.trace`` is ``numpy.trace``, whose axes default to the first two.

    Example:
        >>> trace(np.arange(8.0).reshape(2, 2, 2)).tolist()
        [3.0, 11.0]
    """
    x = as_array_arg(x)
    if not isinstance(x, Tracer):
        return np.linalg.trace(x, offset=offset, dtype=dtype)
    out = _numpy_trace(x, offset, -2, -1)
    return out if dtype is None else astype(out, dtype)


def _numpy_trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """``numpy.trace`` (``wnp.trace``): the sum along the diagonal of ``axis1`` and ``axis2``, shifted by ``offset``.

    Example:
        >>> float(_numpy_trace(np.array([[1.0, 2.0], [3.0, 4.0]])))
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


_numpy_trace.__name__ = _numpy_trace.__qualname__ = "trace"


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


# The decompositions' module builds on the primitives above (and `norm` calls its `svd`).
from .linalg_decompositions import cond, lstsq, matrix_rank, pinv, qr, svd, svdvals  # noqa: E402

__all__ = [
    "cholesky",
    "cond",
    "det",
    "eig",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_power",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
    "trace",
]

# Functions that ``wengert.numpy`` also exports at its top level (``wnp.trace``).
__top_level__ = ["trace"]
