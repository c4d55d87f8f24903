"""Our SRM extractor against sealwatch's: exactly equal features, several images."""

import hashlib

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


@pytest.mark.slow
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


def test_our_rounding_is_sealwatch_s_on_every_value_srm_rounds():
    from sealwatch.tools import matlab

    x = np.arange(-3000, 3001)
    for q in sorted({q * scale for qs in srm.SRM_QS for q in qs for scale in (1, 2, 3, 4, 12)}):
        ref = matlab.round(x / q)
        assert np.array_equal(srm.matlab_round(x / q), ref) and srm.matlab_round(x / q).dtype == ref.dtype, q


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
            "x = d.camera()[:40, :40]; print(list(srm.extract(x))); "
            "print(hashlib.sha1(srm.features(x).tobytes()).hexdigest())")
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": str(s)})
            for s in range(2)]  # side by side
    outs = [r.communicate(timeout=300)[0].splitlines() for r in runs]
    assert all(r.returncode == 0 for r in runs)
    assert outs[0][0] != outs[1][0]  # the control: the two seeds order the submodels apart
    here = hashlib.sha1(srm.features(d.camera()[:40, :40]).tobytes()).hexdigest()
    assert outs[0][1] == outs[1][1] == here  # and the vector is the same, here too
