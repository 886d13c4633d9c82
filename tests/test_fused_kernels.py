"""The compiled loops of tanh's second-order step (`wengert.numpy.fused_kernels`) against the chunked NumPy.

Each loop must give what `second_order_steps`' NumPy versions give, in every memory order, dtype and
``out=`` a program hands it, and must decline (None) what it does not take, so that the NumPy versions
run there. Skipped without Numba.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy import fused_kernels as kernels
from wengert.numpy import second_order_steps as steps
from wengert.numpy._primitives import empty_column_major_stack
from wengert.numpy.elementwise import tanh_grad

pytest.importorskip("numba")

RNG = np.random.default_rng(5)
TERMS = {
    "one square": (((0, 0, 1.0),),),
    "wave": (((0, 0, -1.0), (1, 1, 1.0)),),
    "mixed, empty, two": (((0, 2, -1.5),), (), ((0, 0, 0.5), (1, 2, 2.0))),
}


@pytest.fixture(autouse=True)
def compiled():
    previous = kernels.use_compiled(True)
    yield
    kernels.use_compiled(previous)


def _numpy(function, *args):
    previous = kernels.use_compiled(False)
    try:
        return function(*args)
    finally:
        kernels.use_compiled(previous)


def _in_columns(stack):
    out = empty_column_major_stack(len(stack), *stack.shape[1:], stack.dtype)
    out[...] = stack
    return out


def _operands(example, terms, has_second, columns, dtype):
    y = np.tanh(RNG.standard_normal(example)).astype(dtype)
    first = RNG.standard_normal((3, *example)).astype(dtype)
    second = RNG.standard_normal((len(terms), *example)).astype(dtype) if has_second else None
    cotangent = RNG.standard_normal((len(terms), *example)).astype(dtype)
    if columns:
        first, cotangent = _in_columns(first), _in_columns(cotangent)
        second = None if second is None else _in_columns(second)
    return y, first, second, cotangent


# (example shape, column-major stacks?): a column-major stack has two axes per entry
LAYOUTS = [((37, 130), False), ((37, 130), True), ((600, 3), True), ((1100,), False), ((4, 5, 6), False), ((1,), False)]


def every_step_case(test):
    """Parametrize a test over example shapes and memory orders, terms, with and without ẍ, and dtypes."""
    for mark in (
        pytest.mark.parametrize("dtype", [np.float64, np.float32]),
        pytest.mark.parametrize("has_second", [False, True], ids=["no ẍ", "ẍ"]),
        pytest.mark.parametrize("terms", TERMS.values(), ids=TERMS.keys()),
        pytest.mark.parametrize("example, columns", LAYOUTS, ids=lambda v: str(v) if isinstance(v, tuple) else ""),
    ):
        test = mark(test)
    return test


@every_step_case
def test_the_loops_equal_the_numpy_step_and_its_vjp(example, columns, terms, has_second, dtype):
    y, first, second, cotangent = _operands(example, terms, has_second, columns, dtype)
    tolerance = {"rtol": 2e-5, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-13, "atol": 1e-13}
    compiled = kernels.step_forward(y, first, second, terms)
    assert compiled is not None and compiled.dtype == dtype
    reference = _numpy(steps._forward_numpy, y, first, second, terms)
    np.testing.assert_allclose(compiled, reference, **tolerance)
    assert compiled.strides == reference.strides  # the stack's memory order, as the NumPy version writes it
    compiled = kernels.step_backward(cotangent, y, first, second, terms)
    assert compiled is not None
    reference = _numpy(steps._vjp_numpy, cotangent, y, first, second, terms)
    scale = float(np.abs(reference).max())  # ȳ's (6y² − 2)·Q cancels where 6y² ≈ 2: held to the scale there
    np.testing.assert_allclose(compiled, reference, rtol=tolerance["rtol"], atol=tolerance["atol"] * scale)


@pytest.mark.parametrize("columns", [False, True], ids=["rows", "columns"])
def test_out_in_either_order_or_dtype_receives_the_result(columns):
    y, first, second, _ = _operands((40, 9), TERMS["wave"], True, columns, np.float64)
    expected = _numpy(steps._forward_numpy, y, first, second, TERMS["wave"])
    for out in (np.full((1, 40, 9), np.nan), _in_columns(np.full((1, 40, 9), np.nan)), np.zeros((1, 40, 9), "f4")):
        assert kernels.step_forward(y, first, second, TERMS["wave"], out) is out
        np.testing.assert_allclose(out, expected, rtol=1e-6 if out.dtype == np.float32 else 1e-14)
    with pytest.raises(ValueError, match="out= has shape"):
        kernels.step_forward(y, first, second, TERMS["wave"], np.empty((2, 40, 9)))


def test_operands_the_loops_do_not_take_are_declined():
    y, first, second, _ = _operands((8, 5), TERMS["wave"], True, False, np.float64)
    terms = TERMS["wave"]
    assert kernels.step_forward(y, first[:, :1], None, terms) is None  # directions broadcast over the points
    repeated = np.broadcast_to(first[:, :1], first.shape)  # the same by zero strides (jit's constants)
    assert kernels.step_forward(y, repeated, None, terms) is None
    assert kernels.slope_times(np.broadcast_to(first[:, :1], (3, 800, 5)), np.ones((800, 5))) is None
    assert kernels.step_forward(y.astype("f4"), first, second, terms) is None  # mixed dtypes
    assert kernels.step_forward(np.ones((8, 5), int), first, second, terms) is None
    assert kernels.step_forward(y.tolist(), first, second, terms) is None
    assert kernels.step_forward(np.float64(0.5), first[:, 0, 0], None, terms) is None  # a NumPy scalar
    assert kernels.step_forward(y, first, second[:0], terms) is None  # streams and terms disagree
    assert kernels.step_forward(y, first[:1], second, terms) is None  # a term names a direction not given
    assert kernels.step_backward(second, y, first[:1], second, terms) is None
    with pytest.raises(IndexError):
        steps._forward_numpy(y, first[:1], second, terms)
    kernels.use_compiled(False)
    assert kernels.step_forward(y, first, second, terms) is None


def test_a_first_layer_s_broadcast_directions_run_as_rows(monkeypatch):
    """A first layer's directions are broadcast over the points, in shape or (jit's constants, after a bias)
    by zero strides: the loops take them as rows, without copying them to the full shape (which cost 22 ms
    at d = 32); without the loops the composed step runs there."""
    calls = []
    forward = steps._forward_numpy
    monkeypatch.setattr(steps, "_forward_numpy", lambda *a: calls.append(a[1]) or forward(*a))
    weights = [RNG.standard_normal((3, 16)), RNG.standard_normal((16, 16)) * 0.3, RNG.standard_normal((16, 1))]
    bias = RNG.standard_normal(16)  # adding it broadcasts the first layer's directions to the points' shape

    def u(p):
        return (wnp.tanh(wnp.tanh(p @ weights[0] + bias) @ weights[1]) @ weights[2])[..., 0]

    points = RNG.standard_normal((30, 3))
    expected = [np.trace(wg.hessian(u)(p)) for p in points]
    for compiled in (True, False):
        kernels.use_compiled(compiled)
        calls.clear()
        np.testing.assert_allclose(wg.jit(wg.laplacian(u))(points), expected, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(wg.laplacian(u)(points), expected, rtol=1e-11, atol=1e-12)
        assert any(kernels.broadcast_view(first) for first in calls) == compiled
    kernels.use_compiled(True)
    rows = RNG.standard_normal((2, 1, 16))
    y = np.tanh(RNG.standard_normal((40, 16)))
    for directions in (rows, np.broadcast_to(rows, (2, 40, 16)), rows[:, 0]):
        for value in (y, np.asfortranarray(y)):
            ours = kernels.step_forward_rows(value, directions, None, TERMS["wave"])
            reference = _numpy(steps._forward_numpy, y, directions, None, TERMS["wave"])
            np.testing.assert_allclose(ours, reference, rtol=1e-14, atol=1e-14)
            g, second = RNG.standard_normal((2, 1, 40, 16))
            ours = kernels.step_backward_rows(g, value, directions, second, TERMS["wave"])
            reference = _numpy(steps._vjp_numpy, g, y, directions, second, TERMS["wave"])
            np.testing.assert_allclose(ours, reference, rtol=1e-13, atol=1e-13)
            np.testing.assert_allclose(
                kernels.slope_times_rows(np.broadcast_to(rows, (2, 40, 16)), value), rows * (1 - y**2), rtol=1e-15
            )
    plain = RNG.standard_normal((40, 16))  # one tangent of y's shape: not rows
    assert kernels.slope_times_rows(plain, y) is None
    np.testing.assert_allclose(tanh_grad(plain, y), plain * (1 - y**2), rtol=1e-15)
    square = RNG.standard_normal((16, 16))  # as many points as columns: still one tangent
    np.testing.assert_allclose(tanh_grad(square, y[:16]), square * (1 - y[:16] ** 2), rtol=1e-15)


def test_empty_stacks_and_no_streams_are_declined():
    """Found by review: a stack sliced to no directions reached a reshape that fails on size 0."""
    y, first, _, _ = _operands((30, 40), TERMS["wave"], False, False, np.float64)
    assert kernels.slope_times(first[:0], y) is None and tanh_grad(first[:0], y).shape == (0, 30, 40)
    assert kernels.step_forward(y, first, None, ()) is None
    assert kernels.step_forward(y, first[:0], None, ((),)) is None
    assert kernels.step_backward(first[:0], y, first, None, ()) is None
    assert kernels.step_forward_rows(y, first[:0, :1], None, ((),)) is None


def test_numba_that_cannot_load_its_loops_falls_back_to_numpy_with_a_warning(monkeypatch):
    """Found by review: Numba raises RuntimeError at import where no cache directory is writable; the step
    must then run in NumPy (the README: without Numba nothing changes but speed), saying why once."""

    def unusable():
        raise RuntimeError("cannot cache function '_quadratic': no locator available")

    monkeypatch.setattr(kernels, "_load_loops", unusable)
    monkeypatch.setitem(kernels._state, "kernels", None)
    y, first, second, _ = _operands((20, 9), TERMS["wave"], True, False, np.float64)
    with pytest.warns(RuntimeWarning, match="compiled loops are unavailable"):
        assert not kernels.available()
    assert kernels.step_forward(y, first, second, TERMS["wave"]) is None
    expected = _numpy(steps._forward_numpy, y, first, second, TERMS["wave"])
    np.testing.assert_allclose(steps._forward_numpy(y, first, second, TERMS["wave"]), expected, rtol=0)


def test_tall_first_layer_stacks_are_made_column_major(monkeypatch):
    """A first layer's rows make ẏ in y's order; when the stack is tall (`stacked_product` writes the next
    one column-major) y is converted once so that ẏ is column-major too and the product reads it 20% faster."""
    from wengert.numpy._primitives import column_major_stack
    from wengert.numpy.products import COLUMN_MAJOR_MIN_ROWS

    made = []
    original = steps.tanh_grad
    monkeypatch.setattr(steps, "tanh_grad", lambda g, y: made.append(original(g, y)) or made[-1])
    dimension, points = 8, 600
    assert dimension * points >= COLUMN_MAJOR_MIN_ROWS
    weights = [RNG.standard_normal((dimension, 64)) * 0.4, RNG.standard_normal((64, 64)) * 0.2]
    last, bias = RNG.standard_normal((64, 1)), RNG.standard_normal(64)

    def u(p):
        return (wnp.tanh(wnp.tanh(p @ weights[0] + bias) @ weights[1]) @ last)[..., 0]

    x = RNG.standard_normal((points, dimension))
    laplacian = wg.laplacian(u)(x)
    assert made and all(column_major_stack(stack) for stack in made)
    expected = [np.trace(wg.hessian(u)(p)) for p in x[:20]]
    np.testing.assert_allclose(laplacian[:20], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("columns", [False, True], ids=["rows", "columns"])
def test_the_slope_loop_equals_numpy(columns):
    y, first, _, _ = _operands((70, 40), TERMS["wave"], False, columns, np.float64)
    compiled = kernels.slope_times(first, y)
    assert compiled is not None
    np.testing.assert_allclose(compiled, first * (1 - y**2), rtol=1e-15)
    assert compiled.strides == first.strides
    out = np.empty_like(compiled)
    assert kernels.slope_times(first, y, out) is out
    np.testing.assert_allclose(out, compiled, rtol=0)
    assert kernels.slope_times(first[:, :4, :4], y[:4, :4]) is None  # too small to gain


def test_a_laplacian_and_its_parameter_gradient_agree_with_and_without_the_loops():
    weights = [RNG.standard_normal((3, 64)) * 0.7, RNG.standard_normal((64, 64)) * 0.2, RNG.standard_normal((64, 1))]
    points = RNG.standard_normal((40, 3))

    def loss(weights):
        def u(p):
            return (wnp.tanh(wnp.tanh(p @ weights[0]) @ weights[1]) @ weights[2])[..., 0]

        return wnp.mean(wg.laplacian(u)(points) ** 2)

    compiled = [wg.grad(loss)(weights), wg.jit(wg.grad(loss))(weights)]
    reference = _numpy(wg.grad(loss), weights)
    for gradient in compiled:
        for got, want in zip(gradient, reference):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13)


# -- ẏ and ÿ in one loop (`tanh_both_orders`, made by jit's `fuse_siblings` pass) ---------------------------


def _both_reference(y, first, second, terms):
    slopes = np.broadcast_to(first * (1 - y**2), (len(first), *y.shape))
    return np.concatenate([slopes, _numpy(steps._forward_numpy, y, first, second, terms)])


@every_step_case
def test_the_joint_loop_equals_the_slope_and_the_step(example, columns, terms, has_second, dtype):
    y, first, second, _ = _operands(example, terms, has_second, columns, dtype)
    tolerance = {"rtol": 2e-5, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-13, "atol": 1e-13}
    operands = [y, first] + ([] if second is None else [second])
    both = kernels.step_both(y, first, second, terms)
    assert both is not None and both.dtype == dtype and both.shape == (3 + len(terms), *example)
    np.testing.assert_allclose(both, _both_reference(y, first, second, terms), **tolerance)
    outs = [np.full(both.shape, np.nan, dtype)]
    if len(example) == 2:
        outs.append(_in_columns(np.full(both.shape, np.nan, dtype)))
    for out in outs:
        assert steps._both_impl(*operands, terms=terms, out=out) is out
        np.testing.assert_allclose(out, both, rtol=0, atol=0)
    numpy_only = _numpy(lambda *args: steps._both_impl(*args, terms=terms), *operands)
    np.testing.assert_allclose(numpy_only, both, **tolerance)


@pytest.mark.parametrize("has_second", [False, True], ids=["no ẍ", "ẍ"])
def test_the_joint_loop_takes_a_first_layer_s_rows(has_second):
    rows = RNG.standard_normal((2, 1, 16))
    y = np.tanh(RNG.standard_normal((40, 16)))
    second = RNG.standard_normal((1, 40, 16)) if has_second else None
    for directions in (rows, np.broadcast_to(rows, (2, 40, 16)), rows[:, 0]):
        for value in (y, np.asfortranarray(y)):
            both = kernels.step_both_rows(value, directions, second, TERMS["wave"])
            assert kernels.step_both(value, directions, second, TERMS["wave"]) is None  # not full stacks
            expected = _both_reference(y, directions if directions.ndim == 3 else rows, second, TERMS["wave"])
            np.testing.assert_allclose(both, expected, rtol=1e-14, atol=1e-14)
            args = [value, directions] + ([] if second is None else [second])
            np.testing.assert_allclose(steps._both_impl(*args, terms=TERMS["wave"]), expected, rtol=1e-14, atol=1e-14)


def test_jit_computes_each_hidden_layer_s_slope_and_step_in_one_loop():
    """A Laplacian under jit: tanh's step and ẏ of the same layer become one `tanh_both_orders` (the last
    layer's ẏ is dead and is not computed; its step, read only by the output layer's product, becomes
    `tanh_second_order_times`), with the values and the parameter gradient of eager mode."""
    weights = [RNG.standard_normal((2, 24)), RNG.standard_normal((24, 24)) * 0.3, RNG.standard_normal((24, 24)) * 0.3]
    out_weights = RNG.standard_normal((24, 1))
    biases = [RNG.standard_normal(24) for _ in range(3)]

    def u(p, w):
        h = p
        for weight, bias in zip([weights[0], w, weights[2]], biases):
            h = wnp.tanh(h @ weight + bias)
        return (h @ out_weights)[..., 0]

    points = RNG.standard_normal((50, 2))
    laplacian = wg.jit(lambda p, w: wg.laplacian(lambda q: u(q, w))(p))
    program = laplacian.lower(points, weights[1]).ir
    assert program.count("tanh_both_orders") == 2 and program.count("tanh_grad") == 0
    assert program.count("tanh_second_order_times") == 1 and program.count("tanh_second_order") == 0
    expected = [np.trace(wg.hessian(lambda q: u(q, weights[1]))(p)) for p in points]
    np.testing.assert_allclose(laplacian(points, weights[1]), expected, rtol=1e-11, atol=1e-12)

    def loss(w):
        return wnp.sum(wg.laplacian(lambda q: u(q, w))(points) ** 2)

    compiled = wg.jit(wg.grad(loss))  # the second layer's weights: its ẏ is live, for the third layer
    assert compiled.lower(weights[1]).ir.count("tanh_both_orders") == 1
    np.testing.assert_allclose(compiled(weights[1]), wg.grad(loss)(weights[1]), rtol=1e-10, atol=1e-12)


# -- the last layer's step summed against the output layer's column (`tanh_second_order_times`) ---------------


@pytest.mark.parametrize("has_second", [False, True], ids=["no ẍ", "ẍ"])
@pytest.mark.parametrize("terms", TERMS.values(), ids=TERMS.keys())
@pytest.mark.parametrize("example", [(37, 130), (600, 3)])
def test_the_step_times_a_column_equals_the_step_then_the_product(example, terms, has_second):
    y, first, second, _ = _operands(example, terms, has_second, True, np.float64)
    y = np.asfortranarray(y)
    weights = RNG.standard_normal((example[1], 1))
    step = _numpy(steps._forward_numpy, y, first, second, terms)
    expected = step.reshape(-1, example[1]) @ weights
    ours = kernels.step_times(y, first, second, terms, weights[:, 0])
    np.testing.assert_allclose(ours.reshape(-1, 1), expected, rtol=1e-12, atol=1e-12)
    operands = [weights, y, first] + ([] if second is None else [second])
    np.testing.assert_allclose(steps._times_impl(*operands, terms=terms), expected, rtol=1e-12, atol=1e-12)
    numpy_only = _numpy(lambda *args: steps._times_impl(*args, terms=terms), *operands)
    np.testing.assert_allclose(numpy_only, expected, rtol=1e-12, atol=1e-12)
    wide = RNG.standard_normal((example[1], 3))  # more than one column: the step, then the product
    operands[0] = wide
    np.testing.assert_allclose(
        steps._times_impl(*operands, terms=terms), step.reshape(-1, example[1]) @ wide, rtol=1e-12, atol=1e-12
    )


def test_the_step_times_a_column_declines_what_it_does_not_take():
    y, first, second, _ = _operands((37, 130), TERMS["wave"], True, True, np.float64)
    vector = RNG.standard_normal(130)
    assert kernels.step_times(np.ascontiguousarray(y), np.ascontiguousarray(first), None, TERMS["wave"], vector) is None
    assert kernels.step_times(y, first, second, TERMS["wave"], vector[:5]) is None  # one weight per column
    assert kernels.step_times(y, first, second, TERMS["wave"], vector.astype("f4")) is None
    assert kernels.step_times(y, first, second[:0], TERMS["wave"], vector) is None  # streams and terms disagree


def test_jit_keeps_the_last_layer_s_stacks_column_major_for_the_summed_step(monkeypatch):
    """At B10's size the stacks the summed step reads stay column-major, the compiled loop's order (jit's
    memory planner joins the tall operands of a primitive that reads either order even where its result is
    small), so the loop runs rather than the NumPy step; the Laplacian equals eager mode's."""
    ran = []
    step_times = kernels.step_times
    monkeypatch.setattr(kernels, "step_times", lambda *args: ran.append(step_times(*args) is not None) or None)
    hidden = [RNG.standard_normal((2, 128)), RNG.standard_normal((128, 128)) / 11, RNG.standard_normal((128, 128)) / 11]
    out_weights = RNG.standard_normal((128, 1))

    def u(p):
        h = p
        for weight in hidden:
            h = wnp.tanh(h @ weight + 0.1)
        return (h @ out_weights)[..., 0]

    points = RNG.uniform(-1.0, 1.0, (1000, 2))
    laplacian = wg.jit(wg.laplacian(u))
    assert laplacian.lower(points).ir.count("tanh_second_order_times") == 1
    np.testing.assert_allclose(laplacian(points), wg.laplacian(u)(points), rtol=1e-10, atol=1e-10)
    assert ran == [True]
