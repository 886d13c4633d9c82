"""`wg.laplacian` and `wg.differential_operator` by Taylor mode, exact and stochastic, against Hessians."""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

RNG = np.random.default_rng(64)


def _network(dimension: int):
    w1, w2, w3 = RNG.standard_normal((dimension, 12)), RNG.standard_normal((12, 12)), RNG.standard_normal(12)
    return lambda p: wnp.tanh(wnp.tanh(p @ w1) @ w2) @ w3


def _trace_of_hessian(f, points):
    return np.array([np.trace(np.atleast_2d(wg.hessian(f)(point))) for point in points])


@pytest.mark.parametrize("dimension", [1, 2, 8, 64])
def test_the_laplacian_of_a_network_on_many_points_is_the_trace_of_its_hessian(dimension):
    u = _network(dimension)
    points = RNG.standard_normal((6, dimension))
    np.testing.assert_allclose(wg.laplacian(u)(points), _trace_of_hessian(u, points), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("dimension", [1, 3, 16])
def test_the_laplacian_of_a_plain_function_of_one_point(dimension):
    def f(p):
        return wnp.exp(-wnp.sum(p * p)) * wnp.sin(wnp.sum(p)) + wnp.log(1.0 + wnp.sum(p**4))

    point = RNG.standard_normal(dimension)
    assert float(wg.laplacian(f)(point)) == pytest.approx(np.trace(np.atleast_2d(wg.hessian(f)(point))), rel=1e-11)


def test_a_general_operator_with_first_order_terms():
    u = _network(5)
    points = RNG.standard_normal((4, 5))
    coefficients, drift = RNG.standard_normal((5, 5)), RNG.standard_normal(5)  # not symmetric: its symmetric part acts
    got = wg.differential_operator(u, coefficients, drift)(points)
    expected = [np.sum(coefficients * wg.hessian(u)(p)) + drift @ wg.grad(u)(p) for p in points]
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)
    np.testing.assert_array_equal(wg.differential_operator(u, np.zeros((5, 5)))(points), np.zeros(4))


@pytest.mark.parametrize("coefficients", ["identity", "indefinite"])
def test_the_stochastic_estimate_is_unbiased(coefficients):
    u = _network(6)
    points = RNG.standard_normal((3, 6))
    matrix = np.eye(6) if coefficients == "identity" else np.diag([2.0, -1.0, 0.5, -3.0, 1.0, 0.0])
    exact = wg.differential_operator(u, matrix)(points)
    keys = wg.random.split(wg.random.PRNGKey(7), 400)
    estimates = np.array([wg.differential_operator(u, matrix, samples=3, key=key)(points) for key in keys])
    standard_error = estimates.std(axis=0, ddof=1) / np.sqrt(len(keys))
    assert np.all(np.abs(estimates.mean(axis=0) - exact) < 4.0 * standard_error)  # 4 standard errors
    assert np.all(standard_error > 0)  # it is an estimate, not the exact value


def test_operators_compose_with_jit_and_grad():
    w = RNG.standard_normal((3, 8))
    points = RNG.standard_normal((5, 3))

    def residual(weights):
        u = lambda p: wnp.sum(wnp.tanh(p @ weights), axis=-1)  # noqa: E731
        return wnp.mean(wg.laplacian(u)(points) ** 2)

    gradient = wg.grad(residual)(w)
    step = np.zeros_like(w)
    step[2, 5] = 1e-6
    assert gradient[2, 5] == pytest.approx((residual(w + step) - residual(w - step)) / 2e-6, rel=1e-6)
    np.testing.assert_allclose(wg.jit(wg.grad(residual))(w), gradient, rtol=1e-12)
    key = wg.random.PRNGKey(3)
    u = _network(3)
    estimate = wg.jit(lambda p, k: wg.laplacian(u, samples=2, key=k)(p))
    np.testing.assert_allclose(estimate(points, key), wg.laplacian(u, samples=2, key=key)(points), rtol=1e-12)


