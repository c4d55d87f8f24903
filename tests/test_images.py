
import numpy as np
import pytest
from PIL import Image

from advstego.errors import InputError
from advstego.images import (PNG_LEVEL, ImageWarning, from_tensor, read_image, to_tensor,
                             write_image)
from conftest import textured


@pytest.mark.parametrize("ext", [".png", ".pgm", ".bmp", ".tif", ".webp"])
def test_lossless_gray_round_trip(tmp_path, rng, ext):
    img = textured(rng, 33, 47)
    p = write_image(tmp_path / f"a{ext}", img)
    back = read_image(p, "gray")
    assert back.dtype == np.uint8 and back.shape == (33, 47)
    assert np.array_equal(back, img)


@pytest.mark.parametrize("ext", [".png", ".ppm", ".bmp", ".tiff", ".webp"])
def test_lossless_rgb_round_trip(tmp_path, rng, ext):
    img = textured(rng, 20, 30, 3)
    p = write_image(tmp_path / f"a{ext}", img)
    assert np.array_equal(read_image(p, "rgb"), img)


def test_png_is_written_at_a_quick_zlib_level_and_no_larger_than_the_default(tmp_path, rng):
    """Level 4 (images.PNG_LEVEL), not zlib's default 6: about half the time on a photo's
    stego, the same pixels, and no larger a file here (a stego's noisy LSBs)."""
    img = textured(rng, 192, 256, 3)
    img[::2] ^= rng.integers(0, 2, img[::2].shape, dtype=np.uint8)  # ±1-like changes
    p = write_image(tmp_path / "a.png", img)
    for level in (PNG_LEVEL, 6):
        Image.fromarray(img).save(tmp_path / f"{level}.png", compress_level=level)
    assert PNG_LEVEL < 6 and p.read_bytes() == (tmp_path / f"{PNG_LEVEL}.png").read_bytes()
    assert np.array_equal(read_image(p, "rgb"), img)
    assert p.stat().st_size <= (tmp_path / "6.png").stat().st_size


def test_jpeg_read_and_lossy_write_refused(tmp_path, rng):
    img = textured(rng, 32, 32, 3)
    with pytest.raises(InputError, match="lossy"):
        write_image(tmp_path / "s.jpg", img)
    assert not list(tmp_path.iterdir())
    write_image(tmp_path / "s.jpg", img, allow_lossy=True)
    back = read_image(tmp_path / "s.jpg", "rgb")
    assert back.shape == img.shape and not np.array_equal(back, img)


def test_mode_mismatch_refused_or_converted(tmp_path, rng):
    p = write_image(tmp_path / "c.png", textured(rng, 16, 16, 3))
    with pytest.raises(InputError, match="rgb, but gray"):
        read_image(p, "gray")
    g = read_image(p, "gray", convert=True)
    assert g.shape == (16, 16)
    assert np.array_equal(g, np.array(Image.open(p).convert("L")))


def test_16bit_reduced_with_warning(tmp_path):
    arr = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    Image.fromarray(arr).save(tmp_path / "d.png")
    with pytest.warns(ImageWarning, match="16-bit"):
        out = read_image(tmp_path / "d.png")
    assert np.array_equal(out, (arr >> 8).astype(np.uint8))


def test_wide_integer_and_float_gray_read_honestly(tmp_path, cli, rng):
    """A 32-bit (or float) image holding 0..255 is read as is, said so; 16-bit data keeps
    its high byte; negative, too large or fractional values are refused by name."""
    g = textured(rng, 64, 64)
    Image.fromarray(g).convert("I").save(tmp_path / "i32.tif")
    Image.fromarray(g.astype(np.float32)).save(tmp_path / "f.tif")
    for name, what in (("i32.tif", "32-bit integer"), ("f.tif", "32-bit float")):
        with pytest.warns(ImageWarning, match=f"{what} image with values .* read as 8-bit"):
            assert np.array_equal(read_image(tmp_path / name), g)
    Image.fromarray(g.astype(np.int32) * 257, "I").save(tmp_path / "i16.tif")
    with pytest.warns(ImageWarning, match="as 16-bit data \\(high byte kept\\)"):
        assert np.array_equal(read_image(tmp_path / "i16.tif"), g)
    for arr, why in ((g.astype(np.int32) - 256, "outside 0..65535"),
                     (g.astype(np.float32) / 255, "fractional")):
        Image.fromarray(arr).save(tmp_path / "bad.tif")
        with pytest.raises(InputError, match=why):
            read_image(tmp_path / "bad.tif")
    sec = write_image(tmp_path / "s.png", textured(rng, 8, 8))
    r = cli("hide", "--cover", tmp_path / "i32.tif", "--secret", sec, "-o", tmp_path / "st.png",
            "--key", "k")
    assert r.returncode == 0 and "read as 8-bit" in r.stderr, r.stderr
    assert np.abs(read_image(tmp_path / "st.png").astype(int) - g).max() <= 1


def test_palette_expanded_with_warning(tmp_path, rng):
    img = Image.fromarray(textured(rng, 16, 16, 3)).convert("P")
    img.save(tmp_path / "p.png")
    with pytest.warns(ImageWarning, match="palette"):
        out = read_image(tmp_path / "p.png")
    assert np.array_equal(out, np.array(img.convert("RGB")))


def test_alpha_opaque_dropped_transparent_refused(tmp_path, rng):
    rgb = textured(rng, 8, 8, 3)
    a = np.full((8, 8, 1), 255, np.uint8)
    Image.fromarray(np.concatenate([rgb, a], 2), "RGBA").save(tmp_path / "o.png")
    with pytest.warns(ImageWarning, match="alpha"):
        assert np.array_equal(read_image(tmp_path / "o.png"), rgb)
    a[0, 0] = 10
    Image.fromarray(np.concatenate([rgb, a], 2), "RGBA").save(tmp_path / "t.png")
    with pytest.raises(InputError, match="transparent"):
        read_image(tmp_path / "t.png")
    la = np.stack([rgb[..., 0], a[..., 0]], 2)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    with pytest.raises(InputError, match="transparent"):
        read_image(tmp_path / "la.png")


def test_bad_files(tmp_path, rng):
    with pytest.raises(InputError, match="no such file"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("hello, not an image")
    with pytest.raises(InputError, match="not an image"):
        read_image(tmp_path / "notes.png")
    write_image(tmp_path / "full.png", textured(rng, 64, 64))
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_image(tmp_path / "cut.png")


def test_write_is_atomic_and_leaves_no_temp(tmp_path, rng, monkeypatch):
    good = textured(rng, 8, 8)
    write_image(tmp_path / "x.png", good)
    # a failure mid-save leaves the old file intact and no temporary file behind
    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(RuntimeError):
        write_image(tmp_path / "x.png", 255 - good)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]
    assert np.array_equal(read_image(tmp_path / "x.png"), good)


def test_tensor_round_trip_exact():
    every = np.arange(256, dtype=np.uint8).reshape(16, 16)
    t = to_tensor(every)
    assert t.shape == (1, 1, 16, 16) and t.dtype.is_floating_point
    assert float(t.min()) == 0.0 and float(t.max()) == 1.0
    assert np.array_equal(from_tensor(t)[0], every)
    rgb = np.stack([every, every[::-1], every.T], 2)
    t = to_tensor(rgb)
    assert t.shape == (1, 3, 16, 16)
    assert np.array_equal(from_tensor(t)[0], rgb)
    batch = np.stack([every, 255 - every])
    assert np.array_equal(from_tensor(to_tensor(batch)), batch)
