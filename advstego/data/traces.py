"""JPEG compression traces: does an image's 8x8 block DCT sit on a quantization lattice?

A decompressed JPEG keeps its coefficients on the lattice of its quantization table, up to
the rounding of its pixels; any ±1 change moves them off it, which shows without any model
of the content (the JPEG-compatibility attack, Fridrich, Goljan and Du 2001). The statistic:
the mean distance |c/Q − round(c/Q)| of the blocks' DCT coefficients (orthonormal DCT-II of
pixels − 128, as JPEG) from a table's lattice, at the best of the 64 grid alignments and
(table unknown) the best IJG table of qualities 50..99. About 0.25 with no lattice; a few
hundredths on a decompressed JPEG.

Counted: the coefficients whose Q is at least 2 (with Q = 1 the pixels' rounding, ±0.29 per
coefficient, hides the lattice; a quality-100 JPEG is invisible here) and whose |c| is at
least Q/2 (the table's zeros are left out: a flat or smooth block has its high frequencies
near 0 with or without a lattice), in the modes whose values spread over the blocks by at
least Q/2 (a smooth ramp's modes stay at one point of any lattice). Blocks holding a 0 or
255 pixel are left out (clipping moves a decompressed block off its lattice), and a block
whose AC pattern repeats an earlier one's counts once (stripes, checkerboards, ramps).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# the IJG (libjpeg) luminance table, natural order: quality q scales it (jpeg_quality_scaling)
IJG_LUMINANCE = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], float)
QUALITIES = tuple(range(50, 100))  # tried where the table is not known (100: every Q is 1)
MIN_Q = 2
NO_LATTICE = 0.25
FLAGGED = 0.15     # an image below this carries a lattice (clean: 0.21-0.27 measured)
SPREAD = 0.5       # a mode counts where its spread (std) over the blocks is at least SPREAD * Q
MIN_COUNT = 64     # fewer coefficients counted: no evidence either way (nan)
SCREEN = 16        # blocks per alignment in the first, coarse search
KEEP = 4           # alignments searched further
SEARCH = 128       # blocks of the search over every table
MAX_BLOCKS = 1024  # blocks measured at most (evenly spread)


def ijg_table(quality: int) -> np.ndarray:
    """The 64 entries (natural order) libjpeg writes at this quality (baseline: ≤ 255)."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((IJG_LUMINANCE * scale + 50) / 100), 1, 255)


IJG_TABLES = np.stack([ijg_table(q) for q in QUALITIES])


def jpeg_table(path) -> np.ndarray | None:
    """The luminance quantization table (64, natural order) of a JPEG file, else None."""
    from PIL import Image

    try:
        with open(path, "rb") as fh:
            if fh.read(3) != b"\xff\xd8\xff":
                return None
        with Image.open(path) as im:
            q = getattr(im, "quantization", None)
            return np.array(q[0], float) if q and 0 in q else None
    except (OSError, SyntaxError, ValueError):
        return None


def is_jpeg(path) -> bool:
    """A JPEG file, by its first bytes (whatever its name says)."""
    try:
        with open(Path(path), "rb") as fh:
            return fh.read(3) == b"\xff\xd8\xff"
    except OSError:
        return False


def luma(img: np.ndarray) -> np.ndarray:
    """Gray as it is; RGB as JPEG's Y (ITU-R BT.601), unrounded."""
    img = np.asarray(img, np.float64)
    return img if img.ndim == 2 else img[..., :3] @ np.array([0.299, 0.587, 0.114])


@dataclass
class Trace:
    distance: float      # mean lattice distance (nan: too few coefficients to tell)
    scale: float         # the table's mean Q
    quality: int | None  # the IJG quality of the table (None: the source's own table)
    alignment: tuple     # (dy, dx) of the best grid
    count: int           # coefficients counted

    @property
    def flagged(self) -> bool:
        return bool(self.distance < FLAGGED)


def _origins(y: np.ndarray, n: int) -> tuple:
    """Block origins (ys, xs) on the 8-grid that stay inside y at every shift 0..7; those
    with a clipped (0 or 255) pixel in any shift's block left out; at most n, evenly."""
    h, w = y.shape
    ys, xs = np.meshgrid(np.arange(0, h - 15, 8), np.arange(0, w - 15, 8), indexing="ij")
    ys, xs = _spread(ys.ravel(), xs.ravel(), 4 * n)
    r = np.arange(16)
    win = y[ys[:, None, None] + r[None, :, None], xs[:, None, None] + r[None, None, :]]
    ok = ((win > 0.5) & (win < 254.5)).all(axis=(1, 2))
    return _spread(ys[ok], xs[ok], n)


