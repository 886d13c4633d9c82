"""What the recorded graph behind a tensor keeps alive: the memory a backward pass will need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core import Tracer


def _base_array(value: Any) -> np.ndarray | None:
    while isinstance(value, Tracer):
        value = value.primal
    if not isinstance(value, np.ndarray):
        return None
    while isinstance(value.base, np.ndarray):
        value = value.base
    return value


def tape_nbytes(output: Any, exclude: Iterable[Any] = ()) -> int:
    """The bytes of the distinct arrays held by the recorded graph behind the tensor ``output``.

    Walks the nodes reachable from ``output`` and adds up the arrays their VJP
    rules will read (saved arguments and results), counting views once by
    their base array. Arrays in ``exclude`` — typically the parameters, which
    stay alive anyway — are left out. This is what checkpointing reduces.

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> w = wg.tensor(np.ones((100, 100)), requires_grad=True)
        >>> h = wnp.tanh(w @ np.ones(100))
        >>> tape_nbytes(h, exclude=[w])  # matmul keeps its input, tanh its output: two 100-vectors
        1600
    """
    node = getattr(output, "_node", None)
    if node is None:
        return 0
    excluded = {id(array) for array in map(_base_array, exclude) if array is not None}
    arrays: dict[int, int] = {}
    seen: set[int] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.parents)
        for value in (*(node.args or ()), node.ans):
            array = _base_array(value)
            if array is not None and id(array) not in excluded:
                arrays[id(array)] = array.nbytes
    return sum(arrays.values())
