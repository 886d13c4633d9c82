"""wengert.numpy settles glibc's allocator on import: megabyte arrays then come from the heap, not fresh mappings."""

import ctypes
import os
import subprocess
import sys
import textwrap

import pytest

from wengert.numpy.allocator import keep_freed_memory, settle_allocator


def _glibc_has_mallinfo2() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        ctypes.CDLL("libc.so.6").mallinfo2  # noqa: B018  (glibc >= 2.33)
    except (OSError, AttributeError):
        return False
    return True


# Counts the blocks glibc has mapped one by one (mallinfo2's hblks) while an array of argv[1] float64
# elements (4 MiB by default) lives; with "keep", after keep_freed_memory().
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
    if "keep" in sys.argv:
        from wengert.numpy.allocator import keep_freed_memory
        keep_freed_memory()
    before = mallinfo2().hblks
    array = np.ones(int(sys.argv[1]))
    during = mallinfo2().hblks
    del array
    print(during - before)
    """
)


def _mapped_blocks_for_one_array(elements: int = 1 << 19, keep: bool = False, **environment: str) -> int:
    env = {**os.environ, **environment}
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "WENGERT_SETTLE_ALLOCATOR"):
        if name not in environment:
            env.pop(name, None)
    command = [sys.executable, "-c", _PROBE, str(elements), *(["keep"] if keep else [])]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
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


@pytest.mark.skipif(not _glibc_has_mallinfo2(), reason="needs glibc's mallinfo2")
def test_keep_freed_memory_takes_blocks_up_to_64_mib_from_the_heap():
    forty_mib = 5 << 20  # float64 elements
    assert _mapped_blocks_for_one_array(forty_mib) == 1  # above what settling the allocator reaches
    assert _mapped_blocks_for_one_array(forty_mib, keep=True) == 0
    assert _mapped_blocks_for_one_array(forty_mib, keep=True, WENGERT_SETTLE_ALLOCATOR="0") == 1


def test_keep_freed_memory_leaves_user_settings_alone(monkeypatch):
    monkeypatch.setenv("WENGERT_SETTLE_ALLOCATOR", "0")
    assert keep_freed_memory() is False
    monkeypatch.delenv("WENGERT_SETTLE_ALLOCATOR")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert keep_freed_memory() is False


def test_trainer_fit_keeps_freed_memory(monkeypatch):
    import wengert.pinn.trainer as trainer_module
    from wengert.pinn.problems import Poisson1D

    calls = []
    monkeypatch.setattr(trainer_module, "keep_freed_memory", lambda: calls.append(True) or True)
    Poisson1D(hidden=(4,), collocation=8, seed=0).trainer().fit(adam_steps=2, progress=False)
    assert calls == [True]
