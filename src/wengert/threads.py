"""How many threads NumPy's BLAS may use while wengert trains: `limit_blas_threads`.

On the small matrices of PINNs (a few hundred points, layers of 20–128 units)
OpenBLAS's extra threads cost more in synchronisation than they give, and when
another process holds a core they wait for it: a demo measured 10–25 times
slower with the default threads on a loaded 2-core machine. `Trainer.fit` and
``wengert demo`` therefore use one BLAS thread by default for their own work,
through threadpoolctl (the ``demo`` extra: ``pip install 'wengert[demo]'``),
and give the previous setting back afterwards.

Example:
    >>> with limit_blas_threads(1):
    ...     pass  # NumPy's BLAS uses one thread in here (when threadpoolctl is installed)
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Iterator


def check_threads(threads: int | None, owner: str) -> int | None:
    """``threads`` as a positive int, or None (leave the BLAS as it is); a clear error otherwise."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"{owner}: threads must be a positive integer or None (BLAS's own default), got {threads!r}")
    return int(threads)


@contextlib.contextmanager
def limit_blas_threads(threads: int | None, owner: str = "wengert") -> Iterator[int | None]:
    """Let NumPy's BLAS use at most ``threads`` threads inside the block (None: no limit); yields the limit.

    Without threadpoolctl the block runs unlimited, after a warning that says how to install it.
    """
    threads = check_threads(threads, owner)
    if threads is None:
        yield None
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        warnings.warn(
            f"{owner}: cannot limit BLAS to {threads} thread(s) without threadpoolctl "
            "(pip install 'wengert[demo]'); running with the BLAS's own thread count",
            stacklevel=3,
        )
        yield None
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield threads


def blas_thread_counts() -> list[int]:
    """The thread count of each BLAS library NumPy has loaded (empty without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [int(pool["num_threads"]) for pool in threadpool_info() if pool.get("user_api") == "blas"]


__all__ = ["blas_thread_counts", "check_threads", "limit_blas_threads"]
