"""QR and singular value decompositions, and the least-squares functions built on them.

Part of `wengert.numpy.linalg` (which re-exports everything public here). The
primitives return their several outputs packed in one array, as ``eigh`` does:

* ``qr_packed`` holds ``[Qᵀ | R]``, (..., k, m + n) with k = min(m, n) (or m
  for ``mode='complete'``);
* ``svd_packed`` holds ``[U; s; V]`` as rows, (..., m + 1 + n, k);
* ``svd_full_packed`` (``full_matrices=True`` for a non-square matrix) holds
  U, s and Vh flattened along the last axis; it batches, but has no derivative.

Their rules are written in wengert's own operations (``matmul``,
``solve_triangular``, ``where``...), so they differentiate again. ``singular_values``,
``pinv`` and ``lstsq`` are primitives too, whose rules call the ones above;
``matrix_rank`` is piecewise constant.

Conventions worth knowing (see also the docstrings of `qr` and `svd`):

* The singular vectors' derivative has 1 / (s_j² - s_i²) terms: at exactly
  repeated singular values it is undefined, and NaN appears wherever a tangent
  or cotangent reaches those terms (JAX gives inf/NaN there too); a zero
  singular value of a non-square matrix does the same through 1 / s_j. The
  singular values' derivative stays finite: exact for functions symmetric in
  the repeated values (sums, norms), and reverse mode raises ValueError for a
  function that tells repeated values apart.
* The pseudo-inverse's (and ``lstsq``'s) derivative is the closed form valid
  where the rank is locally constant: singular values at or below the cutoff
  count as exact zeros.
* ``qr(mode='complete')`` of a tall matrix and ``svd(full_matrices=True)`` of a
  non-square one compute values and batch under ``vmap``, but refuse to be
  differentiated: their extra columns are an arbitrary basis of a complement.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..core import Tracer, bind, primal_value
from ..core.staging import is_abstract
from ._primitives import as_array_arg, dtype, has_tracer, primitive, shape, wraps_primitive
from .batching import broadcasting
from .elementwise import abs
from .indexing import getitem
from .linalg import (
    _check_invariant,
    _column,
    _diagonal,
    _divide_where_defined,
    _from_triangle,
    _gap_quotient,
    _matrix_transpose,
    _row,
    _solve_triangular_matrices,
    _square_shape,
    _ties,
)
from .products import matmul
from .rearrange import tril
from .reductions import sum
from .shape import concatenate, reshape, unbroadcast

QR_RESULT = type(np.linalg.qr(np.eye(1)))
SVD_RESULT = type(np.linalg.svd(np.eye(1)))
LSTSQ_RESULT_FIELDS = ("x", "residuals", "rank", "s")


def _slice_last(x: Any, start: int | None, stop: int | None) -> Any:
    return getitem(x, (Ellipsis, slice(start, stop)))


def _slice_rows(x: Any, start: int | None, stop: int | None) -> Any:
    return getitem(x, (Ellipsis, slice(start, stop), slice(None)))


def _float_input(name: str, a: Any) -> None:
    kind = dtype(a).kind
    if kind == "c":
        raise TypeError(f"{name}: complex matrices are not supported yet (got dtype {dtype(a)})")


def _matrix_shape(name: str, a: Any) -> tuple[int, ...]:
    a_shape = tuple(shape(a))
    if len(a_shape) < 2:
        raise ValueError(f"{name}: expected a matrix or a stack of matrices of shape (..., m, n), got shape {a_shape}")
    return a_shape


# -- QR ------------------------------------------------------------------------------------------------


def _qr_impl(a: Any, m: int, complete: bool) -> np.ndarray:
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    return np.concatenate([np.swapaxes(q, -1, -2), r], axis=-1)


def _unpack_qr(packed: Any, m: int) -> tuple[Any, Any]:
    return _matrix_transpose(_slice_last(packed, None, m)), _slice_last(packed, m, None)


def _times_inverse_of_upper(x: Any, r: Any) -> Any:
    """``x R⁻¹`` for an upper-triangular ``R`` (a triangular solve, reading only R's upper triangle)."""
    return _matrix_transpose(_solve_triangular_matrices(_matrix_transpose(r), _matrix_transpose(x), True))


def _times_inverse_transpose_of_upper(x: Any, r: Any) -> Any:
    """``x R⁻ᵀ`` for an upper-triangular ``R``."""
    return _matrix_transpose(_solve_triangular_matrices(r, _matrix_transpose(x), False))


def _tall_qr_tangent(q: Any, r: Any, t: Any) -> tuple[Any, Any]:
    """(dQ, dR) of A = QR, A of shape (m, n) with m >= n.

    With X = dA R⁻¹ and C = Qᵀ X: Qᵀ dQ = Ω is skew-symmetric and dR R⁻¹ = C - Ω
    is upper triangular, so Ω's strict lower triangle is C's; dQ = Q Ω + (I - QQᵀ) X.
    """
    x = _times_inverse_of_upper(t, r)
    c = matmul(_matrix_transpose(q), x)
    lower = tril(c, -1)
    omega = lower - _matrix_transpose(lower)
    return matmul(q, omega - c) + x, matmul(c - omega, r)


def _tall_qr_cotangent(q: Any, r: Any, q_cotangent: Any, r_cotangent: Any) -> Any:
    """The transpose of `_tall_qr_tangent`: Ā = (Q (tril(M - Mᵀ, -1) - M) + Q̄) R⁻ᵀ, M = QᵀQ̄ - R̄Rᵀ."""
    mixed = matmul(_matrix_transpose(q), q_cotangent) - matmul(r_cotangent, _matrix_transpose(r))
    inner = tril(mixed - _matrix_transpose(mixed), -1) - mixed
    return _times_inverse_transpose_of_upper(matmul(q, inner) + q_cotangent, r)


def _refuse_complete(a: Any, complete: bool) -> None:
    if complete:
        m, n = shape(a)[-2:]
        raise ValueError(
            f"qr: mode='complete' of a matrix with more rows than columns (shape {tuple(shape(a))}) has no "
            f"derivative: the last {m - n} columns of Q are an arbitrary basis of the complement of A's columns. "
            "Use mode='reduced' (or mode='r')"
        )


def _qr_jvp(t: Any, ans: Any, a: Any, m: int, complete: bool) -> Any:
    _refuse_complete(a, complete)
    q, r = _unpack_qr(ans, m)
    n = shape(a)[-1]
    if m >= n:
        dq, dr = _tall_qr_tangent(q, r, t)
    else:  # A = [X | Y] = Q [R₁ | R₂]: X = Q R₁ is a square QR, and R₂ = Qᵀ Y
        dq, dr_square = _tall_qr_tangent(q, _slice_last(r, None, m), _slice_last(t, None, m))
        rest = matmul(_matrix_transpose(dq), _slice_last(a, m, None))
        dr = concatenate([dr_square, rest + matmul(_matrix_transpose(q), _slice_last(t, m, None))], -1)
    return concatenate([_matrix_transpose(dq), dr], -1)


def _qr_vjp(g: Any, ans: Any, a: Any, m: int, complete: bool) -> Any:
    _refuse_complete(a, complete)
    q, r = _unpack_qr(ans, m)
    q_cotangent, r_cotangent = _unpack_qr(g, m)
    n = shape(a)[-1]
    if m >= n:
        return _tall_qr_cotangent(q, r, q_cotangent, r_cotangent)
    rest_cotangent = _slice_last(r_cotangent, m, None)  # R̄₂; R₂ = Qᵀ Y feeds Q̄ and Ȳ
    q_cotangent = q_cotangent + matmul(_slice_last(a, m, None), _matrix_transpose(rest_cotangent))
    square = _tall_qr_cotangent(q, _slice_last(r, None, m), q_cotangent, _slice_last(r_cotangent, None, m))
    return concatenate([square, matmul(q, rest_cotangent)], -1)


qr_packed_p = primitive("qr_packed", _qr_impl, jvp=(_qr_jvp,), vjp=(_qr_vjp,))
qr_packed_p.batch = broadcasting(qr_packed_p)


@wraps_primitive(qr_packed_p)
def qr(a: Any, mode: str = "reduced") -> Any:
    """The QR decomposition ``a = Q @ R``: Q with orthonormal columns, R upper triangular.

    As ``numpy.linalg.qr``, for a matrix or a stack of them (..., m, n), with
    k = min(m, n): ``mode='reduced'`` gives Q (..., m, k) and R (..., k, n),
    ``'complete'`` gives Q (..., m, m) and R (..., m, n), ``'r'`` gives R alone.
    The factors are NumPy's (LAPACK's Householder QR; R's diagonal may be negative).

    Derivatives, both modes, any order: tall, square and wide (m < n) matrices
    in 'reduced' and 'r' modes; 'complete' equals 'reduced' when m <= n. For
    m > n, 'complete' computes (and batches) but raises ValueError when
    differentiated: its last m - n columns of Q are an arbitrary basis. A
    square block of ``a`` must be invertible (R⁻¹ appears in the rule).
    ``mode='raw'`` (Householder reflectors) is passed to NumPy for plain values
    and refused for traced ones.

    Example:
        >>> q, r = qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
        >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
        True
    """
    a = as_array_arg(a)
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete', 'r' or 'raw', got {mode!r}")
    if not isinstance(a, Tracer):
        return np.linalg.qr(a, mode=mode)
    if mode == "raw":
        raise ValueError(
            "qr: mode='raw' (Householder reflectors) is not differentiable; use 'reduced', 'complete' or 'r'"
        )
    _float_input("qr", a)
    m, n = _matrix_shape("qr", a)[-2:]
    complete = mode == "complete" and m > n
    q, r = _unpack_qr(a._trace.process(qr_packed_p, (a,), {"m": m, "complete": complete}), m)
    return r if mode == "r" else QR_RESULT(q, r)


# -- singular value decomposition ----------------------------------------------------------------------


def _svd_impl(a: Any, hermitian: bool) -> np.ndarray:
    u, s, vh = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
    return np.concatenate([u, s[..., None, :], np.swapaxes(vh, -1, -2)], axis=-2)


def _unpack_svd(packed: Any, m: int) -> tuple[Any, Any, Any]:
    """U (..., m, k), s (..., k) and V (..., n, k) from the packed rows."""
    u = _slice_rows(packed, None, m)
    s = getitem(packed, (Ellipsis, m, slice(None)))
    v = _slice_rows(packed, m + 1, None)
    return u, s, v


def _squared_gaps(s: Any) -> Any:
    """s_j² - s_i², (..., k, k)."""
    return _row(s) * _row(s) - _column(s) * _column(s)


def _svd_tangents(t: Any, u: Any, s: Any, v: Any) -> tuple[Any, Any, Any]:
    """(ds, dU, dV) of A = U diag(s) Vᵀ (reduced), from P = Uᵀ dA V.

    dU = U (F ∘ (PS + SPᵀ)) and dV = V (F ∘ (SP + PᵀS)), F_ij = 1 / (s_j² - s_i²),
    plus, for a non-square matrix, the part of dA outside the factors' columns.
    """
    p = matmul(matmul(_matrix_transpose(u), t), v)
    ds = _diagonal(p)
    gaps = _squared_gaps(s)
    p_s = p * _row(s)  # P S
    s_p = _column(s) * p  # S P
    du = matmul(u, _gap_quotient(p_s + _matrix_transpose(p_s), gaps, p))
    dv = matmul(v, _gap_quotient(s_p + _matrix_transpose(s_p), gaps, p))
    m, n = shape(u)[-2], shape(v)[-2]
    if m > n:  # the part of dA V outside U's columns turns U within the complement
        dav = matmul(t, v)
        outside = dav - matmul(u, matmul(_matrix_transpose(u), dav))
        du = du + _divide_where_defined(outside, _row(s), outside)
    elif n > m:
        datu = matmul(_matrix_transpose(t), u)
        outside = datu - matmul(v, matmul(_matrix_transpose(v), datu))
        dv = dv + _divide_where_defined(outside, _row(s), outside)
    return ds, du, dv


def _svd_cotangent(u: Any, s: Any, v: Any, u_cotangent: Any, s_cotangent: Any, v_cotangent: Any) -> Any:
    """Ā = U (F ∘ ((UᵀŪ - ŪᵀU) S + S (VᵀV̄ - V̄ᵀV)) + diag(s̄)) Vᵀ, plus the complements' terms."""
    u_mixed = matmul(_matrix_transpose(u), u_cotangent)
    v_mixed = matmul(_matrix_transpose(v), v_cotangent)
    coupled = (u_mixed - _matrix_transpose(u_mixed)) * _row(s) + _column(s) * (v_mixed - _matrix_transpose(v_mixed))
    inner = _gap_quotient(coupled, _squared_gaps(s), abs(u_mixed) + abs(v_mixed))
    inner = inner + _column(s_cotangent) * np.eye(shape(s)[-1], dtype=dtype(inner))
    result = matmul(matmul(u, inner), _matrix_transpose(v))
    m, n = shape(u)[-2], shape(v)[-2]
    if m > n:
        outside = u_cotangent - matmul(u, u_mixed)
        result = result + matmul(_divide_where_defined(outside, _row(s), outside), _matrix_transpose(v))
    elif n > m:
        outside = v_cotangent - matmul(v, v_mixed)
        result = result + matmul(u, _matrix_transpose(_divide_where_defined(outside, _row(s), outside)))
    return result


def _check_singular_values_cotangent(s: Any, s_cotangent: Any) -> None:
    _check_invariant("svd", _ties(s), s_cotangent, None, what="singular values")


def _svd_jvp(t: Any, ans: Any, a: Any, hermitian: bool) -> Any:
    m = shape(a)[-2]
    u, s, v = _unpack_svd(ans, m)
    ds, du, dv = _svd_tangents(t, u, s, v)
    return concatenate([du, _row(ds), dv], -2)


def _svd_vjp(g: Any, ans: Any, a: Any, hermitian: bool) -> Any:
    m = shape(a)[-2]
    u, s, v = _unpack_svd(ans, m)
    u_cotangent, s_cotangent, v_cotangent = _unpack_svd(g, m)
    _check_singular_values_cotangent(s, s_cotangent)
    return _svd_cotangent(u, s, v, u_cotangent, s_cotangent, v_cotangent)


svd_packed_p = primitive("svd_packed", _svd_impl, jvp=(_svd_jvp,), vjp=(_svd_vjp,))
svd_packed_p.batch = broadcasting(svd_packed_p)


def _svd_factors(a: Any, hermitian: bool) -> tuple[Any, Any, Any]:
    """U, s, V of the reduced SVD of a (traced) matrix, through the packed primitive."""
    return _unpack_svd(_bind_svd(a, hermitian), shape(a)[-2])


def _bind_svd(a: Any, hermitian: bool) -> Any:
    if isinstance(a, Tracer):
        return a._trace.process(svd_packed_p, (a,), {"hermitian": hermitian})
    return _svd_impl(a, hermitian)


def _singular_values_jvp(t: Any, ans: Any, a: Any, hermitian: bool) -> Any:
    u, _, v = _svd_factors(a, hermitian)
    return sum(u * matmul(t, v), axis=-2)  # diag(Uᵀ dA V)


def _singular_values_vjp(g: Any, ans: Any, a: Any, hermitian: bool) -> Any:
    _check_singular_values_cotangent(ans, g)
    u, _, v = _svd_factors(a, hermitian)
    return matmul(u * _row(g), _matrix_transpose(v))  # U diag(ḡ) Vᵀ


singular_values_p = primitive(
    "singular_values",
    lambda a, hermitian: np.linalg.svd(a, compute_uv=False, hermitian=hermitian),
    jvp=(_singular_values_jvp,),
    vjp=(_singular_values_vjp,),
)
singular_values_p.batch = broadcasting(singular_values_p)


def _svd_full_impl(a: Any, hermitian: bool) -> np.ndarray:
    u, s, vh = np.linalg.svd(a, full_matrices=True, hermitian=hermitian)
    flat = [np.reshape(x, (*x.shape[:-2], -1)) for x in (u, vh)]
    return np.concatenate([flat[0], s, flat[1]], axis=-1)


def _refuse_full_matrices(*args: Any, **params: Any) -> Any:
    a = args[2]
    m, n = shape(a)[-2:]
    raise ValueError(
        f"svd: full_matrices=True of a non-square matrix (shape {tuple(shape(a))}) has no derivative: the last "
        f"{builtins.max(m, n) - builtins.min(m, n)} columns of {'U' if m > n else 'Vh (rows)'} are an arbitrary "
        "basis of a complement. Use full_matrices=False (or compute_uv=False for the singular values alone)"
    )


svd_full_packed_p = primitive(
    "svd_full_packed", _svd_full_impl, jvp=(_refuse_full_matrices,), vjp=(_refuse_full_matrices,)
)
svd_full_packed_p.batch = broadcasting(svd_full_packed_p)


@wraps_primitive(svd_packed_p)
def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """The singular value decomposition ``a = U @ diag(S) @ Vh``, as ``numpy.linalg.svd``.

    For a matrix or a stack of them (..., m, n), with k = min(m, n): S (..., k)
    in descending order; with ``full_matrices=False``, U (..., m, k) and Vh
    (..., k, n); ``compute_uv=False`` returns S alone. ``hermitian=True`` reads
    only the lower triangle, as NumPy does (through an eigendecomposition).
    The default is NumPy's ``full_matrices=True``: for a non-square matrix it
    computes (and batches) but raises ValueError when differentiated (the
    extra columns of U or rows of Vh are an arbitrary basis; use
    ``full_matrices=False``); for a square matrix it is the reduced SVD.

    Derivatives (both modes, any order). The singular values: dS = diag(Uᵀ dA V),
    so ∂s_i/∂A = u_i v_iᵀ. The vectors: terms 1/(s_j² - s_i²), and 1/s_j for a
    non-square matrix. Repeated singular values (like the identity's) make the
    vectors' derivative undefined: as in JAX, NaN appears in it where the
    function uses the vectors of the repeated values (even a function that
    is invariant there, like ``U @ diag(S) @ Vh``: its derivative at the tie
    is a 0/0 that the cotangent cannot resolve). The values' derivative
    stays finite there, and is exact for functions symmetric in the repeated
    values (sums, norms, `pinv`); reverse mode raises ValueError for a function
    that tells them apart (s[0] of the identity), as `eigh` does. A zero
    singular value of a non-square matrix makes its vector's derivative
    undefined the same way. Near-repeated values give large (correct)
    derivatives.

    Example:
        >>> svd(np.array([[3.0, 0.0], [0.0, -2.0]]), compute_uv=False)
        array([3., 2.])
    """
    a = as_array_arg(a)
    if not isinstance(a, Tracer):
        return np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)
    _float_input("svd", a)
    m, n = _matrix_shape("svd", a)[-2:]
    hermitian = bool(hermitian)
    if hermitian:
        _square_shape("svd", a)
        a = _from_triangle(a, "L")
    if not compute_uv:
        return a._trace.process(singular_values_p, (a,), {"hermitian": hermitian})
    if full_matrices and m != n:
        packed = a._trace.process(svd_full_packed_p, (a,), {"hermitian": hermitian})
        k = builtins.min(m, n)
        u = reshape(_slice_last(packed, None, m * m), (*shape(a)[:-2], m, m))
        s = _slice_last(packed, m * m, m * m + k)
        vh = reshape(_slice_last(packed, m * m + k, None), (*shape(a)[:-2], n, n))
        return SVD_RESULT(u, s, vh)
    u, s, v = _unpack_svd(a._trace.process(svd_packed_p, (a,), {"hermitian": hermitian}), m)
    return SVD_RESULT(u, s, _matrix_transpose(v))


