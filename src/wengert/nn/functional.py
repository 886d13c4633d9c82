"""``wengert.nn.functional``: PyTorch's ``torch.nn.functional`` (``import wengert.nn.functional as F``).

Losses (``mse_loss``, ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``,
``cross_entropy``, ``nll_loss``, ``binary_cross_entropy``,
``binary_cross_entropy_with_logits``), activations (``relu``, ``tanh``,
``sigmoid``, ``gelu``, ``silu``, ``softplus``, ``elu``, ``leaky_relu``),
``softmax``, ``log_softmax``, ``one_hot``, ``linear`` and ``normalize``, with
PyTorch's names, argument names (``dim=``, ``reduction=``, ``weight=``,
``ignore_index=``...), defaults and semantics, written with `wengert.numpy`:
they take tensors, NumPy arrays and values traced by a transformation, and
give back the same kind, differentiable to any order.

As in PyTorch, class scores lie along dim 1: ``(N, C)``, ``(N, C, d1, ...)``,
or ``(C,)`` for one example (the older `wengert.nn.cross_entropy` reads them
along the last axis; for ``(N, C)`` the two agree). ``linear`` takes PyTorch's
``(out_features, in_features)`` weight. Where PyTorch only warns that a
target's shape differs from the input's and broadcasts, these refuse when the
broadcast would enlarge the input (a ``(N, 1)`` against ``(N,)`` mix-up).

Example:
    >>> import numpy as np
    >>> import wengert as wg
    >>> logits = wg.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], requires_grad=True)
    >>> loss = cross_entropy(logits, wg.tensor([0, 2]))
    >>> loss.backward()
    >>> round(loss.item(), 6), logits.grad.shape
    (0.160927, (2, 3))
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..numpy._primitives import dtype as value_dtype
from ..tensor import Tensor
from ..tensor import tensor as _new_tensor
from . import losses
from .activations import elu, in_place, leaky_relu, silu
from .activations import gelu as _gelu
from .layers import affine_nt

_REDUCTIONS = ("mean", "sum", "none")


# -- shared checks ------------------------------------------------------------------------------------------


def _reduction(name: str, size_average: Any, reduce: Any, reduction: str) -> str:
    """The reduction to apply, from PyTorch's legacy ``size_average``/``reduce`` flags when either is given."""
    if size_average is not None or reduce is not None:
        warnings.warn(
            f"{name}: size_average and reduce are deprecated, please use reduction='mean', 'sum' or 'none' instead",
            UserWarning,
            stacklevel=3,
        )
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: {reduction!r} is not a valid value for reduction (expected 'mean', 'sum' or 'none')")
    return reduction


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(wnp.shape(value))


def _concrete(value: Any) -> np.ndarray | None:
    """The values of a tensor or array, or None when they are traced by a transformation."""
    while isinstance(value, Tensor):
        value = value.primal
    return None if isinstance(value, Tracer) else np.asarray(value)


def _plain(value: Any) -> Any:
    """A tensor that records nothing as its array (labels, class weights); other values as they are."""
    if isinstance(value, Tensor) and not value.requires_grad:
        return value.primal
    return value


def _weighted_reduce(losses_: Any, weight: Any, reduction: str, divide_by_weight: bool) -> Any:
    """``losses·weight`` reduced; the mean divides by the weights' sum (``divide_by_weight``) or the count."""
    weighted = losses_ if weight is None else losses_ * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return wnp.sum(weighted)
    if weight is not None and divide_by_weight:
        return wnp.sum(weighted) / wnp.sum(wnp.broadcast_to(weight, _shape(weighted)))
    return wnp.mean(weighted)


def _weight_like_input(name: str, input: Any, weight: Any) -> Any:
    if weight is None:
        return None
    weight = _plain(weight)
    if _shape(weight) != _shape(input):
        raise ValueError(f"{name}: weight of shape {_shape(weight)} and input of shape {_shape(input)} must match")
    return weight if isinstance(weight, Tracer) else np.asarray(weight, dtype=losses._dtype_of(input))


def _positive(value: Any, name: str, what: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {what} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if value < 0 or (value == 0 and not allow_zero) or not math.isfinite(value):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name}: {what} must be a finite {bound} number, got {value}")
    return value


