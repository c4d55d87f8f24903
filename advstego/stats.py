"""How sure a detection error is: intervals that resample photos, paired differences, power.

Tiles of one photo are alike, so the unit of resampling is the photo: a bootstrap draws photos
with replacement and keeps all of a photo's tiles (and, paired, both arms' decisions on them)
together. `scipy.stats.bootstrap` does the drawing (percentile intervals: a paired difference
then has the p-value its interval implies). With several warden seeds the figure is their
mean; each resample also draws seeds with replacement (a two-level bootstrap), so the interval
holds both the photos' and the training's noise. docs/methods.md states the method.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

LEVEL = 0.95
RESAMPLES = 10_000
POWER = 0.80
NAMES = ("P_FA", "P_MD", "PE", "PE_min")


@dataclass
class Arm:
    """One warden's (or several seeds' wardens') calls on one test set.

    labels: 0 cover / 1 stego per image; photos: each image's photo (any hashable);
    decisions: 0/1 per image, shape (n,) or (seeds, n); scores: higher means stego, the
    same shape, or None (no PE_min)."""
    labels: np.ndarray
    photos: np.ndarray
    decisions: np.ndarray
    scores: np.ndarray | None = None
    _ids: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        self.labels = np.asarray(self.labels).astype(int).ravel()
        self.decisions = np.atleast_2d(np.asarray(self.decisions).astype(int))
        n = self.labels.size
        if self.scores is not None:
            self.scores = np.atleast_2d(np.asarray(self.scores, dtype=np.float64))
        names, self._ids = np.unique(np.asarray(self.photos, dtype=str), return_inverse=True)
        self.photos = names
        if n == 0 or self.decisions.shape[1] != n or self._ids.size != n or (
                self.scores is not None and self.scores.shape != self.decisions.shape):
            raise ValueError("labels, photos, decisions and scores must describe the same images")
        if not ((self.labels == 0).any() and (self.labels == 1).any()):
            raise ValueError("need both covers and stegos")

    @property
    def seeds(self) -> int:
        return self.decisions.shape[0]

    def same_images(self, other: "Arm") -> bool:
        return (self.labels.size == other.labels.size and np.array_equal(self.labels, other.labels)
                and np.array_equal(self.photos[self._ids], other.photos[other._ids]))

    def per_photo(self) -> dict:
        """Counts by photo: covers, stegos (P,), false alarms and misses (seeds, P)."""
        p, cov = len(self.photos), self.labels == 0

        def by_photo(x):
            return np.stack([np.bincount(self._ids, weights=r, minlength=p) for r in x])
        return {"covers": np.bincount(self._ids, weights=cov, minlength=p),
                "stegos": np.bincount(self._ids, weights=~cov, minlength=p),
                "fa": by_photo(cov & (self.decisions == 1)),
                "md": by_photo(~cov & (self.decisions == 0))}

    @property
    def names(self) -> tuple:
        return NAMES if self.scores is not None else NAMES[:3]

    def errors(self, weights: np.ndarray, k: int = 4) -> np.ndarray:
        """(k, seeds, B): the first k of self.names' errors under photo weights (B, P)."""
        c = self.per_photo()
        nc, ns = weights @ c["covers"], weights @ c["stegos"]  # (B,)
        nc, ns = np.where(nc > 0, nc, np.nan), np.where(ns > 0, ns, np.nan)  # none: no figure
        fa = (weights @ c["fa"].T).T / nc  # (seeds, B)
        md = (weights @ c["md"].T).T / ns
        out = [fa, md, (fa + md) / 2]
        if self.scores is not None and k > 3:
            out.append(self._pe_min(weights))
        return np.stack(out[:k])

    def _pe_min(self, weights: np.ndarray) -> np.ndarray:
        """min over thresholds of (P_FA + P_MD) / 2 under photo weights, per seed (seeds, B).

        Thresholds lie between distinct scores; one is skipped where the block after it holds
        only stegos or the block before only covers (a neighbour is never worse). Per photo,
        the covers and stegos above each threshold are counted once; each resample is then a
        matrix product (float32: the counts are whole and far below 2^24)."""
        p, out = len(self.photos), []
        onehot = np.eye(p, dtype=np.float32)[self._ids]  # (n, P)
        w = weights.astype(np.float32)
        for s in self.scores:
            order = np.argsort(-s, kind="stable")
            y, ss = self.labels[order], s[order]
            block = np.r_[0, np.cumsum(ss[1:] != ss[:-1])]
            nb = block[-1] + 1
            has_c = np.bincount(block, weights=y == 0, minlength=nb) > 0
            has_s = np.bincount(block, weights=y == 1, minlength=nb) > 0
            keep = np.r_[has_c, True] & np.r_[True, has_s]  # cut j: between blocks j-1, j
            at = np.r_[0, np.flatnonzero(np.diff(block)) + 1, len(y)][keep]  # images above
            up_c = np.vstack([np.zeros(p), np.cumsum(onehot[order] * (y == 0)[:, None], 0)])
            up_s = np.vstack([np.zeros(p), np.cumsum(onehot[order] * (y == 1)[:, None], 0)])
            with np.errstate(divide="ignore", invalid="ignore"):  # no cover or stego drawn
                fa = w @ up_c[at].T.astype(np.float32) / (w @ up_c[-1].astype(np.float32))[:, None]
                hit = w @ up_s[at].T.astype(np.float32) / (w @ up_s[-1].astype(np.float32))[:, None]
                out.append(((fa + 1 - hit) / 2).min(axis=1).astype(np.float64))
        return np.stack(out)


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Photo multiplicities (B, n) of resampled photo indices (B, n)."""
    idx = np.atleast_2d(idx).astype(np.int64)
    b = len(idx)
    return np.bincount((idx + n * np.arange(b)[:, None]).ravel(),
                       minlength=b * n).reshape(b, n).astype(np.float64)


def _distribution(arms: list[Arm], n_resamples: int, seed: int, k: int):
    """Point estimates (arms, k) and bootstrap draws (arms, k, B) of the seed-mean errors
    (the first k of NAMES).

    Photos are drawn by scipy.stats.bootstrap (the same draw for every arm: pairing); each
    resample also draws each arm's seeds with replacement (two-level bootstrap)."""
    p = len(arms[0].photos)
    for a in arms[1:]:
        if not a.same_images(arms[0]):
            raise ValueError("paired arms must judge the same images")
    rng = np.random.default_rng(seed)

    def statistic(idx, axis=-1):
        whole = np.ndim(idx) == 1  # the data itself: the point estimate, no seed drawn
        w = _counts(idx, p)
        out = []
        for a in arms:
            e = a.errors(w, k)  # (k, seeds, B)
            if not whole and a.seeds > 1:  # each resample's own draw of the seeds
                pick = rng.integers(0, a.seeds, size=(a.seeds, w.shape[0]))
                e = np.take_along_axis(e, pick[None], axis=1)
            out.append(e.mean(axis=1))
        out = np.stack(out).reshape(len(arms) * k, -1)
        return out[:, 0] if whole else out

    if p < 2:
        raise ValueError("an interval needs test images from at least two photos")
    point = statistic(np.arange(p)).reshape(len(arms), k)
    batch = max(1, min(n_resamples, 2_000_000 // max(1, arms[0].labels.size)))  # memory
    with warnings.catch_warnings():  # scipy's own interval of draws with no figure (nan):
        warnings.simplefilter("ignore", sps.DegenerateDataWarning)  # ours leaves them out
        res = sps.bootstrap((np.arange(p),), statistic, n_resamples=n_resamples,
                            vectorized=True, method="percentile", random_state=seed,
                            batch=batch)
    return point, res.bootstrap_distribution.reshape(len(arms), k, n_resamples)


def _percentile(draws: np.ndarray, level: float):
    """The interval's ends; a draw with no cover or no stego at all (possible where a photo
    holds only one kind, as in the cover-vs-cover control) is left out."""
    a = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        return np.nanquantile(draws, a, axis=-1), np.nanquantile(draws, 1 - a, axis=-1)


def interval(arm: Arm, level=LEVEL, n_resamples=RESAMPLES, seed=0) -> dict:
    """Each error with its interval: {name: (value, low, high)} and the n's."""
    names = arm.names
    point, draws = _distribution([arm], n_resamples, seed, len(names))
    lo, hi = _percentile(draws[0], level)
    out = {k: [float(point[0, i]), float(lo[i]), float(hi[i])] for i, k in enumerate(names)}
    out.update(n_photos=len(arm.photos), n_images=int(arm.labels.size), seeds=arm.seeds,
               level=level)
    return out


def min_detectable(se: float, alpha=1 - LEVEL, power=POWER) -> float:
    """The smallest true difference a two-sided test at alpha finds with this power, given
    the standard error of the difference (normal approximation)."""
    return float((sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)) * se)


def paired(a: Arm, b: Arm, name="PE", level=LEVEL, n_resamples=RESAMPLES, seed=0) -> dict:
    """b's error minus a's on the same images, both arms under each photo draw.

    Returns diff, low, high, p (two-sided, from the draws), resolved (the interval excludes
    0), se, min_detectable (at 80% power), and n_photos / n_images."""
    i = NAMES.index(name)
    point, draws = _distribution([a, b], n_resamples, seed, i + 1)
    d = draws[1, i] - draws[0, i]
    d = d[np.isfinite(d)]
    lo, hi = _percentile(d, level)
    p = min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0)))
    se = float(np.std(d, ddof=1))
    return {"diff": float(point[1, i] - point[0, i]), "low": float(lo), "high": float(hi),
            "p": float(p), "resolved": bool(lo > 0 or hi < 0), "se": se,
            "min_detectable": min_detectable(se), "n_photos": len(a.photos),
            "n_images": int(a.labels.size), "level": level}


