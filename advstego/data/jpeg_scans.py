"""Progressive JPEG scans from quantized DCT coefficients: what jpeglib cannot write.

jpeglib writes coefficients as a baseline JPEG only; a progressive cover's stego is written
here: spectral selection without successive approximation (Al = 0, as ITU T.81 G.1.1
allows), each scan one component (DC, AC 1-5, AC 6-63 for the first component, DC and
AC 1-63 for the others), Huffman tables optimal for each scan (as libjpeg does in
progressive mode), an end-of-band for each block that ends in zeros. numpy only: the symbols
of a scan are made and packed as arrays.
"""

from __future__ import annotations

import heapq
import struct

import numpy as np

# natural (row-major) index of each zigzag position
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
    20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63])
PIECE = 1 << 20  # codewords packed at a time (their bits stay in memory)


def script(components: int) -> list[tuple[int, int, int]]:
    """The scans (component, Ss, Se): as libjpeg's simple progression, without refinement."""
    out = [(0, 0, 0), (0, 1, 5), (0, 6, 63)]
    for c in range(1, components):
        out += [(c, 0, 0), (c, 1, 63)]
    return out


def optimal_table(freq) -> tuple[list[int], list[int]]:
    """(counts of codes of length 1..16, symbols by length) of a Huffman code for these
    symbol counts, no code longer than 16 bits nor all ones (ITU T.81 K.2)."""
    freq = [int(f) for f in freq]
    used = [s for s, f in enumerate(freq) if f]
    size = dict.fromkeys(used + [256], 0)
    heap = [(freq[s], s, [s]) for s in used] + [(1, 256, [256])]  # 256: the reserved code
    heapq.heapify(heap)
    while len(heap) > 1:
        f1, s1, a = heapq.heappop(heap)
        f2, s2, b = heapq.heappop(heap)
        for s in a + b:
            size[s] += 1
        heapq.heappush(heap, (f1 + f2, min(s1, s2), a + b))
    bits = [0] * 33
    for s, n in size.items():
        bits[n] += 1
    for i in range(32, 16, -1):  # K.3: lengths above 16 moved up the tree
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1  # the reserved symbol had a longest code
    order = sorted(used, key=lambda s: (size[s], s))
    return bits[1:17], order


def _codes(bits, values) -> tuple[np.ndarray, np.ndarray]:
    """(code, length) of each symbol 0..255 (ITU T.81 C.2): canonical codes by length."""
    code = np.zeros(256, np.int64)
    length = np.zeros(256, np.int64)
    c, k = 0, 0
    for n, count in enumerate(bits, 1):
        for _ in range(count):
            code[values[k]], length[values[k]] = c, n
            c, k = c + 1, k + 1
        c <<= 1
    return code, length


def _size(v: np.ndarray) -> np.ndarray:
    """The magnitude category of each value: bits of |v|."""
    return np.frexp(np.abs(v).astype(np.float64))[1].astype(np.int64)


def _dc_symbols(dc: np.ndarray):
    """(symbol, extra bits, their number) of one component's DC values, raster order."""
    diff = np.diff(dc.astype(np.int64), prepend=0)
    s = _size(diff)
    extra = np.where(diff < 0, diff + (1 << s) - 1, diff)
    return s, extra, s


def _ac_symbols(band: np.ndarray):
    """(symbol, extra bits, their number) of an AC band (blocks x positions, zigzag), in the
    order they are coded: zero-run-16 codes, then each value, an end-of-band after a
    block's last value where zeros follow."""
    nb, w = band.shape
    rows, cols = np.nonzero(band)
    v = band[rows, cols].astype(np.int64)
    first = np.ones(rows.size, bool)
    first[1:] = rows[1:] != rows[:-1]
    prev = np.where(first, -1, np.concatenate([[0], cols[:-1]]))
    run = cols - prev - 1
    zrl = run // 16
    final = np.ones(rows.size, bool)  # each block's last nonzero (cols grow in a block)
    final[:-1] = rows[:-1] != rows[1:]
    last = np.full(nb, -1)
    last[rows[final]] = cols[final]
    eob = last < w - 1
    # each value takes zrl + 1 codes; a block's EOB, if any, follows its values
    per = zrl + 1
    eobs_before = np.concatenate([[0], np.cumsum(eob)])  # EOBs of the blocks before each
    at = np.cumsum(per) - 1 + eobs_before[rows]  # where each value's code goes
    before = np.concatenate([[0], np.cumsum(np.bincount(rows, weights=per, minlength=nb)
                                            .astype(np.int64) + eob)])
    total = int(before[-1])
    sym = np.empty(total, np.int64)
    extra = np.zeros(total, np.int64)
    nbits = np.zeros(total, np.int64)
    s = _size(v)
    sym[at] = (run % 16) * 16 + s
    extra[at] = np.where(v < 0, v + (1 << s) - 1, v)
    nbits[at] = s
    for k in range(1, 4):  # at most three zero-run-16 codes before a value (63 zeros)
        has = zrl >= k
        sym[at[has] - k] = 0xF0
    ends = np.flatnonzero(eob)
    sym[before[ends + 1] - 1] = 0x00  # EOB (a run of one block)
    return sym, extra, nbits


def _pack(chunks: np.ndarray, lengths: np.ndarray) -> bytes:
    """The bits of the codewords, MSB first, padded with ones, 0xFF bytes stuffed."""
    out, carry = [], np.zeros(0, np.uint8)
    for i in range(0, chunks.size, PIECE):
        c, n = chunks[i:i + PIECE], lengths[i:i + PIECE]
        reps = np.repeat(c, n)
        ends = np.repeat(np.cumsum(n), n)
        pos = ends - np.arange(reps.size) - 1  # bit index from the codeword's end
        bits = np.concatenate([carry, ((reps >> pos) & 1).astype(np.uint8)])
        whole = bits.size - bits.size % 8
        out.append(np.packbits(bits[:whole]))
        carry = bits[whole:]
    if carry.size:
        out.append(np.packbits(np.concatenate([carry, np.ones(8 - carry.size, np.uint8)])))
    data = np.concatenate(out) if out else np.zeros(0, np.uint8)
    ff = np.flatnonzero(data == 0xFF)
    return np.insert(data, ff + 1, 0).tobytes()


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def scan(blocks: np.ndarray, component_id: int, ss: int, se: int) -> bytes:
    """One scan of one component (blocks: (rows, cols, 8, 8), natural order): its Huffman
    table (DHT), header (SOS) and entropy-coded data."""
    flat = blocks.reshape(-1, 64)[:, ZIGZAG]
    if ss == 0:
        sym, extra, nbits = _dc_symbols(flat[:, 0])
    else:
        sym, extra, nbits = _ac_symbols(flat[:, ss:se + 1])
    bits, values = optimal_table(np.bincount(sym, minlength=256))
    code, length = _codes(bits, values)
    dht = _segment(0xC4, bytes([0x00 if ss == 0 else 0x10]) + bytes(bits) + bytes(values))
    sos = _segment(0xDA, bytes([1, component_id, 0x00, ss, se, 0x00]))
    return dht + sos + _pack((code[sym] << nbits) | extra, length[sym] + nbits)


def progressive(planes: list[np.ndarray], component_ids: list[int]) -> bytes:
    """Every scan of a progressive JPEG of these components, in script order."""
    return b"".join(scan(planes[c], component_ids[c], ss, se)
                    for c, ss, se in script(len(planes)))
