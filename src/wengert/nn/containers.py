"""PyTorch's dict and list containers: `ModuleDict`, `ParameterList`, `ParameterDict`.

Their entries are registered as the container's submodules or parameters, so
``parameters()``, ``state_dict()``, ``load_state_dict()``, ``to()`` and
`functional_call` see them under dotted names (``"heads.left.weight"``,
``"scales.0"``). (`Sequential` and `ModuleList` live in `wengert.nn.layers`.)

Example:
    >>> import numpy as np
    >>> from wengert.nn import Linear, Module
    >>> class Heads(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.heads = ModuleDict({"left": Linear(2, 1, seed=0), "right": Linear(2, 1, seed=1)})
    ...         self.scales = ParameterList([np.ones(1), np.full(1, 2.0)])
    ...     def forward(self, x):
    ...         return [head(x) * scale for head, scale in zip(self.heads.values(), self.scales)]
    >>> list(Heads().state_dict())
    ['heads.left.weight', 'heads.left.bias', 'heads.right.weight', 'heads.right.bias', 'scales.0', 'scales.1']
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from .layers import _require_module
from .module import Module, Parameter


def _entries(values: Any, owner: str) -> list[tuple[str, Any]]:
    """``(key, value)`` pairs from a mapping or an iterable of pairs, in their order."""
    if values is None:
        return []
    if isinstance(values, (Mapping, ModuleDict, ParameterDict)):
        return list(values.items())
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{owner}: expected a dict or an iterable of (key, value) pairs, got {type(values).__name__}")
    pairs = []
    for index, item in enumerate(values):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"{owner}: item {index} of the iterable is not a (key, value) pair: {item!r}")
        pairs.append((item[0], item[1]))
    return pairs


def _as_parameter(value: Any, where: str) -> Parameter:
    """A `Parameter` from a Parameter (kept), a tensor or a NumPy array (made into one, as PyTorch does tensors)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value.detach())
    if isinstance(value, np.ndarray):
        return Parameter(value)
    raise TypeError(f"{where}: expected a Parameter, a tensor or a NumPy array, got {type(value).__name__}")


def _key(container: Module, key: Any, owner: str) -> str:
    """A key checked as PyTorch checks it: a string that is not already an attribute (a method) of the container."""
    if not isinstance(key, str):
        raise TypeError(f"{owner}: keys must be strings, got {key!r} ({type(key).__name__})")
    if hasattr(type(container), key):
        raise KeyError(
            f"{owner}: attribute {key!r} already exists (a method of {type(container).__name__}); use another key"
        )
    return key


# Registered values also live in the container's __dict__, where `functional_call` swaps in the values
# it is given: the lists and dicts of parameters read their entries from there.


class _Keyed(Module):
    """The dict protocol of ModuleDict and ParameterDict over their registry (``_modules`` or
    ``_parameters``, named by ``_registry``); each reads an entry with its own ``__getitem__``."""

    _registry = ""

    def _keys(self) -> dict:
        return self.__dict__[self._registry]

    def __delitem__(self, key: str) -> None:
        self[key]  # a clear KeyError for a missing key
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys())

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __contains__(self, key: object) -> bool:
        return key in self._keys()

    def keys(self) -> Iterable[str]:
        return self._keys().keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return [(key, self[key]) for key in self._keys()]

    def values(self) -> Iterable[Any]:
        return [self[key] for key in self._keys()]

    def pop(self, key: str) -> Any:
        """Remove and return the entry under ``key``."""
        entry = self[key]
        del self[key]
        return entry

    def clear(self) -> None:
        for key in list(self._keys()):
            del self[key]

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> None:
        """Add (or replace) the entries of a mapping or of an iterable of ``(key, value)`` pairs."""
        for key, value in _entries(entries, f"{type(self).__name__}.update"):
            self[key] = value


class ModuleDict(_Keyed):
    """Modules under string keys, registered as submodules; a dict in every other way (no forward).

    Example:
        >>> from wengert.nn import Linear, Tanh
        >>> layers = ModuleDict({"encode": Linear(3, 2, seed=0), "act": Tanh()})
        >>> list(layers), len(list(layers.parameters()))
        (['encode', 'act'], 2)
    """

    _registry = "_modules"

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        self.update(modules)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no module {key!r}; its keys are {list(self._modules)}") from None

    def __setitem__(self, key: str, module: Module) -> None:
        key = _key(self, key, "ModuleDict")
        _require_module(module, f"ModuleDict[{key!r}]")
        self.add_module(key, module)


class ParameterList(Module):
    """Parameters in a list, registered under the names ``"0"``, ``"1"``, ...

    Tensors and NumPy arrays given to it become `Parameter` objects (requiring grad).

    Example:
        >>> weights = ParameterList([np.zeros(2), np.ones((2, 2))])
        >>> [name for name, _ in weights.named_parameters()], weights[1].shape
        (['0', '1'], (2, 2))
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def _index(self, index: Any) -> int:
        position = operator.index(index)
        size = len(self._parameters)
        if not -size <= position < size:
            raise IndexError(f"ParameterList index {position} is out of range for {size} parameters")
        return position + size if position < 0 else position

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ParameterList(list(self)[index])
        return self.__dict__[str(self._index(index))]

    def __setitem__(self, index: int, value: Any) -> None:
        position = self._index(index)
        setattr(self, str(position), _as_parameter(value, f"ParameterList[{position}]"))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return (self.__dict__[name] for name in self._parameters)

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end; returns self."""
        position = len(self._parameters)
        setattr(self, str(position), _as_parameter(value, f"ParameterList.append (item {position})"))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add every value of ``values`` at the end; returns self."""
        if isinstance(values, (Tensor, np.ndarray)) or not isinstance(values, Iterable):
            raise TypeError(f"ParameterList.extend: expected an iterable of parameters, got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(
            f"({name}): Parameter of shape {tuple(p.shape)} ({np.asarray(p.primal).dtype})"
            for name, p in self._parameters.items()
        )

    def __repr__(self) -> str:
        body = self.extra_repr()
        return "ParameterList(" + ("\n  " + body.replace("\n", "\n  ") + "\n" if body else "") + ")"


class ParameterDict(_Keyed):
    """Parameters under string keys, registered as the container's parameters; a dict in every other way.

    Example:
        >>> rates = ParameterDict({"beta": np.array(0.3), "gamma": np.array(0.1)})
        >>> sorted(rates.state_dict()), rates["beta"].requires_grad
        (['beta', 'gamma'], True)
    """

    _registry = "_parameters"

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        if key not in self._parameters:
            raise KeyError(f"ParameterDict has no parameter {key!r}; its keys are {list(self._parameters)}")
        return self.__dict__[key]

    def __setitem__(self, key: str, value: Any) -> None:
        key = _key(self, key, "ParameterDict")
        self.register_parameter(key, _as_parameter(value, f"ParameterDict[{key!r}]"))

    def get(self, key: str, default: Any = None) -> Any:
        return self.__dict__[key] if key in self._parameters else default

    def extra_repr(self) -> str:
        return "\n".join(
            f"({name}): Parameter of shape {tuple(p.shape)} ({np.asarray(p.primal).dtype})"
            for name, p in self._parameters.items()
        )

    def __repr__(self) -> str:
        body = self.extra_repr()
        return "ParameterDict(" + ("\n  " + body.replace("\n", "\n  ") + "\n" if body else "") + ")"


__all__ = ["ModuleDict", "ParameterDict", "ParameterList"]
