"""Intervals by photo, paired differences, seeds and power (advstego.stats)."""

import numpy as np
import pytest
from scipy.special import expit

from advstego import stats
from advstego.metrics import detection_errors, pe_min

A, B, SD = -1.0, -0.5, 1.0  # logits of a warden's false alarm and miss; spread over photos


def true_pe():
    z = np.random.default_rng(123).normal(0, SD, 2_000_000)
    return (expit(A + z).mean() + expit(B + z).mean()) / 2


def draw(rng, photos=80, tiles=8, shift=0.0, photo_effects=None):
    """One test set of clustered images: each photo's own error rates (its effects)."""
    u, v = photo_effects if photo_effects is not None else rng.normal(0, SD, (2, photos))
    ph = np.repeat(np.arange(photos), tiles)
    fa = rng.random(ph.size) < expit(A + shift + u[ph])
    md = rng.random(ph.size) < expit(B + shift + v[ph])
    labels = np.r_[np.zeros(ph.size), np.ones(ph.size)]
    return stats.Arm(labels, np.r_[ph, ph], np.r_[fa, ~md].astype(int))


@pytest.mark.slow
def test_the_interval_covers_the_true_pe_in_95_percent_of_draws():
    truth, rng = true_pe(), np.random.default_rng(0)
    hits = [stats.interval(draw(rng), n_resamples=1000, seed=i)["PE"] for i in range(1000)]
    coverage = np.mean([lo <= truth <= hi for _, lo, hi in hits])
    assert 0.93 <= coverage <= 0.97, coverage


def test_clustered_tiles_widen_the_interval_resampling_them_one_by_one_would_not():
    rng = np.random.default_rng(1)
    arm = draw(rng)
    by_photo = stats.interval(arm, n_resamples=2000)["PE"]
    one_by_one = stats.interval(stats.Arm(arm.labels, np.arange(arm.labels.size),
                                          arm.decisions), n_resamples=2000)["PE"]
    assert by_photo[0] == pytest.approx(one_by_one[0])
    assert by_photo[2] - by_photo[1] > 1.5 * (one_by_one[2] - one_by_one[1])


