"""Outputs and folders: no command writes over an input or inside an input folder, a failed
command leaves no folder it claimed, two commands never share an output folder, and errors
name the user's paths."""

import errno
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from advstego.errors import InputError
from advstego.images import write_image
from conftest import assert_clean_error, textured


def _sum(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder):
    return {str(p.relative_to(folder)): _sum(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _images(folder, n=4, size=32, seed=0):
    """n small gray images in folder (made)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        write_image(folder / f"{i}.png", textured(rng, size, size))
    return folder


def _corpus_like(folder):
    """A folder that looks like a corpus: images/ and a manifest (its bytes checked)."""
    _images(folder / "images", 2)
    (folder / "manifest.json").write_text(json.dumps({
        "advstego": "test", "stage": "data prepare", "size": 32, "mode": "gray",
        "images": [{"file": f"images/{i}.png", "split": "train"} for i in range(2)],
        "pairs": {"train": [["images/0.png", "images/1.png"]]}}))
    return folder


def test_an_output_that_is_an_input_is_refused(tmp_path, cli, pair, detector_file):
    cover, secret = pair
    before = {p: _sum(p) for p in pair}
    (tmp_path / "link.png").symlink_to(cover)
    for out in (cover, secret, tmp_path / "link.png"):
        r = cli("hide", "--cover", cover, "--secret", secret, "-o", out, "--key", "k")
        assert_clean_error(r, "also an input")
    assert {p: _sum(p) for p in pair} == before
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png", "--key", "k")
    assert r.returncode == 0, r.stderr
    stego_sum = _sum(tmp_path / "s.png")
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "s.png", "--key", "k")
    assert_clean_error(r, "also an input")
    assert _sum(tmp_path / "s.png") == stego_sum
    det = _sum(detector_file)
    stegos = tmp_path / "st"
    stegos.mkdir()
    write_image(stegos / "a.png", textured(np.random.default_rng(1), 32, 32))
    r = cli("detect", "test", "--detector", detector_file, "--covers", stegos, "--stegos", stegos,
            "--split", "all", "--csv", detector_file)
    assert_clean_error(r, "also an input")
    assert _sum(detector_file) == det
    r = cli("embed", "--method", "wow", "--in", stegos, "--out", stegos, "--force")
    assert_clean_error(r, "also an input")


def test_an_output_inside_an_input_folder_is_refused(tmp_path, cli):
    corpus, stegos = _corpus_like(tmp_path / "corpus"), _images(tmp_path / "stegos" / "images", 2)
    stegos = stegos.parent
    (tmp_path / "det.safetensors").write_bytes(b"not read: the output is checked first")
    (tmp_path / "link").symlink_to(corpus)
    before = _tree(tmp_path)
    det = tmp_path / "det.safetensors"
    for args in (
            ["detect", "test", "--detector", det, "--covers", corpus, "--stegos", stegos,
             "--csv", corpus / "manifest.json"],
            ["detect", "test", "--detector", det, "--covers", corpus, "--stegos", stegos,
             "--csv", tmp_path / "link" / "scores.csv"],  # through a link
            ["detect", "train", "--detector", "xunet", "--covers", corpus, "--stegos", stegos,
             "-o", stegos / "images" / "x.png"],
            ["embed", "--method", "wow", "--in", corpus, "--out", corpus / "stegos"],
            ["attack", "fgsm", "--detector", det, "--in", stegos, "--out", stegos / "attacked"],
            ["train", "--data", corpus, "--out", corpus / "run"],
            ["harden", "--data", corpus, "--out", corpus / "run"],
            ["evaluate", "--data", corpus, "--out", corpus / "run"],
            ["data", "prepare", "--source", stegos, "--size", "32", "--out", stegos / "c"],
            ["experiment", "tiny", "--root", corpus, "--out", corpus / "run"]):
        r = cli(*args)
        assert_clean_error(r, "inside an input folder")
    assert _tree(tmp_path) == before  # nothing written, nothing made


def test_a_trailing_slash_never_becomes_a_file(tmp_path, cli, pair):
    cover, secret = pair
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png", "--key", "k")
    assert r.returncode == 0, r.stderr
    before = set(tmp_path.iterdir())
    r = cli("reveal", tmp_path / "s.png", "-o", f"{tmp_path / 'no' / 'newdir'}/", "--key", "k")
    assert_clean_error(r, "output folder does not exist")
    r = cli("reveal", tmp_path / "s.png", "-o", f"{tmp_path / 'newdir'}/", "--key", "wrong")
    assert_clean_error(r, "no advstego message")  # so no folder made
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", f"{tmp_path / 'new'}/",
            "--key", "k")
    assert_clean_error(r, "names a folder")
    r = cli("detect", "test", "--detector", tmp_path / "s.png", "--covers", tmp_path / "c",
            "--stegos", tmp_path / "c", "--csv", f"{tmp_path / 'scores'}/")
    assert_clean_error(r, "names a folder")
    assert set(tmp_path.iterdir()) == before
    # a folder, made if it ends with a slash: the secret goes into it, never over a file
    r = cli("reveal", tmp_path / "s.png", "-o", f"{tmp_path / 'out'}/", "--key", "k")
    assert r.returncode == 0, r.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["s-secret.png"]
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "out", "--key", "k")
    assert_clean_error(r, "s-secret.png", "exists")


def test_a_failed_command_leaves_no_claimed_folder(tmp_path, cli):
    from advstego.paths import claim_run_folder, release_locks

    r = cli("harden", "--data", tmp_path / "typo", "--out", tmp_path / "run")
    assert_clean_error(r, "typo")
    r = cli("train", "--data", tmp_path / "typo", "--preset", "bogus", "--out",
            tmp_path / "new" / "run")
    assert_clean_error(r, "bogus")
    r = cli("train", "--data", tmp_path / "typo", "--out", tmp_path / "new" / "run")
    assert_clean_error(r, "typo")
    # a bad input found after the claim: the folder (and the parent it made) goes too
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.png").write_text("not an image")
    r = cli("embed", "--method", "wow", "--in", bad, "--out", tmp_path / "new" / "stegos")
    assert_clean_error(r, "a.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]
    # a command without --force is never told to use it
    claim_run_folder(tmp_path / "h", "harden", {"rounds": 1})
    release_locks()
    with pytest.raises(InputError, match="other settings; use another --out$"):
        claim_run_folder(tmp_path / "h", "harden", {"rounds": 2, "seed": 1})
    release_locks()


def test_concurrent_prepares_of_one_folder(tmp_path, cli):
    src, out = _images(tmp_path / "photos", 2, 64), tmp_path / "corpus"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import time\n"
        "import advstego.data.prepare as P\n"
        "from advstego.data.sources import photos_for\n"
        "def slow(items, **kw):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
        "    yield from items\n"
        "P.progress = slow\n"
        f"P.prepare(photos_for({str(src)!r}), P.PrepareConfig(size=32, mode='gray'), "
        f"{str(out)!r})\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out)
        assert_clean_error(r, "corpus", "another advstego command")
        r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out,
                "--force")
        assert_clean_error(r, "another advstego command")
    finally:
        holder.kill()
        holder.wait()
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out)
    assert r.returncode == 0, r.stderr  # free once the first one ended
    assert sorted(p.name for p in out.iterdir()) == ["images", "manifest.json"]  # no lock file


def test_force_replaces_only_what_prepare_wrote(tmp_path, cli):
    src, out = _images(tmp_path / "photos", 2, 64), tmp_path / "corpus"
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out)
    assert r.returncode == 0, r.stderr
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out)
    assert_clean_error(r, "holds a corpus already", "--force")
    for name in ("notes.txt", "results/table.csv"):
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_text("the user's own")
    before = _tree(out)
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out, "--force")
    assert_clean_error(r, "--force would delete", "notes.txt", "results")
    assert _tree(out) == before
    (out / "notes.txt").unlink()
    (out / "results" / "table.csv").unlink()
    (out / "results").rmdir()
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out,
            "--force", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "manifest.json").read_text())["config"]["seed"] == 1


def test_embed_force_replaces_the_earlier_stegos(tmp_path, cli):
    """--force with other settings deletes the earlier run's stegos before the new run (none
    is kept and relabelled); a file the run did not write, or another command's run, is
    refused."""
    from advstego.images import read_image

    src, out = _images(tmp_path / "covers", 3), tmp_path / "st"
    r = cli("embed", "--method", "suniward", "--in", src, "--out", out, "--workers", "1")
    assert r.returncode == 0, r.stderr
    old = {p.name: read_image(p) for p in out.glob("*.png")}
    r = cli("embed", "--method", "wow", "--in", src, "--out", out, "--workers", "1", "--force")
    assert r.returncode == 0 and "made before" not in r.stdout, (r.stdout, r.stderr)
    assert all(not np.array_equal(read_image(out / n), x) for n, x in old.items())
    (out / "notes.txt").write_text("the user's own")
    before = _tree(out)
    r = cli("embed", "--method", "hill", "--in", src, "--out", out, "--workers", "1", "--force")
    assert_clean_error(r, "--force would delete", "notes.txt")
    assert _tree(out) == before
    run = tmp_path / "run"
    run.mkdir()
    (run / ".advstego-run.json").write_text('{"command": "harden", "settings": {}}')
    (run / "round-0.png").write_bytes(b"harden's")
    for force in ((), ("--force",)):
        r = cli("embed", "--method", "hill", "--in", src, "--out", run, *force)
        assert_clean_error(r, "holds a harden run; use another --out")
        assert "--force" not in r.stderr
    assert (run / "round-0.png").read_bytes() == b"harden's"


def test_attack_force_keeps_no_earlier_image(tmp_path, cli, detector_file):
    """attack --force with other stegos: the earlier run's attacked images are gone."""
    a, b, out = _images(tmp_path / "a", 3), _images(tmp_path / "b", 1, seed=1), tmp_path / "o"
    args = ("attack", "noise", "--levels", "1", "--detector", detector_file, "--out", out)
    r = cli(*args, "--in", a)
    assert r.returncode == 0, r.stderr
    r = cli(*args, "--in", b)
    assert_clean_error(r, "other settings", "--force")
    r = cli(*args, "--in", b, "--force")
    assert r.returncode == 0 and "1 attacked" in r.stdout, (r.stdout, r.stderr)
    assert sorted(p.name for p in out.glob("*.png")) == ["0.png"]


def test_embed_records_the_adversarys_scheme(tmp_path):
    """A strategy whose scheme changed is a run with other settings: never resumed."""
    import importlib

    from advstego.paths import release_locks

    simulate = importlib.import_module("advstego.embedding.simulate")

    class Plain:
        options = {"seed": None}
        seed = 0

        def __init__(self, scheme):
            self.scheme = scheme

        def stego(self, job):
            return job.plain, None

    src, out = _images(tmp_path / "covers", 1), tmp_path / "st"
    try:
        for scheme in ("published", "joint"):
            simulate._ADVERSARY.clear()
            if scheme == "joint":
                with pytest.raises(InputError, match="other settings"):
                    simulate.embed_folder(src, out, "wow", workers=1, wardens="w",
                                          load_adversary=lambda w: Plain(scheme))
            else:
                simulate.embed_folder(src, out, "wow", workers=1, wardens="w",
                                      load_adversary=lambda w: Plain(scheme))
            release_locks()
    finally:
        simulate._ADVERSARY.clear()
        release_locks()
    marker = json.loads((out / ".advstego-run.json").read_text())
    assert marker["settings"]["adversary"] == {"scheme": "published", "seed": 0}


def test_prepare_into_a_name_near_the_length_limit(tmp_path, cli, monkeypatch):
    """The temporary folders beside --out take a shortened name; an error making one names
    the user's --out."""
    import tempfile

    src = _images(tmp_path / "photos", 2, 64)
    out = tmp_path / ("c" * 250)
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, "photos"])

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", f"{k['dir']}/.tmp-name")
    monkeypatch.setattr(tempfile, "mkdtemp", full)
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out",
            tmp_path / "other")
    assert_clean_error(r, f"{tmp_path / 'other'}: No space left")


