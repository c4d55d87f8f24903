"""Devices and ranks: a process group that waits a bounded time for a missing rank, and bf16
only where the device has it."""

import time

import pytest

from advstego.errors import InputError


@pytest.mark.slow
def test_a_missing_second_rank_is_a_bounded_wait(monkeypatch):
    from advstego.distributed import process_group

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(InputError, match="MASTER_ADDR"):
        with process_group("cpu"):
            pass
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29761")
    monkeypatch.setenv("ADVSTEGO_SETUP_TIMEOUT", "2")
    t = time.perf_counter()
    with pytest.raises(InputError, match="did not join within 2 s"):
        with process_group("cpu"):
            pass
    assert time.perf_counter() - t < 30
    monkeypatch.setenv("WORLD_SIZE", "1")  # one process, with or without MASTER_ADDR
    monkeypatch.delenv("MASTER_ADDR")
    with process_group("cpu") as (rank, world, _):
        assert (rank, world) == (0, 1)


def test_bf16_only_where_the_device_has_it(monkeypatch):
    import torch

    from advstego import distributed
    from advstego.hiding.config import make_config
    from advstego.hiding.model import HidingModel

    assert make_config("quick").amp_bf16 is False
    monkeypatch.setattr(distributed, "_native_bf16", lambda device: False)
    m = HidingModel.load(bf16=True)
    with m._autocast():
        assert not torch.is_autocast_enabled("cpu")
    monkeypatch.setattr(distributed, "_native_bf16", lambda device: True)
    with m._autocast():
        assert torch.is_autocast_enabled("cpu")
