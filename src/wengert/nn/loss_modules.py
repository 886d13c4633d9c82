"""PyTorch's loss modules: ``nn.MSELoss()``, ``nn.CrossEntropyLoss()``... each calling its `wengert.nn.functional` form.

The constructor takes PyTorch's arguments (``reduction=``, ``weight=``,
``ignore_index=``, ``label_smoothing=``, ``delta=``, ``beta=``,
``pos_weight=``); calling the module with ``(input, target)`` returns the
loss. Class and element weights are registered as buffers, as in PyTorch, so
``state_dict()`` and ``to()`` see them.

Example:
    >>> import numpy as np
    >>> import wengert as wg
    >>> criterion = CrossEntropyLoss(label_smoothing=0.1)
    >>> logits = wg.tensor([[2.0, 0.0], [0.0, 1.0]], requires_grad=True)
    >>> loss = criterion(logits, np.array([0, 1]))
    >>> loss.backward()
    >>> round(loss.item(), 6), logits.grad.shape
    (0.295095, (2, 2))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .module import Module


def _buffer_value(value: Any, owner: str, name: str) -> Any:
    if value is None or isinstance(value, (np.ndarray, Tensor)):
        return value
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{owner}: {name} must be an array or a tensor of numbers, got {type(value).__name__}"
        ) from None


class _Loss(Module):
    """A loss module: its ``reduction``, and the buffers ``weight`` (and ``pos_weight``) where it takes them."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F._reduction(type(self).__name__, size_average, reduce, reduction)

    def _register(self, name: str, value: Any) -> None:
        self.register_buffer(name, _buffer_value(value, type(self).__name__, name))

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error ``(input - target)²`` (`functional.mse_loss`).

    Example:
        >>> float(MSELoss(reduction="sum")(np.array([1.0, 3.0]), np.zeros(2)))
        10.0
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: Any, target: Any) -> Any:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|`` (`functional.l1_loss`)."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: Any, target: Any) -> Any:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (`functional.smooth_l1_loss`)."""

    def __init__(
        self, size_average: Any = None, reduce: Any = None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Any, target: Any) -> Any:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear (slope ``delta``) above (`functional.huber_loss`).

    Example:
        >>> HuberLoss(reduction="none", delta=2.0)(np.array([0.5, 3.0]), np.zeros(2)).tolist()
        [0.125, 4.0]
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(None, None, reduction)
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Any:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of class scores and labels or probabilities (`functional.cross_entropy`)."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._register("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Any:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_Loss):
    """Negative log-likelihood of labels given log-probabilities (`functional.nll_loss`)."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._register("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Any:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (`functional.binary_cross_entropy`)."""

    def __init__(
        self, weight: Any = None, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._register("weight", weight)

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, without overflow (`functional.binary_cross_entropy_with_logits`)."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        pos_weight: Any = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self._register("weight", weight)
        self._register("pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
]
