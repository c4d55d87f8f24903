"""The game in JPEG: the adversary family over a JPEG's DCT coefficients (the JPEG hider's
job, hiding/jpeg.py JpegJob: the wardens read the coefficients decompressed, so their
gradient reaches them), and `advstego harden --method jpeg` on a JPEG corpus."""

import csv
import json

import numpy as np
import pytest
import torch

import adversary_fixture as fixture
from conftest import assert_clean_error, textured
from jpeg_fixture import jpeg_corpus

from advstego.attacks.backpack import Backpack
from advstego.attacks.joint import Joint
from advstego.attacks.published import Published
from advstego.data import jpeg_io
from advstego.data.jpeg import JpegImage, _dct_mat, decompress, write_jpeg
from advstego.errors import InputError
from advstego.hiding import message as msg
from advstego.hiding.jpeg import JpegHider, JpegJob
from advstego.images import write_image

FILE = bytes(range(40))  # fits a 64x64 textured JPEG at 0.4 bpnzac


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _cover(tmp_path, rng, size=64, rgb=False):
    path = tmp_path / f"c{size}{'rgb' if rgb else ''}.jpg"
    write_jpeg(path, textured(rng, size, size, 3 if rgb else None), 75)
    return jpeg_io.read(path)


def _seen(jpeg) -> torch.Tensor:
    """What a CNN warden reads of a gray JPEG (its front end: steganalysis/cnn.py)."""
    from advstego.steganalysis.cnn import _stack

    image = JpegImage(tuple(jpeg.planes), tuple(jpeg.tables), jpeg.header.height,
                      jpeg.header.width)
    return _stack([image]).float().div(255)


class Linear:
    """A frozen linear toy warden: margin sum(v · x), v fixed."""

    name, differentiable = "linear", True

    def __init__(self, size):
        self.v = torch.from_numpy(np.random.default_rng(3).standard_normal((size, size)))
        self.net = torch.nn.Identity()

    def logits(self, x):
        m = (self.v.float() * x).sum((1, 2, 3))
        return torch.stack([torch.zeros_like(m), m], 1)


def test_the_coefficient_gradient_is_q_times_the_block_dct_of_the_pixels_gradient(tmp_path,
                                                                                   rng):
    cover = _cover(tmp_path, rng)
    job = JpegJob(JpegHider(bpnzac=0.4), cover, msg.Payload(FILE, msg.FILE, name="f.bin"))
    assert job.domain == "coefficients" and job.cover.shape == (8, 8, 8, 8)
    # the wardens' input is the decompression, as the CNN's front end reads the JPEG
    x = job.warden_input(job.tensor(cover.luma)[None])
    assert torch.equal(x, _seen(cover))
    exact = decompress(cover.luma, cover.tables[0])
    from advstego.data.jpeg import decompress_tensor

    t = decompress_tensor(torch.from_numpy(cover.luma).double(), cover.tables[0])
    assert np.abs(t.numpy() - exact).max() < 1e-9
    # autograd through it: d margin / d coef = q · blockDCT(d margin / d pixels) / 255
    warden = Linear(64)
    adversary = Joint([warden])
    score, g = adversary.gradient(job.plain.image, job)
    assert g.shape == job.cover.shape and np.isfinite(g).all()
    gp = warden.v.numpy() / 255  # the pixels' gradient of a linear warden on 0..255
    d = _dct_mat()
    analytic = d @ gp.reshape(8, 8, 8, 8).transpose(0, 2, 1, 3) @ d.T * cover.tables[0]
    assert np.abs(g - analytic).max() < 1e-4 * np.abs(analytic).max()
    # and a finite difference: one coefficient up by 1 moves the margin by its gradient
    i = (3, 5, 1, 2)
    up = job.plain.image.copy()
    up[i] += 1
    step = adversary.score(up, job) - adversary.score(job.plain.image, job)
    assert step == pytest.approx(g[i], rel=2e-2, abs=1e-3)
    assert score == pytest.approx(adversary.score(job.plain.image, job))


