"""`Module` and `Parameter`: the bookkeeping of models built from layers.

A `Module` registers what is assigned to it: a `Parameter` becomes one of its
parameters, a `Module` one of its submodules. Parameters are found recursively
with dotted names (``"layers.0.weight"``), each object once however often it is
shared. ``state_dict()`` hands out copies of the values as tensors that record
nothing, and ``load_state_dict()`` copies tensors or NumPy arrays back in,
checking names and shapes.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> model(np.ones((4, 2))).shape
    (4, 1)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core import Tracer
from ..dtypes import get_default_dtype
from ..tensor import TAPE, Tensor, from_numpy
from ._checks import check_device


class Parameter(Tensor):
    """A tensor that a `Module` registers as one of its parameters (a leaf, requiring grad by default).

    The data are copied into a new array of floating dtype: ``dtype``, else
    the data's own floating dtype (an array's, a tensor's), else the default
    dtype (``wg.get_default_dtype()``, float64 unless changed) for Python
    numbers and integers.

    Example:
        >>> w = Parameter(np.zeros((2, 3)))
        >>> w.requires_grad, w.is_leaf, w.shape
        (True, True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.primal
        if isinstance(data, Tracer):
            raise TypeError(
                "Parameter(): the data is a value traced by a transformation; a parameter must hold "
                "plain numbers (pass primal values, or use nn.functional_call to run a model on traced values)"
            )
        try:
            array = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Parameter(): the data ({_shown(data)}) cannot be made an array of numbers: {error}"
            ) from None
        if dtype is None and (array.dtype.kind in "biu" or (array.dtype == np.float64 and _python_numbers(data))):
            array = array.astype(get_default_dtype())  # float64 unless wg.set_default_dtype says otherwise
        if array.dtype.kind != "f":
            what = "complex numbers (not supported yet)" if array.dtype.kind == "c" else f"dtype {array.dtype}"
            raise TypeError(
                f"Parameter(): the data ({_shown(data)}) has {what}; a parameter holds floating-point "
                "numbers (float64 or float32)"
            )
        super().__init__(array, TAPE, None)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    # A copied tensor must get a graph node of its own: copying the node would leave it pointing at the
    # original tensor, and the copy's gradients would go nowhere. (Hence also: a model can be pickled.)
    def __reduce__(self) -> tuple:
        return (_rebuild_parameter, (np.asarray(self.primal), self.requires_grad))

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        copied = Parameter(self.primal, self.requires_grad)
        memo[id(self)] = copied
        return copied


def _python_numbers(data: Any) -> bool:
    """Whether ``data`` holds Python numbers (a float, a list of them...) rather than a NumPy array or scalar."""
    return not isinstance(data, (np.ndarray, np.generic))


def _shown(value: Any) -> str:
    text = " ".join(repr(value).split())
    return (text if len(text) <= 60 else text[:57] + "...") + f" of type {type(value).__name__}"


def _check_name(name: Any, what: str) -> None:
    """Names of parameters, buffers and submodules: non-empty strings without dots (dots join the paths)."""
    if not isinstance(name, str):
        raise TypeError(f"{what} name must be a str, got {name!r} ({type(name).__name__})")
    if not name or "." in name:
        raise KeyError(f"{what} name must be a non-empty string without '.', got {name!r}")


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


def set_values_(tensor: Tensor, value: np.ndarray, operation: str) -> None:
    """Give ``tensor`` the array ``value`` (same shape and dtype), outside any recorded graph.

    The tensor gets the new array rather than having its old one overwritten, as
    wengert's in-place tensor operations do, so arrays saved by a recorded graph
    and arrays shared through ``detach()`` keep their values; the version counter
    still advances, so a backward pass through a graph that saved the old value
    raises instead of silently differentiating at stale parameters.
    """
    old = tensor.primal
    if type(old) is not np.ndarray:
        old = np.asarray(old)
    if value.shape != old.shape:
        raise RuntimeError(f"{operation}: new values of shape {value.shape} for a tensor of shape {old.shape}")
    if value.dtype != old.dtype:
        value = value.astype(old.dtype)
    tensor.primal = value
    counter = tensor._version
    counter[0] += 1
    counter[1] = operation


