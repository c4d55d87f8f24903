"""Bad input, picked by family, against the commands: exit 2, one line on stderr, no
traceback, and nothing outside --out changed (checksums of a sentinel tree)."""

import hashlib
import json
import os
import sys

import numpy as np
import pytest

from advstego.images import write_image
from conftest import assert_clean_error, textured


def _tree_sum(root):
    h = hashlib.sha256()
    for dirpath, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            h.update(p.encode(errors="surrogateescape"))
            h.update(open(p, "rb").read())
    return h.hexdigest()


@pytest.fixture(scope="module")
def detector_bytes(xunet_file):
    """The session's trained Xu-Net, as bytes each test writes into its own world."""
    return xunet_file.read_bytes()


@pytest.fixture
def world(tmp_path, rng, detector_bytes):
    """A victim folder beside the work, a small corpus, stegos and a detector file."""
    victim = tmp_path / "victim"
    victim.mkdir()
    write_image(victim / "v.png", textured(rng, 32, 32))
    (victim / "notes.txt").write_text("keep me")
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(4):
        write_image(photos / f"p{i}.png", textured(rng, 64, 64))
    stegos = tmp_path / "stegos"
    stegos.mkdir()
    for i in range(3):
        write_image(stegos / f"{i}.png", textured(rng, 32, 32))
    (tmp_path / "det.safetensors").write_bytes(detector_bytes)
    return tmp_path


def _evil_corpus(root, entry):
    evil = root / "evil"
    (evil / "images").mkdir(parents=True)
    write_image(evil / "images" / "a.png", np.full((32, 32), 100, np.uint8))
    m = {"advstego": "0", "stage": "data prepare", "size": 32, "mode": "gray",
         "images": [{"file": "images/a.png", "split": "train", "photo": "a"}, entry],
         "pairs": {"train": []}}
    (evil / "manifest.json").write_text(json.dumps(m))
    return evil


def _check(cli, world, args, *words, absent=()):
    before = _tree_sum(world / "victim"), _tree_sum(world / "photos")
    r = cli(*args)
    assert_clean_error(r, *words)
    assert (_tree_sum(world / "victim"), _tree_sum(world / "photos")) == before
    for p in absent:
        assert not p.exists(), p


@pytest.mark.parametrize("entry", [
    {"file": "../victim/v.png", "split": "train"},
    {"file": "/etc/hostname", "split": "train"},
    {"file": "images/../../victim/v.png", "split": "test"},
    {"file": "images/b.png"},                       # no split
    {"split": "train"},                             # no file
])
def test_manifest_paths_stay_inside_the_corpus(world, cli, entry):
    evil = _evil_corpus(world, entry)
    _check(cli, world, ["embed", "--method", "wow", "--in", evil, "--out", world / "deep" / "est"],
           "evil", absent=[world / "deep"])
    _check(cli, world, ["attack", "fgsm", "--detector", world / "det.safetensors", "--in", evil,
                        "--out", world / "w" / "x" / "y"], "evil", absent=[world / "w"])
    _check(cli, world, ["data", "info", evil], "evil")


def test_a_link_out_of_the_corpus_is_refused(world, cli):
    evil = _evil_corpus(world, {"file": "images/link.png", "split": "train"})
    os.symlink(world / "victim" / "v.png", evil / "images" / "link.png")
    _check(cli, world, ["embed", "--method", "wow", "--in", evil, "--out", world / "o"], "link")


def test_force_never_deletes_photos_or_foreign_folders(world, cli):
    for out in (world / "photos", world):
        _check(cli, world, ["data", "prepare", "--source", world / "photos", "--size", "32",
                            "--gray", "--out", out, "--force"])
    (world / "mine").mkdir()
    (world / "mine" / "thesis.tex").write_text("years of work")
    _check(cli, world, ["data", "prepare", "--source", world / "photos", "--size", "32",
                        "--gray", "--out", world / "mine", "--force"], "advstego made")
    assert (world / "mine" / "thesis.tex").read_text() == "years of work"