def _value(jpeg) -> float:
    """The toy warden's statistic of a JPEG, read as a CNN warden reads it."""
    with torch.no_grad():
        return float(fixture.Tanh(0.0, size=jpeg.header.width).value(_seen(jpeg)))


@pytest.mark.parametrize("scheme", [Published, Joint])
def test_adv_emb_over_coefficients_fools_a_frozen_warden_with_1_changes_and_reveals(
        tmp_path, rng, scheme):
    cover = _cover(tmp_path, rng)
    plain = JpegHider(bpnzac=0.4)
    y0, _ = plain.hide_file(cover, FILE, "f.bin")
    v0 = _value(y0)
    warden = fixture.Tanh(v0 - 3e-4, size=64)  # the plain stego is a stego to it, barely
    hider = JpegHider(bpnzac=0.4, adversary=scheme([warden]))
    y, info = hider.hide_file(cover, FILE, "f.bin")
    a = info["adversarial"]
    assert a["fooled"] and a["score_plain"] > 0 > a["score"]
    assert _value(y) < v0  # lower where the wardens read it, not only in the adversary
    change = y.luma.astype(int) - cover.luma
    assert np.abs(change).max() == 1 and not np.array_equal(y.luma, y0.luma)
    out = jpeg_io.write(y, tmp_path / "s.jpg")  # the file: the cover's tables, read back
    back = jpeg_io.read(out)
    assert all(np.array_equal(s, c) for s, c in zip(back.tables, cover.tables))
    assert np.array_equal(back.luma, y.luma)
    got = plain.reveal_payload(back)  # the plain receiver, bit for bit
    assert got.data == FILE and got.name == "f.bin"
    if scheme is Published:  # the two-part head of a JPEG (its 1024-element head)
        assert 0 < a["share"] < 1 and info["sigma"] == a["share"]


def test_backpack_differentiates_its_simulator_through_the_decompression(tmp_path, rng):
    cover = _cover(tmp_path, rng)
    plain = JpegHider(bpnzac=0.4)
    y0, _ = plain.hide_file(cover, FILE, "f.bin")
    warden = fixture.Tanh(_value(y0) - 8e-4, size=64)
    y, info = JpegHider(bpnzac=0.4, adversary=Backpack([warden], steps=6, check=2)
                        ).hide_file(cover, FILE, "f.bin")
    a = info["adversarial"]
    assert a["scheme"] == "backpack" and a["steps"] >= 2
    assert a["simulated"][1] < a["simulated"][0]  # the simulator's margin fell
    assert np.abs(y.luma.astype(int) - cover.luma).max() == 1
    assert plain.reveal_payload(y).data == FILE
    if a["fooled"]:
        assert _value(y) < _value(y0)


def test_a_colour_jpeg_takes_no_adversary(tmp_path, rng):
    cover = _cover(tmp_path, rng, rgb=True)
    hider = JpegHider(bpnzac=0.4, adversary=Joint([fixture.Tanh(0.0, size=64)]))
    with pytest.raises(InputError, match="gray JPEGs") as exc:
        hider.hide_file(cover, FILE[:8], "f.bin")
    assert "\n" not in str(exc.value)


# ---- harden on a JPEG corpus -------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """128x128 tiles at quality 75 with texture (the flat ones carry no secret at 1 bpnzac)."""
    return jpeg_corpus(tmp_path_factory.mktemp("jg") / "g75", size=128, max_tiles=2,
                       min_std=30)


FAST = ["--method", "jpeg", "--warden-epochs", "1", "--bpnzac", "1.0"]


