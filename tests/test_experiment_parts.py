"""The experiment's parts on their own: configs, stage cache, run folders, ranks, report."""

import json
from dataclasses import fields

import pytest

from advstego.errors import InputError


# ---- configs ------------------------------------------------------------------------------

def _set_every_field(cls, section: dict, leave_out=("seed",)):
    return {**section, **{f.name: (list(f.default) if isinstance(f.default, tuple) else f.default)
                          for f in fields(cls) if f.name not in leave_out}}


def test_every_field_of_every_config_can_be_set_from_a_config_file(tmp_path):
    """The schema is generated from the dataclasses: no field is missing, none is extra."""
    from advstego.data.prepare import PrepareConfig
    from advstego.experiments.config import load_config
    from advstego.game.config import FLAGS, NAMES, HardenConfig
    from advstego.hiding.config import TrainConfig

    train = _set_every_field(TrainConfig, {}) | {"arch": "ukey", "secret_gray": True}
    # a game's flat settings: its flags (the players' own options) and its other fields
    harden = _set_every_field(HardenConfig, {k: o.default for k, o in FLAGS.items()},
                              leave_out=("seed", "hider", "finetune", "adversary", "play"))
    harden = {k: v for k, v in harden.items() if k != "seed"} | {"model": "v2"}
    assert set(harden) == set(NAMES) - {"seed"}
    data = _set_every_field(PrepareConfig, {}) | {"source": "sample", "size": 64}
    cfg = {"preset": "quick", "data": data, "harden": harden,
           "hiders": {"GAN": {"hider": "gan", "train": train}}, "secret_size": {}}
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    got = load_config(str(tmp_path / "c.json"))
    assert got["hiders"]["GAN"]["train"] == train
    assert got["harden"] == harden and got["data"] == data


def test_presets_build_on_presets_and_tables_replace_whole():
    from advstego.experiments.config import load_config

    quick, offline = load_config("quick"), load_config("offline")
    assert offline["seed"] == quick["seed"]  # from the preset it builds on
    assert offline["wardens"]["SRM"] == {"detector": "srm-fld"}  # a table is not merged
    assert "train" in quick["hiders"]["GAN"] and offline["hiders"]["GAN"] == {
        "hider": "gan", "model": "v2"}  # the offline row replaces quick's, not merged into it
    paper = load_config("paper-lfw", root="/somewhere")
    assert paper["data"]["mode"] == "rgb" and paper["harden"] == {}
    assert paper["wardens"] == offline["wardens"]


def test_no_registry_name_is_a_literal_in_the_experiment_code():
    """Hiders, detectors and attacks reach the experiment through config rows only."""
    import ast
    from pathlib import Path

    from advstego.attacks.registry import ATTACKS
    from advstego.hiding.registry import HIDERS
    from advstego.steganalysis.registry import DETECTORS

    names = set(HIDERS.names()) | set(DETECTORS.names()) | set(ATTACKS.names())
    folder = Path(__file__).resolve().parents[1] / "advstego" / "experiments"
    for py in folder.glob("*.py"):
        tree = ast.parse(py.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value not in names, (py.name, node.value)


@pytest.mark.parametrize("arch", ["block", "unet", "ukey"])
def test_an_experiment_row_trains_every_hider_train_can(tmp_path, tiny_corpus, arch):
    from advstego.data.corpus import Corpus
    from advstego.experiments.cache import Stages
    from advstego.experiments.pipeline import Done, Experiment, choose_methods
    from advstego.hiding.config import ARCH_NAMES

    assert arch in ARCH_NAMES
    row = {"hider": "gan", "train": {"arch": arch, "width": 4, "blocks": 1, "epochs": 1,
                                     "steps_per_epoch": 2, "crop": 32, "batch": 2,
                                     "val_pairs": 2}}
    ex = Experiment({"seed": 0, "hiders": {"G": row}}, tmp_path, Stages(tmp_path, quiet=True),
                    "cpu")
    corpus = Corpus(tiny_corpus)
    methods, trained = choose_methods(ex, corpus, Done("corpus", tiny_corpus, {}, "k"))
    assert methods["G"].hider.describe()["arch"] == arch and trained["G"]
    assert methods["G"].deps[0].name == "train-G"


@pytest.mark.parametrize("data,words", [
    ({"min_std": float("nan")}, ["finite"]),
    ({"min_std": float("inf")}, ["finite"]),
    ({"fractions": [0.5, -0.2, 0.7]}, ["negative"]),
    ({"fractions": ["a", 0.5, 0.5]}, ["numbers"]),
    ({"fractions": [0.5, 0.5]}, ["three fractions"]),
    ({"max_tiles": -3}, ["negative"]),
    ({"size": 1000000}, ["data", "size 1000000", "at most 8192"]),
])
def test_config_values_are_checked_up_front(tmp_path, data, words):
    from advstego.experiments.config import load_config

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"preset": "quick", "data": data}))
    with pytest.raises(InputError) as exc:
        load_config(str(path))
    for w in words:
        assert w in str(exc.value)
    path.write_text(json.dumps({"preset": "quick", "attacks": {}}))
    with pytest.raises(InputError, match="at least one"):
        load_config(str(path))


