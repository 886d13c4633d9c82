"""Learning-rate schedules, PyTorch's ``torch.optim.lr_scheduler``: step, cosine, lambda and plateau schedules.

The schedulers: `StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`,
`LambdaLR` and `ReduceLROnPlateau`. A scheduler sets each parameter group's
``"lr"`` from the group's initial learning rate and the number of ``step()``
calls so far (``last_epoch``); call ``scheduler.step()`` after
``optimizer.step()``, once per epoch (or per iteration). The rates are computed in closed form from the initial rate, so
they do not drift through repeated multiplication; they are PyTorch's rates (to
rounding: PyTorch multiplies the current rate at each step). `ReduceLROnPlateau`
is different: ``scheduler.step(metric)`` watches a metric (a validation loss)
and divides the rates when it stops improving.

Example:
    >>> import wengert as wg
    >>> from wengert.optim import SGD
    >>> optimizer = SGD([wg.tensor(1.0, requires_grad=True)], lr=1.0)
    >>> scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(scheduler.get_last_lr()[0])
    ...     optimizer.step(); scheduler.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..nn._checks import closest, integer, positive_int, real_number
from ..tensor import Tensor
from .optimizers import Optimizer


class LRScheduler:
    """Base class: ``lr = factor(last_epoch) · initial lr`` for each group; subclasses define ``_lr``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs a wengert optimizer, got {type(optimizer).__name__}")
        last_epoch = integer(last_epoch, type(self).__name__, "last_epoch", minimum=-1, what="an int >= -1")
        self.optimizer = optimizer
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = list(self.base_lrs)
        self.step()

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set each group's learning rate.

        ``step(epoch)`` jumps to ``epoch`` instead (PyTorch deprecated that
        form, and warns; so does this).
        """
        if epoch is None:
            self.last_epoch += 1
        else:
            warnings.warn(
                f"{type(self).__name__}.step(epoch): passing the epoch is deprecated (as in PyTorch); call step() "
                "once per epoch instead",
                UserWarning,
                stacklevel=2,
            )
            self.last_epoch = integer(epoch, f"{type(self).__name__}.step", "epoch", minimum=0, what="an int >= 0")
        for index, (group, base_lr) in enumerate(zip(self.optimizer.param_groups, self.base_lrs)):
            group["lr"] = self._lr(base_lr, index, self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group set by the last ``step()`` (or by construction)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's settings and position (functions given to `LambdaLR` are not included)."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` saved."""
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


