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

import itertools
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from .primitive import SCALAR_ERRORS, Primitive, add_any, bind, call_promoted
from .trace import Trace, Tracer, UnexpectedTracerError, state

_EMPTY: dict = {}
_creation_counter = itertools.count()


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
        "sequence",
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
        # Creation order is a topological order: a node's parents always exist before it.
        self.sequence = next(_creation_counter)

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


def _unwrap(trace: Trace, args: Sequence[Any]) -> tuple[list, list, bool]:
    """Split ``args`` into primals and parent nodes for ``trace`` (the graph trace's general case)."""
    primals = []
    parents = []
    recorded = False
    for arg in args:
        if isinstance(arg, Tracer) and arg._trace is trace:
            node = arg._node
            primals.append(arg.primal)
            parents.append(node)
            if node is not None:
                recorded = True
        else:
            primals.append(arg)
            parents.append(None)
    return primals, parents, recorded


class TapeTracer(Tracer):
    """A tracer of a `TapeTrace` that is its own tape node.

    Functional transformations never update values in place, so the tracer and
    the node it came from can be one object: one allocation per operation
    instead of two. It has the same fields as `Node`; ``ans`` and ``primal``
    hold the same value.
    """

    __slots__ = ("primitive", "parents", "args", "params", "ans", "cotangent")
    # Every node of a tape is needed and none saves tensor versions: class constants, not slots.
    needed = True
    versions = None

    @property
    def _node(self) -> TapeTracer:
        return self


def _new_tape_tracer(
    trace: TapeTrace, primitive: Primitive | None, parents: tuple, args: tuple | None, params: dict, ans: Any
) -> TapeTracer:
    tracer = _new(TapeTracer)
    tracer.primal = ans
    tracer._trace = trace
    tracer.primitive = primitive
    tracer.parents = parents
    tracer.args = args
    tracer.params = params
    tracer.ans = ans
    tracer.cotangent = None
    return tracer


_new = object.__new__


