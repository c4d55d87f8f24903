"""The game (`advstego harden`): a hider plays against wardens who retrain, round by round.

Round 0 measures the starting hider and trains fresh wardens on its stegos. Round k is the
player's move against the earlier wardens (players.py: the deep hider fine-tuned, or STC
with adversarial costs; min-max: each image then keeps its least detectable candidate of
rounds 0 .. k, rules.py), then new stegos and fresh wardens, trained from scratch and
selected on the validation photos. Every round is measured on the test photos: PE of the
fresh wardens (Kerckhoffs: they know this round's hider), of every earlier warden, of
SRM+FLD, and the fidelity of the saved 8-bit stegos. The final round is chosen on the
validation photos (rules.best_round). On a JPEG corpus the JPEG hider plays, in its
coefficients (domain.py): the CNN wardens read its stegos decompressed, DCTR+FLD judges in
SRM+FLD's place, and the test stegos are JPEGs.

A run folder holds round-K/ (the model or candidates, the wardens, metrics.json, the test
stegos as PNG), harden.csv (a row a round) and report.md. A killed run resumes at the
first unfinished round; a run with more --rounds extends one with fewer.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..data.corpus import Corpus
from ..data.prepare import ALICE, jpeg_of, load_manifest
from ..errors import InputError
from ..files import atomic_folder, read_json, write_text_atomic
from ..hiding.registry import hider_has, load_hider, the_hider_that
from ..steganalysis.detector import (build_detector, control_halves, detection_summary,
                                     fit_and_measure, load_detector, measure, seed_mean)
from .config import HardenConfig, game_settings, same_game
from .domain import Jpegs, Pixels, check_room
from .players import _f, player_for
from .rows import RoundRow, Validation
from .rules import (best_round, choose_per_image, cover_quantile, cover_z, pe_fresh,
                    pe_worst_fresh)


def _pe(det, covers, stegos) -> float:
    return detection_summary(det, covers, stegos)["PE"]


def _cnn(arch, cfg: HardenConfig, seed, device):
    return build_detector(arch, epochs=cfg.warden_epochs, seed=seed, device=device)


def _srm(cfg: HardenConfig, seed):
    return build_detector(cfg.srm, seed=seed, L=cfg.srm_L, d_sub=cfg.srm_d_sub)


def check_data(data, cfg: HardenConfig) -> bool:
    """A corpus this game plays on (gray; JPEG covers for a hider of JPEG files, pixel
    covers for the others; its flattest JPEG cover carries a secret: domain.check_room),
    refused in one line; returns whether it is a JPEG corpus."""
    m = load_manifest(data)
    if m["mode"] != "gray":
        raise InputError(f"{data}: harden plays on gray corpora for now")
    jpeg = jpeg_of(m) is not None
    if hider_has(cfg.method, "jpeg_files") and not jpeg:
        raise InputError(f"{data}: harden --method {cfg.method} plays on a JPEG corpus "
                         "(data prepare --jpeg QF); this one holds PNG covers")
    if jpeg and not hider_has(cfg.method, "jpeg_files"):
        raise InputError(f"{data}: a JPEG corpus: harden --method {cfg.method} plays on pixel "
                         "covers (its changes to a JPEG's pixels show without a model); "
                         f"--method {the_hider_that('jpeg_files')} plays in its coefficients")
    if jpeg:
        check_room(Corpus(data), load_hider(cfg.method, **cfg.hider.settings))
    return jpeg


class Game:
    """The corpus, read once, and what every round needs."""

    def __init__(self, data, cfg: HardenConfig, device):
        self.cfg, self.device = cfg, device
        jpeg = check_data(data, cfg)
        self.corpus = c = Corpus(data)
        self.files = {s: c.files(s) for s in ("train", "val", "test")}
        if not all(self.files.values()):
            raise InputError(f"{data}: harden needs train, val and test photos")
        # a corpus split four ways: the wardens the hider attacks train on their own photos
        # (alice), apart from those of the wardens that judge it (train)
        self.alice = bool(c.files(ALICE))
        if self.alice:
            self.files[ALICE] = c.files(ALICE)
        self.domain = (Jpegs if jpeg else Pixels)(c, self.files)  # the covers, read once
        self.covers = self.domain.covers  # as the wardens read them
        self.secrets = {s: [c.read(c.partner[x]) for x in f] for s, f in self.files.items()}
        self.data = data
        self.easy = {}  # the wardens' curriculum stegos by split, made on first use

    def fresh_warden(self, arch, k, stegos, split="train", rep=0):
        """A CNN trained from scratch on the split's covers and stegos (train: the judging
        warden; alice: the one the next rounds attack), selected on the validation photos;
        rep: another training seed of the judging warden."""
        seed = self.cfg.seed + 1000 * k + (500 if split == ALICE else 0) + 100_000 * rep
        cfg, w = self.cfg, _cnn(arch, self.cfg, seed, self.device)
        val = (self.covers["val"], stegos["val"])
        if not cfg.warden_warmup:
            return w.fit(self.covers[split], stegos[split], quiet=True, val=val)
        if split not in self.easy:
            self.easy[split] = self.domain.easy(split, cfg.warden_easy, cfg.seed)
        return w.fit_curriculum(self.covers[split], self.easy[split], stegos[split],
                                cfg.warden_warmup, quiet=True, val=val)

    def control(self) -> float:
        """PE of a fresh CNN warden on covers vs covers (nothing hidden): ~0.5 expected."""
        (a, b), (va, vb), test = (control_halves(self.covers[s], self.cfg.seed + i)
                                  for i, s in enumerate(("train", "val", "test")))
        w = _cnn(self.cfg.wardens[0], self.cfg, self.cfg.seed, self.device)
        return fit_and_measure(w, (a, b), test, val=(va, vb))["PE"]


def _alice_split(game: Game) -> str:
    """Where Alice's wardens train: her own photos, else the judging wardens' photos."""
    return ALICE if game.alice else "train"


def alice_wardens(game: Game, k: int, st: dict, folder: Path, srm: bool):
    """The wardens of round k that the next rounds attack (and, with srm, that judge the
    min-max choice beside them): trained from scratch on Alice's photos and saved."""
    split = _alice_split(game)
    for arch in game.cfg.wardens:
        if not (folder / f"alice-{arch}.safetensors").exists():
            game.fresh_warden(arch, k, st, split).save(folder / f"alice-{arch}.safetensors")
    if srm and not (folder / "alice-srm.safetensors").exists():
        det = _srm(game.cfg, game.cfg.seed + 500 + 1000 * k)
        det.fit(game.covers[split], st[split], quiet=True).save(folder / "alice-srm.safetensors")


