"""Files: atomic writes (a temporary file or folder renamed into place when complete), the
cache folder. Every output advstego writes goes through one of these."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it replaces `path`, else it is removed."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text_atomic(path, text: str) -> Path:
    """Write a text file atomically (CSV, JSON, HTML)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: output folder does not exist")
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write(text)
    return path


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write a binary file atomically (a revealed file)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return path


@contextmanager
def atomic_folder(folder):
    """Yield an empty FOLDER.partial to fill; on success it replaces folder (a killed run
    leaves only the .partial, which the next run clears)."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    yield tmp
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def cache_dir() -> Path:
    base = os.environ.get("ADVSTEGO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "advstego")
    return Path(base)
