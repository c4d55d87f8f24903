"""SRM / SRMQ1 rich-model features, bit-identical to sealwatch's and much faster.

The same residuals, quantisers, min/max combinations and co-occurrences as sealwatch's
`all1st` … `all5x5`, computed differently:
- each residual once per image (sealwatch recomputes it for every quantisation step q), in
  integers; quantised through a lookup table built with sealwatch's own rounding, so every
  value is the one sealwatch gets;
- quantised residuals as int8, min/max on those;
- a co-occurrence of stacked arrays is the sum of its parts' counts (a row never spans two
  stacked parts), so nothing is stacked; the counts come from one compiled pass per array;
- the symmetrisations (sealwatch's symm4 / symm4_dir) as fixed index maps, summed in the
  same order, so the float32 sums round as sealwatch's do; submodels named and merged as
  sealwatch's `symm.post_process` names and merges them.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np

SRM_QS = [[1, 2], [1, 1.5, 2], [1, 1.5, 2], [1, 1.5, 2], [1, 1.5, 2]]
SRMQ1_QS = [[1]] * 5
T = 2
B = 2 * T + 1


def _count(Y, vertical, counts):  # pragma: no cover - compiled by numba
    """Add the 4-D co-occurrences of Y's values (in [-T, T]) along rows or columns."""
    h, w = Y.shape
    off = (B ** 4 - 1) // 2
    if vertical:
        for i in range(h - 3):
            r0, r1, r2, r3 = Y[i], Y[i + 1], Y[i + 2], Y[i + 3]
            for j in range(w):
                counts[((r0[j] * B + r1[j]) * B + r2[j]) * B + r3[j] + off] += 1
    else:
        for i in range(h):
            r = Y[i]
            c = (r[0] * B + r[1]) * B + r[2]
            for j in range(3, w):
                c = c * B + r[j]
                counts[c + off] += 1
                c -= r[j - 3] * B ** 3
    return counts


_COMPILED = {}


def _counter():
    if "count" not in _COMPILED:
        import numba

        _COMPILED["count"] = numba.njit(cache=True)(_count)
    return _COMPILED["count"]


def _cooc(vertical: bool, *parts) -> np.ndarray:
    """sealwatch's cooccurrence4 of the parts stacked (vstack for rows, hstack for columns)."""
    count = _counter()
    counts = np.zeros(B ** 4, np.int64)
    for p in parts:
        count(p, vertical, counts)
    counts = counts.reshape(B, B, B, B)
    return counts / np.sum(counts)


def _h(*parts):
    return _cooc(False, *parts)


def _v(*parts):
    return _cooc(True, *parts)


def matlab_round(x: np.ndarray) -> np.ndarray:
    """sealwatch's tools.matlab.round (half away from zero, a fraction within isclose of 0.5
    counted as a half): written here because importing sealwatch costs seconds a process
    (it loads torchvision); tests/test_srm.py holds the two equal on every value SRM rounds."""
    a = np.abs(x)
    frac = a - np.floor(a)
    up = (frac >= 0.5) | np.isclose(frac, 0.5)
    return np.where(up, np.ceil(a), np.floor(a)) * np.sign(x)


def _quantise(residuals: dict, q) -> dict:
    """clip(matlab_round(R / q), -T, T) of every residual, through one lookup table."""
    lo = min(int(r.min()) for r in residuals.values())
    hi = max(int(r.max()) for r in residuals.values())
    lut = np.clip(matlab_round(np.arange(lo, hi + 1) / q), -T, T).astype(np.int8)
    return {k: lut[r - lo] for k, r in residuals.items()}


def _ordered(order: str, *parts: dict) -> "OrderedDict[str, np.ndarray]":
    merged = {k: v for p in parts for k, v in p.items()}
    return OrderedDict((k, merged[k]) for k in order.split())


# --- residuals (integers, as sealwatch writes them) --------------------------------------

def _res1st(X):
    c = X[1:-1, 1:-1]
    return dict(R=X[1:-1, 2:] - c, L=X[1:-1, :-2] - c, U=X[:-2, 1:-1] - c, D=X[2:, 1:-1] - c,
                RU=X[:-2, 2:] - c, LU=X[:-2, :-2] - c, RD=X[2:, 2:] - c, LD=X[2:, :-2] - c)


