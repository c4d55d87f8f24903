"""The players of the game, behind one signature:

    move(k, attacked, folder, quiet) -> dict   round k's move against the warden files
                                                `attacked` (k = 0: the starting hider);
                                                what it measured, by RoundRow field
    stegos(split) -> (stegos, info)            this round's candidate stegos of a split,
                                                info by RoundRow field

GanPlayer fine-tunes the deep hider on

    la * MSE(cover, stego) + lc * MSE(secret, revealed) + l_adv * A(D0 .. Dk-1),

where the stego passes straight-through rounding (the 8-bit file) and A is a smooth max
over the wardens of the cross entropy of "this is a cover", A = tau * log(mean_j exp(CE_j /
tau)): the hider cannot just move into the blind spot of the latest warden.

StcPlayer embeds with costs made against the wardens (attacks/adversary.py: ADV-EMB
as published, the joint variant, or Backpack), many stegos at once (game/embed.py);
JpegPlayer is the same move in a JPEG's coefficients (a JPEG corpus: domain.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError
from ..hiding.base import DEFAULT_KEY
from ..hiding.model import HidingModel
from ..hiding.nets import set_key
from ..hiding.registry import HIDERS, load_hider
from .gan import TrainConfig, load_split, sample_batch, step_seed
from ..progress import progress
from ..steganalysis.detector import load_detector
from ..tensors import quantize, straight_through
from .config import HardenConfig
from .rows import RoundRow
from .rules import best_round, chosen_on


def smooth_max(losses: torch.Tensor, tau: float) -> torch.Tensor:
    """tau * log(mean exp(losses / tau)): between the mean (tau large) and the max (tau -> 0)."""
    return tau * (torch.logsumexp(losses / tau, 0) - math.log(len(losses)))


def finetune(model: HidingModel, wardens: list, images: torch.Tensor, cfg: HardenConfig,
             round_k: int, quiet=False) -> dict:
    """Fine-tune the model's encoder and decoder against the wardens (frozen), as the game's
    finetune settings say; returns the mean losses of the last quarter of the steps."""
    enc, dec, ft = model.encoder, model.decoder, cfg.finetune
    enc.train(), dec.train()
    params = [p for m in (enc, dec) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=ft.lr)
    for w in wardens:
        w.net.to(model.device).eval().requires_grad_(False)
        w.device = model.device
    tc = TrainConfig(batch=ft.batch, crop=ft.crop, seed=cfg.seed * 1000 + round_k)
    tail, seen = [], max(1, ft.steps // 4)
    for step in progress(range(ft.steps), desc=f"round {round_k}", disable=True if quiet else None):
        cover, secret, _ = sample_batch(images, tc, step, 0)
        cover, secret = cover.to(model.device), secret.to(model.device)
        set_key(step_seed(tc, step, 0) + 1, enc, dec)  # a keyed hider: a new key each step
        stego = enc(cover, secret)
        stego = straight_through(stego, stego.clamp(0, 1))
        stego = straight_through(stego, quantize(stego))
        revealed = dec(stego)
        to_cover = torch.zeros(len(cover), dtype=torch.long, device=cover.device)
        ce = torch.stack([F.cross_entropy(w.logits(stego), to_cover) for w in wardens])
        adv = smooth_max(ce, ft.tau)
        d_cover, d_secret = F.mse_loss(stego, cover), F.mse_loss(revealed, secret)
        loss = ft.la * d_cover + ft.lc * d_secret + ft.l_adv * adv
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step >= ft.steps - seen:
            tail.append([loss.item(), adv.item(), d_cover.item(), d_secret.item(),
                         *ce.detach().tolist()])
    enc.eval(), dec.eval()
    model.with_key(DEFAULT_KEY)
    m = np.mean(tail, 0)
    return {"loss": m[0], "adv": m[1], "d_cover": m[2], "d_secret": m[3],
            "ce_per_warden": m[4:].tolist()}


class GanPlayer:
    """The deep hider: round k fine-tunes it against the earlier wardens."""

    saved = "8-bit PNG"  # how the test stegos are saved (the report says)
    fields = ["round", "wardens_in_loss", "adv_loss", "stego_psnr", "secret_psnr", "pe_fresh",
              "pe_earlier_min", "pe_srm"]
    heads = ["wardens in the loss", "smooth-max CE", "stego PSNR", "secret PSNR",
             "PE fresh warden", "PE best earlier warden", "PE SRM+FLD (not in the loss)"]

    @staticmethod
    def own_columns(row: RoundRow) -> dict:
        return {"wardens_in_loss": row.wardens_in_loss,
                "adv_loss": _f((row.finetune or {}).get("adv"))}

    @staticmethod
    def about(cfg, rows) -> str:
        return (f"Starting hider {cfg.hider.settings['model']}; {cfg.rounds} rounds of "
                f"{cfg.finetune.steps} steps")

    def __init__(self, game):
        self.game, cfg = game, game.cfg
        self.model = load_hider(cfg.hider.name, 1, **cfg.hider.settings, device=game.device)
        self.images, _, _ = load_split(game.data, "train")
        if cfg.finetune.crop > min(self.images.shape[-2:]):
            raise InputError(f"crop {cfg.finetune.crop} is larger than the corpus images")

    @property
    def hider(self):
        return self.model

    def resume(self, folder: Path):
        hider = self.game.cfg.hider
        self.model = load_hider(hider.name, **{**hider.settings,
                                               "model": str(folder / "model.safetensors")},
                                device=self.game.device)

    def move(self, k: int, attacked: list, folder: Path, quiet=False) -> dict:
        row = {}
        if k > 0:
            pool = [load_detector(f) for f in attacked]
            row["finetune"] = finetune(self.model, pool, self.images, self.game.cfg, k, quiet)
        self.model.save(folder / "model.safetensors")
        return row

    def stegos(self, split: str) -> tuple[list, dict]:
        g = self.game
        return list(self.model.hide(np.stack(g.covers[split]), np.stack(g.secrets[split]))), {}


class StcPlayer:
    """The STC hider: round k embeds with adversarial costs against the earlier wardens."""

    saved = "8-bit PNG"
    fields = ["round", "wardens_in_costs", "pool_fooled", "beta", "kept_new", "embed_seconds",
              "stego_psnr", "secret_psnr", "pe_fresh", "pe_earlier_min", "pe_srm",
              "pe_worst_fresh"]
    heads = ["wardens in the costs", "test stegos the pool calls cover",
             "mean adjustable share", "test stegos kept from this round", "embed s/img",
             "stego PSNR", "secret PSNR", "PE fresh CNN", "PE best earlier warden",
             "PE fresh SRM+FLD", "PE worst fresh warden"]

    @staticmethod
    def own_columns(row: RoundRow) -> dict:
        kept = (row.chosen or {}).get("rounds")
        return {"wardens_in_costs": row.wardens_in_loss,
                "pool_fooled": _f(row.fooled, ".3f"), "beta": _f(row.share, ".3f"),
                "kept_new": _f(kept[-1] / sum(kept) if kept else None, ".3f"),
                "embed_seconds": _f(row.embed_seconds, ".3f")}

    @staticmethod
    def recorded(settings: dict) -> dict:
        """What a strategy.json records of the hider's settings."""
        return {"cost": settings["cost"], "payload": settings["payload"]}

    @staticmethod
    def hider_about(h: dict) -> str:
        return f"STC + {h['cost']} costs + {h['codec']} secret at {h['payload']:g} bpp"

    @classmethod
    def about(cls, cfg, rows) -> str:
        from ..attacks.strategy import about_scheme

        adv, h = cfg.adversary.settings if cfg.adversary else {}, cfg.hider.settings
        scheme = about_scheme(cfg.adversary.name, **adv) if cfg.adversary else "none"
        if "alpha" in adv:
            scheme += f", alpha {adv['alpha']:g}"
        play = ("against the latest warden; each image keeps the candidate of rounds 0 .. k "
                "the earlier wardens score lowest (min-max)" if cfg.play == "minmax" else
                "against the wardens of rounds 0 .. k-1")
        return (f"{cls.hider_about(h)}; round k embeds with adversarial costs ({scheme}) "
                f"{play}; final strategy: round {best_round(rows, cfg.wardens)} (highest PE of "
                f"its worst fresh warden on the {'validation' if chosen_on(rows) == 'val' else 'test'} "
                "photos)")

    def __init__(self, game):
        self.game, cfg = game, game.cfg
        self.settings = dict(cfg.hider.settings)
        self.hider = load_hider(cfg.hider.name, **self.settings)
        adv = cfg.adversary  # None: the plain costs only (round 0)
        self.adversarial = {"scheme": adv.name, **adv.settings} if adv else None
        self.pool: list = []  # warden files the round's costs are made against

    def resume(self, folder: Path):
        pass

    def move(self, k: int, attacked: list, folder: Path, quiet=False) -> dict:
        if attacked and self.adversarial is None:
            raise InputError("harden: the rounds after round 0 need an adversary (--scheme)")
        self.pool = attacked
        return {}

    def stegos(self, split: str) -> tuple[list, dict]:
        from .embed import hide_all

        g = self.game
        stegos, infos = hide_all(self.settings, [str(f) for f in self.pool],
                                 g.domain.hider_covers(split), g.secrets[split], quiet=True,
                                 method=self.game.cfg.hider.name, **(self.adversarial or {}))
        stegos = [g.domain.elements(s) for s in stegos]
        adv = [i["adversarial"] for i in infos if "adversarial" in i]
        out = {"embed_seconds": float(np.mean([i["seconds"] for i in infos]))}
        if adv:
            # the adjustable share: β of the joint scheme, σ of the published one (0: plain);
            # Backpack changes every element's costs (1) unless it keeps the plain stego
            out.update(fooled=float(np.mean([a["fooled"] for a in adv])),
                       share=float(np.mean([a["share"] for a in adv])))
        return stegos, out


