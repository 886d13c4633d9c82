"""The compiled loops of `fused_kernels`, in Numba (imported only when Numba is installed and the loops are on).

The arrays are in `fused_kernels`' memory order: y (outer, inner), stacks (outer, count, inner), C-contiguous.
Terms come as arrays: stream k's t-th term is c·ẋ_i·ẋ_j with i = left[k, t], j = right[k, t], c = weights[k, t],
for t < counts[k]. Each loop walks ``BLOCK`` elements of one outer index at a time, doing every stream's
arithmetic on that block before the next, so each operand is read once and the accumulators stay in the
first-level cache. The innermost loops run over contiguous 1-D slices without branches, which LLVM turns into
vector instructions (indexing the 3-D arrays inside them instead ran 2-3 times slower).
"""

from __future__ import annotations

import numba
import numpy as np

BLOCK = 512
"""The elements of one block: its accumulators (the quadratic Q and y·P) stay in L1."""

_jit = numba.njit(nogil=True, cache=True)


@_jit
def _quadratic(first, o, k, start, stop, left, right, weights, counts, acc):
    """acc[:stop − start] ← Σ_t c·ẋ_i·ẋ_j over stream k's terms, on one block."""
    size = stop - start
    for n in range(size):
        acc[n] = 0.0
    for t in range(counts[k]):
        first_i, first_j, c = first[o, left[k, t], start:stop], first[o, right[k, t], start:stop], weights[k, t]
        for n in range(size):
            acc[n] += c * (first_i[n] * first_j[n])


@_jit
def forward(y, first, second, has_second, left, right, weights, counts, out):
    """out[:, k] ← (1 − y²)·(ẍ_k − 2y·Q_k); ``second`` is not read unless ``has_second``."""
    outer, inner = y.shape
    acc = np.empty(BLOCK, y.dtype)
    for o in range(outer):
        for start in range(0, inner, BLOCK):
            stop = min(start + BLOCK, inner)
            value = y[o, start:stop]
            for k in range(out.shape[1]):
                _quadratic(first, o, k, start, stop, left, right, weights, counts, acc)
                target = out[o, k, start:stop]
                if has_second:
                    streams = second[o, k, start:stop]
                    for n in range(stop - start):
                        v = value[n]
                        target[n] = (1.0 - v * v) * (streams[n] - 2.0 * v * acc[n])
                else:
                    for n in range(stop - start):
                        v = value[n]
                        target[n] = (1.0 - v * v) * (-2.0 * v * acc[n])


@_jit
def backward(cotangent, y, first, second, has_second, left, right, weights, counts, out):
    """out[:, 0] ← ȳ, out[:, 1 + i] ← ẋ̄_i, out[:, 1 + F + k] ← ẍ̄_k (when ``has_second``), from G = ``cotangent``."""
    outer, inner = y.shape
    directions = first.shape[1]
    acc = np.empty(BLOCK, y.dtype)
    scaled = np.empty(BLOCK, y.dtype)
    for o in range(outer):
        for start in range(0, inner, BLOCK):
            stop = min(start + BLOCK, inner)
            size = stop - start
            value = y[o, start:stop]
            value_bar = out[o, 0, start:stop]
            for row in range(1 + directions):
                zeros = out[o, row, start:stop]
                for n in range(size):
                    zeros[n] = 0.0
            for k in range(cotangent.shape[1]):
                _quadratic(first, o, k, start, stop, left, right, weights, counts, acc)
                g = cotangent[o, k, start:stop]
                if has_second:  # ȳ += G·((6y² − 2)·Q − 2y·ẍ);  ẍ̄ = P = s·G;  y·P kept for ẋ̄
                    streams, second_bar = second[o, k, start:stop], out[o, 1 + directions + k, start:stop]
                    for n in range(size):
                        v = value[n]
                        square = v * v
                        value_bar[n] += g[n] * ((6.0 * square - 2.0) * acc[n] - 2.0 * v * streams[n])
                        weighted = g[n] * (1.0 - square)
                        second_bar[n] = weighted
                        scaled[n] = weighted * v
                else:
                    for n in range(size):
                        v = value[n]
                        square = v * v
                        value_bar[n] += g[n] * ((6.0 * square - 2.0) * acc[n])
                        scaled[n] = g[n] * (1.0 - square) * v
                for t in range(counts[k]):  # ẋ̄_i += −2y·P·∂Q/∂ẋ_i, each term's coefficient applied on its own
                    i, j, c = left[k, t], right[k, t], weights[k, t]
                    if i == j:
                        bar, other, factor = out[o, 1 + i, start:stop], first[o, i, start:stop], -4.0 * c
                        for n in range(size):
                            bar[n] += factor * (scaled[n] * other[n])
                    else:
                        bar, other, factor = out[o, 1 + i, start:stop], first[o, j, start:stop], -2.0 * c
                        for n in range(size):
                            bar[n] += factor * (scaled[n] * other[n])
                        bar, other = out[o, 1 + j, start:stop], first[o, i, start:stop]
                        for n in range(size):
                            bar[n] += factor * (scaled[n] * other[n])


@_jit
def slope_times(stack, y, out):
    """out[:, i] ← (1 − y²)·stack[:, i] for every entry i of the stack."""
    outer, inner = y.shape
    slope = np.empty(BLOCK, y.dtype)
    for o in range(outer):
        for start in range(0, inner, BLOCK):
            stop = min(start + BLOCK, inner)
            value = y[o, start:stop]
            for n in range(stop - start):
                slope[n] = 1.0 - value[n] * value[n]
            for i in range(stack.shape[1]):
                source, target = stack[o, i, start:stop], out[o, i, start:stop]
                for n in range(stop - start):
                    target[n] = slope[n] * source[n]
