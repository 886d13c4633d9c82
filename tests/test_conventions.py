"""DESIGN.md's derivative conventions, each a value checked in forward (jvp) and reverse (grad) mode.

Kinks get the zero subgradient or split ties equally; the stable primitives stay finite
at the extremes of the float range; the branch that ``where`` does not select cannot
poison the gradient; broadcasting is undone in the VJP; piecewise-constant functions
have zero derivatives; comparisons give plain boolean arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core import Tracer


def forward_gradient(function: Callable[[Any], Any], x: Any) -> Any:
    """The gradient of a scalar function by forward mode: one JVP per input element."""
    if type(x) is float:
        return float(wg.jvp(function, (x,), (1.0,))[1])
    x = np.asarray(x, dtype=float)
    gradient = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        basis = np.zeros_like(x)
        basis[i] = 1.0
        gradient[i] = wg.jvp(function, (x,), (basis,))[1]
    return gradient


MODES = {"forward": forward_gradient, "reverse": lambda function, x: wg.grad(function)(x)}


@pytest.fixture(params=sorted(MODES))
def gradient(request: pytest.FixtureRequest) -> Callable[[Callable[[Any], Any], Any], Any]:
    """The gradient in forward mode (jvp) and in reverse mode (grad): every test runs in both."""
    return MODES[request.param]


def second_derivative(function: Callable[[float], Any], x: float) -> float:
    """f''(x) by forward over reverse (the JVP of the gradient)."""
    return float(wg.jvp(wg.grad(function), (x,), (1.0,))[1])


def assert_exact(actual: Any, expected: Any) -> None:
    assert np.all(np.isfinite(actual)), f"not finite: {actual!r}"
    np.testing.assert_array_equal(actual, expected)


# -- subgradients at kinks -----------------------------------------------------------------------


def test_relu_has_zero_derivative_at_zero(gradient) -> None:
    assert_exact(gradient(wnp.relu, 0.0), 0.0)
    assert_exact(gradient(lambda x: wnp.sum(wnp.relu(x)), np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])


def test_abs_has_zero_derivative_at_zero(gradient) -> None:
    assert_exact(gradient(wnp.abs, 0.0), 0.0)
    assert_exact(gradient(lambda x: wnp.sum(wnp.abs(x)), np.array([-1.0, 0.0, 2.0])), [-1.0, 0.0, 1.0])


def test_sqrt_has_zero_derivative_at_zero_not_inf(gradient) -> None:
    assert_exact(gradient(wnp.sqrt, 0.0), 0.0)
    assert_exact(gradient(lambda x: wnp.sum(wnp.sqrt(x)), np.array([0.0, 4.0])), [0.0, 0.25])


def test_std_of_a_constant_has_zero_gradient(gradient) -> None:
    """std = sqrt(var) at var = 0: the zero subgradient, not NaN."""
    assert_exact(gradient(wnp.std, np.ones(3)), np.zeros(3))


def test_sqrt_under_where_is_zero_at_zero(gradient) -> None:
    assert gradient(lambda x: wnp.where(x > 0, wnp.sqrt(x), 0.0), 0.0) == 0.0
    guarded = lambda x: wnp.sum(wnp.where(x > 0, wnp.sqrt(x), 0.0))  # noqa: E731
    assert_exact(gradient(guarded, np.array([0.0, 4.0])), [0.0, 0.25])


@pytest.mark.parametrize(
    "function, x, expected",
    [
        (lambda x: wnp.where(x > 0, wnp.log(x), 0.0), [0.0, 2.0], [0.0, 0.5]),
        (lambda x: wnp.where(x > 0, x, wnp.expm1(x)), [1000.0, -1.0], [1.0, np.exp(-1.0)]),  # ELU
        (lambda x: wnp.where(x < 700.0, wnp.exp(x), 0.0), [800.0, 0.0], [0.0, 1.0]),
        (lambda x: wnp.where(x != 0, 1.0 / x, 0.0), [0.0, 4.0], [0.0, -0.0625]),
        (lambda x: wnp.where(x > 0, x**0.5, 0.0), [0.0, 4.0], [0.0, 0.25]),
        (lambda x: wnp.where(np.abs(x) < 1, wnp.arctanh(x), 0.0), [1.0, 0.0], [0.0, 1.0]),
        (lambda x: wnp.where(x > 0, wnp.arctan2(x, x), 0.0), [0.0, 1.0], [0.0, 0.0]),
    ],
    ids=["log", "elu", "exp overflow", "reciprocal", "power", "arctanh", "arctan2"],
)
def test_unselected_branch_of_where_cannot_poison_the_gradient(gradient, function, x, expected) -> None:
    """0 · ∞ contributes 0: the zero cotangent of the unselected branch stays zero."""
    with np.errstate(all="ignore"):
        actual = gradient(lambda x: wnp.sum(function(x)), np.array(x))
    np.testing.assert_allclose(actual, expected, rtol=1e-15, atol=0)


def test_double_where_idiom_guards_every_rule(gradient) -> None:
    """The documented idiom for the residual cases: make the unselected input harmless too."""

    def safe_log(x: Any) -> Any:
        positive = x > 0
        return wnp.where(positive, wnp.log(wnp.where(positive, x, 1.0)), 0.0)

    assert_exact(gradient(lambda x: wnp.sum(safe_log(x)), np.array([0.0, -1.0, 2.0])), [0.0, 0.0, 0.5])


# -- ties split the derivative equally -----------------------------------------------------------


def test_max_tie_splits_the_gradient(gradient) -> None:
    assert_exact(gradient(wnp.max, np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5])
    assert_exact(gradient(wnp.amax, np.array([3.0, 3.0, 3.0, 1.0])), [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_min_tie_splits_the_gradient(gradient) -> None:
    assert_exact(gradient(wnp.min, np.array([1.0, 3.0, 1.0])), [0.5, 0.0, 0.5])


def test_max_along_an_axis_splits_ties_per_row(gradient) -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    expected = [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]
    assert_exact(gradient(lambda x: wnp.sum(wnp.max(x, axis=1)), x), expected)
    assert_exact(gradient(lambda x: wnp.sum(wnp.max(x, axis=-1, keepdims=True)), x), expected)


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_elementwise_extremum_tie_splits_the_gradient(gradient, name) -> None:
    function = getattr(wnp, name)
    assert_exact(gradient(lambda x: function(x, 2.0), 2.0), 0.5)
    assert_exact(gradient(lambda y: function(2.0, y), 2.0), 0.5)
    assert_exact(gradient(lambda x: function(x, x), 2.0), 1.0)  # both halves reach x
    picks_larger = name in ("maximum", "fmax")
    ties = lambda x: wnp.sum(function(x, np.array([1.0, 2.0, 3.0])))  # noqa: E731
    expected = [0.5, 1.0 if picks_larger else 0.0, 0.0 if picks_larger else 1.0]
    assert_exact(gradient(ties, np.array([1.0, 5.0, 0.0])), expected)


# -- stable primitives -----------------------------------------------------------------------------

HUGE = 1e308


@pytest.mark.parametrize(
    "x, value, expected_gradient",
    [
        ([HUGE, HUGE], HUGE, [0.5, 0.5]),
        ([-HUGE, -HUGE], -HUGE, [0.5, 0.5]),
        ([HUGE, -HUGE], HUGE, [1.0, 0.0]),
        ([0.0, -np.inf], 0.0, [1.0, 0.0]),
        ([np.log(3.0), -np.inf, 0.0], np.log(4.0), [0.75, 0.0, 0.25]),
        ([-np.inf, -np.inf], -np.inf, [0.0, 0.0]),  # constant -inf nearby: a zero derivative
    ],
    ids=["+1e308", "-1e308", "mixed", "-inf", "-inf among others", "all -inf"],
)
def test_logsumexp_is_finite_at_the_extremes(gradient, x, value, expected_gradient) -> None:
    x = np.array(x)
    assert np.isfinite(wnp.logsumexp(x)) or value == -np.inf
    np.testing.assert_allclose(wnp.logsumexp(x), value, rtol=1e-15)
    actual = gradient(wnp.logsumexp, x)
    assert np.all(np.isfinite(actual))
    np.testing.assert_allclose(actual, expected_gradient, rtol=1e-15, atol=1e-300)


def test_logsumexp_of_a_fully_masked_row_has_zero_gradient(gradient) -> None:
    """Attention-style masking: a row of -inf gives -inf, and no NaN reaches the other rows."""
    x = np.array([[0.0, -np.inf], [-np.inf, -np.inf], [np.log(3.0), 0.0]])
    np.testing.assert_array_equal(wnp.logsumexp(x, axis=1), [0.0, -np.inf, np.log(4.0)])
    actual = gradient(lambda x: wnp.logsumexp(x, axis=1)[0] + wnp.logsumexp(x, axis=1)[2], x)
    np.testing.assert_allclose(actual, [[1.0, 0.0], [0.0, 0.0], [0.75, 0.25]], rtol=1e-15)


@pytest.mark.parametrize(
    "x, probabilities",
    [
        ([HUGE, 0.0, -HUGE / 2], [1.0, 0.0, 0.0]),
        ([HUGE, HUGE], [0.5, 0.5]),
        ([0.0, -np.inf, np.log(3.0)], [0.25, 0.0, 0.75]),
    ],
    ids=["1e308 and -5e307", "1e308 twice", "-inf"],
)
def test_log_softmax_is_finite_at_the_extremes(gradient, x, probabilities) -> None:
    """Finite value wherever the input is finite; a finite gradient everywhere."""
    x = np.array(x)
    weights = np.array([1.0, 2.0, 3.0])[: len(x)]
    out = wnp.log_softmax(x)
    finite = np.isfinite(x)
    assert np.all(np.isfinite(out[finite])) and np.all(out[~finite] == -np.inf)
    np.testing.assert_allclose(wnp.softmax(x), probabilities, rtol=1e-15, atol=1e-300)
    likely = np.array(probabilities) > 0.1  # log_softmax([1e308, 1e308]) is -log 2, not 0
    np.testing.assert_allclose(out[likely], np.log(probabilities)[likely], rtol=1e-15)
    actual = gradient(lambda x: wnp.sum(wnp.log_softmax(x) * weights), x)
    expected = weights - np.array(probabilities) * weights.sum()  # w - softmax(x) Σw
    assert np.all(np.isfinite(actual))
    np.testing.assert_allclose(actual, expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize(
    "name, x, value, derivative",
    [
        ("softplus", 1000.0, 1000.0, 1.0),
        ("softplus", -1000.0, 0.0, 0.0),
        ("sigmoid", 1000.0, 1.0, 0.0),
        ("sigmoid", -1000.0, 0.0, 0.0),
        ("logaddexp", 1000.0, 1000.0, 1.0),  # logaddexp(x, -x)
        ("logaddexp", -1000.0, 1000.0, -1.0),
    ],
)
def test_stable_functions_are_finite_at_1000(gradient, name, x, value, derivative) -> None:
    function = getattr(wnp, name)
    if name == "logaddexp":
        function = lambda x: wnp.logaddexp(x, -x)  # noqa: E731
    assert np.isfinite(function(x)) and np.isclose(function(x), value, rtol=1e-15, atol=0)
    actual = gradient(function, x)
    assert np.isfinite(actual) and np.isclose(actual, derivative, rtol=1e-15, atol=0)
    assert np.isfinite(second_derivative(function, x))


@pytest.mark.parametrize("x", [1000.0, 1e308, -1e308])
def test_logaddexp_of_equal_arguments_splits_evenly(gradient, x) -> None:
    assert np.isclose(wnp.logaddexp(x, x), x + np.log(2.0), rtol=1e-15)
    assert gradient(lambda a: wnp.logaddexp(a, x), x) == 0.5
    assert gradient(lambda b: wnp.logaddexp(x, b), x) == 0.5


def test_xlogy_is_zero_at_the_origin_with_a_finite_gradient(gradient) -> None:
    assert wnp.xlogy(0.0, 0.0) == 0.0
    assert_exact(gradient(lambda x: wnp.xlogy(x, 0.0), 0.0), 0.0)
    assert_exact(gradient(lambda y: wnp.xlogy(0.0, y), 0.0), 0.0)
    assert_exact(gradient(lambda x: wnp.xlogy(x, x), 0.0), 0.0)
    # Away from the origin the rules are the true derivatives, even where x == 0.
    assert np.isclose(gradient(lambda x: wnp.xlogy(x, 2.0), 0.0), np.log(2.0), rtol=1e-15)
    assert_exact(gradient(lambda y: wnp.xlogy(0.0, y), 2.0), 0.0)


def test_xlogy_gradient_in_both_arguments_at_zero_entries(gradient) -> None:
    x, y = np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 4.0])
    assert_exact(gradient(lambda x: wnp.sum(wnp.xlogy(x, y)), x), [0.0, np.log(3.0), np.log(4.0)])
    assert_exact(gradient(lambda y: wnp.sum(wnp.xlogy(x, y)), y), [0.0, 0.0, 0.5])


# -- broadcasting is undone ------------------------------------------------------------------------


def test_vjp_sums_over_broadcast_axes() -> None:
    a, b = np.arange(3.0).reshape(3, 1), np.arange(4.0).reshape(1, 4)
    grad_a, grad_b = wg.grad(lambda a, b: wnp.sum(a * b), argnums=(0, 1))(a, b)
    assert grad_a.shape == (3, 1) and grad_b.shape == (1, 4)
    np.testing.assert_array_equal(grad_a, np.full((3, 1), b.sum()))
    np.testing.assert_array_equal(grad_b, np.full((1, 4), a.sum()))


@pytest.mark.parametrize(
    "scalar", [2.0, np.array(2.0), np.array([2.0]), np.array([[2.0]])], ids=["float", "0d", "1", "1x1"]
)
def test_scalar_like_inputs_get_gradients_of_their_own_shape(scalar) -> None:
    matrix = np.arange(6.0).reshape(2, 3)
    gradient = wg.grad(lambda s: wnp.sum(s * matrix))(scalar)
    assert np.shape(gradient) == np.shape(scalar)
    assert type(gradient) is float if type(scalar) is float else isinstance(gradient, np.ndarray)
    np.testing.assert_array_equal(gradient, np.full(np.shape(scalar), matrix.sum()))


def test_jvp_broadcasts_tangents_to_the_output_shape() -> None:
    a, b = np.ones((3, 1)), np.ones(4)
    out, tangent = wg.jvp(lambda a, b: a + b, (a, b), (np.full((3, 1), 2.0), np.zeros(4)))
    assert tangent.shape == out.shape == (3, 4)
    np.testing.assert_array_equal(tangent, np.full((3, 4), 2.0))


# -- piecewise-constant functions and comparisons ------------------------------------------------


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "rint", "trunc", "sign"])
def test_piecewise_constant_functions_have_zero_derivative(gradient, name) -> None:
    function = getattr(wnp, name)
    assert_exact(gradient(function, 2.5), 0.0)
    assert_exact(gradient(lambda x: wnp.sum(function(x)), np.array([-1.5, 0.3, 2.7])), np.zeros(3))
    # In a product the other factor still carries its derivative: d/dx x·floor(x) = floor(x).
    assert_exact(gradient(lambda x: x * function(x), 2.5), float(getattr(np, name)(2.5)))


@pytest.mark.parametrize("compare", [wnp.less, wnp.greater_equal, wnp.equal, lambda a, b: a > b, lambda a, b: a != b])
def test_comparisons_give_plain_booleans_under_differentiation(compare) -> None:
    seen = []

    def function(x: Any) -> Any:
        condition = compare(x, 1.0)
        seen.append(condition)
        return wnp.sum(wnp.where(condition, x, 2.0 * x))

    x = np.array([0.5, 1.0, 1.5])
    wg.grad(function)(x)
    wg.jvp(function, (x,), (np.ones(3),))
    for condition in seen:
        assert not isinstance(condition, Tracer)
        assert isinstance(condition, np.ndarray) and condition.dtype == bool
        np.testing.assert_array_equal(condition, compare(x, 1.0))


def test_a_comparison_is_not_differentiable() -> None:
    with pytest.raises(TypeError, match="floating-point output"):
        wg.grad(lambda x: x > 0.0)(1.0)
    _, tangent = wg.jvp(lambda x: x > 0.0, (np.array([1.0, -1.0]),), (np.ones(2),))
    assert not np.any(tangent)


def test_comparison_of_tensors_does_not_require_grad() -> None:
    x = wg.tensor([0.5, 2.0], requires_grad=True)
    condition = x > 1.0
    assert not condition.requires_grad
    np.testing.assert_array_equal(np.asarray(condition.primal), [False, True])


def test_a_fractional_power_of_a_negative_python_float_is_nan_as_in_numpy_not_complex():
    with np.errstate(invalid="ignore"):
        assert np.isnan(wnp.power(-1.0, 0.5)) and np.isnan(np.power(-1.0, 0.5))
        assert np.isnan(wg.grad(lambda x: x**0.5)(-1.0))
        value, tangent = wg.jvp(lambda x: x**0.5, (-1.0,), (1.0,))
        assert np.isnan(value) and np.isnan(tangent) and isinstance(tangent, (float, np.floating))
    assert wg.grad(wg.grad(lambda x: x**2.5))(2.0) == pytest.approx(2.5 * 1.5 * 2.0**0.5, rel=1e-15)
