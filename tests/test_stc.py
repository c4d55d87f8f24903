"""Syndrome-trellis codes and the compress-then-embed hider: exact extraction, ±1 changes only,
wet elements untouched, near the rate-distortion bound, clean errors."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from advstego.errors import InputError
from advstego.hiding import codec, stc
from advstego.hiding.message import FILE, OVERHEAD, Payload, seal, unseal
from advstego.hiding.classical import StcHider, forget_compressed
from advstego.images import read_image, write_image
from advstego.metrics import psnr
from conftest import assert_clean_error, textured


@pytest.mark.parametrize("h", [7, 10])
def test_binary_round_trip_at_many_rates(h, rng):
    n = 600
    for m in (1, 5, 60, 200, 300, 599, 600):
        for _ in range(4):
            x = rng.integers(0, 2, n).astype(np.uint8)
            msg = rng.integers(0, 2, m).astype(np.uint8)
            y, cost = stc.embed_bits(x, rng.random(n) + 0.01, msg, h, seed=int(m))
            assert np.array_equal(stc.extract_bits(y, m, h, seed=int(m)), msg)
            assert cost > 0 or np.array_equal(y, x)


def test_wet_elements_never_change(rng):
    n, m = 2000, 400
    x = rng.integers(0, 2, n).astype(np.uint8)
    costs = np.ones(n)
    wet = rng.random(n) < 0.5
    costs[wet] = np.inf
    msg = rng.integers(0, 2, m).astype(np.uint8)
    y, _ = stc.embed_bits(x, costs, msg, 10, seed=3)
    assert np.array_equal(y[wet], x[wet]) and np.array_equal(stc.extract_bits(y, m, 10, 3), msg)
    with pytest.raises(ValueError):  # more bits than dry elements cannot work
        stc.embed_bits(x, np.where(np.arange(n) < 100, 1.0, np.inf), msg, 10, seed=3)


def test_constant_profile_efficiency_near_the_bound(rng):
    # alpha = 1/2: the bound is 0.5 / H^-1(0.5) = 4.54 bits per change; the paper's h = 10
    # codes reach about 4.2 (92%); h = 7 clearly less
    n = 20000
    x = rng.integers(0, 2, n).astype(np.uint8)
    msg = rng.integers(0, 2, n // 2).astype(np.uint8)
    e = {h: msg.size / stc.embed_bits(x, np.ones(n), msg, h, seed=1)[1] for h in (7, 10)}
    assert e[10] / 4.544 > 0.88
    assert e[7] < e[10]


@pytest.mark.parametrize("payload", [0.05, 0.2, 0.4, 1.0, 1.2])
def test_ternary_round_trip_and_plus_minus_one(payload, rng):
    n = 4096
    x = rng.integers(0, 256, n)
    sat = rng.permutation(n)[:200]  # saturated elements, spread out: one direction is wet
    x[sat[:100]], x[sat[100:]] = 0, 255
    rp, rm = rng.random(n) + 0.1, rng.random(n) + 0.1
    rp[x == 255], rm[x == 0] = np.inf, np.inf
    msg = rng.integers(0, 2, int(payload * n)).astype(np.uint8)
    y, m1, m2, d = stc.embed_ternary(x, rp, rm, msg, 10, seed=7)
    assert m1 + m2 == msg.size
    assert np.array_equal(stc.extract_ternary(y, m1, m2, 10, seed=7), msg)
    assert np.abs(y - x).max() <= 1 and y.min() >= 0 and y.max() <= 255
    (pp, pm), _ = stc.ternary_probabilities(rp, rm, msg.size)
    bound = np.sum(pp * np.minimum(rp, 1e30) + pm * np.minimum(rm, 1e30))
    assert bound <= d < 1.6 * bound  # a real code costs more than the bound, not much more


def _photo_pair(rng, c=None):
    return textured(rng, 96, 96, c), textured(rng, 96, 96, c)


@pytest.mark.parametrize("channels", [1, 3])
def test_hider_extracts_the_codec_bytes_exactly(channels, rng):
    cover, secret = _photo_pair(rng, None if channels == 1 else 3)
    hider = StcHider("suniward", "jpeg", 0.4, channels=channels)
    stego, info = hider.hide_info(cover, secret)
    assert info["bytes"] + OVERHEAD <= 0.4 * cover.size / 8  # the payload budget is kept
    assert np.abs(stego.astype(int) - cover).max() <= 1
    data, _, _ = codec.compress(secret, "jpeg", int(0.4 * cover.size // 8) - OVERHEAD)
    expected = codec.decompress(data, "L" if channels == 1 else "RGB", secret.shape[:2])
    assert np.array_equal(hider.reveal(stego), expected)  # bit-exact extraction
    assert psnr(cover, stego) > 50


def test_more_payload_buys_a_better_secret(rng):
    cover, secret = _photo_pair(rng)
    q = {}
    for p in (0.2, 1.0):
        h = StcHider(payload=p, codec="webp")
        q[p] = (psnr(secret, h.reveal(h.hide(cover, secret))), psnr(cover, h.hide(cover, secret)))
    assert q[1.0][0] > q[0.2][0] and q[1.0][1] < q[0.2][1]


def test_a_kept_encoding_is_the_one_a_fresh_search_finds(rng):
    """The secret's encoding is kept between hides of one secret (a game's rounds): the stego
    and its info are those of a fresh search; another payload is another search."""
    cover, secret = textured(rng, 96, 96), textured(rng, 96, 96)
    h = StcHider("suniward", "auto", 0.4)
    kept = h.hide_info(cover, secret), h.hide_info(cover, secret)
    forget_compressed()
    fresh = h.hide_info(cover, secret)
    for stego, info in kept:
        assert np.array_equal(stego, fresh[0]) and info == fresh[1]
    assert StcHider("suniward", "auto", 0.6).hide_info(cover, secret)[1]["bytes"] > fresh[1]["bytes"]


def test_wrong_key_or_no_message_is_refused(rng):
    cover, secret = _photo_pair(rng)
    stego = StcHider(key="k1").hide(cover, secret)
    for hider, img in ((StcHider(key="k2"), stego), (StcHider(key="k1"), cover)):
        with pytest.raises(InputError, match="no advstego message"):
            hider.reveal(img)


@pytest.mark.parametrize("name, key", [
    ("stc-v1", "old-format"),  # version 1: a JPEG/WebP secret behind a CRC32 header
    ("stc-v2", "two-part-era"),  # a sealed (version 2) message in one part, the only format
])                             # before ADV-EMB's two-part stegos; the receiver reads both
def test_a_stego_of_an_earlier_format_still_reveals(name, key):
    """tests/data/NAME-stego.png and the secret it revealed when it was written."""
    here = Path(__file__).parent / "data"
    stego = read_image(here / f"{name}-stego.png", "gray")
    assert np.array_equal(StcHider(key=key).reveal(stego),
                          read_image(here / f"{name}-revealed.png", "gray"))
    with pytest.raises(InputError, match="no advstego message"):
        StcHider(key="other").reveal(stego)


def test_the_message_is_sealed_with_the_key(rng):
    """Version 2: AES-GCM under a key stretched by scrypt; a wrong key or one flipped bit of
    the message fails its tag, and the same secret and key give the same message."""
    p = Payload(b"attack at dawn", FILE, name="plan.txt")
    sealed = seal(p, "k1")
    assert b"attack at dawn" not in sealed and sealed == seal(p, "k1")
    assert unseal(sealed, "k1") == p
    with pytest.raises(InputError, match="does not open"):
        unseal(sealed, "k2")
    flipped = bytearray(sealed)
    flipped[-20] ^= 1
    with pytest.raises(InputError, match="does not open"):
        unseal(bytes(flipped), "k1")


def test_a_file_round_trips_with_its_name(rng):
    cover = textured(rng, 128, 128)
    data = bytes(rng.integers(0, 256, 300, dtype=np.uint8))
    h = StcHider(key="k", payload=0.4)
    stego, info = h.hide_file(cover, data, "blob.bin")
    assert info["kind"] == "file" and info["bytes"] >= len(data)
    got = StcHider(key="k").reveal_payload(stego)
    assert (got.name, got.data) == ("blob.bin", data)
    with pytest.raises(InputError, match="fit"):
        h.hide_file(cover, bytes(2000), "big.bin")


def test_auto_codec_keeps_the_best_decoding_within_the_budget(rng):
    """auto tries every codec and keeps the highest secret PSNR: never worse than JPEG's."""
    cover, secret = _photo_pair(rng)
    got = {}
    for c in ("auto", "jpeg"):
        h = StcHider(codec=c, payload=0.6)
        st, info = h.hide_info(cover, secret)
        got[c] = (psnr(secret, h.reveal(st)), info)
    assert got["auto"][0] >= got["jpeg"][0] - 1e-9
    assert got["auto"][1]["bytes"] <= StcHider(payload=0.6).budget(cover.size)
    assert abs(got["auto"][0] - got["auto"][1]["secret_psnr"]) < 1e-9


