"""The random-noise control: within budget, reproducible, and reachable from the CLI."""

import numpy as np

from advstego.attacks.run import attack_images
from advstego.data.synthetic import synthetic_covers
from advstego.hiding.lsb import LsbHider
from advstego.images import read_image, write_image
from advstego.steganalysis.cnn import CnnDetector


def test_noise_control_stays_in_budget_and_is_reproducible(tmp_path, cli):
    covers = synthetic_covers(40, size=32, seed=3)
    stegos = [LsbHider(2).hide(c, covers[-1 - i]) for i, c in enumerate(covers)]
    det = CnnDetector("xunet", epochs=1).fit(covers[:30], stegos[:30], quiet=True)
    a = attack_images("noise", det, stegos[30:], {"levels": 3, "seed": 1})
    b = attack_images("noise", det, stegos[30:], {"levels": 3, "seed": 1})
    diff = np.abs(np.stack(a.images).astype(int) - np.stack(stegos[30:]))
    assert diff.max() == 3 and (diff > 0).mean() > 0.5
    assert all(np.array_equal(x, y) for x, y in zip(a.images, b.images))
    src = tmp_path / "s"
    src.mkdir()
    for i, s in enumerate(stegos[30:34]):
        write_image(src / f"{i}.png", s)
    model = det.save(tmp_path / "d.safetensors")
    r = cli("attack", "noise", "--levels", "1", "--detector", model, "--in", src,
            "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert np.abs(read_image(tmp_path / "o" / "0.png").astype(int) - stegos[30]).max() == 1
