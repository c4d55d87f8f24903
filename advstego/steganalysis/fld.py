"""The FLD ensemble (Kodovsky, Fridrich, Holub 2012) trained faster than sealwatch's trainer.

sealwatch's own pieces decide everything random and everything about the search: the
random subspaces, the bootstrap samples, the out-of-bag (OOB) tie-breaking, when to stop
adding learners (L) and which subspace dimension to try next (d_sub). What is done here
instead, per base learner:
- the features are kept transposed, so a subspace is a gather of contiguous rows;
- the within-class scatter is one symmetric rank-k update (BLAS syrk) of the centred
  covers and stegos side by side (the bootstrap gives both classes the same count);
- w comes from one Cholesky factorisation (sealwatch solves by LU; on failure we fall back
  to its LU loop with growing regularisation);
- the threshold search is a cumulative sum, not a Python loop;
- the OOB projections reuse the gathered subspace.
The result is sealwatch's EnsembleClassifier of its BaseLearner / FLD objects. The weights
agree with sealwatch's to rounding; benchmarks/fld_speed.py compares the decisions.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.linalg.blas import dsyrk
from sealwatch.ensemble_classifier import FldEnsembleTrainer
from sealwatch.ensemble_classifier.base_learner import BaseLearner
from sealwatch.ensemble_classifier.ensemble_classifier import EnsembleClassifier
from sealwatch.ensemble_classifier.fld import FisherLinearDiscriminantLearner
from sealwatch.ensemble_classifier.out_of_bag_error_estimates import OutOfBagErrorEstimates
from sealwatch.ensemble_classifier.subspace_dimensionality_search import (
    FixedDimensionalityDummySearch, SubspaceDimensionalitySearch)


def _threshold(pc: np.ndarray, ps: np.ndarray):
    """sealwatch's threshold of least (P_FA + P_MD) on the training projections: (sign, bias)."""
    y = np.concatenate([pc, ps])
    order = np.argsort(y)
    y, stego = y[order], np.r_[np.zeros(len(pc), bool), np.ones(len(ps), bool)][order]
    seen_s = np.cumsum(stego)[:-1]
    seen_c = np.arange(1, len(y)) - seen_s
    err1 = len(pc) - seen_c + seen_s          # scores above the threshold called stego
    err2 = len(ps) - seen_s + seen_c          # ... called cover
    both = np.stack([err1, err2], 1).ravel()  # sealwatch's order of strict improvements
    k = int(np.argmin(both))
    if both[k] >= len(pc):
        k = 0  # nothing beats calling everything stego (sealwatch would fail here)
    idx, sgn = k // 2, (1 if k % 2 == 0 else -1)
    return sgn, sgn * 0.5 * (y[idx] + y[idx + 1])


def _weights(C: np.ndarray, Ac: np.ndarray, As: np.ndarray, mu: np.ndarray, n: int):
    """w of the FLD on the rows (dimensions) of the centred samples Ac, As (d x n each)."""
    d = len(mu)
    S = dsyrk(1.0 / n, np.concatenate([Ac, As], 1).T, trans=1, lower=1)  # d x d, lower
    S[np.diag_indices(d)] += 1e-10
    keep = ~C
    w = np.zeros(d)
    Sk, mk = (S, mu) if keep.all() else (S[np.ix_(keep, keep)], mu[keep])
    try:
        w[keep] = cho_solve(cho_factor(Sk, lower=True, check_finite=False), mk,
                            check_finite=False)
        return w
    except LinAlgError:
        pass
    Sk = np.tril(Sk) + np.tril(Sk, -1).T  # sealwatch's fallback: LU, growing regularisation
    step = 0
    while True:
        try:
            w[keep] = np.linalg.solve(Sk, mk)
            return w
        except np.linalg.LinAlgError:
            step = 1 if step == 0 else step * 5
            Sk = Sk + step * np.spacing(1) * np.eye(len(mk))


class FastFldTrainer(FldEnsembleTrainer):
    """sealwatch's trainer (same seeds, subspaces, bootstrap, search) with a faster learner."""

    def __init__(self, Xc, Xs, **kw):
        super().__init__(Xc, Xs, verbose=0, **kw)
        self.XcT, self.XsT = np.ascontiguousarray(self.Xc.T), np.ascontiguousarray(self.Xs.T)

    def _learner(self, subspace, rows, test):
        """One base learner; returns it and its projections of the OOB covers and stegos."""
        Gc, Gs = self.XcT[subspace], self.XsT[subspace]  # d x N, all samples
        Ac, As = Gc[:, rows], Gs[:, rows]
        const = (Ac.min(1) == Ac.max(1)) & (As.min(1) == As.max(1)) & (Ac[:, 0] == As[:, 0])
        mc, ms = Ac.mean(1), As.mean(1)
        w = _weights(const, Ac - mc[:, None], As - ms[:, None], ms - mc, len(rows))
        sgn, b = _threshold(w @ Ac, w @ As)
        w = sgn * w
        base = BaseLearner()
        base.subspace, base.learner = subspace, FisherLinearDiscriminantLearner(w=w, b=b)
        return base, w @ Gc[:, test] - b, w @ Gs[:, test] - b

    def _oob(self, test, pc, ps, oob):
        """sealwatch's _update_oob_error_estimates, from projections already made."""
        oob.Xc_num[test] += 1
        oob.Xs_num[test] += 1
        oob.Xc_fusion_majority_vote[test] += np.sign(pc).astype(int)
        oob.Xs_fusion_majority_vote[test] += np.sign(ps).astype(int)
        vc, vs = oob.Xc_fusion_majority_vote, oob.Xs_fusion_majority_vote
        fp = np.sum(vc > 0) + np.sum(oob.rng_for_ties.rand(np.sum(vc == 0)) > 0.5)
        md = np.sum(vs < 0) + np.sum(oob.rng_for_ties.rand(np.sum(vs == 0)) < 0.5)
        oob.ys.append((fp + md) / (len(vc) + len(vs)))

    def train(self):
        """sealwatch's FldEnsembleTrainer.train, step for step: (ensemble, records)."""
        if self.search_for_d_sub:
            search = SubspaceDimensionalitySearch(d_sub_step=self.initial_d_sub_step,
                                                  max_dim=self.max_dim,
                                                  oob_error_tolerance=self.oob_error_tolerance)
        else:
            search = FixedDimensionalityDummySearch(d_sub=self.d_sub)
        best, records = (1, None, None), []
        while search.search_in_progress:
            d_sub, learners, more = search.next_d_sub, [], True
            oob = OutOfBagErrorEstimates(num_covers=len(self.Xc), num_stegos=len(self.Xs))
            while more:
                subspace = self._generate_random_subspace(d_sub=d_sub)
                rows, test = self._regenerate_bootstrap_samples()
                base, pc, ps = self._learner(subspace, rows, test)
                learners.append(base)
                self._oob(test, pc, ps, oob)
                more = self._has_next_base_learner(len(learners), oob)
            err = oob.ys[-1]
            if err < best[0]:
                best = (err, d_sub, learners)
            search.update(d_sub, err)
            records.append({"d_sub": d_sub, "oob_error": err, "num_base_learners": len(learners)})
        return EnsembleClassifier(best[2], d_sub=best[1]), records
