"""The engine: primitives, traces with levels, reverse and forward interpreters, pytrees.

This package knows nothing of NumPy's function set; ``wengert.numpy`` plugs the
primitives in. Read it in this order: ``trace`` (levels and tracers),
``primitive`` (declaring an operation and dispatching it), ``reverse`` (the
tape and the backward pass), ``forward`` (dual numbers), ``taylor`` (Taylor
series, from the JVP rules), ``pytree``.
"""

from .batch import BatchTrace, BatchTracer, set_stack
from .forward import DeferredDual, Dual, ForwardTrace, default_forward_trace, set_zeros_like, zeros_like_value
from .primitive import Primitive, add_any, add_any_p, bind
from .pytree import (
    TreeDef,
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)
from .reverse import (
    GraphTrace,
    Node,
    ReverseTracer,
    TapeTrace,
    TapeTracer,
    backward_pass,
    clear_cotangents,
    free_saved_values,
    leaf_node,
    mark_needed,
    toposort,
)
from .taylor import JetTracer, TaylorTrace, jet
from .trace import (
    Trace,
    Tracer,
    TracerConversionError,
    TracerLevelError,
    UnexpectedTracerError,
    next_level,
    primal_value,
    running,
    state,
)

__all__ = [
    "BatchTrace",
    "BatchTracer",
    "JetTracer",
    "TaylorTrace",
    "jet",
    "set_stack",
    "DeferredDual",
    "Dual",
    "ForwardTrace",
    "GraphTrace",
    "Node",
    "Primitive",
    "ReverseTracer",
    "TapeTrace",
    "TapeTracer",
    "Trace",
    "Tracer",
    "TracerConversionError",
    "TracerLevelError",
    "UnexpectedTracerError",
    "TreeDef",
    "add_any",
    "add_any_p",
    "backward_pass",
    "bind",
    "clear_cotangents",
    "default_forward_trace",
    "free_saved_values",
    "leaf_node",
    "mark_needed",
    "next_level",
    "primal_value",
    "register_pytree_node",
    "running",
    "set_zeros_like",
    "state",
    "toposort",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
    "zeros_like_value",
]
