"""What every hider offers, and the helpers they share.

hide(covers, secrets) and reveal(stegos) take and return uint8 arrays, one image
(H, W[, 3]) or a batch (N, H, W[, 3]); a stego is always an 8-bit image.
This module imports numpy only, so a hider that needs no network loads in a blink.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

from ..errors import InputError

DEFAULT_KEY = "advstego"
KEY_HELP = ("the shared key (STC; keyed hiding models); - asks for it; --key-file F or "
            "ADVSTEGO_KEY keep it off the command line")

# Format 3 (STC stegos): one scrypt of the key, with parameters the format fixes, gives a
# master secret; the order, the STC seeds and the message's AES key all come from it, so a
# guessed key is checked only after one scrypt. The salt is fixed (a per-stego salt would
# need a place the key does not choose): one scrypt per guess serves every stego. The public
# default key gets the same scrypt: one rule, paid once per process (MASTERS).
SCRYPT = {"n": 1 << 14, "r": 8, "p": 1}
KDF_SALT = b"advstego key format 3"
MASTERS: dict = {}  # key -> master: a batch or a game pays one scrypt per key


def check_key(key) -> str:
    """A shared key: a non-empty text (None or "" would be a key that means nothing)."""
    if not isinstance(key, str) or not key:
        raise InputError(f"key {key!r}: give the shared key as a non-empty text")
    return key


def kdf(secret: bytes) -> bytes:
    """The format-3 key stretching: scrypt with fixed parameters, 32 bytes."""
    return hashlib.scrypt(secret, salt=KDF_SALT, **SCRYPT, maxmem=64 << 20, dklen=32)


def master_key(key: str) -> bytes:
    """The key's master secret (one kdf, then kept for the process)."""
    key = check_key(key)
    if key not in MASTERS:
        if len(MASTERS) >= 16:
            MASTERS.pop(next(iter(MASTERS)))
        MASTERS[key] = kdf(key.encode())
    return MASTERS[key]


def derived(master: bytes, label: str, data: bytes = b"") -> bytes:
    """A secret of its own for each use of the master: HMAC-SHA256 of a label (and data)."""
    return hmac.new(master, label.encode() + b"\0" + data, hashlib.sha256).digest()


def derived_seed(master: bytes, label: str) -> int:
    return int.from_bytes(derived(master, label)[:8], "big") >> 1


def fingerprint(key: str) -> str:
    """What a run records of a key: 8 hex digits of the master (a guess costs one scrypt)."""
    return "fingerprint " + derived(master_key(key), "fingerprint").hex()[:8]


def key_seed(key: str) -> int:
    """A shared key as a 63-bit seed, unstretched: STC formats 1-2 (read only) and the keyed
    hiding models' carrier (their stegos carry no format to change it by)."""
    return int.from_bytes(hashlib.sha256(check_key(key).encode()).digest()[:8], "big") >> 1


def as_batch(x, channels: int, what: str) -> tuple[np.ndarray, bool]:
    """(N, H, W[, 3]) uint8 and whether the input was a single image."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise InputError(f"{what}: expected 8-bit images, got {x.dtype}")
    single_ndim = 2 if channels == 1 else 3
    mode = "gray" if channels == 1 else "RGB"
    bad = InputError(f"{what}: expected {mode} images, got an array of shape {x.shape}")
    if x.ndim not in (single_ndim, single_ndim + 1):
        raise bad
    if channels == 3 and x.shape[-1] != 3:
        raise bad  # 4 channels (RGBA) or 1: not what an RGB hider takes
    if channels == 1 and x.ndim == 3 and x.shape[-1] in (3, 4):
        raise InputError(f"{what}: an RGB(A) image of shape {x.shape}, but this hider takes "
                         "gray images")
    if 0 in x.shape:
        raise InputError(f"{what}: an empty image (shape {x.shape})")
    return (x[None], True) if x.ndim == single_ndim else (x, False)


def unbatch(x, single: bool):
    """Undo as_batch: one image back if one came in."""
    return x[0] if single else x


def shrink(images: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W[, C]) uint8 -> (N, size, size[, C]): the rounded mean of each f x f block."""
    n, h, w = images.shape[:3]
    if h != w or h % size:
        raise InputError(f"secret_size {size}: the images ({w}x{h}) must be square and a "
                         "multiple of it")
    f = h // size
    x = images.reshape(n, size, f, size, f, *images.shape[3:]).astype(np.float64)
    return np.clip(np.rint(x.mean((2, 4))), 0, 255).astype(np.uint8)


