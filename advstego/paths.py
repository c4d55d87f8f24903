"""User paths checked in one place: a path named inside a corpus (which may come from
someone else) must stay inside it; an output must be what the command writes."""

from __future__ import annotations

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


def output_file(out) -> Path:
    """An output file in an existing folder; an existing folder of that name is refused."""
    out = Path(out)
    if out.is_dir():
        raise InputError(f"{out}: is a folder, not a file")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: output folder does not exist")
    return out


def not_an_input(out, *inputs) -> None:
    """Refuse an output that is one of the command's inputs (links resolved), or a folder
    that holds one: writing it would destroy what is being read."""
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
        if out.resolve() != src.resolve() and contains(out, src) and out.is_dir():
            raise InputError(f"{out}: the output folder holds an input ({src}); "
                             "choose another path")


def contains(folder, path) -> bool:
    """Whether path is folder or inside it (links resolved)."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


MARKER = ".advstego-run.json"


def claim_run_folder(out, kind: str, settings: dict, force: bool = False) -> Path:
    """Make `out` the run folder of one command with these settings.

    An empty or new folder is claimed; a folder claimed before with the same settings is
    reused (the command resumes); other settings, or a non-empty folder advstego did not
    make, are refused — with force, only a folder advstego made is taken over.
    """
    import json

    out = output_folder(out)
    marker = out / MARKER
    want = json.loads(json.dumps({"command": kind, "settings": settings}, default=str))
    if marker.is_file():
        try:
            have = json.loads(marker.read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            have = None
        if have != want and not force:
            raise InputError(f"{out}: holds {_a((have or {}).get('command', 'advstego'))} run "
                             "with other settings; use another --out, or --force to replace it")
    elif out.exists() and any(p.name != LOCK for p in out.iterdir()):
        raise InputError(f"{out}: not empty and not an advstego run folder; use another --out")
    out.mkdir(parents=True, exist_ok=True)
    lock(out)
    from .files import write_text_atomic
    write_text_atomic(marker, json.dumps(want, sort_keys=True, default=str))
    return out


def _a(word) -> str:
    """'a harden', 'an embed'."""
    return f"{'an' if str(word)[:1] in 'aeiou' else 'a'} {word}"


LOCK = ".advstego-lock"
_held: dict = {}  # folder -> open lock file, held until release_locks (the command's end)


def lock(folder) -> None:
    """Hold an exclusive lock on a run folder (fcntl.flock): a second command on the same
    folder is refused at its start instead of deleting the first one's partial work."""
    import fcntl

    key = str(Path(folder).resolve())
    if key in _held:
        return
    fh = open(Path(folder) / LOCK, "a")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise InputError(f"{folder}: another advstego command is running in this folder; wait "
                         "for it, or use another --out") from None
    _held[key] = fh


def release_locks() -> None:
    for fh in _held.values():
        fh.close()
    _held.clear()
