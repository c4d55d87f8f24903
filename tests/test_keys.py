"""Keys: a guess costs one scrypt, a key comes from a file, the environment or a prompt, runs
record a fingerprint, and a key that means nothing is refused or said to be ignored."""

import io
import json

import numpy as np
import pytest

from advstego import keys
from advstego.errors import InputError
from advstego.hiding import base
from advstego.hiding.classical import StcHider
from advstego.hiding.message import NoMessage, Payload, seal
from advstego.hiding.registry import load_hider
from advstego.images import read_image, write_image
from conftest import assert_clean_error, textured


@pytest.fixture
def pair(rng):
    return textured(rng, 64, 64), textured(rng, 64, 64)


def test_the_key_reaches_the_stego_only_through_one_kdf(pair, monkeypatch):
    """Format 3: order, seeds and message key all come from kdf(key). With a kdf that gives
    every key the same bytes, another key reads the stego; a wrong-key reveal runs the kdf."""
    cover, secret = pair
    monkeypatch.setattr(base, "MASTERS", {})
    monkeypatch.setattr(base, "kdf", lambda secret: bytes(32))
    a, b = StcHider(key="alpha", payload=0.8), StcHider(key="beta")
    assert a._seed() == b._seed() and np.array_equal(a._order(4096), b._order(4096))
    stego = a.hide(cover, secret)
    assert np.array_equal(b.reveal(stego), a.reveal(stego))
    assert seal(Payload(b"x"), "alpha")[:3] == b"AS\x03"

    calls = []
    real = base.hashlib.scrypt

    def counted(secret):
        calls.append(secret)
        return real(secret, salt=base.KDF_SALT, **base.SCRYPT, maxmem=64 << 20, dklen=32)
    monkeypatch.setattr(base, "MASTERS", {})
    monkeypatch.setattr(base, "kdf", counted)
    with pytest.raises(NoMessage):
        StcHider(key="gamma").reveal(stego)
    assert calls == [b"gamma"]  # the guess paid one scrypt; its master is kept ...
    with pytest.raises(NoMessage):
        StcHider(key="gamma").reveal(stego)
    assert len(calls) == 1  # ... so a batch pays one per key


def test_keys_come_from_the_flag_a_file_the_environment_or_a_prompt(tmp_path, monkeypatch):
    f = tmp_path / "key.txt"
    f.write_text("file key\n\n")  # one trailing newline dropped, not two
    env = {keys.ENV: "env key"}
    assert keys.resolve_key("flag key", None, env) == ("flag key", "--key")
    assert keys.resolve_key(None, f, env) == ("file key\n", "--key-file")
    assert keys.resolve_key(None, None, env) == ("env key", keys.ENV)
    assert keys.resolve_key(None, None, {}) == (None, "default")
    monkeypatch.setattr(keys.sys, "stdin", io.StringIO("typed key\n"))  # no terminal: a line
    assert keys.resolve_key("-", None, env) == ("typed key", "the prompt")
    monkeypatch.setattr(keys, "can_ask", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "secret typed")
    assert keys.ask_key() == "secret typed"
    f.write_text("\n")
    for given, file, environ, words in (("k", f, {}, "give one"), (None, f, {}, "empty"),
                                        (None, tmp_path / "no", {}, "no such file"),
                                        ("", None, {}, "non-empty"),
                                        (None, None, {keys.ENV: ""}, "empty")):
        with pytest.raises(InputError, match=words):
            keys.resolve_key(given, file, environ)


def test_the_command_line_reads_a_key_off_the_command_line(tmp_path, cli, pair, monkeypatch):
    for name, img in zip(("c.png", "s.png"), pair):
        write_image(tmp_path / name, img)
    c, s, st = tmp_path / "c.png", tmp_path / "s.png", tmp_path / "st.png"
    monkeypatch.setenv(keys.ENV, "from the environment")
    r = cli("hide", "--cover", c, "--secret", s, "-o", st, "--payload", "0.8")
    assert r.returncode == 0 and "default key" not in r.stderr, r.stderr
    monkeypatch.delenv(keys.ENV)
    (tmp_path / "k").write_text("from the environment\n")
    r = cli("reveal", st, "-o", tmp_path / "r.png", "--key-file", tmp_path / "k")
    assert r.returncode == 0, r.stderr
    assert_clean_error(cli("reveal", st, "-o", tmp_path / "w.png"), "no advstego message")
    monkeypatch.setattr(keys, "can_ask", lambda: True)  # on a terminal: the public key
    monkeypatch.setattr("getpass.getpass", lambda prompt: "from the environment")  # failed,
    r = cli("reveal", st, "-o", tmp_path / "p.png")  # so the key is asked for
    assert r.returncode == 0, r.stderr
    assert np.array_equal(read_image(tmp_path / "p.png", "gray"),
                          read_image(tmp_path / "r.png", "gray"))
    assert_clean_error(cli("hide", "--cover", c, "--secret", s, "-o", tmp_path / "x.png",
                           "--key", ""), "--key", "non-empty")
    assert_clean_error(cli("reveal", st, "-o", tmp_path / "k", "--key-file", tmp_path / "k"),
                       "k")  # the key file is an input, never an output
    assert (tmp_path / "k").read_text() == "from the environment\n"


