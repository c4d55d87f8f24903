"""data -> hiders -> stegos -> fidelity -> wardens -> attacks -> hardening -> report, as
cached stages.

Every stego is an 8-bit PNG on disk; every figure is measured from those files. Every hider,
detector and attack is built through its registry from a config row (config.py): the code
names none of them. Each stage function returns what it made; its cache key is its settings
(the seed included), the keys of the stages it reads and its entry in VERSIONS, bumped
whenever its algorithm changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..attacks.registry import ATTACKS
from ..attacks.run import attack_images, flip_rates
from ..data.corpus import Corpus
from ..data.prepare import PrepareConfig, prepare
from ..data.sources import photos_for
from ..distributed import pick_device
from ..embedding import simulate
from ..hiding.config import make_config
from ..hiding.evaluate import fidelity
from ..hiding.model import SHIPPED, builtin_path
from ..hiding.registry import load_hider, the_hider_that
from ..hiding.small import SmallSecret
from ..game.gan import train
from ..errors import InputError
from ..files import write_text_atomic
from ..images import read_image, write_image
from ..metrics import mse, psnr_from_mse
from ..progress import progress
from ..steganalysis.registry import DETECTORS
from ..steganalysis.detector import (arm, build_detector, control_halves, fit_and_measure,
                                     measure, seed_mean)
from .cache import Stages
from .provenance import busy_seconds, invocations, past_invocations, stage_times
from ..game.tables import load_game
from ..game.play import harden
from .config import ROLES, control_rows, is_jpeg
from ..game.config import game_settings
from ..game.config import make_config as harden_config
from .report import write_report

VERSIONS = {"corpus": 3, "train": 1, "stegos": 3, "fidelity": 2, "detect": 3, "attack": 3,
            "control": 2, "harden": 3, "srm": 2, "carriers": 1, "jpeg-stegos": 1}
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Done:
    """A finished (or reused) stage: its folder, its result and its cache key."""
    name: str
    folder: Path
    result: object
    key: str


@dataclass
class Experiment:
    """The config, the seed and the stage cache of one run. It keeps no results: each
    stage function returns what it made; `done` lists the stages used, for the stage table."""
    cfg: dict
    out: Path
    stages: Stages
    device: str = "auto"
    done: dict = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.cfg.get("seed", 0)

    @property
    def ranks(self):
        return self.stages.ranks

    @property
    def quiet(self) -> bool:
        return self.stages.quiet

    def stage(self, name, kind, settings, deps: list[Done], fn, mode="one", owner=0) -> Done:
        """Run or reuse one stage (see Stages.run for mode)."""
        folder, result, key = self.stages.run(
            name, {"seed": self.seed, "version": VERSIONS[kind], **settings},
            [d.key for d in deps], fn, mode, owner)
        self.done[name] = Done(name, folder, result, key)
        return self.done[name]


@dataclass
class Method:
    """A row of Tables 1-2: a hider that carries a secret, or a baseline embedding."""
    label: str
    settings: dict            # what makes its stegos (part of the stegos stage's key)
    deps: list                # stages its hider depends on (a trained model)
    hider: object = None      # a Hider (Table 1 rows), or
    baseline: dict = None     # {"method", "payload"} of a conseal simulator (Table 2 only)


def slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in name)


def _row(row: dict, key: str) -> tuple[str, dict]:
    """(registry name, settings) of a config row."""
    return row[key], {k: v for k, v in row.items() if k != key}


# ---- stages, in order -------------------------------------------------------------------

def corpus_folder(run) -> Path:
    """The corpus a run prepared (its corpus stage's)."""
    return Stages.folder(run, "corpus") / "corpus"


def make_corpus(ex: Experiment) -> tuple[Corpus, Done]:
    d = ex.cfg["data"]

    def build(tmp):
        kw = {k: v for k, v in d.items() if k != "root"}
        if "root" in d:
            kw["source"] = f"{d['source']}:{d['root']}"
        if "fractions" in kw:  # a JSON list
            kw["fractions"] = tuple(kw["fractions"])
        pc = PrepareConfig(**kw, seed=ex.seed)
        m = prepare(photos_for(pc.source), pc, tmp / "corpus", force=True,
                    convert_rgb=d["source"] in ("sample", "debian-photos", "photos"))
        return {"images": len(m["images"]),
                "by_split": {s: sum(e["split"] == s for e in m["images"]) for s in m["pairs"]}}
    from ..data.sources import fingerprint

    source = f"{d['source']}:{d['root']}" if "root" in d else d["source"]
    sources = fingerprint(photos_for(source))  # a changed photo rebuilds the corpus
    done = ex.stage("corpus", "corpus", {**d, "sources": sources}, [], build)
    return Corpus(corpus_folder(ex.out)), done


def train_hider(ex: Experiment, corpus: Corpus, corpus_done: Done, label: str,
                train_settings: dict) -> Done:
    """A trainable hider's row trained on this corpus (its training preset + overrides)."""
    def build(tmp):
        g = dict(train_settings)
        last, _ = train(corpus.folder, tmp / "run",
                        make_config(g.pop("preset", "quick"), seed=ex.seed, **g),
                        device=ex.device, quiet=ex.quiet)
        return {"val": last}
    return ex.stage(f"train-{slug(label)}", "train", train_settings, [corpus_done], build,
                    mode="all")


def _model_digest(spec: str, channels: int) -> str:
    path = builtin_path(spec, channels) if spec in SHIPPED else Path(spec)
    return hashlib.sha1(path.read_bytes()).hexdigest()


def choose_methods(ex: Experiment, corpus: Corpus, corpus_done: Done) -> tuple[dict, dict]:
    """Every row of Tables 1-2, each built through its registry; and the training results
    of the rows trained here (label -> last validation row)."""
    ch = 1 if corpus.mode == "gray" else 3
    methods, trained = {}, {}
    for label, row in ex.cfg["hiders"].items():
        name, settings = _row(row, "hider")
        deps, what = [], {"hider": name, **settings}
        if "train" in settings:  # trained here: the row's model is the run's model file
            done = train_hider(ex, corpus, corpus_done, label, settings.pop("train"))
            trained[label] = done.result["val"]
            settings["model"] = str(done.folder / "run" / "model.safetensors")
            deps, what = [done], {"hider": name, "trained": done.key}
        elif settings.get("model"):  # a model file: its bytes make its stegos
            what = {**what, "model": _model_digest(settings["model"], ch)}
        methods[label] = Method(label, what, deps, hider=load_hider(name, ch, **settings))
    small = ex.cfg.get("secret_size") or {}
    for of in small.get("rows", []):  # the same hiders with a smaller secret
        m = methods[of]
        label = f"{of} + secret {small['size']}x{small['size']}"
        methods[label] = Method(label, {"secret_size": small["size"], "of": m.settings},
                                m.deps, hider=SmallSecret(m.hider, small["size"]))
    rows = {**ex.cfg.get("baselines", {}),
            **{k: row for k, (row, _) in control_rows(ex.cfg).items()}}
    for label, row in rows.items():
        methods[label] = Method(label, dict(row), [], baseline=row)
    return methods, trained


def make_stegos(ex: Experiment, corpus: Corpus, corpus_done: Done, methods: dict) -> dict:
    """Stegos of every method for every image of every split, saved as PNG; label -> Done."""
    files = [f for s in SPLITS for f in corpus.files(s)]
    out = {}
    for label, m in methods.items():
        def build(tmp, m=m):
            for f in progress(ex.ranks.mine(files), desc=f"stegos {m.label}", unit="img",
                              disable=True if ex.ranks.rank else None):
                cover = corpus.read(f)
                if m.hider is not None:
                    s = m.hider.hide(cover, corpus.read(corpus.partner[f]))
                else:
                    key = m.baseline.get("key", 0)  # another key: other changes, same costs
                    s = simulate(cover, m.baseline["method"], m.baseline["payload"],
                                 seed=ex.seed + zlib.crc32(f.encode()) + 7919 * key)
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                write_image(tmp / f, s)
            return {"stegos": len(files)}
        out[label] = ex.stage(f"stegos-{slug(label)}", "stegos", m.settings,
                              [corpus_done, *m.deps], build, mode="all")
    return out


def measure_fidelity(ex: Experiment, corpus: Corpus, methods: dict, stegos: dict) -> dict:
    """Table 1 on the held-out pairs, from the saved stegos."""
    test = corpus.files("test")
    hiders = {k: m.hider for k, m in methods.items() if m.hider is not None}

    def build(tmp):
        covers = corpus.read_all(corpus.folder, test)
        secrets = corpus.read_all(corpus.folder, [corpus.partner[f] for f in test])
        return {label: fidelity(h, covers, secrets, corpus.read_all(stegos[label].folder, test))
                for label, h in hiders.items()}
    return ex.stage("fidelity", "fidelity", {}, [stegos[k] for k in hiders], build).result


def warden(ex: Experiment, row: dict, seed_offset: int = 0, **extra):
    """A fresh warden from a config row ({"detector": name, settings...})."""
    name, settings = _row(row, "detector")
    return build_detector(name, seed=ex.seed + seed_offset, **settings, **extra)


def _splits(corpus: Corpus, folder) -> dict:
    return {s: corpus.read_all(folder, corpus.files(s)) for s in SPLITS}


# the game's cost where never measured, in detect stages of one warden seed each: a round's
# stegos, fresh wardens and features, and a step of the deep hider's fine-tuning
# (benchmarks/offline_budget.py on the offline preset's corpus, one core: a round about 460 s
# and a step 5.6 s beside 171 s a warden seed; a larger corpus weighs the steps less)
GAME_ROUND, GAME_STEP = 2.7, 0.033


def stage_owners(ex: Experiment, stegos: dict, hc) -> dict:
    """The rank of each stage of the wardens' group (every detect stage, the control, and
    the game where there is one), longest first. Where never measured, a detect stage
    counts 1 (its wardens trained once a seed), the attacked row's 1 more a transfer warden
    over the seeds (trained once), and the game its rounds and fine-tuning steps (GAME_ROUND,
    GAME_STEP) over the seeds."""
    seeds = ex.cfg.get("seeds", 1)
    names = [f"detect-{slug(k)}" for k in stegos] + ["control"] + (["harden"] if hc else [])
    weights = {f"detect-{slug(ex.cfg['attacked'])}":
               1 + len(ex.cfg.get("transfer") or {}) / seeds}
    if hc:
        steps = hc.finetune.steps if hc.finetune else 0
        weights["harden"] = ((hc.rounds + 1) * GAME_ROUND + hc.rounds * steps * GAME_STEP) / seeds
    return ex.stages.owners(names, weights)


def train_wardens(ex: Experiment, corpus: Corpus, corpus_done: Done, stegos: dict,
                  owners: dict) -> dict:
    """Table 2: both wardens (SRM, CNN) trained from scratch on each method's training
    stegos, selected on the validation photos' stegos, tested on the test photos; the
    attacked row's also meets the transfer wardens. label -> Done (its folder holds them).
    owners: stage_owners; under torchrun, share_features has run first."""
    cfg, covers = ex.cfg, _splits(corpus, corpus.folder)
    photos = [corpus.photo[f] for f in corpus.files("test")] * 2  # covers, then stegos
    out = {}
    for label, st in stegos.items():  # each method's wardens on one rank, longest first
        transfer = cfg.get("transfer", {}) if label == cfg["attacked"] else {}

        def build(tmp, st=st, transfer=transfer):
            s = _splits(corpus, st.folder)
            res = {}
            for tag, row in {**cfg["wardens"], **transfer}.items():
                res[tag] = judge(ex, row, tmp / slug(tag), (covers["train"], s["train"]),
                                 (covers["test"], s["test"]), (covers["val"], s["val"]), photos,
                                 seeds=1 if tag in transfer else None)
            return res
        seeds = {"seeds": cfg["seeds"]} if cfg.get("seeds", 1) > 1 else {}
        out[label] = ex.stage(f"detect-{slug(label)}", "detect",
                              {"wardens": cfg["wardens"], "transfer": transfer, **seeds},
                              [st], build, mode="async", owner=owners[f"detect-{slug(label)}"])
    out["control"] = control_wardens(ex, corpus, corpus_done, owner=owners["control"])
    return _finished(ex, out)


def judge(ex: Experiment, row: dict, path: Path, train, test, val, photos,
          seeds: int | None = None) -> dict:
    """A warden row trained from scratch with each of the run's `seeds` (path.safetensors,
    then path-seed1.safetensors, ...) and tested: one seed's summary, or the mean over seeds
    with each seed's PE, all their calls and the two-level interval. seeds: another count
    (a transfer warden takes one: the attacks read path.safetensors only)."""
    runs = []
    for k in range(seeds or ex.cfg.get("seeds", 1)):
        stem = str(path) + (f"-seed{k}" if k else "")
        det = warden(ex, row, seed_offset=k)
        runs.append(fit_and_measure(det, train, test, val=val, run=Path(stem + ".ckpt"),
                                    quiet=ex.quiet, photos=photos))
        det.save(stem + ".safetensors")
    return seed_mean(runs)


def _finished(ex: Experiment, stages: dict) -> dict:
    """Stages run "async" on their owners, read back by every rank once all are sealed."""
    ex.ranks.barrier()
    return {k: Done(d.name, d.folder, Stages.result(d.folder), d.key) for k, d in stages.items()}


def share_features(ex: Experiment, corpus: Corpus, corpus_done: Done, stegos: dict):
    """Under torchrun: each rank extracts the features (SRM) of its share of every image the
    feature warden reads; the feature cache on disk then serves them to the rank that
    trains. A stage of its own, so that its time is in the stage table."""
    row = ex.cfg["wardens"]["SRM"]
    if not DETECTORS.get(row["detector"])[0].extracts_features:
        return
    det = warden(ex, row, workers=max(1, (os.cpu_count() or 1) // ex.ranks.world))
    files = [f for s in SPLITS for f in corpus.files(s)]
    jobs = [corpus.folder / f for f in files] + [d.folder / f for d in stegos.values()
                                                  for f in files]

    def build(tmp):
        mine = ex.ranks.mine(jobs)
        for i in range(0, len(mine), 256):
            det.features([read_image(p, corpus.mode) for p in mine[i:i + 256]])
        return {"images": len(jobs)}
    ex.stage("srm-features", "srm", {"warden": ex.cfg["wardens"]["SRM"]},
             [corpus_done, *stegos.values()], build, mode="all")


def control_wardens(ex: Experiment, corpus: Corpus, corpus_done: Done, owner=0) -> Done:
    """The cover-vs-cover control: both wardens trained to tell two random halves of the
    covers apart. Nothing is embedded, so a PE well below 0.5 would be a warden's bias."""
    def build(tmp):
        halves = {s: control_halves(corpus.read_all(corpus.folder, sorted(corpus.files(s))),
                                    ex.seed + i) for i, s in enumerate(SPLITS)}
        test = sorted(corpus.files("test"))  # the test halves' photos, drawn the same way
        a, b = control_halves(test, ex.seed + SPLITS.index("test"))
        photos = [corpus.photo[f] for f in a + b]
        return {tag: fit_and_measure(warden(ex, row), halves["train"], halves["test"],
                                     val=halves["val"], quiet=ex.quiet, photos=photos)
                for tag, row in ex.cfg["wardens"].items()}
    return ex.stage("control", "control", {"wardens": ex.cfg["wardens"]}, [corpus_done], build,
                    mode="async", owner=owner)


# ---- attacks on the attacked row's stegos -------------------------------------------------

def _mean_psnr(pairs) -> tuple[float, float]:
    m = float(np.mean([mse(a, b) for a, b in pairs]))
    return m, psnr_from_mse(m)


def attack_one(ex: Experiment, corpus: Corpus, hider, stegos: dict, wardens: dict,
               row: dict, tmp: Path) -> dict:
    """One attack on the test stegos against the attacked CNN; the transfer to the other
    wardens, and (retrain) a CNN retrained on the attacked training stegos."""
    name, settings = _row(row, "attack")
    n, retrain = settings.pop("images", 0), settings.pop("retrain", True)
    test = corpus.files("test")
    files = test[:n] if n else test
    src = stegos["test"][:len(files)]
    cnn = wardens["CNN"]
    t = time.perf_counter()
    res = attack_images(name, cnn, src, settings)
    attack_s = time.perf_counter() - t
    for f, img in zip(files, res.images):
        (tmp / f).parent.mkdir(parents=True, exist_ok=True)
        write_image(tmp / f, img)
    adv = corpus.read_all(tmp, files)  # measure what was saved
    covers = [corpus.read(f) for f in files]
    secrets = [corpus.read(corpus.partner[f]) for f in files]
    rev, rev0 = hider.reveal(np.stack(adv)), hider.reveal(np.stack(src))
    out = {"images": len(files), "images_attacked": len(files),
           "linf": float(np.mean([np.abs(x.astype(int) - s).max() for x, s in zip(adv, src)])),
           "queries": float(np.mean(res.queries)) if any(res.queries) else None}
    out["cover_mse"], out["cover_psnr"] = _mean_psnr(zip(covers, adv))
    out["secret_mse"], out["secret_psnr"] = _mean_psnr(zip(secrets, rev))
    out["secret_mse_before"], out["secret_psnr_before"] = _mean_psnr(zip(secrets, rev0))
    p_before, p_after = cnn.prob_stego(src), cnn.prob_stego(adv)
    out.update(flip_rates(p_before, p_after))
    out["prob_before"], out["prob_after"] = p_before.tolist(), p_after.tolist()
    photos = [corpus.photo[f] for f in files] * 2  # intervals by photo, as Table 2's
    out["PE_cnn"] = measure(cnn, covers, adv, photos)
    out["PE_srm"] = measure(wardens["SRM"], covers, adv, photos)
    out["PE_transfer"] = {tag: measure(w, covers, adv, photos) for tag, w in wardens.items()
                          if tag not in ("CNN", "SRM")}
    if retrain:  # a warden who knows the scheme retrains on attacked stegos
        t = time.perf_counter()
        adv_train = attack_images(name, cnn, stegos["train"], settings).images
        adv_val = attack_images(name, cnn, stegos["val"], settings).images
        attack_s += time.perf_counter() - t
        out["images_attacked"] += len(adv_train) + len(adv_val)
        cover_split = _splits(corpus, corpus.folder)
        out["PE_cnn_retrained"] = fit_and_measure(
            warden(ex, ex.cfg["wardens"]["CNN"], seed_offset=1),
            (cover_split["train"], adv_train), (covers, adv),
            val=(cover_split["val"], adv_val), quiet=ex.quiet, photos=photos)
    out["attack_seconds"] = round(attack_s, 2)  # the attack alone, not its wardens
    return out


def attack_stegos(ex: Experiment, corpus: Corpus, hider, stegos: Done, detect: Done) -> dict:
    """Table 3: every attack of the config on the attacked row's stegos; label -> Done."""
    from ..steganalysis.detector import load_detector

    tags = [*ex.cfg["wardens"], *ex.cfg.get("transfer", {})]
    out = {}
    owners = ex.stages.owners([f"attack-{slug(k)}" for k in ex.cfg.get("attacks", {})])
    for label, row in ex.cfg.get("attacks", {}).items():
        def build(tmp, row=row):
            wardens = {t: load_detector(detect.folder / f"{slug(t)}.safetensors") for t in tags}
            return attack_one(ex, corpus, hider, _splits(corpus, stegos.folder), wardens,
                              row, tmp)
        cls = ATTACKS.get(row["attack"])[0]
        out[label] = ex.stage(f"attack-{slug(label)}", "attack",
                              {**row, "attack_version": cls.version}, [detect, stegos], build,
                              mode="async", owner=owners[f"attack-{slug(label)}"])
    return _finished(ex, out)


def _harden_settings(ex: Experiment, corpus: Corpus):
    """The experiment's game (config key harden), or None."""
    spec = dict(ex.cfg.get("harden") or {})
    if not spec:
        return None
    if corpus.mode != "gray":
        raise InputError("config: harden plays on gray corpora for now")
    return harden_config(spec.pop("preset", "quick"), seed=ex.seed, **spec)


def harden_hider(ex: Experiment, corpus: Corpus, corpus_done: Done, hc, owner=0) -> Done:
    """Min-max hardening (harden.py) of a hider on this corpus: every round a frontier point.
    Its rounds live in out/harden/<settings> and resume one by one; more rounds extend it.
    Started beside the wardens (async, on its owner rank); hc: _harden_settings."""
    work = ex.out / "harden" / hashlib.sha1(json.dumps(
        [game_settings(hc), corpus_done.key, VERSIONS["harden"]], sort_keys=True,
        default=str).encode()).hexdigest()[:12]

    def build(tmp):
        device = str(pick_device(ex.device))
        return {"folder": str(work.relative_to(ex.out)),
                "rounds": [r.to_dict() for r in harden(corpus.folder, work, hc, device=device,
                                                       quiet=ex.quiet)]}
    return ex.stage("harden", "harden", hc.to_dict(), [corpus_done], build, mode="async",
                    owner=owner)


def play_games(ex: Experiment, corpus: Corpus, corpus_done: Done) -> dict:
    """The STC strategies of Table 6: each `games` row a harden --method stc run (round 0
    the plain costs, round 1 ADV-EMB, then min-max rounds), in out/games/<settings>."""
    out = {}
    for label, row in (ex.cfg.get("games") or {}).items():
        if corpus.mode != "gray":
            raise InputError("config: games play on gray corpora for now")
        spec = {**row, "method": the_hider_that("takes_adversarial_costs", jpeg_files=False)}
        hc = harden_config(spec.pop("preset", "quick"), seed=ex.seed, **spec)
        work = ex.out / "games" / hashlib.sha1(json.dumps(
            [game_settings(hc), corpus_done.key, VERSIONS["harden"]], sort_keys=True,
            default=str).encode()).hexdigest()[:12]

        def build(tmp, hc=hc, work=work):
            harden(corpus.folder, work, hc, device=str(pick_device(ex.device)), quiet=ex.quiet)
            return {"folder": str(work.relative_to(ex.out)), **load_game(work)}
        out[label] = ex.stage(f"game-{slug(label)}", "harden", hc.to_dict(), [corpus_done],
                              build).result
    return out


# ---- results ------------------------------------------------------------------------------

def simulated_rows(methods: dict) -> dict:
    """Baseline label -> the Table 1 row it is placed at on the frontier: a hider with the
    baseline's cost and payload (conseal's simulator carries no secret)."""
    out = {}
    for label, m in methods.items():
        if m.baseline is None:
            continue
        for other in methods.values():
            d = other.hider.describe() if other.hider is not None else {}
            if d.get("cost") == m.baseline["method"] and \
                    d.get("payload_bpp") == m.baseline["payload"] and "secret_size" not in d:
                out[label] = other.label
                break
    return out


def comparisons(cfg: dict, table2: dict) -> list[dict]:
    """Paired ΔPE (b minus a, same test photos, same photo draws) for each warden: the
    controls' (A/A null, positive control) and the config's `compare` pairs."""
    from ..stats import paired

    todo = [(ref, label, role) for label, (_, (ref, role)) in control_rows(cfg).items()]
    todo += [(a, b, "compare") for a, b in cfg.get("compare", [])]
    out = []
    for a, b, role in todo:
        for w in ROLES:
            ca, cb = (table2.get(x, {}).get(w, {}).get("calls") for x in (a, b))
            row = {"a": a, "b": b, "warden": w, "role": role}
            arms = [arm(ca), arm(cb)] if ca and cb else []
            out.append({**row, **paired(*arms)} if arms and len(arms[0].photos) > 1 else row)
    return out


def accounting(ex: Experiment, corpus, past: list, t0: float) -> tuple:
    """A finished invocation's stages (ran, reused: in stage order over every rank), its wall
    seconds, the invocations so far, and each stage's times."""
    order = list(ex.done)
    ran, reused = (sorted({n for part in ex.ranks.gather(lst) for n in part}, key=order.index)
                   for lst in (ex.stages.ran, ex.stages.reused))
    wall = time.perf_counter() - t0
    return ran, reused, wall, invocations(ex, past, wall, ran), stage_times(ex, corpus, ran)


def run_experiment(cfg: dict, out, device="auto", quiet=False) -> dict:
    """The paper's experiment and ours, stage by stage; every stage cached and resumable.

    Under torchrun (inside distributed.process_group) the ranks share each stage's images
    or take whole stages in turn; the results equal one process's (same seeds per image), up
    to the float rounding of a CNN's kernels, which changes with the thread count."""
    if is_jpeg(cfg):
        raise ValueError("a config of JPEG covers: experiments/jpeg.py runs it")
    t0 = time.perf_counter()
    ex = Experiment(cfg, Path(out), Stages(out, quiet), device)
    path = ex.out / "invocations.json"
    past = past_invocations(ex.out)
    ex.stages.invocation = 1 + max((p["invocation"] for p in past), default=-1)
    corpus, corpus_done = make_corpus(ex)
    methods, trained = choose_methods(ex, corpus, corpus_done)
    stegos = make_stegos(ex, corpus, corpus_done, methods)
    table1 = measure_fidelity(ex, corpus, methods, stegos)
    hc = _harden_settings(ex, corpus)
    owners = stage_owners(ex, stegos, hc)  # the game runs on its rank beside the wardens
    if ex.ranks.world > 1:  # every rank, before the game takes its own
        share_features(ex, corpus, corpus_done, stegos)
    game = harden_hider(ex, corpus, corpus_done, hc, owners["harden"]) if hc else None
    detect = train_wardens(ex, corpus, corpus_done, stegos, owners)
    hardening = ({"config": hc.to_dict(), **_finished(ex, {"harden": game})["harden"].result}
                 if hc else None)
    attacked = cfg["attacked"]
    attacks = attack_stegos(ex, corpus, methods[attacked].hider, stegos[attacked],
                            detect[attacked])
    games = play_games(ex, corpus, corpus_done)
    ran, reused, wall, runs, stages = accounting(ex, corpus, past, t0)
    results = {"config": cfg, "corpus": corpus_done.result, "trained": trained,
               "attacked": attacked, "table1": table1,
               "table2": {k: d.result for k, d in detect.items() if k != "control"},
               "control": detect["control"].result,
               "table3": {k: d.result for k, d in attacks.items()},
               "baselines": {k: m.baseline for k, m in methods.items() if m.baseline},
               "simulated": simulated_rows(methods),
               "stages_ran": ran, "stages_reused": reused, "ranks": ex.ranks.world,
               "wall_seconds": round(wall, 1), "stages": stages, "invocations": runs,
               "wall_seconds_total": round(sum(x["wall_seconds"] for x in runs), 1),
               "busy_seconds": busy_seconds(stages, ex.stages.invocation, ex.ranks.world)}
    results["comparisons"] = comparisons(cfg, results["table2"])
    if hardening:
        results["hardening"] = hardening
    if games:
        results["games"] = games
    if ex.ranks.rank == 0:
        write_text_atomic(path, json.dumps(runs, indent=1))
        write_report(ex.out, results, corpus, stegos[attacked].folder, methods[attacked].hider,
                     {k: d.folder for k, d in attacks.items()})
    ex.ranks.barrier()
    return results
