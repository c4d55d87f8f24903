"""Formats of what goes in and comes out of hide / reveal / capacity: hidden file names, the
secret's codec, JSON, EXIF orientation, lossy files, and the messages that name them."""

import json
import os
import time

import numpy as np
import pytest
from PIL import Image, ImageOps

from advstego.hiding import codec
from advstego.hiding import message as msg
from advstego.hiding.classical import StcHider
from advstego.images import read_image, write_image
from advstego.metrics import psnr
from conftest import assert_clean_error, textured

KEY = ("--key", "k")


@pytest.fixture
def cover(tmp_path, rng):
    return write_image(tmp_path / "c.png", textured(rng, 128, 128))


def _stego_with_name(tmp_path, cover, name, data=b"x"):
    """A stego whose hidden file has a name no `hide --file` gives (made through the API)."""
    stego, _ = StcHider(key="k").hide_file(read_image(cover), data, name)
    return write_image(tmp_path / "named.png", stego)


# ---- hidden file names --------------------------------------------------------------------

def test_a_file_name_that_cannot_travel_is_refused(tmp_path, cli, cover):
    r = cli("hide", "--cover", cover, "--file", tmp_path / "a\0b", "-o", tmp_path / "s.png", *KEY)
    assert_clean_error(r, "NUL")
    bad = tmp_path / os.fsdecode(b"b\xff.bin")  # not UTF-8
    bad.write_bytes(b"x")
    r = cli("hide", "--cover", cover, "--file", bad, "-o", tmp_path / "s.png", *KEY)
    assert_clean_error(r, "not UTF-8")
    assert not (tmp_path / "s.png").exists()


def test_a_250_byte_name_comes_back(tmp_path, cli, cover):
    f = tmp_path / ("n" * 246 + ".txt")
    f.write_bytes(b"long name")
    r = cli("hide", "--cover", cover, "--file", f, "-o", tmp_path / "s.png", *KEY)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    out.mkdir()
    r = cli("reveal", tmp_path / "s.png", "-o", out, *KEY)
    assert r.returncode == 0, r.stderr
    assert (out / f.name).read_bytes() == b"long name"
    assert [p.name for p in out.iterdir()] == [f.name]  # no temporary file left


@pytest.mark.parametrize("name,shown", [("e\x1b[31mred\nx.txt", "\\x1b[31mred\\nx.txt"),
                                        ("gpj.\u202etxt", "gpj.\\u202etxt")])
def test_escapes_and_newlines_in_a_name_are_printed_escaped(tmp_path, cli, cover, name, shown):
    """Controls, and format characters such as a bidi override, print escaped."""
    (tmp_path / name).write_bytes(b"x")
    r = cli("hide", "--cover", cover, "--file", tmp_path / name, "-o", tmp_path / "s.png", *KEY)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    out.mkdir()
    r2 = cli("reveal", tmp_path / "s.png", "-o", out, *KEY)
    assert r2.returncode == 0, r2.stderr
    assert (out / name).read_bytes() == b"x"  # the file keeps its real name
    for text in (r.stdout, r2.stdout):
        assert "\x1b" not in text and "\u202e" not in text and text.count("\n") == 1
        assert shown in text
    r3 = cli("reveal", tmp_path / "s.png", "-o", out, *KEY)  # now it exists: said escaped
    assert_clean_error(r3, "exists", shown)
    assert "\x1b" not in r3.stderr and "\u202e" not in r3.stderr


@pytest.mark.parametrize("name", ["", ".", "..", "a/..", "a\0b"])
def test_a_hidden_name_that_names_no_file_is_refused_in_a_folder(tmp_path, cli, cover, name):
    stego = _stego_with_name(tmp_path, cover, name)
    out = tmp_path / "out"
    out.mkdir()
    r = cli("reveal", stego, "-o", out, *KEY)
    assert_clean_error(r, "cannot name a file", "-o a file path")
    assert list(out.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "c.png", "named.png", "out"]
    r = cli("reveal", stego, "-o", tmp_path / "given.bin", *KEY)  # a file path: the name unused
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "given.bin").read_bytes() == b"x"


