"""Pytrees: nested tuples, lists, dicts, NamedTuples and dataclasses of leaves.

Transformations accept pytrees wherever JAX does: they flatten them into a
list of leaves and a `TreeDef` that can rebuild the same structure. ``None``
is an empty subtree, as in JAX. Other container types can be registered.

Example:
    >>> leaves, treedef = tree_flatten({"w": 1.0, "b": (2.0, 3.0)})
    >>> leaves
    [2.0, 3.0, 1.0]
    >>> tree_unflatten(treedef, [x * 10 for x in leaves])
    {'b': (20.0, 30.0), 'w': 10.0}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from typing import Any

Flatten = Callable[[Any], tuple[Iterable[Any], Hashable]]
Unflatten = Callable[[Hashable, list[Any]], Any]

_registry: dict[type, tuple[Flatten, Unflatten]] = {}
_LEAF_TYPES: set[type] = {float, int, bool, complex, str}  # leaf types met so far (arrays, tracers...)


def register_pytree_node(kind: type, flatten: Flatten, unflatten: Unflatten) -> None:
    """Register a container type: ``flatten(x) -> (children, aux)``, ``unflatten(aux, children)``."""
    _registry[kind] = (flatten, unflatten)
    _LEAF_TYPES.discard(kind)


register_pytree_node(tuple, lambda x: (x, None), lambda aux, children: tuple(children))
register_pytree_node(list, lambda x: (x, None), lambda aux, children: list(children))
register_pytree_node(
    dict,
    lambda x: ([x[key] for key in sorted(x)], tuple(sorted(x))),
    lambda keys, children: dict(zip(keys, children)),
)
register_pytree_node(type(None), lambda x: ((), None), lambda aux, children: None)


class TreeDef:
    """The structure of a pytree with its leaves taken out."""

    __slots__ = ("kind", "aux", "children", "num_leaves", "_hash")

    def __init__(self, kind: type | None, aux: Hashable, children: tuple[TreeDef, ...]) -> None:
        self.kind = kind  # None marks a leaf
        self.aux = aux
        self.children = children
        self.num_leaves = 1 if kind is None else sum(child.num_leaves for child in children)
        self._hash = hash((kind, aux, children))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TreeDef)
            and self.kind is other.kind
            and self.aux == other.aux
            and self.children == other.children
        )

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        inner = ", ".join(map(repr, self.children))
        return f"{self.kind.__name__}({inner})"


LEAF = TreeDef(None, None, ())


def _node_functions(value: Any) -> tuple[Flatten, Unflatten] | None:
    kind = type(value)
    if kind in _LEAF_TYPES:
        return None
    functions = _registry.get(kind)
    if functions is not None:
        return functions
    if isinstance(value, tuple) and hasattr(kind, "_fields"):  # NamedTuple
        return (lambda x: (tuple(x), None), lambda aux, children, kind=kind: kind(*children))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = tuple(field.name for field in dataclasses.fields(value) if field.init)
        return (
            lambda x: ([getattr(x, name) for name in names], names),
            lambda aux, children, kind=kind: kind(**dict(zip(aux, children))),
        )
    if not isinstance(value, tuple):
        _LEAF_TYPES.add(kind)
    return None


def tree_flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    """The leaves of ``tree`` in a fixed order, and its structure."""
    leaves: list[Any] = []
    return leaves, _flatten_into(tree, leaves)  # the list is filled before the tuple is made


def _flatten_into(tree: Any, leaves: list[Any]) -> TreeDef:
    functions = _node_functions(tree)
    if functions is None:
        leaves.append(tree)
        return LEAF
    children, aux = functions[0](tree)
    return TreeDef(type(tree), aux, tuple(_flatten_into(child, leaves) for child in children))


def tree_unflatten(treedef: TreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves``."""
    iterator = iter(leaves)
    tree = _build(treedef, iterator)
    if next(iterator, _SENTINEL) is not _SENTINEL:
        raise ValueError(f"too many leaves for the tree structure {treedef!r}")
    return tree


_SENTINEL = object()


def _build(treedef: TreeDef, leaves: Any) -> Any:
    if treedef.kind is None:
        try:
            return next(leaves)
        except StopIteration:
            raise ValueError("too few leaves for the tree structure") from None
    children = [_build(child, leaves) for child in treedef.children]
    kind = treedef.kind
    functions = _registry.get(kind)
    if functions is not None:
        return functions[1](treedef.aux, children)
    if hasattr(kind, "_fields"):
        return kind(*children)
    return kind(**dict(zip(treedef.aux, children)))


def tree_map(function: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """Apply ``function`` to each leaf (and the matching leaves of ``rest``)."""
    leaves, treedef = tree_flatten(tree)
    others = []
    for other in rest:
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            raise ValueError(f"tree structures differ: {treedef!r} and {other_def!r}")
        others.append(other_leaves)
    return tree_unflatten(treedef, [function(*items) for items in zip(leaves, *others)])


def tree_leaves(tree: Any) -> list[Any]:
    """The leaves of ``tree``."""
    return tree_flatten(tree)[0]
