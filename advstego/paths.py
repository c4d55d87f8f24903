"""User paths checked in one place: a path named inside a corpus (which may come from
someone else) must stay inside it; an output must be what the command writes."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .errors import InputError


def inside(rel, root, what: str = "path") -> Path:
    """root/rel for a relative path that stays inside root (no '..', not absolute, no
    symlink leading out); anything else is refused."""
    root = Path(root)
    if not isinstance(rel, str) or not rel or "\0" in rel or "\\" in rel:
        raise InputError(f"{root}: bad {what} {rel!r}")
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts:
        raise InputError(f"{root}: {what} {rel!r} leads outside the folder")
    full = root / p
    if not contains(root, full):
        raise InputError(f"{root}: {what} {rel!r} leads outside the folder (a link)")
    return full


def output_folder(out) -> Path:
    """An output folder: it may exist (as a folder), or its parent may be made."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    return out


def names_folder(out) -> bool:
    """Whether a path names a folder: it is one, or it ends with a slash."""
    return str(out).endswith(("/", os.sep)) or Path(out).is_dir()


def into_folder(out) -> Path:
    """The folder an output names that is a folder or ends with a slash: made if missing (its
    parent must exist), and removed again, if still empty, when the command fails."""
    out = Path(out)
    if not out.is_dir():
        if not out.parent.is_dir():
            raise InputError(f"{out.parent}: output folder does not exist")
        output_folder(out)
        out.mkdir()
        _fresh.append((out, out))
    return out


def output_file(out) -> Path:
    """An output file in an existing folder; a folder (or a path ending with a slash) is
    refused: it never becomes a file."""
    if names_folder(out):
        raise InputError(f"{out}: is a folder, not a file" if Path(out).is_dir() else
                         f"{out}: names a folder (it ends with a slash); give a file path")
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: output folder does not exist")
    return out


def writable(out) -> None:
    """Refuse an output file whose folder cannot be written, before any work (a detector
    would otherwise be trained first); named as the user gave it."""
    import tempfile

    folder = Path(out).parent
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise InputError(f"{out}: cannot write in {folder} ({exc.strerror or exc})") from None


def not_an_input(out, *inputs) -> None:
    """Refuse an output that is one of the command's inputs (links resolved), a folder that
    holds one, or a path inside an input folder: writing it would destroy what is read."""
    if out is None:
        return
    out = Path(out)
    for src in inputs:
        if src is None:
            continue
        src = Path(src)
        same = out.resolve() == src.resolve()
        try:
            same = same or (out.exists() and src.exists() and out.samefile(src))
        except OSError:
            pass
        if same:
            raise InputError(f"{out}: the output is also an input ({src}); choose another path")
        if contains(out, src) and out.is_dir():
            raise InputError(f"{out}: the output folder holds an input ({src}); "
                             "choose another path")
        if contains(src, out) and src.is_dir():
            raise InputError(f"{out}: the output lies inside an input folder ({src}); "
                             "choose a path outside it")


