"""Adversarial STC costs (ADV-EMB) and the min-max game of `advstego harden --method stc`."""

import csv
import json

import numpy as np
import pytest
import torch

from conftest import textured
from advstego.hiding.adversarial import Adversary, modulate
from advstego.hiding.classical import StcHider
from advstego.hiding.stc import embed_ternary


class Mean:
    """A differentiable 'warden' whose stego margin is sign * (mean grey level - level)."""

    name = "mean"

    def __init__(self, sign=1.0, level=0.0):
        self.sign, self.level = sign, level
        self.net = torch.nn.Identity()

    def logits(self, x):
        m = self.sign * (x.mean((1, 2, 3)) - self.level)
        return torch.stack([torch.zeros_like(m), m], 1)


def test_modulation_follows_the_gradient_sign():
    rp, rm = np.full(6, 2.0), np.full(6, 3.0)
    grad = np.array([1.0, -1.0, 0.0, 1.0, -1.0, 1.0])
    group = np.array([True, True, True, False, False, True])
    rp[5] = rm[5] = 1e8  # wet stays wet
    p, m = modulate(rp, rm, grad, group, alpha=2.0)
    # +1 raises the score where grad > 0: dearer there, and -1 cheaper; the other way below 0
    assert p.tolist()[:5] == [4.0, 1.0, 2.0, 2.0, 2.0]
    assert m.tolist()[:5] == [1.5, 6.0, 3.0, 3.0, 3.0]
    assert p[5] == m[5] == 1e8


def test_asymmetric_costs_reach_both_layers_of_the_ternary_code(rng):
    x = rng.integers(10, 240, 4000)
    msg = rng.integers(0, 2, 2400).astype(np.uint8)  # 0.6 bpp: both layers carry bits
    for cheap in ("+", "-"):
        rp = np.full(x.size, 1.0 if cheap == "+" else 8.0)
        y, m1, m2, _ = embed_ternary(x, rp, 9.0 - rp, msg, 8, 1)
        d = y - x
        assert m1 > 0 and m2 > 0
        up, down = int((d > 0).sum()), int((d < 0).sum())
        assert (up > 4 * down) if cheap == "+" else (down > 4 * up), (cheap, up, down)


def _pair(rng):
    return textured(rng, 128, 128), textured(np.random.default_rng(5), 128, 128)


def test_adversarial_stego_reveals_bit_exact_and_moves_against_the_gradient(rng):
    cover, secret = _pair(rng)
    plain = StcHider(payload=0.4)
    y0 = plain.hide(cover, secret)
    # a warden that calls brighter images stego, and never cover: the search runs to the end
    adv = StcHider(payload=0.4, adversary=Adversary([Mean(1.0, -1.0)], search=3))
    y1 = adv.hide(cover, secret)
    info = adv.last[-1]["adversarial"]
    assert info["embeddings"] == 3 and not info["fooled"]  # plain, 0.5, 1.0: never a cover
    assert info["beta"] == 1.0  # the lowest score: every element adjustable
    # the receiver is unchanged: the same secret bytes, bit for bit
    assert plain.extract(y1) == plain.extract(y0)
    assert np.array_equal(plain.reveal(y1), plain.reveal(y0))
    d0, d1 = y0.astype(int) - cover, y1.astype(int) - cover
    assert d1.sum() < d0.sum() - 100  # the brightening changes became darkening ones
    assert (d1 < 0).sum() > 2 * (d1 > 0).sum()


def test_search_stops_at_the_smallest_beta_that_fools(rng):
    cover, secret = _pair(rng)
    y0 = StcHider(payload=0.4).hide(cover, secret)
    level = y0.mean() / 255 - 0.02  # plain is a stego to it; darker stegos are covers
    adv = StcHider(payload=0.4, adversary=Adversary([Mean(1.0, level)], search=4))
    adv.hide(cover, secret)
    info = adv.last[-1]["adversarial"]
    assert info["score_plain"] > 0
    if info["fooled"]:
        assert info["score"] < 0 and 0 < info["beta"] <= 1
    # a warden fooled by the plain stego: no search at all
    easy = StcHider(payload=0.4, adversary=Adversary([Mean(-1.0, 0.0)]))
    assert np.array_equal(easy.hide(cover, secret), y0)
    assert easy.last[-1]["adversarial"]["embeddings"] == 1


