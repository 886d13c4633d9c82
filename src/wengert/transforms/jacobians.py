"""Jacobians, Hessians and their products, composed from jvp, vjp and vmap.

* `jacfwd` pushes every input basis vector forward at once: ``vmap`` over ``jvp``
  (the primal is computed once; the tangents form one batch).
* `jacrev` records the function once and pulls every output basis vector back
  at once: ``vmap`` over the ``vjp`` function.
* `jacobian` records once and chooses: forward over the recorded tape
  (`linearize`) when there are fewer inputs than outputs, reverse otherwise.
* `hessian` is ``jacfwd(jacrev(f))``; `hvp` is forward-over-reverse.

Jacobians have shape ``output.shape + input.shape``; pytrees of inputs and
outputs give pytrees of Jacobian blocks, as in JAX.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import primal_value, tree_flatten, tree_unflatten
from ..core.pytree import TreeDef
from ..core.reverse import TapeTracer
from ._validate import check_argnums_type, check_chunk_size, match_tangents, tree_text
from .differentiate import _argnums_tuple, _check_input, _record, _shape, grad, push_forward
from .vectorize import vmap

logger = logging.getLogger("wengert.jacobian")


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _dtype(value: Any) -> np.dtype:
    raw = primal_value(value)
    kind = np.dtype(raw.dtype) if hasattr(raw, "dtype") else np.asarray(raw).dtype
    return kind if kind.kind == "f" else np.dtype(np.float64)


def _basis(leaves: list, dtype: np.dtype) -> list:
    """The standard basis of the space of ``leaves``, as one batch per leaf (axis 0 = basis index)."""
    shapes = [_shape(leaf) for leaf in leaves]
    total = sum(_size(s) for s in shapes)
    eye = np.eye(total, dtype=dtype)
    blocks = []
    start = 0
    for s in shapes:
        size = _size(s)
        blocks.append(eye[:, start : start + size].reshape((total, *s)))
        start += size
    return blocks


def _chunks(total: int, chunk_size: int | None) -> list[slice]:
    if total == 0:
        return [slice(0, 0)]
    step = total if not chunk_size else max(1, int(chunk_size))
    return [slice(start, min(start + step, total)) for start in range(0, max(total, 1), step)]


def _block_tree(in_tree: TreeDef, single: bool) -> TreeDef:
    """The structure of one output leaf's Jacobian blocks: the argument's own tree for an int argnums."""
    return in_tree.children[0] if single else in_tree


def _jacobian_forward(
    function: Callable[..., Any], args: tuple, nums: tuple[int, ...], chunk_size: int | None, single: bool
) -> Any:
    wrt = tuple(args[n] for n in nums)
    in_leaves, in_tree = tree_flatten(wrt)
    in_leaves = [_check_input(leaf, "jacfwd: input") for leaf in in_leaves]
    in_shapes = [_shape(leaf) for leaf in in_leaves]
    dtype = np.result_type(*[_dtype(leaf) for leaf in in_leaves])
    # Each leaf's tangents in its own dtype (a tangent has its primal's dtype).
    basis = [block.astype(_dtype(leaf), copy=False) for block, leaf in zip(_basis(in_leaves, dtype), in_leaves)]
    total = sum(_size(s) for s in in_shapes)

    def push(*tangent_leaves: Any) -> Any:
        def call(*wrt_values: Any) -> Any:
            full = list(args)
            for n, value in zip(nums, tree_unflatten(in_tree, list(wrt_values))):
                full[n] = value
            return function(*full)

        return push_forward(call, tuple(in_leaves), tuple(tangent_leaves), primal_out=False, name="jacfwd")[1]

    out_tree = None
    out_chunks: list[list] = []
    for part in _chunks(total, chunk_size):
        # Only tangents are read: deferred products never form the output's primal.
        tangents = vmap(push, in_axes=0, out_axes=0)(*[b[part] for b in basis])
        leaves, out_tree = tree_flatten(tangents)
        out_chunks.append(leaves)
    blocks = _blocks_from_pushforwards(_join_chunks(out_chunks), in_shapes, _block_tree(in_tree, single))
    return tree_unflatten(out_tree, blocks)


def _join_chunks(chunks: list[list]) -> list:
    """Per output leaf, the chunks' batches joined along the basis axis."""
    if len(chunks) == 1:
        return chunks[0]
    return [wnp.concatenate([chunk[i] for chunk in chunks], axis=0) for i in range(len(chunks[0]))]


def _blocks_from_pushforwards(out_batches: list, in_shapes: list, block_tree: TreeDef) -> list:
    """Jacobian blocks ``out.shape + in.shape`` from tangents batched over the input basis (axis 0)."""
    blocks = []
    for batch in out_batches:  # (total, *out_shape)
        out_shape = _shape_full(batch)[1:]
        row = []
        start = 0
        for in_shape in in_shapes:
            size = _size(in_shape)
            piece = wnp.reshape(batch[start : start + size], (*in_shape, *out_shape))
            piece = wnp.moveaxis(piece, tuple(range(len(in_shape))), tuple(range(-len(in_shape), 0)))
            row.append(piece)
            start += size
        blocks.append(tree_unflatten(block_tree, row))
    return blocks


