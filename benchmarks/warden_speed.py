"""Training-step speed of the CNN wardens on the CPU, one option at a time: the default
(fp32, NCHW), channels-last memory, bf16 autocast, both, and torch.compile; each at the
intra-op thread counts given. Measures before anything is adopted.

    .venv/bin/python benchmarks/warden_speed.py [--arch xunet] [--size 256] [--batch 16]
        [--steps 6] [--threads 1,2] [--compile]

Prints ms per training image (a pair of a cover and its stego is two images) per setting,
and the time of the first two steps (torch.compile compiles there).
"""

import argparse
import time

import torch
import torch.nn.functional as F

from advstego.steganalysis.cnn import NETS


def step_time(arch, size, batch, steps, threads, channels_last, bf16, compile_):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net_cls, width = NETS[arch]
    net = net_cls(1, width)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    model = torch.compile(net) if compile_ else net
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(2 * batch, 1, size, size)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.cat([torch.zeros(batch), torch.ones(batch)]).long()
    times, t0 = [], time.perf_counter()
    for i in range(steps + 2):  # two warm-up steps (compile happens there)
        t = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - t)
        if i == 1:
            warm = time.perf_counter() - t0
    return 1000 * sorted(times)[len(times) // 2] / (2 * batch), warm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="xunet")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile")
    a = ap.parse_args()
    settings = [("fp32", False, False, False), ("channels-last", True, False, False),
                ("bf16 autocast", False, True, False), ("channels-last + bf16", True, True, False)]
    if a.compile:
        settings.append(("torch.compile", False, False, True))
    print(f"{a.arch}, {a.size}x{a.size}, batch {a.batch} pairs, torch {torch.__version__}: "
          "ms per training image (median step)")
    for threads in [int(t) for t in a.threads.split(",")]:
        base = None
        for name, cl, bf16, comp in settings:
            ms, warm = step_time(a.arch, a.size, a.batch, a.steps, threads, cl, bf16, comp)
            base = base or ms
            print(f"  {threads} thread(s)  {name:22s} {ms:7.1f} ms   {base / ms:4.2f}x   "
                  f"(first two steps {warm:5.1f} s)")


if __name__ == "__main__":
    main()
