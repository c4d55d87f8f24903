"""Train the GAN: encoder + decoder against a Xu-Net-style discriminator.

Le = la * MSE(cover, stego) + lb * CE(D(stego), cover) + lc * MSE(secret, revealed)
Ls = CE(D(cover), cover) + CE(D(stego), stego)

Stegos pass through straight-through rounding to the 8-bit grid, so the decoder
learns to reveal from the saved PNG. Every random draw comes from a generator
seeded by (seed, step, rank): a resumed run repeats an uninterrupted one bit for
bit on the CPU. A run is a folder: config.json, log.csv, checkpoint.safetensors,
model.safetensors (the hiding model alone, ready for hide/reveal).
"""

from __future__ import annotations

import csv
import functools
import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from .. import weights
from ..data.corpus import Corpus
from ..distributed import process_group
from ..errors import InputError
from ..metrics import psnr_from_mse
from ..progress import progress
from ..tensors import cosine, quantize, rot_flip, straight_through
from ..hiding.config import FLAGS, LAMBDA, PRESETS, TrainConfig, make_config  # noqa: F401
from ..options import Option, convert, convert_fields
from ..hiding.model import HidingModel
from ..hiding.nets import hiding_nets, set_key
from ..steganalysis.nets import XuNetLike

CHECKPOINT_KIND = "hiding-checkpoint"


class HidePair(nn.Module):
    """Encoder and decoder as one module (one DDP wrapper, one optimizer)."""

    def __init__(self, encoder, decoder, rounding):
        super().__init__()
        self.encoder, self.decoder, self.rounding = encoder, decoder, rounding

    def forward(self, cover, secret, noise=None):
        stego = self.encoder(cover, secret)
        # clamp to [0, 1] with a straight-through gradient: a saturated pixel can come back
        stego = straight_through(stego, stego.clamp(0, 1))
        if self.rounding == "ste":
            stego = straight_through(stego, quantize(stego))
        elif self.rounding == "noise" and noise is not None:
            stego = stego + noise
        return stego, self.decoder(stego)


# ---- data ------------------------------------------------------------------

def load_split(folder, split: str, secret_gray=False):
    """All images of a split as one uint8 tensor (N, C, H, W), and the split's pairs."""
    c = Corpus(folder)
    files = c.need(split)
    images = torch.from_numpy(np.stack(c.read_all(c.folder, files)))
    images = images[:, None] if images.ndim == 3 else images.permute(0, 3, 1, 2)
    index = {f: i for i, f in enumerate(files)}
    pairs = [(index[a], index[b]) for a, b in c.pairs(split)]
    return images.contiguous(), pairs, c.mode


def _augment(x: torch.Tensor, g: torch.Generator, crop: int) -> torch.Tensor:
    n, _, h, w = x.shape
    out = []
    for i in range(n):
        y0 = int(torch.randint(0, h - crop + 1, (1,), generator=g))
        x0 = int(torch.randint(0, w - crop + 1, (1,), generator=g))
        t = x[i, :, y0:y0 + crop, x0:x0 + crop]
        out.append(rot_flip(t, int(torch.randint(0, 8, (1,), generator=g))))
    return torch.stack(out)


def step_seed(cfg: TrainConfig, step: int, rank: int) -> int:
    """The seed of one step's random draws on one rank (a resumed run repeats them)."""
    return cfg.seed * 1_000_003 + step * 101 + rank


def sample_batch(images, cfg: TrainConfig, step: int, rank: int):
    """Random covers and secrets (random pairing, crops, flips, rotations) for this step."""
    g = torch.Generator().manual_seed(step_seed(cfg, step, rank))
    idx = torch.randint(0, len(images), (2, cfg.batch), generator=g)
    cover = _augment(images[idx[0]], g, cfg.crop).float() / 255
    secret = _augment(images[idx[1]], g, cfg.crop).float() / 255
    noise = (torch.rand(cover.shape, generator=g) - 0.5) / 255
    if cfg.secret_gray and secret.shape[1] == 3:
        secret = secret.mean(1, keepdim=True)
    return cover, secret, noise


# ---- validation --------------------------------------------------------------

