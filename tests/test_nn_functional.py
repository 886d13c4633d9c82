"""wengert.nn.functional against torch.nn.functional: values, shapes, dtypes, gradients and error types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wengert as wg
import wengert.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(20261207)


def _wengert_value(value, requires_grad):
    if isinstance(value, np.ndarray):
        return wg.tensor(value, requires_grad=requires_grad)
    return value


def _torch_value(value, requires_grad):
    if isinstance(value, np.ndarray):
        return torch.tensor(value, requires_grad=requires_grad)
    return value


def compare(name, args, kwargs=None, grad=(0,), rtol=1e-12, atol=1e-14):
    """Run F.name and torch's on the same values; compare outputs and the gradients of a random projection."""
    kwargs = kwargs or {}
    ours_args = [_wengert_value(a, i in grad) for i, a in enumerate(args)]
    torch_args = [_torch_value(a, i in grad) for i, a in enumerate(args)]
    ours = getattr(F, name)(*ours_args, **{k: _wengert_value(v, False) for k, v in kwargs.items()})
    theirs = getattr(TF, name)(*torch_args, **{k: _torch_value(v, False) for k, v in kwargs.items()})
    expected = theirs.detach().numpy()
    got = np.asarray(ours.detach().numpy())
    assert got.shape == expected.shape, (name, got.shape, expected.shape)
    assert got.dtype == expected.dtype, (name, got.dtype, expected.dtype)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"{name} value")
    if not grad:
        return ours
    projection = RNG.standard_normal(expected.shape).astype(expected.dtype)
    (ours * projection).sum().backward()
    (theirs * torch.from_numpy(projection)).sum().backward()
    for index in grad:
        np.testing.assert_allclose(
            ours_args[index].grad.numpy(),
            torch_args[index].grad.numpy(),
            rtol=rtol * 10,
            atol=atol * 10,
            err_msg=f"{name} gradient of argument {index}",
        )
    return ours


def both_raise(name, args, kwargs=None):
    """F.name and torch's raise exceptions of one type; returns wengert's message."""
    kwargs = kwargs or {}
    with pytest.raises(Exception) as theirs:
        getattr(TF, name)(
            *[_torch_value(a, False) for a in args], **{k: _torch_value(v, False) for k, v in kwargs.items()}
        )
    with pytest.raises(theirs.type) as ours:
        getattr(F, name)(
            *[_wengert_value(a, False) for a in args], **{k: _wengert_value(v, False) for k, v in kwargs.items()}
        )
    return str(ours.value)


