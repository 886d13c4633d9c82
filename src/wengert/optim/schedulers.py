"""Learning-rate schedules: `StepLR`, `ExponentialLR`, `CosineAnnealingLR`, `LambdaLR`.

A scheduler sets each parameter group's ``"lr"`` from the group's initial
learning rate and the number of ``step()`` calls so far (``last_epoch``); call
``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per
iteration). The rates are computed in closed form from the initial rate, so
they do not drift through repeated multiplication.

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

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..nn._checks import integer, positive_int, real_number
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

    def step(self) -> None:
        """Advance one epoch and set each group's learning rate."""
        self.last_epoch += 1
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

    ``lr = eta_min + (lr₀ - eta_min)·(1 + cos(π·epoch / T_max)) / 2``, held at
    ``eta_min`` after ``T_max`` epochs.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:  # noqa: N803
        self.T_max = positive_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = real_number(eta_min, "CosineAnnealingLR", "eta_min")
        if self.eta_min < 0:
            raise ValueError(f"CosineAnnealingLR: eta_min must be non-negative (it is a learning rate), got {eta_min}")
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, group_index: int, epoch: int) -> float:
        progress = min(epoch, self.T_max) / self.T_max
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + math.cos(math.pi * progress)) / 2.0


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


__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "StepLR"]