@pytest.mark.slow
def test_harden_jpeg_plays_a_round_in_the_coefficients(tmp_path, cli, corpus):
    out = tmp_path / "h"
    r = cli("harden", "--data", corpus, "--out", out, "--rounds", "1", "--play", "minmax",
            "--scheme", "backpack", "--backpack-steps", "2", *FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "harden.csv")))
    assert [int(x["round"]) for x in rows] == [0, 1]
    assert [int(x["wardens_in_costs"]) for x in rows] == [0, 1]
    for x in rows:  # a JPEG's stego: PSNR of the pixels shown, the secret bit-exact
        assert 30 < float(x["stego_psnr"]) < 60 and x["secret_psnr"] == rows[0]["secret_psnr"]
    config = json.loads((out / "config.json").read_text())
    assert config["srm"] == "dctr-fld" and config["hider"]["name"] == "jpeg"
    report = (out / "report.md").read_text()
    assert "DCTR+FLD" in report and "saved as JPEG" in report and "bpnzac" in report
    # the test stegos are JPEGs with their covers' tables, every change 1, and reveal
    test = sorted((out / "round-1" / "test").glob("*.jpg"))
    assert test
    for f in test:
        s, c = jpeg_io.read(f), jpeg_io.read(corpus / "images" / f.name)
        assert np.array_equal(s.tables[0], c.tables[0])
        assert 0 < np.abs(s.luma.astype(int) - c.luma).max() <= 1
        assert JpegHider().reveal_payload(s) is not None
    cand = np.load(out / "round-1" / "candidates.npz")
    assert cand["test"].shape[1:] == (16, 16, 8, 8) and cand["test"].dtype == np.int16
    m = json.loads((out / "round-1" / "metrics.json").read_text())
    assert sum(m["chosen"]["rounds"]) == len(test) and m["pe_srm"] is not None
    strategy = json.loads((out / "strategy" / "strategy.json").read_text())
    assert strategy["bpnzac"] == 1.0 and strategy["jpeg_cost"] == "juniward"


def test_harden_refuses_a_corpus_of_the_other_domain_in_one_line(tmp_path, cli, corpus,
                                                                  tiny_corpus):
    from advstego.game.config import make_config
    from advstego.game.play import check_data

    for data, method, words in ((tiny_corpus, "jpeg", "plays on a JPEG corpus"),
                                (corpus, "stc", "a JPEG corpus"),
                                (corpus, "gan", "a JPEG corpus")):
        with pytest.raises(InputError, match=words) as exc:
            check_data(data, make_config("quick", method=method))
        assert "\n" not in str(exc.value)
    with pytest.raises(InputError, match="flattest cover .* cannot carry its secret"):
        check_data(corpus, make_config("quick", method="jpeg", bpnzac=0.05))
    out = tmp_path / "o"
    assert_clean_error(cli("harden", "--data", tiny_corpus, "--out", out, *FAST),
                       "JPEG corpus", "data prepare --jpeg")
    assert not out.exists()  # refused before --out is claimed


def test_hide_takes_a_jpeg_games_wardens_and_reveal_reads_the_stego(tmp_path, cli, rng):
    from advstego.steganalysis.detector import build_detector

    wardens = tmp_path / "w"
    wardens.mkdir()
    build_detector("xunet", epochs=1).save(wardens / "round-0-xunet.safetensors")
    _cover(tmp_path, rng, size=128)
    cover, secret = tmp_path / "c128.jpg", tmp_path / "secret.png"
    write_image(secret, textured(rng, 32, 32))
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.jpg",
            "--wardens", wardens, "--scheme", "joint", "--bpnzac", "0.4", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["adversarial"]["scheme"] == "joint"
    stego, c = jpeg_io.read(tmp_path / "s.jpg"), jpeg_io.read(cover)
    assert np.abs(stego.luma.astype(int) - c.luma).max() == 1
    r = cli("reveal", tmp_path / "s.jpg", "-o", tmp_path / "r.png")
    assert r.returncode == 0, r.stderr[-2000:]
    for flags, words in ((["--adversarial"], ("shipped wardens judge pixels", "--wardens")),
                         (["--scheme", "joint"], ("--scheme goes with --wardens",))):
        r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "x.jpg", *flags)
        assert_clean_error(r, *words)
    _cover(tmp_path, rng, size=128, rgb=True)
    r = cli("hide", "--cover", tmp_path / "c128rgb.jpg", "--secret", secret, "-o",
            tmp_path / "x.jpg", "--wardens", wardens, "--bpnzac", "0.4")
    assert_clean_error(r, "gray JPEGs")
    assert not (tmp_path / "x.jpg").exists()


