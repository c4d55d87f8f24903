"""The adversarial stegos of one fixed cover, file, key and toy warden, each scheme (STC) and
the simulator's; tests/data/adversary_stegos.npz holds them as made before the adversary
family (commit 8ae97d0), and tests/test_adversaries.py checks that they are made again bit
for bit. Rewrite the file (only where a change is meant to alter the stegos):

    python tests/adversary_fixture.py tests/data/adversary_stegos.npz
"""

from __future__ import annotations

import sys

import numpy as np
import torch

KEY = "fixture key 40"
FILE = bytes(range(256)) * 2 + bytes(range(188))  # 700 bytes, 0.85 of the 0.4-bpp payload


class Tanh:
    """A deterministic differentiable toy warden: its stego margin is
    sign * (mean(v · tanh(4 (x − 0.5))) − level), v a fixed mixed-sign map, so its gradient
    changes sign from pixel to pixel and with the image."""

    name = "tanh"
    differentiable = True

    def __init__(self, level: float, sign: float = 1.0, size: int = 128):
        v = np.random.default_rng(40).standard_normal((size, size)).astype(np.float32)
        self.v, self.level, self.sign = torch.from_numpy(v), level, sign
        self.net = torch.nn.Identity()

    def value(self, x):
        return (self.v * torch.tanh(4 * (x - 0.5))).mean((1, 2, 3))

    def logits(self, x):
        m = self.sign * (self.value(x) - self.level) * 1000
        return torch.stack([torch.zeros_like(m), m], 1)


def cover() -> np.ndarray:
    rng = np.random.default_rng(40)
    y, x = np.mgrid[0:128, 0:128]
    base = 128 + 60 * np.sin(x / 7.0) * np.cos(y / 5.0)
    return np.clip(base + rng.normal(0, 20, (128, 128)), 0, 255).astype(np.uint8)


def value(image: np.ndarray) -> float:
    """The toy warden's statistic of one uint8 gray image."""
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(image)).float().div(255)[None, None]
        return float(Tanh(0.0).value(x))


# each scheme's warden level: just below the plain stego's statistic (so the plain stego is
# a stego to it and the search runs), by this much
MARGIN = {"published": 3e-4, "joint": 3e-4, "backpack": 8e-4, "simulated": 3e-4}
SETTINGS = {"published": {}, "joint": {"search": 4}, "backpack": {"steps": 12}}


def stegos(make_adversary, hider, simulate) -> dict:
    """name -> stego: the plain STC stego, each scheme's, and the joint simulator's.
    make_adversary(wardens, scheme, **settings); hider(adversary) -> an StcHider with KEY;
    simulate(cover, adversary) -> the simulator's S-UNIWARD stego at 0.4 bpp, seed 7."""
    torch.set_num_threads(1)
    c = cover()
    out = {"plain": hider(None).hide_file(c, FILE, "f.bin")[0]}
    for scheme, settings in SETTINGS.items():
        warden = Tanh(value(out["plain"]) - MARGIN[scheme])
        out[scheme] = hider(make_adversary([warden], scheme=scheme, **settings)).hide_file(
            c, FILE, "f.bin")[0]
    plain_sim = simulate(c, None)
    warden = Tanh(value(plain_sim) - MARGIN["simulated"])
    out["simulated-joint"] = simulate(c, make_adversary([warden], scheme="joint", search=4))
    out["simulated-plain"] = plain_sim
    return out


def stored(path) -> dict:
    """name -> stego of a file this script wrote."""
    c = cover().astype(np.int16)
    with np.load(path) as f:
        return {k: (c + f[k]).astype(np.uint8) for k in f.files}


def current() -> dict:
    """The stegos the code of this checkout makes."""
    from advstego.attacks.strategy import make_adversary
    from advstego.embedding.simulate import simulate
    from advstego.hiding.classical import StcHider

    return stegos(make_adversary, lambda adv: StcHider(payload=0.4, key=KEY, adversary=adv),
                  lambda c, adv: simulate(c, "suniward", 0.4, 7, adv))


if __name__ == "__main__":
    c = cover()
    got = {k: (v.astype(np.int16) - c).astype(np.int8) for k, v in current().items()}
    np.savez_compressed(sys.argv[1], **got)  # each stego as its change from the cover
    for k, v in got.items():
        print(k, int(np.count_nonzero(v)), "changes")
