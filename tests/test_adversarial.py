"""Adversarial STC costs (ADV-EMB) and the min-max game of `advstego harden --method stc`."""

import csv
import json

import pytest

from conftest import six_photo_tiles


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
            "--codec", "jpeg", *FAST)
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


def test_an_experiment_config_takes_games_rows(tmp_path):
    from advstego.errors import InputError
    from advstego.experiments.config import load_config

    good = tmp_path / "good.json"
    good.write_text(json.dumps({"games": {"S-UNIWARD 0.4": {"preset": "offline-stc",
                                                             "rounds": 1}}}))
    assert load_config(str(good))["games"]["S-UNIWARD 0.4"]["rounds"] == 1
    for row in ({"method": "gan"}, {"rounds": "two"}, {"alpha": 2, "bogus": 1}):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"games": {"x": row}}))
        with pytest.raises(InputError, match="games.x"):
            load_config(str(bad))


def test_the_experiment_plays_games_rows_into_table6(tmp_path, corpus128):
    """The experiment's games stage on its corpus (here a prepared one), then Table 6."""
    from advstego.data.corpus import Corpus
    from advstego.experiments.cache import Stages
    from advstego.experiments.pipeline import Done, Experiment, play_games
    from advstego.experiments.report import games_table
    cfg = {"seed": 0, "games": {"S-UNIWARD 0.4": {"rounds": 1, "warden_epochs": 1,
                                                  "search": 1, "warden_warmup": 1}}}
    out = tmp_path / "x"
    ex = Experiment(cfg, out, Stages(out, True), "cpu")
    corpus_done = Done("corpus", corpus128, {}, "k")
    games = play_games(ex, Corpus(corpus128), corpus_done)
    g = games["S-UNIWARD 0.4"]
    assert [x["round"] for x in g["rounds"]] == [0, 1] and g["final"] in (0, 1)
    assert (out / g["folder"] / "strategy" / "strategy.json").exists()
    from advstego.steganalysis.detector import load_detector
    w = load_detector(out / g["folder"] / "round-1" / "warden-xunet.safetensors")
    assert [r.get("warmup", False) for r in w.log] == [True, False]  # the curriculum
    again = play_games(Experiment(cfg, out, Stages(out, True), "cpu"), Corpus(corpus128),
                       corpus_done)
    assert again == games  # the stage is reused
    [t] = games_table({"games": games})
    title, rows = t.title, t.rows
    assert title.startswith("Table 6") and len(rows) == 2 and rows[1][0].startswith("ADV-EMB")
    assert "chosen on the validation photos" in title
    for x in g["rounds"]:  # validation figures for the choice; test calls for the intervals
        assert set(x["val"]) == {"pe_fresh_xunet", "pe_srm"}
        n = 2 * len(Corpus(corpus128).files("test"))
        assert len(x["judged"]["srm"]["calls"]["decisions"]) == n
        assert len(x["judged"]["fresh_xunet"]["calls"]["decisions"]) == n
