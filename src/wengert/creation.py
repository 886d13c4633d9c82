"""Creating tensors with PyTorch's names and arguments: ``zeros``, ``rand``, ``arange``, ``cat``...

Every function returns a `Tensor` and takes PyTorch's keywords: ``dtype=``,
``requires_grad=``, ``device=`` (only the CPU: ``None``, ``"cpu"`` or a CPU
device; anything else raises a RuntimeError) and, for random ones,
``generator=``. A size is given as integers or as one tuple
(``zeros(2, 3)`` and ``zeros((2, 3))``).

Floating results take the default dtype, which is float64 in wengert (PyTorch's
is float32): see `wengert.dtypes.get_default_dtype`. Integer results (``arange``
of integers, ``randint``, ``randperm``, ``full`` of an int) are int64, boolean
ones (``full`` of a bool) bool, as in PyTorch.

Random draws come from the default generator (``wg.manual_seed(0)`` makes a
script repeat itself) or from ``generator=``; they are NumPy's PCG64 numbers,
not PyTorch's, so the same seed gives other values than ``torch.manual_seed``.

``cat`` and ``stack`` are differentiable: tensors that require grad give a
result that does.

Example:
    >>> import wengert as wg
    >>> zeros(2, 3).shape, ones((2,), dtype=float32)
    ((2, 3), tensor([1., 1.], dtype=float32))
    >>> _ = wg.manual_seed(0); a = rand(3)
    >>> _ = wg.manual_seed(0); bool((rand(3) == a).all())
    True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import numpy as wnp
from .core import Tracer
from .dtypes import (
    Device,
    as_dtype,
    bool_,
    check_device,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .generator import Generator, numpy_generator
from .numpy._primitives import dtype as _dtype_of
from .numpy._primitives import shape as _shape_of
from .tensor import TAPE, Tensor, _check_differentiable_dtype

device = Device  # PyTorch's torch.device("cpu")


# -- arguments -------------------------------------------------------------------------------------------


def _size(size: tuple, operation: str) -> tuple[int, ...]:
    """The shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(())``."""
    if len(size) == 1 and not _is_int(size[0]):
        given = size[0]
        if isinstance(given, (Tensor, np.ndarray)) or not isinstance(given, Sequence):
            if not isinstance(given, Tensor) or given.dtype.kind not in "iu" or given.ndim > 1:
                raise TypeError(
                    f"{operation}(): size must be integers or one tuple of integers, got {type(given).__name__} "
                    f"{given!r}"
                )
            given = given.tolist()
        size = tuple(given)
    for length in size:
        if not _is_int(length):
            raise TypeError(
                f"{operation}(): size must be integers or one tuple of integers, got {type(length).__name__} "
                f"{length!r} in {size}"
            )
        if length < 0:
            raise RuntimeError(f"{operation}(): dimension sizes must be non-negative, got {tuple(size)}")
    return tuple(int(length) for length in size)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _floating(dtype: Any, operation: str) -> np.dtype:
    """``dtype`` (default: the default dtype), which must be floating point."""
    if dtype is None:
        return get_default_dtype()
    converted = as_dtype(dtype, operation)
    if converted.kind != "f":
        raise TypeError(f"{operation}(): draws real numbers, so dtype must be floating point, got {converted}")
    return converted


def _finish(values: Any, requires_grad: bool, device_: Any, operation: str) -> Tensor:
    """``values`` as a new tensor (leaf), recording if ``requires_grad``."""
    check_device(device_, operation)
    if isinstance(values, Tracer):  # computed from a traced fill value: differentiable in it already
        if requires_grad and not getattr(values, "requires_grad", True):
            values = Tensor(values.primal, TAPE, None).requires_grad_(True)
        return values
    out = Tensor(values, TAPE, None)
    if requires_grad:
        _check_differentiable_dtype(values)
        out.requires_grad_(True)
    return out


def _scalar(value: Any, name: str, operation: str) -> Any:
    """A number argument (a one-element tensor gives its value)."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{operation}(): {name} must be a real number, got {type(value).__name__} {value!r}")
    return value


