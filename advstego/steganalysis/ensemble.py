"""SRM (or SRMQ1) features + the FLD ensemble (Kodovsky, Fridrich, Holub 2012), trained by
fld.FastFldTrainer (sealwatch's search, a faster base learner); no torch needed."""

from __future__ import annotations

import numpy as np

from .. import weights
from ..errors import InputError
from ..options import Option, int_or_auto
from .base import Detector
from .features import srm_features
from .registry import DETECTORS


FEATURE_ORDER = "submodels-sorted"  # see srm.features


@DETECTORS.register("srm-fld", q1=False)
@DETECTORS.register("srmq1-fld", q1=True)
class SrmFld(Detector):
    extracts_features = True
    options = {"seed": Option(int, 0, -2 ** 63, "the ensemble's random subspaces",
                              maximum=2 ** 63),
               "workers": Option(int, 0, 0, "feature processes (0: one a core)"),
               "L": Option(int_or_auto, "automatic", 1, "base learners (automatic: "
                           "sealwatch's out-of-bag search)"),
               "d_sub": Option(int_or_auto, "automatic", 1, "features a base learner "
                               "(automatic: searched)", maximum=3 * 34671),
               "device": Option(str, "cpu", None, "ignored: features and FLD run on the CPU")}
    ignores = ("device",)

    def __init__(self, q1: bool = False, seed: int = 0, workers: int = 0,
                 L="automatic", d_sub="automatic", device="cpu"):
        self.q1, self.seed, self.workers = q1, seed, workers
        self.L, self.d_sub = L, d_sub  # "automatic": sealwatch's OOB-driven search
        self.name = "srmq1-fld" if q1 else "srm-fld"
        self.ensemble = None
        self.channels = 1  # RGB: the channels' SRM features side by side

    def features(self, images):
        return srm_features(images, self.q1, self.workers)

    def fit(self, covers, stegos, run=None, quiet=False, val=None):  # val: nothing to select
        from .fld import FastFldTrainer

        if len(covers) != len(stegos) or len(covers) < 2:
            raise InputError(f"FLD ensemble needs paired covers and stegos "
                             f"({len(covers)} covers, {len(stegos)} stegos)")
        self.channels = 3 if np.ndim(covers[0]) == 3 else 1
        Xc = np.ascontiguousarray(self.features(covers), dtype=np.float64)
        Xs = np.ascontiguousarray(self.features(stegos), dtype=np.float64)
        trainer = FastFldTrainer(Xc, Xs, seed=self.seed + 1, L=self.L,
                                     d_sub=min(self.d_sub, Xc.shape[1]) if isinstance(
                                         self.d_sub, int) else self.d_sub)
        self.ensemble, _ = trainer.train(quiet)
        return self

    def _check(self, images):
        if self.ensemble is None:
            raise InputError("the detector is not trained")
        if any(np.ndim(i) != (3 if self.channels == 3 else 2) for i in images):
            raise InputError(f"this detector was trained on {self.channels}-channel images")

    def prob_stego(self, images):
        self._check(images)
        X = self.features(images).astype(np.float64)
        return (self.ensemble.predict_confidence(X) + 1) / 2

    def scores(self, images):
        """The base learners' projections w·x − b, summed (the vote before its sign): a
        score that does not saturate as the vote does."""
        self._check(images)
        X = self.features(images).astype(np.float64)
        return sum(np.ravel(b.predict(X)) for b in self.ensemble.base_learners)

    def predict(self, images):
        self._check(images)
        X = self.features(images).astype(np.float64)
        return (self.ensemble.predict(X) > 0).astype(int)

    def state(self):
        bl = self.ensemble.base_learners
        tensors = {"subspace": np.stack([b.subspace for b in bl]).astype(np.int64),
                   "w": np.stack([np.ravel(b.w) for b in bl]).astype(np.float64),
                   "b": np.array([float(b.b) for b in bl])}
        return tensors, {"q1": self.q1, "seed": self.seed, "d_sub": int(self.ensemble.d_sub or 0),
                         "features": FEATURE_ORDER, "channels": self.channels}

    @classmethod
    def from_state(cls, tensors, config, where):
        from .fld import Ensemble, Learner

        config = weights.check_config(config, {  # its options' limits (d_sub 0: none saved)
            "q1": Option(bool, False), "seed": cls.options["seed"],
            "d_sub": cls.options["d_sub"]._replace(type=int, minimum=0),
            "channels": Option(int, None, None, "1 gray, 3 RGB", (1, 3))}, where)
        if config.get("features") != FEATURE_ORDER:
            raise InputError(f"{where}: an SRM+FLD detector from before the SRM feature order "
                             "was fixed (it depended on the process); train it again")
        dim = (12753 if config["q1"] else 34671) * (config.get("channels") or 1)
        sub, w, b = (None if tensors.get(k) is None else np.asarray(tensors[k])
                     for k in ("subspace", "w", "b"))  # torch tensors or NumPy arrays
        if sub is None or w is None or b is None or sub.ndim != 2 or w.shape != sub.shape \
                or b.shape != (sub.shape[0],) or sub.size == 0 \
                or not np.issubdtype(sub.dtype, np.integer) \
                or int(sub.min()) < 0 or int(sub.max()) >= dim:
            raise InputError(f"{where}: SRM+FLD detector tensors have the wrong shapes")
        try:
            det = cls(q1=config["q1"], seed=config["seed"])
            det.channels = config.get("channels") or 1
            learners = [Learner(s, wi, bi) for s, wi, bi in zip(sub, w, b)]
        except KeyError:
            raise InputError(f"{where}: incomplete SRM+FLD detector file") from None
        det.ensemble = Ensemble(learners, d_sub=config.get("d_sub"))
        return det
