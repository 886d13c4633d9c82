"""Loss functions: `mse_loss`, `cross_entropy`, `nll_loss`, `binary_cross_entropy_with_logits`.

Each takes the prediction (an array, a tensor or a traced value) and a plain
target, and a ``reduction``: ``"mean"`` (the default), ``"sum"`` or ``"none"``
(one loss per example). Plain targets are converted to the prediction's dtype,
so a float32 model keeps a float32 loss. Class scores lie along the last axis.

Example:
    >>> import numpy as np
    >>> logits = np.array([[2.0, 0.0], [0.0, 2.0]])
    >>> round(float(cross_entropy(logits, np.array([0, 1]))), 6)
    0.126928
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import Primitive, Tracer, bind, primal_value
from ..numpy._primitives import dtype as value_dtype
from ..numpy.special import softmax_cross_entropy
from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: Any, reduction: str) -> Any:
    if reduction == "mean":
        return wnp.mean(losses)
    if reduction == "sum":
        return wnp.sum(losses)
    return losses


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _dtype_of(value: Any) -> np.dtype:
    value = primal_value(value)
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None else np.asarray(value).dtype


def _target_like(name: str, prediction: Any, target: Any) -> Any:
    """``target`` in the prediction's dtype (plain values), checked to broadcast to the prediction's shape."""
    if not isinstance(target, Tracer):
        dtype = _dtype_of(prediction)
        try:
            target = np.asarray(target, dtype=dtype if dtype.kind == "f" else None)
        except (TypeError, ValueError, RuntimeError) as error:
            shown = " ".join(repr(target).split())[:60]
            raise TypeError(
                f"{name}: the target ({shown}, a {type(target).__name__}) is not an array of numbers: {error}"
            ) from None
    prediction_shape = tuple(wnp.shape(prediction))
    target_shape = tuple(wnp.shape(target))
    try:
        joint = np.broadcast_shapes(prediction_shape, target_shape)
    except ValueError:
        joint = None
    if joint != prediction_shape:
        raise ValueError(
            f"{name}: the target of shape {target_shape} does not match the prediction of shape "
            f"{prediction_shape} (a (N, 1) against (N,) mix-up would silently broadcast to (N, N))"
        )
    return target


def mse_loss(prediction: Any, target: Any, reduction: str = "mean") -> Any:
    """Squared error ``(prediction - target)²``, averaged (or summed, or per element).

    Example:
        >>> float(mse_loss(np.array([1.0, 3.0]), np.array([0.0, 0.0])))
        5.0
    """
    _check_reduction("mse_loss", reduction)
    difference = prediction - _target_like("mse_loss", prediction, target)
    return _reduce(difference * difference, reduction)


def _check_range_impl(labels: Any, classes: int, name: str) -> Any:
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)].ravel()[0]
        raise IndexError(f"{name}: label {int(bad)} is out of range for {classes} classes")
    return labels


# Labels that a transformation follows (batched by vmap, staged by jit) are checked when their
# values exist: this primitive passes them through, raising for a label out of range.
_labels_in_range_p = Primitive(
    "labels_in_range",
    _check_range_impl,
    differentiable=False,
    batch=lambda values, batched, **params: bind(_labels_in_range_p, values, params),
)


def _class_labels(name: str, labels: Any, scores_shape: tuple[int, ...]) -> Any:
    if isinstance(labels, Tensor):
        labels = labels.primal
    elif isinstance(labels, Tracer):
        kind = value_dtype(labels)
        if kind.kind not in "iu":
            raise TypeError(f"{name}: class labels must be integers, got dtype {kind}")
        if tuple(wnp.shape(labels)) != scores_shape[:-1]:
            raise ValueError(
                f"{name}: labels of shape {tuple(wnp.shape(labels))} do not match scores of shape {scores_shape} "
                f"(expected labels of shape {scores_shape[:-1]}; classes lie along the last axis)"
            )
        return bind(_labels_in_range_p, (labels,), {"classes": scores_shape[-1], "name": name})
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype}")
    if labels.shape != scores_shape[:-1]:
        raise ValueError(
            f"{name}: labels of shape {labels.shape} do not match scores of shape {scores_shape} "
            f"(expected labels of shape {scores_shape[:-1]}; classes lie along the last axis)"
        )
    classes = scores_shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)].ravel()[0]
        raise IndexError(f"{name}: label {int(bad)} is out of range for {classes} classes")
    return labels


def nll_loss(log_probabilities: Any, labels: Any, reduction: str = "mean") -> Any:
    """Negative log-likelihood ``-log_probabilities[..., label]`` of integer class labels.

    ``log_probabilities`` has shape ``(..., classes)`` (typically ``(N, C)``, the
    output of ``wnp.log_softmax``) and ``labels`` the leading shape ``(...)``.

    Example:
        >>> float(nll_loss(np.log([[0.5, 0.5], [0.25, 0.75]]), [0, 1], reduction="sum") / -np.log(0.375))
        1.0
    """
    _check_reduction("nll_loss", reduction)
    shape = tuple(wnp.shape(log_probabilities))
    if not shape:
        raise ValueError("nll_loss: the log-probabilities must have at least one axis (the classes)")
    labels = _class_labels("nll_loss", labels, shape)
    index = (*np.indices(labels.shape, sparse=True), labels)
    picked = wnp.getitem(log_probabilities, index)
    return _reduce(-picked, reduction)


def cross_entropy(logits: Any, target: Any, reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
    """Cross-entropy of unnormalised class scores ``logits`` (shape ``(..., classes)``), computed stably.

    ``target`` is either integer class labels of shape ``(...)`` or class
    probabilities of the logits' shape. ``label_smoothing = ε`` mixes the
    labels with the uniform distribution: ``(1-ε)·nll + ε·mean over classes of
    -log p``. Goes through ``wnp.log_softmax``: no overflow for large logits.

    Example:
        >>> round(float(cross_entropy(np.array([[1000.0, 0.0]]), [1])), 3)
        1000.0
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    target_value = target.primal if isinstance(target, Tensor) and target._node is None else target
    integer_labels = value_dtype(target_value).kind in "iu"
    if integer_labels and not label_smoothing and not isinstance(target_value, Tracer):
        scores_shape = tuple(wnp.shape(logits))
        if not scores_shape:
            raise ValueError("cross_entropy: the logits must have at least one axis (the classes)")
        labels = _class_labels("cross_entropy", target_value, scores_shape)
        if labels.size:  # one primitive: its rule is (softmax - onehot) · g / N
            return softmax_cross_entropy(logits, labels, reduction)
    log_probabilities = wnp.log_softmax(logits, axis=-1)
    if integer_labels:
        losses = nll_loss(log_probabilities, target_value, reduction="none")
        if label_smoothing:
            uniform_part = -wnp.mean(log_probabilities, axis=-1)
            losses = (1.0 - label_smoothing) * losses + label_smoothing * uniform_part
        return _reduce(losses, reduction)
    probabilities = _target_like("cross_entropy", log_probabilities, target)
    if tuple(wnp.shape(probabilities)) != tuple(wnp.shape(log_probabilities)):
        raise ValueError(
            "cross_entropy: a target of class probabilities must have the logits' shape "
            f"{tuple(wnp.shape(log_probabilities))}; for class labels pass integers"
        )
    if label_smoothing:
        classes = wnp.shape(log_probabilities)[-1]
        probabilities = (1.0 - label_smoothing) * probabilities + label_smoothing / classes
    return _reduce(-wnp.sum(probabilities * log_probabilities, axis=-1), reduction)


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of a logit ``x`` and a target ``y`` in [0, 1]: ``softplus(x) - y·x``, without overflow.

    Example:
        >>> round(float(binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]))), 6)
        0.693147
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _target_like("binary_cross_entropy_with_logits", logits, target)
    return _reduce(wnp.softplus(logits) - target * logits, reduction)


__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "mse_loss", "nll_loss"]
