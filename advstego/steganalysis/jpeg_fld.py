"""The JPEG wardens of the feature kind: DCTR or GFR features of the luminance
(jpeg_features.py, sealwatch's bit for bit) and the FLD ensemble SRM+FLD trains (fld.py).
They read JPEG files (JpegImage), one quality at a time: the features' quantization steps
depend on it, and a detector tests the quality it was trained at."""

from __future__ import annotations

import numpy as np

from .. import weights
from ..errors import InputError
from ..options import Option
from . import jpeg_features
from .ensemble import SrmFld
from .registry import DETECTORS


@DETECTORS.register("dctr-fld", kind="dctr")
@DETECTORS.register("gfr-fld", kind="gfr")
class JpegFld(SrmFld):
    reads_jpeg = True
    options = {**SrmFld.options,
               "d_sub": SrmFld.options["d_sub"]._replace(maximum=jpeg_features.GFR_DIM)}

    def __init__(self, kind: str = "dctr", seed: int = 0, workers: int = 0,
                 L="automatic", d_sub="automatic", device="cpu"):
        super().__init__(False, seed, workers, L, d_sub, device)
        self.kind, self.name = kind, f"{kind}-fld"
        self.quality = None  # the JPEG quality it was trained at

    def features(self, images):
        return jpeg_features.features(self.kind, list(images), self.workers)

    def _qualities(self, images) -> set:
        return {getattr(i, "quality", None) for i in images}

    def fit(self, covers, stegos, run=None, quiet=False, val=None):
        found = self._qualities(list(covers) + list(stegos))
        if len(found) > 1:
            raise InputError(f"{self.name}: covers and stegos of one JPEG quality (found "
                             f"{', '.join(str(q) for q in sorted(found, key=str))})")
        self.features(covers[:1])  # not JPEGs, or a quality it cannot read: refused first
        self.quality = found.pop()
        super().fit(covers, stegos, run, quiet, val)
        self.channels = 1  # the luminance's features, whatever the JPEG's components
        return self

    def _check(self, images):
        if self.ensemble is None:
            raise InputError("the detector is not trained")
        found = self._qualities(images) - {self.quality}
        if found and None not in found:
            raise InputError(f"this {self.name} detector was trained on QF {self.quality} "
                             f"JPEGs; these are QF {', '.join(map(str, sorted(found)))}")

    def state(self):
        tensors, _ = super().state()
        return tensors, {"kind": self.kind, "seed": self.seed, "quality": self.quality,
                         "d_sub": int(self.ensemble.d_sub or 0)}

    @classmethod
    def from_state(cls, tensors, config, where):
        from .fld import Ensemble, Learner

        config = weights.check_config(config, {
            "kind": Option(str, "dctr", None, "", tuple(jpeg_features.FEATURES)),
            "seed": cls.options["seed"], "quality": Option(int, None, 1, "", maximum=100),
            "d_sub": cls.options["d_sub"]._replace(type=int, minimum=0)}, where)
        dim = jpeg_features.FEATURES[config["kind"]]
        sub, w, b = (None if tensors.get(k) is None else np.asarray(tensors[k])
                     for k in ("subspace", "w", "b"))
        if sub is None or w is None or b is None or sub.ndim != 2 or w.shape != sub.shape \
                or b.shape != (sub.shape[0],) or sub.size == 0 \
                or not np.issubdtype(sub.dtype, np.integer) \
                or int(sub.min()) < 0 or int(sub.max()) >= dim:
            raise InputError(f"{where}: {config['kind']}-fld detector tensors have the wrong "
                             "shapes")
        det = cls(kind=config["kind"], seed=config["seed"])
        det.quality = config["quality"]
        det.ensemble = Ensemble([Learner(s, wi, bi) for s, wi, bi in zip(sub, w, b)],
                                d_sub=config.get("d_sub"))
        return det
