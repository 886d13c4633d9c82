"""Tensor creation with PyTorch's names (wengert.creation), against PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
from wengert import creation as C
from wengert.dtypes import Device


def _torch():
    return pytest.importorskip("torch")


@pytest.fixture
def torch_float64():
    """PyTorch with wengert's default dtype (float64), restored afterwards."""
    torch = _torch()
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


@pytest.fixture
def default_float32():
    """wengert's default dtype set to float32 for one test, restored afterwards."""
    C.set_default_dtype(C.float32)
    yield
    C.set_default_dtype(C.float64)


def _same(ours: wg.Tensor, theirs, exact: bool = True) -> None:
    """Same shape, dtype and values as a torch tensor (or within a few roundings, where PyTorch fuses a*b+c)."""
    assert isinstance(ours, wg.Tensor)
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape
    assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    if exact or expected.dtype.kind != "f":
        np.testing.assert_array_equal(ours.detach().numpy(), expected)
    else:
        scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
        np.testing.assert_allclose(
            ours.detach().numpy(), expected, rtol=0, atol=4 * np.finfo(expected.dtype).eps * scale
        )


# -- sizes, fills, dtypes ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), ((),), (0,), (4,)])
def test_sizes_as_integers_or_one_tuple(name, size):
    expected = size[0] if len(size) == 1 and not isinstance(size[0], int) else size
    result = getattr(C, name)(*size)
    assert isinstance(result, wg.Tensor) and result.shape == tuple(expected)
    assert result.dtype == np.float64 and not result.requires_grad and result.is_leaf


def test_empty_holds_zeros():
    assert not C.empty(3, 2).numpy().any()


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(2, 3),
        lambda m: m.ones((3,)),
        lambda m: m.zeros(2, dtype=m.int64),
        lambda m: m.ones(2, 2, dtype=m.float32),
        lambda m: m.full((2, 2), 7),
        lambda m: m.full((2,), 0.25),
        lambda m: m.full((3,), True),
        lambda m: m.full((2,), 3.7, dtype=m.int64),
        lambda m: m.full((2,), -1.5, dtype=m.float32),
        lambda m: m.eye(3),
        lambda m: m.eye(2, 4),
        lambda m: m.eye(4, 2, dtype=m.int32),
        lambda m: m.arange(5),
        lambda m: m.arange(2, 9, 3),
        lambda m: m.arange(5, 0, -2),
        lambda m: m.arange(5.0),
        lambda m: m.arange(0, 1, 0.1),
        lambda m: m.arange(-1, 1, 0.3),
        lambda m: m.arange(0, 1, 0.1, dtype=m.float32),
        lambda m: m.arange(3, dtype=m.float32),
        lambda m: m.arange(4, 4),
        lambda m: m.linspace(0, 1, 5),
        lambda m: m.linspace(-3, 7, 1),
        lambda m: m.linspace(2, 2, 0),
        lambda m: m.linspace(0, 10, 4, dtype=m.int64),
        lambda m: m.linspace(-10, 0, 4, dtype=m.int64),
    ],
)
def test_values_and_dtypes_match_pytorch(make, torch_float64):
    # PyTorch computes float ranges with fused multiply-adds: equal to a rounding or two, not always bit for bit.
    _same(make(C), make(torch_float64), exact=False)


def test_linspace_float32_within_roundings_of_pytorch(torch_float64):
    torch = torch_float64
    _same(C.linspace(-1, 1, 7, dtype=C.float32), torch.linspace(-1, 1, 7, dtype=torch.float32), exact=False)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like"])