def test_a_dangling_link_named_like_the_hidden_file_is_left_alone(tmp_path, cli, cover):
    stego = _stego_with_name(tmp_path, cover, "notes.txt")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").symlink_to(tmp_path / "nowhere")
    r = cli("reveal", stego, "-o", out, *KEY)
    assert_clean_error(r, "notes.txt", "exists")
    assert (out / "notes.txt").is_symlink() and not (tmp_path / "nowhere").exists()


def test_a_file_to_hide_must_be_a_regular_file(tmp_path, cli, cover):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for f, word in ((tmp_path, "a folder"), (tmp_path / "fifo", "FIFO"),
                    ("/dev/null", "character device"), (tmp_path / "dangling", "broken link"),
                    (tmp_path / "none", "no such file")):
        r = cli("hide", "--cover", cover, "--file", f, "-o", tmp_path / "s.png", *KEY)
        assert_clean_error(r, str(f), word)
    assert not (tmp_path / "s.png").exists()


# ---- what hide and capacity report --------------------------------------------------------

def test_json_is_json_even_for_an_exact_secret(tmp_path, cli, cover):
    flat = write_image(tmp_path / "flat.png", np.full((4, 4), 128, np.uint8))  # decodes exactly
    r = cli("hide", "--cover", cover, "--secret", flat, "-o", tmp_path / "s.png", *KEY, "--json")
    assert r.returncode == 0, r.stderr

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")
    info = json.loads(r.stdout, parse_constant=refuse)
    assert info["secret_psnr"] is None  # infinite: identical
    r = cli("capacity", "--cover", cover, "--secret", flat, "--json")
    assert r.returncode == 0 and json.loads(r.stdout, parse_constant=refuse)["secret_psnr"] is None


def test_auto_codec_carries_a_secret_smaller_than_8_pixels(tmp_path, cli, cover, rng):
    tiny = write_image(tmp_path / "tiny.png", textured(rng, 4, 6))
    r = cli("hide", "--cover", cover, "--secret", tiny, "-o", tmp_path / "s.png", *KEY, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["encoded_size"] == [4, 6]
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.png", *KEY, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["size"] == [4, 6]


def test_a_file_takes_its_share_of_the_payload_and_capacity_says_what_fits(tmp_path, cli, cover):
    r = cli("capacity", "--cover", cover, "--json")
    room = json.loads(r.stdout)["bytes"]
    f = tmp_path / "f.bin"
    f.write_bytes(os.urandom(room - len(f.name)))  # the name travels in the same bytes
    r = cli("hide", "--cover", cover, "--file", f, "-o", tmp_path / "s.png", *KEY, "--json")
    assert r.returncode == 0, r.stderr
    assert 0.98 < json.loads(r.stdout)["capacity_used"] <= 1.0  # of the 0.4 bpp, not of 1.58
    f.write_bytes(os.urandom(room - len(f.name) + 1))
    r = cli("hide", "--cover", cover, "--file", f, "-o", tmp_path / "s2.png", *KEY)
    assert_clean_error(r, f"{room - len(f.name)} fit", f"the {room} of `advstego capacity`",
                       "5-byte name")
    r = cli("capacity", "--cover", cover)
    assert "name counts" in r.stdout


def test_a_lossy_stego_reports_what_was_written_and_that_it_no_longer_reveals(tmp_path, cli,
                                                                           cover, rng):
    secret = write_image(tmp_path / "sec.png", textured(rng, 16, 16))
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.jpg", *KEY,
            "--force-lossy", "--json")
    assert r.returncode == 0, r.stderr
    written = psnr(read_image(cover), read_image(tmp_path / "s.jpg"))
    assert abs(json.loads(r.stdout)["stego_psnr"] - written) < 0.01 and written < 58
    assert "s.jpg" in r.stderr and "no longer reveals" in r.stderr
    assert_clean_error(cli("reveal", tmp_path / "s.jpg", "-o", tmp_path / "r.png", *KEY),
                       "no advstego message")


# ---- the secret's codec -------------------------------------------------------------------