def svdvals(x: Any, /) -> Any:
    """The singular values of a matrix (or a stack), descending: ``svd(x, compute_uv=False)``.

    Example:
        >>> svdvals(np.array([[0.0, 2.0], [1.0, 0.0]]))
        array([2., 1.])
    """
    return svd(x, compute_uv=False)


# -- pseudo-inverse and least squares ----------------------------------------------------------------


def _pinv_impl(a: Any, rcond: float, hermitian: bool) -> np.ndarray:
    return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def _pinv_jvp(t: Any, ans: Any, a: Any, rcond: float, hermitian: bool) -> Any:
    # dP = -P dA P + P Pᵀ dAᵀ (I - A P) + (I - P A) dAᵀ Pᵀ P  (Golub and Pereyra; rank locally constant)
    p, pt, tt = ans, _matrix_transpose(ans), _matrix_transpose(t)
    p_pt_tt = matmul(matmul(p, pt), tt)
    tt_pt_p = matmul(tt, matmul(pt, p))
    left = p_pt_tt - matmul(matmul(p_pt_tt, a), p)
    right = tt_pt_p - matmul(p, matmul(a, tt_pt_p))
    return -matmul(matmul(p, t), p) + left + right


def _pinv_vjp(g: Any, ans: Any, a: Any, rcond: float, hermitian: bool) -> Any:
    # Ā = -Pᵀ Ḡ Pᵀ + (I - A P) Ḡᵀ P Pᵀ + Pᵀ P Ḡᵀ (I - P A): the transpose of the JVP above
    p, pt, gt = ans, _matrix_transpose(ans), _matrix_transpose(g)
    gt_p_pt = matmul(gt, matmul(p, pt))
    pt_p_gt = matmul(matmul(pt, p), gt)
    left = gt_p_pt - matmul(a, matmul(p, gt_p_pt))
    right = pt_p_gt - matmul(matmul(pt_p_gt, p), a)
    return -matmul(matmul(pt, g), pt) + left + right


