"""Taylor mode (`wg.jet`): closed forms, JAX's jet, and composition with grad, vmap, jit and itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

RNG = np.random.default_rng(15)


def test_the_derivatives_of_exp_sin_and_tanh_along_a_line():
    # x(t) = x0 + t: the series are f', f'', f''' ... at x0.
    _, series = wg.jet(wnp.exp, (0.3,), ((1.0, 0.0, 0.0, 0.0),))
    np.testing.assert_allclose(series, [math.exp(0.3)] * 4, rtol=1e-14)
    _, series = wg.jet(wnp.sin, (0.5,), ((1.0, 0.0, 0.0, 0.0),))
    np.testing.assert_allclose(series, [math.cos(0.5), -math.sin(0.5), -math.cos(0.5), math.sin(0.5)], rtol=1e-14)
    y = math.tanh(0.4)
    d1 = 1 - y * y
    expected = [d1, -2 * y * d1, (6 * y * y - 2) * d1, (16 * y - 24 * y**3) * d1]
    _, series = wg.jet(wnp.tanh, (0.4,), ((1.0, 0.0, 0.0, 0.0),))
    np.testing.assert_allclose(series, expected, rtol=1e-13)


def test_a_composite_with_a_curved_input_path_by_faa_di_bruno():
    # y = sin(cos(x)) on x(t) = x0 + a t + b t^2/2: y'' = f''(x0) a^2 + f'(x0) b.
    x0, a, b = 0.7, 1.3, -0.4
    inner, outer = math.cos(x0), math.sin(math.cos(x0))
    f1 = -math.cos(inner) * math.sin(x0)
    f2 = -outer * math.sin(x0) ** 2 - math.cos(inner) * math.cos(x0)
    _, (first, second) = wg.jet(lambda x: wnp.sin(wnp.cos(x)), (x0,), ((a, b),))
    assert first == pytest.approx(f1 * a, rel=1e-14)
    assert second == pytest.approx(f2 * a * a + f1 * b, rel=1e-13)


def test_against_jax_jet_with_every_input_series_term_nonzero():
    jax = pytest.importorskip("jax")
    from jax.experimental.jet import jet as jax_jet

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    w1, w2 = RNG.standard_normal((3, 8)), RNG.standard_normal((8, 2))
    x = RNG.standard_normal((4, 3))
    series = tuple(RNG.standard_normal((4, 3)) for _ in range(4))

    def ours(p):
        h = wnp.tanh(p @ w1)
        return wnp.log(1.0 + (h @ w2) ** 2) / (2.0 + wnp.sin(p[:, :2])) + wnp.exp(-(p[:, 1:] ** 2))

    def theirs(p):
        h = jnp.tanh(p @ w1)
        return jnp.log(1.0 + (h @ w2) ** 2) / (2.0 + jnp.sin(p[:, :2])) + jnp.exp(-(p[:, 1:] ** 2))

    value, terms = wg.jet(ours, (x,), (series,))
    expected_value, expected_terms = jax_jet(theirs, (x,), (series,))
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    for got, want in zip(terms, expected_terms):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_second_order_taylor_gives_the_laplacian_summed_over_directions():
    w = RNG.standard_normal((4, 6))

    def u(p):
        return wnp.sum(wnp.tanh(p @ w), axis=-1)

    x = RNG.standard_normal((5, 4))
    laplacian = sum(
        wg.jet(u, (x,), ((np.tile(e, (5, 1)), np.zeros((5, 4))),))[1][1] for e in np.eye(4)
    )  # each direction's second coefficient is e·H·e
    expected = np.array([np.trace(wg.hessian(u)(row)) for row in x])
    np.testing.assert_allclose(laplacian, expected, rtol=1e-12)


def test_jet_composes_with_grad_vmap_jit_and_itself():
    w = RNG.standard_normal((3, 5))
    x, v = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))

    def curvature(weights):
        _, (_, second) = wg.jet(lambda p: wnp.tanh(p @ weights), (x,), ((v, np.zeros_like(v)),))
        return wnp.sum(second**2)

    gradient = wg.grad(curvature)(w)
    step = np.zeros_like(w)
    step[1, 2] = 1e-6
    assert gradient[1, 2] == pytest.approx((curvature(w + step) - curvature(w - step)) / 2e-6, rel=1e-6)
    batched = wg.vmap(lambda p: wg.jet(wnp.sin, (p,), ((1.0, 0.0),))[1][1])(np.array([0.1, 0.2]))
    np.testing.assert_allclose(batched, -np.sin([0.1, 0.2]), rtol=1e-15)
    assert wg.jit(lambda p: wg.jet(wnp.exp, (p,), ((1.0, 1.0),))[1][1])(0.0) == pytest.approx(2.0, rel=1e-15)
    # A jet of a jet: the derivative of f'(x) along a line is f''(x).
    outer = wg.jet(lambda p: wg.jet(wnp.sin, (p,), ((1.0,),))[1][0], (0.3,), ((1.0,),))[1][0]
    assert outer == pytest.approx(-math.sin(0.3), rel=1e-15)


def test_series_take_their_primals_precision_and_bad_calls_are_refused():
    value, (first,) = wg.jet(wnp.exp, (np.float32(0.5),), ((1.0,),))
    assert np.asarray(first).dtype == np.float32
    with pytest.raises(ValueError, match="every series must hold the same positive number of terms"):
        wg.jet(wnp.add, (1.0, 2.0), ((1.0,), (1.0, 0.0)))
    with pytest.raises(ValueError, match="2 primals but 1 series"):
        wg.jet(wnp.add, (1.0, 2.0), ((1.0,),))
    with pytest.raises(TypeError, match="as tuples"):
        wg.jet(wnp.exp, 1.0, (1.0,))


def test_collapsed_taylor_mode_sums_the_second_order_terms_of_all_directions_in_one_pass():
    from wengert.core.taylor import NoCollapsedRule, collapsed_jet

    w1, b1, w2 = RNG.standard_normal((5, 9)), RNG.standard_normal(9), RNG.standard_normal((9, 1))

    def u(p):
        h = wnp.tanh(p @ w1 + b1)
        return (wnp.exp(-(h * h)) * h @ w2)[..., 0]

    x = RNG.standard_normal((7, 5))
    directions = RNG.standard_normal((3, 5))
    stacked = np.broadcast_to(directions[:, None, :], (3, 7, 5))
    value, slopes, curvature = collapsed_jet(u, x, stacked)
    per_direction = [wg.jet(u, (x,), ((np.broadcast_to(v, x.shape), None),))[1] for v in directions]
    np.testing.assert_allclose(value, u(x), rtol=1e-14)
    np.testing.assert_allclose(slopes, [first for first, _ in per_direction], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(curvature, sum(second for _, second in per_direction), rtol=1e-11, atol=1e-13)
    # A primitive without a collapsed rule says so (the operators then take one jet per direction).
    with pytest.raises(NoCollapsedRule, match="'tan' has no collapsed second-order rule"):
        collapsed_jet(lambda p: wnp.sum(wnp.tan(p)), x[0], np.eye(5))
    small = x * 0.3
    lap = wg.laplacian(lambda p: wnp.sum(wnp.tan(p), axis=-1))(small)  # one jet per direction instead
    np.testing.assert_allclose(lap, np.sum(2 * np.tan(small) / np.cos(small) ** 2, axis=-1), rtol=1e-12)


@pytest.mark.parametrize(
    "name",
    ["tanh", "exp", "sin", "cos", "square", "log", "log1p", "expm1", "sqrt", "sinh", "cosh", "arctan"]
    + ["reciprocal", "sigmoid", "softplus"],
)
def test_every_collapsed_second_derivative_agrees_with_per_direction_jets(name):
    from wengert.core.taylor import collapsed_jet

    function = getattr(wnp, name)
    w = RNG.standard_normal((4, 6)) * 0.3

    def u(p):
        return wnp.sum(function(p @ w + 1.5), axis=-1)  # inputs near 1.5: inside every domain

    x = RNG.standard_normal((5, 4)) * 0.3
    directions = RNG.standard_normal((3, 4))
    _, _, curvature = collapsed_jet(u, x, np.broadcast_to(directions[:, None, :], (3, 5, 4)))
    expected = sum(wg.jet(u, (x,), ((np.broadcast_to(v, x.shape), None),))[1][1] for v in directions)
    np.testing.assert_allclose(curvature, expected, rtol=1e-11, atol=1e-12)
