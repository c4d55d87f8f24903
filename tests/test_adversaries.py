"""The adversary family (attacks/adversary.py and its members): the stegos each scheme makes."""

import numpy as np
import pytest
import torch

import adversary_fixture as fixture
from pathlib import Path

from advstego.attacks.adversary import modulate
from advstego.attacks.backpack import (Backpack, change_probabilities, entropy_bits,
                                       sample_changes, solve_lambda)
from advstego.attacks.joint import Joint
from advstego.attacks.published import Published
from advstego.hiding.classical import StcHider
from advstego.hiding.stc import embed_ternary
from conftest import Mean, textured

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def made():
    threads = torch.get_num_threads()
    try:
        yield fixture.current()
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("name", ["plain", "published", "joint", "backpack", "simulated-joint",
                                  "simulated-plain"])
def test_each_scheme_makes_the_stego_it_made_before_the_family(made, name):
    """Bit for bit the stegos of 8ae97d0 (tests/adversary_fixture.py wrote them)."""
    before = fixture.stored(DATA / "adversary_stegos.npz")[name]
    assert np.array_equal(made[name], before), int(np.sum(made[name] != before))


# ---- the family --------------------------------------------------------------------------

SCHEMES = ["backpack", "joint", "published"]
QUICK = {"backpack": {"steps": 4, "check": 2}, "joint": {"search": 2}, "published": {}}


def test_the_family_is_its_registry_and_every_scheme_choice_comes_from_it():
    from advstego.attacks.registry import ADVERSARIES
    from advstego.attacks.strategy import SETTINGS
    from advstego.cli import build_parser
    from advstego.game.config import FLAGS

    assert ADVERSARIES.names() == SCHEMES
    for name in SCHEMES:
        cls, _ = ADVERSARIES.get(name)
        assert cls.scheme == name and "seed" in cls.options
        assert all(o.maximum is not None for k, o in cls.options.items()), name
    assert SETTINGS["scheme"].choices == FLAGS["scheme"].choices == tuple(SCHEMES)
    hide = next(a for a in build_parser()._subparsers._group_actions[0].choices["hide"]._actions
                if a.dest == "scheme")
    assert list(hide.choices) == SCHEMES


def test_settings_are_checked_by_the_members_options():
    from advstego.attacks.strategy import make_adversary
    from advstego.errors import InputError

    w = [fixture.Tanh(0.0)]
    for scheme, bad, word in (("published", {"alpha": 1.0}, "above 1"),
                              ("joint", {"search": 65}, "at most 64"),
                              ("backpack", {"lr": 0.0}, "above 0"),
                              ("backpack", {"draws": 0}, "at least 1"),
                              ("published", {"lr": float("inf")}, "finite"),  # another's, checked
                              ("joint", {"gamma": 1}, "unknown setting")):
        with pytest.raises(InputError, match=word):
            make_adversary(w, scheme, **bad)
    with pytest.raises(InputError, match="unknown adversary 'nope'; known: backpack, joint"):
        make_adversary(w, "nope")
    # a game records every member's settings: another member's are left out
    p = make_adversary(w, "published", alpha=3, search=8, steps=5, lr=0.5)
    assert p.alpha == 3.0 and not hasattr(p, "steps") and not hasattr(p, "search")
    b = make_adversary(w, "backpack", alpha=3, steps=5)
    assert (b.steps, b.lr, b.draws, b.check) == (5, 0.1, 4, 5) and not hasattr(b, "alpha")


def test_a_strategy_json_names_the_member_and_its_settings(tmp_path):
    import json

    from advstego.attacks.strategy import strategy_settings
    from advstego.errors import InputError

    (tmp_path / "strategy.json").write_text(json.dumps(
        {"round": 2, "scheme": "backpack", "steps": 7, "lr": 0.2, "alpha": 2.0, "search": 4,
         "play": "minmax", "cost": "suniward"}))
    assert strategy_settings(tmp_path) == {"scheme": "backpack", "steps": 7, "lr": 0.2,
                                           "alpha": 2.0, "search": 4}
    (tmp_path / "strategy.json").write_text(json.dumps({"scheme": "jpeg-adv"}))
    with pytest.raises(InputError, match="scheme 'jpeg-adv' must be one of backpack, joint"):
        strategy_settings(tmp_path)


