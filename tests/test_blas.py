"""The bias added inside BLAS's product (`wengert.numpy.blas`): the same values as ``a @ b + bias``
in every memory order, and None where it does not apply."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy import blas
from wengert.numpy.products import _linear_impl, _matmul_add_impl, linear

pytest.importorskip("scipy")

RNG = np.random.default_rng(7)


def _matrix(rows: int, columns: int, order: str, dtype: type = np.float64) -> np.ndarray:
    return np.asarray(RNG.standard_normal((rows, columns)), dtype=dtype, order=order)


@pytest.mark.parametrize("a_order", "CF")
@pytest.mark.parametrize("b_order", "CF")
@pytest.mark.parametrize("out_order", ["C", "F", None])
@pytest.mark.parametrize("bias_shape", [(64,), (1, 64), (300, 1), (300, 64)])
def test_product_plus_bias_equals_product_then_sum(a_order: str, b_order: str, out_order: str, bias_shape: tuple):
    a, b = _matrix(300, 40, a_order), _matrix(40, 64, b_order)
    bias = RNG.standard_normal(bias_shape)
    out = None if out_order is None else np.full((300, 64), np.nan, order=out_order)
    result = blas.product_plus_bias(a, b, bias, out)
    assert result is not None
    if out is not None:
        assert result is out
    else:  # a new array: row-major unless column-major is asked for
        assert result.flags.c_contiguous
    np.testing.assert_allclose(result, a @ b + bias, rtol=1e-13, atol=1e-13)


def test_product_plus_bias_float32_and_new_column_major():
    a, b = _matrix(500, 33, "F", np.float32), _matrix(33, 40, "C", np.float32)
    bias = RNG.standard_normal(40).astype(np.float32)
    result = blas.product_plus_bias(a, b, bias, column_major=True)
    assert result.dtype == np.float32 and result.flags.f_contiguous
    np.testing.assert_allclose(result, a @ b + bias, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "case",
    [
        "small",
        "inner one",
        "mixed dtypes",
        "complex",
        "bias too wide",
        "strided operand",
        "strided out",
        "out of another shape",
        "integer",
    ],
)
def test_product_plus_bias_declines(case: str):
    a, b, bias, out = _matrix(300, 40, "C"), _matrix(40, 64, "C"), RNG.standard_normal(64), None
    if case == "small":
        a = _matrix(20, 40, "C")
    elif case == "inner one":
        a, b = _matrix(300, 1, "C"), _matrix(1, 64, "C")
    elif case == "mixed dtypes":
        b = b.astype(np.float32)
    elif case == "complex":
        a, b, bias = a + 1j, b + 0j, bias + 0j
    elif case == "bias too wide":
        bias = RNG.standard_normal((2, 300, 64))
    elif case == "strided operand":
        a = _matrix(300, 80, "C")[:, ::2]
    elif case == "strided out":
        out = np.empty((300, 128))[:, ::2]
    elif case == "out of another shape":
        out = np.empty((300, 65))
    elif case == "integer":
        a, b, bias = np.ones((300, 40), int), np.ones((40, 64), int), np.ones(64, int)
    assert blas.product_plus_bias(a, b, bias, out) is None


def test_without_scipy_the_two_passes_run(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(blas._state, "blas", None)
    a, b, bias = _matrix(300, 40, "F"), _matrix(40, 64, "C"), RNG.standard_normal(64)
    assert blas.product_plus_bias(a, b, bias) is None
    np.testing.assert_allclose(_linear_impl(a, b, bias), a @ b + bias, rtol=1e-13)


@pytest.mark.parametrize("product", ["matmul", "matmul_nt", "matmul_tn"])
@pytest.mark.parametrize("out_order", ["C", "F", None])
def test_matmul_add_through_blas(product: str, out_order: str):
    a = _matrix(40, 300, "C") if product == "matmul_tn" else _matrix(300, 40, "F")
    b = _matrix(64, 40, "C") if product == "matmul_nt" else _matrix(40, 64, "C")
    bias = RNG.standard_normal(64)
    left = a.T if product == "matmul_tn" else a
    right = b.T if product == "matmul_nt" else b
    out = None if out_order is None else np.empty((300, 64), order=out_order)
    result = _matmul_add_impl(a, b, bias, product, out)
    if out is not None:
        assert result is out
    np.testing.assert_allclose(result, left @ right + bias, rtol=1e-13, atol=1e-13)


def test_linear_layer_gradients_through_blas_match_finite_differences():
    x, w, b = _matrix(200, 90, "C"), _matrix(90, 100, "C"), RNG.standard_normal(100)

    def loss(w, b):
        return wnp.sum(wnp.tanh(linear(x, w, b)) ** 2)

    grad_w, grad_b = wg.grad(loss, argnums=(0, 1))(w, b)
    direction_w, direction_b = RNG.standard_normal(w.shape), RNG.standard_normal(b.shape)
    step = 1e-6
    numeric = (
        loss(w + step * direction_w, b + step * direction_b) - loss(w - step * direction_w, b - step * direction_b)
    ) / (2 * step)
    analytic = np.sum(grad_w * direction_w) + np.sum(grad_b * direction_b)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)
