"""JAX's ``jax.tree_util`` over wengert's pytrees: ``tree_map``, ``tree_leaves``, ``tree_flatten``...

The trees are the ones every transformation accepts (`wengert.core.pytree`):
nested tuples, lists, dicts (in sorted key order), NamedTuples, dataclasses and
registered containers, with ``None`` an empty subtree. This module adds JAX's
spellings on top: ``is_leaf`` (stop flattening where it returns True), several
trees in ``tree_map`` (the others may hold whole subtrees where the first has a
leaf, as in JAX), ``tree_structure``, ``tree_reduce``, ``tree_all``, and
registration with JAX's signature. Structure mismatches name the path where the
trees differ.

Example:
    >>> import numpy as np
    >>> import wengert.tree_util as tu
    >>> params = {"w": np.ones(2), "b": 0.5}
    >>> tu.tree_map(lambda p, g: p - 0.1 * g, params, {"w": np.ones(2), "b": 1.0})
    {'b': 0.4, 'w': array([0.9, 0.9])}
    >>> tu.tree_leaves([1, (2, None), {"a": 3}])
    [1, 2, 3]
    >>> tu.tree_structure((1, [2, 3]))
    tuple(*, list(*, *))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from .core import pytree as _pytree
from .core.pytree import LEAF, TreeDef, tree_unflatten

__all__ = [
    "PyTreeDef",
    "TreeDef",
    "register_pytree_node",
    "register_pytree_node_class",
    "tree_all",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_reduce",
    "tree_structure",
    "tree_unflatten",
]

PyTreeDef = TreeDef  # JAX's name for a tree's structure
IsLeaf = Callable[[Any], bool] | None
Node = TypeVar("Node", bound=type)


def tree_flatten(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[Any], TreeDef]:
    """The leaves of ``tree`` in a fixed order, and its structure; ``is_leaf(node)`` True keeps ``node`` whole.

    Example:
        >>> tree_flatten({"a": [1, 2], "b": None})
        ([1, 2], dict(list(*, *), NoneType()))
        >>> tree_flatten([(1, 2), 3], is_leaf=lambda node: isinstance(node, tuple))[0]
        [(1, 2), 3]
    """
    if is_leaf is None:
        return _pytree.tree_flatten(tree)
    leaves: list[Any] = []
    return leaves, _flatten_into(tree, leaves, is_leaf)


def _flatten_into(tree: Any, leaves: list[Any], is_leaf: Callable[[Any], bool]) -> TreeDef:
    functions = None if is_leaf(tree) else _pytree._node_functions(tree)
    if functions is None:
        leaves.append(tree)
        return LEAF
    children, aux = functions[0](tree)
    return TreeDef(type(tree), aux, tuple(_flatten_into(child, leaves, is_leaf) for child in children))


def tree_leaves(tree: Any, is_leaf: IsLeaf = None) -> list[Any]:
    """The leaves of ``tree`` (``None`` holds none).

    Example:
        >>> tree_leaves({"b": (2, 3), "a": 1})
        [1, 2, 3]
    """
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: IsLeaf = None) -> TreeDef:
    """The structure of ``tree``, its leaves left out (compare two with ``==``; rebuild with `tree_unflatten`).

    Example:
        >>> tree_structure({"a": 1.0}) == tree_structure({"a": 2.0})
        True
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(function: Callable[..., Any], tree: Any, *rest: Any, is_leaf: IsLeaf = None) -> Any:
    """A tree like ``tree`` whose leaves are ``function(leaf, *matching leaves of rest)``.

    ``tree``'s structure leads: each tree of ``rest`` must have it, but may hold a
    whole subtree where ``tree`` has a leaf (that subtree is passed to ``function``).

    Example:
        >>> tree_map(lambda x, y: x + y, (1, [2, 3]), (10, [20, 30]))
        (11, [22, 33])
        >>> tree_map(lambda x, y: (x, y), [1, 2], [(3, 4), 5])
        [(1, (3, 4)), (2, 5)]
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [_flatten_up_to(treedef, other, f"tree_map: tree {number}") for number, other in enumerate(rest, 2)]
    return tree_unflatten(treedef, [function(*items) for items in zip(leaves, *others)])


def _flatten_up_to(treedef: TreeDef, tree: Any, label: str) -> list[Any]:
    """The subtrees of ``tree`` at the leaves of ``treedef`` (an error names the first place they differ)."""
    out: list[Any] = []
    _collect(treedef, tree, out, "", f"{label} does not have the first tree's structure {treedef!r}")
    return out


def _collect(treedef: TreeDef, tree: Any, out: list[Any], path: str, label: str) -> None:
    if treedef.kind is None:
        out.append(tree)
        return
    where = f"at {path}" if path else "at the root"
    functions = _pytree._node_functions(tree) if type(tree) is treedef.kind else None
    if functions is None:
        raise ValueError(
            f"{label}: {where} it has {tree!r:.60} ({type(tree).__name__}) where the first tree has a "
            f"{treedef.kind.__name__} node"
        )
    children, aux = functions[0](tree)
    children = list(children)
    if treedef.kind is dict and aux != treedef.aux:
        difference = f"the keys {list(aux)} where {list(treedef.aux)} were expected"
    elif len(children) != len(treedef.children):
        difference = f"{len(children)} children where {len(treedef.children)} were expected"
    elif aux != treedef.aux:
        difference = f"the metadata {aux!r} where {treedef.aux!r} was expected"
    else:
        for index, (child_def, child) in enumerate(zip(treedef.children, children)):
            _collect(child_def, child, out, path + _step(treedef, index), label)
        return
    raise ValueError(f"{label}: {where} its {treedef.kind.__name__} has {difference}")


def _step(treedef: TreeDef, index: int) -> str:
    """How a path names a node's child: ``['key']``, ``.field`` or ``[index]``."""
    kind = treedef.kind
    if kind is dict:
        return f"[{treedef.aux[index]!r}]"
    fields = getattr(kind, "_fields", None)
    if fields is not None:
        return f".{fields[index]}"
    if isinstance(treedef.aux, tuple) and kind not in (tuple, list) and len(treedef.aux) == len(treedef.children):
        return f".{treedef.aux[index]}"  # a dataclass: its field names
    return f"[{index}]"