# -- regression losses ------------------------------------------------------------------------------------


def mse_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Any:
    """Squared error ``(input - target)²``, averaged (``reduction="mean"``), summed, or per element ("none").

    With ``weight`` (the input's shape) each term is weighted and the mean
    divides by the weights' sum, as in PyTorch.

    Example:
        >>> float(mse_loss(np.array([1.0, 3.0]), np.array([0.0, 0.0])))
        5.0
    """
    reduction = _reduction("mse_loss", size_average, reduce, reduction)
    if weight is None:
        return losses.mse_loss(input, target, reduction)
    difference = input - losses._target_like("mse_loss", input, target)
    return _weighted_reduce(difference * difference, _weight_like_input("mse_loss", input, weight), reduction, True)


def l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Any:
    """Absolute error ``|input - target|`` (derivative 0 where they are equal), reduced as `mse_loss`.

    Example:
        >>> float(l1_loss(np.array([1.0, -3.0]), np.zeros(2), reduction="sum"))
        4.0
    """
    reduction = _reduction("l1_loss", size_average, reduce, reduction)
    errors = wnp.abs(input - losses._target_like("l1_loss", input, target))
    return _weighted_reduce(errors, _weight_like_input("l1_loss", input, weight), reduction, True)


def smooth_l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Any:
    """``0.5·d²/beta`` where ``d = |input - target| < beta``, else ``d - 0.5·beta`` (``beta = 0``: the L1 loss).

    Example:
        >>> smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none").tolist()
        [0.125, 2.5]
    """
    reduction = _reduction("smooth_l1_loss", size_average, reduce, reduction)
    beta = _positive(beta, "smooth_l1_loss", "beta", allow_zero=True)
    difference = input - losses._target_like("smooth_l1_loss", input, target)
    distance = wnp.abs(difference)
    if beta == 0.0:
        return losses._reduce(distance, reduction)
    terms = wnp.where(distance < beta, (0.5 / beta) * difference * difference, distance - 0.5 * beta)
    return losses._reduce(terms, reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None) -> Any:
    """``0.5·d²`` where ``d = |input - target| < delta``, else ``delta·(d - 0.5·delta)``; reduced as PyTorch does.

    With ``weight`` the mean is the mean of the weighted terms (PyTorch's choice for this loss).

    Example:
        >>> huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none", delta=2.0).tolist()
        [0.125, 4.0]
    """
    reduction = _reduction("huber_loss", None, None, reduction)
    delta = _positive(delta, "huber_loss", "delta")
    difference = input - losses._target_like("huber_loss", input, target)
    distance = wnp.abs(difference)
    terms = wnp.where(distance < delta, 0.5 * difference * difference, delta * (distance - 0.5 * delta))
    return _weighted_reduce(terms, _weight_like_input("huber_loss", input, weight), reduction, False)


# -- classification losses ----------------------------------------------------------------------------------


def _classes_last(name: str, input: Any) -> Any:
    """The scores with their class axis (PyTorch's dim 1, or dim 0 of one example) moved last."""
    shape = _shape(input)
    if not shape:
        raise ValueError(f"{name}: the input must have a class dimension, got a scalar")
    return wnp.moveaxis(input, 1, -1) if len(shape) > 2 else input


def _class_weight(name: str, weight: Any, classes: int, dtype: np.dtype) -> Any:
    if weight is None:
        return None
    weight = _plain(weight)
    if _shape(weight) != (classes,):
        raise ValueError(f"{name}: weight must have one entry per class, shape ({classes},), got {_shape(weight)}")
    return weight if isinstance(weight, Tracer) else np.asarray(weight, dtype=dtype)


def _labels_and_mask(name: str, target: Any, scores_shape: tuple[int, ...], ignore_index: int) -> tuple[Any, Any]:
    """Integer labels with the ignored ones replaced by 0, and the mask of labels that count (None: all count)."""
    labels = np.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype}")
    if labels.shape != scores_shape[:-1]:
        raise ValueError(
            f"{name}: a target of shape {labels.shape} does not fit an input whose class scores have shape "
            f"{scores_shape} with the classes moved last (expected a target of shape {scores_shape[:-1]})"
        )
    counted = labels != ignore_index
    classes = scores_shape[-1]
    bad = counted & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise IndexError(f"{name}: label {int(labels[bad].ravel()[0])} is out of range for {classes} classes")
    if counted.all():
        return labels, None
    return np.where(counted, labels, 0), counted


