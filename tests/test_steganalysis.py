"""The warden: baselines, SRM+FLD, CNNs, one detector interface, and the field's checks.

Detectability and the cover-vs-cover control run on synthetic covers (smooth random
fields with mild sensor noise) so they are fast and deterministic; the real-photo
figures are measured by the larger run in the README.
"""

import json

import numpy as np
import pytest

from advstego.data.synthetic import synthetic_covers
from advstego.embedding import simulate
from advstego.errors import InputError
from advstego.hiding.lsb import LsbHider
from advstego.images import read_image, write_image
from advstego.steganalysis.cnn import CnnDetector
from advstego.steganalysis.detector import (build_detector, evaluate_detector, load_detector,
                                            load_pairs)
from advstego.steganalysis.ensemble import SrmFld
from conftest import assert_clean_error, textured


@pytest.fixture(scope="module")
def synth():
    covers = synthetic_covers(300)
    stegos = [simulate(c, "suniward", 0.4, seed=i) for i, c in enumerate(covers)]
    return covers, stegos


def test_simulators_uint8_seeded_and_rgb_per_channel(rng):
    cover = textured(rng, 40, 40)
    for method in ("wow", "suniward", "hill"):
        a = simulate(cover, method, 0.4, seed=3)
        assert a.dtype == np.uint8 and a.shape == cover.shape
        assert 0 < np.mean(a != cover) < 0.3
        assert np.abs(a.astype(int) - cover).max() == 1
        assert np.array_equal(a, simulate(cover, method, 0.4, seed=3))
    rgb = textured(rng, 32, 32, 3)
    s = simulate(rgb, "hill", 0.4, seed=1)
    assert s.shape == rgb.shape and all((s[..., c] != rgb[..., c]).any() for c in range(3))
    with pytest.raises(InputError, match="unknown method"):
        simulate(cover, "f5")


@pytest.mark.slow
def test_suniward_is_detected_by_srm_fld(synth):
    covers, stegos = synth
    det = SrmFld(q1=True, L=31, d_sub=600, workers=1).fit(covers[:200], stegos[:200])
    r = evaluate_detector(det, covers[200:], stegos[200:])
    assert r["PE"] < 0.35, r


@pytest.mark.slow
def test_cover_vs_cover_control_stays_at_chance(synth):
    covers, _ = synth
    order = np.random.default_rng(5).permutation(len(covers))  # random labels, not by source
    a, b = [covers[i] for i in order[:150]], [covers[i] for i in order[150:]]
    det = SrmFld(q1=True, L=31, d_sub=600, workers=1).fit(a[:75], b[:75])
    r = evaluate_detector(det, a[75:], b[75:])
    assert abs(r["PE"] - 0.5) <= 0.05, r


@pytest.mark.slow
def test_xunet_separates_lsb4_stegos_on_the_sample_corpus(sample64):
    import json
    m = json.loads((sample64 / "manifest.json").read_text())

    def split(name):
        imgs = [read_image(sample64 / e["file"]) for e in m["images"] if e["split"] == name]
        h = LsbHider(4)
        return imgs, [h.hide(c, imgs[(i + 5) % len(imgs)]) for i, c in enumerate(imgs)]

    (c, s), (tc, ts) = split("train"), split("test")
    # lr 1e-2: PE 0.20-0.22, PE_min 0.06-0.08 on one thread or two (at lr 1e-3, PE
    # 0.33-0.36: which side of the bound it fell on hung on the thread count's float order)
    det = CnnDetector("xunet", epochs=6, batch=16, lr=1e-2).fit(c, s, quiet=True)
    r = evaluate_detector(det, tc, ts)
    assert r["PE_min"] < 0.25 and r["PE"] < 0.35, {k: r[k] for k in ("PE", "PE_min", "n")}


@pytest.mark.slow
def test_detectors_save_load_same_scores(tmp_path, synth):
    covers, stegos = synth
    for name, kw in (("srmq1-fld", {"L": 5, "d_sub": 200, "workers": 1}),
                     ("xunet", {"epochs": 1}), ("srnet", {"epochs": 1})):
        det = build_detector(name, **kw)
        fit_kw = {"quiet": True} if name != "srmq1-fld" else {}
        det.fit(covers[:16], stegos[:16], **fit_kw)
        p = det.prob_stego(covers[16:24])
        assert p.shape == (8,) and ((0 <= p) & (p <= 1)).all()
        path = det.save(tmp_path / f"{name}.safetensors")
        again = load_detector(path)
        assert np.array_equal(again.prob_stego(covers[16:24]), p)
        assert np.array_equal(again.predict(covers[16:24]), det.predict(covers[16:24]))
        # scores (the min-max choice's): the same after a reload, and finer than the vote
        sc = det.scores(covers[16:24])
        assert np.array_equal(again.scores(covers[16:24]), sc)
        assert len(np.unique(sc)) >= len(np.unique(p))
    with pytest.raises(InputError, match="unknown detector"):
        build_detector("svm")


