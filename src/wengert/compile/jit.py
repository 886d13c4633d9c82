"""``wg.jit``: stage a function once per input signature, optimise the program, run generated NumPy source.

The first call with a new signature — the arguments' pytree structure, each
leaf's shape and dtype (and whether it is a Python number), and the values of
the static arguments — traces the function with abstract values into a
`Program` (its Wengert list), runs the passes of `wengert.compile.passes`, and
compiles the program's generated source. Later calls with the same signature
run that source directly, with no tracing and no per-operation bookkeeping.

Called with values that another transformation is following (``grad(jit(f))``,
``vmap(jit(f))``, tensors that require grad), a jitted function runs its
Python function directly, so the outer transformation sees every operation:
the staged program is inlined. ``jit(grad(f))``, ``jit(vmap(f))`` and
``jit(hessian(f))`` stage the derivative program itself, since derivative rules
are written in wengert's own operations.

Inside the function, values have a shape and a dtype but no numbers: Python
control flow on them (``if x > 0``, ``float(x)``) raises an error naming the
line; make such a value a static argument or use ``wnp.where``. Random numbers
drawn with NumPy while tracing are constants of the compiled program, as they
would be in JAX.

Example:
    >>> import wengert as wg, wengert.numpy as wnp
    >>> f = wg.jit(lambda x: wnp.sum(wnp.sin(x) ** 2))
    >>> round(float(f(np.ones(3))), 6)
    2.12422
    >>> f.cache_info().traces
    1
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core import Tracer, next_level, running, tree_flatten, tree_unflatten
from ..core.pytree import TreeDef
from ..core.staging import Abstract, Literal, StagedTracer, StagingTrace
from .codegen import Emitted, emit
from .passes import optimize
from .program import Program


class CacheInfo(NamedTuple):
    """How a jitted function's compiled programs were used."""

    hits: int
    misses: int
    traces: int
    size: int


