"""The command line for every day: STC by default, what hide did, files, capacity, keys."""

import json

import numpy as np

from advstego.images import read_image, write_image
from advstego.metrics import psnr
from conftest import assert_clean_error, textured


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


def test_capacity_and_the_public_key_warning(tmp_path, cli, rng):
    c = write_image(tmp_path / "c.png", textured(rng, 128, 128))
    s = write_image(tmp_path / "s.png", textured(rng, 128, 128))
    r = cli("capacity", "--cover", c, "--secret", s, "--payload", "0.4", "--json")
    got = json.loads(r.stdout)
    assert got["bytes"] == int(0.4 * 128 * 128 // 8) - 43 and got["secret_psnr"] > 15
    r = cli("hide", "--cover", c, "--secret", s, "-o", tmp_path / "st.png")
    assert r.returncode == 0 and "default key is public" in r.stderr
    r = cli("hide", "--cover", c, "--secret", s, "-o", tmp_path / "st3.png", "--key", "x")
    assert "warning" not in r.stderr


def test_an_rgb_secret_in_a_gray_cover(tmp_path, cli, rng):
    c = write_image(tmp_path / "c.png", textured(rng, 128, 128))
    s = write_image(tmp_path / "s.png", textured(rng, 64, 64, 3))
    r = cli("hide", "--cover", c, "--secret", s, "-o", tmp_path / "st.png", "--key", "k",
            "--payload", "1.0")
    assert r.returncode == 0, r.stderr
    cli("reveal", tmp_path / "st.png", "-o", tmp_path / "r.png", "--key", "k")
    assert read_image(tmp_path / "r.png").shape == (64, 64, 3)
    assert np.abs(read_image(tmp_path / "st.png").astype(int) - read_image(c)).max() <= 1
