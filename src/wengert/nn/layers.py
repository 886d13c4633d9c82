"""Layers and containers: `Linear`, `Sequential`, `ModuleList` and the multilayer perceptron `MLP`.

Weight layout: a `Linear` layer's weight has shape ``(in_features, out_features)``
(as in JAX/Flax, not PyTorch's ``(out, in)``), so the layer computes
``x @ weight + bias`` with no transpose per call. To load PyTorch weights,
transpose them: ``state["weight"] = torch_weight.T``.

Example:
    >>> import numpy as np
    >>> import wengert as wg
    >>> model = MLP([2, 16, 1], activation="tanh", seed=0)
    >>> x = np.random.default_rng(1).standard_normal((8, 2))
    >>> loss = (model(x) ** 2).mean()
    >>> loss.backward()
    >>> model.layers[0].weight.grad.shape
    (2, 16)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..core import Tracer, primal_value
from ..numpy.products import linear
from ._checks import positive_int
from .activations import get_activation
from .init import linear_init, make_rng
from .module import Module, Parameter


def float_dtype(dtype: Any, owner: str) -> np.dtype:
    """``dtype`` as a NumPy floating dtype (float64 or float32), or an error naming ``owner``."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind != "f":
        raise TypeError(f"{owner}: dtype must be a floating type (np.float64 or np.float32), got {dtype!r}")
    return resolved


def _require_module(value: Any, where: str) -> None:
    if isinstance(value, Module):
        return
    if isinstance(value, type) and issubclass(value, Module):
        raise TypeError(f"{where} is the class {value.__name__}, not a Module; create one: {value.__name__}()")
    hint = " (wrap a function in nn.Lambda(function))" if callable(value) else ""
    raise TypeError(f"{where} is a {type(value).__name__}, not a Module{hint}")


def _dtype_of(value: Any) -> np.dtype:
    value = primal_value(value)
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None else np.asarray(value).dtype


class Linear(Module):
    """A dense layer ``y = x @ weight + bias`` with ``weight`` of shape ``(in_features, out_features)``.

    ``init`` names how the parameters start: ``"glorot_normal"`` (the default;
    zero bias), ``"glorot_uniform"``, ``"kaiming_normal"``, ``"kaiming_uniform"``
    (zero bias) or ``"pytorch"`` (PyTorch's ``nn.Linear``: weights and bias
    uniform on ±1/√in_features); a callable ``init(shape, rng, dtype)`` draws
    the weight. ``rng`` is a NumPy ``Generator`` or an integer seed (``seed=``
    says the same). Parameters have ``dtype`` (float64 or float32).

    Inputs that are plain arrays or lists are converted to the layer's dtype;
    a tensor or traced input of another dtype is an error (convert it
    explicitly: precision is never changed silently).

    Example:
        >>> layer = Linear(3, 2, seed=0)
        >>> layer
        Linear(in_features=3, out_features=2, bias=True)
        >>> layer(np.ones((5, 3))).shape
        (5, 2)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Callable[..., np.ndarray] = "glorot_normal",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "Linear", "in_features")
        self.out_features = positive_int(out_features, "Linear", "out_features")
        dtype = float_dtype(dtype, "Linear")
        weight, bias_value = linear_init(init)(self.in_features, self.out_features, make_rng(rng, seed), dtype, bias)
        self.weight = Parameter(weight)
        if bias:
            self.bias = Parameter(bias_value)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Any:
        weight = self.weight
        dtype = weight.primal.dtype if type(weight) is Parameter else _dtype_of(weight)
        if isinstance(x, Tracer):
            x_dtype = _dtype_of(x)
            if x_dtype != dtype:
                raise TypeError(
                    f"{self!r}: the input has dtype {x_dtype} but the weights have dtype {dtype}; convert "
                    f"the input (x.astype(np.{dtype})) or the model (model.to(np.{x_dtype}))"
                )
            x_shape = x.shape
        else:
            x = np.asarray(x)
            if x.dtype != dtype:
                x = x.astype(dtype)
            x_shape = x.shape
        if not x_shape or x_shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: the input has shape {tuple(x_shape)}; its last axis must have length {self.in_features}"
            )
        bias = self.bias
        if bias is None:
            return x @ weight
        return linear(x, weight, bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after the other; the submodules are named ``"0"``, ``"1"``, ...

    Also accepts one ``OrderedDict`` of names to modules. Indexing gives a
    submodule (an integer) or a new `Sequential` of some of them (a slice).

    Example:
        >>> net = Sequential(Linear(2, 4, seed=0), get_activation("tanh"), Linear(4, 1, seed=1))
        >>> len(net), type(net[1]).__name__, len(net[:2])
        (3, 'Tanh', 2)
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(index), module) for index, module in enumerate(modules)]
        for name, module in items:
            _require_module(module, f"Sequential: item {name}")
            self.add_module(name, module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (names ``"0"``, ``"1"``, ...); it has no forward.

    Example:
        >>> blocks = ModuleList([Linear(2, 2, seed=i) for i in range(3)])
        >>> len(list(blocks.parameters()))
        6
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        _require_module(module, f"ModuleList: item {len(self._modules)}")
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]


class MLP(Module):
    """A multilayer perceptron: `Linear` layers of the given ``sizes`` with an activation between them.

    ``sizes = [in, hidden..., out]``. ``activation`` (a name such as "tanh",
    "relu", "sigmoid", "softplus", "sin", "gelu", a module or a function)
    follows every layer but the last; ``output_activation`` (None: identity)
    follows the last. The layers live in ``self.layers``, a `Sequential`, so
    parameter names read ``layers.0.weight``, ``layers.2.weight``, ... One
    generator (``rng`` or ``seed``) draws every layer in turn.

    Example:
        >>> model = MLP([2, 8, 8, 1], activation="tanh", seed=0)
        >>> model.num_parameters()
        105
        >>> [name for name, _ in model.named_parameters()][:2]
        ['layers.0.weight', 'layers.0.bias']
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: Any = "tanh",
        output_activation: Any = None,
        init: str | Callable[..., np.ndarray] = "glorot_normal",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
        bias: bool = True,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
            raise TypeError(
                f"MLP: sizes must be a list of layer widths [in, hidden..., out], got {sizes!r} "
                f"({type(sizes).__name__})"
            )
        sizes = [positive_int(n, "MLP", f"sizes[{index}]") for index, n in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes must list at least the input and output widths, got {sizes}")
        generator = make_rng(rng, seed)
        layers: list[Module] = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, bias=bias, init=init, rng=generator, dtype=dtype))
            last = index == len(sizes) - 2
            if not last:
                layers.append(get_activation(activation))
            elif output_activation is not None:
                layers.append(get_activation(output_activation))
        self.sizes = sizes
        self.layers = Sequential(*layers)

    def forward(self, x: Any) -> Any:
        return self.layers(x)

    @property
    def in_features(self) -> int:
        return self.sizes[0]

    @property
    def out_features(self) -> int:
        return self.sizes[-1]


__all__ = ["MLP", "Linear", "ModuleList", "Sequential"]
