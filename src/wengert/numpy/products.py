"""Products: matmul (``@``), dot, vdot, inner, outer.

``matmul`` is the one primitive here; the others are compositions of it with
reshapes, so their derivatives follow. One-dimensional operands are promoted
to matrices inside the rules exactly as NumPy promotes them, and broadcast
batch dimensions are summed away with `unbroadcast`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Tracer, bind
from ..core.staging import Abstract
from ..core.taylor import set_contract
from ._primitives import (
    EMPTY,
    as_array_arg,
    column_major_stack,
    empty_column_major_stack,
    primitive,
    shape,
    wraps_primitive,
)
from ._primitives import dtype as _dtype
from .blas import product_plus_bias
from .einsum import _einsum
from .elementwise import astype, product_taylor, square
from .shape import broadcast_like, broadcast_to, moveaxis, reshape, stack, swapaxes, unbroadcast


def _matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    a_ndim, b_ndim = len(shape(a)), len(shape(b))
    if a_ndim == 1 and b_ndim == 1:
        return g * b
    if b_ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(reshape(g, (*shape(g), 1)) * b, a)
    if a_ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(matmul(b, reshape(g, (*shape(g), 1)))[..., 0], a)
    if a_ndim == 2 and b_ndim == 2:
        return matmul_nt(g, b)
    return unbroadcast(matmul(g, swapaxes(b, -1, -2)), a)


def _matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    a_ndim, b_ndim = len(shape(a)), len(shape(b))
    if a_ndim == 1 and b_ndim == 1:
        return g * a
    if a_ndim == 1:  # (k,) @ (..., k, m): db = a ⊗ g
        return unbroadcast(reshape(a, (-1, 1)) * reshape(g, (*shape(g)[:-1], 1, shape(g)[-1])), b)
    if b_ndim == 1 and a_ndim == 2:  # (n, k) @ (k,): db = g @ a
        return matmul(g, a)
    if b_ndim == 1:  # (..., n, k) @ (k,): db = Σ a^T g
        return unbroadcast(matmul(reshape(g, (*shape(g)[:-1], 1, shape(g)[-1])), a)[..., 0, :], b)
    if a_ndim == 2 and b_ndim == 2:
        return matmul_tn(a, g)
    if b_ndim == 2:  # a stack of matrices times one matrix: one product over all their rows
        return matmul_tn(reshape(a, (-1, shape(a)[-1])), reshape(g, (-1, shape(g)[-1])))
    return unbroadcast(matmul(swapaxes(a, -1, -2), g), b)


def _matmul_impl(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b``; an inner dimension of 1 (a PINN's one input feature, a one-output layer's input
    gradient) is an outer product, several times cheaper as a broadcast multiply than through BLAS.
    With ``out``, the product is written into it (jit keeps large temporaries' memory between calls)."""
    both_arrays = type(a) is np.ndarray and type(b) is np.ndarray
    if both_arrays and a.ndim >= 2 and b.ndim == 2 and a.shape[-1] == b.shape[0] == 1:
        return a * b if out is None else np.multiply(a, b, out=out)
    if out is None and both_arrays and _keeps_columns(a, b):
        out = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b), order="F")
    return a @ b if out is None else np.matmul(a, b, out=out)