def test_bad_operators_are_refused_by_name():
    u = _network(2)
    with pytest.raises(ValueError, match="square matrix"):
        wg.differential_operator(u, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"first_order must be a finite vector of shape \(2,\), got shape \(3,\)"):
        wg.differential_operator(u, np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="first_order .* non-finite entries"):
        wg.differential_operator(u, np.eye(2), [np.nan, 0.0])
    with pytest.raises(TypeError, match="coefficients must be real, got complex"):
        wg.differential_operator(u, (1 + 2j) * np.eye(2))
    with pytest.raises(TypeError, match="coefficients must be numbers"):
        wg.differential_operator(u, "ab")
    with pytest.raises(ValueError, match="key= is used only to draw samples"):
        wg.laplacian(u, key=wg.random.PRNGKey(0))
    with pytest.raises(ValueError, match="the points have 3 coordinates but the coefficients are 2 × 2"):
        wg.differential_operator(u, np.eye(2))(np.ones((4, 3)))
    with pytest.raises(ValueError, match="samples= needs a key"):
        wg.laplacian(u, samples=4)
    with pytest.raises(ValueError, match="samples must be a positive integer"):
        wg.laplacian(u, samples=0, key=wg.random.PRNGKey(0))


@pytest.mark.parametrize("dimension", [1, 2, 4])
def test_the_biharmonic_by_fourth_order_jets_equals_nested_laplacians(dimension):
    u = _network(dimension)
    points = RNG.standard_normal((3, dimension))
    nested = wg.laplacian(lambda p: wg.laplacian(u)(p))(points)
    np.testing.assert_allclose(wg.biharmonic(u)(points), nested, rtol=1e-10, atol=1e-10)
    # a closed form: Δ²|x|⁴ = 8d(d + 2)
    radial = wg.biharmonic(lambda p: wnp.sum(p**2, axis=-1) ** 2)(points)
    np.testing.assert_allclose(radial, 8 * dimension * (dimension + 2), rtol=1e-12)


def _nested_partial(f, alpha):
    """∂^α f at one point by nested jacfwd (forward over forward over …), the reference."""
    derivative = f
    for coordinate, order in enumerate(alpha):
        for _ in range(order):
            derivative = (lambda g, c: lambda p: wg.jacfwd(g)(p)[..., c])(derivative, coordinate)
    return derivative


@pytest.mark.parametrize("alpha", [(2, 1), (1, 2), (0, 3), (1, 1, 1), (2, 0, 2), (3, 1, 0), (1, 0, 0)])
def test_mixed_partial_derivatives_by_jets_equal_nested_forward_mode(alpha):
    w1, b1, w2 = RNG.standard_normal((3, 6)) * 0.8, RNG.standard_normal(6), RNG.standard_normal(6)

    def u(p):
        return wnp.tanh(p @ w1 + b1) @ w2 + wnp.sin(p[..., 0]) * p[..., 2] ** 2

    point = RNG.standard_normal(3) * 0.5
    expected = _nested_partial(u, alpha)(point)
    np.testing.assert_allclose(wg.partial_derivative(u, alpha)(point), expected, rtol=1e-9, atol=1e-11)
    points = RNG.standard_normal((4, 3)) * 0.5  # row by row on many points
    by_rows = wg.partial_derivative(u, dict(enumerate(alpha)))(points)
    np.testing.assert_allclose(by_rows, [_nested_partial(u, alpha)(p) for p in points], rtol=1e-9, atol=1e-11)


