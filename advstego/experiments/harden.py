"""Min-max hardening: the hider plays against wardens who retrain (`advstego harden`).

Round 0 measures the starting hider and trains a fresh CNN warden D0 on its stegos.
Round k fine-tunes the encoder and decoder on

    la * MSE(cover, stego) + lc * MSE(secret, revealed) + l_adv * A(D0 .. Dk-1),

where the stego passes straight-through rounding (the 8-bit file) and A is a smooth max
over the wardens so far of the cross entropy of "this is a cover",
A = tau * log(mean_j exp(CE_j / tau)): the hider cannot just move into the blind spot of
the latest warden. Then new stegos and a fresh warden Dk, trained from scratch and selected
on the validation photos. Every round is measured on the test photos: PE of the fresh
warden (Kerckhoffs: it knows this round's hider), of every earlier warden, of SRM+FLD (not
in the loss: does hardening transfer?), and the fidelity of the saved 8-bit stegos.

A run folder holds round-K/ (model.safetensors, the wardens, metrics.json, the test
stegos as PNG), harden.csv (a row a round) and report.md. A killed run resumes at the
first unfinished round; a run with more --rounds extends one with fewer.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..data.corpus import Corpus
from ..errors import InputError
from ..files import atomic_folder, write_text_atomic
from ..hiding.base import DEFAULT_KEY
from ..hiding.evaluate import fidelity
from ..hiding.registry import HIDERS
from ..hiding.model import HidingModel
from ..hiding.nets import set_key
from ..hiding.train import TrainConfig, load_split, sample_batch, step_seed
from ..images import read_image, write_image
from ..metrics import best_round, chosen_on, pe_fresh, pe_worst_fresh
from ..progress import progress
from ..steganalysis.detector import (build_detector, control_halves, detection_summary,
                                     fit_and_measure, load_detector, measure, seed_mean)
from ..data.prepare import ALICE
from ..tensors import quantize, straight_through
from .harden_config import HardenConfig, game_settings, make_config  # noqa: F401


def smooth_max(losses: torch.Tensor, tau: float) -> torch.Tensor:
    """tau * log(mean exp(losses / tau)): between the mean (tau large) and the max (tau -> 0)."""
    return tau * (torch.logsumexp(losses / tau, 0) - math.log(len(losses)))


def finetune(model: HidingModel, wardens: list, images: torch.Tensor, cfg: HardenConfig,
             round_k: int, quiet=False) -> dict:
    """Fine-tune the model's encoder and decoder against the wardens (frozen); returns the
    mean losses of the last quarter of the steps."""
    enc, dec = model.encoder, model.decoder
    enc.train(), dec.train()
    params = [p for m in (enc, dec) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    for w in wardens:
        w.net.to(model.device).eval().requires_grad_(False)
        w.device = model.device
    tc = TrainConfig(batch=cfg.batch, crop=cfg.crop, seed=cfg.seed * 1000 + round_k)
    tail, seen = [], max(1, cfg.steps // 4)
    for step in progress(range(cfg.steps), desc=f"round {round_k}", disable=True if quiet else None):
        cover, secret, _ = sample_batch(images, tc, step, 0)
        cover, secret = cover.to(model.device), secret.to(model.device)
        set_key(step_seed(tc, step, 0) + 1, enc, dec)  # a keyed hider: a new key each step
        stego = enc(cover, secret)
        stego = straight_through(stego, stego.clamp(0, 1))
        stego = straight_through(stego, quantize(stego))
        revealed = dec(stego)
        to_cover = torch.zeros(len(cover), dtype=torch.long, device=cover.device)
        ce = torch.stack([F.cross_entropy(w.logits(stego), to_cover) for w in wardens])
        adv = smooth_max(ce, cfg.tau)
        d_cover, d_secret = F.mse_loss(stego, cover), F.mse_loss(revealed, secret)
        loss = cfg.la * d_cover + cfg.lc * d_secret + cfg.l_adv * adv
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step >= cfg.steps - seen:
            tail.append([loss.item(), adv.item(), d_cover.item(), d_secret.item(),
                         *ce.detach().tolist()])
    enc.eval(), dec.eval()
    model.with_key(DEFAULT_KEY)
    m = np.mean(tail, 0)
    return {"loss": m[0], "adv": m[1], "d_cover": m[2], "d_secret": m[3],
            "ce_per_warden": m[4:].tolist()}


def _pe(det, covers, stegos) -> float:
    return detection_summary(det, covers, stegos)["PE"]


def _cnn(arch, cfg: HardenConfig, seed, device):
    return build_detector(arch, epochs=cfg.warden_epochs, seed=seed, device=device)


class Game:
    """The corpus, read once, and what every round needs."""

    def __init__(self, data, cfg: HardenConfig, device):
        self.cfg, self.device = cfg, device
        self.corpus = c = Corpus(data)
        if c.mode != "gray":
            raise InputError(f"{data}: harden plays on gray corpora for now")
        self.files = {s: c.files(s) for s in ("train", "val", "test")}
        if not all(self.files.values()):
            raise InputError(f"{data}: harden needs train, val and test photos")
        # a corpus split four ways: the wardens the hider attacks train on their own photos
        # (alice), apart from those of the wardens that judge it (train)
        self.alice = bool(c.files(ALICE))
        if self.alice:
            self.files[ALICE] = c.files(ALICE)
        self.covers = {s: c.read_all(c.folder, f) for s, f in self.files.items()}
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
            from ..embedding import simulate

            self.easy[split] = [simulate(c, "suniward", cfg.warden_easy, seed=cfg.seed + i)
                                for i, c in enumerate(self.covers[split])]
        return w.fit_curriculum(self.covers[split], self.easy[split], stegos[split],
                                cfg.warden_warmup, quiet=True, val=val)

    def control(self) -> float:
        """PE of a fresh CNN warden on covers vs covers (nothing hidden): ~0.5 expected."""
        (a, b), (va, vb), test = (control_halves(self.covers[s], self.cfg.seed + i)
                                  for i, s in enumerate(("train", "val", "test")))
        w = _cnn(self.cfg.wardens[0], self.cfg, self.cfg.seed, self.device)
        return fit_and_measure(w, (a, b), test, val=(va, vb))["PE"]


class GanPlayer:
    """The deep hider: round k fine-tunes it against the earlier wardens."""

    fields = ["round", "wardens_in_loss", "adv_loss", "stego_psnr", "secret_psnr", "pe_fresh",
              "pe_earlier_min", "pe_srm"]
    heads = ["wardens in the loss", "smooth-max CE", "stego PSNR", "secret PSNR",
             "PE fresh warden", "PE best earlier warden", "PE SRM+FLD (not in the loss)"]

    @staticmethod
    def own_columns(row) -> dict:
        return {"wardens_in_loss": row["wardens_in_loss"],
                "adv_loss": _f(row.get("finetune", {}).get("adv"))}

    @staticmethod
    def about(cfg, rows) -> str:
        return f"Starting hider {cfg.model}; {cfg.rounds} rounds of {cfg.steps} steps"

    def __init__(self, game: Game):
        self.game, cfg = game, game.cfg
        self.model = HidingModel.load(cfg.model, device=game.device, channels=1)
        self.images, _, _ = load_split(game.data, "train")
        if cfg.crop > min(self.images.shape[-2:]):
            raise InputError(f"crop {cfg.crop} is larger than the corpus images")

    @property
    def hider(self):
        return self.model

    def resume(self, folder: Path):
        self.model = HidingModel.load(folder / "model.safetensors", device=self.game.device)

    def play(self, k: int, files: list, pool: list, folder: Path, quiet=False) -> dict:
        row = {}
        if k > 0:
            row["finetune"] = finetune(self.model, pool, self.images, self.game.cfg, k, quiet)
        self.model.save(folder / "model.safetensors")
        return row

    def stegos(self, split: str) -> tuple[list, dict]:
        g = self.game
        return list(self.model.hide(np.stack(g.covers[split]), np.stack(g.secrets[split]))), {}


class StcPlayer:
    """The STC hider: round k embeds with adversarial costs against the earlier wardens."""

    fields = ["round", "wardens_in_costs", "pool_fooled", "beta", "embed_seconds", "stego_psnr",
              "secret_psnr", "pe_fresh", "pe_earlier_min", "pe_srm", "pe_worst_fresh"]
    heads = ["wardens in the costs", "test stegos the pool calls cover", "mean beta",
             "embed s/img", "stego PSNR", "secret PSNR", "PE fresh CNN", "PE best earlier warden",
             "PE fresh SRM+FLD", "PE worst fresh warden"]

    @staticmethod
    def own_columns(row) -> dict:
        return {"wardens_in_costs": row["wardens_in_loss"],
                "pool_fooled": _f(row.get("fooled"), ".3f"), "beta": _f(row.get("beta"), ".3f"),
                "embed_seconds": _f(row["embed_seconds"], ".3f")}

    @staticmethod
    def about(cfg, rows) -> str:
        return (f"STC + {cfg.cost} costs + JPEG secret at {cfg.payload:g} bpp; round k embeds "
                f"with adversarial costs (ADV-EMB, alpha {cfg.alpha:g}, {cfg.search} "
                "embeddings a search) against the wardens of rounds 0 .. k-1; final strategy: "
                f"round {best_round(rows, cfg.wardens)} (highest PE of its worst fresh warden "
                f"on the {'validation' if chosen_on(rows) == 'val' else 'test'} photos)")

    def __init__(self, game: Game):
        from ..hiding.classical import StcHider

        self.game, cfg = game, game.cfg
        self.settings = {"cost": cfg.cost, "payload": cfg.payload, "codec": cfg.codec,
                         **({"key": cfg.key} if cfg.key else {})}
        self.hider = StcHider(**self.settings)
        self.pool: list = []  # warden files the round's costs are made against

    def resume(self, folder: Path):
        pass

    def play(self, k: int, files: list, pool: list, folder: Path, quiet=False) -> dict:
        self.pool = files
        return {}

    def stegos(self, split: str) -> tuple[list, dict]:
        from ..attacks.adversarial_costs import hide_all

        g = self.game
        stegos, infos = hide_all(self.settings, [str(f) for f in self.pool], g.cfg.alpha,
                                 g.cfg.search, g.covers[split], g.secrets[split], quiet=True,
                                 scheme=g.cfg.scheme)
        adv = [i["adversarial"] for i in infos if "adversarial" in i]
        out = {"embed_seconds": float(np.mean([i["seconds"] for i in infos]))}
        if adv:
            # the adjustable share: β of the joint scheme, σ of the published one (0: plain)
            out.update(fooled=float(np.mean([a["fooled"] for a in adv])),
                       beta=float(np.mean([a.get("beta", a.get("sigma", 0.0)) for a in adv])))
        return stegos, out


def player_for(method: str):
    """A trainable hider is fine-tuned; a hider that takes adversarial costs gets them."""
    cls, _ = HIDERS.get(method)
    if cls.trainable:
        return GanPlayer
    if cls.takes_adversarial_costs:
        return StcPlayer
    raise InputError(f"harden --method {method}: plays a trainable hider or one that takes "
                     "adversarial costs")


def play_round(game: Game, player, k: int, folder: Path, earlier: list, quiet=False) -> dict:
    """One round into folder: the hider's move (k > 0), stegos, fresh wardens, measurements.
    earlier: the warden files of rounds 0 .. k-1."""
    cfg, t0 = game.cfg, time.perf_counter()
    row = {"round": k, "wardens_in_loss": len(earlier)}
    pool = [load_detector(f) for f in earlier]
    row.update(player.play(k, earlier, pool, folder, quiet))
    st = {s: player.stegos(s)[0] for s in ("train", "val") + ((ALICE,) if game.alice else ())}
    test, info = player.stegos("test")
    row.update(info)
    (folder / "test").mkdir()
    for f, s in zip(game.files["test"], test):
        write_image(folder / "test" / Path(f).name, s)
    st["test"] = [read_image(folder / "test" / Path(f).name, "gray") for f in game.files["test"]]
    covers, secrets = game.covers["test"], game.secrets["test"]
    fid = fidelity(player.hider, covers, secrets, st["test"])
    row["stego_psnr"], row["secret_psnr"] = fid["stego_psnr"], fid["secret_psnr"]
    # test figures with their calls (intervals, paired differences between rounds); the same
    # wardens on the validation photos, where the final strategy is chosen
    photos = [game.corpus.photo[f] for f in game.files["test"]] * 2
    judged, row["val"] = {}, {}
    for arch in cfg.wardens:
        runs, val = [], []
        for rep in range(cfg.seeds):  # the judging wardens: trained from scratch, each seed
            w = game.fresh_warden(arch, k, st, rep=rep)
            w.save(folder / f"warden-{arch}{f'-seed{rep}' if rep else ''}.safetensors")
            runs.append(measure(w, covers, st["test"], photos))
            val.append(_pe(w, game.covers["val"], st["val"]))
        judged[f"fresh_{arch}"] = seed_mean(runs)
        row[f"pe_fresh_{arch}"] = judged[f"fresh_{arch}"]["PE"]
        row["val"][f"pe_fresh_{arch}"] = float(np.mean(val))
        if game.alice:  # the warden the next rounds attack: trained on Alice's photos
            game.fresh_warden(arch, k, st, ALICE).save(folder / f"alice-{arch}.safetensors")
    row["pe_earlier"] = [_pe(w, covers, st["test"]) for w in pool]
    runs, val = [], []
    for rep in range(cfg.seeds):
        srm = build_detector(cfg.srm, seed=cfg.seed + 100_000 * rep, L=cfg.srm_L,
                             d_sub=cfg.srm_d_sub)
        runs.append(fit_and_measure(srm, (game.covers["train"], st["train"]),
                                    (covers, st["test"]), photos=photos))
        val.append(_pe(srm, game.covers["val"], st["val"]))
    judged["srm"] = seed_mean(runs)
    row["pe_srm"] = judged["srm"]["PE"]
    row["val"]["pe_srm"] = float(np.mean(val))
    row["judged"] = {k2: {x: v[x] for x in ("calls", "interval", "seeds") if x in v}
                     for k2, v in judged.items()}
    if k == 0:
        row["pe_control"] = game.control()
    row["seconds"] = round(time.perf_counter() - t0, 1)
    write_text_atomic(folder / "metrics.json", json.dumps(row, indent=1))
    return row


def _f(v, fmt=".4f"):
    return "" if v is None else format(v, fmt)


def _csv_row(row, cfg):
    earlier = row["pe_earlier"]
    player = player_for(cfg.method)
    out = {"round": row["round"], **player.own_columns(row),
           "stego_psnr": f"{row['stego_psnr']:.2f}", "secret_psnr": f"{row['secret_psnr']:.2f}",
           "pe_fresh": f"{pe_fresh(row, cfg.wardens):.4f}",
           "pe_earlier_min": _f(min(earlier) if earlier else None),
           "pe_srm": f"{row['pe_srm']:.4f}"}
    if "pe_worst_fresh" in player.fields:
        out["pe_worst_fresh"] = f"{pe_worst_fresh(row, cfg.wardens):.4f}"
    return {k: out[k] for k in player.fields}


def write_outputs(out: Path, rows: list, cfg: HardenConfig):
    player = player_for(cfg.method)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=player.fields)
    w.writeheader()
    w.writerows(_csv_row(r, cfg) for r in rows)
    write_text_atomic(out / "harden.csv", buf.getvalue())
    head = "| round | " + " | ".join(player.heads) + " |"
    what = player.about(cfg, rows)
    md = [f"# advstego harden --method {cfg.method} ({cfg.preset})", "",
          f"{what}; wardens {', '.join(cfg.wardens)} trained fresh each round "
          f"({cfg.warden_epochs} epochs, validation-selected), and {cfg.srm}; PE on the test "
          "photos, stegos saved as 8-bit PNG. Control (covers vs covers, round 0): PE "
          f"{rows[0].get('pe_control', float('nan')):.4f}.",
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


def copy_pool(run: Path, k: int, wardens, dst: Path):
    """Copy the wardens round k's costs were made against into dst."""
    for f in pool_files(run, k, wardens):
        shutil.copyfile(f, dst / f"{f.parent.name}-{f.stem.split('-', 1)[1]}.safetensors")