def test_detect_train_refuses_stegos_that_are_the_covers(tmp_path, cli):
    covers = _images(tmp_path / "covers")
    (tmp_path / "copy").mkdir()
    for p in covers.iterdir():
        (tmp_path / "copy" / p.name).write_bytes(p.read_bytes())
    for stegos, words in ((covers, ["same folder"]), (tmp_path / "copy", ["identical"])):
        r = cli("detect", "train", "--detector", "xunet", "--covers", covers, "--stegos", stegos,
                "--split", "all", "-o", tmp_path / "det.safetensors")
        assert_clean_error(r, *words)
    assert not (tmp_path / "det.safetensors").exists()


def test_detect_train_leaves_only_the_detector(tmp_path, cli):
    covers, stegos = _images(tmp_path / "covers"), _images(tmp_path / "stegos", seed=1)
    (tmp_path / "out").mkdir()
    r = cli("detect", "train", "--detector", "xunet", "--epochs", "1", "--covers", covers,
            "--stegos", stegos, "--split", "all", "-o", tmp_path / "out" / "det.safetensors")
    assert r.returncode == 0, r.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["det.safetensors"]


def test_errors_name_the_users_path_never_a_temporary_one(tmp_path, cli, pair, monkeypatch):
    cover, secret = pair
    long = tmp_path / ("n" * 300 + ".png")
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", long, "--key", "k")
    assert_clean_error(r, str(long), "name too long")
    assert ".tmp" not in r.stderr
    import advstego.data.prepare as prepare

    def full(path, *a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(prepare, "write_image", full)
    src, out = _images(tmp_path / "photos", 1, 64), tmp_path / "corpus"
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out)
    assert_clean_error(r, str(out / "images"), "No space left")
    assert ".corpus." not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cover.png", "secret.png",
                                                                 "photos"])


