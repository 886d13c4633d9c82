"""The NumPy functions physics and ML code reaches for (issue 11), beyond tests/test_ops.py's table.

The table checks each function's value, derivatives (finite differences to second order in both
modes, the adjoint identity), float32, the Tensor dialect and vmap at generic points. Here:
the conventions at the points where a derivative is one-sided or a choice (ties in sort and
median, breakpoints of a quantile in q, knots of interp, sinc at 0), derivatives in arguments
the table does not trace (interp's xp, gradient's coordinates, logsumexp's weights), vmap of
what varies per example (q, the sorted points), the refusals and their messages, HIPS autograd's
checklist, and cross-checks of values and gradients against JAX where it is installed.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import check_adjoint, check_grads

RNG = np.random.default_rng(11)
KNOTS = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
VALUES = np.array([0.3, -0.7, 1.2, 0.4, 2.2])
SLOPES = np.diff(VALUES) / np.diff(KNOTS)


def permutation_matrix(order: np.ndarray) -> np.ndarray:
    """The Jacobian of x ↦ x[order]."""
    return np.eye(len(order))[order]


# -- ties: where a stable sort puts them ----------------------------------------------------------------


def test_sort_ties_follow_a_stable_sort() -> None:
    x = np.array([2.0, 1.0, 2.0, 0.5, 2.0])
    expected = permutation_matrix(np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(wg.jacfwd(wnp.sort)(x), expected)
    np.testing.assert_array_equal(wg.jacrev(wnp.sort)(x), expected)


def test_sort_along_each_axis_and_flattened() -> None:
    x = np.array([[3.0, 1.0, 2.0], [1.0, 1.0, 0.0]])
    for axis in (0, 1, -1, None):
        jacobian = wg.jacfwd(lambda v, axis=axis: wnp.sort(v, axis=axis))(x)
        flat = x.reshape(-1)
        index = np.arange(x.size).reshape(x.shape)
        order = np.take_along_axis(index, np.argsort(x, axis=axis, kind="stable"), axis) if axis is not None else None
        if axis is None:
            order = np.argsort(flat, kind="stable")
        expected = np.eye(x.size)[order.reshape(-1)].reshape(*np.shape(np.sort(x, axis=axis)), *x.shape)
        np.testing.assert_array_equal(jacobian, expected)


def test_median_ties_give_the_middle_sorted_positions() -> None:
    odd = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    np.testing.assert_array_equal(wg.grad(wnp.median)(odd), [0.0, 0.0, 1.0, 0.0, 0.0])
    even = np.array([2.0, 1.0, 2.0, 2.0])  # sorted 1, 2 (index 0), 2 (index 2), 2 (index 3)
    np.testing.assert_array_equal(wg.grad(wnp.median)(even), [0.5, 0.0, 0.5, 0.0])


def test_median_and_quantiles_of_a_slice_with_nan_are_nan() -> None:
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 4.0]])
    for function in (lambda v: wnp.median(v, axis=1), lambda v: wnp.quantile(v, 0.3, axis=1)):
        value, tangent = wg.jvp(function, (x,), (np.ones_like(x),))
        np.testing.assert_array_equal(np.isnan(value), [True, False])
        assert np.isfinite(tangent[1])
    np.testing.assert_array_equal(wnp.median(wg.tensor(x), axis=1).numpy(), np.median(x, axis=1))


# -- quantiles: every method, and the derivative in q ---------------------------------------------------

METHODS = [
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
    "lower",
    "higher",
    "midpoint",
    "nearest",
]
STEPWISE_IN_Q = {
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "lower",
    "higher",
    "midpoint",
    "nearest",
}


@pytest.mark.parametrize("method", METHODS)
def test_every_quantile_method_matches_numpy(method: str) -> None:
    a = RNG.standard_normal((3, 7))
    q = np.array([0.0, 0.13, 0.5, 0.77, 1.0])
    for axis in (None, 1, (0, 1)):
        value = wg.jvp(lambda v: wnp.quantile(v, q, axis=axis, method=method), (a,), (a,))[0]
        np.testing.assert_allclose(value, np.quantile(a, q, axis=axis, method=method), rtol=1e-14, atol=1e-15)
    check_grads(lambda v: wnp.quantile(v, np.array([0.13, 0.77]), axis=1, method=method), (a,), order=2)
    check_adjoint(lambda v: wnp.quantile(v, 0.4, axis=0, method=method, keepdims=True), (a,))
    gradient_in_q = wg.grad(lambda q_: wnp.quantile(a[0], q_, method=method))(0.41)
    if method in STEPWISE_IN_Q:
        assert gradient_in_q == 0.0
    else:
        step = 1e-7
        numeric = (np.quantile(a[0], 0.41 + step, method=method) - np.quantile(a[0], 0.41 - step, method=method)) / (
            2 * step
        )
        assert gradient_in_q == pytest.approx(numeric, rel=1e-6)


def test_quantile_derivative_in_q_at_breakpoints_is_one_sided() -> None:
    a = np.array([1.0, 4.0, 2.0, 8.0, 5.0])  # sorted 1, 2, 4, 5, 8; h = 4q
    slope = wg.grad(lambda q: wnp.quantile(a, q))
    assert slope(0.0) == 4.0 * (2.0 - 1.0)  # right-hand slope
    assert slope(0.5) == 4.0 * (5.0 - 4.0)  # right-hand slope at h = 2
    assert slope(1.0) == 4.0 * (8.0 - 5.0)  # h = n - 1: the last interval's slope (left-hand)
    assert slope(0.3) == 4.0 * (4.0 - 2.0)
    assert wg.grad(lambda p: wnp.percentile(a, p))(30.0) == pytest.approx(4.0 * (4.0 - 2.0) / 100)
    # hazen is clamped to the largest value above q = (n - 1/2)/n: flat, derivative 0.
    assert wg.grad(lambda q: wnp.quantile(a, q, method="hazen"))(0.95) == 0.0


def test_quantile_gradient_goes_to_the_interpolated_elements() -> None:
    a = np.array([1.0, 4.0, 2.0, 8.0, 5.0])  # h = 4·0.3 = 1.2: 0.8 of the 2nd smallest, 0.2 of the 3rd
    np.testing.assert_allclose(wg.grad(lambda v: wnp.quantile(v, 0.3))(a), [0.0, 0.2, 0.8, 0.0, 0.0], atol=1e-15)


def test_quantile_keeps_numpys_dtypes() -> None:
    a32 = RNG.standard_normal(6).astype(np.float32)
    for q in (0.3, np.float32(0.3), np.array([0.3]), np.array([0.2, 0.7], dtype=np.float32)):
        value = wg.jvp(lambda v, q=q: wnp.quantile(v, q), (a32,), (a32,))[0]
        assert np.asarray(value).dtype == np.asarray(np.quantile(a32, q)).dtype


def test_quantile_under_vmap_with_q_varying_per_example() -> None:
    a = RNG.standard_normal(9)
    qs = np.array([0.05, 0.5, 0.93, 1.0])
    for method in ("linear", "nearest", "midpoint", "inverted_cdf"):
        batched = wg.vmap(lambda q, method=method: wnp.quantile(a, q, method=method))(qs)
        np.testing.assert_allclose(batched, np.quantile(a, qs, method=method), rtol=1e-14)
    slopes = wg.vmap(wg.grad(lambda q: wnp.quantile(a, q)))(qs)
    np.testing.assert_allclose(slopes, [wg.grad(lambda q: wnp.quantile(a, q))(q) for q in qs], rtol=1e-14)
    rows = RNG.standard_normal((4, 6))
    per_row = wg.vmap(lambda r, q: wnp.quantile(r, q))(rows, qs)
    np.testing.assert_allclose(per_row, [np.quantile(r, q) for r, q in zip(rows, qs)], rtol=1e-14)


def test_partition_places_the_kth_values_and_their_derivatives() -> None:
    x = RNG.standard_normal(8)
    out = wg.jvp(lambda v: wnp.partition(v, (2, 5)), (x,), (x,))[0]
    np.testing.assert_array_equal(out, np.partition(x, (2, 5)))
    np.testing.assert_array_equal(
        wg.jacfwd(lambda v: wnp.partition(v, 3))(x), permutation_matrix(np.argpartition(x, 3))
    )


# -- interp: knots, every argument ------------------------------------------------------------------------


def test_interp_derivative_in_x_at_knots_is_the_right_hand_slope() -> None:
    slopes = wg.vmap(wg.grad(lambda x: wnp.interp(x, KNOTS, VALUES)))(KNOTS)
    np.testing.assert_allclose(slopes, [*SLOPES, SLOPES[-1]], rtol=1e-14)  # the last knot: the last segment
    outside = wg.vmap(wg.grad(lambda x: wnp.interp(x, KNOTS, VALUES)))(np.array([-1.0, 4.0]))
    np.testing.assert_array_equal(outside, [0.0, 0.0])
    values = wg.jvp(lambda x: wnp.interp(x, KNOTS, VALUES), (KNOTS,), (KNOTS,))[0]
    np.testing.assert_array_equal(values, VALUES)  # exactly the knot values, as NumPy


def test_interp_is_differentiable_in_xp_fp_left_and_right() -> None:
    x = np.array([-0.4, 0.2, 0.8, 1.7, 2.4, 3.6])

    def f(x_, xp, fp, left, right):
        return wnp.interp(x_, xp, fp, left=left, right=right)

    args = (x, KNOTS, VALUES, -1.0, 2.5)
    check_grads(f, args, order=2)
    check_adjoint(f, args)
    np.testing.assert_allclose(f(*args), np.interp(x, KNOTS, VALUES, left=-1.0, right=2.5))
    weights = wg.jacrev(lambda fp: wnp.interp(x, KNOTS, fp))(VALUES)  # the hat functions at x
    np.testing.assert_allclose(weights, np.stack([np.interp(x, KNOTS, e) for e in np.eye(5)], axis=1), atol=1e-15)


def test_interp_with_repeated_points_and_a_single_point() -> None:
    xp = np.array([0.0, 1.0, 1.0, 2.0])
    fp = np.array([0.0, 1.0, 3.0, 4.0])
    x = np.array([0.5, 1.0, 1.5, 2.0])
    value, slope = wg.jvp(lambda v: wnp.interp(v, xp, fp), (x,), (np.ones(4),))
    np.testing.assert_allclose(value, np.interp(x, xp, fp))
    assert np.all(np.isfinite(slope))
    single = wg.jvp(lambda v: wnp.interp(v, [1.0], [5.0]), (x,), (np.ones(4),))
    np.testing.assert_array_equal(single[0], np.interp(x, [1.0], [5.0]))


def test_interp_under_vmap_with_points_varying_per_example() -> None:
    xps = np.sort(RNG.uniform(0, 3, (3, 5)), axis=1)
    fps = RNG.standard_normal((3, 5))
    x = np.array([0.7, 1.9])
    batched = wg.vmap(lambda xp, fp: wnp.interp(x, xp, fp))(xps, fps)
    np.testing.assert_allclose(batched, [np.interp(x, xp, fp) for xp, fp in zip(xps, fps)], rtol=1e-14)
    gradients = wg.vmap(wg.grad(lambda xp, fp: wnp.sum(wnp.interp(x, xp, fp))))(xps, fps)
    expected = [wg.grad(lambda xp_, fp=fp: wnp.sum(wnp.interp(x, xp_, fp)))(xp) for xp, fp in zip(xps, fps)]
    np.testing.assert_allclose(gradients, expected, rtol=1e-12)


# -- calculus: coordinates and spacings -------------------------------------------------------------------


def test_gradient_in_evenly_spaced_traced_coordinates_is_exact() -> None:
    """At evenly spaced coordinates the derivative in them is that of the uneven formula (NumPy's
    scalar shortcut applies to plain coordinates only)."""
    f = np.sin(np.linspace(0.0, 2.0, 6))
    coordinates = np.linspace(0.0, 2.0, 6)
    for edge_order in (1, 2):
        function = lambda x, edge_order=edge_order: wnp.gradient(f, x, edge_order=edge_order)  # noqa: E731
        check_grads(function, (coordinates,), order=2)
        np.testing.assert_allclose(function(coordinates), np.gradient(f, coordinates, edge_order=edge_order))


def test_gradient_returns_one_array_per_axis() -> None:
    f = RNG.standard_normal((4, 5))
    out = wg.jvp(lambda v: wnp.gradient(v, 0.5, np.linspace(0, 1, 5) ** 2), (f,), (f,))[0]
    expected = np.gradient(f, 0.5, np.linspace(0, 1, 5) ** 2)
    assert isinstance(out, tuple) and len(out) == 2
    for actual, reference in zip(out, expected):
        np.testing.assert_allclose(actual, reference, rtol=1e-12)


def test_cumulative_trapezoid_matches_scipy() -> None:
    integrate = pytest.importorskip("scipy.integrate")
    y = RNG.standard_normal((3, 6))
    x = np.sort(RNG.uniform(0, 2, 6))
    for kwargs in ({}, {"x": x}, {"dx": 0.3, "axis": 0}, {"x": x, "initial": 0}):
        value = wg.jvp(lambda v, kw=kwargs: wnp.cumulative_trapezoid(v, **kw), (y,), (y,))[0]
        np.testing.assert_allclose(value, integrate.cumulative_trapezoid(y, **kwargs), rtol=1e-14)
    last = wg.grad(lambda v: wnp.cumulative_trapezoid(v, x)[-1])(y[0])
    np.testing.assert_allclose(last, wg.grad(lambda v: wnp.trapezoid(v, x))(y[0]), rtol=1e-14)


def test_diff_of_booleans_is_not_equal() -> None:
    mask = wg.tensor(np.array([1.0, 2.0, 2.0, 3.0])) > 1.5
    np.testing.assert_array_equal(np.asarray(wnp.diff(mask).primal), np.diff(np.array([False, True, True, True])))


# -- sinc, nan_to_num, fill values, linspace, logsumexp's weights --------------------------------------------


def test_sinc_derivatives_at_zero() -> None:
    first = wg.grad(wnp.sinc)
    second = wg.grad(first)
    fourth = wg.grad(wg.grad(second))
    assert first(0.0) == 0.0
    assert second(0.0) == pytest.approx(-(math.pi**2) / 3, rel=1e-14)
    assert fourth(0.0) == pytest.approx(math.pi**4 / 5, rel=1e-12)
    near = np.array([1e-9, 1e-4, 0.31, 1 / math.pi, 2.7])  # series, boundary, closed form
    slope = wg.vmap(first)(near)
    exact = (np.cos(np.pi * near) - np.sinc(near)) / near
    np.testing.assert_allclose(slope[2:], exact[2:], rtol=1e-13)
    np.testing.assert_allclose(slope[:2], -(np.pi**2) * near[:2] / 3, rtol=1e-6)


def test_nan_to_num_derivative_is_one_where_finite() -> None:
    x = np.array([1.5, np.nan, np.inf, -0.3, -np.inf, np.nan])
    np.testing.assert_array_equal(wg.grad(lambda v: wnp.sum(wnp.nan_to_num(v)))(x), [1, 0, 0, 1, 0, 0])
    assert wg.grad(lambda n: wnp.sum(wnp.nan_to_num(x, nan=n)))(0.5) == 2.0


def test_fill_values_are_differentiable() -> None:
    assert wg.grad(lambda v: wnp.sum(wnp.full_like(np.zeros((2, 3)), v)))(0.4) == 6.0
    assert wg.grad(lambda v: wnp.sum(wnp.full((4,), v)))(0.4) == 4.0
    np.testing.assert_array_equal(wg.grad(lambda v: wnp.sum(wnp.full((2, 3), v)))(np.ones(3)), [2.0, 2.0, 2.0])


def test_linspace_endpoint_derivatives() -> None:
    for endpoint, div in ((True, 4), (False, 5)):
        jacobian = wg.jacfwd(lambda s, e, endpoint=endpoint: wnp.linspace(s, e, 5, endpoint=endpoint), argnums=(0, 1))
        d_start, d_stop = jacobian(0.3, 2.1)
        i = np.arange(5)
        np.testing.assert_allclose(d_start, 1 - i / div, rtol=1e-15)
        np.testing.assert_allclose(d_stop, i / div, rtol=1e-15)
    values, step = wnp.linspace(wg.tensor(0.0, requires_grad=True), 1.0, 5, retstep=True)
    np.testing.assert_array_equal(
        values.numpy() if not values.requires_grad else values.detach().numpy(), np.linspace(0, 1, 5)
    )


def test_logsumexp_with_weights_has_both_derivatives() -> None:
    a = RNG.standard_normal(5)
    b = np.array([0.5, -1.0, 2.0, 0.0, 1.5])
    total = np.sum(b * np.exp(a))
    d_a, d_b = wg.grad(lambda a_, b_: wnp.logsumexp(a_, b=b_), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(d_a, b * np.exp(a) / total, rtol=1e-13)
    np.testing.assert_allclose(d_b, np.exp(a) / total, rtol=1e-13)  # also where b = 0
    negative = np.array([1.0, -3.0])
    value, sign = wnp.logsumexp(np.zeros(2), b=negative, return_sign=True)
    assert value == pytest.approx(math.log(2.0)) and sign == -1.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(wnp.logsumexp(wg.tensor(np.zeros(2)), b=negative).item())
    # A zero weight on a term far above the others leaves the value finite.
    assert wnp.logsumexp(np.array([1000.0, 0.0]), b=np.array([0.0, 1.0])) == 0.0
    with pytest.raises(TypeError, match="keepdims= by keyword"):
        wnp.logsumexp(np.zeros((2, 2)), 1, True)


@pytest.mark.parametrize("name", ["sum", "mean", "prod"])
def test_reductions_take_dtype_by_keyword_and_refuse_it_in_keepdims_place(name: str) -> None:
    x = RNG.standard_normal((2, 3))
    function = getattr(wnp, name)
    value, tangent = wg.jvp(lambda v: function(v, 0, dtype=np.float32), (x,), (x,))
    np.testing.assert_allclose(value, getattr(np, name)(x, 0, dtype=np.float32), rtol=1e-6)
    assert value.dtype == tangent.dtype == np.float32
    with pytest.raises(TypeError, match="pass dtype= by keyword"):
        function(wg.tensor(x, requires_grad=True), 0, np.float32)


def test_select_gives_each_element_the_first_true_choice() -> None:
    x = np.array([-1.0, 0.5, 3.0])
    gradients = wg.grad(lambda v, d: wnp.sum(wnp.select([v < 0, v > 1], [v * 2.0, v * 10.0], d)), argnums=(0, 1))
    d_x, d_default = gradients(x, np.zeros(3))
    np.testing.assert_array_equal(d_x, [2.0, 0.0, 10.0])
    np.testing.assert_array_equal(d_default, [0.0, 1.0, 0.0])


def test_r_and_c_with_traced_items() -> None:
    x = np.array([1.0, 2.0])
    f = lambda v: wnp.sum(wnp.r_[v, 0.0, 2:4, v * 3.0] * np.arange(7.0))  # noqa: E731
    np.testing.assert_array_equal(wg.grad(f)(x), [0.0 + 5 * 3, 1.0 + 6 * 3])
    np.testing.assert_array_equal(wg.jvp(lambda v: wnp.c_[v, 2 * v], (x,), (x,))[1], np.c_[x, 2 * x])
    np.testing.assert_array_equal(wg.grad(lambda s: wnp.sum(wnp.r_[s:1.0:5j]))(0.0), 2.5)
    batched = wg.vmap(lambda v: wnp.r_["0,2", v, v])(np.ones((3, 2)))
    assert batched.shape == (3, 2, 2)


def test_rollaxis_and_row_stack() -> None:
    x = RNG.standard_normal((2, 3, 4))
    for axis, start in ((2, 0), (0, 3), (-1, 1), (1, -1)):
        out = wg.jvp(lambda v, a=axis, s=start: wnp.rollaxis(v, a, s), (x,), (x,))[0]
        np.testing.assert_array_equal(out, np.rollaxis(x, axis, start))
    with pytest.warns(DeprecationWarning, match="row_stack"):
        stacked = wg.jvp(lambda v: wnp.row_stack([v, v]), (x[0, 0],), (x[0, 0],))[0]
    np.testing.assert_array_equal(stacked, np.vstack([x[0, 0], x[0, 0]]))


def test_convolve_under_vmap_with_shared_and_per_example_kernels() -> None:
    signals = RNG.standard_normal((3, 7))
    kernels = RNG.standard_normal((3, 3))
    for mode in ("full", "same", "valid"):
        shared = wg.vmap(lambda s, mode=mode: wnp.convolve(s, kernels[0], mode))(signals)
        np.testing.assert_allclose(shared, [np.convolve(s, kernels[0], mode) for s in signals], rtol=1e-13)
        each = wg.vmap(lambda s, k, mode=mode: wnp.correlate(s, k, mode))(signals, kernels)
        np.testing.assert_allclose(each, [np.correlate(s, k, mode) for s, k in zip(signals, kernels)], rtol=1e-13)


# -- refusals ---------------------------------------------------------------------------------------------

COMPLEX = np.array([[1.0 + 2.0j, 0.5], [2.0, -1.0j]])


@pytest.mark.parametrize(
    "function",
    [wnp.real, wnp.imag, wnp.conj, wnp.sort, wnp.median, lambda v: wnp.quantile(v, 0.5), wnp.angle],
    ids=["real", "imag", "conj", "sort", "median", "quantile", "angle"],
)
def test_complex_traced_values_are_refused(function: Any) -> None:
    with pytest.raises(TypeError, match="complex values are not supported"):
        wg.vmap(function)(COMPLEX)


def test_complex_signals_and_interpolation_are_refused() -> None:
    with pytest.raises(TypeError, match="complex"):
        wg.vmap(lambda v: wnp.convolve(v, np.ones(2)))(COMPLEX)
    with pytest.raises(TypeError, match="complex"):
        wg.vmap(lambda v: wnp.interp(0.5, np.array([0.0, 1.0]), v))(COMPLEX)


def test_quantile_refusals_name_the_argument() -> None:
    a = wg.tensor(RNG.standard_normal(5), requires_grad=True)
    with pytest.raises(NotImplementedError, match="weights="):
        wnp.quantile(a, 0.5, method="inverted_cdf", weights=np.ones(5))
    with pytest.raises(ValueError, match="'cubic' is not a valid method"):
        wnp.quantile(a, 0.5, method="cubic")
    with pytest.raises(ValueError, match=r"Quantiles must be in the range \[0, 1\]"):
        wnp.quantile(a, 1.5)
    with pytest.raises(ValueError, match=r"Percentiles must be in the range \[0, 100\]"):
        wnp.percentile(a, -1.0)
    with pytest.raises(TypeError, match="out="):
        wnp.median(a, out=np.zeros(()))
    with pytest.raises(ValueError, match="empty"):
        wnp.median(wg.tensor(np.zeros((2, 0)), requires_grad=True), axis=1)


def test_other_refusals() -> None:
    x = wg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(NotImplementedError, match="matrix directive"):
        wnp.r_["r", x, x]
    with pytest.raises(TypeError, match="linspace"):
        wnp.r_[x[0] : 3.0]
    with pytest.raises(NotImplementedError, match="vmap batch"):
        wg.vmap(wnp.nonzero)(np.eye(2))
    with pytest.raises(NotImplementedError, match="order='A'"):
        wnp.reshape(x, (3, 1), order="A")
    with pytest.raises(TypeError, match="period is not differentiable"):
        wg.grad(lambda p: wnp.sum(wnp.interp(x, KNOTS, VALUES, period=p)))(2.0)
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        wnp.cross(wg.tensor(np.ones(4), requires_grad=True), np.ones(4))
    with pytest.raises(ValueError, match="v cannot be empty"):
        wnp.convolve(x, np.zeros(0))
    with pytest.raises(ValueError, match="mode must be one of"):
        wnp.correlate(x, x, mode="middle")
    with pytest.raises(ValueError, match="`initial` must be `None` or `0`"):
        wnp.cumulative_trapezoid(x, initial=1.0)
    with pytest.raises(TypeError, match="invalid entry 0 in condlist"):
        wnp.select([np.ones(3)], [x])


def test_numpy_functions_without_a_wengert_implementation_still_say_so() -> None:
    for function in (np.unwrap, np.histogram, np.ediff1d):
        with pytest.raises(TypeError, match="has no wengert implementation"):
            wg.grad(lambda v, f=function: wnp.sum(f(v)[0]))(np.array([0.1, 0.5, 0.2]))


# -- HIPS autograd's checklist -------------------------------------------------------------------------------

# Every NumPy function outside numpy.linalg that HIPS autograd differentiates (numpy/numpy_vjps.py and
# numpy_jvps.py), or treats as non-differentiable, as of its current release. (msort is gone from NumPy 2;
# logsumexp is SciPy's, with its b= argument.)
# fmt: off
HIPS_AUTOGRAD = [
    "add", "multiply", "subtract", "divide", "true_divide", "maximum", "minimum", "fmax", "fmin", "logaddexp",
    "logaddexp2", "mod", "remainder", "power", "arctan2", "hypot", "negative", "abs", "absolute", "fabs",
    "reciprocal", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "rad2deg", "degrees", "deg2rad", "radians",
    "square", "sqrt", "sinc", "reshape", "roll", "array_split", "split", "vsplit", "hsplit", "dsplit", "ravel",
    "expand_dims", "squeeze", "diag", "flipud", "fliplr", "rot90", "trace", "full", "triu", "tril", "clip",
    "swapaxes", "rollaxis", "moveaxis", "real_if_close", "real", "imag", "conj", "conjugate", "angle", "where",
    "cross", "linspace", "astype", "diff", "gradient", "repeat", "tile", "kron", "transpose", "broadcast_to", "sum",
    "mean", "prod", "var", "std", "max", "min", "amax", "amin", "cumsum", "inner", "matmul", "dot", "tensordot",
    "outer", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack", "sort", "partition",
    "atleast_1d", "atleast_2d", "atleast_3d", "einsum", "diagonal", "pad", "array", "select", "append", "r_", "c_",
    "nan_to_num", "logsumexp", "floor", "ceil", "round", "rint", "around", "fix", "trunc", "all", "any", "argmax",
    "argmin", "argpartition", "argsort", "argwhere", "nonzero", "flatnonzero", "count_nonzero", "searchsorted",
    "sign", "ndim", "shape", "floor_divide", "logical_and", "logical_or", "logical_not", "logical_xor", "isfinite",
    "isinf", "isnan", "isneginf", "isposinf", "allclose", "isclose", "array_equal", "array_equiv", "greater",
    "greater_equal", "less", "less_equal", "equal", "not_equal", "iscomplexobj", "iscomplex", "size", "isscalar",
    "isreal", "zeros_like", "ones_like", "empty_like", "full_like", "result_type",
]
# fmt: on


def test_every_function_hips_autograd_handles_exists() -> None:
    missing = [name for name in HIPS_AUTOGRAD if not hasattr(wnp, name)]
    assert not missing, f"functions HIPS autograd differentiates that wengert.numpy lacks: {missing}"


@pytest.mark.parametrize(
    "function",
    [np.sort, np.median, np.diff, np.gradient, np.trapezoid, np.flipud, np.rot90, np.nan_to_num, np.sinc],
    ids=lambda f: f.__name__,
)
def test_numpy_functions_on_traced_values_dispatch_to_wengert(function: Any) -> None:
    x = np.array([0.3, 1.7, -0.4, 2.2]).reshape(2, 2) if function in (np.flipud, np.rot90) else SAMPLES4
    expected = wg.grad(lambda v: wnp.sum(getattr(wnp, function.__name__)(v) * 1.5))(x)
    actual = wg.grad(lambda v: wnp.sum(function(v) * 1.5))(x)
    np.testing.assert_allclose(actual, expected)


SAMPLES4 = np.array([0.3, 1.7, -0.4, 2.2])


# -- JAX -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jnp() -> Any:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy

    return jax.numpy


SIGNAL = np.array([0.5, 1.5, 0.8, -0.3, 2.0, 1.2, -0.7])
KERNEL = np.array([0.2, -1.1, 0.6])
TIES = np.array([2.0, 1.0, 2.0, 0.5, 2.0, 3.0])
GRID = np.array([0.0, 0.3, 0.5, 1.1, 1.6, 2.0, 2.8])
QUERY_POINTS = np.array([-0.5, 0.0, 0.2, 0.5, 0.7, 2.0, 2.6, 3.0, 3.4])  # knots included

# (name, function of (namespace, *args), args): the same code runs with wengert.numpy and jax.numpy.
JAX_CASES = [
    ("sort", lambda xp, x: xp.sort(x), (SIGNAL,)),
    ("sort ties", lambda xp, x: xp.sort(x), (TIES,)),
    ("sort axis 0", lambda xp, x: xp.sort(x, axis=0), (SIGNAL[:6].reshape(2, 3),)),
    ("median", lambda xp, x: xp.median(x), (SIGNAL,)),
    ("median ties", lambda xp, x: xp.median(x), (TIES,)),
    ("median axis", lambda xp, x: xp.median(x, axis=1), (SIGNAL[:6].reshape(2, 3),)),
    ("quantile", lambda xp, x, q: xp.quantile(x, q), (SIGNAL, 0.37)),
    ("quantile ties", lambda xp, x: xp.quantile(x, xp.array([0.1, 0.5, 0.9])), (TIES,)),
    ("quantile nearest", lambda xp, x: xp.quantile(x, 0.4, method="nearest"), (SIGNAL,)),
    ("quantile midpoint", lambda xp, x: xp.quantile(x, 0.4, method="midpoint"), (SIGNAL,)),
    ("quantile lower", lambda xp, x: xp.quantile(x, 0.4, method="lower"), (SIGNAL,)),
    ("percentile", lambda xp, x, p: xp.percentile(x, p), (SIGNAL, 63.0)),
    ("diff", lambda xp, x: xp.diff(x, n=2, prepend=0.5, append=x[:2]), (SIGNAL,)),
    ("gradient", lambda xp, f: xp.gradient(f, 0.4), (SIGNAL,)),
    ("gradient coordinates", lambda xp, f, x: xp.gradient(f, x), (SIGNAL, GRID)),
    ("trapezoid", lambda xp, y, x: xp.trapezoid(y, x), (SIGNAL, GRID)),
    ("interp", lambda xp, x, fp: xp.interp(x, KNOTS, fp), (QUERY_POINTS, VALUES)),
    ("interp xp", lambda xp, x, p, fp: xp.interp(x, p, fp, left=-1.0, right=0.5), (QUERY_POINTS + 0.01, KNOTS, VALUES)),
    ("interp period", lambda xp, x, fp: xp.interp(x, KNOTS, fp, period=3.5), (QUERY_POINTS + 0.07, VALUES)),
    ("cross", lambda xp, a, b: xp.cross(a, b), (SIGNAL[:6].reshape(2, 3), KERNEL)),
    ("kron", lambda xp, a, b: xp.kron(a, b), (SIGNAL[:6].reshape(2, 3), KERNEL[:2].reshape(2, 1))),
    ("convolve", lambda xp, a, v: xp.convolve(a, v), (SIGNAL, KERNEL)),
    ("convolve same", lambda xp, a, v: xp.convolve(a, v, mode="same"), (SIGNAL, KERNEL)),
    ("convolve valid", lambda xp, a, v: xp.convolve(a, v, mode="valid"), (SIGNAL, KERNEL)),
    ("correlate", lambda xp, a, v: xp.correlate(a, v, mode="full"), (SIGNAL, KERNEL)),
    ("correlate same", lambda xp, a, v: xp.correlate(a, v, mode="same"), (KERNEL, SIGNAL)),
    ("polyval", lambda xp, p, x: xp.polyval(p, x), (KERNEL, SIGNAL)),
    ("sinc", lambda xp, x: xp.sinc(x), (np.array([0.0, 0.3, -1.7]),)),
    ("logaddexp2", lambda xp, a, b: xp.logaddexp2(a, b), (SIGNAL, SIGNAL[::-1])),
    ("deg2rad", lambda xp, x: xp.deg2rad(x) + xp.rad2deg(x), (SIGNAL,)),
    ("nan_to_num", lambda xp, x: xp.nan_to_num(x * xp.array([1.0, np.inf, 1.0, 1.0, 1.0, 1.0, 1.0])), (SIGNAL,)),
    ("select", lambda xp, x: xp.select([x < 0, x > 1], [x * 2.0, x**2], x), (SIGNAL,)),
    ("rot90", lambda xp, x: xp.rot90(x, 3), (SIGNAL[:6].reshape(2, 3),)),
    ("flipud fliplr", lambda xp, x: xp.flipud(xp.fliplr(x)), (SIGNAL[:6].reshape(2, 3),)),
    ("append", lambda xp, x: xp.append(x, x[:2] * 3.0), (SIGNAL,)),
    ("linspace", lambda xp, a, b: xp.linspace(a, b, 6), (0.3, 2.1)),
    ("full_like", lambda xp, v: xp.full_like(SIGNAL, v), (0.4,)),
    ("cumsum", lambda xp, x: xp.cumsum(x) * xp.cumprod(x), (SIGNAL,)),
]


def _jax_logsumexp(xp: Any) -> Any:
    if xp is wnp:
        return wnp.logsumexp
    import jax.scipy.special

    return jax.scipy.special.logsumexp


JAX_CASES += [
    ("logsumexp b", lambda xp, a, b: _jax_logsumexp(xp)(a, b=b), (SIGNAL, np.abs(SIGNAL) + 0.1)),
    ("logsumexp sign", lambda xp, a, b: _jax_logsumexp(xp)(a, b=b, return_sign=True)[0], (SIGNAL, SIGNAL)),
]


@pytest.mark.parametrize(("code", "args"), [pytest.param(c, a, id=n) for n, c, a in JAX_CASES])
def test_values_and_gradients_match_jax(jnp: Any, code: Any, args: tuple) -> None:
    import jax

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = code(wnp, *args)
        theirs = np.asarray(code(jnp, *args))
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)
        weights = np.cos(np.arange(np.size(theirs)) + 0.5).reshape(np.shape(theirs))
        argnums = tuple(range(len(args)))
        our_gradients = wg.grad(lambda *a: wnp.sum(code(wnp, *a) * weights), argnums=argnums)(*args)
        their_gradients = jax.grad(lambda *a: jnp.sum(code(jnp, *a) * weights), argnums=argnums)(*args)
    for mine, reference in zip(our_gradients, their_gradients):
        np.testing.assert_allclose(mine, np.asarray(reference), rtol=1e-10, atol=1e-12)