def _convert(tensor: Tensor, dtype: np.dtype) -> None:
    """Give ``tensor`` its values in ``dtype`` (a new array, a new version), dropping its gradient."""
    tensor.primal = np.asarray(tensor.primal).astype(dtype)
    tensor._version[0] += 1
    tensor._version[1] = "to"
    tensor.grad = None


_DEVICE_NAMES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia", "privateuseone")


def _is_device(value: Any) -> bool:
    if isinstance(value, str):
        return value.partition(":")[0] in _DEVICE_NAMES
    return type(value).__name__ in ("device", "Device")


def _as_float_dtype(value: Any) -> np.dtype:
    if type(value).__module__.split(".")[0] == "torch":
        value = str(value).removeprefix("torch.")
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"to(): {value!r} is neither a dtype nor a device") from None
    if dtype.kind != "f":
        raise TypeError(f"to(): parameters must stay floating-point, got dtype {dtype}")
    return dtype


def _to_arguments(args: tuple, kwargs: dict) -> tuple[np.dtype | None, Any]:
    """``(dtype, device)`` from the arguments of ``Module.to``, read as PyTorch reads them."""
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(unknown)}")
    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments (device, dtype), got {len(args)}")
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for value in args:
        if isinstance(value, Tensor):
            dtype = np.asarray(value.primal).dtype
        elif _is_device(value):
            device = value
        elif isinstance(value, bool):
            continue  # PyTorch's positional non_blocking
        else:
            dtype = value
    return (None if dtype is None else _as_float_dtype(dtype)), device