# -- constant fills --------------------------------------------------------------------------------------


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, out: Any = None) -> Tensor:
    """A tensor of zeros of shape ``size`` (the default floating dtype unless ``dtype=``).

    Example:
        >>> zeros(2, 3).shape, zeros((2,), dtype=int64)
        ((2, 3), tensor([0, 0]))
    """
    _no_out(out, "zeros")
    kind = as_dtype(dtype, "zeros") if dtype is not None else get_default_dtype()
    return _finish(np.zeros(_size(size, "zeros"), kind), requires_grad, device, "zeros")


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, out: Any = None) -> Tensor:
    """A tensor of ones of shape ``size``.

    Example:
        >>> ones(2, requires_grad=True)
        tensor([1., 1.], requires_grad=True)
    """
    _no_out(out, "ones")
    kind = as_dtype(dtype, "ones") if dtype is not None else get_default_dtype()
    return _finish(np.ones(_size(size, "ones"), kind), requires_grad, device, "ones")


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, out: Any = None) -> Tensor:
    """A tensor of shape ``size`` whose values are not to be relied on: wengert fills it with zeros.

    (NumPy's uninitialised memory would make a result depend on leftovers.)

    Example:
        >>> empty(2, 2).shape
        (2, 2)
    """
    _no_out(out, "empty")
    kind = as_dtype(dtype, "empty") if dtype is not None else get_default_dtype()
    return _finish(np.zeros(_size(size, "empty"), kind), requires_grad, device, "empty")


