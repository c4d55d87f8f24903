"""One code path for 1..N processes: under torchrun use its env, else a 1-rank group.

Tear-down waits on a barrier first: gloo otherwise aborts now and then at exit.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from datetime import timedelta

import torch
import torch.distributed as dist


def pick_device(name: str = "auto") -> torch.device:
    import re
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", str(name)):
        from .errors import InputError
        raise InputError(f"--device {name!r}: use auto, cpu, cuda or cuda:N")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        from .errors import InputError
        raise InputError("--device cuda: no CUDA device here (use --device auto or cpu)")
    return torch.device(name)


@contextmanager
def process_group(device: str = "auto"):
    """Yield (rank, world, device) inside an initialised process group."""
    dev = pick_device(device)
    backend = "nccl" if dev.type == "cuda" else "gloo"
    owned = not dist.is_initialized()
    store_file = None
    if owned:
        if "WORLD_SIZE" in os.environ:  # a rank may wait long for another's stage
            dist.init_process_group(backend, timeout=timedelta(hours=12))
        else:
            fd, store_file = tempfile.mkstemp(prefix="advstego-store-")
            os.close(fd)
            os.unlink(store_file)
            dist.init_process_group(backend, store=dist.FileStore(store_file, 1),
                                    rank=0, world_size=1)
    rank, world = dist.get_rank(), dist.get_world_size()
    if dev.type == "cpu" and "LOCAL_WORLD_SIZE" in os.environ:
        # the machine's cores shared among its ranks: none idle, none oversubscribed
        # (torchrun's default is one thread a rank)
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ["LOCAL_WORLD_SIZE"])))
    if dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(dev)
    clean = False
    try:
        yield rank, world, dev
        clean = True
    finally:
        if owned:
            if clean:
                dist.barrier()
            dist.destroy_process_group()
            if store_file and os.path.exists(store_file):
                os.unlink(store_file)


class Ranks:
    """This process among the group's ranks (1 of 1 outside torchrun): who does which work."""

    def __init__(self):
        on = dist.is_initialized()
        self.rank, self.world = (dist.get_rank(), dist.get_world_size()) if on else (0, 1)

    def mine(self, items) -> list:
        """This rank's share of items (every world-th, from its rank)."""
        return list(items)[self.rank::self.world]

    def owns(self, i: int) -> bool:
        return i % self.world == self.rank

    def barrier(self):
        if self.world > 1:
            dist.barrier()

    def gather(self, obj) -> list:
        """Every rank's obj, in rank order (on every rank)."""
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out
