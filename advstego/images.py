"""Read, validate and write 8-bit images; uint8 <-> float tensors in [0, 1]."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .errors import InputError
from .files import atomic_path
from .paths import output_file

IMAGE_EXTENSIONS = {".png", ".pgm", ".ppm", ".pnm", ".pbm", ".jpg", ".jpeg",
                    ".bmp", ".tif", ".tiff", ".webp"}
LOSSY_EXTENSIONS = {".jpg", ".jpeg"}
WRITABLE_EXTENSIONS = IMAGE_EXTENSIONS - {".pbm"}  # PBM holds 1-bit images only
MODES = ("gray", "rgb")


class ImageWarning(UserWarning):
    """An image was converted on reading (16-bit, palette, opaque alpha...)."""


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


DEFAULT_MAX_PIXELS = 30_000_000
# --max-pixels: larger images are refused before they are decoded; the limit of the work in
# a `with pixel_limit(n):` block (the command line's), else the default. Never set globally.
_MAX_PIXELS = ContextVar("max_pixels", default=DEFAULT_MAX_PIXELS)
Image.MAX_IMAGE_PIXELS = None  # Pillow's own bomb check is replaced by max_pixels()


def max_pixels() -> int:
    """The most pixels an image (or a secret a message claims) may have here."""
    return _MAX_PIXELS.get()


@contextmanager
def pixel_limit(n: int):
    """max_pixels() is n for the work inside the block (processes forked in it too)."""
    token = _MAX_PIXELS.set(n)
    try:
        yield
    finally:
        _MAX_PIXELS.reset(token)


def _open(path: Path, limit: int | None = None) -> Image.Image:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    limit = max_pixels() if limit is None else limit
    try:
        img = Image.open(path)  # reads the header only
        if img.width * img.height > limit:
            raise InputError(f"{path}: {img.width}x{img.height} is more than --max-pixels "
                             f"{limit:,} pixels")
        img.load()
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image file") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: corrupt or truncated image ({exc})") from None
    return img


def _upright(img: Image.Image) -> Image.Image:
    """The image as viewers show it: its EXIF orientation applied (a phone photo taken on its
    side). A stego is written without EXIF, so it is shown as its cover was."""
    try:
        turn = img.getexif().get(ExifTags.Base.Orientation, 1)
    except (OSError, SyntaxError, ValueError, TypeError):  # unreadable EXIF: taken as upright
        return img
    return img if turn == 1 else ImageOps.exif_transpose(img)


def _to_8bit(img: Image.Image, path: Path) -> Image.Image:
    """Bring any PIL mode to 'L' or 'RGB', warning about lossy conversions."""
    mode = img.mode
    if mode in ("L", "RGB"):
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return Image.fromarray(_gray_to_8bit(np.asarray(img), mode, path), "L")
    if mode == "1":
        warnings.warn(f"{path}: 1-bit image read as 8-bit gray", ImageWarning)
        return img.convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in img.info
        img = img.convert("RGBA" if has_alpha else "RGB")
        warnings.warn(f"{path}: palette image expanded to {img.mode}", ImageWarning)
        return _to_8bit(img, path)
    if mode in ("RGBA", "LA"):
        alpha = np.asarray(img.getchannel("A"))
        if alpha.min() < 255:
            raise InputError(f"{path}: image has a transparent alpha channel "
                             "(pixels under transparency cannot carry a stego); "
                             "flatten it first")
        warnings.warn(f"{path}: opaque alpha channel dropped", ImageWarning)
        return img.convert(mode[:-1])
    if mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return img.convert("RGB")
    raise InputError(f"{path}: unsupported image mode {mode!r}")


def _gray_to_8bit(arr: np.ndarray, mode: str, path: Path) -> np.ndarray:
    """A 16-bit, 32-bit integer or float gray image as uint8: values within 0..255 read as
    they are (8-bit data in a wider file), integers up to 65535 as 16-bit data (the high byte
    kept); anything else (negative, larger, fractional) is refused, not guessed at."""
    what = {"I": "32-bit integer", "F": "32-bit float"}.get(mode, "16-bit")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise InputError(f"{path}: {what} image has values that are not numbers")
    lo, hi = (arr.min(), arr.max()) if arr.size else (0, 0)
    if arr.dtype.kind == "f" and (arr != np.round(arr)).any():
        raise InputError(f"{path}: {what} image has fractional values ({lo:g}..{hi:g}); "
                         "save it as an 8-bit image first")
    if lo < 0 or hi > 65535:
        raise InputError(f"{path}: {what} image has values {lo:g}..{hi:g}, outside "
                         "0..65535; save it as an 8-bit image first")
    if hi <= 255:
        warnings.warn(f"{path}: {what} image with values {lo:g}..{hi:g} read as 8-bit "
                      "(values unchanged)", ImageWarning)
        return arr.astype(np.uint8)
    warnings.warn(f"{path}: {what} image with values {lo:g}..{hi:g} reduced to 8 bits as "
                  "16-bit data (high byte kept)", ImageWarning)
    return (arr.astype(np.int64) >> 8).astype(np.uint8)


def read_image(path, mode: str | None = None, convert: bool = False,
               max_pixels: int | None = None) -> np.ndarray:
    """Read an image file as uint8: (H, W) for gray, (H, W, 3) for RGB.

    The EXIF orientation, if any, is applied. mode None keeps the file's own mode. With
    mode set, a file of the other mode is refused unless convert is True (RGB -> gray uses
    ITU-R 601 luma; gray -> RGB repeats the channel). A file of more than max_pixels pixels
    (None: max_pixels(), --max-pixels) is refused before it is decoded.
    """
    path = Path(path)
    if mode not in (None, *MODES):
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    img = _to_8bit(_upright(_open(path, max_pixels)), path)
    have = "gray" if img.mode == "L" else "rgb"
    if mode == "gray" and have == "rgb":
        arr = np.asarray(img)
        if (arr[..., 0] == arr[..., 1]).all() and (arr[..., 0] == arr[..., 2]).all():
            return arr[..., 0].copy()  # gray stored as RGB (WebP does this): exact
    if mode is not None and have != mode:
        if not convert:
            raise InputError(f"{path}: image is {have}, but {mode} was asked")
        img = img.convert("L" if mode == "gray" else "RGB")
    return np.array(img, dtype=np.uint8)


def mode_of(channels: int) -> str:
    """'gray' for 1 channel, 'rgb' for 3."""
    return "gray" if channels == 1 else "rgb"


def natural_mode(arr: np.ndarray) -> str:
    """'gray' for a gray array or an RGB one whose channels are equal (how WebP and a gray
    GIF store gray), else 'rgb'."""
    if arr.ndim == 2:
        return "gray"
    return "gray" if (arr[..., 0] == arr[..., 1]).all() and (arr[..., 0] == arr[..., 2]).all() \
        else "rgb"


def image_mode(arr: np.ndarray) -> str:
    if arr.ndim == 2:
        return "gray"
    if arr.ndim == 3 and arr.shape[2] == 3:
        return "rgb"
    raise ValueError(f"not a gray or RGB image array: shape {arr.shape}")


PNG_LEVEL = 4  # zlib's: half the CPU of its default 6, files no larger (a 2560x1600 stego:
# 1.1 s, not 2.3, and 0.7% smaller; level 1 would take 0.5 s but 15% more bytes)


def write_image(path, arr: np.ndarray, allow_lossy: bool = False) -> Path:
    """Write a uint8 image atomically (temporary file in the same folder, then rename).

    Lossy formats are refused unless allow_lossy: JPEG destroys a hidden image.
    WebP is always written lossless.
    """
    path = Path(path)
    arr = np.asarray(arr)
    if arr.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {arr.dtype}")
    image_mode(arr)
    ext = path.suffix.lower()
    if ext not in WRITABLE_EXTENSIONS:
        raise InputError(f"{path}: cannot write {ext or '(no extension)'!r} images; use .png")
    if ext in LOSSY_EXTENSIONS and not allow_lossy:
        raise InputError(f"{path}: refusing to write a stego as lossy {ext}: "
                         "lossy saving destroys the hidden image (use .png, or force it)")
    output_file(path)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".pgm": "PPM", ".ppm": "PPM", ".pnm": "PPM",
           ".tif": "TIFF", ".tiff": "TIFF"}.get(ext, ext[1:].upper())
    opts = {"lossless": True} if fmt == "WEBP" else {}
    if fmt == "JPEG":
        opts = {"quality": 95}
    if fmt == "PNG":
        opts = {"compress_level": PNG_LEVEL}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        Image.fromarray(arr).save(fh, format=fmt, **opts)
    return path


def to_tensor(arr):
    """uint8 (H, W) / (H, W, C) / (N, H, W[, C]) array -> float32 NCHW tensor in [0, 1]."""
    import torch

    a = np.asarray(arr)
    if a.dtype != np.uint8:
        raise ValueError(f"expected uint8, got {a.dtype}")
    if a.ndim == 2:
        a = a[None, :, :, None]
    elif a.ndim == 3:
        a = a[None] if a.shape[2] == 3 else a[..., None]
    a = np.ascontiguousarray(a)
    if not a.flags.writeable:  # torch warns on read-only memory (an image straight from Pillow)
        a = a.copy()
    t = torch.from_numpy(a).permute(0, 3, 1, 2)
    return t.float().div_(255.0).contiguous()


def from_tensor(t) -> np.ndarray:
    """float NCHW tensor in [0, 1] -> uint8 (N, H, W) or (N, H, W, 3), rounded to nearest."""
    import torch

    q = torch.round(t.detach().float().clamp(0, 1) * 255).to(torch.uint8).cpu()
    q = q.permute(0, 2, 3, 1).numpy()
    return q[..., 0] if q.shape[3] == 1 else q
