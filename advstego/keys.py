"""Where a shared key comes from: --key K, --key-file F, the ADVSTEGO_KEY variable, or a prompt
(--key -). A key given as --key K shows in /proc/PID/cmdline and the shell history; the
others keep it off both. The first that is given wins, in that order; none: the caller's
public default key (with its warning)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import InputError

ENV = "ADVSTEGO_KEY"
ASK = "-"  # --key -: ask for it
MAX_FILE = 64 << 10  # a key file is a line of text, not a document


def read_key_file(path) -> str:
    """The key in a file: its text, less one trailing newline; an empty one is refused."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE:
            raise InputError(f"--key-file {path}: more than {MAX_FILE // 1024} KiB; a key file "
                             "holds the key only")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"--key-file {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"--key-file {path}: a folder, not a file") from None
    try:
        key = data.decode()
    except UnicodeDecodeError:
        raise InputError(f"--key-file {path}: not UTF-8 text") from None
    key = key[:-2] if key.endswith("\r\n") else key[:-1] if key.endswith("\n") else key
    if not key:
        raise InputError(f"--key-file {path}: empty; it should hold the key")
    return key


def ask_key(prompt: str = "advstego: key: ") -> str:
    """The key typed at the terminal (not echoed), or one line of standard input."""
    import getpass

    try:
        if can_ask():
            key = getpass.getpass(prompt)
        else:
            key = (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")
    except EOFError:
        key = ""
    if not key:
        raise InputError("no key given at the prompt")
    return key


def resolve_key(given: str | None, key_file=None, environ=None) -> tuple[str | None, str]:
    """(key, where it came from): --key (- asks), --key-file, ADVSTEGO_KEY; (None, "default")
    when none is given."""
    environ = os.environ if environ is None else environ
    if given is not None and key_file is not None:
        raise InputError("--key and --key-file: give one of them")
    if given == ASK:
        return ask_key(), "the prompt"
    if given is not None:
        if not given:
            raise InputError("--key '': give a non-empty key")
        return given, "--key"
    if key_file is not None:
        return read_key_file(key_file), "--key-file"
    if ENV in environ:
        if not environ[ENV]:
            raise InputError(f"{ENV} is set but empty: unset it or give it the key")
        return environ[ENV], ENV
    return None, "default"


def can_ask() -> bool:
    """Whether a person can be asked for a key (standard input is a terminal)."""
    return sys.stdin is not None and sys.stdin.isatty()
