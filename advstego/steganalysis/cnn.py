"""CNN steganalyzers, 2 logits (cover, stego): Xu-Net-style and SRNet-style.

Trained on pairs: a cover and its own stego share a batch and the same flips and
rotations, so the net can only learn the embedding change, not the content.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..options import Option
from .. import weights
from ..distributed import pick_device
from ..errors import InputError
from .nets import XuNetLike
from ..metrics import detection_errors
from ..progress import progress
from ..tensors import cosine, rot_flip
from .base import Detector
from .registry import DETECTORS


def _bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU())


class _Res(nn.Module):
    """SRNet type 2 (residual) or type 3 (residual, downsampling) layer."""

    def __init__(self, cin, cout, down):
        super().__init__()
        self.a = _bn_relu(cin, cout)
        self.b = nn.Sequential(nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
        self.down = down
        self.skip = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False),
                                   nn.BatchNorm2d(cout)) if down else None)

    def forward(self, x):
        y = self.b(self.a(x))
        if self.down:
            return self.skip(x) + F.avg_pool2d(y, 3, 2, 1)
        return x + y


class SRNetLike(nn.Module):
    """SRNet (Boroumand, Chen, Fridrich 2019) in the small: no pooling in the first layers,
    residual unpooled layers, then residual downsampling layers, global average, linear."""

    def __init__(self, channels=1, width=16):
        super().__init__()
        w = width
        self.front = nn.Sequential(_bn_relu(channels, 4 * w), _bn_relu(4 * w, w))
        self.unpooled = nn.Sequential(*[_Res(w, w, False) for _ in range(3)])
        self.pooled = nn.Sequential(_Res(w, w, True), _Res(w, 2 * w, True),
                                    _Res(2 * w, 4 * w, True), _Res(4 * w, 8 * w, True))
        self.last = nn.Sequential(_bn_relu(8 * w, 8 * w))
        self.fc = nn.Linear(8 * w, 2)

    def forward(self, x):
        x = self.pooled(self.unpooled(self.front(x * 255.0 / 64.0)))
        return self.fc(self.last(x).mean((2, 3)))


NETS: dict[str, tuple[type, int]] = {}  # detector name -> (network class, default width)


def cnn_detector(name: str, width: int = 8):
    """Decorator for a network class (channels, width) -> (N, 2) logits: registers the CNN
    detector `name` built on it. A new CNN warden is one module using this."""
    def add(net_cls):
        NETS[name] = (net_cls, width)
        DETECTORS.register(name, arch=name)(CnnDetector)
        return net_cls
    return add


def _stack(images) -> torch.Tensor:
    """uint8 (N, C, H, W) of gray (H, W) or RGB (H, W, 3) images of one size; of JPEGs
    (JpegImage: the JPEG front end), float32 of their pixels decompressed without rounding
    (gray, or Y, Cb, Cr), on the same 0..255 scale."""
    from ..data.jpeg import JpegImage

    jpeg = [isinstance(i, JpegImage) for i in images]
    if any(jpeg) and not all(jpeg):
        raise InputError("CNN detectors take JPEGs or pixel images, not both at once")
    try:
        arr = np.stack([i.pixels().astype(np.float32) if j else np.asarray(i)
                        for i, j in zip(images, jpeg)])
    except ValueError:
        raise InputError("CNN detectors take images of one size and mode") from None
    if any(jpeg):
        arr = arr if arr.ndim == 4 else arr[..., None]
        return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()
    if arr.dtype != np.uint8 or not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[3] == 3)):
        raise InputError(f"CNN detectors take gray or RGB uint8 images (got {arr.shape})")
    t = torch.from_numpy(arr)
    return t[:, None] if t.ndim == 3 else t.permute(0, 3, 1, 2).contiguous()


def _augment_pairs(c, s, g):
    """The same random rotation/flip for each cover and its stego."""
    out_c, out_s = [], []
    for i in range(len(c)):
        k = int(torch.randint(0, 8, (1,), generator=g))
        out_c.append(rot_flip(c[i], k)), out_s.append(rot_flip(s[i], k))
    return torch.stack(out_c), torch.stack(out_s)


class CnnDetector(Detector):
    differentiable = True
    reads_jpeg = True  # a JPEG corpus: its pixels decompressed without rounding (_stack)
    options = {"width": Option(int, 0, 0, "channels of the first layers (0: the net's own)",
                               maximum=64),
               "epochs": Option(int, 30, 1, "training epochs", maximum=10 ** 6),
               "batch": Option(int, 16, 1, "pairs a step", maximum=10 ** 5),
               "lr": Option(float, 1e-3, 0, "learning rate", above=True, maximum=10),
               "seed": Option(int, 0, -2 ** 63, "initial weights and batches",
                              maximum=2 ** 64 - 1),
               "device": Option(str, "cpu", None, "cpu | cuda | auto"),
               "channels": Option(int, 1, None, "1 gray, 3 RGB", (1, 3))}
    def __init__(self, arch="xunet", width=0, epochs=30, batch=16, lr=1e-3, seed=0,
                 device="cpu", channels=1):
        if arch not in NETS:
            raise InputError(f"unknown CNN {arch!r}; known: {', '.join(NETS)}")
        self.arch, self.name = arch, arch
        self.width = width or NETS[arch][1]
        self.epochs, self.batch, self.lr, self.seed = epochs, batch, lr, seed
        self.device = pick_device(str(device))
        self._build(channels)
        self.log: list[dict] = []
        self.selected = None  # {"epoch", "val_pe"} once fit with a validation set

    def _build(self, channels: int):
        self.channels = channels
        with torch.random.fork_rng(devices=[]):  # seeded weights, the caller's RNG untouched
            torch.manual_seed(self.seed)
            self.net = NETS[self.arch][0](channels, self.width).to(self.device)
        # channels-last: 1.5x a Xu-Net training step on CPU (benchmarks/warden_speed.py); the
        # SRNet-style net's backward crashes in torch 2.14's CPU kernels in that layout
        self.layout = torch.channels_last if self.arch == "xunet" else torch.contiguous_format
        self.net = self.net.to(memory_format=self.layout)

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 (or a JPEG's float) NCHW on 0..255 -> float in [0, 1] on the device, in the
        net's memory format."""
        return x.float().div(255).to(self.device).contiguous(memory_format=self.layout)

    def _check_channels(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != self.channels:
            raise InputError(f"this detector was trained on {self.channels}-channel images")
        return x

    def config(self):
        return {"arch": self.arch, "width": self.width, "epochs": self.epochs,
                "batch": self.batch, "lr": self.lr, "seed": self.seed, "channels": self.channels}

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """x: float NCHW in [0, 1] -> (N, 2) logits; differentiable (for attacks)."""
        return self.net(x.contiguous(memory_format=self.layout))

    def _val_pe(self, val) -> float:
        """PE at the 0.5 threshold on validation (covers, stegos)."""
        vc, vs = val
        labels = np.r_[np.zeros(len(vc), int), np.ones(len(vs), int)]
        return detection_errors(labels, self.prob_stego(list(vc) + list(vs)) > 0.5)["PE"]

    def fit(self, covers, stegos, run=None, quiet=False, stop_after=0, val=None):
        """Train on pairs; with run (a file path) a checkpoint is kept each epoch and resumed.

        val = (covers, stegos) of other photos: the net of the epoch with the lowest
        validation PE is kept (model selection), not the last one.
        stop_after ends early after that many epochs (as an interruption would)."""
        c, s = _stack(covers), _stack(stegos)
        if c.shape != s.shape:
            raise InputError(f"covers {tuple(c.shape)} and stegos {tuple(s.shape)} must pair up")
        if c.shape[1] != self.channels and not self.log:
            self._build(c.shape[1])  # an untrained net takes the images' channels
        self._check_channels(c)
        opt = torch.optim.Adam(self.net.parameters(), lr=self.lr)
        start, best = 0, None  # best: (val PE, epoch, state) of the selected net
        ckpt = Path(run) if run else None
        fp = _fingerprint(self.config(), c, s, val)
        if ckpt and ckpt.exists() and weights.load(ckpt)[1].get("fingerprint") != fp:
            if not quiet:  # another run's checkpoint: never resumed as this one
                print(f"advstego: notice: {ckpt}: a checkpoint of other settings or data; "
                      "training from scratch", file=sys.stderr)
            ckpt.unlink()
        if ckpt and ckpt.exists():
            tensors, meta = weights.load(ckpt, "detector-checkpoint")
            weights.load_module_state(self.net, weights.unprefixed(tensors, "net"), ckpt)
            weights.load_optimizer_state(opt, tensors, meta["opt"], "opt")
            start, self.log = meta["epoch"], meta["log"]
            if meta.get("best"):
                best = (meta["best"][0], meta["best"][1], weights.unprefixed(tensors, "best"))
        n, b = len(c), min(self.batch, len(c))
        steps = max(1, n // b)
        labels = torch.cat([torch.zeros(b), torch.ones(b)]).long().to(self.device)
        end = min(self.epochs, stop_after) if stop_after else self.epochs
        bar = progress(range(start, end), initial=start, total=self.epochs,
                       desc=f"train {self.arch}", disable=True if quiet else None)
        for epoch in bar:
            self.net.train()
            g = torch.Generator().manual_seed(self.seed * 7919 + epoch)
            perm = torch.randperm(n, generator=g)
            total, correct = 0.0, 0
            for k in range(steps):
                idx = perm[k * b:(k + 1) * b]
                bc, bs = _augment_pairs(c[idx], s[idx], g)
                x = self._input(torch.cat([bc, bs]))
                for group in opt.param_groups:  # cosine decay over the run
                    group["lr"] = self.lr * cosine(epoch * steps + k, self.epochs * steps)
                out = self.net(x)
                loss = F.cross_entropy(out, labels)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item()
                correct += int((out.argmax(1) == labels).sum())
            row = {"epoch": epoch + 1, "loss": total / steps, "train_acc": correct / (2 * b * steps)}
            if val is not None:
                row["val_pe"] = self._val_pe(val)
                if best is None or row["val_pe"] < best[0]:
                    best = (row["val_pe"], epoch + 1,
                            {k: v.detach().clone() for k, v in self.net.state_dict().items()})
            self.log.append(row)
            bar.set_postfix(loss=f"{row['loss']:.3f}", acc=f"{row['train_acc']:.3f}")
            if ckpt:
                t_opt, m_opt = weights.optimizer_state(opt, "opt")
                kept = weights.prefixed(best[2], "best") if best else {}
                weights.save(ckpt, {**weights.prefixed(self.net.state_dict(), "net"), **t_opt,
                                    **kept},
                             {"kind": "detector-checkpoint", "epoch": epoch + 1, "opt": m_opt,
                              "fingerprint": fp,
                              "log": self.log, "config": self.config(),
                              "best": list(best[:2]) if best else None})
        bar.close()
        if best is not None:
            self.net.load_state_dict(best[2])
            self.selected = {"epoch": best[1], "val_pe": best[0]}
        self.net.eval()
        return self

    def fit_curriculum(self, covers, easy, stegos, warm_epochs: int, quiet=False, val=None):
        """The small-data curriculum: warm_epochs on stegos of a larger payload (easy, same
        covers), then fit on the target stegos (a new cosine schedule, selection on val)."""
        full = self.epochs
        self.epochs = warm_epochs
        try:
            self.fit(covers, easy, quiet=quiet)
        finally:
            self.epochs = full
        warm, self.log = self.log, []
        self.fit(covers, stegos, quiet=quiet, val=val)
        self.log = [{**r, "warmup": True} for r in warm] + self.log
        return self

    @torch.no_grad()
    def prob_stego(self, images, batch=64):
        self.net.eval()
        x = self._check_channels(_stack(images))
        out = [torch.softmax(self.net(self._input(x[i:i + batch])), 1)[:, 1]
               for i in range(0, len(x), batch)]
        return torch.cat(out).cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def scores(self, images, batch=64):
        """logit(stego) - logit(cover) of each image."""
        self.net.eval()
        x = self._check_channels(_stack(images))
        out = [(lg := self.net(self._input(x[i:i + batch])))[:, 1] - lg[:, 0]
               for i in range(0, len(x), batch)]
        return torch.cat(out).cpu().numpy().astype(np.float64)

    def state(self):
        return weights.prefixed(self.net.state_dict(), "net"), {**self.config(), "log": self.log,
                                                                "selected": self.selected}

    @classmethod
    def from_state(cls, tensors, config, where):
        # its own options' limits (a file from before channels were saved: gray)
        spec = {"arch": Option(str, "xunet", None, "", tuple(NETS)), **cls.options,
                "channels": cls.options["channels"]._replace(default=None)}
        config = weights.check_config(config, {k: spec[k] for k in (
            "arch", "width", "epochs", "batch", "lr", "seed", "channels")}, where)
        channels = config.get("channels") or 1
        width = config["width"] or NETS[config["arch"]][1]  # 0: the net's own, as when trained
        weights.check_shapes(lambda: nn.ModuleDict(
            {"net": NETS[config["arch"]][0](channels, width)}), tensors, where)
        try:
            det = cls(config["arch"], config["width"], config["epochs"], config["batch"],
                      config["lr"], config["seed"], channels=channels)
        except KeyError:
            raise InputError(f"{where}: incomplete CNN detector file") from None
        weights.load_module_state(det.net, weights.unprefixed(tensors, "net"), where)
        det.log = config.get("log", [])
        det.selected = config.get("selected")
        det.net.eval()
        return det


cnn_detector("xunet")(XuNetLike)
cnn_detector("srnet")(SRNetLike)


def _fingerprint(config: dict, c, s, val) -> str:
    """What a checkpoint must match to be resumed: the settings and every training image."""
    import hashlib
    import json

    h = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    for x in (c, s, *(val or ())):
        for img in (x if isinstance(x, (list, tuple)) else [x]):
            arr = img.numpy() if torch.is_tensor(img) else np.asarray(img)
            h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()
