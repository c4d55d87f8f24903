"""The defects of the second reliability probe, one test each: one line `advstego: error: …`,
exit 2, nothing lost or half-written."""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pytest

from advstego.errors import InputError
from advstego.images import read_image, write_image
from conftest import assert_clean_error, textured


def _sum(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- high ---------------------------------------------------------------------------------

# ---- medium -------------------------------------------------------------------------------

def test_the_corpus_key_follows_its_photos(tmp_path, rng):
    from advstego.data.sources import fingerprint, folder_photos

    for i in range(3):
        write_image(tmp_path / f"p{i}.png", textured(rng, 40, 40))
    keys = [fingerprint(folder_photos(tmp_path))]
    time.sleep(0.01)
    write_image(tmp_path / "p0.png", 255 - read_image(tmp_path / "p0.png"))  # inverted
    keys.append(fingerprint(folder_photos(tmp_path)))
    write_image(tmp_path / "p3.png", textured(rng, 40, 40))  # added
    keys.append(fingerprint(folder_photos(tmp_path)))
    (tmp_path / "p1.png").unlink()  # deleted
    keys.append(fingerprint(folder_photos(tmp_path)))
    assert len(set(keys)) == 4


def test_photo_names_that_collide_stay_apart(tmp_path, cli, rng):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a b.png", "a_b.png", "x.png", "x.bmp"):
        write_image(src / name, textured(rng, 64, 64))
    r = cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--max-tiles", "1",
            "--out", tmp_path / "c")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "c" / "manifest.json").read_text())
    files = [e["file"] for e in m["images"]]
    assert len(files) == len(set(files)) == 4
    assert len({e["photo"] for e in m["images"]}) == 4
    assert len(list((tmp_path / "c" / "images").iterdir())) == 4


# ---- low ----------------------------------------------------------------------------------
