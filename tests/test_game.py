"""The game package: its players, the min-max choice of each image's stego, Backpack."""

import inspect
import json

import numpy as np
import pytest

from conftest import six_photo_tiles
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
