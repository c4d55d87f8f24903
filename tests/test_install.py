"""The core install (`pip install advstego`, no torch): hide, reveal and capacity work, the
core modules import, the SRM+FLD warden saves and loads, and a command that needs the deep
extra says so in one line. Each runs in a process where torch, torchvision and sealwatch
cannot be imported."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import textured

NO_DEEP = '''
import importlib.abc, sys

class NoDeep(importlib.abc.MetaPathFinder):
    """What the core install lacks: torch (and sealwatch, which needs it)."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision", "sealwatch"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoDeep())
'''

CLI = NO_DEEP + '''
import contextlib, io, json
from advstego.cli import main

runs = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    runs.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(runs))
'''

CORE = ["advstego.cli", "advstego.hiding.classical", "advstego.hiding.stc",
        "advstego.hiding.codec", "advstego.hiding.lsb", "advstego.hiding.registry",
        "advstego.steganalysis.srm", "advstego.steganalysis.fld",
        "advstego.steganalysis.ensemble", "advstego.steganalysis.detector",
        "advstego.embedding", "advstego.embedding.costs", "advstego.embedding.simulate",
        "advstego.data", "advstego.data.corpus", "advstego.data.prepare",
        "advstego.data.sources", "advstego.data.synthetic", "advstego.weights",
        "advstego.data.jpeg", "advstego.embedding.jpeg", "advstego.steganalysis.jpeg_features",
        "advstego.steganalysis.jpeg_fld"]


def _python(code, *args):
    r = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


@pytest.fixture(scope="module")
def core_cli(tmp_path_factory):
    """hide -> reveal -> capacity, then hide --method gan, in one process without torch."""
    from advstego.images import write_image

    d = tmp_path_factory.mktemp("core")
    rng = np.random.default_rng(0)
    secret = textured(rng, 32, 32)
    write_image(d / "c.png", textured(rng, 128, 128))
    write_image(d / "s.png", secret)
    argvs = [["hide", "--cover", d / "c.png", "--secret", d / "s.png", "-o", d / "st.png",
              "--key", "k", "--json"],
             ["reveal", d / "st.png", "-o", d / "r.png", "--key", "k", "--json"],
             ["capacity", "--cover", d / "c.png", "--json"],
             ["hide", "--method", "gan", "--cover", d / "c.png", "--secret", d / "c.png",
              "-o", d / "g.png"]]
    runs = json.loads(_python(CLI, json.dumps([[str(a) for a in v] for v in argvs])).splitlines()[-1])
    return d, secret, runs


def test_hide_reveal_capacity_without_torch(core_cli):
    from advstego.hiding.codec import psnr
    from advstego.images import read_image

    d, secret, (hide, reveal, capacity, _) = core_cli
    for code, out, err in (hide, reveal, capacity):
        assert code == 0, err
    assert json.loads(hide[1])["method"] == "stc"
    assert json.loads(reveal[1])["kind"] == "image"
    assert psnr(secret, read_image(d / "r.png", "gray")) > 25
    assert json.loads(capacity[1])["bytes"] > 100


def test_a_deep_command_says_so_in_one_line(core_cli):
    d, _, runs = core_cli
    code, out, err = runs[-1]
    assert code == 2 and out == ""
    assert err.splitlines() == ["advstego: error: hide --method gan needs the deep extra (torch "
                                "is not installed): pip install 'advstego[deep]'"]
    assert not (d / "g.png").exists()


def test_the_core_modules_import_without_torch():
    code = NO_DEEP + f"import importlib\nfor m in {CORE!r}: importlib.import_module(m)\n" \
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'sealwatch')))"
    assert _python(code).strip() == "[]"


def test_the_srm_fld_warden_trains_saves_and_loads_without_torch(tmp_path):
    # features stand in for SRM's (its extraction is tested elsewhere): the FLD ensemble is
    # trained, saved as a detector file and read back in a process without torch
    code = NO_DEEP + '''
import numpy as np
from advstego.steganalysis.detector import load_detector
from advstego.steganalysis.ensemble import SrmFld
from advstego.steganalysis.fld import FastFldTrainer

rng = np.random.default_rng(0)
Xc = rng.normal(size=(60, 12753))
Xs = rng.normal(size=(60, 12753)) + 0.3 * (np.arange(12753) % 9 == 0)
det = SrmFld(q1=True)
det.ensemble, _ = FastFldTrainer(Xc, Xs, seed=1, L=9, d_sub=300).train()
det.save(sys.argv[1])
back = load_detector(sys.argv[1])
T = np.concatenate([Xc, Xs])
assert np.array_equal(back.ensemble.predict(T), det.ensemble.predict(T))
print((back.ensemble.predict(T) == np.r_[-np.ones(60), np.ones(60)]).mean())
'''
    assert float(_python(code, tmp_path / "w.safetensors")) > 0.9
