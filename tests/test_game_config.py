"""A game's settings (game/config.py): the game's own, a hider spec checked by the hider's
options, an adversary spec checked by the member's, config.json in this schema and the
earlier flat one, and the `harden` flags users know."""

import json
from pathlib import Path

import pytest

from advstego.errors import InputError
from advstego.game.config import (FLAGS, HardenConfig, Spec, game_settings, make_config,
                                  round0_settings, same_game)

ROOT = Path(__file__).resolve().parents[1]
# `advstego harden --help` before the specs (commit c46a077): users' flags stay these
HARDEN_FLAGS = (
    "--alpha --backpack-lr --backpack-steps --batch --bpnzac --codec --cost --crop --data "
    "--device --help --jpeg-cost --key --key-file --l-adv --la --lc --lr --method --model --out "
    "--payload --play "
    "--preset --round0 --rounds --scheme --search --seed --seeds --steps --tau --warden-easy "
    "--warden-epochs --warden-warmup -h").split()


def _refused(match, make):
    with pytest.raises(InputError, match=match) as exc:
        make()
    assert "\n" not in str(exc.value)


def test_the_hider_spec_is_checked_by_the_hiders_options():
    from advstego.hiding.classical import StcHider
    from advstego.hiding.model import HidingModel

    stc = make_config("quick", method="stc", payload=0.2, codec="jpeg")
    assert stc.hider.name == "stc" and set(stc.hider.settings) == set(StcHider.options)
    assert stc.hider.settings["payload"] == 0.2 and stc.hider.settings["stc_h"] == 10
    gan = make_config("quick")
    assert gan.hider == Spec("gan", {"model": "v2", "key": "advstego", "bf16": False})
    assert set(gan.hider.settings) == set(HidingModel.options) - {"device"}  # the game's
    _refused(r"hider stc: stc_h 13 must be at most 12",
             lambda: HardenConfig(hider=Spec("stc", {"stc_h": 13})))
    _refused(r"hider stc: unknown setting 'model'",
             lambda: HardenConfig(hider=Spec("stc", {"model": "v2"})))
    _refused(r"hider gan: unknown setting 'device'",
             lambda: HardenConfig(hider=Spec("gan", {"device": "cuda"})))
    _refused(r"--method lsb: plays a trainable hider", lambda: HardenConfig(hider=Spec("lsb")))
    _refused(r"harden: payload 1.5 must be at most 1.2",
             lambda: make_config("quick", method="stc", payload=1.5))
    _refused(r"unknown harden settings: paylod", lambda: make_config("quick", paylod=0.2))


def test_the_adversary_spec_is_checked_by_the_members_options():
    from advstego.attacks.backpack import Backpack
    from advstego.options import check

    cfg = make_config("quick", method="stc", scheme="backpack", backpack_steps=7)
    assert cfg.adversary == Spec("backpack", check("b", Backpack.options, {"steps": 7}))
    assert cfg.play == "pool" and cfg.finetune is None  # the preset's steps are the GAN's
    # another member's setting is checked by the family's options, then left out
    assert "search" not in make_config("quick", method="stc", search=8).adversary.settings
    _refused(r"search 65 must be at most 64",
             lambda: make_config("quick", method="stc", scheme="published", search=65))
    stc = Spec("stc")
    _refused(r"adversary joint: search 65 must be at most 64",
             lambda: HardenConfig(hider=stc, adversary=Spec("joint", {"search": 65})))
    _refused(r"adversary published: unknown setting 'draws'",
             lambda: HardenConfig(hider=stc, adversary=Spec("published", {"draws": 2})))
    _refused(r"scheme 'once' must be one of", lambda: HardenConfig(hider=stc,
                                                                   adversary=Spec("once")))
    _refused(r"hider gan: takes no adversary",
             lambda: HardenConfig(adversary=Spec("published")))
    gan = make_config("quick", l_adv=0.5, scheme="joint", play="minmax")
    assert gan.adversary is None and gan.play is None and gan.finetune.l_adv == 0.5


