"""PyTorch's dtype names, the default floating dtype, and the one device wengert has: the CPU.

The dtypes are NumPy dtypes under PyTorch's names (``wg.float32`` is
``np.dtype("float32")``), so ``t.dtype == wg.float32`` and
``t.dtype is wg.float32`` hold, and NumPy accepts them anywhere. The boolean
dtype is ``bool_`` (NumPy's spelling): a ``bool`` would shadow Python's own
after ``from wengert import *``. For the same reason there is no ``float`` or
``int``; ``double``, ``half``, ``long`` and ``short`` are PyTorch's aliases.

Example:
    >>> import wengert as wg
    >>> from wengert.dtypes import float32, as_dtype
    >>> wg.tensor([1.0], dtype=float32).dtype is float32
    True
    >>> as_dtype("float64", "example")
    dtype('float64')
"""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
half = float16
double = float64
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
short = int16
long = int64
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

# PyTorch's dtype names (str(torch.float32) is "torch.float32") that are not NumPy's.
_TORCH_NAMES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32"}
_TORCH_NAMES.update({"short": "int16", "bool": "bool"})

_default_float = float64


def as_dtype(dtype: Any, operation: str) -> np.dtype:
    """``dtype`` (a NumPy dtype, its name, a Python type, or a ``torch.dtype``) as a NumPy dtype of numbers.

    Example:
        >>> as_dtype(float, "zeros"), as_dtype(bool_, "zeros")
        (dtype('float64'), dtype('bool'))
    """
    if type(dtype).__module__.split(".")[0] == "torch":
        name = str(dtype).removeprefix("torch.")
        name = _TORCH_NAMES.get(name, name)
        try:
            converted = np.dtype(name)
        except TypeError:
            raise TypeError(f"{operation}: dtype {dtype} has no NumPy counterpart; pass float32 or float64") from None
    else:
        try:
            converted = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"{operation}: {dtype!r} is not a dtype; pass one such as wg.float32, wg.float64 or wg.int64"
            ) from None
    if converted.kind == "c":
        raise TypeError(f"{operation}: complex tensors are not supported yet (dtype {converted})")
    if converted.kind not in "biuf":
        raise TypeError(f"{operation}: dtype {converted} does not hold numbers; a tensor holds bool, int or float")
    return converted


def get_default_dtype() -> np.dtype:
    """The floating dtype that creation functions give when no ``dtype=`` is passed: float64 unless changed.

    PyTorch's default is float32; wengert keeps float64 because its users are
    scientists, for whom float32's 7 digits are a silent source of error
    (finite-difference checks, stiff ODE residuals, L-BFGS line searches). Call
    ``set_default_dtype(wg.float32)`` to compute as PyTorch does.

    Example:
        >>> get_default_dtype()
        dtype('float64')
    """
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (float16, float32 or float64) the dtype of floating tensors created without ``dtype=``.

    It applies to ``wg.tensor`` of Python floats and to the creation functions
    (``zeros``, ``rand``, ``arange`` of floats...); NumPy arrays keep their own
    dtype, as in PyTorch.

    Example:
        >>> import wengert as wg
        >>> set_default_dtype(float32)
        >>> wg.tensor([1.0]).dtype
        dtype('float32')
        >>> set_default_dtype(float64)
    """
    global _default_float
    converted = as_dtype(dtype, "set_default_dtype")
    if converted.kind != "f":
        raise TypeError(
            f"set_default_dtype: only floating-point types are supported as the default type, got {converted}"
        )
    _default_float = converted


class Device:
    """Where a tensor's values live: always the CPU (PyTorch's ``torch.device``).

    ``str(device)`` is ``"cpu"`` and ``device.type == "cpu"``. Any other device
    ("cuda", "mps"...) raises a RuntimeError: wengert computes with NumPy.

    Example:
        >>> Device("cpu"), str(Device("cpu")), Device("cpu").type
        (device(type='cpu'), 'cpu', 'cpu')
        >>> Device("cpu") == Device("cpu:0")
        False
    """

    __slots__ = ("type", "index")

    def __init__(self, device: Any = "cpu", index: int | None = None) -> None:
        if isinstance(device, Device):
            device, index = device.type, device.index if index is None else index
        text = str(device)  # a torch.device too
        name, _, number = text.partition(":")
        if name != "cpu" or (number and not number.isdigit()):
            raise RuntimeError(
                f"wengert computes on the CPU only (with NumPy); got device {text!r}: pass device='cpu' or leave it out"
            )
        if number:
            if index is not None:
                raise RuntimeError(f"device {text!r} names an index; do not pass index= as well")
            index = int(number)
        if index is not None and (isinstance(index, bool) or not isinstance(index, (int, np.integer))):
            raise TypeError(f"device index must be an int, got {index!r}")
        self.type = "cpu"
        self.index = None if index is None else int(index)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = Device("cpu")


def check_device(device: Any, operation: str) -> None:
    """Refuse any device but the CPU (None, "cpu", ``Device("cpu")`` or ``torch.device("cpu")`` pass).

    Example:
        >>> check_device("cpu", "zeros")
        >>> check_device("cuda", "zeros")
        Traceback (most recent call last):
        ...
        RuntimeError: zeros: wengert computes on the CPU only (with NumPy); got device 'cuda': ...
    """
    if device is None or isinstance(device, Device):
        return
    if not isinstance(device, str) and type(device).__module__.split(".")[0] != "torch":
        raise TypeError(f"{operation}: device must be 'cpu' (or a wg.Device), got {type(device).__name__} {device!r}")
    try:
        Device(device)
    except (RuntimeError, TypeError) as error:
        raise type(error)(f"{operation}: {error}") from None


__all__ = [
    "CPU",
    "Device",
    "as_dtype",
    "bool_",
    "check_device",
    "double",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "half",
    "int16",
    "int32",
    "int64",
    "int8",
    "long",
    "set_default_dtype",
    "short",
    "uint8",
]
