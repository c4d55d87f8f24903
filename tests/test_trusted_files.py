"""Files advstego reads but did not write for this command (a strategy.json, a model's
metadata, an experiment config, a run's records): a crafted one is refused in one line, in
bounded time and memory, before any work and before anything is written."""

import json
import resource
import shutil
import time

import numpy as np
import pytest

from advstego.errors import InputError
from advstego.images import write_image
from conftest import assert_clean_error, textured

WARDEN = "round-0-xunet.safetensors"  # a shipped warden: a small valid CNN file


@pytest.fixture
def cover(tmp_path, rng):
    from advstego.images import write_image

    path = tmp_path / "cover.png"
    write_image(path, textured(rng, 64, 64))
    return path


def _strategy(folder, info) -> "Path":
    from advstego.attacks.strategy import shipped_strategy

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shipped_strategy() / WARDEN, folder / WARDEN)
    (folder / "strategy.json").write_text(info if isinstance(info, str) else json.dumps(info))
    return folder


def _hide(cli, wardens, cover, out):
    return cli("hide", "--method", "stc", "--wardens", wardens, "--cover", cover,
               "--secret", cover, "-o", out, "--key", "k")


# ---- strategy.json --------------------------------------------------------------------------

def test_a_strategy_json_is_checked_by_the_option_spec(tmp_path, cli, cover):
    for bad, word in ((-1, "at least 1"), ("many", "must be int")):  # it hung / a traceback
        w = _strategy(tmp_path / f"w{bad}", {"search": bad})
        t = time.perf_counter()
        r = _hide(cli, w, cover, tmp_path / "s.png")
        assert time.perf_counter() - t < 20
        assert_clean_error(r, "strategy.json", "search", word)
        assert not (tmp_path / "s.png").exists()


def test_strategy_settings_out_of_range_or_not_numbers_are_refused_by_name(tmp_path):
    from advstego.attacks.strategy import strategy_settings

    for key, bad in (("search", 10 ** 20), ("search", 1e300), ("alpha", 1.0), ("alpha", 1e9),
                     ("steps", 0), ("lr", 0), ("scheme", "evil")):
        w = _strategy(tmp_path / f"{key}{bad}", {key: bad})
        with pytest.raises(InputError, match=f"strategy.json: {key} "):
            strategy_settings(w)
    for text in ('{"search": NaN}', '{"alpha": Infinity}', "[1, 2]", "{" * 50000, "not json"):
        w = _strategy(tmp_path / "text", text)
        with pytest.raises(InputError, match="strategy"):
            strategy_settings(w)
    w = _strategy(tmp_path / "good", {"round": 2, "scheme": "joint", "search": 2, "alpha": 3})
    assert strategy_settings(w) == {"scheme": "joint", "search": 2, "alpha": 3.0}


def test_harden_takes_the_limits_a_strategy_json_is_read_with():
    from advstego.attacks.strategy import SETTINGS
    from advstego.game.config import ADVERSARY_FLAGS, FLAGS, make_config

    for field, name in ADVERSARY_FLAGS.items():
        assert FLAGS[field].maximum == SETTINGS[name].maximum
    with pytest.raises(InputError, match="search 65 must be at most 64"):
        make_config("quick", method="stc", search=65)


def test_a_finished_game_whose_best_round_is_0_says_so(tmp_path, cli, cover):
    """Round 0 is plain STC: its strategy/ holds strategy.json and no pool (play.py's
    write_strategy); hide --wardens RUN says that, not that the run holds no wardens."""
    run = tmp_path / "game"
    _strategy(run / "round-0", {"x": 1})  # the round's judging warden is no strategy
    (run / "strategy").mkdir()
    (run / "strategy" / "strategy.json").write_text(json.dumps(
        {"round": 0, "scheme": "published", "play": "pool", "alpha": 2.0, "search": 4,
         "steps": 20, "lr": 0.1}))
    (run / "config.json").write_text(json.dumps({"method": "stc", "rounds": 2}))
    for where in (run, run / "strategy"):
        r = _hide(cli, where, cover, tmp_path / "s.png")
        assert_clean_error(r, "best round is 0", "plain STC", "leave out --wardens")
        assert not (tmp_path / "s.png").exists()
    (run / "strategy" / "strategy.json").write_text('{"round": -1}')
    assert_clean_error(_hide(cli, run, cover, tmp_path / "s.png"), "round -1")


# ---- model files ----------------------------------------------------------------------------

def _hiding_file(path, config, tensors=None):
    import torch

    from advstego import weights

    return weights.save(path, tensors or {"encoder.x": torch.zeros(2)},
                        {"kind": "hiding-model", "config": config})


