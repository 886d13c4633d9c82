"""Bring the C allocator to its steady state for array-sized blocks when wengert is imported.

A differentiated training step allocates the same arrays every step, from tens
of kilobytes to megabytes, and frees them all when the backward pass ends.
glibc's malloc starts with small limits: blocks over 128 KiB are mapped from the
system one by one, and freed memory over 128 KiB at the top of the heap is
handed back at once. Each step then pays again the page faults of everything
it touches (measured here: a PINN-SIR step 2.07 ms instead of 1.47, a PINN-wave
step with 2,000 points 38 ms instead of 22). glibc raises both limits on its
own the first time a mapped block is freed, up to a 32 MiB block and twice that
of kept memory; a process that has once freed a large array (as any process
that has imported PyTorch or JAX has) runs at the faster speed.

``settle_allocator`` allocates and frees one such block when ``wengert.numpy``
is imported, so every process starts in that state instead of reaching it by
chance. It uses no allocator interface: on glibc it is the allocator's own rule
that moves, on other allocators it is an allocation and a free. Setting
``WENGERT_SETTLE_ALLOCATOR=0`` leaves the allocator as it is; glibc's
``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` also fix the limits and
turn the rule off, as glibc documents.

A training step whose arrays add up to more than that (a PINN with 10,000
points through eight layers: about 190 MiB) still hands its memory back at
the end of every step. ``keep_freed_memory`` sets glibc's limits for the
process (kept memory up to 256 MiB, blocks up to 64 MiB from the heap);
`wengert demo` and `wengert.pinn.Trainer.fit` call it, under the same
``WENGERT_SETTLE_ALLOCATOR=0`` switch, and not when the ``MALLOC_*``
variables are set.
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy as np

# The largest block whose release raises glibc's dynamic mmap threshold (its
# ceiling, DEFAULT_MMAP_THRESHOLD_MAX, is 32 MiB on 64-bit systems) with room for
# the chunk header and page rounding. The heap may then keep up to twice this.
SETTLE_BYTES = 30 << 20


def _switched_off() -> bool:
    return os.environ.get("WENGERT_SETTLE_ALLOCATOR", "1").strip() == "0"


def settle_allocator(nbytes: int = SETTLE_BYTES) -> bool:
    """Allocate and free one ``nbytes`` block (untouched), unless ``WENGERT_SETTLE_ALLOCATOR=0``.

    Returns whether it did. Cheap: the block is mapped and unmapped without a
    page being touched.

    Example:
        >>> settle_allocator() in (True, False)
        True
    """
    if _switched_off():
        return False
    block = np.empty(nbytes, dtype=np.uint8)
    del block
    return True


KEPT_BYTES = 256 << 20  # glibc's M_TRIM_THRESHOLD: freed memory the heap keeps before handing it back
HEAP_BLOCK_BYTES = 64 << 20  # glibc's M_MMAP_THRESHOLD: larger blocks are mapped one by one


def keep_freed_memory() -> bool:
    """Ask glibc to keep up to 256 MiB of freed memory for reuse; returns whether it applied.

    A training loop allocates the same arrays every step; once a step's arrays
    outgrow what `settle_allocator` arranges, glibc hands them back after every
    step and takes the page faults again (the wave demo spent 23 s of system
    time per 300 epochs on them). Only glibc on Linux; not when
    ``WENGERT_SETTLE_ALLOCATOR=0`` or glibc's ``MALLOC_TRIM_THRESHOLD_`` /
    ``MALLOC_MMAP_THRESHOLD_`` are set.

    Example:
        >>> keep_freed_memory() in (True, False)
        True
    """
    if _switched_off() or not sys.platform.startswith("linux"):
        return False
    if any(name in os.environ for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    trim_threshold, mmap_threshold = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in <malloc.h>
    return bool(mallopt(trim_threshold, KEPT_BYTES)) and bool(mallopt(mmap_threshold, HEAP_BLOCK_BYTES))
