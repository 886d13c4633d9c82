"""tanh's fused second-order Taylor step (`wengert.numpy.second_order_steps`) against its composition.

The fused primitives compute in chunks of plain NumPy what `_step_composed` and `_vjp_composed`
write in wengert operations; these tests hold the two to each other (values, cotangents, every
layout and broadcast the trace produces), hold the composition to finite differences, and check
that the step is what second-order Taylor mode runs through tanh, in eager mode and under jit.
Every test runs twice: with the compiled loops of `fused_kernels` (where Numba is installed) and
with the chunked NumPy alone.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy import fused_kernels
from wengert.numpy import second_order_steps as steps
from wengert.testing import check_grads

RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def loops(request):
    """The compiled loops on (skipped without Numba), or off."""
    if request.param == "compiled":
        pytest.importorskip("numba")
    previous = fused_kernels.use_compiled(request.param == "compiled")
    yield request.param
    fused_kernels.use_compiled(previous)


WAVE = (((0, 0, -1.0), (1, 1, 1.0)),)  # u_tt − u_xx: one stream, two squares of opposite signs
TWO_STREAMS = (((0, 0, 1.0),), ((0, 1, 0.5), (1, 1, 2.0)))  # a square, and a mixed term with a square
EMPTY_STREAM = (((0, 0, 1.0),), ())  # a stream without terms carries ẍ alone
ZERO_FIRST = (((0, 0, 0.0), (0, 1, 3.0)),)  # a zero coefficient ahead of the others

# (y shape, first shape, second shape or None): plain, a first layer's broadcast row, no ẍ, a scalar
SHAPES = [
    ((7, 5), (2, 7, 5), (1, 7, 5)),
    ((7, 5), (2, 1, 5), None),
    ((7, 5), (2, 5), (1, 7, 5)),  # directions of one axis fewer: their cotangents sum over the points (review)
    ((300, 70), (2, 300, 70), (1, 300, 70)),  # several chunks
    ((6,), (2, 6), (1, 6)),
    ((), (2,), (1,)),
]


def _arguments(y_shape, first_shape, second_shape, streams=1, dtype=np.float64):
    y = np.tanh(RNG.standard_normal(y_shape)).astype(dtype)
    first = RNG.standard_normal(first_shape).astype(dtype)
    second = None if second_shape is None else RNG.standard_normal((streams, *second_shape[1:])).astype(dtype)
    return y, first, second


def _composed(y, first, second, terms):
    args = (y, first) if second is None else (y, first, second)
    return np.asarray(steps._step_composed(*args, terms=terms))


@pytest.mark.parametrize("terms", [WAVE, TWO_STREAMS, EMPTY_STREAM, ZERO_FIRST], ids=["wave", "two", "empty", "zero"])
@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: "x".join(map(str, s[0])) or "scalar")
def test_the_fused_step_and_its_cotangents_equal_the_composition(shapes, terms):
    y, first, second = _arguments(*shapes, streams=len(terms))
    fused = steps.tanh_second_order(y, first, second, terms=terms)
    np.testing.assert_allclose(fused, _composed(y, first, second, terms), rtol=1e-13, atol=1e-13)
    cotangent = RNG.standard_normal(fused.shape)
    args = (y, first) if second is None else (y, first, second)
    fused_bars = steps._step_vjp(cotangent, fused, *args, terms=terms)
    _, pull_back = wg.vjp(lambda *values: steps._step_composed(*values, terms=terms), *args)
    for got, want, arg in zip(fused_bars, pull_back(cotangent), args):
        assert np.shape(got) == np.shape(arg)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_composition_matches_finite_differences_and_its_formula():
    y, first, second = _arguments((4, 3), (2, 4, 3), (2, 4, 3), streams=2)
    slope = 1 - y**2
    quadratic = [-(first[0] ** 2) + first[1] ** 2, 0.5 * first[0] * first[1] + 2.0 * first[1] ** 2]
    expected = np.stack([slope * (second[0] - 2 * y * quadratic[0]), slope * (second[1] - 2 * y * quadratic[1])])
    terms = (WAVE[0], TWO_STREAMS[1])
    np.testing.assert_allclose(_composed(y, first, second, terms), expected, rtol=1e-14)
    check_grads(lambda a, b, c: steps._step_composed(a, b, c, terms=terms), (y, first, second), order=2)


def test_column_major_stacks_float32_and_out_keep_their_layout_and_values():
    y, first, second = _arguments((1200, 128), (2, 1200, 128), (1, 1200, 128))
    columns = np.empty((128, 2 * 1200)).T.reshape(2, 1200, 128)  # stacked_product's layout
    columns[...] = first
    fused = steps.tanh_second_order(y, columns, second, terms=WAVE)
    np.testing.assert_allclose(fused, _composed(y, first, second, WAVE), rtol=1e-13, atol=1e-13)
    assert fused.strides[1] == fused.itemsize  # written in the stack's order
    out = np.full((1, 1200, 128), np.nan)
    assert steps._forward_impl(y, first, second, terms=WAVE, out=out) is out
    np.testing.assert_allclose(out, fused, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="out= has shape"):
        steps._forward_impl(y, first, second, terms=WAVE, out=np.empty((2, 1200, 128)))
    single = steps.tanh_second_order(*_arguments((50, 8), (2, 50, 8), (1, 50, 8), dtype=np.float32), terms=WAVE)
    assert single.dtype == np.float32


def test_vmap_of_the_step_and_of_its_vjp_equals_a_loop():
    y, first = np.tanh(RNG.standard_normal((5, 4, 3))), RNG.standard_normal((5, 2, 4, 3))
    second = RNG.standard_normal((5, 1, 4, 3))
    batched = wg.vmap(lambda a, b, c: steps.tanh_second_order(a, b, c, terms=WAVE))(y, first, second)
    looped = np.stack([steps.tanh_second_order(a, b, c, terms=WAVE) for a, b, c in zip(y, first, second)])
    np.testing.assert_allclose(batched, looped, rtol=1e-13)
    shared = first[0, :, :1]  # unbatched directions, broadcast over the points
    batched = wg.vmap(lambda a: steps.tanh_second_order(a, shared, terms=WAVE))(y)
    looped = np.stack([steps.tanh_second_order(a, shared, terms=WAVE) for a in y])
    np.testing.assert_allclose(batched, looped, rtol=1e-13)
    cotangent = RNG.standard_normal((5, 1, 4, 3))
    vjp = lambda g, a, b, c: steps.tanh_second_order_vjp_p.bind(g, a, b, c, terms=WAVE)  # noqa: E731
    batched = wg.vmap(vjp)(cotangent, y, first, second)
    looped = np.stack([steps._vjp_numpy(g, a, b, c, WAVE) for g, a, b, c in zip(cotangent, y, first, second)])
    np.testing.assert_allclose(batched, looped, rtol=1e-13)


def _network(x, weights):
    h = x
    for w in weights[:-1]:
        h = wnp.tanh(h @ w)
    return wnp.sum(h @ weights[-1])


WEIGHTS = [RNG.standard_normal((3, 8)) * 0.7, RNG.standard_normal((8, 8)) * 0.5, RNG.standard_normal((8, 1))]


def _laplacian_loss(weights, points):
    return wnp.sum(wg.vmap(wg.laplacian(lambda p: _network(p, weights)))(points) ** 2)


def _hessian_loss(weights, points):
    return sum(wnp.trace(wg.hessian(lambda p: _network(p, weights))(p)) ** 2 for p in points)


def test_second_order_taylor_mode_runs_through_the_fused_step(monkeypatch, loops):
    """Eager mode takes the fused step; jit takes it with the compiled loops, and without them the
    composed step, whose operations jit runs in place (measured as fast or faster there)."""
    calls = []
    forward, vjp = steps._forward_numpy, steps._vjp_numpy
    monkeypatch.setattr(steps, "_forward_numpy", lambda *a: calls.append("step") or forward(*a))
    monkeypatch.setattr(steps, "_vjp_numpy", lambda *a: calls.append("vjp") or vjp(*a))
    points = RNG.standard_normal((4, 3))
    gradient = wg.grad(_laplacian_loss)(WEIGHTS, points)
    assert "step" in calls and "vjp" in calls
    expected = wg.grad(_hessian_loss)(WEIGHTS, points)
    for got, want in zip(gradient, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    source = wg.jit(wg.grad(_laplacian_loss)).lower(WEIGHTS, points).source
    fused = "tanh_second_order(" in source and "tanh_second_order_vjp(" in source
    assert fused == (loops == "compiled")
    for got, want in zip(wg.jit(wg.grad(_laplacian_loss))(WEIGHTS, points), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_derivatives_through_the_step_nest_to_third_and_fourth_order():
    """Forward over reverse and reverse over reverse through the fused step and its VJP primitive."""
    points = RNG.standard_normal((3, 3))
    direction = [RNG.standard_normal(w.shape) for w in WEIGHTS]
    fused = wg.jvp(lambda w: wg.grad(_laplacian_loss)(w, points), (WEIGHTS,), (direction,))[1]
    plain = wg.jvp(lambda w: wg.grad(_hessian_loss)(w, points), (WEIGHTS,), (direction,))[1]
    for got, want in zip(fused, plain):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)

    def along(loss):
        return lambda w: sum(wnp.sum(g * d) for g, d in zip(wg.grad(loss)(w, points), direction))

    for got, want in zip(wg.grad(along(_laplacian_loss))(WEIGHTS), wg.grad(along(_hessian_loss))(WEIGHTS)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_operators_of_many_terms_keep_the_composed_step(monkeypatch):
    """Beyond `fused_term_limit()` products the composed step's one einsum is faster: the fused step declines."""
    calls = []
    forward = steps._forward_numpy
    monkeypatch.setattr(steps, "_forward_numpy", lambda *a: calls.append("step") or forward(*a))
    limit = steps.fused_term_limit()
    assert limit == (steps.MAX_COMPILED_TERMS if fused_kernels.available() else steps.MAX_FUSED_TERMS)
    for dimension, fused in ((limit, True), (limit + 1, False)):
        calls.clear()
        weights = [RNG.standard_normal((dimension, 8)), RNG.standard_normal((8, 1))]
        point = RNG.standard_normal(dimension)
        laplacian = wg.laplacian(lambda p: _network(p, weights))(point)  # noqa: B023
        assert bool(calls) == fused
        hessian = wg.hessian(lambda p: _network(p, weights))(point)  # noqa: B023
        np.testing.assert_allclose(laplacian, np.trace(hessian), rtol=1e-12)


@pytest.mark.parametrize("dtype, small, large", [(np.float64, 1e-160, 1e160), (np.float32, 1e-20, 1e20)])
def test_coefficients_of_very_different_sizes_keep_the_cotangents_finite(dtype, small, large):
    """A stream whose coefficients differ by more than the dtype's range (found by review: a ratio of two
    coefficients overflowed to inf, and the parameter gradients came out inf and nan without an error)."""
    y, first, second = _arguments((40, 6), (2, 40, 6), (1, 40, 6), dtype=dtype)
    terms = (((0, 0, small), (1, 1, large)),)
    cotangent = RNG.standard_normal((1, 40, 6)).astype(dtype)
    fused = steps._step_vjp(cotangent, None, y, first, second, terms=terms)
    _, pull_back = wg.vjp(lambda *values: steps._step_composed(*values, terms=terms), y, first, second)
    for got, want in zip(fused, pull_back(cotangent)):
        assert np.all(np.isfinite(got))
        if dtype == np.float32:  # ȳ's (6y² − 2)·Q cancels where 6y² ≈ 2: held to the array's scale there
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * float(np.abs(want).max()))
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12)
