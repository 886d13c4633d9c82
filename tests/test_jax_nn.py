"""``wengert.numpy.nn`` against ``jax.nn``: values, first and second derivatives, signatures, refusals."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
import wengert.numpy.nn as jnn

# Kinks (0, ±1, ±3, 6) and far tails (±30) included: the derivatives there are JAX's conventions. Values agree to
# 1e-15 absolutely in the tails: wnp.sigmoid (through tanh) keeps 4 digits of sigmoid(-30) ≈ 9.4e-14, JAX all 16.
POINTS = np.array([-30.0, -7.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, 30.0])
SMOOTH_POINTS = np.array([-2.5, -0.7, 0.3, 1.2, 2.5])

ELEMENTWISE = [
    ("relu", {}),
    ("relu6", {}),
    ("sigmoid", {}),
    ("softplus", {}),
    ("log_sigmoid", {}),
    ("silu", {}),
    ("swish", {}),
    ("tanh", {}),
    ("gelu", {}),
    ("gelu", {"approximate": False}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("selu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("hard_tanh", {}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("soft_sign", {}),
    ("mish", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
]
SMOOTH = {"sigmoid", "softplus", "log_sigmoid", "silu", "swish", "tanh", "gelu", "mish", "squareplus", "selu", "elu"}


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _functions(jax, name: str, kwargs: dict):
    return (lambda x: getattr(jnn, name)(x, **kwargs)), (lambda x: getattr(jax.nn, name)(x, **kwargs))


@pytest.mark.parametrize(("name", "kwargs"), ELEMENTWISE, ids=lambda v: v if isinstance(v, str) else str(v))
def test_values_and_gradients_match_jax(jax, name: str, kwargs: dict) -> None:
    ours, theirs = _functions(jax, name, kwargs)
    np.testing.assert_allclose(ours(POINTS), np.asarray(theirs(POINTS)), rtol=1e-12, atol=1e-15)
    gradient = wg.grad(lambda x: wnp.sum(ours(x)))(POINTS)
    expected = np.asarray(jax.grad(lambda x: jax.numpy.sum(theirs(x)))(POINTS))
    # 1e-13 absolutely: gelu's tanh form at -7 cancels 1 + tanh(-5.6) ≈ 3e-14 in both libraries' rounding.
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-13, err_msg=f"{name}' at {POINTS}")
    for point, slope in zip(POINTS, expected):  # scalars take wengert's Python-float path
        assert wg.grad(ours)(float(point)) == pytest.approx(float(slope), rel=1e-12, abs=1e-13), (name, point)


@pytest.mark.parametrize(("name", "kwargs"), [case for case in ELEMENTWISE if case[0] in SMOOTH], ids=str)
def test_second_derivatives_match_jax(jax, name: str, kwargs: dict) -> None:
    ours, theirs = _functions(jax, name, kwargs)
    for point in SMOOTH_POINTS:
        expected = float(jax.grad(jax.grad(theirs))(point))
        assert float(wg.grad(wg.grad(ours))(float(point))) == pytest.approx(expected, rel=1e-10, abs=1e-14)


def test_float32_stays_float32(jax) -> None:
    x = POINTS.astype(np.float32)
    for name, kwargs in ELEMENTWISE:
        result = getattr(jnn, name)(x, **kwargs)
        assert result.dtype == np.float32, name


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_softmax_and_log_softmax_match_jax(jax, axis) -> None:
    x = np.random.default_rng(0).normal(size=(3, 4)) * 3
    weights = np.random.default_rng(1).normal(size=(3, 4))
    for name in ("softmax", "log_softmax"):
        ours, theirs = getattr(jnn, name), getattr(jax.nn, name)
        np.testing.assert_allclose(ours(x, axis=axis), theirs(x, axis=axis), rtol=1e-12, atol=1e-15)
        gradient = wg.grad(lambda v, f=ours: wnp.sum(f(v, axis=axis) * weights))(x)
        expected = jax.grad(lambda v, f=theirs: jax.numpy.sum(f(v, axis=axis) * weights))(x)
        np.testing.assert_allclose(gradient, expected, rtol=1e-10, atol=1e-14)


def test_masked_softmax_matches_jax(jax) -> None:
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    mask = np.array([[True, False, True], [False, True, True]])
    weights = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    np.testing.assert_allclose(jnn.softmax(x, where=mask), jax.nn.softmax(x, where=mask), rtol=1e-12)
    np.testing.assert_array_equal(jnn.log_softmax(x, where=mask), jax.nn.log_softmax(x, where=mask))
    gradient = wg.grad(lambda v: wnp.sum(jnn.softmax(v, where=mask) * weights))(x)
    expected = jax.grad(lambda v: jax.numpy.sum(jax.nn.softmax(v, where=mask) * weights))(x)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-15)
    assert np.all(gradient[~mask] == 0)


def test_logsumexp_matches_jax(jax) -> None:
    x = np.random.default_rng(2).normal(size=(3, 4))
    b = np.abs(np.random.default_rng(3).normal(size=(3, 4)))
    mask = x > -0.5
    cases = [{}, {"axis": 1}, {"axis": 0, "keepdims": True}, {"b": b, "axis": 1}, {"where": mask, "axis": 1}]
    for kwargs in cases:
        np.testing.assert_allclose(jnn.logsumexp(x, **kwargs), jax.nn.logsumexp(x, **kwargs), rtol=1e-12)
        gradient = wg.grad(lambda v, kw=kwargs: wnp.sum(jnn.logsumexp(v, **kw)))(x)
        expected = jax.grad(lambda v, kw=kwargs: jax.numpy.sum(jax.nn.logsumexp(v, **kw)))(x)
        np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-15, err_msg=str(kwargs))
    value, sign = jnn.logsumexp(x, b=-b, return_sign=True)
    their_value, their_sign = jax.nn.logsumexp(x, b=-b, return_sign=True)
    assert value == pytest.approx(float(their_value), rel=1e-12) and sign == float(their_sign) == -1.0


def test_one_hot_matches_jax(jax) -> None:
    labels = np.array([[0, 3, -1], [2, 1, 7]])
    for kwargs in ({}, {"axis": 0}, {"axis": 1}, {"axis": -2}, {"dtype": np.float32}, {"dtype": np.int32}):
        ours = jnn.one_hot(labels, 4, **kwargs)
        theirs = np.asarray(jax.nn.one_hot(labels, 4, **kwargs))
        np.testing.assert_array_equal(ours, theirs)
        assert ours.shape == theirs.shape
    assert jnn.one_hot(labels, 4).dtype == np.float64  # wengert's default float (JAX's is float32)
    assert jnn.one_hot(np.array(2), 3).tolist() == [0.0, 0.0, 1.0]
    assert jnn.one_hot([0, 1], 0).shape == (2, 0)


def test_one_hot_under_vmap_and_jit() -> None:
    labels = np.array([2, 0, 1])
    expected = np.eye(3)[labels]
    np.testing.assert_array_equal(wg.vmap(lambda label: jnn.one_hot(label, 3))(labels), expected)
    compiled = wg.jit(lambda label: jnn.one_hot(label, 3))
    np.testing.assert_array_equal(compiled(labels), expected)
    np.testing.assert_array_equal(compiled(labels[::-1]), expected[::-1])


def test_one_hot_cross_entropy_gradient() -> None:
    logits = np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    labels = np.array([1, 2])

    def loss(z):
        return -wnp.mean(wnp.sum(jnn.one_hot(labels, 3) * jnn.log_softmax(z), axis=-1))

    expected = (jnn.softmax(logits) - np.eye(3)[labels]) / 2
    np.testing.assert_allclose(wg.grad(loss)(logits), expected, rtol=1e-12)


def test_glu_matches_jax(jax) -> None:
    x = np.random.default_rng(4).normal(size=(2, 6))
    for axis in (-1, 1):
        np.testing.assert_allclose(jnn.glu(x, axis), jax.nn.glu(x, axis), rtol=1e-12)
        gradient = wg.grad(lambda v, a=axis: wnp.sum(jnn.glu(v, a) ** 2))(x)
        expected = jax.grad(lambda v, a=axis: jax.numpy.sum(jax.nn.glu(v, a) ** 2))(x)
        np.testing.assert_allclose(gradient, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="even length"):
        jnn.glu(np.ones((3, 4)), axis=0)


def test_signatures_are_jaxs(jax) -> None:
    """Every name exists in jax.nn with the same parameters and defaults (one_hot's dtype default aside)."""
    for name in jnn.__all__:
        ours = inspect.signature(getattr(jnn, name)).parameters
        theirs = inspect.signature(getattr(jax.nn, name)).parameters
        assert [(p.name, p.kind) for p in ours.values()] == [(p.name, p.kind) for p in theirs.values()], name
        for parameter in ours.values():
            if (name, parameter.name) != ("one_hot", "dtype"):
                assert parameter.default == theirs[parameter.name].default, (name, parameter.name)


def test_the_namespace_is_wnp_nn_and_wnp_is_unchanged() -> None:
    assert wnp.nn is jnn
    assert "nn" not in wnp.__all__
    assert float(wnp.relu(-1.0)) == 0.0 and wnp.softmax is not jnn.softmax


def test_activations_compile_with_jit() -> None:
    x = np.linspace(-4, 4, 9)
    for name, kwargs in ELEMENTWISE:
        function = getattr(jnn, name)
        compiled = wg.jit(lambda v, f=function, kw=kwargs: f(v, **kw))
        np.testing.assert_allclose(compiled(x), function(x, **kwargs), rtol=1e-15, err_msg=name)


def test_refusals_name_the_argument() -> None:
    with pytest.raises(TypeError, match="approximate must be True .* or False"):
        jnn.gelu(1.0, approximate="tanh")
    with pytest.raises(TypeError, match="num_classes must be an int"):
        jnn.one_hot([0, 1], 2.0)
    with pytest.raises(ValueError, match="num_classes must be non-negative"):
        jnn.one_hot([0, 1], -1)
    with pytest.raises(ValueError, match="axis 3 is out of bounds"):
        jnn.one_hot([0, 1], 2, axis=3)
    with pytest.raises(TypeError, match="concrete int"):
        wg.jit(lambda n: jnn.one_hot(np.arange(2), n))(3)


def test_sigmoid_keeps_its_far_negative_tail():
    # 1 / (1 + e^-x) to the last digits where the value is tiny: sigmoid(-30) = 9.357622968839299e-14.
    from wengert.numpy.special import sigmoid

    x = np.array([-700.0, -30.0, -5.0, 0.0, 5.0, 30.0])
    expected = np.array([1.0 / (1.0 + np.exp(700.0)), 9.357622968839299e-14, 1 / (1 + np.exp(5.0)), 0.5])
    np.testing.assert_allclose(sigmoid(x)[:4], expected, rtol=1e-15)
    assert sigmoid(-30.0) == pytest.approx(9.357622968839299e-14, rel=1e-15)
    assert sigmoid(np.float32(-3.0)).dtype == np.float32