def _coefficients(y: np.ndarray, ys, xs, shifts) -> tuple:
    """(shifts, blocks, 64) DCT coefficients of the blocks at origins + each shift;
    (shifts, blocks) True for each block whose AC coefficients no earlier block of its shift
    has (a repeated pattern, a ramp, stripes, a checkerboard, sits on some lattice without
    ever having been a JPEG, so it counts once); (shifts, 64) each mode's spread (std) over
    those blocks."""
    r = np.arange(8)
    dy, dx = shifts[:, 0], shifts[:, 1]
    rows = (ys[None, :] + dy[:, None])[..., None, None] + r[:, None]
    cols = (xs[None, :] + dx[:, None])[..., None, None] + r[None, :]
    blocks = y[rows, cols] - 128.0
    c = (DCT8 @ blocks @ DCT8.T).reshape(len(shifts), len(ys), 64)  # each block's 2-D DCT
    first = np.zeros(c.shape[:2], bool)
    spread = np.empty((len(c), 64))
    for s, ac in enumerate(np.round(c[..., 1:], 4)):
        keep = np.unique(ac, axis=0, return_index=True)[1]
        first[s, keep] = True
        spread[s] = c[s, keep].std(axis=0)
    return c, first, spread


def _distances(cf: tuple, tables: np.ndarray, zeros: bool = False):
    """Sum and count of the lattice distances: cf (_coefficients' three), tables (T, 64) ->
    (S, T) each. A mode counts where its spread over the blocks is at least SPREAD * Q (a
    mode that stays at one lattice point, as a smooth ramp's does, tells nothing); zeros: the
    coefficients below Q/2 counted too, and every mode (the issue's warden)."""
    c, first, spread = cf
    inv = np.where(tables >= MIN_Q, 1 / tables, 0).astype(np.float32)  # Q < 2: never counted
    x = np.abs(c.astype(np.float32)[:, None] * inv[None, :, None, :])  # (S, T, B, 64)
    if zeros:
        use = (inv[None, :, None, :] > 0) & first[:, None, :, None]
    else:
        varies = spread[:, None, :] * inv[None] >= SPREAD  # (S, T, 64)
        use = (x >= 0.5) & first[:, None, :, None] & varies[:, :, None, :]
    x -= np.rint(x)
    np.abs(x, out=x)
    x *= use
    return x.sum(axis=(2, 3), dtype=np.float64), use.sum(axis=(2, 3))


# the orthonormal 8-point DCT-II as a matrix (scipy.fft's dctn to rounding, without the
# 0.3 s of its import in every hide and capacity)
DCT8 = np.cos(np.pi * (2 * np.arange(8) + 1) * np.arange(8)[:, None] / 16) * np.sqrt(2 / 8)
DCT8[0] /= np.sqrt(2)
ALL_SHIFTS = np.stack(np.meshgrid(np.arange(8), np.arange(8), indexing="ij"), -1).reshape(-1, 2)


def _spread(ys, xs, n):
    """At most n of the origins, evenly spread."""
    if len(ys) <= n:
        return ys, xs
    pick = np.linspace(0, len(ys) - 1, n).round().astype(int)
    return ys[pick], xs[pick]


def _mean(s, n, least):
    return np.where(n >= least, s / np.maximum(n, 1), np.inf)