def test_os_errors_on_output_are_one_line(tmp_path, cli, pair):
    cover, secret = pair
    (tmp_path / "afile").write_text("x")
    for out, words in ((tmp_path / ("n" * 300 + ".png"), ["name too long"]),
                       (tmp_path / "afile" / "x.png", ["does not exist"]),
                       (tmp_path / "x.pbm", [".pbm"])):
        r = cli("hide", "--cover", cover, "--secret", secret, "-o", out, "--key", "k")
        assert_clean_error(r, *words)
    r = subprocess.run([sys.executable, "-m", "advstego", "data", "prepare", "--source",
                        "debian-photos", "--size", "32", "--out", tmp_path / "c"],
                       capture_output=True, text=True,
                       env={**os.environ, "ADVSTEGO_CACHE": str(tmp_path / "afile" / "cache")})
    assert_clean_error(r, "afile")


def test_a_closed_pipe_ends_quietly(tmp_path):
    corpus = _corpus_like(tmp_path / "corpus")
    read, write = os.pipe()
    os.close(read)  # `advstego ... | head -1` once head has gone
    try:
        r = subprocess.run([sys.executable, "-m", "advstego", "data", "info", corpus, "--json"],
                           stdout=write, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert r.stderr == ""
    assert r.returncode == 141  # as a shell shows a tool ended by SIGPIPE


def test_train_refuses_a_folder_it_did_not_make(tmp_path, cli, tiny_corpus):
    mine = tmp_path / "mine"
    mine.mkdir()
    for name in ("config.json", "model.safetensors", "log.csv"):
        (mine / name).write_text("the user's own " + name)
    r = cli("train", "--data", tiny_corpus, "--out", mine, "--max-steps", "1")
    assert_clean_error(r, "mine", "not an advstego run folder")
    assert sorted(p.name for p in mine.iterdir()) == ["config.json", "log.csv",
                                                       "model.safetensors"]
    assert (mine / "log.csv").read_text() == "the user's own log.csv"
    r = cli("demo", "--out", mine)
    assert_clean_error(r, "not an advstego run folder")


def test_a_second_command_in_a_locked_folder_is_refused(tmp_path):
    from advstego.paths import claim_run_folder, release_locks

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from advstego.paths import claim_run_folder; "
        f"claim_run_folder({str(tmp_path / 'run')!r}, 'experiment', {{}}); print('held', "
        "flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(InputError, match="another advstego command"):
            claim_run_folder(tmp_path / "run", "experiment", {})
    finally:
        holder.kill()
        holder.wait()
    claim_run_folder(tmp_path / "run", "experiment", {})  # free again once it ended
    release_locks()


def test_a_nul_in_any_path_argument_is_one_line(tmp_path, capsys):
    from advstego import cli

    assert cli.main(["hide", "--cover", "c\0.png", "--secret", "s.png", "-o",
                     str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("advstego: error: --cover: a NUL") and err.count("\n") == 1


@pytest.mark.parametrize("args,flag", [
    (["hide", "--cover", "c.png", "--file", "", "-o", "o.png", "--key", "k"], "--file ''"),
    (["hide", "--cover", "", "--secret", "s.png", "-o", "o.png", "--key", "k"], "--cover ''"),
    (["hide", "--cover", "c.png", "--secret", "s.png", "-o", "", "--key", "k"], "-o/--output ''"),
    (["reveal", "", "-o", "o.png", "--key", "k"], "stego ''"),
    (["embed", "--method", "wow", "--in", "", "--out", "o"], "--in ''"),
    (["detect", "test", "--detector", "d", "", "--covers", "c", "--stegos", "s"], "--detector ''")])
def test_an_empty_argument_is_refused_as_empty(tmp_path, cli, args, flag):
    r = cli(*args, cwd=tmp_path)
    assert_clean_error(r, flag, "empty argument names no file")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_folder_is_refused_before_any_work(tmp_path, cli, monkeypatch):
    import tempfile
    from pathlib import Path

    covers, stegos = _images(tmp_path / "c", 2), _images(tmp_path / "s", 2, seed=1)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: the folder refuses as a read-only one would
        real = tempfile.TemporaryFile

        def refuse(*a, dir=None, **k):
            if dir is not None and Path(dir) == ro:
                raise PermissionError(errno.EACCES, "Permission denied")
            return real(*a, dir=dir, **k)
        monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    r = cli("detect", "train", "--detector", "srm-fld", "--covers", covers, "--stegos", stegos,
            "--split", "all", "-o", ro / "x.safetensors")
    assert_clean_error(r, f"{ro / 'x.safetensors'}: cannot write in {ro}", "Permission denied")
    assert ".ckpt" not in r.stderr and list(ro.iterdir()) == []


def test_a_key_file_that_is_a_folder_is_said_so(tmp_path, cli, pair):
    cover, secret = pair
    for key_file, why in ((tmp_path, "a folder, not a file"), (tmp_path / "no", "no such file")):
        r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png",
                "--key-file", key_file)
        assert_clean_error(r, f"--key-file: {key_file}: {why}")
        assert "input folder" not in r.stderr
