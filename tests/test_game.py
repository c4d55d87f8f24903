"""The game: its players, the min-max choice of each image's stego, and `advstego harden`, the
hider against wardens who retrain, round by round (the GAN hider and the STC hider)."""

import csv
import inspect
import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from conftest import assert_clean_error, six_photo_tiles
from advstego.game.rules import choose_per_image, cover_quantile


def test_the_players_share_one_signature():
    from advstego.game.players import GanPlayer, StcPlayer

    for name in ("move", "stegos", "resume", "own_columns", "about"):
        sigs = {str(inspect.signature(getattr(p, name))) for p in (GanPlayer, StcPlayer)}
        assert len(sigs) == 1, (name, sigs)
    assert GanPlayer.fields[0] == StcPlayer.fields[0] == "round"


def test_cover_quantiles_put_wardens_on_one_scale():
    covers = [0.0, 1.0, 2.0, 3.0]
    assert cover_quantile(covers, [-1, 1, 1.5, 9]).tolist() == [0.0, 0.375, 0.5, 1.0]
    # a CNN margin and an FLD vote: different units, the same meaning once quantiled
    assert cover_quantile(np.array(covers) * 100, [150]) == cover_quantile(covers, [1.5])


def test_each_image_keeps_the_candidate_its_worst_warden_scores_lowest():
    # rounds x wardens x images
    q = np.array([[[0.9, 0.2, 0.5], [0.1, 0.3, 0.5]],    # round 0 (plain)
                  [[0.4, 0.1, 0.5], [0.6, 0.9, 0.5]],    # round 1
                  [[0.5, 0.2, 0.4], [0.5, 0.2, 0.4]]])   # round 2
    # image 0: max 0.9 / 0.6 / 0.5 -> round 2; image 1: 0.3 / 0.9 / 0.2 -> round 2;
    # image 2: 0.5 / 0.5 / 0.4 -> round 2
    assert choose_per_image(q).tolist() == [2, 2, 2]
    q[2, :, 1] = 0.3  # a tie between round 0 and round 2: the earlier (plain) one
    assert choose_per_image(q).tolist()[1] == 0
    # every candidate beyond the last cover (quantile 1): told apart by how far (robust z)
    q1 = np.ones((3, 2, 1))
    z = np.array([[[6.0], [2.0]], [[3.0], [4.0]], [[5.0], [1.0]]])  # worst: 6, 4, 5
    assert choose_per_image(q1, z).tolist() == [1]
    assert choose_per_image(q1).tolist() == [0]  # no z: the earliest
    with pytest.raises(ValueError):
        choose_per_image(np.zeros((2, 3)))


def test_cover_z_measures_the_distance_beyond_the_covers():
    from advstego.game.rules import cover_z

    covers = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    z = cover_z(covers, [2.0, 10.0, 20.0])
    assert z[0] == 0 and 0 < z[1] < z[2]  # beyond every cover, yet ordered
    assert cover_z(np.zeros(4), [1.0]).tolist() == [1.0]  # no spread: unit scale