pinv_p = primitive("pinv", _pinv_impl, jvp=(_pinv_jvp,), vjp=(_pinv_vjp,))
pinv_p.batch = broadcasting(pinv_p)

_NO_VALUE = object()


def _scalar(name: str, what: str, value: Any) -> float:
    if np.ndim(value) != 0:
        raise ValueError(
            f"{name}: {what} must be one number for a traced matrix, got an array of shape {np.shape(value)}"
        )
    return float(value)


@wraps_primitive(pinv_p)
def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NO_VALUE) -> Any:
    """The Moore-Penrose pseudo-inverse, as ``numpy.linalg.pinv``: (..., m, n) -> (..., n, m).

    Singular values at or below ``rcond`` (or ``rtol``; NumPy's defaults) times
    the largest are treated as zero. ``hermitian=True`` reads only the lower
    triangle, as NumPy does. The derivative is Golub and Pereyra's closed form
    dP = -P dA P + P Pᵀ dAᵀ (I - AP) + (I - PA) dAᵀ Pᵀ P, exact where the rank
    does not change nearby (the cut singular values count as exact zeros; as
    in JAX and HIPS autograd). Across a change of rank the pseudo-inverse is
    discontinuous and has no derivative.

    Example:
        >>> pinv(np.array([[2.0, 0.0], [0.0, 0.0]]))
        array([[0.5, 0. ],
               [0. , 0. ]])
    """
    a = as_array_arg(a)
    if not isinstance(a, Tracer):
        if rtol is _NO_VALUE:
            return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)
        return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian, rtol=rtol)
    _float_input("pinv", a)
    m, n = _matrix_shape("pinv", a)[-2:]
    if rcond is None:
        if rtol is _NO_VALUE:
            rcond = 1e-15
        elif rtol is None:
            rcond = builtins.max(m, n) * float(np.finfo(dtype(a)).eps)
        else:
            rcond = rtol
    elif rtol is not _NO_VALUE:
        raise ValueError("pinv: rtol and rcond can't be both set")
    hermitian = bool(hermitian)
    if hermitian:
        _square_shape("pinv", a)
        a = _from_triangle(a, "L")
    return a._trace.process(pinv_p, (a,), {"rcond": _scalar("pinv", "rcond", rcond), "hermitian": hermitian})


