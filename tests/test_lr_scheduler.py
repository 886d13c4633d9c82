"""wengert.optim.lr_scheduler against torch.optim.lr_scheduler: the same rates for the same settings."""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
import wengert.optim as optim
from wengert.optim import lr_scheduler


def _wengert_optimizer(lrs=(0.1, 0.5)):
    groups = [{"params": [wg.tensor(1.0, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0])


def _torch_optimizer(torch, lrs=(0.1, 0.5)):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def _rates(scheduler, epochs):
    """The rates of each epoch: read, then optimizer.step(), then scheduler.step() (the documented order)."""
    rates = []
    for _ in range(epochs):
        rates.append(list(scheduler.get_last_lr()))
        scheduler.optimizer.step()
        scheduler.step()
    return rates


SCHEDULES = {
    "StepLR": lambda module, o: module.StepLR(o, step_size=4, gamma=0.5),
    "StepLR default gamma": lambda module, o: module.StepLR(o, step_size=1),
    "MultiStepLR": lambda module, o: module.MultiStepLR(o, milestones=[3, 10, 10, 22], gamma=0.3),
    "MultiStepLR unsorted": lambda module, o: module.MultiStepLR(o, milestones=[20, 5]),
    "ExponentialLR": lambda module, o: module.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda module, o: module.CosineAnnealingLR(o, T_max=30),
    "CosineAnnealingLR past T_max": lambda module, o: module.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "LambdaLR": lambda module, o: module.LambdaLR(o, lambda epoch: min(1.0, (epoch + 1) / 5)),
    "LambdaLR per group": lambda module, o: module.LambdaLR(o, [lambda e: 0.95**e, lambda e: 1 / (1 + e)]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_rates_match_pytorch_over_30_epochs(name):
    torch = pytest.importorskip("torch")
    make = SCHEDULES[name]
    mine = _rates(make(lr_scheduler, _wengert_optimizer()), 30)
    theirs = _rates(make(torch.optim.lr_scheduler, _torch_optimizer(torch)), 30)
    # PyTorch multiplies the current rate at each step, wengert computes each rate from the initial one.
    np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)


def test_cosine_rises_again_after_t_max_as_in_pytorch():
    scheduler = lr_scheduler.CosineAnnealingLR(_wengert_optimizer((1.0,)), T_max=4, eta_min=0.2)
    rates = [r[0] for r in _rates(scheduler, 10)]
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(10)]
    np.testing.assert_allclose(rates, expected, rtol=1e-15)
    assert rates[4] == pytest.approx(0.2) and rates[8] == pytest.approx(1.0)


def test_multistep_counts_repeated_milestones():
    scheduler = lr_scheduler.MultiStepLR(_wengert_optimizer((1.0,)), milestones=[2, 2, 5], gamma=0.5)
    assert [r[0] for r in _rates(scheduler, 7)] == [1.0, 1.0, 0.25, 0.25, 0.25, 0.125, 0.125]
    assert scheduler.milestones == {2: 2, 5: 1}


def test_step_with_an_epoch_jumps_there_and_warns():
    scheduler = lr_scheduler.StepLR(_wengert_optimizer((1.0,)), step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(5)
    assert scheduler.last_epoch == 5 and scheduler.get_last_lr() == [0.25]
    assert scheduler.optimizer.param_groups[0]["lr"] == 0.25


# -- ReduceLROnPlateau ---------------------------------------------------------------------------------

METRIC_SEQUENCES = [
    [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    list(np.r_[np.linspace(1.0, 0.5, 6), np.full(12, 0.49999), np.linspace(0.4, 0.39, 12)]),
    [float(v) for v in np.random.default_rng(3).uniform(0.0, 1.0, 40)],
]

PLATEAU_SETTINGS = [
    {},
    {"patience": 0},
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "cooldown": 3, "factor": 0.5},
    {"mode": "max", "patience": 1, "factor": 0.2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 1},
    {"threshold_mode": "abs", "threshold": 0.02, "patience": 2, "min_lr": 0.01},
    {"patience": 0, "min_lr": [0.02, 0.3], "factor": 0.5},
    {"patience": 0, "factor": 0.999, "eps": 1e-3},  # changes smaller than eps are skipped
]


@pytest.mark.parametrize("settings", PLATEAU_SETTINGS, ids=[str(s) for s in PLATEAU_SETTINGS])
@pytest.mark.parametrize("sequence", range(len(METRIC_SEQUENCES)))
def test_reduce_on_plateau_matches_pytorch(settings, sequence):
    torch = pytest.importorskip("torch")
    metrics = METRIC_SEQUENCES[sequence]
    mine = lr_scheduler.ReduceLROnPlateau(_wengert_optimizer(), **settings)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(_torch_optimizer(torch), **settings)
    for metric in metrics:
        mine.step(metric)
        theirs.step(metric)
        assert mine.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-15)
        assert (mine.best, mine.num_bad_epochs, mine.cooldown_counter, mine.last_epoch) == (
            theirs.best,
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
            theirs.last_epoch,
        )


def test_reduce_on_plateau_reductions_by_hand():
    optimizer = _wengert_optimizer((1.0,))
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5, cooldown=1, min_lr=0.2)
    rates = []
    for metric in [5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]:
        scheduler.step(metric)
        rates.append(optimizer.param_groups[0]["lr"])
    # three bad epochs (> patience 2) reduce; one cooldown epoch does not count; then three more; floor 0.2.
    assert rates == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2]
    assert scheduler.get_last_lr() == [0.2]


