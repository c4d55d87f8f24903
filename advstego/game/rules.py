"""The rules of the game: the PE of a round's fresh wardens, the choice of the final round
(on the validation photos), and the min-max choice of each image's stego (Bernard, Bas,
Klein, Pevný, "Explicit optimization of min max steganographic game", IEEE TIFS 2021).

Min-max: round k adds one candidate stego per image (made against the latest warden); each
image keeps the candidate of rounds 0 .. k whose highest score among the earlier wardens
f_0 .. f_k-1 is lowest. The wardens' scores are put on one scale by the covers: a score
becomes the share of the wardens' own covers (Alice's photos) scoring below it, so a CNN's
logit margin and the FLD ensemble's projection are compared as the false-alarm rate they
imply. That share stops at 1 beyond the last cover (a stego every warden sees clearly), so
candidates tied there are told apart by how far beyond: the score's distance from the
covers' median in units of their spread (robust z), the highest over the wardens.
"""

from __future__ import annotations

import numpy as np

from .rows import RoundRow, Validation


def pe_fresh(row: RoundRow | Validation, wardens) -> float:
    """The one definition of a hardening round's "PE of a fresh warden": the lowest PE among
    the wardens trained from scratch on that round's stegos (the one that sees them best)."""
    return min(row.pe_fresh[a] for a in wardens)


def pe_worst_fresh(row: RoundRow, wardens, split: str = "test") -> float:
    """The lowest PE among all wardens trained from scratch on a round's stegos: the CNNs of
    pe_fresh and the SRM+FLD (the final strategy of a game maximises it); split "val": the
    same wardens on the validation photos' stegos."""
    if split == "val":
        return min(pe_fresh(row.validation, wardens), row.validation.pe_srm)
    return min(pe_fresh(row, wardens), row.pe_srm)


def chosen_on(rows: list[RoundRow]) -> str:
    """Where a game's final strategy is chosen: "val" (the validation photos), or "test" for
    rounds measured before validation figures were kept (biased upward: reported so)."""
    return "val" if rows and all(r.validation is not None for r in rows) else "test"


def best_round(rows: list[RoundRow], wardens) -> int | None:
    """A game's final strategy: the round whose worst fresh warden has the highest PE on the
    validation photos (the test photos are touched once, for the reported figure)."""
    split = chosen_on(rows)
    return max(range(len(rows)), key=lambda k: pe_worst_fresh(rows[k], wardens, split),
               default=None)


# ---- min-max: each image's candidate -------------------------------------------------------

def cover_quantile(cover_scores, s) -> np.ndarray:
    """The share of the covers' scores below each score (ties count half): 0.5 is a typical
    cover, 1 beyond every cover."""
    c = np.sort(np.asarray(cover_scores, np.float64))
    s = np.asarray(s, np.float64)
    return (np.searchsorted(c, s, "left") + np.searchsorted(c, s, "right")) / (2 * len(c))


def cover_z(cover_scores, s) -> np.ndarray:
    """How far each score lies from the covers' median, in units of their spread (1.4826
    median absolute deviations; the standard deviation where that is 0)."""
    c = np.asarray(cover_scores, np.float64)
    med = np.median(c)
    spread = 1.4826 * np.median(np.abs(c - med)) or float(np.std(c)) or 1.0
    return (np.asarray(s, np.float64) - med) / spread


def choose_per_image(q: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
    """q[j, w, i]: warden w's cover quantile of image i's candidate from round j (z: its
    cover_z). Returns, per image, the round whose highest quantile over the wardens is
    lowest; among those tied, the one whose highest z is lowest; then the earliest (the
    plain stego before an adversarial one)."""
    q = np.asarray(q, np.float64)
    if q.ndim != 3 or 0 in q.shape:
        raise ValueError(f"choose_per_image takes rounds x wardens x images, not {q.shape}")
    worst = q.max(1)
    tie = np.zeros_like(worst) if z is None else np.asarray(z, np.float64).max(1)
    return np.array([np.lexsort((tie[:, i], worst[:, i]))[0] for i in range(q.shape[2])],
                    dtype=np.int64)
