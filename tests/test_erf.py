"""wnp.erf and wnp.erfc: values, derivatives to higher order, the path without SciPy, and the exact GELU."""

import math

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
import wengert.numpy.special as special
from wengert.testing import check_grads

POINTS = np.array([-3.0, -1.2, -0.3, 0.0, 0.4, 1.0, 2.5, 6.0])


@pytest.fixture(params=["scipy", "math"])
def backend(request, monkeypatch):
    """Run a test with SciPy's ufuncs and again with the math-module fallback (SciPy absent)."""
    if request.param == "scipy":
        pytest.importorskip("scipy.special")
    else:
        monkeypatch.setattr(special, "_scipy_special", False)
    return request.param


def test_known_values(backend):
    assert float(wnp.erf(np.array(1.0))) == pytest.approx(0.8427007929497149, rel=1e-15)
    assert float(wnp.erf(np.array(-0.5))) == pytest.approx(-0.5204998778130465, rel=1e-15)
    # erfc keeps its relative accuracy where 1 − erf would round to 0
    assert float(wnp.erfc(np.array(10.0))) == pytest.approx(2.088487583762545e-45, rel=1e-13)
    np.testing.assert_allclose(wnp.erf(POINTS), [math.erf(v) for v in POINTS], rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(wnp.erfc(POINTS), [math.erfc(v) for v in POINTS], rtol=1e-14, atol=1e-300)
    assert wnp.erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(wnp.erf(np.array([np.nan])))[0]


def test_dtypes(backend):
    assert wnp.erf(POINTS.astype(np.float32)).dtype == np.float32
    assert wnp.erfc(POINTS.astype(np.float32)).dtype == np.float32
    assert wnp.erf(np.arange(3)).dtype == np.float64
    assert type(wnp.erf(0.5)) is float


def test_complex_input_without_scipy_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(special, "_scipy_special", False)
    with pytest.raises(TypeError, match="needs SciPy"):
        wnp.erf(np.array([1.0 + 1.0j]))


def test_derivatives_are_the_gaussian_and_its_derivatives(backend):
    x = 0.7
    gaussian = 2.0 / math.sqrt(math.pi) * math.exp(-x * x)
    assert wg.grad(wnp.erf)(x) == pytest.approx(gaussian, rel=1e-14)
    assert wg.grad(wg.grad(wnp.erf))(x) == pytest.approx(-2.0 * x * gaussian, rel=1e-13)
    assert wg.grad(wg.grad(wg.grad(wnp.erf)))(x) == pytest.approx((4.0 * x * x - 2.0) * gaussian, rel=1e-12)
    assert wg.grad(wnp.erfc)(x) == pytest.approx(-gaussian, rel=1e-14)
    check_grads(lambda v: wnp.sum(wnp.erf(v) * wnp.erfc(0.5 * v)), (POINTS[1:-1],), order=2)


def test_tensor_backward_and_vmap():
    t = wg.tensor(POINTS[:4], requires_grad=True)
    wnp.erf(t).sum().backward()
    np.testing.assert_allclose(t.grad, 2.0 / np.sqrt(np.pi) * np.exp(-(POINTS[:4] ** 2)), rtol=1e-14)
    per_row = wg.vmap(wg.grad(lambda v: wnp.sum(wnp.erfc(v))))(POINTS.reshape(2, 4))
    np.testing.assert_allclose(per_row, -2.0 / np.sqrt(np.pi) * np.exp(-(POINTS.reshape(2, 4) ** 2)), rtol=1e-14)


def test_gelu_is_exact_by_default_as_in_pytorch(backend):
    x = np.linspace(-5.0, 5.0, 41)
    exact = 0.5 * x * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in x]))
    np.testing.assert_allclose(nn.GELU()(x), exact, rtol=1e-14, atol=1e-300)
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert float(nn.gelu(1.0)) == pytest.approx(0.8413447460685429, rel=1e-15)
    # GELU'(x) = Φ(x) + x·φ(x)
    cdf, density = 0.5 * (1 + math.erf(0.8 / math.sqrt(2))), math.exp(-0.32) / math.sqrt(2 * math.pi)
    assert wg.grad(nn.gelu)(0.8) == pytest.approx(cdf + 0.8 * density, rel=1e-14)