def _res2nd(X):
    c2 = 2 * X[1:-1, 1:-1]
    return dict(h=X[1:-1, :-2] - c2 + X[1:-1, 2:], v=X[:-2, 1:-1] - c2 + X[2:, 1:-1],
                d=X[:-2, :-2] - c2 + X[2:, 2:], m=X[:-2, 2:] - c2 + X[2:, :-2])


def _res3rd(X):
    c3 = 3 * X[2:-2, 2:-2]
    return dict(
        R=-X[2:-2, 4:] + 3 * X[2:-2, 3:-1] - c3 + X[2:-2, 1:-3],
        L=-X[2:-2, :-4] + 3 * X[2:-2, 1:-3] - c3 + X[2:-2, 3:-1],
        U=-X[:-4, 2:-2] + 3 * X[1:-3, 2:-2] - c3 + X[3:-1, 2:-2],
        D=-X[4:, 2:-2] + 3 * X[3:-1, 2:-2] - c3 + X[1:-3, 2:-2],
        RU=-X[:-4, 4:] + 3 * X[1:-3, 3:-1] - c3 + X[3:-1, 1:-3],
        LU=-X[:-4, :-4] + 3 * X[1:-3, 1:-3] - c3 + X[3:-1, 3:-1],
        RD=-X[4:, 4:] + 3 * X[3:-1, 3:-1] - c3 + X[1:-3, 1:-3],
        LD=-X[4:, :-4] + 3 * X[3:-1, 1:-3] - c3 + X[1:-3, 3:-1])


def _res3x3(X):
    a, b, c = X[:-2, :-2], X[:-2, 1:-1], X[:-2, 2:]
    d, e, f = X[1:-1, :-2], X[1:-1, 1:-1], X[1:-1, 2:]
    g, h, i = X[2:, :-2], X[2:, 1:-1], X[2:, 2:]
    return dict(Y=-a + 2 * d - g + 2 * b - 4 * e + 2 * h - c + 2 * f - i,
                u=2 * b + 2 * d + 2 * f - a - c - 4 * e,
                b=2 * h + 2 * d + 2 * f - g - i - 4 * e,
                l=2 * d + 2 * b + 2 * h - a - g - 4 * e,
                r=2 * f + 2 * b + 2 * h - c - i - 4 * e)


def _res5x5(X):
    def s(r, c):  # X shifted by (r, c) from the centre of a 5x5 window
        return X[2 + r: X.shape[0] - 2 + r, 2 + c: X.shape[1] - 2 + c]

    e12 = 12 * s(0, 0)
    Y = (8 * (s(-1, 0) + s(1, 0) + s(0, -1) + s(0, 1))
         - 6 * (s(-1, 1) + s(-1, -1) + s(1, -1) + s(1, 1))
         - 2 * (s(-2, 0) + s(2, 0) + s(0, 2) + s(0, -2))
         + 2 * (s(-1, -2) + s(-2, -1) + s(-2, 1) + s(-1, 2) + s(1, 2) + s(2, 1) + s(2, -1) + s(1, -2))
         - (s(-2, -2) + s(-2, 2) + s(2, -2) + s(2, 2)) - e12)
    u = (8 * (s(0, -1) + s(-1, 0) + s(0, 1)) - 6 * (s(-1, -1) + s(-1, 1))
         - 2 * (s(0, -2) + s(0, 2) + s(-2, 0)) + 2 * (s(-1, -2) + s(-2, -1) + s(-2, 1) + s(-1, 2))
         - s(-2, -2) - s(-2, 2) - e12)
    r = (8 * (s(-1, 0) + s(0, 1) + s(1, 0)) - 6 * (s(-1, 1) + s(1, 1))
         - 2 * (s(-2, 0) + s(2, 0) + s(0, 2)) + 2 * (s(-2, 1) + s(-1, 2) + s(1, 2) + s(2, 1))
         - s(-2, 2) - s(2, 2) - e12)
    b = (8 * (s(0, 1) + s(1, 0) + s(0, -1)) - 6 * (s(1, 1) + s(1, -1))
         - 2 * (s(0, -2) + s(0, 2) + s(2, 0)) + 2 * (s(1, 2) + s(2, 1) + s(2, -1) + s(1, -2))
         - s(2, 2) - s(2, -2) - e12)
    left = (8 * (s(1, 0) + s(0, -1) + s(-1, 0)) - 6 * (s(1, -1) + s(-1, -1))
            - 2 * (s(-2, 0) + s(2, 0) + s(0, -2)) + 2 * (s(2, -1) + s(1, -2) + s(-1, -2) + s(-2, -1))
            - s(2, -2) - s(-2, -2) - e12)
    return dict(Y=Y, u=u, b=b, l=left, r=r)


