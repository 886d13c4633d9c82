"""The errors wengert raises where a derivative would otherwise be lost.

* `TracerConversionError`: a traced value was converted to a NumPy array or a
  Python number (``np.asarray(x)``, ``float(x)``, ``math.sin(x)``,
  ``y[i] = x`` into a NumPy array) inside a transformation.
* `UnexpectedTracerError`: a traced value was used after the transformation
  that made it had returned (it escaped into a list, a global or a closure).
* `TracerLevelError`: tracers of two different transformations met at one
  level (the parent class of `UnexpectedTracerError`).

Example:
    >>> import math
    >>> import wengert as wg
    >>> try:
    ...     wg.grad(lambda x: math.sin(x))(1.0)
    ... except wg.errors.TracerConversionError as error:
    ...     print("float()" in str(error))
    True
"""

from .core.trace import TracerConversionError, TracerLevelError, UnexpectedTracerError

__all__ = ["TracerConversionError", "TracerLevelError", "UnexpectedTracerError"]
