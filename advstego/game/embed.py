"""Many STC stegos at once (pixels, or a JPEG's coefficients), with adversarial costs or
plain, spread over processes.

Each worker builds its own hider and loads the wardens from their safetensors files (one
torch thread each: two workers on two cores do not oversubscribe).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from ..progress import progress

_HIDER = {}


def _build(settings: dict, wardens: list, adversarial: dict, threads: int = 1,
           method: str | None = None):
    """The worker's hider (method: a hider that takes adversarial costs; None: the pixel
    one); threads 0 leaves torch's thread count alone."""
    from ..hiding.registry import load_hider, the_hider_that

    adversary = None
    if wardens:
        import torch

        from ..attacks.strategy import make_adversary
        from ..steganalysis.detector import load_detector

        if threads:
            torch.set_num_threads(threads)
        adversary = make_adversary([load_detector(f) for f in wardens], **adversarial)
    method = method or the_hider_that("takes_adversarial_costs", jpeg_files=False)
    _HIDER["hider"] = load_hider(method, adversary=adversary, **settings)


def _hide(pair):
    cover, secret = pair
    hider, t0 = _HIDER["hider"], time.perf_counter()
    stego, info = hider.hide_info(cover, secret)
    return stego, {**info, "seconds": time.perf_counter() - t0}


def hide_all(settings: dict, wardens: list, covers, secrets, workers: int = 0,
             quiet: bool = False, method: str | None = None,
             **adversarial) -> tuple[list, list]:
    """(stegos, per-image info with its embed seconds) of every cover/secret pair with the
    STC hider of these settings (method: another hider that takes adversarial costs, as the
    JPEG hider, whose covers and stegos are jpeg_io.Jpeg); wardens: warden files for
    adversarial costs (none: plain), adversarial: make_adversary's settings (scheme, alpha,
    search, steps, lr)."""
    pairs = list(zip(covers, secrets))
    # a pool of spawned processes pays off for a few dozen images or more
    workers = workers or (1 if len(pairs) < 32 else min(len(pairs), os.cpu_count() or 1))
    bar = dict(total=len(pairs), desc=(method or "stc") + ("-adv" if wardens else ""),
               unit="img", disable=True if quiet else None)
    if workers == 1:
        _build(settings, wardens, adversarial, threads=0, method=method)
        out = [_hide(p) for p in progress(pairs, **bar)]
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_build,
                                 initargs=(settings, wardens, adversarial, 1, method)) as pool:
            out = list(progress(pool.map(_hide, pairs, chunksize=8), **bar))
    return [s for s, _ in out], [i for _, i in out]
