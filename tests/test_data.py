import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from advstego.data.debian import collect
from advstego.data.prepare import PrepareConfig, assign_splits, load_manifest, prepare
from advstego.data.sources import bossbase_photos, folder_photos, lfw_photos, sample_photos
from advstego.errors import InputError
from advstego.images import read_image, write_image
from conftest import textured


def _check_split_by_photo(m):
    side = {}
    for e in m["images"]:
        assert side.setdefault(e["photo"], e["split"]) == e["split"], e
    for split, pairs in m["pairs"].items():
        files = [f for p in pairs for f in p]
        assert len(files) == len(set(files))  # pairs are disjoint
        for f in files:
            e = next(e for e in m["images"] if e["file"] == f)
            assert e["split"] == split


def test_sample_corpus_loads_offline():
    photos = sample_photos()
    assert len(photos) >= 14
    assert len({p.group for p in photos}) == len(photos)
    for p in photos[:3]:
        img = p.load()
        assert img.dtype == np.uint8 and min(img.shape[:2]) >= 256


@pytest.mark.slow
def test_prepare_sample_gray_split_by_photo(tmp_path, cli):
    r = cli("data", "prepare", "--source", "sample", "--size", "128", "--gray",
            "--out", tmp_path / "c")
    assert r.returncode == 0, r.stderr
    m = load_manifest(tmp_path / "c")
    assert m["size"] == 128 and m["mode"] == "gray"
    assert {e["split"] for e in m["images"]} == {"train", "val", "test"}
    _check_split_by_photo(m)
    for e in m["images"][:20]:
        img = read_image(tmp_path / "c" / e["file"])
        assert img.shape == (128, 128) and img.std() >= 10
    info = cli("data", "info", tmp_path / "c", "--json")
    assert info.returncode == 0
    s = json.loads(info.stdout)
    assert s["images"] == len(m["images"])
    assert sum(v["pairs"] for v in s["splits"].values()) == sum(len(p) for p in m["pairs"].values())


@pytest.mark.slow
def test_prepare_is_deterministic_and_seeded(tmp_path):
    photos = sample_photos()[:6]
    cfg = PrepareConfig(size=128, mode="gray", seed=3)
    a = prepare(photos, cfg, tmp_path / "a")
    b = prepare(photos, cfg, tmp_path / "b")
    assert a["images"] == b["images"] and a["pairs"] == b["pairs"]
    cfg.seed = 4
    c = prepare(photos, cfg, tmp_path / "c")
    assert c["pairs"] != a["pairs"]


def test_assign_splits_whole_groups():
    groups = [f"g{i}" for i in range(20)]
    s = assign_splits(groups, (0.7, 0.15, 0.15), 0)
    counts = {k: list(s.values()).count(k) for k in ("train", "val", "test")}
    assert counts == {"train": 14, "val": 3, "test": 3}
    assert assign_splits(groups[:3], (0.8, 0.1, 0.1), 0) != {}
    assert set(assign_splits(groups[:3], (0.8, 0.1, 0.1), 0).values()) == {"train", "val", "test"}


def test_tiles_center_resize_and_flat_drop(tmp_path, rng):
    src = tmp_path / "src"
    src.mkdir()
    img = textured(rng, 100, 130)
    img[:50, :] = 77  # flat top half
    write_image(src / "a.png", img)
    photos = folder_photos(src)
    m = prepare(photos, PrepareConfig(size=32, mode="gray", min_std=10), tmp_path / "t")
    # grid 3x4 of 32px tiles centred: rows at y=2,34,66; the top row is flat
    ys = sorted({int(e["file"].split("__")[1].split("_")[0]) for e in m["images"]})
    assert ys == [34, 66] and len(m["images"]) == 8
    assert m["skipped"]["flat_tiles"] == 4
    m = prepare(photos, PrepareConfig(size=32, mode="gray", crop="center", min_std=0),
                tmp_path / "c")
    tile = read_image(tmp_path / "c" / m["images"][0]["file"])
    assert np.array_equal(tile, img[34:66, 49:81])
    m = prepare(photos, PrepareConfig(size=32, mode="gray", crop="center", resize=50, min_std=0),
                tmp_path / "r")
    assert len(m["images"]) == 1


