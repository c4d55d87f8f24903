"""Our FLD ensemble trainer against sealwatch's (a test dependency only: it needs torch): same
search, same weights, same decisions."""

import numpy as np
import pytest
from sealwatch.ensemble_classifier import FldEnsembleTrainer

from advstego.steganalysis.fld import FastFldTrainer, _threshold


def _features(n, d, seed):
    rng = np.random.default_rng(seed)
    shift = np.where(np.arange(d) % 7 == 0, 0.35, 0.0)
    Xc = rng.normal(size=(n, d))
    Xs = rng.normal(size=(n, d)) + shift
    Xc[:, 5] = Xs[:, 5] = 1.0  # a constant dimension: dropped, weight 0
    return Xc, Xs


@pytest.mark.slow
def test_same_search_weights_and_decisions_as_sealwatch():
    Xc, Xs = _features(40, 120, 0)
    Tc, Ts = _features(60, 120, 1)
    T = np.concatenate([Tc, Ts])
    ref, rec_ref = FldEnsembleTrainer(Xc, Xs, seed=3, verbose=0).train()
    ours, rec = FastFldTrainer(Xc, Xs, seed=3).train()
    assert rec == rec_ref and len(rec) > 1  # the same d_sub tries, L and OOB errors
    assert ours.d_sub == ref.d_sub and len(ours.base_learners) == len(ref.base_learners)
    for a, b in zip(ours.base_learners, ref.base_learners):
        assert np.array_equal(a.subspace, b.subspace)
        np.testing.assert_allclose(a.w, b.learner.w, rtol=1e-6, atol=1e-9)
    assert np.array_equal(ours.predict(T), ref.predict(T))


def test_near_singular_scatter_same_decisions_as_sealwatch():
    # d_sub near the number of samples: the scatter is near singular (as with SRM and a few
    # hundred pairs), the weights agree only loosely; the decisions are the same
    Xc, Xs = _features(60, 200, 0)
    Tc, Ts = _features(60, 200, 1)
    T = np.concatenate([Tc, Ts])
    ref, _ = FldEnsembleTrainer(Xc, Xs, seed=3, L=51, d_sub=116, verbose=0).train()
    ours, _ = FastFldTrainer(Xc, Xs, seed=3, L=51, d_sub=116).train()
    assert all(np.array_equal(a.subspace, b.subspace)
               for a, b in zip(ours.base_learners, ref.base_learners))
    assert np.array_equal(ours.predict(T), ref.predict(T))
    assert np.array_equal(ours.predict_confidence(T), ref.predict_confidence(T))


def test_same_weights_when_well_conditioned():
    Xc, Xs = _features(300, 150, 2)
    ref, _ = FldEnsembleTrainer(Xc, Xs, seed=5, L=8, d_sub=60, verbose=0).train()
    ours, _ = FastFldTrainer(Xc, Xs, seed=5, L=8, d_sub=60).train()
    for a, b in zip(ours.base_learners, ref.base_learners):
        np.testing.assert_allclose(a.w, b.learner.w, rtol=1e-8, atol=1e-12)
        assert float(a.b) == pytest.approx(float(b.learner.b), rel=1e-8, abs=1e-12)


def test_threshold_as_sealwatch_finds_it():
    from sealwatch.ensemble_classifier.fld import FisherLinearDiscriminantLearner as F
    rng = np.random.default_rng(4)
    for flip in (False, True):
        pc, ps = rng.normal(size=50), rng.normal(size=50) + 1.0
        if flip:
            pc, ps = ps, pc  # stegos below covers: the sign turns
        w_ref, b_ref = F._find_threshold(pc[:, None], ps[:, None], np.ones(1))
        sgn, b = _threshold(pc, ps)
        assert sgn == int(np.sign(w_ref[0])) and b == b_ref


@pytest.mark.parametrize("max_dim", [2, 7, 40, 120, 901, 34671])
def test_d_sub_search_as_sealwatch_walks_it(max_dim):
    from sealwatch.ensemble_classifier.subspace_dimensionality_search import (
        SubspaceDimensionalitySearch)

    from advstego.steganalysis.fld import DsubSearch

    for seed in range(30):  # OOB errors of random landscapes, some with a bowl, some flat
        rng = np.random.default_rng(seed)
        best, depth, noise = rng.uniform(1, max_dim), rng.uniform(0, 0.3), rng.uniform(0, 0.05)
        ours, ref, tried = DsubSearch(max_dim), SubspaceDimensionalitySearch(200, max_dim), []
        while ref.search_in_progress:
            assert ours.in_progress and ours.next == ref.next_d_sub
            d = ref.next_d_sub
            err = 0.5 - depth * np.exp(-((d - best) / max_dim * 4) ** 2) + noise * rng.random()
            tried.append(d)
            ours.update(d, err)
            ref.update(d, err)
        assert not ours.in_progress and len(tried) >= 2