def _picked_log_probabilities(log_probabilities: Any, labels: np.ndarray) -> Any:
    index = (*np.indices(labels.shape, sparse=True), labels)
    return wnp.getitem(log_probabilities, index)


def _nll(name: str, log_probabilities: Any, target: Any, weight: Any, ignore_index: int) -> tuple[Any, Any, Any]:
    """The per-example losses (0 where ignored), the weight each example carries, and the mask; classes last."""
    shape = _shape(log_probabilities)
    labels, counted = _labels_and_mask(name, target, shape, ignore_index)
    dtype = losses._dtype_of(log_probabilities)
    class_weight = _class_weight(name, weight, shape[-1], dtype)
    per_example = None
    if class_weight is not None:
        per_example = wnp.getitem(class_weight, labels)
    if counted is not None:
        mask = counted.astype(dtype)
        per_example = mask if per_example is None else per_example * mask
    picked = -_picked_log_probabilities(log_probabilities, labels)
    return picked, per_example, counted


def _reduce_classified(terms: Any, per_example: Any, reduction: str) -> Any:
    if per_example is not None:
        terms = terms * per_example
    if reduction == "none":
        return terms
    if reduction == "sum":
        return wnp.sum(terms)
    if per_example is None:
        return wnp.mean(terms)
    return wnp.sum(terms) / wnp.sum(per_example)


def _traced_labels(target: Any) -> bool:
    return isinstance(target, Tracer) and not (isinstance(target, Tensor) and not target.requires_grad)


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Any:
    """Negative log-likelihood of integer class labels: ``-weight[t]·input[n, t]``, as PyTorch's ``nll_loss``.

    ``input`` holds log-probabilities with the classes along dim 1 (``(N, C)``,
    ``(N, C, d1, ...)``) or dim 0 (``(C,)``); ``target`` the labels, of the
    input's shape without the class dim. Labels equal to ``ignore_index`` count
    nothing; the mean divides by the weights of the labels that count (their
    number without ``weight``).

    Example:
        >>> scores = np.log([[0.5, 0.5], [0.25, 0.75]])
        >>> round(float(nll_loss(scores, np.array([0, 1]))), 6), round(float(nll_loss(scores, np.array([0, -100]))), 6)
        (0.490415, 0.693147)
    """
    reduction = _reduction("nll_loss", size_average, reduce, reduction)
    log_probabilities = _classes_last("nll_loss", input)
    target = _plain(target)
    if _traced_labels(target) or (weight is None and not np.any(np.asarray(target) == ignore_index)):
        return losses.nll_loss(log_probabilities, target, reduction)
    picked, per_example, _ = _nll("nll_loss", log_probabilities, target, weight, ignore_index)
    return _reduce_classified(picked, per_example, reduction)


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
    """Cross-entropy of unnormalised class scores, as PyTorch's ``cross_entropy`` (log_softmax, then nll).

    ``input`` has the classes along dim 1 (``(N, C)``, ``(N, C, d1, ...)``) or
    is ``(C,)``. ``target`` is either integer labels (the input's shape without
    the class dim; ``weight`` per class, ``ignore_index`` as in `nll_loss`) or
    class probabilities of the input's shape (each example's loss is
    ``-Σ_c weight_c·p_c·log q_c``; the mean is over examples).
    ``label_smoothing = ε`` mixes the target with the uniform distribution.
    Computed stably: no overflow for large scores.

    Example:
        >>> round(float(cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))), 3)
        1000.0
    """
    reduction = _reduction("cross_entropy", size_average, reduce, reduction)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"cross_entropy: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    scores = _classes_last("cross_entropy", input)
    target = _plain(target)
    target_dtype = value_dtype(target)
    if target_dtype.kind not in "iuf":
        raise TypeError(
            f"cross_entropy: the target must hold integer labels or probabilities, got dtype {target_dtype}"
        )
    if target_dtype.kind == "f":
        return _cross_entropy_probabilities(input, scores, target, weight, reduction, label_smoothing)
    if _traced_labels(target) or (weight is None and not np.any(np.asarray(target) == ignore_index)):
        return losses.cross_entropy(scores, target, reduction, label_smoothing)
    log_probabilities = wnp.log_softmax(scores, axis=-1)
    picked, per_example, counted = _nll("cross_entropy", log_probabilities, target, weight, ignore_index)
    nll = _reduce_classified(picked, per_example, reduction)
    if not label_smoothing:
        return nll
    # PyTorch's smoothing term: -Σ_c weight_c·log q_c per example, 0 where ignored; its mean divides as nll's.
    shape = _shape(log_probabilities)
    class_weight = _class_weight("cross_entropy", weight, shape[-1], losses._dtype_of(log_probabilities))
    spread = -wnp.sum(log_probabilities if class_weight is None else log_probabilities * class_weight, axis=-1)
    if counted is not None:
        spread = spread * counted.astype(losses._dtype_of(log_probabilities))
    if reduction == "none":
        smooth = spread
    elif reduction == "sum":
        smooth = wnp.sum(spread)
    else:
        smooth = wnp.sum(spread) / (wnp.sum(per_example) if per_example is not None else np.prod(shape[:-1]))
    return (1.0 - label_smoothing) * nll + (label_smoothing / shape[-1]) * smooth


