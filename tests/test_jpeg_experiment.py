"""The JPEG experiment (the jpeg preset, experiments/jpeg.py): its quick form end to end,
its configs, and the ordering statement written from the numbers."""

import json

import numpy as np
import pytest

from conftest import assert_clean_error, run_cli


@pytest.mark.slow
def test_the_jpeg_quick_preset_runs_end_to_end(tmp_path):
    from advstego.data.jpeg import JpegImage
    from advstego.experiments.config import load_config

    cfg = load_config("jpeg-quick")
    out = tmp_path / "run"
    r = run_cli("experiment", "jpeg-quick", "--out", out, "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    rows = {**cfg["hiders"], **cfg["baselines"]}
    wardens = list(cfg["wardens"])
    assert set(res["table2"]) == set(rows) and len(rows) == 4
    for label, v in res["table2"].items():  # every row and warden, with a 95% interval
        for w in wardens:
            pe, lo, hi = v[w]["interval"]["PE"]
            assert lo <= pe <= hi and v[w]["interval"]["n_photos"] >= 2, (label, w)
    md = (out / "report.md").read_text()
    table = md.split("### Table 2 (JPEG)")[1].split("###")[0]
    for label in rows:
        line = next(x for x in table.splitlines() if x.startswith(f"| {label} |"))
        assert line.count("[") == len(wardens), line  # one interval a warden
    assert "The literature orders the JPEG simulators PE(nsF5) < PE(UERD) < PE(J-UNIWARD)" in md
    order = res["jpeg_experiment"]["ordering"]
    assert [(c["bpnzac"], c["warden"]) for c in order["cells"]] == [(0.4, w) for w in wardens]
    assert all(len(c["steps"]) == 2 for c in order["cells"])
    assert {h["warden"] for h in order["hiders"]} == set(wardens)
    # JPEG in, JPEG out: a stego keeps its cover's tables and changes its coefficients
    covers = res["jpeg_experiment"]["covers"]
    f = covers["files"]["test"][0]
    cover = JpegImage.read(out / "stages" / "corpus" / "corpus" / f)
    for label in rows:
        stego = JpegImage.read(out / "stages" / f"stegos-{label.replace(' ', '_')}" / f)
        assert cover.quality == stego.quality == 75
        assert np.array_equal(cover.tables[0], stego.tables[0])
        assert not cover.same_as(stego), label
    measured = res["jpeg_experiment"]["rows"]["JPEG hider 0.4"]["bpnzac_measured"]
    assert 0.35 < measured <= 0.4  # random bytes filling the payload
    assert sum(covers["left_out"].values()) >= 0 and covers["photos"]["test"] >= 2
    r = run_cli("experiment", "jpeg-quick", "--out", out, "--device", "cpu")
    assert r.returncode == 0 and json.loads((out / "results.json").read_text())[
        "stages_ran"] == []  # a rerun reuses every stage


@pytest.mark.parametrize("over,words", [
    ({"attacks": {"A": {"attack": "fgsm", "eps": 0.01}}}, ["JPEG experiment", "attacks"]),
    ({"hiders": {"X": {"hider": "lsb", "bits": 2}}}, ["hiders.X", "takes pixels"]),
    ({"wardens": {"SRM": {"detector": "srm-fld"}}}, ["wardens.SRM", "does not read JPEG"]),
    ({"baselines": {"B": {"method": "wow", "payload": 0.4}}}, ["baselines.B", "nsf5"]),
    ({"preset": "quick", "hiders": {"J": {"hider": "jpeg"}}}, ["hiders.J", "JPEG covers"])])
def test_a_jpeg_config_refuses_pixel_stages_and_rows_in_one_line(tmp_path, over, words):
    (tmp_path / "c.json").write_text(json.dumps({"preset": "jpeg-quick", **over}))
    r = run_cli("experiment", tmp_path / "c.json", "--out", tmp_path / "o")
    assert_clean_error(r, *words)
    assert not (tmp_path / "o").exists()


def _warden(decisions, photos):
    """A warden's Table 2 entry from its 0/1 calls on covers then stegos."""
    from advstego.steganalysis.detector import arm, calls
    from advstego import stats

    d = np.asarray(decisions)
    n = len(d) // 2
    labels = np.r_[np.zeros(n, int), np.ones(n, int)]
    c = calls({"labels": labels, "decisions": d, "scores": d.astype(float)}, photos)
    fa, md = d[:n].mean(), 1 - d[n:].mean()
    return {"PE": (fa + md) / 2, "P_FA": fa, "P_MD": md, "calls": c,
            "interval": stats.interval(arm(c), n_resamples=500)}


def _missing(rate, n, rng):
    """Stego calls that miss about rate of n stegos (covers all called cover)."""
    return np.r_[np.zeros(n, int), (rng.random(n) >= rate).astype(int)]


@pytest.mark.parametrize("reverse", [False, True])
def test_the_ordering_statement_says_whether_the_literature_s_order_holds(reverse):
    from advstego.experiments.jpeg_report import ordering, ordering_statement

    rng = np.random.default_rng(0)
    n = 120
    photos = [f"p{i % 20}" for i in range(n)] * 2
    rates = {"nsf5": 0.05, "uerd": 0.5, "juniward": 0.95}  # PE about rate / 2
    if reverse:
        rates = {"nsf5": 0.95, "uerd": 0.5, "juniward": 0.05}
    table2, rows = {}, {}
    for m, rate in rates.items():
        table2[f"{m} 0.4"] = {"W": _warden(_missing(rate, n, rng), photos)}
        rows[f"{m} 0.4"] = {"kind": "simulator", "method": m, "bpnzac": 0.4}
    table2["hider 0.4"] = table2["juniward 0.4"]  # the same calls as its simulator
    rows["hider 0.4"] = {"kind": "hider", "method": "juniward", "bpnzac": 0.4}
    order = ordering(table2, rows, ["W"])
    cell = order["cells"][0]
    assert cell["holds"] is (not reverse)
    assert all(s["resolved_holm"] for s in cell["steps"])  # steps of about 0.22 PE
    assert all((s["diff"] > 0) is (not reverse) for s in cell["steps"])
    assert order["hiders"][0]["within"] and order["hiders"][0]["diff"] == 0
    text = " ".join(ordering_statement(order))
    if reverse:
        assert "holds in no cell" in text and "2 against it" in text
        assert "(not in the literature's order)" in text
    else:
        assert "holds in every cell" in text and "none against it" in text
        assert "nsF5 0.0" in text and "(in the literature's order)" in text
    assert "within ±0.03 of the simulator (target met)" in text