def enlarge(images: np.ndarray, f: int) -> np.ndarray:
    """Each pixel repeated over an f x f block."""
    return np.repeat(np.repeat(images, f, 1), f, 2)


def check_pair(covers: np.ndarray, secrets: np.ndarray, smaller_ok: bool = False):
    """Batches (N, H, W[, 3]) of one size (smaller_ok: a smaller secret too); a cover smaller
    than its secret is named as such."""
    if len(covers) != len(secrets):
        raise InputError(f"{len(covers)} covers but {len(secrets)} secrets")
    ch, cw = covers.shape[1:3]
    sh, sw = secrets.shape[1:3]
    if (sh, sw) != (ch, cw):
        if sh > ch or sw > cw:
            raise InputError(f"cover ({cw}x{ch}) is smaller than the secret ({sw}x{sh})")
        if not smaller_ok:
            raise InputError(f"secret ({sw}x{sh}) and cover ({cw}x{ch}) differ in size")


class Hider:
    """What every hiding method offers, and the capabilities it declares (False unless a
    subclass says otherwise: callers read these, they never probe)."""
    name = "hider"
    cover_channels = 1
    secret_channels = 1
    options: dict = {}  # its settings: name -> options.Option (type, default, minimum, help, choices)
    trainable = False  # an experiment row may train one (hiding/config.py)
    takes_adversarial_costs = False  # its embedding takes an Adversary's cost modulation
    any_secret_size = False  # carries a secret smaller than its cover as it is
    keyed = False  # the shared key decides what it hides (False: a key would be ignored)
    has_float_path = False  # a network: hide_float / reveal_float before 8-bit rounding
    sealed = False  # a sealed message (reveal_payload, hide_file): reveal knows it by its tag
    jpeg_files = False  # covers and stegos are JPEG files' coefficients (data/jpeg_io.Jpeg)

    def secret_view(self, secrets):
        """What a revealed secret is compared with (a smaller secret's hider: its size)."""
        return secrets

    def hide_small(self, covers, small, factor: int):
        """Batches of covers and of secrets `factor` times smaller (SmallSecret): as they are
        where the hider takes any size, else enlarged (each pixel over its block)."""
        return self.hide(covers, small if self.any_secret_size else enlarge(small, factor))

    def reveal_small(self, stegos, factor: int, size: int):
        """What hide_small hid: the revealed secret, shrunk to size x size."""
        revealed = self.reveal(stegos)
        return revealed if revealed.shape[1] == size else shrink(revealed, size)

    def hide_info(self, cover, secret) -> tuple[np.ndarray, dict]:
        """One stego and what it took (a hider that reports nothing: {})."""
        return self.hide(cover, secret), {}

    @classmethod
    def from_options(cls, settings: dict, channels: int) -> "Hider":  # pragma: no cover
        """Built from its checked settings (registry.load_hider); a hider that takes any
        secret also takes `secret_channels=`, one that takes adversarial costs `adversary=`."""
        raise NotImplementedError

    def hide(self, covers, secrets):  # pragma: no cover - interface
        raise NotImplementedError

    def reveal(self, stegos):  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> dict:
        return {"name": self.name}

    @property
    def reveal_name(self) -> str:
        """How a reveal names the method (hide-side settings may not apply)."""
        return self.name