def _matrix_rank_impl(a: Any, rtol: float, hermitian: bool) -> Any:
    return np.linalg.matrix_rank(a, hermitian=hermitian, rtol=rtol)


matrix_rank_p = primitive("matrix_rank", _matrix_rank_impl, differentiable=False)
matrix_rank_p.batch = broadcasting(matrix_rank_p)


@wraps_primitive(matrix_rank_p)
def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:  # noqa: N803
    """The number of singular values above the tolerance, as ``numpy.linalg.matrix_rank``: no derivative.

    Example:
        >>> int(matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])))
        1
    """
    A = as_array_arg(A)  # noqa: N806
    if not isinstance(A, Tracer):
        return np.linalg.matrix_rank(A, tol=tol, hermitian=hermitian, rtol=rtol)
    if tol is not None:  # an absolute tolerance: decided on the concrete values
        return np.linalg.matrix_rank(np.asarray(primal_value(A)), tol=tol, hermitian=hermitian)
    m, n = _matrix_shape("matrix_rank", A)[-2:]
    if rtol is None:
        rtol = builtins.max(m, n) * float(np.finfo(dtype(A) if dtype(A).kind == "f" else np.float64).eps)
    params = {"rtol": _scalar("matrix_rank", "rtol", rtol), "hermitian": bool(hermitian)}
    return A._trace.process(matrix_rank_p, (A,), params)