# --- co-occurrence submodels, per family (sealwatch's names and order) -------------------

def _minmax1st(Q, m, p):
    R, L, U, D = Q["R"], Q["L"], Q["U"], Q["D"]
    RUq, LUq, RDq, LDq = Q["RU"], Q["LU"], Q["RD"], Q["LD"]
    g = {}
    RL, UD = m(R, L), m(U, D)
    g[p + "22h"] = _h(RL) + _v(UD)
    g[p + "22v"] = _h(UD) + _v(RL)
    RU, RD, LU, LD = m(R, U), m(R, D), m(L, U), m(L, D)
    g[p + "24"] = _h(RU, RD, LU, LD) + _v(RU, RD, LU, LD)
    Uo, Ro, Do, Lo = m(m(L, U), R), m(m(U, R), D), m(m(R, D), L), m(m(D, L), U)
    g[p + "34h"] = _h(Uo, Do) + _v(Lo, Ro)
    g[p + "34v"] = _v(Uo, Do) + _h(Ro, Lo)
    R41 = m(RL, UD)
    g[p + "41"] = _h(R41) + _v(R41)
    RU, RD, LU, LD = m(RU, RUq), m(RD, RDq), m(LU, LUq), m(LD, LDq)
    g[p + "34"] = _h(RU, RD, LU, LD) + _v(RU, RD, LU, LD)
    RU2, RD2, LD2, LU2 = m(RU, LUq), m(RD, RUq), m(LD, RDq), m(LU, LDq)
    RU3, RD3, LD3, LU3 = m(RU, RDq), m(RD, LDq), m(LD, LUq), m(LU, RUq)
    g[p + "48h"] = _h(RU2, LD2, RD3, LU3) + _v(RD2, LU2, RU3, LD3)
    g[p + "48v"] = _h(RD2, LU2, RU3, LD3) + _v(RU2, LD2, RD3, LU3)
    RU4, RD4, LD4, LU4 = m(RU2, RDq), m(RD2, LDq), m(LD2, LUq), m(LU2, RUq)
    RU5, RD5, LD5, LU5 = m(RU3, LUq), m(RD3, RUq), m(LD3, RDq), m(LU3, LDq)
    g[p + "54"] = _h(RU4, LD4, RD5, LU5) + _v(RD4, LU4, RU5, LD5)
    return g


def _all1st(Q):
    spam = {"spam14h": _h(Q["R"]) + _v(Q["U"]), "spam14v": _h(Q["U"]) + _v(Q["R"])}
    return _ordered("min22h max22h min22v max22v spam14h spam14v min24 max24 min34h max34h "
                    "min34v max34v min41 max41 min34 max34 min48h min48v max48h max48v min54 "
                    "max54", spam, _minmax1st(Q, np.minimum, "min"), _minmax1st(Q, np.maximum, "max"))


def _minmax2nd(Q, m, p):
    Yh, Yv, Yd, Ym = Q["h"], Q["v"], Q["d"], Q["m"]
    g = {}
    D1 = m(Yh, Yv)
    g[p + "21"] = _h(D1) + _v(D1)
    D2 = m(m(D1, Yd), Ym)
    g[p + "41"] = _h(D2) + _v(D2)
    RU, RD = m(D1, Ym), m(D1, Yd)
    g[p + "32"] = _h(RU, RD) + _v(RU, RD)
    RU2, RD2, RU3, LU3 = m(Ym, Yh), m(Yd, Yh), m(Ym, Yv), m(Yd, Yv)
    g[p + "24h"] = _h(RU2, RD2) + _v(RU3, LU3)
    g[p + "24v"] = _h(RU3, LU3) + _v(RU2, RD2)
    return g


def _all2nd(Q):
    spam = {"spam12h": _h(Q["h"]) + _v(Q["v"]), "spam12v": _v(Q["h"]) + _h(Q["v"])}
    return _ordered("spam12h spam12v min21 max21 min41 max41 min32 max32 min24h min24v max24h "
                    "max24v", spam, _minmax2nd(Q, np.minimum, "min"), _minmax2nd(Q, np.maximum, "max"))


