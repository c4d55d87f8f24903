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

import os
import sys
from pathlib import Path

import numpy as np

from ..files import write_bytes_atomic

WET = 1e7  # conseal marks impossible changes with a cost of 1e8
CHUNK = 1 << 15  # elements of one piece of elementwise work: its temporaries stay in cache
PROGRESS_FROM = 1 << 20  # elements from which an embedding shows its progress on a terminal


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


_step = None  # the compiled column step (_dispatch), set by _compile before use


def _viterbi(x, rho, msg, cols, widths, n, m, h, path, cost, new, y, start, stop, idx, rows):
    """The Viterbi pass, compiled by numba (_compile) over raw pointers: path (n rows of S/8
    bytes), cost and new (S floats) and y (n bytes) come allocated. Message bits start..stop-1
    (from column idx, path row rows): cost holds the states before them and after; at
    stop = m the path is traced back and the least cost returned. Pointers and no allocation
    make the compiled code stand alone: an object file that llvmlite loads without numba
    (_coder).

    A column whose every state keeps its choice is not stepped: a wet one (y = x), or one
    whose cost r exceeds the states' spread (min + r > max, in float32: no state is then
    reached more cheaply by a change, the same comparisons as the step's). With x = 0 the
    states stay; with x = 1 state s takes state s ^ c's cost, which is kept as an offset t
    (state s's cost is cost[s ^ t]: a step commutes with it) until the message bit's row.
    It takes no path row: y[idx] says 1 (every bit 0) or 2 (every bit 1: the offset moved),
    else 0 (the next row of path, stepped columns' rows one after the other, its bits by
    state s ^ t) until the trace back writes y."""
    S = 1 << h
    B = max(S // 8, 1)
    if start == 0:
        for s in range(S):  # float32, as the reference coder: half the traffic
            cost[s] = np.inf
        cost[0] = 0.0
    swapped = False
    low, high = np.float32(0.0), np.float32(np.inf)  # the states' least and greatest
    t = 0  # state s's cost is cost[s ^ t]
    for i in range(start, stop):
        mask = S - 1 if m - i >= h else (1 << (m - i)) - 1
        for j in range(widths[i]):
            c = cols[j] & mask
            r = np.float32(rho[idx])
            if r == np.inf or (high < np.inf and low + r > high):  # wet, or no state changes
                if x[idx]:  # y = x = 1: the states all move by c
                    t ^= c
                y[idx] = 2 if x[idx] else 1
                idx += 1
                continue
            y[idx] = 0
            row = rows * B  # this column's bits in path
            rows += 1
            w0 = r if x[idx] else np.float32(0.0)  # cost of y = 0
            w1 = np.float32(0.0) if x[idx] else r  # cost of y = 1
            if S >= 8:
                low, high = _step(c & 7, cost, new, path, row, c & ~7, w0, w1, S)
            else:
                byte = 0
                low, high = np.float32(np.inf), np.float32(-np.inf)
                for s in range(S):
                    a, b = cost[s] + w0, cost[s ^ c] + w1
                    v = min(a, b)
                    new[s] = v
                    byte |= (b < a) << s
                    if v < low:
                        low = v
                    if v > high:
                        high = v
                path[row] = byte
            cost, new, swapped = new, cost, not swapped
            idx += 1
        bit = msg[i]  # row i is complete: keep states whose bit 0 is the message bit
        for s in range(S // 2):
            new[s] = cost[(2 * s + bit) ^ t]
        for s in range(S // 2, S):
            new[s] = np.inf
        high, t = np.float32(np.inf), 0
        cost, new, swapped = new, cost, not swapped
    if swapped:  # the states back in the buffer the caller gave as cost
        for s in range(S):
            new[s] = cost[s]
        cost, new = new, cost
    if stop < m:
        return np.float32(0.0)
    best = 0
    for s in range(S):
        if cost[s] < cost[best]:
            best = s
    s = best
    idx = n - 1
    for i in range(m - 1, -1, -1):
        mask = S - 1 if m - i >= h else (1 << (m - i)) - 1
        s = ((s << 1) | msg[i]) & (S - 1)
        t = 0  # the offset after the block's last column
        for j in range(widths[i]):
            if y[idx - widths[i] + 1 + j] == 2:
                t ^= cols[j] & mask
        for j in range(widths[i] - 1, -1, -1):
            if y[idx]:
                b = y[idx] - 1
                if b:
                    t ^= cols[j] & mask  # the offset before this column
            else:
                rows -= 1
                b = (path[rows * B + ((s ^ t) >> 3)] >> ((s ^ t) & 7)) & 1
            y[idx] = b
            if b:
                s ^= cols[j] & mask
            idx -= 1
    return cost[best]


def _step_for(lo):
    """A numba intrinsic: one trellis column over all states (S >= 8), for columns whose low
    three bits are lo; it returns the new states' (least, greatest). It goes eight states
    s0..s0+7 at a time: state s meets s ^ c, which for these is the block pb = s0 ^ (c & ~7)
    with its lanes permuted by lo, one vector load and a shuffle. The same float32 adds and
    compares as a loop over the states (numba leaves that loop scalar: its SLP vectorizer is
    off), written as LLVM vector IR, the least and greatest kept lane by lane in registers;
    LLVM lowers it to AVX2, NEON, ..."""
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    f4, i32 = ir.FloatType(), ir.IntType(32)
    f8 = ir.VectorType(f4, 8)
    lanes = ir.Constant(ir.VectorType(i32, 8), [k ^ lo for k in range(8)])
    zeros = ir.Constant(ir.VectorType(i32, 8), [0] * 8)

    @intrinsic
    def step(typingctx, cost, new, path, row, hi, w0, w1, S):
        def codegen(context, builder, sig, args):
            cost, new, path, row, hi, w0, w1, S = args
            i64 = S.type

            def vector(ptr, i):
                return builder.bitcast(builder.gep(ptr, [i]), f8.as_pointer())

            def splat(w):
                v = builder.insert_element(ir.Constant(f8, ir.Undefined), w, ir.Constant(i32, 0))
                return builder.shuffle_vector(v, v, zeros)

            w0, w1 = splat(w0), splat(w1)
            entry = builder.block
            loop = builder.append_basic_block("stc.column")
            done = builder.append_basic_block("stc.column.done")
            builder.branch(loop)
            builder.position_at_end(loop)
            s0, low, high = builder.phi(i64), builder.phi(f8), builder.phi(f8)
            a = builder.fadd(builder.load(vector(cost, s0), align=4), w0)
            p = builder.load(vector(cost, builder.xor(s0, hi)), align=4)
            b = builder.fadd(builder.shuffle_vector(p, p, lanes), w1)
            less = builder.fcmp_ordered("<", b, a)  # the path's bit: y = 1 is cheaper
            v = builder.select(less, b, a)
            builder.store(v, vector(new, s0), align=4)
            byte = builder.gep(path, [builder.add(row, builder.lshr(s0, ir.Constant(i64, 3)))])
            builder.store(builder.bitcast(less, ir.IntType(8)), byte)
            low2 = builder.select(builder.fcmp_ordered("<", v, low), v, low)
            high2 = builder.select(builder.fcmp_ordered(">", v, high), v, high)
            following = builder.add(s0, ir.Constant(i64, 8))
            for phi, first, then in ((s0, ir.Constant(i64, 0), following),
                                     (low, ir.Constant(f8, [float("inf")] * 8), low2),
                                     (high, ir.Constant(f8, [float("-inf")] * 8), high2)):
                phi.add_incoming(first, entry)
                phi.add_incoming(then, loop)
            builder.cbranch(builder.icmp_signed("<", following, S), loop, done)
            builder.position_at_end(done)
            out = []
            for vec, keep in ((low2, "<"), (high2, ">")):
                best = builder.extract_element(vec, ir.Constant(i32, 0))
                for k in range(1, 8):
                    e = builder.extract_element(vec, ir.Constant(i32, k))
                    best = builder.select(builder.fcmp_ordered(keep, e, best), e, best)
                out.append(best)
            return context.make_tuple(builder, sig.return_type, out)
        return types.UniTuple(types.float32, 2)(cost, new, path, row, hi, w0, w1, S), codegen
    return step


def _dispatch(f0, f1, f2, f3, f4, f5, f6, f7):
    def step(lo, cost, new, path, row, hi, w0, w1, S):  # pragma: no cover - compiled by numba
        if lo == 0:
            return f0(cost, new, path, row, hi, w0, w1, S)
        elif lo == 1:
            return f1(cost, new, path, row, hi, w0, w1, S)
        elif lo == 2:
            return f2(cost, new, path, row, hi, w0, w1, S)
        elif lo == 3:
            return f3(cost, new, path, row, hi, w0, w1, S)
        elif lo == 4:
            return f4(cost, new, path, row, hi, w0, w1, S)
        elif lo == 5:
            return f5(cost, new, path, row, hi, w0, w1, S)
        elif lo == 6:
            return f6(cost, new, path, row, hi, w0, w1, S)
        else:
            return f7(cost, new, path, row, hi, w0, w1, S)
    return step


_COMPILED = {}  # "viterbi": the loaded coder (a ctypes function); "engine": what holds its code
OBJECT = b"advstego stc coder 3\n"  # the head of a compiled coder's file
_SOURCE = Path(__file__).read_bytes()  # as imported: a coder is filed under the code it ran


def _compile(ll) -> bytes:
    """_viterbi compiled by numba into an object file for this CPU: OBJECT, the entry's
    symbol, the object's SHA-256, the object (newlines between). Numba's C wrapper (its error
    path calls numba's helper library) is left out: the entry is the inner function, called
    as numba calls it."""
    import hashlib

    import numba
    from numba import types

    print("advstego: compiling the STC coder once (numba; later runs load it)",
          file=sys.stderr, flush=True)
    inline = numba.njit(inline="always", _nrt=False)
    globals()["_step"] = inline(_dispatch(*(_step_for(lo) for lo in range(8))))
    u8, f64, i64, f32 = (types.CPointer(t) for t in (types.uint8, types.float64, types.int64,
                                                      types.float32))
    sig = types.float32(u8, f64, u8, i64, i64, *[types.int64] * 3, u8, f32, f32, u8,
                        *[types.int64] * 4)
    fn = numba.cfunc(sig, _nrt=False, error_model="numpy", boundscheck=False)(_viterbi)
    module = ll.parse_assembly(fn.inspect_llvm())
    module.get_function(fn.native_name).linkage = "available_externally"  # not emitted
    inner = [f.name for f in module.functions if not f.is_declaration and f.name != fn.native_name]
    if len(inner) != 1:
        raise RuntimeError(f"the STC coder compiled to {len(inner)} functions, not one")
    obj = _machine(ll, host=True).emit_object(module)
    return b"\n".join([OBJECT + inner[0].encode(), hashlib.sha256(obj).hexdigest().encode(), obj])


def _machine(ll, host=False):
    ll.initialize_native_target()
    ll.initialize_native_asmprinter()
    target = ll.Target.from_default_triple()
    if not host:
        return target.create_target_machine(codemodel="jitdefault")
    return target.create_target_machine(cpu=ll.get_host_cpu_name(), features=_features(ll),
                                        opt=3, codemodel="jitdefault")


def _features(ll) -> str:
    try:
        return ll.get_host_cpu_features().flatten()
    except RuntimeError:  # a platform that does not say: the CPU name decides
        return ""


def _object_file(ll) -> list:
    """Where the compiled coder of this source, llvmlite and CPU is kept: beside this module
    (as numba keeps its cache), else in the user's cache folder."""
    import hashlib

    import llvmlite

    from ..files import cache_dir

    here = Path(__file__)
    what = f"{llvmlite.__version__} {ll.get_process_triple()} {ll.get_host_cpu_name()} "
    key = hashlib.sha256(_SOURCE + (what + _features(ll)).encode()).hexdigest()[:16]
    name = f"{here.stem}.viterbi-{key}.o"
    return [here.parent / "__pycache__" / name, cache_dir() / "numba" / name]


def _coder():
    """The Viterbi pass as a ctypes function (it lets go of the GIL): its object file loaded
    by llvmlite, compiled on first use. A process that hides needs no numba import (~1 s)."""
    if "viterbi" not in _COMPILED:
        import llvmlite.binding as ll

        places = _object_file(ll)
        try:
            _COMPILED.update(_load(ll, next((p.read_bytes() for p in places if p.is_file()),
                                            b"")))
        except (RuntimeError, ValueError):  # none yet, or a damaged one: compiled afresh
            data = _compile(ll)
            for place in places:  # the first that can be written, its older coders gone
                try:
                    place.parent.mkdir(parents=True, exist_ok=True)
                    write_bytes_atomic(place, data)
                    for old in place.parent.glob(f"{Path(__file__).stem}.viterbi-*.o"):
                        if old != place:
                            old.unlink(missing_ok=True)
                    break
                except OSError:
                    continue
            _COMPILED.update(_load(ll, data))
    return _COMPILED["viterbi"]


def _load(ll, data: bytes) -> dict:
    """{"viterbi": the entry of a compiled coder's file as a ctypes function, "engine": the
    llvmlite engine that holds its code}; ValueError or RuntimeError when it holds none."""
    import ctypes

    import hashlib

    name, digest, obj = (data[len(OBJECT):].split(b"\n", 2) + [b"", b""])[:3]
    if not data.startswith(OBJECT) or hashlib.sha256(obj).hexdigest().encode() != digest:
        raise ValueError("not a compiled STC coder")  # llvmlite would crash on a damaged one
    engine = ll.create_mcjit_compiler(ll.parse_assembly(""), _machine(ll))
    engine.add_object_file(ll.ObjectFileRef.from_data(obj))
    engine.finalize_object()
    address = engine.get_function_address(name.decode(errors="replace"))
    if not address:
        raise RuntimeError("the compiled STC coder lacks its entry")
    ptr, i64 = ctypes.c_void_p, ctypes.c_int64  # status = f(&result, &exception, *args)
    kind = ctypes.CFUNCTYPE(ctypes.c_int32, *[ptr] * 7, *[i64] * 3, *[ptr] * 4, *[i64] * 4)
    return {"viterbi": kind(address), "engine": engine}


def _run_viterbi(x, rho, msg, cols, widths, h, path=None, label=None):
    """(y, least cost) of the compiled pass; the buffers are NumPy's (path: in huge pages
    where the system gives them; a photo's 1.6 GB of it costs little to fault in). With a
    label, a photo's pass goes in a hundred parts under a progress bar (on a terminal)."""
    from ..progress import progress

    n, m, S = x.size, msg.size, 1 << h
    if path is None or path.size < n * max(S // 8, 1):
        path = np.empty(n * max(S // 8, 1), np.uint8)  # rows of stepped columns only
    cost, new, y = np.empty(S, np.float32), np.empty(S, np.float32), np.empty(n, np.uint8)
    total, exc = np.zeros(1, np.float32), np.zeros(4, np.int64)
    args = [x, rho, msg, cols, widths]
    assert all(a.flags.c_contiguous for a in args) and cols.dtype == widths.dtype == np.int64
    stops = np.unique(np.linspace(0, m, 101 if label and n >= PROGRESS_FROM else 2)
                      .astype(np.int64))
    columns = np.concatenate([[0], np.cumsum(widths)])
    rows = 0  # path rows taken: one a stepped column (y 0 until the trace back)
    with progress(total=n, desc=label, unit="px", unit_scale=True,
                  disable=True if len(stops) == 2 else None) as bar:
        for start, stop in zip(stops[:-1], stops[1:]):
            first, last = int(columns[start]), int(columns[stop])
            status = _coder()(total.ctypes.data, exc.ctypes.data, *[a.ctypes.data for a in args],
                              n, m, h, path.ctypes.data, cost.ctypes.data, new.ctypes.data,
                              y.ctypes.data, int(start), int(stop), first, rows)
            if status != 0:
                raise RuntimeError(f"the STC coder failed (status {status})")
            if stop < m:
                rows += int(np.count_nonzero(y[first:last] == 0))
            bar.update(last - first)
    return y, float(total[0])


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


def embed_bits(x_bits, costs, msg, h: int = 10, seed: int = 0, *, work=None, label=None):
    """Stego bits y (H·y = msg) of least cost; (y, total cost). Cost inf: that bit never changes.
    work: a uint8 buffer of at least n·2^h/8 bytes for the Viterbi path (else one is made);
    label: a progress bar's, shown on a terminal for a photo-sized embedding.

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
    y, total = _run_viterbi(x_bits, costs, msg, cols, widths, h, work, label)
    if not np.isfinite(total):
        raise ValueError(f"{m} message bits cannot be embedded here (too many wet elements)")
    return y, total


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




def _in_chunks(work, n: int):
    """work(slice) over consecutive pieces of range(n), on a thread per core (NumPy lets go
    of the GIL in its loops). Each element is computed as one call over all would compute it."""
    parts = [slice(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]
    threads = min(4, os.cpu_count() or 1, len(parts) // 4)
    if threads < 2:
        for part in parts:
            work(part)
        return
    from concurrent.futures import ThreadPoolExecutor

    def share(k):  # every threads-th piece: each thread a share of the whole
        for part in parts[k::threads]:
            work(part)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(share, range(threads)))


def ternary_probabilities(rho_p, rho_m, bits: float, rtol: float = 1e-7):
    """Optimal change probabilities (p+1, p-1) carrying `bits` bits in all (payload-limited).

    The Gibbs distribution p ~ exp(-lam rho) carries (lam E[rho] + ln Z) / ln 2 bits: one
    logarithm per element and step; lam is bisected until the payload is within rtol.
    A payload's terms are computed piece by piece (_in_chunks), one exp serving both
    directions where they cost the same (all but the wet elements of a symmetric cost), and
    summed as one array: the same numbers, bit for bit, as whole-array NumPy.
    The payload falls as lam grows, so a step is decided without one where payloads already
    computed either side of it decide it; lam is first located (Newton's method, on a sample
    of the elements, then on all) and the payloads just outside its tolerance computed, so
    that most steps are: the same steps and lam as the plain bisection (SEEDED False), about
    6 payloads where it took 20 or more (tests/test_speed_paths.py)."""
    shape = np.shape(rho_p)
    rho_p = np.minimum(rho_p, 1e30).reshape(-1)  # wet: 0 * inf is nan
    rho_m = np.minimum(rho_m, 1e30).reshape(-1)
    n = rho_p.size
    other = np.flatnonzero(rho_p != rho_m)  # where the two directions cost differently
    terms, slopes, pp, pm = np.empty(n), np.empty(n), np.empty(n), np.empty(n)

    def probs(lam, part):
        """(p+1, p-1, z) of a piece, and the piece's elements of `other`."""
        k = other[np.searchsorted(other, part.start):np.searchsorted(other, part.stop)]
        k = k - part.start
        ea = np.exp(-lam * rho_p[part])  # rho >= 0: no overflow
        eb = np.exp(-lam * rho_m[part][k])
        z = 1.0 + ea + ea  # as 1 + ea + eb where eb = ea
        z[k] = 1.0 + ea[k] + eb
        p = ea / z
        m = p.copy()
        m[k] = eb / z[k]
        return p, m, z, k

    def term(lam, part, slope=False):
        k = other[np.searchsorted(other, part.start):np.searchsorted(other, part.stop)]
        k = k - part.start
        rp, rm = rho_p[part], rho_m[part][k]
        ea = np.exp(-lam * rp)  # as probs(), without the copy
        eb = np.exp(-lam * rm)
        z = 1.0 + ea + ea
        z[k] = 1.0 + ea[k] + eb
        a = ea / z
        if slope:  # d(term)/d(lam) = -lam Var(rho): Newton's, in nats
            pb = eb / z[k]
            e1, e2 = a * rp, a * rp * rp
            m1, m2 = e1 + e1, e2 + e2
            m1[k], m2[k] = e1[k] + pb * rm, e2[k] + pb * rm * rm
            slopes[part] = -lam * (m2 - m1 * m1)
        a *= rp
        b = a + a  # as p * rho_p + m * rho_m where they are equal
        b[k] = a[k] + (eb / z[k]) * rm
        b *= lam
        b += np.log(z)
        terms[part] = b

    known = {}  # lam -> its payload, exact

    def payload(lam, slope=False):
        if lam not in known or slope:
            _in_chunks(lambda part: term(lam, part, slope), n)
            bar.update()
            known[lam] = float(np.sum(terms)) / np.log(2)
        return known[lam]

    def above(lam) -> tuple[bool, bool]:
        """(payload > bits, payload within rtol of bits), as the exact payload says: from
        the payloads known either side where they decide it (the payload falls as lam
        grows; `slack` covers their rounding), else computed."""
        got = known.get(lam)
        if got is None:
            low = max((v for k, v in known.items() if k > lam), default=-np.inf) - slack
            high = min((v for k, v in known.items() if k < lam), default=np.inf) + slack
            if low > top or high < bottom or bits < low <= high <= top \
                    or bottom <= low <= high <= bits:
                return low > bits, bottom <= low and high <= top
            got = payload(lam)
        return got > bits, abs(got - bits) <= rtol * bits

    def both(lam, part):
        pp[part], pm[part], _, _ = probs(lam, part)

    from ..progress import progress

    bar = progress(desc="STC, change rates", unit="step",
                   disable=True if n < PROGRESS_FROM else None)
    top, bottom, slack = bits + rtol * bits, bits - rtol * bits, 1e-12 * n + 1e-9 * bits
    if SEEDED and bits > 0:
        _seed(rho_p, rho_m, bits, rtol, payload, lambda: float(np.sum(slopes)) / np.log(2))
    lo, hi = 0.0, 1.0
    while above(hi)[0] and hi < 1e12:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        more, near = above(mid)
        lo, hi = (mid, hi) if more else (lo, mid)
        if near:
            break
    _in_chunks(lambda part: both(hi, part), n)
    bar.close()
    return (pp.reshape(shape), pm.reshape(shape)), hi


SEEDED = True  # ternary_probabilities: lam located first (False: the plain bisection)
SAMPLE = 1 << 16  # elements of the sample lam is first located on


def _seed(rho_p, rho_m, bits, rtol, payload, slope):
    """lam located by Newton's method in log(lam), first on a sample of the elements, then on
    all (payload(lam, True) computes the exact payload and slope() its derivative) until a
    step moves lam by under 1% of its tolerance; then the exact payloads just outside that
    tolerance, either side, are computed (the bisection's steps outside them need none)."""
    step = max(1, rho_p.size // SAMPLE)
    sample = rho_p[::step], rho_m[::step]
    share = bits * sample[0].size / rho_p.size
    lam = _newton(lambda lam: _gibbs(lam, *sample), share, 1.0, 60, 1e-6)
    if lam is None:
        return
    _, d = _gibbs(lam, *sample)  # lam's tolerance, relative: rtol * bits / (lam * -payload')
    tol = 0.01 * rtol * share / (lam * -d) if d < 0 else rtol

    def exact(lam):
        exact.last = payload(lam, True), slope()
        return exact.last

    lam = _newton(exact, bits, lam, 4, tol)
    if lam is None:
        return
    d = exact.last[1]  # where the last step began, within 1% of the tolerance of lam
    if not d < 0:
        return
    width = 1.05 * rtol * bits / -d  # lam's tolerance either side, and 5% more
    payload(lam - width)
    payload(lam + width)


def _newton(f, bits, lam, steps, tol):
    """The lam where f(lam)[0] (a payload, falling with lam; f(lam)[1] its derivative) is
    bits, by Newton steps in log(lam) kept inside the bracket found; None where no step of
    the last moved lam by under tol (relative)."""
    lo, hi = 0.0, np.inf  # lam's bracket
    for _ in range(steps):
        h, d = f(lam)
        lo, hi = (lam, hi) if h > bits else (lo, lam)
        u = -(h - bits) / (lam * d) if d < 0 else np.inf  # the step in log(lam)
        new = lam * np.exp(np.clip(u, -30, 30))
        if abs(new - lam) <= tol * lam:
            return new
        if not lo < new < hi:
            new = 2 * lam if hi == np.inf else lam / 2 if lo == 0 else np.sqrt(lo * hi)
        lam = new
    return None


def _gibbs(lam, rho_p, rho_m):
    """(payload in bits, its derivative in lam) of whole arrays: the sample's."""
    ea, eb = np.exp(-lam * rho_p), np.exp(-lam * rho_m)
    z = 1.0 + ea + eb
    a, b = ea / z, eb / z
    m1, m2 = a * rho_p + b * rho_m, a * rho_p * rho_p + b * rho_m * rho_m
    return (float(np.sum(lam * m1 + np.log(z))) / np.log(2),
            float(np.sum(-lam * (m2 - m1 * m1))) / np.log(2))


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
    n = x.size
    rho_b, rho1, entropy = np.empty(n), np.empty(n), np.empty(n)

    def layer_one(part):  # piece by piece (_in_chunks): the same numbers as whole arrays
        o = odd[part]
        rho_a = np.where(o, rho_p[part], rho_m[part])
        rho_b[part] = b = np.where(o, rho_m[part], rho_p[part])
        p1 = np.clip(np.where(o, pp[part], pm[part]), 1e-300, 1 - 1e-12)
        entropy[part] = _entropy_bits(p1) + _entropy_bits(1 - p1)
        # binary cost whose optimal flip probability at this lambda is p1
        rho1[part] = rho_a + np.logaddexp(0.0, -lam * np.minimum(b, 1e30)) / lam

    _in_chunks(layer_one, n)
    m1 = min(total, int(np.ceil(np.sum(entropy))))
    bit1 = ((x >> 1) & 1).astype(np.uint8)
    work = np.empty(n * max((1 << h) // 8, 1), np.uint8)  # the path, for both layers
    while True:
        y1, _ = embed_bits(bit1, rho1, msg[:m1], h, seed, work=work, label="STC, layer 1")
        flip1 = y1 != bit1
        m2 = total - m1
        if m2 == 0:
            y = x + np.where(flip1, d1, 0)
            break
        try:
            lsb = ((x & 1) ^ flip1).astype(np.uint8)  # a bit-1 flip flips the LSB too
            y2, _ = embed_bits(lsb, np.where(flip1, np.inf, rho_b), msg[m1:], h, seed + 1,
                               work=work, label="STC, layer 2")
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
