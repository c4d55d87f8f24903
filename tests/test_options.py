"""One option spec: a setting's type, limits (a maximum too) and choices are written once, as
an options.Option, and the command line, model-file metadata and experiment configs are all
checked by it; codec choices are those installed."""

import argparse
import json

import pytest

from advstego.errors import InputError
from advstego.options import Option, check, flag_type, list_flag_type, value


def _actions(parser, path=()):
    """(command, action) of every argument of every (sub)command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, (*path, name))
        else:
            yield " ".join(path), action


def test_a_maximum_is_checked_like_a_minimum():
    opt = Option(int, 4, 1, "bits", maximum=7)
    assert value(opt, 7) == 7 and value(opt, 1.0) == 1
    for bad, why in ((8, "at most 7"), (0, "at least 1"), (True, "must be int"),
                     ("3", "must be int"), (2.5, "must be int")):
        with pytest.raises(ValueError, match=why):
            value(opt, bad)
    with pytest.raises(InputError, match="^hider x: bits 8 must be at most 7$"):
        check("hider x", {"bits": opt}, {"bits": 8})
    with pytest.raises(ValueError, match="finite"):
        value(Option(float, 0.0), float("inf"))
    with pytest.raises(argparse.ArgumentTypeError, match="'8' must be at most 7"):
        flag_type(opt)("8")


def test_a_list_flag_checks_each_value_and_the_count():
    parse = list_flag_type(Option(float, None, 0, maximum=1), (3, 4))
    assert parse("0.7,0.15,0.15") == (0.7, 0.15, 0.15)
    for bad, why in (("0.5,0.5", "give 3 or 4"), ("0.5,x,0.5", "'x' must be float"),
                     ("0.5,-0.1,0.6", "at least 0"), ("2,0,0", "at most 1"),
                     ("nan,0.5,0.5", "nan")):
        with pytest.raises(argparse.ArgumentTypeError, match=why):
            parse(bad)


def test_every_number_on_the_command_line_is_typed_by_the_spec():
    """No hand-written parser: every typed argument is an Option's flag type (a path's
    check, the key file's, is no number)."""
    from advstego import cli

    typed = [(cmd, a.dest, a.type) for cmd, a in _actions(cli.build_parser())
             if a.type is not None]
    assert len(typed) > 40
    bare = [(cmd, dest) for cmd, dest, t in typed
            if t.__qualname__.split(".")[0] not in ("flag_type", "list_flag_type", "_key_file")]
    assert bare == []
    for name in ("_number", "_numbers", "COUNT", "POSITIVE"):
        assert not hasattr(cli, name)


@pytest.mark.parametrize("args,words", [
    (["--max-pixels", "0", "capacity", "--cover", "c.png"], ["--max-pixels", "at least 1"]),
    (["data", "prepare", "--source", "sample", "--out", "o", "--size", "4"],
     ["--size", "at least 8"]),
    (["data", "prepare", "--source", "sample", "--out", "o", "--min-std", "inf"],
     ["--min-std", "finite"]),
    (["data", "prepare", "--source", "sample", "--out", "o", "--split", "0.5,0.5,x"],
     ["--split", "'x'"]),
    (["capacity", "--cover", "c.png", "--payload", "1.5"], ["--payload", "at most 1.2"]),
    (["capacity", "--cover", "c.png", "--payload", "0"], ["--payload", "above 0"]),
    (["embed", "--method", "wow", "--in", "i", "--out", "o", "--payload", "1.5"],
     ["--payload", "at most 1"]),
    (["embed", "--method", "wow", "--in", "i", "--out", "o", "--seed", "1.5"], ["--seed"]),
    (["train", "--data", "d", "--out", "o", "--lambdas", "1,-1,1"], ["--lambdas", "at least 0"]),
    (["train", "--data", "d", "--out", "o", "--max-minutes", "0"], ["--max-minutes", "above 0"]),
    (["train", "--data", "d", "--out", "o", "--batch", "5000"], ["--batch", "at most 4096"]),
    (["detect", "train", "--detector", "xunet", "--covers", "c", "--stegos", "s", "-o", "d",
      "--seeds", "0"], ["--seeds", "at least 1"]),
])
def test_command_line_numbers_are_refused_by_their_spec(cli, args, words):
    from conftest import assert_clean_error

    assert_clean_error(cli(*args), *words)