def pooled(*arms: Arm) -> Arm:
    """One arm of several that judge the same images the same way (P0 and C0: the same
    hider, another key): their seeds side by side, so its figure is their mean and a
    resample draws from all their seeds."""
    first = arms[0]
    for a in arms[1:]:
        if not a.same_images(first):
            raise ValueError("pooled arms must judge the same images")
    if len({a.scores is None for a in arms}) > 1:
        raise ValueError("pool arms that all have scores, or none")
    scores = None if first.scores is None else np.vstack([a.scores for a in arms])
    return Arm(first.labels, first.photos[first._ids], np.vstack([a.decisions for a in arms]),
               scores)


def holm(p) -> np.ndarray:
    """Holm's step-down adjustment of m p-values (family-wise error): the i-th smallest is
    multiplied by m − i + 1, each kept at least its predecessor's and at most 1."""
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    m = p.size
    steps = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = steps
    return out


def against(baseline: Arm, arms: dict, name="PE", level=LEVEL, n_resamples=RESAMPLES,
            seed=0) -> dict:
    """Each arm paired with the baseline on the same images (`paired`: arm minus baseline),
    with p_holm, Holm's adjusted p over these comparisons, beside the raw p."""
    out = {k: paired(baseline, a, name, level, n_resamples, seed) for k, a in arms.items()}
    for k, ph in zip(out, holm([r["p"] for r in out.values()])):
        out[k]["p_holm"] = float(ph)
        out[k]["resolved_holm"] = bool(ph < 1 - level)
    return out


def unpaired(a: Arm, b: Arm, name="PE", level=LEVEL, n_resamples=RESAMPLES, seed=0) -> dict:
    """As `paired`, but each arm resampled on its own (for arms on different images)."""
    i = NAMES.index(name)
    pa, da = _distribution([a], n_resamples, seed, i + 1)
    pb, db = _distribution([b], n_resamples, seed + 1, i + 1)
    d = db[0, i] - da[0, i]
    d = d[np.isfinite(d)]
    lo, hi = _percentile(d, level)
    se = float(np.std(d, ddof=1))
    return {"diff": float(pb[0, i] - pa[0, i]), "low": float(lo), "high": float(hi),
            "resolved": bool(lo > 0 or hi < 0), "se": se, "min_detectable": min_detectable(se)}


def fmt(v: list, digits=3) -> str:
    """'0.214 [0.180, 0.250]' of (value, low, high)."""
    x, lo, hi = v
    return f"{x:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