class CountingJob:
    """A SimulatorJob that counts what an adversary asks of it."""

    def __init__(self, job):
        self.job, self.calls = job, []

    def __getattr__(self, name):
        got = getattr(self.job, name)
        if name in ("embed", "common", "finish"):
            return lambda *a: (self.calls.append(name), got(*a))[1]
        return got


def _simulator_job(level_below=3e-4):
    from advstego.embedding.simulate import SimulatorJob

    job = SimulatorJob(fixture.cover(), "suniward", 0.4, 7)
    return job, fixture.Tanh(fixture.value(job.plain.image) - level_below)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_member_takes_a_job_and_declares_what_it_did(scheme):
    from advstego.attacks.adversary import AdversaryInfo
    from advstego.attacks.strategy import make_adversary
    from advstego.hiding.job import Embedded

    job, warden = _simulator_job()
    counting = CountingJob(job)
    stego, info = make_adversary([warden], scheme, **QUICK[scheme]).stego(counting)
    assert isinstance(stego, Embedded) and isinstance(info, AdversaryInfo)
    assert info.scheme == scheme and info.score_plain > 0 and info.fooled == (info.score < 0)
    assert info.fooled and 0 < info.share <= 1, info  # this warden is fooled by each
    assert np.abs(stego.image.astype(int) - job.cover).max() == 1
    assert not np.array_equal(stego.image, job.plain.image)
    # what it asked of the job: two parts per σ (published), one-part embeddings (the others)
    asked = {"published": {"common", "finish"}, "joint": {"embed"}, "backpack": {"embed"}}
    assert set(counting.calls) == asked[scheme]
    assert info.embeddings == 1 + len(counting.calls) // (2 if scheme == "published" else 1)
    d = info.to_dict()
    assert list(d)[:6] == ["scheme", "fooled", "score_plain", "score", "embeddings", "share"]
    assert "extra" not in d and not {"beta", "sigma"} & set(d)
    assert {"published": "tried", "joint": None, "backpack": "simulated"}[scheme] in (*d, None)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_pool_the_plain_stego_fools_gets_the_plain_stego_with_share_0(scheme):
    from advstego.attacks.strategy import make_adversary

    job, _ = _simulator_job()
    easy = fixture.Tanh(fixture.value(job.plain.image) + 1e-3)  # plain below its level
    counting = CountingJob(job)
    stego, info = make_adversary([easy], scheme).stego(counting)
    assert stego is job.plain and info.fooled and info.share == 0 and info.embeddings == 1
    assert counting.calls == []


def test_published_refuses_a_job_without_two_parts():
    from advstego.attacks.published import Published
    from advstego.errors import InputError
    from advstego.hiding.job import EmbeddingJob

    job, warden = _simulator_job()
    one = EmbeddingJob(job.cover, job.rho_p, job.rho_m, job.plain, job.bits, job.seed)
    with pytest.raises(InputError, match="EmbeddingJob makes one-part stegos only"):
        Published([warden]).stego(one)
    with pytest.raises(ValueError, match="no two-part stego"):
        one.common(0.5)


def test_the_share_is_the_published_sigma_and_a_fooling_backpack_stego_has_share_1():
    from advstego.attacks.backpack import Backpack
    from advstego.attacks.published import Published

    job, warden = _simulator_job()
    _, info = Published([warden]).stego(job)
    assert info.fooled and info.share == info.extra["tried"][-1][0] > 0.1
    _, info = Backpack([warden], steps=6, check=3).stego(job)
    assert info.fooled and info.share == 1.0 and info.extra["steps"] in (3, 6)
    never = fixture.Tanh(-1.0)  # every stego a stego to it
    y, info = Backpack([never], steps=2, check=1).stego(job)
    assert y is job.plain and not info.fooled and info.share == 0 and info.embeddings == 3


# ---- the simulator's job -----------------------------------------------------------------

