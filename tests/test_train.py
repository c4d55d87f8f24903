import csv
import subprocess
import sys
import textwrap

import pytest
import torch

from advstego import weights
from advstego.errors import InputError
from advstego.hiding.model import HidingModel
from advstego.game.gan import make_config, train
from conftest import TINY, assert_clean_error


def _tensors(run):
    t, _ = weights.load(run / "checkpoint.safetensors")
    return t


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["block", "unet"])
def test_train_writes_run_folder_and_resumes_bit_for_bit(tiny_corpus, tmp_path, arch):
    cfg = make_config("quick", arch=arch, **TINY)
    last, _ = train(tiny_corpus, tmp_path / "full", cfg, device="cpu", quiet=True)
    for f in ("config.json", "log.csv", "checkpoint.safetensors", "model.safetensors"):
        assert (tmp_path / "full" / f).exists()
    rows = list(csv.DictReader(open(tmp_path / "full" / "log.csv")))
    assert [int(r["step"]) for r in rows] == [3, 6]
    assert {"Le", "Ls", "d_cover", "d_secret", "stego_psnr_uint8", "secret_psnr_float"} <= set(rows[0])
    # the logged validation row is the one returned, and it is measured: a stego after a
    # few steps is already closer to its cover than a blank image is
    assert float(rows[-1]["stego_psnr_uint8"]) == pytest.approx(last["stego_psnr_uint8"])
    assert last["stego_psnr_uint8"] > 12 and last["secret_psnr_float"] > 5
    assert HidingModel.load(tmp_path / "full" / "model.safetensors").arch == arch

    # interrupted after 3 steps (one epoch), then resumed to the end
    train(tiny_corpus, tmp_path / "part", cfg, device="cpu", quiet=True, max_steps=3)
    with pytest.raises(InputError, match="already holds a run"):
        train(tiny_corpus, tmp_path / "part", cfg, device="cpu", quiet=True)
    train(tiny_corpus, tmp_path / "part", resume=True, device="cpu", quiet=True)
    a, b = _tensors(tmp_path / "full"), _tensors(tmp_path / "part")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    rows_b = list(csv.DictReader(open(tmp_path / "part" / "log.csv")))
    assert [r["step"] for r in rows_b] == [r["step"] for r in rows]


def test_train_cli_bad_input(tmp_path, cli, tiny_corpus):
    r = cli("train", "--data", tmp_path / "nope", "--out", tmp_path / "r")
    assert_clean_error(r, "nope")
    r = cli("train", "--data", tiny_corpus, "--out", tmp_path / "r", "--resume")
    assert_clean_error(r, "nothing to resume")
    r = cli("train", "--data", tiny_corpus, "--out", tmp_path / "r", "--crop", "128",
            "--device", "cpu")
    assert_clean_error(r, "larger than the corpus")
    r = cli("train", "--data", tiny_corpus, "--out", tmp_path / "r", "--preset", "huge")
    assert_clean_error(r, "unknown preset")
    (tmp_path / "r2").mkdir()
    (tmp_path / "r2" / "checkpoint.safetensors").write_bytes(b"corrupt")
    r = cli("train", "--data", tiny_corpus, "--out", tmp_path / "r2", "--resume")
    assert_clean_error(r, "not a valid advstego model")


SCRIPT = textwrap.dedent("""
    import sys, torch
    from safetensors.torch import save_file
    from advstego.game.gan import make_config, train
    import torch.distributed as dist
    cfg = make_config("quick", width=8, blocks=1, disc_width=2, crop=32, batch=2, epochs=1,
                      steps_per_epoch=3, val_pairs=2)
    rank = int(__import__("os").environ["RANK"])
    _, pair = train(sys.argv[1], sys.argv[2], cfg, device="cpu", quiet=True)
    save_file({k: v.contiguous() for k, v in pair.state_dict().items()},
              f"{sys.argv[2]}/rank{rank}.safetensors")
""")


@pytest.mark.slow
def test_two_rank_ddp_ends_with_identical_weights(tiny_corpus, tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc_per_node", "2", str(script), str(tiny_corpus),
                        str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    from safetensors.torch import load_file
    w0 = load_file(tmp_path / "run" / "rank0.safetensors")
    w1 = load_file(tmp_path / "run" / "rank1.safetensors")
    assert w0.keys() == w1.keys() and len(w0) > 0
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    init = HidingModel({"cover_channels": 1, "secret_channels": 1, "width": 8, "blocks": 1})
    # the run trained: weights moved away from the zero-initialised encoder tail
    assert not torch.equal(w0["encoder.net.tail.weight"], init.encoder.net.tail.weight)
    cfg = __import__("json").load(open(tmp_path / "run" / "config.json"))
    assert cfg["world"] == 2
