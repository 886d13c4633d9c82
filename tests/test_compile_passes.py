"""jit's rewriting passes: transposes folded into products, a product fused with its bias, siblings fused.

Each pass is checked alone on a hand-made program and through ``wg.jit``: the optimised
program's equations are counted, and its values are compared bit for bit with eager
wengert's (the passes rewrite which primitive runs, never the arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.compile.codegen import emit
from wengert.compile.passes import eliminate_dead_code, fold_transposes_into_matmul, fuse_matmul_bias, optimize
from wengert.compile.program import Program
from wengert.core.staging import Abstract, Equation, Literal, Var
from wengert.numpy.products import matmul_add_p, matmul_nt, matmul_tn

RNG = np.random.default_rng(2024)
DTYPES = [np.float32, np.float64]
TRANSPOSE, MATMUL, ADD = wnp.REGISTRY["transpose"], wnp.REGISTRY["matmul"], wnp.REGISTRY["add"]


def normal(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def var(number: int, shape: tuple[int, ...], dtype: Any = np.float64) -> Var:
    return Var(number, Abstract(shape, np.dtype(dtype)))


def names(program: Program) -> list[str]:
    return [equation.primitive.name for equation in program.equations]


def assert_compiled_equals_eager(function: Callable[..., Any], *args: Any) -> Any:
    """Compile ``function``, check that its outputs are the eager outputs bit for bit; return the lowered program."""
    jitted = wg.jit(function)
    compiled, eager = wg.tree_leaves(jitted(*args)), wg.tree_leaves(function(*args))
    assert len(compiled) == len(eager)
    for got, expected in zip(compiled, eager):
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(got, expected)
    return jitted.lower(*args)


# -- folding transposes into products ------------------------------------------------------------


FOLDS = [
    # id, function, shapes of its two matrices, the product it compiles to
    ("a@b.T", lambda a, b: a @ b.T, ((4, 3), (5, 3)), "matmul_nt"),
    ("a@transpose(b)", lambda a, b: a @ wnp.transpose(b), ((4, 3), (5, 3)), "matmul_nt"),
    ("a.T@b", lambda a, b: a.T @ b, ((3, 4), (3, 5)), "matmul_tn"),
    ("matmul_nt(a,b.T)", lambda a, b: matmul_nt(a, b.T), ((4, 3), (3, 5)), "matmul"),
    ("matmul_tn(a.T,b)", lambda a, b: matmul_tn(a.T, b), ((4, 3), (3, 5)), "matmul"),
    ("matmul_nt(a.T,b.T)", lambda a, b: matmul_nt(a.T, b.T), ((3, 4), (3, 5)), "matmul_tn"),
    ("matmul_tn(a.T,b.T)", lambda a, b: matmul_tn(a.T, b.T), ((4, 3), (5, 3)), "matmul_nt"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("function", "shapes", "product"), [case[1:] for case in FOLDS], ids=[c[0] for c in FOLDS])
def test_a_transposed_operand_is_read_untransposed_by_the_matching_product(function, shapes, product, dtype):
    a, b = (normal(*shape, dtype=dtype) for shape in shapes)
    lowered = assert_compiled_equals_eager(function, a, b)
    assert lowered.unoptimized.count("transpose") >= 1
    assert names(lowered.ir) == [product], str(lowered.ir)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_product_of_two_transposes_keeps_one(dtype):
    a, b = normal(3, 4, dtype=dtype), normal(5, 3, dtype=dtype)
    lowered = assert_compiled_equals_eager(lambda a, b: a.T @ b.T, a, b)
    assert lowered.ir.count("transpose") == 1 and lowered.ir.count("matmul_tn") == 1, str(lowered.ir)


def test_a_transpose_read_elsewhere_stays_but_the_product_reads_its_original():
    a, b = normal(4, 3), normal(5, 3)
    lowered = assert_compiled_equals_eager(lambda a, b: (a @ b.T, b.T), a, b)
    assert sorted(names(lowered.ir)) == ["matmul_nt", "transpose"]
    product = next(equation for equation in lowered.ir.equations if equation.primitive.name == "matmul_nt")
    assert product.inputs[1] is lowered.ir.inputs[1]


NOT_FOLDED = [
    # id, function, shapes: an operand that is not a matrix, or a transpose that is not a full 2-D one
    ("stack@b.T", lambda a, b: a @ b.T, ((2, 4, 3), (5, 3))),
    ("a@swapaxes(stack)", lambda a, b: a @ wnp.swapaxes(b, -1, -2), ((4, 3), (2, 5, 3))),
    ("b.T@vector", lambda a, b: b.T @ a, ((5,), (5, 3))),
    ("vector@b.T", lambda a, b: a @ b.T, ((3,), (5, 3))),
]


@pytest.mark.parametrize(("function", "shapes"), [case[1:] for case in NOT_FOLDED], ids=[c[0] for c in NOT_FOLDED])
def test_products_that_are_not_of_two_matrices_keep_their_transposes(function, shapes):
    a, b = (normal(*shape) for shape in shapes)
    lowered = assert_compiled_equals_eager(function, a, b)
    assert lowered.ir.count("transpose") == 1 and lowered.ir.count("matmul") == 1, str(lowered.ir)


def test_the_fold_pass_alone_rewrites_the_product_and_leaves_the_transpose_to_dead_code_elimination():
    x, w, w_t, y = var(1, (4, 3)), var(2, (5, 3)), var(3, (3, 5)), var(4, (4, 5))
    program = Program([x, w], [Equation(TRANSPOSE, (w,), {"axes": None}, w_t), Equation(MATMUL, (x, w_t), {}, y)], [y])
    folded = fold_transposes_into_matmul(program)
    assert names(folded) == ["transpose", "matmul_nt"]
    assert folded.equations[1].inputs == (x, w) and folded.equations[1].out is y
    assert names(eliminate_dead_code(folded)) == ["matmul_nt"]
    assert names(program) == ["transpose", "matmul"]  # the pass returns a new program
    xs, ws = normal(4, 3), normal(5, 3)
    np.testing.assert_array_equal(emit(eliminate_dead_code(folded)).function(xs, ws)[0], xs @ ws.T)


def test_the_fold_pass_leaves_transposes_that_do_not_swap_a_matrix_alone():
    x, w, w_t, y = var(1, (2, 4, 3)), var(2, (2, 5, 3)), var(3, (2, 3, 5)), var(4, (2, 4, 5))
    program = Program(
        [x, w], [Equation(TRANSPOSE, (w,), {"axes": (0, 2, 1)}, w_t), Equation(MATMUL, (x, w_t), {}, y)], [y]
    )
    assert names(fold_transposes_into_matmul(program)) == ["transpose", "matmul"]
    # The identity permutation of a matrix (eliminate_identities' business, not this pass's).
    x, w, same, y = var(1, (4, 3)), var(2, (3, 5)), var(3, (3, 5)), var(4, (4, 5))
    program = Program(
        [x, w], [Equation(TRANSPOSE, (w,), {"axes": (0, 1)}, same), Equation(MATMUL, (x, same), {}, y)], [y]
    )
    assert names(fold_transposes_into_matmul(program)) == ["transpose", "matmul"]


# -- fusing a product with its bias --------------------------------------------------------------


FUSIONS = [
    # id, function, shapes of x, w and the bias, the product the fused equation computes
    ("x@w+b", lambda x, w, b: x @ w + b, ((6, 4), (4, 5), (5,)), "matmul"),
    ("b+x@w", lambda x, w, b: b + x @ w, ((6, 4), (4, 5), (5,)), "matmul"),
    ("x@w.T+b", lambda x, w, b: x @ w.T + b, ((6, 4), (5, 4), (5,)), "matmul_nt"),
    ("x.T@w+column", lambda x, w, b: x.T @ w + b, ((4, 6), (4, 5), (6, 1)), "matmul_tn"),
    ("x@w+full", lambda x, w, b: x @ w + b, ((6, 4), (4, 5), (6, 5)), "matmul"),
    ("x@w+scalar", lambda x, w, b: x @ w + b, ((6, 4), (4, 5), ()), "matmul"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("function", "shapes", "product"), [c[1:] for c in FUSIONS], ids=[c[0] for c in FUSIONS])
def test_a_product_and_its_bias_become_one_equation(function, shapes, product, dtype):
    x, w, b = (normal(*shape, dtype=dtype) for shape in shapes)
    lowered = assert_compiled_equals_eager(function, x, w, b)
    assert names(lowered.ir) == ["matmul_add"], str(lowered.ir)
    assert lowered.ir.equations[0].params == {"product": product}
    assert lowered.ir.equations[0].inputs[2] is lowered.ir.inputs[2]  # the bias
    assert "matmul_add(" in lowered.source


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_python_number_bias_keeps_the_products_dtype_and_fuses(dtype):
    x, w = normal(6, 4, dtype=dtype), normal(4, 5, dtype=dtype)
    lowered = assert_compiled_equals_eager(lambda x, w: x @ w + 0.5, x, w)
    assert names(lowered.ir) == ["matmul_add"], str(lowered.ir)
    assert lowered(x, w).dtype == dtype


NOT_FUSED = [
    # id, function, shapes and dtypes of x, w and the bias
    ("product read twice", lambda x, w, b: (x @ w + b, x @ w), ((6, 4, "f8"), (4, 5, "f8"), (5, "f8"))),
    ("product returned too", lambda x, w, b: (x @ w) * (x @ w + b), ((6, 4, "f8"), (4, 5, "f8"), (5, "f8"))),
    ("bias enlarges the shape", lambda x, w, b: x @ w + b, ((6, 4, "f8"), (4, 5, "f8"), (3, 1, 5, "f8"))),
    ("bias widens the dtype", lambda x, w, b: x @ w + b, ((6, 4, "f4"), (4, 5, "f4"), (5, "f8"))),
    ("float64 scalar bias", lambda x, w, b: x @ w + np.float64(0.5), ((6, 4, "f4"), (4, 5, "f4"), (5, "f8"))),
    ("stack of products", lambda x, w, b: x @ w + b, ((2, 6, 4, "f8"), (4, 5, "f8"), (5, "f8"))),
    ("matrix times vector", lambda x, w, b: x @ w + b, ((6, 4, "f8"), (4, "f8"), (6, "f8"))),
]


@pytest.mark.parametrize(("function", "shapes"), [case[1:] for case in NOT_FUSED], ids=[c[0] for c in NOT_FUSED])
def test_sums_that_must_not_be_fused_are_left_alone(function, shapes):
    x, w, b = (normal(*shape[:-1], dtype=shape[-1]) for shape in shapes)
    lowered = assert_compiled_equals_eager(function, x, w, b)
    assert lowered.ir.count("matmul_add") == 0, str(lowered.ir)
    assert lowered.ir.count("matmul") == 1 and lowered.ir.count("add") == 1, str(lowered.ir)


def test_a_cotangent_sum_at_a_fan_out_fuses_with_its_product():
    def fan_out(x, w):
        return wnp.sum(wnp.tanh((x @ w) @ w.T) * x)

    lowered = assert_compiled_equals_eager(wg.grad(fan_out), normal(4, 3), normal(3, 3))
    assert lowered.unoptimized.count("add_any") == 1
    assert lowered.ir.count("add_any") == 0 and lowered.ir.count("matmul_add") == 1, str(lowered.ir)


def test_the_fusion_pass_alone_replaces_the_sum_and_drops_the_product():
    x, w, b, product, total, shifted = (
        var(1, (4, 3)),
        var(2, (3, 5)),
        var(3, (5,)),
        var(4, (4, 5)),
        var(5, (4, 5)),
        var(6, (4, 5)),
    )
    equations = [
        Equation(MATMUL, (x, w), {}, product),
        Equation(ADD, (product, b), {}, total),
        Equation(ADD, (total, Literal(1.0)), {}, shifted),
    ]
    program = Program([x, w, b], equations, [shifted])
    fused = fuse_matmul_bias(program)
    assert names(fused) == ["matmul_add", "add"]
    assert fused.equations[0].inputs == (x, w, b) and fused.equations[0].out is total
    assert fused.equations[0].params == {"product": "matmul"}
    assert fuse_matmul_bias(Program([x, w, b], equations, [shifted, product])).equations == equations
    xs, ws, bs = normal(4, 3), normal(3, 5), normal(5)
    np.testing.assert_array_equal(emit(fused).function(xs, ws, bs)[0], xs @ ws + bs + 1.0)


def test_matmul_add_bound_eagerly_computes_the_sum_and_refuses_differentiation():
    a, b = normal(4, 3), normal(3, 5)
    for bias in (normal(5), normal(4, 5), 2.5, normal(2, 4, 5), normal(5).astype(np.float32)):
        np.testing.assert_array_equal(matmul_add_p.bind(a, b, bias, product="matmul"), a @ b + bias)
    column = normal(4, 1)
    np.testing.assert_array_equal(matmul_add_p.bind(a, a, column, product="matmul_nt"), a @ a.T + column)
    np.testing.assert_array_equal(matmul_add_p.bind(a, a, 1.0, product="matmul_tn"), a.T @ a + 1.0)
    widened = matmul_add_p.bind(a.astype(np.float32), b.astype(np.float32), normal(5), product="matmul")
    assert widened.dtype == np.float64  # not squeezed into the float32 product's array
    with pytest.raises(NotImplementedError, match="matmul_add"):
        wg.grad(lambda a: wnp.sum(matmul_add_p.bind(a, b, 1.0, product="matmul")))(a)


# -- a multilayer perceptron in PyTorch's layout: weights (out, in), x @ W.T + b -----------------


def init_mlp(sizes: list[int], dtype: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(normal(out, size, dtype=dtype), normal(out, dtype=dtype)) for size, out in zip(sizes[:-1], sizes[1:])]


def mlp(params: list, x: Any) -> Any:
    for index, (weight, bias) in enumerate(params):
        x = x @ weight.T + bias
        if index < len(params) - 1:
            x = wnp.relu(x)
    return x


def mlp_loss(params: list, x: Any, y: Any) -> Any:
    return wnp.mean((mlp(params, x) - y) ** 2)


SIZES = [7, 9, 8, 3]


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_layer_of_the_mlp_forward_is_one_fused_product(dtype):
    params, x = init_mlp(SIZES, dtype), normal(5, SIZES[0], dtype=dtype)
    lowered = assert_compiled_equals_eager(mlp, params, x)
    assert lowered.ir.count("matmul_add") == 3, str(lowered.ir)
    assert {equation.params["product"] for equation in lowered.ir.equations if equation.params} == {"matmul_nt"}
    assert lowered.ir.count("transpose") == lowered.ir.count("add") == lowered.ir.count("matmul_nt") == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_mlp_training_step_folds_the_weight_transposes_of_both_passes(dtype):
    params, x, y = init_mlp(SIZES, dtype), normal(5, SIZES[0], dtype=dtype), normal(5, SIZES[-1], dtype=dtype)
    lowered = assert_compiled_equals_eager(wg.value_and_grad(mlp_loss), params, x, y)
    ir = lowered.ir
    assert ir.count("matmul_add") == 3, str(ir)
    # The backward pass's x-cotangents read the weights as they are: g @ W, with no transpose.
    assert ir.count("matmul") == 2 and ir.count("matmul_nt") == 0, str(ir)
    # Left: each weight's gradient, (x.T @ g).T, a view of the product that is only returned
    # (the fold pass's docstring says why it is not rewritten as g.T @ x).
    producers = {equation.out.number: equation for equation in ir.equations}
    transposes = [equation for equation in ir.equations if equation.primitive.name == "transpose"]
    returned, uses = {value.number for value in ir.outputs if isinstance(value, Var)}, ir.uses()
    assert len(transposes) == 3
    for transpose in transposes:
        assert producers[transpose.inputs[0].number].primitive.name == "matmul_tn"
        assert transpose.out.number in returned and uses[transpose.out.number] == 1


def test_the_compiled_mlp_training_step_equals_eager_on_every_call():
    params, x, y = init_mlp(SIZES, np.float32), normal(5, SIZES[0], dtype=np.float32), normal(5, 3, dtype=np.float32)
    step = wg.jit(wg.value_and_grad(mlp_loss))
    for _ in range(2):  # the second call runs the cached program
        value, grads = step(params, x, y)
        eager_value, eager_grads = wg.value_and_grad(mlp_loss)(params, x, y)
        np.testing.assert_array_equal(value, eager_value)
        for got, expected in zip(wg.tree_leaves(grads), wg.tree_leaves(eager_grads)):
            np.testing.assert_array_equal(got, expected)
        params = [(w - 0.1 * gw, b - 0.1 * gb) for (w, b), (gw, gb) in zip(params, grads)]
    assert step.cache_info().traces == 1


def test_optimize_stops_at_a_fixed_point_with_the_new_passes():
    params, x, y = init_mlp(SIZES, np.float64), normal(5, SIZES[0]), normal(5, SIZES[-1])
    ir = wg.jit(wg.value_and_grad(mlp_loss)).lower(params, x, y).ir
    again = optimize(ir)
    assert names(again) == names(ir)
    assert [equation.inputs for equation in again.equations] == [equation.inputs for equation in ir.equations]


# -- fuse_siblings: two equations reading the same operands computed as one ------------------------------


def test_fuse_siblings_merges_tanh_s_step_with_the_slope_of_the_same_operands_only():
    """tanh's second-order step and ``tanh_grad(ẋ, y)`` of its own y and ẋ become one `tanh_both_orders`
    and two views of it; a slope of other directions, or of another y, stays apart. The values are those
    of eager mode (the joint loop does the same arithmetic)."""
    from wengert.numpy.elementwise import tanh_grad
    from wengert.numpy.second_order_steps import tanh_second_order

    terms = (((0, 0, 1.0), (1, 1, -1.0)),)

    def f(y, first, second):
        step = tanh_second_order(y, first, second, terms=terms)
        return step, tanh_grad(first, y), tanh_grad(first * 2.0, y), tanh_grad(first, y * 0.5)

    y, first, second = np.tanh(normal(30, 8)), normal(2, 30, 8), normal(1, 30, 8)
    compiled = wg.jit(f)
    program = compiled.lower(y, first, second).ir
    assert program.count("tanh_both_orders") == 1 and program.count("tanh_second_order") == 0
    assert program.count("tanh_grad") == 2 and program.count("stack_part") == 2
    for ours, eager in zip(compiled(y, first, second), f(y, first, second)):
        np.testing.assert_allclose(ours, eager, rtol=1e-14, atol=1e-14)


def test_fuse_siblings_takes_equal_constants_as_one_operand():
    """A first layer's directions reach the step and the slope as two constants of equal values."""
    from wengert.compile.passes import _same_operand

    rows = normal(2, 1, 8)
    assert _same_operand(Literal(rows), Literal(rows.copy()))
    assert not _same_operand(Literal(rows), Literal(rows.astype(np.float32)))
    assert not _same_operand(Literal(rows), Literal(rows[:, :, :4]))
    assert not _same_operand(Literal(rows), Literal(rows + 1.0))
    assert not _same_operand(var(1, (2, 1, 8)), Literal(rows))
    assert _same_operand(var(1, (2, 1, 8)), var(1, (2, 1, 8))) and not _same_operand(var(1, (8,)), var(2, (8,)))