def test_bad_settings():
    for kw in ({"payload": 0}, {"payload": 1.3}, {"cost": "lsb"}, {"codec": "gif"}, {"h": 3}):
        with pytest.raises(InputError):
            StcHider(**kw)


@pytest.mark.parametrize("channels", [1, 3])
def test_cli_round_trip(channels, tmp_path, cli, rng):
    c = None if channels == 1 else 3
    cover, secret = textured(rng, 128, 128, c), textured(rng, 128, 128, c)
    write_image(tmp_path / "c.png", cover)
    write_image(tmp_path / "s.png", secret)
    r = cli("hide", "--cover", tmp_path / "c.png", "--secret", tmp_path / "s.png", "-o",
            tmp_path / "st.png", "--method", "stc", "--payload", "1.0", "--codec", "webp",
            "--key", "secret key")
    assert r.returncode == 0, r.stderr
    r = cli("reveal", tmp_path / "st.png", "-o", tmp_path / "r.png", "--method", "stc",
            "--key", "secret key")
    assert r.returncode == 0, r.stderr
    revealed = read_image(tmp_path / "r.png", "gray" if channels == 1 else "rgb")
    assert revealed.shape == secret.shape and psnr(secret, revealed) > 20
    r = cli("reveal", tmp_path / "st.png", "-o", tmp_path / "w.png", "--method", "stc")
    assert_clean_error(r, "no advstego message")
    assert not (tmp_path / "w.png").exists()
    r = cli("hide", "--cover", tmp_path / "c.png", "--secret", tmp_path / "s.png", "-o",
            tmp_path / "x.png", "--method", "stc", "--payload", "0.001")
    assert_clean_error(r, "--payload")


def _sum(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reveal_finds_an_stc_message_whatever_the_method(tmp_path, cli, pair):
    cover, secret = pair
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png", "--key", "k")
    assert r.returncode == 0
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.png", "--method", "gan",
            "--key", "k")
    assert r.returncode == 0 and "holds an STC message" in r.stderr
    r2 = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r2.png", "--key", "k")
    assert r2.returncode == 0 and _sum(tmp_path / "r.png") == _sum(tmp_path / "r2.png")
    for method in ("gan", "lsb"):  # no way to check a key: said plainly
        r = cli("reveal", cover, "-o", tmp_path / f"{method}.png", "--method", method)
        assert r.returncode == 0 and "cannot verify" in r.stderr and "gives noise" in r.stderr
