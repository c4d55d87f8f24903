"""The fast paths of a photo-sized hide compute what the plain code computed.

tests/data/speed_paths.npz holds what commit fc5dbda's functions (before the vector Viterbi,
the chunked probabilities and the threaded cost maps) returned on the inputs made here: the
S-UNIWARD map of a 64x64 crop, the binary STC at h = 7, 10, 12, the ±1 STC at two rates.
"""

from pathlib import Path

import numpy as np
import pytest

from advstego.embedding import costs
from advstego.hiding import stc

DATA = Path(__file__).parent / "data" / "speed_paths.npz"


@pytest.fixture(scope="module")
def saved():
    with np.load(DATA) as f:
        return dict(f)


def _inputs(cover):
    """Cover elements in a random order (wet ones scattered), costs exact in float32, bits."""
    rng = np.random.default_rng(2024)
    n = cover.size
    rp = (rng.random(n) * 3 + 0.01).astype(np.float32).astype(np.float64)
    rm = (rng.random(n) * 3 + 0.01).astype(np.float32).astype(np.float64)
    x = cover.reshape(-1).astype(np.int64)[rng.permutation(n)]
    rp[x == 255], rm[x == 0] = costs.WET, costs.WET
    return x, rp, rm, rng.integers(0, 2, 6000).astype(np.uint8)


@pytest.mark.parametrize("threads_from", [costs.THREADS_FROM, 0])  # 0: as a photo's, on threads
def test_cost_maps_are_the_saved_ones(saved, threads_from, monkeypatch):
    monkeypatch.setattr(costs, "THREADS_FROM", threads_from)
    cover = saved["cover"]
    np.testing.assert_allclose(costs.suniward(cover[:64, :64]), saved["rho"], rtol=1e-12, atol=0)
    plus, minus = costs.suniward_adjusted(cover)
    np.testing.assert_allclose([plus.sum(), minus.sum()], [saved["plus_sum"], saved["minus_sum"]],
                               rtol=1e-12)


def test_rgb_costs_are_each_channels(saved):
    from advstego.hiding.classical import _costs

    rgb = np.stack([saved["cover"], saved["cover"].T, 255 - saved["cover"]], 2)
    plus, minus = _costs(rgb, "suniward")
    for c in range(3):
        p, m = costs.cost_adjusted(np.ascontiguousarray(rgb[..., c]), "suniward")
        assert np.array_equal(plus[..., c], p) and np.array_equal(minus[..., c], m)


@pytest.mark.parametrize("h", [7, 10, 12])
def test_binary_stc_embeds_the_saved_bits(saved, h):
    x, rp, rm, msg = _inputs(saved["cover"])
    y, total = stc.embed_bits((x & 1).astype(np.uint8), np.minimum(rp, rm), msg[:3000], h, 5 + h)
    assert np.array_equal(np.packbits(y), saved[f"bits_h{h}"])
    assert total == saved[f"bits_total_h{h}"]
    assert np.array_equal(stc.extract_bits(y, 3000, h, 5 + h), msg[:3000])


@pytest.mark.parametrize("name, bits, chunk", [("ternary", 6000, None), ("ternary", 6000, 1000),
                                               ("ternary_small", 300, 999)])
def test_ternary_stc_makes_the_saved_changes(saved, name, bits, chunk, monkeypatch):
    if chunk:  # as on a photo: pieces on threads, the Viterbi pass in parts under a bar
        monkeypatch.setattr(stc, "CHUNK", chunk)
        monkeypatch.setattr(stc, "PROGRESS_FROM", 0)
    x, rp, rm, msg = _inputs(saved["cover"])
    (pp, pm), lam = stc.ternary_probabilities(rp, rm, bits)
    assert lam == saved[name + "_lambda"]
    np.testing.assert_allclose([pp.sum(), pm.sum()], saved[name + "_p"], rtol=1e-12)
    y, m1, m2, d = stc.embed_ternary(x, rp, rm, msg[:bits], 10, 77)
    assert np.array_equal(y - x, saved[name])
    assert [m1, m2] == list(saved[name + "_lengths"])
    assert d == pytest.approx(float(saved[name + "_distortion"]), rel=1e-12)
    assert np.array_equal(stc.extract_ternary(y, m1, m2, 10, 77), msg[:bits])


def test_a_hide_loads_the_compiled_coder_without_numba(tmp_path):
    import subprocess
    import sys

    stc._coder()  # compiled and kept, if this session had not yet
    code = ("import sys, numpy as np; from advstego.hiding import stc; "
            "y, t = stc.embed_bits(np.zeros(500, np.uint8), np.ones(500), np.ones(50, np.uint8)); "
            "assert (stc.extract_bits(y, 50) == 1).all(); print('numba' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False" and "compiling" not in r.stderr


def test_the_codecs_searched_at_once_choose_as_one_after_the_other(monkeypatch, rng):
    from advstego.hiding import codec
    from conftest import textured

    class OneAfterTheOther:
        def __init__(self, workers):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, fn, items):
            return map(fn, items)

    secret = textured(rng, 96, 96, 3)
    for budget in (600, 2500):
        at_once = codec.best(secret, budget)
        with monkeypatch.context() as m:
            m.setattr(codec, "ThreadPoolExecutor", OneAfterTheOther)
            assert codec.best(secret, budget) == at_once