def test_like_functions_take_shape_and_dtype(name, torch_float64):
    torch = torch_float64
    for source, torch_source in [
        (C.ones(2, 3, dtype=C.float32), torch.ones(2, 3, dtype=torch.float32)),
        (C.arange(4), torch.arange(4)),
        (wg.tensor(1.5), torch.tensor(1.5)),
    ]:
        ours, theirs = getattr(C, name)(source), getattr(torch, name)(torch_source)
        if name == "empty_like":
            assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.numpy().dtype
        else:
            _same(ours, theirs)
    assert getattr(C, name)(C.ones(2), dtype=C.int32).dtype == np.int32
    assert getattr(C, name)(np.ones((2, 2), np.float32)).dtype == np.float32


def test_full_like_casts_the_fill_to_the_dtype(torch_float64):
    torch = torch_float64
    _same(C.full_like(C.zeros(2, dtype=C.int64), -3.7), torch.full_like(torch.zeros(2, dtype=torch.int64), -3.7))
    _same(C.full_like(C.zeros(2), 2), torch.full_like(torch.zeros(2), 2))


def test_full_of_a_tensor_is_differentiable_in_it():
    fill = wg.tensor(2.0, requires_grad=True)
    (C.full((2, 3), fill) * 3.0).sum().backward()
    assert float(fill.grad) == 18.0