def _shape_full(value: Any) -> tuple[int, ...]:
    return tuple(wnp.shape(value))


def _jacobian_reverse(recorded: Any, in_shapes: list, chunk_size: int | None, single: bool) -> Any:
    out_leaves, out_tree = recorded.out_flat, recorded.out_tree
    out_shapes = [_shape(recorded._primal(leaf)) for leaf in out_leaves]
    dtype = np.result_type(*[_dtype(recorded._primal(leaf)) for leaf in out_leaves])
    basis = _basis([recorded._primal(leaf) for leaf in out_leaves], dtype)
    total = sum(_size(s) for s in out_shapes)

    def pull(*cotangent_leaves: Any) -> Any:
        return tree_flatten(recorded.pullback(tree_unflatten(out_tree, list(cotangent_leaves))))[0]

    chunks = []
    for part in _chunks(total, chunk_size):
        chunks.append(vmap(pull)(*[b[part] for b in basis]))
    in_batches = _join_chunks(chunks)
    blocks = []
    start = 0
    for out_shape in out_shapes:
        size = _size(out_shape)
        row = [
            wnp.reshape(batch[start : start + size], (*out_shape, *in_shape))
            for batch, in_shape in zip(in_batches, in_shapes)
        ]
        blocks.append(tree_unflatten(_block_tree(recorded.in_tree, single), row))
        start += size
    return tree_unflatten(out_tree, blocks)


def jacfwd(
    function: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """The Jacobian by forward mode: all input basis vectors pushed through one batched pass.

    ``chunk_size`` limits how many basis vectors go through at once (memory).

    Example:
        >>> import wengert.numpy as wnp
        >>> jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """

    _, single = check_argnums_type(argnums, "jacfwd")
    chunk_size = check_chunk_size(chunk_size, "jacfwd")

    @wraps(function)
    def jacobian_function(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), "jacfwd")
        if has_aux:
            aux_box = []

            def without_aux(*inner: Any) -> Any:
                result = function(*inner)
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise TypeError("jacfwd(has_aux=True): the function must return a pair (output, aux)")
                out, aux = result
                aux_box.append(aux)
                return out

            jac = _jacobian_forward(without_aux, args, nums, chunk_size, single)
            return jac, _strip_batch(aux_box[-1])
        jac = _jacobian_forward(function, args, nums, chunk_size, single)
        return jac

    return jacobian_function


def _strip_batch(tree: Any) -> Any:
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [primal_value(leaf) for leaf in leaves])


def jacrev(
    function: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """The Jacobian by reverse mode: one recording, all output basis vectors pulled back at once.

    Example:
        >>> import wengert.numpy as wnp
        >>> jacrev(lambda x: wnp.sum(x) * x)(np.array([1.0, 2.0]))
        array([[4., 1.],
               [2., 5.]])
    """

    _, single = check_argnums_type(argnums, "jacrev")
    chunk_size = check_chunk_size(chunk_size, "jacrev")

    @wraps(function)
    def jacobian_function(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), "jacrev")
        recorded, aux = _record(function, args, nums, {}, has_aux, "jacrev")
        in_shapes = [_shape(value) for value in recorded.in_values]
        jac = _jacobian_reverse(recorded, in_shapes, chunk_size, single)
        return (jac, aux) if has_aux else jac

    return jacobian_function


class _AutoJacobian:
    """``jacobian``'s result: a function that remembers which mode it last used (``last_mode``)."""

    def __init__(
        self, function: Callable[..., Any], argnums: int | Sequence[int], mode: str, chunk_size: int | None
    ) -> None:
        if mode not in ("auto", "forward", "reverse"):
            raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', not {mode!r}")
        _, self._single = check_argnums_type(argnums, "jacobian")
        chunk_size = check_chunk_size(chunk_size, "jacobian")
        self.function = function
        self.argnums = argnums
        self.mode = mode
        self.chunk_size = chunk_size
        self.last_mode: str | None = None
        self.__name__ = getattr(function, "__name__", "jacobian")
        self.__doc__ = getattr(function, "__doc__", None)

    def __call__(self, *args: Any) -> Any:
        nums = _argnums_tuple(self.argnums, len(args), "jacobian")
        recorded, _ = _record(self.function, args, nums, {}, False, "jacobian")
        in_shapes = [_shape(value) for value in recorded.in_values]
        n_inputs = sum(_size(s) for s in in_shapes)
        n_outputs = sum(_size(_shape(recorded._primal(leaf))) for leaf in recorded.out_flat)
        mode = self.mode
        if mode == "auto":
            mode = "forward" if n_inputs < n_outputs else "reverse"
        self.last_mode = mode
        logger.debug(
            "jacobian of %s: %d inputs, %d outputs -> %s mode",
            getattr(self.function, "__name__", "function"),
            n_inputs,
            n_outputs,
            mode,
        )
        single = self._single
        if mode == "reverse":
            return _jacobian_reverse(recorded, in_shapes, self.chunk_size, single)
        return _jacobian_over_tape(recorded, in_shapes, self.chunk_size, single)


