"""Our SRM extractor against sealwatch's: exactly equal features, several images."""

import numpy as np
import pytest
import sealwatch.srm as sw_srm
import skimage.data as d

from advstego.steganalysis import srm


def _images():
    rng = np.random.default_rng(1)
    yield "camera", d.camera()[200:264, 150:214]
    yield "brick", d.brick()[:48, :80]
    yield "noise", rng.integers(0, 256, (40, 40), dtype=np.uint8)
    flat = np.full((40, 40), 128, np.uint8)
    flat[10:20, 10:30] = 129
    yield "flat", flat


@pytest.mark.parametrize("name,img", list(_images()), ids=lambda v: v if isinstance(v, str) else "")
def test_srm_bit_identical_to_sealwatch(name, img):
    ref = sw_srm.extract(img)
    ours = srm.extract(img)
    assert list(ours) == list(ref)
    for k in ref:
        assert ours[k].dtype == ref[k].dtype, k
        assert np.array_equal(ours[k], ref[k]), k
    vec = srm.features(img)
    assert vec.shape == (34671,) and vec.dtype == np.float32


def test_srmq1_identical_and_sized():
    img = d.camera()[:48, :48]
    ref = sw_srm.srmq1.extract(img)
    ours = srm.extract(img, srm.SRMQ1_QS)
    assert all(np.array_equal(ours[k], ref[k]) for k in ref) and list(ours) == list(ref)
    assert srm.features(img, q1=True).shape == (12753,)



def test_feature_vector_is_the_same_in_every_process():
    # sealwatch's submodel order follows a set's iteration order, which changes with the
    # hash seed: the vector (cached on disk, fed to a saved FLD) must not
    import subprocess
    import sys
    code = ("import hashlib, skimage.data as d; from advstego.steganalysis import srm; "
            "print(hashlib.sha1(srm.features(d.camera()[:40, :40], q1=True).tobytes()).hexdigest())")
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": str(s)})
            for s in range(4)]  # side by side: each process mostly imports
    seen = {r.communicate(timeout=300)[0] for r in runs}
    assert all(r.returncode == 0 for r in runs) and len(seen) == 1, seen