def test_requires_grad_makes_a_leaf():
    x = C.ones(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    for make in (C.zeros, C.rand, C.randn, C.empty):
        assert make(3, requires_grad=True).requires_grad
    assert C.linspace(0, 1, 3, requires_grad=True).requires_grad
    assert C.arange(0.0, 1.0, 0.5, requires_grad=True).requires_grad


def test_requires_grad_of_an_integer_tensor_is_refused():
    # PyTorch raises a RuntimeError here; wengert's tensors raise TypeError for this (wg.tensor does too).
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        C.zeros(2, dtype=C.int64, requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point"):
        C.arange(3, requires_grad=True)


def test_dtype_accepts_numpy_python_and_torch_spellings():
    assert C.zeros(1, dtype=np.float32).dtype == np.float32
    assert C.zeros(1, dtype="float32").dtype == np.float32
    assert C.zeros(1, dtype=float).dtype == np.float64
    assert C.zeros(1, dtype=bool).dtype == np.bool_
    torch = pytest.importorskip("torch")
    assert C.zeros(1, dtype=torch.float32).dtype == np.float32
    assert C.zeros(1, dtype=torch.long).dtype == np.int64
    assert C.zeros(1, dtype=torch.bool).dtype == np.bool_
    with pytest.raises(TypeError, match="no NumPy counterpart"):
        C.zeros(1, dtype=torch.bfloat16)


def test_bad_dtypes_are_refused():
    with pytest.raises(TypeError, match="complex tensors are not supported"):
        C.zeros(2, dtype=np.complex128)
    with pytest.raises(TypeError, match="is not a dtype"):
        C.ones(2, dtype="banana")
    with pytest.raises(TypeError, match="does not hold numbers"):
        C.ones(2, dtype=object)


def test_dtype_aliases_are_numpy_dtypes():
    assert C.float32 == np.float32 and C.float64 == np.float64 and C.float16 == np.float16
    assert C.int64 == np.int64 and C.int32 == np.int32 and C.bool_ == np.bool_
    assert C.double is C.float64 and C.half is C.float16 and C.long is C.int64
    # Compared by identity as PyTorch users do (`x.dtype is torch.float32`).
    assert C.zeros(2, dtype=C.float32).dtype is C.float32
    assert wg.tensor([True]).dtype is C.bool_
    import wengert.creation

    assert "bool" not in wengert.creation.__all__ and "bool_" in wengert.creation.__all__


def test_pytorch_dtype_aliases_name_the_same_types():
    torch = _torch()
    for ours, theirs in [
        (C.float16, torch.float16),
        (C.float32, torch.float32),
        (C.float64, torch.float64),
        (C.int32, torch.int32),
        (C.int64, torch.int64),
        (C.bool_, torch.bool),
        (C.double, torch.double),
        (C.half, torch.half),
        (C.long, torch.long),
        (C.short, torch.short),
        (C.uint8, torch.uint8),
        (C.int8, torch.int8),
    ]:
        assert torch.zeros(1, dtype=theirs).numpy().dtype == ours


# -- the default dtype ------------------------------------------------------------------------------


def test_default_dtype_is_float64():
    assert C.get_default_dtype() == np.float64
    assert C.zeros(1).dtype == np.float64 and wg.tensor([1.0]).dtype == np.float64


def test_set_default_dtype_changes_new_floating_tensors(default_float32):
    assert C.get_default_dtype() == np.float32
    for result in (
        C.zeros(2),
        C.ones(2),
        C.empty(2),
        C.rand(2),
        C.randn(2),
        C.eye(2),
        C.full((2,), 0.5),
        C.arange(0.0, 2.0),
        C.linspace(0, 1, 3),
        wg.tensor([1.0, 2.0]),
        wg.tensor(1.0),
    ):
        assert result.dtype == np.float32
    # Integers, booleans and NumPy arrays keep their own dtypes, as in PyTorch.
    assert C.arange(3).dtype == np.int64 and C.full((1,), 2).dtype == np.int64
    assert wg.tensor(np.array([1.0])).dtype == np.float64 and wg.tensor([1, 2]).dtype == np.int64
    assert C.zeros(2, dtype=C.float64).dtype == np.float64


def test_set_default_dtype_matches_pytorch_and_refuses_integers(default_float32):
    torch = _torch()
    _same(C.arange(0, 1, 0.25), torch.arange(0, 1, 0.25))
    _same(C.full((2,), 1.5), torch.full((2,), 1.5))
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        C.set_default_dtype(C.int64)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)
    assert C.get_default_dtype() == np.float32


# -- devices ----------------------------------------------------------------------------------------


def test_only_the_cpu_is_accepted():
    for device in (None, "cpu", "cpu:0", Device("cpu"), C.device("cpu")):
        assert C.zeros(1, device=device).device.type == "cpu"
    for device in ("cuda", "cuda:0", "mps", Device):
        with pytest.raises((RuntimeError, TypeError), match="CPU only|device must be"):
            C.ones(1, device=device)
    with pytest.raises(RuntimeError, match=r"wengert computes on the CPU only.*'cuda'"):
        C.rand(2, device="cuda")
    torch = pytest.importorskip("torch")
    assert C.zeros(1, device=torch.device("cpu")).shape == (1,)
    with pytest.raises(RuntimeError, match="CPU only"):
        C.zeros(1, device=torch.device("meta"))


def test_device_objects_behave_as_pytorch_devices():
    torch = _torch()
    for text in ("cpu", "cpu:0"):
        ours, theirs = Device(text), torch.device(text)
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
        assert ours.type == theirs.type and ours.index == theirs.index
    assert (Device("cpu") == Device("cpu:0")) == (torch.device("cpu") == torch.device("cpu:0"))
    assert (Device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert hash(Device("cpu")) == hash(Device("cpu"))


# -- errors, against PyTorch's types -------------------------------------------------------------------


ERRORS = [
    ("negative size", lambda m: m.zeros(-1)),
    ("float size", lambda m: m.zeros(2.5)),
    ("float in a tuple", lambda m: m.ones((2, 1.5))),
    ("low >= high", lambda m: m.randint(5, 3, (2,))),
    ("randint without size", lambda m: m.randint(5, 3)),
    ("randint int size", lambda m: m.randint(0, 5, 3)),
    ("negative steps", lambda m: m.linspace(0, 1, -1)),
    ("zero step", lambda m: m.arange(0, 1, 0)),
    ("step sign", lambda m: m.arange(0, 5, -1)),
    ("negative eye", lambda m: m.eye(-1)),
    ("negative randperm", lambda m: m.randperm(-2)),
    ("cat of other sizes", lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 4)])),
    ("cat of nothing", lambda m: m.cat([])),
    ("cat of other ranks", lambda m: m.cat([m.zeros(2, 3), m.zeros(3)])),
    ("cat of scalars", lambda m: m.cat([m.zeros(()), m.zeros(())])),
    ("cat dim out of range", lambda m: m.cat([m.zeros(2), m.zeros(2)], dim=1)),
    ("stack of other sizes", lambda m: m.stack([m.zeros(2), m.zeros(3)])),
    ("stack dim out of range", lambda m: m.stack([m.zeros(2), m.zeros(2)], dim=3)),
]


