"""The FLD ensemble (Kodovsky, Fridrich, Holub 2012): sealwatch's trainer, step for step,
with a faster base learner, and no dependency on sealwatch (which needs torch).

Everything random and everything about the search is sealwatch's (tests/test_fld.py holds
the two equal): the random subspaces, the bootstrap samples, the out-of-bag (OOB)
tie-breaking, when to stop adding learners (L) and which subspace dimension to try next
(d_sub). What is done faster, per base learner:
- the features are kept transposed, so a subspace is a gather of contiguous rows;
- the within-class scatter is one symmetric rank-k update (BLAS syrk) of the centred
  covers and stegos side by side (the bootstrap gives both classes the same count);
- w comes from one Cholesky factorisation (sealwatch solves by LU; on failure we fall back
  to its LU loop with growing regularisation);
- the threshold search is a cumulative sum, not a Python loop;
- the OOB projections reuse the gathered subspace.
The weights agree with sealwatch's to rounding; benchmarks/fld_speed.py compares the decisions.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.linalg.blas import dsyrk


class Learner:
    """One base learner: the FLD w·x − b on a subspace of the features (positive: stego)."""

    def __init__(self, subspace, w, b):
        self.subspace, self.w, self.b = np.asarray(subspace), np.asarray(w), b

    def predict(self, X):
        return X[:, self.subspace] @ self.w - self.b


class Ensemble:
    """The base learners' majority vote; ties are broken as sealwatch breaks them."""

    def __init__(self, learners, d_sub=None):
        self.base_learners, self.d_sub = list(learners), d_sub

    def votes(self, X):
        return sum(np.sign(b.predict(X)).astype(int) for b in self.base_learners)

    def predict_confidence(self, X):
        """The vote on [-1, 1]."""
        return self.votes(X) / len(self.base_learners)

    def predict(self, X):
        """+1 stego, -1 cover."""
        v = np.asarray(self.votes(X), int)
        tie = v == 0
        v[tie] = np.sign(np.random.RandomState(6020).rand(int(tie.sum())) - 0.5).astype(int)
        return np.sign(v).astype(int)


