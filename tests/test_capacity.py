"""`capacity` answers from the cover's size and the payload (and the secret's codec search),
never by embedding, and says what `hide` then does."""

import json

import pytest

from advstego.images import write_image
from conftest import textured


@pytest.fixture
def files(tmp_path, rng):
    return (write_image(tmp_path / "c.png", textured(rng, 96, 128, 3)),
            write_image(tmp_path / "s.png", textured(rng, 48, 40, 3)))


def test_capacity_runs_no_embedding(files, cli, monkeypatch):
    from advstego.hiding import classical, stc

    def refuse(*a, **k):
        raise AssertionError("capacity embedded")

    for module, name in ((stc, "embed_ternary"), (stc, "embed_bits"), (classical, "_costs")):
        monkeypatch.setattr(module, name, refuse)
    cover, secret = files
    r = cli("capacity", "--cover", cover, "--secret", secret, "--payload", "0.5", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["bytes"] == int(0.5 * 96 * 128 * 3 // 8) - 43 and got["quality"] >= 1


def test_capacity_names_the_encoding_hide_then_uses(files, cli, tmp_path):
    cover, secret = files
    r = cli("capacity", "--cover", cover, "--secret", secret, "--payload", "0.1", "--json")
    said = json.loads(r.stdout)
    r = cli("hide", "--cover", cover, "--secret", secret, "--payload", "0.1", "--key", "k",
            "-o", tmp_path / "st.png", "--json")
    assert r.returncode == 0, r.stderr
    did = json.loads(r.stdout)
    assert [did[k] for k in ("codec", "quality", "encoded_size")] == \
        [said[k] for k in ("codec", "quality", "encoded_size")]
    assert did["bytes"] <= said["bytes"]


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
