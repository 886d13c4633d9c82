"""Index updates: ``x.at[index].set/add/subtract/multiply/min/max/get``, ``wnp.at(x)``, ``index_update``, ``add_at``.

Values are checked against NumPy written one update after another (so for ``set``
the last write to an element wins); derivatives against finite differences to
second order in forward and reverse mode, and the JVP and VJP against each other
(the adjoint identity). The conventions for an index that selects an element more
than once are stated in numbers. Then: vmap (with an index that varies across the
batch too), float32, dual numbers, the Tensor dialect (item assignment recorded on
the tape, with version counting), JAX's ``.at`` where JAX is installed, and the
scatter-add behind every integer-index VJP against ``np.add.at``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy.indexing import add_at
from wengert.testing import check_adjoint, check_grads

RNG = np.random.default_rng(20240611)
X = RNG.uniform(0.5, 2.0, (4, 5)) * np.where(RNG.random((4, 5)) < 0.5, -1.0, 1.0)
MASK = X > 0

INDICES = {
    "int": 2,
    "negative int": -1,
    "slice": np.s_[1:3],
    "int,slice": np.s_[1, ::2],
    "ellipsis": np.s_[..., 1],
    "newaxis": np.s_[None, 2],
    "mask": MASK,
    "row mask": np.array([True, False, True, True]),
    "repeated rows": np.array([0, 2, 0, 0]),
    "repeated pairs": (np.array([1, 1, 3, 1]), np.array([4, 4, 0, -1])),
    "slice,repeated columns": np.s_[:, [3, 1, 3]],
    "broadcast arrays": (np.array([[0], [0]]), np.array([1, 1, 2])),
    "list": [3, 3],
}
UPDATES = ["set", "add", "subtract", "multiply", "min", "max"]
# A selection of index kinds for the (slower) derivative checks: basic, mask, and repeats.
DERIVATIVE_INDICES = ["int,slice", "newaxis", "mask", "repeated rows", "repeated pairs", "slice,repeated columns"]


def reference(operation: str, x: np.ndarray, index: Any, values: Any) -> np.ndarray:
    """The update in plain NumPy, one write after another in the C order of the selection."""
    if operation == "get":
        return x[index]
    targets = np.arange(x.size).reshape(x.shape)[index]
    values = np.broadcast_to(values, targets.shape)
    out = np.array(x, dtype=float).reshape(-1)
    for target, value in zip(targets.reshape(-1), values.reshape(-1)):
        if operation == "set":
            out[target] = value
        elif operation == "add":
            out[target] += value
        elif operation == "subtract":
            out[target] -= value
        elif operation == "multiply":
            out[target] *= value
        elif operation == "min":
            out[target] = min(out[target], value)
        else:
            out[target] = max(out[target], value)
    return out.reshape(x.shape)


def updates_for(x: np.ndarray, index: Any, seed: int = 0) -> np.ndarray:
    """Update values of the selection's shape, in [0.5, 2] in magnitude (no ties with x, no zeros)."""
    rng = np.random.default_rng(seed)
    shape = x[index].shape
    return rng.uniform(0.5, 2.0, shape) * np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def update(x: Any, index: Any, operation: str, values: Any = None) -> Any:
    ref = x.at[index] if isinstance(x, wg.core.Tracer) else wnp.at(x)[index]
    return ref.get() if operation == "get" else getattr(ref, operation)(values)


# -- values --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index_name", list(INDICES))
@pytest.mark.parametrize("operation", [*UPDATES, "get"])
def test_values_match_numpy_one_write_after_another(operation: str, index_name: str) -> None:
    index = INDICES[index_name]
    values = updates_for(X, index)
    out = update(X, index, operation, values)
    # add and multiply combine an element's updates first, then apply them: equal up to rounding.
    np.testing.assert_allclose(out, reference(operation, X, index, values), rtol=1e-14, atol=1e-15)
    assert isinstance(out, np.ndarray)


def test_x_is_left_unchanged() -> None:
    x = X.copy()
    wnp.at(x)[0].set(1.0)
    wnp.at(x)[np.array([0, 0])].add(1.0)
    np.testing.assert_array_equal(x, X)