def normal(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# -- regression losses ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_mse_and_l1_losses(name, reduction):
    prediction, target = normal(5, 3), normal(5, 3)
    target[0, 0] = prediction[0, 0]  # l1's derivative at a zero difference: 0, as torch's sign(0)
    compare(name, [prediction, target], {"reduction": reduction}, grad=(0, 1))
    compare(name, [prediction, target], {"reduction": reduction, "weight": np.abs(normal(5, 3))}, grad=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("beta", [1.0, 0.4, 0.0])
def test_smooth_l1_loss(reduction, beta):
    prediction, target = 2 * normal(6, 4), normal(6, 4)
    compare("smooth_l1_loss", [prediction, target], {"reduction": reduction, "beta": beta}, grad=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_loss(reduction, delta):
    prediction, target = 2 * normal(6, 4), normal(6, 4)
    compare("huber_loss", [prediction, target], {"reduction": reduction, "delta": delta}, grad=(0, 1))
    weight = np.abs(normal(6, 4))
    compare("huber_loss", [prediction, target], {"reduction": reduction, "delta": delta, "weight": weight})


def test_regression_losses_in_float32_stay_float32():
    prediction, target = normal(4, 3, dtype=np.float32), normal(4, 3, dtype=np.float32)
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        result = compare(name, [prediction, target], rtol=1e-5, atol=1e-6)
        assert result.dtype == np.float32


def test_legacy_size_average_and_reduce_flags_pick_the_reduction_as_torch():
    prediction, target = normal(3, 2), normal(3, 2)
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare("mse_loss", [prediction, target, size_average, reduce])
    with pytest.warns(UserWarning, match="size_average and reduce are deprecated"):
        F.l1_loss(prediction, target, size_average=False)


def test_regression_losses_refuse_bad_arguments():
    assert "not a valid value for reduction" in both_raise("mse_loss", [normal(3), normal(3)], {"reduction": "avg"})
    with pytest.raises(ValueError, match=r"target of shape \(4,\) does not match the prediction of shape \(4, 1\)"):
        F.mse_loss(wg.tensor(normal(4, 1)), normal(4))
    with pytest.raises(ValueError, match="delta must be a finite positive number"):
        F.huber_loss(normal(3), normal(3), delta=0.0)
    with pytest.raises(ValueError, match="beta must be a finite non-negative number"):
        F.smooth_l1_loss(normal(3), normal(3), beta=-1.0)
    both_raise("l1_loss", [normal(3), normal(3)], {"weight": np.ones(2)})


# -- classification losses ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "case",
    [
        "labels",
        "spatial labels",
        "one example",
        "ignored labels",
        "class weights",
        "weights and ignored",
        "smoothing",
        "smoothing, weights and ignored",
        "probabilities",
        "probabilities, weights and smoothing",
        "custom ignore_index",
    ],
)
def test_cross_entropy(case, reduction):
    logits, labels = normal(6, 4), RNG.integers(0, 4, 6)
    kwargs = {"reduction": reduction}
    if case == "spatial labels":
        logits, labels = normal(3, 4, 5), RNG.integers(0, 4, (3, 5))
    elif case == "one example":
        logits, labels = normal(4), np.array(2)
    if "ignored" in case:
        labels[[1, 4]] = -100
    if "weights" in case:
        kwargs["weight"] = np.array([0.5, 2.0, 1.0, 3.0])
    if "smoothing" in case:
        kwargs["label_smoothing"] = 0.2
    if "probabilities" in case:
        labels = TF.softmax(torch.from_numpy(normal(6, 4)), dim=1).numpy()
    if case == "custom ignore_index":
        labels[2] = 3
        kwargs["ignore_index"] = 3
    compare("cross_entropy", [logits, labels], kwargs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", ["plain", "spatial", "weights", "ignored", "weights and ignored"])
def test_nll_loss(case, reduction):
    scores, labels = TF.log_softmax(torch.from_numpy(normal(7, 5)), dim=1).numpy(), RNG.integers(0, 5, 7)
    kwargs = {"reduction": reduction}
    if case == "spatial":
        scores, labels = normal(2, 5, 3, 2), RNG.integers(0, 5, (2, 3, 2))
    if "weights" in case:
        kwargs["weight"] = np.abs(normal(5)) + 0.1
    if "ignored" in case:
        labels[0] = -100
    compare("nll_loss", [scores, labels], kwargs)


def test_cross_entropy_in_float32_and_with_a_label_tensor():
    logits = normal(5, 3, dtype=np.float32)
    labels = RNG.integers(0, 3, 5)
    result = compare("cross_entropy", [logits, labels], rtol=1e-5, atol=1e-6)
    assert result.dtype == np.float32
    ours = F.cross_entropy(wg.tensor(logits), wg.tensor(labels))
    assert float(ours) == pytest.approx(float(TF.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels))))


def test_classification_losses_refuse_bad_labels():
    message = both_raise("cross_entropy", [normal(3, 4), np.array([0, 4, 1])])
    assert "label 4 is out of range for 4 classes" in message
    both_raise("nll_loss", [normal(3, 4), np.array([0, -3, 1])], {"weight": np.ones(4)})
    with pytest.raises(ValueError, match="weight must have one entry per class"):
        F.cross_entropy(normal(3, 4), np.array([0, 1, 1]), weight=np.ones(3))
    with pytest.raises(ValueError, match="must have the input's shape"):
        F.cross_entropy(normal(3, 4), normal(3, 2))
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        F.cross_entropy(normal(3, 4), np.array([0, 1, 1]), label_smoothing=1.5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction):
    probabilities = RNG.uniform(0.02, 0.98, (5, 3))
    targets = RNG.uniform(0.0, 1.0, (5, 3))
    compare("binary_cross_entropy", [probabilities, targets], {"reduction": reduction}, grad=(0, 1))
    compare("binary_cross_entropy", [probabilities, targets], {"reduction": reduction, "weight": RNG.uniform(size=3)})


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_with_logits(reduction):
    logits, targets = 3 * normal(5, 3), RNG.uniform(0.0, 1.0, (5, 3))
    name = "binary_cross_entropy_with_logits"
    compare(name, [logits, targets], {"reduction": reduction}, grad=(0, 1))
    compare(name, [logits, targets], {"reduction": reduction, "pos_weight": np.array([0.5, 2.0, 4.0])}, grad=(0, 1))
    compare(name, [logits, targets], {"reduction": reduction, "weight": RNG.uniform(size=(5, 1))})


def test_binary_cross_entropy_refuses_what_torch_refuses():
    both_raise("binary_cross_entropy", [np.array([0.5, 1.5]), np.array([1.0, 0.0])])
    both_raise("binary_cross_entropy", [np.array([0.5, 0.2]), np.array([[1.0, 0.0]])])
    both_raise("binary_cross_entropy_with_logits", [normal(3, 1), normal(3)])


def test_binary_cross_entropy_clamps_its_logs_at_minus_100():
    ours = F.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(ours, [100.0, 100.0])


# -- activations, softmax ---------------------------------------------------------------------------------------


def activation_input(dtype=np.float64):
    x = 3 * normal(4, 5, dtype=dtype)
    x[0, :3] = 0.0  # derivatives at the kinks, as torch defines them
    x[1, :2] = [25.0, -30.0]
    return x


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("relu", {}),
        ("tanh", {}),
        ("sigmoid", {}),
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("silu", {}),
        ("softplus", {}),
        ("softplus", {"beta": 2.0, "threshold": 5.0}),
        ("elu", {}),
        ("elu", {"alpha": 0.5}),
        ("leaky_relu", {}),
        ("leaky_relu", {"negative_slope": 0.2}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations(name, kwargs, dtype):
    tolerance = (1e-12, 1e-14) if dtype == np.float64 else (1e-5, 1e-6)
    compare(name, [activation_input(dtype)], kwargs, rtol=tolerance[0], atol=tolerance[1])


@pytest.mark.parametrize(("name", "args"), [("relu", ()), ("silu", ()), ("elu", (0.7,)), ("leaky_relu", (0.1,))])
def test_in_place_activations_change_the_tensor_and_differentiate_as_torch(name, args):
    x = normal(3, 4)
    source_ours, source_torch = wg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hidden_ours, hidden_torch = source_ours * 2.0, source_torch * 2.0
    result_ours = getattr(F, name)(hidden_ours, *args, inplace=True)
    result_torch = getattr(TF, name)(hidden_torch, *args, inplace=True)
    assert result_ours is hidden_ours
    np.testing.assert_allclose(hidden_ours.detach().numpy(), hidden_torch.detach().numpy(), rtol=1e-15)
    (result_ours**2).sum().backward()
    (result_torch**2).sum().backward()
    np.testing.assert_allclose(source_ours.grad.numpy(), source_torch.grad.numpy(), rtol=1e-14)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        getattr(F, name)(wg.tensor(x, requires_grad=True), *args, inplace=True)
    array = x.copy()
    assert getattr(F, name)(array, *args, inplace=True) is array
    np.testing.assert_allclose(array, getattr(TF, name)(torch.from_numpy(x), *args).numpy(), rtol=1e-15)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax(name, dim):
    compare(name, [5 * normal(3, 4, 2)], {"dim": dim})
    x = normal(3, 4)
    ours = getattr(F, name)(x, dim=dim, dtype=np.float32)  # dtype=: the input is converted first, as in torch
    theirs = getattr(TF, name)(torch.from_numpy(x), dim=dim, dtype=torch.float32).numpy()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_softmax_without_dim_warns_and_picks_torchs_dimension():
    x = normal(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        ours = F.softmax(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.softmax(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)


# -- one_hot, linear, normalize --------------------------------------------------------------------------------


def test_one_hot_matches_torch():
    labels = np.array([[0, 3], [2, 1]])
    for num_classes in (-1, 5):
        ours = F.one_hot(wg.tensor(labels), num_classes)
        theirs = TF.one_hot(torch.from_numpy(labels), num_classes).numpy()
        assert isinstance(ours, wg.Tensor) and ours.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs)
    assert F.one_hot(np.array([1]), 2).tolist() == [[0, 1]]
    assert "non-negative" in both_raise("one_hot", [np.array([0, -1])])
    assert "smaller than num_classes" in both_raise("one_hot", [np.array([0, 3])], {"num_classes": 3})
    both_raise("one_hot", [np.array([0.0, 1.0])])


def test_one_hot_of_traced_labels():
    labels = np.array([2, 0])
    encoded = wg.vmap(lambda label: F.one_hot(label, 3))(labels)
    np.testing.assert_array_equal(encoded, [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="need num_classes"):
        wg.vmap(lambda label: F.one_hot(label))(labels)


@pytest.mark.parametrize("input_shape", [(5, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_takes_torchs_out_in_weight(input_shape, bias):
    args = [normal(*input_shape), normal(4, 3)] + ([normal(4)] if bias else [])
    compare("linear", args, grad=tuple(range(len(args))))


def test_linear_refuses_a_weight_that_does_not_fit():
    with pytest.raises(ValueError, match=r"input of shape \(5, 3\) and the weight of shape \(3, 4\) do not fit"):
        F.linear(normal(5, 3), normal(3, 4))


@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, 0), (float("inf"), 1), (3.0, -1)])
def test_normalize(p, dim):
    x = normal(4, 3)
    x[0] = 0.0  # eps keeps the zero vector finite, with a zero gradient
    compare("normalize", [x], {"p": p, "dim": dim})


# -- loss modules, activation modules --------------------------------------------------------------------------


LOSS_MODULES = [
    ("MSELoss", {"reduction": "sum"}, "regression"),
    ("L1Loss", {}, "regression"),
    ("SmoothL1Loss", {"beta": 0.5}, "regression"),
    ("HuberLoss", {"delta": 0.7, "reduction": "none"}, "regression"),
    ("CrossEntropyLoss", {"weight": np.array([1.0, 2.0, 0.5]), "label_smoothing": 0.1}, "labels"),
    ("CrossEntropyLoss", {"ignore_index": 1, "reduction": "sum"}, "labels"),
    ("NLLLoss", {"weight": np.array([1.0, 2.0, 0.5])}, "labels"),
    ("BCELoss", {"weight": np.array([0.5, 1.0, 2.0])}, "probabilities"),
    ("BCEWithLogitsLoss", {"pos_weight": np.array([0.5, 1.0, 2.0])}, "binary"),
]


@pytest.mark.parametrize(("name", "kwargs", "kind"), LOSS_MODULES)
def test_loss_modules_match_torchs(name, kwargs, kind):
    import wengert.nn as nn

    x = normal(4, 3)
    target = {
        "regression": normal(4, 3),
        "labels": np.array([0, 1, 2, 1]),
        "probabilities": RNG.uniform(size=(4, 3)),
        "binary": RNG.uniform(size=(4, 3)),
    }[kind]
    if kind == "probabilities":
        x = RNG.uniform(0.05, 0.95, (4, 3))
    ours_module = getattr(nn, name)(**kwargs)
    theirs_module = getattr(torch.nn, name)(
        **{k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    ours_input, theirs_input = wg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = ours_module(ours_input, wg.tensor(target))
    theirs = theirs_module(theirs_input, torch.from_numpy(target))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours_input.grad.numpy(), theirs_input.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert sorted(ours_module.state_dict()) == sorted(theirs_module.state_dict())  # weights are buffers, as torch's
    assert repr(ours_module).startswith(name + "(")


def test_loss_modules_refuse_a_bad_reduction_and_follow_to():
    import wengert.nn as nn

    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="average")
    criterion = nn.CrossEntropyLoss(weight=[1.0, 2.0]).to(np.float32)
    assert criterion.weight.dtype == np.float32
    loss = criterion(normal(3, 2, dtype=np.float32), np.array([0, 1, 1]))
    assert loss.dtype == np.float32


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ReLU", {}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("ELU", {"alpha": 0.5}),
        ("SiLU", {}),
        ("Softmax", {"dim": 1}),
        ("LogSoftmax", {"dim": 0}),
    ],
)
def test_activation_modules_match_torchs(name, kwargs):
    import wengert.nn as nn

    x = activation_input()
    ours = getattr(nn, name)(**kwargs)(wg.tensor(x)).numpy()
    theirs = getattr(torch.nn, name)(**kwargs)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    in_place = nn.ReLU(inplace=True)
    hidden = wg.tensor(x, requires_grad=True) * 1.0
    assert in_place(hidden) is hidden and (hidden.detach().numpy() >= 0).all()


# -- the functional dialect: the same functions under grad, jit and vmap ----------------------------------------


def test_functional_forms_work_under_grad_jit_and_vmap():
    logits, labels = normal(5, 4), np.array([0, 3, -100, 2, 1])
    weight = np.array([1.0, 0.5, 2.0, 1.5])

    def loss(z):
        return F.cross_entropy(z, labels, weight=weight, label_smoothing=0.1) + F.huber_loss(F.gelu(z), z * 0.5)

    expected = torch.tensor(logits, requires_grad=True)
    torch_loss = TF.cross_entropy(
        expected, torch.from_numpy(labels), weight=torch.from_numpy(weight), label_smoothing=0.1
    )
    torch_loss = torch_loss + TF.huber_loss(TF.gelu(expected), expected * 0.5)
    torch_loss.backward()
    np.testing.assert_allclose(wg.grad(loss)(logits), expected.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(wg.jit(wg.grad(loss))(logits), expected.grad.numpy(), rtol=1e-12, atol=1e-15)
    per_row = wg.vmap(lambda row: F.log_softmax(row, dim=0))(logits)
    np.testing.assert_allclose(per_row, TF.log_softmax(torch.from_numpy(logits), dim=1).numpy(), rtol=1e-14)
