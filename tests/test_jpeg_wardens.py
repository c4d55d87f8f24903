"""The JPEG wardens: our DCTR and GFR features equal sealwatch's bit for bit (and our
decompression its own); dctr-fld, gfr-fld and Xu-Net through its JPEG front end train and
detect on a tiny JPEG corpus through `detect`; their refusals come in one line."""

import json

import numpy as np
import pytest

from advstego.data.jpeg import JpegImage, write_jpeg
from advstego.embedding.simulate import embed_folder
from advstego.steganalysis import jpeg_features
from advstego.steganalysis.detector import build_detector, load_detector, load_pairs, measure
from conftest import assert_clean_error, textured
from jpeg_fixture import jpeg_corpus

sealwatch = pytest.importorskip("sealwatch")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three photos' tiles to train on, three to test on (an interval resamples photos)."""
    return jpeg_corpus(tmp_path_factory.mktemp("jw") / "g75", max_tiles=6,
                       fractions=(0.5, 0, 0.5))


@pytest.fixture(scope="module")
def stegos(corpus, tmp_path_factory):
    """nsF5 at 1 bpnzac: a payload any JPEG warden sees."""
    out = tmp_path_factory.mktemp("jw") / "nsf5"
    embed_folder(corpus, out, "nsf5", 1.0, seed=1, workers=1)
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory, corpus):
    """JPEGs of several kinds: photo tiles at QF 75 and 95, colour 4:4:4, a J-UNIWARD stego,
    a size that is not square, noise."""
    from advstego.embedding.jpeg import embed_jpeg
    from advstego.images import read_image

    d = tmp_path_factory.mktemp("jw")
    rng = np.random.default_rng(5)
    tiles = json.loads((corpus / "manifest.json").read_text())["images"]
    first = corpus / tiles[0]["file"]
    out = {"photo75": first}
    write_jpeg(d / "photo95.jpg", read_image(first), 95)  # its pixels, at QF 95
    out["photo95"] = d / "photo95.jpg"
    write_jpeg(d / "colour.jpg", textured(rng, 64, 64, 3), 75)
    out["colour"] = d / "colour.jpg"
    embed_jpeg(first, d / "juniward.jpg", "juniward", 0.4, seed=2)
    out["juniward"] = d / "juniward.jpg"
    write_jpeg(d / "wide.jpg", textured(rng, 48, 96), 75)
    out["wide"] = d / "wide.jpg"
    write_jpeg(d / "noise.jpg", rng.integers(0, 256, (40, 40), dtype=np.uint8), 95)
    out["noise"] = d / "noise.jpg"
    return out


def _quality(name):
    return 95 if name in ("photo95", "noise") else 75


KINDS = ["photo75", "photo95", "colour", "juniward", "wide", "noise"]


@pytest.mark.parametrize("name", KINDS)
def test_decompression_is_sealwatch_s_bit_for_bit(name, files):
    from sealwatch.tools.jpeg import decompress_from_file

    ours = JpegImage.read(files[name]).luminance()
    assert np.array_equal(ours, decompress_from_file(str(files[name])))


@pytest.mark.parametrize("name", KINDS)
def test_dctr_features_are_sealwatch_s_bit_for_bit(name, files):
    ref = sealwatch.dctr.extract_from_file(str(files[name]), qf=_quality(name))
    ref = np.concatenate(list(ref.values()))
    ours = jpeg_features.extract("dctr", JpegImage.read(files[name]))
    assert ours.shape == ref.shape == (jpeg_features.DCTR_DIM,) and ours.dtype == ref.dtype
    assert np.array_equal(ours, ref)


@pytest.mark.parametrize("name", ["photo75"] + [pytest.param(n, marks=pytest.mark.slow) for n in
                                              ("photo95", "colour", "juniward", "wide",
                                               "noise")])
def test_gfr_features_are_sealwatch_s_bit_for_bit(name, files):
    ref = sealwatch.gfr.extract_from_file(str(files[name]), qf=_quality(name)).ravel()
    ours = jpeg_features.extract("gfr", JpegImage.read(files[name]))
    assert ours.shape == ref.shape == (jpeg_features.GFR_DIM,)
    assert np.array_equal(ours, ref)


