"""The message an STC stego carries: a compressed image or a file, sealed with the shared key.

Version 2 (written): b"AS", 2, a 16-byte salt, then AES-256-GCM (the `cryptography` library) of
(kind, codec, height, width, channels, name length, name, data) with b"AS\\x02" as associated
data. Key and nonce come from scrypt(key, salt, n=2^14, r=8, p=1); the public default key
uses n=2 (nothing to stretch). The salt is a hash of the key and the plaintext: the same
secret and key give the same stego (reproducible experiments), and a nonce is never reused
for two plaintexts. A wrong key or a changed bit fails the tag: reported, never guessed.
Version 1 (read only, stegos written before): b"AS", 1, codec, height, width, channels,
length, CRC32, data.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

from ..errors import InputError
from .base import DEFAULT_KEY

MAGIC = b"AS"
V1 = struct.Struct(">2sBBHHBxII")  # magic, version, codec, height, width, channels, length, crc
INNER = struct.Struct(">BBHHBB")  # kind, codec, height, width, channels, name length
SALT, TAG = 16, 16
OVERHEAD = 3 + SALT + TAG + INNER.size  # bytes a sealed message adds to its data (+ name)
IMAGE, FILE = 1, 2


@dataclass
class Payload:
    """What was hidden: an image (codec id, size, channels) or a file (its name)."""
    data: bytes
    kind: int = IMAGE
    codec: int = 0
    height: int = 0
    width: int = 0
    channels: int = 0
    name: str = ""


class NoMessage(InputError):
    """No advstego message under this key."""


def _keys(key: str, salt: bytes) -> tuple[bytes, bytes]:
    n = 2 if key == DEFAULT_KEY else 1 << 14
    k = hashlib.scrypt(str(key).encode(), salt=salt, n=n, r=8, p=1, maxmem=64 << 20, dklen=44)
    return k[:32], k[32:]


def seal(p: Payload, key: str) -> bytes:
    """The version-2 message of a payload."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    name = p.name.encode()
    if len(name) > 255:
        raise InputError(f"file name {p.name[:40]!r}...: at most 255 bytes")
    plain = INNER.pack(p.kind, p.codec, p.height, p.width, p.channels, len(name)) + name + p.data
    head = MAGIC + b"\x02"
    salt = hashlib.sha256(b"advstego-salt" + str(key).encode() + b"\0" + plain).digest()[:SALT]
    k, nonce = _keys(key, salt)
    return head + salt + AESGCM(k).encrypt(nonce, plain, head)


def unseal(message: bytes, key: str) -> Payload:
    """The payload of a message (version 1 or 2); NoMessage when there is none."""
    none = NoMessage("no advstego message found in this image (wrong --key, or not a "
                     "--method stc stego)")
    if len(message) < 3 or message[:2] != MAGIC:
        raise none
    if message[2] == 1:
        if len(message) < V1.size:
            raise none
        _, _, codec, h, w, chans, length, crc = V1.unpack(message[:V1.size])
        data = message[V1.size:]
        if length != len(data) or zlib.crc32(data) != crc:
            raise none
        return Payload(data, IMAGE, codec, h, w, chans)
    if message[2] != 2 or len(message) < OVERHEAD:
        raise none
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    head, salt, sealed = message[:3], message[3:3 + SALT], message[3 + SALT:]
    k, nonce = _keys(key, salt)
    try:
        plain = AESGCM(k).decrypt(nonce, sealed, head)
    except InvalidTag:
        raise NoMessage("the message does not open with this --key (wrong key, or the stego "
                        "was changed)") from None
    kind, codec, h, w, chans, n = INNER.unpack(plain[:INNER.size])
    try:
        name = plain[INNER.size:INNER.size + n].decode()
    except UnicodeDecodeError:
        raise none from None
    return Payload(plain[INNER.size + n:], kind, codec, h, w, chans, name)