def _keeps_columns(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a @ b`` is written column-major because ``a`` is: a tall column-major matrix (an entry of
    `stacked_product`'s stacks, tanh's fused Taylor step's streams) keeps its order through the next layer,
    where the fused step reads it without a copy, and the product runs 15% faster (1,000 × 128 @ 128 × 128:
    0.46 ms against 0.55 into rows)."""
    return (
        a.ndim == 2
        and b.ndim == 2
        and a.flags.f_contiguous
        and not a.flags.c_contiguous
        and a.shape[0] >= COLUMN_MAJOR_MIN_INNER_ROWS
        and b.shape[1] >= COLUMN_MAJOR_MIN_COLUMNS
    )


# A product of a large matrix with a dual vector reads the matrix once for both the primal and
# the tangent: row blocks small enough to stay in cache are used twice before moving on. Below
# the threshold the matrix stays in cache anyway and two plain products are as fast.
_FUSE_MIN_ELEMENTS = 1 << 18
_FUSE_BLOCK_BYTES = 1 << 20


def _matvec_pair(matrix: np.ndarray, x: np.ndarray, x_dot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix @ x, matrix @ x_dot)`` for a C-contiguous matrix, reading it once."""
    rows, cols = matrix.shape
    step = max(8, _FUSE_BLOCK_BYTES // max(1, cols * matrix.itemsize))
    out = np.empty(rows, np.result_type(matrix, x))
    out_dot = np.empty(rows, np.result_type(matrix, x_dot))
    for start in range(0, rows, step):
        block = matrix[start : start + step]
        out[start : start + step] = block @ x
        out_dot[start : start + step] = block @ x_dot
    return out, out_dot


def _vecmat_pair(x: np.ndarray, x_dot: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x @ matrix, x_dot @ matrix)`` for a C-contiguous matrix, reading it once."""
    rows, cols = matrix.shape
    step = max(8, _FUSE_BLOCK_BYTES // max(1, cols * matrix.itemsize))
    out = x[:step] @ matrix[:step]
    out_dot = x_dot[:step] @ matrix[:step]
    for start in range(step, rows, step):
        block = matrix[start : start + step]
        out += x[start : start + step] @ block
        out_dot += x_dot[start : start + step] @ block
    return out, out_dot


def _matmul_fused(primals: list, tangents: list) -> tuple[np.ndarray, np.ndarray] | None:
    """Primal and tangent of a large constant matrix times a dual vector in one pass (else None)."""
    (a, b), (a_dot, b_dot) = primals, tangents
    if a_dot is None and type(a) is np.ndarray and a.ndim == 2 and type(b) is np.ndarray and b.ndim == 1:
        matrix, vector, vector_dot, matrix_first = a, b, b_dot, True
    elif b_dot is None and type(b) is np.ndarray and b.ndim == 2 and type(a) is np.ndarray and a.ndim == 1:
        matrix, vector, vector_dot, matrix_first = b, a, a_dot, False
    else:
        return None
    if (
        type(vector_dot) is not np.ndarray
        or vector_dot.shape != vector.shape
        or matrix.size < _FUSE_MIN_ELEMENTS
        or matrix.dtype.kind not in "fc"
    ):
        return None
    if matrix.flags.c_contiguous:
        if matrix_first:
            return _matvec_pair(matrix, vector, vector_dot)
        return _vecmat_pair(vector, vector_dot, matrix)
    if matrix.flags.f_contiguous:  # its transpose is C-contiguous: A·x = x·Aᵀ
        if matrix_first:
            return _vecmat_pair(vector, vector_dot, matrix.T)
        return _matvec_pair(matrix.T, vector, vector_dot)
    return None


matmul_p = primitive(
    "matmul",
    _matmul_impl,
    jvp=(lambda t, ans, a, b: matmul(t, b), lambda t, ans, a, b: matmul(a, t)),
    vjp=(_matmul_vjp_a, _matmul_vjp_b),
    deferrable=True,
    jvp_fused=lambda primals, tangents: _matmul_fused(primals, tangents),
)
matmul_p.fresh = True  # a new array: jit may write a later elementwise result into it once it dies


# The two transposed products of matrices, as primitives of their own (like JAX's dot_general):
# matmul's rules and theirs close over {a·b, a·bᵀ, aᵀ·b}, so a recorded backward pass holds one
# node per product instead of a transpose node and a product node.


def _matmul_nt_batch(values: list, batched: tuple) -> Any:
    a, b = values
    return matmul(a, swapaxes(b, -1, -2))


def _matmul_tn_batch(values: list, batched: tuple) -> Any:
    a, b = values
    return matmul(swapaxes(a, -1, -2), b)


def _matmul_nt_impl(a: Any, b: Any, out: Any = None) -> Any:
    return _matmul_impl(a, b.T, out)


def _matmul_tn_impl(a: Any, b: Any, out: Any = None) -> Any:
    return _matmul_impl(a.T, b, out)


matmul_nt_p = primitive(
    "matmul_nt",
    _matmul_nt_impl,
    jvp=(lambda t, ans, a, b: matmul_nt(t, b), lambda t, ans, a, b: matmul_nt(a, t)),
    vjp=(lambda g, ans, a, b: matmul(g, b), lambda g, ans, a, b: matmul_tn(g, a)),
    batch=_matmul_nt_batch,
    deferrable=True,
)
matmul_tn_p = primitive(
    "matmul_tn",
    _matmul_tn_impl,
    jvp=(lambda t, ans, a, b: matmul_tn(t, b), lambda t, ans, a, b: matmul_tn(a, t)),
    vjp=(lambda g, ans, a, b: matmul_nt(b, g), lambda g, ans, a, b: matmul(a, g)),
    batch=_matmul_tn_batch,
    deferrable=True,
)


matmul_nt_p.fresh = matmul_tn_p.fresh = True  # new arrays, like matmul's

# The implementations take out=: jit writes large temporaries into memory it keeps between calls.
matmul_p.takes_out = matmul_nt_p.takes_out = matmul_tn_p.takes_out = True
matmul_p.taylor = product_taylor(lambda a, b: matmul(a, b))  # Taylor mode: the Cauchy product of the series
# Second-order Taylor mode: a bilinear primitive's curvature is Σ c·(f(ȧ_i, ḃ_j) + f(ȧ_j, ḃ_i)), and none when
# only one argument moves (a network's weights are constants of the points' jets).
matmul_p.bilinear = matmul_nt_p.bilinear = matmul_tn_p.bilinear = True


def matmul_nt(a: Any, b: Any) -> Any:
    """``a @ b.T`` for matrices (a rule's building block, one primitive)."""
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return bind(matmul_nt_p, (a, b), EMPTY)
    return _matmul_nt_impl(a, b)


def matmul_tn(a: Any, b: Any) -> Any:
    """``a.T @ b`` for matrices (a rule's building block, one primitive)."""
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return bind(matmul_tn_p, (a, b), EMPTY)
    return _matmul_tn_impl(a, b)


matmul_nt.primitive = matmul_nt_p
matmul_tn.primitive = matmul_tn_p


# A matrix product and the bias added to it, as one equation of a compiled program: jit's
# `fuse_matmul_bias` pass writes it after differentiation, so it has no JVP, VJP or batch rule
# (``compile_only``); bound outside a compiled program it still computes the right value.

_PRODUCT_IMPLS = {"matmul": _matmul_impl, "matmul_nt": _matmul_nt_impl, "matmul_tn": _matmul_tn_impl}


def _matmul_add_impl(a: Any, b: Any, bias: Any, product: str, out: Any = None) -> Any:
    """The product named ``product`` ("matmul", "matmul_nt" or "matmul_tn") of ``a`` and ``b``, plus ``bias``.

    The bias is added into the product's own new array (or ``out``, jit's memory for it): the same
    additions as ``product + bias``, without a second array. NumPy refuses that, before writing
    anything, where the sum would widen the dtype (``casting="safe"``) or enlarge the shape
    (``out=``); such a sum gets an array of its own.
    """
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == b.ndim == 2:
        left = a.T if product == "matmul_tn" else a
        right = b.T if product == "matmul_nt" else b
        result = product_plus_bias(left, right, bias, out, out is None and _keeps_columns(left, right))
        if result is not None:
            return result
    result = _PRODUCT_IMPLS[product](a, b, out if _fits_product(out, a, b, product) else None)
    if type(result) is np.ndarray:
        try:
            return np.add(result, bias, out=result, casting="safe")
        except (TypeError, ValueError):
            pass
    return result + bias


def _fits_product(out: Any, a: Any, b: Any, product: str) -> bool:
    """Whether ``out`` can take the product itself (the bias may have widened the sum's shape or dtype)."""
    if out is None or type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim != 2 or b.ndim != 2:
        return False
    rows = a.shape[1] if product == "matmul_tn" else a.shape[0]
    columns = b.shape[0] if product == "matmul_nt" else b.shape[1]
    return out.shape == (rows, columns) and out.dtype == np.result_type(a, b)


matmul_add_p = primitive("matmul_add", _matmul_add_impl)
matmul_add_p.fresh = True  # the product's new array, holding the sum
matmul_add_p.takes_out = True  # into jit's memory, as matmul's
matmul_add_p.compile_only = True  # made by a jit pass after differentiation: no derivative or batch rules


# x @ W + b as one primitive (PyTorch's addmm): the bias is added into the product's fresh
# array, and a layer records one node instead of two.


def _linear_impl(x: Any, weight: Any, bias: Any, out: Any = None) -> Any:
    return _matmul_add_impl(x, weight, bias, "matmul", out)  # the same sum: its bias inside BLAS or in place


def _linear_batch(values: list, batched: tuple) -> Any:
    x, weight, bias = values
    if batched[2]:  # a bias per example lines up with the rows' axis
        bias = reshape(bias, (shape(bias)[0], 1, shape(bias)[-1]))
    return matmul(x, weight) + bias


linear_p = primitive(
    "linear",
    _linear_impl,
    jvp=(
        lambda t, ans, x, w, b: matmul(t, w),
        lambda t, ans, x, w, b: matmul(x, t),
        lambda t, ans, x, w, b: broadcast_like(t, ans),
    ),
    vjp=(
        lambda g, ans, x, w, b: matmul_nt(g, w),
        lambda g, ans, x, w, b: matmul_tn(x, g),
        lambda g, ans, x, w, b: unbroadcast(g, b),
    ),
    batch=_linear_batch,
)
linear_p.multiaffine = True  # x @ w + b: affine in each argument, so no curvature when only one moves
linear_p.fresh = True  # the product's new array, holding the sum
linear_p.takes_out = True  # its implementation takes out=, as matmul's


def linear(x: Any, weight: Any, bias: Any) -> Any:
    """``x @ weight + bias`` for a (batch, in) matrix, an (in, out) weight and an (out,) bias.

    Example:
        >>> linear(np.ones((2, 3)), np.ones((3, 4)), np.arange(4.0))
        array([[3., 4., 5., 6.],
               [3., 4., 5., 6.]])
    """
    if len(shape(x)) != 2 or len(shape(weight)) != 2 or len(shape(bias)) != 1:
        return matmul(x, weight) + bias
    if isinstance(x, Tracer) or isinstance(weight, Tracer) or isinstance(bias, Tracer):
        if shape(x)[1] != shape(weight)[0] or shape(weight)[1] != shape(bias)[0]:
            raise ValueError(
                f"linear: shapes {tuple(shape(x))} @ {tuple(shape(weight))} + {tuple(shape(bias))} do not fit"
            )
        return bind(linear_p, (x, weight, bias), EMPTY)
    return _linear_impl(x, weight, bias)


linear.primitive = linear_p


# -- shapes for jit: a product's output follows from its operands' shapes ------------------------
# (Without these, staging would run each product on stand-ins of the operands' full size.)


def _product_shape(a: tuple, b: tuple, name: str) -> tuple:
    """``np.matmul``'s output shape for operands of shapes ``a`` and ``b``; a ValueError where they do not fit."""
    if not a or not b:
        raise ValueError(f"{name}: operands must have at least one dimension, got shapes {a} and {b}")
    left = a if len(a) >= 2 else (1, *a)
    right = b if len(b) >= 2 else (*b, 1)
    if left[-1] != right[-2]:
        raise ValueError(f"{name}: shapes {a} and {b} do not fit (inner dimensions {left[-1]} != {right[-2]})")
    rows = (left[-2],) if len(a) >= 2 else ()  # a vector operand's axis is dropped from the result
    columns = (right[-1],) if len(b) >= 2 else ()
    return (*np.broadcast_shapes(left[:-2], right[:-2]), *rows, *columns)


def _products_abstract(transpose_a: bool, transpose_b: bool, bias: bool = False) -> Callable[..., Any]:
    def rule(*avals: Any, **params: Any) -> Any:
        a, b = (_abstract_shape(aval) for aval in avals[:2])
        a = (*a[:-2], a[-1], a[-2]) if transpose_a else a
        b = (*b[:-2], b[-1], b[-2]) if transpose_b else b
        shape_out = _product_shape(a, b, "matmul")
        dtype = np.result_type(*(_abstract_dtype(aval) for aval in avals))
        if bias:
            shape_out = np.broadcast_shapes(shape_out, _abstract_shape(avals[2]))
        return Abstract(shape_out, dtype)

    return rule


def _abstract_shape(value: Any) -> tuple:
    return tuple(value.shape) if isinstance(value, Abstract) else tuple(np.shape(value))


def _abstract_dtype(value: Any) -> Any:
    return value.dtype if isinstance(value, Abstract) else np.result_type(value)


matmul_p.shape_rule = _products_abstract(False, False)
matmul_nt_p.shape_rule = _products_abstract(False, True)
matmul_tn_p.shape_rule = _products_abstract(True, False)
linear_p.shape_rule = _products_abstract(False, False, bias=True)


@wraps_primitive(matmul_p)
def matmul(a: Any, b: Any) -> Any:
    """Matrix product with NumPy's rules for 1-D operands and batch broadcasting.

    Example:
        >>> matmul(np.eye(2), np.array([1.0, 2.0]))
        array([1., 2.])
    """
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        a, b = as_array_arg(a), as_array_arg(b)
        a_shape, b_shape = shape(a), shape(b)
        if not a_shape or not b_shape:
            raise ValueError("matmul: input operand does not have enough dimensions (use * for scalars)")
        inner_a = a_shape[-1]
        inner_b = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
        if inner_a != inner_b:
            raise ValueError(
                f"matmul: shapes {tuple(a_shape)} and {tuple(b_shape)} are not aligned ({inner_a} != {inner_b})"
            )
        return bind(matmul_p, (a, b), EMPTY)
    return np.matmul(a, b)


def dot(a: Any, b: Any) -> Any:
    """``numpy.dot``: products of scalars, vectors and matrices (N-D: last axis of a, 2nd-last of b)."""
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.dot(a, b)
    a_shape, b_shape = shape(a), shape(b)
    if not a_shape or not b_shape:
        return a * b
    if len(b_shape) <= 2:
        return matmul(a, b)
    from .einsum import tensordot

    return tensordot(a, b, axes=([-1], [-2]))


def vdot(a: Any, b: Any) -> Any:
    """Dot product of the flattened arrays."""
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.vdot(a, b)
    return matmul(reshape(a, (-1,)), reshape(b, (-1,)))


def inner(a: Any, b: Any) -> Any:
    """Sum of products over the last axes of ``a`` and ``b``."""
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.inner(a, b)
    if not shape(a) or not shape(b):
        return a * b
    if len(shape(b)) == 1:
        return matmul(a, b)
    from .einsum import tensordot

    return tensordot(a, b, axes=([-1], [-1]))


def outer(a: Any, b: Any) -> Any:
    """Outer product of the flattened vectors ``a`` and ``b``."""
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.outer(a, b)
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def _vector_axis(x: Any, axis: Any, name: str) -> Any:
    """``x`` with its vector axis ``axis`` moved last (NumPy's error for an axis out of range)."""
    ndim = len(shape(x))
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim, msg_prefix=name)
    return moveaxis(x, axis, -1) if axis % ndim != ndim - 1 else x


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """The cross product of (arrays of) 3-vectors, as ``numpy.cross``; bilinear, so differentiable in both.

    The vectors lie along ``axisa`` of ``a`` and ``axisb`` of ``b`` (``axis``
    sets all three), the other axes broadcast, and the result's vectors lie along
    ``axisc``. Vectors of 2 components count as 3 with a zero third component;
    two of them give only the third component (a scalar per pair), as in NumPy,
    which deprecates 2-vectors (and so warns, like NumPy).

    Example:
        >>> cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
        array([0., 0., 1.])
    """
    a, b = as_array_arg(a), as_array_arg(b)
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    if not len(shape(a)) or not len(shape(b)):
        raise ValueError("At least one array has zero dimension")
    a = _vector_axis(a, axisa, "axisa")
    b = _vector_axis(b, axisb, "axisb")
    size_a, size_b = shape(a)[-1], shape(b)[-1]
    if size_a not in (2, 3) or size_b not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if size_a == 2 or size_b == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors instead. "
            "(deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
    kind = np.promote_types(_dtype(a), _dtype(b))
    a = a if _dtype(a) == kind else astype(a, kind)
    b = b if _dtype(b) == kind else astype(b, kind)
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    # NumPy's products, in NumPy's order (so the values round as NumPy's do).
    third = a0 * b1 - a1 * b0
    if size_a == 2 and size_b == 2:
        return third
    if size_a == 2:
        b2 = b[..., 2]
        first, second = a1 * b2, -(a0 * b2)
    elif size_b == 2:
        a2 = a[..., 2]
        first, second = -(a2 * b1), a2 * b0
    else:
        a2, b2 = a[..., 2], b[..., 2]
        first, second = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    common = np.broadcast_shapes(shape(first), shape(second), shape(third))
    components = [broadcast_to(c, common) if tuple(shape(c)) != common else c for c in (first, second, third)]
    result = stack(components, axis=-1)
    ndim = len(shape(result))
    axisc = int(axisc)
    if not -ndim <= axisc < ndim:
        raise np.exceptions.AxisError(axisc, ndim, msg_prefix="axisc")
    return moveaxis(result, -1, axisc) if axisc % ndim != ndim - 1 else result


def kron(a: Any, b: Any) -> Any:
    """The Kronecker product: blocks ``a[i, j]·b``, as ``numpy.kron``; bilinear, so differentiable in both.

    Example:
        >>> kron(np.array([1.0, 2.0]), np.array([1.0, 10.0]))
        array([ 1., 10.,  2., 20.])
    """
    a, b = as_array_arg(a), as_array_arg(b)
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.kron(a, b)
    a_shape, b_shape = tuple(shape(a)), tuple(shape(b))
    if len(a_shape) < len(b_shape):  # NumPy gives a at least b's dimensions
        a_shape = (1,) * (len(b_shape) - len(a_shape)) + a_shape
        a = reshape(a, a_shape)
    if not a_shape or not b_shape:
        return a * b
    rank = max(len(a_shape), len(b_shape))
    a_shape = (1,) * (rank - len(a_shape)) + a_shape
    b_shape = (1,) * (rank - len(b_shape)) + b_shape
    # Interleave: a's axes at even positions, b's at odd ones; the product of sizes merges each pair.
    a_spread = reshape(a, tuple(size for s in a_shape for size in (s, 1)))
    b_spread = reshape(b, tuple(size for s in b_shape for size in (1, s)))
    return reshape(a_spread * b_spread, tuple(sa * sb for sa, sb in zip(a_shape, b_shape)))


__all__ = ["cross", "dot", "inner", "kron", "matmul", "outer", "vdot"]


def _contract(weights: tuple[tuple[float, ...], ...], values: Any, squared: bool = False) -> Any:
    """Σ_n weights[k][n]·values[n] (or values[n]²) for each k: second-order Taylor mode's sums over its terms,
    one product of the (S, T) weights with the values flattened to (T, rest), in the values' precision.

    A plain sum of squares (a collapsed operator's one stream, e.g. the Laplacian's Σ_i ẋ_i²) is one
    einsum that reads each value once, with no array of squares in between (2-2.5x faster). A weighted
    one stays a square and a product: differentiated in reverse, einsum's rules cost more than those."""
    rest = tuple(shape(values))[1:]
    kind, matrix = _weight_matrix(weights, np.dtype(_dtype(values)))
    if squared and kind == "sum":  # labelled axis by axis: a column-major stack is read as it lies, not copied
        labels = "abcdefghijklmnopqrsuvwxyz"[: len(rest)]
        return reshape(_einsum((values, values), ("t" + labels, "t" + labels), labels), (1, *rest))
    if squared:
        values = square(values)
    if kind == "ones":  # each stream reads its own entry
        return values
    if kind == "scales":
        return values * reshape(matrix, (-1,) + (1,) * len(rest))
    flat = reshape(values, (matrix.shape[1], -1))
    return reshape(matmul(matrix, flat), (matrix.shape[0], *rest))


# OpenBLAS's AVX-512 (SkylakeX) kernels write a tall product 15-35% faster into a column-major
# array than into a row-major one (measured: (32000, 128) @ (128, 128) 14.5 ms against 21-24 ms);
# on its AVX2 kernels the two take the same time. A stack of directions times a shared matrix
# (vmap's and Taylor mode's products) is tall, so it is written column-major: each point's
# features lie apart and each feature's points together, and the stack's directions stay views.
COLUMN_MAJOR_MIN_ROWS = 4096
COLUMN_MAJOR_MIN_COLUMNS = 64
COLUMN_MAJOR_MIN_INNER_ROWS = 256  # a column-major operand of this many rows keeps its order (`_keeps_columns`)


def stacked_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a stack ``a`` (k, m, n) of matrices times one matrix ``b`` (n, p), as one product.

    A tall one (k·m rows, p columns, both large) is written column-major within the stack, as is one
    whose stack ``a`` is column-major already.

    Example:
        >>> a, b = np.ones((2, 3, 4)), np.ones((4, 5))
        >>> stacked_product(a, b).shape
        (2, 3, 5)
    """
    k, m, n = a.shape
    rows, columns = k * m, b.shape[-1]
    kept = column_major_stack(a) and rows >= COLUMN_MAJOR_MIN_INNER_ROWS  # as `_keeps_columns`
    if (rows < COLUMN_MAJOR_MIN_ROWS and not kept) or columns < COLUMN_MAJOR_MIN_COLUMNS:
        return (a.reshape(rows, n) @ b).reshape(k, m, columns)
    out = empty_column_major_stack(k, m, columns, np.result_type(a, b))
    # out's reshape is a view; a's copies only a stack whose directions are not rows apart
    np.matmul(a.reshape(rows, n), b, out=out.reshape(rows, columns))
    return out


def _scale(factor: Any, stack: Any) -> Any:
    """``factor * stack``: a per-point factor (m, p) times every direction of a stack (k, m, p).

    A column-major stack (`stacked_product`'s) meets a row-major factor at a copy of the factor
    in the stack's order: one point's worth of memory, where a product across the two orders
    reads one of them with a stride (4.5x slower on a (32, 1000, 128) stack)."""
    if (
        type(factor) is np.ndarray
        and type(stack) is np.ndarray
        and factor.ndim == 2
        and factor.shape == stack.shape[1:]
        and column_major_stack(stack)
        and factor.flags.c_contiguous
    ):
        factor = np.asfortranarray(factor)
    return factor * stack


@functools.lru_cache(maxsize=256)
def _weight_matrix(weights: tuple[tuple[float, ...], ...], dtype: np.dtype) -> tuple[str, np.ndarray]:
    """The weights as an array, and whether they are the identity ("ones"), a diagonal ("scales": its
    entries), one row of ones ("sum") or a general matrix; made once per trace's weights and precision."""
    matrix = np.asarray(weights, dtype=dtype)
    if matrix.shape[0] == matrix.shape[1] and np.array_equal(matrix, np.diag(np.diag(matrix))):
        scales = np.diag(matrix).copy()
        return ("ones" if np.all(scales == 1.0) else "scales"), scales
    return ("sum" if matrix.shape[0] == 1 and np.all(matrix == 1.0) else "matrix"), matrix


set_contract(_contract, _scale)
