"""Gradient checkpointing: keep a function's inputs, recompute its interior in the backward pass.

``checkpoint(f)`` makes ``f`` a primitive whose only saved values are its
arguments. Its VJP runs ``f`` again under a fresh recording and pulls the
cotangent back through that, so tape memory for a chain of L layers checkpointed
in √L segments drops from O(L) to O(√L), for about one extra forward pass.

Tensors that ``f`` closes over (a layer's parameters) are found during the
forward call: the interior is recorded once, its boundary nodes become the
checkpoint node's parents, and the interior is dropped. In the functional
dialect, values to differentiate must be passed as arguments (as in JAX).

Random draws are replayed, as PyTorch does by default: the recomputation sees
the same numbers as the forward call (a dropout mask stays the same mask). The
states saved at the forward call are those of NumPy's global generator
(``np.random.*``, ``wnp.random.*``) and of every ``np.random.Generator`` or
``RandomState`` the function refers to directly: its closure variables, the
global names it uses, its arguments, and the attributes of its ``self`` (a
bound method or a callable object such as a layer). After a recomputation every
generator is put back where it was, so later draws are not disturbed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial, wraps
from typing import Any

import numpy as np

from ..core import Node, Primitive, Tracer, backward_pass, bind, state, toposort, tree_flatten, tree_unflatten
from ..core.pytree import TreeDef
from ..core.reverse import next_creation_number
from .differentiate import jvp


def _top_trace(leaves: Sequence[Any]) -> Any:
    top = None
    for leaf in leaves:
        if isinstance(leaf, Tracer) and (top is None or leaf._trace.level > top.level):
            top = leaf._trace
    return top


def _max_level(leaves: Sequence[Any]) -> float:
    levels = [leaf._trace.level for leaf in leaves if isinstance(leaf, Tracer)]
    return max(levels) if levels else -1


class RandomStates:
    """The states of the random generators a function may draw from, saved at one moment."""

    def __init__(self, function: Callable[..., Any], args: Sequence[Any]) -> None:
        import numpy as np

        self.legacy = np.random.get_state(legacy=False)
        self.generators = [(generator, _state_of(generator)) for generator in _generators_used(function, args)]

    @contextmanager
    def replayed(self) -> Iterator[None]:
        """Run the block with every generator back at the saved state; restore the present states afterwards."""
        import numpy as np

        present_legacy = np.random.get_state(legacy=False)
        present = [(generator, _state_of(generator)) for generator, _ in self.generators]
        np.random.set_state(self.legacy)
        for generator, saved in self.generators:
            _set_state(generator, saved)
        try:
            yield
        finally:
            np.random.set_state(present_legacy)
            for generator, state_now in present:
                _set_state(generator, state_now)


def _state_of(generator: Any) -> Any:
    import numpy as np

    if isinstance(generator, np.random.Generator):
        return generator.bit_generator.state
    return generator.get_state(legacy=False)


def _set_state(generator: Any, saved: Any) -> None:
    import numpy as np

    if isinstance(generator, np.random.Generator):
        generator.bit_generator.state = saved
    else:
        generator.set_state(saved)


def _generators_used(function: Any, args: Sequence[Any]) -> list:
    """The NumPy generators ``function`` refers to directly.

    A bounded walk over the function's closure variables, the global names its
    code uses, the attributes of its ``self`` (bound methods, callable objects),
    its arguments, and the functions found there (lists of them included).
    """
    import types

    import numpy as np

    kinds = (np.random.Generator, np.random.RandomState)
    found: list = []
    seen: set[int] = set()
    pending: list = [function, *args]
    while pending and len(seen) < 256:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            found.append(current)
        elif isinstance(current, (list, tuple)) and len(current) <= 64:
            pending.extend(current)
        elif isinstance(current, partial):
            pending.extend((current.func, *current.args, *current.keywords.values()))
        elif isinstance(current, types.MethodType):
            pending.extend((current.__func__, *vars(current.__self__).values()))
        elif isinstance(current, types.FunctionType):
            pending.extend(cell.cell_contents for cell in current.__closure__ or () if _cell_filled(cell))
            namespace = current.__globals__
            pending.extend(namespace[name] for name in current.__code__.co_names if name in namespace)
            if hasattr(current, "__wrapped__"):
                pending.append(current.__wrapped__)
        elif callable(current) and not isinstance(current, type) and hasattr(current, "__dict__"):
            # A callable object (a layer holding its own generator): its attributes and its __call__.
            pending.extend((*vars(current).values(), type(current).__call__))
    return found


def _is_float(value: Any) -> bool:
    """Whether a value (array, number or traced value) has a floating-point or complex dtype."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        dtype = np.result_type(value)
    return np.dtype(dtype).kind in "fc"


