"""``wg.autograd``: PyTorch's ``torch.autograd.grad`` over wengert tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .tensor import Tensor, run_backward


def _as_sequence(value: Any) -> list:
    if isinstance(value, Tensor):
        return [value]
    return list(value)


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
    can be differentiated again.

    Example:
        >>> import wengert as wg
        >>> x = wg.tensor(1.5, requires_grad=True)
        >>> y = wg.numpy.sin(x) * x ** 2
        >>> (dy,) = wg.autograd.grad(y, x, create_graph=True)
        >>> (d2y,) = wg.autograd.grad(dy, x)
        >>> round(float(d2y), 4)
        0.175
    """
    outputs = _as_sequence(outputs)
    inputs = _as_sequence(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = _as_sequence(grad_outputs) if not isinstance(grad_outputs, Tensor) else [grad_outputs]
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"grad_outputs has {len(grad_outputs)} entries for {len(outputs)} outputs")
    results = run_backward(
        outputs, grad_outputs, inputs, retain_graph, create_graph, accumulate=False, allow_unused=allow_unused
    )
    return tuple(results)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves."""
    tensors = _as_sequence(tensors)
    grads = [None] * len(tensors) if grad_tensors is None else _as_sequence(grad_tensors)
    run_backward(tensors, grads, None, retain_graph, create_graph, accumulate=True)


__all__ = ["backward", "grad"]
