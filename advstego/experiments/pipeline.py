"""data -> GAN -> stegos -> fidelity -> wardens -> attacks -> report, as cached stages.

Every stego is an 8-bit PNG on disk; every figure below is measured from those files.
Each stage is a function of a `Run`; its cache key is its settings (the seed included), the
keys of its inputs and its entry in VERSIONS, bumped whenever its algorithm changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..attacks.registry import ATTACKS
from ..attacks.run import attack_images, flip_rates
from ..data.prepare import PrepareConfig, prepare
from ..data.sources import photos_for
from ..distributed import pick_device
from ..embedding import simulate
from ..errors import InputError
from ..hiding.classical import StcHider
from ..hiding.evaluate import fidelity as table1_row
from ..hiding.lsb import LsbHider
from ..hiding.model import SHIPPED, HidingModel, builtin_path
from ..hiding.small import SmallSecret
from ..hiding.train import make_config, train
from ..images import read_image, write_image
from ..metrics import mse, psnr_from_mse
from ..progress import progress
from ..steganalysis.cnn import CnnDetector
from ..steganalysis.detector import detection_summary, load_detector
from ..steganalysis.ensemble import SrmFld
from ..steganalysis.features import srm_features
from .cache import Stages
from .corpus import Corpus
from .harden import game_settings, harden
from .harden import make_config as harden_config
from .report import method_label, stc_label, write_report

VERSIONS = {"corpus": 1, "gan": 1, "stegos": 2, "fidelity": 2, "detect": 2, "attack": 2,
            "control": 1, "harden": 2, "srm": 1}


@dataclass
class Run:
    """What every stage needs: the config, the seed, the stage cache, what earlier stages made."""
    cfg: dict
    out: Path
    device: str = "auto"
    quiet: bool = False
    stages: Stages = None
    corpus: Corpus = None
    keys: dict = field(default_factory=dict)      # stage name -> cache key
    dirs: dict = field(default_factory=dict)      # stage name -> folder
    results: dict = field(default_factory=dict)   # what goes into results.json
    hiders: dict = field(default_factory=dict)    # Table 1 name -> Hider
    smaller: dict = field(default_factory=dict)   # a smaller-secret row -> the row it shrinks
    methods: dict = field(default_factory=dict)   # Table 2 name -> ("hide" | "embed", what)

    @property
    def seed(self):
        return self.cfg.get("seed", 0)

    @property
    def ranks(self):
        return self.stages.ranks

    def stage(self, name, kind, settings, deps, fn, mode="one", owner=0):
        """Run or reuse one stage (see Stages.run for mode); returns (folder, result)."""
        folder, result, key = self.stages.run(
            name, {"seed": self.seed, "version": VERSIONS[kind], **settings},
            [self.keys[d] for d in deps], fn, mode, owner)
        self.keys[name], self.dirs[name] = key, folder
        return folder, result


def slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in name)





# ---- stages, in order -------------------------------------------------------------------

def make_corpus(run: Run):
    d = run.cfg["data"]

    def build(tmp):
        src = d["source"] if d["source"] not in ("bossbase", "lfw") else f"{d['source']}:{d['root']}"
        pc = PrepareConfig(source=src, size=d["size"], mode="gray" if d["gray"] else "rgb",
                           crop=d.get("crop", "tiles"), max_tiles=d.get("max_tiles", 0),
                           fractions=tuple(d["split"]), seed=run.seed)
        m = prepare(photos_for(src), pc, tmp / "corpus", force=True,
                    convert_rgb=d["source"] in ("sample", "debian-photos"))
        return {"images": len(m["images"]),
                "by_split": {s: sum(e["split"] == s for e in m["images"]) for s in m["pairs"]}}
    folder, run.results["corpus"] = run.stage("corpus", "corpus", d, [], build)
    run.corpus = Corpus(folder / "corpus")


def train_gan(run: Run):
    """The GAN row's hider: trained here, or (gan.model) a shipped or saved model as is."""
    def build(tmp):
        g = dict(run.cfg["gan"])
        if g.get("model"):
            ch = 1 if run.corpus.mode == "gray" else 3
            HidingModel.load(g["model"], channels=ch).save(tmp / "run" / "model.safetensors")
            return {"val": None, "model": g["model"]}
        last, _ = train(run.corpus.folder, tmp / "run",
                        make_config(g.pop("preset"), seed=run.seed, **g),
                        device=run.device, quiet=run.quiet)
        return {"val": last}
    folder, info = run.stage("gan", "gan", run.cfg["gan"], ["corpus"], build, mode="all")
    run.results["gan_val"] = info["val"]
    run.hiders["GAN"] = HidingModel.load(folder / "run" / "model.safetensors")