def contains(folder, path) -> bool:
    """Whether path is folder or inside it (links resolved)."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


MARKER = ".advstego-run.json"


def claim_run_folder(out, kind: str, settings: dict, force: bool | None = None,
                     writes: tuple | None = None) -> Path:
    """Make `out` the run folder of one command with these settings.

    An empty or new folder is claimed; a folder claimed before with the same settings is
    reused (the command resumes); other settings, or a non-empty folder advstego did not
    make, are refused — with force, only a run of the same command is taken over (force
    None: the command has no --force). writes: patterns (PurePath.match) of the files the
    command writes; a forced claim with other settings deletes them first, so no file of the
    earlier run is kept, and is refused if the folder holds anything else. A folder this
    command claimed new and left holding nothing but the claim is removed if the command
    fails (release_locks).
    """
    import json

    from .files import read_json

    out = output_folder(out)
    marker = out / MARKER
    want = json.loads(json.dumps({"command": kind, "settings": settings}, default=str))
    if marker.is_file():
        try:  # unreadable, not JSON, too large or too deep: not a claim of ours
            have = read_json(marker, "run marker", 10 ** 6)
        except InputError:
            have = None
        if not isinstance(have, dict):
            have = None
        same = (have or {}).get("command") == kind  # only a run of kind may be forced
        if have != want and not (force and same):
            raise InputError(f"{out}: holds {_a((have or {}).get('command', 'advstego'))} run"
                             + (" with other settings" if same else "") + "; use another --out"
                             + (", or --force to replace it" if force is not None and same
                                else ""))
        fresh = False
    elif out.exists() and any(p.name != LOCK for p in out.iterdir()):
        raise InputError(f"{out}: not empty and not an advstego run folder; use another --out")
    else:
        fresh = True
    top = missing_top(out)
    out.mkdir(parents=True, exist_ok=True)
    lock(out)
    if fresh:
        _fresh.append((out, top))
    elif have != want:  # forced: the earlier run's files go before its marker does
        _replace_run(out, kind, writes)
    from .files import write_text_atomic
    write_text_atomic(marker, json.dumps(want, sort_keys=True, default=str))
    return out


def _replace_run(out: Path, kind: str, writes) -> None:
    """Before a forced claim of a run of the same command: delete what it wrote (the files
    matching writes); a file it does not write is refused."""
    if writes is None:
        return
    files = [Path(d) / f for d, dirs, names in os.walk(out) for f in names + [
        x for x in dirs if (Path(d) / x).is_symlink()]]
    files = [p for p in files if p.parent != out or p.name not in (MARKER, LOCK)]
    other = [p for p in files if p.is_symlink() or
             not any(p.relative_to(out).match(w) for w in writes)]
    if other:
        names = sorted(str(p.relative_to(out)) for p in other)
        raise InputError(f"{out}: --force would delete files {_a(kind)} run does not write "
                         f"({', '.join(names[:3])}{' and more' if len(names) > 3 else ''}); "
                         "move them, or use another --out")
    for p in files:
        p.unlink()
    for d, _, _ in sorted(os.walk(out), key=lambda w: -len(Path(w[0]).parts)):
        if Path(d) != out:
            Path(d).rmdir()


def missing_top(path) -> Path | None:
    """The highest folder of path (or path itself) that does not exist yet: what making it
    makes, and removing it removes; None if path exists."""
    path = Path(path).absolute()
    if path.exists():
        return None
    while not path.parent.exists() and path.parent != path:
        path = path.parent
    return path


def remove_if_unused(folder, top, keep=()) -> None:
    """Remove what a failed command left in folder when it holds nothing but the files named
    in keep (and empty folders); the folder itself and its parents up to top, if made."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    files = [p for p in folder.rglob("*") if not p.is_dir() or p.is_symlink()]
    if any(p.name not in keep or p.is_symlink() for p in files):
        return
    for p in files:
        p.unlink(missing_ok=True)
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda d: -len(d.parts)):
        d.rmdir()
    if top is None:
        return
    folder, top = folder.absolute(), Path(top)
    while True:
        try:
            folder.rmdir()
        except OSError:
            return
        if folder == top or folder.parent == folder:
            return
        folder = folder.parent


def _a(word) -> str:
    """'a harden', 'an embed'."""
    return f"{'an' if str(word)[:1] in 'aeiou' else 'a'} {word}"


LOCK = ".advstego-lock"
_held: dict = {}  # folder -> open lock file, held until release_locks (the command's end)
_fresh: list = []  # (folder, top): run folders claimed new by this command


def lock(folder) -> str:
    """Hold an exclusive lock on a run folder (fcntl.flock): a second command on the same
    folder is refused at its start instead of deleting the first one's partial work.
    Returns the key unlock takes."""
    import fcntl

    key = str(Path(folder).resolve())
    if key in _held:
        return key
    fh = open(Path(folder) / LOCK, "a")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise InputError(f"{folder}: another advstego command is running in this folder; wait "
                         "for it, or use another --out") from None
    _held[key] = fh
    return key


def unlock(key) -> None:
    fh = _held.pop(key, None)
    if fh is not None:
        fh.close()


def release_locks(failed: bool = False) -> None:
    """The command's end: locks released; if it failed, a folder it claimed new and left
    holding only the claim is removed."""
    if failed:
        for folder, top in _fresh:
            remove_if_unused(folder, top, keep=(MARKER, LOCK))
    _fresh.clear()
    for fh in _held.values():
        fh.close()
    _held.clear()
