"""SRM features of many images: a process pool for the work, a disk cache per image.

The cache is keyed by the image's content (so a cover's features are computed once for
every warden, stage and run that reads it), written atomically (concurrent ranks or runs
may write the same entry: the last complete file wins, none is ever half-read).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ..files import cache_dir
from ..progress import progress
from . import srm


VERSION = 2  # bumped whenever srm.features changes: every cached vector is then recomputed


def _key(img: np.ndarray, q1: bool) -> str:
    """The cache key: the pixels themselves, the feature set and its version."""
    h = hashlib.sha1(img.tobytes())
    h.update(f"{img.shape}{img.dtype}{'q1' if q1 else 'srm'}-v{VERSION}".encode())
    return h.hexdigest()


def _extract(args):
    img, q1 = args
    return srm.features(img, q1)


def srm_features(images, q1: bool = False, workers: int = 0, cache=True) -> np.ndarray:
    """(N, 34671) or (N, 12753) float32 SRM features of gray uint8 images; of RGB images,
    the three channels' features side by side (N, 3 x D)."""
    images = [np.ascontiguousarray(i) for i in images]
    if images and all(i.ndim == 3 and i.shape[2] == 3 for i in images):
        planes = [np.ascontiguousarray(i[..., c]) for i in images for c in range(3)]
        return srm_features(planes, q1, workers, cache).reshape(len(images), -1)
    for i in images:
        if i.ndim != 2 or i.dtype != np.uint8:
            raise ValueError("SRM features need gray or RGB uint8 images, one mode")
    out = cached_vectors("srmq1" if q1 else "srm", [_key(i, q1) for i in images],
                         [(i, q1) for i in images], _extract, workers, cache, "SRM")
    return np.stack(out) if out else np.zeros((0, 12753 if q1 else 34671), np.float32)


def cached_vectors(name: str, keys, jobs, extract, workers: int = 0, cache=True,
                   desc: str = "") -> list:
    """Each job's feature vector: read from the disk cache (features/NAME/KEY.npy) or
    computed by extract(job), in a process pool where several are missing, and stored
    atomically (a damaged entry is recomputed)."""
    folder = cache_dir() / "features" / name
    if cache:
        folder.mkdir(parents=True, exist_ok=True)
    out: list = [None] * len(keys)
    todo = []
    for n, k in enumerate(keys):
        f = folder / f"{k}.npy"
        if cache and f.exists():
            try:
                out[n] = np.load(f, allow_pickle=False)
                continue
            except (ValueError, OSError):
                pass  # a damaged cache entry is recomputed
        todo.append(n)
    workers = workers or min(len(todo), os.cpu_count() or 1) or 1
    missing = [jobs[n] for n in todo]
    if workers > 1 and len(missing) > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = pool.map(extract, missing, chunksize=2)
            done = list(progress(results, total=len(missing), desc=desc, unit="img"))
    else:
        done = [extract(j) for j in progress(missing, desc=desc, unit="img")]
    for n, vec in zip(todo, done):
        out[n] = vec
        if cache:
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npy")
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, vec, allow_pickle=False)
            os.replace(tmp, folder / f"{keys[n]}.npy")
    return out
