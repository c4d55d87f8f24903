"""The whole pipeline end to end on a tiny config; a rerun reuses every stage."""

import json
import shutil
import subprocess
import sys

import pytest

from advstego.experiments.presets import load_config
from conftest import assert_clean_error

TINY = {"preset": "quick",
        "data": {"max_tiles": 3},
        "gan": {"epochs": 1, "steps_per_epoch": 4, "width": 8, "blocks": 1},
        "lsb_bits": [4],
        "secret_size": {"size": 32, "rows": ["LSB-4"]},
        "harden": {"rounds": 1, "steps": 3, "warden_epochs": 1},
        "baselines": {"suniward": 0.4},
        "stc": {"rows": [["webp", 0.4]]},
        "srm": {"q1": True, "L": 5, "d_sub": 200},
        "cnn": {"arch": "xunet", "epochs": 1},
        "attacks": {"fgsm_eps": [0.001, 0.008], "uint8_levels": 2, "onepixel_pixels": [1],
                    "onepixel_maxiter": 2, "onepixel_popsize": 5, "onepixel_images": 2}}


def test_pipeline_end_to_end_and_cached(tmp_path, cli):
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps(TINY))
    out = tmp_path / "run"
    r = cli("experiment", cfg, "--out", out, "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    for f in ("report.html", "report.md", "results.json", "figure2_confidence.png",
              "figure3_grid.png", "figure4_frontier.png"):
        assert (out / f).stat().st_size > 0, f
    res = json.loads((out / "results.json").read_text())
    stc, small = "STC-S-UNIWARD + WEBP 0.4 bpp", "LSB-4 + secret 32x32"
    assert set(res["table1"]) == {"GAN", "LSB-4", stc, small}
    assert set(res["table2"]) == {"GAN", "LSB-4", "S-UNIWARD", stc, small}
    # a quarter-size secret: 4 cover pixels x 4 bits carry each secret pixel exactly
    assert res["table1"][small]["secret_mse"] == 0 and res["table1"]["LSB-4"]["secret_mse"] > 0
    # min-max hardening: round 0 and one round, each with its fresh warden, on the frontier
    h = res["hardening"]
    assert [x["round"] for x in h["rounds"]] == [0, 1] and h["rounds"][1]["wardens_in_loss"] == 1
    # extraction is exact: the STC stego is within one grey level of its cover, far above LSB-4
    assert res["table1"][stc]["stego_psnr"] > res["table1"]["LSB-4"]["stego_psnr"] + 10
    assert res["table1"][stc]["secret_psnr"] > 15
    assert {"FGSM eps=0.001", "FGSM eps=0.008", "FGSM-uint8 L-inf<=2", "OnePixel p=1"} == set(res["table3"])
    # PE is what the detection errors say: (P_FA + P_MD) / 2; for the CNN, whose decision is
    # P(stego) > 0.5, PE_min (the best threshold) is never above it
    for v in res["table2"].values():
        for d in (v["SRM"], v["CNN"]):
            assert d["PE"] == pytest.approx((d["P_FA"] + d["P_MD"]) / 2)
        assert v["CNN"]["PE_min"] <= v["CNN"]["PE"] + 1e-9
    # the transfer CNN is a second detector, trained on the GAN stegos only
    assert set(res["table2"]["GAN"]) == {"SRM", "CNN", "CNN-srnet"}
    # eps = 0.001 is a quarter of a grey level: the saved stegos are unchanged
    assert res["table3"]["FGSM eps=0.001"]["linf"] == 0
    assert res["table3"]["FGSM eps=0.008"]["linf"] <= 3
    assert "PE_cnn_retrained" in res["table3"]["FGSM eps=0.008"]
    assert res["versions"]["torch"] and res["config"]["seed"] == 0
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "Table 3" in html
    assert "S-UNIWARD 0.4 bpp (simulated)" in html and stc in html  # frontier, Table 4
    assert "hardened v2, round 1" in html and "Table 5 - min-max hardening" in html
    assert res["ranks"] == 1 and res["wall_seconds"] > 0
    assert res["stages"]["stegos-LSB-4"]["images"] == res["corpus"]["images"]
    assert set(res["control"]) == {"SRM", "CNN"} and "Table 0 - warden calibration" in html
    # two ranks (torchrun, gloo) share the stages' images and whole stages, and give the same
    # numbers. The GAN stage is reused: trained under DDP on 2 ranks it is another model.
    # (SRM feature sharing is a stage of its own there: "srm-features".)
    two = tmp_path / "two"
    (two / "stages").mkdir(parents=True)
    for st in ("corpus", "gan", "harden"):  # the game's rounds too: played once is enough
        shutil.copytree(out / "stages" / st, two / "stages" / st)
    shutil.copytree(out / "harden", two / "harden")
    shutil.copy(out / ".advstego-run.json", two)
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc_per_node", "2", "-m", "advstego", "experiment", str(cfg),
                        "--out", str(two), "--device", "cpu"], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res2 = json.loads((two / "results.json").read_text())
    assert res2["ranks"] == 2 and res2["stages_reused"] == ["corpus", "gan", "harden"]
    assert "srm-features" in res2["stages_ran"] and res2["stages"]["srm-features"]["images"] > 0
    for k in ("corpus", "gan_val", "table1", "table2", "table3", "control"):
        assert res2[k] == res[k], k
    # a rerun reuses the cache
    r = cli("experiment", cfg, "--out", out, "--device", "cpu")
    assert r.returncode == 0
    res2 = json.loads((out / "results.json").read_text())
    assert res2["stages_ran"] == [] and len(res2["stages_reused"]) == len(res["stages_ran"])
    assert res2["table2"] == res["table2"]
    # a changed setting re-runs only what depends on it
    TINY2 = {**TINY, "attacks": {**TINY["attacks"], "fgsm_eps": [0.001, 0.005]}}
    cfg.write_text(json.dumps(TINY2))
    r = cli("experiment", cfg, "--out", out, "--device", "cpu")
    res3 = json.loads((out / "results.json").read_text())
    assert res3["stages_ran"] == ["attack-fgsm-0.005"]
    # another seed: every stage uses it, so every stage reruns (none is reused stale)
    cfg.write_text(json.dumps({**TINY2, "seed": 1}))
    r = cli("experiment", cfg, "--out", out, "--device", "cpu")
    assert r.returncode == 0, r.stderr[-2000:]
    res4 = json.loads((out / "results.json").read_text())
    assert res4["stages_reused"] == []
    assert set(res4["stages_ran"]) == set(res3["stages_reused"]) | {"attack-fgsm-0.005"}
    assert res4["config"]["seed"] == 1


def test_experiment_bad_config(tmp_path, cli):
    r = cli("experiment", "nonsense", "--out", tmp_path / "o")
    assert_clean_error(r, "neither a preset")
    (tmp_path / "bad.json").write_text("{oops")
    r = cli("experiment", tmp_path / "bad.json", "--out", tmp_path / "o")
    assert_clean_error(r, "not valid JSON")
    r = cli("experiment", "paper-bossbase", "--out", tmp_path / "o")
    assert_clean_error(r, "--root")
    assert load_config("quick")["data"]["source"] == "sample"


def test_config_typos_and_wrong_types_are_refused_by_name(tmp_path, cli):
    for bad, words in (({"cnn": {"epoch": 2}}, ["cnn.epoch"]),
                       ({"cnn": {"epochs": "ten"}}, ["cnn.epochs", "int"]),
                       ({"gan": {"epochs": 0}}, ["gan.epochs", "positive"]),
                       ({"sed": 1}, ["sed"])):
        (tmp_path / "c.json").write_text(json.dumps(bad))
        r = cli("experiment", tmp_path / "c.json", "--out", tmp_path / "o")
        assert_clean_error(r, *words)
        assert not (tmp_path / "o").exists()