def test_reveal_decodes_with_the_codec_the_header_names(tmp_path, cli, cover, rng):
    import io

    buf = io.BytesIO()
    Image.fromarray(textured(rng, 8, 8)).save(buf, format="PNG")  # PNG bytes, "jpeg" header
    stego, _ = StcHider(key="k")._hide_one(read_image(cover), msg.Payload(
        buf.getvalue(), msg.IMAGE, codec.CODECS["jpeg"][0], 8, 8, 1))
    write_image(tmp_path / "s.png", stego)
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.png", *KEY)
    assert_clean_error(r, "does not decode as jpeg")
    assert not (tmp_path / "r.png").exists()


def test_a_large_secret_is_scaled_down_before_the_codec_search(tmp_path, cli, rng,
                                                               monkeypatch):
    small = write_image(tmp_path / "c.png", textured(rng, 64, 64))
    big = write_image(tmp_path / "big.png", textured(rng, 900, 1000))
    sizes = []
    encode = codec._encode
    monkeypatch.setattr(codec, "_encode", lambda img, c, q: sizes.append(img.size) or
                        encode(img, c, q))
    r = cli("hide", "--cover", small, "--secret", big, "-o", tmp_path / "s.png", *KEY, "--json")
    assert r.returncode == 0, r.stderr
    budget = StcHider(payload=0.4).budget(64 * 64)
    assert sizes and max(w * h for w, h in sizes) <= budget * 8 / codec.MIN_BPP
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.png", *KEY, "--json")
    assert json.loads(r.stdout)["size"] == [900, 1000]


# ---- flags and their messages -------------------------------------------------------------

def test_quality_is_bounded_and_needs_its_codec(tmp_path, cli, cover, rng):
    secret = write_image(tmp_path / "sec.png", textured(rng, 16, 16))
    base = ("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png", *KEY)
    r = cli(*base, "--quality", "50")
    assert_clean_error(r, "--quality 50", "--codec jpeg")
    assert "'auto'" not in r.stderr
    assert_clean_error(cli(*base, "--quality", "1000", "--codec", "webp"), "--quality",
                       "at most 100")
    assert_clean_error(cli(*base, "--quality", "99", "--codec", "jpeg"), "jpeg takes 1..95")
    assert_clean_error(cli(*base, "--quality", "50", "--codec", "jpeg", "--payload", "0.2"),
                       "--payload 0.2 and --quality 50: give one")
    f = tmp_path / "f.bin"
    f.write_bytes(b"x")
    assert_clean_error(cli("hide", "--cover", cover, "--file", f, "-o", tmp_path / "s.png",
                           *KEY, "--quality", "50", "--codec", "jpeg"), "--codec", "--file")
    assert not (tmp_path / "s.png").exists()
    assert cli(*base, "--quality", "50", "--codec", "jpeg").returncode == 0


@pytest.mark.skipif("jxl" not in codec.CODECS, reason="no JPEG XL plugin")
def test_jxl_at_its_top_quality_is_lossless(tmp_path, cli, cover, rng):
    """A secret that fits at jxl's quality 100 (which libjxl refuses as lossy) is encoded
    lossless: hide, --quality 100 and capacity agree, and the secret comes back exact."""
    sec = textured(rng, 16, 16)
    secret = write_image(tmp_path / "sec.png", sec)
    for extra in ((), ("--quality", "100")):
        r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png", *KEY,
                "--codec", "jxl", *extra)
        assert r.returncode == 0 and "jxl q100" in r.stdout, r.stderr
        r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.png", *KEY)
        assert r.returncode == 0, r.stderr
        assert np.array_equal(read_image(tmp_path / "r.png"), sec)
        (tmp_path / "r.png").unlink()
    r = cli("capacity", "--cover", cover, "--secret", secret, "--codec", "jxl")
    assert r.returncode == 0 and "jxl q100" in r.stdout, r.stderr


def test_reveal_to_a_lossy_file_offers_its_flag(tmp_path, cli, cover, rng):
    secret = write_image(tmp_path / "sec.png", textured(rng, 16, 16))
    cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png", *KEY)
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.jpg", *KEY)
    assert_clean_error(r, "r.jpg", "--force-lossy")
    assert "stego" not in r.stderr.split("error:")[1] and "force it" not in r.stderr
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.jpg", *KEY, "--force-lossy")
    assert r.returncode == 0 and read_image(tmp_path / "r.jpg").shape == (16, 16)
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s2.jpg", *KEY)
    assert_clean_error(r, "--force-lossy")


