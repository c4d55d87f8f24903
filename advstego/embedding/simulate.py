"""Embedding simulators: one function per method, same signature, uint8 in and out (the
JPEG methods, embedding/jpeg.py, change a JPEG's coefficients and write a JPEG).

RGB covers are embedded per channel at the same payload, each channel with its own seed.
A folder is embedded in parallel (a process pool), image by image with a progress bar;
each stego is written atomically, so an interrupted run resumes where it stopped.

With an adversary (a member of attacks/registry.ADVERSARIES; gray covers), the cover's
SimulatorJob (hiding/job.py) is its embedding: conseal's ternary simulator embeds with the
costs the adversary chooses, random payloads at a bpp, to compare with the literature. A
gray JPEG's (J-UNIWARD, UERD) is its JpegSimulatorJob: conseal's JPEG simulator over the
luminance's coefficients, which the wardens read decompressed.
"""

from __future__ import annotations

import json
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import read_json, write_text_atomic
from ..data.prepare import list_images
from ..hiding.job import CoefficientsDomain, Embedded, EmbeddingJob
from ..images import read_image, write_image
from ..options import Option, convert
from ..paths import claim_run_folder
from ..progress import progress
from ..data.jpeg_io import read as read_jpeg, write as write_jpeg
from ..data.traces import is_jpeg
from .costs import WET, cost_adjusted, suniward_adjusted
from .jpeg import ADVERSARIAL, JPEG_METHODS, embed_jpeg


def _conseal(module):
    def run(x: np.ndarray, alpha: float, seed: int) -> np.ndarray:
        import conseal
        return getattr(conseal, module).simulate_single_channel(x, alpha=alpha, seed=seed)
    return run


def _ternary(x: np.ndarray, costs, alpha: float, seed: int) -> np.ndarray:
    """The stego conseal's ternary simulator makes of x (uint8 pixels, or int16
    coefficients: the same dtype back) with costs (ρ+1, ρ−1) at alpha bits an element."""
    import conseal
    delta = conseal.simulate.ternary(costs, alpha, x.size, seed=seed)
    return (x.astype(np.int16) + delta).astype(x.dtype)


def _suniward(x: np.ndarray, alpha: float, seed: int) -> np.ndarray:
    """conseal's S-UNIWARD simulator on our separable cost map (the same stegos, faster)."""
    return _ternary(x, suniward_adjusted(x), alpha, seed)


METHODS = {"wow": _conseal("wow"), "suniward": _suniward, "hill": _conseal("hill")}
PAYLOAD = Option(float, 0.4, 0, "bits per pixel, in (0, 1]", above=True, maximum=1)


def simulate(cover: np.ndarray, method: str, payload: float = 0.4, seed: int = 0,
             adversary=None) -> np.ndarray:
    """Stego of one uint8 cover (gray, or RGB channel by channel) at payload bits per pixel;
    with an adversary (attacks/adversary.py), its stego of the cover's SimulatorJob (gray)."""
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    payload = convert("simulate", "payload", PAYLOAD, payload)
    cover = np.ascontiguousarray(cover, dtype=np.uint8)
    if adversary is not None:
        return _adversarial(cover, method, payload, seed, adversary)
    fn = METHODS[method]
    if cover.ndim == 2:
        out = fn(cover, payload, seed)
    else:
        out = np.stack([fn(np.ascontiguousarray(cover[..., c]), payload, seed + 7919 * c)
                        for c in range(cover.shape[2])], axis=2)
    return np.asarray(out, dtype=np.uint8)


def _adversarial(cover, method, payload, seed, adversary):
    if cover.ndim != 2:
        raise InputError("adversarial embedding takes gray covers (the wardens are gray)")
    return adversary.stego(SimulatorJob(cover, method, payload, seed))[0].image


