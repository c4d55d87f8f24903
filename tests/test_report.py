"""The experiment's report: it opens with what the run found, in sentences read from the
intervals; then when, where and how long the run ran; a figure says which points it draws
where they are not; the versions are a table; the committed reports are what it writes."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from advstego.experiments import report

ROOT = Path(__file__).resolve().parents[1]


def _warden(pe, low, high, photos=30, fa=0.3, md=0.1):
    return {"PE": pe, "P_FA": fa, "P_MD": md,
            "interval": {"PE": [pe, low, high], "n_photos": photos, "n_images": 200}}


def _committed(name):
    return json.loads((ROOT / "results" / name / "results.json").read_text())


def test_a_row_is_seen_where_its_interval_lies_below_half_and_not_where_it_reaches_it():
    r = {"table2": {"A": {"SRM": _warden(0.2, 0.1, 0.3), "CNN": _warden(0.2, 0.15, 0.25)},
                    "B": {"SRM": _warden(0.45, 0.40, 0.55), "CNN": _warden(0.3, 0.2, 0.4)},
                    "C": {"SRM": _warden(0.5, 0.5, 0.5, fa=0.0, md=1.0),
                          "CNN": {"PE": 0.1, "P_FA": 0.1, "P_MD": 0.1}}}}
    found = report.findings(r)
    assert "A: seen by both wardens (SRM+FLD PE 0.200 [0.100, 0.300], CNN PE 0.200 " \
           "[0.150, 0.250])." in found
    assert "B: not shown to be seen by SRM+FLD (PE 0.450 [0.400, 0.550]: the interval reaches " \
           "0.5); seen by the CNN (PE 0.300 [0.200, 0.400])." in found
    c = next(x for x in found if x.startswith("C: "))
    assert "SRM+FLD learned nothing" in c and "the CNN: PE 0.100 (no interval)" in c
    assert not any(x.startswith("Only ") for x in found)  # 30 photos: no warning
    r["table2"]["A"]["SRM"]["interval"]["n_photos"] = 5
    assert "Only 5 test photos: intervals from so few photos are rough (they undercover)." \
        in report.findings(r)


def test_a_paired_difference_is_called_resolved_by_its_test():
    def comp(role, diff, low, high, resolved):
        return {"a": "P0", "b": f"{role} arm", "warden": "SRM", "role": role, "diff": diff,
                "low": low, "high": high, "p": 0.01, "resolved": resolved, "se": 0.01,
                "min_detectable": 0.03}
    r = {"table2": {}, "comparisons": [comp("positive control", 0.05, 0.02, 0.08, True),
                                       comp("A/A null", 0.01, -0.02, 0.04, False)]}
    found = report.findings(r)
    assert ("positive control arm against P0 (positive control), SRM+FLD: ΔPE +0.050 "
            "[+0.020, +0.080], resolved.") in found
    assert ("A/A null arm against P0 (A/A null), SRM+FLD: ΔPE +0.010 [-0.020, +0.040], "
            "not resolved.") in found
    assert found[-1] == ("The positive control is resolved for every warden; the A/A null's "
                         "intervals cover 0.")


def test_a_run_without_intervals_says_its_pes_are_points():
    found = report.findings(_committed("offline"))
    assert found[1].startswith("This run has no intervals")
    assert "GAN: SRM+FLD PE 0.054, CNN PE 0.054 (no intervals)." in found


def test_the_report_opens_with_what_the_run_found_and_when_where_and_how_long(tmp_path):
    r = {**_committed("quick"), "machine": {"platform": "Linux-6.1-x86_64", "cpus": 2}}
    report.write_documents(tmp_path, r)
    md = (tmp_path / "report.md").read_text()
    head = md.splitlines()[2:5]
    assert head[0] == "| experiment | started | machine | wall time of the run |"
    assert head[2] == ("| quick | 2026-12-03 07:01 (last of 2 invocations: 2026-12-03 07:06) | "
                       "Linux-6.1-x86_64, 2 CPUs | 230.0 s (3.8 min) on 1 rank(s), 2 "
                       "invocations |")
    assert md.index("## What this run found") < md.index("## The run") < md.index("### Table 0")
    assert "- GAN: seen by both wardens" in md
    assert md.rstrip().endswith("| sealwatch | 2025.9 |") and "| numpy | 2.4.6 |" in md
    html = (tmp_path / "report.html").read_text()
    assert "td.iv{white-space:nowrap}" in html
    assert "<td class='iv'>0.000 [0.000, 0.000]</td>" in html
    assert not re.search(r"<td>[^<]*\[[-+]?\d", html)  # every interval cell kept whole
    assert html.index("What this run found") < html.index("Table 0")
    del r["machine"]
    assert "not recorded" in report.run_table(r)[1][2]


def test_an_infinite_psnr_drawn_at_60_db_is_said_in_the_caption():
    r = _committed("quick")
    assert r["table1"]["LSB-2 + secret 32x32"]["secret_psnr"] == float("inf")
    cap = report.frontier_caption(r)
    assert "LSB-2 + secret 32x32 is infinite" in cap and "drawn at 60 dB" in cap
    r["table1"]["LSB-2 + secret 32x32"]["secret_psnr"] = 61.5
    assert "drawn at 60 dB, the axis's end: LSB-2 + secret 32x32 (61.5 dB)" in \
        report.frontier_caption(r)
    r["table1"]["LSB-2 + secret 32x32"]["secret_psnr"] = 30.0
    assert report.frontier_caption(r) == "Figure 4 - security-capacity frontier (Table 4)"


def test_the_versions_are_a_table_with_the_commit():
    r = {"versions": {"python": "3.11.7", "advstego": "0.1.0", "advstego_commit": "abc1234",
                      "numpy": "2.4.6"}}
    assert report.versions_rows(r) == [["python", "3.11.7"],
                                       ["advstego", "0.1.0 (commit abc1234)"],
                                       ["numpy", "2.4.6"]]
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    assert report._versions()["advstego_commit"].startswith(head)


@pytest.mark.parametrize("name", ["quick", "offline"])
def test_a_committed_report_is_what_the_report_writes_from_its_results(name, tmp_path):
    folder = ROOT / "results" / name
    shutil.copy(folder / "results.json", tmp_path)
    for png in folder.glob("figure*.png"):
        (tmp_path / png.name).touch()  # the figures are named, not read, in report.md
    report.main([str(tmp_path)])
    assert not (tmp_path / "report.html").exists()  # only where the folder had one
    assert (tmp_path / "report.md").read_text() == (folder / "report.md").read_text(), \
        f"run: python -m advstego.experiments.report results/{name}"


def test_a_run_records_its_machine_and_versions_beside_its_results(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(report, "_write_report", lambda out, r, *a: None)
    report.write_report(tmp_path, {"config": {}}, None, None, None, {})
    r = json.loads((tmp_path / "results.json").read_text())
    assert r["machine"]["cpus"] == os.cpu_count() and r["machine"]["platform"]
    assert r["versions"]["numpy"] and r["versions"]["advstego"]


def test_a_warden_that_learned_nothing_is_named():
    """The committed quick run's CNN called every image a cover on the control: said so."""
    from advstego.experiments.report import learned_nothing, tables_text

    r = json.loads((Path(__file__).parents[1] / "results" / "quick" / "results.json").read_text())
    assert "S-UNIWARD (CNN)" in learned_nothing(r)
    text = tables_text(r)
    assert text.startswith("note: a warden learned nothing") and "(learned nothing: all cover)" \
        in text