def lattice(img: np.ndarray, table: np.ndarray | None = None, zeros: bool = False) -> Trace:
    """The image's lattice statistic against table (64 entries), or the IJG tables of
    QUALITIES where table is None, at the best grid alignment.

    Searched in three steps, each on more blocks: every alignment against every fifth table
    (SCREEN blocks), the KEEP best alignments against every table (SEARCH blocks), then the
    best pair on up to MAX_BLOCKS blocks, which gives the statistic. zeros: the table's
    zeros counted too (the issue's warden; it also sees a tile's high-frequency energy)."""
    y = luma(img)
    tables = IJG_TABLES if table is None else np.asarray(table, float).reshape(1, 64)
    none = Trace(float("nan"), float(tables.mean()), None, (0, 0), 0)
    if min(y.shape) < 16:
        return none
    ys, xs = _origins(y, MAX_BLOCKS)
    if len(ys) == 0:
        return none
    s, n = _distances(_coefficients(y, *_spread(ys, xs, SCREEN), ALL_SHIFTS), tables, zeros)
    shifts = np.argsort(_mean(s, n, 16).min(axis=1), kind="stable")[:KEEP]
    s, n = _distances(_coefficients(y, *_spread(ys, xs, SEARCH), ALL_SHIFTS[shifts]), tables,
                      zeros)
    m = _mean(s, n, MIN_COUNT // 2)
    if not np.isfinite(m).any():
        return none
    a, t = np.unravel_index(np.argmin(m), m.shape)
    shift = ALL_SHIFTS[shifts[a]]
    s, n = _distances(_coefficients(y, ys, xs, shift[None]), tables[t][None], zeros)
    n = int(n[0, 0])
    return Trace(float(s[0, 0] / n) if n >= MIN_COUNT else float("nan"), float(tables[t].mean()),
                 None if table is not None else QUALITIES[t], (int(shift[0]), int(shift[1])), n)


# ---- a corpus's traces ----------------------------------------------------------------------

SHARE = 0.05  # a corpus keeps traces when more of its measured tiles than this are flagged


class Survey:
    """The lattice statistic of a corpus's measured tiles, and whether it keeps traces."""

    def __init__(self):
        self.distances: list[float] = []

    def add(self, img: np.ndarray, table: np.ndarray | None = None) -> Trace:
        t = lattice(img, table)
        self.distances.append(t.distance)
        return t

    def summary(self) -> dict:
        d = np.array(self.distances, float)
        seen = d[np.isfinite(d)]
        return {"measured": int(d.size), "no_evidence": int(d.size - seen.size),
                "flagged": int((seen < FLAGGED).sum()),
                "median": round(float(np.median(seen)), 4) if seen.size else None,
                "threshold": FLAGGED}

    def keeps_traces(self) -> bool:
        s = self.summary()
        return s["flagged"] > SHARE * max(1, s["measured"] - s["no_evidence"])


def describe(s: dict) -> str:
    """One line of a survey's summary."""
    if not s.get("measured"):
        return "JPEG lattice: not measured"
    med = "no tile with evidence" if s["median"] is None else f"median distance {s['median']:.3f}"
    return (f"JPEG lattice: {s['flagged']} of {s['measured']} measured tiles on a quantization "
            f"lattice (distance below {s['threshold']}; {med}, about {NO_LATTICE} without one)")


# ---- the content-blind lattice warden ------------------------------------------------------

def features(img: np.ndarray, table: np.ndarray | None = None,
             zeros: bool = False) -> tuple[float, float]:
    """The warden's two numbers: the lattice distance (NO_LATTICE where it cannot tell) and
    the log of the table's mean Q."""
    t = lattice(img, table, zeros)
    return (t.distance if t.distance == t.distance else NO_LATTICE), float(np.log(t.scale))


def _logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights of a logistic regression (a small L2 penalty) on rows x (with a 1 column)."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    def loss(w):
        z = x @ w
        p = expit(z)
        return (-(y * log_expit(z) + (1 - y) * log_expit(-z)).mean() + 1e-3 * w @ w,
                x.T @ (p - y) / len(y) + 2e-3 * w)
    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x


def warden_pe(covers: np.ndarray, stegos: np.ndarray, groups=None, folds: int = 2) -> dict:
    """PE of the content-blind lattice warden on pairs: covers and stegos are (n, 2) arrays
    of `features`, row i of each from the same image; groups (n,) keep an image's photo on
    one side. A logistic regression on (distance, log scale, their product) is fitted on the
    other folds and decides each fold's images (cross-fitted); pe_threshold is the best
    single threshold on the distance, fitted and judged on all images (optimistic)."""
    covers, stegos = np.asarray(covers, float), np.asarray(stegos, float)
    n = len(covers)
    groups = np.arange(n) if groups is None else np.asarray(groups)
    names, ids = np.unique(groups.astype(str), return_inverse=True)
    if len(names) < folds:
        raise ValueError(f"{folds} folds need at least {folds} photos, not {len(names)}")
    fold = np.random.default_rng(0).permutation(len(names))[ids] % folds
    xc, xs = [np.column_stack([f[:, 0], f[:, 1], f[:, 0] * f[:, 1]]) for f in (covers, stegos)]
    mu, sd = np.r_[xc, xs].mean(0), np.r_[xc, xs].std(0) + 1e-9
    xc, xs = [np.column_stack([np.ones(n), (x - mu) / sd]) for x in (xc, xs)]
    fa = md = 0
    for k in range(folds):
        tr, te = fold != k, fold == k
        if not tr.any() or not te.any():
            continue
        w = _logistic(np.r_[xc[tr], xs[tr]], np.r_[np.zeros(tr.sum()), np.ones(tr.sum())])
        fa += int((xc[te] @ w > 0).sum())
        md += int((xs[te] @ w <= 0).sum())
    cuts = np.r_[-np.inf, np.unique(np.r_[covers[:, 0], stegos[:, 0]])]  # stego: above a cut
    p_fa = 1 - np.searchsorted(np.sort(covers[:, 0]), cuts, "right") / n
    p_md = np.searchsorted(np.sort(stegos[:, 0]), cuts, "right") / n
    pe = (p_fa + p_md) / 2
    pe_thr = float(min(pe.min(), (1 - pe).min()))  # either side of the cut
    return {"pe": (fa + md) / (2 * n), "pe_threshold": pe_thr, "pairs": n,
            "median_cover": float(np.median(covers[:, 0])),
            "median_stego": float(np.median(stegos[:, 0]))}
