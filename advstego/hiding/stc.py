"""Syndrome-trellis codes (Filler, Judas, Fridrich, IEEE TIFS 2011): embed bits at least cost.

A message m (length M) is the syndrome H·y of the stego bits y, H an M×n parity-check matrix
built from a random h×w submatrix placed down the diagonal; the Viterbi algorithm over its
2^h-state trellis finds the y of least total cost Σ ρ_i [y_i ≠ x_i]. Extraction is one pass
computing H·y. Wet elements (cost inf) are never changed.

`embed_bits` / `extract_bits` are the binary code; `embed_ternary` / `extract_ternary` the
double-layered ±1 construction of the paper: layer 1 writes the second bit plane with binary
costs that reproduce the optimal ternary change rates, layer 2 the LSB plane of the rest.
"""

from __future__ import annotations

import numpy as np

WET = 1e7  # conseal marks impossible changes with a cost of 1e8


def submatrix(h: int, width: int, seed: int) -> np.ndarray:
    """Columns of the h×width submatrix as h-bit integers, first and last row set."""
    if not 2 <= h <= 16:
        raise ValueError(f"STC constraint height h={h}: use 2..16")
    cols = np.random.default_rng(seed).integers(0, 1 << h, size=max(width, 1), dtype=np.int64)
    return cols | 1 | (1 << (h - 1))


def block_widths(n: int, m: int) -> np.ndarray:
    """Columns per message bit: n spread evenly over m blocks, the first block rounded up
    (row 0 of H has no earlier columns to lean on when an element is wet)."""
    edges = (np.arange(m + 1, dtype=np.int64) * n + m - 1) // m
    return np.diff(edges)


_step = None  # the compiled column step (_dispatch), set by _compiled_viterbi before use


