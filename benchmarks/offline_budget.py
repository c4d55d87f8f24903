"""The offline experiment's wall time, stage by stage, predicted from per-unit costs measured
here on its own corpus: a hide, a fidelity pair, an SRM vector, a CNN warden's training
image-step and inference, the FLD ensemble's search on the training split's pairs and on half
of them (the control's), an attack, a step of the game's fine-tuning. A stage's prediction is its count of units on the preset's corpus
(prepared here as the corpus stage prepares it: that stage is timed as it is) times the
unit's cost; the stages that run side by side (the wardens, the control and the game; then
the attacks) go to the ranks by the pipeline's own plan for a fresh run folder
(pipeline.stage_owners, Stages.owners), and their group takes its busiest rank's time.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/offline_budget.py [--preset offline]
        [--ranks 2] [--images 8] [--fld-pairs N] [--units FILE] [--save-units FILE]
        [--work DIR] [--compare RESULTS_JSON]

About ten minutes of one core (most of it the FLD's features: --fld-pairs N times them on N
pairs and extrapolates, linearly, a coarse guess: the search's path changes with N). One thread, as each rank of `torchrun --nproc_per_node 2` runs with OMP_NUM_THREADS=1. A
loaded machine inflates the units, and the prediction with them. --units reads units saved
by --save-units and measures only those missing (another sizing of the preset, at the cost
of the corpus stage); --compare prints a finished run's stage seconds (its results.json)
beside the prediction. Not modelled: a trained hider row (its training), and the report's
figures (an allowance, said so).
"""

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from advstego.attacks.run import attack_images
from advstego.embedding import simulate
from advstego.experiments.cache import Stages
from advstego.experiments.config import load_config
from advstego.experiments.pipeline import (Experiment, _harden_settings, choose_methods,
                                           make_corpus, slug, stage_owners)
from advstego.game.gan import load_split
from advstego.game.players import finetune
from advstego.hiding.evaluate import fidelity
from advstego.hiding.registry import load_hider
from advstego.images import read_image, write_image
from advstego.steganalysis.detector import build_detector
from advstego.steganalysis.features import srm_features
from advstego.steganalysis.fld import FastFldTrainer
from advstego.steganalysis.registry import DETECTORS

SPLITS = ("train", "val", "test")
CNN_PAIRS = 16          # pairs a CNN's training step is timed on (one batch of the default 16)
REPORT_ALLOWANCE = 30.0  # seconds: results.json, three figures, report.md (not measured)


class Ranks:
    """The pipeline's plan for `world` ranks, outside torchrun (rank 0's view)."""

    def __init__(self, world):
        self.rank, self.world = 0, world

    def barrier(self):
        pass

    def gather(self, obj):
        return [obj]