def _cross_entropy_probabilities(
    input: Any, scores: Any, target: Any, weight: Any, reduction: str, label_smoothing: float
) -> Any:
    if _shape(target) != _shape(input):
        raise ValueError(
            f"cross_entropy: a target of class probabilities must have the input's shape {_shape(input)}, got "
            f"{_shape(target)}; for class labels pass integers"
        )
    if weight is None:
        return losses.cross_entropy(scores, _classes_last("cross_entropy", target), reduction, label_smoothing)
    log_probabilities = wnp.log_softmax(scores, axis=-1)
    classes = _shape(log_probabilities)[-1]
    probabilities = losses._target_like("cross_entropy", log_probabilities, _classes_last("cross_entropy", target))
    if label_smoothing:
        probabilities = (1.0 - label_smoothing) * probabilities + label_smoothing / classes
    class_weight = _class_weight("cross_entropy", weight, classes, losses._dtype_of(log_probabilities))
    return losses._reduce(-wnp.sum(probabilities * log_probabilities * class_weight, axis=-1), reduction)


def _same_shape(name: str, input: Any, target: Any) -> Any:
    target = losses._target_like(name, input, target)
    if _shape(target) != _shape(input):
        raise ValueError(
            f"{name}: the target's shape {_shape(target)} must be the input's shape {_shape(input)} (as in PyTorch)"
        )
    return target


