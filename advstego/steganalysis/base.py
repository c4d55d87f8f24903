"""What every detector offers: fit(covers, stegos), prob_stego(images), predict, save.

Images are lists (or arrays) of uint8 gray images; a detector that reads_jpeg gets a JPEG
corpus's files as data.jpeg.JpegImage (coefficients and tables). Label 1 is stego, 0 is cover.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import weights

KIND = "detector"


class Detector:
    name = "detector"
    selected = None  # where a detector selects an epoch on validation photos: which one
    differentiable = False  # logits(x) with gradients: gradient attacks, adversarial costs
    extracts_features = False  # features(images): cached per image, shared by ranks
    reads_jpeg = False  # a JPEG corpus reaches it as data.jpeg.JpegImage (else: its pixels)
    options: dict = {}  # its settings: name -> options.Option (Registry.create checks them)
    ignores: tuple = ()  # options taken for a uniform call but unused (a flag for one: refused)

    @classmethod
    def from_state(cls, tensors: dict, config: dict, where) -> "Detector":  # pragma: no cover
        """The detector saved by save() (where: its file, for errors); state() gives
        (tensors: name -> torch tensor, config: JSON-able dict)."""
        raise NotImplementedError

    def fit(self, covers, stegos, run=None, quiet=False, val=None) -> "Detector":  # pragma: no cover
        """Train on paired covers and stegos; run: a checkpoint path, where it can resume;
        val: (covers, stegos) of validation photos, where the detector selects an epoch."""
        raise NotImplementedError

    def prob_stego(self, images) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def scores(self, images) -> np.ndarray:
        """A score of each image, higher meaning stego, that does not saturate where the
        detector has a finer one than its probability (a CNN: the logit margin)."""
        return np.asarray(self.prob_stego(images), np.float64)

    def predict(self, images) -> np.ndarray:
        """Hard decisions, 1 = stego."""
        return (self.prob_stego(images) > 0.5).astype(int)

    def state(self) -> tuple[dict, dict]:  # pragma: no cover - interface
        raise NotImplementedError

    def save(self, path) -> Path:
        tensors, config = self.state()
        return weights.save(path, tensors, {"kind": KIND, "detector": self.name, "config": config})