def test_only_differentiable_wardens_make_costs():
    from advstego.errors import InputError
    from advstego.steganalysis.detector import build_detector

    with pytest.raises(InputError, match="CNN"):
        Adversary([build_detector("srm-fld")])
    with pytest.raises(InputError, match="alpha"):
        Adversary([Mean()], alpha=1.0)


def test_pe_of_fresh_wardens_and_the_final_round():
    from advstego.experiments.harden import best_round, make_config
    from advstego.metrics import pe_fresh, pe_worst_fresh

    rows = [{"pe_fresh_xunet": 0.20, "pe_fresh_srnet": 0.30, "pe_srm": 0.15},
            {"pe_fresh_xunet": 0.35, "pe_fresh_srnet": 0.25, "pe_srm": 0.12},
            {"pe_fresh_xunet": 0.22, "pe_fresh_srnet": 0.40, "pe_srm": 0.21}]
    w = ("xunet", "srnet")
    assert [pe_fresh(r, w) for r in rows] == [0.20, 0.25, 0.22]
    assert [pe_worst_fresh(r, w) for r in rows] == [0.15, 0.12, 0.21]
    assert best_round(rows, make_config("quick", wardens=w)) == 2


@pytest.fixture(scope="module")
def corpus128(tmp_path_factory):
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import sample_photos

    out = tmp_path_factory.mktemp("corpus") / "c128"
    photos = [p for p in sample_photos() if p.name in (
        "skimage-camera", "skimage-astronaut", "skimage-coffee", "skimage-chelsea",
        "pywt-ascent", "sklearn-china")]
    prepare(photos, PrepareConfig(size=128, mode="gray", max_tiles=3), out, convert_rgb=True)
    return out


FAST = ["--method", "stc", "--warden-epochs", "1", "--search", "1"]


def test_harden_stc_rounds_resume_and_a_strategy_to_hide_with(tmp_path, cli, corpus128):
    out = tmp_path / "h"
    r = cli("harden", "--data", corpus128, "--out", out, "--rounds", "1", *FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    m1 = json.loads((out / "round-1" / "metrics.json").read_text())
    assert m1["wardens_in_loss"] == 1 and len(m1["pe_earlier"]) == 1
    assert 0 <= m1["fooled"] <= 1 and m1["embed_seconds"] > 0
    # a killed round (its metrics never written) is played again; finished ones are kept
    (out / "round-1" / "metrics.json").unlink()
    r = cli("harden", "--data", corpus128, "--out", out, "--rounds", "2", *FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "harden.csv")))
    assert [int(x["round"]) for x in rows] == [0, 1, 2]
    assert [int(x["wardens_in_costs"]) for x in rows] == [0, 1, 2]
    for x in rows:  # the secret is carried bit-exact: its PSNR is the codec's, every round
        assert x["secret_psnr"] == rows[0]["secret_psnr"]
    strategy = json.loads((out / "strategy" / "strategy.json").read_text())
    k = strategy["round"]
    assert len(list((out / "strategy").glob("*.safetensors"))) == k
    if k == 0:  # plain costs won: give the hider the round-2 pool to use anyway
        wardens = out / "round-1"
    else:
        wardens = out
    cover = sorted((corpus128 / "images").glob("*.png"))[0]
    stego = tmp_path / "s.png"
    r = cli("hide", "--method", "stc", "--wardens", wardens, "--cover", cover,
            "--secret", cover, "-o", stego)
    assert r.returncode == 0, r.stderr[-2000:]
    r = cli("reveal", "--method", "stc", stego, "-o", tmp_path / "r.png")
    assert r.returncode == 0, r.stderr[-2000:]


def test_harden_stc_bad_wardens(tmp_path, cli, corpus128):
    from conftest import assert_clean_error

    cover = sorted((corpus128 / "images").glob("*.png"))[0]
    assert_clean_error(cli("hide", "--method", "stc", "--wardens", tmp_path, "--cover", cover,
                           "--secret", cover, "-o", tmp_path / "s.png"), "warden")
    assert not (tmp_path / "s.png").exists()
