"""Cross-fitting by photo: k folds, each photo a test photo in exactly one of them.

In fold i, the test photos are the i-th k-th of the photos (seeded shuffle; fold sizes
differ by at most one); the others are shared among the other roles (the judges' training
photos, Alice's, validation...) by their fractions, again by whole photos. A photo never
holds two roles within one fold, so a tile of a test photo is never trained on.
"""

from __future__ import annotations

import random

from .errors import InputError

TEST = "test"


def fold_of(photos, k: int, seed: int = 0) -> dict:
    """photo -> the fold (0..k-1) in which it is tested; k > the photos is refused."""
    names = sorted(set(photos))
    if not isinstance(k, int) or k < 2:
        raise InputError(f"--folds {k!r}: at least 2 folds")
    if k > len(names):
        raise InputError(f"--folds {k}: more folds than photos ({len(names)}); every fold "
                         "needs a test photo")
    random.Random(seed).shuffle(names)
    return {p: i % k for i, p in enumerate(names)}


def folds(photos, k: int, seed: int = 0, roles: dict | None = None) -> list[dict]:
    """k folds, each {role: sorted photos}: TEST (this fold's photos) and roles (name ->
    fraction of the other photos, default {"train": 1}); the rounding goes to the first."""
    roles = {"train": 1.0} if roles is None else dict(roles)
    if TEST in roles or not roles or any(f <= 0 for f in roles.values()) \
            or abs(sum(roles.values()) - 1) > 1e-6:
        raise InputError(f"roles {roles!r}: positive fractions summing to 1, none named {TEST!r}")
    where = fold_of(photos, k, seed)
    out = []
    for i in range(k):
        test = sorted(p for p, f in where.items() if f == i)
        rest = sorted(p for p, f in where.items() if f != i)
        random.Random(seed * 1_000_003 + i + 1).shuffle(rest)
        counts = [int(round(f * len(rest))) for f in roles.values()]
        counts[0] += len(rest) - sum(counts)
        if min(counts) < 1:
            raise InputError(f"fold {i}: {len(rest)} photos outside the test fold are too few "
                             f"for the roles {', '.join(roles)}")
        fold, at = {TEST: test}, 0
        for name, c in zip(roles, counts):
            fold[name] = sorted(rest[at:at + c])
            at += c
        out.append(fold)
    return out
