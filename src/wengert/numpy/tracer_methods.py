"""Give every tracer the array interface: operators, properties, methods, NumPy protocols.

The core's `Tracer` knows no operations. Here the NumPy layer installs them, so
that code written for arrays (``x * y``, ``x.sum(axis=0)``, ``x.T @ w``,
``np.sin(x)``) runs unchanged on tracers, dual numbers and tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer, bind
from . import elementwise as el
from . import indexing, logic, products, reductions
from . import shape as sh
from ._primitives import EMPTY, dtype, shape


def _binary(prim: Any, swap: bool = False):
    if swap:

        def method(self: Tracer, other: Any) -> Any:
            kind = type(other)
            if kind is list or kind is tuple:
                other = np.asarray(other)
            if isinstance(other, Tracer):
                return bind(prim, (other, self), EMPTY)
            return self._trace.process_binary(prim, other, self, EMPTY)

    else:

        def method(self: Tracer, other: Any) -> Any:
            if isinstance(other, Tracer):
                trace = self._trace
                if other._trace is trace:
                    return trace.process_binary(prim, self, other, EMPTY)
                return bind(prim, (self, other), EMPTY)
            kind = type(other)
            if kind is list or kind is tuple:
                other = np.asarray(other)
            return self._trace.process_binary(prim, self, other, EMPTY)

    return method


def _function_method(function: Any, swap: bool = False):
    if swap:
        return lambda self, other: function(other, self)
    return lambda self, other: function(self, other)


def install(cls: type) -> None:
    """Install the array interface on ``cls`` (the core's Tracer)."""
    for name, prim_function in [
        ("add", el.add),
        ("sub", el.subtract),
        ("mul", el.multiply),
        ("truediv", el.divide),
        ("pow", el.power),
        ("mod", el.remainder),
    ]:
        prim = prim_function.primitive
        setattr(cls, f"__{name}__", _binary(prim))
        setattr(cls, f"__r{name}__", _binary(prim, swap=True))
    cls.__matmul__ = _function_method(products.matmul)
    cls.__rmatmul__ = _function_method(products.matmul, swap=True)
    cls.__floordiv__ = _function_method(el.floor_divide)
    cls.__rfloordiv__ = _function_method(el.floor_divide, swap=True)
    cls.__neg__ = lambda self: el.negative(self)
    cls.__pos__ = lambda self: self
    cls.__abs__ = lambda self: el.abs(self)
    cls.__lt__ = _function_method(logic.less)
    cls.__le__ = _function_method(logic.less_equal)
    cls.__gt__ = _function_method(logic.greater)
    cls.__ge__ = _function_method(logic.greater_equal)
    cls.__eq__ = _function_method(logic.equal)
    cls.__ne__ = _function_method(logic.not_equal)
    cls.__and__ = _function_method(logic.logical_and)
    cls.__or__ = _function_method(logic.logical_or)
    cls.__invert__ = lambda self: logic.logical_not(self)
    cls.__hash__ = object.__hash__
    cls.__getitem__ = lambda self, index: indexing.getitem(self, index)
    cls.at = property(indexing.at, doc="Index updates out of place: ``x.at[index].set(v)``, ``.add(v)``... (JAX's).")
    cls.__len__ = _len
    cls.__iter__ = _iter

    cls.shape = property(lambda self: shape(self.primal), doc="The shape of the value.")
    cls.ndim = property(lambda self: len(self.shape), doc="The number of dimensions.")
    cls.dtype = property(lambda self: dtype(self.primal), doc="The dtype of the value.")
    cls.size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    cls.T = property(lambda self: sh.transpose(self), doc="The transpose (axes reversed).")
    cls.mT = property(lambda self: sh.swapaxes(self, -1, -2), doc="The transpose of the last two axes.")

    cls.sum = lambda self, axis=None, keepdims=False: reductions.sum(self, axis, keepdims)
    cls.mean = lambda self, axis=None, keepdims=False: reductions.mean(self, axis, keepdims)
    cls.prod = lambda self, axis=None, keepdims=False: reductions.prod(self, axis, keepdims)
    cls.max = lambda self, axis=None, keepdims=False: reductions.amax(self, axis, keepdims)
    cls.min = lambda self, axis=None, keepdims=False: reductions.amin(self, axis, keepdims)
    cls.var = lambda self, axis=None, ddof=0, keepdims=False: reductions.var(self, axis, ddof, keepdims)
    cls.std = lambda self, axis=None, ddof=0, keepdims=False: reductions.std(self, axis, ddof, keepdims)
    cls.cumsum = lambda self, axis=None: reductions.cumsum(self, axis)
    cls.cumprod = lambda self, axis=None: reductions.cumprod(self, axis)
    cls.argmax = lambda self, axis=None: logic.argmax(self, axis)
    cls.argmin = lambda self, axis=None: logic.argmin(self, axis)
    cls.any = lambda self, axis=None: logic.any(self, axis)
    cls.all = lambda self, axis=None: logic.all(self, axis)
    cls.reshape = lambda self, *shape_: sh.reshape(self, shape_[0] if len(shape_) == 1 else shape_)
    cls.transpose = lambda self, *axes: sh.transpose(
        self, None if not axes else (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes)
    )
    cls.swapaxes = lambda self, a, b: sh.swapaxes(self, a, b)
    cls.ravel = lambda self: sh.reshape(self, (-1,))
    cls.flatten = lambda self: sh.reshape(self, (-1,))
    cls.squeeze = lambda self, axis=None: sh.squeeze(self, axis)
    cls.dot = lambda self, other: products.dot(self, other)
    cls.clip = lambda self, a_min=None, a_max=None: el.clip(self, a_min, a_max)
    cls.astype = lambda self, new_dtype: el.astype(self, new_dtype)
    cls.__array_ufunc__ = _array_ufunc
    cls.__array_function__ = _array_function


def _len(self: Tracer) -> int:
    s = self.shape
    if not s:
        raise TypeError("len() of a 0-d value")
    return s[0]


def _iter(self: Tracer):
    for i in range(_len(self)):
        yield indexing.getitem(self, i)


_UFUNC_ALIASES = {"absolute": "abs", "true_divide": "divide", "conjugate": "positive"}


def _array_ufunc(self: Tracer, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NumPy ufuncs on tracers dispatch to the wengert primitive of the same name."""
    import wengert.numpy as wnp

    if method != "__call__" or kwargs.get("out") is not None:
        return NotImplemented
    name = _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__)
    function = getattr(wnp, name, None)
    if function is None:
        raise TypeError(
            f"numpy.{ufunc.__name__} has no wengert rule; it cannot be applied to a traced value "
            f"(its inputs were {[type(i).__name__ for i in inputs]})"
        )
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    return function(*inputs, **kwargs)


def _array_function(self: Tracer, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    """NumPy functions on tracers dispatch to the ``wengert.numpy`` function of the same name."""
    import wengert.numpy as wnp

    namespace = wnp.linalg if getattr(func, "__module__", "").startswith("numpy.linalg") else wnp
    function = getattr(namespace, func.__name__, None)
    if function is None or function is func:
        raise TypeError(
            f"numpy.{func.__name__} has no wengert implementation; it cannot be applied to a traced "
            "value. Use a wengert.numpy function or wg.stop_gradient."
        )
    return function(*args, **kwargs)


install(Tracer)
