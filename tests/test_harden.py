"""advstego harden: the hider against wardens who retrain, round by round."""

import csv
import json

import numpy as np
from safetensors.numpy import load_file

from conftest import assert_clean_error

FAST = ["--steps", "8", "--warden-epochs", "1", "--device", "cpu"]


def test_harden_rounds_change_the_hider_the_warden_and_the_loss(tmp_path, cli, tiny_corpus):
    out = tmp_path / "h"
    r = cli("harden", "--data", tiny_corpus, "--out", out, "--rounds", "1", *FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    first = json.loads((out / "round-1" / "metrics.json").read_text())
    # more rounds extend the run: rounds 0 and 1 are reused as they are
    r = cli("harden", "--data", tiny_corpus, "--out", out, "--rounds", "2", *FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((out / "round-1" / "metrics.json").read_text()) == first
    rows = list(csv.DictReader(open(out / "harden.csv")))
    assert [int(x["round"]) for x in rows] == [0, 1, 2]
    assert [int(x["wardens_in_loss"]) for x in rows] == [0, 1, 2]
    m = [json.loads((out / f"round-{k}" / "metrics.json").read_text()) for k in range(3)]
    # the loss holds every warden so far: one cross entropy per earlier warden
    assert "finetune" not in m[0]
    assert [len(x["finetune"]["ce_per_warden"]) for x in m[1:]] == [1, 2]
    assert len(m[2]["pe_earlier"]) == 2 and 0 <= m[0]["pe_control"] <= 1
    # each round's warden is a fresh one, and each round's hider another
    w0, w1 = (load_file(out / f"round-{k}" / "warden-xunet.safetensors") for k in (0, 1))
    assert any(not np.array_equal(w0[k], w1[k]) for k in w0)
    h0, h1 = (load_file(out / f"round-{k}" / "model.safetensors") for k in (0, 1))
    assert any(not np.array_equal(h0[k], h1[k]) for k in h0 if k.startswith("encoder"))
    for x in m:
        assert 20 < x["stego_psnr"] < 60 and x["secret_psnr"] > 10
    assert (out / "report.md").read_text().count("\n| ") == 4  # header + 3 rounds
    from advstego.data.corpus import Corpus

    n_test = len(Corpus(tiny_corpus).files("test"))  # every test pair's stego, each round
    assert n_test and all(len(list((out / f"round-{k}" / "test").glob("*.png"))) == n_test
                          for k in range(3))


def test_harden_bad_input(tmp_path, cli, tiny_corpus):
    assert_clean_error(cli("harden", "--data", tmp_path / "none", "--out", tmp_path / "o"),
                       "none")
    assert_clean_error(cli("harden", "--data", tiny_corpus, "--out", tmp_path / "o",
                           "--preset", "huge"), "preset")


def test_rounds_of_another_game_are_not_resumed(tmp_path, tiny_corpus):
    """The API (the experiment's stage) refuses a folder holding rounds of other settings."""
    import pytest

    from advstego.errors import InputError
    from advstego.game.config import make_config
    from advstego.game.play import harden

    out = tmp_path / "h"
    out.mkdir()
    (out / "config.json").write_text(json.dumps(make_config("quick", l_adv=0.5).to_dict()))
    with pytest.raises(InputError, match="other settings"):
        harden(tiny_corpus, out, make_config("quick"), quiet=True)
