"""Reverse mode: record primitive applications as nodes, then run their VJP rules backwards.

Two traces share one node type and one backward pass:

* `TapeTrace` belongs to one functional transformation call (``grad``, ``vjp``).
  It appends every node to ``tape``, the Wengert list in evaluation order, so
  the backward pass simply walks the tape from the end: no sort is needed.
* `GraphTrace` is the long-lived level-0 trace behind PyTorch-style tensors.
  Its nodes are linked only through their parents (the tape is the graph that
  is still reachable), so memory is freed as soon as results are dropped; the
  backward pass sorts the reachable nodes with an iterative depth-first search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .primitive import Primitive, add_any, bind
from .trace import Trace, Tracer, state

_EMPTY: dict = {}


class Node:
    """One recorded primitive application: the rule's inputs and the cotangent slot.

    ``args`` and ``ans`` are the primal values the VJP rules read; ``parents``
    holds, per argument, the node it came from or ``None`` for a constant. A
    leaf (an input being differentiated) has no primitive and no parents.
    """

    __slots__ = (
        "primitive",
        "parents",
        "args",
        "params",
        "ans",
        "cotangent",
        "needed",
        "versions",
        "owner",
        "__weakref__",
    )

    def __init__(
        self,
        primitive: Primitive | None,
        parents: tuple,
        args: tuple | None,
        params: dict,
        ans: Any,
    ) -> None:
        self.primitive = primitive
        self.parents = parents
        self.args = args
        self.params = params
        self.ans = ans
        self.cotangent = None
        self.needed = True
        self.versions = None
        self.owner = None

    def __repr__(self) -> str:
        name = self.primitive.name if self.primitive is not None else "leaf"
        return f"<Node {name}>"


def leaf_node(value: Any) -> Node:
    """A node for an input of differentiation."""
    return Node(None, (), None, _EMPTY, value)


class ReverseTracer(Tracer):
    """A value followed by a reverse trace: its primal and the node that made it."""

    __slots__ = ("_node",)

    def __init__(self, primal: Any, trace: Trace, node: Node | None) -> None:
        self.primal = primal
        self._trace = trace
        self._node = node


def _unwrap(trace: Trace, args: Sequence[Any]) -> tuple[list, list, bool, bool]:
    """Split ``args`` into primals and parent nodes for ``trace``."""
    primals = []
    parents = []
    lower = False  # a tracer of a lower trace remains: bind again instead of impl
    recorded = False
    for arg in args:
        if isinstance(arg, Tracer):
            if arg._trace is trace:
                primal = arg.primal
                node = arg._node
                primals.append(primal)
                parents.append(node)
                if node is not None:
                    recorded = True
                if isinstance(primal, Tracer):
                    lower = True
                continue
            lower = True
        primals.append(arg)
        parents.append(None)
    return primals, parents, lower, recorded


class TapeTrace(Trace):
    """The reverse trace of one functional transformation call."""

    __slots__ = ("tape",)

    def __init__(self, level: float) -> None:
        super().__init__(level)
        self.tape: list[Node] = []

    def new_input(self, value: Any) -> ReverseTracer:
        """Wrap ``value`` as an input to differentiate with respect to."""
        node = leaf_node(value)
        self.tape.append(node)
        return ReverseTracer(value, self, node)

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        primals, parents, lower, recorded = _unwrap(self, args)
        ans = bind(primitive, primals, params) if lower else primitive.impl(*primals, **params)
        if not recorded or not primitive.differentiable:
            return ans
        node = Node(primitive, tuple(parents), tuple(primals), params, ans)
        self.tape.append(node)
        return ReverseTracer(ans, self, node)


class GraphTrace(Trace):
    """The long-lived level-0 reverse trace (PyTorch's implicit tape).

    ``tracer_type`` is the class its results get (``wengert.Tensor`` once the
    tensor module is imported); it must accept ``(primal, trace, node)`` and
    carry a ``_version`` list ``[count, last in-place operation]``.
    """

    __slots__ = ("tracer_type",)

    def __init__(self, tracer_type: type) -> None:
        super().__init__(0)
        self.tracer_type = tracer_type

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        primals, parents, lower, recorded = _unwrap(self, args)
        ans = bind(primitive, primals, params) if lower else primitive.impl(*primals, **params)
        make = self.tracer_type
        if not recorded or not primitive.differentiable or not state.grad_enabled:
            return make(ans, self, None)
        node = Node(primitive, tuple(parents), tuple(primals), params, ans)
        out = make(ans, self, node)
        if not primitive.linear:
            # Remember the versions of everything the VJP rules may read.
            versions = [(out._version, 0, -1)]
            for index, arg in enumerate(args):
                if isinstance(arg, Tracer) and arg._trace is self:
                    versions.append((arg._version, arg._version[0], index))
            node.versions = versions
        return out


def check_versions(node: Node) -> None:
    """Raise if a value saved by ``node`` was changed in place after it was saved."""
    for counter, saved, index in node.versions:
        if counter[0] != saved:
            what = "its output" if index < 0 else f"its argument {index}"
            shape = getattr(node.ans if index < 0 else node.args[index], "shape", ())
            raise RuntimeError(
                "one of the values needed for gradient computation has been modified by an "
                f"in-place operation: {what} (a tensor of shape {tuple(shape)}) saved by "
                f"'{node.primitive.name}' was changed by '{counter[1]}'; it is at version "
                f"{counter[0]}, expected version {saved}. Use the out-of-place form "
                f"(for example x = x + 1 instead of x += 1)."
            )


def toposort(roots: Iterable[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, every node after all of its parents (iterative)."""
    order: list[Node] = []
    visited: set[int] = set()
    for root in roots:
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent is not None and id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def mark_needed(order: Sequence[Node], targets: Iterable[Node]) -> None:
    """Mark the nodes whose cotangent can reach ``targets`` (prunes the backward pass)."""
    wanted = {id(node) for node in targets}
    for node in order:
        node.needed = id(node) in wanted or any(
            parent is not None and parent.needed for parent in node.parents
        )


def backward_pass(
    order: Sequence[Node],
    rewrap: Callable[[Any, Node | None], Any] | None = None,
) -> None:
    """Propagate cotangents through ``order`` (outputs first), accumulating at fan-outs.

    The output nodes' ``cotangent`` slots must be seeded. With ``rewrap`` the
    saved values are turned back into tracers of their nodes before each rule
    runs, so the backward pass is itself recorded (``create_graph=True``).
    """
    for node in order:
        cotangent = node.cotangent
        if cotangent is None:
            continue
        parents = node.parents
        if not parents:
            continue
        args = node.args
        if args is None:
            raise RuntimeError(
                f"trying to run the backward pass through '{node.primitive.name}' a second time, "
                "but its saved values were already freed. Pass retain_graph=True to the first "
                "backward call if you need to run it twice."
            )
        if node.versions is not None:
            check_versions(node)
        primitive = node.primitive
        params = node.params
        ans = node.ans
        if rewrap is not None:
            args = tuple(
                arg if parent is None else rewrap(arg, parent) for arg, parent in zip(args, parents)
            )
            ans = rewrap(ans, node)
        rules = primitive.vjp
        if rules is None:
            raise NotImplementedError(f"primitive '{primitive.name}' has no VJP rule")
        for index, parent in enumerate(parents):
            if parent is None or not parent.needed:
                continue
            rule = rules[index]
            if rule is None:
                raise TypeError(f"argument {index} of '{primitive.name}' is not differentiable")
            contribution = rule(cotangent, ans, *args, **params) if params else rule(cotangent, ans, *args)
            if contribution is None:
                continue
            previous = parent.cotangent
            parent.cotangent = contribution if previous is None else add_any(previous, contribution)


def free_saved_values(order: Iterable[Node]) -> None:
    """Drop what the nodes saved for their rules (after a backward pass without retain_graph)."""
    for node in order:
        if node.parents:
            node.args = None
            node.ans = None


def clear_cotangents(order: Iterable[Node]) -> None:
    for node in order:
        node.cotangent = None
        node.needed = True