def test_the_command_line_and_a_config_share_the_data_spec(tmp_path, cli):
    from advstego.experiments.config import load_config

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"preset": "quick", "data": {"size": 4}}))
    with pytest.raises(InputError, match="^config: data: size 4 must be at least 8$"):
        load_config(str(path))
    r = cli("data", "prepare", "--source", "sample", "--out", tmp_path / "o", "--size", "4")
    assert r.returncode == 2 and "'4' must be at least 8" in r.stderr
    path.write_text(json.dumps({"preset": "quick", "data": {"fractions": [0.5, 0.7, -0.2]}}))
    with pytest.raises(InputError, match="must not be negative"):
        load_config(str(path))
    path.write_text(json.dumps({"preset": "quick", "data": {"fractions": [0.5, 1.5, 0.0]}}))
    with pytest.raises(InputError, match="^config: data: fractions 1.5 must be at most 1$"):
        load_config(str(path))


def test_the_cnn_width_minimum_agrees_everywhere(tmp_path):
    """0 is the net's own width for the option, an experiment's warden row and a file."""
    from advstego import weights
    from advstego.attacks.strategy import shipped_strategy
    from advstego.experiments.config import load_config
    from advstego.steganalysis.cnn import NETS, CnnDetector
    from advstego.steganalysis.detector import load_detector

    assert CnnDetector.options["width"].minimum == 0 and NETS["xunet"][1] == 8
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"preset": "quick", "wardens": {
        "SRM": {"detector": "srm-fld"}, "CNN": {"detector": "xunet", "width": 0}}}))
    assert load_config(str(path))["wardens"]["CNN"]["width"] == 0
    tensors, meta = weights.load(shipped_strategy() / "round-0-xunet.safetensors")
    assert meta["config"]["width"] == 8
    weights.save(tmp_path / "w0.safetensors", tensors,
                 {**meta, "config": {**meta["config"], "width": 0}})
    assert load_detector(tmp_path / "w0.safetensors").width == 8
    for width, why in ((-1, "at least 0"), (65, "at most 64"), ("8", "must be int")):
        weights.save(tmp_path / "bad.safetensors", tensors,
                     {**meta, "config": {**meta["config"], "width": width}})
        with pytest.raises(InputError, match=f"metadata width = .* out of range .*{why}"):
            load_detector(tmp_path / "bad.safetensors")


def test_file_metadata_is_checked_by_option_specs():
    from advstego.weights import check_config

    spec = {"width": Option(int, 32, 1, maximum=256), "arch": Option(str, None, None, "",
                                                                     ("block", "ukey"))}
    assert check_config({"width": 8.0}, spec, "f") == {"width": 8}  # absent arch: allowed
    for config, why in (({}, "width = None is missing or out of range \\(missing\\)"),
                        ({"width": 300}, "at most 256"), ({"width": 8, "arch": "evil"},
                                                          "must be one of block, ukey")):
        with pytest.raises(InputError, match=f"^f: metadata .*{why}"):
            check_config(config, spec, "f")


def test_a_training_setting_a_checkpoint_refuses_is_refused_by_the_flags_too():
    from advstego.hiding.config import FLAGS, make_config

    for name in ("crop", "batch", "epochs", "steps_per_epoch", "width", "blocks"):
        assert FLAGS[name].maximum is not None, name
    with pytest.raises(InputError, match="batch 5000 must be at most 4096"):
        make_config("quick", batch=5000)
    with pytest.raises(InputError, match="lambdas inf must be|lambdas .* finite"):
        make_config("quick", lambdas=(1.0, float("inf"), 1.0))


def test_codec_choices_are_the_installed_codecs(monkeypatch):
    from PIL import features

    from advstego import cli
    from advstego.game.config import FLAGS
    from advstego.hiding import codec
    from advstego.hiding.classical import StcHider

    installed = codec.choices()
    assert installed[:3] == ("auto", "jpeg", "webp")
    assert ("avif" in installed) == bool(features.check("avif"))
    assert FLAGS["codec"].choices == StcHider.options["codec"].choices == installed
    parser = cli.build_parser()
    choices = {cmd: a.choices for cmd, a in _actions(parser) if a.dest == "codec"}
    assert set(choices) == {"hide", "reveal", "capacity", "evaluate", "harden"}
    assert all(tuple(c) == installed for c in choices.values())
    monkeypatch.delitem(codec.CODECS, "webp")  # a codec this install lacks
    assert "webp" not in codec.choices()
    with pytest.raises(InputError, match="codec 'webp': known are auto, jpeg"):
        codec.encode(__import__("numpy").zeros((8, 8), "uint8"), "webp", 50)