def choose(game: Game, run: Path, k: int, st: dict) -> tuple[dict, dict]:
    """Min-max (rules.py): each image's stego among its candidates of rounds 0 .. k (st: this
    round's), the one whose highest cover quantile under Alice's wardens of rounds 0 .. k-1
    (CNNs and SRM+FLD) is lowest. Returns (the chosen stegos by split, {"rounds": how many
    test stegos came from each round, "by_split": the same for every split})."""
    cands = [_load_candidates(run / f"round-{j}" / "candidates.npz", st) for j in range(k)]
    cands.append({s: np.stack(v) for s, v in st.items()})
    files = [run / f"round-{j}" / f"alice-{a}.safetensors" for j in range(k)
             for a in (*game.cfg.wardens, "srm")]
    wardens = [load_detector(f) for f in files]
    calib = game.covers[_alice_split(game)]
    on_covers = [w.scores(calib) for w in wardens]
    out, kept = {}, {}
    for s in st:
        raw = [[w.scores(game.domain.images(cand[s], s)) for w in wardens] for cand in cands]
        q = np.array([[cover_quantile(c, r) for c, r in zip(on_covers, rs)] for rs in raw])
        z = np.array([[cover_z(c, r) for c, r in zip(on_covers, rs)] for rs in raw])
        pick = choose_per_image(q, z)
        out[s] = [cands[j][s][i] for i, j in enumerate(pick)]
        kept[s] = np.bincount(pick, minlength=k + 1).tolist()
    return out, {"rounds": kept["test"], "by_split": kept}