def test_point_figures_are_those_of_the_metrics():
    rng = np.random.default_rng(2)
    labels = np.r_[np.zeros(300), np.ones(300)].astype(int)
    scores = np.round(rng.normal(0, 1, 600) + labels, 1)  # ties between thresholds
    decided = (scores > 0.5).astype(int)
    r = stats.interval(stats.Arm(labels, np.arange(600) // 7, decided, scores), n_resamples=200)
    e = detection_errors(labels, decided)
    for k in ("P_FA", "P_MD", "PE"):
        assert r[k][0] == pytest.approx(e[k]) and r[k][1] <= r[k][0] <= r[k][2]
    assert r["PE_min"][0] == pytest.approx(pe_min(labels, scores))
    assert (r["n_photos"], r["n_images"], r["seeds"]) == (86, 600, 1)


def test_paired_is_narrower_than_unpaired_when_the_arms_share_their_photos():
    rng = np.random.default_rng(3)
    effects = rng.normal(0, SD, (2, 80))  # the same hard and easy photos in both arms
    a, b = draw(rng, photo_effects=effects), draw(rng, photo_effects=effects)
    p, u = stats.paired(a, b, n_resamples=2000), stats.unpaired(a, b, n_resamples=2000)
    assert p["diff"] == pytest.approx(u["diff"])
    assert p["high"] - p["low"] < 0.8 * (u["high"] - u["low"])
    assert p["min_detectable"] < u["min_detectable"]


def test_a_null_difference_is_not_resolved_and_a_real_one_is():
    rng = np.random.default_rng(4)
    effects = rng.normal(0, SD, (2, 80))
    a = draw(rng, photo_effects=effects)
    null = stats.paired(a, draw(rng, photo_effects=effects), n_resamples=2000)
    assert not null["resolved"] and null["low"] < 0 < null["high"] and null["p"] > 0.05
    real = stats.paired(a, draw(rng, shift=-1.0, photo_effects=effects), n_resamples=2000)
    assert real["resolved"] and real["high"] < 0 and real["p"] < 0.05


def test_warden_seeds_are_averaged_and_their_spread_widens_the_interval():
    rng = np.random.default_rng(5)
    arm = draw(rng, photos=400)
    photos = arm.photos[arm._ids]
    cover = arm.labels == 0  # three trainings: one as drawn, two with more false alarms
    decided = np.stack([arm.decisions[0]] + [np.where(cover & (rng.random(cover.size) < f), 1,
                                                      arm.decisions[0]) for f in (0.3, 0.6)])
    one = stats.interval(stats.Arm(arm.labels, photos, decided[:1]), n_resamples=2000)["PE"]
    three = stats.interval(stats.Arm(arm.labels, photos, decided), n_resamples=2000)
    means = [detection_errors(arm.labels, d)["PE"] for d in decided]
    assert three["seeds"] == 3 and three["PE"][0] == pytest.approx(np.mean(means))
    assert np.ptp(means) > 0.1  # the seeds disagree far beyond the photos' noise ...
    assert one[2] - one[1] < 0.05
    assert three["PE"][2] - three["PE"][1] > 0.1  # ... and the interval says so
    alike = stats.interval(stats.Arm(arm.labels, photos, np.repeat(decided[:1], 3, 0)),
                           n_resamples=2000)["PE"]
    assert alike == pytest.approx(one)  # identical seeds: the photos' interval alone


def test_min_detectable_is_the_normal_power_formula():
    assert stats.min_detectable(0.01) == pytest.approx((1.959964 + 0.841621) * 0.01, rel=1e-5)


def test_arms_that_do_not_describe_the_same_images_are_refused():
    rng = np.random.default_rng(6)
    a, b = draw(rng, photos=20), draw(rng, photos=21)
    with pytest.raises(ValueError):
        stats.paired(a, b, n_resamples=100)
    with pytest.raises(ValueError):
        stats.Arm([0, 1], [0], [0, 1])


def test_pe_min_under_photo_weights_is_the_weighted_threshold_search():
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(4, 60))
        labels = rng.integers(0, 2, n)
        labels[:2] = 0, 1
        scores = np.round(rng.normal(0, 1, n) + labels * rng.random(), 1)
        photos = np.arange(n) % 5
        arm = stats.Arm(labels, photos, (scores > 0).astype(int), scores)
        weights = rng.integers(1, 3, (20, len(arm.photos))).astype(float)
        got = arm._pe_min(weights)[0]
        for w, g in zip(weights, got):  # each tile as often as its photo is drawn
            rep = np.repeat(np.arange(n), w[arm._ids].astype(int))
            assert g == pytest.approx(pe_min(labels[rep], scores[rep]), abs=1e-6)


def test_a_photo_with_only_covers_or_only_stegos_leaves_no_nan_in_the_interval():
    # the cover-vs-cover control: random halves, so a photo may sit in one half only
    rng = np.random.default_rng(8)
    photos = np.r_[np.zeros(4), np.ones(4), np.full(4, 2), np.full(4, 3)]
    labels = np.r_[np.zeros(4), np.ones(4), np.zeros(2), np.ones(2), np.zeros(2), np.ones(2)]
    r = stats.interval(stats.Arm(labels, photos, rng.integers(0, 2, 16), rng.random(16)),
                       n_resamples=500)
    for k in ("P_FA", "P_MD", "PE", "PE_min"):
        assert np.all(np.isfinite(r[k])) and r[k][1] <= r[k][0] <= r[k][2], (k, r[k])


def test_paired_differences_of_p_fa_and_p_md_are_those_of_the_metrics():
    # stats.paired once failed on its reshape for any error but PE
    rng = np.random.default_rng(9)
    effects = rng.normal(0, SD, (2, 40))
    a, b = draw(rng, photos=40, photo_effects=effects), draw(rng, photos=40, photo_effects=effects)
    for name in ("P_FA", "P_MD", "PE"):
        r = stats.paired(a, b, name, n_resamples=300)
        want = detection_errors(b.labels, b.decisions[0])[name] - \
            detection_errors(a.labels, a.decisions[0])[name]
        assert r["diff"] == pytest.approx(want) and r["low"] <= r["diff"] <= r["high"], name


def test_holm_adjusts_a_hand_worked_family():
    # p sorted: 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 = 0.04 -> kept at 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])  # never above 1
    assert stats.holm([0.02]) == pytest.approx([0.02])  # one comparison: unchanged
    try:
        from statsmodels.stats.multitest import multipletests
    except ImportError:
        return
    p = np.random.default_rng(10).random(12) ** 3
    assert stats.holm(p) == pytest.approx(multipletests(p, method="holm")[1])


def test_the_pooled_baseline_is_the_mean_of_its_arms_paired_by_image():
    rng = np.random.default_rng(11)
    effects = rng.normal(0, SD, (2, 60))
    p0, c0 = (draw(rng, photos=60, photo_effects=effects) for _ in range(2))
    base = stats.pooled(p0, c0)
    assert base.seeds == 2 and base.same_images(p0)
    pe = [detection_errors(a.labels, a.decisions[0])["PE"] for a in (p0, c0)]
    assert stats.interval(base, n_resamples=200)["PE"][0] == pytest.approx(np.mean(pe))
    arms = {"same": draw(rng, photos=60, photo_effects=effects),
            "better": draw(rng, photos=60, shift=-1.0, photo_effects=effects),
            "worse": draw(rng, photos=60, shift=0.3, photo_effects=effects)}
    out = stats.against(base, arms, n_resamples=2000)
    assert [r["p_holm"] for r in out.values()] == pytest.approx(
        stats.holm([r["p"] for r in out.values()]))
    assert all(r["p_holm"] >= r["p"] for r in out.values())
    assert out["better"]["diff"] < 0 and out["better"]["resolved_holm"]
    assert not out["same"]["resolved_holm"]
    with pytest.raises(ValueError):
        stats.pooled(p0, draw(rng, photos=61))


def test_folds_test_every_photo_once_and_give_no_photo_two_roles():
    from advstego.folds import fold_of, folds

    photos = [f"p{i}" for i in range(23)] * 3  # three tiles a photo
    fs = folds(photos, 5, seed=1, roles={"train": 0.6, "alice": 0.25, "val": 0.15})
    tested = [p for f in fs for p in f["test"]]
    assert sorted(tested) == sorted(set(photos))  # each photo a test photo exactly once
    assert {len(f["test"]) for f in fs} == {4, 5}
    for f in fs:
        roles = [set(v) for v in f.values()]
        assert set().union(*roles) == set(photos)
        assert sum(map(len, roles)) == len(set(photos))  # disjoint: one role a photo
        assert min(map(len, roles)) >= 1
    assert folds(photos, 5, seed=1) == folds(photos, 5, seed=1)
    assert fold_of(photos, 5, seed=2) != fold_of(photos, 5, seed=1)


def test_more_folds_than_photos_is_refused_up_front():
    from advstego.errors import InputError
    from advstego.folds import folds

    with pytest.raises(InputError, match="more folds than photos"):
        folds(["a", "b", "b", "c"], 4)
    with pytest.raises(InputError, match="at least 2"):
        folds(["a", "b"], 1)
    with pytest.raises(InputError, match="too few"):
        folds(["a", "b", "c"], 3, roles={"train": 0.5, "alice": 0.3, "val": 0.2})