def _factor(gamma: Any, owner: str) -> float:
    """A multiplicative factor of the learning rate: a finite positive number."""
    value = real_number(gamma, owner, "gamma")
    if value <= 0:
        raise ValueError(f"{owner}: gamma must be positive (it multiplies the learning rate), got {gamma}")
    return value


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs: ``lr₀·gamma^(epoch // step_size)``.

    Example:
        >>> import wengert as wg
        >>> from wengert.optim import SGD
        >>> scheduler = StepLR(SGD([wg.tensor(1.0, requires_grad=True)], lr=0.1), step_size=1)
        >>> scheduler.step()
        >>> scheduler.get_last_lr()
        [0.010000000000000002]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = positive_int(step_size, "StepLR", "step_size")
        self.gamma = _factor(gamma, "StepLR")
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch: ``lr₀·gamma^(milestones passed)``.

    A milestone listed twice counts twice, as in PyTorch.

    Example:
        >>> import wengert as wg
        >>> from wengert.optim import SGD
        >>> scheduler = MultiStepLR(SGD([wg.tensor(1.0, requires_grad=True)], lr=1.0), milestones=[1, 3], gamma=0.5)
        >>> rates = []
        >>> for _ in range(5):
        ...     rates.append(scheduler.get_last_lr()[0]); scheduler.step()
        >>> rates
        [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise TypeError(
                f"MultiStepLR: milestones must be a list of epochs (ints), got {milestones!r} "
                f"({type(milestones).__name__})"
            )
        epochs = [
            integer(m, "MultiStepLR", f"milestones[{i}]", minimum=0, what="an epoch (an int >= 0)")
            for i, m in enumerate(milestones)
        ]
        self.milestones = Counter(epochs)
        self._sorted_milestones = sorted(epochs)
        self.gamma = _factor(gamma, "MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self._sorted_milestones, epoch)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr₀·gamma^epoch``.

    Example:
        >>> import wengert as wg
        >>> from wengert.optim import SGD
        >>> scheduler = ExponentialLR(SGD([wg.tensor(1.0, requires_grad=True)], lr=1.0), gamma=0.5)
        >>> scheduler.step(); scheduler.step()
        >>> scheduler.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _factor(gamma, "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial rate to ``eta_min`` over ``T_max`` epochs (SGDR without restarts).

    ``lr = eta_min + (lr₀ - eta_min)·(1 + cos(π·epoch / T_max)) / 2``. As in
    PyTorch, the formula holds at every epoch: after ``T_max`` epochs the rate
    climbs back towards ``lr₀`` (reached at ``2·T_max``) rather than staying at
    ``eta_min``; choose ``T_max`` as the length of the run.

    Example:
        >>> import wengert as wg
        >>> from wengert.optim import SGD
        >>> scheduler = CosineAnnealingLR(SGD([wg.tensor(1.0, requires_grad=True)], lr=1.0), T_max=2)
        >>> rates = []
        >>> for _ in range(5):
        ...     rates.append(round(scheduler.get_last_lr()[0], 12)); scheduler.step()
        >>> rates
        [1.0, 0.5, 0.0, 0.5, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:  # noqa: N803
        self.T_max = positive_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = real_number(eta_min, "CosineAnnealingLR", "eta_min")
        if self.eta_min < 0:
            raise ValueError(f"CosineAnnealingLR: eta_min must be non-negative (it is a learning rate), got {eta_min}")
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0


class LambdaLR(LRScheduler):
    """``lr₀·lr_lambda(epoch)``, with one function for all groups or one per group."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        groups = len(getattr(optimizer, "param_groups", ()))
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * groups
        else:
            if not isinstance(lr_lambda, (list, tuple)):
                raise TypeError(
                    f"LambdaLR: lr_lambda must be a function of the epoch, or a list of one function per "
                    f"parameter group, got {lr_lambda!r} ({type(lr_lambda).__name__})"
                )
            self.lr_lambdas = list(lr_lambda)
            if len(self.lr_lambdas) != groups:
                raise ValueError(f"LambdaLR: {len(self.lr_lambdas)} functions for {groups} parameter groups")
            for index, function in enumerate(self.lr_lambdas):
                if not callable(function):
                    raise TypeError(
                        f"LambdaLR: lr_lambda[{index}] must be a function of the epoch, got {function!r} "
                        f"({type(function).__name__})"
                    )
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:
        function = self.lr_lambdas[group_index]
        result = function(epoch)
        try:
            if isinstance(result, (bool, str, bytes)):
                raise TypeError
            factor = float(result)
        except (TypeError, ValueError):
            raise TypeError(
                f"LambdaLR: lr_lambda {getattr(function, '__qualname__', function)!r} returned {result!r} "
                f"({type(result).__name__}) at epoch {epoch}; it must return a number (the factor of the initial lr)"
            ) from None
        if not (math.isfinite(factor) and factor >= 0):
            raise ValueError(
                f"LambdaLR: lr_lambda {getattr(function, '__qualname__', function)!r} returned {factor} at epoch "
                f"{epoch}; the factor of the initial learning rate must be finite and non-negative"
            )
        return base_lr * factor


def _metric_value(metrics: Any) -> float:
    """The metric given to `ReduceLROnPlateau.step` as a float (a number, or a one-element tensor or array)."""
    if isinstance(metrics, Tensor):
        if metrics.numel() != 1:
            raise ValueError(
                f"ReduceLROnPlateau.step: the metric is a tensor of shape {tuple(metrics.shape)}; pass one number "
                "(a one-element tensor, such as the mean validation loss)"
            )
        return float(metrics.item())
    if isinstance(metrics, np.ndarray) and metrics.size == 1 and metrics.dtype.kind in "iuf":
        return float(metrics.item())
    if isinstance(metrics, (int, float, np.integer, np.floating)) and not isinstance(metrics, (bool, np.bool_)):
        return float(metrics)
    raise TypeError(
        f"ReduceLROnPlateau.step: the metric must be a number (such as the validation loss), got {metrics!r} "
        f"({type(metrics).__name__})"
    )


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rates by ``factor`` when a metric has stopped improving (``step(metric)`` each epoch).

    In ``mode="min"`` a metric improves on the best so far when it is below
    ``best·(1 - threshold)`` (``threshold_mode="rel"``) or ``best - threshold``
    (``"abs"``); in ``mode="max"`` when above ``best·(1 + threshold)`` or
    ``best + threshold``. After more than ``patience`` epochs in a row without
    improvement, each group's rate becomes ``max(lr·factor, min_lr)`` (unchanged
    if that changes it by no more than ``eps``), then ``cooldown`` epochs pass
    during which bad epochs are not counted. PyTorch's arguments and rules.

    Example:
        >>> import wengert as wg
        >>> from wengert.optim import SGD
        >>> optimizer = SGD([wg.tensor(1.0, requires_grad=True)], lr=1.0)
        >>> scheduler = ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
        >>> for validation_loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.5, 1.5]:
        ...     scheduler.step(validation_loss)
        >>> scheduler.get_last_lr()  # halved at the second bad epoch in a row, twice
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name} needs a wengert optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            hint = closest(mode, ("min", "max")) if isinstance(mode, str) else ""
            raise ValueError(
                f"{name}: mode must be 'min' (the metric should fall, a loss) or 'max' (it should rise, an "
                f"accuracy), got {mode!r}{hint}"
            )
        if threshold_mode not in ("rel", "abs"):
            hint = closest(threshold_mode, ("rel", "abs")) if isinstance(threshold_mode, str) else ""
            raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}{hint}")
        factor_value = real_number(factor, name, "factor")
        if not 0.0 <= factor_value < 1.0:
            raise ValueError(f"{name}: factor must be in [0, 1) (new lr = lr * factor), got {factor}")
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(f"{name}: expected {groups} min_lrs (one per parameter group), got {len(min_lr)}")
            self.default_min_lr: float | None = None
            self.min_lrs = [_non_negative(value, name, f"min_lr[{i}]") for i, value in enumerate(min_lr)]
        else:
            self.default_min_lr = _non_negative(min_lr, name, "min_lr")
            self.min_lrs = [self.default_min_lr] * groups
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor_value
        self.patience = integer(patience, name, "patience", minimum=0, what="an int >= 0")
        self.threshold = _non_negative(threshold, name, "threshold")
        self.threshold_mode = threshold_mode
        self.cooldown = integer(cooldown, name, "cooldown", minimum=0, what="an int >= 0")
        self.eps = _non_negative(eps, name, "eps")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """Whether the epochs after a reduction, in which bad epochs are not counted, are still running."""
        return self.cooldown_counter > 0

    def is_better(self, current: float, best: float) -> bool:
        """Whether ``current`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            return current < (best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return current > (best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metrics: Any = None, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric; reduce the rates after more than ``patience`` epochs without improvement."""
        if metrics is None:
            raise TypeError(
                "ReduceLROnPlateau.step needs the metric it watches: scheduler.step(validation_loss), once per epoch"
            )
        current = _metric_value(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(
                "ReduceLROnPlateau.step(metrics, epoch): passing the epoch is deprecated (as in PyTorch)",
                UserWarning,
                stacklevel=2,
            )
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, {len(self.min_lrs)} when "
                    "the scheduler was made (a group was added since); set scheduler.min_lrs to one min_lr per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:  # pragma: no cover - step() is overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(mode={self.mode!r}, best={self.best}, num_bad_epochs={self.num_bad_epochs}, "
            f"last_lr={self._last_lr})"
        )


def _non_negative(value: Any, owner: str, name: str) -> float:
    number = real_number(value, owner, name)
    if number < 0:
        raise ValueError(f"{owner}: {name} must be non-negative, got {value}")
    return number


__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
]
