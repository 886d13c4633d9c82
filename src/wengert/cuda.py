"""``wg.cuda``: PyTorch's CUDA queries, answered for a library that computes on the CPU only.

Scripts choose their device with ``torch.device("cuda" if torch.cuda.is_available() else "cpu")``;
here that idiom picks the CPU, and everything else runs unchanged.

Example:
    >>> import wengert as wg
    >>> wg.device("cuda" if wg.cuda.is_available() else "cpu")
    device(type='cpu')
"""

from __future__ import annotations


def is_available() -> bool:
    """False: wengert computes with NumPy on the CPU."""
    return False


def device_count() -> int:
    """0: no CUDA device is used."""
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator), as PyTorch does without CUDA."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator), as PyTorch does without CUDA."""


__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all"]