# ---- the JPEG simulators' job ------------------------------------------------------------

@pytest.mark.parametrize("method", ["juniward", "uerd"])
def test_the_jpeg_simulators_job_plain_is_conseals_stego_and_takes_each_scheme(tmp_path, rng, method):
    from advstego.attacks.strategy import make_adversary
    from advstego.embedding.jpeg import simulate_jpeg
    from advstego.embedding.simulate import JpegSimulatorJob, adversarial_jpeg

    cover = _cover(tmp_path, rng)
    path = tmp_path / "c64.jpg"
    job = JpegSimulatorJob(cover, method, 0.4, 7)
    plain = simulate_jpeg(path, method, 0.4, 7)
    assert job.domain == "coefficients"
    assert np.array_equal(job.plain.image, plain.luma)  # conseal's own stego, bit for bit
    level = _value(plain) - 3e-4  # the plain stego is a stego to it, barely
    for scheme, settings in (("published", {}), ("joint", {"search": 2}),
                             ("backpack", {"steps": 2, "check": 1})):
        y = adversarial_jpeg(path, method, 0.4, 7,
                             make_adversary([fixture.Tanh(level, size=64)], scheme, **settings))
        change = y.luma.astype(int) - cover.luma
        assert np.abs(change).max() == 1, scheme
        assert all(np.array_equal(a, b) for a, b in zip(y.tables, cover.tables))
    assert not np.array_equal(y.luma, plain.luma)


def test_embed_takes_a_jpeg_games_wardens_for_juniward_and_uerd_only(tmp_path, cli, rng):
    from advstego.steganalysis.detector import build_detector

    wardens = tmp_path / "w"
    wardens.mkdir()
    build_detector("xunet", epochs=1).save(wardens / "round-0-xunet.safetensors")
    (tmp_path / "in").mkdir()
    write_jpeg(tmp_path / "in" / "a.jpg", textured(rng, 64, 64), 75)
    r = cli("embed", "--method", "uerd", "--in", tmp_path / "in", "--out", tmp_path / "u",
            "--wardens", wardens)
    assert r.returncode == 0 and "with adversarial costs" in r.stdout, r.stderr[-2000:]
    stego = jpeg_io.read(tmp_path / "u" / "a.jpg")
    assert np.abs(stego.luma.astype(int) - jpeg_io.read(tmp_path / "in" / "a.jpg").luma
                  ).max() == 1
    r = cli("embed", "--method", "nsf5", "--in", tmp_path / "in", "--out", tmp_path / "n",
            "--wardens", wardens)
    assert_clean_error(r, "nsf5", "juniward or uerd")
    assert not (tmp_path / "n").exists()


def test_a_jpeg_corpus_curriculum_is_j_uniward_at_warden_easy_bpnzac(corpus):
    from advstego.data.corpus import Corpus
    from advstego.game.domain import Jpegs

    c = Corpus(corpus)
    d = Jpegs(c, {s: c.files(s) for s in ("train", "val", "test")})
    easy = d.easy("val", 1.0, 0)
    assert len(easy) == len(d.covers["val"]) and all(isinstance(e, JpegImage) for e in easy)
    for e, cover in zip(easy, d.covers["val"]):
        change = e.components[0].astype(int) - cover.components[0]
        assert np.abs(change).max() == 1 and e.quality == cover.quality == 75
