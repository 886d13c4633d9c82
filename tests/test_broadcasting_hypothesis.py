"""Broadcasting, generated: binary ops and where on random broadcast-compatible shapes.

For every pair (or triple) of shapes that NumPy broadcasts together, the gradient of
each argument has that argument's own shape, the JVP has the broadcast shape, and both
agree with central finite differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import check_adjoint, check_grads

SETTINGS = settings(max_examples=30, deadline=None)


def _values(shape: tuple[int, ...], seed: int, positive: bool = False) -> np.ndarray:
    """Values with |x| in [0.5, 2] (distinct almost surely: no ties for maximum)."""
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.5, 2.0, shape)
    return magnitude if positive else magnitude * rng.choice([-1.0, 1.0], shape)


BINARY = {
    "add": wnp.add,
    "subtract": wnp.subtract,
    "multiply": wnp.multiply,
    "divide": wnp.divide,
    "maximum": wnp.maximum,
}


def _check_broadcast_gradients(function: Any, args: tuple, out_shape: tuple[int, ...]) -> None:
    out = function(*args)
    assert np.shape(out) == out_shape
    weights = np.cos(np.arange(np.size(out), dtype=float)).reshape(out_shape)
    gradients = wg.grad(lambda *a: wnp.sum(function(*a) * weights), argnums=tuple(range(len(args))))(*args)
    for gradient, arg in zip(gradients, args):
        assert np.shape(gradient) == np.shape(arg)
    tangents = tuple(np.ones_like(a) for a in args)
    _, tangent_out = wg.jvp(function, args, tangents)
    assert np.shape(tangent_out) == out_shape
    check_grads(function, args, order=1, modes=("fwd", "rev"))
    check_adjoint(function, args)


@SETTINGS
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_undo_broadcasting(name: str, shapes: Any, seed: int) -> None:
    a_shape, b_shape = shapes.input_shapes
    a = _values(a_shape, seed)
    b = _values(b_shape, seed + 1)
    _check_broadcast_gradients(BINARY[name], (a, b), shapes.result_shape)


@SETTINGS
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_where_undoes_broadcasting(shapes: Any, seed: int) -> None:
    condition_shape, x_shape, y_shape = shapes.input_shapes
    condition = np.random.default_rng(seed).random(condition_shape) < 0.5
    x = _values(x_shape, seed + 1)
    y = _values(y_shape, seed + 2)
    _check_broadcast_gradients(lambda x, y: wnp.where(condition, x, y), (x, y), shapes.result_shape)
    # The selected elements' cotangents sum onto each branch's own elements.
    ones = np.ones(shapes.result_shape)
    grad_x, grad_y = wg.grad(lambda x, y: wnp.sum(wnp.where(condition, x, y) * ones), argnums=(0, 1))(x, y)
    counts = np.broadcast_to(condition, shapes.result_shape).astype(float)
    np.testing.assert_array_equal(grad_x, wnp.sum_to(counts, x_shape))
    np.testing.assert_array_equal(grad_y, wnp.sum_to(1.0 - counts, y_shape))


@SETTINGS
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_python_float_and_0d_partners_broadcast(shapes: Any, seed: int) -> None:
    """A Python float or 0-d array against an array: its gradient is a float / 0-d array."""
    array = _values(shapes.input_shapes[0], seed)
    for scalar in (1.3, np.array(-0.7)):
        for name, function in BINARY.items():
            gradient = wg.grad(lambda s: wnp.sum(function(s, array)))(scalar)
            assert type(gradient) is float if type(scalar) is float else np.shape(gradient) == (), name
            check_grads(lambda s: function(s, array), (scalar,), order=1)