@pytest.mark.parametrize("name, make", ERRORS, ids=[name for name, _ in ERRORS])
def test_errors_have_pytorchs_types(name, make):
    torch = _torch()
    with pytest.raises(Exception) as theirs:
        make(torch)
    with pytest.raises(Exception) as ours:
        make(C)
    assert isinstance(ours.value, type(theirs.value)), (type(ours.value), type(theirs.value), str(ours.value))


def test_error_messages_name_the_problem():
    with pytest.raises(RuntimeError, match=r"non-negative, got \(2, -1\)"):
        C.zeros(2, -1)
    with pytest.raises(TypeError, match="size must be integers or one tuple of integers, got float 2.5"):
        C.ones(2.5)
    with pytest.raises(RuntimeError, match="low must be smaller than high, got low=5 >= high=3"):
        C.randint(5, 3, (2,))
    with pytest.raises(RuntimeError, match="Expected size 3 but got size 4 for tensor number 1"):
        C.cat([C.zeros(2, 3), C.zeros(2, 4)], dim=0)
    with pytest.raises(TypeError, match="expected tensors, but element 1 is list"):
        C.cat([C.zeros(2), [1.0, 2.0]])
    with pytest.raises(TypeError, match="expected a sequence"):
        C.stack(C.zeros(2, 2))
    with pytest.raises(TypeError, match="out= is not supported"):
        C.zeros(2, out=C.zeros(2))
    with pytest.raises(TypeError, match="dtype must be floating point, got int64"):
        C.rand(2, dtype=C.int64)
    with pytest.raises(TypeError, match="steps must be an int"):
        C.linspace(0, 1, 2.5)


# -- random draws -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draw",
    [
        lambda **kw: C.rand(3, 4, **kw),
        lambda **kw: C.randn((5,), **kw),
        lambda **kw: C.randint(0, 10, (6,), **kw),
        lambda **kw: C.randperm(7, **kw),
        lambda **kw: C.rand_like(C.zeros(2, 2), **kw),
        lambda **kw: C.randn_like(C.zeros(3, dtype=C.float32), **kw),
    ],
)
def test_random_draws_repeat_under_manual_seed_and_follow_generators(draw):
    wg.manual_seed(0)
    first = draw().numpy()
    wg.manual_seed(0)
    np.testing.assert_array_equal(draw().numpy(), first)
    wg.manual_seed(1)
    assert not np.array_equal(draw().numpy(), first)
    # A generator of their own: independent of the default stream, and reproducible.
    a = draw(generator=wg.Generator().manual_seed(5)).numpy()
    wg.manual_seed(0)
    b = draw(generator=wg.Generator().manual_seed(5)).numpy()
    np.testing.assert_array_equal(a, b)


def test_draws_advance_the_default_stream():
    wg.manual_seed(3)
    a, b = C.rand(4).numpy(), C.rand(4).numpy()
    assert not np.array_equal(a, b)


