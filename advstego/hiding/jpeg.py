"""The JPEG hider: the STC hider's sealed message in a JPEG's quantized DCT coefficients.

hide:   JPEG file -> its coefficients and tables (data/jpeg_io.py, jpeglib) -> J-UNIWARD (or
        UERD) costs of the luminance's coefficients (embedding/dct_costs.py, conseal's)
        -> the secret compressed to `bpnzac` bits per non-zero AC coefficient, or a file,
        sealed with the key (hiding/message.py, format 3) -> ±1 syndrome-trellis embedding
        in a keyed order of all the luminance's coefficients (the STC hider's coder, head and
        order: hiding/classical.py) -> a JPEG with the cover's tables, sampling and mode
reveal: JPEG file -> luminance coefficients -> keyed order -> the message, opened with the key

Luminance only: chroma is left as it is (docs/methods.md says why). Every coefficient of
the luminance may change, DC and zeros too, as conseal's J-UNIWARD and UERD define their
costs; a change that would leave the baseline range is wet.
"""

from __future__ import annotations

import numpy as np

from ..data.jpeg import nonzero_ac
from ..data.jpeg_io import Jpeg
from ..embedding.dct_costs import DCT_COSTS
from ..errors import InputError
from ..options import Option
from . import codec as codecs
from . import message as msg
from .base import DEFAULT_KEY, as_batch
from .classical import LENGTHS_ELEMENTS, StcHider, StcJob
from .job import CoefficientsDomain
from .registry import HIDERS

MAX_BPNZAC = 1.0
# the constraint height by the luminance's coefficients (the first size at or above them):
# each step of h down costs about 2% more distortion (three 12-megapixel covers at 0.4
# bpnzac: 1.13, 1.15, 1.17 times the simulator's at h = 11, 10, 9) and halves the Viterbi's
# time; a 12-megapixel photo's passes at h = 10 take about 2 s (columns that cannot change
# are not stepped: stc.py) and about a quarter of their 1.5 GB of path
AUTO_H = ((1 << 21, 12), (1 << 22, 11))
AUTO_H_LARGER = 10
HEAD = 1024  # elements carrying the head: its 72 bits at about the message's rate (0.4 bpnzac)


nzac = nonzero_ac  # non-zero AC coefficients of a channel: bpnzac's unit


