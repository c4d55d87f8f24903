"""Embed time of STC with adversarial costs against plain STC, one process, one thread.

    .venv/bin/python benchmarks/adversarial_speed.py CORPUS [--images 20] [--wardens DIR]
        [--scheme published|joint|backpack] [--steps 10] [--json F]

Hides each test tile's partner in it at 0.4 bpp (the secret as JPEG: the codec's search is
not what is timed): plain, then with ADV-EMB costs (the scheme given) against the shipped
wardens (or DIR), or Backpack (--steps Adam steps); prints seconds per image, the ratio, the embeddings used and how many
stegos the pool calls a cover.
"""

import argparse
import json
import time

import numpy as np
import torch

from advstego.attacks.registry import ADVERSARIES
from advstego.attacks.strategy import load_adversary
from advstego.data.corpus import Corpus
from advstego.hiding.classical import StcHider, forget_compressed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--wardens")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--scheme", default="published", choices=ADVERSARIES.names())
    ap.add_argument("--steps", type=int, default=10, help="Backpack's Adam steps")
    a = ap.parse_args()
    torch.set_num_threads(1)
    c = Corpus(a.corpus)
    files = c.files("test")[:a.images]
    covers = c.read_all(c.folder, files)
    secrets = [c.read(c.partner[f]) for f in files]
    plain = StcHider(payload=0.4, codec="jpeg")
    adv = StcHider(payload=0.4, codec="jpeg", adversary=load_adversary(a.wardens, scheme=a.scheme,
                                                                   steps=a.steps))
    plain.hide(covers[0], secrets[0]), adv.hide(covers[0], secrets[0])  # compile, warm up
    times, infos = {}, {}
    for name, h in (("plain", plain), ("adversarial", adv)):
        forget_compressed()  # both passes search the secret's codec
        t0 = time.perf_counter()
        infos[name] = [h.hide_info(cv, sc)[1] for cv, sc in zip(covers, secrets)]
        times[name] = (time.perf_counter() - t0) / len(covers)
    info = [x["adversarial"] for x in infos["adversarial"]]
    size = "x".join(map(str, covers[0].shape))
    print(f"{a.corpus}: {len(covers)} test tiles of {size}, 0.4 bpp, 1 thread")
    print(f"plain STC        {times['plain']:.3f} s/img")
    print(f"adversarial STC ({a.scheme})  {times['adversarial']:.3f} s/img  ({times['adversarial'] / times['plain']:.1f}x), "
          f"{np.mean([i['embeddings'] for i in info]):.1f} embeddings a stego, "
          f"{np.mean([i['fooled'] for i in info]):.0%} called a cover by the pool "
          f"({len(adv.adversary.wardens)} wardens)")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"images": len(covers), "size": size, "scheme": a.scheme,
                       **({"steps": a.steps} if a.scheme == "backpack" else {}),
                       "plain_s": times["plain"],
                       "adversarial_s": times["adversarial"],
                       "ratio": times["adversarial"] / times["plain"],
                       "embeddings": float(np.mean([i["embeddings"] for i in info])),
                       "fooled": float(np.mean([i["fooled"] for i in info]))}, fh, indent=1)


if __name__ == "__main__":
    main()