class SimulatorJob(EmbeddingJob):
    """A gray cover's simulated embedding (hiding/job.py) at payload bits per pixel: the
    method's costs, conseal's ternary simulator with the same seed every time (only the
    costs differ). Two parts: a keyed common group of 1 − σ of the elements carries 1 − σ of
    the bits first (the costs outside it made wet), then the adjustable group the rest."""
    two_parts = True

    def __init__(self, cover: np.ndarray, method: str, payload: float, seed: int):
        self.payload = self.rate = payload  # rate: bits per element (a part's share)
        rp, rm = cost_adjusted(cover, method)
        plain = Embedded(_ternary(cover, (rp, rm), payload, seed))
        super().__init__(cover, rp, rm, plain, int(round(payload * cover.size)), seed)

    def embed(self, rho_p, rho_m) -> Embedded:
        return Embedded(_ternary(self.cover, (rho_p, rho_m), self.payload, self.seed))

    def _simulated(self, x, costs, seed) -> np.ndarray:
        """A part's elements x (1-D) with its bits embedded by the ternary simulator."""
        return _ternary(x, costs, self.rate, seed)

    def _part(self, x, rho_p, rho_m, group, seed) -> Embedded:
        """x with `group`'s share of the bits embedded in `group` (the rest untouched)."""
        rp, rm = rho_p[group], rho_m[group]
        if self.rate * rp.size > np.log2(3) * np.sum(np.minimum(rp, rm) < WET):
            raise ValueError(f"{rp.size} elements: the part exceeds its group's capacity")
        out = x.astype(np.int16)
        out[group] = self._simulated(x[group], (rp, rm), seed)
        return Embedded(out.astype(x.dtype))

    def _common_group(self, sigma: float) -> np.ndarray:
        n = self.cover.size
        order = np.random.default_rng([self.seed, 2]).permutation(n)
        group = np.zeros(n, bool)
        group[order[:int(round((1 - sigma) * n))]] = True
        return group.reshape(self.cover.shape)

    def common(self, sigma: float) -> Embedded:
        return self._part(self.cover, self.rho_p, self.rho_m, self._common_group(sigma),
                          self.seed)

    def finish(self, common: Embedded, sigma: float, rho_p, rho_m) -> Embedded:
        return self._part(common.image, rho_p, rho_m, ~self._common_group(sigma),
                          self.seed + 1)


class JpegSimulatorJob(CoefficientsDomain, SimulatorJob):
    """A gray JPEG's simulated embedding at payload bpnzac (embedding/jpeg.py's J-UNIWARD or
    UERD): conseal's costs of the luminance and its simulator, the plain stego conseal's
    own; a part at the rate of its share of the elements. Its domain the coefficients
    (hiding/job.CoefficientsDomain)."""

    def __init__(self, jpeg, method: str, payload: float, seed: int):
        from ..data.jpeg import nonzero_ac
        from .jpeg import luma_changes, luma_costs

        y = jpeg.planes[0]
        self.jpeg, self.method, self.payload = jpeg, method, payload
        self.nzac = nonzero_ac(y)
        if self.nzac == 0:
            raise InputError(f"{jpeg.path}: no non-zero AC coefficient to embed in")
        self.rate = payload * self.nzac / y.size  # bits per coefficient
        rp, rm = luma_costs(jpeg, method)
        plain = Embedded(y + luma_changes(method, (rp, rm), payload, self.nzac, seed))
        EmbeddingJob.__init__(self, y, rp, rm, plain, int(round(payload * self.nzac)), seed)

    def embed(self, rho_p, rho_m) -> Embedded:
        from .jpeg import luma_changes

        delta = luma_changes(self.method, (rho_p, rho_m), self.payload, self.nzac, self.seed)
        return Embedded((self.cover + delta).astype(self.cover.dtype))


def adversarial_jpeg(path, method: str, payload: float, seed: int, adversary):
    """The gray JPEG at path (jpeg_io.Jpeg) with its luminance the adversary's stego of its
    JpegSimulatorJob (J-UNIWARD or UERD at payload bpnzac)."""
    jpeg = read_jpeg(path)
    if len(jpeg.planes) != 1:
        raise InputError(f"{path}: adversarial costs take gray JPEGs (the wardens read the "
                         "luminance)")
    job = JpegSimulatorJob(jpeg, method, payload, seed)
    return jpeg.with_luma(adversary.stego(job)[0].image)


_ADVERSARY = {}


def _adversary(wardens, load):
    """The pool of wardens of this process, loaded once by load(wardens)."""
    if wardens and wardens not in _ADVERSARY:
        _ADVERSARY.clear()
        _ADVERSARY[wardens] = load(wardens)
    return _ADVERSARY.get(wardens)


def _seed_for(name: str, seed: int) -> int:
    return (zlib.crc32(name.encode()) + 1_000_003 * seed) % (2 ** 31)


def _one(job):
    src, dst, method, payload, seed, wardens, load = job
    if method in JPEG_METHODS:
        adversary = _adversary(wardens, load)
        if adversary is None:
            embed_jpeg(src, dst, method, payload, seed)
        else:
            write_jpeg(adversarial_jpeg(src, method, payload, seed, adversary), dst)
        return dst
    write_image(dst, simulate(read_image(src), method, payload, seed, _adversary(wardens, load)))
    return dst


