"""The JAX dialect's basic transforms: ``vjp``, ``grad``, ``value_and_grad``, ``jvp``.

Each call opens a fresh trace one level above whatever is running, wraps the
inputs as that trace's tracers, runs the function, and reads the derivative
off the trace. Plain NumPy goes in and plain NumPy comes out; tensors and
tracers of lower levels pass through as the primal values they are, so these
transforms nest with each other and with the tensor API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

import numpy as np

from ..core import (
    Dual,
    ForwardTrace,
    TapeTrace,
    TapeTracer,
    Tracer,
    add_any,
    backward_pass,
    clear_cotangents,
    next_level,
    primal_value,
    running,
    tree_flatten,
    tree_unflatten,
    zeros_like_value,
)
from ..core.pytree import TreeDef
from ..numpy._primitives import dtype as wnp_dtype
from ..numpy._primitives import shape as wnp_shape
from ._validate import (
    NATIVE_LEAVES,
    argument_location,
    check_argnums_type,
    convert_foreign,
    leaf_paths,
    match_tangents,
    normalize_argnums,
)


def _shape(value: Any) -> tuple[int, ...]:
    """The shape of a value as the running transformation sees it (a batch's example shape)."""
    if isinstance(value, (list, tuple)):
        return np.shape(value)
    return tuple(wnp_shape(value))


def _check_input(value: Any, where: str | Callable[[], str]) -> Any:
    """Validate and normalise one leaf of a differentiated argument (``where`` names it for errors).

    Foreign arrays (anything with ``__array__`` giving numbers: torch, JAX, pandas)
    become NumPy arrays; strings and other objects are refused.
    """
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    elif not isinstance(value, NATIVE_LEAVES):
        value = convert_foreign(value, where)
    raw = primal_value(value)
    if getattr(raw, "python", None) in (int, bool):  # a staged Python integer (jit): only its type is known
        raw = raw.python(0)
    if isinstance(raw, (bool, int, np.integer)):
        raise TypeError(
            f"{_label(where)} is an integer ({raw!r}); only floating-point values can be differentiated. "
            f"Pass {float(raw)!r} instead."
        )
    kind = raw.dtype.kind if hasattr(raw, "dtype") else np.asarray(raw).dtype.kind
    if kind == "f":
        return value
    if kind == "c":
        raise TypeError(f"{_label(where)} is complex; complex differentiation is not supported yet")
    found = raw.dtype if hasattr(raw, "dtype") else np.asarray(raw).dtype
    raise TypeError(
        f"{_label(where)} has dtype {found}; only floating-point values can be differentiated"
        + (" (pass it as floats: np.asarray(x, dtype=float))" if kind in "iub" else "")
    )


def _label(where: str | Callable[[], str]) -> str:
    return where() if callable(where) else where


def _argnums_tuple(argnums: int | Sequence[int], count: int, name: str = "grad") -> tuple[int, ...]:
    """The argument positions ``argnums`` names, for a call with ``count`` positional arguments."""
    nums, _ = check_argnums_type(argnums, name)
    return normalize_argnums(nums, count, name, argnums)


def _match_input(cotangent: Any, value: Any) -> Any:
    """A cotangent given the dtype (and Python-float-ness) of the input it belongs to."""
    if cotangent is None:
        return zeros_like_value(value)
    raw = primal_value(value)
    if isinstance(cotangent, Tracer):
        return cotangent
    if type(raw) is float:
        return float(cotangent) if np.ndim(cotangent) == 0 else cotangent
    raw_dtype = getattr(raw, "dtype", None)
    if raw_dtype is not None and getattr(cotangent, "dtype", raw_dtype) != raw_dtype:
        return np.asarray(cotangent, dtype=raw_dtype)
    return cotangent


class _Recorded:
    """What a reverse-mode run of a function left behind, ready for backward passes."""

    def __init__(
        self,
        trace: TapeTrace,
        in_nodes: list,
        in_values: list,
        in_tree: TreeDef,
        out_flat: list,
        out_tree: TreeDef,
    ) -> None:
        self.trace = trace
        self.in_nodes = in_nodes
        self.in_values = in_values
        self.in_tree = in_tree
        self.out_flat = out_flat
        self.out_tree = out_tree

    def primal_outputs(self) -> Any:
        return tree_unflatten(self.out_tree, [self._primal(out) for out in self.out_flat])

    def _primal(self, out: Any) -> Any:
        if isinstance(out, TapeTracer) and out._trace is self.trace:
            return out.primal
        return out

    def pullback(self, cotangent: Any, last: bool = False) -> Any:
        """Cotangents of the inputs for an output cotangent of the same structure as the output.

        ``last``: no other pullback follows (``grad``), so saved values are freed as the pass
        goes and the tape is emptied afterwards — its tracers point back at their trace, a
        reference cycle that would otherwise keep every intermediate array until the garbage
        collector runs.
        """
        ct_flat, ct_tree = tree_flatten(cotangent)
        if ct_tree != self.out_tree:
            raise ValueError(f"the cotangent's structure {ct_tree!r} does not match the output's {self.out_tree!r}")
        tape = self.trace.tape
        seeded = False
        for out, ct in zip(self.out_flat, ct_flat):
            if isinstance(out, TapeTracer) and out._trace is self.trace:
                if _shape(ct) != _shape(out):
                    raise ValueError(f"the cotangent has shape {_shape(ct)} but the output has shape {_shape(out)}")
                node = out._node
                node.cotangent = ct if node.cotangent is None else add_any(node.cotangent, ct)
                seeded = True
        try:
            if seeded:
                backward_pass(tape[::-1], keep=set(), free_saved=last)  # inputs are leaves: their cotangents stay
            results = [_match_input(node.cotangent, value) for node, value in zip(self.in_nodes, self.in_values)]
        finally:
            clear_cotangents(tape)
            if last:
                tape.clear()
        return tree_unflatten(self.in_tree, results)


def _record(
    function: Callable[..., Any],
    args: tuple,
    argnums: tuple[int, ...],
    kwargs: dict,
    has_aux: bool,
    name: str,
) -> tuple[_Recorded, Any]:
    trace = TapeTrace(next_level())
    trace.name = name
    with running(trace):
        wrt = tuple(args[n] for n in argnums)
        in_flat, in_tree = tree_flatten(wrt)
        in_values = [
            _check_input(value, lambda i=i: f"{name}: {argument_location(in_tree, i, argnums)}")
            for i, value in enumerate(in_flat)
        ]
        tracers = [trace.new_input(value) for value in in_values]
        in_nodes = [tracer._node for tracer in tracers]
        rebuilt = tree_unflatten(in_tree, tracers)
        call_args = list(args)
        for n, value in zip(argnums, rebuilt):
            call_args[n] = value
        out = function(*call_args, **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{name}(has_aux=True): the function must return a pair (output, aux)")
        out, aux = out
        aux = _strip(aux, trace)
    out_flat, out_tree = tree_flatten(out)
    return _Recorded(trace, in_nodes, in_values, in_tree, out_flat, out_tree), aux


def _strip(tree: Any, trace: TapeTrace) -> Any:
    """Replace this trace's tracers in ``tree`` by their primal values (for aux outputs)."""
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(
        treedef,
        [leaf.primal if isinstance(leaf, Tracer) and leaf._trace is trace else leaf for leaf in leaves],
    )


def vjp(function: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """Evaluate ``function`` and return ``(output, vjp_fn)``; ``vjp_fn(cotangent)`` pulls back.

    ``vjp_fn`` returns a tuple with one cotangent per primal and may be called
    several times.

    Example:
        >>> import wengert.numpy as wnp
        >>> out, vjp_fn = vjp(wnp.sin, 0.0)
        >>> vjp_fn(2.0)
        (2.0,)
    """
    recorded, aux = _record(function, primals, tuple(range(len(primals))), {}, has_aux, "vjp")

    def vjp_fn(cotangent: Any) -> tuple:
        return tuple(recorded.pullback(_check_cotangent(recorded, cotangent)))

    out = recorded.primal_outputs()
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _check_cotangent(recorded: _Recorded, cotangent: Any) -> Any:
    """A cotangent given to ``vjp_fn``: foreign arrays converted, each leaf of its output's dtype.

    Python numbers take the output's dtype; arrays of another dtype are refused.
    """
    ct_flat, ct_tree = tree_flatten(cotangent)
    if ct_tree != recorded.out_tree:
        return cotangent  # the pullback names the structures
    out_primals = [recorded._primal(out) for out in recorded.out_flat]
    return tree_unflatten(
        ct_tree,
        match_tangents("vjp_fn", out_primals, ct_tree, ct_flat, ct_tree, "cotangent", "output", check_shapes=False),
    )


def _scalar_seed(out: Any, name: str) -> Any:
    out_shape = _shape(out)
    if out_shape != ():
        raise TypeError(
            f"{name} requires a function with a scalar output, but it returned shape {out_shape}; "
            "use jacrev/vjp for vector outputs, or reduce it (for example .sum())"
        )
    out_dtype = wnp_dtype(out)
    if out_dtype.kind != "f":
        raise TypeError(f"{name} requires a real floating-point output, got dtype {out_dtype}")
    if type(primal_value(out)) is float:
        return 1.0
    return np.ones((), dtype=out_dtype)


def value_and_grad(
    function: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """A function returning ``(value, gradient)`` of a scalar-valued ``function``.

    With ``has_aux=True`` the function returns ``(value, aux)`` and the result
    is ``((value, aux), gradient)``.

    Example:
        >>> import wengert.numpy as wnp
        >>> value_and_grad(lambda x: x ** 3)(2.0)
        (8.0, 12.0)
    """

    _, single = check_argnums_type(argnums, "grad")

    @wraps(function)
    def value_and_grad_function(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        recorded, aux = _record(function, args, nums, kwargs, has_aux, "grad")
        if len(recorded.out_flat) != 1 or recorded.out_tree.kind is not None:
            raise TypeError("grad requires a function with a single scalar output (not a tuple or list)")
        (out,) = recorded.out_flat
        value = recorded._primal(out)
        seed = _scalar_seed(value, "grad")
        if isinstance(out, Tracer) and out._trace is recorded.trace:
            gradient = recorded.pullback(seed, last=True)
        else:  # the output does not depend on the inputs
            gradient = tree_unflatten(recorded.in_tree, [zeros_like_value(v) for v in recorded.in_values])
        if single:
            gradient = gradient[0]
        return ((value, aux) if has_aux else value), gradient

    return value_and_grad_function


def grad(function: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar-valued ``function`` with respect to argument(s) ``argnums``.

    Example:
        >>> import wengert.numpy as wnp
        >>> grad(lambda x: wnp.sin(x) * x)(0.0)
        0.0
    """
    value_and_grad_function = value_and_grad(function, argnums, has_aux)

    @wraps(function)
    def grad_function(*args: Any, **kwargs: Any) -> Any:
        (value_aux, gradient) = value_and_grad_function(*args, **kwargs)
        return (gradient, value_aux[1]) if has_aux else gradient

    return grad_function


def jvp(function: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> Any:
    """Evaluate ``function`` at ``primals`` and push ``tangents`` forward: ``(output, tangent_out)``.

    Example:
        >>> import wengert.numpy as wnp
        >>> jvp(wnp.sin, (0.0,), (3.0,))
        (0.0, 3.0)
    """
    return push_forward(function, primals, tangents, has_aux)


def push_forward(
    function: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    has_aux: bool = False,
    primal_out: bool = True,
    name: str = "jvp",
) -> Any:
    """`jvp`; with ``primal_out=False`` the output's primal is not formed where it can be skipped (None).

    ``name`` is the public transformation running it, for error messages.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"{name} takes the primals and the tangents as tuples: {name}(f, (x,), (v,)); got primals "
            f"{type(primals).__name__} and tangents {type(tangents).__name__}"
        )
    in_flat, in_tree = tree_flatten(tuple(primals))
    t_flat, t_tree = tree_flatten(tuple(tangents))
    in_flat = [_check_input(p, lambda i=i: f"{name}: primal {i}{_path(in_tree, i)}") for i, p in enumerate(in_flat)]
    t_flat = match_tangents(name, in_flat, in_tree, t_flat, t_tree)
    trace = ForwardTrace(next_level())
    trace.name = name
    with running(trace):
        duals = [Dual(_as_float(p), _as_float(t), trace) for p, t in zip(in_flat, t_flat)]
        out = function(*tree_unflatten(in_tree, duals))
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError("jvp(has_aux=True): the function must return a pair (output, aux)")
        out, aux = out
        aux = _strip_forward(aux, trace)
    out_flat, out_tree = tree_flatten(out)
    primals_out, tangent_out = [], []
    for leaf in out_flat:
        if isinstance(leaf, Dual) and leaf._trace is trace:
            tangent_out.append(leaf.tangent)
            primals_out.append(leaf.primal if primal_out else None)
        else:
            primals_out.append(leaf)
            tangent_out.append(zeros_like_value(leaf))
    result = (tree_unflatten(out_tree, primals_out), tree_unflatten(out_tree, tangent_out))
    return (*result, aux) if has_aux else result


def _path(tree: TreeDef, index: int) -> str:
    """`` (primals[0]['w'])`` for a leaf inside a pytree; empty for a plain argument."""
    path = leaf_paths(tree)[index]
    return "" if path == f"[{index}]" else f" (primals{path})"


def _as_float(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=float)
    return value


def _strip_forward(tree: Any, trace: ForwardTrace) -> Any:
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(
        treedef,
        [leaf.primal if isinstance(leaf, Tracer) and leaf._trace is trace else leaf for leaf in leaves],
    )