def _refused_unbuilt(monkeypatch, cls, load, match):
    """load() refused, fast, cls never built (its memory never asked for)."""
    built = []
    real = cls.__init__
    monkeypatch.setattr(cls, "__init__", lambda self, *a, **k: (built.append(1),
                                                                 real(self, *a, **k))[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    with pytest.raises(InputError, match=match):
        load()
    assert time.perf_counter() - t < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100 * 1024  # KiB
    assert not built


def test_a_model_asking_for_a_huge_network_is_refused_before_it_is_built(tmp_path,
                                                                        monkeypatch):
    from advstego.hiding.model import HidingModel

    small = {"cover_channels": 1, "secret_channels": 1}
    for arch in ("block", "ukey"):  # before: 10 GB and 50 s (block), minutes (ukey)
        f = _hiding_file(tmp_path / f"{arch}.safetensors",
                         {**small, "arch": arch, "width": 1024, "blocks": 64})
        _refused_unbuilt(monkeypatch, HidingModel, lambda: HidingModel.load(f),
                         "width = 1024 is missing or out of range")
    # within the limits, but about 1 GB of weights the file does not hold: its shapes first
    f = _hiding_file(tmp_path / "big.safetensors",
                     {**small, "arch": "ukey", "width": 32, "blocks": 6})
    _refused_unbuilt(monkeypatch, HidingModel, lambda: HidingModel.load(f),
                     "do not fit the network its metadata describes")


def test_a_model_whose_tensors_have_other_shapes_names_the_first(tmp_path):
    from advstego import weights
    from advstego.hiding.model import HidingModel

    tensors, meta = weights.load(HidingModel.load().save(tmp_path / "m.safetensors"))
    name = sorted(tensors)[3]
    tensors[name] = tensors[name][..., :1].contiguous()
    weights.save(tmp_path / "bad.safetensors", tensors, meta)
    with pytest.raises(InputError, match=f"{name}: .* in the file"):
        HidingModel.load(tmp_path / "bad.safetensors")
    meta = {**meta, "config": {**meta["config"], "per_channel": True, "cover_channels": 3}}
    weights.save(tmp_path / "bad.safetensors", tensors, meta)
    with pytest.raises(InputError, match="describes no network"):
        HidingModel.load(tmp_path / "bad.safetensors")


def test_a_detector_asking_for_a_wider_network_than_its_weights_is_refused(tmp_path,
                                                                          monkeypatch):
    from advstego import weights
    from advstego.attacks.strategy import shipped_strategy
    from advstego.steganalysis.cnn import CnnDetector
    from advstego.steganalysis.detector import load_detector

    tensors, meta = weights.load(shipped_strategy() / WARDEN)
    for width, match in ((64, "do not fit the network"), (65, "width = 65")):
        weights.save(tmp_path / "d.safetensors", tensors,
                     {**meta, "config": {**meta["config"], "arch": "srnet", "width": width}})
        _refused_unbuilt(monkeypatch, CnnDetector,
                         lambda: load_detector(tmp_path / "d.safetensors"), match)


def test_model_metadata_nested_too_deeply_is_refused(tmp_path):
    import torch
    from safetensors.torch import save_file

    from advstego import weights

    save_file({"x": torch.zeros(1)}, str(tmp_path / "deep.safetensors"),
              metadata={"advstego": "[" * 100000 + "]" * 100000})
    with pytest.raises(InputError, match="nested too deeply"):
        weights.load(tmp_path / "deep.safetensors")


# ---- experiment configs ---------------------------------------------------------------------

def test_a_deeply_nested_experiment_config_is_refused_in_one_line(tmp_path, cli):
    for depth in (100000, 100):  # past the parser's recursion, and past what a config holds
        path = tmp_path / "deep.json"
        path.write_text('{"data": {"_note": ' + "[" * depth + "]" * depth + "}}")
        r = cli("experiment", path, "--out", tmp_path / "out")
        assert_clean_error(r, "deep.json", "nested")
        assert not (tmp_path / "out").exists()


def test_every_row_of_a_config_is_checked_before_any_stage(tmp_path, cli):
    """An out-of-range value is named by its row and key, not as a flag, and refused before
    the corpus (the first stage) is made."""
    from advstego.experiments.config import load_config

    bad = {
        "LSB-9": ({"hiders": {"LSB-9": {"hider": "lsb", "bits": 9}}, "attacked": "LSB-9"},
                  "config: hiders.LSB-9: bits 9 must be at most 7"),
        "stc_h": ({"hiders": {"S": {"hider": "stc", "stc_h": 13}}, "attacked": "S"},
                  "config: hiders.S: stc_h 13 must be at most 12"),
        "lr": ({"wardens": {"SRM": {"detector": "srm-fld"},
                            "CNN": {"detector": "xunet", "lr": 0}}},
               "config: wardens.CNN: lr 0 must be above 0"),
        "train": ({"hiders": {"G": {"hider": "gan", "train": {"width": 100000}}},
                   "attacked": "G"}, "config: hiders.G.train: width 100000 must be at most"),
        "games": ({"games": {"G": {"search": 0}}}, "config: games.G: search 0 must be at least"),
        "payload": ({"games": {"G": {"payload": 1.5}}}, "config: games.G: "),
    }
    for name, (cfg, message) in bad.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(cfg))
        with pytest.raises(InputError, match="^" + message.replace(".", r"\.")):
            load_config(str(path))
    r = cli("experiment", tmp_path / "LSB-9.json", "--out", tmp_path / "out")
    assert_clean_error(r, "hiders.LSB-9", "bits")
    assert "--bits" not in r.stderr
    assert not (tmp_path / "out").exists()


# ---- a run's own records ----------------------------------------------------------------------

def test_run_records_that_are_not_ours_are_refused_in_one_line(tmp_path, cli, cover):
    deep = "[" * 100000 + "]" * 100000
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(cover, corpus / "a.png")
    (corpus / "manifest.json").write_text(deep)
    assert_clean_error(cli("data", "info", corpus), "corrupt manifest")
    out = tmp_path / "claimed"
    assert_clean_error(cli("embed", "--method", "hill", "--in", corpus, "--out", out),
                       "manifest.json")  # refused before any stego is made
    assert not out.exists()
    (corpus / "manifest.json").unlink()
    out.mkdir()
    (out / ".advstego-run.json").write_text(deep)  # not a claim of ours: never taken over
    assert_clean_error(cli("embed", "--method", "hill", "--in", corpus, "--out", out),
                       "use another --out")
    assert [p.name for p in out.iterdir()] == [".advstego-run.json"]
    from advstego.experiments.provenance import past_invocations

    (out / "invocations.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="invocations"):
        past_invocations(out)


def test_a_round_s_candidates_are_arrays_never_pickles(tmp_path):
    from advstego.game.play import _load_candidates

    st = {"test": [np.zeros((8, 8), np.uint8)] * 2}
    path = tmp_path / "candidates.npz"
    np.savez(path, test=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(InputError, match="candidates"):
        _load_candidates(path, st)
    np.savez(path, test=np.zeros((3, 8, 8), np.uint8))  # another round's images
    with pytest.raises(InputError, match="do not match"):
        _load_candidates(path, st)
    np.savez(path, test=np.ones((2, 8, 8), np.uint8))
    assert _load_candidates(path, st)["test"].sum() == 128


def test_a_crafted_stc_header_cannot_claim_a_huge_secret(tmp_path, cli, rng):
    from advstego.hiding import message as msg
    from advstego.hiding.classical import StcHider, _costs

    cover = textured(rng, 128, 128)
    h = StcHider(key="k")
    sealed = msg.seal(msg.Payload(b"x" * 20, msg.IMAGE, 1, 65535, 65535, 1), "k")
    rp, rm = _costs(cover, "suniward")
    stego, _ = h._embed(cover, rp, rm, lambda attempt: (sealed, {}))
    write_image(tmp_path / "bomb.png", stego)
    r = cli("reveal", tmp_path / "bomb.png", "-o", tmp_path / "out.png", "--key", "k")
    assert_clean_error(r, "65535x65535", "max-pixels")
    assert not (tmp_path / "out.png").exists()


def test_malformed_model_and_detector_files(tmp_path, cli, pair, detector_file):
    from advstego import weights
    from advstego.hiding.model import HidingModel

    cover, _ = pair
    t, meta = weights.load(HidingModel.load().save(tmp_path / "m.safetensors"))
    from safetensors.torch import save_file
    for bad in ([1, 2], "a string"):
        save_file(t, str(tmp_path / "bad.safetensors"), metadata={"advstego": json.dumps(bad)})
        r = cli("reveal", cover, "-o", tmp_path / "r.png", "--method", "gan", "--model",
                tmp_path / "bad.safetensors")
        assert_clean_error(r, "bad.safetensors", "not a JSON object")
    nan = {k: v.clone() for k, v in t.items()}
    next(v for v in nan.values() if v.is_floating_point()).view(-1)[0] = float("nan")
    weights.save(tmp_path / "nan.safetensors", nan, meta)
    r = cli("hide", "--cover", cover, "--secret", cover, "-o", tmp_path / "s.png", "--method",
            "gan", "--model", tmp_path / "nan.safetensors")
    assert_clean_error(r, "NaN or Inf")
    assert not (tmp_path / "s.png").exists()
    dt, dmeta = weights.load(detector_file)
    weights.save(tmp_path / "d.safetensors", dt, {k: v for k, v in dmeta.items()
                                                  if k != "config"})
    r = cli("detect", "test", "--detector", tmp_path / "d.safetensors", "--covers", tmp_path,
            "--stegos", tmp_path, "--split", "all")
    assert_clean_error(r, "d.safetensors", "without its config")
