"""data -> GAN -> baselines -> detectors -> attacks -> evaluation, as cached stages.

Every stego is an 8-bit PNG on disk; every figure below is measured from those files.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from ..data.prepare import PrepareConfig, load_manifest, prepare
from ..data.sources import photos_for
from ..embedding import simulate
from ..hiding.classical import StcHider
from ..hiding.model import HidingModel, LsbHider
from ..hiding.train import make_config, train
from ..images import read_image, write_image
from ..metrics import detection_errors, mse, pe_min, psnr_from_mse, ssim
from ..progress import progress
from ..steganalysis.cnn import CnnDetector
from ..steganalysis.detector import load_detector
from ..steganalysis.ensemble import SrmFld
from ..attacks.fgsm import UINT8_ALGORITHM
from ..attacks.run import attack_images
from .cache import Stages

COST_NAMES = {"suniward": "S-UNIWARD", "wow": "WOW", "hill": "HILL"}


class Corpus:
    """The prepared images by split, each with the partner that is hidden in it."""

    def __init__(self, folder):
        self.folder = Path(folder)
        m = load_manifest(folder)
        self.split = {e["file"]: e["split"] for e in m["images"]}
        self.partner = {}
        for pairs in m["pairs"].values():
            for c, s in pairs:
                self.partner[c], self.partner[s] = s, c
        files = [e["file"] for e in m["images"]]
        for i, f in enumerate(files):  # an unpaired image hides its neighbour
            self.partner.setdefault(f, files[(i + 1) % len(files)])

    def files(self, split):
        return [f for f, s in self.split.items() if s == split]

    def read(self, f):
        return read_image(self.folder / f, "gray")


def stc_label(cost: str, codec: str, payload: float) -> str:
    return f"STC-{COST_NAMES.get(cost, cost)} + {codec.upper()} {payload:g} bpp"


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in name)


def _read_all(folder, files):
    return [read_image(Path(folder) / f, "gray") for f in files]


def _pe(labels, probs, decisions):
    e = detection_errors(labels, decisions)
    e["PE_min"] = pe_min(labels, probs)
    return e


def run_experiment(cfg: dict, out, device="auto", quiet=False) -> dict:
    out = Path(out)
    st = Stages(out, quiet)
    seed = cfg.get("seed", 0)
    d = cfg["data"]

    # 1. corpus ----------------------------------------------------------------
    def make_corpus(tmp):
        src = d["source"] if d["source"] not in ("bossbase", "lfw") else f"{d['source']}:{d['root']}"
        pc = PrepareConfig(source=src, size=d["size"], mode="gray" if d["gray"] else "rgb",
                           crop=d.get("crop", "tiles"), max_tiles=d.get("max_tiles", 0),
                           fractions=tuple(d["split"]), seed=seed)
        m = prepare(photos_for(src), pc, tmp / "corpus", force=True,
                    convert_rgb=d["source"] in ("sample", "debian-photos"))
        return {"images": len(m["images"]),
                "by_split": {s: sum(e["split"] == s for e in m["images"]) for s in m["pairs"]}}
    cdir, corpus_info, ckey = st.run("corpus", d, [], make_corpus)
    corpus = Corpus(cdir / "corpus")
    train_f, test_f = corpus.files("train"), corpus.files("test")

    # 2. GAN ---------------------------------------------------------------------
    def make_gan(tmp):
        g = dict(cfg["gan"])
        last, _ = train(corpus.folder, tmp / "run", make_config(g.pop("preset"), seed=seed, **g),
                        device=device, quiet=quiet)
        return {"val": last}
    gdir, gan_info, gkey = st.run("gan", cfg["gan"], [ckey], make_gan)
    gan = HidingModel.load(gdir / "run" / "model.safetensors")

    # 3. stegos of every method --------------------------------------------------
    hiders = {"GAN": gan, **{f"LSB-{k}": LsbHider(k) for k in cfg["lsb_bits"]}}
    stc = cfg.get("stc", {})
    for codec, payload in stc.get("rows", []):
        cost = stc.get("cost", "suniward")
        hiders[stc_label(cost, codec, payload)] = StcHider(cost, codec, payload, h=stc.get("h", 10))
    methods = {**{n: ("hide", n) for n in hiders},
               **{m.upper().replace("SUNIWARD", "S-UNIWARD"): ("embed", m)
                  for m in cfg["baselines"]}}
    stego_dirs, skeys = {}, {}
    for name, (how, what) in methods.items():
        def make(tmp, how=how, what=what):
            for f in progress(train_f + test_f, desc=f"stegos {what}", unit="img"):
                cover = corpus.read(f)
                if how == "hide":
                    s = hiders[what].hide(cover, corpus.read(corpus.partner[f]))
                else:
                    s = simulate(cover, what, cfg["baselines"][what], seed=seed + zlib.crc32(f.encode()))
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                write_image(tmp / f, s)
            return {"stegos": len(train_f) + len(test_f)}
        settings = {"method": what, "payload": cfg["baselines"].get(what)}
        if isinstance(hiders.get(what), StcHider):
            settings = hiders[what].describe()
        deps = [ckey] + ([gkey] if name == "GAN" else [])
        stego_dirs[name], _, skeys[name] = st.run(f"stegos-{_slug(name)}", settings, deps, make)

    # 4. Table 1: fidelity on held-out pairs (saved 8-bit stegos) ----------------------
    def fidelity(tmp):
        rows = {}
        for name, h in hiders.items():
            vals = {k: [] for k in ("cover_mse", "secret_mse", "stego_psnr", "secret_psnr",
                                    "stego_ssim", "secret_ssim")}
            for f in test_f:
                cover, secret = corpus.read(f), corpus.read(corpus.partner[f])
                stego = read_image(stego_dirs[name] / f, "gray")
                rev = h.reveal(stego)
                vals["cover_mse"].append(mse(cover, stego))
                vals["secret_mse"].append(mse(secret, rev))
                vals["stego_ssim"].append(ssim(cover, stego))
                vals["secret_ssim"].append(ssim(secret, rev))
            r = {k: float(np.mean(v)) for k, v in vals.items() if v}
            r["stego_psnr"] = psnr_from_mse(r["cover_mse"])
            r["secret_psnr"] = psnr_from_mse(r["secret_mse"])
            r["pairs"] = len(test_f)
            rows[name] = r
        return rows
    _, table1, _ = st.run("fidelity", {}, [skeys[n] for n in hiders], fidelity)

    # 5. Table 2: detectors trained per method ------------------------------------------
    covers_train, covers_test = _read_all(corpus.folder, train_f), _read_all(corpus.folder, test_f)
    labels = np.r_[np.zeros(len(test_f), int), np.ones(len(test_f), int)]
    table2, dkeys, ddirs = {}, {}, {}
    other_arch = "srnet" if cfg["cnn"]["arch"] == "xunet" else "xunet"
    for name in methods:
        def detect(tmp, name=name):
            s_train = _read_all(stego_dirs[name], train_f)
            s_test = _read_all(stego_dirs[name], test_f)
            res = {}
            srm = SrmFld(q1=cfg["srm"]["q1"], seed=seed, L=cfg["srm"]["L"],
                         d_sub=cfg["srm"]["d_sub"]).fit(covers_train, s_train)
            srm.save(tmp / "srm.safetensors")
            cnn = CnnDetector(cfg["cnn"]["arch"], epochs=cfg["cnn"]["epochs"], seed=seed)
            cnn.fit(covers_train, s_train, run=tmp / "cnn.ckpt", quiet=quiet)
            cnn.save(tmp / "cnn.safetensors")
            dets = [("SRM", srm), ("CNN", cnn)]
            if name == "GAN":  # a second CNN, for the transfer of attacks
                other = CnnDetector(other_arch, epochs=max(1, cfg["cnn"]["epochs"] // 2), seed=seed)
                other.fit(covers_train, s_train, quiet=quiet)
                other.save(tmp / "other.safetensors")
                dets.append((f"CNN-{other_arch}", other))
            for tag, det in dets:
                imgs = covers_test + s_test
                res[tag] = _pe(labels, det.prob_stego(imgs), det.predict(imgs))
            return res
        ddirs[name], table2[name], dkeys[name] = st.run(
            f"detect-{_slug(name)}", {"srm": cfg["srm"], "cnn": cfg["cnn"]}, [skeys[name]], detect)

    # 6. attacks on GAN stegos against the GAN-trained CNN --------------------------------
    a = cfg["attacks"]
    cnn = load_detector(ddirs["GAN"] / "cnn.safetensors")
    srm = load_detector(ddirs["GAN"] / "srm.safetensors")
    other = load_detector(ddirs["GAN"] / "other.safetensors")
    attacks = [(f"FGSM eps={e}", "fgsm", {"eps": e}) for e in a["fgsm_eps"]]
    attacks.append((f"FGSM-uint8 L-inf<={a['uint8_levels']}", "fgsm-uint8",
                    {"levels": a["uint8_levels"], "steps": a["uint8_steps"]}))
    attacks += [(f"OnePixel p={p}", "onepixel", {"pixels": p, "maxiter": a["onepixel_maxiter"],
                 "popsize": a["onepixel_popsize"]}) for p in a["onepixel_pixels"]]
    gan_train = _read_all(stego_dirs["GAN"], train_f)
    gan_test = _read_all(stego_dirs["GAN"], test_f)
    table3 = {}
    for label, kind, params in attacks:
        def attack(tmp, kind=kind, params=params):
            files = test_f[: a["onepixel_images"]] if kind == "onepixel" else test_f
            src = gan_test[: len(files)]
            if kind == "onepixel":
                adv, queries, adv_train = [], [], None
                for s in progress(src, desc=f"one pixel p={params['pixels']}", unit="img"):
                    one, q = attack_images(kind, cnn, [s], params)
                    adv += one
                    queries += q
            else:
                adv, queries = attack_images(kind, cnn, src, params)
                adv_train = attack_images(kind, cnn, gan_train, params)[0]
            for f, img in zip(files, adv):
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                write_image(tmp / f, img)
            adv = _read_all(tmp, files)  # measure what was saved
            covers = [corpus.read(f) for f in files]
            secrets = [corpus.read(corpus.partner[f]) for f in files]
            rev = gan.reveal(np.stack(adv))
            rev0 = gan.reveal(np.stack(src))
            lab = np.r_[np.zeros(len(files), int), np.ones(len(files), int)]
            res = {"images": len(files),
                   "cover_mse": float(np.mean([mse(c, x) for c, x in zip(covers, adv)])),
                   "secret_mse": float(np.mean([mse(s, r) for s, r in zip(secrets, rev)])),
                   "secret_mse_before": float(np.mean([mse(s, r) for s, r in zip(secrets, rev0)])),
                   "linf": float(np.mean([np.abs(x.astype(int) - s).max()
                                          for x, s in zip(adv, src)])),
                   "queries": float(np.mean(queries)) if kind != "fgsm" else None}
            for k in ("cover", "secret"):
                res[f"{k}_psnr"] = psnr_from_mse(res[f"{k}_mse"])
            res["secret_psnr_before"] = psnr_from_mse(res["secret_mse_before"])
            p_before, p_after = cnn.prob_stego(src), cnn.prob_stego(adv)
            res["success_rate"] = float(np.mean(p_after < 0.5))
            res["prob_before"], res["prob_after"] = p_before.tolist(), p_after.tolist()
            imgs = covers + adv
            res["PE_cnn"] = _pe(lab, cnn.prob_stego(imgs), cnn.predict(imgs))
            res["PE_srm"] = _pe(lab, srm.prob_stego(imgs), srm.predict(imgs))
            res["PE_other_cnn"] = _pe(lab, other.prob_stego(imgs), other.predict(imgs))
            res["other_cnn"] = other_arch
            if adv_train is not None:  # a warden who knows the scheme retrains on hardened stegos
                warden = CnnDetector(cfg["cnn"]["arch"], epochs=cfg["cnn"]["epochs"], seed=seed + 1)
                warden.fit(covers_train, adv_train, quiet=quiet)
                res["PE_cnn_retrained"] = _pe(lab, warden.prob_stego(imgs), warden.predict(imgs))
            return res
        _, table3[label], _ = st.run(f"attack-{kind}-" + "-".join(f"{v}" for v in params.values()),
                                     {"kind": kind, **params, "n": a["onepixel_images"],
                                      **({"algorithm": UINT8_ALGORITHM} if kind == "fgsm-uint8"
                                         else {})},
                                     [dkeys["GAN"], skeys["GAN"]], attack)

    results = {"config": cfg, "corpus": corpus_info, "gan_val": gan_info["val"],
               "table1": table1, "table2": table2, "table3": table3,
               "stages_ran": st.ran, "stages_reused": st.reused}
    from .report import write_report
    write_report(out, results, corpus, stego_dirs["GAN"], gan,
                 {label: out / "stages" / ("attack-" + kind + "-" +
                                           "-".join(f"{v}" for v in params.values()))
                  for label, kind, params in attacks})
    return results
