"""wengert.numpy settles glibc's allocator on import: megabyte arrays then come from the heap, not fresh mappings."""

import ctypes
import os
import subprocess
import sys
import textwrap

import pytest

from wengert.numpy.allocator import settle_allocator


def _glibc_has_mallinfo2() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        ctypes.CDLL("libc.so.6").mallinfo2  # noqa: B018  (glibc >= 2.33)
    except (OSError, AttributeError):
        return False
    return True


# Counts the blocks glibc has mapped one by one (mallinfo2's hblks) around a 4 MiB array's life.
_PROBE = textwrap.dedent(
    """
    import ctypes, sys
    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")]
    mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    mallinfo2.restype = MallInfo2
    import wengert.numpy
    import numpy as np
    before = mallinfo2().hblks
    array = np.ones(1 << 19)  # 4 MiB
    during = mallinfo2().hblks
    del array
    print(during - before)
    """
)


def _mapped_blocks_for_one_array(**environment: str) -> int:
    env = {**os.environ, **environment}
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "WENGERT_SETTLE_ALLOCATOR"):
        if name not in environment:
            env.pop(name, None)
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return int(result.stdout.strip())


@pytest.mark.skipif(not _glibc_has_mallinfo2(), reason="needs glibc's mallinfo2")
def test_after_import_a_megabyte_array_comes_from_the_heap():
    assert _mapped_blocks_for_one_array() == 0


@pytest.mark.skipif(not _glibc_has_mallinfo2(), reason="needs glibc's mallinfo2")
def test_the_environment_variable_leaves_the_allocator_alone():
    # glibc's starting rule maps every block over 128 KiB by itself.
    assert _mapped_blocks_for_one_array(WENGERT_SETTLE_ALLOCATOR="0") == 1


@pytest.mark.skipif(not _glibc_has_mallinfo2(), reason="needs glibc's mallinfo2")
def test_glibc_settings_in_the_environment_win():
    assert _mapped_blocks_for_one_array(MALLOC_MMAP_THRESHOLD_="131072") == 1


def test_settle_allocator_reports_whether_it_ran(monkeypatch):
    assert settle_allocator(1 << 20) is True
    monkeypatch.setenv("WENGERT_SETTLE_ALLOCATOR", "0")
    assert settle_allocator(1 << 20) is False
