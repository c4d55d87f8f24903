"""The experiment, split by what each part promises. One tiny run is made once (module
fixture); a test that changes it works on its own copy."""

import json
import shutil
import subprocess
import sys

import pytest

from advstego.experiments.pipeline import slug
from conftest import assert_clean_error, run_cli

STC, SMALL = "STC-S-UNIWARD + WEBP 0.4 bpp", "LSB-4 + secret 32x32"
CONTROLS = ("S-UNIWARD, another key", "S-UNIWARD at 0.3 bpp")  # the quick preset's controls
TINY = {"preset": "quick",
        "data": {"max_tiles": 3},
        "hiders": {"GAN": {"hider": "gan", "train": {"preset": "quick", "epochs": 1,
                                                     "steps_per_epoch": 4, "width": 8,
                                                     "blocks": 1}},
                   "LSB-4": {"hider": "lsb", "bits": 4},
                   STC: {"hider": "stc", "cost": "suniward", "codec": "webp", "payload": 0.4}},
        "secret_size": {"size": 32, "rows": ["LSB-4"]},
        "harden": {"rounds": 1, "steps": 3, "warden_epochs": 1},
        "baselines": {"S-UNIWARD": {"method": "suniward", "payload": 0.4}},
        "wardens": {"SRM": {"detector": "srmq1-fld", "L": 5, "d_sub": 200},
                    "CNN": {"detector": "xunet", "epochs": 1}},
        "transfer": {"CNN-srnet": {"detector": "srnet", "epochs": 1}},
        "attacks": {"FGSM eps=0.001": {"attack": "fgsm", "eps": 0.001},
                    "FGSM eps=0.008": {"attack": "fgsm", "eps": 0.008},
                    "FGSM-uint8 L-inf<=2": {"attack": "fgsm-uint8", "levels": 2, "steps": 60},
                    "OnePixel p=1": {"attack": "onepixel", "pixels": 1, "maxiter": 2,
                                     "popsize": 5, "images": 2, "retrain": False}}}


