"""Rearranging ops (roll, repeat, tile, tril/triu, diag/diagonal, pad, split and stack families).

Each case is one line: the input shapes and a call written against a module
``m``, run once with ``numpy`` (the reference) and once with ``wengert.numpy``
on traced values. Every case is checked for values, for the tangent (these
maps are affine, so J·t = f(t) - f(0)), against finite differences to order 2
in both modes, and for the adjoint identity between its JVP and VJP rules.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import check_adjoint, check_grads

CASES = [
    # id, input shapes, call(module, *arrays)
    ("roll", [(5,)], lambda m, x: m.roll(x, 2)),
    ("roll-axis", [(3, 4)], lambda m, x: m.roll(x, -1, axis=1)),
    ("roll-tuple", [(3, 4)], lambda m, x: m.roll(x, (1, 2), axis=(0, 1))),
    ("roll-same-axis-twice", [(3, 4)], lambda m, x: m.roll(x, (1, 2), axis=(1, -1))),
    ("roll-one-shift-two-axes", [(2, 3, 4)], lambda m, x: m.roll(x, 1, axis=(0, 2))),
    ("roll-flattened", [(3, 4)], lambda m, x: m.roll(x, 5)),
    ("roll-flattened-tuple", [(3, 4)], lambda m, x: m.roll(x, (5, -1))),
    ("repeat-flattened", [(2, 3)], lambda m, x: m.repeat(x, 2)),
    ("repeat-axis", [(2, 3)], lambda m, x: m.repeat(x, 3, axis=1)),
    ("repeat-per-element", [(3, 2)], lambda m, x: m.repeat(x, [2, 0, 3], axis=0)),
    ("repeat-equal-counts", [(3, 2)], lambda m, x: m.repeat(x, [2, 2], axis=-1)),
    ("repeat-one-count-list", [(3,)], lambda m, x: m.repeat(x, [2])),
    ("repeat-zero", [(2, 3)], lambda m, x: m.repeat(x, 0, axis=1)),
    ("repeat-scalar", [()], lambda m, x: m.repeat(x, 3)),
    ("tile-int", [(3,)], lambda m, x: m.tile(x, 2)),
    ("tile-more-reps", [(2, 3)], lambda m, x: m.tile(x, (2, 1, 2))),
    ("tile-fewer-reps", [(2, 2, 3)], lambda m, x: m.tile(x, (3,))),
    ("tile-zero", [(2, 3)], lambda m, x: m.tile(x, (0, 2))),
    ("tile-scalar", [()], lambda m, x: m.tile(x, (2, 2))),
    ("tril", [(4, 4)], lambda m, x: m.tril(x)),
    ("tril-k", [(3, 5)], lambda m, x: m.tril(x, 1)),
    ("tril-batched", [(2, 3, 3)], lambda m, x: m.tril(x, -1)),
    ("tril-vector", [(3,)], lambda m, x: m.tril(x)),
    ("triu", [(4, 3)], lambda m, x: m.triu(x)),
    ("triu-k-batched", [(2, 3, 4)], lambda m, x: m.triu(x, 2)),
    ("triu-vector-k", [(4,)], lambda m, x: m.triu(x, -1)),
    ("diag-embed", [(3,)], lambda m, x: m.diag(x)),
    ("diag-embed-k", [(3,)], lambda m, x: m.diag(x, 2)),
    ("diag-embed-negative-k", [(2,)], lambda m, x: m.diag(x, -1)),
    ("diag-extract", [(3, 4)], lambda m, x: m.diag(x)),
    ("diag-extract-k", [(4, 3)], lambda m, x: m.diag(x, -1)),
    ("diagonal", [(3, 3)], lambda m, x: m.diagonal(x)),
    ("diagonal-offset-axes", [(2, 3, 4)], lambda m, x: m.diagonal(x, 1, axis1=2, axis2=0)),
    ("diagonal-negative-axes", [(2, 3, 4)], lambda m, x: m.diagonal(x, -1, -1, -2)),
    ("diagonal-empty", [(2, 2)], lambda m, x: m.diagonal(x, 5)),
    ("pad-int", [(3,)], lambda m, x: m.pad(x, 2)),
    ("pad-pair", [(2, 3)], lambda m, x: m.pad(x, (1, 2))),
    ("pad-per-axis", [(2, 3)], lambda m, x: m.pad(x, ((0, 1), (2, 0)), constant_values=-1.5)),
    ("pad-column", [(2, 3)], lambda m, x: m.pad(x, [[1], [2]])),
    ("pad-dict", [(2, 3)], lambda m, x: m.pad(x, {-1: (1, 2)})),
    ("pad-per-axis-constants", [(2, 2)], lambda m, x: m.pad(x, 1, constant_values=((1.0, 2.0), (3.0, 4.0)))),
    ("pad-3d-nested-scalar", [(1, 2, 2)], lambda m, x: m.pad(x, [[1]], mode="constant")),
    ("pad-nothing", [(2, 2)], lambda m, x: m.pad(x, 0)),
    ("split-sections", [(6, 2)], lambda m, x: m.split(x, 3)),
    ("split-indices", [(2, 7)], lambda m, x: m.split(x, [2, 5], axis=1)),
    ("split-indices-past-end", [(4,)], lambda m, x: m.split(x, [1, 9])),
    ("split-array-of-indices", [(5,)], lambda m, x: m.split(x, np.array([3]))),
    ("array_split", [(7,)], lambda m, x: m.array_split(x, 3)),
    ("array_split-axis", [(2, 5)], lambda m, x: m.array_split(x, 2, axis=-1)),
    ("array_split-more-sections", [(2,)], lambda m, x: m.array_split(x, 3)),
    ("hsplit", [(2, 4)], lambda m, x: m.hsplit(x, 2)),
    ("hsplit-vector", [(6,)], lambda m, x: m.hsplit(x, [2])),
    ("vsplit", [(4, 2)], lambda m, x: m.vsplit(x, [1, 3])),
    ("dsplit", [(1, 2, 4)], lambda m, x: m.dsplit(x, 2)),
    ("hstack-vectors", [(2,), (3,)], lambda m, x, y: m.hstack([x, y])),
    ("hstack-matrices", [(2, 1), (2, 3)], lambda m, x, y: m.hstack((x, y))),
    ("hstack-scalars", [(), ()], lambda m, x, y: m.hstack([x, y])),
    ("hstack-with-constant", [(3,)], lambda m, x: m.hstack([x, np.ones(2)])),
    ("vstack-vectors", [(3,), (3,)], lambda m, x, y: m.vstack([x, y])),
    ("vstack-matrices", [(1, 3), (2, 3)], lambda m, x, y: m.vstack([x, y])),
    ("vstack-with-list", [(2,)], lambda m, x: m.vstack([[1.0, 2.0], x])),
    ("column_stack", [(3,), (3, 2)], lambda m, x, y: m.column_stack([x, y])),
    ("column_stack-scalars", [(), ()], lambda m, x, y: m.column_stack([x, y])),
    ("dstack", [(2,), (1, 2)], lambda m, x, y: m.dstack([x, y])),
    ("atleast_3d-vector", [(3,)], lambda m, x: m.atleast_3d(x)),
    ("atleast_3d-matrix", [(2, 3)], lambda m, x: m.atleast_3d(x)),
    ("atleast_3d-several", [(), (2, 3)], lambda m, x, y: m.atleast_3d(x, y)),
]


def _inputs(shapes: list[tuple[int, ...]], seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(s) for s in shapes)


def _outputs(value) -> list[np.ndarray]:
    """The arrays of an output that may be one array or a list/tuple of them."""
    if isinstance(value, (list, tuple)):
        return [np.asarray(wg.core.primal_value(v)) for v in value]
    return [np.asarray(wg.core.primal_value(value))]


def _assert_same(actual, expected) -> None:
    actual, expected = _outputs(actual), _outputs(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert a.shape == e.shape
        np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize(("shapes", "call"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_values_match_numpy(shapes, call):
    args = _inputs(shapes)
    tangents = _inputs(shapes, seed=1)
    expected = call(np, *args)
    function = lambda *xs: call(wnp, *xs)  # noqa: E731

    _assert_same(function(*args), expected)  # plain arrays
    primal_out, tangent_out = wg.jvp(function, args, tangents)
    _assert_same(primal_out, expected)
    # An affine map's derivative along t is f(t) - f(0).
    zeros = tuple(np.zeros_like(a) for a in args)
    along = [t - z for t, z in zip(_outputs(call(np, *tangents)), _outputs(call(np, *zeros)), strict=True)]
    _assert_same(tangent_out, type(expected)(along) if isinstance(expected, (list, tuple)) else along[0])
    _assert_same(wg.vjp(function, *args)[0], expected)


@pytest.mark.parametrize(("shapes", "call"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_derivatives(shapes, call):
    args = _inputs(shapes)
    function = lambda *xs: call(wnp, *xs)  # noqa: E731
    check_grads(function, args, order=2, modes=("fwd", "rev"))
    check_adjoint(function, args)


def test_third_order_through_nonlinear_programs():
    x = _inputs([(3, 3)])[0]

    def program(x):
        mixed = wnp.tril(x) * wnp.roll(x, 1, axis=0) + wnp.diag(wnp.diagonal(x) ** 2)
        padded = wnp.pad(mixed, 1, constant_values=0.5)
        pieces = wnp.split(wnp.repeat(padded, [1, 2, 0, 1, 1], axis=1), 5, axis=1)
        return wnp.sum(wnp.sin(wnp.tile(pieces[0] * pieces[2], 2)) * wnp.vstack(pieces[3:]).sum())

    check_grads(program, (x,), order=3, modes=("fwd", "rev"))


@pytest.mark.parametrize(
    ("function", "weights", "expected_gradient"),
    [
        (lambda x: wnp.roll(x, 1), [1.0, 2.0, 3.0], [2.0, 3.0, 1.0]),
        (lambda x: wnp.repeat(x, [2, 0, 1]), [1.0, 2.0, 3.0], [3.0, 0.0, 3.0]),
        (lambda x: wnp.tile(x, 2), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [5.0, 7.0, 9.0]),
        (lambda x: wnp.pad(x, (1, 0), constant_values=7.0), [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0]),
        (lambda x: wnp.diag(x, 1)[0], [1.0, 2.0, 3.0, 4.0], [2.0, 0.0, 0.0]),
        (lambda x: wnp.hstack(wnp.split(x, 3)[::-1]), [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]),
    ],
    ids=["roll", "repeat", "tile", "pad", "diag", "split-hstack"],
)
def test_gradients_are_the_transposed_rearrangement(function, weights, expected_gradient):
    x = np.array([0.3, -1.2, 2.0])
    gradient = wg.grad(lambda x: wnp.sum(function(x) * np.array(weights)))(x)
    np.testing.assert_array_equal(gradient, expected_gradient)


def test_pad_differentiates_a_traced_scalar_constant():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])

    def padded(x, c):
        return wnp.pad(x, ((1, 0), (0, 2)), constant_values=c)

    np.testing.assert_array_equal(
        wg.jvp(padded, (x, 2.5), (np.zeros_like(x), 1.0))[0],
        np.pad(x, ((1, 0), (0, 2)), constant_values=2.5),
    )
    assert wg.grad(lambda c: wnp.sum(padded(x, c)))(2.5) == 3 * 4 - 2 * 2  # padding elements
    check_grads(padded, (x, 2.5), order=2)
    check_adjoint(padded, (x, 2.5))


def test_tensors_dispatch_through_numpy_functions():
    x = wg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    rolled = np.roll(x, 1)
    assert isinstance(rolled, wg.Tensor)
    first, second = np.split(x, 2)
    (rolled * np.array([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [10.0, 100.0, 1000.0, 1.0])
    np.testing.assert_array_equal(np.vstack([first, second]).detach().numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_float32_stays_float32():
    x = np.ones((2, 3), dtype=np.float32)
    for function in [
        lambda x: wnp.diag(wnp.diagonal(x)),
        lambda x: wnp.pad(x, 1, constant_values=2.0),
        lambda x: wnp.repeat(x, [1, 2, 0], axis=1),
        lambda x: wnp.tile(wnp.tril(x), 2),
    ]:
        out, tangent = wg.jvp(function, (x,), (x,))
        _, vjp_fn = wg.vjp(function, x)
        assert out.dtype == tangent.dtype == vjp_fn(np.ones_like(out))[0].dtype == np.float32


def test_every_primitive_has_both_rules():
    for name in ["roll", "repeat", "tile", "tril", "triu", "diagonal", "embed_diagonal", "pad"]:
        prim = wnp.REGISTRY[name]
        assert prim.jvp is not None and all(rule is not None for rule in prim.jvp)
        assert prim.vjp is not None and all(rule is not None for rule in prim.vjp)
        assert prim.linear


ERRORS = [
    # id, input shape, call(module, x), error on traced input, its message,
    # error on plain input (what NumPy raises; None where NumPy accepts what traced input rejects)
    ("split-unequal", (6,), lambda m, x: m.split(x, 4), ValueError, "equal division", ValueError),
    ("split-zero-sections", (6,), lambda m, x: m.array_split(x, 0), ValueError, "larger than 0", ValueError),
    (
        "split-axis",
        (6,),
        lambda m, x: m.split(x, 2, axis=1),
        np.exceptions.AxisError,
        "out of bounds",
        IndexError,
    ),
    ("hsplit-scalar", (), lambda m, x: m.hsplit(x, 1), ValueError, "1 or more dimensions", ValueError),
    ("vsplit-vector", (4,), lambda m, x: m.vsplit(x, 2), ValueError, "2 or more dimensions", ValueError),
    ("dsplit-matrix", (2, 2), lambda m, x: m.dsplit(x, 2), ValueError, "3 or more dimensions", ValueError),
    (
        "pad-reflect",
        (3,),
        lambda m, x: m.pad(x, 1, mode="reflect"),
        NotImplementedError,
        "'reflect'",
        NotImplementedError,
    ),
    ("pad-edge", (3,), lambda m, x: m.pad(x, 1, "edge"), NotImplementedError, "'edge'", NotImplementedError),
    ("pad-negative", (3,), lambda m, x: m.pad(x, (1, -1)), ValueError, "negative", ValueError),
    ("pad-float-width", (3,), lambda m, x: m.pad(x, 1.5), TypeError, "pad_width must be integers", TypeError),
    ("pad-bad-pairs", (2, 2), lambda m, x: m.pad(x, [1, 2, 3]), ValueError, "pairs for 2 axes", ValueError),
    ("pad-keyword", (3,), lambda m, x: m.pad(x, 1, end_values=2), ValueError, "end_values", ValueError),
    (
        "repeat-count-length",
        (3,),
        lambda m, x: m.repeat(x, [1, 2]),
        ValueError,
        "2 repeat counts",
        ValueError,
    ),
    ("repeat-negative", (3,), lambda m, x: m.repeat(x, -1), ValueError, "negative", ValueError),
    ("repeat-float", (3,), lambda m, x: m.repeat(x, 1.5), TypeError, "repeats must be integers", None),
    ("tile-negative", (3,), lambda m, x: m.tile(x, -2), ValueError, "negative", ValueError),
    (
        "roll-lengths",
        (3, 3),
        lambda m, x: m.roll(x, (1, 2, 3), (0, 1)),
        ValueError,
        "same length",
        ValueError,
    ),
    (
        "roll-axis",
        (3,),
        lambda m, x: m.roll(x, 1, axis=2),
        np.exceptions.AxisError,
        "out of bounds",
        ValueError,
    ),
    ("tril-scalar", (), lambda m, x: m.tril(x), ValueError, "at least 1 dimension", TypeError),
    ("diag-3d", (2, 2, 2), lambda m, x: m.diag(x), ValueError, "1-d or 2-d", ValueError),
    (
        "diagonal-same-axes",
        (2, 2),
        lambda m, x: m.diagonal(x, 0, 1, 1),
        ValueError,
        "cannot be the same",
        ValueError,
    ),
    ("diagonal-vector", (3,), lambda m, x: m.diagonal(x), ValueError, "at least two dimensions", ValueError),
    ("hstack-cast", (2,), lambda m, x: m.hstack([x], dtype=np.int64), TypeError, "cannot cast", TypeError),
]


@pytest.mark.parametrize(
    ("x_shape", "call", "error", "message", "numpy_error"),
    [e[1:] for e in ERRORS],
    ids=[e[0] for e in ERRORS],
)
def test_bad_input_is_rejected(x_shape, call, error, message, numpy_error):
    x = np.ones(x_shape)
    with pytest.raises(error, match=message):
        wg.jvp(lambda x: call(wnp, x), (x,), (x,))
    with pytest.raises(error, match=message):
        wg.vjp(lambda x: call(wnp, x), x)
    if numpy_error is not None:
        with pytest.raises(numpy_error):
            call(wnp, x)  # the plain path raises what NumPy raises


def test_pad_rejects_traced_per_axis_constants():
    with pytest.raises(NotImplementedError, match="scalar"):
        wg.grad(lambda c: wnp.sum(wnp.pad(np.ones(2), 1, constant_values=c)))(np.array([1.0, 2.0]))


@pytest.mark.parametrize(("shapes", "call"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_compiled_equals_eager(shapes, call):
    from wengert.testing import check_jit

    check_jit(lambda *xs: call(wnp, *xs), _inputs(shapes))
