"""Layers and containers: `Linear`, `Sequential`, `ModuleList` and the multilayer perceptron `MLP`.

Weight layout: a `Linear` layer's weight has shape ``(out_features, in_features)``,
PyTorch's, and the layer computes ``x @ weight.T + bias`` (one matrix product
that reads the weight transposed, no copy). A PyTorch model's ``state_dict()``
loads as it is: ``model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})``.

Example:
    >>> import numpy as np
    >>> import wengert as wg
    >>> model = MLP([2, 16, 1], activation="tanh", seed=0)
    >>> x = np.random.default_rng(1).standard_normal((8, 2))
    >>> loss = (model(x) ** 2).mean()
    >>> loss.backward()
    >>> model.layers[0].weight.grad.shape
    (16, 2)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import Tracer, primal_value
from ..dtypes import as_dtype, get_default_dtype
from ..numpy.products import matmul_nt
from ._checks import check_device, positive_int
from .activations import get_activation
from .init import linear_init, make_rng
from .module import Module, Parameter, set_values_


def float_dtype(dtype: Any, owner: str) -> np.dtype:
    """``dtype`` (NumPy's, its name, or a ``torch.dtype``) as a NumPy floating dtype, or an error naming ``owner``."""
    try:
        resolved = as_dtype(dtype, owner)
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
    """A dense layer ``y = x @ weight.T + bias``, ``weight`` of shape ``(out_features, in_features)`` as in PyTorch.

    ``init`` names how the parameters start: ``"pytorch"`` (the default:
    PyTorch's ``nn.Linear``, weight ``kaiming_uniform(a=√5)`` — uniform on
    ±1/√in_features — and bias uniform on ±1/√in_features), or
    ``"glorot_normal"``, ``"glorot_uniform"``, ``"kaiming_normal"``,
    ``"kaiming_uniform"`` (fan-in ``in_features``; zero bias). A callable
    ``init(shape, rng, dtype)`` is asked for the weight of shape
    ``(in_features, out_features)`` (the array initialisers' layout) and the
    layer stores its transpose. Draws come from ``rng`` (a NumPy or wengert
    Generator, or an integer seed; ``seed=`` says the same), else from the
    default generator, so ``wg.manual_seed(0)`` makes them reproducible.
    Parameters have ``dtype`` (float64 or float32; by default the default
    dtype, ``wg.get_default_dtype()``, float64 unless changed).

    Inputs that are plain arrays or lists are converted to the layer's dtype;
    a tensor or traced input of another dtype is an error (convert it
    explicitly: precision is never changed silently).

    Example:
        >>> layer = Linear(3, 2, seed=0)
        >>> layer
        Linear(in_features=3, out_features=2, bias=True)
        >>> layer.weight.shape, layer(np.ones((5, 3))).shape
        ((2, 3), (5, 2))
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Callable[..., np.ndarray] = "pytorch",
        rng: Any = None,
        dtype: Any = None,
        *,
        seed: int | None = None,
        device: Any = None,
    ) -> None:
        super().__init__()
        check_device(device, "Linear")
        self.in_features = positive_int(in_features, "Linear", "in_features")
        self.out_features = positive_int(out_features, "Linear", "out_features")
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, "Linear")
        self._init = init
        weight, bias_value = linear_init(init)(self.in_features, self.out_features, make_rng(rng, seed), dtype, bias)
        self.weight = Parameter(weight)
        if bias:
            self.bias = Parameter(bias_value)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Draw the parameters again with the layer's ``init``, from the default generator (in place)."""
        dtype = np.asarray(self.weight.primal).dtype
        weight, bias = linear_init(self._init)(
            self.in_features, self.out_features, make_rng(), dtype, self.bias is not None
        )
        set_values_(self.weight, weight, "reset_parameters")
        if self.bias is not None:
            set_values_(self.bias, bias, "reset_parameters")

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
        return affine_nt(x, weight, self.bias, len(x_shape))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def affine_nt(x: Any, weight: Any, bias: Any, x_ndim: int) -> Any:
    """``x @ weight.T + bias`` (``bias`` may be None) for a 2-D ``weight``; one product that reads it transposed.

    Example:
        >>> affine_nt(np.ones((1, 2)), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), None, 2).tolist()
        [[3.0, 7.0, 11.0]]
    """
    # matmul_nt's rules are for matrices; a vector or a batch of matrices multiplies the transposed view
    out = matmul_nt(x, weight) if x_ndim == 2 else wnp.matmul(x, wnp.transpose(weight))
    return out if bias is None else out + bias


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
        >>> len(list(blocks.parameters())), len(blocks[1:])
        (6, 2)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        _require_module(module, f"ModuleList: item {len(self._modules)}")
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add every module of ``modules`` at the end; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend expects an iterable of modules; to add one module, use append")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (the later ones are renumbered)."""
        modules = list(self)
        modules.insert(index, module)
        self._renumber(modules)

    def _position(self, index: Any) -> int:
        size = len(self._modules)
        position = int(index)
        if not -size <= position < size:
            raise IndexError(f"ModuleList index {position} is out of range for {size} modules")
        return position % size

    def _renumber(self, modules: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for module in modules:
            self.append(module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(self._position(index))]

    def __setitem__(self, index: int, module: Module) -> None:
        position = self._position(index)
        _require_module(module, f"ModuleList: item {position}")
        self.add_module(str(position), module)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self)
        del modules[index if isinstance(index, slice) else self._position(index)]
        self._renumber(modules)


class MLP(Module):
    """A multilayer perceptron: `Linear` layers of the given ``sizes`` with an activation between them.

    ``sizes = [in, hidden..., out]``. ``activation`` (a name such as "tanh",
    "relu", "sigmoid", "softplus", "sin", "gelu", a module or a function)
    follows every layer but the last; ``output_activation`` (None: identity)
    follows the last. The layers live in ``self.layers``, a `Sequential`, so
    parameter names read ``layers.0.weight``, ``layers.2.weight``, ... One
    generator (``rng`` or ``seed``; the default generator without them) draws
    every layer in turn, with ``init`` ("pytorch" by default, as `Linear`).

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
        init: str | Callable[..., np.ndarray] = "pytorch",
        rng: Any = None,
        dtype: Any = None,
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
