"""``wg.lax``: structured control flow that ``jit``, ``vmap`` and differentiation follow (JAX's ``jax.lax`` names).

* `cond` / `switch` — choose a branch by a traced predicate or index;
* `while_loop` — loop while a predicate holds (forward-mode differentiable);
* `fori_loop` — loop over ``range(lower, upper)`` (reverse mode too when the bounds are Python ints);
* `scan` — loop over the leading axis of arrays with a carry, stacking the outputs.

The implementation and its rules live in `wengert.transforms.control_flow`.

Example:
    >>> import wengert as wg, wengert.numpy as wnp
    >>> total, _ = wg.lax.scan(lambda c, x: (c + wnp.sin(x), None), 0.0, np.zeros(3))
    >>> float(total)
    0.0
"""

from .transforms.control_flow import cond, fori_loop, scan, switch, while_loop

__all__ = ["cond", "fori_loop", "scan", "switch", "while_loop"]