def test_our_rounding_is_sealwatch_s_near_every_half():
    """sealwatch rounds half away from zero, and a fraction within np.isclose's band of 1/2
    up: the same integers here, on each side of each edge of that band."""
    from sealwatch.tools import matlab

    k = np.arange(-6, 7)[:, None]
    eps = np.array([0, 1e-15, 1e-9, 4.9e-6, 5.0e-6, 5.01e-6, 5.1e-6, 1e-5, 0.1, 0.49])
    x = np.concatenate([(k + 0.5 + s * eps).ravel() for s in (-1, 1)])
    x = np.concatenate([x, np.nextafter(x, 0), np.nextafter(x, 10 ** 9)])
    assert np.array_equal(jpeg_features._abs_round(x), np.abs(matlab.round(x)))


def _fit(name, corpus, stegos, **kw):
    det = build_detector(name, seed=0, **kw)
    _, c, s = load_pairs(corpus, stegos, "train", jpeg=det.reads_jpeg)
    det.fit(c, s, quiet=True)
    return det


@pytest.mark.parametrize("name", ["dctr-fld", "gfr-fld"])
def test_jpeg_fld_wardens_detect_a_strong_payload(name, corpus, stegos, tmp_path, cli):
    det = _fit(name, corpus, stegos, L=31, d_sub=300)
    names, c, s = load_pairs(corpus, stegos, "test", jpeg=True)
    assert all(isinstance(i, JpegImage) for i in c + s)
    r = measure(det, c, s, photos=[n.split("__")[0] for n in names] * 2)
    assert len(set(n.split("__")[0] for n in names)) == 3
    assert r["PE"] < 0.5 and r["interval"]["PE"][2] < 0.5 + 1e-9
    det.save(tmp_path / "d.safetensors")
    back = load_detector(tmp_path / "d.safetensors")
    assert back.name == name and back.quality == 75
    assert np.array_equal(back.prob_stego(c + s), det.prob_stego(c + s))
    out = cli("detect", "test", "--detector", tmp_path / "d.safetensors", "--covers", corpus,
              "--stegos", stegos)
    assert out.returncode == 0, out.stderr
    assert f"{name}: " in out.stdout and "95% interval" in out.stdout


def test_xunet_reads_a_jpeg_corpus_through_its_front_end(corpus, stegos, tmp_path, cli):
    """The CNN's input from a JPEG: its pixels decompressed without rounding, on 0..255."""
    from advstego.steganalysis.cnn import _stack

    _, c, s = load_pairs(corpus, stegos, "test", jpeg=True)
    x = _stack(c[:2])
    assert x.dtype == np.float32 or str(x.dtype) == "torch.float32"
    assert np.array_equal(x[0, 0].numpy(), c[0].pixels().astype(np.float32))
    assert not np.array_equal(x[0, 0].numpy(), np.round(x[0, 0].numpy()))  # unrounded
    r = cli("detect", "train", "--detector", "xunet", "--epochs", "1", "--covers", corpus,
            "--stegos", stegos, "-o", tmp_path / "x.safetensors")
    assert r.returncode == 0, r.stderr
    r = cli("detect", "test", "--detector", tmp_path / "x.safetensors", "--covers", corpus,
            "--stegos", stegos)
    assert r.returncode == 0 and "xunet: " in r.stdout and "95% interval" in r.stdout, r.stderr


@pytest.mark.slow
def test_xunet_on_jpeg_pixels_detects_a_strong_payload(tmp_path):
    """Every sample photo's 64x64 tiles at QF 75 (about 160 pairs to train on, 90 to test),
    nsF5 at 1 bpnzac, 30 epochs (about 20 s): PE 0.32-0.40 over seeds 0-2 measured."""
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import sample_photos

    prepare(sample_photos(), PrepareConfig(size=64, mode="gray", max_tiles=16, jpeg=75,
                                           fractions=(0.6, 0, 0.4)), tmp_path / "c",
            convert_rgb=True)
    embed_folder(tmp_path / "c", tmp_path / "s", "nsf5", 1.0, seed=1, workers=1)
    det = _fit("xunet", tmp_path / "c", tmp_path / "s", epochs=30, batch=16)
    _, c, s = load_pairs(tmp_path / "c", tmp_path / "s", "test", jpeg=True)
    assert measure(det, c, s)["PE"] < 0.5


