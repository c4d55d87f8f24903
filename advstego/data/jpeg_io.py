"""JPEG files as their quantized DCT coefficients: read and written with jpeglib, never
decoded to pixels, every bad file refused in one line before libjpeg sees it.

read(path): the markers are read first (header): a JPEG that is not 8-bit Huffman-coded DCT
gray or YCbCr (CMYK/YCCK, RGB-coded, 12-bit, lossless, hierarchical, arithmetic-coded) or
that ends before its end marker (truncated) is refused by what it is; then jpeglib reads the
coefficients, and anything libjpeg complains of (corrupt data) refuses the file too.
write(jpeg, path): the coefficients under the cover's own quantization tables and sampling
factors, its APPn and COM segments (EXIF, ICC profile, comments) as they were, baseline or
progressive as the cover was (jpeglib writes baseline; progressive scans: jpeg_scans.py),
Huffman tables standard or optimal as the cover's were; no restart markers (they change no
coefficient). The file is read back and compared before it replaces the output.
EXIF orientation: the coefficients are stored unrotated and the orientation tag is kept, so
the stego shows as its cover did.
"""

from __future__ import annotations

import os
import struct
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

SOF = {0xC0: "baseline", 0xC1: "extended sequential", 0xC2: "progressive"}
REFUSED = {0xC3: "a lossless JPEG: it holds no DCT coefficients",
           **{m: "a hierarchical JPEG: not supported" for m in (0xC5, 0xC6, 0xC7)},
           **{m: "an arithmetic-coded JPEG: not supported (jpegtran -optimize rewrites it "
                 "Huffman-coded, losslessly)" for m in (0xC9, 0xCA, 0xCB)},
           **{m: "a hierarchical arithmetic-coded JPEG: not supported"
              for m in (0xCD, 0xCE, 0xCF)}}
KEPT = set(range(0xE0, 0xF0)) | {0xFE}  # APPn and COM: written as they were


@dataclass
class Header:
    """What a JPEG file's markers say."""
    sof: int
    precision: int
    height: int
    width: int
    components: list  # (id, h, v, table) each
    restart: int = 0
    orientation: int = 1
    adobe_transform: int | None = None
    kept: list = field(default_factory=list)  # the APPn and COM segments, whole
    huffman: frozenset = frozenset()  # its Huffman tables (DHT payloads) before the scan

    @property
    def progressive(self) -> bool:
        return self.sof == 0xC2


@dataclass
class Jpeg:
    """A JPEG's coefficients: planes (Y[, Cb, Cr], each (rows, cols, 8, 8) int16, natural
    order in a block), their quantization tables (8, 8), the header, and jpeglib's object
    (its sampling factors and tables, for writing)."""
    path: str
    header: Header
    planes: list
    tables: list
    dct: object = field(repr=False, default=None)

    @property
    def luma(self) -> np.ndarray:
        return self.planes[0]

    def with_luma(self, y: np.ndarray) -> "Jpeg":
        """The same JPEG with other luminance coefficients."""
        if y.shape != self.luma.shape:
            raise ValueError(f"luminance of shape {y.shape}, not {self.luma.shape}")
        return Jpeg(self.path, self.header, [y.astype(np.int16), *self.planes[1:]], self.tables,
                    self.dct)


def _segments(data: bytes, name):
    """(marker, start, end) of each marker segment before the first scan, and the scan's
    start; InputError where the file ends first."""
    out, pos = [], 2
    while True:
        while pos < len(data) and data[pos] == 0xFF and pos + 1 < len(data) \
                and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 4 > len(data):
            raise InputError(f"{name}: a truncated JPEG (it ends in its header)")
        if data[pos] != 0xFF:
            raise InputError(f"{name}: a corrupt JPEG (no marker at byte {pos})")
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2:pos + 4])[0]
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise InputError(f"{name}: a truncated JPEG (it ends in its header)")
        out.append((marker, pos, end))
        if marker == 0xDA:
            return out
        pos = end