def test_values_broadcast_to_the_selection() -> None:
    np.testing.assert_array_equal(wnp.at(np.zeros((2, 3)))[:, 1].set(5.0), [[0, 5, 0], [0, 5, 0]])
    np.testing.assert_array_equal(wnp.at(np.zeros((2, 3)))[0].add(np.array([[1.0, 2.0, 3.0]])), [[1, 2, 3], [0, 0, 0]])
    np.testing.assert_array_equal(wnp.at(np.ones(3))[np.array([0, 0])].multiply(2.0), [4, 1, 1])


def test_index_update_keeps_the_last_write() -> None:
    np.testing.assert_array_equal(wnp.index_update(np.zeros(3), np.array([1.0, 2.0]), np.array([0, 0])), [2, 0, 0])
    rows = wnp.index_update(np.zeros((2, 2)), np.array([[1.0], [2.0]]), [1, 1])
    np.testing.assert_array_equal(rows, [[0, 0], [2, 2]])


# -- derivatives ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("index_name", DERIVATIVE_INDICES)
@pytest.mark.parametrize("operation", UPDATES)
def test_derivatives_in_x_and_values_to_second_order(operation: str, index_name: str) -> None:
    index = INDICES[index_name]
    values = updates_for(X, index, seed=1)

    def f(x: Any, v: Any) -> Any:
        return wnp.sin(update(x, index, operation, v * v)) * x

    check_grads(f, (X, values), order=2, modes=("fwd", "rev"))
    check_adjoint(lambda x, v: update(x, index, operation, v), (X, values))


def test_get_is_differentiable() -> None:
    check_grads(lambda x: update(x, INDICES["repeated pairs"], "get") ** 2, (X,), order=2)


def test_the_issue_item_assignment_pattern_written_with_at() -> None:
    def f(x: Any) -> Any:
        y = wnp.at(np.zeros(3))[0].set(x)
        y = y.at[1].set(x**2)
        return wnp.sum(y)

    assert wg.grad(f)(3.0) == 7.0


# -- repeated indices: the conventions in numbers -------------------------------------------------------

REPEATS = np.array([0, 2, 0])
WEIGHTS = np.array([1.0, 10.0, 100.0])


def gradients(operation: str, x: np.ndarray, values: np.ndarray, index: Any = REPEATS) -> tuple:
    return wg.grad(lambda x, v: wnp.sum(update(x, index, operation, v) * WEIGHTS), argnums=(0, 1))(x, values)


def test_set_sends_the_cotangent_to_the_last_write_only() -> None:
    x_grad, v_grad = gradients("set", np.zeros(3), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x_grad, [0.0, 10.0, 0.0])
    np.testing.assert_array_equal(v_grad, [0.0, 100.0, 1.0])


def test_add_sends_the_cotangent_to_every_repeat() -> None:
    x_grad, v_grad = gradients("add", np.zeros(3), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x_grad, WEIGHTS)
    np.testing.assert_array_equal(v_grad, [1.0, 100.0, 1.0])


def test_multiply_differentiates_the_product_of_every_repeat() -> None:
    x = np.array([2.0, 3.0, 4.0])
    x_grad, v_grad = gradients("multiply", x, np.array([5.0, 7.0, 11.0]))
    np.testing.assert_array_equal(x_grad, [55.0, 10.0, 700.0])
    np.testing.assert_array_equal(v_grad, [22.0, 400.0, 10.0])
    # A zero among the repeats: the product of the others, exactly (no division by the zero).
    x_grad, v_grad = gradients("multiply", x, np.array([0.0, 7.0, 11.0]))
    np.testing.assert_array_equal(x_grad, [0.0, 10.0, 700.0])
    np.testing.assert_array_equal(v_grad, [22.0, 400.0, 0.0])


