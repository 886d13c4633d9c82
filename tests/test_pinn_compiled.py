"""The trainer's compiled loss: the same training as eager mode, and eager training where it cannot compile."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wengert.nn as nn
import wengert.numpy as wnp
from wengert.pinn.problems import SIR, Burgers, Wave1D
from wengert.pinn.trainer import Trainer, step_schedule


def _history_arrays(history):
    return {
        "loss": np.array(history.loss),
        **{f"term {name}": np.array(values) for name, values in history.terms.items()},
        **{f"param {name}": np.array(values, dtype=float) for name, values in history.params.items()},
    }


def _assert_same_training(compiled, eager, rtol=0.0):
    assert compiled.compiled and not eager.compiled
    got, expected = _history_arrays(compiled), _history_arrays(eager)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=rtol, atol=0.0, err_msg=key)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SIR(hidden=(16, 16), collocation=32, physics_warmup=20, seed=0),
        lambda: Burgers(collocation=200, boundary=40, seed=0),
        lambda: Wave1D(hidden=(16, 16), collocation=100, initial=20, boundary=20, seed=0),
    ],
    ids=["sir", "burgers", "wave"],
)
def test_compiled_training_retraces_nothing_and_follows_eager_training_exactly(make):
    # Adam with a warm-up schedule on the weights, then L-BFGS: the same history to the last bit.
    compiled_trainer = make().trainer()
    compiled = compiled_trainer.fit(adam_steps=25, lr=2e-3, lbfgs_steps=10, progress=False)
    eager = make().trainer().fit(adam_steps=25, lr=2e-3, lbfgs_steps=10, progress=False, jit=False)
    assert len(compiled) == len(eager) > 25
    _assert_same_training(compiled, eager)
    info = compiled_trainer.compiled_loss.program.cache_info()
    assert info.traces == info.misses == 1 and info.hits >= 25 + 10  # every later evaluation reused the program


def test_a_learning_rate_schedule_and_a_second_fit_work_compiled():
    def run(jit):
        model = nn.MLP([1, 8, 1], seed=0)
        x = np.linspace(-1.0, 1.0, 16)[:, None]
        trainer = Trainer(model, {"data": lambda: ((model(x) - x**2) ** 2).mean()})
        trainer.fit(adam_steps=20, lr=1e-2, schedule=step_schedule(5, 0.5), progress=False, jit=jit)
        return trainer.fit(adam_steps=10, lr=1e-2, progress=False, jit=jit)

    compiled, eager = run(None), run(False)
    _assert_same_training(compiled, eager)
    assert compiled.lr[:6] == [1e-2] * 5 + [5e-3]


def test_a_parameter_the_loss_does_not_reach_is_left_alone_as_in_eager_mode():
    def run(jit):
        used, unused = nn.Parameter(np.array([1.0, -2.0])), nn.Parameter(3.0)
        trainer = Trainer(None, {"fit": lambda: (used * used).sum()}, params={"used": used, "unused": unused})
        history = trainer.fit(adam_steps=5, lr=0.1, progress=False, jit=jit)
        return history, used, unused

    (compiled, used, unused), (eager, _, _) = run(None), run(False)
    _assert_same_training(compiled, eager)
    assert unused.item() == 3.0 and unused.grad is None
    assert used.grad is not None and not np.shares_memory(np.asarray(used.grad.primal), np.asarray(used.primal))


def test_a_gradient_that_is_a_parameters_own_array_is_copied():
    a, b = nn.Parameter(np.array([1.0, 2.0])), nn.Parameter(np.array([3.0, 4.0]))
    trainer = Trainer(None, {"product": lambda: (a * b).sum()}, params=[a, b])
    trainer.fit(adam_steps=1, lr=0.1, progress=False)
    assert trainer.history.compiled
    values = [np.asarray(p.primal) for p in (a, b)]
    for parameter in (a, b):
        assert not any(np.may_share_memory(np.asarray(parameter.grad.primal), value) for value in values)


def test_python_control_flow_on_a_value_trains_eagerly_after_a_one_line_warning():
    def run(jit):
        p = nn.Parameter(np.array([0.5, -1.5]))

        def branchy():
            total = (p * p).sum()
            return total if float(total) > 1.0 else 2.0 * total

        return Trainer(None, {"branchy": branchy}, params=[p]).fit(adam_steps=5, lr=0.1, progress=False, jit=jit)

    with pytest.warns(UserWarning, match=r"training eagerly, the loss cannot be compiled \(TracerConversionError") as w:
        fallback = run(None)
    assert len(w) == 1 and "\n" not in str(w[0].message)
    assert not fallback.compiled
    eager = run(False)
    np.testing.assert_array_equal(fallback.loss, eager.loss)
    with pytest.raises(RuntimeError, match=r"fit\(jit=True\): the loss cannot be compiled"):
        run(True)


def test_terms_that_change_between_evaluations_are_caught_and_trained_eagerly():
    rng = np.random.default_rng(0)
    p = nn.Parameter(np.array([0.5, -1.5]))
    resampled = lambda: ((p - rng.standard_normal(2)) ** 2).sum()  # noqa: E731  (new points at every call)
    with pytest.warns(UserWarning, match="differs between the compiled and the eager loss"):
        history = Trainer(None, {"noisy": resampled}, params=[p]).fit(adam_steps=3, lr=0.1, progress=False)
    assert not history.compiled and len(history) == 3


def test_a_callback_means_eager_training_unless_jit_is_asked_for():
    p = nn.Parameter(np.array([0.5, -1.5]))
    trainer = Trainer(None, {"fit": lambda: (p * p).sum()}, params=[p])
    assert not trainer.fit(adam_steps=2, lr=0.1, progress=False, callback=lambda info: False).compiled
    assert trainer.fit(adam_steps=2, lr=0.1, progress=False, callback=lambda info: False, jit=True).compiled
    assert trainer.fit(adam_steps=2, lr=0.1, progress=False).compiled


def test_mistakes_in_the_terms_surface_as_themselves_without_a_compilation_warning():
    p = nn.Parameter(np.array([0.5, -1.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(TypeError, match="must return a one-element tensor"):
            Trainer(None, {"number": lambda: 1.0}, params=[p]).fit(adam_steps=1, progress=False)
        with pytest.raises(TypeError, match="must return a one-element tensor"):
            Trainer(None, {"rows": lambda: p * 2.0}, params=[p]).fit(adam_steps=1, progress=False)
        with np.errstate(invalid="ignore"), pytest.raises(FloatingPointError, match="'bad' is (nan|inf)"):
            Trainer(None, {"bad": lambda: (p * np.inf).sum()}, params=[p]).fit(adam_steps=1, progress=False)


def test_a_term_that_diverges_during_compiled_training_is_reported_by_name():
    p = nn.Parameter(np.array([1.0]))
    trainer = Trainer(None, {"log": lambda: wnp.log(p).sum()}, params=[p])
    with (
        np.errstate(invalid="ignore", divide="ignore"),
        pytest.raises(FloatingPointError, match="'log' is (nan|-?inf)"),
    ):
        trainer.fit(adam_steps=200, lr=1.0, progress=False)
    assert trainer.history.compiled


def test_a_float32_model_with_weighted_terms_trains_as_in_eager_mode():
    # The weights must multiply in each term's precision, as eager mode's Python floats do.
    def run(jit):
        model = nn.MLP([1, 8, 1], seed=0).to(np.float32)
        x = np.linspace(-1.0, 1.0, 16, dtype=np.float32)[:, None]
        losses = {"data": lambda: ((model(x) - x**2) ** 2).mean(), "size": lambda: (model(x) ** 2).mean()}
        return Trainer(model, losses, {"size": 0.3}).fit(adam_steps=10, lr=1e-2, lbfgs_steps=5, progress=False, jit=jit)

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        compiled = run(None)
    _assert_same_training(compiled, run(False))


def test_reduce_on_plateau_watches_the_training_loss():
    from wengert.optim import ReduceLROnPlateau

    p = nn.Parameter(np.array([3.0]))
    trainer = Trainer(None, {"flat": lambda: (p * 0.0 + 1.0).sum()}, params=[p])
    history = trainer.fit(
        adam_steps=12, lr=0.1, schedule=lambda opt: ReduceLROnPlateau(opt, factor=0.5, patience=2), progress=False
    )
    assert history.lr[0] == 0.1 and history.lr[-1] < 0.1  # a loss that never improves lowers the rate