def _orientation(payload: bytes) -> int:
    """The EXIF orientation tag of an APP1 segment's payload (1 where it has none)."""
    from PIL import Image

    try:
        exif = Image.Exif()
        exif.load(payload)
        return int(exif.get(0x0112, 1))
    except Exception:  # an unreadable EXIF block: taken as upright, as images.py does
        return 1


def header(data: bytes, name) -> Header:
    """The header of a JPEG file's bytes; InputError for a file this module cannot take."""
    if data[:3] != b"\xff\xd8\xff":
        raise InputError(f"{name}: not a JPEG file")
    segs = _segments(data, name)
    head, restart, orientation, adobe, kept = None, 0, 1, None, []
    for marker, start, end in segs:
        payload = data[start + 4:end]
        if marker in REFUSED:
            raise InputError(f"{name}: {REFUSED[marker]}")
        if marker in SOF:
            if len(payload) < 6:
                raise InputError(f"{name}: a corrupt JPEG (short frame header)")
            p, h, w, n = struct.unpack(">BHHB", payload[:6])
            comps = [(payload[6 + 3 * i], payload[7 + 3 * i] >> 4, payload[7 + 3 * i] & 15,
                      payload[8 + 3 * i]) for i in range(n) if 8 + 3 * i < len(payload)]
            if len(comps) != n:
                raise InputError(f"{name}: a corrupt JPEG (short frame header)")
            head = (marker, p, h, w, comps)
        elif marker == 0xDD and len(payload) >= 2:
            restart = struct.unpack(">H", payload[:2])[0]
        elif marker in KEPT:
            kept.append(data[start:end])
            if marker == 0xE1 and payload.startswith(b"Exif\0\0"):
                orientation = _orientation(payload)
            elif marker == 0xEE and payload.startswith(b"Adobe") and len(payload) >= 12:
                adobe = payload[11]
    if head is None:
        raise InputError(f"{name}: a corrupt JPEG (no frame header before its scan)")
    sof, precision, h, w, comps = head
    if precision != 8:
        raise InputError(f"{name}: a {precision}-bit JPEG: only 8-bit JPEGs are read")
    if len(comps) == 4:
        raise InputError(f"{name}: a CMYK JPEG: only gray and YCbCr JPEGs are taken")
    if len(comps) not in (1, 3):
        raise InputError(f"{name}: a JPEG of {len(comps)} components: only gray and YCbCr "
                         "JPEGs are taken")
    if len(comps) == 3 and adobe == 0:
        raise InputError(f"{name}: an RGB-coded JPEG (no YCbCr): only gray and YCbCr JPEGs "
                         "are taken")
    if not h or not w:
        raise InputError(f"{name}: a JPEG of size {w}x{h}")
    if b"\xff\xd9" not in data[segs[-1][2]:]:
        raise InputError(f"{name}: a truncated JPEG (no end marker)")
    huffman = _tables(data[s + 4:e] for m, s, e in segs if m == 0xC4)
    return Header(sof, precision, h, w, comps, restart, orientation, adobe, kept, huffman)


@contextmanager
def _libjpeg_messages():
    """What libjpeg prints on the C standard error inside the block (a list, filled at its
    end): its warnings (corrupt data, premature end) are no one-line refusal otherwise."""
    import tempfile

    sys.stderr.flush()
    got: list[str] = []
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield got
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            got.extend(line for line in tmp.read().decode(errors="replace").splitlines()
                       if line.strip())