@pytest.mark.parametrize("share", [0.002, 0.05, 0.4, 0.9])
def test_locating_lam_first_leaves_the_change_rates_as_they_were(share, monkeypatch, rng):
    """The bisection's steps decided from payloads computed near lam (located first): the
    same lam and rates as the plain bisection, with under half its payloads."""
    n = 40000
    rho_p = np.exp(rng.uniform(-6, 9, n))  # costs over seven decades, some wet each way
    rho_m = rho_p.copy()
    rho_p[rng.random(n) < 0.03], rho_m[rng.random(n) < 0.05] = costs.WET, costs.WET
    monkeypatch.setattr(stc, "CHUNK", 4096)
    passes = []
    chunks = stc._in_chunks
    monkeypatch.setattr(stc, "_in_chunks", lambda work, n: passes.append(n) or chunks(work, n))
    seeded, few = stc.ternary_probabilities(rho_p, rho_m, share * n), len(passes)
    monkeypatch.setattr(stc, "SEEDED", False)  # lam not located first: the plain bisection
    passes.clear()
    plain = stc.ternary_probabilities(rho_p, rho_m, share * n)
    assert seeded[1] == plain[1]
    assert all(np.array_equal(a, b) for a, b in zip(seeded[0], plain[0]))
    assert few - 1 <= (len(passes) - 1) / 2  # payloads (the last pass: the rates)


def test_a_damaged_coder_file_is_refused_not_loaded():
    import llvmlite.binding as ll

    stc._coder()
    good = next(p.read_bytes() for p in stc._object_file(ll) if p.is_file())
    assert callable(stc._load(ll, good)["viterbi"])
    flipped = good[:-1] + bytes([good[-1] ^ 1])
    for bad in (b"", good[:-100], flipped, good.replace(b"coder", b"cider")):
        with pytest.raises(ValueError):  # llvmlite would crash on it: _coder compiles afresh
            stc._load(ll, bad)


def test_juniward_in_strips_on_threads_is_conseals(monkeypatch, rng):
    """A photo's J-UNIWARD (strips of block rows, on threads, each filter pass one matrix
    product) computes conseal's costs, as one strip does."""
    import conseal

    from advstego.embedding import dct_costs

    q = np.clip(np.round(rng.uniform(2, 40, (8, 8))), 1, 255)
    y = np.round(rng.laplace(0, 3, (11, 7, 8, 8)) / (1 + np.arange(8)[:, None] / 2)).astype(
        np.int16)  # 88x56 pixels: 11 block rows
    x0 = dct_costs.pixels(y, q)
    whole = dct_costs.juniward(x0, q)
    monkeypatch.setattr(dct_costs, "STRIP", 3)  # strips of 3, 3, 3 and 2 block rows
    monkeypatch.setattr(dct_costs, "THREADS_FROM", 0)  # on threads, as a photo's
    strips = dct_costs.juniward(x0, q)
    np.testing.assert_allclose(strips, whole, rtol=1e-13, atol=0)
    rp, _ = conseal.juniward.compute_cost_adjusted(x0, y, q)
    np.testing.assert_allclose(strips, rp, rtol=1e-9, atol=0)


def _plain_viterbi(x, rho, msg, h, seed):
    """The binary STC's Viterbi pass as the paper states it, every column stepped (NumPy,
    float32 as the coder): (y, least cost)."""
    n, m, S = x.size, msg.size, 1 << h
    cols, widths = stc._code(n, m, h, seed)
    r = np.where(rho >= stc.WET, np.inf, rho).astype(np.float32)
    cost = np.full(S, np.inf, np.float32)
    cost[0] = 0
    states, bits, idx = np.arange(S), np.zeros((n, S), bool), 0
    for i in range(m):
        mask = S - 1 if m - i >= h else (1 << (m - i)) - 1
        for j in range(widths[i]):
            w0, w1 = (r[idx], np.float32(0)) if x[idx] else (np.float32(0), r[idx])
            a, b = cost + w0, cost[states ^ (cols[j] & mask)] + w1
            bits[idx], cost = b < a, np.where(b < a, b, a)
            idx += 1
        cost = np.concatenate([cost[msg[i]::2], np.full(S // 2, np.inf, np.float32)])
    s, y = int(np.argmin(cost)), np.zeros(n, np.uint8)
    total = cost[s]
    for i in range(m - 1, -1, -1):
        mask = S - 1 if m - i >= h else (1 << (m - i)) - 1
        s = ((s << 1) | int(msg[i])) & (S - 1)
        for j in range(widths[i] - 1, -1, -1):
            idx -= 1
            y[idx] = bits[idx, s]
            if y[idx]:
                s ^= int(cols[j] & mask)
    return y, float(total)


@pytest.mark.parametrize("h, parts", [(2, False), (7, False), (10, False), (10, True)])
def test_columns_left_unstepped_leave_the_plain_viterbis_choice(h, parts, rng, monkeypatch):
    """Costs over seven decades at a JPEG's low rate: most columns cost more than the states'
    spread and are not stepped (they take no path row), and the stego bits and their cost
    are the plain pass's, bit for bit; in one pass or in parts (a photo's progress bar)."""
    if parts:
        monkeypatch.setattr(stc, "PROGRESS_FROM", 0)
    n, m = 3000, 30
    x = (rng.random(n) < 0.2).astype(np.uint8)
    rho = np.exp(rng.uniform(-7, 9, n))
    rho[rng.random(n) < 0.03] = costs.WET
    msg = rng.integers(0, 2, m).astype(np.uint8)
    work = np.full(n * max((1 << h) // 8, 1), 0xAB, np.uint8)
    y, total = stc.embed_bits(x, rho, msg, h, 11, work=work, label="test" if parts else None)
    plain, plain_total = _plain_viterbi(x, rho, msg, h, 11)
    assert np.array_equal(y, plain) and total == plain_total
    assert np.array_equal(stc.extract_bits(y, m, h, 11), msg)
    if h >= 3:  # path rows of 0xAB bytes were never written: as many columns not stepped
        assert (work.reshape(n, -1) == 0xAB).all(1).mean() > 0.3