# ---- the stage cache ----------------------------------------------------------------------

def test_stages_key_on_settings_and_inputs_and_resume_after_a_kill(tmp_path):
    from advstego.experiments.cache import Stages

    calls = []

    def make(value):
        def fn(tmp):
            calls.append(value)
            (tmp / "out.txt").write_text(str(value))
            return {"value": value}
        return fn

    st = Stages(tmp_path, quiet=True)
    f1, r1, k1 = st.run("a", {"x": 1}, [], make(1))
    assert r1 == {"value": 1} and (f1 / "out.txt").read_text() == "1"
    assert st.run("a", {"x": 1}, [], make(1))[2] == k1 and calls == [1]  # reused
    _, _, k2 = st.run("a", {"x": 1}, ["other-input"], make(2))  # another input: rerun
    assert k2 != k1 and calls == [1, 2]
    _, r3, _ = st.run("a", {"x": 3}, [], make(3))  # other settings: rerun
    assert r3 == {"value": 3}

    def killed(tmp):
        (tmp / "half.txt").write_text("...")
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        st.run("b", {}, [], killed)
    assert not (tmp_path / "stages" / "b" / "stage.json").exists()  # nothing half-sealed
    _, r, _ = st.run("b", {}, [], make("b"))  # the next run starts it afresh
    assert r == {"value": "b"} and not (tmp_path / "stages" / "b" / "half.txt").exists()
    assert Stages.result(tmp_path / "stages" / "a") == {"value": 3}


def test_a_truncated_stage_marker_rebuilds_the_stage(tmp_path):
    from advstego.experiments.cache import Stages

    st = Stages(tmp_path, quiet=True)
    calls = []

    def fn(folder):
        calls.append(1)
        return {"n": len(calls)}

    st.run("s", {"a": 1}, [], fn)
    marker = tmp_path / "stages" / "s" / "stage.json"
    marker.write_text(marker.read_text()[:25])
    _, result, _ = st.run("s", {"a": 1}, [], fn)
    assert result == {"n": 2} and json.loads(marker.read_text())["result"] == {"n": 2}


# ---- run folders and ranks ------------------------------------------------------------------

def test_claim_run_folder_reuses_refuses_and_forces(tmp_path):
    from advstego.paths import MARKER, claim_run_folder

    out = claim_run_folder(tmp_path / "r", "embed", {"payload": 0.4})
    assert (out / MARKER).is_file()
    claim_run_folder(out, "embed", {"payload": 0.4})  # same settings: resume
    with pytest.raises(InputError, match="other settings"):
        claim_run_folder(out, "embed", {"payload": 0.2})
    claim_run_folder(out, "embed", {"payload": 0.2}, force=True)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("mine")
    with pytest.raises(InputError, match="not an advstego run folder"):
        claim_run_folder(foreign, "embed", {}, force=True)


def test_ranks_share_items_and_stages_without_overlap(monkeypatch):
    from advstego.distributed import Ranks

    items = list(range(10))
    shares = []
    for rank in range(3):
        r = Ranks()
        r.rank, r.world = rank, 3
        shares.append(r.mine(items))
        assert [i for i in range(7) if r.owns(i)] == [i for i in range(7) if i % 3 == rank]
    assert sorted(sum(shares, [])) == items  # every item once
    one = Ranks()
    assert (one.rank, one.world) == (0, 1) and one.mine(items) == items
    assert one.gather("x") == ["x"]


# ---- the report ---------------------------------------------------------------------------

def test_report_tables_read_old_and_new_results():
    """The committed runs' results.json (an older config) and a new one give the same tables."""
    from pathlib import Path

    from advstego.experiments.report import frontier_points, tables

    root = Path(__file__).resolve().parents[1]
    old = json.loads((root / "results" / "offline" / "results.json").read_text())
    pts = {p[0]: p for p in frontier_points(old)}
    assert "S-UNIWARD 0.4 bpp (simulated)" in pts
    assert pts["S-UNIWARD 0.4 bpp (simulated)"][1] == old["table1"][
        "STC-S-UNIWARD + JPEG 0.4 bpp"]["secret_psnr"]
    names = [t.name for t in tables(old)]
    assert names[0] == "calibration" and "hardening" in names
    assert tables(old)[0].title.startswith("Table 0")
    calib = tables(old)[0].rows
    assert [row[0] for row in calib] == ["control: covers vs covers", "WOW 0.4 bpp",
                                         "S-UNIWARD 0.4 bpp"]