def _run(cfg_dict, folder, out):
    cfg = folder / "tiny.json"
    cfg.write_text(json.dumps(cfg_dict))
    r = run_cli("experiment", cfg, "--out", out, "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """(folder, results) of the tiny experiment, made once."""
    folder = tmp_path_factory.mktemp("experiment")
    return folder, _run(TINY, folder, folder / "run")


@pytest.fixture
def own_copy(tiny_run, tmp_path):
    """A copy of the tiny run's folder, to change."""
    shutil.copytree(tiny_run[0] / "run", tmp_path / "run")
    return tmp_path, tiny_run[1]


@pytest.mark.slow
def test_every_table_and_figure_is_written(tiny_run):
    folder, res = tiny_run
    out = folder / "run"
    for f in ("report.html", "report.md", "results.json", "figure2_confidence.png",
              "figure3_grid.png", "figure4_frontier.png"):
        assert (out / f).stat().st_size > 0, f
    assert set(res["table1"]) == {"GAN", "LSB-4", STC, SMALL}
    assert set(res["table2"]) == {"GAN", "LSB-4", "S-UNIWARD", STC, SMALL, *CONTROLS}
    assert set(res["table3"]) == set(TINY["attacks"])
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "Table 3" in html
    assert "S-UNIWARD 0.4 bpp (simulated)" in html and STC in html  # frontier, Table 4
    assert "hardened v2, round 1" in html and "Table 5 - min-max hardening" in html
    assert set(res["control"]) == {"SRM", "CNN"} and "Table 0 - warden calibration" in html
    assert res["versions"]["torch"] and res["config"]["seed"] == 0
    assert res["ranks"] == 1 and res["wall_seconds"] > 0
    assert res["stages"]["stegos-LSB-4"]["images"] == res["corpus"]["images"]


@pytest.mark.slow
def test_fidelity_rows_measure_the_saved_stegos(tiny_run):
    res = tiny_run[1]
    # a quarter-size secret: 4 cover pixels x 4 bits carry each secret pixel exactly
    assert res["table1"][SMALL]["secret_mse"] == 0 and res["table1"]["LSB-4"]["secret_mse"] > 0
    # STC: the stego is within one grey level of its cover, far above LSB-4
    assert res["table1"][STC]["stego_psnr"] > res["table1"]["LSB-4"]["stego_psnr"] + 10
    assert res["table1"][STC]["secret_psnr"] > 15
    # the GAN row was trained here: 4 steps from a zero residual leave the cover nearly as it
    # was, and the 8-bit stegos reveal what the float ones do (rounding costs under 1 dB)
    gan = res["trained"]["GAN"]
    assert gan["stego_psnr_uint8"] > 40
    assert abs(gan["secret_psnr_uint8"] - gan["secret_psnr_float"]) < 1


@pytest.mark.slow
def test_wardens_report_consistent_errors(tiny_run):
    res = tiny_run[1]
    # PE = (P_FA + P_MD) / 2; for the CNN, whose decision is P(stego) > 0.5, PE_min (the
    # best threshold) is never above it
    for v in res["table2"].values():
        for d in (v["SRM"], v["CNN"]):
            assert d["PE"] == pytest.approx((d["P_FA"] + d["P_MD"]) / 2)
        assert v["CNN"]["PE_min"] <= v["CNN"]["PE"] + 1e-9
    # the transfer CNN is a third warden, trained on the attacked row's stegos only
    assert set(res["table2"]["GAN"]) == {"SRM", "CNN", "CNN-srnet"}
    assert set(res["table2"]["LSB-4"]) == {"SRM", "CNN"}


@pytest.mark.slow
def test_each_pe_has_an_interval_by_photo_and_the_controls_are_paired_differences(tiny_run):
    folder, res = tiny_run
    corpus = json.loads((folder / "run" / "stages" / "corpus" / "corpus" /
                         "manifest.json").read_text())
    test = [e for e in corpus["images"] if e["split"] == "test"]
    for v in res["table2"].values():
        for d in (v["SRM"], v["CNN"]):
            pe, lo, hi = d["interval"]["PE"]
            assert pe == pytest.approx(d["PE"]) and lo <= pe <= hi
            assert d["interval"]["n_photos"] == len({e["photo"] for e in test})
            assert d["interval"]["n_images"] == 2 * len(test) == len(d["calls"]["decisions"])
    null = [c for c in res["comparisons"] if c["role"] == "A/A null"]
    pos = [c for c in res["comparisons"] if c["role"] == "positive control"]
    assert [c["warden"] for c in null] == [c["warden"] for c in pos] == ["SRM", "CNN"]
    for c in null + pos:
        a, b = (res["table2"][x][c["warden"]]["PE"] for x in (c["a"], c["b"]))
        assert c["diff"] == pytest.approx(b - a) and c["low"] <= c["diff"] <= c["high"]
        assert 0 <= c["p"] <= 1 and c["min_detectable"] >= 0
    assert {c["b"] for c in null + pos} == set(CONTROLS)
    md = (folder / "run" / "report.md").read_text()
    assert "Table 2c - paired differences" in md and "positive control" in md


@pytest.mark.slow
def test_attacks_are_measured_on_the_saved_files(tiny_run):
    t3 = tiny_run[1]["table3"]
    # eps = 0.001 is a quarter of a grey level: the saved stegos are unchanged
    assert t3["FGSM eps=0.001"]["linf"] == 0 and t3["FGSM eps=0.008"]["linf"] <= 3
    assert "PE_cnn_retrained" in t3["FGSM eps=0.008"]
    assert "PE_cnn_retrained" not in t3["OnePixel p=1"] and t3["OnePixel p=1"]["images"] == 2
    assert set(t3["FGSM eps=0.008"]["PE_transfer"]) == {"CNN-srnet"}


@pytest.mark.slow
def test_hardening_rounds_join_the_frontier(tiny_run):
    h = tiny_run[1]["hardening"]
    assert [x["round"] for x in h["rounds"]] == [0, 1] and h["rounds"][1]["wardens_in_loss"] == 1


@pytest.mark.slow
def test_a_rerun_reuses_every_stage(own_copy):
    tmp, res = own_copy
    again = _run(TINY, tmp, tmp / "run")
    assert again["stages_ran"] == [] and len(again["stages_reused"]) == len(res["stages_ran"])
    assert again["table2"] == res["table2"]
    # provenance: each stage keeps the time of the invocation that made it, and the whole
    # run's wall time sums both invocations
    assert [x["invocation"] for x in again["invocations"]] == [0, 1]
    assert again["wall_seconds_total"] == pytest.approx(
        res["wall_seconds"] + again["wall_seconds"], abs=0.11)
    assert again["stages"]["fidelity"] == {**res["stages"]["fidelity"], "reused": True}
    assert "whole run: 2 invocation(s)" in (tmp / "run" / "report.md").read_text()


@pytest.mark.slow
def test_warden_seeds_train_each_row_s_wardens_again_and_average_them(own_copy):
    tmp, res = own_copy
    two = _run({**TINY, "seeds": 2}, tmp, tmp / "run")
    detect = {f for f in res["stages_ran"] if f.startswith("detect-")}
    assert detect <= set(two["stages_ran"])  # and what reads their wardens (the attacks)
    assert not any(f.startswith(("corpus", "stegos-", "train")) for f in two["stages_ran"])
    for label, v in two["table2"].items():
        for w in ("SRM", "CNN"):
            d = v[w]
            assert len(d["seeds"]) == 2 and d["seeds"][0] == res["table2"][label][w]["PE"]
            assert d["PE"] == pytest.approx(sum(d["seeds"]) / 2)
            assert d["interval"]["seeds"] == 2 and len(d["calls"]) == 2
    stage = tmp / "run" / "stages" / "detect-LSB-4"
    assert (stage / "CNN.safetensors").exists() and (stage / "CNN-seed1.safetensors").exists()
    stage = tmp / "run" / "stages" / "detect-GAN"  # the transfer warden: once (attacks read it)
    assert (stage / "CNN-srnet.safetensors").exists()
    assert not (stage / "CNN-srnet-seed1.safetensors").exists()
    assert "seeds" not in two["table2"]["GAN"]["CNN-srnet"]
    assert all("diff" in c for c in two["comparisons"])


@pytest.mark.slow
def test_a_changed_setting_reruns_only_what_depends_on_it(own_copy):
    tmp, res = own_copy
    attacks = {**TINY["attacks"], "FGSM eps=0.005": {"attack": "fgsm", "eps": 0.005}}
    del attacks["FGSM eps=0.008"]
    attacks["OnePixel p=1"] = {**attacks["OnePixel p=1"], "images": 1}  # not the FGSM stages
    changed = _run({**TINY, "attacks": attacks}, tmp, tmp / "run")
    assert changed["stages_ran"] == ["attack-OnePixel_p_1", "attack-FGSM_eps_0.005"]


@pytest.mark.slow
def test_another_seed_reruns_every_stage(tiny_run):
    """A stage's key hashes its settings: the run's seed in every stage's settings means
    that another seed reruns every stage (none is reused stale)."""
    folder, res = tiny_run
    names = res["stages_ran"]
    assert len(names) == len(res["stages"]) > 10
    for name in names:
        marker = json.loads((folder / "run" / "stages" / name / "stage.json").read_text())
        assert marker["settings"]["seed"] == res["config"]["seed"] == 0, name


@pytest.mark.slow
def test_two_ranks_give_the_numbers_of_one(tiny_run, tmp_path):
    """torchrun (gloo): the ranks share the stages' images and whole stages. The training
    and hardening stages are reused: trained under DDP on 2 ranks the GAN is another model.
    The tiny run's hiders, wardens and two of its attacks (its other rows add nothing a
    second rank would change); their stages are keyed as in the one-rank run."""
    folder, res = tiny_run
    two = tmp_path / "two"
    (two / "stages").mkdir(parents=True)
    for st in ("corpus", "train-GAN", "harden"):
        shutil.copytree(folder / "run" / "stages" / st, two / "stages" / st)
    shutil.copytree(folder / "run" / "harden", two / "harden")
    shutil.copy(folder / "run" / ".advstego-run.json", two)
    keep = ("FGSM eps=0.008", "OnePixel p=1")
    cfg = {**TINY, "baselines": {}, "controls": {}, "secret_size": {},
           "attacks": {k: TINY["attacks"][k] for k in keep}}
    (tmp_path / "two.json").write_text(json.dumps(cfg))
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc_per_node", "2", "-m", "advstego", "experiment",
                        str(tmp_path / "two.json"), "--out", str(two), "--device", "cpu"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res2 = json.loads((two / "results.json").read_text())
    assert res2["ranks"] == 2 and res2["stages_reused"] == ["corpus", "train-GAN", "harden"]
    assert res2["stages"]["stegos-LSB-4"]["ranks"] == 2  # shared image by image
    assert res2["stages"]["detect-LSB-4"]["ranks"] == 1 and len(res2["busy_seconds"]) == 2
    assert {res2["stages"][f"detect-{slug(h)}"]["rank"] for h in TINY["hiders"]} == {0, 1}
    # a stage that rank 1 ran is not "reused" in rank 0's report
    assert not any(res2["stages"][n]["reused"] for n in res2["stages_ran"])
    assert "srm-features" in res2["stages_ran"] and res2["stages"]["srm-features"]["images"] > 0
    for name in res2["stages_ran"]:  # a row's stages: the same key as in the one-rank run
        if name.startswith(("stegos-", "detect-", "attack-")):
            assert _key(two, name) == _key(folder / "run", name), name
    for k in ("corpus", "trained", "control"):
        _same(res2[k], res[k], k)
    for k, rows in (("table1", set(TINY["hiders"])), ("table2", set(TINY["hiders"])),
                    ("table3", set(keep))):
        assert set(res2[k]) == rows, k
        _same(res2[k], {row: res[k][row] for row in res2[k]}, k)


def _key(run, stage):
    return json.loads((run / "stages" / stage / "stage.json").read_text())["key"]


def _same(a, b, where):
    """Equal, floats up to the rounding of the CNN's kernels (channels-last convolutions sum
    in another order with another thread count); the attack's own seconds are a time."""
    if isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            if k != "attack_seconds":
                _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{n}]")
    elif isinstance(a, float):
        # PE_min is a minimum over a CNN's score thresholds: a warden trained on one thread per
        # rank (distributed.py) rounds otherwise, and a threshold may pass one test image more
        one_image = 0.05 if ".CNN-" in where and ".PE_min" in where else 1e-6
        assert b == pytest.approx(a, rel=1e-4, abs=one_image), where
    else:
        assert a == b, where