def test_convert_lets_an_rgb_cover_take_adversarial_costs(tmp_path, cli, rng):
    rgb = write_image(tmp_path / "rgb.png", textured(rng, 64, 64, 3))
    base = ("hide", "--cover", rgb, "--secret", rgb, "-o", tmp_path / "s.png", *KEY,
            "--wardens", tmp_path / "none")
    assert_clean_error(cli(*base), "gray covers only", "--convert")
    r = cli(*base, "--convert")  # past the gray check: on to the (missing) wardens
    assert r.returncode == 2 and "gray covers only" not in r.stderr and "none" in r.stderr


def test_a_flag_the_method_does_not_take_is_refused(tmp_path, cli, cover, rng):
    secret = write_image(tmp_path / "sec.png", textured(rng, 128, 128))
    base = ("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "s.png", *KEY)
    assert_clean_error(cli(*base, "--model", "hardened"), "--model", "--method gan")
    assert_clean_error(cli(*base, "--device", "foo"), "--device", "--method stc")
    assert_clean_error(cli(*base, "--method", "lsb", "--payload", "0.2"), "--payload",
                       "--method lsb")
    assert_clean_error(cli(*base, "--resize-secret"), "--resize-secret", "any size")
    assert not (tmp_path / "s.png").exists()
    r = cli("reveal", cover, "-o", tmp_path / "r.png", *KEY, "--model", "hardened")
    assert_clean_error(r, "--model", "--method gan")


def test_numbers_of_the_option_spec_are_finite(tmp_path, cli):
    r = cli("harden", "--data", tmp_path, "--out", tmp_path / "o", "--backpack-lr", "inf")
    assert_clean_error(r, "--backpack-lr", "finite")


def test_embed_messages_read_right_on_a_rerun(tmp_path, cli, rng):
    src = tmp_path / "covers"
    src.mkdir()
    write_image(src / "a.png", textured(rng, 64, 64))
    args = ("embed", "--method", "wow", "--in", src, "--out", tmp_path / "e", "--workers", "1")
    assert cli(*args).returncode == 0
    r = cli(*args)
    assert r.returncode == 0 and "1 wow stegos" in r.stdout and "1 of them made before" in r.stdout
    r = cli(*args, "--payload", "0.2")
    assert_clean_error(r, "holds an embed run")


# ---- EXIF orientation ---------------------------------------------------------------------

def test_exif_orientation_is_applied_to_cover_and_secret(tmp_path, cli, rng):
    def turned(name, h, w):
        img = Image.fromarray(textured(rng, h, w))
        exif = img.getexif()
        exif[0x0112] = 6  # shown turned a quarter: w x h on screen
        img.save(tmp_path / name, exif=exif)
        return tmp_path / name, np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / name)))

    cover, shown_cover = turned("c.png", 96, 128)
    secret, shown_secret = turned("s.png", 12, 20)
    assert shown_cover.shape == (128, 96)
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "st.png", *KEY)
    assert r.returncode == 0, r.stderr
    stego = read_image(tmp_path / "st.png")
    assert stego.shape == shown_cover.shape and psnr(shown_cover, stego) > 45
    r = cli("reveal", tmp_path / "st.png", "-o", tmp_path / "r.png", *KEY, "--json")
    assert json.loads(r.stdout)["size"] == list(shown_secret.shape)


def test_hide_says_what_it_did_and_json_agrees(tmp_path, cli, rng):
    c = write_image(tmp_path / "c.png", textured(rng, 128, 128))
    s = write_image(tmp_path / "s.png", textured(rng, 200, 150))  # any size: no resize needed
    r = cli("hide", "--cover", c, "--secret", s, "-o", tmp_path / "st.png", "--key", "k")
    assert r.returncode == 0, r.stderr
    for word in ("stc-suniward-auto-0.4", "secret as", "bytes", "secret PSNR", "% of the payload"):
        assert word in r.stdout, word
    r = cli("hide", "--cover", c, "--secret", s, "-o", tmp_path / "st2.png", "--key", "k",
            "--json")
    info = json.loads(r.stdout)
    assert info["method"] == "stc" and info["codec"] in ("avif", "jxl", "jpeg", "webp")
    assert 0.9 < info["capacity_used"] <= 1.0 and info["bytes"] > 0
    r = cli("reveal", tmp_path / "st2.png", "-o", tmp_path / "r.png", "--key", "k", "--json")
    back = json.loads(r.stdout)
    assert back["kind"] == "image" and back["size"] == [200, 150]
    revealed = read_image(tmp_path / "r.png")
    assert abs(psnr(read_image(s), revealed) - info["secret_psnr"]) < 0.01


