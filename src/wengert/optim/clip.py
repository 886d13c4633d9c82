"""Gradient clipping: `clip_grad_norm_` and `clip_grad_value_` (PyTorch's rules, on ``.grad``).

Example:
    >>> import wengert as wg
    >>> x = wg.tensor([3.0, 4.0], requires_grad=True)
    >>> (x * x).sum().backward()                     # .grad = [6, 8], norm 10
    >>> clip_grad_norm_([x], max_norm=1.0)
    10.0
    >>> [round(g, 6) for g in x.grad.tolist()]
    [0.6, 0.8]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..nn.module import parameters_of, set_values_
from ..tensor import Tensor
from .formulas import clip_factor


def _gradient_values(parameter: Tensor) -> np.ndarray:
    grad = parameter.grad
    return np.asarray(grad.primal if isinstance(grad, Tensor) else grad)


def _replace_gradient(parameter: Tensor, values: np.ndarray, operation: str) -> None:
    """Give ``parameter.grad`` new values: in the same tensor object when it is a plain (unrecorded) tensor."""
    grad = parameter.grad
    if isinstance(grad, Tensor) and not grad.requires_grad:
        set_values_(grad, values, operation)
    else:
        # A gradient recorded with create_graph (or not a tensor): clipping is not differentiated, so it
        # becomes a plain tensor.
        parameter.grad = Tensor(values, parameter._trace, None)


def clip_grad_norm_(
    parameters: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Scale all gradients together so that their joint norm is at most ``max_norm``; returns the norm before.

    The norm is taken over all gradients as one vector (``norm_type`` may be
    ``inf``). Gradients are multiplied by ``max_norm / (norm + 1e-6)`` when that
    is below 1, as PyTorch does. Parameters without a gradient are skipped.

    Example:
        >>> import wengert as wg
        >>> w = wg.tensor([1.0, -2.0], requires_grad=True)
        >>> (w * 3.0).sum().backward()
        >>> clip_grad_norm_(w, 10.0, norm_type=float("inf"))   # under the limit: unchanged
        3.0
    """
    max_norm = float(max_norm)
    if not max_norm >= 0:  # also NaN; a negative limit would flip the gradients
        raise ValueError(f"clip_grad_norm_: max_norm must be a non-negative number, got {max_norm}")
    norm_type = float(norm_type)
    if norm_type <= 0 and not math.isinf(norm_type):
        raise ValueError(f"clip_grad_norm_: norm_type must be positive (or inf), got {norm_type}")
    with_grads = [p for p in parameters_of(parameters, "clip_grad_norm_") if p.grad is not None]
    if not with_grads:
        return 0.0
    grads = [_gradient_values(p) for p in with_grads]
    values = [g.ravel() for g in grads]
    if math.isinf(norm_type):
        norms = [float(np.max(np.abs(v))) if v.size else 0.0 for v in values]
        total = max(norms)
    else:
        norms = [float(np.linalg.norm(v, ord=norm_type)) if v.size else 0.0 for v in values]
        total = float(np.linalg.norm(np.array(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
            "pass error_if_nonfinite=False to clip anyway"
        )
    factor = clip_factor(total, max_norm)
    if factor < 1.0:
        for parameter, grad in zip(with_grads, grads):
            _replace_gradient(parameter, grad * np.asarray(factor, dtype=grad.dtype), "clip_grad_norm_")
    return total


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clip every gradient element into ``[-clip_value, clip_value]``.

    Example:
        >>> import wengert as wg
        >>> w = wg.tensor([1.0, -2.0], requires_grad=True)
        >>> (w * w).sum().backward()
        >>> clip_grad_value_(w, 1.5); w.grad.tolist()
        [1.5, -1.5]
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:  # also NaN
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    for parameter in parameters_of(parameters, "clip_grad_value_"):
        if parameter.grad is not None:
            clipped = np.clip(_gradient_values(parameter), -clip_value, clip_value)
            _replace_gradient(parameter, clipped, "clip_grad_value_")


__all__ = ["clip_grad_norm_", "clip_grad_value_"]