def test_partial_derivative_closed_form_and_bad_orders():
    u_txx = wg.partial_derivative(lambda p: wnp.sin(p[..., 0]) * wnp.exp(2 * p[..., 1]), {0: 2, 1: 1})
    x = np.array([[0.3, 0.5], [1.1, -0.2]])
    np.testing.assert_allclose(u_txx(x), -np.sin(x[:, 0]) * 2 * np.exp(2 * x[:, 1]), rtol=1e-12)
    with pytest.raises(ValueError, match="outside points of dimension 2"):
        wg.partial_derivative(lambda p: p[..., 0], {3: 1})(x)
    with pytest.raises(ValueError, match="non-negative integers"):
        wg.partial_derivative(lambda p: p[..., 0], (1, -1))
    with pytest.raises(TypeError, match="sequence or a"):
        wg.partial_derivative(lambda p: p[..., 0], 2)
    with pytest.raises(ValueError, match="coordinate 3 is outside points of dimension 2"):  # zero orders count too
        wg.partial_derivative(lambda p: p[..., 0], (1, 0, 0, 0))(x)
    with pytest.raises(ValueError, match="286 jets of order 10 .* nest partial_derivative"):
        wg.partial_derivative(lambda p: p[..., 0], (3, 3, 3, 1))


@pytest.mark.parametrize("alpha", [(13, 0), (11, 1), (10, 2), (16, 0), (6, 6), (3, 9)])
def test_high_order_partial_derivatives_use_exact_interpolation_weights(alpha):
    """∂^α of 1/(1 + x + y/2) in closed form: the weights (≈ K^-K) are solved exactly, none dropped."""
    order = sum(alpha)
    x = np.array([[0.1, 0.2], [-0.3, 0.4]])
    exact = (-1) ** order * math.factorial(order) * 0.5 ** alpha[1] / (1 + x[:, 0] + 0.5 * x[:, 1]) ** (order + 1)
    found = wg.partial_derivative(lambda p: 1 / (1 + p[..., 0] + 0.5 * p[..., 1]), alpha)(x)
    np.testing.assert_allclose(found, exact, rtol=1e-9)


def _forgets_return(p):
    wnp.sum(p**2, axis=-1)


@pytest.mark.parametrize(
    "operator",
    [
        wg.laplacian,
        wg.biharmonic,
        lambda f: wg.differential_operator(f, np.eye(2), [1.0, 0.0]),
        lambda f: wg.differential_operator(f, np.zeros((2, 2)), [1.0, 0.0], samples=2, key=wg.random.PRNGKey(0)),
        lambda f: wg.partial_derivative(f, (2, 1)),
    ],
)
@pytest.mark.parametrize(
    "f, found",
    [
        (_forgets_return, "NoneType .did f forget to return"),
        (lambda p: "u", "str"),
        (lambda p: (wnp.sum(p, axis=-1), {"aux": 1}), "tuple"),
    ],
)
def test_an_f_that_returns_no_numeric_array_is_refused(operator, f, found):
    with pytest.raises(TypeError, match=f"f must return one numeric array .*got {found}"):
        operator(f)(np.array([[0.1, 0.2], [0.3, 0.4]]))


def test_degenerate_and_lopsided_coefficients_and_float32_points():
    f = lambda p: wnp.sum(wnp.sin(p) * p[..., :1], axis=-1)  # noqa: E731
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    slope = wg.differential_operator(f, np.zeros((2, 2)), [1.0, 0.0])(x)  # ∂₀f alone
    np.testing.assert_allclose(slope, np.cos(x[:, 0]) * x[:, 0] + np.sin(x[:, 0]) + np.sin(x[:, 1]), rtol=1e-12)
    for coefficients in (np.zeros((2, 2)), np.array([[0.0, 1.0], [-1.0, 0.0]])):  # symmetric part 0
        estimate = wg.differential_operator(f, coefficients, [1.0, 0.0], samples=3, key=wg.random.PRNGKey(1))(x)
        np.testing.assert_allclose(estimate, slope, rtol=1e-12)
    # a diagonal C keeps every nonzero coefficient, however small beside the others: ∂²(y²) = 2
    lopsided = wg.differential_operator(lambda p: p[..., 1] ** 2, np.diag([1e14, 1.0]))(x)
    np.testing.assert_allclose(lopsided, 2.0, rtol=1e-12)
    np.testing.assert_array_equal(wg.biharmonic(f)(np.zeros((2, 0))), [0.0, 0.0])  # no coordinates: the empty sum
    single = x.astype(np.float32)  # the directions take the points' precision
    for operator in (
        wg.laplacian(f),
        wg.laplacian(f, samples=4, key=wg.random.PRNGKey(2)),
        wg.differential_operator(f, [[1.0, 0.5], [0.5, -1.0]], [1.0, 2.0]),
    ):
        assert np.asarray(operator(single)).dtype == np.float32
    np.testing.assert_allclose(wg.laplacian(f)(single), wg.laplacian(f)(x), rtol=1e-5)


