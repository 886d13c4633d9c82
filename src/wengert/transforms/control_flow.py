"""Structured control flow: ``cond``, ``switch``, ``while_loop``, ``fori_loop`` and ``scan`` (``wg.lax``).

Names and semantics follow ``jax.lax``. Python's ``if`` and ``while`` on a value
that ``jit`` stages (it has a shape and a dtype but no numbers yet), or that
``vmap`` batches (each example may go its own way), cannot choose a path; these
functions express the choice or the loop as one operation that every
transformation understands.

How each one runs:

* Outside every transformation, each is the Python branch or loop it describes
  (tensors that require grad record the program as executed).
* ``cond``/``switch`` with a predicate whose value is known (a plain value, or
  one followed by ``grad``/``jvp``) call the chosen branch: the derivative is
  that branch's. A predicate batched by ``vmap`` runs every branch and selects
  per example with ``wnp.where``. A predicate staged by ``jit`` makes the choice
  a primitive, ``cond``, decided when the compiled program runs.
* Under any transformation a loop is a primitive (``while_loop``, ``scan``).
  Its body is staged once into a sub-program — a Wengert list whose inputs are
  the carry, the slice of ``xs`` and every traced value the body closes over —
  and the primitive's implementation runs that sub-program step by step. Its
  rules are loops again, written with these same functions so that they
  differentiate, batch and compile in turn: the JVP of a loop is a loop over
  (primal, tangent) pairs; the VJP of ``scan`` is a reverse ``scan`` of the
  body's VJP over the saved carries; a batched loop runs while any example's
  predicate holds, each example keeping its carry once its own predicate fails.
* ``while_loop`` has no VJP: its number of steps is unknown before it runs.
  ``fori_loop`` with Python-int bounds is a ``scan`` and differentiates in
  reverse mode; with traced bounds it is a ``while_loop``.

As in JAX, a staged body or branch runs once, while it is staged: Python side
effects in it (a print, a list append, a NumPy random draw) happen once, and
their values are constants of the sub-program. Outside every transformation
the loop is plain Python and they happen at every step.

A primitive has one array output in wengert's core, so a loop or branch with
several outputs packs them into one flat vector (in their common dtype) and
unpacks them with slices; a single output is passed as it is.

Example:
    >>> import wengert as wg, wengert.numpy as wnp
    >>> def power(x, n):
    ...     return fori_loop(0, n, lambda i, acc: acc * x, 1.0)
    >>> float(power(2.0, 10)), float(wg.grad(power)(2.0, 3))
    (1024.0, 12.0)
    >>> relu = wg.jit(lambda x: cond(x > 0, lambda x: x, lambda x: 0.0 * x, x))
    >>> float(relu(-3.0)), float(relu(2.0))
    (-0.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..compile.codegen import emit
from ..compile.passes import optimize
from ..compile.program import Program
from ..core import (
    BatchTracer,
    GraphTrace,
    Primitive,
    TapeTrace,
    Tracer,
    bind,
    next_level,
    primal_value,
    running,
    state,
    tree_flatten,
    tree_unflatten,
    zeros_like_value,
)
from ..core.pytree import TreeDef
from ..core.staging import Abstract, Literal, StagedTracer, StagingTrace, Var
from ..core.trace import UnexpectedTracerError
from ..numpy._primitives import dtype as _dtype
from ..numpy._primitives import shape as _shape
from ..numpy.batching import batch_size, materialize
from ..numpy.probes import abstract_of
from ._validate import describe, leaf_paths
from .differentiate import jvp, vjp
from .vectorize import vmap

# -- values: what kind of value chooses a branch, and its abstract value ------------------------------


def _classify(value: Any) -> str:
    """``'batched'`` (vmap follows it), ``'staged'`` (jit has no numbers for it) or ``'concrete'``."""
    batched = False
    while isinstance(value, Tracer):
        if isinstance(value, BatchTracer):
            batched = True
        value = value.primal
    if batched:
        return "batched"
    return "staged" if isinstance(value, Abstract) else "concrete"


def _aval(value: Any, where: Callable[[], str], keep_python: bool = True) -> Abstract:
    """The shape and dtype of ``value`` as the running transformation sees it (one example under vmap).

    ``keep_python`` keeps the mark of a Python number (its dtype promotes weakly);
    loop carries drop it, since the carry is an array from the second step on.
    """
    bottom = value
    batched = False
    while isinstance(bottom, Tracer):
        batched = batched or isinstance(bottom, BatchTracer)
        bottom = bottom.primal
    if isinstance(bottom, Abstract):
        python = bottom.python
    elif type(bottom) in (float, int, bool):
        python = type(bottom)
    else:
        python = None
        if not isinstance(bottom, (np.ndarray, np.generic)):
            raise TypeError(f"{where()} is {describe(value)}; pass arrays and numbers (or pytrees of them)")
    dtype = np.dtype(_dtype(value))
    if dtype.kind not in "biuf":
        raise TypeError(f"{where()} has dtype {dtype}; structured control flow carries numbers (bool, int, float)")
    return Abstract(tuple(_shape(value)), dtype, python if keep_python and not batched else None)


def _text(aval: Abstract) -> str:
    return f"{aval.dtype}[{','.join(str(extent) for extent in aval.shape)}]"


def _same_type(a: Abstract, b: Abstract) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype


def _is_float(value: Any) -> bool:
    return np.dtype(_dtype(value)).kind == "f"


def _arrays(values: Sequence[Any]) -> list:
    """Python numbers as NumPy arrays (a loop carry's dtype must not depend on Python's weak promotion)."""
    return [np.asarray(value) if type(value) in (float, int, bool) else value for value in values]


def _has_reverse(values: Sequence[Any]) -> bool:
    """Whether a reverse-mode trace follows any of ``values`` (so a backward pass may need the carries)."""
    for value in values:
        while isinstance(value, Tracer):
            if isinstance(value._trace, (TapeTrace, GraphTrace)):
                return True
            value = value.primal
    return False


def _under_jit() -> bool:
    """Whether a ``jit`` staging is running (its sub-programs are compiled once and run many times)."""
    return any(trace.staged and not isinstance(trace, _CapturingTrace) for trace in state.stack)


# -- staged sub-programs ------------------------------------------------------------------------------


class _CapturingTrace(StagingTrace):
    """Stages a loop body or a branch; a traced value it closes over becomes one more input.

    A value of an outer transformation (the parameters ``grad`` follows, a batch
    ``vmap`` follows, a value ``jit`` stages) cannot be baked into the
    sub-program: it is captured as an input and passed to the primitive as an
    argument, so that the outer transformation sees it and differentiates, batches
    or stages through it.
    """

    __slots__ = ("captured", "_inputs_of")

    def __init__(self, level: float, name: str) -> None:
        super().__init__(level, name)
        self.captured: list = []
        self._inputs_of: dict[int, StagedTracer] = {}

    def capture(self, tracer: Tracer) -> StagedTracer:
        known = self._inputs_of.get(id(tracer))
        if known is not None:
            return known
        if not tracer._trace.active:
            raise UnexpectedTracerError(tracer._trace, self.name)
        staged = self.new_input(_aval(tracer, lambda: f"{self.name}: a value the function closes over"))
        self._inputs_of[id(tracer)] = staged
        self.captured.append(tracer)
        return staged

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        for arg in args:
            if isinstance(arg, Tracer) and arg._trace is not self:
                args = tuple(
                    self.capture(value) if isinstance(value, Tracer) and value._trace is not self else value
                    for value in args
                )
                break
        return super().process(primitive, args, params)


class Closed:
    """A function staged once: its sub-program, and how many of its inputs are arguments (the rest are captured).

    ``evaluate`` applies the sub-program's primitives with ``bind`` (so it works on
    any traced values); ``run`` is for plain values, through generated source when
    the sub-program belongs to a compiled program.
    """

    __slots__ = ("program", "n_args", "out_avals", "compiled", "_function", "_packing")

    def __init__(self, program: Program, n_args: int, out_avals: list, compiled: bool) -> None:
        self.program = program
        self.n_args = n_args
        self.out_avals = out_avals
        self.compiled = compiled
        self._function: Callable[..., Any] | None = None
        self._packing: Packing | None = None

    @property
    def n_consts(self) -> int:
        return len(self.program.inputs) - self.n_args

    @property
    def in_avals(self) -> list:
        return [var.aval for var in self.program.inputs]

    @property
    def packing(self) -> Packing:
        if self._packing is None:
            self._packing = Packing(self.out_avals)
        return self._packing

    def evaluate(self, *inputs: Any) -> list:
        env = {var.number: value for var, value in zip(self.program.inputs, inputs)}
        for equation in self.program.equations:
            args = [env[value.number] if type(value) is Var else value.value for value in equation.inputs]
            env[equation.out.number] = bind(equation.primitive, args, equation.params)
        return [env[value.number] if type(value) is Var else value.value for value in self.program.outputs]

    def run(self, *inputs: Any) -> Sequence[Any]:
        if not self.compiled:
            return self.evaluate(*inputs)
        function = self._function
        if function is None:
            function = self._function = emit(self.program).function
        return function(*inputs)

    def __repr__(self) -> str:
        return f"<{self.program.name}: {len(self.program.equations)} equations>"

    def __str__(self) -> str:
        return str(self.program)


def _stage(
    function: Callable[..., Any], avals: Sequence[Abstract], name: str, what: str
) -> tuple[Closed, list, TreeDef]:
    """Stage ``function(*leaves)`` for leaves of ``avals``: the sub-program, the captured values, the output tree."""
    trace = _CapturingTrace(next_level(), what)
    with running(trace):
        inputs = [trace.new_input(aval) for aval in avals]
        out = function(*inputs)
        out_leaves, out_tree = tree_flatten(out)
        outputs: list = []
        for leaf in out_leaves:
            if isinstance(leaf, StagedTracer) and leaf._trace is trace:
                outputs.append(leaf.var)
            elif isinstance(leaf, Tracer):
                outputs.append(trace.capture(leaf).var)
            else:
                _aval(leaf, lambda: f"{what}: an output")
                outputs.append(Literal(leaf))
    program = Program(list(trace.recording.inputs), list(trace.recording.equations), outputs, name)
    program = optimize(program)
    out_avals = [value.aval if isinstance(value, Var) else abstract_of(value.value) for value in program.outputs]
    return Closed(program, len(avals), out_avals, _under_jit()), trace.captured, out_tree


# -- packing several outputs into the one array a primitive returns ----------------------------------


class Packing:
    """How a list of leaves travels as one array: itself if alone, else one flat vector of their common dtype."""

    __slots__ = ("avals", "dtype", "bounds", "aval")

    def __init__(self, avals: Sequence[Abstract]) -> None:
        self.avals = [Abstract(aval.shape, aval.dtype) for aval in avals]
        dtypes = [aval.dtype for aval in self.avals]
        self.dtype = np.dtype(np.result_type(*dtypes)) if dtypes else np.dtype(np.float64)
        self.bounds = []
        start = 0
        for aval in self.avals:
            self.bounds.append((start, start + aval.size))
            start += aval.size
        self.aval = self.avals[0] if len(self.avals) == 1 else Abstract((start,), self.dtype)

    @property
    def single(self) -> bool:
        return len(self.avals) == 1

    @property
    def differentiable(self) -> bool:
        return self.aval.dtype.kind == "f"

    def pack(self, leaves: Sequence[Any]) -> Any:
        """Plain leaves into their packed array (in an implementation)."""
        if self.single:
            return np.asarray(leaves[0], dtype=self.aval.dtype)
        out = np.empty(self.aval.shape, self.dtype)
        for (start, stop), leaf in zip(self.bounds, leaves):
            out[start:stop] = np.ravel(leaf)
        return out

    def pack_traced(self, leaves: Sequence[Any]) -> Any:
        """Leaves (``None`` for a zero) into their packed array with wengert operations (in a rule)."""
        if self.single:
            leaf = leaves[0]
            if leaf is None:
                return np.zeros(self.aval.shape, self.aval.dtype)
            return wnp.astype(leaf, self.dtype) if _dtype(leaf) != self.dtype else leaf
        parts = []
        for aval, leaf in zip(self.avals, leaves):
            if leaf is None:
                parts.append(np.zeros(aval.size, self.dtype))
            else:
                if _dtype(leaf) != self.dtype:
                    leaf = wnp.astype(leaf, self.dtype)
                parts.append(wnp.reshape(leaf, (aval.size,)))
        if not parts:
            return np.zeros(0, self.dtype)
        return wnp.concatenate(parts) if len(parts) > 1 else parts[0]

    def pack_rows(self, leaves: Sequence[Any], size: int) -> Any:
        """Batched leaves (the batch on axis 0) into a batch of packed rows, shape (size, packed size)."""
        if self.single:
            leaf = leaves[0]
            return wnp.astype(leaf, self.dtype) if _dtype(leaf) != self.dtype else leaf
        if not leaves:
            return np.zeros((size, 0), self.dtype)
        parts = [wnp.reshape(wnp.astype(leaf, self.dtype), (size, aval.size)) for aval, leaf in zip(self.avals, leaves)]
        return wnp.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]

    def unpack(self, packed: Any, count: int | None = None) -> list:
        """The leaves of a packed array (differentiably); the first ``count`` of them if given."""
        if self.single:
            return [packed]
        leaves = []
        for (start, stop), aval in zip(self.bounds[:count], self.avals):
            leaf = wnp.reshape(packed[start:stop], aval.shape)
            leaves.append(wnp.astype(leaf, aval.dtype) if aval.dtype != self.dtype else leaf)
        return leaves

    def unpack_cotangent(self, packed: Any) -> list:
        """The cotangents of the floating-point leaves from a packed cotangent (``None`` for the others)."""
        leaves = self.unpack(packed)
        return [leaf if aval.dtype.kind == "f" else None for leaf, aval in zip(leaves, self.avals)]


def _vmapped(function: Callable[..., Any], values: Sequence[Any], axes: Sequence[int | None], size: int) -> Any:
    """``vmap(function, in_axes=axes)(*values)``; with no batched value, the result is broadcast to the batch."""
    if all(axis is None for axis in axes):
        out = function(*values)
        leaves, tree = tree_flatten(out)
        return tree_unflatten(tree, [wnp.broadcast_to(leaf, (size, *_shape(leaf))) for leaf in leaves])
    return vmap(function, in_axes=tuple(axes))(*values)


def _jvp_both(closed: Closed, inputs: Sequence[Any], tangents: Sequence[Any]) -> tuple[list, list]:
    """Outputs and output tangents of a sub-program (``None`` tangents are zeros and are not pushed)."""
    positions = [k for k, tangent in enumerate(tangents) if tangent is not None]
    if not positions:
        return list(closed.evaluate(*inputs)), [None] * len(closed.out_avals)

    def pushed(*values: Any) -> list:
        full = list(inputs)
        for k, value in zip(positions, values):
            full[k] = value
        return list(closed.evaluate(*full))

    outs, out_tangents = jvp(pushed, [inputs[k] for k in positions], [tangents[k] for k in positions])
    return outs, [t if aval.dtype.kind == "f" else None for t, aval in zip(out_tangents, closed.out_avals)]


def _vjp_inputs(closed: Closed, inputs: Sequence[Any], out_cotangents: Sequence[Any]) -> list:
    """Cotangents of a sub-program's floating-point inputs (``None`` for the others)."""
    positions = [k for k, value in enumerate(inputs) if _is_float(value)]
    outputs = [j for j, ct in enumerate(out_cotangents) if ct is not None and closed.out_avals[j].dtype.kind == "f"]
    if not positions or not outputs:
        return [None] * len(inputs)

    def pulled(*values: Any) -> list:
        full = list(inputs)
        for k, value in zip(positions, values):
            full[k] = value
        outs = closed.evaluate(*full)
        return [outs[j] for j in outputs]

    _, pullback = vjp(pulled, *[inputs[k] for k in positions])
    cotangents = pullback([out_cotangents[j] for j in outputs])
    result: list = [None] * len(inputs)
    for k, cotangent in zip(positions, cotangents):
        result[k] = cotangent
    return result


