"""SRM / SRMQ1 rich-model features, bit-identical to sealwatch's and much faster.

sealwatch computes each 4-D co-occurrence with 625 nested boolean masks in Python.
Here the same counts come from one np.bincount over a combined index; the residuals,
quantisation and symmetrisation are sealwatch's own functions, called unchanged.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from sealwatch.srm import cooccurrence as sw_cooc
from sealwatch.srm import symm

SRM_QS = [[1, 2], [1, 1.5, 2], [1, 1.5, 2], [1, 1.5, 2], [1, 1.5, 2]]
SRMQ1_QS = [[1]] * 5
_FAMILIES = (("f1", sw_cooc.all1st, 1), ("f2", sw_cooc.all2nd, 2), ("f3", sw_cooc.all3rd, 3),
             ("f3x3", sw_cooc.all3x3, 4), ("f5x5", sw_cooc.all5x5, 12))


def _neighbours(D, kind):
    if kind == "hor":
        return D[:, :-3], D[:, 1:-2], D[:, 2:-1], D[:, 3:]
    if kind == "ver":
        return D[:-3], D[1:-2], D[2:-1], D[3:]
    if kind == "diag":
        return D[:-3, :-3], D[1:-2, 1:-2], D[2:-1, 2:-1], D[3:, 3:]
    if kind == "mdiag":
        return D[3:, :-3], D[2:-1, 1:-2], D[1:-2, 2:-1], D[:-3, 3:]
    if kind == "square":
        return D[1:, :-1], D[1:, 1:], D[:-1, 1:], D[:-1, :-1]
    return None


def cooccurrence4(D: np.ndarray, type: str, T: int) -> np.ndarray:
    """Normalised 4-D co-occurrence of values in [-T, T]; same result as sealwatch's."""
    B = 2 * T + 1
    Di = (D + T).astype(np.int16 if B ** 4 < 2 ** 15 else np.int64)
    # residuals arrive rounded and clipped to [-T, T]; anything else goes the slow way
    parts = _neighbours(Di, type)
    if parts is None or Di.min() < 0 or Di.max() >= B or not np.array_equal(Di - T, D):
        return sw_cooc.cooccurrence4(D, type, T)
    L, C, E, R = parts
    idx = ((L * B + C) * B + E) * B + R  # < B**4, fits the index type
    counts = np.bincount(idx.ravel(), minlength=B ** 4).reshape(B, B, B, B)
    return counts / np.sum(counts)


def extract(x: np.ndarray, qs=None) -> "OrderedDict[str, np.ndarray]":
    """SRM features of a 2-D uint8 image as sealwatch's OrderedDict of submodels."""
    if x.ndim != 2:
        raise ValueError("SRM needs a single-channel image")
    qs = SRM_QS if qs is None else qs
    x = x.astype(int)
    result = OrderedDict()
    for (name, family, scale), q_list in zip(_FAMILIES, qs):
        for q in q_list:
            result = symm.post_process(family(x, q * scale, CoocN=cooccurrence4), name, q, result)
    return result


def features(x: np.ndarray, q1: bool = False) -> np.ndarray:
    """SRM (34,671-D) or SRMQ1 (12,753-D) as one float32 vector, submodels sorted by name.

    Not in the dict's order: sealwatch merges some submodels while iterating over a set of
    names, so that order changes with Python's hash seed, from one process to the next.
    """
    sub = extract(x, SRMQ1_QS if q1 else SRM_QS)
    return np.concatenate([np.ravel(sub[k]) for k in sorted(sub)]).astype(np.float32)
