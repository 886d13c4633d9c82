"""jit's matrix-product passes: transposes folded into products.

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
from wengert.compile.passes import eliminate_dead_code, fold_transposes_into_matmul
from wengert.compile.program import Program
from wengert.core.staging import Abstract, Equation, Var
from wengert.numpy.products import matmul_nt, matmul_tn

RNG = np.random.default_rng(2024)
DTYPES = [np.float32, np.float64]
TRANSPOSE, MATMUL = wnp.REGISTRY["transpose"], wnp.REGISTRY["matmul"]


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