class TapeTrace(Trace):
    """The reverse trace of one functional transformation call.

    ``tape`` lists the nodes in evaluation order (the Wengert list): the
    backward pass walks it from the end.
    """

    __slots__ = ("tape",)
    default_name = "reverse mode"

    def __init__(self, level: float) -> None:
        super().__init__(level)
        self.tape: list[TapeTracer] = []

    def new_input(self, value: Any) -> TapeTracer:
        """Wrap ``value`` as an input to differentiate with respect to."""
        tracer = _new_tape_tracer(self, None, (), None, _EMPTY, value)
        self.tape.append(tracer)
        return tracer

    def process_binary(self, primitive: Primitive, a: Any, b: Any, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        parent_a = parent_b = None
        if isinstance(a, Tracer) and a._trace is self:
            parent_a = a
            a = a.primal
        if isinstance(b, Tracer) and b._trace is self:
            parent_b = b
            b = b.primal
        if isinstance(a, Tracer) or isinstance(b, Tracer):
            ans = bind(primitive, (a, b), params)
        else:
            try:
                ans = primitive.impl(a, b, **params)
            except SCALAR_ERRORS:
                ans = call_promoted(primitive.impl, (a, b), params)
        if not primitive.differentiable:
            return ans
        tracer = _new(TapeTracer)
        tracer.primal = tracer.ans = ans
        tracer._trace = self
        tracer.primitive = primitive
        tracer.parents = (parent_a, parent_b)
        tracer.args = (a, b)
        tracer.params = params
        tracer.cotangent = None
        self.tape.append(tracer)
        return tracer

    def process_unary(self, primitive: Primitive, x: Any, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        parent = x
        x = x.primal  # the only argument is necessarily this trace's tracer
        if isinstance(x, Tracer):
            ans = bind(primitive, (x,), params)
        else:
            try:
                ans = primitive.impl(x, **params)
            except SCALAR_ERRORS:
                ans = call_promoted(primitive.impl, (x,), params)
        if not primitive.differentiable:
            return ans
        tracer = _new(TapeTracer)
        tracer.primal = tracer.ans = ans
        tracer._trace = self
        tracer.primitive = primitive
        tracer.parents = (parent,)
        tracer.args = (x,)
        tracer.params = params
        tracer.cotangent = None
        self.tape.append(tracer)
        return tracer

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        count = len(args)
        if count == 2:
            return self.process_binary(primitive, args[0], args[1], params)
        if count == 1:
            return self.process_unary(primitive, args[0], params)
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        primals = []
        parents = []
        for arg in args:
            if isinstance(arg, Tracer) and arg._trace is self:
                parents.append(arg)
                primals.append(arg.primal)
            else:
                parents.append(None)
                primals.append(arg)
        ans = bind(primitive, primals, params)
        if not primitive.differentiable:
            return ans
        tracer = _new_tape_tracer(self, primitive, tuple(parents), tuple(primals), params, ans)
        self.tape.append(tracer)
        return tracer


class GraphTrace(Trace):
    """The long-lived level-0 reverse trace (PyTorch's implicit tape).

    ``tracer_type`` is the class its results get (``wengert.Tensor`` once the
    tensor module is imported); it must accept ``(primal, trace, node)`` and
    carry a ``_version`` list ``[count, last in-place operation]``.
    """

    __slots__ = ("tracer_type",)
    default_name = "the tensor tape"

    def __init__(self, tracer_type: type) -> None:
        super().__init__(0)
        self.tracer_type = tracer_type

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        primals, parents, recorded = _unwrap(self, args)
        ans = bind(primitive, primals, params)
        if not recorded or not primitive.differentiable or not state.grad_enabled:
            return self.tracer_type(ans, self, None)
        tensors = [arg if isinstance(arg, Tracer) and arg._trace is self else None for arg in args]
        return self._record(primitive, tuple(parents), tuple(primals), params, ans, tensors)

    def process_binary(self, primitive: Primitive, a: Any, b: Any, params: dict) -> Any:
        node_a = node_b = tensor_a = tensor_b = None
        if isinstance(a, Tracer) and a._trace is self:
            tensor_a = a
            node_a = a._node
            a = a.primal
        if isinstance(b, Tracer) and b._trace is self:
            tensor_b = b
            node_b = b._node
            b = b.primal
        if isinstance(a, Tracer) or isinstance(b, Tracer):
            ans = bind(primitive, (a, b), params)
        else:
            try:
                ans = primitive.impl(a, b, **params)
            except SCALAR_ERRORS:
                ans = call_promoted(primitive.impl, (a, b), params)
        if (node_a is None and node_b is None) or not primitive.differentiable or not state.grad_enabled:
            return self.tracer_type(ans, self, None)
        return self._record(primitive, (node_a, node_b), (a, b), params, ans, (tensor_a, tensor_b))

    def process_unary(self, primitive: Primitive, x: Any, params: dict) -> Any:
        tensor = x
        x = x.primal
        if isinstance(x, Tracer):
            ans = bind(primitive, (x,), params)
        else:
            try:
                ans = primitive.impl(x, **params)
            except SCALAR_ERRORS:
                ans = call_promoted(primitive.impl, (x,), params)
        node = tensor._node
        if node is None or not primitive.differentiable or not state.grad_enabled:
            return self.tracer_type(ans, self, None)
        return self._record(primitive, (node,), (x,), params, ans, (tensor,))

    def _record(
        self, primitive: Primitive, parents: tuple, primals: tuple, params: dict, ans: Any, tensors: Sequence[Any]
    ) -> Any:
        read = primitive.read_positions
        # Keep only the values the VJP rules read: the others would only hold memory
        # (a tanh keeps its output, not its input; a matmul its inputs, not its output).
        saved_args = (
            primals
            if len(read) > len(primals)
            else tuple(value if index in read else None for index, value in enumerate(primals))
        )
        node = Node(primitive, parents, saved_args, params, ans if -1 in read else None)
        out = self.tracer_type(ans, self, node)
        if not primitive.linear and read:
            # Remember the versions of the tensors whose values the VJP rules read.
            versions = []
            for index in read:
                if index < 0:
                    versions.append((out._version, 0, -1))
                elif index < len(tensors):
                    tensor = tensors[index]
                    if tensor is not None:
                        counter = tensor._version
                        versions.append((counter, counter[0], index))
                else:
                    break
            if versions:
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


def toposort(roots: Iterable[Node], boundary: Callable[[Node], bool] | None = None) -> list[Node]:
    """Nodes reachable from ``roots``, every node after all of its parents.

    An iterative search collects the reachable nodes; sorting them by creation
    order then gives a topological order (no recursion, so no depth limit).
    Nodes for which ``boundary(node)`` is true are included but not searched
    beyond (their parents are left out).
    """
    reached = []
    seen = set()
    stack = []
    for root in roots:
        if root not in seen:
            seen.add(root)
            reached.append(root)
            stack.append(root)
    while stack:
        node = stack.pop()
        if boundary is not None and boundary(node):
            continue
        for parent in node.parents:
            if parent is not None and parent not in seen:
                seen.add(parent)
                reached.append(parent)
                stack.append(parent)
    reached.sort(key=_by_creation)
    return reached


def next_creation_number() -> int:
    """The creation number the next node will get (nodes made before it have smaller ones)."""
    global _creation_counter
    number = next(_creation_counter)
    _creation_counter = itertools.count(number + 1)
    return number + 1


_by_creation = attrgetter("sequence")


def mark_needed(order: Sequence[Node], targets: Iterable[Node]) -> None:
    """Mark the nodes whose cotangent can reach ``targets`` (prunes the backward pass)."""
    wanted = {id(node) for node in targets}
    for node in order:
        node.needed = id(node) in wanted or any(parent is not None and parent.needed for parent in node.parents)


Observer = Callable[[Node, int, Node, Any, Any], None]


def backward_pass(
    order: Sequence[Node],
    rewrap: Callable[[Any, Node | None], Any] | None = None,
    observe: Observer | None = None,
    keep: set | None = None,
    free_saved: bool = False,
) -> None:
    """Propagate cotangents through ``order`` (outputs first), accumulating at fan-outs.

    The output nodes' ``cotangent`` slots must be seeded. With ``rewrap`` the
    saved values are turned back into tracers of their nodes before each rule
    runs, so the backward pass is itself recorded (``create_graph=True``).
    ``observe(node, index, parent, contribution, accumulated)`` is called after
    each contribution is added to a parent (the adjoint table of `wengert.teach`).

    Memory: with ``keep`` (the nodes whose cotangents the caller will read), a
    node's cotangent is dropped as soon as its rules have run; with
    ``free_saved`` its saved values are dropped too (no second backward pass).
    Leaves are never processed, so their cotangents always stay.
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
            # Unsaved values stay None (the rules do not read them): no tracer made for nothing.
            args = tuple(
                arg if parent is None or arg is None else rewrap(arg, parent) for arg, parent in zip(args, parents)
            )
            if ans is not None:
                ans = rewrap(ans, node)
        rules = primitive.vjp
        if keep is not None and node not in keep:
            node.cotangent = None
        if free_saved:
            node.args = None
            node.ans = None
        if rules is None:
            _apply_joint_vjp(node, cotangent, ans, args, params, observe)
            continue
        index = -1
        for parent in parents:
            index += 1
            if parent is None or not parent.needed:
                continue
            rule = rules[index]
            if rule is None:
                raise TypeError(f"argument {index} of '{primitive.name}' is not differentiable")
            try:
                if params:
                    contribution = rule(cotangent, ans, *args, **params)
                elif len(args) == 2:
                    contribution = rule(cotangent, ans, args[0], args[1])
                else:
                    contribution = rule(cotangent, ans, *args)
            except SCALAR_ERRORS:
                contribution = call_promoted(rule, (cotangent, ans, *args), params)
            if contribution is None:
                continue
            previous = parent.cotangent
            if previous is None:
                parent.cotangent = contribution
            elif isinstance(previous, Tracer) or isinstance(contribution, Tracer):
                parent.cotangent = add_any(previous, contribution)
            else:
                parent.cotangent = previous + contribution
            if observe is not None:
                observe(node, index, parent, contribution, parent.cotangent)


def _apply_joint_vjp(node: Node, cotangent: Any, ans: Any, args: tuple, params: dict, observe: Observer | None) -> None:
    primitive = node.primitive
    joint = primitive.vjp_joint
    if joint is None:
        raise NotImplementedError(f"primitive '{primitive.name}' has no VJP rule")
    try:
        contributions = joint(cotangent, ans, *args, **params)
    except SCALAR_ERRORS:
        contributions = call_promoted(joint, (cotangent, ans, *args), params)
    for index, (parent, contribution) in enumerate(zip(node.parents, contributions)):
        if parent is None or contribution is None or not parent.needed:
            continue
        previous = parent.cotangent
        parent.cotangent = contribution if previous is None else add_any(previous, contribution)
        if observe is not None:
            observe(node, index, parent, contribution, parent.cotangent)


def free_saved_values(order: Iterable[Node]) -> None:
    """Drop what the nodes saved for their rules (after a backward pass without retain_graph)."""
    for node in order:
        if node.parents:
            node.args = None
            node.ans = None


def clear_cotangents(order: Iterable[Node]) -> None:
    """Empty the cotangent slots after a backward pass (and forget `mark_needed`'s marks)."""
    for node in order:
        node.cotangent = None
        if node.needed is not True:
            node.needed = True