def _zero_if_none(value: Any, like: Any) -> Any:
    return zeros_like_value(like) if value is None else value


# -- cond and switch ----------------------------------------------------------------------------------


class Branches:
    """The parameter of a staged ``cond``: its branches' sub-programs and how its arguments split among them.

    Arguments: the index (or the predicate), the operands, then the values each
    branch captured, branch after branch.
    """

    __slots__ = ("closed", "n_operands", "predicate")

    def __init__(self, closed: Sequence[Closed], n_operands: int, predicate: bool) -> None:
        self.closed = tuple(closed)
        self.n_operands = n_operands
        self.predicate = predicate

    @property
    def packing(self) -> Packing:
        return self.closed[0].packing

    def choose(self, index: Any) -> int:
        if self.predicate:
            return 1 if index else 0
        return min(max(int(index), 0), len(self.closed) - 1)

    def inputs(self, branch: int, args: Sequence[Any]) -> list:
        """The inputs of one branch among the arguments after the index: the operands and its captured values."""
        start = self.n_operands + sum(closed.n_consts for closed in self.closed[:branch])
        return [*args[: self.n_operands], *args[start : start + self.closed[branch].n_consts]]

    def input_positions(self, branch: int) -> list[int]:
        start = self.n_operands + sum(closed.n_consts for closed in self.closed[:branch])
        return [*range(self.n_operands), *range(start, start + self.closed[branch].n_consts)]

    def __repr__(self) -> str:
        return f"<{len(self.closed)} branches: {', '.join(repr(closed) for closed in self.closed)}>"


