"""One code path for 1..N processes: under torchrun use its env, else a 1-rank group.

Tear-down waits on a barrier first: gloo otherwise aborts now and then at exit.
"""

from __future__ import annotations

import functools
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


def native_bf16(device) -> bool:
    return _native_bf16(str(device))


@functools.cache
def _native_bf16(device: str) -> bool:
    """Whether bf16 pays on this device: a CUDA GPU with bf16, or a CPU with AVX512-BF16 or
    AMX (on other CPUs bf16 is emulated, dozens of times slower than fp32)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        with open("/proc/cpuinfo") as fh:
            flags = set(next((l for l in fh if l.startswith("flags")), "").split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


@contextmanager
def process_group(device: str = "auto"):
    """Yield (rank, world, device) inside an initialised process group."""
    dev = pick_device(device)
    backend = "nccl" if dev.type == "cuda" else "gloo"
    owned = not dist.is_initialized()
    store_file = None
    if owned:
        world = _world_from_env()
        if world > 1:
            _join(backend)
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


SETUP_SECONDS = 60  # how long the ranks wait for each other to start (ADVSTEGO_SETUP_TIMEOUT)


def _world_from_env() -> int:
    """WORLD_SIZE as torchrun sets it (1 when unset); a bad value is an InputError."""
    from .errors import InputError

    env = {k: os.environ.get(k) for k in ("WORLD_SIZE", "RANK")}
    try:
        world = int(env["WORLD_SIZE"] or 1)
        rank = int(env["RANK"] or 0)
    except ValueError:
        raise InputError(f"WORLD_SIZE={env['WORLD_SIZE']!r} RANK={env['RANK']!r}: not integers")
    if world < 1 or not 0 <= rank < world:
        raise InputError(f"WORLD_SIZE={world} RANK={rank}: need WORLD_SIZE >= 1 and "
                         "0 <= RANK < WORLD_SIZE")
    if world > 1 and not (os.environ.get("MASTER_ADDR") and os.environ.get("MASTER_PORT")):
        raise InputError(f"WORLD_SIZE={world} without MASTER_ADDR/MASTER_PORT: start the ranks "
                         "with torchrun, or unset WORLD_SIZE to run as one process")
    return world


def _join(backend: str) -> None:
    """Meet the other ranks within a bounded wait; then a rank may wait long (12 h) for
    another's stage."""
    from .errors import InputError

    wait = float(os.environ.get("ADVSTEGO_SETUP_TIMEOUT") or SETUP_SECONDS)
    world = int(os.environ["WORLD_SIZE"])
    try:
        store, rank, world = next(dist.rendezvous("env://", timeout=timedelta(seconds=wait)))
        store.set_timeout(timedelta(hours=12))
        dist.init_process_group(backend, store=store, rank=rank, world_size=world,
                                timeout=timedelta(hours=12))
    except (RuntimeError, ValueError, OSError) as exc:  # DistStoreError is a RuntimeError
        raise InputError(f"WORLD_SIZE={world}: the other ranks did not join within {wait:g} s "
                         f"({str(exc).splitlines()[0][:80]}); start them with torchrun, or "
                         "unset WORLD_SIZE to run as one process") from None


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