def _minmax3rd(Q, m, p):
    R, L, U, D = Q["R"], Q["L"], Q["U"], Q["D"]
    RUq, LUq, RDq, LDq = Q["RU"], Q["LU"], Q["RD"], Q["LD"]
    g = {}
    RL, UD = m(R, L), m(U, D)
    g[p + "22h"] = _h(RL) + _v(UD)
    g[p + "22v"] = _v(RL) + _h(UD)
    Uo, Ro, Do, Lo = m(RL, U), m(UD, R), m(RL, D), m(UD, L)
    g[p + "34h"] = _h(Uo, Do) + _v(Ro, Lo)
    g[p + "34v"] = _h(Ro, Lo) + _v(Uo, Do)
    RU, RD, LU, LD = m(R, U), m(R, D), m(L, U), m(L, D)
    g[p + "24"] = _h(RU, RD, LU, LD) + _v(RU, RD, LU, LD)
    R41 = m(RU, LD)
    g[p + "41"] = _h(R41) + _v(R41)
    RU2, RD2, LU2, LD2 = m(RU, RUq), m(RD, RDq), m(LU, LUq), m(LD, LDq)
    g[p + "34"] = _h(RU2, RD2, LU2, LD2) + _v(RU2, RD2, LU2, LD2)
    RU3, RD3, LD3, LU3 = m(RU2, LUq), m(RD2, RUq), m(LD2, RDq), m(LU2, LDq)
    RU4, RD4, LD4, LU4 = m(RU2, RDq), m(RD2, LDq), m(LD2, LUq), m(LU2, RUq)
    g[p + "48h"] = _h(RU3, LD3, RD4, LU4) + _v(RD3, LU3, RU4, LD4)
    g[p + "48v"] = _v(RU3, LD3, RD4, LU4) + _h(RD3, LU3, RU4, LD4)
    RU5, RD5, LD5, LU5 = m(RU3, RDq), m(RD3, LDq), m(LD3, LUq), m(LU3, RUq)
    g[p + "54"] = _h(RU5, LD5, RD5, LU5) + _v(RD5, LU5, RU5, LD5)
    return g


def _all3rd(Q):
    spam = {"spam14h": _h(Q["R"]) + _v(Q["U"]), "spam14v": _v(Q["R"]) + _h(Q["U"])}
    return _ordered("min22h max22h min22v max22v min34h max34h min34v max34v spam14h spam14v "
                    "min24 max24 min41 max41 min34 max34 min48h min48v max48h max48v min54 "
                    "max54", spam, _minmax3rd(Q, np.minimum, "min"), _minmax3rd(Q, np.maximum, "max"))


def _minmax_edges(Q, m, p):
    Yu, Yb, Yl, Yr = Q["u"], Q["b"], Q["l"], Q["r"]
    g = {}
    D1, D2, D3, D4 = m(Yu, Yl), m(Yb, Yr), m(Yu, Yr), m(Yb, Yl)
    g[p + "24"] = _h(D1, D2, D3, D4) + _v(D1, D2, D3, D4)
    UE, RE = m(Yu, Yb), m(Yr, Yl)
    g[p + "22h"] = _h(UE) + _v(RE)
    g[p + "22v"] = _v(UE) + _h(RE)
    D5 = m(D1, D2)
    g[p + "41"] = _h(D5) + _v(D5)
    return g


def _all_edges(Q):
    """all3x3 and all5x5: the whole kernel (KB or KV) and its four halves."""
    spam = {"spam11": _h(Q["Y"]) + _v(Q["Y"]),
            "spam14h": _h(Q["u"], Q["b"]) + _v(Q["l"], Q["r"]),
            "spam14v": _v(Q["u"], Q["b"]) + _h(Q["l"], Q["r"])}
    return _ordered("spam11 spam14h spam14v min24 max24 min22h max22h min22v max22v min41 max41",
                    spam, _minmax_edges(Q, np.minimum, "min"), _minmax_edges(Q, np.maximum, "max"))


# --- symmetrisation and naming (sealwatch's symm.py) ------------------------------------