def test_bossbase_and_lfw_layouts(tmp_path, rng):
    boss = tmp_path / "boss"
    boss.mkdir()
    for i in (1, 2, 10):
        write_image(boss / f"{i}.pgm", textured(rng, 64, 64))
    (boss / "readme.txt").write_text("ignored")
    photos = bossbase_photos(boss)
    assert [p.name for p in photos] == ["boss-1", "boss-2", "boss-10"]
    assert photos[0].load().shape == (64, 64)
    for layout in ("lfw", "lfw_home/lfw_funneled"):
        root = tmp_path / layout.replace("/", "_") / layout
        for person, n in (("Ann_Lee", 2), ("Bo_Chu", 1)):
            (root / person).mkdir(parents=True)
            for k in range(1, n + 1):
                write_image(root / person / f"{person}_{k:04d}.png", textured(rng, 40, 40, 3))
        photos = lfw_photos(root.parents[len(Path(layout).parts) - 1])
        assert sorted(p.group for p in photos) == ["lfw-Ann_Lee", "lfw-Ann_Lee", "lfw-Bo_Chu"]


def test_debian_collect_dedupes_and_keeps_largest(tmp_path, rng):
    tree = tmp_path / "tree"
    imgs = tree / "usr/share/wallpapers/Next/contents/images"
    imgs.mkdir(parents=True)
    big = textured(rng, 40, 60, 3)
    Image.fromarray(big).save(imgs / "60x40.jpg")
    Image.fromarray(big[:20, :30]).save(imgs / "30x20.jpg")
    out = tmp_path / "out"
    out.mkdir()
    seen = set()
    assert collect(tree, "plasma-workspace-wallpapers", out, seen) == 1
    assert Image.open(next(out.iterdir())).size == (60, 40)
    # the same bytes under another package are a duplicate
    t2 = tmp_path / "t2" / "usr/share/backgrounds"
    t2.mkdir(parents=True)
    (t2 / "copy.jpg").write_bytes((imgs / "60x40.jpg").read_bytes())
    assert collect(tmp_path / "t2", "lomiri-wallpapers-16.04", out, seen) == 0


def test_prepare_refuses_existing_output_without_force(tmp_path):
    photos = sample_photos()[:3]
    cfg = PrepareConfig(size=128, mode="gray")
    prepare(photos, cfg, tmp_path / "o")
    with pytest.raises(InputError, match="holds a corpus already"):
        prepare(photos, cfg, tmp_path / "o")
    prepare(photos, cfg, tmp_path / "o", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_debian_collect_skips_transparent_and_names_by_wallpaper(tmp_path, rng):
    tree = tmp_path / "tree"
    for name in ("Alpha", "Beta"):
        d = tree / f"usr/share/wallpapers/{name}/contents/images"
        d.mkdir(parents=True)
        Image.fromarray(textured(rng, 20, 30, 3)).save(d / "30x20.png")
    rgba = np.dstack([textured(rng, 20, 30, 3), np.full((20, 30), 100, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tree / "usr/share/wallpapers/Beta/contents/images/60x40.png")
    out = tmp_path / "out"
    out.mkdir()
    # Beta's largest file is transparent: its largest opaque one is kept instead
    assert collect(tree, "plasma-workspace-wallpapers", out, set()) == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "plasma-workspace-wallpapers__Alpha.png", "plasma-workspace-wallpapers__Beta.png"]
    assert Image.open(out / "plasma-workspace-wallpapers__Beta.png").size == (30, 20)


def test_debian_photos_come_from_wallpaper_packages_only():
    from advstego.data.debian import PACKAGES

    # educational and game data packages (gcompris, palapeli-data, ...) are reserved for
    # independent evaluation: the corpus never takes from them
    assert PACKAGES and all("wallpaper" in p or "background" in p for p in PACKAGES)
    assert not any(w in p for p in PACKAGES for w in ("gcompris", "palapeli", "-data", "edu"))


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