def test_experiment_bad_config(tmp_path, cli):
    from advstego.experiments.config import load_config

    r = cli("experiment", "nonsense", "--out", tmp_path / "o")
    assert_clean_error(r, "neither a preset")
    (tmp_path / "bad.json").write_text("{oops")
    r = cli("experiment", tmp_path / "bad.json", "--out", tmp_path / "o")
    assert_clean_error(r, "not a valid JSON config")
    r = cli("experiment", "paper-bossbase", "--out", tmp_path / "o")
    assert_clean_error(r, "--root")
    assert load_config("quick")["data"]["source"] == "sample"


@pytest.mark.parametrize("bad,words", [
    ({"wardens": {"SRM": {"detector": "srm-fld"}, "CNN": {"detector": "xunet", "epoch": 2}}},
     ["wardens.CNN", "epoch"]),
    ({"wardens": {"SRM": {"detector": "srm-fld"}, "CNN": {"detector": "xunet",
                                                          "epochs": "ten"}}},
     ["wardens.CNN.epochs", "int"]),
    ({"wardens": {"SRM": {"detector": "srm-fld"}}}, ["SRM and CNN"]),
    ({"hiders": {"GAN": {"hider": "gan", "train": {"epochs": 0}}}}, ["epochs", "at least 1"]),
    ({"hiders": {"X": {"hider": "nope"}}}, ["hiders.X", "nope"]),
    ({"hiders": {"X": {"hider": "lsb", "train": {}}}}, ["hiders.X", "train"]),
    ({"attacks": {"A": {"attack": "fgsm", "levels": 2}}}, ["attacks.A", "levels"]),
    ({"baselines": {"B": {"method": "lsb", "payload": 0.4}}}, ["baselines.B"]),
    ({"data": {"gray": True}}, ["data.gray"]),
    ({"attacked": "nobody"}, ["attacked", "nobody"]),
    ({"sed": 1}, ["sed"])])
def test_config_typos_and_wrong_types_are_refused_by_name(tmp_path, cli, bad, words):
    (tmp_path / "c.json").write_text(json.dumps(bad))
    r = cli("experiment", tmp_path / "c.json", "--out", tmp_path / "o")
    assert_clean_error(r, *words)
    assert not (tmp_path / "o").exists()
