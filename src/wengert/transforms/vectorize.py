"""``vmap``: map a function over an axis of its inputs with one pass of batched primitives."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import BatchTrace, BatchTracer, Tracer, next_level, running, tree_flatten, tree_unflatten
from ..core.pytree import TreeDef
from ._validate import NATIVE_LEAVES, convert_foreign, describe, leaf_paths, short_repr, type_name


def _is_axis(spec: Any) -> bool:
    return spec is None or (isinstance(spec, (int, np.integer)) and not isinstance(spec, (bool, np.bool_)))


def _check_spec(spec: Any, name: str, path: str = "") -> None:
    """``in_axes``/``out_axes`` hold ints, None, and tuples, lists or dicts of them."""
    if _is_axis(spec):
        return
    if isinstance(spec, (tuple, list)):
        for index, sub in enumerate(spec):
            _check_spec(sub, name, f"{path}[{index}]")
        return
    if isinstance(spec, dict):
        for key, sub in spec.items():
            _check_spec(sub, name, f"{path}[{key!r}]")
        return
    raise TypeError(
        f"vmap: {name}{path} is {short_repr(spec)} ({type_name(spec)}); {name} must be an int (an axis), None "
        "(not mapped), or a tuple, list or dict of them that matches the structure of the "
        + ("arguments" if name == "in_axes" else "outputs")
    )


def _axes_for(axes: Any, tree: Any, name: str, what: str, path: tuple = ()) -> list:
    """One axis (or None) per leaf of ``tree``: ``axes`` is an int, None, or a prefix of ``tree``'s structure.

    As in JAX, an int or None stands for every leaf of the subtree it sits over.
    ``name`` and ``what`` name ``axes`` and ``tree`` in messages (``in_axes``,
    ``argument``); ``path`` is where both sit (formatted only for an error).
    """
    if _is_axis(axes):
        count = 1 if isinstance(tree, _LEAVES) else len(tree_flatten(tree)[0])
        return [None if axes is None else int(axes)] * count
    if isinstance(axes, dict):
        if not isinstance(tree, dict):
            raise ValueError(
                f"vmap: {_place(name, path)} is a dict, but {_place(what, path)} is {_kind(tree)}; "
                f"{_place(name, path)} must match its structure (or be one int or None for all of it)"
            )
        if set(axes) != set(tree):
            raise ValueError(
                f"vmap: {_place(name, path)} has keys {sorted(map(repr, axes))} but {_place(what, path)} has keys "
                f"{sorted(map(repr, tree))}"
            )
        return [axis for key in sorted(tree) for axis in _axes_for(axes[key], tree[key], name, what, (*path, key))]
    if not isinstance(tree, (tuple, list)):
        raise ValueError(
            f"vmap: {_place(name, path)}={short_repr(axes)} is a {type(axes).__name__} of {_entries(len(axes))}, "
            f"but {_place(what, path)} is {_kind(tree)}; {_place(name, path)} must match its structure (or be one "
            "int or None for all of it)"
        )
    if len(axes) != len(tree):
        raise ValueError(
            f"vmap: {_place(name, path)}={short_repr(axes)} has {_entries(len(axes))} but {_place(what, path)} is "
            f"{_kind(tree)}; give one entry (an int, None, or a matching tuple/dict) per element"
        )
    return [
        axis
        for index, (sub_axes, sub_tree) in enumerate(zip(axes, tree))
        for axis in _axes_for(sub_axes, sub_tree, name, what, (*path, index))
    ]


_LEAVES = (np.ndarray, float, int, np.generic, Tracer)


def _place(base: str, path: tuple) -> str:
    """``in_axes[0]['w']``; ``argument 0['w']`` (an argument's position is its name)."""
    if base == "argument":
        return f"argument {path[0]}" + "".join(f"[{key!r}]" for key in path[1:]) if path else "the arguments"
    return base + "".join(f"[{key!r}]" for key in path)


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def _kind(tree: Any) -> str:
    if isinstance(tree, (tuple, list, dict)):
        return f"a {type(tree).__name__} of {_entries(len(tree))}"
    return f"a leaf ({describe(tree)})" if not isinstance(tree, (float, int)) else f"a leaf ({tree!r})"


def _top_level_axes(in_axes: Any, args: tuple) -> list:
    """``in_axes`` for a call's arguments: an int or None for all of them, or one entry per argument."""
    if isinstance(in_axes, (tuple, list)) and len(in_axes) != len(args):
        raise ValueError(
            f"vmap: in_axes={short_repr(in_axes)} has {_entries(len(in_axes))} but the function was called with "
            f"{len(args)} positional argument{'' if len(args) == 1 else 's'}; in_axes is an int, None, or a tuple "
            "with one entry per argument"
        )
    if isinstance(in_axes, dict):
        raise ValueError(
            f"vmap: in_axes={short_repr(in_axes)} is a dict; at the top level in_axes is an int, None, or a tuple "
            "with one entry per positional argument (a dict may stand for a dict argument: in_axes=({...},))"
        )
    if _is_axis(in_axes):
        return _axes_for(in_axes, args, "in_axes", "argument")
    axes: list = []
    for index, (sub_axes, arg) in enumerate(zip(in_axes, args)):
        if (sub_axes is None or type(sub_axes) is int) and isinstance(arg, _LEAVES):
            axes.append(sub_axes)  # the common case: one axis for one array
        else:
            axes.extend(_axes_for(sub_axes, arg, "in_axes", "argument", (index,)))
    return axes


def _batched_leaf(leaf: Any, axis: int, treedef: TreeDef, index: int) -> tuple[Any, int]:
    """A batched argument leaf as an array (foreign arrays converted), and its axis counted from the front."""
    if not isinstance(leaf, NATIVE_LEAVES):
        leaf = convert_foreign(leaf, lambda: f"vmap: {_argument_location(treedef, index)}")
    elif type(leaf) is np.ndarray and leaf.dtype.kind not in "biufc":
        raise TypeError(
            f"vmap: {_argument_location(treedef, index)} is an array of dtype {leaf.dtype}; vmap maps arrays of numbers"
        )
    shape = wnp.shape(leaf)
    rank = len(shape)
    if 0 <= axis < rank:
        return leaf, axis
    if not -rank <= axis < 0:
        allowed = f"{-rank}..{rank - 1}" if rank else "none: it cannot be mapped (use in_axes=None for it)"
        raise ValueError(
            f"vmap: in_axes asks to map {_argument_location(treedef, index)} along axis {axis}, but it has rank "
            f"{rank} (shape {tuple(shape)}); possible axes: {allowed}"
        )
    return leaf, axis + rank


def _argument_location(treedef: TreeDef, index: int) -> str:
    """``argument 1['w']`` for leaf ``index`` of the arguments' tuple."""
    first, _, rest = leaf_paths(treedef)[index][1:].partition("]")
    return f"argument {first}{rest}"


def _output_location(treedef: TreeDef, index: int) -> str:
    return f"the output{leaf_paths(treedef)[index]}"


def _size_report(sizes: list[tuple[int, int, str]]) -> str:
    """``argument 0 has size 2 along axis 0; argument 1 has size 3 along axis 0``, most common size first."""
    counts: dict[int, int] = {}
    for size, _, _ in sizes:
        counts[size] = counts.get(size, 0) + 1
    parts = []
    for size in sorted(counts, key=lambda s: -counts[s]):
        examples = [(axis, where) for s, axis, where in sizes if s == size]
        axis, where = examples[0]
        if len(examples) == 1:
            parts.append(f"{where} has size {size} along axis {axis}")
        else:
            parts.append(f"{len(examples)} axes have size {size} (for example {where}, axis {axis})")
    return "; ".join(parts)


def vmap(function: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0) -> Callable[..., Any]:
    """Vectorise ``function`` over axis ``in_axes`` of its arguments (JAX's ``vmap``).

    Arguments with axis ``None`` are shared by every example. The function
    runs once, on batch tracers; each primitive computes the whole batch.
    Axes may be negative (counted from the end), as in JAX. Batched arguments
    that are foreign arrays (torch, JAX, pandas: anything with ``__array__``
    giving numbers) are converted with ``np.asarray``.

    Example:
        >>> import wengert.numpy as wnp
        >>> vmap(lambda row: wnp.sum(row ** 2))(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([ 5., 25.])
    """
    _check_spec(in_axes, "in_axes")
    _check_spec(out_axes, "out_axes")

    @wraps(function)
    def batched_function(*args: Any) -> Any:
        leaves, treedef = tree_flatten(args)
        simple = in_axes is None or type(in_axes) is int
        axes = [in_axes] * len(leaves) if simple else _top_level_axes(in_axes, args)
        sizes = []
        for index, (leaf, axis) in enumerate(zip(leaves, axes)):
            if axis is None:
                continue
            leaf, axis = _batched_leaf(leaf, axis, treedef, index)
            leaves[index], axes[index] = leaf, axis
            sizes.append((wnp.shape(leaf)[axis], axis, index))
        if not sizes:
            raise ValueError(
                "vmap needs at least one argument with a batch axis (in_axes not all None)"
                + ("" if leaves else "; the function was called without array arguments")
            )
        distinct = {size for size, _, _ in sizes}
        if len(distinct) > 1:
            report = _size_report([(size, axis, _argument_location(treedef, index)) for size, axis, index in sizes])
            raise ValueError(
                "vmap got inconsistent sizes for the array axes to be mapped (different batch sizes "
                f"{sorted(distinct)}): {report}"
            )
        (size,) = distinct
        trace = BatchTrace(next_level(), size)
        trace.name = "vmap"
        with running(trace):
            inputs = [
                leaf if axis is None else BatchTracer(wnp.moveaxis(_as_array(leaf), axis, 0), trace)
                for leaf, axis in zip(leaves, axes)
            ]
            out = function(*tree_unflatten(treedef, inputs))
        out_leaves, out_tree = tree_flatten(out)
        if isinstance(out_axes, (tuple, list, dict)) and not isinstance(out, (tuple, list, dict)):
            raise ValueError(
                f"vmap: out_axes={short_repr(out_axes)} is a {type(out_axes).__name__}, but the function returned "
                f"{_kind(out)}; out_axes must match the structure of the outputs (or be one int or None)"
            )
        if out_axes is None or type(out_axes) is int:
            out_axis_list = [out_axes] * len(out_leaves)
        else:
            out_axis_list = _axes_for(out_axes, out, "out_axes", "the output")
        results = []
        for index, (leaf, axis) in enumerate(zip(out_leaves, out_axis_list)):
            varies = isinstance(leaf, BatchTracer) and leaf._trace is trace
            if axis is None:
                if varies:
                    raise ValueError(
                        f"vmap: out_axes=None is only possible for outputs that do not vary, but "
                        f"{_output_location(out_tree, index)} varies along the batch; give it an axis (for example 0)"
                    )
                results.append(leaf)
                continue
            value = leaf.primal if varies else wnp.broadcast_to(leaf, (size, *wnp.shape(leaf)))
            rank = len(wnp.shape(value))
            if not -rank <= axis < rank:
                raise ValueError(
                    f"vmap: out_axes asks to put the batch axis of {_output_location(out_tree, index)} at axis "
                    f"{axis}, but that output has "
                    f"rank {rank} with its batch axis (example shape {tuple(wnp.shape(value))[1:]}); possible "
                    f"axes: {-rank}..{rank - 1}"
                )
            if axis < 0:
                axis += rank
            results.append(value if axis == 0 else wnp.moveaxis(value, 0, axis))
        return tree_unflatten(out_tree, results)

    return batched_function


def _as_array(value: Any) -> Any:
    if isinstance(value, (list, tuple, float, int)):
        return np.asarray(value)
    return value
