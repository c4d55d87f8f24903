"""The command line answers at once: help and the hiders that need no network import
neither torch, numba nor sealwatch (each module imports what it uses, where it uses it)."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import textured

HEAVY = ("torch", "numba", "sealwatch")


def _imported(*args, cwd=None) -> set[str]:
    """Top-level packages a real `python -m advstego ARGS` imported (python -X importtime)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "advstego", *map(str, args)],
                       capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0, r.stderr[-2000:]
    mods = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            mods.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return mods


@pytest.mark.parametrize("args", [["--help"], ["hide", "--help"], *(
    pytest.param(a, marks=pytest.mark.slow)  # a subprocess each: two are enough for test-fast
    for a in (["train", "--help"], ["attack", "fgsm", "--help"], ["detect", "train", "--help"],
              ["experiment", "--help"], ["harden", "--help"]))])
def test_help_imports_nothing_heavy(args):
    assert not _imported(*args) & set(HEAVY)


@pytest.mark.parametrize("method", ["lsb", "stc"])
def test_lsb_and_stc_reveal_need_no_torch_numba_or_sealwatch(tmp_path, rng, method):
    from advstego.hiding.registry import load_hider
    from advstego.images import write_image

    cover, secret = textured(rng, 128, 128), textured(rng, 128, 128)
    write_image(tmp_path / "s.png", load_hider(method).hide(cover, secret))
    mods = _imported("reveal", "--method", method, tmp_path / "s.png", "-o", tmp_path / "r.png")
    assert not mods & set(HEAVY)
    assert (tmp_path / "r.png").exists()


def test_lsb_hide_needs_no_torch_numba_or_sealwatch(tmp_path, rng):
    from advstego.images import write_image

    write_image(tmp_path / "c.png", textured(rng, 64, 64))
    mods = _imported("hide", "--method", "lsb", "--cover", tmp_path / "c.png", "--secret",
                     tmp_path / "c.png", "-o", tmp_path / "s.png")
    assert not mods & set(HEAVY)


def test_an_stc_hide_imports_no_scipy(tmp_path, rng):
    """Its cover's JPEG check takes each block's DCT as a matrix product: scipy.fft's import
    would cost every hide and capacity about 0.3 s."""
    from advstego.images import write_image

    write_image(tmp_path / "c.png", textured(rng, 64, 64))
    mods = _imported("hide", "--cover", tmp_path / "c.png", "--secret", tmp_path / "c.png",
                     "-o", tmp_path / "s.png", "--key", "k")
    assert "scipy" not in mods and not mods & set(HEAVY)


def test_a_command_line_builds_its_own_command_only():
    """Only the command named declares its arguments (each declaration imports its module);
    it parses as the parser of every command does."""
    from advstego import cli

    line = ["--max-pixels", "900", "hide", "--cover", "c.png", "--secret", "s.png", "-o",
            "st.png", "--payload", "0.3", "--codec", "avif"]
    assert vars(cli.build_parser(line).parse_args(line)) == \
        vars(cli.build_parser().parse_args(line))
    for named, other in (("hide", "capacity"), ("data prepare", "detect train")):
        lone = cli.build_parser(named.split())
        flags = {name: {a.dest for a in _subparser(lone, name)._actions}
                 for name in (named, other)}
        assert "help" in flags[other] and len(flags[other]) == 1 < len(flags[named])
    assert cli._named(["--max-pixels", "5", "attack", "fgsm", "-h"]) == "attack fgsm"
    assert cli._named(["--help"]) is None and cli._named(["data", "--help"]) is None


def _subparser(parser, name):
    for word in name.split():
        parser = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"
                      ).choices[word]
    return parser


def test_every_registry_name_loads_from_its_module():
    from advstego.attacks.registry import ATTACKS
    from advstego.hiding.registry import HIDERS
    from advstego.steganalysis.registry import DETECTORS

    for family in (HIDERS, DETECTORS, ATTACKS):
        for name in family.names():
            cls, _ = family.get(name)
            assert cls.__module__ == family.members[name], (family.family, name)


def test_a_member_outside_its_table_is_refused():
    from advstego.registry import Registry

    reg = Registry("thing", {"a": __name__})
    with pytest.raises(ValueError, match="not in its family's table"):
        reg.register("b")(type("B", (), {}))


def test_load_hider_is_the_one_loader(rng):
    from advstego.errors import InputError
    from advstego.hiding.registry import load_hider

    assert load_hider("lsb-3").bits == 3 and load_hider("lsb", bits=2).bits == 2
    assert load_hider("stc", payload=0.2, key="k").payload == 0.2
    assert load_hider("v1").describe()["arch"] == "block"
    with pytest.raises(InputError, match="unknown setting"):
        load_hider("lsb", payload=0.4)
    c = textured(rng, 64, 64)
    assert np.array_equal(load_hider("lsb-4").reveal(load_hider("lsb-4").hide(c, c)) >> 4, c >> 4)
