"""PyTorch's ``torch.nn.utils``: gradient clipping and parameters as one flat vector.

``clip_grad_norm_`` and ``clip_grad_value_`` are `wengert.optim.clip`'s (the
same functions); ``parameters_to_vector`` and ``vector_to_parameters`` move
parameters to and from one 1-D tensor, in the order of ``parameters()``.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> layer = nn.Linear(3, 2, seed=0)
    >>> flat = parameters_to_vector(layer.parameters())
    >>> flat.shape
    (8,)
    >>> vector_to_parameters(flat * 0.0, layer.parameters())
    >>> float(np.abs(layer.weight.detach().numpy()).sum())
    0.0
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..tensor import Tensor
from .module import set_values_

# wengert.optim imports wengert.nn: the clipping functions are fetched when first asked for (PEP 562),
# so that either package may be imported first.
_FROM_OPTIM = ("clip_grad_norm_", "clip_grad_value_")


def __getattr__(name: str) -> Any:
    if name in _FROM_OPTIM:
        from ..optim import clip

        return getattr(clip, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _tensors(parameters: Any, operation: str) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, (np.ndarray, str, bytes)) or not isinstance(parameters, Iterable):
        raise TypeError(
            f"{operation}: expected an iterable of tensors (model.parameters()), got {type(parameters).__name__}"
        )
    tensors = list(parameters)
    for index, item in enumerate(tensors):
        if not isinstance(item, Tensor):
            raise TypeError(f"{operation}: item {index} is a {type(item).__name__}, not a tensor")
    return tensors


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters' values, each flattened, concatenated into one 1-D tensor (differentiable, as PyTorch's).

    Example:
        >>> import wengert as wg
        >>> parameters_to_vector([wg.tensor([[1.0, 2.0]]), wg.tensor([3.0])]).tolist()
        [1.0, 2.0, 3.0]
    """
    tensors = _tensors(parameters, "parameters_to_vector")
    if not tensors:
        raise ValueError("parameters_to_vector: no parameters given")
    return wnp.concatenate([wnp.reshape(t, (-1,)) for t in tensors])


def vector_to_parameters(vec: Any, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place (not recorded by autograd).

    Example:
        >>> import wengert as wg
        >>> a, b = wg.tensor([0.0, 0.0]), wg.tensor([[0.0]])
        >>> vector_to_parameters(np.array([1.0, 2.0, 3.0]), [a, b])
        >>> a.tolist(), b.tolist()
        ([1.0, 2.0], [[3.0]])
    """
    tensors = _tensors(parameters, "vector_to_parameters")
    if isinstance(vec, Tensor):
        vec = vec.primal
    if isinstance(vec, Tracer):
        raise TypeError("vector_to_parameters: vec is traced by a transformation; pass plain values")
    values = np.asarray(vec)
    if values.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-D vector, got shape {values.shape}")
    sizes = [int(np.size(t.primal)) for t in tensors]
    if values.size != sum(sizes):
        raise ValueError(
            f"vector_to_parameters: the vector has {values.size} values, the parameters {sum(sizes)} (sizes {sizes})"
        )
    start = 0
    for tensor, size in zip(tensors, sizes):
        shape = np.shape(tensor.primal)
        set_values_(tensor, np.array(values[start : start + size]).reshape(shape), "vector_to_parameters")
        start += size


__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]  # noqa: F822 (PEP 562)