def _f(v, fmt=".4f"):
    return "" if v is None else format(v, fmt)


class JpegPlayer(StcPlayer):
    """The JPEG hider: StcPlayer's move in a JPEG's luminance coefficients; DCTR+FLD judges
    in SRM+FLD's place."""

    saved = "JPEG (the cover's tables)"
    heads = [h.replace("SRM+FLD", "DCTR+FLD") for h in StcPlayer.heads]

    @staticmethod
    def recorded(settings: dict) -> dict:
        return {"jpeg_cost": settings["jpeg_cost"], "bpnzac": settings["bpnzac"]}

    @staticmethod
    def hider_about(h: dict) -> str:
        return (f"STC in the JPEG's luminance coefficients + {h['jpeg_cost']} costs + "
                f"{h['codec']} secret at {h['bpnzac']:g} bpnzac")


def player_for(method: str):
    """A trainable hider is fine-tuned; a hider that takes adversarial costs gets them (in
    a JPEG's coefficients for a hider of JPEG files)."""
    cls, _ = HIDERS.get(method)
    if cls.trainable:
        return GanPlayer
    if cls.takes_adversarial_costs:
        return JpegPlayer if cls.jpeg_files else StcPlayer
    raise InputError(f"harden --method {method}: plays a trainable hider or one that takes "
                     "adversarial costs")


