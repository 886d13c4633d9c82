"""Tensor methods with PyTorch's meanings (max/min along a dim, norm, split, .data, .to...), against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wengert as wg
from wengert import creation as C
from wengert.dtypes import Device

RNG = np.random.default_rng(0)
MATRIX = RNG.standard_normal((3, 4))
CUBE = RNG.standard_normal((2, 3, 4))
WITH_TIES = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])


def _torch():
    return pytest.importorskip("torch")


def _pair(values):
    """The same values as a wengert tensor and a torch tensor, both requiring grad."""
    torch = _torch()
    values = np.asarray(values)
    return wg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def _check(ours, theirs, rtol=1e-12):
    expected = theirs.detach().numpy()
    assert isinstance(ours, wg.Tensor)
    assert ours.shape == expected.shape and ours.dtype == expected.dtype, (ours.shape, ours.dtype, expected.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol, atol=1e-14)


def _check_gradients(our_out, their_out, our_in, their_in, rtol=1e-12):
    """Backward of a weighted sum of the outputs; the inputs' gradients must agree."""
    torch = _torch()
    weights = np.cos(np.arange(int(np.prod(our_out.shape))) + 0.5).reshape(our_out.shape)
    (our_out * weights).sum().backward()
    (their_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(our_in.grad.numpy(), their_in.grad.numpy(), rtol=rtol, atol=1e-14)


# -- max, min, argmax, argmin ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["max", "min"])
@pytest.mark.parametrize("data", [MATRIX, CUBE, WITH_TIES], ids=["matrix", "cube", "ties"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_a_dim_match_pytorch(which, data, dim, keepdim):
    ours_in, theirs_in = _pair(data)
    ours = getattr(ours_in, which)(dim, keepdim=keepdim)
    theirs = getattr(theirs_in, which)(dim=dim, keepdim=keepdim)
    assert ours._fields == ("values", "indices") and isinstance(ours, tuple)
    values, indices = ours  # unpacks as a pair, as torch's named tuple does
    _check(values, theirs.values)
    _check(indices, theirs.indices)
    assert ours.values is values and ours.indices is indices
    # The gradient goes to the element `indices` names, the first of ties, as in PyTorch.
    _check_gradients(values, theirs.values, ours_in, theirs_in)


@pytest.mark.parametrize("which", ["max", "min"])
def test_max_min_without_dim_share_ties_as_pytorch(which):
    ours_in, theirs_in = _pair(WITH_TIES)
    ours, theirs = getattr(ours_in, which)(), getattr(theirs_in, which)()
    _check(ours, theirs)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy())


def test_max_of_another_tensor_is_elementwise_and_numpy_keywords_keep_numpy_meaning():
    torch = _torch()
    a, b = RNG.standard_normal(5), RNG.standard_normal(5)
    _check(wg.tensor(a).max(wg.tensor(b)), torch.tensor(a).max(torch.tensor(b)))
    _check(wg.tensor(a).min(wg.tensor(b)), torch.tensor(a).min(torch.tensor(b)))
    # NumPy code on tensors (axis=, keepdims=) gets NumPy's answer: the values only.
    out = wg.tensor(MATRIX).max(axis=1, keepdims=True)
    assert isinstance(out, wg.Tensor)
    np.testing.assert_array_equal(out.numpy(), MATRIX.max(axis=1, keepdims=True))
    np.testing.assert_array_equal(wg.tensor(MATRIX).min(axis=0).numpy(), MATRIX.min(axis=0))


def test_max_with_nan_propagates_it_as_pytorch():
    torch = _torch()
    data = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    ours, theirs = wg.tensor(data).max(1), torch.tensor(data).max(1)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_max_errors_match_pytorchs_types():
    torch = _torch()
    for make in (
        lambda m: m.zeros((2, 0)).max(1),
        lambda m: m.zeros((2, 3)).max(2),
        lambda m: m.zeros((2, 3)).argmax(-3),
        lambda m: m.zeros((2, 0)).argmin(1),
    ):
        with pytest.raises(Exception) as theirs:
            make(torch)
        with pytest.raises(Exception) as ours:
            make(C)
        assert isinstance(ours.value, type(theirs.value)), (ours.value, theirs.value)
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        wg.tensor(MATRIX).max(2)
    with pytest.raises(TypeError, match="keepdim=True needs a dim"):
        wg.tensor(MATRIX).max(keepdim=True)


def test_max_of_a_scalar_along_dim_zero():
    torch = _torch()
    ours, theirs = wg.tensor(2.5).max(0), torch.tensor(np.float64(2.5)).max(0)
    _check(ours.values, theirs.values)
    _check(ours.indices, theirs.indices)


@pytest.mark.parametrize("which", ["argmax", "argmin"])
@pytest.mark.parametrize("data", [MATRIX, CUBE, WITH_TIES], ids=["matrix", "cube", "ties"])
def test_argmax_argmin_match_pytorch(which, data):
    torch = _torch()
    ours, theirs = wg.tensor(data), torch.tensor(data)
    _check(getattr(ours, which)(), getattr(theirs, which)())
    for dim in range(-data.ndim, data.ndim):
        for keepdim in (False, True):
            _check(getattr(ours, which)(dim, keepdim=keepdim), getattr(theirs, which)(dim, keepdim=keepdim))
    _check(getattr(ours, which)(keepdim=True), getattr(theirs, which)(keepdim=True))
    assert not getattr(wg.tensor(data, requires_grad=True), which)(0).requires_grad


# -- norm -----------------------------------------------------------------------------------------------


NORMS = [
    {},
    {"p": 1},
    {"p": 3},
    {"p": 0.5},
    {"p": float("inf")},
    {"p": -float("inf")},
    {"p": 0},
    {"p": "fro"},
    {"dim": 1},
    {"dim": -1, "keepdim": True},
    {"p": 1, "dim": 0},
    {"p": float("inf"), "dim": 1, "keepdim": True},
    {"dim": (0, 1)},
    {"p": 3, "dim": (0, 2)},
    {"p": "fro", "dim": (1, 2)},
    {"keepdim": True},
]


@pytest.mark.parametrize("kwargs", NORMS, ids=[str(k) for k in NORMS])
def test_norm_matches_pytorch_values_and_gradients(kwargs):
    ours_in, theirs_in = _pair(CUBE)
    if isinstance(kwargs.get("dim"), int) and kwargs["dim"] == 1 and "p" not in kwargs:
        ours_in, theirs_in = _pair(CUBE[0])
    ours, theirs = ours_in.norm(**kwargs), theirs_in.norm(**kwargs)
    _check(ours, theirs)
    if kwargs.get("p") != 0:  # p = 0 counts non-zero entries: no gradient in PyTorch, a zero one here
        _check_gradients(ours, theirs, ours_in, theirs_in, rtol=1e-10)


def test_nuclear_norm_and_the_zero_subgradient():
    ours_in, theirs_in = _pair(MATRIX)
    ours, theirs = ours_in.norm(p="nuc"), theirs_in.norm(p="nuc")
    _check(ours, theirs, rtol=1e-10)
    _check_gradients(ours, theirs, ours_in, theirs_in, rtol=1e-8)
    zero, torch_zero = _pair(np.zeros(3))
    zero.norm().backward()
    torch_zero.norm().backward()
    np.testing.assert_array_equal(zero.grad.numpy(), torch_zero.grad.numpy())
    with pytest.raises(ValueError, match="p must be a number, 'fro' or 'nuc'"):
        wg.tensor(MATRIX).norm(p="max")
    with pytest.raises(RuntimeError, match="floating point"):
        wg.tensor([1, 2]).norm()


# -- split, chunk, unbind ---------------------------------------------------------------------------


SPLITS = [
    ("split", (2,), {}),
    ("split", (3,), {"dim": 1}),
    ("split", ([1, 3],), {"dim": -1}),
    ("split", ([0, 2, 1],), {}),
    ("split", (5,), {}),
    ("chunk", (2,), {}),
    ("chunk", (3,), {"dim": 1}),
    ("chunk", (4,), {"dim": 1}),
    ("chunk", (5,), {"dim": -1}),
    ("unbind", (), {}),
    ("unbind", (), {"dim": 1}),
    ("unbind", (-1,), {}),
]


@pytest.mark.parametrize("method, args, kwargs", SPLITS, ids=[f"{m}{a}{k}" for m, a, k in SPLITS])
def test_split_chunk_unbind_match_pytorch(method, args, kwargs):
    data = RNG.standard_normal((3, 4))
    ours_in, theirs_in = _pair(data)
    ours, theirs = getattr(ours_in, method)(*args, **kwargs), getattr(theirs_in, method)(*args, **kwargs)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for our_piece, their_piece in zip(ours, theirs):
        _check(our_piece, their_piece)
    # Differentiable: every piece's gradient goes back to its place.
    torch = _torch()
    total = sum((piece * (index + 1.0)).sum() for index, piece in enumerate(ours))
    their_total = sum((piece * (index + 1.0)).sum() for index, piece in enumerate(theirs))
    total.backward()
    their_total.backward()
    np.testing.assert_array_equal(ours_in.grad.numpy(), theirs_in.grad.numpy())
    assert torch.is_tensor(theirs[0])


def test_split_errors_match_pytorchs_types():
    torch = _torch()
    for make in (
        lambda t: t.split([2, 2]),
        lambda t: t.split(0),
        lambda t: t.split(-1),
        lambda t: t.chunk(0),
        lambda t: t.unbind(1),
        lambda t: t.split(2, dim=1),
    ):
        with pytest.raises(Exception) as theirs:
            make(torch.zeros(5))
        with pytest.raises(Exception) as ours:
            make(wg.tensor(np.zeros(5)))
        assert isinstance(ours.value, type(theirs.value)), (ours.value, theirs.value)
    with pytest.raises(RuntimeError, match=r"sizes \[2, 2\] must be non-negative integers that sum to 5"):
        wg.tensor(np.zeros(5)).split([2, 2])


def test_chunk_of_an_empty_dimension_gives_chunks_empty_pieces():
    torch = _torch()
    assert len(wg.tensor(np.zeros((2, 0))).chunk(3, 1)) == len(torch.zeros(2, 0).chunk(3, 1)) == 3


# -- .data -----------------------------------------------------------------------------------------------


def test_data_shares_values_and_records_nothing():
    p = wg.tensor([1.0, 2.0], requires_grad=True)
    data = p.data
    assert isinstance(data, wg.Tensor) and not data.requires_grad and data.is_leaf and data.grad_fn is None
    np.testing.assert_array_equal(data.numpy(), [1.0, 2.0])
    y = data * 3.0
    assert not y.requires_grad


def test_in_place_changes_of_data_are_the_tensors_as_in_pytorch():
    torch = _torch()
    ours, theirs = _pair([1.0, 2.0, 3.0])
    for operation in (
        lambda d: d.mul_(2.0),
        lambda d: d.add_(1.0),
        lambda d: d.sub_(wg.tensor([1.0, 1.0, 1.0]) if isinstance(d, wg.Tensor) else torch.ones(3)),
        lambda d: d.clamp_(0.0, 5.0),
        lambda d: d.copy_(wg.tensor([4.0, 5.0, 6.0]) if isinstance(d, wg.Tensor) else torch.tensor([4.0, 5.0, 6.0])),
        lambda d: d.zero_(),
        lambda d: d.fill_(7.0),
    ):
        version, their_version = ours._version[0], theirs._version
        operation(ours.data)
        operation(theirs.data)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        assert ours.requires_grad and ours.is_leaf
        # Not recorded, and invisible to the tensor's version counter, as in PyTorch.
        assert ours._version[0] == version and theirs._version == their_version


def test_a_kept_data_tensor_follows_later_changes_of_the_tensor():
    p = wg.tensor([1.0, 2.0], requires_grad=True)
    data = p.data
    with wg.no_grad():
        p.add_(10.0)
    np.testing.assert_array_equal(data.numpy(), [11.0, 12.0])
    data.mul_(0.5)
    np.testing.assert_array_equal(p.detach().numpy(), [5.5, 6.0])
    np.testing.assert_array_equal(p.data.data.numpy(), [5.5, 6.0])


def test_the_classic_update_through_data_trains_as_in_pytorch():
    torch = _torch()
    ours, theirs = _pair([1.0, -2.0])
    target = np.array([0.5, 0.5])
    for _ in range(5):
        for p, tensor in ((ours, wg.tensor), (theirs, torch.tensor)):
            loss = ((p - tensor(target)) ** 2).sum()
            loss.backward()
            p.data -= 0.1 * p.grad  # PyTorch 0.3-era optimiser code
            p.grad = None
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-14)


def test_a_graph_made_before_a_data_change_differentiates_what_it_computed():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()  # saves x = [1, 2]
    x.data.mul_(100.0)  # PyTorch would differentiate at the overwritten values here; wengert kept the old array
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(x.detach().numpy(), [100.0, 200.0])


def test_assigning_data_replaces_the_values_and_keeps_the_tensor():
    torch = _torch()
    ours, theirs = _pair([1.0, 2.0])
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    identity = id(ours)
    ours.data = wg.tensor([5.0, 6.0, 7.0], dtype=np.float32)
    theirs.data = torch.tensor([5.0, 6.0, 7.0], dtype=torch.float32)
    assert id(ours) == identity and ours.requires_grad and ours.is_leaf
    _check(ours, theirs)
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())  # the gradient is left as it was
    # Recording continues on the new values.
    ours.grad = None
    (ours * 2.0).sum().backward()
    assert ours.grad.shape == (3,)


