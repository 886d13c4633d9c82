"""wengert.nn as PyTorch users write it: Linear's layout and initialisation, state dicts, Module methods, containers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
from wengert.nn import init

torch = pytest.importorskip("torch")


# -- Linear: layout and initialisation ------------------------------------------------------------------------


def test_linear_weight_is_out_by_in_and_computes_x_at_weight_transposed():
    layer = nn.Linear(4, 3, seed=0)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    x = np.random.default_rng(1).standard_normal((5, 4))
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    np.testing.assert_array_equal(layer(x).detach().numpy(), x @ weight.T + bias)
    expected = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias))
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.numpy(), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(layer(x[0]).detach().numpy(), expected.numpy()[0], rtol=1e-15, atol=1e-15)
    batched = x.reshape(5, 1, 4)
    np.testing.assert_allclose(layer(batched).detach().numpy()[:, 0], expected.numpy(), rtol=1e-15, atol=1e-15)


def test_default_initialisation_is_pytorchs_uniform_on_one_over_root_fan_in():
    layer = nn.Linear(400, 600)
    bound = 1.0 / math.sqrt(400)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.999 * bound
    assert weight.std() == pytest.approx(bound / math.sqrt(3.0), rel=0.01)  # uniform on ±bound
    assert abs(weight.mean()) < 0.01 * bound
    assert np.abs(bias).max() <= bound and bias.std() == pytest.approx(bound / math.sqrt(3.0), rel=0.15)
    reference = torch.nn.Linear(400, 600)  # the same distribution in torch
    assert float(reference.weight.detach().abs().max()) <= bound and float(reference.bias.detach().abs().max()) <= bound
    assert nn.MLP([3, 4, 2], seed=0).layers[0].weight.shape == (4, 3)


@pytest.mark.parametrize(
    ("init_name", "expected_std"),
    [
        ("glorot_normal", math.sqrt(2.0 / 1000.0)),
        ("glorot_uniform", math.sqrt(2.0 / 1000.0)),
        ("kaiming_normal", math.sqrt(2.0 / 300.0)),  # fan-in = in_features, whatever the storage layout
        ("kaiming_uniform", math.sqrt(2.0 / 300.0)),
    ],
)
def test_named_initialisations_use_the_right_fans(init_name, expected_std):
    layer = nn.Linear(300, 700, init=init_name, seed=0)
    assert layer.weight.shape == (700, 300)
    assert layer.weight.detach().numpy().std() == pytest.approx(expected_std, rel=0.02)
    assert not np.any(layer.bias.detach().numpy())


@pytest.mark.parametrize("init_name", ["glorot_normal", "pytorch", "kaiming_uniform"])
def test_a_seeded_layer_holds_the_transpose_of_the_weight_drawn_in_the_old_in_out_order(init_name):
    """A network built with a seed computes the same function as when weights were stored (in, out)."""
    rng = np.random.default_rng(5)
    if init_name == "pytorch":
        old_weight = init.kaiming_uniform((6, 4), rng, a=math.sqrt(5.0))
        old_bias = rng.uniform(-1 / math.sqrt(6), 1 / math.sqrt(6), 4)
    else:
        old_weight = getattr(init, init_name)((6, 4), rng)
        old_bias = np.zeros(4)
    layer = nn.Linear(6, 4, init=init_name, seed=5)
    np.testing.assert_array_equal(layer.weight.detach().numpy(), old_weight.T)
    np.testing.assert_array_equal(layer.bias.detach().numpy(), old_bias)
    assert layer.weight.detach().numpy().flags.c_contiguous


def test_manual_seed_makes_model_initialisation_reproducible():
    wg.manual_seed(0)
    first = nn.MLP([3, 8, 2])
    second_draw = nn.Linear(3, 2)
    wg.manual_seed(0)
    again = nn.MLP([3, 8, 2])
    for a, b in zip(first.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(second_draw.weight.detach().numpy(), nn.Linear(3, 2).weight.detach().numpy())
    assert not np.array_equal(second_draw.weight.detach().numpy(), nn.Linear(3, 2).weight.detach().numpy())  # moved on
    # a seed of its own leaves the default stream where it was
    wg.manual_seed(1)
    expected = nn.Linear(2, 2).weight.detach().numpy()
    wg.manual_seed(1)
    nn.Linear(50, 50, seed=3)
    np.testing.assert_array_equal(nn.Linear(2, 2).weight.detach().numpy(), expected)
    own = wg.Generator().manual_seed(4)
    np.testing.assert_array_equal(
        nn.Linear(3, 3, rng=own).weight.detach().numpy(),
        nn.Linear(3, 3, rng=wg.Generator().manual_seed(4)).weight.detach().numpy(),
    )


def test_reset_parameters_draws_again_from_the_default_generator():
    layer = nn.Linear(5, 3, seed=0)
    weight = layer.weight
    wg.manual_seed(2)
    layer.reset_parameters()
    first = layer.weight.detach().numpy().copy()
    wg.manual_seed(2)
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), first)
    assert layer.weight is weight and np.abs(first).max() <= 1 / math.sqrt(5)


def test_linear_refuses_other_devices_and_a_custom_init_of_the_wrong_shape():
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(2, 3, device="cuda")
    assert nn.Linear(2, 3, device="cpu", dtype=None).weight.dtype == np.float64
    with pytest.raises(ValueError, match=r"returned a weight of shape \(3, 2\); it is asked for the shape"):
        nn.Linear(2, 3, init=lambda shape, rng, dtype: np.zeros(shape[::-1], dtype))
    custom = nn.Linear(2, 3, init=lambda shape, rng, dtype: np.arange(6.0).reshape(shape))
    np.testing.assert_array_equal(custom.weight.detach().numpy(), np.arange(6.0).reshape(2, 3).T)


# -- torch state dicts -------------------------------------------------------------------------------------


class TorchMLP(torch.nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.scale = torch.nn.Parameter(torch.tensor(1.5))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.tanh(layer(x))
        return self.layers[-1](x) * self.scale


class WengertMLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.scale = nn.Parameter(1.0)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = wg.numpy.tanh(layer(x))
        return self.layers[-1](x) * self.scale


def _numpy_state(module):
    return {name: value.detach().numpy() for name, value in module.state_dict().items()}


def _same_outputs_and_gradients(ours, theirs, x):
    ours_out = ours(wg.tensor(x))
    theirs_out = theirs(torch.from_numpy(x))
    np.testing.assert_allclose(ours_out.detach().numpy(), theirs_out.detach().numpy(), rtol=1e-13, atol=1e-15)
    (ours_out**2).sum().backward()
    (theirs_out**2).sum().backward()
    theirs_grads = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(
            parameter.grad.numpy(), theirs_grads[name].grad.numpy(), rtol=1e-12, atol=1e-14, err_msg=name
        )


def test_a_torch_sequential_state_dict_loads_and_gives_torchs_outputs():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.load_state_dict(_numpy_state(theirs)) == nn.IncompatibleKeys([], [])
    _same_outputs_and_gradients(ours, theirs, np.random.default_rng(0).standard_normal((7, 3)))


def test_a_torch_module_with_a_module_list_loads_and_gives_torchs_outputs():
    torch.manual_seed(1)
    theirs = TorchMLP([2, 6, 6, 1]).double()
    ours = WengertMLP([2, 6, 6, 1])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_numpy_state(theirs))
    _same_outputs_and_gradients(ours, theirs, np.random.default_rng(2).standard_normal((9, 2)))


def test_a_float32_torch_state_dict_loads_into_a_float32_model():
    torch.manual_seed(2)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).float()
    ours.load_state_dict(_numpy_state(theirs))
    x = np.random.default_rng(3).standard_normal((6, 4)).astype(np.float32)
    result = ours(x)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


# -- Module methods --------------------------------------------------------------------------------------------


def test_to_double_float_and_cpu_convert_as_torch():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    model.register_buffer("mask", np.ones(3))
    model.register_buffer("counts", np.arange(3))
    assert model.float() is model and {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model.mask.dtype == np.float32 and model.counts.dtype == np.int64  # integer buffers stay
    assert model.double() is model and {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    assert model.to("cpu") is model and model.cpu() is model
    assert model.to(torch.float32)[0].weight.dtype == np.float32
    assert model.to("cpu", np.float64)[0].weight.dtype == np.float64
    assert model.to(dtype=np.float32, device="cpu")[0].bias.dtype == np.float32
    assert model.to(wg.tensor(np.zeros(1)))[0].weight.dtype == np.float64  # a tensor's dtype
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.cuda()
    with pytest.raises(TypeError, match="floating-point"):
        model.to(np.int32)
    with pytest.raises(TypeError, match="unexpected keyword"):
        model.to(np.float32, precision=3)


def test_train_eval_apply_requires_grad_and_zero_grad_work_as_torchs():
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Sequential(nn.ReLU(), nn.Linear(2, 1, seed=1)))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    model.train(False)
    assert not model[1][0].training
    visited = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1))
    )
    torch_visited = []
    torch_model.apply(lambda m: torch_visited.append(type(m).__name__))
    assert visited == torch_visited  # children first, then the module itself
    assert model.requires_grad_(False) is model and not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    model(np.ones((1, 2))).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_apply_with_an_in_place_initialiser_as_torch_users_write_it():
    def initialise(module):
        if isinstance(module, nn.Linear):
            init.xavier_uniform_(module.weight)
            init.zeros_(module.bias)

    model = nn.Sequential(nn.Linear(20, 30, seed=0), nn.Tanh(), nn.Linear(30, 10, seed=1)).apply(initialise)
    for layer in (model[0], model[2]):
        bound = math.sqrt(6.0 / (layer.in_features + layer.out_features))
        assert np.abs(layer.weight.detach().numpy()).max() <= bound
        assert not layer.bias.detach().numpy().any() and layer.weight.is_leaf and layer.weight.requires_grad


def test_state_dict_prefix_keep_vars_and_submodule_lookup():
    model = nn.Sequential(nn.Linear(2, 2, seed=0))
    assert list(model.state_dict(prefix="net.")) == ["net.0.weight", "net.0.bias"]
    assert model.state_dict(keep_vars=True)["0.weight"] is model[0].weight
    assert model.get_submodule("0") is model[0] and model.get_parameter("0.bias") is model[0].bias
    with pytest.raises(AttributeError, match="no submodule named '1'"):
        model.get_submodule("1")


# -- containers --------------------------------------------------------------------------------------------------


class TorchContainers(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = torch.nn.ModuleDict({"left": torch.nn.Linear(2, 1), "right": torch.nn.Linear(2, 1)})
        self.scales = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(2))])
        self.rates = torch.nn.ParameterDict({"beta": torch.nn.Parameter(torch.tensor(0.3))})


class WengertContainers(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"left": nn.Linear(2, 1), "right": nn.Linear(2, 1)})
        self.scales = nn.ParameterList([nn.Parameter(np.ones(1)), wg.tensor(np.ones(2))])
        self.rates = nn.ParameterDict({"beta": nn.Parameter(0.3)})

    def forward(self, x):
        return (self.heads["left"](x) * self.scales[0] + self.heads["right"](x)) * self.rates["beta"]


def test_containers_register_their_entries_as_torchs_do():
    ours, theirs = WengertContainers(), TorchContainers().double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    ours.load_state_dict(_numpy_state(theirs))
    np.testing.assert_array_equal(
        ours.heads["right"].weight.detach().numpy(), theirs.heads["right"].weight.detach().numpy()
    )
    assert ours.to(np.float32).scales[1].dtype == np.float32 and ours.rates["beta"].dtype == np.float32
    assert isinstance(ours.scales[1], nn.Parameter) and ours.scales[1].requires_grad


def test_container_operations():
    heads = nn.ModuleDict()
    heads["a"] = nn.Linear(1, 1, seed=0)
    heads.update([("b", nn.Tanh())])
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert isinstance(heads.pop("b"), nn.Tanh) and list(heads.keys()) == ["a"]
    with pytest.raises(KeyError, match="attribute 'values' already exists"):
        heads["values"] = nn.Tanh()
    with pytest.raises(KeyError, match="has no module 'c'"):
        heads["c"]
    with pytest.raises(TypeError, match=r"ModuleDict\['c'\] is a ndarray, not a Module"):
        heads["c"] = np.ones(2)
    values = nn.ParameterList([np.zeros(2)])
    values.append(np.ones(3)).extend([np.ones(1)])
    values[0] = np.full(2, 5.0)
    assert [tuple(p.shape) for p in values] == [(2,), (3,), (1,)] and values[-1].shape == (1,)
    assert len(values[1:]) == 2 and values[0].detach().numpy().tolist() == [5.0, 5.0]
    with pytest.raises(IndexError, match="out of range"):
        values[3]
    with pytest.raises(TypeError, match="expected a Parameter, a tensor or a NumPy array"):
        values.append([1.0, 2.0])
    rates = nn.ParameterDict({"beta": np.array(0.5)})
    assert rates.get("gamma") is None and list(rates.items())[0][0] == "beta"
    del rates["beta"]
    assert len(rates) == 0 and not list(rates.parameters())
    blocks = nn.ModuleList([nn.Linear(1, 1, seed=i) for i in range(3)])
    first, last = blocks[0], blocks[2]
    blocks.insert(1, nn.Tanh())
    assert isinstance(blocks[1], nn.Tanh) and blocks[3] is last and [n for n, _ in blocks.named_children()][-1] == "3"
    del blocks[0]
    assert blocks[0] is not first and len(blocks) == 3 and blocks[-1] is last


def test_functional_call_reaches_parameters_held_in_containers():
    model = WengertContainers()
    x = np.ones((3, 2))
    values = {"scales.0": np.full(1, 2.0), "rates.beta": np.array(1.0)}
    out = nn.functional_call(model, values, x)
    left, right = model.heads["left"](x), model.heads["right"](x)
    np.testing.assert_allclose(out.detach().numpy(), (left * 2.0 + right).detach().numpy(), rtol=1e-15)
    assert float(model.rates["beta"].detach().numpy()) == pytest.approx(0.3)  # put back afterwards


# -- nn.utils ----------------------------------------------------------------------------------------------------


def test_parameters_to_vector_and_back_match_torch():
    torch.manual_seed(3)
    theirs = torch.nn.Linear(3, 2).double()
    ours = nn.Linear(3, 2)
    ours.load_state_dict(_numpy_state(theirs))
    flat = nn.utils.parameters_to_vector(ours.parameters())
    np.testing.assert_array_equal(
        flat.detach().numpy(), torch.nn.utils.parameters_to_vector(theirs.parameters()).detach().numpy()
    )
    (flat**2).sum().backward()  # differentiable, as torch's
    np.testing.assert_allclose(ours.weight.grad.numpy(), 2 * ours.weight.detach().numpy())
    version = ours.weight._version[0]
    nn.utils.vector_to_parameters(np.arange(8.0), ours.parameters())
    assert ours.weight.detach().numpy().tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert ours.bias.detach().numpy().tolist() == [6.0, 7.0] and ours.weight._version[0] == version + 1
    with pytest.raises(ValueError, match="the vector has 7 values, the parameters 8"):
        nn.utils.vector_to_parameters(np.arange(7.0), ours.parameters())
    assert (
        nn.utils.clip_grad_norm_ is wg.optim.clip_grad_norm_ and nn.utils.clip_grad_value_ is wg.optim.clip_grad_value_
    )


def test_layers_and_parameters_follow_the_default_dtype_as_torchs():
    from wengert.dtypes import get_default_dtype, set_default_dtype

    assert get_default_dtype() == np.float64
    set_default_dtype(np.float32)
    try:
        model = nn.MLP([2, 3, 1], seed=0)
        assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
        assert nn.Linear(2, 2).weight.dtype == np.float32 and nn.Parameter(0.5).dtype == np.float32
        assert nn.Parameter(np.zeros(2)).dtype == np.float64  # an array keeps its own dtype
        assert nn.Linear(2, 2, dtype=torch.float64).weight.dtype == np.float64
    finally:
        set_default_dtype(np.float64)
    assert nn.Linear(2, 2).weight.dtype == np.float64 and nn.Parameter(0.5).dtype == np.float64