def test_a_function_that_reshapes_along_its_rows_gets_full_size_directions():
    """Directions go in as one row each and broadcast; a reshape over the rows refuses that and is retried."""

    def cubes(p):
        rows = wnp.reshape(p, (p.shape[0] * p.shape[1],))  # flattens the rows together
        return wnp.sum(wnp.reshape(rows**3, p.shape), axis=-1)

    points = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(wg.laplacian(cubes)(points), 6 * points.sum(axis=-1), rtol=1e-12)
    estimate = wg.laplacian(cubes, samples=4, key=wg.random.PRNGKey(0))(points)
    assert estimate.shape == (5,)
    np.testing.assert_allclose(estimate, 6 * points.sum(axis=-1), rtol=1e-12)  # cubes: H is diagonal, zᵢ² = 1


def test_the_laplacian_through_tall_column_major_stacks_matches_its_closed_form():
    """8 directions × 600 points = 4,800 rows of width 64: the stacked products are written column-major
    and the per-point slopes meet them in that order (`stacked_product`, `_scale`); the Laplacian of
    u = tanh(tanh(tanh(x·W1)·W2)·W3)·w4, written out layer by layer with NumPy, must come back."""
    from wengert.numpy.products import COLUMN_MAJOR_MIN_COLUMNS, COLUMN_MAJOR_MIN_ROWS

    dimension, points, width = 8, 600, 64
    assert dimension * points >= COLUMN_MAJOR_MIN_ROWS and width >= COLUMN_MAJOR_MIN_COLUMNS
    weights = [RNG.standard_normal((dimension, width)) / np.sqrt(dimension)]
    weights += [RNG.standard_normal((width, width)) / np.sqrt(width) for _ in range(2)]
    last = RNG.standard_normal(width)
    x = RNG.uniform(-1.0, 1.0, (points, dimension))

    def u(p):
        for w in weights:
            p = wnp.tanh(p @ w)
        return p @ last

    expected = np.zeros(points)
    for i in range(dimension):  # along e_i: value a, first derivative da, second derivative dda
        a, da, dda = x, np.broadcast_to(np.eye(dimension)[i], x.shape), np.zeros_like(x)
        for w in weights:
            z, dz, ddz = a @ w, da @ w, dda @ w
            a = np.tanh(z)
            slope = 1.0 - a**2
            da, dda = slope * dz, slope * ddz - 2.0 * a * slope * dz**2
        expected += dda @ last
    np.testing.assert_allclose(wg.laplacian(u)(x), expected, rtol=1e-11, atol=1e-11)