def test_jpeg_wardens_refuse_in_one_line(corpus, stegos, tmp_path, cli, rng):
    from advstego.images import write_image

    png = tmp_path / "png"
    (png / "s").mkdir(parents=True)
    for k in range(3):
        write_image(png / f"{k}.png", textured(rng, 64, 64))
        write_image(png / "s" / f"{k}.png", textured(rng, 64, 64))
    r = cli("detect", "train", "--detector", "dctr-fld", "--covers", png, "--stegos",
            png / "s", "--split", "all", "-o", tmp_path / "d.safetensors")
    assert_clean_error(r, "dctr-fld", "JPEG")
    # JPEG covers whose stegos are PNGs
    jc, js = tmp_path / "jc", tmp_path / "js"
    jc.mkdir(), js.mkdir()
    for k in range(3):
        write_jpeg(jc / f"{k}.jpg", textured(rng, 64, 64), 75)
        write_image(js / f"{k}.png", textured(rng, 64, 64))
    r = cli("detect", "train", "--detector", "dctr-fld", "--covers", jc, "--stegos", js,
            "--split", "all", "-o", tmp_path / "d.safetensors")
    assert_clean_error(r, "not a JPEG")
    # GFR knows QF 75 and 95 only
    q90 = tmp_path / "q90"
    q90.mkdir()
    for k in range(3):
        write_jpeg(q90 / f"{k}.jpg", textured(rng, 64, 64), 90)
    embed_folder(q90, tmp_path / "q90s", "uerd", 1.0, workers=1)
    r = cli("detect", "train", "--detector", "gfr-fld", "--covers", q90, "--stegos",
            tmp_path / "q90s", "--split", "all", "-o", tmp_path / "g.safetensors")
    assert_clean_error(r, "GFR", "75 and 95", "QF 90")
    # a QF 75 warden tested on QF 90 JPEGs
    det = _fit("dctr-fld", corpus, stegos, L=5, d_sub=100)
    det.save(tmp_path / "d75.safetensors")
    r = cli("detect", "test", "--detector", tmp_path / "d75.safetensors", "--covers", q90,
            "--stegos", tmp_path / "q90s", "--split", "all")
    assert_clean_error(r, "QF 75", "QF 90")
    assert not (tmp_path / "d.safetensors").exists() and not (tmp_path / "g.safetensors").exists()


@pytest.mark.slow
def test_dctr_fld_trains_saves_and_loads_without_torch(tmp_path):
    """The core install's JPEG warden: no torch, no sealwatch (a process of its own)."""
    from test_install import NO_DEEP, _python

    code = NO_DEEP + '''
import numpy as np, sys
from pathlib import Path
from advstego.data.jpeg import JpegImage, write_jpeg
from advstego.embedding.jpeg import embed_jpeg
from advstego.steganalysis.detector import build_detector, load_detector
d = Path(sys.argv[1])
rng = np.random.default_rng(0)
c, s = [], []
for k in range(4):
    y, x = np.mgrid[0:64, 0:64]
    img = np.clip(128 + 60 * np.sin(x / 7 + k) + rng.normal(0, 20, (64, 64)), 0, 255)
    write_jpeg(d / f"{k}.jpg", img.astype(np.uint8), 75)
    embed_jpeg(d / f"{k}.jpg", d / f"{k}s.jpg", "uerd", 1.0, seed=k)
    c.append(JpegImage.read(d / f"{k}.jpg")), s.append(JpegImage.read(d / f"{k}s.jpg"))
det = build_detector("dctr-fld", L=3, d_sub=50, workers=1).fit(c, s, quiet=True)
det.save(d / "d.safetensors")
p = load_detector(d / "d.safetensors").prob_stego(c + s)
print(len(p), sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "sealwatch")))
'''
    assert _python(code, tmp_path).split() == ["8", "[]"]