def _load_candidates(path: Path, st: dict) -> dict:
    """A round's candidates (saved by _save_candidates): arrays only, never pickles, each
    split's stegos shaped as this round's (st); else InputError."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as z:
            out = {s: z[s] for s in st if s in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a round's candidates ({str(exc)[:80]})") from None
    for s, v in st.items():
        want = np.stack(v)
        if s not in out or out[s].shape != want.shape or out[s].dtype != want.dtype:
            raise InputError(f"{path}: its {s} candidates do not match this game's images")
    return out


def _save_candidates(folder: Path, st: dict):
    with open(folder / "candidates.npz", "wb") as f:
        np.savez(f, **{s: np.stack(v) for s, v in st.items()})


def play_round(game: Game, player, k: int, folder: Path, run: Path, quiet=False) -> RoundRow:
    """One round into folder: the hider's move (k > 0) against the earlier wardens of the
    run, its stegos (min-max: each image's choice among the rounds' candidates), fresh
    wardens, measurements."""
    cfg, t0 = game.cfg, time.perf_counter()
    minmax = cfg.play == "minmax"  # a game with an adversary: its play
    earlier = pool_files(run, k, cfg.wardens)
    # min-max: the move attacks the latest wardens; otherwise every earlier one
    attacked = earlier[-len(cfg.wardens):] if minmax else earlier
    row = RoundRow(k, len(attacked), **player.move(k, attacked, folder, quiet))
    st, info = {}, {}
    for s in game.files:
        st[s], info[s] = player.stegos(s)
    row = replace(row, **info["test"])
    if minmax:
        _save_candidates(folder, st)
        if k:
            st, row.chosen = choose(game, run, k, st)
    (folder / "test").mkdir()
    st["test"] = game.domain.save(folder / "test", st["test"])  # as read back
    covers, secrets = game.covers["test"], game.secrets["test"]
    fid = game.domain.fidelity(player.hider, secrets, st["test"])
    row.stego_psnr, row.secret_psnr = fid["stego_psnr"], fid["secret_psnr"]
    st = {s: game.domain.images(v, s) for s, v in st.items()}  # as the wardens read them
    # test figures with their calls (intervals, paired differences between rounds); the same
    # wardens on the validation photos, where the final strategy is chosen
    photos = [game.corpus.photo[f] for f in game.files["test"]] * 2
    judged, row.validation = {}, Validation()
    for arch in cfg.wardens:
        runs, val = [], []
        for rep in range(cfg.seeds):  # the judging wardens: trained from scratch, each seed
            w = game.fresh_warden(arch, k, st, rep=rep)
            w.save(folder / f"warden-{arch}{f'-seed{rep}' if rep else ''}.safetensors")
            runs.append(measure(w, covers, st["test"], photos))
            val.append(_pe(w, game.covers["val"], st["val"]))
        judged[f"fresh_{arch}"] = seed_mean(runs)
        row.pe_fresh[arch] = judged[f"fresh_{arch}"]["PE"]
        row.validation.pe_fresh[arch] = float(np.mean(val))
    if game.alice or minmax:
        alice_wardens(game, k, st, folder, srm=minmax)
    row.pe_earlier = [_pe(load_detector(f), covers, st["test"]) for f in earlier]
    runs, val = [], []
    for rep in range(cfg.seeds):
        srm = _srm(cfg, cfg.seed + 100_000 * rep)
        runs.append(fit_and_measure(srm, (game.covers["train"], st["train"]),
                                    (covers, st["test"]), photos=photos))
        val.append(_pe(srm, game.covers["val"], st["val"]))
    judged["srm"] = seed_mean(runs)
    row.pe_srm = judged["srm"]["PE"]
    row.validation.pe_srm = float(np.mean(val))
    row.judged = {k2: {x: v[x] for x in ("calls", "interval", "seeds") if x in v}
                  for k2, v in judged.items()}
    if k == 0:
        row.pe_control = game.control()
    row.seconds = round(time.perf_counter() - t0, 1)
    write_text_atomic(folder / "metrics.json", json.dumps(row.to_dict(), indent=1))
    return row


def complete_round0(game: Game, player, folder: Path):
    """A finished round 0 played without min-max (its plain stegos are the same): add the
    candidates and Alice's wardens that min-max rounds read."""
    if (folder / "candidates.npz").exists() and (folder / "alice-srm.safetensors").exists():
        return
    player.move(0, [], folder)
    st = {s: player.stegos(s)[0] for s in game.files}
    alice_wardens(game, 0, {s: game.domain.images(v, s) for s, v in st.items()}, folder,
                  srm=True)
    _save_candidates(folder, st)


