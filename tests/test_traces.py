"""JPEG compression traces: the lattice statistic, the corpus that data prepare shrinks and
measures, hide's refusal of JPEG covers, and the content-blind lattice warden."""

import io
import json

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import gaussian_filter

from advstego.data import traces
from advstego.data.prepare import DOWNSAMPLE, PrepareConfig, _shrink, prepare
from advstego.data.sources import folder_photos
from advstego.errors import InputError
from advstego.images import write_image
from conftest import assert_clean_error, textured


def photo(rng, h=256, w=256):
    """A never-compressed stand-in for a photo: smooth shapes, fine texture, no clipping."""
    base = gaussian_filter(rng.normal(0, 1, (h, w)), 4)
    img = 128 + base / base.std() * 40 + rng.normal(0, 6, (h, w))
    return np.clip(img, 10, 245).astype(np.uint8)


def as_jpeg(img, quality, path=None):
    """img through a JPEG at quality: (the decompressed pixels, the file's table)."""
    buf = path or io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    with Image.open(buf) as im:
        return np.array(im), np.array(im.quantization[0], float)


def test_the_statistic_of_a_synthetic_jpeg_is_the_hand_computed_one(rng):
    dec, table = as_jpeg(photo(rng, 64, 64), 75)
    assert dec.min() > 0 and dec.max() < 255  # no clipped block: every block counts
    assert np.array_equal(table, traces.ijg_table(75))  # Pillow writes libjpeg's table
    # by hand: the orthonormal DCT-II matrix, the blocks every grid shift can see (origins
    # 0, 8, ..., 48: a 16x16 window fits; all distinct), the coefficients with Q >= 2 and
    # |c| >= Q/2 in the modes whose std over the blocks is at least Q/2
    u, x = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    dct = np.where(u == 0, np.sqrt(1 / 8), np.sqrt(2 / 8)) * np.cos((2 * x + 1) * u * np.pi / 16)
    q = table.reshape(8, 8)
    c = np.array([dct @ (dec[y0:y0 + 8, x0:x0 + 8] - 128.0) @ dct.T
                  for y0 in range(0, 49, 8) for x0 in range(0, 49, 8)])
    r = c / q
    use = (q >= 2) & (np.abs(r) >= 0.5) & (c.std(axis=0) >= q / 2)
    dist = np.abs(r - np.round(r))[use]
    t = traces.lattice(dec, table)
    assert t.alignment == (0, 0) and t.count == len(dist) > 500
    assert t.distance == pytest.approx(np.mean(dist), abs=1e-6)
    assert t.distance < 0.1 and t.flagged


def test_a_tile_of_a_decompressed_jpeg_is_flagged_a_downsampled_one_is_not(rng):
    img = photo(rng, 384, 384)
    dec, table = as_jpeg(img, 85)
    tile = dec[101:229, 13:141]  # off the 8-grid: the search finds the alignment
    own, ijg = traces.lattice(tile, table), traces.lattice(tile)
    assert own.flagged and own.alignment == (3, 3)
    assert ijg.flagged and ijg.quality == 85  # table unknown: the IJG tables find it
    small = _shrink(dec, DOWNSAMPLE)[50:178, 50:178]
    for t in (traces.lattice(small, table), traces.lattice(small), traces.lattice(img[:128, :128])):
        assert not t.flagged and abs(t.distance - traces.NO_LATTICE) < 0.04, t


def test_a_flat_or_tiny_image_gives_no_evidence_rather_than_a_lattice():
    for img in (np.full((64, 64), 77, np.uint8), np.zeros((12, 12), np.uint8)):
        t = traces.lattice(img)
        assert np.isnan(t.distance) and not t.flagged


def _folder(tmp_path, rng, jpeg_quality=80):
    src = tmp_path / "src"
    src.mkdir()
    as_jpeg(photo(rng, 200, 200), jpeg_quality, src / "a.jpg")
    write_image(src / "b.png", photo(rng, 128, 128))
    return src