def choose_methods(run: Run):
    """Hiders of Table 1 (they carry a secret) and every stego kind of Table 2."""
    cfg = run.cfg
    ch = 1 if run.corpus.mode == "gray" else 3
    run.hiders.update({f"LSB-{k}": LsbHider(k, channels=ch) for k in cfg["lsb_bits"]})
    stc = cfg.get("stc", {})
    cost = stc.get("cost", "suniward")
    for codec, payload in stc.get("rows", []):
        run.hiders[stc_label(cost, codec, payload)] = StcHider(cost, codec, payload,
                                                                h=stc.get("h", 10),
                                                                channels=ch)
    for name, spec in cfg.get("hiders", {}).items():  # more hiding models, e.g. v1, hardened
        if name in run.hiders:
            raise InputError(f"config: hiders.{name} is already a row")
        run.hiders[name] = HidingModel.load(_model_file(spec, ch), channels=ch)
    small = cfg.get("secret_size", {})
    for row in small.get("rows", []):  # the same hiders with a smaller secret
        if row not in run.hiders:
            raise InputError(f"config: secret_size.rows: {row!r} is not a Table 1 row "
                             f"({', '.join(run.hiders)})")
        name = f"{row} + secret {small['size']}x{small['size']}"
        run.hiders[name] = SmallSecret(run.hiders[row], small["size"])
        run.smaller[name] = row
    run.methods = {**{n: ("hide", n) for n in run.hiders},
                   **{method_label(m): ("embed", m) for m in cfg["baselines"]}}


def _model_file(spec: str, channels: int) -> Path:
    """A hiding model's file: a shipped name (v1, v2) or a path."""
    if spec in SHIPPED:
        return builtin_path(spec, channels)
    if not Path(spec).is_file():
        raise InputError(f"config: hiding model {spec!r}: not a shipped name "
                         f"({', '.join(SHIPPED)}) nor a file")
    return Path(spec)


def make_stegos(run: Run):
    c = run.corpus
    files = c.files("train") + c.files("val") + c.files("test")
    for name, (how, what) in run.methods.items():
        def build(tmp, how=how, what=what):
            for f in progress(run.ranks.mine(files), desc=f"stegos {what}", unit="img",
                              disable=True if run.ranks.rank else None):
                cover = c.read(f)
                if how == "hide":
                    s = run.hiders[what].hide(cover, c.read(c.partner[f]))
                else:
                    s = simulate(cover, what, run.cfg["baselines"][what],
                                 seed=run.seed + zlib.crc32(f.encode()))
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                write_image(tmp / f, s)
            return {"stegos": len(files)}
        gan = run.smaller.get(name, name) == "GAN"
        run.stage(f"stegos-{slug(name)}", "stegos", stego_settings(run, name),
                  ["corpus"] + (["gan"] if gan else []), build, mode="all")


def stego_settings(run: Run, name: str) -> dict:
    """What makes a method's stegos: its hider's settings (a model file: its bytes)."""
    hider = run.hiders.get(name)
    if name in run.smaller:
        return {"secret_size": hider.size, "of": stego_settings(run, run.smaller[name])}
    if isinstance(hider, StcHider):
        return hider.describe()
    if name in run.cfg.get("hiders", {}):
        spec = _model_file(run.cfg["hiders"][name], hider.cover_channels)
        return {"model": hashlib.sha1(Path(spec).read_bytes()).hexdigest()}
    what = run.methods[name][1]
    return {"method": what, "payload": run.cfg["baselines"].get(what)}


def measure_fidelity(run: Run):
    """Table 1 on the held-out pairs, from the saved stegos."""
    c, test = run.corpus, run.corpus.files("test")

    def build(tmp):
        return {name: table1_row(h, [c.read(f) for f in test],
                                 [c.read(c.partner[f]) for f in test],
                                 c.read_all(run.dirs[f"stegos-{slug(name)}"], test))
                for name, h in run.hiders.items()}
    _, run.results["table1"] = run.stage("fidelity", "fidelity", {},
                                         [f"stegos-{slug(n)}" for n in run.hiders], build)