def test_a_file_goes_in_and_comes_back_under_its_name(tmp_path, cli, rng):
    c = write_image(tmp_path / "c.png", textured(rng, 128, 128))
    f = tmp_path / "notes.txt"
    f.write_bytes(b"meet at the station at noon\n" * 20)
    r = cli("hide", "--cover", c, "--file", f, "-o", tmp_path / "st.png", "--key", "pw")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    out.mkdir()
    r = cli("reveal", tmp_path / "st.png", "-o", out, "--key", "pw")
    assert r.returncode == 0, r.stderr
    assert (out / "notes.txt").read_bytes() == f.read_bytes()
    r = cli("reveal", tmp_path / "st.png", "-o", out, "--key", "pw")
    assert_clean_error(r, "exists")
    r = cli("reveal", tmp_path / "st.png", "-o", tmp_path / "x.txt", "--key", "wrong")
    assert_clean_error(r, "no advstego message")
    r = cli("hide", "--cover", c, "--file", f, "-o", tmp_path / "g.png", "--method", "gan")
    assert_clean_error(r, "--method stc")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(5000))
    r = cli("hide", "--cover", c, "--file", big, "-o", tmp_path / "b.png", "--key", "pw")
    assert_clean_error(r, "big.bin", "fit")


def test_an_rgb_secret_in_a_gray_cover(tmp_path, cli, rng):
    c = write_image(tmp_path / "c.png", textured(rng, 128, 128))
    s = write_image(tmp_path / "s.png", textured(rng, 64, 64, 3))
    r = cli("hide", "--cover", c, "--secret", s, "-o", tmp_path / "st.png", "--key", "k",
            "--payload", "1.0")
    assert r.returncode == 0, r.stderr
    cli("reveal", tmp_path / "st.png", "-o", tmp_path / "r.png", "--key", "k")
    assert read_image(tmp_path / "r.png").shape == (64, 64, 3)
    assert np.abs(read_image(tmp_path / "st.png").astype(int) - read_image(c)).max() <= 1


def test_a_gray_stego_as_webp_reveals_in_its_own_mode(tmp_path, cli, pair):
    cover, secret = pair
    for method in ("gan", "stc"):
        out = tmp_path / f"{method}.webp"
        r = cli("hide", "--cover", cover, "--secret", secret, "-o", out, "--method", method,
                "--key", "k")
        assert r.returncode == 0, r.stderr
        r = cli("reveal", out, "-o", tmp_path / f"{method}-r.png", "--method", method,
                "--key", "k")
        assert r.returncode == 0, r.stderr
        revealed = read_image(tmp_path / f"{method}-r.png")
        assert revealed.ndim == 2  # the gray model, not the RGB one
        err = np.abs(revealed.astype(float) - read_image(secret).astype(float)).mean()
        assert err < 40, (method, err)


def test_a_gray_gif_cover_is_gray(tmp_path, cli, pair):
    from PIL import Image

    cover, secret = pair
    Image.open(cover).convert("P").save(tmp_path / "c.gif")
    r = cli("hide", "--cover", tmp_path / "c.gif", "--secret", secret, "-o", tmp_path / "s.png",
            "--method", "gan")
    assert r.returncode == 0, r.stderr
    assert read_image(tmp_path / "s.png").ndim == 2


def test_adversarial_costs_on_an_rgb_cover_are_refused_at_once(tmp_path, cli, rng):
    c = write_image(tmp_path / "c.png", textured(rng, 64, 64, 3))
    t = time.perf_counter()
    r = cli("hide", "--cover", c, "--secret", c, "-o", tmp_path / "s.png", "--adversarial",
            "--key", "k")
    assert_clean_error(r, "gray covers only")
    assert time.perf_counter() - t < 10 and not (tmp_path / "s.png").exists()