def test_prepare_shrinks_jpeg_photos_and_records_no_lattice(tmp_path, rng):
    src = _folder(tmp_path, rng)
    m = prepare(folder_photos(src), PrepareConfig(size=64, mode="gray"), tmp_path / "c")
    tiles = {e["photo"]: 0 for e in m["images"]}
    for e in m["images"]:
        tiles[e["photo"]] += 1
    assert tiles == {"a": 4, "b": 4}  # a: 200 / 1.5 = 133 px, 2x2 tiles; b: as it was
    assert m["downsampled"] == {"photos": 1, "factor": DOWNSAMPLE}
    assert m["traces"]["measured"] == 4 and m["traces"]["flagged"] == 0
    assert abs(m["traces"]["median"] - traces.NO_LATTICE) < 0.05


def test_a_corpus_with_traces_is_refused_with_the_statistic_and_the_flag(tmp_path, rng, cli):
    src = _folder(tmp_path, rng)
    r = cli("data", "prepare", "--source", src, "--size", "64", "--gray", "--downsample", "1",
            "--out", tmp_path / "c")
    assert_clean_error(r, "JPEG compression traces", "2 of 4 measured tiles",
                       "median distance", "--allow-traces")
    assert not (tmp_path / "c").exists()
    r = cli("data", "prepare", "--source", src, "--size", "64", "--gray", "--downsample", "1",
            "--allow-traces", "--out", tmp_path / "c")
    assert r.returncode == 0 and "warning" in r.stderr and "--allow-traces" in r.stderr
    info = json.loads(cli("data", "info", tmp_path / "c", "--json").stdout)
    assert info["traces"]["flagged"] == 2
    assert "2 of 4 measured tiles on a quantization lattice" in cli("data", "info",
                                                                     tmp_path / "c").stdout
    # a PNG that was a JPEG has no table to tell: the IJG tables find its lattice
    png = tmp_path / "png"
    png.mkdir()
    write_image(png / "was.png", as_jpeg(photo(rng, 128, 128), 90)[0])
    with pytest.raises(InputError, match="median distance 0.0"):
        prepare(folder_photos(png), PrepareConfig(size=64, mode="gray"), tmp_path / "p")


def test_tiny_and_undecodable_photos_are_skipped_and_counted(tmp_path, rng):
    src = tmp_path / "src"
    src.mkdir()
    write_image(src / "good.png", textured(rng, 64, 64))
    write_image(src / "tiny.png", textured(rng, 20, 64))
    as_jpeg(photo(rng, 40, 40), 90, src / "shrinks.jpg")  # 40 px, 27 once shrunk
    (src / "bad.png").write_text("not an image")
    (src / "cut.png").write_bytes((src / "good.png").read_bytes()[:100])
    with pytest.warns(UserWarning, match="2 photos could not be read"):
        m = prepare(folder_photos(src), PrepareConfig(size=32, mode="gray"), tmp_path / "c")
    assert m["skipped"]["small_photos"] == 2 and m["skipped"]["unreadable_photos"] == 2
    assert {e["photo"] for e in m["images"]} == {"good"}
    small = tmp_path / "small"
    small.mkdir()
    as_jpeg(photo(rng, 40, 40), 90, small / "s.jpg")
    with pytest.raises(InputError, match="27x27 once shrunk by 1.5, smaller than the 32x32"):
        prepare(folder_photos(small), PrepareConfig(size=32, mode="gray"), tmp_path / "d")


def test_debian_renders_are_left_out():
    from advstego.data.debian import NOT_PHOTOS, is_photo

    assert sum(map(len, NOT_PHOTOS.values())) == 23
    assert not is_photo("x/plasma-workspace-wallpapers__Altai.png")
    assert not is_photo("lomiri-wallpapers-16.04__umang_by_Abhishek_Mudgal.jpg")
    assert is_photo("mate-backgrounds__FreshFlower.jpg")