def key(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def clock(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def _settings(row: dict, name: str) -> tuple[str, dict]:
    return row[name], {k: v for k, v in row.items() if k != name}


class Unfooled:
    """A CNN warden that computes as the real one but calls every image a stego, whatever an
    attack does to it: the attack runs to its budget (the worst case of its time)."""
    differentiable = True

    def __init__(self, det):
        self.det, self.net, self.name = det, det.net, det.name

    def logits(self, x):
        return self.det.logits(x) + torch.tensor([0.0, 1e4])

    def prob_stego(self, images):
        return np.maximum(self.det.prob_stego(images), 1.0)


# ---- units --------------------------------------------------------------------------------

class Units:
    """Per-unit seconds, measured on first use (or read from a saved file)."""

    def __init__(self, cfg, ex, saved: dict, images: int, fld_pairs: int):
        self.cfg, self.ex, self.u = cfg, ex, saved
        self.k, self.fld_pairs = images, fld_pairs
        self._corpus = self._methods = self._sample = None
        self._stegos, self._cnn, self._fld_x = {}, {}, {}

    def _group(self, name) -> dict:
        return self.u.setdefault(name, {})

    # the corpus stage, timed as the pipeline runs it
    def corpus(self) -> dict:
        have = self.u.get("corpus")
        if have and have["data"] == self.cfg["data"] and have["seed"] == self.cfg.get("seed", 0):
            return have
        corpus, _ = self.corpus_object()
        m = json.loads((corpus.folder / "manifest.json").read_text())
        self.u["corpus"] = {
            "data": self.cfg["data"], "seed": self.cfg.get("seed", 0),
            "seconds": self.ex.stages.seconds("corpus"),
            "images": {s: len(corpus.files(s)) for s in SPLITS},
            "photos": {s: len({corpus.photo[f] for f in corpus.files(s)}) for s in SPLITS},
            "skipped": m.get("skipped")}
        return self.u["corpus"]

    def corpus_object(self):
        if self._corpus is None:
            print("[budget] corpus stage ...", file=sys.stderr, flush=True)
            self._corpus = make_corpus(self.ex)
        return self._corpus

    def methods(self) -> dict:
        if self._methods is None:
            corpus, done = self.corpus_object()
            self._methods, _ = choose_methods(self.ex, corpus, done)
        return self._methods

    def sample(self):
        """k training covers (spread over the split), their secrets and names."""
        if self._sample is None:
            corpus, _ = self.corpus_object()
            files = corpus.files("train")
            files = [files[i] for i in np.linspace(0, len(files) - 1, self.k).astype(int)]
            self._sample = (files, [corpus.read(f) for f in files],
                            [corpus.read(corpus.partner[f]) for f in files])
        return self._sample

    def stegos(self, label):
        """The sample's stegos of a row (in memory), and the seconds they took."""
        if label not in self._stegos:
            files, covers, secrets = self.sample()
            m = self.methods()[label]

            def make(fs, cs, ss):
                if m.hider is not None:
                    return [m.hider.hide(c, s) for c, s in zip(cs, ss)]
                k = m.baseline.get("key", 0)
                return [simulate(c, m.baseline["method"], m.baseline["payload"],
                                 seed=self.cfg.get("seed", 0) + zlib.crc32(f.encode()) + 7919 * k)
                        for f, c in zip(fs, cs)]
            make(files[:1], covers[:1], secrets[:1])  # warm-up: compilation, first calls
            secs, out = clock(make, files, covers, secrets)
            self._stegos[label] = (out, secs / len(files))
        return self._stegos[label]

    def hide(self, label) -> float:
        m = self.methods()[label]
        g = self._group("hide")
        if key(m.settings) not in g:
            print(f"[budget] hide {label} ...", file=sys.stderr, flush=True)
            g[key(m.settings)] = self.stegos(label)[1]
        return g[key(m.settings)]

    def fidelity(self, label) -> float:
        m = self.methods()[label]
        g = self._group("fidelity")
        if key(m.settings) not in g:
            _, covers, secrets = self.sample()
            secs, _ = clock(fidelity, m.hider, covers, secrets, self.stegos(label)[0])
            g[key(m.settings)] = secs / len(covers)
        return g[key(m.settings)]

    def reveal(self, label) -> float:
        m = self.methods()[label]
        g = self._group("reveal")
        if key(m.settings) not in g:
            st = self.stegos(label)[0]
            secs, _ = clock(m.hider.reveal, np.stack(st))
            g[key(m.settings)] = secs / len(st)
        return g[key(m.settings)]

    def io(self) -> float:
        """Reading two PNGs (cover, secret) and writing one (the stego), per image."""
        if "io" not in self.u:
            files, covers, _ = self.sample()
            corpus, _ = self.corpus_object()
            with tempfile.TemporaryDirectory() as tmp:
                def go():
                    for i, f in enumerate(files):
                        corpus.read(f), corpus.read(corpus.partner[f])
                        write_image(Path(tmp) / f"{i}.png", covers[i])
                secs, _ = clock(go)
            self.u["io"] = secs / len(files)
        return self.u["io"]

    def read(self) -> float:
        if "read" not in self.u:
            files, _, _ = self.sample()
            corpus, _ = self.corpus_object()
            secs, _ = clock(lambda: [read_image(corpus.folder / f, corpus.mode) for f in files])
            self.u["read"] = secs / len(files)
        return self.u["read"]

    def srm(self, q1=False) -> float:
        g = self._group("srm")
        name = "srmq1" if q1 else "srm"
        if name not in g:
            print(f"[budget] {name} features ...", file=sys.stderr, flush=True)
            _, covers, _ = self.sample()
            srm_features(covers[:1], q1, workers=1, cache=False)  # warm-up
            secs, _ = clock(srm_features, covers, q1, workers=1, cache=False)
            g[name] = secs / len(covers)
        return g[name]

    def cnn(self, row: dict, attacked: str) -> dict:
        """A CNN warden's seconds per training image-step (a step of a batch of pairs, each
        image counted) and per image of inference; timed on the attacked row's stegos."""
        name, settings = _settings(row, "detector")
        settings.pop("epochs", None)
        g = self._group("cnn")
        k = key({"detector": name, **settings})
        if k not in g:
            c, s = self._cnn_pairs(attacked)
            print(f"[budget] {name} training steps ...", file=sys.stderr, flush=True)
            build_detector(name, **settings, epochs=1).fit(c, s, quiet=True)  # warm-up
            t1, _ = clock(build_detector(name, **settings, epochs=1).fit, c, s, quiet=True)
            det = build_detector(name, **settings, epochs=3)
            t3, _ = clock(det.fit, c, s, quiet=True)
            fwd, _ = clock(det.prob_stego, c + s)
            self._cnn[key(row)] = det
            g[k] = {"step": max(t3 - t1, 1e-9) / (2 * 2 * CNN_PAIRS), "fwd": fwd / len(c + s)}
        return g[k]

    def _cnn_pairs(self, attacked):
        _, covers, _ = self.sample()
        stegos = self.stegos(attacked)[0]
        reps = -(-CNN_PAIRS // len(covers))
        return (covers * reps)[:CNN_PAIRS], (stegos * reps)[:CNN_PAIRS]

    def cnn_detector(self, row, attacked):
        """The CNN warden an attack is timed against (3 epochs on the timing pairs)."""
        if key(row) not in self._cnn:
            name, settings = _settings(row, "detector")
            settings["epochs"] = 3
            self._cnn[key(row)] = build_detector(name, **settings).fit(
                *self._cnn_pairs(attacked), quiet=True)
        return self._cnn[key(row)]

    def fld(self, q1, L, d_sub) -> dict:
        """The FLD ensemble's training seconds at two sizes (fld_pairs / 2 and fld_pairs
        pairs of real SRM features: training covers and the first baseline's stegos)."""
        g = self._group("fld")
        k = key([q1, L, d_sub])
        if k not in g:
            X = self._fld_features(q1)
            n2 = len(X[0])
            sizes, secs = [n2 // 2, n2], []
            for n in sizes:
                print(f"[budget] FLD ({L}, {d_sub}) on {n} pairs ...", file=sys.stderr, flush=True)
                t, _ = clock(lambda: FastFldTrainer(X[0][:n], X[1][:n], seed=1, L=L,
                                                    d_sub=d_sub).train(True))
                secs.append(t)
            g[k] = {"pairs": sizes, "seconds": secs}
        return g[k]

    def _fld_features(self, q1):
        if q1 not in self._fld_x:
            corpus, _ = self.corpus_object()
            methods = self.methods()
            label = next((m for m in methods if methods[m].baseline), next(iter(methods)))
            files = corpus.files("train")[:self.fld_pairs or None]
            covers = [corpus.read(f) for f in files]
            m = methods[label]
            print(f"[budget] FLD features: {len(files)} covers and {label} stegos ...",
                  file=sys.stderr, flush=True)
            if m.hider is not None:
                stegos = [m.hider.hide(c, corpus.read(corpus.partner[f]))
                          for f, c in zip(files, covers)]
            else:
                stegos = [simulate(c, m.baseline["method"], m.baseline["payload"],
                                   seed=zlib.crc32(f.encode())) for f, c in zip(files, covers)]
            self._fld_x[q1] = [srm_features(x, q1, workers=1, cache=False).astype(np.float64)
                               for x in (covers, stegos)]
        return self._fld_x[q1]

    def attack(self, row: dict, attacked: str) -> float:
        """An attack's seconds per image at its whole budget (every step, every generation),
        against a CNN warden that never calls a stego a cover (Unfooled)."""
        name, settings = _settings(row, "attack")
        settings.pop("images", None), settings.pop("retrain", None)
        g = self._group("attack")
        k = key({"attack": name, **settings, "on": key(self.methods()[attacked].settings)})
        if k not in g:
            cnn = Unfooled(self.cnn_detector(self.cfg["wardens"]["CNN"], attacked))
            st = self.stegos(attacked)[0]
            st = st[:2] if name == "onepixel" else st
            print(f"[budget] attack {name} ...", file=sys.stderr, flush=True)
            secs, _ = clock(attack_images, name, cnn, st, settings)
            g[k] = secs / len(st)
        return g[k]

    def finetune(self, hc, wardens: int) -> float:
        """Seconds a step of the game's fine-tuning against `wardens` CNN wardens."""
        g = self._group("finetune")
        k = key([hc.hider.to_dict(), {f: v for f, v in hc.finetune.__dict__.items()
                                      if f != "steps"}, wardens])
        if k not in g:
            corpus, _ = self.corpus_object()
            images, _, _ = load_split(corpus.folder, "train")
            model = load_hider(hc.method, 1, **hc.hider.settings)
            ws = [build_detector(hc.wardens[0], epochs=1, seed=i) for i in range(wardens)]
            print(f"[budget] fine-tuning steps against {wardens} warden(s) ...",
                  file=sys.stderr, flush=True)
            t = []
            for steps in (2, 6):
                game = replace(hc, finetune=replace(hc.finetune, steps=steps))
                t.append(clock(finetune, model, ws, images, game, 1, quiet=True)[0])
            g[k] = max(t[1] - t[0], 1e-9) / 4
        return g[k]

    def harden_hider(self, hc) -> tuple[float, float]:
        """The game's hider: (hide, fidelity) seconds per image."""
        g = self._group("harden_hider")
        k = key(hc.hider.to_dict())
        if k not in g:
            _, covers, secrets = self.sample()
            h = load_hider(hc.method, 1, **hc.hider.settings)
            h.hide(covers[0], secrets[0])
            t, st = clock(lambda: [h.hide(c, s) for c, s in zip(covers, secrets)])
            f, _ = clock(fidelity, h, covers, secrets, st)
            g[k] = [t / len(covers), f / len(covers)]
        return tuple(g[k])


# ---- the model ----------------------------------------------------------------------------

def fld_seconds(u: dict, pairs: int) -> float:
    """Linear in the training pairs, through the two measured sizes."""
    (n1, n2), (t1, t2) = u["pairs"], u["seconds"]
    b = max(0.0, (t2 - t1) / max(1, n2 - n1))
    return max(t2 + b * (pairs - n2), 0.0)


class Model:
    """The stages' seconds from the units and the corpus's counts."""

    def __init__(self, cfg, units: Units, ranks: int):
        self.cfg, self.U, self.ranks = cfg, units, ranks
        self.n = units.corpus()["images"]
        self.total = sum(self.n.values())
        self.attacked = cfg["attacked"]
        self.seeds = cfg.get("seeds", 1)
        row = cfg["wardens"]["SRM"]
        self.features = DETECTORS.get(row["detector"])[0].extracts_features
        self.q1 = row["detector"].endswith("q1-fld")

    def warden(self, row, ntr, nval, nte) -> float:
        """A warden row trained from scratch and measured (one seed; features cached)."""
        name, settings = _settings(row, "detector")
        cls = DETECTORS.get(name)[0]
        if cls.extracts_features:
            u = self.U.fld(name.endswith("q1-fld"), settings.get("L", "automatic"),
                           settings.get("d_sub", "automatic"))
            return fld_seconds(u, ntr)
        u = self.U.cnn(row, self.attacked)
        epochs = settings.get("epochs", cls.options["epochs"].default)
        return epochs * (2 * ntr * u["step"] + 2 * nval * u["fwd"]) + 4 * nte * u["fwd"]

    def cnn_measure(self, row, images) -> float:
        """measure() of a CNN on images covers and as many stegos (prob_stego, predict)."""
        return 4 * images * self.U.cnn(row, self.attacked)["fwd"]

    def stages(self):
        """[(stage, seconds, what)] in the pipeline's order; a group's stages indented."""
        cfg, U, n, N, R = self.cfg, self.U, self.n, self.total, self.ranks
        ntr, nval, nte = n["train"], n["val"], n["test"]
        methods = U.methods()
        out = [("corpus", U.corpus()["seconds"], "measured (prepare, as the stage runs it)")]
        share = math.ceil(N / R)
        for label in methods:
            t = U.hide(label) + U.io()
            out.append((f"stegos-{slug(label)}", share * t,
                        f"{share} img a rank x {t:.3f} s (hide + PNG)"))
        hiders = [m for m in methods if methods[m].hider is not None]
        fid = sum(U.fidelity(m) + 3 * U.read() for m in hiders)
        out.append(("fidelity", nte * fid, f"{nte} test pairs x {fid:.3f} s ({len(hiders)} rows)"))
        srm = U.srm(self.q1) if self.features else 0.0
        if R > 1 and self.features:
            k = math.ceil(N * (1 + len(methods)) / R)
            out.append(("srm-features", k * (srm + U.read()), f"{k} img a rank x {srm:.3f} s"))
        group, what = {}, {}
        for i, label in enumerate(methods):
            w = sum(self.warden(row, ntr, nval, nte) for row in cfg["wardens"].values())
            t = self.seeds * w + N * U.read()
            what_ = f"{self.seeds} seed(s) x {w:.0f} s"
            if R == 1:  # no srm-features stage: each row's stegos (and the covers) here
                t += N * srm * (2 if i == 0 else 1)
            if label == self.attacked:
                tr = sum(self.warden(row, ntr, nval, nte)
                         for row in cfg.get("transfer", {}).values())
                t += tr
                what_ += f" + transfer {tr:.0f} s (one seed)"
            group[f"detect-{slug(label)}"], what[f"detect-{slug(label)}"] = t, what_
        group["control"] = sum(self.warden(row, ntr // 2, nval // 2, nte // 2)
                               for row in cfg["wardens"].values())
        what["control"] = "both wardens on halves of the covers, one seed"
        hc = _harden_settings(U.ex, U.corpus_object()[0]) if cfg.get("harden") else None
        if hc:
            group["harden"], what["harden"] = self.harden(hc)
        owners = stage_owners(U.ex, dict.fromkeys(methods), hc)
        out += self._group(group, what, owners, "wardens, control and game")
        attacks = cfg.get("attacks", {})
        if attacks:
            group, what = {}, {}
            for label, row in attacks.items():
                group[f"attack-{slug(label)}"], what[f"attack-{slug(label)}"] = self.attack(row)
            out += self._group(group, what, U.ex.stages.owners(list(group)), "attacks")
        return out

    def _group(self, costs, what, owners, title):
        busy = [0.0] * self.ranks
        rows = []
        for name, secs in costs.items():
            r = owners[name] % self.ranks
            busy[r] += secs
            rows.append((f"  {name}", secs, f"rank {r}: {what[name]}"))
        rows.append((f"{title} (busiest rank)", max(busy),
                     "ranks busy " + ", ".join(f"{b:.0f}" for b in busy) + " s"))
        return rows

    def attack(self, row) -> tuple[float, str]:
        cfg, U, n = self.cfg, self.U, self.n
        _, settings = _settings(row, "attack")
        images = min(settings.get("images") or n["test"], n["test"])
        per = U.attack(row, self.attacked)
        cnn = cfg["wardens"]["CNN"]
        t = images * per
        t += 2 * images * U.cnn(cnn, self.attacked)["fwd"] + self.cnn_measure(cnn, images)
        t += images * (U.srm(self.q1) if self.features else 0.0)  # the attacked images' features
        t += sum(self.cnn_measure(r, images) for r in cfg.get("transfer", {}).values())
        t += 2 * images * U.reveal(self.attacked)
        what = f"{images} img x {per:.3f} s"
        if settings.get("retrain", True):
            more = (n["train"] + n["val"]) * per
            fit = self.warden(cnn, n["train"], n["val"], images)
            t += more + fit
            what += f" + train/val {more:.0f} s + retrained CNN {fit:.0f} s"
        return t, what

    def harden(self, hc) -> tuple[float, str]:
        """The game (play.play_round): each round its stegos, fresh wardens and SRM+FLD
        (features of every new stego: counted even where round 0's equal the GAN row's),
        round 0 its control, each later round its fine-tuning."""
        U, n, N = self.U, self.n, self.total
        ntr, nval, nte = n["train"], n["val"], n["test"]
        hide, fid = U.harden_hider(hc)
        srm_row = {"detector": hc.srm, "L": hc.srm_L, "d_sub": hc.srm_d_sub}
        total, parts = 0.0, []
        for k in range(hc.rounds + 1):
            t = N * (hide + U.io()) + nte * fid + N * U.srm(hc.srm.endswith("q1-fld"))
            for arch in hc.wardens:
                row = {"detector": arch, "epochs": hc.warden_epochs}
                t += hc.seeds * (self.warden(row, ntr, nval, nte) + self.cnn_measure(row, nval))
                t += k * self.cnn_measure(row, nte)  # every earlier warden on the test stegos
            t += hc.seeds * self.warden(srm_row, ntr, nval, nte)
            if k == 0:
                row = {"detector": hc.wardens[0], "epochs": hc.warden_epochs}
                t += self.warden(row, ntr // 2, nval // 2, nte // 2)
            else:
                t += hc.finetune.steps * U.finetune(hc, k * len(hc.wardens))
            parts.append(t)
            total += t
        return total, (f"{hc.rounds} round(s) of {hc.finetune.steps} steps: "
                       + ", ".join(f"{p:.0f}" for p in parts) + " s")


def load_factor(units: dict):
    """This measurement's units over the committed ones of an otherwise idle machine (a
    Xu-Net training image, an SRM vector): how much load inflated them; None if unknown."""
    import re

    root = Path(__file__).resolve().parents[1] / "results"
    pairs = []
    try:
        m = re.search(r"1 thread\(s\)\s+channels-last\s+([0-9.]+) ms",
                      (root / "warden_speed.txt").read_text())
        pairs.append(("Xu-Net step", units["cnn"][key({"detector": "xunet"})]["step"],
                      float(m.group(1)) / 1000))
        m = re.search(r"advstego\s*:\s*([0-9.]+) s/image", (root / "srm_speed.txt").read_text())
        pairs.append(("SRM vector", units["srm"]["srm"], float(m.group(1))))
    except (OSError, AttributeError, KeyError):
        return None
    return pairs


def startup() -> float:
    """A rank's start: Python, torch and the pipeline imported."""
    t, _ = clock(subprocess.run, [sys.executable, "-c", "import advstego.experiments.pipeline"],
                 check=True)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="offline", help="a preset or a JSON config")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--images", type=int, default=8, help="images a per-image unit is timed on")
    ap.add_argument("--fld-pairs", type=int, default=0,
                    help="training pairs of the larger FLD timing (the smaller: half; "
                         "0: the training split's)")
    ap.add_argument("--units", type=Path, help="units saved by --save-units")
    ap.add_argument("--save-units", type=Path)
    ap.add_argument("--compare", type=Path, help="a finished run's results.json")
    ap.add_argument("--work", type=Path, help="a folder kept for the next call (its corpus "
                    "stage is reused; default: a temporary one)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    cfg = load_config(a.preset)
    if any("train" in row for row in cfg["hiders"].values()):
        sys.exit("offline_budget: a hider row trained in the run: its training is not modelled")
    saved = json.loads(a.units.read_text()) if a.units else {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = a.work or tmp
        ex = Experiment(cfg, Path(tmp), Stages(tmp, quiet=True, ranks=Ranks(a.ranks)), "cpu")
        units = Units(cfg, ex, saved, a.images, a.fld_pairs)
        model = Model(cfg, units, a.ranks)
        stages = model.stages()
        if "startup" not in units.u:
            units.u["startup"] = startup()
    if a.save_units:
        a.save_units.write_text(json.dumps(units.u, indent=1))
    c = units.u["corpus"]
    top = [x for x in stages if not x[0].startswith("  ")]
    total = sum(x[1] for x in top) + units.u["startup"] + REPORT_ALLOWANCE
    measured = {}
    if a.compare:
        measured = {k: v["seconds"] for k, v in json.loads(a.compare.read_text())["stages"].items()}
    d = cfg["data"]
    print(f"{a.preset}: {d['source']} {d['size']}x{d['size']} {d['mode']}, at most "
          f"{d.get('max_tiles') or 'all'} tiles a photo: {sum(c['images'].values())} images ("
          + ", ".join(f"{s} {c['images'][s]} from {c['photos'][s]} photos" for s in SPLITS)
          + f"); {a.ranks} rank(s), one thread each; warden seeds {cfg.get('seeds', 1)}")
    col = (lambda name: f" {measured[name]:10.0f}" if name in measured else f" {'':10s}") \
        if measured else (lambda name: "")
    print(f"{'stage':50s} {'predicted s':>11s}" + (f" {'measured s':>10s}" if measured else "")
          + "   units")
    for name, secs, what in stages:
        print(f"{name:50s} {secs:11.0f}{col(name.strip())}   {what}")
    print(f"{'rank start (imports; measured)':50s} {units.u['startup']:11.0f}")
    print(f"{'report (an allowance, not measured)':50s} {REPORT_ALLOWANCE:11.0f}")
    print(f"{'total wall':50s} {total:11.0f}")
    pairs = load_factor(units.u)
    if pairs:
        f = min(here / idle for _, here, idle in pairs)
        print("load: " + ", ".join(f"{name} {here * 1000:.0f} ms here, {idle * 1000:.0f} ms "
                                     f"idle ({here / idle:.2f}x)" for name, here, idle in pairs)
              + f"; on an idle machine about {total / f:.0f} s (total / {f:.2f})")


if __name__ == "__main__":
    main()