@torch.no_grad()
def validate(encoder, decoder, images, pairs, n: int, device) -> dict:
    """Fidelity on fixed validation pairs, float stegos and 8-bit stegos."""
    encoder.eval(), decoder.eval()
    set_key(0, encoder, decoder)  # a keyed net: validation with the default key
    sel = pairs[:n] if pairs else [(i, (i + 1) % len(images)) for i in range(min(n, len(images)))]
    cover = images[[c for c, _ in sel]].float().div(255).to(device)
    secret = images[[s for _, s in sel]].float().div(255).to(device)
    stego = encoder(cover, secret).clamp(0, 1)
    q = quantize(stego)
    out = {}
    for tag, st in (("float", stego), ("uint8", q)):
        rev = decoder(st)
        if tag == "uint8":
            rev = quantize(rev)
        cm = F.mse_loss(st, cover).item()
        sm = F.mse_loss(rev, secret).item()
        out[f"cover_mse_{tag}"] = cm
        out[f"secret_mse_{tag}"] = sm
        out[f"stego_psnr_{tag}"] = psnr_from_mse(cm)
        out[f"secret_psnr_{tag}"] = psnr_from_mse(sm)
    encoder.train(), decoder.train()
    return out


# ---- checkpoints -------------------------------------------------------------

def model_config(cfg: TrainConfig, channels: int, corpus: str) -> dict:
    return {"arch": cfg.arch, "cover_channels": channels,
            "secret_channels": 1 if cfg.secret_gray else channels,
            "width": cfg.width, "blocks": cfg.blocks, "name": f"gan-{cfg.preset}",
            "trained_on": corpus, "train_crop": cfg.crop}


def save_checkpoint(run: Path, step, pair, disc, opt_g, opt_d, cfg, mcfg):
    tg, mg = weights.optimizer_state(opt_g, "opt_g")
    td, md = weights.optimizer_state(opt_d, "opt_d")
    tensors = {**weights.prefixed(pair.encoder.state_dict(), "encoder"),
               **weights.prefixed(pair.decoder.state_dict(), "decoder"),
               **weights.prefixed(disc.state_dict(), "disc"), **tg, **td}
    weights.save(run / "checkpoint.safetensors", tensors,
                 {"kind": CHECKPOINT_KIND, "step": step, "train": asdict(cfg), "model": mcfg,
                  "opt_g": mg, "opt_d": md})
    model = HidingModel(mcfg)
    model.encoder.load_state_dict(pair.encoder.state_dict())
    model.decoder.load_state_dict(pair.decoder.state_dict())
    model.config["steps"] = step
    model.save(run / "model.safetensors")


def _trim_log(path: Path, step: int):
    """Drop log rows written after the checkpoint we resume from."""
    if not path.exists():
        return
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    keep = [rows[0]] + [r for r in rows[1:] if int(r[0]) <= step] if rows else []
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(keep)


# ---- the loop ----------------------------------------------------------------

def _networks(cfg: TrainConfig, channels: int, secret_channels: int) -> nn.ModuleDict:
    """The networks of a run, named as in its checkpoint."""
    enc, dec = hiding_nets(cfg.arch, channels, secret_channels, cfg.width, cfg.blocks)
    return nn.ModuleDict({"encoder": enc, "decoder": dec,
                          "disc": XuNetLike(channels, cfg.disc_width)})