def test_hide_refuses_a_jpeg_cover_and_one_that_was_until_told(tmp_path, rng, cli):
    img = photo(rng, 128, 128)
    as_jpeg(img, 85, tmp_path / "c.jpg")
    write_image(tmp_path / "was.png", as_jpeg(img, 85)[0])
    write_image(tmp_path / "never.png", img)
    write_image(tmp_path / "s.png", textured(rng, 16, 16))
    key = ["--key", "k"]
    for cover, words in (("c.jpg", ["c.jpg is a JPEG"]),
                         ("was.png", ["was.png was a JPEG", "quality 85"])):
        r = cli("hide", "--cover", tmp_path / cover, "--secret", tmp_path / "s.png",
                "-o", tmp_path / "o.png", *key)
        assert_clean_error(r, *words, "JPEG-compatibility", "--pixels-of-jpeg")
        assert not (tmp_path / "o.png").exists()
        r = cli("hide", "--cover", tmp_path / cover, "--secret", tmp_path / "s.png",
                "-o", tmp_path / "o.png", *key, "--pixels-of-jpeg")
        assert r.returncode == 0, r.stderr
        assert "warning" in r.stderr and "JPEG-compatibility" in r.stderr
        (tmp_path / "o.png").unlink()
    r = cli("hide", "--cover", tmp_path / "never.png", "--secret", tmp_path / "s.png",
            "-o", tmp_path / "o.png", *key)
    assert r.returncode == 0 and "JPEG" not in r.stderr, r.stderr


def test_the_lattice_warden_finds_what_its_two_numbers_separate_and_no_more():
    rng = np.random.default_rng(0)
    n = 400
    scale = np.log(rng.choice([2.0, 5.0, 17.0], n))
    covers = np.column_stack([rng.normal(0.05, 0.02, n), scale])
    stegos = np.column_stack([rng.normal(0.12, 0.02, n), scale])
    groups = np.arange(n) // 4
    seen = traces.warden_pe(covers, stegos, groups)
    assert seen["pe"] < 0.1 and seen["pe_threshold"] < 0.1
    blind = traces.warden_pe(covers, np.column_stack([rng.normal(0.05, 0.02, n), scale]), groups)
    assert blind["pe"] > 0.42
    with pytest.raises(ValueError, match="at least 2 photos"):
        traces.warden_pe(covers, stegos, np.zeros(n))


def test_data_info_measures_a_corpus_made_before_the_check(tmp_path, rng):
    from advstego.data.prepare import summary

    m = prepare(folder_photos(_folder(tmp_path, rng)), PrepareConfig(size=64, mode="gray"),
                tmp_path / "c")
    del m["traces"]
    (tmp_path / "c" / "manifest.json").write_text(json.dumps(m))
    t = summary(tmp_path / "c")["traces"]
    assert t["measured"] == 8 and t["flagged"] == 0 and "IJG" in t["measured_by"]
    for bad in ("x", {"measured": "8"}, {"measured": 1, "flagged": float("nan")}):
        m["traces"], m["downsampled"] = bad, bad
        (tmp_path / "c" / "manifest.json").write_text(json.dumps(m))
        s = summary(tmp_path / "c")  # a survey not ours: measured again
        assert s["traces"]["measured"] == 8 and s["downsampled"] is None


def test_synthetic_patterns_that_sit_on_some_lattice_are_not_taken_for_jpegs(rng):
    y, x = np.mgrid[0:128, 0:128]
    for img in (x * 1.5 + 20, (x + y) * 0.8 + 10 + rng.normal(0, 1, x.shape),  # ramps
                ((x // 4 + y // 4) % 2) * 100 + 50, (x % 16 < 8) * 100 + 60,  # checks, stripes
                128 + 60 * np.sin(x / 7.0) * np.cos(y / 5.0)):
        t = traces.lattice(np.clip(img, 0, 255).astype(np.uint8))
        assert not t.flagged, t