_NO_INITIALIZER = object()


def tree_reduce(
    function: Callable[[Any, Any], Any], tree: Any, initializer: Any = _NO_INITIALIZER, is_leaf: IsLeaf = None
) -> Any:
    """``functools.reduce(function, leaves)``, starting from ``initializer`` when given.

    Example:
        >>> tree_reduce(lambda total, leaf: total + leaf, {"a": 1, "b": [2, 3]})
        6
    """
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIALIZER:
        if not leaves:
            raise TypeError("tree_reduce: the tree has no leaves and no initializer was given")
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, *, is_leaf: IsLeaf = None) -> bool:
    """Whether every leaf is true (True for a tree without leaves).

    Example:
        >>> tree_all([True, (1, None)]), tree_all({"a": 0})
        (True, False)
    """
    return all(tree_leaves(tree, is_leaf))


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable[Any], Hashable]],
    unflatten_func: Callable[[Hashable, Iterable[Any]], Any],
    flatten_with_keys_func: Callable[..., Any] | None = None,
) -> None:
    """Make ``nodetype`` a container: ``flatten_func(x) -> (children, aux_data)``, ``unflatten_func(aux, children)``.

    ``aux_data`` must be hashable (it is part of the structure, which is compared
    and hashed). ``flatten_with_keys_func`` is accepted for JAX compatibility and
    not used (paths here are positions).

    Example:
        >>> class Pair:
        ...     def __init__(self, first, second):
        ...         self.first, self.second = first, second
        >>> register_pytree_node(Pair, lambda p: ((p.first, p.second), None), lambda aux, kids: Pair(*kids))
        >>> tree_map(lambda x: 2 * x, Pair(1, 2)).second
        4
    """
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node: nodetype must be a class, got {nodetype!r}")
    for name, function in (("flatten_func", flatten_func), ("unflatten_func", unflatten_func)):
        if not callable(function):
            raise TypeError(f"register_pytree_node: {name} must be a function, got {function!r}")
    if nodetype in _pytree._registry:
        raise ValueError(f"register_pytree_node: {nodetype.__name__} is already registered as a pytree node")

    def flatten(node: Any) -> tuple[tuple[Any, ...], Hashable]:
        result = flatten_func(node)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                f"the flatten_func registered for {nodetype.__name__} must return (children, aux_data), "
                f"got {result!r:.80}"
            )
        children, aux = result
        try:
            hash(aux)
        except TypeError:
            raise TypeError(
                f"the flatten_func registered for {nodetype.__name__} returned unhashable aux_data {aux!r:.80}; "
                "return a hashable value (a tuple instead of a list, a frozenset instead of a set)"
            ) from None
        return tuple(children), aux

    _pytree.register_pytree_node(nodetype, flatten, unflatten_func)


def register_pytree_node_class(cls: Node) -> Node:
    """Register a class by its own methods ``tree_flatten(self)`` and classmethod ``tree_unflatten(aux, children)``.

    Example:
        >>> @register_pytree_node_class
        ... class Scaled:
        ...     def __init__(self, value, scale):
        ...         self.value, self.scale = value, scale
        ...     def tree_flatten(self):
        ...         return (self.value,), self.scale
        ...     @classmethod
        ...     def tree_unflatten(cls, scale, children):
        ...         return cls(children[0], scale)
        >>> tree_leaves(Scaled(3.0, "m"))
        [3.0]
    """
    for method in ("tree_flatten", "tree_unflatten"):
        if not callable(getattr(cls, method, None)):
            raise TypeError(f"register_pytree_node_class: {cls.__name__} has no method {method}")
    register_pytree_node(cls, lambda node: node.tree_flatten(), cls.tree_unflatten)
    return cls


def _unflatten(self: TreeDef, leaves: Iterable[Any]) -> Any:
    """A tree of this structure from ``leaves`` (JAX's ``treedef.unflatten``)."""
    return tree_unflatten(self, leaves)


def _flatten_up_to_method(self: TreeDef, tree: Any) -> list[Any]:
    """The subtrees of ``tree`` at this structure's leaves (JAX's ``treedef.flatten_up_to``)."""
    return _flatten_up_to(self, tree, "flatten_up_to: the tree")


# JAX's methods of a structure, installed from here as wengert.numpy installs the array interface on tracers
# (the core stays small).
TreeDef.unflatten = _unflatten
TreeDef.flatten_up_to = _flatten_up_to_method