@pytest.mark.slow
def test_minmax_game_shares_round0_chooses_per_image_and_hides_with_backpack(
        tmp_path, cli, tmp_path_factory):
    data = six_photo_tiles(tmp_path_factory, "mm", size=128, max_tiles=2,
                           fractions=(0.2, 0.4, 0.2, 0.2))
    fast = ["--method", "stc", "--warden-epochs", "1", "--codec", "jpeg"]
    plain = tmp_path / "plain"
    r = cli("harden", "--data", data, "--out", plain, "--rounds", "0", *fast)
    assert r.returncode == 0, r.stderr[-3000:]
    out = tmp_path / "bp"
    r = cli("harden", "--data", data, "--out", out, "--rounds", "1", "--play", "minmax",
            "--scheme", "backpack", "--backpack-steps", "4", "--round0", plain, *fast)
    assert r.returncode == 0, r.stderr[-3000:]
    # round 0 is the plain game's, bit for bit; completed with what min-max reads
    assert (out / "round-0" / "metrics.json").read_bytes() == \
        (plain / "round-0" / "metrics.json").read_bytes()
    assert (out / "round-0" / "alice-srm.safetensors").exists()
    m = json.loads((out / "round-1" / "metrics.json").read_text())
    n_test = len(list((out / "round-1" / "test").glob("*.png")))
    assert len(m["chosen"]["rounds"]) == 2 and sum(m["chosen"]["rounds"]) == n_test
    assert m["wardens_in_loss"] == 1  # the latest warden only
    cand = np.load(out / "round-1" / "candidates.npz")
    assert set(cand.files) == {"alice", "train", "val", "test"} and len(cand["test"]) == n_test
    strategy = json.loads((out / "strategy" / "strategy.json").read_text())
    assert strategy["scheme"] == "backpack" and strategy["play"] == "minmax"
    # another game's settings are refused as round 0's source
    r = cli("harden", "--data", data, "--out", tmp_path / "x", "--rounds", "1",
            "--payload", "0.3", "--round0", plain, *fast)
    assert r.returncode == 2 and "other settings" in r.stderr
    # hide with the round-0 wardens and Backpack; reveal reads the one-part stego
    cover = sorted((data / "images").glob("*.png"))[0]
    stego = tmp_path / "s.png"
    r = cli("hide", "--method", "stc", "--wardens", plain / "round-0", "--scheme", "backpack",
            "--cover", cover, "--secret", cover, "-o", stego, "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["adversarial"]["scheme"] == "backpack"
    r = cli("reveal", "--method", "stc", stego, "-o", tmp_path / "r.png")
    assert r.returncode == 0, r.stderr[-2000:]


def test_committed_games_are_in_the_current_schema():
    """scripts/migrate_results.py ran once over results/: nothing left to migrate."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root / "scripts" / "migrate_results.py"), "--check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "stale: none" in r.stdout, r.stdout + r.stderr


# ---- harden with the GAN hider ----------------------------------------------------------

GAN_FAST = ["--steps", "8", "--warden-epochs", "1", "--device", "cpu"]


@pytest.mark.slow
def test_harden_rounds_change_the_hider_the_warden_and_the_loss(tmp_path, cli, tiny_corpus):
    out = tmp_path / "h"
    r = cli("harden", "--data", tiny_corpus, "--out", out, "--rounds", "1", *GAN_FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    first = json.loads((out / "round-1" / "metrics.json").read_text())
    # more rounds extend the run: rounds 0 and 1 are reused as they are
    r = cli("harden", "--data", tiny_corpus, "--out", out, "--rounds", "2", *GAN_FAST)
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


# ---- harden with the STC hider ----------------------------------------------------------

STC_FAST = ["--method", "stc", "--warden-epochs", "1"]  # published: --search is not its setting


@pytest.mark.slow
def test_harden_stc_rounds_resume_and_a_strategy_to_hide_with(tmp_path, cli, corpus128):
    out = tmp_path / "h"
    r = cli("harden", "--data", corpus128, "--out", out, "--rounds", "1", *STC_FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    m1 = json.loads((out / "round-1" / "metrics.json").read_text())
    assert m1["wardens_in_loss"] == 1 and len(m1["pe_earlier"]) == 1
    assert 0 <= m1["fooled"] <= 1 and m1["embed_seconds"] > 0
    # a killed round (its metrics never written) is played again; finished ones are kept
    (out / "round-1" / "metrics.json").unlink()
    r = cli("harden", "--data", corpus128, "--out", out, "--rounds", "2", *STC_FAST)
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


@pytest.mark.slow
def test_a_corpus_split_four_ways_gives_alice_her_own_wardens(tmp_path, cli, tmp_path_factory):
    from conftest import six_photo_tiles

    from advstego.data.corpus import Corpus

    data = six_photo_tiles(tmp_path_factory, "alice", size=128, max_tiles=2,
                           fractions=(0.2, 0.4, 0.2, 0.2))
    c = Corpus(data)
    photos = {s: {c.photo[f] for f in c.files(s)} for s in ("alice", "train", "val", "test")}
    assert all(photos.values())  # four disjoint parts, by photo
    assert sum(map(len, photos.values())) == len(set().union(*photos.values())) == 6
    r = cli("data", "info", data)
    assert r.returncode == 0 and "alice" in r.stdout
    out = tmp_path / "h"
    r = cli("harden", "--data", data, "--out", out, "--rounds", "1", "--seeds", "2",
            "--codec", "jpeg", *STC_FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    # Alice's round-0 warden (her photos) is what round 1's costs attack; Eve's judge
    assert (out / "round-0" / "alice-xunet.safetensors").exists()
    assert (out / "round-0" / "warden-xunet.safetensors").exists()
    # two judging seeds: each trained from scratch, the figure their mean
    assert (out / "round-0" / "warden-xunet-seed1.safetensors").exists()
    m = json.loads((out / "round-0" / "metrics.json").read_text())
    fresh = m["judged"]["fresh_xunet"]
    assert len(fresh["calls"]) == 2 and m["pe_fresh_xunet"] == pytest.approx(
        sum(fresh["seeds"]) / 2)
    assert len(m["judged"]["srm"]["calls"]) == 2
    strategy = json.loads((out / "strategy" / "strategy.json").read_text())
    if strategy["round"]:
        pool = (out / "strategy" / "round-0-xunet.safetensors").read_bytes()
        assert pool == (out / "round-0" / "alice-xunet.safetensors").read_bytes()
    r = cli("data", "prepare", "--source", "sample", "--size", "64", "--gray", "--split",
            "0.5,0.5", "--out", tmp_path / "bad")
    assert r.returncode == 2 and "3 or 4" in r.stderr


def test_harden_stc_bad_wardens(tmp_path, cli, corpus128):
    from conftest import assert_clean_error

    cover = sorted((corpus128 / "images").glob("*.png"))[0]
    assert_clean_error(cli("hide", "--method", "stc", "--wardens", tmp_path, "--cover", cover,
                           "--secret", cover, "-o", tmp_path / "s.png"), "warden")
    assert not (tmp_path / "s.png").exists()
    assert_clean_error(cli("hide", "--method", "lsb", "--adversarial", "--cover", cover,
                           "--secret", cover, "-o", tmp_path / "s.png"), "stc")
    assert not (tmp_path / "s.png").exists()


def test_table6_names_the_strategies_and_marks_the_final_one(tmp_path):
    from advstego.game.tables import figure_rounds, load_game, table6

    run = tmp_path / "g"
    cfg = {"method": "stc", "cost": "suniward", "payload": 0.4, "wardens": ["xunet"],
           "warden_epochs": 6, "srm": "srm-fld"}  # a flat config.json, as runs wrote before
    (run).mkdir()
    (run / "config.json").write_text(json.dumps(cfg))
    pes = [(0.20, 0.12), (0.13, 0.10), (0.25, 0.15)]
    for k, (cnn, srm) in enumerate(pes):
        (run / f"round-{k}").mkdir()
        row = {"round": k, "pe_fresh_xunet": cnn, "pe_srm": srm, "pe_earlier": [0.3] * k,
               "secret_psnr": 33.0, "stego_psnr": 59.0, "embed_seconds": 0.1 * (k + 1)}
        if k == 0:
            row["pe_control"] = 0.5
        (run / f"round-{k}" / "metrics.json").write_text(json.dumps(row))
    game = load_game(run)
    assert game["final"] == 2  # its worst fresh warden errs most (0.15)
    title, head, rows = table6([game])
    assert [r[0].split(" (")[0] for r in rows] == [
        "S-UNIWARD 0.4 bpp", "ADV-EMB on S-UNIWARD 0.4 bpp", "min-max on S-UNIWARD 0.4 bpp, round 2"]
    assert rows[2][0].endswith("**final**") and rows[0][1] == "–" and rows[1][1] == "0.3000"
    assert rows[0][5] == "0.5000" and rows[1][5] == "–"
    assert "chosen on the test photos" in title and "biased upward" in title
    figure_rounds([game], tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
    # rounds that kept validation figures: the final strategy is chosen there, not on test
    for k, val in enumerate([(0.30, 0.20), (0.10, 0.10), (0.20, 0.12)]):
        m = json.loads((run / f"round-{k}" / "metrics.json").read_text())
        m["val"] = {"pe_fresh_xunet": val[0], "pe_srm": val[1]}
        (run / f"round-{k}" / "metrics.json").write_text(json.dumps(m))
    game = load_game(run)
    assert game["final"] == 0  # best on validation (0.20), though round 2 is best on test
    assert "chosen on the validation photos" in table6([game])[0]
