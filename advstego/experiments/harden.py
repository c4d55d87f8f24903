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
from ..hiding.model import HidingModel
from ..hiding.nets import set_key
from ..hiding.train import TrainConfig, load_split, sample_batch, step_seed
from ..images import read_image, write_image
from ..metrics import pe_fresh
from ..progress import progress
from ..steganalysis.detector import (build_detector, control_halves, detection_summary,
                                     fit_and_measure, load_detector)
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
        self.covers = {s: c.read_all(c.folder, f) for s, f in self.files.items()}
        self.secrets = {s: [c.read(c.partner[x]) for x in f] for s, f in self.files.items()}
        self.images, _, _ = load_split(data, "train")
        if cfg.crop > min(self.images.shape[-2:]):
            raise InputError(f"crop {cfg.crop} is larger than the corpus images")

    def stegos(self, model, split):
        return list(model.hide(np.stack(self.covers[split]), np.stack(self.secrets[split])))

    def fresh_warden(self, arch, k, stegos):
        w = _cnn(arch, self.cfg, self.cfg.seed + 1000 * k, self.device)
        return w.fit(self.covers["train"], stegos["train"], quiet=True,
                     val=(self.covers["val"], stegos["val"]))

    def control(self) -> float:
        """PE of a fresh CNN warden on covers vs covers (nothing hidden): ~0.5 expected."""
        (a, b), (va, vb), test = (control_halves(self.covers[s], self.cfg.seed + i)
                                  for i, s in enumerate(("train", "val", "test")))
        w = _cnn(self.cfg.wardens[0], self.cfg, self.cfg.seed, self.device)
        return fit_and_measure(w, (a, b), test, val=(va, vb))["PE"]


def play_round(game: Game, model: HidingModel, k: int, folder: Path, earlier: list,
               quiet=False) -> dict:
    """One round into folder: fine-tune (k > 0), stegos, fresh wardens, measurements."""
    cfg, t0 = game.cfg, time.perf_counter()
    row = {"round": k, "wardens_in_loss": len(earlier)}
    if k > 0:
        row["finetune"] = finetune(model, earlier, game.images, cfg, k, quiet)
    model.save(folder / "model.safetensors")
    st = {s: game.stegos(model, s) for s in ("train", "val")}
    (folder / "test").mkdir()
    for f, s in zip(game.files["test"], game.stegos(model, "test")):
        write_image(folder / "test" / Path(f).name, s)
    st["test"] = [read_image(folder / "test" / Path(f).name, "gray") for f in game.files["test"]]
    covers, secrets = game.covers["test"], game.secrets["test"]
    fid = fidelity(model, covers, secrets, st["test"])
    row["stego_psnr"], row["secret_psnr"] = fid["stego_psnr"], fid["secret_psnr"]
    for arch in cfg.wardens:
        w = game.fresh_warden(arch, k, st)
        w.save(folder / f"warden-{arch}.safetensors")
        row[f"pe_fresh_{arch}"] = _pe(w, covers, st["test"])
    row["pe_earlier"] = [_pe(w, covers, st["test"]) for w in earlier]
    srm = build_detector(cfg.srm, seed=cfg.seed, L=cfg.srm_L, d_sub=cfg.srm_d_sub)
    row["pe_srm"] = fit_and_measure(srm, (game.covers["train"], st["train"]),
                                    (covers, st["test"]))["PE"]
    if k == 0:
        row["pe_control"] = game.control()
    row["seconds"] = round(time.perf_counter() - t0, 1)
    write_text_atomic(folder / "metrics.json", json.dumps(row, indent=1))
    return row


CSV_FIELDS = ["round", "wardens_in_loss", "adv_loss", "stego_psnr", "secret_psnr",
              "pe_fresh", "pe_earlier_min", "pe_srm"]


def _csv_row(row, cfg):
    ft = row.get("finetune", {})
    earlier = row["pe_earlier"]
    return {"round": row["round"], "wardens_in_loss": row["wardens_in_loss"],
            "adv_loss": f"{ft['adv']:.4f}" if ft else "",
            "stego_psnr": f"{row['stego_psnr']:.2f}", "secret_psnr": f"{row['secret_psnr']:.2f}",
            "pe_fresh": f"{pe_fresh(row, cfg.wardens):.4f}",
            "pe_earlier_min": f"{min(earlier):.4f}" if earlier else "",
            "pe_srm": f"{row['pe_srm']:.4f}"}


def write_outputs(out: Path, rows: list, cfg: HardenConfig):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
    w.writeheader()
    w.writerows(_csv_row(r, cfg) for r in rows)
    write_text_atomic(out / "harden.csv", buf.getvalue())
    head = ("| round | wardens in the loss | smooth-max CE | stego PSNR | secret PSNR | "
            "PE fresh warden | PE best earlier warden | PE SRM+FLD (not in the loss) |")
    md = [f"# advstego harden ({cfg.preset})", "",
          f"Starting hider {cfg.model}; {cfg.rounds} rounds of {cfg.steps} steps; wardens "
          f"{', '.join(cfg.wardens)} trained fresh each round ({cfg.warden_epochs} epochs, "
          "validation-selected); PE on the test photos, stegos saved as 8-bit PNG. "
          f"Control (covers vs covers, round 0): PE {rows[0].get('pe_control', float('nan')):.4f}.",
          "", head, "|" + "---|" * 8]
    md += ["| " + " | ".join(str(v) for v in _csv_row(r, cfg).values()) + " |" for r in rows]
    write_text_atomic(out / "report.md", "\n".join(md) + "\n")


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
    model = HidingModel.load(cfg.model, device=device, channels=1)
    rows, earlier = [], []
    for k in range(cfg.rounds + 1):
        folder = out / f"round-{k}"
        if (folder / "metrics.json").exists():  # finished earlier: resume after it
            row = json.loads((folder / "metrics.json").read_text())
            model = HidingModel.load(folder / "model.safetensors", device=device)
        else:
            with atomic_folder(folder) as tmp:
                row = play_round(game, model, k, tmp, earlier, quiet)
        rows.append(row)
        earlier += [load_detector(folder / f"warden-{a}.safetensors") for a in cfg.wardens]
        write_outputs(out, rows, cfg)
        if not quiet:
            print(" | ".join(f"{k}={v}" for k, v in _csv_row(row, cfg).items()), flush=True)
    return rows
