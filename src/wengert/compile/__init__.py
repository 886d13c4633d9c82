"""The compiler: stage a program to its Wengert list, optimise it, and run generated NumPy source.

``staging`` (in the core) records primitive applications with abstract values;
`program` holds the result; `passes` rewrite it; `codegen` writes it as
Python source; `jit` ties them together per input signature.
"""

from .jit import CacheInfo, Jitted, Lowered, jit
from .program import Program

__all__ = ["CacheInfo", "Jitted", "Lowered", "Program", "jit"]
