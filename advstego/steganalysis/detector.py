"""Build, load and test detectors of any registered kind; read cover/stego pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import weights
from ..errors import InputError
from ..metrics import detection_errors, pe_min
from .base import KIND, Detector
from .registry import DETECTORS

__all__ = ["Detector", "DETECTORS", "build_detector", "load_detector", "evaluate_detector",
           "detection_summary", "fit_and_measure", "measure", "seed_mean", "calls", "arm",
           "control_halves", "load_pairs", "same_image"]


def build_detector(name: str, **settings) -> Detector:
    """A fresh detector; settings it does not take (epochs for SRM+FLD...) are left out."""
    return DETECTORS.create(name, **settings)


def load_detector(path) -> Detector:
    tensors, meta = weights.load(path, KIND)
    name = meta.get("detector")
    try:
        cls, _ = DETECTORS.get(str(name))
    except InputError:
        raise InputError(f"{path}: unknown detector type {name!r}") from None
    config = meta.get("config")
    if not isinstance(config, dict):
        raise InputError(f"{path}: detector file without its config")
    try:
        return cls.from_state(tensors, config, path)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise InputError(f"{path}: detector file does not fit a {name} "
                         f"({str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__})"
                         ) from None


def evaluate_detector(det: Detector, covers, stegos) -> dict:
    """P_FA, P_MD, PE, w/Vn of hard decisions, PE minimised over thresholds, and scores."""
    if len(covers) == 0 or len(stegos) == 0:
        raise InputError("need covers and stegos to test a detector")
    images = list(covers) + list(stegos)
    labels = np.r_[np.zeros(len(covers), int), np.ones(len(stegos), int)]
    p = det.prob_stego(images)
    decided = det.predict(images)
    out = detection_errors(labels, decided)
    out["PE_min"] = pe_min(labels, p)
    out["scores"] = p
    out["labels"] = labels
    out["decisions"] = decided
    return out


def detection_summary(det: Detector, covers, stegos) -> dict:
    """evaluate_detector's errors without the per-image arrays (for results files)."""
    return measure(det, covers, stegos)


def fit_and_measure(det: Detector, train, test, val=None, run=None, quiet=True,
                    photos=None) -> dict:
    """The one way a warden is judged: fit on (covers, stegos) of the training photos
    (selected on the validation photos' pairs, where the detector selects), then `measure`
    on the test photos' (covers, stegos), with the epoch it chose."""
    det.fit(*train, run=run, quiet=quiet, val=val if val and len(val[0]) else None)
    out = measure(det, *test, photos=photos)
    if det.selected:
        out["selected"] = det.selected
    return out


def measure(det: Detector, covers, stegos, photos=None) -> dict:
    """detection_summary of a trained warden; with photos (the photo of each image: covers,
    then stegos) also its calls, for paired comparisons, and 95% intervals that resample
    photos ("interval")."""
    e = evaluate_detector(det, covers, stegos)
    out = {k: v for k, v in e.items() if k not in ("scores", "labels", "decisions")}
    if photos is not None:
        from .. import stats  # scipy.stats: only where intervals are asked for
        out["calls"] = calls(e, photos)
        if len(set(photos)) > 1:  # an interval resamples photos: one photo has none
            out["interval"] = stats.interval(arm(out["calls"]))
    return out


def seed_mean(runs: list[dict]) -> dict:
    """One warden row's figures from its seeds' `measure`s: one seed's as they are; several:
    the mean of each error, each seed's PE, all their calls and the interval that holds
    their spread (where the runs have intervals)."""
    if len(runs) == 1:
        return runs[0]
    from .. import stats

    out = {k: float(np.mean([r[k] for r in runs])) for k in ("P_FA", "P_MD", "PE", "PE_min",
                                                             "w_vn") if k in runs[0]}
    out.update(n=runs[0]["n"], seeds=[r["PE"] for r in runs], calls=[r["calls"] for r in runs])
    if "interval" in runs[0]:
        out["interval"] = stats.interval(arm(out["calls"]))
    return out