def _cond_impl(index: Any, *args: Any, branches: Branches) -> Any:
    chosen = branches.choose(index)
    return branches.packing.pack(branches.closed[chosen].run(*branches.inputs(chosen, args)))


def _cond_jvp(tangents: Sequence[Any], ans: Any, index: Any, *args: Any, branches: Branches) -> Any:
    packing = branches.packing
    arg_tangents = list(tangents[1:])
    moving = [k for k, tangent in enumerate(arg_tangents) if tangent is not None]
    if not moving or not packing.differentiable:
        return None
    count = len(args)

    def tangent_branch(branch: int) -> Callable[..., Any]:
        closed = branches.closed[branch]

        def run(*values: Any) -> list:
            full_tangents: list = [None] * count
            for k, tangent in zip(moving, values[count:]):
                full_tangents[k] = tangent
            inputs = branches.inputs(branch, values[:count])
            input_tangents = [full_tangents[k] for k in branches.input_positions(branch)]
            _, out_tangents = _jvp_both(closed, inputs, input_tangents)
            return [packing.pack_traced(out_tangents)]

        return run

    functions = [tangent_branch(branch) for branch in range(len(branches.closed))]
    values = [*args, *(arg_tangents[k] for k in moving)]
    return _switch_flat(index, functions, values, branches.predicate, "lax.cond's JVP")[0]


def _cond_vjp(cotangent: Any, ans: Any, index: Any, *args: Any, branches: Branches) -> list:
    packing = branches.packing
    result: list = [None] * (1 + len(args))
    if not packing.differentiable:
        return result
    positions = [k for k, value in enumerate(args) if _is_float(value)]
    if not positions:
        return result
    in_packing = Packing([_aval(args[k], lambda: "lax.cond") for k in positions])
    count = len(args)

    def cotangent_branch(branch: int) -> Callable[..., Any]:
        closed = branches.closed[branch]

        def run(*values: Any) -> list:
            inputs = branches.inputs(branch, values[:count])
            input_cotangents = _vjp_inputs(closed, inputs, packing.unpack_cotangent(values[count]))
            by_position = dict(zip(branches.input_positions(branch), input_cotangents))
            return [in_packing.pack_traced([by_position.get(k) for k in positions])]

        return run

    functions = [cotangent_branch(branch) for branch in range(len(branches.closed))]
    packed = _switch_flat(index, functions, [*args, cotangent], branches.predicate, "lax.cond's VJP")[0]
    for k, value in zip(positions, in_packing.unpack(packed)):
        result[1 + k] = value
    return result


def _cond_batch(values: list, batched: tuple, branches: Branches) -> Any:
    size = batch_size(values, batched)
    index, args = values[0], values[1:]
    axes = [0 if flag else None for flag in batched[1:]]
    packing = branches.packing
    count = len(branches.closed)

    def packed_branch(branch: int) -> Callable[..., Any]:
        def run(*example: Any) -> Any:
            return packing.pack_traced(branches.closed[branch].evaluate(*branches.inputs(branch, example)))

        return run

    if batched[0]:  # each example chooses its own branch: run them all, select per example

        def select(chosen: Any, *example: Any) -> Any:
            outs = [packed_branch(branch)(*example) for branch in range(count)]
            if branches.predicate:
                return wnp.where(chosen, outs[1], outs[0])
            chosen = wnp.clip(chosen, 0, count - 1)
            result = outs[-1]
            for branch in range(count - 2, -1, -1):
                result = wnp.where(chosen == branch, outs[branch], result)
            return result

        return vmap(select, in_axes=(0, *axes))(index, *args)
    functions = [
        (lambda branch: lambda *example: [_vmapped(packed_branch(branch), example, axes, size)])(branch)
        for branch in range(count)
    ]
    return _switch_flat(index, functions, list(args), branches.predicate, "lax.cond under vmap")[0]


cond_p = Primitive("cond", _cond_impl, jvp_joint=_cond_jvp, vjp_joint=_cond_vjp, batch=_cond_batch)
cond_p.shape_rule = lambda *avals, branches: branches.packing.aval