def test_round0_is_shared_by_games_whose_adversary_spec_differs():
    pool = make_config("offline-stc", scheme="joint")
    other = make_config("offline-stc", scheme="backpack", backpack_steps=4, play="minmax")
    assert game_settings(pool) != game_settings(other)
    assert round0_settings(pool) == round0_settings(other)
    assert "adversary" not in round0_settings(pool) and "play" not in round0_settings(pool)
    assert same_game(pool.to_dict(), other, round0=True)
    assert not same_game(pool.to_dict(), other)
    assert not same_game(pool.to_dict(), make_config("offline-stc", payload=0.3), round0=True)


def test_config_json_round_trips_and_an_old_flat_one_loads():
    cfg = make_config("quick", method="stc", scheme="joint", codec="jpeg", rounds=3)
    d = cfg.to_dict()
    assert list(d)[-4:] == ["hider", "adversary", "play", "rounds"] and d["rounds"] == 3
    assert HardenConfig.from_dict(d).to_dict() == d
    # a run written before specs (as the committed games were): flat, the STC player's
    # fields and every scheme's, no codec (jpeg then) and no scheme (joint then)
    old = {"method": "stc", "wardens": ["xunet"], "warden_epochs": 3, "seeds": 1,
           "warden_warmup": 0, "warden_easy": 1.0, "srm": "srmq1-fld", "srm_L": 31,
           "srm_d_sub": 600, "seed": 0, "preset": "quick", "payload": 0.4, "cost": "suniward",
           "key": "", "alpha": 2.0, "search": 4, "play": "pool", "backpack_steps": 20,
           "backpack_lr": 0.1, "rounds": 3}
    assert HardenConfig.from_dict(old).to_dict() == d and same_game(old, cfg)
    gan = {"method": "gan", "model": "v2", "steps": 40, "tau": 1.0, "rounds": 2}
    g = HardenConfig.from_dict(gan)
    assert g.hider.settings["model"] == "v2" and g.finetune.steps == 40 and g.adversary is None
    assert same_game(gan, make_config("quick", rounds=5))  # rounds extend a game
    for bad in ({**d, "colour": 1}, {**d, "hider": "stc"}, [1]):
        with pytest.raises(InputError):
            HardenConfig.from_dict(bad)
        assert not same_game(bad, cfg)
    for f in sorted(ROOT.glob("results/*/*/config.json")):  # migrated: in this schema
        had = json.loads(f.read_text())
        assert "hider" in had and HardenConfig.from_dict(had).to_dict() == had, f


def test_the_harden_flags_are_the_ones_users_know():
    from advstego.cli import build_parser

    harden = build_parser()._subparsers._group_actions[0].choices["harden"]
    flags = sorted(s for a in harden._actions for s in a.option_strings)
    assert flags == sorted(HARDEN_FLAGS)
    assert FLAGS["payload"] is not None and FLAGS["backpack_steps"].maximum == 1000
    from advstego.attacks.backpack import Backpack
    from advstego.hiding.classical import StcHider

    # generated from the members: the same Option, its help prefixed by the player
    assert FLAGS["codec"].choices == StcHider.options["codec"].choices
    assert FLAGS["backpack_lr"]._replace(help="") == Backpack.options["lr"]._replace(help="")


@pytest.mark.parametrize("flags, named", [
    (["--method", "stc", "--model", "v1"], "--model: harden --method stc"),
    (["--method", "stc", "--steps", "5"], "--steps: harden --method stc"),
    (["--cost", "wow"], "--cost: harden --method gan"),
    (["--alpha", "3"], "--alpha: harden --method gan"),
    (["--method", "stc", "--scheme", "backpack", "--search", "3"], "--search: harden --method stc --scheme backpack"),
])
def test_a_harden_flag_the_game_does_not_take_is_refused(tmp_path, capsys, flags, named):
    from advstego import cli

    (tmp_path / "corpus").mkdir()
    assert cli.main(["harden", "--data", str(tmp_path / "corpus"), "--out",
                     str(tmp_path / "run"), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"advstego: error: {named}") and err.count("\n") == 1
    assert not (tmp_path / "run").exists()