def _csv_row(row: RoundRow, cfg):
    earlier = row.pe_earlier
    player = player_for(cfg.hider.name)
    out = {"round": row.round, **player.own_columns(row),
           "stego_psnr": f"{row.stego_psnr:.2f}", "secret_psnr": f"{row.secret_psnr:.2f}",
           "pe_fresh": f"{pe_fresh(row, cfg.wardens):.4f}",
           "pe_earlier_min": _f(min(earlier) if earlier else None),
           "pe_srm": f"{row.pe_srm:.4f}"}
    if "pe_worst_fresh" in player.fields:
        out["pe_worst_fresh"] = f"{pe_worst_fresh(row, cfg.wardens):.4f}"
    return {k: out[k] for k in player.fields}


def _nan(v) -> float:
    return float("nan") if v is None else v


def write_outputs(out: Path, rows: list[RoundRow], cfg: HardenConfig):
    player = player_for(cfg.hider.name)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=player.fields)
    w.writeheader()
    w.writerows(_csv_row(r, cfg) for r in rows)
    write_text_atomic(out / "harden.csv", buf.getvalue())
    head = "| round | " + " | ".join(player.heads) + " |"
    what = player.about(cfg, rows)
    md = [f"# advstego harden --method {cfg.hider.name} ({cfg.preset})", "",
          f"{what}; wardens {', '.join(cfg.wardens)} trained fresh each round "
          f"({cfg.warden_epochs} epochs, validation-selected), and {cfg.srm}; PE on the test "
          f"photos, stegos saved as {player.saved}. Control (covers vs covers, round 0): PE "
          f"{_nan(rows[0].pe_control):.4f}.",
          "", head, "|" + "---|" * (len(player.heads) + 1)]
    md += ["| " + " | ".join(str(v) for v in _csv_row(r, cfg).values()) + " |" for r in rows]
    write_text_atomic(out / "report.md", "\n".join(md) + "\n")


def pool_files(run: Path, k: int, wardens) -> list[Path]:
    """The warden files round k's costs were made against (rounds 0 .. k-1): Alice's own
    wardens where the corpus has her photos, else the judging ones."""
    out = []
    for j in range(k):
        for a in wardens:
            f = run / f"round-{j}" / f"alice-{a}.safetensors"
            out.append(f if f.exists() else run / f"round-{j}" / f"warden-{a}.safetensors")
    return out


def copy_pool(run: Path, k: int, wardens, dst: Path, latest: bool = False):
    """Copy the wardens round k's costs were made against into dst (latest: min-max, those
    of round k-1 only)."""
    files = pool_files(run, k, wardens)
    for f in files[-len(wardens):] if latest and files else files:
        shutil.copyfile(f, dst / f"{f.parent.name}-{f.stem.split('-', 1)[1]}.safetensors")