def _switch_flat(
    index: Any,
    functions: Sequence[Callable[..., list]],
    operands: Sequence[Any],
    predicate: bool,
    what: str,
    names: Sequence[str] | None = None,
) -> list:
    """Apply the chosen one of ``functions`` (each takes the operands, returns a list of leaves).

    ``names`` name the functions in errors (``true_fun``...).
    """
    kind = _classify(index)
    if kind == "concrete":
        raw = primal_value(index)
        chosen = (1 if raw else 0) if predicate else min(max(int(raw), 0), len(functions) - 1)
        return list(functions[chosen](*operands))
    if kind == "batched":
        outs = [list(function(*operands)) for function in functions]
        _check_branch_types([[_aval(leaf, lambda: what) for leaf in out] for out in outs], what, names)
        if predicate:
            return [wnp.where(index, true, false) for false, true in zip(outs[0], outs[1])]
        index = wnp.clip(index, 0, len(functions) - 1)
        result = outs[-1]
        for branch in range(len(functions) - 2, -1, -1):
            result = [wnp.where(index == branch, a, b) for a, b in zip(outs[branch], result)]
        return result
    avals = [_aval(operand, lambda: f"{what}: an operand") for operand in operands]
    staged = [_stage(function, avals, f"branch{branch}", what) for branch, function in enumerate(functions)]
    _check_branch_types([closed.out_avals for closed, _, _ in staged], what, names)
    branches = Branches([closed for closed, _, _ in staged], len(operands), predicate)
    captured = [value for _, values, _ in staged for value in values]
    out = bind(cond_p, (index, *operands, *captured), {"branches": branches})
    return branches.packing.unpack(out)


def _check_branch_types(outputs: Sequence[Sequence[Abstract]], what: str, names: Sequence[str] | None = None) -> None:
    first = outputs[0]
    for branch, out in enumerate(outputs[1:], start=1):
        name = names[branch] if names else f"branch {branch}"
        first_name = names[0] if names else "branch 0"
        if len(out) != len(first):
            raise TypeError(
                f"{what}: the branches must return the same number of arrays; {first_name} returns {len(first)}, "
                f"{name} returns {len(out)}"
            )
        for leaf, (a, b) in enumerate(zip(first, out)):
            if not _same_type(a, b):
                raise TypeError(
                    f"{what}: the branches must return the same shapes and dtypes; output {leaf} is {_text(a)} in "
                    f"{first_name} but {_text(b)} in {name} (cast or reshape one of them)"
                )


def _public_branches(
    functions: Sequence[Callable[..., Any]], names: Sequence[str], operand_tree: TreeDef, what: str
) -> tuple[list, list]:
    """Branch functions on leaves (for `_switch_flat`), and the output structures they return (checked alike)."""
    trees: list = [None] * len(functions)

    def wrap(branch: int) -> Callable[..., list]:
        def run(*leaves: Any) -> list:
            out_leaves, tree = tree_flatten(functions[branch](*tree_unflatten(operand_tree, list(leaves))))
            for other, other_tree in enumerate(trees):
                if other_tree is not None and other_tree != tree:
                    raise TypeError(
                        f"{what}: the branches must return the same structure; {names[other]} returns "
                        f"{_structure(other_tree)} but {names[branch]} returns {_structure(tree)}"
                    )
            trees[branch] = tree
            return out_leaves

        return run

    return [wrap(branch) for branch in range(len(functions))], trees


def _structure(tree: TreeDef) -> str:
    if tree.kind is None:
        return "a single array"
    paths = leaf_paths(tree)
    return f"a {tree.kind.__name__} with leaves {', '.join(paths)}" if paths else f"an empty {tree.kind.__name__}"


def _switch_public(
    index: Any,
    functions: Sequence[Callable[..., Any]],
    names: Sequence[str],
    operands: tuple,
    what: str,
    predicate: bool,
) -> Any:
    leaves, operand_tree = tree_flatten(operands)
    wrapped, trees = _public_branches(functions, names, operand_tree, what)
    out = _switch_flat(index, wrapped, leaves, predicate, what, names)
    return tree_unflatten(next(tree for tree in trees if tree is not None), out)


