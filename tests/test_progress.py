"""Long steps show progress on a terminal's stderr, and nothing anywhere else."""

import io
import json
import sys

import numpy as np
import pytest

from advstego.hiding import stc
from conftest import textured


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def photo_sized(monkeypatch):
    """Every embedding and secret counts as a photo's (its steps would show progress)."""
    from advstego.hiding import codec

    monkeypatch.setattr(stc, "PROGRESS_FROM", 0)
    monkeypatch.setattr(codec, "PROGRESS_FROM", 0)


def test_a_photo_hide_shows_its_steps_on_a_terminal(photo_sized, monkeypatch, rng):
    from advstego.hiding.classical import StcHider

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    StcHider(key="k", channels=3).hide_info(textured(rng, 64, 64, 3), textured(rng, 16, 16, 3))
    for step in ("secret, codec search", "cost map", "STC, change rates", "STC, layer 1",
                 "STC, layer 2"):
        assert step in err.getvalue()


def test_no_progress_in_a_pipe_or_in_json(photo_sized, tmp_path, cli, rng):
    from advstego.images import write_image

    cover = write_image(tmp_path / "c.png", textured(rng, 64, 64, 3))
    secret = write_image(tmp_path / "s.png", textured(rng, 16, 16, 3))
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "st.png",
            "--key", "k", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["codec"]  # stdout: the JSON line only
    assert "STC" not in r.stderr and "cost map" not in r.stderr and "\r" not in r.stderr
    assert "codec search" not in r.stderr


def test_fld_training_counts_its_learners_on_a_terminal(monkeypatch, rng):
    from advstego.steganalysis.fld import FastFldTrainer

    Xc = rng.normal(0, 1, (30, 40))
    Xs = Xc + rng.normal(0.3, 1, (30, 40))
    for quiet, shown in ((False, True), (True, False)):
        err = Terminal()
        monkeypatch.setattr(sys, "stderr", err)
        FastFldTrainer(Xc, Xs, seed=1, L=7, d_sub=10).train(quiet)
        assert ("FLD" in err.getvalue() and "learner" in err.getvalue()) == shown