def test_max_and_min_ties_share_the_cotangent_equally_with_x() -> None:
    # x[0] and both of its updates tie: a third each (JAX gives the same).
    x_grad, v_grad = gradients("max", np.array([1.0, 5.0, 2.0]), np.array([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(x_grad, [1 / 3, 10.0, 100.0], rtol=1e-15)
    np.testing.assert_allclose(v_grad, [1 / 3, 0.0, 1 / 3], rtol=1e-15)
    x_grad, v_grad = gradients("min", np.array([1.0, 5.0, 2.0]), np.array([1.0, 1.0, 1.0]), np.array([0, 0, 0]))
    np.testing.assert_allclose(x_grad, [0.25, 10.0, 100.0], rtol=1e-15)
    np.testing.assert_allclose(v_grad, [0.25, 0.25, 0.25], rtol=1e-15)
    # Forward mode makes the same choice.
    jacobian = wg.jacfwd(lambda v: update(np.array([1.0, 5.0, 2.0]), REPEATS, "max", v))(np.array([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(jacobian[0], [1 / 3, 0.0, 1 / 3], rtol=1e-15)


def test_an_extremum_that_one_update_wins_alone_goes_to_that_update() -> None:
    x_grad, v_grad = gradients("max", np.array([1.0, 5.0, 2.0]), np.array([4.0, 9.0, 3.0]))
    np.testing.assert_array_equal(x_grad, [0.0, 10.0, 0.0])
    np.testing.assert_array_equal(v_grad, [1.0, 100.0, 0.0])


def test_an_overwritten_element_gets_no_derivative_in_x() -> None:
    def f(x: Any) -> Any:
        return wnp.sum(x.at[np.array([1, 1])].set(wnp.array([2.0, 3.0])) ** 2)

    np.testing.assert_array_equal(wg.grad(f)(np.array([1.0, 1.0])), [2.0, 0.0])


# -- vmap --------------------------------------------------------------------------------------------

BATCH_X = RNG.uniform(0.5, 2.0, (3, 4))
BATCH_INDEX = np.array([[0, 0, 3], [1, 3, 1], [2, 2, 2]])  # repeats inside every example
BATCH_VALUES = RNG.uniform(2.5, 4.0, (3, 3)) * np.array([[1.0], [-1.0], [1.0]])


@pytest.mark.parametrize("operation", [*UPDATES, "get"])
def test_vmap_with_an_index_that_varies_across_the_batch(operation: str) -> None:
    def f(x: Any, i: Any, v: Any) -> Any:
        return update(x, i, operation, v)

    batched = wg.vmap(f)(BATCH_X, BATCH_INDEX, BATCH_VALUES)
    looped = np.stack([f(x, i, v) for x, i, v in zip(BATCH_X, BATCH_INDEX, BATCH_VALUES)])
    np.testing.assert_allclose(batched, looped, rtol=1e-15)


@pytest.mark.parametrize("operation", UPDATES)
def test_per_example_gradients_with_a_batched_index(operation: str) -> None:
    def loss(x: Any, i: Any, v: Any) -> Any:
        return wnp.sum(wnp.sin(update(x, i, operation, v)) * wnp.arange(1.0, 5.0))

    per_example = wg.grad(loss, argnums=(0, 2))
    batched = wg.vmap(per_example)(BATCH_X, BATCH_INDEX, BATCH_VALUES)
    for k in range(3):
        expected = per_example(BATCH_X[k], BATCH_INDEX[k], BATCH_VALUES[k])
        np.testing.assert_allclose(batched[0][k], expected[0], rtol=1e-13)
        np.testing.assert_allclose(batched[1][k], expected[1], rtol=1e-13)


@pytest.mark.parametrize("operation", UPDATES)
def test_derivatives_through_vmap_with_a_batched_index(operation: str) -> None:
    def f(x: Any, v: Any) -> Any:
        return wnp.sin(wg.vmap(lambda x, i, v: update(x, i, operation, v))(x, BATCH_INDEX, v))

    check_grads(f, (BATCH_X, BATCH_VALUES), order=2)


@pytest.mark.parametrize("operation", UPDATES)
def test_vmap_with_a_static_index(operation: str) -> None:
    index = INDICES["repeated rows"][:3] % 4

    def f(x: Any, v: Any) -> Any:
        return update(x, index, operation, v)

    batched = wg.vmap(f)(BATCH_X, BATCH_VALUES)
    np.testing.assert_allclose(batched, [f(x, v) for x, v in zip(BATCH_X, BATCH_VALUES)], rtol=1e-15)
    shared = wg.vmap(f, in_axes=(0, None))(BATCH_X, BATCH_VALUES[0])
    np.testing.assert_allclose(shared, [f(x, BATCH_VALUES[0]) for x in BATCH_X], rtol=1e-15)


def test_nested_vmap_with_an_index_batched_at_both_levels() -> None:
    x = RNG.standard_normal((2, 3, 4))
    index = RNG.integers(0, 4, (2, 3, 5))
    values = RNG.standard_normal((2, 3, 5))
    out = wg.vmap(wg.vmap(lambda x, i, v: x.at[i].max(v)))(x, index, values)
    for a in range(2):
        for b in range(3):
            np.testing.assert_array_equal(out[a, b], reference("max", x[a, b], index[a, b], values[a, b]))


def test_a_boolean_mask_that_varies_across_the_batch_is_refused() -> None:
    with pytest.raises(NotImplementedError, match="data-dependent shape"):
        wg.vmap(lambda x: x.at[x > 1.0].set(0.0))(BATCH_X)


# -- dtypes, dual numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", UPDATES)
def test_float32_stays_float32(operation: str) -> None:
    x = BATCH_X[0].astype(np.float32)
    values = BATCH_VALUES[0].astype(np.float32)
    index = np.array([0, 0, 3])
    out = update(x, index, operation, values)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference(operation, x, index, values), rtol=1e-6)
    x_grad, v_grad = wg.grad(lambda x, v: wnp.sum(update(x, index, operation, v) ** 2), argnums=(0, 1))(x, values)
    assert x_grad.dtype == np.float32 and v_grad.dtype == np.float32
    expected = wg.grad(lambda x, v: wnp.sum(update(x, index, operation, v) ** 2), argnums=(0, 1))(
        x.astype(float), values.astype(float)
    )
    np.testing.assert_allclose(x_grad, expected[0], rtol=1e-5)
    np.testing.assert_allclose(v_grad, expected[1], rtol=1e-5)


def test_values_are_cast_to_the_dtype_of_x() -> None:
    out = wnp.at(np.zeros(2, dtype=np.float32))[0].set(np.float64(1.5))
    assert out.dtype == np.float32
    assert wnp.at(np.zeros(2, dtype=np.int64))[0].add(3).dtype == np.int64


def test_dual_numbers_have_the_property() -> None:
    d = wg.Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    out = d.at[np.array([0, 0])].multiply(wg.Dual(np.array([3.0, 2.0]), np.array([0.0, 1.0])))
    np.testing.assert_array_equal(out.primal, [6.0, 2.0])
    np.testing.assert_array_equal(out.tangent, [6.0 + 3.0, 0.0])


# -- bad input -----------------------------------------------------------------------------------------


def test_a_float_update_into_an_integer_array_is_refused() -> None:
    with pytest.raises(TypeError, match=r"dtype float64 cannot be written into x of dtype int64.*same_kind"):
        wnp.at(np.zeros(3, dtype=np.int64))[0].set(2.5)
    with pytest.raises(TypeError, match="same_kind"):
        wg.grad(lambda v: wnp.sum(wnp.at(np.zeros(3, dtype=np.int64))[0].set(v)))(2.5)


@pytest.mark.parametrize("operation", UPDATES)
def test_values_that_do_not_fit_the_selection(operation: str) -> None:
    with pytest.raises(ValueError, match=r"values of shape \(3,\) cannot be broadcast to the shape \(2,\)"):
        update(np.zeros(4), np.s_[:2], operation, np.ones(3))


@pytest.mark.parametrize("operation", [*UPDATES, "get"])
def test_an_out_of_bounds_index_raises_index_error(operation: str) -> None:
    with pytest.raises(IndexError, match="out of bounds"):
        update(np.zeros(4), np.array([1, 4]), operation, 1.0)


def test_jax_modes_other_than_in_bounds_are_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match=r"mode='clip'.*in-bounds indices only"):
        wnp.at(np.zeros(3))[5].set(1.0, mode="clip")
    with pytest.raises(NotImplementedError, match="mode='fill'"):
        wnp.at(np.zeros(3))[5].get(mode="fill", fill_value=0.0)
    assert wnp.at(np.zeros(3))[1].add(1.0, mode="promise_in_bounds", unique_indices=True)[1] == 1.0


# -- the Tensor dialect --------------------------------------------------------------------------------


def test_tensor_at_returns_a_recorded_tensor() -> None:
    t = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = t.at[1].multiply(t[2])
    assert isinstance(y, wg.Tensor) and y.requires_grad
    (y * y).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [2.0, 36.0, 30.0])


def test_item_assignment_records_the_last_write_and_its_gradient() -> None:
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = wg.tensor([4.0, 5.0], requires_grad=True)
    y = x * 2.0
    y[np.array([2, 2])] = v * v
    assert y.tolist() == [2.0, 4.0, 25.0]
    (y * wg.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 20.0, 0.0])
    np.testing.assert_array_equal(v.grad.numpy(), [0.0, 1000.0])


def test_item_assignment_after_a_value_was_saved_fails_the_backward_pass() -> None:
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    z = wnp.sin(y)  # saves y
    y[0] = 5.0
    y[np.array([1, 1])] = wg.tensor([2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"saved by 'sin' was changed by '__setitem__'; it is at version 2"):
        z.sum().backward()


def test_item_assignment_before_the_value_is_used_is_fine() -> None:
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    y[0] = 5.0
    wnp.sin(y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, np.cos(2.0), np.cos(3.0)], rtol=1e-15)


def test_second_derivative_through_item_assignment() -> None:
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y[0] = x[1] ** 3
    (gradient,) = wg.autograd.grad(y.sum(), (x,), create_graph=True)
    np.testing.assert_array_equal(gradient.detach().numpy(), [0.0, 13.0])
    (second,) = wg.autograd.grad(gradient[1], (x,))
    np.testing.assert_array_equal(second.numpy(), [0.0, 12.0])


# -- against JAX -----------------------------------------------------------------------------------------

JAX_INDICES = ["mask", "repeated pairs", "slice,repeated columns"]


@pytest.mark.parametrize("index_name", JAX_INDICES)
@pytest.mark.parametrize("operation", UPDATES)
def test_values_and_gradients_match_jax(operation: str, index_name: str) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    index = INDICES[index_name]
    jax_index = tuple(jnp.asarray(i) if isinstance(i, np.ndarray) else i for i in np.index_exp[index])
    values = updates_for(X, index, seed=2)
    weights = RNG.standard_normal(X.shape)
    ours = update(X, index, operation, values)
    theirs = getattr(jnp.asarray(X).at[jax_index], operation)(values)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    # JAX differentiates multiply in the values only when told that no element is selected twice.
    unique = "repeated" not in index_name
    argnums = (0,) if operation == "multiply" and not unique else (0, 1)
    ours = wg.grad(lambda x, v: wnp.sum(update(x, index, operation, v) * weights), argnums=argnums)(X, values)
    theirs = jax.grad(
        lambda x, v: jnp.sum(getattr(x.at[jax_index], operation)(v, unique_indices=unique) * weights),
        argnums=argnums,
    )(jnp.asarray(X), jnp.asarray(values))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


# -- add_at: the scatter-add behind integer-index VJPs -----------------------------------------------------

BIG_MASK = RNG.random((100, 50)) < 0.6
SCATTER_CASES = {
    # (values shape, index, output shape): each reaches one method of add_at
    "1-D repeats (np.add.at)": ((3000,), RNG.integers(-50, 50, 3000), (50,)),
    "pairs into a matrix (raveled np.add.at)": ((3000,), (RNG.integers(0, 3, 3000), RNG.integers(-4, 4, 3000)), (3, 4)),
    "few wide rows (one-hot)": ((3000, 8), RNG.integers(0, 3, 3000), (3, 8)),
    "many narrow rows (bincount per column)": ((3000, 3), RNG.integers(0, 200, 3000), (200, 3)),
    "many wide rows (raveled np.add.at)": ((3000, 16), RNG.integers(0, 200, 3000), (200, 16)),
    "more one-hot chunks": ((70000, 2), RNG.integers(0, 2, 70000), (2, 2)),
    "leading slice (vmap's prefix)": ((4, 300, 5), (slice(None), RNG.integers(0, 7, 300)), (4, 7, 5)),
    "pairs of arrays": ((3000, 2), (RNG.integers(0, 3, 3000), RNG.integers(-4, 4, 3000)), (3, 4, 2)),
    "ellipsis": ((2, 3, 500), (Ellipsis, RNG.integers(0, 5, 500)), (2, 3, 5)),
    "mask (no repeats)": ((int(BIG_MASK.sum()),), BIG_MASK, BIG_MASK.shape),
    "few values (np.add.at)": ((40, 3), RNG.integers(0, 5, 40), (5, 3)),
    "non-adjacent arrays (np.add.at)": ((6, 5), (np.arange(6) % 4, slice(None), np.arange(6) % 3), (4, 5, 3)),
    "newaxis (np.add.at)": ((3, 1, 4), (np.array([0, 1, 0]), None), (2, 4)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(SCATTER_CASES))
def test_add_at_agrees_with_numpy_add_at(case: str, dtype: type) -> None:
    values_shape, index, shape = SCATTER_CASES[case]
    values = RNG.standard_normal(values_shape).astype(dtype)
    out = add_at(values, index, shape)
    exact = np.zeros(shape)
    np.add.at(exact, index, values.astype(np.float64))
    assert out.dtype == dtype
    scale = np.max(np.abs(exact))
    # Sums may be taken in another order than np.add.at's: equal to rounding.
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    assert np.max(np.abs(out - exact)) <= tolerance * scale


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_add_at_of_one_row_broadcast_to_every_label(dtype: type) -> None:
    row = RNG.standard_normal(5).astype(dtype)
    labels = RNG.integers(0, 7, 1000)
    out = add_at(np.broadcast_to(row, (1000, 5)), labels, (7, 5))
    expected = np.zeros((7, 5))
    np.add.at(expected, labels, np.broadcast_to(row.astype(np.float64), (1000, 5)))
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-12 if dtype == np.float64 else 1e-6)


def test_add_at_keeps_infinities_and_nans_in_their_rows() -> None:
    values = np.ones((600, 8))  # few wide rows: the one-hot product, where 0 * inf would spread NaNs
    values[2, 3] = np.inf
    values[4, 0] = np.nan
    labels = np.arange(600) % 3
    out = add_at(values, labels, (3, 8))
    expected = np.zeros((3, 8))
    np.add.at(expected, labels, values)
    np.testing.assert_array_equal(out, expected)


def test_add_at_refuses_out_of_bounds_labels() -> None:
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        add_at(np.ones((2, 8)), np.array([0, 3]), (3, 8))
    with pytest.raises(IndexError, match="index -4 is out of bounds"):
        add_at(np.ones(1), np.array([-4]), (3,))


def test_the_gather_gradient_accumulates_repeated_rows() -> None:
    labels = RNG.integers(0, 4, 500)
    weights = RNG.standard_normal((500, 6))
    gradient = wg.grad(lambda means: wnp.sum(means[labels] * weights))(np.zeros((4, 6)))
    expected = np.zeros((4, 6))
    np.add.at(expected, labels, weights)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-12)


def test_scatter_add_broadcasts_its_values_and_gives_their_shape_back() -> None:
    assert wg.grad(lambda s: wnp.sum(wnp.scatter_add(s, np.array([0, 0]), (3,))))(2.0) == 2.0
    gradient = wg.grad(lambda s: wnp.sum(wnp.scatter_add(s, np.array([0, 0]), (3, 2))))(np.ones(2))
    np.testing.assert_array_equal(gradient, [2.0, 2.0])
