"""JPEG corpora and their simulators: data prepare --jpeg QF writes JPEG covers at that
quality with libjpeg's tables, compressed once from the tiles; embed --method juniward |
uerd | nsf5 changes their coefficients only, by ±1, at about the payload asked (bpnzac);
the pixel and JPEG methods refuse each other's corpora in one line."""

import json

import jpeglib
import numpy as np
import pytest

from advstego.data.jpeg import JpegImage, decompress, nonzero_ac, quality_of
from advstego.data.traces import ijg_table
from advstego.embedding.jpeg import JPEG_METHODS, simulate_jpeg
from advstego.images import read_image
from conftest import assert_clean_error, textured
from jpeg_fixture import ijg_chroma, jpeg_corpus


@pytest.fixture(scope="module")
def gray75(tmp_path_factory):
    return jpeg_corpus(tmp_path_factory.mktemp("jpeg") / "g75", max_tiles=2)


@pytest.fixture(scope="module")
def rgb90(tmp_path_factory):
    return jpeg_corpus(tmp_path_factory.mktemp("jpeg") / "c90", quality=90, mode="rgb",
                       max_tiles=2)


def _files(folder):
    return [folder / e["file"] for e in json.loads((folder / "manifest.json").read_text())
            ["images"]]


def test_prepare_jpeg_writes_gray_jpegs_at_the_quality_with_libjpeg_tables(gray75, cli):
    files = _files(gray75)
    assert files and all(f.suffix == ".jpg" for f in files)
    for f in files[:4]:
        jpeg = jpeglib.read_dct(str(f))
        assert jpeg.num_components == 1 and not jpeg.progressive_mode
        assert np.array_equal(jpeg.qt[0].ravel(), ijg_table(75))
        assert JpegImage.read(f).quality == 75
    m = json.loads((gray75 / "manifest.json").read_text())
    assert m["jpeg"]["quality"] == 75 and m["jpeg"]["chroma"] is None
    assert m["config"]["jpeg"] == 75
    r = cli("data", "info", gray75)
    assert r.returncode == 0 and "JPEG covers: quality 75" in r.stdout and "gray" in r.stdout
    info = json.loads(cli("data", "info", gray75, "--json").stdout)
    assert info["jpeg"]["quality"] == 75


def test_prepare_jpeg_compresses_each_tile_once(tmp_path, rng):
    """The corpus of the same photos as PNG holds the tiles the JPEGs were made of: one
    compression at QF 75 of each (libjpeg's own, bit for bit), close to it in pixels."""
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.jpeg import write_jpeg
    from advstego.data.sources import Photo

    img = textured(rng, 128, 192)
    photos = [Photo(name="p", group="p", load=lambda: img)]
    prepare(photos, PrepareConfig(size=64, mode="gray"), tmp_path / "png")
    prepare(photos, PrepareConfig(size=64, mode="gray", jpeg=75), tmp_path / "jpg")
    pngs, jpgs = _files(tmp_path / "png"), _files(tmp_path / "jpg")
    assert [p.stem for p in pngs] == [j.stem for j in jpgs] and len(pngs) == 6
    for p, j in zip(pngs, jpgs):
        tile = read_image(p)
        write_jpeg(tmp_path / "once.jpg", tile, 75)
        assert (tmp_path / "once.jpg").read_bytes() == j.read_bytes()
        x = JpegImage.read(j).luminance()
        assert 20 * np.log10(255 / np.sqrt(np.mean((x - tile) ** 2))) > 28


def test_prepare_jpeg_colour_is_444_with_both_tables(rgb90, cli):
    f = _files(rgb90)[0]
    jpeg = jpeglib.read_dct(str(f))
    assert jpeg.num_components == 3
    assert np.array_equal(jpeg.samp_factor, [[1, 1], [1, 1], [1, 1]])  # 4:4:4
    assert jpeg.Cb.shape == jpeg.Y.shape == (8, 8, 8, 8)
    assert np.array_equal(jpeg.get_component_qt(0).ravel(), ijg_table(90))
    assert np.array_equal(jpeg.get_component_qt(1), ijg_chroma(90))
    assert json.loads((rgb90 / "manifest.json").read_text())["jpeg"]["chroma"] == "4:4:4"
    assert "colour 4:4:4" in cli("data", "info", rgb90).stdout


def test_quality_of_names_libjpeg_tables_only():
    assert [quality_of(ijg_table(q).reshape(8, 8)) for q in (10, 50, 75, 95)] == [10, 50, 75, 95]
    odd = ijg_table(75).reshape(8, 8).copy()
    odd[0, 0] += 1
    assert quality_of(odd) is None


def test_prepare_jpeg_refusals(tmp_path, cli):
    for flags, words in ((["--jpeg", "101"], ["--jpeg"]), (["--jpeg", "-1"], ["--jpeg"]),
                         (["--jpeg", "75", "--size", "60"], ["multiple of 8"])):
        r = cli("data", "prepare", "--source", "sample", "--gray", "--limit", "1",
                "--out", tmp_path / "o", *flags)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert all(w in r.stderr for w in words), r.stderr
        assert not (tmp_path / "o").exists()