def calls(e: dict, photos) -> dict:
    """A warden's per-image calls in a results file: labels and decisions as 0/1 strings,
    scores rounded, each image's photo (as an index into the photo names)."""
    names, idx = np.unique(np.asarray(photos, dtype=str), return_inverse=True)
    if idx.size != len(e["labels"]):
        raise ValueError("one photo per test image")
    return {"labels": "".join(map(str, np.asarray(e["labels"], int))),
            "decisions": "".join(map(str, np.asarray(e["decisions"], int))),
            "scores": [round(float(x), 6) for x in np.asarray(e["scores"]).ravel()],
            "photo_names": names.tolist(), "photos": idx.tolist()}


def arm(c: dict | list):
    """The stats.Arm of one warden's calls, or of several seeds' on the same images."""
    from .. import stats
    cs = c if isinstance(c, list) else [c]
    names = np.asarray(cs[0]["photo_names"])
    return stats.Arm(np.array(list(cs[0]["labels"]), int), names[cs[0]["photos"]],
                     np.array([list(x["decisions"]) for x in cs], int),
                     np.array([x["scores"] for x in cs], float))


def control_halves(covers, seed: int = 0) -> tuple[list, list]:
    """Two random disjoint halves of covers: the cover-vs-cover control's 'covers' and
    'stegos'. Nothing is hidden, so a warden's PE well below 0.5 there is its bias."""
    order = np.random.default_rng(seed).permutation(len(covers))
    h = len(covers) // 2
    return [covers[i] for i in order[:h]], [covers[i] for i in order[h:2 * h]]


def same_image(a, b) -> bool:
    """Two images (arrays of one shape, or JpegImages) are the same: nothing hidden."""
    from ..data.jpeg import JpegImage

    if isinstance(a, JpegImage) or isinstance(b, JpegImage):
        return isinstance(a, JpegImage) and isinstance(b, JpegImage) and a.same_as(b)
    return bool((np.asarray(a) == np.asarray(b)).all())


def load_pairs(covers_dir, stegos_dir, split: str = "all", jpeg: bool = False):
    """Covers and their stegos, matched by relative file name (a pair never splits); a
    cover's stego has its name, else its name as a PNG.

    With a prepared corpus, split (train / val / test) follows its manifest, by photo.
    Returns (names, covers, stegos) as lists of uint8 gray images; with jpeg (a detector
    that reads_jpeg), JPEG covers and their JPEG stegos as JpegImages.
    """
    from ..data.jpeg import JpegImage
    from ..data.prepare import list_images
    from ..data.traces import is_jpeg
    from ..images import read_image

    covers_dir, stegos_dir = Path(covers_dir), Path(stegos_dir)
    files = list_images(covers_dir)
    if split != "all":
        from ..data.corpus import Corpus
        if not (covers_dir / "manifest.json").is_file():
            raise InputError(f"{covers_dir}: --split {split} needs a prepared corpus "
                             "(use --split all for a plain folder)")
        keep = set(Corpus(covers_dir).files(split))
        files = [f for f in files if str(f.relative_to(covers_dir)) in keep]
    if not stegos_dir.is_dir():
        raise InputError(f"{stegos_dir}: no such folder")
    names, covers, stegos = [], [], []
    for f in files:
        rel = f.relative_to(covers_dir)
        sf = stegos_dir / rel
        if not sf.exists():
            sf = sf.with_suffix(".png")
            if not sf.exists():
                continue
        if jpeg and is_jpeg(f):
            if not is_jpeg(sf):
                raise InputError(f"{sf}: not a JPEG, but its cover {f} is; a JPEG warden "
                                 "reads JPEG stegos (embed --method juniward, uerd or nsf5)")
            c, s = JpegImage.read(f), JpegImage.read(sf)
        else:
            c, s = read_image(f, "gray"), read_image(sf, "gray")
        if c.shape != s.shape:
            raise InputError(f"{sf}: stego is {s.shape[1]}x{s.shape[0]}, its cover "
                             f"{c.shape[1]}x{c.shape[0]}")
        names.append(str(rel))
        covers.append(c)
        stegos.append(s)
    if not names:
        raise InputError(f"no cover in {covers_dir} has a stego of the same name in {stegos_dir}"
                         + (f" (split {split})" if split != "all" else ""))
    return names, covers, stegos