def test_reduce_on_plateau_reads_a_one_element_tensor():
    scheduler = lr_scheduler.ReduceLROnPlateau(_wengert_optimizer((1.0,)), patience=0)
    scheduler.step(wg.tensor(2.0, requires_grad=True) * 1.0)
    scheduler.step(wg.tensor([3.0]))
    assert scheduler.best == 2.0 and scheduler.get_last_lr() == [pytest.approx(0.1)]


@pytest.mark.parametrize(
    ("make", "exception", "message"),
    [
        (lambda o: optim.ReduceLROnPlateau(o, mode="mn"), ValueError, r"mode must be 'min'.*did you mean 'min'"),
        (lambda o: optim.ReduceLROnPlateau(o, threshold_mode="relative"), ValueError, r"threshold_mode must be"),
        (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), ValueError, r"factor must be in \[0, 1\)"),
        (lambda o: optim.ReduceLROnPlateau(o, patience=-1), ValueError, r"patience must be an int >= 0"),
        (lambda o: optim.ReduceLROnPlateau(o, patience=1.5), TypeError, r"patience must be an int >= 0"),
        (lambda o: optim.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, r"expected 2 min_lrs"),
        (lambda o: optim.ReduceLROnPlateau(o, min_lr=-0.1), ValueError, r"min_lr must be non-negative"),
        (lambda o: optim.ReduceLROnPlateau(o, cooldown=-2), ValueError, r"cooldown must be an int >= 0"),
        (lambda o: optim.ReduceLROnPlateau(np.ones(2)), TypeError, r"needs a wengert optimizer, got ndarray"),
        (lambda o: optim.MultiStepLR(o, milestones=3), TypeError, r"milestones must be a list of epochs"),
        (lambda o: optim.MultiStepLR(o, milestones=[2, 1.5]), TypeError, r"milestones\[1\] must be an epoch"),
        (lambda o: optim.MultiStepLR(o, [2], gamma=0), ValueError, r"MultiStepLR: gamma must be positive"),
    ],
)
def test_constructor_errors(make, exception, message):
    with pytest.raises(exception, match=message):
        make(_wengert_optimizer())


def test_reduce_on_plateau_step_errors():
    scheduler = lr_scheduler.ReduceLROnPlateau(_wengert_optimizer())
    with pytest.raises(TypeError, match=r"needs the metric it watches: scheduler\.step\(validation_loss\)"):
        scheduler.step()
    with pytest.raises(ValueError, match=r"tensor of shape \(3,\); pass one number"):
        scheduler.step(wg.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match=r"the metric must be a number"):
        scheduler.step("0.5")


def test_reduce_on_plateau_after_a_group_is_added():
    optimizer = _wengert_optimizer((1.0,))
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=0.5)
    optimizer.add_param_group({"params": [wg.tensor(0.0, requires_grad=True)], "lr": 2.0})
    scheduler.step(1.0)
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == [0.5, pytest.approx(0.5)]  # the default min_lr covers the new group
    fixed = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.0, 0.0])
    optimizer.add_param_group({"params": [wg.tensor(0.0, requires_grad=True)], "lr": 2.0})
    fixed.step(1.0)
    with pytest.raises(RuntimeError, match=r"3 parameter groups, 2 when the scheduler was made"):
        fixed.step(2.0)


# -- saving and loading, module layout ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR"])
def test_state_dict_round_trip(name):
    make = SCHEDULES[name]
    scheduler = make(lr_scheduler, _wengert_optimizer())
    _rates(scheduler, 9)
    restored = make(lr_scheduler, _wengert_optimizer())
    restored.load_state_dict(scheduler.state_dict())
    assert restored.last_epoch == 9 and restored.get_last_lr() == scheduler.get_last_lr()
    assert _rates(restored, 12) == _rates(scheduler, 12)
    assert "optimizer" not in scheduler.state_dict()


def test_reduce_on_plateau_state_dict_round_trip():
    settings = {"patience": 1, "cooldown": 2, "factor": 0.5}
    metrics = METRIC_SEQUENCES[2]
    scheduler = lr_scheduler.ReduceLROnPlateau(_wengert_optimizer(), **settings)
    for metric in metrics[:15]:
        scheduler.step(metric)
    saved = scheduler.state_dict()
    assert {"best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs", "mode"} <= set(saved)
    optimizer = _wengert_optimizer(scheduler.get_last_lr())
    restored = lr_scheduler.ReduceLROnPlateau(optimizer, **settings)
    restored.load_state_dict(saved)
    for metric in metrics[15:]:
        scheduler.step(metric)
        restored.step(metric)
        assert restored.get_last_lr() == scheduler.get_last_lr()


def test_module_layout_matches_pytorch():
    from wengert.optim import schedulers
    from wengert.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau, StepLR

    assert optim.lr_scheduler is lr_scheduler
    assert optim.StepLR is StepLR is schedulers.StepLR is wg.optim.lr_scheduler.StepLR
    assert optim.ReduceLROnPlateau is ReduceLROnPlateau is schedulers.ReduceLROnPlateau
    assert optim.MultiStepLR is lr_scheduler.MultiStepLR
    assert isinstance(ReduceLROnPlateau(_wengert_optimizer()), LRScheduler)  # as in PyTorch