def test_fuse_siblings_places_the_fused_step_where_its_operands_and_readers_allow():
    """The slope before the step whose ẍ is made between them: the fused equation goes to the step's place
    (the slope's result is read only after it); where something between reads the slope, nothing fuses."""
    from wengert.numpy.elementwise import tanh_grad
    from wengert.numpy.second_order_steps import tanh_second_order

    terms = (((0, 1, 2.0),),)

    def later(y, first, second):
        slope = tanh_grad(first, y)
        step = tanh_second_order(y, first, second * 3.0, terms=terms)
        return step, slope

    def blocked(y, first, second):
        slope = tanh_grad(first, y)
        step = tanh_second_order(y, first, second * wnp.sum(slope), terms=terms)
        return step, slope

    y, first, second = np.tanh(normal(30, 8)), normal(2, 30, 8), normal(1, 30, 8)
    for function, fused in ((later, 1), (blocked, 0)):
        compiled = wg.jit(function)
        assert compiled.lower(y, first, second).ir.count("tanh_both_orders") == fused
        for ours, eager in zip(compiled(y, first, second), function(y, first, second)):
            np.testing.assert_allclose(ours, eager, rtol=1e-14, atol=1e-14)


# -- fuse_into_readers: an equation computed with the chain that alone reads it -------------------------------