def full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``.

    Without ``dtype=``: bool for a bool, int64 for an integer, the default
    floating dtype for a float (PyTorch's rule). A tensor ``fill_value`` that
    requires grad gives a result differentiable in it.

    Example:
        >>> full((2,), 7), full((2,), 0.5), full((1,), True)
        (tensor([7, 7]), tensor([0.5, 0.5]), tensor([ True]))
    """
    shape = _size((size,), "full")
    if isinstance(fill_value, Tracer):
        kind = as_dtype(dtype, "full") if dtype is not None else _dtype_of(fill_value)
        if _shape_of(fill_value) != ():
            raise RuntimeError(f"full(): fill_value must be a number or a 0-d tensor, got shape {fill_value.shape}")
        return _finish(wnp.full(shape, fill_value, kind), requires_grad, device, "full")
    kind = as_dtype(dtype, "full") if dtype is not None else _fill_dtype(fill_value, "full")
    return _finish(np.full(shape, fill_value, kind), requires_grad, device, "full")


def _fill_dtype(value: Any, operation: str) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, numbers.Integral):
        return int64
    if isinstance(value, numbers.Real):
        return get_default_dtype()
    if isinstance(value, numbers.Complex):
        raise TypeError(f"{operation}(): complex tensors are not supported yet, got fill_value {value!r}")
    raise TypeError(f"{operation}(): fill_value must be a number, got {type(value).__name__} {value!r}")


def _like(input: Any, dtype: Any, operation: str) -> tuple[tuple[int, ...], np.dtype]:  # noqa: A002
    if isinstance(input, (list, tuple)) or not hasattr(input, "shape"):
        raise TypeError(f"{operation}(): input must be a tensor (or an array), got {type(input).__name__}")
    kind = as_dtype(dtype, operation) if dtype is not None else np.dtype(_dtype_of(input))
    return tuple(_shape_of(input)), kind


def zeros_like(input: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:  # noqa: A002
    """Zeros of ``input``'s shape and dtype (a new leaf: not connected to ``input``'s graph).

    Example:
        >>> zeros_like(ones(2, dtype=float32))
        tensor([0., 0.], dtype=float32)
    """
    shape, kind = _like(input, dtype, "zeros_like")
    return _finish(np.zeros(shape, kind), requires_grad, device, "zeros_like")


def ones_like(input: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:  # noqa: A002
    """Ones of ``input``'s shape and dtype.

    Example:
        >>> ones_like(zeros(2, 1)).shape
        (2, 1)
    """
    shape, kind = _like(input, dtype, "ones_like")
    return _finish(np.ones(shape, kind), requires_grad, device, "ones_like")


def empty_like(input: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:  # noqa: A002
    """A tensor of ``input``'s shape and dtype, filled with zeros (see `empty`).

    Example:
        >>> empty_like(ones(3)).shape
        (3,)
    """
    shape, kind = _like(input, dtype, "empty_like")
    return _finish(np.zeros(shape, kind), requires_grad, device, "empty_like")


def full_like(
    input: Any,  # noqa: A002
    fill_value: Any,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype (the fill is cast to that dtype, as in PyTorch).

    Example:
        >>> full_like(zeros(2, dtype=int64), 3.7)
        tensor([3, 3])
    """
    shape, kind = _like(input, dtype, "full_like")
    if isinstance(fill_value, Tracer):
        return _finish(wnp.full(shape, fill_value, kind), requires_grad, device, "full_like")
    _fill_dtype(fill_value, "full_like")
    return _finish(np.full(shape, fill_value).astype(kind, copy=False), requires_grad, device, "full_like")


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """The ``n`` × ``m`` identity matrix (``m`` defaults to ``n``).

    Example:
        >>> eye(2, 3)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    for name, value in (("n", n), ("m", m)):
        if value is None and name == "m":
            continue
        if not _is_int(value):
            raise TypeError(f"eye(): {name} must be an int, got {type(value).__name__} {value!r}")
        if value < 0:
            raise RuntimeError(f"eye(): {name} must be greater or equal to 0, got {value}")
    kind = as_dtype(dtype, "eye") if dtype is not None else get_default_dtype()
    return _finish(np.eye(int(n), None if m is None else int(m), dtype=kind), requires_grad, device, "eye")


# -- ranges ----------------------------------------------------------------------------------------------


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """``start``, ``start + step``, ... up to but excluding ``end`` (``arange(end)`` starts at 0).

    Integers only give int64; any float gives the default floating dtype. The
    length is ceil((end - start) / step), as in PyTorch and NumPy.

    Example:
        >>> arange(4), arange(1, 2, 0.25)
        (tensor([0, 1, 2, 3]), tensor([1.  , 1.25, 1.5 , 1.75]))
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_scalar(v, name, "arange") for v, name in ((start, "start"), (end, "end"), (step, "step")))
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f"arange(): start, end and step must be finite, got {start}, {end}, {step}")
    if (end - start) / step < 0:
        raise RuntimeError(
            f"arange(): upper bound and lower bound inconsistent with step sign (start={start}, end={end}, step={step})"
        )
    integers = all(_is_int(v) for v in (start, end, step))
    kind = as_dtype(dtype, "arange") if dtype is not None else (int64 if integers else get_default_dtype())
    if integers:
        values = np.arange(int(start), int(end), int(step), dtype=np.int64)
    else:
        length = math.ceil((end - start) / step)
        values = start + np.arange(length, dtype=np.float64) * step
    return _finish(values.astype(kind, copy=False), requires_grad, device, "arange")