class Lowered:
    """The staged program of one signature: ``.ir`` (the optimised Wengert list) and ``.source``."""

    def __init__(
        self,
        program: Program,
        unoptimized: Program,
        emitted: Emitted,
        out_tree: TreeDef,
        jitted: Jitted,
        in_tree: TreeDef,
        avals: list[Abstract],
    ) -> None:
        self.ir = program
        self.unoptimized = unoptimized
        self.emitted = emitted
        self.out_tree = out_tree
        self._jitted = jitted
        self._in_tree = in_tree
        self._avals = avals

    @property
    def source(self) -> str:
        """The generated Python source."""
        return self.emitted.source

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the program on arguments of the signature it was staged for (as the jitted function takes them)."""
        dynamic, _ = self._jitted._split(args, kwargs)
        leaves, treedef = tree_flatten(dynamic)
        if treedef != self._in_tree:
            raise TypeError(f"this program was staged for arguments of structure {self._in_tree}, got {treedef}")
        for index, (leaf, aval) in enumerate(zip(leaves, self._avals)):
            if (np.shape(leaf), np.result_type(leaf)) != (aval.shape, aval.dtype):
                raise TypeError(
                    f"this program was staged for input {index} of shape {aval.shape} and dtype {aval.dtype}, got "
                    f"shape {np.shape(leaf)} and dtype {np.result_type(leaf)}; call the jitted function to retrace"
                )
        return self.run(leaves)

    def run(self, leaves: list) -> Any:
        """Run the program on the flat list of its inputs, checked by the caller."""
        return tree_unflatten(self.out_tree, self.emitted.function(*leaves))


class Jitted:
    """A function compiled per input signature (see the module's docstring)."""

    def __init__(
        self, function: Callable[..., Any], static_argnums: Sequence[int] | int, static_argnames: Sequence[str] | str
    ) -> None:
        if not callable(function):
            raise TypeError(f"jit: expected a function, got {type(function).__name__}")
        # Name and docstring only: merging the function's __dict__ would bring in another
        # wrapper's attributes (a jitted function's own cache, say).
        functools.update_wrapper(self, function, updated=())
        self.function = function
        self.static_argnums = _as_tuple(static_argnums, int, "static_argnums")
        self.static_argnames = _as_tuple(static_argnames, str, "static_argnames")
        self._cache: dict[Hashable, Lowered] = {}
        self._hits = self._misses = self._traces = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        dynamic, static_key = self._split(args, kwargs)
        leaves, treedef = tree_flatten(dynamic)
        signature = []
        for leaf in leaves:
            kind = type(leaf)
            if kind is np.ndarray or isinstance(leaf, np.generic):  # a NumPy scalar is a 0-d array here
                signature.append((leaf.shape, leaf.dtype))
            elif kind is float or kind is int or kind is bool:
                signature.append(kind)
            elif isinstance(leaf, Tracer):
                return self.function(*args, **kwargs)  # inlined into the running transformation
            else:
                signature.append(_abstract_of_input(leaf, len(signature)).key())
        key = (treedef, tuple(signature), static_key)
        lowered = self._cache.get(key)
        if lowered is None:
            self._misses += 1
            avals = [_abstract_of_input(leaf, index) for index, leaf in enumerate(leaves)]
            lowered = self._stage(args, kwargs, leaves, treedef, avals)
            self._cache[key] = lowered
        else:
            self._hits += 1
        return lowered.run(leaves)

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """The staged, optimised program for these arguments (``.ir``, ``.source``), without running it."""
        dynamic, _ = self._split(args, kwargs)
        leaves, treedef = tree_flatten(dynamic)
        if any(isinstance(leaf, Tracer) for leaf in leaves):
            raise TypeError("jit(...).lower: pass plain values (arrays and numbers), not traced values")
        avals = [_abstract_of_input(leaf, index) for index, leaf in enumerate(leaves)]
        return self._stage(args, kwargs, leaves, treedef, avals)

    def cache_info(self) -> CacheInfo:
        """Hits, misses, traces and the number of compiled signatures."""
        return CacheInfo(self._hits, self._misses, self._traces, len(self._cache))

    def clear_cache(self) -> None:
        self._cache.clear()

    # -- staging ---------------------------------------------------------------------------------

    def _split(self, args: tuple, kwargs: dict) -> tuple[Any, Hashable]:
        """The dynamic arguments (a pytree) and the static ones (a hashable key)."""
        count = len(args)
        static_positions = set()
        for number in self.static_argnums:
            position = number + count if number < 0 else number
            if not 0 <= position < count:
                raise ValueError(
                    f"jit: static_argnums names argument {number}, but the function was called with {count} "
                    "positional arguments"
                )
            static_positions.add(position)
        static = []
        for position in sorted(static_positions):
            static.append(("arg", position, _hashable(args[position], f"static argument {position}")))
        for name in self.static_argnames:
            if name in kwargs:
                static.append(("kw", name, _hashable(kwargs[name], f"static argument '{name}'")))
        dynamic_args = tuple(None if position in static_positions else arg for position, arg in enumerate(args))
        dynamic_kwargs = {key: value for key, value in kwargs.items() if key not in self.static_argnames}
        return (dynamic_args, dynamic_kwargs), tuple(static)

    def _stage(self, args: tuple, kwargs: dict, leaves: list, treedef: TreeDef, avals: list) -> Lowered:
        self._traces += 1
        trace = StagingTrace(next_level())
        with running(trace):
            tracers = [trace.new_input(aval) for aval in avals]
            dynamic_args, dynamic_kwargs = tree_unflatten(treedef, tracers)
            call_args = [arg if dynamic is None else dynamic for arg, dynamic in zip(args, dynamic_args)]
            call_kwargs = {**kwargs, **dynamic_kwargs}
            out = self.function(*call_args, **call_kwargs)
        out_leaves, out_tree = tree_flatten(out)
        outputs = []
        for index, leaf in enumerate(out_leaves):
            if isinstance(leaf, StagedTracer) and leaf._trace is trace:
                outputs.append(leaf.var)
            elif isinstance(leaf, Tracer):
                raise TypeError(
                    f"jit: output {index} is a value traced by {leaf._trace.name}, which is not an input of "
                    "the compiled function; pass that value as an argument"
                )
            else:
                outputs.append(Literal(leaf))
        name = getattr(self.function, "__name__", "f")
        name = name if isinstance(name, str) and name.isidentifier() else "f"
        program = Program(list(trace.recording.inputs), list(trace.recording.equations), outputs, name)
        optimized = optimize(program)
        return Lowered(optimized, program, emit(optimized), out_tree, self, treedef, avals)

    def __repr__(self) -> str:
        return f"<jit of {getattr(self.function, '__qualname__', self.function)!r}>"

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        # Used as a method decorator: bind like a function (self becomes the first argument).
        return self if instance is None else functools.partial(self, instance)


def jit(
    function: Callable[..., Any] | None = None,
    *,
    static_argnums: Sequence[int] | int = (),
    static_argnames: Sequence[str] | str = (),
) -> Any:
    """Compile ``function`` per input signature into generated NumPy source (also a decorator).

    A compiled program keeps the memory of its large temporaries (4 MiB and up) between calls,
    as a caching allocator does, so that a call does not pay for fresh pages; its results are
    always new arrays. Dropping the jitted function frees that memory.

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> @wg.jit
        ... def f(x, y):
        ...     return wnp.log(x) + x * y - wnp.sin(y)
        >>> round(float(f(2.0, 5.0)), 6)
        11.652071
        >>> round(float(wg.jit(wg.grad(f))(2.0, 5.0)), 6)
        5.5
    """
    if function is None:
        return lambda inner: Jitted(inner, static_argnums, static_argnames)
    return Jitted(function, static_argnums, static_argnames)


def _as_tuple(value: Any, kind: type, name: str) -> tuple:
    values = (value,) if isinstance(value, kind) else tuple(value)
    for item in values:
        if not isinstance(item, kind) or isinstance(item, bool):
            raise TypeError(f"jit: {name} must hold {kind.__name__}s, got {item!r}")
    return values


def _hashable(value: Any, what: str) -> Hashable:
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"jit: {what} is a {type(value).__name__}, which is not hashable; static arguments are part of the "
            "compiled program's key and must be hashable (a tuple instead of a list, for instance)"
        ) from None
    return value


def _abstract_of_input(leaf: Any, index: int) -> Abstract:
    kind = type(leaf)
    if kind is float or kind is int or kind is bool:
        return Abstract((), np.dtype(np.float64 if kind is float else (np.bool_ if kind is bool else np.int64)), kind)
    if isinstance(leaf, (np.ndarray, np.generic)):
        if leaf.dtype.kind not in "biuf":
            raise TypeError(
                f"jit: argument leaf {index} has dtype {leaf.dtype}; compiled programs take numeric arrays "
                "(make other values static arguments)"
            )
        return Abstract(leaf.shape, leaf.dtype)
    raise TypeError(
        f"jit: argument leaf {index} is a {type(leaf).__name__} ({leaf!r:.60}); pass NumPy arrays and numbers, "
        "or make it a static argument (static_argnums / static_argnames)"
    )