def test_assigning_data_refuses_what_pytorch_refuses():
    torch = _torch()
    for value, their_value in [(np.zeros(2), np.zeros(2)), (wg.tensor([1, 2]), torch.tensor([1, 2]))]:
        ours, theirs = _pair([1.0, 2.0])
        with pytest.raises(Exception) as their_error:
            theirs.data = their_value
        with pytest.raises(Exception) as our_error:
            ours.data = value
        assert isinstance(our_error.value, type(their_error.value))
    plain = wg.tensor([1.0, 2.0])
    plain.data = wg.tensor([1, 2, 3])  # a tensor that does not require grad may hold integers
    assert plain.dtype == np.int64


# -- device, dtype conversions ------------------------------------------------------------------------


def test_device_is_the_cpu():
    torch = _torch()
    ours, theirs = wg.tensor([1.0]).device, torch.ones(1).device
    assert str(ours) == str(theirs) == "cpu" and ours.type == theirs.type == "cpu"
    assert ours == Device("cpu") and repr(ours) == repr(theirs)
    assert not wg.tensor(1.0).is_cuda


def test_to_cpu_and_conversions_match_pytorch():
    torch = _torch()
    ours, theirs = _pair([1.5, -2.5])
    assert ours.to("cpu") is ours and ours.cpu() is ours and ours.to(Device("cpu")) is ours
    assert ours.to(torch.device("cpu")) is ours and ours.to(np.float64) is ours
    assert ours.to(dtype=C.float64, copy=True) is not ours
    for method in ("float", "double", "half", "long", "int", "bool"):
        _check(getattr(ours, method)(), getattr(theirs, method)())
    for make in (lambda m, t: t.to(m.float32), lambda m, t: t.to("cpu", m.int64), lambda m, t: t.to(dtype=m.float16)):
        _check(make(C, ours), make(torch, theirs))
    other, their_other = wg.tensor([1], dtype=np.int32), torch.tensor([1], dtype=torch.int32)
    _check(ours.to(other), theirs.to(their_other))
    with pytest.raises(RuntimeError, match="CPU only"):
        ours.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        ours.cuda()