@functools.cache
def _maps():
    """Index maps of symm4_dir (pairs) and symm4 (quadruples); index B**4 reads a zero."""
    r = range(-T, T + 1)

    def at(*v):
        return int(np.ravel_multi_index([t + T for t in v], (B,) * 4))

    zero = B ** 4
    done, direc = set(), []
    for i in r:
        for j in r:
            for k in r:
                for n in r:
                    a, b = at(i, j, k, n), at(n, k, j, i)
                    if a == b:
                        direc.append((a, zero))
                    elif a not in done:
                        direc.append((a, b))
                        done |= {a, b}
    done, sign = {at(0, 0, 0, 0)}, [(at(0, 0, 0, 0), zero, zero, zero)]
    for i in r:
        for j in r:
            for k in r:
                for n in r:
                    a, na = at(i, j, k, n), at(-i, -j, -k, -n)
                    if a in done:
                        continue
                    done |= {a, na}
                    b, nb = at(n, k, j, i), at(-n, -k, -j, -i)
                    if (i != n or j != k) and b not in done:
                        sign.append((a, na, b, nb))
                        done |= {b, nb}
                    else:
                        sign.append((a, na, zero, zero))
    return tuple(np.array(m).T for m in (direc, sign))


def _padded(A):
    return np.append(np.ravel(A), np.float32(0))


def _symm4_dir(Fmin, Fmax):
    """sealwatch's symm4_dir of the min and max co-occurrences (sign, then direction)."""
    A = Fmin.reshape((B,) * 4, order="F") + np.flip(Fmax.reshape((B,) * 4, order="F"))
    a, b = _maps()[0]
    A = _padded(A)
    return A[a] + A[b]


def _symm4(A):
    a, na, b, nb = _maps()[1]
    A = _padded(A)
    return ((A[a] + A[na]) + A[b]) + A[nb]


def _post_process(g, f, q, result):
    """Add one family's submodels at one q, symmetrised and named as sealwatch names them."""
    Q = "q" + f"{q}".replace(".", "")
    fam = "s" + f[1:]
    for k, v in g.items():
        if k.startswith("spam"):
            result[f"{fam}_{k}_{Q}"] = _symm4(v.astype("float32"))
        elif k.startswith("min"):
            mx = g["max" + k[3:]].astype("float32").flatten(order="F")
            result[f"{fam}_minmax{k[3:]}_{Q}"] = _symm4_dir(v.astype("float32").flatten(order="F"), mx)
    keys = set(result)  # sealwatch merges in a set's order: the dict's order follows it
    for k in keys:
        T_, N, Q_ = k.split("_")
        if not N.startswith("spam") or N.endswith("v") or (N == "spam11" and T_ == "s5x5"):
            continue
        if N.endswith("h"):
            out, other = f"{T_}_{N}v_{Q_}", k.replace("h_", "v_")
        elif N == "spam11":
            out, other = f"s35_{N}_{Q_}", k.replace("3x3", "5x5")
            if other not in keys:
                continue
        else:
            continue
        if out not in result:
            result[out] = np.hstack([result.pop(k), result.pop(other)])
    return result


_FAMILIES = (("f1", _res1st, _all1st, 1), ("f2", _res2nd, _all2nd, 2), ("f3", _res3rd, _all3rd, 3),
             ("f3x3", _res3x3, _all_edges, 4), ("f5x5", _res5x5, _all_edges, 12))


def extract(x: np.ndarray, qs=None) -> "OrderedDict[str, np.ndarray]":
    """SRM features of a 2-D uint8 image as sealwatch's OrderedDict of submodels."""
    if x.ndim != 2:
        raise ValueError("SRM needs a single-channel image")
    qs = SRM_QS if qs is None else qs
    X = x.astype(np.int32)
    result = OrderedDict()
    for (name, residuals, submodels, scale), q_list in zip(_FAMILIES, qs):
        res = residuals(X)
        for q in q_list:
            result = _post_process(submodels(_quantise(res, q * scale)), name, q, result)
    return result


def features(x: np.ndarray, q1: bool = False) -> np.ndarray:
    """SRM (34,671-D) or SRMQ1 (12,753-D) as one float32 vector, submodels sorted by name.

    Not in the dict's order: sealwatch merges some submodels while iterating over a set of
    names, so that order changes with Python's hash seed, from one process to the next.
    """
    sub = extract(x, SRMQ1_QS if q1 else SRM_QS)
    return np.concatenate([np.ravel(sub[k]) for k in sorted(sub)]).astype(np.float32)