def test_products_of_column_major_operands_keep_their_order_and_values():
    """A column-major operand (a stack's entry, a fused step's stream) keeps its order through the next
    product (`_keeps_columns`), so the step after it reads it without a copy; values are NumPy's."""
    from wengert.numpy.products import _matmul_impl, stacked_product

    columns = np.asfortranarray(RNG.standard_normal((300, 70)))
    weight = RNG.standard_normal((70, 64))
    product = _matmul_impl(columns, weight)
    assert product.flags.f_contiguous and not product.flags.c_contiguous
    np.testing.assert_allclose(product, np.ascontiguousarray(columns) @ weight, rtol=1e-13)
    assert _matmul_impl(np.ascontiguousarray(columns), weight).flags.c_contiguous  # rows stay rows
    assert _matmul_impl(columns, weight[:, :8]).flags.c_contiguous  # too narrow a result to gain
    stack = np.empty((64, 2 * 300)).T.reshape(2, 300, 64)  # stacked_product's layout, 600 rows < 4,096
    stack[...] = RNG.standard_normal((2, 300, 64))
    square = RNG.standard_normal((64, 64))
    product = stacked_product(stack, square)
    assert product.strides[1] == product.itemsize  # column-major within the stack, as its operand
    np.testing.assert_allclose(product, np.ascontiguousarray(stack) @ square, rtol=1e-13)


def test_many_directions_run_in_groups_with_the_same_sums(monkeypatch):
    """Streams of squares along more directions than a pass takes (`ROWS_PER_PASS`) run in groups whose
    second-order streams are added and first-order terms stacked: the same numbers as one pass, for a
    stream with terms in one group only, a weighted stream, and traced directions under jit."""
    from wengert.transforms import operators

    u = _network(20)
    x = RNG.standard_normal((30, 20))
    columns = RNG.standard_normal((20, 20))
    streams = [[(k, k, 1.0) for k in range(20)], [(3, 3, 2.0)], [(k, k, 0.5 * k - 3.0) for k in range(0, 20, 3)]]
    whole = operators.row_wise_jet(u, x, columns, streams)
    exact = wg.laplacian(u)(x)
    monkeypatch.setattr(operators, "ROWS_PER_PASS", 30 * 8)  # groups of 8 directions: 8 + 8 + 4
    calls = []
    original = operators.second_order_jet
    monkeypatch.setattr(operators, "second_order_jet", lambda *a, **k: calls.append(len(a[2])) or original(*a, **k))
    grouped = operators.row_wise_jet(u, x, columns, streams)
    assert calls == [8, 8, 4]
    np.testing.assert_allclose(grouped[0], whole[0], rtol=1e-13)
    np.testing.assert_allclose(grouped[1], whole[1], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grouped[2], whole[2], rtol=1e-11, atol=1e-12)
    assert grouped[1].shape == whole[1].shape and grouped[2].shape == whole[2].shape
    np.testing.assert_allclose(wg.laplacian(u)(x), exact, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(wg.jit(wg.laplacian(u))(x), exact, rtol=1e-11, atol=1e-12)
    key = wg.random.PRNGKey(3)
    estimate = wg.laplacian(u, samples=20, key=key)(x)
    monkeypatch.setattr(operators, "ROWS_PER_PASS", 1 << 30)
    np.testing.assert_allclose(estimate, wg.laplacian(u, samples=20, key=key)(x), rtol=1e-11, atol=1e-12)
    monkeypatch.setattr(operators, "ROWS_PER_PASS", 30 * 8)
    one = operators.row_wise_jet(u, x, columns, [[(1, 1, 1.0)]])  # groups 2 and 3 push no second-order term
    np.testing.assert_allclose(one[2][0], operators.row_wise_jet(u, x, columns[1:2], [[(0, 0, 1.0)]])[2][0], rtol=1e-12)
    calls.clear()
    mixed = operators.row_wise_jet(u, x, columns, [[(0, 1, 1.0)], *streams])  # a mixed term: one pass, no groups
    assert calls == [20]
    np.testing.assert_allclose(mixed[2][1:], whole[2], rtol=1e-11, atol=1e-12)
    from wengert.pinn import laplacian as pinn_laplacian

    calls.clear()
    np.testing.assert_allclose(pinn_laplacian(u, x), exact, rtol=1e-11, atol=1e-12)
    assert calls == [8, 8, 4]