class Trainer:
    """The models, optimizers and settings of one run (one rank)."""

    def __init__(self, cfg: TrainConfig, channels: int, mcfg: dict, dev, tensors=None,
                 meta=None, where=None):
        self.cfg, self.dev = cfg, dev
        if tensors is not None:  # a checkpoint's networks: their shapes first, then memory
            weights.check_shapes(lambda: _networks(cfg, channels, mcfg["secret_channels"]),
                                 tensors, where)
        torch.manual_seed(cfg.seed)
        self.pair = HidePair(*hiding_nets(cfg.arch, channels, mcfg["secret_channels"],
                                          cfg.width, cfg.blocks), cfg.rounding)
        self.disc = XuNetLike(channels, cfg.disc_width)
        self.opt_g = torch.optim.Adam(self.pair.parameters(), lr=cfg.lr)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr_disc)
        if tensors is not None:
            for mod, pre in ((self.pair.encoder, "encoder"), (self.pair.decoder, "decoder"),
                             (self.disc, "disc")):
                weights.load_module_state(mod, weights.unprefixed(tensors, pre), where)
            try:
                weights.load_optimizer_state(self.opt_g, tensors, meta["opt_g"], "opt_g")
                weights.load_optimizer_state(self.opt_d, tensors, meta["opt_d"], "opt_d")
            except (KeyError, TypeError, ValueError, AttributeError, RuntimeError):
                raise InputError(f"{where}: the optimizer state in the checkpoint is invalid"
                                 ) from None
        self.pair.to(dev), self.disc.to(dev)
        for opt in (self.opt_g, self.opt_d):  # optimizer state follows the params' device
            for st in opt.state.values():
                for k, v in st.items():
                    if torch.is_tensor(v) and k != "step":
                        st[k] = v.to(dev)
        self.ddp_pair, self.ddp_disc = DDP(self.pair), DDP(self.disc)

    def _autocast(self):
        return torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.bf16)

    @functools.cached_property
    def bf16(self) -> bool:
        """amp_bf16 where the device has native bf16 (elsewhere it would be far slower)."""
        from ..distributed import native_bf16

        return bool(self.cfg.amp_bf16) and native_bf16(self.dev)

    def schedule(self, step: int, total: int):
        for group in self.opt_g.param_groups:
            group["lr"] = self.cfg.lr * (cosine(step, total) if self.cfg.cosine else 1.0)

    def discriminator_step(self, cover, secret, noise, labels):
        """Ls: covers are 0, stegos are 1. Returns (Ls, stego, revealed) of this batch."""
        with self._autocast():
            stego, revealed = self.ddp_pair(cover, secret, noise)
            ls = F.cross_entropy(self.ddp_disc(torch.cat([cover, stego.detach()])), labels)
        self.opt_d.zero_grad(set_to_none=True)
        ls.backward()
        self.opt_d.step()
        return ls, stego, revealed

    def generator_step(self, cover, secret, stego, revealed, labels) -> dict:
        """Le = la d(cover, stego) + lb (stegos called covers) + lc d(secret, revealed)."""
        la, lb, lc = self.cfg.lambdas
        with self._autocast():
            self.disc.requires_grad_(False)
            logits = self.disc(torch.cat([cover, stego]))[len(cover):]
            self.disc.requires_grad_(True)
            adv = F.cross_entropy(logits, labels[: len(cover)])  # make stegos look like covers
            d_cover = F.mse_loss(stego.float(), cover)
            d_secret = F.mse_loss(revealed.float(), secret)
            le = la * d_cover + lb * adv + lc * d_secret
        self.opt_g.zero_grad(set_to_none=True)
        le.backward()
        torch.nn.utils.clip_grad_norm_(self.pair.parameters(), self.cfg.clip)
        self.opt_g.step()
        return {"Le": le, "adv": adv, "d_cover": d_cover, "d_secret": d_secret}


def _start(run: Path, cfg, resume: bool):
    """(settings, first step, checkpoint tensors, checkpoint meta) of a new or resumed run."""
    if resume:
        if not (run / "checkpoint.safetensors").exists():
            raise InputError(f"{run}: nothing to resume (no checkpoint.safetensors)")
        where = run / "checkpoint.safetensors"
        tensors, meta = weights.load(where, CHECKPOINT_KIND)
        meta = weights.check_config(meta, {"step": Option(int, 0, 0, maximum=10 ** 9)}, where)
        # the sizes that decide its memory first, by the training spec (its maxima)
        t = weights.check_config(meta.get("train"), {k: FLAGS[k] for k in (
            "width", "blocks", "disc_width", "crop", "batch", "epochs", "steps_per_epoch")},
            where)
        try:
            cfg = TrainConfig(**{**t, "lambdas": tuple(float(x) for x in t["lambdas"])})
        except (TypeError, ValueError, KeyError):
            raise InputError(f"{where}: training settings in the checkpoint are invalid") from None
        convert_fields(f"{where}: train", cfg, FLAGS)  # every setting as the flags check it
        if len(cfg.lambdas) != 3:
            raise InputError(f"{where}: train lambdas {t['lambdas']!r} must be three numbers "
                             ">= 0")
        cfg.lambdas = tuple(convert(f"{where}: train", "lambdas", LAMBDA, x)
                            for x in cfg.lambdas)
        return cfg, meta["step"], tensors, meta
    if (run / "checkpoint.safetensors").exists():
        raise InputError(f"{run}: already holds a run (use --resume, or another folder)")
    return cfg or TrainConfig(), 0, None, None