def test_the_simulator_job_embeds_two_parts_in_a_keyed_common_group():
    job, _ = _simulator_job()
    c = job.cover.astype(int)
    common = job.common(0.3)
    changed = common.image.astype(int) - c
    assert np.abs(changed).max() == 1 and np.array_equal(job.common(0.3).image, common.image)
    group = job._common_group(0.3)
    assert group.mean() == pytest.approx(0.7, abs=1e-3) and not changed[~group].any()
    # the adjustable group's costs: cheap +1 changes, dear −1 ones
    rp, rm = np.where(group, job.rho_p, job.rho_p / 4), np.where(group, job.rho_m, job.rho_m * 4)
    y = job.finish(common, 0.3, rp, rm).image.astype(int) - c
    assert np.array_equal(y[group], changed[group])  # the common part as it was
    up, down = (y[~group] > 0).sum(), (y[~group] < 0).sum()
    assert up > 3 * down and up + down > 100
    # a group with no room for its part
    full = np.full(job.cover.shape, 1e8)
    with pytest.raises(ValueError, match="capacity"):
        job.finish(common, 0.3, full, full)


def test_under_the_simulator_each_scheme_runs_as_named(tmp_path):
    """`embed --wardens` with a Backpack strategy ran joint ADV-EMB before the family."""
    import json

    from advstego.attacks.strategy import make_adversary
    from advstego.embedding.simulate import SimulatorJob, _seed_for, embed_folder, simulate
    from advstego.images import read_image, write_image

    src, pool = tmp_path / "covers", tmp_path / "pool"
    src.mkdir(), pool.mkdir()
    write_image(src / "c.png", fixture.cover())
    seed = _seed_for("c.png", 0)
    level = fixture.value(simulate(fixture.cover(), "suniward", 0.4, seed)) - 3e-4
    stegos = {}
    for scheme in SCHEMES:
        settings = {"scheme": scheme, **QUICK[scheme], "level": level}
        (pool / "strategy.json").write_text(json.dumps(settings))
        out = tmp_path / scheme
        embed_folder(src, out, "suniward", 0.4, 0, workers=1, wardens=str(pool),
                     load_adversary=toy_strategy)
        stegos[scheme] = read_image(out / "c.png", "gray")
        own = make_adversary([fixture.Tanh(level)], scheme, **QUICK[scheme]).stego(
            SimulatorJob(fixture.cover(), "suniward", 0.4, seed))[0].image
        assert np.array_equal(stegos[scheme], own), scheme
        from advstego.embedding.simulate import _ADVERSARY
        _ADVERSARY.clear()  # the next strategy in the same folder
    assert len({s.tobytes() for s in stegos.values()}) == 3


def toy_strategy(folder):
    """load_adversary for a folder whose strategy.json names a toy warden's level."""
    import json
    from pathlib import Path

    from advstego.attacks.strategy import make_adversary, strategy_settings

    level = json.loads((Path(folder) / "strategy.json").read_text())["level"]
    return make_adversary([fixture.Tanh(level)], **strategy_settings(folder))


