"""Hiders are built one way: load_hider, with their adversary and channels given to the
constructor; roles come from the capabilities a class declares, never from its name; the
command line sets no global."""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from advstego.errors import InputError

PACKAGE = Path(__file__).resolve().parents[1] / "advstego"


def _sources(*parts):
    for part in parts:
        path = PACKAGE / part
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


class _Adversary:
    """Stands for an attacks/ adversary: load_hider only hands it over."""


def test_load_hider_gives_adversary_and_secret_channels_to_the_constructor():
    from advstego.hiding.registry import load_hider

    adversary = _Adversary()
    hider = load_hider("stc", 1, secret_channels=3, adversary=adversary, payload=0.3)
    assert hider.adversary is adversary and hider.name.endswith("-adv")
    assert (hider.cover_channels, hider.secret_channels, hider.payload) == (1, 3, 0.3)
    plain = load_hider("stc", 3)
    assert plain.adversary is None and plain.secret_channels == 3
    assert not plain.name.endswith("-adv")


def test_load_hider_refuses_what_a_hider_cannot_take():
    from advstego.hiding.registry import load_hider

    with pytest.raises(InputError, match="hider lsb: takes no adversarial costs.*stc"):
        load_hider("lsb-2", adversary=_Adversary())
    with pytest.raises(InputError, match="hider lsb: the secret has the cover's channels"):
        load_hider("lsb", 1, secret_channels=3)
    assert load_hider("lsb", 3, secret_channels=3).secret_channels == 3  # the same: fine


def test_an_rgb_secret_in_a_gray_cover_is_given_to_the_hider(tmp_path, cli, rng):
    from advstego.images import read_image, write_image

    write_image(tmp_path / "c.png", rng.integers(0, 256, (128, 128), dtype=np.uint8))
    secret = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    write_image(tmp_path / "s.png", secret)
    r = cli("hide", "--cover", tmp_path / "c.png", "--secret", tmp_path / "s.png", "-o",
            tmp_path / "st.png", "--codec", "webp", "--payload", "1")
    assert r.returncode == 0, r.stderr
    r = cli("reveal", tmp_path / "st.png", "-o", tmp_path / "back.png")
    assert r.returncode == 0, r.stderr
    assert read_image(tmp_path / "back.png").shape == secret.shape


def test_roles_are_declared_capabilities():
    from advstego.game.config import FLAGS, PLAYERS, HardenConfig
    from advstego.hiding.registry import HIDERS, hider_has, hiders_that, the_hider_that

    assert the_hider_that("trainable") == "gan"
    assert the_hider_that("takes_adversarial_costs", jpeg_files=False) == "stc"
    assert the_hider_that("takes_adversarial_costs", jpeg_files=True) == "jpeg"
    assert hiders_that("takes_adversarial_costs") == ["jpeg", "stc"]
    with pytest.raises(ValueError, match="2 hiders declare"):
        the_hider_that("takes_adversarial_costs")
    assert hiders_that("sealed") == ["stc"] and hider_has("stc", "any_secret_size")
    assert not hider_has("gan", "keyed")  # a property decided per model is no class role
    assert hiders_that("trainable") == ["gan"] and len(HIDERS.names()) == 4
    assert hiders_that("jpeg_files") == ["jpeg"] and not hider_has("jpeg", "sealed")
    for undeclared in ("flies", "options", "name"):  # not a capability of base.Hider
        with pytest.raises(ValueError, match=f"'{undeclared}' is not a capability"):
            hiders_that(undeclared)
    assert FLAGS["method"].choices == PLAYERS == ("gan", "stc", "jpeg")
    assert HardenConfig().method == "gan"


def test_a_new_hider_with_a_capability_takes_the_role(monkeypatch):
    """A role follows the capability: a second sealed hider joins hiders_that by it alone."""
    from advstego.hiding import registry
    from advstego.hiding.base import Hider

    class Parity(Hider):
        sealed = True

    monkeypatch.setitem(registry.HIDERS.members, "parity", __name__)
    monkeypatch.setitem(registry.HIDERS._items, "parity", (Parity, {}))
    assert registry.hiders_that("sealed") == ["parity", "stc"]
    with pytest.raises(ValueError, match="2 hiders declare 'sealed'"):
        registry.the_hider_that("sealed")


def test_the_source_builds_hiders_one_way_and_keys_no_role_on_a_name():
    built = [f"{p.relative_to(PACKAGE)}:{n}" for p in _sources(".")
             if p.parent.name != "hiding"
             for n, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"\b(StcHider|LsbHider)\(|HidingModel\.load\(", line)]
    assert built == []
    role = re.compile(r"""[!=]= *["'](stc|gan)["']|["'](stc|gan)["'] *[!=]=|\bTRAINABLE\b|"""
                      r"""\bADVERSARIAL\b""")
    named = [f"{p.relative_to(PACKAGE)}:{n}: {line.strip()}"
             for p in _sources("game", "experiments", "attacks", "cli.py")
             for n, line in enumerate(p.read_text().splitlines(), 1) if role.search(line)]
    assert named == []


def test_the_cli_sets_no_global_at_start_up():
    """No `module.NAME = ...` on one of advstego's modules, no `global`, anywhere in cli.py."""
    tree = ast.parse((PACKAGE / "cli.py").read_text())
    ours = {a.asname or a.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level > 0 for a in node.names}
    set_on_ours = [ast.unparse(t) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                   for t in node.targets if isinstance(t, ast.Attribute)
                   and isinstance(t.value, ast.Name) and t.value.id in ours]
    assert set_on_ours == []
    assert not any(isinstance(node, ast.Global) for node in ast.walk(tree))


def test_max_pixels_is_the_limit_of_one_call(tmp_path, cli, rng):
    from advstego.images import DEFAULT_MAX_PIXELS, max_pixels, pixel_limit, read_image, \
        write_image

    path = tmp_path / "c.png"
    write_image(path, rng.integers(0, 256, (32, 32), dtype=np.uint8))
    with pytest.raises(InputError, match="32x32 is more than --max-pixels 1,000"):
        read_image(path, max_pixels=1000)
    with pixel_limit(1000):
        assert max_pixels() == 1000
        with pytest.raises(InputError, match="--max-pixels 1,000"):
            read_image(path)
    assert max_pixels() == DEFAULT_MAX_PIXELS and read_image(path).shape == (32, 32)
    r = cli("--max-pixels", "1000", "capacity", "--cover", path)
    assert r.returncode == 2 and "--max-pixels 1,000" in r.stderr
    assert max_pixels() == DEFAULT_MAX_PIXELS  # the command's limit ends with it
    assert cli("capacity", "--cover", path).returncode == 0
