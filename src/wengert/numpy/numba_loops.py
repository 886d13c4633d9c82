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


@_jit
def forward_both(y, first, second, has_second, left, right, weights, counts, out):
    """`slope_times` and `forward` in one pass: out[:, i] ← (1 − y²)·ẋ_i for the F directions, then
    out[:, F + k] ← (1 − y²)·(ẍ_k − 2y·Q_k), each block of ẋ read from memory once for both."""
    outer, inner = y.shape
    directions = first.shape[1]
    acc = np.empty(BLOCK, y.dtype)
    slope = np.empty(BLOCK, y.dtype)
    for o in range(outer):
        for start in range(0, inner, BLOCK):
            stop = min(start + BLOCK, inner)
            size = stop - start
            value = y[o, start:stop]
            for n in range(size):
                slope[n] = 1.0 - value[n] * value[n]
            for i in range(directions):
                source, target = first[o, i, start:stop], out[o, i, start:stop]
                for n in range(size):
                    target[n] = slope[n] * source[n]
            for k in range(out.shape[1] - directions):
                _quadratic(first, o, k, start, stop, left, right, weights, counts, acc)
                target = out[o, directions + k, start:stop]
                if has_second:
                    streams = second[o, k, start:stop]
                    for n in range(size):
                        target[n] = slope[n] * (streams[n] - 2.0 * value[n] * acc[n])
                else:
                    for n in range(size):
                        target[n] = slope[n] * (-2.0 * value[n] * acc[n])


@_jit
def forward_times(y, first, second, has_second, left, right, weights, counts, vector, out):
    """out[k] ← Σ_o vector[o]·(1 − y²)·(ẍ_k − 2y·Q_k)[o]: `forward` summed against one weight per outer
    index (column-major memory, whose outer index is the column: a step read by the product with an output
    layer's one column), without writing the step."""
    outer, inner = y.shape
    acc = np.empty(BLOCK, y.dtype)
    for k in range(out.shape[0]):
        target = out[k]
        for n in range(inner):
            target[n] = 0.0
    for o in range(outer):
        weight = vector[o]
        for start in range(0, inner, BLOCK):
            stop = min(start + BLOCK, inner)
            value = y[o, start:stop]
            for k in range(out.shape[0]):
                _quadratic(first, o, k, start, stop, left, right, weights, counts, acc)
                target = out[k, start:stop]
                if has_second:
                    streams = second[o, k, start:stop]
                    for n in range(stop - start):
                        v = value[n]
                        target[n] += weight * ((1.0 - v * v) * (streams[n] - 2.0 * v * acc[n]))
                else:
                    for n in range(stop - start):
                        v = value[n]
                        target[n] += weight * ((1.0 - v * v) * (-2.0 * v * acc[n]))


# -- directions broadcast over the points (a first layer's): each direction is one row ------------------------
# y is (outer, inner) as before; a per-direction quantity is a row ``rows[..., position]`` read at the inner
# index (row-major y: inner = the row's axis) or at the outer index (column-major y: outer = the row's axis,
# so one number serves a whole block), ``by_outer`` saying which.


@_jit
def forward_rows(y, quadratic, by_outer, second, has_second, out):
    """out[:, k] ← (1 − y²)·(ẍ_k − 2y·Q_k) with Q_k = ``quadratic[k]``, a row."""
    outer, inner = y.shape
    for o in range(outer):
        value = y[o]
        for k in range(out.shape[1]):
            target = out[o, k]
            if by_outer:
                q = quadratic[k, o]
                if has_second:
                    streams = second[o, k]
                    for n in range(inner):
                        v = value[n]
                        target[n] = (1.0 - v * v) * (streams[n] - 2.0 * v * q)
                else:
                    for n in range(inner):
                        v = value[n]
                        target[n] = (1.0 - v * v) * (-2.0 * v * q)
            else:
                row = quadratic[k]
                if has_second:
                    streams = second[o, k]
                    for n in range(inner):
                        v = value[n]
                        target[n] = (1.0 - v * v) * (streams[n] - 2.0 * v * row[n])
                else:
                    for n in range(inner):
                        v = value[n]
                        target[n] = (1.0 - v * v) * (-2.0 * v * row[n])