def _lstsq_impl(a: Any, b: Any, rcond: float) -> np.ndarray:
    """The least-squares solutions of a stack of problems (NumPy's lstsq solves one at a time)."""
    a, b = np.asarray(a), np.asarray(b)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, (*batch, *a.shape[-2:]))
    b = np.broadcast_to(b, (*batch, *b.shape[-2:]))
    out = np.empty((*batch, a.shape[-1], b.shape[-1]), dtype=np.result_type(a, b, np.float16))
    for index in np.ndindex(*batch):
        out[index] = np.linalg.lstsq(a[index], b[index], rcond=rcond)[0]
    return out


def _lstsq_jvp_a(t: Any, ans: Any, a: Any, b: Any, rcond: float) -> Any:
    # x = P b: dx = -P dA x + P Pᵀ dAᵀ (b - A x) + (I - P A) dAᵀ Pᵀ x
    p = _bind_pinv(a, rcond)
    tt = _matrix_transpose(t)
    residual = b - matmul(a, ans)
    tt_pt_x = matmul(tt, matmul(_matrix_transpose(p), ans))
    return (
        -matmul(p, matmul(t, ans))
        + matmul(p, matmul(_matrix_transpose(p), matmul(tt, residual)))
        + tt_pt_x
        - matmul(p, matmul(a, tt_pt_x))
    )