@HIDERS.register("jpeg")
class JpegHider(StcHider):
    """the secret compressed and embedded by STC in a JPEG's DCT coefficients (J-UNIWARD)

    Covers and stegos are data.jpeg_io.Jpeg (jpeg_io.read / jpeg_io.write)."""
    options = {"jpeg_cost": Option(str, "juniward", None, "JPEG: the costs of a coefficient's "
                                   "change", tuple(DCT_COSTS)),
               "bpnzac": Option(float, 0.2, 0, "JPEG: the payload, bits per non-zero AC "
                                "coefficient of the luminance; the secret gets the best "
                                "quality that fits", above=True, maximum=MAX_BPNZAC),
               **{k: StcHider.options[k] for k in ("codec", "quality", "key")},
               "stc_h": Option(int, None, 7, "STC: constraint height (7..12; JPEG: by the "
                               "cover's size unless given)", maximum=12)}
    takes_adversarial_costs = True  # adversary.stego(JpegJob): the coefficients' domain
    sealed = False  # its reveal_payload reads a JPEG's coefficients, not pixels (jpeg_files)
    jpeg_files = True
    reveal_name = "jpeg"
    formats = ((False, (3,)),)  # format 3 only: no JPEG stego was written before it

    @classmethod
    def from_options(cls, o, channels=1, secret_channels=None, adversary=None):
        return cls(o["jpeg_cost"], o["codec"], o["bpnzac"], o["quality"], o["key"], o["stc_h"],
                   channels, secret_channels, adversary)

    def __init__(self, jpeg_cost: str = "juniward", codec: str = codecs.AUTO,
                 bpnzac: float | None = 0.2, quality: int | None = None,
                 key: str = DEFAULT_KEY, h: int | None = None, channels: int = 1,
                 secret_channels: int | None = None, adversary=None):
        if jpeg_cost not in DCT_COSTS:
            raise InputError(f"--jpeg-cost {jpeg_cost!r}: known are {', '.join(DCT_COSTS)}")
        if quality is None and not (bpnzac and 0 < bpnzac <= MAX_BPNZAC):
            raise InputError(f"--bpnzac {bpnzac}: give bits per non-zero AC coefficient in "
                             f"(0, {MAX_BPNZAC}]")
        super().__init__("suniward", codec, bpnzac, quality, key, 10 if h is None else h,
                         channels, adversary, secret_channels)
        self.jpeg_cost, self.auto_h = jpeg_cost, h is None
        what = f"q{quality}" if quality is not None else f"{bpnzac:g}"
        self.plain_name = f"jpeg-{jpeg_cost}-{codec}-{what}"

    def head_elements(self, n: int) -> int:
        """The head's elements: more than the pixel hider's 256, so that its bits cost about
        what the message's do (a JPEG's message is sparse: 0.4 bpnzac is about 0.08 bits a
        coefficient at quality 75); a small cover's eighth at most."""
        return min(HEAD, max(LENGTHS_ELEMENTS, n // 8))

    def describe(self):
        return {"name": self.name, "method": "jpeg", "cost": self.jpeg_cost, "codec": self.codec,
                "bpnzac": self.payload, "quality": self.quality, "h": self.h,
                "adversarial": self.adversary is not None}

    def capacity(self, cover: Jpeg, name: str = "") -> dict:
        """What a cover carries: bytes of secret (a file's name counts in them), at bpnzac."""
        n = nzac(_checked(cover).luma)
        return {"bytes": max(self.budget(n, name), 0), "bpnzac": self.payload, "nzac": n,
                "coefficients": int(cover.luma.size), "size": [cover.header.height,
                                                               cover.header.width]}

    # ---- hide ----------------------------------------------------------------------
    def hide_info(self, cover: Jpeg, secret) -> tuple[Jpeg, dict]:
        """The stego of a cover (a Jpeg) carrying a secret image, and what it took."""
        secret = np.asarray(secret)
        sc, single = as_batch(secret, 1 if secret.ndim == 2 else 3, "secret")  # gray or RGB
        if not single:
            raise InputError("hide_info takes one cover and one secret")
        return self._hide(_checked(cover), sc[0])

    def hide_file(self, cover: Jpeg, data: bytes, name: str) -> tuple[Jpeg, dict]:
        """The stego of a cover carrying a file's bytes and its name, and what it took."""
        n = nzac(_checked(cover).luma)
        return self._hide(cover, self._file(data, name, n, "this JPEG at --bpnzac"))

    def hide(self, cover: Jpeg, secret) -> Jpeg:
        return self.hide_info(cover, secret)[0]

    def _message(self, secret, n: int, shrink: float = 1.0) -> tuple[bytes, dict]:
        try:
            return super()._message(secret, n, shrink)
        except InputError as exc:  # the payload is --bpnzac here
            raise InputError(str(exc).replace("--payload", "--bpnzac")) from None

    def _hide(self, cover: Jpeg, secret) -> tuple[Jpeg, dict]:
        y = cover.luma
        n = nzac(y)
        if self.quality is None and self.budget(n) < 1:
            raise InputError(f"--bpnzac {self.payload:g}: {n} non-zero AC coefficients carry "
                             f"{int(self.payload * n // 8)} bytes, not even the "
                             f"{msg.OVERHEAD}-byte header")
        if self.adversary is not None and len(cover.planes) != 1:
            raise InputError(f"{cover.path or 'the JPEG'}: adversarial costs take gray JPEGs "
                             "(the wardens read the luminance)")
        if self.auto_h:  # the head tells the receiver which
            self.h = next((h for most, h in AUTO_H if y.size <= most), AUTO_H_LARGER)
        try:
            job = JpegJob(self, cover, secret)
            stego, info = job.plain, dict(job.plain.info)
            if self.adversary is not None:  # a member of attacks/registry.ADVERSARIES
                stego, adv = self.adversary.stego(job)
                info = {**stego.info, "adversarial": adv.to_dict()}
        except InputError as exc:
            raise InputError(str(exc).replace("--payload", "--bpnzac")) from None
        info["bpnzac"] = info["message_bits"] / n
        if self.payload is not None:
            info["capacity_used"] = info["message_bits"] / (self.payload * n)
        return cover.with_luma(stego.image), info

    # ---- reveal --------------------------------------------------------------------
    def reveal_payload(self, stego: Jpeg):
        """A revealed image (uint8 array) or a file's Payload, from one stego (a Jpeg)."""
        return super().reveal_payload(_checked(stego).luma)

    def reveal(self, stego: Jpeg):
        got = self.reveal_payload(stego)
        if isinstance(got, msg.Payload):
            raise InputError(f"the stego carries a file ({got.name}), not an image")
        return got


def _checked(jpeg) -> Jpeg:
    """A Jpeg large enough for the head and a message."""
    if not isinstance(jpeg, Jpeg):
        raise InputError("--method jpeg takes a JPEG file's coefficients "
                         "(advstego.data.jpeg_io.read), not pixels")
    if jpeg.luma.size < 8 * LENGTHS_ELEMENTS:
        raise InputError(f"{jpeg.path or 'the JPEG'}: {jpeg.header.width}x{jpeg.header.height} "
                         f"is too small ({jpeg.luma.size} luminance coefficients, at least "
                         f"{8 * LENGTHS_ELEMENTS}: 64x32 pixels)")
    return jpeg


class JpegJob(CoefficientsDomain, StcJob):
    """The JPEG hider's embedding of one cover (hiding/job.py): STC over the luminance's
    quantized DCT coefficients with J-UNIWARD (or UERD) costs, the payload counted in
    non-zero AC coefficients; its domain the coefficients (job.CoefficientsDomain)."""
    where = "JPEG"

    def __init__(self, hider: JpegHider, cover: Jpeg, secret):
        self.jpeg, self._units = cover, nzac(cover.luma)
        super().__init__(hider, cover.luma, secret)

    def plain_costs(self) -> tuple[np.ndarray, np.ndarray]:
        return DCT_COSTS[self.hider.jpeg_cost](self.cover, self.jpeg.tables[0])

    @property
    def units(self) -> int:
        return self._units