@_jit
def backward_rows(cotangent, y, quadratic, pulls, by_outer, second, has_second, out):
    """The step's cotangents with rows for directions: ``quadratic[k]`` is Q_k, ``pulls[k, i]`` the row
    Σ factor·ẋ_other of direction i's terms in stream k, so that ẋ̄_i = Σ_k y·P_k·pulls[k, i]."""
    outer, inner = y.shape
    directions = pulls.shape[1]
    scaled = np.empty(inner, y.dtype)
    for o in range(outer):
        value = y[o]
        for row in range(1 + directions):
            zeros = out[o, row]
            for n in range(inner):
                zeros[n] = 0.0
        value_bar = out[o, 0]
        for k in range(cotangent.shape[1]):
            g = cotangent[o, k]
            q_row = quadratic[k]
            streams = second[o, k]
            second_bar = out[o, 1 + directions + k] if has_second else scaled
            for n in range(inner):
                v = value[n]
                square = v * v
                q = q_row[o] if by_outer else q_row[n]
                moved = (6.0 * square - 2.0) * q
                if has_second:
                    moved -= 2.0 * v * streams[n]
                value_bar[n] += g[n] * moved
                weighted = g[n] * (1.0 - square)
                second_bar[n] = weighted
                scaled[n] = weighted * v
            for i in range(directions):
                bar, pull = out[o, 1 + i], pulls[k, i]
                if by_outer:
                    p = pull[o]
                    for n in range(inner):
                        bar[n] += scaled[n] * p
                else:
                    for n in range(inner):
                        bar[n] += scaled[n] * pull[n]


@_jit
def slope_times_rows(rows, by_outer, y, out):
    """out[:, i] ← (1 − y²)·rows[i]: each direction one row, broadcast over the points."""
    outer, inner = y.shape
    slope = np.empty(inner, y.dtype)
    for o in range(outer):
        value = y[o]
        for n in range(inner):
            slope[n] = 1.0 - value[n] * value[n]
        for i in range(rows.shape[0]):
            target, row = out[o, i], rows[i]
            if by_outer:
                r = row[o]
                for n in range(inner):
                    target[n] = slope[n] * r
            else:
                for n in range(inner):
                    target[n] = slope[n] * row[n]


@_jit
def forward_rows_both(y, rows, quadratic, by_outer, second, has_second, out):
    """`slope_times_rows` and `forward_rows` in one pass: out[:, i] ← (1 − y²)·rows[i] for the F directions,
    then out[:, F + k] ← (1 − y²)·(ẍ_k − 2y·Q_k) with Q_k = ``quadratic[k]``, a row."""
    outer, inner = y.shape
    directions = rows.shape[0]
    slope = np.empty(inner, y.dtype)
    for o in range(outer):
        value = y[o]
        for n in range(inner):
            slope[n] = 1.0 - value[n] * value[n]
        for i in range(directions):
            target, row = out[o, i], rows[i]
            if by_outer:
                r = row[o]
                for n in range(inner):
                    target[n] = slope[n] * r
            else:
                for n in range(inner):
                    target[n] = slope[n] * row[n]
        for k in range(out.shape[1] - directions):
            target, q_row, streams = out[o, directions + k], quadratic[k], second[o, k]
            if by_outer and has_second:
                q = q_row[o]
                for n in range(inner):
                    target[n] = slope[n] * (streams[n] - 2.0 * value[n] * q)
            elif by_outer:
                q = q_row[o]
                for n in range(inner):
                    target[n] = slope[n] * (-2.0 * value[n] * q)
            elif has_second:
                for n in range(inner):
                    target[n] = slope[n] * (streams[n] - 2.0 * value[n] * q_row[n])
            else:
                for n in range(inner):
                    target[n] = slope[n] * (-2.0 * value[n] * q_row[n])