class IncompatibleKeys(NamedTuple):
    """What `Module.load_state_dict` did not match (empty lists when everything matched)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models: registers parameters and submodules assigned to it.

    Subclasses call ``super().__init__()`` first, assign `Parameter` and
    `Module` attributes, and define ``forward``; calling the module calls
    ``forward``.

    Example:
        >>> class Affine(Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.scale = Parameter(2.0)
        ...         self.shift = Parameter(0.5)
        ...     def forward(self, x):
        ...         return self.scale * x + self.shift
        >>> model = Affine()
        >>> float(model(3.0))
        6.5
        >>> sorted(model.state_dict())
        ['scale', 'shift']
    """

    training: bool

    def __init__(self) -> None:
        # Registered attributes also live in __dict__, so that reading ``self.weight`` in ``forward``
        # is an ordinary attribute lookup (no __getattr__ on the hot path).
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration ---------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        parameters = self.__dict__.get("_parameters")
        if parameters is None:
            raise AttributeError(
                f"cannot assign '{name}' before Module.__init__() is called; call super().__init__() first "
                f"in {type(self).__name__}.__init__"
            )
        modules, buffers = self._modules, self._buffers
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            parameters[name] = value
        elif isinstance(value, Module):
            parameters.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to parameter '{name}' of {type(self).__name__} "
                    "(a Parameter or None is expected); to change its values use load_state_dict, or "
                    "assign under wg.no_grad() with copy_"
                )
            parameters[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to submodule '{name}' of {type(self).__name__} "
                    "(a Module or None is expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, (np.ndarray, Tensor)):
                raise TypeError(f"buffer '{name}' must be an array or a tensor, got {type(value).__name__}")
            buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        """Register ``parameter`` under ``name`` (None declares the slot without a parameter)."""
        _check_name(name, "register_parameter(): a parameter")
        if parameter is not None and not isinstance(parameter, Parameter):
            raise TypeError(f"register_parameter('{name}'): expected a Parameter, got {type(parameter).__name__}")
        if parameter is None:
            self._modules.pop(name, None)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, parameter)

    def register_buffer(self, name: str, value: np.ndarray | Tensor | None) -> None:
        """Register a state that is saved in ``state_dict()`` but not trained (running statistics, masks).

        Example:
            >>> m = Module()
            >>> m.register_buffer("mask", np.array([1.0, 0.0]))
            >>> list(m.state_dict())
            ['mask']
        """
        _check_name(name, "register_buffer(): a buffer")
        if value is not None and not isinstance(value, (np.ndarray, Tensor)):
            raise TypeError(f"register_buffer('{name}'): expected an array or a tensor, got {type(value).__name__}")
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a submodule called ``name``."""
        _check_name(name, "add_module(): a submodule")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): expected a Module, got {type(module).__name__}")
        if module is None:
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    # -- calling --------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- traversal ------------------------------------------------------------------

    def named_modules(self, prefix: str = "", memo: set[int] | None = None) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module and every module below it, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct submodules, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct submodules, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a parameter shared by several modules comes once.

        Example:
            >>> from wengert.nn import Linear, Sequential
            >>> [n for n, _ in Sequential(Linear(2, 2, seed=0)).named_parameters()]
            ['0.weight', '0.bias']
        """
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module and (with ``recurse``) of its submodules, each once."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Any]]:
        """``(dotted name, buffer)`` pairs, each buffer once."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Any]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def num_parameters(self) -> int:
        """The number of scalar parameters (each shared parameter counted once)."""
        return sum(int(np.size(p.primal)) for p in self.parameters())

    def apply(self, function: Callable[[Module], Any]) -> Module:
        """Call ``function`` on every submodule (children first) and on this module; returns self."""
        for module in self.children():
            module.apply(function)
        function(self)
        return self

    # -- modes and gradients ----------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``.training``) here and in every submodule; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``.training = False``) here and below; returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter; returns self."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients: ``.grad = None`` (default) or arrays of zeros."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad = Tensor(np.zeros_like(parameter.primal), TAPE, None)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert every floating parameter and buffer to a dtype, in place; returns self (PyTorch's ``Module.to``).

        Takes what PyTorch's does: ``to(dtype)``, ``to(device)``, ``to(device,
        dtype)``, ``to(tensor)`` (its dtype), or ``dtype=`` / ``device=``
        keywords. The device must be the CPU ("cpu"), the only one wengert has.
        Gradients of converted parameters are dropped.

        Example:
            >>> from wengert.nn import Linear
            >>> Linear(2, 2, seed=0).to(np.float32).weight.dtype
            dtype('float32')
            >>> Linear(2, 2, seed=0).to("cpu", dtype="float32").bias.dtype
            dtype('float32')
        """
        dtype, device = _to_arguments(args, kwargs)
        check_device(device, "to()")
        if dtype is None:
            return self
        for parameter in self.parameters():
            if parameter.primal.dtype != dtype:
                _convert(parameter, dtype)
        for module in self.modules():
            for name, buffer in module._buffers.items():
                value = buffer.primal if isinstance(buffer, Tensor) else buffer
                if value is not None and np.asarray(value).dtype.kind == "f" and np.asarray(value).dtype != dtype:
                    if isinstance(buffer, Tensor):
                        _convert(buffer, dtype)
                    else:
                        module.register_buffer(name, np.asarray(value).astype(dtype))
        return self

    def float(self) -> Module:
        """Convert floating parameters and buffers to float32; returns self."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Convert floating parameters and buffers to float64; returns self."""
        return self.to(np.float64)

    def half(self) -> Module:
        """Convert floating parameters and buffers to float16; returns self."""
        return self.to(np.float16)

    def cpu(self) -> Module:
        """Returns self: wengert's values always live on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Refuses: wengert computes with NumPy, on the CPU."""
        raise RuntimeError("cuda(): wengert computes on the CPU only (with NumPy); leave the model where it is")

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` ("" is this module).

        Example:
            >>> from wengert.nn import Linear, Sequential
            >>> Sequential(Linear(2, 2, seed=0)).get_submodule("0")
            Linear(in_features=2, out_features=2, bias=True)
        """
        module: Module = self
        if target == "":
            return module
        for index, part in enumerate(target.split(".")):
            child = module._modules.get(part)
            if not isinstance(child, Module):
                where = ".".join(target.split(".")[:index]) or type(self).__name__
                raise AttributeError(f"get_submodule(): {where} has no submodule named {part!r}")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (``"layers.0.weight"``)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        parameter = module._parameters.get(name)
        if parameter is None:
            raise AttributeError(f"get_parameter(): {type(module).__name__} has no parameter named {name!r}")
        return parameter

    register_module = add_module

    # -- saving and loading -----------------------------------------------------------

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Any]:
        """Every parameter and buffer value under its dotted name, as a tensor that records nothing (PyTorch's).

        The tensors hold copies: training the model later does not change them
        (PyTorch's share memory with the parameters, so that keeping a best
        model needs a ``copy.deepcopy``; here it does not). ``.numpy()`` gives
        the array; ``load_state_dict`` takes tensors or arrays. ``prefix`` goes
        in front of every name; ``keep_vars=True`` gives the parameters (and
        buffers) themselves.

        Example:
            >>> from wengert.nn import Linear
            >>> {k: v.shape for k, v in Linear(3, 2, seed=0).state_dict().items()}
            {'weight': (2, 3), 'bias': (2,)}
        """
        out: OrderedDict[str, Any] = OrderedDict()
        for name, parameter in self.named_parameters():
            out[prefix + name] = parameter if keep_vars else from_numpy(np.array(parameter.primal, copy=True))
        for name, buffer in self.named_buffers():
            if keep_vars:
                out[prefix + name] = buffer
            else:
                out[prefix + name] = from_numpy(np.array(buffer.primal if isinstance(buffer, Tensor) else buffer))
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy the arrays of ``state_dict`` into the parameters and buffers of the same names.

        Values are converted to each parameter's dtype. A shape mismatch always
        raises; with ``strict`` (the default) so do missing and unexpected names,
        all listed in one error. The parameter objects stay the same (an
        optimiser holding them keeps working).

        Example:
            >>> from wengert.nn import Linear
            >>> a, b = Linear(2, 2, seed=0), Linear(2, 2, seed=1)
            >>> b.load_state_dict(a.state_dict())
            IncompatibleKeys(missing_keys=[], unexpected_keys=[])
            >>> bool(np.all(a.weight.detach().numpy() == b.weight.detach().numpy()))
            True
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict() expects a mapping of names to arrays, got {type(state_dict).__name__}")
        targets: dict[str, tuple[Module, str, Any]] = {}
        for module_prefix, module in self.named_modules():
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None:
                        targets[f"{module_prefix}.{name}" if module_prefix else name] = (module, name, value)
        missing = [name for name in targets if name not in state_dict]
        unexpected = [name for name in state_dict if name not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        converted = {}
        for name, (_, _, target) in targets.items():
            if name not in state_dict:
                continue
            source = state_dict[name]
            if isinstance(source, Tracer):
                source = source.primal if isinstance(source, Tensor) else None
                if source is None:
                    problems.append(f"'{name}': a traced value cannot be loaded (pass plain arrays)")
                    continue
            own = np.asarray(target.primal if isinstance(target, Tensor) else target)
            array = np.asarray(source)
            if array.shape != own.shape:
                problems.append(f"'{name}': shape {array.shape} in the state dict, {own.shape} in the model")
                continue
            if own.dtype.kind == "f" and array.dtype.kind not in "fiub":
                problems.append(f"'{name}': dtype {array.dtype} cannot be loaded into a {own.dtype} parameter")
                continue
            converted[name] = np.array(array, dtype=own.dtype, copy=True)
        if problems:
            raise RuntimeError(f"error loading the state dict into {type(self).__name__}: " + "; ".join(problems))
        for name, array in converted.items():
            module, attribute, target = targets[name]
            if isinstance(target, Tensor):
                set_values_(target, array, "load_state_dict")
            else:
                module.register_buffer(attribute, array)
        return IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (its settings)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            body = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"


def functional_call(
    module: Module, values: Mapping[str, Any] | Sequence[Mapping[str, Any]], *args: Any, **kwargs: Any
) -> Any:
    """Call ``module`` with some parameters (or buffers) replaced by ``values``, named as in ``state_dict``.

    The values may be traced (the arguments of a function given to ``wg.grad``,
    ``wg.jit``, ``wg.vmap``, ``check_grads``...), which makes the model a pure
    function of its parameters, the JAX dialect: ``params`` can be a dict of
    arrays, differentiated, updated by the pure optimisers (``optim.adam``...)
    and passed back in, all inside one jitted training step. Each value must
    have its parameter's shape. A parameter shared by several modules (tied
    weights) is replaced everywhere it is used, whichever of its names is
    given; two different values for one tied parameter are an error. ``values``
    may also be a list or tuple of dicts (parameters and buffers, say), merged.
    The module's own parameters are put back afterwards.

    Example:
        >>> import wengert as wg
        >>> from wengert.nn import Linear
        >>> layer = Linear(2, 1, seed=0)
        >>> x = np.array([[1.0, 2.0]])
        >>> g = wg.grad(lambda w: functional_call(layer, {"weight": w}, x).sum())(layer.weight.detach().numpy())
        >>> g.ravel().tolist()
        [1.0, 2.0]
    """
    values = _named_values(values)
    # Every registered slot, and for each parameter or buffer object every slot holding it (tied weights).
    slots: dict[str, tuple[Module, str, Any]] = {}
    holders: dict[int, list[tuple[Module, str]]] = {}
    for module_prefix, owner in module.named_modules():
        for registry in (owner._parameters, owner._buffers):
            for name, current in registry.items():
                slots[f"{module_prefix}.{name}" if module_prefix else name] = (owner, name, current)
                if current is not None:
                    holders.setdefault(id(current), []).append((owner, name))
    unknown = [name for name in values if name not in slots]
    if unknown:
        raise KeyError(f"functional_call(): {type(module).__name__} has no parameters or buffers named {unknown}")
    replacements: dict[tuple[int, str], tuple[Module, str, Any]] = {}
    given_for: dict[int, str] = {}
    for name, value in values.items():
        owner, attribute, current = slots[name]
        if current is None:
            replacements[(id(owner), attribute)] = (owner, attribute, value)
            continue
        expected, shape = _value_shape(current), _value_shape(value)
        if shape != expected:
            raise ValueError(
                f"functional_call(): the value for '{name}' has shape {shape}, but the {type(module).__name__}'s "
                f"'{name}' has shape {expected}"
            )
        first = given_for.setdefault(id(current), name)
        if first != name and values[first] is not value:
            raise ValueError(
                f"functional_call(): '{first}' and '{name}' are one parameter shared by two modules (tied), but "
                "were given two different values; give one of the names"
            )
        for holder, holder_attribute in holders[id(current)]:
            replacements[(id(holder), holder_attribute)] = (holder, holder_attribute, value)
    saved = []
    try:
        for owner, attribute, value in replacements.values():
            saved.append((owner, attribute, owner.__dict__[attribute]))
            object.__setattr__(owner, attribute, value)
        return module(*args, **kwargs)
    finally:
        for owner, attribute, original in reversed(saved):
            object.__setattr__(owner, attribute, original)


def _named_values(values: Any) -> Mapping[str, Any]:
    """``functional_call``'s values as one mapping (a list or tuple of mappings is merged)."""
    if isinstance(values, Mapping):
        return values
    if isinstance(values, (list, tuple)) and all(isinstance(part, Mapping) for part in values):
        merged: dict[str, Any] = {}
        for part in values:
            repeated = [name for name in part if name in merged]
            if repeated:
                raise ValueError(f"functional_call(): {repeated} given in more than one of the dicts of values")
            merged.update(part)
        return merged
    raise TypeError(
        f"functional_call(): values must be a dict of names to values (the names of named_parameters() or "
        f"state_dict()), or a list of such dicts; got {_shown(values)}"
    )


def _value_shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, (Tracer, np.ndarray, np.generic)):
        return tuple(value.shape)
    return np.shape(value)


def parameters_of(source: Module | Tensor | Iterable[Any], what: str = "parameters") -> list[Tensor]:
    """A list of tensors from a module, one tensor, or an iterable of tensors (each once).

    Anything else is refused with a message saying what to pass: a NumPy array
    (an optimiser updates tensors, not arrays), a set (its order, which
    ``state_dict`` relies on, is not fixed), a non-iterable.
    """
    if isinstance(source, Module):
        return list(source.parameters())
    if isinstance(source, Tensor):
        return [source]
    make = "make parameters with wg.tensor(x, requires_grad=True) or nn.Parameter(x)"
    if isinstance(source, np.ndarray):
        raise TypeError(
            f"{what}: got a NumPy array of shape {source.shape}, not tensors; {make}, and pass those "
            "(a list of them, or a module)"
        )
    if isinstance(source, (set, frozenset)):
        raise TypeError(f"{what}: got a set, whose order is not fixed (state_dict numbers the parameters); pass a list")
    if isinstance(source, (str, bytes, Mapping)) or not isinstance(source, Iterable):
        raise TypeError(
            f"{what}: expected a Module, a tensor or an iterable of tensors, got {type(source).__name__} "
            f"({' '.join(repr(source).split())[:60]})"
        )
    out, seen = [], set()
    for index, item in enumerate(source):
        if not isinstance(item, Tensor):
            raise TypeError(f"{what}: item {index} is a {type(item).__name__}, not a tensor; {make}")
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


__all__ = ["IncompatibleKeys", "Module", "Parameter", "functional_call", "parameters_of", "set_values_"]
