"""wengert.numpy einsum and tensordot: values against NumPy, derivatives to second order in both
modes, the adjoint identity, closed-form gradients and the errors for bad subscripts and shapes."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy.einsum import einsum_p, parse_subscripts
from wengert.testing import check_adjoint, check_grads

RNG = np.random.default_rng(7)


def traced_value(function, args):
    """The primal output of ``function`` evaluated on dual numbers (the traced code path)."""
    return wg.jvp(function, tuple(args), tuple(np.zeros_like(a) for a in args))[0]


# (subscripts, operand shapes): one line per kind of contraction.
EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("ij,jk", [(3, 4), (4, 2)]),  # implicit output
    ("ba", [(3, 4)]),  # implicit output sorts labels: a transpose
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->", [(3, 3)]),  # trace
    ("ii->i", [(3, 3)]),  # diagonal
    ("ii", [(3, 3)]),  # implicit trace
    ("iji->j", [(3, 2, 3)]),
    ("iij,k->jk", [(2, 2, 3), (4,)]),  # a diagonal, and a label only one operand has
    ("ij,k->i", [(3, 4), (2,)]),  # labels summed within their own operand
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),  # ellipsis broadcasting
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i...->...", [(3, 2, 2)]),
    ("...,...", [(2, 3), (3,)]),
    ("i,i->i", [(1,), (3,)]),  # a label broadcast from size 1
    ("ij,ij->i", [(3, 1), (3, 4)]),
    ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)]),
    (",i->i", [(), (3,)]),
    ("i->", [(0,)]),
]


def einsum_function(subscripts):
    def function(*operands):
        return wnp.einsum(subscripts, *operands)

    function.__name__ = f"einsum[{subscripts}]"
    return function


def operands_for(shapes):
    return tuple(RNG.standard_normal(shape) for shape in shapes)


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES, ids=[case[0] or "empty" for case in EINSUM_CASES])
def test_einsum_values_match_numpy(subscripts, shapes):
    operands = operands_for(shapes)
    expected = np.einsum(subscripts, *operands)
    function = einsum_function(subscripts)
    np.testing.assert_allclose(function(*operands), expected, rtol=1e-12)
    traced = traced_value(function, operands)
    assert np.shape(traced) == np.shape(expected)
    np.testing.assert_allclose(traced, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES, ids=[case[0] or "empty" for case in EINSUM_CASES])
def test_einsum_second_order_derivatives(subscripts, shapes):
    check_grads(einsum_function(subscripts), operands_for(shapes), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES, ids=[case[0] or "empty" for case in EINSUM_CASES])
def test_einsum_jvp_and_vjp_are_adjoint(subscripts, shapes):
    check_adjoint(einsum_function(subscripts), operands_for(shapes))


def test_einsum_of_a_single_traced_operand_among_constants():
    a, b, c = operands_for([(3, 4), (4, 5), (5,)])
    gradient = wg.grad(lambda m: wnp.einsum("ij,jk,k->", a, m, c))(b)
    np.testing.assert_allclose(gradient, np.outer(a.sum(axis=0), c), rtol=1e-12)
    check_grads(lambda m: wnp.einsum("ij,jk,k->i", a, m * m, c), (b,), order=2)


def test_einsum_closed_form_gradients():
    square = RNG.standard_normal((4, 4))
    np.testing.assert_array_equal(wg.grad(lambda m: wnp.einsum("ii->", m))(square), np.eye(4))
    weights = RNG.standard_normal(4)
    np.testing.assert_array_equal(wg.grad(lambda m: wnp.einsum("ii->i", m) @ weights)(square), np.diag(weights))
    a, b = operands_for([(3, 4), (3, 4)])
    np.testing.assert_array_equal(wg.grad(lambda m: wnp.einsum("ij,ij->", m, b))(a), b)
    # A label only the differentiated operand carries: the gradient is constant along it.
    np.testing.assert_array_equal(wg.grad(lambda m: wnp.einsum("ij->i", m) @ weights[:3])(a), weights[:3, None] + 0 * a)
    # x ↦ xᵀ A x has gradient (A + Aᵀ) x and Hessian A + Aᵀ.
    x = RNG.standard_normal(4)
    quadratic = lambda v: wnp.einsum("i,ij,j->", v, square, v)  # noqa: E731
    np.testing.assert_allclose(wg.grad(quadratic)(x), (square + square.T) @ x, rtol=1e-12)
    hessian_column = wg.jvp(wg.grad(quadratic), (x,), (np.eye(4)[1],))[1]
    np.testing.assert_allclose(hessian_column, (square + square.T)[:, 1], rtol=1e-12)


def test_interleaved_form():
    a, b = operands_for([(3, 4), (4, 2)])
    expected = np.einsum(a, [0, 1], b, [1, 2], [0, 2])
    np.testing.assert_allclose(traced_value(lambda x, y: wnp.einsum(x, [0, 1], y, [1, 2], [0, 2]), (a, b)), expected)
    np.testing.assert_allclose(traced_value(lambda x: wnp.einsum(x, [Ellipsis, 1]), (a,)), np.einsum(a, [..., 1]))
    check_grads(lambda x, y: wnp.einsum(x, [0, 1], y, [1, 2]), (a, b), order=2)


def test_numpy_einsum_dispatches_on_traced_values():
    a, b = operands_for([(3, 4), (4, 2)])
    gradient = wg.grad(lambda m: np.einsum("ij,jk->", m, b))(a)
    np.testing.assert_allclose(gradient, np.broadcast_to(b.sum(axis=1), (3, 4)), rtol=1e-12)


def test_tensor_dialect():
    a, b = operands_for([(3, 4), (4, 2)])
    x = wg.tensor(a, requires_grad=True)
    wnp.einsum("ij,jk->", x, b).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(b.sum(axis=1), (3, 4)), rtol=1e-12)


def test_float32_stays_float32():
    a, b = (operand.astype(np.float32) for operand in operands_for([(3, 3), (3,)]))
    gradient = wg.grad(lambda m: wnp.einsum("ii,i->", m, b))(a)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, np.diag(b), rtol=1e-6)


def test_parse_subscripts_normalises_ellipsis_and_implicit_output():
    assert parse_subscripts("ij,jk", ((2, 3), (3, 4))) == (("ij", "jk"), "ik")
    assert parse_subscripts("Ba", ((2, 3),)) == (("Ba",), "Ba")  # implicit: labels in ASCII order
    assert parse_subscripts("...i,i...->...", ((5, 2, 3), (3, 2))) == (("abi", "ib"), "ab")


# -- tensordot ---------------------------------------------------------------------------------------

TENSORDOT_CASES = [
    ((3, 4), (3, 4), 2),
    ((3, 4), (4, 2), 1),
    ((3,), (2,), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
    ((2, 3, 4), (5, 4, 2), ([-1], [-2])),
    ((2, 3), (3, 2), (1, 0)),
]


@pytest.mark.parametrize("a_shape, b_shape, axes", TENSORDOT_CASES, ids=[str(case[2]) for case in TENSORDOT_CASES])
def test_tensordot(a_shape, b_shape, axes):
    a, b = operands_for([a_shape, b_shape])

    def function(x, y):
        return wnp.tensordot(x, y, axes)

    expected = np.tensordot(a, b, axes)
    np.testing.assert_allclose(function(a, b), expected, rtol=1e-12)
    np.testing.assert_allclose(traced_value(function, (a, b)), expected, rtol=1e-12)
    check_grads(function, (a, b), order=2, modes=("fwd", "rev"))
    check_adjoint(function, (a, b))


def test_n_dimensional_dot_and_inner_use_tensordot():
    a, b, c = operands_for([(2, 3, 4), (5, 4, 2), (3, 4)])
    np.testing.assert_allclose(traced_value(wnp.dot, (a, b)), np.dot(a, b), rtol=1e-12)
    np.testing.assert_allclose(traced_value(wnp.inner, (a, c)), np.inner(a, c), rtol=1e-12)
    check_grads(wnp.dot, (a, b), order=2)


# -- errors ------------------------------------------------------------------------------------------------

EINSUM_ERRORS = [
    ("ij,jk->ik", [(3, 4)], "name 2 operand"),
    ("ij->ik", [(3, 4)], "'k'.*appears in no operand"),
    ("ij->ii", [(3, 4)], "'i' is repeated"),
    ("ij,jk->ik", [(3, 4), (5, 2)], r"label 'j'.*size 4.*5.*\(3, 4\), \(5, 2\)"),
    ("ii->i", [(3, 4)], r"repeats label 'i'.*\(3 and 4\)"),
    ("ijk->i", [(3, 4)], r"shape \(3, 4\).*'ijk' name 3"),
    ("...ijk->i", [(3, 4)], r"fewer dimensions"),
    ("...ij->ij", [(2, 3, 4)], r"output needs '...'"),
    ("i1->i", [(3, 4)], "invalid character '1'"),
    ("...i...->i", [(3, 4)], "more than one ellipsis"),
    ("i->i->i", [(3,)], "more than one '->'"),
]


@pytest.mark.parametrize("subscripts, shapes, message", EINSUM_ERRORS, ids=[case[0] for case in EINSUM_ERRORS])
def test_einsum_errors_name_the_problem(subscripts, shapes, message):
    operands = operands_for(shapes)
    with pytest.raises(ValueError, match=message):
        wg.grad(lambda *xs: wnp.sum(wnp.einsum(subscripts, *xs)))(*operands)


@pytest.mark.parametrize(
    "a_shape, b_shape, axes, message",
    [
        ((3, 4), (5, 2), 1, r"axis 1 of a \(3, 4\) has size 4, axis 0 of b \(5, 2\) has size 5"),
        ((3, 4), (4,), 3, "axes=3 is invalid"),
        ((3, 4), (4, 2), ([1, 0], [0]), "pair 2 axes of a with 1"),
        ((3, 4), (4, 2), ([2], [0]), r"axis 2 is out of bounds for a of shape \(3, 4\)"),
        ((3, 4), (4, 2), "ab", "pair of sequences"),
    ],
)
def test_tensordot_errors(a_shape, b_shape, axes, message):
    a, b = operands_for([a_shape, b_shape])
    with pytest.raises(ValueError, match=message):
        wg.grad(lambda x: wnp.sum(wnp.tensordot(x, b, axes)))(a)


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES, ids=[case[0] or "empty" for case in EINSUM_CASES])
def test_einsum_compiled_equals_eager(subscripts, shapes):
    from wengert.testing import check_jit

    check_jit(einsum_function(subscripts), operands_for(shapes))


def test_the_einsum_primitive_makes_new_arrays_even_for_a_rearrangement_numpy_returns_as_a_view():
    a = np.arange(9.0).reshape(3, 3)
    for inputs, output in (("ij", "ji"), ("ii", "i"), ("ij", "ij")):
        result = einsum_p.impl(a, inputs=(inputs,), output=output)
        np.testing.assert_array_equal(result, np.einsum(f"{inputs}->{output}", a))
        assert not np.shares_memory(result, a)  # jit may later write into it in place


def test_aligned_products_and_sums_match_numpy():
    rng = np.random.default_rng(3)
    w, v = rng.standard_normal(4), rng.standard_normal((4, 6))
    np.testing.assert_allclose(wnp.einsum("t,tr,tr->r", w, v, v), (w[:, None] * v * v).sum(0))
    np.testing.assert_allclose(wnp.einsum("tr,tr->r", v, v), (v * v).sum(0))
