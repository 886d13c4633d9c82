"""``vmap``: map a function over an axis of its inputs with one pass of batched primitives."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import BatchTrace, BatchTracer, next_level, running, tree_flatten, tree_unflatten


def _axes_for(axes: Any, tree: Any, name: str) -> list:
    """One axis (or None) per leaf of ``tree``: ``axes`` is an int, None, or a prefix of ``tree``'s structure.

    As in JAX, an int or None stands for every leaf of the subtree it sits over.
    """
    if axes is None or isinstance(axes, int):
        return [axes] * len(tree_flatten(tree)[0])
    if isinstance(axes, dict) and isinstance(tree, dict):
        if set(axes) != set(tree):
            raise ValueError(f"vmap: {name} has keys {sorted(axes)} but the argument has keys {sorted(tree)}")
        return [axis for key in sorted(tree) for axis in _axes_for(axes[key], tree[key], name)]
    if isinstance(axes, (tuple, list)) and isinstance(tree, (tuple, list)) and len(axes) == len(tree):
        return [axis for sub_axes, sub_tree in zip(axes, tree) for axis in _axes_for(sub_axes, sub_tree, name)]
    raise ValueError(f"vmap: {name}={axes!r} does not match the structure of the arguments")


def vmap(function: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0) -> Callable[..., Any]:
    """Vectorise ``function`` over axis ``in_axes`` of its arguments (JAX's ``vmap``).

    Arguments with axis ``None`` are shared by every example. The function
    runs once, on batch tracers; each primitive computes the whole batch.

    Example:
        >>> import wengert.numpy as wnp
        >>> vmap(lambda row: wnp.sum(row ** 2))(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([ 5., 25.])
    """

    @wraps(function)
    def batched_function(*args: Any) -> Any:
        leaves, treedef = tree_flatten(args)
        axes = _axes_for(in_axes if not isinstance(in_axes, list) else tuple(in_axes), args, "in_axes")
        if len(axes) != len(leaves):
            raise ValueError("vmap: in_axes does not match the structure of the arguments")
        sizes = {wnp.shape(leaf)[axis] for leaf, axis in zip(leaves, axes) if axis is not None}
        if not sizes:
            raise ValueError("vmap needs at least one argument with a batch axis (in_axes not all None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: the batched arguments have different batch sizes {sorted(sizes)}")
        (size,) = sizes
        trace = BatchTrace(next_level(), size)
        with running(trace):
            inputs = [
                leaf if axis is None else BatchTracer(wnp.moveaxis(_as_array(leaf), axis, 0), trace)
                for leaf, axis in zip(leaves, axes)
            ]
            out = function(*tree_unflatten(treedef, inputs))
        out_leaves, out_tree = tree_flatten(out)
        out_axis_list = _axes_for(out_axes, out, "out_axes")
        results = []
        for leaf, axis in zip(out_leaves, out_axis_list):
            varies = isinstance(leaf, BatchTracer) and leaf._trace is trace
            if axis is None:
                if varies:
                    raise ValueError("vmap: out_axes=None is only possible for outputs that do not vary")
                results.append(leaf)
                continue
            value = leaf.primal if varies else wnp.broadcast_to(leaf, (size, *wnp.shape(leaf)))
            results.append(value if axis == 0 else wnp.moveaxis(value, 0, axis))
        return tree_unflatten(out_tree, results)

    return batched_function


def _as_array(value: Any) -> Any:
    if isinstance(value, (list, tuple, float, int)):
        return np.asarray(value)
    return value
