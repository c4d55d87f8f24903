"""The adversary family (attacks/adversary.py and its members): the stegos each scheme makes."""

import numpy as np
import pytest
import torch

import adversary_fixture as fixture
from pathlib import Path

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def made():
    threads = torch.get_num_threads()
    try:
        yield fixture.current()
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("name", ["plain", "published", "joint", "backpack", "simulated-joint",
                                  "simulated-plain"])
def test_each_scheme_makes_the_stego_it_made_before_the_family(made, name):
    """Bit for bit the stegos of 8ae97d0 (tests/adversary_fixture.py wrote them)."""
    before = fixture.stored(DATA / "adversary_stegos.npz")[name]
    assert np.array_equal(made[name], before), int(np.sum(made[name] != before))
