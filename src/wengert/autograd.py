"""``wg.autograd``: PyTorch's ``torch.autograd.grad`` and ``backward`` over wengert tensors."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Number
from typing import Any

import numpy as np

from .tensor import Tensor, run_backward


def _as_sequence(value: Any) -> list:
    if isinstance(value, Tensor):
        return [value]
    return list(value)


def _is_one_gradient(value: Any) -> bool:
    return value is None or isinstance(value, (Tensor, np.ndarray, np.generic, Number))


def _gradients_per_output(gradients: Any, count: int, single_output: bool, what: str) -> list:
    """One gradient (or None) per output, from what the caller passed as ``what``.

    A tensor, an array or a number is the gradient of a single output; a list or
    tuple holds one per output, unless there is a single output and the list is
    its data (``[1.0, 1.0]`` for an output of shape (2,)).
    """
    if gradients is None:
        return [None] * count
    if _is_one_gradient(gradients):
        gradients = [gradients]
    elif isinstance(gradients, (list, tuple)):
        gradients = list(gradients)
        per_output = len(gradients) == count and all(_is_one_gradient(g) for g in gradients)
        if not per_output and single_output:
            gradients = [np.asarray(gradients)]
    else:
        raise TypeError(f"{what} must be a tensor, an array or a list of them, got {type(gradients).__name__}")
    if len(gradients) != count:
        raise ValueError(f"{what} has {len(gradients)} entries for {count} outputs")
    return gradients


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated in .grad).

    ``grad_outputs`` gives the cotangent of each output (needed for non-scalar
    outputs); with ``create_graph=True`` the result is itself recorded, so it
    can be differentiated again. With ``allow_unused=True`` an input that the
    outputs do not depend on gets None instead of an error.

    Example:
        >>> import wengert as wg
        >>> x = wg.tensor(1.5, requires_grad=True)
        >>> y = wg.numpy.sin(x) * x ** 2
        >>> (dy,) = wg.autograd.grad(y, x, create_graph=True)
        >>> (d2y,) = wg.autograd.grad(dy, x)
        >>> round(float(d2y), 4)
        0.175
    """
    single_output = isinstance(outputs, Tensor)
    outputs = _as_sequence(outputs)
    inputs = _as_sequence(inputs)
    grad_outputs = _gradients_per_output(grad_outputs, len(outputs), single_output, "grad_outputs")
    results = run_backward(
        outputs, grad_outputs, inputs, retain_graph, create_graph, accumulate=False, allow_unused=allow_unused
    )
    return tuple(results)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves (of ``inputs`` if given).

    Example:
        >>> import wengert as wg
        >>> x = wg.tensor([1.0, 2.0], requires_grad=True)
        >>> wg.autograd.backward([(x * x).sum(), (3 * x).sum()])
        >>> x.grad
        tensor([5., 7.])
    """
    single_output = isinstance(tensors, Tensor)
    tensors = _as_sequence(tensors)
    grads = _gradients_per_output(grad_tensors, len(tensors), single_output, "grad_tensors")
    targets = None if inputs is None else _as_sequence(inputs)
    run_backward(tensors, grads, targets, retain_graph, create_graph, accumulate=True)


__all__ = ["backward", "grad"]