def write_strategy(out: Path, rows: list[RoundRow], cfg: HardenConfig):
    """out/strategy: the wardens the final round's costs were made against, and its figures
    (what `advstego hide --method stc --wardens RUN` uses)."""
    k = best_round(rows, cfg.wardens)
    with atomic_folder(out / "strategy") as tmp:
        copy_pool(out, k, cfg.wardens, tmp, latest=cfg.play == "minmax")
        # min-max: hide attacks the final round's wardens (the per-image choice among the
        # rounds' candidates is the game's, not replayed by hide)
        adv, hider = cfg.adversary, cfg.hider.settings
        info = {"round": k, **({"scheme": adv.name, "play": cfg.play, **adv.settings}
                               if adv else {}),
                **player_for(cfg.hider.name).recorded(hider), "row": _csv_row(rows[k], cfg)}
        write_text_atomic(tmp / "strategy.json", json.dumps(info, indent=1))


def check_round0(src, cfg: HardenConfig) -> None:
    """src is a harden run with a finished round 0 this game can share (share_round0)."""
    src = Path(src)
    try:
        had = read_json(src / "config.json")
    except InputError:
        raise InputError(f"--round0 {src}: not a harden run") from None
    if not (src / "round-0" / "metrics.json").exists():
        raise InputError(f"--round0 {src}: its round 0 is not finished")
    if not isinstance(had, dict) or not same_game(had, cfg, round0=True):
        raise InputError(f"--round0 {src}: a game of other settings than adversarial ones")


def share_round0(src, out: Path, cfg: HardenConfig):
    """Start the game in out from the finished round 0 of the run src: round 0 is the plain
    hider, the same for games that differ only in their adversary (config.round0_settings)."""
    src = Path(src)
    if (out / "round-0" / "metrics.json").exists():
        return
    check_round0(src, cfg)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_folder(out / "round-0") as tmp:
        for f in (src / "round-0").rglob("*"):
            if f.is_file():
                (tmp / f.relative_to(src / "round-0")).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, tmp / f.relative_to(src / "round-0"))


def harden(data, out, cfg: HardenConfig, device="cpu", quiet=False,
           round0=None) -> list[RoundRow]:
    """Play (or resume) the game into out; returns its rows, one a round. round0: a run
    whose round 0 this game shares (share_round0)."""
    out = Path(out)
    game = Game(data, cfg, device)
    same = game_settings(cfg)
    if (out / "config.json").exists():  # rounds of another game are not resumed
        had = read_json(out / "config.json", "harden run's config.json")
        if not isinstance(had, dict) or not same_game(had, cfg):
            raise InputError(f"{out}: holds rounds played with other settings")
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "config.json", json.dumps({**same, "rounds": cfg.rounds},
                                                      indent=1))
    if round0:
        share_round0(round0, out, cfg)
    player = player_for(cfg.hider.name)(game)
    adversarial = hider_has(cfg.hider.name, "takes_adversarial_costs")
    rows = []
    for k in range(cfg.rounds + 1):
        folder = out / f"round-{k}"
        if (folder / "metrics.json").exists():  # finished earlier: resume after it
            row = RoundRow.from_dict(read_json(folder / "metrics.json", "round's metrics.json"),
                                     str(folder / "metrics.json"))
            player.resume(folder)
            if k == 0 and cfg.play == "minmax":
                complete_round0(game, player, folder)
        else:
            with atomic_folder(folder) as tmp:
                row = play_round(game, player, k, tmp, out, quiet)
        rows.append(row)
        write_outputs(out, rows, cfg)
        if adversarial:
            write_strategy(out, rows, cfg)
        if not quiet:
            print(" | ".join(f"{k}={v}" for k, v in _csv_row(row, cfg).items()), flush=True)
    return rows
