"""Fidelity (MSE, PSNR, SSIM) and detection error (P_FA, P_MD, PE, w/Vn).

Images are uint8 arrays (what a stego file holds) or floats in [0, 1].
"""

from __future__ import annotations

import numpy as np


def unit(x) -> np.ndarray:
    """uint8 -> float64 on [0, 1]; floats as they are."""
    x = np.asarray(x)
    return x.astype(np.float64) / 255.0 if x.dtype == np.uint8 else x.astype(np.float64)


def mse(a, b) -> float:
    """Mean squared error on the [0, 1] scale, as the paper reports it."""
    a, b = unit(a), unit(b)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch {a.shape} vs {b.shape}")
    return float(np.mean((a - b) ** 2))


def mse255(a, b) -> float:
    """Mean squared error on the 0..255 scale."""
    return mse(a, b) * 255.0 ** 2


def psnr(a, b) -> float:
    """PSNR in dB with peak 1 on [0, 1] (= peak 255 on uint8); inf for identical images."""
    from skimage.metrics import peak_signal_noise_ratio  # the deep extra's

    a, b = unit(a), unit(b)
    if np.array_equal(a, b):
        return float("inf")
    return float(peak_signal_noise_ratio(a, b, data_range=1.0))


def psnr_from_mse(m: float) -> float:
    """PSNR in dB of an MSE on [0, 1] (e.g. a mean over images); inf when it is 0."""
    return float("inf") if m <= 0 else float(10 * np.log10(1 / m))


def percentile(values, q: float) -> float:
    """np.percentile's linear interpolation, exact where the neighbours are equal or the
    rank is whole: PSNRs of exact pairs are inf, and inf - inf would be nan."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    pos = (len(v) - 1) * q / 100
    lo, hi = int(np.floor(pos)), int(np.ceil(pos))
    if v[lo] == v[hi] or lo == hi:
        return float(v[lo])
    return float(v[lo] + (v[hi] - v[lo]) * (pos - lo))


def ssim(a, b) -> float:
    """Structural similarity (scikit-image, Gaussian-free 7x7 window), gray or RGB."""
    from skimage.metrics import structural_similarity  # the deep extra's

    a, b = unit(a), unit(b)
    kw = {"channel_axis": -1} if a.ndim == 3 else {}
    return float(structural_similarity(a, b, data_range=1.0, **kw))


def detection_errors(labels, predicted) -> dict:
    """Errors of hard decisions; label 1 = stego, 0 = cover.

    P_FA: covers called stego; P_MD: stegos called cover (missed detection);
    PE = (P_FA + P_MD) / 2; w_vn: misclassified / all validation samples (the paper's w/Vn).
    """
    y = np.asarray(labels).astype(int).ravel()
    p = np.asarray(predicted).astype(int).ravel()
    if y.shape != p.shape or y.size == 0:
        raise ValueError("labels and predictions must be non-empty and of one length")
    covers, stegos = y == 0, y == 1
    p_fa = float(np.mean(p[covers] == 1)) if covers.any() else float("nan")
    p_md = float(np.mean(p[stegos] == 0)) if stegos.any() else float("nan")
    return {"P_FA": p_fa, "P_MD": p_md, "PE": (p_fa + p_md) / 2,
            "w_vn": float(np.mean(p != y)), "n": int(y.size)}


def pe_min(labels, scores) -> float:
    """min over thresholds of (P_FA + P_MD) / 2 for scores where higher means stego."""
    y = np.asarray(labels).astype(int).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    n0, n1 = int((y == 0).sum()), int((y == 1).sum())
    if n0 == 0 or n1 == 0:
        raise ValueError("need both covers and stegos")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    # threshold just below each distinct score: everything above is called stego
    fa = np.concatenate([[0], np.cumsum(y == 0)]) / n0
    md = 1 - np.concatenate([[0], np.cumsum(y == 1)]) / n1
    cut = np.concatenate([[True], s[1:] != s[:-1], [True]])  # only between distinct scores
    return float(np.min(((fa + md) / 2)[cut]))