def test_fuse_into_readers_sums_the_step_against_a_one_column_product_only():
    """tanh's step read only by a reshape read only by a product with a (C, 1) matrix becomes one
    `tanh_second_order_times`; a product with two columns, or a step read twice, stays as it is."""
    from wengert.numpy.second_order_steps import tanh_second_order

    terms = (((0, 0, 1.0), (1, 1, -1.0)),)

    def one_column(y, first, second, w):
        return wnp.reshape(tanh_second_order(y, first, second, terms=terms), (30, 8)) @ w[:, :1]

    def two_columns(y, first, second, w):
        return wnp.reshape(tanh_second_order(y, first, second, terms=terms), (30, 8)) @ w

    def read_twice(y, first, second, w):
        step = tanh_second_order(y, first, second, terms=terms)
        return wnp.reshape(step, (30, 8)) @ w[:, :1], wnp.sum(step)

    y, first, second, w = np.tanh(normal(30, 8)), normal(2, 30, 8), normal(1, 30, 8), normal(8, 2)
    for function, fused in ((one_column, 1), (two_columns, 0), (read_twice, 0)):
        compiled = wg.jit(function)
        program = compiled.lower(y, first, second, w).ir
        assert program.count("tanh_second_order_times") == fused
        assert program.count("tanh_second_order") == 1 - fused
        ours, eager = compiled(y, first, second, w), function(y, first, second, w)
        for a, b in zip(ours if isinstance(ours, tuple) else (ours,), eager if isinstance(eager, tuple) else (eager,)):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