def test_random_shapes_and_dtypes_match_pytorch(torch_float64):
    torch = torch_float64
    cases = [
        (lambda m: m.rand(2, 3), None),
        (lambda m: m.rand((4,), dtype=m.float32), None),
        (lambda m: m.randn(3, 2), None),
        (lambda m: m.randn(2, dtype=m.float16), None),
        (lambda m: m.randint(10, (3, 2)), None),
        (lambda m: m.randint(-5, 5, (4,)), None),
        (lambda m: m.randint(0, 3, (2,), dtype=m.float32), None),
        (lambda m: m.randint(low=2, high=4, size=(3,)), None),
        (lambda m: m.randperm(6), None),
        (lambda m: m.randperm(3, dtype=m.float64), None),
        (lambda m: m.rand_like(m.zeros(2, dtype=m.float32)), None),
        (lambda m: m.randn_like(m.zeros(1, 2)), None),
    ]
    for make, _ in cases:
        ours, theirs = make(C), make(torch)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.numpy().dtype


def test_uniform_and_normal_moments():
    wg.manual_seed(0)
    n = 200_000
    uniform = C.rand(n).numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 1.0
    # Mean 1/2 and variance 1/12, within about five standard errors.
    assert abs(uniform.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(uniform.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)
    normal = C.randn(n).numpy()
    assert abs(normal.mean()) < 5 / np.sqrt(n)
    assert abs(normal.var() - 1.0) < 5 * np.sqrt(2 / n)
    assert abs(np.mean(normal**3)) < 5 * np.sqrt(15 / n)  # no skew
    assert abs(np.mean(normal**4) - 3.0) < 5 * np.sqrt(96 / n)  # normal kurtosis
    assert C.rand(n, dtype=C.float32).numpy().max() < 1.0


def test_randint_is_uniform_on_its_range_and_randperm_is_a_permutation():
    wg.manual_seed(0)
    draws = C.randint(3, 8, (50_000,)).numpy()
    assert draws.dtype == np.int64 and draws.min() == 3 and draws.max() == 7
    counts = np.bincount(draws - 3)
    expected = len(draws) / 5
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    assert C.randint(4, (10,)).numpy().min() >= 0  # randint(high, size): low is 0
    permutation = C.randperm(100).numpy()
    assert sorted(permutation.tolist()) == list(range(100)) and permutation.tolist() != list(range(100))
    assert C.randperm(0).shape == (0,)


# -- cat and stack ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack_values_and_gradients_match_pytorch(dim, torch_float64):
    torch = torch_float64
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    weights = rng.standard_normal(24)
    for join in ("cat", "stack"):
        ours = [wg.tensor(a, requires_grad=True), wg.tensor(b, requires_grad=True)]
        theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
        our_result, their_result = getattr(C, join)(ours, dim=dim), getattr(torch, join)(theirs, dim=dim)
        _same(our_result, their_result)
        size = int(np.prod(our_result.shape))
        (our_result.reshape(-1) * weights[:size]).sum().backward()
        (their_result.reshape(-1) * torch.tensor(weights[:size])).sum().backward()
        for x, y in zip(ours, theirs):
            np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-12)


def test_cat_promotes_dtypes_as_pytorch(torch_float64):
    torch = torch_float64
    for left, right in [("float32", "int64"), ("int32", "int64"), ("bool", "int64"), ("float32", "float64")]:
        ours = C.cat([C.ones(1, dtype=left), C.zeros(2, dtype=right)])
        theirs = torch.cat([torch.ones(1, dtype=getattr(torch, left)), torch.zeros(2, dtype=getattr(torch, right))])
        _same(ours, theirs)


def test_cat_of_constants_gives_a_tensor_that_does_not_require_grad():
    out = C.cat((C.ones(2), np.zeros(1)))
    assert isinstance(out, wg.Tensor) and not out.requires_grad and out.shape == (3,)
    out = C.stack([C.ones(2), C.ones(2, requires_grad=True)])
    assert out.requires_grad and out.grad_fn is not None


def test_cat_and_stack_under_a_transformation_stay_differentiable():
    gradient = wg.grad(lambda x: (C.stack([x, 2.0 * x]) ** 2).sum())(np.array([1.0, 3.0]))
    np.testing.assert_allclose(gradient, [10.0, 30.0])
