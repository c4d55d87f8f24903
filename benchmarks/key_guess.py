"""What checking a guessed key costs on a 256x256 STC stego: the one scrypt (base.kdf) a guess
needs in format 3, against the rest of a wrong-key reveal (order, heads, the format-1/2
attempt), timed with the guess's master already known.

    .venv/bin/python benchmarks/key_guess.py [--size 256] [--tries 5]
"""

import argparse
import statistics
import time

import numpy as np

from advstego.hiding import base
from advstego.hiding.classical import StcHider
from advstego.hiding.message import NoMessage


def texture(rng, n):
    y, x = np.mgrid[0:n, 0:n]
    img = 128 + 60 * np.sin(x / 7.0) * np.cos(y / 5.0) + rng.normal(0, 20, (n, n))
    return np.clip(img, 0, 255).astype(np.uint8)


def seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--tries", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    stego = StcHider(key="the right key").hide(texture(rng, a.size), texture(rng, a.size))

    def wrong(key):
        try:
            StcHider(key=key).extract(stego)
        except NoMessage:
            return
        raise SystemExit(f"{key!r} opened the stego")

    kdf, whole, rest = [], [], []
    for i in range(a.tries):
        key = f"guess {i}"
        kdf.append(seconds(lambda: base.kdf(key.encode())))
        base.MASTERS.pop(key, None)
        whole.append(seconds(lambda: wrong(key)))  # pays the scrypt, keeps the master
        rest.append(seconds(lambda: wrong(key)))  # the master known: everything else
    med = {k: statistics.median(v) for k, v in (("kdf", kdf), ("whole", whole), ("rest", rest))}
    print(f"{a.size}x{a.size} stego, median of {a.tries}: one KDF (scrypt n=2^14, r=8, p=1) "
          f"{med['kdf']:.3f} s; a wrong-key reveal {med['whole']:.3f} s, the rest of it "
          f"{med['rest']:.4f} s (KDF / rest: {med['kdf'] / med['rest']:.0f}x; before format 3 a "
          "guess was checked in about the rest alone)")


if __name__ == "__main__":
    main()
