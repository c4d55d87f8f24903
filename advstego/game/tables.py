"""Table 6 and the round figure: STC strategies against wardens who retrain.

A game is one `advstego harden --method stc` run folder (config.json, round-K/metrics.json).
Its round 0 is the plain cost (S-UNIWARD, HILL ...), round 1 ADV-EMB against the round-0
wardens, round k > 1 the min-max strategy after k rounds; the final strategy is the round
whose worst fresh warden has the highest PE on the validation photos (rules.best_round).
"""

from __future__ import annotations

import json
from pathlib import Path

from .config import HardenConfig
from .rows import RoundRow
from .rules import best_round, chosen_on
from ..stats import fmt

COST_NAMES = {"suniward": "S-UNIWARD", "wow": "WOW", "hill": "HILL"}


def load_game(folder) -> dict:
    """{"config", "rounds", "final"} of a harden --method stc run (finished rounds only);
    its config.json in this schema (HardenConfig.to_dict), whichever it was written in."""
    folder = Path(folder)
    cfg = HardenConfig.from_dict(json.loads((folder / "config.json").read_text())).to_dict()
    rounds = []
    while (folder / f"round-{len(rounds)}" / "metrics.json").exists():
        rounds.append(json.loads((folder / f"round-{len(rounds)}" / "metrics.json").read_text()))
    final = best_round([RoundRow.from_dict(x) for x in rounds], cfg["wardens"])
    return {"config": cfg, "rounds": rounds, "final": final}


def rows_of(game: dict) -> list[RoundRow]:
    """A game's rounds (load_game's, JSON) as rows."""
    return [RoundRow.from_dict(x) for x in game["rounds"]]


def plain_name(cfg: dict) -> str:
    """A game's plain strategy by its hider's costs and payload (cfg: its config.json)."""
    h = HardenConfig.from_dict(cfg).hider.settings
    return f"{COST_NAMES.get(h['cost'], h['cost'])} {h['payload']:g} bpp"


def strategy_name(cfg: dict, k: int) -> str:
    base = plain_name(cfg)
    if k == 0:
        return base
    if k == 1:
        return f"ADV-EMB on {base} (against the round-0 wardens)"
    return f"min-max on {base}, round {k} (against rounds 0-{k - 1})"


def _f(v, digits=4):
    return "–" if v is None else f"{v:.{digits}f}"


HEAD = ["strategy", "PE frozen warden attacked (best of the pool)", "PE retrained Xu-Net",
        "PE retrained SRNet", "PE retrained SRM+FLD", "PE control (covers vs covers)",
        "ΔPE Xu-Net vs round 0", "ΔPE SRM+FLD vs round 0", "secret PSNR", "stego PSNR",
        "embed s/img"]


def round_pe(x: RoundRow, pe: float | None, judged: str) -> str:
    """A round's test PE (pe: one of its fields), with its interval by photo where the round
    kept the calls of that warden (judged key: fresh_ARCH or srm)."""
    iv = ((x.judged or {}).get(judged) or {}).get("interval")
    return fmt(iv["PE"]) if iv else _f(pe)


def _delta(x: RoundRow, first: RoundRow, judged: str) -> str:
    """Paired ΔPE of a round against round 0 on the same test photos: interval, resolved."""
    a, b = ((r.judged or {}).get(judged) for r in (first, x))
    if x is first or not (a and b):
        return "–"
    from ..stats import paired
    from ..steganalysis.detector import arm

    arms = arm(a["calls"]), arm(b["calls"])
    if len(arms[0].photos) < 2:
        return "–"
    d = paired(*arms)
    return (f"{d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] "
            f"{'resolved' if d['resolved'] else 'not resolved'}")


def table6(games: list[dict]) -> tuple[str, list, list]:
    """(title, head, rows) of every round of every game; the final strategy marked."""
    rows, where = [], set()
    for g in games:
        cfg, rs = g["config"], rows_of(g)
        control = rs[0].pe_control if rs else None
        where.add(chosen_on(rs))
        for x in rs:
            k = x.round
            name = strategy_name(cfg, k) + (" **final**" if k == g["final"] and k else "")
            rows.append([name, _f(min(x.pe_earlier) if x.pe_earlier else None),
                         round_pe(x, x.pe_fresh.get("xunet"), "fresh_xunet"),
                         round_pe(x, x.pe_fresh.get("srnet"), "fresh_srnet"),
                         round_pe(x, x.pe_srm, "srm"),
                         _f(control if k == 0 else None),
                         _delta(x, rs[0], "fresh_xunet"), _delta(x, rs[0], "srm"),
                         _f(x.secret_psnr, 2), _f(x.stego_psnr, 2), _f(x.embed_seconds, 3)])
    c = games[0]["config"] if games else {}
    kept = [bool(x.judged) for g in games for x in rows_of(g)]
    shown = ("[95% interval by photo]; ΔPE paired on the same photos" if kept and all(kept) else
             "(no interval: rounds measured before per-image calls were kept are single "
             "points)")
    chosen = ("the final strategy chosen on the validation photos" if where == {"val"} else
              "the final strategy chosen on the test photos (these rounds predate validation "
              "figures: biased upward)")
    title = ("Table 6 - STC strategies against wardens who retrain: each row's wardens are "
             f"trained from scratch on its stegos ({'/'.join(c.get('wardens', []))} "
             f"{c.get('warden_epochs')} epochs, validation-selected; {c.get('srm')}); the "
             "frozen column is the best of the earlier wardens the costs were made against; "
             f"PE on the test photos {shown}, 8-bit PNG stegos; {chosen}")
    return title, HEAD, rows


def figure_rounds(games: list[dict], path) -> None:
    """PE per round of each game: the fresh wardens against the frozen earlier ones."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(7, 4))
    colors = plt.get_cmap("tab10").colors
    for i, g in enumerate(games):
        cfg, rs = g["config"], rows_of(g)
        if not rs:
            continue
        label = plain_name(cfg)
        ks = [x.round for x in rs]
        c = colors[i % len(colors)]
        ax.plot(ks, [x.pe_fresh["xunet"] for x in rs], "^-", color=c,
                label=f"{label}: fresh Xu-Net")
        ax.plot(ks, [x.pe_srm for x in rs], "o--", color=c, label=f"{label}: fresh SRM+FLD")
        early = [(x.round, min(x.pe_earlier)) for x in rs if x.pe_earlier]
        if early:
            ax.plot(*zip(*early), "x:", color=c, label=f"{label}: best frozen earlier warden")
    ax.axhline(0.5, color="k", lw=0.6, ls=":")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("round (0: plain costs; k: adversarial against rounds 0..k-1)")
    ax.set_ylabel("PE on test photos (0.5 = undetectable)")
    ax.set_ylim(-0.02, 0.6)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def frontier_points(games: list[dict]) -> list:
    """(system, secret PSNR, stego PSNR, PE SRM+FLD, PE CNN) of each game's final strategy."""
    out = []
    for g in games:
        if g["final"] is None:
            continue
        x = rows_of(g)[g["final"]]
        out.append((strategy_name(g["config"], g["final"]), x.secret_psnr, x.stego_psnr,
                    x.pe_srm, x.pe_fresh["xunet"]))
    return out
