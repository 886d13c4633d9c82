"""Tools that show the machinery: the Wengert list, tangent and adjoint tables, graphs, studies.

Everything here is read off the real engine, never recomputed beside it: the
list is the reverse-mode tape, the tangents come from the forward interpreter,
the adjoints from the backward pass, one contribution at a time.

* `trace` (``wg.trace``): the Wengert list of a function at a point.
* `graph` (``wg.graph``): the Wengert list of a recorded tensor computation.
* `tape_nbytes`: the memory the recorded graph behind a tensor holds.
* `finite_difference_study`, `expression_swell`, `mode_cost`: the three
  classic comparisons (optional extras ``plot`` and ``symbolic``).
"""

from .graph import graph
from .memory import tape_nbytes
from .render import GraphvizNotFoundError
from .studies import (
    ExpressionSwell,
    FiniteDifferenceStudy,
    ModeCost,
    expression_swell,
    finite_difference_study,
    mode_cost,
)
from .wengert_list import AdjointRow, Constant, Entry, ForwardRow, Table, WengertList, trace

__all__ = [
    "AdjointRow",
    "Constant",
    "Entry",
    "ExpressionSwell",
    "FiniteDifferenceStudy",
    "ForwardRow",
    "GraphvizNotFoundError",
    "ModeCost",
    "Table",
    "WengertList",
    "expression_swell",
    "finite_difference_study",
    "graph",
    "mode_cost",
    "tape_nbytes",
    "trace",
]
