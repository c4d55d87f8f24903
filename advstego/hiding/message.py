"""The message an STC stego carries: a compressed image or a file, sealed with the shared key.

Version 3 (written): b"AS", 3, a 16-byte salt, then AES-256-GCM (the `cryptography` library) of
(kind, codec, height, width, channels, name length, name, data) with b"AS\\x03" as associated
data. Key and nonce come from HKDF-SHA256 of the key's master secret (base.master_key: one
scrypt of the key, which also gives the stego's order and seeds) with the salt. The salt is
an HMAC of the plaintext under the master: the same secret and key give the same stego
(reproducible experiments), a nonce is never reused for two plaintexts, and nothing about a
guessed key can be checked without its scrypt. A wrong key or a changed bit fails the tag:
reported, never guessed.
Version 2 (read only): the same with key and nonce from scrypt(key, salt, n=2^14, r=8, p=1)
(n=2 for the public default key) and a salt hashed from the key and plaintext.
Version 1 (read only, stegos written before): b"AS", 1, codec, height, width, channels,
length, CRC32, data.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

from ..errors import InputError
from .base import DEFAULT_KEY, derived, master_key

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
    authentic: bool = True  # its key checked by an AEAD tag (versions 2-3), not a CRC (1)


class NoMessage(InputError):
    """No advstego message under this key."""


def malformed(what: str) -> InputError:
    """An authentic message (it opened with the key) whose contents this version cannot
    read: never blamed on the key."""
    return InputError(f"the message opens with this key, so it is authentic, but it is "
                      f"malformed ({what}): it may come from a newer advstego version")


def _keys(key: str, salt: bytes, version: int) -> tuple[bytes, bytes]:
    """AES key and nonce of a version-3 message (HKDF of the master) or a version-2 one."""
    if version == 3:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        k = HKDF(hashes.SHA256(), 44, salt, b"advstego message 3").derive(master_key(key))
    else:
        n = 2 if key == DEFAULT_KEY else 1 << 14
        k = hashlib.scrypt(key.encode(), salt=salt, n=n, r=8, p=1, maxmem=64 << 20, dklen=44)
    return k[:32], k[32:]


def seal(p: Payload, key: str) -> bytes:
    """The version-3 message of a payload."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    name = p.name.encode()
    if len(name) > 255:
        raise InputError(f"file name {p.name[:40]!r}...: at most 255 bytes")
    plain = INNER.pack(p.kind, p.codec, p.height, p.width, p.channels, len(name)) + name + p.data
    head = MAGIC + b"\x03"
    salt = derived(master_key(key), "salt", plain)[:SALT]
    k, nonce = _keys(key, salt, 3)
    return head + salt + AESGCM(k).encrypt(nonce, plain, head)


def unseal(message: bytes, key: str, versions=(1, 2, 3)) -> Payload:
    """The payload of a message of one of these versions; NoMessage when there is none."""
    none = NoMessage("no advstego message found in this image (wrong --key, or not a "
                     "--method stc stego)")
    if len(message) < 3 or message[:2] != MAGIC or message[2] not in versions:
        raise none
    if message[2] == 1:
        if len(message) < V1.size:
            raise none
        _, _, codec, h, w, chans, length, crc = V1.unpack(message[:V1.size])
        data = message[V1.size:]
        if length != len(data) or zlib.crc32(data) != crc:
            raise none
        return Payload(data, IMAGE, codec, h, w, chans, authentic=False)
    if message[2] not in (2, 3) or len(message) < OVERHEAD:
        raise none
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    head, salt, sealed = message[:3], message[3:3 + SALT], message[3 + SALT:]
    k, nonce = _keys(key, salt, message[2])
    try:
        plain = AESGCM(k).decrypt(nonce, sealed, head)
    except InvalidTag:
        raise NoMessage("the message does not open with this --key (wrong key, or the stego "
                        "was changed)") from None
    kind, codec, h, w, chans, n = INNER.unpack(plain[:INNER.size])
    try:
        name = plain[INNER.size:INNER.size + n].decode()
    except UnicodeDecodeError:
        raise malformed("a file name that is not UTF-8") from None
    return Payload(plain[INNER.size + n:], kind, codec, h, w, chans, name)