def _cell_filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018  (an empty cell raises)
    except ValueError:
        return False
    return True


@contextmanager
def _replaying(random_states: RandomStates | None) -> Iterator[None]:
    if random_states is None:
        yield
    else:
        with random_states.replayed():
            yield


class _Checkpointed:
    """The primitive and rules behind one ``checkpoint(f)``."""

    def __init__(self, function: Callable[..., Any], preserve_rng_state: bool = True) -> None:
        self.function = function
        self.preserve_rng_state = preserve_rng_state
        name = getattr(function, "__name__", "function")
        self.primitive = Primitive(
            f"checkpoint({name})",
            self._impl,
            jvp_joint=self._jvp,
            vjp_joint=self._vjp,
        )

    def call(self, *args: Any) -> Any:
        leaves, treedef = tree_flatten(args)
        top = _top_trace(leaves)
        random_states = RandomStates(self.function, leaves) if self.preserve_rng_state else None
        if top is None or top.level == 0:
            return self._call_on_tensors(leaves, treedef, random_states)
        return bind(self.primitive, leaves, {"treedef": treedef, "boundary": (), "random_states": random_states})

    # -- the primitive's rules -------------------------------------------------

    def _impl(self, *leaves: Any, treedef: TreeDef, boundary: tuple, random_states: RandomStates | None) -> Any:
        out = self.function(*tree_unflatten(treedef, list(leaves)))
        _check_single_output(self.function, out)
        if isinstance(out, Tracer) and out._trace.level > _max_level(leaves):
            raise TypeError(
                f"checkpoint({getattr(self.function, '__name__', 'function')}): the function uses a traced "
                "value that is not one of its arguments; pass it as an argument so that checkpoint can "
                "save it and differentiate with respect to it"
            )
        return out

    def _of_floats(self, leaves: tuple, treedef: TreeDef) -> tuple[list[int], Callable[..., Any]]:
        """The positions of the leaves that can be differentiated (floats), and the function of those alone.

        Integer and boolean arguments (a random key, a mask, an index) are constants of the
        recomputation, as in JAX: they get no tangent and no cotangent.
        """
        positions = [index for index, leaf in enumerate(leaves) if _is_float(leaf)]

        def of_floats(*floats: Any) -> Any:
            values = list(leaves)
            for index, value in zip(positions, floats):
                values[index] = value
            return self.function(*tree_unflatten(treedef, values))

        return positions, of_floats

    def _jvp(self, tangents: Any, ans: Any, *leaves: Any, treedef: TreeDef, boundary: tuple, random_states: Any) -> Any:
        from ..core import zeros_like_value

        positions, of_floats = self._of_floats(leaves, treedef)
        primals = tuple(leaves[index] for index in positions)
        tangents = tuple(
            zeros_like_value(leaves[index]) if tangents[index] is None else tangents[index] for index in positions
        )
        with _replaying(random_states):
            return jvp(of_floats, primals, tangents)[1]

    def _vjp(
        self, cotangent: Any, ans: Any, *leaves: Any, treedef: TreeDef, boundary: tuple, random_states: Any
    ) -> list:
        if boundary or _is_tensor_cotangent(cotangent, leaves):
            return self._vjp_on_tensors(cotangent, leaves, treedef, boundary, random_states)
        from .differentiate import vjp

        positions, of_floats = self._of_floats(leaves, treedef)
        with _replaying(random_states):
            _, pullback = vjp(of_floats, *(leaves[index] for index in positions))
        cotangents: list = [None] * len(leaves)
        for index, value in zip(positions, pullback(cotangent)):
            cotangents[index] = value
        return cotangents

    # -- PyTorch-style tensors (level 0) -----------------------------------------

    def _call_on_tensors(self, leaves: list, treedef: TreeDef, random_states: RandomStates | None) -> Any:
        from ..tensor import TAPE, Tensor

        if not state.grad_enabled:
            return self.function(*tree_unflatten(treedef, leaves))
        primals = [leaf.primal if isinstance(leaf, Tensor) else leaf for leaf in leaves]
        input_nodes = [leaf._node if isinstance(leaf, Tensor) else None for leaf in leaves]
        start = next_creation_number()
        detached = [Tensor(p, TAPE, None) if isinstance(leaf, Tensor) else p for p, leaf in zip(primals, leaves)]
        out = self.function(*tree_unflatten(treedef, detached))
        _check_single_output(self.function, out)
        if not isinstance(out, Tensor):
            # A plain value, or a tracer of a functional transformation the function closes
            # over: that transformation has recorded the interior itself (correct, not checkpointed).
            return out
        boundary: tuple = ()
        if out._node is not None:
            # The interior was recorded once to find the recorded tensors it closes over;
            # keep only its boundary (nodes made before this call) and drop the rest.
            interior = toposort([out._node], boundary=lambda node: node.sequence < start)
            boundary = tuple(node for node in interior if node.sequence < start)
        value = out.primal
        del out
        if all(node is None for node in input_nodes) and not boundary:
            return Tensor(value, TAPE, None)
        params = {"treedef": treedef, "boundary": boundary, "random_states": random_states}
        # The rules recompute everything from the inputs: the output is not saved (it would stay
        # alive until this node's turn in the backward pass, after the next segment freed its copy).
        node = Node(self.primitive, (*input_nodes, *boundary), tuple(primals), params, None)
        return Tensor(value, TAPE, node)

    def _vjp_on_tensors(
        self, cotangent: Any, leaves: tuple, treedef: TreeDef, boundary: tuple, random_states: Any
    ) -> list:
        """Recompute the interior with recording on, then pull ``cotangent`` back to the inputs and boundary."""
        from ..tensor import TAPE, Tensor, _rewrap

        # Record the recomputation when the result must stay differentiable: a recorded
        # cotangent (create_graph=True), or inputs that are themselves recorded tensors
        # (a functional transformation taken of tensors that require grad).
        create_graph = isinstance(cotangent, Tensor) or any(
            isinstance(leaf, Tensor) and leaf._node is not None for leaf in leaves
        )
        if create_graph and not isinstance(cotangent, Tensor):
            cotangent = Tensor(cotangent, TAPE, None)
        previous = state.grad_enabled
        state.grad_enabled = True
        try:
            inputs = []
            for leaf in leaves:
                if isinstance(leaf, Tensor) and create_graph:
                    inputs.append(leaf)  # already tied to the outer graph (create_graph=True)
                elif isinstance(leaf, Tensor) and leaf._node is None:
                    inputs.append(leaf.primal)  # needs no gradient: a constant, no cotangent computed for it
                elif _is_float_array(leaf):
                    raw = leaf.primal if isinstance(leaf, Tensor) else leaf
                    inputs.append(Tensor(raw, TAPE, None).requires_grad_(True))
                else:
                    inputs.append(leaf)
            with _replaying(random_states):
                out = self.function(*tree_unflatten(treedef, inputs))
        finally:
            state.grad_enabled = previous
        targets = [leaf._node if isinstance(leaf, Tensor) else None for leaf in inputs]
        stops = [node for node in (*targets, *boundary) if node is not None]
        if not isinstance(out, Tensor) or out._node is None:
            return [None] * (len(leaves) + len(boundary))
        del inputs
        root = out._node
        del out  # the recomputed output lives on in its node only until its rule has run
        stop_set = set(stops)
        order = toposort([root], boundary=lambda node: node in stop_set)
        saved = [(node, node.cotangent, node.needed) for node in stops]
        for node in stops:
            node.cotangent = None
            node.needed = True
        try:
            root.cotangent = cotangent
            del cotangent
            order.reverse()
            state.grad_enabled = create_graph
            try:
                # Without create_graph the recomputed interior is thrown away afterwards: free it
                # as the pass goes (with it, the recorded backward pass still refers to it).
                backward_pass(
                    [node for node in order if node not in stop_set],
                    _rewrap if create_graph else None,
                    keep=stop_set,
                    free_saved=not create_graph,
                )
            finally:
                state.grad_enabled = previous
            results = [None if node is None else node.cotangent for node in (*targets, *boundary)]
        finally:
            for node in order:
                if node not in stop_set:
                    node.cotangent = None
            for node, old_cotangent, old_needed in saved:
                node.cotangent = old_cotangent
                node.needed = old_needed
        return results