def test_memory_bombs_are_refused_before_decoding(world, cli):
    from PIL import Image
    Image.new("L", (6000, 6000)).save(world / "huge.png")  # a few KB on disk
    _check(cli, world, ["hide", "--cover", world / "huge.png", "--secret", world / "huge.png",
                        "-o", world / "o.png"], "max-pixels", absent=[world / "o.png"])
    _check(cli, world, ["--max-pixels", "100", "hide", "--cover", world / "victim" / "v.png",
                        "--secret", world / "victim" / "v.png", "-o", world / "o.png"],
           "max-pixels", absent=[world / "o.png"])
    # a model whose metadata asks for a billion blocks is refused, not built
    from advstego import weights
    from advstego.hiding.model import HidingModel
    t, meta = weights.load(HidingModel.load().save(world / "m.safetensors"))
    for bad in ({"blocks": 10 ** 9}, {"width": -1}, {"cover_channels": 2}, {"width": "8"}):
        weights.save(world / "bad.safetensors", t, {**meta, "config": {**meta["config"], **bad}})
        _check(cli, world, ["reveal", world / "victim" / "v.png", "-o", world / "r.png",
                            "--method", "gan", "--model", world / "bad.safetensors"],
               "bad.safetensors",
               absent=[world / "r.png"])


def test_crafted_detector_metadata(world, cli):
    from advstego import weights
    t, meta = weights.load(world / "det.safetensors")
    for bad in ({"arch": "evil"}, {"width": 10 ** 9}, {"lr": "x"}):
        weights.save(world / "bad.safetensors", t, {**meta, "config": {**meta["config"], **bad}})
        _check(cli, world, ["detect", "test", "--detector", world / "bad.safetensors",
                            "--covers", world / "stegos", "--stegos", world / "stegos",
                            "--split", "all"], "bad.safetensors")


def test_a_finished_attack_is_not_replaced_by_another(world, cli):
    det, src, out = world / "det.safetensors", world / "stegos", world / "att"
    r = cli("attack", "fgsm", "--eps", "0.004", "--detector", det, "--in", src, "--out", out)
    assert r.returncode == 0, r.stderr
    first = _tree_sum(out)
    r = cli("attack", "fgsm", "--eps", "0.004", "--detector", det, "--in", src, "--out", out)
    assert r.returncode == 0 and _tree_sum(out) == first  # same settings: reused
    _check(cli, world, ["attack", "fgsm", "--eps", "0.008", "--detector", det, "--in", src,
                        "--out", out], "other settings")
    assert _tree_sum(out) == first
    r = cli("attack", "fgsm", "--eps", "0.008", "--detector", det, "--in", src, "--out", out,
            "--force")
    assert r.returncode == 0 and _tree_sum(out) != first


