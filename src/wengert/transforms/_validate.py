"""Checking what users hand to the transformations: argnums, leaves of pytrees, tangents.

Every check raises an error that names the transformation, the argument (with
its path inside a pytree: ``argument 0['w'][1]``), the value it got and what
it expected. The checks run once per call at the transformation's boundary,
never per primitive.

Foreign arrays. A leaf that is not a Python number, a NumPy array or scalar,
or a wengert value (tensor, tracer) is converted with ``np.asarray`` when it
has an ``__array__`` method that gives a numeric array (a ``torch.Tensor``
that does not require grad, a ``jax.Array``, a pandas ``Series`` or
``DataFrame``...): the transformation then works on, and returns, NumPy
arrays. Anything else (strings, arbitrary objects) is refused.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..core.pytree import TreeDef
from ..numpy._primitives import dtype as wnp_dtype
from ..numpy._primitives import shape as wnp_shape

# Leaves taken as they are: numbers, NumPy values, wengert values.
NATIVE_LEAVES = (float, int, complex, np.ndarray, np.generic, Tracer)


def type_name(value: Any) -> str:
    """``numpy.ndarray``, ``torch.Tensor``, ``str``: the qualified name of a value's type."""
    kind = type(value)
    module = kind.__module__
    if module == "builtins":
        return kind.__qualname__
    return f"{module.split('.')[0]}.{kind.__qualname__}"


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` on one line, cut to ``limit`` characters."""
    try:
        text = " ".join(repr(value).split())
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type_name(value)} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def a_or_an(word: str) -> str:
    """``a str``, ``an object``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def describe(value: Any) -> str:
    """``a float64[2,3] array`` for array-like values, ``a str ('a')`` for anything else."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{a_or_an(type_name(value))} of shape {tuple(shape)} and dtype {dtype}"
    return f"{a_or_an(type_name(value))} ({short_repr(value)})"


def tree_text(treedef: TreeDef) -> str:
    """A pytree structure with its dict keys and field names: ``(*, {'b': *, 'w': *})``.

    Example:
        >>> from wengert.core import tree_flatten
        >>> tree_text(tree_flatten((1.0, {"w": 2.0, "b": [3.0, 4.0]}))[1])
        "(*, {'b': [*, *], 'w': *})"
    """
    if treedef.kind is None:
        return "*"
    kind, children = treedef.kind, treedef.children
    inner = [tree_text(child) for child in children]
    if kind is tuple:
        return f"({inner[0]},)" if len(inner) == 1 else f"({', '.join(inner)})"
    if kind is list:
        return f"[{', '.join(inner)}]"
    if kind is dict:
        return "{" + ", ".join(f"{key!r}: {text}" for key, text in zip(treedef.aux, inner)) + "}"
    if kind is type(None):
        return "None"
    fields = getattr(kind, "_fields", None) or (treedef.aux if isinstance(treedef.aux, tuple) else None)
    if fields and len(fields) == len(inner) and all(isinstance(f, str) for f in fields):
        return f"{kind.__name__}(" + ", ".join(f"{f}={text}" for f, text in zip(fields, inner)) + ")"
    return f"{kind.__name__}({', '.join(inner)})"


# -- argnums ------------------------------------------------------------------------------------


def _as_index(value: Any, name: str, argnums: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name}: argnums={argnums!r} contains the bool {value!r}; argnums are ints (argument positions)"
        )
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name}: argnums must be an int or a tuple of ints (argument positions), "
            f"got {short_repr(argnums)} ({type_name(value)})"
        ) from None


def check_argnums_type(argnums: Any, name: str) -> tuple[tuple[int, ...], bool]:
    """The argnums as a tuple of ints, and whether a single int was given; checks types only.

    Example:
        >>> check_argnums_type((0, 2), "grad")
        ((0, 2), False)
    """
    if isinstance(argnums, (tuple, list)):
        if not argnums:
            raise ValueError(f"{name}: argnums=() selects no argument; give at least one argument position")
        return tuple(_as_index(n, name, argnums) for n in argnums), False
    return (_as_index(argnums, name, argnums),), True


def normalize_argnums(argnums: tuple[int, ...], count: int, name: str, given: Any) -> tuple[int, ...]:
    """Non-negative argument positions for a call with ``count`` positional arguments (negative count from the end).

    Example:
        >>> normalize_argnums((-1,), 2, "grad", -1)
        (1,)
    """
    for n in argnums:
        if not -count <= n < count:
            plural = "" if count == 1 else "s"
            allowed = f"0..{count - 1} (or -{count}..-1 counting from the end)" if count else "none"
            raise ValueError(
                f"{name}: argnums {n} is out of range for a function called with {count} positional "
                f"argument{plural}: argnums={given!r}, possible positions {allowed}"
            )
    normalized = tuple(n % count for n in argnums)
    if len(set(normalized)) != len(normalized):
        raise ValueError(
            f"{name}: argnums={given!r} names the same argument more than once "
            f"(positions {list(normalized)} for {count} arguments); each argument may be listed once"
        )
    return normalized


def check_chunk_size(chunk_size: Any, name: str) -> int | None:
    """``chunk_size`` of the Jacobians: None (all basis vectors at once) or a positive int.

    Example:
        >>> check_chunk_size(None, "jacfwd") is None
        True
    """
    if chunk_size is None:
        return None
    if isinstance(chunk_size, (bool, np.bool_)) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(
            f"{name}: chunk_size must be None (all basis vectors at once) or a positive int, got "
            f"{short_repr(chunk_size)} ({type_name(chunk_size)})"
        )
    return int(chunk_size)


# -- paths inside pytrees ----------------------------------------------------------------------


def leaf_paths(treedef: TreeDef) -> list[str]:
    """One path per leaf, in ``tree_flatten`` order: ``[0]['w']``, ``[1].bias``...

    Example:
        >>> from wengert.core import tree_flatten
        >>> leaf_paths(tree_flatten(({"w": 1.0, "b": 2.0}, 3.0))[1])
        ["[0]['b']", "[0]['w']", '[1]']
    """
    paths: list[str] = []
    _collect_paths(treedef, "", paths)
    return paths


def _collect_paths(treedef: TreeDef, prefix: str, paths: list[str]) -> None:
    if treedef.kind is None:
        paths.append(prefix)
        return
    kind, aux = treedef.kind, treedef.aux
    if kind is dict:
        labels = [f"[{key!r}]" for key in aux]
    elif hasattr(kind, "_fields"):
        labels = [f".{field}" for field in kind._fields]
    elif isinstance(aux, tuple) and len(aux) == len(treedef.children) and all(isinstance(a, str) for a in aux):
        labels = [f".{field}" for field in aux]  # a dataclass: its field names
    else:
        labels = [f"[{index}]" for index in range(len(treedef.children))]
    for label, child in zip(labels, treedef.children):
        _collect_paths(child, prefix + label, paths)


def argument_location(treedef: TreeDef, index: int, positions: Sequence[int] | None = None) -> str:
    """``argument 1['w']``: where leaf ``index`` of a tuple of arguments sits (``positions`` renumbers them).

    Example:
        >>> from wengert.core import tree_flatten
        >>> argument_location(tree_flatten((1.0, {"w": 2.0}))[1], 1)
        "argument 1['w']"
    """
    path = leaf_paths(treedef)[index]
    first, _, rest = path[1:].partition("]")
    position = int(first)
    if positions is not None:
        position = positions[position]
    return f"argument {position}{rest}"


# -- leaves -------------------------------------------------------------------------------------


def _is_torch_tensor_requiring_grad(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and bool(getattr(value, "requires_grad", False))


def convert_foreign(value: Any, where: str | Callable[[], str]) -> Any:
    """A leaf that is not a number, NumPy value or wengert value: converted with ``np.asarray``, or refused.

    ``where`` names the leaf for the error message (``"grad: argument 0"``),
    or is a function returning that name (built only when needed).

    Example:
        >>> class Column:
        ...     def __array__(self, dtype=None, copy=None):
        ...         return np.array([1.0, 2.0])
        >>> convert_foreign(Column(), "grad: argument 0")
        array([1., 2.])
    """
    if isinstance(value, NATIVE_LEAVES):
        return value
    label = where() if callable(where) else where
    if _is_torch_tensor_requiring_grad(value):
        raise TypeError(
            f"{label} is a torch.Tensor that requires grad ({describe_torch(value)}); wengert does not "
            "differentiate through PyTorch: pass a NumPy array: t.detach().numpy()"
        )
    if isinstance(value, (str, bytes)) or not hasattr(value, "__array__"):
        raise TypeError(
            f"{label} is {describe(value)}; expected a NumPy array or a Python number (or a tuple, list, "
            "dict or dataclass of them). Convert array-like data with np.asarray(...) first"
        )
    try:
        array = np.asarray(value)
    except Exception as error:
        raise TypeError(
            f"{label} is {a_or_an(type_name(value))} that np.asarray could not convert ({error}); pass a NumPy array"
        ) from None
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"{label} is {a_or_an(type_name(value))} whose values have dtype {array.dtype} (not numbers); "
            "pass a NumPy array of numbers"
        )
    return array


def describe_torch(value: Any) -> str:
    """``shape (2,), torch.float32`` for a torch tensor (without importing torch)."""
    return f"shape {tuple(getattr(value, 'shape', ()))}, {getattr(value, 'dtype', '?')}"


# -- tangents -----------------------------------------------------------------------------------


def match_tangents(
    name: str,
    primals: list,
    primal_tree: TreeDef,
    tangents: list,
    tangent_tree: TreeDef,
    what: str = "tangent",
    of: str = "primal",
    check_shapes: bool = True,
) -> list:
    """The tangents checked against their primals: structure, then each leaf's shape and dtype.

    A tangent takes its primal's floating dtype: Python numbers (which carry
    no dtype of their own, as in NumPy's promotion rules), integer arrays and
    floating arrays of another precision are converted; boolean, complex and
    non-numeric values are refused. Returns the tangent leaves, converted where needed. ``what`` and
    ``of`` name the two sides in messages (a cotangent and its output).
    """
    if primal_tree != tangent_tree:
        raise ValueError(
            f"{name}: the {of}s and the {what}s have different structures: {of}s {tree_text(primal_tree)}, "
            f"{what}s {tree_text(tangent_tree)}; give one {what} of the same shape and dtype per {of} leaf"
        )
    out = []
    for index, (primal, tangent) in enumerate(zip(primals, tangents)):

        def where(index: int = index) -> str:
            path = leaf_paths(primal_tree)[index]
            inside = "" if path == f"[{index}]" or not path else f" ({of}s{path})"
            return f"{name}: {what} {index}{inside}"

        tangent = convert_foreign(tangent, where)
        if check_shapes:
            primal_shape, tangent_shape = tuple(wnp_shape(primal)), tuple(wnp_shape(tangent))
            if primal_shape != tangent_shape:
                raise ValueError(
                    f"{where()} has shape {tangent_shape} but its {of} has shape {primal_shape}; "
                    f"a {what} has its {of}'s shape"
                )
        primal_dtype = wnp_dtype(primal)
        kind = type(tangent)
        if kind is float or kind is int:
            if primal_dtype.kind == "f" and (primal_dtype != np.float64 or kind is int):
                tangent = np.asarray(tangent, dtype=primal_dtype)
            if type(primal) is float and not isinstance(tangent, float):
                tangent = float(tangent)
        else:
            tangent_dtype = wnp_dtype(tangent)
            if tangent_dtype != primal_dtype:
                if tangent_dtype.kind not in "iuf" or primal_dtype.kind != "f":
                    raise TypeError(
                        f"{where()} has dtype {tangent_dtype} but its {of} has dtype {primal_dtype}; a {what} "
                        f"has its {of}'s floating dtype (give real numbers: t.astype(np.{primal_dtype}))"
                    )
                tangent = wnp.astype(tangent, primal_dtype)
        out.append(tangent)
    return out