WRITES = ("*.png", "*.jpg", "manifest.json", ".*.tmp")  # what a run writes in dst


def embed_folder(src, dst, method: str, payload: float = 0.4, seed: int = 0,
                 workers: int = 0, force: bool = False, wardens: str | None = None,
                 load_adversary=None) -> int:
    """Embed every image of src into dst (same relative names); returns (how many were made
    now, how many dst holds: a rerun keeps those made before).
    wardens: what load_adversary(wardens) (picklable by reference: workers call it) makes
    the adversary of, for adversarial costs.

    dst is claimed as a run folder with these settings before anything is written there."""
    src, dst = Path(src), Path(dst)
    if method not in METHODS and method not in JPEG_METHODS:
        raise InputError(f"unknown method {method!r}; known: "
                         f"{', '.join([*METHODS, *JPEG_METHODS])}")
    files = list_images(src)  # a bad corpus is refused before dst is made
    _check_domain(files, method, wardens)
    manifest = None  # a corpus's manifest, carried to dst: read (and refused) before any work
    if (src / "manifest.json").is_file():
        manifest = read_json(src / "manifest.json", "manifest", 1 << 30)
        if not isinstance(manifest, dict):
            raise InputError(f"{src / 'manifest.json'}: corrupt manifest (not a JSON object)")
    scheme = None
    if wardens:  # a bad pool is refused before dst is made
        adv = _adversary(wardens, load_adversary)
        scheme = {"scheme": adv.scheme, **{k: getattr(adv, k, None) for k in adv.options}}
    claim_run_folder(dst, "embed", {"method": method, "payload": payload, "seed": seed,
                                    "covers": str(src.resolve()), "wardens": wardens,
                                    "adversary": scheme}, force, writes=WRITES)
    jobs = []
    for f in files:
        rel = f.relative_to(src)
        out = (dst / rel).with_suffix(".jpg" if method in JPEG_METHODS else ".png")
        if not out.exists():  # resume: finished stegos are kept
            out.parent.mkdir(parents=True, exist_ok=True)
            jobs.append((f, out, method, payload, _seed_for(str(rel), seed), wardens,
                         load_adversary))
    workers = workers or min(len(jobs), os.cpu_count() or 1) or 1
    if jobs:
        # read (and so validate) the first image here: a bad file fails before any work
        (read_jpeg if method in JPEG_METHODS else read_image)(jobs[0][0])
        if workers == 1:
            for j in progress(jobs, desc=method, unit="img"):
                _one(j)
        else:
            with ProcessPoolExecutor(workers) as pool:
                for _ in progress(pool.map(_one, jobs, chunksize=4), total=len(jobs),
                                  desc=method, unit="img"):
                    pass
    if manifest is not None:
        manifest["stage"] = "embed"
        unit = "payload_bpnzac" if method in JPEG_METHODS else "payload_bpp"
        manifest["embedding"] = {"method": method, unit: payload, "seed": seed,
                                 "covers": str(src), "adversarial_wardens": wardens}
        write_text_atomic(dst / "manifest.json", json.dumps(manifest, indent=1))
    return len(jobs), len(files)


def _check_domain(files, method: str, wardens) -> None:
    """A JPEG method takes JPEG covers and a pixel method the others, refused in one line
    otherwise (a pixel change to a JPEG's pixels moves them off its lattice)."""
    jpegs = [f for f in files if is_jpeg(f)]
    if method in JPEG_METHODS:
        other = next((f for f in files if not is_jpeg(f)), None)
        if other is not None:
            raise InputError(f"--method {method} embeds in JPEG coefficients, but {other} is "
                             "not a JPEG; prepare JPEG covers with data prepare --jpeg QF")
        if wardens and method not in ADVERSARIAL:
            raise InputError(f"--method {method}: adversarial costs take "
                             f"{' or '.join(ADVERSARIAL)} (nsF5 has no costs to modulate)")
    elif jpegs:
        raise InputError(f"--method {method} embeds in pixels, but {jpegs[0]} is a JPEG (its "
                         "pixels' changes show without a model); use --method "
                         f"{', '.join(list(JPEG_METHODS)[:-1])} or {list(JPEG_METHODS)[-1]} "
                         "on JPEG covers")