@pytest.mark.parametrize("args,words", [
    (["attack", "fgsm-uint8", "--levels", "-3"], ["levels"]),
    (["attack", "onepixel", "--pixels", "0"], ["pixels"]),
    (["attack", "onepixel", "--popsize", "x"], ["popsize"]),
    (["data", "prepare", "--source", "sample", "--split", "a,b,c"], ["--split"]),
    (["data", "prepare", "--source", "sample", "--split", "0.5,0.5,0.5"], ["--split"]),
    (["data", "prepare", "--source", "sample", "--limit", "-5"], ["--limit"]),
    (["data", "prepare", "--source", "sample", "--size", "0"], ["--size"]),
    (["train", "--data", "x", "--lambdas", "1,x,1"], ["--lambdas"]),
    (["train", "--data", "x", "--batch", "0"], ["--batch"]),
    (["train", "--data", "x", "--width", "0"], ["--width"]),
    (["train", "--data", "x", "--epochs", "0"], ["--epochs"]),
    (["embed", "--method", "wow", "--in", "x", "--payload", "0"], ["--payload"]),
    (["embed", "--method", "lsb", "--in", "x"], ["--method"]),
    (["hide", "--cover", "c", "--secret", "s", "--method", "gan", "--device", "foo"], ["--device"]),
    (["hide", "--cover", "c", "--secret", "s", "--method", "stc", "--payload", "9"], ["payload"]),
    (["detect", "train", "--detector", "svm", "--covers", "a", "--stegos", "b"], ["--detector"]),
    (["frobnicate"], ["frobnicate"]),
])
def test_settings_are_checked_before_any_work(world, cli, args, words):
    out = world / "newout"
    full = list(args)
    if args[0] == "attack":
        full += ["--detector", world / "det.safetensors", "--in", world / "stegos", "--out", out]
    elif args[0] in ("data", "train", "embed"):
        full += ["--out", out]
    elif args[0] == "hide":
        full = [*args[:1], "--cover", world / "victim" / "v.png", "--secret",
                world / "victim" / "v.png", *args[5:], "-o", world / "o.png"]
    _check(cli, world, full, *words, absent=[out, world / "o.png"])


def test_outputs_that_are_the_wrong_kind_of_thing(world, cli):
    v = world / "victim" / "v.png"
    (world / "dir.png").mkdir()
    _check(cli, world, ["hide", "--cover", v, "--secret", v, "-o", world / "dir.png"], "folder")
    (world / "afile").write_text("x")
    det, src = world / "det.safetensors", world / "stegos"
    for args in (["train", "--data", src, "--out", world / "afile"],
                 ["embed", "--method", "wow", "--in", src, "--out", world / "afile"],
                 ["attack", "fgsm", "--detector", det, "--in", src, "--out", world / "afile"],
                 ["experiment", "quick", "--out", world / "afile"]):
        _check(cli, world, args, "afile")
    assert (world / "afile").read_text() == "x"
    (world / "busy").mkdir()
    (world / "busy" / "mine.txt").write_text("x")
    _check(cli, world, ["embed", "--method", "wow", "--in", src, "--out", world / "busy"], "busy")


def test_odd_file_names_give_one_line(world, cli):
    v = world / "victim" / "v.png"
    _check(cli, world, ["hide", "--cover", world / "no\nsuch.png", "--secret", v,
                        "-o", world / "o.png"], "no\\nsuch")
    if sys.platform.startswith("linux"):
        odd = os.fsdecode(b"caf\xe9.png")  # not UTF-8
        _check(cli, world, ["hide", "--cover", world / odd, "--secret", v, "-o", world / "o.png"],
               "no such file")


def test_device_auto_falls_back_to_the_cpu(world, cli):
    import torch
    v = world / "victim" / "v.png"
    r = cli("hide", "--cover", v, "--secret", v, "-o", world / "o.png", "--method", "gan",
            "--device", "auto")
    assert r.returncode == 0, r.stderr
    if not torch.cuda.is_available():
        _check(cli, world, ["hide", "--cover", v, "--secret", v, "-o", world / "p.png",
                            "--method", "gan", "--device", "cuda"], "cuda", absent=[world / "p.png"])


def test_crafted_checkpoint_metadata(tiny_corpus, tmp_path, cli):
    from advstego import weights
    from advstego.game.gan import make_config, train
    from conftest import TINY
    train(tiny_corpus, tmp_path / "run", make_config("quick", **TINY), device="cpu", quiet=True,
          max_steps=1)
    ck = tmp_path / "run" / "checkpoint.safetensors"
    t, meta = weights.load(ck)
    for bad in ({"blocks": 10 ** 9}, {"lambdas": "abc"}, {"nonsense": 1}):
        weights.save(ck, t, {**meta, "train": {**meta["train"], **bad}})
        r = cli("train", "--data", tiny_corpus, "--out", tmp_path / "run", "--resume",
                "--device", "cpu")
        assert_clean_error(r, "checkpoint")