def _log_row(run: Path, row: dict):
    log = run / "log.csv"
    new = not log.exists() or log.stat().st_size == 0
    with open(log, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            w.writeheader()
        w.writerow(row)


def _all_agree(flag: bool, dev) -> bool:
    """True on every rank once any rank says so (ranks stop at the same step)."""
    if torch.distributed.get_world_size() == 1:
        return flag
    t = torch.tensor([float(flag)], device=dev)
    torch.distributed.all_reduce(t, torch.distributed.ReduceOp.MAX)
    return bool(t.item())


def train(data, run, cfg: TrainConfig | None = None, resume: bool = False,
          device: str = "auto", max_steps: int = 0, quiet: bool = False,
          max_minutes: float = 0):
    """Train (or resume) a run folder; returns (last validation metrics, HidePair).

    max_minutes > 0 stops after the step that passes the time limit, checkpointed
    (a later --resume goes on from there)."""
    run = Path(run)
    with process_group(device) as (rank, world, dev):
        cfg, start, tensors, meta = _start(run, cfg, resume)
        images, _, mode = load_split(data, "train")
        val_images, val_pairs, _ = load_split(data, "val")
        channels = images.shape[1]
        if cfg.crop > min(images.shape[-2:]):
            raise InputError(f"--crop {cfg.crop} is larger than the corpus images "
                             f"({images.shape[-1]}x{images.shape[-2]})")
        mcfg = model_config(cfg, channels, str(data))
        t = Trainer(cfg, channels, mcfg, dev, tensors, meta, run)
        spe = cfg.steps_per_epoch or max(1, math.ceil(len(images) / 2 / (cfg.batch * world)))
        total = cfg.epochs * spe
        stop = min(total, max_steps) if max_steps else total
        if rank == 0:
            run.mkdir(parents=True, exist_ok=True)
            (run / "config.json").write_text(json.dumps(
                {"train": asdict(cfg), "model": mcfg, "data": str(data), "world": world}, indent=1))
            _trim_log(run / "log.csv", start)
        labels = None
        bar = progress(range(start, stop), initial=start, total=stop, desc="train",
                       disable=True if (rank or quiet) else None)
        last, t0, seen = {}, time.time(), 0
        for step in bar:
            late = time.time() - t0 > 60 * max_minutes
            out_of_time = bool(max_minutes) and _all_agree(late, dev)
            t.schedule(step, total)
            cover, secret, noise = (x.to(dev) for x in sample_batch(images, cfg, step, rank))
            # a keyed net's carrier: a new key each step (+1: not the batch generator's seed)
            set_key(step_seed(cfg, step, rank) + 1, t.pair.encoder, t.pair.decoder)
            if labels is None or len(labels) != 2 * len(cover):
                labels = torch.cat([torch.zeros(len(cover)), torch.ones(len(cover))]).long().to(dev)
            ls, stego, revealed = t.discriminator_step(cover, secret, noise, labels)
            g = t.generator_step(cover, secret, stego, revealed, labels)
            seen += len(cover) * world
            bar.set_postfix(Le=f"{g['Le'].item():.4f}", Ls=f"{ls.item():.3f}",
                            cover=f"{g['d_cover'].item():.2e}", secret=f"{g['d_secret'].item():.2e}")
            done = step + 1
            epoch_end = done % spe == 0 or done == stop or out_of_time
            if epoch_end or (cfg.checkpoint_every and done % cfg.checkpoint_every == 0):
                if rank == 0:
                    last = validate(t.pair.encoder, t.pair.decoder, val_images, val_pairs,
                                    cfg.val_pairs, dev)
                    _log_row(run, {"step": done, "epoch": done / spe, "Le": g["Le"].item(),
                                   "Ls": ls.item(), "adv": g["adv"].item(),
                                   "d_cover": g["d_cover"].item(),
                                   "d_secret": g["d_secret"].item(),
                                   "images_per_s": seen / max(time.time() - t0, 1e-9), **last})
                    save_checkpoint(run, done, t.pair, t.disc, t.opt_g, t.opt_d, cfg, mcfg)
                    if not quiet and epoch_end:
                        bar.write(f"step {done}/{total}: stego {last['stego_psnr_uint8']:.2f} dB, "
                                  f"revealed {last['secret_psnr_uint8']:.2f} dB (8-bit, val)")
                torch.distributed.barrier()
            if out_of_time:
                if rank == 0 and not quiet:
                    bar.write(f"stopped at step {done}: --max-minutes {max_minutes} reached")
                break
        bar.close()
        return last, t.pair