def _broadcast_weight(name: str, weight: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    if weight is None:
        return None
    weight = _plain(weight)
    try:
        joint = np.broadcast_shapes(_shape(weight), shape)
    except ValueError:
        joint = None
    if joint != shape:
        raise ValueError(f"{name}: weight of shape {_shape(weight)} does not broadcast to the input's shape {shape}")
    return weight if isinstance(weight, Tracer) else np.asarray(weight, dtype=dtype)


def binary_cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Any:
    """``-weight·(y·log x + (1 - y)·log(1 - x))`` of probabilities ``x`` in [0, 1]; each log clamped at -100.

    Prefer `binary_cross_entropy_with_logits` on the logits: it does not lose
    precision where ``x`` rounds to 0 or 1.

    Example:
        >>> round(float(binary_cross_entropy(np.array([0.5, 0.9]), np.array([1.0, 1.0]))), 6)
        0.399254
    """
    reduction = _reduction("binary_cross_entropy", size_average, reduce, reduction)
    target = _same_shape("binary_cross_entropy", input, target)
    values = _concrete(input)
    if values is not None and values.size and not ((values >= 0) & (values <= 1)).all():
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        log_x = wnp.maximum(wnp.log(input), -100.0)
        log_not_x = wnp.maximum(wnp.log1p(-input), -100.0)
    terms = -(target * log_x + (1.0 - target) * log_not_x)
    weight = _broadcast_weight("binary_cross_entropy", weight, _shape(input), losses._dtype_of(input))
    return losses._reduce(terms if weight is None else terms * weight, reduction)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Any:
    """Binary cross-entropy of logits ``x`` and targets ``y`` in [0, 1], computed without overflow.

    ``-weight·(pos_weight·y·log σ(x) + (1 - y)·log(1 - σ(x)))``; ``pos_weight``
    (one per class, along the last dim) weighs the positive examples.

    Example:
        >>> round(float(binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]))), 6)
        0.693147
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(name, size_average, reduce, reduction)
    target = _same_shape(name, input, target)
    dtype = losses._dtype_of(input)
    if pos_weight is None:
        terms = wnp.softplus(input) - target * input
    else:
        pos_weight = _broadcast_weight(name + ": pos_weight", pos_weight, _shape(input), dtype)
        terms = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * wnp.softplus(-input)
    weight = _broadcast_weight(name, weight, _shape(input), dtype)
    return losses._reduce(terms if weight is None else terms * weight, reduction)


# -- activations --------------------------------------------------------------------------------------------


def relu(input: Any, inplace: bool = False) -> Any:
    """``max(x, 0)``, with derivative 0 at 0.

    Example:
        >>> relu(np.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    return in_place(input, wnp.relu(input), inplace, "relu")


def tanh(input: Any) -> Any:
    """The hyperbolic tangent."""
    return wnp.tanh(input)


def sigmoid(input: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``, without overflow."""
    return wnp.sigmoid(input)


def gelu(input: Any, approximate: str = "none") -> Any:
    """The Gaussian error linear unit ``x·Φ(x)`` (``approximate="tanh"``: the tanh approximation).

    Example:
        >>> round(float(gelu(1.0)), 6)
        0.841345
    """
    return _gelu(input, approximate)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta·x)) / beta``, and ``x`` itself where ``beta·x > threshold`` (PyTorch's switch).

    Example:
        >>> softplus(np.array([0.0, 30.0])).round(6).tolist()
        [0.693147, 30.0]
    """
    beta = _positive(beta, "softplus", "beta")
    scaled = input if beta == 1.0 else input * beta
    smooth = wnp.softplus(scaled) if beta == 1.0 else wnp.softplus(scaled) / beta
    return wnp.where(scaled > threshold, input, smooth)


def _softmax_dim(name: str, input: Any, dim: int | None) -> int:
    if dim is not None:
        return dim
    ndim = len(_shape(input))
    chosen = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated; change the call to include dim={chosen}",
        UserWarning,
        stacklevel=3,
    )
    return chosen


def _cast(input: Any, dtype: Any) -> Any:
    return input if dtype is None else wnp.astype(input, np.dtype(dtype))


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    """``exp(x)`` normalised to sum to one along ``dim``, without overflow (``dtype``: convert the input first).

    Example:
        >>> softmax(np.array([[0.0, 0.0], [0.0, np.log(3.0)]]), dim=1).round(6).tolist()
        [[0.5, 0.5], [0.25, 0.75]]
    """
    return wnp.softmax(_cast(input, dtype), axis=_softmax_dim("softmax", input, dim))


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    """``x - logsumexp(x)`` along ``dim``: log-probabilities, finite for finite inputs."""
    return wnp.log_softmax(_cast(input, dtype), axis=_softmax_dim("log_softmax", input, dim))


# -- one_hot, linear, normalize -------------------------------------------------------------------------------


def one_hot(tensor: Any, num_classes: int = -1) -> Any:
    """Integer labels as int64 one-hot vectors along a new last axis (``num_classes=-1``: the largest label + 1).

    Example:
        >>> one_hot(np.array([0, 2]), 3).tolist()
        [[1, 0, 0], [0, 0, 1]]
    """
    labels = tensor.primal if isinstance(tensor, Tensor) else tensor
    if isinstance(labels, Tracer):
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
            raise ValueError("one_hot: labels traced by a transformation need num_classes (a positive int)")
        kind = value_dtype(labels)
        if kind.kind not in "iu":
            raise RuntimeError(f"one_hot is only applicable to integer labels, got dtype {kind}")
        return wnp.astype(wnp.equal(wnp.expand_dims(labels, -1), np.arange(int(num_classes))), np.int64)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to integer labels, got dtype {labels.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if labels.size and labels.min() < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if num_classes == -1:
        if not labels.size:
            raise RuntimeError("one_hot: cannot infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(labels.max()) + 1
    elif num_classes < 1 or (labels.size and labels.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes ({num_classes})")
    result = (labels[..., None] == np.arange(int(num_classes))).astype(np.int64)
    return _new_tensor(result) if isinstance(tensor, Tensor) else result


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, generator: Any = None) -> Any:
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p), in training; else ``input``.

    The mask comes from the default generator (``wg.manual_seed``) unless
    ``generator`` is given. Inside ``wg.jit`` or ``wg.vmap`` it is refused:
    a compiled program would reuse one mask on every call, and a batch would
    share one mask across its examples (draw with ``wg.random.bernoulli`` and
    a key there instead).

    Example:
        >>> import wengert as wg
        >>> x = wg.ones(1000)
        >>> y = dropout(x, 0.25)
        >>> sorted(set(y.numpy().round(6).tolist())), abs(float((y == 0).float().mean()) - 0.25) < 0.05
        ([0.0, 1.333333], True)
    """
    from ..generator import numpy_generator
    from ..numpy.logic import stays_traced

    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    p = float(p)
    if not training or p == 0.0:
        return input
    if stays_traced(input):
        raise TypeError(
            "dropout: the mask is drawn from the default generator, which wg.jit would freeze into the compiled "
            "program and wg.vmap would share across the batch; draw it with wg.random.bernoulli(key, 1 - p, shape) "
            "there, or call model.eval() to switch dropout off"
        )
    shape = _shape(input)
    dtype = value_dtype(input)
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dropout: expects a floating-point input, got dtype {dtype}")
    keep = numpy_generator(generator).random(shape) >= p
    scale = np.where(keep, 1.0 / (1.0 - p) if p < 1.0 else 0.0, 0.0).astype(dtype)
    return in_place(input, input * scale, inplace, "dropout")


def linear(input: Any, weight: Any, bias: Any = None) -> Any:
    """``input @ weight.T + bias`` with PyTorch's ``(out_features, in_features)`` weight.

    Example:
        >>> linear(np.ones((2, 3)), np.arange(6.0).reshape(2, 3), np.array([0.5, 0.0])).tolist()
        [[3.5, 12.0], [3.5, 12.0]]
    """
    input_shape, weight_shape = _shape(input), _shape(weight)
    if len(weight_shape) not in (1, 2):
        raise ValueError(f"linear: weight must be 1-D or 2-D (out_features, in_features), got shape {weight_shape}")
    if not input_shape or input_shape[-1] != weight_shape[-1]:
        raise ValueError(
            f"linear: the input of shape {input_shape} and the weight of shape {weight_shape} do not fit "
            f"(the input's last dimension must equal the weight's in_features, {weight_shape[-1]})"
        )
    if len(weight_shape) == 1:
        out = wnp.matmul(input, weight)
        return out if bias is None else out + bias
    return affine_nt(input, weight, bias, len(input_shape))


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Any:
    """``input / max(‖input‖_p, eps)`` with the norm taken along ``dim``.

    Example:
        >>> normalize(np.array([[3.0, 4.0]])).tolist()
        [[0.6, 0.8]]
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported (wengert's values are immutable); use the result")
    p = float(p)
    magnitude = wnp.abs(input)
    if p == 2.0:
        norm = wnp.sqrt(wnp.sum(input * input, axis=dim, keepdims=True))
    elif p == 1.0:
        norm = wnp.sum(magnitude, axis=dim, keepdims=True)
    elif p == math.inf:
        norm = wnp.max(magnitude, axis=dim, keepdims=True)
    elif p > 0:
        # the sum kept off 0, where its root's derivative is infinite; a vector that small is divided by eps anyway
        tiny = np.finfo(losses._dtype_of(input)).tiny
        norm = wnp.power(wnp.maximum(wnp.sum(wnp.power(magnitude, p), axis=dim, keepdims=True), tiny), 1.0 / p)
    else:
        raise ValueError(f"normalize: p must be positive, got {p}")
    return input / wnp.maximum(norm, eps)


__all__ = [
    "dropout",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "elu",
    "gelu",
    "huber_loss",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "relu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]
