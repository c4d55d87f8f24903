"""Table 1 on held-out pairs: fidelity measured on stegos saved as 8-bit PNG files.

Also, for a network hider, the same on its float stegos (the cost of rounding), and the
grid-peak ratio of the residual stego - cover: its mean power at the 2x2-grid frequencies
(pi, pi), (pi, 0), (0, pi) over the median power around them. A hider writing each 2x2
block from one vector leaves peaks there (v1: thousands); white noise gives about 1.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import numpy as np

from ..data.corpus import Corpus
from ..errors import InputError
from ..files import write_text_atomic
from ..images import mode_of, read_image, write_image
from ..metrics import mse, percentile, psnr, psnr_from_mse, ssim, unit
from ..progress import progress
from .base import Hider

METRICS = ("cover_mse", "secret_mse", "stego_ssim", "secret_ssim")


def pair_metrics(cover, secret, stego, revealed) -> dict:
    """One pair's fidelity: MSE on [0, 1], PSNR (dB), SSIM, stego vs cover and secret."""
    return {"cover_mse": mse(cover, stego), "secret_mse": mse(secret, revealed),
            "stego_psnr": psnr(cover, stego), "secret_psnr": psnr(secret, revealed),
            "stego_ssim": ssim(cover, stego), "secret_ssim": ssim(secret, revealed)}


def summarize(rows: list[dict]) -> dict:
    """Table 1 of per-pair rows. stego_psnr / secret_psnr are the PSNR of the mean MSE (finite
    even when one pair is identical); *_psnr_median and *_psnr_p10 are over the pairs."""
    out = {"pairs": len(rows)}
    for k in METRICS:
        out[k] = float(np.mean([r[k] for r in rows]))
    for k in ("stego", "secret"):
        out[f"{k}_psnr"] = psnr_from_mse(out[f"{'cover' if k == 'stego' else k}_mse"])
        vals = np.array([r[f"{k}_psnr"] for r in rows], dtype=np.float64)
        out[f"{k}_psnr_median"] = float(np.median(vals))
        out[f"{k}_psnr_p10"] = percentile(vals, 10)
    return out


class ResidualSpectrum:
    """Mean power spectrum of residuals stego - cover (channels averaged), one image size."""

    def __init__(self):
        self.total, self.n = None, 0

    def add(self, cover, stego):
        r = unit(stego) - unit(cover)
        r = r[..., None] if r.ndim == 2 else r
        p = (np.abs(np.fft.fft2(r, axes=(0, 1))) ** 2).mean(-1)
        if self.total is not None and p.shape != self.total.shape:
            return  # one size per spectrum: other sizes are left out
        self.total = p if self.total is None else self.total + p
        self.n += 1

    def grid_peak_ratio(self, half: int = 4) -> float:
        """Mean over (pi, pi), (pi, 0), (0, pi) of power / median power of the
        (2 half + 1)^2 window around it (the peak itself left out)."""
        if not self.n:
            return float("nan")
        power = self.total / self.n
        h, w = power.shape
        k = 2 * half + 1
        ratios = []
        for fy, fx in ((h // 2, w // 2), (h // 2, 0), (0, w // 2)):
            win = np.roll(power, (half - fy, half - fx), (0, 1))[:k, :k].ravel()
            around = np.delete(win, half * k + half)
            ratios.append(power[fy, fx] / max(float(np.median(around)), 1e-30))
        return float(np.mean(ratios))


def fidelity(hider: Hider, covers, secrets, stegos) -> dict:
    """Table 1 row of saved stegos: the receiver reveals what the file holds (compared with
    the secret it should get: a smaller one for a SmallSecret hider)."""
    view = hider.secret_view
    return summarize([pair_metrics(c, view(s), st, hider.reveal(st))
                      for c, s, st in zip(covers, secrets, stegos)])


def evaluate(hider: Hider, data, split: str = "test", limit: int = 0, out=None) -> dict:
    """Hide every pair of a split, save the stego as PNG, read it back, reveal, measure.

    With out, the stegos, revealed secrets, per-pair CSV and summary JSON are kept there.
    """
    data = Path(data)
    pairs = Corpus(data).pairs(split)
    if limit:
        pairs = pairs[:limit]
    if not pairs:
        raise InputError(f"{data}: no {split} pairs to evaluate")
    work = Path(out) if out else Path(tempfile.mkdtemp(prefix="advstego-eval-"))
    (work / "stegos").mkdir(parents=True, exist_ok=True)
    (work / "revealed").mkdir(exist_ok=True)
    rows, spectrum = [], ResidualSpectrum()
    floats = hider.has_float_path  # a network: also measure its float stegos
    for cover_f, secret_f in progress(pairs, desc="evaluate", unit="pair"):
        cover = read_image(data / cover_f, mode_of(hider.cover_channels), convert=True)
        secret = read_image(data / secret_f, mode_of(hider.secret_channels), convert=True)
        name = Path(cover_f).stem + ".png"
        stego_path = write_image(work / "stegos" / name, hider.hide(cover, secret))
        stego = read_image(stego_path, mode_of(hider.cover_channels))  # what the receiver gets
        revealed = hider.reveal(stego)
        write_image(work / "revealed" / name, revealed)
        spectrum.add(cover, stego)
        row = {"cover": cover_f, "secret": secret_f, **pair_metrics(cover, secret, stego, revealed)}
        if floats:
            st = hider.hide_float(cover, secret)
            fm = pair_metrics(cover, secret, st[0], hider.reveal_float(st)[0])
            row.update({f"{k}_float": v for k, v in fm.items()})
        rows.append(row)
    summary = {"hider": hider.describe(), "data": str(data), "split": split,
               "measured_on": "stegos saved as 8-bit PNG and read back", **summarize(rows),
               "grid_peak_ratio": spectrum.grid_peak_ratio()}
    if floats:
        f = summarize([{k[:-6]: v for k, v in r.items() if k.endswith("_float")} for r in rows])
        summary.update({f"{k}_float": v for k, v in f.items() if k != "pairs"})
    if out:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        write_text_atomic(work / "pairs.csv", buf.getvalue())
        write_text_atomic(work / "summary.json", json.dumps(summary, indent=1))
    else:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return summary


def table1_text(summaries) -> str:
    """Table 1 rows of evaluate() summaries, as aligned text."""
    lines = [f"{'method':16s} {'pairs':>5s} {'cover MSE':>10s} {'secret MSE':>10s} "
             f"{'stego PSNR':>10s} {'secret PSNR':>11s} {'stego SSIM':>10s} {'secret SSIM':>11s} "
             f"{'p10 secret':>10s} {'grid peak':>9s}"]
    for s in summaries:
        lines.append(f"{s['hider']['name']:16s} {s['pairs']:5d} {s['cover_mse']:10.2e} "
                     f"{s['secret_mse']:10.2e} {s['stego_psnr']:10.2f} "
                     f"{s['secret_psnr']:11.2f} {s['stego_ssim']:10.4f} "
                     f"{s['secret_ssim']:11.4f} {s['secret_psnr_p10']:10.2f} "
                     f"{s.get('grid_peak_ratio', float('nan')):9.1f}")
        if "stego_psnr_float" in s:
            lines.append(f"{'  float stegos':16s} {'':5s} {s['cover_mse_float']:10.2e} "
                         f"{s['secret_mse_float']:10.2e} {s['stego_psnr_float']:10.2f} "
                         f"{s['secret_psnr_float']:11.2f} {s['stego_ssim_float']:10.4f} "
                         f"{s['secret_ssim_float']:11.4f} {s['secret_psnr_p10_float']:10.2f}")
    return "\n".join(lines)