def test_embed_with_a_backpack_strategy_runs_backpack(tmp_path, cli, monkeypatch):
    import json
    import shutil

    from advstego.attacks.backpack import Backpack
    from advstego.attacks.strategy import shipped_strategy
    from advstego.images import write_image

    src, pool = tmp_path / "covers", tmp_path / "pool"
    src.mkdir(), pool.mkdir()
    write_image(src / "c.png", fixture.cover())
    shutil.copyfile(shipped_strategy() / "round-0-xunet.safetensors", pool / "w.safetensors")
    (pool / "strategy.json").write_text(json.dumps({"scheme": "backpack", "steps": 2}))
    ran, stego = [], Backpack.stego
    monkeypatch.setattr(Backpack, "stego", lambda self, job: (ran.append(
        (type(job).__name__, self.steps)), stego(self, job))[1])
    r = cli("embed", "--method", "suniward", "--in", src, "--out", tmp_path / "o",
            "--wardens", pool, "--workers", "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert ran == [("SimulatorJob", 2)]


def test_embed_with_adversarial_costs_resumes_and_refuses_bad_wardens(tmp_path, cli, corpus128):
    from conftest import assert_clean_error
    from advstego.images import read_image
    from advstego.steganalysis.detector import build_detector

    covers = sorted((corpus128 / "images").glob("*.png"))[:4]
    src = tmp_path / "covers"
    src.mkdir()
    for c in covers:
        (src / c.name).write_bytes(c.read_bytes())
    pool = tmp_path / "pool"
    pool.mkdir()
    imgs = [read_image(c, "gray") for c in covers]
    warden = build_detector("xunet", epochs=1).fit(imgs, [np.flipud(i) for i in imgs], quiet=True)
    warden.save(pool / "w.safetensors")
    r = cli("embed", "--method", "suniward", "--payload", "0.4", "--in", src,
            "--out", tmp_path / "adv", "--wardens", pool, "--workers", "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "adversarial" in r.stdout
    plain = cli("embed", "--method", "suniward", "--payload", "0.4", "--in", src,
                "--out", tmp_path / "plain", "--workers", "1")
    assert plain.returncode == 0
    a = read_image(tmp_path / "adv" / covers[0].name, "gray")
    c0 = read_image(covers[0], "gray")
    assert np.abs(a.astype(int) - c0).max() <= 1 and (a != c0).any()
    # another pool of wardens is another run: refused in the same folder
    assert_clean_error(cli("embed", "--method", "suniward", "--in", src, "--out",
                           tmp_path / "adv", "--workers", "1"), "")
    assert_clean_error(cli("embed", "--method", "suniward", "--in", src, "--out",
                           tmp_path / "x", "--wardens", tmp_path / "none"), "warden")
    assert not (tmp_path / "x").exists()


# ---- the members on the STC hider ------------------------------------------------------


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
    adv = StcHider(payload=0.4, adversary=Joint([Mean(1.0, -1.0)], search=3))
    y1, info = adv.hide_info(cover, secret)
    info = info["adversarial"]
    assert info["embeddings"] == 4 and not info["fooled"]  # plain + 3: never a cover
    assert info["share"] == 1.0  # the lowest score: every element adjustable
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
    adv = StcHider(payload=0.4, adversary=Joint([Mean(1.0, level)], search=4))
    info = adv.hide_info(cover, secret)[1]["adversarial"]
    assert info["score_plain"] > 0
    if info["fooled"]:
        assert info["score"] < 0 and 0 < info["share"] <= 1
    # a warden fooled by the plain stego: no search at all
    easy = StcHider(payload=0.4, adversary=Published([Mean(-1.0, 0.0)]))
    y, info = easy.hide_info(cover, secret)
    assert np.array_equal(y, y0) and info["adversarial"]["embeddings"] == 1


def test_published_adv_emb_keeps_the_smallest_sigma_that_fools(rng):
    """Tang et al.: the common group first, σ ascending, the smallest fooling σ kept; the
    receiver reads both parts (a second head format beside the one-part one)."""
    cover, secret = _pair(rng)
    plain = StcHider(payload=0.4)
    y0 = plain.hide(cover, secret)
    level = y0.mean() / 255 - 0.00015  # the plain stego is a stego to it, barely
    adv = StcHider(payload=0.4, adversary=Published([Mean(1.0, level)]))
    y, info = adv.hide_info(cover, secret)
    a = info["adversarial"]
    assert a["scheme"] == "published" and a["fooled"] and a["score_plain"] > 0 > a["score"]
    tried = a["tried"]
    assert [s for s, _ in tried] == [k / 10 for k in range(1, len(tried) + 1)]  # ascending
    assert all(score >= 0 for _, score in tried[:-1]) and tried[-1] == [a["share"], a["score"]]
    assert info["sigma"] == a["share"] and not np.array_equal(y, y0)
    assert np.array_equal(plain.reveal(y), plain.reveal(y0))  # the same secret, bit for bit
    assert plain.extract(y) == plain.extract(y0)


def test_published_adv_emb_falls_back_to_the_plain_stego(rng):
    cover, secret = _pair(rng)
    y0 = StcHider(payload=0.4).hide(cover, secret)
    never = StcHider(payload=0.4, adversary=Published([Mean(1.0, -1.0)]))
    y, info = never.hide_info(cover, secret)
    assert np.array_equal(y, y0)  # never fooled: the plain stego, not a modulated one
    a = info["adversarial"]
    assert not a["fooled"] and a["share"] == 0 and len(a["tried"]) == 9


def test_published_adv_emb_takes_the_gradient_at_the_intermediate_stego(rng):
    cover, secret = _pair(rng)
    y0 = StcHider(payload=0.4).hide(cover, secret)
    adversary = Published([Mean(1.0, -1.0)])
    seen, gradient = [], adversary.gradient
    adversary.gradient = lambda image, job: (seen.append(image.copy()), gradient(image, job))[1]
    StcHider(payload=0.4, adversary=adversary).hide_info(cover, secret)
    assert len(seen) == 9  # one gradient per σ, each at its own intermediate stego
    changed = [int(np.sum(m != cover)) for m in seen]
    plain_changes = int(np.sum(y0 != cover))
    # only the common group (1 − σ of the elements) is embedded: fewer changes as σ grows
    assert all(0 < c < plain_changes for c in changed[1:])
    assert changed == sorted(changed, reverse=True)


def test_only_differentiable_wardens_make_costs():
    from advstego.errors import InputError
    from advstego.steganalysis.detector import build_detector

    with pytest.raises(InputError, match="CNN"):
        Published([build_detector("srm-fld")])
    with pytest.raises(InputError, match="alpha"):
        Published([Mean()], alpha=1.0)


def test_backpack_lambda_carries_the_payload_and_its_gradient_is_implicit():
    g = torch.Generator().manual_seed(0)
    cp = (torch.rand(400, generator=g, dtype=torch.float64) * 5 + 0.5).requires_grad_(True)
    cm = (torch.rand(400, generator=g, dtype=torch.float64) * 5 + 0.5).requires_grad_(True)
    bits = 0.4 * 400
    lam = solve_lambda(cp, cm, bits)
    assert float(entropy_bits(lam.detach(), cp.detach(), cm.detach())) == pytest.approx(bits,
                                                                                         rel=1e-6)
    # dλ/dρ by the implicit function theorem matches a finite difference
    lam.backward()
    i, eps = 7, 1e-5
    up = cp.detach().clone()
    up[i] += eps
    fd = (float(solve_lambda(up, cm.detach(), bits)) - lam.item()) / eps
    assert cp.grad[i].item() == pytest.approx(fd, rel=1e-3)


def test_backpack_gradient_reaches_the_costs():
    """The loss of the wardens flows back through the Gumbel draws and the probabilities to
    every dry cost."""
    g = torch.Generator().manual_seed(1)
    theta = torch.zeros(2, 32, 32, dtype=torch.float64, requires_grad=True)
    base = torch.full((2, 32, 32), 3.0, dtype=torch.float64)
    cp, cm = base[0] * theta[0].exp(), base[1] * theta[1].exp()
    delta = sample_changes(change_probabilities(cp, cm, 0.4 * 1024), 8, g)
    assert set(torch.unique(delta.detach()).tolist()) <= {-1.0, 0.0, 1.0}  # hard draws
    x = torch.full((8, 1, 32, 32), 128.0, dtype=torch.float64)
    margin = Mean(1.0, 0.5).logits(((x + delta[:, None]) / 255).float())[:, 1]
    margin.mean().backward()
    grad = theta.grad
    assert torch.isfinite(grad).all() and (grad != 0).float().mean() > 0.9
    # raising the mean is what this warden sees: +1 made dearer (ρ+1 up), −1 cheaper
    assert grad[0].mean() < 0 < grad[1].mean()


@pytest.mark.slow
def test_backpack_stegos_extract_bit_exact_and_fool_where_the_plain_one_does_not(rng):
    cover, secret = textured(rng, 128, 128), textured(np.random.default_rng(5), 128, 128)
    plain = StcHider(payload=0.4)
    y0 = plain.hide(cover, secret)
    level = y0.mean() / 255 - 0.0002  # the plain stego is a stego to it, barely
    hider = StcHider(payload=0.4, adversary=Backpack([Mean(1.0, level)], steps=10, check=2))
    y, info = hider.hide_info(cover, secret)
    a = info["adversarial"]
    assert a["scheme"] == "backpack" and a["score_plain"] > 0 > a["score"] and a["fooled"]
    assert a["simulated"][1] < a["simulated"][0]  # the simulator's margin fell
    assert not np.array_equal(y, y0) and np.abs(y.astype(int) - cover).max() == 1
    assert plain.extract(y) == plain.extract(y0)  # the same message, bit for bit
    # a warden it cannot fool: the plain stego (the lowest score seen) is kept
    never = StcHider(payload=0.4, adversary=Backpack([Mean(1.0, -1.0)], steps=4, check=2))
    y, info = never.hide_info(cover, secret)
    assert np.array_equal(y, y0) and not info["adversarial"]["fooled"]
