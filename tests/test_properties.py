"""Property-based fuzzing of the input layer (hypothesis): images of random size, mode and
dtype, settings of random type and range. Whatever comes in, the answer is a result of the
promised kind or one InputError, never another exception."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from advstego.errors import InputError
from advstego.options import Option, check, int_or_auto, text
from conftest import textured

ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 6, 10 ** 6),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                      st.sampled_from(["automatic", "1", "0.5", "suniward", "published"]))
DTYPES = st.sampled_from([np.uint8, np.uint16, np.int64, np.float32, np.float64, np.bool_])
FEW = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _specs():
    """Every member's option spec: hiders, detectors, attacks, and the game's flags."""
    from advstego.attacks.registry import ATTACKS
    from advstego.game.config import FLAGS
    from advstego.hiding.config import FLAGS as TRAIN_FLAGS
    from advstego.hiding.registry import HIDERS
    from advstego.steganalysis.registry import DETECTORS

    out = {"harden": FLAGS, "train": TRAIN_FLAGS}
    for family in (HIDERS, DETECTORS, ATTACKS):
        for name in family.names():
            out[f"{family.family} {name}"] = family.get(name)[0].options
    return out


SPECS = _specs()


def _within(opt: Option, v) -> bool:
    if v is None:
        return opt.default is None
    kinds = {bool: bool, int: int, float: float, str: str, int_or_auto: (int, str), text: str}
    if not isinstance(v, kinds[opt.type]) or (opt.type is not bool and isinstance(v, bool)):
        return False
    if opt.type is text and not v:
        return False
    if opt.choices and v not in opt.choices:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if v != v or v in (float("inf"), float("-inf")):
            return False
        if opt.maximum is not None and v > opt.maximum:
            return False
        if opt.minimum is not None:
            return v > opt.minimum if opt.above else v >= opt.minimum
    return True


@FEW
@given(owner=st.sampled_from(sorted(SPECS)), data=st.data())
def test_every_setting_is_checked_or_refused_by_name(owner, data):
    spec = SPECS[owner]
    names = sorted(spec) + ["no_such_setting"]
    given_ = data.draw(st.dictionaries(st.sampled_from(names), ANY_VALUE, max_size=3))
    try:
        out = check(owner, spec, given_)
    except InputError as exc:
        bad = [k for k in given_ if k not in spec or not _within(spec[k], given_[k])]
        assert bad or "must" in str(exc), (given_, exc)
        assert "\n" not in str(exc)
        return
    assert "no_such_setting" not in given_
    assert set(out) == set(spec)
    for k, v in given_.items():
        assert _within(spec[k], out[k]), (k, v, out[k])


@FEW
@given(image=arrays(DTYPES, array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=9)),
       channels=st.sampled_from([1, 3]))
def test_any_array_is_a_batch_of_images_or_one_input_error(image, channels):
    from advstego.hiding.base import as_batch

    try:
        batch, single = as_batch(image, channels, "cover")
    except InputError as exc:
        assert "cover" in str(exc) and "\n" not in str(exc)
        return
    assert batch.dtype == np.uint8 and batch.ndim == (3 if channels == 1 else 4)
    assert batch.shape[1:3] == image.shape[int(not single):][:2] and 0 not in batch.shape


@settings(max_examples=25, deadline=None)
@given(cover=arrays(DTYPES, array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=40)),
       secret=arrays(DTYPES, array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=40)),
       method=st.sampled_from(["lsb", "stc"]))
def test_hiders_take_any_arrays_or_refuse_them_in_one_line(cover, secret, method):
    from advstego.hiding.registry import load_hider

    hider = load_hider(method)
    try:
        stego = hider.hide(cover, secret)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert stego.dtype == np.uint8 and stego.shape == cover.shape


@pytest.mark.parametrize("text, ok", [("0", False), ("-1", False), ("nan", False),
                                      ("x", False), ("1e9", False), ("7", True)])
def test_flags_take_the_spec_limits(text, ok):
    """The CLI's flags come from the same spec: a value below its minimum is refused."""
    import argparse

    from advstego.options import add_flags

    p = argparse.ArgumentParser(exit_on_error=False)
    add_flags(p, {"bits": Option(int, 4, 1, "bits")})
    if ok:
        assert p.parse_args(["--bits", text]).bits == int(text)
    else:
        with pytest.raises(argparse.ArgumentError):
            p.parse_args(["--bits", text])


def test_python_api_inputs_are_named(rng):
    from advstego.hiding.lsb import LsbHider
    from advstego.hiding.model import HidingModel

    gray = HidingModel.load()
    rgb = textured(rng, 32, 32, 3)
    with pytest.raises(InputError, match="RGB"):
        gray.hide(rgb, rgb)
    with pytest.raises(InputError, match="integer"):
        LsbHider("4")
    with pytest.raises(InputError, match="empty"):
        gray.hide(np.zeros((0, 0), np.uint8), np.zeros((0, 0), np.uint8))
    four = np.zeros((32, 32, 4), np.uint8)
    with pytest.raises(InputError, match="shape"):
        LsbHider(4, channels=3).hide(four, four)