class DsubSearch:
    """sealwatch's one-dimensional search over d_sub (the paper's Algorithm 2, as sealwatch
    writes it): a grid of candidates, refined around the least OOB error."""

    EPSILON = 5e-3

    def __init__(self, max_dim, step=200, tolerance=0.02):
        self.max_dim, self.tolerance = max_dim, tolerance
        self.step = 1 if max_dim < 10 else (max_dim // 4 if step >= max_dim / 4 else step)
        self.dims = np.array([1, 2] if max_dim == 2 else [self.step, 2 * self.step,
                                                           3 * self.step], dtype=int)
        self.errors = -np.ones(len(self.dims))
        self.in_progress, self.next = True, int(self.dims[0])

    def _add(self, dims):
        at = np.searchsorted(self.dims, dims)
        self.dims = np.insert(self.dims, at, dims)
        self.errors = np.insert(self.errors, at, -np.ones(len(dims)))

    def _far(self, d):
        """d is more than half a step from every candidate."""
        return np.min(np.abs(d - self.dims)) > self.step / 2

    def _stops(self, k, around) -> bool:
        """The least error k is close enough to the errors around it: the search ends."""
        e = self.errors[k]
        if e / around >= 1 - self.tolerance or around - e < self.EPSILON \
                or self.step < self.dims[k] * 0.05:
            self.in_progress = False
        return not self.in_progress

    def update(self, d_sub, error):
        if not self.in_progress:
            return
        self.errors[np.flatnonzero(self.dims == d_sub)[0]] = error
        if (self.errors == -1).any():
            self.next = int(self.dims[np.flatnonzero(self.errors == -1)[0]])
            return
        k, last, errs = int(np.argmin(self.errors)), len(self.dims) - 1, self.errors
        if self.step == 1 or np.isclose(errs[k], 0):
            self.in_progress = False
            return
        if k == 0:
            self.step //= 2
            self._add(self.dims[0] + self.step * np.array([-1, 1]))
        elif k == last:
            top = self.dims[-1] + self.step
            if top <= self.max_dim and self._far(top):
                self._add(self.dims[-1:] + self.step)
            else:
                if self._stops(k, errs[-2]):
                    return
                self.step //= 2
                up = self.dims[-1] + self.step <= self.max_dim
                self._add(self.dims[-1] + self.step * np.array([-1, 1]) if up
                          else self.dims[-1:] - self.step)
        elif k == last - 1 and self.dims[k] + self.step <= self.max_dim \
                and self._far(self.dims[k] + self.step) \
                and not (errs[-1] > errs[-2] and errs[-1] > errs[-3]):
            self._add(np.array([d_sub + self.step]))  # one more step right, for robustness
        else:
            if self._stops(k, (errs[k - 1] + errs[k + 1]) / 2):
                return
            self.step //= 2
            self._add(self.dims[k] + self.step * np.array([-1, 1]))
        self.next = int(self.dims[np.flatnonzero(self.errors == -1)[0]])


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


class FastFldTrainer:
    """sealwatch's FldEnsembleTrainer (same seeds, subspaces, bootstrap, search, stopping
    rule for L) with a faster learner; train() gives (Ensemble, records)."""

    MAX_LEARNERS = 500
    L_KERNEL, L_MIN, L_MEMORY, L_EPSILON = np.ones(5) / 5, 25, 50, 0.005  # the epsilon-tube

    def __init__(self, Xc, Xs, seed=None, L="automatic", d_sub="automatic"):
        if Xc.shape != Xs.shape:
            raise ValueError(f"covers {Xc.shape} and stegos {Xs.shape} differ in shape")
        self.XcT = np.ascontiguousarray(np.asarray(Xc, np.float64).T)
        self.XsT = np.ascontiguousarray(np.asarray(Xs, np.float64).T)
        self.n, self.max_dim = Xc.shape[0], Xc.shape[1]
        main = np.random.RandomState(seed)
        self.rng_subspaces = np.random.RandomState(int(np.ceil(main.random() * 1e9)))
        self.rng_bootstrap = np.random.RandomState(int(np.ceil(main.random() * 1e9)))
        self.L, self.d_sub = L, (1 if self.max_dim == 1 else d_sub)

    def _subspace(self, d_sub):
        return np.argsort(self.rng_subspaces.rand(self.max_dim))[:d_sub]  # randperm_naive

    def _bootstrap(self):
        """Training rows drawn with replacement; the rows never drawn are the OOB test."""
        rows = np.floor(self.n * self.rng_bootstrap.rand(self.n)).astype(int)
        return rows, np.setdiff1d(np.arange(self.n), rows)

    def _more(self, count, ys) -> bool:
        """Another base learner? Fixed L: until L; automatic: until the moving averages of the
        last OOB errors lie in an epsilon-tube (Eqs. 6, 7), at most MAX_LEARNERS."""
        if self.L != "automatic":
            return count < self.L
        if len(ys) < self.L_MIN:
            return True
        a = np.convolve(ys[max(0, len(ys) - self.L_MEMORY):], self.L_KERNEL, mode="valid")
        return abs(np.max(a) - np.min(a)) >= self.L_EPSILON and count != self.MAX_LEARNERS

    def _learner(self, subspace, rows, test):
        """One base learner; returns it and its projections of the OOB covers and stegos."""
        Gc, Gs = self.XcT[subspace], self.XsT[subspace]  # d x N, all samples
        Ac, As = Gc[:, rows], Gs[:, rows]
        const = (Ac.min(1) == Ac.max(1)) & (As.min(1) == As.max(1)) & (Ac[:, 0] == As[:, 0])
        mc, ms = Ac.mean(1), As.mean(1)
        w = _weights(const, Ac - mc[:, None], As - ms[:, None], ms - mc, len(rows))
        sgn, b = _threshold(w @ Ac, w @ As)
        w = sgn * w
        return Learner(subspace, w, b), w @ Gc[:, test] - b, w @ Gs[:, test] - b

    def train(self, quiet: bool = False):
        """The ensemble of the d_sub with the least OOB error, and a record of each d_sub
        tried: {"d_sub", "oob_error", "num_base_learners"}. On a terminal (unless quiet) a
        bar counts the base learners, with the d_sub and OOB error at hand."""
        from ..progress import progress

        search = DsubSearch(self.max_dim) if self.d_sub == "automatic" else None
        d_sub, best, records = (search.next if search else self.d_sub), None, []
        bar = progress(desc="FLD", unit="learner", disable=True if quiet else None)
        while True:
            learners, ys = [], []
            vote_c, vote_s = np.zeros(self.n, int), np.zeros(self.n, int)
            ties = np.random.RandomState(1)  # sealwatch's OOB tie-breaking
            while True:
                subspace = self._subspace(d_sub)
                rows, test = self._bootstrap()
                base, pc, ps = self._learner(subspace, rows, test)
                learners.append(base)
                vote_c[test] += np.sign(pc).astype(int)
                vote_s[test] += np.sign(ps).astype(int)
                fp = np.sum(vote_c > 0) + np.sum(ties.rand(np.sum(vote_c == 0)) > 0.5)
                md = np.sum(vote_s < 0) + np.sum(ties.rand(np.sum(vote_s == 0)) < 0.5)
                ys.append((fp + md) / (2 * self.n))
                bar.update()
                bar.set_postfix(d_sub=d_sub, oob=f"{ys[-1]:.3f}", refresh=False)
                if not self._more(len(learners), ys):
                    break
            if best is None or ys[-1] < best[0]:
                best = (ys[-1], d_sub, learners)
            records.append({"d_sub": d_sub, "oob_error": ys[-1],
                            "num_base_learners": len(learners)})
            if search is None:
                break
            search.update(d_sub, ys[-1])
            if not search.in_progress:
                break
            d_sub = search.next
        bar.close()
        return Ensemble(best[2], d_sub=best[1]), records
