"""PyTorch's top-level functions (wengert.torch_functions) against PyTorch: values, gradients, argument meanings."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.torch_functions as F

RNG = np.random.default_rng(1)
POSITIVE = RNG.uniform(0.2, 0.9, (3, 4))
ANY = RNG.standard_normal((3, 4))


def _torch():
    return pytest.importorskip("torch")


def _pair(values):
    torch = _torch()
    values = np.asarray(values)
    return wg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def _compare(ours, theirs, our_inputs=(), their_inputs=(), rtol=1e-12):
    """Same shape, dtype and values; and, for float outputs, the same gradients of a weighted sum."""
    torch = _torch()
    expected = theirs.detach().numpy()
    assert isinstance(ours, wg.Tensor) and ours.shape == expected.shape and ours.dtype == expected.dtype
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol, atol=1e-14)
    if expected.dtype.kind == "f" and theirs.requires_grad:
        weights = np.cos(np.arange(expected.size) + 0.5).reshape(expected.shape)
        (theirs * torch.tensor(weights)).sum().backward()
        if not ours.requires_grad:  # piecewise constant (floor, sign...): no graph here, a zero gradient in PyTorch
            assert all(not b.grad.numpy().any() for b in their_inputs)
            return
        (ours * weights).sum().backward()
        for a, b in zip(our_inputs, their_inputs):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=1e-14)


UNARY = [name for name, _, _ in F._UNARY] + ["asin", "acos", "atanh", "rsqrt", "round"]


@pytest.mark.parametrize("name", UNARY)
def test_elementwise_functions_match_pytorch(name):
    torch = _torch()
    data = POSITIVE + 1.0 if name == "acosh" else POSITIVE
    if name in ("sign", "abs", "neg", "negative", "floor", "ceil", "trunc", "round", "relu", "square"):
        data = ANY
    ours_in, theirs_in = _pair(data)
    _compare(getattr(F, name)(ours_in), getattr(torch, name)(theirs_in), [ours_in], [theirs_in], rtol=1e-11)


BINARY = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "pow", "maximum", "minimum", "atan2"]
BINARY += ["remainder", "logaddexp", "matmul"]


@pytest.mark.parametrize("name", BINARY)
def test_two_argument_functions_match_pytorch(name):
    torch = _torch()
    a, b = (POSITIVE, RNG.uniform(0.2, 0.9, (4, 2))) if name == "matmul" else (POSITIVE, POSITIVE[::-1] + 0.1)
    ours_a, theirs_a = _pair(a)
    ours_b, theirs_b = _pair(b)
    _compare(
        getattr(F, name)(ours_a, ours_b),
        getattr(torch, name)(theirs_a, theirs_b),
        [ours_a, ours_b],
        [theirs_a, theirs_b],
    )


def test_keyword_arguments_have_pytorchs_meanings():
    torch = _torch()
    x, y = wg.tensor(ANY), torch.tensor(ANY)
    _compare(F.add(x, x, alpha=3), torch.add(y, y, alpha=3))
    _compare(F.sub(x, 1.0, alpha=2), torch.sub(y, 1.0, alpha=2))
    for mode in ("trunc", "floor"):
        _compare(F.div(x, 0.3, rounding_mode=mode), torch.div(y, 0.3, rounding_mode=mode))
        ints, their_ints = wg.tensor([-7, 7]), torch.tensor([-7, 7])
        _compare(F.div(ints, 2, rounding_mode=mode), torch.div(their_ints, 2, rounding_mode=mode))
    _compare(F.round(x, decimals=1), torch.round(y, decimals=1))
    _compare(F.pow(2.0, x), torch.pow(2.0, y))
    with pytest.raises(ValueError, match="rounding_mode"):
        F.div(x, 2.0, rounding_mode="up")


REDUCTIONS = [
    ("sum", (), {}),
    ("sum", (1,), {}),
    ("sum", (), {"dim": (0, 1), "keepdim": True}),
    ("mean", (0,), {"keepdim": True}),
    ("prod", (1,), {}),
    ("var", (), {}),
    ("var", (1,), {}),
    ("var", (0,), {"unbiased": False}),
    ("var", (), {"dim": 1, "correction": 0}),
    ("std", (), {}),
    ("std", (0,), {"keepdim": True}),
    ("amax", (), {}),
    ("amax", (1,), {"keepdim": True}),
    ("amin", (0,), {}),
    ("logsumexp", (1,), {}),
    ("logsumexp", (), {"dim": 0, "keepdim": True}),
    ("softmax", (), {"dim": 1}),
    ("log_softmax", (0,), {}),
    ("cumsum", (1,), {}),
    ("cumprod", (), {"dim": 0}),
    ("norm", (), {}),
    ("norm", (1,), {}),
    ("norm", (), {"dim": 1, "keepdim": True}),
    ("norm", ("fro",), {"dim": (0, 1)}),
    ("max", (), {}),
    ("min", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", REDUCTIONS, ids=[f"{n}{a}{k}" for n, a, k in REDUCTIONS])
def test_reductions_take_dim_and_keepdim_as_pytorch(name, args, kwargs):
    torch = _torch()
    ours_in, theirs_in = _pair(ANY)
    ours, theirs = getattr(F, name)(ours_in, *args, **kwargs), getattr(torch, name)(theirs_in, *args, **kwargs)
    _compare(ours, theirs, [ours_in], [theirs_in], rtol=1e-11)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_a_dim_and_between_tensors(name):
    torch = _torch()
    ours_in, theirs_in = _pair(ANY)
    ours, theirs = getattr(F, name)(ours_in, 1, keepdim=True), getattr(torch, name)(theirs_in, 1, keepdim=True)
    _compare(ours.indices, theirs.indices)
    _compare(ours.values, theirs.values, [ours_in], [theirs_in])
    other = np.flip(ANY, 1).copy()
    _compare(
        getattr(F, name)(wg.tensor(ANY), wg.tensor(other)), getattr(torch, name)(torch.tensor(ANY), torch.tensor(other))
    )
    for arg in ("argmax", "argmin"):
        _compare(getattr(F, arg)(wg.tensor(ANY)), getattr(torch, arg)(torch.tensor(ANY)))
        _compare(getattr(F, arg)(wg.tensor(ANY), 0, True), getattr(torch, arg)(torch.tensor(ANY), 0, True))


def test_clamp_where_and_comparisons():
    torch = _torch()
    ours_in, theirs_in = _pair(ANY)
    _compare(F.clamp(ours_in, -0.5, 0.5), torch.clamp(theirs_in, -0.5, 0.5), [ours_in], [theirs_in])
    _compare(F.clip(wg.tensor(ANY), min=0.0), torch.clip(torch.tensor(ANY), min=0.0))
    with pytest.raises(RuntimeError):
        torch.clamp(torch.tensor(ANY))
    with pytest.raises(RuntimeError, match="at least one of 'min' or 'max'"):
        F.clamp(wg.tensor(ANY))
    ours_in, theirs_in = _pair(ANY)
    condition = ANY > 0
    _compare(
        F.where(wg.tensor(condition), ours_in, ours_in * 2),
        torch.where(torch.tensor(condition), theirs_in, theirs_in * 2),
        [ours_in],
        [theirs_in],
    )
    for ours, theirs in zip(F.where(wg.tensor(condition)), torch.where(torch.tensor(condition))):
        _compare(ours, theirs)
    _compare(
        F.isclose(wg.tensor(ANY), wg.tensor(ANY + 1e-9)), torch.isclose(torch.tensor(ANY), torch.tensor(ANY + 1e-9))
    )
    assert F.allclose(wg.tensor(ANY), wg.tensor(ANY + 1e-9)) is True
    assert F.allclose(wg.tensor(ANY, requires_grad=True), wg.tensor(ANY + 1.0)) is False
    assert F.equal(wg.tensor([1.0, 2.0]), wg.tensor([1.0, 2.0])) and not F.equal(
        wg.tensor([1.0]), wg.tensor([1.0, 1.0])
    )


PRODUCTS = [
    ("mm", ((2, 3), (3, 4))),
    ("bmm", ((5, 2, 3), (5, 3, 4))),
    ("dot", ((3,), (3,))),
    ("outer", ((3,), (2,))),
]


@pytest.mark.parametrize("name, shapes", PRODUCTS, ids=[name for name, _ in PRODUCTS])
def test_products_match_pytorch_and_check_dimensions(name, shapes):
    torch = _torch()
    (a, their_a), (b, their_b) = (_pair(RNG.standard_normal(shape)) for shape in shapes)
    _compare(getattr(F, name)(a, b), getattr(torch, name)(their_a, their_b), [a, b], [their_a, their_b])
    if name != "outer":
        with pytest.raises(RuntimeError):
            getattr(torch, name)(torch.zeros(2, 2, 2, 2), torch.zeros(2, 2, 2, 2))
        with pytest.raises(RuntimeError, match="must be a"):
            getattr(F, name)(wg.tensor(np.zeros((2, 2, 2, 2))), wg.tensor(np.zeros((2, 2, 2, 2))))


def test_einsum_takes_operands_separately_or_as_a_list():
    torch = _torch()
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    ours_a, theirs_a = _pair(a)
    _compare(
        F.einsum("ij,jk->ik", ours_a, wg.tensor(b)),
        torch.einsum("ij,jk->ik", theirs_a, torch.tensor(b)),
        [ours_a],
        [theirs_a],
    )
    _compare(
        F.einsum("ij,jk->ik", [wg.tensor(a), wg.tensor(b)]),
        torch.einsum("ij,jk->ik", [torch.tensor(a), torch.tensor(b)]),
    )


SHAPES = [
    ("reshape", ((4, 6),), {}),
    ("flatten", (1,), {}),
    ("squeeze", (), {}),
    ("unsqueeze", (1,), {}),
    ("transpose", (0, 2), {}),
    ("swapaxes", (0, 1), {}),
    ("permute", ((2, 0, 1),), {}),
    ("flip", ((0, 2),), {}),
    ("roll", (1,), {"dims": 2}),
    ("roll", (2,), {}),
    ("diagonal", (), {"dim1": 1, "dim2": 2}),
    ("clone", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", SHAPES, ids=[f"{n}{a}{k}" for n, a, k in SHAPES])
def test_shape_functions_match_pytorch(name, args, kwargs):
    torch = _torch()
    ours_in, theirs_in = _pair(RNG.standard_normal((2, 3, 4)))
    _compare(
        getattr(F, name)(ours_in, *args, **kwargs),
        getattr(torch, name)(theirs_in, *args, **kwargs),
        [ours_in],
        [theirs_in],
    )


def test_matrix_shapes_split_and_stacking_functions():
    torch = _torch()
    ours_in, theirs_in = _pair(ANY)
    for name, args in [("t", ()), ("tril", ()), ("triu", (1,)), ("diag", ())]:
        _compare(getattr(F, name)(ours_in, *args), getattr(torch, name)(theirs_in, *args))
    _compare(F.diag(wg.tensor([1.0, 2.0])), torch.diag(torch.tensor([1.0, 2.0], dtype=torch.float64)))
    for name, args in [("split", (2, 1)), ("chunk", (2,)), ("unbind", (1,))]:
        for ours, theirs in zip(getattr(F, name)(ours_in, *args), getattr(torch, name)(theirs_in, *args), strict=True):
            _compare(ours, theirs)
    pieces, their_pieces = [wg.tensor([1.0, 2.0]), wg.tensor([3.0])], [torch.tensor([1.0, 2.0]), torch.tensor([3.0])]
    _compare(F.concat(pieces), torch.concat(their_pieces).double())
    _compare(F.hstack(pieces), torch.hstack(their_pieces).double())
    rows = [wg.tensor([1.0, 2.0]), wg.tensor([3.0, 4.0])]
    _compare(F.vstack(rows), torch.vstack([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])]).double())
    assert F.numel(ours_in) == torch.numel(theirs_in) == 12
    assert F.is_tensor(ours_in) and not F.is_tensor(ANY)
    assert F.is_floating_point(ours_in) and not F.is_floating_point(wg.tensor([1]))


def test_functions_that_need_a_tensor_say_so():
    with pytest.raises(TypeError, match=r"split\(\): expected a tensor, got list"):
        F.split([1.0, 2.0], 1)
    with pytest.raises(TypeError, match="expected a tensor"):
        F.max([1.0, 2.0])


def test_functions_differentiate_inside_the_jax_dialect():
    def f(x):
        return F.sum(F.exp(x) * F.max(x, dim=0).values, dim=None)

    x = np.array([[0.1, 0.7], [0.4, 0.2]])
    gradient = wg.grad(f)(x)
    expected = np.exp(x) * x.max(axis=0)
    expected[x.argmax(axis=0), [0, 1]] += np.exp(x).sum(axis=0)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)


def test_jax_dialect_names_are_not_redefined():
    for name in ("grad", "vmap", "jit", "trace", "jvp", "vjp", "hessian", "checkpoint", "linearize"):
        assert name not in F.__all__ and not hasattr(F, name)