def train_wardens(run: Run):
    """Table 2: an SRM+FLD and a CNN trained on each method's training stegos; the CNNs are
    selected on the validation photos' stegos."""
    cfg, c = run.cfg, run.corpus
    train_f, val_f, test_f = c.files("train"), c.files("val"), c.files("test")
    covers_train, covers_test = c.read_all(c.folder, train_f), c.read_all(c.folder, test_f)
    covers_val = c.read_all(c.folder, val_f)
    other_arch = "srnet" if cfg["cnn"]["arch"] == "xunet" else "xunet"
    names = list(run.methods)
    if run.ranks.world > 1:
        share_srm_features(run, names)
    for i, name in enumerate(names):  # each method's wardens on one rank, ranks in turn
        def build(tmp, name=name):
            stegos = run.dirs[f"stegos-{slug(name)}"]
            s_train, s_test = c.read_all(stegos, train_f), c.read_all(stegos, test_f)
            val = (covers_val, c.read_all(stegos, val_f)) if val_f else None
            srm = SrmFld(q1=cfg["srm"]["q1"], seed=run.seed, L=cfg["srm"]["L"],
                         d_sub=cfg["srm"]["d_sub"]).fit(covers_train, s_train)
            srm.save(tmp / "srm.safetensors")
            cnn = CnnDetector(cfg["cnn"]["arch"], epochs=cfg["cnn"]["epochs"], seed=run.seed)
            cnn.fit(covers_train, s_train, run=tmp / "cnn.ckpt", quiet=run.quiet, val=val)
            cnn.save(tmp / "cnn.safetensors")
            dets = [("SRM", srm), ("CNN", cnn)]
            if name == "GAN":  # a second CNN, for the transfer of attacks
                epochs = cfg["cnn"].get("other_epochs", max(1, cfg["cnn"]["epochs"] // 2))
                other = CnnDetector(other_arch, epochs=epochs,
                                    seed=run.seed)
                other.fit(covers_train, s_train, quiet=run.quiet, val=val)
                other.save(tmp / "other.safetensors")
                dets.append((f"CNN-{other_arch}", other))
            out = {tag: detection_summary(d, covers_test, s_test) for tag, d in dets}
            for tag, d in dets:
                if getattr(d, "selected", None):
                    out[tag]["selected"] = d.selected
            return out
        run.stage(f"detect-{slug(name)}", "detect", {"srm": cfg["srm"], "cnn": cfg["cnn"]},
                  [f"stegos-{slug(name)}"], build, mode="async", owner=i)
    control_wardens(run, owner=len(names))
    run.ranks.barrier()
    run.results["table2"] = {n: Stages.result(run.dirs[f"detect-{slug(n)}"]) for n in names}
    run.results["control"] = Stages.result(run.dirs["control"])


def share_srm_features(run: Run, names):
    """Under torchrun: each rank computes the SRM features of its share of every image the
    wardens read; the feature cache on disk then serves them to the rank that trains. A
    stage of its own, so that its time is in the stage table."""
    c, q1 = run.corpus, run.cfg["srm"]["q1"]
    files = c.files("train") + c.files("val") + c.files("test")
    jobs = [c.folder / f for f in files]
    jobs += [run.dirs[f"stegos-{slug(n)}"] / f for n in names for f in files]

    def build(tmp):
        mine = run.ranks.mine(jobs)
        workers = max(1, (os.cpu_count() or 1) // run.ranks.world)
        for i in range(0, len(mine), 256):
            srm_features([read_image(p, c.mode) for p in mine[i:i + 256]], q1, workers)
        return {"images": len(jobs)}
    run.stage("srm-features", "srm", {"q1": q1}, ["corpus"] + [f"stegos-{slug(n)}" for n in names],
              build, mode="all")


def control_wardens(run: Run, owner=0):
    """The cover-vs-cover control: both wardens trained to tell two random halves of the
    covers apart. Nothing is embedded, so a PE well below 0.5 would be a warden's bias."""
    cfg, c = run.cfg, run.corpus
    order = np.random.default_rng(run.seed)

    def halves(split):
        files = sorted(c.files(split))
        files = [files[i] for i in order.permutation(len(files))]
        h = len(files) // 2
        return c.read_all(c.folder, files[:h]), c.read_all(c.folder, files[h:2 * h])

    def build(tmp):
        (a_tr, b_tr), (a_va, b_va), (a_te, b_te) = halves("train"), halves("val"), halves("test")
        srm = SrmFld(q1=cfg["srm"]["q1"], seed=run.seed, L=cfg["srm"]["L"],
                     d_sub=cfg["srm"]["d_sub"]).fit(a_tr, b_tr)
        cnn = CnnDetector(cfg["cnn"]["arch"], epochs=cfg["cnn"]["epochs"], seed=run.seed)
        cnn.fit(a_tr, b_tr, quiet=run.quiet, val=(a_va, b_va) if a_va else None)
        out = {tag: detection_summary(d, a_te, b_te) for tag, d in (("SRM", srm), ("CNN", cnn))}
        if cnn.selected:
            out["CNN"]["selected"] = cnn.selected
        return out
    run.stage("control", "control", {"srm": cfg["srm"], "cnn": cfg["cnn"]}, ["corpus"], build,
              mode="async", owner=owner)


def harden_hider(run: Run):
    """Min-max hardening (harden.py) of a hider on this corpus: every round a frontier point.
    Its rounds live in out/harden/<settings> and resume one by one; more rounds extend it."""
    spec = dict(run.cfg.get("harden") or {})
    if not spec:
        return
    if run.corpus.mode != "gray":
        raise InputError("config: harden plays on gray corpora for now")
    hc = harden_config(spec.pop("preset", "quick"), seed=run.seed, **spec)
    work = run.out / "harden" / hashlib.sha1(json.dumps(
        [game_settings(hc), run.keys["corpus"], VERSIONS["harden"]], sort_keys=True,
        default=str).encode()).hexdigest()[:12]

    def build(tmp):
        device = str(pick_device(run.device))
        return {"folder": str(work.relative_to(run.out)),
                "rounds": harden(run.corpus.folder, work, hc, device=device, quiet=run.quiet)}
    _, res = run.stage("harden", "harden", asdict(hc), ["corpus"], build)
    run.results["hardening"] = {"config": asdict(hc), **res}


def attack_list(cfg) -> list[tuple[str, str, dict]]:
    """(label, attack, settings) of every attack in the config."""
    a = cfg["attacks"]
    out = [(f"FGSM eps={e}", "fgsm", {"eps": e}) for e in a["fgsm_eps"]]
    out.append((f"FGSM-uint8 L-inf<={a['uint8_levels']}", "fgsm-uint8",
                {"levels": a["uint8_levels"], "steps": a["uint8_steps"]}))
    out += [(f"OnePixel p={p}", "onepixel", {"pixels": p, "maxiter": a["onepixel_maxiter"],
                                             "popsize": a["onepixel_popsize"]})
            for p in a["onepixel_pixels"]]
    return out


def attack_stage_name(kind, settings):
    return f"attack-{kind}-" + "-".join(f"{v}" for v in settings.values())


def attack_gan_stegos(run: Run):
    """Table 3: each attack on the GAN's test stegos against the GAN-trained CNN; the
    transfer to the other wardens, and a CNN retrained on the attacked training stegos."""
    cfg, c, gan = run.cfg, run.corpus, run.hiders["GAN"]
    train_f, val_f, test_f = c.files("train"), c.files("val"), c.files("test")
    wardens = {k: load_detector(run.dirs["detect-GAN"] / f"{k}.safetensors")
               for k in ("cnn", "srm", "other")}
    cnn, other_arch = wardens["cnn"], wardens["other"].name
    gan_train = c.read_all(run.dirs["stegos-GAN"], train_f)
    gan_test = c.read_all(run.dirs["stegos-GAN"], test_f)
    gan_val = c.read_all(run.dirs["stegos-GAN"], val_f)
    covers_train, covers_val = c.read_all(c.folder, train_f), c.read_all(c.folder, val_f)
    n_pixel = cfg["attacks"]["onepixel_images"]
    attacks = attack_list(cfg)
    for i, (label, kind, params) in enumerate(attacks):  # each attack on one rank, in turn
        def build(tmp, kind=kind, params=params):
            files = test_f[:n_pixel] if kind == "onepixel" else test_f
            src = gan_test[: len(files)]
            res = attack_images(kind, cnn, src, params)
            for f, img in zip(files, res.images):
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                write_image(tmp / f, img)
            adv = c.read_all(tmp, files)  # measure what was saved
            covers = [c.read(f) for f in files]
            secrets = [c.read(c.partner[f]) for f in files]
            rev, rev0 = gan.reveal(np.stack(adv)), gan.reveal(np.stack(src))
            out = {"images": len(files), "images_attacked": len(files),
                   "cover_mse": float(np.mean([mse(a, x) for a, x in zip(covers, adv)])),
                   "secret_mse": float(np.mean([mse(s, r) for s, r in zip(secrets, rev)])),
                   "secret_mse_before": float(np.mean([mse(s, r) for s, r in zip(secrets, rev0)])),
                   "linf": float(np.mean([np.abs(x.astype(int) - s).max()
                                          for x, s in zip(adv, src)])),
                   "queries": float(np.mean(res.queries)) if kind != "fgsm" else None}
            for k in ("cover", "secret"):
                out[f"{k}_psnr"] = psnr_from_mse(out[f"{k}_mse"])
            out["secret_psnr_before"] = psnr_from_mse(out["secret_mse_before"])
            p_before, p_after = cnn.prob_stego(src), cnn.prob_stego(adv)
            out.update(flip_rates(p_before, p_after))
            out["prob_before"], out["prob_after"] = p_before.tolist(), p_after.tolist()
            for tag, det in (("cnn", cnn), ("srm", wardens["srm"]),
                             ("other_cnn", wardens["other"])):
                out[f"PE_{tag}"] = detection_summary(det, covers, adv)
            out["other_cnn"] = other_arch
            if kind != "onepixel":  # a warden who knows the scheme retrains on hardened stegos
                adv_train = attack_images(kind, cnn, gan_train, params).images
                adv_val = attack_images(kind, cnn, gan_val, params).images if val_f else []
                out["images_attacked"] += len(adv_train) + len(adv_val)
                warden = CnnDetector(cfg["cnn"]["arch"], epochs=cfg["cnn"]["epochs"],
                                     seed=run.seed + 1)
                warden.fit(covers_train, adv_train, quiet=run.quiet,
                           val=(covers_val, adv_val) if val_f else None)
                out["PE_cnn_retrained"] = detection_summary(warden, covers, adv)
            return out
        name = attack_stage_name(kind, params)
        settings = {"kind": kind, "attack_version": ATTACKS.get(kind)[0].version, **params,
                    "n": n_pixel}
        run.stage(name, "attack", settings, ["detect-GAN", "stegos-GAN"], build,
                  mode="async", owner=i)
    run.ranks.barrier()
    run.results["table3"], run.results["attack_dirs"] = {}, {}
    for label, kind, params in attacks:
        folder = run.dirs[attack_stage_name(kind, params)]
        run.results["table3"][label] = Stages.result(folder)
        run.results["attack_dirs"][label] = (kind, folder)


def stage_times(run: Run) -> dict:
    """Seconds each stage took when it ran (a reused stage keeps its first time), and how
    many images it handled where it handles images one by one."""
    n = {s: len(run.corpus.files(s)) for s in ("train", "val", "test")}
    out = {}
    for name, folder in run.dirs.items():
        meta = json.loads((folder / "stage.json").read_text())
        res, images = meta["result"], None
        if name.startswith("stegos-"):
            images = res["stegos"]
        elif name == "srm-features":
            images = res["images"]
        elif name.startswith("attack-"):
            images = res["images_attacked"]
        elif name.startswith("detect-") or name == "control":
            images = 2 * sum(n.values())
        out[name] = {"seconds": round(meta.get("seconds", 0.0), 2), "images": images,
                     "seconds_per_image": round(meta["seconds"] / images, 4) if images else None}
    return out


def write_results(run: Run, wall: float) -> dict:
    """results.json and the report, written by rank 0; every rank returns the results."""
    dirs = run.results.pop("attack_dirs")
    order = list(run.dirs)
    ran, reused = (sorted({n for part in run.ranks.gather(lst) for n in part}, key=order.index)
                   for lst in (run.stages.ran, run.stages.reused))
    results = {"config": run.cfg, **run.results, "stages_ran": ran, "stages_reused": reused,
               "ranks": run.ranks.world, "wall_seconds": round(wall, 1),
               "stages": stage_times(run)}
    if run.ranks.rank == 0:
        write_report(run.out, results, run.corpus, run.dirs["stegos-GAN"], run.hiders["GAN"],
                     dirs)
    run.ranks.barrier()
    return results


def run_experiment(cfg: dict, out, device="auto", quiet=False) -> dict:
    """The paper's experiment and ours, stage by stage; every stage cached and resumable.

    Under torchrun (inside distributed.process_group) the ranks share each stage's images
    or take whole stages in turn; the results equal one process's (same seeds per image)."""
    t0 = time.perf_counter()
    stages = Stages(out, quiet)
    run = Run(cfg, Path(out), device, stages.quiet, stages)
    make_corpus(run)
    train_gan(run)
    choose_methods(run)
    make_stegos(run)
    measure_fidelity(run)
    train_wardens(run)
    attack_gan_stegos(run)
    harden_hider(run)
    return write_results(run, time.perf_counter() - t0)
