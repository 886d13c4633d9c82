"""The Wengert list of a tensor computation: ``wg.graph(y)`` over the graph recorded for ``y``.

PyTorch-style tensors record their operations on the long-lived level-0 graph
trace; ``y``'s node and its ancestors are that computation's Wengert list. The
list, tables and pictures are the same as `trace`'s; the forward table pushes
tangents through the recorded nodes with the forward interpreter, and the
backward table runs the engine's backward pass over them (it does not touch
``.grad``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core import toposort
from .wengert_list import WengertList, build_list, check_order


def graph(
    outputs: Any,
    names: Sequence[str] | Mapping[Any, str] | None = None,
    order: str = "evaluation",
) -> WengertList:
    """The Wengert list of the recorded computation of tensor ``outputs`` (one tensor or several).

    Its inputs are the leaf tensors the outputs depend on, in creation order,
    named ``x1``, ``x2``... unless ``names`` gives the names (a sequence in that
    order, or a mapping from leaf tensor to name).

    Example:
        >>> import wengert as wg
        >>> import wengert.numpy as wnp
        >>> x = wg.tensor(2.0, requires_grad=True)
        >>> y = wnp.sin(x) * x
        >>> print(graph(y, names=["x"]))
        v1 = x        = 2
        v2 = sin(v1)  = 0.909297
        v3 = v2 · v1  = 1.81859
        f  = v3
    """
    from ..tensor import Tensor

    check_order(order)
    if isinstance(outputs, Tensor):
        tensors = [outputs]
    elif isinstance(outputs, (list, tuple)):
        tensors = list(outputs)
    else:
        tensors = []
    if not tensors:
        raise TypeError(f"graph takes a tensor or a list of tensors, got {type(outputs).__name__}")
    for index, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"output {index} is a {type(tensor).__name__}, not a wengert Tensor")
        if tensor._node is None:
            raise ValueError(
                f"output {index} has no recorded graph: it does not require grad (create its inputs with "
                "requires_grad=True, and do not compute it under no_grad)"
            )
    nodes = toposort([tensor._node for tensor in tensors])
    leaves = [node for node in nodes if node.primitive is None]
    labels = _leaf_labels(leaves, names)
    values = [_leaf_value(node) for node in leaves]
    return build_list(nodes, leaves, labels, values, [tensor._node for tensor in tensors], order, "graph")


def _leaf_value(node: Any) -> Any:
    owner = node.owner() if node.owner is not None else None
    return owner.primal if owner is not None else node.ans


def _leaf_labels(leaves: list[Any], names: Sequence[str] | Mapping[Any, str] | None) -> list[str]:
    if names is None:
        return [f"x{k}" for k in range(1, len(leaves) + 1)]
    if isinstance(names, Mapping):
        by_node = {}
        for tensor, label in names.items():
            node = getattr(tensor, "_node", None)
            if node is None:
                raise ValueError(f"names: {label!r} names a tensor that is not part of the graph")
            by_node[id(node)] = label
        labels = [by_node.get(id(node), f"x{k}") for k, node in enumerate(leaves, start=1)]
    else:
        labels = [names] if isinstance(names, str) else list(names)
        if len(labels) != len(leaves):
            raise ValueError(f"names has {len(labels)} names but the graph has {len(leaves)} leaf tensors")
    if len(set(labels)) != len(labels):
        raise ValueError(f"input names must be distinct, got {labels}")
    return labels