def _lstsq_vjp_a(g: Any, ans: Any, a: Any, b: Any, rcond: float) -> Any:
    # Ā = -Pᵀ ḡ xᵀ + r ḡᵀ P Pᵀ + Pᵀ x ḡᵀ (I - P A), r = b - A x
    p = _bind_pinv(a, rcond)
    pt = _matrix_transpose(p)
    residual = b - matmul(a, ans)
    x_gt = matmul(ans, _matrix_transpose(g))
    pt_x_gt = matmul(pt, x_gt)
    result = -matmul(matmul(pt, g), _matrix_transpose(ans)) + matmul(
        residual, matmul(_matrix_transpose(g), matmul(p, pt))
    )
    return unbroadcast(result + pt_x_gt - matmul(matmul(pt_x_gt, p), a), a)


def _lstsq_vjp_b(g: Any, ans: Any, a: Any, b: Any, rcond: float) -> Any:
    return unbroadcast(matmul(_matrix_transpose(_bind_pinv(a, rcond)), g), b)


lstsq_p = primitive(
    "lstsq",
    _lstsq_impl,
    jvp=(_lstsq_jvp_a, lambda t, ans, a, b, rcond: matmul(_bind_pinv(a, rcond), t)),
    vjp=(_lstsq_vjp_a, _lstsq_vjp_b),
)
lstsq_p.batch = broadcasting(lstsq_p)