def write_strategy(out: Path, rows: list, cfg: HardenConfig):
    """out/strategy: the wardens the final round's costs were made against, and its figures
    (what `advstego hide --method stc --wardens RUN` uses)."""
    k = best_round(rows, cfg.wardens)
    with atomic_folder(out / "strategy") as tmp:
        copy_pool(out, k, cfg.wardens, tmp)
        info = {"round": k, "alpha": cfg.alpha, "search": cfg.search, "cost": cfg.cost,
                "payload": cfg.payload, "row": _csv_row(rows[k], cfg)}
        write_text_atomic(tmp / "strategy.json", json.dumps(info, indent=1))


def harden(data, out, cfg: HardenConfig, device="cpu", quiet=False) -> list[dict]:
    """Play (or resume) the game into out; returns one metrics dict a round."""
    out = Path(out)
    game = Game(data, cfg, device)
    same = game_settings(cfg)
    if (out / "config.json").exists():  # rounds of another game are not resumed
        had = json.loads((out / "config.json").read_text())
        had.pop("rounds", None)
        if had != json.loads(json.dumps(same)):
            raise InputError(f"{out}: holds rounds played with other settings")
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "config.json", json.dumps(asdict(cfg), indent=1))
    player = player_for(cfg.method)(game)
    rows, earlier = [], []
    for k in range(cfg.rounds + 1):
        folder = out / f"round-{k}"
        if (folder / "metrics.json").exists():  # finished earlier: resume after it
            row = json.loads((folder / "metrics.json").read_text())
            player.resume(folder)
        else:
            with atomic_folder(folder) as tmp:
                row = play_round(game, player, k, tmp, earlier, quiet)
        rows.append(row)
        earlier = pool_files(out, k + 1, cfg.wardens)
        write_outputs(out, rows, cfg)
        if isinstance(player, StcPlayer):
            write_strategy(out, rows, cfg)
        if not quiet:
            print(" | ".join(f"{k}={v}" for k, v in _csv_row(row, cfg).items()), flush=True)
    return rows
