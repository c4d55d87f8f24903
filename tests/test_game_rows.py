"""Typed results: a round's row (game/rows.py) and the report's tables
(experiments/report.Table), named by what they hold, the JSON keys runs have always written."""

import json
from pathlib import Path

import pytest

from advstego.errors import InputError
from advstego.game.rows import RoundRow, Validation
from advstego.game.rules import best_round, chosen_on, pe_fresh, pe_worst_fresh

ROOT = Path(__file__).resolve().parents[1]


def _committed_rows() -> list:
    files = sorted(ROOT.glob("results/*/*/round-*/metrics.json"))
    rows = [json.loads(f.read_text()) for f in files]
    for name in ("quick", "offline"):
        rows += json.loads((ROOT / "results" / name / "results.json").read_text())[
            "hardening"]["rounds"]
    return rows


def test_a_round_row_reads_and_writes_the_keys_runs_wrote():
    rows = _committed_rows()
    assert len(rows) >= 20
    for d in rows:  # the same keys, in the same order: committed results read as written
        row = RoundRow.from_dict(d)
        assert list(row.to_dict().items()) == list(d.items()) and row.extra == {}
    stc = next(RoundRow.from_dict(d) for d in rows if "beta" in d and "val" in d)
    assert stc.share == next(d for d in rows if "beta" in d and "val" in d)["beta"]
    assert set(stc.pe_fresh) == {"xunet"} and isinstance(stc.validation, Validation)
    row = RoundRow(2, 1, share=0.5, pe_fresh={"xunet": 0.3, "srnet": 0.2}, pe_srm=0.1,
                   validation=Validation({"xunet": 0.4}, 0.2), extra={"later": 1})
    d = row.to_dict()
    assert d == {"round": 2, "wardens_in_loss": 1, "beta": 0.5, "val": {
        "pe_fresh_xunet": 0.4, "pe_srm": 0.2}, "pe_fresh_xunet": 0.3, "pe_fresh_srnet": 0.2,
        "pe_srm": 0.1, "later": 1}
    assert RoundRow.from_dict(d) == row
    for bad in ([1], {"beta": 0.5}, {"round": "1"}):
        with pytest.raises(InputError, match="not a round's metrics"):
            RoundRow.from_dict(bad, "metrics.json")


def test_pe_of_fresh_wardens_and_the_final_round():
    """(from tests/test_adversarial.py) the rules read typed rows."""
    pes = [(0.20, 0.30, 0.15), (0.35, 0.25, 0.12), (0.22, 0.40, 0.21)]
    rows = [RoundRow(k, pe_fresh={"xunet": x, "srnet": s}, pe_srm=srm)
            for k, (x, s, srm) in enumerate(pes)]
    w = ("xunet", "srnet")
    assert [pe_fresh(r, w) for r in rows] == [0.20, 0.25, 0.22]
    assert [pe_worst_fresh(r, w) for r in rows] == [0.15, 0.12, 0.21]
    assert chosen_on(rows) == "test" and best_round(rows, w) == 2
    rows = [RoundRow(k, pe_fresh={"xunet": cnn, "srnet": 0.45}, pe_srm=srm)
            for k, (cnn, srm) in enumerate([(0.20, 0.12), (0.13, 0.10), (0.25, 0.15)])]
    assert pe_worst_fresh(rows[2], ["xunet"]) == 0.15 and best_round(rows, ["xunet"]) == 2
    for r, val in zip(rows, [(0.30, 0.20), (0.10, 0.10), (0.20, 0.12)]):
        r.validation = Validation({"xunet": val[0]}, val[1])
    assert chosen_on(rows) == "val" and best_round(rows, ["xunet"]) == 0


def test_a_players_columns_come_from_the_row():
    from advstego.game.players import GanPlayer, StcPlayer

    row = RoundRow(1, 2, embed_seconds=0.25, fooled=0.5, share=0.125, chosen={"rounds": [1, 3]},
                   finetune={"adv": 0.7})
    assert StcPlayer.own_columns(row) == {"wardens_in_costs": 2, "pool_fooled": "0.500",
                                          "beta": "0.125", "kept_new": "0.750",
                                          "embed_seconds": "0.250"}
    assert GanPlayer.own_columns(row) == {"wardens_in_loss": 2, "adv_loss": "0.7000"}


def test_the_report_names_its_tables_by_what_they_hold():
    from advstego.experiments.report import stage_table, tables

    r = json.loads((ROOT / "results" / "offline" / "results.json").read_text())
    ts = tables(r) + stage_table(r)
    assert [t.name for t in ts] == ["calibration", "fidelity", "detection", "adapting_warden",
                                    "attacked_fidelity", "frontier", "hardening", "stages"]
    titles = {t.name: t.title for t in ts}
    assert titles["frontier"].startswith("Table 4") and titles["hardening"].startswith("Table 5")
    assert {t.name for t in ts if t.by_photo} == {"detection"}  # the photos' intervals
    assert all(len(row) == len(t.head) for t in ts for row in t.rows)