def _check_single_output(function: Callable[..., Any], out: Any) -> None:
    if isinstance(out, (tuple, list, dict)) and any(isinstance(leaf, Tracer) for leaf in tree_flatten(out)[0]):
        raise TypeError(
            f"checkpoint({getattr(function, '__name__', 'function')}): the function returned a "
            f"{type(out).__name__}; checkpoint supports functions with one array output (checkpoint each "
            "output's function separately, or concatenate the outputs)"
        )


def _is_float_array(value: Any) -> bool:
    import numpy as np

    raw = value.primal if isinstance(value, Tracer) else value
    return (raw.dtype if hasattr(raw, "dtype") else np.asarray(raw).dtype).kind == "f"


def _is_tensor_cotangent(cotangent: Any, leaves: tuple) -> bool:
    from ..tensor import Tensor

    return isinstance(cotangent, Tensor) or any(isinstance(leaf, Tensor) for leaf in leaves)


def checkpoint(function: Callable[..., Any], *, preserve_rng_state: bool = True) -> Callable[..., Any]:
    """``function`` made to save only its inputs; its interior is recomputed in the backward pass.

    Works under ``grad``, ``vjp``, ``jvp``, ``Tensor.backward`` and
    ``autograd.grad(create_graph=True)``, nested in any order. With
    ``preserve_rng_state=True`` (the default, as in PyTorch) the recomputation
    replays the random draws of the forward call (see the module's docstring
    for which generators are saved).

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> layer = wg.checkpoint(lambda x: wnp.tanh(wnp.tanh(x)))
        >>> round(wg.grad(layer)(0.5), 6)
        0.639808
    """
    checkpointed = _Checkpointed(function, preserve_rng_state)

    @wraps(function)
    def wrapped(*args: Any) -> Any:
        return checkpointed.call(*args)

    wrapped.primitive = checkpointed.primitive
    return wrapped


def checkpoint_sequential(
    functions: Sequence[Callable[[Any], Any]], segments: int, input: Any, *, preserve_rng_state: bool = True
) -> Any:
    """Run a chain of one-argument functions, checkpointing it in ``segments`` pieces.

    As in PyTorch, the last segment is run without checkpointing (its values are
    needed right away by the backward pass).

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> layers = [wnp.sin, wnp.cos, wnp.tanh]
        >>> round(wg.grad(lambda x: checkpoint_sequential(layers, 2, x))(0.3), 6)
        -0.124725
    """
    functions = list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be at least 1, got {segments}")
    size = -(-len(functions) // segments)
    pieces = [functions[start : start + size] for start in range(0, len(functions), size)]

    def chain(piece: list) -> Callable[[Any], Any]:
        def run(x: Any) -> Any:
            for function in piece:
                x = function(x)
            return x

        run.__name__ = "+".join(getattr(f, "__name__", "f") for f in piece)
        return run

    x = input
    for index, piece in enumerate(pieces):
        run = chain(piece)
        x = run(x) if index == len(pieces) - 1 else checkpoint(run, preserve_rng_state=preserve_rng_state)(x)
    return x