def _expected_changes(method, cover: np.ndarray, qt, pixels, payload):
    """The simulator's expected number of changes at payload bpnzac (from conseal's change
    probabilities at that payload) and its standard deviation."""
    import conseal
    from conseal.simulate import _ternary
    from conseal.tools import dct

    if method == "juniward":
        rhos = conseal.juniward.compute_cost_adjusted(pixels, cover, qt)
    else:
        rhos = conseal.uerd.compute_cost_adjusted(cover, qt)
    (pp, pm), _ = _ternary.probability(tuple(dct.jpeglib_to_jpegio(r) for r in rhos),
                                       payload, nonzero_ac(cover))
    p = pp + pm
    return p.sum(), np.sqrt((p * (1 - p)).sum())


@pytest.mark.parametrize("method", list(JPEG_METHODS))
def test_jpeg_simulators_change_coefficients_only_at_the_payload(method, gray75, tmp_path,
                                                                 cli):
    r = cli("embed", "--method", method, "--payload", "0.4", "--in", gray75, "--out",
            tmp_path / "s", "--workers", "1")
    assert r.returncode == 0 and "bpnzac" in r.stdout, r.stderr
    m = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert m["embedding"]["payload_bpnzac"] == 0.4
    for f in _files(gray75)[:3]:
        s = tmp_path / "s" / f.relative_to(gray75)
        assert s.suffix == ".jpg"
        c, st = jpeglib.read_dct(str(f)), jpeglib.read_dct(str(s))
        assert np.array_equal(c.qt, st.qt) and c.Y.shape == st.Y.shape
        d = st.Y.astype(int) - c.Y
        assert np.abs(d).max() == 1  # changed, by ±1 only
        n, changes = nonzero_ac(c.Y), np.count_nonzero(d)
        if method == "nsf5":  # binary, a fixed number of changes: their entropy is the payload
            beta = changes / n
            h = -beta * np.log2(beta) - (1 - beta) * np.log2(1 - beta)
            assert abs(h - 0.4) < 0.02, (h, n)
            assert np.all(np.abs(st.Y[d != 0]) < np.abs(c.Y[d != 0]))  # shrinks toward 0
        else:
            pixels = jpeglib.read_spatial(str(f)).spatial[..., 0].astype(float)
            mean, sd = _expected_changes(method, c.Y, c.qt[0], pixels, 0.4)
            assert abs(changes - mean) < 4 * sd + 2, (changes, mean, sd)


def test_colour_jpeg_embeds_every_component(rgb90, tmp_path):
    f = _files(rgb90)[0]
    c = jpeglib.read_dct(str(f))
    s = simulate_jpeg(f, "uerd", 0.4, seed=3)
    for k, name in enumerate(("Y", "Cb", "Cr")):
        d = s.planes[k].astype(int) - getattr(c, name)
        assert np.abs(d).max() <= 1
        assert (np.count_nonzero(d) > 0) == (nonzero_ac(getattr(c, name)) > 0), name
    assert np.abs(s.planes[0].astype(int) - c.Y).max() == 1
    again = simulate_jpeg(f, "uerd", 0.4, seed=3)  # seeded
    assert all(np.array_equal(a, b) for a, b in zip(again.planes, s.planes))


def test_juniward_reads_libjpeg_pixels_of_the_cover(gray75):
    """J-UNIWARD's costs read the decompressed cover: libjpeg's pixels, which the
    coefficients decompressed and rounded match to ±1."""
    from advstego.data import jpeg_io
    from advstego.embedding.jpeg import _pixels

    f = _files(gray75)[0]
    jpeg = jpeglib.read_dct(str(f))
    x = _pixels(jpeg_io.read(f), 0)
    assert np.array_equal(x, jpeglib.read_spatial(str(f)).spatial[..., 0])
    own = np.clip(np.round(decompress(jpeg.Y, jpeg.qt[0])), 0, 255)
    assert np.abs(own - x).max() <= 1


def test_embed_refuses_the_other_domain_in_one_line(gray75, tmp_path, cli, rng):
    from advstego.images import write_image

    r = cli("embed", "--method", "wow", "--in", gray75, "--out", tmp_path / "w")
    assert_clean_error(r, "wow", "JPEG", "juniward")
    assert not (tmp_path / "w").exists()
    (tmp_path / "png").mkdir()
    write_image(tmp_path / "png" / "a.png", textured(rng, 64, 64))
    for method in JPEG_METHODS:
        r = cli("embed", "--method", method, "--in", tmp_path / "png", "--out", tmp_path / "j")
        assert_clean_error(r, method, "not a JPEG", "--jpeg")
        assert not (tmp_path / "j").exists()
    r = cli("embed", "--method", "uerd", "--in", gray75, "--out", tmp_path / "a",
            "--adversarial")
    assert_clean_error(r, "adversarial")
    assert not (tmp_path / "a").exists()


def test_embed_refuses_a_truncated_jpeg_in_one_line(tmp_path, cli, rng):
    from advstego.data.jpeg import write_jpeg

    src = tmp_path / "in"
    src.mkdir()
    write_jpeg(src / "b.jpg", textured(rng, 64, 64), 75)
    data = (src / "b.jpg").read_bytes()
    (src / "a.jpg").write_bytes(data[:len(data) // 2])
    r = cli("embed", "--method", "juniward", "--in", src, "--out", tmp_path / "s")
    assert_clean_error(r, "a.jpg")
    assert not list((tmp_path / "s").glob("**/*.jpg"))
