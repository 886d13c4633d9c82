"""nn.init: PyTorch's in-place initialisers (fans, gains, statistics, generators, autograd) and array initialisers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
from wengert.nn import init

torch = pytest.importorskip("torch")

IN_PLACE = {
    "uniform_": {},
    "normal_": {},
    "xavier_uniform_": {},
    "xavier_normal_": {},
    "kaiming_uniform_": {},
    "kaiming_normal_": {},
    "trunc_normal_": {},
    "orthogonal_": {},
    "constant_": {"val": 0.5},
    "zeros_": {},
    "ones_": {},
    "eye_": {},
}


def parameter(*shape, dtype=np.float64):
    return nn.Parameter(np.full(shape, np.nan, dtype=dtype))


@pytest.mark.parametrize("name", list(IN_PLACE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_initialiser_fills_the_tensor_in_place_and_returns_it(name, dtype):
    weight = parameter(6, 4, dtype=dtype)
    version = weight._version[0]
    result = getattr(init, name)(weight, **IN_PLACE[name])
    assert result is weight
    values = weight.detach().numpy()
    assert values.shape == (6, 4) and values.dtype == dtype and np.isfinite(values).all()
    assert weight._version[0] == version + 1 and weight._version[1] == name
    # not recorded: still a leaf that requires grad, with no history
    assert weight.is_leaf and weight.requires_grad and weight.grad_fn is None


def test_an_initialiser_after_a_forward_pass_makes_its_backward_refuse():
    layer = nn.Linear(3, 2, seed=0)
    out = (layer(np.ones((1, 3))) ** 2).sum()  # the product saved the weight
    init.kaiming_normal_(layer.weight)
    with pytest.raises(RuntimeError, match="kaiming_normal_"):
        out.backward()


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (8, 4, 3, 3), (2, 6, 5)])
def test_fans_are_pytorchs(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.fan_in_and_fan_out(np.empty(shape)) == expected
    assert init._calculate_fan_in_and_fan_out(parameter(*shape)) == expected
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.fan_in_and_fan_out(np.empty(4))


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


def test_calculate_gain_refuses_what_torch_refuses():
    for args in [("swish",), ("leaky_relu", "0.1"), ("leaky_relu", True)]:
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain(*args)
        with pytest.raises(ValueError):
            init.calculate_gain(*args)


def _stats(values):
    return float(values.mean()), float(values.std()), float(np.abs(values).max())


@pytest.mark.parametrize(
    ("name", "kwargs", "shape", "kind", "scale"),
    [
        ("uniform_", {"a": -0.3, "b": 0.7}, (300, 200), "uniform", None),
        ("normal_", {"mean": 0.5, "std": 0.2}, (300, 200), "normal", None),
        ("xavier_uniform_", {"gain": 2.0}, (300, 200), "uniform", 2.0 * math.sqrt(6.0 / 500)),
        ("xavier_normal_", {}, (300, 200), "normal", math.sqrt(2.0 / 500)),
        ("kaiming_uniform_", {"a": math.sqrt(5.0)}, (300, 200), "uniform", 1.0 / math.sqrt(200)),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, (300, 200), "uniform", math.sqrt(6.0 / 300)),
        ("kaiming_normal_", {}, (300, 200), "normal", math.sqrt(2.0 / (1 + 0.01**2)) / math.sqrt(200)),
        ("kaiming_normal_", {"nonlinearity": "tanh"}, (300, 20, 3, 3), "normal", (5 / 3) / math.sqrt(180)),
    ],
)
def test_statistics_follow_pytorchs_formulas(name, kwargs, shape, kind, scale):
    wg.manual_seed(7)  # fixed draws: 60,000 values put the sample deviations well inside the tolerances
    torch.manual_seed(7)
    values = getattr(init, name)(parameter(*shape), **kwargs).detach().numpy()
    reference = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()
    mean, std, largest = _stats(values)
    ref_mean, ref_std, ref_largest = _stats(reference)
    assert mean == pytest.approx(ref_mean, abs=0.02 * ref_std + 1e-3)
    assert std == pytest.approx(ref_std, rel=0.02)
    if kind == "uniform":
        assert largest <= (scale if scale is not None else 0.7) + 1e-15
        assert largest == pytest.approx(ref_largest, rel=0.01)
    else:
        assert std == pytest.approx(scale if scale is not None else 0.2, rel=0.02)


def test_trunc_normal_keeps_its_bounds_and_the_truncated_moments():
    wg.manual_seed(3)
    a, b = -1.0, 2.0  # standard units
    values = init.trunc_normal_(parameter(200_000), mean=0.0, std=1.0, a=a, b=b).detach().numpy()
    assert values.min() >= a and values.max() <= b

    def pdf(z):
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    mass = 0.5 * (math.erf(b / math.sqrt(2)) - math.erf(a / math.sqrt(2)))
    mean = (pdf(a) - pdf(b)) / mass
    variance = 1 + (a * pdf(a) - b * pdf(b)) / mass - mean**2
    assert values.mean() == pytest.approx(mean, abs=0.01)
    assert values.std() == pytest.approx(math.sqrt(variance), rel=0.01)
    narrow = init.trunc_normal_(parameter(1000), mean=0.0, std=1.0, a=4.0, b=4.5).detach().numpy()
    assert narrow.min() >= 4.0 and narrow.max() <= 4.5 and narrow.mean() < 4.25  # the tail leans left
    scaled = init.trunc_normal_(parameter(50, 50), std=0.02).detach().numpy()
    assert scaled.std() == pytest.approx(0.02, rel=0.05) and np.abs(scaled).max() <= 2.0
    with pytest.raises(ValueError, match="expects a < b"):
        init.trunc_normal_(parameter(3), a=1.0, b=0.0)


@pytest.mark.parametrize("shape", [(4, 7), (7, 4), (6, 2, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    q = init.orthogonal_(parameter(*shape), gain=2.0).detach().numpy().reshape(shape[0], -1)
    rows, columns = q.shape
    product = q @ q.T if rows <= columns else q.T @ q
    np.testing.assert_allclose(product, 4.0 * np.eye(min(rows, columns)), atol=1e-12)


def test_deterministic_initialisers_match_torch():
    for name, kwargs in [("constant_", {"val": -1.5}), ("zeros_", {}), ("ones_", {}), ("eye_", {})]:
        for shape in [(3, 5), (4, 2)]:
            ours = getattr(init, name)(parameter(*shape), **kwargs).detach().numpy()
            theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()
            np.testing.assert_array_equal(ours, theirs)
    integer = wg.tensor(np.zeros(3, dtype=np.int64))
    assert init.ones_(integer).numpy().tolist() == [1, 1, 1]


def test_draws_come_from_the_default_generator_or_the_one_given():
    wg.manual_seed(11)
    first = init.normal_(parameter(5)).detach().numpy().copy()
    wg.manual_seed(11)
    np.testing.assert_array_equal(init.normal_(parameter(5)).detach().numpy(), first)
    own = wg.Generator().manual_seed(3)
    wg.manual_seed(11)
    a = init.xavier_uniform_(parameter(4, 4), generator=own).detach().numpy()
    np.testing.assert_array_equal(init.normal_(parameter(5)).detach().numpy(), first)  # the default did not move
    b = init.xavier_uniform_(parameter(4, 4), generator=wg.Generator().manual_seed(3)).detach().numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="generator must be a wengert.Generator"):
        init.uniform_(parameter(2), generator=torch.Generator())


def test_refusals_name_the_problem():
    with pytest.raises(ValueError, match="only tensors with 2 dimensions"):
        init.eye_(parameter(2, 2, 2))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(parameter(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.kaiming_normal_(parameter(3, 3), nonlinearity="swish")
    with pytest.raises(TypeError, match="random values need a floating-point tensor"):
        init.normal_(wg.tensor(np.zeros(2, dtype=np.int64)))
    with pytest.raises(TypeError, match="expected a tensor"):
        init.zeros_([1.0, 2.0])
    with pytest.raises(TypeError, match="traced by a transformation"):
        wg.grad(lambda w: init.normal_(w).sum())(np.ones(3))
    with pytest.warns(UserWarning, match="zero-element tensor"):
        init.xavier_uniform_(parameter(0, 3))


def test_numpy_arrays_are_filled_in_place():
    array = np.zeros((3, 3))
    assert init.eye_(array) is array and array.tolist() == np.eye(3).tolist()
    init.uniform_(array, 2.0, 3.0)
    assert (array >= 2.0).all() and (array < 3.0).all()


def test_the_array_initialisers_keep_their_in_out_reading():
    rng = np.random.default_rng(0)
    weight = init.kaiming_normal((400, 50), rng)  # (in, out): fan-in is the first axis, as JAX's initialisers (x @ W)
    assert weight.shape == (400, 50) and weight.std() == pytest.approx(math.sqrt(2.0 / 400), rel=0.03)
    assert init.fans((3, 5)) == (3, 5)
    wg.manual_seed(4)
    first = init.normal((3,))
    wg.manual_seed(4)
    np.testing.assert_array_equal(init.normal((3,)), first)  # no rng: the default generator
    assert (
        init.make_rng(wg.Generator().manual_seed(1)).random() == init.make_rng(wg.Generator().manual_seed(1)).random()
    )