def _viterbi(x, rho, msg, cols, widths, h):  # pragma: no cover - compiled by numba
    n, m, S = x.size, msg.size, 1 << h
    cost = np.full(S, np.inf, np.float32)  # float32, as the reference coder: half the traffic
    cost[0] = 0.0
    new = np.empty(S, np.float32)
    path = np.zeros((n, max(S // 8, 1)), np.uint8)
    idx = 0
    for i in range(m):
        mask = S - 1 if m - i >= h else (1 << (m - i)) - 1
        for j in range(widths[i]):
            c = cols[j] & mask
            r = np.float32(rho[idx])
            row = path[idx]
            if r == np.inf:  # wet: y = x, the states stay (x = 0) or all move by c (x = 1)
                if x[idx]:
                    for s in range(S):
                        new[s] = cost[s ^ c]
                    row[:] = 255
                    cost, new = new, cost
                idx += 1
                continue
            w0 = r if x[idx] else np.float32(0.0)  # cost of y = 0
            w1 = np.float32(0.0) if x[idx] else r  # cost of y = 1
            if S >= 8:
                _step(c & 7, cost, new, row, c & ~7, w0, w1, S)
            else:
                for s in range(S):
                    a, b = cost[s] + w0, cost[s ^ c] + w1
                    new[s] = min(a, b)
                    row[0] |= (b < a) << s
            cost, new = new, cost
            idx += 1
        bit = msg[i]  # row i is complete: keep states whose bit 0 is the message bit
        for s in range(S // 2):
            new[s] = cost[2 * s + bit]
        for s in range(S // 2, S):
            new[s] = np.inf
        cost, new = new, cost
    best = 0
    for s in range(S):
        if cost[s] < cost[best]:
            best = s
    total = cost[best]
    y = np.empty(n, np.uint8)
    s = best
    idx = n - 1
    for i in range(m - 1, -1, -1):
        mask = S - 1 if m - i >= h else (1 << (m - i)) - 1
        s = ((s << 1) | msg[i]) & (S - 1)
        for j in range(widths[i] - 1, -1, -1):
            b = (path[idx, s >> 3] >> (s & 7)) & 1
            y[idx] = b
            if b:
                s ^= cols[j] & mask
            idx -= 1
    return y, total


def _step_for(lo):
    """One trellis column over all states, for columns whose low three bits are lo: state s
    meets s ^ c, which for the eight states of a byte is the block s0 ^ (c & ~7), permuted
    by lo. With lo a constant the compiler turns the permutation into shuffles."""
    def step(cost, new, row, hi, w0, w1, S):  # pragma: no cover - compiled by numba
        for s0 in range(0, S, 8):
            pb = s0 ^ hi
            byte = 0
            for k in range(8):
                a = cost[s0 + k] + w0
                b = cost[pb + (k ^ lo)] + w1
                new[s0 + k] = min(a, b)
                byte |= (b < a) << k
            row[s0 >> 3] = byte
    return step


def _dispatch(f0, f1, f2, f3, f4, f5, f6, f7):
    def step(lo, cost, new, row, hi, w0, w1, S):  # pragma: no cover - compiled by numba
        if lo == 0:
            f0(cost, new, row, hi, w0, w1, S)
        elif lo == 1:
            f1(cost, new, row, hi, w0, w1, S)
        elif lo == 2:
            f2(cost, new, row, hi, w0, w1, S)
        elif lo == 3:
            f3(cost, new, row, hi, w0, w1, S)
        elif lo == 4:
            f4(cost, new, row, hi, w0, w1, S)
        elif lo == 5:
            f5(cost, new, row, hi, w0, w1, S)
        elif lo == 6:
            f6(cost, new, row, hi, w0, w1, S)
        else:
            f7(cost, new, row, hi, w0, w1, S)
    return step


_COMPILED = {}


def _cached_on_disk(name: str) -> bool:
    """Whether numba's disk cache holds this module's function `name` (else: a compile)."""
    import os
    from pathlib import Path

    here = Path(__file__)
    places = [here.parent / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        places.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    return any(any(p.rglob(f"{here.stem}.{name}-*.nbi")) for p in places if p.is_dir())


def _compiled_viterbi():
    """_viterbi compiled by numba (cached on disk), on first use: extraction needs no numba."""
    if "viterbi" not in _COMPILED:
        import numba

        if not _cached_on_disk("_viterbi"):
            import sys
            print("advstego: compiling the STC coder once (numba; later runs load it)",
                  file=sys.stderr, flush=True)

        inline = numba.njit(inline="always")
        globals()["_step"] = inline(_dispatch(*(inline(_step_for(lo)) for lo in range(8))))
        _COMPILED["viterbi"] = numba.njit(cache=True)(_viterbi)
    return _COMPILED["viterbi"]


def _syndrome(y, cols, widths, h, m):
    """H·y in NumPy: the columns of block i add cols[j] (an h-bit number) to message bits
    i .. i+h-1; the XOR of a block's chosen columns, shifted into place, gives every bit."""
    n = y.size
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    j = np.arange(n) - np.repeat(starts, widths)  # position of each element in its block
    blocks = np.bitwise_xor.reduceat(np.where(y.astype(bool), cols[j], 0), starts)
    out = np.zeros(m, np.int64)
    for k in range(min(h, m)):  # bit k of block i lands on message bit i + k
        out[k:] ^= (blocks[:m - k] >> k) & 1
    return out.astype(np.uint8)


def _code(n: int, m: int, h: int, seed: int):
    widths = block_widths(n, m)
    return submatrix(h, int(widths.max()), seed), widths


def embed_bits(x_bits, costs, msg, h: int = 10, seed: int = 0):
    """Stego bits y (H·y = msg) of least cost; (y, total cost). Cost inf: that bit never changes.

    Raises ValueError when the message cannot be embedded (too long, or too many wet bits).
    """
    x_bits = np.ascontiguousarray(x_bits, np.uint8)
    msg = np.ascontiguousarray(msg, np.uint8)
    n, m = x_bits.size, msg.size
    if m == 0:
        return x_bits.copy(), 0.0
    if m > n:
        raise ValueError(f"{m} message bits do not fit in {n} cover elements")
    costs = np.asarray(costs, np.float64).copy()
    costs[costs >= WET] = np.inf
    cols, widths = _code(n, m, h, seed)
    y, total = _compiled_viterbi()(x_bits, costs, msg, cols, widths, h)
    if not np.isfinite(total):
        raise ValueError(f"{m} message bits cannot be embedded here (too many wet elements)")
    return y, float(total)


def extract_bits(y_bits, m: int, h: int = 10, seed: int = 0) -> np.ndarray:
    """The m-bit syndrome H·y of the stego bits."""
    y_bits = np.ascontiguousarray(y_bits, np.uint8)
    if m == 0:
        return np.zeros(0, np.uint8)
    if not 0 < m <= y_bits.size:
        raise ValueError(f"cannot extract {m} bits from {y_bits.size} elements")
    cols, widths = _code(y_bits.size, m, h, seed)
    return _syndrome(y_bits, cols, widths, h, m)


# ---- ternary (±1) embedding ---------------------------------------------------------

def _entropy_bits(p):
    p = np.clip(p, 1e-300, 1)
    return -p * np.log2(p)


def ternary_probabilities(rho_p, rho_m, bits: float, rtol: float = 1e-7):
    """Optimal change probabilities (p+1, p-1) carrying `bits` bits in all (payload-limited).

    The Gibbs distribution p ~ exp(-lam rho) carries (lam E[rho] + ln Z) / ln 2 bits: one
    logarithm per element and step; lam is bisected until the payload is within rtol."""
    rho_p, rho_m = np.minimum(rho_p, 1e30), np.minimum(rho_m, 1e30)  # wet: 0 * inf is nan

    def probs(lam):
        ea, eb = np.exp(-lam * rho_p), np.exp(-lam * rho_m)  # rho >= 0: no overflow
        z = 1.0 + ea + eb
        return ea / z, eb / z, z

    def payload(lam):
        pp, pm, z = probs(lam)
        return float(np.sum(lam * (pp * rho_p + pm * rho_m) + np.log(z))) / np.log(2)

    lo, hi = 0.0, 1.0
    while payload(hi) > bits and hi < 1e12:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        got = payload(mid)
        lo, hi = (mid, hi) if got > bits else (lo, mid)
        if abs(got - bits) <= rtol * bits:
            break
    return probs(hi)[:2], hi


def embed_ternary(x, rho_p, rho_m, msg, h: int = 10, seed: int = 0):
    """±1 stego of integer cover elements x carrying msg; returns (y, m1, m2, distortion).

    Layer 1 writes m1 bits in the second bit plane: of ±1, only one direction flips bit 1
    (−1 on even x, +1 on odd), so its flip probability is that direction's. Layer 2 writes
    m2 = len(msg) − m1 bits in the LSB plane of the elements layer 1 left alone, by the other
    direction. The receiver needs both lengths.
    """
    x = np.asarray(x, np.int64)
    rho_p = np.where(rho_p >= WET, np.inf, rho_p).astype(np.float64)
    rho_m = np.where(rho_m >= WET, np.inf, rho_m).astype(np.float64)
    msg = np.asarray(msg, np.uint8)
    total = msg.size
    (pp, pm), lam = ternary_probabilities(rho_p, rho_m, total)
    odd = (x & 1).astype(bool)
    d1 = np.where(odd, 1, -1)                  # the direction that flips bit 1
    rho_a, rho_b = np.where(odd, rho_p, rho_m), np.where(odd, rho_m, rho_p)
    p1 = np.clip(np.where(odd, pp, pm), 1e-300, 1 - 1e-12)
    m1 = min(total, int(np.ceil(np.sum(_entropy_bits(p1) + _entropy_bits(1 - p1)))))
    # binary cost whose optimal flip probability at this lambda is p1
    rho1 = rho_a + np.logaddexp(0.0, -lam * np.minimum(rho_b, 1e30)) / lam
    bit1 = ((x >> 1) & 1).astype(np.uint8)
    while True:
        y1, _ = embed_bits(bit1, rho1, msg[:m1], h, seed)
        flip1 = y1 != bit1
        m2 = total - m1
        if m2 == 0:
            y = x + np.where(flip1, d1, 0)
            break
        try:
            lsb = ((x & 1) ^ flip1).astype(np.uint8)  # a bit-1 flip flips the LSB too
            y2, _ = embed_bits(lsb, np.where(flip1, np.inf, rho_b), msg[m1:], h, seed + 1)
        except ValueError:  # too few free elements for layer 2: move bits to layer 1
            cap = min(total, x.size)
            if m1 >= cap:
                raise
            m1 = min(cap, m1 + max(8, (total - m1) // 4))
            continue
        y = x + np.where(flip1, d1, np.where(y2 != lsb, -d1, 0))
        break
    d = y - x
    distortion = float(np.sum(np.where(d > 0, rho_p, 0) + np.where(d < 0, rho_m, 0)))
    return y, m1, total - m1, distortion


def extract_ternary(y, m1: int, m2: int, h: int = 10, seed: int = 0) -> np.ndarray:
    y = np.asarray(y, np.int64)
    parts = [extract_bits(((y >> 1) & 1).astype(np.uint8), m1, h, seed)]
    if m2:
        parts.append(extract_bits((y & 1).astype(np.uint8), m2, h, seed + 1))
    return np.concatenate(parts)
