"""The pure optimisers (``optim.sgd``, ``adam``, ``adamw``...): closed forms, the classes, jit, pytrees, errors.

The facts: each pure optimiser takes the steps its formula gives; run eagerly,
``sgd`` and ``adam`` give the stateful classes' iterates bit for bit (they run
the same formulas), ``adamw`` agrees with ``AdamW`` to rounding; a whole
training step under ``wg.jit`` equals the eager step; any pytree of
floating-point arrays is accepted and anything else is refused with a message.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
from wengert import optim
from wengert.optim import formulas
from wengert.testing import check_grads

RNG = np.random.default_rng(7)
X = RNG.standard_normal((24, 3))
Y = np.sin(X.sum(axis=1, keepdims=True))


def model_params(model):
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


def run_pure(opt, params, grad_fn, steps):
    state = opt.init(params)
    history = []
    for _ in range(steps):
        updates, state = opt.update(grad_fn(params), state, params)
        params = optim.apply_updates(params, updates)
        history.append(params)
    return history, state


def quadratic_grad(curvatures):
    """The gradient of ½·Σ aᵢ·xᵢ² over a pytree: a·x leaf by leaf."""
    return lambda params: wg.tree_map(lambda a, x: a * x, curvatures, params)


# -- closed forms ---------------------------------------------------------------------------------


def test_sgd_steps_are_minus_lr_times_the_direction():
    g1, g2, g3 = np.array([1.0, -2.0]), np.array([0.5, 4.0]), np.array([-3.0, 0.25])
    grads = iter([g1, g2, g3])
    plain, _ = run_pure(optim.sgd(0.1), np.zeros(2), lambda p: next(grads), 3)
    np.testing.assert_allclose(plain[-1], -0.1 * (g1 + g2 + g3), rtol=1e-15)
    for nesterov in (False, True):
        grads = iter([g1, g2, g3])
        history, _ = run_pure(optim.sgd(0.1, momentum=0.9, nesterov=nesterov), np.zeros(2), lambda p: next(grads), 3)
        b1 = g1  # PyTorch's first buffer is the gradient itself
        b2, b3 = 0.9 * b1 + g2, 0.9 * (0.9 * b1 + g2) + g3
        directions = [g + 0.9 * b for g, b in zip((g1, g2, g3), (b1, b2, b3))] if nesterov else [b1, b2, b3]
        np.testing.assert_allclose(history[-1], -0.1 * sum(directions), rtol=1e-14)


def test_sgd_dampening_leaves_the_first_buffer_undamped():
    grads = iter([np.array([2.0]), np.array([2.0])])
    history, state = run_pure(optim.sgd(1.0, momentum=0.5, dampening=0.5), np.zeros(1), lambda p: next(grads), 2)
    assert state.momentum_buffer.tolist() == [0.5 * 2.0 + 0.5 * 2.0]
    assert history[0].tolist() == [-2.0] and history[1].tolist() == [-4.0]


def test_adam_steps_match_the_textbook_with_bias_correction():
    x0, a, lr, b1, b2, eps = np.array([1.0, -2.0, 3.0]), np.array([1.0, 0.3, 2.0]), 0.1, 0.8, 0.95, 1e-3
    history, state = run_pure(optim.adam(lr, b1, b2, eps), x0, lambda x: a * x, 4)
    x, m, v = x0.copy(), np.zeros(3), np.zeros(3)
    for t in range(1, 5):
        g = a * x
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(history[t - 1], x, rtol=1e-14)
    assert int(state.count) == 4
    np.testing.assert_allclose(state.exp_avg, m, rtol=1e-14)


def test_adamw_decay_enters_the_update_scaled_by_lr():
    params = {"w": np.array([2.0, -1.0])}
    grads = {"w": np.array([0.5, 0.5])}
    updates, _ = optim.adamw(0.1, weight_decay=0.3).update(grads, optim.adamw(0.1).init(params), params)
    adam_only, _ = optim.adam(0.1).update(grads, optim.adam(0.1).init(params), params)
    np.testing.assert_allclose(updates["w"], adam_only["w"] - 0.1 * 0.3 * params["w"], rtol=1e-15)


def test_amsgrad_keeps_the_largest_second_moment():
    grads = iter([np.array([10.0]), np.array([0.1]), np.array([0.1])])
    _, state = run_pure(optim.adam(0.1, 0.9, 0.5, amsgrad=True), np.zeros(1), lambda p: next(grads), 3)
    assert state.max_exp_avg_sq.tolist() == [pytest.approx(50.0)]  # v after the first step: 0.5·100
    assert state.exp_avg_sq[0] < 20.0


def test_clip_by_global_norm_scales_all_leaves_together_as_pytorch_does():
    grads = {"a": np.array([3.0, 4.0]), "b": [np.array([[12.0]])]}
    clip = optim.clip_by_global_norm(6.5)
    clipped, state = clip.update(grads, clip.init(grads))
    scale = 6.5 / (13.0 + 1e-6)
    np.testing.assert_allclose(clipped["a"], [3.0 * scale, 4.0 * scale], rtol=1e-15)
    np.testing.assert_allclose(clipped["b"][0], [[12.0 * scale]], rtol=1e-15)
    unchanged, _ = optim.clip_by_global_norm(100.0).update(grads, state)
    assert unchanged is grads
    assert float(optim.global_norm(grads)) == pytest.approx(13.0, rel=1e-15)


def test_a_schedule_is_called_with_the_number_of_updates_done():
    seen = []

    def schedule(count):
        seen.append(count)
        return 0.5**count

    history, _ = run_pure(optim.sgd(schedule), np.zeros(1), lambda p: np.ones(1), 3)
    assert seen == [0, 1, 2]
    assert history[-1].tolist() == [-(1.0 + 0.5 + 0.25)]


def test_formulas_with_and_without_out_agree_bit_for_bit():
    m, v, g = RNG.standard_normal(5), RNG.random(5), RNG.standard_normal(5)
    scratch, m_out, v_out = np.empty(5), m.copy(), v.copy()
    assert np.array_equal(formulas.first_moment(m, g, 0.9), formulas.first_moment(m_out, g, 0.9, out=m_out))
    assert np.array_equal(
        formulas.second_moment(v, g, 0.99), formulas.second_moment(v_out, g, 0.99, out=v_out, scratch=scratch)
    )
    s, e = formulas.adam_scales(0.01, 0.9, 0.99, 1e-8, 3)
    assert np.array_equal(formulas.adam_step(m, v, s, e), formulas.adam_step(m, v, s, e, out=np.empty(5)))
    # A traced step count: NumPy's power, which may differ from Python's in the last bit.
    traced_scales = wg.jit(lambda step: formulas.adam_scales(0.01, 0.9, 0.99, 1e-8, step))(np.int64(3))
    np.testing.assert_allclose(traced_scales, (s, e), rtol=1e-14)


# -- the stateful classes, bit for bit ------------------------------------------------------------


PAIRS = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.05), lambda: optim.sgd(0.05)),
    "sgd_momentum_dampening_l2": (
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
        lambda: optim.sgd(0.05, 0.9, dampening=0.3, weight_decay=0.01),
    ),
    "sgd_nesterov": (
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
        lambda: optim.sgd(0.05, 0.8, nesterov=True),
    ),
    "adam": (lambda ps: optim.Adam(ps, lr=0.01), lambda: optim.adam(0.01)),
    "adam_l2_amsgrad": (
        lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05, amsgrad=True),
        lambda: optim.adam(0.01, 0.8, 0.9, 1e-6, weight_decay=0.05, amsgrad=True),
    ),
    "adam_per_parameter": (  # one group per parameter: the class's unfused path
        lambda ps: optim.Adam([{"params": [p]} for p in ps], lr=0.01),
        lambda: optim.adam(0.01),
    ),
}


def train_both(make_class, make_pure, dtype, steps=6):
    model = nn.MLP([3, 8, 8, 1], seed=1, dtype=dtype)
    x, y = X.astype(dtype), Y.astype(dtype)
    params = model_params(model)
    grad = wg.grad(lambda ps: nn.mse_loss(nn.functional_call(model, ps, x), y))
    history, _ = run_pure(make_pure(), params, grad, steps)
    stateful = make_class(list(model.parameters()))
    for _ in range(steps):
        stateful.zero_grad()
        nn.mse_loss(model(x), y).backward()
        stateful.step()
    return history[-1], model_params(model)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_pure_optimisers_give_the_stateful_classes_iterates_bit_for_bit(name, dtype):
    pure, stateful = train_both(*PAIRS[name], dtype)
    for key in stateful:
        assert pure[key].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(pure[key], stateful[key])


def test_adamw_agrees_with_the_class_to_rounding():
    pure, stateful = train_both(
        lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1), lambda: optim.adamw(0.01, weight_decay=0.1), np.float64
    )
    for key in stateful:
        np.testing.assert_allclose(pure[key], stateful[key], rtol=1e-13, atol=1e-15)
    params = {"w": np.array([1.0])}  # the default decay is PyTorch's 1e-2
    updates, _ = optim.adamw(1.0).update({"w": np.zeros(1)}, optim.adamw(1.0).init(params), params)
    assert updates["w"].tolist() == [-0.01]


def test_a_schedule_matches_the_stateful_scheduler_bit_for_bit():
    model = nn.MLP([3, 8, 1], seed=2)
    params = model_params(model)
    grad = wg.grad(lambda ps: nn.mse_loss(nn.functional_call(model, ps, X), Y))
    pure, _ = run_pure(optim.adam(lambda count: 0.05 * 0.8**count), params, grad, 5)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    scheduler = optim.ExponentialLR(optimizer, gamma=0.8)
    for _ in range(5):
        optimizer.zero_grad()
        nn.mse_loss(model(X), Y).backward()
        optimizer.step()
        scheduler.step()
    stateful = model_params(model)
    for key in stateful:
        np.testing.assert_array_equal(pure[-1][key], stateful[key])


# -- optax and PyTorch ----------------------------------------------------------------------------


def optax_pairs():
    optax = pytest.importorskip("optax")
    return {
        "sgd": (lambda: optax.sgd(0.05), lambda: optim.sgd(0.05)),
        "sgd_momentum": (lambda: optax.sgd(0.05, momentum=0.9), lambda: optim.sgd(0.05, 0.9)),
        "sgd_nesterov": (lambda: optax.sgd(0.05, 0.9, nesterov=True), lambda: optim.sgd(0.05, 0.9, nesterov=True)),
        "adam": (lambda: optax.adam(0.01, 0.8, 0.95, 1e-6), lambda: optim.adam(0.01, 0.8, 0.95, 1e-6)),
        "adamw": (lambda: optax.adamw(0.01, weight_decay=0.1), lambda: optim.adamw(0.01, weight_decay=0.1)),
    }


# AMSGrad is not compared: wengert's (PyTorch's) takes the maximum of the raw second moment, optax's that of
# the bias-corrected one.
@pytest.mark.parametrize("name", ["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw"])
def test_the_same_iterates_as_optax(name):
    make_optax, make_pure = optax_pairs()[name]
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    params = {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)}
    curvatures = {"w": RNG.random((3, 2)) + 0.5, "b": RNG.random(2) + 0.5}
    ours, _ = run_pure(make_pure(), params, quadratic_grad(curvatures), 6)
    opt = make_optax()
    theirs = jax.tree_util.tree_map(jnp.asarray, params)
    state = opt.init(theirs)
    for _ in range(6):
        grads = jax.tree_util.tree_map(lambda a, x: a * x, curvatures, theirs)
        updates, state = opt.update(grads, state, theirs)
        theirs = optax_apply(updates, theirs)
    for key in params:
        np.testing.assert_allclose(ours[-1][key], np.asarray(theirs[key]), rtol=1e-12, atol=1e-15)


def optax_apply(updates, params):
    import optax

    return optax.apply_updates(params, updates)


@pytest.mark.parametrize("name", ["sgd_momentum_dampening_l2", "sgd_nesterov", "adam_l2_amsgrad", "adamw"])
def test_the_same_iterates_as_torch_optim(name):
    torch = pytest.importorskip("torch")
    make = {
        "sgd_momentum_dampening_l2": (
            lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
            lambda: optim.sgd(0.05, 0.9, dampening=0.3, weight_decay=0.01),
        ),
        "sgd_nesterov": (
            lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
            lambda: optim.sgd(0.05, 0.8, nesterov=True),
        ),
        "adam_l2_amsgrad": (
            lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.05, amsgrad=True),
            lambda: optim.adam(0.01, 0.8, 0.9, weight_decay=0.05, amsgrad=True),
        ),
        "adamw": (lambda ps: torch.optim.AdamW(ps, lr=0.01), lambda: optim.adamw(0.01)),
    }
    make_torch, make_pure = make[name]
    x0, a = RNG.standard_normal(4), RNG.random(4) + 0.5
    ours, _ = run_pure(make_pure(), x0, lambda x: a * x, 6)
    theirs = torch.tensor(x0, requires_grad=True)
    opt = make_torch([theirs])
    for _ in range(6):
        opt.zero_grad()
        (0.5 * torch.from_numpy(a) * theirs**2).sum().backward()
        opt.step()
    np.testing.assert_allclose(ours[-1], theirs.detach().numpy(), rtol=1e-12, atol=1e-15)


# -- a whole training step under jit --------------------------------------------------------------


def jit_and_eager(opt, params, loss, steps, *extra, traces=1):
    def step(params, state, *extra):
        value, grads = wg.value_and_grad(loss)(params, *extra)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, value

    compiled = wg.jit(step)
    eager_params, eager_state = params, opt.init(params)
    jit_params, jit_state = params, opt.init(params)
    for _ in range(steps):
        eager_params, eager_state, eager_value = step(eager_params, eager_state, *extra)
        jit_params, jit_state, jit_value = compiled(jit_params, jit_state, *extra)
        assert float(jit_value) == pytest.approx(float(eager_value), rel=1e-12)
        for a, b in zip(wg.tree_leaves((jit_params, jit_state)), wg.tree_leaves((eager_params, eager_state))):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert compiled.cache_info().traces == traces
    return jit_params, jit_state


OPTIMISERS = {
    "sgd_nesterov_l2": lambda: optim.sgd(0.05, 0.9, nesterov=True, weight_decay=1e-3),
    "sgd_dampening_schedule": lambda: optim.sgd(lambda count: 0.05 / (1.0 + count), 0.9, dampening=0.2),
    "adam_amsgrad": lambda: optim.adam(0.01, amsgrad=True),
    "adamw_schedule": lambda: optim.adamw(lambda count: 0.02 * wnp.cos(0.1 * count), weight_decay=0.05),
    "clip_then_adam": lambda: optim.chain(optim.clip_by_global_norm(0.5), optim.adam(0.01)),
}


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_a_jitted_training_step_of_a_module_equals_the_eager_step(name):
    model = nn.MLP([3, 16, 16, 1], seed=3)

    def loss(params, x, y):
        return nn.mse_loss(nn.functional_call(model, params, x), y)

    start = model_params(model)
    params, state = jit_and_eager(OPTIMISERS[name](), start, loss, 5, X, Y)
    assert float(loss(params, X, Y)) < float(loss(start, X, Y))
    for key, value in model_params(model).items():  # the module's own parameters are untouched
        np.testing.assert_array_equal(value, start[key])


def test_a_jitted_step_keeps_float32_and_a_scalar_parameter():
    params = {"w": RNG.standard_normal((3, 1)).astype(np.float32), "scale": np.float32(0.5)}
    x, y = X.astype(np.float32), Y.astype(np.float32)

    def loss(params, x, y):
        return wnp.mean((params["scale"] * (x @ params["w"]) - y) ** 2)

    # A 0-d leaf goes in as a 0-d array and comes back from the compiled program as a NumPy scalar:
    # the same signature to jit (no retrace).
    params, state = jit_and_eager(optim.adam(0.01), params, loss, 4, x, y, traces=1)
    assert {leaf.dtype for leaf in wg.tree_leaves((params, state.exp_avg, state.exp_avg_sq))} == {np.dtype(np.float32)}


def test_the_staged_step_has_no_python_control_flow_on_the_count():
    opt = optim.adam(0.1)
    params = {"w": np.ones(2)}
    lowered = wg.jit(lambda g, s, p: opt.update(g, s, p)).lower({"w": np.ones(2)}, opt.init(params), params)
    assert "power" in lowered.source  # the bias corrections are computed from the traced count


# -- pytrees ----------------------------------------------------------------------------------------


class Pair(NamedTuple):
    weight: np.ndarray
    bias: float


PYTREES = {
    "dict": {"w": np.array([1.0, 2.0]), "b": np.array(0.5)},
    "list": [np.array([1.0, 2.0]), np.array([[3.0]])],
    "tuple": (np.array([1.0]), np.array([2.0, 3.0])),
    "nested": {"layer": [np.array([1.0, -1.0]), (np.array([[0.5]]), 2.0)], "gain": np.array(1.5)},
    "namedtuple": Pair(np.array([1.0, 2.0]), 0.5),
    "array": np.array([1.0, 2.0, 3.0]),
}


@pytest.mark.parametrize("name", sorted(PYTREES))
@pytest.mark.parametrize("make", [lambda: optim.sgd(0.1, 0.9), lambda: optim.adam(0.1), lambda: optim.adamw(0.1)])
def test_any_pytree_of_arrays_keeps_its_structure(name, make):
    params = PYTREES[name]
    curvatures = wg.tree_map(lambda leaf: 2.0 + 0.0 * np.asarray(leaf), params)
    history, state = run_pure(make(), params, quadratic_grad(curvatures), 3)
    assert wg.tree_flatten(history[-1])[1] == wg.tree_flatten(params)[1]
    for new, old in zip(wg.tree_leaves(history[-1]), wg.tree_leaves(params)):
        assert np.shape(new) == np.shape(old)
        assert np.all(np.abs(new) < np.abs(old))  # every leaf moved towards 0


def test_update_changes_nothing_in_place():
    params = {"w": np.array([1.0, -2.0])}
    grads = {"w": np.array([0.5, 0.5])}
    for opt in (optim.sgd(0.1, 0.9), optim.adam(0.1, amsgrad=True)):
        _, state = opt.update(grads, opt.init(params), params)
        copies = [np.array(leaf, copy=True) for leaf in wg.tree_leaves((params, grads, state))]
        opt.update(grads, state, params)
        for leaf, copy in zip(wg.tree_leaves((params, grads, state)), copies):
            np.testing.assert_array_equal(leaf, copy)


def test_an_empty_pytree_is_a_no_op():
    opt = optim.adam(0.1)
    updates, state = opt.update({}, opt.init({}), {})
    assert updates == {} and int(state.count) == 1


# -- differentiating through an update ------------------------------------------------------------


def test_the_update_is_differentiable_exactly():
    a = np.array([1.0, 3.0])

    def after_two_adam_steps(x):
        opt = optim.adam(0.1)
        params, state = x, opt.init(x)
        for _ in range(2):
            updates, state = opt.update(a * params * params, state, params)
            params = optim.apply_updates(params, updates)
        return wnp.sum(params * params)

    check_grads(after_two_adam_steps, (np.array([0.7, -1.3]),), order=1, modes=("fwd", "rev"))


# -- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: optim.adam(0.0), ValueError, "learning_rate must be positive, got 0.0"),
        (lambda: optim.sgd(-0.1), ValueError, "learning_rate must be positive"),
        (lambda: optim.adamw(math.nan), ValueError, "learning_rate must be a finite number"),
        (lambda: optim.adam("0.1"), TypeError, "learning_rate must be a real number, got '0.1'"),
        (lambda: optim.adam(0.1, b1=1.0), ValueError, r"b1 must be in \[0, 1\)"),
        (lambda: optim.adam(0.1, eps=-1.0), ValueError, "eps must be non-negative"),
        (lambda: optim.sgd(0.1, momentum=-0.5), ValueError, "momentum must be non-negative"),
        (lambda: optim.sgd(0.1, nesterov=True), ValueError, "Nesterov momentum needs momentum > 0"),
        (lambda: optim.adamw(0.1, weight_decay=-1.0), ValueError, "weight_decay must be non-negative"),
        (lambda: optim.clip_by_global_norm(0.0), ValueError, "max_norm must be positive"),
        (lambda: optim.chain(optim.adam(0.1), "sgd"), TypeError, "argument 1 is a str"),
        (lambda: optim.adam(0.1, 0.9, 0.999, 1e-8, 0.0), TypeError, "positional"),  # optax's eps_root: refused
    ],
)
def test_bad_hyperparameters_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("weights", r"params is a str \('weights'\); expected a pytree"),
        ({"w": {1.0, 2.0}}, r"params\['w'\] is a set"),
        ([np.array([1, 2])], r"params\[0\] is an array of dtype int64; only floating-point"),
        ({"w": wg.tensor([1.0], requires_grad=True)}, r"params\['w'\] is a wengert Tensor"),
        (nn.Linear(2, 1, seed=0), "is a Module .*nn.functional_call"),
        ({"w": np.array([1.0 + 1.0j])}, "complex numbers"),
    ],
)
def test_anything_but_a_pytree_of_float_arrays_is_refused(params, message):
    with pytest.raises(TypeError, match=message):
        optim.adam(0.1).init(params)


def test_mismatched_gradients_and_parameters_are_refused():
    params = {"w": np.ones((2, 3)), "b": np.zeros(3)}
    opt = optim.adam(0.1, weight_decay=0.1)
    state = opt.init(params)
    with pytest.raises(ValueError, match=r"the gradients have the structure \{'w': \*\}, but the parameters have"):
        opt.update({"w": np.ones((2, 3))}, state, params)
    with pytest.raises(ValueError, match=r"the gradients have the structure \{'w': \*\}, but the first moments"):
        optim.adam(0.1).update({"w": np.ones((2, 3))}, state)
    with pytest.raises(ValueError, match=r"structure \{'b': \*, 'w': \*\}, but the parameters have \{'c'"):
        opt.update(params, state, {"w": np.ones((2, 3)), "c": np.zeros(3)})
    with pytest.raises(ValueError, match=r"the gradient \['w'\] has shape \(3, 2\), but its parameter has shape"):
        opt.update({"w": np.ones((3, 2)), "b": np.zeros(3)}, state, params)
    with pytest.raises(TypeError, match="weight_decay acts on the parameters; pass them"):
        opt.update(params, state)
    with pytest.raises(TypeError, match="the state is a SGDState, not the AdamState that adam.init makes"):
        opt.update(params, optim.sgd(0.1).init(params), params)
    with pytest.raises(ValueError, match=r"apply_updates: the updates have the structure \[\*\]"):
        optim.apply_updates(params, [np.ones(3)])
    with pytest.raises(ValueError, match=r"the update \['b'\] has shape \(2,\)"):
        optim.apply_updates(params, {"w": np.ones((2, 3)), "b": np.zeros(2)})
    with pytest.raises(TypeError, match="must be the tuple of 2 states"):
        optim.chain(optim.sgd(0.1), optim.adam(0.1)).update(params, opt.init(params), params)


def test_a_schedule_that_returns_no_number_is_refused():
    opt = optim.sgd(lambda count: "fast")
    with pytest.raises(TypeError, match="returned 'fast' .* at count 0; it must return a number"):
        opt.update({"w": np.ones(1)}, opt.init({"w": np.ones(1)}))
    opt = optim.sgd(lambda count: -1.0)
    with pytest.raises(ValueError, match="returned -1.0 at count 0"):
        opt.update({"w": np.ones(1)}, opt.init({"w": np.ones(1)}))


def test_python_control_flow_on_the_count_in_a_schedule_names_the_line_under_jit():
    opt = optim.sgd(lambda count: 0.1 if count < 10 else 0.01)
    with pytest.raises(wg.errors.TracerConversionError):
        wg.jit(lambda g, s: opt.update(g, s))({"w": np.ones(1)}, opt.init({"w": np.ones(1)}))


# -- nn.functional_call -------------------------------------------------------------------------------


def test_functional_call_under_grad_and_jit_equals_the_module():
    model = nn.MLP([3, 8, 1], seed=4)
    params = model_params(model)

    def loss(params):
        return nn.mse_loss(nn.functional_call(model, params, X), Y)

    value, grads = wg.jit(wg.value_and_grad(loss))(params)
    model.zero_grad()
    expected = nn.mse_loss(model(X), Y)
    expected.backward()
    assert float(value) == pytest.approx(expected.item(), rel=1e-14)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(grads[name], parameter.grad.detach().numpy(), rtol=1e-12, atol=1e-15)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Linear(2, 2, seed=0)
        self.decode = nn.Linear(2, 2, seed=1)
        self.decode.weight = self.encode.weight  # one parameter, two modules

    def forward(self, x):
        return self.decode(wnp.tanh(self.encode(x)))


def test_functional_call_replaces_a_tied_parameter_everywhere():
    model = Tied()
    x = RNG.standard_normal((5, 2))
    names = [name for name, _ in model.named_parameters()]
    assert "decode.weight" not in names  # a tied parameter is listed once, under its first name
    params = model_params(model)
    grads = wg.grad(lambda ps: wnp.sum(nn.functional_call(model, ps, x) ** 2))(params)
    model.zero_grad()
    wnp.sum(model(x) ** 2).backward()
    np.testing.assert_allclose(grads["encode.weight"], model.encode.weight.grad.detach().numpy(), rtol=1e-13)
    with pytest.raises(ValueError, match="'encode.weight' and 'decode.weight' are one parameter shared"):
        nn.functional_call(model, {"encode.weight": np.ones((2, 2)), "decode.weight": np.zeros((2, 2))}, x)


def test_functional_call_checks_its_values():
    layer = nn.Linear(2, 1, seed=0)
    x = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"the value for 'bias' has shape \(\), but the Linear's 'bias' has shape"):
        nn.functional_call(layer, {"bias": 0.0}, x)
    with pytest.raises(TypeError, match="values must be a dict of names to values"):
        nn.functional_call(layer, [np.ones((2, 1))], x)
    with pytest.raises(ValueError, match=r"\['bias'\] given in more than one"):
        nn.functional_call(layer, ({"bias": np.ones(1)}, {"bias": np.ones(1)}), x)
    merged = nn.functional_call(layer, ({"weight": np.ones((1, 2))}, {"bias": np.zeros(1)}), x)
    assert merged.tolist() == [[2.0]] * 3