def test_to_a_floating_dtype_is_differentiable():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(C.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    assert not x.long().requires_grad


# -- shape methods --------------------------------------------------------------------------------------


SHAPES = [
    ("view", (4, 6)),
    ("view", (-1,)),
    ("view", ((2, 12),)),
    ("reshape", (6, -1)),
    ("reshape", ((24,),)),
    ("unsqueeze", (0,)),
    ("unsqueeze", (-1,)),
    ("permute", (2, 0, 1)),
    ("permute", ((1, 2, 0),)),
    ("transpose", (0, 2)),
    ("transpose", (-1, 1)),
    ("flatten", ()),
    ("flatten", (1,)),
    ("flatten", (0, 1)),
    ("squeeze", ()),
]


@pytest.mark.parametrize("method, args", SHAPES, ids=[f"{m}{a}" for m, a in SHAPES])
def test_shape_methods_match_pytorch(method, args):
    ours_in, theirs_in = _pair(CUBE)
    ours, theirs = getattr(ours_in, method)(*args), getattr(theirs_in, method)(*args)
    _check(ours, theirs)
    _check_gradients(ours, theirs, ours_in, theirs_in)


def test_squeeze_leaves_dimensions_that_are_not_one_as_pytorch():
    torch = _torch()
    data = np.zeros((2, 1, 3, 1))
    for args in [(), (0,), (1,), (-1,), ((0, 1),), ((1, 3),)]:
        _check(wg.tensor(data).squeeze(*args), torch.tensor(data).squeeze(*args))
    with pytest.raises(ValueError):  # NumPy's keyword keeps NumPy's refusal
        wg.tensor(data).squeeze(axis=0)
    with pytest.raises(IndexError):
        wg.tensor(data).squeeze(4)


def test_t_transposes_matrices_and_refuses_more_dimensions_as_pytorch():
    torch = _torch()
    for data in (MATRIX, np.arange(3.0), np.array(2.0)):
        _check(wg.tensor(data).t(), torch.tensor(data).t())
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        wg.tensor(CUBE).t()
    with pytest.raises(RuntimeError):
        torch.tensor(CUBE).t()


def test_transpose_of_two_dims_swaps_them_and_other_forms_are_numpys():
    torch = _torch()
    # On a matrix NumPy's transpose(0, 1) would be the identity: a tensor follows PyTorch.
    _check(wg.tensor(MATRIX).transpose(0, 1), torch.tensor(MATRIX).transpose(0, 1))
    np.testing.assert_array_equal(wg.tensor(CUBE).transpose().numpy(), CUBE.transpose())
    np.testing.assert_array_equal(wg.tensor(CUBE).transpose(1, 2, 0).numpy(), CUBE.transpose(1, 2, 0))
    np.testing.assert_array_equal(wg.tensor(CUBE).transpose((2, 0, 1)).numpy(), CUBE.transpose((2, 0, 1)))


def test_permute_and_flatten_errors():
    torch = _torch()
    for make in (lambda t: t.permute(0, 1), lambda t: t.permute(0, 1, 1), lambda t: t.flatten(2, 0)):
        with pytest.raises(Exception) as theirs:
            make(torch.tensor(CUBE))
        with pytest.raises(Exception) as ours:
            make(wg.tensor(CUBE))
        assert isinstance(ours.value, type(theirs.value)), (ours.value, theirs.value)
    assert wg.tensor(3.0).flatten().shape == tuple(torch.tensor(3.0).flatten().shape)


def test_size_dim_numel_item():
    torch = _torch()
    ours, theirs = wg.tensor(CUBE), torch.tensor(CUBE)
    assert ours.size() == tuple(theirs.size()) and ours.size(-1) == theirs.size(-1) and ours.size(1) == 3
    assert ours.dim() == theirs.dim() and ours.numel() == theirs.numel()
    assert wg.tensor([[2.5]]).item() == torch.tensor([[2.5]]).item() == 2.5
    assert ours.is_floating_point() and not wg.tensor([1]).is_floating_point()


# -- arithmetic and reductions --------------------------------------------------------------------------


ARITHMETIC = [
    ("clamp", (-0.5, 0.5), {}),
    ("clamp", (), {"min": 0.0}),
    ("clamp", (), {"max": 0.1}),
    ("pow", (2,), {}),
    ("pow", (3.0,), {}),
    ("sum", (), {}),
    ("sum", (1,), {}),
    ("sum", ((0, 2),), {"keepdim": True}),
    ("sum", (), {"dim": -1, "keepdim": True}),
    ("mean", (), {}),
    ("mean", (0,), {}),
    ("mean", (), {"dim": (1, 2), "keepdim": True}),
    ("prod", (1,), {}),
    ("var", (), {}),
    ("var", (1,), {}),
    ("var", (), {"dim": 0, "unbiased": False}),
    ("var", (), {"dim": (0, 2), "correction": 0, "keepdim": True}),
    ("var", (False,), {}),
    ("std", (), {}),
    ("std", (2,), {"keepdim": True}),
    ("std", (), {"correction": 2}),
    ("add", (1.5,), {}),
    ("add", (2.0,), {"alpha": 3}),
    ("sub", (0.5,), {}),
    ("mul", (4.0,), {}),
    ("div", (4.0,), {}),
]


@pytest.mark.parametrize("method, args, kwargs", ARITHMETIC, ids=[f"{m}{a}{k}" for m, a, k in ARITHMETIC])
def test_arithmetic_and_reductions_match_pytorch(method, args, kwargs):
    ours_in, theirs_in = _pair(CUBE)
    ours, theirs = getattr(ours_in, method)(*args, **kwargs), getattr(theirs_in, method)(*args, **kwargs)
    _check(ours, theirs)
    _check_gradients(ours, theirs, ours_in, theirs_in, rtol=1e-11)


def test_var_std_honour_numpys_ddof_keyword():
    x = wg.tensor(MATRIX)
    np.testing.assert_allclose(x.var(ddof=0).numpy(), MATRIX.var())
    np.testing.assert_allclose(x.std(axis=1, ddof=1).numpy(), MATRIX.std(axis=1, ddof=1))
    with pytest.raises(TypeError, match="pass one of"):
        x.var(unbiased=True, ddof=0)


# -- .grad of a non-leaf ---------------------------------------------------------------------------


def test_grad_of_a_non_leaf_warns_as_pytorch():
    torch = _torch()
    for module in (wg, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor"):
            assert y.grad is None
        with pytest.warns(UserWarning, match=r"retain_grad\(\)"):
            _ = y.grad


def test_grad_of_leaves_and_retained_tensors_does_not_warn():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    plain = wg.tensor([1.0])
    y = x * 2
    y.retain_grad()
    z = y * y
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and plain.grad is None and y.grad is None
        z.sum().backward()
        np.testing.assert_array_equal(y.grad.numpy(), [4.0, 8.0])
        np.testing.assert_array_equal(x.grad.numpy(), [8.0, 16.0])
    with pytest.warns(UserWarning):
        _ = z.grad  # not retained


def test_retain_grad_on_a_tensor_that_does_not_require_grad_is_refused():
    with pytest.raises(RuntimeError, match="requires grad"):
        wg.tensor([1.0]).retain_grad()


def test_tensor_and_as_tensor_take_a_cpu_device_and_pytorch_dtypes():
    torch = _torch()
    assert wg.tensor([1.0], device="cpu").device.type == "cpu"
    assert wg.as_tensor(np.ones(2), device=torch.device("cpu")).shape == (2,)
    assert wg.tensor([1.0], dtype=torch.float32).dtype == np.float32
    existing = wg.tensor([1.0, 2.0])
    assert wg.as_tensor(existing, dtype=C.float64) is existing
    with pytest.raises(RuntimeError, match="CPU only"):
        wg.tensor([1.0], device="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        wg.as_tensor([1.0], device="mps")
