"""Classic content-adaptive embedding (WOW, S-UNIWARD, HILL) through conseal's simulators."""

from .simulate import METHODS, embed_folder, simulate

__all__ = ["METHODS", "simulate", "embed_folder"]