def _bind_pinv(a: Any, rcond: float) -> Any:
    if isinstance(a, Tracer):
        return a._trace.process(pinv_p, (a,), {"rcond": rcond, "hermitian": False})
    return _pinv_impl(a, rcond, False)


@wraps_primitive(lstsq_p)
def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Any, Any, Any, Any]:
    """The least-squares solution of ``a @ x ≈ b``, as ``numpy.linalg.lstsq``: ``(x, residuals, rank, s)``.

    ``a`` is (m, n); ``b`` is (m,) or (m, k). ``x`` is the minimum-norm
    least-squares solution (``pinv(a, rcond) @ b``); ``residuals`` the squared
    2-norms of the columns of ``b - a @ x`` (shape (k,), or (1,) for a vector
    ``b``), empty unless m > n and ``a`` has full rank n; ``rank`` the number of
    singular values above ``rcond`` times the largest (default: eps · max(m, n));
    ``s`` the singular values. ``x``, ``residuals`` and ``s`` are differentiable
    in ``a`` and ``b``; ``rank`` is not (under a transformation it is a traced
    integer with a zero derivative). The derivative of ``x`` is that of
    `pinv`: exact where the rank does not change nearby.

    Example:
        >>> x, residuals, rank, s = lstsq(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), np.array([1.0, 2.0, 3.0]))
        >>> x, residuals, int(rank)
        (array([1., 2.]), array([9.]), 2)
    """
    a, b = as_array_arg(a), as_array_arg(b)
    if not has_tracer((a, b)):
        return np.linalg.lstsq(a, b, rcond=rcond)
    a_shape, b_shape = tuple(shape(a)), tuple(shape(b))
    if len(a_shape) != 2 or len(b_shape) not in (1, 2):
        raise ValueError(f"lstsq: a must be (m, n) and b (m,) or (m, k), got shapes {a_shape} and {b_shape}")
    m, n = a_shape
    if b_shape[0] != m:
        raise ValueError(
            f"lstsq: a of shape {a_shape} and b of shape {b_shape} do not match ({m} rows against {b_shape[0]})"
        )
    for name, value in (("a", a), ("b", b)):
        _float_input(f"lstsq ({name})", value)
    if rcond is None:
        kind = np.result_type(dtype(a), dtype(b), np.float16)
        rcond = float(np.finfo(kind if kind.kind == "f" else np.float64).eps) * builtins.max(m, n)
    rcond = _scalar("lstsq", "rcond", rcond)
    vector = len(b_shape) == 1
    columns = reshape(b, (m, 1)) if vector else b
    x = bind(lstsq_p, (a, columns), {"rcond": rcond})
    rank = matrix_rank(a, rtol=rcond) if isinstance(a, Tracer) else np.linalg.matrix_rank(a, rtol=rcond)
    s = svd(a, compute_uv=False)
    if m > n and is_abstract(rank):
        raise TypeError(
            "lstsq: the residuals' shape depends on the rank, which jit does not know while it compiles; "
            "inside jit use linalg.pinv(a) @ b or linalg.solve for the solution"
        )
    if m > n and np.all(np.asarray(primal_value(rank)) == n):
        residuals = sum((columns - matmul(a, x)) ** 2, axis=0)
    else:
        residuals = np.empty((0,), dtype=np.result_type(dtype(a), dtype(b), np.float16))
    if vector:
        x = reshape(x, (n,))
    return x, residuals, rank, s


# -- composed functions of NumPy 2's linalg namespace -------------------------------------------------


def cond(x: Any, p: Any = None) -> Any:
    """The condition number of a matrix, as ``numpy.linalg.cond``: ``norm(x, p) * norm(inv(x), p)``.

    ``p`` None, 2 or -2 use the singular values (s_max / s_min, or its inverse).

    Example:
        >>> float(cond(np.array([[2.0, 0.0], [0.0, 0.5]])))
        4.0
    """
    from .linalg import inv, norm

    x = as_array_arg(x)
    if not isinstance(x, Tracer):
        return np.linalg.cond(x, p)
    _matrix_shape("cond", x)
    if p is None or p == 2 or p == -2:
        s = svd(x, compute_uv=False)
        largest, smallest = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
        return smallest / largest if p == -2 else largest / smallest
    _square_shape("cond", x)
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
