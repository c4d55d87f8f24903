"""Every bad input: one line on stderr naming the file, exit 2, nothing half-written."""


from advstego.images import write_image
from conftest import assert_clean_error, textured


def _prepare(cli, src, out, *extra):
    return cli("data", "prepare", "--source", src, "--size", "32", "--gray", "--out", out, *extra)


def test_missing_path(tmp_path, cli):
    r = _prepare(cli, tmp_path / "nope", tmp_path / "out")
    assert_clean_error(r, "nope", "no such folder")
    assert not (tmp_path / "out").exists()


def test_empty_folder(tmp_path, cli):
    (tmp_path / "empty").mkdir()
    r = _prepare(cli, tmp_path / "empty", tmp_path / "out")
    assert_clean_error(r, "empty", "no image files")
    assert not (tmp_path / "out").exists()


def test_non_image_file(tmp_path, cli, rng):
    src = tmp_path / "src"
    src.mkdir()
    write_image(src / "good.png", textured(rng, 64, 64))
    (src / "bad.png").write_text("this is text")
    r = _prepare(cli, src, tmp_path / "out")  # skipped and counted, in one warning line
    assert r.returncode == 0 and "unreadable_photos 1" in r.stdout
    assert r.stderr.count("\n") == 1 and "bad.png: not an image" in r.stderr
    (src / "good.png").unlink()
    r = _prepare(cli, src, tmp_path / "out2")
    assert_clean_error(r, "bad.png", "not an image")
    assert sorted(tmp_path.iterdir()) == [tmp_path / "out", src]  # nothing half-written


def test_truncated_png(tmp_path, cli, rng):
    src = tmp_path / "src"
    src.mkdir()
    write_image(src / "full.png", textured(rng, 64, 64))
    data = (src / "full.png").read_bytes()
    (src / "full.png").write_bytes(data[:200])
    r = _prepare(cli, src, tmp_path / "out")
    assert_clean_error(r, "full.png", "truncated")
    assert list(tmp_path.iterdir()) == [src]


def test_image_smaller_than_crop(tmp_path, cli, rng):
    src = tmp_path / "src"
    src.mkdir()
    write_image(src / "small.png", textured(rng, 20, 50))
    r = _prepare(cli, src, tmp_path / "out")
    assert_clean_error(r, "small.png", "smaller than the 32x32 crop")
    assert list(tmp_path.iterdir()) == [src]


def test_mixed_gray_and_rgb(tmp_path, cli, rng):
    src = tmp_path / "src"
    src.mkdir()
    write_image(src / "a_gray.png", textured(rng, 64, 64))
    write_image(src / "b_rgb.png", textured(rng, 64, 64, 3))
    r = _prepare(cli, src, tmp_path / "out")
    assert_clean_error(r, "b_rgb.png", "rgb", "gray")
    assert list(tmp_path.iterdir()) == [src]
    r = cli("data", "prepare", "--source", src, "--size", "32", "--out", tmp_path / "out")
    assert_clean_error(r, "a_gray.png", "gray", "rgb")
    r = _prepare(cli, src, tmp_path / "out", "--convert", "--min-std", "0")
    assert r.returncode == 0, r.stderr


def test_info_on_non_corpus(tmp_path, cli):
    r = cli("data", "info", tmp_path)
    assert_clean_error(r, "not a prepared corpus")
    (tmp_path / "manifest.json").write_text("{broken")
    r = cli("data", "info", tmp_path)
    assert_clean_error(r, "corrupt manifest")


def test_bad_split(tmp_path, cli):
    r = cli("data", "prepare", "--source", "sample", "--size", "32", "--split", "0.5,0.6,0.1",
            "--out", tmp_path / "o")
    assert_clean_error(r, "--split")


def test_training_settings_are_checked_by_the_one_spec(tmp_path, cli, tiny_corpus):
    """`train` flags come from hiding/config.FLAGS: limits and choices refused in one line,
    before any folder is made; a preset's switch stays on when its flag is not given."""
    from advstego.hiding.config import make_config

    for flag, value in (("--width", "0"), ("--lr", "0"), ("--rounding", "round"),
                        ("--val-pairs", "0")):
        r = cli("train", "--data", tiny_corpus, "--out", tmp_path / "run", flag, value)
        assert_clean_error(r, flag)
        assert not (tmp_path / "run").exists()
    assert make_config("offline", cosine=None).cosine is True


def test_an_interrupt_offers_a_rerun_only_to_a_command_that_resumes(tmp_path, cli, rng,
                                                                     monkeypatch):
    import advstego.embedding
    from advstego.hiding.classical import StcHider

    def stop(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(StcHider, "hide_info", stop)
    monkeypatch.setattr(advstego.embedding, "embed_folder", stop)
    (tmp_path / "in").mkdir()
    c = write_image(tmp_path / "in" / "c.png", textured(rng, 64, 64))
    r = cli("hide", "--cover", c, "--secret", c, "-o", tmp_path / "s.png", "--key", "k")
    assert r.returncode == 130 and r.stderr == "advstego: interrupted\n"
    r = cli("embed", "--method", "wow", "--in", tmp_path / "in", "--out", tmp_path / "st")
    assert r.returncode == 130 and "rerun the same command to resume" in r.stderr