def test_keys_that_mean_nothing_are_refused_or_said(tmp_path, cli, pair, monkeypatch):
    for key in (None, "", 5):
        with pytest.raises(InputError, match="key"):
            load_hider("stc", key=key)
        with pytest.raises(InputError, match="key"):
            StcHider(key=key)
    write_image(tmp_path / "c.png", pair[0])
    write_image(tmp_path / "s.png", pair[1])
    hide = ("hide", "--cover", tmp_path / "c.png", "--secret", tmp_path / "s.png", "-o")
    r = cli(*hide, tmp_path / "l1.png", "--method", "lsb", "--key", "K")
    assert r.returncode == 0 and "not keyed" in r.stderr and "ignored" in r.stderr
    r = cli(*hide, tmp_path / "l2.png", "--method", "lsb")
    assert r.returncode == 0 and "not keyed" not in r.stderr
    r = cli("reveal", tmp_path / "l1.png", "-o", tmp_path / "lr.png", "--method", "lsb",
            "--key", "K")
    assert r.returncode == 0 and "not keyed" in r.stderr and "wrong key" not in r.stderr
    assert "a wrong method gives noise" in r.stderr
    r = cli(*hide, tmp_path / "g.png", "--method", "gan")  # a keyed model, the public key
    assert r.returncode == 0 and "no key given: the default key is public" in r.stderr
    r = cli(*hide, tmp_path / "p.png", "--key", "advstego")  # not "no key"
    assert r.returncode == 0 and ("the key given (by --key) is the public default key: anyone "
                                  "with advstego can reveal this secret; choose your own key"
                                  in r.stderr)
    monkeypatch.setenv(keys.ENV, "advstego")
    r = cli(*hide, tmp_path / "e.png")
    assert r.returncode == 0 and "(by ADVSTEGO_KEY) is the public default key" in r.stderr
    assert "give --key-file" not in r.stderr


@pytest.mark.parametrize("change,what", [({"codec": 99}, "codec 99 unknown"),
                                         ({"height": 0, "width": 0}, "a 0x0 secret"),
                                         ({"channels": 5}, "5 channels"),
                                         ({"kind": 7}, "kind 7 unknown")])
def test_an_authentic_but_malformed_message_is_not_blamed_on_the_key(tmp_path, cli, pair,
                                                                     monkeypatch, change, what):
    import dataclasses

    from advstego.hiding import message

    real = message.seal
    monkeypatch.setattr(message, "seal", lambda p, key: real(dataclasses.replace(p, **change),
                                                               key))
    stego, _ = StcHider(key="k", payload=0.4).hide_info(*pair)
    write_image(tmp_path / "s.png", stego)
    r = cli("reveal", tmp_path / "s.png", "-o", tmp_path / "r.png", "--key", "k")
    assert_clean_error(r, "authentic", f"malformed ({what})", "newer advstego version")
    assert "wrong" not in r.stderr and not (tmp_path / "r.png").exists()


def test_a_run_records_a_fingerprint_and_resumes_with_the_same_key(tmp_path, cli,
                                                                   monkeypatch):
    from advstego.game import play
    from advstego.game.config import game_settings, make_config, same_game

    cfg = make_config("quick", method="stc", key="s3cret")
    rec = game_settings(cfg)
    fp = rec["hider"]["settings"]["key"]
    assert "s3cret" not in json.dumps(rec) and fp.startswith("fingerprint ")
    # a run written before specs and fingerprints: flat settings, the key in clear
    old = {"method": "stc", "wardens": ["xunet"], "warden_epochs": 3, "seeds": 1,
           "warden_warmup": 0, "warden_easy": 1.0, "srm": "srmq1-fld", "srm_L": 31,
           "srm_d_sub": 600, "seed": 0, "preset": "quick", "payload": 0.4, "cost": "suniward",
           "codec": "auto", "key": "s3cret", "alpha": 2.0, "scheme": "published", "search": 4,
           "play": "pool", "backpack_steps": 20, "backpack_lr": 0.1}
    assert same_game(rec, cfg) and same_game(old, cfg)
    assert not same_game(rec, make_config("quick", method="stc", key="other"))
    assert "key" not in game_settings(make_config("quick", method="stc", key="advstego"))[
        "hider"]["settings"]

    monkeypatch.setattr(play, "harden", lambda *a, **k: [])  # the claim, not the game
    monkeypatch.setattr("advstego.data.prepare.load_manifest", lambda folder: {})
    monkeypatch.setattr(play, "check_data", lambda *a, **k: False)  # no corpus either
    (tmp_path / "data").mkdir()
    run = ("harden", "--data", tmp_path / "data", "--method", "stc", "--out", tmp_path / "h")
    (tmp_path / "h").mkdir()
    marker = tmp_path / "h" / ".advstego-run.json"  # a run claimed before, key in clear
    marker.write_text(json.dumps({"command": "harden",
                                  "settings": {**old, "data": str(tmp_path / "data")}}))
    assert cli(*run, "--key", "s3cret").returncode == 0
    assert "s3cret" not in marker.read_text() and fp in marker.read_text()
    assert cli(*run, "--key", "s3cret").returncode == 0  # resumed with the same key
    assert_clean_error(cli(*run, "--key", "other"), "other settings")