def linspace(
    start: Any, end: Any, steps: int, *, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Example:
        >>> linspace(0, 1, 5)
        tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    start, end = _scalar(start, "start", "linspace"), _scalar(end, "end", "linspace")
    if not _is_int(steps):
        raise TypeError(f"linspace(): steps must be an int, got {type(steps).__name__} {steps!r}")
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    kind = as_dtype(dtype, "linspace") if dtype is not None else get_default_dtype()
    values = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    if kind.kind in "iu":
        values = np.trunc(values)  # PyTorch truncates toward zero
    return _finish(values.astype(kind), requires_grad, device, "linspace")


# -- random ----------------------------------------------------------------------------------------------


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Uniform draws on [0, 1) of shape ``size``, from the default generator unless ``generator=``.

    Example:
        >>> import wengert as wg
        >>> x = rand(2, 3, generator=wg.Generator().manual_seed(0))
        >>> x.shape, bool(((0 <= x) & (x < 1)).all())
        ((2, 3), True)
    """
    shape = _size(size, "rand")
    kind = _floating(dtype, "rand")
    rng = numpy_generator(generator)
    values = rng.random(shape, dtype=kind) if kind in (float32, float64) else rng.random(shape).astype(kind)
    return _finish(values, requires_grad, device, "rand")


def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Standard normal draws of shape ``size``, from the default generator unless ``generator=``.

    Example:
        >>> randn(4, dtype=float32).dtype
        dtype('float32')
    """
    shape = _size(size, "randn")
    kind = _floating(dtype, "randn")
    rng = numpy_generator(generator)
    if kind in (float32, float64):
        values = rng.standard_normal(shape, dtype=kind)
    else:
        values = rng.standard_normal(shape).astype(kind)
    return _finish(values, requires_grad, device, "randn")


def rand_like(input: Any, *, generator: Generator | None = None, dtype: Any = None, **kwargs: Any) -> Tensor:  # noqa: A002
    """Uniform draws on [0, 1) of ``input``'s shape and (floating) dtype.

    Example:
        >>> rand_like(zeros(2, dtype=float32)).dtype
        dtype('float32')
    """
    shape, kind = _like(input, dtype, "rand_like")
    return rand(shape, generator=generator, dtype=kind, **kwargs)


def randn_like(input: Any, *, generator: Generator | None = None, dtype: Any = None, **kwargs: Any) -> Tensor:  # noqa: A002
    """Standard normal draws of ``input``'s shape and (floating) dtype.

    Example:
        >>> randn_like(zeros(2, 3)).shape
        (2, 3)
    """
    shape, kind = _like(input, dtype, "randn_like")
    return randn(shape, generator=generator, dtype=kind, **kwargs)


def randint(
    *args: Any,
    size: Any = None,
    low: Any = None,
    high: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    ``low`` defaults to 0; ``size`` is a tuple, as in PyTorch. int64 unless ``dtype=``.

    Example:
        >>> x = randint(3, 7, (1000,))
        >>> x.dtype, int(x.min()) >= 3, int(x.max()) <= 6
        (dtype('int64'), True, True)
    """
    given = list(args)
    if size is None and given and not _is_int(given[-1]) and not isinstance(given[-1], Tensor):
        size = given.pop()
    if len(given) == 1:
        if high is not None:
            low = given[0]
        else:
            high = given[0]
    elif len(given) == 2:
        low, high = given
    elif len(given) > 2:
        raise TypeError(f"randint(): expected (high, size) or (low, high, size), got {len(args)} positional arguments")
    if high is None:
        raise TypeError("randint(): high is required: randint(high, size) or randint(low, high, size)")
    if size is None:
        raise TypeError("randint(): size is required, as a tuple: randint(low, high, (n,))")
    if _is_int(size):
        raise TypeError(f"randint(): size must be a tuple of ints, not int: randint(..., ({size},))")
    low = 0 if low is None else low
    low, high = (_scalar(v, name, "randint") for v, name in ((low, "low"), (high, "high")))
    if not (float(low).is_integer() and float(high).is_integer()):
        raise TypeError(f"randint(): low and high must be integers, got {low!r} and {high!r}")
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"randint(): low must be smaller than high, got low={low} >= high={high}")
    shape = _size((size,), "randint")
    kind = as_dtype(dtype, "randint") if dtype is not None else int64
    values = numpy_generator(generator).integers(low, high, shape, dtype=np.int64)
    return _finish(values.astype(kind, copy=False), requires_grad, device, "randint")


def randperm(
    n: int, *, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """A random permutation of 0, ..., n - 1 (int64 unless ``dtype=``).

    Example:
        >>> sorted(randperm(5).tolist())
        [0, 1, 2, 3, 4]
    """
    if not _is_int(n):
        raise TypeError(f"randperm(): n must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    kind = as_dtype(dtype, "randperm") if dtype is not None else int64
    values = numpy_generator(generator).permutation(int(n)).astype(kind)
    return _finish(values, requires_grad, device, "randperm")


# -- joining ---------------------------------------------------------------------------------------------


def _operands(tensors: Any, operation: str) -> list[Any]:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(f"{operation}(): expected a sequence (list or tuple) of tensors, got {type(tensors).__name__}")
    operands = list(tensors)
    if not operands:
        raise ValueError(f"{operation}(): expected a non-empty list of tensors")
    for index, operand in enumerate(operands):
        if not isinstance(operand, (Tracer, np.ndarray)):
            raise TypeError(
                f"{operation}(): expected tensors, but element {index} is {type(operand).__name__}; "
                "make tensors with wg.tensor(...)"
            )
    kinds = [np.dtype(_dtype_of(operand)) for operand in operands]
    # PyTorch's promotion: the highest category (bool < integer < floating) decides; a float32 stays float32
    # beside integers (NumPy would make float64 of int64 and float32).
    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    top = max(rank[kind.kind] for kind in kinds)
    common = np.result_type(*[kind for kind in kinds if rank[kind.kind] == top])
    return [operand if kind == common else wnp.astype(operand, common) for operand, kind in zip(operands, kinds)]


def cat(tensors: Sequence[Any], dim: int = 0, *, out: Any = None) -> Tensor:
    """The tensors joined along the existing dimension ``dim`` (differentiable in each).

    Shapes must agree except along ``dim``. Mixed dtypes promote as in
    PyTorch (integers beside float32 give float32).

    Example:
        >>> x = ones(2, requires_grad=True)
        >>> y = cat([x, zeros(3)])
        >>> y.shape, y.requires_grad
        ((5,), True)
    """
    _no_out(out, "cat")
    operands = _operands(tensors, "cat")
    shapes = [tuple(_shape_of(operand)) for operand in operands]
    ndim = len(shapes[0])
    if ndim == 0:
        raise RuntimeError("cat(): zero-dimensional tensor (at position 0) cannot be concatenated; use stack")
    axis = _dim(dim, ndim, "cat")
    for index, shape in enumerate(shapes):
        if len(shape) != ndim:
            raise RuntimeError(
                f"cat(): tensors must have the same number of dimensions: got {ndim} and {len(shape)} "
                f"(tensor {index}, shape {shape})"
            )
        for d in range(ndim):
            if d != axis and shape[d] != shapes[0][d]:
                raise RuntimeError(
                    f"cat(): sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{shapes[0][d]} but got size {shape[d]} for tensor number {index} in the list"
                )
    return _as_tensor_result(wnp.concatenate(operands, axis=axis))


def stack(tensors: Sequence[Any], dim: int = 0, *, out: Any = None) -> Tensor:
    """The tensors joined along a new dimension ``dim`` (differentiable in each); shapes must be equal.

    Example:
        >>> stack([ones(3), zeros(3)], dim=1).shape
        (3, 2)
    """
    _no_out(out, "stack")
    operands = _operands(tensors, "stack")
    shapes = [tuple(_shape_of(operand)) for operand in operands]
    for index, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(
                f"stack(): expects each tensor to be equal size, but got {list(shapes[0])} at entry 0 and "
                f"{list(shape)} at entry {index}"
            )
    axis = _dim(dim, len(shapes[0]) + 1, "stack")
    return _as_tensor_result(wnp.stack(operands, axis=axis))


def _dim(dim: Any, ndim: int, operation: str) -> int:
    if not _is_int(dim):
        raise TypeError(f"{operation}(): dim must be an int, got {type(dim).__name__} {dim!r}")
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"{operation}(): dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})"
        )
    return int(dim) % ndim


def _as_tensor_result(value: Any) -> Any:
    return value if isinstance(value, Tracer) else Tensor(np.asarray(value), TAPE, None)


def _no_out(out: Any, operation: str) -> None:
    if out is not None:
        raise TypeError(f"{operation}(): out= is not supported; use the returned tensor (or t.copy_(result))")


__all__ = [
    "arange",
    "bool_",
    "cat",
    "device",
    "double",
    "empty",
    "empty_like",
    "eye",
    "float16",
    "float32",
    "float64",
    "full",
    "full_like",
    "get_default_dtype",
    "half",
    "int16",
    "int32",
    "int64",
    "int8",
    "linspace",
    "long",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "set_default_dtype",
    "short",
    "stack",
    "uint8",
    "zeros",
    "zeros_like",
]
