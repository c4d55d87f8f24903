"""Files: atomic writes (a temporary file or folder renamed into place when complete), the
cache folder. Every output advstego writes goes through one of these."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError


def renamed(exc, tmp, real):
    """The error with the temporary path tmp (and what lies under it) named as the user's
    path real: an error never names a hidden temporary file."""
    tmp, real = str(tmp), str(real)

    def fix(name):
        if isinstance(name, str) and (name == tmp or name.startswith(tmp + os.sep)):
            return real + name[len(tmp):]
        return name

    if isinstance(exc, OSError):
        exc.filename, exc.filename2 = fix(exc.filename), fix(exc.filename2)
    elif exc.args and isinstance(exc.args[0], str) and tmp in exc.args[0]:
        exc.args = (exc.args[0].replace(tmp, real), *exc.args[1:])
    return exc


def _short(name: str, most: int = 100) -> str:
    """The name's first `most` bytes: a temporary name stays short of the 255-byte limit."""
    return os.fsdecode(os.fsencode(name)[:most])


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it replaces `path`, else it is removed."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{_short(path.name)}.", suffix=".tmp",
                                   dir=path.parent)
    except OSError as exc:  # the temporary name is never shown: the output is
        exc.filename, exc.filename2 = str(path), None
        raise
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except (OSError, InputError) as exc:
        raise renamed(exc, tmp, path)
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


def temp_folder(beside, tag: str = "") -> Path:
    """A new hidden folder beside `beside` (on its file system, to be renamed into place),
    its name short of the 255-byte limit; an error in making it names `beside`."""
    beside = Path(beside)
    try:
        return Path(tempfile.mkdtemp(prefix=f".{_short(beside.name)}.{tag}", dir=beside.parent))
    except OSError as exc:
        exc.filename = str(beside)
        raise


@contextmanager
def atomic_folder(folder):
    """Yield an empty FOLDER.partial to fill; on success it replaces folder (a killed run
    leaves only the .partial, which the next run clears)."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    except (OSError, InputError) as exc:
        raise renamed(exc, tmp, folder)


def cache_dir() -> Path:
    base = os.environ.get("ADVSTEGO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "advstego")
    return Path(base)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def file_to_hide(path) -> Path:
    """A file to hide: a regular file (not a folder, FIFO or device) whose name can travel in
    a stego (UTF-8, at most 255 bytes); InputError saying what it is otherwise."""
    if "\0" in os.fsdecode(path):
        raise InputError(f"{os.fsdecode(path)!r}: a file name cannot hold a NUL byte")
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: {'a broken link' if path.is_symlink() else 'no such file'}"
                         ) from None
    except OSError as exc:  # a folder on the way that cannot be read, a loop of links
        raise InputError(f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        what = next((w for test, w in _KINDS if test(mode)), "a special file")
        raise InputError(f"{path}: is {what}, not a file to hide")
    try:
        size = len(path.name.encode("utf-8"))
    except UnicodeEncodeError:
        raise InputError(f"{path}: the file name is not UTF-8; rename the file (its name "
                         "travels in the stego)") from None
    if size > 255:
        raise InputError(f"{path}: the file name is {size} bytes, at most 255 travel")
    return path


def hidden_file_name(name: str) -> str:
    """The name a revealed file takes in a folder: the last part of its hidden name, which
    must name a file ('', '.', '..' or a NUL byte do not)."""
    base = name.rsplit("/", 1)[-1]
    if base in ("", ".", "..") or "\0" in base:
        raise InputError(f"the hidden file's name {name!r} cannot name a file in a folder; "
                         "give -o a file path")
    return base



def read_json(path, what: str = "JSON file", most_bytes: int = 10 ** 7, deepest: int = 64):
    """The JSON of a file advstego reads but does not trust (a config, a run's records): one
    InputError where it cannot be read, is larger than most_bytes, or fails parse_json (what
    it holds is the caller's to check)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(most_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    if len(data) > most_bytes:
        raise InputError(f"{path}: not a {what} (larger than {most_bytes} bytes)")
    return parse_json(data, path, what, deepest)


def parse_json(data, where, what: str = "JSON", deepest: int = 64):
    """JSON text (str or bytes) from outside: one InputError where it is not JSON or nests
    deeper than `deepest` (deeper would overflow the recursion of the parser or its readers)."""
    import json

    try:
        value = json.loads(data)
    except RecursionError:
        raise InputError(f"{where}: not a {what} (JSON nested too deeply)") from None
    except ValueError as exc:  # a decoding error too
        raise InputError(f"{where}: not a valid {what} ({str(exc).splitlines()[0][:80]})"
                         ) from None
    todo = [(value, 1)]
    while todo:
        v, depth = todo.pop()
        if isinstance(v, (dict, list)):
            if depth > deepest:
                raise InputError(f"{where}: not a {what} (JSON nested deeper than {deepest})")
            todo.extend((x, depth + 1) for x in (v.values() if isinstance(v, dict) else v))
    return value