def _load(path, name, pixels_limit: int | None = None) -> Jpeg:
    import jpeglib

    from ..images import max_pixels

    path = Path(path)
    if not path.exists():
        raise InputError(f"{name}: no such file")
    if not path.is_file():
        raise InputError(f"{name}: not a file")
    data = path.read_bytes()
    head = header(data, name)
    limit = max_pixels() if pixels_limit is None else pixels_limit
    if head.width * head.height > limit:
        raise InputError(f"{name}: {head.width}x{head.height} is more than --max-pixels "
                         f"{limit:,} pixels")
    with _libjpeg_messages() as said:
        try:
            dct = jpeglib.read_dct(str(path))
            planes = [dct.Y] + ([dct.Cb, dct.Cr] if dct.has_chrominance else [])
            tables = [np.asarray(dct.qt[k]) for k in dct.quant_tbl_no]
        except (OSError, ValueError, IndexError) as exc:
            said.append(str(exc))
    if said:
        raise InputError(f"{name}: a corrupt JPEG ({said[0].strip().rstrip('.')})")
    planes = [np.ascontiguousarray(p, np.int16) for p in planes]
    return Jpeg(str(path), head, planes, tables, dct)


def read(path) -> Jpeg:
    """A JPEG file's coefficients, checked (InputError names what is wrong, in one line)."""
    return _load(path, path)


def _tables(payloads) -> frozenset:
    """The Huffman tables that DHT segments define, each as its bytes (class and slot,
    counts, symbols): one segment may hold several."""
    out = set()
    for p in payloads:
        while len(p) >= 17:
            n = 17 + sum(p[1:17])
            out.add(p[:n])
            p = p[n:]
    return frozenset(out)


def _huffman_tables(data: bytes) -> frozenset:
    """The Huffman tables a JPEG's bytes define before its scan."""
    return _tables(data[s + 4:e] for m, s, e in _segments(data, "output") if m == 0xC4)


def _assemble(written: bytes, cover: Header, planes: list) -> bytes:
    """The file: SOI, the cover's APPn/COM segments, jpeglib's tables and frame header
    (progressive: a progressive frame and scans of our own) and its scan, EOI."""
    from . import jpeg_scans

    segs = _segments(written, "output")
    out = [b"\xff\xd8", *cover.kept]
    for marker, start, end in segs:
        if marker in KEPT or marker == 0xDD:
            continue
        if cover.progressive and marker in (0xC4, 0xDA):
            continue
        if cover.progressive and marker in SOF:
            frame = written[start + 4:end]
            ids = [frame[6 + 3 * i] for i in range(frame[5])]
            out.append(b"\xff\xc2" + written[start + 2:end])
            continue
        out.append(written[start:end] if marker != 0xDA else written[start:])
    if cover.progressive:
        out += [jpeg_scans.progressive(planes, ids), b"\xff\xd9"]
    return b"".join(out)


def write(jpeg: Jpeg, path) -> Path:
    """The JPEG written atomically (see the module's text), read back and compared first."""
    import jpeglib

    from ..files import atomic_path

    path = Path(path)
    dct = jpeg.dct
    dct.Y = jpeg.planes[0]
    if len(jpeg.planes) == 3:
        dct.Cb, dct.Cr = jpeg.planes[1], jpeg.planes[2]
    with atomic_path(path) as tmp:
        with _libjpeg_messages() as said:
            dct.write_dct(tmp)
            data = Path(tmp).read_bytes()
            if not jpeg.header.progressive and \
                    not jpeg.header.huffman <= _huffman_tables(data):
                dct.write_dct(tmp, flags=["+OPTIMIZE_CODING"])  # the cover's were optimal
                data = Path(tmp).read_bytes()
        if said:
            raise RuntimeError(f"libjpeg: {said[0]}")
        Path(tmp).write_bytes(_assemble(data, jpeg.header, jpeg.planes))
        back = _load(tmp, path, pixels_limit=1 << 62)
        same = (len(back.planes) == len(jpeg.planes)
                and all(np.array_equal(a, b) for a, b in zip(back.planes, jpeg.planes))
                and all(np.array_equal(a, b) for a, b in zip(back.tables, jpeg.tables))
                and back.header.progressive == jpeg.header.progressive)
        if not same:
            raise RuntimeError(f"{path}: the JPEG written does not hold the coefficients given")
    return path
