"""Embed time of the JPEG hider with adversarial costs against its plain embedding, one
process, one thread: the per-image cost of a JPEG game's rounds (harden --method jpeg).

    .venv/bin/python benchmarks/jpeg_adversary_speed.py CORPUS --wardens RUN/round-0
        [--images 6] [--bpnzac 0.4] [--steps 20] [--never] [--json F]

CORPUS: a JPEG corpus (data prepare --jpeg QF), its test tiles; RUN/round-0: a JPEG game's
round folder (its warden files). Each test tile hides its partner (the secret as JPEG: the
codec's search is not what is timed): plain, then each scheme (published, joint, backpack
with --steps Adam steps). --never shifts every warden's margin up by 1e6, so no stego
fools it: each scheme's whole search, the worst case of a round. Prints seconds per image,
the embeddings used and the share the pool calls a cover.
"""

import argparse
import json
import time

import numpy as np
import torch

from advstego.attacks.strategy import make_adversary, warden_files
from advstego.data import jpeg_io
from advstego.data.corpus import Corpus
from advstego.hiding.classical import forget_compressed
from advstego.hiding.jpeg import JpegHider
from advstego.steganalysis.detector import load_detector


class Never:
    """A warden whose margin is another's plus 1e6: never fooled."""

    differentiable = True

    def __init__(self, warden):
        self.warden, self.name, self.net = warden, warden.name, warden.net

    def logits(self, x):
        return self.warden.logits(x) + torch.tensor([0.0, 1e6])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--wardens", required=True)
    ap.add_argument("--images", type=int, default=6)
    ap.add_argument("--bpnzac", type=float, default=0.4)
    ap.add_argument("--steps", type=int, default=20, help="Backpack's Adam steps")
    ap.add_argument("--never", action="store_true", help="no stego fools: the whole search")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    torch.set_num_threads(1)
    c = Corpus(a.corpus)
    files = c.files("test")[:a.images]
    covers = [jpeg_io.read(c.folder / f) for f in files]
    secrets = [c.read(c.partner[f]) for f in files]
    wardens = [load_detector(f) for f in warden_files(a.wardens)]
    if a.never:
        wardens = [Never(w) for w in wardens]
    hiders = {"plain": JpegHider(bpnzac=a.bpnzac, codec="jpeg")}
    for scheme, settings in (("published", {}), ("joint", {}), ("backpack", {"steps": a.steps})):
        hiders[scheme] = JpegHider(bpnzac=a.bpnzac, codec="jpeg",
                                   adversary=make_adversary(wardens, scheme, **settings))
    hiders["plain"].hide(covers[0], secrets[0])  # compile, warm up
    out = {"images": len(covers), "size": f"{covers[0].header.width}x{covers[0].header.height}",
           "bpnzac": a.bpnzac, "never": a.never, "steps": a.steps}
    print(f"{a.corpus}: {len(covers)} test JPEGs of {out['size']}, {a.bpnzac} bpnzac, 1 thread"
          + (", no stego fools (--never)" if a.never else ""))
    for name, h in hiders.items():
        forget_compressed()
        t0 = time.perf_counter()
        infos = [h.hide_info(cv, sc)[1] for cv, sc in zip(covers, secrets)]
        s = (time.perf_counter() - t0) / len(covers)
        adv = [i["adversarial"] for i in infos if "adversarial" in i]
        out[name] = {"s": s, **({"embeddings": float(np.mean([x["embeddings"] for x in adv])),
                                 "fooled": float(np.mean([x["fooled"] for x in adv]))}
                                if adv else {})}
        extra = (f", {out[name]['embeddings']:.1f} embeddings a stego, "
                 f"{out[name]['fooled']:.0%} called a cover" if adv else "")
        print(f"{name:10s} {s:.3f} s/img{extra}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