def test_stages_go_to_ranks_longest_first_by_their_last_time(tmp_path):
    from advstego.experiments.cache import Stages

    st = Stages(tmp_path, quiet=True)
    for name, secs in (("a", 10.0), ("b", 7.0), ("c", 4.0), ("d", 3.0)):
        folder = tmp_path / "stages" / name
        folder.mkdir(parents=True)
        (folder / "stage.json").write_text(json.dumps({"seconds": secs, "result": None}))
    st.ranks.world, st.ranks.gather = 2, lambda plan: [plan]  # two ranks, without a group
    owners = st.owners(["a", "b", "c", "d", "new"])
    busy = [0.0, 0.0]
    for n, r in owners.items():
        busy[r] += {"a": 10, "b": 7, "c": 4, "d": 3, "new": 6}[n]  # new: the mean time
    assert owners["a"] != owners["b"] and max(busy) == 16  # round-robin would give 20
    # a never-run stage weighted as 5 mean stages (30 s) goes first, the others beside it
    owners = st.owners(["a", "b", "c", "d", "game"], {"game": 5.0})
    assert [n for n, r in owners.items() if r == owners["game"]] == ["game"]
    st.ranks.world = 1
    assert set(st.owners(["a", "b"]).values()) == {0}


def test_a_fresh_run_weighs_the_game_by_its_steps_over_the_seeds(tmp_path):
    """Where no stage ran yet, the game counts its rounds and fine-tuning steps in detect
    stages of one warden seed each, and the attacked row's stage its transfer wardens."""
    from advstego.experiments.cache import Stages
    from advstego.experiments.config import load_config
    from advstego.experiments.pipeline import Experiment, stage_owners
    from advstego.game.config import make_config

    def weights(seeds, steps, transfer=True):
        cfg = {**load_config("quick"), "seeds": seeds}
        if not transfer:
            cfg["transfer"] = {}
        ex = Experiment(cfg, tmp_path, Stages(tmp_path, quiet=True))
        got = {}
        ex.stages.owners = lambda names, w=None: got.update(w or {}) or dict.fromkeys(names, 0)
        stage_owners(ex, dict.fromkeys(["GAN", "LSB-4"]), make_config("quick", rounds=1,
                                                                       steps=steps))
        return got

    one, two = weights(1, 100), weights(2, 100)
    assert two["harden"] == pytest.approx(one["harden"] / 2)  # a detect stage: twice the work
    assert weights(1, 400)["harden"] > one["harden"] + 5
    assert one["detect-GAN"] == 2 and two["detect-GAN"] == 1.5  # one SRNet, trained once
    assert weights(1, 100, transfer=False)["detect-GAN"] == 1 and "detect-LSB-4" not in one


def test_a_killed_invocation_is_rebuilt_from_its_stages(tmp_path):
    import os

    from advstego.experiments.pipeline import past_invocations

    (tmp_path / "invocations.json").write_text(json.dumps(
        [{"invocation": 0, "ranks": 1, "wall_seconds": 50.0, "stages_ran": ["a"]}]))
    for name, inv, secs, sealed, ranks in (("a", 0, 50.0, 1000, 1), ("b", 1, 30.0, 2000, 2),
                                           ("c", 1, 100.0, 2500, 1)):
        folder = tmp_path / "stages" / name
        folder.mkdir(parents=True)
        marker = folder / "stage.json"
        marker.write_text(json.dumps({"seconds": secs, "invocation": inv, "ranks": ranks,
                                      "result": None}))
        os.utime(marker, (sealed, sealed))
    past = past_invocations(tmp_path)
    assert [p["invocation"] for p in past] == [0, 1] and past[0]["wall_seconds"] == 50.0
    # invocation 1 was killed: from b's start (2000 - 30) to c's seal (2500), two ranks
    assert past[1]["interrupted"] and past[1]["wall_seconds"] == 530.0 and past[1]["ranks"] == 2
    assert sorted(past[1]["stages_ran"]) == ["b", "c"]


# ---- games rows (the hardening game as an experiment stage) ---------------------------


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


@pytest.mark.slow
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