@pytest.mark.slow
def test_cnn_training_resumes(tmp_path, synth):
    covers, stegos = synth
    full = CnnDetector("xunet", epochs=2, batch=8).fit(covers[:16], stegos[:16], quiet=True)
    part = CnnDetector("xunet", epochs=2, batch=8)
    part.fit(covers[:16], stegos[:16], run=tmp_path / "ck", quiet=True, stop_after=1)
    assert [r["epoch"] for r in part.log] == [1]
    rest = CnnDetector("xunet", epochs=2, batch=8)
    rest.fit(covers[:16], stegos[:16], run=tmp_path / "ck", quiet=True)
    assert [r["epoch"] for r in rest.log] == [1, 2]
    assert np.array_equal(rest.prob_stego(covers[16:20]), full.prob_stego(covers[16:20]))


def test_cli_embed_detect_train_and_test(tmp_path, cli, tiny_corpus):
    stegos = tmp_path / "hill"
    r = cli("embed", "--method", "hill", "--in", tiny_corpus, "--out", stegos, "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert (stegos / "manifest.json").exists()
    names, c, s = load_pairs(tiny_corpus, stegos, "all")
    assert len(names) == len(c) == len(s) > 0
    model = tmp_path / "x.safetensors"
    r = cli("detect", "train", "--detector", "xunet", "--epochs", "1", "--covers", tiny_corpus,
            "--stegos", stegos, "-o", model, "--seeds", "2")
    assert r.returncode == 0, r.stderr
    second = tmp_path / "x-seed1.safetensors"
    assert second.exists() and model.read_bytes() != second.read_bytes()  # two trainings
    r = cli("detect", "test", "--detector", model, "--covers", tiny_corpus, "--stegos", stegos,
            "--csv", tmp_path / "scores.csv")
    assert r.returncode == 0, r.stderr
    assert "PE" in r.stdout and "w/Vn" in r.stdout
    n_photos = len({e["photo"] for e in json.loads((tiny_corpus / "manifest.json").read_text())[
        "images"] if e["split"] == "test"})
    assert (f"95% interval, resampling {n_photos} photos: PE " in r.stdout if n_photos > 1
            else "no interval: every test image comes from one photo" in r.stdout)
    r = cli("detect", "test", "--detector", model, "--covers", tiny_corpus, "--stegos", stegos,
            "--split", "all")
    assert r.returncode == 0 and "95% interval, resampling" in r.stdout, r.stderr
    both = cli("detect", "test", "--detector", model, second, "--covers", tiny_corpus,
               "--stegos", stegos)
    assert both.returncode == 0 and "x 2 seeds (mean)" in both.stdout, both.stderr
    rows = (tmp_path / "scores.csv").read_text().splitlines()
    assert rows[0] == "image,label,prob_stego,decision" and len(rows) > 2
    # bad input
    r = cli("detect", "test", "--detector", model, "--covers", tiny_corpus, "--stegos",
            tmp_path / "none")
    assert_clean_error(r, "none", "no such folder")
    (tmp_path / "junk.safetensors").write_bytes(b"123")
    r = cli("detect", "test", "--detector", tmp_path / "junk.safetensors", "--covers",
            tiny_corpus, "--stegos", stegos)
    assert_clean_error(r, "junk.safetensors", "not a valid advstego model")
    (tmp_path / "other").mkdir()
    write_image(tmp_path / "other" / "unrelated.png", c[0])
    r = cli("detect", "train", "--detector", "xunet", "--covers", tiny_corpus, "--stegos",
            tmp_path / "other", "-o", tmp_path / "y.safetensors")
    assert_clean_error(r, "no cover")
    r = cli("embed", "--method", "wow", "--in", tmp_path / "empty", "--out", tmp_path / "o")
    assert_clean_error(r, "no such folder")


@pytest.mark.slow
def test_cnn_keeps_the_epoch_of_lowest_validation_pe(tmp_path, synth):
    covers, stegos = synth
    val = (covers[16:24], stegos[16:24])
    det = CnnDetector("xunet", epochs=3, batch=8)
    det.fit(covers[:16], stegos[:16], quiet=True, val=val, run=tmp_path / "ck", stop_after=2)
    det = CnnDetector("xunet", epochs=3, batch=8)  # resumed: the best so far is remembered
    det.fit(covers[:16], stegos[:16], quiet=True, val=val, run=tmp_path / "ck")
    pes = [r["val_pe"] for r in det.log]
    assert len(pes) == 3 and det.selected["val_pe"] == min(pes)
    assert det.selected["epoch"] == pes.index(min(pes)) + 1
    assert det._val_pe(val) == min(pes)  # the kept net is that epoch's, not the last
    again = load_detector(det.save(tmp_path / "d.safetensors"))
    assert again.selected == det.selected


@pytest.mark.slow
def test_cnn_curriculum_warms_up_on_easy_stegos_then_selects_on_the_target(synth):
    covers, stegos = synth
    covers, stegos = covers[:40], stegos[:40]
    easy = [simulate(c, "suniward", 1.0, seed=i) for i, c in enumerate(covers)]
    det = build_detector("xunet", epochs=2, batch=8)
    det.fit_curriculum(covers[:30], easy[:30], stegos[:30], 1, quiet=True,
                       val=(covers[30:], stegos[30:]))
    assert [r.get("warmup", False) for r in det.log] == [True, False, False]
    assert det.epochs == 2 and det.selected["epoch"] in (1, 2)
    assert 0 <= det.prob_stego(covers[30:]).mean() <= 1


def test_wardens_take_rgb(rng):
    from advstego.steganalysis.cnn import CnnDetector
    from advstego.steganalysis.features import srm_features

    img = textured(rng, 32, 32, 3)
    f = srm_features([img], cache=False)
    planes = srm_features([np.ascontiguousarray(img[..., c]) for c in range(3)], cache=False)
    assert f.shape == (1, 3 * planes.shape[1])
    assert np.array_equal(f[0], planes.ravel())
    covers = [textured(rng, 32, 32, 3) for _ in range(4)]
    stegos = [np.clip(c.astype(int) + rng.integers(-1, 2, c.shape), 0, 255).astype(np.uint8)
              for c in covers]
    det = CnnDetector("xunet", epochs=1, batch=2).fit(covers, stegos, quiet=True)
    assert det.channels == 3 and det.prob_stego(covers).shape == (4,)
    gray = [c[..., 0] for c in covers]
    with pytest.raises(InputError, match="trained on 3-channel images"):
        det.prob_stego(gray)
    with pytest.raises(InputError, match="trained on 3-channel images"):
        det.fit(gray, gray, quiet=True)


def test_a_leftover_checkpoint_of_other_data_is_not_resumed(tmp_path):
    from advstego.data.synthetic import synthetic_covers
    from advstego.steganalysis.cnn import CnnDetector

    a, b = synthetic_covers(8, size=32, seed=1), synthetic_covers(8, size=32, seed=2)
    ck = tmp_path / "det.ckpt"
    CnnDetector("xunet", epochs=3).fit(a[:4], a[4:], run=ck, quiet=True, stop_after=2)
    same = CnnDetector("xunet", epochs=3).fit(a[:4], a[4:], run=ck, quiet=True)
    assert len(same.log) == 3  # resumed: 2 epochs from the checkpoint, 1 more
    fresh = CnnDetector("xunet", epochs=3).fit(b[:4], b[4:], run=ck, quiet=True)
    scratch = CnnDetector("xunet", epochs=3).fit(b[:4], b[4:], quiet=True)
    assert fresh.log == scratch.log  # other data: trained from scratch, not resumed


def test_a_detector_state_of_numpy_arrays_saves_and_anything_else_is_one_line(tmp_path):
    import numpy as np
    import pytest

    from advstego import weights
    from advstego.errors import InputError

    weights.save(tmp_path / "a.safetensors", {"w": np.arange(4.0)}, {"kind": "detector"})
    assert weights.load(tmp_path / "a.safetensors")[0]["w"].tolist() == [0, 1, 2, 3]
    with pytest.raises(InputError, match="'w'.*torch tensor or a NumPy array"):
        weights.save(tmp_path / "b.safetensors", {"w": [1, 2]}, {"kind": "detector"})
    assert not (tmp_path / "b.safetensors").exists()


def test_detect_train_refuses_a_flag_the_detector_does_not_take(tmp_path, cli):
    covers, stegos = tmp_path / "c", tmp_path / "s"
    covers.mkdir()
    stegos.mkdir()
    for i in range(2):
        write_image(covers / f"{i}.png", textured(np.random.default_rng(i), 32, 32))
        write_image(stegos / f"{i}.png", textured(np.random.default_rng(i + 2), 32, 32))
    base = ("detect", "train", "--covers", covers, "--stegos", stegos, "-o",
            tmp_path / "d.safetensors")
    for flag in (("--device", "foo"), ("--device", "cpu"), ("--epochs", "2")):
        r = cli(*base, "--detector", "srm-fld", *flag)
        assert_clean_error(r, flag[0], "--detector srm-fld does not take it", "srnet or xunet")
    r = cli(*base, "--detector", "xunet", "--device", "foo")
    assert_clean_error(r, "foo")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "s"]
