"""The PyTorch dialect: `Tensor`, ``backward()``, ``autograd.grad``, ``no_grad``.

A `Tensor` is a tracer of the long-lived level-0 reverse trace, `TAPE`. A
tensor that requires grad carries a node; every operation on such tensors
records a node whose parents are its inputs' nodes, so the graph reachable from
a result is PyTorch's implicit tape. ``backward()`` sorts that graph and runs
the VJP rules; with ``create_graph=True`` the rules run on tensors again, so the
backward pass is itself recorded and can be differentiated.

Example:
    >>> import wengert as wg
    >>> x = wg.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, NamedTuple

import numpy as np

from . import dtypes
from . import numpy as wnp
from .core import (
    GraphTrace,
    Node,
    ReverseTracer,
    Tracer,
    backward_pass,
    bind,
    clear_cotangents,
    free_saved_values,
    leaf_node,
    mark_needed,
    state,
    toposort,
)
from .core.trace import TracerConversionError
from .dtypes import CPU, Device, as_dtype, check_device
from .numpy.elementwise import astype_p
from .numpy.indexing import index_update


class Tensor(ReverseTracer):
    """An array that can record the operations applied to it (PyTorch's ``torch.Tensor``).

    Make one with `tensor`. ``requires_grad=True`` starts recording; ``.grad``
    receives gradients accumulated by ``backward()``.
    """

    __slots__ = ("_grad", "_version", "__weakref__")

    def __init__(self, primal: Any, trace: GraphTrace, node: Node | None) -> None:
        self.primal = primal
        self._trace = trace
        self._node = node
        self._grad = None
        self._version = [0, None]

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by ``backward()`` (None until then).

        Only leaves, and non-leaf tensors that called ``retain_grad()``, receive
        one; reading ``.grad`` of another non-leaf tensor warns, as PyTorch does.

        Example:
            >>> x = tensor(2.0, requires_grad=True)
            >>> (x * x).backward()
            >>> x.grad
            tensor(4.)
        """
        grad = self._grad
        if grad is None:
            node = self._node
            if node is not None and node.primitive is not None and node.owner is None:
                warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        self._grad = value

    # -- recording state ---------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for differentiation."""
        return self._node is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf tensor, in place."""
        if requires_grad:
            if self._node is None:
                _check_differentiable_dtype(self.primal)
                self._node = _leaf_for(self)
        else:
            if self._node is not None and self._node.primitive is not None:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf tensors; use detach() for a non-leaf tensor"
                )
            self._node = None
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation."""
        return self._node is None or self._node.primitive is None

    @property
    def grad_fn(self) -> Node | None:
        """The node that produced this tensor (None for leaves)."""
        node = self._node
        return node if node is not None and node.primitive is not None else None

    def detach(self) -> Tensor:
        """The same values, cut from the graph.

        The two tensors start out sharing one array, but in-place operations give
        a tensor a new array rather than writing into the old one, so an in-place
        change of either is not seen by the other (unlike PyTorch, where they
        keep sharing storage).
        """
        return Tensor(self.primal, TAPE, None)

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A copy of a leaf tensor with its own array, gradient and requires_grad flag."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "only leaf tensors (made by the user, not by a recorded operation) can be deep-copied; "
                "use detach() or clone() first"
            )
        copy = Tensor(np.array(self.primal, copy=True), TAPE, None)
        memo[id(self)] = copy
        if self.requires_grad:
            copy.requires_grad_(True)
        if self.grad is not None:
            copy.grad = Tensor(np.array(self.grad.primal, copy=True), TAPE, None)
        return copy

    def __reduce__(self) -> tuple:
        """Pickle the values and the requires_grad flag of a leaf (recorded history is not pickled)."""
        return (_rebuild_tensor, (np.asarray(self.primal), self.requires_grad and self.is_leaf))

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, in place: it becomes a leaf that does not require grad."""
        self._node = None
        return self

    def clone(self) -> Tensor:
        """A copy whose gradient flows back to this tensor.

        Example:
            >>> x = tensor([1.0, 2.0], requires_grad=True)
            >>> x.clone()
            tensor([1., 2.], grad_fn=<astype>)
        """
        if not self.requires_grad:
            return Tensor(np.array(self.primal), TAPE, None)
        # A conversion to the same dtype copies the array, and being linear it saves no values whose
        # later in-place change would have to be checked.
        return bind(astype_p, (self,), {"dtype": np.asarray(self.primal).dtype})

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()`` (leaves always do).

        Example:
            >>> x = tensor(2.0, requires_grad=True)
            >>> y = x * 3
            >>> y.retain_grad()
            >>> (y * y).backward()
            >>> float(y.grad)
            12.0
        """
        if self._node is None:
            raise RuntimeError("retain_grad() needs a tensor that requires grad")
        if self._node.owner is None:
            self._node.owner = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        """Whether ``backward()`` stores this non-leaf tensor's gradient in ``.grad``."""
        node = self._node
        return node is not None and node.primitive is not None and node.owner is not None

    # -- backward ----------------------------------------------------------------

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of the leaves that require grad.

        Example:
            >>> x = tensor(3.0, requires_grad=True)
            >>> (x ** 2).backward()
            >>> float(x.grad)
            6.0
        """
        run_backward([self], [gradient], inputs, retain_graph, create_graph, accumulate=True)

    # -- conversion --------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (the tensor's own array, not a copy).

        As in PyTorch, a tensor that requires grad refuses: the array would not
        carry the derivative. Use ``t.detach().numpy()``.

        Example:
            >>> tensor([1.0, 2.0]).numpy()
            array([1., 2.])
        """
        if self._node is not None:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad: the NumPy array would not carry its "
                "derivative. Use tensor.detach().numpy() instead."
            )
        return self._value()

    def _value(self) -> np.ndarray:
        # A tensor whose values are traced by a transformation refuses here too (the tracer's own error).
        return np.asarray(self.primal)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number (as in PyTorch, also with requires_grad)."""
        value = self._value()
        if value.size != 1:
            raise ValueError(f"only one-element tensors can be converted to Python scalars, got shape {value.shape}")
        return value.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers, as in PyTorch."""
        return self._value().tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # np.asarray(t) / np.array(t) mean t.numpy(), which refuses a tensor that requires grad.
        # NumPy passes copy=True for np.array(t): the caller must get an array it may change freely.
        value = self.numpy()
        if copy:
            return np.array(value, dtype=dtype, copy=True)
        if dtype is not None and np.dtype(dtype) != value.dtype:
            if copy is False:
                raise ValueError(f"converting a tensor of dtype {value.dtype} to {np.dtype(dtype)} needs a copy")
            return value.astype(dtype)
        return value

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        value = self._value()
        if value.size != 1 or value.dtype.kind not in "iub":
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index "
                f"(got dtype {value.dtype}, shape {value.shape})"
            )
        return value.item().__index__()

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(self.primal), separator=", ", prefix="tensor(")
        extras = []
        if np.asarray(self.primal).dtype not in (np.float64, np.int64, np.bool_):
            extras.append(f"dtype={np.asarray(self.primal).dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.primitive.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    __str__ = __repr__

    # -- PyTorch-style shape and dtype ---------------------------------------------

    def size(self, dim: int | None = None) -> Any:
        """The shape (PyTorch's ``size()``), or the length of dimension ``dim``."""
        s = np.shape(self.primal)
        return s if dim is None else s[dim]

    def numel(self) -> int:
        return int(np.prod(np.shape(self.primal), dtype=np.int64))

    def dim(self) -> int:
        return np.ndim(self.primal)

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point one."""
        return np.dtype(self.dtype).kind == "f"

    # -- dtype and device (PyTorch's .to, .float(), .cpu()...) ----------------------

    @property
    def device(self) -> Device:
        """Where the values live: always the CPU (``str(t.device) == "cpu"``, ``t.device.type == "cpu"``)."""
        return CPU

    is_cuda = False

    def to(
        self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False, copy: bool = False
    ) -> Tensor:
        """This tensor in another dtype (differentiably), or itself when nothing changes: PyTorch's ``to``.

        Takes a dtype (``t.to(wg.float32)``), a device (only ``"cpu"``), both,
        or another tensor, whose dtype it takes (``t.to(other)``).
        ``copy=True`` gives a new tensor even when nothing changes.

        Example:
            >>> x = tensor([1.0, 2.0], requires_grad=True)
            >>> x.to("cpu") is x, x.to(np.float32).dtype
            (True, dtype('float32'))
        """
        for arg in args:
            if isinstance(arg, Tensor):
                target = arg.dtype
            elif isinstance(arg, (str, Device)) or type(arg).__name__ == "device":
                device, target = arg, None
            else:
                target = arg
            if target is not None:
                if dtype is not None:
                    raise TypeError(f"to(): two dtypes given ({dtype!r} and {target!r}); pass one")
                dtype = target
        check_device(device, "to")
        if dtype is not None:
            dtype = as_dtype(dtype, "to")
            if dtype != self.dtype:
                return wnp.astype(self, dtype)
        return self.clone() if copy else self

    def cpu(self) -> Tensor:
        """This tensor (its values are always on the CPU)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Refused: wengert computes on the CPU only."""
        raise RuntimeError("cuda(): wengert computes on the CPU only (with NumPy); use .cpu() or leave it out")

    def float(self) -> Tensor:
        """This tensor as float32 (differentiable; itself when it already is)."""
        return wnp.astype(self, np.float32)

    def double(self) -> Tensor:
        """This tensor as float64 (differentiable; itself when it already is)."""
        return wnp.astype(self, np.float64)

    def half(self) -> Tensor:
        """This tensor as float16."""
        return wnp.astype(self, np.float16)

    def long(self) -> Tensor:
        """This tensor as int64 (not differentiable)."""
        return wnp.astype(self, np.int64)

    def int(self) -> Tensor:
        """This tensor as int32 (not differentiable)."""
        return wnp.astype(self, np.int32)

    def bool(self) -> Tensor:
        """This tensor as booleans (not differentiable)."""
        return wnp.astype(self, np.bool_)

    # -- .data: the values without the graph ----------------------------------------

    @property
    def data(self) -> Tensor:
        """The values as a tensor that records nothing, changes to which are this tensor's (PyTorch's ``.data``).

        ``p.data`` reads this tensor's current values, and an in-place change
        of it (``p.data.add_(u)``, ``p.data.copy_(v)``, ``p.data.zero_()``)
        gives this tensor the new values without recording anything and
        without advancing its version: the change is invisible to autograd, as
        in PyTorch. Recorded operations keep the values they saved (wengert
        never overwrites an array), so a backward pass through a graph made
        before the change differentiates that graph exactly. ``p.data = t``
        gives ``p`` the values of the tensor ``t`` (any shape and dtype;
        floating-point if ``p`` requires grad), keeping ``p``'s identity, its
        ``requires_grad`` and its ``.grad``. Prefer ``with wg.no_grad():`` and
        ``detach()`` in new code.

        Example:
            >>> p = tensor([1.0, 2.0], requires_grad=True)
            >>> p.data.mul_(10)
            tensor([10., 20.])
            >>> p
            tensor([10., 20.], requires_grad=True)
        """
        return _SharedValues(self)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"data has to be a tensor, got {type(value).__name__}; wrap arrays with wg.tensor(...) "
                "or wg.from_numpy(...)"
            )
        new = value.primal
        if self._node is not None and np.dtype(value.dtype).kind != "f":
            raise RuntimeError(
                f"data set to a tensor of dtype {value.dtype}, but this tensor requires grad: its data must be "
                "floating point"
            )
        self.primal = new

    # -- shape -----------------------------------------------------------------------

    def view(self, *shape: Any) -> Tensor:
        return wnp.reshape(self, shape[0] if len(shape) == 1 else shape)

    def unsqueeze(self, dim: int) -> Tensor:
        return wnp.expand_dims(self, dim)

    def t(self) -> Tensor:
        """The transpose of a matrix (a tensor of at most 2 dimensions, as PyTorch's ``t()``)."""
        if len(self.shape) > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but this one has {len(self.shape)}; "
                "use transpose(dim0, dim1) or permute(...)"
            )
        return wnp.transpose(self)

    def transpose(self, *dims: Any) -> Tensor:
        """Swap two dimensions, as PyTorch: ``t.transpose(0, 1)``; other forms are NumPy's ``transpose(axes)``.

        Two integers always mean PyTorch's swap (on a matrix NumPy's
        ``transpose(0, 1)`` would be the identity). No argument reverses the
        axes; one tuple or three or more integers are a NumPy permutation.

        Example:
            >>> tensor(np.zeros((2, 3, 4))).transpose(0, 2).shape
            (4, 3, 2)
        """
        if len(dims) == 2 and all(_is_int(d) for d in dims):
            return wnp.swapaxes(self, _dim_index(dims[0], len(self.shape), "transpose"), dims[1])
        if not dims:
            return wnp.transpose(self)
        return wnp.transpose(self, dims[0] if len(dims) == 1 and not _is_int(dims[0]) else dims)

    def permute(self, *dims: Any) -> Tensor:
        """The dimensions in the order ``dims`` (``t.permute(2, 0, 1)`` or ``t.permute((2, 0, 1))``).

        Example:
            >>> tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape
            (4, 2, 3)
        """
        if len(dims) == 1 and not _is_int(dims[0]):
            dims = tuple(dims[0])
        ndim = len(self.shape)
        if len(dims) != ndim:
            raise RuntimeError(
                f"permute: the tensor has {ndim} dimensions but {len(dims)} were given ({dims}); "
                "name each dimension once"
            )
        axes = tuple(_dim_index(d, ndim, "permute") for d in dims)
        if len(set(axes)) != ndim:
            raise RuntimeError(f"permute: repeated dimension in {dims}")
        return wnp.transpose(self, axes)

    def squeeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """Remove dimensions of length 1: all of them, or those of ``dim`` (an int or a tuple) that have length 1.

        As in PyTorch, a named dimension whose length is not 1 is left alone
        (NumPy's ``axis=`` keyword raises there instead).

        Example:
            >>> tensor(np.zeros((2, 1, 3))).squeeze(0).shape, tensor(np.zeros((2, 1, 3))).squeeze(1).shape
            ((2, 1, 3), (2, 3))
        """
        if axis is not None:
            return wnp.squeeze(self, axis)
        if dim is None:
            return wnp.squeeze(self)
        shape = self.shape
        dims = (dim,) if _is_int(dim) else tuple(dim)
        axes = tuple(sorted({_dim_index(d, len(shape), "squeeze") for d in dims}))
        return wnp.squeeze(self, tuple(a for a in axes if len(shape) and shape[a] == 1))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim`` to ``end_dim`` into one (all of them by default; a 0-d tensor gives 1-d).

        Example:
            >>> tensor(np.zeros((2, 3, 4))).flatten(1).shape
            (2, 12)
        """
        shape = self.shape
        if not shape:
            return wnp.reshape(self, (1,))
        start = _dim_index(start_dim, len(shape), "flatten")
        end = _dim_index(end_dim, len(shape), "flatten")
        if start > end:
            raise RuntimeError(f"flatten() has invalid args: start_dim {start_dim} cannot come after end_dim {end_dim}")
        merged = int(np.prod(shape[start : end + 1], dtype=np.int64))
        return wnp.reshape(self, (*shape[:start], merged, *shape[end + 1 :]))

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces along ``dim``: each of ``split_size`` (the last may be shorter), or of the listed sizes.

        Every piece is differentiable; the gradient of each goes back to its place.

        Example:
            >>> [p.shape for p in tensor(np.zeros((5, 2))).split(2)]
            [(2, 2), (2, 2), (1, 2)]
            >>> [p.shape for p in tensor(np.zeros((5, 2))).split([1, 4])]
            [(1, 2), (4, 2)]
        """
        axis = _dim_index(dim, len(self.shape), "split")
        length = self.shape[axis]
        if _is_int(split_size_or_sections):
            size = int(split_size_or_sections)
            if size < 0 or (size == 0 and length != 0):
                raise RuntimeError(
                    f"split: split_size must be positive (0 only for a dimension of length 0), got {size} "
                    f"for a dimension of length {length}"
                )
            starts = range(0, length, size) if length else range(1)
            bounds = [(start, min(start + size, length)) for start in starts]
        else:
            sizes = list(split_size_or_sections)
            if not all(_is_int(s) and s >= 0 for s in sizes) or sum(sizes) != length:
                raise RuntimeError(
                    f"split: the sizes {sizes} must be non-negative integers that sum to {length}, the length of "
                    f"dimension {dim} of a tensor of shape {self.shape}"
                )
            ends = np.cumsum(sizes).tolist()
            bounds = list(zip([0, *ends[:-1]], ends))
        leading = (slice(None),) * axis
        return tuple(self[(*leading, slice(start, stop))] for start, stop in bounds)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most ``chunks`` pieces along ``dim``, each ceil(length / chunks) long but the last (PyTorch's rule).

        Example:
            >>> [p.shape for p in tensor(np.zeros(5)).chunk(3)]
            [(2,), (2,), (1,)]
        """
        if not _is_int(chunks) or chunks <= 0:
            raise RuntimeError(f"chunk: chunks must be a positive integer, got {chunks!r}")
        axis = _dim_index(dim, len(self.shape), "chunk")
        length = self.shape[axis]
        if length == 0:  # PyTorch gives `chunks` empty pieces
            return tuple(self[(*(slice(None),) * axis, slice(0, 0))] for _ in range(int(chunks)))
        return self.split(-(-length // int(chunks)), dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, with that dimension removed (differentiable).

        Example:
            >>> x, y = tensor([[1.0, 2.0], [3.0, 4.0]]).unbind(1)
            >>> x
            tensor([1., 3.])
        """
        axis = _dim_index(dim, len(self.shape), "unbind")
        leading = (slice(None),) * axis
        return tuple(self[(*leading, index)] for index in range(self.shape[axis]))

    def mm(self, other: Any) -> Tensor:
        return wnp.matmul(self, other)

    matmul = mm

    def pow(self, exponent: Any) -> Tensor:
        return wnp.power(self, exponent)

    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self + alpha * other``."""
        return wnp.add(self, other if alpha == 1 else wnp.multiply(other, alpha))

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self - alpha * other``."""
        return wnp.subtract(self, other if alpha == 1 else wnp.multiply(other, alpha))

    def mul(self, other: Any) -> Tensor:
        """``self * other``."""
        return wnp.multiply(self, other)

    def div(self, other: Any) -> Tensor:
        """``self / other``."""
        return wnp.divide(self, other)

    # Reductions take PyTorch's dim/keepdim as well as NumPy's axis/keepdims.
    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        return wnp.sum(self, _axis(dim, axis), _keep(keepdim, keepdims))

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        return wnp.mean(self, _axis(dim, axis), _keep(keepdim, keepdims))

    def prod(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        return wnp.prod(self, _axis(dim, axis), _keep(keepdim, keepdims))

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
        """The largest element; along ``dim``, the named tuple ``(values, indices)``, as PyTorch's ``max``.

        ``t.max(other_tensor)`` is the elementwise maximum. The gradient of
        ``values`` goes to the element ``indices`` names (the first of ties);
        the gradient of ``t.max()`` is shared among tied elements. NumPy's
        keywords ``axis=``/``keepdims=`` give the values only, as ``np.max``.

        Example:
            >>> values, indices = tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
            >>> values, indices
            (tensor([5., 7.]), tensor([1, 0]))
        """
        return _extremum(self, "max", dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
        """The smallest element; along ``dim``, the named tuple ``(values, indices)`` (see `max`).

        Example:
            >>> tensor([[1.0, 5.0], [7.0, 2.0]]).min(0).indices
            tensor([0, 1])
        """
        return _extremum(self, "min", dim, keepdim, axis, keepdims)

    def argmax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        """The index of the largest element (in the flattened tensor when ``dim`` is None).

        Example:
            >>> tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1)
            tensor([1, 0])
        """
        return _arg_extremum(self, wnp.argmax, "argmax", _axis(dim, axis), keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        """The index of the smallest element (in the flattened tensor when ``dim`` is None)."""
        return _arg_extremum(self, wnp.argmin, "argmin", _axis(dim, axis), keepdim)

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The ``p``-norm of all elements, or over ``dim`` (an int or a tuple): PyTorch's ``norm``.

        ``p`` is a number (inf, -inf and 0 included) or ``"fro"`` (the 2-norm
        of the elements) for a vector norm over the dimensions, or ``"nuc"``
        for the nuclear norm of a matrix (``dim`` a pair). At 0 the gradient is
        the zero subgradient.

        Example:
            >>> tensor([[3.0, 4.0], [0.0, 0.0]]).norm(dim=1)
            tensor([5., 0.])
        """
        return _norm(self, p, dim, keepdim)

    def var(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: bool = False,
        *,
        correction: Any = None,
        axis: Any = None,
        ddof: Any = None,
        keepdims: Any = None,
    ) -> Tensor:
        """The variance, with PyTorch's default ``correction=1`` (divide by N - 1).

        ``unbiased=False`` or ``correction=0`` divide by N; NumPy's ``ddof=``
        is honoured too (``t.var(ddof=0)`` is ``np.var``).

        Example:
            >>> tensor([1.0, 2.0, 3.0, 4.0]).var()
            tensor(1.66666667)
        """
        dim, correction = _variance_arguments(dim, unbiased, correction, axis, ddof)
        return wnp.var(self, dim, correction, _keep(keepdim, keepdims))

    def std(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: bool = False,
        *,
        correction: Any = None,
        axis: Any = None,
        ddof: Any = None,
        keepdims: Any = None,
    ) -> Tensor:
        """The standard deviation, with PyTorch's default ``correction=1`` (see `var`).

        Example:
            >>> tensor([1.0, 3.0]).std()
            tensor(1.41421356)
        """
        dim, correction = _variance_arguments(dim, unbiased, correction, axis, ddof)
        return wnp.std(self, dim, correction, _keep(keepdim, keepdims))

    # -- in-place operations -------------------------------------------------------

    def _refuse_leaf_in_place(self, operation: str) -> None:
        """PyTorch's refusal of an in-place update of a leaf that requires grad, while recording."""
        if state.grad_enabled and self._node is not None and self._node.primitive is None:
            raise RuntimeError(
                f"a leaf tensor that requires grad is being used in an in-place operation ('{operation}'); "
                "wrap the update in `with wg.no_grad():` or use an out-of-place operation"
            )

    def _update_in_place(self, result: Any, operation: str) -> Tensor:
        """Make this tensor hold ``result``: a new version, rebased onto result's node.

        The tensor is given the result's array; the old array is not written
        to, so values saved by recorded operations stay intact. The version
        counter still advances, so that a backward pass through an operation
        that saved this tensor's old value fails loudly, as in PyTorch.
        """
        recording = state.grad_enabled
        self._refuse_leaf_in_place(operation)
        if not isinstance(result, Tensor):
            result = Tensor(result, TAPE, None)
        if recording and self._node is not None and result._node is None:
            # The new value does not depend on anything recorded (zero_, fill_, copy_ from a constant):
            # rebase onto an operation that reads the old value with a zero derivative, so the gradient
            # no longer flows into the graph that produced the old value.
            result = index_update(self, result.primal, Ellipsis)
        value = result.primal
        if np.shape(value) != np.shape(self.primal):
            raise RuntimeError(
                f"in-place '{operation}': the result of shape {np.shape(value)} does not fit "
                f"a tensor of shape {np.shape(self.primal)}"
            )
        own_dtype = np.asarray(self.primal).dtype
        if np.asarray(value).dtype != own_dtype:
            if not np.can_cast(np.asarray(value).dtype, own_dtype, casting="same_kind"):
                raise TypeError(
                    f"in-place '{operation}': the result of dtype {np.asarray(value).dtype} cannot be stored "
                    f"in a tensor of dtype {own_dtype}"
                )
            value = np.asarray(value, dtype=own_dtype)
        self.primal = value
        counter = self._version
        counter[0] += 1
        counter[1] = operation
        if recording and result._node is not None:
            node = result._node
            self._node = node
            if node.versions is not None:
                # What this operation saved of this tensor (its old value, and its output, the new value)
                # are arrays that later in-place updates replace rather than overwrite, so they cannot go
                # stale: only the versions of its other arguments still need checking.
                others = [entry for entry in node.versions[1:] if entry[0] is not counter]
                node.versions = others or None
        return self

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        return self._update_in_place(wnp.add(self, other if alpha == 1 else wnp.multiply(other, alpha)), "add_")

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return self._update_in_place(wnp.subtract(self, other if alpha == 1 else wnp.multiply(other, alpha)), "sub_")

    def mul_(self, other: Any) -> Tensor:
        return self._update_in_place(wnp.multiply(self, other), "mul_")

    def div_(self, other: Any) -> Tensor:
        return self._update_in_place(wnp.divide(self, other), "div_")

    def pow_(self, other: Any) -> Tensor:
        return self._update_in_place(wnp.power(self, other), "pow_")

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self._update_in_place(wnp.clip(self, min, max), "clamp_")

    def zero_(self) -> Tensor:
        """Set every element to zero, in place."""
        return self._update_in_place(index_update(self, 0, Ellipsis), "zero_")

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value``, in place (a tensor value is differentiated through)."""
        return self._update_in_place(index_update(self, _as_value(value), Ellipsis), "fill_")

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from N(mean, std²), in place, from the default generator unless one is given."""
        from .nn.init import normal_

        self._refuse_leaf_in_place("normal_")
        return normal_(self, mean, std, generator=generator)

    def uniform_(self, low: float = 0.0, high: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws uniform on [low, high), in place (PyTorch's ``from``/``to``), from the default generator."""
        from .nn.init import uniform_

        self._refuse_leaf_in_place("uniform_")
        return uniform_(self, low, high, generator=generator)

    def copy_(self, source: Any) -> Tensor:
        """Copy ``source`` (broadcast to this tensor's shape) into this tensor, in place."""
        source = _as_value(source)
        source_shape = np.shape(source.primal if isinstance(source, Tracer) else source)
        try:
            np.broadcast_shapes(source_shape, np.shape(self.primal))
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {source_shape} cannot be broadcast to this tensor's shape "
                f"{np.shape(self.primal)}"
            ) from None
        return self._update_in_place(index_update(self, source, Ellipsis), "copy_")

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._update_in_place(index_update(self, _as_value(value), index), "__setitem__")


_UNARY_METHODS = (
    "exp log sin cos tan tanh sqrt abs sigmoid relu softplus square sinh cosh log1p expm1 reciprocal sign floor ceil"
)
for _name in _UNARY_METHODS.split():
    setattr(Tensor, _name, (lambda function: lambda self: function(self))(getattr(wnp, _name)))
Tensor.neg = lambda self: wnp.negative(self)
Tensor.softmax = lambda self, dim=-1: wnp.softmax(self, dim)
Tensor.log_softmax = lambda self, dim=-1: wnp.log_softmax(self, dim)
Tensor.clamp = lambda self, min=None, max=None: wnp.clip(self, min, max)


class ValuesIndices(NamedTuple):
    """What ``max``/``min`` along a dimension return: the ``values`` and their ``indices`` (PyTorch's)."""

    values: Any
    indices: Any


class _SharedValues(Tensor):
    """``base.data``: a tensor that records nothing and reads and writes ``base``'s values.

    Its ``primal`` is the base's, so it always shows the base's current values,
    and in-place operations on it (which give a tensor a new array) give the
    base that array. It has a version counter of its own, as PyTorch's ``.data``.
    """

    __slots__ = ("_base",)

    def __init__(self, base: Tensor) -> None:
        while type(base) is _SharedValues:
            base = base._base
        self._base = base
        self._trace = TAPE
        self._node = None
        self._grad = None
        self._version = [0, None]

    @property
    def primal(self) -> Any:
        return self._base.primal

    @primal.setter
    def primal(self, value: Any) -> None:
        self._base.primal = value


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _dim_index(dim: Any, ndim: int, operation: str) -> int:
    """``dim`` as an index in [0, ndim) (a 0-d tensor takes 0 and -1), or PyTorch's IndexError."""
    if not _is_int(dim):
        raise TypeError(f"{operation}: dim must be an int, got {type(dim).__name__} {dim!r}")
    span = max(ndim, 1)
    if not -span <= dim < span:
        raise IndexError(
            f"{operation}: dimension out of range (expected to be in range of [{-span}, {span - 1}], but got {dim})"
        )
    return int(dim) % span


def _extremum(x: Tensor, which: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> Any:
    if axis is not None or keepdims is not None:  # NumPy's keywords: NumPy's meaning
        if dim is not None:
            raise TypeError(f"{which}(): pass PyTorch's dim=/keepdim= or NumPy's axis=/keepdims=, not a mix")
        reduce = wnp.amax if which == "max" else wnp.amin
        return reduce(x, axis, bool(keepdims) if keepdims is not None else bool(keepdim))
    if dim is None:
        if keepdim:
            raise TypeError(f"{which}(): keepdim=True needs a dim")
        return wnp.amax(x) if which == "max" else wnp.amin(x)
    if isinstance(dim, (Tracer, np.ndarray)):
        return wnp.maximum(x, dim) if which == "max" else wnp.minimum(x, dim)
    shape = x.shape
    axis = _dim_index(dim, len(shape), which)
    if not shape:
        return ValuesIndices(wnp.reshape(x, ()), Tensor(np.array(0), TAPE, None))
    if shape[axis] == 0:
        raise IndexError(f"{which}(): expected reduction dim {dim} to have non-zero size (shape {shape})")
    index = (wnp.argmax if which == "max" else wnp.argmin)(x, axis)
    values = wnp.take_along_axis(x, wnp.expand_dims(index, axis), axis)
    if keepdim:
        return ValuesIndices(values, wnp.expand_dims(index, axis))
    return ValuesIndices(wnp.squeeze(values, axis), index)


def _arg_extremum(x: Tensor, function: Callable[..., Any], operation: str, dim: Any, keepdim: bool) -> Tensor:
    shape = x.shape
    if dim is None:
        index = function(x)
        return wnp.reshape(index, (1,) * len(shape)) if keepdim else index
    axis = _dim_index(dim, len(shape), operation)
    if not shape:
        return Tensor(np.array(0), TAPE, None)
    if shape[axis] == 0:
        raise IndexError(f"{operation}(): expected reduction dim {dim} to have non-zero size (shape {shape})")
    index = function(x, axis)
    return wnp.expand_dims(index, axis) if keepdim else index


def _norm(x: Tensor, p: Any, dim: Any, keepdim: bool) -> Tensor:
    from .numpy.linalg import _vector_norm

    ndim = len(x.shape)
    if dim is None:
        axes = None
    else:
        dims = (dim,) if _is_int(dim) else tuple(dim)
        axes = tuple(_dim_index(d, ndim, "norm") for d in dims)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"norm: dim {dim} names a dimension twice")
    if isinstance(p, str):
        if p == "fro":
            return _vector_norm(x, 2, axes, bool(keepdim))
        if p == "nuc":
            if axes is None:
                if ndim != 2:
                    raise RuntimeError(f"norm: p='nuc' needs a matrix or dim=(d0, d1); got shape {x.shape}")
                axes = (0, 1)
            if len(axes) != 2:
                raise RuntimeError(f"norm: p='nuc' needs two dimensions, got dim={dim}")
            return wnp.linalg.norm(x, "nuc", axes, bool(keepdim))
        raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm: p must be a number, 'fro' or 'nuc', got {type(p).__name__} {p!r}")
    if np.dtype(x.dtype).kind != "f":
        raise RuntimeError(f"norm: the input dtype should be floating point, got {x.dtype}; use t.double() first")
    return _vector_norm(x, p, axes, bool(keepdim))


def _variance_arguments(dim: Any, unbiased: Any, correction: Any, axis: Any, ddof: Any) -> tuple[Any, Any]:
    """(axis, delta degrees of freedom) from PyTorch's and NumPy's spellings; PyTorch's default of 1."""
    if isinstance(dim, (bool, np.bool_)):  # t.var(False): PyTorch's var(unbiased)
        dim, unbiased = None, dim
    if sum(option is not None for option in (unbiased, correction, ddof)) > 1:
        raise TypeError("var/std: pass one of unbiased=, correction= and ddof=")
    if correction is None:
        correction = ddof if ddof is not None else (1 if unbiased is None or unbiased else 0)
    return _axis(dim, axis), correction


def _as_value(value: Any) -> Any:
    """A value for an in-place update: tracers as they are, lists and tuples as arrays."""
    return value if isinstance(value, Tracer) or not isinstance(value, (list, tuple)) else np.asarray(value)


def _axis(dim: Any, axis: Any) -> Any:
    return axis if axis is not None else dim


def _keep(keepdim: bool, keepdims: Any) -> bool:
    return bool(keepdims) if keepdims is not None else bool(keepdim)


def _leaf_for(tensor: Tensor) -> Node:
    node = leaf_node(None)  # the tensor itself holds the value; see _like_value
    node.owner = weakref.ref(tensor)
    return node


def _like_value(node: Node) -> Any:
    """The current value of the input a node stands for (for the result's shape and dtype)."""
    owner = node.owner() if node.owner is not None else None
    return owner.primal if owner is not None else node.ans


def _check_differentiable_dtype(value: Any) -> None:
    kind = np.asarray(value).dtype.kind
    if kind == "c":
        raise TypeError("complex tensors are not supported yet; derivatives of complex values would be wrong")
    if kind != "f":
        raise TypeError(
            f"only floating-point tensors can require gradients, got dtype {np.asarray(value).dtype}; "
            "create the tensor with dtype=float64 (or float32)"
        )


TAPE = GraphTrace(Tensor)

_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use "
    ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead."
)


def _rebuild_tensor(values: np.ndarray, requires_grad: bool) -> Tensor:
    return tensor(values, requires_grad=requires_grad)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data`` (Python floats in the default dtype, float64 unless changed).

    NumPy arrays keep their dtype, as in PyTorch; see `wengert.dtypes.set_default_dtype`.
    ``device`` may only name the CPU.

    Example:
        >>> tensor([1.0, 2.0], requires_grad=True)
        tensor([1., 2.], requires_grad=True)
    """
    if device is not None:
        check_device(device, "tensor()")
    if dtype is not None:
        dtype = as_dtype(dtype, "tensor()")
    if isinstance(data, Tensor):
        data = np.array(data.primal, dtype=dtype)
    elif isinstance(data, Tracer):
        raise TypeError(
            f"tensor(): the data is a value traced by a transformation ({type(data).__name__}); making a "
            "tensor of it would drop its derivative. Use it directly, or wg.numpy functions on it"
        )
    else:
        python_numbers = isinstance(data, (float, list, tuple))
        data = _numeric_array(data, dtype)
        if python_numbers and dtype is None and data.dtype == np.float64 and dtypes._default_float != np.float64:
            # Python floats take the default dtype (wg.set_default_dtype); NumPy arrays keep their own.
            data = data.astype(dtypes._default_float)
    out = Tensor(data, TAPE, None)
    if requires_grad:
        out.requires_grad_(True)
    return out


_KIND_NAMES = {"U": "strings", "S": "bytes", "O": "Python objects", "V": "records", "M": "dates", "m": "time spans"}


def _numeric_array(data: Any, dtype: Any) -> np.ndarray:
    """``data`` as a new numeric NumPy array, or a TypeError that says what was given and what to pass."""
    module = type(data).__module__.split(".")[0]
    if module in ("torch", "jax", "jaxlib") and getattr(data, "requires_grad", False):
        raise TypeError("tensor(): the data is a torch tensor that requires grad; pass its values: t.detach().numpy()")
    try:
        array = np.array(data, dtype=dtype)
    except (ValueError, TypeError) as error:
        if isinstance(error, TracerConversionError):
            raise
        raise TypeError(
            f"tensor(): could not make a numeric array of {_short_repr(data)} ({error}); pass numbers, "
            "nested lists of numbers of one shape, or a NumPy array"
        ) from None
    if array.dtype.kind in _KIND_NAMES:
        raise TypeError(
            f"tensor(): the data {_short_repr(data)} holds {_KIND_NAMES[array.dtype.kind]} (dtype {array.dtype}); "
            "a tensor holds numbers (bool, integer or floating point)"
        )
    if array.dtype.kind == "c":
        raise TypeError("tensor(): complex tensors are not supported yet; derivatives of complex values would be wrong")
    return array


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor without copying when it already is one (of ``dtype``, if given)."""
    if device is not None:
        check_device(device, "as_tensor()")
    if isinstance(data, Tensor) and (dtype is None or np.asarray(data.primal).dtype == as_dtype(dtype, "as_tensor()")):
        return data
    return tensor(data, dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``."""
    return Tensor(array, TAPE, None)


# -- grad mode -----------------------------------------------------------------------


class _GradMode:
    """A context manager (and decorator) that sets whether tensor operations are recorded.

    Usable as ``with no_grad():``, ``@no_grad()`` and ``@no_grad``. The mode is
    per thread: a block in one thread does not change recording in another.
    """

    enabled = True

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        instance = super().__new__(cls)
        if function is None:
            return instance
        if not callable(function):
            raise TypeError(f"{cls.__name__}() takes no arguments, or a function to decorate")
        return instance(function)

    def __init__(self, function: Callable[..., Any] | None = None) -> None:
        # One instance may be entered again while active (or by several threads): keep a stack.
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(state.grad_enabled)
        state.grad_enabled = self.enabled

    def __exit__(self, *exc: Any) -> None:
        state.grad_enabled = self._previous.pop()

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        mode = type(self)

        @wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Do not record tensor operations inside the block (thread-local).

    Example:
        >>> x = tensor(1.0, requires_grad=True)
        >>> with no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    enabled = False


class enable_grad(_GradMode):
    """Record tensor operations inside the block, even within ``no_grad``.

    Example:
        >>> x = tensor(1.0, requires_grad=True)
        >>> with no_grad(), enable_grad():
        ...     y = x * 2
        >>> y.requires_grad
        True
    """

    enabled = True


def is_grad_enabled() -> bool:
    """Whether tensor operations are being recorded in this thread."""
    return state.grad_enabled


class set_grad_enabled:
    """Turn recording on or off: at once when called, and back as it was at the end of a ``with`` block.

    Example:
        >>> with set_grad_enabled(False):
        ...     is_grad_enabled()
        False
        >>> is_grad_enabled()
        True
    """

    def __init__(self, mode: bool) -> None:
        self._previous = state.grad_enabled
        state.grad_enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        state.grad_enabled = self._previous


# -- the backward pass over the graph ------------------------------------------------


def _seed(output: Tensor, gradient: Any, create_graph: bool) -> Any:
    if gradient is None:
        if np.size(output.primal) != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this output has shape "
                f"{np.shape(output.primal)}: pass gradient= (or grad_outputs=) of that shape"
            )
        gradient = np.ones_like(output.primal)
    if isinstance(gradient, Tensor):
        value = gradient if create_graph else gradient.primal
    else:
        value = np.asarray(gradient, dtype=np.asarray(output.primal).dtype)
        if create_graph:
            value = Tensor(value, TAPE, None)
    if np.shape(gradient.primal if isinstance(gradient, Tensor) else value) != np.shape(output.primal):
        raise RuntimeError(
            f"mismatch in shape: the gradient has shape {np.shape(value)} but the output has shape "
            f"{np.shape(output.primal)}"
        )
    return value


def _rewrap(primal: Any, node: Node | None) -> Any:
    return Tensor(primal, TAPE, node)


def run_backward(
    outputs: Sequence[Tensor],
    gradients: Sequence[Any],
    inputs: Sequence[Tensor] | None,
    retain_graph: bool | None,
    create_graph: bool,
    accumulate: bool,
    allow_unused: bool = False,
) -> list[Any] | None:
    """The engine behind ``Tensor.backward`` and ``autograd.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = []
    for index, output in enumerate(outputs):
        if not isinstance(output, Tensor) or output._node is None:
            raise RuntimeError(
                f"element {index} of the outputs does not require grad and has no grad_fn: nothing "
                "recorded leads to it (did you forget requires_grad=True, or compute it under no_grad?)"
            )
        roots.append(output._node)
    targets = None
    if inputs is not None:
        targets = []
        for index, tensor_ in enumerate(inputs):
            if not isinstance(tensor_, Tensor) or tensor_._node is None:
                what = f"a tensor of shape {np.shape(tensor_.primal)}" if isinstance(tensor_, Tensor) else repr(tensor_)
                raise RuntimeError(
                    f"input {index} ({what}) does not require grad, so nothing can be differentiated with "
                    "respect to it; create it with requires_grad=True (or call .requires_grad_())"
                )
            targets.append(tensor_._node)
    order = toposort(roots)
    if targets is not None:
        mark_needed(order, targets)
    seeds = [_seed(output, gradient, create_graph) for output, gradient in zip(outputs, gradients, strict=True)]
    try:
        for root, seed in zip(roots, seeds, strict=True):
            root.cotangent = seed if root.cotangent is None else root.cotangent + seed
        order.reverse()
        previous = state.grad_enabled
        state.grad_enabled = create_graph
        try:
            # Cotangents and (without retain_graph) saved values are dropped node by node,
            # so the backward pass's peak memory stays close to the forward pass's.
            backward_pass(
                order,
                _rewrap if create_graph else None,
                keep=set(targets) if targets is not None else {node for node in order if node.owner is not None},
                free_saved=not retain_graph,
            )
        finally:
            state.grad_enabled = previous
        results = None
        if targets is not None:
            results = []
            for index, node in enumerate(targets):
                cotangent = node.cotangent
                if cotangent is None and not allow_unused:
                    raise RuntimeError(
                        f"input {index} appears not to have been used in the graph; pass allow_unused=True "
                        "to get None for it"
                    )
                results.append(None if cotangent is None else _as_result(cotangent, node, create_graph))
        if accumulate:
            # Leaves own their nodes, and so do non-leaf tensors that called retain_grad().
            receivers = order if targets is None else targets
            for node in receivers:
                owner = node.owner
                if owner is not None and node.cotangent is not None:
                    tensor_ = owner()
                    if tensor_ is not None and tensor_._node is node:
                        value = _as_result(node.cotangent, node, create_graph)
                        tensor_._grad = value if tensor_._grad is None else tensor_._grad + value
        return results
    finally:
        clear_cotangents(order)
        if not retain_graph:
            free_saved_values(order)


def _as_result(cotangent: Any, node: Node, create_graph: bool) -> Tensor:
    """A cotangent as a tensor of the input's dtype and shape."""
    like = _like_value(node)
    like = np.asarray(like) if like is not None else None
    if isinstance(cotangent, Tensor):
        if like is not None and np.asarray(cotangent.primal).dtype != like.dtype:
            cotangent = wnp.astype(cotangent, like.dtype)
        return cotangent
    value = np.asarray(cotangent)
    if like is not None:
        if value.dtype != like.dtype:
            value = value.astype(like.dtype)
        if value.shape != like.shape:
            value = np.broadcast_to(value, like.shape).copy()
    return Tensor(value, TAPE, None)