def _check_scalar(value: Any, what: str, name: str, kinds: str) -> np.dtype:
    value_shape = tuple(_shape(value))
    if value_shape != ():
        raise TypeError(
            f"{what}: {name} must be a scalar (shape ()), got shape {value_shape}"
            + ("; for a choice per element use wnp.where" if name == "pred" else "")
        )
    dtype = np.dtype(_dtype(value))
    if dtype.kind not in kinds:
        expected = "a boolean or a number" if "f" in kinds else "an integer"
        raise TypeError(f"{what}: {name} must be {expected}, got dtype {dtype}")
    return dtype


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any], *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one operation (JAX's ``lax.cond``).

    ``pred`` is a scalar (a boolean, or a number: true when nonzero). When its
    value is known (plain values, ``grad``, ``jvp``) the chosen branch runs and
    the derivative is that branch's; under ``vmap`` with a batched ``pred`` both
    branches run and each example takes its own (``wnp.where``); under ``jit``
    the choice is made when the compiled program runs. Both branches must return
    the same structure, shapes and dtypes.

    Example:
        >>> import wengert as wg
        >>> f = lambda x: cond(x > 0, lambda y: y * y, lambda y: -y, x)
        >>> float(f(3.0)), float(wg.jit(f)(-2.0)), float(wg.grad(f)(3.0))
        (9.0, 2.0, 6.0)
    """
    for function, name in ((true_fun, "true_fun"), (false_fun, "false_fun")):
        if not callable(function):
            raise TypeError(f"lax.cond: {name} must be a function, got {describe(function)}")
    dtype = _check_scalar(pred, "lax.cond", "pred", "biuf")
    if _classify(pred) == "concrete":
        return (true_fun if primal_value(pred) else false_fun)(*operands)
    if dtype.kind != "b":
        pred = pred != 0
    return _switch_public(pred, (false_fun, true_fun), ("false_fun", "true_fun"), operands, "lax.cond", True)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)`` as one operation (JAX's ``lax.switch``); ``index`` is clamped to the branches.

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> f = wg.jit(lambda i, x: switch(i, [wnp.sin, wnp.cos, lambda y: -y], x))
        >>> float(f(1, 0.0)), float(f(7, 2.0))
        (1.0, -2.0)
    """
    branches = list(branches) if isinstance(branches, (list, tuple)) else branches
    if not isinstance(branches, list) or not branches:
        raise TypeError(f"lax.switch: branches must be a non-empty list of functions, got {describe(branches)}")
    for number, function in enumerate(branches):
        if not callable(function):
            raise TypeError(f"lax.switch: branches[{number}] must be a function, got {describe(function)}")
    _check_scalar(index, "lax.switch", "index", "iu")
    names = [f"branches[{number}]" for number in range(len(branches))]
    return _switch_public(index, branches, names, operands, "lax.switch", False)


# -- while_loop --------------------------------------------------------------------------------------


def _while_impl(*args: Any, cond: Closed, body: Closed) -> Any:
    cond_consts = args[: cond.n_consts]
    body_consts = args[cond.n_consts : cond.n_consts + body.n_consts]
    carry = _arrays(args[cond.n_consts + body.n_consts :])
    while cond.run(*carry, *cond_consts)[0]:
        carry = _arrays(body.run(*carry, *body_consts))
    return body.packing.pack(carry)


def _while_jvp(tangents: Sequence[Any], ans: Any, *args: Any, cond: Closed, body: Closed) -> Any:
    split = cond.n_consts + body.n_consts
    cond_consts, body_consts, carry = args[: cond.n_consts], args[cond.n_consts : split], list(args[split:])
    const_tangents, carry_tangents = tangents[cond.n_consts : split], tangents[split:]
    moving = [k for k, tangent in enumerate(const_tangents) if tangent is not None]
    if (not moving and all(t is None for t in carry_tangents)) or not body.packing.differentiable:
        return None
    floats = [k for k, aval in enumerate(body.in_avals[: body.n_args]) if aval.dtype.kind == "f"]
    moving_tangents = [const_tangents[k] for k in moving]
    count = len(carry)

    def step_cond(*state_: Any) -> list:
        return cond.evaluate(*state_[:count], *cond_consts)

    def step_body(*state_: Any) -> list:
        inputs = [*state_[:count], *body_consts]
        input_tangents: list = [None] * len(inputs)
        for k, tangent in zip(floats, state_[count:]):
            input_tangents[k] = tangent
        for k, tangent in zip(moving, moving_tangents):
            input_tangents[count + k] = tangent
        outs, out_tangents = _jvp_both(body, inputs, input_tangents)
        return [*outs, *(_zero_if_none(out_tangents[k], outs[k]) for k in floats)]

    init_tangents = [_zero_if_none(carry_tangents[k], carry[k]) for k in floats]
    final = _while_flat(step_cond, step_body, [*carry, *init_tangents], "lax.while_loop's JVP", staged=True)
    out_tangents: list = [None] * count
    for j, k in enumerate(floats):
        out_tangents[k] = final[count + j]
    return body.packing.pack_traced(out_tangents)


def _while_vjp(cotangent: Any, ans: Any, *args: Any, cond: Closed, body: Closed) -> list:
    raise ValueError(
        "Reverse-mode differentiation does not work for lax.while_loop (nor for lax.fori_loop with traced bounds): "
        "its number of steps is unknown until it runs, so the values its backward pass needs cannot be planned. "
        "Use lax.fori_loop with Python-int bounds (a static trip count) or lax.scan; forward mode (jvp, jacfwd) works."
    )


def _while_batch(values: list, batched: tuple, cond: Closed, body: Closed) -> Any:
    size = batch_size(values, batched)
    split = cond.n_consts + body.n_consts
    cond_consts, body_consts = values[: cond.n_consts], values[cond.n_consts : split]
    cond_axes = [0 if flag else None for flag in batched[: cond.n_consts]]
    body_axes = [0 if flag else None for flag in batched[cond.n_consts : split]]
    carry = [materialize(value, flag, size) for value, flag in zip(values[split:], batched[split:])]
    count = len(carry)

    def going(*example: Any) -> Any:
        return cond.evaluate(*example)[0]

    def step(*example: Any) -> list:
        state_, consts = example[:count], example[count:]
        keep_going = cond.evaluate(*state_, *consts[: cond.n_consts])[0]
        new = body.evaluate(*state_, *consts[cond.n_consts :])
        return [wnp.where(keep_going, after, before) for after, before in zip(new, state_)]

    def any_going(*state_: Any) -> list:
        return [wnp.any(vmap(going, in_axes=(*[0] * count, *cond_axes))(*state_, *cond_consts))]

    def all_steps(*state_: Any) -> list:
        axes = (*[0] * count, *cond_axes, *body_axes)
        return list(vmap(step, in_axes=axes)(*state_, *cond_consts, *body_consts))

    final = _while_flat(any_going, all_steps, carry, "lax.while_loop under vmap", staged=True)
    return body.packing.pack_rows(final, size)


while_p = Primitive("while_loop", _while_impl, jvp_joint=_while_jvp, vjp_joint=_while_vjp, batch=_while_batch)
while_p.shape_rule = lambda *avals, cond, body: body.packing.aval


def _while_flat(
    cond_fun: Callable[..., Any], body_fun: Callable[..., list], init: Sequence[Any], what: str, staged: bool = False
) -> list:
    """The while loop on a flat carry: ``cond_fun(*carry)`` returns a one-element list, ``body_fun`` the new carry.

    ``staged`` makes it a primitive even outside every transformation (as `_scan_flat`).
    """
    if not (state.stack or staged):
        carry = _arrays(init)
        while cond_fun(*carry)[0]:
            carry = _arrays(body_fun(*carry))
        return carry
    avals = [_aval(value, lambda: f"{what}: the carry", keep_python=False) for value in init]
    closed_cond, cond_captured, _ = _stage(cond_fun, avals, "while_cond", what)
    out = closed_cond.out_avals
    if len(out) != 1 or out[0].shape != () or out[0].dtype.kind != "b":
        found = ", ".join(_text(aval) for aval in out) or "nothing"
        raise TypeError(f"{what}: cond_fun must return a boolean scalar, got {found}")
    closed_body, body_captured, _ = _stage(body_fun, avals, "while_body", what)
    out = closed_body.out_avals
    if len(out) != len(avals) or not all(_same_type(a, b) for a, b in zip(avals, out)):
        raise TypeError(
            f"{what}: the body must return the carry's types {[_text(a) for a in avals]}, got {[_text(a) for a in out]}"
        )
    packed = bind(while_p, (*cond_captured, *body_captured, *init), {"cond": closed_cond, "body": closed_body})
    return closed_body.packing.unpack(packed)


def _carry_checker(tree: TreeDef, avals: Sequence[Abstract], what: str, name: str) -> Callable[[Any], list]:
    """A check that a function returned a value of the carry's structure, shapes and dtypes; returns its leaves."""
    paths = leaf_paths(tree)

    def check(out: Any) -> list:
        leaves, out_tree = tree_flatten(out)
        if out_tree != tree:
            raise TypeError(
                f"{what}: {name} must return a carry of the same structure as the initial value: "
                f"{_structure(tree)}, got {_structure(out_tree)}"
            )
        for path, leaf, expected in zip(paths, leaves, avals):
            found = _aval(leaf, lambda path=path: f"{what}: {name}'s carry{path}", keep_python=False)
            if not _same_type(found, expected):
                raise TypeError(
                    f"{what}: {name} must return a carry of the same shapes and dtypes as the initial value: "
                    f"carry{path} is {_text(expected)} initially but {_text(found)} after a step"
                    + (
                        " (start from a float, 0.0 instead of 0)"
                        if expected.dtype.kind in "iub" and found.dtype.kind == "f"
                        else ""
                    )
                )
        return leaves

    return check


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any], init_val: Any) -> Any:
    """``val = body_fun(val)`` while ``cond_fun(val)``, starting from ``init_val`` (JAX's ``lax.while_loop``).

    The carry (any pytree of arrays) keeps its structure, shapes and dtypes;
    ``cond_fun`` returns a boolean scalar. Forward mode (``jvp``, ``jacfwd``)
    differentiates it; reverse mode raises (the number of steps is unknown until
    the loop runs: use ``fori_loop`` with static bounds or ``scan``). Under
    ``vmap`` the loop runs until every example's ``cond_fun`` is false, each
    example keeping its carry from its own last step.

    Example:
        >>> import wengert as wg
        >>> halve = lambda x: while_loop(lambda v: v > 1.0, lambda v: v / 2.0, x)
        >>> float(halve(10.0)), float(wg.jvp(halve, (10.0,), (1.0,))[1])
        (0.625, 0.0625)
    """
    for function, name in ((cond_fun, "cond_fun"), (body_fun, "body_fun")):
        if not callable(function):
            raise TypeError(f"lax.while_loop: {name} must be a function, got {describe(function)}")
    leaves, tree = tree_flatten(init_val)
    paths = leaf_paths(tree)
    avals = [
        _aval(leaf, lambda p=path: f"lax.while_loop: init_val{p}", keep_python=False)
        for leaf, path in zip(leaves, paths)
    ]
    check = _carry_checker(tree, avals, "lax.while_loop", "body_fun")

    def flat_cond(*carry: Any) -> list:
        out = cond_fun(tree_unflatten(tree, list(carry)))
        if not state.stack:
            _check_scalar(out, "lax.while_loop", "cond_fun's result", "b")
        return [out]

    def flat_body(*carry: Any) -> list:
        return check(body_fun(tree_unflatten(tree, list(carry))))

    return tree_unflatten(tree, _while_flat(flat_cond, flat_body, leaves, "lax.while_loop"))


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any, *, unroll: Any = None) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)`` (JAX's ``lax.fori_loop``).

    With Python-int bounds the trip count is static: the loop is a `scan`
    (``i`` comes from ``np.arange(lower, upper)``) and reverse mode works. With a
    traced bound it is a `while_loop` (forward mode only). Under a
    transformation ``i`` is traced like the body's other values: index a plain
    NumPy array with it through ``wnp.take(a, i)``.

    Example:
        >>> import wengert as wg
        >>> f = lambda x: fori_loop(0, 3, lambda i, v: v * x + i, 1.0)
        >>> float(f(2.0)), float(wg.grad(f)(2.0))
        (12.0, 13.0)
    """
    if not callable(body_fun):
        raise TypeError(f"lax.fori_loop: body_fun must be a function, got {describe(body_fun)}")
    for value, name in ((lower, "lower"), (upper, "upper")):
        if isinstance(value, bool) or np.dtype(_dtype(value)).kind not in "iu" or tuple(_shape(value)) != ():
            raise TypeError(f"lax.fori_loop: {name} must be an integer scalar, got {describe(value)}")
    if not isinstance(lower, Tracer) and not isinstance(upper, Tracer):
        start, stop = int(lower), int(upper)
        steps = np.arange(start, max(start, stop))
        carry, _ = scan(
            lambda val, i: (body_fun(i, val), None), init_val, steps, unroll=1 if unroll is None else unroll
        )
        return carry
    if unroll not in (None, 1, False):
        raise ValueError("lax.fori_loop: unroll needs a static trip count (Python-int lower and upper)")
    index_dtype = np.result_type(_dtype(lower), _dtype(upper))
    start, stop = (
        bound if _dtype(bound) == index_dtype else wnp.astype(bound, index_dtype) for bound in (lower, upper)
    )
    _, _, result = while_loop(
        lambda val: val[0] < val[1], lambda val: (val[0] + 1, val[1], body_fun(val[0], val[2])), (start, stop, init_val)
    )
    return result


# -- scan --------------------------------------------------------------------------------------------


class ScanBody:
    """The parameter of a staged ``scan``: the body's sub-program and how its inputs and outputs divide.

    Arguments: the initial carry, the scanned ``xs``, the captured values. The
    body maps (carry, x, captured) to (carry, y). With ``saves_carries`` the body
    also returns its input carry as extra ``y`` outputs, so that a backward pass
    reads the carry of every step instead of recomputing it.
    """

    __slots__ = ("closed", "n_carry", "n_xs", "saves_carries", "packing")

    def __init__(self, closed: Closed, n_carry: int, n_xs: int, length: int, saves_carries: bool) -> None:
        self.closed = closed
        self.n_carry = n_carry
        self.n_xs = n_xs
        self.saves_carries = saves_carries
        avals = closed.out_avals
        self.packing = Packing(
            [*avals[:n_carry], *(Abstract((length, *aval.shape), aval.dtype) for aval in avals[n_carry:])]
        )

    @property
    def y_avals(self) -> list:
        return self.closed.out_avals[self.n_carry :]

    def __repr__(self) -> str:
        return repr(self.closed)

    def __str__(self) -> str:
        return str(self.closed)


def _scan_impl(*args: Any, body: ScanBody, length: int, reverse: bool) -> Any:
    n_carry, n_xs, closed = body.n_carry, body.n_xs, body.closed
    carry = _arrays(args[:n_carry])
    xs = args[n_carry : n_carry + n_xs]
    consts = args[n_carry + n_xs :]
    ys = [np.empty((length, *aval.shape), aval.dtype) for aval in body.y_avals]
    for t in range(length - 1, -1, -1) if reverse else range(length):
        outs = closed.run(*carry, *[x[t] for x in xs], *consts)
        carry = _arrays(outs[:n_carry])
        for buffer, y in zip(ys, outs[n_carry:]):
            buffer[t] = y
    return body.packing.pack([*carry, *ys])


def _split_scan_args(args: Sequence[Any], body: ScanBody) -> tuple[list, list, list]:
    n_carry, n_xs = body.n_carry, body.n_xs
    return list(args[:n_carry]), list(args[n_carry : n_carry + n_xs]), list(args[n_carry + n_xs :])


def _scan_jvp(tangents: Sequence[Any], ans: Any, *args: Any, body: ScanBody, length: int, reverse: bool) -> Any:
    if all(t is None for t in tangents) or not body.packing.differentiable:
        return None
    init, xs, consts = _split_scan_args(args, body)
    init_t, xs_t, consts_t = _split_scan_args(tangents, body)
    closed, n_carry, n_xs = body.closed, body.n_carry, body.n_xs
    floats = [k for k, aval in enumerate(closed.in_avals[:n_carry]) if aval.dtype.kind == "f"]
    float_ys = [j for j, aval in enumerate(body.y_avals) if aval.dtype.kind == "f"]
    moving_xs = [k for k in range(n_xs) if xs_t[k] is not None]
    moving_consts = [k for k in range(len(consts)) if consts_t[k] is not None]
    const_tangents = [consts_t[k] for k in moving_consts]

    def step(carry: list, x: list) -> tuple[list, list]:
        primal_carry, carry_tangents = carry[:n_carry], carry[n_carry:]
        primal_x, x_tangents = x[:n_xs], x[n_xs:]
        inputs = [*primal_carry, *primal_x, *consts]
        input_tangents: list = [None] * len(inputs)
        for k, tangent in zip(floats, carry_tangents):
            input_tangents[k] = tangent
        for k, tangent in zip(moving_xs, x_tangents):
            input_tangents[n_carry + k] = tangent
        for k, tangent in zip(moving_consts, const_tangents):
            input_tangents[n_carry + n_xs + k] = tangent
        outs, out_tangents = _jvp_both(closed, inputs, input_tangents)
        new_tangents = [_zero_if_none(out_tangents[k], outs[k]) for k in floats]
        y_tangents = [_zero_if_none(out_tangents[n_carry + j], outs[n_carry + j]) for j in float_ys]
        return [*outs[:n_carry], *new_tangents], y_tangents

    init_tangents = [_zero_if_none(init_t[k], init[k]) for k in floats]
    final, y_tangents = _scan_flat(
        step,
        [*init, *init_tangents],
        [*xs, *(xs_t[k] for k in moving_xs)],
        length,
        reverse,
        "lax.scan's JVP",
        staged=True,
    )
    out_tangents: list = [None] * (n_carry + len(body.y_avals))
    for j, k in enumerate(floats):
        out_tangents[k] = final[n_carry + j]
    for tangent, j in zip(y_tangents, float_ys):
        out_tangents[n_carry + j] = tangent
    return body.packing.pack_traced(out_tangents)


def _scan_vjp(cotangent: Any, ans: Any, *args: Any, body: ScanBody, length: int, reverse: bool) -> list:
    result: list = [None] * len(args)
    if not body.packing.differentiable:
        return result
    init, xs, consts = _split_scan_args(args, body)
    closed, n_carry, n_xs = body.closed, body.n_carry, body.n_xs
    cotangents = body.packing.unpack_cotangent(cotangent)
    carry_cotangents, y_cotangents = cotangents[:n_carry], cotangents[n_carry:]
    if body.saves_carries:
        carries = body.packing.unpack(ans)[-n_carry:] if n_carry else []
    else:  # recompute the carry entering each step

        def forward(carry: list, x: list) -> tuple[list, list]:
            return list(closed.evaluate(*carry, *x, *consts))[:n_carry], list(carry)

        _, carries = _scan_flat(forward, init, xs, length, reverse, "lax.scan's VJP", staged=True)
    float_carry = [k for k, aval in enumerate(closed.in_avals[:n_carry]) if aval.dtype.kind == "f"]
    float_xs = [k for k, value in enumerate(xs) if _is_float(value)]
    float_consts = [k for k, value in enumerate(consts) if _is_float(value)]
    float_ys = [j for j, ct in enumerate(y_cotangents) if ct is not None]
    n_float_carry = len(float_carry)

    def step(carry: list, x: list) -> tuple[list, list]:
        carry_ct, consts_ct = carry[:n_float_carry], carry[n_float_carry:]
        primal_carry, primal_x, y_ct = x[:n_carry], x[n_carry : n_carry + n_xs], x[n_carry + n_xs :]
        inputs = [*primal_carry, *primal_x, *consts]
        out_cts: list = [None] * len(closed.out_avals)
        for k, ct in zip(float_carry, carry_ct):
            out_cts[k] = ct
        for j, ct in zip(float_ys, y_ct):
            out_cts[n_carry + j] = ct
        in_cts = _vjp_inputs(closed, inputs, out_cts)
        new_carry_ct = [_zero_if_none(in_cts[k], inputs[k]) for k in float_carry]
        new_consts_ct = [
            total if in_cts[n_carry + n_xs + k] is None else total + in_cts[n_carry + n_xs + k]
            for total, k in zip(consts_ct, float_consts)
        ]
        xs_ct = [_zero_if_none(in_cts[n_carry + k], inputs[n_carry + k]) for k in float_xs]
        return [*new_carry_ct, *new_consts_ct], xs_ct

    init_ct = [_zero_if_none(carry_cotangents[k], init[k]) for k in float_carry]
    consts_ct0 = [zeros_like_value(consts[k]) for k in float_consts]
    scanned = [*carries, *xs, *(y_cotangents[j] for j in float_ys)]
    final, xs_ct = _scan_flat(
        step, [*init_ct, *consts_ct0], scanned, length, not reverse, "lax.scan's VJP", staged=True
    )
    for j, k in enumerate(float_carry):
        result[k] = final[j]
    for j, k in enumerate(float_xs):
        result[n_carry + k] = xs_ct[j]
    for j, k in enumerate(float_consts):
        result[n_carry + n_xs + k] = final[n_float_carry + j]
    return result


def _scan_batch(values: list, batched: tuple, body: ScanBody, length: int, reverse: bool) -> Any:
    size = batch_size(values, batched)
    n_carry, n_xs, closed = body.n_carry, body.n_xs, body.closed
    init, xs, consts = _split_scan_args(values, body)
    flags_xs = batched[n_carry : n_carry + n_xs]
    carry = [materialize(value, flag, size) for value, flag in zip(init, batched[:n_carry])]
    xs = [wnp.moveaxis(x, 0, 1) if flag else x for x, flag in zip(xs, flags_xs)]  # scan axis first, then the batch
    axes = [
        *[0] * n_carry,
        *(0 if flag else None for flag in flags_xs),
        *(0 if flag else None for flag in batched[n_carry + n_xs :]),
    ]

    def step(state_: list, x: list) -> tuple[list, list]:
        outs = _vmapped(lambda *example: list(closed.evaluate(*example)), [*state_, *x, *consts], axes, size)
        return list(outs[:n_carry]), list(outs[n_carry:])

    final, ys = _scan_flat(step, carry, xs, length, reverse, "lax.scan under vmap", staged=True)
    return body.packing.pack_rows([*final, *(wnp.moveaxis(y, 1, 0) for y in ys)], size)


scan_p = Primitive("scan", _scan_impl, jvp_joint=_scan_jvp, vjp_joint=_scan_vjp, batch=_scan_batch)
scan_p.shape_rule = lambda *avals, body, length, reverse: body.packing.aval


def _scan_python(
    body_fun: Callable[[list, list], tuple],
    init: Sequence[Any],
    xs: Sequence[Any],
    length: int,
    reverse: bool,
    what: str,
) -> tuple[list, list]:
    """The scan as a Python loop in the running trace (nothing staged: every step is recorded as it runs)."""
    carry = _arrays(init)
    steps: list = []
    for t in range(length - 1, -1, -1) if reverse else range(length):
        carry, y = body_fun(carry, [x[t] for x in xs])
        carry = _arrays(carry)
        steps.append(y)
    if reverse:
        steps.reverse()
    if not steps:  # the outputs' shapes come from staging the body once
        avals = [_aval(value, lambda: f"{what}: the carry", keep_python=False) for value in init]
        x_avals = [Abstract(tuple(_shape(x))[1:], np.dtype(_dtype(x))) for x in xs]
        closed, _, _ = _stage(
            lambda *leaves: body_fun(list(leaves[: len(init)]), list(leaves[len(init) :])),
            [*avals, *x_avals],
            "scan_body",
            what,
        )
        return carry, [np.zeros((0, *aval.shape), aval.dtype) for aval in closed.out_avals[len(init) :]]
    return carry, [wnp.stack([step_[j] for step_ in steps]) for j in range(len(steps[0]))]


def _scan_flat(
    body_fun: Callable[[list, list], tuple],
    init: Sequence[Any],
    xs: Sequence[Any],
    length: int,
    reverse: bool,
    what: str,
    unroll: int = 1,
    checkpoint: int = 0,
    staged: bool = False,
) -> tuple[list, list]:
    """The scan on flat lists: ``body_fun(carry, x) -> (carry, y)``; returns the final carry and the stacked ys.

    ``checkpoint`` (a segment length, 0 for none) and ``unroll`` (steps per
    iteration) split the scan into segments; see `scan`. ``staged`` makes it a
    primitive even outside every transformation (rules run a staged body faster
    than a Python loop of transformations).
    """
    init = list(init)
    if unroll >= max(length, 1) or not (state.stack or staged):
        return _scan_python(body_fun, init, xs, length, reverse, what)
    if 1 < unroll < length:
        return _segmented(body_fun, init, xs, length, reverse, what, unroll, inline=True)
    n_carry, n_xs = len(init), len(xs)
    avals = [_aval(value, lambda: f"{what}: the carry", keep_python=False) for value in init]
    x_avals = [Abstract(tuple(_shape(x))[1:], np.dtype(_dtype(x))) for x in xs]
    closed, captured, _ = _stage(
        lambda *leaves: body_fun(list(leaves[:n_carry]), list(leaves[n_carry:])), [*avals, *x_avals], "scan_body", what
    )
    out = closed.out_avals
    if len(out) < n_carry or not all(_same_type(a, b) for a, b in zip(avals, out)):
        raise TypeError(
            f"{what}: the body must return the carry's types {[_text(a) for a in avals]}, got "
            f"{[_text(a) for a in out[:n_carry]]}"
        )
    saves = _has_reverse([*init, *xs, *captured])
    if saves and checkpoint and 1 < checkpoint < length:
        return _segmented(body_fun, init, xs, length, reverse, what, checkpoint, inline=False)
    n_ys = len(out) - n_carry
    if saves:  # the backward pass reads the carry entering each step instead of recomputing it
        program = closed.program
        carries = program.inputs[:n_carry]
        closed = Closed(
            Program(program.inputs, program.equations, [*program.outputs, *carries], program.name),
            closed.n_args,
            [*out, *(var.aval for var in carries)],
            closed.compiled,
        )
    spec = ScanBody(closed, n_carry, n_xs, length, saves)
    packed = bind(scan_p, (*init, *xs, *captured), {"body": spec, "length": length, "reverse": reverse})
    leaves = spec.packing.unpack(packed, n_carry + n_ys)  # not the saved carries: only the VJP reads them
    return leaves[:n_carry], leaves[n_carry:]


def _segmented(
    body_fun: Callable[[list, list], tuple],
    init: list,
    xs: Sequence[Any],
    length: int,
    reverse: bool,
    what: str,
    segment: int,
    inline: bool,
) -> tuple[list, list]:
    """A scan of segments of ``segment`` steps (each unrolled inline, or a scan of its own), then the rest."""
    if reverse:
        xs = [wnp.flip(x, 0) for x in xs]
    count = length // segment
    done = count * segment
    grouped = [wnp.reshape(x[:done], (count, segment, *tuple(_shape(x))[1:])) for x in xs]

    def run_segment(carry: list, x: list) -> tuple[list, list]:
        if inline:
            return _scan_python(body_fun, carry, x, segment, False, what)
        return _scan_flat(body_fun, carry, x, segment, False, what)

    carry, ys = _scan_flat(run_segment, init, grouped, count, False, what)
    ys = [wnp.reshape(y, (done, *tuple(_shape(y))[2:])) for y in ys]
    if done < length:
        carry, rest = _scan_flat(body_fun, carry, [x[done:] for x in xs], length - done, False, what)
        ys = [wnp.concatenate([y, tail]) for y, tail in zip(ys, rest)]
    if reverse:
        ys = [wnp.flip(y, 0) for y in ys]
    return carry, ys


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
    *,
    checkpoint: bool | int = False,
) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; return the final carry and the stacked ys.

    JAX's ``lax.scan``: ``xs`` and the ys are pytrees of arrays whose axis 0 is
    the step (``xs=None`` with ``length`` scans nothing); ``reverse=True`` runs
    from the last step to the first, with ``ys[i]`` still belonging to
    ``xs[i]``; the carry keeps its structure, shapes and dtypes.

    Reverse mode saves the carry entering each step (one carry per step, not
    every intermediate of the body) and runs the body's VJP backwards over them,
    recomputing each step's interior: about two forward passes and one backward.
    ``checkpoint=True`` saves only every ⌈√length⌉-th carry and recomputes the
    carries of one segment at a time in the backward pass (memory O(√length)
    carries, one more forward pass); an int sets the segment length.
    ``unroll=k`` runs k steps per iteration of the loop; ``unroll=True`` unrolls
    it entirely into the running transformation (reverse mode then saves every
    intermediate, and ``jit`` stages a copy of the body per step).

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> cumsum = lambda xs: scan(lambda c, x: (c + x, c + x), 0.0, xs)
        >>> total, partial = cumsum(np.array([1.0, 2.0, 3.0]))
        >>> float(total), partial
        (6.0, array([1., 3., 6.]))
        >>> wg.grad(lambda xs: cumsum(xs)[0] ** 2)(np.array([1.0, 2.0, 3.0]))
        array([12., 12., 12.])
    """
    if not callable(f):
        raise TypeError(f"lax.scan: f must be a function, got {describe(f)}")
    if not (isinstance(unroll, (bool, int, np.integer)) and (isinstance(unroll, bool) or unroll >= 1)):
        raise ValueError(f"lax.scan: unroll must be a positive int or a bool, got {unroll!r}")
    if not (isinstance(checkpoint, (bool, int, np.integer)) and (isinstance(checkpoint, bool) or checkpoint >= 1)):
        raise ValueError(f"lax.scan: checkpoint must be a bool or a positive segment length, got {checkpoint!r}")
    init_leaves, init_tree = tree_flatten(init)
    init_paths = leaf_paths(init_tree)
    avals = [
        _aval(leaf, lambda p=p: f"lax.scan: init{p}", keep_python=False) for leaf, p in zip(init_leaves, init_paths)
    ]
    xs_leaves, xs_tree = tree_flatten(xs)
    xs_paths = leaf_paths(xs_tree)
    lengths = set()
    for leaf, path in zip(xs_leaves, xs_paths):
        aval = _aval(leaf, lambda p=path: f"lax.scan: xs{p}")
        if not aval.shape:
            raise ValueError(f"lax.scan: xs{path} is a scalar; each leaf of xs needs a leading axis to scan over")
        lengths.add(aval.shape[0])
    if length is not None:
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(f"lax.scan: length must be a non-negative int, got {length!r}")
        lengths.add(int(length))
    if len(lengths) > 1:
        found = ", ".join(f"xs{path}: {_shape(leaf)[0]}" for leaf, path in zip(xs_leaves, xs_paths))
        raise ValueError(
            f"lax.scan: the leading axes of xs and length must agree; got {found}"
            + (f", length={length}" if length is not None else "")
        )
    if not lengths:
        raise ValueError("lax.scan: with no xs (xs=None or an empty pytree), give the number of steps as length=")
    (steps,) = lengths
    unroll_steps = max(steps, 1) if unroll is True else 1 if unroll is False else int(unroll)
    segment = 0
    if checkpoint is True:
        segment = max(math.isqrt(steps - 1) + 1, 1) if steps > 1 else 0
    elif checkpoint is not False:
        segment = int(checkpoint)
    check = _carry_checker(init_tree, avals, "lax.scan", "f")
    y_trees: list = []

    def body(carry: list, x: list) -> tuple[list, list]:
        out = f(tree_unflatten(init_tree, carry), tree_unflatten(xs_tree, x))
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"lax.scan: f must return a pair (carry, y), got {describe(out)}")
        new_carry, y = out
        y_leaves, y_tree = tree_flatten(y)
        if y_trees and y_trees[0] != y_tree:
            raise TypeError(
                f"lax.scan: f must return ys of the same structure at every step: {y_trees[0]!r}, then {y_tree!r}"
            )
        if not y_trees:
            y_trees.append(y_tree)
        return check(new_carry), y_leaves

    carry, ys = _scan_flat(body, init_leaves, xs_leaves, steps, bool(reverse), "lax.scan", unroll_steps, segment)
    return tree_unflatten(init_tree, carry), tree_unflatten(y_trees[0], ys)


__all__ = [
    "Branches",
    "Closed",
    "Packing",
    "ScanBody",
    "cond",
    "cond_p",
    "fori_loop",
    "scan",
    "scan_p",
    "switch",
    "while_loop",
    "while_p",
]
