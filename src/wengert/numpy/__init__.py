"""``wengert.numpy``: a NumPy-compatible namespace whose functions are differentiable.

Import it as ``import wengert.numpy as wnp`` and write NumPy code with ``wnp.``.
On plain arrays each function is NumPy's own; on tracers, dual numbers and
tensors it records or differentiates. One module per family of operations;
each primitive's implementation and its JVP and VJP rules stand together.

Example:
    >>> import wengert.numpy as wnp
    >>> float(wnp.sin(0.0))
    0.0
"""

import types as _types

import numpy as _np

from ..core import set_zeros_like as _set_zeros_like
from ..core.primitive import set_scalar_promotion as _set_scalar_promotion
from . import linalg
from . import second_order_steps as _second_order_steps  # noqa: F401  (installs tanh's fused Taylor step)
from . import tracer_methods as _tracer_methods  # noqa: F401  (installs the array interface)
from ._primitives import REGISTRY, ndim, shape
from ._primitives import accept_traced_sequences as _accept_traced_sequences
from ._primitives import dtype as _dtype
from .allocator import settle_allocator as _settle_allocator
from .batching import install as _install_batch_rules
from .calculus import *  # noqa: F403
from .calculus import __all__ as _calculus_all
from .creation import *  # noqa: F403
from .creation import __all__ as _creation_all
from .einsum import *  # noqa: F403
from .einsum import __all__ as _einsum_all
from .elementwise import *  # noqa: F403
from .elementwise import __all__ as _elementwise_all
from .index_tricks import *  # noqa: F403
from .index_tricks import __all__ as _index_tricks_all
from .indexing import *  # noqa: F403
from .indexing import __all__ as _indexing_all
from .linalg import _numpy_trace as trace
from .logic import *  # noqa: F403
from .logic import __all__ as _logic_all
from .probes import install as _install_probes
from .products import *  # noqa: F403
from .products import __all__ as _products_all
from .rearrange import *  # noqa: F403
from .rearrange import __all__ as _rearrange_all
from .reductions import *  # noqa: F403
from .reductions import __all__ as _reductions_all
from .shape import *  # noqa: F403
from .shape import __all__ as _shape_all
from .signal import *  # noqa: F403
from .signal import __all__ as _signal_all
from .sorting import *  # noqa: F403
from .sorting import __all__ as _sorting_all
from .special import *  # noqa: F403
from .special import __all__ as _special_all


def _zeros_as_seen(value):
    """Zeros of the shape and dtype a (possibly traced) value has at the running level."""
    if type(value) is float:
        return 0.0
    kind = _dtype(value)
    return _np.zeros(shape(value), dtype=kind if kind.kind in "fc" else _np.float64)


def _accept_traced_sequences_everywhere(namespace: dict, names: list) -> None:
    """Every public function takes lists of traced values as NumPy takes lists of numbers."""
    for name in names:
        value = namespace.get(name)
        if isinstance(value, _types.FunctionType) and not getattr(value, "accepts_traced_sequences", False):
            namespace[name] = _accept_traced_sequences(value)


_set_zeros_like(_zeros_as_seen)
_set_scalar_promotion(_np.float64)
_install_batch_rules()
_install_probes()
_settle_allocator()

__all__ = [
    "REGISTRY",
    "linalg",
    "trace",
    "ndim",
    "shape",
    *_calculus_all,
    *_creation_all,
    *_einsum_all,
    *_elementwise_all,
    *_index_tricks_all,
    *_indexing_all,
    *_logic_all,
    *_products_all,
    *_rearrange_all,
    *_reductions_all,
    *_shape_all,
    *_signal_all,
    *_sorting_all,
    *_special_all,
]

_accept_traced_sequences_everywhere(globals(), __all__)
_accept_traced_sequences_everywhere(vars(linalg), [name for name in dir(_np.linalg) if not name.startswith("_")])

from . import nn  # noqa: E402, F401  (wnp.nn: jax.nn's activations, imported last: it calls this namespace's functions)