def jacobian(
    function: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    mode: str = "auto",
    chunk_size: int | None = None,
) -> _AutoJacobian:
    """The Jacobian, by the cheaper mode: forward when inputs are fewer than outputs, else reverse.

    The function is recorded once either way; forward mode then pushes the
    input basis through the recorded tape (no second evaluation). After a call,
    ``.last_mode`` says which mode was used (also logged at DEBUG level on the
    ``wengert.jacobian`` logger).

    Example:
        >>> import wengert.numpy as wnp
        >>> jac = jacobian(lambda x: wnp.concatenate([x, x ** 2]))
        >>> jac(np.array([3.0]))
        array([[1.],
               [6.]])
        >>> jac.last_mode
        'forward'
    """
    return _AutoJacobian(function, argnums, mode, chunk_size)


def _tangent_walk(recorded: Any, in_tangents: list) -> list:
    """Push input tangents forward through the recorded tape with the JVP rules (no re-evaluation)."""
    tangents: dict[int, Any] = {}
    for node, tangent in zip(recorded.in_nodes, in_tangents):
        tangents[id(node)] = tangent
    for node in recorded.trace.tape:
        if not node.parents:
            continue
        parent_tangents = [None if p is None else tangents.get(id(p)) for p in node.parents]
        if all(t is None for t in parent_tangents):
            continue
        tangents[id(node)] = node.primitive.apply_jvp(parent_tangents, node.ans, node.args, node.params)
    out = []
    for leaf in recorded.out_flat:
        value = recorded._primal(leaf)
        tangent = tangents.get(id(leaf)) if isinstance(leaf, TapeTracer) else None
        out.append(tangent if tangent is not None else wnp.zeros_like(value))
    return out


def _jacobian_over_tape(recorded: Any, in_shapes: list, chunk_size: int | None, single: bool) -> Any:
    dtype = np.result_type(*[_dtype(value) for value in recorded.in_values])
    basis = _basis(recorded.in_values, dtype)
    total = sum(_size(s) for s in in_shapes)
    chunks = []
    for part in _chunks(total, chunk_size):
        chunks.append(vmap(lambda *tangents: _tangent_walk(recorded, list(tangents)))(*[b[part] for b in basis]))
    blocks = _blocks_from_pushforwards(_join_chunks(chunks), in_shapes, _block_tree(recorded.in_tree, single))
    return tree_unflatten(recorded.out_tree, blocks)


def linearize(function: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """Evaluate ``function`` once and return ``(output, jvp_fn)``; ``jvp_fn(*tangents)`` = J·tangents.

    ``jvp_fn`` reuses the recorded evaluation: calling it does not run the
    function again.

    Example:
        >>> import wengert.numpy as wnp
        >>> out, jvp_fn = linearize(wnp.sin, 0.0)
        >>> jvp_fn(2.0)
        2.0
    """
    nums = tuple(range(len(primals)))
    recorded, _ = _record(function, primals, nums, {}, False, "linearize")

    def jvp_fn(*tangents: Any) -> Any:
        tangent_leaves, tangent_tree = tree_flatten(tangents)
        if tangent_tree != recorded.in_tree:
            raise ValueError(
                f"linearize: tangents {tree_text(tangent_tree)} do not match the primals "
                f"{tree_text(recorded.in_tree)}; give one tangent per primal, of its shape and dtype"
            )
        for index, (tangent, value) in enumerate(zip(tangent_leaves, recorded.in_values)):
            if _shape(tangent) != _shape(value):
                raise ValueError(
                    f"linearize: tangent {index} has shape {_shape(tangent)}, its primal {_shape(value)} "
                    "(a tangent has its primal's shape)"
                )
        tangent_leaves = match_tangents(
            "linearize", recorded.in_values, recorded.in_tree, tangent_leaves, tangent_tree, check_shapes=False
        )
        return tree_unflatten(recorded.out_tree, _tangent_walk(recorded, tangent_leaves))

    return recorded.primal_outputs(), jvp_fn


def hessian(function: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Hessian of a scalar function: ``jacfwd(jacrev(function))``.

    Example:
        >>> import wengert.numpy as wnp
        >>> hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
        array([[4., 2.],
               [2., 0.]])
    """
    _, single = check_argnums_type(argnums, "hessian")

    @wraps(function)
    def hessian_function(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), "hessian")
        chosen = nums[0] if single else nums
        return jacfwd(jacrev(function, chosen), chosen)(*args)

    return hessian_function


def hvp(function: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """The Hessian-vector product H·v by forward-over-reverse (no Hessian is formed).

    Example:
        >>> import wengert.numpy as wnp
        >>> hvp(lambda x: wnp.sum(x ** 3), (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
        array([6., 0.])
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            "hvp takes the primals and the tangents as tuples: hvp(f, (x,), (v,)); got primals "
            f"{type(primals).__name__} and tangents {type(tangents).__name__}"
        )
    primals, tangents = tuple(primals), tuple(tangents)
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return push_forward(grad(function, argnums=argnums), primals, tangents, primal_out=False, name="hvp")[1]
